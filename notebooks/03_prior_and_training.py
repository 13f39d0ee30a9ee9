# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
#     notebook_metadata_filter: kernelspec,jupytext
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 3 · The seasonal prior and the training objective
#
# A standard VAE draws every latent from $\mathcal N(0, I)$. Here the prior depends on the time
# of year: each 96-hour latent step has its own Gaussian, whose mean and log-variance are
# trigonometric polynomials of the angle θ of the date. This notebook shows θ and its Fourier
# features, the learned prior $m(\theta)$, $s(\theta)$, the loss the model minimises (the
# negative ELBO), the training curves, and the ablation trained with the $\mathcal N(0, I)$
# prior instead.
#
# Models, histories and samples are read from what `snakemake` built (README, command 1).

# %%
import calendar

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.core.calendar import fourier_features, latent_step_times, seasonal_features, theta
from seasonal_vae.core.io import load_samples
from seasonal_vae.data.series import load_series
from seasonal_vae.data.windows import WindowSampler
from seasonal_vae.evaluation.statistics import monthly_profile
from seasonal_vae.figures import registry
from seasonal_vae.figures.compute import probe, training
from seasonal_vae.figures.draw import REAL_COLOR, apply_style
from seasonal_vae.figures.draw.evaluation import generator_styles
from seasonal_vae.model.posterior import window_features
from seasonal_vae.model.train import load_model
from seasonal_vae.model.vae import gaussian_nll, kl_diagonal_gaussians
from seasonal_vae.workspace import open_workspace

apply_style()
ws = open_workspace()
model = load_model(ws.path("model"))
print(ws.root, "|", ws.config["data"]["label"])
print(
    f"L = {model.latent_dim} latent features, Fourier degree d = {model.fourier_degree}, "
    f"θ of a latent step taken at its {model.theta_anchor}"
)

# %% [markdown]
# ## Time of year as an angle
#
# θ measures the fraction of the calendar year elapsed, against the length of *that* year:
#
# $$\theta(t) = 2\pi\,\frac{t - t_\text{1 Jan}}{t_\text{1 Jan, next year} - t_\text{1 Jan}}
# \in [0, 2\pi),$$
#
# so it is 0 at 1 January 00:00 local time and reaches just under $2\pi$ at the last hour of
# 31 December, in leap and common years alike (1 July falls at a slightly different angle in
# the two):

# %%
leap = next(y for y in ws.years if calendar.isleap(y))
common = next(y for y in ws.years if not calendar.isleap(y))
stamps = pd.DatetimeIndex(
    [f"{y}-{md}" for y in (common, leap) for md in ("01-01 00:00", "07-01 00:00", "12-31 23:00")]
)
pd.DataFrame({"θ (rad)": theta(stamps), "θ (degrees)": np.degrees(theta(stamps))}, index=stamps).round(4)

# %% [markdown]
# The prior does not see θ itself but its Fourier features of degree $d$,
#
# $$f(\theta) = [\sin\theta, \cos\theta, \sin 2\theta, \cos 2\theta, \dots, \sin d\theta,
# \cos d\theta],$$
#
# which are continuous across New Year. Each latent step gets the θ of one point of its 96
# hours (here its `theta_anchor`). For a training window of the configured length starting
# on 1 January:

# %%
n_steps = ws.config["windows"]["window_hours"] // 96
start = np.datetime64(f"{ws.years[-1]}-01-01T00:00")
step_times = latent_step_times(start, n_steps, 96, model.theta_anchor)
features = seasonal_features([start], n_steps, model.fourier_degree, 96, model.theta_anchor)
print("features:", features.shape, "(windows, latent steps, 2d)")
pd.DataFrame(
    features[0],
    index=pd.DatetimeIndex(step_times).strftime("%m-%d %H:%M"),
    columns=[f"{fn} {k}θ" for k in range(1, model.fourier_degree + 1) for fn in ("sin", "cos")],
).round(3).head(6)

# %%
grid = np.linspace(0.0, 2.0 * np.pi, 365, endpoint=False)
feats = fourier_features(grid, model.fourier_degree)
fig, ax = plt.subplots(figsize=(9, 3))
for j in range(feats.shape[1]):
    ax.plot(np.degrees(grid), feats[:, j], lw=1.2, label=f"{('sin', 'cos')[j % 2]} {j // 2 + 1}θ")
ax.set_xlabel("θ (degrees; 0 = 1 January, 180 ≈ 1 July)")
ax.legend(ncol=6, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
plt.show()

# %% [markdown]
# ## The learned prior $p(z \mid \theta)$
#
# For latent step $i$ with angle $\theta_i$, every latent feature $l$ is an independent
# Gaussian whose mean $m_l$ and log-variance $s_l$ are linear in the Fourier features:
#
# $$p(z_{il} \mid \theta_i) = \mathcal N\!\big(m_l(\theta_i),\, e^{s_l(\theta_i)}\big),
# \qquad [m(\theta), s(\theta)] = f(\theta)\,A,$$
#
# with $A$ the $2d \times 2L$ weights of one bias-free `Dense` layer: trigonometric
# polynomials of degree $d$. Without a bias every feature averages to zero over the year, and
# so do $m$ and $s$: the prior cannot drift away from zero mean and unit (geometric-mean)
# variance as a whole, only vary with the season. The steps are independent given θ; all
# memory from one step to the next lives in the decoder's overlapping receptive fields.

# %%
A = model.prior.get_layer("fourier_coefficients").get_weights()[0]
m, s = probe.prior_moments(model, grid)  # (365, L) each
L = model.latent_dim
print(
    "A:",
    A.shape,
    "| max |f(θ) A − [m, s]| =",
    float(np.abs(feats @ A - np.concatenate([m, s], axis=1)).max()),
)
print(
    "mean over the year of m:",
    float(np.abs(m.mean(axis=0)).max()),
    "| of s:",
    float(np.abs(s.mean(axis=0)).max()),
    "(largest over the features)",
)
pd.DataFrame(
    {
        "m min": m.min(axis=0),
        "m max": m.max(axis=0),
        "std exp(s/2) min": np.exp(s / 2).min(axis=0),
        "std exp(s/2) max": np.exp(s / 2).max(axis=0),
    },
    index=pd.RangeIndex(L, name="feature"),
).round(3)

# %%
print(registry.get("prior").caption)
ws.figure("prior")
plt.show()

# %% [markdown]
# ## The loss: the negative ELBO per input value
#
# The encoder gives a diagonal Gaussian $q(z \mid x) = \prod_{il}\mathcal N(\mu_{il},
# e^{\lambda_{il}})$; the decoder maps $z$ to the mean $\hat x_t$ of every hour, and the data
# are Gaussian around it with **one learned variance** $\sigma^2 = e^{\texttt{noise\_log\_var}}$.
# For a window of $T = 96k$ hours, the evidence lower bound is
#
# $$\log p(x \mid \theta) \ \ge\ \mathbb E_{q}\big[\log p(x \mid z)\big]
# - \mathrm{KL}\big(q(z \mid x)\,\|\,p(z \mid \theta)\big),$$
#
# estimated with one draw $z = \mu + e^{\lambda/2}\varepsilon$, $\varepsilon \sim \mathcal N(0,
# I)$ (the reparameterisation trick). The reconstruction term is the Gaussian negative
# log-likelihood
#
# $$-\log p(x \mid z) = \sum_{t=1}^{T} \tfrac12\Big[\log 2\pi + \log\sigma^2
# + \frac{(x_t - \hat x_t)^2}{\sigma^2}\Big],$$
#
# and the KL divergence between two diagonal Gaussians has the closed form
#
# $$\mathrm{KL} = \tfrac12 \sum_{i=1}^{k}\sum_{l=1}^{L}\Big[s_{il} - \lambda_{il}
# + \frac{e^{\lambda_{il}} + (\mu_{il} - m_{il})^2}{e^{s_{il}}} - 1\Big],
# \qquad m_{il} = m_l(\theta_i),\ s_{il} = s_l(\theta_i).$$
#
# The loss is the sum of both divided by $T$, averaged over the batch. Setting its derivative
# with respect to $\log\sigma^2$ to zero gives $\sigma^2 = \frac1T\sum_t (x_t - \hat x_t)^2$:
# the learned noise variance tracks the mean squared reconstruction error. The data are
# standardised, so the NLL per value can be negative (a density above 1).
#
# The same terms, computed with the package's `gaussian_nll` and `kl_diagonal_gaussians` on
# the validation windows (whole held-out years), beside the model's own `loss_terms` (another
# draw of $z$):

# %%
windows = xr.load_dataset(ws.path("windows"))
sampler = WindowSampler(windows, "val")
x, t0 = sampler.arrays(sampler.starts())
k = x.shape[1] // 96
feats_val = window_features(model, t0, k)
z_mean, z_log_var, z = (np.asarray(a) for a in model.encoder(x, training=False))
x_hat = np.asarray(model.decoder(z, training=False))
prior_mean, prior_log_var = (np.asarray(a) for a in model.prior(feats_val))
nll = np.asarray(gaussian_nll(x, x_hat, model.noise_log_var))  # per window
kl = np.asarray(kl_diagonal_gaussians(z_mean, z_log_var, prior_mean, prior_log_var))
T = x.shape[1]
recon_model, kl_model = (float(v) for v in model.loss_terms(x, feats_val))
print(f"{x.shape[0]} validation windows of {T} hours ({k} latent steps)")
pd.DataFrame(
    {
        "reconstruction (NLL per value)": [nll.mean() / T, recon_model],
        "KL per value": [kl.mean() / T, kl_model],
        "loss": [(nll.mean() + kl.mean()) / T, recon_model + kl_model],
    },
    index=["gaussian_nll + kl_diagonal_gaussians", "model.loss_terms"],
).round(4)

# %% [markdown]
# The learned σ beside the root-mean-square residual of the same reconstructions, in
# standard units and in °F (× the training std of the data):

# %%
rms = float(np.sqrt(np.mean((x - x_hat) ** 2)))
pd.DataFrame(
    {
        "standard units": [model.noise_sigma, rms],
        "°F": [model.noise_sigma * model.data_std, rms * model.data_std],
    },
    index=["learned σ = exp(noise_log_var / 2)", "RMS of x − x̂"],
).round(3)

# %% [markdown]
# ## Training
#
# Adam minimises the loss on the training years' windows (with `windows.random_offsets`, at a
# fresh random phase every epoch); the validation loss is measured on the held-out years after
# each epoch, and the saved model is the one with the lowest validation loss.

# %%
hist = training.read_history(ws.path("history"))
best = int(hist["val_loss"].idxmin())
t = ws.config["training"]
print(
    f"{len(hist)} epochs (Adam, learning rate {t['learning_rate']}, batch {t['batch_size']}); "
    f"best validation loss at epoch {best + 1}"
)
hist.assign(epoch=hist["epoch"] + 1).iloc[[0, best, len(hist) - 1]].set_index("epoch").round(4)

# %%
print(registry.get("training").caption)
ws.figure("training")
plt.show()

# %% [markdown]
# ## Ablation: the same VAE with the $\mathcal N(0, I)$ prior
#
# The pipeline trains a second model, identical but for the prior: $m = 0$, $s = 0$ at every
# step. Its encoder can still put the season into $z$, so it can still reconstruct; what it
# loses is the ability to *generate* a season. Every latent step is drawn from the
# same distribution and decoded by the same convolutions whatever the date, so a generated
# January is distributed like a generated July.

# %%
standard = load_model(ws.path("model", variant="standard"))
m0, s0 = probe.prior_moments(standard, grid)
print(
    standard.prior_kind,
    "prior: max |m|, |s| over the year =",
    float(np.abs(m0).max()),
    float(np.abs(s0).max()),
)
rows = {}
for name, path, net in [
    ("seasonal prior", ws.path("history"), model),
    ("N(0, I) prior", ws.path("history", variant="standard"), standard),
]:
    h = training.read_history(path)
    b = h.loc[h["val_loss"].idxmin()]
    rows[name] = {
        "best epoch": int(b["epoch"]) + 1,
        "val loss": b["val_loss"],
        "val reconstruction": b["val_reconstruction"],
        "val KL": b["val_kl"],
        "noise σ (°F)": net.noise_sigma * net.data_std,
    }
pd.DataFrame.from_dict(rows, orient="index").round(4)

# %% [markdown]
# The monthly means of the paths each model generated over the record's dates (the `sample`
# step), beside the real record's:

# %%
real = load_series(ws.path("series"))
profiles = {"real": monthly_profile(real).to_series()}
for name, variant in [("seasonal prior", "seasonal"), ("N(0, I) prior", "standard")]:
    generated = load_samples(ws.path("samples", variant=variant))[0].astype("float64")
    profiles[name] = monthly_profile(generated.isel(path=0, drop=True)).to_series()
profiles = pd.DataFrame(profiles)
profiles.index = [calendar.month_abbr[mo] for mo in profiles.index]
styles = generator_styles(["vae", "vae_standard_prior"])
ax = profiles.plot(
    figsize=(8, 3.2), marker="o", ms=3, color=[REAL_COLOR, styles["vae"][0], styles["vae_standard_prior"][0]]
)
ax.set_ylabel("monthly mean (°F)")
ax.set_title("Seasonal profile: real, and path 0 of each model")
plt.show()
profiles.round(1).T
