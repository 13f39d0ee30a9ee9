"""Build one clean hourly temperature series, in °F and local standard time, from raw files.

:func:`build_series` concatenates the raw files -- per-year ERA5 files in CDS layout (read by
:func:`seasonal_vae.data.era5.open_year_file`, ``data.kind: era5``) or hourly station files (read by
:func:`seasonal_vae.data.station.open_station_file`, ``data.kind: station``) -- puts the timestamps
in order, drops duplicated hours, checks that the data are hourly, that each file's grid point
or station lies within ``data.max_distance_km`` of the site and (ERA5) that each year file
holds the year its name says (:mod:`seasonal_vae.data.raw_files`, with the checks of
:mod:`seasonal_vae.data.raw_checks`), fills short gaps by linear
interpolation in time and refuses long ones (or keeps them missing, if asked;
:mod:`seasonal_vae.data.gaps`), converts kelvin to °F (:mod:`seasonal_vae.data.units`) and UTC to
the site's local standard time, and writes one CF-1.8 netCDF file.
:func:`build_series_from_config` calls it with everything taken from the ``site`` and ``data``
config sections (what the CLI uses).

Station hourly means stay at their hour-ending stamps (see :mod:`seasonal_vae.data.station`); the
file's attribute ``time_stamp`` says which kind of value the series holds.

Local time is UTC plus a fixed offset (``site.utc_offset_hours``), not a time-zone name:
climate series are kept in standard time all year, so that every day has 24 hours and the
diurnal cycle does not jump by an hour twice a year. For Phoenix (MST, no daylight saving)
the offset is -7 h. The record therefore starts at 1973-12-31 17:00 local time when the first
raw file starts at 1974-01-01 00:00 UTC.

Gap handling, in the log and the file's attributes:

- a *gap* is a run of hours with no value (absent from the files, or NaN), reported by its
  first and last hour (UTC) and its length;
- gaps of up to ``max_gap_hours`` hours are filled by linear interpolation between the hours
  on either side; attribute ``n_filled_hours`` counts the filled hours;
- longer gaps raise :class:`~seasonal_vae.core.errors.InputError`, unless ``allow_long_gaps``; then
  they stay NaN (attribute ``n_missing_hours``) and the windows stage skips every window that
  contains a NaN;
- missing hours at the very start or end of the record cannot be interpolated; they are
  trimmed (with a warning), as if the files had not held them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae import __version__
from seasonal_vae.core.atomic import atomic_path
from seasonal_vae.core.errors import ConfigError, InputError
from seasonal_vae.core.io import open_checked
from seasonal_vae.data.gaps import handle_gaps
from seasonal_vae.data.raw_checks import HOURLY_FIX, format_hour
from seasonal_vae.data.raw_files import one_value_per_hour, read_raw_files
from seasonal_vae.data.units import kelvin_to_fahrenheit

LOG = logging.getLogger(__name__)  # the default logger of this module's functions


def _time_zone_label(offset_hours: float) -> str:
    """``UTC-07:00`` style label of a fixed offset."""
    minutes = round(abs(offset_hours) * 60)
    return f"UTC{'-' if offset_hours < 0 else '+'}{minutes // 60:02d}:{minutes % 60:02d}"


def build_series(
    paths: Sequence[str | Path],
    out_path: str | Path,
    utc_offset_hours: float,
    max_gap_hours: int = 6,
    allow_long_gaps: bool = False,
    variable: str = "t2m",
    log: logging.Logger = LOG,
    *,
    kind: str = "era5",
    data: dict | None = None,
    site: dict | None = None,
) -> xr.Dataset:
    """Concatenate raw files into one hourly series in °F, local standard time.

    Parameters
    ----------
    paths
        Raw files in any order: per-year files in CDS layout (``kind="era5"``) or station files
        (``kind="station"``).
    out_path
        netCDF file to write (atomically: nothing is written if any check fails).
    utc_offset_hours
        Local standard time minus UTC, in hours (Phoenix: -7). A fixed offset, no daylight
        saving.
    max_gap_hours
        Gaps up to this length are filled by linear interpolation (0: fill nothing).
    allow_long_gaps
        Keep longer gaps as NaN instead of raising an error.
    variable
        Name of the temperature variable in the raw files.
    log
        Logger for the report (files read, duplicates, every gap, filled hours).
    kind
        ``"era5"`` or ``"station"`` (``data.kind``).
    data
        The validated ``data`` config section, for what the files need beyond the arguments
        above: ``station`` (the station files' layout), ``max_distance_km`` and
        ``file_pattern`` (the year check of ERA5 files). ``None``: no distance or year check
        (and, for stations, the schema's default layout).
    site
        The ``site`` section: ``latitude``/``longitude`` (distance check) and, for stations,
        ``longitude`` (diurnal-phase check); ``utc_offset_hours`` is taken from the argument.
        ``None``: no distance check.

    Returns
    -------
    xarray.Dataset
        What was written: variable ``t2m`` (float64, degF) on coordinate ``time`` (naive local
        standard time, hourly, complete). Global attributes: ``Conventions`` ("CF-1.8"),
        ``title``, ``utc_offset_hours``, ``time_zone`` ("UTC-07:00"), ``max_gap_hours``,
        ``n_filled_hours`` (hours filled by interpolation), ``n_missing_hours`` (hours left
        NaN), ``raw_files`` (comma-separated names), ``raw_title``, ``raw_source``,
        ``raw_institution``, ``raw_history`` (from the raw files; distinct values joined by
        newlines), ``grid_latitude``/``grid_longitude`` (when all files agree),
        ``data_kind`` ("era5" or "station"), ``time_stamp`` ("instantaneous" or
        "hour_ending_mean", with ``time_stamp_comment``) and ``history``. Hour-ending means
        also get ``cell_methods`` "time: mean (interval: 1 hour)" on ``t2m``.

    Raises
    ------
    InputError
        For an unreadable file (see :func:`~seasonal_vae.data.era5.open_year_file` and
        :func:`~seasonal_vae.data.station.open_station_file`), conflicting duplicated hours, a step
        other than one hour, a grid point or station farther than ``data.max_distance_km``
        from the site, an ERA5 file holding another year than its name says, a record shorter
        than a day or without data, or gaps longer than ``max_gap_hours`` unless
        ``allow_long_gaps``.
    ConfigError
        For an offset outside [-12, 14] h or a negative ``max_gap_hours``.
    """
    if not np.isfinite(utc_offset_hours) or not -12 <= utc_offset_hours <= 14:
        raise ConfigError(
            "site.utc_offset_hours",
            f"{utc_offset_hours!r} is not an offset between -12 and +14 hours",
            "set the site's standard-time offset from UTC, e.g. -7 for Phoenix (MST)",
        )
    if max_gap_hours < 0:
        raise ConfigError(
            "data.max_gap_hours",
            f"{max_gap_hours} is negative",
            "use 0 (fill nothing) or a positive number of hours, e.g. 6",
        )
    if kind not in HOURLY_FIX:
        raise ConfigError(
            "data.kind", f"{kind!r} is neither 'era5' nor 'station'", "set data.kind to era5 or station"
        )
    paths = [Path(p) for p in paths]
    if not paths:
        raise InputError(
            out_path,
            "no raw files were given",
            "check data.raw_dir, data.file_pattern and the years, or run the download stage"
            if kind == "era5"
            else "give the station file (data.station.path)",
        )
    if kind == "station":
        site = {**(site or {}), "utc_offset_hours": utc_offset_hours}
    rows, arrays = read_raw_files(paths, variable, log, kind, data, site)
    series = one_value_per_hour(rows, paths, log)
    valid = series.dropna()
    names = ", ".join(p.name for p in paths)
    if valid.empty:
        raise InputError(
            names,
            "the files hold no temperature values at all",
            "download the files again, or check data.variable",
        )
    span_hours = (valid.index[-1] - valid.index[0]) // pd.Timedelta(hours=1) + 1
    if span_hours < 24:
        raise InputError(
            names,
            f"the record covers only {span_hours} hour(s), less than a day",
            "give at least one whole day of hourly data (normally whole years)",
        )
    for edge, n in (
        ("start", int(series.index.get_loc(valid.index[0]))),
        ("end", len(series) - 1 - int(series.index.get_loc(valid.index[-1]))),
    ):
        if n:
            log.warning(
                "the record %ss with %d missing hour(s); trimmed (they cannot be interpolated)", edge, n
            )
    hourly = series.reindex(pd.date_range(valid.index[0], valid.index[-1], freq="h"))
    filled, n_filled, n_missing = handle_gaps(hourly, paths, max_gap_hours, allow_long_gaps, log, kind)

    offset = np.timedelta64(round(utc_offset_hours * 3600), "s")
    local = (hourly.index.to_numpy() + offset).astype("datetime64[ns]")
    attrs = _attributes(arrays, paths, utc_offset_hours, max_gap_hours, n_filled, n_missing, kind)
    variable_attrs = {"units": "degF", "standard_name": "air_temperature", "long_name": "2 m air temperature"}
    if attrs.get("time_stamp") == "hour_ending_mean":
        variable_attrs.update(
            {
                "cell_methods": "time: mean (interval: 1 hour)",
                "comment": "hour-ending means: the value at hh:00 is the mean "
                "over the hour ending at hh:00 (its centre is 30 min earlier)",
            }
        )
    ds = xr.Dataset(
        {"t2m": ("time", kelvin_to_fahrenheit(filled), variable_attrs)},
        coords={
            "time": (
                "time",
                local,
                {
                    "standard_name": "time",
                    "long_name": "local standard time",
                    "utc_offset_hours": float(utc_offset_hours),
                    "comment": f"local standard time = UTC {utc_offset_hours:+g} h all year "
                    "(no daylight saving)",
                },
            )
        },
        attrs=attrs,
    )
    encoding = {
        "time": {"units": "hours since 1970-01-01", "calendar": "proleptic_gregorian", "dtype": "float64"},
        "t2m": {"dtype": "float64", "_FillValue": np.nan},
    }
    with atomic_path(out_path) as tmp:
        ds.to_netcdf(tmp, engine="netcdf4", format="NETCDF4", encoding=encoding)
    log.info(
        "wrote %s: %d hours, %s to %s local standard time (%s), %d filled, %d missing",
        out_path,
        ds.sizes["time"],
        format_hour(local[0]),
        format_hour(local[-1]),
        _time_zone_label(utc_offset_hours),
        n_filled,
        n_missing,
    )
    return ds


def build_series_from_config(
    paths: Sequence[str | Path],
    out_path: str | Path,
    site: dict,
    data: dict,
    log: logging.Logger = LOG,
) -> xr.Dataset:
    """:func:`build_series` with everything it needs from the validated config sections.

    Parameters
    ----------
    paths
        The raw files: per-year ERA5 files (``data.kind: era5``), or one or more station files
        (``data.kind: station``; empty: ``data.station.path``).
    out_path
        netCDF file to write.
    site, data
        The validated ``site`` and ``data`` sections (see ``src/seasonal_vae/core/schema.yaml``): the UTC
        offset and location of the site; the kind of input, gap limits, variable, file
        pattern, distance limit and station layout.
    log
        Logger for the report.

    Returns
    -------
    xarray.Dataset
        What was written (see :func:`build_series`).
    """
    kind = data.get("kind", "era5")
    paths = list(paths)
    if kind == "station" and not paths and data.get("station", {}).get("path"):
        paths = [data["station"]["path"]]
    return build_series(
        paths,
        out_path,
        utc_offset_hours=site["utc_offset_hours"],
        max_gap_hours=data["max_gap_hours"],
        allow_long_gaps=data["allow_long_gaps"],
        variable=data["variable"],
        log=log,
        kind=kind,
        data=data,
        site=site,
    )


def _attributes(
    arrays: Sequence[xr.DataArray],
    paths: Sequence[Path],
    utc_offset_hours: float,
    max_gap_hours: int,
    n_filled: int,
    n_missing: int,
    kind: str = "era5",
) -> dict:
    """Global attributes of the series file (listed in :func:`build_series`)."""
    zone = _time_zone_label(utc_offset_hours)
    attrs = {
        "Conventions": "CF-1.8",
        "title": f"Hourly 2 m air temperature in local standard time ({zone})",
        "utc_offset_hours": float(utc_offset_hours),
        "time_zone": zone,
        "max_gap_hours": int(max_gap_hours),
        "n_filled_hours": int(n_filled),
        "n_missing_hours": int(n_missing),
        "raw_files": ", ".join(p.name for p in paths),
        "data_kind": kind,
    }
    keys = sorted({k for da in arrays for k in da.attrs if k.startswith(("raw_", "grid_", "time_stamp"))})
    for key in keys:
        distinct = list(dict.fromkeys(str(da.attrs[key]) for da in arrays if key in da.attrs))
        if key.startswith(("raw_", "time_stamp")):
            attrs[key] = "\n".join(distinct)
        elif len(distinct) == 1:
            attrs[key] = float(distinct[0])
    attrs["history"] = (
        f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} seasonal_vae "
        f"{__version__} series.build_series: {len(paths)} raw {kind} "
        f"file(s), K to "
        f"degF, UTC to {zone}, {n_filled} hour(s) filled by linear "
        f"interpolation (max_gap_hours={max_gap_hours})"
    )
    return attrs


SERIES_FIX = "rebuild it with the series stage (seasonal_vae.data.series.build_series)"


def load_series(path: str | Path) -> xr.DataArray:
    """Read the series written by :func:`build_series` into memory.

    Returns
    -------
    xarray.DataArray
        ``t2m`` in °F on local standard time (the file is closed on return).

    Raises
    ------
    InputError
        If the file is missing, unreadable or has no ``t2m`` on a ``time`` axis.
    """
    return open_checked(path, SERIES_FIX)["t2m"]
