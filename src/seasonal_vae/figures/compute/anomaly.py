"""Numbers of figure ``anomaly``: the block scores and injected-fault scores of ``anomaly``.

The application computed them on the held-out years; the figure shows them as they are, so
this step only checks the results file and passes it on. Drawn by
:mod:`seasonal_vae.figures.draw.anomaly`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import xarray as xr

from seasonal_vae.core.io import open_checked

#: Variables the drawing needs, which only a results file of ``anomaly`` holds.
NEEDED = ("neg_elbo_season", "auc", "faulty", "clean")


def compute(paths: Mapping[str, Path], cfg: dict) -> xr.Dataset:
    """The ``anomaly`` results file (``paths["anomaly"]``), checked, in memory."""
    return open_checked(
        paths["anomaly"],
        "compute it first (python -m seasonal_vae anomaly ...)",
        dims=None,
        needed=NEEDED,
        what="a results file of `anomaly`",
    )
