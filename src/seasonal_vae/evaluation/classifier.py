"""A two-sample classifier: can a small 1-D CNN tell real from generated 7-day windows?

Both sets are cut into the same non-overlapping windows of ``window_days`` days (from local
midnight on 1 January of each year; windows with a missing hour in either set are dropped),
so the real and the generated window of a date always go to the same side of the train/test
split. The network sees the window's hourly values (standardised with one mean and std taken
from the real training windows, so that a bias in level stays visible) in one channel, their
hour-to-hour changes (scaled by the real training windows' std of changes) in a second, and
the window's calendar month as ``sin``/``cos`` of 2π·(month − 1)/12, so it can judge a level or a daily
cycle *for that time of year*.

Network (Keras): Conv1D(16, 7, stride 2) → Conv1D(16, 5, stride 2) → Conv1D(16, 5, stride 2)
(ReLU) → global average pooling, concatenated with the month features → Dense(16, ReLU) →
Dense(1, sigmoid); Adam, binary cross-entropy, ``epochs`` passes, batch 32. Each seed draws a
different 70/30 split of the dates and a different initialisation
(``keras.utils.set_random_seed``).

Scores on the held-out 30 %: accuracy (threshold 0.5) and AUROC (the Mann–Whitney U statistic
of the predicted probabilities, ``scipy.stats.mannwhitneyu``). A classifier that cannot tell
the sets apart scores 0.5 on both. The metrics are the mean over seeds of ``|accuracy − 0.5|``
and ``|AUROC − 0.5|`` (0 is ideal, as for every other metric); the mean raw accuracy and
AUROC and their 95 % t-intervals over seeds are reported beside them (their descriptions:
:data:`seasonal_vae.evaluation.metric_info.CLASSIFIER_METRICS`).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats as sps

log = logging.getLogger(__name__)


def paired_windows(
    real: xr.DataArray, generated: xr.DataArray, window_days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut two sets on the same hourly time axis into the same non-overlapping windows.

    Windows start at local midnight on 1 January of each year in the set, every
    ``window_days`` days, and never cross into the next year; windows with a NaN in either
    set are dropped.

    Returns
    -------
    tuple of numpy.ndarray
        Real windows ``(n, 24·window_days)``, generated windows (same shape), and the calendar
        month of each window's middle (``n``).
    """
    if not np.array_equal(real["time"].values, generated["time"].values):
        raise ValueError("real and generated must be on the same timestamps")
    index = real.indexes["time"]
    length = 24 * window_days
    r, g = np.asarray(real.values, dtype="float64"), np.asarray(generated.values, dtype="float64")
    pos = pd.Series(np.arange(len(index)), index=index)
    starts = []
    for year in np.unique(index.year):
        first = pd.Timestamp(year=int(year), month=1, day=1)
        for k in range(366 // window_days + 1):
            t0 = first + pd.Timedelta(days=k * window_days)
            t1 = t0 + pd.Timedelta(hours=length - 1)
            if t1.year != year:
                break
            if t0 in pos.index and t1 in pos.index and pos[t1] - pos[t0] == length - 1:
                starts.append(pos[t0])
    starts = np.asarray(starts, dtype=int)
    if starts.size == 0:
        return np.zeros((0, length)), np.zeros((0, length)), np.zeros(0, int)
    take = starts[:, None] + np.arange(length)[None, :]
    xr_, xg = r[take], g[take]
    ok = np.isfinite(xr_).all(axis=1) & np.isfinite(xg).all(axis=1)
    months = index[starts + length // 2].month.to_numpy()
    return xr_[ok], xg[ok], months[ok]


def _month_features(months: np.ndarray) -> np.ndarray:
    angle = 2.0 * np.pi * (np.asarray(months, dtype="float64") - 1.0) / 12.0
    return np.column_stack([np.sin(angle), np.cos(angle)]).astype("float32")


def _build(length: int):
    import keras
    from keras import layers

    x_in = keras.Input((length, 2), name="window")
    m_in = keras.Input((2,), name="month")
    h = x_in
    for kernel in (7, 5, 5):
        h = layers.Conv1D(16, kernel, strides=2, padding="same", activation="relu")(h)
    h = layers.GlobalAveragePooling1D()(h)
    h = layers.Concatenate()([h, m_in])
    h = layers.Dense(16, activation="relu")(h)
    out = layers.Dense(1, activation="sigmoid")(h)
    model = keras.Model([x_in, m_in], out)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy")
    return model


def auroc(p_generated: np.ndarray, p_real: np.ndarray) -> float:
    """Area under the ROC curve for telling generated (positive) from real: U / (n₁·n₂)."""
    if len(p_generated) == 0 or len(p_real) == 0:
        return float("nan")
    u = sps.mannwhitneyu(p_generated, p_real, alternative="two-sided").statistic
    return float(u / (len(p_generated) * len(p_real)))


def fit_and_score(
    real_windows: np.ndarray,
    gen_windows: np.ndarray,
    months: np.ndarray,
    seed: int,
    epochs: int,
    test_fraction: float = 0.3,
) -> dict[str, float]:
    """Train the classifier once (one seed) and score it on held-out dates.

    Returns
    -------
    dict
        ``seed``, ``accuracy``, ``auroc``, ``n_train`` and ``n_test`` (windows of each set).
    """
    import keras

    n = len(months)
    if n < 4:
        return {"seed": seed, "accuracy": np.nan, "auroc": np.nan, "n_train": 0, "n_test": 0}
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

    keras.backend.clear_session()
    keras.utils.set_random_seed(int(seed))
    model = _build(real_windows.shape[1])
    x, m, y = inputs(train)
    model.fit({"window": x, "month": m}, y, epochs=epochs, batch_size=32, shuffle=True, verbose=0)
    x, m, y = inputs(test)
    p = np.asarray(model({"window": x, "month": m}, training=False)).ravel()
    accuracy = float(np.mean((p > 0.5) == (y > 0.5)))
    return {
        "seed": seed,
        "accuracy": accuracy,
        "auroc": auroc(p[y > 0.5], p[y < 0.5]),
        "n_train": int(len(train)),
        "n_test": int(n_test),
    }


def classifier_scores(
    real: xr.DataArray, generated: xr.DataArray, seeds, epochs: int, window_days: int
) -> pd.DataFrame:
    """Scores of the two-sample classifier for each seed (one row per seed).

    ``epochs`` and ``window_days`` are ``evaluation.classifier_epochs`` and
    ``evaluation.window_days``.
    """
    rw, gw, months = paired_windows(real, generated, window_days)
    rows = [fit_and_score(rw, gw, months, int(s), epochs) for s in seeds]
    return pd.DataFrame(rows)


def t_interval(values, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and ``level`` Student-t interval of the mean; the interval is NaN for one value."""
    x = np.asarray(values, dtype="float64")
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(x.mean())
    if x.size < 2:
        return mean, float("nan"), float("nan")
    if np.ptp(x) == 0:
        return mean, mean, mean
    low, high = sps.t.interval(level, x.size - 1, loc=mean, scale=sps.sem(x))
    return mean, float(low), float(high)


def summarise_scores(scores: pd.DataFrame) -> dict[str, dict[str, float]]:
    """The classifier metrics from per-seed scores.

    Returns
    -------
    dict
        For ``classifier_accuracy`` and ``classifier_auroc``: ``value`` (mean over seeds of
        ``|score − 0.5|``), ``raw`` (mean score), ``low``/``high`` (95 % t-interval of the mean
        score over seeds) and ``n`` (seeds).
    """
    out = {}
    for key, column in (("classifier_accuracy", "accuracy"), ("classifier_auroc", "auroc")):
        x = scores[column].to_numpy(dtype="float64") if len(scores) else np.zeros(0)
        mean, low, high = t_interval(x)
        low, high = max(low, 0.0), min(high, 1.0)  # scores live in [0, 1]
        finite = x[np.isfinite(x)]
        out[key] = {
            "value": float(np.mean(np.abs(finite - 0.5))) if finite.size else float("nan"),
            "raw": mean,
            "low": low,
            "high": high,
            "n": int(finite.size),
        }
    return out
