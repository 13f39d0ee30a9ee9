# Every figure in two steps, from the figure registry (src/seasonal_vae/figures/registry.py):
# its numbers (results/<dataset>/figdata/<figure>.nc, from the pipeline files the registry
# names), then the drawing (figures/<dataset>/<figure>.png and .svg). Each step lists its own
# code as an input, so that restyling a figure redraws only that figure and never recomputes,
# let alone retrains.


rule figure_data:
    message:
        "Computing the numbers of figure {wildcards.figure}"
    input:
        unpack(figure_inputs),
        code=lambda wildcards: FIGURES[wildcards.figure].compute_code,
    output:
        P("figure_data"),
    conda:
        ENV
    log:
        P("log", step="figure_data/{figure}"),
    params:
        files=lambda wildcards, input: " ".join(
            f"{key}={input[key]}" for key in FIGURES[wildcards.figure].inputs),
        cfg=figure_settings,
    shell:
        cli("figure-data", "{wildcards.figure} {params.files} --out {output:q}")


rule plot:
    message:
        "Drawing figure {wildcards.figure}"
    input:
        data=P("figure_data"),
        code=lambda wildcards: FIGURES[wildcards.figure].draw_code,
    output:
        png=P("figure"),
        svg=P("figure_svg"),
    conda:
        ENV
    log:
        P("log", step="plot/{figure}"),
    params:
        cfg=figure_settings,
    shell:
        cli("plot", "{wildcards.figure} {input.data:q} --out {output.png:q}")
