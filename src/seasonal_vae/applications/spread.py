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
procedure (another seed): the smallest factor whose central 90 % ranges, pooled over the
scored hours, come closest to holding 90 % of the truth. The q of those cases is fitted once
and sampled with every factor; the held-out years are judged once, with the factor chosen.
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
#: The share of the truth a calibrated central 90 % range holds.
TARGET = 0.90


def choose_spread(
    model: SeasonalVAE,
    adjusted,
    mask,
    starts,
    scored,
    *,
    n_members: int,
    n_steps: int,
    learning_rate: float,
    seed: int,
) -> tuple[float, dict]:
    """The factor of :data:`SPREADS` whose ensembles' 90 % ranges hold closest to 90 %.

    Parameters
    ----------
    adjusted, mask, starts
        Training-year windows (adjusted °F), where they count as observed, and their first
        timestamps, as :func:`~seasonal_vae.model.posterior.condition` takes them.
    scored
        ``(N, 96k)`` True at the hours whose coverage counts (the gaps, or the lead hours).
    n_members, n_steps, learning_rate, seed
        As for :func:`~seasonal_vae.model.posterior.condition`.

    Returns
    -------
    spread : float
        The factor chosen (ties: the smaller).
    calibration : dict
        ``spreads``, and per factor the pooled ``coverage_90`` and mean ``crps`` (°F) over
        the scored hours, and ``n_windows``: for the results' record.
    """
    adjusted = np.asarray(adjusted, dtype="float64")
    mask, scored = np.asarray(mask, dtype=bool), np.asarray(scored, dtype=bool)
    posterior = fit_posterior(model, standardise(model, adjusted), mask, starts, n_steps, learning_rate, seed)
    coverage, crps = [], []
    for factor in SPREADS:
        inside = total = 0.0
        crps_sum = 0.0
        draws = sample_posterior(
            model, posterior, n_members, noise=True, seed=np.random.SeedSequence([seed, 1]), spread=factor
        )
        for rows, chunk in draws:
            members, truth, keep = to_degf(model, chunk), adjusted[rows], scored[rows]
            lo, hi = np.quantile(members, CENTRAL_90, axis=1)
            inside += float((((truth >= lo) & (truth <= hi)) & keep).sum())
            crps_sum += float(np.where(keep, crps_ensemble(truth, members, member_axis=1), 0.0).sum())
            total += float(keep.sum())
        coverage.append(inside / total)
        crps.append(crps_sum / total)
        log.info(
            "spread %.2f on training-year cases: 90 %% ranges hold %.3f, CRPS %.3f °F",
            factor,
            coverage[-1],
            crps[-1],
        )
    best = int(np.argmin(np.abs(np.asarray(coverage) - TARGET)))  # argmin: the first (smallest) of ties
    calibration = {
        "spreads": list(SPREADS),
        "coverage_90": coverage,
        "crps": crps,
        "n_windows": int(len(adjusted)),
    }
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
    chosen, calibration = choose_spread(model, truth, mask, starts, ~mask, **fit)
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
    scored = np.zeros_like(mask)
    scored[:, ctx : ctx + lead] = True
    chosen, calibration = choose_spread(
        model, adjusted, mask, record.times.values[issue - ctx], scored, **fit
    )
    log.info("forecast: spread %.2f, chosen on %d training-year dates", chosen, n_cases)
    return chosen, calibration
