"""The shipped configs validate; bad configs are refused before any work, naming the key."""

import pytest
import yaml
from conftest import ROOT

from seasonal_vae.core.config import load_config, load_schema
from seasonal_vae.core.errors import ConfigError


@pytest.mark.parametrize("name", ["config.yaml", "test.yaml", "era5.yaml"])
def test_shipped_configs_validate(name):
    """Each shipped file validates as Snakemake reads it: test.yaml over config.yaml."""
    from snakemake.utils import update_config

    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    update_config(cfg, yaml.safe_load((ROOT / "config" / name).read_text()))
    cfg = load_config(cfg)
    assert cfg["windows"]["window_hours"] % 96 == 0
    assert {"surrogate", "greenway"} <= set(cfg["datasets"])


@pytest.mark.parametrize(
    "bad, key",
    [
        ({"datasets": {"x y": {}}}, "datasets"),
        ({"datasets": {"mine": {"data": {"kind": "era5"}}}}, "datasets.mine.data.raw_dir"),
        ({"datasets": {"mine": {"data": {"kind": "station", "raw_dir": "x"}}}}, "datasets.mine.data.station"),
        (
            {"datasets": {"mine": {"data": {"raw_dir": "x", "first_year": 2001, "last_year": 2000}}}},
            "datasets.mine.data.first_year",
        ),
        ({"build": {"datasets": ["nowhere"]}}, "build.datasets"),
        ({"build": {"models": ["gaussian"]}}, "build.models"),
        ({"models": {"mine": {"noise": "pink"}}}, "models.mine.noise"),
    ],
)
def test_bad_datasets_name_the_key(bad, key):
    with pytest.raises(ConfigError) as err:
        load_config(bad)
    assert key in str(err.value) and "How to fix" in str(err.value)


def test_config_yaml_repeats_the_schema_defaults():
    """config/config.yaml shows every knob with its default value (a reader sees them all)."""
    shipped = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    defaults = load_config(None)
    # `site` and `data`, what a single step reads, are the first data set's when not given
    first = defaults["datasets"]["surrogate"]
    assert defaults.pop("site") == first["site"] and defaults.pop("data") == first["data"]
    assert shipped == defaults


def test_schema_is_a_regular_file_of_the_package():
    """The schema lives in the package (no symlink out of it), so that a wheel and a checkout
    without symlinks both carry it."""
    from seasonal_vae.core.config import SCHEMA_PATH

    assert SCHEMA_PATH.is_file() and not SCHEMA_PATH.is_symlink()
    assert SCHEMA_PATH.is_relative_to(ROOT / "src" / "seasonal_vae")
    assert load_schema() == yaml.safe_load(SCHEMA_PATH.read_text())


@pytest.mark.parametrize(
    "bad,key",
    [
        ({"modle": {}}, "modle"),
        ({"model": {"filtres": 20}}, "filtres"),
        ({"model": {"filters": "forty"}}, "model.filters"),
        ({"windows": {"window_hours": 1000}}, "windows.window_hours"),
        ({"data": {"first_year": 2000, "last_year": 1990}}, "data.first_year"),
        ({"data": {"first_year": 2000, "last_year": 2002}}, "windows.holdout_every"),
        ({"windows": {"holdout_every": 5, "holdout_offset": 5}}, "windows.holdout_offset"),
        ({"sampling": {"retrend": "yes"}}, "sampling.retrend"),
        ({"model": {"prior": "gaussian"}}, "model.prior"),
    ],
)
def test_bad_config_names_the_key(bad, key):
    with pytest.raises(ConfigError) as err:
        load_config(bad)
    assert key in str(err.value)
    assert "How to fix" in str(err.value)


def test_inline_json_and_missing_file():
    assert load_config('{"model": {"filters": 20}}')["model"]["filters"] == 20
    with pytest.raises(ConfigError, match="not found"):
        load_config("no/such/config.yaml")
