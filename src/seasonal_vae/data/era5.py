"""Download ERA5 2 m temperature from the Copernicus Climate Data Store and read the files.

One file per calendar year (UTC), one grid point, all 24 hours of every day: the request of
D. Kyle (2024), read from the author's notebooks (see ``docs/design.md`` §1). Data citation:
Hersbach et al. (2023), ERA5 hourly data on single levels from 1940 to present, Copernicus
Climate Change Service (C3S) Climate Data Store, DOI 10.24381/cds.adbb2d47.

:func:`open_year_file` turns one raw file -- whatever its exact layout (plain netCDF3 or
netCDF4, or the zip archive newer CDS responses may come in; a time axis called ``time`` or
``valid_time``; units in kelvin, °C or °F) -- into a 1-D hourly series in kelvin on naive UTC
timestamps. Everything downstream (:mod:`seasonal_vae.data.series`) relies on that one shape (as
does :mod:`seasonal_vae.data.station` for station records). The checks that need the config --
the grid point within ``data.max_distance_km`` of the site, and each file holding the year its
name says through ``data.file_pattern`` -- are made in :func:`seasonal_vae.data.series.build_series`.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import cdsapi
import numpy as np
import xarray as xr

from seasonal_vae.core.atomic import atomic_path
from seasonal_vae.core.errors import ConfigError, CredentialsError, InputError

DATASET = "reanalysis-era5-single-levels"
DATASET_PAGE = f"https://cds.climate.copernicus.eu/datasets/{DATASET}?tab=download"
CDS_URL = "https://cds.climate.copernicus.eu/api"
PHOENIX_AREA = (33.51, -112.01, 33.49, -111.99)
"""The article's request area around Phoenix, Arizona: [North, West, South, East]."""

KELVIN_RANGE = (180.0, 340.0)
"""Plausible 2 m temperatures in kelvin (the records are about 184 K and 330 K)."""

_MAGIC_ZIP = b"PK\x03\x04"
_MAGIC_HDF5 = b"\x89HDF\r\n\x1a\n"
_MAGIC_NETCDF3 = (b"CDF\x01", b"CDF\x02")
_MAGIC_CDF5 = b"CDF\x05"

_UNITS = {
    "K": {"k", "kelvin", "kelvins", "degk", "deg_k", "degree_kelvin", "degrees_kelvin"},
    "degC": {"degc", "c", "°c", "celsius", "deg_c", "degree_c", "degrees_c", "degree_celsius",
             "degrees_celsius"},
    "degF": {"degf", "f", "°f", "fahrenheit", "deg_f", "degree_f", "degrees_f",
             "degree_fahrenheit", "degrees_fahrenheit"},
}
_TO_KELVIN = {
    "K": lambda v: v,
    "degC": lambda v: v + 273.15,
    "degF": lambda v: (v - 32.0) * 5.0 / 9.0 + 273.15,
}
_SPATIAL_DIMS = ("latitude", "longitude", "lat", "lon")
_RAW_ATTRS = ("title", "source", "institution", "history")


def validate_area(area: Sequence[float]) -> list[float]:
    """Check a CDS area ``[North, West, South, East]`` and return it as a list of floats.

    Parameters
    ----------
    area
        Four numbers in degrees: North and South latitudes in [-90, 90] with North ≥ South,
        West and East longitudes in [-180, 360].

    Returns
    -------
    list of float
        ``[N, W, S, E]``.

    Raises
    ------
    ConfigError
        If the area has the wrong length, non-numbers or coordinates out of range.
    """
    example = "[33.51, -112.01, 33.49, -111.99] (a single grid point at Phoenix)"
    try:
        values = [float(v) for v in area]
    except (TypeError, ValueError) as err:
        raise ConfigError("site.area", f"{area!r} is not a list of four numbers",
                          f"give [North, West, South, East] in degrees, e.g. {example}") from err
    if len(values) != 4 or not all(np.isfinite(values)):
        raise ConfigError("site.area", f"{area!r} is not four finite numbers",
                          f"give [North, West, South, East] in degrees, e.g. {example}")
    north, west, south, east = values
    problems = []
    if not (-90 <= north <= 90 and -90 <= south <= 90):
        problems.append(f"latitudes N={north}, S={south} must lie in [-90, 90]")
    if north < south:
        problems.append(f"North ({north}) is south of South ({south})")
    if not (-180 <= west <= 360 and -180 <= east <= 360):
        problems.append(f"longitudes W={west}, E={east} must lie in [-180, 360]")
    if problems:
        raise ConfigError("site.area", "; ".join(problems),
                          f"give [North, West, South, East] in degrees, e.g. {example}")
    return values


def build_request(year: int, area: Sequence[float] = PHOENIX_AREA,
                  variable: str = "2m_temperature") -> dict:
    """The CDS request for one calendar year of hourly data at one grid point.

    Parameters
    ----------
    year
        Calendar year (UTC); ERA5 starts in 1940.
    area
        ``[North, West, South, East]`` in degrees; see :func:`validate_area`.
    variable
        CDS variable name (the long name, e.g. ``2m_temperature``, not the netCDF short name).

    Returns
    -------
    dict
        The request for :meth:`cdsapi.Client.retrieve` on :data:`DATASET`: product type
        ``reanalysis``, every month, days 01–31 (the CDS skips dates that do not exist), all
        24 hours, netCDF, not archived.

    Raises
    ------
    ConfigError
        If the year is before 1940 or the area is invalid (see :func:`validate_area`).
    """
    if isinstance(year, bool) or not isinstance(year, (int, np.integer)) or year < 1940:
        raise ConfigError("data.first_year/data.last_year",
                          f"year {year!r} is not an integer from 1940 on",
                          "ERA5 covers 1940 to the present: choose years in that range")
    return {
        "product_type": ["reanalysis"],
        "variable": [variable],
        "year": [f"{int(year):04d}"],
        "month": [f"{m:02d}" for m in range(1, 13)],
        "day": [f"{d:02d}" for d in range(1, 32)],
        "time": [f"{h:02d}:00" for h in range(24)],
        "data_format": "netcdf",
        "download_format": "unarchived",
        "area": validate_area(area),
    }


def _credentials_help() -> str:
    return (
        "To download ERA5 from the Copernicus Climate Data Store (CDS):\n"
        "  1. Create a free CDS account at https://cds.climate.copernicus.eu and log in.\n"
        "  2. Copy the personal access token from your CDS profile page, then either write\n"
        "     ~/.cdsapirc with the two lines\n"
        f"         url: {CDS_URL}\n"
        "         key: <your-personal-access-token>\n"
        f"     or export CDSAPI_URL={CDS_URL} and CDSAPI_KEY=<your-personal-access-token>.\n"
        "  3. Accept the ERA5 licence (\"Licence to use Copernicus Products\") at the bottom of\n"
        f"     the dataset's download page: {DATASET_PAGE}\n"
        "The offline default (the bundled surrogate data in data/surrogate) needs none of this."
    )


def check_credentials() -> None:
    """Make sure CDS credentials are configured before any request is made.

    Credentials are found if ``~/.cdsapirc`` (or the file named by ``CDSAPI_RC``) exists, or
    both ``CDSAPI_URL`` and ``CDSAPI_KEY`` are set. Whether the key is valid and the licence
    accepted only shows when a request is made (see :func:`download_years`).

    Raises
    ------
    CredentialsError
        If neither is set up; the message says how to set them up.
    """
    rc = Path(os.environ.get("CDSAPI_RC") or Path.home() / ".cdsapirc").expanduser()
    if rc.is_file():
        return
    if os.environ.get("CDSAPI_URL") and os.environ.get("CDSAPI_KEY"):
        return
    env_set = [name for name in ("CDSAPI_URL", "CDSAPI_KEY") if os.environ.get(name)]
    found = (f"only {env_set[0]} is set" if env_set
             else "neither CDSAPI_URL nor CDSAPI_KEY is set")
    raise CredentialsError(f"No CDS credentials: {rc} does not exist and {found}.\n"
                           + _credentials_help())


def _file_kind(path: Path) -> str:
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


def download_years(years: Iterable[int], out_dir: str | Path,
                   area: Sequence[float] = PHOENIX_AREA, pattern: str = "era5_t2m_{year}.nc",
                   client=None, log: logging.Logger = logging.getLogger(__name__)) -> list[Path]:
    """Download one netCDF file per year from the CDS, skipping years already on disk.

    Each file is written atomically: it appears complete under its final name or not at all,
    so an interrupted or refused download can simply be rerun.

    Parameters
    ----------
    years
        Calendar years to fetch.
    out_dir
        Folder of the per-year files (created if needed).
    area
        ``[North, West, South, East]`` around the grid point.
    pattern
        File name with a ``{year}`` field.
    client
        Object with a ``retrieve(dataset, request, target)`` method. Defaults to a
        :class:`cdsapi.Client`, created (after :func:`check_credentials`) only if a year
        is missing.
    log
        Logger for progress messages.

    Returns
    -------
    list of pathlib.Path
        The file of each year, in the order of ``years``.

    Raises
    ------
    CredentialsError
        If no credentials are configured, or the CDS refuses or fails a request (the message
        names the year and the error and says what to check). No partial file is left.
    ConfigError
        If the area or a year is invalid (see :func:`build_request`).
    """
    out_dir = Path(out_dir)
    area = validate_area(area)
    paths = []
    for year in years:
        target = out_dir / pattern.format(year=year)
        paths.append(target)
        if target.exists():
            log.info("ERA5 %s: %s already present, not downloading it again", year, target)
            continue
        request = build_request(year, area)
        if client is None:
            check_credentials()
            try:
                client = cdsapi.Client()
            except Exception as err:
                raise CredentialsError(f"The CDS client could not be set up: {err}\n"
                                       + _credentials_help()) from err
        log.info("ERA5 %s: requesting %s %s for area %s into %s", year, DATASET,
                 request["variable"][0], area, target)
        try:
            with atomic_path(target) as tmp:
                client.retrieve(DATASET, request, str(tmp))
                if tmp.stat().st_size == 0 or _file_kind(tmp) == "unknown":
                    raise RuntimeError("the CDS returned an empty file or one that is neither "
                                       "netCDF nor a zip archive")
        except Exception as err:
            raise CredentialsError(
                f"The CDS request for {year} ({DATASET}, into {target}) failed: "
                f"{type(err).__name__}: {err}\nNothing was written for {year}. Check that:\n"
                f"  - the ERA5 licence (\"Licence to use Copernicus Products\") is accepted on "
                f"{DATASET_PAGE};\n"
                f"  - the key in ~/.cdsapirc (or CDSAPI_KEY) is your current personal access "
                f"token and the url is {CDS_URL};\n"
                "  - the CDS is up (https://status.ecmwf.int) and the request is not queued "
                "too long;\nthen rerun: years already downloaded are kept."
            ) from err
        log.info("ERA5 %s: wrote %s (%d bytes)", year, target, target.stat().st_size)
    return paths


def _read_dataset(path: Path, source: str) -> xr.Dataset:
    """Open a netCDF file fully into memory and close it, wrapping any failure.

    Classic netCDF3 files are read with scipy, which notices a truncated file; the netCDF-C
    library would silently return zeros for the missing part.
    """
    engine = "scipy" if _file_kind(path) == "netcdf3" else "netcdf4"
    try:
        with xr.open_dataset(path, engine=engine) as ds:
            return ds.load()
    except Exception as err:
        raise InputError(source, f"cannot be read as netCDF ({type(err).__name__}: {err}); "
                         "the file is probably truncated or corrupt",
                         "delete it and download it again (the download stage skips files "
                         "that exist)") from err


def _open_raw(path: Path) -> xr.Dataset:
    """Load a raw CDS file, unpacking it first if it is a zip archive."""
    if not path.is_file():
        raise InputError(path, "file not found",
                         "check data.raw_dir and data.file_pattern, or run the download stage")
    if path.stat().st_size == 0:
        raise InputError(path, "the file is empty", "delete it and download it again")
    kind = _file_kind(path)
    if kind == "unknown":
        with open(path, "rb") as fh:
            head = fh.read(16)
        raise InputError(path, f"not a netCDF file or zip archive (it starts with {head!r})",
                         "a CDS error page or a partial download may have been saved under "
                         "this name: delete it and download it again")
    if kind != "zip":
        return _read_dataset(path, str(path))
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.namelist() if m.lower().endswith(".nc")]
            if len(members) != 1:
                raise InputError(path, f"the zip archive holds {len(members)} .nc files "
                                 f"(contents: {zf.namelist()}), expected exactly one",
                                 "request a single variable per file, or extract the member "
                                 "holding the temperature and point the pipeline at it")
            with tempfile.TemporaryDirectory() as tmpdir:
                inner = Path(tmpdir) / "member.nc"
                with zf.open(members[0]) as src, open(inner, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                return _read_dataset(inner, f"{path} (zip member {members[0]})")
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise InputError(path, f"damaged zip archive ({type(err).__name__}: {err})",
                         "delete it and download it again") from err


def _squeeze_to_time(da: xr.DataArray, path: Path) -> tuple[xr.DataArray, dict]:
    """Reduce a raw variable to the single dimension ``time``; return it and grid attrs."""
    time_dims = [d for d in ("valid_time", "time") if d in da.dims]
    if len(time_dims) != 1:
        raise InputError(path, f"variable '{da.name}' has dimensions {dict(da.sizes)}; expected "
                         "exactly one time axis called 'valid_time' or 'time'",
                         "use a file of ERA5 hourly reanalysis on single levels (one "
                         "analysis time axis, no forecast steps)")
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
        raise InputError(path, f"the file holds a grid of {shape} points, not a single point",
                         "request one grid point: narrow site.area so that North−South and "
                         "East−West are below the 0.25° grid spacing, e.g. "
                         "[33.51, -112.01, 33.49, -111.99]")
    other = {d: n for d, n in da.sizes.items() if d != "time" and d not in _SPATIAL_DIMS}
    if any(n != 1 for n in other.values()):
        raise InputError(path, f"unexpected dimensions {other} besides time and the grid point",
                         "request the ERA5 reanalysis (product_type 'reanalysis', not the "
                         "ensemble) for a single grid point")
    grid = {}
    for dim, key in (("latitude", "grid_latitude"), ("lat", "grid_latitude"),
                     ("longitude", "grid_longitude"), ("lon", "grid_longitude")):
        if dim in da.coords and da[dim].size == 1:
            grid[key] = float(da[dim].values.ravel()[0])
    da = da.squeeze([d for d in da.dims if d != "time"], drop=True)
    return da.drop_vars([c for c in da.coords if c != "time"]), grid


def _to_kelvin(values: np.ndarray, units: str | None, path: Path,
               log: logging.Logger, *, declared: str = "the units attribute",
               fix: str = "correct the variable's units attribute (or the values) and rerun",
               implausible_fix: str = ("check that the file holds 2 m temperature "
                                       "(data.variable) and is not corrupt; download it again "
                                       "if in doubt")) -> np.ndarray:
    """Convert to kelvin, checking the declared (or inferred) units against the values.

    Parameters
    ----------
    values, units, path, log
        The temperatures, their declared units (``None``: infer them from the range), the file
        they came from (for messages) and a logger.
    declared
        What declared the units, for the message when they contradict the values (a station
        file's units come from the config or the column name, not an attribute).
    fix, implausible_fix
        How to fix such a contradiction, and values implausible in any unit.

    The values are plausible in a unit if they lie in :data:`KELVIN_RANGE` once converted.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return values

    def plausible(unit: str) -> bool:
        k = _TO_KELVIN[unit](finite)
        return bool(KELVIN_RANGE[0] <= k.min() and k.max() <= KELVIN_RANGE[1])

    span = f"{finite.min():.6g} to {finite.max():.6g}"
    fits = [u for u in _TO_KELVIN if plausible(u)]
    if units is None or not str(units).strip():
        if len(fits) != 1:
            which = " or ".join(fits) if fits else "no unit (K, degC, degF)"
            raise InputError(path, f"the temperature has no units attribute and its values "
                             f"({span}) fit {which}", "add a units attribute ('K', 'degC' or "
                             "'degF') to the variable, e.g. with `ncatted -a units,t2m,o,c,K`")
        log.warning("%s: the temperature has no units attribute; its values (%s) are "
                    "plausible only as %s, so they are read as %s", path, span, fits[0], fits[0])
        unit = fits[0]
    else:
        key = str(units).strip().lower().replace(" ", "_")
        matches = [u for u, names in _UNITS.items() if key in names]
        if not matches:
            raise InputError(path, f"unknown temperature units {units!r}",
                             "set the variable's units attribute to 'K', 'degC' or 'degF'")
        unit = matches[0]
    if unit not in fits:
        others = [u for u in fits if u != unit]
        if others:
            problem = (f"{declared} says {units!r}, but the values ({span}) are "
                       f"plausible only as {' or '.join(others)}: "
                       + ("the attribute contradicts" if declared == "the units attribute"
                          else "the declared units contradict") + " the data")
        else:
            problem = (f"values ({span} {units}) are outside {KELVIN_RANGE[0]:g}–"
                       f"{KELVIN_RANGE[1]:g} K, implausible for 2 m temperature in any unit")
            fix = implausible_fix
        raise InputError(path, problem, fix)
    return _TO_KELVIN[unit](values)


def open_year_file(path: str | Path, variable: str = "t2m",
                   log: logging.Logger = logging.getLogger(__name__)) -> xr.DataArray:
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
        raise InputError(path, f"no variable '{variable}'; the file holds "
                         f"{sorted(map(str, ds.data_vars))}",
                         "set data.variable in the config to the name of the 2 m temperature "
                         "variable (ERA5 netCDF calls it 't2m')")
    da, grid = _squeeze_to_time(ds[variable], path)
    if not np.issubdtype(da["time"].dtype, np.datetime64):
        raise InputError(path, f"the time axis could not be decoded as dates (dtype "
                         f"{da['time'].dtype}, units {da['time'].attrs.get('units')!r})",
                         "the time variable needs CF units such as 'seconds since 1970-01-01' "
                         "and a standard calendar; download the file again")
    values = _to_kelvin(np.asarray(da.values, dtype="float64"), da.attrs.get("units"), path, log)
    attrs = {"units": "K", "long_name": da.attrs.get("long_name", "2 metre temperature"),
             "time_stamp": "instantaneous"}
    attrs.update({f"raw_{key}": str(ds.attrs[key]) for key in _RAW_ATTRS if key in ds.attrs})
    attrs.update(grid)
    return xr.DataArray(values, dims="time",
                        coords={"time": da["time"].values.astype("datetime64[ns]")},
                        name="t2m", attrs=attrs)
