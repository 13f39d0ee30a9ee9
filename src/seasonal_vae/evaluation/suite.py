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
size (:mod:`seasonal_vae.evaluation.years`): the systematic splits into two of the
``holdout_every`` year classes used for holding out (each spread evenly over the record, like
the held-out set) and ``n_splits`` random
splits. Set B is put on set A's dates exactly as the bootstrap baseline puts a training
year on a target year (:func:`seasonal_vae.model.bootstrap.map_years`: detrended values, same
month/day/hour, then the trend of A's dates), so that no split is judged on the warming
between its years. The floor of a metric is the median and 95th percentile over splits.

*Ratio* = generator value / floor median: 1 means "as far from the held-out years as another
set of real years is"; *within floor* means value ≤ the floor's 95th percentile. Every metric
is a distance (0 ideal; the year-to-year variability ratio enters as ``|log ratio|``, the
classifier as ``|score − 0.5|``), so the ratio needs no special case. The table is assembled
and written by :mod:`seasonal_vae.evaluation.metrics_table`.

How it is computed
------------------
The held-out years' statistics are computed once and reused for every path that leaves none
of their hours out (:func:`seasonal_vae.evaluation.set_summaries.set_statistics`); the floor's sets
are assembled from the record cut once into calendar years
(:class:`seasonal_vae.evaluation.years.YearBlocks`); and the classifier's fits, every seed of
every generator and the floor's classifier splits, are trained together, side by side
(:func:`seasonal_vae.evaluation.classifier_training.fit_many`), after the metric suite.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.core.config import split_years
from seasonal_vae.core.errors import InputError
from seasonal_vae.core.io import load_samples
from seasonal_vae.data.series import load_series
from seasonal_vae.evaluation.classifier import (
    classifier_scores_many,
    summarise_scores,
    t_interval,
)
from seasonal_vae.evaluation.metric_info import METRICS
from seasonal_vae.evaluation.metrics import hot_threshold, metric_suite
from seasonal_vae.evaluation.metrics_table import assemble
from seasonal_vae.evaluation.set_summaries import SetStatistics, set_statistics
from seasonal_vae.evaluation.years import (
    YEAR_COVERAGE,
    YearBlocks,
    floor_splits,
    usable_years,
    year_set,
)

log = logging.getLogger(__name__)

#: Share of the held-out hours a generator must cover to be judged.
GENERATOR_COVERAGE = 0.99


@dataclass
class EvaluationSettings:
    """Knobs of the evaluation: the configuration's ``evaluation`` section (the schema holds
    their defaults and descriptions).

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

    seed: int
    n_splits: int
    classifier_seeds: int
    classifier_floor_splits: int
    classifier_epochs: int
    window_days: int
    hot_percentile: float
    hot_half_window: int
    min_spell_days: int
    extreme_degF: float
    classifier: bool
    baseline_maxlag: int

    @classmethod
    def from_config(cls, cfg: dict) -> EvaluationSettings:
        """The settings of ``cfg["evaluation"]`` (a validated configuration has them all)."""
        section = cfg["evaluation"]
        return cls(**{f.name: section[f.name] for f in fields(cls)})


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
    stride: int
    #: :meth:`statistics` of the held-out years (reused for every path of every generator).
    target_statistics: SetStatistics | None = None

    def suite(
        self, a: xr.DataArray, b: xr.DataArray, a_statistics: SetStatistics | None = None
    ) -> dict[str, float]:
        """:func:`~seasonal_vae.evaluation.metrics.metric_suite` of ``a`` and ``b``."""
        s = self.settings
        return metric_suite(a, b, self.threshold, s.min_spell_days, s.extreme_degF, a_statistics=a_statistics)

    def statistics(self, a: xr.DataArray) -> SetStatistics:
        """:func:`~seasonal_vae.evaluation.set_summaries.set_statistics` of ``a`` under these settings."""
        s = self.settings
        return set_statistics(a, self.threshold, s.min_spell_days, s.extreme_degF)

    def classifier_seeds(self) -> list[int]:
        return [self.settings.seed * 100 + k for k in range(self.settings.classifier_seeds)]


def build_context(real: xr.DataArray, cfg: dict, settings: EvaluationSettings) -> Context:
    """Years, trend and hot-day threshold from the configuration and the real series."""
    d, w = cfg["data"], cfg["windows"]
    configured = range(d["first_year"], d["last_year"] + 1)
    train, holdout = split_years(configured, w["holdout_every"], w["holdout_offset"])
    present = set(usable_years(real, configured))
    train = [y for y in train if y in present]
    holdout = [y for y in holdout if y in present]
    if not holdout or not train:
        raise InputError(
            "series",
            f"has {len(train)} usable training and {len(holdout)} "
            f"usable held-out years (≥ {100 * YEAR_COVERAGE:.0f} % of hours present)",
            "use a series that covers the configured years",
        )
    threshold = hot_threshold(year_set(real, train), settings.hot_percentile, settings.hot_half_window)
    return Context(
        train,
        holdout,
        sorted(present),
        float(cfg["detrend"]["rate_per_decade"]),
        int(cfg["detrend"]["reference_year"]),
        threshold,
        settings,
        stride=int(w["holdout_every"]),
    )


def _check_coverage(name: str, target: xr.DataArray, generated: xr.DataArray, path) -> None:
    need = np.isfinite(target.values)
    have = np.isfinite(generated.values) & need
    if need.sum() and have.sum() < GENERATOR_COVERAGE * need.sum():
        raise InputError(
            path,
            f"generator {name!r} covers only {have.sum() / need.sum():.0%} of the held-out hours",
            "generate paths over the whole record's dates (or at least the held-out years)",
        )


def evaluate_generator(
    name: str, path: str | Path, target: xr.DataArray, ctx: Context
) -> tuple[list[dict], xr.DataArray]:
    """Rows of the metrics table for one generator file (the metric suite), and its path 0 on
    the held-out dates (for the classifier, :func:`classifier_rows`)."""
    t2m, _ = load_samples(path)
    n_paths = t2m.sizes["path"]
    paths = year_set(t2m, ctx.holdout_years)
    per_path = []
    for p in range(n_paths):
        gen = paths.isel(path=p, drop=True)
        _check_coverage(name, target, gen, path)
        per_path.append(ctx.suite(target, gen, ctx.target_statistics))
    log.info("%s: %d metrics on %d path(s)", name, len(per_path[0]), n_paths)
    rows = []
    for info in METRICS:
        values = np.array([m[info.name] for m in per_path])
        spread = n_paths > 1 and np.isfinite(values).any()
        rows.append(
            {
                "metric": info.name,
                "generator": name,
                "value": values[0],
                "spread_low": np.nanmin(values) if spread else np.nan,
                "spread_high": np.nanmax(values) if spread else np.nan,
                "spread": f"min-max over {n_paths} paths" if n_paths > 1 else "",
                "path_values": values,  # judged path by path too (metrics_table.assemble)
            }
        )
    return rows, paths.isel(path=0, drop=True)


def classifier_rows(name: str, scores: pd.DataFrame) -> list[dict]:
    """The two classifier rows of the metrics table for one generator, from its scores
    (:func:`~seasonal_vae.evaluation.classifier.classifier_scores`: one row per seed)."""
    summary = summarise_scores(scores)
    rows = []
    for key, column in (("classifier_accuracy", "accuracy"), ("classifier_auroc", "auroc")):
        s = summary[key]
        _, low, high = t_interval(np.abs(scores[column].to_numpy(dtype=float) - 0.5))
        rows.append(
            {
                "metric": key,
                "generator": name,
                "value": s["value"],
                "spread_low": low,
                "spread_high": high,
                "spread": f"95% t-interval over {s['n']} seeds (path 0)",
                "score": s["raw"],
                "score_low": s["low"],
                "score_high": s["high"],
            }
        )
    log.info(
        "%s: classifier accuracy %.3f, AUROC %.3f (mean of %d seeds)",
        name,
        summary["classifier_accuracy"]["raw"],
        summary["classifier_auroc"]["raw"],
        summary["classifier_auroc"]["n"],
    )
    return rows


@dataclass
class FloorSplit:
    """One real-vs-real split of the noise floor: its label, set A and set B on A's dates."""

    label: dict
    a: xr.DataArray
    b: xr.DataArray


def floor_sets(real: xr.DataArray, ctx: Context) -> list[FloorSplit]:
    """The noise floor's splits, each with its two sets of real years."""
    s = ctx.settings
    size = len(ctx.holdout_years)
    if len(ctx.floor_years) < 2 * size:
        size = len(ctx.floor_years) // 2
        log.warning(
            "the record has only %d usable years: the noise floor compares sets of %d "
            "year(s), not %d like the held-out set",
            len(ctx.floor_years),
            size,
            len(ctx.holdout_years),
        )
    if size < 1:
        log.warning("too few real years for a noise floor: metrics are reported without one")
        return []
    splits = floor_splits(ctx.floor_years, size, s.n_splits, s.seed, stride=ctx.stride)
    if len(splits) < s.n_splits:
        log.warning(
            "only %d distinct real-vs-real splits of %d vs %d years exist in %d years: "
            "the noise floor's median and 95th percentile rest on %d values",
            len(splits),
            size,
            size,
            len(ctx.floor_years),
            len(splits),
        )
    blocks = YearBlocks(real, ctx.floor_years, ctx.rate_per_decade, ctx.reference_year)
    rng = np.random.default_rng([s.seed, 2])
    out = []
    for k, (years_a, years_b) in enumerate(splits):
        label = {"split": k, "years_a": " ".join(map(str, years_a)), "years_b": " ".join(map(str, years_b))}
        b = blocks.mapped_set(rng.permutation(years_b).tolist(), years_a)
        out.append(FloorSplit(label, blocks.year_set(years_a), b))
    return out


def noise_floor(sets: list[FloorSplit], ctx: Context, classifier: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """Every metric between the floor's sets of real years (one row per split and metric),
    with the classifier's scores of the splits in ``classifier`` (by split)."""
    rows = []
    for k, split in enumerate(sets):
        for metric, value in ctx.suite(split.a, split.b).items():
            rows.append({**split.label, "metric": metric, "value": value})
        if k in classifier:
            for key, value in summarise_scores(classifier[k]).items():
                rows.append({**split.label, "metric": key, "value": value["value"]})
    if sets:
        size = len(sets[0].label["years_a"].split())
        log.info(
            "noise floor: %d splits of %d vs %d real years (classifier on %d of them)",
            len(sets),
            size,
            size,
            len(classifier),
        )
    return pd.DataFrame(rows, columns=["split", "years_a", "years_b", "metric", "value"])


def evaluate(
    series_path: str | Path, generators: dict[str, str | Path], cfg: dict
) -> tuple[pd.DataFrame, pd.DataFrame, Context]:
    """Compute every metric for every generator and the noise floor.

    The classifier's fits (every seed of every generator, the floor's classifier splits) are
    trained together, side by side (:func:`seasonal_vae.evaluation.classifier_training.fit_many`).

    Parameters
    ----------
    series_path
        ``results/series.nc`` (observed, °F, local standard time).
    generators
        ``{name: netCDF path}``, in the order of the table's columns.
    cfg
        The validated configuration: ``data``, ``windows``, ``detrend`` and ``evaluation``
        (:class:`EvaluationSettings`).

    Returns
    -------
    tuple
        The metrics table (columns :data:`~seasonal_vae.evaluation.metrics_table.COLUMNS`),
        the floor's per-split values, and the :class:`Context` (years used); write them with
        :func:`seasonal_vae.evaluation.metrics_table.write_outputs`.
    """
    if not generators:
        raise InputError("generators", "no generator given", "pass at least one NAME=PATH")
    settings = EvaluationSettings.from_config(cfg)
    real = load_series(series_path).astype("float64")
    ctx = build_context(real, cfg, settings)
    log.info(
        "held-out years %s; training years %d; floor from %d real years",
        ctx.holdout_years,
        len(ctx.train_years),
        len(ctx.floor_years),
    )
    target = year_set(real, ctx.holdout_years)
    ctx.target_statistics = ctx.statistics(target)
    rows, first_paths = [], {}
    for name, path in generators.items():
        metric_rows, first_paths[name] = evaluate_generator(name, path, target, ctx)
        rows += metric_rows
    sets = floor_sets(real, ctx)
    floor_classifier: dict[int, pd.DataFrame] = {}
    if settings.classifier:
        n_floor = min(len(sets), settings.classifier_floor_splits)
        pairs = [(target, gen, ctx.classifier_seeds()) for gen in first_paths.values()]
        pairs += [(sets[k].a, sets[k].b, [settings.seed * 100 + 50 + k]) for k in range(n_floor)]
        scores = classifier_scores_many(pairs, settings.classifier_epochs, settings.window_days)
        for name, table in zip(first_paths, scores):
            rows += classifier_rows(name, table)
        floor_classifier = dict(enumerate(scores[len(first_paths) :]))
    floor = noise_floor(sets, ctx, floor_classifier)
    return assemble(rows, floor), floor, ctx
