"""Write the surrogate record as the per-year netCDF files the CDS serves, with checksums.

:func:`write_cds_files` lays out each UTC year of the record of
:func:`seasonal_vae.data.surrogate.generate_surrogate` exactly like a CDS ERA5 single-levels
download (variables, coordinates, GRIB attributes, encoding), labelled surrogate data.
:func:`write_surrogate` writes the bundled record ``data/surrogate/`` with ``SHA256SUMS`` (file
bytes) and ``VALUES.sha256`` (:func:`value_checksum`: the values alone, independent of netCDF
metadata and compression).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import netCDF4
import numpy as np
import xarray as xr

from seasonal_vae.core.atomic import atomic_path
from seasonal_vae.data.surrogate import (
    DEFAULT_FIRST_YEAR,
    DEFAULT_LAST_YEAR,
    DEFAULT_SEED,
    SITE_LATITUDE,
    SITE_LONGITUDE,
    generate_surrogate,
)

FILE_PATTERN = "era5_t2m_{year}.nc"  # per-year file names, as the download rule writes them
CHECKSUM_FILE = "SHA256SUMS"  # byte checksums of the files, `sha256sum -c` format
VALUES_CHECKSUM_FILE = "VALUES.sha256"  # checksum of the values (see value_checksum)


def _cds_dataset(da: xr.DataArray) -> xr.Dataset:
    """One year of ``da`` as a Dataset laid out like a CDS ERA5 single-levels netCDF file."""
    n = da.sizes["valid_time"]
    t2m_attrs = {
        "GRIB_paramId": 167,
        "GRIB_dataType": "an",
        "GRIB_numberOfPoints": 1,
        "GRIB_typeOfLevel": "surface",
        "GRIB_stepUnits": 1,
        "GRIB_stepType": "instant",
        "GRIB_gridType": "regular_ll",
        "GRIB_uvRelativeToGrid": 0,
        "GRIB_NV": 0,
        "GRIB_Nx": 1,
        "GRIB_Ny": 1,
        "GRIB_cfName": "unknown",
        "GRIB_cfVarName": "t2m",
        "GRIB_gridDefinitionDescription": "Latitude/Longitude Grid",
        "GRIB_iDirectionIncrementInDegrees": 0.25,
        "GRIB_iScansNegatively": 0,
        "GRIB_jDirectionIncrementInDegrees": 0.25,
        "GRIB_jPointsAreConsecutive": 0,
        "GRIB_jScansPositively": 0,
        "GRIB_latitudeOfFirstGridPointInDegrees": SITE_LATITUDE,
        "GRIB_latitudeOfLastGridPointInDegrees": SITE_LATITUDE,
        "GRIB_longitudeOfFirstGridPointInDegrees": SITE_LONGITUDE,
        "GRIB_longitudeOfLastGridPointInDegrees": SITE_LONGITUDE,
        "GRIB_missingValue": 3.4028234663852886e38,
        "GRIB_name": "2 metre temperature",
        "GRIB_shortName": "2t",
        "GRIB_totalNumber": 0,
        "GRIB_units": "K",
        "long_name": "2 metre temperature",
        "units": "K",
        "standard_name": "unknown",
        "GRIB_surface": 0.0,
    }
    label = {key: da.attrs[key] for key in ("title", "source", "comment")}
    return xr.Dataset(
        {
            "t2m": (
                ("valid_time", "latitude", "longitude"),
                da.values.astype("float32").reshape(n, 1, 1),
                t2m_attrs,
            )
        },
        coords={
            "number": (
                (),
                np.int64(0),
                {"long_name": "ensemble member numerical id", "units": "1", "standard_name": "realization"},
            ),
            "valid_time": (
                "valid_time",
                da["valid_time"].values,
                {"long_name": "time", "standard_name": "time"},
            ),
            "latitude": (
                "latitude",
                [SITE_LATITUDE],
                {
                    "units": "degrees_north",
                    "standard_name": "latitude",
                    "long_name": "latitude",
                    "stored_direction": "decreasing",
                },
            ),
            "longitude": (
                "longitude",
                [SITE_LONGITUDE],
                {"units": "degrees_east", "standard_name": "longitude", "long_name": "longitude"},
            ),
            "expver": ("valid_time", np.full(n, "0001"), {"long_name": "model version"}),
        },
        attrs={
            "GRIB_centre": "ecmf",
            "GRIB_centreDescription": "European Centre for Medium-Range Weather Forecasts",
            "GRIB_subCentre": 0,
            "Conventions": "CF-1.7",
            "institution": "European Centre for Medium-Range Weather Forecasts",
            # the function's name when the bundled files were written (as SURROGATE_LABEL)
            "history": (
                "seasonal_vae.surrogate.write_cds_files: surrogate values in the "
                "layout of CDS ERA5 netCDF files (GRIB to CDM+CF via cfgrib)"
            ),
            **label,
        },
    )


# t2m and valid_time as the CDS stores them; expver as fixed-length characters (it decodes
# to the same strings as the CDS's variable-length ones, which HDF5 cannot compress).
_ENCODING = {
    "t2m": {"dtype": "float32", "zlib": True, "complevel": 4, "shuffle": True},
    "valid_time": {
        "dtype": "int64",
        "units": "seconds since 1970-01-01",
        "calendar": "proleptic_gregorian",
        "zlib": True,
        "complevel": 4,
    },
    "expver": {"dtype": "S1", "zlib": True, "complevel": 4},
}


def write_cds_files(da: xr.DataArray, out_dir: str | Path, pattern: str = FILE_PATTERN) -> list[Path]:
    """Write ``da`` as one netCDF file per UTC year, in the layout of CDS ERA5 downloads.

    Each file holds ``t2m`` (float32, kelvin) on ``(valid_time, latitude, longitude)``
    with the 1-element grid point, ``valid_time`` as int64 seconds since 1970 (proleptic
    Gregorian), the scalar ``number`` and per-time ``expver`` coordinates, ERA5's variable
    and global attributes, and ``title``/``source``/``comment`` that label it surrogate data.
    Files are zlib-compressed and written atomically.

    Parameters
    ----------
    da:
        Output of :func:`generate_surrogate` (its ``title``, ``source`` and ``comment``
        attributes are copied into every file).
    out_dir:
        Folder to write to (created if missing).
    pattern:
        File name with a ``{year}`` field.

    Returns
    -------
    list of pathlib.Path
        The files written, in year order.
    """
    out_dir = Path(out_dir)
    years = da["valid_time"].dt.year.values
    paths = []
    for year in np.unique(years):
        path = out_dir / pattern.format(year=int(year))
        dataset = _cds_dataset(da.isel(valid_time=years == year))
        with atomic_path(path) as tmp:
            dataset.to_netcdf(tmp, format="NETCDF4", engine="netcdf4", encoding=_ENCODING)
        paths.append(path)
    return paths


def value_checksum(paths: Iterable[str | Path]) -> str:
    """SHA-256 of the ``t2m`` values of ``paths``, in the order given.

    The digest covers the stored float32 values as little-endian bytes, file after file,
    so it identifies the data independently of netCDF metadata and compression.

    Parameters
    ----------
    paths:
        netCDF files with a ``t2m`` variable.

    Returns
    -------
    str
        Hexadecimal digest.
    """
    digest = hashlib.sha256()
    for path in paths:
        with netCDF4.Dataset(path) as dataset:
            variable = dataset.variables["t2m"]
            variable.set_auto_maskandscale(False)
            digest.update(np.ascontiguousarray(variable[:], dtype="<f4").tobytes())
    return digest.hexdigest()


def _sha256_file(path: Path) -> str:
    """Hexadecimal SHA-256 of the bytes of ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_surrogate(
    out_dir: str | Path,
    first_year: int = DEFAULT_FIRST_YEAR,
    last_year: int = DEFAULT_LAST_YEAR,
    seed: int = DEFAULT_SEED,
) -> list[Path]:
    """Generate the surrogate record and write it to ``out_dir`` in CDS layout.

    Besides the per-year files (see :func:`write_cds_files`) this writes ``SHA256SUMS``
    (checksums of the file bytes, for ``sha256sum -c``) and ``VALUES.sha256`` (the
    :func:`value_checksum` of the files, which a test compares with a regeneration).

    Parameters
    ----------
    out_dir:
        Folder to write to (created if missing).
    first_year, last_year, seed:
        As for :func:`generate_surrogate`.

    Returns
    -------
    list of pathlib.Path
        The netCDF files written, in year order.
    """
    out_dir = Path(out_dir)
    paths = write_cds_files(generate_surrogate(first_year, last_year, seed), out_dir)
    sums = "".join(f"{_sha256_file(path)}  {path.name}\n" for path in paths)
    with atomic_path(out_dir / CHECKSUM_FILE) as tmp:
        tmp.write_text(sums, encoding="utf-8")
    # names value_checksum as it was named when the bundled VALUES.sha256 was written
    values = (
        f"{value_checksum(paths)}  float32 t2m values of {paths[0].name} .. "
        f"{paths[-1].name} in year order (seasonal_vae.surrogate.value_checksum)\n"
    )
    with atomic_path(out_dir / VALUES_CHECKSUM_FILE) as tmp:
        tmp.write_text(values, encoding="utf-8")
    return paths
