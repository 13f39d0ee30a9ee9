"""The metric suite that judges generated hourly temperature against real data (docs/design.md §7).

Every metric compares two *sets of years*: two hourly :class:`xarray.DataArray` series along
``time`` (local standard time, °F), each made of whole calendar years that need not be
adjacent (e.g. the ten held-out years 1978, 1983, …, 2023), with NaN where an hour is
missing. Every metric is a distance: 0 when the two sets have the same statistic, larger the
further apart they are, and symmetric in its two arguments (swap real and generated and the
value is the same). :data:`seasonal_vae.evaluation.metric_info.METRICS` lists them with their
family, label and unit; :func:`metric_suite` computes them all at once.

Families and definitions
------------------------
climatology
    RMSE over the 12 × 24 grid (calendar month × local hour) of the mean, and of the
    standard deviation (°F).
marginals
    Wasserstein-1 distance between the hourly values of each calendar month
    (``scipy.stats.wasserstein_distance``), averaged over the 12 months (°F); absolute error
    of the 1st, 50th and 99th percentiles of the hourly values in summer (JJA) and winter (DJF).
persistence
    L2 norm of the difference of the autocorrelation functions (``statsmodels`` ``acovf``) of
    deseasonalised hourly anomalies at lags 1–72 h and of their daily means at lags 1–30 d.
    Anomalies are departures from each set's *own* harmonic climatology
    (:func:`harmonic_anomalies`: least squares on the time-of-year × hour-of-day Fourier
    features of :func:`seasonal_vae.model.harmonic_ar.harmonic_design`), so that this family
    judges persistence, not the mean. Pairs of values in different, non-adjacent years are
    never formed (the gaps are NaN; ``missing="conservative"``). Also the absolute differences
    of the article's three lag-1 regression slopes (those of
    :func:`seasonal_vae.evaluation.statistics.lag1_slopes`: hourly, daily means, monthly means).
daily range
    Daily temperature range (max − min over a complete local day): Wasserstein-1 per month,
    averaged over the 12 months (°F).
hot spells
    A *hot day* has a daily maximum above the calendar-day ``percentile`` (90th) of the
    training years' daily maxima (pooled over a ±7-day window; :func:`hot_threshold`).
    Metrics: Wasserstein-1 distance between the lengths of runs of consecutive hot days
    (days); absolute difference of the mean number of days per year that belong to a hot
    spell (a run of at least ``min_spell_days`` = 3 hot days); absolute difference of the
    mean yearly number of days with a maximum of at least 110 °F. (The numbers are the
    defaults of the ``evaluation`` section of the configuration.)
variability
    Year-to-year variability: per month, the ratio of the standard deviations across years
    of the monthly means; the metric is the mean over months of ``|log ratio|`` (0 when the
    variability matches; symmetric; ``exp`` of it is the typical factor by which the
    variabilities differ). The per-month ratios are available from
    :func:`interannual_std_ratios`.

How it is computed
------------------
The evaluation calls the suite about a hundred times (every path of every generator, every
split of the noise floor), so each set is read once into numpy arrays with its calendar
fields (:mod:`seasonal_vae.evaluation.set_arrays`), and everything the metrics need from it is
gathered in one :class:`~seasonal_vae.evaluation.set_summaries.SetStatistics`
(:func:`~seasonal_vae.evaluation.set_summaries.set_statistics`);
:func:`~seasonal_vae.evaluation.set_summaries.compare_statistics` turns two of them into the
metrics. Groupings by day, month and month × hour are ``numpy.bincount`` and
``ufunc.reduceat`` sums over the sorted time axis (the same values as pandas' groupby and
resample to round-off). The harmonic climatology of a whole calendar year reuses one cached
design matrix per kind of year (common or leap: the regressors depend only on the hour of
the year), and its least squares are solved through the normal equations
(:mod:`seasonal_vae.evaluation.harmonic_climatology`). The per-metric functions below
(:func:`climatology_rmse`, :func:`acf_distances`, …) compute the same values one metric at a
time.

The two-sample classifier is in :mod:`seasonal_vae.evaluation.classifier`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.core.calendar import day_of_year_365
from seasonal_vae.evaluation.metric_info import QUANTILES
from seasonal_vae.evaluation.set_arrays import HotSpellStats, _Set, _values
from seasonal_vae.evaluation.set_summaries import (
    SetStatistics,
    _hot_spell_distances,
    _log_ratio,
    _monthly_w1,
    _quantile_errors,
    _slope_errors,
    compare_statistics,
    set_statistics,
)
from seasonal_vae.model.harmonic_ar import ANNUAL_HARMONICS, DIURNAL_HARMONICS


# --------------------------------------------------------------------------------------------
# Climatology and marginals
# --------------------------------------------------------------------------------------------
def climatology_grid(da: xr.DataArray, stat: str = "mean") -> np.ndarray:
    """``stat`` (``"mean"`` or the sample ``"std"``, ``ddof=1``) of the values in each calendar
    month × local hour (the grid of
    :func:`seasonal_vae.data.climatology.month_hour_climatology`).

    Returns
    -------
    numpy.ndarray
        Shape ``(12, 24)``; NaN for an empty cell (and the std of a cell with one value).
    """
    mean, std = _Set(da).climatology
    return mean if stat == "mean" else std


def climatology_rmse(a: xr.DataArray, b: xr.DataArray, stat: str = "mean") -> float:
    """RMSE between the month × hour grids of ``stat`` of two sets (cells defined in both)."""
    diff = climatology_grid(a, stat) - climatology_grid(b, stat)
    return float(np.sqrt(np.nanmean(diff**2)))


def monthly_wasserstein(a: xr.DataArray, b: xr.DataArray) -> float:
    """Mean over calendar months of the Wasserstein-1 distance of the hourly values (°F)."""
    return _monthly_w1(_Set(a).hourly_by_month, _Set(b).hourly_by_month)


def seasonal_quantile_errors(a: xr.DataArray, b: xr.DataArray, quantiles=QUANTILES) -> dict[str, float]:
    """Absolute differences of hourly quantiles in JJA and DJF, keyed like ``q01_jja``."""
    return _quantile_errors(_Set(a).quantiles(quantiles), _Set(b).quantiles(quantiles), quantiles)


# --------------------------------------------------------------------------------------------
# Persistence
# --------------------------------------------------------------------------------------------
def harmonic_anomalies(
    da: xr.DataArray, annual: int = ANNUAL_HARMONICS, diurnal: int = DIURNAL_HARMONICS
) -> xr.DataArray:
    """Departures from the series' own harmonic climatology (time of year × hour of day).

    The climatology is the least-squares fit of
    :func:`seasonal_vae.model.harmonic_ar.harmonic_design` to the valid values (normal
    equations; ``numpy.linalg.lstsq``'s solution to round-off,
    :func:`seasonal_vae.evaluation.harmonic_climatology._harmonic_residuals`);
    NaN stays NaN.

    This is the "hourly anomaly" of the persistence metrics. It is fitted on each compared set
    alone, with a few smooth harmonics, so it works the same on a single held-out year and on
    a generated path: a calendar-day climatology of one year (the acf figure's anomalies,
    from a smoothed calendar-day × hour climatology of the whole record) would be that year's
    own weather, and its anomalies mostly noise.
    """
    return da.copy(data=_Set(da).anomalies(annual, diurnal))


def anomaly_acfs(
    da: xr.DataArray, max_lag_hours: int = 72, max_lag_days: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """Autocorrelation of hourly anomalies (lags 1 … ``max_lag_hours``) and of their daily
    means (lags 1 … ``max_lag_days``), with absent years as gaps, never as neighbours."""
    return _Set(da).anomaly_acfs(max_lag_hours, max_lag_days)


def acf_distances(
    a: xr.DataArray, b: xr.DataArray, max_lag_hours: int = 72, max_lag_days: int = 30
) -> dict[str, float]:
    """L2 norms of the ACF differences: ``acf_hourly_l2`` and ``acf_daily_l2``."""
    ha, da_ = anomaly_acfs(a, max_lag_hours, max_lag_days)
    hb, db = anomaly_acfs(b, max_lag_hours, max_lag_days)
    return {"acf_hourly_l2": float(np.linalg.norm(ha - hb)), "acf_daily_l2": float(np.linalg.norm(da_ - db))}


def lag1_slope_errors(a: xr.DataArray, b: xr.DataArray) -> dict[str, float]:
    """Absolute differences of the article's three lag-1 slopes (``lag1_hourly`` …)."""
    return _slope_errors(_Set(a).lag1_slopes(), _Set(b).lag1_slopes())


# --------------------------------------------------------------------------------------------
# Daily range and hot spells
# --------------------------------------------------------------------------------------------
def daily_extremes(da: xr.DataArray) -> pd.DataFrame:
    """Daily maximum and minimum of an hourly series over complete local days (24 valid hours).

    Returns
    -------
    pandas.DataFrame
        Index: the days present in ``da``; columns ``max`` and ``min``, NaN for an
        incomplete day.
    """
    days, tmax, tmin = _Set(da).daily_extremes
    unit = np.datetime_data(da["time"].values.dtype)[0]  # that of the series' own timestamps
    index = pd.DatetimeIndex(days.astype("datetime64[D]").astype(f"datetime64[{unit}]"))
    return pd.DataFrame({"max": tmax, "min": tmin}, index=index)


def daily_range_wasserstein(a: xr.DataArray, b: xr.DataArray) -> float:
    """Mean over calendar months of the Wasserstein-1 distance of the daily range (°F)."""
    return _monthly_w1(_Set(a).range_by_month, _Set(b).range_by_month)


def hot_threshold(da: xr.DataArray, percentile: float, half_window: int) -> np.ndarray:
    """Calendar-day percentile of daily maxima, pooled over ±``half_window`` days.

    Parameters
    ----------
    da
        The reference data (the training years' observed series).
    percentile
        The percentile (``evaluation.hot_percentile``; 90 for the usual hot-day definition).
    half_window
        Days on either side of each calendar day pooled with it (circular over the year;
        ``evaluation.hot_half_window``).

    Returns
    -------
    numpy.ndarray
        Length 365, °F, indexed by :func:`seasonal_vae.core.calendar.day_of_year_365`.
    """
    tmax = daily_extremes(da)["max"].dropna()
    cday = day_of_year_365(tmax.index)
    values = tmax.to_numpy()
    out = np.empty(365)
    for c in range(365):
        dist = np.abs(cday - c)
        near = np.minimum(dist, 365 - dist) <= half_window
        out[c] = np.percentile(values[near], percentile) if near.any() else np.nan
    return out


def hot_spell_stats(
    da: xr.DataArray, threshold: np.ndarray, min_spell_days: int, extreme: float
) -> HotSpellStats:
    """Hot-day runs of a set of years (runs never cross into another year; a missing day
    ends a run).

    Parameters
    ----------
    da
        The set of years.
    threshold
        365 calendar-day thresholds of the daily maximum (:func:`hot_threshold`).
    min_spell_days
        Shortest run that counts as a hot spell (``evaluation.min_spell_days``).
    extreme
        Absolute threshold of the daily maximum (°F) for the ``extreme_days_per_year`` of
        :class:`~seasonal_vae.evaluation.set_arrays.HotSpellStats` (``evaluation.extreme_degF``).
    """
    return _Set(da).hot_spells(threshold, min_spell_days, extreme)


def hot_spell_distances(
    a: xr.DataArray, b: xr.DataArray, threshold: np.ndarray, min_spell_days: int, extreme: float
) -> dict[str, float]:
    """``hot_run_w1``, ``hot_spell_days`` and ``days_ge_110`` between two sets."""
    return _hot_spell_distances(
        hot_spell_stats(a, threshold, min_spell_days, extreme),
        hot_spell_stats(b, threshold, min_spell_days, extreme),
    )


# --------------------------------------------------------------------------------------------
# Year-to-year variability
# --------------------------------------------------------------------------------------------
def interannual_std(da: xr.DataArray) -> np.ndarray:
    """Per calendar month, the std across years of the monthly means (12 values, °F).

    NaN for a month with fewer than two years of (≥ 90 % complete) data.
    """
    return _Set(da).interannual_std.copy()


def interannual_std_ratios(real: xr.DataArray, generated: xr.DataArray) -> np.ndarray:
    """Per month: std across years of generated monthly means / that of the real ones."""
    return interannual_std(generated) / interannual_std(real)


def interannual_log_ratio(a: xr.DataArray, b: xr.DataArray) -> float:
    """Mean over months of ``|log(std_b / std_a)|`` of the monthly means across years."""
    return _log_ratio(interannual_std(a), interannual_std(b))


# --------------------------------------------------------------------------------------------
# The suite
# --------------------------------------------------------------------------------------------
def mask_common(a: xr.DataArray, b: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
    """Both series with NaN wherever either is NaN (they must share the time axis)."""
    if a.sizes["time"] != b.sizes["time"] or not np.array_equal(a["time"].values, b["time"].values):
        raise ValueError("the two sets must be on the same timestamps")
    both = np.isfinite(_values(a)) & np.isfinite(_values(b))
    return a.where(both), b.where(both)


def metric_suite(
    a: xr.DataArray,
    b: xr.DataArray,
    threshold: np.ndarray,
    min_spell_days: int,
    extreme: float,
    max_lag_hours: int = 72,
    max_lag_days: int = 30,
    a_statistics: SetStatistics | None = None,
) -> dict[str, float]:
    """Every metric of :data:`~seasonal_vae.evaluation.metric_info.METRICS` between two sets of years.

    Parameters
    ----------
    a, b
        The two sets (e.g. real held-out years and a generator's series on the same dates).
        Hours missing in either are left out of both when they share the time axis.
    threshold
        Calendar-day hot-day threshold from :func:`hot_threshold` (training years).
    min_spell_days, extreme, max_lag_hours, max_lag_days
        See :func:`hot_spell_distances` and :func:`acf_distances`.
    a_statistics
        :func:`~seasonal_vae.evaluation.set_summaries.set_statistics` of ``a`` as given, with
        the same settings (the held-out years, compared with many paths): used when ``b``
        leaves none of ``a``'s hours out.

    Returns
    -------
    dict
        ``{metric name: value}`` in the order of
        :data:`~seasonal_vae.evaluation.metric_info.METRICS`.
    """
    a_given = a
    if a.sizes["time"] == b.sizes["time"] and np.array_equal(a["time"].values, b["time"].values):
        a, b = mask_common(a, b)
    settings = (threshold, min_spell_days, extreme, max_lag_hours, max_lag_days)
    same_hours = np.array_equal(np.isfinite(_values(a)), np.isfinite(_values(a_given)))
    sa = a_statistics if a_statistics is not None and same_hours else set_statistics(a, *settings)
    return compare_statistics(sa, set_statistics(b, *settings))
