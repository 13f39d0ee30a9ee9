"""Drawing the figures, all in one shared style (:mod:`seasonal_vae.figures.draw.style`).

One module per figure, each with functions that draw onto given axes (for notebooks), a
function that builds the whole figure from the figure's numbers, and ``draw(ds, cfg)``, the
registry's drawing step. Drawing modules only draw: they read nothing but the numbers they
are given (:mod:`seasonal_vae.figures.compute` makes those). :func:`figure_module` imports one
figure's module (the registry's drawing step), so that a job loads only its own.
"""

from types import ModuleType

from seasonal_vae.figures.draw.style import (
    GENERATED_COLOR,
    REAL_COLOR,
    REFERENCE_COLOR,
    apply_style,
    data_note,
    save_figure,
)

__all__ = [
    "GENERATED_COLOR",
    "REAL_COLOR",
    "REFERENCE_COLOR",
    "apply_style",
    "data_note",
    "figure_module",
    "save_figure",
]


def figure_module(name: str) -> ModuleType:
    """The drawing module of figure ``name``, imported now, and no other figure's: one plain
    import each (the package imports nothing by a name in a string)."""
    match name:
        case "conv_matrix":
            from seasonal_vae.figures.draw import conv_matrix as module
        case "strides":
            from seasonal_vae.figures.draw import strides as module
        case "free_time_axis":
            from seasonal_vae.figures.draw import free_time_axis as module
        case "prior":
            from seasonal_vae.figures.draw import prior as module
        case "graphical_model":
            from seasonal_vae.figures.draw import graphical_model as module
        case "training":
            from seasonal_vae.figures.draw import training as module
        case "trend":
            from seasonal_vae.figures.draw import trend as module
        case "seasonal":
            from seasonal_vae.figures.draw import seasonal as module
        case "diurnal":
            from seasonal_vae.figures.draw import diurnal as module
        case "acf":
            from seasonal_vae.figures.draw import acf as module
        case "samples":
            from seasonal_vae.figures.draw import samples as module
        case "comparison":
            from seasonal_vae.figures.draw import comparison as module
        case "evaluation":
            from seasonal_vae.figures.draw import evaluation as module
        case "imputation":
            from seasonal_vae.figures.draw import imputation as module
        case "anomaly":
            from seasonal_vae.figures.draw import anomaly as module
        case "forecast":
            from seasonal_vae.figures.draw import forecast as module
        case _:
            raise KeyError(f"no drawing module for a figure called {name!r}")
    return module
