"""Train the VAE on the windows: Adam, best weights by validation loss, resumable.

Training is deterministic for a given seed on the CPU (Keras global seed plus TensorFlow op
determinism). If a run is interrupted, rerunning it resumes from the last completed epoch
(``keras.callbacks.BackupAndRestore``) and ends with the same kind of valid model; the
final ``.keras`` file is written atomically, so it is never half-written.
"""

from __future__ import annotations

import logging
import math
import shutil
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
import xarray as xr

from .atomic import atomic_path
from .errors import InputError
from .model import SeasonalVAE
from .timefeatures import HOURS_PER_LATENT_STEP, seasonal_features
from .windows import WindowSampler

log = logging.getLogger(__name__)


class WindowDataset(keras.utils.PyDataset):
    """Batches of ``((x, features),)`` for ``fit``; a new window phase every epoch if asked."""

    def __init__(self, ds: xr.Dataset, split: str, batch_size: int, fourier_degree: int,
                 theta_anchor: str, random_offsets: bool = False, seed: int = 0):
        super().__init__()
        self.sampler = WindowSampler(ds, split, random_offsets=random_offsets, seed=seed)
        self.batch_size = batch_size
        self.degree, self.anchor = fourier_degree, theta_anchor
        self.n_steps = self.sampler.window_hours // HOURS_PER_LATENT_STEP
        self.rng = np.random.default_rng(seed + 1)
        self.shuffle = split == "train"
        self._draw()

    def _draw(self) -> None:
        starts = self.sampler.starts()
        if self.shuffle:
            starts = self.rng.permutation(starts)
        self.x, start_times = self.sampler.arrays(starts)
        self.features = seasonal_features(start_times, self.n_steps, self.degree,
                                          HOURS_PER_LATENT_STEP, self.anchor)

    def __len__(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index):
        batch = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return ((self.x[batch], self.features[batch]),)

    def on_epoch_end(self) -> None:
        if self.sampler.random_offsets:
            self._draw()
        elif self.shuffle:
            order = self.rng.permutation(len(self.x))
            self.x, self.features = self.x[order], self.features[order]


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow, and make TensorFlow's kernels deterministic."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def train(windows_path: str | Path, model_path: str | Path, history_path: str | Path,
          config: dict, work_dir: str | Path | None = None) -> SeasonalVAE:
    """Train a :class:`SeasonalVAE` and save it (best validation loss) as ``.keras``.

    Parameters
    ----------
    windows_path:
        Output of :func:`seasonal_vae.windows.make_windows`.
    model_path, history_path:
        The ``.keras`` model and the per-epoch history (CSV) to write.
    config:
        The validated configuration (sections ``model``, ``windows``, ``training``).
    work_dir:
        Folder for the resumable backup and the best-weights checkpoint; defaults to
        ``<model_path>.work`` and is removed after success.
    """
    mcfg, wcfg, tcfg = config["model"], config["windows"], config["training"]
    model_path, history_path = Path(model_path), Path(history_path)
    work_dir = Path(work_dir) if work_dir else model_path.with_name(model_path.name + ".work")
    work_dir.mkdir(parents=True, exist_ok=True)
    set_seed(tcfg["seed"])

    with xr.open_dataset(windows_path) as f:
        ds = f.load()
    common = dict(batch_size=tcfg["batch_size"], fourier_degree=mcfg["fourier_degree"],
                  theta_anchor=mcfg["theta_anchor"], seed=tcfg["seed"])
    train_data = WindowDataset(ds, "train", random_offsets=wcfg["random_offsets"], **common)
    val_data = WindowDataset(ds, "val", **common)
    log.info("training on %d windows per epoch (%d batches), validating on %d windows",
             len(train_data.x), len(train_data), len(val_data.x))

    model = SeasonalVAE(filters=mcfg["filters"], latent_dim=mcfg["latent_dim"],
                        fourier_degree=mcfg["fourier_degree"], prior=mcfg["prior"],
                        theta_anchor=mcfg["theta_anchor"], data_mean=ds.attrs["data_mean"],
                        data_std=ds.attrs["data_std"],
                        trend_rate_per_decade=ds.attrs["trend_rate_per_decade"],
                        trend_reference_year=ds.attrs["trend_reference_year"], seed=tcfg["seed"])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=tcfg["learning_rate"]))

    backup_dir, best = work_dir / "backup", work_dir / "best.weights.h5"
    resuming = backup_dir.exists()
    if resuming:
        log.info("resuming an interrupted run from %s", backup_dir)
    partial_history = work_dir / "history.csv"
    callbacks = [
        keras.callbacks.BackupAndRestore(str(backup_dir)),
        keras.callbacks.ModelCheckpoint(str(best), monitor="val_loss", save_best_only=True,
                                        save_weights_only=True),
        keras.callbacks.CSVLogger(str(partial_history), append=resuming),
    ]
    model.fit(train_data, validation_data=val_data, epochs=tcfg["epochs"], callbacks=callbacks,
              verbose=2)
    model.load_weights(str(best))
    val = model.evaluate(val_data, verbose=0, return_dict=True)
    log.info("best model: validation loss %.4f (reconstruction %.4f, KL %.4f), noise σ %.4f "
             "standard units = %.3f °F", val["loss"], val["reconstruction"], val["kl"],
             model.noise_sigma, model.noise_sigma * model.data_std)

    final = SeasonalVAE.from_config(model.get_config())  # no optimizer state in the file
    final.set_weights(model.get_weights())
    with atomic_path(model_path) as tmp:
        final.save(tmp)
    with atomic_path(history_path) as tmp:
        shutil.copyfile(partial_history, tmp)
    shutil.rmtree(work_dir)
    return final


def load_model(path: str | Path) -> SeasonalVAE:
    """Load a saved :class:`SeasonalVAE` (``.keras``) with a clear error if it cannot be."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "model file not found", "train one first (snakemake train)")
    try:
        model = keras.models.load_model(path)
    except Exception as err:  # Keras raises many types for a damaged archive
        raise InputError(path, f"cannot be loaded as a Keras model ({err})",
                         "delete it and retrain (snakemake train)") from err
    if not isinstance(model, SeasonalVAE):
        raise InputError(path, f"holds a {type(model).__name__}, not a SeasonalVAE",
                         "point to a model written by `seasonal_vae train`")
    return model
