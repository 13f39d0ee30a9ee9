"""Build one clean hourly temperature series, in °F and local standard time, from raw files.

:func:`build_series` concatenates the raw files -- per-year ERA5 files in CDS layout (read by
:func:`seasonal_vae.data.era5.open_year_file`, ``data.kind: era5``) or hourly station files (read by
:func:`seasonal_vae.data.station.open_station_file`, ``data.kind: station``) -- puts the timestamps
in order, drops duplicated hours, checks that the data are hourly, that each file's grid point
or station lies within ``data.max_distance_km`` of the site and (ERA5) that each year file
holds the year its name says, fills short gaps by linear interpolation in time and refuses
long ones (or keeps them missing, if asked), converts kelvin to °F and UTC to the site's local
standard time, and writes one CF-1.8 netCDF file. :func:`build_series_from_config` calls it
with everything taken from the ``site`` and ``data`` config sections (what the CLI uses).

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
import re
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae import __version__
from seasonal_vae.core.atomic import atomic_path
from seasonal_vae.data.era5 import open_year_file
from seasonal_vae.core.errors import ConfigError, InputError

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG) for great-circle distances."""
_YEAR_SHARE = 0.9
"""An ERA5 year file must have at least this share of its hours in the year its name says."""

HOUR = np.timedelta64(1, "h")
_MAX_LISTED = 10
"""Gaps or conflicting times listed in an error message; the log has all of them."""


def kelvin_to_fahrenheit(kelvin):
    """Convert kelvin to degrees Fahrenheit: (K − 273.15)·9/5 + 32."""
    return (np.asarray(kelvin, dtype="float64") - 273.15) * 1.8 + 32.0


def fahrenheit_to_kelvin(fahrenheit):
    """Convert degrees Fahrenheit to kelvin: (°F − 32)·5/9 + 273.15."""
    return (np.asarray(fahrenheit, dtype="float64") - 32.0) / 1.8 + 273.15


def find_gaps(values: np.ndarray) -> list[tuple[int, int]]:
    """Runs of NaN in a 1-D array.

    Parameters
    ----------
    values
        1-D float array.

    Returns
    -------
    list of (int, int)
        ``(start, stop)`` index pairs, ``values[start:stop]`` all NaN, maximal, in order.
    """
    edges = np.diff(np.concatenate([[0], np.isnan(values).astype(np.int8), [0]]))
    return [(int(a), int(b)) for a, b in zip(np.flatnonzero(edges == 1),
                                             np.flatnonzero(edges == -1))]


def fill_gaps(values: np.ndarray, max_gap_hours: int) -> tuple[np.ndarray, int]:
    """Fill runs of at most ``max_gap_hours`` NaNs by linear interpolation in time.

    Parameters
    ----------
    values
        1-D float array on a regular hourly axis. Its first and last values must be finite
        (a gap needs a value on both sides).
    max_gap_hours
        Longest run of NaNs that is filled; longer runs stay NaN.

    Returns
    -------
    filled : numpy.ndarray
        A copy of ``values`` with the short gaps filled; every other value is unchanged.
    n_filled : int
        Number of values filled.
    """
    filled = np.array(values, dtype="float64")
    short = np.zeros(filled.size, dtype=bool)
    for start, stop in find_gaps(filled):
        if stop - start <= max_gap_hours:
            short[start:stop] = True
    if short.any():
        index = np.arange(filled.size)
        known = ~np.isnan(filled)
        filled[short] = np.interp(index[short], index[known], filled[known])
    return filled, int(short.sum())


def _time_zone_label(offset_hours: float) -> str:
    """``UTC-07:00`` style label of a fixed offset."""
    minutes = round(abs(offset_hours) * 60)
    return f"UTC{'-' if offset_hours < 0 else '+'}{minutes // 60:02d}:{minutes % 60:02d}"


def _format_hour(t) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM`` for messages."""
    return pd.Timestamp(t).strftime("%Y-%m-%d %H:%M")


_HOURLY_FIX = {"era5": "request all 24 hours (time 00:00 to 23:00) of hourly ERA5 data",
               "station": "give hourly values (average sub-hourly data to hourly means first)"}


def _check_hourly(times: np.ndarray, path: Path, kind: str = "era5") -> None:
    """Refuse a file whose time step is not one hour (gaps aside)."""
    steps = np.diff(np.unique(times))
    if steps.size == 0:
        return
    if np.any(steps % HOUR):
        raise InputError(path, "timestamps are not whole hours apart (smallest step "
                         f"{pd.Timedelta(steps.min())}): the pipeline needs hourly data",
                         _HOURLY_FIX[kind])
    values, counts = np.unique(steps // HOUR, return_counts=True)
    typical = int(values[np.argmax(counts)])
    if typical != 1:
        raise InputError(path, f"the time step is {typical} h: the pipeline needs hourly data",
                         _HOURLY_FIX[kind])


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in km between two points given in degrees."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat, dlon = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return float(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(min(1.0, h))))


def _check_distance(path: Path, da: xr.DataArray, site: dict | None,
                    max_distance_km: float | None, kind: str, log: logging.Logger) -> None:
    """Refuse a file whose grid point or station lies farther than allowed from the site."""
    if not site or max_distance_km is None or site.get("latitude") is None \
            or site.get("longitude") is None:
        return
    lat, lon = da.attrs.get("grid_latitude"), da.attrs.get("grid_longitude")
    what = "grid point" if kind == "era5" else "station"
    if lat is None or lon is None:
        log.info("%s: the file gives no %s coordinates; its distance to the site is not "
                 "checked", path.name, what)
        return
    distance = great_circle_km(site["latitude"], site["longitude"], lat, lon)
    if distance > max_distance_km:
        fix = ("use the file for the configured site, or set site.latitude/site.longitude "
               + ("(and site.area) " if kind == "era5" else "")
               + "to the place the file describes, or raise data.max_distance_km if that "
               "distance is intended")
        raise InputError(path, f"its {what} at {lat:.4g}° N, {lon:.4g}° E lies {distance:.0f} km "
                         f"from the site ({site['latitude']:.4g}° N, {site['longitude']:.4g}° E), "
                         f"farther than data.max_distance_km={max_distance_km:g}", fix)
    log.info("%s: %s at %.4g° N, %.4g° E, %.1f km from the site", path.name, what, lat, lon,
             distance)


def _year_of_name(name: str, file_pattern: str | None) -> int | None:
    """The year a file name gives through ``data.file_pattern`` (``None``: it does not match)."""
    if not file_pattern or "{year}" not in file_pattern:
        return None
    pattern = Path(file_pattern).name
    regex = r"(\d{4})".join(re.escape(part) for part in pattern.split("{year}"))
    match = re.fullmatch(regex, name)
    return int(match.group(1)) if match else None


def _check_file_year(path: Path, times: np.ndarray, file_pattern: str | None) -> None:
    """An ERA5 year file must hold (nearly) only the hours of the year its name says."""
    year = _year_of_name(path.name, file_pattern)
    if year is None or times.size == 0:
        return
    years, counts = np.unique(pd.DatetimeIndex(times).year, return_counts=True)
    share = counts[years == year].sum() / times.size
    if share >= _YEAR_SHARE:
        return
    held = ", ".join(f"{y} ({c} h)" for y, c in zip(years, counts))
    raise InputError(path, f"its name says {year} (data.file_pattern "
                     f"{file_pattern!r}), but its hours are in {held} (UTC)",
                     f"put the file of {year} under this name (a download saved under the wrong "
                     "name, or a renamed file?): delete it and run the download stage again, or "
                     "rename it after the year it holds")


def _open(path: Path, kind: str, variable: str, data: dict | None, site: dict | None,
          log: logging.Logger) -> xr.DataArray:
    if kind == "era5":
        return open_year_file(path, variable, log=log)
    from seasonal_vae.data.station import open_station_file

    return open_station_file(path, data or {}, log=log, site=site)


def _combine(paths: Sequence[Path], variable: str, log: logging.Logger, kind: str = "era5",
             data: dict | None = None, site: dict | None = None
             ) -> tuple[pd.DataFrame, list[xr.DataArray]]:
    """Read every file and check it; return rows (time, kelvin, file index) and the arrays."""
    data = data or {}
    arrays, frames = [], []
    for i, path in enumerate(paths):
        da = _open(path, kind, variable, data, site, log)
        times = da["time"].values
        _check_hourly(times, path, kind)
        _check_distance(path, da, site, data.get("max_distance_km"), kind, log)
        if kind == "era5":
            _check_file_year(path, times, data.get("file_pattern"))
        if times.size:
            log.info("%s: %d hours, %s to %s UTC", path.name, times.size,
                     _format_hour(times.min()), _format_hour(times.max()))
        else:
            log.warning("%s: no hours at all", path.name)
        arrays.append(da)
        frames.append(pd.DataFrame({"time": times, "value": da.values, "file": i}))
    rows = pd.concat(frames, ignore_index=True)
    if not rows["time"].is_monotonic_increasing:
        log.info("timestamps are not in order across the files; sorting them")
        rows = rows.sort_values("time", kind="stable", ignore_index=True)
    return rows, arrays


def _drop_duplicates(rows: pd.DataFrame, paths: Sequence[Path], log: logging.Logger
                     ) -> pd.Series:
    """One value per hour: merge duplicated hours that agree, refuse those that conflict.

    Values agree if they differ by at most 1e-6 K; a NaN agrees with anything (the value
    is kept).
    """
    duplicated = rows["time"].duplicated(keep=False)
    if duplicated.any():
        groups = rows[duplicated].groupby("time")
        spread = groups["value"].max() - groups["value"].min()
        conflicts = spread.index[spread > 1e-6]
        if conflicts.size:
            listed = []
            for t in conflicts[:_MAX_LISTED]:
                rows_t = rows[rows["time"] == t]
                names = sorted({paths[f].name for f in rows_t["file"]})
                values = ", ".join(f"{v:.3f} K" for v in rows_t["value"])
                listed.append(f"{_format_hour(t)} UTC ({values}; in {', '.join(names)})")
            files = sorted({paths[f].name for f in rows[rows["time"].isin(conflicts)]["file"]})
            raise InputError(", ".join(files), f"{conflicts.size} hour(s) appear more than once "
                             "with different values: " + "; ".join(listed)
                             + (" …" if conflicts.size > _MAX_LISTED else ""),
                             "remove the overlapping file or hours (two downloads of the same "
                             "year, or files from different sources?)")
    series = rows.groupby("time", sort=True)["value"].first()
    n_dropped = len(rows) - len(series)
    if n_dropped:
        log.info("dropped %d duplicated hour(s) whose values agree", n_dropped)
    return series


def _missing_year_hints(valid: pd.Series, paths: Sequence[Path], kind: str = "era5"
                        ) -> list[str]:
    """"no data for 1990: is era5_t2m_1990.nc missing?" for each year without any value."""
    years_with_data = set(valid.index[valid.notna()].year)
    first, last = min(years_with_data), max(years_with_data)
    name = paths[0].name
    name_year = re.search(r"(19|20)\d\d", name) if kind == "era5" else None
    hints = []
    for year in range(first, last + 1):
        if year in years_with_data:
            continue
        guess = (name[:name_year.start()] + str(year) + name[name_year.end():]
                 if name_year else f"the file for {year}")
        hints.append(f"no data for {year}: is {guess} missing?")
    return hints


def build_series(paths: Sequence[str | Path], out_path: str | Path, utc_offset_hours: float,
                 max_gap_hours: int = 6, allow_long_gaps: bool = False, variable: str = "t2m",
                 log: logging.Logger = logging.getLogger(__name__), *, kind: str = "era5",
                 data: dict | None = None, site: dict | None = None) -> xr.Dataset:
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
        raise ConfigError("site.utc_offset_hours", f"{utc_offset_hours!r} is not an offset "
                          "between -12 and +14 hours", "set the site's standard-time offset "
                          "from UTC, e.g. -7 for Phoenix (MST)")
    if max_gap_hours < 0:
        raise ConfigError("data.max_gap_hours", f"{max_gap_hours} is negative",
                          "use 0 (fill nothing) or a positive number of hours, e.g. 6")
    if kind not in _HOURLY_FIX:
        raise ConfigError("data.kind", f"{kind!r} is neither 'era5' nor 'station'",
                          "set data.kind to era5 or station")
    paths = [Path(p) for p in paths]
    if not paths:
        raise InputError(out_path, "no raw files were given", "check data.raw_dir, "
                         "data.file_pattern and the years, or run the download stage"
                         if kind == "era5" else "give the station file (data.station.path)")
    if kind == "station":
        site = {**(site or {}), "utc_offset_hours": utc_offset_hours}
    rows, arrays = _combine(paths, variable, log, kind, data, site)
    series = _drop_duplicates(rows, paths, log)
    valid = series.dropna()
    names = ", ".join(p.name for p in paths)
    if valid.empty:
        raise InputError(names, "the files hold no temperature values at all",
                         "download the files again, or check data.variable")
    span_hours = (valid.index[-1] - valid.index[0]) // pd.Timedelta(hours=1) + 1
    if span_hours < 24:
        raise InputError(names, f"the record covers only {span_hours} hour(s), less than a day",
                         "give at least one whole day of hourly data (normally whole years)")
    for edge, n in (("start", int(series.index.get_loc(valid.index[0]))),
                    ("end", len(series) - 1 - int(series.index.get_loc(valid.index[-1])))):
        if n:
            log.warning("the record %ss with %d missing hour(s); trimmed (they cannot be "
                        "interpolated)", edge, n)
    hourly = series.reindex(pd.date_range(valid.index[0], valid.index[-1], freq="h"))
    filled, n_filled, n_missing = _fill(hourly, paths, max_gap_hours, allow_long_gaps, log,
                                        kind)

    offset = np.timedelta64(round(utc_offset_hours * 3600), "s")
    local = (hourly.index.to_numpy() + offset).astype("datetime64[ns]")
    attrs = _attributes(arrays, paths, utc_offset_hours, max_gap_hours, n_filled, n_missing,
                        kind)
    variable_attrs = {"units": "degF", "standard_name": "air_temperature",
                      "long_name": "2 m air temperature"}
    if attrs.get("time_stamp") == "hour_ending_mean":
        variable_attrs.update({"cell_methods": "time: mean (interval: 1 hour)",
                               "comment": "hour-ending means: the value at hh:00 is the mean "
                               "over the hour ending at hh:00 (its centre is 30 min earlier)"})
    ds = xr.Dataset(
        {"t2m": ("time", kelvin_to_fahrenheit(filled), variable_attrs)},
        coords={"time": ("time", local, {
            "standard_name": "time", "long_name": "local standard time",
            "utc_offset_hours": float(utc_offset_hours),
            "comment": f"local standard time = UTC {utc_offset_hours:+g} h all year "
                       "(no daylight saving)"})},
        attrs=attrs,
    )
    encoding = {"time": {"units": "hours since 1970-01-01",
                         "calendar": "proleptic_gregorian", "dtype": "float64"},
                "t2m": {"dtype": "float64", "_FillValue": np.nan}}
    with atomic_path(out_path) as tmp:
        ds.to_netcdf(tmp, engine="netcdf4", format="NETCDF4", encoding=encoding)
    log.info("wrote %s: %d hours, %s to %s local standard time (%s), %d filled, %d missing",
             out_path, ds.sizes["time"], _format_hour(local[0]), _format_hour(local[-1]),
             _time_zone_label(utc_offset_hours), n_filled, n_missing)
    return ds


def build_series_from_config(paths: Sequence[str | Path], out_path: str | Path, site: dict,
                             data: dict, log: logging.Logger = logging.getLogger(__name__)
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
    return build_series(paths, out_path, utc_offset_hours=site["utc_offset_hours"],
                        max_gap_hours=data["max_gap_hours"],
                        allow_long_gaps=data["allow_long_gaps"], variable=data["variable"],
                        log=log, kind=kind, data=data, site=site)


def _fill(hourly: pd.Series, paths: Sequence[Path], max_gap_hours: int,
          allow_long_gaps: bool, log: logging.Logger, kind: str = "era5"
          ) -> tuple[np.ndarray, int, int]:
    """Report every gap, fill the short ones, refuse or keep the long ones."""
    values = hourly.to_numpy(dtype="float64")
    times = hourly.index
    gaps = find_gaps(values)
    long_gaps = []
    for start, stop in gaps:
        length = stop - start
        text = (f"{_format_hour(times[start])} to {_format_hour(times[stop - 1])} UTC "
                f"({length} h)")
        if length <= max_gap_hours:
            log.info("gap %s: filled by linear interpolation", text)
        else:
            log.warning("gap %s: longer than max_gap_hours=%d", text, max_gap_hours)
            long_gaps.append(text)
    filled, n_filled = fill_gaps(values, max_gap_hours)
    n_missing = int(np.isnan(filled).sum())
    log.info("%d gap(s), %d missing hour(s): %d filled by interpolation, %d left missing",
             len(gaps), n_filled + n_missing, n_filled, n_missing)
    if long_gaps and not allow_long_gaps:
        hints = _missing_year_hints(hourly, paths, kind)
        listed = "; ".join(long_gaps[:_MAX_LISTED]) + (" …" if len(long_gaps) > _MAX_LISTED
                                                       else "")
        raise InputError(", ".join(p.name for p in paths),
                         f"{len(long_gaps)} gap(s) longer than max_gap_hours={max_gap_hours}: "
                         + listed + "".join(f". {h}" for h in hints),
                         ("add the missing data (rerun the download stage), raise "
                          if kind == "era5" else "add the missing data, raise ")
                         + "data.max_gap_hours, or set data.allow_long_gaps: true to keep them "
                         "as missing values (windows that contain them are then skipped)")
    if long_gaps:
        log.warning("%d hour(s) in %d long gap(s) are kept as missing values "
                    "(data.allow_long_gaps); windows containing them will be skipped",
                    n_missing, len(long_gaps))
    return filled, n_filled, n_missing


def _attributes(arrays: Sequence[xr.DataArray], paths: Sequence[Path], utc_offset_hours: float,
                max_gap_hours: int, n_filled: int, n_missing: int, kind: str = "era5") -> dict:
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
    keys = sorted({k for da in arrays for k in da.attrs
                   if k.startswith(("raw_", "grid_", "time_stamp"))})
    for key in keys:
        distinct = list(dict.fromkeys(str(da.attrs[key]) for da in arrays if key in da.attrs))
        if key.startswith(("raw_", "time_stamp")):
            attrs[key] = "\n".join(distinct)
        elif len(distinct) == 1:
            attrs[key] = float(distinct[0])
    attrs["history"] = (f"{datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%SZ} seasonal_vae "
                        f"{__version__} series.build_series: {len(paths)} raw {kind} "
                        f"file(s), K to "
                        f"degF, UTC to {zone}, {n_filled} hour(s) filled by linear "
                        f"interpolation (max_gap_hours={max_gap_hours})")
    return attrs


SERIES_FIX = "rebuild it with the series stage (seasonal_vae.data.series.build_series)"


def open_checked(path: str | Path, fix: str, dims: tuple[str, ...] = ("time",),
                 variable: str = "t2m") -> xr.Dataset:
    """Read a netCDF file that a pipeline stage wrote into memory, with clear errors.

    Parameters
    ----------
    path
        The file.
    fix
        What the user should do if it is missing or wrong (usually: rerun the stage).
    dims, variable
        The variable the file must hold, and its dimensions.

    Raises
    ------
    InputError
        If the file is missing, unreadable, or lacks ``variable`` on ``dims``.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found", fix)
    try:
        with xr.open_dataset(path, engine="netcdf4") as ds:
            ds = ds.load()
    except Exception as err:
        raise InputError(path, f"cannot be read as netCDF ({type(err).__name__}: {err})",
                         fix) from err
    if variable not in ds.data_vars or ds[variable].dims != dims:
        where = "a 'time' axis" if dims == ("time",) else f"dims {dims}"
        raise InputError(path, f"no variable '{variable}' on {where} (the file holds "
                         f"{sorted(map(str, ds.data_vars))})", fix)
    return ds


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
