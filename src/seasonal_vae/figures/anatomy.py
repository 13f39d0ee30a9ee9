"""Figures that explain the model: its layers, its time axis, its prior and its training.

Six figures, each a :class:`~seasonal_vae.figures.registry.FigureSpec` in :data:`FIGURES`:

``conv_matrix``
    A 1-D convolution written as a banded, strided matrix built from the trained first
    encoder layer's kernel, and the decoder's last (transposed) convolution as the transpose
    of such a matrix.
``strides``
    How the strides 3·2·2·2·2·2 turn into 96 hours per latent step: receptive field and
    jump of every layer, and a perturbation map of the real encoder.
``free_time_axis``
    One model encoding and decoding 4, 40 and 400 days (latent length ``k`` ↔ ``96·k``
    hours), and generating series of the same lengths.
``prior``
    The learned seasonal prior ``m(θ)``, ``exp(s(θ)/2)`` of every latent feature, with the
    encoder's posterior means of all training and validation windows over θ.
``graphical_model``
    The probabilistic graphical model θ → z → x with the encoder q(z | x) and the learned
    noise variance σ².
``training``
    Training and validation loss, reconstruction and KL per epoch, and the learned noise σ.

The compute functions read pipeline files and return netCDF-ready datasets; the pure-numpy
helpers (:func:`same_padding`, :func:`conv_matrix`, :func:`transposed_conv_matrix`,
:func:`receptive_fields`, :func:`unit_inputs`) are the maths the figures illustrate.
TensorFlow is imported only inside the compute functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.core.errors import InputError
from seasonal_vae.figures.registry import FigureSpec

#: Lengths (days) of the real stretches and generated series of the ``free_time_axis`` figure.
FREE_AXIS_DAYS = (4, 40, 400)
#: Hours of input in the ``conv_matrix`` figure (a multiple of the first stride, 3).
CONV_HOURS = 24
#: Latent steps of the window whose perturbation map the ``strides`` figure shows.
STRIDES_STEPS = 4
#: Number of θ values at which the ``prior`` figure evaluates m(θ) and s(θ).
PRIOR_THETA_POINTS = 361
#: Number of θ bins for the binned mean of the posterior means in the ``prior`` figure.
PRIOR_BINS = 24


# ----------------------------------------------------------------------------- maths


def same_padding(n_in: int, kernel: int, stride: int) -> tuple[int, int]:
    """Zeros added (left, right) by Keras/TensorFlow ``padding="same"``.

    The output has ``ceil(n_in / stride)`` values; the total padding is
    ``max((n_out − 1)·stride + kernel − n_in, 0)``, split with the extra zero on the right.
    """
    n_out = math.ceil(n_in / stride)
    total = max((n_out - 1) * stride + kernel - n_in, 0)
    return total // 2, total - total // 2


def conv_matrix(kernel: Sequence[float], n_in: int, stride: int) -> np.ndarray:
    """The matrix ``W`` with ``W @ x = conv1d(x)`` for one input channel and one filter.

    Keras convolutions are cross-correlations: output ``i`` is
    ``Σ_m kernel[m] · x[i·stride − left + m]`` (``left`` from :func:`same_padding`), so row
    ``i`` holds the kernel starting at column ``i·stride − left``; taps that fall on the
    padding are dropped.

    Returns
    -------
    numpy.ndarray
        Shape ``(ceil(n_in / stride), n_in)``.
    """
    kernel = np.asarray(kernel, dtype="float64")
    n_out = math.ceil(n_in / stride)
    left, _ = same_padding(n_in, kernel.size, stride)
    w = np.zeros((n_out, n_in))
    for i in range(n_out):
        for m, value in enumerate(kernel):
            j = i * stride - left + m
            if 0 <= j < n_in:
                w[i, j] = value
    return w


def transposed_conv_matrix(kernel: Sequence[float], n_in: int, stride: int) -> np.ndarray:
    """The matrix of a ``same`` Conv1DTranspose of ``n_in`` values: shape ``(n_in·stride, n_in)``.

    A transposed convolution is the transpose (the gradient) of the convolution that maps
    ``n_in·stride`` values to ``n_in``: ``conv_matrix(kernel, n_in·stride, stride).T``.
    Each input value is spread over ``len(kernel)`` outputs, and neighbouring inputs overlap
    where the kernel is longer than the stride.
    """
    return conv_matrix(kernel, n_in * stride, stride).T


def receptive_fields(kernels: Sequence[int], strides: Sequence[int], n_in: int) -> pd.DataFrame:
    """Receptive field, jump and offset of every layer of a stack of ``same`` convolutions.

    With the standard recursion ``r_l = r_{l−1} + (k_l − 1)·j_{l−1}``,
    ``j_l = j_{l−1}·s_l`` and the offset ``o_l = o_{l−1} − left_l·j_{l−1}`` (``left_l``
    the left padding), unit ``i`` of layer ``l`` sees the input hours ``o_l + i·j_l`` to
    ``o_l + i·j_l + r_l − 1`` (before clipping to the input).

    Returns
    -------
    pandas.DataFrame
        One row per layer, row 0 the input: ``kernel``, ``stride``, ``pad_left``,
        ``n_units``, ``jump``, ``rf``, ``offset``.
    """
    rows = [dict(kernel=1, stride=1, pad_left=0, n_units=n_in, jump=1, rf=1, offset=0)]
    for k, s in zip(kernels, strides):
        prev = rows[-1]
        left, _ = same_padding(prev["n_units"], k, s)
        rows.append(dict(kernel=k, stride=s, pad_left=left,
                         n_units=math.ceil(prev["n_units"] / s),
                         jump=prev["jump"] * s, rf=prev["rf"] + (k - 1) * prev["jump"],
                         offset=prev["offset"] - left * prev["jump"]))
    return pd.DataFrame(rows)


def unit_inputs(unit: int, kernel: int, stride: int, pad_left: int, n_prev: int) -> np.ndarray:
    """Indices of the units of the layer below that feed ``unit`` of a ``same`` convolution."""
    idx = unit * stride - pad_left + np.arange(kernel)
    return idx[(idx >= 0) & (idx < n_prev)]


def receptive_hours(table: pd.DataFrame, layer: int, unit: int, n_in: int) -> tuple[int, int]:
    """First and last input hour (clipped to ``0..n_in−1``) seen by ``unit`` of ``layer``."""
    row = table.iloc[layer]
    first = int(row["offset"] + unit * row["jump"])
    return max(first, 0), min(first + int(row["rf"]) - 1, n_in - 1)


# ------------------------------------------------------------------- model helpers


def short_path(path: str | Path, parts: int = 3) -> str:
    """The last ``parts`` components of a path, for footers: ``models/seasonal/vae.keras``."""
    return "/".join(Path(path).parts[-parts:])


def _load(path: Path):
    from seasonal_vae.model.train import load_model

    return load_model(path)


def _conv_layers(submodel, transposed: bool = False) -> list:
    from keras import layers

    kind = layers.Conv1DTranspose if transposed else layers.Conv1D
    # Conv1DTranspose is not a Conv1D subclass in Keras 3, but guard against it anyway.
    return [lay for lay in submodel.layers if isinstance(lay, kind)
            and (transposed or not isinstance(lay, layers.Conv1DTranspose))]


def linear_clone(layer, input_shape: tuple):
    """A copy of a Keras layer with the same weights and no activation (the pre-activation)."""
    clone = type(layer).from_config({**layer.get_config(), "activation": None,
                                     "name": layer.name + "_linear"})
    clone.build(input_shape)
    clone.set_weights(layer.get_weights())
    return clone


def encode_means(model, x: np.ndarray, batch: int = 64) -> np.ndarray:
    """Posterior means ``z_mean`` ``(N, k, L)`` of standardised series ``x`` ``(N, 96k)``."""
    x = np.asarray(x, dtype="float32")
    out = [np.asarray(model.encoder(x[i:i + batch], training=False)[0])
           for i in range(0, len(x), batch)]
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


def _windows(path: Path) -> xr.Dataset:
    from seasonal_vae.data.windows import check_windows_file

    check_windows_file(path)
    with xr.open_dataset(path) as f:
        return f.load()


def _window_array(ds: xr.Dataset, starts: np.ndarray, hours: int) -> np.ndarray:
    idx = np.asarray(starts, dtype=np.int64)[:, None] + np.arange(hours)[None, :]
    return ds["x"].values[idx]


def _label_attrs(cfg: dict) -> dict:
    return {"data_label": cfg["data"]["label"]}


def _model_attrs(model, path: Path) -> dict:
    return {"model": str(path), "prior_kind": model.prior_kind, "filters": model.filters,
            "latent_dim": model.latent_dim, "fourier_degree": model.fourier_degree,
            "data_mean_degF": model.data_mean, "data_std_degF": model.data_std,
            "noise_sigma": model.noise_sigma,
            "noise_sigma_degF": model.noise_sigma * model.data_std}


# ---------------------------------------------------------------- 1. conv_matrix


def _mid_year_val_start(ds: xr.Dataset) -> int:
    """Start index of the validation window that begins closest to 1 July."""
    starts = ds["val_start"].values
    times = pd.DatetimeIndex(ds["time"].values[starts])
    distance = np.abs(times.day_of_year - 182)
    return int(starts[int(np.argmin(distance))])


def compute_conv_matrix(paths: Mapping[str, Path], cfg: dict, n_hours: int = CONV_HOURS,
                        filter_index: int | None = None,
                        channel_index: int | None = None) -> xr.Dataset:
    """The first encoder layer and the last decoder layer as matrices, on one real day.

    The input is the first ``n_hours`` of the validation window that starts nearest to
    1 July. The convolution uses filter ``filter_index`` of the first encoder layer (default:
    the filter with the largest kernel norm); the transposed convolution uses input channel
    ``channel_index`` of the decoder's last layer (default: the channel whose contribution
    to this day's reconstruction is largest), fed with that channel's real activations when
    the 96 hours starting that day are encoded (posterior mean) and decoded.

    Both matrix products are checked against the Keras layers (without their ReLU); the
    largest difference is stored as ``max_abs_error_conv`` / ``max_abs_error_transposed``.
    """
    model = _load(paths["model"])
    ds = _windows(paths["windows"])
    conv = _conv_layers(model.encoder)[0]
    deconv = _conv_layers(model.decoder, transposed=True)[-1]
    k_conv, s_conv = int(conv.kernel_size[0]), int(conv.strides[0])
    k_dec, s_dec = int(deconv.kernel_size[0]), int(deconv.strides[0])
    if n_hours % s_conv or n_hours < k_conv:
        raise ValueError(f"n_hours must be a multiple of {s_conv} and at least {k_conv}")

    start = _mid_year_val_start(ds)
    hours = max(96, math.ceil(n_hours / 96) * 96)
    block = ds["x"].values[start:start + hours].astype("float32")
    x = block[:n_hours].astype("float64")

    kernel, bias = (np.asarray(w) for w in conv.get_weights())  # (k, 1, F), (F,)
    if filter_index is None:
        filter_index = int(np.argmax(np.linalg.norm(kernel[:, 0, :], axis=0)))
    w_conv = kernel[:, 0, filter_index].astype("float64")
    b_conv = float(bias[filter_index])
    mat = conv_matrix(w_conv, n_hours, s_conv)
    y_matrix = mat @ x + b_conv
    pre = np.asarray(linear_clone(conv, (None, None, 1))(x[None, :, None].astype("float32")))
    y_layer = pre[0, :, filter_index].astype("float64")
    y_relu = np.asarray(conv(x[None, :, None].astype("float32")))[0, :, filter_index]

    # Activations that enter the decoder's last layer for this block.
    z = encode_means(model, block[None])
    act = z
    for layer in model.decoder.layers:
        if layer is deconv:
            break
        if isinstance(layer, type(deconv)):
            act = layer(act)
    act = np.asarray(act)[0]  # (hours / s_dec, C)
    n_dec_in = n_hours // s_dec
    u_all = act[:n_dec_in].astype("float64")
    dkernel, dbias = (np.asarray(w) for w in deconv.get_weights())  # (k, 1, C), (1,)
    if channel_index is None:
        norms = [np.linalg.norm(transposed_conv_matrix(dkernel[:, 0, c], n_dec_in, s_dec)
                                @ u_all[:, c]) for c in range(u_all.shape[1])]
        channel_index = int(np.argmax(norms))
    w_dec = dkernel[:, 0, channel_index].astype("float64")
    b_dec = float(dbias[0])
    u = u_all[:, channel_index]
    tmat = transposed_conv_matrix(w_dec, n_dec_in, s_dec)
    contributions = tmat * u[None, :]  # (out hour, input step): u_i spread over k outputs
    t_matrix = tmat @ u + b_dec
    one_channel = np.zeros((1, n_dec_in, u_all.shape[1]), dtype="float32")
    one_channel[0, :, channel_index] = u
    t_layer = np.asarray(linear_clone(deconv, (None, None, u_all.shape[1]))(one_channel))[0, :, 0]

    pad = same_padding(n_hours, k_conv, s_conv)
    dpad = same_padding(n_dec_in * s_dec, k_dec, s_dec)
    t0 = pd.Timestamp(ds["time"].values[start])
    return xr.Dataset(
        {"x": ("hour", x, {"long_name": "input: standardised temperature", "units": "1"}),
         "x_degF": ("hour", x * model.data_std + model.data_mean,
                    {"long_name": "input (detrended)", "units": "degF"}),
         "kernel": ("tap", w_conv, {"long_name": f"kernel of filter {filter_index}"}),
         "matrix": (("out_step", "hour"), mat, {"long_name": "convolution as a matrix"}),
         "y_matrix": ("out_step", y_matrix, {"long_name": "matrix @ x + bias"}),
         "y_layer": ("out_step", y_layer, {"long_name": "Keras Conv1D output before ReLU"}),
         "y_relu": ("out_step", y_relu.astype("float64"),
                    {"long_name": "Keras Conv1D output after ReLU"}),
         "t_kernel": ("t_tap", w_dec, {"long_name": f"kernel of input channel {channel_index}"}),
         "u": ("in_step", u, {"long_name": "input of the decoder's last layer (one channel)"}),
         "t_matrix": (("out_hour", "in_step"), tmat,
                      {"long_name": "transposed convolution as a matrix"}),
         "contributions": (("out_hour", "in_step"), contributions,
                           {"long_name": "u_i times column i of the matrix"}),
         "t_y_matrix": ("out_hour", t_matrix, {"long_name": "matrix @ u + bias"}),
         "t_y_layer": ("out_hour", t_layer.astype("float64"),
                       {"long_name": "Keras Conv1DTranspose output (this channel only)"})},
        coords={"hour": np.arange(n_hours), "out_step": np.arange(mat.shape[0]),
                "tap": np.arange(k_conv), "t_tap": np.arange(k_dec),
                "in_step": np.arange(n_dec_in), "out_hour": np.arange(n_dec_in * s_dec)},
        attrs={**_label_attrs(cfg), **_model_attrs(model, paths["model"]),
               "conv_layer": conv.name, "conv_kernel_size": k_conv, "conv_stride": s_conv,
               "conv_pad_left": pad[0], "conv_pad_right": pad[1], "conv_bias": b_conv,
               "filter_index": filter_index, "conv_filters": int(kernel.shape[-1]),
               "deconv_layer": deconv.name, "deconv_kernel_size": k_dec,
               "deconv_stride": s_dec, "deconv_pad_left": dpad[0], "deconv_pad_right": dpad[1],
               "deconv_bias": b_dec, "channel_index": channel_index,
               "deconv_channels": int(dkernel.shape[-1]),
               "start": f"{t0:%Y-%m-%d %H:%M}",
               "max_abs_error_conv": float(np.abs(y_matrix - y_layer).max()),
               "max_abs_error_transposed": float(np.abs(t_matrix - t_layer).max())})


# -------------------------------------------------------------------- 2. strides


def encoder_stack(model) -> tuple[list[str], list[int], list[int]]:
    """Names, kernel sizes and strides of the encoder's convolutions, in order."""
    convs = _conv_layers(model.encoder)
    return ([c.name for c in convs], [int(c.kernel_size[0]) for c in convs],
            [int(c.strides[0]) for c in convs])


def tree_mask(table: pd.DataFrame, unit: int) -> np.ndarray:
    """Which units of each layer feed ``unit`` of the top layer: ``(n_layers, n_in)`` 0/1."""
    n_layers, n_in = len(table), int(table["n_units"].iloc[0])
    mask = np.zeros((n_layers, n_in), dtype="int8")
    current = np.array([unit])
    mask[-1, current] = 1
    for layer in range(n_layers - 1, 0, -1):
        row = table.iloc[layer]
        below = [unit_inputs(u, int(row["kernel"]), int(row["stride"]), int(row["pad_left"]),
                             int(table["n_units"].iloc[layer - 1])) for u in current]
        current = np.unique(np.concatenate(below))
        mask[layer - 1, current] = 1
    return mask


def compute_strides(paths: Mapping[str, Path], cfg: dict, n_steps: int = STRIDES_STEPS,
                    highlight: int = 1) -> xr.Dataset:
    """Receptive fields of the encoder's layers and a perturbation map of the real encoder.

    The layer table comes from the model's own kernel sizes and strides
    (:func:`receptive_fields`); the map (:func:`perturbation_map`) perturbs each hour of the
    first ``96·n_steps`` hours of the first validation window by ±1 standard unit and
    records how much each latent step's posterior mean moves. ``highlight`` is the latent
    step whose tree of inputs the figure draws.
    """
    model = _load(paths["model"])
    ds = _windows(paths["windows"])
    names, kernels, strides = encoder_stack(model)
    hours_per_step = math.prod(strides)
    n_in = hours_per_step * n_steps
    table = receptive_fields(kernels, strides, n_in)
    start = int(ds["val_start"].values[0])
    x = ds["x"].values[start:start + n_in]
    change = perturbation_map(model, x)
    bounds = np.array([receptive_hours(table, len(table) - 1, i, n_in) for i in range(n_steps)])
    mask = tree_mask(table, highlight)
    t0 = pd.Timestamp(ds["time"].values[start])
    data = {col: ("layer", table[col].to_numpy().astype("int64")) for col in table.columns}
    data.update({
        "tree": (("layer", "unit"), mask, {"long_name": f"feeds latent step {highlight}"}),
        "sensitivity": (("hour", "step"), change,
                        {"long_name": "max |change of posterior mean| for a ±1 change of one "
                                      "hour", "units": "1"}),
        "rf_first": ("step", bounds[:, 0], {"long_name": "first input hour (recursion)"}),
        "rf_last": ("step", bounds[:, 1], {"long_name": "last input hour (recursion)"}),
        "x": ("hour", x.astype("float64"), {"long_name": "standardised input", "units": "1"}),
    })
    return xr.Dataset(
        data, coords={"layer": np.arange(len(table)), "unit": np.arange(n_in),
                      "hour": np.arange(n_in), "step": np.arange(n_steps)},
        attrs={**_label_attrs(cfg), **_model_attrs(model, paths["model"]),
               "layer_names": ",".join(["input", *names]), "hours_per_step": hours_per_step,
               "highlight": highlight, "start": f"{t0:%Y-%m-%d %H:%M}",
               "latent_rf_hours": int(table["rf"].iloc[-1])})


# ------------------------------------------------------------- 3. free_time_axis


def _free_axis_start(ds: xr.Dataset, hours: int) -> int:
    """Index of the latest local midnight from which ``hours`` valid hours follow."""
    times = pd.DatetimeIndex(ds["time"].values)
    x = ds["x"].values
    last = len(times) - hours
    candidates = np.flatnonzero((times.hour == 0) & (np.arange(len(times)) <= last))
    valid = ~np.isnan(x)
    for i in candidates[::-1]:
        if valid[i:i + hours].all():
            return int(i)
    raise InputError("windows", f"holds no {hours} consecutive valid hours starting at "
                     "midnight", "use a longer record for the free-time-axis figure")


def compute_free_time_axis(paths: Mapping[str, Path], cfg: dict,
                           days: Sequence[int] = FREE_AXIS_DAYS, seed: int = 11) -> xr.Dataset:
    """One model on 4, 40 and 400 days: encoded shapes, reconstructions, generated series.

    The real stretches all begin at the same local midnight (the latest one from which the
    longest fits into the record), so they nest. Reconstructions decode the posterior mean.
    Generated series (:func:`seasonal_vae.model.sample.generate`, noise off, trend not re-applied)
    start at the same date, one per length, all from the same model. Temperatures are in
    °F of the detrended record (the climate of the model's reference year).
    """
    from seasonal_vae.model.sample import generate

    model = _load(paths["model"])
    ds = _windows(paths["windows"])
    days = sorted(int(d) for d in days)
    if any(d % 4 for d in days):
        raise ValueError("every length must be a whole number of 4-day latent steps")
    first = _free_axis_start(ds, 24 * days[-1])
    times = ds["time"].values
    data, coords, attrs = {}, {}, {}
    for d in days:
        n = 24 * d
        tag = f"{d}d"
        x = ds["x"].values[first:first + n].astype("float32")
        z = encode_means(model, x[None])
        recon = np.asarray(model.decoder(z, training=False))[0]
        gen = generate(model, pd.Timestamp(times[first]), n, n_paths=1, seed=seed + d,
                       retrend="none")
        to_f = lambda v: v.astype("float64") * model.data_std + model.data_mean  # noqa: E731
        hour, step = f"hour_{tag}", f"step_{tag}"
        coords[f"time_{tag}"] = (hour, times[first:first + n])
        coords[step] = np.arange(z.shape[1])
        data[f"real_{tag}"] = (hour, to_f(x), {"units": "degF"})
        data[f"reconstruction_{tag}"] = (hour, to_f(recon), {"units": "degF"})
        data[f"generated_{tag}"] = (hour, gen.values[0].astype("float64"), {"units": "degF"})
        data[f"z_mean_{tag}"] = ((step, "feature"), z[0].astype("float64"))
        attrs[f"input_shape_{tag}"] = f"(1, {n})"
        attrs[f"latent_shape_{tag}"] = f"(1, {z.shape[1]}, {z.shape[2]})"
        attrs[f"output_shape_{tag}"] = f"(1, {recon.shape[0]})"
        attrs[f"rmse_degF_{tag}"] = float(np.sqrt(np.mean((recon - x) ** 2)) * model.data_std)
    coords["feature"] = np.arange(model.latent_dim)
    t0 = pd.Timestamp(times[first])
    return xr.Dataset(data, coords=coords, attrs={
        **_label_attrs(cfg), **_model_attrs(model, paths["model"]), **attrs,
        "days": ",".join(str(d) for d in days), "start": f"{t0:%Y-%m-%d %H:%M}",
        "seed": seed})


# ---------------------------------------------------------------------- 4. prior


def window_thetas(starts: np.ndarray, n_steps: int, anchor: str,
                  hours_per_step: int = 96) -> np.ndarray:
    """θ of each latent step of windows starting at ``starts``: ``(N, n_steps)``."""
    from seasonal_vae.core.calendar import latent_step_times, theta

    origin = np.datetime64(0, "ns")
    offsets = latent_step_times(origin, n_steps, hours_per_step, anchor) - origin
    times = np.asarray(starts, dtype="datetime64[ns]")[:, None] + offsets[None, :]
    return theta(times.ravel()).reshape(times.shape)


def compute_prior(paths: Mapping[str, Path], cfg: dict, n_theta: int = PRIOR_THETA_POINTS,
                  n_bins: int = PRIOR_BINS) -> xr.Dataset:
    """The prior's m(θ) and s(θ) on a θ grid, and the posterior means of every window.

    ``s`` is the log-variance; the prior's standard deviation is ``exp(s/2)``. Every training
    and validation window of the windows file is encoded; each latent step's posterior mean
    is placed at the θ of its step (centre or start, as the model's ``theta_anchor``).
    """
    model = _load(paths["model"])
    ds = _windows(paths["windows"])
    theta_grid = np.linspace(0.0, 2.0 * np.pi, n_theta)
    m, s = prior_moments(model, theta_grid)
    hours = int(ds.attrs["window_hours"])
    n_steps = hours // 96
    starts, split = [], []
    for code, name in ((1, "train"), (2, "val")):
        st = ds[f"{name}_start"].values.astype(np.int64)
        starts.append(st)
        split.append(np.full(st.size, code, dtype="int8"))
    starts, split = np.concatenate(starts), np.concatenate(split)
    z = encode_means(model, _window_array(ds, starts, hours))  # (N, k, L)
    th = window_thetas(ds["time"].values[starts], n_steps, model.theta_anchor)
    points_theta = th.ravel()
    points_z = z.reshape(-1, z.shape[-1]).astype("float64")
    edges = np.linspace(0.0, 2.0 * np.pi, n_bins + 1)
    which = np.clip(np.digitize(points_theta, edges) - 1, 0, n_bins - 1)
    binned = np.full((n_bins, z.shape[-1]), np.nan)
    for b in range(n_bins):
        if (which == b).any():
            binned[b] = points_z[which == b].mean(axis=0)
    return xr.Dataset(
        {"m": (("theta", "feature"), m, {"long_name": "prior mean m(θ)"}),
         "s": (("theta", "feature"), s, {"long_name": "prior log-variance s(θ)"}),
         "prior_std": (("theta", "feature"), np.exp(s / 2),
                       {"long_name": "prior standard deviation exp(s(θ)/2)"}),
         "z_mean": (("point", "feature"), points_z,
                    {"long_name": "encoder posterior mean of one latent step"}),
         "point_theta": ("point", points_theta),
         "point_split": ("point", np.repeat(split, n_steps),
                         {"flag_values": [1, 2], "flag_meanings": "training validation"}),
         "binned_mean": (("theta_bin", "feature"), binned,
                         {"long_name": "mean of the posterior means per θ bin"})},
        coords={"theta": theta_grid, "feature": np.arange(model.latent_dim),
                "theta_bin": 0.5 * (edges[:-1] + edges[1:])},
        attrs={**_label_attrs(cfg), **_model_attrs(model, paths["model"]),
               "theta_anchor": model.theta_anchor, "n_windows": int(starts.size),
               "n_train_windows": int((split == 1).sum()),
               "n_val_windows": int((split == 2).sum()), "steps_per_window": n_steps})


# ------------------------------------------------------------ 5. graphical_model


def compute_graphical_model(paths: Mapping[str, Path], cfg: dict) -> xr.Dataset:
    """The numbers the graphical model prints: σ (°F), L, the Fourier degree, the prior kind."""
    model = _load(paths["model"])
    names, kernels, strides = encoder_stack(model)
    return xr.Dataset(
        {"noise_sigma_degF": ((), model.noise_sigma * model.data_std,
                              {"long_name": "learned observation noise std", "units": "degF"})},
        attrs={**_label_attrs(cfg), **_model_attrs(model, paths["model"]),
               "hours_per_step": math.prod(strides),
               "noise_variance_degF2": (model.noise_sigma * model.data_std) ** 2,
               "theta_anchor": model.theta_anchor})


# ------------------------------------------------------------------- 6. training

HISTORY_COLUMNS = ("epoch", "kl", "loss", "noise_sigma", "reconstruction", "val_kl", "val_loss",
                   "val_noise_sigma", "val_reconstruction")


def read_history(path: Path) -> pd.DataFrame:
    """The per-epoch history written by training (one row per epoch, last row of a resumed
    epoch kept)."""
    fix = "rerun training (snakemake train), which writes history.csv beside the model"
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as err:
        raise InputError(path, f"cannot be read as CSV ({err})", fix) from err
    missing = [c for c in HISTORY_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(path, f"lacks the columns {missing}", fix)
    if frame.empty:
        raise InputError(path, "holds no epoch", fix)
    return frame.drop_duplicates("epoch", keep="last").sort_values("epoch").reset_index(drop=True)


def compute_training(paths: Mapping[str, Path], cfg: dict) -> xr.Dataset:
    """Loss terms per epoch (1-based), the learned noise σ in °F and the best-val epoch."""
    frame = read_history(paths["history"])
    model = _load(paths["model"])
    std = model.data_std
    epoch = frame["epoch"].to_numpy().astype("int64") + 1  # Keras logs epochs from 0
    best = int(np.nanargmin(frame["val_loss"].to_numpy()))
    data = {col: ("epoch", frame[col].to_numpy().astype("float64"))
            for col in HISTORY_COLUMNS[1:]}
    data["noise_sigma_degF"] = ("epoch", frame["noise_sigma"].to_numpy() * std,
                                {"units": "degF", "long_name": "learned noise σ (epoch mean)"})
    data["val_noise_sigma_degF"] = ("epoch", frame["val_noise_sigma"].to_numpy() * std,
                                    {"units": "degF", "long_name": "learned noise σ (epoch end)"})
    return xr.Dataset(data, coords={"epoch": epoch}, attrs={
        **_label_attrs(cfg), **_model_attrs(model, paths["model"]),
        "best_epoch": int(epoch[best]), "best_val_loss": float(frame["val_loss"].iloc[best]),
        "n_epochs": int(epoch[-1]), "history": str(paths["history"])})


# ------------------------------------------------------------------- registry


def _drawer(module: str, function: str):
    def draw(ds: xr.Dataset, cfg: dict):
        import importlib

        return getattr(importlib.import_module(f"seasonal_vae.figures.draw.{module}"), function)(
            ds, cfg["data"]["label"])

    draw.__name__ = f"draw_{module}"
    return draw


FIGURES = [
    FigureSpec("conv_matrix", ("model", "windows"), compute_conv_matrix,
               _drawer("conv_matrix", "conv_matrix_figure"),
               "A 1-D convolution as a banded, strided matrix built from the trained first "
               "encoder layer (kernel 5, stride 3) on one real day, and the decoder's last "
               "layer as the transposed matrix that spreads each input over overlapping hours."),
    FigureSpec("strides", ("model", "windows"), compute_strides,
               _drawer("strides", "strides_figure"),
               "How the encoder's strides 3·2·2·2·2·2 make one latent step per 96 hours: the "
               "input hours feeding each layer's units, each layer's receptive field and "
               "jump, and a perturbation test of the trained encoder."),
    FigureSpec("free_time_axis", ("model", "windows"), compute_free_time_axis,
               _drawer("free_time_axis", "free_time_axis_figure"),
               "One trained model encodes and reconstructs real stretches of 4, 40 and 400 "
               "days (k = 1, 10 and 100 latent steps of 96 hours) and generates series of "
               "the same lengths."),
    FigureSpec("prior", ("model", "windows"), compute_prior, _drawer("prior", "prior_figure"),
               "The learned seasonal prior of every latent feature over the year, mean m(θ) "
               "with ±1 and ±2 standard deviations exp(s(θ)/2), over the encoder's posterior "
               "means of all training and validation windows."),
    FigureSpec("graphical_model", ("model",), compute_graphical_model,
               _drawer("graphical_model", "graphical_model_figure"),
               "The model as a probabilistic graphical model: time of year θ sets the prior "
               "of the latent steps z, which generate the hourly temperatures x with learned "
               "noise σ², and the encoder q(z | x) approximates the posterior."),
    FigureSpec("training", ("history", "model"), compute_training,
               _drawer("training", "training_figure"),
               "Training and validation loss (the negative ELBO per value), its "
               "reconstruction and KL terms, and the learned noise σ in °F per epoch, with "
               "the epoch of the saved (best validation) model marked."),
]
