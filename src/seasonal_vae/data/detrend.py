"""Remove the warming trend with a continuous hourly ramp, and put it back.

The article shifts the whole record into the climate of a reference year. Rather than the
original's whole-year steps, this module uses a continuous ramp::

    adjusted = observed − rate · (t − t_ref)

with ``t`` in decimal years (leap years exact, see :mod:`seasonal_vae.core.calendar`),
``rate`` in °F per year and ``t_ref`` the centre of the reference year
(``reference_year + 0.5``). The transform is affine in the data, so it is exactly invertible:
:func:`retrend` undoes :func:`detrend` for any timestamps, and :func:`shift_to_year` moves a
series into the climate of any chosen year.
"""

from __future__ import annotations

import calendar
import json
import logging
import math
from pathlib import Path

import numpy as np
import statsmodels.api as sm
import xarray as xr

from seasonal_vae.core.atomic import atomic_path
from seasonal_vae.core.calendar import decimal_year
from seasonal_vae.core.io import open_checked
from seasonal_vae.data.series import SERIES_FIX

log = logging.getLogger(__name__)

#: Coverage a year needs to enter the trend fit: the fraction of its hours with valid data.
TREND_COVERAGE = 0.99


def reference_time(reference_year: int) -> float:
    """Decimal year of the reference climate: the centre of ``reference_year``."""
    return reference_year + 0.5


def trend_offset(times, rate_per_decade: float, reference_year: int) -> np.ndarray:
    """The trend at ``times`` relative to the reference year, in °F."""
    return rate_per_decade / 10.0 * (decimal_year(times) - reference_time(reference_year))


def detrend(da: xr.DataArray, rate_per_decade: float, reference_year: int) -> xr.DataArray:
    """Observed → reference-year climate: ``da − rate·(t − t_ref)`` along ``time``."""
    return da - xr.DataArray(
        trend_offset(da["time"].values, rate_per_decade, reference_year),
        dims="time",
        coords={"time": da["time"]},
    )


def retrend(da: xr.DataArray, rate_per_decade: float, reference_year: int) -> xr.DataArray:
    """Reference-year climate → the climate of each timestamp (inverse of :func:`detrend`)."""
    return da + xr.DataArray(
        trend_offset(da["time"].values, rate_per_decade, reference_year),
        dims="time",
        coords={"time": da["time"]},
    )


def shift_to_year(
    da: xr.DataArray, rate_per_decade: float, reference_year: int, target_year: int
) -> xr.DataArray:
    """Reference-year climate → the climate of ``target_year`` (a constant shift)."""
    return da + rate_per_decade / 10.0 * (target_year - reference_year)


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
        return {
            "rate_per_decade": math.nan,
            "stderr_per_decade": math.nan,
            "intercept": math.nan,
            "n_years": int(ok.sum()),
            "line": nan,
            "low": nan,
            "high": nan,
        }
    fit = sm.OLS(values[ok], sm.add_constant(years[ok])).fit()
    band = fit.get_prediction(sm.add_constant(years, has_constant="add")).conf_int(alpha=1 - level)
    return {
        "rate_per_decade": float(fit.params[1] * 10),
        "stderr_per_decade": float(fit.bse[1] * 10),
        "intercept": float(fit.params[0]),
        "n_years": int(ok.sum()),
        "line": fit.predict(sm.add_constant(years, has_constant="add")),
        "low": band[:, 0],
        "high": band[:, 1],
    }


def fit_rate(da: xr.DataArray, min_coverage: float = TREND_COVERAGE) -> dict:
    """Fit the warming rate to yearly means (OLS), as the article did.

    Only years with valid data for at least ``min_coverage`` of their hours are used (a
    UTC record seen in local time reaches a few hours into the neighbouring years): the
    :func:`yearly_means` of ``da`` through :func:`fit_linear_trend`.

    Returns
    -------
    dict
        ``rate_per_decade`` and its standard error ``stderr_per_decade`` in °F/decade, and
        the number of years used (NaN rates if fewer than three).
    """
    means = yearly_means(da, min_coverage)
    fit = fit_linear_trend(means["year"].values, means.values)
    return {key: fit[key] for key in ("rate_per_decade", "stderr_per_decade", "n_years")}


def detrend_file(
    series_path: str | Path,
    out_path: str | Path,
    out_json: str | Path,
    rate_per_decade: float,
    reference_year: int,
) -> xr.Dataset:
    """Read the series, write the adjusted series (netCDF) and the trend report (JSON)."""
    source = open_checked(series_path, SERIES_FIX)  # one read: the series and its attributes
    observed = source["t2m"]
    fitted = fit_rate(observed)
    log.info(
        "warming rate: configured %.3f °F/decade, fitted to yearly means %.3f ± %.3f "
        "°F/decade (%d complete years)",
        rate_per_decade,
        fitted["rate_per_decade"],
        fitted["stderr_per_decade"],
        fitted["n_years"],
    )
    adjusted = detrend(observed, rate_per_decade, reference_year)
    adjusted.attrs = {
        **observed.attrs,
        "units": "degF",
        "long_name": f"2 m air temperature adjusted to the {reference_year} climate",
        "comment": f"observed - {rate_per_decade} degF/decade * (t - {reference_year}.5)",
    }
    ds = adjusted.to_dataset(name="t2m")
    ds.attrs = {
        **source.attrs,
        "Conventions": "CF-1.8",
        "title": "Detrended hourly 2 m temperature",
        "trend_rate_per_decade": rate_per_decade,
        "trend_reference_year": reference_year,
        "fitted_rate_per_decade": fitted["rate_per_decade"],
    }
    with atomic_path(out_path) as tmp:
        ds.to_netcdf(tmp)
    report = {
        "configured_rate_per_decade": rate_per_decade,
        "reference_year": reference_year,
        "reference_time": reference_time(reference_year),
        "fitted_rate_per_decade": fitted["rate_per_decade"],
        "fitted_stderr_per_decade": fitted["stderr_per_decade"],
        "fitted_n_years": fitted["n_years"],
    }
    with atomic_path(out_json) as tmp:
        tmp.write_text(json.dumps(report, indent=2) + "\n")
    return ds
