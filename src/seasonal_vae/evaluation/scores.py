r"""Scores of the applications: CRPS of an ensemble, MAE/RMSE, ROC curves and their area.

CRPS (continuous ranked probability score) of an ensemble :math:`x_1..x_M` for an
observation :math:`y`, in the energy form

.. math::

   \mathrm{CRPS} = \frac1M\sum_i |x_i - y| - \frac{1}{2M^2}\sum_{i,j} |x_i - x_j| ,

which is the CRPS of the ensemble's empirical distribution. The double sum is computed from
the sorted members, :math:`\sum_{i,j}|x_i-x_j| = 2\sum_i (2i - M - 1)\,x_{(i)}` (``i`` from
1), in :math:`O(M\log M)`. ``fair=True`` divides the spread term by :math:`M(M-1)` instead of
:math:`M^2` (Ferro 2014): an unbiased estimate of the CRPS of the distribution the members
were drawn from, whatever ``M``. For one member (a deterministic forecast) the CRPS is the
absolute error. Units are those of the data (°F here); lower is better.

ROC AUC is the Mann–Whitney U statistic of the positive scores against the negative ones,
divided by the number of pairs: the probability that a random faulty window scores higher
than a random clean one (ties count one half).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps


def crps_ensemble(observations, ensemble, member_axis: int = -1, fair: bool = False) -> np.ndarray:
    """CRPS of an ensemble forecast for each observation.

    Parameters
    ----------
    observations
        Array of shape ``S`` (any shape).
    ensemble
        Members along ``member_axis``; the other axes broadcast against ``observations``.
    member_axis
        The axis of ``ensemble`` that holds the members.
    fair
        Use the unbiased ("fair") spread term, ``1 / (M (M − 1))`` (needs ``M ≥ 2``).

    Returns
    -------
    numpy.ndarray
        The CRPS, of the broadcast shape; NaN where the observation or any member is NaN.
    """
    ens = np.moveaxis(np.asarray(ensemble, dtype="float64"), member_axis, -1)
    obs = np.asarray(observations, dtype="float64")[..., None]
    m = ens.shape[-1]
    if m < 1:
        raise ValueError("the ensemble has no members")
    if fair and m < 2:
        raise ValueError("the fair CRPS needs at least two members")
    skill = np.mean(np.abs(ens - obs), axis=-1)
    ranks = 2.0 * np.arange(1, m + 1) - m - 1
    pair_sum = 2.0 * np.sum(np.sort(ens, axis=-1) * ranks, axis=-1)  # Σ_ij |x_i − x_j|
    spread = pair_sum / (2.0 * (m * (m - 1) if fair else m * m))
    return skill - spread


def crps_gaussian(observations, mean, std) -> np.ndarray:
    r"""Closed-form CRPS of N(mean, std²): :math:`\sigma[z(2\Phi(z)-1) + 2\varphi(z) - 1/\sqrt\pi]`."""
    obs, mean, std = (np.asarray(a, dtype="float64") for a in (observations, mean, std))
    z = (obs - mean) / std
    return std * (z * (2.0 * sps.norm.cdf(z) - 1.0) + 2.0 * sps.norm.pdf(z) - 1.0 / math.sqrt(math.pi))


def mae(errors, axis=None) -> np.ndarray:
    """Mean absolute error of ``errors`` (forecast − truth), NaN ignored."""
    return np.nanmean(np.abs(np.asarray(errors, dtype="float64")), axis=axis)


def rmse(errors, axis=None) -> np.ndarray:
    """Root-mean-square error of ``errors`` (forecast − truth), NaN ignored."""
    return np.sqrt(np.nanmean(np.square(np.asarray(errors, dtype="float64")), axis=axis))


def _two_samples(positive, negative) -> tuple[np.ndarray, np.ndarray]:
    pos = np.asarray(positive, dtype="float64").ravel()
    neg = np.asarray(negative, dtype="float64").ravel()
    pos, neg = pos[np.isfinite(pos)], neg[np.isfinite(neg)]
    if pos.size == 0 or neg.size == 0:
        raise ValueError("need at least one finite positive and one finite negative score")
    return pos, neg


def roc_auc(positive, negative) -> float:
    """Area under the ROC curve of scores of positives (faulty) vs negatives (clean).

    Computed as ``U / (n_pos · n_neg)`` with ``U`` the Mann–Whitney statistic of the
    positives (:func:`scipy.stats.mannwhitneyu`); 1 is perfect, 0.5 is chance. Non-finite
    scores are dropped.
    """
    pos, neg = _two_samples(positive, negative)
    u = sps.mannwhitneyu(pos, neg, alternative="two-sided").statistic
    return float(u / (pos.size * neg.size))


def roc_curve(positive, negative) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates for every threshold, from (0, 0) to (1, 1).

    A window is flagged when its score is at or above the threshold; tied scores move both
    rates at once (a diagonal step), so the trapezoidal area under the curve equals
    :func:`roc_auc`.
    """
    pos, neg = _two_samples(positive, negative)
    thresholds = np.unique(np.concatenate([pos, neg]))[::-1]
    tpr = np.searchsorted(np.sort(-pos), -thresholds, side="right") / pos.size
    fpr = np.searchsorted(np.sort(-neg), -thresholds, side="right") / neg.size
    return np.concatenate([[0.0], fpr]), np.concatenate([[0.0], tpr])
