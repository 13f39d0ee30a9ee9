# The article's methods section as a workflow:
#
#   raw ERA5 (per-year netCDF) -> series -> detrended -> windows -> trained model
#     -> samples -> comparison statistics -> figures
#
# Each rule is one CLI call of the `seasonal_vae` package (python -m seasonal_vae <step>);
# the same steps run without Snakemake. Rules receive only the config sections they use,
# so changing one knob reruns only the steps that depend on it.

from pathlib import Path

from snakemake.utils import min_version

import seasonal_vae
from seasonal_vae.config import load_config, section_json

min_version("9.0")


configfile: "config/config.yaml"


config.update(load_config(config))  # schema: config/schema.yaml (defaults, types, known keys)

RAW_PATTERN = config["data"]["file_pattern"].replace("{year}", "{year,\\d{4}}")
YEARS = range(config["data"]["first_year"], config["data"]["last_year"] + 1)
RAW_FILES = [
    f"{config['data']['raw_dir']}/{config['data']['file_pattern'].format(year=y)}"
    for y in YEARS
]


PLOTTING = Path(seasonal_vae.__file__).parent / "plotting"  # drawing code, an input of figures
ENV = "environment.yml"  # used with `snakemake --use-conda`; the pip path needs no conda


def cfg(*sections):
    """The given config sections as inline JSON for `--config` (a function, so that
    Snakemake does not read the braces of the JSON as wildcards)."""
    return lambda wildcards: section_json(config, *sections)


rule all:
    input:
        "figures/comparison.png",
        "figures/comparison.md",


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
        "Training the seasonal-prior VAE"
    input:
        rules.windows.output,
    output:
        model="results/model/vae.keras",
        history="results/model/history.csv",
    conda:
        ENV
    log:
        "logs/train.log",
    benchmark:
        "results/benchmarks/train.tsv"
    params:
        cfg=cfg("data", "windows", "model", "training"),
    threads: workflow.cores
    shell:
        "python -m seasonal_vae train {input:q} --out {output.model:q} "
        "--history {output.history:q} --config {params.cfg:q} > {log:q} 2>&1"


rule sample:
    message:
        "Generating synthetic paths over the real record's dates"
    input:
        model=rules.train.output.model,
        series=rules.series.output,
    output:
        "results/samples.nc",
    conda:
        ENV
    log:
        "logs/sample.log",
    benchmark:
        "results/benchmarks/sample.tsv"
    params:
        cfg=cfg("data", "sampling"),
    shell:
        "python -m seasonal_vae sample {input.model:q} {input.series:q} --out {output:q} "
        "--config {params.cfg:q} > {log:q} 2>&1"


rule compare:
    message:
        "Computing the result figure's statistics, real vs generated"
    input:
        series=rules.series.output,
        samples=rules.sample.output,
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
        samples=rules.sample.output,
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
