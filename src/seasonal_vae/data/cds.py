"""Download ERA5 2 m temperature from the Copernicus Climate Data Store (CDS).

One file per calendar year (UTC), one grid point, all 24 hours of every day: the request of
D. Kyle (2024), read from the author's notebooks (see ``docs/design.md`` §1). Data citation:
Hersbach et al. (2023), ERA5 hourly data on single levels from 1940 to present, Copernicus
Climate Change Service (C3S) Climate Data Store, DOI 10.24381/cds.adbb2d47.

:func:`build_request` is the request of one year (checked by :func:`validate_area`),
:func:`check_credentials` says how to set up a CDS account before any request is made, and
:func:`download_years` fetches the missing years, each file written atomically. The files are
read by :func:`seasonal_vae.data.era5.open_year_file`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import cdsapi
import numpy as np

from seasonal_vae.core.atomic import atomic_path
from seasonal_vae.core.errors import ConfigError, CredentialsError
from seasonal_vae.data.era5 import file_kind

LOG = logging.getLogger(__name__)  # the default logger of this module's functions

DATASET = "reanalysis-era5-single-levels"
DATASET_PAGE = f"https://cds.climate.copernicus.eu/datasets/{DATASET}?tab=download"
CDS_URL = "https://cds.climate.copernicus.eu/api"
PHOENIX_AREA = (33.51, -112.01, 33.49, -111.99)
"""The article's request area around Phoenix, Arizona: [North, West, South, East]."""


def validate_area(area: Sequence[float]) -> list[float]:
    """Check a CDS area ``[North, West, South, East]`` and return it as a list of floats.

    Parameters
    ----------
    area
        Four numbers in degrees: North and South latitudes in [-90, 90] with North ≥ South,
        West and East longitudes in [-180, 360].

    Returns
    -------
    list of float
        ``[N, W, S, E]``.

    Raises
    ------
    ConfigError
        If the area has the wrong length, non-numbers or coordinates out of range.
    """
    example = "[33.51, -112.01, 33.49, -111.99] (a single grid point at Phoenix)"
    try:
        values = [float(v) for v in area]
    except (TypeError, ValueError) as err:
        raise ConfigError(
            "site.area",
            f"{area!r} is not a list of four numbers",
            f"give [North, West, South, East] in degrees, e.g. {example}",
        ) from err
    if len(values) != 4 or not all(np.isfinite(values)):
        raise ConfigError(
            "site.area",
            f"{area!r} is not four finite numbers",
            f"give [North, West, South, East] in degrees, e.g. {example}",
        )
    north, west, south, east = values
    problems = []
    if not (-90 <= north <= 90 and -90 <= south <= 90):
        problems.append(f"latitudes N={north}, S={south} must lie in [-90, 90]")
    if north < south:
        problems.append(f"North ({north}) is south of South ({south})")
    if not (-180 <= west <= 360 and -180 <= east <= 360):
        problems.append(f"longitudes W={west}, E={east} must lie in [-180, 360]")
    if problems:
        raise ConfigError(
            "site.area", "; ".join(problems), f"give [North, West, South, East] in degrees, e.g. {example}"
        )
    return values


def build_request(year: int, area: Sequence[float] = PHOENIX_AREA, variable: str = "2m_temperature") -> dict:
    """The CDS request for one calendar year of hourly data at one grid point.

    Parameters
    ----------
    year
        Calendar year (UTC); ERA5 starts in 1940.
    area
        ``[North, West, South, East]`` in degrees; see :func:`validate_area`.
    variable
        CDS variable name (the long name, e.g. ``2m_temperature``, not the netCDF short name).

    Returns
    -------
    dict
        The request for :meth:`cdsapi.Client.retrieve` on :data:`DATASET`: product type
        ``reanalysis``, every month, days 01–31 (the CDS skips dates that do not exist), all
        24 hours, netCDF, not archived.

    Raises
    ------
    ConfigError
        If the year is before 1940 or the area is invalid (see :func:`validate_area`).
    """
    if isinstance(year, bool) or not isinstance(year, (int, np.integer)) or year < 1940:
        raise ConfigError(
            "data.first_year/data.last_year",
            f"year {year!r} is not an integer from 1940 on",
            "ERA5 covers 1940 to the present: choose years in that range",
        )
    return {
        "product_type": ["reanalysis"],
        "variable": [variable],
        "year": [f"{int(year):04d}"],
        "month": [f"{m:02d}" for m in range(1, 13)],
        "day": [f"{d:02d}" for d in range(1, 32)],
        "time": [f"{h:02d}:00" for h in range(24)],
        "data_format": "netcdf",
        "download_format": "unarchived",
        "area": validate_area(area),
    }


def _credentials_help() -> str:
    return (
        "To download ERA5 from the Copernicus Climate Data Store (CDS):\n"
        "  1. Create a free CDS account at https://cds.climate.copernicus.eu and log in.\n"
        "  2. Copy the personal access token from your CDS profile page, then either write\n"
        "     ~/.cdsapirc with the two lines\n"
        f"         url: {CDS_URL}\n"
        "         key: <your-personal-access-token>\n"
        f"     or export CDSAPI_URL={CDS_URL} and CDSAPI_KEY=<your-personal-access-token>.\n"
        '  3. Accept the ERA5 licence ("Licence to use Copernicus Products") at the bottom of\n'
        f"     the dataset's download page: {DATASET_PAGE}\n"
        "The offline default (the bundled surrogate data in data/surrogate) needs none of this."
    )


def check_credentials() -> None:
    """Make sure CDS credentials are configured before any request is made.

    Credentials are found if ``~/.cdsapirc`` (or the file named by ``CDSAPI_RC``) exists, or
    both ``CDSAPI_URL`` and ``CDSAPI_KEY`` are set. Whether the key is valid and the licence
    accepted only shows when a request is made (see :func:`download_years`).

    Raises
    ------
    CredentialsError
        If neither is set up; the message says how to set them up.
    """
    rc = Path(os.environ.get("CDSAPI_RC") or Path.home() / ".cdsapirc").expanduser()
    if rc.is_file():
        return
    if os.environ.get("CDSAPI_URL") and os.environ.get("CDSAPI_KEY"):
        return
    env_set = [name for name in ("CDSAPI_URL", "CDSAPI_KEY") if os.environ.get(name)]
    found = f"only {env_set[0]} is set" if env_set else "neither CDSAPI_URL nor CDSAPI_KEY is set"
    raise CredentialsError(f"No CDS credentials: {rc} does not exist and {found}.\n" + _credentials_help())


def download_years(
    years: Iterable[int],
    out_dir: str | Path,
    area: Sequence[float] = PHOENIX_AREA,
    pattern: str = "era5_t2m_{year}.nc",
    client=None,
    log: logging.Logger = LOG,
) -> list[Path]:
    """Download one netCDF file per year from the CDS, skipping years already on disk.

    Each file is written atomically: it appears complete under its final name or not at all,
    so an interrupted or refused download can simply be rerun.

    Parameters
    ----------
    years
        Calendar years to fetch.
    out_dir
        Folder of the per-year files (created if needed).
    area
        ``[North, West, South, East]`` around the grid point.
    pattern
        File name with a ``{year}`` field.
    client
        Object with a ``retrieve(dataset, request, target)`` method. Defaults to a
        :class:`cdsapi.Client`, created (after :func:`check_credentials`) only if a year
        is missing.
    log
        Logger for progress messages.

    Returns
    -------
    list of pathlib.Path
        The file of each year, in the order of ``years``.

    Raises
    ------
    CredentialsError
        If no credentials are configured, or the CDS refuses or fails a request (the message
        names the year and the error and says what to check). No partial file is left.
    ConfigError
        If the area or a year is invalid (see :func:`build_request`).
    """
    out_dir = Path(out_dir)
    area = validate_area(area)
    paths = []
    for year in years:
        target = out_dir / pattern.format(year=year)
        paths.append(target)
        if target.exists():
            log.info("ERA5 %s: %s already present, not downloading it again", year, target)
            continue
        request = build_request(year, area)
        if client is None:
            check_credentials()
            try:
                client = cdsapi.Client()
            except Exception as err:
                raise CredentialsError(
                    f"The CDS client could not be set up: {err}\n" + _credentials_help()
                ) from err
        log.info(
            "ERA5 %s: requesting %s %s for area %s into %s",
            year,
            DATASET,
            request["variable"][0],
            area,
            target,
        )
        try:
            with atomic_path(target) as tmp:
                client.retrieve(DATASET, request, str(tmp))
                if tmp.stat().st_size == 0 or file_kind(tmp) == "unknown":
                    raise RuntimeError(
                        "the CDS returned an empty file or one that is neither netCDF nor a zip archive"
                    )
        except Exception as err:
            raise CredentialsError(
                f"The CDS request for {year} ({DATASET}, into {target}) failed: "
                f"{type(err).__name__}: {err}\nNothing was written for {year}. Check that:\n"
                f'  - the ERA5 licence ("Licence to use Copernicus Products") is accepted on '
                f"{DATASET_PAGE};\n"
                f"  - the key in ~/.cdsapirc (or CDSAPI_KEY) is your current personal access "
                f"token and the url is {CDS_URL};\n"
                "  - the CDS is up (https://status.ecmwf.int) and the request is not queued "
                "too long;\nthen rerun: years already downloaded are kept."
            ) from err
        log.info("ERA5 %s: wrote %s (%d bytes)", year, target, target.stat().st_size)
    return paths
