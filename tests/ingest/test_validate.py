"""Relevance, required answers and constraints, as the form says."""

import datetime as dt

import numpy as np
import pandas as pd

from evaluation.ingest.problems import Flags, Problems
from evaluation.ingest.validate import validate
from evaluation.instruments import read_instrument

from .conftest import MINI_HEADER, make_form, mini_row, run_mini


def test_answer_to_a_question_that_was_not_relevant_is_blanked_and_flagged(tmp_path):
    # reason_other is relevant only when 'other' is among the reasons
    clean, quarantine, log = run_mini(tmp_path, [mini_row("u1", other="extra")])
    assert quarantine.empty
    assert clean["reason_other"].isna().all()
    assert clean["_flags"].tolist() == ["relevant_violation:reason_other"]
    assert log["tables"]["mini"]["blanked_not_relevant"] == {"reason_other": 1}


def test_required_only_where_relevant_and_required_if(tmp_path):
    lines = [
        mini_row("u1", reasons="other", flags="0,0,1", age="16"),  # required (age > 15), missing
        mini_row("u2", reasons="other", flags="0,0,1", age="14"),  # not required at 14
        mini_row("u3", reasons="work", age="16"),  # not relevant
        mini_row("u4", sex=""),  # sex is required
    ]
    _, quarantine, _ = run_mini(tmp_path, lines)
    assert quarantine[["row", "column", "rule"]].values.tolist() == [
        ["2", "reason_other", "required"],
        ["5", "sex", "required"],
    ]
    assert "required when ${age} > 15" in quarantine["message"].iloc[0]


def test_refusal_leaves_the_group_unasked_so_nothing_is_required(tmp_path):
    line = mini_row(
        "u1", assent="no", name="", age="", sex="", reasons="", flags=",,", code="", visit=""
    )
    clean, quarantine, _ = run_mini(tmp_path, [line])
    assert quarantine.empty
    assert clean["_flags"].tolist() == ["assent_refused"]


def test_constraints_with_dot_and_dates(tmp_path):
    lines = [mini_row("u1", age="9"), mini_row("u2", age="21"), mini_row("u3", visit="2019-12-31")]
    _, quarantine, _ = run_mini(tmp_path, lines)
    assert quarantine[["column", "value", "rule"]].values.tolist() == [
        ["age", "9", "constraint"],
        ["age", "21", "constraint"],
        ["visit", "2019-12-31T00:00:00", "constraint"],
    ]
    assert "(10 to 20)" in quarantine["message"].iloc[0]


def test_a_type_error_is_not_also_reported_as_missing(tmp_path):
    _, quarantine, _ = run_mini(tmp_path, [mini_row("u1", age="twelve")])
    assert quarantine["rule"].tolist() == ["type"]


def test_required_question_whose_column_is_absent_is_not_a_row_problem(tmp_path):
    header = MINI_HEADER.replace(",g/sex", "")
    line = mini_row("u1").replace(",female,", ",", 1)
    clean, quarantine, log = run_mini(tmp_path, [line], header=header)
    assert quarantine.empty and len(clean) == 1
    assert "sex" in log["files"][0]["columns"]["missing"]


def test_expressions_the_workbench_cannot_evaluate_are_skipped_with_a_note(tmp_path):
    survey = [
        ("integer", "n", "N", "", "", "pulldata('f', 'x', 'y', .) > 1", "", ""),
        ("integer", "m", "M", "", "", ". < 5", "", ""),
    ]
    form = read_instrument(make_form(tmp_path / "f.xlsx", survey, []), convert=False)
    data = pd.DataFrame(
        {"n": pd.array([1, 2], dtype="Int64"), "m": pd.array([1, 9], dtype="Int64")}
    )
    problems, flags = Problems(), Flags()
    checks = validate(data, form, {}, np.ones(2, dtype=bool), problems, flags, dt.date(2024, 1, 1))
    assert any("constraint of 'n' not checked" in n for n in checks.notes)
    assert problems.frame()[["row", "column", "rule"]].values.tolist() == [[1, "m", "constraint"]]


def test_today_is_the_given_date(tmp_path):
    survey = [("date", "d", "D", "", "", ". <= today()", "", "")]
    form = read_instrument(make_form(tmp_path / "f.xlsx", survey, []), convert=False)
    data = pd.DataFrame(
        {"d": pd.to_datetime(["2024-01-01", "2024-06-01"]).astype("datetime64[ns]")}
    )
    problems = Problems()
    validate(data, form, {}, np.ones(2, dtype=bool), problems, Flags(), dt.date(2024, 3, 1))
    assert problems.frame()["row"].tolist() == [1]
