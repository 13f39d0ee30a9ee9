"""Anomaly scores from the trained VAE over the whole record, and detection of injected faults.

Scores (:mod:`seasonal_vae.applications.detectors`; from
:func:`seasonal_vae.model.posterior.elbo_terms`: encoder posterior, decoder at its mean, no
optimisation):

* per hour: ``−log N(x_t | x̂_t, σ_n²)`` in nats, with ``σ_n`` the learned observation noise
  (standard units): how far the hour is from what the model reconstructs;
* per 4-day block (one latent step, aligned to local midnight like the training windows): the
  negative ELBO per hour, ``(Σ_t nll_t + KL_step) / 96`` — reconstruction error plus how
  unusual the block's latent is under the seasonal prior — and the block's largest hourly
  score;
* the negative ELBO *seasonally standardised*: minus the mean and divided by the std of the
  training years' blocks of the same calendar month (month of the block's centre). Winter
  weather is harder to reconstruct than summer weather (the learned noise is one number for
  the whole year), so the raw score ranks winter blocks first; the standardised score asks
  how unusual a block is for its season. The top blocks are ranked by it.

The whole record is encoded as one sequence (the model's time axis is free), so every block
sees its neighbours; hours before the first local midnight and after the last whole block
are not scored.

The baseline detector is a z-score against the training years' climatology,
``|x − mean(month, hour)| / std(month, hour)``, averaged (``z_mean``) or maximised
(``z_max``) over the block.

:func:`seasonal_vae.applications.faults.score_faults` injects synthetic faults into held-out
blocks and measures each detector's ROC AUC of faulty against the same blocks left clean;
:func:`score_anomalies` does both, and :func:`anomaly_file` runs it on the pipeline's files
with the settings of the configuration.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.applications.detectors import (
    DETECTOR_LABELS,
    DETECTORS,
    block_months,
    block_reduce,
    block_scores,
    season_table,
    zscores,
)
from seasonal_vae.applications.faults import FAULT_LABELS, FAULTS, score_faults
from seasonal_vae.applications.results import (
    application_settings,
    settings_attrs,
    write_results,
)
from seasonal_vae.core.atomic import atomic_path
from seasonal_vae.core.calendar import HOURS_PER_LATENT_STEP as BLOCK
from seasonal_vae.core.errors import InputError
from seasonal_vae.data.climatology import lookup
from seasonal_vae.data.windows import SPLITS
from seasonal_vae.model.posterior import elbo_terms
from seasonal_vae.model.record import (
    Record,
    load_record,
    noise_sigma_degf,
    standardise,
    to_degf,
    training_climatology,
)
from seasonal_vae.model.train import load_model
from seasonal_vae.model.vae import SeasonalVAE

log = logging.getLogger(__name__)

#: The settings of :func:`score_anomalies`, as the configuration names them
#: (``applications.anomaly.*``, else ``applications.*``).
SETTINGS = ("n_cases", "top", "min_observed", "seed")


def score_record(model: SeasonalVAE, record: Record, min_observed: int) -> xr.Dataset:
    """Hourly and 4-day-block anomaly scores over the whole record.

    Returns
    -------
    xarray.Dataset
        On ``time`` (the scored hours): ``hour_score``, ``observed`` and ``reconstruction``
        (observed °F, trend put back). On ``block``: ``block_start``, ``neg_elbo``, ``kl``
        (per hour), ``max_hour``, ``z_mean``, ``z_max``, ``temperature`` (mean observed °F),
        ``anomaly`` (mean of adjusted − climatology, °F), ``max_jump`` (largest hour-to-hour
        change, °F), ``split`` (1 training, 2 held-out, 0 mixed/unused) and ``neg_elbo_season``
        (standardised with ``season_mean``/``season_std`` on ``month``, from training blocks).
    """
    midnight = np.flatnonzero(record.times.hour == 0)
    if midnight.size == 0:
        raise InputError(
            "windows file", "the record has no local midnight", "give a record of at least a few days"
        )
    first = int(midnight[0])
    n_blocks = (len(record.times) - first) // BLOCK
    if n_blocks < 1:
        raise InputError(
            "windows file",
            "the record is shorter than one 96-hour block after its first midnight",
            "give a longer record",
        )
    sl = slice(first, first + n_blocks * BLOCK)
    adjusted = record.adjusted[sl]
    times = record.times[sl]
    mask = np.isfinite(adjusted)
    x = standardise(model, np.where(mask, adjusted, 0.0))
    nll, kl, recon = elbo_terms(model, x[None], mask[None], times.values[:1], batch=1)
    nll, kl, recon = nll[0], kl[0], recon[0]
    neg_elbo, peak = block_scores(nll, kl, min_observed)
    clim_mean, clim_std = training_climatology(record)
    z = zscores(adjusted, times.values, clim_mean, clim_std)
    anomaly = adjusted - lookup(clim_mean, times.values)
    trend = record.trend(sl)
    observed = adjusted + trend
    jumps = np.abs(np.diff(observed, prepend=observed[0]))
    split = record.split[sl].reshape(n_blocks, BLOCK)
    block_split = np.where((split == split[:, :1]).all(axis=1), split[:, 0], 0).astype("int8")
    months = block_months(times.values[::BLOCK])
    season_mean, season_std = season_table(neg_elbo, months, block_split == SPLITS["train"])
    blocks = xr.Dataset(
        {
            "block_start": ("block", times.values[::BLOCK]),
            "neg_elbo": (
                "block",
                neg_elbo,
                {"units": "nats per hour", "long_name": "negative ELBO per hour (standard units)"},
            ),
            "neg_elbo_season": (
                "block",
                (neg_elbo - season_mean[months - 1]) / season_std[months - 1],
                {"long_name": "negative ELBO per hour, standardised by calendar month"},
            ),
            "season_mean": ("month", season_mean),
            "season_std": ("month", season_std),
            "kl": ("block", kl / BLOCK, {"units": "nats per hour", "long_name": "KL per hour"}),
            "max_hour": ("block", peak, {"units": "nats", "long_name": "largest hourly score"}),
            "z_mean": ("block", block_reduce(z, "mean"), {"long_name": "mean climatological z-score"}),
            "z_max": ("block", block_reduce(z, "max"), {"long_name": "max climatological z-score"}),
            "temperature": ("block", block_reduce(observed, "mean"), {"units": "degF"}),
            "anomaly": (
                "block",
                block_reduce(anomaly, "mean"),
                {"units": "degF", "long_name": "mean anomaly vs training-year month x hour climatology"},
            ),
            "max_jump": (
                "block",
                block_reduce(jumps, "max"),
                {"units": "degF", "long_name": "largest hour-to-hour change"},
            ),
            "split": (
                "block",
                block_split,
                {"flag_values": [0, 1, 2], "flag_meanings": "mixed_or_unused training held_out"},
            ),
        },
        coords={"block": np.arange(n_blocks), "month": np.arange(1, 13)},
    )
    hours = xr.Dataset(
        {
            "hour_score": (
                "time",
                nll.astype("float32"),
                {"units": "nats", "long_name": "-log N(x | reconstruction, noise variance), standard units"},
            ),
            "observed": ("time", observed.astype("float32"), {"units": "degF"}),
            "reconstruction": (
                "time",
                (to_degf(model, recon) + trend).astype("float32"),
                {
                    "units": "degF",
                    "long_name": "decoder mean at the encoder's posterior mean, trend put back",
                },
            ),
        },
        coords={"time": times.values},
    )
    return xr.merge([blocks, hours])


def top_blocks(ds: xr.Dataset, n: int) -> pd.DataFrame:
    """The ``n`` blocks with the highest seasonally standardised negative ELBO, with dates.

    ``kind`` is ``hot`` or ``cold`` when the block's mean anomaly is beyond one standard
    deviation of all blocks' anomalies, ``jump`` when an hour-to-hour change exceeds the
    record's 99.99th percentile (a possible data fault), and ``shape`` otherwise (an unusual
    course of the temperature rather than an unusual level).
    """
    score = ds["neg_elbo_season"].values
    order = np.argsort(np.where(np.isfinite(score), -score, np.inf), kind="stable")[:n]
    sigma = float(np.nanstd(ds["anomaly"].values))
    jump_limit = float(np.nanpercentile(np.abs(np.diff(ds["observed"].values)), 99.99))
    starts = pd.DatetimeIndex(ds["block_start"].values[order])
    rows = []
    for rank, (b, start) in enumerate(zip(order, starts), start=1):
        anomaly = float(ds["anomaly"].values[b])
        kind = (
            "jump"
            if ds["max_jump"].values[b] > jump_limit
            else "hot"
            if anomaly > sigma
            else "cold"
            if anomaly < -sigma
            else "shape"
        )
        rows.append(
            {
                "rank": rank,
                "start": f"{start:%Y-%m-%d %H:%M}",
                "end": f"{start + pd.Timedelta(hours=BLOCK - 1):%Y-%m-%d %H:%M}",
                "split": {1: "training", 2: "held-out"}.get(int(ds["split"].values[b]), "mixed"),
                "score_seasonal": round(float(score[b]), 3),
                "neg_elbo_per_hour": round(float(ds["neg_elbo"].values[b]), 4),
                "kl_per_hour": round(float(ds["kl"].values[b]), 4),
                "max_hour_score": round(float(ds["max_hour"].values[b]), 3),
                "mean_temperature_degF": round(float(ds["temperature"].values[b]), 2),
                "anomaly_degF": round(anomaly, 2),
                "max_jump_degF": round(float(ds["max_jump"].values[b]), 2),
                "z_mean": round(float(ds["z_mean"].values[b]), 3),
                "kind": kind,
                "block": int(b),
            }
        )
    return pd.DataFrame(rows)


def score_anomalies(
    model: SeasonalVAE, record: Record, n_cases: int, top: int, min_observed: int, seed: int
) -> tuple[xr.Dataset, pd.DataFrame]:
    """Whole-record scores, the top blocks and the fault-detection experiment in one data set.

    The arguments are the settings of ``applications.anomaly`` and ``applications``
    (:data:`SETTINGS`; see the schema for their meaning).
    """
    log.info("anomaly: scoring the whole record (%d hours)", len(record.times))
    rec = score_record(model, record, min_observed)
    table = top_blocks(rec, top)
    log.info("anomaly: %d held-out windows x %d fault types", n_cases, len(FAULTS))
    faults = score_faults(
        model, record, (rec["season_mean"].values, rec["season_std"].values), n_cases, seed, min_observed
    )
    ds = xr.merge([rec, faults.rename({"example_time": "fault_example_time", "hour": "fault_hour"})])
    ds["top_block"] = ("rank", table["block"].to_numpy())
    ds = ds.assign_coords(rank=np.arange(1, len(table) + 1))
    ds.attrs = {
        "title": "Anomaly scores of the VAE over the record, and detection of injected "
        "faults on held-out years",
        "noise_sigma_degF": noise_sigma_degf(model),
        "scored_block": faults.attrs["scored_block"],
        **settings_attrs({"n_cases": n_cases, "top": top, "min_observed": min_observed, "seed": seed}),
    }
    return ds, table


def summarise(ds: xr.Dataset, table: pd.DataFrame) -> dict:
    """AUC table, score statistics by split and the top blocks, for JSON."""

    def stats(split):
        s = ds["neg_elbo"].values[ds["split"].values == split]
        s = s[np.isfinite(s)]
        return {
            "n_blocks": int(s.size),
            "mean": float(s.mean()) if s.size else None,
            "p99": float(np.percentile(s, 99)) if s.size else None,
        }

    return {
        "title": ds.attrs["title"],
        "settings": {k: ds.attrs[k] for k in SETTINGS},
        "noise_sigma_degF": float(ds.attrs["noise_sigma_degF"]),
        "auc": {
            str(f): {str(d): float(ds["auc"].sel(fault=f, detector=d)) for d in ds["detector"].values}
            for f in ds["fault"].values
        },
        "block_neg_elbo": {"training": stats(SPLITS["train"]), "held_out": stats(SPLITS["val"])},
        "top": table.drop(columns="block").to_dict(orient="records"),
        "notes": "Blocks are 4 days (one latent step) from local midnight; faults are "
        "injected into the third of five consecutive held-out blocks and "
        "compared with the same blocks clean. z-score = |x - clim(month, hour)| "
        "/ std(month, hour) from the training years.",
    }


def markdown(summary: dict) -> str:
    """AUC table and top blocks (Markdown)."""
    head = "| fault | " + " | ".join(DETECTOR_LABELS[d] for d in DETECTORS) + " |\n"
    head += "|---" * (len(DETECTORS) + 1) + "|\n"
    lines = []
    for fault in FAULTS:
        values = [summary["auc"][fault][d] for d in DETECTORS]
        best = max(values)
        lines.append(
            f"| {FAULT_LABELS[fault]} | "
            + " | ".join(f"**{v:.3f}**" if v == best else f"{v:.3f}" for v in values)
            + " |"
        )
    n = summary["settings"]["n_cases"]
    out = (
        f"ROC AUC of injected faults vs the same held-out 4-day blocks clean ({n} blocks per "
        "fault; best in bold)\n\n" + head + "\n".join(lines) + "\n\n"
    )
    out += (
        "Highest-scoring 4-day blocks of the record (negative ELBO per hour, standardised "
        "by calendar month: std units above the month's mean)\n\n"
        "| rank | start | split | seasonal score | −ELBO/h | KL/h | mean °F | anomaly °F "
        "| max jump °F | kind |\n|---|---|---|---|---|---|---|---|---|---|\n"
    )
    for r in summary["top"]:
        out += (
            f"| {r['rank']} | {r['start']} | {r['split']} | {r['score_seasonal']:.2f} | "
            f"{r['neg_elbo_per_hour']:.3f} | "
            f"{r['kl_per_hour']:.3f} | {r['mean_temperature_degF']:.1f} | "
            f"{r['anomaly_degF']:+.1f} | {r['max_jump_degF']:.1f} | {r['kind']} |\n"
        )
    return out


def anomaly_file(
    model_path: str | Path,
    windows_path: str | Path,
    out_nc: str | Path,
    out_csv: str | Path,
    out_json: str | Path,
    out_md: str | Path | None,
    cfg: dict,
) -> dict:
    """Run :func:`score_anomalies` on pipeline files; write netCDF, CSV, JSON and Markdown.

    Parameters
    ----------
    model_path, windows_path
        The trained model (``.keras``) and the windows file.
    out_nc, out_csv, out_json, out_md
        The results, the table of the top blocks, the scores and the score table (``None``:
        no table).
    cfg
        The validated configuration: ``applications`` (the settings, :data:`SETTINGS`) and
        ``data.label``.
    """
    data_label = cfg["data"]["label"]
    model = load_model(model_path)
    record = load_record(windows_path)
    ds, table = score_anomalies(model, record, **application_settings(cfg, "anomaly", SETTINGS))
    ds.attrs.update({"model": str(model_path), "data_label": data_label})
    summary = summarise(ds, table)
    summary["data_label"] = data_label
    with atomic_path(out_csv) as tmp:
        table.drop(columns="block").to_csv(tmp, index=False)
    write_results(ds, out_nc, summary, out_json, markdown(summary), out_md)
    return summary
