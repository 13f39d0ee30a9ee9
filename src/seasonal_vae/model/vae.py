r"""The seasonal-prior convolutional VAE (Keras 3 on TensorFlow).

Shapes, for a batch of ``N`` sequences of ``96·k`` hours (``k`` latent steps; ``k`` is free,
so one model encodes and generates sequences of any multiple of 96 hours):

* encoder  ``(N, 96k) → z_mean, z_log_var, z``, each ``(N, k, L)``: Conv1D(F, 5, stride 3),
  four Conv1D(F, 3, stride 2), Conv1D(2L, 3, stride 2), all ``same`` padding, ReLU between;
* decoder  ``(N, k, L) → (N, 96k)``: five Conv1DTranspose(F, 3, stride 2) with ReLU and
  Conv1DTranspose(1, 5, stride 3);
* prior    ``(N, k, 2d) → m(θ), s(θ)``, each ``(N, k, L)``: a bias-free Dense(2L) on the
  Fourier features of θ (degree ``d``), or zeros for the ``standard`` N(0, I) ablation, or
  (``centred``, a departure from the article) the same Dense with a bias, so that the prior can
  have a yearly mean and an overall scale of its own.

The seasonal features enter only the prior. The loss is the negative ELBO per input value,

.. math::

   \mathcal{L} = \frac{1}{T}\Big[\sum_t -\log \mathcal{N}(x_t \mid \hat x_t, \sigma^2)
                 + \mathrm{KL}\big(q(z\mid x)\,\|\,p(z\mid\theta)\big)\Big],

with a learned scalar ``noise_log_var`` = log σ² and the KL of two diagonal Gaussians in
closed form, both summed over time and features and divided by the input length ``T``.

Two named extensions beyond the article, each a config choice of the same class (off by
default, so that the article's model has exactly the article's weights):

* ``noise="ar"``: the residual around the decoder mean is a heteroscedastic AR(p) process
  (:mod:`seasonal_vae.model.ar_noise`) with exact likelihood, its scale depending on the hour
  of day and the season; ``noise_log_var`` is then the scale's log-variance bias (training
  fits it to the residuals of the trained reconstruction, ``training.ar_noise_fit``);
  ``noise_innovations="johnson_su"`` makes its innovations skewed and heavy-tailed, their
  shape depending on the hour of day and the season (fitted after training);
* ``latent_memory``: the prior carries memory across 96-hour steps as a stationary Gaussian
  VAR(1) chain in the prior's whitened coordinates (:mod:`seasonal_vae.model.latent_chain`),
  so that m(θ) and exp(s(θ)) stay each step's marginal mean and variance: ``"ar1"`` a stable
  diagonal ``A = tanh(α)`` (each latent feature its own AR(1)), ``"var1"`` a full ``A`` with
  latent features correlated within and across steps (set in closed form by training); the KL
  of each step is taken given the posterior's sample of ``z_{k−1}``;
* ``latent_marginals="johnson_su"``: each latent feature's whitened coordinate is a Johnson SU
  transform of a normal score, its four parameters depending on the time of year, so that the
  prior can be skewed like the encoder's aggregate posterior (:mod:`seasonal_vae.model.latent_marginals`;
  fitted after training, the latent chain then runs on the normal scores).
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf
from keras import layers, ops

from seasonal_vae.core.calendar import HOURS_PER_LATENT_STEP
from seasonal_vae.model import ar_noise, latent_chain
from seasonal_vae.model.latent_marginals import N_COEFFICIENTS, params_at, table_initializer

STRIDES = (3, 2, 2, 2, 2, 2)  # one unit per 3 h, then 6 h, 12 h, 1 day, 2 days, 4 days
assert math.prod(STRIDES) == HOURS_PER_LATENT_STEP  # 96 hours per latent step
PACKAGE = "seasonal_vae"


def gaussian_nll(x, mean, log_var):
    """−log N(x | mean, exp(log_var)), summed over the last axis."""
    x = ops.convert_to_tensor(x)
    mean, log_var = ops.cast(mean, x.dtype), ops.cast(log_var, x.dtype)
    return ops.sum(
        0.5 * (math.log(2.0 * math.pi) + log_var + ops.square(x - mean) / ops.exp(log_var)), axis=-1
    )


def kl_diagonal_gaussians(mean_q, log_var_q, mean_p, log_var_p):
    """KL(N(mean_q, e^{log_var_q}) ‖ N(mean_p, e^{log_var_p})), summed over all axes but the first."""
    kl = 0.5 * (
        log_var_p - log_var_q + (ops.exp(log_var_q) + ops.square(mean_q - mean_p)) / ops.exp(log_var_p) - 1.0
    )
    return ops.sum(ops.reshape(kl, (ops.shape(kl)[0], -1)), axis=-1)


@keras.saving.register_keras_serializable(package=PACKAGE)
class Sampling(layers.Layer):
    """Draw ``z = mean + exp(log_var / 2) · ε`` with ε ~ N(0, I) (reparameterisation)."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        mean, log_var = inputs
        eps = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * eps

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package=PACKAGE)
class SplitMoments(layers.Layer):
    """Split the last axis ``2L`` into (mean, log-variance), ``L`` each."""

    def __init__(self, latent_dim, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim

    def call(self, x):
        return x[..., : self.latent_dim], x[..., self.latent_dim :]

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim}


@keras.saving.register_keras_serializable(package=PACKAGE)
class StandardNormalMoments(layers.Layer):
    """The N(0, I) prior of the ablation: zero mean and zero log-variance for every step."""

    def __init__(self, latent_dim, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim

    def call(self, features):
        zeros = ops.repeat(ops.zeros_like(features[..., :1]), self.latent_dim, axis=-1)
        return zeros, zeros

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim}


def build_encoder(filters: int = 40, latent_dim: int = 10, seed=None) -> keras.Model:
    """``(N, 96k)`` → ``[z_mean, z_log_var, z]``, each ``(N, k, latent_dim)``."""
    inputs = keras.Input(shape=(None,), name="x")
    x = layers.Reshape((-1, 1))(inputs)
    x = layers.Conv1D(filters, 5, strides=STRIDES[0], padding="same", activation="relu")(x)
    for stride in STRIDES[1:-1]:
        x = layers.Conv1D(filters, 3, strides=stride, padding="same", activation="relu")(x)
    x = layers.Conv1D(2 * latent_dim, 3, strides=STRIDES[-1], padding="same")(x)
    z_mean, z_log_var = SplitMoments(latent_dim, name="posterior_moments")(x)
    z = Sampling(seed=seed, name="sample_z")([z_mean, z_log_var])
    return keras.Model(inputs, [z_mean, z_log_var, z], name="encoder")


def build_decoder(filters: int = 40, latent_dim: int = 10) -> keras.Model:
    """``(N, k, latent_dim)`` → ``(N, 96k)`` (the decoder mean)."""
    inputs = keras.Input(shape=(None, latent_dim), name="z")
    x = inputs
    for stride in reversed(STRIDES[1:]):
        x = layers.Conv1DTranspose(filters, 3, strides=stride, padding="same", activation="relu")(x)
    x = layers.Conv1DTranspose(1, 5, strides=STRIDES[0], padding="same")(x)
    outputs = layers.Reshape((-1,))(x)
    return keras.Model(inputs, outputs, name="decoder")


def build_prior(latent_dim: int = 10, fourier_degree: int = 3, kind: str = "seasonal") -> keras.Model:
    """Fourier features ``(N, k, 2·degree)`` → prior ``[m(θ), s(θ)]``, each ``(N, k, latent_dim)``.

    ``s`` is the log-variance. In the article (``seasonal``) the Dense layer has no bias: over
    a year the prior's mean and log-variance average to zero, so it cannot drift from zero or
    inflate/shrink its variance as a whole. ``centred`` adds the bias (a yearly mean and an
    overall log-variance per feature): a named departure, for records whose posterior means
    do not average to zero over the year.
    """
    inputs = keras.Input(shape=(None, 2 * fourier_degree), name="seasonal_features")
    if kind in ("seasonal", "centred"):
        x = layers.Dense(2 * latent_dim, use_bias=kind == "centred", name="fourier_coefficients")(inputs)
        outputs = SplitMoments(latent_dim, name="prior_moments")(x)
    elif kind == "standard":
        outputs = StandardNormalMoments(latent_dim, name="prior_moments")(inputs)
    else:
        raise ValueError(f"prior must be 'seasonal', 'centred' or 'standard', not {kind!r}")
    return keras.Model(inputs, list(outputs), name=f"{kind}_prior")


@keras.saving.register_keras_serializable(package=PACKAGE)
class SeasonalVAE(keras.Model):
    """VAE with a free time axis and a seasonal prior p(z | θ).

    Besides the architecture, the model stores what is needed to turn its output back into
    temperature: the standardisation (``data_mean``, ``data_std`` in °F) and the trend that was
    removed (``trend_rate_per_decade``, ``trend_reference_year``), so a saved ``.keras`` file
    alone can generate series in °F for any dates and any climate year.

    Inputs are pairs ``(x, features)``: standardised series ``(N, 96k)`` and the Fourier
    features of θ for each latent step ``(N, k, 2·fourier_degree)``; ``fit`` takes them as
    the model input with no target (``model.fit((x, features))``).
    """

    def __init__(
        self,
        filters=40,
        latent_dim=10,
        fourier_degree=3,
        prior="seasonal",
        theta_anchor="centre",
        data_mean=0.0,
        data_std=1.0,
        trend_rate_per_decade=0.0,
        trend_reference_year=2024,
        seed=None,
        noise="white",
        noise_order=3,
        latent_memory="none",
        latent_marginals="gaussian",
        noise_innovations="gaussian",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if (
            noise not in ("white", "ar")
            or latent_memory not in ("none", "ar1", "var1")
            or latent_marginals not in ("gaussian", "johnson_su")
        ):
            raise ValueError(
                f"noise must be 'white' or 'ar', latent_memory 'none', 'ar1' or 'var1' and "
                f"latent_marginals 'gaussian' or 'johnson_su', not {noise!r}, {latent_memory!r} "
                f"and {latent_marginals!r}"
            )
        known = noise_innovations in ("gaussian", "johnson_su")
        if not known or (noise_innovations != "gaussian" and noise != "ar"):
            raise ValueError(
                f"noise_innovations must be 'gaussian' or 'johnson_su' (the latter with noise 'ar'), "
                f"not {noise_innovations!r} with noise {noise!r}"
            )
        self.noise_kind, self.noise_order, self.latent_memory = noise, int(noise_order), latent_memory
        self.latent_marginals = latent_marginals
        # With Johnson SU marginals, the KL uses them unless training switches them off until
        # they are fitted, after the encoder and decoder (seasonal_vae.model.train).
        self.latent_marginals_in_loss = latent_marginals == "johnson_su"
        # With noise "ar", the loss uses the AR likelihood unless training switches it off to
        # fit the AR residual after the encoder and decoder (seasonal_vae.model.train).
        self.ar_noise_in_loss = noise == "ar"
        # With Johnson SU innovations, the AR likelihood uses them unless training switches
        # them off until they are fitted, after the AR residual (seasonal_vae.model.train).
        self.noise_innovations = noise_innovations
        self.noise_innovations_in_loss = noise_innovations == "johnson_su"
        self.filters, self.latent_dim, self.fourier_degree = filters, latent_dim, fourier_degree
        self.prior_kind, self.theta_anchor, self.seed = prior, theta_anchor, seed
        self.data_mean, self.data_std = float(data_mean), float(data_std)
        self.trend_rate_per_decade = float(trend_rate_per_decade)
        self.trend_reference_year = int(trend_reference_year)
        self.encoder = build_encoder(filters, latent_dim, seed=seed)
        self.decoder = build_decoder(filters, latent_dim)
        self.prior = build_prior(latent_dim, fourier_degree, prior)
        self.noise_log_var = self.add_weight(name="noise_log_var", shape=(), initializer="zeros")
        if noise == "ar":  # partial autocorrelations (through tanh) and the scale's Fourier weights
            self.noise_pacf_raw = self.add_weight(
                name="noise_pacf_raw", shape=(self.noise_order,), initializer="zeros"
            )
            self.noise_scale_weights = self.add_weight(
                name="noise_scale_weights", shape=(ar_noise.N_SCALE_FEATURES,), initializer="zeros"
            )
        if noise_innovations == "johnson_su":  # coefficients of (γ, δ, ξ, λ) on [1, scale features]
            self.noise_shape_table = self.add_weight(
                name="noise_shape_table",
                shape=(4, ar_noise.N_INNOVATION_COEFFICIENTS),
                initializer=table_initializer,
                trainable=False,
            )
        if latent_memory == "ar1":  # A = diag(tanh(α)), |a| < 1: a stable AR(1) across steps
            self.latent_ar_raw = self.add_weight(
                name="latent_ar_raw", shape=(latent_dim,), initializer="zeros"
            )
        if latent_memory == "var1":  # A, chol R, chol Q: set in closed form (latent_chain.fit_var1)
            self.latent_var_a, self.latent_corr_chol, self.latent_innov_chol = (
                self.add_weight(name=name, shape=(latent_dim, latent_dim), initializer=init, trainable=False)
                for name, init in (
                    ("latent_var_a", "zeros"),
                    ("latent_corr_chol", "identity"),
                    ("latent_innov_chol", "identity"),
                )
            )
        if latent_marginals == "johnson_su":  # Fourier coefficients of (γ, δ, ξ, λ) per feature
            self.latent_shape_table = self.add_weight(
                name="latent_shape_table",
                shape=(latent_dim, 4, N_COEFFICIENTS),
                initializer=table_initializer,
                trainable=False,
            )
        self.trackers = {
            name: keras.metrics.Mean(name=name) for name in ("loss", "reconstruction", "kl", "noise_sigma")
        }
        self.built = True  # every weight exists now; the time axis is free, so no input shape

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, inputs, training=False):
        """Reconstruction (decoder mean) of ``x`` through a sampled ``z``."""
        x, _ = inputs
        _, _, z = self.encoder(x, training=training)
        return self.decoder(z, training=training)

    def loss_terms(self, x, features, training=False):
        """(reconstruction, KL) per input value, averaged over the batch."""
        z_mean, z_log_var, z = self.encoder(x, training=training)
        x_hat = self.decoder(z, training=training)
        prior_mean, prior_log_var = self.prior(features, training=training)
        length = ops.cast(ops.shape(x)[1], x_hat.dtype)
        if self.ar_noise_in_loss:
            n_hours = ops.shape(x)[1]
            log_s, shape = self.noise_log_scale(features, n_hours), self.noise_shape(features, n_hours)
            nll = ar_noise.ar_nll(x - x_hat, log_s, self.noise_pacf, shape)
        else:
            nll = gaussian_nll(x, x_hat, self.noise_log_var)
        kl = self.latent_kl(z_mean, z_log_var, z, prior_mean, prior_log_var, self.latent_shape(features))
        return ops.mean(nll) / length, ops.mean(kl) / length

    def latent_shape(self, features):
        """The Johnson SU parameters ``(…, k, L, 4)`` of each latent step's marginals, or None
        (Gaussian marginals, or not yet fitted: ``latent_marginals_in_loss`` off)."""
        if not self.latent_marginals_in_loss:
            return None
        return params_at(self.latent_shape_table, features)

    def latent_kl(self, z_mean, z_log_var, z, prior_mean, prior_log_var, shape=None):
        """KL(q(z | x) ‖ p(z | θ)) per window ``(N,)``: of two diagonal Gaussians (the article),
        or with latent memory the chain's, each step given the posterior's sample ``z`` of
        the step before (:func:`seasonal_vae.model.latent_chain.chain_kl`); with Johnson SU
        marginals (``shape`` from :meth:`latent_shape`) estimated with the sample ``z``
        (:func:`seasonal_vae.model.latent_chain.shaped_chain_kl`)."""
        if shape is not None:
            return latent_chain.shaped_chain_kl(
                z_mean, z_log_var, prior_mean, prior_log_var, z, *latent_chain.transition(self), shape
            )
        if self.latent_memory == "none":
            return kl_diagonal_gaussians(z_mean, z_log_var, prior_mean, prior_log_var)
        return latent_chain.chain_kl(
            z_mean, z_log_var, prior_mean, prior_log_var, z, *latent_chain.transition(self)
        )

    @property
    def latent_ar(self):
        """The diagonal of A (latent memory across 96-hour steps)."""
        return ops.tanh(self.latent_ar_raw)

    @property
    def noise_pacf(self):
        """Partial autocorrelations of the AR(p) residual, each in (−1, 1)."""
        return ops.tanh(self.noise_pacf_raw)

    def noise_log_scale(self, features, n_hours):
        """``log s_t`` of the AR residual for windows starting at local midnight: ``(N, T)``."""
        f = ar_noise.scale_features(n_hours, features)
        return ar_noise.log_scale(self.noise_log_var, self.noise_scale_weights, f)

    def noise_shape(self, features, n_hours):
        """The Johnson SU parameters ``(N, T, 4)`` of the AR residual's innovations per hour, or
        None (normal innovations, or not yet fitted: ``noise_innovations_in_loss`` off)."""
        if self.noise_innovations != "johnson_su" or not self.noise_innovations_in_loss:
            return None
        f = ar_noise.scale_features(n_hours, features)
        return ar_noise.innovation_params(self.noise_shape_table, f)

    def _update(self, reconstruction, kl):
        values = {
            "loss": reconstruction + kl,
            "reconstruction": reconstruction,
            "kl": kl,
            "noise_sigma": ops.exp(0.5 * self.noise_log_var),
        }
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: t.result() for name, t in self.trackers.items()}

    def train_step(self, data):
        (x, features), _, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            reconstruction, kl = self.loss_terms(x, features, training=True)
            loss = reconstruction + kl
        weights = self.trainable_weights  # without the prior and σ² when training sets them
        grads = tape.gradient(loss, weights)  # in closed form (seasonal_vae.model.train)
        self.optimizer.apply(grads, weights)
        return self._update(reconstruction, kl)

    def test_step(self, data):
        (x, features), _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self._update(*self.loss_terms(x, features, training=False))

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "latent_dim": self.latent_dim,
            "fourier_degree": self.fourier_degree,
            "prior": self.prior_kind,
            "theta_anchor": self.theta_anchor,
            "data_mean": self.data_mean,
            "data_std": self.data_std,
            "trend_rate_per_decade": self.trend_rate_per_decade,
            "trend_reference_year": self.trend_reference_year,
            "seed": self.seed,
            "noise": self.noise_kind,
            "noise_order": self.noise_order,
            "latent_memory": self.latent_memory,
            "latent_marginals": self.latent_marginals,
            "noise_innovations": self.noise_innovations,
        }

    @property
    def noise_sigma(self) -> float:
        """Learned observation-noise standard deviation, in standard units."""
        return float(math.exp(0.5 * float(self.noise_log_var.numpy())))
