"""The metric suite: zero for a set against itself, symmetric, and sensitive to what it should
detect (closed forms where there are some)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from seasonal_vae.core.calendar import day_of_year_365, gap_free
from seasonal_vae.evaluation import harmonic_climatology as H
from seasonal_vae.evaluation import metrics as M
from seasonal_vae.evaluation import set_arrays as A
from seasonal_vae.evaluation import set_summaries as SS
from seasonal_vae.evaluation.metric_info import CLASSIFIER_METRICS, METRICS, metric_info

YEARS = (2001, 2002, 2003, 2004)


def synthetic(years=YEARS, seed: int = 0, phi_daily: float = 0.8) -> xr.DataArray:
    """Hourly °F: seasonal and diurnal cycles (diurnal amplitude varying with season), daily
    AR(1) anomalies (strong day-to-day persistence) and hourly AR(1) noise."""
    rng = np.random.default_rng(seed)
    parts = [pd.date_range(f"{y}-01-01", f"{y}-12-31 23:00", freq="h") for y in years]
    times = parts[0].append(parts[1:])
    th = 2 * np.pi * (times.day_of_year.to_numpy() - 1) / 365.25
    ph = 2 * np.pi * times.hour.to_numpy() / 24
    clim = 75 - 20 * np.cos(th) + (10 + 3 * np.cos(th)) * np.cos(ph - 2 * np.pi * 15 / 24)
    days = times.floor("D")
    day_codes, day_index = np.unique(days, return_inverse=True)
    daily = np.zeros(len(day_codes))
    eps = rng.standard_normal(len(day_codes)) * 4
    for i in range(1, len(daily)):
        daily[i] = phi_daily * daily[i - 1] + eps[i]
    hourly = np.zeros(len(times))
    e = rng.standard_normal(len(times)) * 0.6
    for i in range(1, len(hourly)):
        hourly[i] = 0.9 * hourly[i - 1] + e[i]
    values = clim + daily[day_index] + hourly
    return xr.DataArray(values, dims="time", coords={"time": times.values}, name="t2m")


@pytest.fixture(scope="module")
def a():
    return synthetic(seed=1)


@pytest.fixture(scope="module")
def b():
    return synthetic(seed=2)


@pytest.fixture(scope="module")
def threshold(a):
    return M.hot_threshold(a, 90.0, 7)


def suite(a, b, threshold):
    """The metric suite at the configuration's defaults (3-day spells, 110 °F)."""
    return M.metric_suite(a, b, threshold, min_spell_days=3, extreme=110.0)


def shuffle_days(da: xr.DataArray, seed: int = 0) -> xr.DataArray:
    """Whole days permuted within each calendar month: same cycles, no day-to-day memory."""
    rng = np.random.default_rng(seed)
    values = da.values.reshape(-1, 24).copy()
    days = pd.DatetimeIndex(da["time"].values[::24])
    for key in np.unique(days.year * 100 + days.month):
        rows = np.flatnonzero(days.year * 100 + days.month == key)
        values[rows] = values[rng.permutation(rows)]
    return da.copy(data=values.ravel())


def test_every_metric_is_zero_for_a_set_against_itself(a, threshold):
    values = suite(a, a.copy(), threshold)
    assert list(values) == [m.name for m in METRICS]
    for name, value in values.items():
        assert value == pytest.approx(0.0, abs=1e-12), name


def test_metrics_are_symmetric_and_positive_between_different_sets(a, b, threshold):
    ab = suite(a, b, threshold)
    ba = suite(b, a, threshold)
    for name in ab:
        assert ab[name] == pytest.approx(ba[name], rel=1e-9, abs=1e-12), name
    # two independent realisations differ in every continuous statistic
    for name in (
        "clim_mean_rmse",
        "clim_std_rmse",
        "w1_monthly",
        "acf_hourly_l2",
        "acf_daily_l2",
        "dtr_w1_monthly",
        "interannual_log_ratio",
    ):
        assert ab[name] > 0, name


def test_a_uniform_shift_breaks_climatology_and_marginals_by_exactly_the_shift(a, threshold):
    shifted = a + 2.0
    v = suite(a, shifted, threshold)
    assert v["clim_mean_rmse"] == pytest.approx(2.0, abs=1e-9)
    assert v["w1_monthly"] == pytest.approx(2.0, abs=1e-9)
    for season in ("jja", "djf"):
        for q in ("01", "50", "99"):
            assert v[f"q{q}_{season}"] == pytest.approx(2.0, abs=1e-9)
    # ... and leaves the metrics of shape, persistence and range untouched
    for name in (
        "clim_std_rmse",
        "acf_hourly_l2",
        "acf_daily_l2",
        "dtr_w1_monthly",
        "lag1_hourly",
        "lag1_daily",
        "lag1_monthly",
        "interannual_log_ratio",
    ):
        assert v[name] == pytest.approx(0.0, abs=1e-6), name
    # warmer days: more hot-spell days and more days over 110 °F
    assert v["hot_spell_days"] > 0
    assert v["days_ge_110"] > 0


def test_shuffled_days_break_the_acf_metrics(a, b, threshold):
    reference = M.acf_distances(a, b)  # sampling noise between two honest realisations
    broken = M.acf_distances(a, shuffle_days(a))
    assert broken["acf_daily_l2"] > 2 * reference["acf_daily_l2"]
    assert broken["acf_hourly_l2"] > 3 * reference["acf_hourly_l2"]
    # the daily anomalies' lag-1 autocorrelation: ≈ 0.8 (the AR(1) coefficient), then ≈ 0
    assert M.anomaly_acfs(a)[1][0] > 0.7
    assert M.anomaly_acfs(shuffle_days(a))[1][0] < 0.5 * M.anomaly_acfs(a)[1][0]
    # shuffling whole days keeps every hourly value, month by month
    assert M.monthly_wasserstein(a, shuffle_days(a)) == pytest.approx(0.0, abs=1e-9)
    honest = M.lag1_slope_errors(a, b)["lag1_daily"]
    assert M.lag1_slope_errors(a, shuffle_days(a))["lag1_daily"] > max(3 * honest, 0.05)


def test_anomaly_acf_of_an_ar1_process_matches_its_closed_form():
    rng = np.random.default_rng(3)
    times = pd.date_range("2001-01-01", periods=3 * 8760, freq="h")
    x = np.zeros(len(times))
    e = rng.standard_normal(len(times))
    for i in range(1, len(x)):
        x[i] = 0.7 * x[i - 1] + e[i]
    acf_h, _ = M.anomaly_acfs(xr.DataArray(x, dims="time", coords={"time": times}), 5, 5)
    np.testing.assert_allclose(acf_h, 0.7 ** np.arange(1, 6), atol=0.02)


def test_acf_never_pairs_values_across_absent_years(a):
    # a set of two non-adjacent years is put on a regular axis with the absent year as NaN
    two = a.sel(time=a["time"].dt.year.isin([2001, 2003]))
    regular = gap_free(M.harmonic_anomalies(two), "h")
    assert regular.sizes["time"] == 3 * 8760  # 2001, 2002 (the gap), 2003
    assert np.isnan(regular.sel(time=slice("2002-01-01", "2002-12-31 23:00")).values).all()
    # ... so that the last hours of 2001 are never paired with the first of 2003: a jump
    # between the two years would otherwise show as a lag-1 anomaly pair
    jumpy = two.copy()
    jumpy[8760 - 1] = 500.0  # 31 Dec 2001 23:00
    jumpy[8760] = 500.0  # 1 Jan 2003 00:00
    gapped = M.anomaly_acfs(jumpy)[0][0]
    naive = A._acf(M.harmonic_anomalies(jumpy).values, 1)[1]  # concatenated: the pair is formed
    assert naive > gapped + 0.05


def test_std_scaling_of_anomalies_shows_in_the_std_grid(a, threshold):
    clim = a - M.harmonic_anomalies(a)
    scaled = clim + 1.5 * M.harmonic_anomalies(a)
    v = suite(a, scaled, threshold)
    assert v["clim_std_rmse"] > 1.0
    assert v["clim_std_rmse"] > 2 * v["clim_mean_rmse"]
    assert v["interannual_log_ratio"] == pytest.approx(np.log(1.5), abs=0.05)


def test_interannual_ratio_closed_form(a):
    series = a.to_series()
    month = series.index.month
    monthly = series.groupby([series.index.year, month]).transform("mean")  # m(year, month)
    per_month = monthly.groupby([series.index.year, month]).first().groupby(level=1).mean()
    deviation = monthly - per_month.reindex(month).to_numpy()  # m(year, month) - mean over years
    # adding each month's deviation again doubles every deviation of the monthly means
    doubled = a + xr.DataArray(deviation.to_numpy(), dims="time", coords={"time": a["time"]})
    np.testing.assert_allclose(M.interannual_std_ratios(a, doubled), 2.0, rtol=1e-9)
    assert M.interannual_log_ratio(a, doubled) == pytest.approx(np.log(2.0))
    assert M.interannual_log_ratio(doubled, a) == pytest.approx(np.log(2.0))


def test_daily_range_detects_a_larger_diurnal_cycle(a, b, threshold):
    ph = 2 * np.pi * a["time"].dt.hour.values / 24
    wider = a + 3.0 * np.cos(ph - 2 * np.pi * 15 / 24)
    assert M.daily_range_wasserstein(a, wider) > 4.0  # the range grows by about 6 °F
    assert M.daily_range_wasserstein(a, wider) > 5 * M.daily_range_wasserstein(a, b)
    assert M.daily_range_wasserstein(a, a + 5.0) == pytest.approx(0.0, abs=1e-9)


def test_climatology_grid_closed_form():
    times = pd.date_range("2001-01-01", "2001-12-31 23:00", freq="h")
    values = times.month.to_numpy() * 100.0 + times.hour.to_numpy()
    grid = M.climatology_grid(xr.DataArray(values, dims="time", coords={"time": times}))
    expected = np.arange(1, 13)[:, None] * 100.0 + np.arange(24)[None, :]
    np.testing.assert_array_equal(grid, expected)
    std = M.climatology_grid(xr.DataArray(values, dims="time", coords={"time": times}), "std")
    np.testing.assert_array_equal(std, 0.0)


def test_the_hot_day_calendar_treats_29_february_as_28_february():
    idx = pd.DatetimeIndex(
        ["2004-02-28", "2004-02-29", "2004-03-01", "2003-03-01", "2004-12-31", "2003-12-31", "2004-01-01"]
    )
    np.testing.assert_array_equal(day_of_year_365(idx), [58, 58, 59, 59, 364, 364, 0])


def test_hot_spell_runs_and_counts_on_a_constructed_year():
    times = pd.date_range("2001-01-01", "2001-12-31 23:00", freq="h")
    day = times.day_of_year.to_numpy()
    tmax = np.full(365, 90.0)
    tmax[9:14] = 105.0  # a 5-day spell
    tmax[39:41] = 105.0  # 2 hot days: a run, not a spell
    tmax[200] = 112.0  # one day over 110 °F
    hour_shape = np.where(times.hour.to_numpy() == 15, 0.0, -10.0)
    values = tmax[day - 1] + hour_shape
    da = xr.DataArray(values, dims="time", coords={"time": times})
    stats = M.hot_spell_stats(da, np.full(365, 100.0), min_spell_days=3, extreme=110.0)
    assert sorted(stats.run_lengths.tolist()) == [1, 2, 5]
    np.testing.assert_array_equal(stats.spell_days_per_year, [5])
    np.testing.assert_array_equal(stats.extreme_days_per_year, [1])
    # a missing hour makes its day incomplete: it no longer counts, and splits the spell
    holed = da.copy()
    holed[11 * 24 + 3] = np.nan
    stats = M.hot_spell_stats(holed, np.full(365, 100.0), min_spell_days=3, extreme=110.0)
    assert sorted(stats.run_lengths.tolist()) == [1, 2, 2, 2]


def test_hot_threshold_is_the_pooled_percentile():
    times = pd.date_range("2001-01-01", "2002-12-31 23:00", freq="h")
    da = xr.DataArray(np.where(times.year == 2001, 80.0, 100.0), dims="time", coords={"time": times})
    np.testing.assert_allclose(M.hot_threshold(da, 50.0, 7), 90.0)
    np.testing.assert_allclose(M.hot_threshold(da, 100.0, 7), 100.0)


def test_mask_common_leaves_out_hours_missing_in_either(a):
    b = a + 1.0
    holed = b.copy()
    holed[:5000] = np.nan
    ma, mb = M.mask_common(a, holed)
    assert int(ma.isnull().sum()) == 5000
    # the shift still reads as exactly 1 °F on the common hours
    assert suite(a, holed, M.hot_threshold(a, 90.0, 7))["clim_mean_rmse"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same timestamps"):
        M.mask_common(a, a.isel(time=slice(1, None)))


def test_metric_info_lists_every_metric_once():
    names = [m.name for m in METRICS + CLASSIFIER_METRICS]
    assert len(names) == len(set(names)) == 21
    assert metric_info("q99_djf").label == "DJF 99th percentile (abs. error)"
    assert metric_info("classifier_auroc").family == "classifier"


# --------------------------------------------------------------------------------------------
# The suite's numpy groupings against the definitions they stand for
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def patchy(a):
    """Two non-adjacent years of ``a`` with a few missing hours and a missing day."""
    two = a.sel(time=a["time"].dt.year.isin([2001, 2004])).copy()  # 2004 is a leap year
    values = two.values.copy()
    values[[5, 100, 101, 4000]] = np.nan
    values[24 * 40 : 24 * 41] = np.nan
    return two.copy(data=values)


def test_the_cached_year_designs_are_harmonic_design_of_those_years(patchy):
    from seasonal_vae.model.harmonic_ar import harmonic_design

    times = patchy["time"].values
    s = A._Set(patchy)
    blocks = H._design_blocks(times, s.years, 3, 4)
    assert [b[3] is not None for b in blocks] == [True, True]  # whole years: the cached designs
    np.testing.assert_array_equal(np.concatenate([b[2] for b in blocks]), harmonic_design(times, 3, 4))
    part = patchy.isel(time=slice(30, 9000))  # two partial years: their own designs
    blocks = H._design_blocks(part["time"].values, A._Set(part).years, 3, 4)
    assert [b[3] is None for b in blocks] == [True, True]


def test_harmonic_anomalies_are_the_least_squares_residuals(patchy):
    from seasonal_vae.model.harmonic_ar import harmonic_design

    for da in (patchy, patchy.isel(time=slice(30, 9000)), patchy.isel(time=slice(0, 60))):
        y = da.values
        ok = np.isfinite(y)
        X = harmonic_design(da["time"].values)
        expected = y - X @ np.linalg.lstsq(X[ok], y[ok], rcond=None)[0]
        got = M.harmonic_anomalies(da).values
        np.testing.assert_allclose(got[ok], expected[ok], atol=1e-9)
        assert np.isnan(got[~ok]).all()


def test_the_sets_groupings_are_pandas_and_the_statistics_modules(patchy):
    from seasonal_vae.data.climatology import month_hour_climatology
    from seasonal_vae.evaluation import statistics as S

    s = A._Set(patchy)
    mean, std = month_hour_climatology(patchy["time"].values, patchy.values, ddof=1)
    np.testing.assert_allclose(s.climatology[0], mean, rtol=1e-12)
    np.testing.assert_allclose(s.climatology[1], std, rtol=1e-10)
    np.testing.assert_allclose(s.daily_means(s.values), S.daily_means(patchy).values, rtol=1e-12)
    np.testing.assert_allclose(s.monthly_means[1], S.monthly_means(patchy).values, rtol=1e-12)
    for key, value in S.lag1_slopes(patchy).items():
        assert s.lag1_slopes()[key] == pytest.approx(value, rel=1e-12), key
    series = patchy.to_series()
    days = series.groupby(series.index.floor("D"))
    expected = pd.DataFrame({"max": days.max(), "min": days.min()}).where(days.count() == 24)
    pd.testing.assert_frame_equal(M.daily_extremes(patchy), expected, check_freq=False, check_names=False)
    assert s.months.tolist() == patchy["time"].dt.month.values.tolist()
    assert s.hours.tolist() == patchy["time"].dt.hour.values.tolist()


def test_shortened_gaps_keep_every_autocovariance_up_to_the_kept_lag(patchy):
    s = A._Set(patchy)
    anom = M.harmonic_anomalies(patchy)
    full = gap_free(anom, "h").values  # 2001, the absent 2002 and 2003, 2004
    short = s.regular(anom.values, np.timedelta64(1, "h"), 72)
    assert short.size < full.size / 1.9
    np.testing.assert_allclose(A._acf(short, 72), A._acf(full, 72), atol=1e-12)


def test_the_held_out_years_statistics_are_reused_only_when_they_apply(a, b, threshold):
    stats_a = SS.set_statistics(a, threshold, 3, 110.0)
    assert M.metric_suite(a, b, threshold, 3, 110.0, a_statistics=stats_a) == suite(a, b, threshold)
    holed = b.copy()
    holed[:5000] = np.nan  # masking changes a: its statistics are computed anew
    assert M.metric_suite(a, holed, threshold, 3, 110.0, a_statistics=stats_a) == suite(a, holed, threshold)
    assert SS.compare_statistics(stats_a, stats_a) == suite(a, a.copy(), threshold)
    with pytest.raises(ValueError, match="different settings"):
        SS.compare_statistics(stats_a, SS.set_statistics(b, threshold, 4, 110.0))
