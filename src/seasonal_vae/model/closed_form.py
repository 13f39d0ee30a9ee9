"""The closed-form updates of training: parameters set to their optimum given the rest.

The noise variance σ² (the mean squared residual), the AR residual's scale and partial
autocorrelations (:func:`seasonal_vae.model.ar_noise.fit`) and the seasonal prior's Fourier
coefficients (weighted least squares and Newton steps on the summed KL), applied at the start
of every epoch by :class:`ClosedFormUpdates`: an EM-like M-step beside the gradient steps of
the encoder and decoder.
"""

from __future__ import annotations

import keras
import numpy as np

from seasonal_vae.model import ar_noise


def optimal_noise_log_var(x, x_hat) -> float:
    """log σ² that maximises Σ log N(x | x̂, σ²): the log of the mean squared residual."""
    residual = np.asarray(x, dtype="float64") - np.asarray(x_hat, dtype="float64")
    return float(np.log(np.mean(np.square(residual))))


def optimal_ar_noise(model, x, x_hat, features) -> None:
    """Set the AR residual's scale and partial autocorrelations to their closed-form estimates
    given the reconstruction (:func:`seasonal_vae.model.ar_noise.fit`)."""
    residual = np.asarray(x, dtype="float64") - np.asarray(x_hat, dtype="float64")
    scale_features = np.asarray(ar_noise.scale_features(residual.shape[1], features))
    bias, weights, pacf = ar_noise.fit(residual, scale_features, model.noise_order)
    model.noise_log_var.assign(bias)
    model.noise_scale_weights.assign(weights.astype("float32"))
    model.noise_pacf_raw.assign(np.arctanh(pacf).astype("float32"))


def _log_var_objective(f, b, r) -> float:
    """Σ [s + r e^{-s}] with s = f·b: the part of the summed KL that depends on s(θ)."""
    s = np.clip(f @ b, -30, 30)
    return float(np.sum(s + r * np.exp(-s)))


def optimal_prior_weights(features, z_mean, z_log_var, kernel, bias=None, iterations=30):
    r"""Fourier coefficients of the prior that minimise Σ KL(q(z | x) ‖ p(z | θ)).

    For each latent feature the prior is :math:`m = f·a` (+ bias) and :math:`s = f·b`
    (+ bias), with ``f`` the Fourier features of θ. Summed over latent steps, the KL is, up to
    constants, :math:`\tfrac12\sum [s + (v + (μ − m)^2) e^{-s}]` with the posterior means μ
    and variances v. For fixed ``b`` the best ``a`` is weighted least squares (weights
    :math:`e^{-s}`); for fixed ``a`` the objective is convex in ``b`` (Newton steps). The two
    are alternated from the current weights.

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
    weights = weights.copy()
    ridge = 1e-9 * np.eye(f.shape[1])
    for j in range(latent):
        a, b = weights[:, j], weights[:, latent + j]
        for _ in range(iterations):
            w = np.exp(-np.clip(f @ b, -30, 30))
            a = np.linalg.solve((f * w[:, None]).T @ f + ridge, (f * w[:, None]).T @ mu[:, j])
            r = var[:, j] + np.square(mu[:, j] - f @ a)
            for _ in range(5):  # Newton steps on the convex objective in b, with backtracking
                g = r * np.exp(-np.clip(f @ b, -30, 30))
                step = np.linalg.solve((f * g[:, None]).T @ f + ridge, f.T @ (1.0 - g))
                before, t = _log_var_objective(f, b, r), 1.0
                while _log_var_objective(f, b - t * step, r) > before and t > 1e-4:
                    t /= 2
                b = b - t * step
        weights[:, j], weights[:, latent + j] = a, b
    if bias is not None:
        return weights[:-1].astype("float32"), weights[-1].astype("float32")
    return weights.astype("float32"), None


def optimal_latent_ar(z_mean, prior_mean) -> np.ndarray:
    """The diagonal of A: per latent feature, the lag-1 regression slope of the posterior means'
    departures from the prior mean, over consecutive steps within the windows (clipped to
    ±0.99). With m(θ) and exp(s(θ)) the marginal moments, this is the M-step for A."""
    d = np.asarray(z_mean, dtype="float64") - prior_mean
    now, before = d[:, 1:].reshape(-1, d.shape[-1]), d[:, :-1].reshape(-1, d.shape[-1])
    return np.clip(np.sum(now * before, axis=0) / np.sum(before * before, axis=0), -0.99, 0.99)


class ClosedFormUpdates(keras.callbacks.Callback):
    """At the start of every epoch, set σ² and the seasonal prior to their closed-form
    optimum given the current encoder and decoder on the epoch's training windows."""

    def __init__(self, data, noise: bool = True, prior: bool = True, batch: int = 64):
        super().__init__()
        self.data, self.noise, self.prior, self.batch = data, noise, prior, batch

    def update(self, model) -> None:
        outs = [
            model.encoder(self.data.x[i : i + self.batch], training=False)
            for i in range(0, len(self.data.x), self.batch)
        ]
        z_mean = np.concatenate([np.asarray(o[0]) for o in outs])
        z_log_var = np.concatenate([np.asarray(o[1]) for o in outs])
        if self.noise:
            x_hat = np.concatenate([np.asarray(model.decoder(o[2], training=False)) for o in outs])
            if model.ar_noise_in_loss:
                optimal_ar_noise(model, self.data.x, x_hat, self.data.features)
            else:
                model.noise_log_var.assign(optimal_noise_log_var(self.data.x, x_hat))
        if self.prior and model.prior_kind != "standard":
            dense = model.prior.get_layer("fourier_coefficients")
            bias = np.asarray(dense.bias) if dense.use_bias else None
            kernel, bias = optimal_prior_weights(
                self.data.features, z_mean, z_log_var, np.asarray(dense.kernel), bias
            )
            dense.kernel.assign(kernel)
            if bias is not None:
                dense.bias.assign(bias)
        if self.prior and model.latent_memory == "ar1":
            mean = np.asarray(model.prior(self.data.features)[0], dtype="float64")
            model.latent_ar_raw.assign(np.arctanh(optimal_latent_ar(z_mean, mean)).astype("float32"))

    def on_epoch_begin(self, epoch, logs=None):
        self.update(self.model)
