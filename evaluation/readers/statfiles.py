"""SPSS (``.sav``/``.zsav``) and Stata (``.dta``) files, as survey firms deliver them.

pyreadstat reads the file; this module keeps what a raw reader must keep:

* every value as text: numeric codes as ``"1"`` (not ``1.0``), other numbers as their
  shortest round-trip text, dates and date-times as ISO 8601, Stata's extended missing
  values as ``".a"``…``".z"``;
* value labels separately (column → {code text: label}), never applied to the cells, and
  variable labels;
* SPSS user-missing codes (e.g. 98 "refused", 99 "don't know") as the codes they are,
  with the declared ranges recorded in ``declared_missing``, because "refused" and "not
  asked" are different answers.

Rows are cases; a row's source number is its case number (1-based).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyreadstat

from evaluation.errors import DataError
from evaluation.readers.parsed import TEXT, Parsed, empty_table, source_array
from evaluation.readers.xlsx import number_text

_READERS = {"spss": pyreadstat.read_sav, "stata": pyreadstat.read_dta}
_NAMES = {"spss": "SPSS", "stata": "Stata"}


def read_statfile(data: bytes, name: str, kind: str, *, encoding: str | None = None) -> Parsed:
    """Read an SPSS or Stata file into a :class:`Parsed` table of raw strings.

    Parameters
    ----------
    data : bytes
        The file's bytes.
    name : str
        The file name, for messages.
    kind : {"spss", "stata"}
        Which format.
    encoding : str, optional
        Passed to pyreadstat for old files that do not declare their encoding.

    Raises
    ------
    DataError
        When pyreadstat cannot read the file (damaged or truncated).
    """
    try:
        frame, meta = _READERS[kind](
            io.BytesIO(data), user_missing=True, apply_value_formats=False, encoding=encoding
        )
    except Exception as error:  # pyreadstat raises its own ReadstatError/PyreadstatError
        raise DataError(
            f"{name}: the file cannot be read as {_NAMES[kind]} ({error}); it is probably "
            f"damaged or truncated: export it again from {_NAMES[kind]}"
        ) from error
    columns = [str(c) for c in frame.columns]
    types = meta.readstat_variable_types or {}
    texts = [_column_text(frame[c], types.get(c) != "string") for c in frame.columns]
    parsed = Parsed(
        kind=kind,
        header=columns,
        table=pa.Table.from_arrays(texts, names=[str(i) for i in range(len(texts))])
        if texts
        else empty_table(0),
        source_rows=source_array(np.arange(1, len(frame) + 1)),
        meta={
            "reader": "pyreadstat",
            "encoding": meta.file_encoding,
            "encoding_evidence": (
                "declared in the file" if meta.file_encoding else "not declared in the file"
            ),
            "value_labels": _value_labels(meta.variable_value_labels),
            "variable_labels": {
                str(k): v for k, v in (meta.column_names_to_labels or {}).items() if v
            },
            "declared_missing": _declared_missing(meta),
        },
    )
    parsed.notes.extend(_notes(frame, parsed.meta))
    return parsed


def _column_text(column: pd.Series, numeric: bool) -> pa.Array:
    """A column's values as Arrow text (null for system-missing).

    Each distinct value is spelled once and the spellings are taken by position (a survey
    file repeats a few codes over and over: 12 million cells, a few thousand spellings). In a
    numeric variable, pyreadstat gives Stata's extended missing values ``.a``…``.z`` as the
    letters ``"a"``…``"z"``; they are spelled with their dot again.
    """
    positions, distinct = pd.factorize(column, use_na_sentinel=True)
    if numeric and column.dtype == object:
        spelled = [_code_text(v) if isinstance(v, str) else _value_text(v) for v in distinct]
    else:
        spelled = [_value_text(v) for v in distinct]
    missing = positions < 0
    indices = pa.array(np.where(missing, 0, positions), mask=missing)
    return pa.array(spelled, TEXT).take(indices)


def _value_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return "1" if value else "0"
    if isinstance(value, int | float | np.integer | np.floating):
        return number_text(float(value) if isinstance(value, float | np.floating) else int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time | pd.Timestamp):
        return value.isoformat()
    return str(value)


def _code_text(code: Any) -> str:
    """A value-label code spelled as the cells are (``1.0`` → ``"1"``, ``"a"`` → ``".a"``)."""
    if isinstance(code, str):
        return f".{code}" if len(code) == 1 and code.isalpha() else code
    return _value_text(code) or ""


def _value_labels(labels: Mapping[str, Mapping[Any, str]] | None) -> dict[str, dict[str, str]]:
    return {
        str(column): {_code_text(code): str(label) for code, label in mapping.items()}
        for column, mapping in (labels or {}).items()
    }


def _declared_missing(meta: Any) -> dict[str, tuple[str, ...]]:
    """SPSS ranges as ``"99"`` or ``"90 to 99"``; Stata's as ``".a"``."""
    declared: dict[str, tuple[str, ...]] = {}
    for column, ranges in (getattr(meta, "missing_ranges", None) or {}).items():
        spelled = []
        for item in ranges:
            low, high = _code_text(item["lo"]), _code_text(item["hi"])
            spelled.append(low if low == high else f"{low} to {high}")
        declared[str(column)] = tuple(spelled)
    for column, values in (getattr(meta, "missing_user_values", None) or {}).items():
        declared[str(column)] = tuple(_code_text(v) for v in values)
    return declared


def _notes(frame: pd.DataFrame, meta: Mapping[str, Any]) -> list[str]:
    notes = []
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c].dtype)]
    if numeric:
        notes.append(f"{len(numeric)} numeric columns written as text (codes without '.0')")
    dated = [
        c
        for c in frame.columns
        if pd.api.types.is_datetime64_any_dtype(frame[c].dtype)
        or any(isinstance(v, dt.date | dt.time) for v in frame[c].head(50))
    ]
    if dated:
        notes.append(f"{len(dated)} date/time columns written as ISO 8601 text")
    if meta["value_labels"]:
        notes.append(
            f"value labels of {len(meta['value_labels'])} columns kept in `value_labels`; "
            "the cells hold the codes"
        )
    if meta["declared_missing"]:
        shown = ", ".join(f"{c}: {', '.join(v)}" for c, v in meta["declared_missing"].items())
        notes.append(f"user-missing codes kept as values (declared: {shown})")
    return notes
