"""Subcommands of the applications: gap filling, anomaly detection, forecasting, and figures.

Compute and plotting are separate commands; a plot command reads only the results file its
compute command wrote::

    python -m seasonal_vae impute MODEL WINDOWS --out results/applications/imputation.nc \\
        --json results/applications/imputation.json --markdown results/applications/imputation.md
    python -m seasonal_vae plot-imputation results/applications/imputation.nc \\
        --out figures/imputation.png

Settings come from the command line, else from the configuration's ``applications``
section (when the schema has one), else from each module's ``DEFAULTS``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

#: Command-line flag → setting name, per application (None: no flag).
_COMMON = {"seed": "seed", "members": "n_members", "steps": "n_steps", "learning_rate": "learning_rate"}


def _settings(args, cfg: dict, section: str, keys: dict[str, str], defaults: dict) -> dict:
    """CLI flag, else ``cfg['applications'][section]``, else ``cfg['applications']``, else default."""
    apps = dict(cfg.get("applications") or {})
    specific = dict(apps.get(section) or {})
    out = {}
    for name in defaults:
        if name in specific:
            out[name] = specific[name]
        elif name in apps and not isinstance(apps[name], dict):
            out[name] = apps[name]
    for flag, name in keys.items():
        value = getattr(args, flag, None)
        if value is not None and name in defaults:
            out[name] = value
    return out


def _check_positive(settings: dict, names) -> None:
    from seasonal_vae.core.errors import InputError

    for name in names:
        value = settings.get(name)
        if value is None:
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        if any(v <= 0 for v in values):
            raise InputError(f"--{name.replace('_', '-')}", f"{value} is not positive",
                             "give a positive number")


def _impute(args, cfg):
    from seasonal_vae.applications.impute import DEFAULTS, impute_file

    keys = {**_COMMON, "cases": "n_cases", "gap_hours": "gap_hours",
            "context_hours": "context_hours"}
    settings = _settings(args, cfg, "imputation", keys, DEFAULTS)
    _check_positive(settings, ("n_cases", "n_members", "n_steps", "gap_hours", "context_hours"))
    impute_file(args.model, args.windows, args.out, args.json, args.markdown,
                data_label=cfg["data"]["label"], **settings)


def _anomaly(args, cfg):
    from seasonal_vae.applications.anomaly import DEFAULTS, anomaly_file

    keys = {"seed": "seed", "cases": "n_cases", "top": "top"}
    settings = _settings(args, cfg, "anomaly", keys, DEFAULTS)
    _check_positive(settings, ("n_cases", "top"))
    anomaly_file(args.model, args.windows, args.out, args.top_csv, args.json, args.markdown,
                 data_label=cfg["data"]["label"], **settings)


def _forecast(args, cfg):
    from seasonal_vae.applications.forecast import DEFAULTS, forecast_file

    keys = {**_COMMON, "cases": "n_cases", "context_days": "context_days",
            "lead_days": "lead_days"}
    settings = _settings(args, cfg, "forecast", keys, DEFAULTS)
    _check_positive(settings, ("n_cases", "n_members", "n_steps", "context_days", "lead_days"))
    forecast_file(args.model, args.windows, args.out, args.json, args.markdown,
                  data_label=cfg["data"]["label"], **settings)


def _plot(kind: str):
    def run(args, cfg):
        from seasonal_vae.figures.draw import applications

        getattr(applications, f"plot_{kind}")(args.results, args.out, cfg["data"]["label"])

    return run


def _common_inputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", type=Path, help="trained model (.keras)")
    p.add_argument("windows", type=Path, help="windows file (standardised series and split)")
    p.add_argument("--out", type=Path, required=True, help="results (netCDF)")
    p.add_argument("--json", type=Path, required=True, help="scores (JSON)")
    p.add_argument("--markdown", type=Path, help="score table (Markdown)")
    p.add_argument("--seed", type=int, help="random seed of the cases and the ensembles")
    p.add_argument("--cases", type=int, help="number of held-out cases")


def _ensemble_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--members", type=int, help="ensemble size")
    p.add_argument("--steps", type=int, help="Adam steps fitting q(z) to the observed hours")
    p.add_argument("--learning-rate", type=float, help="initial Adam learning rate")


def add_commands(add):
    """Register ``impute``, ``anomaly``, ``forecast`` and their ``plot-*`` commands."""
    p = add("impute", _impute, "fill gaps cut out of held-out years; score the VAE ensemble "
            "against linear interpolation and climatology")
    _common_inputs(p)
    _ensemble_options(p)
    p.add_argument("--gap-hours", type=int, nargs="+", help="gap lengths (default 6 24 72 168)")
    p.add_argument("--context-hours", type=int, help="conditioning window (multiple of 96)")

    p = add("anomaly", _anomaly, "anomaly scores over the record, top blocks, and ROC AUC of "
            "injected faults against a climatological z-score")
    _common_inputs(p)
    p.add_argument("--top-csv", type=Path, required=True, help="table of the top blocks (CSV)")
    p.add_argument("--top", type=int, help="number of top blocks listed")

    p = add("forecast", _forecast, "1-7 day ensemble forecasts from held-out dates; score "
            "against climatology and persistence by lead time")
    _common_inputs(p)
    _ensemble_options(p)
    p.add_argument("--context-days", type=int, help="observed days before the forecast")
    p.add_argument("--lead-days", type=int, help="days forecast")

    for kind, command in (("imputation", "impute"), ("anomaly", "anomaly"),
                          ("forecast", "forecast")):
        p = add(f"plot-{kind}", _plot(kind), f"draw the {kind} figure from what `{command}` wrote")
        p.add_argument("results", type=Path, help=f"the netCDF file `{command}` wrote")
        p.add_argument("--out", type=Path, required=True, help="the PNG (the SVG goes beside it)")
