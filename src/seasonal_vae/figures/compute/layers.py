"""The maths of a stack of 1-D convolutions, as the model figures illustrate it.

Pure numpy and pandas, no model and no files, so that the drawing modules may use it too:
Keras/TensorFlow ``padding="same"`` (:func:`same_padding`), a convolution and a transposed
convolution written as matrices (:func:`conv_matrix`, :func:`transposed_conv_matrix`), and the
receptive field, jump and offset of every layer of a stack (:func:`receptive_fields`), with
the units of one layer that feed a unit of the next (:func:`unit_inputs`,
:func:`receptive_hours`, :func:`tree_mask`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd


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
        rows.append(
            dict(
                kernel=k,
                stride=s,
                pad_left=left,
                n_units=math.ceil(prev["n_units"] / s),
                jump=prev["jump"] * s,
                rf=prev["rf"] + (k - 1) * prev["jump"],
                offset=prev["offset"] - left * prev["jump"],
            )
        )
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


def tree_mask(table: pd.DataFrame, unit: int) -> np.ndarray:
    """Which units of each layer feed ``unit`` of the top layer: ``(n_layers, n_in)`` 0/1."""
    n_layers, n_in = len(table), int(table["n_units"].iloc[0])
    mask = np.zeros((n_layers, n_in), dtype="int8")
    current = np.array([unit])
    mask[-1, current] = 1
    for layer in range(n_layers - 1, 0, -1):
        row = table.iloc[layer]
        below = [
            unit_inputs(
                u,
                int(row["kernel"]),
                int(row["stride"]),
                int(row["pad_left"]),
                int(table["n_units"].iloc[layer - 1]),
            )
            for u in current
        ]
        current = np.unique(np.concatenate(below))
        mask[layer - 1, current] = 1
    return mask
