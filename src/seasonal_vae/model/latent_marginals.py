r"""Skewed, heavy- or light-tailed latent marginals: the prior through a Johnson SU transform.

The Gaussian prior matches each latent feature's mean and variance to the encoder's aggregate
posterior (the closed-form M-step), but not its shape. On the bundled records the summer's
features are skewed (down to −0.7): a Gaussian of the same mean and variance puts too much
mass on the hot side and too little on the cold one, and decoded, gives too many very hot
days and too wide a daily range in July. With ``model.latent_marginals: johnson_su`` each
feature's whitened coordinate :math:`u = (z − m(θ)) / e^{s(θ)/2}` is instead

.. math::

   u = ξ + λ \sinh\big((n − γ) / δ\big), \qquad n \text{ standard normal},

Johnson's SU family (Johnson 1949; ``scipy.stats.johnsonsu``: ``a = γ``, ``b = δ``,
``loc = ξ``, ``scale = λ``): any skewness and any kurtosis above the normal's, and the
normal itself in the limit ``δ = λ → ∞``. The latent memory's chain (:mod:`latent_chain`)
moves to the normal scores ``n``: a Gaussian copula across features and steps with
Johnson SU marginals.

The four parameters are Fourier series of the time of year θ (degree :data:`DEGREE`, as the
prior's m(θ) and s(θ) are), with ``δ`` bounded by :data:`MAX_DELTA` through a logistic and
``λ`` positive through an exponential (:func:`params_at`). They are fitted by maximum
likelihood per latent feature (:func:`fit`) to the whitened posterior samples of the training
windows, after training: an *ex-post* fit of the aggregate posterior, as in Ghosh et al. 2020,
"From variational to deterministic autoencoders" (ICLR). The prior's density of ``u`` is the
normal density of ``n`` times ``dn/du`` (:func:`log_derivative`): the KL against it has no
closed form and is estimated with the posterior's sample
(:func:`seasonal_vae.model.latent_chain.shaped_chain_kl`).
"""

from __future__ import annotations

import math

import numpy as np
from keras import ops

LOG_2PI = math.log(2.0 * math.pi)

#: Degree of the Fourier series of θ that each of the four parameters is.
DEGREE = 2
#: Coefficients per parameter: a constant and the sine and cosine of each harmonic.
N_COEFFICIENTS = 1 + 2 * DEGREE
#: The tail parameter δ is ``MAX_DELTA · logistic(·)``: near this bound the family is already
#: close to the normal, and unbounded, δ and λ drift apart together along a flat ridge of the
#: likelihood (10⁸ fits as well as 10).
MAX_DELTA = 20.0
#: L-BFGS iterations of a fit at most: the likelihood's ridge near the normal makes the last
#: digits slow (up to 3,000 iterations, 30 s, for one feature of the surrogate's 40 training
#: years); 500 came within 0.001 nats per value of the converged optimum on every feature there.
MAX_ITERATIONS = 500


def table_initializer(shape, dtype=None):
    """An ``(L, 4, N_COEFFICIENTS)`` table (or any ``(…, 4, P)`` one) whose transform is close to the identity
    (``γ = ξ = 0``, ``δ = λ ≈ 20``: ``n`` within 1 % of ``u`` for ``|u| < 4``) at every θ (a
    Keras initializer): the value before the fit."""
    table = np.zeros(shape, dtype="float64")  # (…, 4, P): any leading shape
    table[..., 1, 0] = 10.0  # δ = 20 · logistic(10)
    table[..., 3, 0] = np.log(MAX_DELTA / (1.0 + np.exp(-10.0)))  # λ = δ
    return ops.cast(table, dtype or "float32")


def design(features):
    """``[1, sin θ, cos θ, …, sin Dθ, cos Dθ]`` ``(…, N_COEFFICIENTS)`` from the steps' Fourier
    features ``[sin θ, cos θ, …]`` ``(…, 2d)``."""
    theta = ops.arctan2(features[..., 0], features[..., 1])
    columns = [ops.ones_like(theta)]
    for order in range(1, DEGREE + 1):
        columns += [ops.sin(order * theta), ops.cos(order * theta)]
    return ops.stack(columns, axis=-1)


def params_at(table, features):
    """The parameters ``(γ, δ, ξ, λ)`` ``(…, L, 4)`` at each step's θ, from the coefficient table
    ``(L, 4, N_COEFFICIENTS)`` and the steps' Fourier features ``(…, 2d)``."""
    table = ops.convert_to_tensor(table)
    return _constrained(ops.tensordot(design(ops.cast(features, table.dtype)), table, axes=[[-1], [2]]))


def params_of_design(table, g):
    """The parameters ``(γ, δ, ξ, λ)`` ``(…, 4)`` of one series from its coefficient table
    ``(4, P)`` and any design ``g`` ``(…, P)`` (the AR residual's innovations take hour-of-day
    and season features: :mod:`seasonal_vae.model.ar_noise`)."""
    table = ops.convert_to_tensor(table)
    return _constrained(ops.tensordot(ops.cast(g, table.dtype), table, axes=[[-1], [1]]))


def _constrained(raw):
    """``(γ, δ, ξ, λ)`` from the unconstrained linear predictors ``(…, 4)``: δ through the
    bounded logistic, λ through the exponential."""
    gamma, delta, xi, lam = raw[..., 0], raw[..., 1], raw[..., 2], raw[..., 3]
    return ops.stack([gamma, MAX_DELTA * ops.sigmoid(delta), xi, ops.exp(lam)], axis=-1)


def _split(params):
    return params[..., 0], params[..., 1], params[..., 2], params[..., 3]


def to_scores(u, params, arcsinh=ops.arcsinh):
    """Normal scores ``n = γ + δ asinh((u − ξ)/λ)`` of whitened latents ``u`` ``(…, L)``
    (``arcsinh=numpy.arcsinh``: in numpy, for numpy arrays, without TensorFlow's per-call cost)."""
    gamma, delta, xi, lam = _split(params)
    return gamma + delta * arcsinh((u - xi) / lam)


def from_scores(n, params, sinh=ops.sinh):
    """Whitened latents ``u = ξ + λ sinh((n − γ)/δ)`` of normal scores ``n`` ``(…, L)``
    (``sinh=numpy.sinh``: in numpy, as :func:`to_scores`)."""
    gamma, delta, xi, lam = _split(params)
    return xi + lam * sinh((n - gamma) / delta)


def log_density(u, params):
    """``log p(u)`` of the Johnson SU with these parameters, elementwise ``(…)``: the normal
    log-density of the score ``n`` plus :func:`log_derivative`."""
    n = to_scores(u, params)
    return log_derivative(u, params) - 0.5 * (LOG_2PI + n * n)


def log_derivative(u, params):
    """``log dn/du = log δ − log λ − ½ log(1 + ((u − ξ)/λ)²)``, elementwise ``(…, L)``."""
    _, delta, xi, lam = _split(params)
    y = (u - xi) / lam
    return ops.log(delta) - ops.log(lam) - 0.5 * ops.log1p(y * y)


def _negative_log_likelihood(coefficients, u, g):
    """−Σ log p(u) − N log √(2π) of one latent feature (the negative log-likelihood up to its
    constant) and its gradient with respect to the ``(4, P)`` coefficients (flattened), for
    whitened values ``u`` ``(N,)`` and design ``g`` ``(N, P)``."""
    w = coefficients.reshape(4, -1)
    raw = g @ w.T
    gamma, logistic, xi, lam = raw[:, 0], 1.0 / (1.0 + np.exp(-raw[:, 1])), raw[:, 2], np.exp(raw[:, 3])
    delta = MAX_DELTA * logistic
    y = (u - xi) / lam
    root = np.sqrt(1.0 + y * y)
    asinh = np.arcsinh(y)
    n = gamma + delta * asinh
    value = np.sum(-np.log(delta) + raw[:, 3] + np.log(root) + 0.5 * n * n)
    h = y / (root * root) + n * delta / root  # ∂/∂y of ½ log(1 + y²) + ½ n²
    per_point = np.stack(
        [n, (-1.0 / delta + n * asinh) * delta * (1.0 - logistic), -h / lam, 1.0 - h * y], axis=1
    )
    return value, (per_point.T @ g).ravel()


def fit_one(u: np.ndarray, g: np.ndarray) -> np.ndarray:
    """The ``(4, P)`` coefficients of one series' Johnson SU parameters, linear in the design
    ``g`` ``(N, P)`` (first column the constant), from its values ``u`` ``(N,)``, by maximum
    likelihood (L-BFGS with the exact gradient, at most :data:`MAX_ITERATIONS` iterations),
    starting from the one Johnson SU fit of all values (``scipy.stats.johnsonsu.fit``, δ held
    at 0.95 · :data:`MAX_DELTA` if it would exceed it: a near-normal sample)."""
    from scipy import optimize, stats

    u, g = np.asarray(u, dtype="float64"), np.asarray(g, dtype="float64")
    gamma, delta, xi, lam = stats.johnsonsu.fit(u)
    if not 0.0 < delta <= 0.95 * MAX_DELTA:
        gamma, delta, xi, lam = stats.johnsonsu.fit(u, fb=0.95 * MAX_DELTA)
    start = np.zeros((4, g.shape[1]))
    start[:, 0] = gamma, np.log(delta / (MAX_DELTA - delta)), xi, np.log(lam)
    result = optimize.minimize(
        _negative_log_likelihood,
        start.ravel(),
        args=(u, g),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": MAX_ITERATIONS},
    )
    return result.x.reshape(4, -1)


def fit(u: np.ndarray, features: np.ndarray) -> np.ndarray:
    """The ``(L, 4, N_COEFFICIENTS)`` coefficient table from whitened latents ``u`` ``(…, L)``
    and their steps' Fourier features ``(…, 2d)``: :func:`fit_one` per latent feature, on
    the Fourier series of θ (:func:`design`)."""
    u = np.asarray(u, dtype="float64").reshape(-1, np.shape(u)[-1])
    g = np.asarray(design(np.asarray(features, dtype="float64").reshape(len(u), -1)), dtype="float64")
    return np.stack([fit_one(u[:, j], g) for j in range(u.shape[1])]).astype("float32")
