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
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import xarray as xr
from matplotlib.figure import Figure

from seasonal_vae.core.atomic import atomic_path
from seasonal_vae.core.errors import InputError
from seasonal_vae.core.paths import PATHS
from seasonal_vae.figures.compute import acf as acf_numbers
from seasonal_vae.figures.compute import anomaly as anomaly_numbers
from seasonal_vae.figures.compute import comparison as comparison_numbers
from seasonal_vae.figures.compute import conv_matrix as conv_matrix_numbers
from seasonal_vae.figures.compute import diurnal as diurnal_numbers
from seasonal_vae.figures.compute import evaluation as evaluation_numbers
from seasonal_vae.figures.compute import forecast as forecast_numbers
from seasonal_vae.figures.compute import free_time_axis as free_time_axis_numbers
from seasonal_vae.figures.compute import graphical_model as graphical_model_numbers
from seasonal_vae.figures.compute import imputation as imputation_numbers
from seasonal_vae.figures.compute import prior as prior_numbers
from seasonal_vae.figures.compute import samples as samples_numbers
from seasonal_vae.figures.compute import seasonal as seasonal_numbers
from seasonal_vae.figures.compute import strides as strides_numbers
from seasonal_vae.figures.compute import training as training_numbers
from seasonal_vae.figures.compute import trend as trend_numbers
from seasonal_vae.figures.draw import acf as acf_drawing
from seasonal_vae.figures.draw import anomaly as anomaly_drawing
from seasonal_vae.figures.draw import comparison as comparison_drawing
from seasonal_vae.figures.draw import conv_matrix as conv_matrix_drawing
from seasonal_vae.figures.draw import diurnal as diurnal_drawing
from seasonal_vae.figures.draw import evaluation as evaluation_drawing
from seasonal_vae.figures.draw import forecast as forecast_drawing
from seasonal_vae.figures.draw import free_time_axis as free_time_axis_drawing
from seasonal_vae.figures.draw import graphical_model as graphical_model_drawing
from seasonal_vae.figures.draw import imputation as imputation_drawing
from seasonal_vae.figures.draw import prior as prior_drawing
from seasonal_vae.figures.draw import samples as samples_drawing
from seasonal_vae.figures.draw import seasonal as seasonal_drawing
from seasonal_vae.figures.draw import strides as strides_drawing
from seasonal_vae.figures.draw import style
from seasonal_vae.figures.draw import training as training_drawing
from seasonal_vae.figures.draw import trend as trend_drawing

_PACKAGE = "seasonal_vae.figures."

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
    """One figure: its name, what it reads, its compute and draw steps, and its caption."""

    name: str
    inputs: tuple[str, ...]  # keys of seasonal_vae.core.paths.PATHS
    settings: tuple[str, ...]  # config sections its compute and draw steps read ("data" first)
    compute: Callable[[Mapping[str, Path], dict], xr.Dataset]
    draw: Callable[[xr.Dataset, dict], Figure]
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

    @property
    def compute_code(self) -> list[Path]:
        """The source files of the compute step: its module and the figure modules it uses."""
        return _code(self.compute)

    @property
    def draw_code(self) -> list[Path]:
        """The source files of the drawing step: its module, the figure modules it uses, and
        the shared style."""
        return _code(self.draw, [Path(style.__file__)])

    @property
    def code(self) -> list[Path]:
        """Every source file of the figure: :attr:`compute_code`, then :attr:`draw_code`."""
        return list(dict.fromkeys(self.compute_code + self.draw_code))


def _code(step: Callable, extra: list[Path] | None = None) -> list[Path]:
    """The file of the module defining ``step``, and of every module of the figures package
    it uses (followed through what each module's namespace holds), in order of discovery."""
    found: dict[str, Path] = {}

    def visit(module: ModuleType) -> None:
        if module.__name__ in found:
            return
        found[module.__name__] = Path(module.__file__)
        for value in vars(module).values():
            name = value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", None)
            if isinstance(name, str) and name.startswith(_PACKAGE) and name in sys.modules:
                visit(sys.modules[name])

    visit(sys.modules[step.__module__])
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
            conv_matrix_numbers.compute,
            conv_matrix_drawing.draw,
            "A 1-D convolution as a banded, strided matrix built from the trained first "
            "encoder layer (kernel 5, stride 3) on one real day, and the decoder's last "
            "layer as the transposed matrix that spreads each input over overlapping hours.",
            HOW_IT_WORKS,
        ),
        FigureSpec(
            "strides",
            _MODEL,
            ("data",),
            strides_numbers.compute,
            strides_drawing.draw,
            "How the encoder's strides 3·2·2·2·2·2 make one latent step per 96 hours: the "
            "input hours feeding each layer's units, each layer's receptive field and "
            "jump, and a perturbation test of the trained encoder.",
            HOW_IT_WORKS,
        ),
        FigureSpec(
            "free_time_axis",
            _MODEL,
            ("data",),
            free_time_axis_numbers.compute,
            free_time_axis_drawing.draw,
            "One trained model encodes and reconstructs real stretches of 4, 40 and 400 "
            "days (k = 1, 10 and 100 latent steps of 96 hours) and generates series of "
            "the same lengths.",
            HOW_IT_WORKS,
        ),
        FigureSpec(
            "prior",
            _MODEL,
            ("data",),
            prior_numbers.compute,
            prior_drawing.draw,
            "The learned seasonal prior of every latent feature over the year, mean m(θ) "
            "with ±1 and ±2 standard deviations exp(s(θ)/2), over the encoder's posterior "
            "means of all training and validation windows.",
            HOW_IT_WORKS,
        ),
        FigureSpec(
            "graphical_model",
            ("model",),
            ("data",),
            graphical_model_numbers.compute,
            graphical_model_drawing.draw,
            "The model as a probabilistic graphical model: time of year θ sets the prior "
            "of the latent steps z, which generate the hourly temperatures x with learned "
            "noise σ², and the encoder q(z | x) approximates the posterior.",
            HOW_IT_WORKS,
        ),
        FigureSpec(
            "training",
            ("history", "model"),
            ("data",),
            training_numbers.compute,
            training_drawing.draw,
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
            trend_numbers.compute,
            trend_drawing.draw,
            "Yearly mean temperature of the observed record with its fitted linear warming rate "
            "(± standard error) beside the configured rate removed by the detrend step, and the "
            "adjusted (detrended) record's yearly means, which no longer warm.",
            CLIMATE,
        ),
        FigureSpec(
            "seasonal",
            _PAIR,
            ("data",),
            seasonal_numbers.compute,
            seasonal_drawing.draw,
            "Seasonal cycle of real and generated hourly temperature: monthly and 31-day "
            "smoothed day-of-year mean and spread of the hourly values, and the generated − "
            "real differences for every generated path.",
            CLIMATE,
        ),
        FigureSpec(
            "diurnal",
            _PAIR,
            ("data", "site"),
            diurnal_numbers.compute,
            diurnal_drawing.draw,
            "Mean diurnal cycle in local standard time, real vs generated, over the whole year "
            "and for each month, with month × hour maps of the generated − real difference "
            "of the mean and of the standard deviation.",
            CLIMATE,
        ),
        FigureSpec(
            "acf",
            _PAIR,
            ("data",),
            acf_numbers.compute,
            acf_drawing.draw,
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
            samples_numbers.compute,
            samples_drawing.draw,
            "A recent full year of daily mean temperature and two windows of a few weeks of "
            "hourly values (summer and year end), real vs generated on the same dates.",
            CLIMATE,
        ),
        # -- the article's result figure and the judging of generated data
        FigureSpec(
            "comparison",
            ("comparison", *_PAIR),
            ("data", "figures"),
            comparison_numbers.compute,
            comparison_drawing.draw,
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
            evaluation_numbers.compute,
            evaluation_drawing.draw,
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
            imputation_numbers.compute,
            imputation_drawing.draw,
            "Gap filling on held-out years: two example gaps with the VAE ensemble's range "
            "beside linear interpolation and a climatological fill, and the MAE and CRPS of "
            "each method by gap length.",
            APPLICATIONS,
        ),
        FigureSpec(
            "anomaly",
            ("anomaly",),
            ("data",),
            anomaly_numbers.compute,
            anomaly_drawing.draw,
            "The VAE's anomaly score of every 4-day block of the record, standardised by "
            "calendar month, with the top-ranked block, and for each kind of injected fault "
            "an example and the ROC curves of the VAE and a climatological z-score.",
            APPLICATIONS,
        ),
        FigureSpec(
            "forecast",
            ("forecast",),
            ("data",),
            forecast_numbers.compute,
            forecast_drawing.draw,
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
    spec = get(name)
    style.apply_style()
    with xr.open_dataset(data_path) as f:
        ds = f.load()
    return style.save_figure(spec.draw(ds, cfg), out_png)
