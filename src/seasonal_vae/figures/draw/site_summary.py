"""Figure ``site_summary``: every site and generator against the site's own noise floor.

A heat map with one column per metric (grouped by family) and one row per generator and
site; the colour is the metric over the floor's 95th percentile on a log scale, blue where it
is within the floor (≤ 1) and red where it is not, and a tick marks the cells within it. The
numbers come from results/sites/summary.csv (:mod:`seasonal_vae.evaluation.site_summary`).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from seasonal_vae.evaluation.site_summary import read_summary
from seasonal_vae.figures.draw.style import apply_style, save_figure

#: Colour limits in log10(value / floor p95): a tenth of the floor .. 30 times it.
LIMITS = (-1.0, 1.5)


def plot_site_summary(summary_csv: str | Path, out_png: str | Path):
    """Draw the cross-site heat map from ``summary_csv``; write PNG and SVG beside it."""
    apply_style()
    tidy = read_summary(summary_csv)
    metrics = list(dict.fromkeys(tidy["metric"]))
    families = tidy.drop_duplicates("metric").set_index("metric")["family"].reindex(metrics)
    labels = tidy.drop_duplicates("metric").set_index("metric")["label"].reindex(metrics)
    rows = list(dict.fromkeys(zip(tidy["generator"], tidy["site"], strict=True)))
    rows.sort(key=lambda r: list(dict.fromkeys(tidy["generator"])).index(r[0]))
    keyed = tidy.set_index(["generator", "site", "metric"])
    ratio = np.array([[keyed["p95_ratio"].get((g, s, m), np.nan) for m in metrics] for g, s in rows])
    within = np.array([[bool(keyed["within_floor"].get((g, s, m), False)) for m in metrics] for g, s in rows])
    log_ratio = np.log10(np.clip(ratio, 10 ** LIMITS[0], 10 ** LIMITS[1]))

    fig, ax = plt.subplots(figsize=(13, 2.6 + 0.3 * len(rows)))
    sns.heatmap(
        log_ratio,
        ax=ax,
        cmap="vlag",
        center=0,
        vmin=LIMITS[0],
        vmax=LIMITS[1],
        annot=np.where(within, "✓", ""),
        fmt="",
        annot_kws={"fontsize": 8},
        linewidths=0.5,
        linecolor="white",
        cbar_kws={"label": "metric / floor's 95th percentile (log scale)", "shrink": 0.8},
        xticklabels=[str(labels[m]) for m in metrics],
        yticklabels=[f"{g} · {s}" for g, s in rows],
    )
    colorbar = ax.collections[0].colorbar
    ticks = [t for t in (-1, -0.5, 0, 0.5, 1, 1.5) if LIMITS[0] <= t <= LIMITS[1]]
    colorbar.set_ticks(ticks, labels=[f"{10**t:.2g}" for t in ticks])
    ax.tick_params(axis="x", labelrotation=90, labelsize=7)
    ax.tick_params(axis="y", labelsize=8)
    for i, family in enumerate(families):  # a rule between metric families
        if i and family != families.iloc[i - 1]:
            ax.axvline(i, color="black", lw=0.8)
    for i, (generator, _) in enumerate(rows):  # and between generators
        if i and generator != rows[i - 1][0]:
            ax.axhline(i, color="black", lw=0.8)
    n_sites = len(dict.fromkeys(tidy["site"]))
    ax.set_title(
        f"Every generator at {n_sites} sites, against each site's own real-vs-real floor (✓: within it)"
    )
    return save_figure(fig, out_png)
