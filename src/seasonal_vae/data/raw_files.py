"""The raw files of one record, read and merged into one value per hour (UTC, kelvin).

:func:`read_raw_files` opens every file by its kind -- a per-year ERA5 file in CDS layout
(:func:`seasonal_vae.data.era5.open_year_file`) or an hourly station file
(:func:`seasonal_vae.data.station.open_station_file`) --, gives it the checks of
:mod:`seasonal_vae.data.raw_checks` (hourly steps, distance from the site, and for ERA5 the
year its name says), logs the hours it holds and puts the rows of all files in time order.
:func:`one_value_per_hour` then merges the hours that more than one file holds when their
values agree and refuses them when they conflict. :func:`seasonal_vae.data.series.build_series`
does the rest (gaps, units, local time, the file).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import xarray as xr

from seasonal_vae.core.errors import InputError
from seasonal_vae.data.era5 import open_year_file
from seasonal_vae.data.raw_checks import (
    MAX_LISTED,
    check_distance,
    check_file_year,
    check_hourly,
    format_hour,
)
from seasonal_vae.data.station import open_station_file


def _open(
    path: Path, kind: str, variable: str, data: dict | None, site: dict | None, log: logging.Logger
) -> xr.DataArray:
    if kind == "era5":
        return open_year_file(path, variable, log=log)
    return open_station_file(path, data or {}, log=log, site=site)


def read_raw_files(
    paths: Sequence[Path],
    variable: str,
    log: logging.Logger,
    kind: str = "era5",
    data: dict | None = None,
    site: dict | None = None,
) -> tuple[pd.DataFrame, list[xr.DataArray]]:
    """Read every file and check it; return rows (time, kelvin, file index) and the arrays."""
    data = data or {}
    arrays, frames = [], []
    for i, path in enumerate(paths):
        da = _open(path, kind, variable, data, site, log)
        times = da["time"].values
        check_hourly(times, path, kind)
        check_distance(path, da, site, data.get("max_distance_km"), kind, log)
        if kind == "era5":
            check_file_year(path, times, data.get("file_pattern"))
        if times.size:
            log.info(
                "%s: %d hours, %s to %s UTC",
                path.name,
                times.size,
                format_hour(times.min()),
                format_hour(times.max()),
            )
        else:
            log.warning("%s: no hours at all", path.name)
        arrays.append(da)
        frames.append(pd.DataFrame({"time": times, "value": da.values, "file": i}))
    rows = pd.concat(frames, ignore_index=True)
    if not rows["time"].is_monotonic_increasing:
        log.info("timestamps are not in order across the files; sorting them")
        rows = rows.sort_values("time", kind="stable", ignore_index=True)
    return rows, arrays


def one_value_per_hour(rows: pd.DataFrame, paths: Sequence[Path], log: logging.Logger) -> pd.Series:
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
            for t in conflicts[:MAX_LISTED]:
                rows_t = rows[rows["time"] == t]
                names = sorted({paths[f].name for f in rows_t["file"]})
                values = ", ".join(f"{v:.3f} K" for v in rows_t["value"])
                listed.append(f"{format_hour(t)} UTC ({values}; in {', '.join(names)})")
            files = sorted({paths[f].name for f in rows[rows["time"].isin(conflicts)]["file"]})
            raise InputError(
                ", ".join(files),
                f"{conflicts.size} hour(s) appear more than once "
                "with different values: " + "; ".join(listed) + (" …" if conflicts.size > MAX_LISTED else ""),
                "remove the overlapping file or hours (two downloads of the same "
                "year, or files from different sources?)",
            )
    series = rows.groupby("time", sort=True)["value"].first()
    n_dropped = len(rows) - len(series)
    if n_dropped:
        log.info("dropped %d duplicated hour(s) whose values agree", n_dropped)
    return series
