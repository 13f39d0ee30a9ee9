"""A real one-node Slurm on this machine, for the tests: install, configure, start, stop.

Debian's packages (`slurm-wlm`, `munge`) are installed with apt-get when missing. The cluster
is this machine alone: its hostname, its CPUs and memory as the operating system reports them
(the same numbers `slurmd -C` prints), two partitions on the one node (the default `debug`
and `compute`, so that a job landing in `compute` shows the partition setting reached sbatch).

Choices, each so that it runs in a container without systemd or cgroups:

- the daemons run in the foreground as children of the test (`munged -F`, `slurmctld -D`,
  `slurmd -D`), with their state, spool and logs in a folder of the caller's, on free ports;
- `proctrack/linuxproc` and `task/none`: jobs are tracked through /proc, no cgroup needed;
- no accounting database (`accounting_storage/none`): the executor plugin reads job states
  with `squeue`, which lists finished jobs for `MinJobAge` seconds (set to half a day, so that
  every job of a run is still listed when it ends). `sacct` has nothing to show without
  slurmdbd, which would need MariaDB as well; `jobcomp/filetxt` keeps one line per finished job
  as a record that does not expire;
- `select/cons_tres` with cores and memory as consumable resources, as on a real cluster, so
  that a job's `--cpus-per-task` and `--mem` are enforced by the scheduler;
- slurm.conf goes to the default path, /etc/slurm/slurm.conf: the executor plugin's job step
  removes every `SLURM_*` variable, `SLURM_CONF` included, before it calls `srun` inside the
  job, so a configuration anywhere else is not found there. An existing slurm.conf that this
  module did not write is never replaced (the cluster is then unavailable, with the reason);
- munged's socket lives in a folder of its own under the system's temporary folder: munged
  refuses a socket below a folder that not everyone may enter, as pytest's folders are.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

#: The file Slurm's daemons and commands read when SLURM_CONF is not set.
SLURM_CONF = Path("/etc/slurm/slurm.conf")
#: The first line of every slurm.conf this module writes (it replaces only those).
MARKER = "# one-node test cluster written by tests/workflow/slurm_cluster.py"
PACKAGES = ("slurm-wlm", "munge")
COMMANDS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol", "scancel")
#: The partition the tests submit to (not the default one) and the account they name.
PARTITION = "compute"
ACCOUNT = "seasonalvae"
#: Seconds Slurm keeps a finished job in `squeue --states=all` (12 h: longer than any run).
MIN_JOB_AGE = 43200


class SlurmUnavailable(Exception):
    """No Slurm can be set up here (not root, packages not installable, a foreign config)."""


def _run(args, timeout=60, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)


def install() -> list[str]:
    """Install Debian's Slurm and MUNGE where any of their commands is missing.

    Returns the packages installed (empty when everything was there). Raises
    :class:`SlurmUnavailable` when not root or when apt-get fails, with its output.
    """
    if os.geteuid() != 0:
        raise SlurmUnavailable("not root: installing Slurm and running its daemons need root")
    if all(shutil.which(c) for c in COMMANDS):
        return []
    if shutil.which("apt-get") is None:
        missing = [c for c in COMMANDS if not shutil.which(c)]
        raise SlurmUnavailable(f"{', '.join(missing)} missing and no apt-get to install {PACKAGES}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES]
    try:
        done = _run(install, timeout=900, env=env)
        if done.returncode != 0:  # stale package lists: refresh them once and retry
            _run(["apt-get", "update"], timeout=600, env=env)
            done = _run(install, timeout=900, env=env)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SlurmUnavailable(f"apt-get install {' '.join(PACKAGES)} failed: {error}") from error
    if done.returncode != 0:
        raise SlurmUnavailable(
            f"apt-get install {' '.join(PACKAGES)} failed (exit {done.returncode}):\n"
            f"{(done.stdout + done.stderr)[-2000:]}"
        )
    missing = [c for c in COMMANDS if not shutil.which(c)]
    if missing:
        raise SlurmUnavailable(f"installed {PACKAGES}, yet {', '.join(missing)} still missing")
    return list(PACKAGES)


def check_no_other_slurm() -> None:
    """Raise :class:`SlurmUnavailable` when this machine has a Slurm configuration of its own
    at the default path, which the one-node cluster would have to replace."""
    if SLURM_CONF.exists() and not SLURM_CONF.read_text().startswith(MARKER):
        raise SlurmUnavailable(
            f"{SLURM_CONF} exists and was not written by the tests: this machine has a Slurm "
            "configuration of its own, which the test does not replace"
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_resources() -> tuple[int, int]:
    """This machine's CPUs and memory (MB) as slurmd counts them (online CPUs; physical
    pages times page size), so that the node is not drained for claiming more than it has."""
    cpus = os.sysconf("SC_NPROCESSORS_ONLN")
    memory_mb = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2**20
    return cpus, memory_mb


class SlurmCluster:
    """A one-node Slurm cluster whose files live in ``root``.

    ``start()`` writes the configuration and starts munged, slurmctld and slurmd, then waits
    until the node is idle; ``stop()`` cancels what is still queued or running, stops the
    daemons (and any job step they left) and removes the configuration. ``logs()`` returns
    the daemons' logs, for a failure message.
    """

    def __init__(self, root: Path):
        self.root = Path(root)
        self.host = socket.gethostname()
        self.cpus, self.memory_mb = node_resources()
        self.log_dir = self.root / "log"
        self.munge_dir = None  # created by start(), under the system's temporary folder
        self.daemons: dict[str, subprocess.Popen] = {}
        self._stepds_before: set[int] = set()

    # --- configuration ----------------------------------------------------------------------

    def slurm_conf(self, munge_socket: Path) -> str:
        """The slurm.conf of the one-node cluster."""
        r, node = self.root, self.host
        return "\n".join(
            [
                MARKER,
                "ClusterName=seasonalvae",
                f"SlurmctldHost={node}",
                f"SlurmctldPort={_free_port()}",
                f"SlurmdPort={_free_port()}",
                "SlurmUser=root",
                "SlurmdUser=root",
                "AuthType=auth/munge",
                "CredType=cred/munge",
                f"AuthInfo=socket={munge_socket}",
                f"StateSaveLocation={r / 'state'}",
                f"SlurmdSpoolDir={r / 'spool'}",
                f"SlurmctldPidFile={r / 'slurmctld.pid'}",
                f"SlurmdPidFile={r / 'slurmd.pid'}",
                f"SlurmctldLogFile={self.log_dir / 'slurmctld.log'}",
                f"SlurmdLogFile={self.log_dir / 'slurmd.log'}",
                "SlurmctldDebug=info",
                "SlurmdDebug=info",
                # no cgroups: processes tracked through /proc, no CPU binding
                "ProctrackType=proctrack/linuxproc",
                "TaskPlugin=task/none",
                "MpiDefault=none",
                "MailProg=/bin/true",
                # cores and memory are what the scheduler hands out, as on a real cluster
                "SchedulerType=sched/backfill",
                "SelectType=select/cons_tres",
                "SelectTypeParameters=CR_Core_Memory",
                # no accounting database: squeue lists finished jobs for MinJobAge seconds,
                # and jobcomp keeps a line per finished job
                "AccountingStorageType=accounting_storage/none",
                "JobAcctGatherType=jobacct_gather/none",
                "JobCompType=jobcomp/filetxt",
                f"JobCompLoc={self.log_dir / 'jobcomp.txt'}",
                f"MinJobAge={MIN_JOB_AGE}",
                "ReturnToService=2",
                "KillWait=5",
                f"NodeName={node} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={self.memory_mb}"
                " State=UNKNOWN",
                f"PartitionName=debug Nodes={node} Default=YES MaxTime=INFINITE State=UP",
                f"PartitionName={PARTITION} Nodes={node} Default=NO MaxTime=INFINITE State=UP",
                "",
            ]
        )

    # --- life cycle -------------------------------------------------------------------------

    def start(self, timeout: float = 60) -> None:
        """Write the configuration, start the three daemons, wait until the node is idle."""
        check_no_other_slurm()
        for sub in ("state", "spool", "log"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self._stepds_before = set(_pids("slurmstepd"))
        # munged: a fresh key, a socket in a folder everyone may enter (munged checks the
        # whole path), the key in a private one
        self.munge_dir = Path(tempfile.mkdtemp(prefix="seasonal-vae-munge-"))
        self.munge_dir.chmod(0o755)
        key_dir = self.munge_dir / "key"
        key_dir.mkdir(mode=0o700)
        key = key_dir / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        munge_socket = self.munge_dir / "munge.socket.2"
        SLURM_CONF.parent.mkdir(parents=True, exist_ok=True)
        SLURM_CONF.write_text(self.slurm_conf(munge_socket))
        self._spawn(
            "munged",
            [
                "munged",
                "--foreground",
                f"--socket={munge_socket}",
                f"--key-file={key}",
                f"--pid-file={self.munge_dir / 'munged.pid'}",
                f"--seed-file={key_dir / 'munged.seed'}",
            ],
        )
        self._wait(lambda: munge_socket.exists(), timeout, "munged's socket")
        self._spawn("slurmctld", ["slurmctld", "-D", "-i"])
        self._wait(lambda: _run(["scontrol", "ping"]).stdout.count("UP") > 0, timeout, "slurmctld")
        self._spawn("slurmd", ["slurmd", "-D"])
        self._wait(lambda: self.node_state() == "idle", timeout, f"node {self.host} idle in sinfo")

    def _spawn(self, name: str, args: list[str]) -> None:
        out = open(self.log_dir / f"{name}.out", "w")
        self.daemons[name] = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        out.close()  # the child keeps its own descriptor

    def _wait(self, ready, timeout: float, what: str) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            dead = [n for n, p in self.daemons.items() if p.poll() is not None]
            if dead:
                raise RuntimeError(f"{', '.join(dead)} exited while waiting for {what}:\n{self.logs()}")
            try:
                if ready():
                    return
            except (OSError, subprocess.SubprocessError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"timed out after {timeout} s waiting for {what}:\n{self.logs()}")

    def node_state(self) -> str:
        """The node's state as `sinfo` reports it (idle, mixed, allocated, down, drained...)."""
        return (
            _run(["sinfo", "--noheader", "--Node", "--format=%T", f"--nodes={self.host}"])
            .stdout.split("\n")[0]
            .strip()
        )

    def stop(self) -> None:
        """Cancel unfinished jobs, stop every daemon started here and remove the config.

        Safe to call more than once and after a failed start."""
        if self.daemons.get("slurmctld") and self.daemons["slurmctld"].poll() is None:
            try:
                self._cancel_jobs()
            except (OSError, subprocess.SubprocessError):
                pass  # a controller that does not answer is stopped below all the same
        for name in ("slurmd", "slurmctld", "munged"):  # the reverse of the start
            proc = self.daemons.get(name)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        # job steps that outlived slurmd (started by it, so not there before the start)
        for pid in set(_pids("slurmstepd")) - self._stepds_before:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if SLURM_CONF.exists() and SLURM_CONF.read_text().startswith(MARKER):
            SLURM_CONF.unlink()
        if self.munge_dir is not None:
            shutil.rmtree(self.munge_dir, ignore_errors=True)
            self.munge_dir = None

    def _cancel_jobs(self, timeout: float = 30) -> None:
        def unfinished():
            states = "--states=PENDING,RUNNING,COMPLETING,SUSPENDED"
            return _run(["squeue", "--noheader", "--format=%i", states]).stdout.split()

        active = unfinished()
        if active:
            _run(["scancel", *active])
            end = time.monotonic() + timeout
            while unfinished() and time.monotonic() < end:
                time.sleep(1)

    def running(self) -> list[str]:
        """The daemons of this cluster still running."""
        return [n for n, p in self.daemons.items() if p.poll() is None]

    def logs(self, tail: int = 4000) -> str:
        """The last ``tail`` characters of every daemon's log, for a failure message."""
        parts = []
        for path in sorted(self.log_dir.glob("*")):
            if path.is_file():
                parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-tail:]}")
        return "\n".join(parts)


def _pids(name: str) -> list[int]:
    """The ids of the processes called ``name`` (from /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids
