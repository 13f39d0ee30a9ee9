"""The cross-site summary: each site's metrics over its own floor, condensed per site and
generator, and drawn; checked against numbers worked out by hand."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from seasonal_vae.core.errors import InputError
from seasonal_vae.evaluation.site_summary import site_table, summarise, summary_markdown

METRICS = [
    ("climatology", "clim_mean_rmse", "mean"),
    ("persistence", "acf_hourly", "acf"),
    ("classifier", "classifier_accuracy", "cnn"),
]


def metrics_csv(path, values, scores):
    """A metrics.csv as `evaluate` writes it: ``values[generator] = [value per metric]``,
    floor median 1 and 95th percentile 2 for every metric; ``scores`` the classifier accuracy."""
    rows = []
    for generator, vals in values.items():
        for (family, metric, label), value in zip(METRICS, vals, strict=True):
            rows.append(
                {
                    "family": family,
                    "metric": metric,
                    "label": label,
                    "unit": "–",
                    "generator": generator,
                    "value": value,
                    "floor_median": 1.0,
                    "floor_p95": 2.0,
                    "ratio": value / 1.0,
                    "within_floor": value <= 2.0,
                    "score": scores[generator] if metric == "classifier_accuracy" else np.nan,
                }
            )
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.fixture
def two_sites(tmp_path):
    a = metrics_csv(
        tmp_path / "a.csv",
        {"vae": [1.0, 3.0, 0.5], "harmonic_ar": [0.5, 1.5, 0.2]},
        {"vae": 1.0, "harmonic_ar": 0.7},
    )
    b = metrics_csv(
        tmp_path / "b.csv",
        {"vae": [4.0, 1.0, 0.1], "harmonic_ar": [2.5, 2.0, 0.3]},
        {"vae": 0.6, "harmonic_ar": 0.8},
    )
    return {"phoenix": a, "tucson": b}


def test_ratios_and_counts_are_the_hand_worked_ones(two_sites):
    tidy = summarise(two_sites)
    assert len(tidy) == 2 * 2 * 3
    row = tidy[
        (tidy["site"] == "tucson") & (tidy["generator"] == "vae") & (tidy["metric"] == "clim_mean_rmse")
    ].iloc[0]
    assert row["p95_ratio"] == 2.0 and row["ratio"] == 4.0 and not row["within_floor"]
    assert tidy["accuracy"].notna().sum() == 4  # only on the classifier rows
    table = site_table(tidy).set_index(["site", "generator"])
    assert table.loc[("phoenix", "vae"), "within"] == 2 and table.loc[("phoenix", "vae"), "metrics"] == 3
    assert table.loc[("tucson", "harmonic_ar"), "within"] == 2  # 2.5 is outside, 2.0 and 0.3 within
    assert table.loc[("phoenix", "vae"), "median_ratio"] == 1.0  # median of 1, 3, 0.5
    assert table.loc[("tucson", "vae"), "accuracy"] == 0.6


def test_the_markdown_has_a_column_per_site_and_a_row_per_generator(two_sites):
    text = summary_markdown(summarise(two_sites), {"phoenix": "Phoenix, AZ"})
    lines = [line for line in text.splitlines() if line.startswith("|")]
    assert lines[0] == "| Generator | phoenix (Phoenix, AZ) | tucson |"
    assert lines[2] == "| vae | 2/3 · 1× · 1.00 | 2/3 · 1× · 0.60 |"
    assert lines[3].startswith("| harmonic_ar | 3/3 · 0.5× · 0.70 |")


def test_sites_judged_on_other_metrics_are_refused(two_sites, tmp_path):
    other = metrics_csv(tmp_path / "c.csv", {"vae": [1.0, 1.0, 0.5]}, {"vae": 0.5})
    pd.read_csv(other).replace({"acf_hourly": "acf_daily"}).to_csv(other, index=False)
    with pytest.raises(InputError, match="c.csv.*other metrics"):
        summarise({**two_sites, "yuma": other})


def test_the_command_line_writes_the_table_and_draws_the_figure(two_sites, tmp_path):
    run = [sys.executable, "-m", "seasonal_vae"]
    pairs = [f"{site}={path}" for site, path in two_sites.items()]
    out = tmp_path / "sites" / "summary.csv"
    done = subprocess.run(
        [*run, "site-summary", *pairs, "--out", str(out), "--markdown", str(tmp_path / "s.md")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert pd.read_csv(out)["site"].unique().tolist() == ["phoenix", "tucson"]
    png = tmp_path / "fig" / "summary.png"
    done = subprocess.run(
        [*run, "plot-site-summary", str(out), "--out", str(png)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.with_suffix(".svg").stat().st_size > 10_000
    bad = subprocess.run(
        [*run, "site-summary", "phoenix", "--out", str(out), "--markdown", "x.md"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "is not NAME=PATH" in bad.stderr and "Traceback" not in bad.stderr
