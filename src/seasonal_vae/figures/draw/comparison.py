"""The article's five-panel result figure: real vs generated hourly temperature.

Panels: (1) seasonal profile, (2) mean diurnal profile, (3) the last weeks of hourly data,
(4) the last year of daily means, (5) lag-1 regression slopes at three resolutions, with the
article's published slopes marked for reference. Profiles and slopes are read from the
summary JSON written by :func:`seasonal_vae.evaluation.comparison.write_comparison`; the netCDF files are
read only for the two time-series panels.
"""

from __future__ import annotations

import calendar
import json
from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from seasonal_vae.evaluation import comparison as stats
from seasonal_vae.core.errors import InputError
from seasonal_vae.data.series import load_series
from seasonal_vae.figures.draw.style import (
    GENERATED_COLOR,
    REAL_COLOR,
    REFERENCE_COLOR,
    apply_style,
    data_note,
    save_figure,
)

_COLORS = {"real": REAL_COLOR, "generated": GENERATED_COLOR}
_LABELS = {"real": "real", "generated": "generated (VAE)"}
_REFERENCE_ALPHA = 0.6


def _values(seq) -> np.ndarray:
    """A JSON list with ``null`` for missing values as a float array with NaN."""
    return np.array([np.nan if v is None else v for v in seq], dtype="float64")


def plot_seasonal_profile(ax: Axes, summary: dict) -> None:
    """Panel 1: mean temperature per calendar month, real vs generated.

    Parameters
    ----------
    ax
        The axes to draw on.
    summary
        Output of :func:`seasonal_vae.evaluation.comparison.comparison_summary`; uses ``monthly_profile``.
    """
    profile = summary["monthly_profile"]
    months = np.asarray(profile["month"])
    for kind in ("real", "generated"):
        ax.plot(months, _values(profile[kind]), marker="o", markersize=4, color=_COLORS[kind])
    ax.set_xticks(months, [calendar.month_abbr[m] for m in months])
    ax.set_xlim(0.5, 12.5)
    ax.set(title="Seasonal profile: monthly mean", xlabel="Calendar month",
           ylabel="Temperature (°F)")


def plot_diurnal_profile(ax: Axes, summary: dict) -> None:
    """Panel 2: mean temperature per local hour of day, real vs generated.

    Parameters
    ----------
    ax
        The axes to draw on.
    summary
        Output of :func:`seasonal_vae.evaluation.comparison.comparison_summary`; uses ``diurnal_profile``.
    """
    profile = summary["diurnal_profile"]
    hours = np.asarray(profile["hour"])
    for kind in ("real", "generated"):
        ax.plot(hours, _values(profile[kind]), marker="o", markersize=3, color=_COLORS[kind])
    ax.set_xticks(np.arange(0, 24, 3))
    ax.set_xlim(-0.5, 23.5)
    ax.set(title="Diurnal profile: mean by hour", xlabel="Hour of day (local standard time)",
           ylabel="Temperature (°F)")


def plot_lag1_slopes(ax: Axes, summary: dict) -> None:
    """Panel 5: lag-1 regression slopes as grouped bars, the article's values marked in grey.

    Parameters
    ----------
    ax
        The axes to draw on.
    summary
        Output of :func:`seasonal_vae.evaluation.comparison.comparison_summary`; uses ``lag1_slopes``. The
        article's values come from :data:`seasonal_vae.evaluation.comparison.ARTICLE`.
    """
    slopes = summary["lag1_slopes"]
    resolutions = ("hourly", "daily", "monthly")
    x = np.arange(len(resolutions))
    width = 0.38
    for offset, kind in ((-width / 2, "real"), (width / 2, "generated")):
        values = _values([slopes[kind][r] for r in resolutions])
        bars = ax.bar(x + offset, np.nan_to_num(values), width, color=_COLORS[kind])
        ax.bar_label(bars, labels=["n/a" if np.isnan(v) else f"{v:.3f}" for v in values],
                     label_type="center", color="white", fontsize=9, fontweight="bold")
        article = np.array([stats.ARTICLE["lag1_slopes"][kind][r] for r in resolutions])
        ax.hlines(article, x + offset - 0.45 * width, x + offset + 0.45 * width,
                  colors=REFERENCE_COLOR, linewidths=2.5, alpha=_REFERENCE_ALPHA, zorder=3)
        for xi, top, ref in zip(x + offset, np.fmax(np.nan_to_num(values), article), article):
            ax.text(xi, top + 0.015, f"{ref:.3f}", ha="center", va="bottom", fontsize=8,
                    color=REFERENCE_COLOR, alpha=0.8, style="italic")
    ax.set_xticks(x, ["hourly", "daily means", "monthly means"])
    ax.set_ylim(0, 1.12)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set(title="Autocorrelation: lag-1 regression slope", ylabel="Slope of x[t+1] on x[t]")
    ax.grid(axis="x", visible=False)


def _plot_window(ax: Axes, real: xr.DataArray, generated: xr.DataArray, linewidth: float,
                 date_format: str | None = None) -> None:
    """Draw two time series; ticks as ``date_format``, or matplotlib's concise dates if None."""
    for kind, da in (("real", real), ("generated", generated)):
        ax.plot(da["time"].values, da.values, color=_COLORS[kind], linewidth=linewidth)
    locator = mdates.AutoDateLocator(minticks=4, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False)
                                 if date_format is None else mdates.DateFormatter(date_format))
    ax.set_ylabel("Temperature (°F)")


def plot_last_weeks(ax: Axes, real: xr.DataArray, generated: xr.DataArray, weeks: int) -> None:
    """Panel 3: the last ``weeks`` weeks of hourly values, ending at ``real``'s last hour.

    Parameters
    ----------
    ax
        The axes to draw on.
    real, generated
        Hourly series along ``time`` (°F); only the window is drawn.
    weeks
        Length of the window in weeks.
    """
    end = pd.Timestamp(real["time"].values[-1])
    start = end - pd.Timedelta(hours=weeks * 7 * 24 - 1)
    window = slice(start, end)
    _plot_window(ax, real.sel(time=window), generated.sel(time=window), linewidth=1.0,
                 date_format="%d %b")
    ax.set_title(f"Hourly values: last {weeks} weeks ({start:%d %b %Y} – {end:%d %b %Y})")


def plot_last_year(ax: Axes, real: xr.DataArray, generated: xr.DataArray) -> None:
    """Panel 4: daily means of the last 365 days, ending with ``real``'s last day.

    Parameters
    ----------
    ax
        The axes to draw on.
    real, generated
        Hourly series along ``time`` (°F); only the last year is averaged and drawn.
    """
    last_day = pd.Timestamp(real["time"].values[-1]).floor("D")
    first_day = last_day - pd.Timedelta(days=364)
    window = slice(first_day, None)
    days = slice(first_day, last_day)
    _plot_window(ax, stats.daily_means(real.sel(time=window)).sel(time=days),
                 stats.daily_means(generated.sel(time=window)).sel(time=days), linewidth=1.3)
    ax.set_title(f"Daily means: last year ({first_day:%d %b %Y} – {last_day:%d %b %Y})")


def _read_summary(summary_json: Path) -> dict:
    try:
        return json.loads(summary_json.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(summary_json, f"cannot be read as JSON ({exc})",
                         "rerun the comparison step (seasonal_vae.evaluation.comparison.write_comparison)") from exc


def comparison_figure(summary: dict, real: xr.DataArray, generated: xr.DataArray,
                      footer: str, weeks: int = 3) -> Figure:
    """Build the five-panel result figure from a summary and the two hourly series.

    Parameters
    ----------
    summary
        Output of :func:`seasonal_vae.evaluation.comparison.comparison_summary`.
    real, generated
        Hourly series along ``time`` (°F); only their last year is drawn. ``real`` should
        end at its last valid hour, which anchors panels 3 and 4.
    footer
        Text for the figure's footer (data source, generation settings).
    weeks
        Number of weeks of hourly data in panel 3.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, not {weeks}")
    apply_style()
    fig = plt.figure(figsize=(14, 8), layout="constrained")
    try:
        axes = fig.subplot_mosaic([["season", "season", "diurnal", "diurnal", "slopes", "slopes"],
                                   ["hourly", "hourly", "hourly", "daily", "daily", "daily"]])
        plot_seasonal_profile(axes["season"], summary)
        plot_diurnal_profile(axes["diurnal"], summary)
        plot_lag1_slopes(axes["slopes"], summary)
        plot_last_weeks(axes["hourly"], real, generated, weeks)
        plot_last_year(axes["daily"], real, generated)
    except Exception:
        plt.close(fig)
        raise

    handles = [Patch(color=_COLORS[k], label=_LABELS[k]) for k in ("real", "generated")]
    handles.append(Line2D([], [], color=REFERENCE_COLOR, alpha=_REFERENCE_ALPHA, linewidth=2.5,
                          label="article's value (Kyle 2024)"))
    # The legend's title serves as the figure title: constrained layout makes room for an
    # outside legend but would draw a separate suptitle on top of it.
    fig.legend(handles=handles, loc="outside upper center", ncols=3,
               title="Real vs generated hourly temperature",
               title_fontproperties={"size": 13, "weight": "bold"})
    data_note(footer, fig)
    return fig


def plot_comparison(summary_json: str | Path, series_path: str | Path, samples_path: str | Path,
                    out_png: str | Path, data_label: str, weeks: int = 3,
                    path_index: int = 0) -> tuple[Path, Path]:
    """Draw the article's result figure from the pipeline's files; write PNG and SVG.

    Parameters
    ----------
    summary_json
        Summary written by :func:`seasonal_vae.evaluation.comparison.write_comparison`: the profiles and
        slopes of panels 1, 2 and 5.
    series_path
        ``results/series.nc`` (real hourly ``t2m``), read for panels 3 and 4.
    samples_path
        ``results/samples/<prior>.nc`` (generated ``t2m``, dims ``(path, time)``), read for panels
        3 and 4 and for its ``noise`` and ``seed`` attributes.
    out_png
        The PNG to write; an SVG is written beside it.
    data_label
        Where the data came from, printed in the footer (e.g. that it is surrogate data).
    weeks
        Number of weeks of hourly data in panel 3.
    path_index
        The generated path to draw; must be the one the summary was computed from.

    Returns
    -------
    tuple of pathlib.Path
        The PNG's and the SVG's paths.

    Raises
    ------
    InputError
        If a file is unusable, the summary was computed from another path, or the real and
        generated series share no valid hour.
    """
    summary_json = Path(summary_json)
    summary = _read_summary(summary_json)
    summarised = summary.get("samples", {}).get("path_index", path_index)
    if summarised != path_index:
        raise InputError(summary_json, f"summarises generated path {summarised}, not {path_index}",
                         "plot the path the summary was computed from, or recompute the summary")
    real = load_series(series_path)
    generated, attrs = stats.load_sample_path(samples_path, path_index)
    period = summary["period"]
    real = real.sel(time=slice(period["start"], period["end"]))
    valid_times = real["time"].values[real.notnull().values]
    if valid_times.size == 0:
        raise InputError(series_path, "has no valid value in the compared period "
                         f"{period['start']} to {period['end']}",
                         "recompute the summary from the current series and samples")
    real = real.sel(time=slice(None, valid_times[-1]))
    footer = (f"{data_label}\nGenerated: path {path_index} of {Path(samples_path).name}, "
              f"observation noise {attrs.get('noise', 'unknown')}, seed {attrs.get('seed', 'unknown')}"
              f"; profiles and slopes over {period['start'][:10]} to {period['end'][:10]}.")
    fig = comparison_figure(summary, real, generated, footer, weeks)
    return save_figure(fig, out_png)
