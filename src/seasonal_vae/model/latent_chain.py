r"""Memory across 96-hour latent steps: the prior as a stationary Gaussian VAR(1) chain.

In the prior's whitened coordinates :math:`u_k = (z_k − m(θ_k)) / e^{s(θ_k)/2}` the chain is

.. math::

   u_1 \sim \mathcal N(0, R), \qquad u_k = A\,u_{k−1} + η_k,\quad η_k \sim \mathcal N(0, Q),
   \qquad Q = R − A R A^\top,

with ``R`` a correlation matrix, so that m(θ) and exp(s(θ)) stay every step's marginal mean and
variance (the seasonal prior's closed-form fit stays valid) and ``R`` is the chain's stationary
covariance. ``R ≻ 0`` and ``Q ≻ 0`` make ``A`` stable (spectral radius below 1, by Lyapunov's
theorem). Two kinds (``model.latent_memory``):

* ``ar1``: ``A = diag(tanh α)``, ``R = I``, ``Q = diag(1 − a²)``: each latent feature its own
  AR(1), independent of the others (the diagonal ``A`` of the extension's first version);
* ``var1``: full ``A``, ``R`` and ``Q``, set in closed form (:func:`fit_var1`, the Yule–Walker
  equations of the whitened posterior): the latent features are correlated within a step and
  across steps. The encoder's features are far from independent (correlations up to 0.55 on
  the bundled records), and a prior that draws them independently decodes incoherent weather:
  the day-to-day persistence within a 96-hour step is lost (README, "Beyond the article").

The KL of each step is taken given the posterior's sample of the step before
(:func:`chain_kl`); generation draws the chain ancestrally (:func:`draw`, :func:`next_step`), and
so do gap filling and forecasting after the last observed step (:func:`ancestral_tail`).

With Johnson SU marginals (``model.latent_marginals``, :mod:`latent_marginals`) the chain runs
on the normal scores ``n = T⁻¹(u)`` instead of ``u`` (a Gaussian copula): the functions below
take the transform's parameters per step as ``shape`` (``None``: Gaussian marginals), and
:func:`shaped_chain_kl` estimates the KL, which then has no closed form.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from seasonal_vae.model import latent_marginals

#: The smallest eigenvalue the innovation covariance Q may have: the fit shrinks A until it holds.
MIN_INNOVATION_EIGENVALUE = 1e-3


def transition(model) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """``(A, chol R, chol Q)`` of a model's latent chain, float32 ``(L, L)`` each (without
    latent memory: ``A = 0`` and ``R = Q = I``, independent steps)."""
    if model.latent_memory == "none":
        eye = tf.eye(model.latent_dim)
        return tf.zeros_like(eye), eye, eye
    if model.latent_memory == "ar1":
        a = tf.convert_to_tensor(model.latent_ar)
        return tf.linalg.diag(a), tf.eye(model.latent_dim), tf.linalg.diag(tf.sqrt(1.0 - a * a))
    return (
        tf.convert_to_tensor(model.latent_var_a),
        tf.convert_to_tensor(model.latent_corr_chol),
        tf.convert_to_tensor(model.latent_innov_chol),
    )


def _times_transposed(x, matrix):
    """``x Mᵀ`` over the last axis of ``x`` (``M x`` for every vector of ``x``): one matrix
    product (a broadcast ``matvec`` runs one tiny product per vector, several times slower)."""
    return tf.tensordot(x, tf.transpose(matrix), axes=1)


def _step_kl(delta, v, chol):
    """KL(N(δ, diag v) ‖ N(0, C)) for ``C = chol cholᵀ`` over the last axis, the mean already
    moved by the prior's: ``½[tr(C⁻¹ diag v) + δᵀC⁻¹δ − L + log|C| − Σ log v]``."""
    inverse = tf.linalg.triangular_solve(chol, tf.eye(tf.shape(chol)[0], dtype=chol.dtype))
    trace = _times_transposed(v, tf.square(inverse))  # Σ_j W_ij² v_j, summed over i below
    whitened = _times_transposed(delta, inverse)
    log_det = 2.0 * tf.reduce_sum(tf.math.log(tf.linalg.diag_part(chol)))
    size = tf.cast(tf.shape(chol)[0], delta.dtype)
    return 0.5 * (
        tf.reduce_sum(trace + tf.square(whitened), axis=-1)
        - size
        + log_det
        - tf.reduce_sum(tf.math.log(v), -1)
    )


def chain_kl(mean_q, log_var_q, prior_mean, prior_log_var, z, a, r_chol, q_chol):
    """Σ_k KL(q(z_k) ‖ p(z_k | z_{k−1})) per window, ``(N,)``: a diagonal Gaussian ``q`` against
    the chain's conditional prior given the posterior's sample ``z`` of the step before (the
    first step against its stationary distribution). All inputs ``(N, k, L)`` but the
    transition's ``(L, L)`` matrices. Its expectation over ``z ~ q`` is the KL of the whole
    chain (a test checks it by Monte Carlo)."""
    dtype = mean_q.dtype
    prior_mean, prior_log_var = tf.cast(prior_mean, dtype), tf.cast(prior_log_var, dtype)
    a, r_chol, q_chol = (tf.cast(m, dtype) for m in (a, r_chol, q_chol))
    scale = tf.exp(0.5 * prior_log_var)
    u_q = (mean_q - prior_mean) / scale
    v = tf.exp(log_var_q - prior_log_var)
    u_before = (tf.cast(z[:, :-1], dtype) - prior_mean[:, :-1]) / scale[:, :-1]
    first = _step_kl(u_q[:, 0], v[:, 0], r_chol)
    rest = _step_kl(u_q[:, 1:] - _times_transposed(u_before, a), v[:, 1:], q_chol)
    return first + tf.reduce_sum(rest, axis=-1)


def whiten(z, prior_mean, prior_log_var) -> np.ndarray:
    """The prior's whitened coordinates ``u = (z − m(θ)) / e^{s(θ)/2}`` (numpy, float64)."""
    z, mean = np.asarray(z, dtype="float64"), np.asarray(prior_mean, dtype="float64")
    return (z - mean) / np.exp(0.5 * np.asarray(prior_log_var, dtype="float64"))


def _to_u(n, shape):
    """Whitened latents from normal scores (numpy, :func:`latent_marginals.from_scores`):
    ``n`` itself for Gaussian marginals (``shape`` None)."""
    return n if shape is None else latent_marginals.from_scores(n, np.asarray(shape), sinh=np.sinh)


def _to_n(u, shape):
    """Normal scores of whitened latents (numpy, :func:`latent_marginals.to_scores`): ``u``
    itself for Gaussian marginals."""
    return u if shape is None else latent_marginals.to_scores(u, np.asarray(shape), arcsinh=np.arcsinh)


def first_step(mean, log_var, eps, r_chol, shape=None) -> np.ndarray:
    """``z_1`` from its stationary distribution given standard normal ``eps`` (arrays
    ``(…, L)``, numpy): ``m_1 + e^{s_1/2} T(chol(R) ε)``, ``T`` the marginal transform of
    ``shape`` (``(…, L, 4)``; None: the identity)."""
    return mean + np.exp(0.5 * log_var) * _to_u(eps @ r_chol.T, shape)


def next_step(
    mean_before, log_var_before, z_before, mean, log_var, eps, a, q_chol, shape_before=None, shape=None
) -> np.ndarray:
    """``z_k`` given ``z_{k−1}`` and standard normal ``eps`` (arrays ``(…, L)``, numpy):
    ``m_k + e^{s_k/2} T_k(A n_{k−1} + chol(Q) ε)`` with ``n_{k−1} = T_{k−1}⁻¹(u_{k−1})``."""
    u_before = (z_before - mean_before) / np.exp(0.5 * log_var_before)
    n = _to_n(u_before, shape_before) @ a.T + eps @ q_chol.T
    return mean + np.exp(0.5 * log_var) * _to_u(n, shape)


def draw(prior_mean, prior_log_var, eps, a, r_chol, q_chol, shape=None) -> np.ndarray:
    """Latent paths ``(n, k, L)`` drawn ancestrally from the chain given standard normal
    ``eps`` ``(n, k, L)`` and the prior's moments ``(1 or n, k, L)`` (numpy); ``shape``
    ``(1 or n, k, L, 4)``: the marginal transform's parameters per step, or None. With the
    transform the chain runs on the normal scores and each step is transformed once at the end
    (the scores of a drawn step are the step's own, so nothing is transformed back)."""
    a, r_chol, q_chol = (np.asarray(m, dtype="float32") for m in (a, r_chol, q_chol))
    z = np.empty(np.broadcast_shapes(np.shape(eps), np.shape(prior_mean)), dtype="float32")
    if shape is not None:
        scores = np.empty_like(z)
        scores[:, 0] = eps[:, 0] @ r_chol.T
        for k in range(1, z.shape[1]):
            scores[:, k] = scores[:, k - 1] @ a.T + eps[:, k] @ q_chol.T
        z[...] = prior_mean + np.exp(0.5 * prior_log_var) * _to_u(scores, shape)
        return z
    z[:, 0] = first_step(prior_mean[:, 0], prior_log_var[:, 0], eps[:, 0], r_chol)
    for k in range(1, z.shape[1]):
        z[:, k] = next_step(
            prior_mean[:, k - 1],
            prior_log_var[:, k - 1],
            z[:, k - 1],
            prior_mean[:, k],
            prior_log_var[:, k],
            eps[:, k],
            a,
            q_chol,
        )
    return z


def ancestral_tail(model, z, seen, prior_mean, prior_log_var, shape, rng) -> np.ndarray:
    """``z`` ``(N, M, k, L)`` (M draws of each window's posterior) with the steps after each
    window's last observed step (``seen`` ``(N, k)``: the steps with an observed hour) redrawn
    from the model's chain given the step before; the prior's moments ``(N, k, L)`` and
    marginals' parameters ``(N, k, L, 4)`` or None at the same steps (numpy)."""
    n, _, k, _ = z.shape
    last = np.where(seen.any(axis=1), k - 1 - np.argmax(seen[:, ::-1], axis=1), -1)
    a, r_chol, q_chol = (np.asarray(m, dtype="float32") for m in transition(model))
    m, log_var = prior_mean[:, None], prior_log_var[:, None]
    shape = None if shape is None else shape[:, None]
    eps = rng.standard_normal(z.shape).astype("float32")
    z = z.copy()
    for step in range(k):
        tail = step > last  # the windows for which this step lies after the observed hours
        if not tail.any():
            continue
        if step == 0:
            first = None if shape is None else shape[:, :, 0]
            draw = first_step(m[:, :, 0], log_var[:, :, 0], eps[:, :, 0], r_chol, first)
        else:
            before, now = (slice(None), slice(None), step - 1), (slice(None), slice(None), step)
            draw = next_step(
                m[before],
                log_var[before],
                z[before],
                m[now],
                log_var[now],
                eps[now],
                a,
                q_chol,
                None if shape is None else shape[before],
                None if shape is None else shape[now],
            )
        z[tail, :, step] = draw[tail]
    return z


def _log_normal(x, chol):
    """``log N(x | 0, C)`` over the last axis for ``C = chol cholᵀ``."""
    inverse = tf.linalg.triangular_solve(chol, tf.eye(tf.shape(chol)[0], dtype=chol.dtype))
    whitened = _times_transposed(x, inverse)
    size = tf.cast(tf.shape(chol)[0], x.dtype)
    log_det = 2.0 * tf.reduce_sum(tf.math.log(tf.linalg.diag_part(chol)))
    return -0.5 * (size * math.log(2.0 * math.pi) + log_det + tf.reduce_sum(tf.square(whitened), -1))


def shaped_chain_kl(mean_q, log_var_q, prior_mean, prior_log_var, z, a, r_chol, q_chol, shape):
    """Σ_k KL(q(z_k) ‖ p(z_k | z_{k−1})) per window ``(N,)`` for the chain on Johnson SU normal
    scores, estimated with the posterior's sample ``z``: ``Σ_k [−H(q_k) − log p(z_k | z_{k−1})]``,
    the entropy in closed form, ``log p`` the normal density of the scores ``n_k`` given
    ``A n_{k−1}`` (the first step: its stationary N(0, R)) plus ``Σ log dn/dz``. Unbiased for
    the KL of :func:`chain_kl`'s conditionals; ``shape`` ``(N, k, L, 4)``."""
    dtype = mean_q.dtype
    prior_mean, prior_log_var = tf.cast(prior_mean, dtype), tf.cast(prior_log_var, dtype)
    a, r_chol, q_chol, shape = (tf.cast(m, dtype) for m in (a, r_chol, q_chol, shape))
    u = (tf.cast(z, dtype) - prior_mean) / tf.exp(0.5 * prior_log_var)
    n = latent_marginals.to_scores(u, shape)
    log_jacobian = latent_marginals.log_derivative(u, shape) - 0.5 * prior_log_var
    log_p = tf.reduce_sum(log_jacobian, axis=[1, 2]) + _log_normal(n[:, 0], r_chol)
    log_p += tf.reduce_sum(_log_normal(n[:, 1:] - _times_transposed(n[:, :-1], a), q_chol), axis=-1)
    entropy = 0.5 * tf.reduce_sum(math.log(2.0 * math.pi) + 1.0 + log_var_q, axis=[1, 2])
    return -entropy - log_p


def fit_ar1(z_mean, prior_mean, prior_log_var) -> np.ndarray:
    """The diagonal of A (``latent_memory: ar1``): per latent feature, the lag-1 regression slope
    of the whitened posterior means (:func:`whiten`) over consecutive steps within the windows
    (clipped to ±0.99). With m(θ) and exp(s(θ)) the marginal moments, this is the M-step for A."""
    d = whiten(z_mean, prior_mean, prior_log_var)
    now, before = d[:, 1:].reshape(-1, d.shape[-1]), d[:, :-1].reshape(-1, d.shape[-1])
    return np.clip(np.sum(now * before, axis=0) / np.sum(before * before, axis=0), -0.99, 0.99)


def diagonal(a) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(A, chol R, chol Q)`` of the diagonal chain with coefficients ``a`` (the ``ar1`` chain):
    ``diag(a)``, ``I``, ``diag(√(1 − a²))``."""
    return np.diag(a), np.eye(len(a)), np.diag(np.sqrt(1.0 - a * a))


def fit_var1(z_mean, z_log_var, prior_mean, prior_log_var) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(A, chol R, chol Q)`` of the ``var1`` chain from the posteriors of training windows
    (all ``(N, k, L)``, ``k ≥ 1``), in closed form.

    The whitened posterior means ``u`` and variances ``ṽ`` give the aggregate posterior's
    covariance of one step ``E[u uᵀ] + diag E[ṽ]`` and of consecutive steps ``E[u_k u_{k−1}ᵀ]``
    (the mean-field q draws the steps independently). Scaled to a correlation matrix ``R``
    (the seasonal prior keeps the marginal moments), the Yule–Walker equations give
    ``A = C₁ R⁻¹`` and ``Q = R − A R Aᵀ``; should Q's smallest eigenvalue fall below
    :data:`MIN_INNOVATION_EIGENVALUE` (a sampling accident), ``A`` is shrunk until it does not,
    so the chain is always stable."""
    u = whiten(z_mean, prior_mean, prior_log_var)
    v = np.exp(np.asarray(z_log_var, dtype="float64") - np.asarray(prior_log_var, dtype="float64"))
    dim = u.shape[-1]
    flat = u.reshape(-1, dim)
    covariance = flat.T @ flat / len(flat) + np.diag(v.reshape(-1, dim).mean(axis=0))
    scale = np.sqrt(np.diag(covariance))
    r = covariance / np.outer(scale, scale)
    if u.shape[1] > 1:
        now, before = u[:, 1:].reshape(-1, dim), u[:, :-1].reshape(-1, dim)
        lagged = now.T @ before / len(now) / np.outer(scale, scale)
        a = np.linalg.solve(r, lagged.T).T  # C₁ R⁻¹ (R symmetric)
    else:
        a = np.zeros((dim, dim))
    while True:
        q = r - a @ r @ a.T
        if np.linalg.eigvalsh(q).min() >= MIN_INNOVATION_EIGENVALUE:
            break
        a = 0.95 * a
    return (
        a.astype("float32"),
        np.linalg.cholesky(r).astype("float32"),
        np.linalg.cholesky(q).astype("float32"),
    )
