"""The layout of a generator's samples file, written by the VAE's sampling and by the baselines.

``results/<dataset>/samples/<prior>.nc`` and ``results/<dataset>/baselines/<method>.nc`` hold
``t2m`` on ``(path, time)`` in °F, local standard time, as CF-1.8 netCDF; every later stage
reads them with :func:`seasonal_vae.core.io.load_samples`. :func:`samples_dataset` gives
generated paths that layout and :func:`write_samples_file` writes it.
"""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from seasonal_vae.core.atomic import atomic_path

#: netCDF encoding of a samples file.
SAMPLES_ENCODING = {"t2m": {"zlib": True, "complevel": 4}}


def samples_dataset(t2m: xr.DataArray, attrs: dict, time_attrs: dict | None = None) -> xr.Dataset:
    """Generated paths ``t2m`` (path, time) as a samples file's dataset.

    ``attrs`` are the global attributes after ``Conventions`` (what generated the paths, with
    which settings); ``time_attrs`` are added to the time axis's own.
    """
    ds = t2m.to_dataset()
    ds["time"].attrs = {"standard_name": "time", "long_name": "local standard time", **(time_attrs or {})}
    ds["path"].attrs = {"long_name": "index of an independent generated path"}
    ds.attrs = {"Conventions": "CF-1.8", **attrs}
    return ds


def write_samples_file(ds: xr.Dataset, path: str | Path) -> None:
    """Write a :func:`samples_dataset` atomically."""
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, encoding=SAMPLES_ENCODING)
