# The models: each variant of build.models (config `models`: the article's model, its N(0, I)
# ablation, the extended model; `snakemake ablations` adds build.ablations) trained, then
# sampled over the real record's dates with and without observation noise; and the two
# classical baselines fitted on the training years.


rule train:
    message:
        "Training the VAE with the {wildcards.variant} model"
    input:
        P("windows"),
    output:
        model=P("model"),
        history=P("history"),
    conda:
        ENV
    log:
        P("log", step="train/{variant}"),
    benchmark:
        P("benchmark", step="train_{variant}")
    params:
        cfg=cfg("data", "windows", "model", "training", variant=True),
    # half the cores each, so the model and its ablation train side by side: on 2 cores two
    # runs at once took 35 s where one after the other took 52 s (60 epochs each), with the
    # same weights (TensorFlow's deterministic kernels do not depend on the scheduling)
    threads: max(1, workflow.cores // 2)
    # gpu: a scheduler places training on a GPU node (profiles/slurm says how to turn it off);
    # a local run ignores it, and TensorFlow trains on the CPU where no GPU is visible
    resources:
        mem_mb=3000,
        runtime=180,
        gpu=1,
    shell:
        cli("train", "{input:q} --out {output.model:q} --history {output.history:q}")


rule sample:
    message:
        "Generating synthetic paths over the real record's dates ({wildcards.variant} model)"
    input:
        model=P("model"),
        series=P("series"),
    output:
        P("samples"),
    conda:
        ENV
    log:
        P("log", step="sample/{variant}"),
    benchmark:
        P("benchmark", step="sample_{variant}")
    params:
        cfg=cfg("data", "sampling"),
    threads: 1
    resources:
        mem_mb=3000, runtime=20,
    shell:
        cli("sample", "{input.model:q} {input.series:q} --out {output:q}")


use rule sample as sample_with_noise with:
    message:
        "Generating the same paths with observation noise N(0, σ²) added ({wildcards.variant} model)"
    output:
        P("samples_noise"),
    log:
        P("log", step="sample/{variant}_noise"),
    benchmark:
        P("benchmark", step="sample_{variant}_noise")
    params:
        cfg=cfg("data", "sampling", noise=True),


rule baseline:
    message:
        "Fitting the {wildcards.method} baseline on the training years and simulating the record"
    input:
        P("detrended"),
    output:
        P("baseline"),
    conda:
        ENV
    log:
        P("log", step="baseline/{method}"),
    params:
        cfg=cfg("data", "windows", sampling=["n_paths"], evaluation=["seed", "baseline_maxlag"]),
    threads: 1
    resources:
        mem_mb=2000, runtime=20,
    shell:
        cli("baseline", "{wildcards.method} {input:q} --out {output:q}")
