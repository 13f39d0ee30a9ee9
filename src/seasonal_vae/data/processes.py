"""Linear recursions the surrogate record is built from: relaxation and red noise.

:func:`relax` is the exact solution of a relaxation towards a piecewise-constant forcing (a
first-order recursive filter), :func:`relax_varying` the same with a time-varying decay,
solved for a whole record at once by a blocked scan; :func:`unit_ou` and
:func:`unit_smooth_ou` are hourly unit-variance Ornstein–Uhlenbeck processes (the latter
relaxed through a second time scale). The weather and the energy balance of
:mod:`seasonal_vae.data.surrogate` are made of them.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter


def relax(forcing: np.ndarray, step: float, timescale: float, initial: float) -> np.ndarray:
    """Exact solution of ``dy/dt = (forcing − y) / timescale`` for piecewise-constant forcing.

    ``y[k] = a·y[k−1] + (1 − a)·forcing[k]`` with ``a = exp(−step / timescale)`` and
    ``y[−1] = initial``; ``y[k]`` is the state at the end of step ``k``.
    """
    a = np.exp(-step / timescale)
    return lfilter([1.0 - a], [1.0, -a], forcing, zi=[a * initial])[0]


def relax_varying(decay: np.ndarray, forcing: np.ndarray, initial: float, block: int) -> np.ndarray:
    """Solve ``y[k] = decay[k]·y[k−1] + (1 − decay[k])·forcing[k]`` with ``y[−1] = initial``.

    A blocked scan: within each block of ``block`` steps the recurrence is solved in closed
    form with cumulative products (``y = P·cumsum((1 − decay)·forcing / P)`` plus the carried
    state times ``P``, ``P = cumprod(decay)``), and only the state at block ends is carried
    over in a loop. ``len(decay)`` must be a multiple of ``block``; ``block`` must be short
    enough that ``P`` does not underflow (a day of sub-steps is).
    """
    growth = np.cumprod(decay.reshape(-1, block), axis=1)
    local = growth * np.cumsum(((1.0 - decay) * forcing).reshape(-1, block) / growth, axis=1)
    starts = np.empty(len(growth))
    state = initial
    for i in range(len(growth)):
        starts[i] = state
        state = local[i, -1] + growth[i, -1] * state
    return (local + growth * starts[:, None]).ravel()


def unit_ou(rng: np.random.Generator, n: int, timescale_h: float) -> np.ndarray:
    """Hourly Ornstein–Uhlenbeck process, unit variance, started from its stationary law."""
    phi = np.exp(-1.0 / timescale_h)
    shocks = rng.standard_normal(n)
    shocks[1:] *= np.sqrt(1.0 - phi**2)
    return lfilter([1.0], [1.0, -phi], shocks)


def unit_smooth_ou(rng: np.random.Generator, n: int, timescale_h: float, smoothing_h: float) -> np.ndarray:
    """Unit-variance Ornstein–Uhlenbeck process relaxed through a second time scale.

    The hourly process of :func:`unit_ou` (``φ = exp(−1 / timescale_h)``) drives
    ``y[k] = a·y[k−1] + (1 − a)·x[k]`` with ``a = exp(−1 / smoothing_h)``; the result is
    scaled by its stationary standard deviation, ``Var y / Var x = (1 − a)(1 + aφ) /
    ((1 + a)(1 − aφ))``. Its autocorrelation is flat at short lags and falls off faster than
    an exponential at long ones. ``smoothing_h = 0`` returns the plain process.
    """
    driver = unit_ou(rng, n, timescale_h)
    if smoothing_h <= 0.0:
        return driver
    phi, a = np.exp(-1.0 / timescale_h), np.exp(-1.0 / smoothing_h)
    ratio = (1.0 - a) * (1.0 + a * phi) / ((1.0 + a) * (1.0 - a * phi))
    return relax(driver, 1.0, smoothing_h, 0.0) / np.sqrt(ratio)
