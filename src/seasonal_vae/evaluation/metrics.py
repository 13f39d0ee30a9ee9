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
    of the article's three lag-1 regression slopes
    (:func:`seasonal_vae.evaluation.statistics.lag1_slopes`: hourly, daily means, monthly means).
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

The two-sample classifier is in :mod:`seasonal_vae.evaluation.classifier`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr
from scipy.stats import wasserstein_distance
from statsmodels.tsa.stattools import acovf

from seasonal_vae.core.calendar import day_of_year_365, gap_free
from seasonal_vae.core.runs import run_lengths
from seasonal_vae.data.climatology import month_hour_climatology
from seasonal_vae.evaluation.metric_info import (
    METRICS,
    QUANTILES,
    SEASONS,
    quantile_key,
)
from seasonal_vae.evaluation.statistics import daily_means, lag1_slopes, monthly_means
from seasonal_vae.model.harmonic_ar import (
    ANNUAL_HARMONICS,
    DIURNAL_HARMONICS,
    harmonic_design,
)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def _values(da: xr.DataArray) -> np.ndarray:
    return np.asarray(da.values, dtype="float64")


def _months(da: xr.DataArray) -> np.ndarray:
    return da["time"].dt.month.values


def _w1(a: np.ndarray, b: np.ndarray) -> float:
    """Wasserstein-1 of the finite values; 0 if both are empty, NaN if one is."""
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size == 0 and b.size == 0:
        return 0.0
    if a.size == 0 or b.size == 0:
        return float("nan")
    return float(wasserstein_distance(a, b))


def _monthly_w1(a: xr.DataArray, b: xr.DataArray) -> np.ndarray:
    """Wasserstein-1 distance between the values of each calendar month (12 values)."""
    va, vb, ma, mb = _values(a), _values(b), _months(a), _months(b)
    return np.array([_w1(va[ma == m], vb[mb == m]) for m in range(1, 13)])


# --------------------------------------------------------------------------------------------
# Climatology and marginals
# --------------------------------------------------------------------------------------------
def climatology_grid(da: xr.DataArray, stat: str = "mean") -> np.ndarray:
    """``stat`` (``"mean"`` or the sample ``"std"``) of the values in each calendar month ×
    local hour (:func:`seasonal_vae.data.climatology.month_hour_climatology`, ``ddof=1``).

    Returns
    -------
    numpy.ndarray
        Shape ``(12, 24)``; NaN for an empty cell.
    """
    mean, std = month_hour_climatology(da["time"].values, da.values, ddof=1)
    return mean if stat == "mean" else std


def climatology_rmse(a: xr.DataArray, b: xr.DataArray, stat: str = "mean") -> float:
    """RMSE between the month × hour grids of ``stat`` of two sets (cells defined in both)."""
    diff = climatology_grid(a, stat) - climatology_grid(b, stat)
    return float(np.sqrt(np.nanmean(diff**2)))


def monthly_wasserstein(a: xr.DataArray, b: xr.DataArray) -> float:
    """Mean over calendar months of the Wasserstein-1 distance of the hourly values (°F)."""
    return float(np.nanmean(_monthly_w1(a, b)))


def seasonal_quantile_errors(a: xr.DataArray, b: xr.DataArray, quantiles=QUANTILES) -> dict[str, float]:
    """Absolute differences of hourly quantiles in JJA and DJF, keyed like ``q01_jja``."""
    out = {}
    for season, months in SEASONS.items():
        va = _values(a)[np.isin(_months(a), months)]
        vb = _values(b)[np.isin(_months(b), months)]
        qa, qb = np.nanquantile(va, quantiles), np.nanquantile(vb, quantiles)
        for q, x, y in zip(quantiles, qa, qb):
            out[f"q{quantile_key(q)}_{season}"] = float(abs(x - y))
    return out


# --------------------------------------------------------------------------------------------
# Persistence
# --------------------------------------------------------------------------------------------
def harmonic_anomalies(
    da: xr.DataArray, annual: int = ANNUAL_HARMONICS, diurnal: int = DIURNAL_HARMONICS
) -> xr.DataArray:
    """Departures from the series' own harmonic climatology (time of year × hour of day).

    The climatology is the least-squares fit (``numpy.linalg.lstsq``) of
    :func:`seasonal_vae.model.harmonic_ar.harmonic_design` to the valid values; NaN stays NaN.

    This is the "hourly anomaly" of the persistence metrics. It is fitted on each compared set
    alone, with a few smooth harmonics, so it works the same on a single held-out year and on
    a generated path: a calendar-day climatology of one year (the acf figure's anomalies,
    from a smoothed calendar-day × hour climatology of the whole record) would be that year's
    own weather, and its anomalies mostly noise.
    """
    y = _values(da)
    ok = np.isfinite(y)
    X = harmonic_design(da["time"].values, annual, diurnal)
    params = np.linalg.lstsq(X[ok], y[ok], rcond=None)[0]  # OLS; statsmodels adds ~1 s of SVDs
    return da.copy(data=y - X @ params)


def anomaly_acfs(
    da: xr.DataArray, max_lag_hours: int = 72, max_lag_days: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """Autocorrelation of hourly anomalies (lags 1 … ``max_lag_hours``) and of their daily
    means (lags 1 … ``max_lag_days``), with absent years as gaps, never as neighbours."""
    anom = harmonic_anomalies(da)
    hourly = gap_free(anom, "h")
    daily = daily_means(hourly)
    return _acf(_values(hourly), max_lag_hours)[1:], _acf(_values(daily), max_lag_days)[1:]


def _acf(x: np.ndarray, nlags: int) -> np.ndarray:
    """Autocorrelation at lags 0 … ``nlags`` of a series with NaN gaps.

    statsmodels' ``acovf`` with ``missing="conservative"`` (pairs with a NaN are skipped) and
    ``nlag`` given (the direct O(n·nlags) sum; its ``acf`` would form all n lags, O(n²)).
    """
    acov = acovf(x, nlag=nlags, missing="conservative", fft=False)
    return acov / acov[0]


def acf_distances(
    a: xr.DataArray, b: xr.DataArray, max_lag_hours: int = 72, max_lag_days: int = 30
) -> dict[str, float]:
    """L2 norms of the ACF differences: ``acf_hourly_l2`` and ``acf_daily_l2``."""
    ha, da_ = anomaly_acfs(a, max_lag_hours, max_lag_days)
    hb, db = anomaly_acfs(b, max_lag_hours, max_lag_days)
    return {"acf_hourly_l2": float(np.linalg.norm(ha - hb)), "acf_daily_l2": float(np.linalg.norm(da_ - db))}


def lag1_slope_errors(a: xr.DataArray, b: xr.DataArray) -> dict[str, float]:
    """Absolute differences of the article's three lag-1 slopes (``lag1_hourly`` …)."""
    sa, sb = lag1_slopes(a), lag1_slopes(b)
    return {f"lag1_{k}": float(abs(sa[k] - sb[k])) for k in sa}


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
    series = da.to_series()
    days = series.groupby(series.index.floor("D"))
    frame = pd.DataFrame({"max": days.max(), "min": days.min(), "n": days.count()})
    frame.loc[frame["n"] < 24, ["max", "min"]] = np.nan
    return frame[["max", "min"]]


def daily_range_wasserstein(a: xr.DataArray, b: xr.DataArray) -> float:
    """Mean over calendar months of the Wasserstein-1 distance of the daily range (°F)."""
    ea, eb = daily_extremes(a), daily_extremes(b)
    ra, rb = (ea["max"] - ea["min"]), (eb["max"] - eb["min"])
    return float(
        np.nanmean(
            [
                _w1(ra[ra.index.month == m].to_numpy(), rb[rb.index.month == m].to_numpy())
                for m in range(1, 13)
            ]
        )
    )


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


@dataclass
class HotSpellStats:
    """Run lengths of hot days, hot-spell days per year and days ≥ the extreme threshold per year."""

    run_lengths: np.ndarray
    spell_days_per_year: np.ndarray
    extreme_days_per_year: np.ndarray


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
        Absolute threshold of the daily maximum (°F) for :attr:`HotSpellStats.extreme_days_per_year`
        (``evaluation.extreme_degF``).
    """
    tmax = daily_extremes(da)["max"]
    tmax = tmax[tmax.notna().groupby(tmax.index.year).transform("any")]  # years with data
    hot = tmax.to_numpy() > threshold[day_of_year_365(tmax.index)]
    years = tmax.index.year.to_numpy()
    runs, spell_days, extreme_days = [], [], []
    for year in np.unique(years):
        sel = years == year
        r = run_lengths(hot[sel])
        runs.append(r)
        spell_days.append(r[r >= min_spell_days].sum())
        extreme_days.append(int((tmax.to_numpy()[sel] >= extreme).sum()))
    return HotSpellStats(
        np.concatenate(runs) if runs else np.zeros(0, int),
        np.asarray(spell_days, dtype=float),
        np.asarray(extreme_days, dtype=float),
    )


def hot_spell_distances(
    a: xr.DataArray, b: xr.DataArray, threshold: np.ndarray, min_spell_days: int, extreme: float
) -> dict[str, float]:
    """``hot_run_w1``, ``hot_spell_days`` and ``days_ge_110`` between two sets."""
    sa = hot_spell_stats(a, threshold, min_spell_days, extreme)
    sb = hot_spell_stats(b, threshold, min_spell_days, extreme)

    def mean(x):
        return x.mean() if x.size else np.nan

    return {
        "hot_run_w1": _w1(sa.run_lengths.astype(float), sb.run_lengths.astype(float)),
        "hot_spell_days": float(abs(mean(sa.spell_days_per_year) - mean(sb.spell_days_per_year))),
        "days_ge_110": float(abs(mean(sa.extreme_days_per_year) - mean(sb.extreme_days_per_year))),
    }


# --------------------------------------------------------------------------------------------
# Year-to-year variability
# --------------------------------------------------------------------------------------------
def interannual_std(da: xr.DataArray) -> np.ndarray:
    """Per calendar month, the std across years of the monthly means (12 values, °F).

    NaN for a month with fewer than two years of (≥ 90 % complete) data.
    """
    means = monthly_means(da).to_series().dropna()
    std = means.groupby(means.index.month).std(ddof=1)
    return std.reindex(range(1, 13)).to_numpy()


def interannual_std_ratios(real: xr.DataArray, generated: xr.DataArray) -> np.ndarray:
    """Per month: std across years of generated monthly means / that of the real ones."""
    return interannual_std(generated) / interannual_std(real)


def interannual_log_ratio(a: xr.DataArray, b: xr.DataArray) -> float:
    """Mean over months of ``|log(std_b / std_a)|`` of the monthly means across years."""
    ratio = interannual_std_ratios(a, b)
    ratio = ratio[np.isfinite(ratio) & (ratio > 0)]
    return float(np.mean(np.abs(np.log(ratio)))) if ratio.size else float("nan")


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

    Returns
    -------
    dict
        ``{metric name: value}`` in the order of
        :data:`~seasonal_vae.evaluation.metric_info.METRICS`.
    """
    if a.sizes["time"] == b.sizes["time"] and np.array_equal(a["time"].values, b["time"].values):
        a, b = mask_common(a, b)
    out = {
        "clim_mean_rmse": climatology_rmse(a, b, "mean"),
        "clim_std_rmse": climatology_rmse(a, b, "std"),
        "w1_monthly": monthly_wasserstein(a, b),
        **seasonal_quantile_errors(a, b),
        **acf_distances(a, b, max_lag_hours, max_lag_days),
        **lag1_slope_errors(a, b),
        "dtr_w1_monthly": daily_range_wasserstein(a, b),
        **hot_spell_distances(a, b, threshold, min_spell_days, extreme),
        "interannual_log_ratio": interannual_log_ratio(a, b),
    }
    return {m.name: out[m.name] for m in METRICS}
