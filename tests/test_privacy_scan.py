"""scan_for_values: later stages prove with it that no planted value leaks into outputs."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook
from openpyxl.comments import Comment

from evaluation.errors import ParamsError
from evaluation.privacy import scan_for_values

PLANTED = ["Arbër Hoxha", "+355 69 123 4567", "ana.leka@example.al", "Ana"]


def hits_by_file(result: pd.DataFrame) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for row in result.itertuples():
        found.setdefault(Path(row.source).name, set()).add(row.value)
    return found


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    folder = tmp_path / "reports" / "run"
    folder.mkdir(parents=True)
    (folder / "table.csv").write_text("id;note\n1;ARBER HOXHA called\n", encoding="utf-8")
    (folder / "legacy.csv").write_bytes("emri\nArbër Hoxha\n".encode("cp1250"))
    (folder / "page.html").write_text(
        "<p>Arb&euml;r Hoxha</p><p>Analysis of data</p>"
        f"<img src='data:image/png;base64,{base64.b64encode(b'xxAnaxx' * 30).decode()}'>",
        encoding="utf-8",
    )
    (folder / "run.ipynb").write_text(
        json.dumps({"cells": [{"outputs": [{"text": "tel 0691234567"}]}]}), encoding="utf-8"
    )
    (folder / "manifest.json").write_text(
        json.dumps({"contact": "ana.leka@example.al"}), encoding="utf-8"
    )
    (folder / "clean.parquet").parent.mkdir(exist_ok=True)
    pd.DataFrame({"phone": [691234567], "x": ["ok"]}).to_parquet(folder / "clean.parquet")
    book = Workbook()
    sheet = book.active
    sheet.title = "Logframe"
    sheet["B4"] = "Prepared with Ana"
    sheet["C2"] = "fine"
    sheet["C2"].comment = Comment("ask arbër hoxha", "x")
    book.save(folder / "donor.xlsx")
    (folder / "figure.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"Ana" * 5)
    (folder / "clean.txt").write_text("Analysis, Banana, nothing here", encoding="utf-8")
    return tmp_path / "reports"


def test_every_file_type_is_searched(outputs):
    result = scan_for_values(outputs, PLANTED)
    found = hits_by_file(result)
    assert found["table.csv"] == {"Arbër Hoxha"}
    assert found["legacy.csv"] == {"Arbër Hoxha"}
    assert found["page.html"] == {"Arbër Hoxha"}, "entity decoded; 'Ana' not inside words or base64"
    assert found["run.ipynb"] == {"+355 69 123 4567"}, "phone found whatever the format"
    assert found["manifest.json"] == {"ana.leka@example.al", "Ana"}, "the address holds the name"
    assert found["clean.parquet"] == {"+355 69 123 4567"}, "phone stored as a number"
    assert found["donor.xlsx"] == {"Ana", "Arbër Hoxha"}
    assert "clean.txt" not in found
    locations = set(result.loc[result.source.str.endswith("donor.xlsx"), "location"])
    assert "sheet 'Logframe' cell B4" in locations
    assert any("comments" in where for where in locations)
    assert any("figure.png" in s for s in result.attrs["skipped"])


def test_frames_and_mappings(outputs):
    frame = pd.DataFrame({"a": ["x", "Ana Leka"], "Arbër Hoxha": [1, 2]})
    result = scan_for_values({"clean/youth": frame}, PLANTED)
    assert set(result["location"]) == {"column name 'Arbër Hoxha'", "column 'a', row 1"}
    assert set(result["source"]) == {"clean/youth"}
    both = scan_for_values([frame, outputs / "run" / "table.csv"], ["Arbër Hoxha"])
    assert set(both["source"]) == {"frame[0]", str(outputs / "run" / "table.csv")}


def test_clean_outputs_give_an_empty_table(tmp_path):
    (tmp_path / "ok.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    result = scan_for_values(tmp_path, PLANTED)
    assert result.empty and list(result.columns) == ["source", "location", "value"]
    assert result.attrs["searched"] == 1


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(ParamsError, match="does not exist"):
        scan_for_values(tmp_path / "nowhere", PLANTED)


def test_spss_values_and_labels_are_searched(tmp_path):
    import pyreadstat

    frame = pd.DataFrame({"code": [1.0, 2.0], "note": ["ok", "tel 069 123 4567"]})
    pyreadstat.write_sav(
        frame,
        tmp_path / "export.sav",
        variable_value_labels={"code": {1.0: "Arbër Hoxha", 2.0: "x"}},
    )
    result = scan_for_values(tmp_path / "export.sav", PLANTED)
    assert set(result["value"]) == {"Arbër Hoxha", "+355 69 123 4567"}
    assert "labels" in set(result["location"])
