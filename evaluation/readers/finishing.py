"""Rules every format shares, applied to a :class:`Parsed` table to make a RawExport.

In order:

1. **HXL tag row** — a second header row whose filled cells are all HXL hashtags
   (``#adm1+name``), as Kobo writes when the form has an ``hxl`` column, is taken out of
   the data and kept in ``hxl_tags``.
2. **Header names** — stray spaces around a name are stripped (noted); a column with no
   name is dropped if it holds no value (noted) and is an error if it does; duplicate names
   are an error naming each name and its positions (renaming them silently would lose
   which is which).
3. **Empty rows** — a row whose every cell is empty holds no data: it is skipped and its
   line listed in ``skipped_rows`` and in a note (trailing ones separately).
4. **Missing markers** — empty cells, and cells exactly equal to a caller's marker
   (``"NA"``, ``"n/a"``, ``"-"``, ``"999"``…), become missing; each marker is counted.
5. **Format** — Kobo or ODK Central, recognised by their metadata columns.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl.utils import get_column_letter

from evaluation.errors import DataError, format_values
from evaluation.readers.model import MalformedRow, RawExport
from evaluation.readers.parsed import TEXT, Parsed, line_list

_HXL_TAG = re.compile(r"^#[A-Za-z][\w]*(\s*\+[A-Za-z][\w]*)*$")
_KOBO_COLUMNS = (
    "_uuid",
    "_submission_time",
    "_index",
    "_id",
    "_parent_index",
    "_submission__uuid",
    "_validation_status",
    "_submitted_by",
)
_ODK_COLUMNS = (
    "SubmissionDate",
    "SubmitterID",
    "SubmitterName",
    "PARENT_KEY",
    "meta-instanceID",
    "ReviewState",
    "AttachmentsPresent",
)
_STRING = pd.StringDtype("pyarrow", na_value=np.nan)


def finish(
    parsed: Parsed, *, path: Path, sha256: str, na_values: Sequence[str], notes: Sequence[str]
) -> RawExport:
    """Apply the shared rules to ``parsed`` and build the :class:`RawExport`.

    Parameters
    ----------
    parsed : Parsed
        What the format reader produced.
    path, sha256 : Path, str
        The file and the hash of its bytes.
    na_values : sequence of str
        Missing markers besides the empty cell, matched exactly.
    notes : sequence of str
        Notes from before parsing (file kind, ignored options), put first.

    Raises
    ------
    DataError
        For unnamed columns that hold values, or duplicate column names.
    """
    name = str(path)
    parsed.notes[:0] = list(notes)
    original_header = tuple(parsed.header)
    hxl = _take_hxl_row(parsed)
    names, kept = _clean_header(parsed, name)
    _drop_empty_rows(parsed)
    if parsed.table.num_rows == 0:
        parsed.notes.append("header only: the file has 0 data rows")
    counts = _apply_missing(parsed, na_values)
    frame = _to_frame(parsed.table, names)
    fmt, evidence = _recognise(parsed.kind, names)
    if fmt == "kobo_xlsx" and len(parsed.meta.get("sheets", ())) > 1:
        others = [s for s in parsed.meta["sheets"] if s != parsed.meta.get("sheet")]
        parsed.notes.append(
            f"other sheets {format_values(others)} hold Kobo repeat groups (linked by "
            "_parent_index → _index); read them with sheet="
        )
    return RawExport(
        frame=frame,
        source_rows=parsed.source_rows,
        path=path,
        sha256=sha256,
        format=fmt,
        format_evidence=evidence,
        header=original_header,
        header_rows=2 if hxl else 1,
        hxl_tags={n: hxl[i] for n, i in zip(names, kept, strict=True)} if hxl else {},
        missing_markers=counts,
        malformed=tuple(parsed.malformed),
        skipped_rows=tuple(sorted(parsed.skipped_rows)),
        notes=tuple(parsed.notes),
        **{k: v for k, v in parsed.meta.items() if k != "sheets"},
        sheets=tuple(parsed.meta.get("sheets", ())),
    )


def _take_hxl_row(parsed: Parsed) -> list[str]:
    """Remove a Kobo HXL tag row (the first data row, complete, with nothing but HXL
    hashtags in its filled cells) and return its tags."""
    if parsed.kind not in ("csv", "xlsx") or parsed.table.num_rows == 0:
        return []
    if parsed.malformed and parsed.malformed[0].index == 0:
        return []
    first = [parsed.table.column(i)[0].as_py() for i in range(parsed.table.num_columns)]
    filled = [v.strip() for v in first if v and v.strip()]
    if not filled or not all(_HXL_TAG.match(v) for v in filled):
        return []
    parsed.table = parsed.table.slice(1)
    line = int(parsed.source_rows[0])
    parsed.source_rows = parsed.source_rows[1:]
    parsed.malformed = [_shift(m, -1) for m in parsed.malformed]
    unit = "row" if parsed.column_letters else "line"
    parsed.notes.append(f"HXL tag row ({unit} {line}) taken out of the data: kept in `hxl_tags`")
    return [(v or "").strip() for v in first]


def _clean_header(parsed: Parsed, name: str) -> tuple[list[str], list[int]]:
    """The column names to use, and the positions in the file of the columns kept."""
    raw = [h or "" for h in parsed.header]
    names = [h.strip() for h in raw]
    stripped = [f"{r!r} → {n!r}" for r, n in zip(raw, names, strict=True) if r != n]
    if stripped:
        parsed.notes.append(
            f"stray spaces stripped from {len(stripped)} column names: "
            f"{', '.join(stripped[:10])}{' …' if len(stripped) > 10 else ''}"
        )
    unnamed = [i for i, n in enumerate(names) if not n]
    kept = [i for i in range(len(names)) if i not in set(unnamed)]
    if not kept:
        raise DataError(
            f"{name}: the header row has no column names; the column names must be in the "
            "first row (line) of the file"
        )
    if unnamed:
        names = _drop_unnamed(parsed, names, unnamed, name)
    _check_duplicates(names, parsed.column_letters, name, kept)
    return names, kept


def _position(index: int, letters: bool) -> str:
    return get_column_letter(index + 1) if letters else str(index + 1)


def _drop_unnamed(parsed: Parsed, names: list[str], unnamed: list[int], name: str) -> list[str]:
    table = parsed.table
    for i in unnamed:
        column = table.column(i)
        filled = pc.and_(pc.is_valid(column), pc.not_equal(column, ""))
        if pc.any(filled).as_py():
            rows = parsed.source_rows[np.flatnonzero(filled.to_numpy(zero_copy_only=False))]
            unit = "rows" if parsed.column_letters else "lines"
            raise DataError(
                f"{name}: column {_position(i, parsed.column_letters)} has no name in the "
                f"header but holds values ({unit} {line_list(rows.tolist())}); give it a name "
                "or delete it"
            )
    keep = [i for i in range(len(names)) if i not in set(unnamed)]
    parsed.table = table.select(keep).rename_columns([str(i) for i in range(len(keep))])
    shown = ", ".join(_position(i, parsed.column_letters) for i in unnamed)
    parsed.notes.append(f"{len(unnamed)} unnamed empty columns dropped (columns {shown})")
    return [names[i] for i in keep]


def _check_duplicates(names: list[str], letters: bool, name: str, kept: list[int]) -> None:
    positions: dict[str, list[str]] = defaultdict(list)
    for n, i in zip(names, kept, strict=True):
        positions[n].append(_position(i, letters))
    duplicated = {n: p for n, p in positions.items() if len(p) > 1}
    if duplicated:
        shown = "; ".join(f"{n!r} in columns {', '.join(p)}" for n, p in duplicated.items())
        raise DataError(
            f"{name}: duplicate column names: {shown}. Each column needs its own name, or "
            "the values cannot be told apart; rename them in the file (in Kobo, export "
            "with 'Include groups in headers' so that names in different groups differ)"
        )


def _drop_empty_rows(parsed: Parsed) -> None:
    """Skip CSV/XLSX rows with no value at all (layout, not data). An SPSS/Stata case is
    a stored record even when every value is missing, so it is kept."""
    table = parsed.table
    if table.num_rows == 0 or parsed.kind not in ("csv", "xlsx"):
        return
    empty = pa.array(np.ones(table.num_rows, dtype=bool))
    for column in table.columns:
        empty = pc.and_(empty, pc.or_kleene(pc.is_null(column), pc.equal(column, "")))
    mask = empty.to_numpy(zero_copy_only=False)
    for m in parsed.malformed:
        mask[m.index] = mask[m.index] and not any(v.strip() for v in m.extra)
    if not mask.any():
        return
    lines = parsed.source_rows[mask].tolist()
    trailing = _trailing_run(mask)
    parsed.table = table.filter(pa.array(~mask))
    new_index = np.cumsum(~mask) - 1
    parsed.malformed = [
        _shift(m, int(new_index[m.index]) - m.index) for m in parsed.malformed if not mask[m.index]
    ]
    parsed.source_rows = parsed.source_rows[~mask]
    parsed.skipped_rows.extend(lines)
    unit = "rows" if parsed.column_letters else "lines"
    inner = lines[: len(lines) - trailing]
    if inner:
        parsed.notes.append(
            f"{len(inner)} fully empty rows skipped ({unit} {line_list(inner, 20)})"
        )
    if trailing:
        span = f"{lines[-trailing]}–{lines[-1]}" if trailing > 1 else f"{lines[-1]}"
        parsed.notes.append(f"{trailing} fully empty rows at the end ignored ({unit} {span})")


def _trailing_run(mask: np.ndarray) -> int:
    not_empty = np.flatnonzero(~mask)
    return len(mask) - (int(not_empty[-1]) + 1 if len(not_empty) else 0)


def _shift(row: MalformedRow, by: int) -> MalformedRow:
    return MalformedRow(row.index + by, row.line, row.n_fields, row.expected, row.extra, row.raw)


def _apply_missing(parsed: Parsed, na_values: Sequence[str]) -> dict[str, int]:
    """Turn empty cells and exact marker matches into nulls; count each marker."""
    markers = list(dict.fromkeys(["", *na_values]))
    counts = dict.fromkeys(markers, 0)
    searched = [m for m in markers if m or not parsed.empty_is_null]
    value_set = pa.array(searched, TEXT)
    table, parsed.table = parsed.table, None  # replace column by column to free memory early
    for i, column in enumerate(table.columns):
        counts[""] += column.null_count
        if not searched:
            continue
        hit = pc.is_in(column, value_set=value_set)
        n_hits = pc.sum(hit).as_py() or 0
        if not n_hits:
            continue
        if len(searched) == 1:
            counts[searched[0]] += n_hits
        else:
            for item in pc.value_counts(pc.filter(column, hit)).to_pylist():
                counts[item["values"]] += item["counts"]
        blanked = pc.if_else(hit, pa.scalar(None, TEXT), column)
        table = table.set_column(i, table.field(i), blanked)
    parsed.table = table
    return counts


def _to_frame(table: pa.Table, names: list[str]) -> pd.DataFrame:
    mapper = {pa.string(): _STRING, pa.large_string(): _STRING}.get
    frame = table.to_pandas(types_mapper=mapper, self_destruct=True)
    frame.columns = pd.Index(names)
    return frame


def _recognise(kind: str, names: list[str]) -> tuple[str, str]:
    """The export's origin, from the metadata columns KoboToolbox and ODK Central add."""
    if kind in ("spss", "stata"):
        return kind, f"{kind.upper()} file signature"
    present = set(names)
    kobo = [c for c in _KOBO_COLUMNS if c in present]
    odk = [c for c in _ODK_COLUMNS if c in present]
    if len(kobo) >= 2:
        return f"kobo_{kind}", f"KoboToolbox metadata columns {format_values(kobo)}"
    if "KEY" in present and odk and kind == "csv":
        return "odk_csv", f"ODK Central columns 'KEY', {format_values(odk)}"
    return kind, "no KoboToolbox or ODK Central metadata columns"
