#!/usr/bin/env python
"""Benchmarks: what training, sampling and a full rebuild cost on this machine.

Run by hand (from the repository root, in the project's environment)::

    python benchmarks/run.py                     # training + sampling (about 2 minutes)
    python benchmarks/run.py --rebuild           # ... plus the end-to-end snakemake rebuild
    python benchmarks/run.py --quick             # CI smoke run (< 60 s, scaled down)
    python benchmarks/run.py --rebuild --markdown benchmarks/out/table.md

Every measurement runs the project's own code in a fresh subprocess (so that peak resident
memory belongs to one task): ``seasonal_vae.model.train.train`` for an epoch at the default
configuration, ``model.fit`` with the model's own ``train_step`` for throughput,
``seasonal_vae.model.sample.generate`` for sampling, ``python -m snakemake --cores 2`` in a
temporary copy of the workflow for the rebuild. The one piece of code written here on
purpose is the reference loop: a bare ``tf.function`` training step over the same model
architecture, the same batches and the same loss (``model.loss_terms``), with its own Adam.

Timings are medians over repeats (epochs, or calls) with the spread (min–max) and the
count; the targets are those of the benchmark issue. Nothing here asserts a timing: the
exit status is 0 whatever the figures, unless ``--strict`` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULT_TAG = "BENCH-RESULT "
MB = 1024 * 1024

# Scaled settings. "full" is the default configuration on the whole bundled record.
SETTINGS = {
    "full": dict(
        first_year=1974,
        last_year=2023,
        holdout_every=5,
        holdout_offset=4,
        throughput_epochs=20,
        throughput_repeats=5,
        epoch_epochs=30,
        sample_paths=100,
        sample_repeats=3,
    ),
    "quick": dict(
        first_year=1974,
        last_year=1981,
        holdout_every=4,
        holdout_offset=3,
        throughput_epochs=3,
        throughput_repeats=3,
        epoch_epochs=4,
        sample_paths=10,
        sample_repeats=2,
    ),
}


# --------------------------------------------------------------------------- helpers


def _quiet_tf() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024 if sys.platform != "darwin" else kib / MB


def _summary(values) -> dict:
    values = [float(v) for v in values]
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def _emit(result: dict) -> None:
    print(RESULT_TAG + json.dumps(result), flush=True)


def _config(setting: dict) -> dict:
    from seasonal_vae.core.config import load_config

    cfg = load_config(str(ROOT / "config" / "config.yaml"))
    cfg["data"]["first_year"], cfg["data"]["last_year"] = setting["first_year"], setting["last_year"]
    cfg["windows"]["holdout_every"] = setting["holdout_every"]
    cfg["windows"]["holdout_offset"] = setting["holdout_offset"]
    return cfg


# --------------------------------------------------------------------------- workers
# Each worker runs in its own process (``run.py --worker NAME``) and prints one JSON line.


def worker_prepare(work: Path, setting: dict) -> dict:
    """series → detrend → windows as the rules run them (one CLI call each, in-process)."""
    from seasonal_vae.cli import main

    cfg = _config(setting)
    d = cfg["data"]
    settings = json.dumps({s: cfg[s] for s in ("site", "data", "detrend", "windows")})
    raw = [
        ROOT / d["raw_dir"] / d["file_pattern"].format(year=y)
        for y in range(d["first_year"], d["last_year"] + 1)
    ]
    steps = {
        "series_s": ["series", *raw, "--out", work / "series.nc"],
        "detrend_s": [
            "detrend",
            work / "series.nc",
            "--out",
            work / "detrended.nc",
            "--report",
            work / "trend.json",
        ],
        "windows_s": ["windows", work / "detrended.nc", "--out", work / "windows.nc"],
    }
    seconds = {}
    for name, args in steps.items():
        t0 = time.perf_counter()
        if main([*map(str, args), "--config", settings]) != 0:
            raise RuntimeError(f"benchmark preparation failed at {args[0]}")
        seconds[name] = time.perf_counter() - t0
    return seconds


def worker_throughput(work: Path, setting: dict) -> dict:
    """Data-hours per second: ``model.fit`` (custom ``train_step``) vs a bare tf.function loop."""
    _quiet_tf()
    import keras
    import tensorflow as tf
    import xarray as xr

    from seasonal_vae.model.train import WindowDataset, compile_model, set_seed
    from seasonal_vae.model.vae import SeasonalVAE

    cfg = _config(setting)
    m, t, w = cfg["model"], cfg["training"], cfg["windows"]
    set_seed(t["seed"])
    with xr.open_dataset(work / "windows.nc") as f:
        ds = f.load()
    data = WindowDataset(
        ds,
        "train",
        batch_size=t["batch_size"],
        fourier_degree=m["fourier_degree"],
        theta_anchor=m["theta_anchor"],
        random_offsets=w["random_offsets"],
        seed=t["seed"],
    )
    hours_per_epoch = data.x.shape[0] * data.x.shape[1]

    def new_model():
        return SeasonalVAE(
            filters=m["filters"],
            latent_dim=m["latent_dim"],
            fourier_degree=m["fourier_degree"],
            prior=m["prior"],
            theta_anchor=m["theta_anchor"],
            seed=t["seed"],
        )

    project = new_model()
    compile_model(project, t, len(data))  # as train() compiles it

    # The reference: same architecture, same batches (the same PyDataset, redrawn at each
    # epoch's end as fit does), same loss (model.loss_terms), its own optimizer.
    bare = new_model()
    bare_opt = keras.optimizers.Adam(learning_rate=t["learning_rate"])

    @tf.function(reduce_retracing=True)
    def bare_step(x, features):
        with tf.GradientTape() as tape:
            reconstruction, kl = bare.loss_terms(x, features, training=True)
            loss = reconstruction + kl
        grads = tape.gradient(loss, bare.trainable_weights)
        bare_opt.apply(grads, bare.trainable_weights)
        return loss

    def run_bare(epochs):
        for _ in range(epochs):
            for i in range(len(data)):
                ((x, features),) = data[i]
                bare_step(x, features)
            data.on_epoch_end()

    def run_fit(epochs):  # as train() feeds it: the tf.data pipeline, a whole epoch per call
        project.fit(data.tf_dataset(), steps_per_epoch=len(data), epochs=epochs, verbose=0)

    run_fit(2)  # tracing (two batch sizes) and first-call costs are not throughput
    run_bare(2)
    epochs = setting["throughput_epochs"]
    fit_rates, bare_rates, ratios = [], [], []
    for _ in range(setting["throughput_repeats"]):  # interleaved, so load changes hit both
        t0 = time.perf_counter()
        run_fit(epochs)
        t1 = time.perf_counter()
        run_bare(epochs)
        t2 = time.perf_counter()
        fit_rates.append(epochs * hours_per_epoch / (t1 - t0))
        bare_rates.append(epochs * hours_per_epoch / (t2 - t1))
        ratios.append(fit_rates[-1] / bare_rates[-1])
    return {
        "fit": _summary(fit_rates),
        "bare": _summary(bare_rates),
        "ratio": _summary(ratios),
        "windows_per_epoch": int(data.x.shape[0]),
        "batches_per_epoch": len(data),
        "hours_per_epoch": int(hours_per_epoch),
        "epochs_per_repeat": epochs,
        "peak_rss_mb": _peak_rss_mb(),
    }


def worker_epoch(work: Path, setting: dict) -> dict:
    """Seconds per epoch of ``seasonal_vae.model.train.train`` itself (validation and callbacks in).

    ``train`` builds its callbacks inside; to time its epochs without changing it, the Keras
    callback classes it uses are wrapped here so that each records when its
    ``on_epoch_end`` runs and how long it takes. The epoch time is the interval between
    consecutive ends of the CSV logger, the last callback, i.e. everything an epoch costs.
    """
    _quiet_tf()
    import keras

    from seasonal_vae.model import train as train_module

    ends, callback_s, phase = [], {}, {}

    def timed(cls):
        original = cls.on_epoch_end

        def on_epoch_end(self, epoch, logs=None):
            start = time.perf_counter()
            original(self, epoch, logs)
            end = time.perf_counter()
            callback_s.setdefault(cls.__name__, []).append(end - start)
            if cls is keras.callbacks.CSVLogger:
                ends.append(end)

        cls.on_epoch_end = on_epoch_end

        if cls is keras.callbacks.CSVLogger:  # the last callback: validation begins/ends here too
            begin, test_begin, test_end = cls.on_epoch_begin, cls.on_test_begin, cls.on_test_end

            def on_epoch_begin(self, epoch, logs=None):
                phase["epoch_begin"] = time.perf_counter()
                begin(self, epoch, logs)

            def on_test_begin(self, logs=None):
                phase["test_begin"] = time.perf_counter()
                phase.setdefault("train_batches", []).append(phase["test_begin"] - phase["epoch_begin"])
                test_begin(self, logs)

            def on_test_end(self, logs=None):
                test_end(self, logs)
                phase.setdefault("validation", []).append(time.perf_counter() - phase["test_begin"])

            cls.on_epoch_begin, cls.on_test_begin, cls.on_test_end = (
                on_epoch_begin,
                on_test_begin,
                on_test_end,
            )

    for cls in (train_module.Checkpoints, keras.callbacks.CSVLogger):
        timed(cls)
    closed_form_begin = train_module.ClosedFormUpdates.on_epoch_begin

    def on_epoch_begin(self, epoch, logs=None):  # the closed-form M-step, at each epoch's start
        start = time.perf_counter()
        closed_form_begin(self, epoch, logs)
        callback_s.setdefault("ClosedFormUpdates", []).append(time.perf_counter() - start)

    train_module.ClosedFormUpdates.on_epoch_begin = on_epoch_begin

    cfg = _config(setting)
    cfg["training"]["epochs"] = setting["epoch_epochs"]
    rss_before = _peak_rss_mb()
    t0 = time.perf_counter()
    train_module.train(work / "windows.nc", work / "model" / "vae.keras", work / "model" / "history.csv", cfg)
    total = time.perf_counter() - t0
    epoch_s = [b - a for a, b in zip(ends, ends[1:])]  # from the end of epoch 1: no tracing
    import xarray as xr

    with xr.open_dataset(work / "windows.nc") as f:
        n_train = int(f.sizes["train_window"])
    return {
        "epoch": _summary(epoch_s),
        "total_s": total,
        "epochs": setting["epoch_epochs"],
        "train_batches": _summary(phase["train_batches"][1:]),
        "validation": _summary(phase["validation"][1:]),
        "callbacks": {k: _summary(v[1:]) for k, v in callback_s.items()},
        "train_windows_phase0": n_train,
        "rss_after_imports_mb": rss_before,
        "peak_rss_mb": _peak_rss_mb(),
    }


def worker_sample(work: Path, setting: dict) -> dict:
    """Seconds to generate N independent paths over the whole record, and peak memory."""
    _quiet_tf()
    from seasonal_vae.data.series import load_series
    from seasonal_vae.model.sample import generate
    from seasonal_vae.model.train import load_model

    times = load_series(work / "series.nc")["time"].to_index()
    model = load_model(work / "model" / "vae.keras")
    cfg = _config(setting)["sampling"]
    rss_before = _peak_rss_mb()
    seconds = []
    for _ in range(setting["sample_repeats"]):
        t0 = time.perf_counter()
        da = generate(
            model,
            times[0],
            len(times),
            n_paths=setting["sample_paths"],
            noise=cfg["noise"],
            seed=cfg["seed"],
            retrend=cfg["retrend"],
        )
        seconds.append(time.perf_counter() - t0)
        assert da.shape == (setting["sample_paths"], len(times))
        del da
    return {
        "seconds": _summary(seconds),
        "n_paths": setting["sample_paths"],
        "n_hours": len(times),
        "rss_after_load_mb": rss_before,
        "peak_rss_mb": _peak_rss_mb(),
    }


WORKERS = {
    "prepare": worker_prepare,
    "throughput": worker_throughput,
    "epoch": worker_epoch,
    "sample": worker_sample,
}


def run_worker(name: str, work: Path, mode: str) -> dict:
    """Run one worker in a fresh Python process and return its JSON result."""
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        name,
        "--workdir",
        str(work),
        *(["--quick"] if mode == "quick" else []),
    ]
    # OpenBLAS on one thread, as the CLI sets it for training, the evaluation and the baselines
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore", "OPENBLAS_NUM_THREADS": "1"}
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_TAG)]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"benchmark worker {name!r} failed (exit status {proc.returncode})")
    result = json.loads(lines[-1][len(RESULT_TAG) :])
    result["process_wall_s"] = wall
    return result


# --------------------------------------------------------------------------- rebuild


def rebuild(keep: Path | None = None) -> dict:
    """``snakemake --cores 2`` from an empty results folder in a temporary copy of the workflow."""
    tmp = Path(tempfile.mkdtemp(prefix="seasonal-vae-rebuild-")) if keep is None else keep
    tmp.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "Snakefile", tmp / "Snakefile")
    shutil.copy2(ROOT / "environment.yml", tmp / "environment.yml")
    for folder in ("config", "rules", "report"):  # the workflow's own files
        shutil.copytree(ROOT / folder, tmp / folder, dirs_exist_ok=True)
    for bundled in ("surrogate", "greenway"):  # the default build's data sets
        shutil.copytree(ROOT / "data" / bundled, tmp / "data" / bundled, dirs_exist_ok=True)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    # A small wrapper process, so that RUSAGE_CHILDREN sees only this rebuild's process tree.
    wrapper = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter(); rc = subprocess.call(sys.argv[1:])\n"
        "print(json.dumps({'rc': rc, 'wall_s': time.perf_counter() - t, 'peak_rss_mb': "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))"
    )
    cmd = [
        sys.executable,
        "-c",
        wrapper,
        sys.executable,
        "-m",
        "snakemake",
        "--cores",
        "2",
        "--quiet",
        "rules",
    ]
    proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True)
    try:
        outcome = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        outcome = {"rc": proc.returncode}
    if outcome.get("rc") != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"the rebuild failed in {tmp} (exit status {outcome.get('rc')})")

    rules: dict[str, list[float]] = {}
    for meta in (tmp / ".snakemake" / "metadata").iterdir():
        record = json.loads(meta.read_text())
        if record.get("starttime") and record.get("endtime"):
            span = rules.setdefault(record["rule"], [record["starttime"], record["endtime"]])
            span[0], span[1] = min(span[0], record["starttime"]), max(span[1], record["endtime"])
    rule_s = {rule: end - start for rule, (start, end) in rules.items()}
    bench = {}
    for tsv in sorted((tmp / "results").glob("*/benchmarks/*.tsv")):  # results/<dataset>/
        header, values = tsv.read_text().splitlines()[:2]
        row = dict(zip(header.split("\t"), values.split("\t")))
        bench[f"{tsv.parent.parent.name}/{tsv.stem}"] = {
            "s": float(row["s"]),
            "max_rss_mb": float(row["max_rss"]),
        }
    if keep is None:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        **outcome,
        "rules_s": dict(sorted(rule_s.items(), key=lambda kv: -kv[1])),
        "benchmark_tsv": bench,
        "folder": str(tmp),
    }


# --------------------------------------------------------------------------- report


def _fmt(s: dict, unit: str, digits: int = 2) -> tuple[str, str]:
    median = f"{s['median']:,.{digits}f} {unit}"
    spread = f"{s['min']:,.{digits}f}–{s['max']:,.{digits}f} (n={s['n']})"
    return median, spread


def _verdict(ok: bool | None, quick: bool, scaled: bool) -> str:
    if ok is None:
        return "—"
    if quick and scaled:
        return "n/a (quick)"
    return "pass" if ok else "FAIL"


def build_rows(results: dict, quick: bool) -> list[dict]:
    """Rows of the report: metric, median, spread/n, target, pass/fail."""
    rows = []

    def add(metric, value, spread, target, ok, scaled=True):
        rows.append(
            {
                "metric": metric,
                "median": value,
                "spread": spread,
                "target": target,
                "verdict": _verdict(ok, quick, scaled),
            }
        )

    tp = results["throughput"]
    add(
        "training throughput, model.fit (custom train_step)",
        *_fmt(tp["fit"], "data-h/s", 0),
        "≥ 0.9 × bare loop",
        tp["ratio"]["median"] >= 0.9,
    )
    add(
        "training throughput, bare tf.function loop (reference)",
        *_fmt(tp["bare"], "data-h/s", 0),
        "reference",
        None,
    )
    add(
        "throughput ratio fit / bare (same run)",
        *_fmt(tp["ratio"], "×"),
        "≥ 0.9",
        tp["ratio"]["median"] >= 0.9,
    )
    ep = results["epoch"]
    add(
        f"one epoch of train() at the defaults ({tp['windows_per_epoch']} windows in "
        f"{tp['batches_per_epoch']} batches, then validation and callbacks)",
        *_fmt(ep["epoch"], "s", 3),
        "—",
        None,
    )
    add("  of which training batches", *_fmt(ep["train_batches"], "s", 3), "—", None)
    add("  of which validation", *_fmt(ep["validation"], "s", 3), "—", None)
    for name, s in ep["callbacks"].items():
        hook = "on_epoch_begin" if name == "ClosedFormUpdates" else "on_epoch_end"
        add(f"  of which callback {name}.{hook}", *_fmt(s, "s", 3), "—", None)
    add("1000 epochs at that rate (extrapolated)", f"{1000 * ep['epoch']['median']:,.0f} s", "—", "—", None)
    add(
        "peak RSS, training (train() process)",
        f"{ep['peak_rss_mb']:,.0f} MB",
        f"after imports {ep['rss_after_imports_mb']:,.0f} MB",
        "< 4096 MB",
        ep["peak_rss_mb"] < 4096,
    )
    sm = results["sample"]
    years = sm["n_hours"] / 8766
    add(
        f"sampling: {sm['n_paths']} paths × {sm['n_hours']:,} h ({years:.0f} y), generate()",
        *_fmt(sm["seconds"], "s"),
        "< 30 s for 100 × 50 y",
        sm["seconds"]["median"] < 30,
    )
    add(
        "peak RSS, sampling (generate() process)",
        f"{sm['peak_rss_mb']:,.0f} MB",
        f"after model load {sm['rss_after_load_mb']:,.0f} MB",
        "< 4096 MB",
        sm["peak_rss_mb"] < 4096,
    )
    rb = results.get("rebuild")
    if rb is None:
        for metric, target in (
            ("end-to-end snakemake rebuild (--cores 2, empty results/)", "< 300 s"),
            ("peak RSS, rebuild (largest process)", "< 4096 MB"),
            ("slowest rules", "—"),
        ):
            rows.append(
                {
                    "metric": metric,
                    "median": "not run",
                    "spread": "use --rebuild",
                    "target": target,
                    "verdict": "—",
                }
            )
    else:
        add(
            "end-to-end snakemake rebuild (--cores 2, empty results/)",
            f"{rb['wall_s']:,.0f} s",
            "n=1",
            "< 300 s",
            rb["wall_s"] < 300,
            scaled=False,
        )
        add(
            "peak RSS, rebuild (largest process)",
            f"{rb['peak_rss_mb']:,.0f} MB",
            "n=1",
            "< 4096 MB",
            rb["peak_rss_mb"] < 4096,
            scaled=False,
        )
        slow = ", ".join(f"{rule} {s:.1f} s" for rule, s in list(rb["rules_s"].items())[:3])
        add("slowest rules", slow, "snakemake metadata", "—", None)
        for rule, b in rb["benchmark_tsv"].items():
            add(
                f"  rule {rule} (benchmark: directive)",
                f"{b['s']:.1f} s",
                f"max RSS {b['max_rss_mb']:,.0f} MB",
                "—",
                None,
            )
    return rows


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    try:
        import psutil

        mem = f"{psutil.virtual_memory().total / 1024**3:.0f} GiB"
    except ImportError:  # pragma: no cover - psutil comes with snakemake
        mem = "unknown"
    versions = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; os.environ['TF_CPP_MIN_LOG_LEVEL']='3'; import tensorflow as tf, "
            "keras; print(tf.__version__, keras.__version__)",
        ],
        capture_output=True,
        text=True,
    ).stdout.split() or ["?", "?"]
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "tensorflow": versions[0],
        "keras": versions[-1],
        "platform": platform.platform(),
    }


def render(rows: list[dict], info: dict, mode: str) -> tuple[str, str]:
    head = ("metric", "median", "spread (min–max, n)", "target", "pass/fail")
    cells = [[r["metric"], r["median"], r["spread"], r["target"], r["verdict"]] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(head)]
    text_lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths)), "  ".join("-" * w for w in widths)]
    text_lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    where = (
        f"{info['cores']} cores ({info['cpu']}), {info['memory']} memory, Python {info['python']}, "
        f"TensorFlow {info['tensorflow']}, Keras {info['keras']} — mode: {mode}"
    )
    md = [
        f"Measured on: {where}",
        "",
        "| " + " | ".join(head) + " |",
        "| " + " | ".join(["---", "---:", "---", "---", "---"]) + " |",
    ]
    md += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells]
    return "\n".join([where, ""] + text_lines), "\n".join(md) + "\n"


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="CI smoke run: 8 years, few epochs, 10 paths (< 60 s; targets not judged)",
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="also time `snakemake --cores 2` from an empty results folder (about 4 min)",
    )
    parser.add_argument("--markdown", type=Path, help="also write the table as Markdown to this file")
    parser.add_argument("--json", type=Path, help="also write every raw figure as JSON to this file")
    parser.add_argument(
        "--workdir", type=Path, help="folder for intermediate files (default: a temporary one)"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 if a judged target is missed")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    setting = SETTINGS[mode]

    if args.worker:
        _emit(WORKERS[args.worker](args.workdir, setting))
        return 0

    owned = args.workdir is None
    work = Path(tempfile.mkdtemp(prefix="seasonal-vae-bench-")) if owned else args.workdir
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        results = {}
        for name in ("prepare", "throughput", "epoch", "sample"):
            print(f"[bench] {name} ...", file=sys.stderr, flush=True)
            results[name] = run_worker(name, work, mode)
        if args.rebuild:
            print("[bench] rebuild (snakemake --cores 2) ...", file=sys.stderr, flush=True)
            results["rebuild"] = rebuild()
    finally:
        if owned:
            shutil.rmtree(work, ignore_errors=True)
    info = machine()
    rows = build_rows(results, args.quick)
    text, md = render(rows, info, mode)
    print(text)
    print(f"\n(benchmark run took {time.perf_counter() - started:.0f} s)")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(md)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"machine": info, "mode": mode, "results": results}, indent=2) + "\n")
    missed = [r["metric"] for r in rows if r["verdict"] == "FAIL"]
    if missed:
        print("targets missed: " + "; ".join(missed), file=sys.stderr)
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
