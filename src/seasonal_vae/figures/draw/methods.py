"""What the three applications' figures share: the methods' colours and labels, date axes.

Real (observed) values are blue, the VAE vermillion, baselines grey and green (Okabe–Ito),
in the gap-filling (:mod:`~seasonal_vae.figures.draw.imputation`), anomaly
(:mod:`~seasonal_vae.figures.draw.anomaly`) and forecast
(:mod:`~seasonal_vae.figures.draw.forecast`) figures alike.
"""

from __future__ import annotations

import matplotlib.dates as mdates
from matplotlib.axes import Axes

from seasonal_vae.figures.draw.style import GENERATED_COLOR, REFERENCE_COLOR

GREEN = "#009E73"  # Okabe–Ito bluish green
METHOD_STYLE = {
    "vae": {"color": GENERATED_COLOR, "label": "VAE ensemble"},
    "linear": {"color": GREEN, "label": "linear interpolation"},
    "climatology": {"color": REFERENCE_COLOR, "label": "climatology"},
    "persistence": {"color": GREEN, "label": "persistence"},
}


def date_axis(ax: Axes) -> None:
    """Concise date ticks, 4 to 8 of them."""
    locator = mdates.AutoDateLocator(minticks=4, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))


def headroom(ax: Axes, share: float = 0.3) -> None:
    """Extend the y-axis upwards by ``share`` of its range (room for a legend)."""
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi + share * (hi - lo))
