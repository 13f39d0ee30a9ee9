"""Ensemble forecasts of the next days from the trained VAE, scored on held-out years.

:func:`forecast` conditions the model on the last days of observations (the window begins
``context_days`` before the forecast's first hour, at local midnight) with everything after
unknown, exactly as gap filling does (:func:`seasonal_vae.model.posterior.condition`): latent
steps after the last observation are governed by the seasonal prior p(z | θ) through the KL
term, except where the decoder's receptive field (about one 4-day step) ties them to the
observed days. Members include the learned observation noise.

Because the prior has no memory from one latent step to the next, the model can carry
the observed weather only a few days ahead; beyond that its forecast is a draw from its own
seasonal climate. :func:`score_forecasts` measures exactly this, by lead time, against

* ``climatology``: an ensemble of the training years' trajectories from the same calendar
  date and hour (one member per training year, adjusted to the reference climate);
* ``persistence``: the last observed day repeated; its ensemble (for CRPS) adds the
  persistence errors of the same training-year trajectories (what persistence got wrong on
  that date in each training year). Its MAE is that of the plain repeated day.

MAE is that of the ensemble mean for the VAE and climatology. Forecasts are issued at local
midnight at random (seeded) dates in the held-out years; scores in °F. With
``spread="calibrate"`` the ensemble's spread is first chosen on forecasts from training-year
dates (:func:`seasonal_vae.applications.spread.choose_spread`). :func:`forecast_file` runs it
on the pipeline's files with the settings of the configuration.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.applications.cases import context_windows, draw_issues
from seasonal_vae.applications.results import (
    CENTRAL_90,
    EXAMPLE_MEMBERS,
    EXAMPLE_QUANTILES,
    application_settings,
    bold_best,
    parse_spread,
    run_on_files,
    settings_attrs,
    spread_attrs,
    spread_note,
    spread_summary,
)
from seasonal_vae.applications.spread import spread_for_forecasts
from seasonal_vae.core.calendar import HOURS_PER_LATENT_STEP
from seasonal_vae.core.errors import InputError
from seasonal_vae.evaluation.scores import crps_ensemble
from seasonal_vae.model.posterior import condition
from seasonal_vae.model.record import Record, noise_sigma_degf
from seasonal_vae.model.vae import SeasonalVAE

log = logging.getLogger(__name__)

METHODS = ("vae", "climatology", "persistence")
METHOD_LABELS = {
    "vae": "VAE ensemble",
    "climatology": "climatology (training years)",
    "persistence": "persistence (last day)",
}
#: The settings of :func:`score_forecasts`, as the configuration names them
#: (``applications.forecast.*``, else ``applications.*``).
SETTINGS = ("n_cases", "context_days", "lead_days", "n_members", "n_steps", "learning_rate", "seed", "spread")


def window_hours(context_days: int, lead_days: int) -> int:
    """Length of the conditioning window: context plus lead, rounded up to whole 96-h steps."""
    hours = 24 * (context_days + lead_days)
    return HOURS_PER_LATENT_STEP * math.ceil(hours / HOURS_PER_LATENT_STEP)


def forecast(
    model: SeasonalVAE,
    context,
    window_start,
    lead_hours: int,
    *,
    n_members: int,
    n_steps: int,
    learning_rate: float,
    noise: bool = True,
    seed: int = 0,
    spread: float = 1.0,
) -> np.ndarray:
    """Ensemble forecasts of ``lead_hours`` after each context.

    Parameters
    ----------
    context
        ``(N, C)`` adjusted (detrended) °F of the hours just before the forecast (``C`` a
        multiple of 24 so that ``window_start`` is a local midnight); NaN counts as missing.
    window_start
        ``(N,)`` timestamp of each context's first hour (local midnight).
    lead_hours
        Hours to forecast.
    n_members, n_steps, learning_rate, noise, seed, spread
        As for :func:`seasonal_vae.model.posterior.condition`.

    Returns
    -------
    numpy.ndarray
        ``(N, M, lead_hours)`` adjusted °F.
    """
    values, mask = context_windows(context, lead_hours)
    n, c = context.shape
    chunks, _ = condition(
        model,
        values,
        mask,
        window_start,
        n_members=n_members,
        noise=noise,
        n_steps=n_steps,
        learning_rate=learning_rate,
        seed=seed,
        spread=spread,
    )
    out = np.empty((n, n_members, lead_hours))
    for rows, members in chunks:  # a few windows at a time: only the lead hours are kept
        out[rows] = members[:, :, c : c + lead_hours]
    return out


def analogs(record: Record, issue: pd.Timestamp, before: int, after: int) -> np.ndarray:
    """Training-year trajectories around the same calendar date and hour as ``issue``.

    Returns ``(n_years, before + after)`` adjusted °F, from ``before`` hours before the
    date-and-hour in each training year to ``after`` hours after it; only years whose whole
    trajectory lies in training years with no missing value (29 February maps to the 28th).
    """
    rows = []
    for year in record.training_years:
        day = min(issue.day, 28) if (issue.month, issue.day) == (2, 29) else issue.day
        t = pd.Timestamp(year=int(year), month=issue.month, day=day, hour=issue.hour)
        i = record.times.searchsorted(t)
        if i >= len(record.times) or record.times[i] != t or i < before or i + after > len(record.times):
            continue
        sl = slice(i - before, i + after)
        if record.training[sl].all() and np.isfinite(record.adjusted[sl]).all():
            rows.append(record.adjusted[sl])
    return np.array(rows).reshape(len(rows), before + after)


def baselines(
    record: Record, issue: pd.Timestamp, last_day: np.ndarray, lead_hours: int
) -> dict[str, np.ndarray]:
    """Climatology and persistence ensembles ``(M, lead_hours)`` and the persistence forecast."""
    traj = analogs(record, issue, 24, lead_hours)
    if len(traj) == 0:
        raise InputError(
            "training years",
            f"none has data around {issue:%m-%d %H:%M}",
            "use a record with more complete training years",
        )
    repeat = np.arange(lead_hours) % 24
    persistence = np.asarray(last_day)[repeat]
    errors = traj[:, 24:] - traj[:, :24][:, repeat]
    return {
        "climatology": traj[:, 24:],
        "persistence_ensemble": persistence + errors,
        "persistence": persistence,
    }


def score_forecasts(
    model: SeasonalVAE,
    record: Record,
    n_cases: int,
    context_days: int,
    lead_days: int,
    n_members: int,
    n_steps: int,
    learning_rate: float,
    seed: int,
    spread: float | str = 1.0,
) -> xr.Dataset:
    """Forecast from random held-out dates with the three methods and score every lead hour.

    The arguments are the settings of ``applications.forecast`` and ``applications``
    (:data:`SETTINGS`; see the schema for their meaning). ``spread``: the factor on q's
    standard deviation, or ``"calibrate"`` to choose it on training-year dates (seed + 1).

    Returns
    -------
    xarray.Dataset
        ``crps`` and ``abs_error`` on (case, lead, method) in °F, ``coverage90`` of the VAE
        (case, lead), ``issue_time`` (case); and an example (case 0): the last 4 context days,
        the truth, quantiles of the VAE and climatology ensembles, the persistence forecast.
    """
    lead = 24 * lead_days
    ctx = 24 * context_days
    spread, calibration = parse_spread(spread), None
    fit = dict(n_members=n_members, n_steps=n_steps, learning_rate=learning_rate, seed=seed)
    if spread == "calibrate":
        spread, calibration = spread_for_forecasts(model, record, n_cases, context_days, lead_days, **fit)
    issue = draw_issues(record, n_cases, context_days, lead_days, seed)
    idx = issue[:, None] + np.arange(-ctx, lead)[None, :]
    values = record.adjusted[idx]
    context, truth = values[:, :ctx], values[:, ctx:]
    log.info(
        "forecast: %d held-out issue dates, %d days of context, %d lead days, %d members, %d steps",
        n_cases,
        context_days,
        lead_days,
        n_members,
        n_steps,
    )
    vae = forecast(
        model,
        context,
        record.times.values[issue - ctx],
        lead,
        **fit,
        spread=spread,
    )
    crps = np.empty((n_cases, lead, len(METHODS)))
    abs_error = np.empty_like(crps)
    clim_q = None
    persistence0 = None
    for c in range(n_cases):
        base = baselines(record, record.times[issue[c]], context[c, -24:], lead)
        ensembles = {
            "vae": vae[c].T,
            "climatology": base["climatology"].T,
            "persistence": base["persistence_ensemble"].T,
        }
        point = {
            "vae": vae[c].mean(axis=0),
            "climatology": base["climatology"].mean(axis=0),
            "persistence": base["persistence"],
        }
        for j, m in enumerate(METHODS):
            crps[c, :, j] = crps_ensemble(truth[c], ensembles[m])
            abs_error[c, :, j] = np.abs(point[m] - truth[c])
        if c == 0:
            clim_q = np.quantile(base["climatology"], EXAMPLE_QUANTILES, axis=0)
            persistence0 = base["persistence"]
    lo, hi = np.quantile(vae, CENTRAL_90, axis=1)
    coverage = ((truth >= lo) & (truth <= hi)).astype(float)

    shown = min(ctx, 96)
    ex_idx = issue[0] + np.arange(-shown, lead)
    trend = record.trend(ex_idx)
    lead_trend = trend[shown:]
    return xr.Dataset(
        {
            "crps": (("case", "lead", "method"), crps, {"units": "degF"}),
            "abs_error": (
                ("case", "lead", "method"),
                abs_error,
                {
                    "units": "degF",
                    "long_name": "absolute error of the ensemble mean (persistence: of the "
                    "repeated last day)",
                },
            ),
            "coverage90": (("case", "lead"), coverage, {"long_name": "truth inside the VAE 5-95 % range"}),
            "issue_time": ("case", record.times.values[issue]),
            "example_time": ("example_hour", record.times.values[ex_idx]),
            "example_observed": ("example_hour", record.adjusted[ex_idx] + trend, {"units": "degF"}),
            "example_vae_quantile": (
                ("quantile", "lead"),
                np.quantile(vae[0], EXAMPLE_QUANTILES, axis=0) + lead_trend,
                {"units": "degF"},
            ),
            "example_vae_member": (
                ("member", "lead"),
                vae[0, :EXAMPLE_MEMBERS] + lead_trend,
                {"units": "degF"},
            ),
            "example_climatology_quantile": (("quantile", "lead"), clim_q + lead_trend, {"units": "degF"}),
            "example_persistence": ("lead", persistence0 + lead_trend, {"units": "degF"}),
        },
        coords={
            "case": np.arange(n_cases),
            "lead": (
                "lead",
                np.arange(1, lead + 1),
                {"units": "hours", "long_name": "lead time (hour 1 = 00:00-01:00 of the first day)"},
            ),
            "method": np.array(METHODS),
            "quantile": np.array(EXAMPLE_QUANTILES),
            "member": np.arange(min(EXAMPLE_MEMBERS, n_members)),
            "example_hour": np.arange(-shown, lead),
        },
        attrs={
            "title": "Forecasts from held-out dates: VAE ensemble vs climatology and persistence",
            "noise_sigma_degF": noise_sigma_degf(model),
            **settings_attrs(
                {
                    "n_cases": n_cases,
                    "context_days": context_days,
                    "lead_days": lead_days,
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


def by_lead_day(ds: xr.Dataset) -> xr.Dataset:
    """Mean CRPS, MAE and VAE coverage per lead day (1 = the first 24 hours)."""
    day = xr.DataArray((ds["lead"].values - 1) // 24 + 1, dims="lead", name="lead_day")
    out = ds[["crps", "abs_error", "coverage90"]].groupby(day).mean(dim=("lead", "case"))
    return out.rename({"abs_error": "mae"})


def summarise(ds: xr.Dataset) -> dict:
    """Scores by lead day and over the whole horizon, for JSON."""
    daily = by_lead_day(ds)
    rows = []
    for d in daily["lead_day"].values:
        sel = daily.sel(lead_day=d)
        rows.append(
            {
                "lead_day": int(d),
                "crps": {str(m): float(sel["crps"].sel({"method": m})) for m in METHODS},
                "mae": {str(m): float(sel["mae"].sel({"method": m})) for m in METHODS},
                "vae_coverage_90": float(sel["coverage90"]),
            }
        )
    overall = {
        "crps": {m: float(ds["crps"].sel({"method": m}).mean()) for m in METHODS},
        "mae": {m: float(ds["abs_error"].sel({"method": m}).mean()) for m in METHODS},
        "vae_coverage_90": float(ds["coverage90"].mean()),
    }
    return {
        "title": ds.attrs["title"],
        "units": "degF",
        "settings": {k: ds.attrs[k] for k in SETTINGS},
        "noise_sigma_degF": float(ds.attrs["noise_sigma_degF"]),
        "by_lead_day": rows,
        "all_leads": overall,
        **spread_summary(ds.attrs),
        "notes": "Issued at local midnight on held-out dates; climatology = the training "
        "years' trajectories from the same date; persistence = last observed day "
        "repeated (CRPS: plus the training years' persistence errors on that date). "
        "VAE and climatology MAE of the ensemble mean.",
    }


def markdown(summary: dict) -> str:
    """Scores by lead day (Markdown)."""
    head = (
        "| lead day | CRPS VAE | CRPS clim. | CRPS persist. | MAE VAE | MAE clim. "
        "| MAE persist. | VAE 90 % coverage |\n|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for row in summary["by_lead_day"] + [{"lead_day": "all", **summary["all_leads"]}]:
        cells = [str(row["lead_day"])]
        for key in ("crps", "mae"):
            values = [row[key][m] for m in METHODS]
            cells += bold_best(values)
        cov = row.get("vae_coverage_90")
        cells.append(f"{100 * cov:.0f} %" if cov is not None else "")
        lines.append("| " + " | ".join(cells) + " |")
    st = summary["settings"]
    return (
        f"Forecasts from {st['n_cases']} held-out dates after {st['context_days']} observed "
        f"days (°F; VAE ensemble of {st['n_members']}{spread_note(summary)}; best in bold)\n\n"
        + head
        + "\n".join(lines)
        + "\n"
    )


def forecast_file(
    model_path: str | Path,
    windows_path: str | Path,
    out_nc: str | Path,
    out_json: str | Path,
    out_md: str | Path | None,
    cfg: dict,
) -> dict:
    """Run :func:`score_forecasts` on pipeline files; write netCDF, JSON and Markdown.

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
        score_forecasts,
        summarise,
        markdown,
        model_path,
        windows_path,
        out_nc,
        out_json,
        out_md,
        cfg["data"]["label"],
        application_settings(cfg, "forecast", SETTINGS),
    )
