"""Hostile inputs, through the command line a user runs: one test per case of the issue.

Every case ends either in a documented correct result or in exit status 2 with a message that
names the file (or config key), the problem and the fix ("How to fix"), no traceback, and no
output file (nor a temporary one) left behind. The functions underneath are tested in
test_era5.py, test_series.py, test_windows.py and test_config.py; these tests check what the
user sees from ``python -m seasonal_vae <stage>`` (``seasonal_vae.cli.main``, in process: an
uncaught exception would fail the test, which is the "no traceback" check; test_cli.py runs one
case as a real subprocess).

The table of cases and their behaviour is in the README ("Hostile inputs").
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from builders import assert_refused, kelvin, write_cds_file, year_file, year_times
from conftest import ROOT, run_cli

from seasonal_vae.cli import main
from seasonal_vae.data import cds
from seasonal_vae.data.units import fahrenheit_to_kelvin, kelvin_to_fahrenheit

# A two-year record 2001-2002 with 2002 held out, at UTC (local time = UTC), 6-hour gap limit.
CONFIG = {
    "site": {"utc_offset_hours": 0},
    "data": {"first_year": 2001, "last_year": 2002, "max_gap_hours": 6},
    "windows": {"holdout_every": 2, "holdout_offset": 1, "window_hours": 96 * 16},
}


def config(**sections) -> str:
    """CONFIG with some keys changed, as the inline JSON the Snakemake rules pass."""
    cfg = json.loads(json.dumps(CONFIG))
    for section, values in sections.items():
        cfg.setdefault(section, {}).update(values)
    return json.dumps(cfg)


@pytest.fixture
def raw(tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    return folder


def run_series(files, out: Path, caplog, cfg: str | None = None) -> tuple[int, str]:
    return run_cli(["series", *files, "--out", out, "--config", cfg or config()], caplog)


def read_kelvin(path: Path) -> xr.DataArray:
    with xr.open_dataset(path) as ds:
        ds = ds.load()
    return xr.DataArray(
        fahrenheit_to_kelvin(ds["t2m"].values), coords={"time": ds["time"]}, dims="time", attrs=ds.attrs
    )


# --- broken files ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["NETCDF4", "NETCDF3_64BIT"])
def test_truncated_file(raw, tmp_path, caplog, fmt):
    good = year_file(raw, 2001)
    bad = year_file(raw, 2002, fmt=fmt, extra_coords=fmt == "NETCDF4")
    bad.write_bytes(bad.read_bytes()[: bad.stat().st_size // 2])
    out = tmp_path / "series.nc"
    assert_refused(
        *run_series([good, bad], out, caplog),
        out,
        "era5_t2m_2002.nc",
        "truncated or corrupt",
        "download it again",
    )


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"<html><body>503 Service Unavailable</body></html>", "not a netCDF file"),
        (b"", "the file is empty"),
        (b"PK\x03\x04 not really a zip", "damaged zip archive"),
    ],
)
def test_not_netcdf(raw, tmp_path, caplog, content, problem):
    good = year_file(raw, 2001)
    bad = raw / "era5_t2m_2002.nc"
    bad.write_bytes(content)
    out = tmp_path / "series.nc"
    assert_refused(*run_series([good, bad], out, caplog), out, "era5_t2m_2002.nc", problem)


def test_missing_year_file_given(raw, tmp_path, caplog):
    out = tmp_path / "series.nc"
    assert_refused(
        *run_series([year_file(raw, 2001), raw / "era5_t2m_2002.nc"], out, caplog),
        out,
        "era5_t2m_2002.nc",
        "file not found",
        "download stage",
    )


def test_year_missing_from_the_middle(raw, tmp_path, caplog):
    files = [year_file(raw, y) for y in (2001, 2003)]
    out = tmp_path / "series.nc"
    status, text = run_series(files, out, caplog, config(data={"first_year": 2001, "last_year": 2003}))
    assert_refused(
        status,
        text,
        out,
        "no data for 2002: is era5_t2m_2002.nc missing?",
        "gap(s) longer than max_gap_hours",
    )


# --- the variable ------------------------------------------------------------------------


def test_variable_named_differently(raw, tmp_path, caplog):
    files = [year_file(raw, y, variable="2t") for y in (2001, 2002)]
    out = tmp_path / "series.nc"
    assert_refused(
        *run_series(files, out, caplog),
        out,
        "era5_t2m_2001.nc",
        "no variable 't2m'",
        "['2t']",
        "data.variable",
    )
    # the documented fix works
    status, text = run_series(files, out, caplog, config(data={"variable": "2t"}))
    assert status == 0, text
    np.testing.assert_allclose(
        read_kelvin(out).values, kelvin(np.concatenate([year_times(2001), year_times(2002)])), atol=1e-9
    )


# --- units -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "units, convert",
    [
        ("degC", lambda k: k - 273.15),
        ("°C", lambda k: k - 273.15),
        ("degF", kelvin_to_fahrenheit),
        ("K", lambda k: k),
    ],
)
def test_units_attribute_right_is_converted(raw, tmp_path, caplog, units, convert):
    files = [year_file(raw, y, convert=convert, units=units) for y in (2001, 2002)]
    out = tmp_path / "series.nc"
    status, text = run_series(files, out, caplog)
    assert status == 0, text
    series = read_kelvin(out)
    assert series.attrs["n_filled_hours"] == 0
    np.testing.assert_allclose(series.values, kelvin(series["time"].values), atol=1e-9)


@pytest.mark.parametrize(
    "units, convert, plausible",
    [
        ("K", lambda k: k - 273.15, "plausible only as degC or degF"),  # °C that claims to be K
        ("K", kelvin_to_fahrenheit, "plausible only as degF"),  # °F that claims to be K
        ("degC", kelvin_to_fahrenheit, "plausible only as degF"),  # °F that claims to be °C
        ("degC", lambda k: k, "plausible only as K"),  # K that claims to be °C
    ],
)
def test_units_attribute_that_lies_is_refused(raw, tmp_path, caplog, units, convert, plausible):
    files = [year_file(raw, 2001), year_file(raw, 2002, convert=convert, units=units)]
    out = tmp_path / "series.nc"
    assert_refused(
        *run_series(files, out, caplog),
        out,
        "era5_t2m_2002.nc",
        f"the units attribute says '{units}'",
        plausible,
        "contradicts",
        "correct the variable's units attribute",
    )


def test_no_units_attribute(raw, tmp_path, caplog):
    # kelvin is the only unit its range fits: read as kelvin, with a warning
    files = [year_file(raw, y, units=None) for y in (2001, 2002)]
    out = tmp_path / "series.nc"
    status, text = run_series(files, out, caplog)
    assert status == 0 and "no units attribute" in text and "read as K" in text
    # °C without units also fits °F: ambiguous, refused
    files = [year_file(raw, y, units=None, convert=lambda k: k - 273.15) for y in (2001, 2002)]
    out.unlink()
    assert_refused(
        *run_series(files, out, caplog),
        out,
        "era5_t2m_2001.nc",
        "no units attribute",
        "fit degC or degF",
        "add a units attribute",
    )


def test_values_implausible_in_any_unit(raw, tmp_path, caplog):
    files = [year_file(raw, 2001), year_file(raw, 2002, convert=lambda k: k * 10)]
    out = tmp_path / "series.nc"
    assert_refused(
        *run_series(files, out, caplog),
        out,
        "era5_t2m_2002.nc",
        "implausible for 2 m temperature",
        "data.variable",
    )


# --- NaNs and gaps -----------------------------------------------------------------------


def test_scattered_nans_are_filled_and_counted(raw, tmp_path, caplog):
    times = year_times(2001)
    values = kelvin(times)
    values[[100, 2000, 2001, 5000]] = np.nan
    files = [write_cds_file(raw / "era5_t2m_2001.nc", times, values), year_file(raw, 2002)]
    out = tmp_path / "series.nc"
    status, text = run_series(files, out, caplog)
    assert status == 0, text
    series = read_kelvin(out)
    assert series.attrs["n_filled_hours"] == 4 and series.attrs["n_missing_hours"] == 0
    assert np.isfinite(series.values).all()
    np.testing.assert_allclose(
        series.values[2000:2002], np.interp([2000, 2001], [1999, 2002], values[[1999, 2002]])
    )
    assert "3 gap(s), 4 missing hour(s): 4 filled by interpolation" in text


def test_one_hour_gap_is_filled_and_counted(raw, tmp_path, caplog):
    files = [year_file(raw, 2001, drop=slice(4000, 4001)), year_file(raw, 2002)]
    out = tmp_path / "series.nc"
    status, text = run_series(files, out, caplog)
    assert status == 0, text
    series = read_kelvin(out)
    assert series.sizes["time"] == 8760 * 2
    assert series.attrs["n_filled_hours"] == 1
    assert "gap 2001-06-16 16:00 to 2001-06-16 16:00 UTC (1 h): filled" in text
    expected = kelvin(year_times(2001))[[3999, 4001]].mean()
    assert float(series[4000]) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    "hours, text_of_gap",
    [
        (24, "2001-06-16 16:00 to 2001-06-17 15:00 UTC (24 h)"),  # one day
        (24 * 31, "2001-06-16 16:00 to 2001-07-17 15:00 UTC (744 h)"),  # one month
    ],
)
def test_long_gap_is_refused(raw, tmp_path, caplog, hours, text_of_gap):
    files = [year_file(raw, 2001, drop=slice(4000, 4000 + hours)), year_file(raw, 2002)]
    out = tmp_path / "series.nc"
    assert_refused(
        *run_series(files, out, caplog),
        out,
        "era5_t2m_2001.nc",
        text_of_gap,
        "longer than max_gap_hours=6",
        "data.allow_long_gaps: true",
        "raise data.max_gap_hours",
    )


def test_long_gap_filled_when_max_gap_hours_allows(raw, tmp_path, caplog):
    files = [year_file(raw, 2001, drop=slice(4000, 4024)), year_file(raw, 2002)]
    out = tmp_path / "series.nc"
    status, text = run_series(files, out, caplog, config(data={"max_gap_hours": 24}))
    assert status == 0, text
    assert read_kelvin(out).attrs["n_filled_hours"] == 24


def test_month_gap_kept_missing_and_its_windows_skipped(raw, tmp_path, caplog):
    """allow_long_gaps: the gap stays NaN through detrending; no window touches it."""
    gap = slice(4000, 4000 + 24 * 31)
    files = [year_file(raw, 2001, drop=gap), year_file(raw, 2002)]
    series, adjusted = tmp_path / "series.nc", tmp_path / "detrended.nc"
    status, text = run_series(files, series, caplog, config(data={"allow_long_gaps": True}))
    assert status == 0, text
    assert read_kelvin(series).attrs["n_missing_hours"] == 744
    assert (
        main(["detrend", str(series), "--out", str(adjusted), "--report", str(tmp_path / "trend.json")]) == 0
    )
    windows = tmp_path / "windows.nc"
    assert (
        main(
            [
                "windows",
                str(adjusted),
                "--out",
                str(windows),
                "--config",
                config(windows={"window_hours": 96 * 4}),
            ]
        )
        == 0
    )
    with xr.open_dataset(windows) as ds:
        x, starts = ds["x"].values, ds["train_start"].values
    assert np.isnan(x[gap]).all()
    idx = starts[:, None] + np.arange(96 * 4)
    assert np.isfinite(x[idx]).all()
    # without the gap 2001 holds 22 windows of 384 h (the first one starts at midnight)
    assert starts.size == 22 - 3


def test_duplicated_and_unsorted_timestamps_give_the_sorted_result(raw, tmp_path, caplog):
    times, values = year_times(2001), kelvin(year_times(2001))
    order = np.random.default_rng(1).permutation(times.size)
    shuffled = write_cds_file(raw / "era5_t2m_2001.nc", times[order], values[order])
    # the first week of 2002 again at the end of the 2001 file's neighbour: same values
    t2 = year_times(2002)
    twice = write_cds_file(
        raw / "era5_t2m_2002.nc",
        np.concatenate([t2, t2[:168]]),
        np.concatenate([kelvin(t2), kelvin(t2[:168])]),
    )
    out = tmp_path / "series.nc"
    status, text = run_series([twice, shuffled], out, caplog)
    assert status == 0, text
    assert "sorting" in text and "dropped 168 duplicated hour(s)" in text
    series = read_kelvin(out)
    np.testing.assert_array_equal(series["time"].values, np.concatenate([times, t2]))
    np.testing.assert_allclose(series.values, kelvin(series["time"].values), atol=1e-9)


def test_duplicated_timestamps_that_disagree_are_refused(raw, tmp_path, caplog):
    t2 = year_times(2002)
    values = kelvin(t2)
    clash = write_cds_file(
        raw / "era5_t2m_2002.nc", np.concatenate([t2, t2[:2]]), np.concatenate([values, values[:2] + 1.0])
    )
    out = tmp_path / "series.nc"
    assert_refused(
        *run_series([year_file(raw, 2001), clash], out, caplog),
        out,
        "era5_t2m_2002.nc",
        "2 hour(s) appear more than once with different values",
        "2002-01-01 00:00 UTC",
        "remove the overlapping file",
    )


def test_three_hourly_data_refused(raw, tmp_path, caplog):
    files = [year_file(raw, y, step=3) for y in (2001, 2002)]
    out = tmp_path / "series.nc"
    assert_refused(
        *run_series(files, out, caplog),
        out,
        "era5_t2m_2001.nc",
        "the time step is 3 h",
        "request all 24 hours",
    )


def test_grid_of_more_than_one_point_refused(raw, tmp_path, caplog):
    files = [year_file(raw, 2001), year_file(raw, 2002, lats=(33.75, 33.5), lons=(-112.25, -112.0))]
    out = tmp_path / "series.nc"
    assert_refused(
        *run_series(files, out, caplog),
        out,
        "era5_t2m_2002.nc",
        "latitude=2 × longitude=2 points",
        "narrow site.area",
    )


def test_zipped_cds_response_is_read(raw, tmp_path, caplog):
    inner = year_file(tmp_path, 2002)
    zipped = raw / "era5_t2m_2002.nc"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.write(inner, "data_stream-oper_stepType-instant.nc")
    out = tmp_path / "series.nc"
    status, text = run_series([year_file(raw, 2001), zipped], out, caplog)
    assert status == 0, text
    assert read_kelvin(out).sizes["time"] == 2 * 8760


def test_grid_point_far_from_the_site_refused(raw, tmp_path, caplog):
    """A Denver file in a Phoenix run: refused, naming the file, its point and the distance."""
    files = [year_file(raw, 2001), year_file(raw, 2002, lats=(39.75,), lons=(-105.0,))]
    out = tmp_path / "series.nc"
    assert_refused(
        *run_series(files, out, caplog),
        out,
        "era5_t2m_2002.nc",
        "its grid point at 39.75° N, -105° E lies",
        "km from the site (33.5° N, -112° E)",
        "farther than data.max_distance_km=50",
        "(and site.area)",
    )
    # ERA5's 0-360 longitudes are the same place
    east = [year_file(raw, y, lons=(248.0,)) for y in (2001, 2002)]
    status, text = run_series(east, out, caplog)
    assert status == 0, text
    # the documented fix: the site where the file is
    status, text = run_series(files, out, caplog, config(data={"max_distance_km": 1500}))
    assert status == 0, text


def test_year_file_holding_another_year_refused(raw, tmp_path, caplog):
    """A 2001 file saved as era5_t2m_2002.nc: named, with the year its hours are in."""
    year_file(raw, 2001)
    wrong = raw / "era5_t2m_2002.nc"
    (raw / "era5_t2m_2001.nc").rename(wrong)
    year_file(raw, 2001)
    out = tmp_path / "series.nc"
    assert_refused(
        *run_series([raw / "era5_t2m_2001.nc", wrong], out, caplog),
        out,
        "era5_t2m_2002.nc",
        "its name says 2002",
        "its hours are in 2001 (8760 h)",
    )
    # the right file under its own name is read
    status, text = run_series([raw / "era5_t2m_2001.nc"], out, caplog)
    assert status == 0, text


# --- the windows and training stages -----------------------------------------------------


@pytest.fixture
def two_year_series(raw, tmp_path, caplog):
    out = tmp_path / "series.nc"
    status, text = run_series([year_file(raw, y) for y in (2001, 2002)], out, caplog)
    assert status == 0, text
    adjusted = tmp_path / "detrended.nc"
    assert main(["detrend", str(out), "--out", str(adjusted), "--report", str(tmp_path / "trend.json")]) == 0
    return adjusted


def test_record_shorter_than_one_training_window(two_year_series, tmp_path, caplog):
    out = tmp_path / "windows.nc"
    status = main(
        [
            "windows",
            str(two_year_series),
            "--out",
            str(out),
            "--config",
            config(windows={"window_hours": 96 * 100}),
        ]
    )
    assert_refused(
        status,
        caplog.text,
        out,
        "detrended.nc",
        "0 training and 0 validation windows of 9600 hours",
        "longest run of training years is 8760 hours",
        "shorter windows.window_hours",
    )


def test_configured_years_outside_the_record(two_year_series, tmp_path, caplog):
    out = tmp_path / "windows.nc"
    status = main(
        [
            "windows",
            str(two_year_series),
            "--out",
            str(out),
            "--config",
            config(data={"first_year": 1990, "last_year": 1991}),
        ]
    )
    assert_refused(
        status,
        caplog.text,
        out,
        "detrended.nc",
        "holds no hour of the training years 1990",
        "data.first_year/data.last_year",
    )


@pytest.mark.parametrize("stage", ["windows", "train"])
@pytest.mark.parametrize("content", [None, b"garbage", "other netCDF"])
def test_missing_or_foreign_input_of_a_later_stage(tmp_path, caplog, stage, content):
    given = tmp_path / "input.nc"
    if content == "other netCDF":
        xr.Dataset({"foo": ("time", np.zeros(3))}).to_netcdf(given)
    elif content is not None:
        given.write_bytes(content)
    out = tmp_path / "out" / "result.nc"
    out.parent.mkdir()
    extra = ["--history", str(tmp_path / "out" / "h.csv")] if stage == "train" else []
    status = main([stage, str(given), "--out", str(out), *extra])
    problem = {
        None: "file not found",
        b"garbage": "cannot be read as netCDF",
        "other netCDF": "'t2m'" if stage == "windows" else "not a windows file",
    }[content]
    assert_refused(status, caplog.text, out, "input.nc", problem, "rebuild it")
    assert list((tmp_path / "out").iterdir()) == []  # no work folder either


# --- configuration -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad, key, problem",
    [
        ({"data": {"frist_year": 2001}}, "data", "'frist_year' was unexpected"),
        ({"trainig": {}}, "(top level)", "'trainig' was unexpected"),
        ({"training": {"epochs": "ten"}}, "training.epochs", "'ten' is not of type 'integer'"),
        ({"windows": {"window_hours": 1536.0}}, "windows.window_hours", "not of type 'integer'"),
        ({"training": {"learning_rate": float("nan")}}, "training.learning_rate", "not a finite"),
        ({"windows": {"window_hours": 1000}}, "windows.window_hours", "not a multiple of 96"),
        ({"data": {"first_year": 2003, "last_year": 2002}}, "data.first_year", "year range is empty"),
        (
            {"windows": {"holdout_every": 3, "holdout_offset": 2}},
            "windows.holdout_every",
            "leave 2 training and 0 validation years",
        ),
    ],
)
def test_bad_configuration_refused_before_any_work(raw, tmp_path, caplog, bad, key, problem):
    files = [year_file(raw, y) for y in (2001, 2002)]
    cfg = tmp_path / "config.yaml"
    merged = json.loads(config())
    for section, values in bad.items():
        merged.setdefault(section, {}).update(values)
    import yaml

    cfg.write_text(yaml.safe_dump(merged))
    out = tmp_path / "series.nc"
    status, text = run_series(files, out, caplog, str(cfg))
    assert_refused(status, text, out, f"{cfg}: {key}", problem)
    assert "era5_t2m_2001.nc" not in text  # refused before any file was read


# --- the Climate Data Store --------------------------------------------------------------


@pytest.fixture
def no_credentials(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("CDSAPI_URL", "CDSAPI_KEY", "CDSAPI_RC"):
        monkeypatch.delenv(name, raising=False)


def test_download_without_credentials(tmp_path, caplog, no_credentials):
    out = tmp_path / "raw"
    assert main(["download", "--out-dir", str(out), "--years", "2001"]) == 2
    text = caplog.text
    for needed in (
        "No CDS credentials",
        "~/.cdsapirc",
        "url: https://cds.climate.copernicus.eu",
        "CDSAPI_URL",
        "CDSAPI_KEY",
        "Licence to use Copernicus Products",
        "data/surrogate",
    ):
        assert needed in text
    assert "Traceback" not in text
    assert not out.exists() or list(out.iterdir()) == []


def test_download_refused_by_the_cds(tmp_path, caplog, monkeypatch, no_credentials):
    monkeypatch.setenv("CDSAPI_URL", cds.CDS_URL)
    monkeypatch.setenv("CDSAPI_KEY", "not-a-key")

    class Refusing:
        def retrieve(self, dataset, request, target):
            Path(target).write_bytes(b"half a file")
            raise RuntimeError("401 Client Error: Unauthorized: operation not allowed")

    monkeypatch.setattr(cds.cdsapi, "Client", Refusing)
    out = tmp_path / "raw"
    assert main(["download", "--out-dir", str(out), "--years", "2001"]) == 2
    text = caplog.text
    for needed in (
        "request for 2001",
        "401 Client Error",
        "Nothing was written for 2001",
        "Licence to use Copernicus Products",
        "CDSAPI_KEY",
        "rerun",
    ):
        assert needed in text
    assert list(out.iterdir()) == []


def test_offline_default_needs_no_credentials(no_credentials):
    """The default config reads the bundled surrogate; nothing in the DAG downloads."""
    from seasonal_vae.core.config import load_config

    cfg = load_config(ROOT / "config" / "config.yaml")
    assert cfg["data"]["raw_dir"] == "data/surrogate"
    years = range(cfg["data"]["first_year"], cfg["data"]["last_year"] + 1)
    assert all((ROOT / "data" / "surrogate" / f"era5_t2m_{y}.nc").is_file() for y in years)
    # the end-to-end build in test_workflow.py runs with HOME and CDSAPI_* unset like this


def test_a_rule_given_only_its_sections_is_not_refused_for_the_split():
    """Rules pass only the sections they use: the `series` rule of a 4-year record held out
    4/3 gets site and data without windows, and must not be judged by the default 5/4 split
    (which would leave no validation year). The whole config is checked with its split."""
    from seasonal_vae.core.config import load_config
    from seasonal_vae.core.errors import ConfigError

    load_config('{"data": {"first_year": 1974, "last_year": 1977}}')
    load_config(
        '{"data": {"first_year": 1974, "last_year": 1977}, '
        '"windows": {"holdout_every": 4, "holdout_offset": 3}}'
    )
    with pytest.raises(ConfigError, match="windows.holdout_every"):
        load_config('{"data": {"first_year": 1974, "last_year": 1977}, "windows": {}}')
    with pytest.raises(ConfigError, match="windows.holdout_every"):
        load_config({"data": {"first_year": 1974, "last_year": 1977}})


@pytest.mark.parametrize(
    "flag, value, problem",
    [
        ("--start", "the first of June", "is not a date"),
        ("--hours", "0", "not a positive number"),
        ("--config", '{"sampling": {"n_paths": -1}}', "sampling.n_paths"),
        ("--config", '{"sampling": {"retrend": "soon"}}', "sampling.retrend"),
    ],
)
def test_generate_bad_arguments(tmp_path, caplog, flag, value, problem):
    """Bad dates and lengths, and settings the schema refuses, before any model is read."""
    args = {"--start": "2031-06-01", "--hours": "24", "--config": "{}"}
    args[flag] = value
    out = tmp_path / "g.nc"
    status = main(
        [
            "generate",
            str(tmp_path / "never-read.keras"),
            "--out",
            str(out),
            *[x for kv in args.items() for x in kv],
        ]
    )
    assert_refused(status, caplog.text, out, *([flag] if flag != "--config" else []), problem)
