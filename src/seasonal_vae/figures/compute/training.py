"""Numbers of figure ``training``: the loss terms and the learned noise σ per epoch.

Read from the ``history.csv`` that training writes beside the model. Drawn by
:mod:`seasonal_vae.figures.draw.training`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.core.errors import InputError
from seasonal_vae.figures.compute.probe import label_attrs, load_trained, model_attrs

HISTORY_COLUMNS = (
    "epoch",
    "kl",
    "loss",
    "noise_sigma",
    "reconstruction",
    "val_kl",
    "val_loss",
    "val_noise_sigma",
    "val_reconstruction",
)


def read_history(path: Path) -> pd.DataFrame:
    """The per-epoch history written by training (one row per epoch, last row of a resumed
    epoch kept)."""
    fix = "rerun training (snakemake train), which writes history.csv beside the model"
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as err:
        raise InputError(path, f"cannot be read as CSV ({err})", fix) from err
    missing = [c for c in HISTORY_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(path, f"lacks the columns {missing}", fix)
    if frame.empty:
        raise InputError(path, "holds no epoch", fix)
    return frame.drop_duplicates("epoch", keep="last").sort_values("epoch").reset_index(drop=True)


def compute(paths: Mapping[str, Path], cfg: dict) -> xr.Dataset:
    """Loss terms per epoch (1-based), the learned noise σ in °F and the best-val epoch."""
    frame = read_history(paths["history"])
    model = load_trained(paths["model"])
    std = model.data_std
    epoch = frame["epoch"].to_numpy().astype("int64") + 1  # Keras logs epochs from 0
    best = int(np.nanargmin(frame["val_loss"].to_numpy()))
    data = {col: ("epoch", frame[col].to_numpy().astype("float64")) for col in HISTORY_COLUMNS[1:]}
    data["noise_sigma_degF"] = (
        "epoch",
        frame["noise_sigma"].to_numpy() * std,
        {"units": "degF", "long_name": "learned noise σ (epoch mean)"},
    )
    data["val_noise_sigma_degF"] = (
        "epoch",
        frame["val_noise_sigma"].to_numpy() * std,
        {"units": "degF", "long_name": "learned noise σ (epoch end)"},
    )
    return xr.Dataset(
        data,
        coords={"epoch": epoch},
        attrs={
            **label_attrs(cfg),
            **model_attrs(model, paths["model"]),
            "best_epoch": int(epoch[best]),
            "best_val_loss": float(frame["val_loss"].iloc[best]),
            "n_epochs": int(epoch[-1]),
            "history": str(paths["history"]),
        },
    )
