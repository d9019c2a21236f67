"""Duplicate submissions: exact copies, and different submissions sharing an identifier.

The rule (documented in the README):

1. **Exact duplicate** (``duplicate_exact``, action ``dropped_duplicate``): a row whose
   content is identical to an earlier row of the table in every column of its file
   *except* those the server or the export fills per stored copy (``_id``, ``_index``,
   ``_submission_time``/``SubmissionDate``, validation and review status, ``_notes``,
   ``_tags``, attachment counts, ``Edits``, the submitting account and form-version
   stamps). The submission id is part of the content. The first copy is kept; each later
   copy is dropped once and logged. Rows of two files count as copies only when the files
   have the same columns.
2. **Duplicate id** (``duplicate_id``): among the remaining rows, two or more rows with the
   same submission id (``_uuid``, ``KEY``, ``instanceID``) but different content are all
   quarantined: nobody can tell which one is right.
3. **Duplicate record** (``duplicate_id`` too): when the table config names ``unique``
   questions (e.g. ``[case_id]``, or ``[participant_code, session_id]``), rows sharing
   those answers (all present) are all quarantined, for the same reason.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaluation.ingest.problems import Problems


def drop_exact_copies(
    content_hash: np.ndarray,
    files: np.ndarray,
    rows: np.ndarray,
    names: Sequence[str],
    problems: Problems,
) -> np.ndarray:
    """Log every later exact copy as ``dropped_duplicate``; return the mask of kept rows.

    Parameters
    ----------
    content_hash : numpy.ndarray
        uint64 content hash per row (see :mod:`.convert`).
    files, rows : numpy.ndarray
        File index and source row of each row, for messages.
    names : sequence of str
        File names by file index.
    """
    hashes = pd.Series(content_hash)
    copies = hashes.duplicated(keep="first").to_numpy()
    if not copies.any():
        return np.ones(len(hashes), dtype=bool)
    first = (
        pd.Series(np.arange(len(hashes))).groupby(hashes.to_numpy()).transform("first").to_numpy()
    )
    later = np.flatnonzero(copies)
    messages = [
        f"exact copy of {names[files[first[i]]]} row {rows[first[i]]} (every answer and the "
        "submission id are the same; server row numbers such as _id and _index are ignored): "
        "dropped once, the first copy is kept"
        for i in later
    ]
    problems.add(later, "", "", "duplicate_exact", messages, action="dropped_duplicate")
    return ~copies


def quarantine_shared_ids(
    ids: pd.Series,
    kept: np.ndarray,
    files: np.ndarray,
    rows: np.ndarray,
    names: Sequence[str],
    problems: Problems,
) -> None:
    """Quarantine every kept row whose submission id another kept row also has."""
    groups = _shared(pd.DataFrame({"id": ids.to_numpy()}), kept)
    _report(
        groups,
        ids.astype(object).to_numpy(),
        "_submission_id",
        "submission id",
        files,
        rows,
        names,
        problems,
    )


def quarantine_shared_keys(
    data: pd.DataFrame,
    key: Sequence[str],
    kept: np.ndarray,
    files: np.ndarray,
    rows: np.ndarray,
    names: Sequence[str],
    problems: Problems,
) -> None:
    """Quarantine every kept row whose answers to the ``unique`` questions another kept row
    shares (rows missing any of them are not compared)."""
    if not key:
        return
    parts = pd.DataFrame({k: data[k].astype("string").to_numpy() for k in key})
    complete = parts.notna().all(axis=1).to_numpy()
    groups = _shared(parts, kept & complete)
    values = np.full(len(parts), "", dtype=object)
    shared = groups >= 0
    if shared.any():
        values[shared] = parts[shared].astype(object).agg(" + ".join, axis=1).to_numpy()
    what = "answers to " + " + ".join(key)
    _report(groups, values, " + ".join(key), what, files, rows, names, problems)


def _shared(parts: pd.DataFrame, eligible: np.ndarray) -> np.ndarray:
    """Group number of each eligible row that shares its values with another, else -1."""
    group = np.full(len(parts), -1, dtype=np.int64)
    if not eligible.any():
        return group
    subset = parts[eligible]
    repeated = subset.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return group
    numbers = subset[repeated].groupby(list(subset.columns), sort=False).ngroup().to_numpy()
    group[np.flatnonzero(eligible)[repeated]] = numbers
    return group


def _report(
    groups: np.ndarray,
    values: np.ndarray,
    column: str,
    what: str,
    files: np.ndarray,
    rows: np.ndarray,
    names: Sequence[str],
    problems: Problems,
) -> None:
    flagged = np.flatnonzero(groups >= 0)
    if flagged.size == 0:
        return
    members: dict[int, list[int]] = {}
    for i in flagged:
        members.setdefault(int(groups[i]), []).append(int(i))
    messages = []
    for i in flagged:
        others = [f"{names[files[j]]} row {rows[j]}" for j in members[int(groups[i])] if j != i]
        messages.append(
            f"same {what} as {', '.join(others[:3])}{' …' if len(others) > 3 else ''} but "
            "different answers: all are quarantined; keep the right version in the source "
            "and delete the others, then export again"
        )
    problems.add(flagged, column, values[flagged], "duplicate_id", messages)
