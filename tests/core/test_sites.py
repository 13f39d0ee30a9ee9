"""The site table: sites files (CSV, YAML) become the config's data sets, and bad sites are
refused before anything runs, naming the file, the row or key, and the site."""

import textwrap

import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from seasonal_vae.core.config import load_config
from seasonal_vae.core.errors import ConfigError
from seasonal_vae.core.sites import REQUIRED, read_sites

HEADER = ",".join(REQUIRED)
ROW = "phoenix,33.5,-112.0,-7,33.51,-112.01,33.49,-111.99,era5_download,,1974,2023"


def write(tmp_path, text, name="sites.csv"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def refused(source, *words):
    with pytest.raises(ConfigError) as err:
        if isinstance(source, dict) and "config" in source:  # a config file
            load_config(source["config"])
        else:
            load_config(source) if isinstance(source, dict) else read_sites(source)
    text = str(err.value)
    for word in words:
        assert word in text, f"{word!r} not in: {text}"
    assert "How to fix" in text
    return text


def test_the_yaml_sites_file_is_the_default_build():
    """config/sites.yaml holds the two bundled records: the same data sets, key for key."""
    assert (
        load_config({"sites": str(ROOT / "config/sites.yaml")})["datasets"]
        == load_config(ROOT / "config/config.yaml")["datasets"]
    )


def test_the_arizona_csv_downloads_every_site_into_its_own_folder():
    datasets = load_config({"sites": str(ROOT / "config/sites_arizona.csv")})["datasets"]
    assert list(datasets) == ["phoenix", "tucson", "flagstaff", "yuma", "prescott"]
    for name, ds in datasets.items():
        assert ds["data"]["kind"] == "era5" and ds["data"]["raw_dir"] == f"data/raw/{name}"
        assert ds["data"]["first_year"] == 1974 and ds["data"]["last_year"] == 2023
        assert ds["site"]["utc_offset_hours"] == -7 and ds["site"]["name"].endswith("(ERA5)")


def test_a_csv_station_row_takes_its_layout_from_station_columns(tmp_path):
    station = "data/greenway/azmet_greenway_2003_2017_utc.csv.xz"
    layout = 'time_utc_hour_ending,t_air_degC_hourly_mean,degC,"[999, -999]",AZMET'
    path = write(
        tmp_path,
        f"{HEADER},station_time_column,station_value_column,station_units,station_missing_values,label\n"
        f"gw,33.623,-112.108,-7,33.63,-112.12,33.61,-112.10,station,{station},2003,2017,{layout}\n"
        "era,33.5,-112.0,-7,33.51,-112.01,33.49,-111.99,era5_files,/scratch/era5/phx,1974,1980,,,,,\n",
    )
    datasets = load_config({"sites": str(path)})["datasets"]
    station = datasets["gw"]["data"]["station"]
    assert station["path"].endswith(".csv.xz") and station["missing_values"] == [999, -999]
    assert station["units"] == "degC" and station["time_zone"] == "utc"  # a schema default
    assert datasets["gw"]["data"]["label"] == "AZMET"
    assert (
        datasets["era"]["data"]["raw_dir"] == "/scratch/era5/phx" and "station" not in datasets["era"]["data"]
    )


@pytest.mark.parametrize(
    "rows, words",
    [
        ([ROW, ROW], ["row 2", "'phoenix'", "earlier row"]),
        ([ROW.replace("phoenix", "my site", 1)], ["row 1", "'my site'", "not a valid path part"]),
        ([ROW.replace("phoenix", "../up", 1)], ["not a valid path part"]),
        ([ROW.replace("phoenix", "sites", 1)], ["reserved"]),
        ([ROW.replace("33.5,", "north,", 1)], ["'phoenix'", "latitude", "not a number"]),
        ([ROW.replace("era5_download", "grib", 1)], ["kind 'grib'"]),
        ([ROW.replace("era5_download,", "era5_files,", 1)], ["needs a location"]),
        (
            [ROW.replace("era5_download,", "era5_download,/elsewhere", 1)],
            ["downloaded into data/raw/phoenix"],
        ),
        ([ROW + ",extra"], ["row 1", "more cells"]),
        ([ROW.rsplit(",", 1)[0]], ["row 1", "fewer cells"]),
        ([ROW.replace(",1974,", ",1974.5,", 1)], ["first_year", "not a whole number"]),
    ],
)
def test_bad_rows_are_refused_naming_the_file_row_and_site(tmp_path, rows, words):
    path = write(tmp_path, "\n".join([HEADER, *rows]) + "\n")
    refused(path, str(path), *words)


def test_a_missing_or_unknown_column_is_named(tmp_path):
    missing = write(tmp_path, HEADER.replace(",utc_offset_hours", "") + "\n", "missing.csv")
    refused(missing, "missing.csv", "utc_offset_hours")
    unknown = write(tmp_path, f"{HEADER},elevation\n{ROW},331\n", "unknown.csv")
    refused(unknown, "unknown.csv", "'phoenix'", "elevation")
    empty = write(tmp_path, HEADER + "\n", "empty.csv")
    refused(empty, "no rows")


def test_a_yaml_sites_file_is_checked_like_a_csv(tmp_path):
    path = write(tmp_path, "sites:\n  - {name: a, latitude: 1}\n", "sites.yaml")
    refused(path, "row 1", "'a'", "missing column(s)", "longitude")
    refused(write(tmp_path, "sites: 3\n", "bad.yaml"), "list of sites")
    refused(tmp_path / "absent.csv", "not found")


def test_the_area_must_contain_the_point_and_the_offset_be_whole_or_half_hours(tmp_path):
    refused({"site": {"latitude": 34.0}}, "site.area", "does not contain", "(34.0, -112.0)")
    outside = ROW.replace("33.5,-112.0,", "33.5,-113.0,", 1)
    refused(
        {"sites": str(write(tmp_path, f"{HEADER}\n{outside}\n"))}, "datasets.phoenix.site.area", "'phoenix'"
    )
    refused({"site": {"utc_offset_hours": 5.75}}, "utc_offset_hours", "not a whole or half hour")
    load_config({"site": {"utc_offset_hours": 5.5}})  # India: accepted
    # an area written in 0..360 longitudes still contains a point given in -180..180
    load_config({"site": {"longitude": -112.0, "area": [33.51, 247.99, 33.49, 248.01]}})


@settings(max_examples=50, deadline=None)  # load_config reads the schema: slow on a busy machine
@given(st.floats(-89, 89), st.floats(-179, 179), st.floats(0.01, 5), st.floats(0.01, 5))
def test_an_area_around_the_point_is_accepted_and_one_beside_it_refused(lat, lon, dlat, dlon):
    site = {"latitude": lat, "longitude": lon}
    around = [lat + dlat / 2, lon - dlon / 2, lat - dlat / 2, lon + dlon / 2]
    load_config({"site": {**site, "area": around}})
    beside = [lat + 2 * dlat, lon - dlon / 2, lat + dlat, lon + dlon / 2]
    with pytest.raises(ConfigError, match="does not contain"):
        load_config({"site": {**site, "area": beside}})


def test_a_data_set_given_twice_in_a_config_file_is_refused(tmp_path):
    path = write(
        tmp_path,
        """
        datasets:
          a: {data: {raw_dir: data/surrogate}}
          a: {data: {raw_dir: data/other}}
        """,
        "twice.yaml",
    )
    refused({"config": path}, "twice.yaml", "line 3", "'a' is given twice", "first on line 2")
