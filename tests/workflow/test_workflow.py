"""The whole Snakemake workflow, end to end, on a small slice of the bundled data.

Runs in a temporary copy of the workflow (8 surrogate and 5 station years, 200 short epochs)
and checks that every output exists and is sane, that a second `snakemake -n` has nothing to
do, that editing only the plotting code or changing only a figure setting reruns only the
figure, and that the Snakefile passes `snakemake --lint`. The build runs without CDS
credentials (HOME is a temporary folder and CDSAPI_* are unset): the offline default never
needs them."""

import os
import re

import numpy as np
import pytest
import xarray as xr
import yaml
from conftest import ROOT
from conftest import snakemake as _snakemake

from seasonal_vae.figures.registry import FIGURES as REGISTRY

pytestmark = pytest.mark.slow


def _jobs(dry_run):
    """The "Job stats" table of `snakemake -n` as {rule: count}; {} when nothing is to do."""
    text = dry_run.stdout + dry_run.stderr
    assert dry_run.returncode == 0, text
    match = re.search(r"Job stats:\n.*?\n-+\s+-+\n(.*?)\n\s*total", text, re.S)
    if not match:
        assert "Nothing to be done" in text, text
        return {}
    return {name: int(n) for name, n in (line.split() for line in match.group(1).splitlines())}


# every figure of the registry: the article's, the result figure, the evaluation's and the
# applications' (16)
FIGURES = list(REGISTRY)
assert len(FIGURES) == 16


DATASETS = {"surrogate": (1974, 1981), "greenway": (2003, 2007)}  # config/test.yaml


@pytest.mark.parametrize("dataset", DATASETS)
def test_every_output_exists(workdir, dataset):
    """Every file of the path table (core/paths.py), for every prior, baseline and figure the
    small build makes, exists and is not empty."""
    from itertools import product

    from seasonal_vae.core.paths import PATHS, path, wildcards
    from seasonal_vae.model.baselines import METHODS

    values = {
        "dataset": [dataset],
        "variant": ["seasonal", "standard"],
        "method": list(METHODS),
        "figure": FIGURES,
    }
    outputs = []
    for key in set(PATHS) - {
        "raw_era5",
        "log",
        "site_summary_log",
        "benchmark",
        "ablation_metrics",
        "ablation_metrics_floor",
        "ablation_table",
    }:
        if key.startswith("variant_"):  # build.applications is [] in the small build
            continue
        names = sorted(wildcards(key))
        for combo in product(*(values[n] for n in names)):
            outputs.append(path(key, **dict(zip(names, combo))))
    outputs = [o for o in outputs if not o.endswith("standard_noise.nc")]  # main model only
    assert len(outputs) > 60
    for rel in outputs:
        target = workdir / rel
        assert target.is_file() and target.stat().st_size > 0, rel
    f = f"figures/{dataset}"
    for name in FIGURES:
        assert (workdir / f / f"{name}.png").stat().st_size > 20_000, name
    logs = {
        p.relative_to(workdir / "logs" / dataset).as_posix()
        for p in (workdir / "logs" / dataset).rglob("*.log")
    }
    assert {
        "series.log",
        "detrend.log",
        "windows.log",
        "train/seasonal.log",
        "train/standard.log",
        "sample/seasonal.log",
        "compare.log",
        "plot/prior.log",
        "figure_data/prior.log",
    } <= logs
    # nothing half-written is left anywhere
    assert not [p for p in workdir.rglob("*") if ".tmp" in p.name or p.name.endswith(".work")]


@pytest.mark.parametrize("dataset", DATASETS)
def test_outputs_are_sane(workdir, dataset):
    real = xr.open_dataset(workdir / "results" / dataset / "series.nc")["t2m"]
    samples = xr.open_dataset(workdir / "results" / dataset / "samples" / "seasonal.nc")["t2m"]
    first, last = DATASETS[dataset]
    n_years = last - first + 1
    leap_days = sum(y % 4 == 0 for y in range(first, last + 1))
    assert real.sizes["time"] == n_years * 8760 + 24 * leap_days  # every hour, leap days too
    assert samples.sizes == {"path": 2, "time": real.sizes["time"]}
    np.testing.assert_array_equal(samples["time"].values, real["time"].values)
    assert np.isfinite(samples.values).all()
    # a short training learns the cycles roughly: loose bands, but the shapes
    gen = samples.isel(path=0)
    real_monthly = real.groupby("time.month").mean().values
    gen_monthly = gen.groupby("time.month").mean().values
    assert np.abs(gen_monthly - real_monthly).max() < 15
    assert np.corrcoef(gen_monthly, real_monthly)[0, 1] > 0.9
    gen_hourly = gen.groupby("time.hour").mean().values
    assert 12 <= int(np.argmax(gen_hourly)) <= 18 and 3 <= int(np.argmin(gen_hourly)) <= 8
    assert abs(float(samples.mean()) - float(real.mean())) < 5
    history = (workdir / "results" / dataset / "models" / "seasonal" / "history.csv").read_text().splitlines()
    epochs = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())["training"]["epochs"]
    assert len(history) == 1 + epochs and "val_loss" in history[0]


def test_second_run_has_nothing_to_do(workdir):
    dry = _snakemake(["--cores", "2", "--configfile", "config/test.yaml", "-n"], workdir)
    assert dry.returncode == 0, dry.stderr
    assert "Nothing to be done" in dry.stdout + dry.stderr


def test_the_build_used_the_package_copy_and_no_download(workdir):
    dry = _snakemake(["--cores", "2", "--configfile", "config/test.yaml", "-n", "--forceall"], workdir)
    assert "download" not in _jobs(dry)
    assert not (workdir / "home" / ".cdsapirc").exists() and not (workdir / "data" / "raw").exists()


def test_editing_the_plotting_code_reruns_only_the_figure(workdir):
    """Snakemake (>= 8) reruns a job when an input's content changes; an input that is only
    newer (`touch`) but has the checksum recorded at the last run does not rerun anything."""
    code = workdir / "src" / "seasonal_vae" / "figures" / "draw" / "comparison.py"
    original, before = code.read_bytes(), code.stat()
    dry_run = ["--cores", "2", "--configfile", "config/test.yaml", "-n"]
    try:
        os.utime(code)  # `touch`: same content, nothing to do
        assert _jobs(_snakemake(dry_run, workdir)) == {}
        code.write_bytes(original + b"\n# restyled\n")
        # an edit: only the drawing of that figure, of each data set
        dry = _snakemake(dry_run, workdir)
        assert _jobs(dry) == {"plot": 2, "all": 1}
        assert "figures/surrogate/comparison.png" in dry.stdout + dry.stderr
    finally:
        code.write_bytes(original)
        os.utime(code, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert _jobs(_snakemake(dry_run, workdir)) == {}


FIGURE_RULES = {"figure_data", "plot"}  # every figure: its numbers, then its drawing
SITE_RULES = {"site_summary", "plot_site_summary"}  # after any site's evaluation


@pytest.mark.parametrize(
    "change, rerun",
    [
        # exactly the two figures that read the `figures` section (comparison, samples), twice
        ({"figures": {"comparison_weeks": 2}}, {"figure_data": 4, "plot": 4, "all": 1}),
        (
            {"sampling": {"seed": 8}},
            {"sample", "sample_with_noise", "compare", "evaluate", "all"} | FIGURE_RULES | SITE_RULES,
        ),
        ({"evaluation": {"n_splits": 4}}, {"evaluate", "all"} | FIGURE_RULES | SITE_RULES),
        ({"evaluation": {"seed": 3}}, {"baseline", "evaluate", "all"} | FIGURE_RULES | SITE_RULES),
        ({"applications": {"n_members": 5}}, {"impute", "anomaly", "forecast", "all"} | FIGURE_RULES),
        ({"detrend": {"rate_per_decade": 0.5}}, "everything but series"),
    ],
)
def test_changing_one_setting_reruns_only_what_depends_on_it(workdir, change, rerun):
    cfg = yaml.safe_load((workdir / "config" / "test.yaml").read_text())
    for section, values in change.items():
        cfg.setdefault(section, {}).update(values)
    changed = workdir / "config" / "changed.yaml"
    changed.write_text(yaml.safe_dump(cfg))
    dry = _snakemake(["--cores", "2", "--configfile", "config/changed.yaml", "-n"], workdir)
    if rerun == "everything but series":
        everything = _jobs(
            _snakemake(["--cores", "2", "--configfile", "config/test.yaml", "-n", "--forceall"], workdir)
        )
        rerun = set(everything) - {"series"}
    if isinstance(rerun, dict):  # the number of jobs of each rule
        assert _jobs(dry) == rerun
    else:
        assert set(_jobs(dry)) == rerun


def test_lint_is_clean():
    lint = _snakemake(["--lint"], ROOT)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "Congratulations" in lint.stdout + lint.stderr


@pytest.mark.parametrize("dataset", DATASETS)
def test_the_evaluation_judges_every_generator_against_a_floor(workdir, dataset):
    from seasonal_vae.evaluation.metrics_table import read_metrics

    table = read_metrics(workdir / "results" / dataset / "metrics.csv")
    if dataset == "greenway":  # one held-out year (2006): year-to-year variability is not judged
        one_year = table["metric"] == "interannual_log_ratio"
        assert one_year.any() and table.loc[one_year, "value"].isna().all()
        table = table[~one_year]
    assert list(dict.fromkeys(table["generator"])) == [
        "vae",
        "vae_noise",
        "vae_standard_prior",
        "harmonic_ar",
        "bootstrap",
    ]
    assert table["value"].notna().all() and (table["n_floor"] > 0).all()
    assert (table["floor_p95"] >= table["floor_median"]).all()
    # the noisy samples are the same paths plus noise: same climatology of the mean, to ~0.1 °F
    value = table.set_index(["generator", "metric"])["value"]
    assert abs(value["vae", "clim_mean_rmse"] - value["vae_noise", "clim_mean_rmse"]) < 0.3
    shown = (workdir / "figures" / dataset / "metrics.md").read_text()
    assert "Floor median (p95)" in shown and "bootstrap" in shown


def test_an_era5_data_set_downloads_its_years_and_builds_in_its_own_folder():
    """config/era5.yaml: the DAG asks `download` for each year into data/raw/era5/ (a dry run:
    no credentials needed to plan it), and every output goes to results/era5/, figures/era5/."""
    dry = _snakemake(["--cores", "2", "--configfile", "config/era5.yaml", "-n", "-p"], ROOT)
    jobs = _jobs(dry)
    assert jobs["download"] == 50 and jobs["train"] == 3  # the variants of build.models
    text = dry.stdout + dry.stderr
    assert "data/raw/era5/era5_t2m_1974.nc" in text and "results/era5/series.nc" in text
    assert "results/surrogate/" not in text and "results/greenway/" not in text
