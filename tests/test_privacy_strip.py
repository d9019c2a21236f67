"""From findings to a clean table: drop, pseudonymise, scrub; and the log says only names."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest

from evaluation.errors import ParamsError, PrivacyError
from evaluation.privacy import (
    Pseudonymiser,
    find_personal_columns,
    plan_privacy,
    scan_for_values,
    scrub_text,
    strip_personal,
)

KEY = bytes(range(32))
PLANTED = ["Arbër Hoxha", "Mimoza Leka", "069 123 4567", "068 765 4321", "arber@example.al"]


def raw() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "panel_code": ["AB-12", "CD-34", None],
            "emri_mbiemri": ["Arbër Hoxha", "Mimoza Leka", "Ilir Gjoka"],
            "tel": ["069 123 4567", "068 765 4321", None],
            "email": ["arber@example.al", None, None],
            "sex": ["m", "f", "m"],
            "score": [3.5, 2.0, 4.1],
            "comment": [
                "Arbëri tha se e thërret Mimoza në 069 123 4567",
                "Nuk ka koment",
                None,
            ],
            "evidence": ["Minutes published, see arber@example.al", "None", "Regulation approved"],
        }
    )


MARKS = {
    "panel_code": "linking",
    "emri_mbiemri": "direct",
    "comment": "free_text",
    "evidence": "free_text",
}


def test_plan_follows_the_marks():
    findings = find_personal_columns(raw(), instrument_marks=MARKS)
    plan = plan_privacy(findings, pseudonymiser=Pseudonymiser(KEY), allow_free_text=["comment"])
    assert plan.pseudonymise == ("panel_code",)
    assert set(plan.drop) == {"emri_mbiemri", "tel", "email", "evidence"}
    assert plan.scrub == ("comment",)


def test_strip_personal_leaves_no_planted_value_and_logs_only_names():
    data = raw()
    before = data.copy()
    findings = find_personal_columns(data, instrument_marks=MARKS)
    plan = plan_privacy(findings, pseudonymiser=Pseudonymiser(KEY), allow_free_text=["comment"])
    clean, log = strip_personal(data, plan)
    pd.testing.assert_frame_equal(data, before)  # input untouched
    assert list(clean.columns) == ["panel_code", "sex", "score", "comment"]
    expected = "P-" + hmac.new(KEY, b"ab-12", hashlib.sha256).hexdigest()[:16]
    assert clean.loc[0, "panel_code"] == expected and pd.isna(clean.loc[2, "panel_code"])
    assert clean.loc[0, "comment"] == "[name] tha se e thërret [name] në [phone]"
    assert scan_for_values(clean, PLANTED).empty
    assert scan_for_values(log, PLANTED).empty, "the log must not hold values"
    actions = dict(zip(log["column"], log["action"], strict=True))
    assert actions == {
        "panel_code": "pseudonymised",
        "emri_mbiemri": "dropped",
        "tel": "dropped",
        "email": "dropped",
        "comment": "scrubbed",
        "evidence": "dropped",
    }
    assert Pseudonymiser(KEY).fingerprint in log.set_index("column").loc["panel_code", "detail"]
    assert list(log.columns) == ["column", "action", "mark", "category", "reason", "detail"]


def test_pseudonyms_match_across_waves():
    plan = plan_privacy(
        find_personal_columns(raw(), instrument_marks=MARKS), pseudonymiser=Pseudonymiser(KEY)
    )
    wave2 = raw().iloc[[1, 0]].reset_index(drop=True)
    first, _ = strip_personal(raw(), plan)
    second, _ = strip_personal(wave2, plan)
    assert first.loc[0, "panel_code"] == second.loc[1, "panel_code"]


def test_linking_columns_without_a_key_fail_clearly():
    findings = find_personal_columns(raw(), instrument_marks=MARKS)
    with pytest.raises(PrivacyError, match="no key"):
        plan_privacy(findings)


def test_config_cannot_keep_what_the_instrument_marks():
    findings = find_personal_columns(raw(), instrument_marks=MARKS)
    with pytest.raises(PrivacyError, match="cannot be kept"):
        plan_privacy(findings, pseudonymiser=Pseudonymiser(KEY), keep=["emri_mbiemri"])
    with pytest.raises(PrivacyError, match="allow_free_text"):
        plan_privacy(findings, pseudonymiser=Pseudonymiser(KEY), allow_free_text=["emri_mbiemri"])


def test_config_may_keep_a_false_alarm_and_add_identifiers():
    frame = pd.DataFrame({"owns_mobile": ["po", "jo"], "kodi": ["K1", "K2"], "age": [14, 15]})
    findings = find_personal_columns(frame)
    assert findings["column"].tolist() == ["owns_mobile"]
    plan = plan_privacy(
        findings, keep=["owns_mobile"], pseudonymise=["kodi"], pseudonymiser=Pseudonymiser(KEY)
    )
    clean, log = strip_personal(frame, plan)
    assert list(clean.columns) == ["owns_mobile", "kodi", "age"]
    assert clean["kodi"].str.startswith("P-").all()
    assert set(log["action"]) == {"kept", "pseudonymised"}


def test_columns_missing_from_another_file_are_logged_as_absent():
    plan = plan_privacy(
        find_personal_columns(raw(), instrument_marks=MARKS), pseudonymiser=Pseudonymiser(KEY)
    )
    clean, log = strip_personal(raw().drop(columns=["email"]), plan)
    assert log.set_index("column").loc["email", "action"] == "absent"
    assert "email" not in clean.columns


def test_bad_findings_table_and_conflicting_plan():
    with pytest.raises(ParamsError, match="find_personal_columns"):
        plan_privacy(pd.DataFrame({"column": ["x"]}))
    findings = find_personal_columns(raw(), instrument_marks=MARKS)
    plan = plan_privacy(findings, pseudonymiser=Pseudonymiser(KEY), drop=["panel_code"])
    assert "panel_code" in plan.drop and "panel_code" not in plan.pseudonymise


# --------------------------------------------------------------------------- scrub_text
def test_scrub_text_redacts_each_kind():
    text = pd.Series(
        [
            "Fola me Dritën dhe Arben Smithi; tel +355 68 111 2222, email a.b@x.al",
            "GPS 41.112345 20.082212 tek shkolla",
            "Nxënësi SCH-014 mori 12 pikë më 05-12-2023",
            None,
        ],
        name="note",
    )
    out = scrub_text(text)
    assert out[0] == "Fola me [name] dhe [name] [name]; tel [phone], email [e-mail]"
    assert out[1] == "GPS [location] tek shkolla"
    assert out[2] == text[2], "codes, scores and dates stay"
    assert pd.isna(out[3]) and out.name == "note"


def test_scrub_text_with_given_names_is_case_and_accent_insensitive():
    out = scrub_text(["takova ARBER dhe arbërin te hoxhajt"], names=["Arbër Hoxha"])
    assert out[0] == "takova [name] dhe [name] te [name]"
    assert scrub_text(["drita e diellit"], builtin_names=True)[0] == "drita e diellit"
