"""Train the VAE on the windows: Adam, best weights by validation loss, early stopping, resumable.

Two of the model's parameters have a closed-form optimum given the rest, and by default
training sets them to it at the start of every epoch instead of moving them by gradient
steps (an EM-like M-step on the current epoch's training windows):

* the observation-noise variance σ² = exp(``noise_log_var``): its maximum-likelihood value
  given the reconstructions is the mean squared residual ⟨(x − x̂)²⟩;
* the seasonal prior's Fourier coefficients: given the encoder's posteriors q(z | x) of every
  latent step, the KL term is minimised by a weighted least-squares mean m(θ) and a convex
  (Newton) fit of the log-variance s(θ) (:func:`optimal_prior_weights`).

Adam moves each weight by about one learning rate per step, so by gradient alone a scalar
that must travel from 0 to log 0.09² ≈ −4.8 needs thousands of steps, and a short record
(15 years: 3 batches per epoch) never gets them: σ and the prior's seasonal amplitude stop
far from their optimum. ``training.noise_closed_form: false`` and
``training.prior_closed_form: false`` restore the article's plain gradient training.

Training is deterministic for a given seed on the CPU (Keras global seed plus TensorFlow op
determinism). If a run is interrupted, rerunning it resumes from the last completed epoch
(``keras.callbacks.BackupAndRestore``) and ends with the same kind of valid model; the
final ``.keras`` file is written atomically, so it is never half-written.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import shutil
from pathlib import Path

import h5py
import keras
import numpy as np
import tensorflow as tf
import xarray as xr

from seasonal_vae.core.atomic import atomic_path
from seasonal_vae.core.calendar import HOURS_PER_LATENT_STEP, seasonal_features
from seasonal_vae.core.config import section_json
from seasonal_vae.core.errors import InputError
from seasonal_vae.data.windows import WindowSampler
from seasonal_vae.model.closed_form import ClosedFormUpdates
from seasonal_vae.model.vae import SeasonalVAE

log = logging.getLogger(__name__)


class WindowDataset(keras.utils.PyDataset):
    """Batches of ``((x, features),)`` for ``fit``; a new window phase every epoch if asked."""

    def __init__(
        self,
        ds: xr.Dataset,
        split: str,
        batch_size: int,
        fourier_degree: int,
        theta_anchor: str,
        random_offsets: bool = False,
        seed: int = 0,
    ):
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
        self.features = seasonal_features(
            start_times, self.n_steps, self.degree, HOURS_PER_LATENT_STEP, self.anchor
        )

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


def _prepare_work_dir(work: Path, windows_path: Path, cfg: dict) -> None:
    """Keep an interrupted run's checkpoint only if it can be resumed safely.

    :func:`train` resumes from ``work`` (Keras ``BackupAndRestore``). That is right
    only when the checkpoint was made from the same windows with the same settings, and
    readable: a run killed while Keras wrote its checkpoint leaves a damaged HDF5 file, and
    one made with other settings would resume the wrong model. In those cases the folder is
    discarded (with a warning) and training restarts cleanly from epoch 1. The settings are
    recorded in ``work/settings.json``; :func:`train` removes the folder on success.
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
            elif path.suffix == ".json":
                json.loads(path.read_text(encoding="utf-8"))
    except Exception:  # h5py and json raise many types for a truncated file
        return False
    return True


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow, and make TensorFlow's kernels deterministic."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def train(
    windows_path: str | Path,
    model_path: str | Path,
    history_path: str | Path,
    config: dict,
    work_dir: str | Path | None = None,
) -> SeasonalVAE:
    """Train a :class:`SeasonalVAE` and save it (best validation loss) as ``.keras``.

    Parameters
    ----------
    windows_path:
        Output of :func:`seasonal_vae.data.windows.make_windows`.
    model_path, history_path:
        The ``.keras`` model and the per-epoch history (CSV) to write.
    config:
        The validated configuration (sections ``model``, ``windows``, ``training``).
    work_dir:
        Folder for the resumable backup and the best-weights checkpoint; defaults to
        ``<model_path>.work`` and is removed after success. A run interrupted with the same
        windows and settings resumes from it; a damaged or foreign one is discarded.
    """
    mcfg, wcfg, tcfg = config["model"], config["windows"], config["training"]
    model_path, history_path = Path(model_path), Path(history_path)
    work_dir = Path(work_dir) if work_dir else model_path.with_name(model_path.name + ".work")
    _prepare_work_dir(work_dir, Path(windows_path), config)
    set_seed(tcfg["seed"])

    with xr.open_dataset(windows_path) as f:
        ds = f.load()
    common = dict(
        batch_size=tcfg["batch_size"],
        fourier_degree=mcfg["fourier_degree"],
        theta_anchor=mcfg["theta_anchor"],
        seed=tcfg["seed"],
    )
    train_data = WindowDataset(ds, "train", random_offsets=wcfg["random_offsets"], **common)
    val_data = WindowDataset(ds, "val", **common)
    log.info(
        "training on %d windows per epoch (%d batches), validating on %d windows",
        len(train_data.x),
        len(train_data),
        len(val_data.x),
    )

    model = SeasonalVAE(
        filters=mcfg["filters"],
        latent_dim=mcfg["latent_dim"],
        fourier_degree=mcfg["fourier_degree"],
        prior=mcfg["prior"],
        theta_anchor=mcfg["theta_anchor"],
        noise=mcfg["noise"],
        noise_order=mcfg["noise_order"],
        latent_memory=mcfg["latent_memory"],
        data_mean=ds.attrs["data_mean"],
        data_std=ds.attrs["data_std"],
        trend_rate_per_decade=ds.attrs["trend_rate_per_decade"],
        trend_reference_year=ds.attrs["trend_reference_year"],
        seed=tcfg["seed"],
    )
    closed_form = ClosedFormUpdates(
        train_data, noise=tcfg["noise_closed_form"], prior=tcfg["prior_closed_form"]
    )
    after = model.noise_kind == "ar" and tcfg["ar_noise_fit"] == "after"
    if after:  # encoder and decoder against white noise; the AR residual fitted to theirs
        model.ar_noise_in_loss = False
    if model.noise_kind == "ar" and (closed_form.noise or after):
        model.noise_pacf_raw.trainable = model.noise_scale_weights.trainable = False
    if closed_form.noise:  # set by the closed form, not by gradient steps
        model.noise_log_var.trainable = False
    if closed_form.prior:
        model.prior.trainable = False
        if model.latent_memory == "ar1":
            model.latent_ar_raw.trainable = False
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=tcfg["learning_rate"]))

    backup_dir, best = work_dir / "backup", work_dir / "best.weights.h5"
    resuming = backup_dir.exists()
    if resuming:
        log.info("resuming an interrupted run from %s", backup_dir)
    partial_history = work_dir / "history.csv"
    # BackupAndRestore restores the model and the epoch, not ModelCheckpoint's best loss so
    # far: hand it over, so that a resumed run keeps the best weights of the whole run.
    best_so_far = _best_val_loss(partial_history) if resuming and best.exists() else None
    callbacks = [
        closed_form,
        keras.callbacks.BackupAndRestore(str(backup_dir)),
        keras.callbacks.ModelCheckpoint(
            str(best),
            monitor="val_loss",
            save_best_only=True,
            initial_value_threshold=best_so_far,
            save_weights_only=True,
        ),
        keras.callbacks.CSVLogger(str(partial_history), append=resuming),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=tcfg["patience"]),
    ]
    model.fit(train_data, validation_data=val_data, epochs=tcfg["epochs"], callbacks=callbacks, verbose=2)
    model.load_weights(str(best))
    if closed_form.noise or closed_form.prior:  # the optimum for the best encoder and decoder
        closed_form.update(model)
    if after:  # the AR residual of the best reconstruction; the validation ELBO is then its own
        model.ar_noise_in_loss = True
        closed_form.noise = True
        closed_form.update(model)
        model.test_function = None  # traced with the white-noise loss: trace again
    val = model.evaluate(val_data, verbose=0, return_dict=True)
    log.info(
        "best model: validation loss %.4f (reconstruction %.4f, KL %.4f), noise σ %.4f "
        "standard units = %.3f °F",
        val["loss"],
        val["reconstruction"],
        val["kl"],
        model.noise_sigma,
        model.noise_sigma * model.data_std,
    )

    final = SeasonalVAE.from_config(model.get_config())  # no optimizer state in the file
    final.set_weights(model.get_weights())
    with atomic_path(model_path) as tmp:
        final.save(tmp)
    with atomic_path(history_path) as tmp:
        shutil.copyfile(partial_history, tmp)
    shutil.rmtree(work_dir)
    return final


def _best_val_loss(history_csv: Path) -> float | None:
    """Lowest ``val_loss`` in a (partial) Keras CSV history, or None if there is none."""
    import csv

    try:
        with open(history_csv, newline="", encoding="utf-8") as fh:
            losses = [float(row["val_loss"]) for row in csv.DictReader(fh) if row.get("val_loss")]
    except (OSError, ValueError, KeyError):
        return None
    return min(losses) if losses else None


def load_model(path: str | Path) -> SeasonalVAE:
    """Load a saved :class:`SeasonalVAE` (``.keras``) with a clear error if it cannot be."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "model file not found", "train one first (snakemake train)")
    try:
        model = keras.models.load_model(path)
    except Exception as err:  # Keras raises many types for a damaged archive
        raise InputError(
            path, f"cannot be loaded as a Keras model ({err})", "delete it and retrain (snakemake train)"
        ) from err
    if not isinstance(model, SeasonalVAE):
        raise InputError(
            path,
            f"holds a {type(model).__name__}, not a SeasonalVAE",
            "point to a model written by `seasonal_vae train`",
        )
    return model
