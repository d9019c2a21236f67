"""Find columns exported under another name than the form's (a "probable rename").

A survey firm may rename a variable (``cs_safe_dark`` → ``safe_after_dark``). An unknown
column is a probable rename of a question with no column when both hold:

* **the values fit the question**: for a select, every value label (SPSS) or every value
  names one of its choices; for a number, date or time, every value parses as one; text
  fits anything, so a text question also needs a very close name;
* **the names are close**: they share most of the question name's words of 3+ letters
  (``safe``, ``dark``), or difflib's similarity ratio is at least 0.6.

A pair is applied automatically only when it is unambiguous (the column fits no other
missing question and the question no other unknown column); otherwise it is reported as
a possible rename and left for the dataset config's ``renames``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

import pandas as pd

from evaluation.ingest.choices import ChoiceBook, codes_fit, labels_fit
from evaluation.ingest.mapping import ColumnMap
from evaluation.ingest.parsing import (
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_integer,
    parse_time,
)
from evaluation.instruments import Instrument, Question

MIN_RATIO = 0.6
TEXT_RATIO = 0.8
SAMPLE = 2000

_PARSERS = {
    "integer": parse_integer,
    "decimal": parse_decimal,
    "range": parse_decimal,
    "date": parse_date,
    "today": parse_date,
    "time": parse_time,
    "dateTime": lambda text: parse_datetime(text, "UTC"),
    "start": lambda text: parse_datetime(text, "UTC"),
    "end": lambda text: parse_datetime(text, "UTC"),
}


def apply_probable_renames(
    mapping: ColumnMap,
    instrument: Instrument,
    frame: pd.DataFrame,
    value_labels: Mapping[str, Mapping[str, str]],
    book: ChoiceBook,
) -> None:
    """Find probable renames among ``mapping.unknown`` × ``mapping.missing`` and apply the
    unambiguous ones to ``mapping`` (notes say which, and why)."""
    if not mapping.unknown or not mapping.missing:
        return
    pairs = [
        (column, key)
        for column in mapping.unknown
        for key in mapping.missing
        if _fits(column, instrument.question(key), frame, value_labels, book)
    ]
    for column, key in pairs:
        rivals = [p for p in pairs if (p[0] == column) != (p[1] == key)]
        if rivals:
            mapping.notes.append(
                f"possible rename of {column!r} to '{key}' not applied: it is ambiguous "
                f"({len(rivals)} other candidate pair(s)); name it in 'renames' in "
                "params/datasets.yaml"
            )
            continue
        mapping.questions[key] = column
        mapping.renamed[column] = key
        mapping.unknown.remove(column)
        mapping.missing.remove(key)
        mapping.notes.append(
            f"probable rename of {column!r} to '{key}' applied automatically: its values fit "
            f"the question and the names are close, and nothing else competes; confirm it in "
            f"'renames' in params/datasets.yaml"
        )


def names_close(column: str, question: str, strict: bool = False) -> bool:
    """Whether a column name and a question name are close enough to be a rename.

    ``strict`` (for text questions, whose values fit anything) asks for a difflib ratio of
    at least 0.8 and ignores shared words.
    """
    a, b = column.rsplit("/", 1)[-1].casefold(), question.casefold()
    shared = _words(a) & _words(b)
    if not strict and shared and len(shared) * 2 >= len(_words(b)):
        return True
    return difflib.SequenceMatcher(None, a, b).ratio() >= (TEXT_RATIO if strict else MIN_RATIO)


def _fits(
    column: str,
    question: Question,
    frame: pd.DataFrame,
    value_labels: Mapping[str, Mapping[str, str]],
    book: ChoiceBook,
) -> bool:
    values = frame[column].dropna().unique()[:SAMPLE]
    if len(values) == 0:
        return False
    text = pd.Series([str(v).strip() for v in values], dtype=object)
    kind = question.type
    if kind in ("select_one", "select_multiple") and question.list_name:
        lookup = book(question.list_name)
        labels = value_labels.get(column)
        if labels:
            fit = labels_fit(labels, lookup)
        elif kind == "select_multiple":
            fit = codes_fit((t for v in text for t in v.split()), lookup)
        else:
            fit = codes_fit(text, lookup)
        return fit and names_close(column, question.name)
    if kind in _PARSERS:
        return not _PARSERS[kind](text).bad.any() and names_close(column, question.name)
    return names_close(column, question.name, strict=True)


def _words(name: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", name) if len(w) >= 3}
