"""Judge generators against held-out real years and against the real-vs-real noise floor.

What is compared
----------------
*Target*: the real series (``results/series.nc``: observed °F, local standard time, trend
included) over the held-out years (``split_years(years, windows.holdout_every,
windows.holdout_offset)[1]``; 1978, 1983, …, 2023 by default), whole local calendar years
(a year's hours missing from the record, such as the last seven hours of 2023 in local time,
are NaN and left out of both sides of every comparison).

*Generators*: any number of netCDF files with ``t2m`` (path, time) in °F in the observed
climate of their dates (the VAE's ``results/samples/*.nc``, the baselines of
:mod:`seasonal_vae.model.baselines`), restricted to the same hours. The headline value of a metric
is that of path 0; with several paths, the range over paths is reported beside it (the
classifier uses path 0 only).

*Noise floor*: the same metrics between two disjoint sets of real years of the held-out
size: the systematic splits into two of the ``holdout_every`` year classes used for holding
out (each spread evenly over the record, like the held-out set) and ``n_splits`` random
splits. Set B is put on set A's dates exactly as the bootstrap baseline puts a training
year on a target year (:func:`seasonal_vae.model.baselines.map_years`: detrended values, same
month/day/hour, then the trend of A's dates), so that no split is judged on the warming
between its years. The floor of a metric is the median and 95th percentile over splits.

*Ratio* = generator value / floor median: 1 means "as far from the held-out years as another
set of real years is"; *within floor* means value ≤ the floor's 95th percentile. Every metric
is a distance (0 ideal; the year-to-year variability ratio enters as ``|log ratio|``, the
classifier as ``|score − 0.5|``), so the ratio needs no special case.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.core.atomic import atomic_path
from seasonal_vae.model.baselines import map_years
from seasonal_vae.evaluation.classifier import CLASSIFIER_METRICS, classifier_scores, summarise_scores, t_interval
from seasonal_vae.core.config import split_years
from seasonal_vae.data.detrend import detrend, retrend
from seasonal_vae.core.errors import InputError
from seasonal_vae.evaluation.metrics import METRICS, hot_threshold, metric_suite
from seasonal_vae.data.series import load_series, open_checked

log = logging.getLogger(__name__)

ALL_METRICS = METRICS + CLASSIFIER_METRICS

#: Columns of ``metrics.csv``, in order.
COLUMNS = ("family", "metric", "label", "unit", "generator", "value", "floor_median", "floor_p95",
           "ratio", "within_floor", "n_floor", "spread_low", "spread_high", "spread",
           "score", "score_low", "score_high")

GENERATOR_FIX = ("pass a netCDF file with t2m (path, time) in degF over the record's dates, "
                 "as written by the sample or baseline steps")


@dataclass
class EvaluationSettings:
    """Knobs of the evaluation (config section ``evaluation``; these are the defaults).

    Attributes
    ----------
    seed
        Seed of the floor's random splits and of the classifier's seeds.
    n_splits
        Random real-vs-real splits of the floor (the systematic splits come on top).
    classifier_seeds
        Classifier fits per generator (different data splits and initialisations).
    classifier_floor_splits
        Real-vs-real splits on which the classifier's floor is measured (one fit each).
    classifier_epochs
        Training passes of each classifier fit.
    window_days
        Length of the classifier's windows.
    hot_percentile, hot_half_window, min_spell_days, extreme_degF
        Hot-day threshold (calendar-day percentile of the training years' daily maxima,
        pooled over ±``hot_half_window`` days), shortest hot spell, and the absolute
        threshold of the extreme-day count.
    classifier
        Run the classifier at all (off: its rows are left out).
    baseline_maxlag
        Largest AR order the harmonic + AR baseline tries (the order is chosen by AIC).
    """

    seed: int = 2024
    n_splits: int = 50
    classifier_seeds: int = 5
    classifier_floor_splits: int = 10
    classifier_epochs: int = 20
    window_days: int = 7
    hot_percentile: float = 90.0
    hot_half_window: int = 7
    min_spell_days: int = 3
    extreme_degF: float = 110.0
    classifier: bool = True
    baseline_maxlag: int = 72

    @classmethod
    def from_config(cls, cfg: dict, **overrides) -> EvaluationSettings:
        """Settings from ``cfg["evaluation"]`` (if present), then ``overrides`` (if not None)."""
        section = dict(cfg.get("evaluation", {}) or {})
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in section.items() if k in names}
        values.update({k: v for k, v in overrides.items() if v is not None and k in names})
        return cls(**values)


# --------------------------------------------------------------------------------------------
# Sets of whole years
# --------------------------------------------------------------------------------------------
def year_times(years) -> pd.DatetimeIndex:
    """Every hour of the given calendar years, in order."""
    parts = [pd.date_range(f"{y}-01-01", f"{y}-12-31 23:00", freq="h") for y in sorted(years)]
    return parts[0].append(parts[1:]) if parts else pd.DatetimeIndex([])


def year_set(da: xr.DataArray, years) -> xr.DataArray:
    """``da`` on every hour of ``years`` (NaN where it has no value), float64."""
    times = year_times(years)
    values = da.astype("float64").to_series().reindex(times).to_numpy()
    return xr.DataArray(values, dims="time", coords={"time": times.values}, name="t2m",
                        attrs={"units": "degF"})


def mapped_set(detrended: xr.DataArray, source_years, target_years, rate_per_decade: float,
               reference_year: int) -> xr.DataArray:
    """Real years ``source_years`` put on the dates of ``target_years`` (paired in order),
    in the climate of those dates."""
    times = year_times(target_years)
    mapping = dict(zip(sorted(target_years), source_years))
    values = map_years(detrended, times, mapping)
    return retrend(values, rate_per_decade, reference_year).rename("t2m")


def usable_years(da: xr.DataArray, years, min_coverage: float = 0.99) -> list[int]:
    """Those of ``years`` with valid values for at least ``min_coverage`` of their hours."""
    index = da.dropna("time")["time"].to_index()
    counts = pd.Series(1, index=index).groupby(index.year).sum()
    return [int(y) for y in years
            if counts.get(y, 0) >= min_coverage * len(year_times([y]))]


def floor_splits(years, size: int, n_random: int, seed: int,
                 stride: int | None = None) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Pairs (A, B) of disjoint sets of ``size`` real years for the noise floor.

    First the systematic splits: with ``stride`` (``windows.holdout_every``), the years fall
    into ``stride`` classes by ``(year − first) % stride``, each spread evenly over the record;
    every pair of classes with at least ``size`` years gives one split (their first ``size``
    years). Then ``n_random`` random splits (seeded); if fewer distinct splits exist, all of
    them are used instead.

    Returns
    -------
    list of (tuple, tuple)
        Year sets A and B, each sorted; no split repeats.
    """
    years = sorted(int(y) for y in years)
    if size < 1 or len(years) < 2 * size:
        return []
    splits: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    if stride and stride > 1:
        classes = [[y for y in years if (y - years[0]) % stride == k] for k in range(stride)]
        classes = [c[:size] for c in classes if len(c) >= size]
        splits += [(tuple(a), tuple(b)) for a, b in itertools.combinations(classes, 2)]
    n_total = math.comb(len(years), size) * math.comb(len(years) - size, size)
    seen = set(splits)
    if n_total - len(seen) <= n_random:
        for a in itertools.combinations(years, size):
            rest = [y for y in years if y not in a]
            for b in itertools.combinations(rest, size):
                if (a, b) not in seen:
                    splits.append((a, b))
                    seen.add((a, b))
        return splits
    rng = np.random.default_rng([seed, 1])
    added = 0
    while added < n_random:
        pick = rng.choice(years, 2 * size, replace=False)
        split = (tuple(sorted(pick[:size].tolist())), tuple(sorted(pick[size:].tolist())))
        if split not in seen:
            splits.append(split)
            seen.add(split)
            added += 1
    return splits


def load_generator(path: str | Path) -> xr.DataArray:
    """``t2m`` (path, time) in °F from a generator's netCDF file."""
    ds = open_checked(path, GENERATOR_FIX, dims=("path", "time"))
    t2m = ds["t2m"]
    if t2m.attrs.get("units", "degF") != "degF":
        raise InputError(path, f"'t2m' is in {t2m.attrs['units']!r}, not 'degF'", GENERATOR_FIX)
    return t2m


# --------------------------------------------------------------------------------------------
# The evaluation
# --------------------------------------------------------------------------------------------
@dataclass
class Context:
    """What every comparison shares: years, trend settings, hot-day threshold, settings."""

    train_years: list[int]
    holdout_years: list[int]
    floor_years: list[int]
    rate_per_decade: float
    reference_year: int
    threshold: np.ndarray
    settings: EvaluationSettings
    stride: int = 5

    def suite(self, a: xr.DataArray, b: xr.DataArray) -> dict[str, float]:
        s = self.settings
        return metric_suite(a, b, self.threshold, s.min_spell_days, s.extreme_degF)

    def classifier_seeds(self) -> list[int]:
        return [self.settings.seed * 100 + k for k in range(self.settings.classifier_seeds)]


def build_context(real: xr.DataArray, cfg: dict, settings: EvaluationSettings) -> Context:
    """Years, trend and hot-day threshold from the configuration and the real series."""
    d, w = cfg["data"], cfg["windows"]
    configured = range(d["first_year"], d["last_year"] + 1)
    train, holdout = split_years(configured, w["holdout_every"], w["holdout_offset"])
    present = set(usable_years(real, configured, min_coverage=0.99))
    train = [y for y in train if y in present]
    holdout = [y for y in holdout if y in present]
    if not holdout or not train:
        raise InputError("series", f"has {len(train)} usable training and {len(holdout)} "
                         "usable held-out years (≥ 99 % of hours present)",
                         "use a series that covers the configured years")
    threshold = hot_threshold(year_set(real, train), settings.hot_percentile,
                              settings.hot_half_window)
    return Context(train, holdout, sorted(present), float(cfg["detrend"]["rate_per_decade"]),
                   int(cfg["detrend"]["reference_year"]), threshold, settings,
                   stride=int(w["holdout_every"]))


def _check_coverage(name: str, target: xr.DataArray, generated: xr.DataArray, path) -> None:
    need = np.isfinite(target.values)
    have = np.isfinite(generated.values) & need
    if need.sum() and have.sum() < 0.99 * need.sum():
        raise InputError(path, f"generator {name!r} covers only {have.sum() / need.sum():.0%} of "
                         "the held-out hours", "generate paths over the whole record's dates "
                         "(or at least the held-out years)")


def evaluate_generator(name: str, path: str | Path, target: xr.DataArray,
                       ctx: Context) -> list[dict]:
    """Rows of the metrics table for one generator file."""
    t2m = load_generator(path)
    n_paths = t2m.sizes["path"]
    per_path = []
    gen0 = None
    for p in range(n_paths):
        gen = year_set(t2m.isel(path=p, drop=True), ctx.holdout_years)
        _check_coverage(name, target, gen, path)
        if p == 0:
            gen0 = gen
        per_path.append(ctx.suite(target, gen))
    log.info("%s: %d metrics on %d path(s)", name, len(per_path[0]), n_paths)
    rows = []
    for info in METRICS:
        values = np.array([m[info.name] for m in per_path])
        spread = n_paths > 1 and np.isfinite(values).any()
        rows.append({"metric": info.name, "generator": name, "value": values[0],
                     "spread_low": np.nanmin(values) if spread else np.nan,
                     "spread_high": np.nanmax(values) if spread else np.nan,
                     "spread": f"min-max over {n_paths} paths" if n_paths > 1 else ""})
    if ctx.settings.classifier:
        scores = classifier_scores(target, gen0, ctx.classifier_seeds(),
                                   ctx.settings.classifier_epochs, ctx.settings.window_days)
        summary = summarise_scores(scores)
        for key, column in (("classifier_accuracy", "accuracy"), ("classifier_auroc", "auroc")):
            s = summary[key]
            _, low, high = t_interval(np.abs(scores[column].to_numpy(dtype=float) - 0.5))
            rows.append({"metric": key, "generator": name, "value": s["value"],
                         "spread_low": low, "spread_high": high,
                         "spread": f"95% t-interval over {s['n']} seeds (path 0)",
                         "score": s["raw"], "score_low": s["low"], "score_high": s["high"]})
        log.info("%s: classifier accuracy %.3f, AUROC %.3f (mean of %d seeds)", name,
                 summary["classifier_accuracy"]["raw"], summary["classifier_auroc"]["raw"],
                 summary["classifier_auroc"]["n"])
    return rows


def noise_floor(real: xr.DataArray, ctx: Context) -> pd.DataFrame:
    """Every metric between disjoint sets of real years (one row per split and metric)."""
    s = ctx.settings
    size = len(ctx.holdout_years)
    if len(ctx.floor_years) < 2 * size:
        size = len(ctx.floor_years) // 2
        log.warning("the record has only %d usable years: the noise floor compares sets of %d "
                    "year(s), not %d like the held-out set", len(ctx.floor_years), size,
                    len(ctx.holdout_years))
    if size < 1:
        log.warning("too few real years for a noise floor: metrics are reported without one")
        return pd.DataFrame(columns=["split", "years_a", "years_b", "metric", "value"])
    splits = floor_splits(ctx.floor_years, size, s.n_splits, s.seed,
                          stride=ctx.stride)
    if len(splits) < s.n_splits:
        log.warning("only %d distinct real-vs-real splits of %d vs %d years exist in %d years: "
                    "the noise floor's median and 95th percentile rest on %d values",
                    len(splits), size, size, len(ctx.floor_years), len(splits))
    detrended = detrend(real.astype("float64"), ctx.rate_per_decade, ctx.reference_year)
    rng = np.random.default_rng([s.seed, 2])
    rows = []
    for k, (years_a, years_b) in enumerate(splits):
        a = year_set(real, years_a)
        b = mapped_set(detrended, rng.permutation(years_b).tolist(), years_a,
                       ctx.rate_per_decade, ctx.reference_year)
        label = {"split": k, "years_a": " ".join(map(str, years_a)),
                 "years_b": " ".join(map(str, years_b))}
        for metric, value in ctx.suite(a, b).items():
            rows.append({**label, "metric": metric, "value": value})
        if s.classifier and k < s.classifier_floor_splits:
            scores = classifier_scores(a, b, [s.seed * 100 + 50 + k], s.classifier_epochs,
                                       s.window_days)
            for key, value in summarise_scores(scores).items():
                rows.append({**label, "metric": key, "value": value["value"]})
    log.info("noise floor: %d splits of %d vs %d real years (classifier on %d of them)",
             len(splits), size, size, min(len(splits), s.classifier_floor_splits)
             if s.classifier else 0)
    return pd.DataFrame(rows)


def assemble(rows: list[dict], floor: pd.DataFrame) -> pd.DataFrame:
    """The tidy metrics table: generator rows with their floor, ratio and metadata."""
    table = pd.DataFrame(rows)
    if floor.empty:
        stats = pd.DataFrame({"floor_median": [], "floor_p95": [], "n_floor": []})
    else:
        grouped = floor.dropna(subset=["value"]).groupby("metric")["value"]
        stats = pd.DataFrame({"floor_median": grouped.median(),
                              "floor_p95": grouped.quantile(0.95),
                              "n_floor": grouped.count()})
    table = table.join(stats, on="metric")
    info = {m.name: m for m in ALL_METRICS}
    table["family"] = table["metric"].map(lambda m: info[m].family)
    table["label"] = table["metric"].map(lambda m: info[m].label)
    table["unit"] = table["metric"].map(lambda m: info[m].unit)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = table["value"] / table["floor_median"]
    table["ratio"] = ratio.where(table["floor_median"] > 0)
    table["within_floor"] = (table["value"] <= table["floor_p95"]).where(
        table["floor_p95"].notna() & table["value"].notna())
    table["n_floor"] = table["n_floor"].fillna(0).astype(int)
    for column in COLUMNS:
        if column not in table:
            table[column] = np.nan
    table["spread"] = table["spread"].fillna("")
    order = {m.name: i for i, m in enumerate(ALL_METRICS)}
    gens = list(dict.fromkeys(table["generator"]))
    table = table.assign(_m=table["metric"].map(order),
                         _g=table["generator"].map(gens.index)).sort_values(["_m", "_g"])
    return table[list(COLUMNS)].reset_index(drop=True)


def evaluate(series_path: str | Path, generators: dict[str, str | Path], cfg: dict,
             settings: EvaluationSettings | None = None) -> tuple[pd.DataFrame, pd.DataFrame, Context]:
    """Compute every metric for every generator and the noise floor.

    Parameters
    ----------
    series_path
        ``results/series.nc`` (observed, °F, local standard time).
    generators
        ``{name: netCDF path}``, in the order of the table's columns.
    cfg
        Validated configuration (``data``, ``windows``, ``detrend``; ``evaluation`` if present).
    settings
        Evaluation knobs; from ``cfg`` if ``None``.

    Returns
    -------
    tuple
        The metrics table (columns :data:`COLUMNS`), the floor's per-split values, and the
        :class:`Context` (years used).
    """
    if not generators:
        raise InputError("--generator", "no generator given", "pass --generator NAME=PATH")
    settings = settings or EvaluationSettings.from_config(cfg)
    real = load_series(series_path).astype("float64")
    ctx = build_context(real, cfg, settings)
    log.info("held-out years %s; training years %d; floor from %d real years", ctx.holdout_years,
             len(ctx.train_years), len(ctx.floor_years))
    target = year_set(real, ctx.holdout_years)
    rows = []
    for name, path in generators.items():
        rows += evaluate_generator(name, path, target, ctx)
    floor = noise_floor(real, ctx)
    return assemble(rows, floor), floor, ctx


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------
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
        lines.append(f"Metrics on {len(years)} held-out real years ({', '.join(map(str, years))}); "
                     "generators on the same dates, path 0. Floor: the same metric between two "
                     f"disjoint sets of real years{f' ({n_splits} splits)' if n_splits else ''}. "
                     "Cells: value · ratio to the floor median; ✓ = within the floor "
                     "(≤ its 95th percentile). 0 is ideal for every metric.\n")
    lines.append("| Family | Metric | Unit | Floor median (p95) | " + " | ".join(gens) + " |")
    lines.append("|" + "---|" * (4 + len(gens)))
    last_family = None
    for metric, rows in table.groupby("metric", sort=False):
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
        lines.append(f"| {family} | {label} | {first['unit']} | {floor} | "
                     + " | ".join(cells) + " |")
    clf = table[table["metric"] == "classifier_accuracy"]
    if not clf.empty:
        parts = []
        for _, r in clf.iterrows():
            auc = table[(table["metric"] == "classifier_auroc") & (table["generator"] == r["generator"])]
            a = auc.iloc[0] if len(auc) else None
            text = f"{r['generator']} accuracy {_num(r['score'])} [{_num(r['score_low'])}, {_num(r['score_high'])}]"
            if a is not None:
                text += f", AUROC {_num(a['score'])} [{_num(a['score_low'])}, {_num(a['score_high'])}]"
            parts.append(text)
        lines.append("\nClassifier scores (mean over seeds, 95 % t-interval; 0.5 = cannot tell "
                     "real from generated): " + "; ".join(parts) + ".")
    return "\n".join(lines) + "\n"


def write_outputs(table: pd.DataFrame, floor: pd.DataFrame, ctx: Context, csv_path: str | Path,
                  md_path: str | Path, floor_path: str | Path | None = None) -> None:
    """Write ``metrics.csv``, its Markdown table and (optionally) the floor's per-split values."""
    with atomic_path(csv_path) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    n_splits = int(floor["split"].nunique()) if not floor.empty else 0
    with atomic_path(md_path) as tmp:
        tmp.write_text(metrics_markdown(table, ctx.holdout_years, n_splits), encoding="utf-8")
    if floor_path is not None:
        with atomic_path(floor_path) as tmp:
            floor.to_csv(tmp, index=False, float_format="%.6g")


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per generator (in table order): metrics within the floor, metrics judged, median ratio."""
    within = table["within_floor"].astype(str).isin(["True", "1.0"])
    by = table.assign(within=within).groupby("generator", sort=False)
    order = list(dict.fromkeys(table["generator"]))
    return pd.DataFrame({"metrics within the floor": by["within"].sum(),
                         "metrics": by["within"].size(),
                         "median ratio": by["ratio"].median()}).loc[order]


def read_metrics(path: str | Path) -> pd.DataFrame:
    """Read ``metrics.csv`` back, checking its columns."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found", "run the evaluate step first")
    table = pd.read_csv(path)
    missing = [c for c in ("metric", "generator", "value", "floor_median", "floor_p95", "ratio")
               if c not in table]
    if missing:
        raise InputError(path, f"lacks columns {missing}", "pass the metrics.csv written by evaluate")
    return table
