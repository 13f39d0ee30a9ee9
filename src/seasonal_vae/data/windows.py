"""Standardise the adjusted series and cut it into training and validation windows.

Whole years are held out for validation (every ``holdout_every``-th year), so that no day
sits next to its neighbour on the other side of the split. Training years form contiguous
*segments* (runs of consecutive training years); windows never cross a segment boundary.
With ``random_offsets`` each epoch draws a fresh phase in every segment
(:class:`WindowSampler`), so over training the model sees every alignment of the 96-hour
latent blocks with the calendar, not only the windows that start on 1 January.

The standardisation statistics (mean and std of the *training* hours) are written with the
windows and later stored inside the model, so that sampling can undo them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from seasonal_vae.core.atomic import atomic_path
from seasonal_vae.core.calendar import HOURS_PER_LATENT_STEP, WINDOW_START_HOUR
from seasonal_vae.core.config import split_years
from seasonal_vae.core.errors import InputError
from seasonal_vae.core.io import open_checked
from seasonal_vae.core.runs import run_pairs

log = logging.getLogger(__name__)

SPLITS = {"train": 1, "val": 2}


@dataclass(frozen=True)
class Segment:
    """A run of consecutive hours of one split: ``values[start:stop]`` of the series."""

    start: int
    stop: int

    def __len__(self) -> int:
        return self.stop - self.start


def segments(mask: np.ndarray) -> list[Segment]:
    """Maximal runs of ``True`` in a boolean mask, as :class:`Segment` s."""
    return [Segment(start, stop) for start, stop in run_pairs(mask)]


def cut(
    values: np.ndarray,
    segs: list[Segment],
    window_hours: int,
    offsets: np.ndarray | None = None,
    first_hour_of_day: int = 0,
) -> np.ndarray:
    """Indices of the first hour of non-overlapping windows inside each segment.

    Every window starts at local midnight (:data:`~seasonal_vae.core.calendar.WINDOW_START_HOUR`),
    given that index 0 of ``values`` is at hour ``first_hour_of_day``: since a latent step
    spans whole days, the diurnal cycle then sits at the same place in every latent step, and
    the decoder can learn it as a fixed pattern (random start hours would leave its phase to
    chance, and the mean diurnal cycle of generated data would come out flat). ``offsets[i]``
    (a multiple of 24 hours) shifts the first window of segment ``i``; windows that contain a
    missing value (NaN, possible only with ``data.allow_long_gaps``) are skipped.
    """
    starts = []
    for i, seg in enumerate(segs):
        align = (WINDOW_START_HOUR - first_hour_of_day - seg.start) % 24
        first = seg.start + align + (0 if offsets is None else int(offsets[i]))
        starts.append(np.arange(first, seg.stop - window_hours + 1, window_hours))
    starts = np.concatenate(starts) if starts else np.empty(0, dtype=int)
    if starts.size and np.isnan(values).any():
        ok = ~np.isnan(np.lib.stride_tricks.sliding_window_view(values, window_hours)[starts]).any(axis=1)
        starts = starts[ok]
    return starts.astype(np.int64)


def make_windows(
    adjusted_path: str | Path,
    out_path: str | Path,
    window_hours: int,
    holdout_every: int,
    holdout_offset: int,
    first_year: int | None = None,
    last_year: int | None = None,
) -> xr.Dataset:
    """Standardise with training statistics and write the windowed data set (netCDF).

    The years ``first_year..last_year`` (default: every year in the file) are split into
    training and validation years; hours of other years (e.g. the few hours of the previous
    year that a UTC record reaches in local time) belong to neither.

    The output holds the standardised hourly series ``x`` with its ``split`` (1 training,
    2 validation, 0 neither), the fixed windows at phase 0 (``train_start``, ``val_start``:
    indices of each window's first hour) and, as attributes, the standardisation mean/std,
    the window length and the years of each split.
    """
    if window_hours % HOURS_PER_LATENT_STEP:
        raise InputError(
            "windows.window_hours",
            f"{window_hours} is not a multiple of {HOURS_PER_LATENT_STEP} hours",
            "use 96·k hours, e.g. 1536 (k = 16)",
        )
    da, attrs = _load_adjusted(adjusted_path)
    times = da["time"].to_index()
    first_year = times.year.min() if first_year is None else first_year
    last_year = times.year.max() if last_year is None else last_year
    train_years, val_years = split_years(range(first_year, last_year + 1), holdout_every, holdout_offset)
    for name, years in (("training", train_years), ("validation", val_years)):
        if not years:
            raise InputError(
                "windows.holdout_every",
                f"years {first_year}-{last_year} leave "
                f"no {name} year, so 0 {name} windows (holdout_every="
                f"{holdout_every}, holdout_offset={holdout_offset})",
                "use a longer record or change holdout_every/holdout_offset",
            )
        if not np.isin(times.year, years).any():
            raise InputError(
                adjusted_path,
                f"the record ({_format_time(times[0])} to "
                f"{_format_time(times[-1])}) holds no hour of the {name} years "
                f"{_years_text(years)}",
                "set data.first_year/data.last_year to "
                "years the raw files cover (and rebuild the series), or adjust "
                "windows.holdout_every/holdout_offset",
            )
    split = np.where(
        np.isin(times.year, train_years),
        SPLITS["train"],
        np.where(np.isin(times.year, val_years), SPLITS["val"], 0),
    ).astype("int8")
    values = da.values.astype("float64")
    train_vals = values[split == SPLITS["train"]]
    mean, std = float(np.nanmean(train_vals)), float(np.nanstd(train_vals))
    if not np.isfinite(std) or std == 0:
        raise InputError(
            adjusted_path,
            f"the training years {_years_text(train_years)} have no variability (std = {std})",
            "check the input series for missing or constant data",
        )
    x = ((values - mean) / std).astype("float32")

    train_segs = segments(split == SPLITS["train"])
    val_segs = segments(split == SPLITS["val"])
    hour0 = int(times[0].hour)
    train_start = cut(x, train_segs, window_hours, first_hour_of_day=hour0)
    val_start = cut(x, val_segs, window_hours, first_hour_of_day=hour0)
    if train_start.size == 0 or val_start.size == 0:
        longest = {
            name: max((len(g) for g in segs), default=0)
            for name, segs in (("training", train_segs), ("validation", val_segs))
        }
        n_nan = int(np.isnan(x).sum())
        raise InputError(
            adjusted_path,
            f"the record yields {train_start.size} training and "
            f"{val_start.size} validation windows of {window_hours} hours "
            f"(windows.window_hours): the longest run of training years is "
            f"{longest['training']} hours, of validation years "
            f"{longest['validation']} hours"
            + (
                f", and {n_nan} missing hour(s) (data.allow_long_gaps) rule out "
                "every window that touches them"
                if n_nan
                else ""
            ),
            "use a longer record (more years) or a shorter windows.window_hours "
            "(a multiple of 96 no longer than the shortest split)" + (", or fill the gaps" if n_nan else ""),
        )
    log.info("standardisation (training years): mean %.3f °F, std %.3f °F", mean, std)
    log.info(
        "training years %s: %d segments, %d windows of %d h at phase 0",
        _years_text(train_years),
        len(train_segs),
        train_start.size,
        window_hours,
    )
    log.info("validation years %s: %d windows", _years_text(val_years), val_start.size)

    out = xr.Dataset(
        {
            "x": ("time", x, {"long_name": "standardised adjusted 2 m temperature", "units": "1"}),
            "split": (
                "time",
                split,
                {
                    "long_name": "split of each hour",
                    "flag_values": [0, 1, 2],
                    "flag_meanings": "unused training validation",
                },
            ),
            "train_start": ("train_window", train_start, {"long_name": "index of first hour"}),
            "val_start": ("val_window", val_start, {"long_name": "index of first hour"}),
        },
        coords={"time": da["time"]},
        attrs={
            "title": "Standardised windows for VAE training",
            "data_mean": mean,
            "data_std": std,
            "window_hours": window_hours,
            "train_years": train_years,
            "val_years": val_years,
            "trend_rate_per_decade": attrs.get("trend_rate_per_decade", np.nan),
            "trend_reference_year": attrs.get("trend_reference_year", -1),
            "raw_title": attrs.get("raw_title", ""),
        },
    )
    with atomic_path(out_path) as tmp:
        out.to_netcdf(tmp)
    return out


def _format_time(t) -> str:
    return f"{t:%Y-%m-%d %H:%M}"


def _load_adjusted(path: str | Path) -> tuple[xr.DataArray, dict]:
    """The detrended series ``t2m`` and the file's attributes, or a clear error."""
    fix = "rebuild it with the detrend stage (python -m seasonal_vae detrend ...)"
    ds = open_checked(path, fix)
    da = ds["t2m"]
    if not np.issubdtype(da["time"].dtype, np.datetime64) or da.sizes["time"] == 0:
        raise InputError(path, "the time axis is empty or not decoded as dates", fix)
    return da, dict(ds.attrs)


WINDOWS_VARIABLES = {
    "x": ("time",),
    "split": ("time",),
    "train_start": ("train_window",),
    "val_start": ("val_window",),
}
WINDOWS_ATTRS = ("data_mean", "data_std", "window_hours", "trend_rate_per_decade", "trend_reference_year")


def check_windows_file(path: str | Path) -> None:
    """Check that ``path`` is a readable file written by :func:`make_windows`.

    Raises
    ------
    InputError
        Naming the file, what is missing or unreadable, and how to rebuild it.
    """
    path = Path(path)
    fix = "rebuild it with the windows stage (python -m seasonal_vae windows ...)"
    if not path.is_file():
        raise InputError(path, "file not found", fix)
    try:
        with xr.open_dataset(path) as ds:
            problems = [
                f"variable '{name}' on {dims}"
                for name, dims in WINDOWS_VARIABLES.items()
                if name not in ds.variables or ds[name].dims != dims
            ]
            problems += [f"attribute '{name}'" for name in WINDOWS_ATTRS if name not in ds.attrs]
            n_train = ds.sizes.get("train_window", 0)
            n_val = ds.sizes.get("val_window", 0)
    except Exception as err:
        raise InputError(path, f"cannot be read as netCDF ({type(err).__name__}: {err})", fix) from err
    if problems:
        raise InputError(path, "not a windows file: it lacks " + ", ".join(problems), fix)
    if not n_train or not n_val:
        raise InputError(path, f"holds {n_train} training and {n_val} validation windows", fix)


def _years_text(years: list[int]) -> str:
    return ", ".join(str(y) for y in years) if len(years) <= 12 else f"{years[0]}..{years[-1]} ({len(years)})"


class WindowSampler:
    """Training/validation windows as arrays, with a fresh random phase per epoch.

    Parameters
    ----------
    ds:
        The data set written by :func:`make_windows`.
    split:
        ``"train"`` or ``"val"``.
    random_offsets:
        Draw a random phase (whole days) in each segment every epoch (training only). The
        epoch size is
        kept constant at the number of windows the worst phase allows, so that every epoch has
        the same number of batches.
    seed:
        Seed of the offset generator.
    """

    def __init__(self, ds: xr.Dataset, split: str, random_offsets: bool = False, seed: int = 0):
        self.x = ds["x"].values.astype("float32")
        self.times = ds["time"].values
        self.hour0 = int(ds["time"].to_index()[0].hour)
        self.window_hours = int(ds.attrs["window_hours"])
        self.segments = segments(ds["split"].values == SPLITS[split])
        self.random_offsets = random_offsets and split == "train"
        self.fixed = ds[f"{split}_start"].values.astype(np.int64)
        self.rng = np.random.default_rng(seed)
        if self.random_offsets:
            worst = self.window_hours - 1 + 23  # latest phase plus the alignment to midnight
            self.epoch_size = sum(max(0, (len(s) - worst) // self.window_hours) for s in self.segments)
        else:
            self.epoch_size = self.fixed.size

    def starts(self) -> np.ndarray:
        """Window start indices for one epoch."""
        if not self.random_offsets:
            return self.fixed
        offsets = 24 * self.rng.integers(0, self.window_hours // 24, size=len(self.segments))
        starts = cut(self.x, self.segments, self.window_hours, offsets, self.hour0)
        return np.sort(self.rng.choice(starts, size=min(self.epoch_size, starts.size), replace=False))

    def arrays(self, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The windows ``(N, window_hours)`` and their start timestamps."""
        idx = starts[:, None] + np.arange(self.window_hours)[None, :]
        return self.x[idx], self.times[starts]
