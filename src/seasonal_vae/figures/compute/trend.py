"""Numbers of figure ``trend``: the record's warming, the rate removed, and the adjusted record.

Yearly means of the observed and of the adjusted (detrended) series, the line fitted to the
observed yearly means (with its standard error and confidence band) beside the configured
rate that the detrend step removed. The yearly means and the line fit are the detrend step's
own (:func:`seasonal_vae.data.detrend.yearly_means`, :func:`~seasonal_vae.data.detrend.fit_linear_trend`),
so that the figure shows the rate that ``trend.json`` reports. Drawn by
:mod:`seasonal_vae.figures.draw.trend`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import xarray as xr

from seasonal_vae.core.errors import InputError
from seasonal_vae.core.io import open_checked
from seasonal_vae.data.detrend import TREND_COVERAGE, fit_linear_trend, yearly_means
from seasonal_vae.data.series import load_series


def trend_data(
    observed: xr.DataArray,
    adjusted: xr.DataArray,
    configured_rate_per_decade: float,
    reference_year: int,
    report: Mapping | None = None,
) -> xr.Dataset:
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
        if not (
            math.isclose(reported, fit_obs["rate_per_decade"], rel_tol=1e-6, abs_tol=1e-9)
            or (math.isnan(reported) and math.isnan(fit_obs["rate_per_decade"]))
        ):
            raise ValueError(
                f"the report's fitted rate {reported:.6f} °F/decade differs from "
                f"{fit_obs['rate_per_decade']:.6f} refitted to the series"
            )
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
        {
            "observed": ("year", obs.values),
            "adjusted": ("year", adj.values),
            "observed_fit": ("year", fit_obs["line"]),
            "observed_fit_low": ("year", fit_obs["low"]),
            "observed_fit_high": ("year", fit_obs["high"]),
            "adjusted_fit": ("year", fit_adj["line"]),
            "configured_line": ("year", configured),
        },
        coords={"year": obs["year"].values.astype("int64")},
        attrs=attrs,
    )


def read_trend_report(path: str | Path) -> dict:
    """The detrend step's ``trend.json``, checked for the keys the trend figure uses."""
    fix = "rerun the detrend step (python -m seasonal_vae detrend ... --report results/trend.json)"
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(path, f"cannot be read as JSON ({exc})", fix) from exc
    needed = (
        "configured_rate_per_decade",
        "reference_year",
        "fitted_rate_per_decade",
        "fitted_stderr_per_decade",
    )
    missing = [key for key in needed if not isinstance(report, dict) or key not in report]
    if missing:
        raise InputError(path, f"lacks the keys {missing}", fix)
    return report


def compute(paths: Mapping[str, Path], cfg: dict) -> xr.Dataset:
    """Figure ``trend``: reads ``series``, ``detrended`` and ``trend`` (``trend.json``)."""
    report = read_trend_report(paths["trend"])
    rate, ref_year = cfg["detrend"]["rate_per_decade"], cfg["detrend"]["reference_year"]
    if not math.isclose(report["configured_rate_per_decade"], rate) or report["reference_year"] != ref_year:
        raise InputError(
            paths["trend"],
            f"was made with {report['configured_rate_per_decade']} °F/decade "
            f"and reference year {report['reference_year']}, the configuration says "
            f"{rate} and {ref_year}",
            "rerun the detrend step with this configuration",
        )
    observed = load_series(paths["series"])
    adjusted = open_checked(paths["detrended"], "rerun the detrend step")["t2m"]
    try:
        return trend_data(observed, adjusted, rate, ref_year, report)
    except ValueError as exc:
        raise InputError(
            paths["trend"],
            f"does not belong to {paths['series']}: {exc}",
            "rerun the detrend step on this series",
        ) from exc
