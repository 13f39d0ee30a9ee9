"""The one-pass summary of a set of years (:class:`SetStatistics`) and the metrics between two.

:func:`set_statistics` reads from one set of years (:class:`~seasonal_vae.evaluation.set_arrays._Set`)
everything the metrics of :data:`~seasonal_vae.evaluation.metric_info.METRICS` need, once;
:func:`compare_statistics` turns two such summaries into the metrics. The evaluation compares
the held-out years with many paths, so their summary is computed once and reused (the
``a_statistics`` of :func:`seasonal_vae.evaluation.metrics.metric_suite`). The distances
between the parts of two summaries (per-month Wasserstein-1, quantile and slope differences,
hot-spell distances, the log ratio of the year-to-year stds) are shared with the per-metric
functions of :mod:`seasonal_vae.evaluation.metrics`, so that a metric has the same value
either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy.stats import wasserstein_distance

from seasonal_vae.evaluation.metric_info import METRICS, QUANTILES, SEASONS, quantile_key
from seasonal_vae.evaluation.set_arrays import HotSpellStats, _Set


# --------------------------------------------------------------------------------------------
# The distances between two sets' statistics
# --------------------------------------------------------------------------------------------
def _w1(a: np.ndarray, b: np.ndarray) -> float:
    """Wasserstein-1 of the finite values; 0 if both are empty, NaN if one is."""
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size == 0 and b.size == 0:
        return 0.0
    if a.size == 0 or b.size == 0:
        return float("nan")
    return float(wasserstein_distance(a, b))


def _monthly_w1(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """Mean over the 12 calendar months of the W1 distances of two sets' per-month values."""
    return float(np.nanmean([_w1(x, y) for x, y in zip(a, b)]))


def _quantile_errors(qa: dict, qb: dict, quantiles=QUANTILES) -> dict[str, float]:
    return {
        f"q{quantile_key(q)}_{season}": float(abs(x - y))
        for season in SEASONS
        for q, x, y in zip(quantiles, qa[season], qb[season])
    }


def _slope_errors(sa: dict, sb: dict) -> dict[str, float]:
    return {f"lag1_{k}": float(abs(sa[k] - sb[k])) for k in sa}


def _hot_spell_distances(sa: HotSpellStats, sb: HotSpellStats) -> dict[str, float]:
    def mean(x):
        return x.mean() if x.size else np.nan

    return {
        "hot_run_w1": _w1(sa.run_lengths.astype(float), sb.run_lengths.astype(float)),
        "hot_spell_days": float(abs(mean(sa.spell_days_per_year) - mean(sb.spell_days_per_year))),
        "days_ge_110": float(abs(mean(sa.extreme_days_per_year) - mean(sb.extreme_days_per_year))),
    }


def _log_ratio(std_a: np.ndarray, std_b: np.ndarray) -> float:
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = std_b / std_a
    ratio = ratio[np.isfinite(ratio) & (ratio > 0)]
    return float(np.mean(np.abs(np.log(ratio)))) if ratio.size else float("nan")


# --------------------------------------------------------------------------------------------
# One set's statistics, and two compared
# --------------------------------------------------------------------------------------------
@dataclass
class SetStatistics:
    """Everything the metric suite reads from one set of years (:func:`set_statistics`).

    Attributes
    ----------
    clim_mean, clim_std
        Month × hour mean and sample std, ``(12, 24)``.
    hourly_by_month, range_by_month
        The sorted finite hourly values and daily ranges of each calendar month (12 arrays).
    quantiles
        Per season, the hourly quantiles of :data:`~seasonal_vae.evaluation.metric_info.QUANTILES`.
    acf_hourly, acf_daily
        :func:`~seasonal_vae.evaluation.metrics.anomaly_acfs`.
    lag1
        The three lag-1 slopes.
    hot
        :func:`~seasonal_vae.evaluation.metrics.hot_spell_stats`.
    interannual_std
        :func:`~seasonal_vae.evaluation.metrics.interannual_std`.
    settings
        The hot-day threshold, ``min_spell_days``, ``extreme`` and the two largest lags they
        were computed with (two sets are compared only under the same settings).
    """

    clim_mean: np.ndarray
    clim_std: np.ndarray
    hourly_by_month: list[np.ndarray]
    quantiles: dict[str, np.ndarray]
    acf_hourly: np.ndarray
    acf_daily: np.ndarray
    lag1: dict[str, float]
    range_by_month: list[np.ndarray]
    hot: HotSpellStats
    interannual_std: np.ndarray
    settings: tuple


def set_statistics(
    da: xr.DataArray,
    threshold: np.ndarray,
    min_spell_days: int,
    extreme: float,
    max_lag_hours: int = 72,
    max_lag_days: int = 30,
) -> SetStatistics:
    """What the metric suite needs from one set of years, computed once (see
    :func:`~seasonal_vae.evaluation.metrics.metric_suite` for the parameters)."""
    s = _Set(da)
    mean, std = s.climatology
    acf_hourly, acf_daily = s.anomaly_acfs(max_lag_hours, max_lag_days)
    return SetStatistics(
        clim_mean=mean,
        clim_std=std,
        hourly_by_month=s.hourly_by_month,
        quantiles=s.quantiles(),
        acf_hourly=acf_hourly,
        acf_daily=acf_daily,
        lag1=s.lag1_slopes(),
        range_by_month=s.range_by_month,
        hot=s.hot_spells(threshold, min_spell_days, extreme),
        interannual_std=s.interannual_std,
        settings=(
            np.asarray(threshold, dtype="float64"),
            min_spell_days,
            extreme,
            max_lag_hours,
            max_lag_days,
        ),
    )


def compare_statistics(sa: SetStatistics, sb: SetStatistics) -> dict[str, float]:
    """Every metric of :data:`~seasonal_vae.evaluation.metric_info.METRICS` between two sets'
    :class:`SetStatistics`, in that order."""
    (ta, *rest_a), (tb, *rest_b) = sa.settings, sb.settings
    if rest_a != rest_b or not np.array_equal(ta, tb, equal_nan=True):
        raise ValueError("the two sets' statistics were computed with different settings")

    def rmse(x, y):
        return float(np.sqrt(np.nanmean((x - y) ** 2)))

    out = {
        "clim_mean_rmse": rmse(sa.clim_mean, sb.clim_mean),
        "clim_std_rmse": rmse(sa.clim_std, sb.clim_std),
        "w1_monthly": _monthly_w1(sa.hourly_by_month, sb.hourly_by_month),
        **_quantile_errors(sa.quantiles, sb.quantiles),
        "acf_hourly_l2": float(np.linalg.norm(sa.acf_hourly - sb.acf_hourly)),
        "acf_daily_l2": float(np.linalg.norm(sa.acf_daily - sb.acf_daily)),
        **_slope_errors(sa.lag1, sb.lag1),
        "dtr_w1_monthly": _monthly_w1(sa.range_by_month, sb.range_by_month),
        **_hot_spell_distances(sa.hot, sb.hot),
        "interannual_log_ratio": _log_ratio(sa.interannual_std, sb.interannual_std),
    }
    return {m.name: out[m.name] for m in METRICS}
