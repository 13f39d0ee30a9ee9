"""The continuous trend ramp: exact round trip, correct sign and size, fitted rate."""

import numpy as np
import pandas as pd
import pytest
from builders import whole_years
from hypothesis import given, settings
from hypothesis import strategies as st

from seasonal_vae.data.detrend import detrend, fit_rate, retrend, shift_to_year, trend_offset


@settings(max_examples=25, deadline=None)
@given(rate=st.floats(-3, 3), ref=st.integers(1950, 2100), level=st.floats(-50, 150))
def test_round_trip_is_exact(rate, ref, level):
    da = whole_years([2019, 2020]) + level
    back = retrend(detrend(da, rate, ref), rate, ref)
    np.testing.assert_allclose(back.values, da.values, rtol=0, atol=1e-9)


def test_ramp_is_zero_at_the_centre_of_the_reference_year_and_sized_right():
    t = pd.DatetimeIndex(["2024-07-02T00:00", "1974-07-02T12:00"])  # 2024.5 is 2 Jul 00:00
    off = trend_offset(t, 0.7, 2024)
    assert off[0] == pytest.approx(0.0, abs=1e-3)
    assert off[1] == pytest.approx(-0.07 * 50, abs=0.01)  # 50 years earlier: 3.5 °F colder


def test_detrend_warms_the_past_into_the_reference_climate():
    da = whole_years([1974, 1975]) + 60.0
    adj = detrend(da, 0.7, 2024)
    assert float(adj.mean()) == pytest.approx(60 + 0.07 * (2024.5 - 1975.0), abs=0.01)


def test_shift_to_year_is_a_constant():
    da = whole_years([2000])
    assert np.all(shift_to_year(da, 0.7, 2024, 2054).values == pytest.approx(2.1))


def test_fit_rate_recovers_a_linear_trend_and_ignores_incomplete_years():
    rng = np.random.default_rng(0)
    da = whole_years(list(range(1990, 2010)), lambda t: 0.05 * (t.year - 1990) + rng.normal(0, 1, len(t)))
    da[:100] = np.nan  # 1990 is incomplete and is left out
    fit = fit_rate(da)
    assert fit["n_years"] == 19
    assert fit["rate_per_decade"] == pytest.approx(0.5, abs=0.05)
