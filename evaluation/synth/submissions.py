"""A file's submissions while they are assembled: answers plus aligned bookkeeping arrays.

Answers are a :data:`Table`: one object array of text per form field, named by the field.
Plain arrays keep a large world light, because pandas would copy object columns into blocks.
``info`` holds arrays with one entry per row: the submission id, times, and the fault tag
that ends up in ``truth.json``. Planting a duplicate appends copies; sorting puts rows in
the order the server exports them. Both keep answers and info aligned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from evaluation.synth.clock import utc_iso_seconds
from evaluation.synth.streams import stream, token

Table = dict[str, np.ndarray]


def n_rows(table: Mapping[str, np.ndarray]) -> int:
    """Number of rows of a table (0 for a table without columns)."""
    return len(next(iter(table.values()))) if table else 0


@dataclass
class Submissions:
    """Answers (one text column per form field) and row-aligned ``info`` arrays."""

    answers: Table
    info: dict[str, np.ndarray]

    @classmethod
    def start(cls, answers: Mapping[str, np.ndarray], **info: np.ndarray) -> Submissions:
        """Wrap answers; adds ``tag`` (fault, "" = none), ``origin`` and ``copy`` to info."""
        table = {k: np.asarray(v, dtype=object) for k, v in answers.items()}
        n = n_rows(table)
        extra = {k: np.asarray(v) for k, v in info.items()}
        extra.setdefault("tag", np.full(n, "", dtype=object))
        extra.setdefault("origin", np.arange(n))
        extra.setdefault("copy", np.zeros(n, dtype=int))
        return cls(table, extra)

    def __len__(self) -> int:
        return n_rows(self.answers)

    def set(self, rows: np.ndarray, column: str, values: object) -> None:
        """Overwrite one answer column at ``rows``."""
        col = self.answers[column].copy()
        col[rows] = values
        self.answers[column] = col

    def tag(self, rows: np.ndarray, fault: str) -> None:
        """Mark ``rows`` as carrying ``fault``."""
        self.info["tag"][rows] = fault

    def copy_rows(
        self,
        rows: np.ndarray,
        fault: str,
        answers: Mapping[str, object] | None = None,
        info: Mapping[str, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Append copies of ``rows`` tagged ``fault``, with some answers or info replaced.

        Returns the positions of the copies.
        """
        start = len(self)
        replaced = dict(answers or {})
        for column, values in self.answers.items():
            copies = self.answers[column][rows].copy()
            if column in replaced:
                copies[:] = replaced[column]
            self.answers[column] = np.concatenate([values, copies])
        new = {k: v[rows].copy() for k, v in self.info.items()}
        new["tag"] = np.full(len(rows), fault, dtype=object)
        new["copy"] = np.ones(len(rows), dtype=int)
        new.update({k: np.asarray(v) for k, v in (info or {}).items()})
        self.info = {k: np.concatenate([self.info[k], new[k]]) for k in self.info}
        return np.arange(start, start + len(rows))

    def sort_by(self, *keys: str) -> None:
        """Reorder rows by the ``info`` arrays ``keys`` (first key most significant), stably."""
        order = np.lexsort([self.info[k] for k in reversed(keys)])
        for table in (self.answers, self.info):
            for k in list(table):  # one column at a time, so only one extra copy is alive
                table[k] = table[k][order]

    def rows_of(self, fault: str) -> np.ndarray:
        """1-based data-row numbers tagged ``fault``."""
        return np.flatnonzero(self.info["tag"] == fault) + 1

    def first_rows(self, origins: np.ndarray) -> np.ndarray:
        """0-based positions of the originals (not the copies) of the rows first at ``origins``."""
        return np.flatnonzero(np.isin(self.info["origin"], origins) & (self.info["copy"] == 0))

    def original_rows(self, fault: str) -> np.ndarray:
        """1-based rows of the first occurrences that the rows tagged ``fault`` copy."""
        copies = np.flatnonzero(self.info["tag"] == fault)
        firsts = np.flatnonzero(self.info["copy"] == 0)
        where = {int(o): i for i, o in zip(firsts, self.info["origin"][firsts], strict=True)}
        return np.array([where[int(self.info["origin"][c])] + 1 for c in copies], dtype=int)


def kobo_system_columns(
    rng: np.random.Generator,
    subs: Submissions,
    *,
    version: str,
    submitted_by: str,
    first_id: int,
) -> Table:
    """KoboToolbox's system columns for rows already in export order.

    ``_id`` grows with the order (the server's counter is shared by every project, hence
    the gaps), ``_index`` is the row number, ``_submission_time`` is UTC without an offset
    (from ``info["submitted"]``), ``_uuid`` comes from ``info["uuid"]``.
    """
    n = len(subs)
    ids = first_id + np.cumsum(rng.integers(1, 40, n))

    def constant(value: str) -> np.ndarray:
        return np.full(n, value, dtype=object)

    return {
        "_id": ids.astype(str).astype(object),
        "_uuid": np.asarray(subs.info["uuid"], dtype=object),
        "_submission_time": utc_iso_seconds(subs.info["submitted"]),
        "_validation_status": constant(""),
        "_notes": constant(""),
        "_status": constant("submitted_via_web"),
        "_submitted_by": constant(submitted_by),
        "__version__": constant(version),
        "_tags": constant(""),
        "_index": np.arange(1, n + 1).astype(str).astype(object),
    }


def kobo_export(
    subs: Submissions,
    seed: int,
    part: str,
    *,
    submitted_by: str,
    first_id: int,
    form: str | None = None,
) -> Table:
    """Put the rows in KoboToolbox's export order and return its system columns.

    Kobo exports submissions in the order they reached the server; a copy planted with the
    same submission time as its original comes after it. The gaps between ``_id`` values
    are drawn from the stream ``meta.<part>`` and the form version ``__version__`` from
    ``kobo_version.<form>`` (``form`` defaults to ``part``). See
    :func:`kobo_system_columns`.
    """
    subs.sort_by("submitted", "copy")
    version = "v" + token(stream(seed, f"kobo_version.{form or part}"), 21)
    return kobo_system_columns(
        stream(seed, f"meta.{part}"),
        subs,
        version=version,
        submitted_by=submitted_by,
        first_id=first_id,
    )
