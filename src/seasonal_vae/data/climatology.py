"""The month × hour climatology: mean and standard deviation per calendar month and local hour.

One table of 12 × 24 cells serves two stages: the applications' baselines take the training
years' climate from it (gap filling, the z-score anomaly detector, with ``ddof=0``), and the
metric suite compares the grids of two sets of years (``ddof=1``). Both read it from
:func:`month_hour_climatology`; :func:`lookup` reads a table back at given timestamps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def month_hour_climatology(times, values, ddof: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of ``values`` per (calendar month, local hour).

    Parameters
    ----------
    times
        Timestamps in local standard time (anything :class:`pandas.DatetimeIndex` accepts).
    values
        The values at ``times``, same length; NaN values are left out of their cell.
    ddof
        Delta degrees of freedom of the standard deviation (0: the population std, 1: the
        sample std); each caller states its own.

    Returns
    -------
    mean, std : numpy.ndarray
        Shape ``(12, 24)``; row ``m − 1`` is month ``m``, column ``h`` the local hour ``h``;
        NaN for a cell without values.
    """
    index = pd.DatetimeIndex(times)
    grouped = pd.Series(values, index=index).groupby([index.month, index.hour])
    full = pd.MultiIndex.from_product([range(1, 13), range(24)])
    mean = grouped.mean().reindex(full).to_numpy().reshape(12, 24)
    std = grouped.std(ddof=ddof).reindex(full).to_numpy().reshape(12, 24)
    return mean, std


def lookup(table: np.ndarray, times) -> np.ndarray:
    """Values of a ``(12, 24)`` month × hour table at ``times`` (any shape of datetime64)."""
    times = np.asarray(times, dtype="datetime64[ns]")
    idx = pd.DatetimeIndex(times.ravel())
    return table[idx.month - 1, idx.hour].reshape(times.shape)
