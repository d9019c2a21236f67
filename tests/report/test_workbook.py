"""The workbook builder, read back with openpyxl: sheets, headers, number formats, frozen
panes, filters, print setup, no formula from data, no personal field, reproducible bytes."""

import datetime as dt
import os
import shutil
import stat
import subprocess
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from evaluation.errors import ParamsError, PrivacyError, ReportError
from evaluation.privacy import scan_for_values
from evaluation.report.workbook import (
    NUMBER_FORMATS,
    P_VALUE_FLOOR,
    About,
    Workbook,
    sheet_name,
)

RUN = dt.datetime(2026, 10, 28, 10, 15, 30, tzinfo=dt.UTC)
INJECTIONS = ['=HYPERLINK("http://x","y")', "+355 69 123 4567", "-cmd|' /C calc'!A0", "@SUM(A1)"]


def table():
    return pd.DataFrame(
        {
            "school": ["ES0001", "ES0002", "ES0003", "ES0004"],
            "share": [0.1234, 0.5, np.nan, 1.0],
            "submissions": pd.array([1200, 7, None, 30], dtype="Int64"),
            "estimate": [1.23456, -0.5, 2.0, 3.0],
            "note": INJECTIONS,
            "when": pd.to_datetime(
                ["2022-10-10T06:30:00Z", "2022-10-11T22:30:00Z", None, "2023-05-08T08:00:00Z"],
                utc=True,
            ),
        }
    )


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("book")
    book = Workbook(
        "sq", timestamp=RUN, title="Libri", forbidden=["participant_name"], timezone="Europe/Tirane"
    )
    name = book.add_sheet(
        "Shkollat: A/B",
        table(),
        title="Paraqitjet sipas shkollës",
        notes=["Një shënim i gjatë " * 10],
        formats={"share": "percent", "estimate": "estimate"},
        headers={"school": "Shkolla", "share": "Pjesa"},
        freeze_columns=1,
    )
    book.add_sheet("Bosh", table().iloc[0:0])
    book.add_chart(name, x="school", y="submissions", kind="bar", title="=bad title")
    book.add_about(
        About(
            title="Cilësia e të dhënave",
            project="Projekti",
            period="2026-10",
            run_id="20261028T101530Z-abcd1234",
            run_date="2026-10-28 10:15 UTC",
            sources=[("surveys/data/demo/clean/youth_survey.parquet", "a" * 64)],
            notes=["=Shënim metodologjik"],
            suppression="Qelizat me më pak se 10 të anketuar fshihen.",
        )
    )
    path = book.save(folder / "book.xlsx")
    return path, name, openpyxl.load_workbook(path)


def test_sheets_are_named_validly_in_order_with_about_first(saved):
    _, name, wb = saved
    assert name == "Shkollat- A-B"
    assert wb.sheetnames == ["Rreth", "Shkollat- A-B", "Bosh"]


def test_title_notes_and_translated_headers(saved):
    _, name, wb = saved
    ws = wb[name]
    assert ws["A1"].value == "Paraqitjet sipas shkollës" and ws["A1"].font.bold
    assert ws["A2"].value.startswith("Një shënim") and ws["A2"].alignment.wrap_text
    headers = [c.value for c in ws[4]]
    assert headers == ["Shkolla", "Pjesa", "submissions", "estimate", "note", "when"]
    assert ws["A4"].fill.fgColor.rgb.endswith("1F4E79") and ws["A4"].font.bold


def test_number_formats_by_column_and_values_stay_numbers(saved):
    _, name, wb = saved
    ws = wb[name]
    assert ws["B5"].value == pytest.approx(0.1234) and ws["B5"].number_format == "0.0%"
    assert ws["C5"].value == 1200 and ws["C5"].number_format == NUMBER_FORMATS["count"]
    assert ws["D5"].value == pytest.approx(1.23456) and ws["D5"].number_format == "0.00"
    assert ws["B7"].value is None and ws["C7"].value is None  # missing stays empty
    assert ws["F5"].value == dt.datetime(2022, 10, 10, 8, 30)  # shown in Europe/Tirane
    assert ws["F5"].number_format == NUMBER_FORMATS["datetime"]


def test_frozen_header_filter_widths_and_print_setup(saved):
    _, name, wb = saved
    ws = wb[name]
    assert ws.freeze_panes == "B5"
    assert ws.auto_filter.ref == "A4:F8"
    assert ws.print_title_rows == "$4:$4"
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    widths = {c: ws.column_dimensions[c].width for c in "ABCDEF"}
    assert all(6 <= w <= 52 for w in widths.values())
    assert widths["E"] > widths["C"]  # the long text column is wider than the counts


def test_no_cell_starts_a_formula(saved):
    path, name, wb = saved
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"
    ws = wb[name]
    notes = [ws.cell(r, 5).value for r in range(5, 9)]
    assert notes == ["'" + text for text in INJECTIONS]
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any("<f>" in archive.read(n).decode("utf-8") for n in sheets)


def test_an_empty_table_keeps_its_header_and_says_so(saved):
    _, _, wb = saved
    ws = wb["Bosh"]
    assert ws["A3"].value == "school"
    assert ws["A4"].value == "Asnjë rresht."


def test_about_sheet_lists_run_sources_notes_and_suppression(saved):
    _, _, wb = saved
    values = [c.value for row in wb["Rreth"].iter_rows() for c in row if c.value]
    assert "Cilësia e të dhënave" in values
    assert "20261028T101530Z-abcd1234" in values
    assert "a" * 64 in values
    assert "'=Shënim metodologjik" in values
    assert "Qelizat me më pak se 10 të anketuar fshihen." in values
    assert wb["Rreth"].page_setup.orientation == "portrait"


def test_native_chart_is_added(saved):
    path, _, _ = saved
    with zipfile.ZipFile(path) as archive:
        assert any(n.startswith("xl/charts/chart") for n in archive.namelist())


def build(path):
    book = Workbook("sq", timestamp=RUN, title="Libri", timezone="Europe/Tirane")
    book.add_sheet(
        "Shkollat: A/B",
        table(),
        title="Paraqitjet sipas shkollës",
        formats={"share": "percent", "estimate": "estimate"},
    )
    return book.save(path).read_bytes()


def test_properties_come_from_the_run_and_bytes_are_reproducible(saved, tmp_path):
    _, _, wb = saved
    assert wb.properties.created == dt.datetime(2026, 10, 28, 10, 15, 30)
    assert wb.properties.modified == dt.datetime(2026, 10, 28, 10, 15, 30)
    assert build(tmp_path / "a.xlsx") == build(tmp_path / "b.xlsx")
    with zipfile.ZipFile(tmp_path / "a.xlsx") as archive:
        assert {i.date_time for i in archive.infolist()} == {(2026, 10, 28, 10, 15, 30)}


def test_personal_fields_are_refused():
    book = Workbook(forbidden=["Participant_Name"])
    with pytest.raises(PrivacyError, match="'participant_name' are personal fields"):
        book.add_sheet("x", pd.DataFrame({"participant_name": ["Arbër"]}))


def test_no_planted_value_in_a_saved_workbook(tmp_path):
    book = Workbook(forbidden=["phone"])
    book.add_sheet("ok", pd.DataFrame({"code": ["SCH-014"], "count": [3]}))
    path = book.save(tmp_path / "ok.xlsx")
    assert scan_for_values(path, ["Arbër Hoxha", "+355 69 123 4567"]).empty
    assert len(scan_for_values(path, ["SCH-014"])) == 1  # the scanner does look inside


@pytest.mark.parametrize(
    ("wanted", "taken", "expected"),
    [
        ("Flags: A/B [2022]", [], "Flags- A-B -2022-"),
        ("Summary", ["summary"], "Summary (2)"),
        ("Summary", ["Summary", "Summary (2)"], "Summary (3)"),
        ("x" * 40, [], "x" * 31),
        ("x" * 40, ["x" * 31], "x" * 27 + " (2)"),
        ("'quoted'", [], "quoted"),
        ("", [], "Sheet"),
        ("History", [], "History (2)"),
        ("a*?b", [], "a--b"),
    ],
)
def test_sheet_names_are_valid_and_unique(wanted, taken, expected):
    name = sheet_name(wanted, taken)
    assert name == expected
    assert len(name) <= 31 and not set("[]:*?/\\") & set(name)


def test_bad_format_chart_and_empty_workbook_are_clear_errors(tmp_path):
    book = Workbook()
    with pytest.raises(ParamsError, match="format 'percentage' is not one of"):
        book.add_sheet("x", pd.DataFrame({"a": [1]}), formats={"a": "percentage"})
    with pytest.raises(ReportError, match="no table sheet 'nope'"):
        book.add_chart("nope", x="a", y="b")
    with pytest.raises(ReportError, match="has no sheet"):
        Workbook().save(tmp_path / "empty.xlsx")


def test_long_text_wraps_and_rows_grow():
    book = Workbook()
    name = book.add_sheet("t", pd.DataFrame({"text": ["word " * 40, "short"], "n": [1, 2]}))
    ws = book._book[name]
    assert ws["A4"].alignment.wrap_text
    assert ws.row_dimensions[4].height >= 45 and ws.row_dimensions[5].height is None


# --------------------------------------------------------------------------- issue #5/#6 follow-ups
COURSE = "Domestic violence: coordinated referral (DCM 327/2021)"


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_saved_file_has_the_permissions_of_a_plain_open(tmp_path, umask):
    book = Workbook()
    book.add_sheet("t", pd.DataFrame({"a": [1]}))
    before = os.umask(umask)
    try:
        path = book.save(tmp_path / "book.xlsx")
        with open(tmp_path / "plain.txt", "w") as plain:  # what the umask gives a new file
            plain.write("x")
    finally:
        os.umask(before)
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode == 0o666 & ~umask
    assert mode == stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_p_values_below_0001_show_as_less_than_and_stay_numbers(tmp_path):
    book = Workbook()
    table = pd.DataFrame({"p_value": [0.0004, 0.0, 0.0123, 0.5]})
    name = book.add_sheet("p", table, formats={"p_value": "p_value"})
    ws = openpyxl.load_workbook(book.save(tmp_path / "p.xlsx"))[name]
    cells = [ws.cell(r, 1) for r in range(4, 8)]
    assert [c.value for c in cells] == [0.0004, 0.0, 0.0123, 0.5]
    assert {c.number_format for c in cells} == {'[<0.001]"<0.001";0.000'}
    assert NUMBER_FORMATS["p_value"].startswith(f"[<{P_VALUE_FLOOR}]")


def test_rows_with_long_names_that_fit_get_no_extra_height():
    table = pd.DataFrame({"course": [COURSE, "Child protection"], "n": [15, 16]})
    book = Workbook()
    ws = book._book[book.add_sheet("t", table)]
    width = ws.column_dimensions["A"].width
    assert width < len(COURSE)  # proportional text is narrower than its characters
    assert not ws["A4"].alignment.wrap_text  # ... and fits on one line
    assert ws.row_dimensions[4].height is None and ws.row_dimensions[5].height is None


def test_max_widths_wrap_long_text_and_rows_grow_to_its_lines():
    table = pd.DataFrame({"course": [COURSE, "Short"], "n": [15, 16]})
    book = Workbook()
    ws = book._book[book.add_sheet("t", table, max_widths={"course": 20})]
    assert ws.column_dimensions["A"].width == 20
    assert ws["A4"].alignment.wrap_text
    assert ws.row_dimensions[4].height == 3 * 15  # "Domestic violence: / coordinated ..."
    assert ws.row_dimensions[5].height is None
    with pytest.raises(ParamsError, match="width of column 'course' must be a positive"):
        Workbook().add_sheet("t", table, max_widths={"course": 0})


def test_numeric_columns_are_as_wide_as_their_formatted_values():
    table = pd.DataFrame(
        {"pct_of_target": [-1.8812345678, 0.3456789], "p_value": [0.00012345678, 0.5]}
    )
    book = Workbook()
    ws = book._book[
        book.add_sheet(
            "t",
            table,
            formats={"pct_of_target": "0%", "p_value": "p_value"},
            headers={"pct_of_target": "%", "p_value": "p"},
        )
    ]
    # "-188%" and "<0.001", not the 13 digits of the float
    assert ws.column_dimensions["A"].width <= 12 and ws.column_dimensions["B"].width <= 10


def test_fonts_are_named_so_libreoffice_does_not_fall_back_to_a_serif(saved):
    _, name, wb = saved
    ws = wb[name]
    assert {ws["A1"].font.name, ws["A2"].font.name, ws["A4"].font.name} == {"Calibri"}


def test_notes_are_as_tall_as_their_lines_across_the_table():
    table = pd.DataFrame({"a": ["x"], "b": ["y"]})
    note = "word " * 60  # 300 characters over six default-width columns: several lines
    book = Workbook()
    ws = book._book[book.add_sheet("t", table, notes=[note, "short"])]
    assert ws.row_dimensions[2].height >= 4 * 15
    assert ws.row_dimensions[3].height == 15


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("libreoffice") is None, reason="needs LibreOffice")
def test_libreoffice_shows_less_than_0001(tmp_path):
    book = Workbook()
    book.add_sheet("p", pd.DataFrame({"p_value": [0.0004, 0.0123]}), formats={"p_value": "p_value"})
    path = book.save(tmp_path / "p.xlsx")
    subprocess.run(
        [
            "libreoffice",
            "--headless",
            "--convert-to",
            # the ninth option: save cell contents as shown (with their number format)
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    shown = (tmp_path / "p.csv").read_text(encoding="utf-8").splitlines()
    assert shown[-2:] == ["<0.001", "0.012"]
