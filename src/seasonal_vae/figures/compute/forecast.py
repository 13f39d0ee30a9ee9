"""Numbers of figure ``forecast``: the scores by lead time and the example of ``forecast``.

The application computed them on the held-out years; the figure shows them as they are, so
this step only checks the results file and passes it on. Drawn by
:mod:`seasonal_vae.figures.draw.forecast`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import xarray as xr

from seasonal_vae.core.io import open_checked

#: Variables the drawing needs, which only a results file of ``forecast`` holds.
NEEDED = ("crps", "abs_error", "example_vae_quantile")


def compute(paths: Mapping[str, Path], cfg: dict) -> xr.Dataset:
    """The ``forecast`` results file (``paths["forecast"]``), checked, in memory."""
    return open_checked(
        paths["forecast"],
        "compute it first (python -m seasonal_vae forecast ...)",
        dims=None,
        needed=NEEDED,
        what="a results file of `forecast`",
    )
