"""The two weather generators a user could pick instead of the VAE, run on the detrended record.

**Harmonic + AR** (``harmonic_ar``: :class:`seasonal_vae.model.harmonic_ar.HarmonicAR`): a
harmonic mean and log-variance in time of year × hour of day (with interactions), and AR(p)
standardised residuals with p by AIC. **Block bootstrap of whole years** (``bootstrap``:
:func:`seasonal_vae.model.bootstrap.bootstrap_years`): each generated calendar year is a whole
training year put on the target year's calendar.

Both work in the reference-year climate of the detrended record (``results/detrended.nc``)
and put the warming trend back at the dates they generate (:func:`seasonal_vae.data.detrend.retrend`),
so their output is comparable with the observed record and with the VAE's samples
(``sampling.retrend: dates``).

:func:`simulate_baseline` runs either on the detrended file and :func:`write_baseline` writes it,
with the settings of the configuration, as netCDF in the layout of the VAE's samples: ``t2m``
with dims ``(path, time)`` in °F over exactly the dates of the input series (the whole record).
:data:`METHODS` names the generators; importing it stays light (no statsmodels), for the
workflow's rules and the command line.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.core.config import split_years
from seasonal_vae.core.errors import InputError
from seasonal_vae.core.io import open_checked
from seasonal_vae.model.bootstrap import bootstrap_years, complete_years
from seasonal_vae.model.harmonic_ar import HarmonicAR
from seasonal_vae.model.samples_file import samples_dataset, write_samples_file

log = logging.getLogger(__name__)

#: Generators this module provides, by the name used on the command line.
METHODS = ("harmonic_ar", "bootstrap")

DETRENDED_FIX = "pass results/detrended.nc, as written by the detrend step"


def _trend_settings(ds: xr.Dataset, path: Path) -> tuple[float, int]:
    try:
        return float(ds.attrs["trend_rate_per_decade"]), int(ds.attrs["trend_reference_year"])
    except KeyError as err:
        raise InputError(path, f"has no attribute {err} (the trend that was removed)", DETRENDED_FIX) from err


def simulate_baseline(
    method: str,
    detrended_path: str | Path,
    train_years,
    n_paths: int,
    seed: int,
    maxlag: int,
    data_label: str = "",
) -> xr.Dataset:
    """Fit a baseline on the training years and simulate it over the whole record's dates.

    Parameters
    ----------
    method
        ``"harmonic_ar"`` or ``"bootstrap"``.
    detrended_path
        ``results/detrended.nc``: the detrended record, with the trend settings in its
        attributes (used to put the trend back at each generated date).
    train_years
        Years the baseline may learn from (the held-out years must not be among them).
    n_paths, seed
        Number of independent paths and the random seed.
    maxlag
        Largest AR order of :class:`HarmonicAR` (ignored by the bootstrap).
    data_label
        What the training data are, recorded in the file.

    Returns
    -------
    xarray.Dataset
        ``t2m`` (path, time) in °F on the record's time axis, the layout of
        ``results/samples/*.nc``, with the settings and what was fitted as attributes.
    """
    if method not in METHODS:
        raise InputError("baseline method", f"unknown method {method!r}", f"use one of {METHODS}")
    # imported here, not at the top: data.detrend imports statsmodels (over a second), which
    # the importers of METHODS (the workflow's rules, the command line) do not need
    from seasonal_vae.data.detrend import retrend

    detrended_path = Path(detrended_path)
    ds_in = open_checked(detrended_path, DETRENDED_FIX)
    rate, ref = _trend_settings(ds_in, detrended_path)
    adjusted = ds_in["t2m"].astype("float64")
    times = adjusted["time"].values
    years_present = set(adjusted["time"].dt.year.values.tolist())
    train_years = [int(y) for y in train_years if y in years_present]
    if not train_years:
        raise InputError(
            detrended_path,
            "holds none of the training years",
            "check data.first_year/last_year against the detrended record",
        )
    train_mask = adjusted["time"].dt.year.isin(train_years)
    if method == "harmonic_ar":
        model = HarmonicAR(maxlag=maxlag)
        model.fit(adjusted.where(train_mask))
        values = model.simulate(times, n_paths=n_paths, seed=seed)
        attrs = {
            "method": "harmonic regression of mean and log-variance in time of year x hour "
            "of day (with interactions), AR(p) standardised residuals, p by AIC",
            "annual_harmonics": model.annual,
            "diurnal_harmonics": model.diurnal,
            "ar_maxlag": maxlag,
            "ar_order": model.order,
            "ar_coefficients": " ".join(f"{c:.6g}" for c in model.ar_coefs),
            "innovation_std": float(np.sqrt(model.innovation_var)),
        }
    else:
        sources = complete_years(adjusted, train_years)
        if not sources:
            raise InputError(
                detrended_path,
                "has no complete training year to resample",
                "use a record with at least one whole local calendar year for training",
            )
        values, drawn = bootstrap_years(adjusted, sources, times, n_paths=n_paths, seed=seed)
        target_years = np.unique(pd.DatetimeIndex(times).year)
        attrs = {
            "method": "block bootstrap of whole training years, mapped onto each target "
            "year's calendar (a missing 29 Feb repeats 28 Feb) and shifted into "
            "the target dates' climate",
            "source_years": " ".join(map(str, sources)),
            "target_years": " ".join(map(str, target_years.tolist())),
            "drawn_years_path0": " ".join(map(str, drawn[0].tolist())),
        }
    da = xr.DataArray(
        values, dims=("path", "time"), coords={"path": np.arange(n_paths), "time": times}, name="t2m"
    )
    da = retrend(da, rate, ref).astype("float32").rename("t2m")
    da.attrs = {
        "units": "degF",
        "standard_name": "air_temperature",
        "long_name": f"2 m air temperature from the {method} baseline",
    }
    return samples_dataset(
        da,
        {
            "title": f"Synthetic hourly 2 m temperature from the {method} baseline",
            "generator": method,
            "seed": seed,
            "n_paths": n_paths,
            "retrend": "dates",
            "climate": f"trend of {rate} degF/decade re-applied at each timestamp",
            "train_years": " ".join(map(str, train_years)),
            "training_data": data_label,
            "source": str(detrended_path),
            **attrs,
            "comment": "time is local standard time, as in the observed series",
        },
    )


def write_baseline(method: str, detrended_path: str | Path, out_path: str | Path, cfg: dict) -> xr.Dataset:
    """:func:`simulate_baseline` with the settings of the configuration, written as netCDF.

    ``method`` and ``detrended_path`` as there; ``out_path`` is written atomically. ``cfg`` is
    the validated configuration: the training years from ``data.first_year``/``last_year``
    and ``windows.holdout_every``/``holdout_offset``; ``sampling.n_paths``;
    ``evaluation.seed`` and ``baseline_maxlag``; ``data.label``. Returns what was written.
    """
    d, w = cfg["data"], cfg["windows"]
    train_years, _ = split_years(
        range(d["first_year"], d["last_year"] + 1), w["holdout_every"], w["holdout_offset"]
    )
    out = simulate_baseline(
        method,
        detrended_path,
        train_years,
        cfg["sampling"]["n_paths"],
        cfg["evaluation"]["seed"],
        cfg["evaluation"]["baseline_maxlag"],
        d["label"],
    )
    write_samples_file(out, out_path)
    log.info("wrote %d %s paths of %d hours to %s", out.sizes["path"], method, out.sizes["time"], out_path)
    return out
