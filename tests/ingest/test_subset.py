"""``workbench ingest DATASET --input FILE``: the file's table again, every other table kept.

A dataset of two tables of the mini form: ``survey`` from two files, ``other`` from one.
"""

import json
from pathlib import Path

import pandas as pd
import pytest

from evaluation.cli import main

from .conftest import mini_row, write_csv

KEY_A = "a" * 64
KEY_B = "b" * 64


@pytest.fixture
def dataset(tmp_path, mini_form, monkeypatch):
    """The datasets YAML of a two-table dataset, its raw files written, nothing ingested."""
    monkeypatch.setenv("WORKBENCH_PSEUDONYM_KEY", KEY_A)
    monkeypatch.delenv("WORKBENCH_PSEUDONYM_KEY_FILE", raising=False)
    raw = tmp_path / "raw"
    write_csv(raw / "a1.csv", [mini_row("u1"), mini_row("u2", age="41")])
    write_csv(raw / "a2.csv", [mini_row("u3")])
    write_csv(raw / "b.csv", [mini_row("v1"), mini_row("v2", sex="x")])
    config = tmp_path / "datasets.yaml"
    config.write_text(
        f"datasets:\n  field:\n    raw_dir: {raw}\n    clean_dir: {tmp_path / 'clean'}\n"
        "    pseudonym_key: env\n    tables:\n"
        f"      survey:\n        instrument: {mini_form}\n        files: [a1.csv, a2.csv]\n"
        f"      other:\n        instrument: {mini_form}\n        files: [b.csv]\n",
        encoding="utf-8",
    )
    return config


def _ingest(config, capsys, *inputs):
    args = ["ingest", "field", "--datasets", str(config)]
    for name in inputs:
        args += ["--input", str(name)]
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _clean(config):
    folder = Path(config).parent / "clean"
    log = json.loads((folder / "ingest_log.json").read_text(encoding="utf-8"))
    quarantine = pd.read_csv(folder / "quarantine.csv", dtype=str, keep_default_na=False)
    return folder, log, quarantine


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_file_reingests_its_whole_table_and_carries_the_others_over(dataset, capsys):
    assert _ingest(dataset, capsys)[0] == 0
    folder, first, before = _clean(dataset)
    other_bytes = (folder / "other.parquet").read_bytes()
    write_csv(dataset.parent / "raw" / "a2.csv", [mini_row("u3"), mini_row("u4")])

    code, out, err = _ingest(dataset, capsys, "a2.csv")

    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "a1.csv: read 2, accepted 1, quarantined 1 (constraint 1)"  # re-read too
    assert lines[1] == "a2.csv: read 2, accepted 2, quarantined 0"
    assert lines[2] == (
        f"b.csv: read 2, accepted 1, quarantined 1 (choice 1); carried over unchanged from "
        f"the ingest of {first['finished']}"
    )
    assert "Carried over unchanged: other." in out
    _, log, after = _clean(dataset)
    survey = pd.read_parquet(folder / "survey.parquet")
    assert sorted(survey["_submission_id"]) == ["u1", "u3", "u4"]  # both files of the table
    assert (folder / "other.parquet").read_bytes() == other_bytes  # byte for byte
    pd.testing.assert_frame_equal(
        after[after["table"] == "other"], before[before["table"] == "other"]
    )
    assert list(log["tables"]) == ["survey", "other"]
    carried = [f for f in log["files"] if f.get("carried_over_from")]
    assert [f["file"] for f in carried] == ["b.csv"]
    assert carried[0]["carried_over_from"] == first["finished"]
    assert log["selection"]["ingested"] == ["survey"]
    assert log["selection"]["carried_over"] == ["other"]
    assert log["privacy"]["by_table"]["other"] == first["privacy"]["by_table"]["other"]
    assert log["key_fingerprint"] == first["key_fingerprint"]
    for entry in log["files"]:
        assert entry["rows_read"] == entry["rows_accepted"] + entry["rows_quarantined"]


def test_carried_over_twice_still_names_the_ingest_that_read_the_file(dataset, capsys):
    _ingest(dataset, capsys)
    first = _clean(dataset)[1]
    _ingest(dataset, capsys, "a1.csv")
    assert _ingest(dataset, capsys, "a1.csv")[0] == 0
    log = _clean(dataset)[1]
    assert [f["carried_over_from"] for f in log["files"] if f["file"] == "b.csv"] == [
        first["finished"]
    ]


def test_a_path_in_the_raw_folder_is_accepted_and_one_elsewhere_refused(dataset, capsys, tmp_path):
    _ingest(dataset, capsys)
    assert _ingest(dataset, capsys, tmp_path / "raw" / "b.csv")[0] == 0
    elsewhere = write_csv(tmp_path / "downloads" / "b.csv", [mini_row("v9")])
    before = _snapshot(tmp_path / "clean")
    code, _, err = _ingest(dataset, capsys, elsewhere)
    assert code == 1 and "copy the new export into the raw folder" in err
    assert _snapshot(tmp_path / "clean") == before


def test_an_unknown_file_names_the_dataset_files_and_writes_nothing(dataset, capsys, tmp_path):
    _ingest(dataset, capsys)
    before = _snapshot(tmp_path / "clean")
    code, _, err = _ingest(dataset, capsys, "a3.csv")
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "not a file of dataset 'field'" in err and "'a1.csv', 'a2.csv', 'b.csv'" in err
    assert _snapshot(tmp_path / "clean") == before


def test_without_a_previous_ingest_nothing_can_be_carried_over(dataset, capsys, tmp_path):
    code, _, err = _ingest(dataset, capsys, "b.csv")
    assert code == 1 and "without --input" in err
    assert not (tmp_path / "clean").exists()


def test_a_table_added_since_the_last_ingest_cannot_be_carried_over(dataset, capsys, tmp_path):
    _ingest(dataset, capsys)
    write_csv(tmp_path / "raw" / "c.csv", [mini_row("w1")])
    text = dataset.read_text(encoding="utf-8")
    dataset.write_text(text.replace("files: [b.csv]", "files: [b.csv, c.csv]"), encoding="utf-8")
    code, _, err = _ingest(dataset, capsys, "a1.csv")
    assert code == 1 and "table 'other' cannot be carried over" in err and "c.csv" in err


def test_another_key_would_mix_pseudonyms_and_is_refused(dataset, capsys, monkeypatch, tmp_path):
    _ingest(dataset, capsys)
    before = _snapshot(tmp_path / "clean")
    monkeypatch.setenv("WORKBENCH_PSEUDONYM_KEY", KEY_B)
    code, _, err = _ingest(dataset, capsys, "b.csv")
    assert code == 1 and "pseudonyms would not match" in err
    assert _snapshot(tmp_path / "clean") == before


def test_a_carried_table_whose_raw_file_changed_is_reported(dataset, capsys, tmp_path):
    _ingest(dataset, capsys)
    write_csv(tmp_path / "raw" / "b.csv", [mini_row("v1")])
    code, out, _ = _ingest(dataset, capsys, "a1.csv")
    assert code == 0
    assert "Warning: b.csv has changed since its table was ingested" in out
    assert _clean(dataset)[1]["selection"]["changed_since"] == ["b.csv"]


def test_a_quarantine_written_before_who_and_when_is_carried_with_them_empty(dataset, capsys):
    _ingest(dataset, capsys)
    folder, _, lines = _clean(dataset)
    legacy = lines.drop(columns=["enumerator", "submitted_at", "interview_at"])
    legacy.to_csv(folder / "quarantine.csv", index=False)
    assert _ingest(dataset, capsys, "a1.csv")[0] == 0
    after = _clean(dataset)[2]
    carried = after[after["table"] == "other"]
    assert len(carried) == 1 and carried["interview_at"].tolist() == [""]
    assert after[after["table"] == "survey"]["interview_at"].ne("").all()
