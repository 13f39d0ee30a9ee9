"""The block bootstrap of whole years, and the calendar mapping of one year onto another.

:func:`bootstrap_years`, one of the two baselines of :mod:`seasonal_vae.model.baselines`: each
generated calendar year is a whole training year (one of :func:`complete_years`) drawn at
random (with replacement, seeded), its detrended values put on the target year's calendar
(:func:`map_years`: same month, day and hour; a target 29 February repeats the source year's
28 February when the source year has none, and a source 29 February is dropped when the target
year has none); :mod:`seasonal_vae.model.baselines` then shifts them into the target dates'
climate. It is real weather, so it is a ceiling for most statistics, but it can only repeat
the years it saw.

The evaluation's noise floor puts real years on other years' dates with the same
:func:`map_years` (:func:`seasonal_vae.evaluation.years.mapped_set`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr


# --------------------------------------------------------------------------------------------
# Calendar mapping
# --------------------------------------------------------------------------------------------
def map_years(source: xr.DataArray, target_times, year_of_target: dict[int, int]) -> xr.DataArray:
    """Put whole source years on target years' calendars.

    Each target timestamp takes the source value at the same month, day and hour of the
    source year ``year_of_target[target_year]``. A target 29 February takes the source's
    28 February when the source year is not a leap year; a source 29 February is never used
    by a non-leap target year. Target hours whose source hour is absent (or NaN) are NaN.

    Parameters
    ----------
    source
        Hourly series along ``time`` (local standard time), e.g. the detrended record.
    target_times
        The timestamps to fill.
    year_of_target
        For every calendar year among ``target_times``, the source year to copy.

    Returns
    -------
    xarray.DataArray
        Float64 values on ``target_times``, with the source's attributes.
    """
    target = pd.DatetimeIndex(np.asarray(target_times, dtype="datetime64[ns]"))
    missing = sorted(set(target.year) - set(year_of_target))
    if missing:
        raise ValueError(f"no source year given for target years {missing}")
    src_year = np.array([year_of_target[y] for y in target.year], dtype="int64")
    month, day = target.month.to_numpy(), target.day.to_numpy()
    src_leap = pd.DatetimeIndex(pd.to_datetime({"year": src_year, "month": 1, "day": 1})).is_leap_year
    day = np.where((month == 2) & (day == 29) & ~np.asarray(src_leap), 28, day)
    src_times = pd.to_datetime(
        {
            "year": src_year,
            "month": month,
            "day": day,
            "hour": target.hour.to_numpy(),
            "minute": target.minute.to_numpy(),
        }
    )
    values = source.astype("float64").to_series().reindex(pd.DatetimeIndex(src_times)).to_numpy()
    return xr.DataArray(
        values, dims="time", coords={"time": target.values}, name=source.name, attrs=dict(source.attrs)
    )


# --------------------------------------------------------------------------------------------
# Block bootstrap of whole years
# --------------------------------------------------------------------------------------------
def complete_years(da: xr.DataArray, years) -> list[int]:
    """Those of ``years`` for which ``da`` has a valid value at every local hour."""
    index = da.dropna("time")["time"].to_index()
    counts = pd.Series(1, index=index).groupby(index.year).sum()
    full = [
        y
        for y in years
        if counts.get(y, 0) == (366 if pd.Timestamp(year=y, month=1, day=1).is_leap_year else 365) * 24
    ]
    return full


def bootstrap_years(
    detrended: xr.DataArray, source_years, target_times, n_paths: int = 1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Draw whole source years for each calendar year among ``target_times``.

    Parameters
    ----------
    detrended
        Hourly detrended record (reference-year climate).
    source_years
        Years to draw from (the training years).
    target_times
        Timestamps to fill (e.g. the whole record).
    n_paths
        Independent bootstrap paths.
    seed
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    tuple
        Values ``(n_paths, len(target_times))`` in the reference-year climate, and the drawn
        source years ``(n_paths, n_target_years)``, in the order of the target years.
    """
    source_years = np.asarray(sorted(source_years), dtype="int64")
    if source_years.size == 0:
        raise ValueError("no source years to draw from")
    target_years = np.unique(pd.DatetimeIndex(target_times).year)
    rng = np.random.default_rng(seed)
    drawn = rng.choice(source_years, size=(n_paths, target_years.size), replace=True)
    out = np.empty((n_paths, len(target_times)))
    for i in range(n_paths):
        mapping = dict(zip(target_years.tolist(), drawn[i].tolist()))
        out[i] = map_years(detrended, target_times, mapping).values
    return out, drawn
