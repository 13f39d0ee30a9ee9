"""Figure ``acf``: how long the weather remembers, real vs generated.

Top: the autocorrelation function of hourly anomalies, lags 1 hour to 30 days on a
logarithmic lag axis. Bottom left: the ACF of daily-mean anomalies, lags 1 to 60 days.
Both show the real record's ACF over the whole record, the 5–95 % range of the ACFs of its
single years (a band), and each generated path's ACF. Bottom right: the article's three
lag-1 regression slopes (hourly, daily means, monthly means) of the raw series, this run
beside the published values. Drawn from :func:`seasonal_vae.figures.compute.acf.acf_data`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

from seasonal_vae.figures.draw.style import (
    GENERATED_COLOR,
    REAL_COLOR,
    REFERENCE_COLOR,
    apply_style,
    data_note,
    generated_footer,
)

_HOUR_TICKS = {
    1: "1 h",
    3: "3 h",
    6: "6 h",
    12: "12 h",
    24: "1 d",
    72: "3 d",
    168: "7 d",
    336: "14 d",
    720: "30 d",
}
_RES_LABELS = {"hourly": "hourly values", "daily": "daily means", "monthly": "monthly means"}


def _band_label(ds: xr.Dataset, prefix: str) -> str:
    n = ds.sizes.get(f"{prefix}_year", 0)
    return (
        f"real: {100 * ds.attrs['band_low']:.0f}–{100 * ds.attrs['band_high']:.0f} % "
        f"range of single years ({n} years)"
    )


def _plot_acf(ax: Axes, ds: xr.Dataset, prefix: str, lag_dim: str) -> None:
    """Real band across years, real whole-record ACF and each path's ACF on ``lag_dim``."""
    lags = ds[lag_dim].values
    ax.fill_between(
        lags,
        ds[f"real_{prefix}_band_low"],
        ds[f"real_{prefix}_band_high"],
        color=REAL_COLOR,
        alpha=0.2,
        linewidth=0,
        label=_band_label(ds, prefix),
    )
    paths = ds["path"].values
    for i, path in enumerate(paths):
        ax.plot(
            lags,
            ds[f"path_{prefix}_acf"].sel(path=path),
            color=GENERATED_COLOR,
            linewidth=1.0,
            alpha=0.7,
            label=f"generated: each of {len(paths)} paths" if i == 0 else None,
        )
    ax.plot(lags, ds[f"real_{prefix}_acf"], color=REAL_COLOR, linewidth=2, label="real: whole record")
    ax.axhline(0, color=REFERENCE_COLOR, linewidth=0.8)
    ax.set_ylabel("Autocorrelation")
    ax.legend(loc="upper right", fontsize=9)


def plot_hourly_acf(ax: Axes, ds: xr.Dataset) -> None:
    """ACF of hourly anomalies against lag (log axis, 1 hour to 30 days)."""
    _plot_acf(ax, ds, "hourly", "hour_lag")
    lags = ds["hour_lag"].values
    ax.set_xscale("log")
    ticks = {k: v for k, v in _HOUR_TICKS.items() if k <= lags.max()}
    ax.xaxis.set_major_locator(FixedLocator(list(ticks)))
    ax.set_xticklabels(list(ticks.values()))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(lags.min() * 0.95, lags.max() * 1.05)
    ax.set(
        xlabel="Lag (logarithmic axis)",
        title="ACF of hourly anomalies (from the smoothed calendar-day × hour climatology)",
    )


def plot_daily_acf(ax: Axes, ds: xr.Dataset) -> None:
    """ACF of daily-mean anomalies against lag in days."""
    _plot_acf(ax, ds, "daily", "day_lag")
    lags = ds["day_lag"].values
    ax.set_xlim(0, lags.max() + 0.5)
    ax.set(xlabel="Lag (days)", title="ACF of daily-mean anomalies")


def plot_lag1_table(ax: Axes, ds: xr.Dataset) -> None:
    """Lag-1 regression slopes: this run (real; generated mean and range over paths) vs the article."""
    resolutions = [str(r) for r in ds["resolution"].values]
    paths = ds["path_lag1"]
    rows = []
    for r in resolutions:
        per_path = paths.sel(resolution=r).values
        generated = f"{np.nanmean(per_path):.3f}"
        if per_path.size > 1:
            generated += f"\n({np.nanmin(per_path):.3f}–{np.nanmax(per_path):.3f})"
        rows.append(
            [
                f"{float(ds['real_lag1'].sel(resolution=r)):.3f}",
                generated,
                f"{float(ds['article_real_lag1'].sel(resolution=r)):.3f}",
                f"{float(ds['article_generated_lag1'].sel(resolution=r)):.3f}",
            ]
        )
    ax.axis("off")
    table = ax.table(
        cellText=rows,
        rowLabels=[_RES_LABELS.get(r, r) for r in resolutions],
        colLabels=["this run:\nreal", "this run:\ngenerated", "article:\nreal", "article:\ngenerated"],
        colWidths=[0.22, 0.3, 0.22, 0.26],  # scaled to the bbox
        cellLoc="center",
        rowLoc="right",
        loc="upper center",
        bbox=(0.25, 0.18, 0.73, 0.72),
    )
    table.auto_set_font_size(False)
    table.set_fontsize(10)
    colours = [REAL_COLOR, GENERATED_COLOR, REAL_COLOR, GENERATED_COLOR]
    for (row, col), cell in table.get_celld().items():
        cell.set_edgecolor("#cccccc")
        if row == 0 and col >= 0:
            cell.get_text().set_color(colours[col])
            cell.get_text().set_fontweight("bold")
        if col >= 2:
            cell.get_text().set_fontstyle("italic")
    ax.set_title("Lag-1 regression slope of x[t+1] on x[t]")
    ax.text(
        0.5,
        0.02,
        "Generated: mean over paths (min–max). Raw series, not anomalies,\n"
        "as in the article (Kyle 2024; real = ERA5 Phoenix 1974–2023).",
        transform=ax.transAxes,
        ha="center",
        va="bottom",
        fontsize=8.5,
        color=REFERENCE_COLOR,
    )


def acf_figure(ds: xr.Dataset, footer: str) -> Figure:
    """The whole figure: hourly ACF on top, daily ACF and the lag-1 table below.

    Parameters
    ----------
    ds
        Output of :func:`seasonal_vae.figures.compute.acf.acf_data`.
    footer
        Where the data came from (figure footer).
    """
    apply_style()
    fig = plt.figure(figsize=(14, 9.5), layout="constrained")
    try:
        axes = fig.subplot_mosaic([["hourly", "hourly"], ["daily", "table"]], width_ratios=[1.5, 1])
        plot_hourly_acf(axes["hourly"], ds)
        plot_daily_acf(axes["daily"], ds)
        plot_lag1_table(axes["table"], ds)
    except Exception:
        plt.close(fig)
        raise
    fig.suptitle("Autocorrelation: real vs generated hourly temperature", fontsize=13, fontweight="bold")
    note = (
        f"Anomalies: deviations from each series' own calendar-day × hour-of-day climatology "
        f"({ds.attrs.get('window_days', 31)}-day circular running mean), linear trend removed; "
        "single-year ACFs are taken\nabout that climatology, not about the year's own mean."
    )
    data_note(f"{footer}\n{note}", fig)
    return fig


def draw(ds: xr.Dataset, cfg: dict) -> Figure:
    """Figure ``acf`` from its numbers (the registry's drawing step)."""
    return acf_figure(ds, generated_footer(ds, cfg["data"]["label"]))
