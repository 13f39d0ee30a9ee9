"""Generate synthetic hourly temperature of any length from a trained model.

For a start time and a length, θ is computed for each 96-hour latent step from the real
calendar (leap years included), ``z`` is drawn from the prior p(z | θ), decoded, optionally
perturbed with the learned observation noise N(0, exp(noise_log_var)), and turned back into
°F with the standardisation stored in the model. The result is in the climate of the
model's reference year; it can be put back on the trend at its own dates (``retrend="dates"``)
or moved to the climate of any year.

Random numbers come from ``numpy.random.default_rng(seed)``: the same seed gives the same
paths, and paths are independent draws. :func:`write_samples` (over the real record's dates)
and :func:`write_generated` (from any start) write them with the settings of the
configuration's ``sampling`` section.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.core.calendar import (
    HOURS_PER_LATENT_STEP,
    WINDOW_START_HOUR,
    seasonal_features,
)
from seasonal_vae.data.detrend import retrend as apply_trend
from seasonal_vae.data.detrend import shift_to_year
from seasonal_vae.data.series import load_series
from seasonal_vae.model import ar_noise, latent_chain
from seasonal_vae.model.record import noise_sigma_degf
from seasonal_vae.model.samples_file import samples_dataset, write_samples_file
from seasonal_vae.model.train import load_model
from seasonal_vae.model.vae import SeasonalVAE

log = logging.getLogger(__name__)


def generate(
    model: SeasonalVAE,
    start,
    n_hours: int,
    n_paths: int = 1,
    noise: bool = False,
    seed: int = 0,
    retrend: str | int = "none",
    batch_paths: int = 8,
) -> xr.DataArray:
    """Draw ``n_paths`` independent hourly series of ``n_hours`` starting at ``start``.

    Parameters
    ----------
    model:
        A trained :class:`SeasonalVAE`.
    start:
        First timestamp (local standard time), anything :class:`pandas.Timestamp` accepts;
        any hour (the latent grid itself always begins at local midnight).
    n_hours:
        Length of each path, any positive number of hours (generated in whole 96-hour latent
        steps and trimmed).
    noise:
        Add observation noise with the learned variance (off: the decoder mean, as in the
        article's figures).
    retrend:
        ``"none"`` keeps the reference-year climate, ``"dates"`` re-applies the trend at each
        timestamp, an integer year shifts the whole series into that year's climate.
    batch_paths:
        Paths decoded at once (bounds memory for long series).

    Returns
    -------
    xarray.DataArray
        ``t2m`` in °F with dims ``(path, time)``.
    """
    if n_hours < 1 or n_paths < 1:
        raise ValueError("n_hours and n_paths must be positive")
    start = pd.Timestamp(start)
    # The latent grid begins at local midnight, as every training window did; a start at
    # another hour is generated from the midnight before it and the lead-in is dropped.
    grid_start = start.floor("D") + pd.Timedelta(hours=WINDOW_START_HOUR)
    if grid_start > start:
        grid_start -= pd.Timedelta(days=1)
    lead = int((start - grid_start) / pd.Timedelta(hours=1))
    n_steps = math.ceil((lead + n_hours) / HOURS_PER_LATENT_STEP)
    features = seasonal_features(
        [grid_start.to_datetime64()], n_steps, model.fourier_degree, HOURS_PER_LATENT_STEP, model.theta_anchor
    )
    prior_mean, prior_log_var = (np.asarray(a) for a in model.prior(features))
    shape = model.latent_shape(features)  # the Johnson SU marginals' parameters, or None
    shape = None if shape is None else np.asarray(shape)
    rng = np.random.default_rng(seed)
    sigma = model.noise_sigma
    log_scale = None
    if noise and model.noise_kind == "ar":  # the hour × season scale of the AR residual
        log_scale = np.asarray(model.noise_log_scale(features, n_steps * HOURS_PER_LATENT_STEP))
        pacf = np.asarray(model.noise_pacf, dtype="float64")
        noise_shape = model.noise_shape(features, n_steps * HOURS_PER_LATENT_STEP)  # or None
        noise_shape = None if noise_shape is None else np.asarray(noise_shape, dtype="float64")
    paths = np.empty((n_paths, n_hours), dtype="float32")
    for first in range(0, n_paths, batch_paths):
        n = min(batch_paths, n_paths - first)
        eps = rng.standard_normal((n,) + prior_mean.shape[1:]).astype("float32")
        z = draw_latent(model, prior_mean, prior_log_var, eps, shape)
        x = np.asarray(model.decoder(z, training=False))[:, lead : lead + n_hours]
        if noise and log_scale is not None:
            residual = ar_noise.simulate(pacf, np.repeat(log_scale, n, axis=0), rng, noise_shape)
            x = x + residual[:, lead : lead + n_hours].astype("float32")
        elif noise:
            x = x + sigma * rng.standard_normal(x.shape).astype("float32")
        paths[first : first + n] = x * model.data_std + model.data_mean
    times = pd.date_range(start, periods=n_hours, freq="h")
    da = xr.DataArray(
        paths, dims=("path", "time"), coords={"path": np.arange(n_paths), "time": times}, name="t2m"
    )
    if retrend == "dates":
        da = apply_trend(da, model.trend_rate_per_decade, model.trend_reference_year)
    elif retrend != "none":
        da = shift_to_year(da, model.trend_rate_per_decade, model.trend_reference_year, int(retrend))
    da = da.astype("float32").rename("t2m")
    da.attrs = {
        "units": "degF",
        "standard_name": "air_temperature",
        "long_name": "generated 2 m air temperature",
    }
    return da


def draw_latent(model: SeasonalVAE, prior_mean, prior_log_var, eps, shape=None) -> np.ndarray:
    """Latent paths ``(n, k, L)`` from the prior given standard normal draws ``eps``: each step
    on its own (the article), or ancestrally along the chain of the latent memory
    (:func:`seasonal_vae.model.latent_chain.draw`), through the Johnson SU marginals of
    ``shape`` (:meth:`~seasonal_vae.model.vae.SeasonalVAE.latent_shape`) where given."""
    if model.latent_memory == "none" and shape is None:
        return prior_mean + np.exp(0.5 * prior_log_var) * eps
    return latent_chain.draw(prior_mean, prior_log_var, eps, *latent_chain.transition(model), shape)


def climate_description(model: SeasonalVAE, retrend: str | int) -> str:
    """In words, which climate a generated series is in."""
    if retrend == "dates":
        return (
            f"trend of {model.trend_rate_per_decade} degF/decade re-applied at each "
            "timestamp (comparable with the observed record)"
        )
    if retrend == "none":
        return f"climate of the reference year {model.trend_reference_year} (trend removed)"
    return f"climate of the year {int(retrend)}"


def write_generated(
    model_path: str | Path, out_path: str | Path, start, n_hours: int, cfg: dict
) -> xr.Dataset:
    """Generate paths of ``n_hours`` from ``start`` and write CF netCDF.

    The file records the dates (the time axis, local standard time), the units and every
    setting (model, seed, noise, climate) as attributes.

    Parameters
    ----------
    model_path, out_path
        The trained model (``.keras``) and the netCDF file to write (atomically).
    start, n_hours
        As for :func:`generate`.
    cfg
        The validated configuration: ``sampling.n_paths``, ``noise``, ``seed`` and ``retrend``
        (a year as an integer), and ``data.label``.
    """
    return _write(model_path, out_path, start, n_hours, cfg, time_attrs={})


def write_samples(
    model_path: str | Path, series_path: str | Path, out_path: str | Path, cfg: dict
) -> xr.Dataset:
    """Generate paths over exactly the dates of the real series (``series_path``) and write
    them as :func:`write_generated` does, the time axis keeping the series' attributes."""
    real = load_series(series_path)
    times = real["time"].to_index()
    return _write(model_path, out_path, times[0], len(times), cfg, time_attrs=dict(real["time"].attrs))


def _write(
    model_path: str | Path, out_path: str | Path, start, n_hours: int, cfg: dict, time_attrs: dict
) -> xr.Dataset:
    """Generate with ``cfg["sampling"]`` and write, ``time_attrs`` on the time axis."""
    s = cfg["sampling"]
    n_paths, noise, seed, retrend = s["n_paths"], s["noise"], s["seed"], s["retrend"]
    data_label = cfg["data"]["label"]
    model = load_model(model_path)
    da = generate(model, start, n_hours, n_paths=n_paths, noise=noise, seed=seed, retrend=retrend)
    log.info(
        "generated %d paths of %d hours from %s (noise %s, %s)",
        n_paths,
        n_hours,
        da["time"].values[0],
        "on" if noise else "off",
        climate_description(model, retrend),
    )
    ds = samples_dataset(
        da,
        {
            "title": "Synthetic hourly 2 m temperature from the seasonal-prior VAE",
            "model": str(model_path),
            "noise": "on" if noise else "off",
            "noise_sigma_degF": noise_sigma_degf(model),
            "seed": seed,
            "retrend": str(retrend),
            "climate": climate_description(model, retrend),
            "start": str(da["time"].values[0]),
            "n_hours": n_hours,
            "training_data": data_label,
            "utc_offset_hours": time_attrs.get("utc_offset_hours", ""),
            "comment": "time is local standard time, as in the series the model was trained on",
        },
        time_attrs,
    )
    write_samples_file(ds, out_path)
    return ds
