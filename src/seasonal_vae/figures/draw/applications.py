"""Figures of the three applications: gap filling, anomaly detection, forecasting.

Each figure is drawn only from the results file its application wrote (``impute``,
``anomaly``, ``forecast`` commands); nothing is recomputed here. Real (observed) values are
blue, the VAE vermillion, baselines grey and green (Okabe–Ito).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from seasonal_vae.core.errors import InputError
from seasonal_vae.figures.draw.style import (
    GENERATED_COLOR,
    REAL_COLOR,
    REFERENCE_COLOR,
    apply_style,
    data_note,
    save_figure,
)
from seasonal_vae.evaluation.scores import roc_curve

GREEN = "#009E73"  # Okabe–Ito bluish green
PURPLE = "#CC79A7"  # Okabe–Ito reddish purple
METHOD_STYLE = {
    "vae": {"color": GENERATED_COLOR, "label": "VAE ensemble"},
    "linear": {"color": GREEN, "label": "linear interpolation"},
    "climatology": {"color": REFERENCE_COLOR, "label": "climatology"},
    "persistence": {"color": GREEN, "label": "persistence"},
}


def _open(path: str | Path, needed: tuple[str, ...], command: str) -> xr.Dataset:
    path = Path(path)
    fix = f"compute it first (python -m seasonal_vae {command} ...)"
    if not path.is_file():
        raise InputError(path, "results file not found", fix)
    try:
        with xr.open_dataset(path) as f:
            ds = f.load()
    except Exception as err:
        raise InputError(path, f"cannot be read as netCDF ({type(err).__name__}: {err})",
                         fix) from err
    missing = [v for v in needed if v not in ds.variables]
    if missing:
        raise InputError(path, f"not a results file of `{command}`: it lacks {missing}", fix)
    return ds


def _date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))


def _gap_label(hours: int) -> str:
    return f"{hours // 24} days" if hours % 24 == 0 and hours >= 48 else f"{hours} h"


# --- imputation ------------------------------------------------------------------------------

def plot_fill_example(ax: Axes, ds: xr.Dataset, gap: int, pad_hours: int = 72) -> None:
    """One gap of the example window: truth, the VAE ensemble fan and the two baseline fills."""
    d = ds.sel(gap=gap)
    observed = d["example_observed"].values.astype(bool)
    hole = np.flatnonzero(~observed)
    lo, hi = max(0, hole[0] - pad_hours), min(observed.size, hole[-1] + 1 + pad_hours)
    sl = slice(lo, hi)
    t = pd.DatetimeIndex(ds["example_time"].values[sl])
    gap_t = pd.DatetimeIndex(ds["example_time"].values[hole])
    ax.axvspan(gap_t[0] - pd.Timedelta(minutes=30), gap_t[-1] + pd.Timedelta(minutes=30),
               color=REFERENCE_COLOR, alpha=0.08, lw=0)
    q = d["example_quantile"]
    inside = np.zeros(observed.size, dtype=bool)
    inside[max(0, hole[0] - 1):hole[-1] + 2] = True  # join the fan to the observed neighbours
    qs = {float(v): np.where(inside, q.sel(quantile=v).values, np.nan)[sl] for v in q["quantile"].values}
    ax.fill_between(t, qs[0.05], qs[0.95], color=GENERATED_COLOR, alpha=0.18, lw=0,
                    label="VAE 5–95 %")
    ax.fill_between(t, qs[0.25], qs[0.75], color=GENERATED_COLOR, alpha=0.35, lw=0,
                    label="VAE 25–75 %")
    for i in range(min(2, d.sizes["member"])):
        member = np.where(inside, d["example_member"].isel(member=i).values, np.nan)[sl]
        ax.plot(t, member, color=GENERATED_COLOR, lw=0.7, alpha=0.9,
                label="two VAE members" if i == 0 else None)
    truth = d["example_truth"].values[sl]
    ax.plot(t, truth, color=REAL_COLOR, lw=1.4, zorder=4,
            label="observed (hidden in the gap)")
    for method in ("linear", "climatology"):
        fill = np.where(~observed, d["example_fill"].sel({"method": method}).values, np.nan)[sl]
        ax.plot(t, fill, color=METHOD_STYLE[method]["color"], lw=1.3, ls="--", zorder=5,
                label=METHOD_STYLE[method]["label"])
    _date_axis(ax)
    ax.set(ylabel="Temperature (°F)",
           title=f"A {_gap_label(int(gap))} gap ({gap_t[0]:%d %b %Y %H:%M}): fills vs truth")


def plot_gap_scores(ax: Axes, ds: xr.Dataset, score: str) -> None:
    """Grouped bars of a score (``mae``, ``rmse`` or ``crps``) by gap length and method."""
    gaps = ds["gap"].values
    methods = [str(m) for m in ds["method"].values]
    width = 0.8 / len(methods)
    x = np.arange(len(gaps))
    for j, m in enumerate(methods):
        sel = ds.sel({"method": m})
        values = (np.sqrt(sel["mse"].mean("case")) if score == "rmse"
                  else sel[score].mean("case")).values
        bars = ax.bar(x + (j - (len(methods) - 1) / 2) * width, values, width,
                      color=METHOD_STYLE[m]["color"], label=METHOD_STYLE[m]["label"])
        ax.bar_label(bars, fmt="%.1f", fontsize=8, padding=1)
    ax.set_xticks(x, [_gap_label(int(g)) for g in gaps])
    names = {"mae": "MAE", "rmse": "RMSE", "crps": "CRPS"}
    ax.set(xlabel="Gap length", ylabel=f"{names[score]} (°F)",
           title=f"{names[score]} of the fill, {ds.sizes['case']} gaps per length")
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
    fig.suptitle("Gap filling on held-out years: VAE ensemble vs linear interpolation and "
                 "climatology + diurnal profile", fontweight="bold")
    note = ("CRPS of a deterministic fill = its MAE. VAE 90 % range covers "
            + ", ".join(f"{100 * c:.0f} %" for c in cov) + " of true values ("
            + ", ".join(_gap_label(g) for g in gaps) + ").")
    data_note(f"{note}\n{data_label}" if data_label else note, fig)
    return fig


def plot_imputation(results: str | Path, out_png: str | Path, data_label: str = "") -> tuple[Path, Path]:
    """Read the ``impute`` results (netCDF) and write ``out_png`` and its SVG."""
    apply_style()
    ds = _open(results, ("mae", "crps", "example_quantile"), "impute")
    return save_figure(imputation_figure(ds, data_label), out_png)


# --- anomaly ---------------------------------------------------------------------------------

def plot_score_timeline(ax: Axes, ds: xr.Dataset) -> None:
    """Seasonally standardised block score over the record, the top blocks marked."""
    t = pd.DatetimeIndex(ds["block_start"].values)
    score = ds["neg_elbo_season"].values
    held = ds["split"].values == 2
    ax.scatter(t[~held], score[~held], s=3, color=REFERENCE_COLOR, alpha=0.5, lw=0,
               label="training years")
    ax.scatter(t[held], score[held], s=3, color=REAL_COLOR, alpha=0.8, lw=0,
               label="held-out years")
    top = ds["top_block"].values
    ax.scatter(t[top], score[top], s=40, facecolor="none", edgecolor=GENERATED_COLOR, lw=1.5,
               label=f"top {len(top)}")
    for rank, b in enumerate(top, start=1):
        ax.annotate(str(rank), (t[b], score[b]), textcoords="offset points", xytext=(0, 6),
                    ha="center", fontsize=8, color=GENERATED_COLOR)
    ax.set(ylabel="−ELBO per hour\n(std. units vs month)",
           title="Anomaly score of every 4-day block, standardised by calendar month "
                 "(top blocks ranked)")
    ax.margins(y=0.1)
    ax.legend(loc="lower left", ncol=3, markerscale=3)
    ax.margins(x=0.01)


def plot_top_block(ax: Axes, ds: xr.Dataset, rank: int = 1, pad_hours: int = 96) -> None:
    """The observed series and the VAE reconstruction around the top-ranked block."""
    b = int(ds["top_block"].values[rank - 1])
    start = pd.Timestamp(ds["block_start"].values[b])
    window = slice(start - pd.Timedelta(hours=pad_hours),
                   start + pd.Timedelta(hours=95 + pad_hours))
    d = ds[["observed", "reconstruction"]].sel(time=window)
    t = pd.DatetimeIndex(d["time"].values)
    ax.axvspan(start, start + pd.Timedelta(hours=96), color=GENERATED_COLOR, alpha=0.08, lw=0)
    ax.plot(t, d["observed"], color=REAL_COLOR, lw=1.1, label="observed")
    ax.plot(t, d["reconstruction"], color=GENERATED_COLOR, lw=1.1, label="VAE reconstruction")
    _date_axis(ax)
    _headroom(ax)
    ax.legend(loc="upper center", fontsize=8, ncol=2)
    ax.set(ylabel="Temperature (°F)", title=f"Rank 1: {start:%d %b %Y} (+3 days, shaded)")


def _headroom(ax: Axes, share: float = 0.3) -> None:
    """Extend the y-axis upwards by ``share`` of its range (room for a legend)."""
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi + share * (hi - lo))


def plot_fault_example(ax: Axes, ds: xr.Dataset, fault: str) -> None:
    """One held-out block with an injected fault, the clean values and the reconstruction."""
    t = pd.DatetimeIndex(ds["fault_example_time"].values)
    lo, hi = 96, 384  # the scored block with one block either side
    sl = slice(lo, hi)
    affected = ds["example_affected"].sel(fault=fault).values.astype(bool)
    ax.axvspan(t[192], t[287], color=REFERENCE_COLOR, alpha=0.08, lw=0)
    ax.plot(t[sl], ds["example_value"].sel(version="clean").values[sl], color=REAL_COLOR,
            lw=0.9, alpha=0.5, label="clean")
    faulty = ds["example_value"].sel(version=fault).values
    ax.plot(t[sl], faulty[sl], color=REAL_COLOR, lw=1.1, label="with fault")
    ax.plot(t[sl], ds["example_reconstruction"].sel(version=fault).values[sl],
            color=GENERATED_COLOR, lw=1.0, label="VAE reconstruction")
    ax.plot(t, np.where(affected, faulty, np.nan), color="black", lw=1.6, zorder=3,
            label="faulty hours")
    isolated = affected & ~np.roll(affected, 1) & ~np.roll(affected, -1)
    ax.scatter(t[isolated], faulty[isolated], s=10, color="black", zorder=3)
    _date_axis(ax)
    _headroom(ax)
    ax.set(ylabel="Temperature (°F)", title=ds["fault_label"].sel(fault=fault).item()
           if "fault_label" in ds else fault)


def plot_roc(ax: Axes, ds: xr.Dataset, fault: str) -> None:
    """ROC curves of one fault type for the VAE and the climatological z-score detectors."""
    styles = {"vae_elbo": (GENERATED_COLOR, "-"), "vae_max": (GENERATED_COLOR, ":"),
              "z_mean": (REFERENCE_COLOR, "-"), "z_max": (REFERENCE_COLOR, ":")}
    names = {"vae_elbo": "VAE −ELBO", "vae_max": "VAE max hour", "z_mean": "z mean",
             "z_max": "z max"}
    for det, (color, ls) in styles.items():
        fpr, tpr = roc_curve(ds["faulty"].sel(fault=fault, detector=det).values,
                             ds["clean"].sel(detector=det).values)
        auc = float(ds["auc"].sel(fault=fault, detector=det))
        ax.plot(fpr, tpr, color=color, ls=ls, lw=1.5, label=f"{names[det]} {auc:.2f}")
    ax.plot([0, 1], [0, 1], color=REFERENCE_COLOR, lw=0.6, alpha=0.5)
    ax.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.02), xlabel="False-positive rate",
           ylabel="True-positive rate", title="ROC curves (AUC in legend)")
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
    fig.suptitle("Anomaly detection: VAE scores over the record, and injected faults in "
                 "held-out blocks vs a climatological z-score", fontweight="bold")
    note = (f"Faults injected into {ds.sizes['case']} held-out 4-day blocks (shaded) and "
            "compared with the same blocks clean.")
    data_note(f"{note}\n{data_label}" if data_label else note, fig)
    return fig


def plot_anomaly(results: str | Path, out_png: str | Path, data_label: str = "") -> tuple[Path, Path]:
    """Read the ``anomaly`` results (netCDF) and write ``out_png`` and its SVG."""
    apply_style()
    ds = _open(results, ("neg_elbo_season", "auc", "faulty", "clean"), "anomaly")
    return save_figure(anomaly_figure(ds, data_label), out_png)


# --- forecast --------------------------------------------------------------------------------

def plot_forecast_example(ax: Axes, ds: xr.Dataset) -> None:
    """The first case: last context days, truth, VAE and climatology fans, persistence."""
    t_all = pd.DatetimeIndex(ds["example_time"].values)
    hours = ds["example_hour"].values
    future = hours >= 0
    t = t_all[future]
    observed = ds["example_observed"].values
    for name, color, alpha in (("example_climatology_quantile", REFERENCE_COLOR, 0.18),
                               ("example_vae_quantile", GENERATED_COLOR, 0.25)):
        q = ds[name]
        label = "climatology 5–95 %" if "climatology" in name else "VAE 5–95 %"
        ax.fill_between(t, q.sel(quantile=0.05), q.sel(quantile=0.95), color=color,
                        alpha=alpha, lw=0, label=label)
    ax.plot(t, ds["example_vae_quantile"].sel(quantile=0.5), color=GENERATED_COLOR, lw=1.3,
            label="VAE median")
    ax.plot(t, ds["example_persistence"], color=GREEN, lw=1.1, ls="--", label="persistence")
    ax.plot(t_all, observed, color=REAL_COLOR, lw=1.4, zorder=4,
            label="observed (unseen after the issue time)")
    ax.axvline(t[0], color="black", lw=0.8)
    _date_axis(ax)
    _headroom(ax, 0.25)
    ax.legend(loc="upper left", ncol=3, fontsize=9)
    ax.set(ylabel="Temperature (°F)",
           title=f"Forecast issued {t[0]:%d %b %Y %H:%M} after {ds.attrs.get('context_days', '?')} "
                 "observed days (last 4 shown)")


def plot_lead_scores(ax: Axes, ds: xr.Dataset, score: str) -> None:
    """CRPS or MAE (``crps`` / ``abs_error``) per lead day for each method."""
    day = xr.DataArray((ds["lead"].values - 1) // 24 + 1, dims="lead", name="lead_day")
    daily = ds[score].groupby(day).mean(dim=("lead", "case"))
    for m in daily["method"].values:
        style = METHOD_STYLE[str(m)]
        ax.plot(daily["lead_day"], daily.sel({"method": m}), marker="o", color=style["color"],
                label=style["label"])
    name = "CRPS" if score == "crps" else "MAE"
    ax.set(xlabel="Lead day", ylabel=f"{name} (°F)", ylim=(0, None),
           title=f"{name} by lead day, {ds.sizes['case']} held-out dates")
    ax.set_xticks(daily["lead_day"].values)
    ax.legend(loc="lower right")


def forecast_figure(ds: xr.Dataset, data_label: str = "") -> Figure:
    """Example forecast on top; CRPS and MAE by lead day below."""
    fig = plt.figure(figsize=(14, 8.5), layout="constrained")
    grid = fig.add_gridspec(2, 2, height_ratios=[1.1, 1])
    plot_forecast_example(fig.add_subplot(grid[0, :]), ds)
    plot_lead_scores(fig.add_subplot(grid[1, 0]), ds, "crps")
    plot_lead_scores(fig.add_subplot(grid[1, 1]), ds, "abs_error")
    fig.suptitle("Forecasting 1–7 days from held-out dates: VAE ensemble vs climatology and "
                 "persistence", fontweight="bold")
    note = ("MAE of the ensemble mean (persistence: of the repeated last day); persistence CRPS "
            "from its ensemble of training-year errors.")
    data_note(f"{note}\n{data_label}" if data_label else note, fig)
    return fig


def plot_forecast(results: str | Path, out_png: str | Path, data_label: str = "") -> tuple[Path, Path]:
    """Read the ``forecast`` results (netCDF) and write ``out_png`` and its SVG."""
    apply_style()
    ds = _open(results, ("crps", "abs_error", "example_vae_quantile"), "forecast")
    return save_figure(forecast_figure(ds, data_label), out_png)
