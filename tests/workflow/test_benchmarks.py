"""The benchmark script runs (smoke run, as in CI) and reports every metric; no timing is asserted.

Also: the faster window features that training uses are exactly the documented ones.
"""

import os
import subprocess
import sys

import pytest
from conftest import ROOT

METRIC_LINES = [
    "training throughput, model.fit (custom train_step)",
    "training throughput, bare tf.function loop (reference)",
    "throughput ratio fit / bare (same run)",
    "one epoch of train() at the defaults",
    "of which training batches",
    "of which validation",
    "1000 epochs at that rate (extrapolated)",
    "peak RSS, training",
    "sampling: 10 paths",
    "peak RSS, sampling",
    "end-to-end snakemake rebuild",
    "peak RSS, rebuild",
    "slowest rules",
]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    pytest.importorskip("keras")
    out = tmp_path_factory.mktemp("bench")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--quick",
            "--markdown",
            str(out / "table.md"),
            "--workdir",
            str(out / "work"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return proc, out


def test_quick_run_exits_0_and_prints_every_metric(quick_run):
    proc, _ = quick_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    for metric in METRIC_LINES:
        assert metric in proc.stdout, f"missing metric line: {metric}\n{proc.stdout}"
    assert "mode: quick" in proc.stdout  # scaled down: the time targets are not judged


def test_markdown_table_has_every_metric_and_the_machine(quick_run):
    _, out = quick_run
    md = (out / "table.md").read_text()
    assert md.startswith("Measured on: ") and "TensorFlow" in md
    assert "| metric | median | spread (min–max, n) | target | pass/fail |" in md
    for metric in METRIC_LINES:
        assert metric in md
