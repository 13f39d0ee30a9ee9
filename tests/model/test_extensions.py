"""The extended model's parts (beyond the article): the AR(p) residual and the latent memory
(the diagonal AR(1) and the full VAR(1) chain).

The AR(p) likelihood against scipy's multivariate normal with the AR covariance, stationarity
of every parameter value, simulated noise with the model's autocorrelation, the closed-form
fit recovering known parameters, the chain KL against Monte Carlo (both memories), the VAR(1)
fit recovering a known chain and always stable, generated latents with the chain's moments,
and the extended model's shapes for any length, save/load and seeds.
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
from seasonal_vae.model import ar_noise, latent_chain
from seasonal_vae.model.sample import generate
from seasonal_vae.model.vae import SeasonalVAE


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
    """PACFs through tanh lie in (−1, 1): the AR polynomial's roots lie outside the unit circle
    (the companion matrix's eigenvalues inside it). With partial autocorrelations of 0.999 a root
    lies closer to the circle than ``eigvals`` resolves (it returned a modulus of exactly 1.0 for
    [0.995, 0.999, 0.999, 0.995, 0.999], failing this test once in CI), so the bound allows
    rounding error and no more: an explosive coefficient gives a modulus well above 1."""
    pacf = np.tanh(np.asarray(raw))
    pacf = np.clip(pacf, -0.999, 0.999)  # float64 tanh of ±6 is 1 − 1e-5: still inside
    coefficients, variances = ar_noise.levinson_durbin(pacf)
    phi = np.asarray(coefficients[-1])
    companion = np.zeros((len(phi), len(phi)))
    companion[0], companion[1:, :-1] = phi, np.eye(len(phi) - 1)
    assert np.all(np.abs(np.linalg.eigvals(companion)) < 1.0 + 1e-6)
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


def _var1_chain(dim=3, seed=0):
    """A stable VAR(1) in whitened coordinates: ``(A, R, Q)`` with R a correlation matrix."""
    rng = np.random.default_rng(seed)
    g = rng.normal(size=(dim, dim + 2))
    covariance = g @ g.T
    r = covariance / np.sqrt(np.outer(np.diag(covariance), np.diag(covariance)))
    a = rng.normal(size=(dim, dim))
    a *= 0.7 / np.max(np.abs(np.linalg.eigvals(a)))
    while np.linalg.eigvalsh(r - a @ r @ a.T).min() < 0.05:
        a *= 0.9
    return a, r, r - a @ r @ a.T


def _set_chain(model, a, r, q):
    for weight, value in zip(
        (model.latent_var_a, model.latent_corr_chol, model.latent_innov_chol),
        (a, np.linalg.cholesky(r), np.linalg.cholesky(q)),
    ):
        weight.assign(np.asarray(value, dtype="float32"))


def _chain_covariance(a, r, k):
    """Covariance of the stacked whitened chain (u_1, …, u_k): Cov(u_i, u_j) = A^(i−j) R, i ≥ j."""
    dim = len(r)
    out = np.zeros((k * dim, k * dim))
    for i in range(k):
        for j in range(i + 1):
            block = np.linalg.matrix_power(a, i - j) @ r
            out[i * dim : (i + 1) * dim, j * dim : (j + 1) * dim] = block
            out[j * dim : (j + 1) * dim, i * dim : (i + 1) * dim] = block.T
    return out


@pytest.mark.parametrize("memory", ["ar1", "var1"])
def test_the_chain_kl_given_the_previous_sample_is_the_kl_of_the_chain(memory):
    """E over q of Σ_k KL(q_k ‖ p(z_k | z_{k−1})) is KL(q ‖ p) of the whole chain: Monte Carlo
    of log q − log p with p the chain's joint Gaussian (scipy), built from A and R alone."""
    model = extended_vae(latent_memory=memory)
    if memory == "ar1":
        a_diag = np.array([0.8, -0.5, 0.3])
        model.latent_ar_raw.assign(np.arctanh(a_diag).astype("float32"))
        a, r = np.diag(a_diag), np.eye(3)
    else:
        a, r, q = _var1_chain()
        _set_chain(model, a, r, q)
    k, n = 5, 20000
    rng = np.random.default_rng(1)
    mean_q = rng.normal(0, 1, (1, k, 3)).astype("float32")
    log_var_q = rng.normal(-1, 0.3, (1, k, 3)).astype("float32")
    features = seasonal_features(np.array(["2001-03-01"], dtype="datetime64[ns]"), k).astype("float32")
    z = mean_q + np.exp(0.5 * log_var_q) * rng.standard_normal((n, k, 3)).astype("float32")
    p_mean, p_log_var = model.prior(features)
    kl = np.asarray(
        model.latent_kl(
            tf.constant(np.repeat(mean_q, n, 0), tf.float64),
            tf.constant(np.repeat(log_var_q, n, 0), tf.float64),
            z,
            np.repeat(p_mean, n, 0),
            np.repeat(p_log_var, n, 0),
        )
    )
    scale = np.exp(0.5 * np.asarray(p_log_var, dtype="float64")).ravel()
    joint = st.multivariate_normal(
        np.asarray(p_mean, dtype="float64").ravel(), _chain_covariance(a, r, k) * np.outer(scale, scale)
    )
    z64 = z.astype("float64")
    log_q = st.norm(mean_q, np.exp(0.5 * log_var_q)).logpdf(z64).sum(axis=(1, 2))
    monte_carlo = log_q - joint.logpdf(z64.reshape(n, -1))
    assert kl.mean() == pytest.approx(monte_carlo.mean(), abs=4 * monte_carlo.std() / np.sqrt(n))


def test_the_var1_fit_recovers_a_known_chain():
    """Posterior means drawn from a known VAR(1) (small posterior variances, seasonal moments):
    the closed-form fit returns its A and R, and its Q = R − A R Aᵀ."""
    a, r, q = _var1_chain(dim=4, seed=3)
    rng = np.random.default_rng(2)
    n, k = 4000, 16
    u = np.empty((n, k, 4))
    u[:, 0] = rng.standard_normal((n, 4)) @ np.linalg.cholesky(r).T
    for step in range(1, k):
        u[:, step] = u[:, step - 1] @ a.T + rng.standard_normal((n, 4)) @ np.linalg.cholesky(q).T
    mean = np.sin(np.linspace(0, 6, k))[None, :, None] * np.ones((n, k, 4))
    log_var = np.log(0.5 + 0.2 * np.cos(np.linspace(0, 6, k)))[None, :, None] * np.ones((n, k, 4))
    z_mean = mean + np.exp(0.5 * log_var) * u * np.sqrt(0.99)  # posterior variance 1 % of the prior's
    fitted_a, r_chol, q_chol = latent_chain.fit_var1(z_mean, log_var + np.log(0.01), mean, log_var)
    np.testing.assert_allclose(fitted_a, a, atol=0.03)
    np.testing.assert_allclose(r_chol @ r_chol.T, r, atol=0.03)
    np.testing.assert_allclose(q_chol @ q_chol.T, r - a @ r @ a.T, atol=0.03)


@settings(max_examples=30, deadline=None)
@given(st_h.integers(0, 2**31 - 1), st_h.floats(0.0, 3.0))
def test_every_var1_fit_is_a_stable_stationary_chain(seed, spike):
    """Whatever the posteriors (nearly collinear features, few windows, one huge mean), the fit
    gives a correlation matrix R, Q ≻ 0 with R = A R Aᵀ + Q, and so |eigenvalues of A| < 1."""
    rng = np.random.default_rng(seed)
    n, k, dim = int(rng.integers(1, 6)), int(rng.integers(1, 6)), 3
    z_mean = rng.normal(size=(n, k, dim)).cumsum(axis=1)
    z_mean[..., 2] = z_mean[..., 1] * (1 + 1e-3 * rng.normal(size=(n, k)))  # nearly collinear
    z_mean[0, 0, 0] += 10**spike
    z_log_var = rng.normal(-2, 1, size=(n, k, dim))
    a, r_chol, q_chol = latent_chain.fit_var1(z_mean, z_log_var, np.zeros_like(z_mean), np.zeros_like(z_mean))
    r, q = r_chol @ r_chol.T, q_chol @ q_chol.T
    np.testing.assert_allclose(np.diag(r), 1.0, rtol=1e-5)
    assert np.linalg.eigvalsh(q).min() > 0
    np.testing.assert_allclose(a @ r @ a.T + q, r, atol=1e-4)
    assert np.max(np.abs(np.linalg.eigvals(a))) < 1


def test_var1_generation_has_the_chains_moments():
    """Latents drawn ancestrally (constant prior moments): each step's covariance is R and the
    lag-one covariance A R, as the chain says."""
    a, r, q = _var1_chain(seed=5)
    n, k = 40000, 6
    eps = np.random.default_rng(0).standard_normal((n, k, 3)).astype("float32")
    mean, log_var = np.full((1, k, 3), 0.5, "float32"), np.full((1, k, 3), np.log(2.0), "float32")
    u = (
        latent_chain.draw(mean, log_var, eps, a, np.linalg.cholesky(r), np.linalg.cholesky(q)) - 0.5
    ) / np.sqrt(2)
    for step in (0, 5):
        np.testing.assert_allclose(np.cov(u[:, step].T), r, atol=0.03)
    lagged = u[:, 3].T @ u[:, 2] / n
    np.testing.assert_allclose(lagged, a @ r, atol=0.03)


def test_var1_is_refused_without_the_closed_form(tmp_path):
    from seasonal_vae.core.config import load_config
    from seasonal_vae.core.errors import ConfigError
    from seasonal_vae.model.train import train

    cfg = load_config({"model": {"latent_memory": "var1"}, "training": {"prior_closed_form": False}})
    with pytest.raises(ConfigError, match="prior_closed_form"):
        train(tmp_path / "windows.nc", tmp_path / "m.keras", tmp_path / "h.csv", cfg)
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("memory", ["ar1", "var1"])
@pytest.mark.parametrize("k", [1, 3, 16])
def test_the_extended_model_takes_any_length_and_saves(tmp_path, k, memory):
    model = extended_vae(latent_memory=memory)
    if memory == "var1":
        _set_chain(model, *_var1_chain())
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
    assert loaded.noise_kind == "ar" and loaded.latent_memory == memory and loaded.noise_order == 2
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
