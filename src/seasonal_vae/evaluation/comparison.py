"""Statistics the article shows: seasonal and diurnal profiles and lag-1 regression slopes.

All functions take an hourly :class:`xarray.DataArray` of temperature with a ``time``
dimension in the site's local standard time (naive ``datetime64``), as written to
``results/series.nc`` and ``results/samples/<prior>.nc``. Missing values (NaN) are allowed: means
skip them, and a daily or monthly mean is only formed when at least ``min_coverage`` of the
period's hours are present, so that a partial first day (a UTC record shifted into local
time starts in the evening) or a gap does not bias the aggregated series.

:func:`comparison_summary` and :func:`write_comparison` put the numbers beside the ones the
article published (:data:`ARTICLE`).
"""

from __future__ import annotations

import calendar
import copy
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats as sps

from seasonal_vae.core.atomic import atomic_path
from seasonal_vae.core.errors import InputError
from seasonal_vae.data.series import load_series, open_checked

#: Numbers published with the article's result figure (D. Kyle 2024; docs/design.md §6), in °F.
#: ``real_overall`` is what the author's processing printed for the 1974–2023 ERA5 record
#: (docs/design.md §1); the article gives no overall figures for the generated data, and reports
#: the generated profiles only as running warm by up to ≈1 °F.
ARTICLE = {
    "units": "degF",
    "lag1_slopes": {
        "real": {"hourly": 0.985, "daily": 0.982, "monthly": 0.842},
        "generated": {"hourly": 0.989, "daily": 0.978, "monthly": 0.852},
    },
    "monthly_profile": {"min": 55.0, "min_months": [1, 12], "max": 96.0, "max_months": [7]},
    "diurnal_profile": {"min": 63.5, "min_hour": 6, "max": 86.5, "max_hour": 16},
    "generated_warm_bias_max": 1.0,
    "real_overall": {"hours": 438288, "mean": 73.37, "std": 18.32, "min": 21.95, "max": 119.62},
}

_RESOLUTIONS = ("hourly", "daily", "monthly")


def _check_series(da: xr.DataArray) -> None:
    """Raise ``ValueError`` unless ``da`` is 1-D along a sorted, unique ``time`` axis."""
    if da.dims != ("time",):
        raise ValueError(f"expected a 1-D DataArray with dimension 'time', got dims {da.dims}")
    index = da.indexes["time"]
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError("the 'time' coordinate must hold datetime64 values")
    if index.tz is not None:
        raise ValueError("the 'time' coordinate must be naive local standard time")
    if not (index.is_monotonic_increasing and index.is_unique):
        raise ValueError("the 'time' coordinate must be strictly increasing")


def _time_step(da: xr.DataArray) -> pd.Timedelta:
    """The series' sampling interval: the median spacing of its timestamps."""
    index = da.indexes["time"]
    if len(index) < 2:
        raise ValueError("need at least two timestamps to infer the sampling interval")
    return pd.TimedeltaIndex(np.diff(index.values)).median()


def _period_means(da: xr.DataArray, freq: str, min_coverage: float) -> xr.DataArray:
    """Resampled means, NaN where fewer than ``min_coverage`` of the period's steps are valid.

    pandas does the resampling: without the optional ``flox`` package, xarray's resample is
    about a hundred times slower on a 50-year hourly record.
    """
    _check_series(da)
    if not 0.0 < min_coverage <= 1.0:
        raise ValueError(f"min_coverage must be in (0, 1], not {min_coverage}")
    steps_per_day = pd.Timedelta(days=1) / _time_step(da)
    resampled = da.to_series().resample(freq)
    means, counts = resampled.mean(), resampled.count()
    labels = means.index
    if freq == "MS":
        period_days = np.asarray(labels.days_in_month, dtype="float64")
    else:
        period_days = np.full(len(labels), pd.Timedelta(freq) / pd.Timedelta(days=1))
    enough = counts.to_numpy() >= np.ceil(min_coverage * period_days * steps_per_day - 1e-9)
    return xr.DataArray(np.where(enough, means.to_numpy(), np.nan), coords={"time": labels.values},
                        dims="time", name=da.name, attrs=da.attrs)


def daily_means(da: xr.DataArray, min_coverage: float = 0.9) -> xr.DataArray:
    """Calendar-day means of an hourly series, as a consecutive daily series.

    Parameters
    ----------
    da
        Hourly series with dimension ``time`` (local standard time).
    min_coverage
        Fraction of a day's hours that must be valid for its mean to be formed; days with
        fewer are NaN.

    Returns
    -------
    xarray.DataArray
        One value per calendar day, labelled with the day's start (00:00).
    """
    return _period_means(da, "1D", min_coverage)


def monthly_means(da: xr.DataArray, min_coverage: float = 0.9) -> xr.DataArray:
    """Calendar-month means of an hourly series, as a consecutive monthly series.

    Parameters
    ----------
    da
        Hourly series with dimension ``time`` (local standard time).
    min_coverage
        Fraction of a month's hours (28–31 days' worth) that must be valid for its mean to
        be formed; months with fewer are NaN.

    Returns
    -------
    xarray.DataArray
        One value per calendar month, labelled with the month's first day.
    """
    return _period_means(da, "MS", min_coverage)


def monthly_profile(da: xr.DataArray) -> xr.DataArray:
    """Mean per calendar month over all years: the seasonal profile.

    Parameters
    ----------
    da
        Hourly series with dimension ``time`` (local standard time).

    Returns
    -------
    xarray.DataArray
        Dimension ``month`` with coordinates 1–12; NaN for a month without data.
    """
    _check_series(da)
    profile = da.groupby("time.month").mean()
    return profile.reindex(month=np.arange(1, 13))


def diurnal_profile(da: xr.DataArray) -> xr.DataArray:
    """Mean per local hour of day over the whole record: the diurnal profile.

    Parameters
    ----------
    da
        Hourly series with dimension ``time`` (local standard time).

    Returns
    -------
    xarray.DataArray
        Dimension ``hour`` with coordinates 0–23; NaN for an hour without data.
    """
    _check_series(da)
    profile = da.groupby("time.hour").mean()
    return profile.reindex(hour=np.arange(24))


def lag1_slope(x) -> float:
    """Ordinary-least-squares slope of ``x[t+1]`` regressed on ``x[t]``.

    Parameters
    ----------
    x
        One-dimensional array-like of consecutive, equally spaced values. Pairs in which
        either value is NaN are left out.

    Returns
    -------
    float
        The slope; NaN if fewer than three valid pairs remain or ``x`` does not vary.
    """
    values = np.asarray(x, dtype="float64")
    if values.ndim != 1:
        raise ValueError(f"lag1_slope expects a 1-D series, got shape {values.shape}")
    now, nxt = values[:-1], values[1:]
    valid = np.isfinite(now) & np.isfinite(nxt)
    now, nxt = now[valid], nxt[valid]
    if now.size < 3 or np.ptp(now) == 0.0:
        return math.nan
    return float(sps.linregress(now, nxt).slope)


def _regular(da: xr.DataArray) -> xr.DataArray:
    """``da`` on a gap-free time axis (absent timestamps become NaN), so neighbours are lag 1."""
    index = da.indexes["time"]
    full = pd.date_range(index[0], index[-1], freq=_time_step(da))
    if len(full) == len(index) and full.equals(index):
        return da
    return da.reindex(time=full)


def lag1_slopes(da: xr.DataArray, min_coverage: float = 0.9) -> dict[str, float]:
    """Lag-1 regression slopes at the article's three resolutions.

    Parameters
    ----------
    da
        Hourly series with dimension ``time`` (local standard time).
    min_coverage
        Passed to :func:`daily_means` and :func:`monthly_means`.

    Returns
    -------
    dict
        ``{"hourly": ..., "daily": ..., "monthly": ...}``: :func:`lag1_slope` of the hourly
        series, of its daily means and of its monthly means.
    """
    _check_series(da)
    return {
        "hourly": lag1_slope(_regular(da).values),
        "daily": lag1_slope(daily_means(da, min_coverage).values),
        "monthly": lag1_slope(monthly_means(da, min_coverage).values),
    }


def _jsonable(value):
    """Plain floats for JSON, with NaN (not valid JSON) as ``None``."""
    value = float(value)
    return None if math.isnan(value) else value


def _overall(da: xr.DataArray) -> dict:
    """Count, mean, sample standard deviation, minimum and maximum of the valid values."""
    values = da.values[np.isfinite(da.values)]
    if values.size == 0:
        return {"hours": 0, "mean": None, "std": None, "min": None, "max": None}
    return {
        "hours": int(values.size),
        "mean": _jsonable(values.mean()),
        "std": _jsonable(values.std(ddof=1)) if values.size > 1 else None,
        "min": _jsonable(values.min()),
        "max": _jsonable(values.max()),
    }


def _profile_entry(coord: str, real: xr.DataArray, generated: xr.DataArray) -> dict:
    """A profile pair as JSON lists: ``{coord: [...], "real": [...], "generated": [...]}``."""
    return {
        coord: [int(v) for v in real[coord].values],
        "real": [_jsonable(v) for v in real.values],
        "generated": [_jsonable(v) for v in generated.values],
    }


def _max_abs_difference(a: xr.DataArray, b: xr.DataArray) -> float | None:
    """Largest absolute difference of two aligned profiles; ``None`` if nowhere defined."""
    diff = np.abs(b.values - a.values)
    return _jsonable(np.nanmax(diff)) if np.isfinite(diff).any() else None


def comparison_summary(real: xr.DataArray, generated: xr.DataArray,
                       min_coverage: float = 0.9) -> dict:
    """Everything the result figure and table show, for one real and one generated series.

    The two series are compared on the hours they share; an hour missing (NaN) in either is
    left out of both, so that both statistics cover the same hours.

    Parameters
    ----------
    real
        Hourly real series with dimension ``time`` (local standard time), °F.
    generated
        One generated path on the same dates, dimension ``time``, °F.
    min_coverage
        Passed to :func:`lag1_slopes`.

    Returns
    -------
    dict
        JSON-serialisable, with keys ``units``, ``period`` (``start``, ``end``, ``hours``,
        ``hours_missing``), ``monthly_profile`` (``month``, ``real``, ``generated``),
        ``diurnal_profile`` (``hour``, ``real``, ``generated``), ``lag1_slopes`` and
        ``overall`` (each with ``real`` and ``generated``), ``max_abs_difference``
        (``monthly_profile``, ``diurnal_profile``, in °F) and ``article`` (a copy of
        :data:`ARTICLE`). NaN statistics are ``None``.

    Raises
    ------
    ValueError
        If either input is not a 1-D time series or the two share no timestamps.
    """
    _check_series(real)
    _check_series(generated)
    real, generated = xr.align(real.astype("float64"), generated.astype("float64"), join="inner")
    if real.sizes["time"] == 0:
        raise ValueError("the real and generated series share no timestamps")
    both = real.notnull() & generated.notnull()
    real, generated = real.where(both), generated.where(both)
    times = real.indexes["time"]

    monthly = monthly_profile(real), monthly_profile(generated)
    diurnal = diurnal_profile(real), diurnal_profile(generated)
    return {
        "units": "degF",
        "period": {
            "start": times[0].isoformat(),
            "end": times[-1].isoformat(),
            "hours": int(times.size),
            "hours_missing": int(real.isnull().sum()),
        },
        "monthly_profile": _profile_entry("month", *monthly),
        "diurnal_profile": _profile_entry("hour", *diurnal),
        "lag1_slopes": {
            "real": {k: _jsonable(v) for k, v in lag1_slopes(real, min_coverage).items()},
            "generated": {k: _jsonable(v) for k, v in lag1_slopes(generated, min_coverage).items()},
        },
        "overall": {"real": _overall(real), "generated": _overall(generated)},
        "max_abs_difference": {
            "monthly_profile": _max_abs_difference(*monthly),
            "diurnal_profile": _max_abs_difference(*diurnal),
        },
        "article": copy.deepcopy(ARTICLE),
    }


def _fmt(value, decimals: int) -> str:
    return "—" if value is None else f"{value:.{decimals}f}"


def _extreme(values: list, labels: list[str], pick) -> str:
    """``"55.3 (Jan)"``: the extreme ``pick`` (min or max) of ``values`` and where it falls."""
    finite = [(v, lab) for v, lab in zip(values, labels) if v is not None]
    if not finite:
        return "—"
    value, label = pick(finite, key=lambda pair: pair[0])
    return f"{value:.1f} ({label})"


def comparison_markdown(summary: dict) -> str:
    """The comparison table of :func:`comparison_summary` as Markdown.

    Parameters
    ----------
    summary
        Output of :func:`comparison_summary`; a ``samples`` entry (file, path index, noise,
        seed), as added by :func:`write_comparison`, is described above the table if present.

    Returns
    -------
    str
        A heading, a line on what was compared, the table (article's real and generated
        values beside this run's) and notes on where the article's numbers come from.
    """
    art = ARTICLE
    slopes = summary["lag1_slopes"]
    month_names = [calendar.month_abbr[m] for m in summary["monthly_profile"]["month"]]
    hour_names = [f"{h:02d}h" for h in summary["diurnal_profile"]["hour"]]
    mp, dp = summary["monthly_profile"], summary["diurnal_profile"]
    overall = summary["overall"]
    amp, adp = art["monthly_profile"], art["diurnal_profile"]

    def months(numbers):
        return "/".join(calendar.month_abbr[m] for m in numbers)

    rows = [
        (f"Lag-1 slope, {res}" + ("" if res == "hourly" else " means"),
         _fmt(art["lag1_slopes"]["real"][res], 3), _fmt(art["lag1_slopes"]["generated"][res], 3),
         _fmt(slopes["real"][res], 3), _fmt(slopes["generated"][res], 3))
        for res in _RESOLUTIONS
    ]
    rows += [
        ("Coldest month mean (°F)", f"≈{amp['min']:.0f} ({months(amp['min_months'])})", "—",
         _extreme(mp["real"], month_names, min), _extreme(mp["generated"], month_names, min)),
        ("Warmest month mean (°F)", f"≈{amp['max']:.0f} ({months(amp['max_months'])})", "—",
         _extreme(mp["real"], month_names, max), _extreme(mp["generated"], month_names, max)),
        ("Diurnal minimum (°F)", f"≈{adp['min']:.1f} ({adp['min_hour']:02d}h)", "—",
         _extreme(dp["real"], hour_names, min), _extreme(dp["generated"], hour_names, min)),
        ("Diurnal maximum (°F)", f"≈{adp['max']:.1f} ({adp['max_hour']:02d}h)", "—",
         _extreme(dp["real"], hour_names, max), _extreme(dp["generated"], hour_names, max)),
        ("Overall mean (°F)", _fmt(art["real_overall"]["mean"], 1) + "¹", "—",
         _fmt(overall["real"]["mean"], 1), _fmt(overall["generated"]["mean"], 1)),
        ("Overall std (°F)", _fmt(art["real_overall"]["std"], 1) + "¹", "—",
         _fmt(overall["real"]["std"], 1), _fmt(overall["generated"]["std"], 1)),
    ]

    period = summary["period"]
    compared = (f"Compared: {period['start']} to {period['end']} local standard time, "
                f"{period['hours']:,} hours ({period['hours_missing']:,} of them missing in either "
                f"series and left out of both).")
    samples = summary.get("samples")
    if samples:
        compared += (f" Generated: path {samples['path_index']} of `{samples['file']}`, "
                     f"observation noise {samples['noise']}, seed {samples['seed']}.")
    diff = summary["max_abs_difference"]
    lines = [
        "# Real vs generated hourly temperature",
        "",
        compared,
        "",
        "| Statistic | Article: real | Article: generated | This run: real | This run: generated |",
        "|---|---:|---:|---:|---:|",
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
        f"Largest |generated − real| difference of the profiles in this run: monthly "
        f"{_fmt(diff['monthly_profile'], 1)} °F, diurnal {_fmt(diff['diurnal_profile'], 1)} °F "
        f"(the article: generated curves warm by up to ≈{art['generated_warm_bias_max']:.0f} °F, "
        "its only statement on the generated profiles).",
        "",
        "¹ Printed by the original processing of the 1974–2023 ERA5 record, "
        f"{art['real_overall']['hours']:,} hours; not part of the article's figure.",
        "",
    ]
    return "\n".join(lines)


def load_sample_path(samples_path: str | Path, path_index: int = 0) -> tuple[xr.DataArray, dict]:
    """Load one generated path from ``samples_path``.

    Parameters
    ----------
    samples_path
        netCDF file with ``t2m`` of dims ``(path, time)`` in °F.
    path_index
        Which path to load.

    Returns
    -------
    tuple
        The path as a 1-D float64 DataArray along ``time``, and the file's global attributes.

    Raises
    ------
    InputError
        If the file is unusable or has no path ``path_index``.
    """
    samples_path = Path(samples_path)
    ds = open_checked(samples_path, "pass results/samples/<prior>.nc, as written by the sampling step",
                      dims=("path", "time"))
    t2m = ds["t2m"]
    units = t2m.attrs.get("units", "degF")
    if units != "degF":
        raise InputError(samples_path, f"'t2m' is in {units!r}, not 'degF'",
                         "pass the °F files the pipeline wrote")
    if not 0 <= path_index < t2m.sizes["path"]:
        raise InputError(samples_path,
                         f"has {t2m.sizes['path']} paths; path {path_index} does not exist",
                         f"choose a path index from 0 to {t2m.sizes['path'] - 1}")
    da = t2m.isel(path=path_index, drop=True).astype("float64")
    attrs = dict(ds.attrs)
    return da, attrs


def write_comparison(series_path: str | Path, samples_path: str | Path, out_json: str | Path,
                     out_md: str | Path, path_index: int = 0) -> dict:
    """Compare the real series with one generated path; write the summary as JSON and Markdown.

    Parameters
    ----------
    series_path
        ``results/series.nc``: real hourly ``t2m`` (°F, local standard time).
    samples_path
        ``results/samples/<prior>.nc``: generated ``t2m`` with dims ``(path, time)``.
    out_json, out_md
        Where to write :func:`comparison_summary` (plus a ``samples`` entry saying which path,
        file, noise setting, re-trend year and seed) and its :func:`comparison_markdown`.
        Both are written atomically.
    path_index
        The generated path to compare.

    Returns
    -------
    dict
        The summary that was written.

    Raises
    ------
    InputError
        If an input file is unusable or the two share no timestamps.
    """
    real = load_series(series_path)
    generated, attrs = load_sample_path(samples_path, path_index)
    try:
        summary = comparison_summary(real, generated)
    except ValueError as exc:
        raise InputError(samples_path, f"cannot be compared with {series_path}: {exc}",
                         "generate samples that cover the real record's dates") from exc
    summary["samples"] = {
        "file": Path(samples_path).name,
        "path_index": int(path_index),
        "noise": str(attrs.get("noise", "unknown")),
        "retrend": str(attrs.get("retrend", "unknown")),
        "seed": str(attrs.get("seed", "unknown")),
    }
    with atomic_path(out_json) as tmp:
        tmp.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    with atomic_path(out_md) as tmp:
        tmp.write_text(comparison_markdown(summary), encoding="utf-8")
    return summary
