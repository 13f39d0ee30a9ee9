# Shared by every rules file: the path table, the figure registry, the helpers that write a
# rule's shell command (one CLI call of the package, its --config and its log) and its inputs.

from seasonal_vae.core.config import (dataset_config, dataset_names, generator_name, section_json,
                                      variant_config)
from seasonal_vae.core.paths import path as P  # the path table: src/seasonal_vae/core/paths.py
from seasonal_vae.core.paths import wildcards as wildcards_of
from seasonal_vae.figures.registry import FIGURES  # every figure: its inputs, settings, code
from seasonal_vae.model.baselines import METHODS  # the baselines: harmonic_ar, bootstrap

ENV = "../environment.yml"  # `snakemake --use-conda` (relative to this folder); pip needs no conda


def cli(command, args):
    """The shell command of a rule: `python -m seasonal_vae <command> <args>`, with the rule's
    settings (params.cfg) as --config and its output and errors in its log."""
    return (f"python -m seasonal_vae {command} {args} --config {{params.cfg:q}} "
            "> {log:q} 2>&1")


def cfg(*sections, variant=False, noise=False, as_fitted=False, **keys):
    """The given config sections of the rule's data set as inline JSON for `--config` (a
    function, so that Snakemake does not read the braces of the JSON as wildcards): a rule
    receives only the settings it uses, so that changing one knob reruns only the steps it
    affects. ``keys`` adds only the named keys of further sections, e.g.
    ``sampling=["n_paths"]``; ``variant`` sets the model section to the variant of the
    wildcard (the config's ``models``), ``noise`` adds observation noise to samples,
    ``as_fitted`` sets applications.spread to 1 (the article model's ensembles: q as fitted)."""

    def render(wildcards):
        c = dataset_config(config, wildcards.dataset)
        if variant:
            c = variant_config(c, wildcards.variant)
        if noise:
            c["sampling"] = {**c["sampling"], "noise": True}
        if as_fitted:
            c["applications"] = {**c["applications"], "spread": 1}
        picked = {**{s: c[s] for s in sections},
                  **{s: {k: c[s][k] for k in names} for s, names in keys.items()}}
        return section_json(picked, *picked)

    return render


def main(key):
    """Path ``key``, of the main model (config build.main, the article's) where it depends on
    the model variant: the model the figures and applications use."""
    if "variant" in wildcards_of(key):
        return P(key, variant=config["build"]["main"])
    return P(key)


def raw_files(wildcards):
    """The data set's input files: the per-year ERA5 files, or the station file."""
    data = config["datasets"][wildcards.dataset]["data"]
    if data["kind"] == "station":
        return [data["station"]["path"]]
    return [f"{data['raw_dir']}/{data['file_pattern'].format(year=y)}"
            for y in range(data["first_year"], data["last_year"] + 1)]


def generators(wildcards, variants=None):
    """The generators the evaluation judges, by the name its table gives them: every model
    variant of build.models (the main one with and without noise; a variant with the AR
    residual by its samples with that noise, which is its observation model), then the
    baselines."""
    main_variant = config["build"]["main"]
    files = {"vae": P("samples", variant=main_variant), "vae_noise": P("samples_noise", variant=main_variant)}
    for v in variants or config["build"]["models"]:
        if v != main_variant:
            noisy = config["models"][v].get("noise", config["model"]["noise"]) == "ar"
            files[generator_name(config, v)] = P("samples_noise" if noisy else "samples", variant=v)
    files.update({method: P("baseline", method=method) for method in METHODS})
    return {name: f.format(dataset=wildcards.dataset) for name, f in files.items()}


def figure_inputs(wildcards):
    """The pipeline files figure ``wildcards.figure`` is computed from (the main model's)."""
    return {key: main(key) for key in FIGURES[wildcards.figure].inputs}


def figure_settings(wildcards):
    """The config sections figure ``wildcards.figure`` reads, as inline JSON."""
    return section_json(dataset_config(config, wildcards.dataset),
                        *FIGURES[wildcards.figure].settings)


def ablation_variants():
    """The variants the ablation table judges: the default ones, then each part alone."""
    return list(dict.fromkeys(config["build"]["models"] + config["build"]["ablations"]))


def report_table(key):
    """Output ``key`` of the path table, a per-site Markdown table, marked for Snakemake's
    report (`snakemake --report report.html`): category "Tables", then the site, labelled by
    its name (and model variant, for a variant's table: the report lists one entry per
    label); its caption (report/table.rst) shows the table itself. Marking an output changes
    nothing a run builds."""
    name = key.removesuffix("_table").removeprefix("variant_")
    if "variant" in wildcards_of(key):
        name += " ({variant})"
    return report(P(key), caption="../report/table.rst", category="Tables", subcategory="{dataset}",
                  labels={"table": name, "site": "{dataset}"})


def check_rule_names(workflow):
    """Refuse per-rule resources or threads (a profile's `set-resources`, `set-threads`, or
    the same flags) that name no step of this workflow, naming them and the known ones."""
    from snakemake.exceptions import WorkflowError

    known = sorted(r.name for r in workflow.rules)
    settings = workflow.resource_settings
    for flag, given in (("set-resources", settings.overwrite_resources),
                        ("set-threads", settings.overwrite_threads)):
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise WorkflowError(
                f"{flag} names {', '.join(unknown)}, which this workflow does not have "
                f"(in the profile, e.g. profiles/slurm/config.yaml, or on the command line). "
                f"Fix: use the names of its steps ({', '.join(known)})")
