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
determinism; every epoch's windows are a function of the seed and the epoch). The windows
reach ``fit`` through a ``tf.data`` pipeline, a whole epoch's batches per call of the traced
train step. If a run is interrupted, rerunning it resumes from its last backup, written at
most every ``training.checkpoint_seconds`` (:class:`Checkpoints`), and ends with the same
kind of valid model; the final ``.keras`` file is written atomically, so it is never
half-written.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import shutil
import threading
import time
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
    """The training or validation windows: every epoch's windows as a pure function of the
    seed and the epoch (:meth:`epoch`), fed to ``fit`` as a ``tf.data`` pipeline
    (:meth:`tf_dataset`) or, as a Keras ``PyDataset``, batch by batch.

    With ``random_offsets`` each epoch draws a fresh window phase per training segment; the
    training split is shuffled every epoch. Because epoch ``k``'s windows depend on
    ``(seed, k)`` only, the pipeline can draw the next epoch ahead while the current one
    trains, the closed-form M-step (:class:`~seasonal_vae.model.closed_form.ClosedFormUpdates`)
    sees exactly the windows its epoch trains on, and a resumed run draws what the
    uninterrupted one would have.
    """

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
        self.batch_size, self.seed = batch_size, seed
        self.degree, self.anchor = fourier_degree, theta_anchor
        self.n_steps = self.sampler.window_hours // HOURS_PER_LATENT_STEP
        self.shuffle = split == "train"
        self._drawn: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._lock = threading.Lock()  # tf.data draws ahead from its own thread
        self.current = 0

    def epoch(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Epoch ``k``'s windows ``(N, hours)`` and their Fourier features ``(N, steps, 2d)``."""
        with self._lock:
            if k not in self._drawn:
                self.sampler.rng = np.random.default_rng([self.seed, k])
                starts = self.sampler.starts()
                if self.shuffle:
                    starts = np.random.default_rng([self.seed + 1, k]).permutation(starts)
                x, start_times = self.sampler.arrays(starts)
                features = seasonal_features(
                    start_times, self.n_steps, self.degree, HOURS_PER_LATENT_STEP, self.anchor
                )
                self._drawn[k] = (x.astype("float32"), np.asarray(features, dtype="float32"))
                for old in [e for e in self._drawn if e < k - 4]:  # a few are enough to keep
                    del self._drawn[old]
            return self._drawn[k]

    @property
    def x(self) -> np.ndarray:
        """The current epoch's windows (``PyDataset`` use; :meth:`on_epoch_end` moves on)."""
        return self.epoch(self.current)[0]

    @property
    def features(self) -> np.ndarray:
        return self.epoch(self.current)[1]

    def __len__(self) -> int:
        return math.ceil(self.sampler.epoch_size / self.batch_size)

    def __getitem__(self, index):
        batch = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return ((self.x[batch], self.features[batch]),)

    def on_epoch_end(self) -> None:
        if self.sampler.random_offsets or self.shuffle:
            self.current += 1

    def tf_dataset(self, first_epoch: int = 0):
        """Batches ``((x, features),)`` of epochs ``first_epoch, first_epoch + 1, …`` (for
        ``fit(..., steps_per_epoch=len(self))``), each epoch drawn by :meth:`epoch` in the
        pipeline's own thread while the previous one trains. Against the ``PyDataset``,
        which hands ``fit`` one batch at a time from Python, this took training from 0.64 to
        1.18 × a bare ``tf.function`` loop (benchmarks/README.md)."""
        x0, f0 = self.epoch(first_epoch)
        hours, feature_shape = x0.shape[1], f0.shape[1:]
        fixed = not (self.sampler.random_offsets or self.shuffle)

        def arrays(k):
            return self.epoch(first_epoch if fixed else int(k))

        def draw(k):
            x, f = tf.numpy_function(arrays, [k], [tf.float32, tf.float32], stateful=False)
            return tf.ensure_shape(x, [None, hours]), tf.ensure_shape(f, [None, *feature_shape])

        return (
            tf.data.Dataset.range(first_epoch, 2**62)
            .map(draw)
            .flat_map(lambda x, f: tf.data.Dataset.from_tensor_slices((x, f)).batch(self.batch_size))
            .map(lambda x, f: ((x, f),))
            .prefetch(2)
        )


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
            elif path.suffix == ".npz":
                with np.load(path) as saved:
                    [saved[name] for name in saved.files]
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
    compile_model(model, tcfg, len(train_data))

    checkpoints = Checkpoints(work_dir, tcfg["checkpoint_seconds"])
    resuming = checkpoints.resumable()
    partial_history = work_dir / "history.csv"
    first_epoch = checkpoints.saved_epoch() if resuming else 0
    if resuming:
        log.info("resuming an interrupted run from %s", checkpoints.backup_path)
        _truncate_history(partial_history, first_epoch)
    callbacks = [
        closed_form,
        checkpoints,
        keras.callbacks.CSVLogger(str(partial_history), append=resuming),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=tcfg["patience"]),
    ]
    model.fit(
        train_data.tf_dataset(first_epoch),
        steps_per_epoch=len(train_data),
        validation_data=val_data,
        epochs=tcfg["epochs"],
        callbacks=callbacks,
        shuffle=False,  # each epoch's windows come shuffled (WindowDataset.epoch)
        verbose=2,
    )
    model.set_weights(checkpoints.best_weights)
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


def compile_model(model: SeasonalVAE, tcfg: dict, steps_per_epoch: int) -> None:
    """Adam (:func:`learning_rate`), running a whole epoch's batches per call of the traced
    train step (``steps_per_execution``): one call per epoch instead of one per batch took
    fit from 0.69 to 0.82 × a bare ``tf.function`` loop (benchmarks/README.md)."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate(tcfg, steps_per_epoch)),
        steps_per_execution=steps_per_epoch,
    )


def learning_rate(tcfg: dict, steps_per_epoch: int):
    """Adam's learning rate: a constant, or a linear warm-up then a cosine decay to zero at
    the last epoch (``training.schedule``)."""
    if tcfg["schedule"] == "constant":
        return tcfg["learning_rate"]
    warmup = min(tcfg["warmup_epochs"], tcfg["epochs"] - 1) * steps_per_epoch
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0 if warmup else tcfg["learning_rate"],
        decay_steps=tcfg["epochs"] * steps_per_epoch - warmup,
        warmup_target=tcfg["learning_rate"] if warmup else None,
        warmup_steps=warmup,
    )


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


def _truncate_history(history_csv: Path, epochs: int) -> None:
    """Keep the first ``epochs`` rows of a partial CSV history (a resumed run repeats the
    epochs after its last backup)."""
    if not history_csv.exists():
        return
    lines = history_csv.read_text(encoding="utf-8").splitlines(keepends=True)
    with atomic_path(history_csv) as tmp:
        tmp.write_text("".join(lines[: 1 + epochs]), encoding="utf-8")


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
