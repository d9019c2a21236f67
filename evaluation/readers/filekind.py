"""What kind of file this is, judged by its bytes rather than its name.

Field teams rename files (an XLSX saved as ``.csv``, a photo of a form attached instead of
the export), so the reader looks at the leading bytes: a ZIP holding ``xl/workbook.xml`` is
an XLSX workbook, ``$FL2``/``$FL3`` is SPSS, ``<stata_dta>`` (or an old Stata header) is
Stata, known binary signatures are refused with their name, and anything else is text.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from evaluation.errors import DataError

# Signatures of files that are not exports, so the message can name what was sent.
_NOT_EXPORTS: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"PAR1", "a Parquet file"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"{\\rtf", "an RTF document"),
    (b"BM", "a BMP image"),
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EXTENSIONS = {
    "text": {".csv", ".txt", ".tsv", ".tab"},
    "xlsx": {".xlsx", ".xlsm"},
    "spss": {".sav", ".zsav"},
    "stata": {".dta"},
}


@dataclass(frozen=True)
class FileKind:
    """The kind of a file (``text``, ``xlsx``, ``spss`` or ``stata``) and a note if its
    name says otherwise."""

    kind: str
    note: str = ""


def detect_kind(data: bytes, path: Path) -> FileKind:
    """Decide how to read ``data`` from its leading bytes.

    Raises
    ------
    DataError
        For an empty file, a file of a kind the workbench cannot read (image, PDF,
        legacy ``.xls``, a ZIP that is not a workbook), or a damaged XLSX.
    """
    name = str(path)
    if path.suffix.lower() == ".por":
        raise DataError(
            f"{name}: SPSS portable (.por) files are not read; open it in SPSS and save it as .sav"
        )
    if not data:
        raise DataError(
            f"{name}: the file is empty (0 bytes); download or export it again from "
            "KoboToolbox/ODK Central"
        )
    kind = _kind_from_bytes(data, name)
    suffix = path.suffix.lower()
    expected = next((k for k, suffixes in _EXTENSIONS.items() if suffix in suffixes), None)
    note = ""
    if expected is not None and expected != kind:
        what = {"text": "a text (CSV) file", "xlsx": "an XLSX workbook"}.get(kind, kind.upper())
        note = f"the file is named '{suffix}' but its bytes are {what}; it was read as such"
    return FileKind(kind, note)


def _kind_from_bytes(data: bytes, name: str) -> str:
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(data, name)
    if data.startswith(_OLE2):
        raise DataError(
            f"{name}: this is a legacy Excel 97-2003 (.xls) workbook or a password-protected "
            "Office file, which the workbench does not read; open it in Excel or LibreOffice "
            "and save it as .xlsx (or as 'CSV UTF-8'), without a password"
        )
    if data.startswith((b"$FL2", b"$FL3")):
        return "spss"
    if data.startswith(b"<stata_dta>") or _old_stata_header(data):
        return "stata"
    for signature, what in _NOT_EXPORTS:
        if data.startswith(signature) and (signature != b"BM" or b"\x00" in data[:64]):
            raise DataError(
                f"{name}: this is {what}, not a data export; send the CSV, XLSX, SPSS (.sav) "
                "or Stata (.dta) file downloaded from KoboToolbox/ODK Central instead"
            )
    _refuse_markup(data, name)
    return "text"


def _refuse_markup(data: bytes, name: str) -> None:
    """A web page or API answer saved under an export's name (an expired login gives an
    HTML page; the Kobo API gives JSON) would otherwise be read as a one-column CSV."""
    start = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<?xml", b"<table")):
        raise DataError(
            f"{name}: this is an HTML/XML document (a web page, perhaps a login or error page "
            "from the server), not a data export; download the export again while logged in"
        )
    if start.startswith((b'{"', b"[{", b"[]")):
        raise DataError(
            f"{name}: this is JSON (an API response?), not a CSV export; download the CSV or "
            "XLSX export from the project's data downloads instead"
        )


def _old_stata_header(data: bytes) -> bool:
    """Stata formats 102-116 start with the release byte, byte order (1 or 2) and 1."""
    return len(data) > 4 and 102 <= data[0] <= 116 and data[1] in (1, 2) and data[2] == 1


def _zip_kind(data: bytes, name: str) -> str:
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise DataError(
            f"{name}: the file starts like a ZIP/XLSX file but cannot be opened ({error}); it "
            "is probably truncated or damaged: download or export it again"
        ) from None
    if "xl/workbook.xml" in members:
        return "xlsx"
    csvs = [m for m in members if m.lower().endswith(".csv")]
    if csvs:
        shown = ", ".join(csvs[:5]) + (f" and {len(csvs) - 5} more" if len(csvs) > 5 else "")
        raise DataError(
            f"{name}: this is a ZIP archive of CSV files ({shown}), as ODK Central exports "
            "forms with repeat groups; unzip it and read each CSV file"
        )
    if "word/document.xml" in members:
        raise DataError(f"{name}: this is a Word document, not a data export")
    raise DataError(
        f"{name}: this is a ZIP archive but not an XLSX workbook (it has no "
        "xl/workbook.xml); send the export file itself"
    )
