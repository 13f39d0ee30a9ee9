"""Station files as the second input kind (``data.kind: station``), and the bundled AZMET record.

The hostile cases run through the command line (``python -m seasonal_vae series FILE --out OUT
--config JSON``, in process, as in test_hostile_inputs.py): exit status 2, a message naming the
file, the problem and the fix, no traceback and no output file left behind. The synthetic
files are a month of hourly values with a realistic diurnal phase at Phoenix (warmest at about
15 h local solar time), so that the diurnal-phase check passes unless a test breaks it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from builders import assert_refused
from conftest import ROOT, run_cli

from seasonal_vae.cli import main
from seasonal_vae.core.config import load_config
from seasonal_vae.core.errors import InputError
from seasonal_vae.data.raw_checks import great_circle_km
from seasonal_vae.data.series import build_series_from_config
from seasonal_vae.data.station import open_station_file

GREENWAY = ROOT / "data" / "greenway"
GREENWAY_FILE = GREENWAY / "azmet_greenway_2003_2017_utc.csv.xz"
GREENWAY_LAT, GREENWAY_LON = 33.623279, -112.107687
DENVER = (39.74, -104.99)

SITE = {"latitude": 33.5, "longitude": -112.0, "utc_offset_hours": -7}
TIME, VALUE = "time_utc_hour_ending", "t_air_degC_hourly_mean"
#: The station block of the synthetic files below (the bundled record's conventions).
STATION = {
    "path": "data/greenway/" + GREENWAY_FILE.name,
    "time_column": TIME,
    "value_column": VALUE,
    "units": "degC",
    "missing_values": [999, -999, -99.9],
}


def utc_hours(start="2001-01-01 01:00", days=31, step_minutes=60) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=days * 24 * 60 // step_minutes, freq=f"{step_minutes}min")


def celsius(times_utc, hour_ending=True) -> np.ndarray:
    """A Phoenix-like hourly mean in °C: warmest near 15 h local solar time, a slow drift."""
    t = pd.DatetimeIndex(times_utc) - pd.Timedelta(minutes=30 if hour_ending else 0)
    solar = (t.hour + t.minute / 60 + SITE["longitude"] / 15) % 24
    days = (t - t[0]) / pd.Timedelta(days=1)
    return np.round(15 + 0.1 * np.asarray(days) + 8 * np.cos(2 * np.pi * (np.asarray(solar) - 15) / 24), 1)


def write_csv(
    path: Path,
    times,
    values,
    *,
    time_column=TIME,
    value_column=VALUE,
    fmt="%Y-%m-%d %H:%M:%S+00:00",
    extra=None,
) -> Path:
    """A station CSV; ``times`` are timestamps (formatted with ``fmt``) or ready strings."""
    if not isinstance(times[0], str):
        times = pd.DatetimeIndex(times).strftime(fmt)
    frame = pd.DataFrame({time_column: list(times), value_column: list(values), **(extra or {})})
    frame.to_csv(path, index=False)  # compression follows the suffix (.xz, .gz, .bz2)
    return path


def config(station=None, site=None, **data) -> str:
    """The inline JSON a rule passes: site and data sections, station kind."""
    return json.dumps(
        {
            "site": {**SITE, **(site or {})},
            "data": {
                "kind": "station",
                "first_year": 2000,
                "last_year": 2001,
                "station": {**STATION, **(station or {})},
                **data,
            },
        }
    )


def run_series(files, out: Path, caplog, cfg: str | None = None) -> tuple[int, str]:
    return run_cli(["series", *files, "--out", out, "--config", cfg or config()], caplog)


def read_series(path: Path) -> xr.Dataset:
    with xr.open_dataset(path) as ds:
        return ds.load()


@pytest.fixture
def good(tmp_path):
    times = utc_hours()
    return write_csv(tmp_path / "station.csv", times, celsius(times)), times


# --- the bundled record ---------------------------------------------------------------------


def test_bundled_checksums():
    listed = dict(
        reversed(line.split()) for line in (GREENWAY / "SHA256SUMS").read_text().splitlines() if line.strip()
    )
    assert set(listed) == {GREENWAY_FILE.name, "station.csv"}
    for name, digest in listed.items():
        assert hashlib.sha256((GREENWAY / name).read_bytes()).hexdigest() == digest, name
    readme = (GREENWAY / "README.md").read_text()
    assert all(digest in readme for digest in listed.values())
    station = pd.read_csv(GREENWAY / "station.csv")
    assert station.loc[0, "Latitude"] == GREENWAY_LAT
    assert station.loc[0, "Longitude"] == GREENWAY_LON


def test_bundled_record_end_to_end(tmp_path, caplog):
    from seasonal_vae.core.config import dataset_config

    cfg = dataset_config(load_config(ROOT / "config" / "config.yaml"), "greenway")
    assert cfg["data"]["station"]["latitude"] == GREENWAY_LAT
    assert cfg["data"]["station"]["path"] == "data/greenway/" + GREENWAY_FILE.name
    out = tmp_path / "series.nc"
    with caplog.at_level(logging.INFO):
        build_series_from_config([ROOT / cfg["data"]["station"]["path"]], out, cfg["site"], cfg["data"])
    ds = read_series(out)
    t = ds["time"].values
    assert t.size == 131_496
    # hour-ending means kept as stamped: the first value is the mean of 00:00-01:00 MST
    assert t[0] == np.datetime64("2003-01-01T01:00") and t[-1] == np.datetime64("2018-01-01T00:00")
    assert (np.diff(t) == np.timedelta64(1, "h")).all()
    values = ds["t2m"].values
    assert np.isfinite(values).all()
    assert values.mean() == pytest.approx(72.4, abs=0.05)
    assert values.std() == pytest.approx(17.4, abs=0.05)
    assert ds.attrs["n_filled_hours"] == 0 and ds.attrs["n_missing_hours"] == 0
    assert ds.attrs["data_kind"] == "station" and ds.attrs["time_stamp"] == "hour_ending_mean"
    assert "30 min earlier" in ds.attrs["time_stamp_comment"]
    assert ds.attrs["grid_latitude"] == GREENWAY_LAT
    assert ds.attrs["time_zone"] == "UTC-07:00"
    assert ds["t2m"].attrs["cell_methods"] == "time: mean (interval: 1 hour)"
    assert "peaks at 15" in caplog.text  # the diurnal-phase check saw a mid-afternoon peak


# --- reading right ----------------------------------------------------------------------------


def test_reader_contract(good):
    path, times = good
    da = open_station_file(
        path, load_config({"data": {"kind": "station", "station": STATION}})["data"], site=SITE
    )
    assert da.name == "t2m" and da.dims == ("time",) and da.dtype == np.float64
    assert da["time"].dtype == np.dtype("datetime64[ns]")
    np.testing.assert_array_equal(da["time"].values, times.to_numpy())
    np.testing.assert_allclose(da.values, celsius(times) + 273.15)
    assert da.attrs["units"] == "K" and da.attrs["time_stamp"] == "hour_ending_mean"
    assert "grid_latitude" not in da.attrs  # a CSV without configured coordinates


@pytest.mark.parametrize("suffix", [".csv.xz", ".csv.gz", ".csv.bz2"])
def test_compressed_csv_same_as_plain(good, tmp_path, caplog, suffix):
    path, times = good
    packed = write_csv(tmp_path / f"station{suffix}", times, celsius(times))
    a, b = tmp_path / "a.nc", tmp_path / "b.nc"
    assert run_series([path], a, caplog)[0] == 0
    assert run_series([packed], b, caplog)[0] == 0
    np.testing.assert_array_equal(read_series(a)["t2m"].values, read_series(b)["t2m"].values)


def test_local_standard_gives_the_same_series_as_utc(good, tmp_path, caplog):
    path, times = good
    local = write_csv(
        tmp_path / "local.csv",
        times - pd.Timedelta(hours=7),
        celsius(times),
        time_column="time_mst",
        fmt="%Y-%m-%d %H:%M",
    )
    a, b = tmp_path / "a.nc", tmp_path / "b.nc"
    assert run_series([path], a, caplog)[0] == 0
    status, text = run_series(
        [local], b, caplog, config({"time_column": "time_mst", "time_zone": "local_standard"})
    )
    assert status == 0, text
    sa, sb = read_series(a), read_series(b)
    np.testing.assert_array_equal(sa["time"].values, sb["time"].values)
    np.testing.assert_array_equal(sa["t2m"].values, sb["t2m"].values)
    # local standard time = UTC - 7 h: the first hour ending 01:00 UTC is 18:00 the day before
    assert sa["time"].values[0] == np.datetime64("2000-12-31T18:00")


def test_hours_1_to_24_in_strings_and_in_an_hour_column(good, tmp_path, caplog):
    path, times = good
    local = times - pd.Timedelta(hours=7)
    # "24:00" = the midnight ending the day, as AZMET stamps it
    day = (local - pd.Timedelta(hours=1)).normalize()
    hour = ((local - day) / pd.Timedelta(hours=1)).astype(int)
    strings = [f"{d:%Y-%m-%d} {h:02d}:00" for d, h in zip(day, hour)]
    assert any(s.endswith("24:00") for s in strings)
    text_file = write_csv(tmp_path / "h24.csv", strings, celsius(times), time_column="t")
    column_file = write_csv(
        tmp_path / "hcol.csv",
        list(day.strftime("%Y-%m-%d")),
        celsius(times),
        time_column="date",
        extra={"hour": list(hour)},
    )
    outs = [tmp_path / n for n in ("ref.nc", "text.nc", "column.nc")]
    assert run_series([path], outs[0], caplog)[0] == 0
    status, text = run_series(
        [text_file],
        outs[1],
        caplog,
        config({"time_column": "t", "time_zone": "local_standard", "hour_24": True}),
    )
    assert status == 0, text
    status, text = run_series(
        [column_file],
        outs[2],
        caplog,
        config(
            {"time_column": "date", "hour_column": "hour", "time_zone": "local_standard", "hour_24": True}
        ),
    )
    assert status == 0, text
    ref = read_series(outs[0])
    for out in outs[1:]:
        ds = read_series(out)
        np.testing.assert_array_equal(ds["time"].values, ref["time"].values)
        np.testing.assert_array_equal(ds["t2m"].values, ref["t2m"].values)
    # hour 0 is not an hour of a 1-24 column
    bad = write_csv(
        tmp_path / "bad_hour.csv",
        list(day.strftime("%Y-%m-%d")),
        celsius(times),
        time_column="date",
        extra={"hour": [0] + list(hour[1:])},
    )
    out = tmp_path / "bad.nc"
    assert_refused(
        *run_series(
            [bad], out, caplog, config({"time_column": "date", "hour_column": "hour", "hour_24": True})
        ),
        out,
        "bad_hour.csv",
        "hour '0' on line 2",
        "not an integer from 1 to 24",
    )


def test_missing_value_markers_become_gaps(tmp_path, caplog):
    times = utc_hours()
    values = celsius(times).astype(object)
    values[100], values[200:203], values[300] = 999, [-99.9] * 3, ""
    path = write_csv(tmp_path / "markers.csv", times, values)
    out = tmp_path / "series.nc"
    status, text = run_series([path], out, caplog)
    assert status == 0, text
    assert "4 value(s) equal to a missing-value marker" in text
    ds = read_series(out)
    assert ds.attrs["n_filled_hours"] == 5
    assert ds["t2m"].values.max() < 90  # no 999 °C in the series
    # a long run of markers is a long gap, refused as for ERA5
    values[400:420] = 999
    path = write_csv(tmp_path / "long.csv", times, values)
    out = tmp_path / "long.nc"
    assert_refused(
        *run_series([path], out, caplog), out, "long.csv", "gap(s) longer than max_gap_hours=6", "(20 h)"
    )


def test_duplicates_that_agree_and_unsorted_rows_are_fine(good, tmp_path, caplog):
    path, times = good
    values = celsius(times)
    order = np.random.default_rng(3).permutation(times.size)
    idx = np.concatenate([order, order[:50]])
    messy = write_csv(tmp_path / "messy.csv", times[idx], values[idx])
    a, b = tmp_path / "a.nc", tmp_path / "b.nc"
    assert run_series([path], a, caplog)[0] == 0
    status, text = run_series([messy], b, caplog)
    assert status == 0, text
    assert "sorting" in text and "dropped 50 duplicated hour(s)" in text
    np.testing.assert_array_equal(read_series(a)["t2m"].values, read_series(b)["t2m"].values)


def test_netcdf_station_file(good, tmp_path, caplog):
    path, times = good
    ds = xr.Dataset(
        {"tair": ("time", celsius(times) * 1.8 + 32, {"units": "degF"})},
        coords={"time": times, "lat": GREENWAY_LAT, "lon": GREENWAY_LON},
        attrs={"title": "a station", "source": "unit test"},
    )
    nc = tmp_path / "station.nc"
    ds.to_netcdf(nc)
    a, b = tmp_path / "a.nc", tmp_path / "b.nc"
    assert run_series([path], a, caplog)[0] == 0
    status, text = run_series([nc], b, caplog, config({"value_column": "tair"}))
    assert status == 0, text
    out = read_series(b)
    np.testing.assert_allclose(out["t2m"].values, read_series(a)["t2m"].values, atol=1e-9)
    assert out.attrs["grid_latitude"] == GREENWAY_LAT and out.attrs["raw_title"] == "a station"
    assert "station at 33.62° N" in text
    # a netCDF station at Denver in a Phoenix run
    ds.assign_coords(lat=DENVER[0], lon=DENVER[1]).to_netcdf(tmp_path / "denver.nc")
    assert_refused(
        *run_series([tmp_path / "denver.nc"], b.with_name("c.nc"), caplog, config({"value_column": "tair"})),
        b.with_name("c.nc"),
        "denver.nc",
        "39.74° N",
        "km from the site",
        "data.max_distance_km=50",
    )


# --- hostile station files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, problem",
    [
        (None, "file not found"),
        (b"", "the file is empty"),
        (b"time_utc_hour_ending,t_air_degC_hourly_mean\n", "a header but no rows"),
    ],
)
def test_missing_or_empty_file(tmp_path, caplog, content, problem):
    path = tmp_path / "station.csv"
    if content is not None:
        path.write_bytes(content)
    out = tmp_path / "series.nc"
    assert_refused(*run_series([path], out, caplog), out, "station.csv", problem)


def test_corrupt_compressed_file(good, tmp_path, caplog):
    path, times = good
    packed = write_csv(tmp_path / "station.csv.xz", times, celsius(times))
    packed.write_bytes(packed.read_bytes()[: packed.stat().st_size // 2])
    out = tmp_path / "series.nc"
    assert_refused(*run_series([packed], out, caplog), out, "station.csv.xz", "cannot be read as CSV")


def test_missing_column_lists_the_columns(good, tmp_path, caplog):
    path, _ = good
    out = tmp_path / "series.nc"
    assert_refused(
        *run_series([path], out, caplog, config({"value_column": "temp"})),
        out,
        "station.csv",
        "no column 'temp'",
        "['time_utc_hour_ending', 't_air_degC_hourly_mean']",
        "data.station.value_column",
    )


def test_unparseable_timestamp_names_the_row(tmp_path, caplog):
    times = utc_hours()
    strings = list(times.strftime("%Y-%m-%d %H:%M:%S+00:00"))
    strings[41] = "2001-01-02 25:00:00+00:00"
    path = write_csv(tmp_path / "station.csv", strings, celsius(times))
    out = tmp_path / "series.nc"
    assert_refused(
        *run_series([path], out, caplog),
        out,
        "station.csv",
        "cannot be parsed as ISO 8601",
        "'2001-01-02 25:00:00+00:00' on line 43",
        "data.station.time_format",
    )


def test_non_numeric_value_names_the_row(tmp_path, caplog):
    times = utc_hours()
    values = celsius(times).astype(object)
    values[9] = "n/a?"
    path = write_csv(tmp_path / "station.csv", times, values)
    out = tmp_path / "series.nc"
    assert_refused(
        *run_series([path], out, caplog), out, "station.csv", "are not numbers", "'n/a?' on line 11"
    )


def test_duplicates_that_disagree_are_refused(tmp_path, caplog):
    times = utc_hours()
    values = celsius(times)
    path = write_csv(
        tmp_path / "station.csv", times.append(times[:3]), np.concatenate([values, values[:3] + 1.0])
    )
    out = tmp_path / "series.nc"
    assert_refused(
        *run_series([path], out, caplog),
        out,
        "station.csv",
        "3 hour(s) appear more than once with different values",
        "2001-01-01 01:00 UTC",
    )


def test_long_gap_refused_naming_the_file(tmp_path, caplog):
    times = utc_hours()
    keep = np.ones(times.size, bool)
    keep[200:230] = False
    path = write_csv(tmp_path / "station.csv", times[keep], celsius(times)[keep])
    out = tmp_path / "series.nc"
    assert_refused(
        *run_series([path], out, caplog),
        out,
        "station.csv",
        "1 gap(s) longer than max_gap_hours=6",
        "(30 h)",
        "data.allow_long_gaps",
    )


def test_column_named_celsius_holding_fahrenheit_refused(tmp_path, caplog):
    times = utc_hours("2001-07-01 01:00")
    path = write_csv(tmp_path / "station.csv", times, celsius(times) + 18 * 1.8 + 32)
    out = tmp_path / "series.nc"
    assert_refused(
        *run_series([path], out, caplog),
        out,
        "station.csv",
        "data.station.units (and the column name 't_air_degC_hourly_mean') says 'degC'",
        "plausible only as degF",
        "data.station.units",
    )


def test_daylight_saving_time_in_a_local_standard_column_refused(tmp_path, caplog):
    times = pd.date_range("2001-03-01 01:00", "2001-11-30 00:00", freq="h")  # UTC
    clock = times - pd.Timedelta(hours=7)  # MST ...
    summer = (clock >= "2001-04-01 03:00") & (clock < "2001-10-28 01:00")
    clock = clock + pd.to_timedelta(summer.astype(int), unit="h")  # ... with US DST of 2001
    path = write_csv(
        tmp_path / "station.csv", clock, celsius(times), time_column="time_local", fmt="%Y-%m-%d %H:%M"
    )
    out = tmp_path / "series.nc"
    assert_refused(
        *run_series(
            [path], out, caplog, config({"time_column": "time_local", "time_zone": "local_standard"})
        ),
        out,
        "station.csv",
        "daylight-saving time",
        "no 2001-04-01 03:00",
        "2001-10-28 01:00 twice",
        "standard time all year",
    )


@pytest.mark.parametrize("step_minutes, found", [(30, "30 min"), (180, "3 h")])
def test_sub_hourly_or_three_hourly_data_refused(tmp_path, caplog, step_minutes, found):
    times = utc_hours(step_minutes=step_minutes)
    path = write_csv(tmp_path / "station.csv", times, celsius(times))
    out = tmp_path / "series.nc"
    assert_refused(
        *run_series([path], out, caplog),
        out,
        "station.csv",
        f"the time step is {found}",
        "needs hourly data",
        "average sub-hourly data",
    )


def test_timestamps_at_half_past_refused(tmp_path, caplog):
    times = utc_hours() - pd.Timedelta(minutes=30)
    path = write_csv(tmp_path / "station.csv", times, celsius(times + pd.Timedelta(minutes=30)))
    out = tmp_path / "series.nc"
    assert_refused(*run_series([path], out, caplog), out, "station.csv", "not on the whole hour", "00:30:00")


def test_local_time_announced_as_utc_refused(tmp_path, caplog):
    """The header says UTC; the stamps are MST: the afternoon peak lands in the morning."""
    times = utc_hours()
    path = write_csv(
        tmp_path / "station.csv", times - pd.Timedelta(hours=7), celsius(times), fmt="%Y-%m-%d %H:%M"
    )
    out = tmp_path / "series.nc"
    assert_refused(
        *run_series([path], out, caplog),
        out,
        "station.csv",
        "the warmest hour of the mean diurnal cycle is at 8.",
        "about 7 h early",
        "the time column's zone looks wrong",
        "looks like local time (UTC-7 h) announced as UTC",
        "data.station.time_zone: local_standard",
    )


def test_utc_announced_as_local_refused(good, tmp_path, caplog):
    path, _ = good
    out = tmp_path / "series.nc"
    # the stamps carry +00:00 but the config says local standard time
    assert_refused(
        *run_series([path], out, caplog, config({"time_zone": "local_standard"})),
        out,
        "station.csv",
        "carry the UTC offset(s) +00:00",
        "data.station.time_zone says local_standard",
    )
    # without the offsets, the diurnal phase gives it away
    times = utc_hours()
    bare = write_csv(tmp_path / "bare.csv", times, celsius(times), fmt="%Y-%m-%d %H:%M")
    assert_refused(
        *run_series([bare], out, caplog, config({"time_zone": "local_standard"})),
        out,
        "bare.csv",
        "about 7 h late",
        "looks like UTC announced as local time",
    )


def test_station_far_from_the_site_refused(good, tmp_path, caplog):
    path, _ = good
    out = tmp_path / "series.nc"
    far = {"latitude": DENVER[0], "longitude": DENVER[1]}
    assert_refused(
        *run_series([path], out, caplog, config(far)),
        out,
        "station.csv",
        "its station at 39.74° N, -105° E lies",
        "km from the site",
        "farther than data.max_distance_km=50",
        "site.latitude/site.longitude",
    )
    # the fix: allow the distance (or configure the right site)
    status, text = run_series([path], out, caplog, config(far, max_distance_km=1000))
    assert status == 0, text


def test_great_circle_distance():
    assert great_circle_km(33.5, -112.0, 33.5, -112.0) == 0
    greenway = great_circle_km(33.5, -112.0, GREENWAY_LAT, GREENWAY_LON)
    assert greenway == pytest.approx(16.95, abs=0.05)
    assert great_circle_km(33.5, -112.0, *DENVER) == pytest.approx(940, abs=15)
    assert great_circle_km(33.5, 248.0, 33.5, -112.0) == pytest.approx(0, abs=1e-6)  # 0-360 E


def test_reader_raises_input_error_directly(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        open_station_file(tmp_path / "nope.csv", {"station": STATION}, site=SITE)


def test_download_stage_has_nothing_to_fetch_for_a_station(tmp_path, caplog, monkeypatch):
    monkeypatch.chdir(ROOT)
    with caplog.at_level(logging.INFO):
        assert (
            main(
                [
                    "download",
                    "--out-dir",
                    str(tmp_path / "raw"),
                    "--config",
                    json.dumps({"data": {"kind": "station", "station": STATION}}),
                ]
            )
            == 0
        )
    assert "nothing to download" in caplog.text and not (tmp_path / "raw").exists()
    caplog.clear()
    status = main(
        [
            "download",
            "--out-dir",
            str(tmp_path / "raw"),
            "--config",
            json.dumps({"data": {"kind": "station", "station": {**STATION, "path": "no/such.csv"}}}),
        ]
    )
    assert status == 2 and "no/such.csv: station file not found" in caplog.text
