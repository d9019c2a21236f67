"""Outputs appear atomically, never in a raw folder, never over a folder that is not ours."""

import json

import pandas as pd
import pytest

from evaluation.errors import DataError
from evaluation.ingest import outputs
from evaluation.ingest.outputs import check_target, read_parquet_metadata, write_outputs
from evaluation.ingest.quarantine import empty_quarantine


def _tables():
    frame = pd.DataFrame(
        {
            "a": pd.array([1, None], dtype="Int64"),
            "b": pd.Categorical(["x", None], categories=["x", "y"]),
        }
    )
    return {"t": (frame, {"table": "t", "form_id": "f", "version": "1"})}


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_outputs_round_trip_with_metadata(tmp_path):
    write_outputs(tmp_path / "clean", _tables(), empty_quarantine(), {"files": []})
    back = pd.read_parquet(tmp_path / "clean" / "t.parquet")
    assert str(back["a"].dtype) == "Int64"
    assert back["b"].cat.categories.tolist() == ["x", "y"]
    assert read_parquet_metadata(tmp_path / "clean" / "t.parquet") == {
        "table": "t",
        "form_id": "f",
        "version": "1",
    }
    assert json.loads((tmp_path / "clean" / "ingest_log.json").read_text()) == {"files": []}
    assert list(pd.read_csv(tmp_path / "clean" / "quarantine.csv").columns)[:3] == [
        "table",
        "file",
        "row",
    ]


def test_a_failure_leaves_the_last_good_outputs(tmp_path, monkeypatch):
    target = tmp_path / "clean"
    write_outputs(target, _tables(), empty_quarantine(), {"run": 1})
    before = _files(target)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(outputs, "write_parquet", broken)
    with pytest.raises(OSError):
        write_outputs(target, _tables(), empty_quarantine(), {"run": 2})
    assert _files(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean"]  # no temporary folder left


def test_a_second_run_replaces_the_first(tmp_path):
    target = tmp_path / "clean"
    write_outputs(target, _tables(), empty_quarantine(), {"run": 1})
    write_outputs(target, {}, empty_quarantine(), {"run": 2})
    assert sorted(p.name for p in target.iterdir()) == ["ingest_log.json", "quarantine.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean"]


def test_the_target_is_never_a_raw_folder(tmp_path):
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    for target in (raw, raw / "clean", tmp_path / "data"):
        with pytest.raises(DataError, match="raw exports are never written to"):
            check_target(target, [raw])


def test_a_folder_that_is_not_an_earlier_ingest_is_not_replaced(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.docx").write_text("x")
    with pytest.raises(DataError, match="not the output of an earlier ingest"):
        check_target(tmp_path / "mine", [])
    check_target(tmp_path / "new", [])  # a new folder is fine
