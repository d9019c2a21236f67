"""The disclosure gate: the last, independent check on the files about to leave the workbench.

Small cells are suppressed when the tables are built (:mod:`evaluation.privacy.disclosure`,
:mod:`evaluation.report.donor.protect`) and the donor workbook refuses personal columns. The
gate does not trust any of that: it reads the **files** a delivery is about to send (a report
HTML, a workbook, the ``summary.<lang>.json`` that goes into the e-mail body) and blocks the
delivery when it finds

1. a **phone number or e-mail address** anywhere in the text (the detectors of
   :mod:`evaluation.privacy.patterns`); aggregate reports hold none, and the addresses in
   ``allowed`` (the workbench's own contact lines) are let through;
2. a **column header or JSON key equal to a personal field** (``forbidden``: the
   questionnaires' ``personal_data`` marks and the donor workbook's row-level columns, see
   :func:`project_forbidden`), such as ``participant_name``, ``panel_code`` or ``phone``;
3. any of ``values`` (planted personal values in tests), through
   :func:`evaluation.privacy.scan_for_values`.

What is read, per file type:

* **HTML**: every line, after removing embedded base64 images (``data:`` URIs) and undoing
  character entities; table headers are the ``<th>`` cells.
* **XLSX**: every text cell (numbers and dates are not phone numbers here: a mobile stored
  as a number is caught by its column header or by ``values``), sheet names, cell comments,
  page headers and footers, and the text of charts, drawings and document properties.
  Header cells are those of each sheet's autofilter row, the row above its frozen panes,
  its Excel tables' header rows and its first non-empty row (the layout of
  :class:`~evaluation.report.workbook.Workbook` and of ``DataFrame.to_excel``). A field name
  elsewhere (a data-quality table that lists questions) is not a header and is allowed.
  A file named ``.xlsx`` that is not a zip archive is read as text.
* **JSON**: every key (the headers of JSON) and every string value, located by its path
  (``$.lines[2]``); a file that is not valid JSON is read as text.
* **CSV, TXT, MD**: every line; the first line's cells of a CSV are its headers.
* Anything else (PDF, images) or a file that cannot be read: the gate cannot vouch for it,
  so it blocks (kind ``unchecked``). It fails closed.

Phone candidates inside UUIDs (``uuid:5bc53ef1-0592-4032-…``) are not phone numbers and are
passed over; values are checked one cell, line or string at a time, never across cells.

A finding never carries the personal value in full: :func:`mask` keeps at most a third of
it and at most six characters (``+355 6…``; an e-mail address ``ana…@…``), enough to find
it, not enough to read it.
"""

from __future__ import annotations

import html
import json
import re
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

import pandas as pd

from evaluation.errors import InstrumentError, PrivacyError
from evaluation.paths import SOURCE_ROOT, instruments_dir
from evaluation.privacy._files import TAG, decode, is_text_part
from evaluation.privacy.patterns import EMAIL, find_phones, is_numeric_mobile

__all__ = [
    "FINDING_COLUMNS",
    "Finding",
    "GateResult",
    "check_outgoing",
    "mask",
    "mask_email",
    "project_forbidden",
]

FINDING_COLUMNS = ("file", "location", "kind", "found")
KINDS = ("phone", "e-mail", "personal field", "listed value", "unchecked")
MASK_CHARS = 6
"""Most characters of a personal value a finding shows."""

_TEXT_SUFFIXES = {".txt", ".md", ".csv", ".tsv", ".log"}
_HTML_SUFFIXES = {".html", ".htm"}
_XLSX_SUFFIXES = {".xlsx", ".xlsm"}
_DATA_URI = re.compile(r"data:[\w.+/-]+;base64,[A-Za-z0-9+/=\s]+", re.IGNORECASE)
_TH = re.compile(r"<th\b[^>]*>(.*?)</th\s*>", re.IGNORECASE | re.DOTALL)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEADER_FOOTER = re.compile(
    r"<(?:odd|even|first)(?:Header|Footer)>(.*?)</(?:odd|even|first)(?:Header|Footer)>", re.DOTALL
)
_XML_TEXT = re.compile(r">([^<]+)<")
_NUMBER_CACHE = re.compile(r"<c:numCache>.*?</c:numCache>", re.DOTALL)
# parts read cell by cell through openpyxl, or holding no text a reader sees
_XLSX_COVERED = re.compile(
    r"(xl/worksheets/.*|xl/sharedStrings\.xml|xl/comments.*|xl/styles\.xml|xl/theme/.*"
    r"|.*\.rels|\[Content_Types\]\.xml|xl/calcChain\.xml|xl/printerSettings/.*)"
)


@dataclass(frozen=True)
class Finding:
    """One reason the gate blocks.

    Attributes
    ----------
    file : Path
        The outgoing file.
    location : str
        Where in it: ``line 12``, ``sheet 'Cases' cell C5``, ``key $.participant_name`` ...
    kind : str
        ``phone``, ``e-mail``, ``personal field``, ``listed value`` or ``unchecked``.
    found : str
        What was found, masked (:func:`mask`): ``+355 6…``; for a personal field, the
        header as written (a field name is not a personal value); for ``unchecked``, why.
    """

    file: Path
    location: str
    kind: str
    found: str

    def describe(self) -> str:
        """``workbook.en.xlsx, sheet 'Cases' cell C5: +355 6… (phone)``."""
        where = f"{self.file.name}, {self.location}" if self.location else self.file.name
        return f"{where}: {self.found} ({self.kind})"


@dataclass(frozen=True)
class GateResult:
    """The gate's verdict on a set of outgoing files.

    Attributes
    ----------
    files : tuple of Path
        The files checked, in the order given.
    findings : tuple of Finding
        Everything that blocks, file by file; empty when the files may leave.
    seconds : float
        Wall time of the check.
    """

    files: tuple[Path, ...]
    findings: tuple[Finding, ...]
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """True when nothing was found: the files may leave."""
        return not self.findings

    @property
    def reason(self) -> str:
        """The verdict on one line, naming the first finding and counting the rest.

        ``personal data in the outgoing files, nothing sent: workbook.en.xlsx, sheet 'Cases'
        cell C5: +355 6… (phone); 3 more (workbook.en.xlsx 2, report.en.html 1)``
        """
        if self.passed:
            return f"no personal data found in {len(self.files)} outgoing file(s)"
        first, rest = self.findings[0], self.findings[1:]
        line = f"personal data in the outgoing files, nothing sent: {first.describe()}"
        if rest:
            counts: dict[str, int] = {}
            for finding in rest:
                counts[finding.file.name] = counts.get(finding.file.name, 0) + 1
            where = ", ".join(f"{name} {count}" for name, count in counts.items())
            line += f"; {len(rest)} more ({where})"
        return line

    def table(self) -> pd.DataFrame:
        """The findings as a table: ``file`` (name), ``location``, ``kind``, ``found``."""
        rows = [(f.file.name, f.location, f.kind, f.found) for f in self.findings]
        return pd.DataFrame(rows, columns=list(FINDING_COLUMNS))

    def raise_if_blocked(self) -> None:
        """Raise :class:`~evaluation.errors.PrivacyError` with :attr:`reason` if blocked."""
        if not self.passed:
            raise PrivacyError(
                f"disclosure gate: {self.reason}. Find where it came from (the notebook, the "
                "data, a hand edit), fix it and publish a new run"
            )


@dataclass(frozen=True)
class _Piece:
    """One string of a file as a reader sees it, with its place; ``header`` for column
    headers, sheet names and JSON keys."""

    location: str
    text: str
    header: bool = False


def check_outgoing(
    files: Iterable[str | Path],
    *,
    forbidden: Iterable[str] = (),
    values: Iterable[object] = (),
    allowed: Iterable[str] = (),
) -> GateResult:
    """Check the files about to leave the workbench for personal data.

    Parameters
    ----------
    files : iterable of path
        The outgoing files (report HTML, workbooks, summary JSON ...).
    forbidden : iterable of str
        Names that must not be a column header, sheet name or JSON key (compared ignoring
        case and surrounding spaces): the personal fields of the questionnaires and the
        row-level columns, as :func:`project_forbidden` gives them.
    values : iterable, optional
        Values that must not appear anywhere (planted personal values), found with
        :func:`~evaluation.privacy.scan_for_values` (whole words, any case or accents,
        phone numbers in any spelling).
    allowed : iterable of str, optional
        E-mail addresses and phone numbers that may appear: the workbench's own contact
        lines (``Name <address>`` is accepted and reduced to the address).

    Returns
    -------
    GateResult
        ``passed`` when nothing was found; otherwise ``findings`` (file, location, kind,
        masked value) and a one-line ``reason``.

    Notes
    -----
    The gate fails closed: a file it cannot read, or of a type it cannot read (PDF,
    images), is a finding of kind ``unchecked``. See the module docstring for what is
    read in each file type.

    Examples
    --------
    >>> result = check_outgoing(["report.en.html"], forbidden={"phone"})  # doctest: +SKIP
    >>> result.passed, result.reason  # doctest: +SKIP
    (False, "personal data ...: report.en.html, line 40: ana@… (e-mail)")
    """
    start = time.perf_counter()
    paths = tuple(Path(f) for f in files)
    names = {str(n).strip().casefold() for n in forbidden if str(n).strip()}
    emails, phones = _allowed(allowed)
    findings: list[Finding] = []
    for path in paths:
        try:
            for piece in _pieces(path):
                findings += _check_piece(path, piece, names, emails, phones)
        except _Unchecked as why:
            findings.append(Finding(path, "", "unchecked", str(why)))
        except Exception as error:  # unreadable: the gate cannot vouch for the file
            why = f"could not be read ({type(error).__name__}: {error})"
            findings.append(Finding(path, "", "unchecked", " ".join(why.split())))
    findings += _listed_values(paths, values)
    return GateResult(paths, tuple(findings), time.perf_counter() - start)


def mask(value: object) -> str:
    """Show only the start of a personal value: at most a third of it, at most
    :data:`MASK_CHARS` characters, then ``…``.

    ``"+355 69 123 4567"`` → ``"+355 6…"``; ``"Ana"`` → ``"A…"``.
    """
    text = " ".join(str(value).split())
    keep = min(MASK_CHARS, max(1, -(-len(text) // 3)))
    return text[:keep] + "…"


def mask_email(address: str) -> str:
    """:func:`mask` of the part before ``@``, the domain hidden: ``ana.hoxha@gmail.com`` →
    ``ana…@…``."""
    local = address.rpartition("@")[0] or address
    return f"{mask(local)}@…"


def project_forbidden(root: Path | None = None) -> frozenset[str]:
    """The names that must never be an outgoing header: the personal fields of the
    project's questionnaires and the donor workbook's row-level columns.

    Parameters
    ----------
    root : Path, optional
        The project root (default :func:`~evaluation.paths.project_root`). Its
        ``surveys/instruments`` are read; a project without questionnaires of its own (a
        fresh folder, a test project) uses those shipped with the workbench.

    Returns
    -------
    frozenset of str
        :func:`evaluation.report.donor.personal_fields` of every form (``personal_data``:
        direct, linking, free text) and :data:`evaluation.report.donor.ROW_LEVEL_COLUMNS`.

    Raises
    ------
    PrivacyError
        A questionnaire cannot be read: without its personal fields the gate cannot check.
    """
    from evaluation.report.donor import ROW_LEVEL_COLUMNS

    forms = _forms(instruments_dir(root)) or _forms(instruments_dir(SOURCE_ROOT))
    return frozenset(ROW_LEVEL_COLUMNS) | _personal_fields(forms)


def _forms(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in (".xlsx", ".xls") and not p.name.startswith(("~$", "."))
    )


def _personal_fields(paths: list[Path]) -> frozenset[str]:
    """Personal fields of the forms at ``paths`` (``read_instrument`` keeps parsed forms by
    content hash, so a repeated gate does not parse them again)."""
    from evaluation.instruments import read_instrument
    from evaluation.report.donor import personal_fields

    forms = []
    for path in paths:
        try:  # the pipeline checked the forms with pyxform's converter already
            forms.append(read_instrument(path, convert=False))
        except InstrumentError as error:
            raise PrivacyError(
                f"disclosure gate: the questionnaire {Path(path).name} cannot be read, so its "
                f"personal fields are unknown ({error.one_line()}); fix the form"
            ) from None
    return frozenset(personal_fields(forms))


# --------------------------------------------------------------------------- checks
def _allowed(allowed: Iterable[str]) -> tuple[set[str], set[str]]:
    emails, phones = set(), set()
    for item in allowed:
        if not item:
            continue
        address = parseaddr(str(item))[1] or str(item)
        if "@" in address:
            emails.add(address.strip().casefold())
        else:
            phones.add(_digits(str(item)))
    return emails, phones


def _digits(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    for prefix in ("00355", "355", "0"):
        if digits.startswith(prefix):
            return digits[len(prefix) :]
    return digits


def _check_piece(
    path: Path, piece: _Piece, forbidden: set[str], emails: set[str], phones: set[str]
) -> list[Finding]:
    found = []
    text = piece.text
    if piece.header and text.strip().casefold() in forbidden:
        found.append(Finding(path, piece.location, "personal field", f"'{text.strip()}'"))
    for match in EMAIL.finditer(text):
        if match.group(0).casefold() not in emails:
            found.append(Finding(path, piece.location, "e-mail", mask_email(match.group(0))))
    for phone in find_phones(_UUID.sub(" ", text)):
        if _digits(phone) not in phones:
            found.append(Finding(path, piece.location, "phone", mask(phone)))
    return found


def _listed_values(paths: tuple[Path, ...], values: Iterable[object]) -> list[Finding]:
    wanted = [v for v in values if v is not None and str(v).strip()]
    if not wanted:
        return []
    from evaluation.privacy.scan import scan_for_values

    by_name = {str(p): p for p in paths}
    hits = scan_for_values(list(paths), wanted)
    found = [
        Finding(by_name.get(h.source, Path(h.source)), h.location, "listed value", mask(h.value))
        for h in hits.itertuples()
    ]
    for entry in hits.attrs.get("skipped", []):
        source, _, why = str(entry).partition(" (")
        found.append(
            Finding(by_name.get(source, Path(source)), "", "unchecked", f"not searched ({why}")
        )
    return found


# --------------------------------------------------------------------------- readers
class _Unchecked(Exception):
    """A file the gate cannot read by its type."""


def _pieces(path: Path) -> Iterator[_Piece]:
    suffix = path.suffix.lower()
    if suffix in _HTML_SUFFIXES:
        return _html_pieces(decode(path.read_bytes()))
    if suffix == ".json":
        return _json_pieces(decode(path.read_bytes()))
    if suffix in _XLSX_SUFFIXES:
        if not zipfile.is_zipfile(path):  # not a workbook: its bytes are all there is
            return _line_pieces(decode(path.read_bytes()))
        return _xlsx_pieces(path)
    if suffix in _TEXT_SUFFIXES:
        return _text_pieces(decode(path.read_bytes()), csv=suffix in (".csv", ".tsv"))
    raise _Unchecked(f"a {suffix or 'suffix-less'} file cannot be checked by the gate")


def _line_pieces(text: str) -> Iterator[_Piece]:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield _Piece(f"line {number}", line)


def _text_pieces(text: str, csv: bool) -> Iterator[_Piece]:
    yield from _line_pieces(text)
    lines = text.splitlines()
    if csv and lines:
        delimiter = max((",", ";", "\t"), key=lines[0].count)
        for cell in lines[0].split(delimiter):
            yield _Piece("line 1 (header)", cell.strip().strip('"'), header=True)


def _html_pieces(text: str) -> Iterator[_Piece]:
    text = _DATA_URI.sub("data:…", text)
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield _Piece(f"line {number}", html.unescape(line))
    for match in _TH.finditer(text):
        number = text.count("\n", 0, match.start()) + 1
        cell = " ".join(html.unescape(TAG.sub(" ", match.group(1))).split())
        yield _Piece(f"line {number}, table header", cell, header=True)


def _json_pieces(text: str) -> Iterator[_Piece]:
    try:
        document = json.loads(text)
    except ValueError:
        yield from _line_pieces(text)
        return
    yield from _json_walk(document, "$")


def _json_walk(node: object, where: str) -> Iterator[_Piece]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield _Piece(f"key {where}.{key}", str(key), header=True)
            yield from _json_walk(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _json_walk(value, f"{where}[{index}]")
    elif isinstance(node, str):
        yield _Piece(where, node)


def _xlsx_pieces(path: Path) -> Iterator[_Piece]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=False, data_only=False)
    try:
        for sheet in book.worksheets:
            yield from _sheet_pieces(sheet)
    finally:
        book.close()
    with zipfile.ZipFile(path) as archive:
        for member in sorted(archive.namelist()):
            if not is_text_part(member):
                continue
            data = decode(archive.read(member))
            if member.startswith("xl/worksheets/") and member.endswith(".xml"):
                texts = _HEADER_FOOTER.findall(data)
                where = f"page header or footer ({member})"
            elif _XLSX_COVERED.fullmatch(member):
                continue
            else:  # charts, drawings, document properties; cached chart numbers are numbers
                texts = _XML_TEXT.findall(_NUMBER_CACHE.sub(" ", data))
                where = f"part {member}"
            for chunk in texts:
                if chunk.strip():
                    yield _Piece(where, html.unescape(chunk))


def _sheet_pieces(sheet: object) -> Iterator[_Piece]:
    from openpyxl.utils import get_column_letter

    title = sheet.title  # type: ignore[attr-defined]
    yield _Piece(f"sheet name '{title}'", title, header=True)
    headers = _header_rows(sheet)
    first = None
    for r, row in enumerate(sheet.iter_rows(values_only=True), start=1):  # type: ignore[attr-defined]
        if first is None and any(v is not None for v in row):
            first = r
            headers.add(r)
        for c, value in enumerate(row, start=1):
            if isinstance(value, str) and value.strip():
                cell = f"{get_column_letter(c)}{r}"
                header = r in headers
                where = f"sheet '{title}' cell {cell}" + (" (header)" if header else "")
                yield _Piece(where, value, header=header)
            elif _is_number(value) and is_numeric_mobile(value):
                # a mobile number stored as a number (its leading 0 lost): written as a
                # phone, so the phone finder sees it; no count in a report is that large
                digits = str(int(value))
                shown = f"+{digits}" if digits.startswith("355") else f"0{digits}"
                yield _Piece(f"sheet '{title}' cell {get_column_letter(c)}{r}", shown)
    for row in sheet.iter_rows():  # type: ignore[attr-defined]
        for cell in row:
            if cell.comment is not None and cell.comment.text:
                where = f"sheet '{title}' comment on {cell.coordinate}"
                yield _Piece(where, f"{cell.comment.text} {cell.comment.author or ''}")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _header_rows(sheet: object) -> set[int]:
    """Rows that hold column headers: the autofilter's first row, the row above frozen
    panes, each Excel table's header row (the first non-empty row is added by the caller)."""
    from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries

    rows: set[int] = set()
    ref = sheet.auto_filter.ref  # type: ignore[attr-defined]
    if ref:
        rows.add(range_boundaries(ref)[1])
    frozen = sheet.freeze_panes  # type: ignore[attr-defined]
    if frozen:
        below = coordinate_to_tuple(frozen)[0]
        if below > 1:
            rows.add(below - 1)
    for table in sheet.tables.values():  # type: ignore[attr-defined]
        if table.headerRowCount != 0:
            rows.add(range_boundaries(table.ref)[1])
    return rows
