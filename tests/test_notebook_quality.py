"""The data-quality notebook end to end on a small demo world: demo data (scale 0.3),
ingestion, `run_report("quality")` in English and Albanian, and what it publishes.

One module-scoped run in a throw-away project folder; the tests read what it left. The
planted faults of ``truth.json`` are the known answers: the report must find them.
"""

import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from evaluation import pipeline
from evaluation.ingest import ingest_dataset
from evaluation.privacy import scan_for_values
from evaluation.report.tables import format_count
from evaluation.synth import write_demo_world

ROOT = Path(__file__).resolve().parents[1]
SCALE = 0.3


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("quality-project")
    for folder in ("notebooks", "params", "surveys/instruments"):
        (root / folder).mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / "00_data_quality.ipynb", root / "notebooks")
    for name in ("datasets.yaml", "quality.yaml"):
        shutil.copy(ROOT / "params" / name, root / "params")
    for form in (ROOT / "surveys" / "instruments").glob("*.xlsx"):
        shutil.copy(form, root / "surveys" / "instruments")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKBENCH_ROOT", str(root))
        write_demo_world(root / "surveys" / "data" / "demo" / "raw", scale=SCALE)
        ingest_dataset("demo", root=root)
        run = pipeline.run_report("quality", root=root, progress=False)
    truth = json.loads((root / "surveys/data/demo/raw/truth.json").read_text(encoding="utf-8"))
    return SimpleNamespace(root=root, run=run, truth=truth)


def html(world, language):
    return world.run.html[language].read_text(encoding="utf-8")


def text(world, language):
    return " ".join(BeautifulSoup(html(world, language), "html.parser").get_text(" ").split())


def fault_count(truth, fault):
    return sum(faults.get(fault, {}).get("count", 0) for faults in truth["faults"].values())


def test_both_languages_are_published_with_notebook_html_and_workbook(world):
    names = {p.name for p in world.run.folder.iterdir()}
    for language in ("en", "sq"):
        assert {
            f"00_data_quality.{language}.ipynb",
            f"report.{language}.html",
            f"field_workbook.{language}.xlsx",
        } <= names
    assert "manifest.json" in names
    assert pipeline.latest_run("quality", world.root) == world.run.folder


def test_html_has_no_code_and_its_headings_are_in_the_language(world):
    for language, heading in (("en", "Interview durations"), ("sq", "Kohëzgjatja e intervistave")):
        page = html(world, language)
        assert f'<html lang="{language}">' in page
        for code in ("run_checks(", "display(", "import ", "narrative.", "In&nbsp;[", "Traceback"):
            assert code not in page, f"{language}: {code!r} in the HTML"
        soup = BeautifulSoup(page, "html.parser")
        assert not soup.select(".jp-InputArea, .input_area, .jp-InputPrompt")
        headings = [h.get_text(" ", strip=True).rstrip("¶ ") for h in soup.find_all("h2")]
        assert heading in headings
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


def readable_texts(folder: Path) -> dict[str, pd.DataFrame]:
    """What readers get: the HTML pages' text (without the embedded images, which hold no
    text and make a scan of the raw files take minutes) and every workbook cell and sheet
    name. The executed notebooks' outputs are what the pages show."""
    texts = {}
    for path in folder.glob("*.html"):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        for img in soup.find_all("img"):
            img.decompose()
        texts[path.name] = pd.DataFrame({"text": soup.get_text("\n").splitlines()})
    for path in folder.glob("*.xlsx"):
        book = openpyxl.load_workbook(path, read_only=True)
        for sheet in book.worksheets:
            rows = list(sheet.iter_rows(values_only=True))
            texts[f"{path.name}!{sheet.title}"] = pd.DataFrame(rows).astype(str)
            texts[f"{path.name}!{sheet.title} (name)"] = pd.DataFrame({"name": [sheet.title]})
    return texts


def test_no_personal_value_reaches_the_report(world):
    planted = world.truth["planted_personal_values"]["all"]
    found = scan_for_values(readable_texts(world.run.folder), planted)
    assert found.empty, found.head().to_string()


def test_workbooks_have_about_first_and_no_formula(world):
    for language, about in (("en", "About"), ("sq", "Rreth")):
        book = openpyxl.load_workbook(world.run.folder / f"field_workbook.{language}.xlsx")
        assert book.sheetnames[0] == about
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f"


def test_manifest_records_the_clean_inputs(world):
    manifest = json.loads(world.run.manifest.read_text(encoding="utf-8"))
    text_ = json.dumps(manifest)
    for name in ("youth_survey.parquet", "quarantine.csv", "ingest_log.json"):
        assert name in text_


def test_parameters_cell_declares_every_key_and_its_defaults_pass_the_checks():
    import nbformat

    from evaluation.params import check_params, schema_for

    notebook = nbformat.read(ROOT / "notebooks" / "00_data_quality.ipynb", as_version=4)
    cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    namespace: dict = {}
    exec(cell.source, namespace)  # literal assignments only
    values = {k: v for k, v in namespace.items() if not k.startswith("__")}
    assert set(values) == set(schema_for("quality"))
    checked = check_params("quality", values, source="parameters cell")
    assert checked["short_share"] == pytest.approx(1 / 3)
