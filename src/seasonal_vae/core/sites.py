"""The site table: many sites in one file, each becoming a data set of the workflow.

A hydrologist's twenty grid points or an energy modeller's cities are rows of a sites file,
CSV or YAML, given as the config key ``sites`` (``snakemake --config sites=config/sites_arizona.csv``).
Each row becomes one entry of the config's ``datasets`` (the ``dataset`` wildcard: its own
``results/<name>/``, ``figures/<name>/`` and ``logs/<name>/``), which the schema then checks
like an inline one. A row has these columns (``REQUIRED`` and ``OPTIONAL``):

========================  ===============================================================
``name``                  the site's identifier, a valid path part (letters, digits, _ -)
``title``                 its name on figures (default: ``name``)
``latitude``              degrees north; ``longitude`` degrees east (-180 .. 360)
``utc_offset_hours``      local standard time minus UTC: a whole or half hour, no DST
``north`` ... ``east``    the CDS request area around the point (it must contain it)
``kind``                  ``era5_download``: ERA5 years fetched by the ``download`` rule
                          into data/raw/<name>; ``era5_files``: per-year ERA5 files already
                          in ``location``; ``station``: one station file at ``location``
                          (its layout in ``station_<key>`` columns, or a YAML ``station``
                          block: the keys of ``data.station`` in the schema); ``surrogate``:
                          the bundled surrogate in ``location`` (default data/surrogate)
``location``              the folder or file (may be empty for era5_download, surrogate)
``first_year`` ...        ``last_year``: the years to build
========================  ===============================================================

Optional columns also set the data keys ``label``, ``variable``, ``file_pattern``,
``max_gap_hours``, ``allow_long_gaps`` and ``max_distance_km``. An unknown or missing
column, two rows with one name or a value that is not a number where one is needed is
refused, naming the file, the row and the site.

:func:`load_unique_yaml` is the YAML reader of sites and config files alike: it refuses a key
given twice in one mapping, which PyYAML would otherwise resolve silently by keeping the last
(two data sets or sites of one name would become one).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import yaml

from seasonal_vae.core.errors import ConfigError

REQUIRED = (
    "name",
    "latitude",
    "longitude",
    "utc_offset_hours",
    "north",
    "west",
    "south",
    "east",
    "kind",
    "location",
    "first_year",
    "last_year",
)
OPTIONAL = (
    "title",
    "label",
    "variable",
    "file_pattern",
    "max_gap_hours",
    "allow_long_gaps",
    "max_distance_km",
)
KINDS = {"era5_download": "era5", "era5_files": "era5", "station": "station", "surrogate": "era5"}
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
#: Folder names under results/ and figures/ that the workflow itself uses next to the sites.
RESERVED = ("sites",)
_FLOATS = ("latitude", "longitude", "utc_offset_hours", "north", "west", "south", "east", "max_distance_km")
_INTS = ("first_year", "last_year", "max_gap_hours")
_FIX = "see the columns in src/seasonal_vae/core/sites.py (examples: config/sites.yaml, sites_arizona.csv)"


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (PyYAML keeps the last
    silently: two data sets of one name would become one)."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ConfigError(
                    f"{key_node.start_mark.name}: line {key_node.start_mark.line + 1}",
                    f"the key {key!r} is given twice in one mapping (first on line {seen[key] + 1})",
                    "give each key once; give two data sets or sites two names",
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def load_unique_yaml(path: str | Path):
    """The YAML file ``path``, refusing a key given twice (:class:`ConfigError`)."""
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_UniqueKeyLoader)  # a SafeLoader subclass


def read_sites(path: str | Path) -> dict:
    """The ``datasets`` mapping of the sites file ``path`` (CSV, or YAML: a list of rows or a
    mapping with a ``sites`` list), one entry per row, in the file's order."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            path, "sites file not found", "pass a CSV or YAML sites file, e.g. config/sites_arizona.csv"
        )
    rows = _read_yaml(path) if path.suffix.lower() in (".yaml", ".yml") else _read_csv(path)
    if not rows:
        raise ConfigError(path, "the sites file has no rows", "add one row per site")
    datasets: dict = {}
    for number, row in rows:
        name = row.get("name")
        where = f"{path}: row {number}" + (f" (site {name!r})" if name else "")
        if not isinstance(name, str) or not NAME.match(name):
            raise ConfigError(
                where,
                f"the site name {name!r} is not a valid path part",
                "start with a letter, then letters, digits, '_' or '-' only (it names results/<name>/)",
            )
        if name in RESERVED:
            raise ConfigError(
                where,
                f"the site name {name!r} is reserved (results/{name}/ holds the cross-site summary)",
                "rename the site",
            )
        if name in datasets:
            raise ConfigError(
                where, f"the site name {name!r} is used by an earlier row too", "give every site its own name"
            )
        datasets[name] = site_dataset(row, where)
    return datasets


def site_dataset(row: dict, where: str) -> dict:
    """One row of a sites file as a ``datasets`` entry: its ``site`` and ``data`` blocks."""
    unknown = sorted(
        set(row) - set(REQUIRED) - set(OPTIONAL) - {"station"} - {k for k in row if k.startswith("station_")}
    )
    if unknown:
        raise ConfigError(where, f"unknown column(s) {unknown}", _FIX)
    missing = [c for c in REQUIRED if c not in row]
    if missing:
        raise ConfigError(where, f"missing column(s) {missing}", _FIX)
    values = {key: _typed(key, value, where) for key, value in row.items() if key != "station"}
    kind = values["kind"]
    if kind not in KINDS:
        raise ConfigError(
            where,
            f"kind {kind!r} is not one of {sorted(KINDS)}",
            "set kind to one of them (see src/seasonal_vae/core/sites.py)",
        )
    location = values.get("location")
    if kind in ("era5_files", "station") and not location:
        raise ConfigError(
            where,
            f"a {kind} site needs a location (its {'folder' if kind == 'era5_files' else 'file'})",
            "fill in the location column",
        )
    name = values["name"]
    site = {
        "name": values.get("title") or name,
        "latitude": values["latitude"],
        "longitude": values["longitude"],
        "utc_offset_hours": values["utc_offset_hours"],
        "area": [values["north"], values["west"], values["south"], values["east"]],
    }
    data = {"kind": KINDS[kind], "first_year": values["first_year"], "last_year": values["last_year"]}
    data.update({key: values[key] for key in OPTIONAL if key != "title" and values.get(key) is not None})
    if kind == "station":
        station = dict(row.get("station") or {})
        station.update(
            {
                k[len("station_") :]: _cell(v)
                for k, v in row.items()
                if k.startswith("station_") and _cell(v) is not None
            }
        )
        data["station"] = {**station, "path": location}
    else:
        default = {"era5_download": f"data/raw/{name}", "surrogate": "data/surrogate"}.get(kind)
        data["raw_dir"] = location or default
        if kind == "era5_download" and data["raw_dir"] != f"data/raw/{name}":
            raise ConfigError(
                where,
                f"an era5_download site is downloaded into data/raw/{name}, not {data['raw_dir']!r}",
                f"leave location empty (or data/raw/{name}); for files already on disk use kind era5_files",
            )
        data.setdefault(
            "label",
            {
                "era5_download": "ERA5 (Hersbach et al. 2023)",
                "surrogate": "surrogate data, not ERA5 (see data/README.md)",
            }.get(kind, f"ERA5 files in {location}"),
        )
    return {"site": site, "data": data}


def _typed(key: str, value, where: str):
    """A cell as the type its column needs (numbers from text, empty as missing)."""
    if key not in _FLOATS + _INTS + ("allow_long_gaps",):  # text: kept as written
        text = "" if value is None else str(value).strip()
        return text or None
    value = _cell(value)
    if value is None:
        return None
    if key == "allow_long_gaps":
        if isinstance(value, bool):
            return value
        raise ConfigError(where, f"{key} {value!r} is not true or false", f"write true or false in {key}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(where, f"{key} {value!r} is not a number", f"write a number in {key}") from None
    if key in _INTS:
        if number != int(number):
            raise ConfigError(
                where, f"{key} {value!r} is not a whole number", f"write a whole number in {key}"
            )
        return int(number)
    return number


def _cell(value):
    """A CSV cell parsed as YAML (``[999, -999]``, ``true``, numbers); empty text as None."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            parsed = yaml.safe_load(text)
        except yaml.YAMLError:
            return text
        return parsed if isinstance(parsed, (int, float, bool, list)) else text
    return value


def _read_csv(path: Path) -> list[tuple[int, dict]]:
    with path.open(newline="", encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip() and not line.lstrip().startswith("#")]
    reader = csv.DictReader(lines)
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ConfigError(path, f"the header lacks the column(s) {missing}", _FIX)
    rows = []
    for number, row in enumerate(reader, start=1):
        if None in row or any(v is None for v in row.values()):
            many = "more" if None in row else "fewer"
            raise ConfigError(
                f"{path}: row {number}",
                f"has {many} cells than the header has columns ({len(header)})",
                "give every row one cell per column (quote a cell that holds a comma)",
            )
        rows.append((number, row))
    return rows


def _read_yaml(path: Path) -> list[tuple[int, dict]]:
    try:
        data = load_unique_yaml(path)
    except yaml.YAMLError as err:
        raise ConfigError(path, f"not valid YAML ({err})", "fix the YAML syntax") from err
    if isinstance(data, dict):
        data = data.get("sites")
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise ConfigError(
            path,
            "expected a list of sites (mappings), or a mapping with a `sites` list",
            "see config/sites.yaml for an example",
        )
    return list(enumerate(data, start=1))
