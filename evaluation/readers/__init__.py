"""Raw-file readers: any export file → a table of raw string cells with full provenance.

``read_export`` is the only entry point. It reads KoboToolbox CSV (``;``, every field
quoted) and XLSX exports, ODK Central CSV, any other CSV or XLSX, SPSS ``.sav`` and Stata
``.dta``. It knows nothing about the questionnaire: the next layer maps columns to
questions, parses types and validates rows. Its promises:

* every cell is a Python ``str`` or missing; only the configured missing markers become
  missing; numbers, dates and codes stay text;
* every data row of the file is a row of ``frame``, with its line/row in ``source_rows``;
  a malformed CSV row is kept and listed in ``malformed``; blank and fully empty rows are
  skipped and listed; nothing is dropped or invented silently;
* everything detected or normalised (format, encoding, delimiter, sheet, header fixes,
  conversions) is recorded, with the evidence;
* bad input raises one :class:`~evaluation.errors.DataError` naming the file, the place
  and what to do, never another exception and never a partial result;
* the input is only ever opened for reading.

Modules: :mod:`.filekind` (what the bytes are), :mod:`.encoding`, :mod:`.delimiter`,
:mod:`.csv_records` and :mod:`.csv_reader` (CSV), :mod:`.xlsx`, :mod:`.statfiles`
(SPSS/Stata), :mod:`.finishing` (rules shared by all formats), :mod:`.model` (the result).
"""

from __future__ import annotations

import codecs
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from evaluation.errors import DataError, ParamsError
from evaluation.readers.csv_reader import read_csv
from evaluation.readers.filekind import detect_kind
from evaluation.readers.finishing import finish
from evaluation.readers.model import FORMATS, MalformedRow, RawExport
from evaluation.readers.parsed import Parsed
from evaluation.readers.statfiles import read_statfile
from evaluation.readers.xlsx import read_xlsx

__all__ = ["FORMATS", "MalformedRow", "RawExport", "read_export"]


def read_export(
    path: str | os.PathLike[str],
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    na_values: Iterable[str] | None = None,
) -> RawExport:
    """Read one export file into a :class:`RawExport` of raw string cells.

    Parameters
    ----------
    path : str or path-like
        The export file (CSV, XLSX, SPSS ``.sav``, Stata ``.dta``). Its kind is judged by
        its bytes, not its name. It is opened read-only.
    sheet : str or int, optional
        XLSX: the sheet to read (name, or 0-based position). By default the first visible
        sheet whose row 1 holds at least two column names (Kobo: the main table).
    encoding : str, optional
        CSV: the text encoding to use (strictly) instead of detecting one; detection
        recognises UTF-8, UTF-8/UTF-16 with a byte-order mark, Windows-1250 and files
        mixing UTF-8 and Windows-1250 lines. SPSS/Stata: passed to pyreadstat for old
        files that do not declare their encoding.
    delimiter : str, optional
        CSV: the field delimiter, instead of detecting it among ``,`` ``;`` tab ``|``. It
        is still checked: a delimiter that leaves every row in one column while another
        splits the file is an error.
    na_values : iterable of str, optional
        Missing markers besides the empty cell, from the form or dataset config (e.g.
        ``["NA", "n/a", "-", "999"]``). A cell equal to one (exactly, case and spaces
        included) becomes missing. Empty cells are always missing.

    Returns
    -------
    RawExport
        ``frame`` (string cells), ``source_rows``, and what was detected and normalised;
        ``rows_read == len(frame)``. A file with a header and no data rows gives 0 rows
        and a note (it is not an error).

    Raises
    ------
    DataError
        The file is missing, empty, binary, truncated or damaged, or cannot be read as a
        table (see the message for where and what to do).
    ParamsError
        An option is invalid (``delimiter`` not one character, unknown ``encoding``,
        ``sheet`` not in the workbook, ``na_values`` not strings).

    Notes
    -----
    There is no R or library function that returns this record; the closest are
    ``readr::read_csv(col_types = cols(.default = "c"), na = na_values)`` with
    ``readr::problems()``, and ``haven::read_sav(user_na = TRUE)`` for SPSS.

    Examples
    --------
    >>> raw = read_export("baseline.csv", na_values=["NA", "999"])  # doctest: +SKIP
    >>> raw.format, raw.encoding, raw.delimiter, raw.rows_read  # doctest: +SKIP
    ('kobo_csv', 'utf-8', ';', 1187)
    >>> raw.where(56, "age")  # doctest: +SKIP
    "baseline.csv, row 58, column 'age'"
    """
    path = Path(path)
    markers = _check_options(sheet, encoding, delimiter, na_values)
    data = _read_bytes(path)
    sha256 = hashlib.sha256(data).hexdigest()
    kind = detect_kind(data, path)
    notes = [kind.note] if kind.note else []
    notes.extend(_ignored_options(kind.kind, sheet, encoding, delimiter))
    parsed = _parse(kind.kind, data, str(path), sheet, encoding, delimiter)
    del data
    return finish(parsed, path=path, sha256=sha256, na_values=markers, notes=notes)


def _parse(
    kind: str,
    data: bytes,
    name: str,
    sheet: str | int | None,
    encoding: str | None,
    delimiter: str | None,
) -> Parsed:
    if kind == "xlsx":
        return read_xlsx(data, name, sheet=sheet)
    if kind in ("spss", "stata"):
        return read_statfile(data, name, kind, encoding=encoding)
    return read_csv(data, name, encoding=encoding, delimiter=delimiter)


def _read_bytes(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file; check the path and the file name") from None
    except IsADirectoryError:
        raise DataError(f"{path}: this is a folder, not an export file") from None
    except PermissionError:
        raise DataError(f"{path}: the file cannot be opened (permission denied)") from None


def _check_options(
    sheet: object, encoding: object, delimiter: object, na_values: object
) -> list[str]:
    if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, str | int)):
        raise ParamsError(f"sheet={sheet!r} must be a sheet name or a 0-based position")
    if encoding is not None:
        try:
            codecs.lookup(str(encoding))
        except LookupError:
            raise ParamsError(
                f"encoding={encoding!r} is not a known text encoding; use e.g. 'utf-8', "
                "'utf-8-sig' or 'windows-1250', or leave it out to detect it"
            ) from None
    if delimiter is not None and (
        not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n'
    ):
        raise ParamsError(
            f"delimiter={delimiter!r} must be one character other than a quote or line end, "
            "e.g. ',', ';' or '\\t'; or leave it out to detect it"
        )
    if na_values is None:
        return []
    if isinstance(na_values, str):
        raise ParamsError(f"na_values={na_values!r} must be a list of strings, e.g. ['NA', '999']")
    markers = list(na_values)  # type: ignore[call-overload]
    wrong = [m for m in markers if not isinstance(m, str)]
    if wrong:
        raise ParamsError(
            f"na_values must be strings (as they appear in the file), got {wrong[:5]!r}; "
            "write 999 as '999'"
        )
    return markers


def _ignored_options(kind: str, sheet: object, encoding: object, delimiter: object) -> list[str]:
    ignored = []
    if sheet is not None and kind != "xlsx":
        ignored.append("sheet=")
    if delimiter is not None and kind != "text":
        ignored.append("delimiter=")
    if encoding is not None and kind == "xlsx":
        ignored.append("encoding=")
    if not ignored:
        return []
    return [f"{' and '.join(ignored)} ignored: they do not apply to a {kind} file"]
