"""Checks every raw file gets before its hours join the series, whatever its kind.

- :func:`check_hourly`: the timestamps are one hour apart (gaps aside) and, in a station
  file's own clock, on the whole hour;
- :func:`check_distance`: the file's grid point or station lies within
  ``data.max_distance_km`` of the site (:func:`great_circle_km`);
- :func:`check_file_year`: an ERA5 year file holds the year its name says through
  ``data.file_pattern``.

Each failure is an :class:`~seasonal_vae.core.errors.InputError` naming the file, the problem
and the fix. :func:`format_hour` and :data:`MAX_LISTED` are how the data stage's messages show
timestamps and how many of them they list.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.core.errors import InputError

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG) for great-circle distances."""
_YEAR_SHARE = 0.9
"""An ERA5 year file must have at least this share of its hours in the year its name says."""

HOUR = np.timedelta64(1, "h")
MAX_LISTED = 10
"""Gaps or conflicting times listed in an error message; the log has all of them."""

HOURLY_FIX = {
    "era5": "request all 24 hours (time 00:00 to 23:00) of hourly ERA5 data",
    "station": "give hourly values: average sub-hourly data to hourly means first (and "
    "set data.station.stamp: hour_ending_mean); 3-hourly or daily data "
    "cannot be used",
}
"""What to do about data that are not hourly, for each kind of input (``data.kind``)."""


def format_hour(t) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM`` for messages."""
    return pd.Timestamp(t).strftime("%Y-%m-%d %H:%M")


def check_hourly(times: np.ndarray, path: Path, kind: str = "era5", on_the_hour: bool = False) -> None:
    """Refuse a file whose time step is not one hour (gaps aside).

    Parameters
    ----------
    times
        The file's timestamps (``datetime64``), in any order, duplicates allowed.
    path
        The file, for the message.
    kind
        ``"era5"`` or ``"station"``: which fix of :data:`HOURLY_FIX` the message gives.
    on_the_hour
        Also require every timestamp on the whole hour (``hh:00``); used on a station file's
        own clock, where the stamps of hourly means are sometimes their centres (``hh:30``).
        Stamps on the whole hour are whole hours apart, so that check replaces the one on the
        steps, and its message names the first offending stamp.

    Raises
    ------
    InputError
        If steps are not whole hours apart (unless ``on_the_hour``), the most common step is
        not one hour, or (``on_the_hour``) a stamp is off the whole hour.
    """
    fix = HOURLY_FIX[kind]
    steps = np.diff(np.unique(times))
    if steps.size:
        if not on_the_hour and np.any(steps % HOUR):
            raise InputError(
                path,
                "timestamps are not whole hours apart (smallest step "
                f"{pd.Timedelta(steps.min())}): the pipeline needs hourly data",
                fix,
            )
        values, counts = np.unique(steps, return_counts=True)
        typical = pd.Timedelta(values[np.argmax(counts)])
        if typical != pd.Timedelta(hours=1):
            raise InputError(
                path,
                f"the time step is {_step_text(typical)}: the pipeline needs "
                "hourly data (that is the most common step between timestamps)",
                fix,
            )
    if not on_the_hour:
        return
    off = (times - times.astype("datetime64[h]")) != np.timedelta64(0, "ns")
    if off.any():
        i = int(np.flatnonzero(off)[0])
        raise InputError(
            path,
            f"{int(off.sum())} timestamp(s) are not on the whole hour; the "
            f"first is {pd.Timestamp(times[i])} (row {i + 1})",
            "give one value per whole hour (hh:00); if the stamps are the centres "
            "of hourly means (hh:30), stamp each by the end of its hour instead "
            "and set data.station.stamp: hour_ending_mean",
        )


def _step_text(step: pd.Timedelta) -> str:
    minutes = step / pd.Timedelta(minutes=1)
    if minutes < 60:
        return f"{minutes:g} min"
    return f"{minutes / 60:g} h"


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in km between two points given in degrees."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat, dlon = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return float(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(min(1.0, h))))


def check_distance(
    path: Path,
    da: xr.DataArray,
    site: dict | None,
    max_distance_km: float | None,
    kind: str,
    log: logging.Logger,
) -> None:
    """Refuse a file whose grid point or station lies farther than allowed from the site."""
    if not site or max_distance_km is None or site.get("latitude") is None or site.get("longitude") is None:
        return
    lat, lon = da.attrs.get("grid_latitude"), da.attrs.get("grid_longitude")
    what = "grid point" if kind == "era5" else "station"
    if lat is None or lon is None:
        log.info(
            "%s: the file gives no %s coordinates; its distance to the site is not checked", path.name, what
        )
        return
    distance = great_circle_km(site["latitude"], site["longitude"], lat, lon)
    if distance > max_distance_km:
        fix = (
            "use the file for the configured site, or set site.latitude/site.longitude "
            + ("(and site.area) " if kind == "era5" else "")
            + "to the place the file describes, or raise data.max_distance_km if that "
            "distance is intended"
        )
        raise InputError(
            path,
            f"its {what} at {lat:.4g}° N, {lon:.4g}° E lies {distance:.0f} km "
            f"from the site ({site['latitude']:.4g}° N, {site['longitude']:.4g}° E), "
            f"farther than data.max_distance_km={max_distance_km:g}",
            fix,
        )
    log.info("%s: %s at %.4g° N, %.4g° E, %.1f km from the site", path.name, what, lat, lon, distance)


def _year_of_name(name: str, file_pattern: str | None) -> int | None:
    """The year a file name gives through ``data.file_pattern`` (``None``: it does not match)."""
    if not file_pattern or "{year}" not in file_pattern:
        return None
    pattern = Path(file_pattern).name
    regex = r"(\d{4})".join(re.escape(part) for part in pattern.split("{year}"))
    match = re.fullmatch(regex, name)
    return int(match.group(1)) if match else None


def check_file_year(path: Path, times: np.ndarray, file_pattern: str | None) -> None:
    """An ERA5 year file must hold (nearly) only the hours of the year its name says."""
    year = _year_of_name(path.name, file_pattern)
    if year is None or times.size == 0:
        return
    years, counts = np.unique(pd.DatetimeIndex(times).year, return_counts=True)
    share = counts[years == year].sum() / times.size
    if share >= _YEAR_SHARE:
        return
    held = ", ".join(f"{y} ({c} h)" for y, c in zip(years, counts))
    raise InputError(
        path,
        f"its name says {year} (data.file_pattern {file_pattern!r}), but its hours are in {held} (UTC)",
        f"put the file of {year} under this name (a download saved under the wrong "
        "name, or a renamed file?): delete it and run the download stage again, or "
        "rename it after the year it holds",
    )
