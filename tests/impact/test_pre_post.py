"""pre_post() and mcnemar() against R (tests/reference/expected/paired_prepost.json and R
values quoted with their calls), hand computations and simulations."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaluation.errors import DataError, ParamsError
from evaluation.impact import pre_post
from evaluation.impact.pre_post import mcnemar
from evaluation.results import check_result, result_info

REFERENCE = Path(__file__).parents[1] / "reference"
REL = 1e-6  # tests/reference/README.md: statistics and p-values to 1e-6 relative
EXPECTED = json.loads((REFERENCE / "expected" / "paired_prepost.json").read_text())
CASES = {case["id"]: case for case in EXPECTED["cases"]}


def training() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "data" / "training_prepost.csv")


@cache
def table_for(case_id: str, correct: bool = True) -> pd.DataFrame:
    scale = case_id.removeprefix("c_")
    return pre_post(training(), f"{scale}_pre", f"{scale}_post", id="participant", correct=correct)


def value(table: pd.DataFrame, statistic: str, column: str = "estimate") -> float:
    return float(table.loc[table["statistic"] == statistic, column].item())


# (our statistic, our column, path into the R case) for every number in paired_prepost.json
R_CHECKS = [
    ("mean_pre", "estimate", ("descriptives", "mean_pre")),
    ("mean_post", "estimate", ("descriptives", "mean_post")),
    ("mean_change", "estimate", ("t_test", "estimate")),
    ("mean_change", "se", ("t_test", "se")),
    ("mean_change", "test_statistic", ("t_test", "statistic")),
    ("mean_change", "df", ("t_test", "df")),
    ("mean_change", "p_value", ("t_test", "p_value")),
    ("mean_change", "ci_low", ("t_test", "ci", "lower")),
    ("mean_change", "ci_high", ("t_test", "ci", "upper")),
    ("wilcoxon", "test_statistic", ("wilcoxon_signed_rank", "V")),
    ("wilcoxon", "p_value", ("wilcoxon_signed_rank", "p_value")),
    ("d_z", "estimate", ("cohens_d", "d_z")),
    ("d_av", "estimate", ("cohens_d", "d_av")),
    ("g_z", "estimate", ("cohens_d", "g_z")),
    ("g_av", "estimate", ("cohens_d", "g_av")),
    ("mean_pre", "n", ("n_pairs",)),
    ("wilcoxon", "n", ("n_nonzero_diff",)),
]


def _lookup(case: dict, path: tuple[str, ...]) -> float:
    for key in path:
        case = case[key]
    return float(case)


@pytest.mark.parametrize("case_id", sorted(CASES))
@pytest.mark.parametrize(
    ("statistic", "column", "path"),
    R_CHECKS,
    ids=[f"{s}.{c}" for s, c, _ in R_CHECKS],
)
def test_matches_r(case_id: str, statistic: str, column: str, path: tuple[str, ...]) -> None:
    got = value(table_for(case_id), statistic, column)
    expected = _lookup(CASES[case_id], path)
    assert got == pytest.approx(expected, rel=REL), f"{case_id} {statistic}.{column}: py != R"


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_wilcoxon_without_continuity_correction_matches_r(case_id: str) -> None:
    expected = CASES[case_id]["wilcoxon_signed_rank"]["p_value_no_continuity_correction"]
    got = value(table_for(case_id, correct=False), "wilcoxon", "p_value")
    assert got == pytest.approx(expected, rel=REL)


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_wilcoxon_agrees_with_scipy(case_id: str) -> None:
    scale = case_id.removeprefix("c_")
    data = training().dropna(subset=[f"{scale}_pre", f"{scale}_post"])
    diff = data[f"{scale}_post"] - data[f"{scale}_pre"]
    scipy_p = stats.wilcoxon(diff, zero_method="wilcox", correction=True, method="approx").pvalue
    assert value(table_for(case_id), "wilcoxon", "p_value") == pytest.approx(scipy_p, rel=REL)


def test_d_z_interval_matches_r_noncentral_t_inversion() -> None:
    # R: t0 <- 5.021869693109312; n <- 45
    #    uniroot(function(ncp) pt(t0, n - 1, ncp) - 0.975, c(0, 10), tol = 1e-14)$root / sqrt(n)
    #    uniroot(function(ncp) pt(t0, n - 1, ncp) - 0.025, c(0, 15), tol = 1e-14)$root / sqrt(n)
    table = table_for("c_knowledge")
    assert value(table, "d_z", "ci_low") == pytest.approx(0.4140881174345607, rel=REL)
    assert value(table, "d_z", "ci_high") == pytest.approx(1.0764701687762324, rel=REL)


def test_by_group_matches_r_on_the_subgroup() -> None:
    # R: a <- d[d$group == "A" & complete.cases(d$wellbeing_pre, d$wellbeing_post), ]
    #    wilcox.test(a$wellbeing_post, a$wellbeing_pre, paired = TRUE, exact = FALSE)
    #    -> V = 148, p = 0.77260014696587864
    #    t.test(a$wellbeing_post, a$wellbeing_pre, paired = TRUE) -> t = 0.46154603409036704,
    #    p = 0.64893802306095050
    table = pre_post(training(), "wellbeing_pre", "wellbeing_post", by="group")
    group_a = table[table["group"] == "A"]
    assert list(table.columns[:2]) == ["group", "statistic"]
    assert value(group_a, "wilcoxon", "test_statistic") == 148
    assert value(group_a, "wilcoxon", "p_value") == pytest.approx(0.77260014696587864, rel=REL)
    assert value(group_a, "mean_change", "test_statistic") == pytest.approx(
        0.46154603409036704, rel=REL
    )
    assert value(group_a, "mean_change", "p_value") == pytest.approx(0.6489380230609505, rel=REL)
    assert set(table["group"]) == {"A", "B"}


def test_missing_sides_are_excluded_and_counted() -> None:
    data = pd.DataFrame(
        {"pre": [1.0, 2.0, 3.0, 4.0, np.nan, 5.0], "post": [2.0, 2.0, 5.0, np.nan, 6.0, 4.0]}
    )
    table = pre_post(data, "pre", "post")
    assert table["n_pairs"].unique().tolist() == [4]
    assert table["n_pre_only"].unique().tolist() == [1]
    assert table["n_post_only"].unique().tolist() == [1]
    assert value(table, "mean_change") == pytest.approx((1 + 0 + 2 - 1) / 4)
    assert len(result_info(table).notes) == 3


def test_groups_without_a_test_are_named_in_the_notes() -> None:
    data = pd.DataFrame({"pre": [1, 2, 3, 4.0], "post": [2, 3, 4, 6.0], "g": ["a", "a", "a", "b"]})
    table = pre_post(data, "pre", "post", by="g")
    change = table[table["statistic"] == "mean_change"]
    assert change["p_value"].isna().all()  # a: constant change, b: one pair
    assert "('a',), ('b',)" in result_info(table).notes[-1]


def test_no_changed_pair_gives_nan_tests_and_notes() -> None:
    # Every pair unchanged: neither the paired t-test nor the Wilcoxon test exists.
    data = pd.DataFrame({"pre": [2.0, 3.0, 3.0], "post": [2.0, 3.0, 3.0]})
    table = pre_post(data, "pre", "post")
    check_result(table)
    assert table["p_value"].isna().all()
    assert value(table, "mean_change") == 0
    assert value(table, "mean_pre") == pytest.approx(8 / 3)
    assert value(table, "share_unchanged") == 1
    assert value(table, "wilcoxon", "n") == 0
    notes = " ".join(result_info(table).notes)
    assert "Paired t-test and d_z not computed overall" in notes
    assert "Wilcoxon signed-rank test not computed overall: no complete pair changed" in notes


@pytest.mark.parametrize(
    "data",
    [
        pd.DataFrame({"pre": [1.0, np.nan], "post": [np.nan, 2.0]}),
        pd.DataFrame({"pre": [], "post": []}, dtype=float),
    ],
    ids=["no-complete-pair", "no-rows"],
)
def test_no_pairs_gives_an_empty_but_whole_table(data: pd.DataFrame) -> None:
    table = pre_post(data, "pre", "post")
    check_result(table)
    assert table["p_value"].isna().all() and table["estimate"].isna().all()
    assert (table["n"] == 0).all()
    assert np.isnan(value(table, "mean_change", "df"))  # no pairs: df undefined, not -1
    assert "Wilcoxon signed-rank test not computed overall" in result_info(table).notes[-1]


def test_unchanged_group_next_to_changed_group_is_named() -> None:
    data = pd.DataFrame(
        {"pre": [1.0, 2.0, 3.0, 1.0, 2.0, 3.0], "post": [1.0, 2.0, 3.0, 2.0, 4.0, 3.5]}
    ).assign(g=["same"] * 3 + ["moved"] * 3)
    table = pre_post(data, "pre", "post", by="g")
    wilcoxon = table[table["statistic"] == "wilcoxon"].set_index("g")["p_value"]
    assert np.isnan(wilcoxon["same"]) and wilcoxon["moved"] > 0
    assert "Wilcoxon signed-rank test not computed in groups ('same',)" in " ".join(
        result_info(table).notes
    )


def test_empty_data_with_by_gives_no_rows() -> None:
    data = pd.DataFrame({"pre": [], "post": [], "g": []}, dtype=float)
    table = pre_post(data, "pre", "post", by="g")
    check_result(table)
    assert table.empty and list(table.columns[:2]) == ["g", "statistic"]


def test_normalised_gain_by_hand() -> None:
    data = pd.DataFrame({"pre": [10, 15, 20, 5], "post": [15, 15, 18, 10]})
    table = pre_post(data, "pre", "post", max_score=20)
    # individual gains 5/10, 0/5, (pre at the maximum: left out), 5/15
    assert value(table, "gain_individual") == pytest.approx((0.5 + 0 + 1 / 3) / 3)
    assert value(table, "gain_individual", "n") == 3
    # gain of the means: (14.5 - 12.5) / (20 - 12.5)
    assert value(table, "gain_of_means") == pytest.approx(2 / 7.5)


def test_shares_and_thresholds_by_hand() -> None:
    data = pd.DataFrame({"pre": [10, 15, 20, 5, 8], "post": [15, 15, 18, 10, 9]})
    table = pre_post(data, "pre", "post", threshold=14, min_gain=5)
    assert value(table, "share_improved") == pytest.approx(3 / 5)
    assert value(table, "share_unchanged") == pytest.approx(1 / 5)
    assert value(table, "share_worse") == pytest.approx(1 / 5)
    assert value(table, "share_threshold_pre") == pytest.approx(2 / 5)
    assert value(table, "share_threshold_post") == pytest.approx(3 / 5)
    assert value(table, "share_min_gain") == pytest.approx(2 / 5)
    assert value(table, "share_threshold_or_gain") == pytest.approx(4 / 5)
    # Wilson interval: R prop.test(3, 5, correct = FALSE)$conf.int
    low, high = value(table, "share_improved", "ci_low"), value(table, "share_improved", "ci_high")
    assert (low, high) == pytest.approx((0.23072428127601299, 0.88237922576735195), rel=REL)


def test_table_contract_and_input_untouched() -> None:
    data = training()
    before = data.copy()
    table = pre_post(data, "knowledge_pre", "knowledge_post", max_score=20, threshold=14)
    check_result(table)
    pd.testing.assert_frame_equal(data, before)
    assert result_info(table).estimator == "impact.pre_post"
    assert table.columns[0] == "statistic"
    assert {"test", "test_statistic", "n_pre_only", "n_post_only"} <= set(table.columns)


def test_duplicate_index_labels_are_fine() -> None:
    data = training()
    data.index = [0] * len(data)
    table = pre_post(data, "knowledge_pre", "knowledge_post", by="group")
    assert table["n_pairs"].sum() > 0


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"pre": "knowledge_pr"}, DataError, "did you mean 'knowledge_pre'"),
        ({"max_score": 15}, DataError, "above max_score=15"),
        ({"level": 95}, ParamsError, "between 0 and 1"),
        ({"pre": "group"}, DataError, "not numbers"),
    ],
    ids=["unknown-column", "above-max", "level-percent", "text-scores"],
)
def test_bad_input_is_explained(kwargs: dict, error: type, message: str) -> None:
    arguments = {"pre": "knowledge_pre", "post": "knowledge_post", **kwargs}
    with pytest.raises(error, match=message):
        pre_post(training(), **arguments)


def test_duplicate_ids_are_refused() -> None:
    data = pd.concat([training(), training().head(2)])
    with pytest.raises(DataError, match="'P001', 'P002'"):
        pre_post(data, "knowledge_pre", "knowledge_post", id="participant")


# --------------------------------------------------------------------------- McNemar


def items_from_counts(both_wrong: int, improved: int, worsened: int, both_right: int) -> tuple:
    pre = [0] * both_wrong + [0] * improved + [1] * worsened + [1] * both_right
    post = [0] * both_wrong + [1] * improved + [0] * worsened + [1] * both_right
    return pre, post


def test_mcnemar_matches_r() -> None:
    # R: tab <- matrix(c(40, 10, 30, 20), nrow = 2)  # rows pre 0/1, columns post 0/1
    #    mcnemar.test(tab)                  -> 9.0250000000000004, p = 0.0026631192591385533
    #    mcnemar.test(tab, correct = FALSE) -> 10, p = 0.0015654022580025519
    #    binom.test(6, 7)$p.value           -> 0.12500000000000003
    pre_a, post_a = items_from_counts(40, 30, 10, 20)
    pre_b, post_b = items_from_counts(80, 6, 1, 13)
    data = pd.DataFrame({"a_pre": pre_a, "a_post": post_a, "b_pre": pre_b, "b_post": post_b})
    table = mcnemar(data, ["a_pre", "b_pre"], ["a_post", "b_post"], items=["law", "referral"])
    check_result(table)
    law, referral = table.iloc[0], table.iloc[1]
    assert law["test"] == "McNemar chi-square"
    assert law["test_statistic"] == pytest.approx(9.025, rel=REL)
    assert law["p_value"] == pytest.approx(0.0026631192591385533, rel=REL)
    assert law["estimate"] == pytest.approx((30 - 10) / 100)
    assert (law["share_pre"], law["share_post"]) == pytest.approx((0.30, 0.50))
    assert referral["test"] == "McNemar exact binomial"
    assert referral["p_value"] == pytest.approx(0.12500000000000003, rel=REL)
    uncorrected = mcnemar(data, "a_pre", "a_post", correct=False)
    assert uncorrected.loc[0, "test_statistic"] == pytest.approx(10, rel=REL)
    assert uncorrected.loc[0, "p_value"] == pytest.approx(0.0015654022580025519, rel=REL)


def test_mcnemar_paired_difference_se_by_hand() -> None:
    pre, post = items_from_counts(40, 30, 10, 20)
    table = mcnemar(pd.DataFrame({"pre": pre, "post": post}), "pre", "post", method="chi2")
    # Var((b - c) / n) = ((b + c) - (b - c)^2 / n) / n^2 with b = 30, c = 10, n = 100
    assert table.loc[0, "se"] == pytest.approx(np.sqrt(40 - 400 / 100) / 100)


def test_mcnemar_refuses_non_binary_items_and_mismatched_lists() -> None:
    data = pd.DataFrame({"pre": [0, 1, 2], "post": [1, 1, 0]})
    with pytest.raises(DataError, match="not 0 or 1"):
        mcnemar(data, "pre", "post")
    with pytest.raises(ParamsError, match="same number"):
        mcnemar(data, ["pre", "post"], ["post"])


# --------------------------------------------------------------------------- simulations


@pytest.mark.slow
def test_paired_t_and_d_z_intervals_cover_at_nominal_rate() -> None:
    rng = np.random.default_rng(20220203)
    true_d, n, reps = 0.5, 20, 1000
    cover_mean = cover_dz = 0
    for _ in range(reps):
        pre = rng.normal(50, 10, n)
        post = pre + rng.normal(true_d * 8, 8, n)  # SD of change 8, mean change 0.5 SD
        table = pre_post(pd.DataFrame({"pre": pre, "post": post}), "pre", "post")
        low, high = value(table, "mean_change", "ci_low"), value(table, "mean_change", "ci_high")
        cover_mean += low <= true_d * 8 <= high
        low, high = value(table, "d_z", "ci_low"), value(table, "d_z", "ci_high")
        cover_dz += low <= true_d <= high
    assert 0.93 <= cover_mean / reps <= 0.97
    assert 0.93 <= cover_dz / reps <= 0.97
