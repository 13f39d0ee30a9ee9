"""Read the per-year ERA5 files the Copernicus Climate Data Store serves.

One file per calendar year (UTC), one grid point, all 24 hours of every day: the request of
D. Kyle (2024), made by :mod:`seasonal_vae.data.cds`. Data citation: Hersbach et al. (2023),
ERA5 hourly data on single levels from 1940 to present, Copernicus Climate Change Service (C3S)
Climate Data Store, DOI 10.24381/cds.adbb2d47.

:func:`open_year_file` turns one raw file -- whatever its exact layout (plain netCDF3 or
netCDF4, or the zip archive newer CDS responses may come in; a time axis called ``time`` or
``valid_time``; units in kelvin, °C or °F) -- into a 1-D hourly series in kelvin on naive UTC
timestamps. Everything downstream (:mod:`seasonal_vae.data.series`) relies on that one shape (as
does :mod:`seasonal_vae.data.station` for station records). The checks that need the config --
the grid point within ``data.max_distance_km`` of the site, and each file holding the year its
name says through ``data.file_pattern`` -- are made in :func:`seasonal_vae.data.series.build_series`
(with :mod:`seasonal_vae.data.raw_checks`).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import xarray as xr

from seasonal_vae.core.errors import InputError
from seasonal_vae.data.units import to_kelvin

LOG = logging.getLogger(__name__)  # the default logger of this module's functions

_MAGIC_ZIP = b"PK\x03\x04"
_MAGIC_HDF5 = b"\x89HDF\r\n\x1a\n"
_MAGIC_NETCDF3 = (b"CDF\x01", b"CDF\x02")
_MAGIC_CDF5 = b"CDF\x05"

_SPATIAL_DIMS = ("latitude", "longitude", "lat", "lon")
_RAW_ATTRS = ("title", "source", "institution", "history")


def file_kind(path: Path) -> str:
    """``"zip"``, ``"netcdf4"``, ``"netcdf3"`` or ``"unknown"``, from the file's magic bytes.

    ``"netcdf4"`` covers HDF5-based netCDF4 and the 64-bit-data CDF5 format, both read by the
    netCDF4 library; ``"netcdf3"`` is the classic and 64-bit-offset formats.
    """
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(_MAGIC_ZIP):
        return "zip"
    if head.startswith(_MAGIC_HDF5) or head[:4] == _MAGIC_CDF5:
        return "netcdf4"
    if head[:4] in _MAGIC_NETCDF3:
        return "netcdf3"
    return "unknown"


def _read_dataset(path: Path, source: str) -> xr.Dataset:
    """Open a netCDF file fully into memory and close it, wrapping any failure.

    Classic netCDF3 files are read with scipy, which notices a truncated file; the netCDF-C
    library would silently return zeros for the missing part.
    """
    engine = "scipy" if file_kind(path) == "netcdf3" else "netcdf4"
    try:
        with xr.open_dataset(path, engine=engine) as ds:
            return ds.load()
    except Exception as err:
        raise InputError(
            source,
            f"cannot be read as netCDF ({type(err).__name__}: {err}); "
            "the file is probably truncated or corrupt",
            "delete it and download it again (the download stage skips files that exist)",
        ) from err


def _open_raw(path: Path) -> xr.Dataset:
    """Load a raw CDS file, unpacking it first if it is a zip archive."""
    if not path.is_file():
        raise InputError(
            path, "file not found", "check data.raw_dir and data.file_pattern, or run the download stage"
        )
    if path.stat().st_size == 0:
        raise InputError(path, "the file is empty", "delete it and download it again")
    kind = file_kind(path)
    if kind == "unknown":
        with open(path, "rb") as fh:
            head = fh.read(16)
        raise InputError(
            path,
            f"not a netCDF file or zip archive (it starts with {head!r})",
            "a CDS error page or a partial download may have been saved under "
            "this name: delete it and download it again",
        )
    if kind != "zip":
        return _read_dataset(path, str(path))
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.namelist() if m.lower().endswith(".nc")]
            if len(members) != 1:
                raise InputError(
                    path,
                    f"the zip archive holds {len(members)} .nc files "
                    f"(contents: {zf.namelist()}), expected exactly one",
                    "request a single variable per file, or extract the member "
                    "holding the temperature and point the pipeline at it",
                )
            with tempfile.TemporaryDirectory() as tmpdir:
                inner = Path(tmpdir) / "member.nc"
                with zf.open(members[0]) as src, open(inner, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                return _read_dataset(inner, f"{path} (zip member {members[0]})")
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise InputError(
            path, f"damaged zip archive ({type(err).__name__}: {err})", "delete it and download it again"
        ) from err


def _squeeze_to_time(da: xr.DataArray, path: Path) -> tuple[xr.DataArray, dict]:
    """Reduce a raw variable to the single dimension ``time``; return it and grid attrs."""
    time_dims = [d for d in ("valid_time", "time") if d in da.dims]
    if len(time_dims) != 1:
        raise InputError(
            path,
            f"variable '{da.name}' has dimensions {dict(da.sizes)}; expected "
            "exactly one time axis called 'valid_time' or 'time'",
            "use a file of ERA5 hourly reanalysis on single levels (one "
            "analysis time axis, no forecast steps)",
        )
    if time_dims[0] == "valid_time":
        da = da.drop_vars("time", errors="ignore").rename(valid_time="time")
    if "expver" in da.dims:
        # Older CDS files mixing final ERA5 and preliminary ERA5T carry one slice per
        # experiment version, each NaN where the other holds data: merge them.
        merged = da.isel(expver=0, drop=True)
        for i in range(1, da.sizes["expver"]):
            merged = merged.fillna(da.isel(expver=i, drop=True))
        da = merged
    spatial = {d: n for d, n in da.sizes.items() if d in _SPATIAL_DIMS}
    if any(n != 1 for n in spatial.values()):
        shape = " × ".join(f"{d}={n}" for d, n in spatial.items())
        raise InputError(
            path,
            f"the file holds a grid of {shape} points, not a single point",
            "request one grid point: narrow site.area so that North−South and "
            "East−West are below the 0.25° grid spacing, e.g. "
            "[33.51, -112.01, 33.49, -111.99]",
        )
    other = {d: n for d, n in da.sizes.items() if d != "time" and d not in _SPATIAL_DIMS}
    if any(n != 1 for n in other.values()):
        raise InputError(
            path,
            f"unexpected dimensions {other} besides time and the grid point",
            "request the ERA5 reanalysis (product_type 'reanalysis', not the "
            "ensemble) for a single grid point",
        )
    grid = {}
    for dim, key in (
        ("latitude", "grid_latitude"),
        ("lat", "grid_latitude"),
        ("longitude", "grid_longitude"),
        ("lon", "grid_longitude"),
    ):
        if dim in da.coords and da[dim].size == 1:
            grid[key] = float(da[dim].values.ravel()[0])
    da = da.squeeze([d for d in da.dims if d != "time"], drop=True)
    return da.drop_vars([c for c in da.coords if c != "time"]), grid


def open_year_file(path: str | Path, variable: str = "t2m", log: logging.Logger = LOG) -> xr.DataArray:
    """Read one raw per-year file into a 1-D hourly series in kelvin on UTC timestamps.

    Parameters
    ----------
    path
        A CDS response: netCDF3, netCDF4, or a zip archive holding one ``.nc`` file (detected
        by its magic bytes, not its extension).
    variable
        Short name of the temperature variable in the file (ERA5: ``t2m``).
    log
        Logger for warnings (units inferred from the range of the values).

    Returns
    -------
    xarray.DataArray
        Named ``t2m``, float64 in kelvin, one dimension ``time`` (``datetime64[ns]``, naive
        UTC) in the file's order (not sorted or checked for gaps here; NaN marks missing
        values). Attributes: ``units`` ("K"), ``long_name``, the file's global ``title``,
        ``source``, ``institution`` and ``history`` as ``raw_title`` … ``raw_history`` (those
        present), ``grid_latitude``/``grid_longitude`` if the file gives them, and
        ``time_stamp`` ("instantaneous": ERA5 t2m is the value at the stamped hour).

    Raises
    ------
    InputError
        If the file is missing, empty, not netCDF, truncated or unreadable; lacks the variable
        or a time axis; holds more than one grid point; has unknown units, units that
        contradict the values, or values outside a plausible 180–340 K.
    """
    path = Path(path)
    ds = _open_raw(path)
    if variable not in ds.data_vars:
        raise InputError(
            path,
            f"no variable '{variable}'; the file holds {sorted(map(str, ds.data_vars))}",
            "set data.variable in the config to the name of the 2 m temperature "
            "variable (ERA5 netCDF calls it 't2m')",
        )
    da, grid = _squeeze_to_time(ds[variable], path)
    if not np.issubdtype(da["time"].dtype, np.datetime64):
        raise InputError(
            path,
            f"the time axis could not be decoded as dates (dtype "
            f"{da['time'].dtype}, units {da['time'].attrs.get('units')!r})",
            "the time variable needs CF units such as 'seconds since 1970-01-01' "
            "and a standard calendar; download the file again",
        )
    values = to_kelvin(np.asarray(da.values, dtype="float64"), da.attrs.get("units"), path, log)
    attrs = {
        "units": "K",
        "long_name": da.attrs.get("long_name", "2 metre temperature"),
        "time_stamp": "instantaneous",
    }
    attrs.update({f"raw_{key}": str(ds.attrs[key]) for key in _RAW_ATTRS if key in ds.attrs})
    attrs.update(grid)
    return xr.DataArray(
        values,
        dims="time",
        coords={"time": da["time"].values.astype("datetime64[ns]")},
        name="t2m",
        attrs=attrs,
    )
