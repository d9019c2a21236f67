"""Search outputs for values that must never appear in them (planted names, phone numbers).

Later stages prove with :func:`scan_for_values` that no personal value from the raw data
reaches ``clean/`` or ``reports/``. Matching is deliberately generous, so that a leak is not
missed because it was reformatted:

* case- and diacritic-insensitive (``Arbër`` matches ``ARBER``), after undoing HTML/XML
  entities and JSON escapes;
* whole words only (``Ana`` does not match ``Analysis`` or a base64 image);
* a value that is a phone number matches whatever the spacing, dots, dashes, brackets or
  country prefix (``+355 69 123 4567`` matches ``0691234567`` and ``691234567``).

Files read: Parquet, CSV/TSV/TXT/MD/HTML/XML/SVG/YAML/JSON/IPYNB and any other text file,
XLSX/XLSM/DOCX/PPTX/ODS (every XML part inside, so cells, sheet names, comments and charts),
SPSS ``.sav`` and Stata ``.dta`` (values, variable and value labels). Images, PDFs and other
binary files are listed in ``result.attrs["skipped"]``, never silently passed.
"""

from __future__ import annotations

import html
import json
import os
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evaluation.errors import ParamsError
from evaluation.privacy.patterns import fold

HIT_COLUMNS = ("source", "location", "value")
_TEXT_SUFFIXES = {
    ".csv",
    ".tsv",
    ".txt",
    ".md",
    ".html",
    ".htm",
    ".xml",
    ".svg",
    ".yaml",
    ".yml",
    ".log",
    ".tex",
    ".rst",
}
_JSON_SUFFIXES = {".json", ".ipynb", ".geojson"}
_ZIP_SUFFIXES = {".xlsx", ".xlsm", ".docx", ".pptx", ".ods", ".odt", ".zip"}
_BINARY_SUFFIXES = {
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".pdf",
    ".ico",
    ".webp",
    ".bmp",
    ".tif",
    ".tiff",
}
_PHONE_CHARS = re.compile(r"[\d\s+().\-/]+")
_COUNTRY = re.compile(r"^(?:\+|00)355|^0")


@dataclass(frozen=True)
class _Needle:
    value: str
    pattern: re.Pattern[str]


def scan_for_values(
    sources: str | os.PathLike[str] | pd.DataFrame | Mapping[str, pd.DataFrame] | Iterable[object],
    values: Iterable[object],
) -> pd.DataFrame:
    """Find where any of ``values`` appears in files, folders or data frames.

    Parameters
    ----------
    sources : path, DataFrame, mapping of name → DataFrame, or an iterable of these
        Folders are searched recursively (sorted, symlinks followed).
    values : iterable
        The strings (or numbers) that must not appear. Empty and missing ones are ignored.

    Returns
    -------
    DataFrame
        One row per hit: ``source`` (file path or frame name), ``location`` (``line 12``,
        ``sheet 'Logframe' cell B4``, ``column 'x', row 3``, ``xl/charts/chart1.xml`` …) and
        ``value`` (the searched value that was found). ``attrs["skipped"]`` lists files that
        could not be searched (images, PDFs, unreadable files) and ``attrs["searched"]``
        counts the sources searched.

    Raises
    ------
    ParamsError
        A path that does not exist.

    Examples
    --------
    >>> frame = pd.DataFrame({"note": ["called 069 123 4567"]})
    >>> scan_for_values(frame, ["+355691234567"])["location"].tolist()
    ["column 'note', row 0"]
    """
    needles = _needles(values)
    hits: list[dict[str, str]] = []
    skipped: list[str] = []
    searched = 0
    for name, source in _expand(sources):
        searched += 1
        if not needles:
            continue
        if isinstance(source, pd.DataFrame):
            hits += _scan_frame(name, source, needles)
        else:
            hits += _scan_file(Path(source), needles, skipped)
    result = pd.DataFrame(hits, columns=list(HIT_COLUMNS))
    result.attrs["skipped"] = skipped
    result.attrs["searched"] = searched
    return result


def _needles(values: Iterable[object]) -> list[_Needle]:
    needles = []
    for value in values:
        if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
            continue
        text = str(value).strip()
        if text:
            needles.append(_Needle(text, _compile(text)))
    return needles


def _compile(text: str) -> re.Pattern[str]:
    digits = re.sub(r"\D", "", text)
    if _PHONE_CHARS.fullmatch(text) and len(digits) >= 7:
        national = re.sub(r"\D", "", _COUNTRY.sub("", re.sub(r"[\s().\-/]", "", text)))
        sep = r"[\s().\-/]*"
        prefix = rf"(?:(?:\+|00){sep}355{sep}|0{sep})?"
        return re.compile(rf"(?<!\d){prefix}{sep.join(national)}(?!\d)")
    return re.compile(rf"(?<![^\W_]){re.escape(fold(text))}(?![^\W_])")


def _matches(text: str, needles: list[_Needle]) -> list[str]:
    if not text:
        return []
    folded = fold(html.unescape(text)) if ("&" in text) else fold(text)
    return [n.value for n in needles if n.pattern.search(folded)]


def _expand(sources: object) -> Iterator[tuple[str, object]]:
    if isinstance(sources, pd.DataFrame):
        yield "frame", sources
    elif isinstance(sources, Mapping):
        for name, frame in sources.items():
            yield str(name), frame
    elif isinstance(sources, str | os.PathLike):
        path = Path(sources)
        if not path.exists():
            raise ParamsError(f"scan_for_values: {path} does not exist; give a file or folder")
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                yield str(file), file
        else:
            yield str(path), path
    else:
        for index, item in enumerate(sources):  # type: ignore[union-attr]
            if isinstance(item, pd.DataFrame):
                yield f"frame[{index}]", item
            else:
                yield from _expand(item)


def _scan_frame(name: str, frame: pd.DataFrame, needles: list[_Needle]) -> list[dict[str, str]]:
    hits = [
        _hit(name, f"column name '{column}'", value)
        for column in frame.columns
        for value in _matches(str(column), needles)
    ]
    for column in frame.columns:
        series = frame[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        present = series.dropna()
        for text, rows in (
            present.astype(str).groupby(present.astype(str), sort=False).groups.items()
        ):
            for value in _matches(text, needles):
                hits.append(_hit(name, f"column '{column}', row {rows[0]}", value))
    return hits


def _scan_file(path: Path, needles: list[_Needle], skipped: list[str]) -> list[dict[str, str]]:
    suffix = path.suffix.lower()
    if suffix in _BINARY_SUFFIXES:
        skipped.append(f"{path} (binary {suffix} file)")
        return []
    try:
        return _scan_by_type(path, suffix, needles, skipped)
    except Exception as error:  # recorded, not swallowed: the caller sees attrs["skipped"]
        skipped.append(f"{path} (unreadable: {type(error).__name__}: {error})")
        return []


def _scan_by_type(
    path: Path, suffix: str, needles: list[_Needle], skipped: list[str]
) -> list[dict[str, str]]:
    if suffix == ".parquet":
        return _scan_frame(str(path), pd.read_parquet(path), needles)
    if suffix in (".sav", ".dta"):
        return _scan_stats_file(path, needles)
    if suffix in _ZIP_SUFFIXES and zipfile.is_zipfile(path):
        return _scan_zip(path, needles)
    data = path.read_bytes()
    if suffix in _JSON_SUFFIXES:
        document = _json_or_none(data)
        if document is not None:
            return [
                _hit(str(path), where, value)
                for where, text in _json_strings(document, "$")
                for value in _matches(text, needles)
            ]
    if b"\x00" in data[:8192] and suffix not in _TEXT_SUFFIXES:
        skipped.append(f"{path} (binary file)")
        return []
    return _scan_text(str(path), _decode(data), needles)


def _scan_text(name: str, text: str, needles: list[_Needle]) -> list[dict[str, str]]:
    hits = []
    for number, line in enumerate(text.splitlines(), start=1):
        hits += [_hit(name, f"line {number}", value) for value in _matches(line, needles)]
    return hits


def _json_or_none(data: bytes) -> object | None:
    try:
        return json.loads(_decode(data))
    except ValueError:
        return None


def _json_strings(node: object, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield f"{where}.{key} (key)", str(key)
            yield from _json_strings(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _json_strings(value, f"{where}[{index}]")
    elif node is not None:
        yield where, str(node)


def _scan_zip(path: Path, needles: list[_Needle]) -> list[dict[str, str]]:
    hits, covered = [], set()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        hits, covered = _scan_cells(path, needles)
    with zipfile.ZipFile(path) as archive:
        for member in sorted(archive.namelist()):
            if member.endswith("/") or member in covered or not _is_text_part(member):
                continue
            text = _decode(archive.read(member))
            if member.endswith((".xml", ".rels", ".vml")):
                text = re.sub(r"<[^>]+>", " ", text)
            hits += [_hit(str(path), f"part {member}", v) for v in _matches(text, needles)]
    return hits


def _scan_cells(path: Path, needles: list[_Needle]) -> tuple[list[dict[str, str]], set[str]]:
    """Cells (values and formulas) and sheet names, located as ``sheet 'x' cell B4``."""
    from openpyxl import load_workbook

    hits = []
    book = load_workbook(path, read_only=True, data_only=False)
    try:
        for sheet in book.worksheets:
            hits += [
                _hit(str(path), f"sheet name '{sheet.title}'", v)
                for v in _matches(sheet.title, needles)
            ]
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.value is None:
                        continue
                    where = f"sheet '{sheet.title}' cell {cell.coordinate}"
                    hits += [_hit(str(path), where, v) for v in _matches(str(cell.value), needles)]
    finally:
        book.close()
    with zipfile.ZipFile(path) as archive:
        covered = {
            m
            for m in archive.namelist()
            if re.fullmatch(r"xl/(worksheets/sheet\d+|sharedStrings)\.xml", m)
        }
    return hits, covered


def _is_text_part(member: str) -> bool:
    return not member.lower().endswith(
        (".png", ".jpeg", ".jpg", ".gif", ".emf", ".wmf", ".bin", ".tif", ".tiff")
    )


def _scan_stats_file(path: Path, needles: list[_Needle]) -> list[dict[str, str]]:
    import pyreadstat

    reader = pyreadstat.read_sav if path.suffix.lower() == ".sav" else pyreadstat.read_dta
    frame, meta = reader(str(path))
    hits = _scan_frame(str(path), frame, needles)
    labels = [*(meta.column_labels or []), meta.file_label or ""]
    for value_labels in (meta.variable_value_labels or {}).values():
        labels += [str(v) for v in value_labels.values()]
    for label in labels:
        hits += [_hit(str(path), "labels", value) for value in _matches(str(label or ""), needles)]
    return hits


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1250", errors="replace")


def _hit(source: str, location: str, value: str) -> dict[str, str]:
    return {"source": source, "location": location, "value": value}
