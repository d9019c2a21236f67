"""XLSX exports (KoboToolbox's "XLS" download, or a sheet re-saved by hand) as raw strings.

openpyxl reads the sheet in read-only (streaming) mode. Cells become the text a person
would type, so the next layer parses every format the same way:

* numbers → shortest round-trip text, with no spurious ``.0`` for integers (``3.0`` → ``"3"``);
* dates → ISO 8601 (``2022-05-04``, or ``2022-05-04T21:28:46`` when the value has a time);
  times → ``08:56:00``; durations → ``26:00:00``;
* booleans → ``"TRUE"``/``"FALSE"``; error cells (``#N/A``) stay as their text, with a note;
* formula cells → the value Excel saved with the file (a note says how many); a formula
  with no saved value is a :class:`DataError` naming the cell;
* merged cells in the header row → :class:`DataError` (a merged header hides which column a
  name belongs to); merged cells below the header → a note: Excel keeps the value in the
  first cell only, and the others are read as empty, never filled in.

Sheet choice: the ``sheet=`` given, or the first visible worksheet whose row 1 holds at
least two names (Kobo: the first sheet holds the main rows, the others the repeat groups).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter, range_boundaries

from evaluation.errors import DataError, ParamsError, did_you_mean, format_values
from evaluation.readers.parsed import Parsed, RowCollector, line_list, source_array

_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MERGE = re.compile(
    rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref="([A-Za-z]+\d+(?::[A-Za-z]+\d+)?)"'
)
_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")
_TIME_CODES = re.compile(r"[hHsS]")
_QUOTED = re.compile(r'"[^"]*"|\\.')
_CHUNK = 1 << 20


@dataclass(frozen=True)
class SheetInfo:
    """One sheet of the workbook: its name, XML part, visibility and kind."""

    name: str
    part: str
    state: str  # "visible", "hidden", "veryHidden"
    worksheet: bool  # False for chart sheets


@dataclass
class _Counts:
    """What the cell conversion did, for the notes."""

    numbers: int = 0
    dates: int = 0
    booleans: int = 0
    errors: list[str] = field(default_factory=list)


def read_xlsx(data: bytes, name: str, *, sheet: str | int | None = None) -> Parsed:
    """Read one sheet of an XLSX workbook into a :class:`Parsed` table of raw strings.

    Parameters
    ----------
    data : bytes
        The workbook's bytes.
    name : str
        The file name, for messages.
    sheet : str or int, optional
        The sheet to read, by name or 0-based position; by default the first visible
        worksheet whose row 1 holds at least two names.

    Raises
    ------
    DataError
        For a damaged workbook, no sheet with data, merged header cells, a formula cell
        without a saved value, or values in a column that has no name.
    ParamsError
        If ``sheet`` names no sheet of the workbook.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return _read(data, name, sheet, caught)
        except (DataError, ParamsError):
            raise
        except Exception as error:  # openpyxl/zipfile/XML raise many types on damaged files
            raise DataError(
                f"{name}: the workbook cannot be read ({type(error).__name__}: {error}); it is "
                "probably damaged or truncated: download the export again, or open it in "
                "Excel/LibreOffice and save it again as .xlsx"
            ) from error


def _read(data: bytes, name: str, sheet: str | int | None, caught: list[Any]) -> Parsed:
    archive = zipfile.ZipFile(io.BytesIO(data))
    infos = _workbook_sheets(archive)
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    info, choice_note = _choose_sheet(workbook, infos, sheet, name)
    merged, has_formulas = _scan_sheet_xml(archive, info.part)
    header_merges = [ref for ref in merged if range_boundaries(ref)[1] == 1]
    if header_merges:
        raise DataError(
            f"{name}, sheet '{info.name}': header cells {format_values(header_merges)} are "
            "merged; an export has exactly one name per column in row 1. Unmerge them and "
            "give each column its own name (and delete any title rows above the names)"
        )
    formulas = _formula_cells(data, info.name) if has_formulas else set()
    parsed = _read_cells(workbook, name, info.name, formulas)
    parsed.notes.insert(0, choice_note)
    if merged:
        parsed.notes.append(
            f"merged cells {format_values(merged)} below the header: Excel keeps the value in "
            "the first cell of each range only; the other cells are read as empty"
        )
    parsed.notes.extend(f"openpyxl: {w.message}" for w in caught)
    parsed.meta.update(sheet=info.name, sheets=tuple(i.name for i in infos))
    return parsed


def _workbook_sheets(archive: zipfile.ZipFile) -> list[SheetInfo]:
    """Sheets in workbook order, with their XML part, state and kind (from workbook.xml)."""
    rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {}
    for rel in rels.iter(f"{_PKG_REL_NS}Relationship"):
        target = rel.get("Target", "")
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        targets[rel.get("Id")] = (part, rel.get("Type", "").endswith("/worksheet"))
    book = ET.fromstring(archive.read("xl/workbook.xml"))
    infos = []
    for element in book.iter(f"{_MAIN_NS}sheet"):
        part, worksheet = targets.get(element.get(f"{_REL_NS}id"), ("", False))
        infos.append(
            SheetInfo(element.get("name", ""), part, element.get("state", "visible"), worksheet)
        )
    return infos


def _choose_sheet(
    workbook: Any, infos: list[SheetInfo], sheet: str | int | None, name: str
) -> tuple[SheetInfo, str]:
    names = [i.name for i in infos]
    if isinstance(sheet, int):
        if not 0 <= sheet < len(infos):
            raise ParamsError(
                f"sheet={sheet} is out of range: {name} has {len(infos)} sheets "
                f"({format_values(names)}); positions start at 0"
            )
        return _require_worksheet(infos[sheet], name), f"sheet '{infos[sheet].name}' (sheet=)"
    if sheet is not None:
        if sheet not in names:
            raise ParamsError(
                f"sheet={sheet!r} is not a sheet of {name}{did_you_mean(sheet, names)}; its "
                f"sheets are {format_values(names, limit=20)}"
            )
        return _require_worksheet(infos[names.index(sheet)], name), f"sheet '{sheet}' (sheet=)"
    skipped = []
    for info in infos:
        if not info.worksheet or info.state != "visible":
            skipped.append(f"'{info.name}' ({'hidden' if info.worksheet else 'a chart'})")
            continue
        first = next(workbook[info.name].iter_rows(max_row=1, values_only=True), ())
        filled = sum(v is not None and str(v).strip() != "" for v in first)
        if filled >= 2:
            why = f"; skipped {', '.join(skipped)}" if skipped else ""
            return info, (
                f"sheet '{info.name}' read: the first visible sheet with column names in row 1{why}"
            )
        skipped.append(f"'{info.name}' ({'row 1 empty' if not filled else 'one name in row 1'})")
    raise DataError(
        f"{name}: no sheet looks like data (column names in row 1): {', '.join(skipped)}. "
        "Put the column names in row 1 (delete title rows above them), or pass sheet="
    )


def _require_worksheet(info: SheetInfo, name: str) -> SheetInfo:
    if not info.worksheet:
        raise ParamsError(f"sheet '{info.name}' of {name} is a chart, not a worksheet")
    return info


def _scan_sheet_xml(archive: zipfile.ZipFile, part: str) -> tuple[list[str], bool]:
    """Merged ranges and whether any formula exists, by streaming the sheet's XML
    (openpyxl's read-only mode exposes neither)."""
    merged: list[str] = []
    has_formulas = False
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(_CHUNK):
            text = tail + chunk
            has_formulas = has_formulas or _FORMULA.search(text) is not None
            cut = max(0, len(text) - 512)
            merged.extend(m.group(1).decode() for m in _MERGE.finditer(text) if m.end() <= cut)
            tail = text[cut:]
    merged.extend(m.group(1).decode() for m in _MERGE.finditer(tail))
    return list(dict.fromkeys(merged)), has_formulas


def _formula_cells(data: bytes, sheet: str) -> set[tuple[int, int]]:
    """(row, column) of every formula cell, 1-based."""
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    worksheet = workbook[sheet]
    worksheet.reset_dimensions()
    return {
        (r, c)
        for r, row in enumerate(worksheet.iter_rows(), start=1)
        for c, cell in enumerate(row, start=1)
        if cell.data_type == "f"
    }


def _rows(workbook: Any, sheet: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
    worksheet = workbook[sheet]
    worksheet.reset_dimensions()  # the stored dimension can be wrong; read every row
    yield from enumerate(worksheet.iter_rows(), start=1)


def _read_cells(workbook: Any, name: str, sheet: str, formulas: set[tuple[int, int]]) -> Parsed:
    counts = _Counts()
    rows = _rows(workbook, sheet)
    header_row = next(rows, (1, ()))[1]
    header = [_text(cell, counts) or "" for cell in header_row]
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    uncached = [(1, c) for c in range(1, width + 1) if (1, c) in formulas and not header[c - 1]]
    beyond: list[str] = []
    collector = RowCollector(width)
    starts: list[int] = []
    for number, row in rows:
        cells = [_text(cell, counts) for cell in row[:width]]
        cells.extend([None] * (width - len(cells)))
        beyond.extend(
            f"{get_column_letter(c)}{number}"
            for c, cell in enumerate(row[width:], start=width + 1)
            if not _is_blank(cell)
        )
        if formulas:
            uncached.extend(
                (number, c)
                for c in range(1, width + 1)
                if (number, c) in formulas and cells[c - 1] is None
            )
        collector.add(cells)
        starts.append(number)
    _check_complete(name, sheet, header, beyond, uncached)
    parsed = Parsed(
        kind="xlsx",
        header=header,
        table=collector.table(),
        source_rows=source_array(starts),
        meta={"reader": "openpyxl"},
        column_letters=True,
    )
    parsed.notes.extend(_conversion_notes(counts, len(formulas)))
    return parsed


def _check_complete(
    name: str, sheet: str, header: list[str], beyond: list[str], uncached: list[tuple[int, int]]
) -> None:
    where = f"{name}, sheet '{sheet}'"
    if not header:
        raise DataError(f"{where}: row 1 is empty; the column names must be in row 1")
    if uncached:
        cells = [f"{get_column_letter(c)}{r}" for r, c in uncached]
        raise DataError(
            f"{where}: formula cells {format_values(cells)} have no saved value (the file was "
            "written by a program that does not calculate formulas); open it in Excel or "
            "LibreOffice and save it again, or replace the formulas by their values"
        )
    if beyond:
        column = re.sub(r"\d+", "", beyond[0])
        raise DataError(
            f"{where}: cells {format_values(beyond)} hold values to the right of the last "
            f"named column ({get_column_letter(len(header))}); give column {column} a name in "
            "row 1 or delete those values"
        )


def _conversion_notes(counts: _Counts, formulas: int) -> list[str]:
    notes = []
    if counts.numbers:
        notes.append(f"{counts.numbers} number cells written as text (integers without '.0')")
    if counts.dates:
        notes.append(f"{counts.dates} date/time cells written as ISO 8601 text")
    if counts.booleans:
        notes.append(f"{counts.booleans} TRUE/FALSE cells written as 'TRUE'/'FALSE'")
    if formulas:
        notes.append(f"{formulas} formula cells read as their cached (saved) values")
    if counts.errors:
        notes.append(
            f"{len(counts.errors)} cells hold Excel errors, kept as text: "
            f"{line_list(counts.errors)}"
        )
    return notes


def _text(cell: Any, counts: _Counts) -> str | None:
    """The cell's value as the text a person would type (``None`` for an empty cell)."""
    value = cell.value
    if value is None:
        return None
    if isinstance(value, str):
        if cell.data_type == "e":
            counts.errors.append(f"{cell.coordinate} ({value})")
        return value
    if isinstance(value, bool):
        counts.booleans += 1
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        counts.numbers += 1
        return number_text(value)
    counts.dates += 1
    return _date_text(value, getattr(cell, "number_format", "") or "")


def _is_blank(cell: Any) -> bool:
    return cell.value is None or (isinstance(cell.value, str) and not cell.value.strip())


def number_text(value: float) -> str:
    """``3.0`` → ``"3"``, ``4.288`` → ``"4.288"`` (shortest text that reads back the same)."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer():
        return str(int(value))
    return repr(value)


def _date_text(value: Any, number_format: str) -> str:
    if isinstance(value, dt.datetime):
        shows_time = _TIME_CODES.search(_QUOTED.sub("", number_format)) is not None
        if value.time() == dt.time(0) and not shows_time:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
        sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{sign}{int(hours)}:{int(minutes):02d}:{number_text(secs).zfill(2)}"
    return str(value)
