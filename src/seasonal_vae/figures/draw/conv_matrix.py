"""Figure ``conv_matrix``: a 1-D convolution as a matrix product, and its transpose.

Top row: the trained first encoder layer (one filter, kernel 5, stride 3, ``same`` padding)
on one real day. Each row of the banded matrix ``W`` is the kernel moved 3 hours to the
right; the taps that fall on Keras' padding zeros are drawn hatched beside the matrix. The
product ``W x + b`` equals the layer's output before its ReLU.

Bottom row: the decoder's last layer (a Conv1DTranspose, kernel 5, stride 3) for one input
channel is the matrix ``Wᵀ`` of the same shape of convolution: every input value is spread
over 5 output hours, and neighbouring projections overlap by 2 hours.

The numbers come from :func:`seasonal_vae.figures.compute.conv_matrix.compute`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from seasonal_vae.figures.draw.style import (
    GENERATED_COLOR,
    REAL_COLOR,
    REFERENCE_COLOR,
    apply_style,
    data_note,
    short_path,
)

CMAP = "RdBu_r"
#: Two alternating colours for neighbouring projections of the transposed convolution.
_PROJECTION_COLORS = ("#009E73", "#CC79A7")  # Okabe–Ito bluish green, reddish purple


def _norm(*arrays) -> TwoSlopeNorm:
    vmax = max(float(np.abs(a).max()) for a in arrays) or 1.0
    return TwoSlopeNorm(0.0, -vmax, vmax)


def plot_kernel(ax: Axes, kernel: np.ndarray, bias: float, title: str, norm) -> None:
    """The kernel's taps as bars coloured like the matrix, values printed."""
    taps = np.arange(kernel.size)
    bars = ax.bar(taps, kernel, color=plt.get_cmap(CMAP)(norm(kernel)), edgecolor="black", linewidth=0.6)
    ax.bar_label(bars, labels=[f"{v:+.2f}" for v in kernel], fontsize=8, padding=2)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(taps, [f"w{t}" for t in taps])
    lim = 1.3 * float(np.abs(kernel).max())
    ax.set_ylim(-lim if kernel.min() < 0 else -0.25 * lim, lim if kernel.max() > 0 else 0.25 * lim)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel("weight")
    ax.text(
        0.5,
        0.02,
        f"bias b = {bias:+.3f}",
        transform=ax.transAxes,
        ha="center",
        va="bottom",
        fontsize=8.5,
        color=REFERENCE_COLOR,
    )
    ax.grid(axis="x", visible=False)


def _cells(ax: Axes, matrix: np.ndarray, norm, x0: float = 0.0, y0: float = 0.0) -> None:
    """Draw a matrix as square cells (row 0 on top); zeros white, band coloured."""
    rgba = plt.get_cmap(CMAP)(norm(matrix))
    rgba[matrix == 0] = (1, 1, 1, 1)
    n_rows, n_cols = matrix.shape
    ax.imshow(
        rgba,
        extent=(x0 - 0.5, x0 + n_cols - 0.5, y0 + n_rows - 0.5, y0 - 0.5),
        interpolation="nearest",
        aspect="auto",
    )
    for edge in np.arange(n_cols + 1) - 0.5 + x0:
        ax.axvline(edge, color="#DDDDDD", linewidth=0.4, zorder=1)
    for edge in np.arange(n_rows + 1) - 0.5 + y0:
        ax.axhline(edge, color="#DDDDDD", linewidth=0.4, zorder=1)


def plot_conv_matrix(ax: Axes, ax_x: Axes, ds: xr.Dataset, norm) -> None:
    """The banded matrix W (rows: outputs, columns: input hours) with the input above it.

    Padding columns (hour −1 and hour ``n``) show the taps that multiply a padding zero.
    """
    mat = ds["matrix"].values
    kernel = ds["kernel"].values
    stride, left = int(ds.attrs["conv_stride"]), int(ds.attrs["conv_pad_left"])
    right = int(ds.attrs["conv_pad_right"])
    n_out, n_in = mat.shape
    _cells(ax, mat, norm)
    cmap = plt.get_cmap(CMAP)
    for i in range(n_out):
        for m, value in enumerate(kernel):
            j = i * stride - left + m
            if j < 0 or j >= n_in:
                ax.add_patch(
                    Rectangle(
                        (j - 0.5, i - 0.5),
                        1,
                        1,
                        facecolor=cmap(norm(value)),
                        alpha=0.45,
                        hatch="///",
                        edgecolor=REFERENCE_COLOR,
                        linewidth=0.4,
                    )
                )
    for j in [*range(-left, 0), *range(n_in, n_in + right)]:
        ax.text(j, n_out - 0.5 + 0.15, "pad\n0", ha="center", va="top", fontsize=7, color=REFERENCE_COLOR)
    ax.set_xlim(-left - 0.5, n_in + right - 0.5)
    ax.set_ylim(n_out + 0.6, -0.5)
    ax.set_yticks(np.arange(n_out), [f"y{i}" for i in range(n_out)])
    ax.set_xticks(np.arange(0, n_in, 3))
    ax.set_xlabel("input hour (column of W)")
    ax.grid(False)
    # The stride: row 1 starts 3 columns right of row 0.
    ax.annotate(
        "",
        xy=(stride - left - 0.5, 0.5),
        xytext=(-left - 0.5, 0.5),
        arrowprops=dict(arrowstyle="->", color="black", linewidth=1.3, shrinkA=0, shrinkB=0),
    )
    ax.text(stride / 2 - left - 0.5, 1.05, f"stride {stride}", ha="center", va="center", fontsize=8)
    ax.set_title(
        f"W: the kernel moves {stride} hours per output row "
        f"({n_out} × {n_in}, 'same' padding: {left} zero left, {right} right)",
        fontsize=10,
    )

    # The input as a row vector above the matrix, sharing its columns.
    hours = ds["hour"].values
    ax_x.plot(hours, ds["x"].values, marker="o", markersize=3.5, color=REAL_COLOR)
    pads = [*range(-left, 0), *range(n_in, n_in + right)]
    ax_x.plot(
        pads,
        np.zeros(len(pads)),
        linestyle="none",
        marker="s",
        markersize=4,
        color=REFERENCE_COLOR,
        markerfacecolor="white",
        label="padding zeros",
    )
    top = float(np.max(ds["x"].values))
    ax_x.set_ylim(min(0.0, float(np.min(ds["x"].values))) - 0.25 * abs(top), max(0.0, top) + 0.25 * abs(top))
    ax_x.legend(loc="upper left", fontsize=8)
    ax_x.set_xlim(ax.get_xlim())
    ax_x.set_xticks(ax.get_xticks())
    ax_x.set_ylabel("x (std.)")
    mean, std = float(ds.attrs["data_mean_degF"]), float(ds.attrs["data_std_degF"])
    sec = ax_x.secondary_yaxis("right", functions=(lambda v: v * std + mean, lambda v: (v - mean) / std))
    sec.set_ylabel("°F")
    ax_x.tick_params(labelbottom=False)
    ax_x.set_title(
        f"x: {n_in} hours of real temperature from {ds.attrs['start'][:10]} "
        "(standardised, as the encoder sees it)",
        fontsize=10,
    )


def plot_outputs(ax: Axes, ds: xr.Dataset) -> None:
    """``W x + b`` per output row, with the Keras layer's output (before ReLU) on top."""
    rows = ds["out_step"].values
    ax.barh(rows, ds["y_matrix"].values, color=GENERATED_COLOR, height=0.6, label="W x + b")
    ax.plot(
        ds["y_layer"].values,
        rows,
        linestyle="none",
        marker="D",
        markersize=5,
        color="black",
        label="Keras Conv1D\n(before ReLU)",
    )
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_ylim(len(rows) + 0.6, -0.5)
    ax.set_yticks(rows, [f"y{i}" for i in rows])
    ax.set_xlabel("output")
    ax.set_title("y = W x + b", fontsize=10)
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.3),
        fontsize=8,
        ncols=1,
        title=f"max |difference| {ds.attrs['max_abs_error_conv']:.1e}",
        title_fontproperties={"size": 8},
    )
    ax.grid(axis="y", visible=False)


def plot_transposed_matrix(ax: Axes, ax_u: Axes, ds: xr.Dataset, norm) -> None:
    """The tall matrix Wᵀ (rows: output hours, columns: input steps) with its input above."""
    mat = ds["t_matrix"].values
    n_out, n_in = mat.shape
    _cells(ax, mat, norm)
    ax.set_xlim(-0.5, n_in - 0.5)
    ax.set_ylim(n_out - 0.5, -0.5)
    ax.set_xticks(np.arange(n_in), [f"u{i}" for i in range(n_in)], fontsize=8)
    ax.set_yticks(np.arange(0, n_out, 3))
    ax.set_ylabel("output hour (row of Wᵀ)")
    ax.grid(False)
    ax.set_title(f"Wᵀ ({n_out} × {n_in})", fontsize=10)
    ax_u.bar(np.arange(n_in), ds["u"].values, color=REFERENCE_COLOR, width=0.6)
    ax_u.set_xlim(ax.get_xlim())
    ax_u.tick_params(labelbottom=False)
    ax_u.set_ylabel("u")
    ax_u.set_title(f"u: input channel {ds.attrs['channel_index']}", fontsize=10)
    ax_u.grid(axis="x", visible=False)


def plot_projections(ax: Axes, ds: xr.Dataset) -> None:
    """Each input value times its column of Wᵀ, the overlaps shaded, and their sum."""
    contrib = ds["contributions"].values  # (out hour, in step)
    hours = ds["out_hour"].values
    n_in = contrib.shape[1]
    covered = (ds["t_matrix"].values != 0).sum(axis=1)
    for h in hours[covered > 1]:
        ax.axvspan(h - 0.5, h + 0.5, color="#EEEEEE", zorder=0, linewidth=0)
    for i in range(n_in):
        support = np.flatnonzero(ds["t_matrix"].values[:, i])
        color = _PROJECTION_COLORS[i % 2]
        ax.plot(hours[support], contrib[support, i], color=color, marker="o", markersize=3, linewidth=1.2)
        if not np.any(contrib[support, i]):
            continue  # a zero input (its ReLU was off) projects nothing
        peak = support[np.argmax(np.abs(contrib[support, i]))]
        below = contrib[peak, i] >= 0  # the sum runs above a positive projection
        ax.annotate(
            f"u{i}",
            (hours[peak], contrib[peak, i]),
            xytext=(0, -5 if below else 5),
            textcoords="offset points",
            color=color,
            fontsize=8.5,
            ha="center",
            va="top" if below else "bottom",
            fontweight="bold",
        )
    ax.plot(hours, ds["t_y_matrix"].values, color="black", linewidth=2.0, label="Wᵀ u + b")
    ax.plot(
        hours,
        ds["t_y_layer"].values,
        linestyle="none",
        marker="D",
        markersize=4.5,
        markerfacecolor="white",
        markeredgecolor=GENERATED_COLOR,
        label="Keras Conv1DTranspose\n(this channel only)",
    )
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlim(hours[0] - 0.5, hours[-1] + 0.5)
    ax.set_xticks(np.arange(0, hours.size, 3))
    ax.set_xlabel("output hour")
    ax.set_ylabel("contribution (standard units)")
    k, s = ds.attrs["deconv_kernel_size"], ds.attrs["deconv_stride"]
    ax.set_title(
        f"Each input u_i is spread over {k} hours, {s} hours after the last one; overlaps add up", fontsize=10
    )
    top = max(float(ds["t_y_matrix"].max()), float(contrib.max()))
    ax.set_ylim(min(0.0, float(contrib.min())) - 0.05 * top, 1.3 * top)
    ax.legend(
        loc="upper left",
        fontsize=8,
        ncols=2,
        title=f"max |difference| {ds.attrs['max_abs_error_transposed']:.1e}; "
        "grey: hours where two projections overlap",
        title_fontproperties={"size": 8},
        alignment="left",
    )


def conv_matrix_figure(ds: xr.Dataset, data_label: str) -> Figure:
    """Build the figure from :func:`seasonal_vae.figures.compute.conv_matrix.compute`'s dataset."""
    apply_style()
    fig = plt.figure(figsize=(14, 10), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.0, 1.25], hspace=0.04)
    norm_conv = _norm(ds["kernel"].values)
    norm_dec = _norm(ds["t_kernel"].values)

    gs = top.add_gridspec(2, 3, width_ratios=[1.0, 4.2, 1.1], height_ratios=[1.25, 2.4])
    ax_k = top.add_subplot(gs[:, 0])
    ax_x = top.add_subplot(gs[0, 1])
    ax_m = top.add_subplot(gs[1, 1])
    ax_y = top.add_subplot(gs[1, 2])
    plot_kernel(
        ax_k,
        ds["kernel"].values,
        float(ds.attrs["conv_bias"]),
        f"Trained kernel\n(filter {ds.attrs['filter_index']} of "
        f"{ds.attrs['conv_filters']},\nfirst encoder layer)",
        norm_conv,
    )
    plot_conv_matrix(ax_m, ax_x, ds, norm_conv)
    plot_outputs(ax_y, ds)
    top.suptitle(
        f"Convolution = matrix product: Conv1D(kernel {ds.attrs['conv_kernel_size']}, "
        f"stride {ds.attrs['conv_stride']}, 'same') on {ds.sizes['hour']} hours "
        f"→ {ds.sizes['out_step']} outputs",
        fontsize=12,
        fontweight="bold",
    )

    gs = bottom.add_gridspec(2, 3, width_ratios=[1.0, 1.3, 4.0], height_ratios=[1, 4])
    ax_k2 = bottom.add_subplot(gs[:, 0])
    ax_u = bottom.add_subplot(gs[0, 1])
    ax_t = bottom.add_subplot(gs[1, 1])
    ax_p = bottom.add_subplot(gs[:, 2])
    plot_kernel(
        ax_k2,
        ds["t_kernel"].values,
        float(ds.attrs["deconv_bias"]),
        f"Trained kernel\n(input channel {ds.attrs['channel_index']} of "
        f"{ds.attrs['deconv_channels']},\nlast decoder layer)",
        norm_dec,
    )
    plot_transposed_matrix(ax_t, ax_u, ds, norm_dec)
    plot_projections(ax_p, ds)
    bottom.suptitle(
        "Deconvolution = transposed matrix: Conv1DTranspose(kernel "
        f"{ds.attrs['deconv_kernel_size']}, stride {ds.attrs['deconv_stride']}, "
        f"'same') on {ds.sizes['in_step']} steps → {ds.sizes['out_hour']} hours",
        fontsize=12,
        fontweight="bold",
    )

    data_note(
        f"{data_label}\nModel: {short_path(ds.attrs['model'])}. Input: the real day "
        f"{ds.attrs['start'][:10]}; the decoder input u is that channel's activation "
        "when the 96 hours from that day are encoded (posterior mean) and decoded.",
        fig,
    )
    return fig


def draw(ds: xr.Dataset, cfg: dict) -> Figure:
    """Figure ``conv_matrix`` from its numbers (the registry's drawing step)."""
    return conv_matrix_figure(ds, cfg["data"]["label"])
