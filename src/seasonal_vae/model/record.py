"""The record as the trained model sees it: the windows file's adjusted series and its split.

The applications condition the model on stretches of this record. :class:`Record` holds the
adjusted (detrended) hourly series in °F, which hours are training and which held-out years,
and the trend that was removed; :func:`load_record` reads it from the windows file,
:func:`window_starts` finds the local midnights at which a complete stretch of a given length
begins (the grid the model was trained on), and :func:`training_climatology` is the training
years' month × hour climate, the baselines' reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.data.climatology import month_hour_climatology
from seasonal_vae.data.detrend import trend_offset
from seasonal_vae.data.windows import SPLITS, check_windows_file


@dataclass
class Record:
    """The adjusted (detrended) hourly series and its split, as read from the windows file.

    Attributes
    ----------
    times
        Hourly local standard time.
    adjusted
        Temperature adjusted to the reference-year climate, °F (NaN where missing).
    split
        0 unused, 1 training, 2 validation (held-out) year, per hour.
    trend_rate_per_decade, trend_reference_year
        The trend that was removed (to put values back at their own dates).
    """

    times: pd.DatetimeIndex
    adjusted: np.ndarray
    split: np.ndarray
    trend_rate_per_decade: float
    trend_reference_year: int
    attrs: dict = field(default_factory=dict)

    def trend(self, index=None) -> np.ndarray:
        """The trend offset (°F) to add to adjusted values to get observed ones."""
        times = self.times if index is None else self.times[index]
        return trend_offset(times, self.trend_rate_per_decade, self.trend_reference_year)

    @property
    def holdout(self) -> np.ndarray:
        """Hours of the held-out (validation) years."""
        return self.split == SPLITS["val"]

    @property
    def training(self) -> np.ndarray:
        """Hours of the training years."""
        return self.split == SPLITS["train"]


def load_record(windows_path: str | Path) -> Record:
    """Read the windows file: adjusted °F = ``x · data_std + data_mean``, and the split."""
    check_windows_file(windows_path)
    with xr.open_dataset(windows_path) as f:
        ds = f.load()
    adjusted = ds["x"].values.astype("float64") * float(ds.attrs["data_std"]) + float(ds.attrs["data_mean"])
    return Record(
        times=ds["time"].to_index(),
        adjusted=adjusted,
        split=ds["split"].values,
        trend_rate_per_decade=float(ds.attrs["trend_rate_per_decade"]),
        trend_reference_year=int(ds.attrs["trend_reference_year"]),
        attrs={k: ds.attrs[k] for k in ("data_mean", "data_std", "raw_title") if k in ds.attrs},
    )


def window_starts(
    record: Record, length_hours: int, where: np.ndarray | None = None, step_hours: int = 24
) -> np.ndarray:
    """Indices of midnight hours that start a window of ``length_hours`` inside ``where``.

    Every hour of the window must be in ``where`` (default: the held-out years) and finite.
    Candidates are ``step_hours`` apart (24: every midnight).
    """
    where = record.holdout if where is None else np.asarray(where, dtype=bool)
    ok = (where & np.isfinite(record.adjusted)).astype("int64")
    run = np.concatenate([[0], np.cumsum(ok)])
    first = int(np.argmax(record.times.hour == 0)) if (record.times.hour == 0).any() else 0
    starts = np.arange(first, len(record.times) - length_hours + 1, step_hours)
    full = run[starts + length_hours] - run[starts] == length_hours
    return starts[full]


def training_climatology(record: Record) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of the adjusted series per (calendar month, local hour), training years.

    The population std (``ddof=0``) of :func:`seasonal_vae.data.climatology.month_hour_climatology`.

    Returns
    -------
    mean, std : numpy.ndarray
        Shape ``(12, 24)``, °F; row ``m − 1`` is month ``m``.
    """
    keep = record.training & np.isfinite(record.adjusted)
    return month_hour_climatology(record.times[keep], record.adjusted[keep], ddof=0)
