"""The command line: every stage is reachable, and user errors end cleanly (exit 2, no traceback)."""

import subprocess
import sys

import yaml
from conftest import ROOT

from seasonal_vae.cli import build_parser, main


def test_every_stage_has_a_subcommand():
    import re

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert {
        "surrogate",
        "download",
        "series",
        "detrend",
        "windows",
        "train",
        "sample",
        "generate",
        "baseline",
        "compare",
        "evaluate",
        "impute",
        "anomaly",
        "forecast",
        "figure-data",
        "plot",
        "config",
    } <= set(sub.choices)
    # every rule calls an existing subcommand, through the one helper of rules/common.smk
    rules = "".join(p.read_text() for p in (ROOT / "rules").glob("*.smk"))
    called = set(re.findall(r'cli\("([a-z-]+)"', rules))
    assert len(called) >= 14 and called <= set(sub.choices), called - set(sub.choices)
    shells = re.findall(r"shell:\n\s+(\S+)", rules)
    assert shells and all(s.startswith("cli(") for s in shells), shells


def test_no_flag_repeats_a_config_key():
    """One convention: arguments name files; every setting comes through --config."""
    from seasonal_vae.core.config import load_schema

    schema = load_schema()["properties"]
    keys = {key for section in schema.values() for key in section.get("properties", {})}
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name, parser in sub.choices.items():
        flags = {a.dest for a in parser._actions if a.option_strings} - {"help", "config"}
        assert not flags & keys, f"{name}: {sorted(flags & keys)} repeat config keys"
        assert any(a.dest == "config" for a in parser._actions), name


def test_generate_any_start_and_length(tmp_path):
    import xarray as xr

    from seasonal_vae.model.vae import SeasonalVAE

    model = SeasonalVAE(
        filters=8,
        latent_dim=3,
        data_mean=75.0,
        data_std=18.0,
        trend_rate_per_decade=0.7,
        trend_reference_year=2024,
        seed=0,
    )
    model.save(tmp_path / "m.keras")
    out = tmp_path / "g.nc"
    assert (
        main(
            [
                "generate",
                str(tmp_path / "m.keras"),
                "--start",
                "2031-06-01T05:00",
                "--hours",
                "1000",
                "--out",
                str(out),
                "--config",
                '{"sampling": {"n_paths": 3, "seed": 1, "retrend": 2031, "noise": true}}',
            ]
        )
        == 0
    )
    ds = xr.open_dataset(out)
    assert ds["t2m"].shape == (3, 1000) and ds["t2m"].attrs["units"] == "degF"
    assert str(ds["time"].values[0]).startswith("2031-06-01T05:00")
    assert ds.attrs["noise"] == "on" and ds.attrs["seed"] == 1
    assert ds.attrs["climate"] == "climate of the year 2031"
    ds.close()


def test_config_prints_the_validated_config(capsys):
    assert main(["config", "--config", '{"model": {"filters": 20}}']) == 0
    cfg = yaml.safe_load(capsys.readouterr().out)
    assert cfg["model"]["filters"] == 20 and cfg["training"]["epochs"] == 1000


def test_bad_config_is_refused_before_any_work(tmp_path, caplog):
    out = tmp_path / "w.nc"
    assert (
        main(
            [
                "windows",
                str(tmp_path / "missing.nc"),
                "--out",
                str(out),
                "--config",
                '{"windows": {"window_hours": 100}}',
            ]
        )
        == 2
    )
    assert "windows.window_hours" in caplog.text and "multiple of 96" in caplog.text
    assert not out.exists()


def test_missing_input_names_the_file_without_a_traceback(tmp_path):
    missing = tmp_path / "era5_t2m_1990.nc"
    run = subprocess.run(
        [sys.executable, "-m", "seasonal_vae", "series", str(missing), "--out", str(tmp_path / "s.nc")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert str(missing) in run.stderr and "How to fix" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "s.nc").exists()
