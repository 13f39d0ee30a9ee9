"""Checked input: the one way every stage reads a netCDF file the pipeline wrote.

:func:`open_checked` reads the whole file into memory (so that no handle stays open and a later
atomic replace of the file is safe) and turns every way of being unusable (missing, not netCDF,
without the expected variable) into an :class:`~seasonal_vae.core.errors.InputError` naming
the file and the fix. :func:`load_samples` is the samples file of a generator (the VAE's or a
baseline's): ``t2m`` in °F on ``(path, time)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import xarray as xr

from seasonal_vae.core.errors import InputError

#: What to do about an unusable samples file.
SAMPLES_FIX = (
    "pass results/<dataset>/samples/<prior>.nc or baselines/<method>.nc, as the "
    "sampling and baseline steps write them"
)


def open_checked(
    path: str | Path,
    fix: str,
    dims: tuple[str, ...] | None = ("time",),
    variable: str = "t2m",
    needed: Sequence[str] = (),
    what: str = "",
) -> xr.Dataset:
    """Read a netCDF file that a pipeline stage wrote into memory, with clear errors.

    Parameters
    ----------
    path
        The file.
    fix
        What the user should do if it is missing or wrong (usually: rerun the stage).
    dims, variable
        The variable the file must hold, and its dimensions (``dims=None``: no such check).
    needed
        Further variables or coordinates the file must hold.
    what
        What the file is, for the message about a missing ``needed`` (e.g. "a results file of
        `impute`").

    Raises
    ------
    InputError
        If the file is missing, unreadable, or lacks ``variable`` on ``dims`` or any of
        ``needed``.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found", fix)
    try:
        with xr.open_dataset(path, engine="netcdf4") as ds:
            ds = ds.load()
    except Exception as err:
        raise InputError(path, f"cannot be read as netCDF ({type(err).__name__}: {err})", fix) from err
    if dims is not None and (variable not in ds.data_vars or ds[variable].dims != dims):
        where = "a 'time' axis" if dims == ("time",) else f"dims {dims}"
        raise InputError(
            path,
            f"no variable '{variable}' on {where} (the file holds {sorted(map(str, ds.data_vars))})",
            fix,
        )
    missing = [name for name in needed if name not in ds.variables]
    if missing:
        raise InputError(path, f"not {what or 'the expected file'}: it lacks {missing}", fix)
    return ds


def load_samples(path: str | Path, fix: str = SAMPLES_FIX) -> tuple[xr.DataArray, dict]:
    """A generator's samples file: ``t2m`` on ``(path, time)`` in °F, and the file's attributes.

    Raises
    ------
    InputError
        If the file is unusable or its values are not in °F.
    """
    ds = open_checked(path, fix, dims=("path", "time"))
    t2m = ds["t2m"]
    units = t2m.attrs.get("units", "degF")
    if units != "degF":
        raise InputError(path, f"'t2m' is in {units!r}, not 'degF'", "pass the °F files the pipeline wrote")
    return t2m, dict(ds.attrs)
