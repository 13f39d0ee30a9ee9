"""A two-sample classifier: can a small 1-D CNN tell real from generated 7-day windows?

Both sets are cut into the same non-overlapping windows of ``window_days`` days (from local
midnight on 1 January of each year; windows with a missing hour in either set are dropped),
so the real and the generated window of a date always go to the same side of the train/test
split. The network sees the window's hourly values (standardised with one mean and std taken
from the real training windows, so that a bias in level stays visible) in one channel, their
hour-to-hour changes (scaled by the real training windows' std of changes) in a second, and
the window's calendar month as ``sin``/``cos`` of 2π·(month − 1)/12, so it can judge a level or a daily
cycle *for that time of year*.

The network, its initialisation and its training (Adam, binary cross-entropy, ``epochs``
passes in batches of 32; every fit of an evaluation trained side by side as one stacked
network) are in :mod:`seasonal_vae.evaluation.classifier_training`. Each seed draws a different
70/30 split of the dates, a different initialisation and different batches
(``numpy.random.default_rng(seed)``).

Scores on the held-out 30 %: accuracy (threshold 0.5 on the predicted probability) and AUROC
(the Mann–Whitney U statistic of the predicted probabilities, ``scipy.stats.mannwhitneyu``;
:func:`~seasonal_vae.evaluation.classifier_training.auroc`). A classifier that cannot tell
the sets apart scores 0.5 on both. The metrics are the mean over
seeds of ``|accuracy − 0.5|`` and ``|AUROC − 0.5|`` (0 is ideal, as for every other metric);
the mean raw accuracy and AUROC and their 95 % t-intervals over seeds are reported beside them
(their descriptions: :data:`seasonal_vae.evaluation.metric_info.CLASSIFIER_METRICS`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats as sps

from seasonal_vae.evaluation.classifier_training import fit_many


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
    years = np.unique(index.year)
    first = (years - 1970).astype("datetime64[Y]").astype("datetime64[ns]")
    t0 = first[:, None] + np.arange(366 // window_days + 1) * np.timedelta64(window_days, "D")
    t1 = t0 + np.timedelta64(length - 1, "h")
    in_year = t1.astype("datetime64[Y]").astype(np.int64) + 1970 == years[:, None]
    p0 = index.get_indexer(pd.DatetimeIndex(t0.ravel())).reshape(t0.shape)
    p1 = index.get_indexer(pd.DatetimeIndex(t1.ravel())).reshape(t1.shape)
    whole = in_year & (p0 >= 0) & (p1 >= 0) & (p1 - p0 == length - 1)
    starts = p0[whole].astype(int)  # year by year, in order of date
    if starts.size == 0:
        return np.zeros((0, length)), np.zeros((0, length)), np.zeros(0, int)
    take = starts[:, None] + np.arange(length)[None, :]
    xr_, xg = r[take], g[take]
    ok = np.isfinite(xr_).all(axis=1) & np.isfinite(xg).all(axis=1)
    months = index[starts + length // 2].month.to_numpy()
    return xr_[ok], xg[ok], months[ok]


def fit_and_score(
    real_windows: np.ndarray,
    gen_windows: np.ndarray,
    months: np.ndarray,
    seed: int,
    epochs: int,
    test_fraction: float = 0.3,
) -> dict[str, float]:
    """Train the classifier once (one seed) and score it on held-out dates
    (:func:`~seasonal_vae.evaluation.classifier_training.fit_many` with one task).

    Returns
    -------
    dict
        ``seed``, ``accuracy``, ``auroc``, ``n_train`` and ``n_test`` (windows of each set).
    """
    return fit_many([(real_windows, gen_windows, months, seed)], epochs, test_fraction)[0]


def classifier_scores_many(pairs, epochs: int, window_days: int) -> list[pd.DataFrame]:
    """:func:`classifier_scores` of several pairs of sets, every fit of every pair side by side.

    ``pairs`` holds ``(real, generated, seeds)``; the result, one table per pair, in order.
    """
    tasks, owner = [], []
    for p, (real, generated, seeds) in enumerate(pairs):
        rw, gw, months = paired_windows(real, generated, window_days)
        tasks += [(rw, gw, months, int(s)) for s in seeds]
        owner += [p] * len(seeds)
    rows = fit_many(tasks, epochs)
    return [pd.DataFrame([r for r, o in zip(rows, owner) if o == p]) for p in range(len(pairs))]


def classifier_scores(
    real: xr.DataArray, generated: xr.DataArray, seeds, epochs: int, window_days: int
) -> pd.DataFrame:
    """Scores of the two-sample classifier for each seed (one row per seed).

    ``epochs`` and ``window_days`` are ``evaluation.classifier_epochs`` and
    ``evaluation.window_days``.
    """
    return classifier_scores_many([(real, generated, list(seeds))], epochs, window_days)[0]


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
