"""Numbers of figure ``strides``: how the strides 3·2·2·2·2·2 make 96 hours per latent step.

The receptive field, jump and offset of every encoder layer from the model's own kernel sizes
and strides (:func:`~seasonal_vae.figures.compute.layers.receptive_fields`), the tree of
input units that feed one latent step, and a perturbation map of the trained encoder on a
real window. Drawn by :mod:`seasonal_vae.figures.draw.strides`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.figures.compute.layers import receptive_fields, receptive_hours, tree_mask
from seasonal_vae.figures.compute.probe import (
    encoder_stack,
    label_attrs,
    load_trained,
    model_attrs,
    perturbation_map,
    read_windows,
)

#: Latent steps of the window whose perturbation map the ``strides`` figure shows.
STRIDES_STEPS = 4


def compute(
    paths: Mapping[str, Path], cfg: dict, n_steps: int = STRIDES_STEPS, highlight: int = 1
) -> xr.Dataset:
    """Receptive fields of the encoder's layers and a perturbation map of the real encoder.

    The layer table comes from the model's own kernel sizes and strides
    (:func:`~.layers.receptive_fields`); the map (:func:`~.probe.perturbation_map`) perturbs
    each hour of the first ``96·n_steps`` hours of the first validation window by ±1
    standard unit and records how much each latent step's posterior mean moves. ``highlight`` is the latent
    step whose tree of inputs the figure draws.
    """
    model = load_trained(paths["model"])
    ds = read_windows(paths["windows"])
    names, kernels, strides = encoder_stack(model)
    hours_per_step = math.prod(strides)
    n_in = hours_per_step * n_steps
    table = receptive_fields(kernels, strides, n_in)
    start = int(ds["val_start"].values[0])
    x = ds["x"].values[start : start + n_in]
    change = perturbation_map(model, x)
    bounds = np.array([receptive_hours(table, len(table) - 1, i, n_in) for i in range(n_steps)])
    mask = tree_mask(table, highlight)
    t0 = pd.Timestamp(ds["time"].values[start])
    data = {col: ("layer", table[col].to_numpy().astype("int64")) for col in table.columns}
    data.update(
        {
            "tree": (("layer", "unit"), mask, {"long_name": f"feeds latent step {highlight}"}),
            "sensitivity": (
                ("hour", "step"),
                change,
                {"long_name": "max |change of posterior mean| for a ±1 change of one hour", "units": "1"},
            ),
            "rf_first": ("step", bounds[:, 0], {"long_name": "first input hour (recursion)"}),
            "rf_last": ("step", bounds[:, 1], {"long_name": "last input hour (recursion)"}),
            "x": ("hour", x.astype("float64"), {"long_name": "standardised input", "units": "1"}),
        }
    )
    return xr.Dataset(
        data,
        coords={
            "layer": np.arange(len(table)),
            "unit": np.arange(n_in),
            "hour": np.arange(n_in),
            "step": np.arange(n_steps),
        },
        attrs={
            **label_attrs(cfg),
            **model_attrs(model, paths["model"]),
            "layer_names": ",".join(["input", *names]),
            "hours_per_step": hours_per_step,
            "highlight": highlight,
            "start": f"{t0:%Y-%m-%d %H:%M}",
            "latent_rf_hours": int(table["rf"].iloc[-1]),
        },
    )
