"""Numbers of figure ``free_time_axis``: one model on 4, 40 and 400 days.

The same trained model encodes and reconstructs nested real stretches of 4, 40 and 400 days
(latent length ``k`` ↔ ``96·k`` hours) and generates series of the same lengths. Drawn by
:mod:`seasonal_vae.figures.draw.free_time_axis`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.core.errors import InputError
from seasonal_vae.figures.compute.probe import (
    encode_means,
    label_attrs,
    load_trained,
    model_attrs,
    read_windows,
)

#: Lengths (days) of the real stretches and generated series of the ``free_time_axis`` figure.
FREE_AXIS_DAYS = (4, 40, 400)


def _free_axis_start(ds: xr.Dataset, hours: int) -> int:
    """Index of the latest local midnight from which ``hours`` valid hours follow."""
    times = pd.DatetimeIndex(ds["time"].values)
    x = ds["x"].values
    last = len(times) - hours
    candidates = np.flatnonzero((times.hour == 0) & (np.arange(len(times)) <= last))
    valid = ~np.isnan(x)
    for i in candidates[::-1]:
        if valid[i : i + hours].all():
            return int(i)
    raise InputError(
        "windows",
        f"holds no {hours} consecutive valid hours starting at midnight",
        "use a longer record for the free-time-axis figure",
    )


def compute(
    paths: Mapping[str, Path], cfg: dict, days: Sequence[int] = FREE_AXIS_DAYS, seed: int = 11
) -> xr.Dataset:
    """One model on 4, 40 and 400 days: encoded shapes, reconstructions, generated series.

    The real stretches all begin at the same local midnight (the latest one from which the
    longest fits into the record), so they nest. Reconstructions decode the posterior mean.
    Generated series (:func:`seasonal_vae.model.sample.generate`, noise off, trend not re-applied)
    start at the same date, one per length, all from the same model. Temperatures are in
    °F of the detrended record (the climate of the model's reference year).
    """
    from seasonal_vae.model.sample import generate

    model = load_trained(paths["model"])
    ds = read_windows(paths["windows"])
    days = sorted(int(d) for d in days)
    if any(d % 4 for d in days):
        raise ValueError("every length must be a whole number of 4-day latent steps")
    first = _free_axis_start(ds, 24 * days[-1])
    times = ds["time"].values
    data, coords, attrs = {}, {}, {}
    for d in days:
        n = 24 * d
        tag = f"{d}d"
        x = ds["x"].values[first : first + n].astype("float32")
        z = encode_means(model, x[None])
        recon = np.asarray(model.decoder(z, training=False))[0]
        gen = generate(model, pd.Timestamp(times[first]), n, n_paths=1, seed=seed + d, retrend="none")
        to_f = lambda v: v.astype("float64") * model.data_std + model.data_mean  # noqa: E731
        hour, step = f"hour_{tag}", f"step_{tag}"
        coords[f"time_{tag}"] = (hour, times[first : first + n])
        coords[step] = np.arange(z.shape[1])
        data[f"real_{tag}"] = (hour, to_f(x), {"units": "degF"})
        data[f"reconstruction_{tag}"] = (hour, to_f(recon), {"units": "degF"})
        data[f"generated_{tag}"] = (hour, gen.values[0].astype("float64"), {"units": "degF"})
        data[f"z_mean_{tag}"] = ((step, "feature"), z[0].astype("float64"))
        attrs[f"input_shape_{tag}"] = f"(1, {n})"
        attrs[f"latent_shape_{tag}"] = f"(1, {z.shape[1]}, {z.shape[2]})"
        attrs[f"output_shape_{tag}"] = f"(1, {recon.shape[0]})"
        attrs[f"rmse_degF_{tag}"] = float(np.sqrt(np.mean((recon - x) ** 2)) * model.data_std)
    coords["feature"] = np.arange(model.latent_dim)
    t0 = pd.Timestamp(times[first])
    return xr.Dataset(
        data,
        coords=coords,
        attrs={
            **label_attrs(cfg),
            **model_attrs(model, paths["model"]),
            **attrs,
            "days": ",".join(str(d) for d in days),
            "start": f"{t0:%Y-%m-%d %H:%M}",
            "seed": seed,
        },
    )
