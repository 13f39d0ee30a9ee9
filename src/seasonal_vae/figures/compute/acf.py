"""Numbers of figure ``acf``: how long the weather remembers, real vs generated.

The autocorrelation function of hourly anomalies (lags 1 h to 30 days) and of daily-mean
anomalies (lags 1 to 60 days), of the real record over the whole record and per year (its
year-to-year spread) and of each generated path, with the article's three lag-1 regression
slopes of the raw series. Drawn by :mod:`seasonal_vae.figures.draw.acf`.

The anomalies here are *climatological* anomalies (:func:`climatological_anomalies`,
:func:`daily_climatological_anomalies`): deviations from a smooth climatology, the mean of
each (calendar day × hour of day) cell over all years, smoothed along the calendar with a
31-day circular running window (each hour of day on its own), after a straight line fitted to
the whole series (the warming trend) has been removed. Each series — real, and each generated
path — is measured against its own climatology. They are not the metric suite's anomalies
(:func:`seasonal_vae.evaluation.metrics.harmonic_anomalies`, which fit a few annual and
diurnal harmonics to each compared set): over a whole record a smoothed calendar climatology
removes the mean cycle without assuming its shape, whereas the metric must work on a single
held-out year, too short for a calendar-day climatology.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from statsmodels.tsa.stattools import acf as sm_acf
from statsmodels.tsa.stattools import acovf

from seasonal_vae.core.calendar import day_of_year_365
from seasonal_vae.evaluation import statistics as stats
from seasonal_vae.figures.compute.calendar_stats import (
    BAND,
    DAYS,
    SMOOTHING_DAYS,
    circular_smooth,
    grouped_moments,
)
from seasonal_vae.figures.compute.generated import load_pair, provenance

#: Fraction of a year's hours (or days) that must be valid for its per-year ACF.
YEAR_COVERAGE = 0.9
#: Lags of the ACF figure: hours (30 days) and days.
HOURLY_LAGS = 30 * 24
DAILY_LAGS = 60
_RESOLUTIONS = ("hourly", "daily", "monthly")


def _remove_line(da: xr.DataArray) -> xr.DataArray:
    """``da`` minus a straight line in time fitted to its valid values (least squares)."""
    t = (da["time"].values - da["time"].values[0]) / np.timedelta64(1, "D")
    ok = np.isfinite(da.values)
    if ok.sum() < 2:
        return da
    slope, intercept = np.polyfit(t[ok], da.values[ok], 1)
    return da - (intercept + slope * t)


def climatological_anomalies(da: xr.DataArray, window: int = SMOOTHING_DAYS) -> xr.DataArray:
    """Hourly deviations from the smooth (calendar day × hour of day) climatology, trend removed.

    Unlike the metric suite's :func:`seasonal_vae.evaluation.metrics.harmonic_anomalies`
    (a harmonic fit per compared set, which works on one held-out year), the climatology here
    is each calendar-day × hour cell's mean over the whole record, smoothed along the
    calendar: it removes the mean cycle without assuming its shape.

    Parameters
    ----------
    da
        Hourly series along ``time`` (local standard time); NaN stays NaN.
    window
        Width in days of the circular running window smoothing each hour's calendar.

    Returns
    -------
    xarray.DataArray
        Same shape as ``da``.
    """
    da = _remove_line(da.astype("float64"))
    index = pd.DatetimeIndex(da["time"].values)
    cell = day_of_year_365(index) * 24 + index.hour.to_numpy()
    counts, sums, _ = grouped_moments(da.values, cell, DAYS * 24)
    counts, sums = (circular_smooth(a.reshape(DAYS, 24), window, axis=0) for a in (counts[0], sums[0]))
    with np.errstate(invalid="ignore", divide="ignore"):
        climatology = (sums / counts).ravel()
    return da - climatology[cell]


def daily_climatological_anomalies(
    da: xr.DataArray, window: int = SMOOTHING_DAYS, min_coverage: float = 0.9
) -> xr.DataArray:
    """Daily means' deviations from their smooth calendar-day climatology, trend removed.

    The daily counterpart of :func:`climatological_anomalies`, and like it not the metric
    suite's harmonic anomalies (see the module docstring).

    Parameters
    ----------
    da
        Hourly series along ``time``.
    window
        Width in days of the circular running window over the calendar.
    min_coverage
        Fraction of a day's hours needed for its mean (see
        :func:`seasonal_vae.evaluation.statistics.daily_means`).

    Returns
    -------
    xarray.DataArray
        One value per calendar day.
    """
    daily = _remove_line(stats.daily_means(da, min_coverage))
    doy = day_of_year_365(daily["time"].values)
    counts, sums, _ = grouped_moments(daily.values, doy, DAYS)
    with np.errstate(invalid="ignore", divide="ignore"):
        climatology = circular_smooth(sums[0], window) / circular_smooth(counts[0], window)
    return daily - climatology[doy]


def autocorrelation(x, nlags: int, demean: bool = True) -> np.ndarray:
    """Sample ACF at lags 1..``nlags`` (statsmodels, FFT; NaN handled conservatively).

    Parameters
    ----------
    x
        1-D regular series; NaN allowed.
    nlags
        Largest lag, in time steps.
    demean
        Subtract the mean of ``x`` first (:func:`statsmodels.tsa.stattools.acf`). With
        ``False``, the autocovariances are taken about zero
        (:func:`statsmodels.tsa.stattools.acovf` with ``demean=False``, divided by its value
        at lag 0): for a stretch of anomalies centred on a longer record's climatology, this
        estimates the longer record's ACF, where demeaning the stretch would remove its
        share of the slow (year-to-year) variability and bias the ACF low at long lags.

    Returns
    -------
    numpy.ndarray
        ``nlags`` values; NaN at every lag if fewer than ``nlags + 2`` values are valid.
    """
    x = np.asarray(x, dtype="float64")
    if np.isfinite(x).sum() < nlags + 2:
        return np.full(nlags, np.nan)
    if demean:
        return sm_acf(x, nlags=nlags, fft=True, missing="conservative")[1:]
    cov = acovf(x, demean=False, fft=True, missing="conservative", nlag=nlags)
    return cov[1:] / cov[0]


def acf_by_year(anomalies: xr.DataArray, nlags: int, min_coverage: float = YEAR_COVERAGE) -> xr.DataArray:
    """ACF of each calendar year's values on its own (lags 1..``nlags``).

    Each year's anomalies are taken about the whole record's climatology, not about the
    year's own mean (see :func:`autocorrelation` with ``demean=False``), so that the spread
    across years is the sampling spread of the whole-record ACF.

    Parameters
    ----------
    anomalies
        Regular series along ``time`` (hourly or daily), centred on zero.
    nlags
        Largest lag, in time steps.
    min_coverage
        Fraction of the year's time steps that must be valid; other years are left out.

    Returns
    -------
    xarray.DataArray
        Dimensions ``(year, lag)``.
    """
    index = pd.DatetimeIndex(anomalies["time"].values)
    step = pd.Timedelta(index[1] - index[0]) if len(index) > 1 else pd.Timedelta(hours=1)
    rows, years = [], []
    for year in np.unique(index.year):
        in_year = index.year == year
        expected = pd.Timedelta(days=366 if calendar.isleap(int(year)) else 365) / step
        values = anomalies.values[in_year]
        if np.isfinite(values).sum() >= min_coverage * expected:
            rows.append(autocorrelation(values, nlags, demean=False))
            years.append(int(year))
    data = np.array(rows) if rows else np.empty((0, nlags))
    return xr.DataArray(
        data,
        dims=("year", "lag"),
        coords={"year": np.array(years, dtype="int64"), "lag": np.arange(1, nlags + 1)},
    )


def _acf_block(
    prefix: str, lag_dim: str, real: xr.DataArray, paths: list[xr.DataArray], nlags: int, band
) -> dict:
    """Whole-record ACF of real and each path, real per year and its band, as dataset entries."""
    by_year = acf_by_year(real, nlags).rename(lag=lag_dim, year=f"{prefix}_year")
    values = by_year.values
    enough = values.shape[0] > 0
    with np.errstate(all="ignore"):
        low, high = (np.nanquantile(values, q, axis=0) if enough else np.full(nlags, np.nan) for q in band)
        lo_all, hi_all = (
            f(values, axis=0) if enough else np.full(nlags, np.nan) for f in (np.nanmin, np.nanmax)
        )
    return {
        f"real_{prefix}_acf": (lag_dim, autocorrelation(real.values, nlags)),
        f"path_{prefix}_acf": (
            ("path", lag_dim),
            np.stack([autocorrelation(p.values, nlags) for p in paths]),
        ),
        f"real_{prefix}_acf_by_year": by_year,
        f"real_{prefix}_band_low": (lag_dim, low),
        f"real_{prefix}_band_high": (lag_dim, high),
        f"real_{prefix}_min": (lag_dim, lo_all),
        f"real_{prefix}_max": (lag_dim, hi_all),
    }


def acf_data(
    real: xr.DataArray,
    generated: xr.DataArray,
    hourly_lags: int = HOURLY_LAGS,
    daily_lags: int = DAILY_LAGS,
    band: Sequence[float] = BAND,
    window: int = SMOOTHING_DAYS,
) -> xr.Dataset:
    """ACF of hourly and daily-mean anomalies, real (whole record and per year) vs each path.

    Parameters
    ----------
    real
        Hourly series along ``time``.
    generated
        ``(path, time)``, on the same hours as ``real``.
    hourly_lags, daily_lags
        Largest lag of the hourly ACF (hours) and of the daily-means ACF (days).
    band
        Quantiles across years of the real per-year ACF drawn as its band.
    window
        Smoothing window of the climatology (days); see :func:`climatological_anomalies`.

    Returns
    -------
    xarray.Dataset
        ``real_hourly_acf`` (``hour_lag``), ``path_hourly_acf`` (``path``, ``hour_lag``),
        ``real_hourly_acf_by_year`` (``hourly_year``, ``hour_lag``), ``real_hourly_band_low``
        / ``_high`` (the ``band`` quantiles across years), ``real_hourly_min`` / ``_max``; the
        same with ``daily`` on ``day_lag``; and the lag-1 regression slopes of the raw series
        (:func:`seasonal_vae.evaluation.statistics.lag1_slopes`) on ``resolution``: ``real_lag1``,
        ``path_lag1`` (``path``, ``resolution``), ``article_real_lag1``,
        ``article_generated_lag1``.
    """
    path_series = [generated.isel(path=i, drop=True) for i in range(generated.sizes["path"])]
    hourly = _acf_block(
        "hourly",
        "hour_lag",
        climatological_anomalies(real, window),
        [climatological_anomalies(p, window) for p in path_series],
        hourly_lags,
        band,
    )
    daily = _acf_block(
        "daily",
        "day_lag",
        daily_climatological_anomalies(real, window),
        [daily_climatological_anomalies(p, window) for p in path_series],
        daily_lags,
        band,
    )
    slopes_real = stats.lag1_slopes(real)
    slopes_paths = [stats.lag1_slopes(p) for p in path_series]
    article = stats.ARTICLE["lag1_slopes"]
    res = "resolution"
    ds = xr.Dataset(
        {
            **hourly,
            **daily,
            "real_lag1": (res, [slopes_real[k] for k in _RESOLUTIONS]),
            "path_lag1": (("path", res), [[s[k] for k in _RESOLUTIONS] for s in slopes_paths]),
            "article_real_lag1": (res, [article["real"][k] for k in _RESOLUTIONS]),
            "article_generated_lag1": (res, [article["generated"][k] for k in _RESOLUTIONS]),
        },
        coords={
            "hour_lag": np.arange(1, hourly_lags + 1),
            "day_lag": np.arange(1, daily_lags + 1),
            "path": generated["path"].values,
            res: np.array(_RESOLUTIONS),
        },
        attrs={
            "anomalies": f"deviations from the calendar-day × hour-of-day climatology smoothed "
            f"with a {window}-day circular running mean, after removing a linear "
            "trend; per-year ACFs about that climatology (not each year's mean)",
            "window_days": int(window),
            "band_low": float(band[0]),
            "band_high": float(band[1]),
        },
    )
    ds["hour_lag"].attrs["units"] = "hours"
    ds["day_lag"].attrs["units"] = "days"
    return ds


def compute(paths: Mapping[str, Path], cfg: dict) -> xr.Dataset:
    """Figure ``acf``: reads ``series`` and ``samples``."""
    real, generated, attrs = load_pair(paths)
    ds = acf_data(real, generated)
    ds.attrs.update(provenance(attrs, paths["samples"], generated.sizes["path"]))
    return ds
