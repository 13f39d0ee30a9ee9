"""Numbers of figure ``graphical_model``: what the graphical model θ → z → x prints.

Drawn by :mod:`seasonal_vae.figures.draw.graphical_model`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import xarray as xr

from seasonal_vae.figures.compute.probe import encoder_stack, label_attrs, load_trained, model_attrs


def compute(paths: Mapping[str, Path], cfg: dict) -> xr.Dataset:
    """The numbers the graphical model prints: σ (°F), L, the Fourier degree, the prior kind."""
    model = load_trained(paths["model"])
    strides = encoder_stack(model)[2]
    return xr.Dataset(
        {
            "noise_sigma_degF": (
                (),
                model.noise_sigma * model.data_std,
                {"long_name": "learned observation noise std", "units": "degF"},
            )
        },
        attrs={
            **label_attrs(cfg),
            **model_attrs(model, paths["model"]),
            "hours_per_step": math.prod(strides),
            "noise_variance_degF2": (model.noise_sigma * model.data_std) ** 2,
            "theta_anchor": model.theta_anchor,
        },
    )
