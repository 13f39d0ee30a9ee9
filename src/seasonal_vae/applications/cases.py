"""Where the gap-filling and forecast cases come from: windows of the record with gaps cut
out of them (:func:`draw_cases`, :func:`gapped_windows`), forecast dates and the windows that
condition on the days before them (:func:`draw_issues`, :func:`context_windows`).

Cases are drawn (seeded) from the held-out years to be judged, and from the training years
where :mod:`seasonal_vae.applications.spread` chooses an ensemble's spread.
"""

from __future__ import annotations

import math

import numpy as np

from seasonal_vae.core.calendar import HOURS_PER_LATENT_STEP
from seasonal_vae.core.errors import InputError
from seasonal_vae.model.record import Record, window_starts


def draw_cases(
    record: Record,
    gap_hours,
    n_cases: int,
    context_hours: int,
    margin_hours: int,
    seed: int,
    where: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Random held-out windows and gap positions (``where``: other hours to draw from, e.g.
    ``record.training``).

    Returns
    -------
    window_index : numpy.ndarray
        ``(n_cases,)`` index of each window's first hour (local midnight) in the record; the
        same windows serve every gap length.
    gap_offset : numpy.ndarray
        ``(n_gaps, n_cases)`` first gap hour within the window, at least ``margin_hours``
        from either end.
    """
    if context_hours % HOURS_PER_LATENT_STEP:
        raise InputError(
            "--context-hours",
            f"{context_hours} is not a multiple of 96 hours",
            "give a multiple of 96, e.g. 768",
        )
    longest = max(gap_hours)
    if context_hours < longest + 2 * margin_hours:
        raise InputError(
            "--context-hours",
            f"{context_hours} h cannot hold a {longest} h gap with {margin_hours} h of data on each side",
            f"use at least {longest + 2 * margin_hours} h, or shorter gaps",
        )
    candidates = window_starts(record, context_hours, where)
    if candidates.size == 0:
        raise InputError(
            "--context-hours",
            f"no {'held-out' if where is None else 'training-year'} stretch of {context_hours} h "
            "without missing values",
            "use a shorter context or more held-out years",
        )
    rng = np.random.default_rng(seed)
    window_index = np.sort(rng.choice(candidates, size=n_cases, replace=candidates.size < n_cases))
    gap_offset = np.stack(
        [rng.integers(margin_hours, context_hours - margin_hours - g + 1, size=n_cases) for g in gap_hours]
    )
    return window_index, gap_offset


def gapped_windows(
    record: Record, window_index: np.ndarray, gap_offset: np.ndarray, gap_hours, context_hours: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cases of :func:`draw_cases` as windows: truth (adjusted °F), observation mask and
    first timestamps, each gap length's cases after the other's (``(gaps × cases, hours)``)."""
    n_cases = len(window_index)
    truth1 = record.adjusted[window_index[:, None] + np.arange(context_hours)[None, :]]
    truth = np.tile(truth1, (len(gap_hours), 1))
    starts = np.tile(record.times[window_index].values, len(gap_hours))
    mask = np.ones_like(truth, dtype=bool)
    for g, length in enumerate(gap_hours):
        for c in range(n_cases):
            first = gap_offset[g, c]
            mask[g * n_cases + c, first : first + length] = False
    return truth, mask, starts


def draw_issues(
    record: Record,
    n_cases: int,
    context_days: int,
    lead_days: int,
    seed: int,
    where: np.ndarray | None = None,
) -> np.ndarray:
    """Indices of forecast issue hours (local midnights) in held-out years (``where``: other
    hours to draw from, e.g. ``record.training``), seeded."""
    candidates = window_starts(record, 24 * (context_days + lead_days), where)
    if candidates.size == 0:
        raise InputError(
            "--context-days/--lead-days",
            f"no {'held-out' if where is None else 'training-year'} stretch of "
            f"{context_days + lead_days} days without missing values",
            "use fewer context or lead days, or more held-out years",
        )
    rng = np.random.default_rng(seed)
    chosen = rng.choice(candidates, size=n_cases, replace=candidates.size < n_cases)
    return np.sort(chosen) + 24 * context_days


def context_windows(context, lead_hours: int) -> tuple[np.ndarray, np.ndarray]:
    """Contexts ``(N, C)`` as the windows the model conditions on: whole 96-h steps, the
    context first, the lead hours and the rest unobserved; returns ``(values, mask)``."""
    context = np.asarray(context, dtype="float64")
    n, c = context.shape
    length = HOURS_PER_LATENT_STEP * math.ceil((c + lead_hours) / HOURS_PER_LATENT_STEP)
    values = np.zeros((n, length))
    values[:, :c] = np.nan_to_num(context)
    mask = np.zeros((n, length), dtype=bool)
    mask[:, :c] = np.isfinite(context)
    return values, mask
