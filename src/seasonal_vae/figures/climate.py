"""Figures that compare the real record with generated data: trend, seasons, days, memory, samples.

Five figures, each a :class:`~seasonal_vae.figures.registry.FigureSpec` in :data:`FIGURES`:

``trend``
    Yearly means of the observed and of the adjusted (detrended) series, the warming rate
    fitted to the observed yearly means (with its standard error) beside the configured rate
    that the detrend step removed.
``seasonal``
    Monthly and day-of-year (31-day circular running window) mean and spread, real vs
    generated, and the generated − real differences per path.
``diurnal``
    The mean diurnal profile in local standard time, overall and per month, and month ×
    hour heatmaps of the generated − real difference of the mean and the standard deviation.
``acf``
    The autocorrelation function of hourly anomalies (lags 1 h to 30 days) and of daily-mean
    anomalies (lags 1 to 60 days), with the real data's year-to-year spread as a band, and
    the article's three lag-1 regression slopes.
``samples``
    A year of daily means and two three-week windows of hourly values, real vs generated.

Each compute function reads the pipeline's files and returns an :class:`xarray.Dataset`
(written to ``results/figdata/<name>.nc``); the drawing lives in
:mod:`seasonal_vae.figures.draw.trend`, ``.seasonal``, ``.diurnal``, ``.acf`` and ``.samples``.
The numerical work is done by functions of this module that take DataArrays, so that it can
be tested and reused without files:

- real series: 1-D along ``time`` (hourly, local standard time, °F, NaN allowed);
- generated series: 2-D ``(path, time)`` on the same hours. Hours missing (NaN) in the real
  series are masked in the generated paths too, so both statistics cover the same hours.

*Anomalies* (for the ACF) are deviations from a smooth climatology: the mean of each
(calendar day × hour of day) cell over all years, smoothed along the calendar with a 31-day
circular running window (each hour of day on its own), after a straight line fitted to the
whole series (the warming trend) has been removed. Each series — real, and each generated
path — is measured against its own climatology.
"""

from __future__ import annotations

import calendar
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
import xarray as xr
from scipy.ndimage import uniform_filter1d
from statsmodels.tsa.stattools import acf as sm_acf
from statsmodels.tsa.stattools import acovf

from seasonal_vae.evaluation import comparison as stats
from seasonal_vae.core.errors import InputError
from seasonal_vae.figures.registry import FigureSpec
from seasonal_vae.data.series import SERIES_FIX, load_series, open_checked

#: Days in the calendar used for day-of-year statistics (29 February joins 28 February).
DAYS = 365
#: Default width, in days, of the circular running window over the calendar.
SMOOTHING_DAYS = 31
#: Fraction of a year's hours (or days) that must be valid for its per-year ACF or yearly mean.
YEAR_COVERAGE = 0.9
#: Coverage a year needs to enter the trend fit (as in :func:`seasonal_vae.data.detrend.fit_rate`).
TREND_COVERAGE = 0.99
#: Quantiles drawn as the "spread" bands (5 % and 95 %).
BAND = (0.05, 0.95)
#: Lags of the ACF figure: hours (30 days) and days.
HOURLY_LAGS = 30 * 24
DAILY_LAGS = 60
_SAMPLES_FIX = "pass results/samples/<prior>.nc, as written by the sampling step"
_RESOLUTIONS = ("hourly", "daily", "monthly")


# --------------------------------------------------------------------------- loading

def load_generated(path: str | Path) -> tuple[xr.DataArray, dict]:
    """All paths of a samples file as a float64 ``(path, time)`` DataArray, with its attributes.

    Raises
    ------
    InputError
        If the file is unusable or not in °F.
    """
    ds = open_checked(path, _SAMPLES_FIX, dims=("path", "time"))
    t2m = ds["t2m"]
    units = t2m.attrs.get("units", "degF")
    if units != "degF":
        raise InputError(path, f"'t2m' is in {units!r}, not 'degF'", "pass the °F files the pipeline wrote")
    return t2m.astype("float64"), dict(ds.attrs)


def align(real: xr.DataArray, generated: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
    """Real and generated on their common hours; generated masked where real is missing.

    Parameters
    ----------
    real
        1-D hourly series along ``time``.
    generated
        ``(path, time)`` generated paths.

    Raises
    ------
    ValueError
        If the two share no valid hour.
    """
    if real.dims != ("time",) or generated.dims != ("path", "time"):
        raise ValueError(f"expected real on ('time',) and generated on ('path', 'time'), got "
                         f"{real.dims} and {generated.dims}")
    real, generated = xr.align(real.astype("float64"), generated.astype("float64"), join="inner")
    if int(real.notnull().sum()) == 0:
        raise ValueError("the real and generated series share no valid hour")
    return real, generated.where(real.notnull())


def _load_pair(paths: Mapping[str, Path]) -> tuple[xr.DataArray, xr.DataArray, dict]:
    """The real series and the generated paths on their common hours, and the samples' attributes."""
    real = load_series(paths["series"])
    generated, attrs = load_generated(paths["samples"])
    try:
        real, generated = align(real, generated)
    except ValueError as exc:
        raise InputError(paths["samples"], f"cannot be compared with {paths['series']}: {exc}",
                         "generate samples over the real record's dates (the sample step)") from exc
    return real, generated, attrs


def _provenance(attrs: dict, samples_path: Path, n_paths: int) -> dict:
    """Attributes saying which generated data a figure shows (netCDF-safe strings)."""
    return {"samples_file": Path(samples_path).name, "n_paths": int(n_paths),
            "noise": str(attrs.get("noise", "unknown")), "seed": str(attrs.get("seed", "unknown")),
            "retrend": str(attrs.get("retrend", "unknown"))}


def footer(ds: xr.Dataset, cfg: dict) -> str:
    """The figure footer: the data label, and for generated data which file, noise and seed."""
    label = cfg["data"]["label"]
    if "samples_file" not in ds.attrs:
        return label
    a = ds.attrs
    return (f"{label}\nGenerated: {a['n_paths']} path(s) of {a['samples_file']}, observation noise "
            f"{a['noise']}, seed {a['seed']}, trend re-applied: {a['retrend']}.")


# --------------------------------------------------------------------------- calendar helpers

def day_of_year_365(times) -> np.ndarray:
    """0-based day of a 365-day year; 29 February counts as 28 February.

    Parameters
    ----------
    times
        Timestamps (anything :class:`pandas.DatetimeIndex` accepts).

    Returns
    -------
    numpy.ndarray
        Integers 0–364; 1 March is day 59 in every year.
    """
    index = pd.DatetimeIndex(times)
    doy = index.day_of_year.to_numpy() - 1
    return doy - (index.is_leap_year & (doy >= 59)).astype(int)


def grouped_moments(values: np.ndarray, key: np.ndarray, n_groups: int,
                    centre: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count, sum and sum of squares of the valid values in each group.

    Parameters
    ----------
    values
        ``(n_series, n_time)`` values; NaN are skipped.
    key
        ``(n_time,)`` group of each time step, integers in ``[0, n_groups)``.
    n_groups
        Number of groups.
    centre
        Subtracted before summing, to keep the sums of squares well conditioned.

    Returns
    -------
    tuple of numpy.ndarray
        Each ``(n_series, n_groups)``.
    """
    values = np.atleast_2d(values) - centre
    valid = np.isfinite(values)
    clean = np.where(valid, values, 0.0)
    counts = np.stack([np.bincount(key, weights=v, minlength=n_groups) for v in valid.astype(float)])
    sums = np.stack([np.bincount(key, weights=v, minlength=n_groups) for v in clean])
    squares = np.stack([np.bincount(key, weights=v * v, minlength=n_groups) for v in clean])
    return counts, sums, squares


def moments_to_mean_std(counts, sums, squares, centre: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation from :func:`grouped_moments`; NaN where a group is empty.

    The standard deviation is that of the values themselves (``ddof=0``), so that pooling
    identical copies of a series leaves it unchanged.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / counts
        var = squares / counts - mean * mean
    valid = counts > 0
    return (np.where(valid, mean + centre, np.nan),
            np.where(valid, np.sqrt(np.clip(var, 0.0, None)), np.nan))


def circular_smooth(a: np.ndarray, window: int, axis: int = -1) -> np.ndarray:
    """Running mean over a ``window``-long stretch of a circular axis (the calendar)."""
    if window < 1 or window % 2 == 0:
        raise ValueError(f"the smoothing window must be a positive odd number of days, not {window}")
    return uniform_filter1d(np.asarray(a, dtype="float64"), size=window, axis=axis, mode="wrap")


def _as_2d(generated: xr.DataArray) -> np.ndarray:
    return generated.transpose("path", "time").values


# --------------------------------------------------------------------------- 6. trend

def yearly_means(da: xr.DataArray, min_coverage: float = TREND_COVERAGE) -> xr.DataArray:
    """Calendar-year means; NaN for years with valid data for fewer than ``min_coverage`` of their hours.

    Parameters
    ----------
    da
        Hourly series along ``time``.
    min_coverage
        Fraction of the year's hours (8760 or 8784) that must be valid.

    Returns
    -------
    xarray.DataArray
        Dimension ``year``.
    """
    years = da["time"].dt.year
    means = da.groupby(years).mean()
    valid = da.notnull().groupby(years).sum()
    hours = np.array([(366 if calendar.isleap(int(y)) else 365) * 24 for y in valid["year"].values])
    return means.where(valid.values >= min_coverage * hours)


def fit_linear_trend(years, values, level: float = 0.95) -> dict:
    """Ordinary-least-squares line through yearly values.

    Parameters
    ----------
    years, values
        Equal-length 1-D arrays; pairs with a NaN value are left out.
    level
        Confidence level of the band around the fitted line.

    Returns
    -------
    dict
        ``rate_per_decade`` and ``stderr_per_decade`` (units of ``values`` per decade),
        ``intercept`` (value at year 0), ``n_years``, and ``line``, ``low``, ``high``: the
        fitted line and its confidence band at every entry of ``years`` (NaN if fewer than
        three years are valid).
    """
    years = np.asarray(years, dtype="float64")
    values = np.asarray(values, dtype="float64")
    ok = np.isfinite(values)
    nan = np.full(years.shape, np.nan)
    if ok.sum() < 3:
        return {"rate_per_decade": math.nan, "stderr_per_decade": math.nan, "intercept": math.nan,
                "n_years": int(ok.sum()), "line": nan, "low": nan, "high": nan}
    fit = sm.OLS(values[ok], sm.add_constant(years[ok])).fit()
    band = fit.get_prediction(sm.add_constant(years, has_constant="add")).conf_int(alpha=1 - level)
    return {"rate_per_decade": float(fit.params[1] * 10), "stderr_per_decade": float(fit.bse[1] * 10),
            "intercept": float(fit.params[0]), "n_years": int(ok.sum()),
            "line": fit.predict(sm.add_constant(years, has_constant="add")),
            "low": band[:, 0], "high": band[:, 1]}


def trend_data(observed: xr.DataArray, adjusted: xr.DataArray, configured_rate_per_decade: float,
               reference_year: int, report: Mapping | None = None) -> xr.Dataset:
    """Yearly means of the observed and adjusted series, their fitted lines and the configured rate.

    Parameters
    ----------
    observed, adjusted
        Hourly series along ``time``: the record and the detrended record.
    configured_rate_per_decade
        The rate the detrend step removed (°F/decade).
    reference_year
        The year whose climate the adjusted series represents.
    report
        The detrend step's ``trend.json`` (optional): its fitted rate must agree with the one
        refitted here.

    Returns
    -------
    xarray.Dataset
        Dimension ``year``: ``observed``, ``adjusted`` (yearly means, NaN for incomplete
        years), ``observed_fit`` with ``observed_fit_low``/``_high`` (95 % confidence band),
        ``adjusted_fit``, and ``configured_line`` (the configured rate through the centre of
        the observed fit). Attributes: the rates and standard errors in °F/decade.

    Raises
    ------
    ValueError
        If the report's fitted rate differs from the refitted one (the report is stale).
    """
    obs = yearly_means(observed)
    obs = obs.sel(year=obs.notnull())  # complete years only
    adj = yearly_means(adjusted).reindex(year=obs["year"])
    years = obs["year"].values.astype("float64")
    fit_obs = fit_linear_trend(years, obs.values)
    fit_adj = fit_linear_trend(years, adj.values)
    if report is not None:
        reported = float(report["fitted_rate_per_decade"])
        if not (math.isclose(reported, fit_obs["rate_per_decade"], rel_tol=1e-6, abs_tol=1e-9)
                or (math.isnan(reported) and math.isnan(fit_obs["rate_per_decade"]))):
            raise ValueError(f"the report's fitted rate {reported:.6f} °F/decade differs from "
                             f"{fit_obs['rate_per_decade']:.6f} refitted to the series")
    ok = np.isfinite(obs.values)
    centre_year = years[ok].mean() if ok.any() else math.nan
    centre_value = np.nanmean(obs.values) if ok.any() else math.nan
    configured = centre_value + configured_rate_per_decade / 10 * (years - centre_year)
    attrs = {
        "units": "degF",
        "configured_rate_per_decade": float(configured_rate_per_decade),
        "reference_year": int(reference_year),
        "fitted_rate_per_decade": fit_obs["rate_per_decade"],
        "fitted_stderr_per_decade": fit_obs["stderr_per_decade"],
        "fitted_n_years": fit_obs["n_years"],
        "adjusted_rate_per_decade": fit_adj["rate_per_decade"],
        "adjusted_stderr_per_decade": fit_adj["stderr_per_decade"],
        "coverage": TREND_COVERAGE,
    }
    return xr.Dataset(
        {"observed": ("year", obs.values), "adjusted": ("year", adj.values),
         "observed_fit": ("year", fit_obs["line"]), "observed_fit_low": ("year", fit_obs["low"]),
         "observed_fit_high": ("year", fit_obs["high"]), "adjusted_fit": ("year", fit_adj["line"]),
         "configured_line": ("year", configured)},
        coords={"year": obs["year"].values.astype("int64")}, attrs=attrs)


def read_trend_report(path: str | Path) -> dict:
    """The detrend step's ``trend.json``, checked for the keys the trend figure uses."""
    fix = "rerun the detrend step (python -m seasonal_vae detrend ... --report results/trend.json)"
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(path, f"cannot be read as JSON ({exc})", fix) from exc
    needed = ("configured_rate_per_decade", "reference_year", "fitted_rate_per_decade",
              "fitted_stderr_per_decade")
    missing = [key for key in needed if not isinstance(report, dict) or key not in report]
    if missing:
        raise InputError(path, f"lacks the keys {missing}", fix)
    return report


def compute_trend(paths: Mapping[str, Path], cfg: dict) -> xr.Dataset:
    """Figure ``trend``: reads ``series``, ``detrended`` and ``trend`` (``trend.json``)."""
    report = read_trend_report(paths["trend"])
    rate, ref_year = cfg["detrend"]["rate_per_decade"], cfg["detrend"]["reference_year"]
    if not math.isclose(report["configured_rate_per_decade"], rate) or report["reference_year"] != ref_year:
        raise InputError(paths["trend"], f"was made with {report['configured_rate_per_decade']} °F/decade "
                         f"and reference year {report['reference_year']}, the configuration says "
                         f"{rate} and {ref_year}", "rerun the detrend step with this configuration")
    observed = load_series(paths["series"])
    adjusted = open_checked(paths["detrended"], "rerun the detrend step")["t2m"]
    try:
        return trend_data(observed, adjusted, rate, ref_year, report)
    except ValueError as exc:
        raise InputError(paths["trend"], f"does not belong to {paths['series']}: {exc}",
                         "rerun the detrend step on this series") from exc


# --------------------------------------------------------------------------- 7. seasonal

def _monthly_spread(values: np.ndarray, month: np.ndarray, band=BAND) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles ``band`` of all valid values (pooled over rows) of each calendar month: (12,) each."""
    low, high = np.full(12, np.nan), np.full(12, np.nan)
    for m in range(12):
        pooled = values[:, month == m + 1].ravel()
        pooled = pooled[np.isfinite(pooled)]
        if pooled.size:
            low[m], high[m] = np.quantile(pooled, band)
    return low, high


def seasonal_data(real: xr.DataArray, generated: xr.DataArray, window: int = SMOOTHING_DAYS,
                  band: Sequence[float] = BAND) -> xr.Dataset:
    """Monthly and smoothed day-of-year mean and spread of the real series and the generated paths.

    Parameters
    ----------
    real
        Hourly series along ``time``.
    generated
        ``(path, time)``, on the same hours as ``real`` (see :func:`align`).
    window
        Width in days of the circular running window over the calendar.
    band
        Lower and upper quantile of the hourly values drawn as each month's spread.

    Returns
    -------
    xarray.Dataset
        Per ``month`` (1–12): ``{real,generated}_monthly_{mean,std,low,high}`` (``low``/``high``:
        the ``band`` quantiles of the hourly values); per ``path`` and ``month``:
        ``path_monthly_{mean,std}``. Per ``day`` (1–365, 29 Feb counted as 28 Feb):
        ``{real,generated}_daily_{mean,std}`` and ``path_daily_{mean,std}``: mean and standard
        deviation of the hourly values in the ``window`` days centred on each day. ``generated``
        pools all paths. ``floor_daily_{mean,std}``: the same statistics of the real even
        years minus those of the real odd years, a noise floor for the generated − real
        differences.
    """
    times = real["time"].values
    month = pd.DatetimeIndex(times).month.to_numpy()
    doy = day_of_year_365(times)
    r, g = real.values[None, :], _as_2d(generated)
    centre = float(np.nanmean(r))
    out = {}
    for name, values, pool in (("real", r, False), ("path", g, False), ("generated", g, True)):
        m_moments = grouped_moments(values, month - 1, 12, centre)
        d_moments = grouped_moments(values, doy, DAYS, centre)
        if pool:
            m_moments = tuple(a.sum(axis=0, keepdims=True) for a in m_moments)
            d_moments = tuple(a.sum(axis=0, keepdims=True) for a in d_moments)
        m_mean, m_std = moments_to_mean_std(*m_moments, centre)
        d_mean, d_std = moments_to_mean_std(*(circular_smooth(a, window) for a in d_moments), centre)
        if name == "path":
            out.update({"path_monthly_mean": (("path", "month"), m_mean),
                        "path_monthly_std": (("path", "month"), m_std),
                        "path_daily_mean": (("path", "day"), d_mean),
                        "path_daily_std": (("path", "day"), d_std)})
            continue
        low, high = _monthly_spread(values, month, band)
        out.update({f"{name}_monthly_mean": ("month", m_mean[0]), f"{name}_monthly_std": ("month", m_std[0]),
                    f"{name}_monthly_low": ("month", low), f"{name}_monthly_high": ("month", high),
                    f"{name}_daily_mean": ("day", d_mean[0]), f"{name}_daily_std": ("day", d_std[0])})
    # The noise floor: the same statistics for the real even years minus the real odd years.
    even = pd.DatetimeIndex(times).year.to_numpy() % 2 == 0
    halves = np.stack([np.where(even, r[0], np.nan), np.where(~even, r[0], np.nan)])
    h_mean, h_std = moments_to_mean_std(*(circular_smooth(a, window) for a in
                                          grouped_moments(halves, doy, DAYS, centre)), centre)
    out.update({"floor_daily_mean": ("day", h_mean[0] - h_mean[1]),
                "floor_daily_std": ("day", h_std[0] - h_std[1])})
    return xr.Dataset(out, coords={"month": np.arange(1, 13), "day": np.arange(1, DAYS + 1),
                                   "path": generated["path"].values},
                      attrs={"units": "degF", "window_days": int(window),
                             "band_low": float(band[0]), "band_high": float(band[1])})


def compute_seasonal(paths: Mapping[str, Path], cfg: dict) -> xr.Dataset:
    """Figure ``seasonal``: reads ``series`` and ``samples``."""
    real, generated, attrs = _load_pair(paths)
    ds = seasonal_data(real, generated)
    ds.attrs.update(_provenance(attrs, paths["samples"], generated.sizes["path"]))
    return ds


# --------------------------------------------------------------------------- 8. diurnal

def diurnal_data(real: xr.DataArray, generated: xr.DataArray) -> xr.Dataset:
    """Mean (and std) per local hour of day, overall and per calendar month, real vs generated.

    Parameters
    ----------
    real
        Hourly series along ``time`` (local standard time).
    generated
        ``(path, time)``, on the same hours as ``real``.

    Returns
    -------
    xarray.Dataset
        ``{real,generated}_mean`` and ``_std`` on ``(month, hour)``; ``path_mean`` on
        ``(path, month, hour)``; ``{real,generated}_hour_mean`` on ``hour`` and
        ``path_hour_mean`` on ``(path, hour)``; and ``difference_mean``,
        ``difference_std`` = generated − real on ``(month, hour)``. ``generated`` pools all
        paths; ``std`` is the standard deviation of the hourly values in each cell.
    """
    index = pd.DatetimeIndex(real["time"].values)
    month, hour = index.month.to_numpy(), index.hour.to_numpy()
    cell = (month - 1) * 24 + hour
    r, g = real.values[None, :], _as_2d(generated)
    centre = float(np.nanmean(r))

    def cells(values, key, n, pool):
        moments = grouped_moments(values, key, n, centre)
        if pool:
            moments = tuple(a.sum(axis=0, keepdims=True) for a in moments)
        return moments_to_mean_std(*moments, centre)

    r_mean, r_std = (a[0].reshape(12, 24) for a in cells(r, cell, 288, False))
    g_mean, g_std = (a[0].reshape(12, 24) for a in cells(g, cell, 288, True))
    p_mean = cells(g, cell, 288, False)[0].reshape(-1, 12, 24)
    mh, h = ("month", "hour"), "hour"
    return xr.Dataset(
        {"real_mean": (mh, r_mean), "real_std": (mh, r_std),
         "generated_mean": (mh, g_mean), "generated_std": (mh, g_std),
         "path_mean": (("path",) + mh, p_mean),
         "difference_mean": (mh, g_mean - r_mean), "difference_std": (mh, g_std - r_std),
         "real_hour_mean": (h, cells(r, hour, 24, False)[0][0]),
         "generated_hour_mean": (h, cells(g, hour, 24, True)[0][0]),
         "path_hour_mean": (("path", h), cells(g, hour, 24, False)[0])},
        coords={"month": np.arange(1, 13), "hour": np.arange(24), "path": generated["path"].values},
        attrs={"units": "degF", "time": "local standard time"})


def compute_diurnal(paths: Mapping[str, Path], cfg: dict) -> xr.Dataset:
    """Figure ``diurnal``: reads ``series`` and ``samples``."""
    real, generated, attrs = _load_pair(paths)
    ds = diurnal_data(real, generated)
    ds.attrs.update(_provenance(attrs, paths["samples"], generated.sizes["path"]))
    ds.attrs["utc_offset_hours"] = float(cfg["site"]["utc_offset_hours"])
    return ds


# --------------------------------------------------------------------------- 9. acf

def _remove_line(da: xr.DataArray) -> xr.DataArray:
    """``da`` minus a straight line in time fitted to its valid values (least squares)."""
    t = (da["time"].values - da["time"].values[0]) / np.timedelta64(1, "D")
    ok = np.isfinite(da.values)
    if ok.sum() < 2:
        return da
    slope, intercept = np.polyfit(t[ok], da.values[ok], 1)
    return da - (intercept + slope * t)


def hourly_anomalies(da: xr.DataArray, window: int = SMOOTHING_DAYS) -> xr.DataArray:
    """Hourly deviations from the smooth (calendar day × hour of day) climatology, trend removed.

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


def daily_anomalies(da: xr.DataArray, window: int = SMOOTHING_DAYS,
                    min_coverage: float = 0.9) -> xr.DataArray:
    """Daily means' deviations from their smooth calendar-day climatology, trend removed.

    Parameters
    ----------
    da
        Hourly series along ``time``.
    window
        Width in days of the circular running window over the calendar.
    min_coverage
        Fraction of a day's hours needed for its mean (see :func:`seasonal_vae.evaluation.comparison.daily_means`).

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
    return xr.DataArray(data, dims=("year", "lag"),
                        coords={"year": np.array(years, dtype="int64"), "lag": np.arange(1, nlags + 1)})


def _acf_block(prefix: str, lag_dim: str, real: xr.DataArray, paths: list[xr.DataArray],
               nlags: int, band) -> dict:
    """Whole-record ACF of real and each path, real per year and its band, as dataset entries."""
    by_year = acf_by_year(real, nlags).rename(lag=lag_dim, year=f"{prefix}_year")
    values = by_year.values
    enough = values.shape[0] > 0
    with np.errstate(all="ignore"):
        low, high = (np.nanquantile(values, q, axis=0) if enough else np.full(nlags, np.nan) for q in band)
        lo_all, hi_all = (f(values, axis=0) if enough else np.full(nlags, np.nan)
                          for f in (np.nanmin, np.nanmax))
    return {
        f"real_{prefix}_acf": (lag_dim, autocorrelation(real.values, nlags)),
        f"path_{prefix}_acf": (("path", lag_dim),
                               np.stack([autocorrelation(p.values, nlags) for p in paths])),
        f"real_{prefix}_acf_by_year": by_year,
        f"real_{prefix}_band_low": (lag_dim, low), f"real_{prefix}_band_high": (lag_dim, high),
        f"real_{prefix}_min": (lag_dim, lo_all), f"real_{prefix}_max": (lag_dim, hi_all),
    }


def acf_data(real: xr.DataArray, generated: xr.DataArray, hourly_lags: int = HOURLY_LAGS,
             daily_lags: int = DAILY_LAGS, band: Sequence[float] = BAND,
             window: int = SMOOTHING_DAYS) -> xr.Dataset:
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
        Smoothing window of the climatology (days); see :func:`hourly_anomalies`.

    Returns
    -------
    xarray.Dataset
        ``real_hourly_acf`` (``hour_lag``), ``path_hourly_acf`` (``path``, ``hour_lag``),
        ``real_hourly_acf_by_year`` (``hourly_year``, ``hour_lag``), ``real_hourly_band_low``
        / ``_high`` (the ``band`` quantiles across years), ``real_hourly_min`` / ``_max``; the
        same with ``daily`` on ``day_lag``; and the lag-1 regression slopes of the raw series
        (:func:`seasonal_vae.evaluation.comparison.lag1_slopes`) on ``resolution``: ``real_lag1``,
        ``path_lag1`` (``path``, ``resolution``), ``article_real_lag1``,
        ``article_generated_lag1``.
    """
    path_series = [generated.isel(path=i, drop=True) for i in range(generated.sizes["path"])]
    hourly = _acf_block("hourly", "hour_lag", hourly_anomalies(real, window),
                        [hourly_anomalies(p, window) for p in path_series], hourly_lags, band)
    daily = _acf_block("daily", "day_lag", daily_anomalies(real, window),
                       [daily_anomalies(p, window) for p in path_series], daily_lags, band)
    slopes_real = stats.lag1_slopes(real)
    slopes_paths = [stats.lag1_slopes(p) for p in path_series]
    article = stats.ARTICLE["lag1_slopes"]
    res = "resolution"
    ds = xr.Dataset(
        {**hourly, **daily,
         "real_lag1": (res, [slopes_real[k] for k in _RESOLUTIONS]),
         "path_lag1": (("path", res), [[s[k] for k in _RESOLUTIONS] for s in slopes_paths]),
         "article_real_lag1": (res, [article["real"][k] for k in _RESOLUTIONS]),
         "article_generated_lag1": (res, [article["generated"][k] for k in _RESOLUTIONS])},
        coords={"hour_lag": np.arange(1, hourly_lags + 1), "day_lag": np.arange(1, daily_lags + 1),
                "path": generated["path"].values, res: np.array(_RESOLUTIONS)},
        attrs={"anomalies": f"deviations from the calendar-day × hour-of-day climatology smoothed "
                            f"with a {window}-day circular running mean, after removing a linear "
                            "trend; per-year ACFs about that climatology (not each year's mean)",
               "window_days": int(window), "band_low": float(band[0]), "band_high": float(band[1])})
    ds["hour_lag"].attrs["units"] = "hours"
    ds["day_lag"].attrs["units"] = "days"
    return ds


def compute_acf(paths: Mapping[str, Path], cfg: dict) -> xr.Dataset:
    """Figure ``acf``: reads ``series`` and ``samples``."""
    real, generated, attrs = _load_pair(paths)
    ds = acf_data(real, generated)
    ds.attrs.update(_provenance(attrs, paths["samples"], generated.sizes["path"]))
    return ds


# --------------------------------------------------------------------------- 10. samples

def latest_complete_year(da: xr.DataArray) -> int:
    """The last calendar year in which every hour of every day is valid.

    Raises
    ------
    ValueError
        If there is no such year.
    """
    index = pd.DatetimeIndex(da["time"].values)
    valid = pd.Series(np.isfinite(da.values), index=index).groupby(index.year).sum()
    full = [int(y) for y, n in valid.items() if n == (366 if calendar.isleap(int(y)) else 365) * 24]
    if not full:
        raise ValueError("no calendar year of the series is complete")
    return full[-1]


def samples_data(real: xr.DataArray, generated: xr.DataArray, year: int | None = None,
                 weeks: int = 3, window_starts: Sequence[str] | None = None) -> xr.Dataset:
    """One year of hourly values and daily means, real vs each generated path.

    Parameters
    ----------
    real
        Hourly series along ``time``.
    generated
        ``(path, time)``, on the same hours as ``real``.
    year
        The year shown; default :func:`latest_complete_year` of ``real``.
    weeks
        Length of each window of hourly values, in weeks.
    window_starts
        First day of each hourly window (within ``year``); default: 1 July and the day that
        makes the last window end with the year.

    Returns
    -------
    xarray.Dataset
        ``real_hourly`` (``time``), ``generated_hourly`` (``path``, ``time``), ``real_daily``
        (``day``), ``generated_daily`` (``path``, ``day``) and ``window_start`` (``window``).
    """
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, not {weeks}")
    year = latest_complete_year(real) if year is None else int(year)
    span = slice(f"{year}-01-01", f"{year}-12-31 23:00")
    r, g = real.sel(time=span), generated.sel(time=span)
    if r.sizes["time"] == 0:
        raise ValueError(f"the series has no hour in {year}")
    if window_starts is None:
        end = pd.Timestamp(f"{year + 1}-01-01")
        window_starts = [f"{year}-07-01", str((end - pd.Timedelta(weeks=weeks)).date())]
    starts = pd.DatetimeIndex(window_starts)
    if (starts.year != year).any():
        raise ValueError(f"every window must start in {year}, not {list(window_starts)}")
    daily_real = stats.daily_means(r)
    daily_gen = xr.concat([stats.daily_means(g.isel(path=i, drop=True)) for i in range(g.sizes["path"])],
                          dim="path")
    return xr.Dataset(
        {"real_hourly": ("time", r.values), "generated_hourly": (("path", "time"), _as_2d(g)),
         "real_daily": ("day", daily_real.values),
         "generated_daily": (("path", "day"), daily_gen.values),
         "window_start": ("window", starts.values)},
        coords={"time": r["time"].values, "day": daily_real["time"].values, "path": g["path"].values},
        attrs={"units": "degF", "year": int(year), "weeks": int(weeks)})


def compute_samples(paths: Mapping[str, Path], cfg: dict) -> xr.Dataset:
    """Figure ``samples``: reads ``series`` and ``samples``."""
    real, generated, attrs = _load_pair(paths)
    try:
        ds = samples_data(real, generated, weeks=cfg["figures"]["comparison_weeks"])
    except ValueError as exc:
        raise InputError(paths["series"], str(exc), "give a series with a complete calendar year") from exc
    ds.attrs.update(_provenance(attrs, paths["samples"], generated.sizes["path"]))
    return ds


# --------------------------------------------------------------------------- figures

def draw_trend(ds: xr.Dataset, cfg: dict):
    """Draw figure ``trend`` (see :func:`seasonal_vae.figures.draw.trend.trend_figure`)."""
    from seasonal_vae.figures.draw.trend import trend_figure

    return trend_figure(ds, footer(ds, cfg))


def draw_seasonal(ds: xr.Dataset, cfg: dict):
    """Draw figure ``seasonal`` (see :func:`seasonal_vae.figures.draw.seasonal.seasonal_figure`)."""
    from seasonal_vae.figures.draw.seasonal import seasonal_figure

    return seasonal_figure(ds, footer(ds, cfg))


def draw_diurnal(ds: xr.Dataset, cfg: dict):
    """Draw figure ``diurnal`` (see :func:`seasonal_vae.figures.draw.diurnal.diurnal_figure`)."""
    from seasonal_vae.figures.draw.diurnal import diurnal_figure

    return diurnal_figure(ds, footer(ds, cfg))


def draw_acf(ds: xr.Dataset, cfg: dict):
    """Draw figure ``acf`` (see :func:`seasonal_vae.figures.draw.acf.acf_figure`)."""
    from seasonal_vae.figures.draw.acf import acf_figure

    return acf_figure(ds, footer(ds, cfg))


def draw_samples(ds: xr.Dataset, cfg: dict):
    """Draw figure ``samples`` (see :func:`seasonal_vae.figures.draw.samples.samples_figure`)."""
    from seasonal_vae.figures.draw.samples import samples_figure

    return samples_figure(ds, footer(ds, cfg))


FIGURES = [
    FigureSpec("trend", ("series", "detrended", "trend"), compute_trend, draw_trend,
               "Yearly mean temperature of the observed record with its fitted linear warming rate "
               "(± standard error) beside the configured rate removed by the detrend step, and the "
               "adjusted (detrended) record's yearly means, which no longer warm."),
    FigureSpec("seasonal", ("series", "samples"), compute_seasonal, draw_seasonal,
               "Seasonal cycle of real and generated hourly temperature: monthly and 31-day "
               "smoothed day-of-year mean and spread of the hourly values, and the generated − "
               "real differences for every generated path."),
    FigureSpec("diurnal", ("series", "samples"), compute_diurnal, draw_diurnal,
               "Mean diurnal cycle in local standard time, real vs generated, over the whole year "
               "and for each month, with month × hour maps of the generated − real difference "
               "of the mean and of the standard deviation."),
    FigureSpec("acf", ("series", "samples"), compute_acf, draw_acf,
               "Autocorrelation of hourly anomalies (lags 1 h to 30 days) and of daily-mean "
               "anomalies (lags 1 to 60 days), real vs generated, with the real record's "
               "year-to-year 5–95 % range, and the article's lag-1 regression slopes."),
    FigureSpec("samples", ("series", "samples"), compute_samples, draw_samples,
               "A recent full year of daily mean temperature and two windows of a few weeks of "
               "hourly values (summer and year end), real vs generated on the same dates."),
]
