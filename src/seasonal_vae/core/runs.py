"""Runs in a mask: the one home of "maximal stretches of consecutive True".

Gaps in a series, a split's stretches of hours, unobserved hours of an imputation case and runs
of hot days are all runs of a boolean array; every stage finds them with :func:`runs`.
"""

from __future__ import annotations

import numpy as np


def runs(mask) -> tuple[np.ndarray, np.ndarray]:
    """Maximal runs of ``True`` in a 1-D boolean array.

    Returns
    -------
    (starts, stops)
        Integer arrays, in order: ``mask[starts[i]:stops[i]]`` is all True, and neither
        ``mask[starts[i] - 1]`` nor ``mask[stops[i]]`` is.
    """
    flags = np.asarray(mask, dtype=bool).astype(np.int8).ravel()
    edges = np.diff(np.concatenate([[0], flags, [0]]))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def run_pairs(mask) -> list[tuple[int, int]]:
    """:func:`runs` as a list of ``(start, stop)`` pairs of Python ints."""
    starts, stops = runs(mask)
    return list(zip(starts.tolist(), stops.tolist()))


def run_lengths(mask) -> np.ndarray:
    """Lengths of the maximal runs of ``True``, in order."""
    starts, stops = runs(mask)
    return stops - starts
