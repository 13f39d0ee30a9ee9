"""The command line: every stage is reachable, and user errors end cleanly (exit 2, no traceback)."""

import subprocess
import sys

import yaml

from seasonal_vae.cli import build_parser, main


def test_every_stage_has_a_subcommand():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(sub.choices) == {"surrogate", "download", "series", "detrend", "windows", "train",
                                "sample", "compare", "plot-comparison", "config"}


def test_config_prints_the_validated_config(capsys):
    assert main(["config", "--config", '{"model": {"filters": 20}}']) == 0
    cfg = yaml.safe_load(capsys.readouterr().out)
    assert cfg["model"]["filters"] == 20 and cfg["training"]["epochs"] == 1000


def test_bad_config_is_refused_before_any_work(tmp_path, caplog):
    out = tmp_path / "w.nc"
    assert main(["windows", str(tmp_path / "missing.nc"), "--out", str(out),
                 "--config", '{"windows": {"window_hours": 100}}']) == 2
    assert "windows.window_hours" in caplog.text and "multiple of 96" in caplog.text
    assert not out.exists()


def test_missing_input_names_the_file_without_a_traceback(tmp_path):
    missing = tmp_path / "era5_t2m_1990.nc"
    run = subprocess.run([sys.executable, "-m", "seasonal_vae", "series", str(missing),
                          "--out", str(tmp_path / "s.nc")], capture_output=True, text=True)
    assert run.returncode == 2
    assert str(missing) in run.stderr and "How to fix" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "s.nc").exists()
