r"""Condition the trained VAE on partially observed series: the machinery of the applications.

Gap filling, forecasting and anomaly scoring all ask the same question of the model: what
latent path explains the values we have? Here a series is a batch of windows of ``96·k``
hours that begin at local midnight (the grid the model was trained on), in the model's
standard units ``x = (adjusted °F − data_mean) / data_std``
(:func:`~seasonal_vae.model.record.standardise`, :func:`~seasonal_vae.model.record.to_degf`),
with an observation mask.

:func:`fit_posterior` fits, for each window, a diagonal Gaussian ``q(z) = N(μ, diag σ²)``
over the ``(k, L)`` latents by maximising the ELBO of the *observed* values only,

.. math::

   \mathrm{ELBO}_{obs} = \mathbb E_q\Big[\sum_{t\ \mathrm{observed}}
       \log\mathcal N(x_t \mid \mathrm{dec}(z)_t, \sigma_n^2)\Big]
       - \mathrm{KL}\big(q(z)\,\|\,p(z\mid\theta)\big),

with the decoder, the learned noise ``σ_n`` and the seasonal prior frozen. It starts from the
encoder applied to the series with its gaps filled by linear interpolation (and from the
prior for latent steps that contain no observed hour), and runs Adam with the
reparameterisation trick (fresh ``ε`` each step, from seeded stateless TensorFlow random
numbers) and a cosine-decaying learning rate, for all windows at once. The windows are
independent: each one's loss depends only on its own parameters.

Latent steps without any observed hour are held to the prior by the KL term, except where
the decoder's receptive field (about one latent step either side) ties them to observed
hours: that is the forecasting case. :func:`sample_posterior` draws ``z ~ q``, decodes, and
adds the learned observation noise (on by default: the ensemble then describes hourly values,
as CRPS needs). :func:`condition` does all of it and keeps the observed values. Both hand out
the ensemble a few windows at a time, so that an application scores it window by window
without holding all of it (an ensemble of gap fills is 15 million values).

:func:`elbo_terms` scores windows with the encoder alone (no optimisation): the per-hour
negative log-likelihood at the posterior mean and the per-step KL, for anomaly detection.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from seasonal_vae.core.calendar import HOURS_PER_LATENT_STEP
from seasonal_vae.model import ar_noise, latent_chain
from seasonal_vae.model.record import interpolate_gaps, standardise, to_degf, window_features
from seasonal_vae.model.vae import SeasonalVAE

LOG_2PI = math.log(2.0 * math.pi)


def _n_steps(length: int) -> int:
    if length % HOURS_PER_LATENT_STEP or length == 0:
        raise ValueError(f"window length {length} h is not a positive multiple of {HOURS_PER_LATENT_STEP} h")
    return length // HOURS_PER_LATENT_STEP


# --- fitting q(z) to the observed values -----------------------------------------------------


@dataclass
class Posterior:
    """A fitted diagonal Gaussian q(z) per window, and how the fit went.

    Attributes
    ----------
    mean, log_var
        ``(N, k, L)``.
    prior_mean, prior_log_var
        The seasonal prior at the same latent steps, ``(N, k, L)``.
    loss
        Mean over windows of the negative observed-data ELBO per observed hour, after each
        optimisation step (``(n_steps,)``; a single Monte Carlo draw per step, so noisy).
    x, mask, log_scale
        The windows (standard units), where they were observed, and for a model with the AR
        residual its ``log s_t``, ``(N, 96k)``: what the extended model's draws continue from.
    prior_shape
        For a model with Johnson SU latent marginals, their parameters at the same steps,
        ``(N, k, L, 4)``; None otherwise.
    noise_shape
        For a model with Johnson SU innovations of the AR residual, their parameters per hour,
        ``(N, 96k, 4)``; None otherwise.
    """

    mean: np.ndarray
    log_var: np.ndarray
    prior_mean: np.ndarray
    prior_log_var: np.ndarray
    loss: np.ndarray
    x: np.ndarray | None = None
    mask: np.ndarray | None = None
    log_scale: np.ndarray | None = None
    prior_shape: np.ndarray | None = None
    noise_shape: np.ndarray | None = None


def encode(model: SeasonalVAE, x: np.ndarray, batch: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Encoder posterior moments ``(mean, log_var)``, each ``(N, k, L)``, of complete windows."""
    means, log_vars = [], []
    for first in range(0, len(x), batch):
        mean, log_var, _ = model.encoder(
            np.asarray(x[first : first + batch], dtype="float32"), training=False
        )
        means.append(np.asarray(mean))
        log_vars.append(np.asarray(log_var))
    return np.concatenate(means), np.concatenate(log_vars)


def fit_posterior(
    model: SeasonalVAE, x, mask, starts, n_steps: int, learning_rate: float, seed: int = 0
) -> Posterior:
    """Fit q(z) per window to the observed values (see the module docstring).

    Parameters
    ----------
    model
        A trained :class:`~seasonal_vae.model.vae.SeasonalVAE` (left unchanged).
    x
        ``(N, 96k)`` windows in standard units; values where ``mask`` is False are ignored
        (they may be NaN).
    mask
        ``(N, 96k)`` boolean, True where observed.
    starts
        ``(N,)`` first timestamp of each window (local midnight), for the seasonal prior.
    n_steps
        Adam steps (0: keep the initialisation).
    learning_rate
        Initial Adam learning rate; it decays to a tenth along a cosine.
    seed
        Seed of the Monte Carlo draws (same seed and inputs → same result).
    """
    mask = np.asarray(mask, dtype=bool)
    x = np.where(mask, np.asarray(x, dtype="float64"), 0.0)
    n, length = x.shape
    k = _n_steps(length)
    features = window_features(model, starts, k)
    prior_mean, prior_log_var = (np.asarray(a, dtype="float32") for a in model.prior(features))
    shape = model.latent_shape(features.astype("float32"))
    shape = None if shape is None else np.asarray(shape, dtype="float32")
    # the AR residual's scale per hour (an empty placeholder for white noise)
    ar = model.noise_kind == "ar"
    log_s = np.asarray(model.noise_log_scale(features.astype("float32"), length)) if ar else np.zeros(0)
    log_s = log_s.astype("float32")
    noise_shape = model.noise_shape(features.astype("float32"), length) if ar else None
    noise_shape = None if noise_shape is None else np.asarray(noise_shape, dtype="float32")
    enc_mean, enc_log_var = encode(model, interpolate_gaps(x, mask))
    seen = mask.reshape(n, k, HOURS_PER_LATENT_STEP).any(axis=-1)[..., None]
    mean0 = np.where(seen, enc_mean, prior_mean).astype("float32")
    log_var0 = np.where(seen, enc_log_var, prior_log_var).astype("float32")
    kept = dict(
        x=x, mask=mask, log_scale=log_s if log_s.size else None, prior_shape=shape, noise_shape=noise_shape
    )
    if n_steps <= 0:
        return Posterior(mean0, log_var0, prior_mean, prior_log_var, np.empty(0), **kept)
    mean, log_var, losses = _adam(
        model,
        tf.constant(x, tf.float32),
        tf.constant(mask, tf.float32),
        tf.constant(mean0),
        tf.constant(log_var0),
        tf.constant(prior_mean),
        tf.constant(prior_log_var),
        tf.constant(int(n_steps)),
        tf.constant(float(learning_rate)),
        tf.constant(int(seed), tf.int64),
        tf.constant(log_s),
        tf.constant(np.zeros(0, "float32") if shape is None else shape),
        tf.constant(np.zeros(0, "float32") if noise_shape is None else noise_shape),
    )
    return Posterior(mean.numpy(), log_var.numpy(), prior_mean, prior_log_var, losses.numpy(), **kept)


def _negative_elbo(model, x, mask, mean, log_var, prior_mean, prior_log_var, eps, log_s, shape, noise_shape):
    """Per-window negative observed-data ELBO (one Monte Carlo draw), ``(N,)``.

    The extended model's parts enter as in training: the AR residual's likelihood of the
    observed hours (:func:`~seasonal_vae.model.ar_noise.ar_nll_observed`), and the latent
    memory's prior of each step given the draw of the step before, so that the latent steps after the
    last observed hour follow the last observed days instead of the climatology."""
    z = mean + tf.exp(0.5 * log_var) * eps
    x_hat = model.decoder(z, training=False)
    if model.noise_kind == "ar":
        noise_shape = noise_shape if model.noise_innovations_in_loss else None  # or a placeholder
        nll_sum = ar_noise.ar_nll_observed(x - x_hat, log_s, model.noise_pacf, mask, noise_shape)
    else:
        noise_log_var = tf.cast(model.noise_log_var, tf.float32)
        nll = 0.5 * (LOG_2PI + noise_log_var + tf.square(x - x_hat) / tf.exp(noise_log_var))
        nll_sum = tf.reduce_sum(nll * mask, axis=1)
    shape = shape if model.latent_marginals_in_loss else None  # else an empty placeholder
    return nll_sum + model.latent_kl(mean, log_var, z, prior_mean, prior_log_var, shape)


@tf.function(reduce_retracing=True)
def _adam(
    model, x, mask, mean0, log_var0, prior_mean, prior_log_var, n_steps, lr0, seed, log_s, shape, noise_shape
):
    """Adam on (mean, log_var) with a cosine-decaying rate; returns them and the loss curve."""
    beta1, beta2, epsilon = 0.9, 0.999, 1e-8
    mean, log_var = tf.identity(mean0), tf.identity(log_var0)
    m_mean, m_log_var = tf.zeros_like(mean0), tf.zeros_like(log_var0)
    v_mean, v_log_var = tf.zeros_like(mean0), tf.zeros_like(log_var0)
    observed = tf.maximum(tf.reduce_sum(mask, axis=1), 1.0)
    losses = tf.TensorArray(tf.float32, size=n_steps)
    total = tf.cast(n_steps, tf.float32)
    for step in tf.range(n_steps):
        t = tf.cast(step, tf.float32)
        eps = tf.random.stateless_normal(tf.shape(mean0), seed=tf.stack([seed, tf.cast(step, tf.int64)]))
        with tf.GradientTape() as tape:
            tape.watch([mean, log_var])
            per_window = _negative_elbo(
                model, x, mask, mean, log_var, prior_mean, prior_log_var, eps, log_s, shape, noise_shape
            )
            loss = tf.reduce_sum(per_window)
        g_mean, g_log_var = tape.gradient(loss, [mean, log_var])
        lr = lr0 * (0.1 + 0.45 * (1.0 + tf.cos(math.pi * t / total)))
        correction1 = 1.0 - tf.pow(beta1, t + 1.0)
        correction2 = 1.0 - tf.pow(beta2, t + 1.0)
        m_mean = beta1 * m_mean + (1.0 - beta1) * g_mean
        v_mean = beta2 * v_mean + (1.0 - beta2) * tf.square(g_mean)
        m_log_var = beta1 * m_log_var + (1.0 - beta1) * g_log_var
        v_log_var = beta2 * v_log_var + (1.0 - beta2) * tf.square(g_log_var)
        mean = mean - lr * (m_mean / correction1) / (tf.sqrt(v_mean / correction2) + epsilon)
        log_var = log_var - lr * (m_log_var / correction1) / (tf.sqrt(v_log_var / correction2) + epsilon)
        losses = losses.write(step, tf.reduce_mean(per_window / observed))
    return mean, log_var, losses.stack()


#: Values (windows × members × hours) of one chunk of an ensemble, 8 MB of float64: memory the
#: allocator reuses, where a whole ensemble of gap fills (15 million values) would touch fresh
#: memory for every temporary, which is slow.
CHUNK_VALUES = 1_000_000


def sample_posterior(
    model: SeasonalVAE,
    posterior: Posterior,
    n_members: int,
    noise: bool = True,
    seed: int = 0,
    batch: int = 512,
    chunk_values: int | None = None,
    spread: float = 1.0,
) -> Iterator[tuple[slice, np.ndarray]]:
    """Draw ``z ~ q``, decode, optionally add the learned noise, a few windows at a time:
    ``(rows, draws)`` for consecutive slices ``rows`` of the windows, ``draws`` of shape
    ``(len(rows), M, 96k)`` in standard units (at most ``chunk_values`` values a chunk,
    default :data:`CHUNK_VALUES`, and at least one window). ``spread`` multiplies q's standard
    deviation (1: q as fitted; :mod:`seasonal_vae.applications.spread` chooses it).

    With the extended model's parts: the latent steps after the last observed one are drawn
    ancestrally from the latent memory's chain, starting from the draw of the last observed step (the
    mean-field q would forget how uncertain that step is), and the noise is the AR residual
    continued from the observed hours' residuals (:func:`~seasonal_vae.model.ar_noise.continue_residual`).
    The latents of every window are drawn and decoded (``batch`` sequences at a time) first,
    the noise chunk by chunk in the order of the windows: the same numbers whatever the chunks.
    """
    if n_members < 1:
        raise ValueError("n_members must be positive")
    rng = np.random.default_rng(seed)
    n, k, dim = posterior.mean.shape
    eps = rng.standard_normal((n, n_members, k, dim)).astype("float32")
    z = posterior.mean[:, None] + spread * np.exp(0.5 * posterior.log_var)[:, None] * eps
    if model.latent_memory != "none" and posterior.mask is not None:
        seen = posterior.mask.reshape(n, k, HOURS_PER_LATENT_STEP).any(axis=-1)
        prior = posterior.prior_mean, posterior.prior_log_var, posterior.prior_shape
        z = latent_chain.ancestral_tail(model, z, seen, *prior, rng)
    z = z.reshape(n * n_members, k, dim)
    decoded = [np.asarray(_decode(model, tf.constant(z[i : i + batch]))) for i in range(0, len(z), batch)]
    decoded = np.concatenate(decoded).reshape(n, n_members, -1)  # float32: a quarter of the memory
    ar = noise and model.noise_kind == "ar" and posterior.mask is not None
    per_chunk = max(1, (chunk_values or CHUNK_VALUES) // decoded[0].size)

    def chunks() -> Iterator[tuple[slice, np.ndarray]]:
        for first in range(0, n, per_chunk):
            rows = slice(first, min(n, first + per_chunk))
            out = decoded[rows].astype("float64")
            if ar:
                mask = np.repeat(posterior.mask[rows], n_members, axis=0)
                residual = np.repeat(posterior.x[rows], n_members, axis=0) - out.reshape(len(mask), -1)
                log_s = np.repeat(posterior.log_scale[rows], n_members, axis=0).astype("float64")
                shape = None
                if posterior.noise_shape is not None:
                    shape = np.repeat(posterior.noise_shape[rows], n_members, axis=0)
                pacf = np.asarray(model.noise_pacf)
                e = ar_noise.continue_residual(pacf, log_s, residual, mask, rng, shape)
                out += np.where(mask, 0.0, e).reshape(out.shape)
            elif noise:
                out += model.noise_sigma * rng.standard_normal(out.shape)
            yield rows, out

    return chunks()


@tf.function(reduce_retracing=True)
def _decode(model, z):
    """The decoder in a traced graph: the Keras call's numbers for the same batch, without its
    per-call cost."""
    return model.decoder(z, training=False)


def condition(
    model: SeasonalVAE,
    adjusted,
    mask,
    starts,
    *,
    n_members: int,
    n_steps: int,
    learning_rate: float,
    noise: bool = True,
    seed: int = 0,
    spread: float = 1.0,
) -> tuple[Iterator[tuple[slice, np.ndarray]], Posterior]:
    """An ensemble of plausible complete series given the observed part of each window.

    Parameters
    ----------
    adjusted
        ``(N, 96k)`` adjusted (detrended) temperature, °F; ignored where ``mask`` is False.
    mask
        ``(N, 96k)`` True where observed.
    starts
        ``(N,)`` first timestamp of each window (local midnight).
    n_members
        Ensemble size.
    n_steps, learning_rate
        Passed to :func:`fit_posterior`.
    noise
        Add the learned observation noise to the unobserved values.
    seed
        Seeds both the fit and the draws.
    spread
        Passed to :func:`sample_posterior`.

    Returns
    -------
    members : iterator
        ``(rows, members)`` for consecutive slices ``rows`` of the windows, ``members``
        ``(len(rows), M, 96k)`` adjusted °F: the observed values where ``mask``, ensemble
        draws elsewhere (:func:`sample_posterior`'s chunks; ``numpy.concatenate`` of the
        ``members`` is the whole ensemble).
    posterior : Posterior
        Fitted for every window before the first chunk.
    """
    mask = np.asarray(mask, dtype=bool)
    adjusted = np.asarray(adjusted, dtype="float64")
    posterior = fit_posterior(model, standardise(model, adjusted), mask, starts, n_steps, learning_rate, seed)
    draws = sample_posterior(
        model, posterior, n_members, noise, seed=np.random.SeedSequence([seed, 1]), spread=spread
    )
    members = (
        (rows, np.where(mask[rows, None, :], adjusted[rows, None, :], to_degf(model, chunk)))
        for rows, chunk in draws
    )
    return members, posterior


# --- encoder-only scores ---------------------------------------------------------------------


def elbo_terms(
    model: SeasonalVAE, x, mask, starts, batch: int = 64
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-hour negative log-likelihood and per-step KL of windows under the encoder posterior.

    The encoder sees the windows with unobserved values filled by linear interpolation; the
    reconstruction is the decoder at the posterior *mean* (no sampling, so deterministic).

    Parameters
    ----------
    x
        ``(N, 96k)`` standard units.
    mask
        ``(N, 96k)`` True where observed; unobserved hours get NaN scores.
    starts
        ``(N,)`` first timestamp of each window.

    Returns
    -------
    nll : numpy.ndarray
        ``(N, 96k)`` −log N(x_t | x̂_t, σ_n²) in nats (standard units).
    kl : numpy.ndarray
        ``(N, k)`` KL(q ‖ p(z | θ)) per latent step, summed over the latent features.
    reconstruction : numpy.ndarray
        ``(N, 96k)`` the decoder mean x̂, standard units.
    """
    mask = np.asarray(mask, dtype=bool)
    filled = interpolate_gaps(np.where(mask, x, 0.0), mask)
    n, length = filled.shape
    k = _n_steps(length)
    mean, log_var = encode(model, filled, batch=batch)
    prior_mean, prior_log_var = (
        np.asarray(a, dtype="float64") for a in model.prior(window_features(model, starts, k))
    )
    recon = np.concatenate(
        [np.asarray(model.decoder(mean[i : i + batch], training=False)) for i in range(0, n, batch)]
    ).astype("float64")
    noise_log_var = 2.0 * math.log(model.noise_sigma)
    nll = 0.5 * (LOG_2PI + noise_log_var + (filled - recon) ** 2 / math.exp(noise_log_var))
    nll[~mask] = np.nan
    mean, log_var = mean.astype("float64"), log_var.astype("float64")
    kl = 0.5 * (
        prior_log_var - log_var + (np.exp(log_var) + (mean - prior_mean) ** 2) / np.exp(prior_log_var) - 1.0
    )
    return nll, kl.sum(axis=-1), recon
