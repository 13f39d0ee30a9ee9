"""CRPS, MAE/RMSE and ROC: closed forms, brute force and limiting cases."""

import itertools
import math

import numpy as np
import pytest

from seasonal_vae.evaluation import scores


def brute_crps(obs, members, fair=False):
    m = len(members)
    skill = np.mean([abs(x - obs) for x in members])
    pairs = sum(abs(a - b) for a, b in itertools.product(members, members))
    return skill - pairs / (2 * (m * (m - 1) if fair else m * m))


def test_crps_matches_the_energy_form_by_brute_force():
    rng = np.random.default_rng(0)
    ens = rng.normal(size=(6, 9)) * 3 + 50
    obs = rng.normal(size=6) * 3 + 50
    for fair in (False, True):
        got = scores.crps_ensemble(obs, ens, fair=fair)
        want = [brute_crps(o, e, fair) for o, e in zip(obs, ens)]
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_crps_of_a_large_gaussian_ensemble_matches_the_closed_form():
    rng = np.random.default_rng(1)
    mu, sigma = 70.0, 4.0
    obs = np.array([58.0, 66.0, 70.0, 73.5, 85.0])
    ens = rng.normal(mu, sigma, size=(len(obs), 40_000))
    got = scores.crps_ensemble(obs, ens)
    want = scores.crps_gaussian(obs, mu, sigma)
    np.testing.assert_allclose(got, want, rtol=0.01)


def test_small_ensembles_standard_crps_biased_by_spread_over_m_fair_crps_unbiased():
    """E[standard] = CRPS + E|X−X'|/(2M) = CRPS + σ/(√π M); E[fair] = CRPS."""
    rng = np.random.default_rng(2)
    mu, sigma, m, reps = 0.0, 2.0, 4, 60_000
    obs = 1.3
    ens = rng.normal(mu, sigma, size=(reps, m))
    closed = float(scores.crps_gaussian(obs, mu, sigma))
    standard = scores.crps_ensemble(np.full(reps, obs), ens).mean()
    fair = scores.crps_ensemble(np.full(reps, obs), ens, fair=True).mean()
    assert fair == pytest.approx(closed, rel=0.01)
    assert standard == pytest.approx(closed + sigma / (math.sqrt(math.pi) * m), rel=0.01)


def test_crps_limits_and_member_axis():
    obs = np.array([1.0, -2.0])
    assert np.allclose(scores.crps_ensemble(obs, np.array([[3.0], [-2.5]])), [2.0, 0.5])
    assert np.allclose(scores.crps_ensemble(obs, np.tile(obs[:, None], (1, 5))), 0.0)
    ens = np.random.default_rng(3).normal(size=(2, 7))
    np.testing.assert_allclose(
        scores.crps_ensemble(obs, ens.T, member_axis=0), scores.crps_ensemble(obs, ens)
    )
    with pytest.raises(ValueError):
        scores.crps_ensemble(obs, np.ones((2, 1)), fair=True)


def test_crps_gaussian_at_the_mean():
    assert float(scores.crps_gaussian(0.0, 0.0, 1.0)) == pytest.approx(
        2 * (1 / math.sqrt(2 * math.pi)) - 1 / math.sqrt(math.pi)
    )


def test_mae_rmse_ignore_nan():
    e = np.array([3.0, -4.0, np.nan])
    assert scores.mae(e) == pytest.approx(3.5)
    assert scores.rmse(e) == pytest.approx(math.sqrt(12.5))


def brute_auc(pos, neg):
    wins = [(p > n) + 0.5 * (p == n) for p in pos for n in neg]
    return float(np.mean(wins))


def test_roc_auc_is_the_pairwise_win_probability_with_ties():
    rng = np.random.default_rng(4)
    pos = rng.integers(0, 6, size=30).astype(float)
    neg = rng.integers(0, 5, size=25).astype(float)
    assert scores.roc_auc(pos, neg) == pytest.approx(brute_auc(pos, neg), abs=1e-12)
    assert scores.roc_auc([3, 4, 5], [0, 1, 2]) == 1.0
    assert scores.roc_auc([0, 1, 2], [3, 4, 5]) == 0.0
    assert scores.roc_auc([np.nan, 2.0], [1.0, np.inf]) == 1.0  # non-finite scores dropped


def test_roc_curve_runs_from_origin_to_one_and_its_area_is_the_auc():
    rng = np.random.default_rng(5)
    pos = np.round(rng.normal(1, 1, 200), 1)
    neg = np.round(rng.normal(0, 1, 300), 1)
    fpr, tpr = scores.roc_curve(pos, neg)
    assert (fpr[0], tpr[0]) == (0.0, 0.0) and (fpr[-1], tpr[-1]) == (1.0, 1.0)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    area = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
    assert area == pytest.approx(scores.roc_auc(pos, neg), abs=1e-12)
    assert 0.7 < area < 0.85  # Φ(1/√2) ≈ 0.76 for unit separation
