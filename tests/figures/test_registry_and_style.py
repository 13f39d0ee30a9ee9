"""The shared figure style and the five-panel comparison figure: files, text and layout."""

import importlib
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import matplotlib
import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from builders import seasonal_weather

from seasonal_vae.core.errors import InputError
from seasonal_vae.core.paths import PATHS
from seasonal_vae.data.series import load_series
from seasonal_vae.evaluation import comparison as stats
from seasonal_vae.figures.compute import comparison
from seasonal_vae.figures.draw import GENERATED_COLOR, REAL_COLOR, apply_style, data_note, save_figure
from seasonal_vae.figures.draw.comparison import comparison_figure
from seasonal_vae.figures.registry import FIGURES, get, plot_figure, write_figure_data

LABEL = "surrogate data — not ERA5 (see data/README.md)"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """``series.nc``, ``samples.nc`` (two years, local time) and their comparison summary."""
    root = tmp_path_factory.mktemp("inputs")
    times = pd.date_range("2021-12-31 17:00", "2023-12-31 16:00", freq="h")
    real = seasonal_weather(times, 0)
    real[-30:] = np.nan  # the record ends in a gap: the windows end at the last valid hour
    series, samples = root / "series.nc", root / "samples.nc"
    xr.Dataset({"t2m": ("time", real, {"units": "degF"})}, coords={"time": times}).to_netcdf(series)
    generated = np.stack([seasonal_weather(times, 1, warm=0.7), seasonal_weather(times, 2)]).astype("float32")
    xr.Dataset(
        {"t2m": (("path", "time"), generated, {"units": "degF"})},
        coords={"time": times},
        attrs={"noise": "on", "retrend": "none", "seed": 11},
    ).to_netcdf(samples)
    summary_json = root / "comparison.json"
    stats.write_comparison(series, samples, summary_json, root / "comparison.md", {})
    return series, samples, summary_json


CFG = {"data": {"label": LABEL}, "figures": {"comparison_weeks": 3}}


def _paths(inputs) -> dict:
    series, samples, summary_json = inputs
    return {"comparison": summary_json, "series": series, "samples": samples}


def test_colours_are_fixed_and_distinct():
    assert REAL_COLOR != GENERATED_COLOR
    assert all(matplotlib.colors.is_color_like(c) for c in (REAL_COLOR, GENERATED_COLOR))


def test_apply_style_selects_agg_when_headless():
    apply_style(headless=True)
    assert matplotlib.get_backend().lower() == "agg"
    assert matplotlib.rcParams["savefig.dpi"] == 200


def test_save_figure_writes_png_and_svg_and_closes(tmp_path):
    apply_style()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    png, svg = save_figure(fig, tmp_path / "sub" / "line.png")
    assert png == tmp_path / "sub" / "line.png" and svg == tmp_path / "sub" / "line.svg"
    assert png.read_bytes().startswith(b"\x89PNG")
    assert "<svg" in svg.read_text(encoding="utf-8")
    assert not plt.fignum_exists(fig.number)
    assert sorted(p.name for p in png.parent.iterdir()) == ["line.png", "line.svg"]


def test_save_figure_wants_a_png_path(tmp_path):
    fig = plt.figure()
    with pytest.raises(ValueError, match=".png"):
        save_figure(fig, tmp_path / "figure.pdf")
    assert not plt.fignum_exists(fig.number)


def test_data_note_keeps_clear_of_the_axes():
    apply_style()
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    ax.plot([0, 1], [0, 1])
    ax.set_xlabel("x label")
    data_note("line one\nline two", fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    (note,) = fig.texts
    assert note.get_text() == "line one\nline two"
    assert not note.get_window_extent(renderer).overlaps(ax.get_tightbbox(renderer))
    plt.close(fig)


def test_comparison_computes_and_renders_png_and_svg(inputs, tmp_path):
    spec = get("comparison")
    assert spec.inputs == ("comparison", "series", "samples")
    assert spec.settings == ("data", "figures")
    data = tmp_path / "comparison.nc"
    write_figure_data("comparison", _paths(inputs), data, CFG)
    png, svg = plot_figure("comparison", data, tmp_path / "comparison.png", CFG)
    assert png.stat().st_size > 20_000 and svg.stat().st_size > 20_000
    image = mpimg.imread(png)
    assert image.shape[:2] == (1600, 2800)  # 14 × 8 in at 200 dpi
    colours = np.unique((image[::7, ::7, :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 2
    assert plt.get_fignums() == []


def test_footer_names_data_source_and_noise(inputs):
    fig = get("comparison").draw(comparison.compute(_paths(inputs), CFG), CFG)
    (footer,) = [t.get_text() for t in fig.texts]
    plt.close(fig)
    assert footer.startswith(LABEL)
    assert "observation noise on" in footer and "seed 11" in footer


def test_legend_and_footer_cover_no_panel(inputs):
    series, samples, summary_json = inputs
    summary = json.loads(summary_json.read_text(encoding="utf-8"))
    real = load_series(series).dropna("time")
    generated, _ = stats.load_sample_path(samples, 0)
    fig = comparison_figure(comparison.comparison_data(summary, real, generated, weeks=2), footer=LABEL)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    assert len(fig.axes) == 5
    assert all(ax.get_title() for ax in fig.axes)
    (legend,) = fig.legends
    (footer,) = fig.texts
    for ax in fig.axes:
        panel = ax.get_tightbbox(renderer)
        assert not legend.get_window_extent(renderer).overlaps(panel), ax.get_title()
        assert not footer.get_window_extent(renderer).overlaps(panel), ax.get_title()
    # panel 3 shows exactly two weeks of hours per series, ending at the last valid real hour
    hourly = next(ax for ax in fig.axes if ax.get_title().startswith("Hourly"))
    assert [len(line.get_xdata()) for line in hourly.get_lines()] == [14 * 24, 14 * 24]
    plt.close(fig)


def test_comparison_refuses_a_summary_of_another_path(inputs, tmp_path):
    with pytest.raises(InputError, match="summarises generated path 0, not 1"):
        comparison.compute(_paths(inputs), CFG, path_index=1)
    with pytest.raises(ValueError, match="weeks"):
        comparison.compute(_paths(inputs), {**CFG, "figures": {"comparison_weeks": 0}})


def test_the_same_figure_gives_the_same_svg_bytes(tmp_path):
    """Clip paths (not rectangles) get ids from memory addresses in matplotlib; saved SVGs
    renumber them, so drawing a figure twice writes the same bytes."""
    import matplotlib.patches as mpatches
    import matplotlib.pyplot as plt

    from seasonal_vae.figures.draw.style import apply_style, save_figure, stable_clip_ids

    apply_style()  # as every figure does (it fixes svg.hashsalt)

    def draw():
        fig, ax = plt.subplots(figsize=(3, 2))
        circle = mpatches.Circle((0.5, 0.5), 0.4, transform=ax.transAxes)
        for k in range(3):
            (line,) = ax.plot([0, 1], [k, k + 1])
            line.set_clip_path(circle)
        return fig

    first, second = draw(), draw()  # both alive: their clip paths sit at different addresses
    save_figure(first, tmp_path / "a.png")
    save_figure(second, tmp_path / "b.png")
    a, b = (tmp_path / "a.svg").read_text(), (tmp_path / "b.svg").read_text()
    assert 'clip-path="url(#clip1)"' in a and 'id="clip1"' in a
    assert a == b
    assert stable_clip_ids('x="url(#p0123456789)" id="p0123456789"') == 'x="url(#clip1)" id="clip1"'


def test_the_registry_makes_every_figure_from_its_own_code():
    """One pathway for every figure: each has a compute and a drawing module of its name,
    reads pipeline files by their PATHS keys, and lists its own source files, the shared style
    among them; the drawing code uses no compute module but the pure maths of the layers."""
    assert list(FIGURES) == [
        "conv_matrix",
        "strides",
        "free_time_axis",
        "prior",
        "graphical_model",
        "training",
        "trend",
        "seasonal",
        "diurnal",
        "acf",
        "samples",
        "comparison",
        "evaluation",
        "imputation",
        "anomaly",
        "forecast",
    ]
    for name, spec in FIGURES.items():
        assert set(spec.inputs) <= set(PATHS) and spec.settings[0] == "data", name
        compute, draw = spec.compute_code[0], spec.draw_code[0]
        assert (compute.parent.name, compute.name) == ("compute", f"{name}.py"), name
        assert (draw.parent.name, draw.name) == ("draw", f"{name}.py"), name
        assert draw.with_name("style.py") in spec.draw_code
        assert all(path.is_file() for path in spec.code)
        assert {p.name for p in spec.draw_code if p.parent.name == "compute"} <= {"layers.py"}, name
    assert get("trend").settings == ("data", "detrend")
    assert get("evaluation").inputs == ("metrics", "metrics_floor")
    assert get("imputation").inputs == ("imputation",)
    with pytest.raises(InputError, match="no figure called"):
        get("nonsense")


def _imported_code(module: ModuleType) -> list[Path]:
    """The files of ``module`` and of the figures-package modules its namespace holds, followed
    through theirs (what the registry listed when it imported every module)."""
    found: dict[str, Path] = {}

    def visit(mod: ModuleType) -> None:
        if mod.__name__ not in found:
            found[mod.__name__] = Path(mod.__file__)
            for value in vars(mod).values():
                name = value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", None)
                if isinstance(name, str) and name.startswith("seasonal_vae.figures.") and name in sys.modules:
                    visit(sys.modules[name])

    visit(module)
    return list(found.values())


def test_the_code_lists_read_from_the_source_are_the_imported_modules():
    """The registry reads each step's files from the import statements, without importing:
    the same files, in the same order, as the modules hold once imported (what the registry
    listed when it imported every figure module; so the workflow's code inputs are as
    before)."""
    style = Path(importlib.import_module("seasonal_vae.figures.draw.style").__file__)
    for name, spec in FIGURES.items():
        compute = importlib.import_module(f"seasonal_vae.figures.compute.{name}")
        draw = importlib.import_module(f"seasonal_vae.figures.draw.{name}")
        assert spec.compute_code == _imported_code(compute), name
        assert spec.draw_code == list(dict.fromkeys([*_imported_code(draw), style])), name
        assert spec.compute is compute.compute and spec.draw is draw.draw


def _loaded_after(code: str) -> set[str]:
    """The heavy packages a fresh interpreter has loaded after running ``code``."""
    heavy = ("tensorflow", "keras", "matplotlib", "seaborn", "statsmodels", "xarray")
    probe = f"import sys\n{code}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(out.split()) & set(heavy)


def test_each_step_loads_only_what_it_needs():
    """Reading the registry (as the Snakefile does) imports no figure module; a drawing
    module imports no TensorFlow; a compute module imports neither TensorFlow nor matplotlib
    until it runs (the model figures load the model inside ``compute``)."""
    registry = "from seasonal_vae.figures.registry import FIGURES\n[spec.code for spec in FIGURES.values()]"
    assert _loaded_after(registry) == set()
    draws = "\n".join(f"import seasonal_vae.figures.draw.{name}" for name in FIGURES)
    assert not _loaded_after(draws) & {"tensorflow", "keras"}
    computes = "\n".join(f"import seasonal_vae.figures.compute.{name}" for name in FIGURES)
    assert not _loaded_after(computes) & {"tensorflow", "keras", "matplotlib", "seaborn"}
