"""Figure ``graphical_model``: the model as a probabilistic graphical model.

θ → z → x, drawn with matplotlib patches only: observed nodes shaded, the latent ``z``
white, parameters as small black dots (the prior's Fourier weights and the learned noise
variance σ², printed in °F), the encoder q(z | x) as a dashed arrow, and plates over the
``k`` latent steps and the ``96·k`` hours.

The numbers come from :func:`seasonal_vae.figures.compute.graphical_model.compute`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from seasonal_vae.figures.draw.style import (
    GENERATED_COLOR,
    REAL_COLOR,
    REFERENCE_COLOR,
    apply_style,
    data_note,
    short_path,
)

NODE_RADIUS = 0.55
OBSERVED_FILL = "#D9D9D9"


def node(ax: Axes, xy: tuple[float, float], label: str, observed: bool, caption: str = "") -> None:
    """A random-variable node: shaded if observed, white if latent, caption below."""
    ax.add_patch(
        Circle(
            xy,
            NODE_RADIUS,
            facecolor=OBSERVED_FILL if observed else "white",
            edgecolor="black",
            linewidth=1.6,
            zorder=3,
        )
    )
    ax.text(*xy, label, ha="center", va="center", fontsize=17, zorder=4)
    if caption:
        ax.text(xy[0], xy[1] - NODE_RADIUS - 0.12, caption, ha="center", va="top", fontsize=9, zorder=4)


def parameter(ax: Axes, xy: tuple[float, float], label: str, ha: str = "left") -> None:
    """A parameter: a small black dot with its name."""
    ax.add_patch(Circle(xy, 0.09, color="black", zorder=3))
    dx = 0.2 if ha == "left" else -0.2
    ax.text(xy[0] + dx, xy[1], label, ha=ha, va="center", fontsize=9.5)


def edge(ax: Axes, start, end, dashed: bool = False, rad: float = 0.0, color: str = "black") -> None:
    """A directed edge between node borders (curved if ``rad``)."""
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=18,
            linewidth=1.6,
            linestyle="--" if dashed else "-",
            color=color,
            connectionstyle=f"arc3,rad={rad}",
            shrinkA=2,
            shrinkB=2,
            zorder=2,
        )
    )


def plate(ax: Axes, x0: float, y0: float, x1: float, y1: float, label: str) -> None:
    """A plate (repeated part of the model), label in its lower right corner."""
    ax.add_patch(
        FancyBboxPatch(
            (x0, y0),
            x1 - x0,
            y1 - y0,
            boxstyle="round,pad=0.02,rounding_size=0.15",
            facecolor="none",
            edgecolor=REFERENCE_COLOR,
            linewidth=1.2,
            zorder=1,
        )
    )
    ax.text(x1 - 0.12, y0 + 0.12, label, ha="right", va="bottom", fontsize=9.5, color=REFERENCE_COLOR)


def draw_graphical_model(ax: Axes, ds: xr.Dataset) -> None:
    """The whole graph on one axes (coordinates in arbitrary units, aspect equal)."""
    theta, z, x = (1.7, 3.0), (5.4, 3.0), (9.9, 3.0)
    r = NODE_RADIUS
    latent_dim, degree = int(ds.attrs["latent_dim"]), int(ds.attrs["fourier_degree"])
    hours = int(ds.attrs["hours_per_step"])
    sigma = float(ds["noise_sigma_degF"])
    seasonal = ds.attrs["prior_kind"] == "seasonal"

    plate(ax, 0.6, 1.25, 6.75, 4.35, "i = 1 … k latent steps")
    plate(ax, 8.7, 1.25, 11.25, 4.35, f"t = 1 … {hours}·k hours")
    node(ax, theta, r"$\theta_i$", True, f"time of year of step i\n(at its {ds.attrs['theta_anchor']})")
    node(ax, z, r"$z_i$", False, f"latent, {latent_dim} features")
    node(ax, x, r"$x_t$", True, "hourly temperature\n(standardised)")

    edge(ax, (theta[0] + r, theta[1]), (z[0] - r, z[1]))
    edge(ax, (z[0] + r, z[1]), (x[0] - r, x[1]))
    ax.text(
        (theta[0] + z[0]) / 2,
        theta[1] + 0.2,
        "$p(z_i \\mid \\theta_i) =$\n$\\mathrm{N}\\,(m(\\theta_i),\\ e^{s(\\theta_i)})$"
        if seasonal
        else r"$p(z_i) = \mathrm{N}\,(0, I)$",
        ha="center",
        va="bottom",
        fontsize=12,
        color=GENERATED_COLOR,
        linespacing=1.6,
    )
    ax.text(
        (z[0] + x[0]) / 2,
        z[1] + 0.2,
        "$p(x \\mid z) =$\n$\\mathrm{N}\\,(\\hat{x}_t,\\ \\sigma^2)$\n$\\hat{x} = \\mathrm{decoder}(z)$",
        ha="center",
        va="bottom",
        fontsize=12,
        color=GENERATED_COLOR,
        linespacing=1.6,
    )
    # Encoder: dashed, from x back to z, below the generative edge.
    edge(
        ax,
        (x[0] - r * 0.75, x[1] - r * 0.65),
        (z[0] + r * 0.75, z[1] - r * 0.65),
        dashed=True,
        rad=-0.35,
        color=REAL_COLOR,
    )
    ax.text(
        (z[0] + x[0]) / 2,
        1.1,
        r"encoder $q(z_i \mid x) = \mathrm{N}\,(\mu_i(x),\ e^{\ell_i(x)})$",
        ha="center",
        va="top",
        fontsize=12,
        color=REAL_COLOR,
    )

    sigma_xy = (x[0], 5.55)
    parameter(ax, sigma_xy, f"σ² noise variance, learned:\nσ = {sigma:.2f} °F (σ² = {sigma**2:.2f} °F²)")
    edge(ax, (sigma_xy[0], sigma_xy[1] - 0.1), (x[0], x[1] + r))
    if seasonal:
        w_xy = (3.55, 5.55)
        parameter(
            ax,
            w_xy,
            f"W: prior weights (Dense, no bias):\n"
            f"[m, s](θ) = W · [sin θ, cos θ, …, sin {degree}θ, cos {degree}θ]",
            ha="left",
        )
        edge(ax, (w_xy[0] + 0.05, w_xy[1] - 0.1), (z[0] - r * 0.6, z[1] + r * 0.8), rad=0.0)
    ax.text(
        6.0,
        -0.05,
        r"loss per value $= -\mathrm{ELBO}/T = \frac{1}{T}\left[\sum_t "
        r"-\log\mathrm{N}(x_t \mid \hat x_t, \sigma^2) + \sum_i "
        r"\mathrm{KL}\left(q(z_i \mid x)\ \|\ p(z_i \mid \theta_i)\right)\right]$"
        ",  T = number of hours",
        ha="center",
        va="center",
        fontsize=12,
        bbox=dict(facecolor="#F5F5F5", edgecolor="none", boxstyle="round,pad=0.4"),
    )
    ax.set_xlim(0.3, 12.6)
    ax.set_ylim(-0.6, 6.2)
    ax.set_aspect("equal")
    ax.axis("off")


def graphical_model_figure(ds: xr.Dataset, data_label: str) -> Figure:
    """Build the figure from :func:`seasonal_vae.figures.compute.graphical_model.compute`'s dataset."""
    apply_style()
    fig, ax = plt.subplots(figsize=(12, 6.8), layout="constrained")
    draw_graphical_model(ax, ds)
    kind = "seasonal prior" if ds.attrs["prior_kind"] == "seasonal" else "N(0, I) prior"
    ax.set_title(f"The VAE as a graphical model ({kind}): θ → z → x; encoder q(z | x) dashed", fontsize=13)
    data_note(
        f"{data_label}\nModel: {short_path(ds.attrs['model'])}. Shaded: observed; "
        "white: latent; "
        "black dots: parameters. Each xₜ depends on the few zᵢ whose decoder field "
        "covers hour t.",
        fig,
    )
    return fig


def draw(ds: xr.Dataset, cfg: dict) -> Figure:
    """Figure ``graphical_model`` from its numbers (the registry's drawing step)."""
    return graphical_model_figure(ds, cfg["data"]["label"])
