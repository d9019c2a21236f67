"""Small forms and files for the ingestion tests, written into tmp folders.

``make_form`` writes an XLSForm from a few rows; ``MINI_SURVEY``/``MINI_CHOICES`` is a form
with one question of each kind ingestion treats differently (a group with a relevance,
integer with a constraint, select_one, select_multiple, a required-if, a linking code, a
direct identifier and free text). The demo world is generated once per session at scale 0.2.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

ROOT = Path(__file__).resolve().parents[2]
INSTRUMENTS = ROOT / "surveys" / "instruments"
REAL = ROOT / "tests" / "fixtures" / "real"

SURVEY_HEADER = ("type", "name", "label::English (en)", "required", "relevant", "constraint",
                 "constraint_message::English (en)", "personal_data")  # fmt: skip
MINI_SURVEY = [
    ("start", "start", "", "", "", "", "", ""),
    ("end", "end", "", "", "", "", "", ""),
    ("select_one yes_no", "assent", "Assent", "yes", "", "", "", ""),
    ("begin group", "g", "Group", "", "${assent} = 'yes'", "", "", ""),
    ("text", "name", "Name", "", "", "", "", "direct"),
    ("integer", "age", "Age", "yes", "", ". >= 10 and . <= 20", "10 to 20", ""),
    ("select_one sex", "sex", "Sex", "yes", "", "", "", ""),
    ("select_multiple reason", "reasons", "Reasons", "", "", "", "", ""),
    (
        "text",
        "reason_other",
        "Other reason",
        "${age} > 15",
        "selected(${reasons}, 'other')",
        "",
        "",
        "",
    ),
    ("text", "code", "Code", "", "", "", "", "linking"),
    ("date", "visit", "Visit", "", "", ". >= '2020-01-01'", "", ""),
    ("text", "comment", "Comment", "", "", "", "", "free_text"),
    ("end group", "", "", "", "", "", "", ""),
]
MINI_CHOICES = [
    ("yes_no", "yes", "Yes"),
    ("yes_no", "no", "No"),
    ("sex", "female", "Female"),
    ("sex", "male", "Male"),
    ("reason", "work", "Work"),
    ("reason", "school", "School"),
    ("reason", "other", "Other"),
]
MINI_HEADER = ("start,end,assent,g/name,g/age,g/sex,g/reasons,g/reasons/work,g/reasons/school,"
               "g/reasons/other,g/reason_other,g/code,g/visit,g/comment,_uuid")  # fmt: skip


def make_form(
    path: Path,
    survey: list[tuple[str, ...]] = MINI_SURVEY,
    choices: list[tuple[str, str, str]] = MINI_CHOICES,
    form_id: str = "mini",
    header: tuple[str, ...] = SURVEY_HEADER,
) -> Path:
    """Write an XLSForm (survey, choices, settings) and return its path."""
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    sheet.append(list(header))
    for row in survey:
        sheet.append(list(row))
    sheet = book.create_sheet("choices")
    sheet.append(["list_name", "name", "label::English (en)"])
    for row in choices:
        sheet.append(list(row))
    sheet = book.create_sheet("settings")
    sheet.append(["form_id", "version", "default_language"])
    sheet.append([form_id, "2024010101", "English (en)"])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def mini_row(
    uuid: str,
    *,
    assent: str = "yes",
    name: str = "Arben Hoxha",
    age: str = "15",
    sex: str = "female",
    reasons: str = "work",
    flags: str = "1,0,0",
    other: str = "",
    code: str = "AB12",
    visit: str = "2024-03-01",
    comment: str = "",
    start: str = "2024-03-01T10:00:00.000+01:00",
    end: str = "2024-03-01T10:20:00.000+01:00",
) -> str:
    """One CSV line of the mini form's export (flags: work,school,other)."""
    cells = [start, end, assent, name, age, sex, reasons, *flags.split(","), other, code, visit,
             comment, uuid]  # fmt: skip
    return ",".join(f'"{c}"' if "," in c else c for c in cells)


def write_csv(path: Path, lines: list[str], header: str = MINI_HEADER) -> Path:
    """Write a CSV export (header + lines) and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def mini_form(tmp_path: Path) -> Path:
    """The mini XLSForm in a tmp folder."""
    return make_form(tmp_path / "forms" / "mini.xlsx")


@pytest.fixture(scope="session")
def demo_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo world at scale 0.2 (its raw folder, with truth.json)."""
    from evaluation.synth import write_demo_world

    raw = tmp_path_factory.mktemp("demo") / "raw"
    write_demo_world(out=raw, scale=0.2, seed=20220203)
    return raw


def run_mini(tmp_path: Path, lines: list[str], header: str = MINI_HEADER, **options):
    """Ingest mini-form CSV lines; return (clean table, quarantine lines, log)."""
    import json

    import pandas as pd

    from evaluation.ingest import ingest_files
    from evaluation.privacy import load_key

    form = tmp_path / "forms" / "mini.xlsx"
    if not form.exists():
        make_form(form)
    source = write_csv(tmp_path / "in" / "mini.csv", lines, header)
    out = tmp_path / "out"
    options.setdefault("key", load_key("demo"))
    ingest_files(form, [source], out, **options)
    clean = pd.read_parquet(out / "mini.parquet")
    quarantine = pd.read_csv(out / "quarantine.csv", dtype=str, keep_default_na=False)
    log = json.loads((out / "ingest_log.json").read_text(encoding="utf-8"))
    return clean, quarantine, log
