"""Tests of evaluation.endline_power: the endline MDE from the baseline's ICCs and sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.endline_power import endline_mde
from evaluation.errors import DataError, ParamsError
from evaluation.power import icc, mde
from evaluation.results import check_result


@pytest.fixture(scope="module")
def baseline() -> pd.DataFrame:
    """30 schools of unequal size (12 project), a score with school effects and a 0/1
    outcome; some answers missing."""
    rng = np.random.default_rng(8)
    sizes = rng.integers(15, 45, 30)
    school = np.repeat(np.arange(30), sizes)
    n = len(school)
    u = rng.normal(0, 0.4, 30)[school]
    score = 3 + u + rng.normal(size=n)
    used = (rng.random(n) < 0.2 + 0.1 * (u > 0)).astype(float)
    score[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "school_code": [f"ES{s:04d}" for s in school],
            "arm": np.where(school < 12, "project", "comparison"),
            "score": score,
            "used": used,
        }
    )


def test_mde_equals_power_mde_on_the_observed_inputs(baseline):
    table = endline_mde(
        baseline, ["score", "used"], attrition=0.15, r2_individual={"score": 0.4, "used": 0.1}
    )
    check_result(table)
    for name, r2 in (("score", 0.4), ("used", 0.1)):
        rows = baseline[baseline[name].notna()]
        schools = rows["school_code"].nunique()
        treated = rows.loc[rows["arm"] == "project", "school_code"].nunique()
        rho = icc(rows, name, "school_code")["estimate"].item()
        comparison = rows.loc[rows["arm"] == "comparison", name]
        units = (
            {"baseline_proportion": comparison.mean()}
            if name == "used"
            else {"sd": comparison.std(ddof=1)}
        )
        expected = mde(
            clusters=schools,
            cluster_size=len(rows) / schools,
            icc=max(rho, 0.0),
            treated_share=treated / schools,
            r2_individual=r2,
            attrition=0.15,
            **units,
        )
        row = table.set_index("variable").loc[name]
        assert row["estimate"] == pytest.approx(expected["estimate"].item(), rel=1e-12)
        assert row["mdes"] == pytest.approx(expected["mdes"].item(), rel=1e-12)
        assert row["icc"] == pytest.approx(max(rho, 0.0), rel=1e-12)
        assert row["n"] == len(rows)
        assert (row["clusters_treated"], row["clusters_comparison"]) == (12, 18)
    assert table.set_index("variable").loc["used", "units"] == "proportion points"
    assert table.set_index("variable").loc["score", "units"] == "outcome units"


def test_more_attrition_and_more_r2_move_the_mde_the_right_way(baseline):
    low = endline_mde(baseline, "score", attrition=0.0)["estimate"].item()
    high = endline_mde(baseline, "score", attrition=0.3)["estimate"].item()
    adjusted = endline_mde(baseline, "score", attrition=0.0, r2_individual=0.5)["estimate"].item()
    assert high > low > adjusted


def test_negative_icc_is_set_to_zero():
    rng = np.random.default_rng(1)
    school = np.repeat(np.arange(20), 10)
    # within-school values alternate around a common mean: between-school variance below chance
    y = np.tile([0.0, 1.0], 100) + rng.normal(0, 0.01, 200)
    data = pd.DataFrame(
        {"school_code": school, "arm": np.where(school < 10, "project", "x"), "y": y}
    )
    table = endline_mde(data, "y")
    assert table["icc_estimate"].item() < 0 and table["icc"].item() == 0
    assert any("negative ICC" in n for n in table.attrs["info"].notes)


def test_errors(baseline):
    with pytest.raises(ParamsError, match=r"attrition=1\.2 for 'score' must be at least 0"):
        endline_mde(baseline, "score", attrition=1.2)
    with pytest.raises(ParamsError, match="r2_individual has no entry for 'used'"):
        endline_mde(baseline, ["score", "used"], r2_individual={"score": 0.3})
    with pytest.raises(DataError, match="schools in only one arm"):
        endline_mde(baseline, "score", treated_value="treated")
    with pytest.raises(DataError, match="no column 'scor'"):
        endline_mde(baseline, "scor")
    holes = baseline.copy()
    holes.loc[4, "arm"] = None
    with pytest.raises(DataError, match="column 'arm': 1 rows have no value"):
        endline_mde(holes, "score")
