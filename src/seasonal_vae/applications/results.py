"""What the three applications share: their settings, their ensembles' summaries, their files.

Each application (gap filling, anomaly detection, forecasting) reads its settings from the
configuration's ``applications`` section (:func:`application_settings`), runs on the trained
model and the windows file (:func:`run_on_files`), and writes its results as netCDF, its
scores as JSON and its score table as Markdown (:func:`write_results`), with its settings
recorded as netCDF attributes (:func:`settings_attrs`). Gap filling's tables and its figure
name gap lengths alike (:func:`gap_label`).

The trained model and the record are read only inside :func:`run_on_files`, so that the
figures, which import this module for its constants and labels, do not load TensorFlow.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import xarray as xr

from seasonal_vae.core.atomic import atomic_path

#: Quantiles of an ensemble kept for the example case of gap filling and forecasting.
EXAMPLE_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: Ensemble members kept for the example case.
EXAMPLE_MEMBERS = 5
#: The central 90 % range of an ensemble, whose coverage of the truth is scored.
CENTRAL_90 = (0.05, 0.95)


def gap_label(hours: int) -> str:
    """A gap length in words: whole days from two days on (``"3 days"``), else hours (``"24 h"``).

    The score table of gap filling and the imputation figure both label gaps with it.
    """
    return f"{hours // 24} days" if hours % 24 == 0 and hours >= 48 else f"{hours} h"


def application_settings(cfg: dict, section: str, names) -> dict:
    """The settings ``names`` of one application from the validated configuration.

    A key of ``cfg["applications"][section]`` (e.g. ``imputation.n_cases``) if the section has
    it, else the key shared by all three applications (``applications.seed``, ``n_members``,
    ``n_steps``, ``learning_rate``).
    """
    shared, specific = cfg["applications"], cfg["applications"][section]
    return {name: specific[name] if name in specific else shared[name] for name in names}


def settings_attrs(settings: dict) -> dict:
    """Settings as netCDF attributes (numbers and strings; sequences as comma-joined text)."""
    out = {}
    for key, value in settings.items():
        if isinstance(value, bool):
            out[key] = int(value)
        elif isinstance(value, (int, float, str)):
            out[key] = value
        else:
            out[key] = ", ".join(str(v) for v in value)
    return out


def parse_spread(value) -> float | str:
    """A spread setting: a positive number, or ``"calibrate"`` (choose it on training years)."""
    if isinstance(value, str) and value.strip().lower() == "calibrate":
        return "calibrate"
    try:
        factor = float(value)
    except (TypeError, ValueError):
        factor = float("nan")
    if not factor > 0 or not np.isfinite(factor):
        raise ValueError(f"spread {value!r} is neither a positive number nor 'calibrate'")
    return factor


def spread_attrs(calibration: dict | None) -> dict:
    """How :func:`~seasonal_vae.applications.spread.choose_spread` chose the ensemble's
    spread, as netCDF attributes (none where the spread was given); the rows' coverage per
    factor one after the other."""
    if calibration is None:
        return {}
    return {
        "spread_training_windows": calibration["n_windows"],
        "spread_grid": np.asarray(calibration["spreads"], dtype="float64"),
        "spread_coverage_90": np.asarray(calibration["coverage_90"], dtype="float64").ravel(),
        "spread_crps_degF": np.asarray(calibration["crps"], dtype="float64"),
    }


def spread_summary(attrs) -> dict:
    """The same for the scores' JSON: ``{"spread_calibration": {...}}`` (coverage: a list of
    the table's rows per factor), or empty."""
    if "spread_grid" not in attrs:
        return {}
    grid = np.atleast_1d(attrs["spread_grid"])
    coverage = np.atleast_1d(attrs["spread_coverage_90"]).reshape(len(grid), -1)
    return {
        "spread_calibration": {
            "chosen_on": f"{int(attrs['spread_training_windows'])} training-year windows",
            "spreads": grid.tolist(),
            "coverage_90_by_row": coverage.tolist(),
            "crps_degF": np.atleast_1d(attrs["spread_crps_degF"]).tolist(),
        }
    }


def spread_note(summary: dict) -> str:
    """The score table's words on the spread: none for q as fitted (1)."""
    spread = float(summary["settings"].get("spread", 1.0))
    if spread == 1.0:
        return ""
    chosen = " chosen on training years" if "spread_calibration" in summary else ""
    return f", q's standard deviation × {spread:g}{chosen}"


def write_results(
    ds: xr.Dataset,
    out_nc: str | Path,
    summary: dict,
    out_json: str | Path,
    markdown: str,
    out_md: str | Path | None = None,
) -> None:
    """Write an application's results (netCDF), scores (JSON) and score table (Markdown).

    Every file is written atomically.
    """
    encoding = {
        name: {"zlib": True, "complevel": 4} for name, var in ds.variables.items() if var.dtype.kind in "fiuM"
    }
    with atomic_path(out_nc) as tmp:
        ds.to_netcdf(tmp, encoding=encoding)
    with atomic_path(out_json) as tmp:
        tmp.write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    if out_md is not None:
        with atomic_path(out_md) as tmp:
            tmp.write_text(markdown, encoding="utf-8")


def run_on_files(
    score,
    summarise,
    markdown,
    model_path: str | Path,
    windows_path: str | Path,
    out_nc: str | Path,
    out_json: str | Path,
    out_md: str | Path | None,
    data_label: str,
    settings: dict,
) -> dict:
    """Score an application on pipeline files and write its results.

    ``score(model, record, **settings) -> Dataset`` does the work; ``summarise(ds) -> dict``
    and ``markdown(summary) -> str`` make the scores and their table (gap filling and
    forecasting share this; anomaly detection also writes a table of the top blocks).
    """
    from seasonal_vae.model.record import load_record
    from seasonal_vae.model.train import load_model  # TensorFlow: only when a model is run

    model = load_model(model_path)
    record = load_record(windows_path)
    ds = score(model, record, **settings)
    ds.attrs.update({"model": str(model_path), "data_label": data_label})
    summary = summarise(ds)
    summary["data_label"] = data_label
    write_results(ds, out_nc, summary, out_json, markdown(summary), out_md)
    return summary


def bold_best(values) -> list[str]:
    """Score-table cells of one row of methods: two decimals, the lowest (best) in bold."""
    best = min(values)
    return [f"**{v:.2f}**" if v == best else f"{v:.2f}" for v in values]
