"""evaluation.indicators: statistics on tiny frames with hand-computed answers, survey
indicators against evaluation.survey (R-verified), the status rule, the donor tables, and
every computable indicator of params/logframe.yaml on a freshly ingested demo world."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaluation import survey
from evaluation.errors import DataError, ParamsError
from evaluation.indicators import (
    ITT_COLUMNS,
    Dated,
    Indicator,
    StatusRule,
    compute_indicator,
    compute_indicators,
    disaggregation_table,
    expected_value,
    indicator_status,
    latest_milestone,
    load_logframe,
    logframe_table,
    parse_logframe,
    pct_of_target,
    read_clean_tables,
)
from evaluation.results import check_result

PROJECT = Path(__file__).parent.parent
REL = 1e-6


# --------------------------------------------------------------------------- a register
def register_logframe(**definition_overrides):
    definition = {
        "table": "cases",
        "statistic": "count",
        "period": {"column": "registered", "unit": "quarter"},
    }
    definition.update(definition_overrides)
    raw = {
        "tables": {
            "cases": {
                "instrument": None,
                "columns": [
                    "registered",
                    "timely",
                    "services",
                    "children",
                    "risk",
                    "case_id",
                    "flag",
                ],
            }
        },
        "dimensions": {
            "risk_level": {"label": {"en": "Risk", "sq": "Rreziku"}, "columns": {"cases": "risk"}}
        },
        "indicators": {
            "X": {
                "level": "outcome",
                "name": {"en": "x", "sq": "x"},
                "unit": "number",
                "direction": "higher",
                "definition": definition,
                "disaggregations": ["risk_level"],
            }
        },
    }
    return parse_logframe(raw, "test")


@pytest.fixture
def cases() -> dict[str, pd.DataFrame]:
    frame = pd.DataFrame(
        {
            "registered": pd.to_datetime(
                ["2023-01-05", "2023-01-20", "2023-02-10", "2023-04-02", "2023-04-15", "2023-07-01"]
            ),
            "timely": pd.array([1, 0, 1, 1, None, 0], dtype="Int64"),
            "services": pd.array([2, 3, 0, 1, 4, 2], dtype="Int64"),
            "children": pd.array([1, 2, 0, 1, 3, 1], dtype="Int64"),
            "risk": pd.Categorical(
                ["low", "high", "high", "low", "medium", "high"],
                categories=["low", "medium", "high"],
            ),
            "case_id": pd.array(["C1", "C2", "C2", "C3", "C4", "C5"], dtype="string"),
            "flag": pd.array(["1", "2", "1", "1", "1", "1"], dtype="string"),
        }
    )
    return {"cases": frame}


def one(table: pd.DataFrame, **where: object) -> pd.Series:
    rows = table
    for column, value in where.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, rows
    return rows.iloc[0]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"statistic": "mean", "variable": "services"}, (2 + 3 + 0 + 1 + 4 + 2) / 6),
        ({"statistic": "total", "variable": "services"}, 12.0),
        ({"statistic": "median", "variable": "services"}, 2.0),
        ({"statistic": "count"}, 6.0),
        ({"statistic": "count", "variable": "timely"}, 3.0),
        ({"statistic": "count", "population": "${risk} = 'high'"}, 3.0),
        ({"statistic": "count_unique", "variable": "case_id"}, 5.0),
        ({"statistic": "ratio", "numerator": "services", "denominator": "children"}, 12 / 8),
        (
            {
                "statistic": "ratio",
                "numerator": "services",
                "denominator": "children",
                "multiplier": 1000,
            },
            1500.0,
        ),
        ({"statistic": "proportion", "variable": "timely"}, 3 / 5),
        ({"statistic": "proportion", "expression": "${services} >= 2"}, 4 / 6),
    ],
    ids=lambda v: str(v)[:40] if isinstance(v, dict) else None,
)
def test_register_statistics_are_exact(cases, overrides, expected) -> None:
    overrides = {**overrides, "period": None}
    logframe = register_logframe(**overrides)
    table = compute_indicator(logframe, "X", cases)
    check_result(table)
    row = one(table, period="all")
    assert row["estimate"] == pytest.approx(expected, rel=REL)
    assert row["method"] == "exact (register)"


def test_register_by_disaggregation(cases) -> None:
    logframe = register_logframe(statistic="mean", variable="services", period=None)
    table = compute_indicator(logframe, "X", cases, by="risk_level")
    assert list(table.columns[:2]) == ["indicator", "period"] and table.columns[2] == "risk_level"
    got = dict(zip(table["risk_level"], table["estimate"], strict=True))
    assert got == pytest.approx({"low": 1.5, "medium": 4.0, "high": 5 / 3})
    assert table["status"].isna().all()  # status only on totals


def test_register_proportion_has_the_clopper_pearson_interval(cases) -> None:
    logframe = register_logframe(statistic="proportion", variable="timely")
    table = compute_indicator(logframe, "X", cases)
    q1 = one(table, period="2023-Q1")  # timely 1, 0, 1
    assert (q1["estimate"], q1["n"]) == (pytest.approx(2 / 3), 3)
    # R: binom.test(2, 3)$conf.int = 0.09429932 0.99159624
    assert q1["ci_low"] == pytest.approx(0.09429932, rel=REL)
    assert q1["ci_high"] == pytest.approx(0.99159624, rel=REL)
    # and the beta-quantile formula
    assert q1["ci_low"] == pytest.approx(stats.beta.ppf(0.025, 2, 2), rel=1e-9)
    assert q1["ci_high"] == pytest.approx(stats.beta.ppf(0.975, 3, 1), rel=1e-9)
    assert q1["se"] == pytest.approx(np.sqrt(2 / 3 * 1 / 3 / 3))
    q2 = one(table, period="2023-Q2")  # 1 and a missing value: n = 1
    assert (q2["estimate"], q2["n"]) == (1.0, 1)
    no_ci = compute_indicator(
        register_logframe(statistic="proportion", variable="timely", ci="none"), "X", cases
    )
    assert no_ci[["se", "ci_low", "ci_high"]].isna().all().all()


@pytest.mark.parametrize(
    ("k", "n", "low", "high"), [(7, 20, 0.1539092, 0.5921885), (0, 5, 0.0, 0.5218238)]
)
def test_clopper_pearson_against_r(k, n, low, high) -> None:
    frame = pd.DataFrame(
        {
            "registered": pd.Timestamp("2023-01-01"),
            "timely": pd.array([1] * k + [0] * (n - k), dtype="Int64"),
        }
    )
    for column in ("services", "children", "risk", "case_id", "flag"):
        frame[column] = 1
    row = compute_indicator(
        register_logframe(statistic="proportion", variable="timely"), "X", {"cases": frame}
    ).iloc[0]
    assert row["ci_low"] == pytest.approx(low, rel=1e-6, abs=1e-7)  # R binom.test(k, n), 7 digits
    assert row["ci_high"] == pytest.approx(high, rel=1e-6)


@pytest.mark.parametrize(
    ("unit", "labels"),
    [
        ("month", ["2023-01", "2023-02", "2023-04", "2023-07"]),
        ("quarter", ["2023-Q1", "2023-Q2", "2023-Q3"]),
        ("year", ["2023"]),
    ],
)
def test_periods(cases, unit, labels) -> None:
    logframe = register_logframe(period={"column": "registered", "unit": unit})
    table = compute_indicator(logframe, "X", cases)
    assert table["period"].tolist() == labels
    assert table["estimate"].sum() == 6


def test_cumulative_count_unique(cases) -> None:
    period = {"column": "registered", "unit": "quarter", "cumulative": True}
    logframe = register_logframe(statistic="count_unique", variable="case_id", period=period)
    table = compute_indicator(logframe, "X", cases)
    assert dict(zip(table["period"], table["estimate"], strict=True)) == {
        "2023-Q1": 2,
        "2023-Q2": 4,
        "2023-Q3": 5,
    }


def test_requested_period_and_empty_period(cases) -> None:
    logframe = register_logframe()
    table = compute_indicator(logframe, "X", cases, period=["2023-Q2", "2023-Q4"])
    assert table["period"].tolist() == ["2023-Q2", "2023-Q4"]
    assert table["estimate"].tolist() == [2.0, 0.0] and table["n"].tolist() == [2, 0]
    by_month = compute_indicator(logframe, "X", cases, period="2023-01", period_unit="month")
    assert by_month["estimate"].tolist() == [2.0]
    with pytest.raises(ParamsError, match="not a quarter label"):
        compute_indicator(logframe, "X", cases, period="2023-13")


def test_proportion_of_a_variable_that_is_not_binary(cases) -> None:
    logframe = register_logframe(statistic="proportion", variable="flag")
    with pytest.raises(DataError, match=r"indicator 'X'.*'flag' has values 2.0 besides 0 and 1"):
        compute_indicator(logframe, "X", cases)


def test_missing_table_and_unknown_indicator(cases) -> None:
    logframe = register_logframe()
    with pytest.raises(DataError, match="'cases' was not given"):
        compute_indicator(logframe, "X", {})
    with pytest.raises(ParamsError, match="no indicator 'Y'"):
        compute_indicator(logframe, "Y", cases)


def test_inputs_are_not_modified(cases) -> None:
    before = cases["cases"].copy()
    compute_indicator(
        register_logframe(statistic="mean", variable="services"), "X", cases, by="risk_level"
    )
    pd.testing.assert_frame_equal(cases["cases"], before)


# --------------------------------------------------------------------------- the survey
def survey_data(seed: int = 7) -> pd.DataFrame:
    """Two rounds of a stratified school sample (4 strata x 5 schools x 12 students)."""
    rng = np.random.default_rng(seed)
    rows = []
    for wave in ("baseline", "endline"):
        for stratum in range(4):
            for school in range(5):
                weight = rng.uniform(2, 12)
                for _ in range(12):
                    assent = rng.random() > 0.05
                    rows.append(
                        {
                            "wave": wave,
                            "stratum": f"s{stratum}",
                            "school_code": f"ES{stratum}{school}",
                            "weight": weight,
                            "assent": "yes" if assent else "no",
                            "sex": rng.choice(["female", "male"]),
                            "safe": str(rng.integers(1, 5))
                            if assent and rng.random() > 0.03
                            else None,
                            "score": rng.normal(60 + 5 * stratum, 10) if assent else np.nan,
                        }
                    )
    frame = pd.DataFrame(rows)
    frame["wave"] = pd.Categorical(frame["wave"], categories=["baseline", "endline"])
    frame["safe"] = pd.Categorical(frame["safe"], categories=["1", "2", "3", "4"])
    frame["sex"] = pd.Categorical(frame["sex"], categories=["female", "male"])
    frame["score"] = frame["score"].astype("Float64")
    return frame


def survey_logframe(statistic: str = "proportion", variable: str = "feels_safe"):
    raw = {
        "designs": {
            "school": {"weights": "weight", "strata": "stratum", "clusters": "school_code"}
        },
        "tables": {
            "youth": {
                "instrument": None,
                "design": "school",
                "columns": [
                    "wave",
                    "stratum",
                    "school_code",
                    "weight",
                    "assent",
                    "sex",
                    "safe",
                    "score",
                ],
            }
        },
        "derived": {"youth": {"feels_safe": {"kind": "binary", "expression": "${safe} >= 3"}}},
        "dimensions": {
            "sex": {"label": {"en": "Sex", "sq": "Gjinia"}, "columns": {"youth": "sex"}}
        },
        "indicators": {
            "S": {
                "level": "impact",
                "name": {"en": "s", "sq": "s"},
                "unit": "percent" if statistic == "proportion" else "score",
                "direction": "higher",
                "definition": {
                    "table": "youth",
                    "statistic": statistic,
                    "variable": variable,
                    "population": "${assent} = 'yes'",
                    "period": {
                        "column": "wave",
                        "dates": {"baseline": "2022-11-11", "endline": "2023-06-02"},
                    },
                },
                "disaggregations": ["sex"],
            }
        },
    }
    return parse_logframe(raw, "test")


def direct_survey(data: pd.DataFrame, wave: str, function, variable: str, by=None) -> pd.DataFrame:
    """The same estimate with evaluation.survey: the round's design, the population a domain."""
    rows = data[data["wave"] == wave].copy()
    rows["feels_safe"] = pd.array(
        np.where(rows["safe"].isna(), np.nan, rows["safe"].astype(float) >= 3), dtype="Float64"
    )
    rows["_pop"] = pd.array(np.where(rows["assent"] == "yes", "in", None), dtype="string")
    design = survey.Design(
        rows, weights="weight", strata="stratum", clusters="school_code", lonely_psu="adjust"
    )
    table = function(design, variable, by=["_pop", *(by or [])])
    return table[table["_pop"] == "in"].reset_index(drop=True)


@pytest.mark.parametrize("wave", ["baseline", "endline"])
def test_survey_proportion_equals_survey_module(wave) -> None:
    data = survey_data()
    table = compute_indicator(survey_logframe(), "S", {"youth": data}, period=wave)
    expected = direct_survey(data, wave, survey.proportion, "feels_safe")
    for column in ("estimate", "se", "ci_low", "ci_high", "df", "deff"):
        assert table[column].iloc[0] == pytest.approx(expected[column].iloc[0], rel=1e-12), column
    assert table["n"].iloc[0] == expected["n"].iloc[0]
    assert table["method"].iloc[0] == "design-based"
    # the population is a domain of the whole round; as every school has respondents in it,
    # the estimate equals that of the subset
    naive = survey.proportion(
        survey.Design(
            direct_survey_rows(data, wave),
            weights="weight",
            strata="stratum",
            clusters="school_code",
        ),
        "feels_safe",
    )
    assert table["estimate"].iloc[0] == pytest.approx(naive["estimate"].iloc[0], rel=1e-12)


def direct_survey_rows(data: pd.DataFrame, wave: str) -> pd.DataFrame:
    rows = data[(data["wave"] == wave) & (data["assent"] == "yes")].copy()
    rows["feels_safe"] = pd.array(
        np.where(rows["safe"].isna(), np.nan, rows["safe"].astype(float) >= 3), dtype="Float64"
    )
    return rows


def test_survey_mean_by_sex_equals_survey_module() -> None:
    data = survey_data()
    table = compute_indicator(
        survey_logframe("mean", "score"), "S", {"youth": data}, period="endline", by="sex"
    )
    expected = direct_survey(data, "endline", survey.mean, "score", by=["sex"])
    assert table["sex"].astype(str).tolist() == expected["sex"].astype(str).tolist()
    np.testing.assert_allclose(table["estimate"], expected["estimate"], rtol=1e-12)
    np.testing.assert_allclose(table["se"], expected["se"], rtol=1e-12)


def test_survey_design_can_be_overridden_with_exact() -> None:
    data = survey_data()
    table = compute_indicator(
        survey_logframe(), "S", {"youth": data}, period="baseline", design="exact"
    )
    rows = direct_survey_rows(data, "baseline")
    assert table["estimate"].iloc[0] == pytest.approx(rows["feels_safe"].mean(), rel=1e-12)
    assert table["method"].iloc[0] == "exact (register)"


def test_survey_design_can_be_given_as_arguments() -> None:
    data = survey_data()
    table = compute_indicator(
        survey_logframe(), "S", {"youth": data}, period="endline", design={"weights": "weight"}
    )
    rows = data[data["wave"] == "endline"].copy()
    rows["feels_safe"] = pd.array(
        np.where(rows["safe"].isna(), np.nan, rows["safe"].astype(float) >= 3), dtype="Float64"
    )
    rows["_pop"] = pd.array(np.where(rows["assent"] == "yes", "in", None), dtype="string")
    expected = survey.proportion(survey.Design(rows, weights="weight"), "feels_safe", by="_pop")
    expected = expected[expected["_pop"] == "in"]
    assert table["se"].iloc[0] == pytest.approx(expected["se"].iloc[0], rel=1e-12)


def test_survey_periods_and_info() -> None:
    table = compute_indicator(survey_logframe(), "S", {"youth": survey_data()})
    assert table["period"].tolist() == ["baseline", "endline"]
    assert table["period_end"].tolist() == [dt.date(2022, 11, 11), dt.date(2023, 6, 2)]
    info = table.attrs["info"]
    assert info.reference == "R survey::svyciprop (logit)"
    assert any("outside the indicator's population" in note for note in info.notes)


# --------------------------------------------------------------------------- status rule
def path_indicator(direction: str, baseline: float, milestone: float, target: float) -> Indicator:
    """Baseline on 1 Jan, milestone 10 days later, target 20 days later."""
    return Indicator(
        id="T",
        level="outcome",
        name={"en": "t"},
        unit="number",
        direction=direction,
        baseline=Dated(baseline, dt.date(2023, 1, 1)),
        milestones=(Dated(milestone, dt.date(2023, 1, 11)),),
        target=Dated(target, dt.date(2023, 1, 21)),
    )


def day(n: int) -> dt.date:
    return dt.date(2023, 1, 1) + dt.timedelta(days=n)


def test_pro_rata_path() -> None:
    indicator = path_indicator("higher", 0, 10, 20)
    assert expected_value(indicator, day(5)) == pytest.approx(5.0)
    assert expected_value(indicator, day(15)) == pytest.approx(15.0)
    assert expected_value(indicator, day(-3)) == 0.0
    assert expected_value(indicator, day(40)) == 20.0
    assert latest_milestone(indicator, day(5)) is None
    assert latest_milestone(indicator, day(12)).value == 10
    assert latest_milestone(indicator, day(25)).value == 20  # the target, once due


@pytest.mark.parametrize(
    ("direction", "path", "actual", "status"),
    [
        ("higher", (0, 10, 20), 5.0, "on track"),  # on the path
        ("higher", (0, 10, 20), 7.0, "on track"),  # beyond it
        ("higher", (0, 10, 20), 3.0, "at risk"),  # 2 short = 10% of |20 - 0|
        ("higher", (0, 10, 20), 2.9, "off track"),
        ("lower", (20, 10, 0), 15.0, "on track"),
        ("lower", (20, 10, 0), 12.0, "on track"),
        ("lower", (20, 10, 0), 16.5, "at risk"),
        ("lower", (20, 10, 0), 17.5, "off track"),
        ("higher", (0, 10, 20), float("nan"), "no data"),
    ],
)
def test_status_rule(direction, path, actual, status) -> None:
    indicator = path_indicator(direction, *path)
    assert indicator_status(indicator, actual, day(5)) == status


def test_status_margin_and_missing_target() -> None:
    indicator = path_indicator("higher", 0, 10, 20)
    assert indicator_status(indicator, 3.0, day(5), StatusRule(margin=0.05)) == "off track"
    no_target = Indicator(
        id="T", level="context", name={"en": "t"}, unit="count", direction="lower"
    )
    assert indicator_status(no_target, 3.0, day(5)) == "no target"


def test_pct_of_target() -> None:
    assert pct_of_target(path_indicator("higher", 0, 10, 20), 5.0) == pytest.approx(0.25)
    assert pct_of_target(path_indicator("lower", 20, 10, 0), 15.0) == pytest.approx(0.25)
    assert pct_of_target(path_indicator("lower", 20, 10, 0), 25.0) == pytest.approx(-0.25)


def test_status_in_results_uses_the_period_end(cases) -> None:
    raw_logframe = register_logframe(
        statistic="count", period={"column": "registered", "unit": "quarter", "cumulative": True}
    )
    indicator = raw_logframe.indicator("X")
    from dataclasses import replace

    indicator = replace(
        indicator,
        baseline=Dated(0.0, dt.date(2022, 12, 31)),
        milestones=(Dated(4.0, dt.date(2023, 6, 30)),),
        target=Dated(8.0, dt.date(2023, 12, 31)),
    )
    logframe = replace(raw_logframe, indicators={"X": indicator})
    table = compute_indicator(logframe, "X", cases)
    q1 = one(table, period="2023-Q1")  # 3 cases by 31 March; path: 4 * 90/181
    assert q1["expected"] == pytest.approx(4 * 90 / 181)
    assert q1["status"] == "on track"
    q3 = one(table, period="2023-Q3")  # 6 by 30 September; path 4 + 4 * 92/184 = 6
    assert q3["expected"] == pytest.approx(6.0)
    assert q3["status"] == "on track"
    assert q3["milestone"] == 4.0 and q3["pct_of_target"] == pytest.approx(6 / 8)


# --------------------------------------------------------------------------- donor tables
def test_logframe_table_lists_every_indicator(cases) -> None:
    logframe = register_logframe(statistic="proportion", variable="timely")
    raw = {
        "tables": {"cases": {"instrument": None, "columns": ["registered", "timely", "risk"]}},
        "indicators": {
            **{
                "X": {
                    "level": "outcome",
                    "name": {"en": "Timely", "sq": "Në kohë"},
                    "unit": "percent",
                    "direction": "higher",
                    "definition": {
                        "table": "cases",
                        "statistic": "proportion",
                        "variable": "timely",
                        "period": {"column": "registered", "unit": "quarter"},
                    },
                    "baseline": {"value": 0.5, "date": "2022-12-31"},
                    "milestones": [{"value": 0.6, "date": "2023-06-30"}],
                    "target": {"value": 0.8, "date": "2023-12-31"},
                    "source": {"en": "Case log (E)", "sq": "Regjistri i rasteve (E)"},
                }
            },
            "N": {
                "level": "output",
                "name": {"en": "Not here", "sq": "Jo këtu"},
                "unit": "count",
                "direction": "higher",
                "computable": False,
                "reason": "partnership tracker",
                "baseline": {"value": 0, "date": "2022-12-31"},
                "milestones": [{"value": 3, "date": "2023-06-30"}],
                "target": {"value": 6, "date": "2023-12-31"},
                "source": "Partnership tracker",  # a plain string: English, in both
            },
        },
    }
    logframe = parse_logframe(raw, "test")
    results = compute_indicators(logframe, cases)
    itt = logframe_table(logframe, results, as_of=dt.date(2023, 6, 30), language="sq")
    assert tuple(itt.columns) == ITT_COLUMNS
    x, n = itt.iloc[0], itt.iloc[1]
    assert (x["id"], x["indicator"], x["period"]) == (
        "X",
        "Në kohë",
        "2023-Q2",
    )  # Q3 ends after as_of
    assert (
        x["actual"] == 1.0 and x["milestone"] == 0.6 and x["milestone_date"] == dt.date(2023, 6, 30)
    )
    assert x["status"] == "on track"
    assert (n["status"], n["target"]) == ("not collected", 6)
    assert n["note"] == "not collected by the workbench: partnership tracker"
    assert (x["source"], n["source"]) == ("Regjistri i rasteve (E)", "Partnership tracker")
    latest = logframe_table(logframe, results)
    assert latest.iloc[0]["period"] == "2023-Q3"
    assert latest.iloc[0]["source"] == "Case log (E)"


def test_disaggregation_table_has_totals_first(cases) -> None:
    logframe = register_logframe(statistic="mean", variable="services", period=None)
    table = disaggregation_table(logframe, cases, "risk_level")
    check_result(table)
    assert table["risk_level"].tolist() == ["total", "low", "medium", "high"]
    assert table["estimate"].tolist() == pytest.approx([2.0, 1.5, 4.0, 5 / 3])
    with pytest.raises(ParamsError, match="no computable indicator lists the disaggregation 'sex'"):
        disaggregation_table(logframe, cases, "sex")


def unit_logframe():
    """An indicator with the dimensions ``unit`` (administrative unit) and ``level``, which
    share their names with the indicator's own ``unit`` and ``level`` columns."""
    columns = {"cases": "admin_unit"}
    raw = {
        "tables": {"cases": {"instrument": None, "columns": ["services", "admin_unit"]}},
        "dimensions": {
            "unit": {"label": {"en": "Unit", "sq": "Njësia"}, "columns": columns},
            "level": {"label": {"en": "Level", "sq": "Niveli"}, "columns": columns},
        },
        "indicators": {
            "X": {
                "level": "outcome",
                "name": {"en": "x", "sq": "x"},
                "unit": "number",
                "direction": "higher",
                "definition": {"table": "cases", "statistic": "mean", "variable": "services"},
                "disaggregations": ["unit", "level"],
            }
        },
    }
    tables = {
        "cases": pd.DataFrame(
            {"services": [2, 3, 0, 4], "admin_unit": ["Elbasan", "Cerrik", "Elbasan", "Belsh"]}
        )
    }
    return parse_logframe(raw, "test"), tables


@pytest.mark.parametrize("dimension", ["unit", "level"])
def test_a_dimension_named_like_an_indicator_column_keeps_its_categories(dimension) -> None:
    logframe, tables = unit_logframe()
    table = compute_indicator(logframe, "X", tables, by=dimension)
    check_result(table)
    rows = table.set_index(dimension)
    assert rows["estimate"].to_dict() == {"Belsh": 4.0, "Cerrik": 3.0, "Elbasan": 1.0}
    expected = {"unit": "number", "level": "outcome"}[dimension]
    assert (rows[f"indicator_{dimension}"] == expected).all()
    assert list(table.columns).count(dimension) == 1


def test_disaggregation_table_by_unit(cases) -> None:
    logframe, tables = unit_logframe()
    table = disaggregation_table(logframe, tables, "unit")
    check_result(table)
    assert table["unit"].tolist() == ["total", "Belsh", "Cerrik", "Elbasan"]
    assert table["estimate"].tolist() == pytest.approx([9 / 4, 4.0, 3.0, 1.0])
    assert (table["indicator_unit"] == "number").all()
    assert table.attrs["info"].extra["unit_column"] == "indicator_unit"
    by_sex = disaggregation_table(register_logframe(period=None), cases, "risk_level")
    assert by_sex.attrs["info"].extra["unit_column"] == "unit" and "unit" in by_sex


@pytest.mark.parametrize("name", ["n", "period", "_y"])
def test_a_dimension_named_like_a_core_column_is_refused(cases, name) -> None:
    logframe = register_logframe(period=None)
    with pytest.raises(ParamsError, match=f"cannot disaggregate by '{name}'"):
        compute_indicator(logframe, "X", {"cases": cases["cases"].assign(**{name: "a"})}, by=name)


def test_compute_indicators_leaves_out_what_does_not_fit(cases) -> None:
    logframe = register_logframe()
    with pytest.raises(ParamsError, match="cannot be read by value"):
        compute_indicators(logframe, cases, period_unit="value")
    table = compute_indicators(logframe, cases, period="2023-Q1")
    assert table["estimate"].tolist() == [3.0]


# --------------------------------------------------------------------------- the demo world
@pytest.fixture(scope="module")
def demo_tables(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """A half-size demo world written and ingested in a temporary project (a few seconds)."""
    ingest = pytest.importorskip("evaluation.ingest")
    from evaluation.synth import world

    root = tmp_path_factory.mktemp("project")
    (root / "params").mkdir()
    shutil.copy(PROJECT / "params" / "datasets.yaml", root / "params" / "datasets.yaml")
    shutil.copytree(PROJECT / "surveys" / "instruments", root / "surveys" / "instruments")
    world.write_demo_world(root / "surveys" / "data" / "demo" / "raw", scale=0.5)
    ingest.ingest_dataset("demo", root=root)
    return read_clean_tables("demo", root=root)


@pytest.fixture(scope="module")
def demo_results(demo_tables) -> pd.DataFrame:
    logframe = load_logframe(
        PROJECT / "params" / "logframe.yaml",
        root=PROJECT,
        instruments=PROJECT / "surveys" / "instruments",
    )
    return compute_indicators(logframe, demo_tables)


def test_every_computable_indicator_computes_on_the_demo_world(demo_results) -> None:
    logframe = load_logframe(
        PROJECT / "params" / "logframe.yaml",
        root=PROJECT,
        instruments=PROJECT / "surveys" / "instruments",
    )
    check_result(demo_results)
    assert set(demo_results["indicator"]) == set(logframe.computable())
    assert (demo_results["n"] > 0).all()
    assert demo_results["estimate"].notna().all()
    inside = demo_results.dropna(subset=["ci_low"])
    assert (
        (inside["ci_low"] <= inside["estimate"]) & (inside["estimate"] <= inside["ci_high"])
    ).all()
    percent = demo_results[demo_results["unit"] == "percent"]
    assert percent["estimate"].between(0, 1).all()


@pytest.mark.parametrize(
    ("indicator", "low", "high"),
    [
        ("IMP1", 0.15, 0.40),  # any delinquency, about 26% in the demo world
        ("IMP3", 0.04, 0.10),  # lifetime cannabis, about 7%
        ("IMP3b", 0.005, 0.05),  # 30-day cannabis, about 2.7%
        ("IMP4", 0.3, 0.9),
        ("OC1.1", 40, 95),  # attitudes score 0-100
        ("OC2.1", 1, 4),  # capacity index 1-4
    ],
)
def test_demo_world_values_are_plausible(demo_results, indicator, low, high) -> None:
    baseline = demo_results[demo_results["indicator"] == indicator].iloc[0]
    assert low <= baseline["estimate"] <= high, baseline["estimate"]


def test_demo_world_disaggregation_by_unit(demo_tables) -> None:
    # The logframe's dimension 'unit' (administrative unit) meets each indicator's 'unit'.
    logframe = load_logframe(
        PROJECT / "params" / "logframe.yaml",
        root=PROJECT,
        instruments=PROJECT / "surveys" / "instruments",
    )
    table = disaggregation_table(logframe, demo_tables, "unit")
    check_result(table)
    units = table["indicator"].map(lambda i: logframe.indicator(i).unit)
    assert (table["indicator_unit"] == units).all()
    first = table["indicator"].iloc[0]
    split = compute_indicator(logframe, first, demo_tables, by="unit")
    column = logframe.column_for("unit", logframe.indicator(first).definition.table)
    rows = table[(table["indicator"] == first) & (table["unit"] != "total")]
    assert set(rows["unit"]) == set(split["unit"].astype("string"))
    source = demo_tables[logframe.indicator(first).definition.table]
    assert set(rows["unit"]) <= set(source[column].dropna().astype(str))
    np.testing.assert_allclose(rows["estimate"], split["estimate"], rtol=REL)


def test_demo_world_survey_indicators_are_design_based(demo_results) -> None:
    imp1 = demo_results[demo_results["indicator"] == "IMP1"]
    assert imp1["period"].tolist() == ["baseline", "endline"]
    assert (imp1["method"] == "design-based").all()
    assert (imp1["n_psu"] >= 15).all()  # schools are the PSUs (42 at scale 1)
