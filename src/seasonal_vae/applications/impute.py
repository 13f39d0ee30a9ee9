"""Gap filling with the trained VAE, scored against simple fills on held-out years.

:func:`impute` fills the unobserved hours of windows with an ensemble of plausible values
(:func:`seasonal_vae.model.posterior.condition`: a posterior over the latents fitted to the observed
hours, then draws with the learned observation noise). Two deterministic baselines of
:mod:`seasonal_vae.applications.fills` fill the same gaps: ``linear`` (interpolation between the
hours either side) and ``climatology`` (the training years' month × hour mean, shifted to the
anomaly of the observed neighbours).

:func:`score_imputation` cuts gaps of several lengths (``applications.imputation.gap_hours``:
6 h, 24 h, 72 h and 7 days by default) at random positions (seeded) in windows of held-out
years, fills them with the three methods and scores the fill of every gap hour: MAE and RMSE
of the ensemble mean (VAE) or the fill (baselines), CRPS of the ensemble, and the share of
true values inside the VAE's central 90 % interval. All scores are in °F (detrending shifts
truth and fill alike, so it cancels). With ``spread="calibrate"`` the ensemble's spread is first
chosen on gaps cut the same way from training years
(:func:`seasonal_vae.applications.spread.choose_spread`). :func:`impute_file` runs it on the
pipeline's files with the settings of the configuration.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import xarray as xr

from seasonal_vae.applications.cases import draw_cases, gapped_windows
from seasonal_vae.applications.fills import climatology_fill, linear_fill
from seasonal_vae.applications.results import (
    CENTRAL_90,
    EXAMPLE_MEMBERS,
    EXAMPLE_QUANTILES,
    application_settings,
    bold_best,
    gap_label,
    parse_spread,
    run_on_files,
    settings_attrs,
    spread_attrs,
    spread_note,
    spread_summary,
)
from seasonal_vae.applications.spread import spread_for_imputation
from seasonal_vae.data.climatology import lookup
from seasonal_vae.evaluation.scores import crps_ensemble
from seasonal_vae.model.posterior import condition
from seasonal_vae.model.record import Record, noise_sigma_degf, training_climatology
from seasonal_vae.model.vae import SeasonalVAE

log = logging.getLogger(__name__)

METHODS = ("vae", "linear", "climatology")
METHOD_LABELS = {
    "vae": "VAE ensemble",
    "linear": "linear interpolation",
    "climatology": "climatology + diurnal profile",
}
#: The settings of :func:`score_imputation`, as the configuration names them
#: (``applications.imputation.*``, else ``applications.*``).
SETTINGS = (
    "gap_hours",
    "n_cases",
    "context_hours",
    "margin_hours",
    "n_members",
    "n_steps",
    "learning_rate",
    "seed",
    "spread",
)


def impute(
    model: SeasonalVAE,
    values,
    mask,
    starts,
    *,
    n_members: int,
    n_steps: int,
    learning_rate: float,
    noise: bool = True,
    seed: int = 0,
    spread: float = 1.0,
) -> np.ndarray:
    """An ensemble of fills: ``(N, M, T)`` °F, equal to ``values`` wherever ``mask`` is True.

    ``values`` are adjusted (detrended) °F in windows of ``96·k`` hours beginning at local
    midnight ``starts``; see :func:`seasonal_vae.model.posterior.condition`.
    """
    chunks, _ = condition(
        model,
        values,
        mask,
        starts,
        n_members=n_members,
        noise=noise,
        n_steps=n_steps,
        learning_rate=learning_rate,
        seed=seed,
        spread=spread,
    )
    return np.concatenate([members for _, members in chunks])


def score_imputation(
    model: SeasonalVAE,
    record: Record,
    gap_hours,
    n_cases: int,
    context_hours: int,
    margin_hours: int,
    n_members: int,
    n_steps: int,
    learning_rate: float,
    seed: int,
    spread: float | str = 1.0,
) -> xr.Dataset:
    """Cut gaps out of held-out windows, fill them three ways and score every case.

    The arguments are the settings of ``applications.imputation`` and ``applications``
    (:data:`SETTINGS`; see the schema for their meaning). ``spread``: the factor on q's
    standard deviation, or ``"calibrate"`` to choose it on training-year gaps (seed + 1).

    Returns
    -------
    xarray.Dataset
        Per case (dims ``gap``, ``case``, ``method``): ``mae``, ``mse``, ``crps`` over the
        gap's hours (°F, °F², °F), the VAE's ``coverage90``; the window and gap start times;
        and, for the first case of each gap length, an example (``example_*`` on ``hour``):
        truth, observation mask, the fills and the VAE ensemble's quantiles and first
        members, in observed °F (trend put back).
    """
    gap_hours = tuple(int(g) for g in gap_hours)
    spread, calibration = parse_spread(spread), None
    fit = dict(n_members=n_members, n_steps=n_steps, learning_rate=learning_rate, seed=seed)
    if spread == "calibrate":
        cases = (gap_hours, n_cases, context_hours, margin_hours)
        spread, calibration = spread_for_imputation(model, record, *cases, **fit)
    window_index, gap_offset = draw_cases(record, gap_hours, n_cases, context_hours, margin_hours, seed)
    hours = np.arange(context_hours)
    idx = window_index[:, None] + hours[None, :]
    starts1 = record.times[window_index].values
    clim_mean, _ = training_climatology(record)
    n_gaps = len(gap_hours)
    clim = np.tile(lookup(clim_mean, record.times.values[idx]), (n_gaps, 1))
    truth, mask, starts = gapped_windows(record, window_index, gap_offset, gap_hours, context_hours)

    log.info(
        "imputation: %d gaps (%s h) in %d held-out windows of %d h; %d members, %d steps",
        truth.shape[0],
        ", ".join(map(str, gap_hours)),
        n_cases,
        context_hours,
        n_members,
        n_steps,
    )
    # the ensemble (gaps × cases, members, hours) a few windows at a time: of each window
    # only its mean, CRPS and central 90 % range are kept, and the examples' members
    example_rows = np.arange(n_gaps) * n_cases  # one example per gap length (the first case)
    chunks, _ = condition(model, truth, mask, starts, **fit, spread=spread)
    vae_fill, crps_vae, lo, hi = (np.empty_like(truth) for _ in range(4))
    example_members = np.empty((n_gaps, n_members, context_hours))
    for rows, members in chunks:
        vae_fill[rows] = members.mean(axis=1)
        crps_vae[rows] = crps_ensemble(truth[rows], members, member_axis=1)
        lo[rows], hi[rows] = np.quantile(members, CENTRAL_90, axis=1)
        shown = (example_rows >= rows.start) & (example_rows < rows.stop)
        example_members[shown] = members[example_rows[shown] - rows.start]
    fills = {
        "vae": vae_fill,
        "linear": linear_fill(truth, mask),
        "climatology": climatology_fill(truth, mask, clim),
    }
    gap = ~mask
    n_gap = gap.sum(axis=1)

    def per_case(a):  # mean over each case's gap hours → (gap, case)
        return (np.where(gap, a, 0.0).sum(axis=1) / n_gap).reshape(n_gaps, n_cases)

    mae = np.stack([per_case(np.abs(fills[m] - truth)) for m in METHODS], axis=-1)
    mse = np.stack([per_case((fills[m] - truth) ** 2) for m in METHODS], axis=-1)
    crps = mae.copy()  # deterministic fills: CRPS = absolute error
    crps[..., 0] = per_case(crps_vae)
    coverage = per_case(((truth >= lo) & (truth <= hi)).astype(float))

    # the examples, in observed °F
    trends = np.tile(record.trend(window_index[0] + hours), (n_gaps, 1))  # same window
    quant = np.quantile(example_members, EXAMPLE_QUANTILES, axis=1)  # (q, gap, hour)
    times_ex = record.times[window_index[0] + hours]

    ds = xr.Dataset(
        {
            "mae": (
                ("gap", "case", "method"),
                mae,
                {"units": "degF", "long_name": "mean absolute error of the fill over the gap"},
            ),
            "mse": (
                ("gap", "case", "method"),
                mse,
                {"units": "degF2", "long_name": "mean squared error of the fill over the gap"},
            ),
            "crps": (
                ("gap", "case", "method"),
                crps,
                {
                    "units": "degF",
                    "long_name": "mean CRPS over the gap (absolute error for deterministic fills)",
                },
            ),
            "coverage90": (
                ("gap", "case"),
                coverage,
                {"units": "1", "long_name": "share of gap hours inside the VAE's 5-95 % range"},
            ),
            "window_start": ("case", starts1),
            "gap_start": (("gap", "case"), record.times.values[window_index[None, :] + gap_offset]),
            "example_time": ("hour", times_ex.values),
            "example_truth": (
                ("gap", "hour"),
                truth[example_rows] + trends,
                {"units": "degF", "long_name": "observed temperature"},
            ),
            "example_observed": (("gap", "hour"), mask[example_rows].astype("int8")),
            "example_fill": (
                ("gap", "method", "hour"),
                np.stack([fills[m][example_rows] + trends for m in METHODS], axis=1),
                {"units": "degF", "long_name": "fill (VAE: ensemble mean)"},
            ),
            "example_quantile": (
                ("quantile", "gap", "hour"),
                quant + trends[None],
                {"units": "degF", "long_name": "VAE ensemble quantiles"},
            ),
            "example_member": (
                ("gap", "member", "hour"),
                example_members[:, :EXAMPLE_MEMBERS] + trends[:, None, :],
                {"units": "degF", "long_name": "first VAE ensemble members"},
            ),
        },
        coords={
            "gap": ("gap", np.array(gap_hours), {"units": "hours", "long_name": "gap length"}),
            "case": np.arange(n_cases),
            "method": np.array(METHODS),
            "hour": hours,
            "quantile": np.array(EXAMPLE_QUANTILES),
            "member": np.arange(min(EXAMPLE_MEMBERS, n_members)),
        },
        attrs={
            "title": "Gap filling on held-out years: VAE ensemble vs linear interpolation "
            "and climatology + diurnal profile",
            "units": "degF",
            "noise_sigma_degF": noise_sigma_degf(model),
            **settings_attrs(
                {
                    "gap_hours": gap_hours,
                    "n_cases": n_cases,
                    "context_hours": context_hours,
                    "margin_hours": margin_hours,
                    "n_members": n_members,
                    "n_steps": n_steps,
                    "learning_rate": learning_rate,
                    "seed": seed,
                    "spread": spread,
                }
            ),
            **spread_attrs(calibration),
        },
    )
    return ds


def summarise(ds: xr.Dataset) -> dict:
    """Mean scores per gap length and method (RMSE from the pooled squared errors)."""
    n = ds.sizes["case"]
    rows = []
    for gap in ds["gap"].values:
        d = ds.sel(gap=gap)
        scores = {}
        for m in ds["method"].values:
            dm = d.sel({"method": m})
            scores[str(m)] = {
                "mae": float(dm["mae"].mean()),
                "rmse": float(np.sqrt(dm["mse"].mean())),
                "crps": float(dm["crps"].mean()),
                "crps_se": float(dm["crps"].std(ddof=1) / np.sqrt(n)) if n > 1 else None,
            }
        rows.append(
            {
                "gap_hours": int(gap),
                "n_cases": int(n),
                "scores": scores,
                "vae_coverage_90": float(d["coverage90"].mean()),
            }
        )
    return {
        "title": ds.attrs["title"],
        "units": "degF",
        "settings": {k: ds.attrs[k] for k in SETTINGS},
        "noise_sigma_degF": float(ds.attrs["noise_sigma_degF"]),
        "notes": "Scores over the gap hours, averaged over cases; VAE MAE/RMSE of the "
        "ensemble mean; baselines are deterministic (CRPS = MAE). "
        "climatology = training-year month x hour mean shifted by the mean anomaly "
        "of the 24 observed hours on each side, interpolated across the gap.",
        "gaps": rows,
        **spread_summary(ds.attrs),
    }


def markdown(summary: dict) -> str:
    """The score table (Markdown)."""
    head = (
        "| gap | MAE VAE | MAE linear | MAE clim. | RMSE VAE | RMSE linear | RMSE clim. "
        "| CRPS VAE | CRPS linear | CRPS clim. | VAE 90 % coverage |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for row in summary["gaps"]:
        s = row["scores"]
        cells = [gap_label(row["gap_hours"])]
        for key in ("mae", "rmse", "crps"):
            values = [s[m][key] for m in METHODS]
            cells += bold_best(values)
        cells.append(f"{100 * row['vae_coverage_90']:.0f} %")
        lines.append("| " + " | ".join(cells) + " |")
    st = summary["settings"]
    return (
        f"Gap filling on held-out years (°F; {st['n_cases']} gaps per length, VAE ensemble "
        f"of {st['n_members']}{spread_note(summary)}; best in bold)\n\n" + head + "\n".join(lines) + "\n"
    )


def impute_file(
    model_path: str | Path,
    windows_path: str | Path,
    out_nc: str | Path,
    out_json: str | Path,
    out_md: str | Path | None,
    cfg: dict,
) -> dict:
    """Run :func:`score_imputation` on pipeline files and write netCDF, JSON and Markdown.

    Parameters
    ----------
    model_path, windows_path
        The trained model (``.keras``) and the windows file.
    out_nc, out_json, out_md
        The results, the scores and the score table (``None``: no table).
    cfg
        The validated configuration: ``applications`` (the settings, :data:`SETTINGS`) and
        ``data.label``.
    """
    return run_on_files(
        score_imputation,
        summarise,
        markdown,
        model_path,
        windows_path,
        out_nc,
        out_json,
        out_md,
        cfg["data"]["label"],
        application_settings(cfg, "imputation", SETTINGS),
    )
