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
most every ``training.checkpoint_seconds``
(:class:`~seasonal_vae.model.checkpoints.Checkpoints`), and ends with the same kind of valid
model; the final ``.keras`` file is written atomically, so it is never
half-written.
"""

from __future__ import annotations

import logging
import math
import shutil
import threading
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
import xarray as xr

from seasonal_vae.core.atomic import atomic_path
from seasonal_vae.core.calendar import HOURS_PER_LATENT_STEP, seasonal_features
from seasonal_vae.core.errors import ConfigError, InputError
from seasonal_vae.data.windows import WindowSampler
from seasonal_vae.model.checkpoints import Checkpoints, prepare_work_dir, truncate_history
from seasonal_vae.model.closed_form import ClosedFormUpdates
from seasonal_vae.model.vae import SeasonalVAE

log = logging.getLogger(__name__)


class WindowDataset(keras.utils.PyDataset):
    """The training or validation windows: every epoch's windows as a pure function of the
    seed and the epoch (:meth:`epoch`), fed to ``fit`` as a ``tf.data`` pipeline
    (:meth:`tf_dataset`; the validation windows, fixed, as :meth:`batches`) or, as a Keras
    ``PyDataset``, batch by batch.

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

    def batches(self):
        """Epoch 0's windows as a finite ``tf.data`` dataset of batches ``((x, features),)``: the
        validation windows, which ``fit`` and ``evaluate`` then read in one traced call per
        epoch, as the training batches. Handed over from Python a batch at a time as a
        ``PyDataset``, the surrogate's 2 validation batches cost 0.030 s per epoch of ``fit``,
        0.013 s this way (benchmarks/README.md), with the same losses (the surrogate's 40-epoch
        history identical to the last digit; a test)."""
        x, features = self.epoch(0)
        return (
            tf.data.Dataset.from_tensor_slices((x, features))
            .batch(self.batch_size)
            .map(lambda x, f: ((x, f),))
        )


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
    if mcfg["latent_marginals"] == "johnson_su" and not tcfg["prior_closed_form"]:
        raise ConfigError(
            "training.prior_closed_form",
            "the Johnson SU latent marginals are fitted in closed form after training",
            "set training.prior_closed_form: true, or use model.latent_marginals: gaussian",
        )
    if mcfg["latent_memory"] == "var1" and not tcfg["prior_closed_form"]:
        raise ConfigError(
            "training.prior_closed_form",
            "the var1 latent memory is set in closed form only (it has no gradient steps)",
            "set training.prior_closed_form: true, or use model.latent_memory: ar1",
        )
    model_path, history_path = Path(model_path), Path(history_path)
    work_dir = Path(work_dir) if work_dir else model_path.with_name(model_path.name + ".work")
    prepare_work_dir(work_dir, Path(windows_path), config)
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
    val_batches = val_data.batches()
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
        latent_marginals=mcfg["latent_marginals"],
        noise_innovations=mcfg["noise_innovations"],
        data_mean=ds.attrs["data_mean"],
        data_std=ds.attrs["data_std"],
        trend_rate_per_decade=ds.attrs["trend_rate_per_decade"],
        trend_reference_year=ds.attrs["trend_reference_year"],
        seed=tcfg["seed"],
    )
    closed_form = ClosedFormUpdates(
        train_data,
        noise=tcfg["noise_closed_form"],
        prior=tcfg["prior_closed_form"],
        full_chain=tcfg["latent_memory_fit"] == "joint",
    )
    after = model.noise_kind == "ar" and tcfg["ar_noise_fit"] == "after"
    if after:  # encoder and decoder against white noise; the AR residual fitted to theirs
        model.ar_noise_in_loss = False
    model.latent_marginals_in_loss = False  # Gaussian marginals until they are fitted, after
    model.noise_innovations_in_loss = False  # and normal innovations (fitted with the AR residual)
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
        truncate_history(partial_history, first_epoch)
    callbacks = [
        closed_form,
        checkpoints,
        keras.callbacks.CSVLogger(str(partial_history), append=resuming),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=tcfg["patience"]),
    ]
    model.fit(
        train_data.tf_dataset(first_epoch),
        steps_per_epoch=len(train_data),
        validation_data=val_batches,
        epochs=tcfg["epochs"],
        callbacks=callbacks,
        shuffle=False,  # each epoch's windows come shuffled (WindowDataset.epoch)
        verbose=2,
    )
    model.set_weights(checkpoints.best_weights)
    closed_form.full_chain = True  # var1 fitted whole to the best encoder (latent_memory_fit: after)
    closed_form.marginals = True  # and Johnson SU latent marginals, with the chain on their scores
    closed_form.innovations = True  # and Johnson SU innovations, with the AR residual
    if closed_form.noise or closed_form.prior:  # the optimum for the best encoder and decoder
        closed_form.update(model)
    if after:  # the AR residual of the best reconstruction; the validation ELBO is then its own
        model.ar_noise_in_loss = True
        closed_form.noise, closed_form.prior, closed_form.marginals = True, False, False  # set above
        closed_form.update(model)
    model.test_function = None  # traced with the white-noise loss, Gaussian marginals: trace again
    if model.noise_innovations_in_loss:  # the innovations' own gain on the validation windows
        model.noise_innovations_in_loss = False
        normal = model.evaluate(val_batches, verbose=0, return_dict=True)
        model.noise_innovations_in_loss, model.test_function = True, None
        log.info("validation reconstruction with normal innovations: %.4f", normal["reconstruction"])
    val = model.evaluate(val_batches, verbose=0, return_dict=True)
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
