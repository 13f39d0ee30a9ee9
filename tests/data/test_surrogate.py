"""The bundled surrogate record: CDS layout, calibration, determinism and reproducibility."""

from __future__ import annotations

import hashlib

import netCDF4
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from conftest import ROOT

from seasonal_vae.data import sun, surrogate, surrogate_files
from seasonal_vae.data.weather_statistics import weather_statistics

DATA = ROOT / "data" / "surrogate"
YEARS = range(1974, 2024)
PATHS = [DATA / f"era5_t2m_{year}.nc" for year in YEARS]
UTC_OFFSET_HOURS = -7  # Phoenix keeps MST all year


def _lag1_slope(values) -> float:
    """OLS slope of x[t+1] on x[t]."""
    x = np.asarray(values, dtype="float64")
    return float(np.polyfit(x[:-1], x[1:], 1)[0])


@pytest.fixture(scope="module")
def record() -> pd.Series:
    """The committed record in °F, indexed by local standard time."""
    missing = [path.name for path in PATHS if not path.exists()]
    assert not missing, f"missing from {DATA}: {missing}"
    t2m = xr.concat([xr.open_dataset(path)["t2m"].load() for path in PATHS], "valid_time")
    fahrenheit = (t2m.values.reshape(-1).astype("float64") - 273.15) * 9.0 / 5.0 + 32.0
    local = pd.DatetimeIndex(t2m["valid_time"].values) + pd.Timedelta(hours=UTC_OFFSET_HOURS)
    return pd.Series(fahrenheit, index=local)


@pytest.mark.parametrize("path", PATHS, ids=[path.name for path in PATHS])
def test_file_has_cds_layout(path):
    year = int(path.stem.rsplit("_", 1)[1])
    with xr.open_dataset(path) as ds:
        assert list(ds.data_vars) == ["t2m"]
        t2m = ds["t2m"]
        assert t2m.dims == ("valid_time", "latitude", "longitude")
        assert t2m.dtype == np.float32
        assert t2m.attrs["units"] == "K"
        assert t2m.attrs["long_name"] == "2 metre temperature"
        assert t2m.attrs["GRIB_paramId"] == 167
        assert t2m.attrs["GRIB_shortName"] == "2t"
        np.testing.assert_array_equal(ds["latitude"].values, [33.5])
        np.testing.assert_array_equal(ds["longitude"].values, [-112.0])
        assert ds["latitude"].attrs["units"] == "degrees_north"
        assert ds["latitude"].attrs["standard_name"] == "latitude"
        assert ds["longitude"].attrs["units"] == "degrees_east"
        assert ds["valid_time"].attrs["standard_name"] == "time"
        assert int(ds["number"]) == 0
        assert set(ds["expver"].values.tolist()) == {"0001"}
        times = pd.DatetimeIndex(ds["valid_time"].values)
        expected = pd.date_range(f"{year}-01-01", f"{year}-12-31 23:00", freq="h")
        assert times.equals(expected)
        assert ds.attrs["Conventions"] == "CF-1.7"
        assert ds.attrs["institution"] == "European Centre for Medium-Range Weather Forecasts"
        assert ds.attrs["GRIB_centre"] == "ecmf"
        for key in ("title", "source", "comment"):
            assert "SURROGATE DATA" in ds.attrs[key] and "not ERA5" in ds.attrs[key]
        assert f"seed {surrogate.DEFAULT_SEED}" in ds.attrs["title"]
        assert np.isfinite(t2m.values).all()
    with netCDF4.Dataset(path) as raw:
        valid_time = raw.variables["valid_time"]
        assert valid_time.dtype == np.int64
        assert valid_time.units == "seconds since 1970-01-01"
        assert valid_time.calendar == "proleptic_gregorian"
        assert raw.variables["t2m"].filters()["zlib"]


def test_byte_checksums_match_files():
    lines = (DATA / surrogate_files.CHECKSUM_FILE).read_text(encoding="utf-8").splitlines()
    listed = {name: digest for digest, name in (line.split("  ", 1) for line in lines)}
    assert sorted(listed) == [path.name for path in PATHS]
    for path in PATHS:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == listed[path.name]


def test_hour_count(record):
    assert len(record) == 438_288
    assert record.index.is_monotonic_increasing
    assert (np.diff(record.index.asi8) == 3_600 * 10**9).all()


@pytest.fixture(scope="module")
def measured(record) -> dict[str, float]:
    """The statistics the article's original processing printed or plotted."""
    hours = record.index.hour
    months = record.groupby(record.index.month).mean()
    diurnal = record.groupby(hours).mean()
    return {
        "mean": record.mean(),
        "std": record.std(),
        "min": record.min(),
        "max": record.max(),
        "january": months[1],
        "december": months[12],
        "july": months[7],
        "06h": diurnal[6],
        "16h": diurnal[16],
        "hourly slope": _lag1_slope(record),
        "daily slope": _lag1_slope(record.resample("D").mean()),
        "monthly slope": _lag1_slope(record.resample("MS").mean()),
    }


# Published value of the real 1974–2023 ERA5 record, and the tolerance of the surrogate.
TARGETS = {
    "mean": (73.37, 0.5),
    "std": (18.32, 1.0),
    "min": (22.0, 6.0),
    "max": (120.0, 4.0),
    "january": (55.0, 3.0),
    "december": (55.0, 3.0),
    "july": (96.0, 3.0),
    "06h": (63.5, 2.0),
    "16h": (86.5, 2.0),
    "hourly slope": (0.985, 0.01),
    "daily slope": (0.982, 0.02),
    "monthly slope": (0.842, 0.05),
}


@pytest.mark.parametrize("name", TARGETS)
def test_statistic_matches_real_record(measured, name):
    target, tolerance = TARGETS[name]
    assert measured[name] == pytest.approx(target, abs=tolerance)


# Weather statistics of the real hourly record at the AZMET Phoenix Greenway station,
# 2003–2017 (data/greenway/azmet_greenway_2003_2017_utc.csv.xz, hour-ending means shifted to
# MST), as measured by weather_statistics, and the tolerance of the surrogate. A
# station is not ERA5's ~30 km grid cell, whose value is smoother, so these pin the shape
# (a daily range that varies from day to day, fast sub-daily weather, multi-day persistence
# that fades within a week) rather than the station's exact numbers; data/README.md compares.
WEATHER_TARGETS = {
    "range_mean": (24.1, 1.5),
    "range_std": (6.3, 1.0),
    "acf_h6": (0.78, 0.04),
    "acf_h12": (0.64, 0.04),
    "acf_h24": (0.69, 0.04),
    "acf_h96": (0.19, 0.05),
    "acf_d1": (0.80, 0.03),
    "acf_d2": (0.55, 0.04),
    "acf_d5": (0.17, 0.04),
}


@pytest.fixture(scope="module")
def weather(record) -> dict[str, float]:
    return weather_statistics(record)


@pytest.mark.parametrize("name", WEATHER_TARGETS)
def test_weather_statistic_matches_station(weather, name):
    target, tolerance = WEATHER_TARGETS[name]
    assert weather[name] == pytest.approx(target, abs=tolerance)


def test_hourly_anomaly_acf_has_a_diurnal_rebound(weather):
    # Day-to-day changes of the diurnal range make anomalies half a day apart less alike
    # than anomalies a whole day apart, as at the station (0.64 at 12 h, 0.69 at 24 h).
    assert weather["acf_h12"] < weather["acf_h24"]


def test_weather_statistics_on_a_known_series():
    index = pd.date_range("2001-01-01 05:00", "2001-03-02 23:00", freq="h")
    rng = np.random.default_rng(0)
    day = (index.floor("D") - index[0].floor("D")).days.to_numpy()
    ranges = rng.uniform(10.0, 30.0, day[-1] + 1)
    shape = np.where(index.hour == 15, 1.0, 0.0)  # one hot hour a day, else flat
    values = pd.Series(50.0 + ranges[day] * shape, index=index)
    stats = weather_statistics(values)  # the partial first day is dropped
    whole = ranges[1:]
    assert stats["range_mean"] == pytest.approx(whole.mean())
    assert stats["range_std"] == pytest.approx(whole.std(ddof=1))
    with pytest.raises(ValueError, match="gap-free"):
        weather_statistics(values.drop(values.index[100:124]))


def test_diurnal_cycle_is_asymmetric(record):
    diurnal = record.groupby(record.index.hour).mean()
    assert diurnal.idxmin() in (5, 6, 7)  # near sunrise
    assert diurnal.idxmax() in (14, 15, 16)  # mid-afternoon
    # Fast morning rise, slower evening and night cooling.
    rise_hours = diurnal.idxmax() - diurnal.idxmin()
    assert rise_hours < 24 - rise_hours


def test_warming_trend(record):
    yearly = record.groupby(record.index.year).mean().loc[1974:2023]
    slope = np.polyfit(yearly.index, yearly.values, 1)[0]
    assert slope == pytest.approx(0.07, abs=0.03)  # °F per year


def test_solar_geometry_at_the_solstices():
    minutes = np.arange(1440) / 1440.0
    for date, day_length, noon_elevation in (("2021-06-21", 14.2, 79.9), ("2021-12-21", 9.8, 33.1)):
        local_midnight = np.datetime64(f"{date}T07:00", "m").astype("int64") / 1440.0
        cos_zenith, _ = sun.solar_geometry(
            local_midnight + minutes, surrogate.SITE_LATITUDE, surrogate.SITE_LONGITUDE
        )
        assert (cos_zenith > 0).sum() / 60.0 == pytest.approx(day_length, abs=0.1)
        assert np.degrees(np.arcsin(cos_zenith.max())) == pytest.approx(noon_elevation, abs=0.2)


def test_generation_is_deterministic():
    first = surrogate.generate_surrogate(1990, 1991, seed=7)
    again = surrogate.generate_surrogate(1990, 1991, seed=7)
    other = surrogate.generate_surrogate(1990, 1991, seed=8)
    assert first.dims == ("valid_time",)
    assert first.sizes["valid_time"] == 2 * 8760
    np.testing.assert_array_equal(first.values, again.values)
    assert not np.array_equal(first.values, other.values)


def test_regeneration_reproduces_committed_values(tmp_path):
    expected = (DATA / surrogate_files.VALUES_CHECKSUM_FILE).read_text(encoding="utf-8")
    expected = expected.split()[0]
    assert surrogate_files.value_checksum(PATHS) == expected
    regenerated = surrogate_files.write_cds_files(surrogate.generate_surrogate(), tmp_path)
    assert [path.name for path in regenerated] == [path.name for path in PATHS]
    assert surrogate_files.value_checksum(regenerated) == expected
    # the labels too: every attribute of a regenerated file is that of the committed one
    with xr.open_dataset(regenerated[0]) as new, xr.open_dataset(PATHS[0]) as committed:
        assert new.identical(committed)
