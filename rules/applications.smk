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
        markdown=P("imputation_table"),
    conda:
        ENV
    log:
        P("log", step="applications/imputation"),
    params:
        cfg=cfg("data", "applications"),
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
        markdown=P("anomaly_table"),
    conda:
        ENV
    log:
        P("log", step="applications/anomaly"),
    params:
        cfg=cfg("data", "applications"),
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
        markdown=P("forecast_table"),
    conda:
        ENV
    log:
        P("log", step="applications/forecast"),
    params:
        cfg=cfg("data", "applications"),
    shell:
        cli("forecast", "{input.model:q} {input.windows:q} --out {output.nc:q} "
            "--json {output.json:q} --markdown {output.markdown:q}")
