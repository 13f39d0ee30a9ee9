"""Snakemake's HTML report of the small build (`snakemake --report report.html`).

Snakemake 9 writes the report as one HTML file, a React app whose data are JavaScript
literals, each in a script element of its own: ``<script id="results"> var results = {...}``
(every result: its caption as HTML, its labels, its MIME type and the file itself as a base64
``data:`` URI), ``<script id="categories"> var categories = {...}`` (category -> subcategory
-> result paths) and ``<script id="workflow-desc"> var workflow_desc = "..."`` (the landing
page, from report/workflow.rst). The tests read those literals back as JSON and check that
every figure of every data set is embedded byte for byte, under its registry category and its
site, with the registry's caption; that every metric table is embedded and shown as written;
that the cross-site summary is there; and that the landing page holds the whole validated
configuration. A last test renders the report in headless Chromium (Debian's package) and
finds every figure of every site in the list the app builds.

`--cores 1`: the train and evaluate rules size their threads from ``workflow.cores``, which
Snakemake 9 leaves unset for ``--report`` (it sets it to 1 only for ``-n``), so without it the
Snakefile cannot be read; the report itself uses no cores.
"""

import base64
import html
import json
import re
import shutil
import subprocess
from urllib.parse import quote

import pytest
import yaml
from conftest import ROOT
from conftest import snakemake as _snakemake
from snakemake.utils import update_config

from seasonal_vae.core.config import dataset_names, load_config
from seasonal_vae.core.paths import path
from seasonal_vae.figures.registry import CATEGORIES, FIGURES

pytestmark = pytest.mark.slow

TABLES = ["comparison", "metrics", "imputation", "anomaly", "forecast"]  # rule all's tables
SUMMARY = ["figures/sites/summary.png", "figures/sites/summary.md"]  # with more than one site


def _config() -> dict:
    """The configuration of the small build as the Snakefile makes it: config/config.yaml,
    then config/test.yaml over it (Snakemake's merge), validated with defaults filled in."""
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    update_config(config, yaml.safe_load((ROOT / "config" / "test.yaml").read_text()))
    return load_config(config)


CONFIG = _config()
DATASETS = dataset_names(CONFIG)
#: rule all's tables of each site: (path key, variant or None) -> the label the report gives it
TABLE_LABELS = {
    **{(f"{name}_table", None): name for name in TABLES},
    **{
        (f"variant_{name}_table", variant): f"{name} ({variant})"
        for variant in CONFIG["build"]["applications"]  # the variants' gap filling and forecasts
        for name in ("imputation", "forecast")
    },
}


def _table_path(key: str, variant: str | None, dataset: str) -> str:
    return path(key, dataset=dataset, **({"variant": variant} if variant else {}))


def _literal(page: str, script_id: str, name: str):
    """The JSON value the report assigns to ``var <name>`` in its script ``script_id`` (the
    bundled JavaScript libraries have variables of the same names)."""
    start = re.search(rf'<script id="{script_id}">\s*var {name} = ', page)
    assert start, f"no script {script_id!r} assigning {name!r}"
    value, _ = json.JSONDecoder().raw_decode(page, start.end())
    return value


def _text(fragment: str) -> str:
    """The text of an HTML fragment: tags removed, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _embedded(entry: dict) -> bytes:
    """The bytes of a result's ``data:`` URI (the file as the report carries it)."""
    header, payload = entry["data_uri"].split(",", 1)
    assert header.endswith(";base64"), header
    return base64.b64decode(payload)


def _shown(caption: str) -> str:
    """The text of the literal block a table's description shows."""
    block = re.search(r'<pre class="literal-block">(.*?)</pre>', caption, re.S)
    assert block, caption[:500]
    return html.unescape(block.group(1)).strip()


@pytest.fixture(scope="module")
def report(workdir):
    """The report of the built small workflow: its file and its data literals."""
    out = workdir / "report.html"
    run = _snakemake(["--report", str(out), "--cores", "1", "--configfile", "config/test.yaml"], workdir)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    page = out.read_text(encoding="utf-8")
    return {
        "path": out,
        "results": _literal(page, "results", "results"),
        "categories": _literal(page, "categories", "categories"),
        "workflow": _literal(page, "workflow-desc", "workflow_desc"),
    }


def test_the_report_holds_exactly_the_figures_and_tables(report):
    figures = {f"figures/{d}/{name}.png" for d in DATASETS for name in FIGURES}
    tables = {_table_path(key, variant, d) for d in DATASETS for key, variant in TABLE_LABELS}
    assert len(DATASETS) > 1  # the small build has two sites, so the cross-site summary too
    assert set(report["results"]) == figures | tables | set(SUMMARY)
    assert set(report["categories"]) == {*CATEGORIES, "Tables", "Across sites"}
    for category in (*CATEGORIES, "Tables"):
        assert set(report["categories"][category]) == set(DATASETS), category


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("name", FIGURES)
def test_every_figure_is_embedded_with_its_caption(report, workdir, dataset, name):
    spec = FIGURES[name]
    path = f"figures/{dataset}/{name}.png"
    entry = report["results"][path]
    assert entry["mime_type"] == "image/png"
    assert _embedded(entry) == (workdir / path).read_bytes()  # the figure itself, not a link
    assert entry["job_properties"]["rule"] == "plot"
    assert entry["labels"] == {"figure": name, "site": dataset}
    assert path in report["categories"][spec.category][dataset]  # its category, then its site
    caption = _text(entry["caption"])
    assert spec.caption in caption  # the registry's caption, word for word
    site = CONFIG["datasets"][dataset]
    assert site["site"]["name"] in caption and site["data"]["label"] in caption


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("key, variant", TABLE_LABELS)
def test_every_table_is_embedded_and_shown(report, workdir, dataset, key, variant):
    table = _table_path(key, variant, dataset)
    entry = report["results"][table]
    written = (workdir / table).read_text(encoding="utf-8")
    assert _embedded(entry).decode("utf-8") == written
    assert entry["labels"] == {"table": TABLE_LABELS[key, variant], "site": dataset}
    assert table in report["categories"]["Tables"][dataset]
    assert _shown(entry["caption"]) == written.strip()  # its description shows it as written


def test_the_cross_site_summary_is_embedded(report, workdir):
    figure, table = (report["results"][path] for path in SUMMARY)
    assert sorted(sum(report["categories"]["Across sites"].values(), [])) == sorted(SUMMARY)
    assert figure["mime_type"] == "image/png" and figure["labels"]["site"] == "all sites"
    assert _embedded(figure) == (workdir / SUMMARY[0]).read_bytes()
    assert "noise floor" in _text(figure["caption"])
    written = (workdir / SUMMARY[1]).read_text(encoding="utf-8")
    assert _embedded(table).decode("utf-8") == written
    assert _shown(table["caption"]) == written.strip()


def test_the_landing_page_holds_the_configuration(report):
    page = report["workflow"]
    section = r'<p><tt class="docutils literal">(\w+)</tt>:</p>\s*<pre class="literal-block">(.*?)</pre>'
    shown = {name: json.loads(html.unescape(block)) for name, block in re.findall(section, page, re.S)}
    assert shown == CONFIG  # every section, every value, defaults filled in
    sites = _text(page[page.index("<b>Sites</b>") : page.index("<b>Configuration</b>")])
    for name in DATASETS:  # the site table
        assert f"{name} {CONFIG['datasets'][name]['site']['name']}" in sites
    for category in (*CATEGORIES, "Tables", "Across sites"):  # a link to each category
        assert f"javascript:app.showCategory('{quote(category)}')" in page, category


def test_chromium_lists_every_figure_of_every_site(report, tmp_path):
    """Debian's Chromium, headless, runs the report's app; the app lists every result of a
    search for "figures/" (what typing it into the report's search box shows), and the list
    it builds in the DOM has a row naming each figure (and table) with its site. The report
    is opened as a copy with one added script that starts that search once it has loaded."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    page = report["path"].read_text(encoding="utf-8")
    search = (
        "<script>window.addEventListener('load', () => setTimeout(() => app.setView("
        "{navbarMode: 'searchresults', searchTerm: 'figures/'}), 100));</script>"
    )
    head, tail = page.rsplit("</body>", 1)  # the last one: the bundled libraries hold the string too
    copy = tmp_path / "report.html"
    copy.write_text(head + search + "</body>" + tail, encoding="utf-8")
    run = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            copy.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    rows = [
        {_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)}
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", run.stdout, re.S)
    ]
    names = [*FIGURES, *TABLE_LABELS.values()]
    missing = [(n, d) for d in DATASETS for n in names if not any({n, d} <= r for r in rows)]
    assert not missing, missing  # a row naming the figure (or table) and its site, for each
    assert any({"site_summary", "all sites"} <= r for r in rows)
