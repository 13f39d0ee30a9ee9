"""The registry of the project's figures: for each, what it reads, how it is computed, how drawn.

Every figure is made in two steps, so that restyling a figure never recomputes (let alone
retrains) anything:

1. ``compute(paths, cfg) -> xarray.Dataset`` (a module of :mod:`seasonal_vae.figures.compute`)
   reads pipeline outputs (the trained model, the series, the samples, the metrics, an
   application's results, ...) and returns the numbers the figure shows; the CLI writes them
   to ``results/<dataset>/figdata/<name>.nc`` (:func:`write_figure_data`);
2. ``draw(data, cfg) -> matplotlib.figure.Figure`` (a module of
   :mod:`seasonal_vae.figures.draw`) turns those numbers into the figure; the CLI saves it as
   ``figures/<dataset>/<name>.png`` and ``.svg`` (:func:`plot_figure`).

:data:`FIGURES` lists every figure, in the order the README shows them. Each
:class:`FigureSpec` names its inputs as keys of :data:`seasonal_vae.core.paths.PATHS`, the
config sections its steps read (``settings``: the Snakefile passes exactly these, so that
changing another section reruns nothing), and the source files of its two steps
(``compute_code``, ``draw_code``), so that each rule depends on its own code only.

The steps of a figure are the modules of its name (``compute/<name>.py``, ``draw/<name>.py``),
imported only when a step runs, and the source files are read from the modules' import
statements without importing them: reading the registry costs no imports beyond the path
table, and each ``figure-data`` or ``plot`` call loads only its own figure's modules and what
they need (a drawing job no TensorFlow, a compute job no matplotlib).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from seasonal_vae.core.atomic import atomic_path
from seasonal_vae.core.errors import InputError
from seasonal_vae.core.paths import PATHS

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.figure import Figure

_PACKAGE = "seasonal_vae.figures."
_ROOT = Path(__file__).parent  # the figures package: seasonal_vae/figures/
_STYLE = _ROOT / "draw" / "style.py"

#: The figures' categories, in the order the README shows them: each figure belongs to one
#: (:attr:`FigureSpec.category`), and Snakemake's report (``snakemake --report``) groups its
#: figures by them.
HOW_IT_WORKS, CLIMATE, JUDGING, APPLICATIONS = CATEGORIES = (
    "How the model works",
    "Real vs generated climate",
    "Judging the generated data",
    "Applications",
)


@dataclass(frozen=True)
class FigureSpec:
    """One figure: its name, what it reads, its compute and draw steps, and its caption.

    The two steps are the functions ``compute`` of :mod:`seasonal_vae.figures.compute.<name>`
    and ``draw`` of :mod:`seasonal_vae.figures.draw.<name>`; each module is imported only
    when its step is asked for, so that reading the registry (the Snakefile does, and so
    does every ``figure-data`` and ``plot`` call) loads neither the other figures' modules nor
    what they import (TensorFlow, statsmodels, matplotlib).
    """

    name: str
    inputs: tuple[str, ...]  # keys of seasonal_vae.core.paths.PATHS
    settings: tuple[str, ...]  # config sections its compute and draw steps read ("data" first)
    caption: str  # one sentence: what the figure shows (used in the README, notebooks, report)
    category: str  # one of CATEGORIES: the README's section and the report's category

    def __post_init__(self):
        if self.category not in CATEGORIES:
            raise ValueError(f"figure {self.name!r}: category {self.category!r} is not one of {CATEGORIES}")
        unknown = [key for key in self.inputs if key not in PATHS]
        if unknown:
            raise ValueError(
                f"figure {self.name!r} reads {unknown}, which are not pipeline "
                "files (keys of seasonal_vae.core.paths.PATHS)"
            )
        if self.settings[:1] != ("data",):
            raise ValueError(
                f"figure {self.name!r}: its settings must start with 'data' (its "
                f"footer names the data set), not {self.settings}"
            )
        for step in ("compute", "draw"):
            if not _module_file(f"{_PACKAGE}{step}.{self.name}"):
                raise ValueError(
                    f"figure {self.name!r} has no module seasonal_vae.figures.{step}.{self.name}"
                )

    @property
    def compute(self) -> Callable[[Mapping[str, Path], dict], xr.Dataset]:
        """The compute step, ``compute(paths, cfg) -> xarray.Dataset`` (its module imported now)."""
        from seasonal_vae.figures import compute

        return compute.figure_module(self.name).compute

    @property
    def draw(self) -> Callable[[xr.Dataset, dict], Figure]:
        """The drawing step, ``draw(data, cfg) -> Figure`` (its module imported now)."""
        from seasonal_vae.figures import draw

        return draw.figure_module(self.name).draw

    @property
    def compute_code(self) -> list[Path]:
        """The source files of the compute step: its module and the figure modules it uses."""
        return _code(f"{_PACKAGE}compute.{self.name}")

    @property
    def draw_code(self) -> list[Path]:
        """The source files of the drawing step: its module, the figure modules it uses, and
        the shared style."""
        return _code(f"{_PACKAGE}draw.{self.name}", [_STYLE])

    @property
    def code(self) -> list[Path]:
        """Every source file of the figure: :attr:`compute_code`, then :attr:`draw_code`."""
        return list(dict.fromkeys(self.compute_code + self.draw_code))


def _module_file(name: str) -> Path | None:
    """The source file of module ``name`` of the figures package (a package: its
    ``__init__.py``), found without importing it; ``None`` if there is none."""
    if not name.startswith(_PACKAGE):
        return None
    path = _ROOT.joinpath(*name.removeprefix(_PACKAGE).split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_modules(path: Path) -> list[str]:
    """The figures-package modules that the source file ``path`` imports, anywhere in it (at
    the top or inside a function), in the order of the file: ``from package import name``
    counts as module ``package.name`` where that is a module, else as ``package``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.append((node.lineno, sub if _module_file(sub) else node.module))
    return [name for _, name in sorted(found, key=lambda item: item[0]) if _module_file(name)]


def _code(module: str, extra: list[Path] | None = None) -> list[Path]:
    """The file of ``module`` and of every module of the figures package it imports
    (followed through what those import), in order of discovery. Read from the source, not
    by importing it: the Snakefile asks for it for every figure."""
    found: dict[str, Path] = {}

    def visit(name: str) -> None:
        if name in found:
            return
        found[name] = _module_file(name)
        for imported in _imported_modules(found[name]):
            visit(imported)

    visit(module)
    return list(dict.fromkeys([*found.values(), *(extra or [])]))


_MODEL = ("model", "windows")
_PAIR = ("series", "samples")

#: Every figure of the project by name, in the order the README shows them.
FIGURES: dict[str, FigureSpec] = {
    spec.name: spec
    for spec in [
        # -- how the model works
        FigureSpec(
            "conv_matrix",
            _MODEL,
            ("data",),
            "A 1-D convolution as a banded, strided matrix built from the trained first "
            "encoder layer (kernel 5, stride 3) on one real day, and the decoder's last "
            "layer as the transposed matrix that spreads each input over overlapping hours.",
            HOW_IT_WORKS,
        ),
        FigureSpec(
            "strides",
            _MODEL,
            ("data",),
            "How the encoder's strides 3·2·2·2·2·2 make one latent step per 96 hours: the "
            "input hours feeding each layer's units, each layer's receptive field and "
            "jump, and a perturbation test of the trained encoder.",
            HOW_IT_WORKS,
        ),
        FigureSpec(
            "free_time_axis",
            _MODEL,
            ("data",),
            "One trained model encodes and reconstructs real stretches of 4, 40 and 400 "
            "days (k = 1, 10 and 100 latent steps of 96 hours) and generates series of "
            "the same lengths.",
            HOW_IT_WORKS,
        ),
        FigureSpec(
            "prior",
            _MODEL,
            ("data",),
            "The learned seasonal prior of every latent feature over the year, mean m(θ) "
            "with ±1 and ±2 standard deviations exp(s(θ)/2), over the encoder's posterior "
            "means of all training and validation windows.",
            HOW_IT_WORKS,
        ),
        FigureSpec(
            "graphical_model",
            ("model",),
            ("data",),
            "The model as a probabilistic graphical model: time of year θ sets the prior "
            "of the latent steps z, which generate the hourly temperatures x with learned "
            "noise σ², and the encoder q(z | x) approximates the posterior.",
            HOW_IT_WORKS,
        ),
        FigureSpec(
            "training",
            ("history", "model"),
            ("data",),
            "Training and validation loss (the negative ELBO per value), its "
            "reconstruction and KL terms, and the learned noise σ in °F per epoch, with "
            "the epoch of the saved (best validation) model marked.",
            HOW_IT_WORKS,
        ),
        # -- real vs generated climate
        FigureSpec(
            "trend",
            ("series", "detrended", "trend"),
            ("data", "detrend"),
            "Yearly mean temperature of the observed record with its fitted linear warming rate "
            "(± standard error) beside the configured rate removed by the detrend step, and the "
            "adjusted (detrended) record's yearly means, which no longer warm.",
            CLIMATE,
        ),
        FigureSpec(
            "seasonal",
            _PAIR,
            ("data",),
            "Seasonal cycle of real and generated hourly temperature: monthly and 31-day "
            "smoothed day-of-year mean and spread of the hourly values, and the generated − "
            "real differences for every generated path.",
            CLIMATE,
        ),
        FigureSpec(
            "diurnal",
            _PAIR,
            ("data", "site"),
            "Mean diurnal cycle in local standard time, real vs generated, over the whole year "
            "and for each month, with month × hour maps of the generated − real difference "
            "of the mean and of the standard deviation.",
            CLIMATE,
        ),
        FigureSpec(
            "acf",
            _PAIR,
            ("data",),
            "Autocorrelation of hourly and of daily-mean anomalies from each series' own "
            "smoothed calendar-day climatology (lags 1 h to 30 days and 1 to 60 days), real "
            "vs generated, with the real record's year-to-year 5–95 % range, and the "
            "article's lag-1 regression slopes.",
            CLIMATE,
        ),
        FigureSpec(
            "samples",
            _PAIR,
            ("data", "figures"),
            "A recent full year of daily mean temperature and two windows of a few weeks of "
            "hourly values (summer and year end), real vs generated on the same dates.",
            CLIMATE,
        ),
        # -- the article's result figure and the judging of generated data
        FigureSpec(
            "comparison",
            ("comparison", *_PAIR),
            ("data", "figures"),
            "The article's result figure, real vs generated hourly temperature: seasonal and "
            "diurnal profiles, the last weeks of hourly values, the last year of daily "
            "means, and the lag-1 regression slopes at three resolutions beside the "
            "article's.",
            JUDGING,
        ),
        FigureSpec(
            "evaluation",
            ("metrics", "metrics_floor"),
            ("data",),
            "Every metric of every generator against the held-out years as a ratio to the "
            "median of the same metric between two disjoint sets of real years, with the "
            "real-vs-real floor's 95th percentile as a band and its value on each split.",
            JUDGING,
        ),
        # -- the applications
        FigureSpec(
            "imputation",
            ("imputation",),
            ("data",),
            "Gap filling on held-out years: two example gaps with the VAE ensemble's range "
            "beside linear interpolation and a climatological fill, and the MAE and CRPS of "
            "each method by gap length.",
            APPLICATIONS,
        ),
        FigureSpec(
            "anomaly",
            ("anomaly",),
            ("data",),
            "The VAE's anomaly score of every 4-day block of the record, standardised by "
            "calendar month, with the top-ranked block, and for each kind of injected fault "
            "an example and the ROC curves of the VAE and a climatological z-score.",
            APPLICATIONS,
        ),
        FigureSpec(
            "forecast",
            ("forecast",),
            ("data",),
            "Forecasts 1–7 days ahead from held-out dates: an example with the VAE "
            "ensemble's and climatology's 5–95 % ranges and persistence, and the CRPS and "
            "MAE of each method by lead day.",
            APPLICATIONS,
        ),
    ]
}

#: Every pipeline file some figure reads (keys of :data:`~seasonal_vae.core.paths.PATHS`).
INPUT_NAMES = tuple(dict.fromkeys(key for spec in FIGURES.values() for key in spec.inputs))


def registry() -> dict[str, FigureSpec]:
    """Every figure of the project by name, in the order of :data:`FIGURES`."""
    return dict(FIGURES)


def get(name: str) -> FigureSpec:
    """The figure called ``name``; a clear error naming the known ones otherwise."""
    if name not in FIGURES:
        raise InputError(
            "figure name", f"there is no figure called {name!r}", f"use one of: {', '.join(FIGURES)}"
        )
    return FIGURES[name]


def write_figure_data(
    name: str, paths: Mapping[str, str | Path | None], out: str | Path, cfg: dict
) -> xr.Dataset:
    """Compute the numbers of figure ``name`` from the pipeline files and write them as netCDF.

    ``paths`` maps (at least) the figure's inputs to files; ``cfg`` holds (at least) its
    ``settings`` sections.
    """
    spec = get(name)
    missing = [key for key in spec.inputs if not paths.get(key)]
    if missing:
        raise InputError(
            f"figure {name!r}",
            f"needs the pipeline files {missing}",
            "give " + ", ".join(f"{key} (the pipeline's {PATHS[key]})" for key in missing),
        )
    ds = spec.compute({key: Path(paths[key]) for key in spec.inputs}, cfg)
    ds.attrs.setdefault("figure", name)
    with atomic_path(out) as tmp:
        ds.to_netcdf(tmp)
    return ds


def plot_figure(name: str, data_path: str | Path, out_png: str | Path, cfg: dict) -> tuple[Path, Path]:
    """Draw figure ``name`` from its computed numbers; write PNG and SVG."""
    import xarray as xr

    from seasonal_vae.figures.draw import style

    spec = get(name)
    draw = spec.draw  # its module (and matplotlib) imported before the style is applied, as always
    style.apply_style()
    with xr.open_dataset(data_path) as f:
        ds = f.load()
    return style.save_figure(draw(ds, cfg), out_png)
