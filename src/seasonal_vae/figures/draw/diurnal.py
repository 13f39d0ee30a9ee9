"""Figure ``diurnal``: the mean diurnal cycle, real vs generated, overall and per month.

Top: the mean profile over the whole year (one faint line per generated path), and month ×
hour heatmaps of generated − real for the mean and for the standard deviation of the hourly
values (diverging colour map centred at 0 °F). Bottom: the mean profile of each month, twelve
small panels on a shared temperature axis. Hours are local standard time. Drawn from
:func:`seasonal_vae.figures.compute.diurnal.diurnal_data`.
"""

from __future__ import annotations

import calendar

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from seasonal_vae.figures.draw.style import (
    GENERATED_COLOR,
    REAL_COLOR,
    apply_style,
    data_note,
    generated_footer,
)

_HOUR_TICKS = np.arange(0, 24, 6)


def _time_label(ds: xr.Dataset) -> str:
    offset = ds.attrs.get("utc_offset_hours")
    if offset is None:
        return "Hour of day (local standard time)"
    return f"Hour of day (local standard time, UTC{float(offset):+g})".replace("-", "−")


def plot_overall(ax: Axes, ds: xr.Dataset) -> None:
    """Mean temperature per hour of day over the whole year, real vs generated (and each path)."""
    hours = ds["hour"].values
    for i, path in enumerate(ds["path"].values):
        ax.plot(
            hours,
            ds["path_hour_mean"].sel(path=path),
            color=GENERATED_COLOR,
            linewidth=0.8,
            alpha=0.4,
            label="each generated path" if i == 0 else None,
        )
    ax.plot(hours, ds["real_hour_mean"], "o-", color=REAL_COLOR, markersize=3.5, label="real")
    ax.plot(
        hours,
        ds["generated_hour_mean"],
        "o-",
        color=GENERATED_COLOR,
        markersize=3.5,
        label="generated (all paths)",
    )
    ax.set_xticks(_HOUR_TICKS)
    ax.set_xlim(-0.5, 23.5)
    ax.set(xlabel=_time_label(ds), ylabel="Temperature (°F)", title="Mean diurnal profile, all months")
    ax.legend(loc="upper left", fontsize=9)
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + 0.35 * (high - low))


def plot_difference_map(ax: Axes, ds: xr.Dataset, statistic: str, limit: float | None = None):
    """Month × hour heatmap of generated − real ``statistic`` ("mean" or "std"), centred at 0.

    Returns the image (for a colour bar).
    """
    diff = ds[f"difference_{statistic}"].transpose("month", "hour").values
    if limit is None:
        limit = float(np.nanmax(np.abs(diff))) if np.isfinite(diff).any() else 1.0
    limit = max(limit, 0.1)
    image = ax.imshow(
        diff,
        cmap="RdBu_r",
        norm=TwoSlopeNorm(0.0, -limit, limit),
        aspect="auto",
        origin="upper",
        extent=(-0.5, 23.5, 12.5, 0.5),
        interpolation="nearest",
    )
    ax.set_yticks(np.arange(1, 13), [calendar.month_abbr[m] for m in range(1, 13)])
    ax.set_xticks(_HOUR_TICKS)
    ax.grid(False)
    name = "mean" if statistic == "mean" else "standard deviation"
    ax.set(xlabel=_time_label(ds), title=f"Generated − real: {name}")
    return image


def plot_month(ax: Axes, ds: xr.Dataset, month: int) -> None:
    """The mean diurnal profile of one calendar month, real vs generated (all paths)."""
    hours = ds["hour"].values
    ax.plot(hours, ds["real_mean"].sel(month=month), color=REAL_COLOR, linewidth=1.8)
    ax.plot(hours, ds["generated_mean"].sel(month=month), color=GENERATED_COLOR, linewidth=1.8)
    ax.set_title(calendar.month_name[month], fontsize=10)
    ax.set_xticks(_HOUR_TICKS)
    ax.set_xlim(0, 23)


def diurnal_figure(ds: xr.Dataset, footer: str) -> Figure:
    """The whole figure: overall profile and difference maps on top, twelve months below.

    Parameters
    ----------
    ds
        Output of :func:`seasonal_vae.figures.compute.diurnal.diurnal_data`.
    footer
        Where the data came from (figure footer).
    """
    apply_style()
    fig = plt.figure(figsize=(15, 10.5), layout="constrained")
    try:
        top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1.15])
        ax_all, ax_mean, ax_std = top.subplots(1, 3, width_ratios=[1.1, 1, 1])
        plot_overall(ax_all, ds)
        for ax, statistic in ((ax_mean, "mean"), (ax_std, "std")):
            image = plot_difference_map(ax, ds, statistic)
            top.colorbar(image, ax=ax, label=f"Generated − real {statistic} (°F)", shrink=0.9)
        months = bottom.subplots(2, 6, sharex=True, sharey=True)
        for month, ax in zip(range(1, 13), months.ravel()):
            plot_month(ax, ds, month)
        for ax in months[:, 0]:
            ax.set_ylabel("Temperature (°F)")
        bottom.supxlabel(_time_label(ds), fontsize=10)
        bottom.suptitle("Mean diurnal profile of each month", fontsize=11, fontweight="bold")
        bottom.legend(
            handles=[
                Line2D([], [], color=REAL_COLOR, label="real"),
                Line2D([], [], color=GENERATED_COLOR, label="generated (all paths)"),
            ],
            loc="outside upper right",
            ncols=2,
            fontsize=9,
        )
    except Exception:
        plt.close(fig)
        raise
    fig.suptitle("Diurnal cycle: real vs generated hourly temperature", fontsize=13, fontweight="bold")
    data_note(footer, fig)
    return fig


def draw(ds: xr.Dataset, cfg: dict) -> Figure:
    """Figure ``diurnal`` from its numbers (the registry's drawing step)."""
    return diurnal_figure(ds, generated_footer(ds, cfg["data"]["label"]))
