"""Conditioning the extended model on observed hours: the AR residual's likelihood of the
observed hours against scipy's multivariate normal, the residual continued into a gap
against the Gaussian conditional, the AR(1) latent tail against its closed-form moments,
gap filling and forecasting with the extended model end to end, and its ensemble the same
numbers whether drawn at once or a few windows at a time."""

import numpy as np
import pytest
import scipy.stats as st
import tensorflow as tf
from builders import extended_vae
from scipy.linalg import toeplitz

from seasonal_vae.model import ar_noise, latent_chain
from seasonal_vae.model.posterior import (
    Posterior,
    _decode,
    condition,
    fit_posterior,
    sample_posterior,
)

PACF = np.array([0.9, -0.4, 0.2])


def _covariance(log_s, pacf=PACF):
    scale = np.diag(np.exp(log_s))
    return scale @ toeplitz(ar_noise.autocorrelation(pacf, len(log_s) - 1)) @ scale


def _observed_nll(e, log_s, mask):
    return float(
        ar_noise.ar_nll_observed(
            tf.constant(e[None]),
            tf.constant(log_s[None]),
            tf.constant(PACF),
            tf.constant(mask[None].astype(float)),
        )[0]
    )


def test_with_every_hour_observed_it_is_the_exact_likelihood():
    rng = np.random.default_rng(0)
    log_s = rng.normal(0, 0.3, 40)
    e = ar_noise.simulate(PACF, log_s[None], rng)[0]
    exact = float(ar_noise.ar_nll(tf.constant(e[None]), tf.constant(log_s[None]), tf.constant(PACF))[0])
    assert _observed_nll(e, log_s, np.ones(40, bool)) == pytest.approx(exact, rel=1e-12)


def test_a_block_at_the_start_gets_its_exact_likelihood():
    """A forecast's context: −log of the multivariate normal density of the observed block."""
    rng = np.random.default_rng(1)
    log_s = rng.normal(0, 0.3, 30)
    e = ar_noise.simulate(PACF, log_s[None], rng)[0]
    mask = np.arange(30) < 18
    expected = -st.multivariate_normal(np.zeros(18), _covariance(log_s[:18])).logpdf(e[:18])
    assert _observed_nll(e, log_s, mask) == pytest.approx(expected, rel=1e-10)


def test_after_a_gap_the_first_hours_are_marginal_and_the_rest_conditional():
    """Each term from scipy: the block before the gap jointly, the first p hours after it
    alone, and each later hour given its p predecessors (the Gaussian conditional)."""
    rng = np.random.default_rng(2)
    n, p = 40, len(PACF)
    log_s = rng.normal(0, 0.3, n)
    e = ar_noise.simulate(PACF, log_s[None], rng)[0]
    mask = np.ones(n, bool)
    mask[12:20] = False
    cov = _covariance(log_s)
    expected = -st.multivariate_normal(np.zeros(12), cov[:12, :12]).logpdf(e[:12])
    for t in range(20, 20 + p):
        expected -= st.norm(0, np.exp(log_s[t])).logpdf(e[t])
    for t in range(20 + p, n):
        lags = np.arange(t - p, t)
        gain = cov[t, lags] @ np.linalg.inv(cov[np.ix_(lags, lags)])
        variance = cov[t, t] - gain @ cov[lags, t]
        expected -= st.norm(gain @ e[lags], np.sqrt(variance)).logpdf(e[t])
    assert _observed_nll(e, log_s, mask) == pytest.approx(expected, rel=1e-10)


def test_the_residual_continued_into_a_gap_is_the_gaussian_conditional():
    """Many draws of the hours after an observed block: their mean and covariance are those
    of the AR given the block (scipy), and the observed hours are kept exactly."""
    rng = np.random.default_rng(3)
    n, observed, draws = 14, 10, 40000
    log_s = rng.normal(0, 0.3, n)
    e = ar_noise.simulate(PACF, log_s[None], rng)[0]
    mask = np.arange(n) < observed
    out = ar_noise.continue_residual(
        PACF,
        np.repeat(log_s[None], draws, 0),
        np.repeat(e[None], draws, 0),
        np.repeat(mask[None], draws, 0),
        np.random.default_rng(4),
    )
    np.testing.assert_array_equal(out[:, :observed], np.repeat(e[None, :observed], draws, 0))
    cov = _covariance(log_s)
    o, u = np.arange(observed), np.arange(observed, n)
    gain = cov[np.ix_(u, o)] @ np.linalg.inv(cov[np.ix_(o, o)])
    mean, conditional = gain @ e[o], cov[np.ix_(u, u)] - gain @ cov[np.ix_(o, u)]
    np.testing.assert_allclose(
        out[:, u].mean(axis=0), mean, atol=4 * np.sqrt(np.diag(conditional) / draws).max()
    )
    np.testing.assert_allclose(np.cov(out[:, u].T), conditional, atol=0.03 * np.abs(conditional).max())


def _extended(a=0.8, **kwargs):
    model = extended_vae(latent_dim=2, noise_order=3, **kwargs)
    model.latent_ar_raw.assign(np.full(2, np.arctanh(a), dtype="float32"))
    model.noise_pacf_raw.assign(np.arctanh(PACF).astype("float32"))
    return model


def test_the_latent_steps_after_the_observed_ones_follow_the_ar1_prior():
    """From the last observed step (a known q), j steps on: mean m + aʲ(μ − m) and variance
    a²ʲ σ_q² + (1 − a²ʲ) exp(s) (closed form of the AR(1)), whatever q says of the tail."""
    model, a, k, members = _extended(0.8), 0.8, 5, 40000
    mask = np.zeros((1, 96 * k), bool)
    mask[0, :192] = True  # two observed steps, three after them
    m = np.full((1, k, 2), 0.5, "float32")
    s = np.full((1, k, 2), np.log(0.6), "float32")
    mean = np.full((1, k, 2), 9.0, "float32")  # q of the tail is ignored: it is redrawn
    mean[0, 1] = [2.0, -1.0]
    log_var = np.full((1, k, 2), np.log(0.04), "float32")
    post = Posterior(
        mean,
        log_var,
        m,
        s,
        np.empty(0),
        x=np.zeros((1, 96 * k)),
        mask=mask,
        log_scale=np.zeros((1, 96 * k), "float32"),
    )
    draws = np.random.default_rng(0).standard_normal((1, members, k, 2)).astype("float32")
    q = mean[:, None] + np.exp(0.5 * log_var)[:, None] * draws  # z ~ q, as sample_posterior draws it
    seen = post.mask.reshape(1, k, 96).any(axis=-1)
    latents = latent_chain.ancestral_tail(model, q, seen, m, s, None, np.random.default_rng(1))[0]
    np.testing.assert_allclose(latents[:, :2].mean(axis=0), mean[0, :2], atol=0.01)  # q where observed
    for j, step in enumerate(range(2, k), start=1):
        expected_mean = 0.5 + a**j * (mean[0, 1] - 0.5)
        expected_var = a ** (2 * j) * 0.04 + (1 - a ** (2 * j)) * 0.6
        np.testing.assert_allclose(latents[:, step].mean(axis=0), expected_mean, atol=0.02)
        np.testing.assert_allclose(latents[:, step].var(axis=0), expected_var, rtol=0.05)


@pytest.mark.parametrize("innovations", ["gaussian", "johnson_su"])
def test_gap_filling_and_forecasting_with_the_extended_model(innovations):
    """The whole conditioning runs on the extended model (normal or skewed innovations):
    finite, reproducible, observed hours kept, and the drawn noise continues the observed
    residual's texture."""
    model = _extended(0.9, noise_innovations=innovations)
    if innovations == "johnson_su":  # skewed: γ = 1.5, δ = 1.2
        model.noise_shape_table[0, 0].assign(1.5)
        model.noise_shape_table[1, 0].assign(float(np.log(1.2 / (20 - 1.2))))
    k = 4
    rng = np.random.default_rng(5)
    hours = np.arange(96 * k)
    adjusted = 75 + 15 * np.sin(2 * np.pi * (hours - 9) / 24) + rng.normal(0, 1, (3, 96 * k))
    mask = np.ones((3, 96 * k), bool)
    mask[0, 100:150] = False  # a gap
    mask[1, 192:] = False  # a forecast: the last two steps
    mask[2, :] = True
    starts = np.array(["2001-06-01", "2001-07-01", "2001-08-01"], dtype="datetime64[ns]")
    kwargs = {"n_members": 6, "n_steps": 20, "learning_rate": 0.1, "seed": 3}
    chunks, post = condition(model, adjusted, mask, starts, **kwargs)
    members = np.concatenate([chunk for _, chunk in chunks])
    again = np.concatenate([chunk for _, chunk in condition(model, adjusted, mask, starts, **kwargs)[0]])
    np.testing.assert_array_equal(members, again)
    assert members.shape == (3, 6, 96 * k) and np.isfinite(members).all()
    np.testing.assert_array_equal(
        members[~np.broadcast_to(~mask[:, None], members.shape)],
        np.broadcast_to(adjusted[:, None], members.shape)[~np.broadcast_to(~mask[:, None], members.shape)],
    )
    assert np.isfinite(post.loss).all() and post.log_scale.shape == (3, 96 * k)
    if innovations == "johnson_su":
        assert post.noise_shape.shape == (3, 96 * k, 4)
    fitted = fit_posterior(model, (adjusted - 75) / 18, mask, starts, 0, 0.1)
    assert fitted.mean.shape == (3, k, 2)


@pytest.mark.parametrize("noise", [True, False])
def test_the_draws_are_the_same_numbers_whatever_the_chunks(noise):
    """The ensemble comes a few windows at a time, and its numbers do not depend on how many:
    the AR(1) tail, the AR residual continued into the gaps and the white noise all come from
    one generator in the order of the windows."""
    model = _extended(0.9)
    k, n_members = 3, 4
    rng = np.random.default_rng(8)
    adjusted = 75 + rng.normal(0, 3, (5, 96 * k))
    mask = np.ones(adjusted.shape, bool)
    mask[0, 40:90] = False
    mask[1, 96:] = False
    mask[3, :30] = False
    starts = np.array(
        ["2001-01-01", "2001-03-01", "2001-05-01", "2001-07-01", "2001-09-01"], "datetime64[ns]"
    )
    post = fit_posterior(model, (adjusted - 75) / 18, mask, starts, 5, 0.1, seed=2)
    whole = [draws for _, draws in sample_posterior(model, post, n_members, noise, seed=6)]
    assert len(whole) == 1 and whole[0].shape == (5, n_members, 96 * k)  # all in one chunk
    for windows in (1, 2):  # one window a chunk; two (the last chunk holds one)
        chunks = list(
            sample_posterior(model, post, n_members, noise, seed=6, chunk_values=windows * 96 * k * 4)
        )
        assert [(rows.start, rows.stop) for rows, _ in chunks] == [
            (first, min(5, first + windows)) for first in range(0, 5, windows)
        ]
        np.testing.assert_array_equal(np.concatenate([draws for _, draws in chunks]), whole[0])


def test_decoding_in_a_graph_gives_the_decoder_numbers():
    """The traced decoder and the Keras call give the same numbers for the same batch (a batch
    of another size may differ in the last bits, so the draws keep their batches)."""
    model = _extended()
    for n in (1, 3, 7):
        z = np.random.default_rng(n).standard_normal((n, 3, 2)).astype("float32")
        np.testing.assert_array_equal(
            np.asarray(_decode(model, tf.constant(z))), model.decoder(z, training=False)
        )
