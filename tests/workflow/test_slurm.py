"""The Slurm profile: the small workflow through a real Slurm, and a misspelt rule refused.

``test_small_workflow_on_slurm`` (slow) installs Debian's Slurm and MUNGE where missing,
starts a one-node cluster on this machine (tests/workflow/slurm_cluster.py says how and why
so), builds one site's evaluation figure of the small build through ``snakemake
--workflow-profile profiles/slurm`` in a fresh copy of the workflow (:data:`TARGET`: 13 jobs
from the raw station file through both trainings, the samples, the baselines and the
evaluation to the figure, so every kind of rule and resource: one-thread jobs, `train` with its
memory, run time and `gpu`, `evaluate` with all of ``--cores``), and checks through ``squeue``
and ``scontrol`` that every Snakemake job ran as one Slurm job that completed, in the partition
and account given, with the profile's resources; then that every file it made in results/ and
figures/ equals the local build's (the ``workdir`` fixture: the whole small build, ``snakemake
--cores 2`` on the same machine). It prints both runs' wall times. (Before the test suite had
to fit in 10 minutes, the whole two-site build, 96 jobs, ran through Slurm: 23 min here.)
Skipped, with the reason, where not root or where the packages cannot be installed; never a
mock scheduler.

For this one-node cluster the run differs from a user's by (test-only):

- ``SBATCH_ACCOUNT`` and ``SBATCH_PARTITION`` set, the documented way to give them;
- ``--cores 2``: the local build's value, so that every rule asks for the threads it asks
  for there (train 1, evaluate 2) and fits on a 2-CPU node;
- ``--slurm-status-command squeue``: there is no accounting database (see slurm_cluster.py);
- ``--slurm-init-seconds-before-status-checks 2``: the first status check after 2 s instead
  of 40 s, since jobs here start at once.

The fast test runs ``snakemake -n`` with a copy of the profile whose ``set-resources`` (or
``set-threads``) names a rule the workflow does not have, and needs no Slurm.
"""

import json
import os
import re
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, copy_workflow, snakemake, snakemake_env
from slurm_cluster import ACCOUNT, PARTITION, SlurmCluster, SlurmUnavailable, check_no_other_slurm, install

#: What the Slurm run builds: one site's evaluation figure (13 jobs; module docstring).
TARGET = "figures/greenway/evaluation.png"

#: The flags this test adds to the profile for the one-node cluster (module docstring).
TEST_ONLY = [
    "--cores",
    "2",
    "--slurm-status-command",
    "squeue",
    "--slurm-init-seconds-before-status-checks",
    "2",
]


def _job_stats(text: str) -> Counter:
    """Snakemake's "Job stats" table (printed before the first job) as {rule: count}."""
    match = re.search(r"Job stats:\n.*?\n-+\s+-+\n(.*?)\n\s*total", text, re.S)
    assert match, text[-3000:]
    return Counter({name: int(n) for name, n in (line.split() for line in match.group(1).splitlines())})


def _snakemake_wall_time(work: Path) -> tuple[float, str]:
    """Wall time (s) and log of the first Snakemake run in ``work``, by Snakemake's own
    "Elapsed time" line at the end of its log (the log is named by the run's start)."""
    log = sorted((work / ".snakemake" / "log").glob("*.snakemake.log"))[0]
    h, m, sec = re.search(r"Elapsed time: (\d+):(\d+):([\d.]+)", log.read_text()).groups()
    return int(h) * 3600 + int(m) * 60 + float(sec), log.name


# --- comparing two builds --------------------------------------------------------------------


#: The time a netCDF file was written, at the start of its CF `history` attribute
#: (data/series.py): the one thing that differs between two builds of the same file.
_WRITTEN_AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ")


def _same_netcdf(a: Path, b: Path) -> str | None:
    import xarray as xr

    with xr.open_dataset(a) as x, xr.open_dataset(b) as y:
        x, y = x.load(), y.load()
        for ds in (x, y):
            if "history" in ds.attrs:
                ds.attrs["history"] = _WRITTEN_AT.sub("<written at> ", str(ds.attrs["history"]))
        try:
            xr.testing.assert_identical(x, y)  # every value, coordinate and attribute
        except AssertionError as error:
            return str(error)[:500]
    return None


def _h5_arrays(data: bytes) -> dict:
    """Every dataset of an HDF5 file given as bytes, by its path."""
    import io

    import h5py

    arrays = {}

    def keep(path, obj):
        if isinstance(obj, h5py.Dataset):
            arrays[path] = obj[()]

    with h5py.File(io.BytesIO(data)) as h5:
        h5.visititems(keep)
    return arrays


def _same_keras(a: Path, b: Path) -> str | None:
    """A saved Keras model: the same members; the same config and weights (every array of
    model.weights.h5, exactly); metadata.json the same but for the date it was saved."""
    with zipfile.ZipFile(a) as x, zipfile.ZipFile(b) as y:
        if sorted(x.namelist()) != sorted(y.namelist()):
            return f"members {x.namelist()} != {y.namelist()}"
        for name in x.namelist():
            data_a, data_b = x.read(name), y.read(name)
            if data_a == data_b:
                continue
            if name == "metadata.json":
                meta_a, meta_b = json.loads(data_a), json.loads(data_b)
                meta_a.pop("date_saved", None), meta_b.pop("date_saved", None)
                if meta_a != meta_b:
                    return f"metadata {meta_a} != {meta_b}"
            elif name.endswith(".h5"):
                weights_a, weights_b = _h5_arrays(data_a), _h5_arrays(data_b)
                if weights_a.keys() != weights_b.keys():
                    return f"{name}: different weight arrays"
                for path, value in weights_a.items():
                    if not np.array_equal(value, weights_b[path]):
                        diff = np.max(np.abs(np.asarray(value, float) - np.asarray(weights_b[path], float)))
                        return f"{name}:{path} differs (max abs difference {diff:.3g})"
            else:
                return f"member {name} differs"
    return None


def _same_png(a: Path, b: Path) -> str | None:
    from matplotlib.image import imread

    x, y = imread(a), imread(b)
    if x.shape != y.shape or not np.array_equal(x, y):
        return f"pixels differ (shapes {x.shape}, {y.shape})"
    return None


def compare_builds(local: Path, other: Path, subset: bool = False) -> list[str]:
    """Every difference between two builds' results/ and figures/, one line per file
    (``subset``: ``other`` built part of what ``local`` did; a file only ``local`` has is fine).

    Files are equal byte for byte, or else as what they hold: netCDF by every value,
    coordinate and attribute (xarray's assert_identical) but the time of writing that starts
    the `history` attribute, Keras models by their config and every weight array exactly
    (not the date in metadata.json), PNGs by every pixel. Nothing is compared with a
    tolerance. Snakemake's benchmark files (results/<site>/benchmarks/: timings) are left out."""

    def files(root: Path) -> set[str]:
        return {
            p.relative_to(root).as_posix()
            for folder in ("results", "figures")
            for p in (root / folder).rglob("*")
            if p.is_file() and "benchmarks" not in p.relative_to(root).parts
        }

    mine, theirs = files(local), files(other)
    problems = [] if subset else [f"only in the local build: {f}" for f in sorted(mine - theirs)]
    problems += [f"only in the Slurm build: {f}" for f in sorted(theirs - mine)]
    checks = {".nc": _same_netcdf, ".keras": _same_keras, ".png": _same_png}
    for rel in sorted(mine & theirs):
        a, b = local / rel, other / rel
        if a.read_bytes() == b.read_bytes():
            continue
        check = checks.get(a.suffix)
        why = check(a, b) if check else "bytes differ"
        if why:
            problems.append(f"{rel}: {why}")
    return problems


# --- the one-node cluster ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def slurm_packages():
    """Slurm and MUNGE installed (the packages installed now, if any), or the test skipped
    with the reason: session-scoped so that the skip comes before the session's local
    build (the ``workdir`` fixture) rather than after it."""
    try:
        installed = install()
        check_no_other_slurm()
    except SlurmUnavailable as reason:
        pytest.skip(f"no Slurm on this machine: {reason}")
    return installed


@pytest.fixture(scope="module")
def slurm(slurm_packages, tmp_path_factory):
    """A running one-node Slurm; every daemon stopped afterwards, also after a failure."""
    cluster = SlurmCluster(tmp_path_factory.mktemp("slurm"))
    try:
        cluster.start()
    except SlurmUnavailable as reason:
        cluster.stop()
        pytest.skip(f"no Slurm on this machine: {reason}")
    except Exception as error:
        logs = cluster.logs()
        cluster.stop()
        pytest.fail(f"the one-node Slurm did not start: {error}\n{logs}")
    print(
        f"\none-node Slurm on {cluster.host}: {cluster.cpus} CPUs, {cluster.memory_mb} MB"
        f" (installed: {', '.join(slurm_packages) or 'nothing, already there'})"
    )
    try:
        yield cluster
    finally:
        cluster.stop()
        assert not cluster.running(), f"daemons still running: {cluster.running()}"


def _squeue(run_id: str) -> list[dict]:
    out = subprocess.run(
        ["squeue", "--states=all", "--noheader", f"--name={run_id}", "--format=%i|%T|%P|%a|%k"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    keys = ("id", "state", "partition", "account", "comment")
    return [dict(zip(keys, line.split("|", 4))) for line in out.splitlines() if line.strip()]


def _scontrol(job_id: str) -> dict:
    out = subprocess.run(
        ["scontrol", "--oneliner", "show", "job", job_id],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    return dict(item.split("=", 1) for item in out.split() if "=" in item)


def _rule_of(comment: str) -> str:
    """The rule of a Slurm job from the comment the plugin gives it:
    ``rule_<rule>_wildcards_<values>`` or ``rule_<rule>``."""
    return comment.strip().removeprefix("rule_").split("_wildcards_")[0]


@pytest.mark.slow
def test_small_workflow_on_slurm(slurm_packages, slurm, tmp_path, request):
    (tmp_path / "workflow").mkdir()
    work = copy_workflow(tmp_path / "workflow")
    env = {**snakemake_env(work), "SBATCH_ACCOUNT": ACCOUNT, "SBATCH_PARTITION": PARTITION}
    args = ["--workflow-profile", "profiles/slurm", "--configfile", "config/test.yaml", *TEST_ONLY, TARGET]
    load_before, t0 = os.getloadavg(), time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", *args],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    slurm_seconds, load_after = time.monotonic() - t0, os.getloadavg()
    text = run.stdout + run.stderr

    def failure(what: str) -> str:
        job_logs = "\n".join(
            f"--- {p.relative_to(work)}\n{p.read_text(errors='replace')[-2000:]}"
            for p in sorted((work / "logs").rglob("*.log"))
            if "slurm" in p.parts and "Error" in p.read_text(errors="replace")
        )
        return f"{what}\n--- snakemake\n{text[-6000:]}\n{job_logs}\n--- Slurm's daemons\n{slurm.logs()}"

    assert run.returncode == 0, failure(f"snakemake through profiles/slurm failed (exit {run.returncode})")

    # one Slurm job per Snakemake job (`all` only collects, it runs in Snakemake itself)
    expected = _job_stats(text)
    expected.pop("all", None)
    run_id = re.search(r"SLURM run ID: (\S+)", text).group(1)
    submitted = dict(re.findall(r"Job (\d+) has been submitted with SLURM jobid (\d+)", text))
    jobs = _squeue(run_id)
    assert len(submitted) == sum(expected.values()), failure("not one Slurm job per Snakemake job")
    assert sorted(j["id"] for j in jobs) == sorted(submitted.values()), failure("squeue does not list them")
    assert Counter(_rule_of(j["comment"]) for j in jobs) == expected, failure("rules of the Slurm jobs")
    assert {j["state"] for j in jobs} == {"COMPLETED"}, failure(f"states {Counter(j['state'] for j in jobs)}")
    assert {(j["partition"], j["account"]) for j in jobs} == {(PARTITION, ACCOUNT)}, failure(
        "partition/account"
    )

    # the profile's resources reached sbatch (train: 3000 MB × attempt, 180 min, no GPU;
    # evaluate: 4000 MB, 60 min, all of --cores) and every job ended with exit status 0
    for job in jobs:
        info = _scontrol(job["id"])
        rule = _rule_of(job["comment"])
        assert info["ExitCode"] == "0:0", failure(f"job {job['id']} ({rule}): {info['ExitCode']}")
        if rule == "train":
            assert (info["MinMemoryNode"], info["TimeLimit"], info["NumCPUs"]) == ("3000M", "03:00:00", "1")
            assert "gpu" not in info.get("TRES", "") + info.get("TresPerJob", ""), info
        if rule == "evaluate":
            assert (info["MinMemoryNode"], info["TimeLimit"], info["NumCPUs"]) == ("4000M", "01:00:00", "2")
    # per-job logs, kept for successful jobs too (profile: slurm-keep-successful-logs)
    slurm_logs = list((work / "logs" / "slurm").rglob("*.log"))
    assert len(slurm_logs) == len(jobs), failure(f"{len(slurm_logs)} Slurm logs for {len(jobs)} jobs")

    # the same outputs as the local build (asked for only now: under pytest-xdist another worker
    # builds it while this one runs the Slurm build, conftest.workdir)
    assert (work / TARGET).is_file(), failure(f"no {TARGET}")
    workdir = request.getfixturevalue("workdir")
    differences = compare_builds(workdir, work, subset=True)
    assert not differences, "the Slurm build differs from the local one:\n" + "\n".join(differences)

    local_seconds, local_log = _snakemake_wall_time(workdir)
    slurm_elapsed, _ = _snakemake_wall_time(work)
    print(
        f"\non this machine ({os.cpu_count()} CPUs):\n"
        f"  local `snakemake --cores 2`, the whole small build (the workdir fixture, {local_log}): "
        f"{local_seconds:.0f} s\n"
        f"  Slurm `--workflow-profile profiles/slurm` on the one-node cluster, {TARGET} "
        f"({sum(expected.values())} jobs): {slurm_elapsed:.0f} s"
        f" (Snakemake's count; {slurm_seconds:.0f} s with its start-up)\n"
        f"  load average (1, 5, 15 min) at the Slurm run's start {load_before}, at its end {load_after}"
    )


# --- bad input: a profile naming a rule the workflow does not have ---------------------------------


@pytest.mark.parametrize("flag", ["set-resources", "set-threads"])
def test_a_profile_naming_an_unknown_rule_is_refused_before_any_job(tmp_path, flag):
    """A copy of profiles/slurm with a misspelt rule (`trian`) stops `snakemake -n` while the
    Snakefile is read, with an error naming the setting, the rule and the rules there are."""
    profile = tmp_path / "slurm"
    profile.mkdir()
    text = (ROOT / "profiles" / "slurm" / "config.yaml").read_text()
    if flag == "set-resources":
        assert text.count("\nset-resources:\n  train:\n") == 1
        text = text.replace("\nset-resources:\n  train:\n", "\nset-resources:\n  trian:\n")  # misspelt
    else:
        text += "\nset-threads:\n  trian: 2\n"
    (profile / "config.yaml").write_text(text)
    dry = snakemake(["-n", "--workflow-profile", str(profile), "--configfile", "config/test.yaml"], ROOT)
    out = dry.stdout + dry.stderr
    assert dry.returncode != 0, out
    # the error (rules/common.smk) names the setting, the unknown rule and the rules there are
    error = next((line for line in out.splitlines() if flag in line and "trian" in line), None)
    assert error is not None and "Fix:" in error, out
    assert "train" in error.split("Fix:")[1], error
    assert "Job stats" not in out  # refused while the Snakefile is read, before the DAG
