"""The time column of a station file: its stamps parsed, its zone turned into UTC, its years.

:func:`seasonal_vae.data.station.open_station_file` reads the file; this module turns the rows'
time column into the naive ``datetime64[ns]`` stamps the pipeline runs on, following the config
section ``data.station`` (see ``src/seasonal_vae/core/schema.yaml``):

- :func:`parse_times`: ISO 8601 strings, or a ``time_format``; or a date column plus an
  integer ``hour_column``; hours 1–24 where ``hour_24`` says so ("24:00" is the midnight that
  ends the day); a UTC offset the stamps carry (``+00:00``, ``Z``) is checked against
  ``time_zone`` (:func:`seasonal_vae.data.station_checks.check_offsets`) and dropped;
- :func:`to_utc`: the file's clock to UTC (``local_standard`` = UTC + ``site.utc_offset_hours``
  all year);
- :func:`in_years`: the hours of ``data.first_year`` … ``data.last_year`` in local standard
  time, an hour-ending mean counted in the year of its interval's centre.

Each failure is an :class:`~seasonal_vae.core.errors.InputError` naming the file, the problem
and the fix: a timestamp that does not parse (the first bad line is named, :func:`csv_line`), an
hour outside 1–24 / 0–23, no hours in the configured years; an unusable ``time_format`` is a
:class:`~seasonal_vae.core.errors.ConfigError`.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from seasonal_vae.core.errors import ConfigError, InputError
from seasonal_vae.data.station_checks import check_offsets

_OFFSET_SUFFIX = re.compile(r"\s*(Z|[+-]\d{2}:?\d{2})$")


def csv_line(i: int) -> int:
    """Line number in a CSV file (1-based, header on line 1) of data row ``i`` (0-based)."""
    return int(i) + 2


def parse_times(frame: pd.DataFrame, st: dict, path: Path) -> np.ndarray:
    """The rows' timestamps as naive datetime64[ns] in the file's own zone; offsets checked."""
    raw = frame[st["time_column"]].fillna("").astype(str).str.strip()
    offsets = raw.str.extract(_OFFSET_SUFFIX, expand=False)
    text = raw.str.replace(_OFFSET_SUFFIX, "", regex=True)
    if st["hour_column"]:
        hours = pd.to_numeric(frame[st["hour_column"]], errors="coerce")
        low, high = (1, 24) if st["hour_24"] else (0, 23)
        bad = hours.isna() | (hours % 1 != 0) | (hours < low) | (hours > high)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                path,
                f"hour {frame[st['hour_column']].iloc[i]!r} on line "
                f"{csv_line(i)} (column {st['hour_column']!r}) is not an integer "
                f"from {low} to {high}",
                "fix the row, or set data.station.hour_24 "
                f"to {'false (hours 0-23)' if st['hour_24'] else 'true (hours 1-24)'}",
            )
        extra = pd.to_timedelta(hours.to_numpy(dtype="float64"), unit="h")
    else:
        extra = pd.to_timedelta(np.zeros(len(raw)), unit="h")
        if st["hour_24"]:
            midnight = text.str.contains(r"(?:^|[ T])24:00(?::00)?$", regex=True)
            text = text.where(~midnight, text.str.replace(r"24:00((?::00)?)$", r"00:00\1", regex=True))
            extra = extra + pd.to_timedelta(midnight.to_numpy().astype("float64"), unit="D")
    fmt = st["time_format"] or "ISO8601"
    try:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    except (ValueError, TypeError) as err:
        raise ConfigError(
            "data.station.time_format",
            f"{fmt!r} is not a usable format ({err})",
            "give a strftime format such as '%Y-%m-%d %H:%M', or null for ISO 8601",
        ) from err
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        shown = frame[st["time_column"]].iloc[i]
        how = f"the format {st['time_format']!r}" if st["time_format"] else "ISO 8601"
        raise InputError(
            path,
            f"{int(bad.sum())} timestamp(s) in column {st['time_column']!r} "
            f"cannot be parsed as {how}; the first is {shown!r} on line {csv_line(i)}",
            "fix or remove those rows, or set data.station.time_format to the "
            "column's strftime format (and data.station.hour_24: true if hours "
            "run 1-24)",
        )
    times = parsed.to_numpy().astype("datetime64[ns]") + np.asarray(extra, dtype="timedelta64[ns]")
    check_offsets(offsets, st, path)
    return times


def to_utc(times: np.ndarray, st: dict) -> np.ndarray:
    """Stamps in the file's zone (``data.station.time_zone``) as naive UTC: ``local_standard``
    stamps less ``site.utc_offset_hours`` (``st["_utc_offset_hours"]``), ``utc`` ones as they are."""
    if st["time_zone"] == "local_standard":
        times = times - np.timedelta64(round(st["_utc_offset_hours"] * 3600), "s")
    return times


def in_years(
    times_utc: np.ndarray, kelvin: np.ndarray, data_cfg: dict, st: dict, path: Path, log: logging.Logger
) -> tuple[np.ndarray, np.ndarray]:
    """The hours of the configured years ``data.first_year`` … ``data.last_year``, in local
    standard time; an hour-ending mean counts in the year of its interval's centre, so that
    the mean of 23:00–24:00 on 31 December, stamped 00:00 on 1 January, stays in its year."""
    first, last = data_cfg.get("first_year"), data_cfg.get("last_year")
    if first is None or last is None:
        return times_utc, kelvin
    centre = times_utc + np.timedelta64(round(st["_utc_offset_hours"] * 3600), "s")
    if st["stamp"] == "hour_ending_mean":
        centre = centre - np.timedelta64(30, "m")
    years = centre.astype("datetime64[Y]").astype(int) + 1970
    keep = (years >= first) & (years <= last)
    if not keep.any():
        raise InputError(
            path,
            f"no hours in the configured years {first}-{last} (the file covers {years.min()}-{years.max()})",
            "set data.first_year and data.last_year to years the file covers",
        )
    if not keep.all():
        log.info(
            "%s: %d row(s) outside %d-%d (local standard time) left out",
            path.name,
            int((~keep).sum()),
            first,
            last,
        )
    return times_utc[keep], kelvin[keep]
