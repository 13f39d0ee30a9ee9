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
    threads: 1
    resources:
        mem_mb=3000, runtime=15,
    shell:
        cli("figure-data", "{wildcards.figure} {params.files} --out {output:q}")


rule plot:
    message:
        "Drawing figure {wildcards.figure}"
    input:
        data=P("figure_data"),
        code=lambda wildcards: FIGURES[wildcards.figure].draw_code,
    output:
        # in `snakemake --report`: the registry's category, then the site; the caption
        # (report/figure.rst) shows the registry's caption, params.caption
        png=report(P("figure"), caption="../report/figure.rst",
                   category=lambda wildcards: FIGURES[wildcards.figure].category,
                   subcategory="{dataset}", labels={"figure": "{figure}", "site": "{dataset}"}),
        svg=P("figure_svg"),
    conda:
        ENV
    log:
        P("log", step="plot/{figure}"),
    params:
        cfg=figure_settings,
        # for the report's caption only; as a param it is provenance: a new caption redraws
        caption=lambda wildcards: FIGURES[wildcards.figure].caption,
    threads: 1
    resources:
        mem_mb=2000, runtime=10,
    shell:
        cli("plot", "{wildcards.figure} {input.data:q} --out {output.png:q}")


rule plot_site_summary:
    message:
        "Drawing the cross-site summary"
    input:
        data=P("site_summary"),
        code="src/seasonal_vae/figures/draw/site_summary.py",
    output:
        png=report(P("site_summary_figure"), caption="../report/site_summary.rst", category="Across sites",
                   labels={"figure": "site_summary", "site": "all sites"}),
        svg=P("site_summary_figure_svg"),
    conda:
        ENV
    log:
        P("site_summary_log", step="plot_site_summary"),
    params:
        cfg="{}",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        cli("plot-site-summary", "{input.data:q} --out {output.png:q}")
