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
# # 1 · The data: hourly 2 m temperature at Phoenix, and its warming trend
#
# The article trains on 50 years (1974–2023) of hourly **ERA5** 2 m air temperature at the grid
# point nearest Phoenix, Arizona. ERA5 is ECMWF's fifth-generation global reanalysis: a weather
# model constrained by observations, on a 0.25° grid, every hour since 1940, distributed by the
# Copernicus Climate Data Store (CDS). This notebook shows how the pipeline turns the CDS files
# into the series the model learns from, and how it removes (and puts back) the warming trend.
#
# Everything here is read from what `snakemake` built (README, command 1) or computed with the
# `seasonal_vae` package; nothing is defined in the notebook.
#
# > With the bundled default data, "ERA5" below is a **surrogate** in the exact CDS layout
# > (`data/README.md` says how it was made and why); with a CDS key the same cells show ERA5.

# %%
import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from seasonal_vae.data import cds
from seasonal_vae.data.detrend import detrend, retrend, trend_offset
from seasonal_vae.data.series import load_series
from seasonal_vae.evaluation import statistics as stats
from seasonal_vae.figures import registry
from seasonal_vae.figures.draw import apply_style
from seasonal_vae.workspace import open_workspace

apply_style()
ws = open_workspace()
cfg = ws.config
print(ws.root, "|", cfg["data"]["label"])

# %% [markdown]
# ## One request per year
#
# The CDS is asked for one calendar year (UTC) at a time, for a box of ±0.01° around the site, so
# that exactly one grid point comes back. This is the request for 1974:

# %%
cfg["site"], cds.build_request(1974, cfg["site"]["area"])

# %% [markdown]
# ## Units, local time, gaps and leap years
#
# ERA5 stores kelvin on a UTC time axis. The `series` step converts to °F,
# $T_{°F} = (T_K - 273.15)\cdot 9/5 + 32$, and shifts to **local standard time** with a fixed
# offset (Phoenix keeps UTC−7 all year: Arizona does not observe daylight saving), so that hour
# 15 is mid-afternoon in every season. It checks the axis is hourly, drops exact duplicates, fills
# gaps of at most `data.max_gap_hours` by linear interpolation and refuses longer ones unless
# told otherwise. Leap days are kept: the time of year θ is computed from the real calendar.

# %%
series = load_series(ws.path("series"))
print(series.attrs.get("units"), "|", series.attrs.get("comment", ""))
print(
    f"{series.sizes['time']:,} hours from {series.time.values[0]} to {series.time.values[-1]} "
    f"(local), {int(series.isnull().sum())} missing"
)
hours_per_year = series.groupby("time.year").count().to_series()
hours_per_year.loc[[1976, 1977, 2000, 2023]] if 2000 in hours_per_year else hours_per_year.head()

# %% [markdown]
# Because the files are UTC calendar years, local time starts at 17:00 on 31 December of the
# year before the first one. A week of the series, with its diurnal cycle:

# %%
week = series.sel(time=slice(f"{ws.years[-1]}-07-01", f"{ws.years[-1]}-07-07"))
ax = week.plot(figsize=(9, 3), color="C0")
plt.ylabel("2 m temperature (°F)")
plt.title(f"First week of July {ws.years[-1]}, local standard time")
plt.show()

# %% [markdown]
# ## The warming trend
#
# Phoenix warmed over the 50 years. A model trained on the raw record would learn the average
# climate of 1974–2023 and smear the trend into its noise. Like the article, the pipeline moves
# every hour into the climate of one **reference year** before training. Instead of the article's
# whole-year steps it uses a continuous ramp,
#
# $$\tilde x_t = x_t - r\,(t - t_\mathrm{ref}),$$
#
# with $t$ in decimal years (leap years exact), $r$ the configured rate in °F per year and
# $t_\mathrm{ref}$ the middle of the reference year. It is affine, so putting the trend back,
# $x_t = \tilde x_t + r\,(t - t_\mathrm{ref})$, is exact — the generated series are re-trended at
# their own dates, or moved into the climate of any year.
#
# The detrend step also fits the rate to the yearly means (OLS) as a check on the configured one:

# %%
report = json.loads(ws.path("trend").read_text())
report

# %%
print(registry.get("trend").caption)
ws.figure("trend")
plt.show()

# %% [markdown]
# The inverse is exact to floating-point precision, for any timestamps:

# %%
rate, ref = cfg["detrend"]["rate_per_decade"], cfg["detrend"]["reference_year"]
back = retrend(detrend(series, rate, ref), rate, ref)
print("max |retrend(detrend(x)) - x| =", float(np.abs(back - series).max()), "°F")
print(
    "offset removed from 1 Jan",
    ws.years[0],
    ":",
    round(float(trend_offset(pd.DatetimeIndex([f"{ws.years[0]}-01-01"]), rate, ref)[0]), 2),
    "°F",
)

# %% [markdown]
# ## The statistics the article quotes
#
# The article checks generated data with three numbers: the lag-1 regression slopes of hourly
# values, of daily means and of monthly means. For the (re-trended) record they are:

# %%
pd.Series(stats.lag1_slopes(series)).round(3)
