"""Figures comparing real and generated data (seasonal_vae.figures.compute.trend, .seasonal,
.diurnal, .acf, .samples and their helpers): the maths and the files."""

import json

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from builders import ar1, hourly

from seasonal_vae.core.calendar import day_of_year_365
from seasonal_vae.core.errors import InputError
from seasonal_vae.data.detrend import detrend, fit_linear_trend
from seasonal_vae.data.series import load_series
from seasonal_vae.evaluation import statistics as stats
from seasonal_vae.figures import registry as figures
from seasonal_vae.figures.compute import acf, calendar_stats, diurnal, generated, samples, seasonal, trend

NAMES = ("trend", "seasonal", "diurnal", "acf", "samples")


def as_paths(*series):
    return xr.concat(series, dim="path").assign_coords(path=np.arange(len(series)))


# --------------------------------------------------------------------------- calendar


def test_day_of_year_365_merges_29_february():
    times = pd.to_datetime(
        [
            "2003-01-01",
            "2003-03-01",
            "2004-02-28",
            "2004-02-29",
            "2004-03-01",
            "2004-12-31 23:00",
            "2003-12-31",
        ],
        format="ISO8601",
    )
    assert day_of_year_365(times).tolist() == [0, 59, 58, 58, 59, 364, 364]


def test_grouped_moments_match_numpy():
    rng = np.random.default_rng(1)
    values = rng.normal(70, 10, (2, 500))
    values[0, :7] = np.nan
    key = rng.integers(0, 5, 500)
    mean, std = calendar_stats.moments_to_mean_std(
        *calendar_stats.grouped_moments(values, key, 5, 70.0), 70.0
    )
    for s in range(2):
        for g in range(5):
            x = values[s, key == g]
            assert mean[s, g] == pytest.approx(np.nanmean(x), abs=1e-10)
            assert std[s, g] == pytest.approx(np.nanstd(x), abs=1e-10)


# --------------------------------------------------------------------------- acf


def test_acf_at_lag_one_of_ar1_is_phi():
    phi = 0.9
    x = ar1(phi, 200_000, seed=0)
    values = acf.autocorrelation(x, 5)
    assert values[0] == pytest.approx(phi, abs=0.005)
    assert values[3] == pytest.approx(phi**4, abs=0.01)
    x[1000:1100] = np.nan  # gaps are handled, not propagated
    assert acf.autocorrelation(x, 5)[0] == pytest.approx(phi, abs=0.005)


def test_climatological_anomalies_remove_the_trend_and_the_mean_cycle():
    """What is left of a warming record with a fixed diurnal cycle is (almost) nothing."""
    times = pd.date_range("2001-01-01", "2004-12-31 23:00", freq="h")
    warming = 0.1 * np.arange(times.size) / 8766
    da = xr.DataArray(
        60 + warming + 8 * np.sin(2 * np.pi * times.hour.to_numpy() / 24), dims="time", coords={"time": times}
    )
    # (the line fitted to trend + cycle is off by a few thousandths of a degree)
    np.testing.assert_allclose(acf.climatological_anomalies(da), 0.0, atol=0.02)
    np.testing.assert_allclose(acf.daily_climatological_anomalies(da), 0.0, atol=0.02)


@pytest.fixture(scope="module")
def ar1_acf():
    """ACF data of ten years of hourly AR(1) weather (phi 0.95) on a seasonal cycle."""
    n = 10 * 8760 + 2 * 24
    series = hourly(ar1(0.95, n, seed=3, sigma=2.0))
    t = np.arange(n)
    series = series + 70 - 20 * np.cos(2 * np.pi * t / 8766) - 10 * np.cos(2 * np.pi * (t % 24 - 4) / 24)
    return acf.acf_data(series, as_paths(series), hourly_lags=240, daily_lags=30)


def test_per_year_band_contains_whole_record_acf(ar1_acf):
    ds = ar1_acf
    assert ds.sizes["hourly_year"] == 10 and ds.sizes["daily_year"] == 10
    for prefix in ("hourly", "daily"):
        whole = ds[f"real_{prefix}_acf"].values
        low, high = ds[f"real_{prefix}_band_low"].values, ds[f"real_{prefix}_band_high"].values
        assert np.all(np.isfinite(whole)) and np.all(high > low)
        assert np.all((low <= whole) & (whole <= high)), prefix
    # the climatology removes the seasonal and diurnal cycles: what is left is the AR(1)
    assert ds["real_hourly_acf"].sel(hour_lag=1) == pytest.approx(0.95, abs=0.01)
    assert ds["real_hourly_acf"].sel(hour_lag=24) == pytest.approx(0.95**24, abs=0.03)
    # generated = real: the same numbers
    np.testing.assert_allclose(ds["path_hourly_acf"].sel(path=0), ds["real_hourly_acf"])


def test_per_year_acf_keeps_year_to_year_variability():
    """Whole years warmer or cooler than others: single-year ACFs must not remove that."""
    years = 12
    n = years * 8760
    rng = np.random.default_rng(5)
    offsets = np.repeat(rng.normal(0, 3.0, years), 8760)
    series = hourly(ar1(0.9, n, seed=6) + offsets)
    ds = acf.acf_data(series, as_paths(series), hourly_lags=720, daily_lags=30)
    whole = ds["real_hourly_acf"].sel(hour_lag=720)
    assert whole > 0.3  # pairs 30 days apart share their year's offset
    band = ds[["real_hourly_band_low", "real_hourly_band_high"]].sel(hour_lag=720)
    assert band["real_hourly_band_low"] <= whole <= band["real_hourly_band_high"]


def test_lag1_slopes_in_acf_data_are_the_articles(ar1_acf):
    ds = ar1_acf
    assert list(ds["resolution"].values) == ["hourly", "daily", "monthly"]
    assert ds["article_real_lag1"].sel(resolution="daily") == stats.ARTICLE["lag1_slopes"]["real"]["daily"]
    np.testing.assert_allclose(ds["path_lag1"].sel(path=0), ds["real_lag1"])


# --------------------------------------------------------------------------- diurnal / seasonal


@pytest.fixture(scope="module")
def real_series(tiny_pipeline):
    return load_series(tiny_pipeline["series"])


def test_diurnal_difference_is_zero_for_real_vs_itself(real_series):
    ds = diurnal.diurnal_data(*generated.align(real_series, as_paths(real_series, real_series)))
    assert np.isfinite(ds["difference_mean"]).all()
    np.testing.assert_allclose(ds["difference_mean"], 0.0, atol=1e-9)
    np.testing.assert_allclose(ds["difference_std"], 0.0, atol=1e-9)
    # the overall profile is the one stats.diurnal_profile computes, the cells xarray's
    np.testing.assert_allclose(ds["real_hour_mean"], stats.diurnal_profile(real_series), atol=1e-9)
    cells = real_series.groupby(real_series["time"].dt.month * 100 + real_series["time"].dt.hour).mean()
    np.testing.assert_allclose(ds["real_mean"].values.ravel(), cells.values, atol=1e-9)


def test_diurnal_difference_of_a_warm_copy(real_series):
    ds = diurnal.diurnal_data(real_series, as_paths(real_series + 2.0, real_series + 2.0))
    np.testing.assert_allclose(ds["difference_mean"], 2.0, atol=1e-9)
    np.testing.assert_allclose(ds["difference_std"], 0.0, atol=1e-9)  # a shift keeps the spread
    ds = diurnal.diurnal_data(real_series, as_paths(real_series + 1.0, real_series + 3.0))
    np.testing.assert_allclose(ds["difference_mean"], 2.0, atol=1e-9)
    np.testing.assert_allclose(ds["path_hour_mean"].sel(path=1) - ds["real_hour_mean"], 3.0, atol=1e-9)
    # pooling two paths 2 °F apart adds their spread: std² + 1² per cell
    np.testing.assert_allclose(ds["generated_std"] ** 2, ds["real_std"] ** 2 + 1.0, rtol=1e-9)


def test_seasonal_statistics(real_series):
    ds = seasonal.seasonal_data(real_series, as_paths(real_series, real_series + 1.0))
    np.testing.assert_allclose(ds["real_monthly_mean"], stats.monthly_profile(real_series), atol=1e-9)
    np.testing.assert_allclose(ds["generated_monthly_mean"] - ds["real_monthly_mean"], 0.5, atol=1e-9)
    np.testing.assert_allclose(ds["path_daily_std"].sel(path=1), ds["real_daily_std"], atol=1e-9)
    january = real_series.sel(time=real_series["time"].dt.month == 1).values
    assert ds["real_monthly_low"].sel(month=1) == pytest.approx(np.quantile(january, 0.05))
    assert ds["real_monthly_std"].sel(month=1) == pytest.approx(np.std(january))
    assert (ds["real_monthly_high"] > ds["real_monthly_mean"]).all()
    assert (ds["real_monthly_mean"] > ds["real_monthly_low"]).all()


# --------------------------------------------------------------------------- trend


def test_trend_fit_recovers_a_known_slope():
    years = np.arange(1974, 2024)
    exact = fit_linear_trend(years, 40.0 + 0.073 * years)
    assert exact["rate_per_decade"] == pytest.approx(0.73, abs=1e-9)
    assert exact["stderr_per_decade"] == pytest.approx(0.0, abs=1e-9)
    noisy = 40.0 + 0.073 * years + np.random.default_rng(2).normal(0, 0.6, years.size)
    fit = fit_linear_trend(years, noisy)
    assert abs(fit["rate_per_decade"] - 0.73) < 3 * fit["stderr_per_decade"]
    # the standard error of an OLS slope: sigma / sqrt(sum (x - mean x)²) per year
    expected = 10 * 0.6 / np.sqrt(((years - years.mean()) ** 2).sum())
    assert fit["stderr_per_decade"] == pytest.approx(expected, rel=0.3)
    assert np.all(fit["low"] < fit["line"]) and np.all(fit["line"] < fit["high"])


def test_trend_data_on_a_ramp_and_its_detrended_copy():
    times = pd.date_range("1990-01-01", "2001-12-31 23:00", freq="h")
    t = np.arange(times.size)
    observed = xr.DataArray(
        60 + 0.09 * t / 8766 + 10 * np.sin(2 * np.pi * t / 24), dims="time", coords={"time": times}
    )
    adjusted = detrend(observed, 0.9, 2024)
    ds = trend.trend_data(observed, adjusted, 0.9, 2024)
    assert ds.attrs["fitted_rate_per_decade"] == pytest.approx(0.9, abs=0.005)
    assert ds.attrs["adjusted_rate_per_decade"] == pytest.approx(0.0, abs=0.005)
    assert ds["year"].values.tolist() == list(range(1990, 2002))
    np.testing.assert_allclose(np.diff(ds["configured_line"]), 0.09)
    with pytest.raises(ValueError, match="report"):
        trend.trend_data(observed, adjusted, 0.9, 2024, report={"fitted_rate_per_decade": 0.5})


def test_trend_refuses_a_report_of_another_configuration(tiny_pipeline, tmp_path):
    report = json.loads(tiny_pipeline["trend"].read_text())
    report["configured_rate_per_decade"] = 0.3
    stale = tmp_path / "trend.json"
    stale.write_text(json.dumps(report))
    paths = {"series": tiny_pipeline["series"], "detrended": tiny_pipeline["detrended"], "trend": stale}
    with pytest.raises(InputError, match="0.3"):
        trend.compute(paths, tiny_pipeline["config"])


# --------------------------------------------------------------------------- samples


def test_samples_picks_the_latest_complete_year(real_series):
    # the tiny record runs from 1973-12-31 17:00 to 1976-12-31 16:00 local time
    assert samples.latest_complete_year(real_series) == 1975
    ds = samples.samples_data(real_series, as_paths(real_series), weeks=2)
    assert ds.attrs["year"] == 1975 and ds.sizes["time"] == 8760 and ds.sizes["day"] == 365
    assert pd.Timestamp(ds["window_start"].values[-1]) == pd.Timestamp("1975-12-18")
    np.testing.assert_allclose(ds["generated_daily"].sel(path=0), ds["real_daily"])


# --------------------------------------------------------------------------- every figure


def test_registry_lists_the_five_figures():
    specs = figures.registry()
    for name in NAMES:
        assert specs[name].caption.endswith(".") and len(specs[name].caption) > 40
    assert specs["trend"].inputs == ("series", "detrended", "trend")
    assert all(specs[n].inputs == ("series", "samples") for n in NAMES[1:])


@pytest.mark.parametrize("name", NAMES)
def test_figure_computes_round_trips_and_draws(tiny_pipeline, tmp_path, name):
    cfg = tiny_pipeline["config"]
    data = tmp_path / f"{name}.nc"
    computed = figures.write_figure_data(name, tiny_pipeline, data, cfg)
    with xr.open_dataset(data) as f:
        ds = f.load()
    assert set(ds.data_vars) == set(computed.data_vars) and ds.attrs["figure"] == name
    assert all(np.isfinite(ds[v]).any() for v in ds.data_vars if ds[v].dtype.kind == "f")

    png, svg = figures.plot_figure(name, data, tmp_path / f"{name}.png", cfg)
    assert png.stat().st_size > 20_000 and svg.stat().st_size > 20_000
    image = mpimg.imread(png)
    assert image.std() > 0.05  # not a single colour
    assert cfg["data"]["label"] in svg.read_text(encoding="utf-8")  # the data note
