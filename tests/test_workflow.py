"""The whole Snakemake workflow, end to end, on a small slice of the bundled data.

Runs in a temporary copy of the workflow (8 years, 300 short epochs) and checks that every output
exists and is sane, that a second `snakemake -n` has nothing to do, and that the Snakefile
passes `snakemake --lint`.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _env():
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    return env


def _snakemake(args, cwd):
    return subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=cwd, env=_env(),
                          capture_output=True, text=True, timeout=1200)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    work = tmp_path_factory.mktemp("workflow")
    shutil.copy(ROOT / "Snakefile", work)
    shutil.copytree(ROOT / "config", work / "config")
    shutil.copy(ROOT / "environment.yml", work)
    test_cfg = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())
    years = range(test_cfg["data"]["first_year"], test_cfg["data"]["last_year"] + 1)
    (work / "data" / "surrogate").mkdir(parents=True)
    for y in years:
        shutil.copy(ROOT / "data" / "surrogate" / f"era5_t2m_{y}.nc", work / "data" / "surrogate")
    run = _snakemake(["--cores", "2", "--configfile", "config/test.yaml"], work)
    if run.returncode != 0:
        logs = "\n".join(f"--- {p}\n{p.read_text()[-3000:]}" for p in sorted(work.glob("logs/**/*.log")))
        pytest.fail(f"snakemake failed:\n{run.stderr[-5000:]}\n{logs}")
    return work


def test_every_output_exists(workdir):
    for rel in ["results/series.nc", "results/detrended.nc", "results/trend.json",
                "results/windows.nc", "results/model/vae.keras", "results/model/history.csv",
                "results/samples.nc", "results/comparison.json", "figures/comparison.md",
                "figures/comparison.png", "figures/comparison.svg"]:
        path = workdir / rel
        assert path.is_file() and path.stat().st_size > 0, rel
    assert (workdir / "figures" / "comparison.png").stat().st_size > 20_000
    for log in ["series", "detrend", "windows", "train", "sample", "compare", "plot_comparison"]:
        assert (workdir / "logs" / f"{log}.log").is_file(), log


def test_outputs_are_sane(workdir):
    real = xr.open_dataset(workdir / "results" / "series.nc")["t2m"]
    samples = xr.open_dataset(workdir / "results" / "samples.nc")["t2m"]
    assert real.sizes["time"] == 8 * 8760 + 2 * 24  # 1974-1981, two leap days
    assert samples.sizes == {"path": 2, "time": real.sizes["time"]}
    np.testing.assert_array_equal(samples["time"].values, real["time"].values)
    assert np.isfinite(samples.values).all()
    # a short training on 8 years learns the cycles roughly: loose bands, but the shapes
    gen = samples.isel(path=0)
    real_monthly = real.groupby("time.month").mean().values
    gen_monthly = gen.groupby("time.month").mean().values
    assert np.abs(gen_monthly - real_monthly).max() < 15
    assert np.corrcoef(gen_monthly, real_monthly)[0, 1] > 0.9
    gen_hourly = gen.groupby("time.hour").mean().values
    assert 12 <= int(np.argmax(gen_hourly)) <= 18 and 3 <= int(np.argmin(gen_hourly)) <= 8
    assert abs(float(samples.mean()) - float(real.mean())) < 5
    history = (workdir / "results" / "model" / "history.csv").read_text().splitlines()
    assert len(history) == 1 + 300 and "val_loss" in history[0]


def test_second_run_has_nothing_to_do(workdir):
    dry = _snakemake(["--cores", "2", "--configfile", "config/test.yaml", "-n"], workdir)
    assert dry.returncode == 0, dry.stderr
    assert "Nothing to be done" in dry.stdout + dry.stderr


def test_lint_is_clean():
    lint = _snakemake(["--lint"], ROOT)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "Congratulations" in lint.stdout + lint.stderr
