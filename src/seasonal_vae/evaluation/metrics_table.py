"""The metrics table: assembled from the rows of the evaluation, written, summarised, read back.

``metrics.csv`` is tidy: one row per metric and generator, with the columns :data:`COLUMNS`
(the metric's family, label and unit from :mod:`seasonal_vae.evaluation.metric_info`, the
value, the noise floor's median and 95th percentile, their ratio, whether the value is within
the floor, whether each generated path's value is (``within_by_path``: one ``y`` or ``n`` per
path), the spread over paths or seeds, and for the classifier the raw scores).
:func:`metrics_markdown` is its Markdown table (one column per generator, then the counts path
by path, :func:`path_counts`) and :func:`summary` counts, per generator, the metrics within the
floor.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from seasonal_vae.core.atomic import atomic_path
from seasonal_vae.core.errors import InputError
from seasonal_vae.evaluation.metric_info import ALL_METRICS

#: Columns of ``metrics.csv``, in order.
COLUMNS = (
    "family",
    "metric",
    "label",
    "unit",
    "generator",
    "value",
    "floor_median",
    "floor_p95",
    "ratio",
    "within_floor",
    "within_by_path",
    "n_floor",
    "spread_low",
    "spread_high",
    "spread",
    "score",
    "score_low",
    "score_high",
)


def assemble(rows: list[dict], floor: pd.DataFrame) -> pd.DataFrame:
    """The tidy metrics table: generator rows with their floor, ratio and metadata."""
    table = pd.DataFrame(rows)
    if floor.empty:
        stats = pd.DataFrame({"floor_median": [], "floor_p95": [], "n_floor": []})
    else:
        grouped = floor.dropna(subset=["value"]).groupby("metric")["value"]
        stats = pd.DataFrame(
            {
                "floor_median": grouped.median(),
                "floor_p95": grouped.quantile(0.95),
                "n_floor": grouped.count(),
            }
        )
    table = table.join(stats, on="metric")
    info = {m.name: m for m in ALL_METRICS}
    table["family"] = table["metric"].map(lambda m: info[m].family)
    table["label"] = table["metric"].map(lambda m: info[m].label)
    table["unit"] = table["metric"].map(lambda m: info[m].unit)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = table["value"] / table["floor_median"]
    table["ratio"] = ratio.where(table["floor_median"] > 0)
    table["within_floor"] = (table["value"] <= table["floor_p95"]).where(
        table["floor_p95"].notna() & table["value"].notna()
    )
    table["within_by_path"] = [
        by_path(values, p95)
        for values, p95 in zip(table.get("path_values", [None] * len(table)), table["floor_p95"])
    ]
    table["n_floor"] = table["n_floor"].fillna(0).astype(int)
    for column in COLUMNS:
        if column not in table:
            table[column] = np.nan
    table["spread"] = table["spread"].fillna("")
    order = {m.name: i for i, m in enumerate(ALL_METRICS)}
    gens = list(dict.fromkeys(table["generator"]))
    table = table.assign(_m=table["metric"].map(order), _g=table["generator"].map(gens.index)).sort_values(
        ["_m", "_g"]
    )
    return table[list(COLUMNS)].reset_index(drop=True)


def by_path(values, p95) -> str:
    """Whether each path's value is within the floor (at or below its 95th percentile): one
    character per path, ``y`` or ``n`` (``-`` where the value is missing), the column
    ``within_by_path``. Empty for a metric judged on path 0 only (the classifier) or without a
    floor."""
    if not isinstance(values, (list, tuple, np.ndarray)) or not len(values) or not np.isfinite(p95):
        return ""
    return "".join(
        "-" if not np.isfinite(v) else "y" if v <= p95 else "n" for v in np.asarray(values, dtype=float)
    )


def path_counts(table: pd.DataFrame, generator: str) -> list[int]:
    """For one generator, the number of metrics within the floor in each of its paths, of the
    metrics that are judged path by path (``within_by_path``; path 0's count is the table's
    count less the classifier's)."""
    marks = [
        str(m)
        for m in table.loc[table["generator"] == generator, "within_by_path"]
        if isinstance(m, str) and m
    ]
    if not marks:
        return []
    return [sum(m[k] == "y" for m in marks) for k in range(min(len(m) for m in marks))]


def _num(value: float) -> str:
    if value is None or not np.isfinite(value):
        return "—"
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.2g}" if abs(value) < 0.01 else f"{value:.3g}"


def metrics_markdown(table: pd.DataFrame, holdout_years=None, n_splits: int | None = None) -> str:
    """The metrics table as Markdown: one row per metric, one column per generator.

    Each generator cell shows the value, its ratio to the floor median and ✓ when the value
    is at or below the floor's 95th percentile.
    """
    gens = list(dict.fromkeys(table["generator"]))
    lines = []
    if holdout_years is not None:
        years = list(holdout_years)
        lines.append(
            f"Metrics on {len(years)} held-out real years ({', '.join(map(str, years))}); "
            "generators on the same dates, path 0. Floor: the same metric between two "
            f"disjoint sets of real years{f' ({n_splits} splits)' if n_splits else ''}. "
            "Cells: value · ratio to the floor median; ✓ = within the floor "
            "(≤ its 95th percentile). 0 is ideal for every metric.\n"
        )
    lines.append("| Family | Metric | Unit | Floor median (p95) | " + " | ".join(gens) + " |")
    lines.append("|" + "---|" * (4 + len(gens)))
    last_family = None
    for _metric, rows in table.groupby("metric", sort=False):
        first = rows.iloc[0]
        family = first["family"] if first["family"] != last_family else ""
        last_family = first["family"]
        cells = []
        for g in gens:
            row = rows[rows["generator"] == g]
            if row.empty:
                cells.append("—")
                continue
            r = row.iloc[0]
            ratio = f" · {r['ratio']:.1f}×" if np.isfinite(r["ratio"]) else ""
            mark = " ✓" if r["within_floor"] in (True, 1.0) else ""
            cells.append(f"{_num(r['value'])}{ratio}{mark}")
        floor = f"{_num(first['floor_median'])} ({_num(first['floor_p95'])})"
        label = str(first["label"]).replace("|", "\\|")
        lines.append(f"| {family} | {label} | {first['unit']} | {floor} | " + " | ".join(cells) + " |")
    per_path = {g: path_counts(table, g) for g in gens}
    if any(len(c) > 1 for c in per_path.values()):
        judged = sum(bool(m) for m in table.loc[table["generator"] == gens[0], "within_by_path"].fillna(""))
        lines.append(
            f"\nWithin the floor path by path (the {judged} metrics computed on every path; path 0 is the "
            "table's): " + "; ".join(f"{g} {', '.join(map(str, c))}" for g, c in per_path.items() if c) + "."
        )
    clf = table[table["metric"] == "classifier_accuracy"]
    if not clf.empty:
        parts = []
        for _, r in clf.iterrows():
            auc = table[(table["metric"] == "classifier_auroc") & (table["generator"] == r["generator"])]
            a = auc.iloc[0] if len(auc) else None
            interval = f"[{_num(r['score_low'])}, {_num(r['score_high'])}]"
            text = f"{r['generator']} accuracy {_num(r['score'])} {interval}"
            if a is not None:
                text += f", AUROC {_num(a['score'])} [{_num(a['score_low'])}, {_num(a['score_high'])}]"
            parts.append(text)
        lines.append(
            "\nClassifier scores (mean over seeds, 95 % t-interval; 0.5 = cannot tell "
            "real from generated): " + "; ".join(parts) + "."
        )
    return "\n".join(lines) + "\n"


def write_outputs(
    table: pd.DataFrame,
    floor: pd.DataFrame,
    ctx,
    csv_path: str | Path,
    md_path: str | Path,
    floor_path: str | Path | None = None,
) -> None:
    """Write ``metrics.csv``, its Markdown table and (optionally) the floor's per-split values.

    ``table``, ``floor`` and ``ctx`` are what :func:`seasonal_vae.evaluation.suite.evaluate`
    returns (of ``ctx``, only its ``holdout_years`` are used).
    """
    with atomic_path(csv_path) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    n_splits = int(floor["split"].nunique()) if not floor.empty else 0
    with atomic_path(md_path) as tmp:
        tmp.write_text(metrics_markdown(table, ctx.holdout_years, n_splits), encoding="utf-8")
    if floor_path is not None:
        with atomic_path(floor_path) as tmp:
            floor.to_csv(tmp, index=False, float_format="%.6g")


def within_floor(table: pd.DataFrame) -> pd.Series:
    """The ``within_floor`` column as booleans, whether it holds booleans or, read back from
    metrics.csv, their text."""
    return table["within_floor"].astype(str).isin(["True", "1.0"])


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per generator (in table order): metrics within the floor, metrics judged, median ratio."""
    within = within_floor(table)
    by = table.assign(within=within).groupby("generator", sort=False)
    order = list(dict.fromkeys(table["generator"]))
    return pd.DataFrame(
        {
            "metrics within the floor": by["within"].sum(),
            "metrics": by["within"].size(),
            "median ratio": by["ratio"].median(),
        }
    ).loc[order]


def read_metrics(path: str | Path) -> pd.DataFrame:
    """Read ``metrics.csv`` back, checking its columns."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found", "run the evaluate step first")
    table = pd.read_csv(path)
    missing = [
        c for c in ("metric", "generator", "value", "floor_median", "floor_p95", "ratio") if c not in table
    ]
    if missing:
        raise InputError(path, f"lacks columns {missing}", "pass the metrics.csv written by evaluate")
    return table
