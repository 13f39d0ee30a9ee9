"""Build one clean hourly temperature series, in °F and local standard time, from year files.

:func:`build_series` concatenates the per-year raw files (read by
:func:`seasonal_vae.era5.open_year_file`), puts the timestamps in order, drops duplicated
hours, checks that the data are hourly, fills short gaps by linear interpolation in time and
refuses long ones (or keeps them missing, if asked), converts kelvin to °F and UTC to the
site's local standard time, and writes one CF-1.8 netCDF file.

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
- longer gaps raise :class:`~seasonal_vae.errors.InputError`, unless ``allow_long_gaps``; then
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

from . import __version__
from .atomic import atomic_path
from .era5 import open_year_file
from .errors import ConfigError, InputError

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


def _check_hourly(times: np.ndarray, path: Path) -> None:
    """Refuse a file whose time step is not one hour (gaps aside)."""
    steps = np.diff(np.unique(times))
    if steps.size == 0:
        return
    if np.any(steps % HOUR):
        raise InputError(path, "timestamps are not whole hours apart (smallest step "
                         f"{pd.Timedelta(steps.min())}): the pipeline needs hourly data",
                         "request all 24 hours (time 00:00 to 23:00) of hourly ERA5 data")
    values, counts = np.unique(steps // HOUR, return_counts=True)
    typical = int(values[np.argmax(counts)])
    if typical != 1:
        raise InputError(path, f"the time step is {typical} h: the pipeline needs hourly data",
                         "request all 24 hours (time 00:00 to 23:00) of hourly ERA5 data")


def _combine(paths: Sequence[Path], variable: str, log: logging.Logger
             ) -> tuple[pd.DataFrame, list[xr.DataArray]]:
    """Read every file; return rows (time, kelvin, file index) and the DataArrays."""
    arrays, frames = [], []
    for i, path in enumerate(paths):
        da = open_year_file(path, variable, log=log)
        times = da["time"].values
        _check_hourly(times, path)
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


def _missing_year_hints(valid: pd.Series, paths: Sequence[Path]) -> list[str]:
    """"no data for 1990: is era5_t2m_1990.nc missing?" for each year without any value."""
    years_with_data = set(valid.index[valid.notna()].year)
    first, last = min(years_with_data), max(years_with_data)
    name = paths[0].name
    name_year = re.search(r"(19|20)\d\d", name)
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
                 log: logging.Logger = logging.getLogger(__name__)) -> xr.Dataset:
    """Concatenate per-year raw files into one hourly series in °F, local standard time.

    Parameters
    ----------
    paths
        Raw per-year files (CDS layout), in any order.
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

    Returns
    -------
    xarray.Dataset
        What was written: variable ``t2m`` (float64, degF) on coordinate ``time`` (naive local
        standard time, hourly, complete). Global attributes: ``Conventions`` ("CF-1.8"),
        ``title``, ``utc_offset_hours``, ``time_zone`` ("UTC-07:00"), ``max_gap_hours``,
        ``n_filled_hours`` (hours filled by interpolation), ``n_missing_hours`` (hours left
        NaN), ``raw_files`` (comma-separated names), ``raw_title``, ``raw_source``,
        ``raw_institution``, ``raw_history`` (from the raw files; distinct values joined by
        newlines), ``grid_latitude``/``grid_longitude`` (when all files agree) and
        ``history``.

    Raises
    ------
    InputError
        For an unreadable file (see :func:`~seasonal_vae.era5.open_year_file`), conflicting
        duplicated hours, a step other than one hour, a record shorter than a day or without
        data, or gaps longer than ``max_gap_hours`` unless ``allow_long_gaps``.
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
    paths = [Path(p) for p in paths]
    if not paths:
        raise InputError(out_path, "no raw files were given", "check data.raw_dir, "
                         "data.file_pattern and the years, or run the download stage")
    rows, arrays = _combine(paths, variable, log)
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
    filled, n_filled, n_missing = _fill(hourly, paths, max_gap_hours, allow_long_gaps, log)

    offset = np.timedelta64(round(utc_offset_hours * 3600), "s")
    local = (hourly.index.to_numpy() + offset).astype("datetime64[ns]")
    ds = xr.Dataset(
        {"t2m": ("time", kelvin_to_fahrenheit(filled), {
            "units": "degF", "standard_name": "air_temperature",
            "long_name": "2 m air temperature"})},
        coords={"time": ("time", local, {
            "standard_name": "time", "long_name": "local standard time",
            "utc_offset_hours": float(utc_offset_hours),
            "comment": f"local standard time = UTC {utc_offset_hours:+g} h all year "
                       "(no daylight saving)"})},
        attrs=_attributes(arrays, paths, utc_offset_hours, max_gap_hours, n_filled, n_missing),
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


def _fill(hourly: pd.Series, paths: Sequence[Path], max_gap_hours: int,
          allow_long_gaps: bool, log: logging.Logger) -> tuple[np.ndarray, int, int]:
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
        hints = _missing_year_hints(hourly, paths)
        listed = "; ".join(long_gaps[:_MAX_LISTED]) + (" …" if len(long_gaps) > _MAX_LISTED
                                                       else "")
        raise InputError(", ".join(p.name for p in paths),
                         f"{len(long_gaps)} gap(s) longer than max_gap_hours={max_gap_hours}: "
                         + listed + "".join(f". {h}" for h in hints),
                         "add the missing data (rerun the download stage), raise "
                         "data.max_gap_hours, or set data.allow_long_gaps: true to keep them "
                         "as missing values (windows that contain them are then skipped)")
    if long_gaps:
        log.warning("%d hour(s) in %d long gap(s) are kept as missing values "
                    "(data.allow_long_gaps); windows containing them will be skipped",
                    n_missing, len(long_gaps))
    return filled, n_filled, n_missing


def _attributes(arrays: Sequence[xr.DataArray], paths: Sequence[Path], utc_offset_hours: float,
                max_gap_hours: int, n_filled: int, n_missing: int) -> dict:
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
    }
    keys = sorted({k for da in arrays for k in da.attrs
                   if k.startswith("raw_") or k.startswith("grid_")})
    for key in keys:
        distinct = list(dict.fromkeys(str(da.attrs[key]) for da in arrays if key in da.attrs))
        if key.startswith("raw_"):
            attrs[key] = "\n".join(distinct)
        elif len(distinct) == 1:
            attrs[key] = float(distinct[0])
    attrs["history"] = (f"{datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%SZ} seasonal_vae "
                        f"{__version__} series.build_series: {len(paths)} raw file(s), K to "
                        f"degF, UTC to {zone}, {n_filled} hour(s) filled by linear "
                        f"interpolation (max_gap_hours={max_gap_hours})")
    return attrs


SERIES_FIX = "rebuild it with the series stage (seasonal_vae.series.build_series)"


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
