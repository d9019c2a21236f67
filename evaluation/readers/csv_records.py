"""CSV records with the line each starts on, read by Python's ``csv`` module.

This is the careful reader's tokenizer, and the authority on line numbers: a record whose
quoted field holds a newline spans several lines, so "row 57" of a table is not line 57 of
the file. ``csv.reader`` pulls one physical line at a time from the iterator it is given, so
wrapping that iterator tells exactly which lines made each record (``\\r\\n``, ``\\n`` and
``\\r`` all end a line, as in a text editor).
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from evaluation.errors import DataError


@dataclass(frozen=True, slots=True)
class Record:
    """One CSV record: its first line (1-based), its fields, and its raw lines."""

    line: int
    fields: list[str]
    lines: list[str]

    @property
    def raw(self) -> str:
        """The record's text as in the file."""
        return "".join(self.lines)


def allow_large_fields() -> None:
    """Lift the ``csv`` module's 131,072-character field limit (a long free-text answer
    or a pasted document must be kept, not refused)."""
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:  # C long is 32 bits on some platforms
            limit //= 2


def iter_records(
    utf8: bytes, delimiter: str, first_line: int = 1, name: str = ""
) -> Iterator[Record]:
    """Yield every record of ``utf8`` (blank lines as records with no fields).

    Parameters
    ----------
    utf8 : bytes
        The text, UTF-8 encoded.
    delimiter : str
        The field delimiter; fields may be quoted with ``"`` (doubled inside).
    first_line : int
        The file line number of the first line of ``utf8``.
    name : str
        The file name, for messages.

    Raises
    ------
    DataError
        When the text ends inside a quoted field (an unclosed ``"``, or a truncated file).
    """
    allow_large_fields()
    text = io.TextIOWrapper(io.BytesIO(utf8), encoding="utf-8", newline="")
    pending: list[str] = []

    def lines() -> Iterator[str]:
        for line in text:
            pending.append(line)
            yield line

    reader = csv.reader(lines(), delimiter=delimiter, quotechar='"', doublequote=True)
    line = first_line
    last: Record | None = None
    for fields in reader:
        taken = pending[:]
        pending.clear()
        last = Record(line, fields, taken)
        line += len(taken)
        yield last
    if last is not None:
        check_closed(last.raw, delimiter, last.line, len(last.lines), name)


def check_closed(raw: str, delimiter: str, line: int, n_lines: int, name: str = "") -> None:
    """Raise :class:`DataError` if ``raw`` (the last record) ends inside a quoted field."""
    try:
        for _ in csv.reader(io.StringIO(raw, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error as error:
        if "unexpected end of data" not in str(error):
            return  # other strictness complaints ("x" after a closing quote) are tolerated
        prefix = f"{name}, line {line}" if name else f"line {line}"
        span = f" (it runs over the last {n_lines} lines)" if n_lines > 1 else ""
        raise DataError(
            f"{prefix}: a quoted field opens but is never closed before the end of the "
            f"file{span}: a '\"' is missing or stray there, or the file is truncated; fix "
            "that line or download the export again"
        ) from None
