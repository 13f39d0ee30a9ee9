"""The extended model's parts (beyond the article): the AR(p) residual and the AR(1) latent prior.

The AR(p) likelihood against scipy's multivariate normal with the AR covariance, stationarity
of every parameter value, simulated noise with the model's autocorrelation, the closed-form
fit recovering known parameters, the chain KL against Monte Carlo, and the extended model's
shapes for any length, save/load and seeds.
"""

import numpy as np
import pytest
import scipy.stats as st
import tensorflow as tf
from builders import extended_vae
from hypothesis import given, settings
from hypothesis import strategies as st_h
from scipy.linalg import toeplitz

from seasonal_vae.core.calendar import seasonal_features
from seasonal_vae.model import ar_noise
from seasonal_vae.model.sample import generate
from seasonal_vae.model.vae import SeasonalVAE, kl_diagonal_gaussians


@pytest.mark.parametrize("pacf", [[0.8], [0.9, -0.4], [0.95, -0.5, 0.2]])
@pytest.mark.parametrize("heteroscedastic", [False, True])
def test_exact_likelihood_is_the_multivariate_normal(pacf, heteroscedastic):
    pacf = np.asarray(pacf)
    rng = np.random.default_rng(len(pacf))
    n = 16
    log_s = rng.normal(0, 0.4, (1, n)) if heteroscedastic else np.full((1, n), 0.3)
    e = ar_noise.simulate(pacf, log_s, rng)
    nll = ar_noise.ar_nll(tf.constant(e), tf.constant(log_s), tf.constant(pacf))
    scale = np.diag(np.exp(log_s[0]))
    cov = scale @ toeplitz(ar_noise.autocorrelation(pacf, n - 1)) @ scale
    expected = -st.multivariate_normal(np.zeros(n), cov).logpdf(e[0])
    assert float(nll[0]) == pytest.approx(expected, rel=1e-10)


@settings(max_examples=50, deadline=None)
@given(raw=st_h.lists(st_h.floats(-6, 6), min_size=1, max_size=6))
def test_every_parameter_value_is_a_stationary_process(raw):
    """PACFs through tanh lie in (−1, 1): the AR polynomial's roots lie outside the unit circle."""
    pacf = np.tanh(np.asarray(raw))
    pacf = np.clip(pacf, -0.999, 0.999)  # float64 tanh of ±6 is 1 − 1e-5: still inside
    coefficients, variances = ar_noise.levinson_durbin(pacf)
    phi = np.asarray(coefficients[-1])
    companion = np.zeros((len(phi), len(phi)))
    companion[0], companion[1:, :-1] = phi, np.eye(len(phi) - 1)
    assert np.all(np.abs(np.linalg.eigvals(companion)) < 1.0)  # the roots lie outside the unit circle
    assert all(v > 0 for v in variances)


def test_generated_noise_has_the_models_autocorrelation():
    pacf = np.array([0.9, -0.3, 0.1])
    u = ar_noise.simulate(pacf, np.zeros((400, 1500)), np.random.default_rng(3))
    expected = ar_noise.autocorrelation(pacf, 24)
    sample = [np.mean(u[:, : u.shape[1] - k] * u[:, k:]) for k in range(25)]
    np.testing.assert_allclose(sample, expected, atol=0.02)
    # exactly stationary from the first hour: the first hours have unit variance too
    np.testing.assert_allclose(u[:, :5].var(axis=0), 1.0, atol=0.15)


def test_the_closed_form_fit_recovers_a_known_residual_process():
    hours = 960  # ten latent steps from the first of every month, four years of windows
    starts = np.array([f"{y}-{m:02d}-01" for y in range(2001, 2005) for m in range(1, 13)], "datetime64[ns]")
    f = np.asarray(ar_noise.scale_features(hours, seasonal_features(starts, hours // 96)))
    weights = np.zeros(ar_noise.N_SCALE_FEATURES)
    weights[1], weights[5] = 0.6, -0.4  # a diurnal cycle (cos) and a seasonal cycle (cos θ)
    log_s = 0.5 * (np.log(0.02) + f @ weights)
    pacf = np.array([0.85, -0.35, 0.1])
    e = ar_noise.simulate(pacf, log_s, np.random.default_rng(0))
    bias, fitted, fitted_pacf = ar_noise.fit(e, f, order=3)
    assert bias == pytest.approx(np.log(0.02), abs=0.05)
    np.testing.assert_allclose(fitted[[1, 5]], [0.6, -0.4], atol=0.06)
    np.testing.assert_allclose(fitted_pacf, pacf, atol=0.03)


def test_the_chain_kl_given_the_previous_sample_is_the_kl_of_the_chain():
    """E over q of Σ_k KL(q_k ‖ p(z_k | z_{k−1})) is KL(q ‖ p) of the whole chain (Monte Carlo)."""
    model = extended_vae()
    model.latent_ar_raw.assign(np.arctanh([0.8, -0.5, 0.3]).astype("float32"))
    k, n = 5, 20000
    rng = np.random.default_rng(1)
    mean_q = rng.normal(0, 1, (1, k, 3)).astype("float32")
    log_var_q = rng.normal(-1, 0.3, (1, k, 3)).astype("float32")
    features = seasonal_features(np.array(["2001-03-01"], dtype="datetime64[ns]"), k)
    z = mean_q + np.exp(0.5 * log_var_q) * rng.standard_normal((n, k, 3)).astype("float32")
    feats = np.repeat(features, n, axis=0).astype("float32")
    p_mean, p_log_var = (np.asarray(a, dtype="float64") for a in model.conditional_prior(feats, z))
    kl = np.asarray(
        kl_diagonal_gaussians(
            np.repeat(mean_q, n, 0).astype("float64"),
            np.repeat(log_var_q, n, 0).astype("float64"),
            p_mean,
            p_log_var,
        )
    )
    z64 = z.astype("float64")
    log_q = st.norm(mean_q, np.exp(0.5 * log_var_q)).logpdf(z64).sum(axis=(1, 2))
    log_p = st.norm(p_mean, np.exp(0.5 * p_log_var)).logpdf(z64).sum(axis=(1, 2))
    monte_carlo = log_q - log_p
    assert kl.mean() == pytest.approx(monte_carlo.mean(), abs=4 * monte_carlo.std() / np.sqrt(n))


@pytest.mark.parametrize("k", [1, 3, 16])
def test_the_extended_model_takes_any_length_and_saves(tmp_path, k):
    model = extended_vae()
    x = np.random.default_rng(k).normal(size=(2, 96 * k)).astype("float32")
    features = np.repeat(
        seasonal_features(np.array(["2001-05-01"], dtype="datetime64[ns]"), k), 2, axis=0
    ).astype("float32")
    reconstruction, kl = model.loss_terms(x, features)
    assert np.isfinite(float(reconstruction)) and float(kl) >= 0
    assert model((x, features)).shape == (2, 96 * k)
    model.save(tmp_path / "m.keras")
    from seasonal_vae.model.train import load_model

    loaded = load_model(tmp_path / "m.keras")
    assert loaded.noise_kind == "ar" and loaded.latent_memory == "ar1" and loaded.noise_order == 2
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(float(loaded.loss_terms(x, features)[0]), float(reconstruction), rtol=1e-5)


def test_ancestral_sampling_is_reproducible_and_has_memory():
    model = extended_vae()
    model.latent_ar_raw.assign(np.full(3, np.arctanh(0.9), dtype="float32"))
    model.noise_pacf_raw.assign(np.arctanh([0.9, -0.2]).astype("float32"))
    a = generate(model, "2001-06-01T05:00", 24 * 30, n_paths=3, noise=True, seed=4)
    b = generate(model, "2001-06-01T05:00", 24 * 30, n_paths=3, noise=True, seed=4)
    c = generate(model, "2001-06-01T05:00", 24 * 30, n_paths=3, noise=True, seed=5)
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.allclose(a.values, c.values)
    assert a.shape == (3, 720) and str(a["time"].values[0]).startswith("2001-06-01T05:00")
    # the residual has memory: the hour-to-hour correlation of the noise is far from 0
    quiet = generate(model, "2001-06-01T05:00", 24 * 30, n_paths=3, noise=False, seed=4)
    residual = (a - quiet).values
    lag1 = np.corrcoef(residual[:, :-1].ravel(), residual[:, 1:].ravel())[0, 1]
    assert lag1 > 0.6


def test_the_articles_model_has_none_of_the_extensions_weights():
    article = SeasonalVAE(filters=8, latent_dim=3, seed=0)
    names = {w.path.split("/")[-1] for w in article.weights}
    assert not names & {"noise_pacf_raw", "noise_scale_weights", "latent_ar_raw"}
    assert {"noise_pacf_raw", "noise_scale_weights", "latent_ar_raw"} <= {
        w.path.split("/")[-1] for w in extended_vae().weights
    }
