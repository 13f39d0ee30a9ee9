"""The narrative notebooks: paired with py:percent files, committed without outputs, and run.

Every notebook is executed by nbmake against the small build of the workflow test
(config/test.yaml), so a notebook that breaks fails the build.
"""

import os
import subprocess
import sys

import jupytext
import nbformat
import pytest
from conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"
SCRIPTS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))


def test_there_are_notebooks():
    assert len(SCRIPTS) >= 4, [p.name for p in SCRIPTS]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_notebook_and_script_are_a_synchronised_pair(script):
    notebook = script.with_suffix(".ipynb")
    assert notebook.is_file(), f"{notebook.name} missing: run `jupytext --sync {script}`"
    from_script, from_notebook = jupytext.read(script), jupytext.read(notebook)
    cells = [(c.cell_type, c.source) for c in from_script.cells]
    assert cells == [(c.cell_type, c.source) for c in from_notebook.cells], (
        f"{notebook.name} and {script.name} differ: run `jupytext --sync {script}`"
    )


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(script):
    nb = nbformat.read(script.with_suffix(".ipynb"), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{script.with_suffix('.ipynb').name} has outputs: clear them before committing"
            )


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_notebook_imports_its_logic_from_the_package(script):
    """No model code, data handling or metric is defined inside a notebook."""
    source = script.read_text(encoding="utf-8")
    for keyword in ("\ndef ", "\nclass ", "\nlambda "):
        assert keyword not in source, f"{script.name} defines code ({keyword.strip()}...)"
    assert "from seasonal_vae" in source


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_notebook_runs_on_the_small_build(script, workdir):
    env = dict(
        os.environ,
        SEASONAL_VAE_WORKDIR=str(workdir),
        SEASONAL_VAE_CONFIG="config/test.yaml",
        PYTHONPATH=str(workdir / "src"),
        MPLBACKEND="Agg",
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbmake",
            "--nbmake-timeout=600",
            "-p",
            "no:cacheprovider",
            "-q",
            "--rootdir",
            str(NOTEBOOKS),
            str(script.with_suffix(".ipynb")),
        ],
        cwd=NOTEBOOKS,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
