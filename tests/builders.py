"""What the tests build from scratch: synthetic series, CDS-like files and the check of a refusal.

One home each, so that every test reads the same synthetic weather and writes the same kind
of raw file (``from builders import hourly, year_file``: the tests folder is on the import
path through its conftest).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from scipy.signal import lfilter

# --------------------------------------------------------------------------- time axes and series


def hours(start, n: int, step: int = 1) -> np.ndarray:
    """``n`` timestamps from ``start``, ``step`` hours apart, as ``datetime64[ns]``."""
    return pd.date_range(start, periods=n, freq=f"{step}h").to_numpy()


def year_times(year: int, step: int = 1) -> np.ndarray:
    """Every ``step``-th hour of calendar year ``year`` (8760 or 8784 hours for step 1)."""
    return pd.date_range(f"{year}-01-01", f"{year}-12-31 23:00", freq=f"{step}h").to_numpy()


def hourly(values, start="2001-01-01") -> xr.DataArray:
    """``values`` as an hourly DataArray along ``time`` from ``start``."""
    times = pd.date_range(start, periods=len(values), freq="h")
    return xr.DataArray(np.asarray(values, dtype="float64"), dims="time", coords={"time": times})


def whole_years(years, values=None) -> xr.DataArray:
    """Hourly ``t2m`` over whole calendar years; ``values(times)`` gives the values (default 0)."""
    t = pd.date_range(f"{years[0]}-01-01", f"{years[-1]}-12-31T23:00", freq="h")
    v = np.zeros(len(t)) if values is None else np.asarray(values(t), dtype=float)
    return xr.DataArray(v, dims="time", coords={"time": t}, name="t2m")


def ar1(phi: float, n: int, seed: int = 0, sigma: float = 1.0) -> np.ndarray:
    """A stationary AR(1) series x[t] = phi x[t-1] + e[t], e ~ N(0, sigma²) (after a burn-in)."""
    e = np.random.default_rng(seed).normal(0.0, sigma, n + 2000)
    return lfilter([1.0], [1.0, -phi], e)[2000:]


def seasonal_weather(times, seed: int, warm: float = 0.0) -> np.ndarray:
    """Hourly °F: seasonal and diurnal cycles plus AR(1) weather (phi 0.98, innovations 0.6 °F)."""
    yf = (times.day_of_year.to_numpy() - 1) / 365.25
    cycle = 75 - 20 * np.cos(2 * np.pi * yf) - 11 * np.cos(2 * np.pi * (times.hour.to_numpy() - 4) / 24)
    return cycle + ar1(0.98, len(times), seed, sigma=0.6) + warm


def kelvin(times) -> np.ndarray:
    """A Phoenix-like temperature in kelvin: seasonal and diurnal cycles, no noise."""
    t = pd.DatetimeIndex(times)
    day = (t.day_of_year.to_numpy() - 1) + t.hour.to_numpy() / 24
    return (
        296.0
        - 10.0 * np.cos(2 * np.pi * (day - 15) / 365.25)
        - 7.0 * np.cos(2 * np.pi * (t.hour.to_numpy() - 4) / 24)
    )


# --------------------------------------------------------------------------- raw files


def write_cds_file(
    path,
    times,
    values,
    *,
    time_name="valid_time",
    units="K",
    variable="t2m",
    lats=(33.5,),
    lons=(-112.0,),
    fmt="NETCDF4",
    extra_coords=True,
):
    """Write a file laid out like a CDS ERA5 response: ``t2m(valid_time, latitude, longitude)``.

    ``values`` has one entry per time (repeated over the grid points); time is stored as
    int64 seconds since 1970 as the CDS does.
    """
    times = np.asarray(times, dtype="datetime64[ns]")
    values = np.asarray(values, dtype="float64")
    data = np.broadcast_to(values[:, None, None], (times.size, len(lats), len(lons))).copy()
    attrs = {"long_name": "2 metre temperature"}
    if units is not None:
        attrs["units"] = units
    coords = {time_name: times, "latitude": list(lats), "longitude": list(lons)}
    if extra_coords:
        coords["number"] = 0
        coords["expver"] = (time_name, np.full(times.size, "0001"))
    ds = xr.Dataset(
        {variable: ((time_name, "latitude", "longitude"), data, attrs)},
        coords=coords,
        attrs={
            "title": "ERA5 test file",
            "source": "unit test",
            "institution": "nowhere",
            "history": "made by write_cds_file",
        },
    )
    encoding = {
        time_name: {"units": "seconds since 1970-01-01", "dtype": "int64", "calendar": "proleptic_gregorian"}
    }
    ds.to_netcdf(path, format=fmt, engine="netcdf4", encoding=encoding)
    return Path(path)


def year_file(folder: Path, year: int, values=None, *, convert=None, drop=(), step=1, **kwargs) -> Path:
    """One CDS-like year file ``era5_t2m_<year>.nc`` in ``folder``: every ``step``-th hour of
    ``year`` minus the hours at the indices ``drop`` (a list or a slice: a gap); the values are
    ``values`` or :func:`kelvin` of the hours, passed through ``convert`` (another unit);
    ``kwargs`` go to :func:`write_cds_file` (``units``, ``variable``, ``fmt``, ...)."""
    times = year_times(year, step)
    values = kelvin(times) if values is None else np.asarray(values, dtype="float64")
    if convert is not None:
        values = convert(values)
    keep = np.ones(times.size, dtype=bool)
    keep[drop if isinstance(drop, slice) else list(drop)] = False
    return write_cds_file(Path(folder) / f"era5_t2m_{year}.nc", times[keep], values[keep], **kwargs)


# --------------------------------------------------------------------------- refusals


def assert_refused(status: int, text: str, out: Path, *words: str) -> None:
    """Exit 2, the words (file name, problem) and a fix in the message, nothing written."""
    assert status == 2, text
    for word in words:
        assert word in text, f"{word!r} not in:\n{text}"
    assert "How to fix" in text
    assert "Traceback" not in text
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.stem}.")], (
        "a temporary file was left behind"
    )


def extended_vae(latent_dim: int = 3, noise_order: int = 2, latent_memory: str = "ar1", **kwargs):
    """A small untrained extended model: centred prior, AR(``noise_order``) residual, latent
    memory ``ar1`` (or ``var1``) (TensorFlow is imported only by the tests that build one)."""
    from seasonal_vae.model.vae import SeasonalVAE

    return SeasonalVAE(
        filters=8,
        latent_dim=latent_dim,
        prior="centred",
        noise="ar",
        noise_order=noise_order,
        latent_memory=latent_memory,
        data_mean=75.0,
        data_std=18.0,
        seed=0,
        **kwargs,
    )
