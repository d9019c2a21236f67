"""The data-quality notebook end to end on a small demo world: demo data (scale 0.3),
ingestion, `run_report("quality")` in English and Albanian, and what it publishes.

One module-scoped run in a throw-away project folder; the tests read what it left. The
planted faults of ``truth.json`` are the known answers: the report must find them.
"""

import json
import re
from types import SimpleNamespace

import notebook_support as support
import openpyxl
import pytest
from notebook_support import text, workbook

from evaluation import pipeline
from evaluation.report.tables import format_count

NOTEBOOK = support.ROOT / "notebooks" / "00_data_quality.ipynb"
PARAMS = ("datasets.yaml", "quality.yaml")
SCALE = 0.3


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("quality-project")
    with support.demo_project(root, NOTEBOOK, PARAMS, SCALE):
        run = pipeline.run_report("quality", root=root, progress=False)
    return SimpleNamespace(root=root, run=run, truth=support.read_truth(root))


def fault_count(truth, fault):
    return sum(faults.get(fault, {}).get("count", 0) for faults in truth["faults"].values())


def test_both_languages_are_published_with_notebook_html_and_workbook(world):
    files = ("00_data_quality.{language}.ipynb", "report.{language}.html",
             "field_workbook.{language}.xlsx")  # fmt: skip
    support.assert_published(world, "quality", files)


def test_html_has_no_code_and_its_headings_are_in_the_language(world):
    code = ("run_checks(", "display(", "import ", "narrative.", "In&nbsp;[", "Traceback")
    for language, heading in (("en", "Interview durations"), ("sq", "Kohëzgjatja e intervistave")):
        soup = support.code_free_page(world, language, code)
        assert heading in support.headings(soup)
    albanian = text(world, "sq")
    assert "Raporti i cilësisë së të dhënave" in albanian
    assert "Data quality report" not in albanian  # the English title cell is not shown


def test_the_report_finds_the_planted_faults(world):
    page = text(world, "en")
    short = fault_count(world.truth, "short_interview")  # all under 8 minutes
    assert f"{format_count(short)} interviews" in page
    refused = fault_count(world.truth, "refused_assent")
    assert re.search(rf"\b{refused} of [\d,]+ respondents", page)
    book = openpyxl.load_workbook(world.run.folder / "field_workbook.en.xlsx", read_only=True)
    sheet = book["Short interviews"]
    assert sheet.max_row - 3 == short  # title, blank row, header, then one row each
    listed = set()
    for sheet in book.worksheets:  # the flagged-submission sheets have these two columns
        rows = list(sheet.iter_rows(values_only=True))
        header = next((r for r in rows[:6] if "Problem" in r and "Submission ID" in r), None)
        if header is None:
            continue
        problem, submission = header.index("Problem"), header.index("Submission ID")
        listed |= {
            r[submission]
            for r in rows
            if r[problem] == "Panel code not found at baseline in the same school"
        }
    mismatched = set(
        world.truth["faults"]["youth_survey_endline.sav"]["panel_code_mismatch"]["ids"]
    )
    assert mismatched <= listed  # every planted mismatch is flagged for the field team


def test_numbers_follow_the_albanian_conventions(world):
    page = text(world, "sq")
    assert re.search(r"\d,\d%", page)  # decimal comma
    assert not re.search(r"\d\.\d%", page)


def test_no_personal_value_reaches_the_report(world):
    support.assert_no_planted_value(support.readable_texts(world.run.folder), world.truth)


def test_workbooks_have_about_first_and_no_formula(world):
    for language, about in (("en", "About"), ("sq", "Rreth")):
        book = workbook(world, language, "field_workbook")
        assert book.sheetnames[0] == about
        support.assert_no_formulas(book, language)


def test_manifest_records_the_clean_inputs(world):
    manifest = json.loads(world.run.manifest.read_text(encoding="utf-8"))
    text_ = json.dumps(manifest)
    for name in ("youth_survey.parquet", "quarantine.csv", "ingest_log.json"):
        assert name in text_


def test_parameters_cell_declares_every_key_and_its_defaults_pass_the_checks():
    checked = support.checked_parameters_cell(NOTEBOOK, "quality")
    assert checked["short_share"] == pytest.approx(1 / 3)
