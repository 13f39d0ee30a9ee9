"""Interrupted runs resume or restart cleanly; the same seed gives the same result twice.

All on a small slice (4 bundled years, 1974-1977, 1977 held out; F = 20; one batch per
epoch), so that a training run takes seconds. Training runs as a real subprocess
(``python -m seasonal_vae train``), killed with SIGKILL as a crash or an out-of-memory kill
would, both on its own and as the job of a running Snakemake.

Guarantees checked (stated in the README):

- a killed ``train`` leaves no model and no history (nor temporary files); rerunning it resumes
  from the last finished epoch and ends with a loadable model and a history of every epoch;
- a checkpoint damaged by the kill, or one made with other settings, is discarded with a
  warning and training restarts from epoch 1;
- Snakemake whose training job is killed keeps no output of that job; the rerun
  schedules only training (and what follows), and it resumes;
- two training runs with the same seed give weights that agree exactly (tolerance 0; same
  machine and software), the same windows and the same samples; a different training seed
  gives different weights, a different sampling seed different samples.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
import xarray as xr
import yaml
from conftest import ROOT

from seasonal_vae.cli import main

YEARS = range(1974, 1978)
CFG = {
    "data": {"first_year": 1974, "last_year": 1977},
    "windows": {"holdout_every": 4, "holdout_offset": 3},
    "model": {"filters": 20},
    "training": {"epochs": 40, "learning_rate": 0.003},
}
# For the kill tests: 8 batches per epoch, so that a kill sent just after an epoch begins
# falls among its batches, not while Keras writes the checkpoint at the epoch's end (that
# case is tested separately, by damaging the checkpoint).
KILL = {"epochs": 20, "batch_size": 2, "checkpoint_seconds": 0}  # a backup every epoch


def cfg_json(**training) -> str:
    cfg = json.loads(json.dumps(CFG))
    cfg["training"].update(training)
    return json.dumps(cfg)


def _env() -> dict:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env["PYTHONUNBUFFERED"] = "1"  # progress reaches the log as it happens
    return env


@pytest.fixture(scope="module")
def windows(tmp_path_factory):
    """series -> detrend -> windows on the slice, through the CLI."""
    work = tmp_path_factory.mktemp("windows")
    raw = [str(ROOT / "data" / "surrogate" / f"era5_t2m_{y}.nc") for y in YEARS]
    cfg = cfg_json()
    assert main(["series", *raw, "--out", str(work / "series.nc"), "--config", cfg]) == 0
    assert (
        main(
            [
                "detrend",
                str(work / "series.nc"),
                "--out",
                str(work / "detrended.nc"),
                "--report",
                str(work / "trend.json"),
                "--config",
                cfg,
            ]
        )
        == 0
    )
    assert (
        main(["windows", str(work / "detrended.nc"), "--out", str(work / "windows.nc"), "--config", cfg]) == 0
    )
    return work / "windows.nc"


def train_cmd(windows: Path, out: Path, cfg: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "seasonal_vae",
        "train",
        str(windows),
        "--out",
        str(out / "vae.keras"),
        "--history",
        str(out / "history.csv"),
        "--config",
        cfg,
    ]


def run_train(windows: Path, out: Path, cfg: str) -> str:
    run = subprocess.run(
        train_cmd(windows, out, cfg), env=_env(), capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run.stdout + run.stderr


def wait_for(path: Path, pattern: str, proc: subprocess.Popen, timeout: float = 300) -> None:
    """Wait until ``pattern`` appears in the file ``path`` (while ``proc`` runs)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file() and re.search(pattern, path.read_text(errors="replace"), re.M):
            return
        if proc.poll() is not None:
            text = path.read_text(errors="replace") if path.is_file() else ""
            pytest.fail(f"finished before {pattern!r} (status {proc.returncode}):\n{text[-3000:]}")
        time.sleep(0.05)
    proc.kill()
    pytest.fail(f"{pattern!r} did not appear in {path} within {timeout} s")


def epochs_run(log: str) -> list[int]:
    return [int(n) for n in re.findall(r"^Epoch (\d+)/\d+", log, flags=re.M)]


def history_epochs(path: Path) -> list[int]:
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert all(np.isfinite(float(r["val_loss"])) for r in rows)
    return [int(r["epoch"]) for r in rows]


def assert_valid_result(out: Path, epochs: int) -> None:
    from seasonal_vae.model.train import load_model

    model = load_model(out / "vae.keras")
    assert all(np.isfinite(w).all() for w in model.get_weights())
    done = history_epochs(out / "history.csv")
    # every epoch once, in order (an epoch may lack its row only if the kill fell between
    # Keras writing the checkpoint and the history line of the same epoch)
    assert done == sorted(set(done)) and done[-1] == epochs - 1 and len(done) >= epochs - 1
    assert not (out / "vae.keras.work").exists()
    assert sorted(p.name for p in out.iterdir()) == ["history.csv", "vae.keras"]


# --- interruption ------------------------------------------------------------------------


@pytest.mark.slow
def test_killed_training_resumes_and_bad_checkpoints_restart(windows, tmp_path):
    out, log = tmp_path / "model", tmp_path / "train.log"
    cfg = cfg_json(**KILL)
    with open(log, "w") as fh:
        proc = subprocess.Popen(train_cmd(windows, out, cfg), env=_env(), stdout=fh, stderr=subprocess.STDOUT)
        wait_for(log, r"^Epoch 6/", proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    # nothing half-written: only the resumable work folder
    assert sorted(p.name for p in out.iterdir()) == ["vae.keras.work"]
    work = out / "vae.keras.work"
    assert (work / "backup").is_dir()
    saved = tmp_path / "saved.work"
    shutil.copytree(work, saved)

    # 1. rerun: resumes after the last finished epoch, ends with a valid model
    text = run_train(windows, out, cfg)
    assert "resuming an interrupted run" in text and "discarding" not in text
    assert epochs_run(text)[0] >= 6
    assert_valid_result(out, 20)

    # 2. the kill damaged the checkpoint (killed while Keras wrote it): restart cleanly
    shutil.rmtree(out)
    shutil.copytree(saved, work)
    for h5 in work.rglob("*.h5"):
        h5.write_bytes(h5.read_bytes()[: h5.stat().st_size // 3])
    text = run_train(windows, out, cfg)
    assert "checkpoint is damaged" in text and "restarts from epoch 1" in text
    assert "resuming" not in text and epochs_run(text)[0] == 1
    assert_valid_result(out, 20)

    # 3. the interrupted run had other settings: restart cleanly with the new ones
    shutil.rmtree(out)
    shutil.copytree(saved, work)
    text = run_train(windows, out, cfg_json(**{**KILL, "epochs": 5}))
    assert "made with other settings" in text and "resuming" not in text
    assert epochs_run(text) == list(range(1, 6))
    assert_valid_result(out, 5)


def _snakemake(args, cwd, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "snakemake", *args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
        **kwargs,
    )


def job_counts(dry_run_output: str) -> dict[str, int]:
    """The "Job stats" table of ``snakemake -n`` as {rule: count} (empty: nothing to do)."""
    counts = {}
    match = re.search(r"Job stats:\n.*?\n-+\s+-+\n(.*?)\n\s*total", dry_run_output, re.S)
    if match:
        for line in match.group(1).splitlines():
            name, count = line.split()
            counts[name] = int(count)
    return counts


@pytest.mark.slow
def test_snakemake_interrupted_during_training(tmp_path):
    work = tmp_path / "workflow"
    (work / "data" / "surrogate").mkdir(parents=True)
    shutil.copy(ROOT / "Snakefile", work)
    shutil.copytree(ROOT / "rules", work / "rules")
    shutil.copy(ROOT / "environment.yml", work)
    shutil.copytree(ROOT / "config", work / "config")
    for y in YEARS:
        shutil.copy(ROOT / "data" / "surrogate" / f"era5_t2m_{y}.nc", work / "data" / "surrogate")
    cfg = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())
    for section, values in CFG.items():
        if section != "data":
            cfg.setdefault(section, {}).update(values)
    cfg["datasets"]["surrogate"]["data"].update(CFG["data"])
    cfg["training"].update(KILL)
    (work / "config" / "kill.yaml").write_text(yaml.safe_dump(cfg))
    args = ["results/surrogate/models/seasonal/vae.keras", "--cores", "2", "--configfile", "config/kill.yaml"]

    proc = subprocess.Popen(
        [sys.executable, "-m", "snakemake", *args],
        cwd=work,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(work / "logs" / "surrogate" / "train" / "seasonal.log", r"^Epoch 6/", proc)
        # the training job dies mid-run (killed by the user, the OOM killer, ...): Snakemake
        # must see the failure, keep no output of it, and stop
        jobs = [
            p
            for p in psutil.Process(proc.pid).children(recursive=True)
            if "seasonal_vae" in p.cmdline() and "train" in p.cmdline()
        ]
        assert jobs, "the training job was not found among Snakemake's processes"
        for job in jobs:
            job.send_signal(signal.SIGKILL)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode != 0
    model = work / "results" / "surrogate" / "models" / "seasonal"
    assert sorted(p.name for p in model.iterdir()) == ["vae.keras.work"]

    dry = _snakemake([*args, "-n"], work)
    assert dry.returncode == 0, dry.stderr
    assert job_counts(dry.stdout + dry.stderr) == {"train": 1}

    rerun = _snakemake(args, work)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    log = (work / "logs" / "surrogate" / "train" / "seasonal.log").read_text()
    assert "resuming an interrupted run" in log and epochs_run(log)[0] >= 6
    assert_valid_result(model, 20)
    dry = _snakemake([*args, "-n"], work)
    assert "Nothing to be done" in dry.stdout + dry.stderr


# --- determinism -------------------------------------------------------------------------


@pytest.mark.slow
def test_same_seed_same_windows_model_and_samples(windows, tmp_path):
    from seasonal_vae.model.sample import generate
    from seasonal_vae.model.train import load_model

    # windows: the stage run again on the same input gives the same file contents
    again = tmp_path / "windows.nc"
    assert (
        main(["windows", str(windows.with_name("detrended.nc")), "--out", str(again), "--config", cfg_json()])
        == 0
    )
    with xr.open_dataset(windows) as a, xr.open_dataset(again) as b:
        assert a.identical(b)

    # two independent trainings with the same seed (in parallel), one with another seed
    cfg = cfg_json(epochs=10)
    runs = [
        subprocess.Popen(
            train_cmd(windows, tmp_path / name, cfg),
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    for proc in runs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
    run_train(windows, tmp_path / "c", cfg_json(epochs=10, seed=1))
    a, b, c = (load_model(tmp_path / name / "vae.keras") for name in "abc")

    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)  # tolerance 0: bit-identical
    assert (tmp_path / "a" / "history.csv").read_text() == (tmp_path / "b" / "history.csv").read_text()
    assert any(not np.allclose(wa, wc) for wa, wc in zip(a.get_weights(), c.get_weights()))

    def draw(model, seed):
        return generate(model, "1990-03-01", 24 * 30, n_paths=3, seed=seed, retrend="dates").values

    np.testing.assert_array_equal(draw(a, 7), draw(b, 7))
    assert np.abs(draw(a, 7) - draw(a, 8)).max() > 1.0  # °F
    assert not np.array_equal(draw(a, 7), draw(c, 7))
