"""The record as the trained model sees it: the windows file's adjusted series and its split.

The applications condition the model on stretches of this record. :class:`Record` holds the
adjusted (detrended) hourly series in °F, which hours are training and which held-out years,
and the trend that was removed; :func:`load_record` reads it from the windows file,
:func:`window_starts` finds the local midnights at which a complete stretch of a given length
begins (the grid the model was trained on), and :func:`training_climatology` is the training
years' month × hour climate, the baselines' reference.

Between the record and the model: its standard units (:func:`standardise`, :func:`to_degf`,
:func:`noise_sigma_degf`), the seasonal features of windows (:func:`window_features`) and
gaps filled linearly (:func:`interpolate_gaps`), all without TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.core.calendar import HOURS_PER_LATENT_STEP, seasonal_features
from seasonal_vae.data.climatology import month_hour_climatology
from seasonal_vae.data.detrend import trend_offset
from seasonal_vae.data.windows import SPLITS, check_windows_file

if TYPE_CHECKING:
    from seasonal_vae.model.vae import SeasonalVAE


@dataclass(frozen=True)
class Record:
    """The adjusted (detrended) hourly series and its split, as read from the windows file.

    Frozen, so that what is derived from the split (:attr:`holdout`, :attr:`training`,
    :attr:`training_years`) is computed once, on first use, and stays true (read-only
    arrays, shared by every caller): the forecasts ask for it once per case and year.

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

    @cached_property
    def holdout(self) -> np.ndarray:
        """Hours of the held-out (validation) years (read-only)."""
        return _read_only(self.split == SPLITS["val"])

    @cached_property
    def training(self) -> np.ndarray:
        """Hours of the training years (read-only)."""
        return _read_only(self.split == SPLITS["train"])

    @cached_property
    def training_years(self) -> np.ndarray:
        """The calendar years that have training hours, ascending (read-only)."""
        return _read_only(np.unique(self.times.year[self.training]))


def _read_only(a: np.ndarray) -> np.ndarray:
    """``a``, made read-only: a computed-once array that every caller shares."""
    a.setflags(write=False)
    return a


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


# --- model-space conversions -----------------------------------------------------------------


def standardise(model: SeasonalVAE, adjusted_degf) -> np.ndarray:
    """Adjusted °F → the model's standard units."""
    return (np.asarray(adjusted_degf, dtype="float64") - model.data_mean) / model.data_std


def to_degf(model: SeasonalVAE, x) -> np.ndarray:
    """The model's standard units → adjusted °F."""
    return np.asarray(x, dtype="float64") * model.data_std + model.data_mean


def noise_sigma_degf(model: SeasonalVAE) -> float:
    """The learned observation-noise standard deviation σ_n in °F."""
    return model.noise_sigma * model.data_std


def window_features(model: SeasonalVAE, starts, n_steps: int) -> np.ndarray:
    """Fourier features of θ for windows beginning at ``starts`` (datetime64), as in training."""
    return seasonal_features(
        np.asarray(starts, dtype="datetime64[ns]"),
        n_steps,
        model.fourier_degree,
        HOURS_PER_LATENT_STEP,
        model.theta_anchor,
    )


def interpolate_gaps(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Each row with its unobserved values filled linearly (held flat beyond the ends).

    A row with no observed value becomes zeros (the standardised mean).
    """
    out = np.zeros(x.shape, dtype="float64")
    index = np.arange(x.shape[1])
    for i, (row, m) in enumerate(zip(x, mask)):
        if m.any():
            out[i] = np.interp(index, index[m], row[m])
    return out
