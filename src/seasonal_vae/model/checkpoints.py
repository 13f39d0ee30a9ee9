"""Resumable training runs: the work folder of an interrupted run, and the checkpoints.

:func:`prepare_work_dir` keeps an interrupted run's folder only if it can be resumed safely
(same windows and settings, every file readable); :class:`Checkpoints` keeps the best
weights in memory and writes the resumable backup at most every ``checkpoint_seconds``;
:func:`truncate_history` drops the history rows a resumed run trains again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import shutil
import time
from pathlib import Path

import h5py
import keras
import numpy as np

from seasonal_vae.core.atomic import atomic_path
from seasonal_vae.core.config import section_json

log = logging.getLogger(__name__)


def prepare_work_dir(work: Path, windows_path: Path, cfg: dict) -> None:
    """Keep an interrupted run's checkpoint only if it can be resumed safely.

    `train` resumes from ``work`` (Keras ``BackupAndRestore``). That is right
    only when the checkpoint was made from the same windows with the same settings, and
    readable: a run killed while Keras wrote its checkpoint leaves a damaged HDF5 file, and
    one made with other settings would resume the wrong model. In those cases the folder is
    discarded (with a warning) and training restarts cleanly from epoch 1. The settings are
    recorded in ``work/settings.json``; `train` removes the folder on success.
    """
    digest = hashlib.sha256()
    with open(windows_path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    settings = {
        "windows_sha256": digest.hexdigest(),
        "config": json.loads(section_json(cfg, "model", "windows", "training")),
    }
    stamp = work / "settings.json"
    if work.exists():
        reason = None
        try:
            previous = json.loads(stamp.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = None
        if previous != settings:
            reason = "it was made with other settings or another windows file"
        elif not _checkpoint_readable(work):
            reason = "its checkpoint is damaged (the run was killed while writing it)"
        if reason:
            log.warning(
                "discarding the interrupted run in %s: %s; training restarts from epoch 1", work, reason
            )
            shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    with atomic_path(stamp) as tmp:
        tmp.write_text(json.dumps(settings, sort_keys=True), encoding="utf-8")


def _checkpoint_readable(work: Path) -> bool:
    """Whether every HDF5 and JSON file of a checkpoint folder opens."""
    try:
        for path in work.rglob("*"):
            if path.suffix == ".h5":
                with h5py.File(path, "r") as fh:
                    fh.visit(lambda name: None)
            elif path.suffix == ".npz":
                with np.load(path) as saved:
                    [saved[name] for name in saved.files]
            elif path.suffix == ".json":
                json.loads(path.read_text(encoding="utf-8"))
    except Exception:  # h5py and json raise many types for a truncated file
        return False
    return True


class Checkpoints(keras.callbacks.BackupAndRestore):
    """The best weights by validation loss, and a resumable backup at most every ``seconds``.

    The best weights are kept in memory (a copy of a few hundred kilobytes on each
    improvement) instead of written to disk on each improvement, and Keras's backup of the
    weights, the optimizer's state and the epoch (``BackupAndRestore``) is written when at
    least ``seconds`` have passed since the last one (and at the first epoch), together with
    the best weights so far and their loss (``best.npz``). An interrupted run therefore loses
    at most ``seconds`` of training plus one epoch; ``seconds = 0`` backs up every epoch.
    Writing both every epoch cost 38 % of an epoch (benchmarks/README.md).
    """

    def __init__(self, work_dir: Path, seconds: float):
        super().__init__(str(Path(work_dir) / "backup"))
        self.backup_path = Path(work_dir) / "backup"
        self.seconds = float(seconds)
        self.best_path = Path(work_dir) / "best.npz"
        self.best_loss, self.best_weights = math.inf, None
        self._last_save = None

    def resumable(self) -> bool:
        """Whether a backup of an interrupted run is there to resume from."""
        return (self.backup_path / "training_metadata.json").is_file() and self.best_path.is_file()

    def saved_epoch(self) -> int:
        """The number of epochs the backup holds."""
        return json.loads((self.backup_path / "training_metadata.json").read_text())["epoch"]

    def on_train_begin(self, logs=None):
        if self.resumable():
            super().on_train_begin(logs)  # weights, optimizer state, epoch
            with np.load(self.best_path) as saved:
                self.best_loss = float(saved["loss"])
                self.best_weights = [saved[f"w{k}"] for k in range(len(saved.files) - 1)]
        self._last_save = None

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        loss = float((logs or {}).get("val_loss", math.inf))
        if loss < self.best_loss or self.best_weights is None:
            self.best_loss, self.best_weights = loss, self.model.get_weights()
        now = time.monotonic()
        if self._last_save is None or now - self._last_save >= self.seconds:
            with atomic_path(self.best_path) as tmp:
                np.savez(tmp, loss=self.best_loss, **{f"w{k}": w for k, w in enumerate(self.best_weights)})
            self._save_model()
            self._last_save = now


def truncate_history(history_csv: Path, epochs: int) -> None:
    """Keep the first ``epochs`` rows of a partial CSV history (a resumed run repeats the
    epochs after its last backup)."""
    if not history_csv.exists():
        return
    lines = history_csv.read_text(encoding="utf-8").splitlines(keepends=True)
    with atomic_path(history_csv) as tmp:
        tmp.write_text("".join(lines[: 1 + epochs]), encoding="utf-8")
