"""Numbers of figure ``conv_matrix``: the first encoder layer and the decoder's last layer as matrices.

On one real day (the first hours of the validation window that starts nearest to 1 July): the
trained first convolution as a banded, strided matrix
(:func:`~seasonal_vae.figures.compute.layers.conv_matrix`) and the decoder's last (transposed)
convolution as the transpose of such a matrix, each checked against the Keras layer itself.
Drawn by :mod:`seasonal_vae.figures.draw.conv_matrix`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.figures.compute.layers import conv_matrix, same_padding, transposed_conv_matrix
from seasonal_vae.figures.compute.probe import (
    conv_layers,
    encode_means,
    label_attrs,
    linear_clone,
    load_trained,
    model_attrs,
    read_windows,
)

#: Hours of input in the ``conv_matrix`` figure (a multiple of the first stride, 3).
CONV_HOURS = 24


def _mid_year_val_start(ds: xr.Dataset) -> int:
    """Start index of the validation window that begins closest to 1 July."""
    starts = ds["val_start"].values
    times = pd.DatetimeIndex(ds["time"].values[starts])
    distance = np.abs(times.day_of_year - 182)
    return int(starts[int(np.argmin(distance))])


def compute(
    paths: Mapping[str, Path],
    cfg: dict,
    n_hours: int = CONV_HOURS,
    filter_index: int | None = None,
    channel_index: int | None = None,
) -> xr.Dataset:
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
    model = load_trained(paths["model"])
    ds = read_windows(paths["windows"])
    conv = conv_layers(model.encoder)[0]
    deconv = conv_layers(model.decoder, transposed=True)[-1]
    k_conv, s_conv = int(conv.kernel_size[0]), int(conv.strides[0])
    k_dec, s_dec = int(deconv.kernel_size[0]), int(deconv.strides[0])
    if n_hours % s_conv or n_hours < k_conv:
        raise ValueError(f"n_hours must be a multiple of {s_conv} and at least {k_conv}")

    start = _mid_year_val_start(ds)
    hours = max(96, math.ceil(n_hours / 96) * 96)
    block = ds["x"].values[start : start + hours].astype("float32")
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
        norms = [
            np.linalg.norm(transposed_conv_matrix(dkernel[:, 0, c], n_dec_in, s_dec) @ u_all[:, c])
            for c in range(u_all.shape[1])
        ]
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
        {
            "x": ("hour", x, {"long_name": "input: standardised temperature", "units": "1"}),
            "x_degF": (
                "hour",
                x * model.data_std + model.data_mean,
                {"long_name": "input (detrended)", "units": "degF"},
            ),
            "kernel": ("tap", w_conv, {"long_name": f"kernel of filter {filter_index}"}),
            "matrix": (("out_step", "hour"), mat, {"long_name": "convolution as a matrix"}),
            "y_matrix": ("out_step", y_matrix, {"long_name": "matrix @ x + bias"}),
            "y_layer": ("out_step", y_layer, {"long_name": "Keras Conv1D output before ReLU"}),
            "y_relu": ("out_step", y_relu.astype("float64"), {"long_name": "Keras Conv1D output after ReLU"}),
            "t_kernel": ("t_tap", w_dec, {"long_name": f"kernel of input channel {channel_index}"}),
            "u": ("in_step", u, {"long_name": "input of the decoder's last layer (one channel)"}),
            "t_matrix": (("out_hour", "in_step"), tmat, {"long_name": "transposed convolution as a matrix"}),
            "contributions": (
                ("out_hour", "in_step"),
                contributions,
                {"long_name": "u_i times column i of the matrix"},
            ),
            "t_y_matrix": ("out_hour", t_matrix, {"long_name": "matrix @ u + bias"}),
            "t_y_layer": (
                "out_hour",
                t_layer.astype("float64"),
                {"long_name": "Keras Conv1DTranspose output (this channel only)"},
            ),
        },
        coords={
            "hour": np.arange(n_hours),
            "out_step": np.arange(mat.shape[0]),
            "tap": np.arange(k_conv),
            "t_tap": np.arange(k_dec),
            "in_step": np.arange(n_dec_in),
            "out_hour": np.arange(n_dec_in * s_dec),
        },
        attrs={
            **label_attrs(cfg),
            **model_attrs(model, paths["model"]),
            "conv_layer": conv.name,
            "conv_kernel_size": k_conv,
            "conv_stride": s_conv,
            "conv_pad_left": pad[0],
            "conv_pad_right": pad[1],
            "conv_bias": b_conv,
            "filter_index": filter_index,
            "conv_filters": int(kernel.shape[-1]),
            "deconv_layer": deconv.name,
            "deconv_kernel_size": k_dec,
            "deconv_stride": s_dec,
            "deconv_pad_left": dpad[0],
            "deconv_pad_right": dpad[1],
            "deconv_bias": b_dec,
            "channel_index": channel_index,
            "deconv_channels": int(dkernel.shape[-1]),
            "start": f"{t0:%Y-%m-%d %H:%M}",
            "max_abs_error_conv": float(np.abs(y_matrix - y_layer).max()),
            "max_abs_error_transposed": float(np.abs(t_matrix - t_layer).max()),
        },
    )
