"""Profiles, period means and lag-1 slopes: known answers on synthetic series."""

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from builders import ar1, hourly, seasonal_weather
from hypothesis import given, settings
from hypothesis import strategies as st

from seasonal_vae.core.calendar import theta
from seasonal_vae.core.config import load_config
from seasonal_vae.core.errors import InputError
from seasonal_vae.evaluation import comparison
from seasonal_vae.evaluation import statistics as stats

CFG = load_config()  # the comparison has no settings; its entry point takes a config


def two_years():
    """Hourly 2023-01-01 00:00 to 2024-12-31 23:00 (2024 is a leap year)."""
    return pd.date_range("2023-01-01", "2024-12-31 23:00", freq="h")


# --- lag-1 slope -------------------------------------------------------------------------


def test_lag1_slope_recovers_ar1_coefficient():
    assert stats.lag1_slope(ar1(0.9, 20_000)) == pytest.approx(0.9, abs=0.02)


def test_lag1_slope_of_constant_plus_noise_is_near_zero():
    x = 70.0 + np.random.default_rng(1).normal(size=20_000)
    assert abs(stats.lag1_slope(x)) < 0.03


def test_lag1_slope_ignores_pairs_with_nan():
    x = ar1(0.8, 2_000)
    x[[10, 11, 500, 1999]] = np.nan
    now, nxt = x[:-1], x[1:]
    keep = ~np.isnan(now) & ~np.isnan(nxt)
    expected = np.polyfit(now[keep], nxt[keep], 1)[0]
    assert stats.lag1_slope(x) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("x", [np.full(100, 3.0), [1.0, 2.0, 3.0], [np.nan] * 10])
def test_lag1_slope_is_nan_when_undefined(x):
    assert np.isnan(stats.lag1_slope(x))


def test_lag1_slope_rejects_2d_input():
    with pytest.raises(ValueError, match="1-D"):
        stats.lag1_slope(np.zeros((3, 4)))


@settings(max_examples=25, deadline=None)
@given(scale=st.floats(0.01, 100.0), shift=st.floats(-500.0, 500.0))
def test_lag1_slope_is_invariant_to_units(scale, shift):
    x = ar1(0.7, 500, seed=3)
    assert stats.lag1_slope(scale * x + shift) == pytest.approx(stats.lag1_slope(x), abs=1e-9)


def test_lag1_slopes_has_the_three_resolutions():
    slopes = stats.lag1_slopes(hourly(ar1(0.95, 24 * 400)))
    assert set(slopes) == {"hourly", "daily", "monthly"}
    assert slopes["hourly"] == pytest.approx(0.95, abs=0.02)


def test_hourly_slope_treats_absent_timestamps_as_missing():
    da = hourly(ar1(0.9, 24 * 60))
    absent = da.drop_isel(time=np.arange(100, 130))
    masked = da.copy()
    masked[100:130] = np.nan
    assert stats.lag1_slopes(absent)["hourly"] == stats.lag1_slopes(masked)["hourly"]


# --- period means and profiles -----------------------------------------------------------


def test_period_means_have_one_value_per_calendar_period():
    da = xr.DataArray(np.ones(len(two_years())), coords={"time": two_years()}, dims="time")
    assert stats.monthly_means(da).sizes["time"] == 24
    assert stats.daily_means(da).sizes["time"] == 365 + 366


def test_leap_day_counts_in_february_mean():
    times = two_years()
    da = xr.DataArray(np.arange(len(times), dtype="float64"), coords={"time": times}, dims="time")
    feb = stats.monthly_means(da).sel(time="2024-02-01")
    hours = da.sel(time=slice("2024-02-01", "2024-02-29 23:00"))
    assert hours.sizes["time"] == 29 * 24
    assert float(feb) == pytest.approx(float(hours.mean()))


def test_partial_periods_are_left_out():
    # a UTC record shifted to UTC−7 starts at 17:00 on 31 December
    da = hourly(np.ones(24 * 70), start="2021-12-31 17:00")
    daily, monthly = stats.daily_means(da), stats.monthly_means(da)
    assert np.isnan(daily[0]) and daily[1] == 1.0
    assert np.isnan(monthly[0]) and monthly[1] == 1.0


@pytest.mark.parametrize("gap_hours,kept", [(2, True), (3, False)])
def test_daily_mean_needs_most_hours_of_the_day(gap_hours, kept):
    da = hourly(np.ones(24 * 3))
    da[30 : 30 + gap_hours] = np.nan
    assert bool(np.isfinite(stats.daily_means(da)[1])) is kept


def test_monthly_profile_recovers_a_seasonal_cosine():
    times = two_years()
    amplitude = 20.0
    da = xr.DataArray(amplitude * np.cos(theta(times)), coords={"time": times}, dims="time")
    # exact monthly mean of A·cos θ over [θ1, θ2], weighted by each month's hours
    expected = np.zeros(12)
    for month in range(1, 13):
        total = hours = 0.0
        for year in (2023, 2024):
            start = pd.Timestamp(year, month, 1)
            end = start + pd.offsets.MonthBegin(1)
            t1, t2 = theta([start])[0], theta([end])[0] if month < 12 else 2 * np.pi
            n = (end - start) / pd.Timedelta(hours=1)
            total += n * amplitude * (np.sin(t2) - np.sin(t1)) / (t2 - t1)
            hours += n
        expected[month - 1] = total / hours
    profile = stats.monthly_profile(da)
    assert list(profile["month"].values) == list(range(1, 13))
    np.testing.assert_allclose(profile.values, expected, atol=0.02)


def test_profiles_separate_seasonal_and_diurnal_cycles():
    times = two_years()
    month_level = 50.0 + 4.0 * np.arange(12)
    diurnal = 11.0 * np.sin(2 * np.pi * np.arange(24) / 24)
    values = month_level[times.month - 1] + diurnal[times.hour]
    da = xr.DataArray(values, coords={"time": times}, dims="time")
    # every day holds all 24 hours, so the diurnal cycle averages out of each month...
    np.testing.assert_allclose(stats.monthly_profile(da).values, month_level, atol=1e-9)
    # ...and every hour sees the same days, so the seasonal level is one constant per hour
    profile = stats.diurnal_profile(da)
    assert list(profile["hour"].values) == list(range(24))
    np.testing.assert_allclose(profile.values - profile.values.mean(), diurnal, atol=1e-9)


def test_profiles_have_nan_for_hours_without_data():
    profile = stats.diurnal_profile(hourly(np.ones(10)))
    assert profile.sizes["hour"] == 24
    assert np.isnan(profile.sel(hour=15)) and profile.sel(hour=9) == 1.0


def test_time_axis_must_be_increasing():
    da = hourly(np.ones(48))
    with pytest.raises(ValueError, match="increasing"):
        stats.monthly_profile(da.isel(time=slice(None, None, -1)))


# --- comparison --------------------------------------------------------------------------


def test_identical_series_have_zero_differences():
    times = two_years()
    real = xr.DataArray(seasonal_weather(times, 0), coords={"time": times}, dims="time")
    summary = comparison.comparison_summary(real, real.copy())
    assert summary["max_abs_difference"] == {"monthly_profile": 0.0, "diurnal_profile": 0.0}
    assert summary["lag1_slopes"]["real"] == summary["lag1_slopes"]["generated"]
    assert summary["overall"]["real"] == summary["overall"]["generated"]
    assert summary["period"] == {
        "start": "2023-01-01T00:00:00",
        "end": "2024-12-31T23:00:00",
        "hours": len(times),
        "hours_missing": 0,
    }
    assert json.loads(json.dumps(summary, allow_nan=False)) == summary


def test_missing_real_hours_are_left_out_of_both():
    times = two_years()
    real = xr.DataArray(seasonal_weather(times, 0), coords={"time": times}, dims="time")
    generated = real + 1.0
    real[1000:1500] = np.nan  # a gap in the real record only
    summary = comparison.comparison_summary(real, generated)
    assert summary["period"]["hours_missing"] == 500
    assert summary["overall"]["generated"]["hours"] == len(times) - 500
    assert summary["max_abs_difference"]["monthly_profile"] == pytest.approx(1.0)
    assert summary["max_abs_difference"]["diurnal_profile"] == pytest.approx(1.0)


def test_series_are_compared_on_shared_hours_only():
    times = two_years()
    real = xr.DataArray(seasonal_weather(times, 0), coords={"time": times}, dims="time")
    summary = comparison.comparison_summary(real, real.isel(time=slice(24, None)))
    assert summary["period"]["start"] == "2023-01-02T00:00:00"
    with pytest.raises(ValueError, match="share no timestamps"):
        comparison.comparison_summary(real.isel(time=slice(0, 100)), real.isel(time=slice(200, 300)))


def write_inputs(tmp_path, paths=2):
    """Tiny ``series.nc`` and ``samples.nc``: two years in local time, as the pipeline writes."""
    times = pd.date_range("2021-12-31 17:00", "2023-12-31 16:00", freq="h")
    real = seasonal_weather(times, 0)
    real[3000:3100] = np.nan
    series = tmp_path / "series.nc"
    xr.Dataset({"t2m": ("time", real, {"units": "degF"})}, coords={"time": times}).to_netcdf(series)
    generated = np.stack([seasonal_weather(times, 10 + i, warm=0.5) for i in range(paths)])
    samples = tmp_path / "samples.nc"
    xr.Dataset(
        {"t2m": (("path", "time"), generated.astype("float32"), {"units": "degF"})},
        coords={"time": times},
        attrs={"noise": "off", "retrend": "none", "seed": 7},
    ).to_netcdf(samples)
    return series, samples


def test_write_comparison_writes_json_and_markdown(tmp_path):
    series, samples = write_inputs(tmp_path)
    out_json, out_md = tmp_path / "out" / "comparison.json", tmp_path / "out" / "comparison.md"
    returned = comparison.write_comparison(series, samples, out_json, out_md, CFG, path_index=1)

    summary = json.loads(out_json.read_text(encoding="utf-8"))
    assert summary == returned
    assert summary["samples"] == {
        "file": "samples.nc",
        "path_index": 1,
        "noise": "off",
        "retrend": "none",
        "seed": "7",
    }
    assert summary["period"]["hours_missing"] == 100
    assert 0.3 < summary["max_abs_difference"]["diurnal_profile"] < 1.5

    table = out_md.read_text(encoding="utf-8")
    assert (
        "| Statistic | Article: real | Article: generated | This run: real | This run: generated |"
    ) in table
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + 9
    hourly_row = next(r for r in rows if r.startswith("| Lag-1 slope, hourly |"))
    cells = [c.strip() for c in hourly_row.strip("|").split("|")]
    assert cells[1:3] == ["0.985", "0.989"]
    assert cells[3] == f"{summary['lag1_slopes']['real']['hourly']:.3f}"
    assert "observation noise off" in table
    assert sorted(p.name for p in out_json.parent.iterdir()) == ["comparison.json", "comparison.md"]


def test_write_comparison_explains_bad_inputs(tmp_path):
    series, samples = write_inputs(tmp_path, paths=1)
    out = tmp_path / "c.json", tmp_path / "c.md"
    with pytest.raises(InputError, match="path 3 does not exist"):
        comparison.write_comparison(series, samples, *out, CFG, path_index=3)
    with pytest.raises(InputError, match="no variable 't2m' on a 'time' axis"):
        comparison.write_comparison(samples, samples, *out, CFG)
    xr.Dataset({"tas": ("x", [1.0])}).to_netcdf(tmp_path / "other.nc")
    with pytest.raises(InputError, match="no variable 't2m'"):
        comparison.write_comparison(tmp_path / "other.nc", samples, *out, CFG)
    assert not out[0].exists() and not out[1].exists()
