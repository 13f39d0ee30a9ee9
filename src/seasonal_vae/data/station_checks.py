"""Checks of a station file beyond its layout: the clock, the zone, the units it announces.

Each failure is an :class:`~seasonal_vae.core.errors.InputError` naming the file, the problem and
the fix (the steps and stamps are checked by :func:`seasonal_vae.data.raw_checks.check_hourly`):

- :func:`check_offsets`: timestamps whose own UTC offset (``+00:00``, ``Z``) contradicts
  ``data.station.time_zone``;
- :func:`check_dst`: the signature of daylight-saving time (one missing hour in spring and
  one repeated hour in autumn of a year) in a column meant to be standard time;
- :func:`check_diurnal_phase`: a time column whose zone is wrong, detected from the phase of
  the mean diurnal cycle: in local solar time at the site's longitude its warmest hour should
  be in the afternoon (:data:`AFTERNOON`, about 12–18 h); if it is hours off, the column is
  probably local time announced as UTC (or the other way round);
- :func:`name_units`: the unit a column's name announces, which
  :func:`seasonal_vae.data.station.open_station_file` compares with ``data.station.units``
  (the values themselves are checked by :func:`seasonal_vae.data.units.to_kelvin`, as ERA5
  files are).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from seasonal_vae.core.errors import InputError
from seasonal_vae.data.raw_checks import HOUR

AFTERNOON = (11.0, 19.0)
"""Local solar hours within which the warmest hour of the mean diurnal cycle must lie: the
usual 12–18 h, one hour of slack on either side (coastal and cloudy sites peak early, deserts
late). A time column 7 hours off puts it near 08 or 22 h."""

_MIN_PHASE_DAYS = 10
"""The diurnal-phase check needs at least this many days of values."""
_MIN_PHASE_AMPLITUDE_K = 0.5
"""... and a mean diurnal cycle at least this large (peak to trough), else it is skipped."""

_NAME_UNITS = (
    ("degF", re.compile(r"(deg_?f|fahrenheit|°f|(?<![a-z])f(?![a-z]))", re.I)),
    ("degC", re.compile(r"(deg_?c|celsius|°c|(?<![a-z])c(?![a-z]))", re.I)),
    ("K", re.compile(r"(kelvin|(?<![a-z])k(?![a-z]))", re.I)),
)


def check_offsets(offsets: pd.Series, st: dict, path: Path) -> None:
    """Timestamps that carry an offset (``+00:00``, ``Z``) must agree with ``time_zone``."""
    found = offsets.dropna().unique()
    if not found.size:
        return
    minutes = set()
    for text in found:
        if text == "Z":
            minutes.add(0)
            continue
        sign = -1 if text[0] == "-" else 1
        digits = text[1:].replace(":", "")
        minutes.add(sign * (int(digits[:2]) * 60 + int(digits[2:])))
    expected = 0 if st["time_zone"] == "utc" else round(st["_utc_offset_hours"] * 60)
    if minutes != {expected} or offsets.isna().any():
        shown = ", ".join(sorted(found))
        zone = (
            "UTC" if st["time_zone"] == "utc" else f"local standard time (UTC{st['_utc_offset_hours']:+g} h)"
        )
        dst = (
            " (two offsets an hour apart: daylight-saving time?)"
            if len(minutes) == 2 and abs(np.diff(sorted(minutes))[0]) == 60
            else ""
        )
        raise InputError(
            path,
            f"the timestamps carry the UTC offset(s) {shown}{dst}"
            + (" and some none" if offsets.isna().any() else "")
            + f", but data.station.time_zone says {st['time_zone']} ({zone})",
            "set data.station.time_zone (and site.utc_offset_hours) to match the "
            "offsets, or convert the column to one fixed offset",
        )


def check_dst(times: np.ndarray, path: Path, log: logging.Logger) -> None:
    """Refuse the footprint of daylight-saving time in a column meant to be standard time.

    A clock that switches to summer time skips one hour in spring (a one-hour hole) and repeats
    one in autumn (the same stamp twice), both in the small hours. One year with both, at
    hours 0-4 and in the spring/autumn months of either hemisphere, is enough.
    """
    t = pd.DatetimeIndex(times)
    if t.size < 48:
        return
    dup = t[t.duplicated(keep="first")]
    unique = t.unique().sort_values()
    steps = np.diff(unique.to_numpy())
    holes = unique[:-1][steps == 2 * HOUR] + pd.Timedelta(hours=1)
    north_spring, north_autumn = {2, 3, 4}, {9, 10, 11}

    def small_hours(ix):
        return ix[ix.hour <= 4]

    holes, dup = small_hours(holes), small_hours(dup)
    found = []
    for year in sorted(set(holes.year) & set(dup.year)):
        h, d = holes[holes.year == year], dup[dup.year == year]
        for springs, autumns in ((north_spring, north_autumn), (north_autumn, north_spring)):
            hs = h[np.isin(h.month, list(springs))]
            ds = d[np.isin(d.month, list(autumns))]
            if hs.size and ds.size:
                found.append((year, hs[0], ds[0]))
                break
    if found:
        listed = "; ".join(
            f"{y}: no {h:%Y-%m-%d %H:%M}, {d:%Y-%m-%d %H:%M} twice" for y, h, d in found[:5]
        ) + (" …" if len(found) > 5 else "")
        raise InputError(
            path,
            f"the timestamps look like local clock time with daylight-saving "
            f"time: one missing hour in spring and one repeated hour in autumn in "
            f"{len(found)} year(s) ({listed})",
            "convert the column to UTC or to standard time all year (no daylight "
            "saving) and set data.station.time_zone to utc or local_standard "
            "accordingly; the pipeline cannot tell the two repeated hours apart",
        )


def check_diurnal_phase(
    times_utc: np.ndarray, kelvin: np.ndarray, st: dict, site: dict, path: Path, log: logging.Logger
) -> None:
    """The warmest hour of the mean diurnal cycle must fall in the local solar afternoon."""
    lon = site.get("longitude")
    ok = np.isfinite(kelvin)
    if lon is None or ok.sum() < _MIN_PHASE_DAYS * 24:
        log.info("%s: too few values (or no site longitude) to check the diurnal phase", path.name)
        return
    centre = times_utc[ok]
    if st["stamp"] == "hour_ending_mean":
        centre = centre - np.timedelta64(30, "m")
    solar_hours = ((centre - centre.astype("datetime64[D]")) / HOUR + float(lon) / 15.0) % 24
    bins = np.floor(solar_hours).astype(int)
    # remove each day's mean first, so that an uneven coverage of seasons does not matter
    day = pd.DatetimeIndex(centre).floor("D")
    anomaly = kelvin[ok] - pd.Series(kelvin[ok]).groupby(day).transform("mean").to_numpy()
    cycle = pd.Series(anomaly).groupby(bins).mean().reindex(range(24))
    if cycle.isna().any() or cycle.max() - cycle.min() < _MIN_PHASE_AMPLITUDE_K:
        log.info("%s: the mean diurnal cycle is too weak or incomplete to check its phase", path.name)
        return
    # the peak's phase from the first harmonic (robust to a flat top), shown as the hour
    angles = 2 * np.pi * (np.arange(24) + 0.5) / 24
    peak = (np.angle(np.sum(cycle.to_numpy() * np.exp(1j * angles))) / (2 * np.pi) * 24) % 24
    warmest = int(cycle.idxmax())
    log.info(
        "%s: the mean diurnal cycle peaks at %.1f h local solar time (warmest hour %02d h)",
        path.name,
        peak,
        warmest,
    )
    if AFTERNOON[0] <= peak <= AFTERNOON[1]:
        return
    shift = ((15.0 - peak + 12) % 24) - 12  # hours to add to the stamps to put it at 15 h
    zone = st["time_zone"]
    offset = float(site.get("utc_offset_hours", 0.0))
    if zone == "utc" and offset and abs(shift + offset) <= 2.5:
        hint = (
            f"the column looks like local time (UTC{offset:+g} h) announced as UTC: set "
            "data.station.time_zone: local_standard"
        )
    elif zone == "local_standard" and offset and abs(shift - offset) <= 2.5:
        hint = "the column looks like UTC announced as local time: set data.station.time_zone: utc"
    else:
        hint = "check data.station.time_zone, site.utc_offset_hours and site.longitude against the file"
    raise InputError(
        path,
        f"the warmest hour of the mean diurnal cycle is at {peak:.1f} h "
        f"local solar time (first harmonic; warmest hourly mean at {warmest:02d} h; "
        f"longitude {float(lon):g}), not in the afternoon "
        f"({AFTERNOON[0]:g}-{AFTERNOON[1]:g} h): it is about {abs(shift):.0f} h "
        f"{'early' if shift > 0 else 'late'}, so the time column's zone looks "
        f"wrong (data.station.time_zone is {zone})",
        hint,
    )


def name_units(column: str) -> str | None:
    """The unit a column's name announces (``t_air_degC_hourly_mean`` → degC), if any."""
    for unit, pattern in _NAME_UNITS:
        if pattern.search(column.replace("_", " ")):
            return unit
    return None
