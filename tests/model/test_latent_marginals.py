"""The Johnson SU latent marginals (``model.latent_marginals: johnson_su``).

The transform and its inverse, its log-derivative making scipy's Johnson SU density, the
likelihood's gradient, the maximum-likelihood fit recovering known seasonal parameters, the
chain KL estimate's density against scipy's multivariate normal and Johnson SU densities,
generated latents with the fitted marginals (Kolmogorov-Smirnov), and a model that takes
them trained, saved, loaded and sampled.
"""

import numpy as np
import pytest
import scipy.stats as st
import tensorflow as tf
from builders import extended_vae
from scipy.optimize import check_grad

from seasonal_vae.core.calendar import fourier_features, seasonal_features
from seasonal_vae.model import latent_chain, latent_marginals
from seasonal_vae.model.sample import draw_latent, generate


def _features(theta):
    return fourier_features(np.asarray(theta), 3)


def _table(gamma, delta, xi, lam, latent_dim=1):
    """A coefficient table with constant parameters (the Fourier terms zero)."""
    table = np.zeros((latent_dim, 4, latent_marginals.N_COEFFICIENTS))
    logistic = np.asarray(delta) / latent_marginals.MAX_DELTA
    constants = np.broadcast_arrays(gamma, np.log(logistic / (1 - logistic)), xi, np.log(lam))
    table[:, :, 0] = np.stack(constants, axis=-1)
    return table.astype("float32")


def test_the_transform_inverts_and_its_derivative_makes_scipys_density():
    params = np.array([[-1.2, 1.7, 0.3, 0.8]])
    u = np.linspace(-6, 6, 101)[:, None]
    n = np.asarray(latent_marginals.to_scores(u, params))
    np.testing.assert_allclose(np.asarray(latent_marginals.from_scores(n, params)), u, atol=1e-10)
    log_density = st.norm.logpdf(n) + np.asarray(latent_marginals.log_derivative(u, params))
    np.testing.assert_allclose(log_density, st.johnsonsu(-1.2, 1.7, 0.3, 0.8).logpdf(u), rtol=1e-10)
    h = 1e-6  # and it is the derivative of the scores
    numeric = (
        np.asarray(latent_marginals.to_scores(u + h, params))
        - np.asarray(latent_marginals.to_scores(u - h, params))
    ) / (2 * h)
    np.testing.assert_allclose(np.exp(latent_marginals.log_derivative(u, params)), numeric, rtol=1e-6)


def test_parameters_are_bounded_smooth_in_theta_and_start_near_the_identity():
    rng = np.random.default_rng(0)
    table = rng.normal(0, 3, (2, 4, latent_marginals.N_COEFFICIENTS)).astype("float32")
    theta = np.linspace(0, 2 * np.pi, 721)
    params = np.asarray(latent_marginals.params_at(table, _features(theta)))
    assert params.shape == (721, 2, 4)
    assert np.all(params[..., 1] > 0) and np.all(params[..., 1] <= latent_marginals.MAX_DELTA)
    assert np.all(params[..., 3] > 0)
    np.testing.assert_allclose(params[0], params[-1], rtol=1e-4)  # 31 December meets 1 January
    np.testing.assert_allclose(
        np.asarray(latent_marginals.params_at(_table(-0.5, 3.0, 0.2, 1.5), _features([0.3, 4.0]))),
        [[[-0.5, 3.0, 0.2, 1.5]]] * 2,
        rtol=1e-5,
    )
    start = latent_marginals.table_initializer((3, 4, latent_marginals.N_COEFFICIENTS), "float64")
    u = np.linspace(-4, 4, 81)[:, None].repeat(3, axis=1)
    near = latent_marginals.to_scores(u, latent_marginals.params_at(start, _features(np.zeros(81))))
    np.testing.assert_allclose(np.asarray(near), u, atol=0.01 * 4 + 1e-12, rtol=0.01)


def test_the_likelihood_gradient_is_exact():
    rng = np.random.default_rng(2)
    theta = rng.uniform(0, 2 * np.pi, 300)
    g = np.asarray(latent_marginals.design(_features(theta)), dtype="float64")
    u = st.johnsonsu(-0.8, 2.0).rvs(300, random_state=3)
    point = rng.normal(0, 0.3, 4 * latent_marginals.N_COEFFICIENTS)

    def value(w):
        return latent_marginals._negative_log_likelihood(w, u, g)[0]

    def gradient(w):
        return latent_marginals._negative_log_likelihood(w, u, g)[1]

    assert check_grad(value, gradient, point) < 1e-4 * np.linalg.norm(gradient(point))
    gamma, delta, xi, lam = np.asarray(
        latent_marginals.params_at(_table(0.1, 2.5, -0.2, 1.3), _features(theta))
    )[:, 0].T
    expected = -st.johnsonsu(gamma, delta, xi, lam).logpdf(u).sum() - len(u) * np.log(np.sqrt(2 * np.pi))
    assert value(_table(0.1, 2.5, -0.2, 1.3).ravel()) == pytest.approx(expected, rel=1e-5)


def test_the_fit_recovers_known_seasonal_parameters():
    """Samples whose skewness changes through the year (γ = −1 + 0.8 sin θ, δ = 2 + 0.5 cos θ):
    the maximum-likelihood fit finds the seasonal cycle, and is at least as likely as the truth."""
    rng = np.random.default_rng(1)
    theta = rng.uniform(0, 2 * np.pi, 20000)
    gamma, delta = -1 + 0.8 * np.sin(theta), 2 + 0.5 * np.cos(theta)
    u = st.johnsonsu(gamma, delta, 0.3, 1.2).rvs(random_state=2)
    second = st.johnsonsu(0.0, 3.0).rvs(20000, random_state=3)  # a second feature, no season
    table = latent_marginals.fit(np.stack([u, second], axis=1), _features(theta))
    assert table.shape == (2, 4, latent_marginals.N_COEFFICIENTS) and table.dtype == np.float32
    grid = np.linspace(0, 2 * np.pi, 13)[:-1]
    fitted = np.asarray(latent_marginals.params_at(table, _features(grid)))[:, 0]
    # the four parameters trade off against each other: judged as distributions, month by month
    for t, (g_, d_, x_, l_) in zip(grid, fitted):
        truth = st.johnsonsu(-1 + 0.8 * np.sin(t), 2 + 0.5 * np.cos(t), 0.3, 1.2)
        q = [0.05, 0.25, 0.5, 0.75, 0.95]
        np.testing.assert_allclose(st.johnsonsu(g_, d_, x_, l_).ppf(q), truth.ppf(q), atol=0.2)
    g = np.asarray(latent_marginals.design(_features(theta)), dtype="float64")
    fitted_nll = latent_marginals._negative_log_likelihood(table[0].astype("float64").ravel(), u, g)[0]
    truth_nll = -st.johnsonsu(gamma, delta, 0.3, 1.2).logpdf(u).sum() - len(u) * np.log(np.sqrt(2 * np.pi))
    assert fitted_nll <= truth_nll + 1.0


def _chain(dim=3):
    a = np.array([[0.7, 0.1, 0.0], [0.0, 0.5, 0.2], [0.1, 0.0, -0.3]])[:dim, :dim]
    r = np.array([[1.0, 0.4, -0.2], [0.4, 1.0, 0.1], [-0.2, 0.1, 1.0]])[:dim, :dim]
    return a, r, r - a @ r @ a.T


@pytest.mark.parametrize("memory", ["none", "var1"])
def test_the_kl_estimate_is_minus_entropy_minus_the_priors_log_density(memory):
    """Per window, the estimate is −H(q) − log p(z) at the sample ``z``, with p the chain on
    normal scores (scipy's multivariate normal of all steps' scores) times the Johnson SU
    Jacobians: the exact log-density, so that the estimate is unbiased for the KL."""
    model = extended_vae(latent_memory=memory, latent_marginals="johnson_su")
    a, r, q = _chain() if memory == "var1" else (np.zeros((3, 3)), np.eye(3), np.eye(3))
    if memory == "var1":
        for weight, value in zip(
            (model.latent_var_a, model.latent_corr_chol, model.latent_innov_chol),
            (a, np.linalg.cholesky(r), np.linalg.cholesky(q)),
        ):
            weight.assign(value.astype("float32"))
    rng = np.random.default_rng(5)
    for weight in model.prior.weights:  # a seeded prior of moderate scale
        weight.assign(rng.normal(0, 0.2, weight.shape).astype("float32"))
    model.latent_shape_table.assign(
        rng.normal(0, 0.4, (3, 4, latent_marginals.N_COEFFICIENTS)).astype("float32")
    )
    k, n = 4, 6
    features = seasonal_features(np.array(["2001-06-20"], dtype="datetime64[ns]"), k).repeat(n, 0)
    mean_q = rng.normal(0, 1, (n, k, 3))
    log_var_q = rng.normal(-1, 0.3, (n, k, 3))
    z = mean_q + np.exp(0.5 * log_var_q) * rng.standard_normal((n, k, 3))
    p_mean, p_log_var = (np.asarray(m, dtype="float64") for m in model.prior(features))
    shape = np.asarray(model.latent_shape(features), dtype="float64")
    kl = np.asarray(model.latent_kl(tf.constant(mean_q), tf.constant(log_var_q), z, p_mean, p_log_var, shape))

    u = (z - p_mean) / np.exp(0.5 * p_log_var)
    gamma, delta, xi, lam = np.moveaxis(shape, -1, 0)
    scores = gamma + delta * np.arcsinh((u - xi) / lam)
    covariance = np.block(
        [
            [
                np.linalg.matrix_power(a, i - j) @ r if i >= j else (np.linalg.matrix_power(a, j - i) @ r).T
                for j in range(k)
            ]
            for i in range(k)
        ]
    )
    log_jacobian = st.johnsonsu(gamma, delta, xi, lam).logpdf(u) - st.norm.logpdf(scores) - 0.5 * p_log_var
    log_p = st.multivariate_normal(np.zeros(3 * k), covariance).logpdf(scores.reshape(n, -1))
    log_p = log_p + log_jacobian.sum(axis=(1, 2))
    entropy = st.norm(0, np.exp(0.5 * log_var_q)).entropy().sum(axis=(1, 2))
    np.testing.assert_allclose(kl, -entropy - log_p, rtol=1e-6)


@pytest.mark.parametrize("memory", ["none", "var1"])
def test_generated_latents_have_the_johnson_su_marginals(memory):
    model = extended_vae(latent_memory=memory, latent_marginals="johnson_su")
    if memory == "var1":
        a, r, q = _chain()
        for weight, value in zip(
            (model.latent_var_a, model.latent_corr_chol, model.latent_innov_chol),
            (a, np.linalg.cholesky(r), np.linalg.cholesky(q)),
        ):
            weight.assign(value.astype("float32"))
    table = _table(np.array([-1.0, 0.5, 0.0]), np.array([1.5, 2.0, 4.0]), 0.2, 0.9, latent_dim=3)
    model.latent_shape_table.assign(table)
    k = 6
    features = seasonal_features(np.array(["2001-07-01"], dtype="datetime64[ns]"), k).astype("float32")
    prior_mean, prior_log_var = (np.asarray(m) for m in model.prior(features))
    shape = np.asarray(model.latent_shape(features))
    eps = np.random.default_rng(8).standard_normal((4000, k, 3)).astype("float32")
    z = draw_latent(model, prior_mean, prior_log_var, eps, shape)
    u = (z - prior_mean) / np.exp(0.5 * prior_log_var)
    for step in (0, k - 1):  # the first step, and the last after the chain has run
        for j in range(3):
            fitted = st.johnsonsu(*shape[0, step, j])
            assert st.kstest(u[:, step, j], fitted.cdf).pvalue > 0.001


def test_a_johnson_su_model_trains_saves_loads_and_samples(tiny_pipeline, tmp_path):
    """Trained with Gaussian marginals, then the marginals fitted to the best encoder (no longer
    the near-identity start) and the chain to their scores; saved and loaded whole; the same
    seed draws the same paths."""
    from seasonal_vae.model.train import load_model, train

    cfg = tiny_pipeline["config"]
    run = {
        **cfg,
        "model": {
            **cfg["model"],
            "prior": "centred",
            "noise": "ar",
            "latent_memory": "var1",
            "latent_marginals": "johnson_su",
            "noise_innovations": "johnson_su",
        },
        "training": {**cfg["training"], "epochs": 3, "patience": 3},
    }
    model = train(tiny_pipeline["windows"], tmp_path / "m.keras", tmp_path / "h.csv", run)
    for table in (model.latent_shape_table, model.noise_shape_table):  # both fitted
        start = np.asarray(latent_marginals.table_initializer(table.shape, "float32"))
        assert not np.allclose(table.numpy(), start)
    assert model.latent_marginals_in_loss and model.noise_innovations_in_loss
    loaded = load_model(tmp_path / "m.keras")
    assert loaded.latent_marginals == "johnson_su" and loaded.latent_marginals_in_loss
    assert loaded.noise_innovations == "johnson_su" and loaded.noise_innovations_in_loss
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    for k_hours in (96, 1000):
        a = generate(loaded, "2001-01-01", k_hours, n_paths=2, noise=True, seed=3)
        b = generate(model, "2001-01-01", k_hours, n_paths=2, noise=True, seed=3)
        np.testing.assert_array_equal(a.values, b.values)
        assert a.shape == (2, k_hours) and np.isfinite(a.values).all()


def test_johnson_su_needs_the_closed_form_and_a_known_name(tmp_path):
    from seasonal_vae.core.config import load_config
    from seasonal_vae.core.errors import ConfigError
    from seasonal_vae.model.train import train

    cfg = load_config({"model": {"latent_marginals": "johnson_su"}, "training": {"prior_closed_form": False}})
    with pytest.raises(ConfigError, match="prior_closed_form"):
        train(tmp_path / "windows.nc", tmp_path / "m.keras", tmp_path / "h.csv", cfg)
    assert not list(tmp_path.iterdir())
    with pytest.raises(ValueError, match="latent_marginals"):
        extended_vae(latent_marginals="skewed")
    assert latent_chain.transition(extended_vae(latent_memory="none"))[0].shape == (3, 3)
