"""Numbers of figure ``diurnal``: the mean diurnal cycle, real vs generated, overall and per month.

Mean and standard deviation per local hour of day, over the whole year and per calendar
month, and the month × hour maps of generated − real. Drawn by
:mod:`seasonal_vae.figures.draw.diurnal`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.figures.compute.calendar_stats import grouped_moments, moments_to_mean_std
from seasonal_vae.figures.compute.generated import as_2d, load_pair, provenance


def diurnal_data(real: xr.DataArray, generated: xr.DataArray) -> xr.Dataset:
    """Mean (and std) per local hour of day, overall and per calendar month, real vs generated.

    Parameters
    ----------
    real
        Hourly series along ``time`` (local standard time).
    generated
        ``(path, time)``, on the same hours as ``real``.

    Returns
    -------
    xarray.Dataset
        ``{real,generated}_mean`` and ``_std`` on ``(month, hour)``; ``path_mean`` on
        ``(path, month, hour)``; ``{real,generated}_hour_mean`` on ``hour`` and
        ``path_hour_mean`` on ``(path, hour)``; and ``difference_mean``,
        ``difference_std`` = generated − real on ``(month, hour)``. ``generated`` pools all
        paths; ``std`` is the standard deviation of the hourly values in each cell.
    """
    index = pd.DatetimeIndex(real["time"].values)
    month, hour = index.month.to_numpy(), index.hour.to_numpy()
    cell = (month - 1) * 24 + hour
    r, g = real.values[None, :], as_2d(generated)
    centre = float(np.nanmean(r))

    def cells(values, key, n, pool):
        moments = grouped_moments(values, key, n, centre)
        if pool:
            moments = tuple(a.sum(axis=0, keepdims=True) for a in moments)
        return moments_to_mean_std(*moments, centre)

    r_mean, r_std = (a[0].reshape(12, 24) for a in cells(r, cell, 288, False))
    g_mean, g_std = (a[0].reshape(12, 24) for a in cells(g, cell, 288, True))
    p_mean = cells(g, cell, 288, False)[0].reshape(-1, 12, 24)
    mh, h = ("month", "hour"), "hour"
    return xr.Dataset(
        {
            "real_mean": (mh, r_mean),
            "real_std": (mh, r_std),
            "generated_mean": (mh, g_mean),
            "generated_std": (mh, g_std),
            "path_mean": (("path",) + mh, p_mean),
            "difference_mean": (mh, g_mean - r_mean),
            "difference_std": (mh, g_std - r_std),
            "real_hour_mean": (h, cells(r, hour, 24, False)[0][0]),
            "generated_hour_mean": (h, cells(g, hour, 24, True)[0][0]),
            "path_hour_mean": (("path", h), cells(g, hour, 24, False)[0]),
        },
        coords={"month": np.arange(1, 13), "hour": np.arange(24), "path": generated["path"].values},
        attrs={"units": "degF", "time": "local standard time"},
    )


def compute(paths: Mapping[str, Path], cfg: dict) -> xr.Dataset:
    """Figure ``diurnal``: reads ``series`` and ``samples``."""
    real, generated, attrs = load_pair(paths)
    ds = diurnal_data(real, generated)
    ds.attrs.update(provenance(attrs, paths["samples"], generated.sizes["path"]))
    ds.attrs["utc_offset_hours"] = float(cfg["site"]["utc_offset_hours"])
    return ds
