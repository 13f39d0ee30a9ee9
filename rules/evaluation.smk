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
        markdown=P("comparison_table"),
    conda:
        ENV
    log:
        P("log", step="compare"),
    params:
        cfg=cfg(),
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
        markdown=P("metrics_table"),
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
