"""The simple gap fills that the VAE's gap filling is scored against (°F, rows of windows).

* :func:`linear_fill` (method ``linear``): linear interpolation between the last hour before
  the gap and the first hour after;
* :func:`climatology_fill` (method ``climatology``): the training years' month × hour mean
  (climatology plus diurnal profile), shifted to match the observed neighbours: the mean
  anomaly of the 24 observed hours before the gap and of the 24 after, interpolated linearly
  across the gap.

Both are deterministic, so their CRPS equals their mean absolute error
(:func:`seasonal_vae.applications.impute.score_imputation` scores them so).
"""

from __future__ import annotations

import numpy as np

from seasonal_vae.core.runs import run_pairs
from seasonal_vae.model.record import interpolate_gaps


def linear_fill(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Rows with unobserved values interpolated linearly between observed ones (°F)."""
    return np.where(mask, values, interpolate_gaps(values, mask))


def climatology_fill(
    values: np.ndarray, mask: np.ndarray, clim: np.ndarray, neighbour_hours: int = 24
) -> np.ndarray:
    """Climatology plus diurnal profile, shifted to the anomaly of the observed neighbours.

    Parameters
    ----------
    values, mask
        ``(N, T)`` series (°F) and observation mask.
    clim
        ``(N, T)`` climatological mean (month × hour) at the same hours.
    neighbour_hours
        The anomaly on each side is the mean over this many observed hours next to the gap;
        across the gap it is interpolated linearly (a side without data takes the other's).
    """
    values, mask = np.asarray(values, float), np.asarray(mask, bool)
    out = np.where(mask, values, clim)
    anomaly = values - clim
    for i in range(values.shape[0]):
        for start, stop in run_pairs(~mask[i]):
            sides = []
            for lo, hi in (
                (max(0, start - neighbour_hours), start),
                (stop, min(values.shape[1], stop + neighbour_hours)),
            ):
                seen = mask[i, lo:hi]
                sides.append(anomaly[i, lo:hi][seen].mean() if seen.any() else np.nan)
            left, right = sides
            if np.isnan(left) and np.isnan(right):
                left = right = 0.0
            left = right if np.isnan(left) else left
            right = left if np.isnan(right) else right
            w = np.arange(1, stop - start + 1) / (stop - start + 1)
            out[i, start:stop] = clim[i, start:stop] + left + (right - left) * w
    return out
