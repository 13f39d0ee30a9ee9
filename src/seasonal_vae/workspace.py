"""Where the pipeline's outputs are, for notebooks and interactive use.

The notebooks read what ``snakemake`` built rather than recomputing it. :func:`open_workspace`
finds the workflow folder (the one holding the ``Snakefile``) and its configuration, and
:class:`Workspace` names every output by its key in the pipeline's path table
(:data:`seasonal_vae.core.paths.PATHS`, which the Snakefile uses too), with a clear error when an
output has not been built yet.

The folder is, in this order: the ``SEASONAL_VAE_WORKDIR`` environment variable (the tests run
the notebooks against a small build elsewhere), or the first folder upwards from the current one
that holds a ``Snakefile`` (the repository, when a notebook is opened from ``notebooks/``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from seasonal_vae.core.config import dataset_config, dataset_names, load_config, split_years
from seasonal_vae.core.errors import InputError
from seasonal_vae.core.paths import PATHS, wildcards

ENV_VAR = "SEASONAL_VAE_WORKDIR"


def find_root(start: str | Path | None = None) -> Path:
    """The workflow folder: ``$SEASONAL_VAE_WORKDIR``, or the nearest folder with a Snakefile."""
    if os.environ.get(ENV_VAR):
        root = Path(os.environ[ENV_VAR]).expanduser().resolve()
        if not (root / "Snakefile").is_file():
            raise InputError(
                f"${ENV_VAR}={root}",
                "this folder has no Snakefile",
                "point it at a copy of the workflow, or unset it",
            )
        return root
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "Snakefile").is_file() and (folder / "config").is_dir():
            return folder
    raise InputError(
        str(here),
        "neither this folder nor any above it holds the Snakefile",
        f"open the notebook from the repository, or set ${ENV_VAR} to the workflow folder",
    )


@dataclass
class Workspace:
    """The workflow folder, one data set's validated configuration, and its outputs by name.

    ``config`` is the data set's configuration (:func:`seasonal_vae.core.config.dataset_config`:
    its ``site`` and ``data`` blocks as the ``site`` and ``data`` sections);
    :meth:`for_dataset` gives the same workspace for another data set.
    """

    root: Path
    config: dict = field(repr=False)
    config_file: Path
    dataset: str = "surrogate"
    full_config: dict = field(default=None, repr=False)

    @property
    def datasets(self) -> list[str]:
        """The data sets the workflow builds."""
        return dataset_names(self.full_config or self.config)

    def for_dataset(self, name: str) -> Workspace:
        """The same workflow folder, for data set ``name``."""
        full = self.full_config or self.config
        return Workspace(
            root=self.root,
            config=dataset_config(full, name),
            config_file=self.config_file,
            dataset=name,
            full_config=full,
        )

    def path(self, key: str, **values) -> Path:
        """The output ``key`` of the path table, checked to exist.

        Wildcards not given take this workspace's data set and the main model variant (config
        ``build.main``), e.g. ``ws.path("model")``, ``ws.path("history", variant="standard")``,
        ``ws.path("baseline", method="bootstrap")``, ``ws.path("figure_data", figure="prior")``.
        """
        if key not in PATHS:
            raise KeyError(f"unknown output {key!r}; known: {', '.join(PATHS)}")
        defaults = {"dataset": self.dataset, "variant": self.config["build"]["main"]}
        values = {**{k: v for k, v in defaults.items() if k in wildcards(key)}, **values}
        missing = wildcards(key) - set(values)
        if missing:
            raise KeyError(
                f"output {key!r} needs {sorted(missing)}, e.g. ws.path({key!r}, {sorted(missing)[0]}=...)"
            )
        path = self.root / PATHS[key].format(**values)
        if not path.exists():
            raise InputError(
                str(path),
                "has not been built yet",
                f"run `snakemake --cores 2` in {self.root} first (README, command 1)",
            )
        return path

    def figure_data(self, name: str) -> Path:
        """The computed numbers of figure ``name`` (``results/<dataset>/figdata/<name>.nc``)."""
        return self.path("figure_data", figure=name)

    def figure(self, name: str):
        """Draw figure ``name`` from its computed numbers, as the pipeline does; returns it."""
        import xarray as xr

        from seasonal_vae.figures.registry import get

        return get(name).draw(xr.load_dataset(self.figure_data(name)), self.config)

    @property
    def years(self) -> range:
        """The configured calendar years of the record."""
        d = self.config["data"]
        return range(d["first_year"], d["last_year"] + 1)

    @property
    def split(self) -> tuple[list[int], list[int]]:
        """(training years, held-out years), as the windows step splits them."""
        w = self.config["windows"]
        return split_years(self.years, w["holdout_every"], w["holdout_offset"])


def open_workspace(start: str | Path | None = None, dataset: str | None = None) -> Workspace:
    """Find the workflow folder and read the configuration it was built with.

    ``dataset`` names the data set whose outputs the workspace gives (default: the first one
    the workflow builds, ``surrogate`` in the bundled configuration).

    The configuration is ``config/config.yaml``, overlaid with the file named by
    ``$SEASONAL_VAE_CONFIG`` if set (relative to the folder; the tests set it to
    ``config/test.yaml``, as they pass ``--configfile`` to Snakemake).
    """
    import yaml
    from snakemake.utils import update_config

    root = find_root(start)
    config_file = root / "config" / "config.yaml"
    cfg = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
    overlay = os.environ.get("SEASONAL_VAE_CONFIG")
    if overlay:
        config_file = root / overlay
        # merged at every depth, as Snakemake merges a --configfile into the config
        update_config(cfg, yaml.safe_load(config_file.read_text(encoding="utf-8")) or {})
    full = load_config(cfg)
    name = dataset or dataset_names(full)[0]
    return Workspace(
        root=root, config=dataset_config(full, name), config_file=config_file, dataset=name, full_config=full
    )
