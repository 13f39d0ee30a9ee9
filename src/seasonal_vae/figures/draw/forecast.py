"""Figure ``forecast``: forecasts 1–7 days ahead from held-out dates, VAE vs two baselines.

Top: one forecast, the last observed days, the truth after the issue time, and the VAE and
climatology 5–95 % fans with persistence. Bottom: CRPS and MAE by lead day. Drawn only from
what the ``forecast`` step wrote (:mod:`seasonal_vae.figures.compute.forecast`); nothing is
recomputed here.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from seasonal_vae.figures.draw.methods import GREEN, METHOD_STYLE, date_axis, headroom
from seasonal_vae.figures.draw.style import GENERATED_COLOR, REAL_COLOR, REFERENCE_COLOR, data_note


def plot_forecast_example(ax: Axes, ds: xr.Dataset) -> None:
    """The first case: last context days, truth, VAE and climatology fans, persistence."""
    t_all = pd.DatetimeIndex(ds["example_time"].values)
    hours = ds["example_hour"].values
    future = hours >= 0
    t = t_all[future]
    observed = ds["example_observed"].values
    for name, color, alpha in (
        ("example_climatology_quantile", REFERENCE_COLOR, 0.18),
        ("example_vae_quantile", GENERATED_COLOR, 0.25),
    ):
        q = ds[name]
        label = "climatology 5–95 %" if "climatology" in name else "VAE 5–95 %"
        ax.fill_between(
            t, q.sel(quantile=0.05), q.sel(quantile=0.95), color=color, alpha=alpha, lw=0, label=label
        )
    ax.plot(
        t, ds["example_vae_quantile"].sel(quantile=0.5), color=GENERATED_COLOR, lw=1.3, label="VAE median"
    )
    ax.plot(t, ds["example_persistence"], color=GREEN, lw=1.1, ls="--", label="persistence")
    ax.plot(
        t_all, observed, color=REAL_COLOR, lw=1.4, zorder=4, label="observed (unseen after the issue time)"
    )
    ax.axvline(t[0], color="black", lw=0.8)
    date_axis(ax)
    headroom(ax, 0.25)
    ax.legend(loc="upper left", ncol=3, fontsize=9)
    ax.set(
        ylabel="Temperature (°F)",
        title=f"Forecast issued {t[0]:%d %b %Y %H:%M} after {ds.attrs.get('context_days', '?')} "
        "observed days (last 4 shown)",
    )


def plot_lead_scores(ax: Axes, ds: xr.Dataset, score: str) -> None:
    """CRPS or MAE (``crps`` / ``abs_error``) per lead day for each method."""
    day = xr.DataArray((ds["lead"].values - 1) // 24 + 1, dims="lead", name="lead_day")
    daily = ds[score].groupby(day).mean(dim=("lead", "case"))
    for m in daily["method"].values:
        style = METHOD_STYLE[str(m)]
        ax.plot(
            daily["lead_day"],
            daily.sel({"method": m}),
            marker="o",
            color=style["color"],
            label=style["label"],
        )
    name = "CRPS" if score == "crps" else "MAE"
    ax.set(
        xlabel="Lead day",
        ylabel=f"{name} (°F)",
        ylim=(0, None),
        title=f"{name} by lead day, {ds.sizes['case']} held-out dates",
    )
    ax.set_xticks(daily["lead_day"].values)
    ax.legend(loc="lower right")


def forecast_figure(ds: xr.Dataset, data_label: str = "") -> Figure:
    """Example forecast on top; CRPS and MAE by lead day below."""
    fig = plt.figure(figsize=(14, 8.5), layout="constrained")
    grid = fig.add_gridspec(2, 2, height_ratios=[1.1, 1])
    plot_forecast_example(fig.add_subplot(grid[0, :]), ds)
    plot_lead_scores(fig.add_subplot(grid[1, 0]), ds, "crps")
    plot_lead_scores(fig.add_subplot(grid[1, 1]), ds, "abs_error")
    fig.suptitle(
        "Forecasting 1–7 days from held-out dates: VAE ensemble vs climatology and persistence",
        fontweight="bold",
    )
    note = (
        "MAE of the ensemble mean (persistence: of the repeated last day); persistence CRPS "
        "from its ensemble of training-year errors."
    )
    data_note(f"{note}\n{data_label}" if data_label else note, fig)
    return fig


def draw(ds: xr.Dataset, cfg: dict) -> Figure:
    """Figure ``forecast`` from its numbers (the registry's drawing step)."""
    return forecast_figure(ds, cfg["data"]["label"])
