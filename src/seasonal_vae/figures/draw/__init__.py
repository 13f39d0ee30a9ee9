"""Figures of the project, all in one shared style (:mod:`seasonal_vae.figures.draw.style`).

Each figure module offers functions that draw onto given axes (for notebooks) and a
file-level function that reads the pipeline's outputs and writes PNG and SVG.
"""

from seasonal_vae.figures.draw.comparison import comparison_figure, plot_comparison
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
    "comparison_figure",
    "data_note",
    "plot_comparison",
    "save_figure",
]
