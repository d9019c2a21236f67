"""The intermediate table every format reader builds before the shared finishing step.

A format reader (CSV, XLSX, SPSS/Stata) turns bytes into a :class:`Parsed`: the header
cells as in the file, the rows after the header as a pyarrow table of string columns, the
source row of each, and what it detected. :func:`evaluation.readers.finishing.finish` then
applies the rules common to all formats (header names, empty rows, missing markers).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from evaluation.readers.model import MalformedRow

TEXT = pa.large_string()
"""Arrow type of every cell (64-bit offsets: what pandas' string dtype stores, no cast)."""

BATCH_ROWS = 20_000
"""Rows converted to Arrow at a time, so Python strings never pile up for a whole file."""


@dataclass
class Parsed:
    """Rows read from one file, before header checks and missing markers.

    ``table`` has one string column per header cell, named ``"0"``, ``"1"``, …, and one
    row per record after the header (a possible HXL tag row included); ``source_rows``
    gives each row's line or sheet row. ``meta`` holds the :class:`RawExport` fields the
    format reader fills (``encoding``, ``delimiter``, ``sheet``, ``value_labels``, …).
    """

    kind: str  # "csv", "xlsx", "spss" or "stata"
    header: list[str]
    table: pa.Table
    source_rows: np.ndarray
    malformed: list[MalformedRow] = field(default_factory=list)
    skipped_rows: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    column_letters: bool = False  # name columns A, B, … in messages (spreadsheets)
    empty_is_null: bool = False  # empty cells are already nulls (no "" strings left)


def empty_table(width: int) -> pa.Table:
    """A table of ``width`` string columns and no rows."""
    return pa.table({str(i): pa.array([], TEXT) for i in range(width)})


class RowCollector:
    """Collect rows of ``str | None`` cells and turn them into Arrow columns in batches."""

    def __init__(self, width: int) -> None:
        self.width = width
        self._rows: list[Sequence[str | None]] = []
        self._batches: list[list[pa.Array]] = []

    def add(self, cells: Sequence[str | None]) -> None:
        """Add one row of exactly ``width`` cells."""
        self._rows.append(cells)
        if len(self._rows) >= BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            columns = zip(*self._rows, strict=True) if self.width else ()
            self._batches.append([pa.array(col, TEXT) for col in columns])
            self._rows = []

    def table(self) -> pa.Table:
        """All rows added, as a table of string columns ``"0"``, ``"1"``, …."""
        self._flush()
        if not self._batches:
            return empty_table(self.width)
        names = [str(i) for i in range(self.width)]
        chunked = [
            pa.chunked_array([batch[i] for batch in self._batches], TEXT) for i in range(self.width)
        ]
        return pa.Table.from_arrays(chunked, names=names)


def source_array(values: Iterable[int] | np.ndarray) -> np.ndarray:
    """A read-only int64 array of source row numbers."""
    array = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, np.int64)
    array.flags.writeable = False
    return array


def line_list(lines: Sequence[int], limit: int = 5) -> str:
    """``5, 9 and 12`` or ``5, 9, 12, 14, 20 and 37 more``: line numbers for a message."""
    shown = [str(n) for n in lines[:limit]]
    rest = len(lines) - len(shown)
    if rest > 0:
        return f"{', '.join(shown)} and {rest} more"
    if len(shown) > 1:
        return f"{', '.join(shown[:-1])} and {shown[-1]}"
    return "".join(shown)
