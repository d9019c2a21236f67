"""Export columns → questions, whatever the group separator; renames; a file of another form."""

import pandas as pd
import pytest

from evaluation.errors import DataError, ParamsError
from evaluation.ingest.choices import ChoiceBook
from evaluation.ingest.mapping import check_form_match, map_columns, table_questions
from evaluation.ingest.renames import apply_probable_renames, names_close
from evaluation.instruments import read_instrument

from .conftest import INSTRUMENTS, REAL


@pytest.fixture(scope="module")
def youth():
    return read_instrument(INSTRUMENTS / "youth_survey.xlsx", convert=False)


@pytest.fixture(scope="module")
def street():
    return read_instrument(INSTRUMENTS / "street_situation_contact.xlsx", convert=False)


@pytest.mark.parametrize("separator", ["/", "-", ".", ""], ids=["kobo", "central", "r", "flat"])
def test_every_question_is_found_whatever_the_separator(youth, separator):
    header = list(youth.column_paths(separator).values())
    mapping = map_columns(youth, header)
    questions = [q.key for q in table_questions(youth)]
    assert set(mapping.questions) == set(questions)
    assert mapping.unknown == [] and mapping.missing == []
    assert mapping.share == 1.0
    assert mapping.separators == ([separator] if separator else [])


@pytest.mark.parametrize("choice_sep", ["/", "_", ".", "-"])
def test_per_choice_columns_of_select_multiple(youth, choice_sep):
    header = [
        "victim/v_hurt_where",
        *(f"victim/v_hurt_where{choice_sep}{c}" for c in ("school", "street", "home", "other")),
    ]
    mapping = map_columns(youth, header)
    assert mapping.choices["v_hurt_where"] == {
        c: f"victim/v_hurt_where{choice_sep}{c}" for c in ("school", "street", "home", "other")
    }
    assert mapping.unknown == []


def test_choice_columns_alone_count_as_the_question(youth):
    mapping = map_columns(youth, ["v_hurt_where_school", "v_hurt_where_home"])
    assert "v_hurt_where" in mapping.choices and "v_hurt_where" not in mapping.missing


@pytest.mark.parametrize(
    "parts",
    [
        [
            f"observation/_location_gps_{p}"
            for p in ("latitude", "longitude", "altitude", "precision")
        ],
        [
            f"observation-location_gps-{p}"
            for p in ("Latitude", "Longitude", "Altitude", "Accuracy")
        ],
    ],
    ids=["kobo", "central"],
)
def test_geopoint_parts_are_recognised_not_unknown(street, parts):
    mapping = map_columns(street, ["observation/location_gps", *parts])
    assert mapping.unknown == []
    assert set(mapping.ignored) == set(parts)


def test_server_and_device_metadata(street):
    header = ["_id", "_uuid", "_submission_time", "_validation_status", "__version__", "_index",
              "meta/instanceID", "formhub/uuid", "KEY", "SubmissionDate", "SubmitterName",
              "ReviewState", "Edits", "FormVersion", "_xform_id_string"]  # fmt: skip
    mapping = map_columns(street, header)
    assert mapping.unknown == []
    assert mapping.metadata["_uuid"] == "id" and mapping.metadata["KEY"] == "id"
    assert mapping.metadata["SubmissionDate"] == "submitted_at"
    assert mapping.metadata["SubmitterName"] == "enumerator"
    assert mapping.metadata["_xform_id_string"] == "form_id"


def test_device_columns_the_form_lacks_are_metadata():
    form = read_instrument(REAL / "kobo_sample_xlsform.xlsx", convert=False)
    mapping = map_columns(form, ["start", "end", "location", "profile.country"])
    assert mapping.metadata == {"start": "start", "end": "end"}
    assert mapping.questions == {"location": "location", "country": "profile.country"}


def test_labels_as_headers_and_other_case(youth):
    mapping = map_columns(youth, ["DEMO/AGE", youth.label("sex")])
    assert mapping.questions == {"age": "DEMO/AGE", "sex": youth.label("sex")}
    assert len(mapping.notes) == 2


def test_configured_rename(youth):
    mapping = map_columns(youth, ["safe_at_night"], renames={"safe_at_night": "cs_safe_dark"})
    assert mapping.questions["cs_safe_dark"] == "safe_at_night"
    assert mapping.renamed == {"safe_at_night": "cs_safe_dark"}


def test_rename_to_an_unknown_question_is_a_params_error(youth):
    with pytest.raises(
        ParamsError, match=r"no question 'cs_safe_drak' .*did you mean 'cs_safe_dark'"
    ):
        map_columns(youth, ["x"], renames={"x": "cs_safe_drak"})


def test_unknown_and_missing_columns_are_listed(street):
    mapping = map_columns(street, ["observation/obs_date", "mystery"])
    assert mapping.unknown == ["mystery"]
    assert "obs_time" in mapping.missing and "obs_date" not in mapping.missing


def test_a_file_of_another_form_names_the_form_it_fits(youth):
    attendance = read_instrument(INSTRUMENTS / "training_attendance.xlsx", convert=False)
    header = list(youth.column_paths("/").values())
    mapping = map_columns(attendance, header)
    with pytest.raises(
        DataError, match=r"baseline.csv: only 0 of 20 questions .* form 'youth_survey' \(100%"
    ):
        check_form_match(
            mapping, attendance, header, "baseline.csv", sorted(INSTRUMENTS.glob("*.xlsx"))
        )


def test_a_file_of_no_known_form(youth):
    header = ["alpha", "beta", "gamma"]
    with pytest.raises(DataError, match="no other form in the instruments folder matches"):
        check_form_match(
            map_columns(youth, header), youth, header, "x.csv", sorted(INSTRUMENTS.glob("*.xlsx"))
        )


# --------------------------------------------------------------------------- probable renames
def _frame(columns):
    return pd.DataFrame({c: pd.Series(v, dtype="str") for c, v in columns.items()})


def test_probable_rename_is_applied_when_unambiguous(youth):
    header = [c for c in youth.column_paths("").values() if c != "cs_safe_dark"] + [
        "safe_after_dark"
    ]
    mapping = map_columns(youth, header)
    frame = _frame({"safe_after_dark": ["1", "3", None, "4"]})
    labels = {"safe_after_dark": {"1": "Very unsafe", "2": "Unsafe", "3": "Safe", "4": "Very safe"}}
    apply_probable_renames(mapping, youth, frame, labels, ChoiceBook(youth))
    assert mapping.renamed == {"safe_after_dark": "cs_safe_dark"}
    assert mapping.unknown == [] and mapping.missing == []
    assert "applied automatically" in mapping.notes[-1]


def test_values_that_do_not_fit_are_no_rename(youth):
    mapping = map_columns(youth, ["safe_after_dark"])
    apply_probable_renames(
        mapping, youth, _frame({"safe_after_dark": ["7", "9"]}), {}, ChoiceBook(youth)
    )
    assert mapping.renamed == {} and mapping.unknown == ["safe_after_dark"]


def test_two_candidates_are_reported_not_applied(youth):
    header = [
        c for c in youth.column_paths("").values() if c not in ("fm_home_late", "fm_homework")
    ]
    mapping = map_columns(youth, [*header, "fm_home"])
    frame = _frame({"fm_home": ["1", "2", "4"]})
    apply_probable_renames(mapping, youth, frame, {}, ChoiceBook(youth))
    assert mapping.renamed == {}
    assert sum("possible rename of 'fm_home'" in n for n in mapping.notes) == 2


def test_names_close():
    assert names_close("safe_after_dark", "cs_safe_dark")
    assert names_close("demo/agee", "age")
    assert not names_close("income", "cs_safe_dark")
    assert not names_close("comment_text", "comment", strict=True)
