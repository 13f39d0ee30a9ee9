"""Many sites through the workflow: a sites file's rows become data sets of the DAG, every
step declares what a scheduler needs to place it, and bad sites or profiles stop Snakemake
before any job starts."""

import re

import pytest
from conftest import ROOT
from conftest import snakemake as _snakemake

RULE = re.compile(r"^rule (\w+):\n(.*?)(?=^rule |^use rule |\Z)", re.M | re.S)


def _rules():
    found = {}
    for smk in sorted((ROOT / "rules").glob("*.smk")):
        for name, body in RULE.findall(smk.read_text(encoding="utf-8")):
            found[name] = body
    return found


def test_every_step_declares_threads_memory_and_runtime():
    """So that a scheduler can place every job (profiles/slurm); `use rule` inherits them."""
    rules = _rules()
    assert {"train", "evaluate", "plot", "site_summary"} <= set(rules)
    for name, body in rules.items():
        assert "    threads:" in body, name
        assert re.search(r"mem_mb=\d+", body) and re.search(r"runtime=\d+", body), name
    assert "gpu=1" in rules["train"]


def test_a_sites_file_builds_one_data_set_per_row_and_a_summary(tmp_path):
    dry = _snakemake(["-n", "-p", "--forceall", "--config", f"sites={ROOT}/config/sites_arizona.csv"], ROOT)
    assert dry.returncode == 0, dry.stderr[-3000:]
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", dry.stdout, re.M))
    assert jobs["download"] == "250" and jobs["series"] == "5" and jobs["site_summary"] == "1"
    for site in ("phoenix", "tucson", "flagstaff", "yuma", "prescott"):
        assert f"download --out-dir data/raw/{site} --years 1974 " in dry.stdout


SITE = (
    "{name: NAME, latitude: 33.5, longitude: -112.0, utc_offset_hours: -7, north: 33.51,"
    " west: -112.01, south: 33.49, east: -111.99, kind: surrogate, location: data/surrogate,"
    " first_year: 1974, last_year: 1981}"
)


@pytest.mark.parametrize(
    "text, words",
    [
        (
            f"sites:\n  - {SITE.replace('NAME', 'a')}\n  - {SITE.replace('NAME', 'a')}\n",
            ["row 2", "earlier row"],
        ),
        (f"sites:\n  - {SITE.replace('NAME', 'a')}\n  - {SITE.replace('NAME', 'b c')}\n", ["row 2", "'b c'"]),
        ("sites:\n  - name: a\n    name: b\n", ["line 3", "'name' is given twice"]),
    ],
)
def test_a_bad_sites_file_stops_snakemake_before_any_job(tmp_path, text, words):
    path = tmp_path / "sites.yaml"
    path.write_text(text, encoding="utf-8")
    dry = _snakemake(["-n", "--config", f"sites={path}"], ROOT)
    said = dry.stdout + dry.stderr
    assert dry.returncode != 0
    for word in [str(path), *words, "How to fix"]:
        assert word in said, said[-2000:]
    assert "Job stats" not in said


def test_a_config_file_giving_a_data_set_twice_is_refused(tmp_path):
    path = tmp_path / "twice.yaml"
    path.write_text("datasets:\n  surrogate: {}\n  surrogate: {}\n", encoding="utf-8")
    dry = _snakemake(["-n", "--configfile", str(path)], ROOT)
    said = dry.stdout + dry.stderr
    assert dry.returncode != 0 and "'surrogate' is given twice" in said and "twice.yaml" in said


@pytest.mark.slow
def test_the_small_workflow_summarises_its_two_sites(workdir):
    """config/test.yaml has two sites, so rule all builds the cross-site table and figure."""
    import pandas as pd

    tidy = pd.read_csv(workdir / "results" / "sites" / "summary.csv")
    assert tidy["site"].unique().tolist() == ["surrogate", "greenway"]
    assert set(tidy["generator"]) >= {"vae", "vae_standard_prior", "harmonic_ar", "bootstrap"}
    table = (workdir / "figures" / "sites" / "summary.md").read_text(encoding="utf-8")
    assert "| Generator | surrogate" in table and "| vae |" in table
    png = workdir / "figures" / "sites" / "summary.png"
    assert png.read_bytes()[:4] == b"\x89PNG" and (workdir / "logs" / "sites" / "site_summary.log").exists()
