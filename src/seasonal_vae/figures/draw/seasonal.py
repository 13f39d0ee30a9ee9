"""Figure ``seasonal``: the seasonal cycle of real vs generated hourly temperature.

Top left: monthly mean and the 5–95 % range of the hourly values of each month. Top right:
mean ± one standard deviation of the hourly values in a 31-day circular window around each
day of the year. Bottom: generated − real differences of that smoothed mean and standard
deviation, one faint line per generated path and a bold line for all paths pooled, beside the
same difference between the real even and odd years (how much 25 years of real data differ
from another 25 by chance). Drawn from
:func:`seasonal_vae.figures.compute.seasonal.seasonal_data`.
"""

from __future__ import annotations

import calendar

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from seasonal_vae.figures.draw.style import (
    GENERATED_COLOR,
    REAL_COLOR,
    REFERENCE_COLOR,
    apply_style,
    data_note,
    generated_footer,
)

# First day (1–365) of each month in a 365-day year, for ticks on day-of-year axes.
_MONTH_STARTS = np.cumsum([1] + [calendar.monthrange(2001, m)[1] for m in range(1, 12)])


def _month_axis(ax: Axes) -> None:
    """Day-of-year x axis with a tick at each month's first day, labelled with its name."""
    ax.set_xticks(_MONTH_STARTS, [calendar.month_abbr[m] for m in range(1, 13)], ha="left")
    ax.set_xlim(1, 366)


def plot_monthly(ax: Axes, ds: xr.Dataset) -> None:
    """Monthly mean (markers and line) and 5–95 % range of hourly values (bars), real vs generated."""
    months = ds["month"].values
    pct = f"{100 * ds.attrs['band_low']:.0f}–{100 * ds.attrs['band_high']:.0f} %"
    for kind, color, shift in (("real", REAL_COLOR, -0.13), ("generated", GENERATED_COLOR, 0.13)):
        ax.vlines(
            months + shift,
            ds[f"{kind}_monthly_low"],
            ds[f"{kind}_monthly_high"],
            color=color,
            linewidth=3,
            alpha=0.45,
            label=f"{kind}: {pct} of hourly values",
        )
        ax.plot(
            months + shift,
            ds[f"{kind}_monthly_mean"],
            "o-",
            color=color,
            markersize=5,
            label=f"{kind}: monthly mean",
        )
    ax.set_xticks(months, [calendar.month_abbr[m] for m in months])
    ax.set_xlim(0.4, 12.6)
    ax.set(ylabel="Temperature (°F)", title="Monthly mean and spread of hourly values")
    ax.legend(loc="upper left", fontsize=9)
    low = float(min(ds["real_monthly_low"].min(), ds["generated_monthly_low"].min()))
    high = float(max(ds["real_monthly_high"].max(), ds["generated_monthly_high"].max()))
    ax.set_ylim(low - 5, high + 0.3 * (high - low))  # room for the legend


def plot_day_of_year(ax: Axes, ds: xr.Dataset) -> None:
    """Smoothed day-of-year mean ± one standard deviation, real (band) vs generated (lines)."""
    days = ds["day"].values
    w = ds.attrs["window_days"]
    rm, rs = ds["real_daily_mean"], ds["real_daily_std"]
    gm, gs = ds["generated_daily_mean"], ds["generated_daily_std"]
    ax.fill_between(
        days, rm - rs, rm + rs, color=REAL_COLOR, alpha=0.18, linewidth=0, label="real: mean ± 1 std"
    )
    ax.plot(days, rm, color=REAL_COLOR, linewidth=2, label="real: mean")
    ax.plot(days, gm, color=GENERATED_COLOR, linewidth=2, label="generated: mean")
    ax.plot(
        days, gm - gs, color=GENERATED_COLOR, linewidth=1, linestyle="--", label="generated: mean ± 1 std"
    )
    ax.plot(days, gm + gs, color=GENERATED_COLOR, linewidth=1, linestyle="--")
    _month_axis(ax)
    ax.set(ylabel="Temperature (°F)", title=f"Day of year: mean and std of hourly values ({w}-day window)")
    ax.legend(loc="upper left", fontsize=9)
    low = float(min((rm - rs).min(), (gm - gs).min()))
    high = float(max((rm + rs).max(), (gm + gs).max()))
    ax.set_ylim(low - 3, high + 0.3 * (high - low))


def plot_difference(ax: Axes, ds: xr.Dataset, statistic: str) -> None:
    """Generated − real of the smoothed day-of-year ``statistic`` ("mean" or "std"), per path."""
    days = ds["day"].values
    real = ds[f"real_daily_{statistic}"]
    for i, path in enumerate(ds["path"].values):
        ax.plot(
            days,
            ds[f"path_daily_{statistic}"].sel(path=path) - real,
            color=GENERATED_COLOR,
            linewidth=0.8,
            alpha=0.35,
            label="each generated path" if i == 0 else None,
        )
    ax.plot(
        days,
        ds[f"generated_daily_{statistic}"] - real,
        color=GENERATED_COLOR,
        linewidth=2.2,
        label="all generated paths",
    )
    if f"floor_daily_{statistic}" in ds:
        ax.plot(
            days,
            ds[f"floor_daily_{statistic}"],
            color=REFERENCE_COLOR,
            linewidth=1.2,
            linestyle=":",
            label="real: even − odd years (chance)",
        )
    ax.axhline(0, color=REFERENCE_COLOR, linewidth=0.8)
    _month_axis(ax)
    name = "mean" if statistic == "mean" else "standard deviation"
    ax.set(
        ylabel=f"Generated − real {'mean' if statistic == 'mean' else 'std'} (°F)",
        title=f"Generated − real: {name} by day of year",
    )
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + 0.4 * (high - low))  # room above the data for the legend
    ax.legend(loc="upper left", fontsize=9, ncols=2)


def seasonal_figure(ds: xr.Dataset, footer: str) -> Figure:
    """The whole figure (four panels).

    Parameters
    ----------
    ds
        Output of :func:`seasonal_vae.figures.compute.seasonal.seasonal_data`.
    footer
        Where the data came from (figure footer).
    """
    apply_style()
    fig = plt.figure(figsize=(14, 9), layout="constrained")
    try:
        axes = fig.subplot_mosaic([["monthly", "doy"], ["dmean", "dstd"]], height_ratios=[1.3, 1])
        plot_monthly(axes["monthly"], ds)
        plot_day_of_year(axes["doy"], ds)
        plot_difference(axes["dmean"], ds, "mean")
        plot_difference(axes["dstd"], ds, "std")
    except Exception:
        plt.close(fig)
        raise
    fig.suptitle("Seasonal cycle: real vs generated hourly temperature", fontsize=13, fontweight="bold")
    data_note(footer, fig)
    return fig


def draw(ds: xr.Dataset, cfg: dict) -> Figure:
    """Figure ``seasonal`` from its numbers (the registry's drawing step)."""
    return seasonal_figure(ds, generated_footer(ds, cfg["data"]["label"]))
