"""Lee bounds on the endline's panel effects (evaluation.endline.bounds).

The wrapper's job is to pick the right students and outcome: the baseline respondents with
the outcome answered at baseline, observed when linked at endline with the outcome answered,
and the change from baseline to endline. Each test builds that frame by hand from a small
simulated two-round survey and compares with :func:`evaluation.impact.lee_bounds` (itself
checked against Lee's formulas in tests/impact/test_bounds.py), or with a known truth.
"""

import numpy as np
import pandas as pd
import pytest

from evaluation import panel as panels
from evaluation.analysis_plan import ImpactPlan, ImpactResults
from evaluation.endline.bounds import BOUND_TERMS, BOUNDS_REPS, attrition_bounds, attrition_gap
from evaluation.impact import lee_bounds
from evaluation.results import check_result

PLAN = ImpactPlan.from_params({"families": {"scores": ["y"], "other": ["z"]}})
TOLERANCE = 1e-12


def survey(seed: int, effect: float = 0.5, lost=(0.10, 0.25), schools: int = 16, size: int = 30):
    """Two rounds of a school survey: y and z at baseline, their change at endline (the
    project shifts y by ``effect``); a share ``lost`` of the comparison / project students
    is not seen at endline, at random; a few answers are missing in each round."""
    rng = np.random.default_rng(seed)
    rows = []
    for school in range(schools):
        arm = "project" if school % 2 else "comparison"
        for student in range(size):
            code = f"code-{school}-{student}"
            y0, z0 = rng.normal(), float(rng.random() < 0.3)
            base = {"school_code": f"S{school:02d}", "arm": arm, "panel_code": code}
            rows.append({**base, "wave": "baseline", "y": y0, "z": z0})
            if rng.random() < lost[arm == "project"]:
                continue
            y1 = y0 + 0.2 + effect * (arm == "project") + rng.normal(scale=0.5)
            z1 = float(rng.random() < 0.3)
            rows.append({**base, "wave": "endline", "y": y1, "z": z1})
    data = pd.DataFrame(rows)
    holes = rng.random(len(data)) < 0.03
    data.loc[holes, "y"] = np.nan
    return data


def results_of(data: pd.DataFrame) -> ImpactResults:
    link = panels.link_waves(data, "panel_code", "school_code", "wave", arm="arm")
    return ImpactResults(pd.DataFrame(), pd.DataFrame(), link, pd.DataFrame())


def by_hand(data: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """One row per baseline student with the outcome answered: change, treated, observed."""
    base = data[data["wave"] == "baseline"].set_index(["school_code", "panel_code"])
    end = data[data["wave"] == "endline"].set_index(["school_code", "panel_code"])
    rows = []
    for key, record in base.iterrows():
        if pd.isna(record[outcome]):
            continue
        after = end[outcome].get(key, np.nan)
        rows.append(
            {
                "change": after - record[outcome],
                "treated": int(record["arm"] == "project"),
                "observed": int(not pd.isna(after)),
                "school": key[0],
            }
        )
    return pd.DataFrame(rows)


def test_bounds_equal_lee_bounds_on_the_hand_built_change():
    data = survey(seed=1)
    got = attrition_bounds(results_of(data), PLAN)
    check_result(got)
    for outcome, family in (("y", "scores"), ("z", "other")):
        expected = lee_bounds(
            by_hand(data, outcome),
            "change",
            "treated",
            observed="observed",
            cluster="school",
            n_boot=BOUNDS_REPS,
            seed=PLAN.seed,
        )
        mine = got[got["outcome"] == outcome].reset_index(drop=True)
        assert list(mine["term"]) == list(BOUND_TERMS)
        assert set(mine["family"]) == {family}
        for column in ("estimate", "se", "ci_low", "ci_high", "n"):
            a = pd.to_numeric(mine[column]).to_numpy(dtype=float)
            b = pd.to_numeric(expected[column]).to_numpy(dtype=float)
            np.testing.assert_allclose(a, b, rtol=TOLERANCE, atol=TOLERANCE, err_msg=column)
        assert mine["trimmed_arm"].iloc[0] == expected["trimmed_arm"].iloc[0] == "comparison"
        assert "clusters" in mine["se_method"].iloc[0]


def test_equal_response_rates_give_no_trimming_and_point_bounds():
    data = survey(seed=2, lost=(0.0, 0.0))
    data["y"] = data["y"].fillna(0.0)
    got = attrition_bounds(results_of(data), PLAN, ["y"]).set_index("term")
    assert got.at["trim_proportion", "estimate"] == 0
    observed = got.at["observed_difference", "estimate"]
    assert got.at["lower_bound", "estimate"] == pytest.approx(observed, abs=1e-12)
    assert got.at["upper_bound", "estimate"] == pytest.approx(observed, abs=1e-12)


def test_the_interval_for_the_effect_covers_the_truth_under_random_attrition():
    """Attrition at random but different by arm (10% vs 25%): the bounds are valid, so the
    Imbens–Manski 95% interval covers the true effect at least 95% of the time (it is
    conservative here); 40 simulated surveys."""
    covered = []
    for seed in range(40):
        got = attrition_bounds(results_of(survey(seed=100 + seed)), PLAN, ["y"])
        effect = got.set_index("term").loc["effect"]
        covered.append(effect["ci_low"] <= 0.5 <= effect["ci_high"])
    assert np.mean(covered) >= 0.9


def test_the_gap_is_the_differential_attrition_row():
    table = pd.DataFrame(
        {
            "section": ["rate", "rate", "differential"],
            "term": ["rate", "rate", "difference"],
            "estimate": [0.2, 0.25, 0.05],
        }
    )
    results = ImpactResults(pd.DataFrame(), pd.DataFrame(), None, table)
    assert attrition_gap(results) == 0.05
    assert np.isnan(attrition_gap(ImpactResults(None, None, None, table.iloc[:2])))


def test_no_outcome_gives_an_empty_result_table():
    got = attrition_bounds(results_of(survey(seed=3)), PLAN, [])
    check_result(got)
    assert got.empty
