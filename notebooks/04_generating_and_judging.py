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
# # 4 · Generating temperature, and judging it
#
# Generating is sampling the prior and decoding: pick a start, a length, a number of paths
# and a climate. Judging is harder than looking. This notebook first generates a few series
# and compares the pipeline's generated record with the real one the way the article does
# (seasonal and diurnal profiles, autocorrelation, sample paths), then reads the metric
# suite: every statistic measured on the **held-out years** against generated data on the
# same dates, beside the **noise floor** (the same statistic between two sets of real years)
# and beside two **baselines** a user could choose instead of the VAE.
#
# Everything is read from what `snakemake` built (README, command 1); numbers quoted below
# are printed from those files, so they change with the build.

# %%
import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from IPython.display import Markdown, display

from seasonal_vae.core.io import load_samples
from seasonal_vae.data.detrend import trend_offset
from seasonal_vae.data.series import load_series
from seasonal_vae.evaluation import metrics_table
from seasonal_vae.evaluation.metrics_table import read_metrics
from seasonal_vae.evaluation.years import floor_splits, usable_years
from seasonal_vae.figures import registry
from seasonal_vae.figures.draw import GENERATED_COLOR, REAL_COLOR, apply_style
from seasonal_vae.figures.draw.evaluation import evaluation_figure, generator_styles
from seasonal_vae.model.sample import climate_description, generate
from seasonal_vae.model.train import load_model
from seasonal_vae.workspace import open_workspace

apply_style()
ws = open_workspace()
cfg = ws.config
model = load_model(ws.path("model"))
real = load_series(ws.path("series"))
train_years, holdout_years = ws.split
print(ws.root, "|", cfg["data"]["label"])
print(f"{len(train_years)} training years, held out: {holdout_years}")

# %% [markdown]
# ## Any start, any length, any climate
#
# `generate` computes θ for each 96-hour latent step from the real calendar, draws
# $z \sim p(z \mid \theta)$, decodes, and undoes the standardisation. Observation noise
# $\mathcal N(0, \sigma^2)$ with the learned σ is optional (the article's figures show the
# decoder mean). Here ten days from a summer morning of the last held-out year, four
# independent paths, put back on the warming trend at their own dates, beside the real
# record of those days; below, the first three days of path 0 with noise added:

# %%
year = holdout_years[-1]
start = pd.Timestamp(f"{year}-07-20 06:00")
hours = 24 * 10
smooth = generate(model, start, hours, n_paths=4, seed=3, retrend="dates")
noisy = generate(model, start, hours, n_paths=1, noise=True, seed=3, retrend="dates")
observed = real.sel(time=smooth.time)
fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 5.4), height_ratios=[3, 2])
top.plot(observed.time, observed, color=REAL_COLOR, lw=1.6, label=f"real {year}")
for p in smooth.path.values:
    top.plot(
        smooth.time,
        smooth.sel(path=p),
        color=GENERATED_COLOR,
        lw=0.9,
        alpha=0.7,
        label="generated (decoder mean)" if p == 0 else None,
    )
first_days = slice(0, 72)
bottom.plot(
    smooth.time[first_days],
    smooth[0, first_days],
    color=GENERATED_COLOR,
    lw=1.4,
    label="path 0, decoder mean",
)
bottom.plot(
    noisy.time[first_days], noisy[0, first_days], color="black", lw=0.7, label="path 0 with noise N(0, σ²)"
)
for ax in (top, bottom):
    ax.set_ylabel("°F")
    ax.legend(ncol=2, fontsize=8)
plt.show()
print(
    smooth.attrs["long_name"],
    dict(smooth.sizes),
    "| learned noise σ =",
    round(model.noise_sigma * model.data_std, 2),
    "°F",
)

# %% [markdown]
# The model itself lives in the climate of its reference year (the trend was removed before
# training). The same draw (same seed) can stay there, go back on the trend at each date, or
# be moved whole into any year's climate; the three differ only by the trend's offset, which
# `detrend.trend_offset` gives:

# %%
base = generate(model, start, hours, n_paths=1, seed=3, retrend="none")
rows = []
for choice in ("none", "dates", ws.years[0], ws.years[-1]):
    g = generate(model, start, hours, n_paths=1, seed=3, retrend=choice)
    offset = (g - base).values[0]
    rows.append(
        {
            "retrend": str(choice),
            "climate": climate_description(model, choice),
            "offset (°F), mean": offset.mean(),
            "offset, max − min": np.ptp(offset),
        }
    )
print(
    "trend_offset at the first hour:",
    round(
        float(
            trend_offset(pd.DatetimeIndex([start]), model.trend_rate_per_decade, model.trend_reference_year)[
                0
            ]
        ),
        3,
    ),
    "°F",
)
pd.DataFrame(rows).set_index("retrend").round(3)

# %% [markdown]
# ## The generated record against the real one
#
# The `sample` step generated paths over exactly the real record's dates, in the climate
# printed below. The article's result figure compares them through the seasonal profile, the
# diurnal profile and lag-1 regression slopes; `compare` writes those numbers beside the
# article's:

# %%
samples, sample_attrs = load_samples(ws.path("samples"))
print(f"{samples.sizes['path']} paths; {sample_attrs['climate']}; noise {sample_attrs['noise']}")
display(Markdown(ws.path("comparison_table").read_text(encoding="utf-8")))

# %%
summary = json.loads(ws.path("comparison").read_text())
pd.DataFrame(
    {
        "real": summary["lag1_slopes"]["real"],
        "generated": summary["lag1_slopes"]["generated"],
        "article, real": summary["article"]["lag1_slopes"]["real"],
        "article, generated": summary["article"]["lag1_slopes"]["generated"],
    }
).round(3)

# %% [markdown]
# The figures go further than the article: spreads, per-month diurnal cycles and the whole
# autocorrelation function.

# %%
for name in ("seasonal", "diurnal", "acf", "samples"):
    print(f"{name}: {registry.get(name).caption}")
    ws.figure(name)
    plt.show()

# %% [markdown]
# ## Judging: the metric suite
#
# Profiles that look alike say little: a generator can match the mean seasonal cycle and
# still get the persistence, the extremes or the year-to-year variability wrong. The
# `evaluate` step computes a suite of **distances** (0 is ideal for each, and each is
# symmetric in its two arguments) between
#
# * the **target**: the real record over the held-out years (whole calendar years, never seen
#   in training), and
# * each **generator**'s path 0 on the same hours: the VAE's samples (decoder mean, and the
#   same paths with observation noise), its $\mathcal N(0, I)$-prior ablation and the two
#   baselines below — the columns of the table further down.
#
# Families: the month × hour climatology of mean and std; monthly distributions and
# summer/winter percentiles; persistence (autocorrelation of deseasonalised anomalies over
# 1–72 hours and 1–30 days, and the article's lag-1 slopes); the daily range; hot spells;
# year-to-year variability of monthly means; and a two-sample classifier that tries to tell
# real weeks from generated ones (scored as $|\text{accuracy} - 0.5|$ and
# $|\text{AUROC} - 0.5|$).
#
# ### The noise floor
#
# Two different sets of *real* years are not identical either: weather varies from year to
# year. The floor of a metric is its value between two **disjoint** sets of real years of the
# held-out size, with the second set put on the first set's dates (same month, day and hour,
# trend of the first set's dates). It is computed over many such splits: the systematic ones
# (pairs of the year classes used for holding out, each spread over the record like the
# held-out set) and random ones. The table reports the floor's median and 95th percentile;
# for a generator,
#
# $$\text{ratio} = \frac{\text{metric(held-out years, generator)}}{\text{median over splits of
# metric(real years A, real years B)}},$$
#
# so 1 means "as far from the held-out years as another set of real years is", and a
# generator is *within the floor* when its value is at most the floor's 95th percentile.
# The splits of this configuration:

# %%
e = cfg["evaluation"]
usable = usable_years(real, ws.years)
splits = floor_splits(
    usable, len(holdout_years), e["n_splits"], e["seed"], stride=cfg["windows"]["holdout_every"]
)
floor = pd.read_csv(ws.path("metrics_floor"))
print(
    f"{len(splits)} splits of {len(holdout_years)} vs {len(holdout_years)} of the "
    f"{len(usable)} usable years; the floor file holds {floor['split'].nunique()}"
)
pd.DataFrame([{"years A": " ".join(map(str, a)), "years B": " ".join(map(str, b))} for a, b in splits[:4]])

# %% [markdown]
# ### The baselines
#
# * **Harmonic + AR** (`harmonic_ar.HarmonicAR`): the mean and the log-variance are regressions
#   on Fourier features of the time of year and the hour of day, with their products (so the
#   daily cycle can change with the season); the standardised residuals are an AR($p$)
#   process, $p$ chosen by AIC. It is the classical weather-generator recipe.
# * **Bootstrap of years** (`bootstrap.bootstrap_years`): every generated year is a whole real
#   training year drawn at random, put on the target year's calendar and shifted into the
#   target dates' climate. It is real weather, so it is hard to beat on most statistics, but
#   it can only repeat the years it has seen.
#
# Both are fitted on the training years only. What the fitted baselines recorded:

# %%
for key in ("harmonic_ar", "bootstrap"):
    attrs = xr.open_dataset(ws.path("baseline", method=key)).attrs
    detail = (
        f"AR order {attrs['ar_order']} (max {attrs['ar_maxlag']}), innovation std "
        f"{float(attrs['innovation_std']):.3f}"
        if key == "harmonic_ar"
        else f"path 0 drew the years {attrs['drawn_years_path0'][:60]}…"
    )
    print(f"{key}: {attrs['method']}\n    {detail}")

# %% [markdown]
# One held-out week, real and every generator on the same dates:

# %%
week = slice(f"{holdout_years[0]}-08-01", f"{holdout_years[0]}-08-07 23:00")
styles = generator_styles(["vae", "vae_standard_prior", "harmonic_ar", "bootstrap"])
fig, ax = plt.subplots(figsize=(10, 3.4))
ax.plot(real.sel(time=week).time, real.sel(time=week), color="black", lw=2, label="real")
for (key, wildcards), name in [
    (("samples", {"variant": "seasonal"}), "vae"),
    (("samples", {"variant": "standard"}), "vae_standard_prior"),
    (("baseline", {"method": "harmonic_ar"}), "harmonic_ar"),
    (("baseline", {"method": "bootstrap"}), "bootstrap"),
]:
    generated = load_samples(ws.path(key, **wildcards))[0].astype("float64")
    g = generated.isel(path=0).sel(time=week)
    ax.plot(g.time, g, color=styles[name][0], lw=1.0, label=styles[name][2])
ax.set_ylabel("°F")
ax.legend(ncol=3, fontsize=8)
plt.show()

# %% [markdown]
# ### The table
#
# The metrics table as the `evaluate` step wrote it (`figures/metrics.md`):

# %%
display(Markdown(ws.path("metrics_table").read_text(encoding="utf-8")))

# %% [markdown]
# The same numbers from `results/metrics.csv`, as ratios to the floor median, and how many
# metrics each generator has within the floor:

# %%
table = read_metrics(ws.path("metrics"))
generators = list(dict.fromkeys(table["generator"]))
print("generators judged:", ", ".join(generators))
ratios = table.pivot(index="metric", columns="generator", values="ratio")
ratios = ratios.loc[list(dict.fromkeys(table["metric"])), generators]
ratios.index = table.drop_duplicates("metric").set_index("metric").loc[ratios.index, "label"]
overview = metrics_table.summary(table)
display(overview.round(2))
ratios.round(2)

# %%
for g, row in overview.iterrows():
    print(
        f"{g}: {int(row['metrics within the floor'])} of {int(row['metrics'])} metrics within "
        f"the floor; median ratio {row['median ratio']:.2f}×"
    )

# %%
fig = evaluation_figure(table, floor, cfg["data"]["label"])
plt.show()

# %% [markdown]
# ## The same judgement on a real record
#
# Everything above is measured on the surrogate. The workflow builds a second data set beside
# it through the same rules: the AZMET Phoenix Greenway station, 2003–2017 (a real hourly
# record, `data/greenway/`; `results/greenway/`, `figures/greenway/`). With 15 years, every fifth
# held out, the held-out set has 3 years, so the floor compares sets of 3 real years: it is
# wider than the surrogate's 10-year floor, and a generator is judged more leniently.

# %%
station = ws.for_dataset("greenway")
print(station.config["data"]["label"], "| held out:", station.split[1])
display(Markdown(station.path("comparison_table").read_text(encoding="utf-8")))
display(Markdown(station.path("metrics_table").read_text(encoding="utf-8")))

# %%
both = pd.concat(
    {
        name: metrics_table.summary(read_metrics(w.path("metrics")))
        for name, w in (("surrogate", ws), ("greenway", station))
    },
    axis=1,
)
both.round(2)
