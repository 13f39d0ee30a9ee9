"""Gaps in the hourly record: report every one, fill the short ones, refuse or keep the long.

A *gap* is a run of hours with no value (absent from the files, or NaN): a run of the NaN mask
(:func:`seasonal_vae.core.runs.run_pairs`). :func:`handle_gaps` logs each gap by its first and
last hour (UTC) and its length, fills those of up to ``max_gap_hours`` hours by linear
interpolation (:func:`fill_gaps`), and refuses longer ones -- with a hint at the year file that
seems to be missing -- unless ``data.allow_long_gaps`` keeps them as NaN.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from seasonal_vae.core.errors import InputError
from seasonal_vae.core.runs import run_pairs
from seasonal_vae.data.raw_checks import MAX_LISTED, format_hour


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
    for start, stop in run_pairs(np.isnan(filled)):
        if stop - start <= max_gap_hours:
            short[start:stop] = True
    if short.any():
        index = np.arange(filled.size)
        known = ~np.isnan(filled)
        filled[short] = np.interp(index[short], index[known], filled[known])
    return filled, int(short.sum())


def handle_gaps(
    hourly: pd.Series,
    paths: Sequence[Path],
    max_gap_hours: int,
    allow_long_gaps: bool,
    log: logging.Logger,
    kind: str = "era5",
) -> tuple[np.ndarray, int, int]:
    """Report every gap, fill the short ones, refuse or keep the long ones."""
    values = hourly.to_numpy(dtype="float64")
    times = hourly.index
    gaps = run_pairs(np.isnan(values))
    long_gaps = []
    for start, stop in gaps:
        length = stop - start
        text = f"{format_hour(times[start])} to {format_hour(times[stop - 1])} UTC ({length} h)"
        if length <= max_gap_hours:
            log.info("gap %s: filled by linear interpolation", text)
        else:
            log.warning("gap %s: longer than max_gap_hours=%d", text, max_gap_hours)
            long_gaps.append(text)
    filled, n_filled = fill_gaps(values, max_gap_hours)
    n_missing = int(np.isnan(filled).sum())
    log.info(
        "%d gap(s), %d missing hour(s): %d filled by interpolation, %d left missing",
        len(gaps),
        n_filled + n_missing,
        n_filled,
        n_missing,
    )
    if long_gaps and not allow_long_gaps:
        hints = _missing_year_hints(hourly, paths, kind)
        listed = "; ".join(long_gaps[:MAX_LISTED]) + (" …" if len(long_gaps) > MAX_LISTED else "")
        raise InputError(
            ", ".join(p.name for p in paths),
            f"{len(long_gaps)} gap(s) longer than max_gap_hours={max_gap_hours}: "
            + listed
            + "".join(f". {h}" for h in hints),
            (
                "add the missing data (rerun the download stage), raise "
                if kind == "era5"
                else "add the missing data, raise "
            )
            + "data.max_gap_hours, or set data.allow_long_gaps: true to keep them "
            "as missing values (windows that contain them are then skipped)",
        )
    if long_gaps:
        log.warning(
            "%d hour(s) in %d long gap(s) are kept as missing values "
            "(data.allow_long_gaps); windows containing them will be skipped",
            n_missing,
            len(long_gaps),
        )
    return filled, n_filled, n_missing


def _missing_year_hints(valid: pd.Series, paths: Sequence[Path], kind: str = "era5") -> list[str]:
    """ "no data for 1990: is era5_t2m_1990.nc missing?" for each year without any value."""
    years_with_data = set(valid.index[valid.notna()].year)
    first, last = min(years_with_data), max(years_with_data)
    name = paths[0].name
    name_year = re.search(r"(19|20)\d\d", name) if kind == "era5" else None
    hints = []
    for year in range(first, last + 1):
        if year in years_with_data:
            continue
        guess = (
            name[: name_year.start()] + str(year) + name[name_year.end() :]
            if name_year
            else f"the file for {year}"
        )
        hints.append(f"no data for {year}: is {guess} missing?")
    return hints
