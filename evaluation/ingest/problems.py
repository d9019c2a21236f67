"""Problems and flags found while ingesting a table, collected column-wise.

A *problem* makes a row unusable: the row goes to quarantine, with one line per problem. A
*flag* is a lesser problem: the row is kept and ``_flags`` lists the flag codes. Both are
collected as arrays of row positions (vectorised checks give masks, not loops); a message
is built per problem only for the rows that have one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

RULES: dict[str, str] = {
    "duplicate_exact": "the same submission stored twice; the later copy is dropped once",
    "duplicate_id": "two different submissions share an id (or the table's unique key): both",
    "type": "the value is not of the question's type (a number, a date...)",
    "choice": "the code is not in the question's choice list",
    "required": "a required answer is missing although the question was relevant",
    "constraint": "the value breaks the question's constraint",
    "malformed_row": "the row has more fields than the header: its values may have shifted",
    "unknown_form": "the row was submitted with another form (form id in the export)",
    "design": "the school code is not in the sampling frame, so the row cannot be weighted",
}
"""Quarantine rule codes (stable; documented in the README) and what each means."""

FLAGS: dict[str, str] = {
    "short_interview": "the interview is shorter than the table's threshold",
    "outlier_iqr:<q>": "a number far outside the interquartile range of question <q>",
    "relevant_violation:<q>": "an answer to <q> although it was not relevant: blanked",
    "assent_refused": "the respondent refused assent; the row has no answers",
    "short_row": "the CSV row had fewer fields than the header (last columns missing)",
}
"""Flag codes set by ingestion (``_flags``); quality adds ``panel_code_unmatched``."""

PROBLEM_COLUMNS = ("row", "column", "value", "rule", "message", "action")


class Problems:
    """Problems of one table, by row position (0-based, in the stacked table)."""

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []

    def add(
        self,
        rows: Sequence[int] | np.ndarray,
        column: str,
        values: Iterable[object] | str,
        rule: str,
        messages: Iterable[str] | str,
        action: str = "quarantined",
    ) -> None:
        """Record one problem per row in ``rows`` (``values``/``messages``: one per row, or
        one for all)."""
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size == 0:
            return
        if rule not in RULES:
            raise ValueError(f"unknown quarantine rule {rule!r}")
        self._parts.append(
            pd.DataFrame(
                {
                    "row": rows,
                    "column": column,
                    "value": _per_row(values, rows.size),
                    "rule": rule,
                    "message": _per_row(messages, rows.size),
                    "action": action,
                }
            )
        )

    def extend(self, other: Problems, offset: int = 0) -> None:
        """Add ``other``'s problems with their row positions shifted by ``offset``."""
        for part in other._parts:
            self._parts.append(part.assign(row=part["row"] + offset))

    def frame(self) -> pd.DataFrame:
        """All problems: ``row, column, value, rule, message, action``, in row order."""
        if not self._parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in PROBLEM_COLUMNS}).astype(
                {"row": np.int64}
            )
        frame = pd.concat(self._parts, ignore_index=True)
        return frame.sort_values("row", kind="stable").reset_index(drop=True)

    def rows_with(self, column: str, rules: Sequence[str]) -> np.ndarray:
        """Row positions with a problem of one of ``rules`` in ``column``."""
        rows = [
            p["row"].to_numpy()
            for p in self._parts
            if p["column"].iat[0] == column and p["rule"].iat[0] in rules
        ]
        return np.unique(np.concatenate(rows)) if rows else np.array([], dtype=np.int64)

    def rows(self, action: str | None = None) -> np.ndarray:
        """Distinct row positions with a problem (of ``action``, if given)."""
        if not self._parts:
            return np.array([], dtype=np.int64)
        rows = [p["row"][p["action"] == action] if action else p["row"] for p in self._parts]
        return np.unique(np.concatenate([r.to_numpy() for r in rows]))


class Flags:
    """Flags of one table: flag code → row positions."""

    def __init__(self) -> None:
        self._rows: dict[str, list[np.ndarray]] = {}

    def add(self, rows: Sequence[int] | np.ndarray, flag: str) -> None:
        """Flag every row in ``rows`` (positions) with ``flag``."""
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size:
            self._rows.setdefault(flag, []).append(rows)

    def extend(self, other: Flags, offset: int = 0) -> None:
        """Add ``other``'s flags with their row positions shifted by ``offset``."""
        for flag, parts in other._rows.items():
            for rows in parts:
                self.add(rows + offset, flag)

    def column(self, n_rows: int) -> np.ndarray:
        """``_flags`` for ``n_rows`` rows: ``;``-separated codes in the order added, or ``""``."""
        out = np.full(n_rows, "", dtype=object)
        for flag, parts in self._rows.items():
            rows = np.unique(np.concatenate(parts))
            has = out[rows] != ""
            out[rows] = np.where(has, out[rows] + ";" + flag, flag)
        return out

    def counts(self, keep: np.ndarray | None = None) -> dict[str, int]:
        """Rows per flag (only rows where ``keep`` is true, if given)."""
        counts = {}
        for flag, parts in self._rows.items():
            rows = np.unique(np.concatenate(parts))
            n = int(keep[rows].sum()) if keep is not None else rows.size
            if n:
                counts[flag] = n
        return counts

    def has(self, flag: str, n_rows: int) -> np.ndarray:
        """Boolean mask of the rows flagged ``flag``."""
        mask = np.zeros(n_rows, dtype=bool)
        for rows in self._rows.get(flag, []):
            mask[rows] = True
        return mask


def _per_row(values: Iterable[object] | str, n: int) -> object:
    if isinstance(values, str):
        return values
    values = list(values)
    if len(values) != n:
        raise ValueError(f"expected {n} values, got {len(values)}")
    return ["" if v is None else str(v) for v in values]
