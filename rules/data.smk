# Data in: raw ERA5 years (downloaded) or a station file -> one hourly local-time series in °F
# -> detrended -> standardised training/validation windows.



rule download:
    message:
        "Downloading ERA5 2 m temperature for {wildcards.year} from the Climate Data Store"
    output:
        protected(P("raw_era5")),
    conda:
        ENV
    log:
        P("log", step="download/{year}"),
    params:
        cfg=cfg("site", "data"),
    threads: 1
    resources:
        mem_mb=1000, runtime=180,
    shell:
        cli("download", "--out-dir data/raw/{wildcards.dataset} --years {wildcards.year}")


rule series:
    message:
        "Reading the raw files into one hourly local-time series in °F"
    input:
        raw_files,
    output:
        P("series"),
    conda:
        ENV
    log:
        P("log", step="series"),
    params:
        cfg=cfg("site", "data"),
    threads: 1
    resources:
        mem_mb=2000, runtime=15,
    shell:
        cli("series", "{input:q} --out {output:q}")


rule detrend:
    message:
        "Removing the warming trend (continuous ramp to the reference-year climate)"
    input:
        P("series"),
    output:
        adjusted=P("detrended"),
        report=P("trend"),
    conda:
        ENV
    log:
        P("log", step="detrend"),
    params:
        cfg=cfg("detrend"),
    threads: 1
    resources:
        mem_mb=2000, runtime=10,
    shell:
        cli("detrend", "{input:q} --out {output.adjusted:q} --report {output.report:q}")


rule windows:
    message:
        "Standardising and cutting training/validation windows (whole held-out years)"
    input:
        P("detrended"),
    output:
        P("windows"),
    conda:
        ENV
    log:
        P("log", step="windows"),
    params:
        cfg=cfg("data", "windows"),
    threads: 1
    resources:
        mem_mb=2000, runtime=10,
    shell:
        cli("windows", "{input:q} --out {output:q}")
