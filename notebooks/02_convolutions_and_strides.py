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
# # 2 · Convolutions and strides: 96 hours per latent step, on a free time axis
#
# The encoder is a stack of six 1-D convolutions, the decoder six transposed convolutions.
# This notebook opens up the **trained** model: a convolution is a banded, strided matrix and a
# transposed convolution its transpose; the strides 3·2·2·2·2·2 make one latent step per 96
# hours; and since no layer fixes the length of the time axis, one model encodes, decodes and
# generates series of any number of 96-hour steps.
#
# The model, the record and the figures are read from what `snakemake` built (README,
# command 1); the maths is in `seasonal_vae.figures.compute` (`layers`, `probe`), nothing is defined here.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

from seasonal_vae.figures import registry
from seasonal_vae.figures.compute import free_time_axis, layers, probe
from seasonal_vae.figures.draw import GENERATED_COLOR, apply_style
from seasonal_vae.model.posterior import standardise
from seasonal_vae.model.record import load_record, window_starts
from seasonal_vae.model.sample import generate
from seasonal_vae.model.train import load_model
from seasonal_vae.workspace import open_workspace

apply_style()
ws = open_workspace()
model = load_model(ws.path("model"))
record = load_record(ws.path("windows"))  # detrended °F, and the year split
print(ws.root, "|", ws.config["data"]["label"])
print(f"F = {model.filters} filters, L = {model.latent_dim} latent features, {model.prior_kind} prior")

# %% [markdown]
# Every layer's time axis is `None`: the model is defined for any input length. The encoder
# returns the posterior mean and log-variance of $z$ and one draw of it, each of shape
# $(N, k, L)$ for an input of $(N, 96k)$ hours:

# %%
model.encoder.summary()

# %% [markdown]
# ## A convolution is a matrix product
#
# A Keras `Conv1D` with kernel $w_0,\dots,w_{K-1}$, stride $s$ and bias $b$ computes, for one
# input channel and one filter, the cross-correlation
#
# $$y_i = b + \sum_{m=0}^{K-1} w_m\,x_{s i - p + m},$$
#
# where $p$ is the number of zeros `padding="same"` adds on the left (taps that fall on the
# padding drop out). This is $y = Wx + b$ with a banded matrix: row $i$ holds the kernel,
# starting at column $si - p$, so each row is the one above shifted right by $s$ columns. The
# first encoder layer has $K = 5$ and $s = 3$. Here is the filter with the largest kernel, and
# its matrix for one day (24 hours in, 8 values out):

# %%
names, kernels, strides = probe.encoder_stack(model)
conv = model.encoder.get_layer(names[0])
kernel, bias = (np.asarray(a) for a in conv.get_weights())  # (K, 1, F) and (F,)
f = int(np.argmax(np.linalg.norm(kernel[:, 0, :], axis=0)))
w, b = kernel[:, 0, f].astype("float64"), float(bias[f])
n_hours = 24
W = layers.conv_matrix(w, n_hours, strides[0])
print(
    f"layer {names[0]}: kernel {kernel.shape}, stride {strides[0]}; filter {f}: "
    f"taps {np.round(w, 3)}, bias {b:.3f}"
)
print(
    "zeros added by 'same' padding (left, right):",
    layers.same_padding(n_hours, len(w), strides[0]),
    "| W has shape",
    W.shape,
)
with pd.option_context("display.max_columns", n_hours):
    display(pd.DataFrame(W, index=[f"y{i}" for i in range(W.shape[0])]).round(2).replace(0.0, ""))

# %% [markdown]
# Applied to the standardised temperature of one held-out day (the one nearest to 1 July),
# the matrix product equals the Keras layer before its ReLU, to float32 rounding:

# %%
day_starts = window_starts(record, 96)  # midnights of held-out stretches
day = int(day_starts[np.argmin(np.abs(record.times[day_starts].day_of_year - 182))])
x_day = standardise(model, record.adjusted[day : day + n_hours])
y_matrix = W @ x_day + b
pre_activation = probe.linear_clone(conv, (None, None, 1))
y_keras = np.asarray(pre_activation(x_day[None, :, None].astype("float32")))[0, :, f]
print(record.times[day], "| max |W x + b − Conv1D(x)| =", float(np.abs(y_matrix - y_keras).max()))
pd.DataFrame(
    {"W x + b": y_matrix, "Keras Conv1D, no ReLU": y_keras, "after ReLU": np.maximum(y_keras, 0.0)}
).round(4)

# %% [markdown]
# ## The transposed convolution is the transposed matrix
#
# The decoder ends with a `Conv1DTranspose` of kernel 5 and stride 3: it turns $n$ values into
# $3n$. As a matrix it is exactly $W^\top$ for the convolution that maps $3n$ values to $n$:
# column $i$ spreads input $u_i$ over five output hours, and neighbouring columns overlap
# where the kernel is longer than the stride. That the Keras layer *is* this matrix can be
# seen without any algebra: feed it a unit impulse at each input step of one channel and the
# outputs (minus the bias) are the matrix's columns.

# %%
deconv = [layer for layer in model.decoder.layers if isinstance(layer, keras.layers.Conv1DTranspose)][-1]
d_kernel, d_bias = (np.asarray(a) for a in deconv.get_weights())  # (K, 1, C) and (1,)
channels = d_kernel.shape[-1]
c = int(np.argmax(np.linalg.norm(d_kernel[:, 0, :], axis=0)))
n_in = n_hours // int(deconv.strides[0])
T = layers.transposed_conv_matrix(d_kernel[:, 0, c], n_in, int(deconv.strides[0]))
same_as_transpose = np.array_equal(
    T, layers.conv_matrix(d_kernel[:, 0, c], n_in * int(deconv.strides[0]), int(deconv.strides[0])).T
)
impulses = np.zeros((n_in, n_in, channels), dtype="float32")
impulses[np.arange(n_in), np.arange(n_in), c] = 1.0
columns = np.asarray(probe.linear_clone(deconv, (None, None, channels))(impulses))[:, :, 0]
columns = columns - float(d_bias[0])
print(f"layer {deconv.name}: kernel {d_kernel.shape}, stride {deconv.strides[0]}; channel {c}")
print("T equals conv_matrix(...).T:", same_as_transpose, "| T has shape", T.shape)
print("max |impulse responses − columns of T| =", float(np.abs(columns.T - T).max()))

# %%
print(registry.get("conv_matrix").caption)
ws.figure("conv_matrix")
plt.show()

# %% [markdown]
# ## Strides: from hours to 96-hour latent steps
#
# Each layer divides the length by its stride, so the jump between neighbouring units — the
# hours between the inputs they start at — multiplies: $j_l = j_{l-1}\,s_l$, and after the
# sixth layer $j_6 = 3\cdot2\cdot2\cdot2\cdot2\cdot2 = 96$ hours. A unit's receptive field,
# the stretch of input hours it depends on, grows by $(K_l - 1)\,j_{l-1}$ per layer:
#
# $$r_l = r_{l-1} + (K_l - 1)\,j_{l-1}, \qquad r_0 = 1,\ j_0 = 1,$$
#
# and unit $i$ of layer $l$ sees hours $o_l + i\,j_l$ to $o_l + i\,j_l + r_l - 1$, with the
# offset $o_l$ set by the left padding. For a series of four latent steps:

# %%
n_steps = 4
n_in = 96 * n_steps
table = layers.receptive_fields(kernels, strides, n_in)
table.insert(0, "layer", ["input", *names])
table.rename(columns={"jump": "jump (h)", "rf": "receptive field (h)"})

# %% [markdown]
# Latent steps are thus 96 hours apart but see about twice that: each step overlaps half of
# each neighbour. Because windows start at local midnight and 96 is a multiple of 24, every
# unit of every layer keeps one phase of the day. The second layer (jump 6 h) has four units
# per day — the article's "morning, afternoon, evening and night": units $i$ and $i + 4$ see
# the same hours of consecutive days (hour −1 is the left padding zero):

# %%
layer = table.iloc[2]
first_hour = int(layer["offset"]) + int(layer["jump"]) * np.arange(8)
pd.DataFrame(
    {
        "first hour": first_hour,
        "last hour": first_hour + int(layer["rf"]) - 1,
        "starts at local hour": first_hour % 24,
    },
    index=pd.RangeIndex(8, name=f"unit of {layer['layer']}"),
)

# %% [markdown]
# The recursion can be checked on the trained encoder: perturb one input hour at a time (±1
# standard unit) and record which latent steps' posterior means move. The hours that move a
# step lie inside the receptive field the recursion gives (a unit whose ReLU is off can make
# the sensitive stretch shorter, never longer). Here on the first four latent steps of a
# held-out stretch:

# %%
stretch = int(window_starts(record, n_in)[0])
x_stretch = standardise(model, record.adjusted[stretch : stretch + n_in])
change = probe.perturbation_map(model, x_stretch)  # (hours, steps): max |Δ posterior mean|
rows = []
for step in range(n_steps):
    sensitive = np.flatnonzero(change[:, step] > 0)
    first, last = layers.receptive_hours(table, len(table) - 1, step, n_in)
    rows.append(
        {
            "step": step,
            "receptive field (recursion)": f"{first}–{last}",
            "hours that move it": f"{sensitive.min()}–{sensitive.max()}",
            "inside": bool(sensitive.min() >= first and sensitive.max() <= last),
        }
    )
print("stretch starts", record.times[stretch])
pd.DataFrame(rows).set_index("step")

# %%
print(registry.get("strides").caption)
ws.figure("strides")
plt.show()

# %% [markdown]
# ## A free time axis
#
# Nothing in the model depends on $k$: encoding $96k$ hours gives $k$ latent steps and
# decoding $k$ steps gives $96k$ hours. The same model, on 4, 40 and 400 days of the record
# starting at one local midnight (the latest from which the longest fits):

# %%
days = free_time_axis.FREE_AXIS_DAYS
anywhere = np.ones(len(record.times), dtype=bool)
first = int(window_starts(record, 24 * max(days), where=anywhere)[-1])
latents, rows = {}, []
for d in days:
    x = standardise(model, record.adjusted[first : first + 24 * d])[None]
    z = probe.encode_means(model, x)
    x_hat = np.asarray(model.decoder(z, training=False))
    latents[d] = z[0]
    rows.append(
        {
            "days": d,
            "input": x.shape,
            "latent (posterior mean)": z.shape,
            "output": x_hat.shape,
            "reconstruction RMSE (°F)": float(np.sqrt(np.mean((x_hat - x) ** 2))) * model.data_std,
        }
    )
print("from", record.times[first])
pd.DataFrame(rows).set_index("days").round(2)

# %% [markdown]
# A latent step depends only on the input hours of its receptive field, so the shorter
# stretch's latents are those of the longer one, except at its end, where the receptive field
# runs into the zero padding after the last hour instead of into the days that follow:

# %%
short, long_ = min(days[1:]), max(days)
k_short = latents[short].shape[0]
pd.Series(
    np.abs(latents[short] - latents[long_][:k_short]).max(axis=1),
    name=f"max |z({short} d) − z({long_} d)| per step",
).rename_axis("latent step")

# %% [markdown]
# Generation uses the same freedom: `generate` builds θ for as many latent steps as needed,
# draws $z$ from the prior, decodes and trims. Any start hour works (the latent grid starts at
# the local midnight before it) and any length, not only multiples of 96 hours:

# %%
year = ws.years[-1]
for start, hours in [
    (f"{year}-01-01", 96),
    (f"{year}-01-01", 960),
    (f"{year}-01-01", 9600),
    (f"{year}-03-15 15:00", 1000),
]:
    g = generate(model, start, hours, n_paths=3, seed=5)
    print(f"{start:>16}, {hours:>5} h -> {dict(g.sizes)}, from {g.time.values[0]} to {g.time.values[-1]}")

# %%
fig, axes = plt.subplots(len(days), 1, figsize=(10, 2.4 * len(days)), layout="constrained")
for ax, d in zip(axes, days):
    g = generate(model, record.times[first], 24 * d, n_paths=1, seed=d)
    ax.plot(g.time, g.values[0], lw=0.4 if d > 40 else 0.9, color=GENERATED_COLOR)
    ax.set_title(
        f"{d} days generated from {record.times[first]:%Y-%m-%d} "
        f"({24 * d // 96} latent steps, reference-year climate)"
    )
    ax.set_ylabel("°F")
plt.show()

# %%
print(registry.get("free_time_axis").caption)
ws.figure("free_time_axis")
plt.show()
