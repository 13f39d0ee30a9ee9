"""Training helpers: resumable runs (checkpoints), the learning-rate schedule, the closed-form updates."""

import pytest

pytest.importorskip("keras")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from seasonal_vae.model import checkpoints as checkpoints_module  # noqa: E402
from seasonal_vae.model.checkpoints import Checkpoints, truncate_history  # noqa: E402
from seasonal_vae.model.train import learning_rate  # noqa: E402


def test_truncate_history_keeps_the_backed_up_epochs(tmp_path):
    csv = tmp_path / "history.csv"
    csv.write_text("epoch,loss,val_loss\n0,1.0,0.9\n1,0.8,0.7\n2,0.7,0.75\n")
    truncate_history(csv, 2)
    assert csv.read_text() == "epoch,loss,val_loss\n0,1.0,0.9\n1,0.8,0.7\n"
    truncate_history(tmp_path / "missing.csv", 1)  # nothing to do
    assert not (tmp_path / "missing.csv").exists()


def _dense():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False)])
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_variables)
    return model


def test_checkpoints_back_up_at_most_every_interval_and_resume(tmp_path, monkeypatch):
    clock = iter([0.0, 10.0, 70.0, 80.0])
    monkeypatch.setattr(checkpoints_module.time, "monotonic", lambda: next(clock))
    model, cb = _dense(), Checkpoints(tmp_path, seconds=60)
    cb.set_model(model)
    cb.on_train_begin()
    for epoch, loss in enumerate([3.0, 1.0, 2.0, 0.5]):
        model.layers[0].kernel.assign(np.full((2, 1), epoch, "float32"))
        cb.on_epoch_end(epoch, {"val_loss": loss})
    # in memory: the best of all four epochs
    assert cb.best_loss == 0.5 and np.all(cb.best_weights[0] == 3)
    # on disk: backups at t = 0 (first epoch) and t = 70 (60 s later), not at t = 10 or 80
    assert cb.saved_epoch() == 3
    with np.load(tmp_path / "best.npz") as saved:
        assert float(saved["loss"]) == 1.0 and np.all(saved["w0"] == 1)

    # a new run resumes the weights and epoch of the backup and the best so far
    resumed = _dense()
    cb2 = Checkpoints(tmp_path, seconds=60)
    cb2.set_model(resumed)
    assert cb2.resumable()
    monkeypatch.setattr(checkpoints_module.time, "monotonic", lambda: 100.0)
    cb2.on_train_begin()
    assert resumed._initial_epoch == 3 and np.all(np.asarray(resumed.layers[0].kernel) == 2)
    assert cb2.best_loss == 1.0 and np.all(cb2.best_weights[0] == 1)
    assert not Checkpoints(tmp_path / "other", seconds=60).resumable()


def test_cosine_schedule_warms_up_then_decays_to_zero():
    tcfg = {"schedule": "cosine", "learning_rate": 0.004, "warmup_epochs": 2, "epochs": 12}
    lr = learning_rate(tcfg, steps_per_epoch=5)  # 10 warm-up steps, 50 of decay
    assert float(lr(0)) == 0.0
    assert float(lr(5)) == pytest.approx(0.002, rel=1e-6)
    assert float(lr(10)) == pytest.approx(0.004, rel=1e-6)
    assert float(lr(35)) == pytest.approx(0.002, rel=1e-6)  # half-way down the cosine: peak · (1 + cos π/2)/2
    assert float(lr(60)) < 1e-9
    assert learning_rate({**tcfg, "schedule": "constant"}, 5) == 0.004


# --- the closed-form updates (closed_form.optimal_noise_log_var, .optimal_prior_weights) -------

from seasonal_vae.model.closed_form import optimal_noise_log_var, optimal_prior_weights  # noqa: E402


def _kl_sum(f, mu, log_var, kernel, bias):
    """Σ KL(N(μ, v) ‖ N(m(θ), e^{s(θ)})) with the prior Dense(kernel, bias) on features f."""
    out = f @ kernel + (0.0 if bias is None else bias)
    latent = mu.shape[-1]
    m, s = out[..., :latent], out[..., latent:]
    v = np.exp(log_var)
    return float(np.sum(0.5 * (s - log_var + (v + (mu - m) ** 2) / np.exp(s) - 1.0)))


def test_noise_log_var_is_the_maximum_likelihood_value():
    rng = np.random.default_rng(1)
    x, x_hat = rng.standard_normal((4, 96)), rng.standard_normal((4, 96))
    best = optimal_noise_log_var(x, x_hat)
    assert best == pytest.approx(np.log(np.mean((x - x_hat) ** 2)))

    def nll(log_var):
        return float(np.sum(0.5 * (log_var + (x - x_hat) ** 2 / np.exp(log_var))))

    assert nll(best) < min(nll(best - 0.01), nll(best + 0.01))


@pytest.mark.parametrize("with_bias", [False, True])
def test_prior_weights_minimise_the_kl(with_bias):
    """The fitted coefficients are a stationary point and a minimum of the summed KL: no small
    change of any coefficient lowers it, and they recover a known seasonal prior."""
    from seasonal_vae.core.calendar import fourier_features

    rng = np.random.default_rng(2)
    theta = rng.uniform(0, 2 * np.pi, size=(40, 16))
    f = np.asarray(fourier_features(theta, 3), dtype="float64")
    latent = 3
    true_kernel = rng.normal(0, 0.8, size=(6, 2 * latent))
    true_bias = np.r_[rng.normal(0, 1.0, latent), rng.normal(-1.0, 0.3, latent)]
    out = f @ true_kernel + (true_bias if with_bias else 0.0)
    m, s = out[..., :latent], out[..., latent:]
    log_var = np.full(m.shape, -3.0)
    mu = m + np.exp(s / 2) * rng.standard_normal(m.shape)  # posterior means spread like the prior
    kernel, bias = optimal_prior_weights(
        f,
        mu,
        log_var,
        np.zeros((6, 2 * latent), "float32"),
        np.zeros(2 * latent, "float32") if with_bias else None,
    )
    assert kernel.shape == (6, 2 * latent) and (bias is not None) == with_bias
    kernel, bias = kernel.astype("float64"), None if bias is None else bias.astype("float64")
    best = _kl_sum(f, mu, log_var, kernel, bias)
    for i in range(kernel.shape[0]):
        for j in range(kernel.shape[1]):
            for step in (-1e-3, 1e-3):
                moved = kernel.copy()
                moved[i, j] += step
                assert _kl_sum(f, mu, log_var, moved, bias) >= best - 1e-9
    if with_bias:  # the intercept is recovered, which a bias-free prior cannot express
        np.testing.assert_allclose(bias[:latent], true_bias[:latent], atol=0.2)
    np.testing.assert_allclose(kernel[:, :latent], true_kernel[:, :latent], atol=0.25)


def test_closed_form_training_poses_sigma_well(tiny_pipeline, tmp_path):
    """With the closed form, σ² is the model's own mean squared reconstruction error; by
    gradient steps alone (the article's training) σ barely leaves its start σ = 1 in the same
    number of steps, far above the error the decoder already reaches."""
    import xarray as xr

    from seasonal_vae.model.train import WindowDataset, train

    cfg = tiny_pipeline["config"]
    with xr.open_dataset(tiny_pipeline["windows"]) as f:
        windows = WindowDataset(f.load(), "train", batch_size=8, fourier_degree=3, theta_anchor="centre")
    result = {}
    for closed in (True, False):
        run = {
            **cfg,
            "training": {
                **cfg["training"],
                "epochs": 40,
                "patience": 40,
                "noise_closed_form": closed,
                "prior_closed_form": closed,
            },
        }
        model = train(tiny_pipeline["windows"], tmp_path / f"{closed}.keras", tmp_path / f"{closed}.csv", run)
        _, _, z = model.encoder(windows.x)
        mse = float(np.mean((windows.x - np.asarray(model.decoder(z))) ** 2))
        result[closed] = (model.noise_sigma**2, mse)
    var, mse = result[True]
    assert var == pytest.approx(mse, rel=0.25)
    var, mse = result[False]
    assert var > 0.8 and mse < 0.7


def test_var1_memory_is_diagonal_while_training_and_whole_after(tiny_pipeline, tmp_path):
    """latent_memory_fit: after: each epoch's M-step holds the var1 chain to its diagonal (the
    ar1 chain: R = I, Q = I − A²); the saved model's chain is the whole closed-form fit to the
    best encoder's posteriors on the last epoch's windows (R a correlation matrix, Q ≻ 0)."""
    import xarray as xr

    from seasonal_vae.model import latent_chain
    from seasonal_vae.model.closed_form import ClosedFormUpdates
    from seasonal_vae.model.train import WindowDataset, train

    cfg = tiny_pipeline["config"]
    epochs = 6
    run = {
        **cfg,
        "model": {**cfg["model"], "prior": "centred", "noise": "ar", "latent_memory": "var1"},
        "training": {**cfg["training"], "epochs": epochs, "patience": epochs},
    }
    model = train(tiny_pipeline["windows"], tmp_path / "m.keras", tmp_path / "h.csv", run)
    chain = (model.latent_var_a, model.latent_corr_chol, model.latent_innov_chol)
    with xr.open_dataset(tiny_pipeline["windows"]) as f:
        windows = WindowDataset(
            f.load(),
            "train",
            batch_size=8,
            fourier_degree=3,
            theta_anchor="centre",
            random_offsets=cfg["windows"]["random_offsets"],
            seed=cfg["training"]["seed"],
        )
    x, features = windows.epoch(epochs - 1)
    z_mean, z_log_var, _ = model.encoder(x)
    expected = latent_chain.fit_var1(z_mean, z_log_var, *model.prior(features))
    for weight, value in zip(chain, expected):
        np.testing.assert_allclose(weight.numpy(), value, atol=1e-5)
    a, r_chol, _ = (w.numpy() for w in chain)
    assert np.abs(a - np.diag(np.diag(a))).max() > 0 and np.abs(np.tril(r_chol, -1)).max() > 0
    ClosedFormUpdates(windows, full_chain=False).update(model, 0)
    a, r_chol, q_chol = (w.numpy() for w in chain)
    np.testing.assert_array_equal(a, np.diag(np.diag(a)))
    np.testing.assert_array_equal(r_chol, np.eye(len(a)))
    np.testing.assert_allclose(q_chol, np.diag(np.sqrt(1 - np.diag(a) ** 2)), rtol=1e-6)


def test_validation_batches_give_the_pydataset_losses(tiny_pipeline, tiny_model):
    """The validation windows as a finite tf.data dataset (``WindowDataset.batches``, what
    ``train`` validates on) hold the same batches as the ``PyDataset`` batch by batch, and
    ``evaluate`` gives the same losses through both, also when several batches run in one
    traced call (``steps_per_execution``)."""
    import xarray as xr

    from seasonal_vae.model.train import WindowDataset, compile_model

    cfg = tiny_pipeline["config"]
    with xr.open_dataset(tiny_pipeline["windows"]) as f:
        val = WindowDataset(f.load(), "val", batch_size=3, fourier_degree=3, theta_anchor="centre")
    assert len(val) >= 2  # several batches, the last one short or not
    batches = list(val.batches().as_numpy_iterator())
    assert len(batches) == len(val)
    for i, ((x, features),) in enumerate(batches):
        ((x_py, features_py),) = val[i]
        np.testing.assert_array_equal(x, x_py)
        np.testing.assert_array_equal(features, features_py)
    losses = []
    for data in (val.batches(), val):  # two copies: the same weights, the same sampling seed
        model = tiny_model.__class__.from_config(tiny_model.get_config())
        model.set_weights(tiny_model.get_weights())
        compile_model(model, cfg["training"], steps_per_epoch=4)
        losses.append([model.evaluate(data, verbose=0, return_dict=True) for _ in range(2)])
    for tf_data, pydataset in zip(*losses):
        for key in ("reconstruction", "kl", "noise_sigma"):
            assert tf_data[key] == pydataset[key]  # bit for bit
        # their sum, the loss: within float32 rounding (the two traced graphs may add it up
        # differently; in the surrogate's training history it was the same to the last digit)
        assert tf_data["loss"] == pytest.approx(pydataset["loss"], rel=1e-6)
    assert losses[0][0]["reconstruction"] != losses[0][1]["reconstruction"]  # each draws its own z
