"""Anomaly scores from the trained VAE over the whole record, and detection of injected faults.

Scores (:func:`seasonal_vae.model.inference.elbo_terms`: encoder posterior, decoder at its mean,
no optimisation):

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

:func:`score_faults` injects synthetic faults into the central block of held-out windows of
five blocks — stuck values (24–48 h at the first value), spikes (three single hours of
±15 °F), a shift of ±5 °F over 24–72 h, and a unit mix-up (one calendar day stored in °C) —
and measures each detector's ROC AUC of faulty against the same blocks left clean.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.model import inference as inf
from seasonal_vae.core.errors import InputError
from seasonal_vae.model.vae import SeasonalVAE
from seasonal_vae.evaluation.scores import roc_auc
from seasonal_vae.core.calendar import HOURS_PER_LATENT_STEP as BLOCK
from seasonal_vae.data.windows import SPLITS

log = logging.getLogger(__name__)

FAULTS = ("stuck", "spikes", "shift", "units")
FAULT_LABELS = {"stuck": "stuck value (24-48 h)", "spikes": "3 spikes of ±15 °F",
                "shift": "±5 °F shift (24-72 h)", "units": "one day stored in °C"}
DETECTORS = ("vae_elbo", "vae_season", "vae_max", "z_mean", "z_max")
DETECTOR_LABELS = {"vae_elbo": "VAE: −ELBO per hour",
                   "vae_season": "VAE: −ELBO, seasonally standardised",
                   "vae_max": "VAE: max hourly score",
                   "z_mean": "z-score: block mean", "z_max": "z-score: block max"}
DEFAULTS = {"n_cases": 200, "top": 10, "min_observed": 48, "seed": 2024}
CONTEXT_BLOCKS = 5  # fault windows: two clean blocks either side of the scored one


def block_scores(nll: np.ndarray, kl: np.ndarray, min_observed: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """Negative ELBO per observed hour and the largest hourly score of each 96-hour block.

    Parameters
    ----------
    nll
        ``(..., 96k)`` per-hour scores (NaN where unobserved).
    kl
        ``(..., k)`` KL per latent step.
    min_observed
        Blocks with fewer observed hours score NaN.
    """
    blocks = nll.reshape(nll.shape[:-1] + (-1, BLOCK))
    n_obs = np.isfinite(blocks).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        elbo = (np.nansum(blocks, axis=-1) + kl) / n_obs
        peak = np.nanmax(np.where(np.isfinite(blocks), blocks, -np.inf), axis=-1)
    few = n_obs < min_observed
    return np.where(few, np.nan, elbo), np.where(few, np.nan, peak)


def zscores(adjusted, times, clim_mean: np.ndarray, clim_std: np.ndarray) -> np.ndarray:
    """``|x − clim mean| / clim std`` per hour (month × hour climatology)."""
    return np.abs(adjusted - inf.lookup(clim_mean, times)) / inf.lookup(clim_std, times)


def _block_reduce(values: np.ndarray, how: str) -> np.ndarray:
    """Mean or max over each 96-hour block (NaN ignored; all-NaN blocks give NaN)."""
    blocks = values.reshape(values.shape[:-1] + (-1, BLOCK))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN blocks
        return np.nanmean(blocks, axis=-1) if how == "mean" else np.nanmax(blocks, axis=-1)


def block_months(block_start) -> np.ndarray:
    """Calendar month of the centre of each 96-hour block."""
    centre = pd.DatetimeIndex(np.asarray(block_start, dtype="datetime64[ns]").ravel()) \
        + pd.Timedelta(hours=BLOCK // 2)
    return centre.month.to_numpy().reshape(np.shape(block_start))


def season_table(scores: np.ndarray, months: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of block scores per calendar month (``(12,)`` each) over ``keep``."""
    mean, std = np.full(12, np.nan), np.full(12, np.nan)
    for m in range(1, 13):
        s = scores[keep & (months == m) & np.isfinite(scores)]
        if s.size > 1:
            mean[m - 1], std[m - 1] = s.mean(), s.std(ddof=1)
    return mean, std


def score_record(model: SeasonalVAE, record: inf.Record, min_observed: int = 48) -> xr.Dataset:
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
        raise InputError("windows file", "the record has no local midnight",
                         "give a record of at least a few days")
    first = int(midnight[0])
    n_blocks = (len(record.times) - first) // BLOCK
    if n_blocks < 1:
        raise InputError("windows file", "the record is shorter than one 96-hour block after "
                         "its first midnight", "give a longer record")
    sl = slice(first, first + n_blocks * BLOCK)
    adjusted = record.adjusted[sl]
    times = record.times[sl]
    mask = np.isfinite(adjusted)
    x = inf.standardise(model, np.where(mask, adjusted, 0.0))
    nll, kl, recon = inf.elbo_terms(model, x[None], mask[None], times.values[:1], batch=1)
    nll, kl, recon = nll[0], kl[0], recon[0]
    neg_elbo, peak = block_scores(nll, kl, min_observed)
    clim_mean, clim_std = inf.climatology(record)
    z = zscores(adjusted, times.values, clim_mean, clim_std)
    anomaly = adjusted - inf.lookup(clim_mean, times.values)
    trend = record.trend(sl)
    observed = adjusted + trend
    jumps = np.abs(np.diff(observed, prepend=observed[0]))
    split = record.split[sl].reshape(n_blocks, BLOCK)
    block_split = np.where((split == split[:, :1]).all(axis=1), split[:, 0], 0).astype("int8")
    months = block_months(times.values[::BLOCK])
    season_mean, season_std = season_table(neg_elbo, months, block_split == SPLITS["train"])
    blocks = xr.Dataset(
        {"block_start": ("block", times.values[::BLOCK]),
         "neg_elbo": ("block", neg_elbo, {"units": "nats per hour",
                      "long_name": "negative ELBO per hour (standard units)"}),
         "neg_elbo_season": ("block", (neg_elbo - season_mean[months - 1]) / season_std[months - 1],
                             {"long_name": "negative ELBO per hour, standardised by calendar month"}),
         "season_mean": ("month", season_mean), "season_std": ("month", season_std),
         "kl": ("block", kl / BLOCK, {"units": "nats per hour", "long_name": "KL per hour"}),
         "max_hour": ("block", peak, {"units": "nats", "long_name": "largest hourly score"}),
         "z_mean": ("block", _block_reduce(z, "mean"), {"long_name": "mean climatological z-score"}),
         "z_max": ("block", _block_reduce(z, "max"), {"long_name": "max climatological z-score"}),
         "temperature": ("block", _block_reduce(observed, "mean"), {"units": "degF"}),
         "anomaly": ("block", _block_reduce(anomaly, "mean"), {"units": "degF",
                     "long_name": "mean anomaly vs training-year month x hour climatology"}),
         "max_jump": ("block", _block_reduce(jumps, "max"), {"units": "degF",
                      "long_name": "largest hour-to-hour change"}),
         "split": ("block", block_split, {"flag_values": [0, 1, 2],
                   "flag_meanings": "mixed_or_unused training held_out"})},
        coords={"block": np.arange(n_blocks), "month": np.arange(1, 13)})
    hours = xr.Dataset(
        {"hour_score": ("time", nll.astype("float32"), {"units": "nats",
                        "long_name": "-log N(x | reconstruction, noise variance), standard units"}),
         "observed": ("time", observed.astype("float32"), {"units": "degF"}),
         "reconstruction": ("time", (inf.to_degf(model, recon) + trend).astype("float32"),
                            {"units": "degF", "long_name": "decoder mean at the encoder's "
                             "posterior mean, trend put back"})},
        coords={"time": times.values})
    return xr.merge([blocks, hours])


def top_blocks(ds: xr.Dataset, n: int = 10) -> pd.DataFrame:
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
        kind = ("jump" if ds["max_jump"].values[b] > jump_limit else
                "hot" if anomaly > sigma else "cold" if anomaly < -sigma else "shape")
        rows.append({"rank": rank, "start": f"{start:%Y-%m-%d %H:%M}",
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
                     "kind": kind, "block": int(b)})
    return pd.DataFrame(rows)


# --- synthetic faults ------------------------------------------------------------------------

def inject(observed: np.ndarray, fault: str, rng: np.random.Generator, lo: int, hi: int,
           day_starts: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A copy of a 1-D observed series (°F) with one fault inside ``[lo, hi)``.

    Parameters
    ----------
    fault
        ``stuck`` (the value at a random hour repeated for 24–48 h), ``spikes`` (three
        distinct hours ±15 °F, random signs), ``shift`` (±5 °F for 24–72 h) or ``units``
        (one calendar day converted to °C, ``(°F − 32)·5/9``).
    day_starts
        Indices of local midnights in ``[lo, hi)`` (for ``units``; default ``lo``, ``lo+24``…).

    Returns
    -------
    faulty, affected : numpy.ndarray
        The modified series and a mask of the hours whose value changed or was replaced.
    """
    out = np.array(observed, dtype="float64")
    affected = np.zeros(out.shape, dtype=bool)
    if fault == "stuck":
        length = int(rng.integers(24, 49))
        start = int(rng.integers(lo, hi - length + 1))
        out[start:start + length] = out[start]
        affected[start + 1:start + length] = True
    elif fault == "spikes":
        hours = rng.choice(np.arange(lo, hi), size=3, replace=False)
        out[hours] += 15.0 * rng.choice([-1.0, 1.0], size=3)
        affected[hours] = True
    elif fault == "shift":
        length = int(rng.integers(24, 73))
        start = int(rng.integers(lo, hi - length + 1))
        out[start:start + length] += 5.0 * rng.choice([-1.0, 1.0])
        affected[start:start + length] = True
    elif fault == "units":
        days = np.arange(lo, hi - 23, 24) if day_starts is None else np.asarray(day_starts)
        start = int(rng.choice(days))
        out[start:start + 24] = (out[start:start + 24] - 32.0) * 5.0 / 9.0
        affected[start:start + 24] = True
    else:
        raise ValueError(f"unknown fault {fault!r}; use one of {FAULTS}")
    return out, affected


def score_windows(model: SeasonalVAE, adjusted: np.ndarray, starts, clim_mean, clim_std,
                  times: np.ndarray, season: tuple[np.ndarray, np.ndarray],
                  min_observed: int = 48) -> dict[str, np.ndarray]:
    """Every detector's score of every block of windows ``(N, 96k)`` (adjusted °F).

    ``season`` is the ``(mean, std)`` per calendar month of :func:`season_table`.
    """
    mask = np.isfinite(adjusted)
    nll, kl, _ = inf.elbo_terms(model, inf.standardise(model, np.where(mask, adjusted, 0.0)),
                                mask, starts)
    neg_elbo, peak = block_scores(nll, kl, min_observed)
    z = zscores(adjusted, times, clim_mean, clim_std)
    months = block_months(times[:, ::BLOCK])
    standardised = (neg_elbo - season[0][months - 1]) / season[1][months - 1]
    return {"vae_elbo": neg_elbo, "vae_season": standardised, "vae_max": peak, "z_mean": _block_reduce(z, "mean"),
            "z_max": _block_reduce(z, "max")}


def score_faults(model: SeasonalVAE, record: inf.Record, season: tuple[np.ndarray, np.ndarray],
                 n_cases: int = 200, seed: int = 2024) -> xr.Dataset:
    """Scores of held-out blocks, clean and with each synthetic fault, for every detector.

    ``season``: the per-month mean and std of the training blocks' −ELBO (from
    :func:`score_record`), for the seasonally standardised detector.

    Returns
    -------
    xarray.Dataset
        ``clean`` (detector, case) and ``faulty`` (fault, detector, case) scores of the central
        block of each window; ``auc`` (fault, detector); ``case_start`` (the scored block's
        first hour); and for case 0 an example (``example_*`` on ``hour``).
    """
    length = CONTEXT_BLOCKS * BLOCK
    candidates = inf.window_starts(record, length)
    if candidates.size == 0:
        raise InputError("held-out years", f"no stretch of {length} h without missing values",
                         "use a record with longer complete held-out years")
    rng = np.random.default_rng(seed)
    index = np.sort(rng.choice(candidates, size=n_cases, replace=candidates.size < n_cases))
    idx = index[:, None] + np.arange(length)
    adjusted = record.adjusted[idx]
    times = record.times.values[idx]
    trend = record.trend(idx.ravel()).reshape(idx.shape)
    lo, hi = 2 * BLOCK, 3 * BLOCK
    versions = [adjusted]
    affected = {}
    for fault in FAULTS:
        faulty = np.empty_like(adjusted)
        hit = np.zeros(adjusted.shape, dtype=bool)
        for c in range(n_cases):
            out, aff = inject(adjusted[c] + trend[c], fault, rng, lo, hi)
            faulty[c], hit[c] = out - trend[c], aff
        versions.append(faulty)
        affected[fault] = hit
    clim_mean, clim_std = inf.climatology(record)
    stacked = np.concatenate(versions)
    scores = score_windows(model, stacked, np.tile(times[:, 0], len(versions)), clim_mean,
                           clim_std, np.tile(times, (len(versions), 1)), season)
    centre = {d: s[:, 2].reshape(len(versions), n_cases) for d, s in scores.items()}
    clean = np.stack([centre[d][0] for d in DETECTORS])
    faulty = np.stack([np.stack([centre[d][1 + f] for d in DETECTORS]) for f in range(len(FAULTS))])
    auc = np.array([[roc_auc(faulty[f, d], clean[d]) for d in range(len(DETECTORS))]
                    for f in range(len(FAULTS))])
    # example: case 0, clean and each fault, with the VAE's hourly scores
    ex_rows = np.arange(len(versions)) * n_cases
    ex_adjusted = stacked[ex_rows]
    mask = np.isfinite(ex_adjusted)
    nll, _, recon = inf.elbo_terms(model, inf.standardise(model, ex_adjusted), mask,
                                   np.tile(times[0, :1], len(versions)))
    return xr.Dataset(
        {"clean": (("detector", "case"), clean),
         "faulty": (("fault", "detector", "case"), faulty),
         "auc": (("fault", "detector"), auc, {"long_name": "ROC AUC, faulty vs clean blocks"}),
         "case_start": ("case", times[:, lo]),
         "fault_label": ("fault", np.array([FAULT_LABELS[f] for f in FAULTS])),
         "example_time": ("hour", times[0]),
         "example_value": (("version", "hour"), ex_adjusted + trend[0],
                           {"units": "degF", "long_name": "observed temperature"}),
         "example_reconstruction": (("version", "hour"), inf.to_degf(model, recon) + trend[0],
                                    {"units": "degF"}),
         "example_hour_score": (("version", "hour"), nll, {"units": "nats"}),
         "example_affected": (("fault", "hour"),
                              np.stack([affected[f][0] for f in FAULTS]).astype("int8"))},
        coords={"fault": np.array(FAULTS), "detector": np.array(DETECTORS),
                "case": np.arange(n_cases), "hour": np.arange(length),
                "version": np.array(("clean",) + FAULTS)},
        attrs={"scored_block": "hours 192-287 of each 480-hour window (the third 4-day block)"})


def score_anomalies(model: SeasonalVAE, record: inf.Record, n_cases: int = DEFAULTS["n_cases"],
                    top: int = DEFAULTS["top"], min_observed: int = DEFAULTS["min_observed"],
                    seed: int = DEFAULTS["seed"]) -> tuple[xr.Dataset, pd.DataFrame]:
    """Whole-record scores, the top blocks and the fault-detection experiment in one data set."""
    log.info("anomaly: scoring the whole record (%d hours)", len(record.times))
    rec = score_record(model, record, min_observed)
    table = top_blocks(rec, top)
    log.info("anomaly: %d held-out windows x %d fault types", n_cases, len(FAULTS))
    faults = score_faults(model, record, (rec["season_mean"].values, rec["season_std"].values),
                          n_cases, seed)
    ds = xr.merge([rec, faults.rename({"example_time": "fault_example_time",
                                       "hour": "fault_hour"})])
    ds["top_block"] = ("rank", table["block"].to_numpy())
    ds = ds.assign_coords(rank=np.arange(1, len(table) + 1))
    ds.attrs = {"title": "Anomaly scores of the VAE over the record, and detection of injected "
                         "faults on held-out years",
                "noise_sigma_degF": model.noise_sigma * model.data_std,
                "scored_block": faults.attrs["scored_block"],
                **inf.settings_attrs({"n_cases": n_cases, "top": top,
                                      "min_observed": min_observed, "seed": seed})}
    return ds, table


def summarise(ds: xr.Dataset, table: pd.DataFrame) -> dict:
    """AUC table, score statistics by split and the top blocks, for JSON."""
    def stats(split):
        s = ds["neg_elbo"].values[ds["split"].values == split]
        s = s[np.isfinite(s)]
        return {"n_blocks": int(s.size), "mean": float(s.mean()) if s.size else None,
                "p99": float(np.percentile(s, 99)) if s.size else None}

    return {"title": ds.attrs["title"],
            "settings": {k: ds.attrs[k] for k in ("n_cases", "top", "min_observed", "seed")},
            "noise_sigma_degF": float(ds.attrs["noise_sigma_degF"]),
            "auc": {str(f): {str(d): float(ds["auc"].sel(fault=f, detector=d))
                             for d in ds["detector"].values} for f in ds["fault"].values},
            "block_neg_elbo": {"training": stats(SPLITS["train"]), "held_out": stats(SPLITS["val"])},
            "top": table.drop(columns="block").to_dict(orient="records"),
            "notes": "Blocks are 4 days (one latent step) from local midnight; faults are "
                     "injected into the third of five consecutive held-out blocks and "
                     "compared with the same blocks clean. z-score = |x - clim(month, hour)| "
                     "/ std(month, hour) from the training years."}


def markdown(summary: dict) -> str:
    """AUC table and top blocks (Markdown)."""
    head = "| fault | " + " | ".join(DETECTOR_LABELS[d] for d in DETECTORS) + " |\n"
    head += "|---" * (len(DETECTORS) + 1) + "|\n"
    lines = []
    for fault in FAULTS:
        values = [summary["auc"][fault][d] for d in DETECTORS]
        best = max(values)
        lines.append(f"| {FAULT_LABELS[fault]} | " + " | ".join(
            f"**{v:.3f}**" if v == best else f"{v:.3f}" for v in values) + " |")
    n = summary["settings"]["n_cases"]
    out = (f"ROC AUC of injected faults vs the same held-out 4-day blocks clean ({n} blocks per "
           "fault; best in bold)\n\n" + head + "\n".join(lines) + "\n\n")
    out += ("Highest-scoring 4-day blocks of the record (negative ELBO per hour, standardised "
            "by calendar month: std units above the month's mean)\n\n"
            "| rank | start | split | seasonal score | −ELBO/h | KL/h | mean °F | anomaly °F "
            "| max jump °F | kind |\n|---|---|---|---|---|---|---|---|---|---|\n")
    for r in summary["top"]:
        out += (f"| {r['rank']} | {r['start']} | {r['split']} | {r['score_seasonal']:.2f} | "
                f"{r['neg_elbo_per_hour']:.3f} | "
                f"{r['kl_per_hour']:.3f} | {r['mean_temperature_degF']:.1f} | "
                f"{r['anomaly_degF']:+.1f} | {r['max_jump_degF']:.1f} | {r['kind']} |\n")
    return out


def anomaly_file(model_path: str | Path, windows_path: str | Path, out_nc: str | Path,
                 out_csv: str | Path, out_json: str | Path, out_md: str | Path | None = None,
                 data_label: str = "", **settings) -> dict:
    """Run :func:`score_anomalies` on pipeline files; write netCDF, CSV, JSON and Markdown."""
    from seasonal_vae.core.atomic import atomic_path
    from seasonal_vae.model.train import load_model

    model = load_model(model_path)
    record = inf.load_record(windows_path)
    ds, table = score_anomalies(model, record, **{**DEFAULTS, **settings})
    ds.attrs.update({"model": str(model_path), "data_label": data_label})
    summary = summarise(ds, table)
    summary["data_label"] = data_label
    with atomic_path(out_csv) as tmp:
        table.drop(columns="block").to_csv(tmp, index=False)
    inf.write_results(ds, out_nc, summary, out_json, markdown(summary), out_md)
    return summary
