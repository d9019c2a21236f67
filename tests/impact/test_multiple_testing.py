"""adjust_pvalues against R's p.adjust; Romano-Wolf against a brute-force step-down."""

from __future__ import annotations

import gc
import json
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from evaluation.errors import DataError, EstimationError, ParamsError
from evaluation.impact import adjust_pvalues, did, romano_wolf
from evaluation.impact.multiple_testing import romano_wolf_stepdown
from evaluation.results import check_result, result_info

pytestmark = pytest.mark.filterwarnings("ignore::evaluation.errors.MissingDataWarning")

REFERENCE = Path(__file__).parents[1] / "reference"
REL = 1e-6
P_ADJUST = json.loads((REFERENCE / "expected" / "p_adjust.json").read_text())
R_METHODS = {"BH": "bh", "holm": "holm", "bonferroni": "bonferroni", "hochberg": "hochberg", "hommel": "hommel", "BY": "by"}  # fmt: skip


def _nan(values: list) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@pytest.mark.parametrize("case", P_ADJUST["cases"], ids=lambda c: c["id"])
@pytest.mark.parametrize("r_method", list(R_METHODS))
def test_adjustments_match_p_adjust(case: dict, r_method: str) -> None:
    got = adjust_pvalues(_nan(case["p"]), method=R_METHODS[r_method])
    expected = _nan(case["adjusted"][r_method])
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got, expected, rtol=REL, err_msg=r_method)


# Independent cross-check: statsmodels' multipletests (no longer used by the package).
STATSMODELS = {"bonferroni": "bonferroni", "holm": "holm", "hochberg": "simes-hochberg", "hommel": "hommel", "bh": "fdr_bh", "by": "fdr_by"}  # fmt: skip


@pytest.mark.parametrize("method", list(STATSMODELS))
def test_adjustments_agree_with_statsmodels(method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gc, "collect", lambda *args: 0)  # statsmodels' Holm collects every call
    rng = np.random.default_rng(11)
    for trial in range(300):
        p = rng.random(int(rng.integers(1, 30))) ** rng.uniform(0.5, 4)
        if trial % 3 == 0:
            p = np.round(p, 2)  # ties, and zeros
        expected = multipletests(p, method=STATSMODELS[method])[1]
        np.testing.assert_allclose(adjust_pvalues(p, method), expected, rtol=1e-12, atol=0)


def test_small_families_follow_r() -> None:
    # p.adjust returns a single p-value unchanged, and Hommel with two p-values is Hochberg.
    for method in R_METHODS.values():
        np.testing.assert_array_equal(adjust_pvalues([0.3], method), [0.3])
    np.testing.assert_allclose(adjust_pvalues([0.04, 0.02], "hommel"), [0.04, 0.04])
    np.testing.assert_allclose(adjust_pvalues([0.04, 0.03], "hochberg"), [0.04, 0.04])
    assert adjust_pvalues([], "holm").size == 0
    assert np.isnan(adjust_pvalues([np.nan, np.nan], "hommel")).all()


def test_adjustment_does_not_collect_garbage(monkeypatch: pytest.MonkeyPatch) -> None:
    # statsmodels' multipletests calls gc.collect() on every call (0.2 s in a full kernel).
    def collect(*args: object) -> int:
        raise AssertionError("adjust_pvalues called gc.collect()")

    monkeypatch.setattr(gc, "collect", collect)
    for method in R_METHODS.values():
        adjust_pvalues([0.01, 0.2, 0.03, 0.5], method)


def test_r_method_names_are_accepted() -> None:
    p = [0.01, 0.02, 0.03]
    np.testing.assert_allclose(adjust_pvalues(p, "BH"), adjust_pvalues(p, "bh"))


def test_series_keeps_its_index_and_tables_get_a_column() -> None:
    series = pd.Series([0.01, np.nan, 0.04], index=["a", "b", "c"], name="p")
    out = adjust_pvalues(series, "bonferroni")
    assert list(out.index) == ["a", "b", "c"]
    np.testing.assert_allclose(out.to_numpy(), [0.02, np.nan, 0.08])
    youth = pd.read_csv(REFERENCE / "data" / "youth_did.csv")
    table = did(youth, ["score", "engaged"], "treat", "post", "cluster", reps=99)
    adjusted = adjust_pvalues(table, "holm")
    check_result(adjusted)
    assert adjusted.columns[-1] == "p_value_adj"
    assert any("holm" in note for note in result_info(adjusted).notes)
    assert "p_value_adj" not in table.columns, "input not modified"


def test_bad_method_and_values() -> None:
    with pytest.raises(ParamsError, match="choose one of"):
        adjust_pvalues([0.1], "bonferonni")
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        adjust_pvalues([0.1, 1.2])


# --------------------------------------------------------------------------- Romano-Wolf
def _brute_force_romano_wolf(t: np.ndarray, t_star: np.ndarray) -> np.ndarray:
    """Literal transcription of Romano & Wolf (2005) Algorithm 4.1 with max-|t| statistics."""
    remaining = list(np.argsort(-np.abs(t)))
    adjusted = np.empty(len(t))
    previous = 0.0
    while remaining:
        current = remaining[0]
        maxima = np.max(np.abs(t_star[remaining]), axis=0)
        p = np.mean(maxima >= abs(t[current]))
        previous = max(previous, p)
        adjusted[current] = previous
        remaining = remaining[1:]
    return adjusted


def test_stepdown_equals_brute_force() -> None:
    rng = np.random.default_rng(8)
    common = rng.normal(size=2000)
    t_star = 0.6 * common + 0.8 * rng.normal(size=(5, 2000))
    t = np.array([3.1, -0.4, 2.2, 1.7, -2.6])
    np.testing.assert_allclose(romano_wolf_stepdown(t, t_star), _brute_force_romano_wolf(t, t_star))


def test_stepdown_is_monotone_and_between_single_and_union_bound() -> None:
    rng = np.random.default_rng(9)
    t_star = rng.normal(size=(4, 5000))
    t = np.array([2.8, 2.1, 1.0, 0.2])
    adjusted = romano_wolf_stepdown(t, t_star)
    single = np.mean(np.abs(t_star) >= np.abs(t)[:, None], axis=1)
    assert all(a <= b for a, b in pairwise(adjusted))
    assert np.all(adjusted >= single - 1e-12)
    # Union bound: P(max_m |t*_m| >= c) <= sum_m P(|t*_m| >= c) at the most significant t.
    assert adjusted[0] <= np.sum(np.mean(np.abs(t_star) >= abs(t[0]), axis=1)) + 1e-12


def test_romano_wolf_on_did_outcomes() -> None:
    youth = pd.read_csv(REFERENCE / "data" / "youth_did.csv")
    youth["noise"] = np.random.default_rng(0).normal(size=len(youth))
    table = romano_wolf(
        youth, ["score", "engaged", "noise"], "treat", "cluster", post="post", reps=999
    )
    check_result(table)
    assert list(table["term"]) == ["did"] * 3
    assert np.all(table["p_value"] >= table["p_value_wcb"] - 1e-12)
    # The per-outcome bootstrap uses the same draws as did() with the same seed.
    single = did(youth, ["score", "engaged", "noise"], "treat", "post", "cluster", reps=999)
    single = single[single["term"] == "did"].set_index("outcome")
    np.testing.assert_allclose(table.set_index("outcome")["p_value_wcb"], single["p_value_wcb"])
    assert "Romano-Wolf" in result_info(table).method


def test_romano_wolf_ancova_and_bad_arguments() -> None:
    long = pd.read_csv(REFERENCE / "data" / "youth_did.csv")
    base = long[long["wave"] == 0][["youth_id", "cluster", "treat", "score", "engaged"]]
    end = long[long["wave"] == 1][["youth_id", "score", "engaged"]]
    wide = base.merge(end, on="youth_id", how="left", suffixes=("_0", "_1"))
    table = romano_wolf(
        wide, ["score_1", "engaged_1"], "treat", "cluster", design="ancova",
        baseline=["score_0", "engaged_0"], reps=499,
    )  # fmt: skip
    assert list(table["term"]) == ["treatment"] * 2
    with pytest.raises(ParamsError, match="post="):
        romano_wolf(wide, ["score_1", "engaged_1"], "treat", "cluster")
    with pytest.raises(ParamsError, match="at least two"):
        romano_wolf(wide, ["score_1"], "treat", "cluster", post="x")
    with pytest.raises(ParamsError, match="design"):
        romano_wolf(wide, ["score_1", "engaged_1"], "treat", "cluster", design="rd")


def test_romano_wolf_names_an_outcome_without_variation() -> None:
    youth = pd.read_csv(REFERENCE / "data" / "youth_did.csv").assign(flat=2.0)
    with pytest.raises(EstimationError, match=r"outcome 'flat': .* fits the outcome exactly"):
        romano_wolf(youth, ["score", "flat"], "treat", "cluster", post="post", reps=99)
