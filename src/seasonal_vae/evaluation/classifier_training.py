"""The two-sample classifier's network and its training: many fits side by side (:func:`fit_many`).

What the network is shown (the paired windows of ``window_days`` days of
:func:`seasonal_vae.evaluation.classifier.paired_windows`, standardised, with their
hour-to-hour changes and calendar month) and how the held-out scores become metrics is
described in :mod:`seasonal_vae.evaluation.classifier`.

Network: Conv1D(16, 7, stride 2) → Conv1D(16, 5, stride 2) → Conv1D(16, 5, stride 2)
(ReLU, ``same`` padding) → global average pooling, concatenated with the month features →
Dense(16, ReLU) → Dense(1, sigmoid) (:func:`reference_network` is it as a Keras model);
Glorot-uniform kernels and zero biases (Keras's defaults); Adam (learning rate 3·10⁻³, Keras's
other defaults), binary cross-entropy, ``epochs`` passes over the training windows in a new
random order each, batches of 32. Each seed draws a different 70/30 split of the dates, a
different initialisation and different batches (``numpy.random.default_rng(seed)``).

Many fits at once. An evaluation makes dozens of fits (every generator's seeds, the noise
floor's splits) of a network this small, where one Keras ``fit`` per seed spends most of its
time on per-step overhead rather than arithmetic. :func:`fit_many` trains them side by side
as one stacked network: every layer holds one set of weights per fit (the convolutions as
batched matrix products of each fit's windows, ``tf.matmul`` over the fit axis), every step
(one XLA-compiled ``tf.function``) takes the next batch of each fit, and the loss is the sum
over fits of each fit's mean cross-entropy over its batch. Each fit's gradient is then
exactly its own, and Adam updates every weight from its own gradients alone, so each fit is
the single fit described above (a test compares a stacked step with Keras
``train_on_batch``); only the floating-point order of the sums differs. Fits whose training
sets need the same number of batches per pass are stacked together (a shorter last batch is
padded with windows of weight zero).

Each fit is scored on its held-out 30 %: accuracy (threshold 0.5 on the predicted
probability) and AUROC (:func:`auroc`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

log = logging.getLogger(__name__)

#: The convolutions' kernel sizes (16 filters each, stride 2, ``same`` padding).
KERNELS = (7, 5, 5)
#: Filters of each convolution and units of the hidden dense layer.
WIDTH = 16
#: Windows per batch, of each fit.
BATCH = 32
#: Adam's learning rate.
LEARNING_RATE = 3e-3


def _month_features(months: np.ndarray) -> np.ndarray:
    angle = 2.0 * np.pi * (np.asarray(months, dtype="float64") - 1.0) / 12.0
    return np.column_stack([np.sin(angle), np.cos(angle)]).astype("float32")


def reference_network(length: int):
    """The network of one fit as a Keras model (window ``(length, 2)`` and month ``(2,)`` in,
    the probability of "generated" out), compiled as one fit's training would be.

    :func:`fit_many` trains the same network, one copy per fit; its tests compare the two.
    """
    import keras
    from keras import layers

    x_in = keras.Input((length, 2), name="window")
    m_in = keras.Input((2,), name="month")
    h = x_in
    for kernel in KERNELS:
        h = layers.Conv1D(WIDTH, kernel, strides=2, padding="same", activation="relu")(h)
    h = layers.GlobalAveragePooling1D()(h)
    h = layers.Concatenate()([h, m_in])
    h = layers.Dense(WIDTH, activation="relu")(h)
    out = layers.Dense(1, activation="sigmoid")(h)
    model = keras.Model([x_in, m_in], out)
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="binary_crossentropy")
    return model


def auroc(p_generated: np.ndarray, p_real: np.ndarray) -> float:
    """Area under the ROC curve for telling generated (positive) from real: U / (n₁·n₂)."""
    if len(p_generated) == 0 or len(p_real) == 0:
        return float("nan")
    u = sps.mannwhitneyu(p_generated, p_real, alternative="two-sided").statistic
    return float(u / (len(p_generated) * len(p_real)))


# --------------------------------------------------------------------------------------------
# One fit's data and initial weights
# --------------------------------------------------------------------------------------------
@dataclass
class _Fit:
    """One fit: its split, standardised inputs, initial weights and batches."""

    seed: int
    n_train: int
    n_test: int
    train: tuple[np.ndarray, np.ndarray, np.ndarray]  # windows (2m, L, 2), months (2m, 2), labels (2m,)
    test: tuple[np.ndarray, np.ndarray, np.ndarray]
    rng: np.random.Generator

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.train[2]) / BATCH)


def _prepare(
    real_windows: np.ndarray, gen_windows: np.ndarray, months: np.ndarray, seed: int, test_fraction: float
) -> _Fit:
    """The 70/30 split of the dates (``default_rng(seed)``) and the standardised inputs."""
    n = len(months)
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    n_test = max(1, int(round(test_fraction * n)))
    test, train = order[:n_test], order[n_test:]
    centre, scale = real_windows[train].mean(), real_windows[train].std()
    step_scale = np.diff(real_windows[train], axis=1).std()

    def inputs(idx):
        x = np.concatenate([real_windows[idx], gen_windows[idx]])
        steps = np.diff(x, axis=1, prepend=x[:, :1]) / step_scale
        x = np.stack([(x - centre) / scale, steps], axis=-1).astype("float32")
        m = _month_features(np.concatenate([months[idx], months[idx]]))
        y = np.concatenate([np.zeros(len(idx)), np.ones(len(idx))]).astype("float32")
        return x, m, y

    return _Fit(int(seed), len(train), n_test, inputs(train), inputs(test), rng)


def _glorot(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Keras's ``glorot_uniform`` for a kernel of ``shape`` (a Conv1D's ``(k, in, out)`` or a
    Dense layer's ``(in, out)``), drawn from ``rng``."""
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype("float32")


def _initial_weights(rng: np.random.Generator) -> list[np.ndarray]:
    """One fit's initial weights, in the order of :func:`reference_network`'s
    ``get_weights()``: each layer's kernel, then its zero bias."""
    weights, channels = [], 2
    for kernel in KERNELS:
        weights += [_glorot(rng, (kernel, channels, WIDTH)), np.zeros(WIDTH, "float32")]
        channels = WIDTH
    weights += [_glorot(rng, (WIDTH + 2, WIDTH)), np.zeros(WIDTH, "float32")]
    weights += [_glorot(rng, (WIDTH, 1)), np.zeros(1, "float32")]
    return weights


# --------------------------------------------------------------------------------------------
# The stacked network
# --------------------------------------------------------------------------------------------
def _conv_same_stride2(x, kernel, bias, size: int):
    """Conv1D (stride 2, ``same`` padding, ReLU) of each fit's windows with its own kernel.

    ``x`` is ``(fits, batch, length, channels)``, ``kernel`` ``(fits, size·channels, filters)``
    (a Conv1D kernel ``(size, channels, filters)`` flattened), ``bias`` ``(fits, filters)``.
    The windows' patches (every output position's ``size`` inputs, padded as TensorFlow pads
    ``same``: the odd extra zero at the end) times the kernel, one matrix product per fit.
    """
    import tensorflow as tf

    fits, batch, length, channels = x.shape
    out = -(-length // 2)
    pad = max((out - 1) * 2 + size - length, 0)
    x = tf.pad(x, [[0, 0], [0, 0], [pad // 2, pad - pad // 2], [0, 0]])
    patches = tf.concat([x[:, :, i : i + 2 * (out - 1) + 1 : 2] for i in range(size)], axis=-1)
    y = tf.matmul(tf.reshape(patches, (fits, batch * out, size * channels)), kernel)
    y = tf.reshape(y, (fits, batch, out, kernel.shape[-1])) + bias[:, None, None, :]
    return tf.nn.relu(y)


def _stacked_logits(variables, x, m):
    """Logits ``(fits, batch)`` of the stacked network for windows ``x`` ``(fits, batch, L, 2)``
    and month features ``m`` ``(fits, batch, 2)``."""
    import tensorflow as tf

    h = x
    for i, size in enumerate(KERNELS):
        h = _conv_same_stride2(h, variables[2 * i], variables[2 * i + 1], size)
    h = tf.concat([tf.reduce_mean(h, axis=2), m], axis=-1)  # global average pooling, months
    h = tf.nn.relu(tf.matmul(h, variables[6]) + variables[7][:, None, :])
    return (tf.matmul(h, variables[8]) + variables[9][:, None, :])[..., 0]


def _stack_weights(per_fit: list[list[np.ndarray]]) -> list[np.ndarray]:
    """Per-fit weights (:func:`_initial_weights` order) as the stacked network's variables:
    each stacked on a leading fit axis, the convolution kernels flattened to ``(k·in, out)``."""
    stacked = []
    for j in range(len(per_fit[0])):
        w = np.stack([weights[j] for weights in per_fit])
        if j < 2 * len(KERNELS) and j % 2 == 0:
            w = w.reshape(w.shape[0], -1, w.shape[-1])
        stacked.append(w)
    return stacked


def _unstack_weights(stacked: list[np.ndarray], k: int) -> list[np.ndarray]:
    """Fit ``k``'s weights from the stacked variables, shaped as :func:`reference_network`'s."""
    out = []
    for j, w in enumerate(stacked):
        w = np.asarray(w)[k]
        if j < 2 * len(KERNELS) and j % 2 == 0:
            w = w.reshape(KERNELS[j // 2], -1, w.shape[-1])
        out.append(w)
    return out


class _Stack:
    """Fits trained side by side: the stacked variables, their Adam, and one compiled step."""

    def __init__(self, initial: list[list[np.ndarray]]):
        import keras
        import tensorflow as tf

        self.variables = [keras.Variable(w, dtype="float32") for w in _stack_weights(initial)]
        self.optimizer = keras.optimizers.Adam(LEARNING_RATE)
        self.optimizer.build(self.variables)

        @tf.function(jit_compile=True)
        def step(x_all, m_all, y_all, index, weight):
            x = tf.gather(x_all, index, batch_dims=1)
            m = tf.gather(m_all, index, batch_dims=1)
            y = tf.gather(y_all, index, batch_dims=1)
            with tf.GradientTape() as tape:
                logits = _stacked_logits(self.variables, x, m)
                loss = tf.reduce_sum(
                    weight * tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits)
                )
            grads = tape.gradient(loss, self.variables)
            self.optimizer.apply(grads, self.variables)
            return loss

        self.step = step

    def weights(self) -> list[np.ndarray]:
        return [np.asarray(v) for v in self.variables]

    def probabilities(self, x: np.ndarray, m: np.ndarray) -> np.ndarray:
        """Predicted probabilities of "generated" ``(fits, n)`` (float32, as Keras's sigmoid)."""
        import tensorflow as tf

        return tf.sigmoid(_stacked_logits(self.variables, tf.constant(x), tf.constant(m))).numpy()


def _pad(arrays: list[np.ndarray]) -> np.ndarray:
    """Arrays of different lengths along axis 0 stacked on a new leading axis, zero-padded."""
    n = max(len(a) for a in arrays)
    out = np.zeros((len(arrays), n, *arrays[0].shape[1:]), dtype=arrays[0].dtype)
    for k, a in enumerate(arrays):
        out[k, : len(a)] = a
    return out


def _batches(fits: list[_Fit], epochs: int) -> tuple[np.ndarray, np.ndarray]:
    """Every step's batch of every fit: window indices ``(epochs·steps, fits, 32)`` into its
    training set, and each window's loss weight (1 / the batch's windows; 0 for padding)."""
    steps = fits[0].steps_per_epoch
    index = np.zeros((epochs * steps, len(fits), BATCH), dtype=np.int32)
    weight = np.zeros((epochs * steps, len(fits), BATCH), dtype=np.float32)
    for k, fit in enumerate(fits):
        n = len(fit.train[2])
        for epoch in range(epochs):
            order = fit.rng.permutation(n)
            for j in range(steps):
                batch = order[j * BATCH : (j + 1) * BATCH]
                index[epoch * steps + j, k, : batch.size] = batch
                weight[epoch * steps + j, k, : batch.size] = 1.0 / batch.size
    return index, weight


def _train_group(fits: list[_Fit], epochs: int) -> list[np.ndarray]:
    """Train fits with the same steps per epoch as one stack; each fit's test probabilities."""
    import tensorflow as tf

    stack = _Stack([_initial_weights(fit.rng) for fit in fits])
    x, m, y = (tf.constant(_pad([fit.train[i] for fit in fits])) for i in range(3))
    index, weight = _batches(fits, epochs)
    for i in range(len(index)):
        stack.step(x, m, y, index[i], weight[i])
    x, m, _ = (_pad([fit.test[i] for fit in fits]) for i in range(3))
    p = stack.probabilities(x, m)
    return [p[k, : len(fit.test[2])] for k, fit in enumerate(fits)]


def fit_many(tasks, epochs: int, test_fraction: float = 0.3) -> list[dict[str, float]]:
    """Train the classifier once for each task, all side by side, and score each on its
    held-out dates.

    Parameters
    ----------
    tasks
        ``(real_windows, gen_windows, months, seed)`` for each fit (the output of
        :func:`~seasonal_vae.evaluation.classifier.paired_windows` and the fit's seed).
    epochs
        Passes over each fit's training windows (``evaluation.classifier_epochs``).
    test_fraction
        Share of the dates held out for scoring.

    Returns
    -------
    list of dict
        Per task, in order: ``seed``, ``accuracy``, ``auroc``, ``n_train`` and ``n_test``
        (windows of each set); NaN scores for a task with fewer than 4 windows.
    """
    import keras

    results: list[dict | None] = [None] * len(tasks)
    fits: dict[int, _Fit] = {}
    for i, (real_windows, gen_windows, months, seed) in enumerate(tasks):
        if len(months) < 4:
            results[i] = {"seed": int(seed), "accuracy": np.nan, "auroc": np.nan, "n_train": 0, "n_test": 0}
        else:
            fits[i] = _prepare(real_windows, gen_windows, months, int(seed), test_fraction)
    groups: dict[int, list[int]] = {}
    for i, fit in fits.items():
        groups.setdefault(fit.steps_per_epoch, []).append(i)
    keras.backend.clear_session()
    for steps, members in groups.items():
        log.info("classifier: %d fit(s) of %d steps per epoch side by side", len(members), steps)
        for i, p in zip(members, _train_group([fits[i] for i in members], epochs)):
            fit = fits[i]
            y = fit.test[2]
            results[i] = {
                "seed": fit.seed,
                "accuracy": float(np.mean((p > 0.5) == (y > 0.5))),
                "auroc": auroc(p[y > 0.5], p[y < 0.5]),
                "n_train": fit.n_train,
                "n_test": fit.n_test,
            }
    return results
