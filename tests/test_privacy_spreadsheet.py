"""No spreadsheet cell starts a formula from data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from evaluation.privacy import safe_cell, safe_frame


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A3)",
        "\t=1",
        "\r=1",
        "  =HYPERLINK(1)",
        "＝1+1",
    ],
)
def test_formula_starters_are_quoted(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value", [-3.5, -1, 0, np.float64(-2.5), True, None, "", "ok", "-3.5", "1e-3", "a=b"]
)
def test_other_values_are_left_alone(value):
    assert safe_cell(value) is value or safe_cell(value) == value


def test_safe_frame_and_openpyxl_round_trip(tmp_path):
    frame = pd.DataFrame(
        {"label": ["=cmd()", "fine", None], "value": [-1.5, 2.0, 3.0], "=head": ["@x", "-y", "+z"]}
    )
    safe = safe_frame(frame)
    assert safe["label"].tolist()[:2] == ["'=cmd()", "fine"] and pd.isna(safe["label"][2])
    assert safe["value"].tolist() == [-1.5, 2.0, 3.0]
    assert list(safe.columns) == ["label", "value", "'=head"]
    assert frame.loc[0, "label"] == "=cmd()", "input untouched"
    book = Workbook()
    sheet = book.active
    sheet.append(list(safe.columns))
    for row in safe.itertuples(index=False):
        sheet.append(list(row))
    book.save(tmp_path / "out.xlsx")
    cells = [c for row in load_workbook(tmp_path / "out.xlsx").active.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "no formula from data"
    assert load_workbook(tmp_path / "out.xlsx").active["B2"].value == -1.5


def test_categorical_labels_are_neutralised():
    frame = pd.DataFrame({"choice": pd.Categorical(["=x", "y"])})
    assert list(safe_frame(frame)["choice"].cat.categories) == ["'=x", "y"]
