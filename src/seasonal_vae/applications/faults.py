"""Synthetic faults injected into held-out blocks, and how well each detector finds them.

:func:`score_faults` takes held-out windows of :data:`CONTEXT_BLOCKS` consecutive 4-day
blocks, injects one synthetic fault (:func:`inject`) into the central block of each — stuck
values (24–48 h at the first value), spikes (three single hours of ±15 °F), a shift of ±5 °F
over 24–72 h, and a unit mix-up (one calendar day stored in °C) — and measures each
detector's (:mod:`seasonal_vae.applications.detectors`) ROC AUC of faulty against the same
blocks left clean.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from seasonal_vae.applications.detectors import DETECTORS, score_windows
from seasonal_vae.core.calendar import HOURS_PER_LATENT_STEP as BLOCK
from seasonal_vae.core.errors import InputError
from seasonal_vae.evaluation.scores import roc_auc
from seasonal_vae.model.posterior import elbo_terms
from seasonal_vae.model.record import Record, standardise, to_degf, training_climatology, window_starts
from seasonal_vae.model.vae import SeasonalVAE

FAULTS = ("stuck", "spikes", "shift", "units")
FAULT_LABELS = {
    "stuck": "stuck value (24-48 h)",
    "spikes": "3 spikes of ±15 °F",
    "shift": "±5 °F shift (24-72 h)",
    "units": "one day stored in °C",
}
CONTEXT_BLOCKS = 5  # fault windows: two clean blocks either side of the scored one


def inject(
    observed: np.ndarray,
    fault: str,
    rng: np.random.Generator,
    lo: int,
    hi: int,
    day_starts: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A copy of a 1-D observed series (°F) with one fault inside ``[lo, hi)``.

    Parameters
    ----------
    fault
        ``stuck`` (the value at a random hour repeated for 24–48 h), ``spikes`` (three
        distinct hours ±15 °F, random signs), ``shift`` (±5 °F for 24–72 h) or ``units``
        (one calendar day converted to °C, ``(°F − 32)·5/9``).
    day_starts
        Indices of local midnights in ``[lo, hi)`` (for ``units``; default ``lo``, ``lo+24``…).

    Returns
    -------
    faulty, affected : numpy.ndarray
        The modified series and a mask of the hours whose value changed or was replaced.
    """
    out = np.array(observed, dtype="float64")
    affected = np.zeros(out.shape, dtype=bool)
    if fault == "stuck":
        length = int(rng.integers(24, 49))
        start = int(rng.integers(lo, hi - length + 1))
        out[start : start + length] = out[start]
        affected[start + 1 : start + length] = True
    elif fault == "spikes":
        hours = rng.choice(np.arange(lo, hi), size=3, replace=False)
        out[hours] += 15.0 * rng.choice([-1.0, 1.0], size=3)
        affected[hours] = True
    elif fault == "shift":
        length = int(rng.integers(24, 73))
        start = int(rng.integers(lo, hi - length + 1))
        out[start : start + length] += 5.0 * rng.choice([-1.0, 1.0])
        affected[start : start + length] = True
    elif fault == "units":
        days = np.arange(lo, hi - 23, 24) if day_starts is None else np.asarray(day_starts)
        start = int(rng.choice(days))
        out[start : start + 24] = (out[start : start + 24] - 32.0) * 5.0 / 9.0
        affected[start : start + 24] = True
    else:
        raise ValueError(f"unknown fault {fault!r}; use one of {FAULTS}")
    return out, affected


def score_faults(
    model: SeasonalVAE,
    record: Record,
    season: tuple[np.ndarray, np.ndarray],
    n_cases: int,
    seed: int,
    min_observed: int,
) -> xr.Dataset:
    """Scores of held-out blocks, clean and with each synthetic fault, for every detector.

    ``season``: the per-month mean and std of the training blocks' −ELBO (from
    :func:`seasonal_vae.applications.anomaly.score_record`), for the seasonally standardised
    detector; ``n_cases``, ``seed`` and ``min_observed`` are the settings of
    ``applications.anomaly`` (the fault windows are complete, so every block has all its
    hours observed).

    Returns
    -------
    xarray.Dataset
        ``clean`` (detector, case) and ``faulty`` (fault, detector, case) scores of the central
        block of each window; ``auc`` (fault, detector); ``case_start`` (the scored block's
        first hour); and for case 0 an example (``example_*`` on ``hour``).
    """
    length = CONTEXT_BLOCKS * BLOCK
    candidates = window_starts(record, length)
    if candidates.size == 0:
        raise InputError(
            "held-out years",
            f"no stretch of {length} h without missing values",
            "use a record with longer complete held-out years",
        )
    rng = np.random.default_rng(seed)
    index = np.sort(rng.choice(candidates, size=n_cases, replace=candidates.size < n_cases))
    idx = index[:, None] + np.arange(length)
    adjusted = record.adjusted[idx]
    times = record.times.values[idx]
    trend = record.trend(idx.ravel()).reshape(idx.shape)
    lo, hi = 2 * BLOCK, 3 * BLOCK
    versions = [adjusted]
    affected = {}
    for fault in FAULTS:
        faulty = np.empty_like(adjusted)
        hit = np.zeros(adjusted.shape, dtype=bool)
        for c in range(n_cases):
            out, aff = inject(adjusted[c] + trend[c], fault, rng, lo, hi)
            faulty[c], hit[c] = out - trend[c], aff
        versions.append(faulty)
        affected[fault] = hit
    clim_mean, clim_std = training_climatology(record)
    stacked = np.concatenate(versions)
    scores = score_windows(
        model,
        stacked,
        np.tile(times[:, 0], len(versions)),
        clim_mean,
        clim_std,
        np.tile(times, (len(versions), 1)),
        season,
        min_observed,
    )
    centre = {d: s[:, 2].reshape(len(versions), n_cases) for d, s in scores.items()}
    clean = np.stack([centre[d][0] for d in DETECTORS])
    faulty = np.stack([np.stack([centre[d][1 + f] for d in DETECTORS]) for f in range(len(FAULTS))])
    auc = np.array(
        [[roc_auc(faulty[f, d], clean[d]) for d in range(len(DETECTORS))] for f in range(len(FAULTS))]
    )
    # example: case 0, clean and each fault, with the VAE's hourly scores
    ex_rows = np.arange(len(versions)) * n_cases
    ex_adjusted = stacked[ex_rows]
    mask = np.isfinite(ex_adjusted)
    nll, _, recon = elbo_terms(
        model, standardise(model, ex_adjusted), mask, np.tile(times[0, :1], len(versions))
    )
    return xr.Dataset(
        {
            "clean": (("detector", "case"), clean),
            "faulty": (("fault", "detector", "case"), faulty),
            "auc": (("fault", "detector"), auc, {"long_name": "ROC AUC, faulty vs clean blocks"}),
            "case_start": ("case", times[:, lo]),
            "fault_label": ("fault", np.array([FAULT_LABELS[f] for f in FAULTS])),
            "example_time": ("hour", times[0]),
            "example_value": (
                ("version", "hour"),
                ex_adjusted + trend[0],
                {"units": "degF", "long_name": "observed temperature"},
            ),
            "example_reconstruction": (
                ("version", "hour"),
                to_degf(model, recon) + trend[0],
                {"units": "degF"},
            ),
            "example_hour_score": (("version", "hour"), nll, {"units": "nats"}),
            "example_affected": (
                ("fault", "hour"),
                np.stack([affected[f][0] for f in FAULTS]).astype("int8"),
            ),
        },
        coords={
            "fault": np.array(FAULTS),
            "detector": np.array(DETECTORS),
            "case": np.arange(n_cases),
            "hour": np.arange(length),
            "version": np.array(("clean",) + FAULTS),
        },
        attrs={"scored_block": "hours 192-287 of each 480-hour window (the third 4-day block)"},
    )
