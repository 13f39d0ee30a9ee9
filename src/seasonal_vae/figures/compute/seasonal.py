"""Numbers of figure ``seasonal``: the seasonal cycle of real vs generated hourly temperature.

Monthly and day-of-year (31-day circular running window) mean and spread, real vs generated,
the generated − real differences per path, and the real even-minus-odd years as a noise floor
for them. Drawn by :mod:`seasonal_vae.figures.draw.seasonal`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.core.calendar import day_of_year_365
from seasonal_vae.figures.compute.calendar_stats import (
    BAND,
    DAYS,
    SMOOTHING_DAYS,
    circular_smooth,
    grouped_moments,
    moments_to_mean_std,
)
from seasonal_vae.figures.compute.generated import as_2d, load_pair, provenance


def _monthly_spread(values: np.ndarray, month: np.ndarray, band=BAND) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles ``band`` of all valid values (pooled over rows) of each calendar month: (12,) each."""
    low, high = np.full(12, np.nan), np.full(12, np.nan)
    for m in range(12):
        pooled = values[:, month == m + 1].ravel()
        pooled = pooled[np.isfinite(pooled)]
        if pooled.size:
            low[m], high[m] = np.quantile(pooled, band)
    return low, high


def seasonal_data(
    real: xr.DataArray, generated: xr.DataArray, window: int = SMOOTHING_DAYS, band: Sequence[float] = BAND
) -> xr.Dataset:
    """Monthly and smoothed day-of-year mean and spread of the real series and the generated paths.

    Parameters
    ----------
    real
        Hourly series along ``time``.
    generated
        ``(path, time)``, on the same hours as ``real`` (see
        :func:`~seasonal_vae.figures.compute.generated.align`).
    window
        Width in days of the circular running window over the calendar.
    band
        Lower and upper quantile of the hourly values drawn as each month's spread.

    Returns
    -------
    xarray.Dataset
        Per ``month`` (1–12): ``{real,generated}_monthly_{mean,std,low,high}`` (``low``/``high``:
        the ``band`` quantiles of the hourly values); per ``path`` and ``month``:
        ``path_monthly_{mean,std}``. Per ``day`` (1–365, 29 Feb counted as 28 Feb):
        ``{real,generated}_daily_{mean,std}`` and ``path_daily_{mean,std}``: mean and standard
        deviation of the hourly values in the ``window`` days centred on each day. ``generated``
        pools all paths. ``floor_daily_{mean,std}``: the same statistics of the real even
        years minus those of the real odd years, a noise floor for the generated − real
        differences.
    """
    times = real["time"].values
    month = pd.DatetimeIndex(times).month.to_numpy()
    doy = day_of_year_365(times)
    r, g = real.values[None, :], as_2d(generated)
    centre = float(np.nanmean(r))
    out = {}
    for name, values, pool in (("real", r, False), ("path", g, False), ("generated", g, True)):
        m_moments = grouped_moments(values, month - 1, 12, centre)
        d_moments = grouped_moments(values, doy, DAYS, centre)
        if pool:
            m_moments = tuple(a.sum(axis=0, keepdims=True) for a in m_moments)
            d_moments = tuple(a.sum(axis=0, keepdims=True) for a in d_moments)
        m_mean, m_std = moments_to_mean_std(*m_moments, centre)
        d_mean, d_std = moments_to_mean_std(*(circular_smooth(a, window) for a in d_moments), centre)
        if name == "path":
            out.update(
                {
                    "path_monthly_mean": (("path", "month"), m_mean),
                    "path_monthly_std": (("path", "month"), m_std),
                    "path_daily_mean": (("path", "day"), d_mean),
                    "path_daily_std": (("path", "day"), d_std),
                }
            )
            continue
        low, high = _monthly_spread(values, month, band)
        out.update(
            {
                f"{name}_monthly_mean": ("month", m_mean[0]),
                f"{name}_monthly_std": ("month", m_std[0]),
                f"{name}_monthly_low": ("month", low),
                f"{name}_monthly_high": ("month", high),
                f"{name}_daily_mean": ("day", d_mean[0]),
                f"{name}_daily_std": ("day", d_std[0]),
            }
        )
    # The noise floor: the same statistics for the real even years minus the real odd years.
    even = pd.DatetimeIndex(times).year.to_numpy() % 2 == 0
    halves = np.stack([np.where(even, r[0], np.nan), np.where(~even, r[0], np.nan)])
    h_mean, h_std = moments_to_mean_std(
        *(circular_smooth(a, window) for a in grouped_moments(halves, doy, DAYS, centre)), centre
    )
    out.update(
        {"floor_daily_mean": ("day", h_mean[0] - h_mean[1]), "floor_daily_std": ("day", h_std[0] - h_std[1])}
    )
    return xr.Dataset(
        out,
        coords={"month": np.arange(1, 13), "day": np.arange(1, DAYS + 1), "path": generated["path"].values},
        attrs={
            "units": "degF",
            "window_days": int(window),
            "band_low": float(band[0]),
            "band_high": float(band[1]),
        },
    )


def compute(paths: Mapping[str, Path], cfg: dict) -> xr.Dataset:
    """Figure ``seasonal``: reads ``series`` and ``samples``."""
    real, generated, attrs = load_pair(paths)
    ds = seasonal_data(real, generated)
    ds.attrs.update(provenance(attrs, paths["samples"], generated.sizes["path"]))
    return ds
