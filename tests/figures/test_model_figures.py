"""The figures that explain the model: their maths (seasonal_vae.figures.compute.layers), the
probes of the trained model (.probe), their compute steps and their drawing modules.

The maths the figures illustrate is checked against the trained Keras layers themselves:
the convolution matrix and its transpose reproduce the first encoder layer and the last
decoder layer, and the receptive fields of the recursion are exactly the input hours that
move each latent step of the trained encoder.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from seasonal_vae.figures.compute import conv_matrix, free_time_axis, layers, prior, probe, training
from seasonal_vae.figures.registry import FIGURES, get, plot_figure, write_figure_data

NAMES = ("conv_matrix", "strides", "free_time_axis", "prior", "graphical_model", "training")


def _paths(tiny_pipeline, prefix: str = "") -> dict:
    return {
        "model": tiny_pipeline[prefix + "model"],
        "windows": tiny_pipeline["windows"],
        "history": tiny_pipeline[prefix + "history"],
    }


# ------------------------------------------------------------------ pure maths


@pytest.mark.parametrize(
    "n_in, kernel, stride, expected",
    [
        (24, 5, 3, (1, 1)),  # 8 outputs: (8-1)*3 + 5 - 24 = 2 zeros
        (25, 5, 3, (2, 2)),  # 9 outputs: 8*3 + 5 - 25 = 4 zeros
        (8, 3, 2, (0, 1)),  # the extra zero goes to the right
        (7, 3, 2, (1, 1)),
        (6, 1, 3, (0, 0)),  # kernel shorter than the stride: no padding
    ],
)
def test_same_padding_closed_form(n_in, kernel, stride, expected):
    assert layers.same_padding(n_in, kernel, stride) == expected


def test_conv_matrix_is_banded_and_strided():
    kernel = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    w = layers.conv_matrix(kernel, 24, 3)
    assert w.shape == (8, 24)
    # Row 0 loses its first tap to the left padding; row i starts at column 3i - 1.
    np.testing.assert_array_equal(w[0, :4], kernel[1:])
    for i in range(1, 7):
        np.testing.assert_array_equal(w[i, 3 * i - 1 : 3 * i + 4], kernel)
        assert np.count_nonzero(w[i]) == 5
    np.testing.assert_array_equal(w[7, 20:24], kernel[:4])  # last tap on the right padding
    t = layers.transposed_conv_matrix(kernel, 8, 3)
    assert t.shape == (24, 8)
    overlaps = (t != 0).sum(axis=1)
    assert set(overlaps) == {1, 2}  # kernel 5, stride 3: hours hit by one or two inputs


def test_receptive_field_recursion_closed_form():
    table = layers.receptive_fields([5, 3, 3, 3, 3, 3], [3, 2, 2, 2, 2, 2], 96 * 4)
    assert table["jump"].tolist() == [1, 3, 6, 12, 24, 48, 96]
    assert table["rf"].tolist() == [1, 5, 11, 23, 47, 95, 191]
    assert table["n_units"].tolist() == [384, 128, 64, 32, 16, 8, 4]
    assert table["offset"].tolist() == [0, -1, -1, -1, -1, -1, -1]
    # Latent step 1 sees hours 95..285 (one hour back, 94 hours ahead of its own 96..191).
    assert layers.receptive_hours(table, 6, 1, 384) == (95, 285)
    assert layers.receptive_hours(table, 6, 0, 384) == (0, 189)
    assert layers.receptive_hours(table, 6, 3, 384) == (287, 383)
    mask = layers.tree_mask(table, 1)
    assert np.flatnonzero(mask[0]).tolist() == list(range(95, 286))


# ---------------------------------------------------------- against the Keras layers


@pytest.mark.parametrize("n_in", [24, 29, 31])  # 29: padding 1 left, 2 right
def test_conv_matrix_reproduces_first_encoder_layer(tiny_model, n_in):
    conv = probe.conv_layers(tiny_model.encoder)[0]
    assert (conv.kernel_size[0], conv.strides[0]) == (5, 3)
    kernel, bias = (np.asarray(w, dtype="float64") for w in conv.get_weights())
    x = np.random.default_rng(n_in).normal(size=n_in)
    inputs = x[None, :, None].astype("float32")
    pre = np.asarray(probe.linear_clone(conv, (None, None, 1))(inputs))[0]
    post = np.asarray(conv(inputs))[0]
    assert pre.shape == (math.ceil(n_in / 3), kernel.shape[-1])
    for f in range(kernel.shape[-1]):
        y = layers.conv_matrix(kernel[:, 0, f], n_in, 3) @ x + bias[f]
        np.testing.assert_allclose(y, pre[:, f], atol=1e-5)  # before the ReLU
        np.testing.assert_allclose(np.maximum(y, 0), post[:, f], atol=1e-5)  # after it
    assert np.abs(pre).max() > 1e-3  # the comparison was not between zeros


def test_transposed_matrix_reproduces_last_decoder_layer(tiny_model):
    deconv = probe.conv_layers(tiny_model.decoder, transposed=True)[-1]
    assert (deconv.kernel_size[0], deconv.strides[0]) == (5, 3)
    kernel, bias = (np.asarray(w, dtype="float64") for w in deconv.get_weights())  # (5, 1, C)
    n_channels = kernel.shape[-1]
    u = np.random.default_rng(3).normal(size=(8, n_channels))
    layer = probe.linear_clone(deconv, (None, None, n_channels))
    total = np.full(24, bias[0])
    for c in range(n_channels):
        only_c = np.zeros((1, 8, n_channels), dtype="float32")
        only_c[0, :, c] = u[:, c]
        expected = np.asarray(layer(only_c))[0, :, 0]
        mat = layers.transposed_conv_matrix(kernel[:, 0, c], 8, 3)
        np.testing.assert_allclose(mat @ u[:, c] + bias[0], expected, atol=1e-5)
        total += mat @ u[:, c]
    # The layer is linear: all channels together are the sum of the per-channel matrices.
    full = np.asarray(deconv(u[None].astype("float32")))[0, :, 0]
    np.testing.assert_allclose(total, full, atol=1e-5)
    assert np.abs(full - bias[0]).max() > 1e-3


def test_transposed_matrix_reproduces_every_decoder_layer(tiny_model):
    """The stride-2 layers pad asymmetrically (0 left, 1 right): the matrix must follow."""
    rng = np.random.default_rng(5)
    for layer in probe.conv_layers(tiny_model.decoder, transposed=True):
        _k, s = int(layer.kernel_size[0]), int(layer.strides[0])
        kernel, bias = (np.asarray(w, dtype="float64") for w in layer.get_weights())
        n_out_ch, n_in_ch = kernel.shape[1], kernel.shape[2]
        linear = probe.linear_clone(layer, (None, None, n_in_ch))
        n = 7
        for c in rng.choice(n_in_ch, size=min(3, n_in_ch), replace=False):
            u = rng.normal(size=n)
            only_c = np.zeros((1, n, n_in_ch), dtype="float32")
            only_c[0, :, c] = u
            out = np.asarray(linear(only_c))[0]
            assert out.shape == (n * s, n_out_ch)
            for o in range(min(3, n_out_ch)):
                mat = layers.transposed_conv_matrix(kernel[:, o, c], n, s)
                np.testing.assert_allclose(
                    mat @ u + bias[o], out[:, o], atol=1e-5, err_msg=f"{layer.name}, channel {c} → {o}"
                )


def test_receptive_fields_match_perturbation_of_the_trained_encoder(tiny_model):
    names, kernels, strides = probe.encoder_stack(tiny_model)
    assert strides == [3, 2, 2, 2, 2, 2] and kernels == [5, 3, 3, 3, 3, 3]
    n_steps = 3
    n_in = 96 * n_steps
    table = layers.receptive_fields(kernels, strides, n_in)
    rng = np.random.default_rng(0)
    moved = np.zeros((n_in, n_steps), dtype=bool)
    for _ in range(3):  # several inputs, so that no path stays behind a ReLU that is off
        x = rng.normal(size=n_in)
        moved |= probe.perturbation_map(tiny_model, x, deltas=(2.0, -2.0)) > 1e-6
    for step in range(n_steps):
        first, last = layers.receptive_hours(table, len(table) - 1, step, n_in)
        expected = np.zeros(n_in, dtype=bool)
        expected[first : last + 1] = True
        np.testing.assert_array_equal(moved[:, step], expected, err_msg=f"latent step {step}")
    assert table["rf"].iloc[-1] == 191 and table["jump"].iloc[-1] == 96


def test_free_time_axis_shapes(tiny_pipeline, tiny_model):
    latent = tiny_model.latent_dim
    for days in (4, 40, 400):
        k = days // 4
        x = np.zeros((1, 24 * days), dtype="float32")
        z_mean, z_log_var, z = (np.asarray(a) for a in tiny_model.encoder(x))
        assert z_mean.shape == z_log_var.shape == z.shape == (1, k, latent)
        assert np.asarray(tiny_model.decoder(z)).shape == (1, 96 * k)
    ds = free_time_axis.compute(_paths(tiny_pipeline), tiny_pipeline["config"])
    for days in (4, 40, 400):
        tag = f"{days}d"
        assert ds.sizes[f"hour_{tag}"] == 24 * days and ds.sizes[f"step_{tag}"] == days // 4
        assert ds.attrs[f"latent_shape_{tag}"] == f"(1, {days // 4}, {latent})"
        for name in ("real", "reconstruction", "generated"):
            values = ds[f"{name}_{tag}"].values
            assert np.isfinite(values).all() and values.std() > 0.1
    # The stretches nest: the 4 days are the first 4 of the 40 and of the 400.
    np.testing.assert_array_equal(ds["real_4d"].values, ds["real_400d"].values[:96])


def test_prior_curves_are_the_model_prior(tiny_pipeline, tiny_model):
    from seasonal_vae.core.calendar import fourier_features

    ds = prior.compute(_paths(tiny_pipeline), tiny_pipeline["config"])
    latent = tiny_model.latent_dim
    idx = [0, 45, 180, 300, ds.sizes["theta"] - 1]
    theta = ds["theta"].values[idx]
    feats = fourier_features(theta, tiny_model.fourier_degree)[None].astype("float32")
    m, s = (np.asarray(a)[0] for a in tiny_model.prior(feats))
    np.testing.assert_allclose(ds["m"].values[idx], m, atol=1e-5)
    np.testing.assert_allclose(ds["s"].values[idx], s, atol=1e-5)
    np.testing.assert_allclose(ds["prior_std"].values[idx], np.exp(s / 2), rtol=1e-5)
    # Closed form: a bias-free Dense layer on the Fourier features.
    weights = np.asarray(tiny_model.prior.get_layer("fourier_coefficients").kernel)
    np.testing.assert_allclose(ds["m"].values[idx], feats[0] @ weights[:, :latent], atol=1e-5)
    np.testing.assert_allclose(ds["s"].values[idx], feats[0] @ weights[:, latent:], atol=1e-5)
    assert ds.sizes["point"] == ds.attrs["n_windows"] * ds.attrs["steps_per_window"]
    assert ds.attrs["n_windows"] == ds.attrs["n_train_windows"] + ds.attrs["n_val_windows"]
    assert ((ds["point_theta"] >= 0) & (ds["point_theta"] < 2 * np.pi)).all()
    assert set(np.unique(ds["point_split"].values)) == {1, 2}


def test_prior_of_the_standard_model_is_flat_and_draws(tiny_pipeline, tmp_path):
    ds = prior.compute(_paths(tiny_pipeline, "standard_"), tiny_pipeline["config"])
    assert ds.attrs["prior_kind"] == "standard"
    np.testing.assert_array_equal(ds["m"].values, 0.0)
    np.testing.assert_array_equal(ds["s"].values, 0.0)
    fig = get("prior").draw(ds, tiny_pipeline["config"])
    assert len(fig.axes) >= ds.sizes["feature"]
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_training_marks_the_best_epoch(tiny_pipeline, tiny_model):
    import pandas as pd

    ds = training.compute(_paths(tiny_pipeline), tiny_pipeline["config"])
    history = pd.read_csv(tiny_pipeline["history"])
    assert ds.attrs["best_epoch"] == int(history["val_loss"].idxmin()) + 1
    np.testing.assert_allclose(
        ds["noise_sigma_degF"].values, history["noise_sigma"].to_numpy() * tiny_model.data_std
    )
    np.testing.assert_allclose(ds.attrs["noise_sigma_degF"], tiny_model.noise_sigma * tiny_model.data_std)


def test_conv_matrix_figure_data_checks_itself(tiny_pipeline):
    ds = conv_matrix.compute(_paths(tiny_pipeline), tiny_pipeline["config"])
    assert ds.sizes["hour"] == 24 and ds.sizes["out_step"] == 8 and ds.sizes["out_hour"] == 24
    assert ds.attrs["max_abs_error_conv"] < 1e-5
    assert ds.attrs["max_abs_error_transposed"] < 1e-5
    np.testing.assert_allclose(
        ds["matrix"].values @ ds["x"].values + ds.attrs["conv_bias"], ds["y_layer"].values, atol=1e-5
    )
    np.testing.assert_allclose(
        ds["contributions"].values.sum(axis=1) + ds.attrs["deconv_bias"], ds["t_y_layer"].values, atol=1e-5
    )


# ---------------------------------------------------------- every figure end to end


@pytest.mark.parametrize("name", NAMES)
def test_figure_computes_round_trips_and_draws(tiny_pipeline, tmp_path, name):
    import matplotlib.image as mpimg

    cfg = tiny_pipeline["config"]
    spec = get(name)
    assert spec.caption.endswith(".") and spec.caption.count(". ") == 0  # one sentence
    data = tmp_path / f"{name}.nc"
    computed = write_figure_data(name, {key: tiny_pipeline[key] for key in spec.inputs}, data, cfg)
    with xr.open_dataset(data) as f:
        loaded = f.load()
    assert loaded.attrs["data_label"] == cfg["data"]["label"]
    for var in computed.data_vars:
        np.testing.assert_allclose(loaded[var].values, computed[var].values)
    png, svg = plot_figure(name, data, tmp_path / f"{name}.png", cfg)
    assert png.stat().st_size > 20_000 and svg.stat().st_size > 20_000
    image = mpimg.imread(png)
    assert image.ndim == 3 and np.unique(image.reshape(-1, image.shape[-1]), axis=0).shape[0] > 50
    assert cfg["data"]["label"] in svg.read_text(encoding="utf-8")  # the data note is there


def test_figure_inputs_are_what_compute_reads(tiny_pipeline):
    """Each compute step runs with exactly its declared inputs (what the Snakefile passes)."""
    declared = {name: spec.inputs for name, spec in FIGURES.items() if name in NAMES}
    assert list(FIGURES)[: len(NAMES)] == list(NAMES)
    assert declared["graphical_model"] == ("model",)
    assert declared["training"] == ("history", "model")
    for name in ("conv_matrix", "strides", "free_time_axis", "prior"):
        assert declared[name] == ("model", "windows")
