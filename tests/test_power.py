"""evaluation.power against R (tests/reference/expected/power.json, lme4 for the ICC),
closed forms, and simulated rejection rates."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaluation.errors import DataError, EstimationError, ParamsError
from evaluation.power import (
    design_power,
    icc,
    mde,
    power_prop_test,
    power_t_test,
    sample_size,
)
from evaluation.results import check_result

REFERENCE = Path(__file__).parent / "reference"
REL = 1e-6  # directly computed power and tight-tolerance roots
REL_UNIROOT = 1e-3  # R's default uniroot tolerance and the pwr cases (README)
REL_CLOSED_FORM = 1e-9  # cluster MDES rows
EXPECTED = json.loads((REFERENCE / "expected" / "power.json").read_text())
CASES = {case["id"]: case for case in EXPECTED["cases"]}
T_CASES = [c for c in CASES if c.startswith(("f1_", "f2_", "f3_", "f4_", "f5_", "f6_", "f7_"))]
PROP_CASES = [c for c in CASES if c.startswith(("f8_", "f9_", "f10_"))]


def given(case: dict) -> set[str]:
    """The arguments the R call passed (the missing one was solved for)."""
    return set(re.findall(r"(\w+) = ", case["r_call"]))


def run_t_case(case: dict) -> tuple[str, float]:
    result = case["result_tight"]
    args = given(case)
    unknown = next(k for k in ("n", "delta", "power") if k not in args)
    inputs = {k: result[k] for k in ("n", "delta", "power")}
    inputs[unknown] = None
    table = power_t_test(
        **inputs,
        sd=result["sd"],
        alpha=result["sig_level"],
        type=result["type"].lower().replace("-", "_"),
        alternative=result["alternative"],
        strict="strict" in args,
    )
    check_result(table)
    assert table.loc[0, "quantity"] == unknown
    return unknown, float(table.loc[0, "estimate"])


@pytest.mark.parametrize("case_id", T_CASES)
def test_power_t_test_matches_r(case_id: str) -> None:
    case = CASES[case_id]
    unknown, got = run_t_case(case)
    assert got == pytest.approx(case["result_tight"][unknown], rel=REL), f"{case_id}: {unknown}"
    # and R's default-tolerance answer to that tolerance
    assert got == pytest.approx(case["result"][unknown], rel=REL_UNIROOT)


@pytest.mark.parametrize("case_id", PROP_CASES)
def test_power_prop_test_matches_r(case_id: str) -> None:
    case = CASES[case_id]
    result = case["result_tight"]
    unknown = next(k for k in ("n", "p1", "p2", "power") if k not in given(case))
    inputs = {k: result[k] for k in ("n", "p1", "p2", "power")}
    inputs[unknown] = None
    table = power_prop_test(**inputs, alpha=result["sig_level"])
    got = float(table.loc[0, "estimate"])
    assert got == pytest.approx(result[unknown], rel=REL), f"{case_id}: {unknown}"
    assert got == pytest.approx(case["result"][unknown], rel=REL_UNIROOT)


def test_pwr_t_test_is_the_strict_two_sided_power() -> None:
    case = CASES["f11_pwr_t_n"]["result"]
    table = power_t_test(delta=case["d"], power=case["power"], alpha=case["sig_level"], strict=True)
    assert table.loc[0, "estimate"] == pytest.approx(case["n"], rel=REL_UNIROOT)


def test_pwr_2p_test_equals_the_individual_design_with_the_normal() -> None:
    case = CASES["f12_pwr_2p_n"]["result"]
    h = 2 * np.arcsin(np.sqrt(0.6)) - 2 * np.arcsin(np.sqrt(0.5))  # pwr::ES.h(0.6, 0.5)
    assert h == pytest.approx(case["h"], rel=1e-12)
    table = sample_size(effect=h, power=case["power"], alpha=case["sig_level"], distribution="z")
    per_group = table.loc[0, "estimate"] / 2
    assert per_group == pytest.approx(case["n"], rel=REL_UNIROOT)


MDES_ROWS = CASES["f13_cluster_mdes"]["rows"]


@pytest.mark.parametrize("distribution", ["t", "z"])
@pytest.mark.parametrize(
    "setting",
    MDES_ROWS,
    ids=[f"J{r['J']}-m{r['m']}-icc{r['icc']}-R2{r['R2_1']}" for r in MDES_ROWS],
)
def test_cluster_mdes_matches_the_reference_formula(setting: dict, distribution: str) -> None:
    table = mde(
        clusters=setting["J"],
        cluster_size=setting["m"],
        icc=setting["icc"],
        treated_share=setting["P"],
        r2_individual=setting["R2_1"],
        r2_cluster=setting["R2_2"],
        alpha=setting["alpha"],
        power=setting["power"],
        distribution=distribution,
    )
    check_result(table)
    expected = setting[f"mdes_{distribution}"]
    assert table.loc[0, "estimate"] == pytest.approx(expected, rel=REL_CLOSED_FORM)
    assert table.loc[0, "design_effect"] == pytest.approx(setting["design_effect"], rel=1e-12)


# --------------------------------------------------------------------------- consistency


def test_mde_power_and_sample_size_are_inverses() -> None:
    design = {"clusters": 24, "cluster_size": 20, "icc": 0.08, "r2_individual": 0.3}
    effect = mde(power=0.8, **design).loc[0, "estimate"]
    assert design_power(effect=effect, **design).loc[0, "estimate"] == pytest.approx(0.8)
    solved = sample_size(
        effect=effect, solve_for="clusters", cluster_size=20, icc=0.08, r2_individual=0.3
    )
    assert solved.loc[0, "estimate"] == pytest.approx(24, rel=1e-9)
    assert solved.loc[0, "required"] == 24
    size = sample_size(
        effect=effect, solve_for="cluster_size", clusters=24, icc=0.08, r2_individual=0.3
    )
    assert size.loc[0, "estimate"] == pytest.approx(20, rel=1e-9)


def test_individual_design_closed_form() -> None:
    # z multiplier: (z_.975 + z_.8) * sqrt(1 / (P (1 - P) N (1 - attrition)))
    table = mde(n=400, attrition=0.2, treated_share=0.4, distribution="z")
    expected = (stats.norm.isf(0.025) + stats.norm.ppf(0.8)) * np.sqrt(1 / (0.24 * 320))
    assert table.loc[0, "estimate"] == pytest.approx(expected, rel=1e-12)
    assert table.loc[0, "n_effective"] == pytest.approx(320)


def test_cluster_design_without_icc_is_the_individual_design() -> None:
    clustered = mde(clusters=20, cluster_size=30, distribution="z").loc[0, "estimate"]
    individual = mde(n=600, distribution="z").loc[0, "estimate"]
    assert clustered == pytest.approx(individual, rel=1e-12)


def test_natural_units_for_means_and_proportions() -> None:
    base = mde(n=500).loc[0, "estimate"]
    assert mde(n=500, sd=12).loc[0, "estimate"] == pytest.approx(12 * base)
    proportion = mde(n=500, baseline_proportion=0.2)
    assert proportion.loc[0, "estimate"] == pytest.approx(base * np.sqrt(0.2 * 0.8))
    assert proportion.loc[0, "units"] == "proportion points"
    assert proportion.loc[0, "mdes"] == pytest.approx(base)


def test_scenarios_broadcast_to_rows() -> None:
    table = mde(clusters=24, cluster_size=20, icc=[0.02, 0.05, 0.1])
    assert len(table) == 3
    assert table["estimate"].is_monotonic_increasing
    with pytest.raises(ParamsError, match="different lengths"):
        mde(clusters=[20, 24], cluster_size=20, icc=[0.02, 0.05, 0.1])


def test_more_people_per_cluster_cannot_beat_the_icc() -> None:
    with pytest.raises(EstimationError, match="only more clusters"):
        sample_size(effect=0.2, solve_for="cluster_size", clusters=10, icc=0.2)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: mde(n=200, clusters=10, cluster_size=5), "not both"),
        (lambda: mde(n=200, icc=0.1), "cluster-randomised"),
        (lambda: mde(clusters=10), "needs cluster_size"),
        (lambda: mde(n=200, alternative="greater"), "choose one of"),
        (lambda: mde(clusters=2, cluster_size=10), "degrees of freedom"),
        (lambda: mde(clusters=20, cluster_size=10, icc=-0.01), "at least 0"),
        (lambda: power_t_test(n=20, delta=1, power=0.8), "exactly one"),
        (lambda: power_prop_test(n=20, p1=0.4, p2=1.2), "between 0 and 1"),
    ],
    ids=[
        "n-and-clusters",
        "icc-without-clusters",
        "no-cluster-size",
        "bad-alternative",
        "no-df",
        "negative-icc",
        "nothing-to-solve",
        "p-above-one",
    ],
)
def test_bad_parameters_are_explained(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ParamsError, match=message):
        call()


# --------------------------------------------------------------------------- ICC


def test_icc_matches_lme4_reml_on_balanced_data() -> None:
    # R: y <- c(3, 5, 4, 6, 5,  7, 8, 6, 9, 7,  2, 4, 3, 3, 5,  6, 5, 7, 6, 8)
    #    g <- rep(c("a", "b", "c", "d"), each = 5)
    #    f <- lme4::lmer(y ~ 1 + (1 | g), REML = TRUE)
    #    vc <- as.data.frame(VarCorr(f)); vc$vcov[1] / sum(vc$vcov)  -> 0.6941176579279511
    # (REML = ANOVA estimator for balanced data with a positive estimate)
    y = [3, 5, 4, 6, 5, 7, 8, 6, 9, 7, 2, 4, 3, 3, 5, 6, 5, 7, 6, 8]
    data = pd.DataFrame({"y": y, "g": np.repeat(list("abcd"), 5)})
    table = icc(data, "y", "g")
    check_result(table)
    assert table.loc[0, "estimate"] == pytest.approx(0.6941176579279511, rel=REL)
    assert table.loc[0, "n_clusters"] == 4


def test_icc_unbalanced_by_hand() -> None:
    data = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 6.0, 8.0], "g": [1, 1, 1, 2, 2, 3]})
    # group means 2, 5, 8; grand mean 4; SSB = 3*4 + 2*1 + 1*16 = 30; SSW = 2 + 2 + 0 = 4
    msb, msw = 30 / 2, 4 / 3
    n0 = (6 - (9 + 4 + 1) / 6) / 2
    table = icc(data, "y", "g")
    assert table.loc[0, "estimate"] == pytest.approx((msb - msw) / (msb + (n0 - 1) * msw))
    assert table.loc[0, "n0"] == pytest.approx(n0)


def test_icc_drops_missing_outcomes_per_variable_and_refuses_missing_clusters() -> None:
    data = pd.DataFrame(
        {"a": [1, 2, 3, 4, np.nan, 6], "b": [1, 1, 2, 2, 3, 3], "g": [1, 1, 2, 2, 3, 3]}
    )
    table = icc(data, ["a", "b"], "g")
    assert table["n"].tolist() == [5, 6]
    assert table.loc[1, "estimate"] == pytest.approx(1.0)
    with pytest.raises(DataError, match="no cluster"):
        icc(data.assign(g=[1, 1, None, 2, 3, 3]), "a", "g")


# --------------------------------------------------------------------------- simulations


@pytest.mark.slow
def test_cluster_design_power_matches_simulated_rejection_rate() -> None:
    rng = np.random.default_rng(20220203)
    clusters, size, rho, reps = 20, 15, 0.1, 2000
    effect = mde(clusters=clusters, cluster_size=size, icc=rho).loc[0, "estimate"]
    predicted = design_power(effect=effect, clusters=clusters, cluster_size=size, icc=rho)
    rejections = 0
    arm = np.repeat([0, 1], clusters // 2)
    for _ in range(reps):
        u = rng.normal(0, np.sqrt(rho), clusters)
        e = rng.normal(0, np.sqrt(1 - rho), (clusters, size))
        means = (effect * arm + u)[:, None] + e
        cluster_means = means.mean(axis=1)  # the t-test on cluster means has df = J - 2
        p = stats.ttest_ind(cluster_means[arm == 1], cluster_means[arm == 0]).pvalue
        rejections += p < 0.05
    assert rejections / reps == pytest.approx(predicted.loc[0, "estimate"], abs=0.03)


@pytest.mark.slow
def test_power_t_test_matches_simulated_rejection_rate() -> None:
    rng = np.random.default_rng(7301)
    n, delta, reps = 30, 0.6, 4000
    power = power_t_test(n=n, delta=delta).loc[0, "estimate"]
    x = rng.normal(0, 1, (reps, n))
    y = rng.normal(delta, 1, (reps, n))
    rate = np.mean(stats.ttest_ind(y, x, axis=1).pvalue < 0.05)
    assert rate == pytest.approx(power, abs=0.02)


@pytest.mark.slow
def test_icc_is_unbiased_enough_and_its_interval_covers() -> None:
    rng = np.random.default_rng(99)
    rho, clusters, size, reps = 0.1, 30, 10, 1000
    estimates, covered = [], 0
    groups = np.repeat(np.arange(clusters), size)
    for _ in range(reps):
        y = rng.normal(0, np.sqrt(rho), clusters)[groups] + rng.normal(
            0, np.sqrt(1 - rho), groups.size
        )
        row = icc(pd.DataFrame({"y": y, "g": groups}), "y", "g").iloc[0]
        estimates.append(row["estimate"])
        covered += row["ci_low"] <= rho <= row["ci_high"]
    assert np.mean(estimates) == pytest.approx(rho, abs=0.01)
    assert 0.93 <= covered / reps <= 0.97
