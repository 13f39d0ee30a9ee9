"""The anomaly detectors: scores of 4-day blocks from the trained VAE and from a climatology.

A block is one latent step of the model: 96 hours from local midnight, like the training
windows. The detectors (:data:`DETECTORS`) score each block of windows of ``96·k`` hours:

* ``vae_elbo``: the negative ELBO per observed hour, ``(Σ_t nll_t + KL_step) / n_observed``
  (:func:`block_scores`), from :func:`seasonal_vae.model.posterior.elbo_terms` (encoder
  posterior, decoder at its mean, no optimisation);
* ``vae_season``: the same, *seasonally standardised*: minus the mean and divided by the std
  of the training years' blocks of the same calendar month (month of the block's centre,
  :func:`block_months`; the table of :func:`season_table`);
* ``vae_max``: the block's largest hourly score ``−log N(x_t | x̂_t, σ_n²)``;
* ``z_mean``, ``z_max``: the baseline, a z-score against the training years' month × hour
  climatology, ``|x − mean(month, hour)| / std(month, hour)`` (:func:`zscores`), averaged
  or maximised over the block.

:func:`score_windows` computes them all.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from seasonal_vae.core.calendar import HOURS_PER_LATENT_STEP as BLOCK
from seasonal_vae.data.climatology import lookup
from seasonal_vae.model.posterior import elbo_terms
from seasonal_vae.model.record import standardise
from seasonal_vae.model.vae import SeasonalVAE

DETECTORS = ("vae_elbo", "vae_season", "vae_max", "z_mean", "z_max")
DETECTOR_LABELS = {
    "vae_elbo": "VAE: −ELBO per hour",
    "vae_season": "VAE: −ELBO, seasonally standardised",
    "vae_max": "VAE: max hourly score",
    "z_mean": "z-score: block mean",
    "z_max": "z-score: block max",
}


def block_scores(nll: np.ndarray, kl: np.ndarray, min_observed: int) -> tuple[np.ndarray, np.ndarray]:
    """Negative ELBO per observed hour and the largest hourly score of each 96-hour block.

    Parameters
    ----------
    nll
        ``(..., 96k)`` per-hour scores (NaN where unobserved).
    kl
        ``(..., k)`` KL per latent step.
    min_observed
        Blocks with fewer observed hours score NaN.
    """
    blocks = nll.reshape(nll.shape[:-1] + (-1, BLOCK))
    n_obs = np.isfinite(blocks).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        elbo = (np.nansum(blocks, axis=-1) + kl) / n_obs
        peak = np.nanmax(np.where(np.isfinite(blocks), blocks, -np.inf), axis=-1)
    few = n_obs < min_observed
    return np.where(few, np.nan, elbo), np.where(few, np.nan, peak)


def zscores(adjusted, times, clim_mean: np.ndarray, clim_std: np.ndarray) -> np.ndarray:
    """``|x − clim mean| / clim std`` per hour (month × hour climatology)."""
    return np.abs(adjusted - lookup(clim_mean, times)) / lookup(clim_std, times)


def block_reduce(values: np.ndarray, how: str) -> np.ndarray:
    """Mean or max over each 96-hour block (NaN ignored; all-NaN blocks give NaN)."""
    blocks = values.reshape(values.shape[:-1] + (-1, BLOCK))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN blocks
        return np.nanmean(blocks, axis=-1) if how == "mean" else np.nanmax(blocks, axis=-1)


def block_months(block_start) -> np.ndarray:
    """Calendar month of the centre of each 96-hour block."""
    centre = pd.DatetimeIndex(np.asarray(block_start, dtype="datetime64[ns]").ravel()) + pd.Timedelta(
        hours=BLOCK // 2
    )
    return centre.month.to_numpy().reshape(np.shape(block_start))


def season_table(scores: np.ndarray, months: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of block scores per calendar month (``(12,)`` each) over ``keep``."""
    mean, std = np.full(12, np.nan), np.full(12, np.nan)
    for m in range(1, 13):
        s = scores[keep & (months == m) & np.isfinite(scores)]
        if s.size > 1:
            mean[m - 1], std[m - 1] = s.mean(), s.std(ddof=1)
    return mean, std


def score_windows(
    model: SeasonalVAE,
    adjusted: np.ndarray,
    starts,
    clim_mean,
    clim_std,
    times: np.ndarray,
    season: tuple[np.ndarray, np.ndarray],
    min_observed: int,
) -> dict[str, np.ndarray]:
    """Every detector's score of every block of windows ``(N, 96k)`` (adjusted °F).

    ``season`` is the ``(mean, std)`` per calendar month of :func:`season_table`;
    ``min_observed`` as for :func:`block_scores`.
    """
    mask = np.isfinite(adjusted)
    nll, kl, _ = elbo_terms(model, standardise(model, np.where(mask, adjusted, 0.0)), mask, starts)
    neg_elbo, peak = block_scores(nll, kl, min_observed)
    z = zscores(adjusted, times, clim_mean, clim_std)
    months = block_months(times[:, ::BLOCK])
    standardised = (neg_elbo - season[0][months - 1]) / season[1][months - 1]
    return {
        "vae_elbo": neg_elbo,
        "vae_season": standardised,
        "vae_max": peak,
        "z_mean": block_reduce(z, "mean"),
        "z_max": block_reduce(z, "max"),
    }
