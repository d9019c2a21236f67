"""The baseline notebook end to end on a small demo world: demo data (scale 0.3), ingestion,
`run_report("baseline")` in English and Albanian, and what it publishes.

One module-scoped run in a throw-away project folder; the tests read what it left and check
it against the library called directly on the same clean data (indicators, balance) and
against the small-cell rule (no published value based on fewer than 10 respondents, none
recoverable from the totals, no planted personal value).
"""

import json
import re
import warnings
from pathlib import Path
from types import SimpleNamespace

import notebook_support as support
import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from notebook_support import html, text, workbook

from evaluation import pipeline
from evaluation.baseline import load, sections
from evaluation.baseline.labels import category_labels
from evaluation.impact import balance_table
from evaluation.indicators import compute_indicator, compute_prepared, disaggregation_table
from evaluation.params import check_params
from evaluation.privacy import recoverable_cells

NOTEBOOK = support.ROOT / "notebooks" / "10_baseline.ipynb"
PARAMS = ("datasets.yaml", "logframe.yaml", "baseline.yaml")
SCALE = 0.3
THRESHOLD = 10
DISAGGREGATION_SHEETS = {
    "en": ["Sex", "Age band", "Disability", "Administrative unit", "Project or comparison area"],
    "sq": ["Gjinia", "Grupmosha", "Aftësi e kufizuar", "Njësia administrative"],
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("baseline-project")
    with support.demo_project(root, NOTEBOOK, PARAMS, SCALE):
        run = pipeline.run_report("baseline", root=root, progress=False)
        data = load(offline_run(root))
    return SimpleNamespace(root=root, run=run, truth=support.read_truth(root), data=data)


def offline_run(root: Path, language: str = "en") -> SimpleNamespace:
    """What the notebook's ``run`` offers, for calling the library on the same data."""
    params = check_params("baseline", {"language": language})
    return SimpleNamespace(
        params=params,
        root=root,
        language=language,
        report="baseline",
        run_id="interactive",
        interactive=True,
        notes=[],
        record_input=lambda path: None,
        note=lambda text: None,
    )


def table_rows(ws):
    """The sheet's table as dicts (header: the first row with a filled first cell after the
    title and notes; rows until the first empty row)."""
    values = list(ws.iter_rows(values_only=True))
    start = next(
        i
        for i, row in enumerate(values)
        if i > 0
        and row[0] is not None
        and ws.cell(i + 1, 1).font.color is not None
        and str(ws.cell(i + 1, 1).fill.fgColor.rgb).endswith("1F4E79")
    )
    header = values[start]
    rows = []
    for row in values[start + 1 :]:
        if all(v is None for v in row):
            break
        rows.append(dict(zip(header, row, strict=False)))
    return header, rows


# --------------------------------------------------------------------------- published
def test_both_languages_are_published_with_notebook_html_and_workbook(world):
    files = ("10_baseline.{language}.ipynb", "report.{language}.html",
             "donor_workbook.{language}.xlsx")  # fmt: skip
    support.assert_published(world, "baseline", files)


def test_html_has_no_code_and_its_headings_are_in_the_language(world):
    expected = {
        "en": ("Project and comparison areas at baseline", "What the endline can detect"),
        "sq": ("Zonat e projektit dhe ato krahasuese në studimin bazë", "Besueshmëria e shkallëve"),
    }
    code = ("sections.", "display(", "import ", "narrative.", "In&nbsp;[", "Traceback")
    for language, wanted in expected.items():
        soup = support.code_free_page(world, language, code)
        assert set(wanted) <= set(support.headings(soup, "h2", "h3"))
    assert "Raporti i studimit bazë" in text(world, "sq")
    assert "Baseline report" not in text(world, "sq")


def test_the_reading_of_the_risk_model_warns_against_labelling_students(world):
    assert "Do not use the model to label, screen or single out individual students" in text(
        world, "en"
    )
    assert "Mos e përdorni modelin për të etiketuar" in text(world, "sq")


def test_the_report_quotes_the_baseline_numbers_of_the_library(world):
    imp1 = compute_indicator(world.data.logframe, "IMP1", world.data.tables, period="baseline")
    page = text(world, "en")
    assert f"{100 * imp1['estimate'].iloc[0]:.1f}%" in page
    respondents = int((world.data.baseline["assent"] == "yes").sum())
    assert f"{respondents:,} students" in page


# --------------------------------------------------------------------------- workbook
def test_workbook_sheets_in_the_donors_shape_in_both_languages(world):
    english, albanian = workbook(world, "en"), workbook(world, "sq")
    assert english.sheetnames[:3] == ["About", "Logframe", "Headline indicators"]
    assert english.sheetnames[-2:] == ["Balance", "Sample"]
    assert albanian.sheetnames[:3] == ["Rreth", "Korniza logjike", "Treguesit kryesorë"]
    for sheet in DISAGGREGATION_SHEETS["en"]:
        assert sheet in english.sheetnames
    for sheet in DISAGGREGATION_SHEETS["sq"]:
        assert sheet in albanian.sheetnames
    header, _ = table_rows(albanian["Korniza logjike"])
    assert header[:4] == ("Kodi", "Niveli", "Treguesi", "Njësia")


def test_logframe_actuals_are_the_librarys_estimates_with_percent_formats(world):
    ws = workbook(world, "en")["Logframe"]
    header, rows = table_rows(ws)
    imp1 = next(r for r in rows if r["ID"] == "IMP1")
    expected = compute_indicator(world.data.logframe, "IMP1", world.data.tables, period="baseline")
    assert imp1["Actual"] == pytest.approx(expected["estimate"].iloc[0], rel=1e-12)
    assert imp1["CI lower"] == pytest.approx(expected["ci_low"].iloc[0], rel=1e-12)
    first = next(c.row for c in ws["A"] if c.value == "IMP1")  # its worksheet row
    assert ws.cell(first, header.index("Actual") + 1).number_format == "0.0%"
    assert ws.cell(first, header.index("Baseline") + 1).number_format == "0.0%"
    assert len(workbook(world, "en")["Headline indicators"]._charts) == 1


def test_about_sheet_lists_the_clean_data_with_fingerprints_and_the_rule(world):
    ws = workbook(world, "en")["About"]
    cells = [c for row in ws.iter_rows(values_only=True) for c in row if c]
    assert "surveys/data/demo/clean/youth_survey.parquet" in cells
    assert any(isinstance(c, str) and len(c) == 64 for c in cells)
    assert any(str(c).startswith("Cells based on fewer than 10 respondents") for c in cells)
    assert any(str(c).startswith("Baseline (") for c in cells)  # the round and its dates


def test_no_published_disaggregation_cell_is_small_or_recoverable(world):
    """Every published estimate rests on 10+ respondents, and on 10+ with the characteristic
    (or none) for proportions; within each indicator the hidden categories cannot be worked
    back from the total."""
    book = workbook(world, "en")
    data = world.data
    counts = sections.disaggregations(data)
    labels = {d: category_labels(data, d) for d in counts}
    checked_hidden = 0
    for dimension, sheet in zip(
        data.params["dimensions"], DISAGGREGATION_SHEETS["en"], strict=True
    ):
        header, rows = table_rows(book[sheet])
        column = header[3]
        table = counts[dimension]
        for indicator, block in pd.DataFrame(rows).groupby("ID", sort=False):
            published = block[block["Estimate"].notna()]
            assert (published["n (unweighted)"] >= THRESHOLD).all(), (sheet, indicator)
            mine = table[table["indicator"] == indicator]
            small = mine[(mine["count"] > 0) & (mine["count"] < THRESHOLD)]
            shown = dict(zip(block[column], block["Estimate"], strict=True))
            for code in small[sections.dimension_column(data, dimension)]:
                assert pd.isna(shown[labels[dimension].get(code, code)]), (sheet, indicator, code)
            checked_hidden += int(block["Estimate"].isna().sum())
            n = pd.to_numeric(block["n (unweighted)"], errors="coerce").to_numpy(dtype=float)
            grid = pd.DataFrame([n], columns=[str(c) for c in block[column]], index=["n"])
            grid = grid.rename(columns={"Total": "All"})
            assert recoverable_cells(grid, margins_known=False) == [], (sheet, indicator)
    assert checked_hidden > 0  # the small world has small cells: the rule was exercised


def test_counts_with_the_characteristic_are_the_unweighted_numerators(world):
    data = world.data
    table = sections.disaggregations(data)["sex"]
    exact = compute_prepared(
        data.logframe, "IMP1", {data.params["table"]: data.baseline}, "baseline", "sex",
        design="exact",
    )  # fmt: skip
    mine = table[(table["indicator"] == "IMP1") & (table["sex"] != "total")]
    expected = (exact["estimate"] * exact["n"]).round().astype(int).tolist()
    assert mine["count"].astype(int).tolist() == expected


def test_the_disaggregations_equal_the_librarys_disaggregation_table(world):
    data = world.data
    fast = sections.disaggregations(data)
    for dimension in ("sex", "unit"):
        column = sections.dimension_column(data, dimension)
        reference = disaggregation_table(
            data.logframe, data.tables, column,
            ids=sections.survey_indicators(data, dimension), period="baseline",
        )  # fmt: skip
        mine = fast[dimension].drop(columns=["count"]).reset_index(drop=True)
        assert mine[column].astype(str).tolist() == reference[column].astype(str).tolist()
        for name in ("estimate", "se", "ci_low", "ci_high"):
            np.testing.assert_allclose(
                mine[name].astype(float), reference[name].astype(float), rtol=1e-12
            )
        assert mine["n"].tolist() == reference["n"].tolist()


def test_balance_sheet_holds_the_librarys_balance_table(world):
    data = world.data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = balance_table(
            data.respondents, ["age"], "arm", cluster="school_code", weights="weight",
            comparison="comparison",
        )  # fmt: skip
    difference = reference[reference["term"] == "difference"]["estimate"].iloc[0]
    _, rows = table_rows(workbook(world, "en")["Balance"])
    age = next(r for r in rows if r["Variable"] == "Age (years)")
    assert age["Difference"] == pytest.approx(difference, rel=1e-12)


def test_sample_sheet_hides_small_counts_so_that_totals_do_not_give_them_away(world):
    header, rows = table_rows(workbook(world, "en")["Sample"])
    frame = pd.DataFrame(rows)
    areas = [h for h in header if h.startswith("Respondents: ") and h != "Respondents: total"]
    for dimension, block in frame.groupby(frame["Characteristic"].ffill(), sort=False):
        values = block.set_index("Category")[[*areas, "Respondents: total"]]
        published = values.apply(pd.to_numeric, errors="coerce")
        small = (published > 0) & (published < THRESHOLD)
        assert not small.any().any(), dimension
        grid = published.rename(index={"Total": "All"}, columns={"Respondents: total": "All"})
        assert recoverable_cells(grid) == [], dimension


def test_workbooks_have_no_formula_cells(world):
    for language in ("en", "sq"):
        support.assert_no_formulas(workbook(world, language), language)


def test_no_planted_personal_value_reaches_the_report(world):
    support.assert_no_planted_value(support.readable_texts(world.run.folder), world.truth)


def test_manifest_records_the_inputs_and_method_notes(world):
    manifest = json.loads(world.run.manifest.read_text(encoding="utf-8"))
    text_ = json.dumps(manifest, ensure_ascii=False)
    for name in ("youth_survey.parquet", "ingest_log.json", "logframe.yaml"):
        assert name in text_
    assert any("Firth" in note for note in manifest["notes"]["en"])


def test_parameters_cell_declares_every_key_and_its_defaults_pass_the_checks():
    checked = support.checked_parameters_cell(NOTEBOOK, "baseline")
    assert checked["balance"]["cluster"] == "school_code"
    assert checked == check_params("baseline", {}, source="defaults")


def test_respondents_per_school_are_shown_as_counts(world):
    soup = BeautifulSoup(html(world, "en"), "html.parser")
    table = next(
        t for t in soup.find_all("table") if "Fewest respondents in a school" in t.get_text()
    )
    headers = [th.get_text(" ", strip=True) for th in table.find("thead").find_all("th")]
    column = headers.index("Median")
    medians = [
        row.find_all(["td", "th"])[column].get_text(strip=True)
        for row in table.find("tbody").find_all("tr")
    ]
    assert medians and all(re.fullmatch(r"\d[\d,]*(\.\d)?", m) for m in medians), medians
