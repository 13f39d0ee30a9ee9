"""Temperature units: kelvin and °F, and the check of a declared unit against the values.

Every raw input -- an ERA5 year file (:mod:`seasonal_vae.data.era5`) or a station file
(:mod:`seasonal_vae.data.station`) -- goes through :func:`to_kelvin`: its declared unit (or,
with none, the only unit its values fit) must turn the values into plausible 2 m temperatures
(:data:`KELVIN_RANGE`). The series keeps kelvin until :func:`kelvin_to_fahrenheit` turns it
into the °F the rest of the pipeline works in.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from seasonal_vae.core.errors import InputError

KELVIN_RANGE = (180.0, 340.0)
"""Plausible 2 m temperatures in kelvin (the records are about 184 K and 330 K)."""

_UNITS = {
    "K": {"k", "kelvin", "kelvins", "degk", "deg_k", "degree_kelvin", "degrees_kelvin"},
    "degC": {
        "degc",
        "c",
        "°c",
        "celsius",
        "deg_c",
        "degree_c",
        "degrees_c",
        "degree_celsius",
        "degrees_celsius",
    },
    "degF": {
        "degf",
        "f",
        "°f",
        "fahrenheit",
        "deg_f",
        "degree_f",
        "degrees_f",
        "degree_fahrenheit",
        "degrees_fahrenheit",
    },
}
_TO_KELVIN = {
    "K": lambda v: v,
    "degC": lambda v: v + 273.15,
    "degF": lambda v: (v - 32.0) * 5.0 / 9.0 + 273.15,
}


def kelvin_to_fahrenheit(kelvin):
    """Convert kelvin to degrees Fahrenheit: (K − 273.15)·9/5 + 32."""
    return (np.asarray(kelvin, dtype="float64") - 273.15) * 1.8 + 32.0


def fahrenheit_to_kelvin(fahrenheit):
    """Convert degrees Fahrenheit to kelvin: (°F − 32)·5/9 + 273.15."""
    return (np.asarray(fahrenheit, dtype="float64") - 32.0) / 1.8 + 273.15


def to_kelvin(
    values: np.ndarray,
    units: str | None,
    path: Path,
    log: logging.Logger,
    *,
    declared: str = "the units attribute",
    fix: str = "correct the variable's units attribute (or the values) and rerun",
    implausible_fix: str = (
        "check that the file holds 2 m temperature "
        "(data.variable) and is not corrupt; download it again "
        "if in doubt"
    ),
) -> np.ndarray:
    """Convert to kelvin, checking the declared (or inferred) units against the values.

    Parameters
    ----------
    values, units, path, log
        The temperatures, their declared units (``None``: infer them from the range), the file
        they came from (for messages) and a logger.
    declared
        What declared the units, for the message when they contradict the values (a station
        file's units come from the config or the column name, not an attribute).
    fix, implausible_fix
        How to fix such a contradiction, and values implausible in any unit.

    The values are plausible in a unit if they lie in :data:`KELVIN_RANGE` once converted.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return values

    def plausible(unit: str) -> bool:
        k = _TO_KELVIN[unit](finite)
        return bool(KELVIN_RANGE[0] <= k.min() and k.max() <= KELVIN_RANGE[1])

    span = f"{finite.min():.6g} to {finite.max():.6g}"
    fits = [u for u in _TO_KELVIN if plausible(u)]
    if units is None or not str(units).strip():
        if len(fits) != 1:
            which = " or ".join(fits) if fits else "no unit (K, degC, degF)"
            raise InputError(
                path,
                f"the temperature has no units attribute and its values ({span}) fit {which}",
                "add a units attribute ('K', 'degC' or "
                "'degF') to the variable, e.g. with `ncatted -a units,t2m,o,c,K`",
            )
        log.warning(
            "%s: the temperature has no units attribute; its values (%s) are "
            "plausible only as %s, so they are read as %s",
            path,
            span,
            fits[0],
            fits[0],
        )
        unit = fits[0]
    else:
        key = str(units).strip().lower().replace(" ", "_")
        matches = [u for u, names in _UNITS.items() if key in names]
        if not matches:
            raise InputError(
                path,
                f"unknown temperature units {units!r}",
                "set the variable's units attribute to 'K', 'degC' or 'degF'",
            )
        unit = matches[0]
    if unit not in fits:
        others = [u for u in fits if u != unit]
        if others:
            problem = (
                f"{declared} says {units!r}, but the values ({span}) are "
                f"plausible only as {' or '.join(others)}: "
                + (
                    "the attribute contradicts"
                    if declared == "the units attribute"
                    else "the declared units contradict"
                )
                + " the data"
            )
        else:
            problem = (
                f"values ({span} {units}) are outside {KELVIN_RANGE[0]:g}–"
                f"{KELVIN_RANGE[1]:g} K, implausible for 2 m temperature in any unit"
            )
            fix = implausible_fix
        raise InputError(path, problem, fix)
    return _TO_KELVIN[unit](values)
