"""What a reader returns: a table of raw string cells and where each cell came from.

:class:`RawExport` is the contract between the file readers and the next layer (mapping
columns to questions, parsing types, validating rows). It knows nothing about the
questionnaire: every cell is a Python ``str`` or missing, and everything the reader
detected, chose or normalised is recorded next to the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evaluation.errors import Problem

FORMATS: tuple[str, ...] = ("kobo_csv", "odk_csv", "csv", "kobo_xlsx", "xlsx", "spss", "stata")
"""The values of :attr:`RawExport.format`."""


@dataclass(frozen=True)
class MalformedRow:
    """A CSV record whose number of fields differs from the header's.

    The record is still a row of :attr:`RawExport.frame` (nothing is dropped): its first
    fields fill the columns in order, missing fields are missing, and fields beyond the
    header are kept here in :attr:`extra`.

    A row with **too many** fields may have shifted (an unquoted delimiter inside a value),
    so :attr:`shifted` is true and the next layer must quarantine it with :meth:`message`
    as the reason. A row with **too few** fields keeps its fields in place and lacks the
    last columns (read as missing): the next layer flags it. (When *every* row is short by
    the same count, the writer left out trailing empty fields: that is a note, not a
    malformed row.)

    Attributes
    ----------
    index : int
        Position of the row in ``frame`` (0-based).
    line : int
        1-based line of the file on which the record starts.
    n_fields : int
        Number of fields found.
    expected : int
        Number of fields in the header.
    extra : tuple of str
        The fields beyond the header (empty when the record is short).
    raw : str
        The record's text as in the file (all its lines).
    """

    index: int
    line: int
    n_fields: int
    expected: int
    extra: tuple[str, ...] = ()
    raw: str = ""

    @property
    def shifted(self) -> bool:
        """True when the row has too many fields, so its values may sit in wrong columns."""
        return self.n_fields > self.expected

    @property
    def problem(self) -> str:
        """``"too many fields"`` or ``"too few fields"``."""
        return "too many fields" if self.n_fields > self.expected else "too few fields"

    def message(self) -> str:
        """One sentence saying what is wrong and what to do."""
        if self.n_fields > self.expected:
            return (
                f"{self.n_fields} fields where the header has {self.expected}: the values may "
                f"have shifted (extra: {', '.join(repr(v) for v in self.extra[:3])}); "
                "check the delimiter and quoting of this line"
            )
        return (
            f"{self.n_fields} fields where the header has {self.expected}: the last "
            f"{self.expected - self.n_fields} columns are missing; the line may be cut short"
        )


@dataclass(frozen=True, eq=False)
class RawExport:
    """An export file read as a table of raw strings, with full provenance.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per data row of the file, one column per header name (as in the file,
        after removing a byte-order mark and stray surrounding spaces, see ``notes``).
        Every column has pandas' string dtype: a cell is a Python ``str`` or missing
        (``NaN``). Only the configured missing markers (see ``missing_markers``) became
        missing; numbers, dates and codes are kept as text for the next layer to parse.
    source_rows : numpy.ndarray
        For each row of ``frame``, the 1-based line (CSV), sheet row (XLSX) or case
        number (SPSS/Stata) it came from, so messages can say "row 57". Read-only int64.
    path : pathlib.Path
        The file read.
    sha256 : str
        SHA-256 of the file's bytes (hex).
    format : str
        One of :data:`FORMATS`.
    format_evidence : str
        Why that format was recognised (the columns or bytes that identify it).
    encoding, encoding_evidence : str or None, str
        The text encoding (``"utf-8"``, ``"utf-8-sig"``, ``"windows-1250"``,
        ``"utf-8+windows-1250"`` for a file mixing both line by line, ``"utf-16"``, or the
        encoding an SPSS/Stata file declares) and how it was found.
    delimiter, delimiter_evidence : str or None, str
        The CSV field delimiter and how it was found.
    sheet : str or None
        The XLSX sheet read.
    sheets : tuple of str
        Every sheet of the workbook, in order (see :attr:`other_sheets`).
    header : tuple of str
        The header cells exactly as in the file (before stripping spaces).
    header_rows : int
        Rows taken by the header: 1, or 2 when a Kobo HXL row of ``#tags`` follows it.
    hxl_tags : mapping
        Column name → HXL tag, when a tag row was found.
    value_labels : mapping
        SPSS/Stata: column → {code as it appears in ``frame``: label}.
    variable_labels : mapping
        SPSS/Stata: column → variable label.
    declared_missing : mapping
        SPSS: column → the user-missing codes or ranges the file declares (the codes
        themselves are kept in ``frame``).
    missing_markers : mapping
        Each missing marker (``""`` = empty cell) → how many cells held it and became
        missing.
    malformed : tuple of MalformedRow
        CSV rows whose field count differs from the header's (to be quarantined).
    skipped_rows : tuple of int
        Lines/rows that were not data: blank lines and rows whose every cell is empty.
    redecoded_lines : tuple of int
        Lines of a mixed-encoding file read as Windows-1250 instead of UTF-8.
    reader : str
        ``"fast"`` (pyarrow CSV parser), ``"careful"`` (Python ``csv``, line by line),
        ``"openpyxl"`` or ``"pyreadstat"``.
    notes : tuple of str
        Every normalisation applied and every choice made, in words.
    """

    frame: pd.DataFrame
    source_rows: np.ndarray
    path: Path
    sha256: str
    format: str
    format_evidence: str = ""
    encoding: str | None = None
    encoding_evidence: str = ""
    delimiter: str | None = None
    delimiter_evidence: str = ""
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    header_rows: int = 1
    hxl_tags: Mapping[str, str] = field(default_factory=dict)
    value_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    variable_labels: Mapping[str, str] = field(default_factory=dict)
    declared_missing: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    missing_markers: Mapping[str, int] = field(default_factory=dict)
    malformed: tuple[MalformedRow, ...] = ()
    skipped_rows: tuple[int, ...] = ()
    redecoded_lines: tuple[int, ...] = ()
    reader: str = ""
    notes: tuple[str, ...] = ()

    @property
    def rows_read(self) -> int:
        """Number of data rows read (header, HXL and empty rows excluded)."""
        return len(self.frame)

    @property
    def other_sheets(self) -> tuple[str, ...]:
        """The workbook's sheets that were not read (Kobo: the repeat groups)."""
        return tuple(s for s in self.sheets if s != self.sheet)

    def where(self, index: int | None = None, column: str = "") -> str:
        """``file, sheet 'x', row 57, column 'age'`` for a row position of ``frame``."""
        row = None if index is None else int(self.source_rows[index])
        return Problem(file=str(self.path), sheet=self.sheet or "", row=row, column=column).where()

    def problems(self) -> list[Problem]:
        """One :class:`~evaluation.errors.Problem` per malformed row, for quarantine."""
        return [
            Problem(
                file=str(self.path),
                row=m.line,
                found=m.raw.rstrip("\r\n")[:200],
                rule=m.problem,
                message=m.message(),
            )
            for m in self.malformed
        ]

    def summary(self) -> dict[str, Any]:
        """What was read and detected, as plain JSON-ready values (for the ingest log)."""
        return {
            "path": str(self.path),
            "sha256": self.sha256,
            "format": self.format,
            "format_evidence": self.format_evidence,
            "encoding": self.encoding,
            "encoding_evidence": self.encoding_evidence,
            "delimiter": self.delimiter,
            "delimiter_evidence": self.delimiter_evidence,
            "sheet": self.sheet,
            "sheets": list(self.sheets),
            "header_rows": self.header_rows,
            "columns": len(self.frame.columns),
            "rows_read": self.rows_read,
            "missing_markers": dict(self.missing_markers),
            "malformed_lines": [m.line for m in self.malformed],
            "skipped_rows": list(self.skipped_rows),
            "redecoded_lines": list(self.redecoded_lines),
            "reader": self.reader,
            "notes": list(self.notes),
        }
