"""The package's layout is its architecture: stages whose imports point one way only.

``core`` ← ``data`` ← ``model`` ← ``evaluation`` ← ``applications`` ← ``figures`` ← the
entry points (``cli``, ``workspace``, ``__main__``). Every import of the package's own modules
is read from the source (top-level and inside functions alike), so that a lazy import cannot
hide an upward dependency or a cycle; string imports (``importlib``) are not allowed at all.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "src" / "seasonal_vae"
STAGES = ["core", "data", "model", "evaluation", "applications", "figures", "entry"]
MAX_LINES = 420  # "about 400": a module longer than this is a bundle to split


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else "entry" if len(parts) > 1 else "core"


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path) -> set[str]:
    """The package modules that ``path`` imports (``from seasonal_vae.x import y`` counts as
    ``seasonal_vae.x.y`` where that is a module, else ``seasonal_vae.x``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: use absolute imports"
            base = node.module or ""
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names
            ]
        else:
            continue
        found |= {name for name in names if name == "seasonal_vae" or name.startswith("seasonal_vae.")}
    return found


GRAPH = {name: imports(path) for name, path in MODULES.items()}


def test_the_stages_are_the_packages_folders():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(STAGES) - {"entry"}
    for folder in folders:
        assert (PACKAGE / folder / "__init__.py").read_text().startswith('"""'), folder


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_one_way(module):
    here = STAGES.index(stage(module))
    upward = sorted(m for m in GRAPH[module] if STAGES.index(stage(m)) > here)
    assert not upward, f"{module} ({stage(module)}) imports later stages: {upward}"


def test_no_import_cycles():
    # depth-first search over the module graph; __init__ packages count as their modules
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in sorted(GRAPH.get(m, ())):
            if n == m or n not in GRAPH or m.startswith(n + "."):
                continue  # a module importing its own package's __init__ is no cycle
            if state.get(n) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(n) :] + [n]))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m)


def test_no_string_imports():
    offenders = [name for name, path in MODULES.items() if "importlib" in path.read_text(encoding="utf-8")]
    assert not offenders


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_are_not_bundles(module):
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines"


def test_the_walker_sees_lazy_imports(tmp_path):
    """The walker itself: an import inside a function is found, and named by its module."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import numpy\n\ndef f():\n    from seasonal_vae.figures import registry\n"
        "    from seasonal_vae.core.errors import InputError\n"
    )
    assert imports(probe) == {"seasonal_vae.figures.registry", "seasonal_vae.core.errors"}
    assert stage("seasonal_vae.figures.registry") == "figures"
    assert stage("seasonal_vae.cli") == "entry" and stage("seasonal_vae") == "core"


def test_the_readme_layout_is_the_tree():
    """The README's layout section names every stage folder and every module (a figure's own
    compute and drawing modules as ``compute/<figure>.py`` and ``draw/<figure>.py``)."""
    import re

    from seasonal_vae.figures.registry import FIGURES

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("## Repository layout") : readme.index("## Reproducibility")]
    words = set(re.findall(r"[a-z_0-9]+", block))
    for folder in set(STAGES) - {"entry"}:
        assert f"{folder}/" in block, folder
    for path in PACKAGE.rglob("*.py"):
        if path.stem.startswith("_") or (path.parent.name in ("compute", "draw") and path.stem in FIGURES):
            continue
        assert path.stem in words, f"{path.relative_to(PACKAGE)} is not in the README's layout"
    for smk in (ROOT / "rules").glob("*.smk"):
        assert smk.stem in words, smk.name
