"""Figure ``comparison``: the article's five-panel result figure, real vs generated hourly temperature.

Panels: (1) seasonal profile, (2) mean diurnal profile, (3) the last weeks of hourly data,
(4) the last year of daily means, (5) lag-1 regression slopes at three resolutions, with the
article's published slopes marked for reference. Drawn from the numbers of
:func:`seasonal_vae.figures.compute.comparison.comparison_data`.
"""

from __future__ import annotations

import calendar

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from seasonal_vae.figures.draw.style import (
    GENERATED_COLOR,
    REAL_COLOR,
    REFERENCE_COLOR,
    apply_style,
    data_note,
)

_COLORS = {"real": REAL_COLOR, "generated": GENERATED_COLOR}
_LABELS = {"real": "real", "generated": "generated (VAE)"}
_REFERENCE_ALPHA = 0.6


def plot_seasonal_profile(ax: Axes, ds: xr.Dataset) -> None:
    """Panel 1: mean temperature per calendar month, real vs generated.

    Parameters
    ----------
    ax
        The axes to draw on.
    ds
        The figure's numbers; uses ``{real,generated}_monthly_profile``.
    """
    months = ds["month"].values
    for kind in ("real", "generated"):
        ax.plot(months, ds[f"{kind}_monthly_profile"].values, marker="o", markersize=4, color=_COLORS[kind])
    ax.set_xticks(months, [calendar.month_abbr[m] for m in months])
    ax.set_xlim(0.5, 12.5)
    ax.set(title="Seasonal profile: monthly mean", xlabel="Calendar month", ylabel="Temperature (°F)")


def plot_diurnal_profile(ax: Axes, ds: xr.Dataset) -> None:
    """Panel 2: mean temperature per local hour of day, real vs generated.

    Parameters
    ----------
    ax
        The axes to draw on.
    ds
        The figure's numbers; uses ``{real,generated}_diurnal_profile``.
    """
    hours = ds["hour"].values
    for kind in ("real", "generated"):
        ax.plot(hours, ds[f"{kind}_diurnal_profile"].values, marker="o", markersize=3, color=_COLORS[kind])
    ax.set_xticks(np.arange(0, 24, 3))
    ax.set_xlim(-0.5, 23.5)
    ax.set(
        title="Diurnal profile: mean by hour",
        xlabel="Hour of day (local standard time)",
        ylabel="Temperature (°F)",
    )


def plot_lag1_slopes(ax: Axes, ds: xr.Dataset) -> None:
    """Panel 5: lag-1 regression slopes as grouped bars, the article's values marked in grey.

    Parameters
    ----------
    ax
        The axes to draw on.
    ds
        The figure's numbers; uses ``{real,generated}_lag1`` and the article's values
        ``article_{real,generated}_lag1`` (from :data:`seasonal_vae.evaluation.statistics.ARTICLE`).
    """
    x = np.arange(ds.sizes["resolution"])
    width = 0.38
    for offset, kind in ((-width / 2, "real"), (width / 2, "generated")):
        values = ds[f"{kind}_lag1"].values
        bars = ax.bar(x + offset, np.nan_to_num(values), width, color=_COLORS[kind])
        ax.bar_label(
            bars,
            labels=["n/a" if np.isnan(v) else f"{v:.3f}" for v in values],
            label_type="center",
            color="white",
            fontsize=9,
            fontweight="bold",
        )
        article = ds[f"article_{kind}_lag1"].values
        ax.hlines(
            article,
            x + offset - 0.45 * width,
            x + offset + 0.45 * width,
            colors=REFERENCE_COLOR,
            linewidths=2.5,
            alpha=_REFERENCE_ALPHA,
            zorder=3,
        )
        for xi, top, ref in zip(x + offset, np.fmax(np.nan_to_num(values), article), article):
            ax.text(
                xi,
                top + 0.015,
                f"{ref:.3f}",
                ha="center",
                va="bottom",
                fontsize=8,
                color=REFERENCE_COLOR,
                alpha=0.8,
                style="italic",
            )
    ax.set_xticks(x, ["hourly", "daily means", "monthly means"])
    ax.set_ylim(0, 1.12)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set(title="Autocorrelation: lag-1 regression slope", ylabel="Slope of x[t+1] on x[t]")
    ax.grid(axis="x", visible=False)


def _plot_window(
    ax: Axes, ds: xr.Dataset, resolution: str, linewidth: float, date_format: str | None = None
) -> None:
    """Draw the real and the generated ``resolution`` ("hourly" or "daily") series; ticks as
    ``date_format``, or matplotlib's concise dates if None."""
    for kind in ("real", "generated"):
        da = ds[f"{kind}_{resolution}"]
        ax.plot(da[da.dims[0]].values, da.values, color=_COLORS[kind], linewidth=linewidth)
    locator = mdates.AutoDateLocator(minticks=4, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(
        mdates.ConciseDateFormatter(locator, show_offset=False)
        if date_format is None
        else mdates.DateFormatter(date_format)
    )
    ax.set_ylabel("Temperature (°F)")


def plot_last_weeks(ax: Axes, ds: xr.Dataset) -> None:
    """Panel 3: the last weeks of hourly values, ending at the real series' last valid hour."""
    start, end = pd.Timestamp(ds.attrs["hourly_start"]), pd.Timestamp(ds.attrs["hourly_end"])
    _plot_window(ax, ds, "hourly", linewidth=1.0, date_format="%d %b")
    ax.set_title(f"Hourly values: last {ds.attrs['weeks']} weeks ({start:%d %b %Y} – {end:%d %b %Y})")


def plot_last_year(ax: Axes, ds: xr.Dataset) -> None:
    """Panel 4: daily means of the last 365 days, ending with the real series' last day."""
    first_day = pd.Timestamp(ds.attrs["daily_first"])
    last_day = pd.Timestamp(ds.attrs["daily_last"])
    _plot_window(ax, ds, "daily", linewidth=1.3)
    ax.set_title(f"Daily means: last year ({first_day:%d %b %Y} – {last_day:%d %b %Y})")


def comparison_figure(ds: xr.Dataset, footer: str) -> Figure:
    """Build the five-panel result figure from its numbers.

    Parameters
    ----------
    ds
        Output of :func:`seasonal_vae.figures.compute.comparison.comparison_data`.
    footer
        Text for the figure's footer (data source, generation settings).

    Returns
    -------
    matplotlib.figure.Figure
    """
    apply_style()
    fig = plt.figure(figsize=(14, 8), layout="constrained")
    try:
        axes = fig.subplot_mosaic(
            [
                ["season", "season", "diurnal", "diurnal", "slopes", "slopes"],
                ["hourly", "hourly", "hourly", "daily", "daily", "daily"],
            ]
        )
        plot_seasonal_profile(axes["season"], ds)
        plot_diurnal_profile(axes["diurnal"], ds)
        plot_lag1_slopes(axes["slopes"], ds)
        plot_last_weeks(axes["hourly"], ds)
        plot_last_year(axes["daily"], ds)
    except Exception:
        plt.close(fig)
        raise

    handles = [Patch(color=_COLORS[k], label=_LABELS[k]) for k in ("real", "generated")]
    handles.append(
        Line2D(
            [],
            [],
            color=REFERENCE_COLOR,
            alpha=_REFERENCE_ALPHA,
            linewidth=2.5,
            label="article's value (Kyle 2024)",
        )
    )
    # The legend's title serves as the figure title: constrained layout makes room for an
    # outside legend but would draw a separate suptitle on top of it.
    fig.legend(
        handles=handles,
        loc="outside upper center",
        ncols=3,
        title="Real vs generated hourly temperature",
        title_fontproperties={"size": 13, "weight": "bold"},
    )
    data_note(footer, fig)
    return fig


def comparison_footer(ds: xr.Dataset, label: str) -> str:
    """The footer: the data label, which generated path of which file, and the period."""
    a = ds.attrs
    return (
        f"{label}\nGenerated: path {a['path_index']} of {a['samples_file']}, "
        f"observation noise {a['noise']}, seed {a['seed']}"
        f"; profiles and slopes over {a['period_start'][:10]} to {a['period_end'][:10]}."
    )


def draw(ds: xr.Dataset, cfg: dict) -> Figure:
    """Figure ``comparison`` from its numbers (the registry's drawing step)."""
    return comparison_figure(ds, comparison_footer(ds, cfg["data"]["label"]))
