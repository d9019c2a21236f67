"""lee_bounds() against hand computations and simulations with known truth (there is no R
reference for Lee bounds in tests/reference: see its README, "Not covered here")."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaluation.errors import DataError, EstimationError, ParamsError
from evaluation.impact import lee_bounds
from evaluation.impact.bounds import imbens_manski_ci, trimmed_mean
from evaluation.results import check_result, result_info


def row(table: pd.DataFrame, term: str) -> pd.Series:
    return table.loc[table["term"] == term].iloc[0]


def hand_example() -> pd.DataFrame:
    """Numbers small enough to check by hand.

    Treated: 10 units, 8 observed with outcomes 1..8 (response 0.8).
    Comparison: 8 units, 5 observed with outcomes 1..5 (response 0.625).
    """
    treated = [1, 2, 3, 4, 5, 6, 7, 8, np.nan, np.nan]
    control = [1, 2, 3, 4, 5, np.nan, np.nan, np.nan]
    return pd.DataFrame({"y": treated + control, "treat": [1] * len(treated) + [0] * len(control)})


def simulated(
    n: int, effect: float, q_control: float, q_treated: float, seed: int, cells: bool = False
) -> tuple[pd.DataFrame, float]:
    """Monotone attrition: the always-observed are the units with u < q_control.

    Returns the data and the true effect for the always-observed. With ``cells`` a binary
    covariate shifts the outcome by 2 SD, so tightening within its cells should help.
    """
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, n)
    treat = rng.permutation(np.arange(n) < n // 2).astype(int)
    y0 = rng.normal(0, 1, n) + (2.0 * x if cells else 0.0)
    y1 = y0 + effect + 0.5 * (y0 - y0.mean())  # heterogeneous effects
    u = rng.uniform(size=n)
    observed = np.where(treat == 1, u < q_treated, u < q_control)
    always = u < q_control
    truth = float(np.mean((y1 - y0)[always]))
    y = np.where(observed, np.where(treat == 1, y1, y0), np.nan)
    return pd.DataFrame({"y": y, "treat": treat, "x": x}), truth


# --------------------------------------------------------------------------- hand computations


def test_trimmed_mean_trims_fractionally() -> None:
    values = np.array([5.0, 1.0, 3.0, 2.0, 4.0])
    # keep 70% of 5 values = 3.5 units of mass: 1 + 2 + 3 + 0.5 * 4 over 3.5
    assert trimmed_mean(values, 0.7, "low").mean == pytest.approx(8 / 3.5)
    assert trimmed_mean(values, 0.7, "high").mean == pytest.approx((5 + 4 + 3 + 0.5 * 2) / 3.5)
    assert trimmed_mean(values, 0.7, "low").cut == 4
    assert trimmed_mean(values, 1.0, "high").mean == pytest.approx(3.0)


def test_bounds_by_hand() -> None:
    table = lee_bounds(hand_example(), "y", "treat")
    check_result(table)
    # p = (0.8 - 0.625) / 0.8 = 0.21875; keep 0.78125 * 8 = 6.25 of the treated respondents
    assert row(table, "trim_proportion")["estimate"] == pytest.approx(0.21875)
    low_mean = (1 + 2 + 3 + 4 + 5 + 6 + 0.25 * 7) / 6.25
    high_mean = (8 + 7 + 6 + 5 + 4 + 3 + 0.25 * 2) / 6.25
    assert row(table, "lower_bound")["estimate"] == pytest.approx(low_mean - 3)
    assert row(table, "upper_bound")["estimate"] == pytest.approx(high_mean - 3)
    assert row(table, "observed_difference")["estimate"] == pytest.approx(4.5 - 3)
    assert row(table, "lower_bound")["trimmed_arm"] == "treatment"


def test_analytic_variance_by_hand() -> None:
    table = lee_bounds(hand_example(), "y", "treat")
    p, q1, q0 = 0.21875, 0.8, 0.625
    var_p = (1 - p) ** 2 * ((1 - q0) / (q0 * 8) + (1 - q1) / (q1 * 10))
    kept = np.array([1, 2, 3, 4, 5, 6, 7])
    weights = np.array([1, 1, 1, 1, 1, 1, 0.25])
    mean = weights @ kept / 6.25
    sigma2 = weights @ (kept - mean) ** 2 / 6.25
    cut = 7.0
    control_var = np.var([1, 2, 3, 4, 5], ddof=1) / 5
    expected = (
        (sigma2 + p * (cut - mean) ** 2) / ((1 - p) * 8)
        + ((cut - mean) / (1 - p)) ** 2 * var_p
        + control_var
    )
    assert row(table, "lower_bound")["se"] == pytest.approx(np.sqrt(expected))
    assert row(table, "trim_proportion")["se"] == pytest.approx(np.sqrt(var_p))


def test_trimming_the_comparison_arm_mirrors_the_bounds() -> None:
    data = hand_example()
    flipped = data.assign(treat=1 - data["treat"])
    original, mirrored = lee_bounds(data, "y", "treat"), lee_bounds(flipped, "y", "treat")
    assert row(mirrored, "lower_bound")["trimmed_arm"] == "comparison"
    assert row(mirrored, "lower_bound")["estimate"] == pytest.approx(
        -row(original, "upper_bound")["estimate"]
    )
    assert row(mirrored, "upper_bound")["estimate"] == pytest.approx(
        -row(original, "lower_bound")["estimate"]
    )
    assert row(mirrored, "upper_bound")["se"] == pytest.approx(row(original, "lower_bound")["se"])


def test_equal_response_gives_point_identification() -> None:
    data = pd.DataFrame(
        {"y": [1, 2, 3, np.nan, 2, 4, 6, np.nan], "treat": [0, 0, 0, 0, 1, 1, 1, 1]}
    )
    table = lee_bounds(data, "y", "treat")
    assert row(table, "trim_proportion")["estimate"] == 0
    for term in ("lower_bound", "upper_bound"):
        assert row(table, term)["estimate"] == pytest.approx(4 - 2)


def test_observed_flag_and_ties() -> None:
    data = pd.DataFrame(
        {
            "y": [2, 2, 2, 2, 5, 1, 1, 3, 0, 0],
            "seen": [1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
            "treat": [1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
        }
    )
    table = lee_bounds(data, "y", "treat", observed="seen")
    # treated 5/5 observed, comparison 3/5: p = 0.4, keep 3 of [2, 2, 2, 2, 5]
    assert row(table, "lower_bound")["estimate"] == pytest.approx(2 - 5 / 3)
    assert row(table, "upper_bound")["estimate"] == pytest.approx((5 + 2 + 2) / 3 - 5 / 3)


# --------------------------------------------------------------------------- intervals


def test_imbens_manski_between_one_and_two_sided() -> None:
    z2, z1 = stats.norm.isf(0.025), stats.norm.isf(0.05)
    assert imbens_manski_ci(1.0, 1.0, 0.5, 0.5) == pytest.approx((1 - z2 * 0.5, 1 + z2 * 0.5))
    low, high = imbens_manski_ci(0.0, 100.0, 1.0, 1.0)
    assert (low, high) == pytest.approx((-z1, 100 + z1), rel=1e-6)
    low, high = imbens_manski_ci(0.0, 1.0, 0.5, 0.8)
    c = -low / 0.5
    assert z1 < c < z2
    assert stats.norm.cdf(c + 1.0 / 0.8) - stats.norm.cdf(-c) == pytest.approx(0.95, abs=1e-10)
    assert high == pytest.approx(1 + c * 0.8)


def test_effect_row_uses_the_chosen_interval() -> None:
    data, _ = simulated(600, 0.3, 0.7, 0.85, seed=3)
    im = lee_bounds(data, "y", "treat")
    union = lee_bounds(data, "y", "treat", ci="union")
    lower, upper = row(union, "lower_bound"), row(union, "upper_bound")
    assert row(union, "effect")["ci_low"] == pytest.approx(lower["ci_low"])
    assert row(union, "effect")["ci_high"] == pytest.approx(upper["ci_high"])
    assert row(im, "effect")["ci_low"] > row(union, "effect")["ci_low"]
    assert np.isnan(row(im, "effect")["estimate"])


def test_bootstrap_is_seeded_and_close_to_analytic() -> None:
    data, _ = simulated(3000, 0.3, 0.7, 0.85, seed=5)
    analytic = lee_bounds(data, "y", "treat")
    boot_a = lee_bounds(data, "y", "treat", se="bootstrap", n_boot=300, seed=11)
    boot_b = lee_bounds(data, "y", "treat", se="bootstrap", n_boot=300, seed=11)
    pd.testing.assert_frame_equal(boot_a, boot_b)
    for term in ("lower_bound", "upper_bound", "trim_proportion"):
        assert row(boot_a, term)["se"] == pytest.approx(row(analytic, term)["se"], rel=0.2)


def test_tightening_by_a_covariate_narrows_the_bounds() -> None:
    data, truth = simulated(4000, 0.3, 0.6, 0.8, seed=8, cells=True)
    basic = lee_bounds(data, "y", "treat")
    tight = lee_bounds(data, "y", "treat", covariate="x", n_boot=100, seed=1)
    width = row(basic, "upper_bound")["estimate"] - row(basic, "lower_bound")["estimate"]
    tight_width = row(tight, "upper_bound")["estimate"] - row(tight, "lower_bound")["estimate"]
    assert tight_width < 0.8 * width
    assert row(tight, "lower_bound")["estimate"] < truth < row(tight, "upper_bound")["estimate"]
    assert "bootstrap" in row(tight, "effect")["se_method"]
    assert "tightened" in result_info(tight).method


def clustered(
    clusters: int, size: int, effect: float, q_control: float, q_treated: float, seed: int
) -> pd.DataFrame:
    """Schools assigned whole to the arms, with school effects on the outcome (ICC about
    0.33) and on response; monotone attrition; the effect is the same for everyone."""
    rng = np.random.default_rng(seed)
    school = np.repeat(np.arange(clusters), size)
    treat = (school % 2).astype(int)
    shift = rng.normal(0, 0.7, clusters)[school]
    lean = rng.normal(0, 0.08, clusters)[school]
    observed = rng.uniform(size=school.size) < np.where(treat == 1, q_treated, q_control) + lean
    y = shift + rng.normal(0, 1, school.size) + effect * treat
    return pd.DataFrame({"y": np.where(observed, y, np.nan), "treat": treat, "school": school})


def test_cluster_bootstrap_resamples_schools_and_widens_the_intervals() -> None:
    data = clustered(40, 30, 0.3, 0.7, 0.8, seed=3)
    units = lee_bounds(data, "y", "treat", se="bootstrap", n_boot=200, seed=4)
    schools = lee_bounds(data, "y", "treat", cluster="school", n_boot=200, seed=4)
    pd.testing.assert_frame_equal(
        schools, lee_bounds(data, "y", "treat", cluster="school", n_boot=200, seed=4)
    )
    for term in ("lower_bound", "upper_bound"):
        assert row(schools, term)["estimate"] == row(units, term)["estimate"]
        assert row(schools, term)["se"] > 2 * row(units, term)["se"]
    assert "clusters 'school'" in row(schools, "effect")["se_method"]


def test_one_unit_clusters_give_the_unit_bootstrap_spread() -> None:
    data, _ = simulated(3000, 0.3, 0.7, 0.85, seed=5)
    units = lee_bounds(data, "y", "treat", se="bootstrap", n_boot=300, seed=11)
    singles = lee_bounds(data.assign(id=range(len(data))), "y", "treat", cluster="id",
                         n_boot=300, seed=11)  # fmt: skip
    for term in ("lower_bound", "upper_bound", "trim_proportion"):
        assert row(singles, term)["se"] == pytest.approx(row(units, term)["se"], rel=0.15)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("change", "kwargs", "error", "message"),
    [
        (lambda d: d.assign(treat=d["treat"] * 2), {}, DataError, "not 0/1"),
        (lambda d: d.assign(seen=1), {"observed": "seen"}, DataError, "marked observed"),
        (lambda d: d, {"se": "robust"}, ParamsError, "choose one of"),
        (lambda d: d.assign(x=1), {"covariate": "x", "se": "analytic"}, ParamsError, "bootstrap"),
        (lambda d: d.assign(s=1), {"cluster": "s", "se": "analytic"}, ParamsError, "clustered"),
        (lambda d: d.assign(s=1), {"cluster": "s"}, DataError, "both arms"),
        (
            lambda d: d.assign(s=d["treat"].where(d.index > 0)),
            {"cluster": "s"},
            DataError,
            "no cluster",
        ),
        (
            lambda d: d.assign(y=np.where(d["treat"] == 1, np.nan, d["y"])),
            {},
            EstimationError,
            "at least 2",
        ),
    ],
    ids=[
        "treatment-not-binary",
        "observed-without-outcome",
        "unknown-se",
        "analytic-tightened",
        "analytic-clustered",
        "cluster-in-both-arms",
        "cluster-missing",
        "empty-arm",
    ],
)
def test_bad_input_is_explained(
    change: Callable[[pd.DataFrame], pd.DataFrame], kwargs: dict, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        lee_bounds(change(hand_example()), "y", "treat", **kwargs)


# --------------------------------------------------------------------------- simulations


@pytest.mark.slow
def test_bounds_contain_the_truth_and_intervals_cover() -> None:
    reps, covered, inside = 400, 0, 0
    lows, highs, se_lows, se_highs = [], [], [], []
    for seed in range(reps):
        data, truth = simulated(1000, 0.3, 0.65, 0.8, seed=seed)
        table = lee_bounds(data, "y", "treat")
        lower, upper = row(table, "lower_bound"), row(table, "upper_bound")
        inside += lower["estimate"] <= truth <= upper["estimate"]
        covered += row(table, "effect")["ci_low"] <= truth <= row(table, "effect")["ci_high"]
        lows.append(lower["estimate"])
        highs.append(upper["estimate"])
        se_lows.append(lower["se"])
        se_highs.append(upper["se"])
    assert inside / reps > 0.95
    assert covered / reps >= 0.95
    # Lee's analytic SEs match the Monte Carlo spread of the estimated bounds
    assert np.mean(se_lows) == pytest.approx(np.std(lows, ddof=1), rel=0.1)
    assert np.mean(se_highs) == pytest.approx(np.std(highs, ddof=1), rel=0.1)


@pytest.mark.slow
def test_with_equal_attrition_the_bounds_are_conservative() -> None:
    # With equal response rates the estimated p is still positive in every sample, so the
    # bounds widen around the point-identified effect: coverage at least the nominal 95%.
    reps, covered = 400, 0
    for seed in range(reps):
        data, truth = simulated(800, 0.3, 0.75, 0.75, seed=10_000 + seed)
        table = lee_bounds(data, "y", "treat")
        covered += row(table, "effect")["ci_low"] <= truth <= row(table, "effect")["ci_high"]
    assert covered / reps >= 0.95


def truth_at_lower_bound(n: int, seed: int) -> pd.DataFrame:
    """The treated arm's extra respondents have the highest outcomes, so the effect for the
    always-observed (0.3) equals the lower bound: the least favourable case for coverage."""
    rng = np.random.default_rng(seed)
    treat = rng.permutation(np.arange(n) < n // 2).astype(int)
    u = rng.uniform(size=n)
    y0 = 3 * u + rng.normal(0, 0.05, n)
    observed = np.where(treat == 1, u < 0.8, u < 0.6)
    y = np.where(observed, y0 + 0.3 * treat, np.nan)
    return pd.DataFrame({"y": y, "treat": treat})


@pytest.mark.slow
def test_imbens_manski_covers_at_the_nominal_rate_when_truth_is_at_a_bound() -> None:
    reps, covered, lower = 400, 0, []
    for seed in range(reps):
        table = lee_bounds(truth_at_lower_bound(1000, seed=20_000 + seed), "y", "treat")
        covered += row(table, "effect")["ci_low"] <= 0.3 <= row(table, "effect")["ci_high"]
        lower.append(row(table, "lower_bound")["estimate"])
    assert np.mean(lower) == pytest.approx(0.3, abs=0.01)
    assert 0.92 <= covered / reps <= 0.98


@pytest.mark.slow
def test_with_schools_only_the_cluster_bootstrap_covers() -> None:
    # Equal attrition, so the bounds are nearly a point and coverage rests on the SEs: Lee's
    # analytic SEs treat the students of a school as independent and under-cover badly.
    reps, analytic, schools = 300, 0, 0
    for seed in range(reps):
        data = clustered(40, 30, 0.3, 0.75, 0.75, seed=30_000 + seed)
        for table, count in (
            (lee_bounds(data, "y", "treat"), "analytic"),
            (lee_bounds(data, "y", "treat", cluster="school", n_boot=199, seed=seed), "schools"),
        ):
            effect = row(table, "effect")
            inside = bool(effect["ci_low"] <= 0.3 <= effect["ci_high"])
            analytic += inside and count == "analytic"
            schools += inside and count == "schools"
    assert schools / reps >= 0.93
    assert analytic / reps <= 0.90
