"""evaluation.scales against psych::alpha (tests/reference/expected/cronbach_alpha.json),
the textbook alpha formula and hand computations of the indices."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluation.errors import DataError, EstimationError, ParamsError
from evaluation.results import check_result, result_info
from evaluation.scales import cronbach_alpha, icw_index, scale_score, standardized_index

REFERENCE = Path(__file__).parent / "reference"
REL = 1e-6
EXPECTED = json.loads((REFERENCE / "expected" / "cronbach_alpha.json").read_text())
CASES = {case["id"]: case for case in EXPECTED["cases"]}
ITEMS = [f"q{i}" for i in range(1, 7)]


def likert() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "data" / "likert_items.csv")


def case_input(case_id: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The data, items and reversed items of each R case (see its ``r_call``)."""
    data = likert()
    complete = data[data[ITEMS].notna().all(axis=1)]
    return {
        "d1_q1_q5_complete": (complete, ITEMS[:5], []),
        "d2_q1_q6_reversed_complete": (complete, ITEMS, ["q6"]),
        "d3_q1_q5_with_missing": (data, ITEMS[:5], []),
    }[case_id]


def alpha_table(case_id: str) -> pd.DataFrame:
    data, items, reverse = case_input(case_id)
    return cronbach_alpha(data, items, reverse=reverse, min_score=1, max_score=5)


def scale_value(table: pd.DataFrame, statistic: str) -> float:
    return float(table.loc[table["statistic"] == statistic, "estimate"].item())


def item_values(table: pd.DataFrame, statistic: str) -> tuple[list[str], np.ndarray]:
    rows = table[table["statistic"] == statistic]
    return list(rows["item"]), rows["estimate"].to_numpy()


SCALE_CHECKS = [
    ("raw_alpha", "raw_alpha"),
    ("std_alpha", "std_alpha"),
    ("G6", "G6"),
    ("average_r", "average_r"),
    ("mean_score", "mean_total"),
    ("sd_score", "sd_total"),
]
ITEM_CHECKS = [
    ("alpha_if_deleted", ("alpha_if_dropped", "raw_alpha")),
    ("std_alpha_if_deleted", ("alpha_if_dropped", "std_alpha")),
    ("item_rest_r", ("item_rest_r_drop", "r_drop")),
]


@pytest.mark.parametrize("case_id", sorted(CASES))
@pytest.mark.parametrize(("ours", "psych"), SCALE_CHECKS, ids=[s for s, _ in SCALE_CHECKS])
def test_scale_statistics_match_psych(case_id: str, ours: str, psych: str) -> None:
    got = scale_value(alpha_table(case_id), ours)
    assert got == pytest.approx(CASES[case_id]["psych"][psych], rel=REL), f"{case_id} {ours}"


@pytest.mark.parametrize("case_id", sorted(CASES))
@pytest.mark.parametrize(("ours", "path"), ITEM_CHECKS, ids=[s for s, _ in ITEM_CHECKS])
def test_item_statistics_match_psych(case_id: str, ours: str, path: tuple[str, str]) -> None:
    expected = CASES[case_id]["psych"][path[0]]
    items, got = item_values(alpha_table(case_id), ours)
    assert items == expected["items"]
    np.testing.assert_allclose(got, expected[path[1]], rtol=REL, err_msg=f"{case_id} {ours}")


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_alpha_on_complete_cases_matches_the_textbook_formula(case_id: str) -> None:
    data, items, reverse = case_input(case_id)
    complete = data[data[items].notna().all(axis=1)]
    table = cronbach_alpha(complete, items, reverse=reverse, min_score=1, max_score=5)
    expected = CASES[case_id]["textbook_listwise"]["alpha"]
    assert scale_value(table, "raw_alpha") == pytest.approx(expected, rel=REL)


def test_counts_contract_and_notes() -> None:
    table = alpha_table("d3_q1_q5_with_missing")
    check_result(table)
    case = CASES["d3_q1_q5_with_missing"]
    assert table["n"].unique().tolist() == [case["n_rows"]]
    assert table["n_complete"].unique().tolist() == [case["n_complete"]]
    assert "pairwise" in result_info(table).notes[0]
    assert list(table.columns[:2]) == ["statistic", "item"]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"reverse": ["q6"], "min_score": None}, ParamsError, "min_score and max_score"),
        ({"reverse": ["q7"]}, ParamsError, "not among items"),
        ({"max_score": 4}, DataError, r"outside \[1, 4\]"),
        ({"items": ["q1"]}, ParamsError, "at least 2 items"),
    ],
    ids=["reverse-needs-range", "reverse-unknown", "out-of-range", "one-item"],
)
def test_bad_input_is_explained(kwargs: dict, error: type, message: str) -> None:
    arguments = {"items": ITEMS, "reverse": None, "min_score": 1, "max_score": 5, **kwargs}
    with pytest.raises(error, match=message):
        cronbach_alpha(likert(), **arguments)


def test_constant_item_is_refused() -> None:
    data = likert().assign(q7=3)
    with pytest.raises(EstimationError, match="'q7'"):
        cronbach_alpha(data, [*ITEMS[:5], "q7"])


# --------------------------------------------------------------------------- scale_score


def test_scale_score_by_hand() -> None:
    data = pd.DataFrame({"a": [1, 4, 2, np.nan], "b": [1, 4, np.nan, np.nan], "c": [4, 1, 3, 2]})
    score = scale_score(data, ["a", "b", "c"], min_score=1, max_score=4, reverse=["c"])
    # c reversed: 4 -> 1, 1 -> 4, 3 -> 2; row 3 has 1 of 3 items (< 2 = ceil(3 / 2))
    expected = [0.0, 100.0, 100 * ((2 + 2) / 2 - 1) / 3, np.nan]
    np.testing.assert_allclose(score.to_numpy(), expected)
    assert score.attrs["n_valid"].tolist() == [3, 3, 2, 1]
    raw = scale_score(data, ["a", "b", "c"], 1, 4, rescale_to=None, min_valid=1)
    assert raw.iloc[3] == 2
    assert raw.index.equals(data.index)


def test_scale_score_refuses_out_of_range_answers() -> None:
    data = pd.DataFrame({"a": [1, 9], "b": [2, 3]})
    with pytest.raises(DataError, match=r"column 'a'.*9"):
        scale_score(data, ["a", "b"], min_score=1, max_score=4)


# --------------------------------------------------------------------------- indices


def index_data() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": [1.0, 3.0, 5.0, 7.0, 4.0, np.nan],
            "y": [10.0, 20.0, 20.0, 30.0, np.nan, 40.0],
            "bad": [5.0, 4.0, 1.0, 2.0, 3.0, 1.0],
            "control": [True, True, True, True, False, False],
        }
    )


def test_standardized_index_by_hand() -> None:
    data = index_data()
    index = standardized_index(data, ["x", "y", "bad"], reference="control", reverse=["bad"])
    # reference rows 0-3: x mean 4, sd sqrt(20/3); y mean 20, sd sqrt(200/3); bad mean 3,
    # sd sqrt(10/3), sign flipped
    sx, sy, sb = np.sqrt(20 / 3), np.sqrt(200 / 3), np.sqrt(10 / 3)
    row0 = ((1 - 4) / sx + (10 - 20) / sy - (5 - 3) / sb) / 3
    row4 = ((4 - 4) / sx - (3 - 3) / sb) / 2  # y missing: average of the available z's
    row5 = ((40 - 20) / sy - (1 - 3) / sb) / 2
    assert index.iloc[0] == pytest.approx(row0)
    assert index.iloc[4] == pytest.approx(row4)
    assert index.iloc[5] == pytest.approx(row5)
    assert index[data["control"]].mean() == pytest.approx(0.0, abs=1e-12)
    components = index.attrs["components"]
    assert components["reversed"].tolist() == [False, False, True]


def test_min_valid_and_restandardize() -> None:
    data = index_data()
    strict = standardized_index(data, ["x", "y"], reference=data["control"], min_valid=2)
    assert strict.iloc[4:].isna().all()
    rescaled = standardized_index(data, ["x", "y"], reference="control", restandardize=True)
    assert rescaled[data["control"]].std(ddof=1) == pytest.approx(1.0)


def correlated_items(n: int, rho: float, seed: int) -> pd.DataFrame:
    """Items a, b, c whose sample correlations are exactly corr(a, b) = rho, others 0."""
    rng = np.random.default_rng(seed)
    raw = rng.normal(size=(n, 3))
    basis, _ = np.linalg.qr(raw - raw.mean(axis=0))  # centred, orthonormal columns
    a, e2, c = basis.T
    return pd.DataFrame({"a": 3 + 2 * a, "b": rho * a + np.sqrt(1 - rho**2) * e2, "c": c})


def test_icw_weights_follow_the_inverse_correlation_matrix() -> None:
    rho = 0.5
    data = correlated_items(200, rho, seed=7)
    index = icw_index(data, ["a", "b", "c"])
    # Sigma^-1 1 for [[1, r, 0], [r, 1, 0], [0, 0, 1]] is (1/(1+r), 1/(1+r), 1)
    expected = np.array([1 / (1 + rho), 1 / (1 + rho), 1.0])
    weights = index.attrs["components"]["weight"].to_numpy()
    np.testing.assert_allclose(weights, expected / expected.sum(), rtol=1e-10)


def test_icw_index_equals_anderson_formula_on_complete_data() -> None:
    rng = np.random.default_rng(7)
    common = rng.normal(size=400)
    data = pd.DataFrame(
        {
            "a": common + rng.normal(size=400),
            "b": common + rng.normal(size=400),
            "c": rng.normal(size=400),
            "ref": np.arange(400) < 200,
        }
    )
    index = icw_index(data, ["a", "b", "c"], reference="ref")
    ref = data[data["ref"]]
    z = (data[["a", "b", "c"]] - ref[["a", "b", "c"]].mean()) / ref[["a", "b", "c"]].std()
    inverse = np.linalg.inv(z[data["ref"]].cov().to_numpy())
    ones = np.ones(3)
    expected = (z.to_numpy() @ inverse @ ones) / (ones @ inverse @ ones)
    np.testing.assert_allclose(index.to_numpy(), expected, rtol=1e-10)


def test_icw_index_renormalises_weights_over_answered_items() -> None:
    data = index_data()
    index = icw_index(data, ["x", "y"], reference="control")
    # with two items the weights are equal by symmetry, so ICW = KLK on every row
    klk = standardized_index(data, ["x", "y"], reference="control")
    np.testing.assert_allclose(index.to_numpy(), klk.to_numpy())


def test_icw_index_refuses_redundant_items() -> None:
    data = index_data().assign(x2=lambda d: 2 * d["x"])
    with pytest.raises(EstimationError, match="singular"):
        icw_index(data.dropna(), ["x", "x2"], reference="control")


@pytest.mark.parametrize(
    ("reference", "error", "message"),
    [
        ("missing_column", DataError, "has no column"),
        ([True, False], ParamsError, "has 2 entries"),
        (np.array([1, 0, 2, 1, 0, 0]), DataError, "True/False"),
        (np.array([1, 0, 0, 0, 0, 0]), DataError, "at least 2"),
    ],
    ids=["unknown-column", "wrong-length", "not-boolean", "too-small"],
)
def test_bad_reference_is_explained(reference: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        standardized_index(index_data(), ["x", "y"], reference=reference)


def test_item_without_variance_in_reference_is_refused() -> None:
    data = index_data().assign(flat=[1, 1, 1, 1, 2, 3])
    with pytest.raises(EstimationError, match="'flat'"):
        standardized_index(data, ["x", "flat"], reference="control")
