"""Numbers of figure ``evaluation``: every metric of every generator beside its noise floor.

The metric suite's table (``metrics.csv``: one row per metric and generator, with the median
and 95th percentile of the real-vs-real floor) and the floor's value on each split
(``metrics_floor.csv``), as the ``evaluate`` step wrote them, reduced to the columns the
figure shows. Drawn by :mod:`seasonal_vae.figures.draw.evaluation`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import xarray as xr

from seasonal_vae.core.errors import InputError
from seasonal_vae.evaluation.metrics_table import read_metrics

#: Columns of the metrics table the figure shows: text, then numbers.
TEXT_COLUMNS = ("metric", "family", "label", "generator")
NUMBER_COLUMNS = ("value", "floor_median", "floor_p95")


def read_floor(path: str | Path) -> pd.DataFrame:
    """The floor's per-split values (``metrics_floor.csv``: columns ``metric`` and ``value``)."""
    path = Path(path)
    fix = "run the evaluate step first (it writes the floor beside metrics.csv)"
    if not path.is_file():
        raise InputError(path, "file not found", fix)
    try:
        floor = pd.read_csv(path)
    except (OSError, ValueError) as err:
        raise InputError(path, f"cannot be read as CSV ({err})", fix) from err
    missing = [c for c in ("metric", "value") if c not in floor]
    if missing:
        raise InputError(path, f"lacks columns {missing}", "pass the metrics_floor.csv written by evaluate")
    return floor


def evaluation_data(table: pd.DataFrame, floor: pd.DataFrame) -> xr.Dataset:
    """The metrics table (dimension ``row``) and the floor's per-split values (``floor_row``).

    Rows keep their order, which is the order of the figure's rows and markers.
    """
    data = {col: ("row", table[col].to_numpy(dtype=object)) for col in TEXT_COLUMNS}
    data.update({col: ("row", table[col].to_numpy(dtype="float64")) for col in NUMBER_COLUMNS})
    data["floor_metric"] = ("floor_row", floor["metric"].to_numpy(dtype=object))
    data["floor_value"] = ("floor_row", floor["value"].to_numpy(dtype="float64"))
    return xr.Dataset(data)


def compute(paths: Mapping[str, Path], cfg: dict) -> xr.Dataset:
    """Figure ``evaluation``: reads ``metrics`` and ``metrics_floor``."""
    return evaluation_data(read_metrics(paths["metrics"]), read_floor(paths["metrics_floor"]))
