"""θ, decimal years and Fourier features: exact at year boundaries and across leap years."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seasonal_vae.core.calendar import (
    decimal_year,
    fourier_features,
    latent_step_times,
    seasonal_features,
    theta,
    year_fraction,
)


@pytest.mark.parametrize("year", [1974, 1999, 2000, 2020, 2023, 2024])
def test_theta_is_zero_on_1_january_midnight(year):
    assert theta([f"{year}-01-01T00:00"])[0] == 0.0


@pytest.mark.parametrize("year,days", [(2023, 365), (2024, 366), (1900, 365), (2000, 366)])
def test_theta_uses_the_length_of_that_year(year, days):
    # the last hour of the year sits one hour short of 2π, whatever the year's length
    last = theta([f"{year}-12-31T23:00"])[0]
    assert last == pytest.approx(2 * np.pi * (1 - 1 / (24 * days)))
    # 1 July 00:00 is day 181 (182 in leap years)
    july = year_fraction([f"{year}-07-01"])[0]
    assert july == pytest.approx((181 + (days == 366)) / days)


def test_theta_continuous_across_new_year():
    t = pd.date_range("2023-12-31T20:00", "2024-01-01T04:00", freq="h")
    th = theta(t)
    jump = np.flatnonzero(np.diff(th) < 0)
    assert list(t[jump + 1]) == [pd.Timestamp("2024-01-01")]


@given(
    st.datetimes(
        min_value=pd.Timestamp("1900-01-01").to_pydatetime(),
        max_value=pd.Timestamp("2200-01-01").to_pydatetime(),
    )
)
def test_year_fraction_in_unit_interval_and_decimal_year_monotone(t):
    f = year_fraction([t])[0]
    assert 0.0 <= f < 1.0
    later = np.datetime64(t) + np.timedelta64(1, "h")
    assert decimal_year([later])[0] > decimal_year([t])[0]


def test_fourier_features_order_and_shape():
    th = np.array([0.0, np.pi / 2])
    f = fourier_features(th, degree=3)
    assert f.shape == (2, 6)
    np.testing.assert_allclose(f[0], [0, 1, 0, 1, 0, 1], atol=1e-12)
    np.testing.assert_allclose(f[1], [1, 0, 0, -1, -1, 0], atol=1e-12)


def test_latent_step_anchor():
    centre = latent_step_times("2024-01-01", 2, anchor="centre")
    start = latent_step_times("2024-01-01", 2, anchor="start")
    assert list(pd.DatetimeIndex(start)) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-05")]
    assert list(pd.DatetimeIndex(centre)) == [pd.Timestamp("2024-01-03"), pd.Timestamp("2024-01-07")]


def test_seasonal_features_shape():
    f = seasonal_features(np.array(["2020-02-27", "2021-12-30"], dtype="datetime64[ns]"), 16, 3)
    assert f.shape == (2, 16, 6) and f.dtype == np.float32


def test_seasonal_features_of_many_windows_equal_those_of_each_window():
    """The vectorised computation gives, bit for bit, each window's own features."""
    rng = np.random.default_rng(0)
    hours = rng.integers(0, 50 * 8766, size=300)
    starts = np.datetime64("1974-01-01T00", "ns") + (hours * 3600 * 10**9).astype("timedelta64[ns]")
    starts = np.concatenate(
        [starts, np.array(["2020-02-29T00", "2023-12-31T00", "1975-12-29T00"], dtype="datetime64[ns]")]
    )
    for anchor in ("centre", "start"):
        for n_steps, degree in ((16, 3), (1, 1), (5, 4)):
            many = seasonal_features(starts, n_steps, degree, anchor=anchor)
            assert many.dtype == np.float32 and many.shape == (starts.size, n_steps, 2 * degree)
            for i in (0, 150, starts.size - 3, starts.size - 1):
                one = fourier_features(
                    theta(latent_step_times(starts[i], n_steps, anchor=anchor)), degree
                ).astype("float32")
                np.testing.assert_array_equal(many[i], one)
    assert seasonal_features(starts[:0], 16, 3).shape == (0, 16, 6)
