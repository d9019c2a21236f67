"""Exact copies are dropped once; different submissions sharing an id are all quarantined."""

import numpy as np
import pandas as pd

from evaluation.ingest.duplicates import (
    drop_exact_copies,
    quarantine_shared_ids,
    quarantine_shared_keys,
)
from evaluation.ingest.problems import Problems

from .conftest import MINI_HEADER, mini_row, run_mini


def test_exact_copy_differing_only_in_server_columns_is_dropped_once(tmp_path):
    lines = [
        mini_row("u1") + ",111,2024-03-01T10:30:00,1",
        mini_row("u2", age="16") + ",112,2024-03-01T10:31:00,2",
        mini_row("u1") + ",113,2024-03-02T08:00:00,3",  # stored again: new _id, time, _index
        mini_row("u1") + ",114,2024-03-02T08:00:01,4",  # and once more
    ]
    header = MINI_HEADER.replace(",_uuid", ",_uuid,_id,_submission_time,_index")
    clean, quarantine, log = run_mini(tmp_path, lines, header=header)
    assert clean["_submission_id"].tolist() == ["u1", "u2"]
    assert quarantine[["row", "rule", "action"]].values.tolist() == [
        ["4", "duplicate_exact", "dropped_duplicate"],
        ["5", "duplicate_exact", "dropped_duplicate"],
    ]
    assert "exact copy of mini.csv row 2" in quarantine["message"].iloc[0]
    entry = log["files"][0]
    assert (entry["rows_read"], entry["rows_accepted"], entry["rows_quarantined"]) == (4, 2, 2)
    assert entry["rows_dropped_duplicate"] == 2


def test_same_id_different_answers_quarantines_both(tmp_path):
    lines = [mini_row("u1"), mini_row("u2"), mini_row("u1", age="17")]
    clean, quarantine, _ = run_mini(tmp_path, lines)
    assert clean["_submission_id"].tolist() == ["u2"]
    assert quarantine[["row", "column", "value", "rule"]].values.tolist() == [
        ["2", "_submission_id", "u1", "duplicate_id"],
        ["4", "_submission_id", "u1", "duplicate_id"],
    ]
    assert "mini.csv row 4" in quarantine["message"].iloc[0]


def test_exact_copy_of_a_shared_id_is_dropped_and_the_rest_quarantined():
    problems = Problems()
    hashes = np.array([1, 2, 1, 3], dtype=np.uint64)  # rows 0 and 2 identical
    files, rows = np.zeros(4, dtype=int), np.array([2, 3, 4, 5])
    kept = drop_exact_copies(hashes, files, rows, ["f.csv"], problems)
    assert kept.tolist() == [True, True, False, True]
    ids = pd.Series(["a", "b", "a", "a"], dtype="string")
    quarantine_shared_ids(ids, kept, files, rows, ["f.csv"], problems)
    found = problems.frame()
    assert found[["row", "rule"]].values.tolist() == [
        [0, "duplicate_id"],
        [2, "duplicate_exact"],
        [3, "duplicate_id"],
    ]


def test_unique_keys_quarantine_records_entered_twice():
    data = pd.DataFrame(
        {
            "case_id": pd.array(["DV-1", "DV-2", "DV-1", None, None], dtype="string"),
        }
    )
    problems = Problems()
    files, rows = np.zeros(5, dtype=int), np.arange(2, 7)
    quarantine_shared_keys(
        data, ["case_id"], np.ones(5, dtype=bool), files, rows, ["log.csv"], problems
    )
    found = problems.frame()
    assert found["row"].tolist() == [0, 2]  # missing keys are not compared
    assert set(found["column"]) == {"case_id"}
    assert "same answers to case_id as log.csv row 4" in found["message"].iloc[0]


def test_unique_key_with_two_questions(tmp_path):
    data = pd.DataFrame(
        {
            "person": pd.array(["P1", "P1", "P1"], dtype="string"),
            "session": pd.array(["S1", "S2", "S1"], dtype="string"),
        }
    )
    problems = Problems()
    quarantine_shared_keys(
        data,
        ["person", "session"],
        np.ones(3, dtype=bool),
        np.zeros(3, dtype=int),
        np.arange(3),
        ["a"],
        problems,
    )
    assert problems.frame()["row"].tolist() == [0, 2]
