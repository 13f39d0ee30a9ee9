"""The harmonic + AR(p) weather generator, and the harmonic climatology it is built on.

:func:`harmonic_design` holds the regressors of a harmonic climatology in time of year θ
(:func:`seasonal_vae.core.calendar.theta`) × local hour of day φ (:func:`hour_angle`): Fourier
features of both *with* interaction terms (products of every annual and every diurnal
harmonic), so that the diurnal cycle's amplitude and shape can change with the season. The
evaluation's persistence metrics take their anomalies from the same design
(:func:`seasonal_vae.evaluation.metrics.harmonic_anomalies`).

:class:`HarmonicAR`, one of the two baselines of :mod:`seasonal_vae.model.baselines`, works in
the reference-year climate of the detrended record: the mean and the log-variance of the
temperature are linear regressions (statsmodels OLS) on :func:`harmonic_design`. The
standardised residuals ``(x − mean) / std`` are an AR(p) process; p is chosen by AIC among
0 … ``maxlag`` from the Yule–Walker (Levinson–Durbin) fits of statsmodels, as R's ``ar()``
does, and the Yule–Walker coefficients of that order are used (:func:`select_ar_order`).
(statsmodels' ``ar_select_order`` fits every order by OLS: about 150 s for 40 years of hourly
data and ``maxlag`` 72, against about 1 s here, with the same coefficients to three decimals.)
Simulation: the AR process driven by seeded Gaussian innovations
(``statsmodels.tsa.arima_process.arma_generate_sample``), times the std, plus the mean.

statsmodels is imported inside the functions that use it: it takes over a second to import,
and the harmonic design alone (the evaluation's) does not need it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.core.calendar import theta

log = logging.getLogger(__name__)

#: Harmonics of the year and of the day in a harmonic climatology (:func:`harmonic_design`):
#: the harmonic + AR baseline's, and the anomalies of the evaluation's persistence metrics.
ANNUAL_HARMONICS = 3
DIURNAL_HARMONICS = 4


# --------------------------------------------------------------------------------------------
# Harmonic climatology
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
    from statsmodels.tsa.stattools import acovf, levinson_durbin

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
        import statsmodels.api as sm

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
        from statsmodels.tsa.arima_process import arma_generate_sample

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
