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
# # 5 · Applications: gap filling, anomaly detection, forecasting
#
# The article names three uses of the trained model besides generating data. All three ask
# the same question: *which latent path explains the hours we have?* This notebook states how
# the package answers it, reads the scores the pipeline computed on the held-out years
# (`impute`, `anomaly` and `forecast` steps), and runs one small example of each by hand on a
# held-out window.
#
# Results are read from what `snakemake` built (README, command 1); the methods are in
# `seasonal_vae.model.posterior` (fitting the latents to observed hours) and
# `seasonal_vae.applications` (`impute`, `fills`, `detectors`, `faults`, `anomaly`, `forecast`).

# %%
import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from IPython.display import Markdown, display

from seasonal_vae.applications import detectors, faults, forecast, impute
from seasonal_vae.applications.fills import climatology_fill, linear_fill
from seasonal_vae.data.climatology import lookup
from seasonal_vae.evaluation.scores import crps_ensemble
from seasonal_vae.figures.draw import GENERATED_COLOR, REAL_COLOR, REFERENCE_COLOR, apply_style
from seasonal_vae.figures.draw.anomaly import anomaly_figure
from seasonal_vae.figures.draw.forecast import forecast_figure
from seasonal_vae.figures.draw.imputation import imputation_figure
from seasonal_vae.figures.draw.methods import METHOD_STYLE
from seasonal_vae.model import posterior
from seasonal_vae.model.record import load_record, training_climatology, window_starts
from seasonal_vae.model.train import load_model
from seasonal_vae.workspace import open_workspace

apply_style()
ws = open_workspace()
cfg = ws.config
apps = cfg["applications"]
label = cfg["data"]["label"]
model = load_model(ws.path("model"))
record = load_record(ws.path("windows"))  # detrended °F, and the year split
print(ws.root, "|", label)
print("held-out years:", ws.split[1])

# %% [markdown]
# ## Conditioning the model on the hours we have
#
# Let $M$ be the set of observed hours of a window that starts at local midnight. With the
# decoder, the noise variance $\sigma_n^2$ and the seasonal prior frozen,
# `posterior.fit_posterior` fits a diagonal Gaussian $q(z) = \mathcal N(\mu,
# \operatorname{diag} e^{\lambda})$ per window by maximising the ELBO of the *observed* values
# only,
#
# $$\mathrm{ELBO}_M = \mathbb E_{q}\Big[\sum_{t \in M}\log\mathcal N\big(x_t \mid
# \mathrm{dec}(z)_t, \sigma_n^2\big)\Big] - \mathrm{KL}\big(q(z)\,\|\,p(z\mid\theta)\big),$$
#
# with Adam and the reparameterisation trick, starting from the encoder applied to the window
# with its gaps filled linearly. Drawing $z \sim q$, decoding and adding the learned noise
# gives an ensemble of complete series that agree with the observations
# (`posterior.condition`):
#
# * **gap filling** keeps the observed hours and takes the ensemble in the gap;
# * **forecasting** is gap filling with the gap at the end: after the last observation, the
#   latents are tied to the data only through the decoder's receptive field (about one 4-day
#   step) and otherwise fall back to the prior;
# * **anomaly detection** needs no fit: the encoder's posterior scores each 4-day block by its
#   negative ELBO per hour (how badly it is reconstructed, plus how unusual its latent is under
#   the prior), standardised by calendar month.
#
# Ensembles are scored with the continuous ranked probability score, for ensemble members
# $x_1, \dots, x_m$ and the truth $y$
#
# $$\mathrm{CRPS} = \frac1m\sum_i |x_i - y| - \frac{1}{2m^2}\sum_{i,j}|x_i - x_j|,$$
#
# in °F; it is the absolute error for a single deterministic fill, so VAE ensembles and
# simple baselines are on one scale (lower is better).

# %% [markdown]
# ## Gap filling
#
# The `impute` step cuts gaps of several lengths at random positions in held-out windows
# and fills them three ways: the VAE ensemble, linear interpolation, and the training years'
# month × hour climatology shifted to the anomaly of the neighbouring observed days. Its
# table:

# %%
display(Markdown(ws.path("imputation_table").read_text(encoding="utf-8")))

# %%
imputation = json.loads(ws.path("imputation_scores").read_text())
pd.DataFrame(
    {
        f"{row['gap_hours']} h": {m: s["crps"] for m, s in row["scores"].items()}
        | {"VAE 90 % coverage": row["vae_coverage_90"]}
        for row in imputation["gaps"]
    }
).round(3)

# %%
imputation_figure(xr.load_dataset(ws.path("imputation")), label)
plt.show()

# %% [markdown]
# ### One gap, by hand
#
# A day-long gap in the middle of a random held-out window of the configured context length,
# filled with an ensemble of the configured size:

# %%
context = apps["imputation"]["context_hours"]
rng = np.random.default_rng(apps["seed"])
first = int(rng.choice(window_starts(record, context)))
hours = np.arange(first, first + context)
truth = record.adjusted[hours][None]
gap = slice(context // 2 - 12, context // 2 + 12)
mask = np.ones_like(truth, dtype=bool)
mask[0, gap] = False
members = impute.impute(
    model,
    truth,
    mask,
    record.times.values[[first]],
    n_members=apps["n_members"],
    n_steps=apps["n_steps"],
    learning_rate=apps["learning_rate"],
    seed=apps["seed"],
)
clim_mean, clim_std = training_climatology(record)
fills = {
    "VAE ensemble mean": members.mean(axis=1),
    "linear": linear_fill(truth, mask),
    "climatology": climatology_fill(truth, mask, lookup(clim_mean, record.times.values[hours][None])),
}
crps = crps_ensemble(truth, members, member_axis=1)
low, high = np.quantile(members, [0.05, 0.95], axis=1)
print(
    f"window {record.times[first]} + {context} h; gap {record.times[hours[gap][0]]} – "
    f"{record.times[hours[gap][-1]]}; {members.shape[1]} members"
)
scores = pd.DataFrame({name: {"MAE (°F)": np.abs(f - truth)[0, gap].mean()} for name, f in fills.items()})
scores.loc["CRPS (°F)"] = [crps[0, gap].mean(), *scores.loc["MAE (°F)"].values[1:]]
print(
    "VAE 90 % interval covers",
    f"{((truth >= low) & (truth <= high))[0, gap].mean():.0%}",
    "of the gap's hours",
)
scores.round(2)

# %%
trend = record.trend(hours)
shown = slice(gap.start - 72, gap.stop + 72)
t = record.times[hours][shown]
fig, ax = plt.subplots(figsize=(10, 3.4))
ax.fill_between(
    t,
    (low[0] + trend)[shown],
    (high[0] + trend)[shown],
    color=GENERATED_COLOR,
    alpha=0.25,
    lw=0,
    label="VAE 5–95 %",
)
for j in range(3):
    ax.plot(t, (members[0, j] + trend)[shown], color=GENERATED_COLOR, lw=0.6, alpha=0.7)
ax.plot(t, (truth[0] + trend)[shown], color=REAL_COLOR, lw=1.6, label="observed (gap: hidden truth)")
ax.plot(
    t,
    (fills["linear"][0] + trend)[shown],
    color=METHOD_STYLE["linear"]["color"],
    lw=1,
    ls="--",
    label="linear",
)
ax.plot(
    t,
    (fills["climatology"][0] + trend)[shown],
    color=METHOD_STYLE["climatology"]["color"],
    lw=1,
    ls=":",
    label="climatology",
)
ax.axvspan(record.times[hours[gap][0]], record.times[hours[gap][-1]], color="0.9", zorder=0)
ax.set_ylabel("°F")
ax.legend(ncol=4, fontsize=8)
plt.show()

# %% [markdown]
# ## Anomaly detection
#
# The `anomaly` step encodes the whole record as one sequence and scores every 4-day block
# (one latent step). It also injects synthetic faults — a stuck sensor, spikes, a shift, a day
# stored in °C — into held-out blocks and measures how well each detector separates faulty
# from clean blocks (ROC AUC; 0.5 is chance, 1 perfect), against a climatological z-score:

# %%
display(Markdown(ws.path("anomaly_table").read_text(encoding="utf-8")))

# %%
scores_anomaly = json.loads(ws.path("anomaly_scores").read_text())
pd.DataFrame(scores_anomaly["auc"]).T.rename(columns=detectors.DETECTOR_LABELS).round(3)

# %%
anomalies = xr.load_dataset(ws.path("anomaly"))
anomaly_figure(anomalies, label)
plt.show()

# %% [markdown]
# ### One window, by hand
#
# Five consecutive 4-day blocks of a held-out stretch; three spikes are injected into the
# middle block and both versions are scored with every detector (`detectors.score_windows`,
# the seasonal standardisation taken from the pipeline's training blocks):

# %%
length = faults.CONTEXT_BLOCKS * 96
first = int(rng.choice(window_starts(record, length)))
idx = np.arange(first, first + length)
clean = record.adjusted[idx]
trend = record.trend(idx)
lo, hi = 2 * 96, 3 * 96
faulty, affected = faults.inject(clean + trend, "spikes", rng, lo, hi)
faulty = faulty - trend
times = record.times.values[idx]
block_scores = detectors.score_windows(
    model,
    np.stack([clean, faulty]),
    times[[0, 0]],
    clim_mean,
    clim_std,
    np.stack([times, times]),
    (anomalies["season_mean"].values, anomalies["season_std"].values),
    apps["anomaly"]["min_observed"],
)
print(
    f"window {record.times[first]} + {length} h; spikes at",
    ", ".join(f"{pd.Timestamp(t):%m-%d %H:00}" for t in times[affected]),
)
pd.DataFrame(
    {
        detectors.DETECTOR_LABELS[d]: {"clean": v[0, 2], "with spikes": v[1, 2]}
        for d, v in block_scores.items()
    }
).T.round(3)

# %%
nll, _, reconstruction = posterior.elbo_terms(
    model, posterior.standardise(model, np.stack([clean, faulty])), np.ones((2, length), bool), times[[0, 0]]
)
fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 4.6), sharex=True)
top.plot(times, faulty + trend, color=REAL_COLOR, lw=1, label="with spikes")
top.plot(
    times,
    posterior.to_degf(model, reconstruction[1]) + trend,
    color=GENERATED_COLOR,
    lw=1,
    label="reconstruction",
)
top.set_ylabel("°F")
top.legend(fontsize=8)
bottom.plot(times, nll[1], color=REAL_COLOR, lw=0.8, label="with spikes")
bottom.plot(times, nll[0], color=REFERENCE_COLOR, lw=0.8, label="clean")
bottom.set_ylabel("hourly score (nats)")
bottom.legend(fontsize=8)
for ax in (top, bottom):
    ax.axvspan(times[lo], times[hi - 1], color="0.92", zorder=0)
plt.show()

# %% [markdown]
# ## Forecasting
#
# The `forecast` step issues forecasts at local midnight on random held-out dates after the
# configured number of observed days, and scores every lead hour against two baselines: the
# training years' trajectories from the same calendar date (climatology) and the last observed
# day repeated (persistence). Scores by lead day:

# %%
display(Markdown(ws.path("forecast_table").read_text(encoding="utf-8")))

# %%
forecast_figure(xr.load_dataset(ws.path("forecast")), label)
plt.show()

# %% [markdown]
# ### One forecast, by hand
#
# From a random held-out midnight, with the configured context and lead:

# %%
f_cfg = apps["forecast"]
ctx, lead = 24 * f_cfg["context_days"], 24 * f_cfg["lead_days"]
issue = int(rng.choice(window_starts(record, ctx + lead))) + ctx
past = record.adjusted[issue - ctx : issue][None]
future = record.adjusted[issue : issue + lead]
ensemble = forecast.forecast(
    model,
    past,
    record.times.values[[issue - ctx]],
    lead,
    n_members=apps["n_members"],
    n_steps=apps["n_steps"],
    learning_rate=apps["learning_rate"],
    seed=apps["seed"],
)[0]
base = forecast.baselines(record, record.times[issue], past[0, -24:], lead)
crps_by = {
    "VAE": crps_ensemble(future, ensemble, member_axis=0),
    "climatology": crps_ensemble(future, base["climatology"], member_axis=0),
    "persistence": crps_ensemble(future, base["persistence_ensemble"], member_axis=0),
}
print(f"issued {record.times[issue]}, {ctx // 24} days of context, {ensemble.shape[0]} members")
pd.DataFrame(
    {name: v.reshape(-1, 24).mean(axis=1) for name, v in crps_by.items()},
    index=pd.RangeIndex(1, lead // 24 + 1, name="lead day"),
).round(2)

# %%
t_past = record.times[issue - 96 : issue]
t_lead = record.times[issue : issue + lead]
trend_past, trend_lead = (
    record.trend(np.arange(issue - 96, issue)),
    record.trend(np.arange(issue, issue + lead)),
)
q_low, q_high = np.quantile(ensemble, [0.05, 0.95], axis=0)
fig, ax = plt.subplots(figsize=(10, 3.4))
ax.plot(t_past, record.adjusted[issue - 96 : issue] + trend_past, color=REAL_COLOR, lw=1.4, label="observed")
ax.plot(t_lead, future + trend_lead, color=REAL_COLOR, lw=1.4, ls="--", label="truth")
ax.fill_between(
    t_lead,
    q_low + trend_lead,
    q_high + trend_lead,
    color=GENERATED_COLOR,
    alpha=0.25,
    lw=0,
    label="VAE 5–95 %",
)
ax.plot(t_lead, ensemble.mean(axis=0) + trend_lead, color=GENERATED_COLOR, lw=1.2, label="VAE ensemble mean")
ax.plot(
    t_lead,
    base["persistence"] + trend_lead,
    color=METHOD_STYLE["persistence"]["color"],
    lw=0.9,
    ls=":",
    label="persistence",
)
ax.axvline(record.times[issue], color="0.5", lw=0.8)
ax.set_ylabel("°F")
ax.legend(ncol=3, fontsize=8)
plt.show()
