"""Tests of evaluation.panel: linking the baseline and endline waves by the panel code."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.errors import DataError
from evaluation.panel import LINK_STATUSES, SUMMARY_COUNTS, link_waves, wide_panel

B, E = "baseline", "endline"


def _table(rows: list[tuple[str, str, str | None, str]]) -> pd.DataFrame:
    """Rows of (school, wave, code, arm) with an outcome y = row number."""
    frame = pd.DataFrame(rows, columns=["school_code", "wave", "panel_code", "arm"])
    frame["wave"] = pd.Categorical(frame["wave"], categories=[B, E])
    frame["panel_code"] = frame["panel_code"].astype("string")
    frame["y"] = np.arange(len(frame), dtype=float)
    return frame


@pytest.fixture
def table() -> pd.DataFrame:
    return _table(
        [
            ("S1", B, "A", "project"),  # 0 linked with 3
            ("S1", B, "B", "project"),  # 1 ambiguous: B twice at endline
            ("S1", B, "C", "project"),  # 2 unmatched (left or changed code)
            ("S1", E, "A", "project"),  # 3
            ("S1", E, "B", "project"),  # 4 duplicate at endline
            ("S1", E, "B", "project"),  # 5 duplicate at endline
            ("S2", B, "A", "comparison"),  # 6 same code as in S1, another student: linked with 9
            ("S2", B, "D", "comparison"),  # 7 duplicate at baseline
            ("S2", B, "D", "comparison"),  # 8 duplicate at baseline
            ("S2", E, "A", "comparison"),  # 9
            ("S2", E, None, "comparison"),  # 10 no code (refused assent)
            ("S2", E, "", "comparison"),  # 11 blank code
            ("S2", E, "F", "comparison"),  # 12 unmatched endline
            ("S2", E, "D", "comparison"),  # 13 ambiguous: D twice at baseline
        ]
    )


def test_statuses_and_units(table):
    panel, _ = link_waves(table)
    expected = [
        "linked",
        "ambiguous",
        "unmatched",
        "linked",
        "duplicate_code",
        "duplicate_code",
        "linked",
        "duplicate_code",
        "duplicate_code",
        "linked",
        "no_code",
        "no_code",
        "unmatched",
        "ambiguous",
    ]
    assert panel["link_status"].tolist() == expected
    assert set(panel["link_status"]) <= set(LINK_STATUSES)
    assert panel["linked"].tolist() == [s == "linked" for s in expected]
    # a linked pair shares one unit id; the same code in another school is another unit
    assert panel.loc[0, "unit_id"] == panel.loc[3, "unit_id"]
    assert panel.loc[6, "unit_id"] == panel.loc[9, "unit_id"]
    assert panel.loc[0, "unit_id"] != panel.loc[6, "unit_id"]
    others = panel.loc[~panel["linked"], "unit_id"]
    assert others.is_unique and not others.isin(panel.loc[panel["linked"], "unit_id"]).any()
    assert panel["unit_id"].nunique() == len(panel) - 2


def test_summary_counts(table):
    _, summary = link_waves(table)
    assert list(summary.columns) == ["by", "group", *SUMMARY_COUNTS, "link_rate"]
    row = summary.set_index(["by", "group"]).loc[("all", "all")]
    assert row["n_baseline"] == 6 and row["n_endline"] == 8
    assert row["linked"] == 2
    assert (row["unmatched_baseline"], row["unmatched_endline"]) == (1, 1)
    assert (row["duplicate_baseline"], row["duplicate_endline"]) == (2, 2)
    assert (row["ambiguous_baseline"], row["ambiguous_endline"]) == (1, 1)
    assert (row["no_code_baseline"], row["no_code_endline"]) == (0, 2)
    assert row["link_rate"] == pytest.approx(2 / 6)


def test_summary_by_arm_and_school(table):
    _, summary = link_waves(table)
    arms = summary[summary["by"] == "arm"].set_index("group")
    assert arms.loc["project", "linked"] == 1 and arms.loc["comparison", "linked"] == 1
    assert arms.loc["project", "duplicate_endline"] == 2
    assert arms.loc["comparison", "duplicate_baseline"] == 2
    assert arms.loc["comparison", "no_code_endline"] == 2
    schools = summary[summary["by"] == "school"].set_index("group")
    assert schools.loc["S1", "n_baseline"] == 3 and schools.loc["S2", "n_endline"] == 5
    # every breakdown adds up to the total
    for by in ("arm", "school"):
        part = summary[summary["by"] == by][list(SUMMARY_COUNTS)].sum()
        total = summary[summary["by"] == "all"][list(SUMMARY_COUNTS)].iloc[0]
        assert part.tolist() == total.tolist()


def test_every_row_is_accounted_for(table):
    _, summary = link_waves(table)
    for wave in ("baseline", "endline"):
        parts = [
            "linked",
            *(f"{s}_{wave}" for s in ("unmatched", "duplicate", "ambiguous", "no_code")),
        ]
        assert (summary[parts].sum(axis=1) == summary[f"n_{wave}"]).all()


def test_input_not_modified(table):
    before = table.copy()
    link_waves(table)
    pd.testing.assert_frame_equal(table, before)


def test_without_arm(table):
    _, summary = link_waves(table.drop(columns="arm"), arm=None)
    assert set(summary["by"]) == {"all", "school"}


def test_bad_wave_and_missing_school(table):
    bad = table.copy()
    bad["wave"] = bad["wave"].astype(str).replace({"endline": "midline"})
    with pytest.raises(DataError, match="found 'midline', expected only 'baseline' and 'endline'"):
        link_waves(bad)
    missing = table.copy()
    missing.loc[2, "school_code"] = None
    with pytest.raises(DataError, match="column 'school_code': 1 rows have no value"):
        link_waves(missing)
    with pytest.raises(DataError, match="no column 'pannel_code'"):
        link_waves(table, id="pannel_code")


def test_wide_panel(table):
    panel, _ = link_waves(table)
    wide = wide_panel(panel, "y", keep=["school_code", "arm"])
    assert list(wide.columns) == [
        "unit_id",
        "school_code",
        "arm",
        "y_baseline",
        "y_endline",
        "in_baseline",
        "in_endline",
        "linked",
        "attrited",
    ]
    assert len(wide) == panel["unit_id"].nunique()
    by_unit = wide.set_index("unit_id")
    pair = by_unit.loc[panel.loc[0, "unit_id"]]
    assert (pair["y_baseline"], pair["y_endline"]) == (0.0, 3.0)
    assert pair["linked"] and pair["attrited"] == 0
    left = by_unit.loc[panel.loc[2, "unit_id"]]
    assert np.isnan(left["y_endline"]) and left["attrited"] == 1
    new = by_unit.loc[panel.loc[12, "unit_id"]]
    assert np.isnan(new["y_baseline"]) and pd.isna(new["attrited"])
    assert new["school_code"] == "S2"
    # baseline units first, in row order
    assert wide["in_baseline"].tolist() == sorted(wide["in_baseline"], reverse=True)
    assert wide["attrited"].dtype == "Int64"
    baseline_rows = wide[wide["in_baseline"]]
    assert baseline_rows["attrited"].sum() == 4  # 6 baseline rows, 2 linked


def test_wide_panel_keeps_baseline_value(table):
    panel, _ = link_waves(table)
    panel["age"] = np.where(panel["wave"] == B, 14, 15)
    wide = wide_panel(panel, "y", keep="age")
    assert (wide.loc[wide["in_baseline"], "age"] == 14).all()
    assert (wide.loc[~wide["in_baseline"], "age"] == 15).all()


def test_wide_panel_refuses_repeated_units(table):
    panel, _ = link_waves(table)
    panel.loc[1, "unit_id"] = panel.loc[0, "unit_id"]
    with pytest.raises(DataError, match="more than one 'baseline' row"):
        wide_panel(panel, "y")


def test_many_students_link_exactly():
    """A simulated school survey: linked pairs equal the students with a unique code in
    both waves, by construction."""
    rng = np.random.default_rng(3)
    n = 2000
    school = rng.integers(0, 20, n)
    code = rng.integers(0, 400, n).astype(str)  # collisions within schools happen
    present = rng.random(n) < 0.85
    base = pd.DataFrame({"school_code": school, "panel_code": code, "wave": B})
    end = base[present].assign(wave=E)
    table = pd.concat([base, end], ignore_index=True)
    table["arm"] = np.where(table["school_code"] % 2 == 0, "project", "comparison")
    panel, summary = link_waves(table)
    counts = base.groupby(["school_code", "panel_code"]).size()
    unique = counts[counts == 1].index
    kept = base[present].set_index(["school_code", "panel_code"]).index
    expected = int(pd.Index(unique).isin(kept).sum())
    assert summary.loc[summary["by"] == "all", "linked"].item() == expected
    assert panel["linked"].sum() == 2 * expected


def test_an_empty_table_links_nothing():
    empty = pd.DataFrame(
        {c: pd.Series(dtype="string") for c in ("panel_code", "school_code", "wave", "arm")}
    )
    panel, summary = link_waves(empty)
    assert panel.empty and list(panel.columns[-3:]) == ["unit_id", "linked", "link_status"]
    assert summary.loc[summary["by"].eq("all"), list(SUMMARY_COUNTS)].sum(axis=1).item() == 0
