"""The donor workbook, read back with openpyxl: sheets in the donor's shape, headers in the
language, number formats by unit, small cells hidden with secondary suppression (checked by
exact recovery from the totals), no formula from data, no personal field, reproducible."""

import datetime as dt
import math
from types import SimpleNamespace

import numpy as np
import openpyxl
import pandas as pd
import pytest

from evaluation.errors import ParamsError, PrivacyError, ReportError
from evaluation.indicators import ITT_COLUMNS
from evaluation.privacy import recoverable_cells, scan_for_values
from evaluation.report.donor import (
    SUPPRESSED_FILL,
    TOTAL,
    DonorWorkbook,
    Protected,
    protect,
    protect_sample,
)
from evaluation.results import ResultInfo

RUN_ID = "20261028T101530Z-3f2a9c1b"
THRESHOLD = 10


# --------------------------------------------------------------------------- fixtures
def itt() -> pd.DataFrame:
    """Four indicators: a survey percent, a score, a register count on 6 cases (small), and
    one the workbench does not collect."""
    rows = [
        ("IMP1", "impact", "Any delinquent act", "percent", 0.28, 0.26, 0.23, 0.2794, 0.2455,
         0.3160, 1155, "baseline", 0.0, "on track"),
        ("OC1.1", "outcome", "Attitudes score", "score", 72.0, 74.0, 77.0, 71.85, 69.99,
         73.71, 1155, "baseline", -0.03, "at risk"),
        ("OC2.4", "outcome", "Cases with two services", "percent", 0.70, 0.72, 0.75, 0.50,
         0.12, 0.88, 6, "2022-Q2", -4.0, "off track"),
        ("IMP2", "impact", "Suspects per 1,000", "rate", 6.0, 5.6, 5.0, np.nan, np.nan,
         np.nan, pd.NA, None, np.nan, "not collected"),
    ]  # fmt: skip
    frame = pd.DataFrame(
        rows,
        columns=[
            "id", "level", "indicator", "unit", "baseline", "milestone", "target", "actual",
            "ci_low", "ci_high", "n", "period", "pct_of_target", "status",
        ],
    )  # fmt: skip
    frame["baseline_date"] = dt.date(2022, 11, 11)
    frame["milestone_date"] = dt.date(2023, 6, 30)
    frame["target_date"] = dt.date(2024, 6, 30)
    frame["source"] = "Youth survey"
    frame["frequency"] = "annual"
    frame["note"] = ""
    frame["n"] = pd.array(frame["n"], dtype="Int64")
    return frame[list(ITT_COLUMNS)]


def by_unit() -> pd.DataFrame:
    """One indicator by unit with its total: Tregan (n 6) must go, and one more unit with it.

    Shaped as ``disaggregation_table`` gives it for the ``unit`` dimension: the indicator's
    unit moves to ``indicator_unit``, named by ``extra["unit_column"]``."""
    units = [TOTAL, "elbasan", "paper", "shirgjan", "tregan"]
    n = [146, 80, 30, 30, 6]
    estimate = [0.30, 0.28, 0.33, 0.35, 0.33]
    frame = pd.DataFrame(
        {
            "indicator": "IMP1",
            "indicator_name": "Any delinquent act",
            "period": "baseline",
            "unit": units,
            "estimate": estimate,
            "se": 0.02,
            "ci_low": [e - 0.05 for e in estimate],
            "ci_high": [e + 0.05 for e in estimate],
            "p_value": np.nan,
            "df": 38.0,
            "n": pd.array(n, dtype="Int64"),
            "indicator_unit": "percent",
        }
    )
    frame.attrs["info"] = ResultInfo(
        estimator="indicators.disaggregation_table",
        extra={"dimension": "unit", "unit_column": "indicator_unit"},
    )
    return frame


def sample() -> pd.DataFrame:
    """Respondents by sex and area, with totals; 'prefer_not' has 4 and 3."""
    cells = {
        ("female", "comparison"): 40, ("female", "project"): 35,
        ("male", "comparison"): 38, ("male", "project"): 41,
        ("prefer_not", "comparison"): 4, ("prefer_not", "project"): 3,
    }  # fmt: skip
    rows = []
    for category in ("female", "male", "prefer_not", TOTAL):
        for arm in ("comparison", "project", TOTAL):
            value = sum(
                v for (c, a), v in cells.items() if category in (c, TOTAL) and arm in (a, TOTAL)
            )
            rows.append({"dimension": "sex", "category": category, "arm": arm, "n": value})
    return pd.DataFrame(rows).astype({"n": "Int64"})


def balance() -> pd.DataFrame:
    rows = [
        ("age", "comparison", "mean", 14.97, 588, 1.24, np.nan),
        ("age", "project", "mean", 15.09, 567, 1.44, np.nan),
        ("age", "project", "difference", 0.12, 1155, np.nan, 0.086),
        ("rare", "comparison", "mean", 0.5, 8, 0.5, np.nan),
        ("rare", "project", "mean", 0.4, 30, 0.5, np.nan),
        ("rare", "project", "difference", -0.1, 38, np.nan, -0.2),
        ("(joint F-test)", "project", "joint_f_test", 1.8, 1155, np.nan, np.nan),
    ]
    frame = pd.DataFrame(
        rows, columns=["variable", "arm", "term", "estimate", "n", "sd", "std_diff"]
    )
    frame["se"] = 0.1
    frame["ci_low"] = frame["estimate"] - 0.2
    frame["ci_high"] = frame["estimate"] + 0.2
    frame["p_value"] = 0.5
    frame["df"] = 41.0
    return frame


def build(folder, language="en", **extra):
    book = DonorWorkbook(
        language,
        report="baseline",
        run_id=RUN_ID,
        min_cell_size=THRESHOLD,
        forbidden=["panel_code", "participant_name"],
        dataset="demo",
        **extra,
    )
    book.add_source(folder / "data.csv", sha256="a" * 64)
    book.add_note("Estimates are design-based.")
    book.add_logframe(itt())
    book.add_disaggregation(by_unit(), "unit", dimension_label="Administrative unit")
    book.add_balance(balance(), labels={"variable": {"age": "Age (years)"}})
    book.add_sample(sample(), labels={"category": {"female": "Female"}})
    book.add_impact(
        pd.DataFrame(
            {
                "outcome": ["attitudes_scale", "attitudes_scale"],
                "estimator": ["did", "ancova"],
                "term": ["did", "treatment"],
                "estimate": [0.2, 0.19],
                "ci_low": [0.05, 0.06],
                "ci_high": [0.35, 0.32],
                "p_value": [0.01, 0.004],
                "n": pd.array([2000, 7], dtype="Int64"),
            }
        ),
        labels={"outcome": {"attitudes_scale": "Attitudes scale"}},
    )
    return book


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("donor")
    (folder / "data.csv").write_text("x\n1\n", encoding="utf-8")
    book = build(folder)
    path = book.save(folder / "donor.en.xlsx")
    return SimpleNamespace(
        folder=folder,
        book=book,
        path=path,
        wb=openpyxl.load_workbook(path),
        log=book.suppression_log,
    )


def rows_of(ws):
    """The sheet's table as dicts, from its header row (the first filled header cell)."""
    values = list(ws.iter_rows(values_only=True))
    start = next(
        i
        for i, r in enumerate(values)
        if r[0] is not None and ws.cell(i + 1, 1).fill.fgColor.rgb.endswith("1F4E79")
    )
    header = values[start]
    out = []
    for row in values[start + 1 :]:
        if all(v is None for v in row):
            break
        out.append(dict(zip(header, row, strict=False)))
    return start + 1, header, out


# --------------------------------------------------------------------------- protect()
def test_protect_hides_small_rows_and_their_complement_in_a_grid():
    protected = protect(
        by_unit(),
        by="unit",
        split_by=["indicator", "period"],
        keep=["indicator_name", "indicator_unit"],
    )
    reasons = dict(zip(by_unit()["unit"], protected.reasons, strict=True))
    assert reasons["tregan"] == "primary: n<10"
    assert reasons["paper"] == "secondary" or reasons["shirgjan"] == "secondary"
    assert reasons[TOTAL] == "" and reasons["elbasan"] == ""
    hidden = protected.table[protected.reasons != ""]
    assert hidden[["estimate", "ci_low", "ci_high", "n"]].isna().all().all()
    assert hidden["indicator_name"].notna().all()  # labels are kept
    # one line and its total: the single row's own margin is the row, so only the total counts
    published = protected.table.set_index("unit")["n"].astype("Float64").to_frame().T
    published = published.rename(columns={TOTAL: "Total"})
    assert recoverable_cells(published, margins_known=False) == []
    only_primary = published.copy()
    only_primary.loc[:, ["paper", "shirgjan"]] = 30.0  # had Tregan alone been hidden ...
    assert recoverable_cells(only_primary, margins_known=False) == [("n", "tregan")]


def test_protect_without_by_hides_only_the_small_rows_and_ignores_rows_without_numbers():
    protected = protect(itt(), n="n", hide=["actual", "ci_low", "ci_high", "n", "status"])
    assert protected.reasons.tolist() == ["", "", "primary: n<10", ""]
    assert pd.isna(protected.table.loc[2, "actual"])
    assert protected.table.loc[2, "baseline"] == 0.70  # targets are not data
    assert protected.table.loc[3, "status"] == "not collected"  # nothing to hide: no number


def test_protect_counts_with_the_characteristic():
    table = by_unit().assign(count=pd.array([44, 22, 3, 11, 2], dtype="Int64"))
    protected = protect(table, by="unit", split_by=["indicator", "period"], count="count")
    reasons = dict(zip(table["unit"], protected.reasons, strict=True))
    assert reasons["paper"] == "primary: count<10"
    assert reasons["tregan"] == "primary: n<10"


def test_protect_n_none_publishes_everything_and_missing_columns_are_errors():
    assert protect(itt(), n=None).n_hidden == 0
    with pytest.raises(ReportError, match="no column 'respondents'"):
        protect(itt(), n="respondents")


def test_protect_sample_hides_small_counts_across_categories_and_areas():
    protected = protect_sample(sample(), THRESHOLD)
    wide = protected.table.set_index("category")
    assert list(wide.columns[:1]) == ["dimension"]
    assert pd.isna(wide.at["prefer_not", "n_comparison"])
    assert pd.isna(wide.at["prefer_not", "n_project"])
    # with both prefer-not counts hidden, the female or male row must hide some too
    others = wide.loc[["female", "male"], ["n_comparison", "n_project"]]
    assert others.isna().sum().sum() >= 2
    grid = wide[["n_comparison", "n_project", "n_total"]].astype("Float64")
    grid = grid.rename(index={TOTAL: "Total"}, columns={"n_total": "Total"})
    assert recoverable_cells(grid) == []
    assert wide.at[TOTAL, "n_total"] == 161
    for category in ("female", "male"):  # a share is published exactly when its count is
        total = wide.at[category, "n_total"]
        share = wide.at[category, "share"]
        assert (pd.isna(total) and pd.isna(share)) or share == pytest.approx(total / 161)


# --------------------------------------------------------------------------- the workbook
def test_sheets_in_the_donors_shape_with_about_first(saved):
    assert saved.wb.sheetnames == [
        "About", "Logframe", "Headline indicators", "Administrative unit", "Balance", "Sample",
        "Impact",
    ]  # fmt: skip


def test_about_lists_run_sources_notes_and_the_suppression_rule(saved):
    cells = [c for row in saved.wb["About"].iter_rows(values_only=True) for c in row if c]
    assert "Baseline report: donor workbook" in cells
    assert RUN_ID in cells and "2026-10-28 10:15 UTC" in cells
    assert "a" * 64 in cells
    assert "Estimates are design-based." in cells
    rule = next(c for c in cells if str(c).startswith("Cells based on fewer than 10"))
    assert f"{len(saved.log)} rows on" in rule


def test_logframe_sheet_headers_formats_status_colours_and_hidden_small_actual(saved):
    ws = saved.wb["Logframe"]
    start, header, rows = rows_of(ws)
    assert header[:4] == ("ID", "Level", "Indicator", "Unit")
    assert "% of target" in header and "Suppressed" in header
    by_id = {r["ID"]: (i, r) for i, r in enumerate(rows)}
    i, imp1 = by_id["IMP1"]
    assert imp1["Actual"] == pytest.approx(0.2794) and imp1["Status"] == "On track"
    col = header.index("Actual") + 1
    assert ws.cell(start + 1 + i, col).number_format == "0.0%"
    i, score = by_id["OC1.1"]
    assert score["Actual"] == pytest.approx(71.85)
    assert ws.cell(start + 1 + i, col).number_format == "0.0"
    assert ws.cell(start + 1 + i, header.index("Status") + 1).fill.fgColor.rgb.endswith("FFEB9C")
    i, small = by_id["OC2.4"]
    assert small["Actual"] is None and small["n (unweighted)"] is None
    assert small["Baseline"] == 0.70 and small["Target"] == 0.75
    assert small["Suppressed"] == "Based on fewer than 10"
    assert ws.cell(start + 1 + i, col).fill.fgColor.rgb.endswith(SUPPRESSED_FILL)
    assert by_id["IMP2"][1]["Status"] == "Not collected"
    assert ws.freeze_panes == f"D{start + 1}"
    assert ws.auto_filter.ref.startswith(f"A{start}")
    assert ws.page_setup.orientation == "landscape"


def test_headline_sheet_has_a_native_bar_chart_of_the_published_percent_indicators(saved):
    ws = saved.wb["Headline indicators"]
    _, header, rows = rows_of(ws)
    assert header[:5] == ("ID", "Indicator", "Baseline", "Actual", "Target")
    assert [r["ID"] for r in rows] == ["IMP1", "OC2.4"]
    assert rows[1]["Actual"] is None  # hidden as on the Logframe sheet
    assert len(ws._charts) == 1
    assert ws._charts[0].tagname == "barChart"


def test_disaggregation_hides_the_small_unit_and_one_more_with_a_footnote(saved):
    ws = saved.wb["Administrative unit"]
    start, header, rows = rows_of(ws)
    assert header[:4] == ("ID", "Indicator", "Period", "Administrative unit")
    hidden = [r["Administrative unit"] for r in rows if r["Estimate"] is None]
    assert "tregan" in hidden and len(hidden) == 2
    total = next(r for r in rows if r["Administrative unit"] == "Total")
    assert total["n (unweighted)"] == 146
    # the indicator's unit (percent) comes from indicator_unit, not the dimension column
    column = header.index("Estimate") + 1
    assert ws.cell(start + 1, column).number_format == "0.0%"
    notes = [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any(
        n.startswith("Values based on fewer than 10 respondents are not shown") for n in notes
    )


def sheet_text(ws) -> list[str]:
    return [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]


@pytest.mark.parametrize("language", ["en", "sq"])
def test_disaggregation_explains_an_estimate_without_an_interval(tmp_path, language):
    table = by_unit()
    table.loc[table["unit"] == "paper", ["ci_low", "ci_high"]] = np.nan  # one school: df 0
    book = DonorWorkbook(language, report="baseline", run_id=RUN_ID, min_cell_size=THRESHOLD)
    book.add_disaggregation(table, "unit", sheet="with")
    book.add_disaggregation(by_unit(), "unit", sheet="without")
    wb = openpyxl.load_workbook(book.save(tmp_path / f"d.{language}.xlsx"))
    cue = {"en": "without a confidence interval", "sq": "pa interval besueshmërie"}[language]
    assert any(cue in text for text in sheet_text(wb["with"]))
    assert not any(cue in text for text in sheet_text(wb["without"]))


def test_balance_sheet_is_iebaltab_shaped_and_hides_a_variable_with_a_small_arm(saved):
    _, header, rows = rows_of(saved.wb["Balance"])
    assert header[:4] == (
        "Variable",
        "Mean: Comparison area",
        "SD: Comparison area",
        "Respondents: Comparison area",
    )
    age = next(r for r in rows if r["Variable"] == "Age (years)")
    assert age["Difference"] == pytest.approx(0.12)
    rare = next(r for r in rows if r["Variable"] == "rare")
    assert rare["Mean: Project area"] is None and rare["Difference"] is None
    joint = rows[-1]
    assert joint["Variable"] == "All variables (joint F-test)" and joint["F statistic"] == 1.8


def test_sample_sheet_hides_small_counts_with_secondary_suppression(saved):
    _, header, rows = rows_of(saved.wb["Sample"])
    assert header[:2] == ("Characteristic", "Category")
    prefer = next(r for r in rows if r["Category"] == "prefer_not")
    assert prefer["Respondents: Comparison area"] is None
    blanks = sum(
        r[h] is None
        for r in rows
        for h in header
        if h.startswith("Respondents: ") and "total" not in h
    )
    assert blanks >= 4


def test_impact_sheet_translates_estimators_and_hides_a_small_subgroup(saved):
    _, header, rows = rows_of(saved.wb["Impact"])
    assert header[:3] == ("Outcome", "Estimator", "Term")
    assert rows[0]["Outcome"] == "Attitudes scale"
    assert rows[0]["Estimator"] == "Difference-in-differences"
    assert rows[1]["Estimate"] is None  # n = 7


def test_no_cell_is_a_formula_and_numbers_are_never_twelve_digit_text(saved):
    for ws in saved.wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)
                if isinstance(cell.value, float) and not math.isnan(cell.value):
                    assert cell.number_format != "General", (ws.title, cell.coordinate)


def test_data_that_looks_like_a_formula_is_written_as_text(tmp_path):
    book = DonorWorkbook("en", run_id=RUN_ID)
    table = pd.DataFrame({"school": ['=HYPERLINK("http://x")', "@SUM(A1)"], "n": [20, 30]})
    book.add_table("Schools", table, headers={"school": "School"})
    wb = openpyxl.load_workbook(book.save(tmp_path / "x.xlsx"))
    values = [c.value for row in wb["Schools"].iter_rows() for c in row if isinstance(c.value, str)]
    assert '\'=HYPERLINK("http://x")' in values and "'@SUM(A1)" in values


def test_personal_fields_and_row_level_columns_are_refused():
    book = DonorWorkbook("en", forbidden=["participant_name"])
    for column in ("participant_name", "_submission_id", "panel_code"):
        with pytest.raises(PrivacyError, match="never go into a donor workbook"):
            book.add_table("X", pd.DataFrame({column: ["a"], "n": [20]}))


def test_personal_fields_come_from_the_instruments():
    form = SimpleNamespace(
        personal_fields=lambda: {"sgc_mother": "direct", "panel_code": "linking"}
    )
    run = SimpleNamespace(
        language="sq", report="baseline", run_id=RUN_ID, params={"min_cell_size": 5}
    )
    book = DonorWorkbook.for_run(run, instruments=[form])
    assert book.min_cell_size == 5 and book.language == "sq"
    with pytest.raises(PrivacyError):
        book.add_table("X", pd.DataFrame({"sgc_mother": ["a"], "n": [20]}))


def test_no_planted_value_reaches_the_workbook(saved, tmp_path):
    planted = ["+355 69 123 4567", "Arta Hoxha"]
    book = DonorWorkbook("en", run_id=RUN_ID)
    book.add_table(
        "Counts", pd.DataFrame({"school": ["ES0001"], "n": [25]}), headers={"school": "School"}
    )
    found = scan_for_values(book.save(tmp_path / "clean.xlsx"), planted)
    assert found.empty
    assert scan_for_values(saved.path, planted).empty


def test_albanian_workbook_has_albanian_sheets_headers_and_footnote(saved):
    book = build(saved.folder, language="sq")
    wb = openpyxl.load_workbook(book.save(saved.folder / "donor.sq.xlsx"))
    assert wb.sheetnames[:3] == ["Rreth", "Korniza logjike", "Treguesit kryesorë"]
    _, header, rows = rows_of(wb["Korniza logjike"])
    assert header[:3] == ("Kodi", "Niveli", "Treguesi")
    assert rows[0]["Statusi"] == "Sipas planit"
    texts = [
        c
        for ws in wb.worksheets
        for row in ws.iter_rows(values_only=True)
        for c in row
        if isinstance(c, str)
    ]
    assert any(t.startswith("Vlerat që bazohen në më pak se 10 të anketuar") for t in texts)


def test_same_inputs_give_the_same_bytes(saved, tmp_path):
    again = build(saved.folder).save(tmp_path / "again.xlsx")
    assert again.read_bytes() == saved.path.read_bytes()


def test_bad_arguments_are_clear_errors(tmp_path):
    with pytest.raises(ParamsError, match="min_cell_size"):
        DonorWorkbook("en", min_cell_size=0)
    with pytest.raises(ParamsError, match="language"):
        DonorWorkbook("fr")
    book = DonorWorkbook("en")
    with pytest.raises(ReportError, match="has no sheet"):
        book.save(tmp_path / "empty.xlsx")
    with pytest.raises(ReportError, match="no column"):
        book.add_logframe(itt().drop(columns=["status"]))
    with pytest.raises(ReportError, match="two arms"):
        three = pd.concat(
            [balance(), balance().assign(arm=balance()["arm"].replace("project", "other"))]
        )
        book.add_balance(three)


# --------------------------------------------------------------------------- issue #5/#6 follow-ups
def test_the_package_keeps_every_public_name():
    import importlib

    donor = importlib.import_module("evaluation.report.donor")
    modules = {
        m: importlib.import_module(f"evaluation.report.donor.{m}")
        for m in ("book", "formatting", "protect", "sheets")
    }
    for name in donor.__all__:
        assert getattr(donor, name) is not None, name
    assert donor.DonorWorkbook is modules["book"].DonorWorkbook
    assert issubclass(donor.DonorWorkbook, modules["sheets"].DonorSheets)
    assert donor.protect is modules["protect"].protect
    assert donor.UNIT_FORMATS is modules["formatting"].UNIT_FORMATS


def wide_counts() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A wide table and a mask decided elsewhere: the 'self' row's two months are hidden
    because of totals in another table, although its own counts are not small."""
    table = pd.DataFrame(
        {
            "label": ["Police", "Self", "Total"],
            "this": [20, 14, 34],
            "previous": [18, 12, 30],
            "category": ["police", "self", TOTAL],
        }
    )
    hidden = pd.DataFrame({"this": [False, True, False], "previous": [False, True, False]})
    return table, hidden


def test_protected_from_hidden_blanks_the_marked_values_and_says_why():
    table, hidden = wide_counts()
    protected = Protected.from_hidden(table, hidden, THRESHOLD)
    assert protected.table["this"].isna().tolist() == [False, True, False]
    assert protected.table.loc[1, "label"] == "Self"  # labels stay
    assert protected.reasons.tolist() == ["", "secondary", ""]
    assert protected.hidden.columns.tolist() == table.columns.tolist()
    assert not protected.hidden["label"].any() and protected.n_hidden == 1
    assert table.loc[1, "this"] == 14  # the input is not modified
    with pytest.raises(ReportError, match="mask has 2 rows for a table of 3"):
        Protected.from_hidden(table, hidden.iloc[:2])
    with pytest.raises(ReportError, match="'share' that the table"):
        Protected.from_hidden(table, hidden.assign(share=False))


def test_add_protected_writes_the_decided_cells_without_deciding_again(tmp_path):
    table, hidden = wide_counts()
    book = DonorWorkbook("en", run_id=RUN_ID, min_cell_size=THRESHOLD, unit="cases")
    # no value here is below 10, so add_table would hide nothing: the report decided
    unsafe = Protected(table, hidden.reindex(columns=table.columns, fill_value=False),
                       pd.Series(["", "secondary", ""]), THRESHOLD)  # fmt: skip
    name = book.add_protected(
        "Cases",
        unsafe,  # values still in the table: never written
        columns=["label", "this", "previous"],
        headers={"label": "Source", "this": "October", "previous": "September"},
        total_rows=(table["category"] == TOTAL).to_numpy(),
        show_reasons=False,
    )
    ws = openpyxl.load_workbook(book.save(tmp_path / "cases.xlsx"))[name]
    start, header, rows = rows_of(ws)
    assert header[:3] == ("Source", "October", "September")
    assert [r["October"] for r in rows] == [20, None, 34]
    assert ws.cell(start + 2, 2).fill.fgColor.rgb.endswith(SUPPRESSED_FILL)
    assert ws.cell(start + 3, 1).fill.fgColor.rgb.endswith("DDEBF7")  # the total row
    notes = [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any(n.startswith("Values based on fewer than 10 cases") for n in notes)
    assert book.suppression_log.to_dict("records") == [
        {"sheet": "Cases", "row": 1, "reason": "secondary"}
    ]


def test_add_protected_refuses_personal_fields_and_misaligned_parts():
    table, hidden = wide_counts()
    book = DonorWorkbook("en", forbidden=["participant_name"])
    personal = Protected.from_hidden(table.assign(participant_name="A"), hidden)
    with pytest.raises(PrivacyError, match="never go into a donor workbook"):
        book.add_protected("X", personal)
    short = Protected(table, hidden.reindex(columns=table.columns, fill_value=False),
                      pd.Series(["", ""]), THRESHOLD)  # fmt: skip
    with pytest.raises(ReportError, match="3 rows but reasons has 2"):
        book.add_protected("X", short)
    with pytest.raises(ReportError, match="total_rows has 2 values for a table of 3"):
        book.add_protected("X", Protected.from_hidden(table, hidden), total_rows=[True, False])


def test_p_value_columns_show_less_than_0001(saved, tmp_path):
    ws = saved.wb["Impact"]
    start, header, _ = rows_of(ws)
    column = header.index("p-value") + 1
    assert ws.cell(start + 1, column).number_format == '[<0.001]"<0.001";0.000'
    book = DonorWorkbook("en")
    name = book.add_table(
        "Tests",
        pd.DataFrame({"test": ["a"], "p_value_adj": [0.0002], "n": [40]}),
        headers={"test": "Test"},
    )  # no format given: a p-value column still gets the p-value format
    ws = openpyxl.load_workbook(book.save(tmp_path / "p.xlsx"))[name]
    start, header, _ = rows_of(ws)
    cell = ws.cell(start + 1, 2)
    assert cell.value == 0.0002 and cell.number_format.startswith("[<0.001]")


def test_logframe_sheet_is_narrow_enough_to_print_and_rows_fit_their_text(saved):
    ws = saved.wb["Logframe"]
    start, header, _ = rows_of(ws)
    widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width
              for c in range(1, len(header) + 1)]  # fmt: skip
    assert sum(widths) < 230  # it was 347: printed one page wide at 40%
    assert max(widths) <= 36
    column = {h: openpyxl.utils.get_column_letter(i + 1) for i, h in enumerate(header)}
    assert ws.column_dimensions[column["Source"]].width <= 22
    assert all(ws.cell(r, 1).alignment.vertical == "top" for r in range(start + 1, start + 4))


def test_logframe_sheet_shows_the_source_in_the_workbooks_language(tmp_path):
    from pathlib import Path

    from evaluation.indicators import load_logframe, logframe_table

    root = Path(__file__).parent.parent.parent
    logframe = load_logframe(
        root / "params" / "logframe.yaml", root=root, instruments=root / "surveys" / "instruments"
    )
    sources = {}
    for language in ("en", "sq"):
        book = DonorWorkbook(language, run_id=RUN_ID)
        book.add_logframe(logframe_table(logframe, pd.DataFrame(), language=language))
        ws = openpyxl.load_workbook(book.save(tmp_path / f"{language}.xlsx")).worksheets[1]
        _, header, rows = rows_of(ws)
        source = "Source" if language == "en" else "Burimi"
        sources[language] = {r[header[0]]: r[source] for r in rows}
    assert sources["en"]["IMP1"] == "Youth survey (A8)"
    assert sources["sq"]["IMP1"] == "Anketa e të rinjve (A8)"
    assert sources["sq"]["OC2.3"] == "Regjistri i rasteve të referuara të dhunës në familje (E)"
    assert all(sources["sq"][i] != sources["en"][i] for i in sources["en"])
