"""Errors that a user can act on.

Every error raised for bad input names the file (or config key), says what is wrong and
how to fix it, so that a pipeline failure never ends in a traceback from deep inside
xarray or TensorFlow.
"""

from __future__ import annotations

from pathlib import Path


class SeasonalVAEError(Exception):
    """Base class of the package's user-facing errors."""


class InputError(SeasonalVAEError):
    """A file or value given to the pipeline is unusable.

    Parameters
    ----------
    source:
        The file path or config key at fault.
    problem:
        What is wrong, in plain words.
    fix:
        What the user should do about it.
    """

    def __init__(self, source: str | Path, problem: str, fix: str):
        self.source = str(source)
        self.problem = problem
        self.fix = fix
        super().__init__(f"{self.source}: {problem}\n  How to fix: {fix}")


class ConfigError(InputError):
    """The configuration does not satisfy the schema or is inconsistent."""


class CredentialsError(SeasonalVAEError):
    """The Copernicus Climate Data Store cannot be reached with the credentials at hand."""
