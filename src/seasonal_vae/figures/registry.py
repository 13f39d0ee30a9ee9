"""The registry of the project's figures: for each, what it reads, how it is computed, how drawn.

Every figure is made in two steps, so that restyling a figure never recomputes (let alone
retrains) anything:

1. ``compute(paths, cfg) -> xarray.Dataset`` reads pipeline outputs (the trained model, the
   series, the samples, ...) and returns the numbers the figure shows; the CLI writes them to
   ``results/figdata/<name>.nc`` (``python -m seasonal_vae figure-data <name> ...``);
2. ``draw(data, cfg) -> matplotlib.figure.Figure`` turns those numbers into the figure; the
   CLI saves it as ``figures/<name>.png`` and ``.svg`` (``python -m seasonal_vae plot <name>``).

The modules that define figures list them in a module-level ``FIGURES`` sequence of
:class:`FigureSpec`; :func:`registry` collects them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import xarray as xr

from seasonal_vae.core.atomic import atomic_path
from seasonal_vae.core.errors import InputError

#: Pipeline files a figure's compute step may read, by the name used on the command line.
INPUT_NAMES = ("model", "windows", "series", "detrended", "trend", "history", "samples")

#: Modules that define figures (each has a ``FIGURES`` sequence).
FIGURE_MODULES = ("seasonal_vae.figures.anatomy", "seasonal_vae.figures.climate")


@dataclass(frozen=True)
class FigureSpec:
    """One figure: its name, the pipeline files it reads, and its compute and draw steps."""

    name: str
    inputs: tuple[str, ...]
    compute: Callable[[Mapping[str, Path], dict], xr.Dataset]
    draw: Callable[[xr.Dataset, dict], "matplotlib.figure.Figure"]  # noqa: F821
    caption: str  # one sentence: what the figure shows (used in the README and notebooks)

    def __post_init__(self):
        unknown = set(self.inputs) - set(INPUT_NAMES)
        if unknown:
            raise ValueError(f"figure {self.name!r} reads unknown inputs {sorted(unknown)}")


def registry() -> dict[str, FigureSpec]:
    """Every figure of the project by name, in the order the modules list them."""
    specs: dict[str, FigureSpec] = {}
    for module in FIGURE_MODULES:
        for spec in importlib.import_module(module).FIGURES:
            if spec.name in specs:
                raise ValueError(f"two figures are called {spec.name!r}")
            specs[spec.name] = spec
    return specs


def get(name: str) -> FigureSpec:
    """The figure called ``name``; a clear error naming the known ones otherwise."""
    specs = registry()
    if name not in specs:
        raise InputError("figure name", f"there is no figure called {name!r}",
                         f"use one of: {', '.join(specs)}")
    return specs[name]


def write_figure_data(name: str, paths: Mapping[str, str | Path | None], out: str | Path,
                      cfg: dict) -> xr.Dataset:
    """Compute the numbers of figure ``name`` from the pipeline files and write them as netCDF."""
    spec = get(name)
    missing = [key for key in spec.inputs if not paths.get(key)]
    if missing:
        raise InputError(f"figure {name!r}", f"needs the pipeline files {missing}",
                         " ".join(f"pass --{key} PATH" for key in missing))
    ds = spec.compute({key: Path(paths[key]) for key in spec.inputs}, cfg)
    ds.attrs.setdefault("figure", name)
    with atomic_path(out) as tmp:
        ds.to_netcdf(tmp)
    return ds


def plot_figure(name: str, data_path: str | Path, out_png: str | Path, cfg: dict) -> tuple[Path, Path]:
    """Draw figure ``name`` from its computed numbers; write PNG and SVG."""
    from seasonal_vae.figures.draw.style import apply_style, save_figure

    spec = get(name)
    apply_style()
    with xr.open_dataset(data_path) as f:
        ds = f.load()
    return save_figure(spec.draw(ds, cfg), out_png)
