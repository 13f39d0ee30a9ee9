"""Numbers of figure ``imputation``: the gap-filling scores and example fills of ``impute``.

The application computed them on the held-out years; the figure shows them as they are, so
this step only checks the results file and passes it on. Drawn by
:mod:`seasonal_vae.figures.draw.imputation`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import xarray as xr

from seasonal_vae.core.io import open_checked

#: Variables the drawing needs, which only a results file of ``impute`` holds.
NEEDED = ("mae", "crps", "example_quantile")


def compute(paths: Mapping[str, Path], cfg: dict) -> xr.Dataset:
    """The ``imputation`` results file (``paths["imputation"]``), checked, in memory."""
    return open_checked(
        paths["imputation"],
        "compute it first (python -m seasonal_vae impute ...)",
        dims=None,
        needed=NEEDED,
        what="a results file of `impute`",
    )
