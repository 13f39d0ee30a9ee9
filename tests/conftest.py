import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]

#: The test modules that read the small build (the session fixture ``workdir``: minutes to
#: build). With pytest-xdist (``-n 2`` in pyproject.toml) they run on one worker, which builds
#: it first thing while the other worker runs the rest (``pytest_xdist_make_scheduler``); the
#: Slurm test compares its own build with it at its end, wherever it runs (``workdir``
#: is shared by the workers). ``pytest_collection_modifyitems`` refuses a test elsewhere that
#: asks for ``workdir``.
SMALL_BUILD_MODULES = frozenset(
    f"tests/workflow/test_{name}.py" for name in ("notebooks", "report", "sites_workflow", "workflow")
)
SLURM_MODULE = "tests/workflow/test_slurm.py"
#: Modules that join the small build's unit of work without reading it, to balance the two
#: workers: the other worker ends with the Slurm test (2.5 minutes), and with the rerun tests
#: (1.7 minutes of killed and resumed trainings) on it too, the small build's worker sat idle
#: for its last 2 minutes (a timeline of the suite, each test's start and end per worker, 5
#: December 2026: 10 min 7 s before the move, 9 min 39 s after, the workers then ending 24 s
#: apart).
SMALL_BUILD_WORKER_TOO = frozenset({"tests/workflow/test_reruns.py"})

#: The tiny pipeline's settings: three surrogate years, one held out, a small model and a few
#: epochs. It learns little; it exists so that figures, metrics and applications run on a
#: real trained model and real pipeline files in seconds.
TINY_CONFIG = {
    "data": {
        "raw_dir": "data/surrogate",
        "first_year": 1974,
        "last_year": 1976,
        "label": "surrogate data (tiny test slice)",
    },
    "windows": {"holdout_every": 3, "holdout_offset": 2},  # 1976 held out
    "model": {"filters": 8, "latent_dim": 4},
    "training": {"epochs": 10, "batch_size": 8, "learning_rate": 0.003},
    "sampling": {"n_paths": 2},
}


@pytest.fixture(scope="session")
def tiny_pipeline(tmp_path_factory):
    """Every file of the pipeline up to the samples, built by the package on a tiny slice.

    Returns a dict of paths: ``raw`` (list), ``series``, ``detrended``, ``trend``, ``windows``,
    ``model``, ``history``, ``samples``, ``standard_model`` (the N(0, I)-prior ablation),
    ``standard_samples`` and ``config`` (the validated configuration dict).
    """
    from seasonal_vae.cli import main
    from seasonal_vae.core.config import load_config

    root = tmp_path_factory.mktemp("tiny_pipeline")
    cfg = load_config(TINY_CONFIG)
    d = cfg["data"]
    raw = []
    for year in range(d["first_year"], d["last_year"] + 1):
        name = d["file_pattern"].format(year=year)
        raw.append(root / "raw" / name)
        raw[-1].parent.mkdir(exist_ok=True)
        shutil.copy(ROOT / "data" / "surrogate" / name, raw[-1])
    p = {"raw": raw, "config": cfg}
    for key, name in [
        ("series", "series.nc"),
        ("detrended", "detrended.nc"),
        ("trend", "trend.json"),
        ("windows", "windows.nc"),
    ]:
        p[key] = root / name

    def step(*args, config=TINY_CONFIG):  # each step as the workflow runs it: one CLI call
        assert main([*map(str, args), "--config", json.dumps(config)]) == 0, args

    step("series", *raw, "--out", p["series"])
    step("detrend", p["series"], "--out", p["detrended"], "--report", p["trend"])
    step("windows", p["detrended"], "--out", p["windows"])
    for prior, prefix in (("seasonal", ""), ("standard", "standard_")):
        run_cfg = {**TINY_CONFIG, "model": {**TINY_CONFIG["model"], "prior": prior}}
        model_dir = root / "models" / prior
        p[prefix + "model"] = model_dir / "vae.keras"
        p[prefix + "history"] = model_dir / "history.csv"
        p[prefix + "samples"] = root / "samples" / f"{prior}.nc"
        step(
            "train",
            p["windows"],
            "--out",
            p[prefix + "model"],
            "--history",
            p[prefix + "history"],
            config=run_cfg,
        )
        step("sample", p[prefix + "model"], p["series"], "--out", p[prefix + "samples"], config=run_cfg)
    return p


@pytest.fixture(scope="session")
def tiny_model(tiny_pipeline):
    """The tiny pipeline's trained model (seasonal prior), loaded once (read-only)."""
    from seasonal_vae.model.train import load_model

    return load_model(tiny_pipeline["model"])


@pytest.fixture(scope="session")
def tiny_record(tiny_pipeline):
    """The tiny pipeline's record (its windows file: adjusted series and split), loaded once."""
    from seasonal_vae.model.record import load_record

    return load_record(tiny_pipeline["windows"])


def pytest_collection_modifyitems(config, items):
    strays = [
        item.nodeid
        for item in items
        if "workdir" in getattr(item, "fixturenames", ())
        and item.nodeid.split("::")[0] not in SMALL_BUILD_MODULES | {SLURM_MODULE}
    ]
    if strays:
        raise pytest.UsageError(
            "these tests use the `workdir` fixture outside the modules that share one pytest-xdist "
            "worker (another worker would build the small build again): "
            + ", ".join(strays)
            + ". Fix: move them into one of those modules, or add theirs to "
            "`SMALL_BUILD_MODULES` in tests/conftest.py."
        )


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist load`` (pyproject.toml: ``-n 2``), except that the tests of
    ``SMALL_BUILD_MODULES`` (and ``SMALL_BUILD_WORKER_TOO``) form one unit of work, handed out
    first (the largest unit): one worker builds the small build while the other runs the tests
    in their order, the Slurm test near the end (by then the small build it compares with is
    there; started beside the small build, it waited minutes for it). xdist's own ``--dist
    loadgroup`` would group by marks, but it does not group under pytest 9.2
    (pytest-dev/pytest-xdist#1386: the group goes into a node id field that pytest no longer
    reads)."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SmallBuildScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::")[0]
            return "small build" if module in SMALL_BUILD_MODULES | SMALL_BUILD_WORKER_TOO else nodeid

    return SmallBuildScheduling(config, log)


def run_cli(args, caplog) -> tuple[int, str]:
    """``python -m seasonal_vae ARGS`` in this process: (exit status, what it logged)."""
    from seasonal_vae.cli import main

    caplog.clear()
    with caplog.at_level(logging.INFO):
        status = main([str(a) for a in args])
    return status, caplog.text


def snakemake_env(work=None):
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


def snakemake(args, cwd):
    work = None if Path(cwd) == ROOT else Path(cwd)
    return subprocess.run(
        [sys.executable, "-m", "snakemake", *args],
        cwd=cwd,
        env=snakemake_env(work),
        capture_output=True,
        text=True,
        timeout=1200,
    )


def copy_workflow(work: Path) -> Path:
    """A fresh copy of the workflow in the empty folder ``work``, ready to build the small test
    slice (config/test.yaml): the Snakefile, rules, config, report captions, profiles, the
    package's source, an empty HOME and the slice's input data. Returns ``work``."""
    shutil.copy(ROOT / "Snakefile", work)
    shutil.copytree(ROOT / "rules", work / "rules")
    shutil.copytree(ROOT / "config", work / "config")
    for folder in ("report", "profiles"):  # the report's captions; the executor profiles
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, work / folder)
    shutil.copy(ROOT / "environment.yml", work)
    shutil.copytree(ROOT / "src", work / "src", ignore=shutil.ignore_patterns("__pycache__"))
    (work / "home").mkdir()
    test_cfg = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())
    surrogate = test_cfg["datasets"]["surrogate"]["data"]
    (work / "data" / "surrogate").mkdir(parents=True)
    for y in range(surrogate["first_year"], surrogate["last_year"] + 1):
        shutil.copy(ROOT / "data" / "surrogate" / f"era5_t2m_{y}.nc", work / "data" / "surrogate")
    shutil.copytree(ROOT / "data" / "greenway", work / "data" / "greenway")
    return work


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    """The whole workflow built by Snakemake in a temporary copy, on the small test slice
    (config/test.yaml: 8 surrogate and 5 station years, 200 short epochs); shared by the
    workflow and notebook tests.

    Built once per test run: under pytest-xdist the workers share it through a folder beside
    their own temporary folders, the first one to ask building it under a lock while another
    that asks waits (the Slurm test, on the other worker, needs it only at its end)."""
    import fcntl

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # pytest-of-<user>/pytest-<n>/, above popen-gw0/ and popen-gw1/
    work, done, failed = shared / "small_build", shared / "small_build.done", shared / "small_build.failed"
    with open(shared / "small_build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if failed.exists():
            pytest.fail(failed.read_text())
        if not done.exists():
            work.mkdir()
            run = snakemake(["--cores", "2", "--configfile", "config/test.yaml"], copy_workflow(work))
            if run.returncode != 0:
                logs = sorted(work.glob("logs/**/*.log"))
                logs = "\n".join(f"--- {p}\n{p.read_text()[-3000:]}" for p in logs)
                failed.write_text(f"snakemake failed:\n{run.stderr[-5000:]}\n{logs}")
                pytest.fail(failed.read_text())
            done.touch()
    return work
