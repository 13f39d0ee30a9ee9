"""The closed-form updates of training: parameters set to their optimum given the rest.

The noise variance σ² (the mean squared residual), the AR residual's scale and partial
autocorrelations (:func:`seasonal_vae.model.ar_noise.fit`), the seasonal prior's Fourier
coefficients (weighted least squares and Newton steps on the summed KL) and the latent
memory's chain (:func:`~seasonal_vae.model.latent_chain.fit_ar1`,
:func:`~seasonal_vae.model.latent_chain.fit_var1`), applied at the start of every epoch by
:class:`ClosedFormUpdates`: an EM-like M-step beside the gradient steps of the encoder and
decoder.
"""

from __future__ import annotations

import logging
import time

import keras
import numpy as np
import tensorflow as tf

from seasonal_vae.model import ar_noise, latent_chain, latent_marginals

log = logging.getLogger(__name__)


def optimal_noise_log_var(x, x_hat) -> float:
    """log σ² that maximises Σ log N(x | x̂, σ²): the log of the mean squared residual."""
    residual = np.asarray(x, dtype="float64") - np.asarray(x_hat, dtype="float64")
    return float(np.log(np.mean(np.square(residual))))


def optimal_ar_noise(model, x, x_hat, features, innovations: bool = False) -> None:
    """Set the AR residual's scale and partial autocorrelations to their closed-form estimates
    given the reconstruction (:func:`seasonal_vae.model.ar_noise.fit`); with ``innovations``,
    a model's Johnson SU innovations too, by maximum likelihood on the residual whitened with
    those estimates (:func:`seasonal_vae.model.ar_noise.fit_innovations`)."""
    residual = np.asarray(x, dtype="float64") - np.asarray(x_hat, dtype="float64")
    scale_features = np.asarray(ar_noise.scale_features(residual.shape[1], features))
    bias, weights, pacf = ar_noise.fit(residual, scale_features, model.noise_order)
    model.noise_log_var.assign(bias)
    model.noise_scale_weights.assign(weights.astype("float32"))
    model.noise_pacf_raw.assign(np.arctanh(pacf).astype("float32"))
    if innovations and model.noise_innovations == "johnson_su":
        began = time.perf_counter()
        table = ar_noise.fit_innovations(residual, scale_features, bias, weights, pacf)
        model.noise_shape_table.assign(table)
        model.noise_innovations_in_loss = True
        log.info(
            "Johnson SU innovations of the AR residual fitted to %d hours in %.1f s",
            residual.size,
            time.perf_counter() - began,
        )


def _log_var_objective(f, b, r) -> np.ndarray:
    """Σ [s + r e^{-s}] with s = f·b, per latent feature (the columns of ``b`` and ``r``): the
    part of the summed KL that depends on s(θ)."""
    s = np.clip(f @ b, -30, 30)
    return np.sum(s + r * np.exp(-s), axis=0)


def _weighted_normal(ff, w) -> np.ndarray:
    """``Σ_n w[n, l] f[n] f[n]ᵀ`` for every column ``l`` of ``w``, from the outer products
    ``ff[n] = vec(f[n] f[n]ᵀ)``: ``(L, p, p)``, one matrix product."""
    p = int(round(np.sqrt(ff.shape[1])))
    return (ff.T @ w).T.reshape(-1, p, p)


def optimal_prior_weights(features, z_mean, z_log_var, kernel, bias=None, iterations=30, tol=1e-7):
    r"""Fourier coefficients of the prior that minimise Σ KL(q(z | x) ‖ p(z | θ)).

    For each latent feature the prior is :math:`m = f·a` (+ bias) and :math:`s = f·b`
    (+ bias), with ``f`` the Fourier features of θ. Summed over latent steps, the KL is, up to
    constants, :math:`\tfrac12\sum [s + (v + (μ − m)^2) e^{-s}]` with the posterior means μ
    and variances v. For fixed ``b`` the best ``a`` is weighted least squares (weights
    :math:`e^{-s}`); for fixed ``a`` the objective is convex in ``b`` (Newton steps with
    backtracking). The two are alternated from the current weights, for all latent features at
    once (batched solves), until no coefficient moves by more than ``tol`` (the weights are
    stored in float32) or after ``iterations`` rounds. Warm-started from the previous epoch's
    optimum, as in training, a few rounds suffice.

    Parameters
    ----------
    features
        ``(N, k, 2d)`` Fourier features of every latent step.
    z_mean, z_log_var
        ``(N, k, L)`` posterior moments of the same steps.
    kernel, bias
        The prior Dense layer's current weights, ``(2d, 2L)`` and ``(2L,)`` or None (no bias).

    Returns
    -------
    (kernel, bias)
        The optimal weights, same shapes (``bias`` None if there is none).
    """
    f = np.asarray(features, dtype="float64").reshape(-1, np.shape(features)[-1])
    if bias is not None:
        f = np.hstack([f, np.ones((len(f), 1))])
    mu = np.asarray(z_mean, dtype="float64").reshape(len(f), -1)
    var = np.exp(np.asarray(z_log_var, dtype="float64").reshape(len(f), -1))
    latent = mu.shape[1]
    weights = np.asarray(kernel, dtype="float64")
    if bias is not None:
        weights = np.vstack([weights, np.asarray(bias, dtype="float64")[None, :]])
    a, b = weights[:, :latent].copy(), weights[:, latent:].copy()  # (p, L) each
    ridge = 1e-9 * np.eye(f.shape[1])
    ff = (f[:, :, None] * f[:, None, :]).reshape(len(f), -1)
    for _ in range(iterations):
        a_before, b_before = a, b
        w = np.exp(-np.clip(f @ b, -30, 30))
        rhs = f.T @ (w * mu)  # (p, L)
        a = np.linalg.solve(_weighted_normal(ff, w) + ridge, rhs.T[..., None])[..., 0].T
        r = var + np.square(mu - f @ a)
        for _ in range(5):  # Newton steps on the convex objective in b, with backtracking
            g = r * np.exp(-np.clip(f @ b, -30, 30))
            grad = f.T @ (1.0 - g)  # (p, L)
            step = np.linalg.solve(_weighted_normal(ff, g) + ridge, grad.T[..., None])[..., 0].T
            before, t = _log_var_objective(f, b, r), np.ones(latent)
            while True:
                worse = (_log_var_objective(f, b - t * step, r) > before) & (t > 1e-4)
                if not worse.any():
                    break
                t = np.where(worse, t / 2, t)
            b = b - t * step
        if max(np.max(np.abs(a - a_before)), np.max(np.abs(b - b_before))) <= tol:
            break
    weights = np.hstack([a, b])
    if bias is not None:
        return weights[:-1].astype("float32"), weights[-1].astype("float32")
    return weights.astype("float32"), None


def _set_ar1(model, a) -> None:
    """The ``ar1`` chain's coefficients ``a`` into the model (through arctanh, as it stores them)."""
    model.latent_ar_raw.assign(np.arctanh(a).astype("float32"))


def _set_var1(model, fitted) -> None:
    """The ``var1`` chain's ``(A, chol R, chol Q)`` into the model."""
    weights = (model.latent_var_a, model.latent_corr_chol, model.latent_innov_chol)
    for weight, value in zip(weights, fitted):
        weight.assign(np.asarray(value, dtype="float32"))


class ClosedFormUpdates(keras.callbacks.Callback):
    """At the start of every epoch, set σ² to its closed-form optimum and move the seasonal
    prior towards its optimum (two rounds of :func:`optimal_prior_weights` from the last
    epoch's fit), given the current encoder and decoder on the epoch's training windows;
    :meth:`update` with the default ``iterations`` converges fully (after training).

    The ``var1`` latent memory is fitted whole (:func:`~seasonal_vae.model.latent_chain.fit_var1`)
    when ``full_chain`` is set, else held to its diagonal (``training.latent_memory_fit``).
    With ``marginals`` set (after training), a model's Johnson SU latent marginals are fitted
    too, and its chain on their normal scores (:meth:`fit_marginals`); with ``innovations``
    set (after training), the AR residual's Johnson SU innovations with the AR residual
    (:func:`optimal_ar_noise`)."""

    def __init__(
        self,
        data,
        noise: bool = True,
        prior: bool = True,
        batch: int = 256,
        full_chain: bool = True,
        marginals: bool = False,
        innovations: bool = False,
    ):
        super().__init__()
        self.data, self.noise, self.prior, self.batch = data, noise, prior, batch
        self.full_chain, self.marginals, self.innovations = full_chain, marginals, innovations
        self._forward, self._traced_for = None, None
        self.epoch, self._warm = 0, False

    def _passes(self, model, x):
        """The encoder's moments and the decoder's mean of a sampled ``z`` for every training
        window, through one traced function (eager Keras calls cost more than the passes)."""
        if self._traced_for is not model:

            @tf.function(reduce_retracing=True)
            def forward(x):
                z_mean, z_log_var, z = model.encoder(x, training=False)
                return z_mean, z_log_var, model.decoder(z, training=False)

            self._forward, self._traced_for = forward, model
        outs = [self._forward(x[i : i + self.batch]) for i in range(0, len(x), self.batch)]
        return [np.concatenate([np.asarray(o[k]) for o in outs]) for k in range(3)]

    def update(self, model, epoch: int | None = None, iterations: int = 30) -> None:
        """The M-step on epoch ``epoch``'s training windows (``data.epoch``; by default the
        epoch of the last update); the prior's fit alternates at most ``iterations`` rounds
        (:func:`optimal_prior_weights`)."""
        self.epoch = self.epoch if epoch is None else epoch
        x, features = self.data.epoch(self.epoch)
        z_mean, z_log_var, x_hat = self._passes(model, x)
        if self.noise:
            if model.ar_noise_in_loss:
                optimal_ar_noise(model, x, x_hat, features, innovations=self.innovations)
            else:
                model.noise_log_var.assign(optimal_noise_log_var(x, x_hat))
        if self.prior and model.prior_kind != "standard":
            dense = model.prior.get_layer("fourier_coefficients")
            bias = np.asarray(dense.bias) if dense.use_bias else None
            kernel, bias = optimal_prior_weights(
                features, z_mean, z_log_var, np.asarray(dense.kernel), bias, iterations=iterations
            )
            dense.kernel.assign(kernel)
            if bias is not None:
                dense.bias.assign(bias)
        if self.marginals and model.latent_marginals == "johnson_su":
            self.fit_marginals(model)
        elif self.prior and model.latent_memory != "none":
            mean, log_var = (np.asarray(m, dtype="float64") for m in model.prior(features))
            if model.latent_memory == "ar1":
                _set_ar1(model, latent_chain.fit_ar1(z_mean, mean, log_var))
            elif self.full_chain:
                _set_var1(model, latent_chain.fit_var1(z_mean, z_log_var, mean, log_var))
            else:  # var1 held to its diagonal (the ar1 chain in var1's weights)
                _set_var1(model, latent_chain.diagonal(latent_chain.fit_ar1(z_mean, mean, log_var)))

    def fit_marginals(self, model, n_epochs: int = 8) -> None:
        """Fit the Johnson SU marginals (:func:`seasonal_vae.model.latent_marginals.fit`) to the
        whitened posterior samples of the last ``n_epochs`` epochs' training windows (one
        seeded draw per window and epoch), then the latent chain to their normal scores: the
        ``var1`` chain whole (:func:`~seasonal_vae.model.latent_chain.fit_var1`), the ``ar1``
        chain's diagonal (:func:`~seasonal_vae.model.latent_chain.fit_ar1`)."""
        began, u, features = time.perf_counter(), [], []
        for epoch in range(max(0, self.epoch - n_epochs + 1), self.epoch + 1):
            x, f = self.data.epoch(epoch)
            z_mean, z_log_var, _ = self._passes(model, x)
            eps = np.random.default_rng([epoch, 7]).standard_normal(z_mean.shape)
            z = z_mean + np.exp(0.5 * z_log_var.astype("float64")) * eps
            u.append(latent_chain.whiten(z, *model.prior(f)))
            features.append(f)
        u, features = np.concatenate(u), np.concatenate(features)
        table = latent_marginals.fit(u, features)
        log.info(
            "Johnson SU latent marginals fitted to %d latent steps in %.1f s",
            len(u.reshape(-1, u.shape[-1])),
            time.perf_counter() - began,
        )
        model.latent_shape_table.assign(table)
        model.latent_marginals_in_loss = True
        scores = np.asarray(latent_marginals.to_scores(u, latent_marginals.params_at(table, features)))
        zeros = np.zeros_like(scores)
        if model.latent_memory == "ar1":
            _set_ar1(model, latent_chain.fit_ar1(scores, zeros, zeros))
        elif model.latent_memory == "var1":  # the scores are samples: no posterior variance to add
            _set_var1(model, latent_chain.fit_var1(scores, np.full_like(scores, -30.0), zeros, zeros))

    def on_epoch_begin(self, epoch, logs=None):
        # the first epoch of a fit converges fully from the initial weights; later ones take a
        # partial M-step (two rounds from last epoch's fit: the KL still falls each time, as in
        # generalised EM) at a third of a full one's cost; the update after training
        # converges fully again
        self.update(self.model, epoch, iterations=2 if self._warm else 30)
        self._warm = True

    def on_train_begin(self, logs=None):
        self._warm = False
