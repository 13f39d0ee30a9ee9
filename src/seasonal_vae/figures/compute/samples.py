"""Numbers of figure ``samples``: a year of daily means and weeks of hourly values, real vs generated.

Drawn by :mod:`seasonal_vae.figures.draw.samples`.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.core.errors import InputError
from seasonal_vae.evaluation.statistics import daily_means
from seasonal_vae.figures.compute.generated import as_2d, load_pair, provenance


def latest_complete_year(da: xr.DataArray) -> int:
    """The last calendar year in which every hour of every day is valid.

    Raises
    ------
    ValueError
        If there is no such year.
    """
    index = pd.DatetimeIndex(da["time"].values)
    valid = pd.Series(np.isfinite(da.values), index=index).groupby(index.year).sum()
    full = [int(y) for y, n in valid.items() if n == (366 if calendar.isleap(int(y)) else 365) * 24]
    if not full:
        raise ValueError("no calendar year of the series is complete")
    return full[-1]


def samples_data(
    real: xr.DataArray,
    generated: xr.DataArray,
    year: int | None = None,
    weeks: int = 3,
    window_starts: Sequence[str] | None = None,
) -> xr.Dataset:
    """One year of hourly values and daily means, real vs each generated path.

    Parameters
    ----------
    real
        Hourly series along ``time``.
    generated
        ``(path, time)``, on the same hours as ``real``.
    year
        The year shown; default :func:`latest_complete_year` of ``real``.
    weeks
        Length of each window of hourly values, in weeks.
    window_starts
        First day of each hourly window (within ``year``); default: 1 July and the day that
        makes the last window end with the year.

    Returns
    -------
    xarray.Dataset
        ``real_hourly`` (``time``), ``generated_hourly`` (``path``, ``time``), ``real_daily``
        (``day``), ``generated_daily`` (``path``, ``day``) and ``window_start`` (``window``).
    """
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, not {weeks}")
    year = latest_complete_year(real) if year is None else int(year)
    span = slice(f"{year}-01-01", f"{year}-12-31 23:00")
    r, g = real.sel(time=span), generated.sel(time=span)
    if r.sizes["time"] == 0:
        raise ValueError(f"the series has no hour in {year}")
    if window_starts is None:
        end = pd.Timestamp(f"{year + 1}-01-01")
        window_starts = [f"{year}-07-01", str((end - pd.Timedelta(weeks=weeks)).date())]
    starts = pd.DatetimeIndex(window_starts)
    if (starts.year != year).any():
        raise ValueError(f"every window must start in {year}, not {list(window_starts)}")
    daily_real = daily_means(r)
    daily_gen = xr.concat(
        [daily_means(g.isel(path=i, drop=True)) for i in range(g.sizes["path"])], dim="path"
    )
    return xr.Dataset(
        {
            "real_hourly": ("time", r.values),
            "generated_hourly": (("path", "time"), as_2d(g)),
            "real_daily": ("day", daily_real.values),
            "generated_daily": (("path", "day"), daily_gen.values),
            "window_start": ("window", starts.values),
        },
        coords={"time": r["time"].values, "day": daily_real["time"].values, "path": g["path"].values},
        attrs={"units": "degF", "year": int(year), "weeks": int(weeks)},
    )


def compute(paths: Mapping[str, Path], cfg: dict) -> xr.Dataset:
    """Figure ``samples``: reads ``series`` and ``samples``."""
    real, generated, attrs = load_pair(paths)
    try:
        ds = samples_data(real, generated, weeks=cfg["figures"]["comparison_weeks"])
    except ValueError as exc:
        raise InputError(paths["series"], str(exc), "give a series with a complete calendar year") from exc
    ds.attrs.update(provenance(attrs, paths["samples"], generated.sizes["path"]))
    return ds
