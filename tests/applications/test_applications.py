"""Gap filling, anomaly detection and forecasting on the tiny trained pipeline: mechanics."""

import dataclasses
import json

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from seasonal_vae.applications import anomaly, detectors, faults, fills, forecast, impute
from seasonal_vae.cli import main
from seasonal_vae.model import posterior
from seasonal_vae.model.record import training_climatology, window_starts
from seasonal_vae.model.train import train


@pytest.fixture(scope="module")
def model(tiny_model):  # the conftest's tiny trained model, by this module's shorter name
    return tiny_model


@pytest.fixture(scope="module")
def record(tiny_record):
    return tiny_record


@pytest.fixture(scope="module")
def gappy(record):
    """Four held-out windows of 384 h with gaps of 6, 24, 48 and 100 hours."""
    starts = window_starts(record, 384)[[0, 20, 40, 60]]
    idx = starts[:, None] + np.arange(384)
    values = record.adjusted[idx]
    mask = np.ones(values.shape, dtype=bool)
    for row, (first, length) in enumerate([(100, 6), (150, 24), (97, 48), (140, 100)]):
        mask[row, first : first + length] = False
    return values, mask, record.times.values[starts]


# --- the record and the conditioning machinery -----------------------------------------------


def test_record_and_window_starts(record, tiny_pipeline):
    with xr.open_dataset(tiny_pipeline["detrended"]) as f:
        adjusted = f["t2m"].values
    np.testing.assert_allclose(record.adjusted, adjusted, atol=1e-3)
    starts = window_starts(record, 384)
    assert starts.size > 0
    assert (record.times[starts].hour == 0).all()
    assert record.holdout[starts].all() and record.holdout[starts + 383].all()
    assert set(record.times[starts].year) == {1976}
    # what the split says, computed once (the record is frozen, so it stays true)
    assert record.training_years.tolist() == sorted(set(record.times.year[record.split == 1]))
    assert record.training is record.training and not (record.training & record.holdout).any()
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.split = record.split.copy()


def test_climatology_is_the_training_month_hour_mean(record):
    mean, std = training_climatology(record)
    keep = record.training & (record.times.month == 7) & (record.times.hour == 15)
    assert mean[6, 15] == pytest.approx(record.adjusted[keep].mean())
    assert std[6, 15] == pytest.approx(record.adjusted[keep].std())
    assert mean[6].mean() > mean[0].mean() + 20  # July much warmer than January


def test_fit_posterior_is_reproducible_and_improves_the_fit(model, gappy):
    values, mask, starts = gappy
    x = posterior.standardise(model, values)
    a = posterior.fit_posterior(model, x, mask, starts, n_steps=60, learning_rate=0.05, seed=3)
    b = posterior.fit_posterior(model, x, mask, starts, n_steps=60, learning_rate=0.05, seed=3)
    c = posterior.fit_posterior(model, x, mask, starts, n_steps=60, learning_rate=0.05, seed=4)
    np.testing.assert_array_equal(a.mean, b.mean)
    np.testing.assert_array_equal(a.loss, b.loss)
    assert not np.array_equal(a.mean, c.mean)
    assert a.mean.shape == (4, 4, model.latent_dim) and a.loss.shape == (60,)
    assert a.loss[-10:].mean() < a.loss[:10].mean()


def test_unobserved_latent_steps_start_at_the_prior(model, gappy):
    values, mask, starts = gappy
    mask = mask.copy()
    mask[:, 192:] = False  # the last two latent steps unobserved (the forecasting case)
    post = posterior.fit_posterior(
        model, posterior.standardise(model, values), mask, starts, n_steps=0, learning_rate=0.05
    )
    np.testing.assert_allclose(post.mean[:, 2:], post.prior_mean[:, 2:])
    np.testing.assert_allclose(post.log_var[:, 2:], post.prior_log_var[:, 2:])
    assert not np.allclose(post.mean[:, :2], post.prior_mean[:, :2])


# --- imputation ------------------------------------------------------------------------------


def test_impute_fills_only_the_gaps_with_distinct_reproducible_members(model, gappy):
    values, mask, starts = gappy
    ens = impute.impute(model, values, mask, starts, n_members=6, n_steps=30, learning_rate=0.2, seed=1)
    assert ens.shape == (4, 6, 384)
    np.testing.assert_array_equal(
        ens[np.broadcast_to(mask[:, None], ens.shape)],
        np.broadcast_to(values[:, None], ens.shape)[np.broadcast_to(mask[:, None], ens.shape)],
    )
    gap = np.broadcast_to(~mask[:, None], ens.shape)
    assert np.isfinite(ens).all()
    assert (ens[gap] != np.broadcast_to(values[:, None], ens.shape)[gap]).all()
    assert ens[3][:, ~mask[3]].std(axis=0).min() > 0  # members differ in the gap
    again = impute.impute(model, values, mask, starts, n_members=6, n_steps=30, learning_rate=0.2, seed=1)
    np.testing.assert_array_equal(ens, again)
    other = impute.impute(model, values, mask, starts, n_members=6, n_steps=30, learning_rate=0.2, seed=2)
    assert not np.array_equal(ens, other)


def test_baseline_fills_are_exact_on_their_own_models():
    t = np.arange(48, dtype=float)
    mask = np.ones((1, 48), dtype=bool)
    mask[0, 10:30] = False
    line = 3.0 + 0.5 * t[None]
    np.testing.assert_allclose(fills.linear_fill(line, mask), line)
    clim = 60 + 10 * np.sin(2 * np.pi * t / 24)[None]
    shifted = clim + 4.0  # a constant anomaly: the climatology fill recovers it exactly
    np.testing.assert_allclose(fills.climatology_fill(shifted, mask, clim), shifted)
    ramp = clim + np.linspace(0, 6, 48)[None]  # anomaly changes: fill lies between its sides
    fill = fills.climatology_fill(ramp, mask, clim)[0, 10:30] - clim[0, 10:30]
    assert np.all(np.diff(fill) > 0) and fill[0] > 0.5 and fill[-1] < 6
    np.testing.assert_array_equal(fills.climatology_fill(ramp, mask, clim)[mask], ramp[mask])


def test_score_imputation_shapes_and_sense(model, record):
    ds = impute.score_imputation(
        model,
        record,
        gap_hours=(6, 48),
        n_cases=5,
        context_hours=384,
        margin_hours=96,
        n_members=8,
        n_steps=30,
        learning_rate=0.2,
        seed=5,
    )
    assert ds["mae"].shape == (2, 5, 3) and ds["crps"].shape == (2, 5, 3)
    assert np.isfinite(ds["mae"]).all() and (ds["mae"] > 0).all()
    # deterministic baselines: CRPS = MAE; an ensemble's CRPS is below its members' mean error
    np.testing.assert_allclose(ds["crps"].sel({"method": "linear"}), ds["mae"].sel({"method": "linear"}))
    assert (ds["crps"].sel({"method": "vae"}) > 0).all()
    assert ((ds["coverage90"] >= 0) & (ds["coverage90"] <= 1)).all()
    observed = ds["example_observed"].values.astype(bool)
    assert (~observed).sum(axis=1).tolist() == [6, 48]
    summary = impute.summarise(ds)
    assert [row["gap_hours"] for row in summary["gaps"]] == [6, 48]
    assert "| 6 h |" in impute.markdown(summary) and "| 2 days |" in impute.markdown(summary)


def test_gap_filling_and_forecasts_score_the_same_in_chunks_of_any_size(model, record, monkeypatch):
    """Gap filling and forecasting take the ensemble a few windows at a time (as many as
    posterior.CHUNK_VALUES values); one window a chunk gives the same numbers, examples
    included, as the whole ensemble at once."""
    imputation = {
        "gap_hours": (6, 48),
        "n_cases": 3,
        "context_hours": 384,
        "margin_hours": 96,
        "n_members": 6,
        "n_steps": 5,
        "learning_rate": 0.2,
        "seed": 5,
    }
    forecasts = {"n_cases": 3, "context_days": 8, "lead_days": 3}
    forecasts.update({key: imputation[key] for key in ("n_members", "n_steps", "learning_rate", "seed")})
    whole = (
        impute.score_imputation(model, record, **imputation),
        forecast.score_forecasts(model, record, **forecasts),
    )
    monkeypatch.setattr(posterior, "CHUNK_VALUES", 1)
    xr.testing.assert_identical(impute.score_imputation(model, record, **imputation), whole[0])
    xr.testing.assert_identical(forecast.score_forecasts(model, record, **forecasts), whole[1])


def test_gap_labels_are_hours_then_whole_days():
    assert [impute.gap_label(h) for h in (6, 24, 36, 48, 72, 168, 50)] == [
        "6 h",
        "24 h",
        "36 h",
        "2 days",
        "3 days",
        "7 days",
        "50 h",
    ]


# --- anomaly ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", faults.FAULTS)
def test_inject_changes_only_the_fault_hours(fault):
    rng = np.random.default_rng(0)
    hours = np.arange(480)
    clean = 70 + 15 * np.sin(2 * np.pi * hours / 24)
    faulty, affected = faults.inject(clean, fault, rng, 192, 288)
    changed = faulty != clean
    assert changed.any() and not changed[:192].any() and not changed[288:].any()
    assert not (changed & ~affected).any()
    if fault == "stuck":
        run = np.flatnonzero(affected)
        assert 23 <= run.size <= 47 and np.all(faulty[run] == faulty[run[0] - 1])
    elif fault == "spikes":
        assert affected.sum() == 3 and np.allclose(np.abs(faulty - clean)[affected], 15)
    elif fault == "shift":
        assert 24 <= affected.sum() <= 72 and np.allclose(np.abs(faulty - clean)[affected], 5)
    else:
        day = np.flatnonzero(affected)
        assert day.size == 24 and day[0] % 24 == 0
        np.testing.assert_allclose(faulty[day], (clean[day] - 32) * 5 / 9)


def test_block_scores_known_answer():
    nll = np.zeros((1, 192))
    nll[0, :96] = 1.0
    nll[0, 96:150] = np.nan  # 42 observed hours left in the second block
    nll[0, 160] = 7.0
    kl = np.array([[96.0, 42.0]])
    elbo, peak = detectors.block_scores(nll, kl, min_observed=48)
    np.testing.assert_allclose(elbo, [[2.0, np.nan]])
    elbo, peak = detectors.block_scores(nll, kl, min_observed=10)
    np.testing.assert_allclose(elbo, [[2.0, (7.0 + 42.0) / 42.0]])
    np.testing.assert_allclose(peak, [[1.0, 7.0]])


def test_score_record_covers_the_record_in_blocks(model, record):
    ds = anomaly.score_record(model, record, min_observed=48)
    n = ds.sizes["block"]
    assert ds.sizes["time"] == 96 * n and n == (len(record.times) - 7) // 96
    assert (pd.DatetimeIndex(ds["block_start"].values).hour == 0).all()
    assert np.isfinite(ds["neg_elbo"]).all() and np.isfinite(ds["hour_score"]).all()
    train = ds["split"].values == 1
    assert abs(float(np.nanmean(ds["neg_elbo_season"].values[train]))) < 1e-6
    table = anomaly.top_blocks(ds, 3)
    assert len(table) == 3 and table["score_seasonal"].is_monotonic_decreasing
    assert set(table["kind"]) <= {"hot", "cold", "jump", "shape"}


@pytest.fixture(scope="module")
def trained_model(tiny_pipeline, tmp_path_factory):
    """The tiny pipeline's model barely learns (10 epochs of 2 batches, noise σ ≈ 1 std unit ≈ 18 °F); this
    one trains 40 epochs (≈ 12 s) so that its reconstructions carry the diurnal cycle."""
    cfg = tiny_pipeline["config"]
    run = {**cfg, "training": {**cfg["training"], "epochs": 40, "learning_rate": 0.01, "batch_size": 4}}
    root = tmp_path_factory.mktemp("trained")
    return train(tiny_pipeline["windows"], root / "vae.keras", root / "history.csv", run)


def test_missing_hours_are_not_scored(model, record):
    import dataclasses

    adjusted = record.adjusted.copy()
    adjusted[1000:1300] = np.nan  # a long gap (data.allow_long_gaps)
    ds = anomaly.score_record(model, dataclasses.replace(record, adjusted=adjusted), min_observed=48)
    score = ds["hour_score"].sel(time=slice(record.times[1000], record.times[1299]))
    assert score.isnull().all() and score.size == 300
    assert np.isfinite(ds["hour_score"].values[:900]).all()
    starts = pd.DatetimeIndex(ds["block_start"].values)
    inside = (starts >= record.times[1000]) & (starts + pd.Timedelta(hours=95) <= record.times[1299])
    assert inside.any() and np.isnan(ds["neg_elbo"].values[inside]).all()
    partly = (starts + pd.Timedelta(hours=95) >= record.times[1000]) & (starts <= record.times[1299])
    assert np.isfinite(ds["neg_elbo"].values[~partly]).all()


def test_injected_faults_score_higher_than_clean_blocks(trained_model, record):
    assert trained_model.noise_sigma < 0.7  # it did learn something
    ds, table = anomaly.score_anomalies(trained_model, record, n_cases=24, top=3, min_observed=48, seed=1)
    assert ds["faulty"].shape == (4, 5, 24) and len(table) == 3
    auc = ds["auc"]
    # the largest hourly score finds what is sharp in time (spikes, a day in °C); the block's
    # −ELBO finds what is wrong over hours (a stuck sensor, a day in °C)
    for fault in ("spikes", "units"):
        assert float(auc.sel(fault=fault, detector="vae_max")) > 0.85, fault
    for fault in ("units", "stuck"):
        assert float(auc.sel(fault=fault, detector="vae_elbo")) > 0.85, fault
    # paired: every unit mix-up raises the block's −ELBO
    assert (ds["faulty"].sel(fault="units", detector="vae_elbo") > ds["clean"].sel(detector="vae_elbo")).all()


# --- forecast --------------------------------------------------------------------------------


def test_baselines_use_the_same_calendar_date_in_training_years(record):
    issue = pd.Timestamp("1976-03-10 00:00")
    traj = forecast.analogs(record, issue, 24, 48)
    assert traj.shape == (2, 72)  # training years 1974 and 1975
    i = record.times.get_loc(pd.Timestamp("1975-03-10"))
    np.testing.assert_allclose(traj[1], record.adjusted[i - 24 : i + 48])
    last_day = np.arange(24.0)
    base = forecast.baselines(record, issue, last_day, 48)
    np.testing.assert_array_equal(base["persistence"], np.tile(last_day, 2))
    assert base["climatology"].shape == (2, 48) and base["persistence_ensemble"].shape == (2, 48)


def test_forecast_shapes_and_reproducibility(model, record):
    starts = window_starts(record, 24 * 15)[:3]
    context = record.adjusted[starts[:, None] + np.arange(24 * 8)]
    times = record.times.values[starts]
    a = forecast.forecast(model, context, times, 24 * 7, n_members=5, n_steps=20, learning_rate=0.2, seed=9)
    b = forecast.forecast(model, context, times, 24 * 7, n_members=5, n_steps=20, learning_rate=0.2, seed=9)
    assert a.shape == (3, 5, 168) and np.isfinite(a).all()
    np.testing.assert_array_equal(a, b)


def test_score_forecasts_by_lead_day(model, record):
    ds = forecast.score_forecasts(
        model,
        record,
        n_cases=4,
        context_days=8,
        lead_days=3,
        n_members=6,
        n_steps=20,
        learning_rate=0.2,
        seed=2,
    )
    assert ds["crps"].shape == (4, 72, 3)
    daily = forecast.by_lead_day(ds)
    assert daily["lead_day"].values.tolist() == [1, 2, 3]
    summary = forecast.summarise(ds)
    assert len(summary["by_lead_day"]) == 3 and set(summary["all_leads"]["crps"]) == set(forecast.METHODS)
    assert (pd.DatetimeIndex(ds["issue_time"].values).hour == 0).all()


# --- command line and figures ----------------------------------------------------------------


def test_cli_commands_write_results_and_figures(tiny_pipeline, tmp_path):
    p = tiny_pipeline
    apps = {
        "seed": 3,
        "n_members": 5,
        "n_steps": 10,
        "imputation": {"n_cases": 4, "gap_hours": [6, 24], "context_hours": 384},
        "anomaly": {"n_cases": 4, "top": 5},
        "forecast": {"n_cases": 4, "context_days": 8, "lead_days": 2},
    }
    cfg = json.dumps({**p["config"], "applications": apps})
    common = [str(p["model"]), str(p["windows"]), "--config", cfg]
    out = {k: tmp_path / k for k in ("imputation", "anomaly", "forecast")}
    assert (
        main(
            [
                "impute",
                *common,
                "--out",
                f"{out['imputation']}.nc",
                "--json",
                f"{out['imputation']}.json",
                "--markdown",
                f"{out['imputation']}.md",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "anomaly",
                *common,
                "--out",
                f"{out['anomaly']}.nc",
                "--json",
                f"{out['anomaly']}.json",
                "--top-csv",
                f"{out['anomaly']}.csv",
            ]
        )
        == 0
    )
    assert (
        main(["forecast", *common, "--out", f"{out['forecast']}.nc", "--json", f"{out['forecast']}.json"])
        == 0
    )
    assert json.loads(out["imputation"].with_suffix(".json").read_text())["settings"]["n_cases"] == 4
    assert "| 24 h |" in out["imputation"].with_suffix(".md").read_text()
    assert len(pd.read_csv(f"{out['anomaly']}.csv")) == 5
    assert set(json.loads(out["anomaly"].with_suffix(".json").read_text())["auc"]) == set(faults.FAULTS)
    assert len(json.loads(out["forecast"].with_suffix(".json").read_text())["by_lead_day"]) == 2
    for kind in out:
        data, png = tmp_path / f"{kind}_figdata.nc", tmp_path / f"{kind}.png"
        assert main(["figure-data", kind, f"{kind}={out[kind]}.nc", "--out", str(data), "--config", cfg]) == 0
        assert main(["plot", kind, str(data), "--out", str(png), "--config", cfg]) == 0
        image = mpimg.imread(png)
        assert image.shape[0] > 1000 and image[..., :3].std() > 0.05
        assert png.with_suffix(".svg").is_file()
        assert p["config"]["data"]["label"] in png.with_suffix(".svg").read_text()


def test_cli_reports_bad_input(tiny_pipeline, tmp_path, caplog):
    p = tiny_pipeline
    bad = json.dumps({"applications": {"imputation": {"n_cases": 0}}})
    assert (
        main(
            [
                "impute",
                str(p["model"]),
                str(p["windows"]),
                "--out",
                str(tmp_path / "a.nc"),
                "--json",
                str(tmp_path / "a.json"),
                "--config",
                bad,
            ]
        )
        == 2
    )
    assert (
        main(
            [
                "figure-data",
                "forecast",
                f"forecast={tmp_path / 'missing.nc'}",
                "--out",
                str(tmp_path / "f.nc"),
            ]
        )
        == 2
    )
    assert not list(tmp_path.iterdir())
