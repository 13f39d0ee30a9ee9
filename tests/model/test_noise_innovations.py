"""Johnson SU innovations of the AR residual (``model.noise_innovations: johnson_su``).

The exact likelihood against the product of the conditional densities (predictors and their
variances solved from the Toeplitz covariance, scipy's Johnson SU density), the normal
innovations as the near-identity start's limit, simulated innovations against scipy's Johnson
SU (Kolmogorov-Smirnov), the maximum-likelihood fit recovering known hour-dependent
parameters, and a model with them: save/load, seeds, skewed generated noise.
"""

import numpy as np
import pytest
import scipy.stats as st
import tensorflow as tf
from builders import extended_vae
from scipy.linalg import toeplitz

from seasonal_vae.core.calendar import seasonal_features
from seasonal_vae.model import ar_noise, latent_marginals
from seasonal_vae.model.sample import generate


def _table(gamma, delta, xi, lam):
    """A ``(4, 13)`` innovation table with constant parameters (every feature's term zero)."""
    table = np.zeros((4, ar_noise.N_INNOVATION_COEFFICIENTS))
    logistic = delta / latent_marginals.MAX_DELTA
    table[:, 0] = gamma, np.log(logistic / (1 - logistic)), xi, np.log(lam)
    return table


def _features(hours, years=range(2001, 2005)):
    """Scale features ``(N, hours, 12)`` of windows from the first of every month."""
    starts = np.array([f"{y}-{m:02d}-01" for y in years for m in range(1, 13)], "datetime64[ns]")
    return np.asarray(ar_noise.scale_features(hours, seasonal_features(starts, hours // 96)))


@pytest.mark.parametrize("pacf", [[0.8], [0.9, -0.4, 0.2]])
def test_the_likelihood_is_the_product_of_the_conditional_densities(pacf):
    """−log p(e) = Σ_t −log f_t(w_t) + ½ log v_t + log s_t, the predictor of each hour and its
    variance solved from the Toeplitz covariance (not the Levinson recursion), f_t scipy's
    Johnson SU with the hour's own parameters."""
    pacf, n = np.asarray(pacf), 14
    rng = np.random.default_rng(len(pacf))
    log_s = rng.normal(0, 0.3, (1, n))
    gamma, delta, xi, lam = (
        rng.normal(0, 0.5, n),
        rng.uniform(0.8, 3, n),
        rng.normal(0, 0.3, n),
        rng.uniform(0.5, 2, n),
    )
    params = np.stack([gamma, delta, xi, lam], -1)
    e = ar_noise.simulate(pacf, log_s, rng, params[None])
    nll = ar_noise.ar_nll(tf.constant(e), tf.constant(log_s), tf.constant(pacf), tf.constant(params[None]))
    rho = ar_noise.autocorrelation(pacf, n)
    u = e[0] / np.exp(log_s[0])
    expected = 0.0
    for t in range(n):
        k = min(t, len(pacf))
        phi = np.linalg.solve(toeplitz(rho[:k]), rho[1 : k + 1]) if k else np.zeros(0)
        v = 1.0 - phi @ rho[1 : k + 1]
        w = (u[t] - phi @ u[t - 1 :: -1][:k]) / np.sqrt(v) if k else u[t]
        expected += -st.johnsonsu(*params[t]).logpdf(w) + 0.5 * np.log(v) + log_s[0, t]
    assert float(nll[0]) == pytest.approx(expected, rel=1e-10)


def test_the_near_identity_start_is_the_normal_likelihood():
    """Before the fit (the table's initial value) the innovations are the normal's within the
    start's 1 % (the values stay within 4 standard deviations)."""
    rng = np.random.default_rng(2)
    pacf, log_s = np.array([0.9, -0.3]), rng.normal(0, 0.3, (3, 192))
    e = ar_noise.simulate(pacf, log_s, rng)
    table = latent_marginals.table_initializer((4, ar_noise.N_INNOVATION_COEFFICIENTS), "float64")
    shape = ar_noise.innovation_params(table, _features(192)[:3])
    args = tf.constant(e), tf.constant(log_s), tf.constant(pacf)
    normal, johnson = ar_noise.ar_nll(*args), ar_noise.ar_nll(*args, tf.cast(shape, tf.float64))
    np.testing.assert_allclose(np.asarray(johnson), np.asarray(normal), rtol=1e-2)


def test_simulated_innovations_follow_the_johnson_su():
    """Residuals drawn with Johnson SU innovations, whitened back: the innovations' law
    (Kolmogorov-Smirnov) and the process's autocorrelation (which the innovations' law does
    not change, their mean and variance being those of a fitted, centred law here)."""
    gamma, delta, xi, lam = 0.8, 1.5, 0.5, 1.0
    law = st.johnsonsu(gamma, delta, loc=xi, scale=lam)
    xi -= law.mean()  # centred, unit variance: as a fit to whitened residuals comes out
    law = st.johnsonsu(gamma, delta, loc=xi, scale=lam)
    xi, lam = xi / law.std(), lam / law.std()
    law = st.johnsonsu(gamma, delta, loc=xi, scale=lam)
    pacf = np.array([0.85, -0.3])
    params = np.broadcast_to([gamma, delta, xi, lam], (1, 3000, 4))
    e = ar_noise.simulate(pacf, np.zeros((40, 3000)), np.random.default_rng(4), params)
    w, _ = ar_noise.whiten(e, pacf)
    assert st.kstest(np.asarray(w)[:, 10::7].ravel(), law.cdf).pvalue > 0.001
    expected = ar_noise.autocorrelation(pacf, 3)
    sample = [np.mean(e[:, : e.shape[1] - k] * e[:, k:]) for k in range(4)]
    np.testing.assert_allclose(sample, expected, atol=0.03)


def test_the_fit_recovers_known_hour_dependent_innovations():
    """Innovations skewed in the evening only (γ with a diurnal term) through a known AR(3)
    and scale: whitened with that AR residual, the maximum-likelihood fit recovers their law
    at every hour (its quantiles)."""
    f = _features(960)
    truth = _table(0.0, 2.0, 0.0, 2.0)
    truth[0, 1], truth[0, 2] = 0.9, -0.6  # γ = 0.9 sin(2πh/24) − 0.6 cos(2πh/24) + …
    weights = np.zeros(ar_noise.N_SCALE_FEATURES)
    weights[1] = 0.5
    log_s = np.asarray(ar_noise.log_scale(np.log(0.02), weights, f))
    pacf = np.array([0.85, -0.35, 0.1])
    shape = np.asarray(ar_noise.innovation_params(truth, f))
    e = ar_noise.simulate(pacf, log_s, np.random.default_rng(0), shape)
    table = ar_noise.fit_innovations(e, f, np.log(0.02), weights, pacf)
    fitted = np.asarray(ar_noise.innovation_params(table, f[:1, :24]))[0]
    q = np.array([0.01, 0.1, 0.5, 0.9, 0.99])
    for hour in (3, 9, 15, 21):
        true_law, fitted_law = st.johnsonsu(*shape[0, hour]), st.johnsonsu(*fitted[hour])
        np.testing.assert_allclose(fitted_law.ppf(q), true_law.ppf(q), atol=0.15)
        assert np.sign(fitted_law.stats(moments="s")) == np.sign(true_law.stats(moments="s"))


def test_a_model_with_johnson_su_innovations_saves_loads_and_draws_them(tmp_path):
    """Saved and loaded whole; the same seed draws the same paths; the drawn residual is as
    skewed as its innovations (γ > 0: a long cold tail, a thunderstorm's outflow)."""
    from seasonal_vae.model.train import load_model

    model = extended_vae(noise_innovations="johnson_su")
    model.noise_pacf_raw.assign(np.arctanh([0.5, 0.0]).astype("float32"))
    model.noise_shape_table.assign(_table(1.5, 1.2, 0.0, 1.0).astype("float32"))
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert loaded.noise_innovations == "johnson_su" and loaded.noise_innovations_in_loss
    np.testing.assert_array_equal(loaded.noise_shape_table.numpy(), model.noise_shape_table.numpy())
    a = generate(loaded, "2001-06-01", 24 * 40, n_paths=3, noise=True, seed=4)
    b = generate(model, "2001-06-01", 24 * 40, n_paths=3, noise=True, seed=4)
    np.testing.assert_array_equal(a.values, b.values)
    quiet = generate(model, "2001-06-01", 24 * 40, n_paths=3, noise=False, seed=4)
    assert st.skew((a - quiet).values.ravel()) < -0.5
    from seasonal_vae.model.vae import SeasonalVAE

    with pytest.raises(ValueError, match="noise_innovations"):
        SeasonalVAE(filters=8, latent_dim=3, noise="white", noise_innovations="johnson_su")
