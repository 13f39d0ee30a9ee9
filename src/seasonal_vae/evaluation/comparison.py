"""The article's result table: this run's statistics, real vs generated, beside the article's.

:func:`comparison_summary` computes, for the real series and one generated path on the
hours they share, the statistics of :mod:`seasonal_vae.evaluation.statistics` (seasonal and
diurnal profiles, lag-1 slopes, overall moments) with the article's published values
(:data:`~seasonal_vae.evaluation.statistics.ARTICLE`) beside them; :func:`comparison_markdown`
is its table, and :func:`write_comparison` writes both for the pipeline's files.
"""

from __future__ import annotations

import calendar
import copy
import json
import math
from pathlib import Path

import numpy as np
import xarray as xr

from seasonal_vae.core.atomic import atomic_path
from seasonal_vae.core.errors import InputError
from seasonal_vae.core.io import load_samples
from seasonal_vae.data.series import load_series
from seasonal_vae.evaluation.statistics import (
    ARTICLE,
    PERIOD_COVERAGE,
    RESOLUTIONS,
    check_series,
    diurnal_profile,
    lag1_slopes,
    monthly_profile,
)


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


def comparison_summary(
    real: xr.DataArray, generated: xr.DataArray, min_coverage: float = PERIOD_COVERAGE
) -> dict:
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
    check_series(real)
    check_series(generated)
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
        (
            f"Lag-1 slope, {res}" + ("" if res == "hourly" else " means"),
            _fmt(art["lag1_slopes"]["real"][res], 3),
            _fmt(art["lag1_slopes"]["generated"][res], 3),
            _fmt(slopes["real"][res], 3),
            _fmt(slopes["generated"][res], 3),
        )
        for res in RESOLUTIONS
    ]
    rows += [
        (
            "Coldest month mean (°F)",
            f"≈{amp['min']:.0f} ({months(amp['min_months'])})",
            "—",
            _extreme(mp["real"], month_names, min),
            _extreme(mp["generated"], month_names, min),
        ),
        (
            "Warmest month mean (°F)",
            f"≈{amp['max']:.0f} ({months(amp['max_months'])})",
            "—",
            _extreme(mp["real"], month_names, max),
            _extreme(mp["generated"], month_names, max),
        ),
        (
            "Diurnal minimum (°F)",
            f"≈{adp['min']:.1f} ({adp['min_hour']:02d}h)",
            "—",
            _extreme(dp["real"], hour_names, min),
            _extreme(dp["generated"], hour_names, min),
        ),
        (
            "Diurnal maximum (°F)",
            f"≈{adp['max']:.1f} ({adp['max_hour']:02d}h)",
            "—",
            _extreme(dp["real"], hour_names, max),
            _extreme(dp["generated"], hour_names, max),
        ),
        (
            "Overall mean (°F)",
            _fmt(art["real_overall"]["mean"], 1) + "¹",
            "—",
            _fmt(overall["real"]["mean"], 1),
            _fmt(overall["generated"]["mean"], 1),
        ),
        (
            "Overall std (°F)",
            _fmt(art["real_overall"]["std"], 1) + "¹",
            "—",
            _fmt(overall["real"]["std"], 1),
            _fmt(overall["generated"]["std"], 1),
        ),
    ]

    period = summary["period"]
    compared = (
        f"Compared: {period['start']} to {period['end']} local standard time, "
        f"{period['hours']:,} hours ({period['hours_missing']:,} of them missing in either "
        f"series and left out of both)."
    )
    samples = summary.get("samples")
    if samples:
        compared += (
            f" Generated: path {samples['path_index']} of `{samples['file']}`, "
            f"observation noise {samples['noise']}, seed {samples['seed']}."
        )
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
    t2m, attrs = load_samples(samples_path)
    if not 0 <= path_index < t2m.sizes["path"]:
        raise InputError(
            samples_path,
            f"has {t2m.sizes['path']} paths; path {path_index} does not exist",
            f"choose a path index from 0 to {t2m.sizes['path'] - 1}",
        )
    return t2m.isel(path=path_index, drop=True).astype("float64"), attrs


def write_comparison(
    series_path: str | Path,
    samples_path: str | Path,
    out_json: str | Path,
    out_md: str | Path,
    cfg: dict,
    *,
    path_index: int = 0,
) -> dict:
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
    cfg
        The validated configuration (the comparison has no settings of its own: it takes
        ``cfg`` like every file-level step).
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
        raise InputError(
            samples_path,
            f"cannot be compared with {series_path}: {exc}",
            "generate samples that cover the real record's dates",
        ) from exc
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
