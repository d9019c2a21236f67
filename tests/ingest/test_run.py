"""``workbench ingest``: exit codes, one-line errors, bad input, raw files untouched.

Each bad-input case of the issue (point 7) runs through the command line and ends either
ingested (exit 0, what was normalised in the log) or with one line naming the file and
what to do (exit 1) — never a traceback, never a partial output.
"""

import hashlib
import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from evaluation.cli import main

from .conftest import INSTRUMENTS, MINI_HEADER, make_form, mini_row, write_csv

GOOD = [mini_row("u1"), mini_row("u2", sex="male", age="16")]


def _ingest(capsys, form, inputs, out, *extra):
    args = [
        "ingest",
        "--instrument",
        str(form),
        "--out",
        str(out),
        "--key",
        "demo",
        "--allow-demo-key",
    ]
    for path in inputs:
        args += ["--input", str(path)]
    code = main([*args, *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _log(out):
    return json.loads((Path(out) / "ingest_log.json").read_text(encoding="utf-8"))


def _fingerprint(folder):
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _one_line_error(code, err, *fragments):
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("workbench ingest: error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def _xlsx(path, rows, sheets=(), merge=None):
    book = Workbook()
    first = book.active
    for title, content in sheets:
        sheet = book.create_sheet(title, 0)
        for row in content:
            sheet.append(row)
    first.title = "data"
    for row in rows:
        first.append(row)
    if merge:
        first.merge_cells(merge)
    book.save(path)
    return path


# --------------------------------------------------------------------------- command line
def test_good_files_exit_0_with_one_line_per_file(tmp_path, capsys, mini_form):
    a = write_csv(tmp_path / "in" / "a.csv", GOOD)
    b = write_csv(tmp_path / "in" / "b.csv", [mini_row("u3", age="99")])
    code, out, _ = _ingest(capsys, mini_form, [a, b], tmp_path / "out")
    assert code == 0
    assert out.splitlines()[:2] == [
        "a.csv: read 2, accepted 2, quarantined 0",
        "b.csv: read 1, accepted 0, quarantined 1 (constraint 1)",
    ]
    assert str(tmp_path / "out") in out.splitlines()[2]
    for entry in _log(tmp_path / "out")["files"]:
        assert entry["rows_read"] == entry["rows_accepted"] + entry["rows_quarantined"]
        assert len(entry["sha256"]) == 64


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["demo", "--instrument", "f.xlsx"],
        ["--instrument", "f.xlsx", "--input", "a.csv"],
        ["--instrument", "f.xlsx", "--input", "a.csv", "--out", "o", "--key", "demo"],
        ["demo", "--today", "yesterday"],
    ],
    ids=["nothing", "dataset and form", "no out", "demo key unconfirmed", "bad date"],
)
def test_wrong_command_lines_exit_2(capsys, args):
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", *args])
    assert exit_info.value.code == 2


def test_the_demo_key_is_refused_for_a_real_dataset(tmp_path, capsys, mini_form):
    write_csv(tmp_path / "raw" / "a.csv", GOOD)
    config = tmp_path / "datasets.yaml"
    config.write_text(
        f"datasets:\n  field:\n    raw_dir: {tmp_path / 'raw'}\n    clean_dir: {tmp_path / 'clean'}\n"
        f"    pseudonym_key: demo\n    tables:\n      mini:\n        instrument: {mini_form}\n"
        "        files: [a.csv]\n",
        encoding="utf-8",
    )
    code = main(["ingest", "field", "--datasets", str(config)])
    _one_line_error(code, capsys.readouterr().err, "demo key", "only for the demo world")
    assert not (tmp_path / "clean").exists()


def test_a_failed_run_leaves_the_last_good_outputs_and_raw_untouched(tmp_path, capsys, mini_form):
    raw = tmp_path / "raw"
    good = write_csv(raw / "a.csv", GOOD)
    out = tmp_path / "clean"
    assert _ingest(capsys, mini_form, [good], out)[0] == 0
    before, raw_before = _fingerprint(out), _fingerprint(raw)
    broken = raw / "b.csv"
    broken.write_bytes(b"")
    code, _, err = _ingest(capsys, mini_form, [good, broken], out)
    _one_line_error(code, err, "b.csv")
    assert _fingerprint(out) == before
    assert {k: v for k, v in _fingerprint(raw).items() if k != "b.csv"} == raw_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean", "forms", "raw"]


def test_outputs_are_never_written_into_the_raw_folder(tmp_path, capsys, mini_form):
    source = write_csv(tmp_path / "raw" / "a.csv", GOOD)
    code, _, err = _ingest(capsys, mini_form, [source], tmp_path / "raw" / "clean")
    _one_line_error(code, err, "never written to")


# --------------------------------------------------------------------------- bad input (issue point 7)
def test_empty_file(tmp_path, capsys, mini_form):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    code, _, err = _ingest(capsys, mini_form, [path], tmp_path / "out")
    _one_line_error(code, err, "empty.csv", "empty")
    assert not (tmp_path / "out").exists()


def test_header_only(tmp_path, capsys, mini_form):
    path = write_csv(tmp_path / "header.csv", [])
    code, out, _ = _ingest(capsys, mini_form, [path], tmp_path / "out")
    assert code == 0 and out.startswith("header.csv: read 0, accepted 0, quarantined 0")


def test_binary_file(tmp_path, capsys, mini_form):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    _one_line_error(*_ingest(capsys, mini_form, [path], tmp_path / "out")[::2], "photo.csv")


def test_truncated_xlsx(tmp_path, capsys, mini_form):
    whole = _xlsx(tmp_path / "whole.xlsx", [MINI_HEADER.split(","), mini_row("u1").split(",")])
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(whole.read_bytes()[:700])
    _one_line_error(*_ingest(capsys, mini_form, [cut], tmp_path / "out")[::2], "cut.xlsx")


def test_xlsx_with_several_sheets_reads_the_data_sheet(tmp_path, capsys, mini_form):
    path = _xlsx(
        tmp_path / "sheets.xlsx",
        [MINI_HEADER.split(","), mini_row("u1").split(",")],
        sheets=[("read me", [["Exported from Kobo"]])],
    )
    code, out, _ = _ingest(capsys, mini_form, [path], tmp_path / "out")
    assert code == 0 and out.startswith("sheets.xlsx: read 1, accepted 1")
    entry = _log(tmp_path / "out")["files"][0]
    assert entry["sheet"] == "data"


def test_xlsx_with_merged_header_cells(tmp_path, capsys, mini_form):
    path = _xlsx(
        tmp_path / "merged.xlsx", [MINI_HEADER.split(","), mini_row("u1").split(",")], merge="A1:B1"
    )
    _one_line_error(
        *_ingest(capsys, mini_form, [path], tmp_path / "out")[::2], "merged.xlsx", "merged"
    )


def test_xlsx_formula_without_a_saved_value(tmp_path, capsys, mini_form):
    row = mini_row("u1").split(",")
    row[4] = "=10+5"  # age as a formula, never calculated by Excel
    path = _xlsx(tmp_path / "formula.xlsx", [MINI_HEADER.split(","), row])
    _one_line_error(
        *_ingest(capsys, mini_form, [path], tmp_path / "out")[::2], "formula.xlsx", "formula"
    )


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_other_delimiters_are_detected_and_recorded(tmp_path, capsys, mini_form, delimiter):
    lines = [line.replace(",", delimiter) for line in GOOD]
    path = write_csv(tmp_path / "semi.csv", lines, MINI_HEADER.replace(",", delimiter))
    code, out, _ = _ingest(capsys, mini_form, [path], tmp_path / "out")
    assert code == 0 and out.startswith("semi.csv: read 2, accepted 2")
    assert _log(tmp_path / "out")["files"][0]["delimiter"] == delimiter


def test_a_file_from_a_different_form(tmp_path, capsys, mini_form):
    youth = INSTRUMENTS / "youth_survey.xlsx"
    path = write_csv(tmp_path / "a.csv", GOOD)
    code, _, err = _ingest(capsys, youth, [path], tmp_path / "out")
    _one_line_error(code, err, "a.csv", "not an export of this form")


def test_duplicate_column_names(tmp_path, capsys, mini_form):
    path = write_csv(tmp_path / "dup.csv", [mini_row("u1") + ",x"], MINI_HEADER + ",g/age")
    _one_line_error(*_ingest(capsys, mini_form, [path], tmp_path / "out")[::2], "dup.csv", "g/age")


def test_a_100000_character_cell_is_kept_whole(tmp_path, capsys):
    survey = [
        ("text", "story", "Story", "", "", "", "", ""),
        ("integer", "n", "N", "", "", "", "", ""),
    ]
    form = make_form(tmp_path / "long.xlsx", survey, [], form_id="long")
    path = tmp_path / "long.csv"
    path.write_text("story,n\n" + "ab " * 33_334 + ",1\n", encoding="utf-8")
    code, out, _ = _ingest(capsys, form, [path], tmp_path / "out")
    assert code == 0 and "accepted 1" in out


def test_mixed_encodings_are_decoded_line_by_line(tmp_path, capsys, mini_form):
    text = "\n".join([MINI_HEADER, mini_row("u1", comment="Faleminderit për ndihmën")]) + "\n"
    cp1250 = mini_row("u2", comment="Shkolla është larg").encode("windows-1250") + b"\n"
    path = tmp_path / "mixed.csv"
    path.write_bytes(text.encode("utf-8") + cp1250)
    code, out, _ = _ingest(capsys, mini_form, [path], tmp_path / "out")
    assert code == 0 and out.startswith("mixed.csv: read 2, accepted 2")
    assert _log(tmp_path / "out")["files"][0]["encoding"] == "utf-8+windows-1250"


def test_missing_markers_as_the_command_line_says(tmp_path, capsys, mini_form):
    lines = [
        mini_row(f"u{i}", visit=marker) for i, marker in enumerate(["NA", "n/a", "-", "999", ""])
    ]
    path = write_csv(tmp_path / "markers.csv", lines)
    markers = ["--missing", "NA", "--missing", "n/a", "--missing", "-", "--missing", "999"]
    code, out, _ = _ingest(capsys, mini_form, [path], tmp_path / "out", *markers)
    assert code == 0 and out.startswith("markers.csv: read 5, accepted 5")
    counts = _log(tmp_path / "out")["files"][0]["missing_values"]
    assert {k: counts[k] for k in ("NA", "n/a", "-", "999")} == {
        "NA": 1,
        "n/a": 1,
        "-": 1,
        "999": 1,
    }


def test_without_markers_na_is_a_bad_date(tmp_path, capsys, mini_form):
    path = write_csv(tmp_path / "markers.csv", [mini_row("u1", visit="NA")])
    code, out, _ = _ingest(capsys, mini_form, [path], tmp_path / "out")
    assert code == 0 and "quarantined 1 (type 1)" in out


def test_stray_spaces_and_case_in_answers_are_normalised(tmp_path, capsys, mini_form):
    path = write_csv(tmp_path / "spaces.csv", [mini_row("u1", sex="  Female ", reasons=" WORK ")])
    code, out, _ = _ingest(capsys, mini_form, [path], tmp_path / "out")
    assert code == 0 and out.startswith("spaces.csv: read 1, accepted 1")
    notes = " ".join(_log(tmp_path / "out")["files"][0]["notes"])
    assert "'sex': spaces around answers removed" in notes
    assert "'reasons': answers matched ignoring case and extra spaces" in notes


def test_a_row_with_too_many_fields_is_quarantined(tmp_path, capsys, mini_form):
    path = write_csv(tmp_path / "shift.csv", [*GOOD, mini_row("u3") + ",extra"])
    code, out, _ = _ingest(capsys, mini_form, [path], tmp_path / "out")
    assert code == 0 and "quarantined 1 (malformed_row 1)" in out


def test_xform_xml_is_not_an_xlsform(tmp_path, capsys):
    from .conftest import REAL

    code, _, err = _ingest(
        capsys,
        REAL / "odk_flora_quadrat_04_xform.xml",
        [REAL / "odk_central_flora_quadrat_04.csv"],
        tmp_path / "out",
    )
    _one_line_error(code, err, "not an XLSForm file")
