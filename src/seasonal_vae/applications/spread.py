"""The spread of an extension's gap-filling and forecast ensembles, chosen on training years.

The diagonal Gaussian ``q(z)`` that :func:`seasonal_vae.model.posterior.fit_posterior` fits
to the observed hours is too sure of the latents: mean-field variational inference gives
each latent the variance it would have if all the others were known, which is smaller than
its marginal variance wherever the posterior is correlated (here: the latent chain from step
to step, and the decoder's overlap of neighbouring steps). The ensembles' central 90 % ranges
then hold too little of the truth, the more so the longer the gap.

``spread`` multiplies q's standard deviation in every draw
(:func:`~seasonal_vae.model.posterior.sample_posterior`; 1: q as fitted). :func:`choose_spread`
picks it from :data:`SPREADS` on cases cut from the *training* years by the application's own
procedure (another seed), row by row of the application's table (gap lengths, lead days):
first the factors whose rows' central 90 % ranges hold 85-95 % of the truth (:data:`BAND`;
failing that, the least total shortfall from it), then among those the sharpest, the lowest
CRPS. The q of those cases is fitted once and sampled with every factor; the held-out years
are judged once, with the factor chosen.
"""

from __future__ import annotations

import logging

import numpy as np

from seasonal_vae.applications.cases import context_windows, draw_cases, draw_issues, gapped_windows
from seasonal_vae.applications.results import CENTRAL_90
from seasonal_vae.evaluation.scores import crps_ensemble
from seasonal_vae.model.posterior import fit_posterior, sample_posterior
from seasonal_vae.model.record import Record, standardise, to_degf
from seasonal_vae.model.vae import SeasonalVAE

log = logging.getLogger(__name__)

#: The factors on q's standard deviation that :func:`choose_spread` tries.
SPREADS = (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0)
#: The shares of the truth that a calibrated central 90 % range holds (the calibration target).
BAND = (0.85, 0.95)


def choose_spread(
    model: SeasonalVAE,
    adjusted,
    mask,
    starts,
    rows,
    *,
    n_members: int,
    n_steps: int,
    learning_rate: float,
    seed: int,
) -> tuple[float, dict]:
    """The factor of :data:`SPREADS` whose ensembles are calibrated row by row, then sharpest.

    Parameters
    ----------
    adjusted, mask, starts
        Training-year windows (adjusted °F), where they count as observed, and their first
        timestamps, as :func:`~seasonal_vae.model.posterior.condition` takes them.
    rows
        ``(N, 96k)`` integers: the row of the score table an hour counts in (0, 1, …: a gap
        length, a lead day), −1 where it is not scored.
    n_members, n_steps, learning_rate, seed
        As for :func:`~seasonal_vae.model.posterior.condition`.

    Returns
    -------
    spread : float
        The factor chosen: the least mean shortfall of the rows' coverage from :data:`BAND`
        (0 when every row is inside it), then the lowest CRPS over the scored hours.
    calibration : dict
        ``spreads``; per factor the rows' ``coverage_90`` (a list per factor) and the mean
        ``crps`` (°F) over the scored hours; ``n_windows``: for the results' record.
    """
    if np.asarray(rows).dtype.kind not in "iu":
        raise TypeError("rows must be integers: the table row of each hour, -1 where not scored")
    adjusted, mask, rows = np.asarray(adjusted, "float64"), np.asarray(mask, bool), np.asarray(rows, int)
    n_rows = int(rows.max()) + 1
    counts = np.bincount(rows[rows >= 0], minlength=n_rows)
    posterior = fit_posterior(model, standardise(model, adjusted), mask, starts, n_steps, learning_rate, seed)
    coverage, crps = [], []
    for factor in SPREADS:
        inside, crps_sum = np.zeros(n_rows), 0.0
        draws = sample_posterior(
            model, posterior, n_members, noise=True, seed=np.random.SeedSequence([seed, 1]), spread=factor
        )
        for chunk_rows, chunk in draws:
            members, truth, row = to_degf(model, chunk), adjusted[chunk_rows], rows[chunk_rows]
            lo, hi = np.quantile(members, CENTRAL_90, axis=1)
            hit = (truth >= lo) & (truth <= hi) & (row >= 0)
            inside += np.bincount(row[hit], minlength=n_rows)
            crps_sum += float(crps_ensemble(truth, members, member_axis=1)[row >= 0].sum())
        coverage.append((inside / counts).tolist())
        crps.append(crps_sum / counts.sum())
        log.info(
            "spread %.2f on training-year cases: 90 %% ranges hold %s, CRPS %.3f °F",
            factor,
            ", ".join(f"{c:.3f}" for c in coverage[-1]),
            crps[-1],
        )
    cov = np.asarray(coverage)
    shortfall = np.mean(np.maximum(0.0, np.maximum(BAND[0] - cov, cov - BAND[1])), axis=1)
    calibrated = np.flatnonzero(shortfall <= shortfall.min() + 1e-12)
    best = calibrated[np.argmin(np.asarray(crps)[calibrated])]
    calibration = {"spreads": list(SPREADS), "coverage_90": coverage, "crps": crps}
    calibration["n_windows"] = len(adjusted)
    return float(SPREADS[best]), calibration


def spread_for_imputation(
    model: SeasonalVAE, record: Record, gap_hours, n_cases: int, context_hours: int, margin_hours: int, **fit
) -> tuple[float, dict]:
    """:func:`choose_spread` on gaps cut from training-year windows exactly as gap filling cuts
    them from held-out ones (:func:`~seasonal_vae.applications.cases.draw_cases`, seed + 1).
    ``fit``: ``n_members``, ``n_steps``, ``learning_rate``, ``seed``."""
    cases = draw_cases(
        record, gap_hours, n_cases, context_hours, margin_hours, fit["seed"] + 1, record.training
    )
    truth, mask, starts = gapped_windows(record, *cases, gap_hours, context_hours)
    rows = np.where(mask, -1, np.repeat(np.arange(len(gap_hours)), n_cases)[:, None])  # by gap length
    chosen, calibration = choose_spread(model, truth, mask, starts, rows, **fit)
    log.info("imputation: spread %.2f, chosen on %d training-year gaps", chosen, len(truth))
    return chosen, calibration


def spread_for_forecasts(
    model: SeasonalVAE, record: Record, n_cases: int, context_days: int, lead_days: int, **fit
) -> tuple[float, dict]:
    """:func:`choose_spread` on forecasts from training-year dates, drawn as the held-out ones
    are (:func:`~seasonal_vae.applications.cases.draw_issues`, seed + 1), scored over the lead
    hours."""
    ctx, lead = 24 * context_days, 24 * lead_days
    issue = draw_issues(record, n_cases, context_days, lead_days, fit["seed"] + 1, record.training)
    adjusted, mask = context_windows(record.adjusted[issue[:, None] + np.arange(-ctx, 0)], lead)
    adjusted[:, ctx : ctx + lead] = record.adjusted[issue[:, None] + np.arange(lead)]  # the truth, unobserved
    rows = np.full(mask.shape, -1)
    rows[:, ctx : ctx + lead] = np.arange(lead) // 24  # by lead day
    chosen, calibration = choose_spread(model, adjusted, mask, record.times.values[issue - ctx], rows, **fit)
    log.info("forecast: spread %.2f, chosen on %d training-year dates", chosen, n_cases)
    return chosen, calibration
