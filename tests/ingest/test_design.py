"""The sampling frame: checked, joined by school code; unknown schools quarantined."""

import numpy as np
import pandas as pd
import pytest

from evaluation.errors import DesignError
from evaluation.ingest.config import DesignConfig
from evaluation.ingest.design import join_frame, read_frame
from evaluation.ingest.problems import Problems

HEADER = "school_id,stratum,arm,urban_rural,admin_unit,weight,pi_school,school_name"
ROWS = [
    "ES0001,project_urban,project,urban,elbasan,5.5,0.5,A",
    "ES0002,comparison_rural,comparison,rural,gjinar,12.25,0.25,B",
]
DESIGN = DesignConfig(frame="frame.csv", join_on="school_code", frame_key="school_id")


def _frame(tmp_path, rows=ROWS, header=HEADER):
    path = tmp_path / "frame.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_frame_is_joined_with_unit_and_typed_weights(tmp_path):
    frame, _ = read_frame(_frame(tmp_path), DESIGN)
    assert list(frame.columns) == ["stratum", "arm", "urban_rural", "unit", "weight", "pi_school"]
    codes = pd.Series(["ES0002", " ES0001", "ES0002"], dtype="string")
    joined = join_frame(codes, frame, np.ones(3, dtype=bool), "school_code", Problems())
    assert joined["weight"].tolist() == [12.25, 5.5, 12.25]
    assert str(joined["weight"].dtype) == "Float64"
    assert joined["unit"].tolist() == ["gjinar", "elbasan", "gjinar"]
    assert joined["arm"].tolist() == ["comparison", "project", "comparison"]


def test_a_school_missing_from_the_frame_is_a_design_problem(tmp_path):
    frame, _ = read_frame(_frame(tmp_path), DESIGN)
    problems = Problems()
    codes = pd.Series(["ES0001", "ES0999", None], dtype="string")
    joined = join_frame(codes, frame, np.ones(3, dtype=bool), "school_code", problems)
    found = problems.frame()
    assert found[["row", "column", "value", "rule"]].values.tolist() == [
        [1, "school_code", "ES0999", "design"]
    ]
    assert joined["weight"].isna().tolist() == [False, True, True]


@pytest.mark.parametrize(
    ("rows", "header", "message"),
    [
        ([*ROWS, ROWS[0]], HEADER, "ES0001' appear"),
        ([ROWS[0].replace("project,", "treatment,", 1)], HEADER, "'treatment' not allowed"),
        ([ROWS[0].replace("5.5", "-1")], HEADER, "weight <= 0"),
        ([ROWS[0].replace("5.5", "five")], HEADER, "'five' are not numbers"),
        ([ROWS[0].replace(",0.5,", ",1.5,")], HEADER, "probability outside"),
        (ROWS, HEADER.replace("stratum", "strata"), "no column 'stratum'"),
    ],
    ids=[
        "duplicate school",
        "unknown arm",
        "negative weight",
        "text weight",
        "probability",
        "no stratum",
    ],
)
def test_an_unusable_frame_stops_with_a_design_error(tmp_path, rows, header, message):
    with pytest.raises(DesignError, match=message):
        read_frame(_frame(tmp_path, rows, header), DESIGN)
