"""Subcommands that judge generated data: baselines, the metric suite and its figure.

::

    python -m seasonal_vae baseline harmonic_ar results/detrended.nc \\
        --out results/baselines/harmonic_ar.nc --config config/config.yaml
    python -m seasonal_vae baseline bootstrap results/detrended.nc \\
        --out results/baselines/bootstrap.nc --config config/config.yaml
    python -m seasonal_vae evaluate results/series.nc \\
        --generator vae=results/samples/seasonal.nc \\
        --generator vae_standard_prior=results/samples/standard.nc \\
        --generator harmonic_ar=results/baselines/harmonic_ar.nc \\
        --generator bootstrap=results/baselines/bootstrap.nc \\
        --out results/metrics.csv --markdown results/metrics.md \\
        --floor results/metrics_floor.csv --config config/config.yaml
    python -m seasonal_vae plot-evaluation results/metrics.csv --floor results/metrics_floor.csv \\
        --out figures/evaluation.png --config config/config.yaml

Settings: the configuration's ``evaluation`` section when the schema has one (see
:class:`seasonal_vae.evaluation.suite.EvaluationSettings` for the keys and defaults), overridden by
the command-line flags.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def _single_threaded_blas() -> None:
    """Ask OpenBLAS for one thread (before numpy loads it).

    The metrics make many small BLAS calls; on a machine whose cores are busy, OpenBLAS's
    worker threads wait for each other and the evaluation runs about ten times slower.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if "numpy" in sys.modules:
        log.debug("numpy was loaded before the evaluation: OPENBLAS_NUM_THREADS not applied")


def _generator_pairs(values: list[str]) -> dict[str, Path]:
    from seasonal_vae.core.errors import InputError

    out: dict[str, Path] = {}
    for value in values or []:
        name, sep, path = value.partition("=")
        if not sep or not name or not path or not _NAME.match(name):
            raise InputError("--generator", f"{value!r} is not NAME=PATH",
                             "give e.g. --generator vae=results/samples/seasonal.nc (NAME: "
                             "letters, digits, _ . -)")
        if name in out:
            raise InputError("--generator", f"the name {name!r} is given twice",
                             "give each generator a different name")
        out[name] = Path(path)
    return out


def _baseline(args, cfg):
    _single_threaded_blas()
    from seasonal_vae.model.baselines import write_baseline
    from seasonal_vae.core.config import split_years
    from seasonal_vae.core.errors import InputError
    from seasonal_vae.evaluation.suite import EvaluationSettings

    if args.paths is not None and args.paths < 1:
        raise InputError("--paths", f"{args.paths} is not a positive number", "give --paths 1 or more")
    d, w = cfg["data"], cfg["windows"]
    train, _ = split_years(range(d["first_year"], d["last_year"] + 1), w["holdout_every"],
                           w["holdout_offset"])
    settings = EvaluationSettings.from_config(cfg)
    write_baseline(args.method, args.detrended, args.out, train,
                   n_paths=cfg["sampling"]["n_paths"] if args.paths is None else args.paths,
                   seed=settings.seed if args.seed is None else args.seed,
                   data_label=d["label"],
                   maxlag=settings.baseline_maxlag if args.maxlag is None else args.maxlag)


def _evaluate(args, cfg):
    _single_threaded_blas()
    import time

    from seasonal_vae.core.errors import InputError
    from seasonal_vae.evaluation.suite import EvaluationSettings, evaluate, write_outputs

    for flag, value, least in (("--n-splits", args.n_splits, 0),
                               ("--classifier-seeds", args.classifier_seeds, 1)):
        if value is not None and value < least:
            raise InputError(flag, f"{value} is too small", f"give {flag} {least} or more")
    generators = _generator_pairs(args.generator)
    settings = EvaluationSettings.from_config(
        cfg, n_splits=args.n_splits, classifier_seeds=args.classifier_seeds, seed=args.seed,
        classifier=False if args.no_classifier else None)
    start = time.perf_counter()
    table, floor, ctx = evaluate(args.series, generators, cfg, settings)
    write_outputs(table, floor, ctx, args.out, args.markdown, args.floor)
    log.info("evaluated %d generator(s) in %.0f s; wrote %s and %s", len(generators),
             time.perf_counter() - start, args.out, args.markdown)


def _plot_evaluation(args, cfg):
    from seasonal_vae.figures.draw.evaluation import plot_evaluation

    plot_evaluation(args.metrics, args.out, data_label=cfg["data"]["label"], floor_csv=args.floor)


def add_commands(add) -> None:
    """Register ``baseline``, ``evaluate`` and ``plot-evaluation``."""
    p = add("baseline", _baseline, "fit a baseline generator on the training years and simulate "
            "it over the record's dates (netCDF like the samples)")
    p.add_argument("method", choices=("harmonic_ar", "bootstrap"))
    p.add_argument("detrended", type=Path, help="results/detrended.nc")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--paths", type=int, help="number of paths (default: sampling.n_paths)")
    p.add_argument("--seed", type=int, help="default: evaluation.seed")
    p.add_argument("--maxlag", type=int, help="largest AR order tried (harmonic_ar; default: "
                   "evaluation.baseline_maxlag)")

    p = add("evaluate", _evaluate, "metric suite: generators vs held-out real years, with the "
            "real-vs-real noise floor")
    p.add_argument("series", type=Path, help="results/series.nc")
    p.add_argument("--generator", action="append", required=True, metavar="NAME=PATH",
                   help="a generated netCDF (t2m (path, time), °F); repeat for each generator")
    p.add_argument("--out", type=Path, required=True, help="metrics CSV (tidy, one row per "
                   "metric and generator)")
    p.add_argument("--markdown", type=Path, required=True, help="the Markdown table")
    p.add_argument("--floor", type=Path, help="also write the floor's per-split values (CSV)")
    p.add_argument("--n-splits", type=int, help="random real-vs-real splits (default: "
                   "evaluation.n_splits)")
    p.add_argument("--classifier-seeds", type=int, help="default: evaluation.classifier_seeds")
    p.add_argument("--seed", type=int, help="default: evaluation.seed")
    p.add_argument("--no-classifier", action="store_true", help="skip the two-sample classifier")

    p = add("plot-evaluation", _plot_evaluation, "draw each metric as a ratio to the noise floor")
    p.add_argument("metrics", type=Path, help="metrics CSV written by evaluate")
    p.add_argument("--floor", type=Path, help="the floor's per-split CSV (drawn as grey dots)")
    p.add_argument("--out", type=Path, required=True, help="the PNG (the SVG goes beside it)")
