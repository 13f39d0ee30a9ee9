"""Figure ``evaluation``: every metric of every generator as a ratio to the noise floor.

One row per metric, grouped by family; the x axis is the metric divided by the median of
the same metric between two disjoint sets of real years (log scale). 1 means "as far from the
held-out years as another set of real years is"; the grey band reaches the floor's 95th
percentile, so a marker inside it is within the floor. With the floor's per-split values,
each split is also drawn as a small grey dot, so the reader sees how wide the floor is.
Smaller is better for every metric.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import blended_transform_factory

from seasonal_vae.figures.draw.style import (
    GENERATED_COLOR,
    REAL_COLOR,
    REFERENCE_COLOR,
    apply_style,
    data_note,
)

#: Colour and marker of the project's generators; other names get the remaining colours.
GENERATOR_STYLE = {
    "vae": (GENERATED_COLOR, "o", "VAE, seasonal prior"),
    "vae_seasonal_prior": (GENERATED_COLOR, "o", "VAE, seasonal prior"),
    "vae_noise": ("#E69F00", "v", "VAE, seasonal prior, + observation noise"),
    "vae_standard_prior": ("#CC79A7", "D", "VAE, N(0, I) prior"),
    "vae_centred_prior": ("#56B4E9", "P", "VAE, centred seasonal prior (extension)"),
    "vae_extended": ("#000000", "X", "extended VAE: AR residual, VAR(1) latent"),
    "vae_extended_ar1": ("#882255", "p", "extended VAE, diagonal AR(1) latent (ablation)"),
    "vae_ar_noise": ("#F0E442", "h", "VAE + AR(3) residual only (ablation)"),
    "vae_latent_ar1": ("#999999", "*", "VAE + AR(1) latent only (ablation)"),
    "vae_latent_var1": ("#999999", "*", "VAE + VAR(1) latent only (ablation)"),
    "harmonic_ar": ("#009E73", "s", "harmonic + AR baseline"),
    "bootstrap": (REAL_COLOR, "^", "bootstrap of real years"),
}
_SPARE = [("#44AA99", "d"), ("#DDCC77", "H"), ("#AA4499", "8")]
FLOOR_BAND = "#DDDDDD"


def generator_styles(names) -> dict[str, tuple[str, str, str]]:
    """(colour, marker, legend label) for each generator name."""
    out, spare = {}, iter(_SPARE)
    for name in names:
        if name in GENERATOR_STYLE:
            out[name] = GENERATOR_STYLE[name]
        else:
            colour, marker = next(spare, (REFERENCE_COLOR, "x"))
            out[name] = (colour, marker, name)
    return out


def _layout(table: pd.DataFrame) -> tuple[list[str], dict[str, float], list[tuple[str, float]]]:
    """Metric order, y position of each metric, and (family, y) of each family heading."""
    metrics = list(dict.fromkeys(table["metric"]))
    family_of = dict(zip(table["metric"], table["family"]))
    y, ys, headings, last = 0.0, {}, [], None
    for metric in metrics:
        if family_of[metric] != last:
            if last is not None:
                y += 0.4
            headings.append((family_of[metric], y))
            y += 1.0
            last = family_of[metric]
        ys[metric] = y
        y += 1.0
    return metrics, ys, headings


def draw_ratio_dots(ax: Axes, table: pd.DataFrame, floor: pd.DataFrame | None = None) -> None:
    """Draw the ratio-to-floor dot plot on ``ax``.

    Parameters
    ----------
    ax
        The axes.
    table
        The metrics table (:func:`seasonal_vae.evaluation.metrics_table.read_metrics`): columns ``metric``,
        ``family``, ``label``, ``generator``, ``value``, ``floor_median``, ``floor_p95``.
    floor
        Optional per-split floor values (columns ``metric``, ``value``), drawn as grey dots.
    """
    metrics, ys, headings = _layout(table)
    gens = list(dict.fromkeys(table["generator"]))
    styles = generator_styles(gens)
    first = table.drop_duplicates("metric").set_index("metric")
    ratios = table["value"] / table["floor_median"]
    finite = ratios[np.isfinite(ratios) & (ratios > 0)]
    p95 = (first["floor_p95"] / first["floor_median"]).replace([np.inf, -np.inf], np.nan)
    lo = min(0.2, float(finite.min()) / 1.5) if len(finite) else 0.2
    hi = max(
        5.0,
        float(finite.max()) * 1.5 if len(finite) else 5.0,
        float(p95.max()) * 1.2 if p95.notna().any() else 5.0,
    )

    for metric in metrics:
        y = ys[metric]
        band = p95.get(metric, np.nan)
        if np.isfinite(band):
            ax.fill_betweenx([y - 0.42, y + 0.42], lo, band, color=FLOOR_BAND, lw=0, zorder=0)
        if floor is not None and not floor.empty and first.loc[metric, "floor_median"] > 0:
            vals = floor.loc[floor["metric"] == metric, "value"].to_numpy(dtype=float)
            r = vals / first.loc[metric, "floor_median"]
            r = np.clip(r[np.isfinite(r)], lo, hi)
            jitter = np.random.default_rng(0).uniform(-0.3, 0.3, r.size)
            ax.scatter(r, y + jitter, s=4, color=REFERENCE_COLOR, alpha=0.35, lw=0, zorder=1)
    ax.axvline(1.0, color=REFERENCE_COLOR, lw=1.0, ls="--", zorder=1)

    offsets = np.linspace(-0.27, 0.27, len(gens)) if len(gens) > 1 else [0.0]
    for offset, gen in zip(offsets, gens):
        colour, marker, _ = styles[gen]
        rows = table[table["generator"] == gen]
        r = (rows["value"] / rows["floor_median"]).to_numpy(dtype=float)
        y = np.array([ys[m] for m in rows["metric"]]) + offset
        ok = np.isfinite(r)
        clipped = np.clip(r[ok], lo, hi)
        ax.scatter(
            clipped, y[ok], s=34, marker=marker, color=colour, edgecolor="white", linewidth=0.5, zorder=3
        )

    labels = first["label"].to_dict()
    ax.set_yticks([ys[m] for m in metrics], [labels[m] for m in metrics])
    for family, y in headings:
        ax.text(
            -0.01,
            y,
            family.upper(),
            transform=ax.get_yaxis_transform(),
            ha="right",
            va="center",
            fontsize=9,
            fontweight="bold",
            color=REFERENCE_COLOR,
        )
        if y > 0:
            ax.axhline(y - 0.7, color="#BBBBBB", lw=0.6, zorder=0)
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}×"))
    ax.set_ylim(max(ys.values()) + 0.8, -0.8)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("metric ÷ median of the real-vs-real noise floor (log scale; smaller is better)")

    handles = [
        Line2D([], [], ls="", marker=styles[g][1], color=styles[g][0], markersize=7, label=styles[g][2])
        for g in gens
    ]
    handles.append(Patch(color=FLOOR_BAND, label="within the floor (≤ its 95th percentile)"))
    if floor is not None and not floor.empty:
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                color=REFERENCE_COLOR,
                alpha=0.5,
                markersize=3,
                label="real vs real, one split each",
            )
        )
    handles.append(Line2D([], [], ls="--", color=REFERENCE_COLOR, label="floor median"))
    # centred on the figure, not on the axes (which the long metric labels push to the right)
    centre = blended_transform_factory(ax.figure.transFigure, ax.transAxes)
    ax.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        bbox_transform=centre,
        ncol=3,
        fontsize=9,
        frameon=False,
    )


def evaluation_figure(table: pd.DataFrame, floor: pd.DataFrame | None = None, data_label: str = "") -> Figure:
    """The whole figure (title, dot plot, data note)."""
    apply_style()
    n_rows = table["metric"].nunique() + table["family"].nunique()
    fig, ax = plt.subplots(figsize=(10, 1.6 + 0.3 * n_rows))
    draw_ratio_dots(ax, table, floor)
    rows = math.ceil((table["generator"].nunique() + 3) / 3)  # the legend above: 3 columns
    ax.set_title("Generated vs held-out real years: each metric ÷ the real-vs-real floor", pad=18 * rows - 2)
    if data_label:
        data_note(f"Data: {data_label}", fig)
    return fig


def tables(ds: xr.Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The metrics table and the floor's per-split values back as data frames, from the
    numbers :func:`seasonal_vae.figures.compute.evaluation.evaluation_data` keeps."""
    table = pd.DataFrame({name: ds[name].values for name in ds.data_vars if ds[name].dims == ("row",)})
    floor = pd.DataFrame({"metric": ds["floor_metric"].values, "value": ds["floor_value"].values})
    return table, floor


def draw(ds: xr.Dataset, cfg: dict) -> Figure:
    """Figure ``evaluation`` from its numbers (the registry's drawing step)."""
    table, floor = tables(ds)
    return evaluation_figure(table, floor, cfg["data"]["label"])
