"""The trained model and its windows file, read and probed for the figures that explain the model.

Loading (:func:`load_trained`, :func:`read_windows`, :func:`window_array`), the model's
convolutions (:func:`conv_layers`, :func:`encoder_stack`, :func:`linear_clone`), what the
model computes on given input (:func:`encode_means`, :func:`prior_moments`,
:func:`perturbation_map`), and the attributes every model figure's numbers carry
(:func:`label_attrs`, :func:`model_attrs`). TensorFlow is imported only inside the functions
that need it, so that importing this module (the registry does) stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr


def load_trained(path: Path):
    """The trained :class:`~seasonal_vae.model.vae.SeasonalVAE` saved at ``path``."""
    from seasonal_vae.model.train import load_model

    return load_model(path)


def conv_layers(submodel, transposed: bool = False) -> list:
    """The ``Conv1D`` layers of an encoder or decoder (``Conv1DTranspose`` if ``transposed``), in order."""
    from keras import layers

    kind = layers.Conv1DTranspose if transposed else layers.Conv1D
    # Conv1DTranspose is not a Conv1D subclass in Keras 3, but guard against it anyway.
    return [
        lay
        for lay in submodel.layers
        if isinstance(lay, kind) and (transposed or not isinstance(lay, layers.Conv1DTranspose))
    ]


def encoder_stack(model) -> tuple[list[str], list[int], list[int]]:
    """Names, kernel sizes and strides of the encoder's convolutions, in order."""
    convs = conv_layers(model.encoder)
    return (
        [c.name for c in convs],
        [int(c.kernel_size[0]) for c in convs],
        [int(c.strides[0]) for c in convs],
    )


def linear_clone(layer, input_shape: tuple):
    """A copy of a Keras layer with the same weights and no activation (the pre-activation)."""
    clone = type(layer).from_config(
        {**layer.get_config(), "activation": None, "name": layer.name + "_linear"}
    )
    clone.build(input_shape)
    clone.set_weights(layer.get_weights())
    return clone


def encode_means(model, x: np.ndarray, batch: int = 64) -> np.ndarray:
    """Posterior means ``z_mean`` ``(N, k, L)`` of standardised series ``x`` ``(N, 96k)``."""
    x = np.asarray(x, dtype="float32")
    out = [np.asarray(model.encoder(x[i : i + batch], training=False)[0]) for i in range(0, len(x), batch)]
    return np.concatenate(out) if out else np.empty((0, 0, model.latent_dim), "float32")


def prior_moments(model, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The prior's ``m(θ)`` and log-variance ``s(θ)``, each ``(len(θ), L)``."""
    from seasonal_vae.core.calendar import fourier_features

    feats = fourier_features(np.asarray(theta), model.fourier_degree)[None].astype("float32")
    m, s = model.prior(feats, training=False)
    return np.asarray(m)[0].astype("float64"), np.asarray(s)[0].astype("float64")


def perturbation_map(model, x: np.ndarray, deltas: Sequence[float] = (1.0, -1.0)) -> np.ndarray:
    """How much each latent step's posterior mean moves when one input hour is perturbed.

    Parameters
    ----------
    model
        A :class:`~seasonal_vae.model.vae.SeasonalVAE`.
    x
        One standardised series of ``96·k`` hours.
    deltas
        Perturbations (standard units) added to one hour at a time; the map is the largest
        change over them.

    Returns
    -------
    numpy.ndarray
        ``(96k, k)``: max over latent features and ``deltas`` of ``|Δ z_mean|`` when hour
        ``t`` is perturbed.
    """
    x = np.asarray(x, dtype="float32")
    base = encode_means(model, x[None])[0]
    n = x.size
    change = np.zeros((n, base.shape[0]))
    for delta in deltas:
        batch = np.repeat(x[None], n, axis=0)
        batch[np.arange(n), np.arange(n)] += delta
        z = encode_means(model, batch)
        change = np.maximum(change, np.abs(z - base[None]).max(axis=-1))
    return change


def read_windows(path: Path) -> xr.Dataset:
    """The windows file (checked by :func:`seasonal_vae.data.windows.check_windows_file`), in memory."""
    from seasonal_vae.data.windows import check_windows_file

    check_windows_file(path)
    with xr.open_dataset(path) as f:
        return f.load()


def window_array(ds: xr.Dataset, starts: np.ndarray, hours: int) -> np.ndarray:
    """The standardised series ``x`` of the windows file cut into ``(len(starts), hours)`` windows."""
    idx = np.asarray(starts, dtype=np.int64)[:, None] + np.arange(hours)[None, :]
    return ds["x"].values[idx]


def label_attrs(cfg: dict) -> dict:
    """The data set's label, which every figure's footer names."""
    return {"data_label": cfg["data"]["label"]}


def model_attrs(model, path: Path) -> dict:
    """Which model the numbers come from, and its sizes and scales (netCDF attributes)."""
    return {
        "model": str(path),
        "prior_kind": model.prior_kind,
        "filters": model.filters,
        "latent_dim": model.latent_dim,
        "fourier_degree": model.fourier_degree,
        "data_mean_degF": model.data_mean,
        "data_std_degF": model.data_std,
        "noise_sigma": model.noise_sigma,
        "noise_sigma_degF": model.noise_sigma * model.data_std,
    }
