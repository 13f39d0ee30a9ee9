"""Figure ``samples``: what the generated series look like beside the real one.

Top: the daily means of one full year, real vs generated path 0, the other paths faint.
Bottom: windows of a few weeks of hourly values in the same year (by default the first
weeks of July and the last weeks of the year), same colours. Generated paths are not
forecasts: they share the real series' dates and climate, not its weather. Drawn from
:func:`seasonal_vae.figures.compute.samples.samples_data`.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from seasonal_vae.figures.draw.style import (
    GENERATED_COLOR,
    REAL_COLOR,
    apply_style,
    data_note,
    generated_footer,
)

_OTHER_ALPHA = 0.25


def _plot_paths(ax: Axes, times, real, generated: xr.DataArray, linewidth: float) -> None:
    """Other paths faint, path 0 in full colour, the real series on top."""
    paths = generated["path"].values
    for i, path in enumerate(paths[1:]):
        ax.plot(
            times,
            generated.sel(path=path),
            color=GENERATED_COLOR,
            alpha=_OTHER_ALPHA,
            linewidth=0.7 * linewidth,
            label=f"generated: paths {paths[1]}–{paths[-1]}"
            if i == 0 and len(paths) > 2
            else (f"generated: path {path}" if i == 0 else None),
        )
    ax.plot(
        times,
        generated.sel(path=paths[0]),
        color=GENERATED_COLOR,
        linewidth=linewidth,
        label=f"generated: path {paths[0]}",
    )
    ax.plot(times, real, color=REAL_COLOR, linewidth=linewidth, label="real")
    ax.set_ylabel("Temperature (°F)")


def plot_year(ax: Axes, ds: xr.Dataset) -> None:
    """Daily means of the whole year, real vs generated."""
    days = ds["day"].values
    _plot_paths(ax, days, ds["real_daily"], ds["generated_daily"], linewidth=1.4)
    for start in ds["window_start"].values:  # mark the hourly windows shown below
        start = pd.Timestamp(start)
        ax.axvspan(
            start,
            start + pd.Timedelta(weeks=int(ds.attrs["weeks"])),
            color="0.85",
            alpha=0.6,
            linewidth=0,
            zorder=0,
        )
    ax.xaxis.set_major_locator(mdates.MonthLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b"))
    ax.set_xlim(days[0], days[-1])
    ax.set_title(f"Daily mean temperature in {ds.attrs['year']} (grey: the windows of hourly values below)")
    handles, labels = ax.get_legend_handles_labels()
    first = f"generated: path {ds['generated_daily']['path'].values[0]}"
    rank = {"real": 0, first: 1}  # real first, then the first path, then the faint ones
    order = sorted(range(len(labels)), key=lambda i: rank.get(labels[i], 2))
    ax.legend([handles[i] for i in order], [labels[i] for i in order], loc="upper left", fontsize=9, ncols=3)
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + 0.18 * (high - low))


def plot_window(ax: Axes, ds: xr.Dataset, start) -> None:
    """Hourly values of ``weeks`` weeks from ``start``, real vs generated."""
    start = pd.Timestamp(start)
    end = start + pd.Timedelta(weeks=int(ds.attrs["weeks"])) - pd.Timedelta(hours=1)
    window = ds.sel(time=slice(start, end))
    _plot_paths(ax, window["time"].values, window["real_hourly"], window["generated_hourly"], linewidth=1.0)
    locator = mdates.DayLocator(interval=3)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    ax.set_xlim(start, end)
    ax.set_title(f"Hourly values, {start:%d %b} – {end:%d %b %Y}")


def samples_figure(ds: xr.Dataset, footer: str) -> Figure:
    """The whole figure: a year of daily means on top, hourly windows below.

    Parameters
    ----------
    ds
        Output of :func:`seasonal_vae.figures.compute.samples.samples_data`.
    footer
        Where the data came from (figure footer).
    """
    apply_style()
    starts = np.atleast_1d(ds["window_start"].values)
    fig = plt.figure(figsize=(14, 8.5), layout="constrained")
    try:
        n = max(len(starts), 1)
        axes = fig.subplot_mosaic([["year"] * n, [f"w{i}" for i in range(n)]])
        plot_year(axes["year"], ds)
        for i, start in enumerate(starts):
            plot_window(axes[f"w{i}"], ds, start)
    except Exception:
        plt.close(fig)
        raise
    fig.suptitle("Real vs generated hourly temperature on the same dates", fontsize=13, fontweight="bold")
    data_note(footer, fig)
    return fig


def draw(ds: xr.Dataset, cfg: dict) -> Figure:
    """Figure ``samples`` from its numbers (the registry's drawing step)."""
    return samples_figure(ds, generated_footer(ds, cfg["data"]["label"]))
