"""Figure ``training``: the loss terms and the learned noise σ per epoch.

Four panels over the epochs: the loss (the negative ELBO per input value), its reconstruction
term (Gaussian negative log-likelihood per value) and its KL term, each for the training and
the validation windows, and the learned observation noise σ in °F. The epoch of the saved
model (lowest validation loss) is marked in every panel.

The numbers come from :func:`seasonal_vae.figures.compute.training.compute`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from seasonal_vae.figures.draw.style import REFERENCE_COLOR, apply_style, data_note, short_path

TRAIN_COLOR = "#009E73"  # Okabe–Ito bluish green (not real vs generated: both are real data)
VAL_COLOR = "#CC79A7"  # Okabe–Ito reddish purple
BEST_COLOR = REFERENCE_COLOR


def _mark_best(ax: Axes, ds: xr.Dataset, value: float, text: str) -> None:
    """Dashed line and circle at the saved epoch; ``text`` in the corner the curves leave free."""
    best = int(ds.attrs["best_epoch"])
    ax.axvline(best, color=BEST_COLOR, linestyle="--", linewidth=1.0)
    ax.plot(
        best,
        value,
        marker="o",
        markersize=7,
        markerfacecolor="white",
        markeredgecolor=BEST_COLOR,
        markeredgewidth=1.5,
        zorder=5,
    )
    low, high = ax.get_ylim()
    frac = (ax.transScale.transform((1, value))[1] - ax.transScale.transform((1, low))[1]) / (
        ax.transScale.transform((1, high))[1] - ax.transScale.transform((1, low))[1]
    )
    upper = frac > 0.5  # the curves end high: the lower right corner is free, and vice versa
    ax.text(
        0.955,
        0.05 if upper else 0.95,
        text,
        transform=ax.transAxes,
        ha="right",
        va="bottom" if upper else "top",
        fontsize=9,
        color=BEST_COLOR,
    )


def _epoch_axis(ax: Axes, ds: xr.Dataset) -> None:
    n = int(ds["epoch"].values[-1])
    ax.set_xlim(0, n + max(1.0, 0.03 * n))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")


def plot_term(ax: Axes, ds: xr.Dataset, name: str, title: str, ylabel: str) -> None:
    """One loss term for training and validation windows, the saved epoch marked."""
    epoch = ds["epoch"].values
    ax.plot(epoch, ds[name].values, color=TRAIN_COLOR, linewidth=1.2)
    ax.plot(epoch, ds[f"val_{name}"].values, color=VAL_COLOR, linewidth=1.2)
    best_value = float(ds[f"val_{name}"].sel(epoch=int(ds.attrs["best_epoch"])))
    _epoch_axis(ax, ds)
    _mark_best(ax, ds, best_value, f"best epoch (validation): {best_value:.4f}")
    ax.set(title=title, ylabel=ylabel)


def plot_noise(ax: Axes, ds: xr.Dataset) -> None:
    """The learned noise σ in °F per epoch (mean over the epoch's batches)."""
    epoch = ds["epoch"].values
    ax.plot(epoch, ds["noise_sigma_degF"].values, color=TRAIN_COLOR, linewidth=1.4)
    best = float(ds.attrs["noise_sigma_degF"])  # the saved model's own value
    values = ds["noise_sigma_degF"].values
    if values.max() > 1.5 * values.min():  # a log scale only pays off over a wide range
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 1.5, 2.0, 3.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_ylabel("σ (°F, log scale)")
    else:
        ax.set_ylabel("σ (°F)")
    _epoch_axis(ax, ds)
    _mark_best(
        ax, ds, best, f"saved model: σ = {best:.2f} °F\n({float(ds.attrs['noise_sigma']):.4f} standard units)"
    )
    ax.set_title("Learned observation noise σ")


def training_figure(ds: xr.Dataset, data_label: str) -> Figure:
    """Build the figure from :func:`seasonal_vae.figures.compute.training.compute`'s dataset."""
    apply_style()
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), layout="constrained")
    plot_term(axes[0, 0], ds, "loss", "Loss: −ELBO per value = reconstruction + KL", "nats per value")
    plot_term(
        axes[0, 1], ds, "reconstruction", "Reconstruction: Gaussian negative log-likelihood", "nats per value"
    )
    plot_term(axes[1, 0], ds, "kl", "KL( q(z | x) ‖ p(z | θ) ) per value", "nats per value")
    plot_noise(axes[1, 1], ds)
    best, n = int(ds.attrs["best_epoch"]), int(ds.attrs["n_epochs"])
    handles = [
        Line2D([], [], color=TRAIN_COLOR, label="training windows (epoch mean)"),
        Line2D([], [], color=VAL_COLOR, label="validation years (end of epoch)"),
        Line2D(
            [],
            [],
            color=BEST_COLOR,
            linestyle="--",
            marker="o",
            markerfacecolor="white",
            label=f"best epoch (lowest validation loss): {best} of {n};\nsaved with "
            "σ² and the prior set once more in closed form",
        ),
    ]
    fig.legend(
        handles=handles,
        loc="outside upper center",
        ncols=3,
        title="Training the VAE: loss terms and learned noise per epoch",
        title_fontproperties={"size": 13, "weight": "bold"},
    )
    data_note(
        f"{data_label}\nHistory: {short_path(ds.attrs['history'])}; model: "
        f"{short_path(ds.attrs['model'])} ({ds.attrs['prior_kind']} prior). σ in °F = "
        f"σ (standard units) × {float(ds.attrs['data_std_degF']):.2f} °F, the std of "
        "the training hours.",
        fig,
    )
    return fig


def draw(ds: xr.Dataset, cfg: dict) -> Figure:
    """Figure ``training`` from its numbers (the registry's drawing step)."""
    return training_figure(ds, cfg["data"]["label"])
