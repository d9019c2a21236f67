"""High-frequency checks on small clean tables built by hand (ingestion contract), each
with an answer that can be counted on the fingers, plus the whole run on a tiny clean
folder, its workbook read back, and reference values for the tests (R, scipy,
statsmodels)."""

import json
import math
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from evaluation import quality
from evaluation.errors import DataError, ParamsError
from evaluation.instruments import read_instrument
from evaluation.panel import link_waves
from evaluation.privacy import scan_for_values
from evaluation.quality import narrative, present
from evaluation.quality.listing import HIDDEN, REDACTED
from evaluation.quality.panel import COUNT_COLUMNS
from evaluation.results import check_result

# --------------------------------------------------------------------------- the tiny form
SURVEY = [
    [
        "type",
        "name",
        "label::English (en)",
        "label::Shqip (sq)",
        "relevant",
        "constraint",
        "personal_data",
        "calculation",
        "required",
    ],
    ["start", "start", "", "", "", "", "", "", ""],
    ["end", "end", "", "", "", "", "", "", ""],
    ["select_one wave", "wave", "Round", "Raundi", "", "", "", "", "yes"],
    ["text", "school_code", "School", "Shkolla", "", "", "", "", "yes"],
    ["select_one yes_no", "assent", "Do you agree?", "A pranon?", "", "", "", "", "yes"],
    ["begin group", "main", "Main", "Kryesore", "${assent} = 'yes'", "", "", "", ""],
    ["integer", "age", "How old are you?", "Sa vjeç je?", "", ". >= 10 and . <= 20", "", "", ""],
    ["select_one yes_no_dk", "smoke", "Do you smoke?", "A pi duhan?", "", "", "", "", ""],
    ["select_one occ", "used", "Ever used?", "A ke përdorur ndonjëherë?", "", "", "", "", ""],
    [
        "select_one occ",
        "used_30d",
        "Used in 30 days?",
        "Në 30 ditët e fundit?",
        "${used} > 0",
        "",
        "",
        "",
        "",
    ],
    ["select_multiple help", "help", "Where to get help?", "Ku gjen ndihmë?", "", "", "", "", ""],
    ["text", "name", "Your name", "Emri yt", "", "", "direct", "", ""],
    ["calculate", "panel_code", "", "", "", "", "linking", "concat(${school_code}, 'x')", ""],
    ["text", "comment", "Anything else?", "Diçka tjetër?", "", "", "free_text", "", ""],
    ["end group", "", "", "", "", "", "", "", ""],
]
CHOICES = [
    ["list_name", "name", "label::English (en)", "label::Shqip (sq)"],
    ["wave", "baseline", "Baseline", "Bazë"],
    ["wave", "endline", "Endline", "Përfundimtar"],
    ["yes_no", "yes", "Yes", "Po"],
    ["yes_no", "no", "No", "Jo"],
    ["yes_no_dk", "yes", "Yes", "Po"],
    ["yes_no_dk", "no", "No", "Jo"],
    ["yes_no_dk", "dont_know", "Don't know", "Nuk e di"],
    ["occ", "0", "Never", "Asnjëherë"],
    ["occ", "1", "Once", "Një herë"],
    ["occ", "2", "Twice", "Dy herë"],
    ["help", "teacher", "Teacher", "Mësuesi"],
    ["help", "police", "Police", "Policia"],
    ["help", "dont_know", "Don't know", "Nuk e di"],
]
SETTINGS = [["form_id", "version", "default_language"], ["mini", "2024010101", "English (en)"]]


def write_form(path: Path) -> Path:
    book = openpyxl.Workbook()
    for title, rows in (("survey", SURVEY), ("choices", CHOICES), ("settings", SETTINGS)):
        sheet = book.active if title == "survey" else book.create_sheet(title)
        sheet.title = title
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


@pytest.fixture(scope="module")
def form(tmp_path_factory):
    return read_instrument(write_form(tmp_path_factory.mktemp("form") / "mini.xlsx"))


# --------------------------------------------------------------------------- a clean table
def clean_table() -> pd.DataFrame:
    """Ten submissions by two enumerators; rows 3 and 8 refused assent."""
    assent = ["yes", "yes", "no", "yes", "yes", "yes", "yes", "no", "yes", "yes"]
    refused = [a == "no" for a in assent]

    def answered(values):
        return [None if r else v for v, r in zip(values, refused, strict=True)]

    frame = pd.DataFrame(
        {
            "wave": pd.Categorical(
                ["baseline"] * 6 + ["endline"] * 4, categories=["baseline", "endline"]
            ),
            "school_code": pd.array(
                ["S1", "S1", "S1", "S2", "S2", "S2", "S1", "S1", "S2", "S2"], dtype="string"
            ),
            "assent": pd.Categorical(assent, categories=["yes", "no"]),
            "age": pd.array(
                answered([14, 15, None, 16, None, 15, 14, None, 30, 15]), dtype="Int64"
            ),
            "smoke": pd.Categorical(
                answered(
                    ["no", "dont_know", None, None, "yes", "dont_know", "no", None, "no", "no"]
                ),
                categories=["yes", "no", "dont_know"],
            ),
            "used": pd.Categorical(
                answered(["0", "1", None, "2", "0", "0", "1", None, None, "0"]),
                categories=["0", "1", "2"],
            ),
            "used_30d": pd.Categorical(
                answered([None, "1", None, None, None, None, "0", None, None, None]),
                categories=["0", "1", "2"],
            ),
            "help": pd.array(
                answered(
                    [
                        "teacher",
                        "dont_know",
                        None,
                        "police teacher",
                        None,
                        "teacher",
                        "teacher",
                        None,
                        "dont_know",
                        "police",
                    ]
                ),
                dtype="string",
            ),
            "panel_code": pd.array(
                answered(["P-a", "P-b", None, "P-c", "P-c", "P-d", "P-a", None, "P-c", "P-x"]),
                dtype="string",
            ),
        }
    )
    frame["_submission_id"] = pd.array([f"s{i}" for i in range(1, 11)], dtype="string")
    frame["_source_file"] = pd.array(["mini.csv"] * 10, dtype="string")
    frame["_source_row"] = pd.array(range(2, 12), dtype="Int64")
    frame["_submitted_at"] = pd.to_datetime(
        [
            "2023-05-01T08:00Z",
            "2023-05-01T09:00Z",
            "2023-05-01T23:30Z",
            "2023-05-02T08:00Z",
            "2023-05-02T09:00Z",
            "2023-05-03T09:00Z",
            "2023-06-01T09:00Z",
            "2023-06-01T10:00Z",
            "2023-06-02T10:00Z",
            None,
        ],
        utc=True,
    )
    frame["_enumerator"] = pd.array(["ana"] * 6 + ["ben"] * 4, dtype="string")
    frame["_duration_min"] = pd.array([20, 22, 1, 24, 26, 5, 28, 2, 9, None], dtype="Float64")
    frame["_flags"] = pd.array(
        [
            "",
            "outlier_iqr:age",
            "assent_refused",
            "",
            "",
            "short_interview",
            "",
            "assent_refused",
            "",
            "",
        ],
        dtype="string",
    )
    return frame


# --------------------------------------------------------------------------- durations
def test_short_threshold_is_the_larger_of_share_of_median_and_minimum():
    frame = clean_table()
    # completed, with a duration: 20, 22, 24, 26, 5, 28, 9 -> median 22 (refusals left out)
    assert quality.short_threshold(frame, 1 / 3) == pytest.approx(22 / 3)
    assert quality.short_threshold(frame, 1 / 3, minutes=10) == 10


def test_duration_summary_counts_short_interviews_overall_and_by_enumerator():
    frame = clean_table()
    result = quality.duration_summary(frame, table="mini", minutes=0)
    check_result(result)
    row = result.iloc[0]
    assert (row["estimate"], row["n"], row["n_short"]) == (22, 7, 1)  # only 5 < 7.33
    assert row["threshold_min"] == pytest.approx(22 / 3)
    assert row["share_short"] == pytest.approx(1 / 7)
    # R: quantile(c(5, 9, 20, 22, 24, 26, 28), c(0.25, 0.75)) gives 14.5 and 25
    assert (row["q1"], row["q3"]) == (pytest.approx(14.5), pytest.approx(25))
    by = quality.duration_summary(frame, table="mini", minutes=10, by="_enumerator")
    assert by["_enumerator"].tolist() == ["ana", "ben"]
    assert by["n"].tolist() == [5, 2]  # ben: 28 and 9 (s8 refused, s10 has no duration)
    assert by["n_short"].tolist() == [1, 1]  # ana 5, ben 9 < 10
    assert by["estimate"].tolist() == [22, 18.5]


def test_short_interviews_lists_them_shortest_first():
    listing = quality.short_interviews(
        clean_table(), table="mini", minutes=10, timezone="Europe/Tirane"
    )
    assert listing["submission_id"].tolist() == ["s6", "s9"]
    assert listing["duration_min"].tolist() == [5, 9]
    assert listing["enumerator"].tolist() == ["ana", "ben"]
    assert listing["date"].dt.strftime("%Y-%m-%d").tolist() == ["2023-05-03", "2023-06-02"]


# --------------------------------------------------------------------------- non-response
def test_item_nonresponse_counts_only_where_the_question_was_asked(form):
    result = quality.item_nonresponse(
        clean_table(), form, table="mini", dk_codes=["dont_know"], refusal_codes=["refused"]
    )
    check_result(result)
    rows = result.set_index("variable")
    # 8 rows gave assent; smoke: missing s4, don't know s2 and s6 -> 3 / 8
    assert rows.loc["smoke", ["n", "n_missing", "n_dont_know", "n_refused"]].tolist() == [
        8,
        1,
        2,
        0,
    ]
    assert rows.loc["smoke", "estimate"] == pytest.approx(3 / 8)
    # used_30d is asked where used > 0: s2, s4, s7 -> s4 missing
    assert rows.loc["used_30d", ["n", "n_missing"]].tolist() == [3, 1]
    # help (select_multiple): don't know ticked by s2 and s9; s5 missing
    assert rows.loc["help", ["n", "n_missing", "n_dont_know"]].tolist() == [8, 1, 2]
    # age: s5 missing (s9's 30 is an answer)
    assert rows.loc["age", ["n", "n_missing"]].tolist() == [8, 1]
    # questions outside the group are asked of everyone
    assert rows.loc["assent", ["n", "estimate"]].tolist() == [10, 0]
    assert set(rows["relevance"]) == {"form"}
    # personal (absent) and free-text questions are not checked
    assert "name" not in rows.index and "comment" not in rows.index


def test_dk_codes_limited_to_a_list_and_numeric_codes(form):
    frame = clean_table()
    limited = quality.item_nonresponse(frame, form, dk_codes=["help:dont_know"]).set_index(
        "variable"
    )
    assert limited.loc["smoke", "n_dont_know"] == 0  # only the list 'help'
    assert limited.loc["help", "n_dont_know"] == 2
    numeric = quality.item_nonresponse(frame, form, refusal_codes=["30"]).set_index("variable")
    assert numeric.loc["age", "n_refused"] == 1  # s9 answered 30


def test_relevance_that_cannot_be_evaluated_counts_every_row(form):
    frame = clean_table().drop(columns=["used"])  # used_30d's relevance needs 'used'
    result = quality.item_nonresponse(frame, form).set_index("variable")
    assert result.loc["used_30d", "relevance"] == "all rows"
    assert result.loc["used_30d", "n"] == 10
    assert any("could not be evaluated" in n for n in result.attrs["info"].notes)


# --------------------------------------------------------------------------- outliers
def test_iqr_fences_follow_r_quantile_type_7():
    frame = pd.DataFrame({"x": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30], "y": [5] * 11})
    frame = add_metadata(frame)
    fences = quality.iqr_fences(frame, ["x", "y"], table="t", min_values=5)
    check_result(fences)
    x = fences.set_index("variable").loc["x"]
    # R: quantile(c(1:10, 30)) gives 3.5 and 8.5
    assert (x["q1"], x["median"], x["q3"]) == (3.5, 6, 8.5)
    assert (x["lower"], x["upper"]) == (-4, 16)
    assert (x["extreme_lower"], x["extreme_upper"]) == (-11.5, 23.5)
    assert (x["n_outliers"], x["n_extreme"], x["estimate"]) == (1, 1, pytest.approx(1 / 11))
    y = fences.set_index("variable").loc["y"]
    assert math.isnan(y["lower"])  # IQR 0: no fences
    assert any("IQR is 0" in n for n in fences.attrs["info"].notes)
    listing = quality.iqr_outliers(frame, fences, table="t")
    assert listing[["variable", "value", "severity"]].values.tolist() == [["x", 30, "extreme"]]


def test_iqr_needs_enough_answers_and_can_work_per_enumerator():
    frame = add_metadata(pd.DataFrame({"x": [1, 2, 3, 4, 100, 1, 2, 3, 4, 5]}))
    frame["_enumerator"] = pd.array(["a"] * 5 + ["b"] * 5, dtype="string")
    few = quality.iqr_fences(frame, ["x"], min_values=20)
    assert math.isnan(few["lower"].iloc[0]) and few["n"].iloc[0] == 10
    by = quality.iqr_fences(frame, ["x"], by="_enumerator", min_values=5)
    assert by["_enumerator"].tolist() == ["a", "b"]
    assert by["n_outliers"].tolist() == [1, 0]  # 100 among 1..4; nothing in 1..5
    listing = quality.iqr_outliers(frame, by)
    assert listing["submission_id"].tolist() == ["r5"]


def test_constraint_violations_come_from_quarantine():
    found = quality.constraint_violations(quarantine())
    assert found["submission_id"].tolist() == ["s11"]
    assert found["value"].tolist() == ["41"]


# --------------------------------------------------------------------------- enumerators
def test_fisher_and_z_tests_match_r():
    # R: fisher.test(matrix(c(3, 1, 1, 3), 2))$p.value = 0.4857143 (the tea-tasting lady)
    assert quality.compare_rate(3, 4, 1, 4, "fisher") == pytest.approx(0.4857142857, rel=1e-9)
    # R: prop.test(c(3, 1), c(4, 4), correct = FALSE): X-squared = 2, p-value = 0.1572992
    assert quality.compare_rate(3, 4, 1, 4, "z") == pytest.approx(0.1572992070502851, rel=1e-9)
    table = np.array([[12, 88], [30, 470]])
    chi2 = stats.chi2_contingency(table, correction=False)
    assert quality.compare_rate(12, 100, 30, 500, "z") == pytest.approx(chi2.pvalue, rel=1e-9)
    assert quality.compare_rate(0, 10, 0, 20, "z") == 1.0
    assert math.isnan(quality.compare_rate(1, 5, 0, 0))
    with pytest.raises(ParamsError, match="not one of fisher, z"):
        quality.compare_rate(1, 2, 1, 2, "t")


def test_holm_matches_r_and_statsmodels():
    p = np.array([0.01, 0.04, 0.03, 0.02, 0.05, np.nan])
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.02, 0.05), "holm") = 0.05 0.09 0.09 0.08 0.09
    expected = [0.05, 0.09, 0.09, 0.08, 0.09]
    adjusted = quality.holm(p)
    assert adjusted[:5] == pytest.approx(expected)
    assert math.isnan(adjusted[5])
    assert adjusted[:5] == pytest.approx(multipletests(p[:5], method="holm")[1])


def test_enumerator_summary_counts_problems_against_the_others():
    frame = clean_table()
    problems = pd.DataFrame(
        {
            "submission_id": ["s2", "s6", "s6", "s9", "s3"],
            "rule": [
                "outlier_iqr",
                "short_interview",
                "outlier_iqr",
                "short_interview",
                "assent_refused",
            ],
        }
    )
    quarantined = pd.DataFrame({"submission_id": ["q1"], "enumerator": ["ben"]})
    result = quality.enumerator_summary(frame, problems, table="mini", quarantined=quarantined)
    check_result(result)
    ana, ben = result.iloc[0], result.iloc[1]
    assert (ana["enumerator"], ana["n"], ana["n_problems"]) == ("ana", 6, 2)  # s2, s6
    assert (ben["n"], ben["n_problems"], ben["n_quarantined"]) == (5, 2, 1)  # s9, q1
    assert ana["estimate"] == pytest.approx(2 / 6) and ana["rate_others"] == pytest.approx(2 / 5)
    assert ana["p_value"] == pytest.approx(stats.fisher_exact([[2, 4], [2, 3]]).pvalue, rel=1e-12)
    assert ana["n_assent_refused"] == 1 and ben["n_assent_refused"] == 1
    assert ana["median_duration"] == 22  # 20, 22, 24, 26, 5
    assert not result["stands_out"].any()


# --------------------------------------------------------------------------- assent, days
def test_assent_refusals_overall_and_by_school():
    frame = clean_table()
    overall = quality.assent_refusals(frame, table="mini")
    assert (overall["n"].iloc[0], overall["n_refused"].iloc[0]) == (10, 2)
    by = quality.assent_refusals(frame, table="mini", by="school_code")
    assert by["school_code"].tolist() == ["S1", "S2"]  # highest share first
    assert by["n_refused"].tolist() == [2, 0] and by["estimate"].iloc[0] == pytest.approx(2 / 5)


def test_submissions_per_day_use_local_days():
    per_day = quality.submissions_per_day(
        clean_table(), table="mini", timezone="Europe/Tirane", by="wave"
    )
    days = dict(zip(per_day["date"].dt.strftime("%Y-%m-%d"), per_day["submissions"], strict=True))
    # s3 at 23:30 UTC on 1 May is 2 May in Tirana; s10 has no time
    assert days == {
        "2023-05-01": 2,
        "2023-05-02": 3,
        "2023-05-03": 1,
        "2023-06-01": 2,
        "2023-06-02": 1,
    }
    assert per_day.attrs["undated"] == 1


# --------------------------------------------------------------------------- panel codes
def test_panel_matching_within_school():
    result = quality.panel_matching(clean_table())
    check_result(result)
    rows = result.set_index(result["school"].fillna("ALL"))
    # S1: baseline a, b; endline a -> matched 1 (a), baseline only 1 (b)
    assert rows.loc[
        "S1", ["codes_baseline", "matched", "unmatched_baseline", "unmatched_endline"]
    ].tolist() == [2, 1, 1, 0]
    # S2: baseline c, c, d (c duplicated); endline c, x -> c ambiguous, d and x unmatched
    assert rows.loc[
        "S2",
        [
            "n_baseline",
            "codes_baseline",
            "matched",
            "ambiguous",
            "duplicated_baseline",
            "unmatched_endline",
        ],
    ].tolist() == [3, 2, 0, 1, 1, 1]
    total = rows.loc["ALL"]
    assert (total["matched"], total["codes_baseline"]) == (1, 4)
    assert total["estimate"] == pytest.approx(1 / 4)
    assert total["endline_match_rate"] == pytest.approx(1 / 3)


def test_panel_problems_name_duplicates_and_unmatched_endline_codes():
    problems = quality.panel_problems(clean_table(), table="mini")
    duplicates = problems[problems["rule"].eq("panel_code_duplicate")]
    assert sorted(duplicates["submission_id"]) == ["s4", "s5"]
    assert duplicates["group"].tolist() == [1, 1]
    unmatched = problems[problems["rule"].eq("panel_code_unmatched")]
    assert unmatched["submission_id"].tolist() == ["s10"]  # x is new; c exists in S2
    assert "code" not in problems.columns  # the pseudonym itself is never listed


def collisions() -> pd.DataFrame:
    """One school: a matched; b twice in both rounds; c once, then twice; d baseline only;
    e twice at endline only."""
    base, end = ["a", "b", "b", "c", "d"], ["a", "b", "b", "c", "c", "e", "e"]
    n = len(base) + len(end)
    return pd.DataFrame(
        {
            "school_code": ["S"] * n,
            "wave": ["baseline"] * len(base) + ["endline"] * len(end),
            "panel_code": pd.array([f"P-{c}" for c in base + end], dtype="string"),
            "_submission_id": [f"r{i:02d}" for i in range(n)],
            "_enumerator": ["ana"] * n,
            "_submitted_at": pd.to_datetime(["2023-05-01T08:00Z"] * n, utc=True),
            "_source_file": ["y.csv"] * n,
            "_source_row": range(2, n + 2),
        }
    )


def test_panel_counts_codes_as_link_waves_links_rows():
    frame = collisions()
    row = quality.panel_matching(frame, total=False).iloc[0]
    assert row[list(COUNT_COLUMNS)].tolist() == [5, 7, 4, 4, 1, 2, 1, 1, 1, 3]
    assert row["estimate"] == pytest.approx(1 / 4)
    _, summary = link_waves(frame, arm=None)  # the one matching the reports use
    assert row["matched"] == summary.loc[summary["by"].eq("all"), "linked"].item()


def test_panel_problems_number_each_colliding_code_and_list_codes_new_at_endline():
    problems = quality.panel_problems(collisions(), table="youth_survey")
    duplicates = problems[problems["rule"].eq("panel_code_duplicate")]
    by_group = duplicates.groupby("group")["submission_id"].apply(list).to_dict()
    assert by_group == {
        1: ["r01", "r02"],  # b at baseline
        2: ["r06", "r07"],  # b at endline
        3: ["r08", "r09"],  # c at endline
        4: ["r10", "r11"],  # e at endline
    }
    unmatched = problems[problems["rule"].eq("panel_code_unmatched")]
    assert unmatched["submission_id"].tolist() == ["r10", "r11"]


# --------------------------------------------------------------------------- listing
def quarantine() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table": ["mini"] * 4,
            "file": ["mini.csv"] * 4,
            "row": pd.array([12, 13, 13, 4], dtype="Int64"),
            "submission_id": ["s11", "s12", "s12", "s2"],
            "column": ["age", "name", "used", ""],
            "value": ["41", REDACTED, "=cmd|' /C calc'!A0", ""],
            "rule": ["constraint", "required", "choice", "duplicate_exact"],
            "message": [
                "age 41 breaks . <= 20",
                "Arbër Hoxha is required",
                "not a choice",
                "exact copy of row 3",
            ],
            "action": ["quarantined", "quarantined", "quarantined", "dropped_duplicate"],
            "enumerator": ["", "ben", "ben", "ana"],
            "submitted_at": ["", "2023-06-03T09:00:00Z", "2023-06-03T09:00:00Z", ""],
            "interview_at": ["", "", "", "2023-05-01T22:30:00Z"],
        }
    ).astype(
        {
            c: "string"
            for c in [
                "table",
                "file",
                "submission_id",
                "column",
                "value",
                "rule",
                "message",
                "action",
                "enumerator",
                "submitted_at",
                "interview_at",
            ]
        }
    )


def test_flagged_submissions_lists_every_problem_once_and_never_a_personal_value(form):
    frame = clean_table()
    extra = quality.short_interviews(frame, table="mini", minutes=10).assign(
        rule="short_interview", value=lambda d: d["duration_min"], column=""
    )
    listing = quality.flagged_submissions(
        {"mini": frame},
        quarantine(),
        detections=[extra],
        instruments={"mini": form},
        hidden_groups=["main"],
        timezone="Europe/Tirane",
    )
    keys = list(zip(listing["submission_id"], listing["rule"], strict=True))
    assert sorted(keys) == sorted(
        [
            ("s11", "constraint"),
            ("s12", "required"),
            ("s12", "choice"),
            ("s2", "duplicate_exact"),
            ("s2", "outlier_iqr"),
            ("s6", "short_interview"),
            ("s9", "short_interview"),
        ]
    )  # s6 flagged twice (ingestion and the check) is listed once; assent refusals are not
    by_id = listing.set_index(["submission_id", "rule"])
    assert by_id.loc[("s12", "required"), "value"] == REDACTED
    assert pd.isna(by_id.loc[("s12", "required"), "detail"])  # the message named the person
    assert by_id.loc[("s11", "constraint"), "value"] == HIDDEN  # 'age' is in the hidden group
    # who and when of a set-aside row come from quarantine.csv, in the local day (UTC+2)
    assert by_id.loc[("s2", "duplicate_exact"), "enumerator"] == "ana"
    assert by_id.loc[("s2", "duplicate_exact"), "date"] == pd.Timestamp("2023-05-02")
    assert by_id.loc[("s12", "choice"), "date"] == pd.Timestamp("2023-06-03")  # submitted_at
    assert pd.isna(by_id.loc[("s11", "constraint"), "enumerator"])  # unknown, not invented
    assert pd.isna(by_id.loc[("s11", "constraint"), "date"])
    assert by_id.loc[("s6", "short_interview"), "value"] == "5"
    assert listing["enumerator"].tolist()[:4] == ["ana", "ana", "ana", "ben"]  # sorted
    assert scan_for_values(listing, ["Arbër Hoxha"]).empty


def test_a_quarantine_written_before_enumerator_and_times_lists_them_as_unknown(form):
    legacy = quarantine().drop(columns=["enumerator", "submitted_at", "interview_at"])
    listing = quality.flagged_submissions({"mini": clean_table()}, legacy, timezone="Europe/Tirane")
    set_aside = listing[listing["status"].ne("flagged")]
    assert len(set_aside) == 4
    assert set_aside["enumerator"].isna().all() and set_aside["date"].isna().all()


# --------------------------------------------------------------------------- the whole run
def add_metadata(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    n = len(out)
    out["_submission_id"] = pd.array([f"r{i}" for i in range(1, n + 1)], dtype="string")
    out["_source_file"] = pd.array(["t.csv"] * n, dtype="string")
    out["_source_row"] = pd.array(range(2, n + 2), dtype="Int64")
    out["_submitted_at"] = pd.to_datetime(["2023-05-01T08:00Z"] * n, utc=True)
    out["_enumerator"] = pd.array(["a"] * n, dtype="string")
    out["_duration_min"] = pd.array([10.0] * n, dtype="Float64")
    out["_flags"] = pd.array([""] * n, dtype="string")
    return out


def write_clean_folder(root: Path, frame: pd.DataFrame | None = None) -> Path:
    (root / "surveys" / "instruments").mkdir(parents=True)
    write_form(root / "surveys" / "instruments" / "mini.xlsx")
    clean = root / "surveys" / "data" / "tiny" / "clean"
    clean.mkdir(parents=True)
    frame = clean_table() if frame is None else frame
    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = {
        **(table.schema.metadata or {}),
        b"evaluation": json.dumps({"table": "mini", "form_id": "mini"}).encode(),
    }
    pq.write_table(table.replace_schema_metadata(meta), clean / "mini.parquet")
    quarantine().to_csv(clean / "quarantine.csv", index=False)
    log = {
        "dataset": "tiny",
        "finished": "2026-11-01T10:00:00+00:00",
        "files": [
            {
                "path": "raw/mini.csv",
                "sha256": "0" * 64,
                "table": "mini",
                "format": "kobo_csv",
                "encoding": "utf-8",
                "delimiter": ";",
                "rows_read": 14,
                "rows_accepted": 10,
                "rows_quarantined": 3,
                "rows_dropped_duplicate": 1,
                "columns": {
                    "mapped": {},
                    "renamed": {"smokes": "smoke"},
                    "unknown": ["_tags"],
                    "missing": [],
                },
                "rules": {"constraint": 1, "required": 1, "choice": 1, "duplicate_exact": 1},
                "flags": {"assent_refused": 2, "short_interview": 1},
            },
        ],
    }
    (clean / "ingest_log.json").write_text(json.dumps(log), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def checks(tmp_path_factory):
    root = write_clean_folder(tmp_path_factory.mktemp("project"))
    settings = quality.QualitySettings(
        dataset="tiny",
        language="sq",
        short_minutes={"mini": 10},
        iqr_min_values=5,
        panel=quality.PanelSettings(table="mini"),
        workbook_layout="per_enumerator",
    )
    recorded = []
    result = quality.run_checks(settings=settings, root=root, record=recorded.append)
    result.recorded = recorded
    result.root = root
    return result


def test_run_checks_reads_everything_and_records_each_file(checks):
    assert sorted(p.name for p in checks.recorded) == [
        "ingest_log.json",
        "mini.parquet",
        "quarantine.csv",
    ]
    assert checks.data.instruments["mini"].form_id == "mini"
    files = checks.files.iloc[0]
    assert (files["rows_read"], files["reconciles"]) == (14, False)  # 10 + 3 != 14
    assert checks.columns["change"].tolist() == ["renamed", "unknown"]
    assert checks.duplicates["rows"].tolist() == [1]
    assert checks.durations["n_short"].tolist() == [2]
    assert checks.short["submission_id"].tolist() == ["s6", "s9"]
    assert checks.panel["matched"].iloc[-1] == 1
    assert set(checks.flagged["rule"]) >= {
        "short_interview",
        "panel_code_duplicate",
        "panel_code_unmatched",
        "constraint",
    }
    assert "smoke" in set(checks.nonresponse["variable"])


def test_sentences_are_in_the_report_language(checks):
    text = narrative.ingestion(checks)
    assert text.startswith("Në mini.csv, rreshtat e pranuar")  # the counts do not add up
    assert narrative.durations(checks) == (
        "mini: intervista mediane zgjati 22,0 minuta; 2 intervista (28,6%) zgjatën më pak se "
        "10,0 minuta."
    )
    assert narrative.heading("panel", "sq") == (
        "## Përputhja e kodit të panelit midis studimit bazë dhe atij përfundimtar"
    )
    assert narrative.assent(checks).startswith("2 nga 10 të anketuar (20,0%)")
    assert narrative.Text("x")._repr_markdown_() == "x"


def test_section_tables_render_with_albanian_headers_and_labels(checks):
    html = present.nonresponse(checks)._repr_html_()
    assert "A pi duhan?" in html and "Mospërgjigje gjithsej" in html and "37,5%" in html
    html = present.files(checks)._repr_html_()
    assert "Rreshtat përputhen" in html and ">Jo<" in html
    assert "Kodi i panelit" in present.flagged(checks)._repr_html_()
    for name in (
        "detection",
        "rules",
        "columns",
        "duplicates",
        "durations",
        "short_interviews",
        "constraints",
        "fences",
        "outliers",
        "enumerators",
        "assent",
        "per_day",
        "panel",
    ):
        assert "<table" in getattr(present, name)(checks)._repr_html_(), name


def test_field_workbook_read_back(checks, tmp_path):
    path = quality.write_field_workbook(checks, tmp_path / "field_workbook.sq.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:4] == ["Rreth", "Përmbledhje", "Ditët", "Anketuesit"]
    assert "ana" in wb.sheetnames and "ben" in wb.sheetnames  # one sheet per enumerator
    assert "Anketuesi i panjohur" in wb.sheetnames  # quarantined rows of unknown enumerators
    ana = wb["ana"]
    assert ana["A1"].value == "Paraqitjet e sinjalizuara: ana"
    header_row = next(r for r in range(1, 8) if ana.cell(r, 1).value == "Anketuesi")
    headers = [c.value for c in ana[header_row]]
    assert headers[:5] == ["Anketuesi", "Data", "Problemi", "Kolona", "Vlera"]
    assert ana.freeze_panes == f"A{header_row + 1}"
    assert ana.auto_filter.ref.startswith(f"A{header_row}:")
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
    ben = wb["ben"]  # s12, set aside by ingestion, on its enumerator's sheet
    values = [c.value for row in ben.iter_rows() for c in row if c.value is not None]
    assert "'=cmd|' /C calc'!A0" in values  # a formula-like answer is neutralised
    assert scan_for_values(path, ["Arbër Hoxha"]).empty
    assert wb.properties.created.isoformat() == "2026-11-01T10:00:00"  # ingestion time
    percent = wb["Mospërgjigjet"]
    row = next(r for r in percent.iter_rows() if r[1].value == "smoke")
    share = next(c for c in row if isinstance(c.value, float))
    assert share.number_format == "0.0%" and share.value == pytest.approx(3 / 8)


def test_workbook_is_skipped_when_the_run_does_not_ask_for_it(checks, tmp_path):
    run = type("Run", (), {"params": {"formats": ["html"]}})()
    assert quality.write_field_workbook(checks, tmp_path / "x.xlsx", run=run) is None
    assert not (tmp_path / "x.xlsx").exists()


def test_missing_clean_data_and_unknown_tables_are_clear_errors(tmp_path):
    with pytest.raises(DataError, match=r"no clean data for dataset 'nope'.*workbench ingest nope"):
        quality.load_clean("nope", tmp_path)
    root = write_clean_folder(tmp_path / "p")
    with pytest.raises(DataError, match=r"has no clean table 'minni'.*'mini'"):
        quality.load_clean("tiny", root, tables=["minni"])


def test_settings_come_from_params_and_are_checked():
    settings = quality.QualitySettings.from_params(
        {"dataset": "demo", "dk_codes": ["easy6:9"], "panel": {"code": "pc"}}
    )
    assert settings.dk_codes == ("easy6:9",)
    assert settings.panel.code == "pc" and settings.panel.school == "school_code"
    with pytest.raises(ParamsError, match="unknown key 'iqr_multiplyer'"):
        quality.QualitySettings.from_params({"iqr_multiplyer": 2})
    with pytest.raises(ParamsError, match=r"iqr_extreme \(1.5\) is below iqr_multiplier \(3\)"):
        quality.QualitySettings(iqr_multiplier=3, iqr_extreme=1.5)
    with pytest.raises(ParamsError, match="not a time zone name"):
        quality.QualitySettings(timezone="Mars/Olympus")


def test_hidden_groups_can_be_limited_to_one_table(form):
    from evaluation.quality.listing import hidden_questions

    assert ("mini", "age") in hidden_questions({"mini": form}, ["main"])
    assert ("mini", "age") in hidden_questions({"mini": form}, ["mini:main"])
    assert hidden_questions({"mini": form}, ["other_table:main"]) == set()


def test_a_dataset_without_assent_panel_or_enumerators_still_gives_every_section(tmp_path):
    frame = clean_table().drop(columns=["assent", "panel_code"])
    frame["_flags"] = pd.array([""] * len(frame), dtype="string")
    frame["_enumerator"] = pd.array([None] * len(frame), dtype="string")
    root = write_clean_folder(tmp_path, frame)
    checks = quality.run_checks(settings=quality.QualitySettings(dataset="tiny"), root=root)
    assert checks.panel is None and checks.assent["all"].empty and checks.enumerators.empty
    assert narrative.panel(checks) == "The dataset has no panel code to match."
    assert narrative.assent(checks) == "No table asks for assent."
    assert narrative.enumerators(checks) == "The tables record no enumerator."
    for name in (
        "files",
        "rules",
        "durations",
        "nonresponse",
        "fences",
        "outliers",
        "enumerators",
        "assent",
        "per_day",
        "flagged",
    ):
        assert "<table" in getattr(present, name)(checks)._repr_html_(), name
    assert present.panel(checks)._repr_html_() == ""
    book = openpyxl.load_workbook(quality.write_field_workbook(checks, tmp_path / "w.xlsx"))
    assert "Panel codes" not in book.sheetnames and book["Enumerators"]["A4"].value == "No rows."
