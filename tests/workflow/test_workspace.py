"""The notebooks' view of a build: the workflow folder, its configuration and its outputs."""

import pytest
import yaml

from seasonal_vae.core.errors import InputError
from seasonal_vae.workspace import open_workspace


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "Snakefile").write_text("# a workflow\n")
    base = {"applications": {"imputation": {"n_cases": 100, "margin_hours": 48}}, "training": {"epochs": 50}}
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(base))
    (tmp_path / "config" / "small.yaml").write_text(
        yaml.safe_dump({"applications": {"imputation": {"n_cases": 5}}})
    )
    return tmp_path


def test_the_overlay_merges_at_every_depth_like_a_snakemake_configfile(folder, monkeypatch):
    monkeypatch.setenv("SEASONAL_VAE_WORKDIR", str(folder))
    monkeypatch.setenv("SEASONAL_VAE_CONFIG", "config/small.yaml")
    ws = open_workspace()
    imputation = ws.config["applications"]["imputation"]
    assert imputation["n_cases"] == 5 and imputation["margin_hours"] == 48  # not the default 96
    assert ws.config["training"]["epochs"] == 50
    assert ws.config_file == folder / "config" / "small.yaml"


def test_the_folder_is_found_upwards_and_outputs_are_checked(folder, monkeypatch):
    monkeypatch.delenv("SEASONAL_VAE_WORKDIR", raising=False)
    monkeypatch.delenv("SEASONAL_VAE_CONFIG", raising=False)
    (folder / "notebooks").mkdir()
    ws = open_workspace(folder / "notebooks")
    assert ws.root == folder.resolve()
    with pytest.raises(InputError, match="has not been built yet"):
        ws.path("metrics")
    with pytest.raises(KeyError):
        ws.path("no such output")
