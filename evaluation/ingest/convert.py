"""One export file → the typed rows of its table, with the problems found on the way.

Each question column is parsed by its type (:mod:`.parsing`, :mod:`.choices`) once per
distinct value; a value that cannot be read becomes missing and a ``type`` or ``choice``
problem. The metadata columns of the contract (``_submission_id``, ``_source_file``,
``_source_row``, ``_submitted_at``, ``_enumerator``) are filled from whatever the export
has. Malformed CSV rows are quarantined (too many fields) or flagged (too few).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evaluation.ingest.choices import (
    ChoiceBook,
    ChoiceLookup,
    resolve_multiple,
    resolve_one,
    unknown_tokens,
)
from evaluation.ingest.config import TableConfig
from evaluation.ingest.mapping import (
    ABSENT_TYPES,
    ENUMERATOR_COLUMNS,
    ID_COLUMNS,
    ColumnMap,
    table_questions,
)
from evaluation.ingest.parsing import (
    DATE_DTYPE,
    DATETIME_DTYPE,
    parse_boolean,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_integer,
    parse_time,
)
from evaluation.ingest.problems import Flags, Problems
from evaluation.instruments import Instrument, Question
from evaluation.readers import RawExport

NUMBER_TYPES = {"integer": "Int64", "decimal": "Float64", "range": "Float64"}
DATE_TYPES = frozenset({"date", "today"})
DATETIME_TYPES = frozenset({"dateTime", "start", "end"})
EXPECTED = {
    "integer": "a whole number",
    "decimal": "a number",
    "range": "a number",
    "date": "a date (YYYY-MM-DD or dd/mm/yyyy)",
    "today": "a date (YYYY-MM-DD or dd/mm/yyyy)",
    "dateTime": "a date and time (ISO 8601)",
    "start": "a date and time (ISO 8601)",
    "end": "a date and time (ISO 8601)",
    "time": "a time of day (HH:MM or HH:MM:SS)",
}
STATA_MISSING = tuple(["."] + [f".{letter}" for letter in "abcdefghijklmnopqrstuvwxyz"])
"""Stata's system and extended missing values (``.a``–``.z``): missing in any question,
counted per marker."""
SERVER_ROW_NUMBERS = frozenset({
    "_id", "_index", "_submission_time", "SubmissionDate", "_validation_status", "_status",
    "ReviewState", "Status", "Edits", "_notes", "_tags", "_attachments", "AttachmentsPresent",
    "AttachmentsExpected", "_submitted_by", "SubmitterID", "SubmitterName", "__version__",
    "FormVersion",
})  # fmt: skip
"""Columns the server or the export fills per stored copy, left out when comparing rows
for exact duplicates (see :mod:`.duplicates`)."""


@dataclass
class Settings:
    """What converting a file needs besides the file: the form, its choice lookups, the
    table's config and the time zone of device clocks."""

    instrument: Instrument
    book: ChoiceBook
    table: TableConfig
    timezone: str


@dataclass
class FilePart:
    """One file's rows, typed, with what was found.

    ``data`` has every question column of the table (missing ones all missing), the
    per-choice boolean columns, and the metadata columns. ``content_hash`` identifies a
    row's content for exact-duplicate detection. ``present`` lists the questions that
    have a column in this file.
    """

    raw: RawExport
    mapping: ColumnMap
    data: pd.DataFrame
    problems: Problems
    flags: Flags
    content_hash: np.ndarray
    present: frozenset[str]
    start: pd.Series
    end: pd.Series
    notes: list[str] = field(default_factory=list)
    missing_markers: dict[str, int] = field(default_factory=dict)


def convert_file(raw: RawExport, mapping: ColumnMap, settings: Settings) -> FilePart:
    """Parse every mapped column of ``raw`` by its question's type.

    Returns
    -------
    FilePart
        Row positions in ``problems`` and ``flags`` are positions in this file's rows.
    """
    frame = raw.frame
    problems, flags = Problems(), Flags()
    notes: Counter = Counter()
    markers = Counter(dict(raw.missing_markers))
    columns: dict[str, object] = {}
    n = len(frame)
    for q in table_questions(settings.instrument):
        if q.type in ABSENT_TYPES:
            continue
        column = mapping.column_of(q.key)
        values = None if column is None else frame[column]
        if values is not None:
            extra = settings.table.missing_values.get(q.name, ())
            if raw.format == "stata":
                extra = (*extra, *STATA_MISSING)
            values = _apply_question_markers(values, extra, markers)
        if q.type == "select_multiple" and q.list_name:
            flag_columns = {code: frame[c] for code, c in mapping.choices.get(q.key, {}).items()}
            columns.update(_select_multiple(q, values, flag_columns, n, settings, problems, notes))
        else:
            labels = raw.value_labels.get(column) if column else None
            columns[q.key] = _convert_column(q, values, labels, n, settings, problems, notes)
    data = pd.DataFrame(columns, index=pd.RangeIndex(n))
    meta, start, end = _metadata(raw, mapping, settings, data, notes)
    data = pd.concat([data, meta], axis=1)
    _malformed(raw, problems, flags)
    _other_forms(raw, mapping, settings, problems)
    return FilePart(
        raw=raw,
        mapping=mapping,
        data=data,
        problems=problems,
        flags=flags,
        content_hash=_content_hash(frame),
        present=frozenset(mapping.questions) | frozenset(mapping.choices),
        start=start,
        end=end,
        notes=[f"{text} ({count} distinct values)" for text, count in notes.items()],
        missing_markers=dict(markers),
    )


# --------------------------------------------------------------------------- question columns
def _apply_question_markers(values: pd.Series, extra: Sequence[str], markers: Counter) -> pd.Series:
    if not extra:
        return values
    hit = values.isin(list(extra)).to_numpy(dtype=bool)
    if not hit.any():
        return values
    for marker, count in values[hit].value_counts().items():
        markers[str(marker)] += int(count)
    return values.mask(hit)


@dataclass(frozen=True)
class _Distinct:
    """A column as its distinct values: ``codes`` (-1 = missing) into ``written`` (as in
    the file) and ``stripped`` (surrounding spaces removed)."""

    codes: np.ndarray
    written: pd.Series
    stripped: pd.Series

    def rows(self, bad: np.ndarray) -> np.ndarray:
        """Row positions whose distinct value is marked in ``bad``."""
        return np.flatnonzero(np.append(bad, False)[self.codes])

    def values_at(self, rows: np.ndarray) -> np.ndarray:
        """The written values at ``rows``."""
        return self.written.to_numpy()[self.codes[rows]]


def _distinct(values: pd.Series) -> _Distinct:
    codes, uniques = pd.factorize(values)
    # Arrow-backed text keeps the parsers' regular expressions fast (RE2, not Python re)
    written = pd.Series(uniques, copy=False).astype(_TEXT).reset_index(drop=True)
    return _Distinct(codes, written, written.str.strip())


_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


def _note_spaces(q: Question, column: _Distinct, notes: Counter) -> None:
    changed = int((column.written != column.stripped).sum())
    if changed:
        notes[f"'{q.key}': spaces around answers removed"] += changed


def _take(typed: object, codes: np.ndarray) -> object:
    return pd.api.extensions.take(typed, codes, allow_fill=True)


def _convert_column(
    q: Question,
    values: pd.Series | None,
    labels: Mapping[str, str] | None,
    n: int,
    settings: Settings,
    problems: Problems,
    notes: Counter,
) -> object:
    """A question's typed column (all missing when the file has no column for it)."""
    if values is None:
        return _empty(q, settings, n)
    column = _distinct(values)
    _note_spaces(q, column, notes)
    if q.type == "select_one" and q.list_name:
        return _select_one(q, column, labels, settings, problems, notes)
    parser = _parser(q, settings)
    if parser is None:
        return _take(pd.array(column.stripped.tolist(), dtype="string"), column.codes)
    typed = parser(column.stripped)
    for note, count in typed.notes.items():
        notes[f"'{q.key}': {note}"] += count
    rows = column.rows(typed.bad)
    problems.add(
        rows,
        q.key,
        column.values_at(rows),
        "type",
        f"question '{q.key}': not {EXPECTED[q.type]}; correct the answer in the source or "
        "leave it empty",
    )
    return _take(typed.values, column.codes)


def _select_one(
    q: Question,
    column: _Distinct,
    labels: Mapping[str, str] | None,
    settings: Settings,
    problems: Problems,
    notes: Counter,
) -> pd.Categorical:
    lookup = settings.book(q.list_name)
    resolved = resolve_one(column.stripped, lookup, labels)
    for way, count in resolved.how.items():
        notes[f"'{q.key}': answers matched {_HOW[way]}"] += count
    unmatched = sorted(set(resolved.unmatched_labels))
    if unmatched:
        shown = ", ".join(repr(x) for x in unmatched[:5])
        notes[f"'{q.key}': value labels that match no choice of '{q.list_name}': {shown}"] += len(
            unmatched
        )
    rows = column.rows(resolved.bad)
    problems.add(
        rows,
        q.key,
        column.values_at(rows),
        "choice",
        f"question '{q.key}': not a code of choice {lookup.describe()}; correct the answer in "
        "the source, or add the code to the form if it is a new choice",
    )
    position = {c: i for i, c in enumerate(lookup.codes)}
    per_unique = np.array([position.get(c, -1) if c else -1 for c in resolved.codes] + [-1])
    return pd.Categorical.from_codes(per_unique[column.codes], categories=list(lookup.codes))


_HOW = {"label": "by their choice label", "normalised": "ignoring case and extra spaces"}


def _parser(q: Question, settings: Settings):
    if q.type == "integer":
        return parse_integer
    if q.type in ("decimal", "range"):
        return parse_decimal
    if q.type in DATE_TYPES:
        return parse_date
    if q.type in DATETIME_TYPES:
        return lambda text: parse_datetime(text, settings.timezone)
    if q.type == "time":
        return parse_time
    return None


def _empty(q: Question, settings: Settings, n: int) -> object:
    if q.type == "select_one" and q.list_name:
        codes = list(settings.book(q.list_name).codes)
        return pd.Categorical.from_codes(np.full(n, -1), categories=codes)
    if q.type in NUMBER_TYPES:
        return pd.array([pd.NA] * n, dtype=NUMBER_TYPES[q.type])
    if q.type in DATE_TYPES:
        return np.full(n, np.datetime64("NaT"), dtype=DATE_DTYPE)
    if q.type in DATETIME_TYPES:
        return pd.array(np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")).tz_localize("UTC")
    return _empty_text(n)


@dataclass
class _Answers:
    """select_multiple answers: which rows answered, which choices each selected, and the
    answer as text (codes separated by spaces)."""

    answered: np.ndarray
    selected: np.ndarray
    text: object

    @classmethod
    def none(cls, n: int, k: int) -> _Answers:
        return cls(np.zeros(n, dtype=bool), np.zeros((n, k), dtype=bool), _empty_text(n))


def _select_multiple(
    q: Question,
    values: pd.Series | None,
    flag_columns: Mapping[str, pd.Series],
    n: int,
    settings: Settings,
    problems: Problems,
    notes: Counter,
) -> dict[str, object]:
    """The answer column ``q`` and one nullable boolean column ``q__<code>`` per choice."""
    lookup = settings.book(q.list_name)
    answers = _Answers.none(n, len(lookup.codes))
    if values is not None:
        answers = _read_answers(q, values, lookup, problems, notes)
    flags = _choice_flags(q, flag_columns, lookup.codes, n, problems)
    if flags is not None and values is None:
        answers = _answers_from_flags(*flags, lookup.codes)
        notes[f"'{q.key}': answers built from the per-choice columns"] += 1
    elif flags is not None:
        _check_agreement(q, answers, *flags, problems)
    out: dict[str, object] = {q.key: answers.text}
    for j, code in enumerate(lookup.codes):
        column = pd.array(answers.selected[:, j], dtype="boolean")
        column[~answers.answered] = pd.NA
        out[f"{q.key}__{code}"] = column
    return out


def _read_answers(
    q: Question, values: pd.Series, lookup: ChoiceLookup, problems: Problems, notes: Counter
) -> _Answers:
    column = _distinct(values)
    _note_spaces(q, column, notes)
    resolved, matrix = resolve_multiple(column.stripped, lookup)
    if resolved.how:
        notes[f"'{q.key}': answers matched {_HOW['normalised']}"] += sum(resolved.how.values())
    rows = column.rows(resolved.bad)
    problems.add(
        rows,
        q.key,
        [" ".join(unknown_tokens(v, lookup)) for v in column.values_at(rows)],
        "choice",
        f"question '{q.key}': not codes of choice {lookup.describe()}; correct the answer in "
        "the source, or add the code to the form",
    )
    good = np.append(~resolved.bad, False)[column.codes]
    selected = np.vstack([matrix, np.zeros((1, len(lookup.codes)), dtype=bool)])[column.codes]
    text = _take(pd.array(list(resolved.codes), dtype="string"), np.where(good, column.codes, -1))
    return _Answers(good, selected, text)


def _answers_from_flags(given: np.ndarray, flags: np.ndarray, codes: Sequence[str]) -> _Answers:
    selected = flags & given[:, None]
    text = np.full(len(given), None, dtype=object)
    text[given] = [
        " ".join(c for c, s in zip(codes, row, strict=True) if s) for row in selected[given]
    ]
    return _Answers(given, selected, pd.array(text, dtype="string"))


def _check_agreement(
    q: Question, answers: _Answers, given: np.ndarray, flags: np.ndarray, problems: Problems
) -> None:
    differ = answers.answered & given & (flags != answers.selected).any(axis=1)
    rows = np.flatnonzero(differ)
    problems.add(
        rows,
        q.key,
        answers.text[rows],
        "choice",
        f"question '{q.key}': the per-choice 0/1 columns disagree with the answer; correct the "
        "export (or the submission) so both say the same",
    )


def _choice_flags(
    q: Question,
    flag_columns: Mapping[str, pd.Series],
    codes: Sequence[str],
    n: int,
    problems: Problems,
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(rows with any per-choice value, choices × rows as booleans)``, or None."""
    if not flag_columns:
        return None
    given = np.zeros(n, dtype=bool)
    matrix = np.zeros((n, len(codes)), dtype=bool)
    for j, code in enumerate(codes):
        if code not in flag_columns:
            continue
        column = _distinct(flag_columns[code])
        typed = parse_boolean(column.stripped)
        matrix[:, j] = np.append(np.asarray(typed.values.fillna(False), dtype=bool), False)[
            column.codes
        ]
        given |= column.codes >= 0
        rows = column.rows(typed.bad)
        problems.add(
            rows,
            f"{q.key}__{code}",
            column.values_at(rows),
            "type",
            f"per-choice column of '{q.key}' for '{code}': not 0/1 or true/false",
        )
    return given, matrix


def _empty_text(n: int) -> object:
    return pd.array([pd.NA] * n, dtype="string")


# --------------------------------------------------------------------------- metadata
def _metadata(
    raw: RawExport,
    mapping: ColumnMap,
    settings: Settings,
    data: pd.DataFrame,
    notes: Counter,
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    frame, n = raw.frame, len(raw.frame)
    name = raw.path.name
    rows = np.asarray(raw.source_rows, dtype=np.int64)
    ids = _submission_ids(raw, mapping, settings.table.id)
    fallback = pd.Series([f"{name}#{r}" for r in rows], dtype="string")
    submission_id = ids.fillna(fallback) if ids is not None else fallback
    submitted = _submitted_at(frame, mapping, notes)
    start = _device_time(raw, mapping, data, settings, "start")
    end = _device_time(raw, mapping, data, settings, "end")
    duration = ((end - start).dt.total_seconds() / 60).astype("Float64")
    meta = pd.DataFrame(
        {
            "_submission_id": pd.array(submission_id.to_numpy(), dtype="string"),
            "_source_file": pd.array([name] * n, dtype="string"),
            "_source_row": rows,
            "_submitted_at": submitted.array,
            "_enumerator": _enumerator(raw, mapping, settings.instrument).array,
            "_duration_min": duration.array,
            # not a clean column: when the interview took place, for quarantine.csv
            "_interview_at": start.fillna(end).fillna(submitted).array,
        },
        index=pd.RangeIndex(n),
    )
    return meta, start, end


def _submitted_at(frame: pd.DataFrame, mapping: ColumnMap, notes: Counter) -> pd.Series:
    """Server time of each submission (Kobo's is UTC without an offset), NaT if unknown."""
    column = next((c for c, role in mapping.metadata.items() if role == "submitted_at"), None)
    if column is None:
        return pd.Series(pd.NaT, index=range(len(frame)), dtype=DATETIME_DTYPE)
    moments, bad = _datetimes(frame[column], "UTC", naive_is_utc=True)
    if bad:
        notes[f"'{column}': submission times that could not be read left empty"] += bad
    return moments


def _datetimes(values: pd.Series, tz: str, naive_is_utc: bool = False) -> tuple[pd.Series, int]:
    column = _distinct(values)
    typed = parse_datetime(column.stripped, tz, naive_is_utc=naive_is_utc)
    moments = pd.Series(_take(typed.values, column.codes), index=range(len(values)))
    return moments, int(typed.bad.sum())


def _submission_ids(
    raw: RawExport, mapping: ColumnMap, configured: Sequence[str]
) -> pd.Series | None:
    present = [c for c in configured if c in raw.frame.columns]
    present += [c for c in ID_COLUMNS if mapping.metadata.get(c) == "id"]
    if not present:
        return None
    ids = raw.frame[present[0]].str.strip()
    for other in present[1:]:
        ids = ids.fillna(raw.frame[other].str.strip())
    return pd.Series(ids.to_numpy(), dtype="string")


def _device_time(
    raw: RawExport, mapping: ColumnMap, data: pd.DataFrame, settings: Settings, kind: str
) -> pd.Series:
    """``start`` or ``end``: the form's question, else the export's column, else NaT."""
    n = len(raw.frame)
    for q in table_questions(settings.instrument):
        if q.type == kind and q.key in data:
            return pd.Series(data[q.key].array, index=range(n))
    column = next((c for c, role in mapping.metadata.items() if role == kind), None)
    if column is None:
        return pd.Series(pd.NaT, index=range(n), dtype=DATETIME_DTYPE)
    return _datetimes(raw.frame[column], settings.timezone)[0]


def _enumerator(raw: RawExport, mapping: ColumnMap, instrument: Instrument) -> pd.Series:
    """Who collected the row: username, an ``enumerator`` question, SubmitterName, the
    device, the submitting account — the first of these that has a value."""
    frame = raw.frame
    by_type = {q.type: q.key for q in table_questions(instrument)}
    candidates = [mapping.column_of(by_type["username"]) if "username" in by_type else None]
    candidates += [
        mapping.column_of(k) for k in ("enumerator", "enumerator_name") if k in mapping.questions
    ]
    candidates += [c for c, role in mapping.metadata.items() if role == "username"]
    candidates += [c for c in ENUMERATOR_COLUMNS[:1] if c in mapping.metadata]
    candidates += [mapping.column_of(by_type["deviceid"]) if "deviceid" in by_type else None]
    candidates += [c for c, role in mapping.metadata.items() if role == "deviceid"]
    candidates += [c for c in ENUMERATOR_COLUMNS[1:] if c in mapping.metadata]
    out = pd.Series(pd.NA, index=range(len(frame)), dtype="string")
    for column in dict.fromkeys(c for c in candidates if c):
        out = out.fillna(pd.Series(frame[column].str.strip().to_numpy(), dtype="string"))
    return out


# --------------------------------------------------------------------------- rows
def _malformed(raw: RawExport, problems: Problems, flags: Flags) -> None:
    shifted = [m for m in raw.malformed if m.shifted]
    short = [m for m in raw.malformed if not m.shifted]
    for m in shifted:
        problems.add(
            [m.index],
            "",
            "",
            "malformed_row",
            f"line {m.line} has {m.n_fields} fields where the header has {m.expected}: its "
            "values may have shifted into the wrong columns; check the delimiter and quoting "
            "of this line and export the file again",
        )
    flags.add([m.index for m in short], "short_row")


def _other_forms(
    raw: RawExport, mapping: ColumnMap, settings: Settings, problems: Problems
) -> None:
    column = next((c for c, role in mapping.metadata.items() if role == "form_id"), None)
    if column is None:
        return
    form_ids = raw.frame[column].str.strip()
    other = (form_ids.notna() & (form_ids != settings.instrument.form_id)).to_numpy(dtype=bool)
    rows = np.flatnonzero(other)
    problems.add(
        rows,
        column,
        form_ids.to_numpy()[rows],
        "unknown_form",
        f"submitted with another form, not '{settings.instrument.form_id}'; export "
        "each form's submissions separately",
    )


def _content_hash(frame: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash of each row's content, without the server's per-copy columns."""
    columns = [c for c in frame.columns if c not in SERVER_ROW_NUMBERS]
    if not columns or frame.empty:
        return np.zeros(len(frame), dtype=np.uint64)
    hashed = pd.util.hash_pandas_object(frame[columns], index=False).to_numpy()
    names = pd.util.hash_array(np.array(["\x1f".join(columns)], dtype=object))[0]
    return hashed ^ names
