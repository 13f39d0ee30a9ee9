"""Two weather generators a user could pick instead of the VAE, and the calendar mapping they share.

Both work in the reference-year climate of the detrended record (``results/detrended.nc``)
and put the warming trend back at the dates they generate (:func:`seasonal_vae.data.detrend.retrend`),
so their output is comparable with the observed record and with the VAE's samples
(``sampling.retrend: dates``).

**Harmonic + AR** (:class:`HarmonicAR`): the mean and the log-variance of the temperature are
linear regressions (statsmodels OLS) on Fourier features of the time of year θ and of the
local hour of day φ, *with* interaction terms (products of every annual and every diurnal
harmonic), so that the diurnal cycle's amplitude and shape can change with the season. The
standardised residuals ``(x − mean) / std`` are an AR(p) process; p is chosen by AIC among
0 … ``maxlag`` from the Yule–Walker (Levinson–Durbin) fits of statsmodels, as R's ``ar()``
does, and the Yule–Walker coefficients of that order are used. (statsmodels'
``ar_select_order`` fits every order by OLS: about 150 s for 40 years of hourly data and
``maxlag`` 72, against about 1 s here, with the same coefficients to three decimals.)
Simulation: the AR process driven by seeded Gaussian innovations
(``statsmodels.tsa.arima_process.arma_generate_sample``), times the std, plus the mean.

**Block bootstrap of whole years** (:func:`bootstrap_years`): each generated calendar year is
a whole training year drawn at random (with replacement, seeded), its detrended values put on
the target year's calendar (:func:`map_years`: same month, day and hour; a target 29 February
repeats the source year's 28 February when the source year has none, and a source 29 February
is dropped when the target year has none) and shifted into the target dates' climate. It is
real weather, so it is a ceiling for most statistics, but it can only repeat the years it saw.

:func:`simulate_baseline` runs either on the detrended file and :func:`write_baseline` writes it,
with the settings of the configuration, as netCDF in the layout of the VAE's samples: ``t2m``
with dims ``(path, time)`` in °F over exactly the dates of the input series (the whole record).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
import xarray as xr
from statsmodels.tsa.arima_process import arma_generate_sample
from statsmodels.tsa.stattools import acovf, levinson_durbin

from seasonal_vae.core.calendar import theta
from seasonal_vae.core.config import split_years
from seasonal_vae.core.errors import InputError
from seasonal_vae.core.io import open_checked
from seasonal_vae.data.detrend import retrend
from seasonal_vae.model.samples_file import samples_dataset, write_samples_file

log = logging.getLogger(__name__)

#: Generators this module provides, by the name used on the command line.
METHODS = ("harmonic_ar", "bootstrap")

DETRENDED_FIX = "pass results/detrended.nc, as written by the detrend step"

#: Harmonics of the year and of the day in a harmonic climatology (:func:`harmonic_design`):
#: the harmonic + AR baseline's, and the anomalies of the evaluation's persistence metrics.
ANNUAL_HARMONICS = 3
DIURNAL_HARMONICS = 4


# --------------------------------------------------------------------------------------------
# Calendar helpers
# --------------------------------------------------------------------------------------------
def hour_angle(times) -> np.ndarray:
    """Local time of day as an angle: φ = 2π · (hour + minute/60) / 24."""
    idx = pd.DatetimeIndex(np.atleast_1d(np.asarray(times, dtype="datetime64[ns]")))
    return 2.0 * np.pi * (idx.hour.to_numpy() + idx.minute.to_numpy() / 60.0) / 24.0


def harmonic_design(times, annual: int = ANNUAL_HARMONICS, diurnal: int = DIURNAL_HARMONICS) -> np.ndarray:
    """Regressors of a harmonic climatology in time of year × hour of day.

    Columns: a constant; ``sin kθ, cos kθ`` for k = 1 … ``annual``; ``sin jφ, cos jφ`` for
    j = 1 … ``diurnal``; and the four products of each annual with each diurnal pair
    (``annual · diurnal · 4`` interaction columns), θ from :func:`seasonal_vae.core.calendar.theta`
    (leap years exact) and φ from :func:`hour_angle`.

    Parameters
    ----------
    times
        Timestamps, local standard time.
    annual, diurnal
        Number of harmonics of the year and of the day.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(times), 1 + 2·annual + 2·diurnal + 4·annual·diurnal)``.
    """
    th, ph = theta(times), hour_angle(times)
    year = [f(k * th) for k in range(1, annual + 1) for f in (np.sin, np.cos)]
    day = [f(j * ph) for j in range(1, diurnal + 1) for f in (np.sin, np.cos)]
    cross = [y * d for y in year for d in day]
    return np.column_stack([np.ones_like(th)] + year + day + cross)


def map_years(source: xr.DataArray, target_times, year_of_target: dict[int, int]) -> xr.DataArray:
    """Put whole source years on target years' calendars.

    Each target timestamp takes the source value at the same month, day and hour of the
    source year ``year_of_target[target_year]``. A target 29 February takes the source's
    28 February when the source year is not a leap year; a source 29 February is never used
    by a non-leap target year. Target hours whose source hour is absent (or NaN) are NaN.

    Parameters
    ----------
    source
        Hourly series along ``time`` (local standard time), e.g. the detrended record.
    target_times
        The timestamps to fill.
    year_of_target
        For every calendar year among ``target_times``, the source year to copy.

    Returns
    -------
    xarray.DataArray
        Float64 values on ``target_times``, with the source's attributes.
    """
    target = pd.DatetimeIndex(np.asarray(target_times, dtype="datetime64[ns]"))
    missing = sorted(set(target.year) - set(year_of_target))
    if missing:
        raise ValueError(f"no source year given for target years {missing}")
    src_year = np.array([year_of_target[y] for y in target.year], dtype="int64")
    month, day = target.month.to_numpy(), target.day.to_numpy()
    src_leap = pd.DatetimeIndex(pd.to_datetime({"year": src_year, "month": 1, "day": 1})).is_leap_year
    day = np.where((month == 2) & (day == 29) & ~np.asarray(src_leap), 28, day)
    src_times = pd.to_datetime(
        {
            "year": src_year,
            "month": month,
            "day": day,
            "hour": target.hour.to_numpy(),
            "minute": target.minute.to_numpy(),
        }
    )
    values = source.astype("float64").to_series().reindex(pd.DatetimeIndex(src_times)).to_numpy()
    return xr.DataArray(
        values, dims="time", coords={"time": target.values}, name=source.name, attrs=dict(source.attrs)
    )


# --------------------------------------------------------------------------------------------
# Harmonic regression + AR(p)
# --------------------------------------------------------------------------------------------
def select_ar_order(x, maxlag: int) -> tuple[int, np.ndarray, float, np.ndarray]:
    """AR order by AIC and its Yule–Walker coefficients (Levinson–Durbin, statsmodels).

    NaNs are allowed (e.g. between non-adjacent years): the autocovariances then use only
    pairs of valid values (``acovf(missing="conservative")``).

    Parameters
    ----------
    x
        1-D series, approximately zero mean.
    maxlag
        Largest order considered (``evaluation.baseline_maxlag``).

    Returns
    -------
    tuple
        ``(p, coefficients (length p), innovation variance, AIC of orders 0 … maxlag)``,
        where AIC(k) = n · log σ²ₖ + 2k with n the number of valid values.
    """
    x = np.asarray(x, dtype="float64")
    n = int(np.isfinite(x).sum())
    if n <= 2 * maxlag:
        raise ValueError(f"need more than {2 * maxlag} valid values for maxlag {maxlag}, got {n}")
    acov = acovf(x, nlag=maxlag, missing="conservative", fft=False)
    result = levinson_durbin(acov, nlags=maxlag, isacov=True)
    sigma2 = np.asarray(result.sigma, dtype="float64").copy()
    sigma2[0] = acov[0]  # order 0: the variance itself (Levinson–Durbin leaves it 0)
    aic = n * np.log(sigma2) + 2.0 * np.arange(maxlag + 1)
    p = int(np.argmin(aic))
    coefs = np.asarray(result.phi)[1 : p + 1, p].copy() if p > 0 else np.zeros(0)
    return p, coefs, float(sigma2[p]), aic


@dataclass
class HarmonicAR:
    """Harmonic mean and std in time of year × hour of day, AR(p) standardised residuals.

    Parameters
    ----------
    maxlag
        Largest AR order considered by AIC (``evaluation.baseline_maxlag``).
    annual, diurnal
        Harmonics of the year and of the day in both regressions (see :func:`harmonic_design`).
    """

    maxlag: int
    annual: int = ANNUAL_HARMONICS
    diurnal: int = DIURNAL_HARMONICS
    mean_params: np.ndarray = field(default=None, repr=False)
    logvar_params: np.ndarray = field(default=None, repr=False)
    ar_coefs: np.ndarray = field(default=None, repr=False)
    innovation_var: float = float("nan")
    order: int = -1

    def mean(self, times) -> np.ndarray:
        """Fitted mean at ``times`` (°F, reference-year climate)."""
        return harmonic_design(times, self.annual, self.diurnal) @ self.mean_params

    def std(self, times) -> np.ndarray:
        """Fitted standard deviation at ``times`` (°F)."""
        return np.exp(0.5 * harmonic_design(times, self.annual, self.diurnal) @ self.logvar_params)

    def fit(self, da: xr.DataArray) -> HarmonicAR:
        """Fit to an hourly series (NaN allowed, e.g. for held-out years left out).

        The log-variance regression is fitted to log(residual²) and then shifted so that the
        standardised residuals have unit variance (log χ² is biased by a constant).
        """
        times = da["time"].values
        y = np.asarray(da.values, dtype="float64")
        ok = np.isfinite(y)
        X = harmonic_design(times, self.annual, self.diurnal)
        self.mean_params = sm.OLS(y[ok], X[ok]).fit(method="qr").params
        resid = np.full_like(y, np.nan)
        resid[ok] = y[ok] - X[ok] @ self.mean_params
        log_sq = np.log(np.maximum(resid[ok] ** 2, 1e-8))
        self.logvar_params = sm.OLS(log_sq, X[ok]).fit(method="qr").params
        z = resid / np.exp(0.5 * X @ self.logvar_params)
        self.logvar_params[0] += np.log(np.nanvar(z))
        z = resid / self.std(times)
        self.order, self.ar_coefs, self.innovation_var, _ = select_ar_order(z, self.maxlag)
        log.info(
            "harmonic+AR: %d regressors for mean and log-variance, AR order %d by AIC "
            "(max %d), innovation std %.3f (standard units)",
            X.shape[1],
            self.order,
            self.maxlag,
            np.sqrt(self.innovation_var),
        )
        return self

    def simulate(self, times, n_paths: int = 1, seed: int = 0, burnin: int = 2000) -> np.ndarray:
        """Simulate ``n_paths`` series at ``times`` (consecutive hours), reference-year climate.

        Returns
        -------
        numpy.ndarray
            Shape ``(n_paths, len(times))``, °F.
        """
        if self.mean_params is None:
            raise RuntimeError("fit the model before simulating")
        rng = np.random.default_rng(seed)
        n = len(times)
        mean, std = self.mean(times), self.std(times)
        ar = np.r_[1.0, -self.ar_coefs]
        out = np.empty((n_paths, n))
        for i in range(n_paths):
            z = arma_generate_sample(
                ar, [1.0], n, scale=np.sqrt(self.innovation_var), distrvs=rng.standard_normal, burnin=burnin
            )
            out[i] = mean + std * z
        return out


# --------------------------------------------------------------------------------------------
# Block bootstrap of whole years
# --------------------------------------------------------------------------------------------
def complete_years(da: xr.DataArray, years) -> list[int]:
    """Those of ``years`` for which ``da`` has a valid value at every local hour."""
    index = da.dropna("time")["time"].to_index()
    counts = pd.Series(1, index=index).groupby(index.year).sum()
    full = [
        y
        for y in years
        if counts.get(y, 0) == (366 if pd.Timestamp(year=y, month=1, day=1).is_leap_year else 365) * 24
    ]
    return full


def bootstrap_years(
    detrended: xr.DataArray, source_years, target_times, n_paths: int = 1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Draw whole source years for each calendar year among ``target_times``.

    Parameters
    ----------
    detrended
        Hourly detrended record (reference-year climate).
    source_years
        Years to draw from (the training years).
    target_times
        Timestamps to fill (e.g. the whole record).
    n_paths
        Independent bootstrap paths.
    seed
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    tuple
        Values ``(n_paths, len(target_times))`` in the reference-year climate, and the drawn
        source years ``(n_paths, n_target_years)``, in the order of the target years.
    """
    source_years = np.asarray(sorted(source_years), dtype="int64")
    if source_years.size == 0:
        raise ValueError("no source years to draw from")
    target_years = np.unique(pd.DatetimeIndex(target_times).year)
    rng = np.random.default_rng(seed)
    drawn = rng.choice(source_years, size=(n_paths, target_years.size), replace=True)
    out = np.empty((n_paths, len(target_times)))
    for i in range(n_paths):
        mapping = dict(zip(target_years.tolist(), drawn[i].tolist()))
        out[i] = map_years(detrended, target_times, mapping).values
    return out, drawn


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------
def _trend_settings(ds: xr.Dataset, path: Path) -> tuple[float, int]:
    try:
        return float(ds.attrs["trend_rate_per_decade"]), int(ds.attrs["trend_reference_year"])
    except KeyError as err:
        raise InputError(path, f"has no attribute {err} (the trend that was removed)", DETRENDED_FIX) from err


def simulate_baseline(
    method: str,
    detrended_path: str | Path,
    train_years,
    n_paths: int,
    seed: int,
    maxlag: int,
    data_label: str = "",
) -> xr.Dataset:
    """Fit a baseline on the training years and simulate it over the whole record's dates.

    Parameters
    ----------
    method
        ``"harmonic_ar"`` or ``"bootstrap"``.
    detrended_path
        ``results/detrended.nc``: the detrended record, with the trend settings in its
        attributes (used to put the trend back at each generated date).
    train_years
        Years the baseline may learn from (the held-out years must not be among them).
    n_paths, seed
        Number of independent paths and the random seed.
    maxlag
        Largest AR order of :class:`HarmonicAR` (ignored by the bootstrap).
    data_label
        What the training data are, recorded in the file.

    Returns
    -------
    xarray.Dataset
        ``t2m`` (path, time) in °F on the record's time axis, the layout of
        ``results/samples/*.nc``, with the settings and what was fitted as attributes.
    """
    if method not in METHODS:
        raise InputError("baseline method", f"unknown method {method!r}", f"use one of {METHODS}")
    detrended_path = Path(detrended_path)
    ds_in = open_checked(detrended_path, DETRENDED_FIX)
    rate, ref = _trend_settings(ds_in, detrended_path)
    adjusted = ds_in["t2m"].astype("float64")
    times = adjusted["time"].values
    years_present = set(adjusted["time"].dt.year.values.tolist())
    train_years = [int(y) for y in train_years if y in years_present]
    if not train_years:
        raise InputError(
            detrended_path,
            "holds none of the training years",
            "check data.first_year/last_year against the detrended record",
        )
    train_mask = adjusted["time"].dt.year.isin(train_years)
    if method == "harmonic_ar":
        model = HarmonicAR(maxlag=maxlag)
        model.fit(adjusted.where(train_mask))
        values = model.simulate(times, n_paths=n_paths, seed=seed)
        attrs = {
            "method": "harmonic regression of mean and log-variance in time of year x hour "
            "of day (with interactions), AR(p) standardised residuals, p by AIC",
            "annual_harmonics": model.annual,
            "diurnal_harmonics": model.diurnal,
            "ar_maxlag": maxlag,
            "ar_order": model.order,
            "ar_coefficients": " ".join(f"{c:.6g}" for c in model.ar_coefs),
            "innovation_std": float(np.sqrt(model.innovation_var)),
        }
    else:
        sources = complete_years(adjusted, train_years)
        if not sources:
            raise InputError(
                detrended_path,
                "has no complete training year to resample",
                "use a record with at least one whole local calendar year for training",
            )
        values, drawn = bootstrap_years(adjusted, sources, times, n_paths=n_paths, seed=seed)
        target_years = np.unique(pd.DatetimeIndex(times).year)
        attrs = {
            "method": "block bootstrap of whole training years, mapped onto each target "
            "year's calendar (a missing 29 Feb repeats 28 Feb) and shifted into "
            "the target dates' climate",
            "source_years": " ".join(map(str, sources)),
            "target_years": " ".join(map(str, target_years.tolist())),
            "drawn_years_path0": " ".join(map(str, drawn[0].tolist())),
        }
    da = xr.DataArray(
        values, dims=("path", "time"), coords={"path": np.arange(n_paths), "time": times}, name="t2m"
    )
    da = retrend(da, rate, ref).astype("float32").rename("t2m")
    da.attrs = {
        "units": "degF",
        "standard_name": "air_temperature",
        "long_name": f"2 m air temperature from the {method} baseline",
    }
    return samples_dataset(
        da,
        {
            "title": f"Synthetic hourly 2 m temperature from the {method} baseline",
            "generator": method,
            "seed": seed,
            "n_paths": n_paths,
            "retrend": "dates",
            "climate": f"trend of {rate} degF/decade re-applied at each timestamp",
            "train_years": " ".join(map(str, train_years)),
            "training_data": data_label,
            "source": str(detrended_path),
            **attrs,
            "comment": "time is local standard time, as in the observed series",
        },
    )


def write_baseline(method: str, detrended_path: str | Path, out_path: str | Path, cfg: dict) -> xr.Dataset:
    """:func:`simulate_baseline` with the settings of the configuration, written as netCDF.

    ``method`` and ``detrended_path`` as there; ``out_path`` is written atomically. ``cfg`` is
    the validated configuration: the training years from ``data.first_year``/``last_year``
    and ``windows.holdout_every``/``holdout_offset``; ``sampling.n_paths``;
    ``evaluation.seed`` and ``baseline_maxlag``; ``data.label``. Returns what was written.
    """
    d, w = cfg["data"], cfg["windows"]
    train_years, _ = split_years(
        range(d["first_year"], d["last_year"] + 1), w["holdout_every"], w["holdout_offset"]
    )
    out = simulate_baseline(
        method,
        detrended_path,
        train_years,
        cfg["sampling"]["n_paths"],
        cfg["evaluation"]["seed"],
        cfg["evaluation"]["baseline_maxlag"],
        d["label"],
    )
    write_samples_file(out, out_path)
    log.info("wrote %d %s paths of %d hours to %s", out.sizes["path"], method, out.sizes["time"], out_path)
    return out
