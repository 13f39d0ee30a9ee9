"""Real and generated series side by side: the inputs of the figures that compare them.

The real series is 1-D along ``time`` (hourly, local standard time, °F, NaN allowed); the
generated paths are 2-D ``(path, time)`` on the same hours. :func:`align` puts both on their
common hours and masks the generated paths where the real series is missing, so that both
statistics cover the same hours; :func:`load_pair` reads the two files and aligns them;
:func:`provenance` says in a figure's attributes which generated data it shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import xarray as xr

from seasonal_vae.core.errors import InputError
from seasonal_vae.core.io import load_samples
from seasonal_vae.data.series import load_series


def align(real: xr.DataArray, generated: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
    """Real and generated on their common hours; generated masked where real is missing.

    Parameters
    ----------
    real
        1-D hourly series along ``time``.
    generated
        ``(path, time)`` generated paths.

    Raises
    ------
    ValueError
        If the two share no valid hour.
    """
    if real.dims != ("time",) or generated.dims != ("path", "time"):
        raise ValueError(
            f"expected real on ('time',) and generated on ('path', 'time'), got "
            f"{real.dims} and {generated.dims}"
        )
    real, generated = xr.align(real.astype("float64"), generated.astype("float64"), join="inner")
    if int(real.notnull().sum()) == 0:
        raise ValueError("the real and generated series share no valid hour")
    return real, generated.where(real.notnull())


def load_pair(paths: Mapping[str, Path]) -> tuple[xr.DataArray, xr.DataArray, dict]:
    """The real series and the generated paths on their common hours, and the samples' attributes.

    ``paths`` holds the ``series`` and ``samples`` files of the pipeline.
    """
    real = load_series(paths["series"])
    generated, attrs = load_samples(paths["samples"])
    try:
        real, generated = align(real, generated.astype("float64"))
    except ValueError as exc:
        raise InputError(
            paths["samples"],
            f"cannot be compared with {paths['series']}: {exc}",
            "generate samples over the real record's dates (the sample step)",
        ) from exc
    return real, generated, attrs


def provenance(attrs: dict, samples_path: Path, n_paths: int) -> dict:
    """Attributes saying which generated data a figure shows (netCDF-safe strings)."""
    return {
        "samples_file": Path(samples_path).name,
        "n_paths": int(n_paths),
        "noise": str(attrs.get("noise", "unknown")),
        "seed": str(attrs.get("seed", "unknown")),
        "retrend": str(attrs.get("retrend", "unknown")),
    }


def as_2d(generated: xr.DataArray) -> np.ndarray:
    """The generated paths as a ``(path, time)`` array."""
    return generated.transpose("path", "time").values
