"""The spread of the conditioned ensembles: a factor on q's standard deviation, and its choice
on training-year cases (applications.spread)."""

import json

import numpy as np
import pytest
import xarray as xr

from seasonal_vae.applications import forecast, impute, results, spread
from seasonal_vae.cli import main
from seasonal_vae.core.config import load_config
from seasonal_vae.core.errors import ConfigError
from seasonal_vae.model import posterior
from seasonal_vae.model.record import standardise, window_starts

IMPUTATION = {
    "gap_hours": (6, 48),
    "n_cases": 4,
    "context_hours": 384,
    "margin_hours": 96,
    "n_members": 8,
    "n_steps": 10,
    "learning_rate": 0.2,
    "seed": 5,
}
FORECASTS = {"n_cases": 4, "context_days": 8, "lead_days": 3, "n_members": 8, "n_steps": 10}
FORECASTS.update(learning_rate=0.2, seed=5)


@pytest.fixture(scope="module")
def fitted(tiny_model, tiny_record):
    """q fitted to three held-out windows of 384 h with a 48-hour gap each."""
    starts = window_starts(tiny_record, 384)[[0, 10, 20]]
    values = tiny_record.adjusted[starts[:, None] + np.arange(384)]
    mask = np.ones(values.shape, dtype=bool)
    mask[:, 150:198] = False
    x = standardise(tiny_model, values)
    return posterior.fit_posterior(tiny_model, x, mask, tiny_record.times.values[starts], 10, 0.2)


def _draws(model, q, **kw):
    return np.concatenate([c for _, c in posterior.sample_posterior(model, q, 64, noise=False, seed=3, **kw)])


def test_spread_one_is_q_as_fitted_and_draws_scale_with_it(tiny_model, fitted):
    """spread = 1 gives the same numbers bit for bit; the members' spread around the decoded
    posterior mean grows with the factor, and vanishes with it (the decoder is smooth)."""
    np.testing.assert_array_equal(_draws(tiny_model, fitted, spread=1.0), _draws(tiny_model, fitted))
    centre = np.asarray(posterior._decode(tiny_model, fitted.mean))[:, None]
    sd = [np.abs(_draws(tiny_model, fitted, spread=s) - centre).mean() for s in (0.01, 0.02, 0.5, 1.0, 2.0)]
    assert sd[0] < 1e-3 and sd[0] < sd[1] < sd[2] < sd[3] < sd[4]
    # small factors act linearly on the draws (through the decoder's Jacobian): twice the factor,
    # twice the spread
    assert sd[1] / sd[0] == pytest.approx(2.0, rel=0.02)


def test_parse_spread_and_the_schema_accept_numbers_and_calibrate():
    assert results.parse_spread("calibrate") == results.parse_spread(" Calibrate ") == "calibrate"
    assert results.parse_spread("1.5") == 1.5 and results.parse_spread(2) == 2.0
    for bad in ("0", "-1", "nan", "inf", "wide", None):
        with pytest.raises(ValueError, match="neither a positive number nor 'calibrate'"):
            results.parse_spread(bad)
    assert load_config(None)["applications"]["spread"] == "calibrate"
    assert load_config({"applications": {"spread": 1.5}})["applications"]["spread"] == 1.5
    for bad in (0, "wide"):
        with pytest.raises(ConfigError, match="spread"):
            load_config({"applications": {"spread": bad}})


def test_choose_spread_takes_a_factor_calibrated_row_by_row_then_the_sharpest(tiny_model, tiny_record):
    starts = window_starts(tiny_record, 384, where=tiny_record.training)[:6]
    values = tiny_record.adjusted[starts[:, None] + np.arange(384)]
    mask = np.ones(values.shape, dtype=bool)
    mask[:, 120:220] = False
    rows = np.where(mask, -1, (np.arange(384) >= 170).astype(int))  # two rows: the gap's halves
    fit = {"n_members": 16, "n_steps": 10, "learning_rate": 0.2, "seed": 1}
    times = tiny_record.times.values[starts]
    chosen, calibration = spread.choose_spread(tiny_model, values, mask, times, rows, **fit)
    coverage, crps = np.asarray(calibration["coverage_90"]), np.asarray(calibration["crps"])
    assert calibration["spreads"] == list(spread.SPREADS) and calibration["n_windows"] == 6
    assert coverage.shape == (len(spread.SPREADS), 2) and ((coverage >= 0) & (coverage <= 1)).all()
    assert coverage[-1].mean() > coverage[0].mean()  # five times q's spread holds more of the truth
    assert (crps > 0).all()
    # the rule, restated: least mean shortfall from the 85-95 % band, then the lowest CRPS
    shortfall = np.maximum(0, np.maximum(0.85 - coverage, coverage - 0.95)).mean(axis=1)
    best = [i for i in range(len(crps)) if shortfall[i] <= shortfall.min() + 1e-12]
    assert chosen == spread.SPREADS[min(best, key=lambda i: crps[i])]
    # the rows: hours outside them (-1) are not scored
    _, one_row = spread.choose_spread(tiny_model, values, mask, times, np.where(rows == 1, 0, -1), **fit)
    np.testing.assert_allclose(np.asarray(one_row["coverage_90"])[:, 0], coverage[:, 1])


@pytest.mark.parametrize("application", ["imputation", "forecast"])
def test_calibrated_scores_are_those_of_the_factor_chosen_on_training_years(
    tiny_model, tiny_record, application
):
    """Choosing the spread on training-year cases does not touch the held-out cases: their
    scores are those of the same run with the chosen factor given; the choice is recorded."""
    score, summarise, markdown, settings = {
        "imputation": (impute.score_imputation, impute.summarise, impute.markdown, IMPUTATION),
        "forecast": (forecast.score_forecasts, forecast.summarise, forecast.markdown, FORECASTS),
    }[application]
    calibrated = score(tiny_model, tiny_record, **settings, spread="calibrate")
    chosen = calibrated.attrs["spread"]
    n_rows = 2 if application == "imputation" else 3  # the table's rows: gap lengths, lead days
    assert chosen in spread.SPREADS
    assert len(calibrated.attrs["spread_coverage_90"]) == n_rows * len(spread.SPREADS)
    given = score(tiny_model, tiny_record, **settings, spread=chosen)
    xr.testing.assert_identical(calibrated.drop_attrs(), given.drop_attrs())
    summary = summarise(calibrated)
    assert summary["settings"]["spread"] == chosen
    assert summary["spread_calibration"]["spreads"] == list(spread.SPREADS)
    assert np.shape(summary["spread_calibration"]["coverage_90_by_row"]) == (len(spread.SPREADS), n_rows)
    json.dumps(summary, allow_nan=False)
    table = markdown(summary)
    assert "chosen on training years" in table if chosen != 1.0 else "standard deviation" not in table
    # given, not chosen: no calibration recorded; q as fitted: the table says nothing of it
    assert "spread_calibration" not in summarise(given)
    assert "standard deviation" not in markdown(summarise(score(tiny_model, tiny_record, **settings)))


def test_cli_takes_the_spread_from_the_configuration(tiny_pipeline, tmp_path):
    """The pipeline's article-model rules pass applications.spread = 1 (q as fitted), the
    variants' rules the configured one; a bad value is refused, and nothing is written."""
    p = tiny_pipeline
    args = ["impute", str(p["model"]), str(p["windows"]), "--out", str(tmp_path / "a.nc")]
    args += ["--json", str(tmp_path / "a.json"), "--config"]
    small = {"n_steps": 5, "n_members": 4, "imputation": {"n_cases": 2, "gap_hours": [6]}}
    assert main([*args, json.dumps({"applications": {**small, "spread": "wide"}})]) == 2
    assert not list(tmp_path.iterdir())
    assert main([*args, json.dumps({"applications": {**small, "spread": 2.5}})]) == 0
    assert json.loads((tmp_path / "a.json").read_text())["settings"]["spread"] == 2.5
