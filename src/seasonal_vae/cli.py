"""Command-line interface: one subcommand per pipeline stage.

Every Snakemake rule calls one of these, so each step also runs without Snakemake, e.g.::

    python -m seasonal_vae train results/windows.nc --out results/models/seasonal/vae.keras \
        --history results/models/seasonal/history.csv --config config/config.yaml

``--config`` takes a YAML file or an inline JSON object (what the rules pass: only the
sections a step needs, so that changing one knob reruns only the steps it affects). Missing
keys take the schema's defaults. Errors in user input end with a message naming the file or
key, the problem and the fix, and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter out of logs

from seasonal_vae.core.config import load_config
from seasonal_vae.core.errors import SeasonalVAEError

log = logging.getLogger("seasonal_vae")

#: Modules that add subcommands of their own: each has ``add_commands(add)``, where
#: ``add(name, func, help) -> argparse.ArgumentParser`` registers one subcommand.
EXTENSIONS = ("seasonal_vae.evaluation_cli", "seasonal_vae.applications_cli")


def _surrogate(args, cfg):
    from seasonal_vae.data.surrogate import write_surrogate

    paths = write_surrogate(args.out, args.first_year, args.last_year, args.seed)
    log.info("wrote %d surrogate year files to %s", len(paths), args.out)


def _download(args, cfg):
    if cfg["data"].get("kind", "era5") == "station":
        from seasonal_vae.core.errors import InputError

        path = Path(cfg["data"]["station"]["path"])
        if not path.is_file():
            raise InputError(path, "station file not found (data.kind: station has nothing to "
                             "download)", "put the station file at data.station.path (relative "
                             "to the repository root), or set data.kind: era5 to download ERA5")
        log.info("data.kind is station: nothing to download; the series stage reads %s", path)
        return
    from seasonal_vae.data.era5 import download_years

    years = args.years or range(cfg["data"]["first_year"], cfg["data"]["last_year"] + 1)
    download_years(years, args.out_dir, area=cfg["site"]["area"], pattern=cfg["data"]["file_pattern"])


def _series(args, cfg):
    from seasonal_vae.data.series import build_series_from_config

    build_series_from_config(args.raw, args.out, cfg["site"], cfg["data"])


def _detrend(args, cfg):
    from seasonal_vae.data.detrend import detrend_file

    detrend_file(args.series, args.out, args.report, cfg["detrend"]["rate_per_decade"],
                 cfg["detrend"]["reference_year"])


def _windows(args, cfg):
    from seasonal_vae.data.windows import make_windows

    w = cfg["windows"]
    make_windows(args.adjusted, args.out, w["window_hours"], w["holdout_every"], w["holdout_offset"],
                 cfg["data"]["first_year"], cfg["data"]["last_year"])


def _train(args, cfg):
    from seasonal_vae.data.windows import check_windows_file

    check_windows_file(args.windows)  # a clear error before TensorFlow starts
    from seasonal_vae.model.train import train

    train(args.windows, args.out, args.history, cfg)


def _sample(args, cfg):
    from seasonal_vae.model.sample import write_samples

    s = cfg["sampling"]
    write_samples(args.model, args.series, args.out, n_paths=s["n_paths"], noise=s["noise"],
                  seed=s["seed"], retrend=s["retrend"], data_label=cfg["data"]["label"])


def _generate(args, cfg):
    import pandas as pd

    from seasonal_vae.core.errors import InputError

    try:
        pd.Timestamp(args.start)
    except (TypeError, ValueError) as err:
        raise InputError("--start", f"{args.start!r} is not a date ({err})",
                         "give a timestamp such as 2031-06-01 or 2031-06-01T05:00") from err
    for flag, value in (("--hours", args.hours), ("--paths", args.paths)):
        if value is not None and value < 1:
            raise InputError(flag, f"{value} is not a positive number", f"give {flag} 1 or more")
    if args.retrend is not None and args.retrend not in ("none", "dates") \
            and not args.retrend.isdigit():
        raise InputError("--retrend", f"{args.retrend!r} is neither 'none', 'dates' nor a year",
                         "give --retrend none, --retrend dates or a year such as 2031")
    from seasonal_vae.model.sample import write_generated

    s = cfg["sampling"]
    retrend = s["retrend"] if args.retrend is None else args.retrend
    retrend = int(retrend) if str(retrend).isdigit() else retrend
    write_generated(args.model, args.out, args.start, args.hours,
                    n_paths=s["n_paths"] if args.paths is None else args.paths,
                    noise=s["noise"] if args.noise is None else args.noise,
                    seed=s["seed"] if args.seed is None else args.seed, retrend=retrend,
                    data_label=cfg["data"]["label"])


def _compare(args, cfg):
    from seasonal_vae.evaluation.comparison import write_comparison

    write_comparison(args.series, args.samples, args.json, args.markdown)


def _plot_comparison(args, cfg):
    from seasonal_vae.figures.draw.comparison import plot_comparison

    plot_comparison(args.summary, args.series, args.samples, args.out, data_label=cfg["data"]["label"],
                    weeks=cfg["figures"]["comparison_weeks"])


def _figure_data(args, cfg):
    from seasonal_vae.figures.registry import INPUT_NAMES, write_figure_data

    write_figure_data(args.name, {key: getattr(args, key) for key in INPUT_NAMES}, args.out, cfg)


def _plot(args, cfg):
    from seasonal_vae.figures.registry import plot_figure

    plot_figure(args.name, args.data, args.out, cfg)


def _show_config(args, cfg):
    import yaml

    sys.stdout.write(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(prog="seasonal_vae", description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name, func, help_text):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--config", help="YAML file or inline JSON object (defaults: the schema's)")
        p.set_defaults(func=func)
        return p

    p = add("surrogate", _surrogate, "write the bundled surrogate record in CDS per-year layout")
    p.add_argument("--out", type=Path, default=Path("data/surrogate"))
    p.add_argument("--first-year", type=int, default=1974)
    p.add_argument("--last-year", type=int, default=2023)
    p.add_argument("--seed", type=int, default=20240814)

    p = add("download", _download, "download ERA5 2 m temperature from the CDS, one file per "
            "year (data.kind: station: only check that the station file is there)")
    p.add_argument("--out-dir", type=Path, default=Path("data/raw"))
    p.add_argument("--years", type=int, nargs="*")

    p = add("series", _series, "raw files (ERA5 years or a station record, data.kind) -> one "
            "hourly local-time series in °F")
    p.add_argument("raw", type=Path, nargs="+",
                   help="per-year ERA5 files (data.kind: era5) or station files (data.kind: "
                        "station)")
    p.add_argument("--out", type=Path, required=True)

    p = add("detrend", _detrend, "remove the warming trend (continuous ramp); report fitted rate")
    p.add_argument("series", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--report", type=Path, required=True)

    p = add("windows", _windows, "standardise and split into training/validation windows")
    p.add_argument("adjusted", type=Path)
    p.add_argument("--out", type=Path, required=True)

    p = add("train", _train, "train the seasonal-prior VAE")
    p.add_argument("windows", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--history", type=Path, required=True)

    p = add("sample", _sample, "generate paths over the real record's dates")
    p.add_argument("model", type=Path)
    p.add_argument("series", type=Path)
    p.add_argument("--out", type=Path, required=True)

    p = add("generate", _generate, "generate paths of any length from any start date")
    p.add_argument("model", type=Path)
    p.add_argument("--start", required=True, help="first timestamp, local standard time")
    p.add_argument("--hours", type=int, required=True, help="length of each path in hours")
    p.add_argument("--paths", type=int, help="number of paths (default: sampling.n_paths)")
    p.add_argument("--noise", action=argparse.BooleanOptionalAction,
                   help="add observation noise (default: sampling.noise)")
    p.add_argument("--seed", type=int, help="default: sampling.seed")
    p.add_argument("--retrend", help="'none', 'dates' or a year (default: sampling.retrend)")
    p.add_argument("--out", type=Path, required=True)

    p = add("compare", _compare, "statistics of the article's result figure, real vs generated")
    p.add_argument("series", type=Path)
    p.add_argument("samples", type=Path)
    p.add_argument("--json", type=Path, required=True)
    p.add_argument("--markdown", type=Path, required=True)

    p = add("plot-comparison", _plot_comparison, "draw the article's five-panel result figure")
    p.add_argument("summary", type=Path)
    p.add_argument("series", type=Path)
    p.add_argument("samples", type=Path)
    p.add_argument("--out", type=Path, required=True)

    p = add("figure-data", _figure_data, "compute the numbers one figure shows (netCDF)")
    p.add_argument("name", help="the figure, e.g. prior (see seasonal_vae.figures.registry)")
    for key in ("model", "windows", "series", "detrended", "trend", "history", "samples"):
        p.add_argument(f"--{key}", type=Path, help=f"the pipeline's {key} file, if the figure reads it")
    p.add_argument("--out", type=Path, required=True)

    p = add("plot", _plot, "draw one figure from its computed numbers (PNG and SVG)")
    p.add_argument("name", help="the figure, e.g. prior")
    p.add_argument("data", type=Path, help="what figure-data wrote for it")
    p.add_argument("--out", type=Path, required=True, help="the PNG (the SVG goes beside it)")

    for module in EXTENSIONS:
        importlib.import_module(module).add_commands(add)

    add("config", _show_config, "print the validated configuration with defaults filled in")
    return parser


def main(argv=None) -> int:
    """Entry point of ``python -m seasonal_vae`` and the ``seasonal-vae`` script."""
    args = build_parser().parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # progress reaches a redirected log at once
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        cfg = load_config(args.config)
        args.func(args, cfg)
    except SeasonalVAEError as err:
        log.error("%s", err)
        return 2
    return 0
