"""Baselines: AR order and coefficients recovered, harmonic mean and std recovered, the
calendar mapping of whole years (leap days), the bootstrap, and the written file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from statsmodels.tsa.arima_process import arma_generate_sample

from seasonal_vae.core.config import load_config
from seasonal_vae.core.errors import InputError
from seasonal_vae.data.detrend import trend_offset
from seasonal_vae.model import baselines as B
from seasonal_vae.model import bootstrap, harmonic_ar


def test_select_ar_order_recovers_a_known_ar2_process():
    rng = np.random.default_rng(0)
    x = arma_generate_sample(
        [1.0, -1.2, 0.5], [1.0], 40_000, scale=2.0, distrvs=rng.standard_normal, burnin=500
    )
    p, coefs, sigma2, aic = harmonic_ar.select_ar_order(x, maxlag=12)
    assert 2 <= p <= 6  # AIC may add a few lags (their coefficients ≈ 0), never drop a true one
    np.testing.assert_allclose(coefs[:2], [1.2, -0.5], atol=0.02)
    np.testing.assert_allclose(coefs[2:], 0.0, atol=0.02)
    assert sigma2 == pytest.approx(4.0, rel=0.03)
    assert aic.shape == (13,) and np.argmin(aic) == p


def test_select_ar_order_skips_pairs_across_gaps():
    rng = np.random.default_rng(1)
    x = arma_generate_sample([1.0, -0.6], [1.0], 30_000, distrvs=rng.standard_normal)
    gapped = x.copy()
    gapped[10_000:10_100] = np.nan
    p, coefs, _, _ = harmonic_ar.select_ar_order(gapped, maxlag=5)
    assert coefs[0] == pytest.approx(0.6, abs=0.02)
    with pytest.raises(ValueError, match="valid values"):
        harmonic_ar.select_ar_order(x[:8], maxlag=5)


def test_harmonic_design_columns():
    times = pd.date_range("2001-01-01", "2001-01-02", freq="h")
    X = harmonic_ar.harmonic_design(times, annual=2, diurnal=3)
    assert X.shape == (len(times), 1 + 4 + 6 + 4 * 2 * 3)
    np.testing.assert_array_equal(X[:, 0], 1.0)
    # the diurnal cosine of order 1 is 1 at midnight and -1 at noon
    np.testing.assert_allclose(X[[0, 12], 6], [1.0, -1.0], atol=1e-12)


def test_harmonic_ar_recovers_mean_std_and_ar_coefficient():
    times = pd.date_range("2001-01-01", "2004-12-31 23:00", freq="h")
    th = 2 * np.pi * (times.day_of_year.to_numpy() - 1) / 365
    ph = 2 * np.pi * times.hour.to_numpy() / 24
    mean = 70 - 20 * np.cos(th) + 10 * np.sin(ph) * (1 + 0.3 * np.cos(th))
    std = 3.0 * np.exp(0.3 * np.cos(th))
    rng = np.random.default_rng(2)
    z = arma_generate_sample(
        [1.0, -0.9], [1.0], len(times), scale=np.sqrt(1 - 0.81), distrvs=rng.standard_normal
    )
    da = xr.DataArray(mean + std * z, dims="time", coords={"time": times})
    model = harmonic_ar.HarmonicAR(annual=2, diurnal=2, maxlag=10).fit(da)
    assert np.max(np.abs(model.mean(times) - mean)) < 1.0
    assert np.median(np.abs(model.std(times) / std - 1)) < 0.1
    assert model.ar_coefs[0] == pytest.approx(0.9, abs=0.05)
    sims = model.simulate(times[:5000], n_paths=3, seed=4)
    assert sims.shape == (3, 5000)
    np.testing.assert_array_equal(sims, model.simulate(times[:5000], n_paths=3, seed=4))
    assert not np.allclose(sims[0], sims[1])
    resid = (sims - model.mean(times[:5000])) / model.std(times[:5000])
    assert resid.std() == pytest.approx(1.0, abs=0.15)


def test_map_years_handles_leap_days():
    source = xr.DataArray(
        np.arange(len(pd.date_range("2003-01-01", "2004-12-31 23:00", freq="h")), dtype=float),
        dims="time",
        coords={"time": pd.date_range("2003-01-01", "2004-12-31 23:00", freq="h")},
    )
    # a leap target from a common year: 29 Feb repeats 28 Feb
    target = pd.date_range("2008-01-01", "2008-12-31 23:00", freq="h")
    mapped = bootstrap.map_years(source, target, {2008: 2003})
    assert mapped.sizes["time"] == 366 * 24
    np.testing.assert_array_equal(mapped.sel(time="2008-02-29").values, source.sel(time="2003-02-28").values)
    np.testing.assert_array_equal(mapped.sel(time="2008-03-01").values, source.sel(time="2003-03-01").values)
    # a common target from a leap year: 29 Feb is dropped, the rest keeps its date
    target = pd.date_range("2007-01-01", "2007-12-31 23:00", freq="h")
    mapped = bootstrap.map_years(source, target, {2007: 2004})
    assert not np.isnan(mapped.values).any()
    np.testing.assert_array_equal(mapped.sel(time="2007-03-01").values, source.sel(time="2004-03-01").values)
    assert not np.isin(source.sel(time="2004-02-29").values, mapped.values).any()
    with pytest.raises(ValueError, match="no source year"):
        bootstrap.map_years(source, target, {2006: 2004})


def test_bootstrap_years_draws_whole_training_years():
    times = pd.date_range("2001-01-01", "2005-12-31 23:00", freq="h")
    values = times.year.to_numpy() * 1000.0 + np.arange(len(times)) % 1000
    da = xr.DataArray(values, dims="time", coords={"time": times})
    target = pd.date_range("2010-01-01", "2012-12-31 23:00", freq="h")
    out, drawn = bootstrap.bootstrap_years(da, [2001, 2002, 2004], target, n_paths=4, seed=9)
    assert out.shape == (4, len(target)) and drawn.shape == (4, 3)
    assert set(drawn.ravel()) <= {2001, 2002, 2004}
    years = pd.DatetimeIndex(target).year.to_numpy()
    for i in range(4):
        for k, year in enumerate((2010, 2011, 2012)):
            # every hour of a target year comes from one drawn source year
            np.testing.assert_array_equal(out[i, years == year] // 1000, drawn[i, k])
    again, _ = bootstrap.bootstrap_years(da, [2001, 2002, 2004], target, n_paths=4, seed=9)
    np.testing.assert_array_equal(out, again)


def test_complete_years():
    times = pd.date_range("2000-12-31 17:00", "2003-12-31 16:00", freq="h")
    da = xr.DataArray(np.ones(len(times)), dims="time", coords={"time": times})
    da[5000] = np.nan
    assert bootstrap.complete_years(da, [2000, 2001, 2002, 2003]) == [2002]


@pytest.fixture()
def detrended_file(tmp_path):
    times = pd.date_range("2000-12-31 17:00", "2004-12-31 16:00", freq="h")
    rng = np.random.default_rng(5)
    th = 2 * np.pi * (times.day_of_year.to_numpy() - 1) / 365
    values = 70 - 20 * np.cos(th) + rng.standard_normal(len(times))
    ds = xr.Dataset({"t2m": ("time", values, {"units": "degF"})}, coords={"time": times})
    ds.attrs = {"trend_rate_per_decade": 0.7, "trend_reference_year": 2024}
    path = tmp_path / "detrended.nc"
    ds.to_netcdf(path)
    return path, ds


@pytest.mark.parametrize("method", B.METHODS)
def test_write_baseline_layout_and_trend(detrended_file, tmp_path, method):
    path, ds = detrended_file
    out = tmp_path / f"{method}.nc"
    # 2001-2004, every fourth year held out from the first: training years 2001-2003
    cfg = load_config(
        {
            "data": {"first_year": 2001, "last_year": 2004, "label": "synthetic"},
            "windows": {"holdout_every": 4, "holdout_offset": 3},
            "sampling": {"n_paths": 2},
            "evaluation": {"seed": 1, "baseline_maxlag": 5},
        }
    )
    B.write_baseline(method, path, out, cfg)
    with xr.open_dataset(out) as res:
        res = res.load()
    assert res["t2m"].dims == ("path", "time")
    assert res["t2m"].attrs["units"] == "degF"
    np.testing.assert_array_equal(res["time"].values, ds["time"].values)
    assert res.attrs["generator"] == method and res.attrs["retrend"] == "dates"
    assert res.attrs["train_years"] == "2001 2002 2003" and res.attrs["training_data"] == "synthetic"
    assert res.sizes["path"] == 2 and res.attrs["seed"] == 1
    assert not np.isnan(res["t2m"].values).any()
    if method == "bootstrap":
        # detrended 2004 is some training year's values; the trend of 2004's dates is added
        drawn = int(res.attrs["drawn_years_path0"].split()[-1])
        assert drawn in (2001, 2002, 2003)
        t2004 = res["time"].sel(time=slice("2004-03-01", "2004-03-31")).values
        src = ds["t2m"].sel(time=slice(f"{drawn}-03-01", f"{drawn}-03-31 23:00")).values
        expected = src + trend_offset(t2004, 0.7, 2024)
        np.testing.assert_allclose(res["t2m"].isel(path=0).sel(time=t2004).values, expected, atol=1e-4)
    else:
        assert int(res.attrs["ar_order"]) >= 0


def test_write_baseline_errors(detrended_file, tmp_path):
    path, _ = detrended_file
    cfg = load_config(
        {
            "data": {"first_year": 1990, "last_year": 1991},
            "windows": {"holdout_every": 2, "holdout_offset": 1},
        }
    )  # trains on 1990
    with pytest.raises(InputError, match="unknown method"):
        B.write_baseline("nope", path, tmp_path / "x.nc", cfg)
    with pytest.raises(InputError, match="none of the training years"):
        B.write_baseline("bootstrap", path, tmp_path / "x.nc", cfg)
    with pytest.raises(InputError, match="none of the training years"):
        B.simulate_baseline("bootstrap", path, [1990], n_paths=1, seed=0, maxlag=5)
    assert not (tmp_path / "x.nc").exists()
