"""The README stays true: its commands are the ones CI runs, its tables and figures are the pipeline's."""

import pytest
from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


DATASETS = ["surrogate", "greenway"]  # the bundled data sets (config/config.yaml)


@pytest.mark.parametrize(
    "dataset, name",
    [(d, n) for d in DATASETS for n in ["comparison", "metrics", "imputation", "anomaly", "forecast"]]
    + [("sites", "summary")]  # the cross-site summary
    + [(f"{d}/extended", n) for d in DATASETS for n in ["imputation", "forecast"]],  # Beyond the article
)
def test_readme_tables_are_the_pipelines_tables(dataset, name):
    """Each table the README shows between its markers is the one the pipeline wrote."""
    table = [
        line
        for line in (ROOT / "figures" / dataset / f"{name}.md").read_text().splitlines()
        if line.startswith("|")
    ]
    start = README.index(f"<!-- {dataset} {name} table")
    end = README.index(f"<!-- end of {dataset} {name} table")
    shown = [line for line in README[start:end].splitlines() if line.startswith("|")]
    assert shown == table


def test_every_figure_is_shown_with_its_caption():
    from seasonal_vae.figures.registry import registry

    for name, spec in registry().items():
        assert f"](figures/surrogate/{name}.png)" in README, name
        assert spec.caption in README.replace("\n", " "), f"{name}: caption not in the README"


def test_ci_runs_the_readme_commands():
    ci = (ROOT / ".ci" / "run").read_text()
    assert (
        'python3.11 -m venv .venv && . .venv/bin/activate && pip install -e ".[test]" && snakemake --cores 2'
        in README
    )
    assert ". .venv/bin/activate && pytest" in README
    for step in (
        "python3.11 -m venv .venv",
        ". .venv/bin/activate",
        'pip install --quiet -e ".[test]"',
        "pytest",
    ):
        assert step in ci


@pytest.mark.parametrize("dataset", [*DATASETS, "sites"])
def test_every_committed_figure_is_shown(dataset):
    pngs = sorted((ROOT / "figures" / dataset).glob("*.png"))
    assert len(pngs) >= (1 if dataset == "sites" else 16)
    for png in pngs:
        assert f"figures/{dataset}/{png.name}" in README, png.name


def test_readme_counts_of_metrics_within_the_floor_are_the_tables():
    """The README's count of ✓ per generator and data set is the metric tables' own count."""
    start = README.index("<!-- within table")
    end = README.index("<!-- end of within table")
    rows = [line.strip("|").split("|") for line in README[start:end].splitlines() if line.startswith("| `")]
    shown = {cells[0].strip().strip("`"): [int(c) for c in cells[1:3]] for cells in rows}
    by_path = {cells[0].strip().strip("`"): [c.strip() for c in cells[3:5]] for cells in rows}
    for i, dataset in enumerate(DATASETS):
        text = (ROOT / "figures" / dataset / "metrics.md").read_text(encoding="utf-8")
        for name, counts in _per_path_counts(text).items():
            assert by_path[name][i] == counts, (dataset, name)
        lines = [line for line in text.splitlines() if line.startswith("|")]
        header = [c.strip() for c in lines[0].strip("|").split("|")]
        body = [
            [c.strip() for c in line.replace("\\|", "¦").strip("|").split("|")] for line in lines[2:]
        ]  # an escaped pipe in a label is not a column
        for column, name in enumerate(header):
            if column >= 4:
                counted = sum("✓" in row[column] for row in body)
                assert shown[name][i] == counted, (dataset, name)


def _per_path_counts(metrics_md: str) -> dict[str, str]:
    """Generator → its counts within the floor path by path ("15, 16, 14, 15, 15"), from the
    line that the evaluate rule's table (metrics_table.metrics_markdown) ends with."""
    line = next(x for x in metrics_md.splitlines() if x.startswith("Within the floor path by path"))
    parts = line.split("): ", 1)[1].rstrip(".").split("; ")
    return dict(part.split(" ", 1) for part in parts)


def test_citation_file_names_the_article_the_data_and_the_software():
    import yaml

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software"
    assert cff["preferred-citation"]["title"].startswith("VAE for Time Series")
    refs = {ref.get("doi") or ref.get("url") for ref in cff["references"]}
    assert {"10.24381/cds.adbb2d47", "https://azmet.arizona.edu"} <= refs
    assert "10.24381/cds.adbb2d47" in README and "azmet.arizona.edu" in README


def test_the_beyond_the_article_table_is_the_metric_tables():
    """Counts within the floor, classifier accuracy and the six targets' marks, per record and
    generator, as figures/<dataset>/metrics.md (the evaluate rule's table) has them."""
    import re

    start = README.index("<!-- beyond table")
    lines = README[start : README.index("<!-- end of beyond table")].splitlines()
    rows = [
        [c.strip() for c in line.strip("|").split("|")]
        for line in lines
        if line.startswith("| ") and "`" in line
    ]
    assert len(rows) >= 6
    labels = [
        "ACF of hourly",
        "ACF of daily",
        "daily max",
        "lag-1 slope, hourly",
        "lag-1 slope, daily",
        "lag-1 slope, monthly",
    ]
    for record, generator, within, accuracy, marks, paths in rows:
        text = (
            ROOT / "figures" / ("greenway" if record.startswith("Greenway") else "surrogate") / "metrics.md"
        ).read_text()
        table = [line.replace("\\|", "¦") for line in text.splitlines() if line.startswith("|")]
        header = [c.strip() for c in table[0].strip("|").split("|")]
        column = header.index(generator.strip("`"))
        body = [[c.strip() for c in line.strip("|").split("|")] for line in table[2:]]
        assert int(within) == sum("✓" in row[column] for row in body), (record, generator)
        assert paths == _per_path_counts(text)[generator.strip("`")], (record, generator)
        found = re.search(rf"{generator.strip('`')} accuracy ([0-9.]+) \[([0-9.]+), ([0-9.]+)\]", text)
        assert accuracy == "{:.2f} [{:.2f}, {:.2f}]".format(*map(float, found.groups())), (record, generator)
        expected = []
        for label in labels:
            cell = next(row[column] for row in body if row[1].startswith(label))
            expected.append("✓" if "✓" in cell else cell.split(" · ")[1])
        assert marks.split() == expected, (record, generator)
