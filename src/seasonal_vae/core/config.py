"""Load and validate the workflow configuration.

The JSON schema in ``src/seasonal_vae/core/schema.yaml`` is the single source of truth for keys, types and
defaults. :func:`load_config` fills defaults, rejects unknown keys and wrong types with an
error that names the key, and checks the few rules a schema cannot express (year range,
validation split).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping
from pathlib import Path

import yaml

from seasonal_vae.core.errors import ConfigError
from seasonal_vae.core.sites import RESERVED, load_unique_yaml, read_sites


def _import_jsonschema():
    """jsonschema without its optional IRI format checker.

    jsonschema imports every optional ``format`` checker it finds; the IRI one
    (``rfc3987_syntax``, installed with jupyterlab) compiles a grammar at import, 0.8-2 s in
    every pipeline step. The schema uses no ``format``, so that checker is kept out while
    jsonschema loads and the module stays importable afterwards for anyone else.
    """
    blocked = "rfc3987_syntax" not in sys.modules
    if blocked:
        sys.modules["rfc3987_syntax"] = None  # an import of it raises ImportError
    try:
        import jsonschema
    finally:
        if blocked:
            del sys.modules["rfc3987_syntax"]
    return jsonschema


jsonschema = _import_jsonschema()

SCHEMA_PATH = Path(__file__).with_name("schema.yaml")


def load_schema() -> dict:
    """The configuration's JSON schema (shipped with the package)."""
    with open(SCHEMA_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _extend_with_default(validator_class):
    """A validator that also fills in each property's ``default`` (jsonschema FAQ recipe)."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema:
                    instance.setdefault(name, json.loads(json.dumps(subschema["default"])))
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def _is_integer(checker, instance) -> bool:
    """JSON-schema ``integer`` without floats: ``1536.0`` is refused rather than passed on to
    code that needs a Python ``int`` (range(), array indices)."""
    return isinstance(instance, int) and not isinstance(instance, bool)


_Draft7 = jsonschema.validators.extend(
    jsonschema.Draft7Validator,
    type_checker=jsonschema.Draft7Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)
_Validator = _extend_with_default(_Draft7)


def _read(source: str | Path | Mapping | None) -> tuple[dict, str]:
    if source is None:
        return {}, "<defaults>"
    if isinstance(source, Mapping):
        return json.loads(json.dumps(dict(source))), "<config>"
    text = str(source)
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text), "<inline JSON config>"
        except json.JSONDecodeError as err:
            raise ConfigError(
                "<inline JSON config>",
                f"not valid JSON ({err})",
                "pass a JSON object or the path of a YAML file",
            ) from err
    path = Path(text)
    if not path.is_file():
        raise ConfigError(
            path, "configuration file not found", "pass the path of a YAML file such as config/config.yaml"
        )
    try:
        data = load_unique_yaml(path) or {}
    except yaml.YAMLError as err:
        raise ConfigError(path, f"not valid YAML ({err})", "fix the YAML syntax") from err
    if not isinstance(data, dict):
        raise ConfigError(
            path,
            "the top level is not a mapping of sections",
            "see config/config.yaml for the expected layout",
        )
    return data, str(path)


def load_config(source: str | Path | Mapping | None = None) -> dict:
    """Return the validated configuration with every default filled in.

    Parameters
    ----------
    source:
        A YAML file path, an inline JSON object string, a mapping, or ``None`` (defaults only).

    Raises
    ------
    ConfigError
        Naming the offending key (e.g. ``windows.window_hours``), the problem and the fix.
    """
    config, origin = _read(source)
    if config.get("sites"):  # a sites file instead of inline data sets (core/sites.py)
        config["datasets"] = read_sites(config["sites"])
    # An inline JSON config is what a Snakemake rule passes: only the sections its step uses
    # (e.g. `series` gets site and data). The validation split concerns data *and* windows,
    # so there it is checked only if a windows section is given, never against defaults the
    # step does not use. A file or mapping is a whole configuration and is always checked
    # (so Snakemake checks the split before any job starts).
    check_split = not origin.startswith("<inline") or "windows" in config
    errors = sorted(_Validator(load_schema()).iter_errors(config), key=lambda e: list(e.path))
    if errors:
        err = errors[0]
        key = ".".join(str(p) for p in err.path) or "(top level)"
        if err.validator == "additionalProperties":
            fix = "remove or rename the key; allowed keys are listed in src/seasonal_vae/core/schema.yaml"
        else:
            fix = f"see the description of '{key}' in src/seasonal_vae/core/schema.yaml"
        raise ConfigError(f"{origin}: {key}", err.message, fix)
    unknown = set(config["build"]["datasets"] or []) - set(config["datasets"])
    if unknown:
        raise ConfigError(
            f"{origin}: build.datasets",
            f"names data sets {sorted(unknown)} that `datasets` does not define",
            "use names from `datasets`: " + ", ".join(config["datasets"]),
        )
    build = config["build"]
    for key, names in (
        ("models", build["models"]),
        ("main", [build["main"]]),
        ("ablations", build["ablations"]),
        ("applications", build["applications"]),
    ):
        undefined = sorted(set(names) - set(config["models"]))
        if undefined:
            raise ConfigError(
                f"{origin}: build.{key}",
                f"names model variants {undefined} that `models` does not define",
                "define them under `models` (each: the model keys it changes), or use one of: "
                + ", ".join(config["models"]),
            )
    untrained = sorted(set(build["applications"]) - set(build["models"]))
    if untrained:
        raise ConfigError(
            f"{origin}: build.applications",
            f"names variants {untrained} that build.models does not train",
            "add them to build.models, or remove them from build.applications",
        )
    if "site" not in config or "data" not in config:  # a single record: the first data set's
        first = dataset_config(config, dataset_names(config)[0])
        config.setdefault("site", first["site"])
        config.setdefault("data", first["data"])
    _check_consistency(config, origin, check_split)
    return config


def _non_finite(value, key: str = ""):
    """The first key whose value is a NaN or infinite number (YAML ``.nan``, ``.inf``)."""
    if isinstance(value, dict):
        for name, item in value.items():
            found = _non_finite(item, f"{key}.{name}" if key else str(name))
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _non_finite(item, f"{key}.{i}")
            if found:
                return found
    elif isinstance(value, float) and not math.isfinite(value):
        return key, value
    return None


def _check_consistency(config: dict, origin: str, check_split: bool = True) -> None:
    bad = _non_finite(config)
    if bad:
        key, value = bad
        raise ConfigError(
            f"{origin}: {key}",
            f"{value!r} is not a finite number",
            f"give a finite value; see the description of '{key}' in src/seasonal_vae/core/schema.yaml",
        )
    reserved = sorted(set(config["datasets"]) & set(RESERVED))
    if reserved:
        raise ConfigError(
            f"{origin}: datasets.{reserved[0]}",
            f"the name {reserved[0]!r} is reserved (results/{reserved[0]}/ is the cross-site summary)",
            "rename the data set",
        )
    blocks = [(f"datasets.{name}.", ds["site"], ds["data"]) for name, ds in config["datasets"].items()]
    blocks.append(("", config["site"], config["data"]))
    for prefix, site, data in blocks:
        _check_record(prefix, site, data, config["windows"], origin, check_split)


def _check_record(prefix: str, site: dict, data: dict, win: dict, origin: str, check_split: bool) -> None:
    """The rules a schema cannot express, for one record's ``site`` and ``data`` blocks."""
    if data["first_year"] > data["last_year"]:
        raise ConfigError(
            f"{origin}: {prefix}data.first_year",
            f"the year range is empty ({data['first_year']} > {data['last_year']})",
            "set data.first_year <= data.last_year",
        )
    if check_split:
        _check_split(data, win, origin, prefix)
    if data["kind"] == "station" and "station" not in data:
        raise ConfigError(
            f"{origin}: {prefix}data.station",
            "data.kind is station, but no station block describes the file",
            "add data.station with path, time_column, value_column and units (see config/config.yaml)",
        )
    if prefix and data["kind"] == "era5" and "raw_dir" not in data:
        raise ConfigError(
            f"{origin}: {prefix}data.raw_dir",
            "an ERA5 data set needs the folder of its per-year files",
            "set raw_dir, e.g. data/raw/<name> for the `download` rule",
        )
    north, west, south, east = site["area"]
    if north < south or east < west:
        raise ConfigError(
            f"{origin}: {prefix}site.area",
            "expected [North, West, South, East]",
            "order the area as N, W, S, E with N >= S and E >= W",
        )
    lat, lon = site["latitude"], site["longitude"]
    # the area may give longitudes as -180..180 or 0..360: compare on the circle
    if not (south <= lat <= north and (lon - west) % 360 <= (east - west) % 360 + 1e-9):
        raise ConfigError(
            f"{origin}: {prefix}site.area",
            f"the area {site['area']} (N, W, S, E) does not contain the site's point "
            f"({lat}, {lon}) of {site['name']!r}",
            "widen the area around the point, or correct site.latitude/longitude",
        )
    offset = site["utc_offset_hours"]
    if offset * 2 != round(offset * 2):
        raise ConfigError(
            f"{origin}: {prefix}site.utc_offset_hours",
            f"{offset} h is not a whole or half hour (site {site['name']!r}); an hourly series "
            "in local standard time needs its hours to fall on whole or half hours",
            "give the offset of local standard time from UTC, e.g. -7 or 5.5",
        )


def _check_split(data: dict, win: dict, origin: str, prefix: str = "") -> None:
    """Both the training and the validation split must get at least one year."""
    if win["holdout_offset"] >= win["holdout_every"]:
        raise ConfigError(
            f"{origin}: windows.holdout_offset",
            f"must be smaller than windows.holdout_every ({win['holdout_every']})",
            "choose an offset in 0 .. holdout_every-1",
        )
    train, val = split_years(
        range(data["first_year"], data["last_year"] + 1), win["holdout_every"], win["holdout_offset"]
    )
    if not train or not val:
        raise ConfigError(
            f"{origin}: windows.holdout_every",
            f"{prefix}data: years {data['first_year']}-{data['last_year']} leave "
            f"{len(train)} training and {len(val)} validation years",
            "use a longer record or change holdout_every/holdout_offset so "
            "that both sets have at least one year",
        )


def split_years(years, holdout_every: int, holdout_offset: int) -> tuple[list[int], list[int]]:
    """Split years into (training, validation): every ``holdout_every``-th year is held out.

    Whole years are held out (rather than shuffled windows) so that neighbouring days never
    sit on both sides of the split.
    """
    years = list(years)
    first = years[0] if years else 0
    val = [y for y in years if (y - first) % holdout_every == holdout_offset]
    return [y for y in years if y not in val], val


def dataset_names(config: Mapping) -> list[str]:
    """The data sets the workflow builds (``build.datasets``, or every one in ``datasets``)."""
    return list(config["build"]["datasets"] or config["datasets"])


def dataset_config(config: Mapping, name: str) -> dict:
    """The configuration of one data set: ``config`` with its ``site`` and ``data`` blocks as
    the ``site`` and ``data`` sections, which is what every pipeline step reads."""
    if name not in config["datasets"]:
        raise ConfigError(
            f"datasets.{name}", "no such data set", "use one of: " + ", ".join(config["datasets"])
        )
    block = config["datasets"][name]
    return {**config, "site": block["site"], "data": block["data"]}


def variant_config(config: Mapping, variant: str) -> dict:
    """``config`` with the ``model`` section of model variant ``variant`` (``models`` in the
    config: the keys each variant changes)."""
    if variant not in config["models"]:
        raise ConfigError(
            f"models.{variant}", "no such model variant", "use one of: " + ", ".join(config["models"])
        )
    return {**config, "model": {**config["model"], **config["models"][variant]}}


def generator_name(config: Mapping, variant: str) -> str:
    """The name the evaluation's tables give a variant's samples: ``vae`` for the main model,
    ``vae_<variant>_prior`` for a variant that changes only the prior, else ``vae_<variant>``."""
    if variant == config["build"]["main"]:
        return "vae"
    return f"vae_{variant}_prior" if set(config["models"][variant]) == {"prior"} else f"vae_{variant}"


def section_json(config: Mapping, *sections: str) -> str:
    """The named sections of ``config`` as one compact JSON object (for rule ``params``)."""
    return json.dumps({s: config[s] for s in sections}, sort_keys=True, separators=(",", ":"))
