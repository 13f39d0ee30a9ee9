"""Calendar arithmetic: time of year as an angle, decimal years, Fourier features, the 365-day
calendar day and a gap-free time axis.

All functions take timestamps in the site's local standard time (naive ``datetime64``).
Leap years are handled exactly: the fraction of the year is measured against the length of
*that* calendar year (365 or 366 days), so θ runs from 0 at 1 January 00:00 to just under
2π at 31 December 23:59 in every year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

HOURS_PER_LATENT_STEP = 96
#: Local hour at which training windows, and so every latent step, begin. A latent step spans
#: four whole days, so the diurnal cycle keeps one phase within the latent grid.
WINDOW_START_HOUR = 0


def _as_index(times) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(np.atleast_1d(np.asarray(times, dtype="datetime64[ns]")))
    if idx.tz is not None:  # pragma: no cover - naive by construction above
        raise ValueError("timestamps must be naive local standard time")
    return idx


def year_fraction(times) -> np.ndarray:
    """Fraction of the calendar year elapsed at each timestamp, in [0, 1)."""
    now = _as_index(times).to_numpy().astype("datetime64[ns]")
    year = now.astype("datetime64[Y]")
    start = year.astype("datetime64[ns]")
    length = (year + 1).astype("datetime64[ns]") - start
    return (now - start).astype("int64") / length.astype("int64")


def decimal_year(times) -> np.ndarray:
    """Calendar year plus :func:`year_fraction` (2024.0 is 1 January 2024, 00:00)."""
    return _as_index(times).year.to_numpy() + year_fraction(times)


def theta(times) -> np.ndarray:
    """Time of year as an angle: θ = 2π · year_fraction, 0 at 1 January 00:00."""
    return 2.0 * np.pi * year_fraction(times)


def fourier_features(theta_values, degree: int = 3) -> np.ndarray:
    """``[sin θ, cos θ, sin 2θ, cos 2θ, …]`` along a new last axis of length ``2·degree``."""
    th = np.asarray(theta_values, dtype="float64")[..., None]
    orders = np.arange(1, degree + 1, dtype="float64")
    feats = np.empty(th.shape[:-1] + (2 * degree,), dtype="float64")
    feats[..., 0::2] = np.sin(orders * th)
    feats[..., 1::2] = np.cos(orders * th)
    return feats


def latent_step_times(
    start, n_steps: int, hours_per_step: int = HOURS_PER_LATENT_STEP, anchor: str = "centre"
) -> np.ndarray:
    """Timestamps that stand for each latent step of a series starting at ``start``.

    A latent step covers ``hours_per_step`` hourly values. With ``anchor='centre'`` (the
    package default) a step is represented by the middle of its block, i.e. ``start +
    (i + 0.5)·hours_per_step`` hours; with ``anchor='start'`` by its first hour.
    """
    offsets = {"centre": 0.5, "start": 0.0}
    if anchor not in offsets:
        raise ValueError(f"anchor must be 'centre' or 'start', not {anchor!r}")
    start = np.datetime64(pd.Timestamp(start).to_datetime64(), "ns")
    hours = (np.arange(n_steps) + offsets[anchor]) * hours_per_step
    return start + (hours * 3600e9).astype("timedelta64[ns]")


def seasonal_features(
    starts, n_steps: int, degree: int = 3, hours_per_step: int = HOURS_PER_LATENT_STEP, anchor: str = "centre"
) -> np.ndarray:
    """Fourier features of θ for windows beginning at ``starts``: shape ``(N, n_steps, 2·degree)``.

    Computed for all windows' latent-step times at once (training redraws its windows, and
    so these features, every epoch).
    """
    starts = np.atleast_1d(np.asarray(starts, dtype="datetime64[ns]"))
    origin = np.datetime64(0, "ns")
    steps = latent_step_times(origin, n_steps, hours_per_step, anchor) - origin
    times = (starts[:, None] + steps[None, :]).ravel()
    feats = fourier_features(theta(times), degree) if times.size else np.empty((0, 2 * degree))
    return feats.reshape(len(starts), n_steps, 2 * degree).astype("float32")


def day_of_year_365(times) -> np.ndarray:
    """0-based day of a 365-day year; 29 February counts as 28 February.

    Parameters
    ----------
    times
        Timestamps (anything :class:`pandas.DatetimeIndex` accepts).

    Returns
    -------
    numpy.ndarray
        Integers 0–364; 1 March is day 59 in every year.
    """
    index = pd.DatetimeIndex(times)
    doy = index.day_of_year.to_numpy() - 1
    return doy - (index.is_leap_year & (doy >= 59)).astype(int)


def gap_free(da: xr.DataArray, freq: str = "h") -> xr.DataArray:
    """``da`` on a gap-free ``time`` axis from its first to its last timestamp, step ``freq``
    (absent timestamps become NaN), so that neighbours in the array are neighbours in time."""
    index = da.indexes["time"]
    full = pd.date_range(index[0], index[-1], freq=freq)
    if len(full) == len(index) and full.equals(index):
        return da
    return da.reindex(time=full)
