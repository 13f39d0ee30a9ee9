"""Figure ``prior``: the learned seasonal prior p(z | θ) against the encoder's posteriors.

One panel per latent feature: the prior mean ``m(θ)`` with bands of ±1 and ±2 prior
standard deviations ``exp(s(θ)/2)`` (``s`` is the log-variance), over θ from 0 (1 January)
to 2π, with the posterior means of every latent step of every training and validation window
as dots and their mean per θ bin as a line. A last panel shows the prior standard deviation
of all features. For the ``standard`` N(0, I) ablation the prior is flat: m = 0, std = 1.

The numbers come from :func:`seasonal_vae.figures.compute.prior.compute`.
"""

from __future__ import annotations

import calendar
import math

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from seasonal_vae.figures.draw.style import (
    GENERATED_COLOR,
    REAL_COLOR,
    apply_style,
    data_note,
    short_path,
)

BINNED_COLOR = "#003A5C"  # a darker shade of the real-data blue


def month_ticks(ax: Axes, short: bool = True) -> None:
    """θ ticks at the 1st of each month, labelled with the month's initial (or abbreviation)."""
    starts = np.cumsum([0] + [calendar.monthrange(2023, m)[1] for m in range(1, 12)])
    theta_starts = 2 * np.pi * starts / 365.0
    ax.set_xticks(theta_starts, minor=False)
    ax.set_xticklabels(
        [calendar.month_abbr[m][: 1 if short else 3] for m in range(1, 13)],
        ha="left",
        fontsize=8 if short else 9,
    )
    ax.set_xlim(0, 2 * np.pi)


def plot_feature(ax: Axes, ds: xr.Dataset, feature: int, show_points: bool = True) -> None:
    """One latent feature: prior mean and bands over θ, posterior means as dots."""
    theta = ds["theta"].values
    m = ds["m"].sel(feature=feature).values
    std = ds["prior_std"].sel(feature=feature).values
    ax.fill_between(theta, m - 2 * std, m + 2 * std, color=GENERATED_COLOR, alpha=0.12, linewidth=0)
    ax.fill_between(theta, m - std, m + std, color=GENERATED_COLOR, alpha=0.22, linewidth=0)
    if show_points:
        ax.scatter(
            ds["point_theta"].values,
            ds["z_mean"].sel(feature=feature).values,
            s=1.5,
            color=REAL_COLOR,
            alpha=0.25,
            linewidths=0,
            rasterized=True,
        )
        ax.plot(
            ds["theta_bin"].values,
            ds["binned_mean"].sel(feature=feature).values,
            color=BINNED_COLOR,
            linewidth=1.3,
            marker="o",
            markersize=2.5,
        )
    ax.plot(theta, m, color=GENERATED_COLOR, linewidth=2.0)
    ax.set_title(f"feature {feature}", fontsize=10, pad=3)
    month_ticks(ax)


def plot_prior_std(ax: Axes, ds: xr.Dataset) -> None:
    """The prior standard deviation exp(s(θ)/2) of every feature over θ."""
    theta = ds["theta"].values
    cmap = plt.get_cmap("tab10")
    for f in ds["feature"].values:
        ax.plot(
            theta,
            ds["prior_std"].sel(feature=f).values,
            color=cmap(int(f) % 10),
            linewidth=1.3,
            label=str(int(f)),
        )
    ax.axhline(1.0, color="black", linewidth=0.8, linestyle=":")
    ax.set_ylabel("prior std exp(s(θ)/2)")
    ax.set_title("prior standard deviation of each feature (s = log-variance)", fontsize=10, pad=3)
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + 0.3 * (high - low))  # room for the legend above the curves
    ax.legend(
        title="feature",
        ncols=min(10, ds.sizes["feature"]),
        fontsize=8,
        title_fontsize=8,
        loc="upper center",
        handlelength=1.2,
        columnspacing=0.9,
    )
    month_ticks(ax, short=False)


def prior_figure(ds: xr.Dataset, data_label: str) -> Figure:
    """Build the figure from :func:`seasonal_vae.figures.compute.prior.compute`'s dataset."""
    apply_style()
    n_features = ds.sizes["feature"]
    n_cols = min(5, n_features)
    n_rows = math.ceil(n_features / n_cols) + 1
    fig = plt.figure(figsize=(3.0 * n_cols, 2.7 * n_rows + 1.0), layout="constrained")
    grid = fig.add_gridspec(n_rows, n_cols)
    axes = []
    for f in range(n_features):
        ax = fig.add_subplot(grid[f // n_cols, f % n_cols])
        plot_feature(ax, ds, f)
        axes.append(ax)
    # One y-range per row of panels, so that features compare within a row.
    for r in range(0, n_features, n_cols):
        row = axes[r : r + n_cols]
        low = min(a.get_ylim()[0] for a in row)
        high = max(a.get_ylim()[1] for a in row)
        for a in row:
            a.set_ylim(low, high)
        row[0].set_ylabel("z (standard units)")
    ax_std = fig.add_subplot(grid[-1, : max(2, n_cols - 2)])
    plot_prior_std(ax_std, ds)
    ax_std.set_xlabel("θ = 2π · fraction of the year (ticks: 1st of each month)")
    ax_key = fig.add_subplot(grid[-1, max(2, n_cols - 2) :])
    ax_key.axis("off")
    flat = ds.attrs.get("prior_kind") == "standard"
    handles = [
        Line2D([], [], color=GENERATED_COLOR, linewidth=2, label="prior mean m(θ)"),
        Patch(color=GENERATED_COLOR, alpha=0.35, label="± 1 prior std exp(s(θ)/2)"),
        Patch(color=GENERATED_COLOR, alpha=0.14, label="± 2 prior std"),
        Line2D(
            [],
            [],
            color=REAL_COLOR,
            marker="o",
            linestyle="none",
            markersize=4,
            alpha=0.6,
            label=f"posterior mean of one latent step ({ds.sizes['point']:,} = "
            f"{ds.attrs['n_windows']} windows × {ds.attrs['steps_per_window']})",
        ),
        Line2D(
            [],
            [],
            color=BINNED_COLOR,
            marker="o",
            markersize=3,
            label=f"mean of the posterior means per 1/{ds.sizes['theta_bin']} year",
        ),
    ]
    ax_key.legend(
        handles=handles,
        loc="center left",
        fontsize=9,
        frameon=False,
        title="s(θ) is the prior's log-variance; bands show std = exp(s/2)"
        + ("\n(N(0, I) prior of the ablation: flat)" if flat else ""),
        title_fontproperties={"size": 9, "weight": "bold"},
        alignment="left",
    )
    kind = "standard N(0, I)" if flat else "seasonal"
    fig.suptitle(
        f"The learned {kind} prior p(z | θ) of each latent feature, and where the encoder puts real data",
        fontsize=13,
        fontweight="bold",
    )
    data_note(
        f"{data_label}\nModel: {short_path(ds.attrs['model'])}. Posterior means of all "
        f"{ds.attrs['n_train_windows']} training and {ds.attrs['n_val_windows']} "
        f"validation windows, each latent step at the θ of its {ds.attrs['theta_anchor']}.",
        fig,
    )
    return fig


def draw(ds: xr.Dataset, cfg: dict) -> Figure:
    """Figure ``prior`` from its numbers (the registry's drawing step)."""
    return prior_figure(ds, cfg["data"]["label"])
