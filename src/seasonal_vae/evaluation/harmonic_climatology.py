"""The harmonic climatology of a set of years, fitted by least squares (the persistence metrics').

The persistence metrics of :mod:`seasonal_vae.evaluation.metrics` judge departures from each
set's *own* smooth climatology: the least-squares fit of the time-of-year × hour-of-day
Fourier features of :func:`seasonal_vae.model.harmonic_ar.harmonic_design` to the set's valid
hours (:func:`seasonal_vae.evaluation.metrics.harmonic_anomalies`). The set's hours are taken
one calendar year at a time: a whole calendar year on the hour reuses one cached design
matrix (and its Gram matrix) per kind of year, common or leap, since the regressors depend
only on the hour of the year; any other stretch gets its own. The least squares are solved
through the normal equations, with ``numpy.linalg.lstsq`` where they are poorly conditioned.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.linalg

from seasonal_vae.model.harmonic_ar import harmonic_design

HOUR = np.timedelta64(1, "h")


@lru_cache(maxsize=8)
def _year_design(leap: bool, annual: int, diurnal: int) -> tuple[np.ndarray, np.ndarray]:
    """The harmonic design of every hour of a common or a leap year, and its Gram matrix.

    :func:`~seasonal_vae.model.harmonic_ar.harmonic_design` depends only on the fraction of
    the year and the hour, so every whole common (leap) year has the design of 2001 (2000).
    """
    year = 2000 if leap else 2001
    times = pd.date_range(f"{year}-01-01", f"{year}-12-31 23:00", freq="h").values
    X = harmonic_design(times, annual, diurnal)
    X.setflags(write=False)
    gram = X.T @ X
    gram.setflags(write=False)
    return X, gram


def _design_blocks(
    times: np.ndarray, years: np.ndarray, annual: int, diurnal: int
) -> list[tuple[int, int, np.ndarray, object]]:
    """The harmonic design of sorted ``times`` (calendar ``years`` of each), one block per
    year present: ``(start, stop, X, gram)``; a whole calendar year on the hour takes the
    cached design of its kind (with its Gram matrix), any other stretch its own (``gram``
    None)."""
    starts = np.flatnonzero(np.r_[True, years[1:] != years[:-1]])
    stops = np.r_[starts[1:], times.size]
    blocks = []
    for start, stop in zip(starts.tolist(), stops.tolist()):
        year = np.datetime64(int(years[start]) - 1970, "Y")
        first = year.astype("datetime64[ns]")
        hours = int(((year + 1).astype("datetime64[ns]") - first) // HOUR)
        t = times[start:stop]
        if stop - start == hours and t[0] == first and (np.diff(t) == HOUR).all():
            X, gram = _year_design(hours == 366 * 24, annual, diurnal)
        else:
            X, gram = harmonic_design(t, annual, diurnal), None
        blocks.append((start, stop, X, gram))
    return blocks


def _harmonic_residuals(
    times: np.ndarray, years: np.ndarray, y: np.ndarray, annual: int, diurnal: int
) -> np.ndarray:
    """``y`` minus its least-squares harmonic climatology (NaN stays NaN).

    The normal equations ``(XᵀX) β = Xᵀy`` over the valid hours, by Cholesky: over whole years
    the harmonic regressors are orthogonal up to a factor (cond(X) = 2, so cond(XᵀX) = 4) and
    the solution is ``numpy.linalg.lstsq``'s to round-off. ``XᵀX`` of a year with a few
    missing hours is that of the whole year less theirs. Where the system is poorly
    conditioned (a short or patchy set), ``numpy.linalg.lstsq`` itself is used.
    """
    ok = np.isfinite(y)
    blocks = _design_blocks(times, years, annual, diurnal)
    p = blocks[0][2].shape[1]
    gram, rhs = np.zeros((p, p)), np.zeros(p)
    for start, stop, X, full in blocks:
        sel = ok[start:stop]
        if full is not None and 2 * sel.sum() >= sel.size:
            missing = X[~sel]
            gram += full - missing.T @ missing
        else:
            valid = X[sel]
            gram += valid.T @ valid
        rhs += X.T @ np.where(sel, y[start:stop], 0.0)
    eig = np.linalg.eigvalsh(gram)
    if eig[0] > 1e-6 * eig[-1]:
        params = scipy.linalg.cho_solve(scipy.linalg.cho_factor(gram), rhs)
    else:
        X = np.concatenate([X for _, _, X, _ in blocks])
        params = np.linalg.lstsq(X[ok], y[ok], rcond=None)[0]
    out = np.empty_like(y)
    fitted = {}
    for start, stop, X, _ in blocks:
        key = id(X)
        if key not in fitted:
            fitted[key] = X @ params
        out[start:stop] = y[start:stop] - fitted[key]
    return out
