r"""Residual noise with memory: a heteroscedastic AR(p) process around the decoder mean.

The article's observation model is white noise, :math:`x_t = \hat x_t + \sigma\,\eta_t`. Here
(an extension, ``model.noise: ar``) the residual :math:`e_t = x_t - \hat x_t` is

.. math::

   e_t = s_t\,u_t, \qquad u_t = \sum_{i=1}^{p} \phi_i\,u_{t-i} + \sqrt{v_p}\,\eta_t,
   \qquad \log s_t^2 = b + w^\top f_t,

where :math:`u` is a stationary AR(p) process of unit variance and :math:`s_t` a scale that
depends on the hour of day and the season through Fourier features :math:`f_t` (two diurnal
and two annual harmonics, and the products of the first of each). Stationarity holds by
construction: the coefficients are parameterised by their partial autocorrelations
:math:`r_k = \tanh(\rho_k) \in (-1, 1)`, mapped to :math:`\phi` by the Levinson-Durbin
recursion, which also gives the one-step prediction variances :math:`v_k =
\prod_{j \le k}(1 - r_j^2)` of every order. The likelihood is exact (no conditioning on the
first p values): the first values are whitened with the predictions of orders 0 … p − 1,

.. math::

   -\log p(e) = \sum_t \Big[\tfrac12 \log 2\pi + \tfrac12 \log v_{k(t)} + \tfrac12 w_t^2
                + \log s_t\Big],\quad
   w_t = \frac{u_t - \sum_{i=1}^{k(t)} \phi^{(k(t))}_i u_{t-i}}{\sqrt{v_{k(t)}}},
   \quad k(t) = \min(t, p).

Generation draws :math:`u` by the same recursion (exactly stationary from the first hour) and
multiplies by :math:`s_t`.

**Skewed, heavy-tailed innovations** (``model.noise_innovations: johnson_su``). On the real
station record the whitened innovations :math:`w_t` are far from normal (skewness −0.5,
excess kurtosis 6 on the training windows): a summer thunderstorm's outflow drops the
temperature by 10–20 °F within an hour or two, which no Gaussian of the same variance draws.
Then :math:`w_t` is Johnson SU (:mod:`seasonal_vae.model.latent_marginals`) with its four
parameters linear in the scale's features :math:`[1, f_t]` (:func:`innovation_design`: they
change with the hour of day and the season), fitted by maximum likelihood to the whitened
innovations of the trained reconstruction (:func:`fit_innovations`). The likelihood's
Gaussian term :math:`\tfrac12 \log 2\pi + \tfrac12 w_t^2` becomes :math:`-\log f(w_t)`,
and generation transforms each standard normal draw :math:`\eta_t` by the Johnson SU's
quantile map before the recursion. The first :math:`p` hours, whitened by lower orders, take
the same innovation law: a small approximation of the stationary start.
"""

from __future__ import annotations

import math

import numpy as np
from keras import ops

from seasonal_vae.core.calendar import HOURS_PER_LATENT_STEP
from seasonal_vae.model import latent_marginals

#: Fourier features of the scale: hour of day (2 harmonics), season (2), and hour × season (1 × 1).
N_SCALE_FEATURES = 12
#: Columns of the innovations' design: a constant and the scale's features.
N_INNOVATION_COEFFICIENTS = 1 + N_SCALE_FEATURES


def levinson_durbin(pacf):
    """Partial autocorrelations ``r_1 … r_p`` → AR coefficients of every order and their
    one-step prediction variances (unit marginal variance).

    Works on numpy arrays and on tensors alike (``pacf`` of shape ``(p,)``).

    Returns
    -------
    (coefficients, variances)
        ``coefficients[k]`` is the list ``[φ^{(k)}_1 … φ^{(k)}_k]`` of order ``k`` (``[]`` for
        order 0), ``variances[k]`` = ``v_k``, for ``k = 0 … p``.
    """
    p = int(pacf.shape[0])
    coefficients, variances = [[]], [pacf[0] * 0.0 + 1.0]  # v_0 = 1, in the dtype of pacf
    for k in range(1, p + 1):
        r = pacf[k - 1]
        previous = coefficients[-1]
        coefficients.append([previous[j] - r * previous[k - 2 - j] for j in range(k - 1)] + [r])
        variances.append(variances[-1] * (1.0 - r * r))
    return coefficients, variances


def scale_features(n_hours: int, season_features, degree: int = 2):
    """Fourier features of the scale for every hour of windows that start at local midnight.

    Parameters
    ----------
    n_hours
        Hours per window (``96·k``).
    season_features
        The latent steps' Fourier features of θ, ``(N, k, 2·d)`` with ``d ≥ 2``: each hour
        takes its step's (θ moves by 1 % of a year within a step).

    Returns
    -------
    ``(N, 96k, 12)``: hour of day ``[sin, cos]`` of 1 and 2 cycles a day, season ``[sin, cos]``
    of 1 and 2 cycles a year, and the four products of the first diurnal and first annual pair.
    """
    hour = ops.cast(ops.arange(n_hours) % 24, "float32")
    angle = 2.0 * math.pi * hour / 24.0
    diurnal = ops.stack([ops.sin(angle), ops.cos(angle), ops.sin(2 * angle), ops.cos(2 * angle)], axis=-1)
    season = ops.cast(season_features[..., : 2 * degree], "float32")
    season = ops.repeat(season, HOURS_PER_LATENT_STEP, axis=1)
    diurnal = ops.broadcast_to(diurnal[None], (ops.shape(season)[0], n_hours, 4))
    cross = ops.concatenate(
        [diurnal[..., 0:1] * season[..., 0:2], diurnal[..., 1:2] * season[..., 0:2]], axis=-1
    )
    return ops.concatenate([diurnal, season, cross], axis=-1)


def log_scale(bias, weights, features):
    """``log s_t`` = (b + wᵀ f_t) / 2 for features ``(N, T, 12)``: ``(N, T)``."""
    return 0.5 * (bias + ops.sum(features * weights, axis=-1))


def innovation_design(features):
    """``[1, f_t]`` ``(…, 13)`` from the scale's features ``(…, 12)``: the design of the
    Johnson SU innovations' parameters."""
    return ops.concatenate([ops.ones_like(features[..., :1]), features], axis=-1)


def innovation_params(table, features):
    """The innovations' Johnson SU parameters ``(γ, δ, ξ, λ)`` per hour, ``(…, T, 4)``, from the
    ``(4, 13)`` coefficient table and the scale's features ``(…, T, 12)``."""
    return latent_marginals.params_of_design(table, innovation_design(ops.cast(features, "float32")))


def _innovation_nll(w, shape):
    """−log of the innovations' density at ``w``: standard normal (``shape`` None) or the
    Johnson SU of ``shape`` ``(…, 4)``."""
    if shape is None:
        return 0.5 * (math.log(2.0 * math.pi) + ops.square(w))
    return -latent_marginals.log_density(w, shape)


def _innovations(eta, shape):
    """The innovations for standard normal draws ``eta``: themselves, or through the Johnson
    SU's quantile map (numpy)."""
    return eta if shape is None else latent_marginals.from_scores(eta, np.asarray(shape), sinh=np.sinh)


def whiten(u, pacf):
    """Whitened residuals ``w_t`` and ``log v_{k(t)}`` per hour, for ``u`` of shape ``(N, T)``
    with ``T`` larger than the order ``p ≥ 1``."""
    coefficients, variances = levinson_durbin(pacf)
    p = len(variances) - 1
    heads, log_vs = [], []
    for t in range(p):  # the first values: the predictions of orders 0 … p−1
        prediction = sum((coefficients[t][i] * u[:, t - 1 - i] for i in range(t)), ops.zeros_like(u[:, 0]))
        heads.append((u[:, t] - prediction) / ops.sqrt(variances[t]))
        log_vs.append(ops.log(variances[t]) * ops.ones_like(u[:, 0]))
    n = ops.shape(u)[1]
    prediction = sum(coefficients[p][i] * u[:, p - 1 - i : n - 1 - i] for i in range(p))
    tail = (u[:, p:] - prediction) / ops.sqrt(variances[p])
    w = ops.concatenate([ops.stack(heads, axis=1), tail], axis=1)
    log_v = ops.concatenate([ops.stack(log_vs, axis=1), ops.log(variances[p]) * ops.ones_like(tail)], axis=1)
    return w, log_v


def ar_nll(residual, log_s, pacf, shape=None):
    """Exact −log p(residual) of the heteroscedastic AR(p) model, summed over time: ``(N,)``;
    ``shape`` ``(N, T, 4)``: Johnson SU innovations (:func:`innovation_params`), None: normal."""
    u = residual / ops.exp(log_s)
    w, log_v = whiten(u, pacf)
    return ops.sum(_innovation_nll(w, shape) + 0.5 * log_v + log_s, axis=-1)


def ar_nll_observed(residual, log_s, pacf, mask, shape=None):
    """−log p of the *observed* residuals (``mask`` 1.0 where observed), summed over time:
    ``(N,)``.

    An observed hour whose ``p`` predecessors are observed too (or that is among the first
    ``p`` of the window, whose lower-order predictions need only the hours before it) gets
    its exact whitened term, as in :func:`ar_nll` (with ``shape``: the Johnson SU
    innovations'); an observed hour just after a gap gets the marginal term ``N(0, s_t²)``,
    which ignores what the hours before the gap say about it (a composite likelihood, exact
    when the observed hours are one block at the start, as for a forecast's context, and
    equal to :func:`ar_nll` when every hour is observed; with Johnson SU innovations the
    marginal term stays normal, of the right variance).
    """
    u = mask * residual / ops.exp(log_s)
    w, log_v = whiten(u, pacf)
    p = int(pacf.shape[0])
    n = ops.shape(u)[1]
    lags_seen = mask
    for i in range(1, p + 1):  # the i-th predecessor observed (before the window: no lag)
        before = ops.concatenate([ops.ones_like(mask[:, :i]), mask[:, : n - i]], axis=1)
        lags_seen = lags_seen * before
    exact = _innovation_nll(w, shape) + 0.5 * log_v
    marginal = 0.5 * (math.log(2.0 * math.pi) + ops.square(u))
    terms = lags_seen * exact + (mask - lags_seen) * marginal + mask * log_s
    return ops.sum(terms, axis=-1)


def continue_residual(
    pacf, log_s: np.ndarray, residual: np.ndarray, mask: np.ndarray, rng, shape=None
) -> np.ndarray:
    """Residuals ``e`` for every hour: the given ones where ``mask``, elsewhere drawn from the
    AR(p) given the hours before (observed or drawn), so that a gap or a forecast continues
    the hour-to-hour texture of the hours just before it. Shapes ``(N, T)`` (numpy);
    ``shape`` ``(N or 1, T, 4)``: Johnson SU innovations."""
    pacf = np.asarray(pacf, dtype="float64")
    coefficients, variances = levinson_durbin(pacf)
    p = len(variances) - 1
    mask = np.asarray(mask, dtype=bool)
    u = np.where(mask, np.asarray(residual, dtype="float64") / np.exp(log_s), 0.0)
    eta = _innovations(rng.standard_normal(u.shape), shape)
    for t in np.flatnonzero(~mask.all(axis=0)):  # only the hours some window lacks
        k = min(t, p)
        prediction = sum(coefficients[k][i] * u[:, t - 1 - i] for i in range(k)) if k else 0.0
        u[:, t] = np.where(mask[:, t], u[:, t], prediction + math.sqrt(variances[k]) * eta[:, t])
    return np.exp(log_s) * u


def simulate(pacf, log_s: np.ndarray, rng: np.random.Generator, shape=None) -> np.ndarray:
    """Draw residuals ``e = s·u`` for scales ``log_s`` of shape ``(N, T)`` (numpy); ``shape``
    ``(N or 1, T, 4)``: Johnson SU innovations (the same normal draws as without)."""
    pacf = np.asarray(pacf, dtype="float64")
    coefficients, variances = levinson_durbin(pacf)
    p = len(variances) - 1
    n, length = log_s.shape
    u = np.zeros((n, length))
    eta = _innovations(rng.standard_normal((n, length)), shape)
    for t in range(length):
        k = min(t, p)
        prediction = sum(coefficients[k][i] * u[:, t - 1 - i] for i in range(k)) if k else 0.0
        u[:, t] = prediction + math.sqrt(variances[k]) * eta[:, t]
    return np.exp(log_s) * u


def autocorrelation(pacf, n_lags: int) -> np.ndarray:
    """Autocorrelation ``ρ_0 … ρ_{n_lags}`` of the unit-variance AR(p) with these PACFs.

    Yule-Walker read through the recursion: the order-k predictor satisfies
    ``ρ_k = Σ_{i≤k} φ^{(k)}_i ρ_{k−i}``, and beyond ``p`` the AR(p) recursion holds.
    """
    pacf = np.asarray(pacf, dtype="float64")
    coefficients, _ = levinson_durbin(pacf)
    p = len(pacf)
    rho = np.zeros(max(n_lags, p) + 1)
    rho[0] = 1.0
    for k in range(1, len(rho)):
        order = min(k, p)
        rho[k] = sum(coefficients[order][i] * rho[k - 1 - i] for i in range(order))
    return rho[: n_lags + 1]


def fit(residual: np.ndarray, features: np.ndarray, order: int, iterations: int = 20):
    """Closed-form (M-step) estimates of the AR residual's parameters from residuals
    ``(N, T)`` and scale features ``(N, T, 12)``: the marginal log-variance ``b + wᵀf`` by
    Gaussian maximum likelihood (convex, Newton steps), the partial autocorrelations of the
    scaled residual ``u = e / s`` by Durbin-Levinson on its pooled sample autocorrelations,
    then ``b`` set so that the exact likelihood is maximal in the common scale.

    Returns
    -------
    (bias, weights, pacf)
    """
    e = np.asarray(residual, dtype="float64")
    f = np.asarray(features, dtype="float64").reshape(-1, features.shape[-1])
    design = np.hstack([np.ones((len(f), 1)), f])
    r = np.square(e).ravel()
    beta = np.zeros(design.shape[1])
    beta[0] = np.log(np.mean(r))
    ridge = 1e-9 * np.eye(design.shape[1])

    def objective(b):
        g = np.clip(design @ b, -30, 30)
        return float(np.sum(g + r * np.exp(-g)))

    for _ in range(iterations):  # Newton on Σ [g + e² e^{−g}], g = b + wᵀf, with backtracking
        h = r * np.exp(-np.clip(design @ beta, -30, 30))
        step = np.linalg.solve((design * h[:, None]).T @ design + ridge, design.T @ (1.0 - h))
        before, size = objective(beta), 1.0
        while objective(beta - size * step) > before and size > 1e-4:
            size /= 2
        beta = beta - size * step
        if np.max(np.abs(size * step)) < 1e-8:
            break
    log_s = 0.5 * (design @ beta).reshape(e.shape)
    u = e / np.exp(log_s)
    acov = np.array([np.mean(u[:, k:] * u[:, : u.shape[1] - k]) for k in range(order + 1)])
    from statsmodels.tsa.stattools import levinson_durbin

    _, _, pacf, _, _ = levinson_durbin(acov / acov[0], nlags=order, isacov=True)
    pacf = np.clip(pacf[1:], -0.999, 0.999)
    w, _ = whiten(u, pacf)
    bias = beta[0] + float(np.log(np.mean(np.square(w))))
    return bias, beta[1:], pacf


def fit_innovations(residual: np.ndarray, features: np.ndarray, bias, weights, pacf) -> np.ndarray:
    """The ``(4, 13)`` Johnson SU coefficients of the innovations (maximum likelihood,
    :func:`seasonal_vae.model.latent_marginals.fit_one`) from residuals ``(N, T)`` and the
    scale's features ``(N, T, 12)``, whitened with the fitted AR residual's ``bias``,
    ``weights`` and ``pacf`` (:func:`fit`)."""
    e = np.asarray(residual, dtype="float64")
    f = np.asarray(features, dtype="float64")
    u = e / np.exp(np.asarray(log_scale(bias, weights, f), dtype="float64"))
    w, _ = whiten(u, np.asarray(pacf, dtype="float64"))
    g = np.asarray(innovation_design(f), dtype="float64").reshape(-1, N_INNOVATION_COEFFICIENTS)
    return latent_marginals.fit_one(np.asarray(w).ravel(), g).astype("float32")
