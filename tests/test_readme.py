"""The README stays true: its commands are the ones CI runs, its table is the pipeline's output."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_table_is_the_pipelines_comparison_table():
    table = [line for line in (ROOT / "figures" / "comparison.md").read_text().splitlines()
             if line.startswith("|")]
    start = README.index("<!-- comparison table")
    end = README.index("<!-- end of comparison table")
    shown = [line for line in README[start:end].splitlines() if line.startswith("|")]
    assert shown == table


def test_ci_runs_the_readme_commands():
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'python3.11 -m venv .venv && . .venv/bin/activate && pip install -e ".[test]" && snakemake --cores 2' in README
    assert ". .venv/bin/activate && pytest" in README
    for step in ("python3.11 -m venv .venv", '. .venv/bin/activate', 'pip install --quiet -e ".[test]"', "pytest"):
        assert step in ci


def test_every_committed_figure_is_shown():
    for png in (ROOT / "figures").glob("*.png"):
        assert f"figures/{png.name}" in README, png.name
