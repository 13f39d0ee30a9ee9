"""Generation: any start and length, reproducible seeds, the trend put back exactly."""

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("keras")

from seasonal_vae.data.detrend import trend_offset  # noqa: E402
from seasonal_vae.model.sample import generate  # noqa: E402
from seasonal_vae.model.vae import SeasonalVAE  # noqa: E402


@pytest.fixture(scope="module")
def model():
    return SeasonalVAE(
        filters=8,
        latent_dim=3,
        data_mean=75.0,
        data_std=18.0,
        trend_rate_per_decade=0.7,
        trend_reference_year=2024,
        seed=0,
    )


@pytest.mark.parametrize("n_hours", [1, 95, 96, 97, 1000])
@pytest.mark.parametrize("start", ["2024-02-28T00:00", "2023-06-01T13:00"])
def test_any_start_and_length(model, start, n_hours):
    da = generate(model, start, n_hours, n_paths=3, seed=1)
    assert da.shape == (3, n_hours)
    assert da["time"].values[0] == np.datetime64(start)
    assert np.all(np.diff(da["time"].values) == np.timedelta64(1, "h"))
    assert da.attrs["units"] == "degF" and np.isfinite(da.values).all()


def test_a_late_start_is_the_tail_of_the_midnight_grid(model):
    """Starting at 13:00 gives the same path as starting at midnight, minus 13 hours."""
    midnight = generate(model, "2023-06-01T00:00", 200, seed=5)
    afternoon = generate(model, "2023-06-01T13:00", 187, seed=5)
    np.testing.assert_allclose(afternoon.values, midnight.values[:, 13:], rtol=1e-6)


def test_same_seed_same_paths_different_seed_different_paths(model):
    a = generate(model, "2000-01-01", 500, n_paths=2, seed=3)
    b = generate(model, "2000-01-01", 500, n_paths=2, seed=3)
    c = generate(model, "2000-01-01", 500, n_paths=2, seed=4)
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.allclose(a.values, c.values)
    assert not np.allclose(a.values[0], a.values[1])  # paths are independent draws


def test_batches_of_paths_do_not_change_the_result(model):
    a = generate(model, "2000-01-01", 300, n_paths=5, seed=3, batch_paths=2)
    b = generate(model, "2000-01-01", 300, n_paths=5, seed=3, batch_paths=8)
    np.testing.assert_allclose(a.values, b.values, rtol=1e-6)


def test_noise_adds_the_learned_variance(model):
    model.noise_log_var.assign(np.log(0.1**2))
    clean = generate(model, "2000-01-01", 96 * 200, seed=3, noise=False)
    noisy = generate(model, "2000-01-01", 96 * 200, seed=3, noise=True)
    resid = (noisy - clean).values / model.data_std
    assert resid.std() == pytest.approx(0.1, rel=0.05)


def test_retrend_options(model):
    base = generate(model, "1980-01-01", 500, seed=2, retrend="none")
    dated = generate(model, "1980-01-01", 500, seed=2, retrend="dates")
    year = generate(model, "1980-01-01", 500, seed=2, retrend=1994)
    expected = trend_offset(pd.date_range("1980-01-01", periods=500, freq="h"), 0.7, 2024)
    np.testing.assert_allclose((dated - base).values[0], expected, atol=1e-4)
    np.testing.assert_allclose((year - base).values, -0.07 * 30, atol=1e-4)
