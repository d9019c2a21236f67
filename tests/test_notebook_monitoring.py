"""The monitoring notebook end to end on a small demo world: demo data (scale 0.3),
ingestion, `run_report("monitoring")` in English and Albanian, and what it publishes.

One module-scoped run in a throw-away project folder; the tests read what it left and
compare it with ``build_report`` on the same data (the numbers the notebook must show).
"""

import json
import os
import re
import subprocess
import sys
from types import SimpleNamespace

import nbformat
import notebook_support as support
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from notebook_support import html, text, workbook

from evaluation import monitoring, pipeline
from evaluation.monitoring import narrative
from evaluation.params import load_params
from evaluation.report.donor import SUPPRESSED_FILL
from evaluation.report.labels import t

NOTEBOOK = support.ROOT / "notebooks" / "40_monitoring.ipynb"
PARAMS = ("datasets.yaml", "monitoring.yaml", "logframe.yaml")
SCALE = 0.3
THRESHOLD = 10


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("monitoring-project")
    with support.demo_project(root, NOTEBOOK, PARAMS, SCALE):
        run = pipeline.run_report("monitoring", root=root, progress=False)
        params = load_params("monitoring", root / "params" / "monitoring.yaml", root=root)
        settings = monitoring.MonitoringSettings.from_params(params)
        report = monitoring.build_report(settings=settings, root=root)
    return SimpleNamespace(root=root, run=run, report=report, truth=support.read_truth(root))


def test_both_languages_are_published_with_notebook_html_workbook_and_summary(world):
    files = ("40_monitoring.{language}.ipynb", "report.{language}.html",
             "workbook.{language}.xlsx", "summary.{language}.json")  # fmt: skip
    support.assert_published(world, "monitoring", files)


def test_html_has_no_code_and_its_headings_are_in_the_language(world):
    code = ("build_report(", "display(", "import ", "narrative.", "Traceback")
    for language in ("en", "sq"):
        soup = support.code_free_page(world, language, code)
        shown = support.headings(soup)
        assert t("monitoring.sections.dv", language) in shown
        assert t("monitoring.sections.street", language) in shown
        assert soup.find("img") is not None  # the trend charts
    albanian = text(world, "sq")
    assert "Mekanizmi i referimit të rasteve të dhunës në familje" in albanian
    assert "tetor 2023" in albanian and "October" not in albanian


def test_the_page_shows_the_numbers_of_the_report(world):
    report = world.report
    for language in ("en", "sq"):
        page = text(world, language)
        for line in narrative.summary_lines(report, language):
            assert " ".join(line.split()) in page
    counted = report.comparison.set_index("measure").loc["street_children", "estimate"]
    assert f"{int(counted)}" in text(world, "en")


def breakdown_tables(world, language):
    """The tables whose first header is a breakdown (counts of cases, children, people)."""
    titles = {t(f"monitoring.breakdowns.{v}", language) for v in ("referral_source", "risk_level",
              "admin_unit", "violence_type", "child", "activity", "accompaniment", "round_type",
              "action", "institution", "sex", "order")}  # fmt: skip
    soup = BeautifulSoup(html(world, language), "html.parser")
    for table in soup.find_all("table"):
        head = [th.get_text(strip=True) for th in table.find_all("th")]
        if head and head[0] in titles:
            rows = [
                [td.get_text(strip=True) for td in tr.find_all("td")]
                for tr in table.select("tbody tr")
            ]
            yield head, rows


def test_no_published_count_is_based_on_one_to_nine(world):
    seen, hidden = 0, 0
    for language in ("en", "sq"):
        for _head, rows in breakdown_tables(world, language):
            for row in rows:
                for cell in row[1:]:
                    if cell == "–":
                        hidden += 1
                        continue
                    value = int(cell.replace(",", "").replace("\u00a0", ""))
                    assert value == 0 or value >= THRESHOLD, f"{language}: {row}"
                    seen += 1
    assert seen > 50 and hidden > 10  # the tables were found, and small cells exist


def test_no_hidden_total_is_published_anywhere(world):
    """A total hidden in one table (trend or breakdown) is hidden in every table."""
    report = world.report
    months = {w.label: w.months for w in report.windows.values()}
    months.update({m: (m,) for m in report.windows["year"].months})
    months["All"] = report.windows["year"].months
    shown, hidden = {}, set()
    for table in report.tables.values():
        totals = table[table["category"] == "All"]
        for row in totals.itertuples(index=False):
            key = (row.measure, months[row.period])
            if row.suppressed:
                hidden.add(key)
            else:
                shown[key] = row.estimate
    assert not hidden & set(shown)


def test_workbook_matches_the_report_and_hides_small_cells(world):
    for language, about in (("en", "About"), ("sq", "Rreth")):
        book = workbook(world, language, "workbook")
        assert book.sheetnames[0] == about
        shaded = 0
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                    if cell.fill is not None and cell.fill.fgColor.rgb in (
                        SUPPRESSED_FILL,
                        f"00{SUPPRESSED_FILL}",
                        f"FF{SUPPRESSED_FILL}",
                    ):
                        assert cell.value is None, f"{sheet.title}!{cell.coordinate}"
                        shaded += 1
        assert shaded > 10
        for key in ("dv_cases", "street_children", "street_contacts", "people_trained"):
            sheet = book[t(f"monitoring.workbook.sheets.{key}", language)]
            numbers = [
                c.value
                for r in sheet.iter_rows(min_col=3, max_col=5)
                for c in r
                if isinstance(c.value, int | float) and not isinstance(c.value, bool)
            ]
            assert numbers, key
            assert all(v == 0 or v >= THRESHOLD for v in numbers), (key, numbers)


def test_no_personal_value_reaches_the_report(world):
    texts = support.readable_texts(world.run.folder)
    for path in world.run.folder.glob("*.json"):  # the e-mail summaries and the manifest
        texts[path.name] = pd.DataFrame({"text": path.read_text(encoding="utf-8").splitlines()})
    support.assert_no_planted_value(texts, world.truth)


def test_the_email_summary_is_written_in_both_languages(world):
    for language in ("en", "sq"):
        summary = json.loads(
            (world.run.folder / f"summary.{language}.json").read_text(encoding="utf-8")
        )
        assert summary["lines"] == [
            " ".join(x.split()) for x in narrative.summary_lines(world.report, language)
        ]
        assert summary["attention"] == [
            " ".join(x.split()) for x in narrative.attention(world.report, language)
        ]
        assert 1 <= len(summary["lines"]) <= 12
    assert "tetor 2023" in " ".join(json.loads(
        (world.run.folder / "summary.sq.json").read_text(encoding="utf-8"))["lines"])  # fmt: skip


def test_manifest_records_the_registers_and_the_logframe(world):
    manifest = json.dumps(json.loads(world.run.manifest.read_text(encoding="utf-8")))
    for name in ("dv_referral_case.parquet", "street_situation_contact.parquet", "logframe.yaml"):
        assert name in manifest


def test_a_month_without_data_fails_in_one_line_and_keeps_latest(world):
    env = {**os.environ, "WORKBENCH_ROOT": str(world.root)}
    done = subprocess.run(
        [sys.executable, "-m", "evaluation.cli", "run", "monitoring", "--period", "2030-01",
         "--language", "en", "--no-progress"],
        capture_output=True, text=True, env=env, cwd=world.root, timeout=300,
    )  # fmt: skip
    assert done.returncode == 1
    # (the kernel may log its own shutdown on stderr too; the workbench's error is one line)
    lines = [line for line in done.stderr.splitlines() if line.startswith("workbench run:")]
    assert len(lines) == 1, done.stderr
    assert re.search(r"period 2030-01 is after the last month with monitoring data", lines[0])
    assert "choose a month from 2022-01 to 2023-12" in lines[0]
    assert pipeline.latest_run("monitoring", world.root) == world.run.folder


def test_parameters_cell_declares_every_key_and_its_defaults_pass_the_checks():
    checked = support.checked_parameters_cell(NOTEBOOK, "monitoring")
    assert checked["street_hotspots"] == r"H\d+"
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        assert cell.get("outputs", []) == [] and cell.get("execution_count") is None
