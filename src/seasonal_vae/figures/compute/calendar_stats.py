"""Statistics per calendar cell (month, day of the year, hour): grouped moments and smoothing.

:func:`grouped_moments` sums the valid values of each group (a calendar month, a day of the
365-day calendar, a month × hour cell) of one or many series at once;
:func:`moments_to_mean_std` turns the sums into means and standard deviations, so that sums
can first be pooled over paths or smoothed along the calendar with :func:`circular_smooth`
(a running mean over a circular axis: 31 December neighbours 1 January).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

#: Days in the calendar used for day-of-year statistics (29 February joins 28 February).
DAYS = 365
#: Default width, in days, of the circular running window over the calendar.
SMOOTHING_DAYS = 31
#: Quantiles drawn as the "spread" bands (5 % and 95 %).
BAND = (0.05, 0.95)


def grouped_moments(
    values: np.ndarray, key: np.ndarray, n_groups: int, centre: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count, sum and sum of squares of the valid values in each group.

    Parameters
    ----------
    values
        ``(n_series, n_time)`` values; NaN are skipped.
    key
        ``(n_time,)`` group of each time step, integers in ``[0, n_groups)``.
    n_groups
        Number of groups.
    centre
        Subtracted before summing, to keep the sums of squares well conditioned.

    Returns
    -------
    tuple of numpy.ndarray
        Each ``(n_series, n_groups)``.
    """
    values = np.atleast_2d(values) - centre
    valid = np.isfinite(values)
    clean = np.where(valid, values, 0.0)
    counts = np.stack([np.bincount(key, weights=v, minlength=n_groups) for v in valid.astype(float)])
    sums = np.stack([np.bincount(key, weights=v, minlength=n_groups) for v in clean])
    squares = np.stack([np.bincount(key, weights=v * v, minlength=n_groups) for v in clean])
    return counts, sums, squares


def moments_to_mean_std(counts, sums, squares, centre: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation from :func:`grouped_moments`; NaN where a group is empty.

    The standard deviation is that of the values themselves (``ddof=0``), so that pooling
    identical copies of a series leaves it unchanged.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / counts
        var = squares / counts - mean * mean
    valid = counts > 0
    return (np.where(valid, mean + centre, np.nan), np.where(valid, np.sqrt(np.clip(var, 0.0, None)), np.nan))


def circular_smooth(a: np.ndarray, window: int, axis: int = -1) -> np.ndarray:
    """Running mean over a ``window``-long stretch of a circular axis (the calendar)."""
    if window < 1 or window % 2 == 0:
        raise ValueError(f"the smoothing window must be a positive odd number of days, not {window}")
    return uniform_filter1d(np.asarray(a, dtype="float64"), size=window, axis=axis, mode="wrap")
