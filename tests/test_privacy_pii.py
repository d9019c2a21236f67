"""Finding personal columns by instrument mark, by name and by content."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluation.errors import InstrumentError
from evaluation.privacy import find_personal_columns, personal_by_content, personal_by_name
from evaluation.privacy.patterns import find_coordinates, find_phones, has_email, name_evidence

REAL = Path(__file__).parent / "fixtures" / "real"
FIRST = ["Arben", "Drita", "Ilir", "Mimoza", "Gentian", "Elona", "Besnik", "Klea", "Altin", "Sara"]
LAST = ["Hoxha", "Shehu", "Leka", "Gjoka", "Kola", "Basha", "Duka", "Hysa", "Meta", "Rama"]


def survey(n: int = 40) -> pd.DataFrame:
    """A small export with every kind of personal column and the ordinary ones around them."""
    rng = np.random.default_rng(5)
    idx = np.arange(n)
    return pd.DataFrame(
        {
            "_uuid": [f"5e1a2b3c-0691-{i:04d}-a000-00000000{i:04d}" for i in idx],
            "start": pd.date_range("2024-03-04 09:00", periods=n, freq="37min").astype(str),
            "interview_date": pd.date_range("2024-03-04", periods=n, freq="D"),
            "school_code": [f"SCH-{int(i) % 12:03d}" for i in idx],
            "sex": rng.choice(["1", "2"], n),
            "score": rng.normal(3, 1, n).round(2),
            "weight": rng.uniform(5, 40, n),
            "unit": rng.choice(["Elbasan", "Funar", "Labinot Mal", "Qemal Stafa"], n),
            "notes": rng.choice(["ok", "po", "jo", ""], n),
            "identification/emri_mbiemri": [
                f"{FIRST[i % 10]} {LAST[(i + i // 10) % 10]}" for i in idx
            ],
            "contact-tel": [f"06{7 + i % 3} {100 + i:03d} {2000 + i:04d}" for i in idx],
            "Nënshkrimi": ["signature_" + str(i) + ".png" for i in idx],
            "DateOfBirth": pd.date_range("2008-01-01", periods=n, freq="11D").astype(str),
            "_gps_latitude": 41.1 + rng.random(n) / 100,
            "q_contact": [f"user{i}@example.al" for i in idx],
            "q_where": [f"{41 + i / 1000:.6f} {20 + i / 1000:.6f} 120 5" for i in idx],
            "q_friend": [f"{FIRST[(i + 4) % 10]} {LAST[(i + 3 * (i // 10)) % 10]}" for i in idx],
            "q_story": [
                f"Une jam takuar me shokët te parku pas shkollës ditën {i} dhe folëm gjatë"
                for i in idx
            ],
            "q_parent_mobile_number": [69_100_0000 + i for i in idx],
        }
    )


def findings_for(frame: pd.DataFrame, **kwargs) -> dict[str, dict]:
    found = find_personal_columns(frame, **kwargs)
    return {row["column"]: row for row in found.to_dict("records")}


def test_each_kind_of_personal_data_is_found():
    found = findings_for(survey())
    expected = {
        "identification/emri_mbiemri": ("name", "name"),
        "contact-tel": ("phone", "name"),
        "Nënshkrimi": ("signature", "name"),
        "DateOfBirth": ("birth_date", "name"),
        "_gps_latitude": ("gps", "name"),
        "q_contact": ("email", "content"),
        "q_where": ("gps", "content"),
        "q_friend": ("name", "content"),
        "q_story": ("free_text", "content"),
        "q_parent_mobile_number": ("phone", "name"),
    }
    for column, (category, source) in expected.items():
        assert column in found, f"{column} not found"
        assert (found[column]["category"], found[column]["source"]) == (category, source), column
    assert found["q_story"]["mark"] == "free_text"
    assert all(found[c]["mark"] == "direct" for c in expected if c != "q_story")


def test_ordinary_columns_are_not_flagged():
    found = findings_for(survey())
    for column in [
        "_uuid",
        "start",
        "interview_date",
        "school_code",
        "sex",
        "score",
        "weight",
        "unit",
        "notes",
    ]:
        assert column not in found, f"{column} wrongly flagged: {found.get(column)}"


def test_content_alone_finds_personal_data_under_neutral_names():
    frame = survey().rename(
        columns={
            "contact-tel": "q1",
            "identification/emri_mbiemri": "q2",
            "q_parent_mobile_number": "q3",
        }
    )
    found = findings_for(frame)
    assert found["q1"]["category"] == "phone" and found["q1"]["source"] == "content"
    assert found["q2"]["category"] == "name"
    assert found["q3"]["category"] == "phone"
    assert "values" in found["q1"]["reason"] and "069" not in found["q1"]["reason"]


def test_content_check_can_be_switched_off():
    found = findings_for(survey(), check_content=False)
    assert "q_contact" not in found and "identification/emri_mbiemri" in found


def test_instrument_marks_win_and_reach_group_paths_and_geopoint_parts():
    frame = pd.DataFrame(
        {
            "grp/panel_code": ["AB12", "CD34"],
            "gps": ["41.1 20.1 0 0", None],
            "_gps_latitude": [41.1, None],
            "loc-Longitude": [20.1, None],
            "meta/comment": ["x", "y"],
            "school_name": ["Naim Frashëri", "Sami Frashëri"],
        }
    )
    frame = pd.concat([frame] * 10, ignore_index=True)  # schools repeat over respondents
    marks = {
        "panel_code": "linking",
        "gps": "direct",
        "loc": "direct",
        "comment": "free_text",
        "school_name": "",
    }
    found = findings_for(frame, instrument_marks=marks)
    assert found["grp/panel_code"]["mark"] == "linking"
    assert found["grp/panel_code"]["source"] == "instrument"
    assert (
        found["_gps_latitude"]["mark"] == "direct" and "'gps'" in found["_gps_latitude"]["reason"]
    )
    assert found["loc-Longitude"]["mark"] == "direct"
    assert found["meta/comment"]["mark"] == "free_text"
    assert "school_name" not in found


def test_path_keys_mark_flat_spss_columns():
    frame = pd.DataFrame({"panel_code": ["AB072"], "sex": [1]})
    found = findings_for(frame, instrument_marks={"code/panel_code": "linking"})
    assert found["panel_code"]["mark"] == "linking"


def test_unknown_mark_is_an_instrument_error():
    with pytest.raises(InstrumentError, match="did you mean 'linking'"):
        find_personal_columns(pd.DataFrame({"a": [1]}), instrument_marks={"a": "linkng"})


@pytest.mark.parametrize(
    ("column", "category"),
    [
        ("emri", "name"), ("Mbiemri", "name"), ("grp.surname", "name"), ("firstName", "name"),
        ("respondent_name", "name"), ("nr_tel", "phone"), ("celular", "phone"),
        ("phonenumber", "phone"), ("E-mail", "email"), ("email_address", "email"),
        ("gps", "gps"), ("start-geopoint", "gps"), ("Latitude", "gps"), ("longitude", "gps"),
        ("adresa", "address"), ("home_address", "address"), ("datëlindja", "birth_date"),
        ("data_e_lindjes", "birth_date"), ("date_of_birth", "birth_date"), ("dob", "birth_date"),
        ("signature", "signature"), ("nënshkrimi", "signature"), ("numri_personal", "id_number"),
        ("photo", "photo"),
    ],
)  # fmt: skip
def test_personal_names_in_english_and_albanian(column, category):
    assert personal_by_name(column) is not None, column
    assert personal_by_name(column)[0] == category


@pytest.mark.parametrize(
    "column",
    [
        "school_name", "emri_shkollës", "institution_name", "location-area_name", "venue_name",
        "pelqim_per_fotografi", "photo_consent", "sex", "gjinia", "mosha", "school_code",
        "hotel", "translation", "latest", "interview_date", "username", "deviceid",
    ],
)  # fmt: skip
def test_names_that_are_not_personal(column):
    assert personal_by_name(column) is None, f"{column}: {personal_by_name(column)}"


def test_categorical_columns_are_not_read_as_names():
    places = pd.Series(pd.Categorical(["Qemal Stafa", "Luigj Gurakuqi", "Beqir Dardha"] * 10))
    assert personal_by_content(places) == []
    repeated = pd.Series(["Qemal Stafa", "Luigj Gurakuqi", "Beqir Dardha"] * 10)
    assert personal_by_content(repeated) == [], "a few place names repeated are not people"


def test_value_patterns():
    assert find_phones("thirr +355 69 123 4567 ose 068-765-4321") == [
        "+355 69 123 4567",
        "068-765-4321",
    ]
    assert find_phones("00355 67 222 3333") and find_phones("054 123 456")
    assert not find_phones("2024-03-15T10:22:33.123+01:00 SCH-014 05-12-2023 0.68123456")
    assert has_email("shkruaj te ana.hoxha@gmail.com") and not has_email("a@b")
    assert find_coordinates("41.112345, 20.082212") and not find_coordinates("12.5 13.25")
    assert not find_coordinates("99.123456 20.123456")
    assert name_evidence("Arben Hoxha") == "known" and name_evidence("ARBEN HOXHA") == "known"
    assert name_evidence("John Smith") == "pattern"
    assert name_evidence("SCH-014") == name_evidence("male") == name_evidence("po") == ""


def test_real_exports_are_read_without_false_alarms():
    central = pd.read_csv(REAL / "odk_central_flora_quadrat_04.csv")
    found = findings_for(central)
    assert (
        "location-corner1-Latitude" in found
        and found["location-corner1-Latitude"]["category"] == "gps"
    )
    assert "SubmitterName" in found
    for column in [
        "SubmissionDate",
        "meta-instanceID",
        "device_id",
        "location-area_name",
        "KEY",
        "Status",
    ]:
        assert column not in found, column
    kobo = pd.read_excel(REAL / "kobo_sample_export.xlsx")
    flagged = set(findings_for(kobo))
    assert not flagged & {
        "start",
        "end",
        "profile.country",
        "profile.occupation",
        "_uuid",
        "_id",
        "profile.HHSize",
    }


def test_our_questionnaires_are_flagged_only_where_marked():
    """Calibration on the project's six forms: every marked field is found through its mark
    and no unmarked field is flagged by its name (no 'keep' overrides needed)."""
    instruments = pytest.importorskip("evaluation.instruments")
    forms = sorted((Path(__file__).parents[1] / "surveys" / "instruments").glob("*.xlsx"))
    if not forms:
        pytest.skip("no questionnaires in surveys/instruments")
    for path in forms:
        form = instruments.read_instrument(path, convert=False)
        marks = form.personal_fields()
        columns = list(form.column_paths("/").values())
        found = find_personal_columns(pd.DataFrame(columns=columns), instrument_marks=marks)
        by_name = found.loc[found["source"] != "instrument", "column"].tolist()
        assert by_name == [], f"{path.name}: unmarked fields flagged by name: {by_name}"
        assert (found["source"] == "instrument").sum() >= len([m for m in marks.values() if m])
