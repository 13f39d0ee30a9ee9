"""The path table: every file of the pipeline, named once.

The Snakefile's rules, :mod:`seasonal_vae.workspace` (the notebooks), the figure registry, the
benchmarks and the tests all take their paths from :data:`PATHS`, so that moving a file is one
edit here. Paths are relative to the workflow folder and are templates whose ``{wildcards}``
are Snakemake's: ``dataset`` (a data set of the config), ``variant`` (a model variant of the
config's ``models``), ``method`` (a baseline), ``figure`` (a figure of the registry), ``step``
(a rule's log or benchmark name) and ``year``.
"""

from __future__ import annotations

import re

PATHS = {
    # data in
    "raw_era5": "data/raw/{dataset}/era5_t2m_{year}.nc",
    "series": "results/{dataset}/series.nc",
    "detrended": "results/{dataset}/detrended.nc",
    "trend": "results/{dataset}/trend.json",
    "windows": "results/{dataset}/windows.nc",
    # the models and their samples
    "model": "results/{dataset}/models/{variant}/vae.keras",
    "history": "results/{dataset}/models/{variant}/history.csv",
    "samples": "results/{dataset}/samples/{variant}.nc",
    "samples_noise": "results/{dataset}/samples/{variant}_noise.nc",
    "baseline": "results/{dataset}/baselines/{method}.nc",
    # evaluation
    "comparison": "results/{dataset}/comparison.json",
    "comparison_table": "figures/{dataset}/comparison.md",
    "metrics": "results/{dataset}/metrics.csv",
    "metrics_floor": "results/{dataset}/metrics_floor.csv",
    "metrics_table": "figures/{dataset}/metrics.md",
    # `snakemake ablations`: the same table with each part of the extended model alone
    "ablation_metrics": "results/{dataset}/ablations/metrics.csv",
    "ablation_metrics_floor": "results/{dataset}/ablations/metrics_floor.csv",
    "ablation_table": "figures/{dataset}/ablations.md",
    # applications
    "imputation": "results/{dataset}/applications/imputation.nc",
    "imputation_scores": "results/{dataset}/applications/imputation.json",
    "imputation_table": "figures/{dataset}/imputation.md",
    "anomaly": "results/{dataset}/applications/anomaly.nc",
    "anomaly_scores": "results/{dataset}/applications/anomaly.json",
    "anomaly_top": "results/{dataset}/applications/anomaly_top.csv",
    "anomaly_table": "figures/{dataset}/anomaly.md",
    "forecast": "results/{dataset}/applications/forecast.nc",
    "forecast_scores": "results/{dataset}/applications/forecast.json",
    "forecast_table": "figures/{dataset}/forecast.md",
    # the same, with another variant of build.applications (the extended model)
    "variant_imputation": "results/{dataset}/applications/{variant}/imputation.nc",
    "variant_imputation_scores": "results/{dataset}/applications/{variant}/imputation.json",
    "variant_imputation_table": "figures/{dataset}/{variant}/imputation.md",
    "variant_forecast": "results/{dataset}/applications/{variant}/forecast.nc",
    "variant_forecast_scores": "results/{dataset}/applications/{variant}/forecast.json",
    "variant_forecast_table": "figures/{dataset}/{variant}/forecast.md",
    # figures: their numbers, then the drawing
    "figure_data": "results/{dataset}/figdata/{figure}.nc",
    "figure": "figures/{dataset}/{figure}.png",
    "figure_svg": "figures/{dataset}/{figure}.svg",
    # across sites (built when the config has more than one): every site against its floor
    "site_summary": "results/sites/summary.csv",
    "site_summary_table": "figures/sites/summary.md",
    "site_summary_figure": "figures/sites/summary.png",
    "site_summary_figure_svg": "figures/sites/summary.svg",
    "site_summary_log": "logs/sites/{step}.log",
    # bookkeeping
    "log": "logs/{dataset}/{step}.log",
    "benchmark": "results/{dataset}/benchmarks/{step}.tsv",
}

_WILDCARD = re.compile(r"\{(\w+)\}")


def wildcards(key: str) -> set[str]:
    """The wildcards of path ``key``, e.g. ``{"dataset", "variant"}`` for ``model``."""
    return set(_WILDCARD.findall(PATHS[key]))


def path(key: str, **values) -> str:
    """Path ``key`` with the given wildcards filled in; the others stay ``{wildcards}``.

    ``path("model", variant="seasonal")`` is ``results/{dataset}/models/seasonal/vae.keras``, a
    Snakemake pattern; with every wildcard given it is a concrete path.
    """
    if key not in PATHS:
        raise KeyError(f"unknown pipeline file {key!r}; known: {', '.join(PATHS)}")
    unknown = set(values) - wildcards(key)
    if unknown:
        raise KeyError(f"path {key!r} has no wildcards {sorted(unknown)} (it has {sorted(wildcards(key))})")
    return _WILDCARD.sub(lambda m: str(values.get(m.group(1), m.group(0))), PATHS[key])
