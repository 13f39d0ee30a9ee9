"""The figures' numbers: one module per figure, each with ``compute(paths, cfg)``.

``compute`` reads the pipeline files the registry names for its figure and returns the
numbers the figure shows as an :class:`xarray.Dataset` (written to
``results/<dataset>/figdata/<figure>.nc``). Shared helpers: :mod:`.layers` (the maths of a
stack of convolutions), :mod:`.probe` (the trained model and its windows),
:mod:`.generated` (real and generated series side by side) and :mod:`.calendar_stats`
(statistics per calendar cell). :func:`figure_module` imports one figure's module (the
registry's compute step), so that a job loads only its own.
"""

from __future__ import annotations

from types import ModuleType


def figure_module(name: str) -> ModuleType:
    """The compute module of figure ``name``, imported now, and no other figure's: one plain
    import each (the package imports nothing by a name in a string)."""
    match name:
        case "conv_matrix":
            from seasonal_vae.figures.compute import conv_matrix as module
        case "strides":
            from seasonal_vae.figures.compute import strides as module
        case "free_time_axis":
            from seasonal_vae.figures.compute import free_time_axis as module
        case "prior":
            from seasonal_vae.figures.compute import prior as module
        case "graphical_model":
            from seasonal_vae.figures.compute import graphical_model as module
        case "training":
            from seasonal_vae.figures.compute import training as module
        case "trend":
            from seasonal_vae.figures.compute import trend as module
        case "seasonal":
            from seasonal_vae.figures.compute import seasonal as module
        case "diurnal":
            from seasonal_vae.figures.compute import diurnal as module
        case "acf":
            from seasonal_vae.figures.compute import acf as module
        case "samples":
            from seasonal_vae.figures.compute import samples as module
        case "comparison":
            from seasonal_vae.figures.compute import comparison as module
        case "evaluation":
            from seasonal_vae.figures.compute import evaluation as module
        case "imputation":
            from seasonal_vae.figures.compute import imputation as module
        case "anomaly":
            from seasonal_vae.figures.compute import anomaly as module
        case "forecast":
            from seasonal_vae.figures.compute import forecast as module
        case _:
            raise KeyError(f"no compute module for a figure called {name!r}")
    return module
