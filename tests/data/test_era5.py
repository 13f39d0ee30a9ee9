"""Tests of the CDS request, credentials check, downloads and raw-file reader (no network)."""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from builders import hours, write_cds_file

from seasonal_vae.core.errors import ConfigError, CredentialsError, InputError
from seasonal_vae.data import cds, era5
from seasonal_vae.data.units import to_kelvin

# --- build_request ------------------------------------------------------------------------


def test_request_exact_contents():
    req = cds.build_request(1974)
    assert cds.DATASET == "reanalysis-era5-single-levels"
    assert req == {
        "product_type": ["reanalysis"],
        "variable": ["2m_temperature"],
        "year": ["1974"],
        "month": ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"],
        "day": [f"{d:02d}" for d in range(1, 32)],
        "time": [f"{h:02d}:00" for h in range(24)],
        "data_format": "netcdf",
        "download_format": "unarchived",
        "area": [33.51, -112.01, 33.49, -111.99],
    }
    assert req["day"][0] == "01" and req["day"][-1] == "31" and len(req["day"]) == 31
    assert req["time"][0] == "00:00" and req["time"][-1] == "23:00" and len(req["time"]) == 24


def test_request_area_order_and_variable():
    req = cds.build_request(2020, area=(10, 20, 5, 25), variable="skin_temperature")
    assert req["area"] == [10.0, 20.0, 5.0, 25.0]  # North, West, South, East
    assert req["variable"] == ["skin_temperature"]
    assert req["year"] == ["2020"]


@pytest.mark.parametrize(
    "area, words",
    [
        ((33.49, -112.01, 33.51, -111.99), "south of South"),
        ((95, -112, 33, -111), "[-90, 90]"),
        ((33.5, -200, 33.4, -111), "[-180, 360]"),
        ((33.5, -112, 33.4), "four"),
        (("north", -112, 33.4, -111), "four numbers"),
    ],
)
def test_bad_area_refused(area, words):
    with pytest.raises(ConfigError, match="site.area") as err:
        cds.build_request(2000, area=area)
    assert words in str(err.value)
    assert "How to fix" in str(err.value)


def test_bad_year_refused():
    with pytest.raises(ConfigError, match="1940"):
        cds.build_request(1900)


# --- check_credentials --------------------------------------------------------------------


@pytest.fixture
def no_credentials(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("CDSAPI_URL", "CDSAPI_KEY", "CDSAPI_RC"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_credentials_missing_says_what_to_do(no_credentials):
    with pytest.raises(CredentialsError) as err:
        cds.check_credentials()
    text = str(err.value)
    for needed in (
        ".cdsapirc",
        "url:",
        "key:",
        "CDSAPI_URL",
        "CDSAPI_KEY",
        "account",
        "Licence to use Copernicus Products",
        cds.DATASET,
        "data/surrogate",
    ):
        assert needed in text


def test_credentials_from_rc_file(no_credentials):
    (no_credentials / ".cdsapirc").write_text("url: https://example\nkey: abc\n")
    cds.check_credentials()


def test_credentials_from_environment(no_credentials, monkeypatch):
    monkeypatch.setenv("CDSAPI_URL", "https://example")
    with pytest.raises(CredentialsError, match="only CDSAPI_URL is set"):
        cds.check_credentials()
    monkeypatch.setenv("CDSAPI_KEY", "abc")
    cds.check_credentials()


# --- download_years -----------------------------------------------------------------------


class FakeClient:
    """Stands in for cdsapi.Client: records requests and writes a small CDS-like file."""

    def __init__(self, fail_for=()):
        self.calls = []
        self.fail_for = set(fail_for)

    def retrieve(self, dataset, request, target):
        self.calls.append((dataset, request, target))
        year = int(request["year"][0])
        if year in self.fail_for:
            Path(target).write_bytes(b"partial")
            raise RuntimeError("403 Client Error: required licences not accepted")
        write_cds_file(target, hours(f"{year}-01-01", 48), np.full(48, 290.0))


def test_download_writes_one_file_per_year(tmp_path, caplog):
    client = FakeClient()
    with caplog.at_level(logging.INFO):
        paths = cds.download_years([2001, 2002], tmp_path / "raw", cds.PHOENIX_AREA, client=client)
    assert [p.name for p in paths] == ["era5_t2m_2001.nc", "era5_t2m_2002.nc"]
    assert all(p.is_file() for p in paths)
    assert sorted(p.name for p in (tmp_path / "raw").iterdir()) == [p.name for p in paths]
    dataset, request, _ = client.calls[0]
    assert dataset == cds.DATASET and request == cds.build_request(2001)
    assert era5.open_year_file(paths[0]).sizes["time"] == 48


def test_download_skips_existing_years(tmp_path, caplog):
    (tmp_path / "era5_t2m_2001.nc").write_bytes(b"already here")
    client = FakeClient()
    with caplog.at_level(logging.INFO):
        paths = cds.download_years([2001, 2002], tmp_path, client=client)
    assert [int(c[1]["year"][0]) for c in client.calls] == [2002]
    assert (tmp_path / "era5_t2m_2001.nc").read_bytes() == b"already here"
    assert len(paths) == 2
    assert "already present" in caplog.text


def test_download_all_present_needs_no_credentials(tmp_path, no_credentials):
    (tmp_path / "era5_t2m_2001.nc").write_bytes(b"x")
    assert cds.download_years([2001], tmp_path) == [tmp_path / "era5_t2m_2001.nc"]


def test_download_without_credentials_fails_before_requesting(tmp_path, no_credentials):
    with pytest.raises(CredentialsError, match="CDSAPI_KEY"):
        cds.download_years([2001], tmp_path / "raw")
    assert not (tmp_path / "raw" / "era5_t2m_2001.nc").exists()


def test_failed_request_names_year_and_leaves_no_file(tmp_path):
    client = FakeClient(fail_for={2002})
    with pytest.raises(CredentialsError) as err:
        cds.download_years([2001, 2002, 2003], tmp_path, client=client)
    text = str(err.value)
    assert "2002" in text and "licences not accepted" in text
    assert "Licence to use Copernicus Products" in text and "key" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["era5_t2m_2001.nc"]


def test_download_refuses_non_netcdf_response(tmp_path):
    class HtmlClient:
        def retrieve(self, dataset, request, target):
            Path(target).write_text("<html>Service unavailable</html>")

    with pytest.raises(CredentialsError, match="neither netCDF nor a zip"):
        cds.download_years([2001], tmp_path, client=HtmlClient())
    assert list(tmp_path.iterdir()) == []


# --- open_year_file -----------------------------------------------------------------------


def test_open_valid_time_file(tmp_path):
    times = hours("2001-01-01", 24)
    path = write_cds_file(tmp_path / "a.nc", times, np.linspace(280, 300, 24))
    da = era5.open_year_file(path)
    assert da.name == "t2m" and da.dims == ("time",)
    assert da["time"].dtype == np.dtype("datetime64[ns]")
    np.testing.assert_array_equal(da["time"].values, times)
    np.testing.assert_allclose(da.values, np.linspace(280, 300, 24))
    assert set(da.coords) == {"time"}  # number, expver, latitude, longitude dropped
    assert da.attrs["units"] == "K"
    assert da.attrs["raw_title"] == "ERA5 test file"
    assert da.attrs["raw_history"] == "made by write_cds_file"
    assert da.attrs["grid_latitude"] == 33.5 and da.attrs["grid_longitude"] == -112.0


def test_open_time_axis_netcdf3(tmp_path):
    path = write_cds_file(
        tmp_path / "b.nc",
        hours("2001-01-01", 5),
        np.full(5, 290.0),
        time_name="time",
        fmt="NETCDF3_64BIT",
        extra_coords=False,
    )
    assert path.read_bytes()[:3] == b"CDF"
    da = era5.open_year_file(path)
    assert da.dims == ("time",) and da.sizes["time"] == 5


def test_open_zip_detected_by_content(tmp_path):
    inner = write_cds_file(tmp_path / "data_0.nc", hours("2001-01-01", 5), np.full(5, 290.0))
    zipped = tmp_path / "era5_t2m_2001.nc"  # a zip archive under a .nc name
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.write(inner, "data_stream-oper_stepType-instant.nc")
    np.testing.assert_allclose(era5.open_year_file(zipped).values, 290.0)


def test_zip_without_single_netcdf_refused(tmp_path):
    zipped = tmp_path / "z.nc"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("readme.txt", "nothing here")
    with pytest.raises(InputError, match="holds 0 .nc files"):
        era5.open_year_file(zipped)


@pytest.mark.parametrize(
    "units, values, kelvin",
    [
        ("degC", [0.0, 25.0, -40.0], [273.15, 298.15, 233.15]),
        ("°C", [0.0, 25.0, -40.0], [273.15, 298.15, 233.15]),
        ("Celsius", [0.0, 25.0, -40.0], [273.15, 298.15, 233.15]),
        ("degF", [32.0, 212.0 - 100.0, -40.0], [273.15, 317.5944444444, 233.15]),
        ("fahrenheit", [32.0, -40.0, 50.0], [273.15, 233.15, 283.15]),
    ],
)
def test_units_converted_to_kelvin(tmp_path, units, values, kelvin):
    path = write_cds_file(tmp_path / "u.nc", hours("2001-01-01", 3), values, units=units)
    da = era5.open_year_file(path)
    np.testing.assert_allclose(da.values, kelvin, rtol=0, atol=1e-9)
    assert da.attrs["units"] == "K"


def test_lying_units_refused(tmp_path):
    path = write_cds_file(tmp_path / "lie.nc", hours("2001-01-01", 4), [-40, 0, 20, 50], units="K")
    with pytest.raises(InputError, match="contradicts") as err:
        era5.open_year_file(path)
    assert "lie.nc" in str(err.value)


def test_missing_units_inferred_as_kelvin_with_warning(tmp_path, caplog):
    path = write_cds_file(tmp_path / "n.nc", hours("2001-01-01", 3), [280, 290, 300], units=None)
    with caplog.at_level(logging.WARNING):
        da = era5.open_year_file(path)
    np.testing.assert_allclose(da.values, [280, 290, 300])
    assert "no units attribute" in caplog.text


def test_missing_units_ambiguous_refused(tmp_path):
    path = write_cds_file(tmp_path / "n.nc", hours("2001-01-01", 3), [5, 20, 30], units=None)
    with pytest.raises(InputError, match="add a units attribute"):
        era5.open_year_file(path)


def test_implausible_values_refused(tmp_path):
    path = write_cds_file(tmp_path / "hot.nc", hours("2001-01-01", 2), [290, 9999])
    with pytest.raises(InputError, match="180–340 K"):
        era5.open_year_file(path)


def test_nan_allowed(tmp_path):
    path = write_cds_file(tmp_path / "gap.nc", hours("2001-01-01", 3), [290, np.nan, 291])
    assert np.isnan(era5.open_year_file(path).values[1])


def test_missing_variable_lists_present(tmp_path):
    path = write_cds_file(tmp_path / "v.nc", hours("2001-01-01", 3), [290] * 3, variable="skt")
    with pytest.raises(InputError) as err:
        era5.open_year_file(path)
    text = str(err.value)
    assert "v.nc" in text and "'t2m'" in text and "skt" in text and "data.variable" in text


def test_multi_point_grid_refused(tmp_path):
    path = write_cds_file(
        tmp_path / "g.nc",
        hours("2001-01-01", 3),
        [290] * 3,
        lats=(33.75, 33.5),
        lons=(-112.25, -112.0, -111.75),
    )
    with pytest.raises(InputError) as err:
        era5.open_year_file(path)
    text = str(err.value)
    assert "latitude=2" in text and "longitude=3" in text and "site.area" in text


def test_expver_dimension_merged(tmp_path):
    times = hours("2023-12-31", 4)
    data = np.array([[290.0, np.nan], [291.0, np.nan], [np.nan, 292.0], [np.nan, 293.0]])
    ds = xr.Dataset(
        {"t2m": (("time", "expver", "latitude", "longitude"), data[:, :, None, None], {"units": "K"})},
        coords={"time": times, "expver": [1, 5], "latitude": [33.5], "longitude": [-112.0]},
    )
    ds.to_netcdf(tmp_path / "e.nc")
    np.testing.assert_allclose(era5.open_year_file(tmp_path / "e.nc").values, [290, 291, 292, 293])


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", "empty"),
        (b"<html><body>Error 500</body></html>", "not a netCDF file"),
        (b"CDF\x01" + b"\xff" * 10, "cannot be read as netCDF"),
    ],
)
def test_garbage_files_refused(tmp_path, content, words):
    path = tmp_path / "bad.nc"
    path.write_bytes(content)
    with pytest.raises(InputError, match=words) as err:
        era5.open_year_file(path)
    assert "bad.nc" in str(err.value) and "How to fix" in str(err.value)


@pytest.mark.parametrize("fmt", ["NETCDF4", "NETCDF3_64BIT"])
def test_truncated_file_refused(tmp_path, fmt):
    path = write_cds_file(
        tmp_path / "t.nc",
        hours("2001-01-01", 200),
        np.full(200, 290.0),
        fmt=fmt,
        extra_coords=fmt == "NETCDF4",
    )
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(InputError, match="truncated or corrupt") as err:
        era5.open_year_file(path)
    assert err.value.__cause__ is not None


def test_missing_file_refused(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        era5.open_year_file(tmp_path / "nope.nc")


def test_open_year_file_says_its_values_are_instantaneous(tmp_path):
    path = write_cds_file(tmp_path / "a.nc", hours("2001-01-01", 24), np.full(24, 290.0))
    assert era5.open_year_file(path).attrs["time_stamp"] == "instantaneous"


def test_unit_check_names_what_declared_the_units(tmp_path):
    """The plausibility check is shared with station files, which declare units in the config."""
    with pytest.raises(
        InputError,
        match="data.station.units says 'degC'.*plausible only as "
        "degF: the declared units contradict the data",
    ) as err:
        to_kelvin(
            np.array([70.0, 110.0]),
            "degC",
            tmp_path / "s.csv",
            logging.getLogger(__name__),
            declared="data.station.units",
            fix="set data.station.units",
        )
    assert err.value.fix == "set data.station.units"
