"""Figure ``trend``: the warming trend of the record, the rate removed, and the adjusted record.

Left: yearly means of the observed series with the line fitted to them (95 % confidence band)
and a line with the configured rate, and the yearly means of the adjusted (detrended) series,
which sit at the reference year's level and no longer rise. Right: the rates side by side,
with ± 1.96 standard errors. Drawn from :func:`seasonal_vae.figures.compute.trend.trend_data`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from seasonal_vae.figures.draw.style import (
    REAL_COLOR,
    REFERENCE_COLOR,
    apply_style,
    data_note,
    generated_footer,
)

#: Colour of the adjusted (detrended) real series: Okabe–Ito bluish green.
ADJUSTED_COLOR = "#009E73"
_Z95 = 1.959964


def _signed(value: float) -> str:
    """``+0.59`` / ``−0.11``: two decimals with a sign (a true minus sign)."""
    return f"{value:+.2f}".replace("-", "\u2212")


def plot_yearly_means(ax: Axes, ds: xr.Dataset) -> None:
    """Observed and adjusted yearly means with the fitted and the configured trend lines."""
    years = ds["year"].values
    a = ds.attrs
    ax.fill_between(
        years,
        ds["observed_fit_low"],
        ds["observed_fit_high"],
        color=REAL_COLOR,
        alpha=0.15,
        linewidth=0,
        label="95 % confidence band of the fit",
    )
    ax.plot(
        years,
        ds["observed"],
        "o-",
        color=REAL_COLOR,
        markersize=4,
        linewidth=0.8,
        label="observed yearly mean",
    )
    ax.plot(
        years,
        ds["observed_fit"],
        color=REAL_COLOR,
        linewidth=2,
        label=f"fitted: {_signed(a['fitted_rate_per_decade'])} °F/decade "
        f"(SE {a['fitted_stderr_per_decade']:.2f})",
    )
    ax.plot(
        years,
        ds["configured_line"],
        "--",
        color=REFERENCE_COLOR,
        linewidth=1.6,
        label=f"configured: {_signed(a['configured_rate_per_decade'])} °F/decade (removed)",
    )
    ax.plot(
        years,
        ds["adjusted"],
        "s-",
        color=ADJUSTED_COLOR,
        markersize=3.5,
        linewidth=0.8,
        label=f"adjusted to the {a['reference_year']} climate",
    )
    ax.plot(
        years,
        ds["adjusted_fit"],
        color=ADJUSTED_COLOR,
        linewidth=2,
        label=f"fitted to adjusted: {_signed(a['adjusted_rate_per_decade'])} °F/decade",
    )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(
        xlabel="Year",
        ylabel="Yearly mean temperature (°F)",
        title="Observed vs adjusted (detrended) yearly mean temperature",
    )
    ax.legend(loc="upper left", fontsize=9, ncols=2)
    low = np.nanmin([ds["observed"].min(), ds["adjusted"].min()])
    high = np.nanmax([ds["observed"].max(), ds["adjusted"].max()])
    if np.isfinite(low) and np.isfinite(high):
        span = max(high - low, 0.5)
        ax.set_ylim(low - 0.1 * span, high + 0.35 * span)  # room for the legend above the data


def plot_rates(ax: Axes, ds: xr.Dataset) -> None:
    """The fitted, configured and remaining rates in °F/decade, with ± 1.96 standard errors."""
    a = ds.attrs
    rows = [
        ("fitted to\nobserved", a["fitted_rate_per_decade"], a["fitted_stderr_per_decade"], REAL_COLOR, "o"),
        ("configured\n(removed)", a["configured_rate_per_decade"], np.nan, REFERENCE_COLOR, "D"),
        (
            "left in\nadjusted",
            a["adjusted_rate_per_decade"],
            a["adjusted_stderr_per_decade"],
            ADJUSTED_COLOR,
            "s",
        ),
    ]
    y = np.arange(len(rows))[::-1]
    for yi, (_label, rate, se, color, marker) in zip(y, rows):
        if np.isfinite(se):
            ax.errorbar(rate, yi, xerr=_Z95 * se, fmt=marker, color=color, capsize=4, markersize=7)
            text = f"{_signed(rate)} ± {_Z95 * se:.2f}"
        else:
            ax.plot(rate, yi, marker, color=color, markersize=7)
            text = _signed(rate)
        ax.annotate(
            text,
            (rate, yi),
            xytext=(0, 9),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=9,
            color=color,
        )
    ax.axvline(0, color=REFERENCE_COLOR, linewidth=0.8)
    ax.set_yticks(y, [r[0] for r in rows])
    ax.set_ylim(-0.6, len(rows) - 0.3)
    finite = [
        v
        for r in rows
        for v in (r[1] - _Z95 * np.nan_to_num(r[2]), r[1] + _Z95 * np.nan_to_num(r[2]))
        if np.isfinite(v)
    ]
    if finite:
        lo, hi = min(finite + [0.0]), max(finite + [0.0])
        pad = 0.15 * max(hi - lo, 0.1)
        ax.set_xlim(lo - pad, hi + pad)
    ax.set(xlabel="Warming rate (°F/decade), ± 95 % interval", title="Fitted vs configured rate")
    ax.grid(axis="y", visible=False)


def trend_figure(ds: xr.Dataset, footer: str) -> Figure:
    """The whole figure: yearly means (left) and the rates (right).

    Parameters
    ----------
    ds
        Output of :func:`seasonal_vae.figures.compute.trend.trend_data`.
    footer
        Where the data came from (figure footer).
    """
    apply_style()
    fig = plt.figure(figsize=(13, 5.2), layout="constrained")
    try:
        left, right = fig.subplots(1, 2, width_ratios=[3, 1.15])
        plot_yearly_means(left, ds)
        plot_rates(right, ds)
    except Exception:
        plt.close(fig)
        raise
    data_note(footer, fig)
    return fig


def draw(ds: xr.Dataset, cfg: dict) -> Figure:
    """Figure ``trend`` from its numbers (the registry's drawing step)."""
    return trend_figure(ds, generated_footer(ds, cfg["data"]["label"]))
