"""Sets of whole calendar years: what the evaluation compares, and the noise floor's splits.

Every metric compares two sets of whole local calendar years (:func:`year_set`: a series on
every hour of the given years, NaN where it has none). The held-out years are one set; the
noise floor pairs disjoint sets of real years (:func:`floor_splits`) and puts one set on the
other's dates (:func:`mapped_set`), so that no split is judged on the warming between its
years. Only years with :data:`YEAR_COVERAGE` of their hours take part (:func:`usable_years`).

The floor assembles a hundred such sets from the same record; :class:`YearBlocks` cuts the
record into its calendar years once and assembles each set from them (the same values as
:func:`year_set` and :func:`mapped_set`).
"""

from __future__ import annotations

import calendar
import itertools
import math
from functools import lru_cache

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.data.detrend import detrend, retrend, trend_offset
from seasonal_vae.model.bootstrap import map_years

#: Share of a year's hours a series must have for the year to be used.
YEAR_COVERAGE = 0.99


def year_times(years) -> pd.DatetimeIndex:
    """Every hour of the given calendar years, in order."""
    parts = [pd.date_range(f"{y}-01-01", f"{y}-12-31 23:00", freq="h") for y in sorted(years)]
    return parts[0].append(parts[1:]) if parts else pd.DatetimeIndex([])


def year_set(da: xr.DataArray, years) -> xr.DataArray:
    """``da`` on every hour of ``years`` (NaN where it has no value), float64.

    ``da`` has ``time`` as its last dimension; any others (e.g. a generator file's ``path``)
    are kept, with their coordinates.
    """
    times = year_times(years)
    position = da.indexes["time"].get_indexer(times)
    da = da.transpose(..., "time")
    values = np.take(np.asarray(da.values, dtype="float64"), position, axis=-1)
    values[..., position < 0] = np.nan
    others = da.dims[:-1]
    coords = {d: da[d] for d in others if d in da.coords}
    return xr.DataArray(
        values,
        dims=(*others, "time"),
        coords={**coords, "time": times.values},
        name="t2m",
        attrs={"units": "degF"},
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


@lru_cache(maxsize=4)
def _calendar_map(target_leap: bool, source_leap: bool) -> np.ndarray:
    """For every hour of a common or leap target year, the index of the hour of a common or
    leap source year that :func:`~seasonal_vae.model.bootstrap.map_years` puts there."""
    target, source = (2000 if target_leap else 2001), (2004 if source_leap else 2002)
    source_times = year_times([source])
    positions = xr.DataArray(
        np.arange(len(source_times), dtype="float64"), dims="time", coords={"time": source_times.values}
    )
    mapped = map_years(positions, year_times([target]), {target: source}).values
    out = mapped.astype(np.int64)
    out.setflags(write=False)
    return out


class YearBlocks:
    """A series cut once into its calendar years, to assemble many year sets from.

    Parameters
    ----------
    da
        The observed series (°F, local standard time).
    years
        The years to keep.
    rate_per_decade, reference_year
        The trend (configuration ``detrend``) of :func:`mapped_set`.
    """

    def __init__(self, da: xr.DataArray, years, rate_per_decade: float, reference_year: int):
        self.years = sorted(int(y) for y in years)
        observed = year_set(da, self.years).values
        detrended = year_set(
            detrend(da.astype("float64"), rate_per_decade, reference_year), self.years
        ).values
        offsets = trend_offset(year_times(self.years).values, rate_per_decade, reference_year)
        bounds = np.cumsum([0] + [len(year_times([y])) for y in self.years])
        self._observed, self._detrended, self._offset = {}, {}, {}
        for y, start, stop in zip(self.years, bounds[:-1], bounds[1:]):
            self._observed[y] = observed[start:stop]
            self._detrended[y] = detrended[start:stop]
            self._offset[y] = offsets[start:stop]

    @staticmethod
    def _series(values: list[np.ndarray], years) -> xr.DataArray:
        times = year_times(years)
        return xr.DataArray(
            np.concatenate(values),
            dims="time",
            coords={"time": times.values},
            name="t2m",
            attrs={"units": "degF"},
        )

    def year_set(self, years) -> xr.DataArray:
        """:func:`year_set` of the series (the same values)."""
        years = sorted(years)
        return self._series([self._observed[y] for y in years], years)

    def mapped_set(self, source_years, target_years) -> xr.DataArray:
        """:func:`mapped_set` of the detrended series (the same values)."""
        targets = sorted(target_years)
        mapping = dict(zip(targets, source_years))
        values = []
        for t in targets:
            hours = _calendar_map(calendar.isleap(t), calendar.isleap(mapping[t]))
            values.append(self._detrended[mapping[t]][hours] + self._offset[t])
        return self._series(values, targets)


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
