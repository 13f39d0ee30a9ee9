"""The evaluation: year sets, the noise floor's splits, the whole table on the tiny pipeline,
the classifier, the command line and the figure."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from seasonal_vae.cli import main
from seasonal_vae.core.errors import InputError
from seasonal_vae.data.series import load_series
from seasonal_vae.evaluation import metrics_table
from seasonal_vae.evaluation import suite as E
from seasonal_vae.evaluation import years as Y
from seasonal_vae.evaluation.classifier import (
    classifier_scores,
    paired_windows,
    summarise_scores,
    t_interval,
)
from seasonal_vae.evaluation.classifier_training import auroc
from seasonal_vae.evaluation.metric_info import METRICS


def _with_evaluation(cfg: dict, **settings) -> dict:
    """``cfg`` with some settings of its ``evaluation`` section changed."""
    return {**cfg, "evaluation": {**cfg["evaluation"], **settings}}


def _generator_file(path, values: np.ndarray, times) -> None:
    """A generator file as the sample and baseline steps write it: t2m (path, time) in °F."""
    values = np.atleast_2d(values)
    xr.Dataset(
        {"t2m": (("path", "time"), values, {"units": "degF"})},
        coords={"path": np.arange(len(values)), "time": times},
    ).to_netcdf(path)


# --------------------------------------------------------------------------------------------
# Year sets and splits
# --------------------------------------------------------------------------------------------
def test_year_times_cover_whole_calendar_years_with_leap_days():
    times = Y.year_times([1977, 1976])
    assert len(times) == 366 * 24 + 365 * 24
    assert times[0] == pd.Timestamp("1976-01-01") and times[-1] == pd.Timestamp("1977-12-31 23:00")
    assert times.is_monotonic_increasing


def test_year_set_is_nan_where_the_series_has_no_value():
    times = pd.date_range("1975-12-31 17:00", "1976-12-31 16:00", freq="h")  # local year of UTC files
    da = xr.DataArray(np.arange(len(times), dtype=float), dims="time", coords={"time": times})
    got = Y.year_set(da, [1976])
    assert got.sizes["time"] == 366 * 24
    assert int(got.isnull().sum()) == 7  # 17:00-23:00 on 31 December are not in the record
    assert float(got.sel(time="1976-01-01 00:00")) == 7.0
    assert Y.usable_years(da, [1975, 1976]) == [1976]


def test_year_set_keeps_a_generator_files_paths():
    times = pd.date_range("1975-12-31 17:00", "1977-12-31 16:00", freq="h")
    values = np.arange(2 * len(times), dtype="float32").reshape(2, -1)
    da = xr.DataArray(values, dims=("path", "time"), coords={"path": [0, 1], "time": times})
    got = Y.year_set(da, [1977, 1976])
    assert got.dims == ("path", "time") and got.dtype == "float64"
    for p in (0, 1):
        np.testing.assert_array_equal(
            got.isel(path=p).values, Y.year_set(da.isel(path=p), [1976, 1977]).values
        )


def test_year_blocks_assemble_the_same_sets_as_year_set_and_mapped_set():
    from seasonal_vae.data.detrend import detrend

    times = pd.date_range("1995-12-31 17:00", "2004-12-31 16:00", freq="h")  # leap years 1996, 2000, 2004
    rng = np.random.default_rng(0)
    real = xr.DataArray(70 + rng.normal(0, 5, len(times)), dims="time", coords={"time": times})
    real[1000:1050] = np.nan  # a gap in 1996
    years = list(range(1996, 2005))
    blocks = Y.YearBlocks(real, years, 0.7, 2024)
    detrended = detrend(real, 0.7, 2024)
    # leap ← leap, common ← common, common ← leap, leap ← common (29 Feb from 28 Feb), a gap
    for a, b in (([1996, 1999], [2000, 2001]), ([1997, 2000, 2003], [2004, 1998, 1996])):
        assert blocks.year_set(a).identical(Y.year_set(real, a))
        got, expected = blocks.mapped_set(b, a), Y.mapped_set(detrended, b, a, 0.7, 2024)
        np.testing.assert_array_equal(got["time"].values, expected["time"].values)
        np.testing.assert_array_equal(got.values, expected.values)  # NaN where the source has none


@pytest.mark.parametrize("size,n_random,stride", [(2, 50, 4), (10, 50, 5), (1, 3, None)])
def test_floor_splits_are_disjoint_distinct_and_of_the_right_size(size, n_random, stride):
    years = list(range(1974, 2024))
    splits = Y.floor_splits(years, size, n_random, seed=1, stride=stride)
    n_systematic = math.comb(stride, 2) if stride and len(years) // stride >= size else 0
    assert len(splits) == n_systematic + n_random
    assert len(set(splits)) == len(splits)
    for a, b in splits:
        assert len(a) == len(b) == size and not set(a) & set(b)
        assert list(a) == sorted(a) and list(b) == sorted(b) and set(a) | set(b) <= set(years)
    assert Y.floor_splits(years, size, n_random, seed=1, stride=stride) == splits  # seeded


def test_systematic_splits_are_the_holdout_classes_and_balance_the_trend():
    years = list(range(1974, 2024))
    splits = Y.floor_splits(years, 10, 0, seed=0, stride=5)
    assert len(splits) == 10
    a, b = splits[0]
    assert a == tuple(range(1974, 2024, 5)) and b == tuple(range(1975, 2024, 5))
    for a, b in splits:  # each class spans the record: mean years differ by < stride
        assert abs(np.mean(a) - np.mean(b)) < 5


def test_floor_splits_enumerate_every_split_when_there_are_few():
    splits = Y.floor_splits([2000, 2001, 2002], 1, n_random=50, seed=0)
    assert sorted(splits) == [((a,), (b,)) for a in (2000, 2001, 2002) for b in (2000, 2001, 2002) if a != b]
    assert Y.floor_splits([2000], 1, 5, 0) == []


# --------------------------------------------------------------------------------------------
# The whole evaluation on the tiny pipeline
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def evaluated(tiny_pipeline, tmp_path_factory):
    """The held-out real years as a generator (a perfect one), a +2 °F copy, and the VAE."""
    p = tiny_pipeline
    tmp = tmp_path_factory.mktemp("evaluation")
    real = load_series(p["series"])
    _generator_file(tmp / "real.nc", real.values, real["time"].values)
    _generator_file(tmp / "warm.nc", real.values + 2.0, real["time"].values)
    gens = {"same": tmp / "real.nc", "warm": tmp / "warm.nc", "vae": p["samples"]}
    cfg = _with_evaluation(p["config"], n_splits=5, classifier=False)
    table, floor, ctx = E.evaluate(p["series"], gens, cfg)
    return table, floor, ctx, gens, tmp


def test_the_table_has_every_metric_of_every_generator(evaluated):
    table, floor, ctx, gens, _ = evaluated
    assert list(table.columns) == list(metrics_table.COLUMNS)
    assert len(table) == len(METRICS) * len(gens)
    assert set(table["generator"]) == set(gens)
    assert ctx.holdout_years == [1976] and ctx.train_years == [1974, 1975]
    # 3 usable years, sets of one year: every ordered pair of distinct years is a split
    assert floor["split"].nunique() == 6
    # the spread of monthly means across years needs two years a side: undefined here
    one_year = table["metric"] == "interannual_log_ratio"
    assert (table.loc[~one_year, "n_floor"] == 6).all()
    assert (table.loc[one_year, "n_floor"] == 0).all() and table.loc[one_year, "value"].isna().all()
    assert (table.loc[~one_year, "floor_p95"] >= table.loc[~one_year, "floor_median"]).all()


def test_the_held_out_years_themselves_score_zero_on_every_metric(evaluated):
    table = evaluated[0]
    same = table[(table["generator"] == "same") & (table["metric"] != "interannual_log_ratio")]
    np.testing.assert_allclose(same["value"].to_numpy(dtype=float), 0.0, atol=1e-9)
    assert same["within_floor"].astype(bool).all()
    np.testing.assert_allclose(same["ratio"].dropna().to_numpy(dtype=float), 0.0, atol=1e-9)


def test_a_two_degree_shift_shows_in_climatology_and_leaves_persistence_alone(evaluated):
    table = evaluated[0].set_index(["generator", "metric"])["value"]
    assert table["warm", "clim_mean_rmse"] == pytest.approx(2.0, abs=1e-9)
    assert table["warm", "clim_std_rmse"] == pytest.approx(0.0, abs=1e-9)
    assert table["warm", "acf_hourly_l2"] == pytest.approx(0.0, abs=1e-9)
    assert table["warm", "acf_daily_l2"] == pytest.approx(0.0, abs=1e-9)
    assert table["warm", "w1_monthly"] == pytest.approx(2.0, abs=1e-9)


def test_ratio_is_value_over_floor_median(evaluated):
    table = evaluated[0]
    ok = table["floor_median"] > 0
    np.testing.assert_allclose(table.loc[ok, "ratio"], table.loc[ok, "value"] / table.loc[ok, "floor_median"])


def test_outputs_are_written_and_read_back(evaluated):
    table, floor, ctx, gens, tmp = evaluated
    metrics_table.write_outputs(table, floor, ctx, tmp / "m.csv", tmp / "m.md", tmp / "f.csv")
    back = metrics_table.read_metrics(tmp / "m.csv")
    assert len(back) == len(table)
    np.testing.assert_allclose(back["value"], table["value"], rtol=1e-5, atol=1e-9)
    text = (tmp / "m.md").read_text()
    assert "| Family | Metric |" in text and "1976" in text
    for name in gens:
        assert f"| {name}" in text or f"{name} |" in text
    assert len(text.splitlines()) >= len(METRICS) + 2
    assert len(pd.read_csv(tmp / "f.csv")) == len(floor)


def test_each_path_is_judged_against_the_floor_and_path_0_is_the_tables_mark(evaluated):
    table, floor, ctx, gens, tmp = evaluated
    vae = table[(table["generator"] == "vae") & (table["within_by_path"] != "")]
    assert len(vae) == len(METRICS) - 1  # every metric with a floor (not the 1-year spread)
    n_paths = xr.open_dataset(gens["vae"]).sizes["path"]
    assert n_paths > 1 and (vae["within_by_path"].str.len() == n_paths).all()
    for _, row in vae.iterrows():  # path 0's mark is the table's ✓ (the value is path 0's)
        assert (row["within_by_path"][0] == "y") == bool(row["within_floor"]), row["metric"]
        # the paths' spread brackets the floor: some path in, some out, only if it straddles
        if row["spread_low"] > row["floor_p95"]:
            assert set(row["within_by_path"]) == {"n"}
        if row["spread_high"] <= row["floor_p95"]:
            assert set(row["within_by_path"]) == {"y"}
    counts = metrics_table.path_counts(table, "vae")
    assert len(counts) == n_paths
    assert counts[0] == int(vae["within_floor"].astype(bool).sum())
    metrics_table.write_outputs(table, floor, ctx, tmp / "p.csv", tmp / "p.md")
    assert f"vae {', '.join(map(str, counts))}" in (tmp / "p.md").read_text()
    back = metrics_table.read_metrics(tmp / "p.csv")  # "nyy…" is read back as text, not a number
    assert metrics_table.path_counts(back, "vae") == counts


def test_by_path_and_the_counts_per_path():
    assert metrics_table.by_path([0.5, 2.0, np.nan, 1.0], 1.0) == "yn-y"
    assert metrics_table.by_path([0.5], np.nan) == ""  # no floor
    assert metrics_table.by_path(np.nan, 1.0) == ""  # judged on path 0 only (the classifier)
    table = pd.DataFrame(
        {
            "generator": ["a", "a", "a", "b"],
            "within_by_path": ["yny", "yyn", "", "nn"],
        }
    )
    assert metrics_table.path_counts(table, "a") == [2, 1, 1]
    assert metrics_table.path_counts(table, "b") == [0, 0]
    assert metrics_table.path_counts(table, "c") == []


def test_a_generator_that_misses_the_held_out_hours_is_refused(evaluated, tiny_pipeline, tmp_path):
    real = load_series(tiny_pipeline["series"])
    short = real.sel(time=slice(None, "1975-12-31"))
    _generator_file(tmp_path / "short.nc", short.values, short["time"].values)
    with pytest.raises(InputError, match="covers only"):
        E.evaluate(
            tiny_pipeline["series"],
            {"short": tmp_path / "short.nc"},
            _with_evaluation(tiny_pipeline["config"], n_splits=0, classifier=False),
        )


# --------------------------------------------------------------------------------------------
# The classifier
# --------------------------------------------------------------------------------------------
def test_paired_windows_start_at_midnight_on_1_january_and_drop_gaps():
    times = pd.date_range("2001-01-01", "2001-12-31 23:00", freq="h")
    x = xr.DataArray(np.sin(np.arange(len(times)) / 24 * 2 * np.pi), dims="time", coords={"time": times})
    y = x.copy()
    y[200] = np.nan  # inside the second week
    rw, gw, months = paired_windows(x, y, window_days=7)
    assert rw.shape == gw.shape == (51, 168)  # 52 full weeks, one dropped
    np.testing.assert_array_equal(rw[0], x.values[:168])
    assert months[0] == 1 and months[-1] == 12
    with pytest.raises(ValueError):
        paired_windows(x, y.isel(time=slice(1, None)), window_days=7)


def test_auroc_and_t_interval_closed_forms():
    assert auroc(np.array([0.9, 0.8]), np.array([0.1, 0.2])) == 1.0
    assert auroc(np.array([0.1]), np.array([0.9])) == 0.0
    assert auroc(np.array([0.5, 0.5]), np.array([0.5, 0.5])) == 0.5
    mean, low, high = t_interval([1.0, 2.0, 3.0])
    assert mean == 2.0
    half = 4.302652729911275 * 1.0 / np.sqrt(3)  # t(0.975, 2) · s / √n
    assert low == pytest.approx(2 - half) and high == pytest.approx(2 + half)


def test_the_classifier_tells_a_warm_copy_apart_and_not_an_identical_one():
    rng = np.random.default_rng(0)
    times = pd.date_range("2001-01-01", "2004-12-31 23:00", freq="h")
    hours = np.arange(len(times))
    from scipy.signal import lfilter

    weather = lfilter([1.0], [1.0, -0.95], rng.normal(0, 1.0, len(times)))  # AR(1), std ≈ 3.2
    real = 70 + 15 * np.sin(2 * np.pi * hours / 24) + weather
    real = xr.DataArray(real, dims="time", coords={"time": times})
    warm = real + 8.0
    scores = classifier_scores(real, warm, seeds=[1, 2], epochs=15, window_days=7)
    assert len(scores) == 2 and (scores["n_test"] > 0).all()
    assert scores["accuracy"].mean() > 0.8 and scores["auroc"].mean() > 0.9
    same = summarise_scores(classifier_scores(real, real.copy(), seeds=[1], epochs=3, window_days=7))
    # identical inputs get the same predictions (up to the float32 rounding of batched
    # kernels): both scores at chance
    assert same["classifier_accuracy"]["value"] < 0.01
    assert same["classifier_auroc"]["value"] < 0.01


# --------------------------------------------------------------------------------------------
# Command line and figure
# --------------------------------------------------------------------------------------------
def test_cli_evaluate_and_plot(tiny_pipeline, tmp_path):
    import json

    p = tiny_pipeline
    cfg = json.dumps(
        {k: p["config"][k] for k in ("data", "windows", "detrend")}
        | {
            "evaluation": {
                "n_splits": 3,
                "classifier_seeds": 2,
                "classifier_floor_splits": 1,
                "classifier_epochs": 1,
            }
        }
    )
    assert (
        main(
            [
                "evaluate",
                str(p["series"]),
                f"vae={p['samples']}",
                f"standard={p['standard_samples']}",
                "--out",
                str(tmp_path / "m.csv"),
                "--markdown",
                str(tmp_path / "m.md"),
                "--floor",
                str(tmp_path / "f.csv"),
                "--config",
                cfg,
            ]
        )
        == 0
    )
    table = metrics_table.read_metrics(tmp_path / "m.csv")
    assert {"classifier_accuracy", "classifier_auroc"} <= set(table["metric"])
    assert "Classifier scores" in (tmp_path / "m.md").read_text()
    data = tmp_path / "evaluation_figdata.nc"
    assert (
        main(
            [
                "figure-data",
                "evaluation",
                f"metrics={tmp_path / 'm.csv'}",
                f"metrics_floor={tmp_path / 'f.csv'}",
                "--out",
                str(data),
                "--config",
                cfg,
            ]
        )
        == 0
    )
    assert (
        main(["plot", "evaluation", str(data), "--out", str(tmp_path / "evaluation.png"), "--config", cfg])
        == 0
    )
    assert (tmp_path / "evaluation.png").stat().st_size > 20_000
    assert (tmp_path / "evaluation.svg").stat().st_size > 20_000


@pytest.mark.parametrize("bad", ["vae", "=x.nc", "a b=x.nc"])
def test_cli_refuses_a_malformed_generator(tiny_pipeline, tmp_path, bad, caplog):
    code = main(
        [
            "evaluate",
            str(tiny_pipeline["series"]),
            bad,
            "--out",
            str(tmp_path / "m.csv"),
            "--markdown",
            str(tmp_path / "m.md"),
        ]
    )
    assert code == 2
    assert "NAME=PATH" in caplog.text
    assert not (tmp_path / "m.csv").exists()


def test_cli_refuses_a_missing_generator_file(tiny_pipeline, tmp_path, caplog):
    import json

    cfg = json.dumps({k: tiny_pipeline["config"][k] for k in ("data", "windows")})
    code = main(
        [
            "evaluate",
            str(tiny_pipeline["series"]),
            f"vae={tmp_path / 'no.nc'}",
            "--out",
            str(tmp_path / "m.csv"),
            "--markdown",
            str(tmp_path / "m.md"),
            "--config",
            cfg,
        ]
    )
    assert code == 2
    assert "no.nc" in caplog.text and "file not found" in caplog.text
    assert not (tmp_path / "m.csv").exists()
