"""Search outputs for values that must never appear in them (planted names, phone numbers).

Later stages prove with :func:`scan_for_values` that no personal value from the raw data
reaches ``clean/`` or ``reports/``. Matching is deliberately generous, so that a leak is not
missed because it was reformatted:

* case- and diacritic-insensitive (``Arbër`` matches ``ARBER``), after undoing HTML/XML
  entities and JSON escapes;
* whole words only (``Ana`` does not match ``Analysis``);
* a value that is a phone number matches whatever the spacing, dots, dashes, brackets or
  country prefix (``+355 69 123 4567`` matches ``0691234567`` and ``691234567``), also when a
  column or cell stores it as a number.

Files read: Parquet (column names, file metadata, text and categorical columns; numeric
columns for phone numbers stored as numbers), CSV/TSV/TXT/MD/HTML/XML/SVG/YAML/JSON/IPYNB
and any other text file, XLSX/XLSM/DOCX/PPTX/ODS (every XML part inside, so cells, sheet
names, comments and charts), SPSS ``.sav`` and Stata ``.dta`` (values, variable and value
labels). Embedded base64 images (``data:`` URIs in HTML, ``image/*`` outputs of notebooks)
hold no readable text and are passed over. Images, PDFs and other binary files are listed in
``result.attrs["skipped"]``, never silently passed.

Speed: each file is read and normalised once and all values are looked up at once (see
:mod:`evaluation.privacy._needles`); a workbook is opened cell by cell only when its text
holds a candidate. The demo world's clean folder and quality report take about a second.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evaluation.errors import ParamsError
from evaluation.privacy._files import TAG, decode, is_text_part
from evaluation.privacy._needles import Needles

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
Hits = list[dict[str, str]]


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

    Notes
    -----
    Numeric columns and cells are searched for phone numbers only (a mobile stored as a
    number loses its leading ``0``); every other value can only be written as text.

    Examples
    --------
    >>> frame = pd.DataFrame({"note": ["called 069 123 4567"]})
    >>> scan_for_values(frame, ["+355691234567"])["location"].tolist()
    ["column 'note', row 0"]
    """
    needles = Needles(values)
    hits: Hits = []
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


def _found(
    source: str,
    needles: Needles,
    texts: Sequence[str],
    where: Callable[[int], str] | Sequence[str],
) -> Hits:
    """Hits of ``needles`` in ``texts``; ``where`` names the place of text ``i``."""
    place = where if callable(where) else where.__getitem__
    return [_hit(source, place(i), value) for i, value in needles.find(texts)]


# --------------------------------------------------------------------------- data frames
def _scan_frame(name: str, frame: pd.DataFrame, needles: Needles) -> Hits:
    """Column names, then each column's distinct values (numbers: phones only)."""
    names = [str(c) for c in frame.columns]
    hits = _found(name, needles, names, [f"column name '{c}'" for c in names])
    for column in frame.columns:
        series = frame[column]
        present = series[series.notna()]
        if present.empty or _never_text(present.dtype):
            continue
        if pd.api.types.is_datetime64_any_dtype(present.dtype):
            present = present.dt.floor("D")  # a date of birth is a date: distinct days
        if pd.api.types.is_numeric_dtype(present.dtype):
            kind = "int64" if pd.api.types.is_integer_dtype(present.dtype) else "float64"
            distinct, first = np.unique(present.to_numpy(dtype=kind), return_index=True)
            found = needles.find_numbers(distinct)
        else:
            try:
                codes, distinct = pd.factorize(present)
            except TypeError:  # unhashable values (lists, dicts): compare their text
                codes, distinct = pd.factorize(present.astype(str))
            first = np.unique(codes, return_index=True)[1]
            found = needles.find([_as_text(v) for v in distinct])
        rows = present.index[first]
        hits += [_hit(name, f"column '{column}', row {rows[i]}", v) for i, v in found]
    return hits


def _never_text(dtype: object) -> bool:
    """Booleans and complex numbers hold no personal value (dates are searched as text:
    their distinct days, ``2008-03-14``)."""
    return pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_complex_dtype(dtype)


def _scan_parquet(path: Path, needles: Needles) -> Hits:
    """Column names, key-value metadata, text and categorical columns (distinct values and
    every category) and numeric columns (phones stored as numbers), via pyarrow."""
    import pyarrow.parquet as pq

    source = str(path)
    parquet = pq.ParquetFile(path)
    schema = parquet.schema_arrow
    hits = _found(source, needles, schema.names, [f"column name '{c}'" for c in schema.names])
    metadata = {
        k.decode("utf-8", "replace"): v.decode("utf-8", "replace")
        for k, v in (schema.metadata or {}).items()
        if k not in (b"pandas", b"ARROW:schema")
    }
    hits += _found(source, needles, list(metadata.values()), [f"metadata '{k}'" for k in metadata])
    wanted = [f.name for f in schema if _arrow_kind(f.type) != "skip"]
    if not wanted:
        return hits
    table = parquet.read(columns=wanted)
    for name in wanted:
        hits += _scan_arrow_column(source, name, table.column(name), needles)
    return hits


def _scan_arrow_column(source: str, name: str, column: Any, needles: Needles) -> Hits:
    """One column's distinct values (a ``pyarrow.ChunkedArray``), placed at their first row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = _arrow_kind(column.type)
    by_row = kind != "other"  # a list or struct value has no row to look up
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.date32())  # distinct days
    if pa.types.is_dictionary(column.type):
        dictionaries = [chunk.dictionary for chunk in column.chunks]
        column = column.cast(column.type.value_type)
        if dictionaries:
            distinct = pc.unique(pa.chunked_array(dictionaries)).drop_null()
        else:
            distinct = pc.unique(column).drop_null()
    elif kind == "other":
        distinct = pa.array(sorted({str(v) for v in column.to_pylist() if v is not None}))
        kind = "text"
    else:
        distinct = pc.unique(column).drop_null()
    if kind == "number":
        found = needles.find_numbers(distinct.to_numpy(zero_copy_only=False))
    elif pa.types.is_string(distinct.type) or pa.types.is_large_string(distinct.type):
        found = needles.find(distinct.to_pylist())
    else:
        found = needles.find([_as_text(v) for v in distinct.to_pylist()])
    hits = []
    for position, value in found:
        row = pc.index(column, distinct[position]).as_py() if by_row else -1
        where = f"column '{name}', row {row}" if row >= 0 else f"column '{name}'"
        hits.append(_hit(source, where, value))
    return hits


def _arrow_kind(kind: object) -> str:
    """``text`` (also dates and times: timestamps as their distinct days), ``number``
    (searched for phones), ``skip`` (booleans and nulls hold no personal value) or ``other``
    (lists, structs …: searched as text)."""
    import pyarrow as pa

    types = pa.types
    if types.is_dictionary(kind):
        return _arrow_kind(kind.value_type)  # type: ignore[attr-defined]
    if types.is_string(kind) or types.is_large_string(kind):
        return "text"
    if types.is_binary(kind) or types.is_large_binary(kind):
        return "text"
    if types.is_temporal(kind) or types.is_decimal(kind):
        return "text"  # a date of birth is personal data too
    if types.is_integer(kind) or types.is_floating(kind):
        return "number"
    if types.is_boolean(kind) or types.is_null(kind):
        return "skip"
    return "other"


def _as_text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else str(value)
    return str(value)


# --------------------------------------------------------------------------- files
def _scan_file(path: Path, needles: Needles, skipped: list[str]) -> Hits:
    suffix = path.suffix.lower()
    if suffix in _BINARY_SUFFIXES:
        skipped.append(f"{path} (binary {suffix} file)")
        return []
    try:
        return _scan_by_type(path, suffix, needles, skipped)
    except Exception as error:  # recorded, not swallowed: the caller sees attrs["skipped"]
        skipped.append(f"{path} (unreadable: {type(error).__name__}: {error})")
        return []


def _scan_by_type(path: Path, suffix: str, needles: Needles, skipped: list[str]) -> Hits:
    if suffix == ".parquet":
        return _scan_parquet(path, needles)
    if suffix in (".sav", ".dta"):
        return _scan_stats_file(path, needles)
    if suffix in _ZIP_SUFFIXES and zipfile.is_zipfile(path):
        return _scan_zip(path, needles)
    data = path.read_bytes()
    if suffix in _JSON_SUFFIXES:
        document = _json_or_none(data)
        if document is not None:
            strings = list(_json_strings(document, "$"))
            texts = [text for _, text in strings]
            return _found(str(path), needles, texts, [place for place, _ in strings])
    if b"\x00" in data[:8192] and suffix not in _TEXT_SUFFIXES:
        skipped.append(f"{path} (binary file)")
        return []
    lines = decode(data).splitlines()
    return _found(str(path), needles, lines, lambda i: f"line {i + 1}")


def _json_or_none(data: bytes) -> object | None:
    try:
        return json.loads(decode(data))
    except ValueError:
        return None


def _json_strings(node: object, where: str) -> Iterator[tuple[str, str]]:
    """Every key and scalar with its JSON path; notebook image outputs are passed over."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield f"{where}.{key} (key)", str(key)
            if _is_image_payload(key, value):
                continue
            yield from _json_strings(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _json_strings(value, f"{where}[{index}]")
    elif node is not None:
        yield where, str(node)


def _is_image_payload(key: object, value: object) -> bool:
    """A notebook's ``"image/png": "<base64>"`` output (SVG is text and is searched)."""
    return (
        isinstance(key, str)
        and key.startswith("image/")
        and not key.startswith("image/svg")
        and isinstance(value, str | list)
    )


def _scan_zip(path: Path, needles: Needles) -> Hits:
    """Office files: a quick look at all text parts first; cells and parts only on a hit."""
    with zipfile.ZipFile(path) as archive:
        members = [m for m in sorted(archive.namelist()) if is_text_part(m)]
        texts = [_part_text(m, archive.read(m)) for m in members]
    if not needles.find(["\n".join(texts)]):
        return []
    hits, covered = [], set()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        hits, covered = _scan_cells(path, needles)
    parts = [(m, t) for m, t in zip(members, texts, strict=True) if m not in covered]
    return hits + _found(str(path), needles, [t for _, t in parts], [f"part {m}" for m, _ in parts])


def _part_text(member: str, data: bytes) -> str:
    text = decode(data)
    if member.endswith((".xml", ".rels", ".vml")):
        text = TAG.sub(" ", text)
    return text


def _scan_cells(path: Path, needles: Needles) -> tuple[Hits, set[str]]:
    """Cells (values and formulas) and sheet names, located as ``sheet 'x' cell B4``."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    hits = []
    book = load_workbook(path, read_only=True, data_only=False)
    try:
        for sheet in book.worksheets:
            hits += _found(str(path), needles, [sheet.title], [f"sheet name '{sheet.title}'"])
            places, texts = [], []
            for r, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                for c, value in enumerate(row, start=1):
                    if value is not None:
                        places.append((r, c))
                        texts.append(str(value))
            hits += _found(
                str(path),
                needles,
                texts,
                lambda i, p=places, s=sheet.title: (
                    f"sheet '{s}' cell {get_column_letter(p[i][1])}{p[i][0]}"
                ),
            )
    finally:
        book.close()
    with zipfile.ZipFile(path) as archive:
        covered = {
            m
            for m in archive.namelist()
            if re.fullmatch(r"xl/(worksheets/sheet\d+|sharedStrings)\.xml", m)
        }
    return hits, covered


def _scan_stats_file(path: Path, needles: Needles) -> Hits:
    import pyreadstat

    reader = pyreadstat.read_sav if path.suffix.lower() == ".sav" else pyreadstat.read_dta
    frame, meta = reader(str(path))
    hits = _scan_frame(str(path), frame, needles)
    labels = [*(meta.column_labels or []), meta.file_label or ""]
    for value_labels in (meta.variable_value_labels or {}).values():
        labels += [str(v) for v in value_labels.values()]
    texts = [str(label or "") for label in labels]
    return hits + _found(str(path), needles, texts, lambda i: "labels")


def _hit(source: str, location: str, value: str) -> dict[str, str]:
    return {"source": source, "location": location, "value": value}
