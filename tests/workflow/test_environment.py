"""environment.yml (conda) and pyproject.toml (pip) must list the same packages and versions."""

import re
import tomllib

import yaml
from conftest import ROOT


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pip_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {}
    for spec in project["dependencies"] + project["optional-dependencies"]["test"]:
        name, version = re.fullmatch(r"([A-Za-z0-9_.-]+)==([0-9.]+)\.\*", spec).groups()
        pins[_norm(name)] = version
    return pins


def conda_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for spec in dep["pip"]:
                if spec.startswith("-e"):
                    continue
                name, version = re.fullmatch(r"([A-Za-z0-9_.-]+)==([0-9.]+)\.\*", spec).groups()
                pins[_norm(name)] = version
        else:
            name, _, version = dep.partition("=")
            pins[_norm(name)] = version
    return pins


def test_same_packages_and_versions():
    conda = conda_pins()
    assert conda.pop("python") == "3.11"
    assert conda.pop("pip") == ""
    assert conda == pip_pins()


def test_environment_installs_the_package_and_uses_conda_forge():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"][0] == "conda-forge"
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section


def test_installed_versions_match_the_pins():
    from importlib.metadata import version

    for name, pin in pip_pins().items():
        installed = version(name)
        assert installed == pin or installed.startswith(pin + "."), (name, installed, pin)
