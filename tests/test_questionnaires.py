"""The six XLSForm questionnaires in surveys/instruments/ are deployable and bilingual."""

from __future__ import annotations

import re
import shutil
from functools import cache
from pathlib import Path

import openpyxl
import pytest
from pyxform.xls2xform import convert

INSTRUMENTS = Path(__file__).resolve().parent.parent / "surveys" / "instruments"
FORMS = (
    "youth_survey",
    "training_attendance",
    "training_knowledge_test",
    "kvsp_capacity_scorecard",
    "dv_referral_case",
    "street_situation_contact",
)
EN, SQ = "English (en)", "Shqip (sq)"
METADATA_TYPES = {"start", "end", "today", "deviceid", "username"}
NO_LABEL_TYPES = METADATA_TYPES | {"calculate", "end_group"}
PERSONAL_VALUES = {"", "direct", "linking", "free_text"}
# Text questions that hold structured, non-personal codes (checked by a constraint or a list).
NON_PERSONAL_TEXT = {
    "school_code",
    "class_code",
    "training_id",
    "session_id",
    "institution_id",
    "institution_name",
}
MOJIBAKE = re.compile("Ã|Â|Ä|\ufffd")


@cache
def read_sheet(form: str, sheet: str) -> tuple[dict[str, str], ...]:
    """Rows of one sheet as dicts of text (empty cells are '')."""
    wb = openpyxl.load_workbook(INSTRUMENTS / f"{form}.xlsx", read_only=True)
    rows = list(wb[sheet].iter_rows(values_only=True))
    wb.close()
    header = [str(h) for h in rows[0]]
    return tuple(
        {h: "" if v is None else str(v).strip() for h, v in zip(header, row, strict=False)}
        for row in rows[1:]
        if any(v is not None for v in row)
    )


def survey(form: str) -> tuple[dict[str, str], ...]:
    return read_sheet(form, "survey")


def by_name(form: str) -> dict[str, dict[str, str]]:
    return {r["name"]: r for r in survey(form) if r["type"] != "end_group"}


def choice_lists(form: str) -> dict[str, list[dict[str, str]]]:
    lists: dict[str, list[dict[str, str]]] = {}
    for row in read_sheet(form, "choices"):
        lists.setdefault(row["list_name"], []).append(row)
    return lists


def select_list(row: dict[str, str]) -> str | None:
    parts = row["type"].split()
    return parts[1] if parts[0] in {"select_one", "select_multiple"} else None


def test_all_six_forms_are_present():
    found = {p.stem for p in INSTRUMENTS.glob("*.xlsx")}
    assert set(FORMS) <= found, f"missing forms: {set(FORMS) - found}"


@pytest.mark.parametrize("form", FORMS)
def test_converts_to_xform_without_warnings(form):
    warnings: list[str] = []
    result = convert(str(INSTRUMENTS / f"{form}.xlsx"), warnings=warnings)
    assert f'id="{form}"' in result.xform
    assert 'lang="Shqip (sq)"' in result.xform
    assert warnings == []


@pytest.mark.parametrize("form", FORMS)
def test_settings_sheet(form):
    (settings,) = read_sheet(form, "settings")
    assert settings["form_id"] == form
    assert settings["form_title"]
    assert re.fullmatch(r"20\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{2}", settings["version"])
    assert settings["default_language"] == EN


@pytest.mark.parametrize("form", FORMS)
def test_every_label_hint_and_message_is_in_both_languages(form):
    for row in survey(form):
        where = f"{form}: {row['type']} {row['name']}"
        if row["type"] not in NO_LABEL_TYPES:
            assert row[f"label::{EN}"] and row[f"label::{SQ}"], where
        for column in ("hint", "constraint_message"):
            assert bool(row[f"{column}::{EN}"]) == bool(row[f"{column}::{SQ}"]), where
        if row["constraint"]:
            assert row[f"constraint_message::{EN}"], f"{where}: constraint without message"
    for row in read_sheet(form, "choices"):
        assert row[f"label::{EN}"] and row[f"label::{SQ}"], f"{form}: choice {row}"


@pytest.mark.parametrize("form", FORMS)
def test_no_mojibake_anywhere(form):
    for sheet in ("survey", "choices", "settings"):
        for row in read_sheet(form, sheet):
            for value in row.values():
                assert not MOJIBAKE.search(value), f"{form}/{sheet}: {value!r}"


@pytest.mark.parametrize("form", FORMS)
def test_every_select_list_exists_and_every_list_is_used(form):
    lists = choice_lists(form)
    used = {select_list(r) for r in survey(form)} - {None}
    assert used <= set(lists), f"missing choice lists: {used - set(lists)}"
    assert set(lists) <= used, f"unused choice lists: {set(lists) - used}"
    for name, rows in lists.items():
        names = [r["name"] for r in rows]
        assert len(names) == len(set(names)), f"{form}: duplicate choice in {name}"


@pytest.mark.parametrize("form", FORMS)
def test_question_names_are_unique(form):
    names = [r["name"] for r in survey(form) if r["type"] != "end_group"]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("form", FORMS)
def test_personal_data_values_are_valid(form):
    for row in survey(form):
        assert row.get("personal_data", "") in PERSONAL_VALUES, row


@pytest.mark.parametrize("form", FORMS)
def test_every_open_field_is_classified(form):
    """Free text, GPS and signatures cannot slip through unmarked."""
    for row in survey(form):
        kind = row["type"].split()[0]
        if kind == "text" and row["name"] not in NON_PERSONAL_TEXT:
            assert row["personal_data"], f"{form}.{row['name']} is open text but not marked"
        if kind in {"geopoint", "image"}:
            assert row["personal_data"] == "direct", f"{form}.{row['name']}"


@pytest.mark.parametrize(
    ("form", "field", "kind"),
    [
        ("training_attendance", "participant_name", "direct"),
        ("training_attendance", "phone", "direct"),
        ("training_attendance", "email", "direct"),
        ("training_attendance", "signature", "direct"),
        ("training_attendance", "participant_code", "linking"),
        ("training_knowledge_test", "participant_code", "linking"),
        ("training_knowledge_test", "r_improve", "free_text"),
        ("youth_survey", "panel_code", "linking"),
        ("youth_survey", "anything_else", "free_text"),
        ("dv_referral_case", "case_id", "linking"),
        ("dv_referral_case", "notes", "free_text"),
        ("street_situation_contact", "njmf_case_id", "linking"),
        ("street_situation_contact", "location_gps", "direct"),
        ("street_situation_contact", "notes", "free_text"),
        ("kvsp_capacity_scorecard", "gov_evidence", "free_text"),
    ],
)
def test_personal_fields_are_marked(form, field, kind):
    assert by_name(form)[field]["personal_data"] == kind


@pytest.mark.parametrize(
    ("form", "list_name", "name", "albanian"),
    [
        ("youth_survey", "sex", "female", "Femër"),
        ("youth_survey", "sex", "prefer_not", "Nuk dëshiroj të përgjigjem"),
        ("youth_survey", "admin_unit", "labinot_fushe", "Labinot-Fushë"),
        ("youth_survey", "admin_unit", "shushice", "Shushicë"),
        ("youth_survey", "freq5", "2", "Rrallë"),
        ("youth_survey", "freq5", "3", "Ndonjëherë"),
        ("training_knowledge_test", "tfd", "true", "E vërtetë"),
        ("training_attendance", "sex", "female", "Femër"),
        ("dv_referral_case", "violence_type", "psychological", "Psikologjike"),
        ("street_situation_contact", "activity", "begging", "Lypje"),
    ],
)
def test_albanian_choice_labels(form, list_name, name, albanian):
    rows = {r["name"]: r for r in choice_lists(form)[list_name]}
    assert rows[name][f"label::{SQ}"] == albanian


@pytest.mark.parametrize("form", FORMS)
def test_albanian_labels_use_albanian_letters(form):
    labels = [r[f"label::{SQ}"] for r in survey(form) if r[f"label::{SQ}"]]
    with_letters = [t for t in labels if re.search("[ëçËÇ]", t)]
    # Albanian prose without ë or ç in most sentences means the diacritics were lost.
    assert len(with_letters) >= 0.4 * len(labels), f"{form}: {len(with_letters)}/{len(labels)}"


def test_youth_survey_assent_gates_everything_after_it():
    rows = survey("youth_survey")
    assert by_name("youth_survey")["assent"][f"label::{SQ}"] == (
        "Pranoj të përgjigjem. Mund të mos i përgjigjem çdo pyetjeje."
    )
    consent_end = next(
        i for i, r in enumerate(rows) if r["type"] == "end_group" and r["name"] == "consent"
    )
    later = rows[consent_end + 1 :]
    groups = [r for r in later if r["type"] == "begin_group"]
    assert len(groups) >= 12, "expected the modules A0-A12 after the assent"
    for group in groups:
        assert "${assent} = 'yes'" in group["relevant"], group["name"]
    depth, outside = 0, []
    for r in later:
        if r["type"] == "begin_group":
            depth += 1
        elif r["type"] == "end_group":
            depth -= 1
        elif depth == 0:
            outside.append(r["name"])
    assert not outside, f"questions outside the assent-gated groups: {outside}"


def test_youth_survey_structure():
    q = by_name("youth_survey")
    lists = choice_lists("youth_survey")
    n_questions = sum(
        1 for r in survey("youth_survey") if r["type"] not in {"begin_group", "end_group", "note"}
    )
    assert 80 <= n_questions <= 120
    assert [c["name"] for c in lists["wave"]] == ["baseline", "endline"]
    assert len(lists["admin_unit"]) == 13
    assert q["age"]["constraint"] == ". >= 10 and . <= 20"
    assert "endline" in q["exposure"]["relevant"]
    for part in ("sgc_mother", "sgc_father", "sgc_birth_month", "sgc_older_sibs"):
        assert f"${{{part}}}" in q["panel_code"]["calculation"]
    acts = [r for r in survey("youth_survey") if r["type"] == "select_one times5"]
    assert len(acts) >= 8
    assert [c[f"label::{EN}"] for c in lists["times5"]][1:] == [
        "1–2 times",
        "3–5 times",
        "6–9 times",
        "10 or more times",
    ]
    assert [c["name"] for c in lists["occ7"]] == [str(i) for i in range(7)]
    assert "su_relevin_life" in q
    wg = [r for r in survey("youth_survey") if r["type"] == "select_one wg4"]
    assert len(wg) == 6


def test_knowledge_test_key_and_reaction_items():
    q = by_name("training_knowledge_test")
    items = [r for r in survey("training_knowledge_test") if r["type"] == "select_one tfd"]
    assert len(items) == 12
    for item in items:
        key = re.fullmatch(
            rf"if\(\${{{item['name']}}} = '(true|false)', 1, 0\)",
            q[f"{item['name']}_ok"]["calculation"],
        )
        assert key, item["name"]
    assert q["reaction"]["relevant"] == "${test_type} = 'post'"


def test_scorecard_has_nine_domains_scored_one_to_four():
    rows = survey("kvsp_capacity_scorecard")
    scores = [r for r in rows if r["type"] == "select_one score4"]
    assert len(scores) == 9
    levels = [c["name"] for c in choice_lists("kvsp_capacity_scorecard")["score4"]]
    assert levels == ["1", "2", "3", "4"]
    evidence = {r["name"] for r in rows if r["name"].endswith("_evidence")}
    assert evidence == {s["name"].replace("_score", "_evidence") for s in scores}


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="ODK Validate needs Java")
@pytest.mark.parametrize("form", FORMS)
def test_passes_odk_validate(form):
    convert(str(INSTRUMENTS / f"{form}.xlsx"), validate=True)
