"""Figure ``anomaly``: VAE anomaly scores over the record, and injected faults.

Top: the seasonally standardised score of every 4-day block over the record, the top blocks
ranked, and the top block with its reconstruction. Below, for each fault type: an example
held-out block with the fault injected, and the ROC curves of the VAE and climatological
z-score detectors. Drawn only from what the ``anomaly`` step wrote
(:mod:`seasonal_vae.figures.compute.anomaly`); nothing is recomputed here.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from seasonal_vae.evaluation.scores import roc_curve
from seasonal_vae.figures.draw.methods import date_axis, headroom
from seasonal_vae.figures.draw.style import GENERATED_COLOR, REAL_COLOR, REFERENCE_COLOR, data_note


def plot_score_timeline(ax: Axes, ds: xr.Dataset) -> None:
    """Seasonally standardised block score over the record, the top blocks marked."""
    t = pd.DatetimeIndex(ds["block_start"].values)
    score = ds["neg_elbo_season"].values
    held = ds["split"].values == 2
    ax.scatter(t[~held], score[~held], s=3, color=REFERENCE_COLOR, alpha=0.5, lw=0, label="training years")
    ax.scatter(t[held], score[held], s=3, color=REAL_COLOR, alpha=0.8, lw=0, label="held-out years")
    top = ds["top_block"].values
    ax.scatter(
        t[top], score[top], s=40, facecolor="none", edgecolor=GENERATED_COLOR, lw=1.5, label=f"top {len(top)}"
    )
    for rank, b in enumerate(top, start=1):
        ax.annotate(
            str(rank),
            (t[b], score[b]),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=8,
            color=GENERATED_COLOR,
        )
    ax.set(
        ylabel="−ELBO per hour\n(std. units vs month)",
        title="Anomaly score of every 4-day block, standardised by calendar month (top blocks ranked)",
    )
    ax.margins(y=0.1)
    ax.legend(loc="lower left", ncol=3, markerscale=3)
    ax.margins(x=0.01)


def plot_top_block(ax: Axes, ds: xr.Dataset, rank: int = 1, pad_hours: int = 96) -> None:
    """The observed series and the VAE reconstruction around the top-ranked block."""
    b = int(ds["top_block"].values[rank - 1])
    start = pd.Timestamp(ds["block_start"].values[b])
    window = slice(start - pd.Timedelta(hours=pad_hours), start + pd.Timedelta(hours=95 + pad_hours))
    d = ds[["observed", "reconstruction"]].sel(time=window)
    t = pd.DatetimeIndex(d["time"].values)
    ax.axvspan(start, start + pd.Timedelta(hours=96), color=GENERATED_COLOR, alpha=0.08, lw=0)
    ax.plot(t, d["observed"], color=REAL_COLOR, lw=1.1, label="observed")
    ax.plot(t, d["reconstruction"], color=GENERATED_COLOR, lw=1.1, label="VAE reconstruction")
    date_axis(ax)
    headroom(ax)
    ax.legend(loc="upper center", fontsize=8, ncol=2)
    ax.set(ylabel="Temperature (°F)", title=f"Rank 1: {start:%d %b %Y} (+3 days, shaded)")


def plot_fault_example(ax: Axes, ds: xr.Dataset, fault: str) -> None:
    """One held-out block with an injected fault, the clean values and the reconstruction."""
    t = pd.DatetimeIndex(ds["fault_example_time"].values)
    lo, hi = 96, 384  # the scored block with one block either side
    sl = slice(lo, hi)
    affected = ds["example_affected"].sel(fault=fault).values.astype(bool)
    ax.axvspan(t[192], t[287], color=REFERENCE_COLOR, alpha=0.08, lw=0)
    ax.plot(
        t[sl],
        ds["example_value"].sel(version="clean").values[sl],
        color=REAL_COLOR,
        lw=0.9,
        alpha=0.5,
        label="clean",
    )
    faulty = ds["example_value"].sel(version=fault).values
    ax.plot(t[sl], faulty[sl], color=REAL_COLOR, lw=1.1, label="with fault")
    ax.plot(
        t[sl],
        ds["example_reconstruction"].sel(version=fault).values[sl],
        color=GENERATED_COLOR,
        lw=1.0,
        label="VAE reconstruction",
    )
    ax.plot(t, np.where(affected, faulty, np.nan), color="black", lw=1.6, zorder=3, label="faulty hours")
    isolated = affected & ~np.roll(affected, 1) & ~np.roll(affected, -1)
    ax.scatter(t[isolated], faulty[isolated], s=10, color="black", zorder=3)
    date_axis(ax)
    headroom(ax)
    ax.set(
        ylabel="Temperature (°F)",
        title=ds["fault_label"].sel(fault=fault).item() if "fault_label" in ds else fault,
    )


def plot_roc(ax: Axes, ds: xr.Dataset, fault: str) -> None:
    """ROC curves of one fault type for the VAE and the climatological z-score detectors."""
    styles = {
        "vae_elbo": (GENERATED_COLOR, "-"),
        "vae_max": (GENERATED_COLOR, ":"),
        "z_mean": (REFERENCE_COLOR, "-"),
        "z_max": (REFERENCE_COLOR, ":"),
    }
    names = {"vae_elbo": "VAE −ELBO", "vae_max": "VAE max hour", "z_mean": "z mean", "z_max": "z max"}
    for det, (color, ls) in styles.items():
        fpr, tpr = roc_curve(
            ds["faulty"].sel(fault=fault, detector=det).values, ds["clean"].sel(detector=det).values
        )
        auc = float(ds["auc"].sel(fault=fault, detector=det))
        ax.plot(fpr, tpr, color=color, ls=ls, lw=1.5, label=f"{names[det]} {auc:.2f}")
    ax.plot([0, 1], [0, 1], color=REFERENCE_COLOR, lw=0.6, alpha=0.5)
    ax.set(
        xlim=(-0.02, 1.02),
        ylim=(-0.02, 1.02),
        xlabel="False-positive rate",
        ylabel="True-positive rate",
        title="ROC curves (AUC in legend)",
    )
    ax.set_aspect("equal", adjustable="box")
    ax.legend(loc="lower right", fontsize=8)


def anomaly_figure(ds: xr.Dataset, data_label: str = "") -> Figure:
    """Score timeline, the top block, and each fault type: an example and its ROC curves."""
    faults = [str(f) for f in ds["fault"].values]
    fig = plt.figure(figsize=(16, 12), layout="constrained")
    grid = fig.add_gridspec(3, len(faults), height_ratios=[1, 0.9, 1.1])
    plot_score_timeline(fig.add_subplot(grid[0, :-1]), ds)
    plot_top_block(fig.add_subplot(grid[0, -1]), ds)
    for i, fault in enumerate(faults):
        ax = fig.add_subplot(grid[1, i])
        plot_fault_example(ax, ds, fault)
        if i == 0:
            ax.legend(loc="upper center", fontsize=8, ncol=2)
        plot_roc(fig.add_subplot(grid[2, i]), ds, fault)
    fig.suptitle(
        "Anomaly detection: VAE scores over the record, and injected faults in "
        "held-out blocks vs a climatological z-score",
        fontweight="bold",
    )
    note = (
        f"Faults injected into {ds.sizes['case']} held-out 4-day blocks (shaded) and "
        "compared with the same blocks clean."
    )
    data_note(f"{note}\n{data_label}" if data_label else note, fig)
    return fig


def draw(ds: xr.Dataset, cfg: dict) -> Figure:
    """Figure ``anomaly`` from its numbers (the registry's drawing step)."""
    return anomaly_figure(ds, cfg["data"]["label"])
