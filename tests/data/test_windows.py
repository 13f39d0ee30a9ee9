"""Windows: training statistics only, whole held-out years, no window crosses a split."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from seasonal_vae.core.config import split_years
from seasonal_vae.data.windows import WindowSampler, cut, make_windows, segments


@pytest.fixture
def adjusted(tmp_path):
    t = pd.date_range("2000-01-01", "2009-12-31T23:00", freq="h")
    values = 60 + 0.001 * np.arange(len(t)) + (t.year.to_numpy() % 5 == 4) * 100.0  # val years hot
    ds = xr.Dataset(
        {"t2m": ("time", values)},
        coords={"time": t},
        attrs={"trend_rate_per_decade": 0.7, "trend_reference_year": 2024},
    )
    path = tmp_path / "adjusted.nc"
    ds.to_netcdf(path)
    return path


def test_split_years_holds_out_every_nth():
    train, val = split_years(range(1974, 2024), 5, 4)
    assert val == [1978, 1983, 1988, 1993, 1998, 2003, 2008, 2013, 2018, 2023]
    assert len(train) == 40 and not set(train) & set(val)


def test_segments_and_cut():
    mask = np.array([1, 1, 1, 0, 0, 1, 1, 1, 1, 1], bool)
    segs = segments(mask)
    assert [(s.start, s.stop) for s in segs] == [(0, 3), (5, 10)]
    # the same in days of 24 hours, windows of two days, series starting at midnight
    hourly = np.repeat(mask, 24)
    segs = segments(hourly)
    x = np.zeros(hourly.size)
    assert list(cut(x, segs, 48)) == [0, 120, 168]
    assert list(cut(x, segs, 48, offsets=np.array([24, 24]))) == [24, 144, 192]
    x[170] = np.nan
    assert list(cut(x, segs, 48)) == [0, 120]


def test_windows_start_at_local_midnight_whatever_the_first_hour():
    segs = segments(np.ones(24 * 10, bool))
    x = np.zeros(24 * 10)
    # index 0 is 17:00 (a UTC-midnight record seen at UTC-7): the first window starts at index 7
    starts = cut(x, segs, 48, first_hour_of_day=17)
    assert list(starts) == [7, 55, 103, 151]
    assert all((s + 17) % 24 == 0 for s in starts)


def test_windows_cover_only_the_right_years_and_use_training_statistics(tmp_path, adjusted):
    ds = make_windows(adjusted, tmp_path / "w.nc", 960, 5, 4)
    assert ds.attrs["val_years"] == [2004, 2009]
    years = ds["time"].to_index().year.to_numpy()
    for split, allowed in (("train", set(ds.attrs["train_years"])), ("val", {2004, 2009})):
        for seed in range(3):
            sampler = WindowSampler(ds, split, random_offsets=True, seed=seed)
            starts = sampler.starts()
            idx = starts[:, None] + np.arange(960)
            assert set(np.unique(years[idx])) <= allowed
    # standardised with training hours only: training part has mean 0, std 1
    x, split = ds["x"].values, ds["split"].values
    assert x[split == 1].mean() == pytest.approx(0, abs=1e-4)
    assert x[split == 1].std() == pytest.approx(1, abs=1e-4)
    assert x[split == 2].mean() > 3  # the hot validation years stay distinguishable


def test_hours_outside_the_configured_years_belong_to_no_split(tmp_path, adjusted):
    ds = make_windows(adjusted, tmp_path / "w.nc", 960, 4, 3, first_year=2001, last_year=2008)
    years = ds["time"].to_index().year
    assert set(ds.attrs["val_years"]) == {2004, 2008}
    assert np.all(ds["split"].values[(years == 2000) | (years == 2009)] == 0)


def test_random_offsets_change_the_phase_but_not_the_epoch_size(tmp_path, adjusted):
    ds = make_windows(adjusted, tmp_path / "w.nc", 960, 5, 4)
    sampler = WindowSampler(ds, "train", random_offsets=True, seed=1)
    draws = [sampler.starts() for _ in range(5)]
    assert len({d.size for d in draws}) == 1
    assert len({tuple(d % 960) for d in draws}) > 1
    assert all(np.all(d % 24 == 0) for d in draws)  # the record starts at midnight
    x, times = sampler.arrays(draws[0])
    assert x.shape == (draws[0].size, 960) and times.shape == (draws[0].size,)
    fixed = WindowSampler(ds, "val", random_offsets=True, seed=1)
    np.testing.assert_array_equal(fixed.starts(), ds["val_start"].values)


def test_too_short_record_is_refused(tmp_path):
    t = pd.date_range("2000-01-01", periods=24 * 40, freq="h")
    noise = np.random.default_rng(0).normal(size=len(t))
    xr.Dataset({"t2m": ("time", noise)}, coords={"time": t}).to_netcdf(tmp_path / "a.nc")
    from seasonal_vae.core.errors import InputError

    with pytest.raises(InputError, match="0 validation windows"):
        make_windows(tmp_path / "a.nc", tmp_path / "w.nc", 1536, 5, 4)
    assert not (tmp_path / "w.nc").exists()
