"""The one visual style shared by every figure of the project.

Colours come from the Okabe–Ito palette, which stays distinguishable under the common forms
of colour-vision deficiency and in greyscale print (blue is dark, vermillion light). Real
data is always :data:`REAL_COLOR`, generated data always :data:`GENERATED_COLOR`, and
reference values (such as the article's published numbers) :data:`REFERENCE_COLOR`.

Besides the colours and matplotlib settings (:func:`apply_style`), the footers every figure
carries (:func:`data_note`, with :func:`generated_footer` and :func:`short_path` for their
text) and the one way figures are written (:func:`save_figure`).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine

from seasonal_vae.core.atomic import atomic_path

REAL_COLOR = "#0072B2"  # Okabe–Ito blue
GENERATED_COLOR = "#D55E00"  # Okabe–Ito vermillion
REFERENCE_COLOR = "#4D4D4D"  # dark grey, for published or theoretical reference values

#: Resolution of every PNG the project writes.
PNG_DPI = 200

_RC = {
    "figure.constrained_layout.use": True,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "lines.linewidth": 1.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "savefig.dpi": PNG_DPI,
    "svg.hashsalt": "seasonal-vae",  # reproducible element ids in SVG output
}


def apply_style(headless: bool | None = None) -> None:
    """Set the project's seaborn theme and matplotlib defaults for all later figures.

    Parameters
    ----------
    headless
        Switch matplotlib to the non-interactive Agg backend. ``None`` (default) does so
        unless running inside a Jupyter kernel, whose inline backend must stay so that
        figures display in the notebook.
    """
    if headless is None:
        headless = "ipykernel" not in sys.modules
    if headless:
        matplotlib.use("Agg")
    sns.set_theme(context="notebook", style="whitegrid", rc=_RC)


def data_note(label: str, fig: Figure | None = None) -> None:
    """Put a small footer at the bottom left of a figure, e.g. where its data came from.

    Every figure built from surrogate data must carry one that says so. With constrained
    layout, room is reserved below the axes so that the footer never overlaps them.

    Parameters
    ----------
    label
        The footer text; may contain line breaks.
    fig
        The figure; the current pyplot figure if ``None``.
    """
    if fig is None:
        fig = plt.gcf()
    fontsize = 9
    n_lines = label.count("\n") + 1
    height = (n_lines * 1.3 * fontsize + 6) / 72 / fig.get_figheight()  # fraction of the figure
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        engine.set(rect=(0, height, 1, 1 - height))
    fig.text(0.005, 0.004, label, ha="left", va="bottom", fontsize=fontsize, color=REFERENCE_COLOR)


def generated_footer(ds, label: str) -> str:
    """The footer of a figure of real vs generated data: the data label, and which generated
    data it shows (file, noise, seed) when the figure's numbers say so
    (:func:`seasonal_vae.figures.compute.generated.provenance`)."""
    if "samples_file" not in ds.attrs:
        return label
    a = ds.attrs
    return (
        f"{label}\nGenerated: {a['n_paths']} path(s) of {a['samples_file']}, observation noise "
        f"{a['noise']}, seed {a['seed']}, trend re-applied: {a['retrend']}."
    )


def short_path(path: str | Path, parts: int = 3) -> str:
    """The last ``parts`` components of a path, for footers: ``models/seasonal/vae.keras``."""
    return "/".join(Path(path).parts[-parts:])


def save_figure(fig: Figure, path: str | Path) -> tuple[Path, Path]:
    """Write ``fig`` as a PNG (at :data:`PNG_DPI`) and a sibling SVG, then close it.

    Both files are written atomically: each appears complete under its name or not at all.
    The figure is closed even if saving fails.

    Parameters
    ----------
    fig
        The figure to save.
    path
        The PNG's path (suffix ``.png``); the SVG goes beside it with suffix ``.svg``.

    Returns
    -------
    tuple of pathlib.Path
        The PNG's and the SVG's paths.

    Raises
    ------
    ValueError
        If ``path`` does not end in ``.png``.
    """
    png = Path(path)
    svg = png.with_suffix(".svg")
    try:
        if png.suffix.lower() != ".png":
            raise ValueError(f"save_figure expects a .png path, got {png}")
        with atomic_path(png) as tmp:
            fig.savefig(tmp, format="png", dpi=PNG_DPI)
        with atomic_path(svg) as tmp:
            fig.savefig(tmp, format="svg", metadata={"Date": None})
            tmp.write_text(stable_clip_ids(tmp.read_text(encoding="utf-8")), encoding="utf-8")
    finally:
        plt.close(fig)
    return png, svg


_CLIP_ID = re.compile(r'(?<=id=")p[0-9a-f]{10}(?=")|(?<=url\(#)p[0-9a-f]{10}(?=\))')


def stable_clip_ids(svg: str) -> str:
    """Renumber matplotlib's clip-path ids in order of first use (``clip1``, ``clip2``, ...).

    Matplotlib names a clip *path* (not a clip rectangle) after the memory address of the
    path object, so the same figure gets other ids in another process; numbered in order of
    appearance, the same figure always gives the same SVG bytes.
    """
    names: dict[str, str] = {}
    return _CLIP_ID.sub(lambda m: names.setdefault(m.group(0), f"clip{len(names) + 1}"), svg)
