"""Command-line interface: one subcommand per pipeline step, one convention for settings.

Every Snakemake rule calls one of these, so each step also runs without Snakemake, e.g.::

    python -m seasonal_vae train results/surrogate/windows.nc \\
        --out results/surrogate/models/seasonal/vae.keras \\
        --history results/surrogate/models/seasonal/history.csv --config config/config.yaml

The arguments name files (inputs positional, outputs ``--out`` and the like) and nothing
else: every setting comes from ``--config``, a YAML file or an inline JSON object such as
``'{"sampling": {"n_paths": 5}}'`` (what the rules pass: only the sections a step needs, so
that changing one knob reruns only the steps it affects). Missing keys take the schema's
defaults (``src/seasonal_vae/core/schema.yaml``), which is the only place a default is written.
Errors in user input end with a message naming the file or key, the problem and the fix, and
exit status 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter out of logs

from seasonal_vae.core.config import dataset_config, load_config  # noqa: E402
from seasonal_vae.core.errors import InputError, SeasonalVAEError  # noqa: E402

log = logging.getLogger("seasonal_vae")

_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def _single_threaded_blas() -> None:
    """Ask OpenBLAS for one thread (before numpy loads it).

    The metrics and the baselines make many small BLAS calls; on a machine whose cores are
    busy, OpenBLAS's worker threads wait for each other and these steps run about ten times
    slower.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if "numpy" in sys.modules:
        log.debug("numpy was loaded first: OPENBLAS_NUM_THREADS not applied")


def _pairs(values: list[str], what: str, example: str) -> dict[str, Path]:
    """``NAME=PATH`` arguments as a mapping, with a clear error for a malformed or repeated one."""
    out: dict[str, Path] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path or not _NAME.match(name):
            raise InputError(
                what, f"{value!r} is not NAME=PATH", f"give e.g. {example} (NAME: letters, digits, _ . -)"
            )
        if name in out:
            raise InputError(what, f"the name {name!r} is given twice", "give each one once")
        out[name] = Path(path)
    return out


# --------------------------------------------------------------------------- data in


def _surrogate(args, cfg):
    from seasonal_vae.data.surrogate_files import write_surrogate

    paths = write_surrogate(args.out)
    log.info("wrote %d surrogate year files to %s", len(paths), args.out)


def _download(args, cfg):
    if cfg["data"]["kind"] == "station":
        path = Path(cfg["data"]["station"]["path"])
        if not path.is_file():
            raise InputError(
                path,
                "station file not found (data.kind: station has nothing to download)",
                "put the station file at data.station.path (relative "
                "to the repository root), or set data.kind: era5 to download ERA5",
            )
        log.info("data.kind is station: nothing to download; the series stage reads %s", path)
        return
    from seasonal_vae.data.cds import download_years

    years = args.years or range(cfg["data"]["first_year"], cfg["data"]["last_year"] + 1)
    download_years(years, args.out_dir, area=cfg["site"]["area"], pattern=cfg["data"]["file_pattern"])


def _series(args, cfg):
    from seasonal_vae.data.series import build_series_from_config

    build_series_from_config(args.raw, args.out, cfg["site"], cfg["data"])


def _detrend(args, cfg):
    from seasonal_vae.data.detrend import detrend_file

    detrend_file(
        args.series,
        args.out,
        args.report,
        cfg["detrend"]["rate_per_decade"],
        cfg["detrend"]["reference_year"],
    )


def _windows(args, cfg):
    from seasonal_vae.data.windows import make_windows

    w = cfg["windows"]
    make_windows(
        args.adjusted,
        args.out,
        w["window_hours"],
        w["holdout_every"],
        w["holdout_offset"],
        cfg["data"]["first_year"],
        cfg["data"]["last_year"],
    )


# --------------------------------------------------------------------------- the models


def _train(args, cfg):
    _single_threaded_blas()  # the closed-form M-step: small products, 10 × slower threaded
    from seasonal_vae.data.windows import check_windows_file

    check_windows_file(args.windows)  # a clear error before TensorFlow starts
    from seasonal_vae.model.train import train

    train(args.windows, args.out, args.history, cfg)


def _sample(args, cfg):
    from seasonal_vae.model.sample import write_samples

    write_samples(args.model, args.series, args.out, cfg)


def _generate(args, cfg):
    import pandas as pd

    try:
        pd.Timestamp(args.start)
    except (TypeError, ValueError) as err:
        raise InputError(
            "--start",
            f"{args.start!r} is not a date ({err})",
            "give a timestamp such as 2031-06-01 or 2031-06-01T05:00",
        ) from err
    if args.hours < 1:
        raise InputError("--hours", f"{args.hours} is not a positive number", "give --hours 1 or more")
    from seasonal_vae.model.sample import write_generated

    write_generated(args.model, args.out, args.start, args.hours, cfg)


def _baseline(args, cfg):
    _single_threaded_blas()
    from seasonal_vae.model.baselines import write_baseline

    write_baseline(args.method, args.detrended, args.out, cfg)


# --------------------------------------------------------------------------- evaluation


def _compare(args, cfg):
    from seasonal_vae.evaluation.comparison import write_comparison

    write_comparison(args.series, args.samples, args.json, args.markdown, cfg)


def _evaluate(args, cfg):
    _single_threaded_blas()
    from seasonal_vae.evaluation.metrics_table import write_outputs
    from seasonal_vae.evaluation.suite import evaluate

    generators = _pairs(args.generators, "generator", "vae=results/surrogate/samples/seasonal.nc")
    start = time.perf_counter()
    table, floor, ctx = evaluate(args.series, generators, cfg)
    write_outputs(table, floor, ctx, args.out, args.markdown, args.floor)
    log.info(
        "evaluated %d generator(s) in %.0f s; wrote %s and %s",
        len(generators),
        time.perf_counter() - start,
        args.out,
        args.markdown,
    )


def _site_summary(args, cfg):
    from seasonal_vae.evaluation.site_summary import write_summary

    files = _pairs(args.metrics, "site metrics", "surrogate=results/surrogate/metrics.csv")
    titles = {name: ds["site"]["name"] for name, ds in cfg["datasets"].items()}
    write_summary(files, args.out, args.markdown, titles)


# --------------------------------------------------------------------------- applications


def _impute(args, cfg):
    from seasonal_vae.applications.impute import impute_file

    impute_file(args.model, args.windows, args.out, args.json, args.markdown, cfg)


def _anomaly(args, cfg):
    from seasonal_vae.applications.anomaly import anomaly_file

    anomaly_file(args.model, args.windows, args.out, args.top_csv, args.json, args.markdown, cfg)


def _forecast(args, cfg):
    from seasonal_vae.applications.forecast import forecast_file

    forecast_file(args.model, args.windows, args.out, args.json, args.markdown, cfg)


# --------------------------------------------------------------------------- figures


def _figure_data(args, cfg):
    from seasonal_vae.figures.registry import write_figure_data

    inputs = _pairs(args.inputs, "figure input", "model=results/surrogate/models/seasonal/vae.keras")
    write_figure_data(args.name, inputs, args.out, cfg)


def _plot(args, cfg):
    from seasonal_vae.figures.registry import plot_figure

    plot_figure(args.name, args.data, args.out, cfg)


def _plot_site_summary(args, cfg):
    from seasonal_vae.figures.draw.site_summary import plot_site_summary

    plot_site_summary(args.summary, args.out)


def _show_config(args, cfg):
    import yaml

    if args.dataset:
        cfg = dataset_config(cfg, args.dataset)  # a clear error for an unknown one
    sys.stdout.write(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(prog="seasonal_vae", description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name, func, help_text, *, out=True):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument(
            "--config",
            help="YAML file or inline JSON object of settings (missing keys: the schema's defaults)",
        )
        if out:
            p.add_argument("--out", type=Path, required=True)
        p.set_defaults(func=func)
        return p

    # data in
    add(
        "surrogate",
        _surrogate,
        "write the bundled surrogate record (1974-2023) in CDS per-year layout into --out",
    )
    p = add(
        "download",
        _download,
        "download ERA5 2 m temperature from the CDS, one file per "
        "year (data.kind: station: only check that the station file is there)",
        out=False,
    )
    p.add_argument("--out-dir", type=Path, required=True)
    p.add_argument("--years", type=int, nargs="*", help="default: data.first_year..last_year")
    p = add(
        "series",
        _series,
        "raw files (ERA5 years or a station record, data.kind) -> one hourly local-time series in °F",
    )
    p.add_argument(
        "raw", type=Path, nargs="+", help="per-year ERA5 files (data.kind: era5) or a station file (station)"
    )
    p = add("detrend", _detrend, "remove the warming trend (continuous ramp); report fitted rate")
    p.add_argument("series", type=Path)
    p.add_argument("--report", type=Path, required=True)
    p = add("windows", _windows, "standardise and split into training/validation windows")
    p.add_argument("adjusted", type=Path)

    # the models
    p = add("train", _train, "train the VAE (model.prior: seasonal, standard or centred)")
    p.add_argument("windows", type=Path)
    p.add_argument("--history", type=Path, required=True)
    p = add("sample", _sample, "generate paths over the real record's dates (sampling.*)")
    p.add_argument("model", type=Path)
    p.add_argument("series", type=Path)
    p = add(
        "generate",
        _generate,
        "generate paths of any length from any start date (sampling.n_paths, noise, seed, retrend)",
    )
    p.add_argument("model", type=Path)
    p.add_argument("--start", required=True, help="first timestamp, local standard time")
    p.add_argument("--hours", type=int, required=True, help="length of each path in hours")
    p = add(
        "baseline",
        _baseline,
        "fit a baseline generator on the training years and simulate "
        "it over the record's dates (netCDF like the samples)",
    )
    p.add_argument(
        "method",
        help="a baseline of seasonal_vae.model.baselines.METHODS "
        "(checked there, so that this parser does not import statsmodels)",
    )
    p.add_argument("detrended", type=Path, help="results/<dataset>/detrended.nc")

    # evaluation
    p = add("compare", _compare, "statistics of the article's result figure, real vs generated", out=False)
    p.add_argument("series", type=Path)
    p.add_argument("samples", type=Path)
    p.add_argument("--json", type=Path, required=True)
    p.add_argument("--markdown", type=Path, required=True)
    p = add(
        "evaluate",
        _evaluate,
        "metric suite: generators vs held-out real years, with the real-vs-real noise floor (evaluation.*)",
    )
    p.add_argument("series", type=Path, help="results/<dataset>/series.nc")
    p.add_argument(
        "generators",
        nargs="+",
        metavar="NAME=PATH",
        help="a generated netCDF (t2m (path, time), °F) and the name the table gives it",
    )
    p.add_argument("--markdown", type=Path, required=True, help="the Markdown table")
    p.add_argument("--floor", type=Path, help="also write the floor's per-split values (CSV)")

    p = add("site-summary", _site_summary, "every site's metrics against its own floor (CSV, Markdown)")
    p.add_argument("metrics", nargs="+", metavar="SITE=PATH", help="a site's metrics.csv, by its name")
    p.add_argument("--markdown", type=Path, required=True, help="the Markdown table")

    # applications
    for name, func, text in (
        (
            "impute",
            _impute,
            "fill gaps cut out of held-out years; score the VAE ensemble "
            "against linear interpolation and climatology (applications.imputation)",
        ),
        (
            "anomaly",
            _anomaly,
            "anomaly scores over the record, top blocks, and ROC AUC of "
            "injected faults against a climatological z-score (applications.anomaly)",
        ),
        (
            "forecast",
            _forecast,
            "1-7 day ensemble forecasts from held-out dates; score "
            "against climatology and persistence by lead time (applications.forecast)",
        ),
    ):
        p = add(name, func, text)
        p.add_argument("model", type=Path, help="trained model (.keras)")
        p.add_argument("windows", type=Path, help="windows file (standardised series and split)")
        p.add_argument("--json", type=Path, required=True, help="scores (JSON)")
        p.add_argument("--markdown", type=Path, help="score table (Markdown)")
        if name == "anomaly":
            p.add_argument("--top-csv", type=Path, required=True, help="the top blocks (CSV)")

    # figures
    p = add("figure-data", _figure_data, "compute the numbers one figure shows (netCDF)")
    p.add_argument("name", help="the figure (see seasonal_vae.figures.registry)")
    p.add_argument(
        "inputs",
        nargs="*",
        metavar="KEY=PATH",
        help="the pipeline files the figure reads, by their key in the path table",
    )
    p = add("plot", _plot, "draw one figure from its computed numbers (PNG and SVG)")
    p.add_argument("name", help="the figure, e.g. prior")
    p.add_argument("data", type=Path, help="what figure-data wrote for it")

    p = add("plot-site-summary", _plot_site_summary, "draw the cross-site summary (PNG and SVG)")
    p.add_argument("summary", type=Path, help="what site-summary wrote (results/sites/summary.csv)")

    p = add("config", _show_config, "print the validated configuration with defaults filled in", out=False)
    p.add_argument("--dataset", help="as the steps of this data set see it")
    return parser


def main(argv=None) -> int:
    """Entry point of ``python -m seasonal_vae`` and the ``seasonal-vae`` script."""
    args = build_parser().parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # progress reaches a redirected log at once
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        cfg = load_config(args.config)
        args.func(args, cfg)
    except SeasonalVAEError as err:
        log.error("%s", err)
        return 2
    return 0
