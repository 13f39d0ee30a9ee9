"""The classifier's stacked training: each fit of the stack is the documented Keras network,
trained as Keras would train it alone (the same predictions, the same Adam steps), whatever
else shares its stack."""

from __future__ import annotations

import numpy as np
import pytest

from seasonal_vae.evaluation import classifier_training as C
from seasonal_vae.evaluation.classifier import fit_and_score

LENGTH = 168


def _batches(n_fits: int, batch: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_fits, batch, LENGTH, 2)).astype("float32")
    m = rng.normal(size=(n_fits, batch, 2)).astype("float32")
    y = (rng.random((n_fits, batch)) > 0.5).astype("float32")
    return x, m, y


def _reference(weights):
    model = C.reference_network(LENGTH)
    model.set_weights(weights)
    return model


def test_initial_weights_have_the_reference_networks_shapes_and_keras_limits():
    weights = C._initial_weights(np.random.default_rng(1))
    assert [w.shape for w in weights] == [w.shape for w in C.reference_network(LENGTH).get_weights()]
    conv1 = weights[0]  # (7, 2, 16): Glorot limit √(6 / (7·2 + 7·16))
    assert np.abs(conv1).max() <= np.sqrt(6 / (14 + 112))
    assert np.abs(conv1).max() > 0.9 * np.sqrt(6 / (14 + 112))
    assert all((b == 0).all() for b in weights[1::2])
    stacked = C._stack_weights([weights, weights])
    for a, b in zip(C._unstack_weights(stacked, 1), weights):
        np.testing.assert_array_equal(a, b)


def test_each_fit_of_the_stack_predicts_as_the_reference_network():
    initial = [C._initial_weights(np.random.default_rng(s)) for s in range(3)]
    stack = C._Stack(initial)
    x, m, _ = _batches(3, 40)
    p = stack.probabilities(x, m)
    for k in range(3):
        expected = _reference(initial[k]).predict({"window": x[k], "month": m[k]}, verbose=0)[:, 0]
        np.testing.assert_allclose(p[k], expected, atol=1e-6)


def test_a_stacked_step_is_each_fits_own_keras_step():
    # three fits, the last with a short batch (20 of 32 windows, the rest padding of weight 0)
    initial = [C._initial_weights(np.random.default_rng(10 + s)) for s in range(3)]
    stack = C._Stack(initial)
    refs = [_reference(w) for w in initial]
    n = [32, 32, 20]
    weight = np.zeros((3, 32), "float32")
    for k in range(3):
        weight[k, : n[k]] = 1.0 / n[k]
    for step in range(3):
        x, m, y = _batches(3, 32, seed=step)
        index = np.tile(np.arange(32, dtype=np.int32), (3, 1))
        stack.step(x, m, y, index, weight)
        for k in range(3):
            refs[k].train_on_batch({"window": x[k, : n[k]], "month": m[k, : n[k]]}, y[k, : n[k]])
    moved = []
    for k in range(3):
        mine, theirs = C._unstack_weights(stack.weights(), k), refs[k].get_weights()
        for a, b, w0 in zip(mine, theirs, initial[k]):
            np.testing.assert_allclose(a, b, atol=2e-5)
            moved.append(np.abs(b - w0).max())
    assert max(moved) > 5e-3  # the steps did move the weights (Adam, learning rate 3e-3)


def _task(seed: int, n: int, shift: float):
    rng = np.random.default_rng(seed)
    hours = np.arange(LENGTH)
    level = rng.normal(0, 2, (n, 1))  # each window's weather, then hourly noise
    real = 70 + level + 10 * np.sin(2 * np.pi * hours / 24) + rng.normal(0, 0.5, (n, LENGTH))
    gen = real[rng.permutation(n)] + shift
    return real, gen, rng.integers(1, 13, n), seed


def test_a_fits_result_does_not_depend_on_what_shares_its_stack():
    alone = C._train_group([C._prepare(*_task(1, 60, 3.0), 0.3)], epochs=2)[0]
    with_others = C._train_group(
        [C._prepare(*_task(s, 60, 3.0 * (s == 1)), 0.3) for s in (1, 2, 3)], epochs=2
    )
    np.testing.assert_allclose(with_others[0], alone, atol=1e-4)


def test_fit_many_scores_every_task_in_order_and_skips_tiny_ones():
    tasks = [_task(1, 60, 6.0), _task(2, 3, 0.0), _task(3, 90, 0.0), _task(4, 60, 6.0)]
    fits = [C._prepare(*t, 0.3) for t in (tasks[0], tasks[2])]
    assert fits[0].steps_per_epoch != fits[1].steps_per_epoch  # two stacks
    rows = C.fit_many(tasks, epochs=8)
    assert [r["seed"] for r in rows] == [1, 2, 3, 4]
    assert np.isnan(rows[1]["accuracy"]) and rows[1]["n_train"] == 0
    assert rows[0]["n_test"] == 18 and rows[0]["n_train"] == 42 and rows[2]["n_test"] == 27
    assert rows[0]["accuracy"] > 0.8 and rows[3]["accuracy"] > 0.8  # a 6 °F shift is seen
    assert rows[2]["accuracy"] == pytest.approx(0.5, abs=0.2)
    one = fit_and_score(*tasks[0][:3], seed=1, epochs=8)
    assert one["accuracy"] == pytest.approx(rows[0]["accuracy"], abs=2 / 36)


def test_batches_visit_every_training_window_once_per_epoch():
    fits = [C._prepare(*_task(s, n, 0.0), 0.3) for s, n in ((1, 60), (2, 55))]
    assert fits[0].steps_per_epoch == fits[1].steps_per_epoch == 3
    index, weight = C._batches(fits, epochs=2)
    assert index.shape == weight.shape == (6, 2, 32)
    for k, fit in enumerate(fits):
        n = len(fit.train[2])
        for epoch in range(2):
            idx, w = index[3 * epoch : 3 * epoch + 3, k], weight[3 * epoch : 3 * epoch + 3, k]
            assert sorted(idx[w > 0].tolist()) == list(range(n))
            np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-6)  # each batch's mean
        assert not np.array_equal(index[:3, k], index[3:, k])  # reshuffled each epoch
