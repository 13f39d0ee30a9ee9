"""Numbers of figure ``comparison``: the article's five-panel result figure, real vs generated.

The profiles and lag-1 slopes of panels 1, 2 and 5 are those of the comparison step's summary
(``comparison.json``, :func:`seasonal_vae.evaluation.comparison.write_comparison`), beside
the article's published slopes; panels 3 and 4 show the last weeks of hourly values and the
daily means of the last year, both ending at the real record's last valid hour, of the real
series and of the generated path the summary was computed from. Drawn by
:mod:`seasonal_vae.figures.draw.comparison`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.core.errors import InputError
from seasonal_vae.data.series import load_series
from seasonal_vae.evaluation.comparison import load_sample_path
from seasonal_vae.evaluation.statistics import ARTICLE, daily_means

#: The resolutions of the lag-1 slopes, in the order of panel 5.
RESOLUTIONS = ("hourly", "daily", "monthly")


def _values(seq) -> np.ndarray:
    """A JSON list with ``null`` for missing values as a float array with NaN."""
    return np.array([np.nan if v is None else v for v in seq], dtype="float64")


def read_summary(path: Path) -> dict:
    """The comparison step's summary (``comparison.json``)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            path,
            f"cannot be read as JSON ({exc})",
            "rerun the comparison step (seasonal_vae.evaluation.comparison.write_comparison)",
        ) from exc


def comparison_data(summary: dict, real: xr.DataArray, generated: xr.DataArray, weeks: int = 3) -> xr.Dataset:
    """The numbers of the five panels.

    Parameters
    ----------
    summary
        Output of :func:`seasonal_vae.evaluation.comparison.comparison_summary`.
    real, generated
        Hourly series along ``time`` (°F). ``real`` should end at its last valid hour, which
        anchors panels 3 and 4.
    weeks
        Number of weeks of hourly values in panel 3.

    Returns
    -------
    xarray.Dataset
        ``{real,generated}_monthly_profile`` (``month``), ``{real,generated}_diurnal_profile``
        (``hour``), ``{real,generated}_lag1`` and ``article_{real,generated}_lag1``
        (``resolution``); the hourly values of the last ``weeks`` weeks on ``real_hour`` and
        ``generated_hour``, and the daily means of the last 365 days on ``real_day`` and
        ``generated_day`` (each series on its own time axis, as drawn). Attributes ``weeks``,
        ``hourly_start``/``_end`` and ``daily_first``/``_last``: the panels' periods.
    """
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, not {weeks}")
    monthly, diurnal, slopes = (summary[k] for k in ("monthly_profile", "diurnal_profile", "lag1_slopes"))
    end = pd.Timestamp(real["time"].values[-1])
    start = end - pd.Timedelta(hours=weeks * 7 * 24 - 1)
    last_day = end.floor("D")
    first_day = last_day - pd.Timedelta(days=364)
    data, coords = (
        {},
        {
            "month": np.asarray(monthly["month"]),
            "hour": np.asarray(diurnal["hour"]),
            "resolution": np.array(RESOLUTIONS),
        },
    )
    for kind, da in (("real", real), ("generated", generated)):
        data[f"{kind}_monthly_profile"] = ("month", _values(monthly[kind]), {"units": "degF"})
        data[f"{kind}_diurnal_profile"] = ("hour", _values(diurnal[kind]), {"units": "degF"})
        data[f"{kind}_lag1"] = ("resolution", _values([slopes[kind][r] for r in RESOLUTIONS]))
        data[f"article_{kind}_lag1"] = (
            "resolution",
            np.array([ARTICLE["lag1_slopes"][kind][r] for r in RESOLUTIONS]),
        )
        hourly = da.sel(time=slice(start, end))
        daily = daily_means(da.sel(time=slice(first_day, None))).sel(time=slice(first_day, last_day))
        coords[f"{kind}_hour"] = hourly["time"].values
        coords[f"{kind}_day"] = daily["time"].values
        data[f"{kind}_hourly"] = (f"{kind}_hour", hourly.values, {"units": "degF"})
        data[f"{kind}_daily"] = (f"{kind}_day", daily.values, {"units": "degF"})
    return xr.Dataset(
        data,
        coords=coords,
        attrs={
            "weeks": int(weeks),
            "hourly_start": start.isoformat(),
            "hourly_end": end.isoformat(),
            "daily_first": first_day.isoformat(),
            "daily_last": last_day.isoformat(),
        },
    )


def compute(paths: Mapping[str, Path], cfg: dict, path_index: int = 0) -> xr.Dataset:
    """Figure ``comparison``: reads ``comparison`` (the summary), ``series`` and ``samples``.

    Raises
    ------
    InputError
        If a file is unusable, the summary was computed from another generated path than
        ``path_index``, or the real series has no valid value in the compared period.
    """
    summary_path = Path(paths["comparison"])
    summary = read_summary(summary_path)
    summarised = summary.get("samples", {}).get("path_index", path_index)
    if summarised != path_index:
        raise InputError(
            summary_path,
            f"summarises generated path {summarised}, not {path_index}",
            "plot the path the summary was computed from, or recompute the summary",
        )
    real = load_series(paths["series"])
    generated, attrs = load_sample_path(paths["samples"], path_index)
    period = summary["period"]
    real = real.sel(time=slice(period["start"], period["end"]))
    valid_times = real["time"].values[real.notnull().values]
    if valid_times.size == 0:
        raise InputError(
            paths["series"],
            f"has no valid value in the compared period {period['start']} to {period['end']}",
            "recompute the summary from the current series and samples",
        )
    real = real.sel(time=slice(None, valid_times[-1]))
    ds = comparison_data(summary, real, generated, cfg["figures"]["comparison_weeks"])
    ds.attrs.update(
        {
            "path_index": int(path_index),
            "samples_file": Path(paths["samples"]).name,
            "noise": str(attrs.get("noise", "unknown")),
            "seed": str(attrs.get("seed", "unknown")),
            "period_start": str(period["start"]),
            "period_end": str(period["end"]),
        }
    )
    return ds
