"""Small-cell suppression: primary cells, complementary cells, and proof that no hidden cell
can be worked back from the totals.

Two attackers, written here independently of the library's own linear algebra:

* ``recover_by_subtraction`` does what a reader with a calculator does: while some line
  (row, column, or line of a higher-way table) has exactly one hidden cell, subtract.
* ``recover_exactly`` solves the whole linear system in exact rational arithmetic
  (Gauss-Jordan over ``fractions.Fraction``) and reports every hidden cell that the system
  pins down, with its value.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluation.errors import DataError, ParamsError
from evaluation.privacy import (
    recoverable_cells,
    suppress_crosstab,
    suppress_results,
    suppression_footnote,
)
from evaluation.results import ResultInfo, check_result, make_result

ALL = "All"


# --------------------------------------------------------------------------- attackers
def full_table(interior: dict[tuple, int], levels: list[list]) -> dict[tuple, int]:
    """Interior counts plus every subtotal and the grand total (``ALL`` on summed axes)."""
    table = {}
    axes = [[*lv, ALL] for lv in levels]
    for key in itertools.product(*axes):
        fixed = [(d, v) for d, v in enumerate(key) if v != ALL]
        table[key] = sum(
            value for cell, value in interior.items() if all(cell[d] == v for d, v in fixed)
        )
    return table


def lines(levels: list[list]):
    """Every line of the full grid: (member keys, total key)."""
    axes = [[*lv, ALL] for lv in levels]
    for d, axis in enumerate(axes):
        others = [a for e, a in enumerate(axes) if e != d]
        for rest in itertools.product(*others):
            members = [(*rest[:d], level, *rest[d:]) for level in axis if level != ALL]
            yield members, (*rest[:d], ALL, *rest[d:])


def recover_by_subtraction(published: dict[tuple, float | None], levels) -> dict[tuple, float]:
    """Cells a reader recovers by repeatedly solving lines with one unknown."""
    known = {k: v for k, v in published.items() if v is not None}
    recovered = {}
    progress = True
    while progress:
        progress = False
        for members, total in lines(levels):
            unknown = [k for k in [*members, total] if k not in known]
            if len(unknown) != 1:
                continue
            cell = unknown[0]
            if cell == total:
                value = sum(known[m] for m in members)
            else:
                value = known[total] - sum(known[m] for m in members if m != cell)
            known[cell] = recovered[cell] = value
            progress = True
    return recovered


def recover_exactly(published: dict[tuple, float | None], levels) -> dict[tuple, Fraction]:
    """Hidden cells whose value the line equations fix, by exact Gauss-Jordan elimination."""
    hidden = [k for k, v in published.items() if v is None]
    column = {k: i for i, k in enumerate(hidden)}
    rows = []
    for members, total in lines(levels):
        row = [Fraction(0)] * (len(hidden) + 1)
        for key, sign in [*((m, 1) for m in members), (total, -1)]:
            if key in column:
                row[column[key]] += sign
            else:
                row[-1] -= sign * Fraction(published[key])
        if any(row[:-1]):
            rows.append(row)
    pivots = _gauss_jordan(rows, len(hidden))
    found = {}
    for r, c in pivots:
        if all(rows[r][j] == 0 for j in range(len(hidden)) if j != c):
            found[hidden[c]] = rows[r][-1]
    return found


def _gauss_jordan(rows: list[list[Fraction]], width: int) -> list[tuple[int, int]]:
    pivots, r = [], 0
    for c in range(width):
        pivot = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
        if pivot is None:
            continue
        rows[r], rows[pivot] = rows[pivot], rows[r]
        head = rows[r][c]
        rows[r] = [x / head for x in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][c] != 0:
                factor = rows[i][c]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[r], strict=True)]
        pivots.append((r, c))
        r += 1
    return pivots


def wide(table: dict[tuple, float | None], levels) -> pd.DataFrame:
    rows, cols = [*levels[0], ALL], [*levels[1], ALL]
    return pd.DataFrame(
        [[table[(r, c)] for c in cols] for r in rows], index=rows, columns=cols, dtype=float
    )


def as_published(frame: pd.DataFrame) -> dict[tuple, float | None]:
    return {
        (r, c): (None if pd.isna(frame.loc[r, c]) else float(frame.loc[r, c]))
        for r in frame.index
        for c in frame.columns
    }


# --------------------------------------------------------------------------- attackers work
def test_the_attackers_recover_a_lonely_hidden_cell():
    levels = [["a", "b"], ["x", "y"]]
    table = full_table({("a", "x"): 3, ("a", "y"): 20, ("b", "x"): 15, ("b", "y"): 30}, levels)
    published = {k: (None if k == ("a", "x") else v) for k, v in table.items()}
    assert recover_by_subtraction(published, levels) == {("a", "x"): 3}
    assert recover_exactly(published, levels) == {("a", "x"): 3}


def test_exact_attacker_finds_a_bridge_that_subtraction_misses():
    # Two 2x2 blocks of hidden cells joined by one hidden cell (2, c): every row and column
    # has at least two hidden cells, yet (2, c) follows from the totals.
    levels = [[1, 2, 3, 4], ["a", "b", "c", "d"]]
    interior = {(r, c): 20 + 3 * r + ord(c) % 7 for r in levels[0] for c in levels[1]}
    table = full_table(interior, levels)
    hidden = {
        (1, "a"),
        (1, "b"),
        (2, "a"),
        (2, "b"),
        (3, "c"),
        (3, "d"),
        (4, "c"),
        (4, "d"),
        (2, "c"),
    }
    published = {k: (None if k in hidden else v) for k, v in table.items()}
    assert recover_by_subtraction(published, levels) == {}
    assert recover_exactly(published, levels) == {(2, "c"): table[(2, "c")]}


# --------------------------------------------------------------------------- wide tables
def test_primary_and_secondary_cells_in_a_crosstab_with_margins():
    levels = [["Funar", "Papër", "Elbasan"], ["F", "M"]]
    interior = {
        ("Funar", "F"): 4, ("Funar", "M"): 12,
        ("Papër", "F"): 15, ("Papër", "M"): 18,
        ("Elbasan", "F"): 60, ("Elbasan", "M"): 55,
    }  # fmt: skip
    table = wide(full_table(interior, levels), levels)
    result = suppress_crosstab(table)
    assert result.reasons.loc["Funar", "F"] == "primary: n<10"
    assert (result.reasons == "secondary").sum().sum() >= 2  # one in its row, one in its column
    assert result.reasons.loc["Funar", "M"] == "secondary"  # smallest cell in the row
    assert result.reasons.loc["Papër", "F"] == "secondary"  # smallest cell in the column
    assert result.mask.equals(result.table.isna())
    published = as_published(result.table)
    assert recover_by_subtraction(published, levels) == {}
    assert recover_exactly(published, levels) == {}
    assert recoverable_cells(result.table) == []
    # published cells are unchanged
    shown = ~result.mask
    assert (result.table[shown] == table[shown]).sum().sum() == shown.sum().sum()


def test_bridge_cell_gets_a_complement():
    levels = [[1, 2, 3, 4], ["a", "b", "c", "d"]]
    interior = {(r, c): 40 + r + ord(c) % 5 for r in levels[0] for c in levels[1]}
    for key in [
        (1, "a"),
        (1, "b"),
        (2, "a"),
        (2, "b"),
        (3, "c"),
        (3, "d"),
        (4, "c"),
        (4, "d"),
        (2, "c"),
    ]:
        interior[key] = 5  # all primary
    table = wide(full_table(interior, levels), levels)
    result = suppress_crosstab(table)
    assert (result.reasons == "secondary").any().any(), "the bridge must get a complement"
    published = as_published(result.table)
    assert recover_exactly(published, levels) == {}


def test_implicit_margins_are_assumed_published():
    counts = pd.DataFrame({"F": [3, 40], "M": [25, 30]}, index=["Funar", "Elbasan"])
    result = suppress_crosstab(counts)
    assert result.mask.all().all(), (
        "with known margins, a 2x2 table with a small cell is all hidden"
    )
    unknown_margins = suppress_crosstab(counts, margins_known=False)
    assert unknown_margins.mask.sum().sum() == 1, "without margins only the small cell goes"


def test_total_that_must_stay_unpublished_is_reported():
    counts = pd.DataFrame({"F": [3, 4], "M": [25, 30]}, index=["Funar", "Tregan"])
    result = suppress_crosstab(counts)
    assert (None, ALL) not in result.hidden_totals
    assert (ALL, "F") in result.hidden_totals  # F total is 7 < 10
    assert any("'F'" in note and "fewer than 10" in note for note in result.notes)


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [(5, {("a", "x")}), (10, {("a", "x"), ("a", "y")}), (21, {("a", "x"), ("a", "y"), ("b", "x")})],
)
def test_threshold_is_configurable(threshold, expected):
    levels = [["a", "b"], ["x", "y"]]
    table = wide(
        full_table({("a", "x"): 3, ("a", "y"): 7, ("b", "x"): 20, ("b", "y"): 90}, levels), levels
    )
    result = suppress_crosstab(table, threshold=threshold)
    primary = {
        (r, c)
        for r in table.index
        for c in table.columns
        if result.reasons.loc[r, c].startswith("primary")
    }
    assert {k for k in primary if ALL not in k} == expected
    assert recover_exactly(as_published(result.table), levels) == {}


def test_zeros_are_published_unless_asked():
    levels = [["a", "b", "c"], ["x", "y"]]
    table = wide(
        full_table(
            {
                ("a", "x"): 0,
                ("a", "y"): 40,
                ("b", "x"): 30,
                ("b", "y"): 50,
                ("c", "x"): 20,
                ("c", "y"): 22,
            },
            levels,
        ),
        levels,
    )
    assert not suppress_crosstab(table).mask.any().any()
    strict = suppress_crosstab(table, suppress_zeros=True)
    assert strict.reasons.loc["a", "x"] == "primary: n=0"
    assert recover_exactly(as_published(strict.table), levels) == {}


def test_percentages_use_the_n_table():
    counts = pd.crosstab(
        pd.Series(["u1"] * 30 + ["u2"] * 30 + ["u3"] * 30, name="unit"),
        pd.Series((["F"] * 4 + ["M"] * 26) + (["F"] * 15 + ["M"] * 15) * 2, name="sex"),
        margins=True,
    )
    percent = counts.div(counts["All"], axis=0) * 100
    result = suppress_crosstab(percent, n=counts)
    assert result.reasons.loc["u1", "F"] == "primary: n<10"
    assert np.isnan(result.table.loc["u1", "F"])
    assert result.table.loc["u2", "M"] == pytest.approx(50.0) or np.isnan(
        result.table.loc["u2", "M"]
    )
    assert recoverable_cells(suppress_crosstab(counts).table) == []


def test_multiindex_crosstab_from_pandas_margins():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "arm": rng.choice(["project", "comparison"], 300),
            "sex": rng.choice(["F", "M"], 300),
            "unit": rng.choice(["Elbasan", "Papër", "Funar"], 300, p=[0.8, 0.17, 0.03]),
        }
    )
    table = pd.crosstab([frame.arm, frame.sex], frame.unit, margins=True)
    assert ("All", "") in table.index
    result = suppress_crosstab(table)
    assert result.mask.any().any()
    assert result.hidden_totals, "arm and sex subtotals are not in the table"
    assert recoverable_cells(result) == []
    assert recoverable_cells(result.table) != [], "publishing those subtotals would leak"


def test_crosstab_bad_input():
    with pytest.raises(ParamsError, match="pass n="):
        suppress_crosstab(pd.DataFrame({"a": [0.5, 12.0]}))
    with pytest.raises(ParamsError, match="threshold"):
        suppress_crosstab(pd.DataFrame({"a": [1, 12]}), threshold=0)
    with pytest.raises(ParamsError, match="same row and column labels"):
        suppress_crosstab(pd.DataFrame({"a": [1.5]}), n=pd.DataFrame({"b": [3]}))


# --------------------------------------------------------------------------- long tables
def long_results(interior: dict[tuple, int], levels, by, *, variable="score") -> pd.DataFrame:
    table = full_table(interior, levels)
    rows = [
        {
            **dict(zip(by, key, strict=True)),
            "variable": variable,
            "estimate": 2.0 + i / 10,
            "se": 0.1,
            "n": n,
        }
        for i, (key, n) in enumerate(table.items())
    ]
    info = ResultInfo(estimator="survey.mean", method="test")
    return make_result(rows, info, id_columns=[*by, "variable"])


def test_long_result_table_keeps_the_contract_and_hides_values():
    levels = [["F", "M"], ["10–12", "13–15", "16–18"]]
    interior = {("F", "10–12"): 6, ("F", "13–15"): 30, ("F", "16–18"): 25,
                ("M", "10–12"): 22, ("M", "13–15"): 28, ("M", "16–18"): 19}  # fmt: skip
    results = long_results(interior, levels, ["sex", "age_band"])
    out = suppress_results(results, by=["sex", "age_band"])
    check_result(out)
    assert list(out.columns)[-1] == "suppressed"
    small = out[(out.sex == "F") & (out.age_band == "10–12")].iloc[0]
    assert small.suppressed == "primary: n<10"
    assert pd.isna(small.estimate) and pd.isna(small.se) and pd.isna(small.n)
    assert small.variable == "score"
    assert (out.suppressed == "secondary").sum() >= 2
    assert any("small-cell suppression" in note for note in out.attrs["info"].notes)
    hidden = out.suppressed != ""
    assert out.loc[~hidden, "estimate"].equals(results.loc[~hidden, "estimate"])
    published = {
        (r.sex, r.age_band): (None if r.suppressed else float(r.n)) for r in out.itertuples()
    }
    assert recover_exactly(published, levels) == {}
    assert results.loc[0, "n"] is not pd.NA  # input untouched


def test_long_table_tables_are_split_by_variable():
    levels = [["F", "M"]]
    a = long_results({("F",): 5, ("M",): 50}, levels, ["sex"], variable="a")
    b = long_results({("F",): 40, ("M",): 50}, levels, ["sex"], variable="b")
    both = pd.concat([a, b], ignore_index=True)
    out = suppress_results(both, by="sex")
    assert (out.loc[out.variable == "b", "suppressed"] == "").all()
    assert out.loc[out.variable == "a", "suppressed"].tolist() == ["primary: n<10", "secondary", ""]


def test_numerator_counts_are_checked_when_given():
    results = pd.DataFrame(
        {
            "sex": ["F", "M", "All"],
            "estimate": [0.1, 0.3, 0.2],
            "n": [50, 60, 110],
            "n_yes": [5, 18, 23],
        }
    )
    out = suppress_results(results, by="sex", count="n_yes")
    assert out.loc[0, "suppressed"] == "primary: count<10"
    assert (out.suppressed != "").sum() >= 2


def test_long_table_duplicates_are_an_error():
    results = pd.DataFrame({"sex": ["F", "F"], "estimate": [1.0, 2.0], "n": [20, 30]})
    with pytest.raises(DataError, match="more than one row"):
        suppress_results(results, by="sex")


def test_three_way_table_with_absent_cells():
    rng = np.random.default_rng(11)
    levels = [["F", "M"], ["a", "b", "c"], ["x", "y"]]
    interior = {k: int(rng.choice([0, 2, 6, 15, 40])) for k in itertools.product(*levels)}
    table = full_table(interior, levels)
    rows = [
        {"sex": k[0], "unit": k[1], "arm": k[2], "estimate": 1.0, "n": v}
        for k, v in table.items()
        if not (v == 0 and ALL not in k)  # empty interior cells are simply left out
    ]
    out = suppress_results(pd.DataFrame(rows), by=["sex", "unit", "arm"])
    published = {k: (0 if v == 0 and ALL not in k else v) for k, v in table.items()}
    for r in out.itertuples():
        if r.suppressed:
            published[(r.sex, r.unit, r.arm)] = None
    assert all(v is None or not 0 < v < 10 for v in published.values())
    assert recover_exactly(published, levels) == {}


# --------------------------------------------------------------------------- properties
counts_strategy = st.integers(0, 60).map(lambda v: v if v > 15 else v // 2)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.tuples(st.integers(2, 5), st.integers(2, 5)),
    data=st.data(),
    threshold=st.sampled_from([3, 5, 10]),
    suppress_zeros=st.booleans(),
)
def test_property_no_small_cell_left_and_none_recoverable(shape, data, threshold, suppress_zeros):
    levels = [[f"r{i}" for i in range(shape[0])], [f"c{j}" for j in range(shape[1])]]
    values = data.draw(
        st.lists(counts_strategy, min_size=shape[0] * shape[1], max_size=shape[0] * shape[1])
    )
    interior = dict(zip(itertools.product(*levels), values, strict=True))
    table = wide(full_table(interior, levels), levels)
    result = suppress_crosstab(table, threshold=threshold, suppress_zeros=suppress_zeros)
    published = as_published(result.table)
    for value in published.values():
        assert value is None or not (0 < value < threshold), "a small cell was published"
        assert value is None or value > 0 or not suppress_zeros, "a zero was published"
    assert recover_by_subtraction(published, levels) == {}
    assert recover_exactly(published, levels) == {}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.tuples(st.integers(2, 3), st.integers(2, 3), st.integers(2, 3)),
    data=st.data(),
)
def test_property_three_way_long_tables(shape, data):
    levels = [[f"{axis}{i}" for i in range(k)] for axis, k in zip("abc", shape, strict=True)]
    keys = list(itertools.product(*levels))
    values = data.draw(st.lists(counts_strategy, min_size=len(keys), max_size=len(keys)))
    table = full_table(dict(zip(keys, values, strict=True)), levels)
    results = pd.DataFrame(
        [{"a": k[0], "b": k[1], "c": k[2], "estimate": 0.5, "n": v} for k, v in table.items()]
    )
    out = suppress_results(results, by=["a", "b", "c"])
    published = {(r.a, r.b, r.c): (None if r.suppressed else float(r.n)) for r in out.itertuples()}
    assert all(v is None or not 0 < v < 10 for v in published.values())
    assert recover_exactly(published, levels) == {}


# --------------------------------------------------------------------------- footnotes
def test_footnotes_in_both_languages():
    english = suppression_footnote(10, "en")
    albanian = suppression_footnote(10, "sq")
    assert "fewer than 10 respondents" in english and "totals" in english
    assert "më pak se 10 të anketuar" in albanian and "totalet" in albanian
    assert "raste" in suppression_footnote(5, "sq", unit="cases")
    assert "including zeros" in suppression_footnote(10, "en", suppress_zeros=True)
    with pytest.raises(ParamsError, match="'en' or 'sq'"):
        suppression_footnote(10, "fr")
