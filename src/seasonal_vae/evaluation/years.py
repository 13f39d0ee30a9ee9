"""Sets of whole calendar years: what the evaluation compares, and the noise floor's splits.

Every metric compares two sets of whole local calendar years (:func:`year_set`: a series on
every hour of the given years, NaN where it has none). The held-out years are one set; the
noise floor pairs disjoint sets of real years (:func:`floor_splits`) and puts one set on the
other's dates (:func:`mapped_set`), so that no split is judged on the warming between its
years. Only years with :data:`YEAR_COVERAGE` of their hours take part (:func:`usable_years`).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.data.detrend import retrend
from seasonal_vae.model.bootstrap import map_years

#: Share of a year's hours a series must have for the year to be used.
YEAR_COVERAGE = 0.99


def year_times(years) -> pd.DatetimeIndex:
    """Every hour of the given calendar years, in order."""
    parts = [pd.date_range(f"{y}-01-01", f"{y}-12-31 23:00", freq="h") for y in sorted(years)]
    return parts[0].append(parts[1:]) if parts else pd.DatetimeIndex([])


def year_set(da: xr.DataArray, years) -> xr.DataArray:
    """``da`` on every hour of ``years`` (NaN where it has no value), float64."""
    times = year_times(years)
    values = da.astype("float64").to_series().reindex(times).to_numpy()
    return xr.DataArray(
        values, dims="time", coords={"time": times.values}, name="t2m", attrs={"units": "degF"}
    )


def mapped_set(
    detrended: xr.DataArray, source_years, target_years, rate_per_decade: float, reference_year: int
) -> xr.DataArray:
    """Real years ``source_years`` put on the dates of ``target_years`` (paired in order),
    in the climate of those dates."""
    times = year_times(target_years)
    mapping = dict(zip(sorted(target_years), source_years))
    values = map_years(detrended, times, mapping)
    return retrend(values, rate_per_decade, reference_year).rename("t2m")


def usable_years(da: xr.DataArray, years, min_coverage: float = YEAR_COVERAGE) -> list[int]:
    """Those of ``years`` with valid values for at least ``min_coverage`` of their hours."""
    index = da.dropna("time")["time"].to_index()
    counts = pd.Series(1, index=index).groupby(index.year).sum()
    return [int(y) for y in years if counts.get(y, 0) >= min_coverage * len(year_times([y]))]


def floor_splits(
    years, size: int, n_random: int, seed: int, stride: int | None = None
) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Pairs (A, B) of disjoint sets of ``size`` real years for the noise floor.

    First the systematic splits: with ``stride`` (``windows.holdout_every``), the years fall
    into ``stride`` classes by ``(year − first) % stride``, each spread evenly over the record;
    every pair of classes with at least ``size`` years gives one split (their first ``size``
    years). Then ``n_random`` random splits (seeded); if fewer distinct splits exist, all of
    them are used instead.

    Returns
    -------
    list of (tuple, tuple)
        Year sets A and B, each sorted; no split repeats.
    """
    years = sorted(int(y) for y in years)
    if size < 1 or len(years) < 2 * size:
        return []
    splits: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    if stride and stride > 1:
        classes = [[y for y in years if (y - years[0]) % stride == k] for k in range(stride)]
        classes = [c[:size] for c in classes if len(c) >= size]
        splits += [(tuple(a), tuple(b)) for a, b in itertools.combinations(classes, 2)]
    n_total = math.comb(len(years), size) * math.comb(len(years) - size, size)
    seen = set(splits)
    if n_total - len(seen) <= n_random:
        for a in itertools.combinations(years, size):
            rest = [y for y in years if y not in a]
            for b in itertools.combinations(rest, size):
                if (a, b) not in seen:
                    splits.append((a, b))
                    seen.add((a, b))
        return splits
    rng = np.random.default_rng([seed, 1])
    added = 0
    while added < n_random:
        pick = rng.choice(years, 2 * size, replace=False)
        split = (tuple(sorted(pick[:size].tolist())), tuple(sorted(pick[size:].tolist())))
        if split not in seen:
            splits.append(split)
            seen.add(split)
            added += 1
    return splits
