"""Read an hourly weather-station record (CSV or netCDF) into the shape of an ERA5 year file.

:func:`open_station_file` returns exactly what :func:`seasonal_vae.data.era5.open_year_file`
returns: a 1-D :class:`xarray.DataArray` named ``t2m`` on a ``time`` axis of naive UTC
``datetime64[ns]`` stamps, float64 kelvin, NaN for missing values, with attributes
``units``, ``long_name``, ``raw_*`` and, when the location is known,
``grid_latitude``/``grid_longitude`` (for a station: its own coordinates). So
:func:`seasonal_vae.data.series.build_series` treats the two kinds alike: it sorts, merges agreeing
duplicates, refuses conflicting ones, checks the distance to the site, fills short gaps and
converts to °F and local standard time.

The file's layout comes from the config section ``data.station`` (see
``src/seasonal_vae/core/schema.yaml``): the time column (ISO 8601 strings, or a ``time_format``; or a date
column plus an integer ``hour_column``), its time zone (``utc``, or ``local_standard`` =
UTC + ``site.utc_offset_hours`` all year), whether hours run 1–24 (``hour_24``: "24:00" is
the midnight that ends the day), the value column, its units and the sentinel numbers that
mean "missing". CSV files may be compressed (``.xz``, ``.gz``, ``.bz2``: pandas infers it
from the suffix). The time column is parsed, put into UTC and cut to the configured years by
:mod:`seasonal_vae.data.station_times`.

Hour-ending means
-----------------
Networks such as AZMET report the *mean over the 60 minutes ending at the stamped hour*
(``stamp: hour_ending_mean``). These values are kept **as stamped**, on the whole-hour grid:
the value at hour ``h`` is the mean of the hour ending at ``h``, so the centre of its averaging
interval is 30 minutes earlier. They are not shifted by half an hour (that would leave the
whole-hour grid the rest of the pipeline needs) nor by a whole hour (that would move the
diurnal cycle the other way by 30 minutes). The choice is recorded in the DataArray's
attributes ``time_stamp`` ("hour_ending_mean") and ``time_stamp_comment``, which
:func:`~seasonal_vae.data.series.build_series` copies into the series file. A consequence: a
local-time record of the whole days 2003-01-01 to 2017-12-31 runs from 2003-01-01 01:00 (the
mean of 00:00–01:00) to 2018-01-01 00:00 (the mean of the last hour of 2017). The years
``data.first_year`` … ``data.last_year`` are selected the same way: an hourly mean belongs to
the local year of its interval's centre, so that last hour stays in 2017.

Checks
------
Each failure is an :class:`~seasonal_vae.core.errors.InputError` naming the file, the problem and
the fix: a missing, empty or unreadable file; a missing column (the message lists those the
file has); non-numeric values; those of :mod:`seasonal_vae.data.station_times` (a timestamp
that does not parse, an hour outside 1–24 / 0–23, no hours in the configured years); and those
of :mod:`seasonal_vae.data.station_checks` (steps and stamps off the whole hour, daylight-saving
time, contradicting UTC offsets, units and the phase of the diurnal cycle).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.core.errors import ConfigError, InputError
from seasonal_vae.data.raw_checks import check_hourly
from seasonal_vae.data.station_checks import check_diurnal_phase, check_dst, name_units
from seasonal_vae.data.station_times import csv_line, in_years, parse_times, to_utc
from seasonal_vae.data.units import to_kelvin

LOG = logging.getLogger(__name__)  # the default logger of this module's functions

STAMP_COMMENTS = {
    "hour_ending_mean": "each value is the mean over the 60 minutes ending at its timestamp, "
    "kept as stamped: the centre of the averaging interval is 30 min "
    "earlier",
    "instantaneous": "each value is the temperature at its timestamp",
}


def _settings(data_cfg: dict) -> dict:
    """``data.station`` with every key present (the schema's defaults for the optional ones)."""
    from seasonal_vae.core.config import load_schema

    station = data_cfg.get("station", data_cfg) if isinstance(data_cfg, dict) else None
    if not isinstance(station, dict):
        raise ConfigError(
            "data.station",
            f"{station!r} is not a mapping",
            "give data.station as a mapping; see src/seasonal_vae/core/schema.yaml",
        )
    keys = load_schema()["properties"]["data"]["properties"]["station"]["properties"]
    return {**{key: spec.get("default") for key, spec in keys.items()}, **station}


# --- reading ------------------------------------------------------------------------------


def _is_netcdf(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(8)
    return head.startswith(b"\x89HDF\r\n\x1a\n") or head[:3] == b"CDF"


def _read_csv(path: Path, st: dict) -> pd.DataFrame:
    text_columns = [c for c in (st["time_column"], st["hour_column"]) if c]
    try:
        frame = pd.read_csv(
            path, dtype={c: str for c in text_columns}, compression="infer", skipinitialspace=True
        )
    except pd.errors.EmptyDataError as err:
        raise InputError(
            path,
            "the file is empty (no header, no rows)",
            "give a CSV file with a header line and one row per hour",
        ) from err
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, EOFError, ValueError, LookupError) as err:
        raise InputError(
            path,
            f"cannot be read as CSV ({type(err).__name__}: {err}); the file "
            "may be truncated, corrupt or not text",
            "check the file (decompress it by hand to see), or fetch it again",
        ) from err
    frame.columns = [str(c).strip() for c in frame.columns]
    wanted = [c for c in (st["time_column"], st["hour_column"], st["value_column"]) if c]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        keys = {st["time_column"]: "time_column", st["value_column"]: "value_column"}
        if st["hour_column"]:
            keys[st["hour_column"]] = "hour_column"
        raise InputError(
            path,
            f"no column {', '.join(repr(c) for c in missing)}; the file has "
            f"the columns {list(frame.columns)}",
            "set " + ", ".join(f"data.station.{keys[c]}" for c in missing) + " to the right column name",
        )
    if frame.empty:
        raise InputError(path, "the file has a header but no rows", "give a file with one row per hour")
    return frame


def _numbers(values: pd.Series, st: dict, path: Path, log: logging.Logger) -> np.ndarray:
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            path,
            f"{int(bad.sum())} value(s) in column {st['value_column']!r} are "
            f"not numbers; the first is {values.iloc[i]!r} on line {csv_line(i)}",
            f"leave missing values empty or use one of data.station.missing_values ({st['missing_values']})",
        )
    out = numbers.to_numpy(dtype="float64", copy=True)
    sentinel = np.zeros(out.size, dtype=bool)
    for marker in st["missing_values"] or []:
        sentinel |= np.isclose(out, float(marker), rtol=0, atol=1e-9)
    if sentinel.any():
        log.info(
            "%s: %d value(s) equal to a missing-value marker %s are treated as missing",
            path.name,
            int(sentinel.sum()),
            st["missing_values"],
        )
        out[sentinel] = np.nan
    return out


def _coordinate(ds: xr.Dataset, names: tuple[str, ...]) -> float | None:
    for name in names:
        if name in ds.variables and ds[name].size == 1:
            value = float(np.asarray(ds[name].values, dtype="float64").ravel()[0])
            if np.isfinite(value):
                return value
    for name in names:
        if name in ds.attrs:
            try:
                return float(ds.attrs[name])
            except (TypeError, ValueError):
                pass
    return None


def _read_netcdf(path: Path, st: dict, log: logging.Logger):
    """(times, values, declared units, latitude, longitude, global attrs) of a netCDF file."""
    try:
        with xr.open_dataset(path) as ds:
            ds = ds.load()
    except Exception as err:
        raise InputError(
            path,
            f"cannot be read as netCDF ({type(err).__name__}: {err}); the "
            "file is probably truncated or corrupt",
            "fetch it again",
        ) from err
    name = st["value_column"]
    if name not in ds.data_vars:
        raise InputError(
            path,
            f"no variable {name!r}; the file holds {sorted(map(str, ds.data_vars))}",
            "set data.station.value_column to the temperature variable's name",
        )
    da = ds[name]
    others = [d for d in da.dims if da.sizes[d] != 1]
    if len(others) != 1:
        raise InputError(
            path,
            f"variable {name!r} has dimensions {dict(da.sizes)}; a station "
            "file needs exactly one axis longer than 1 (time)",
            "give one station's hourly series (extract it, e.g. with ncks -d)",
        )
    da = da.squeeze([d for d in da.dims if d != others[0]])
    if st["time_column"] in ds.variables and ds[st["time_column"]].dims == da.dims:
        time = ds[st["time_column"]]
    elif others[0] in ds.coords:
        time = ds[others[0]]
    else:
        raise InputError(
            path,
            f"no time variable {st['time_column']!r} and no coordinate on {name!r}'s axis {others[0]!r}",
            "set data.station.time_column to the name of the time variable",
        )
    if not np.issubdtype(time.dtype, np.datetime64):
        raise InputError(
            path,
            f"the time variable {time.name!r} could not be decoded as dates "
            f"(dtype {time.dtype}, units {time.attrs.get('units')!r})",
            "give it CF units such as 'hours since 1970-01-01 00:00' and a standard calendar",
        )
    times = time.values.astype("datetime64[ns]")
    if np.isnat(times).any():
        i = int(np.flatnonzero(np.isnat(times))[0])
        raise InputError(
            path, f"timestamp {i} of {time.name!r} is missing (NaT)", "remove that record or give it its time"
        )
    units = da.attrs.get("units") or st["units"]
    values = np.asarray(da.values, dtype="float64")
    sentinel = np.zeros(values.size, dtype=bool)
    for marker in st["missing_values"] or []:
        sentinel |= np.isclose(values, float(marker), rtol=0, atol=1e-9)
    if sentinel.any():
        log.info(
            "%s: %d value(s) equal to a missing-value marker are treated as missing",
            path.name,
            int(sentinel.sum()),
        )
        values = np.where(sentinel, np.nan, values)
    lat = _coordinate(ds, ("lat", "latitude", "station_lat", "station_latitude"))
    lon = _coordinate(ds, ("lon", "longitude", "station_lon", "station_longitude"))
    return times, values, units, lat, lon, dict(ds.attrs), da.attrs.get("long_name")


# --- entry point --------------------------------------------------------------------------


def open_station_file(
    path: str | Path,
    data_cfg: dict,
    log: logging.Logger = LOG,
    site: dict | None = None,
) -> xr.DataArray:
    """Read one hourly station file into a 1-D series in kelvin on naive UTC timestamps.

    Parameters
    ----------
    path
        A CSV file (plain or compressed: ``.xz``, ``.gz``, ``.bz2``) or a netCDF file
        (detected by its first bytes).
    data_cfg
        The validated ``data`` section (its ``station`` subsection describes the layout).
    log
        Logger for what was read and assumed.
    site
        The ``site`` section: ``utc_offset_hours`` (for ``time_zone: local_standard``) and
        ``longitude`` (for the diurnal-phase check). Default: the schema's site (Phoenix).

    Returns
    -------
    xarray.DataArray
        As :func:`seasonal_vae.data.era5.open_year_file`: named ``t2m``, float64 kelvin on ``time``
        (naive UTC ``datetime64[ns]``, the file's order, duplicates kept), NaN = missing.
        Attributes: ``units`` ("K"), ``long_name``, ``raw_title``/``raw_source`` (the file and
        its columns; a netCDF file's own global attributes when present),
        ``grid_latitude``/``grid_longitude`` (the station's location, when known),
        ``time_stamp`` (``hour_ending_mean`` or ``instantaneous``) and ``time_stamp_comment``.

    Raises
    ------
    InputError
        See the module docstring: each problem names the file and the fix.
    """
    path = Path(path)
    if site is None:
        from seasonal_vae.core.config import load_config

        site = load_config()["site"]
    st = _settings(data_cfg)
    st["_utc_offset_hours"] = float(site.get("utc_offset_hours", 0.0))
    if not path.is_file():
        raise InputError(
            path,
            "file not found",
            "check data.station.path (relative to the repository root) or the path given to the series stage",
        )
    if path.stat().st_size == 0:
        raise InputError(path, "the file is empty", "give the station file with its rows")
    if _is_netcdf(path):
        times, values, units, lat, lon, gattrs, long_name = _read_netcdf(path, st, log)
        declared = "the variable's units attribute" if units != st["units"] else "data.station.units"
        attrs = {
            "raw_title": str(gattrs.get("title", f"station file {path.name}")),
            "raw_source": str(gattrs.get("source", f"variable {st['value_column']}")),
        }
        attrs.update({f"raw_{k}": str(gattrs[k]) for k in ("institution", "history") if k in gattrs})
    else:
        frame = _read_csv(path, st)
        times = parse_times(frame, st, path)
        values = _numbers(frame[st["value_column"]], st, path, log)
        units, lat, lon, long_name = st["units"], st["latitude"], st["longitude"], None
        declared = "data.station.units"
        attrs = {
            "raw_title": f"station file {path.name}",
            "raw_source": f"column {st['value_column']!r} ({units}), time column "
            f"{st['time_column']!r} ({st['time_zone']}, {st['stamp']})",
        }
    if values.size == 0 or not np.isfinite(values).any():
        raise InputError(
            path,
            "the file holds no temperature values",
            "check data.station.value_column and data.station.missing_values",
        )
    check_hourly(times, path, "station", on_the_hour=True)
    check_dst(times, path, log)  # in the file's own clock, where the shifts happen at 2 am
    times = to_utc(times, st)
    named = name_units(st["value_column"])
    if named and named != units:
        log.warning(
            "%s: the column name %r suggests %s, but the units are %s; the values are read as %s",
            path.name,
            st["value_column"],
            named,
            units,
            units,
        )
    name_note = (
        f" (and the column name {st['value_column']!r})" if named == units and not _is_netcdf(path) else ""
    )
    kelvin = to_kelvin(
        values,
        units,
        path,
        log,
        declared=declared + name_note,
        fix=(
            "set data.station.units to the unit the values are in (the column "
            "name may lie), or correct the values"
        ),
        implausible_fix=(
            "check data.station.value_column (is it the air temperature?) and data.station.missing_values"
        ),
    )
    check_diurnal_phase(times, kelvin, st, site, path, log)
    times, kelvin = in_years(times, kelvin, data_cfg, st, path, log)
    attrs.update({"time_stamp": st["stamp"], "time_stamp_comment": STAMP_COMMENTS[st["stamp"]]})
    if lat is not None and lon is not None:
        attrs.update({"grid_latitude": float(lat), "grid_longitude": float(lon)})
    log.info("%s: %d rows of %s, %s time, %s", path.name, values.size, units, st["time_zone"], st["stamp"])
    return xr.DataArray(
        kelvin,
        dims="time",
        coords={"time": times.astype("datetime64[ns]")},
        name="t2m",
        attrs={"units": "K", "long_name": long_name or "air temperature (station)", **attrs},
    )
