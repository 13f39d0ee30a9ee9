"""One set of years as numpy arrays, with the calendar fields and groupings the metrics read.

The evaluation calls the metric suite (:mod:`seasonal_vae.evaluation.metrics`) about a hundred
times (every path of every generator, every split of the noise floor), so each set of years is
read once into numpy arrays with its calendar fields (:class:`_Set`; every field and grouping is
computed on first use, and kept). Groupings by day, month and month × hour are
``numpy.bincount`` and ``ufunc.reduceat`` sums over the sorted time axis (the same values as
pandas' groupby and resample to round-off); a daily or monthly mean needs
:data:`~seasonal_vae.evaluation.statistics.PERIOD_COVERAGE` of its hours, as in
:mod:`seasonal_vae.evaluation.statistics`. Hourly anomalies are departures from the set's own
harmonic climatology (:mod:`seasonal_vae.evaluation.harmonic_climatology`), and their
autocorrelations never pair values across an absent year (:func:`_acf`, :meth:`_Set.regular`).
:func:`seasonal_vae.evaluation.set_summaries.set_statistics` gathers from one set everything
the metrics need.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import xarray as xr
from statsmodels.tsa.stattools import acovf

from seasonal_vae.core.calendar import day_of_year_365
from seasonal_vae.core.runs import run_lengths
from seasonal_vae.evaluation.harmonic_climatology import HOUR, _harmonic_residuals
from seasonal_vae.evaluation.metric_info import QUANTILES, SEASONS
from seasonal_vae.evaluation.statistics import PERIOD_COVERAGE, check_series, lag1_slope
from seasonal_vae.model.harmonic_ar import ANNUAL_HARMONICS, DIURNAL_HARMONICS

DAY_NS = 86_400 * 10**9


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def _values(da: xr.DataArray) -> np.ndarray:
    return np.asarray(da.values, dtype="float64")


def _by_month(values: np.ndarray, months: np.ndarray) -> list[np.ndarray]:
    """The finite ``values`` of each calendar month 1–12, sorted (12 arrays)."""
    ok = np.isfinite(values)
    values, months = values[ok], months[ok]
    order = np.argsort(months, kind="stable")
    values, months = values[order], months[order]
    bounds = np.searchsorted(months, np.arange(1, 14))
    return [np.sort(values[bounds[m] : bounds[m + 1]]) for m in range(12)]


def _consecutive_means(codes: np.ndarray, values: np.ndarray, required: np.ndarray | int) -> np.ndarray:
    """Means of ``values`` over consecutive periods (integer ``codes``, sorted), from the first
    period to the last; NaN where fewer than ``required`` values are valid (the rule of
    :func:`seasonal_vae.evaluation.statistics.daily_means` and ``monthly_means``)."""
    idx = codes - codes[0]
    ok = np.isfinite(values)
    n = int(idx[-1]) + 1
    counts = np.bincount(idx[ok], minlength=n)
    sums = np.bincount(idx[ok], weights=values[ok], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    return np.where(counts >= required, means, np.nan)


def _acf(x: np.ndarray, nlags: int) -> np.ndarray:
    """Autocorrelation at lags 0 … ``nlags`` of a series with NaN gaps.

    statsmodels' ``acovf`` with ``missing="conservative"`` (pairs with a NaN are skipped) and
    ``nlag`` given (the direct O(n·nlags) sum; its ``acf`` would form all n lags, O(n²)).
    """
    acov = acovf(x, nlag=nlags, missing="conservative", fft=False)
    return acov / acov[0]


@dataclass
class HotSpellStats:
    """Run lengths of hot days, hot-spell days per year and days ≥ the extreme threshold per year."""

    run_lengths: np.ndarray
    spell_days_per_year: np.ndarray
    extreme_days_per_year: np.ndarray


# --------------------------------------------------------------------------------------------
# One set of years as arrays
# --------------------------------------------------------------------------------------------
class _Set:
    """A set of years as numpy arrays, with the calendar fields the metrics group by (each
    computed on first use). ``da`` must be 1-D along a sorted, unique ``time``."""

    def __init__(self, da: xr.DataArray):
        check_series(da)
        self.times = np.asarray(da["time"].values).astype("datetime64[ns]")
        self.values = _values(da)
        if self.times.size == 0:
            raise ValueError("a set of years needs at least one timestamp")
        self._grids: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    # calendar fields -------------------------------------------------------------------------
    @cached_property
    def _days(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Day number (since 1970-01-01) of each timestamp; the days present, and the index
        of each one's first timestamp."""
        code = np.floor_divide(self.times.view(np.int64), DAY_NS)
        starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
        return code, code[starts], starts

    @cached_property
    def _day_months(self) -> np.ndarray:
        """Month number (since 1970-01) of each day present."""
        return self._days[1].astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)

    def _per_timestamp(self, per_day: np.ndarray) -> np.ndarray:
        starts = self._days[2]
        return np.repeat(per_day, np.diff(np.r_[starts, self.times.size]))

    @cached_property
    def month_codes(self) -> np.ndarray:
        """Month number (since 1970-01) of each timestamp."""
        return self._per_timestamp(self._day_months)

    @cached_property
    def months(self) -> np.ndarray:
        """Calendar month (1–12) of each timestamp."""
        return self.month_codes % 12 + 1

    @cached_property
    def years(self) -> np.ndarray:
        """Calendar year of each timestamp."""
        return self.month_codes // 12 + 1970

    @cached_property
    def hours(self) -> np.ndarray:
        """Local hour (0–23) of each timestamp."""
        return (self.times.view(np.int64) - self._days[0] * DAY_NS) // (3600 * 10**9)

    @cached_property
    def steps_per_day(self) -> float:
        """Timestamps per day at the series' step (the median spacing)."""
        if self.times.size < 2:
            raise ValueError("need at least two timestamps to infer the sampling interval")
        return DAY_NS / float(np.median(np.diff(self.times).astype(np.int64)))

    # groupings -------------------------------------------------------------------------------
    @cached_property
    def climatology(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and sample std (``ddof=1``) per calendar month × local hour, ``(12, 24)`` each."""
        ok = np.isfinite(self.values)
        cell = ((self.months - 1) * 24 + self.hours)[ok]
        x = self.values[ok]
        with np.errstate(invalid="ignore", divide="ignore"):
            n = np.bincount(cell, minlength=288).astype("float64")
            mean = np.bincount(cell, weights=x, minlength=288) / n
            var = np.bincount(cell, weights=(x - mean[cell]) ** 2, minlength=288) / (n - 1)
            std = np.where(n > 1, np.sqrt(var), np.nan)
        return mean.reshape(12, 24), std.reshape(12, 24)

    @cached_property
    def hourly_by_month(self) -> list[np.ndarray]:
        return _by_month(self.values, self.months)

    def quantiles(self, quantiles=QUANTILES) -> dict[str, np.ndarray]:
        """Per season of :data:`~seasonal_vae.evaluation.metric_info.SEASONS`, the quantiles of
        its hourly values (NaN when it has none)."""
        out = {}
        for season, months in SEASONS.items():
            x = np.concatenate([self.hourly_by_month[m - 1] for m in months])
            out[season] = np.quantile(x, quantiles) if x.size else np.full(len(quantiles), np.nan)
        return out

    @cached_property
    def daily_extremes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Days present (day numbers), and their maximum and minimum (NaN unless all 24
        hours are valid)."""
        _, days, starts = self._days
        count = np.add.reduceat(np.isfinite(self.values).astype(np.int64), starts)
        tmax = np.fmax.reduceat(self.values, starts)
        tmin = np.fmin.reduceat(self.values, starts)
        tmax[count < 24] = np.nan
        tmin[count < 24] = np.nan
        return days, tmax, tmin

    @cached_property
    def range_by_month(self) -> list[np.ndarray]:
        _, tmax, tmin = self.daily_extremes
        return _by_month(tmax - tmin, self._day_months % 12 + 1)

    def daily_means(self, values: np.ndarray) -> np.ndarray:
        """Means of ``values`` over every day from the first to the last (≥ 90 % of hours)."""
        required = math.ceil(PERIOD_COVERAGE * self.steps_per_day - 1e-9)
        return _consecutive_means(self._days[0], values, required)

    @cached_property
    def monthly_means(self) -> tuple[np.ndarray, np.ndarray]:
        """Every month from the first to the last (``datetime64[M]``) and its mean (≥ 90 %)."""
        codes = self.month_codes
        labels = np.arange(codes[0], codes[-1] + 1).astype("datetime64[M]")
        days = ((labels + 1).astype("datetime64[D]") - labels.astype("datetime64[D]")).astype(np.int64)
        required = np.ceil(PERIOD_COVERAGE * days * self.steps_per_day - 1e-9)
        return labels, _consecutive_means(codes, self.values, required)

    def _grid(self, step_ns: int) -> tuple[np.ndarray, np.ndarray]:
        """Which timestamps lie on the grid of ``step_ns`` from the first, and their positions."""
        if step_ns not in self._grids:
            offsets = self.times.view(np.int64) - self.times.view(np.int64)[0]
            on_grid = offsets % step_ns == 0
            self._grids[step_ns] = on_grid, offsets[on_grid] // step_ns
        return self._grids[step_ns]

    def regular(self, values: np.ndarray, step: np.timedelta64, keep: int) -> np.ndarray:
        """``values`` on the regular grid of ``step`` from the first timestamp to the last
        (absent steps NaN, as :func:`seasonal_vae.core.calendar.gap_free`), except that a
        stretch of more than ``keep`` absent steps is shortened to ``keep``.

        Two values at most ``keep`` steps apart stay as far apart, and two further apart stay
        further than ``keep``: the autocovariances up to lag ``keep`` (pairs of valid values,
        ``missing="conservative"``) are those of the whole grid, with less work across the
        absent years of a set.
        """
        on_grid, position = self._grid(int(step.astype("timedelta64[ns]").astype(np.int64)))
        step_to_next = np.minimum(np.diff(position), keep + 1)
        position = np.r_[0, np.cumsum(step_to_next)]
        out = np.full(int(position[-1]) + 1, np.nan)
        out[position] = values[on_grid]
        return out

    # persistence -----------------------------------------------------------------------------
    def anomalies(self, annual: int = ANNUAL_HARMONICS, diurnal: int = DIURNAL_HARMONICS) -> np.ndarray:
        return _harmonic_residuals(self.times, self.years, self.values, annual, diurnal)

    def anomaly_acfs(self, max_lag_hours: int, max_lag_days: int) -> tuple[np.ndarray, np.ndarray]:
        anom = self.anomalies()
        hourly = self.regular(anom, HOUR, max_lag_hours)
        return _acf(hourly, max_lag_hours)[1:], _acf(self.daily_means(anom), max_lag_days)[1:]

    def lag1_slopes(self) -> dict[str, float]:
        """:func:`seasonal_vae.evaluation.statistics.lag1_slopes` of the set (the same pairs
        of neighbours; daily and monthly means as there, to round-off)."""
        step = np.timedelta64(round(DAY_NS / self.steps_per_day), "ns")
        return {
            "hourly": lag1_slope(self.regular(self.values, step, 1)),
            "daily": lag1_slope(self.daily_means(self.values)),
            "monthly": lag1_slope(self.monthly_means[1]),
        }

    # hot spells and variability --------------------------------------------------------------
    def hot_spells(self, threshold: np.ndarray, min_spell_days: int, extreme: float) -> HotSpellStats:
        days, tmax, _ = self.daily_extremes
        years = self._day_months // 12 + 1970
        with_data = np.unique(years[np.isfinite(tmax)])
        keep = np.isin(years, with_data)
        days, tmax, years = days[keep], tmax[keep], years[keep]
        hot = tmax > threshold[day_of_year_365(days.astype("datetime64[D]"))]
        run_list, spell_days, extreme_days = [], [], []
        for year in with_data:
            sel = years == year
            r = run_lengths(hot[sel])
            run_list.append(r)
            spell_days.append(r[r >= min_spell_days].sum())
            extreme_days.append(int((tmax[sel] >= extreme).sum()))
        return HotSpellStats(
            np.concatenate(run_list) if run_list else np.zeros(0, int),
            np.asarray(spell_days, dtype=float),
            np.asarray(extreme_days, dtype=float),
        )

    @cached_property
    def interannual_std(self) -> np.ndarray:
        labels, means = self.monthly_means
        month = labels.astype(np.int64) % 12 + 1
        out = np.full(12, np.nan)
        for m in range(1, 13):
            x = means[(month == m) & np.isfinite(means)]
            if x.size >= 2:
                out[m - 1] = x.std(ddof=1)
        return out
