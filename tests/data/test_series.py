"""Tests of the series stage: concatenation, gaps, units, local time and the output file."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from builders import hours, write_cds_file, year_file
from hypothesis import given, settings
from hypothesis import strategies as st

from seasonal_vae.core.errors import ConfigError, InputError
from seasonal_vae.core.runs import run_pairs
from seasonal_vae.data import gaps, raw_checks, series, units


def assert_nothing_written(folder, out):
    assert not out.exists()
    assert not [p for p in folder.iterdir() if p.name.startswith(f".{out.stem}.")]


def test_kelvin_to_fahrenheit_exact(tmp_path):
    raw = write_cds_file(tmp_path / "k.nc", hours("2001-01-01", 24), [273.15, 323.15, 233.15] + [300.0] * 21)
    ds = series.build_series([raw], tmp_path / "s.nc", utc_offset_hours=0)
    np.testing.assert_allclose(ds["t2m"].values[:4], [32.0, 122.0, -40.0, 80.33], rtol=0, atol=1e-9)
    assert ds["t2m"].attrs["units"] == "degF"


def test_local_time_shift(tmp_path):
    values = np.full(48, 280.0)
    values[7] = 300.0  # 07:00 UTC on 1 January 2001
    raw = write_cds_file(tmp_path / "era5_t2m_2001.nc", hours("2001-01-01", 48), values)
    ds = series.build_series([raw], tmp_path / "s.nc", utc_offset_hours=-7)
    midnight = ds["t2m"].sel(time="2001-01-01T00:00")
    assert float(midnight) == pytest.approx(units.kelvin_to_fahrenheit(300.0))
    assert ds["time"].values[0] == np.datetime64("2000-12-31T17:00", "ns")
    assert ds.attrs["time_zone"] == "UTC-07:00"
    assert ds.attrs["utc_offset_hours"] == -7.0
    assert ds["time"].attrs["long_name"] == "local standard time"


def test_half_hour_offset_label(tmp_path):
    raw = write_cds_file(tmp_path / "r.nc", hours("2001-01-01", 24), np.full(24, 290.0))
    ds = series.build_series([raw], tmp_path / "s.nc", utc_offset_hours=5.5)
    assert ds.attrs["time_zone"] == "UTC+05:30"
    back = series.load_series(tmp_path / "s.nc")
    assert back["time"].values[0] == np.datetime64("2001-01-01T05:30", "ns")


def test_leap_year_and_cf_output(tmp_path):
    raw = year_file(tmp_path, 2020)
    out = tmp_path / "out" / "series.nc"
    ds = series.build_series([raw], out, utc_offset_hours=-7)
    assert ds.sizes["time"] == 8784
    assert ds.attrs["Conventions"] == "CF-1.8"
    assert ds.attrs["n_filled_hours"] == 0 and ds.attrs["n_missing_hours"] == 0
    assert ds.attrs["raw_files"] == "era5_t2m_2020.nc"
    assert ds.attrs["raw_title"] == "ERA5 test file"
    assert ds.attrs["grid_latitude"] == 33.5
    assert "build_series" in ds.attrs["history"]
    assert ds["t2m"].attrs["standard_name"] == "air_temperature"
    assert ds["t2m"].attrs["long_name"] == "2 m air temperature"
    loaded = series.load_series(out)
    assert loaded.dtype == np.float64 and loaded.dims == ("time",)
    np.testing.assert_array_equal(loaded.values, ds["t2m"].values)
    np.testing.assert_array_equal(loaded["time"].values, ds["time"].values)
    assert loaded["time"].attrs["utc_offset_hours"] == -7.0
    with xr.open_dataset(out, decode_times=False) as raw_ds:
        assert raw_ds["time"].attrs["units"] == "hours since 1970-01-01"


def test_short_gap_filled_linearly(tmp_path, caplog):
    values = np.full(48, 280.0)
    values[10:14] = [284.0, np.nan, np.nan, 290.0]  # one NaN gap ...
    raw = write_cds_file(
        tmp_path / "era5_t2m_2001.nc",
        np.delete(hours("2001-01-01", 48), [30]),  # ... and one absent hour
        np.delete(values, [30]),
    )
    with caplog.at_level(logging.INFO):
        ds = series.build_series([raw], tmp_path / "s.nc", utc_offset_hours=0, max_gap_hours=2)
    kelvin = units.fahrenheit_to_kelvin(ds["t2m"].values)
    np.testing.assert_allclose(kelvin[10:14], [284, 286, 288, 290], atol=1e-9)
    np.testing.assert_allclose(kelvin[30], 280.0, atol=1e-9)
    assert ds.sizes["time"] == 48
    assert ds.attrs["n_filled_hours"] == 3 and ds.attrs["n_missing_hours"] == 0
    assert "gap 2001-01-01 11:00 to 2001-01-01 12:00 UTC (2 h)" in caplog.text
    assert "gap 2001-01-02 06:00 to 2001-01-02 06:00 UTC (1 h)" in caplog.text
    assert "3 filled by interpolation" in caplog.text


def test_long_gap_refused_and_nothing_written(tmp_path):
    values = np.full(72, 280.0)
    values[20:30] = np.nan
    raw = write_cds_file(tmp_path / "era5_t2m_2001.nc", hours("2001-01-01", 72), values)
    out = tmp_path / "s.nc"
    with pytest.raises(InputError) as err:
        series.build_series([raw], out, utc_offset_hours=-7, max_gap_hours=6)
    text = str(err.value)
    assert "era5_t2m_2001.nc" in text
    assert "2001-01-01 20:00 to 2001-01-02 05:00 UTC (10 h)" in text
    assert "data.allow_long_gaps" in text
    assert_nothing_written(tmp_path, out)


def test_long_gap_allowed_stays_nan(tmp_path, caplog):
    values = np.full(72, 280.0)
    values[20:30] = np.nan
    values[40] = np.nan
    raw = write_cds_file(tmp_path / "era5_t2m_2001.nc", hours("2001-01-01", 72), values)
    with caplog.at_level(logging.WARNING):
        ds = series.build_series([raw], tmp_path / "s.nc", utc_offset_hours=0, allow_long_gaps=True)
    t2m = ds["t2m"].values
    assert np.isnan(t2m[20:30]).all() and np.isfinite(np.delete(t2m, range(20, 30))).all()
    assert ds.attrs["n_missing_hours"] == 10 and ds.attrs["n_filled_hours"] == 1
    assert "kept as missing values" in caplog.text
    assert np.isnan(series.load_series(tmp_path / "s.nc").values[20:30]).all()


def test_missing_middle_year_named(tmp_path):
    paths = [year_file(tmp_path, 2001), year_file(tmp_path, 2003)]
    with pytest.raises(InputError, match="no data for 2002: is era5_t2m_2002.nc missing?"):
        series.build_series(paths, tmp_path / "s.nc", utc_offset_hours=-7)
    assert_nothing_written(tmp_path, tmp_path / "s.nc")


def test_edge_nans_trimmed(tmp_path, caplog):
    values = np.full(30, 280.0)
    values[:2] = np.nan
    values[-1] = np.nan
    raw = write_cds_file(tmp_path / "r.nc", hours("2001-01-01", 30), values)
    with caplog.at_level(logging.WARNING):
        ds = series.build_series([raw], tmp_path / "s.nc", utc_offset_hours=0)
    assert ds.sizes["time"] == 27
    assert ds["time"].values[0] == np.datetime64("2001-01-01T02:00", "ns")
    assert "starts with 2 missing hour(s)" in caplog.text
    assert "ends with 1 missing hour(s)" in caplog.text


def test_unsorted_and_duplicate_input(tmp_path, caplog):
    times = hours("2001-01-01", 48)
    values = 280.0 + np.arange(48.0)
    order = np.random.default_rng(0).permutation(48)
    a = write_cds_file(tmp_path / "a.nc", times[order], values[order])
    b = write_cds_file(tmp_path / "b.nc", times[:5], values[:5])  # same hours, same values
    with caplog.at_level(logging.INFO):
        ds = series.build_series([b, a], tmp_path / "s.nc", utc_offset_hours=0)
    np.testing.assert_allclose(units.fahrenheit_to_kelvin(ds["t2m"].values), values, atol=1e-9)
    assert "sorting" in caplog.text
    assert "dropped 5 duplicated hour(s)" in caplog.text
    assert ds.attrs["raw_files"] == "b.nc, a.nc"


def test_conflicting_duplicates_refused(tmp_path):
    times = hours("2001-01-01", 48)
    a = write_cds_file(tmp_path / "a.nc", times, np.full(48, 280.0))
    b = write_cds_file(tmp_path / "b.nc", times[3:5], [281.0, 280.0])
    with pytest.raises(InputError) as err:
        series.build_series([a, b], tmp_path / "s.nc", utc_offset_hours=0)
    text = str(err.value)
    assert "a.nc" in text and "b.nc" in text
    assert "1 hour(s) appear more than once" in text and "2001-01-01 03:00 UTC" in text
    assert_nothing_written(tmp_path, tmp_path / "s.nc")


def test_three_hourly_refused(tmp_path):
    raw = write_cds_file(tmp_path / "era5_t2m_2001.nc", hours("2001-01-01", 40, step=3), np.full(40, 280.0))
    with pytest.raises(InputError, match="time step is 3 h: the pipeline needs hourly data") as err:
        series.build_series([raw], tmp_path / "s.nc", utc_offset_hours=0)
    assert "era5_t2m_2001.nc" in str(err.value)
    assert_nothing_written(tmp_path, tmp_path / "s.nc")


def test_sub_hourly_refused(tmp_path):
    times = pd.date_range("2001-01-01", periods=60, freq="30min").to_numpy()
    raw = write_cds_file(tmp_path / "r.nc", times, np.full(60, 280.0))
    with pytest.raises(InputError, match="not whole hours apart"):
        series.build_series([raw], tmp_path / "s.nc", utc_offset_hours=0)


def test_shorter_than_a_day_refused(tmp_path):
    raw = write_cds_file(tmp_path / "r.nc", hours("2001-01-01", 23), np.full(23, 280.0))
    with pytest.raises(InputError, match="less than a day"):
        series.build_series([raw], tmp_path / "s.nc", utc_offset_hours=0)
    assert_nothing_written(tmp_path, tmp_path / "s.nc")


def test_all_missing_refused(tmp_path):
    raw = write_cds_file(tmp_path / "r.nc", hours("2001-01-01", 30), np.full(30, np.nan))
    with pytest.raises(InputError, match="no temperature values"):
        series.build_series([raw], tmp_path / "s.nc", utc_offset_hours=0)


def test_no_files_and_bad_config_refused(tmp_path):
    with pytest.raises(InputError, match="no raw files"):
        series.build_series([], tmp_path / "s.nc", utc_offset_hours=0)
    with pytest.raises(ConfigError, match="site.utc_offset_hours"):
        series.build_series([], tmp_path / "s.nc", utc_offset_hours=-20)
    with pytest.raises(ConfigError, match="data.max_gap_hours"):
        series.build_series([], tmp_path / "s.nc", utc_offset_hours=0, max_gap_hours=-1)


def test_bad_raw_file_refused_before_writing(tmp_path):
    good = write_cds_file(tmp_path / "good.nc", hours("2001-01-01", 30), np.full(30, 280.0))
    bad = tmp_path / "bad.nc"
    bad.write_text("not netcdf")
    with pytest.raises(InputError, match="bad.nc"):
        series.build_series([good, bad], tmp_path / "s.nc", utc_offset_hours=0)
    assert_nothing_written(tmp_path, tmp_path / "s.nc")


def test_load_series_errors(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        series.load_series(tmp_path / "missing.nc")
    xr.Dataset({"other": ("time", np.zeros(3))}).to_netcdf(tmp_path / "o.nc")
    with pytest.raises(InputError, match="no variable 't2m'") as err:
        series.load_series(tmp_path / "o.nc")
    assert "other" in str(err.value)
    (tmp_path / "g.nc").write_text("garbage")
    with pytest.raises(InputError, match="cannot be read"):
        series.load_series(tmp_path / "g.nc")


@given(st.lists(st.floats(180.0, 340.0), min_size=1, max_size=50))
def test_kelvin_fahrenheit_round_trip(kelvin):
    np.testing.assert_allclose(
        units.fahrenheit_to_kelvin(units.kelvin_to_fahrenheit(kelvin)), kelvin, rtol=0, atol=1e-9
    )


@settings(max_examples=200)
@given(
    st.lists(st.one_of(st.floats(-50.0, 50.0), st.just(np.nan)), min_size=0, max_size=60), st.integers(0, 8)
)
def test_fill_gaps_touches_only_short_gaps(inner, max_gap):
    values = np.array([1.0, *inner, 2.0])
    filled, n_filled = gaps.fill_gaps(values, max_gap)
    known = ~np.isnan(values)
    np.testing.assert_array_equal(filled[known], values[known])
    nan_runs = run_pairs(np.isnan(values))
    assert n_filled == sum(b - a for a, b in nan_runs if b - a <= max_gap)
    for a, b in nan_runs:
        segment = filled[a:b]
        if b - a > max_gap:
            assert np.isnan(segment).all()
        else:
            lo, hi = sorted((values[a - 1], values[b]))
            assert np.all((segment >= lo - 1e-9) & (segment <= hi + 1e-9))
            expected = np.interp(np.arange(a, b), [a - 1, b], [values[a - 1], values[b]])
            np.testing.assert_allclose(segment, expected, atol=1e-9)


def test_build_series_from_config_era5_is_build_series(tmp_path):
    from seasonal_vae.core.config import load_config

    raw = [year_file(tmp_path, 2001), year_file(tmp_path, 2002)]
    cfg = load_config({"site": {"utc_offset_hours": -7}, "data": {"max_gap_hours": 3}})
    a = series.build_series_from_config(raw, tmp_path / "a.nc", cfg["site"], cfg["data"])
    b = series.build_series(raw, tmp_path / "b.nc", utc_offset_hours=-7, max_gap_hours=3)
    xr.testing.assert_identical(a.drop_attrs(), b.drop_attrs())
    assert a.attrs["data_kind"] == "era5" and a.attrs["time_stamp"] == "instantaneous"
    assert a.attrs["max_gap_hours"] == 3
    assert "cell_methods" not in a["t2m"].attrs


def test_build_series_from_config_station_defaults_to_the_configured_path(tmp_path, monkeypatch):
    """With no file given, data.station.path (relative to the working directory) is read."""
    from seasonal_vae.core.config import load_config

    times = pd.date_range("2001-01-01 01:00", periods=24 * 12, freq="h")
    solar = (times.hour - 30 / 60 - 112.0 / 15) % 24
    pd.DataFrame(
        {"time": times.strftime("%Y-%m-%dT%H:%M:%SZ"), "t": 15 + 8 * np.cos(2 * np.pi * (solar - 15) / 24)}
    ).to_csv(tmp_path / "st.csv.gz", index=False)
    monkeypatch.chdir(tmp_path)
    cfg = load_config(
        {
            "data": {
                "kind": "station",
                "station": {"path": "st.csv.gz", "time_column": "time", "value_column": "t", "units": "degC"},
            }
        }
    )
    ds = series.build_series_from_config([], tmp_path / "out.nc", cfg["site"], cfg["data"])
    assert ds.sizes["time"] == 24 * 12
    assert ds.attrs["raw_files"] == "st.csv.gz" and ds.attrs["data_kind"] == "station"
    assert ds["t2m"].attrs["cell_methods"] == "time: mean (interval: 1 hour)"


@pytest.mark.parametrize(
    "name, pattern, year",
    [
        ("era5_t2m_1999.nc", "era5_t2m_{year}.nc", 1999),
        ("t2m-2004-phx.nc", "t2m-{year}-phx.nc", 2004),
        ("era5_t2m_1999.nc", "sub/dir/era5_t2m_{year}.nc", 1999),
        ("other.nc", "era5_t2m_{year}.nc", None),
        ("era5_t2m_1999.nc.bak", "era5_t2m_{year}.nc", None),
        ("era5_t2m_1999.nc", None, None),
    ],
)
def test_year_of_a_file_name(name, pattern, year):
    assert raw_checks._year_of_name(name, pattern) == year


def test_year_check_allows_a_few_hours_of_the_next_year(tmp_path):
    times = np.concatenate(
        [pd.date_range("2001-01-01", "2001-12-31 23:00", freq="h").to_numpy(), hours("2002-01-01", 5)]
    )
    raw = write_cds_file(tmp_path / "era5_t2m_2001.nc", times, np.full(times.size, 290.0))
    raw_checks.check_file_year(raw, times, "era5_t2m_{year}.nc")  # no error
    with pytest.raises(InputError, match=r"its name says 2002.*in 2001 \(8760 h\), 2002 \(5 h\)"):
        raw_checks.check_file_year(raw.rename(tmp_path / "era5_t2m_2002.nc"), times, "era5_t2m_{year}.nc")
