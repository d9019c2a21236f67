"""CSV exports (KoboToolbox ``;``, ODK Central ``,``, Excel re-saves) read as raw strings.

Two paths give the same result (a test checks that they do):

* the **fast path** parses the whole file with pyarrow's multi-threaded CSV reader, every
  column as a string. If every record is one line, record *i* is on line *i*; otherwise
  (newlines inside quoted fields, blank lines, lone ``\\r`` line ends) one pass of
  :mod:`~evaluation.readers.csv_records` supplies the line numbers and must find the same
  records. Records with another number of fields than the header are set aside by pyarrow;
  up to :data:`PATCH_LIMIT` of them are read by that same pass and put back in place,
  padded with missing cells or with their extra fields kept in a
  :class:`~evaluation.readers.model.MalformedRow`.
* the **careful path** reads record by record with Python's ``csv`` module. It is taken
  when more records than that are malformed, or when pyarrow refuses the file, or when the
  two parsers disagree on the records.
"""

from __future__ import annotations

import re
from itertools import islice

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from evaluation.errors import DataError
from evaluation.readers.csv_records import Record, check_closed, iter_records
from evaluation.readers.delimiter import Choice, check_given, sample_text, sniff
from evaluation.readers.encoding import decode
from evaluation.readers.model import MalformedRow
from evaluation.readers.parsed import TEXT, Parsed, RowCollector, line_list, source_array

_BLOCK_BYTES = 1 << 24  # pyarrow parses blocks of 16 MB in parallel
PATCH_LIMIT = 10_000
"""At most this many malformed records are put back into the fast parser's table; more
than that (a file whose rows mostly disagree with its header) goes the careful way."""
_LONE_CR = re.compile(rb"\r(?!\n)")


class _Fallback(Exception):
    """The fast path cannot vouch for the result; the message says why."""


def read_csv(
    data: bytes, name: str, *, encoding: str | None = None, delimiter: str | None = None
) -> Parsed:
    """Read a CSV export's bytes into a :class:`Parsed` table of raw strings.

    Parameters
    ----------
    data : bytes
        The file's bytes.
    name : str
        The file name, for messages.
    encoding, delimiter : str, optional
        Use these instead of detecting them (both are still checked).

    Raises
    ------
    DataError
        For binary or undecodable text, a file with no header, a wrong delimiter, or a
        quoted field that never closes.
    """
    decoded = decode(data, name, encoding)
    utf8, first_line, sep_hint = _strip_sep_line(decoded.utf8)
    notes = list(decoded.notes)
    if sep_hint:
        notes.append(f"Excel 'sep={sep_hint}' first line skipped")
    choice = _choose_delimiter(utf8, name, delimiter, sep_hint)
    width = _header_width(utf8, choice.delimiter, first_line, name)
    try:
        parsed = _read_fast(utf8, choice.delimiter, first_line, name, width)
    except _Fallback as why:
        parsed = _read_careful(utf8, choice.delimiter, first_line, name)
        parsed.notes.insert(0, f"read with the careful line-by-line reader because {why}")
    parsed.notes[:0] = notes
    parsed.meta.update(
        encoding=decoded.encoding,
        encoding_evidence=decoded.evidence,
        redecoded_lines=decoded.redecoded_lines,
        delimiter=choice.delimiter,
        delimiter_evidence=choice.evidence,
    )
    return parsed


def _strip_sep_line(utf8: bytes) -> tuple[bytes, int, str]:
    """Excel may write ``sep=;`` as the first line to name the delimiter; skip it."""
    end = utf8.find(b"\n", 0, 16)
    line = utf8[:end].rstrip(b"\r") if end >= 0 else b""
    if len(line) == 5 and line.startswith(b"sep="):
        return utf8[end + 1 :], 2, line[4:].decode()
    return utf8, 1, ""


def _choose_delimiter(utf8: bytes, name: str, given: str | None, sep_hint: str) -> Choice:
    text, complete = sample_text(utf8)
    if given is not None:
        return check_given(text, complete, given, name)
    if sep_hint:
        return Choice(sep_hint, f"named by the file's first line 'sep={sep_hint}' (Excel)")
    return sniff(text, complete)


def _header_width(utf8: bytes, delimiter: str, first_line: int, name: str) -> int:
    for record in islice(iter_records(utf8, delimiter, first_line, name), 10_000):
        if record.fields:
            return len(record.fields)
    raise DataError(
        f"{name}: the file has no header row (it holds only blank lines); export it again"
    )


def _read_fast(utf8: bytes, delimiter: str, first_line: int, name: str, width: int) -> Parsed:
    table, invalid = _arrow_parse(utf8, delimiter, width)
    header = [table.column(i)[0].as_py() or "" for i in range(width)]
    notes: list[str] = []
    malformed: list[MalformedRow] = []
    if table.num_rows == 1 and len(invalid) >= 2 and len(set(invalid)) == 1:
        body = _reparse_with_count(utf8, delimiter, width, invalid[0])
        starts, blank = _fast_line_numbers(utf8, delimiter, first_line, name, body.num_rows + 1)
        notes.append(_shape_note(invalid[0], header, len(invalid), len(invalid)))
    elif len(invalid) > PATCH_LIMIT:
        raise _Fallback(f"{len(invalid)} records have a different number of fields than the header")
    elif invalid:
        table, starts, blank, malformed = _put_back_malformed(
            table, utf8, delimiter, first_line, name
        )
        body = table.slice(1)
        notes.append(
            f"the fast parser set aside {len(malformed)} records with another number of "
            "fields; they were read with the csv module and put back in place"
        )
    else:
        starts, blank = _fast_line_numbers(utf8, delimiter, first_line, name, table.num_rows)
        body = table.slice(1)
    parsed = Parsed(
        kind="csv",
        header=header,
        table=body.rename_columns([str(i) for i in range(width)]),
        source_rows=source_array(starts[1:]),
        skipped_rows=blank,
        meta={"reader": "fast"},
        empty_is_null=True,
    )
    _note_blank_lines(parsed, blank)
    parsed.notes.extend(notes)
    _report_malformed(parsed, malformed, len(starts) - 1, header)
    return parsed


def _arrow_parse(utf8: bytes, delimiter: str, width: int) -> tuple[pa.Table, list[int]]:
    """Every record with ``width`` fields as a row of string cells (empty → null), and the
    field counts of the records set aside."""
    invalid: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid.append(row.actual_columns)
        return "skip"

    names = [f"f{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(utf8),
            read_options=pacsv.ReadOptions(column_names=names, block_size=_BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=True,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, TEXT),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise _Fallback(f"the fast parser stopped ({error})") from None
    return table, invalid


def _reparse_with_count(utf8: bytes, delimiter: str, width: int, count: int) -> pa.Table:
    """Every data row has ``count`` fields, the header ``width``: parse the rows with their
    own count, then add the missing trailing columns as nulls, or drop trailing columns
    that are empty everywhere (:func:`_accept_writer_shape`'s rule, at full speed)."""
    table, invalid = _arrow_parse(utf8, delimiter, count)
    if invalid != [width]:  # the header alone must be set aside now
        raise _Fallback("the rows do not all have the same number of fields")
    if count > width:
        if any(table.column(i).null_count != table.num_rows for i in range(width, count)):
            raise _Fallback(f"every row has {count} fields, the header {width}")
        table = table.select(list(range(width)))
    for i in range(count, width):
        table = table.append_column(f"f{i}", pa.nulls(table.num_rows, TEXT))
    return table


def _put_back_malformed(
    table: pa.Table, utf8: bytes, delimiter: str, first_line: int, name: str
) -> tuple[pa.Table, list[int], list[int], list[MalformedRow]]:
    """Read the records pyarrow skipped with the ``csv`` module and insert them where
    they were, padded or cut to the header's width; also return every record's line."""
    width = table.num_columns
    starts: list[int] = []  # first line of each record, the header first
    blank: list[int] = []
    bad = []  # (position among records, record)
    for record in iter_records(utf8, delimiter, first_line, name):
        if not record.fields:
            blank.append(record.line)
            continue
        if len(record.fields) != width:
            bad.append((len(starts), record))
        starts.append(record.line)
    if len(starts) - len(bad) != table.num_rows:
        raise _Fallback(
            f"the fast parser kept {table.num_rows} records but the line scan "
            f"{len(starts) - len(bad)}"
        )
    pieces, malformed, taken = [], [], 0
    for position, record in bad:
        good_before = position - len(malformed)
        pieces.append(table.slice(taken, good_before - taken))
        taken = good_before
        fields = record.fields
        cells = [f or None for f in fields[:width]] + [None] * (width - len(fields))
        pieces.append(pa.table([pa.array([c], TEXT) for c in cells], names=table.column_names))
        malformed.append(_malformed(position - 1, record, width))
    pieces.append(table.slice(taken))
    return pa.concat_tables(pieces), starts, blank, malformed


def _malformed(index: int, record: Record, width: int) -> MalformedRow:
    return MalformedRow(
        index=index,
        line=record.line,
        n_fields=len(record.fields),
        expected=width,
        extra=tuple(record.fields[width:]),
        raw=record.raw,
    )


def _fast_line_numbers(
    utf8: bytes, delimiter: str, first_line: int, name: str, n_records: int
) -> tuple[np.ndarray, list[int]]:
    """Start line of each record (header included) and the blank lines skipped."""
    physical = utf8.count(b"\n") + (0 if utf8.endswith(b"\n") else 1)
    lone_cr = _LONE_CR.search(utf8) is not None
    if physical == n_records and not lone_cr:
        end = len(utf8)
        while end and utf8[end - 1] in b"\r\n":
            end -= 1
        last = utf8[utf8.rfind(b"\n", 0, end) + 1 : end].decode("utf-8")
        check_closed(last, delimiter, first_line + n_records - 1, 1, name)
        return np.arange(first_line, first_line + n_records, dtype=np.int64), []
    starts: list[int] = []
    blank: list[int] = []
    for record in iter_records(utf8, delimiter, first_line, name):
        (starts if record.fields else blank).append(record.line)
    if len(starts) != n_records:
        raise _Fallback(
            f"the fast parser found {n_records} records but the line scan {len(starts)}"
        )
    return np.asarray(starts, dtype=np.int64), blank


def _read_careful(utf8: bytes, delimiter: str, first_line: int, name: str) -> Parsed:
    records = iter_records(utf8, delimiter, first_line, name)
    blank: list[int] = []
    header = None
    for record in records:
        if record.fields:
            header = record
            break
        blank.append(record.line)
    if header is None:
        raise DataError(f"{name}: the file has no header row (it holds only blank lines)")
    width = len(header.fields)
    rows = RowCollector(width)
    starts: list[int] = []
    malformed: list[MalformedRow] = []
    for record in records:
        fields: list[str | None] = list(record.fields)
        if not fields:
            blank.append(record.line)
            continue
        if len(fields) != width:
            malformed.append(_malformed(len(starts), record, width))
            fields = fields[:width] + [None] * (width - len(fields))
        rows.add(fields)
        starts.append(record.line)
    parsed = Parsed(
        kind="csv",
        header=list(header.fields),
        table=rows.table(),
        source_rows=source_array(starts),
        skipped_rows=blank,
        meta={"reader": "careful"},
    )
    _note_blank_lines(parsed, blank)
    _report_malformed(parsed, malformed, len(starts), header.fields)
    return parsed


def _report_malformed(
    parsed: Parsed, malformed: list[MalformedRow], n_rows: int, header: list[str]
) -> None:
    parsed.malformed = _accept_writer_shape(parsed, malformed, n_rows, header)
    if not parsed.malformed:
        return
    lines = [m.line for m in parsed.malformed]
    parsed.notes.append(
        f"{len(lines)} rows have a different number of fields than the header's "
        f"{len(header)} (lines {line_list(lines, 20)}): kept, and listed in `malformed` (rows "
        "with too many fields may have shifted and must be quarantined)"
    )
    last = parsed.malformed[-1]
    if last.index == n_rows - 1 and last.n_fields < len(header):
        parsed.notes.append("the last row is short: the file may be truncated")


def _accept_writer_shape(
    parsed: Parsed, malformed: list[MalformedRow], n_rows: int, header: list[str]
) -> list[MalformedRow]:
    """Accept the field count most rows share when it is a writer's habit, not damage.

    Some writers leave out trailing empty fields (ODK Central's 2019 exports have no field
    for the last column, ``Status``), others end every line with a delimiter. When at least
    two rows exist and more of them share such a count than have the header's count, those
    rows are read as they are (their trailing fields are empty), with a note; rows with any
    other count stay malformed.
    """
    groups: dict[int, list[MalformedRow]] = {}
    for row in malformed:
        groups.setdefault(row.n_fields, []).append(row)
    if n_rows < 2 or not groups:
        return malformed
    count, rows = max(groups.items(), key=lambda item: len(item[1]))
    if len(rows) <= n_rows - len(malformed):
        return malformed
    if count > len(header) and any(v.strip() for row in rows for v in row.extra):
        return malformed
    parsed.notes.append(_shape_note(count, header, len(rows), n_rows))
    return [row for row in malformed if row.n_fields != count]


def _shape_note(count: int, header: list[str], n_group: int, n_rows: int) -> str:
    width = len(header)
    if count < width:
        missing = ", ".join(map(repr, header[count:]))
        what = f"the writer left out trailing empty fields: column(s) {missing} are missing"
    else:
        what = f"each ends with {count - width} empty field(s) beyond the header, ignored"
    return f"{n_group} of {n_rows} rows have {count} fields where the header has {width}: {what}"


def _note_blank_lines(parsed: Parsed, blank: list[int]) -> None:
    if blank:
        parsed.notes.append(f"{len(blank)} blank lines skipped (lines {line_list(blank, 20)})")
