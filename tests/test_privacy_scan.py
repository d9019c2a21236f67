"""scan_for_values: later stages prove with it that no planted value leaks into outputs."""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.comments import Comment

from evaluation.errors import ParamsError
from evaluation.privacy import scan_for_values
from evaluation.privacy._needles import Needles
from evaluation.privacy.patterns import fold

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


# --------------------------------------------------------------------------- the fast engine
# A reference that applies the matching rules value by value and line by line, with no index
# and no pre-filter: the fast scan must find exactly what it finds.
def reference_hits(lines: list[str], values: list[str]) -> set[tuple[int, str]]:
    sep = r"[\s().\-/]*"
    found = set()
    for value in values:
        text = value.strip()
        digits = re.sub(r"\D", "", text)
        if re.fullmatch(r"[\d\s+().\-/]+", text) and len(digits) >= 7:
            national = re.sub(r"^(?:\+|00)355|^0", "", re.sub(r"[\s().\-/]", "", text))
            prefix = rf"(?:(?:(?:\+|00){sep})?355{sep}|0{sep})?"
            body = sep.join(re.sub(r"\D", "", national))
            pattern = rf"(?<!\d){prefix}{body}(?!\d)"
        else:
            words = [re.escape(fold(w)) for w in text.split()]
            body = r"\s+".join(words)
            pattern = rf"(?<![^\W_]){body}(?![^\W_])"
        for number, line in enumerate(lines):
            line = html.unescape(line)
            line = re.sub(r"(data:[^,;\"'\s<>]{0,100};base64,)[A-Za-z0-9+/]*=*", r"\1", line)
            if re.search(pattern, fold(line)):
                found.add((number, value))
    return found


PIECES = ["Arbër", "ARBER", "arbërit", "Hoxha", "Ana", "Analysis", "ana_x", "069", "123",
          "4567", "+355", "00355", "355", "0", "69", "1234567", "691234567", "P00259",
          "DV-2022-0001", "a.b@x.al", "&euml;", "&amp;", "e\u0308", "41.112345", "20.082212",
          "data:image/png;base64,QW5h", "\x00", "’"]  # fmt: skip
GLUE = [" ", "  ", "-", ".", "/", "(", ")", ",", ";", "", "\t", "_", "+"]
VALUES = ["Arbër Hoxha", "Ana", "+355 69 123 4567", "069 123 4567", "0691234567", "P00259",
          "dv-2022-0001", "a.b@x.al", "Arbërit", "41.112345 20.082212", "123", "ë"]  # fmt: skip
lines = st.lists(
    st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from(GLUE)), max_size=8).map(
        lambda parts: "".join(p + g for p, g in parts)
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=lines, values=st.lists(st.sampled_from(VALUES), min_size=1, max_size=6, unique=True))
def test_the_index_finds_exactly_what_a_value_by_value_search_finds(lines, values):
    assert set(Needles(values).find(lines)) == reference_hits(lines, values)


def test_many_candidates_are_searched_segment_by_segment():
    values = [f"Emri{i} Mbiemri{i}" for i in range(200)] + [
        f"06{i % 10}{i:07d}" for i in range(200)
    ]
    lines = [
        f"rreshti {i}: Emri{i} Mbiemri{i}, tel +355 6{i % 10} {i:07d}" for i in range(0, 200, 3)
    ]
    lines += ["Emri5 Mbiemri6 (not a pair)", "Emri7Mbiemri7 is one word"]
    found = Needles(values).find(lines)
    assert len(values) > 64 and set(found) == reference_hits(lines, values)
    assert len(found) == 2 * len(range(0, 200, 3))


def test_phones_stored_as_numbers(tmp_path):
    frame = pd.DataFrame(
        {
            "mobile": [1.5, 691234567.0, np.nan],
            "with_country": pd.array([355691234567, 7, None], dtype="Int64"),
            "small": [69, 123, 4567],
            "when": pd.to_datetime(["2008-03-14", "2024-01-01", None]),
        }
    )
    frame.to_parquet(tmp_path / "t.parquet")
    for source in (frame, tmp_path / "t.parquet"):
        result = scan_for_values(source, ["+355 69 123 4567", "2008-03-14", "4567"])
        assert set(zip(result.location, result.value, strict=True)) == {
            ("column 'mobile', row 1", "+355 69 123 4567"),
            ("column 'with_country', row 0", "+355 69 123 4567"),
            ("column 'when', row 0", "2008-03-14"),  # a date of birth is searched as text
        }, "numbers are searched for phones only: 4567 is not a phone"


def test_parquet_categories_metadata_and_column_names(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = pd.DataFrame(
        {"unit": pd.Categorical(["Tregan", "Tregan"], categories=["Tregan", "Arbër Hoxha"]),
         "note": ["ok", "pyet ARBER HOXHA"], "Ana": [1, 2]}
    )  # fmt: skip
    table = pa.Table.from_pandas(frame)
    table = table.replace_schema_metadata({**table.schema.metadata, b"author": b"Ana Leka"})
    pq.write_table(table, tmp_path / "t.parquet")
    result = scan_for_values(tmp_path / "t.parquet", PLANTED)
    assert set(zip(result.location, result.value, strict=True)) == {
        ("column name 'Ana'", "Ana"),
        ("metadata 'author'", "Ana"),
        ("column 'unit'", "Arbër Hoxha"),  # an unused category is still in the file
        ("column 'note', row 1", "Arbër Hoxha"),
    }


def test_embedded_images_are_passed_over_but_their_text_is_not(tmp_path):
    payload = base64.b64encode(b"Ana " * 50).decode()
    notebook = {
        "cells": [
            {"outputs": [{"data": {"image/png": payload, "text/plain": "<Figure Ana>"}}]},
            {"outputs": [{"data": {"image/svg+xml": ["<svg><text>Ana</text></svg>"]}}]},
        ]
    }
    (tmp_path / "run.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    (tmp_path / "page.html").write_text(
        f'<img src="data:image/png;base64,{payload}"> <p>Ana</p>\n<img src="data:image/png;'
        f'base64,{payload}">\n',
        encoding="utf-8",
    )
    assert base64.b64decode(payload).startswith(b"Ana")
    result = scan_for_values(tmp_path, ["Ana", payload])
    assert set(zip(result.location, result.value, strict=True)) == {
        ("$.cells[0].outputs[0].data.text/plain", "Ana"),
        ("$.cells[1].outputs[0].data.image/svg+xml[0]", "Ana"),
        ("line 1", "Ana"),
    }, "the base64 payloads are neither decoded nor searched"


def test_a_workbook_without_candidates_and_one_with(tmp_path):
    book = Workbook()
    book.active["A1"] = "nothing personal"
    book.active["B2"] = 691234567
    book.save(tmp_path / "a.xlsx")
    assert scan_for_values(tmp_path / "a.xlsx", ["Arbër Hoxha"]).empty
    result = scan_for_values(tmp_path / "a.xlsx", ["069 123 4567"])
    assert result["location"].tolist() == ["sheet 'Sheet' cell B2"]


def test_lists_inside_cells_are_searched_as_text(tmp_path):
    frame = pd.DataFrame({"tags": [["ok"], ["Arbër Hoxha", "x"]], "n": [1, 2]})
    assert scan_for_values(frame, PLANTED)["location"].tolist() == ["column 'tags', row 1"]
    frame.to_parquet(tmp_path / "t.parquet")
    assert scan_for_values(tmp_path / "t.parquet", PLANTED)["location"].tolist() == [
        "column 'tags'"
    ]
