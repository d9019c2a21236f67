"""Match the columns of an export to the questions of its form.

Exports name a question's column by its group path joined with ``/`` (Kobo), ``-`` (ODK
Central), ``.`` (R, some Kobo settings), ``_`` or not at all (SPSS, Stata). Rather than
split headers on one character, every question's possible names are generated from the
form and looked up; the rest of the header is then recognised as:

* ``select_multiple`` per-choice columns, ``<question column><sep><choice code>`` for any
  of the separators above (Kobo ``q/a``, Central ``q/a``, SPSS ``q_a``, R ``q.a``);
* geopoint parts: Kobo ``_<name>_latitude`` (after the group prefix), Central
  ``<path>-Latitude`` …;
* metadata written by the server or the device (``_uuid``, ``KEY``, ``meta/instanceID``,
  ``_submission_time``, ``SubmissionDate``, ``_submitted_by``, ``SubmitterName``,
  ``__version__``, ``start``/``end``/``deviceid`` when the form lacks them …);
* known renames from the dataset config, then automatic ones (:mod:`.renames`);
* unknown columns (reported by name, never kept).

A file in which fewer than :data:`MIN_SHARE` of the form's questions have a column is not
an export of that form: :func:`check_form_match` raises a one-line error naming the form
that fits best.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from evaluation.errors import DataError, InstrumentError, ParamsError, did_you_mean, format_values
from evaluation.instruments import Instrument, Question, read_instrument

MIN_SHARE = 0.3
"""A file must have columns for at least this share of the form's questions."""

GROUP_SEPARATORS = ("/", "-", ".", "_", "")
CHOICE_SEPARATORS = ("/", "-", ".", "_", ":")
DEVICE_TYPES = frozenset({"start", "end", "today", "deviceid", "username", "simserial",
                          "subscriberid", "audit"})  # fmt: skip
"""Question types the device fills in (not answers): left out of the match share."""
ABSENT_TYPES = frozenset({"geopoint", "geotrace", "geoshape", "start-geopoint",
                          "background-geopoint", "audit", "background-audio"})  # fmt: skip
"""Types that never reach clean data (locations, audit logs)."""

ID_COLUMNS = ("_uuid", "KEY", "meta/instanceID", "meta-instanceID", "instanceID",
              "meta.instanceID", "_submission__uuid")  # fmt: skip
SUBMITTED_AT_COLUMNS = ("_submission_time", "SubmissionDate")
ENUMERATOR_COLUMNS = ("SubmitterName", "DeviceID", "_submitted_by")
FORM_ID_COLUMNS = ("_xform_id_string",)
SERVER_COLUMNS = frozenset({
    "_id", "_index", "_validation_status", "_status", "_notes", "_tags", "_attachments",
    "_geolocation", "__version__", "_version_", "_version", "meta/rootUuid", "meta-rootUuid",
    "meta/deprecatedID", "meta-deprecatedID", "meta/instanceName", "meta-instanceName",
    "formhub/uuid", "formhub-uuid", "SubmitterID", "AttachmentsPresent", "AttachmentsExpected",
    "Status", "ReviewState", "Edits", "FormVersion", "_parent_index", "_parent_table_name",
    "PARENT_KEY", "_duration", "_media_count", "_total_media", "_media_all_received",
})  # fmt: skip
DEVICE_COLUMNS = ("start", "end", "today", "deviceid", "username")
"""Device metadata Kobo adds even when the form lacks them."""

_GEO_PART = re.compile(
    r"^(?P<prefix>.*?)_?(?P<name>[^/\-.]+?)[_\-./](?P<part>latitude|longitude|altitude|"
    r"precision|accuracy)$",
    re.IGNORECASE,
)


@dataclass
class ColumnMap:
    """How the columns of one file relate to the form.

    Attributes
    ----------
    questions : dict
        Question key → the file column holding its answer.
    choices : dict
        select_multiple question key → {choice code: per-choice column}.
    metadata : dict
        File column → role (``id``, ``submitted_at``, ``enumerator``, ``form_id``,
        ``server``, or a device field name: ``start``, ``end``, ``deviceid``…).
    ignored : list
        Columns recognised but not kept (geopoint parts, repeat-group questions).
    renamed : dict
        File column → question key, for columns read under another name (config renames
        and automatic ones).
    unknown : list
        Columns that match nothing (not kept).
    missing : list
        Question keys with no column (neither answer nor per-choice columns).
    separators : list
        Group separators seen in the matched headers.
    notes : list
        Everything decided, in words.
    """

    questions: dict[str, str] = field(default_factory=dict)
    choices: dict[str, dict[str, str]] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    separators: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    share: float = 1.0
    counted: int = 0

    def column_of(self, key: str) -> str | None:
        """The file column of question ``key`` (None when the file has none)."""
        return self.questions.get(key)

    def summary(self) -> dict[str, object]:
        """JSON-ready: ``mapped`` (column → question), ``renamed``, ``unknown``, ``missing``."""
        mapped = {c: k for k, c in self.questions.items()}
        for key, columns in self.choices.items():
            mapped.update({c: f"{key}__{code}" for code, c in columns.items()})
        return {
            "mapped": mapped,
            "renamed": dict(self.renamed),
            "unknown": list(self.unknown),
            "missing": list(self.missing),
            "metadata": dict(self.metadata),
            "ignored": list(self.ignored),
            "separators": list(self.separators),
        }


def table_questions(instrument: Instrument) -> list[Question]:
    """The data questions of the main table (repeat groups are other tables)."""
    return [q for q in instrument.data_questions() if not q.repeat_path]


def map_columns(
    instrument: Instrument,
    columns: Sequence[str],
    renames: Mapping[str, str] | None = None,
) -> ColumnMap:
    """Match ``columns`` (a file's header) to ``instrument``'s questions.

    Parameters
    ----------
    instrument : Instrument
        The form.
    columns : sequence of str
        The header, as read.
    renames : mapping, optional
        Known renames from the dataset config: file column → question name.

    Returns
    -------
    ColumnMap
        Automatic renames are not applied here (see :func:`evaluation.ingest.renames`).

    Raises
    ------
    ParamsError
        A configured rename names a question the form does not have.
    """
    questions = table_questions(instrument)
    by_key = {q.key: q for q in questions}
    result = ColumnMap()
    free = list(columns)
    _apply_renames(result, renames or {}, by_key, free, instrument)
    _match_exact(result, questions, free)
    _match_loose(result, questions, free)
    _match_choice_columns(result, questions, free, instrument)
    _match_geopoints(result, questions, free)
    _match_metadata(result, free)
    _ignore_repeats(result, instrument, free)
    result.unknown = free
    _finish(result, questions)
    return result


def check_form_match(
    mapping: ColumnMap,
    instrument: Instrument,
    columns: Sequence[str],
    file: str,
    others: Iterable[Path] = (),
) -> None:
    """Raise :class:`DataError` when the file is not an export of ``instrument``.

    The message names the best-matching form among ``others`` (other XLSForm files),
    when one matches at least :data:`MIN_SHARE` of its questions.
    """
    if mapping.counted == 0 or mapping.share >= MIN_SHARE:
        return
    best = _best_other(columns, instrument, others)
    hint = (
        f"; it looks like an export of form '{best[0]}' ({best[1]:.0%} of its questions "
        f"match): name that form for this file"
        if best
        else "; no other form in the instruments folder matches it either: check that this "
        "is the right file"
    )
    raise DataError(
        f"{file}: only {round(mapping.share * mapping.counted)} of {mapping.counted} questions "
        f"of form '{instrument.form_id}' have a column in this file ({mapping.share:.0%}, "
        f"at least {MIN_SHARE:.0%} expected): it is not an export of this form{hint}"
    )


# --------------------------------------------------------------------------- matching steps
def _candidates(question: Question) -> list[tuple[str, str]]:
    """``(column name, separator)`` a question may be exported under, most specific first."""
    names = [(question.path(sep), sep) for sep in GROUP_SEPARATORS if sep and question.group_path]
    names.append((question.name, ""))
    return list(dict.fromkeys(names))


def _apply_renames(
    result: ColumnMap,
    renames: Mapping[str, str],
    by_key: Mapping[str, Question],
    free: list[str],
    instrument: Instrument,
) -> None:
    for column, target in renames.items():
        key = _key_for(target, by_key)
        if key is None:
            raise ParamsError(
                f"rename {column!r} → {target!r}: form '{instrument.form_id}' has no question "
                f"'{target}'{did_you_mean(target, [q.name for q in by_key.values()])}; fix "
                "'renames' in params/datasets.yaml"
            )
        if column not in free:
            result.notes.append(f"configured rename {column!r} → '{key}' not used: no such column")
            continue
        free.remove(column)
        result.questions[key] = column
        result.renamed[column] = key
        result.notes.append(f"column {column!r} read as question '{key}' (configured rename)")


def _key_for(target: str, by_key: Mapping[str, Question]) -> str | None:
    if target in by_key:
        return target
    named = [k for k, q in by_key.items() if target in (q.name, q.path("/"))]
    return named[0] if len(named) == 1 else None


def _match_exact(result: ColumnMap, questions: list[Question], free: list[str]) -> None:
    names: dict[str, list[tuple[str, str]]] = {}
    for q in questions:
        if q.key in result.questions:
            continue
        for name, sep in _candidates(q):
            names.setdefault(name, []).append((q.key, sep))
    separators: dict[str, int] = {}
    for column in list(free):
        found = names.get(column, [])
        keys = {k for k, _ in found if k not in result.questions}
        if len(keys) != 1:
            continue
        key = keys.pop()
        sep = next(s for k, s in found if k == key)
        result.questions[key] = column
        free.remove(column)
        if sep:
            separators[sep] = separators.get(sep, 0) + 1
    result.separators = sorted(separators, key=separators.get, reverse=True)


def _match_loose(result: ColumnMap, questions: list[Question], free: list[str]) -> None:
    """Headers with another case or stray spaces, or a question's label (labels mode)."""
    wanted: dict[str, set[str]] = {}
    for q in questions:
        if q.key in result.questions:
            continue
        for name, _ in _candidates(q):
            wanted.setdefault(name.casefold(), set()).add(q.key)
        for label in q.labels.values():
            wanted.setdefault(" ".join(label.split()).casefold(), set()).add(q.key)
    for column in list(free):
        keys = wanted.get(" ".join(column.split()).casefold(), set()) - set(result.questions)
        if len(keys) == 1:
            key = keys.pop()
            result.questions[key] = column
            free.remove(column)
            result.notes.append(f"column {column!r} read as question '{key}' (case or label)")


def _match_choice_columns(
    result: ColumnMap, questions: list[Question], free: list[str], instrument: Instrument
) -> None:
    remaining = set(free)
    for q in questions:
        if q.type != "select_multiple" or not q.list_name:
            continue
        bases = [result.questions[q.key]] if q.key in result.questions else []
        bases += [name for name, _ in _candidates(q)]
        codes = [c.name for c in instrument.choices(q.list_name)]
        for base in dict.fromkeys(bases):
            found = {
                code: f"{base}{sep}{code}"
                for code in codes
                for sep in CHOICE_SEPARATORS
                if f"{base}{sep}{code}" in remaining
            }
            if found:
                result.choices[q.key] = found
                remaining -= set(found.values())
                break
    for columns in result.choices.values():
        for column in columns.values():
            free.remove(column)


def _match_geopoints(result: ColumnMap, questions: list[Question], free: list[str]) -> None:
    geo = {q.name.casefold(): q for q in questions if q.type in ABSENT_TYPES}
    if not geo:
        return
    for column in list(free):
        match = _GEO_PART.match(column.rsplit("/", 1)[-1]) or _GEO_PART.match(column)
        if match and match.group("name").casefold() in geo:
            free.remove(column)
            result.ignored.append(column)


def _match_metadata(result: ColumnMap, free: list[str]) -> None:
    for column in list(free):
        role = _metadata_role(column)
        if role is None:
            continue
        result.metadata[column] = role
        free.remove(column)


def _metadata_role(column: str) -> str | None:
    if column in ID_COLUMNS:
        return "id"
    if column in SUBMITTED_AT_COLUMNS:
        return "submitted_at"
    if column in ENUMERATOR_COLUMNS:
        return "enumerator"
    if column in FORM_ID_COLUMNS:
        return "form_id"
    if column in SERVER_COLUMNS or column.startswith("_submission_"):
        return "server"
    if column in DEVICE_COLUMNS:
        return column
    return None


def _ignore_repeats(result: ColumnMap, instrument: Instrument, free: list[str]) -> None:
    """Columns of repeat-group questions (legacy wide exports) are another table's."""
    repeats = [q for q in instrument.data_questions() if q.repeat_path]
    if not repeats:
        return
    names = {q.name for q in repeats}
    for column in list(free):
        tail = re.split(r"[/\-.]", re.sub(r"\[\d+\]", "", column))[-1]
        if tail in names:
            free.remove(column)
            result.ignored.append(column)
    groups = sorted({q.repeat_path[0] for q in repeats})
    result.notes.append(
        f"repeat group(s) {format_values(groups)} are separate tables (other sheets or files); "
        "they are not part of this table"
    )


def _finish(result: ColumnMap, questions: list[Question]) -> None:
    answered = set(result.questions) | set(result.choices)
    counted = [q for q in questions if q.type not in DEVICE_TYPES]
    present = [
        q
        for q in counted
        if q.key in answered or (q.type in ABSENT_TYPES and _has_parts(q, result.ignored))
    ]
    result.counted = len(counted)
    result.share = len(present) / len(counted) if counted else 1.0
    result.missing = [
        q.key
        for q in questions
        if q.key not in answered and not (q.type in ABSENT_TYPES and _has_parts(q, result.ignored))
    ]


def _has_parts(question: Question, ignored: list[str]) -> bool:
    return any(question.name.casefold() in c.casefold() for c in ignored)


def _best_other(
    columns: Sequence[str], instrument: Instrument, others: Iterable[Path]
) -> tuple[str, float] | None:
    best: tuple[str, float] | None = None
    for path in others:
        try:
            other = read_instrument(path, convert=False)
        except InstrumentError:
            continue
        if other.form_id == instrument.form_id:
            continue
        share = map_columns(other, columns).share
        if share >= MIN_SHARE and (best is None or share > best[1]):
            best = (other.form_id, share)
    return best
