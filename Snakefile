# The article's methods section as a workflow. Every data set (site) of the config (`datasets`:
# the bundled surrogate and the Greenway station record; or the rows of a sites file, config
# key `sites`) goes through the whole DAG as the `dataset` wildcard, into results/<dataset>/,
# figures/<dataset>/ and logs/<dataset>/:
#
#   rules/data.smk          raw ERA5 years or a station file -> series -> detrended -> windows
#   rules/model.smk         windows -> a trained VAE per model variant -> samples; the baselines
#   rules/evaluation.smk    the article's comparison statistics; the metric suite vs the floor
#   rules/applications.smk  gap filling, anomaly scoring, forecasting on held-out years
#   rules/figures.smk       every figure: its numbers (figdata), then its drawing
#   (with several sites)    site_summary, plot_site_summary: every site against its own floor
#
# Each rule is one CLI call of the `seasonal_vae` package (python -m seasonal_vae <step>), so
# every step also runs without Snakemake; the paths of every file are in the package's path
# table (src/seasonal_vae/core/paths.py), the settings in its schema
# (src/seasonal_vae/core/schema.yaml), and each rule receives only the settings it uses.

from snakemake.utils import min_version

from seasonal_vae.core.config import dataset_names, load_config
from seasonal_vae.core.sites import load_unique_yaml

min_version("9.0")


configfile: "config/config.yaml"
report: "report/workflow.rst"  # `snakemake --report report.html`: its landing page


for configfile_ in workflow.configfiles:  # a key given twice (two sites of one name) is refused
    load_unique_yaml(configfile_)
config.update(load_config(config))  # validated, defaults filled in, by the package's schema


include: "rules/common.smk"


wildcard_constraints:
    dataset="|".join(config["datasets"]),
    variant="|".join(config["models"]),
    method="|".join(METHODS),
    year=r"\d{4}",
    figure="|".join(FIGURES),


include: "rules/data.smk"
include: "rules/model.smk"
include: "rules/evaluation.smk"
include: "rules/applications.smk"
include: "rules/figures.smk"


localrules:  # targets only, never sent to a cluster
    all,
    ablations,


rule all:
    input:
        expand(P("figure"), dataset=dataset_names(config), figure=FIGURES),
        expand([P("comparison_table"), P("metrics_table"), P("imputation_table"),
                P("anomaly_table"), P("forecast_table")], dataset=dataset_names(config)),
        expand([P("variant_imputation_table"), P("variant_forecast_table")],
               dataset=dataset_names(config), variant=config["build"]["applications"]),
        # with more than one site: every site against its own floor, in one table and figure
        [P("site_summary_table"), P("site_summary_figure")] if len(dataset_names(config)) > 1 else [],


rule ablations:
    input:
        expand(P("ablation_table"), dataset=dataset_names(config)),


# A profile's per-rule settings (`set-resources`, `set-threads`) must name rules of this
# workflow: Snakemake would silently ignore a misspelt one, and a cluster job would then run
# with the defaults. Checked when the Snakefile is read, before any job starts.
check_rule_names(workflow)
