# The article's methods section as a workflow:
#
#   raw ERA5 (per-year netCDF) -> series -> detrended -> windows -> trained model
#     -> samples -> comparison statistics -> figures
#   and beside it: the article's figures from the model (figure_data -> plot_*), the N(0, I)
#   ablation and two baselines judged against held-out years (baseline, evaluate), and the
#   applications (impute, anomaly, forecast).
#
# Each rule is one CLI call of the `seasonal_vae` package (python -m seasonal_vae <step>);
# the same steps run without Snakemake. Rules receive only the config sections they use,
# so changing one knob reruns only the steps that depend on it.

from pathlib import Path

from snakemake.utils import min_version

import seasonal_vae
from seasonal_vae.config import load_config, section_json

min_version("9.0")


wildcard_constraints:
    prior="seasonal|standard",
    method="harmonic_ar|bootstrap",


configfile: "config/config.yaml"


config.update(load_config(config))  # schema: config/schema.yaml (defaults, types, known keys)

RAW_PATTERN = config["data"]["file_pattern"].replace("{year}", "{year,\\d{4}}")
YEARS = range(config["data"]["first_year"], config["data"]["last_year"] + 1)
RAW_FILES = [
    f"{config['data']['raw_dir']}/{config['data']['file_pattern'].format(year=y)}"
    for y in YEARS
]


PLOTTING = Path(seasonal_vae.__file__).parent / "plotting"  # drawing code, an input of figures
MAIN = config["model"]["prior"]  # the model of the figures; the other prior is the ablation
ENV = "environment.yml"  # used with `snakemake --use-conda`; the pip path needs no conda


def with_prior(prior):
    """The configuration with the model's prior set to ``prior``."""
    return {**config, "model": {**config["model"], "prior": prior}}


def with_noise():
    """The configuration with observation noise added to the samples."""
    return {**config, "sampling": {**config["sampling"], "noise": True}}


def cfg(*sections, **keys):
    """The given config sections as inline JSON for `--config` (a function, so that
    Snakemake does not read the braces of the JSON as wildcards); ``keys`` adds only the named
    keys of further sections, e.g. ``sampling=["n_paths"]``."""
    picked = {**{s: config[s] for s in sections},
              **{s: {k: config[s][k] for k in names} for s, names in keys.items()}}
    return lambda wildcards: section_json(picked, *picked)


# The article's figures: name -> the pipeline files its numbers are computed from. Each figure
# gets a compute rule (results/figdata/<name>.nc) and a drawing rule (figures/<name>.png, .svg),
# so that restyling a figure redraws it and never recomputes, let alone retrains.
FILES = {
    "model": f"results/models/{MAIN}/vae.keras",
    "history": f"results/models/{MAIN}/history.csv",
    "windows": "results/windows.nc",
    "series": "results/series.nc",
    "detrended": "results/detrended.nc",
    "trend": "results/trend.json",
    "samples": f"results/samples/{MAIN}.nc",
}
FIGURES = {
    "conv_matrix": ["model", "windows"],
    "strides": ["model", "windows"],
    "free_time_axis": ["model", "windows"],
    "prior": ["model", "windows"],
    "graphical_model": ["model"],
    "training": ["model", "history"],
    "trend": ["series", "detrended", "trend"],
    "seasonal": ["series", "samples"],
    "diurnal": ["series", "samples"],
    "acf": ["series", "samples"],
    "samples": ["series", "samples"],
}
FIGURE_SETTINGS = {"trend": ["detrend"], "diurnal": ["site"], "samples": ["figures"]}  # + data
APPLICATIONS = ["imputation", "anomaly", "forecast"]
BASELINES = ["harmonic_ar", "bootstrap"]
# The generators the evaluation judges, by the name its table gives them.
GENERATORS = {
    "vae": "results/samples/seasonal.nc",
    "vae_noise": "results/samples/seasonal_noise.nc",
    "vae_standard_prior": "results/samples/standard.nc",
    **{method: f"results/baselines/{method}.nc" for method in BASELINES},
}


rule all:
    input:
        "figures/comparison.png",
        "figures/comparison.md",
        expand("figures/{figure}.png", figure=FIGURES),
        "figures/evaluation.png",
        "figures/metrics.md",
        expand("figures/{application}.png", application=APPLICATIONS),


rule download:
    message:
        "Downloading ERA5 2 m temperature for {wildcards.year} from the Climate Data Store"
    output:
        protected(f"data/raw/{RAW_PATTERN}"),
    conda:
        ENV
    log:
        "logs/download/{year}.log",
    params:
        cfg=cfg("site", "data"),
    shell:
        "python -m seasonal_vae download --config {params.cfg:q} --out-dir data/raw "
        "--years {wildcards.year} > {log:q} 2>&1"


rule series:
    message:
        "Reading the per-year raw files into one hourly local-time series in °F"
    input:
        RAW_FILES,
    output:
        "results/series.nc",
    conda:
        ENV
    log:
        "logs/series.log",
    params:
        cfg=cfg("site", "data"),
    shell:
        "python -m seasonal_vae series {input:q} --out {output:q} --config {params.cfg:q} "
        "> {log:q} 2>&1"


rule detrend:
    message:
        "Removing the warming trend (continuous ramp to the reference-year climate)"
    input:
        rules.series.output,
    output:
        adjusted="results/detrended.nc",
        report="results/trend.json",
    conda:
        ENV
    log:
        "logs/detrend.log",
    params:
        cfg=cfg("detrend"),
    shell:
        "python -m seasonal_vae detrend {input:q} --out {output.adjusted:q} "
        "--report {output.report:q} --config {params.cfg:q} > {log:q} 2>&1"


rule windows:
    message:
        "Standardising and cutting training/validation windows (whole held-out years)"
    input:
        rules.detrend.output.adjusted,
    output:
        "results/windows.nc",
    conda:
        ENV
    log:
        "logs/windows.log",
    params:
        cfg=cfg("data", "windows"),
    shell:
        "python -m seasonal_vae windows {input:q} --out {output:q} --config {params.cfg:q} "
        "> {log:q} 2>&1"


rule train:
    message:
        "Training the VAE with the {wildcards.prior} prior"
    input:
        rules.windows.output,
    output:
        model="results/models/{prior}/vae.keras",
        history="results/models/{prior}/history.csv",
    conda:
        ENV
    log:
        "logs/train/{prior}.log",
    benchmark:
        "results/benchmarks/train_{prior}.tsv"
    params:
        cfg=lambda wildcards: section_json(with_prior(wildcards.prior), "data", "windows", "model",
                                           "training"),
    # half the cores each, so the model and its ablation train side by side: on 2 cores two
    # runs at once took 35 s where one after the other took 52 s (60 epochs each), with the
    # same weights (TensorFlow's deterministic kernels do not depend on the scheduling)
    threads: max(1, workflow.cores // 2)
    shell:
        "python -m seasonal_vae train {input:q} --out {output.model:q} "
        "--history {output.history:q} --config {params.cfg:q} > {log:q} 2>&1"


rule sample:
    message:
        "Generating synthetic paths over the real record's dates ({wildcards.prior} prior)"
    input:
        model=rules.train.output.model,
        series=rules.series.output,
    output:
        "results/samples/{prior}.nc",
    conda:
        ENV
    log:
        "logs/sample/{prior}.log",
    benchmark:
        "results/benchmarks/sample_{prior}.tsv"
    params:
        cfg=cfg("data", "sampling"),
    shell:
        "python -m seasonal_vae sample {input.model:q} {input.series:q} --out {output:q} "
        "--config {params.cfg:q} > {log:q} 2>&1"


use rule sample as sample_with_noise with:
    message:
        "Generating the same paths with observation noise N(0, σ²) added ({wildcards.prior} prior)"
    output:
        "results/samples/{prior}_noise.nc",
    log:
        "logs/sample/{prior}_noise.log",
    benchmark:
        "results/benchmarks/sample_{prior}_noise.tsv"
    params:
        cfg=lambda wildcards: section_json(with_noise(), "data", "sampling"),


rule compare:
    message:
        "Computing the result figure's statistics, real vs generated"
    input:
        series=rules.series.output,
        samples=f"results/samples/{MAIN}.nc",
    output:
        json="results/comparison.json",
        markdown="figures/comparison.md",
    conda:
        ENV
    log:
        "logs/compare.log",
    shell:
        "python -m seasonal_vae compare {input.series:q} {input.samples:q} "
        "--json {output.json:q} --markdown {output.markdown:q} > {log:q} 2>&1"


rule plot_comparison:
    message:
        "Drawing the article's five-panel result figure"
    input:
        summary=rules.compare.output.json,
        series=rules.series.output,
        samples=f"results/samples/{MAIN}.nc",
        # the drawing code itself: restyling reruns this figure only, never the computation
        code=[f"{PLOTTING}/comparison.py", f"{PLOTTING}/style.py"],
    output:
        png="figures/comparison.png",
        svg="figures/comparison.svg",
    conda:
        ENV
    log:
        "logs/plot_comparison.log",
    params:
        cfg=cfg("data", "figures"),
    shell:
        "python -m seasonal_vae plot-comparison {input.summary:q} {input.series:q} "
        "{input.samples:q} --out {output.png:q} --config {params.cfg:q} > {log:q} 2>&1"


rule figure_data:
    message:
        "Computing the numbers of figure {wildcards.figure}"
    input:
        unpack(lambda wildcards: {key: FILES[key] for key in FIGURES[wildcards.figure]}),
    output:
        "results/figdata/{figure}.nc",
    conda:
        ENV
    log:
        "logs/figure_data/{figure}.log",
    params:
        files=lambda wildcards, input: " ".join(f"--{key} {path!r}" for key, path in input.items()),
        cfg=lambda wildcards: section_json(config, "data", *FIGURE_SETTINGS.get(wildcards.figure, [])),
    shell:
        "python -m seasonal_vae figure-data {wildcards.figure} {params.files} --out {output:q} "
        "--config {params.cfg:q} > {log:q} 2>&1"


for figure in FIGURES:  # one drawing rule per figure: plot_conv_matrix, plot_strides, ...

    rule:
        name:
            f"plot_{figure}"
        message:
            f"Drawing figure {figure}"
        input:
            data=f"results/figdata/{figure}.nc",
            code=[f"{PLOTTING}/{figure}.py", f"{PLOTTING}/style.py"],
        output:
            png=f"figures/{figure}.png",
            svg=f"figures/{figure}.svg",
        conda:
            ENV
        log:
            f"logs/plot/{figure}.log",
        params:
            figure=figure,
            cfg=cfg("data"),
        shell:
            "python -m seasonal_vae plot {params.figure} {input.data:q} --out {output.png:q} "
            "--config {params.cfg:q} > {log:q} 2>&1"


# Judging the generated data: the VAE, its N(0, I)-prior ablation and two baselines against
# the held-out real years, each metric beside the real-vs-real noise floor.


rule baseline:
    message:
        "Fitting the {wildcards.method} baseline on the training years and simulating the record"
    input:
        rules.detrend.output.adjusted,
    output:
        "results/baselines/{method}.nc",
    conda:
        ENV
    log:
        "logs/baseline/{method}.log",
    params:
        cfg=cfg("data", "windows", sampling=["n_paths"], evaluation=["seed", "baseline_maxlag"]),
    shell:
        "python -m seasonal_vae baseline {wildcards.method} {input:q} --out {output:q} "
        "--config {params.cfg:q} > {log:q} 2>&1"


rule evaluate:
    message:
        "Metric suite: every generator vs the held-out years, beside the real-vs-real floor"
    input:
        series=rules.series.output,
        generators=GENERATORS.values(),
    output:
        csv="results/metrics.csv",
        floor="results/metrics_floor.csv",
        markdown="figures/metrics.md",
    conda:
        ENV
    log:
        "logs/evaluate.log",
    benchmark:
        "results/benchmarks/evaluate.tsv"
    params:
        generators=" ".join(f"--generator {name}={path}" for name, path in GENERATORS.items()),
        cfg=cfg("data", "windows", "detrend", "evaluation"),
    threads: workflow.cores
    shell:
        "python -m seasonal_vae evaluate {input.series:q} {params.generators} --out {output.csv:q} "
        "--floor {output.floor:q} --markdown {output.markdown:q} --config {params.cfg:q} "
        "> {log:q} 2>&1"


rule plot_evaluation:
    message:
        "Drawing every metric as a ratio to the noise floor"
    input:
        metrics=rules.evaluate.output.csv,
        floor=rules.evaluate.output.floor,
        code=[f"{PLOTTING}/evaluation.py", f"{PLOTTING}/style.py"],
    output:
        png="figures/evaluation.png",
        svg="figures/evaluation.svg",
    conda:
        ENV
    log:
        "logs/plot/evaluation.log",
    params:
        cfg=cfg("data"),
    shell:
        "python -m seasonal_vae plot-evaluation {input.metrics:q} --floor {input.floor:q} "
        "--out {output.png:q} --config {params.cfg:q} > {log:q} 2>&1"


# The article's applications, on the main model, scored on the held-out years.


rule impute:
    message:
        "Gap filling: VAE ensembles vs linear and climatological fills on held-out years"
    input:
        model=FILES["model"],
        windows=FILES["windows"],
    output:
        nc="results/applications/imputation.nc",
        json="results/applications/imputation.json",
        markdown="figures/imputation.md",
    conda:
        ENV
    log:
        "logs/applications/imputation.log",
    params:
        cfg=cfg("data", "applications"),
    shell:
        "python -m seasonal_vae impute {input.model:q} {input.windows:q} --out {output.nc:q} "
        "--json {output.json:q} --markdown {output.markdown:q} --config {params.cfg:q} "
        "> {log:q} 2>&1"


rule anomaly:
    message:
        "Anomaly scores of the whole record and detection of injected faults"
    input:
        model=FILES["model"],
        windows=FILES["windows"],
    output:
        nc="results/applications/anomaly.nc",
        top="results/applications/anomaly_top.csv",
        json="results/applications/anomaly.json",
        markdown="figures/anomaly.md",
    conda:
        ENV
    log:
        "logs/applications/anomaly.log",
    params:
        cfg=cfg("data", "applications"),
    shell:
        "python -m seasonal_vae anomaly {input.model:q} {input.windows:q} --out {output.nc:q} "
        "--top-csv {output.top:q} --json {output.json:q} --markdown {output.markdown:q} "
        "--config {params.cfg:q} > {log:q} 2>&1"


rule forecast:
    message:
        "Forecasts 1-7 days ahead: VAE ensembles vs climatology and persistence"
    input:
        model=FILES["model"],
        windows=FILES["windows"],
    output:
        nc="results/applications/forecast.nc",
        json="results/applications/forecast.json",
        markdown="figures/forecast.md",
    conda:
        ENV
    log:
        "logs/applications/forecast.log",
    params:
        cfg=cfg("data", "applications"),
    shell:
        "python -m seasonal_vae forecast {input.model:q} {input.windows:q} --out {output.nc:q} "
        "--json {output.json:q} --markdown {output.markdown:q} --config {params.cfg:q} "
        "> {log:q} 2>&1"


for application in APPLICATIONS:  # plot_imputation, plot_anomaly, plot_forecast

    rule:
        name:
            f"plot_{application}"
        message:
            f"Drawing figure {application}"
        input:
            data=f"results/applications/{application}.nc",
            code=[f"{PLOTTING}/applications.py", f"{PLOTTING}/style.py"],
        output:
            png=f"figures/{application}.png",
            svg=f"figures/{application}.svg",
        conda:
            ENV
        log:
            f"logs/plot/{application}.log",
        params:
            application=application,
            cfg=cfg("data"),
        shell:
            "python -m seasonal_vae plot-{params.application} {input.data:q} --out {output.png:q} "
            "--config {params.cfg:q} > {log:q} 2>&1"
