"""The cross-site summary: every site's metrics against its own real-vs-real noise floor.

Each site's ``metrics.csv`` (the ``evaluate`` rule) judges every generator on the site's
held-out years, beside the floor between two disjoint sets of the site's real years. Across
sites the raw values are not comparable (a humid coast has a smaller daily range than a
desert), but the ratio to the site's own floor is: 1 means "as far from the held-out years as
another set of the site's real years is". The summary stacks those ratios into one tidy table
(:func:`summarise`) and condenses it per site and generator (:func:`site_table`): metrics
within the floor's 95th percentile, the median ratio, and the classifier's accuracy.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from seasonal_vae.core.atomic import atomic_path
from seasonal_vae.core.errors import InputError
from seasonal_vae.evaluation.metrics_table import read_metrics, within_floor

#: Columns of the tidy summary (results/sites/summary.csv).
COLUMNS = (
    "site",
    "generator",
    "family",
    "metric",
    "label",
    "value",
    "floor_median",
    "floor_p95",
    "ratio",
    "p95_ratio",
    "within_floor",
)


def summarise(files: Mapping[str, str | Path]) -> pd.DataFrame:
    """Every site's metrics (``{site: metrics.csv}``) as one tidy table (:data:`COLUMNS`).

    ``ratio`` is the value over the floor's median, ``p95_ratio`` over its 95th percentile
    (≤ 1: within the floor). The classifier's accuracy (its mean over seeds) is kept as the
    extra column ``accuracy`` on its row. Sites must judge the same metrics.
    """
    if not files:
        raise InputError("site summary", "no site's metrics given", "pass one SITE=metrics.csv per site")
    tables, metrics = [], None
    for site, path in files.items():
        table = read_metrics(path)
        table = table.assign(
            site=site, within_floor=within_floor(table), p95_ratio=table["value"] / table["floor_p95"]
        )
        names = list(dict.fromkeys(table["metric"]))
        if metrics is None:
            metrics = names
        elif set(names) != set(metrics):
            raise InputError(
                path,
                f"judges other metrics than the first site's ({sorted(set(names) ^ set(metrics))})",
                "rebuild every site's evaluation with the same code and config (snakemake)",
            )
        accuracy = table["score"] if "score" in table else np.nan
        tables.append(
            table.assign(accuracy=np.where(table["metric"] == "classifier_accuracy", accuracy, np.nan))
        )
    return pd.concat(tables, ignore_index=True)[[*COLUMNS, "accuracy"]]


def site_table(tidy: pd.DataFrame) -> pd.DataFrame:
    """Per site and generator (in the tables' order): metrics within the floor, metrics judged,
    the median ratio to the floor's median and the classifier's accuracy (NaN without one)."""
    by = tidy.groupby(["site", "generator"], sort=False)
    return pd.DataFrame(
        {
            "within": by["within_floor"].sum().astype(int),
            "metrics": by["within_floor"].size(),
            "median_ratio": by["ratio"].median(),
            "accuracy": by["accuracy"].max(),
        }
    ).reset_index()


def summary_markdown(tidy: pd.DataFrame, titles: Mapping[str, str] | None = None) -> str:
    """The summary as Markdown: one row per generator, one column per site, each cell
    "within / judged · median ratio · classifier accuracy"."""
    table = site_table(tidy)
    sites = list(dict.fromkeys(table["site"]))
    titles = {site: (titles or {}).get(site, site) for site in sites}
    lines = [
        "Every site against its own noise floor (held-out years; floor: two disjoint sets of the "
        "site's real years). Cells: metrics within the floor's 95th percentile / metrics judged · "
        "median ratio to the floor's median · classifier accuracy (0.5: cannot tell generated "
        "from real).",
        "",
        "| Generator | "
        + " | ".join(f"{site} ({titles[site]})" if titles[site] != site else site for site in sites)
        + " |",
        "|---|" + "---|" * len(sites),
    ]
    for generator in dict.fromkeys(table["generator"]):
        cells = []
        for site in sites:
            row = table[(table["site"] == site) & (table["generator"] == generator)]
            if row.empty:
                cells.append("–")
                continue
            r = row.iloc[0]
            acc = "" if np.isnan(r["accuracy"]) else f" · {r['accuracy']:.2f}"
            cells.append(f"{r['within']}/{r['metrics']} · {r['median_ratio']:.2g}×{acc}")
        lines.append(f"| {generator} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_summary(files: Mapping[str, str | Path], csv_path, markdown_path, titles=None) -> pd.DataFrame:
    """Write the tidy summary (CSV) and its Markdown table, each atomically."""
    tidy = summarise(files)
    with atomic_path(csv_path) as tmp:
        tidy.to_csv(tmp, index=False, float_format="%.6g")
    with atomic_path(markdown_path) as tmp:
        Path(tmp).write_text(summary_markdown(tidy, titles), encoding="utf-8")
    return tidy


def read_summary(path: str | Path) -> pd.DataFrame:
    """Read results/sites/summary.csv back, checking its columns."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found", "run the site_summary step first")
    tidy = pd.read_csv(path)
    missing = [c for c in COLUMNS if c not in tidy]
    if missing:
        raise InputError(path, f"lacks columns {missing}", "pass the summary.csv written by site-summary")
    return tidy
