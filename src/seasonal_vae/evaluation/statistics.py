"""Statistics the article shows: seasonal and diurnal profiles and lag-1 regression slopes.

All functions take an hourly :class:`xarray.DataArray` of temperature with a ``time``
dimension in the site's local standard time (naive ``datetime64``), as written to
``results/series.nc`` and ``results/samples/<prior>.nc``. Missing values (NaN) are allowed: means
skip them, and a daily or monthly mean is only formed when at least ``min_coverage`` of the
period's hours are present (:data:`PERIOD_COVERAGE` unless given), so that a partial first
day (a UTC record shifted into local time starts in the evening) or a gap does not bias the
aggregated series.

:data:`ARTICLE` holds the values the article published for them;
:mod:`seasonal_vae.evaluation.comparison` puts this run's beside them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats as sps

from seasonal_vae.core.calendar import gap_free

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

#: The article's three resolutions of the lag-1 slopes.
RESOLUTIONS = ("hourly", "daily", "monthly")
#: Share of a day's or a month's hours that must be valid for its mean to be formed.
PERIOD_COVERAGE = 0.9


def check_series(da: xr.DataArray) -> None:
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
    check_series(da)
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
    return xr.DataArray(
        np.where(enough, means.to_numpy(), np.nan),
        coords={"time": labels.values},
        dims="time",
        name=da.name,
        attrs=da.attrs,
    )


def daily_means(da: xr.DataArray, min_coverage: float = PERIOD_COVERAGE) -> xr.DataArray:
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


def monthly_means(da: xr.DataArray, min_coverage: float = PERIOD_COVERAGE) -> xr.DataArray:
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
    check_series(da)
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
    check_series(da)
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


def lag1_slopes(da: xr.DataArray, min_coverage: float = PERIOD_COVERAGE) -> dict[str, float]:
    """Lag-1 regression slopes at the article's three resolutions (:data:`RESOLUTIONS`).

    The hourly series is first put on a gap-free time axis
    (:func:`seasonal_vae.core.calendar.gap_free`), so that neighbours in it are one step apart.

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
    check_series(da)
    return {
        "hourly": lag1_slope(gap_free(da, _time_step(da)).values),
        "daily": lag1_slope(daily_means(da, min_coverage).values),
        "monthly": lag1_slope(monthly_means(da, min_coverage).values),
    }
