"""The VAE: shapes for any length, the loss terms against closed forms, saving and loading."""

import numpy as np
import pytest
import scipy.stats

keras = pytest.importorskip("keras")

from seasonal_vae.model.vae import (  # noqa: E402
    HOURS_PER_LATENT_STEP,
    SeasonalVAE,
    build_decoder,
    build_encoder,
    build_prior,
    gaussian_nll,
    kl_diagonal_gaussians,
)


def test_hours_per_latent_step_is_product_of_strides():
    assert HOURS_PER_LATENT_STEP == 3 * 2 * 2 * 2 * 2 * 2 == 96


@pytest.mark.parametrize("filters", [20, 40])
@pytest.mark.parametrize("k", [1, 3, 16, 100])
def test_shapes_for_any_length(filters, k):
    encoder, decoder = build_encoder(filters, 10), build_decoder(filters, 10)
    x = np.random.default_rng(0).standard_normal((2, 96 * k)).astype("float32")
    z_mean, z_log_var, z = encoder(x)
    assert z_mean.shape == z_log_var.shape == z.shape == (2, k, 10)
    assert decoder(z).shape == (2, 96 * k)


@pytest.mark.parametrize("kind", ["seasonal", "standard", "centred"])
def test_prior_shapes(kind):
    prior = build_prior(10, 3, kind)
    m, s = prior(np.zeros((4, 7, 6), "float32"))
    assert m.shape == s.shape == (4, 7, 10)
    if kind == "standard":
        assert not np.any(np.asarray(m)) and not np.any(np.asarray(s))


def test_seasonal_prior_is_bias_free():
    prior = build_prior(10, 3, "seasonal")
    m, s = prior(np.zeros((1, 5, 6), "float32"))  # θ-features all zero -> output exactly zero
    assert not np.any(np.asarray(m)) and not np.any(np.asarray(s))
    assert all("bias" not in w.name for w in prior.weights)


def test_centred_prior_has_a_bias_and_round_trips(tmp_path):
    """The extension: the same Dense with a bias, so m and s need not average to zero."""
    prior = build_prior(10, 3, "centred")
    assert any("bias" in w.name for w in prior.weights)
    dense = prior.get_layer("fourier_coefficients")
    dense.bias.assign(np.arange(20, dtype="float32"))
    m, s = prior(np.zeros((1, 5, 6), "float32"))  # θ-features zero -> the bias alone
    np.testing.assert_array_equal(np.asarray(m)[0, 0], np.arange(10))
    np.testing.assert_array_equal(np.asarray(s)[0, 0], np.arange(10, 20))
    model = SeasonalVAE(filters=8, latent_dim=4, prior="centred")
    model.save(tmp_path / "c.keras")
    loaded = keras.models.load_model(tmp_path / "c.keras")
    assert loaded.prior_kind == "centred"
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_gaussian_nll_matches_scipy():
    rng = np.random.default_rng(1)
    x, mean = rng.normal(size=(3, 50)), rng.normal(size=(3, 50))
    log_var = -1.7
    expected = -scipy.stats.norm(mean, np.exp(0.5 * log_var)).logpdf(x).sum(axis=-1)
    np.testing.assert_allclose(np.asarray(gaussian_nll(x, mean, log_var)), expected, rtol=1e-6)


def test_kl_matches_closed_form_and_monte_carlo():
    rng = np.random.default_rng(2)
    shape = (2, 3, 4)
    mq, lq = rng.normal(size=shape), rng.normal(scale=0.5, size=shape)
    mp, lp = rng.normal(size=shape), rng.normal(scale=0.5, size=shape)
    kl = np.asarray(kl_diagonal_gaussians(mq, lq, mp, lp))
    assert kl.shape == (2,)
    # Monte Carlo: E_q[log q(z) - log p(z)], summed over the non-batch axes
    n = 400_000
    z = mq + np.exp(0.5 * lq) * rng.standard_normal((n,) + shape)
    log_q = scipy.stats.norm(mq, np.exp(0.5 * lq)).logpdf(z)
    log_p = scipy.stats.norm(mp, np.exp(0.5 * lp)).logpdf(z)
    mc = (log_q - log_p).sum(axis=(2, 3)).mean(axis=0)
    np.testing.assert_allclose(kl, mc, rtol=0.02)
    # zero for identical distributions, positive otherwise
    assert np.allclose(np.asarray(kl_diagonal_gaussians(mq, lq, mq, lq)), 0.0)
    assert np.all(kl > 0)


def test_loss_is_per_input_value():
    model = SeasonalVAE(filters=8, latent_dim=3, seed=0)
    rng = np.random.default_rng(3)
    for k in (2, 8):
        x = rng.standard_normal((4, 96 * k)).astype("float32")
        f = rng.standard_normal((4, k, 6)).astype("float32")
        recon, kl = (float(v) for v in model.loss_terms(x, f))
        # with σ = 1 (noise_log_var = 0) and an untrained decoder the NLL per value is near
        # 0.5·log(2π) + 0.5·E[x²] ≈ 1.42, independent of the length
        assert 1.2 < recon < 1.8
        assert kl >= 0


def test_one_training_step_reduces_nothing_to_nan():
    model = SeasonalVAE(filters=8, latent_dim=3, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    rng = np.random.default_rng(4)
    x = rng.standard_normal((8, 192)).astype("float32")
    f = rng.standard_normal((8, 2, 6)).astype("float32")
    hist = model.fit((x, f), batch_size=4, epochs=2, verbose=0)
    assert set(hist.history) >= {"loss", "reconstruction", "kl", "noise_sigma"}
    assert np.all(np.isfinite(hist.history["loss"]))


def test_save_and_load_give_the_same_outputs(tmp_path):
    model = SeasonalVAE(
        filters=8,
        latent_dim=3,
        data_mean=75.0,
        data_std=18.0,
        trend_rate_per_decade=0.7,
        trend_reference_year=2024,
        seed=0,
    )
    model.noise_log_var.assign(-4.6)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, SeasonalVAE)
    assert loaded.get_config() == model.get_config()
    z = np.random.default_rng(5).standard_normal((2, 3, 3)).astype("float32")
    np.testing.assert_array_equal(np.asarray(model.decoder(z)), np.asarray(loaded.decoder(z)))
    x = np.random.default_rng(6).standard_normal((2, 288)).astype("float32")
    np.testing.assert_array_equal(np.asarray(model.encoder(x)[0]), np.asarray(loaded.encoder(x)[0]))
    f = np.random.default_rng(7).standard_normal((2, 3, 6)).astype("float32")
    np.testing.assert_array_equal(np.asarray(model.prior(f)[0]), np.asarray(loaded.prior(f)[0]))
    assert loaded.noise_sigma == pytest.approx(model.noise_sigma)
    assert (loaded.data_mean, loaded.data_std) == (75.0, 18.0)
