"""Figure ``imputation``: gap filling on held-out years, the VAE ensemble vs two baselines.

Top: two example gaps (the shortest of a day or longer, and the longest) with the hidden
truth, the VAE ensemble's fan and two of its members, and the linear and climatological
fills. Bottom: MAE and CRPS of the fills by gap length. Drawn only from what the ``impute``
step wrote (:mod:`seasonal_vae.figures.compute.imputation`); nothing is recomputed here.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from seasonal_vae.applications.results import gap_label  # as the score table (no TensorFlow)
from seasonal_vae.figures.draw.methods import METHOD_STYLE, date_axis
from seasonal_vae.figures.draw.style import GENERATED_COLOR, REAL_COLOR, REFERENCE_COLOR, data_note


def plot_fill_example(ax: Axes, ds: xr.Dataset, gap: int, pad_hours: int = 72) -> None:
    """One gap of the example window: truth, the VAE ensemble fan and the two baseline fills."""
    d = ds.sel(gap=gap)
    observed = d["example_observed"].values.astype(bool)
    hole = np.flatnonzero(~observed)
    lo, hi = max(0, hole[0] - pad_hours), min(observed.size, hole[-1] + 1 + pad_hours)
    sl = slice(lo, hi)
    t = pd.DatetimeIndex(ds["example_time"].values[sl])
    gap_t = pd.DatetimeIndex(ds["example_time"].values[hole])
    ax.axvspan(
        gap_t[0] - pd.Timedelta(minutes=30),
        gap_t[-1] + pd.Timedelta(minutes=30),
        color=REFERENCE_COLOR,
        alpha=0.08,
        lw=0,
    )
    q = d["example_quantile"]
    inside = np.zeros(observed.size, dtype=bool)
    inside[max(0, hole[0] - 1) : hole[-1] + 2] = True  # join the fan to the observed neighbours
    qs = {float(v): np.where(inside, q.sel(quantile=v).values, np.nan)[sl] for v in q["quantile"].values}
    ax.fill_between(t, qs[0.05], qs[0.95], color=GENERATED_COLOR, alpha=0.18, lw=0, label="VAE 5–95 %")
    ax.fill_between(t, qs[0.25], qs[0.75], color=GENERATED_COLOR, alpha=0.35, lw=0, label="VAE 25–75 %")
    for i in range(min(2, d.sizes["member"])):
        member = np.where(inside, d["example_member"].isel(member=i).values, np.nan)[sl]
        ax.plot(
            t, member, color=GENERATED_COLOR, lw=0.7, alpha=0.9, label="two VAE members" if i == 0 else None
        )
    truth = d["example_truth"].values[sl]
    ax.plot(t, truth, color=REAL_COLOR, lw=1.4, zorder=4, label="observed (hidden in the gap)")
    for method in ("linear", "climatology"):
        fill = np.where(~observed, d["example_fill"].sel({"method": method}).values, np.nan)[sl]
        ax.plot(
            t,
            fill,
            color=METHOD_STYLE[method]["color"],
            lw=1.3,
            ls="--",
            zorder=5,
            label=METHOD_STYLE[method]["label"],
        )
    date_axis(ax)
    ax.set(
        ylabel="Temperature (°F)",
        title=f"A {gap_label(int(gap))} gap ({gap_t[0]:%d %b %Y %H:%M}): fills vs truth",
    )


def plot_gap_scores(ax: Axes, ds: xr.Dataset, score: str) -> None:
    """Grouped bars of a score (``mae``, ``rmse`` or ``crps``) by gap length and method."""
    gaps = ds["gap"].values
    methods = [str(m) for m in ds["method"].values]
    width = 0.8 / len(methods)
    x = np.arange(len(gaps))
    for j, m in enumerate(methods):
        sel = ds.sel({"method": m})
        values = (np.sqrt(sel["mse"].mean("case")) if score == "rmse" else sel[score].mean("case")).values
        bars = ax.bar(
            x + (j - (len(methods) - 1) / 2) * width,
            values,
            width,
            color=METHOD_STYLE[m]["color"],
            label=METHOD_STYLE[m]["label"],
        )
        ax.bar_label(bars, fmt="%.1f", fontsize=8, padding=1)
    ax.set_xticks(x, [gap_label(int(g)) for g in gaps])
    names = {"mae": "MAE", "rmse": "RMSE", "crps": "CRPS"}
    ax.set(
        xlabel="Gap length",
        ylabel=f"{names[score]} (°F)",
        title=f"{names[score]} of the fill, {ds.sizes['case']} gaps per length",
    )
    ax.grid(axis="x", visible=False)
    ax.margins(y=0.12)


def imputation_figure(ds: xr.Dataset, data_label: str = "") -> Figure:
    """Two example fills (the shortest day-or-longer gap and the longest) and score bars."""
    fig = plt.figure(figsize=(14, 8.5), layout="constrained")
    grid = fig.add_gridspec(2, 2, height_ratios=[1.15, 1])
    gaps = [int(g) for g in ds["gap"].values]
    shown = [next((g for g in gaps if g >= 24), gaps[0]), gaps[-1]]
    for i, gap in enumerate(shown):
        ax = fig.add_subplot(grid[0, i])
        plot_fill_example(ax, ds, gap)
        if i == 0:
            ax.legend(loc="upper left", bbox_to_anchor=(0, -0.13), ncol=4, fontsize=9)
    plot_gap_scores(fig.add_subplot(grid[1, 0]), ds, "mae")
    ax = fig.add_subplot(grid[1, 1])
    plot_gap_scores(ax, ds, "crps")
    ax.legend(loc="upper left")
    cov = ds["coverage90"].mean("case").values
    fig.suptitle(
        "Gap filling on held-out years: VAE ensemble vs linear interpolation and "
        "climatology + diurnal profile",
        fontweight="bold",
    )
    note = (
        "CRPS of a deterministic fill = its MAE. VAE 90 % range covers "
        + ", ".join(f"{100 * c:.0f} %" for c in cov)
        + " of true values ("
        + ", ".join(gap_label(g) for g in gaps)
        + ")."
    )
    data_note(f"{note}\n{data_label}" if data_label else note, fig)
    return fig


def draw(ds: xr.Dataset, cfg: dict) -> Figure:
    """Figure ``imputation`` from its numbers (the registry's drawing step)."""
    return imputation_figure(ds, cfg["data"]["label"])
