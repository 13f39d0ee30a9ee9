# Judging the generated data: the article's comparison statistics of the main model, and the
# metric suite of every generator (the VAE with and without noise, the other variants, the
# baselines) against the held-out real years, each metric beside the real-vs-real noise floor.



rule compare:
    message:
        "Computing the result figure's statistics, real vs generated"
    input:
        series=P("series"),
        samples=main("samples"),
    output:
        json=P("comparison"),
        markdown=report_table("comparison_table"),
    conda:
        ENV
    log:
        P("log", step="compare"),
    params:
        cfg=cfg(),
    threads: 1
    resources:
        mem_mb=2000, runtime=10,
    shell:
        cli("compare", "{input.series:q} {input.samples:q} --json {output.json:q} "
            "--markdown {output.markdown:q}")


rule evaluate:
    message:
        "Metric suite: every generator vs the held-out years, beside the real-vs-real floor"
    input:
        series=P("series"),
        generators=lambda wildcards: generators(wildcards).values(),
    output:
        csv=P("metrics"),
        floor=P("metrics_floor"),
        markdown=report_table("metrics_table"),
    conda:
        ENV
    log:
        P("log", step="evaluate"),
    benchmark:
        P("benchmark", step="evaluate")
    params:
        generators=lambda wildcards: " ".join(f"{name}={path}"
                                              for name, path in generators(wildcards).items()),
        cfg=cfg("data", "windows", "detrend", "evaluation"),
    threads: workflow.cores
    resources:
        mem_mb=4000,
        runtime=60,
    shell:
        cli("evaluate", "{input.series:q} {params.generators} --out {output.csv:q} "
            "--floor {output.floor:q} --markdown {output.markdown:q}")


use rule evaluate as evaluate_ablations with:
    message:
        "Metric suite with each part of the extended model alone (snakemake ablations)"
    input:
        series=P("series"),
        generators=lambda wildcards: generators(wildcards, ablation_variants()).values(),
    output:
        csv=P("ablation_metrics"),
        floor=P("ablation_metrics_floor"),
        markdown=P("ablation_table"),
    log:
        P("log", step="evaluate_ablations"),
    benchmark:
        P("benchmark", step="evaluate_ablations")
    params:
        generators=lambda wildcards: " ".join(
            f"{name}={path}" for name, path in generators(wildcards, ablation_variants()).items()
        ),
        cfg=cfg("data", "windows", "detrend", "evaluation"),


rule site_summary:
    message:
        "Every site's metrics against its own noise floor, in one table"
    input:
        unpack(lambda wildcards: {name: P("metrics", dataset=name) for name in dataset_names(config)}),
    output:
        csv=P("site_summary"),
        # in `snakemake --report`: beside the summary figure, its description showing the table
        markdown=report(P("site_summary_table"), caption="../report/table.rst", category="Across sites",
                        labels={"table": "site_summary", "site": "all sites"}),
    conda:
        ENV
    log:
        P("site_summary_log", step="site_summary"),
    params:
        metrics=lambda wildcards, input: " ".join(f"{name}={path}" for name, path in input.items()),
        cfg=lambda wildcards: section_json(config, "datasets"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        cli("site-summary", "{params.metrics} --out {output.csv:q} --markdown {output.markdown:q}")
