"""Numbers of figure ``prior``: the learned seasonal prior and the encoder's posterior means.

The prior's ``m(θ)`` and ``s(θ)`` on a grid of θ, and the posterior mean of every latent step
of every training and validation window placed at its θ. Drawn by
:mod:`seasonal_vae.figures.draw.prior`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import xarray as xr

from seasonal_vae.figures.compute.probe import (
    encode_means,
    label_attrs,
    load_trained,
    model_attrs,
    prior_moments,
    read_windows,
    window_array,
)

#: Number of θ values at which the ``prior`` figure evaluates m(θ) and s(θ).
PRIOR_THETA_POINTS = 361
#: Number of θ bins for the binned mean of the posterior means in the ``prior`` figure.
PRIOR_BINS = 24


def window_thetas(starts: np.ndarray, n_steps: int, anchor: str, hours_per_step: int = 96) -> np.ndarray:
    """θ of each latent step of windows starting at ``starts``: ``(N, n_steps)``."""
    from seasonal_vae.core.calendar import latent_step_times, theta

    origin = np.datetime64(0, "ns")
    offsets = latent_step_times(origin, n_steps, hours_per_step, anchor) - origin
    times = np.asarray(starts, dtype="datetime64[ns]")[:, None] + offsets[None, :]
    return theta(times.ravel()).reshape(times.shape)


def compute(
    paths: Mapping[str, Path], cfg: dict, n_theta: int = PRIOR_THETA_POINTS, n_bins: int = PRIOR_BINS
) -> xr.Dataset:
    """The prior's m(θ) and s(θ) on a θ grid, and the posterior means of every window.

    ``s`` is the log-variance; the prior's standard deviation is ``exp(s/2)``. Every training
    and validation window of the windows file is encoded; each latent step's posterior mean
    is placed at the θ of its step (centre or start, as the model's ``theta_anchor``).
    """
    model = load_trained(paths["model"])
    ds = read_windows(paths["windows"])
    theta_grid = np.linspace(0.0, 2.0 * np.pi, n_theta)
    m, s = prior_moments(model, theta_grid)
    hours = int(ds.attrs["window_hours"])
    n_steps = hours // 96
    starts, split = [], []
    for code, name in ((1, "train"), (2, "val")):
        st = ds[f"{name}_start"].values.astype(np.int64)
        starts.append(st)
        split.append(np.full(st.size, code, dtype="int8"))
    starts, split = np.concatenate(starts), np.concatenate(split)
    z = encode_means(model, window_array(ds, starts, hours))  # (N, k, L)
    th = window_thetas(ds["time"].values[starts], n_steps, model.theta_anchor)
    points_theta = th.ravel()
    points_z = z.reshape(-1, z.shape[-1]).astype("float64")
    edges = np.linspace(0.0, 2.0 * np.pi, n_bins + 1)
    which = np.clip(np.digitize(points_theta, edges) - 1, 0, n_bins - 1)
    binned = np.full((n_bins, z.shape[-1]), np.nan)
    for b in range(n_bins):
        if (which == b).any():
            binned[b] = points_z[which == b].mean(axis=0)
    return xr.Dataset(
        {
            "m": (("theta", "feature"), m, {"long_name": "prior mean m(θ)"}),
            "s": (("theta", "feature"), s, {"long_name": "prior log-variance s(θ)"}),
            "prior_std": (
                ("theta", "feature"),
                np.exp(s / 2),
                {"long_name": "prior standard deviation exp(s(θ)/2)"},
            ),
            "z_mean": (
                ("point", "feature"),
                points_z,
                {"long_name": "encoder posterior mean of one latent step"},
            ),
            "point_theta": ("point", points_theta),
            "point_split": (
                "point",
                np.repeat(split, n_steps),
                {"flag_values": [1, 2], "flag_meanings": "training validation"},
            ),
            "binned_mean": (
                ("theta_bin", "feature"),
                binned,
                {"long_name": "mean of the posterior means per θ bin"},
            ),
        },
        coords={
            "theta": theta_grid,
            "feature": np.arange(model.latent_dim),
            "theta_bin": 0.5 * (edges[:-1] + edges[1:]),
        },
        attrs={
            **label_attrs(cfg),
            **model_attrs(model, paths["model"]),
            "theta_anchor": model.theta_anchor,
            "n_windows": int(starts.size),
            "n_train_windows": int((split == 1).sum()),
            "n_val_windows": int((split == 2).sum()),
            "steps_per_window": n_steps,
        },
    )
