"""The whole Snakemake workflow, end to end, on a small slice of the bundled data.

Runs in a temporary copy of the workflow (8 years, 300 short epochs) and checks that every output
exists and is sane, that a second `snakemake -n` has nothing to do, that editing only the
plotting code or changing only a figure setting reruns only the figure, and that the Snakefile
passes `snakemake --lint`. The build runs without CDS credentials (HOME is a temporary folder
and CDSAPI_* are unset): the offline default never needs them.
"""

import os
import re
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


def _env(work=None):
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    if work is not None:
        # the workflow copy imports its own copy of the package (so that a test may touch the
        # plotting code without touching the repository) and has no CDS credentials
        env["PYTHONPATH"] = str(work / "src")
        env["HOME"] = str(work / "home")
        for name in ("CDSAPI_URL", "CDSAPI_KEY", "CDSAPI_RC"):
            env.pop(name, None)
    return env


def _snakemake(args, cwd):
    work = None if Path(cwd) == ROOT else Path(cwd)
    return subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=cwd, env=_env(work),
                          capture_output=True, text=True, timeout=1200)


def _jobs(dry_run):
    """The "Job stats" table of `snakemake -n` as {rule: count}; {} when nothing is to do."""
    text = dry_run.stdout + dry_run.stderr
    assert dry_run.returncode == 0, text
    match = re.search(r"Job stats:\n.*?\n-+\s+-+\n(.*?)\n\s*total", text, re.S)
    if not match:
        assert "Nothing to be done" in text, text
        return {}
    return {name: int(n) for name, n in (line.split() for line in match.group(1).splitlines())}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    work = tmp_path_factory.mktemp("workflow")
    shutil.copy(ROOT / "Snakefile", work)
    shutil.copytree(ROOT / "config", work / "config")
    shutil.copy(ROOT / "environment.yml", work)
    shutil.copytree(ROOT / "src", work / "src", ignore=shutil.ignore_patterns("__pycache__"))
    (work / "home").mkdir()
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


def test_the_build_used_the_package_copy_and_no_download(workdir):
    dry = _snakemake(["--cores", "2", "--configfile", "config/test.yaml", "-n", "--forceall"],
                     workdir)
    assert "download" not in _jobs(dry)
    assert not (workdir / "home" / ".cdsapirc").exists() and not (workdir / "data" / "raw").exists()


def test_editing_the_plotting_code_reruns_only_the_figure(workdir):
    """Snakemake (>= 8) reruns a job when an input's content changes; an input that is only
    newer (`touch`) but has the checksum recorded at the last run does not rerun anything."""
    code = workdir / "src" / "seasonal_vae" / "plotting" / "comparison.py"
    original, before = code.read_bytes(), code.stat()
    dry_run = ["--cores", "2", "--configfile", "config/test.yaml", "-n"]
    try:
        os.utime(code)  # `touch`: same content, nothing to do
        assert _jobs(_snakemake(dry_run, workdir)) == {}
        code.write_bytes(original + b"\n# restyled\n")  # an edit: only the figure
        assert _jobs(_snakemake(dry_run, workdir)) == {"plot_comparison": 1, "all": 1}
    finally:
        code.write_bytes(original)
        os.utime(code, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert _jobs(_snakemake(dry_run, workdir)) == {}


@pytest.mark.parametrize("change, rerun", [
    ({"figures": {"comparison_weeks": 2}}, {"plot_comparison", "all"}),
    ({"sampling": {"seed": 8}}, {"sample", "compare", "plot_comparison", "all"}),
    ({"detrend": {"rate_per_decade": 0.5}},
     {"detrend", "windows", "train", "sample", "compare", "plot_comparison", "all"}),
])
def test_changing_one_setting_reruns_only_what_depends_on_it(workdir, change, rerun):
    cfg = yaml.safe_load((workdir / "config" / "test.yaml").read_text())
    for section, values in change.items():
        cfg.setdefault(section, {}).update(values)
    changed = workdir / "config" / "changed.yaml"
    changed.write_text(yaml.safe_dump(cfg))
    dry = _snakemake(["--cores", "2", "--configfile", "config/changed.yaml", "-n"], workdir)
    assert set(_jobs(dry)) == rerun


def test_lint_is_clean():
    lint = _snakemake(["--lint"], ROOT)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "Congratulations" in lint.stdout + lint.stderr
