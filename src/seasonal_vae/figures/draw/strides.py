"""Figure ``strides``: how the encoder's strides become periods (96 hours per latent step).

(a) The encoder's layers stacked over the input hours of four latent steps: each dot is one
unit, placed at the middle of the hours it strides over; the units that feed one latent step
are coloured and connected. The right axis lists each layer's kernel, stride, jump (hours
between units) and receptive field (hours one unit sees), from the standard recursion.
(b) A perturbation test of the trained encoder: how much each latent step's posterior mean
moves when one input hour changes; the brackets are the receptive fields of the recursion.
(c) Why strides are periods: on units 6 hours apart, a stride-4 layer applies one weight set
per quarter of a day.

The numbers come from :func:`seasonal_vae.figures.compute.strides.compute`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

from seasonal_vae.figures.compute.layers import unit_inputs
from seasonal_vae.figures.draw.style import (
    REAL_COLOR,
    REFERENCE_COLOR,
    apply_style,
    data_note,
    short_path,
)

HIGHLIGHT_COLOR = "#E69F00"  # Okabe–Ito orange: the highlighted latent step's own hours
QUARTER_COLORS = ("#56B4E9", "#F0E442", "#E69F00", "#CC79A7")  # night, morning, afternoon, evening


def hours_text(hours: int) -> str:
    """``6`` → ``'6 h'``, ``48`` → ``'2 days'``."""
    if hours % 24 == 0:
        days = hours // 24
        return f"{days} day" + ("s" if days > 1 else "")
    return f"{hours} h"


def _centres(ds: xr.Dataset, layer: int) -> np.ndarray:
    jump = int(ds["jump"].values[layer])
    return np.arange(int(ds["n_units"].values[layer])) * jump + (jump - 1) / 2


def plot_layer_stack(ax: Axes, ds: xr.Dataset) -> None:
    """Panel (a): the units of every layer and the tree of inputs of one latent step."""
    n_layers = ds.sizes["layer"]
    n_in = int(ds["n_units"].values[0])
    step_hours = int(ds.attrs["hours_per_step"])
    highlight = int(ds.attrs["highlight"])
    tree = ds["tree"].values.astype(bool)
    ax.axvspan(
        highlight * step_hours - 0.5,
        (highlight + 1) * step_hours - 0.5,
        color=HIGHLIGHT_COLOR,
        alpha=0.15,
        linewidth=0,
    )
    for edge in np.arange(0, n_in + 1, step_hours):
        ax.axvline(edge - 0.5, color=REFERENCE_COLOR, linestyle="--", linewidth=0.8)
    for layer in range(1, n_layers):
        kernel, stride = int(ds["kernel"].values[layer]), int(ds["stride"].values[layer])
        pad, n_prev = int(ds["pad_left"].values[layer]), int(ds["n_units"].values[layer - 1])
        below, here = _centres(ds, layer - 1), _centres(ds, layer)
        for unit in np.flatnonzero(tree[layer]):
            for src in unit_inputs(unit, kernel, stride, pad, n_prev):
                ax.plot(
                    [below[src], here[unit]],
                    [layer - 1, layer],
                    color=REAL_COLOR,
                    linewidth=0.35 if layer == 1 else 0.7,
                    alpha=0.55,
                    zorder=2,
                )
    for layer in range(n_layers):
        centres = _centres(ds, layer)
        on = tree[layer, : centres.size]
        size = 2.5 if layer == 0 else min(9.0, 3.0 + layer * 1.2)
        ax.plot(
            centres[~on],
            np.full((~on).sum(), layer),
            linestyle="none",
            marker="o",
            markersize=size,
            color="#BBBBBB",
            zorder=3,
        )
        ax.plot(
            centres[on],
            np.full(on.sum(), layer),
            linestyle="none",
            marker="o",
            markersize=size,
            color=REAL_COLOR,
            zorder=4,
        )
    first, last = int(ds["rf_first"].values[highlight]), int(ds["rf_last"].values[highlight])
    ax.annotate(
        "",
        xy=(last + 0.5, -0.55),
        xytext=(first - 0.5, -0.55),
        arrowprops=dict(
            arrowstyle="|-|", color=REAL_COLOR, linewidth=1.4, mutation_scale=4, shrinkA=0, shrinkB=0
        ),
    )
    ax.text(
        (first + last) / 2,
        -0.75,
        f"receptive field of latent step {highlight}: {last - first + 1} hours ({first}–{last})",
        ha="center",
        va="top",
        fontsize=9,
        color=REAL_COLOR,
    )
    ax.text(
        (highlight + 0.5) * step_hours,
        n_layers - 0.55,
        f"latent step {highlight}: its own {step_hours} hours",
        ha="center",
        va="bottom",
        fontsize=9,
        color="#A06B00",
    )
    names = ["input x (hourly)"] + [f"Conv1D {i}" for i in range(1, n_layers - 1)]
    names.append(f"Conv1D {n_layers - 1} → z")
    ax.set_yticks(np.arange(n_layers), names)
    right = ax.secondary_yaxis("right")
    labels = ["1 value per hour"]
    for layer in range(1, n_layers):
        labels.append(
            f"k={int(ds['kernel'].values[layer])}, s={int(ds['stride'].values[layer])}:"
            f" 1 unit per {hours_text(int(ds['jump'].values[layer]))},"
            f" sees {int(ds['rf'].values[layer])} h"
        )
    right.set_yticks(np.arange(n_layers), labels, fontsize=8.5)
    right.tick_params(length=0)
    ax.set_ylim(-1.35, n_layers - 0.05)
    ax.set_xlim(-6, n_in + 5)
    ax.set_xticks(np.arange(0, n_in + 1, 24))
    ax.set_xlabel("input hour")
    ax.grid(False)
    product = "·".join(str(int(s)) for s in ds["stride"].values[1:])
    ax.set_title(
        f"(a) Strides {product} = {step_hours} hours per latent step: the units that "
        f"feed latent step {highlight}",
        loc="left",
    )


def plot_sensitivity(ax: Axes, ds: xr.Dataset) -> None:
    """Panel (b): |change of each latent step's posterior mean| when one hour is perturbed."""
    sens = ds["sensitivity"].values.T  # (step, hour)
    n_steps, n_in = sens.shape
    positive = sens[sens > 0]
    norm = LogNorm(vmin=max(positive.min(), positive.max() * 1e-4), vmax=positive.max())
    image = ax.imshow(
        np.ma.masked_less_equal(sens, 0),
        aspect="auto",
        cmap="viridis",
        norm=norm,
        interpolation="nearest",
        extent=(-0.5, n_in - 0.5, n_steps - 0.5, -0.5),
    )
    for step in range(n_steps):
        first, last = int(ds["rf_first"].values[step]), int(ds["rf_last"].values[step])
        ax.plot([first - 0.5, last + 0.5], [step + 0.42, step + 0.42], color="black", linewidth=1.2)
        ax.plot([first - 0.5] * 2, [step + 0.3, step + 0.45], color="black", linewidth=1.2)
        ax.plot([last + 0.5] * 2, [step + 0.3, step + 0.45], color="black", linewidth=1.2)
    for edge in np.arange(0, n_in + 1, int(ds.attrs["hours_per_step"])):
        ax.axvline(edge - 0.5, color="white", linestyle="--", linewidth=0.8)
    ax.set_yticks(np.arange(n_steps), [f"z step {i}" for i in range(n_steps)])
    ax.set_xlim(-6, n_in + 5)
    ax.set_xticks(np.arange(0, n_in + 1, 24))
    ax.set_xlabel(f"perturbed input hour (window from {ds.attrs['start'][:10]})")
    ax.grid(False)
    cbar = ax.figure.colorbar(image, ax=ax, pad=0.01, fraction=0.04)
    cbar.set_label("max |Δ posterior mean|\n(±1 std. unit, one hour)", fontsize=8.5)
    ax.set_title(
        "(b) Trained encoder: hours whose change moves each latent step\n"
        "(white: no change; brackets: receptive fields of the recursion)",
        loc="left",
    )


def plot_quarter_day(ax: Axes, ds: xr.Dataset) -> None:
    """Panel (c): a stride-4 layer on 6-hour units has one weight set per quarter of a day."""
    names = ("night\n0–6 h", "morning\n6–12 h", "afternoon\n12–18 h", "evening\n18–24 h")
    unit = (12, 3.0)
    for q, (name, color) in enumerate(zip(names, QUARTER_COLORS)):
        ax.add_patch(Rectangle((6 * q, 0), 6, 1, facecolor=color, edgecolor="white", linewidth=1.5))
        ax.text(6 * q + 3, 0.5, name, ha="center", va="center", fontsize=8)
        ax.add_patch(
            FancyArrowPatch(
                (6 * q + 3, 1.05),
                (unit[0], unit[1] - 0.25),
                arrowstyle="-|>",
                mutation_scale=9,
                linewidth=1.0,
                color=REFERENCE_COLOR,
            )
        )
        ax.text(
            0.55 * (6 * q + 3) + 0.45 * unit[0],
            1.95,
            f"w{q + 1}",
            ha="center",
            va="center",
            fontsize=9,
            fontweight="bold",
            bbox=dict(facecolor="white", edgecolor="none", pad=0.6),
        )
    ax.plot(*unit, marker="o", markersize=13, color=REAL_COLOR)
    ax.text(unit[0] + 1.8, unit[1], "one unit per day", ha="left", va="center", fontsize=9)
    ax.annotate("", xy=(26.5, 0.5), xytext=(24.3, 0.5), arrowprops=dict(arrowstyle="->", color="black"))
    ax.text(26.8, 0.5, "next day:\nsame w1…w4", ha="left", va="center", fontsize=8.5)
    jumps = ds["jump"].values
    six = int(np.flatnonzero(jumps == 6)[0]) if (jumps == 6).any() else None
    where = (
        f"\nHere units are 6 h apart after Conv1D {six}; two stride-2 layers then reach 1 day."
        if six is not None
        else ""
    )
    ax.text(
        -0.5,
        -0.35,
        "Units 6 h apart, kernel 4, stride 4: each weight always meets the\n"
        "same quarter of the day, so it can learn that part of the diurnal cycle." + where,
        ha="left",
        va="top",
        fontsize=8.5,
    )
    ax.set_xlim(-0.6, 34)
    ax.set_ylim(-2.2, 3.6)
    ax.axis("off")
    ax.set_title("(c) Strides as periods: one stride-4 layer", loc="left")


def strides_figure(ds: xr.Dataset, data_label: str) -> Figure:
    """Build the figure from :func:`seasonal_vae.figures.compute.strides.compute`'s dataset."""
    apply_style()
    fig = plt.figure(figsize=(14, 10.5), layout="constrained")
    grid = fig.add_gridspec(2, 2, height_ratios=[2.3, 1.0], width_ratios=[1.9, 1.0])
    plot_layer_stack(fig.add_subplot(grid[0, :]), ds)
    plot_sensitivity(fig.add_subplot(grid[1, 0]), ds)
    plot_quarter_day(fig.add_subplot(grid[1, 1]), ds)
    data_note(
        f"{data_label}\nModel: {short_path(ds.attrs['model'])}. One latent step strides over "
        f"{ds.attrs['hours_per_step']} hours but sees {ds.attrs['latent_rf_hours']} "
        "('same' padding puts the extra zero on the right, so the field reaches ahead).",
        fig,
    )
    return fig


def draw(ds: xr.Dataset, cfg: dict) -> Figure:
    """Figure ``strides`` from its numbers (the registry's drawing step)."""
    return strides_figure(ds, cfg["data"]["label"])
