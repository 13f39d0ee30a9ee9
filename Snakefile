# The article's methods section as a workflow:
#
#   raw ERA5 (per-year netCDF) or a station file -> series -> detrended -> windows
#     -> trained models -> samples -> comparison statistics -> figures
#   and beside it: the article's figures from the model (figure_data -> plot_*), the N(0, I)
#   ablation, the centred-prior extension and two baselines judged against held-out years
#   (baseline, evaluate), and the applications (impute, anomaly, forecast).
#
# Every data set of the config (`datasets`: the surrogate and the Greenway station by default)
# goes through the whole DAG as the `dataset` wildcard: results/<dataset>/, figures/<dataset>/.
#
# Each rule is one CLI call of the `seasonal_vae` package (python -m seasonal_vae <step>);
# the same steps run without Snakemake. Rules receive only the config sections they use,
# so changing one knob reruns only the steps that depend on it.

from pathlib import Path

from snakemake.utils import min_version

import seasonal_vae
from seasonal_vae.core.config import dataset_config, dataset_names, load_config, section_json

min_version("9.0")


configfile: "config/config.yaml"


config.update(load_config(config))  # schema: src/seasonal_vae/core/schema.yaml (defaults, types, known keys)

DATASETS = dataset_names(config)  # the `dataset` wildcard: results/<dataset>/, figures/<dataset>/
PRIORS = config["build"]["priors"]  # the article's prior, its N(0, I) ablation, the extension
MAIN = config["model"]["prior"]  # the model of the figures and applications (the article's)


wildcard_constraints:
    dataset="|".join(config["datasets"]),
    prior="seasonal|standard|centred",
    method="harmonic_ar|bootstrap",


PLOTTING = Path(seasonal_vae.__file__).parent / "plotting"  # drawing code, an input of figures
ENV = "environment.yml"  # used with `snakemake --use-conda`; the pip path needs no conda
R = "results/{dataset}"  # every data set's results, logs and figures in a folder of its own
FIG = "figures/{dataset}"
LOG = "logs/{dataset}"


def raw_files(wildcards):
    """The data set's input files: the per-year ERA5 files, or the station file."""
    data = config["datasets"][wildcards.dataset]["data"]
    if data["kind"] == "station":
        return [data["station"]["path"]]
    return [f"{data['raw_dir']}/{data['file_pattern'].format(year=y)}"
            for y in range(data["first_year"], data["last_year"] + 1)]


def cfg(*sections, prior=None, noise=False, **keys):
    """The given config sections of the rule's data set as inline JSON for `--config` (a
    function, so that Snakemake does not read the braces of the JSON as wildcards); ``keys``
    adds only the named keys of further sections, e.g. ``sampling=["n_paths"]``; ``prior``
    sets the model's prior from the wildcard, ``noise`` adds observation noise to samples."""

    def render(wildcards):
        c = dataset_config(config, wildcards.dataset)
        if prior:
            c["model"] = {**c["model"], "prior": wildcards.prior}
        if noise:
            c["sampling"] = {**c["sampling"], "noise": True}
        picked = {**{s: c[s] for s in sections},
                  **{s: {k: c[s][k] for k in names} for s, names in keys.items()}}
        return section_json(picked, *picked)

    return render


# The article's figures: name -> the pipeline files its numbers are computed from. Each figure
# gets a compute rule (results/<dataset>/figdata/<name>.nc) and a drawing rule
# (figures/<dataset>/<name>.png, .svg), so that restyling a figure redraws it and never
# recomputes, let alone retrains.
FILES = {
    "model": f"{R}/models/{MAIN}/vae.keras",
    "history": f"{R}/models/{MAIN}/history.csv",
    "windows": f"{R}/windows.nc",
    "series": f"{R}/series.nc",
    "detrended": f"{R}/detrended.nc",
    "trend": f"{R}/trend.json",
    "samples": f"{R}/samples/{MAIN}.nc",
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
    "vae": f"{R}/samples/{MAIN}.nc",
    "vae_noise": f"{R}/samples/{MAIN}_noise.nc",
    **{f"vae_{prior}_prior": f"{R}/samples/{prior}.nc" for prior in PRIORS if prior != MAIN},
    **{method: f"{R}/baselines/{method}.nc" for method in BASELINES},
}


rule all:
    input:
        expand(f"{FIG}/comparison.{{ext}}", dataset=DATASETS, ext=["png", "md"]),
        expand(f"{FIG}/{{figure}}.png", dataset=DATASETS, figure=FIGURES),
        expand(f"{FIG}/evaluation.png", dataset=DATASETS),
        expand(f"{FIG}/metrics.md", dataset=DATASETS),
        expand(f"{FIG}/{{application}}.png", dataset=DATASETS, application=APPLICATIONS),


rule download:
    message:
        "Downloading ERA5 2 m temperature for {wildcards.year} from the Climate Data Store"
    output:
        protected("data/raw/{dataset}/era5_t2m_{year}.nc"),
    conda:
        ENV
    log:
        "logs/{dataset}/download/{year}.log",
    params:
        cfg=cfg("site", "data"),
    wildcard_constraints:
        year=r"\d{4}",
    shell:
        "python -m seasonal_vae download --config {params.cfg:q} --out-dir data/raw/{wildcards.dataset} "
        "--years {wildcards.year} > {log:q} 2>&1"


rule series:
    message:
        "Reading the per-year raw files into one hourly local-time series in °F"
    input:
        raw_files,
    output:
        "results/{dataset}/series.nc",
    conda:
        ENV
    log:
        "logs/{dataset}/series.log",
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
        adjusted="results/{dataset}/detrended.nc",
        report="results/{dataset}/trend.json",
    conda:
        ENV
    log:
        "logs/{dataset}/detrend.log",
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
        "results/{dataset}/windows.nc",
    conda:
        ENV
    log:
        "logs/{dataset}/windows.log",
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
        model="results/{dataset}/models/{prior}/vae.keras",
        history="results/{dataset}/models/{prior}/history.csv",
    conda:
        ENV
    log:
        "logs/{dataset}/train/{prior}.log",
    benchmark:
        "results/{dataset}/benchmarks/train_{prior}.tsv"
    params:
        cfg=cfg("data", "windows", "model", "training", prior=True),
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
        "results/{dataset}/samples/{prior}.nc",
    conda:
        ENV
    log:
        "logs/{dataset}/sample/{prior}.log",
    benchmark:
        "results/{dataset}/benchmarks/sample_{prior}.tsv"
    params:
        cfg=cfg("data", "sampling"),
    shell:
        "python -m seasonal_vae sample {input.model:q} {input.series:q} --out {output:q} "
        "--config {params.cfg:q} > {log:q} 2>&1"


use rule sample as sample_with_noise with:
    message:
        "Generating the same paths with observation noise N(0, σ²) added ({wildcards.prior} prior)"
    output:
        "results/{dataset}/samples/{prior}_noise.nc",
    log:
        "logs/{dataset}/sample/{prior}_noise.log",
    benchmark:
        "results/{dataset}/benchmarks/sample_{prior}_noise.tsv"
    params:
        cfg=cfg("data", "sampling", noise=True),


rule compare:
    message:
        "Computing the result figure's statistics, real vs generated"
    input:
        series=rules.series.output,
        samples=f"results/{{dataset}}/samples/{MAIN}.nc",
    output:
        json="results/{dataset}/comparison.json",
        markdown="figures/{dataset}/comparison.md",
    conda:
        ENV
    log:
        "logs/{dataset}/compare.log",
    shell:
        "python -m seasonal_vae compare {input.series:q} {input.samples:q} "
        "--json {output.json:q} --markdown {output.markdown:q} > {log:q} 2>&1"


rule plot_comparison:
    message:
        "Drawing the article's five-panel result figure"
    input:
        summary=rules.compare.output.json,
        series=rules.series.output,
        samples=f"results/{{dataset}}/samples/{MAIN}.nc",
        # the drawing code itself: restyling reruns this figure only, never the computation
        code=[f"{PLOTTING}/comparison.py", f"{PLOTTING}/style.py"],
    output:
        png="figures/{dataset}/comparison.png",
        svg="figures/{dataset}/comparison.svg",
    conda:
        ENV
    log:
        "logs/{dataset}/plot_comparison.log",
    params:
        cfg=cfg("data", "figures"),
    shell:
        "python -m seasonal_vae plot-comparison {input.summary:q} {input.series:q} "
        "{input.samples:q} --out {output.png:q} --config {params.cfg:q} > {log:q} 2>&1"


rule figure_data:
    message:
        "Computing the numbers of figure {wildcards.figure}"
    input:
        unpack(lambda wildcards: {key: FILES[key].format(dataset=wildcards.dataset)
                                  for key in FIGURES[wildcards.figure]}),
    output:
        "results/{dataset}/figdata/{figure}.nc",
    conda:
        ENV
    log:
        "logs/{dataset}/figure_data/{figure}.log",
    params:
        files=lambda wildcards, input: " ".join(f"--{key} {path!r}" for key, path in input.items()),
        cfg=lambda wildcards: section_json(dataset_config(config, wildcards.dataset), "data",
                                           *FIGURE_SETTINGS.get(wildcards.figure, [])),
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
            data=f"results/{{dataset}}/figdata/{figure}.nc",
            code=[f"{PLOTTING}/{figure}.py", f"{PLOTTING}/style.py"],
        output:
            png=f"figures/{{dataset}}/{figure}.png",
            svg=f"figures/{{dataset}}/{figure}.svg",
        conda:
            ENV
        log:
            f"logs/{{dataset}}/plot/{figure}.log",
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
        "results/{dataset}/baselines/{method}.nc",
    conda:
        ENV
    log:
        "logs/{dataset}/baseline/{method}.log",
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
        csv="results/{dataset}/metrics.csv",
        floor="results/{dataset}/metrics_floor.csv",
        markdown="figures/{dataset}/metrics.md",
    conda:
        ENV
    log:
        "logs/{dataset}/evaluate.log",
    benchmark:
        "results/{dataset}/benchmarks/evaluate.tsv"
    params:
        generators=lambda wildcards: " ".join(f"--generator {name}={path.format(**wildcards)}"
                                              for name, path in GENERATORS.items()),
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
        png="figures/{dataset}/evaluation.png",
        svg="figures/{dataset}/evaluation.svg",
    conda:
        ENV
    log:
        "logs/{dataset}/plot/evaluation.log",
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
        nc="results/{dataset}/applications/imputation.nc",
        json="results/{dataset}/applications/imputation.json",
        markdown="figures/{dataset}/imputation.md",
    conda:
        ENV
    log:
        "logs/{dataset}/applications/imputation.log",
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
        nc="results/{dataset}/applications/anomaly.nc",
        top="results/{dataset}/applications/anomaly_top.csv",
        json="results/{dataset}/applications/anomaly.json",
        markdown="figures/{dataset}/anomaly.md",
    conda:
        ENV
    log:
        "logs/{dataset}/applications/anomaly.log",
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
        nc="results/{dataset}/applications/forecast.nc",
        json="results/{dataset}/applications/forecast.json",
        markdown="figures/{dataset}/forecast.md",
    conda:
        ENV
    log:
        "logs/{dataset}/applications/forecast.log",
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
            data=f"results/{{dataset}}/applications/{application}.nc",
            code=[f"{PLOTTING}/applications.py", f"{PLOTTING}/style.py"],
        output:
            png=f"figures/{{dataset}}/{application}.png",
            svg=f"figures/{{dataset}}/{application}.svg",
        conda:
            ENV
        log:
            f"logs/{{dataset}}/plot/{application}.log",
        params:
            application=application,
            cfg=cfg("data"),
        shell:
            "python -m seasonal_vae plot-{params.application} {input.data:q} --out {output.png:q} "
            "--config {params.cfg:q} > {log:q} 2>&1"
