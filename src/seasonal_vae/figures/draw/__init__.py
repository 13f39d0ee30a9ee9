"""Drawing the figures, all in one shared style (:mod:`seasonal_vae.figures.draw.style`).

One module per figure, each with functions that draw onto given axes (for notebooks), a
function that builds the whole figure from the figure's numbers, and ``draw(ds, cfg)``, the
registry's drawing step. Drawing modules only draw: they read nothing but the numbers they
are given (:mod:`seasonal_vae.figures.compute` makes those).
"""

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
    "save_figure",
]
