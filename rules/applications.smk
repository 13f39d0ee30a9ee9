# The article's applications, on the main model, scored on the held-out years: gap filling,
# anomaly scoring (with injected faults) and forecasts 1-7 days ahead.


rule impute:
    message:
        "Gap filling: VAE ensembles vs linear and climatological fills on held-out years"
    input:
        model=main("model"),
        windows=P("windows"),
    output:
        nc=P("imputation"),
        json=P("imputation_scores"),
        markdown=report_table("imputation_table"),
    conda:
        ENV
    log:
        P("log", step="applications/imputation"),
    params:
        cfg=cfg("data", "applications", as_fitted=True),  # the article model's ensembles: q as fitted
    threads: 1
    resources:
        mem_mb=3000, runtime=30,
    shell:
        cli("impute", "{input.model:q} {input.windows:q} --out {output.nc:q} "
            "--json {output.json:q} --markdown {output.markdown:q}")


rule anomaly:
    message:
        "Anomaly scores of the whole record and detection of injected faults"
    input:
        model=main("model"),
        windows=P("windows"),
    output:
        nc=P("anomaly"),
        top=P("anomaly_top"),
        json=P("anomaly_scores"),
        markdown=report_table("anomaly_table"),
    conda:
        ENV
    log:
        P("log", step="applications/anomaly"),
    params:
        cfg=cfg("data", "applications"),
    threads: 1
    resources:
        mem_mb=3000, runtime=30,
    shell:
        cli("anomaly", "{input.model:q} {input.windows:q} --out {output.nc:q} "
            "--top-csv {output.top:q} --json {output.json:q} --markdown {output.markdown:q}")


rule forecast:
    message:
        "Forecasts 1-7 days ahead: VAE ensembles vs climatology and persistence"
    input:
        model=main("model"),
        windows=P("windows"),
    output:
        nc=P("forecast"),
        json=P("forecast_scores"),
        markdown=report_table("forecast_table"),
    conda:
        ENV
    log:
        P("log", step="applications/forecast"),
    params:
        cfg=cfg("data", "applications", as_fitted=True),  # the article model's ensembles: q as fitted
    threads: 1
    resources:
        mem_mb=3000, runtime=30,
    shell:
        cli("forecast", "{input.model:q} {input.windows:q} --out {output.nc:q} "
            "--json {output.json:q} --markdown {output.markdown:q}")


# The same gap filling and forecasts with each variant of build.applications (the extended
# model: its AR residual and its latent memory condition on the observed hours), in tables of
# their own beside the article model's; their ensembles' spread is applications.spread (by
# default chosen on training-year cases).
use rule impute as impute_variant with:
    message:
        "Gap filling with the {wildcards.variant} model"
    input:
        model=P("model"),
        windows=P("windows"),
    output:
        nc=P("variant_imputation"),
        json=P("variant_imputation_scores"),
        markdown=report_table("variant_imputation_table"),
    log:
        P("log", step="applications/{variant}/imputation"),
    params:
        cfg=cfg("data", "applications"),


use rule forecast as forecast_variant with:
    message:
        "Forecasts 1-7 days ahead with the {wildcards.variant} model"
    input:
        model=P("model"),
        windows=P("windows"),
    output:
        nc=P("variant_forecast"),
        json=P("variant_forecast_scores"),
        markdown=report_table("variant_forecast_table"),
    log:
        P("log", step="applications/{variant}/forecast"),
    params:
        cfg=cfg("data", "applications"),
