"""evaluation.derive: derived variables and views on hand-made rows with hand-computed answers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from evaluation.derive import (
    add_derived,
    days_between,
    derived_view,
    holiday_dates,
    parse_derived,
    parse_view,
)
from evaluation.errors import DataError, ParamsError

AGREE4 = list("1234")


def codes(values: list[str | None], categories: list[str] = AGREE4) -> pd.Categorical:
    """A select_one column as ingestion writes it: categorical of choice codes."""
    return pd.Categorical(values, categories=categories)


def values_of(series: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in series]


# --------------------------------------------------------------------------- scale
@pytest.fixture
def items() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "a": codes(["1", "4", None, "2"]),
            "b": codes(["2", "4", "3", None]),
            "c": codes(["4", "1", None, None]),  # reverse-worded
        }
    )


def test_scale_reverses_items_and_needs_min_valid(items: pd.DataFrame) -> None:
    spec = {
        "kind": "scale",
        "items": ["a", "b", "c"],
        "reverse": ["c"],
        "min_score": 1,
        "max_score": 4,
        "min_valid": 2,
    }
    out = add_derived(items, "t", {"s": spec})
    # row 0: 1, 2, 5-4=1 -> 4/3; row 1: 4, 4, 5-1=4 -> 4; rows 2-3: one answered item -> NA
    assert out["s"].dtype == "Float64"
    assert out["s"].iloc[0] == pytest.approx(4 / 3)
    assert out["s"].iloc[1] == pytest.approx(4.0)
    assert out["s"].isna().tolist() == [False, False, True, True]


def test_scale_rescaled_to_0_100(items: pd.DataFrame) -> None:
    spec = {
        "kind": "scale",
        "items": ["a", "b", "c"],
        "reverse": ["c"],
        "min_score": 1,
        "max_score": 4,
        "min_valid": 2,
        "rescale_to": [0, 100],
    }
    out = add_derived(items, "t", {"s": spec})
    assert out["s"].iloc[0] == pytest.approx(100 * (4 / 3 - 1) / 3)
    assert out["s"].iloc[1] == pytest.approx(100.0)


def test_scale_default_min_valid_is_half_the_items(items: pd.DataFrame) -> None:
    out = add_derived(
        items, "t", {"s": {"kind": "scale", "items": ["a", "b"], "min_score": 1, "max_score": 4}}
    )
    # ceil(2 / 2) = 1 answered item is enough
    assert values_of(out["s"]) == [1.5, 4.0, 3.0, 2.0]


def test_scale_missing_codes_are_recoded_before_range_check() -> None:
    data = pd.DataFrame({"x": codes(["4", "9", "5"], ["1", "2", "3", "4", "5", "9"])})
    spec = {"kind": "scale", "items": ["x"], "min_score": 1, "max_score": 5, "missing_codes": [9]}
    assert values_of(add_derived(data, "t", {"s": spec})["s"]) == [4.0, None, 5.0]
    del spec["missing_codes"]
    with pytest.raises(DataError, match="outside"):
        add_derived(data, "t", {"s": spec})


# --------------------------------------------------------------------------- binary, count, number
@pytest.fixture
def youth() -> pd.DataFrame:
    occasions = [str(i) for i in range(7)]
    return pd.DataFrame(
        {
            "assent": codes(["yes", "yes", "yes", "yes", "no"], ["yes", "no"]),
            "su_can_life": codes(["0", "2", "3", None, None], occasions),
            "su_can_30d": codes([None, "1", None, None, None], occasions),
            "cs_safe_dark": codes(["3", "2", "4", "1", None]),
            "cs_cannabis_easy": codes(["4", "9", "5", "3", None], ["1", "2", "3", "4", "5", "9"]),
            "hs_drugs": pd.array(["police cso", "teacher", "", "police", None], dtype="string"),
            "hs_violence": pd.array(
                ["police", "dont_know", "helpline", "njmf", None], dtype="string"
            ),
            "any_delinquency": pd.array(["1", "0", "0", "0", "0"], dtype="string"),
            "d_weapon": codes(["1", "0", "0", None, None], ["0", "1", "2", "3", "4"]),
            "d_steal": codes(["0", "0", "2", None, None], ["0", "1", "2", "3", "4"]),
        }
    )


def test_binary_is_missing_where_nothing_it_reads_is_answered(youth: pd.DataFrame) -> None:
    out = add_derived(
        youth, "youth", {"feels_safe": {"kind": "binary", "expression": "${cs_safe_dark} >= 3"}}
    )
    assert out["feels_safe"].dtype == "Int64"
    assert values_of(out["feels_safe"]) == [1, 0, 1, 0, None]


def test_cannabis_30d_empty_after_lifetime_zero_counts_as_zero(youth: pd.DataFrame) -> None:
    spec = {
        "kind": "binary",
        "expression": "${su_can_30d} >= 1",
        "valid": "${su_can_life} != '' and not(${su_can_life} > 0 and ${su_can_30d} = '')",
    }
    out = add_derived(youth, "youth", {"cannabis_30d": spec})
    # lifetime 0 -> 0; used this month -> 1; lifetime 3 but 30-day skipped -> NA; no answers -> NA
    assert values_of(out["cannabis_30d"]) == [0, 1, None, None, None]


def test_dont_know_stays_in_the_denominator(youth: pd.DataFrame) -> None:
    spec = {"kind": "binary", "expression": "${cs_cannabis_easy} = 4 or ${cs_cannabis_easy} = 5"}
    out = add_derived(youth, "youth", {"cannabis_easy": spec})
    assert values_of(out["cannabis_easy"]) == [1, 0, 1, 0, None]


def test_count_of_services_across_two_questions(youth: pd.DataFrame) -> None:
    conditions = [
        f"selected(${{hs_drugs}}, '{s}') or selected(${{hs_violence}}, '{s}')"
        for s in ("police", "cso", "helpline", "njmf")
    ]
    definitions = {
        "help_knows_2": {"kind": "binary", "expression": "${help_n} >= 2"},  # reads help_n below
        "help_n": {"kind": "count", "conditions": conditions},
    }
    out = add_derived(youth, "youth", definitions)
    assert values_of(out["help_n"]) == [2, 0, 1, 2, None]  # police counted once in row 0
    assert values_of(out["help_knows_2"]) == [1, 0, 0, 1, None]


def test_derived_variable_replaces_a_text_calculate(youth: pd.DataFrame) -> None:
    spec = {"kind": "binary", "expression": "${d_weapon} > 0 or ${d_steal} > 0"}
    out = add_derived(youth, "youth", {"any_delinquency": spec})
    assert out["any_delinquency"].dtype == "Int64"
    assert values_of(out["any_delinquency"]) == [1, 0, 1, None, None]
    assert youth["any_delinquency"].dtype == "string"  # the input is not modified


def test_number_kind(youth: pd.DataFrame) -> None:
    spec = {"kind": "number", "expression": "${su_can_life} * 2"}
    out = add_derived(youth, "youth", {"double": spec})
    assert values_of(out["double"]) == [0.0, 4.0, 6.0, None, None]


def test_band_labels_and_order() -> None:
    data = pd.DataFrame({"age": pd.array([10, 14, 15, 17, 18, 25, None], dtype="Int64")})
    spec = {
        "kind": "band",
        "variable": "age",
        "bands": {"15_17": [15, 17], "10_14": [10, 14], "18_24": [18, 24]},
    }
    out = add_derived(data, "t", {"age_band": spec})
    assert values_of(out["age_band"]) == ["10_14", "10_14", "15_17", "15_17", "18_24", None, None]
    assert list(out["age_band"].cat.categories) == ["15_17", "10_14", "18_24"]


# --------------------------------------------------------------------------- days
def day_array(values: list[str | None]) -> np.ndarray:
    return pd.to_datetime(pd.Series(values)).to_numpy().astype("datetime64[D]")


def test_calendar_and_working_days() -> None:
    start = day_array(["2024-03-01", "2024-03-02", "2024-03-04", "2024-03-04", None])
    end = day_array(["2024-03-04", "2024-03-06", "2024-03-04", "2024-03-11", "2024-03-05"])
    # Fri -> Mon: 3 days, 1 working day; Sat -> Wed: Mon, Tue, Wed; same day 0; a week: 5
    assert values_of(days_between(start, end)) == [3, 4, 0, 7, None]
    assert values_of(days_between(start, end, working=True)) == [1, 3, 0, 5, None]


def test_albanian_holidays_are_skipped() -> None:
    # 2024-03-31 is Catholic Easter; Monday 2024-04-01 is its observed day off in Albania
    start, end = day_array(["2024-03-29"]), day_array(["2024-04-03"])
    assert values_of(days_between(start, end, working=True)) == [3]
    assert values_of(days_between(start, end, working=True, holidays="albania")) == [2]
    listed = [dt.date(2024, 4, 2)]
    assert values_of(days_between(start, end, working=True, holidays=listed)) == [2]
    assert np.datetime64("2022-11-28") in holiday_dates("albania", [2022])  # Independence Day


def test_days_to_the_earliest_end() -> None:
    data = pd.DataFrame(
        {
            "registered": pd.to_datetime(["2024-03-04", "2024-03-04", "2024-03-04"]),
            "review": pd.to_datetime(["2024-03-08", None, "2024-03-06"]),
            "plan": pd.to_datetime(["2024-03-07", "2024-03-05", None]),
        }
    )
    spec = {
        "kind": "days",
        "start": "registered",
        "end": ["review", "plan"],
        "unit": "working_days",
    }
    out = add_derived(
        data,
        "dv",
        {"wd": spec, "timely": {"kind": "binary", "expression": "${wd} <= 2", "valid": "true()"}},
    )
    assert values_of(out["wd"]) == [3, 1, 2]
    assert values_of(out["timely"]) == [0, 1, 1]


# --------------------------------------------------------------------------- validation
def test_unknown_variable_names_the_derived_variable_and_key(youth: pd.DataFrame) -> None:
    spec = {"feels_safe": {"kind": "binary", "expression": "${cs_safe_drak} >= 3"}}
    with pytest.raises(
        ParamsError, match=r"'feels_safe'.*key 'expression'.*did you mean 'cs_safe_dark'"
    ):
        add_derived(youth, "youth", spec)


def test_unknown_key_and_kind() -> None:
    with pytest.raises(ParamsError, match=r"'s'.*unknown key 'itmes'.*did you mean 'items'"):
        parse_derived({"s": {"kind": "scale", "itmes": ["a"], "min_score": 1, "max_score": 4}}, "t")
    with pytest.raises(ParamsError, match=r"key 'kind'.*'binnary'.*did you mean 'binary'"):
        parse_derived({"b": {"kind": "binnary", "expression": "1"}}, "t")
    with pytest.raises(ParamsError, match="missing required key 'expression'"):
        parse_derived({"b": {"kind": "binary"}}, "t")


def test_bad_values_are_params_errors() -> None:
    bad = {
        "reverse item not listed": {
            "kind": "scale",
            "items": ["a"],
            "reverse": ["b"],
            "min_score": 1,
            "max_score": 4,
        },
        "range upside down": {"kind": "scale", "items": ["a"], "min_score": 4, "max_score": 1},
        "overlapping bands": {"kind": "band", "variable": "a", "bands": {"x": [1, 5], "y": [5, 9]}},
        "holidays without working days": {
            "kind": "days",
            "start": "a",
            "end": "b",
            "holidays": "albania",
        },
        "unknown calendar": {
            "kind": "days",
            "start": "a",
            "end": "b",
            "unit": "working_days",
            "holidays": "kosovo",
        },
        "syntax error": {"kind": "binary", "expression": "${a} >= "},
    }
    for name, spec in bad.items():
        with pytest.raises(ParamsError):
            parse_derived({"v": spec}, "t")
            pytest.fail(name)


def test_cycles_are_refused() -> None:
    definitions = {
        "x": {"kind": "binary", "expression": "${y} = 1"},
        "y": {"kind": "binary", "expression": "${x} = 1"},
    }
    with pytest.raises(ParamsError, match="cycle: x -> y -> x"):
        parse_derived(definitions, "t")


def test_dependency_order_does_not_depend_on_file_order(youth: pd.DataFrame) -> None:
    parsed = parse_derived(
        {
            "b": {"kind": "binary", "expression": "${a} = 1"},
            "a": {"kind": "binary", "expression": "${cs_safe_dark} >= 3"},
        },
        "t",
    )
    assert list(parsed) == ["a", "b"]


# --------------------------------------------------------------------------- views
@pytest.fixture
def attendance() -> pd.DataFrame:
    rows = [
        # participant, session, session hours, hours attended
        ("P1", "S1", 3.0, 3.0),
        ("P1", "S2", 2.0, 2.0),
        ("P2", "S1", 3.0, 3.0),
        ("P3", "S1", 3.0, 3.0),
        ("P3", "S2", 2.0, 1.0),
        ("P3", "S2", 2.0, 0.5),  # entered twice: the larger is kept
        ("P4", "S2", 2.0, 2.0),
    ]
    frame = pd.DataFrame(
        rows, columns=["participant_code", "session_id", "session_hours", "hours_attended"]
    )
    frame["training_id"] = "TR001"
    frame["session_date"] = pd.to_datetime(
        frame["session_id"].map({"S1": "2023-03-06", "S2": "2023-03-07"})
    )
    frame["course"] = codes(["data_use"] * len(frame), ["data_use", "dv_referral"])
    frame["sex"] = codes(
        ["female", "female", "male", "male", "male", "male", "female"], ["female", "male"]
    )
    for column in ("age_band", "disability", "institution", "admin_unit"):
        frame[column] = "x"
    return frame


def test_completion_view(attendance: pd.DataFrame) -> None:
    view = parse_view("participants", {"kind": "completion", "source": "attendance"})
    out = derived_view(view, {"attendance": attendance}).set_index("participant_code")
    assert (out["training_hours"] == 5.0).all()
    assert out["hours_attended"].to_dict() == {"P1": 5.0, "P2": 3.0, "P3": 4.0, "P4": 2.0}
    assert out["hours_share"].to_dict() == pytest.approx(
        {"P1": 1.0, "P2": 0.6, "P3": 0.8, "P4": 0.4}
    )
    assert out["completed"].to_dict() == {"P1": 1, "P2": 0, "P3": 1, "P4": 0}  # 80% exactly counts
    assert out["sessions_share"].to_dict() == {"P1": 1.0, "P2": 0.5, "P3": 1.0, "P4": 0.5}
    assert out.loc["P1", "start_date"] == pd.Timestamp("2023-03-06")
    assert out.loc["P3", "sex"] == "male"


def test_pre_post_view_and_threshold() -> None:
    tests = pd.DataFrame(
        {
            "participant_code": ["A", "A", "B", "B", "C", "C", "D"],
            "training_id": "TR001",
            "test_type": ["pre", "post"] * 3 + ["pre"],
            "score_pct": pd.array(["40", "65", "60", "70", "55", "69", "50"], dtype="string"),
            "today": pd.to_datetime(["2023-03-06", "2023-03-08"] * 3 + ["2023-03-06"]),
        }
    )
    for column in ("course", "institution", "role", "sex", "age_band"):
        tests[column] = "x"
    view = parse_view("pairs", {"kind": "pre_post", "source": "tests"})
    out = derived_view(view, {"tests": tests}).set_index("participant_code")
    assert list(out.index) == ["A", "B", "C"]
    assert out["gain"].to_dict() == {"A": 25.0, "B": 10.0, "C": 14.0}
    # A: gain >= 20; B: post >= 70; C: neither
    assert out["threshold_met"].to_dict() == {"A": 1, "B": 1, "C": 0}
    assert out.loc["A", "normalised_gain"] == pytest.approx(25 / 60)
    assert out.attrs["notes"] == ["1 pre-tests without a matching post-test left out"]


def test_stack_view() -> None:
    scores = pd.DataFrame(
        {"inst": ["I1", "I2"], "gov_score": codes(["2", "3"]), "plan_score": codes(["4", None])}
    )
    view = parse_view(
        "domains",
        {
            "kind": "stack",
            "source": "card",
            "id": ["inst"],
            "values": {"gov_score": "governance", "plan_score": "planning"},
            "name": "domain",
            "value": "score",
        },
    )
    out = derived_view(view, {"card": scores})
    assert out["domain"].tolist() == ["governance", "governance", "planning", "planning"]
    assert values_of(out["score"]) == [2.0, 3.0, 4.0, None]


def test_view_errors(attendance: pd.DataFrame) -> None:
    with pytest.raises(ParamsError, match=r"unknown key 'treshold'.*did you mean 'threshold'"):
        parse_view("p", {"kind": "completion", "source": "a", "treshold": 0.8})
    view = parse_view("p", {"kind": "completion", "source": "attendance"})
    with pytest.raises(DataError, match="needs the clean table 'attendance'"):
        derived_view(view, {})
    with pytest.raises(DataError, match="hours_attended"):
        derived_view(view, {"attendance": attendance.drop(columns="hours_attended")})
