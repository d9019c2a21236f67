"""The disclosure gate on outgoing files: clean reports pass; a phone number, an e-mail
address, a personal-field header or key, a listed value, or a file it cannot read blocks,
with a reason that names the file and the place and never shows the value in full."""

import json
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from evaluation.errors import PrivacyError
from evaluation.privacy import check_outgoing, mask, project_forbidden
from evaluation.privacy.gate import FINDING_COLUMNS, mask_email
from evaluation.report.donor import DonorWorkbook
from evaluation.report.workbook import Workbook

ROOT = Path(__file__).resolve().parents[1]
PHONE = "+355 69 123 4567"
EMAIL = "ana.hoxha@gmail.com"
# a base64 image whose text holds phone- and address-like runs: never read
IMAGE = "data:image/png;base64,iVBORw0KGgo0691234567AAAAana@x.orgAAAA+355691234567=="
CLEAN_HTML = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Monthly monitoring report</title>
<style>.wb-table td {{ min-width: 9em; color: #0b5394; }}</style></head><body>
<h1>Monthly monitoring report &mdash; October 2026</h1>
<p>Domestic-violence cases registered: 14 in October 2026 (18 in September 2026).</p>
<table class="wb-table"><thead><tr><th>Unit</th><th>Cases</th><th>Share reviewed</th>
<th>Median days</th></tr></thead><tbody>
<tr><td>Elbasan</td><td>12</td><td>0.5714</td><td>3</td></tr>
<tr><td>Other rural units</td><td>&ndash;</td><td>0.68123456</td><td>05-12-2023</td></tr>
</tbody></table>
<p>Submission uuid:5bc53ef1-0592-4032-9dac-a356cf602b37 was set aside.</p>
<img alt="Trend of cases" src="{IMAGE}">
</body></html>
"""
SUMMARY = {
    "title": None,
    "period": None,
    "lines": ["Domestic-violence cases registered: 14 in October 2026 (18 in September 2026)."],
    "attention": ["OC2.3 reviewed within 3 working days: off track, 57% against 72%."],
}
FORBIDDEN = {"participant_name", "phone", "panel_code", "_submission_id"}


@pytest.fixture
def clean(tmp_path):
    """A clean run folder: donor workbook (real writer), report HTML, summary JSON."""
    book = DonorWorkbook("en", report="monitoring", run_id="20261102T060000Z-fa4e0000")
    table = pd.DataFrame(
        {
            "sex": ["female", "male", "total"],
            "estimate": [0.42, 0.38, 0.40],
            "n": [40, 55, 95],
        }
    )
    headers = {"sex": "Sex", "estimate": "Share trained", "n": "People"}
    book.add_table("Training", table, by="sex", title="People trained", headers=headers)
    book.save(tmp_path / "workbook.en.xlsx")
    (tmp_path / "report.en.html").write_text(CLEAN_HTML, encoding="utf-8")
    (tmp_path / "summary.en.json").write_text(json.dumps(SUMMARY), encoding="utf-8")
    return tmp_path


def files(folder):
    return [folder / n for n in ("workbook.en.xlsx", "report.en.html", "summary.en.json")]


def blocked(result, kind):
    assert not result.passed, "the gate let personal data through"
    return [f for f in result.findings if f.kind == kind]


# --------------------------------------------------------------------------- clean files pass
def test_clean_report_files_pass(clean):
    result = check_outgoing(files(clean), forbidden=FORBIDDEN, values=["Arbër Hoxha"])
    assert result.passed, result.reason
    assert result.findings == () and result.table().empty
    assert result.files == tuple(files(clean))
    assert result.reason == "no personal data found in 3 outgoing file(s)"
    result.raise_if_blocked()


def test_field_names_as_data_values_are_not_headers(tmp_path):
    """A data-quality table listing questions names fields in its rows: allowed."""
    path = tmp_path / "workbook.en.xlsx"
    book = Workbook("en")
    rows = pd.DataFrame({"question": ["panel_code", "phone"], "missing_rate": [0.1, 0.0]})
    book.add_sheet("Non-response", rows, title="Missing answers by question")
    book.save(path)
    assert check_outgoing([path], forbidden=FORBIDDEN).passed


# --------------------------------------------------------------------------- what blocks
def test_a_workbook_with_a_phone_column_is_blocked(tmp_path):
    path = tmp_path / "workbook.en.xlsx"
    pd.DataFrame({"sex": ["female"], "Phone": ["unknown"]}).to_excel(path, index=False)
    (finding,) = blocked(check_outgoing([path], forbidden=FORBIDDEN), "personal field")
    assert finding.location == "sheet 'Sheet1' cell B1 (header)"
    assert finding.found == "'Phone'"


@pytest.mark.parametrize("number", [691234567, 355691234567, 691234567.0])
def test_a_mobile_number_stored_as_a_number_is_blocked(tmp_path, number):
    path = tmp_path / "workbook.en.xlsx"
    pd.DataFrame({"unit": ["Elbasan", "Gjinar"], "cases": [14, number]}).to_excel(path, index=False)
    (finding,) = blocked(check_outgoing([path], forbidden=FORBIDDEN), "phone")
    assert finding.location == "sheet 'Sheet1' cell B3"
    assert "691234567" not in finding.found


def test_large_counts_and_estimates_are_not_phones(tmp_path):
    path = tmp_path / "workbook.en.xlsx"
    values = [123456789, 2_291_000, 0.691234567, 5_991_234_567, True]
    pd.DataFrame({"estimate": values}).to_excel(path, index=False)
    assert check_outgoing([path], forbidden=FORBIDDEN).passed


def test_a_header_shown_under_another_column_name_is_still_caught(tmp_path):
    """The writer refuses personal column *names*; a header given as a label slips past
    it, not past the gate (the header row of a titled sheet, under its notes)."""
    path = tmp_path / "workbook.en.xlsx"
    book = Workbook("en")
    table = pd.DataFrame({"unit": ["Elbasan"], "contact": ["none"]})
    book.add_sheet("Units", table, title="Units", notes=["A note"], headers={"contact": "phone"})
    book.save(path)
    (finding,) = blocked(check_outgoing([path], forbidden=FORBIDDEN), "personal field")
    assert finding.location.startswith("sheet 'Units' cell B") and "(header)" in finding.location


def test_a_cell_holding_a_phone_number_is_blocked_and_masked(clean):
    path = clean / "workbook.en.xlsx"
    book = openpyxl.load_workbook(path)
    book["Training"]["B8"] = f"call {PHONE}"
    book.save(path)
    result = check_outgoing(files(clean), forbidden=FORBIDDEN)
    (finding,) = blocked(result, "phone")
    assert finding.location == "sheet 'Training' cell B8"
    assert finding.found == "+355 6…"
    assert "workbook.en.xlsx, sheet 'Training' cell B8: +355 6… (phone)" in result.reason
    assert "123 4567" not in result.reason and "123 4567" not in result.table().to_string()


def test_an_html_report_with_an_email_address_is_blocked(clean):
    path = clean / "report.en.html"
    path.write_text(CLEAN_HTML.replace("</body>", f"<p>Ask {EMAIL}</p></body>"), "utf-8")
    result = check_outgoing(files(clean), forbidden=FORBIDDEN)
    (finding,) = blocked(result, "e-mail")
    assert finding.file == path and finding.location.startswith("line ")
    assert finding.found == "ana…@…"
    assert "report.en.html, line" in result.reason and EMAIL not in result.reason


def test_an_email_written_with_entities_is_found(clean):
    path = clean / "report.en.html"
    path.write_text(CLEAN_HTML.replace("</body>", "<p>ana&#64;example.org</p></body>"), "utf-8")
    assert blocked(check_outgoing([path]), "e-mail")


def test_a_raw_table_in_the_html_is_caught_by_its_headers(clean):
    path = clean / "report.en.html"
    leaked = pd.DataFrame({"participant_name": ["x"], "age": [15]}).to_html(index=False)
    path.write_text(CLEAN_HTML.replace("</body>", leaked + "</body>"), "utf-8")
    (finding,) = blocked(check_outgoing([path], forbidden=FORBIDDEN), "personal field")
    assert finding.location.endswith("table header") and finding.found == "'participant_name'"


def test_a_summary_with_a_name_key_is_blocked(clean):
    path = clean / "summary.en.json"
    path.write_text(json.dumps({**SUMMARY, "participant_name": "Arbër Hoxha"}), "utf-8")
    result = check_outgoing(files(clean), forbidden=FORBIDDEN)
    (finding,) = blocked(result, "personal field")
    assert finding.location == "key $.participant_name"
    assert "summary.en.json, key $.participant_name" in result.reason
    assert "Hoxha" not in result.reason


def test_a_summary_line_with_a_phone_is_blocked(clean):
    path = clean / "summary.en.json"
    path.write_text(json.dumps({**SUMMARY, "lines": ["ok", f"Call 0{PHONE[5:]}"]}), "utf-8")
    (finding,) = blocked(check_outgoing([path]), "phone")
    assert finding.location == "$.lines[1]"


def test_listed_values_are_found_and_masked(clean):
    path = clean / "workbook.en.xlsx"
    book = openpyxl.load_workbook(path)
    book["Training"]["A9"] = "ARBER HOXHA"
    book.save(path)
    result = check_outgoing(files(clean), values=["Arbër Hoxha"])
    (finding,) = blocked(result, "listed value")
    assert finding.location == "sheet 'Training' cell A9" and finding.found == "Arbë…"


def test_sheet_names_comments_and_document_properties_are_read(tmp_path):
    path = tmp_path / "workbook.en.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "panel_code"
    book.active["A1"] = "Cases"
    book.active["A1"].comment = openpyxl.comments.Comment(f"ask {EMAIL}", "analyst")
    book.properties.creator = "someone@example.net"
    book.save(path)
    result = check_outgoing([path], forbidden=FORBIDDEN)
    places = {(f.kind, f.location) for f in result.findings}
    assert ("personal field", "sheet name 'panel_code'") in places
    assert ("e-mail", "sheet 'panel_code' comment on A1") in places
    assert ("e-mail", "part docProps/core.xml") in places


def test_the_own_contact_address_is_allowed(clean):
    path = clean / "report.en.html"
    path.write_text(CLEAN_HTML.replace("</body>", f"<p>Questions: {EMAIL}</p></body>"), "utf-8")
    assert check_outgoing([path], allowed=[f"Evaluation <{EMAIL.upper()}>"]).passed
    assert not check_outgoing([path], allowed=["other@example.org"]).passed


def test_the_verdict_raises_a_privacy_error_on_one_line(clean):
    path = clean / "summary.en.json"
    path.write_text(json.dumps({**SUMMARY, "phone": "x"}), "utf-8")
    result = check_outgoing([path], forbidden=FORBIDDEN)
    assert list(result.table().columns) == list(FINDING_COLUMNS)
    with pytest.raises(PrivacyError, match="disclosure gate: personal data") as error:
        result.raise_if_blocked()
    assert "\n" not in error.value.one_line()


def test_the_reason_counts_the_other_findings_by_file(clean):
    (clean / "report.en.html").write_text(f"<p>{EMAIL}</p>\n<p>{PHONE}</p>", "utf-8")
    (clean / "summary.en.json").write_text(json.dumps({"lines": [PHONE]}), "utf-8")
    result = check_outgoing(files(clean))
    assert result.reason.endswith("; 2 more (report.en.html 1, summary.en.json 1)")


# --------------------------------------------------------------------------- fails closed
def test_files_the_gate_cannot_read_block(tmp_path):
    pdf = tmp_path / "report.en.pdf"
    pdf.write_bytes(b"%PDF-1.7 binary")
    broken = tmp_path / "workbook.en.xlsx"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not a workbook")
    result = check_outgoing([pdf, broken])
    assert [f.kind for f in result.findings] == ["unchecked", "unchecked"]
    assert "cannot be checked" in result.findings[0].found
    assert "could not be read" in result.findings[1].found


def test_a_workbook_that_is_not_a_zip_is_read_as_text(tmp_path):
    path = tmp_path / "workbook.en.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    assert check_outgoing([path]).passed
    path.write_bytes(b"PK\x03\x04 garbage\n" + f"name;tel\nx;{PHONE}\n".encode())
    (finding,) = blocked(check_outgoing([path]), "phone")
    assert finding.location == "line 3"


def test_values_in_a_file_scan_for_values_cannot_search_block(tmp_path):
    path = tmp_path / "workbook.en.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    (finding,) = blocked(check_outgoing([path], values=["Arbër"]), "unchecked")
    assert finding.found.startswith("not searched")


# --------------------------------------------------------------------------- helpers
@pytest.mark.parametrize(
    ("value", "shown"),
    [(PHONE, "+355 6…"), ("0691234567", "0691…"), ("Ana", "A…"), ("  Arbër   Hoxha ", "Arbë…")],
)
def test_mask_shows_at_most_a_third_and_six_characters(value, shown):
    assert mask(value) == shown


def test_mask_email_hides_the_domain():
    assert mask_email(EMAIL) == "ana…@…"


def test_project_forbidden_reads_the_questionnaires(tmp_path):
    names = project_forbidden(ROOT)
    assert {"participant_name", "phone", "panel_code", "case_id", "signature"} <= names
    assert {"_submission_id", "unit_id"} <= names  # the donor workbook's row-level columns
    assert "sex" not in names and "age" not in names
    assert project_forbidden(tmp_path) == names  # no forms of its own: the shipped ones


def test_project_forbidden_follows_the_project_forms_and_refuses_a_broken_one(tmp_path):
    forms = tmp_path / "surveys" / "instruments"
    forms.mkdir(parents=True)
    shutil.copy(ROOT / "surveys" / "instruments" / "training_attendance.xlsx", forms)
    names = project_forbidden(tmp_path)
    assert "participant_name" in names and "panel_code" in names and "case_id" not in names
    (forms / "broken.xlsx").write_bytes(b"not a spreadsheet")
    with pytest.raises(PrivacyError, match=r"questionnaire broken\.xlsx cannot be read"):
        project_forbidden(tmp_path)
