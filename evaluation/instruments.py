"""XLSForm questionnaires: read a form into a frozen model and find what is wrong with it.

:func:`read_instrument` reads an XLSForm (``.xlsx``, ``.xls`` or pyxform's ``.csv`` form) with
pyxform's own sheet readers, builds an :class:`Instrument` (questions in order with their
group and repeat paths, choice lists, labels per language, the ``personal_data`` marks) and
raises :class:`~evaluation.errors.InstrumentError` when the form cannot be used.
:func:`check_instrument` returns every :class:`~evaluation.errors.Problem` instead, each with
its sheet, spreadsheet row and column. Once our own checks pass, pyxform's converter runs on
the same sheets, so a form that reads here also deploys to KoboToolbox / ODK Central.

Languages are keyed by the code in ``label::Shqip (sq)`` (``sq``); a plain ``label`` column is
the language named by ``settings.default_language``, or ``default`` when none is named.
``personal_data`` (a survey column the form author edits) marks a field ``direct`` (a name, a
phone number), ``linking`` (an identifier that links records, pseudonymised on ingestion) or
``free_text``; empty means not personal.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

from evaluation.errors import (
    ExpressionError,
    InstrumentError,
    ParamsError,
    Problem,
    UnsupportedExpressionError,
    did_you_mean,
    format_values,
)
from evaluation.expressions import compile_expression

__all__ = [
    "PERSONAL_DATA_VALUES",
    "Choice",
    "Instrument",
    "Question",
    "check_instrument",
    "check_summary",
    "is_fatal",
    "normalise_type",
    "read_instrument",
]

PERSONAL_DATA_VALUES = ("direct", "linking", "free_text")
"""Allowed values of the ``personal_data`` survey column (empty: not personal)."""

DEFAULT_LANGUAGE = "default"
"""The language of plain ``label``/``hint`` columns when ``default_language`` is not set."""

WARNING_RULES = frozenset(
    {
        "ambiguous_name",
        "personal_data_ignored",
        "pyxform_warning",
        "sheet_name_case",
        "unknown_type",
        "unmarked_personal",
        "unsupported_expression",
    }
)
"""Problem rules that leave the form usable; every other rule makes it unusable."""

EXPRESSION_COLUMNS = ("relevant", "constraint", "calculation", "choice_filter")
TEXT_WITH_REFERENCES = ("label", "hint", "constraint_message", "required_message")

_NAME_RE = re.compile(r"[^\W\d][\w.\-]*")
_REFERENCE_RE = re.compile(r"\$\{([^}]*)\}")
_LANGUAGE_CODE_RE = re.compile(r"\(([^()]*)\)\s*$")
_ROW_IN_MESSAGE = re.compile(r"\[row\s*:\s*(\d+)\]")

# --------------------------------------------------------------------------- question types
_SELECT_PREFIXES = {
    "select_one": "select_one",
    "select one": "select_one",
    "select one from": "select_one",
    "select1": "select_one",
    "select one using": "select_one",
    "add select one prompt using": "select_one",
    "select_multiple": "select_multiple",
    "select multiple": "select_multiple",
    "select multiple from": "select_multiple",
    "select all that apply": "select_multiple",
    "select all that apply from": "select_multiple",
    "select multiple using": "select_multiple",
    "add select multiple prompt using": "select_multiple",
    "select_one_from_file": "select_one_from_file",
    "select one from file": "select_one_from_file",
    "select_multiple_from_file": "select_multiple_from_file",
    "select multiple from file": "select_multiple_from_file",
    "select_one_external": "select_one_external",
    "select one external": "select_one_external",
    "rank": "rank",
}
_OR_OTHER = ("or_other", "or specify other", "or other")
FILE_SELECTS = frozenset({"select_one_from_file", "select_multiple_from_file"})
SELECT_TYPES = frozenset({"select_one", "select_multiple", "rank", "select_one_external"})

CANONICAL_TYPES = frozenset(
    {
        "text", "integer", "decimal", "range", "date", "time", "dateTime", "geopoint",
        "geotrace", "geoshape", "image", "audio", "video", "file", "barcode", "calculate",
        "acknowledge", "note", "hidden", "xml-external", "csv-external", "start", "end",
        "today", "deviceid", "phonenumber", "username", "email", "simserial", "subscriberid",
        "audit", "start-geopoint", "background-audio", "background-geopoint", "osm",
        "begin group", "end group", "begin repeat", "end repeat",
    }
)  # fmt: skip
"""Question types as the XLSForm spec spells them (plus the select types)."""

_TYPE_ALIASES = {
    "string": "text", "q string": "text", "add text prompt": "text",
    "int": "integer", "q int": "integer", "add integer prompt": "integer",
    "q decimal": "decimal", "add decimal prompt": "decimal",
    "datetime": "dateTime", "date time": "dateTime", "q datetime": "dateTime",
    "add datetime prompt": "dateTime", "add date time prompt": "dateTime",
    "q date time": "dateTime", "q date": "date", "add date prompt": "date",
    "imei": "deviceid", "device id": "deviceid", "get device id": "deviceid",
    "uri:deviceid": "deviceid",
    "photo": "image", "q picture": "image", "q image": "image", "add image prompt": "image",
    "add photo prompt": "image",
    "q audio": "audio", "add audio prompt": "audio", "q video": "video",
    "add video prompt": "video", "add file prompt": "file",
    "q barcode": "barcode", "add barcode prompt": "barcode",
    "q note": "note", "add note prompt": "note",
    "q calculate": "calculate", "add calculate prompt": "calculate",
    "q acknowledge": "acknowledge", "add acknowledge prompt": "acknowledge",
    "trigger": "acknowledge",
    "location": "geopoint", "gps": "geopoint", "q location": "geopoint",
    "q geopoint": "geopoint", "add location prompt": "geopoint",
    "q geoshape": "geoshape", "q geotrace": "geotrace",
    "start time": "start", "get start time": "start",
    "end time": "end", "get end time": "end", "get today": "today",
    "phone number": "phonenumber", "get phone number": "phonenumber",
    "uri:phonenumber": "phonenumber",
    "sim id": "simserial", "get sim id": "simserial", "uri:simserial": "simserial",
    "subscriber id": "subscriberid", "get subscriber id": "subscriberid",
    "uri:subscriberid": "subscriberid",
    "uri:username": "username", "uri:email": "email",
    "begin_group": "begin group", "end_group": "end group",
    "begin_repeat": "begin repeat", "end_repeat": "end repeat",
    "begin looped group": "begin repeat", "end looped group": "end repeat",
    "begin lgroup": "begin repeat", "end lgroup": "end repeat",
}  # fmt: skip

NO_DATA_TYPES = frozenset(
    {"begin group", "end group", "begin repeat", "end repeat", "note", "xml-external",
     "csv-external"}
)  # fmt: skip
"""Types that produce no data column."""

PERSONAL_BY_TYPE = frozenset(
    {"phonenumber", "email", "simserial", "subscriberid", "geopoint", "geotrace", "geoshape",
     "start-geopoint", "background-geopoint", "image", "audio", "video", "background-audio"}
)  # fmt: skip
"""Types whose answers identify a person or place; a form that marks personal data should
mark these too. (``deviceid`` and ``username`` identify the device and the enumerator, which
quality checks need.)"""

# --------------------------------------------------------------------------- sheet columns
_TRANSLATABLE = frozenset(
    {"label", "hint", "guidance_hint", "constraint_message", "required_message", "image",
     "audio", "video", "big-image"}
)  # fmt: skip
_COLUMN_ALIASES = {
    "caption": "label", "relevance": "relevant", "calculate": "calculation",
    "constraint message": "constraint_message", "constraining_message": "constraint_message",
    "jr:constraintmsg": "constraint_message", "requiredmsg": "required_message",
    "required message": "required_message", "count": "repeat_count",
    "jr:count": "repeat_count", "readonly": "read_only", "command": "type", "tag": "name",
    "value": "name", "list name": "list_name", "bind:relevant": "relevant",
    "bind:constraint": "constraint", "bind:required": "required",
    "bind:calculate": "calculation", "bind:jr:constraintmsg": "constraint_message",
    "control:appearance": "appearance", "media:image": "image", "media:audio": "audio",
    "media:video": "video",
}  # fmt: skip
_KNOWN_COLUMNS = frozenset(
    {"type", "name", "list_name", "required", "constraint", "relevant", "calculation",
     "appearance", "choice_filter", "default", "repeat_count", "read_only", "parameters",
     "personal_data", "trigger"}
) | _TRANSLATABLE  # fmt: skip
_SETTINGS_ALIASES = {
    "set_form_title": "form_title", "title": "form_title", "set_form_id": "form_id",
    "id_string": "form_id",
}  # fmt: skip
_YES = frozenset({"yes", "true", "true()"})
_NO = frozenset({"no", "false", "false()"})


def _snake(text: str) -> str:
    return "_".join(text.split()).lower()


@dataclass(frozen=True)
class _Header:
    """One sheet column: its base name (``label``) and language (``None`` for plain)."""

    written: str
    base: str
    language: str | None


def _parse_header(written: str) -> _Header:
    if "::" in written:
        base, _, language = written.partition("::")
        return _Header(written, _base_name(base), language.strip())
    base, colon, language = written.partition(":")
    if colon and _base_name(base) in _TRANSLATABLE and language.strip():
        return _Header(written, _base_name(base), language.strip())  # legacy label:English
    return _Header(written, _base_name(written), None)


def _base_name(text: str) -> str:
    lowered = " ".join(text.split()).lower()
    if lowered in _COLUMN_ALIASES:
        return _COLUMN_ALIASES[lowered]
    snake = _snake(text)
    if snake in _KNOWN_COLUMNS:
        return snake
    return _COLUMN_ALIASES.get(snake, text.strip())


def _language_code(written: str) -> str:
    match = _LANGUAGE_CODE_RE.search(written)
    code = match.group(1).strip() if match else ""
    return code or written.strip()


# --------------------------------------------------------------------------- the model
def _frozen(mapping: Mapping[str, str] | None = None) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Question:
    """One row of the survey sheet: a question, a group or a repeat (``end`` rows are left out).

    Attributes
    ----------
    name : str
        The name as written (surrounding spaces removed).
    type : str
        Normalised type: ``integer``, ``select_one``, ``begin group``, ``dateTime``...
        Aliases (``begin_group``, ``select one from``, ``string``, ``imei``) are resolved;
        an unknown type is kept as written.
    row : int or None
        Spreadsheet row (1-based, header is row 1) or position in a Kobo JSON survey.
    group_path : tuple of str
        Names of the enclosing groups and repeats, outermost first.
    repeat_path : tuple of str
        Names of the enclosing repeats (the question's table is the innermost one).
    list_name : str
        The choice list of a select (or the file of ``select_one_from_file``).
    or_other : bool
        ``select_one LIST or_other``: an "other" choice with a text field.
    labels, hints, constraint_messages, required_messages : Mapping[str, str]
        Text per language code.
    required : bool
        ``yes``/``true``/``TRUE``/``true()`` in the ``required`` column.
    required_if : str
        The ``required`` column when it is an expression rather than yes/no.
    constraint, relevant, calculation, choice_filter, repeat_count : str
        Expressions as written (empty when absent).
    appearance, default, parameters : str
        As written.
    personal_data : str
        ``direct``, ``linking``, ``free_text``, or empty (not personal).
    key : str
        The name, or the ``/``-joined path when the form uses the name more than once.
    cells : Mapping[str, str]
        Every non-empty cell of the row by column header, as pyxform read it.
    """

    name: str
    type: str
    row: int | None = None
    group_path: tuple[str, ...] = ()
    repeat_path: tuple[str, ...] = ()
    list_name: str = ""
    or_other: bool = False
    labels: Mapping[str, str] = field(default_factory=_frozen)
    hints: Mapping[str, str] = field(default_factory=_frozen)
    required: bool = False
    required_if: str = ""
    required_messages: Mapping[str, str] = field(default_factory=_frozen)
    constraint: str = ""
    constraint_messages: Mapping[str, str] = field(default_factory=_frozen)
    relevant: str = ""
    calculation: str = ""
    appearance: str = ""
    choice_filter: str = ""
    default: str = ""
    repeat_count: str = ""
    parameters: str = ""
    personal_data: str = ""
    key: str = ""
    cells: Mapping[str, str] = field(default_factory=_frozen)

    @property
    def is_group(self) -> bool:
        """A ``begin group`` or ``begin repeat`` row."""
        return self.type in ("begin group", "begin repeat")

    @property
    def is_repeat(self) -> bool:
        """A ``begin repeat`` row."""
        return self.type == "begin repeat"

    @property
    def is_select(self) -> bool:
        """A select question whose choices are on the choices sheet (or from a file)."""
        return self.type in SELECT_TYPES or self.type in FILE_SELECTS

    @property
    def produces_data(self) -> bool:
        """Whether exports have a column for it (not a group, repeat or note)."""
        return self.type not in NO_DATA_TYPES

    def path(self, separator: str | None = "/") -> str:
        """The export column name: group names and the name joined by ``separator``.

        ``None`` or ``""`` gives the bare name (exports without group prefixes).
        """
        if not separator:
            return self.name
        return separator.join((*self.group_path, self.name))


@dataclass(frozen=True)
class Choice:
    """One row of the choices sheet.

    ``name`` is the stored value, always text (a numeric cell ``1`` is ``"1"``, never
    ``"1.0"``); ``labels`` are per language code; ``cells`` holds every non-empty cell by
    header (extra columns such as ``filter`` that choice filters use).
    """

    list_name: str
    name: str
    labels: Mapping[str, str] = field(default_factory=_frozen)
    row: int | None = None
    cells: Mapping[str, str] = field(default_factory=_frozen)


@dataclass(frozen=True)
class Instrument:
    """A questionnaire read from an XLSForm (or Kobo's form JSON). Read-only.

    Attributes
    ----------
    form_id, title, version : str
        From the settings sheet (``form_id`` defaults to the file name, ``title`` to the id).
    default_language : str
        Code of the language used when none is asked for.
    languages : tuple of str
        Language codes in the order their columns appear (``default`` for plain columns).
    language_names : Mapping[str, str]
        Code → the name as written in the header (``sq`` → ``Shqip (sq)``).
    questions : tuple of Question
        Every survey row except ``end group``/``end repeat``, in form order.
    choice_lists : Mapping[str, tuple of Choice]
        Choices by list name, in sheet order.
    settings : Mapping[str, str]
        The settings row (column names normalised: ``form_title``, ``form_id``...).
    problems : tuple of Problem
        Warnings found while reading (a form with errors is never built).
    source : str
        The file it was read from.
    """

    form_id: str
    title: str
    version: str
    default_language: str
    languages: tuple[str, ...]
    language_names: Mapping[str, str]
    questions: tuple[Question, ...]
    choice_lists: Mapping[str, tuple[Choice, ...]]
    settings: Mapping[str, str] = field(default_factory=_frozen)
    problems: tuple[Problem, ...] = ()
    source: str = ""

    @classmethod
    def from_kobo_json(cls, path: str | Path, *, convert: bool = True) -> Instrument:
        """Read a form from KoboToolbox's asset-content JSON.

        Accepts the asset (with ``content``), the content itself (``survey``, ``choices``,
        ``translations``) or formpack's fixture layout (``version``, ``content``,
        ``submissions``). Labels are lists, one per entry of ``translations``; a ``null``
        translation is the plain (default) language.

        Raises
        ------
        InstrumentError
            When the form has errors (see :func:`read_instrument`).
        """
        instrument, problems = _load(Path(path), convert=convert, reader=_read_kobo_json)
        return _usable(instrument, problems, Path(path))

    # ----------------------------------------------------------------------- lookups
    def question(self, key: str) -> Question:
        """The question, group or repeat with this key (its name, or path if ambiguous)."""
        found = self._by_key.get(key)
        if found is None:
            hint = did_you_mean(key, self._by_key)
            raise InstrumentError(
                f"form '{self.form_id}' has no question '{key}'{hint}; it has "
                f"{format_values([q.key for q in self.questions], limit=8)}"
            )
        return found

    def data_questions(self) -> tuple[Question, ...]:
        """Questions that produce a data column (not groups, repeats or notes), in order."""
        return tuple(q for q in self.questions if q.produces_data)

    def groups(self) -> tuple[Question, ...]:
        """The ``begin group`` and ``begin repeat`` rows, in order."""
        return tuple(q for q in self.questions if q.is_group)

    def choices(self, list_name: str) -> tuple[Choice, ...]:
        """The choices of a list, in sheet order."""
        found = self.choice_lists.get(list_name)
        if found is None:
            hint = did_you_mean(list_name, self.choice_lists)
            raise InstrumentError(
                f"form '{self.form_id}' has no choice list '{list_name}'{hint}; lists: "
                f"{format_values(sorted(self.choice_lists), limit=10)}"
            )
        return found

    def language(self, lang: str | None = None) -> str:
        """The language code for ``lang`` (a code or a name as written; None: the default)."""
        if lang is None:
            return self.default_language
        if lang in self.languages:
            return lang
        wanted = _language_code(lang)
        for code, written in self.language_names.items():
            if lang == written or wanted == code:
                return code
        raise ParamsError(
            f"form '{self.form_id}' has no language '{lang}'; it has "
            f"{format_values(self.languages)}"
        )

    def label(self, key: str, lang: str | None = None) -> str:
        """A question's label in ``lang``, else in the default language, else any; or ''."""
        return self._pick(self.question(key).labels, lang)

    def choice_label(self, list_name: str, value: object, lang: str | None = None) -> str:
        """The label of choice ``value`` (its name; numbers accepted: ``1.0`` means ``"1"``)."""
        name = _choice_name(value)
        for choice in self.choices(list_name):
            if choice.name == name:
                return self._pick(choice.labels, lang)
        names = [c.name for c in self.choices(list_name)]
        raise InstrumentError(
            f"choice list '{list_name}' of form '{self.form_id}' has no choice {name!r}; "
            f"its choices are {format_values(names, limit=10)}"
        )

    def column_paths(self, separator: str | None = "/") -> dict[str, str]:
        """Export column name of every data question, by question key.

        Parameters
        ----------
        separator : {"/", "-", ".", "", None}
            How the export joins group names: Kobo ``/`` (or ``.`` when chosen), ODK
            Central ``-``; ``""``/``None`` for exports without group prefixes.
        """
        if separator not in ("/", "-", ".", "", None):
            raise ParamsError(
                f"group separator {separator!r} is not one exports use; choose '/', '-', '.', "
                "or '' (no group prefix)"
            )
        return {q.key: q.path(separator) for q in self.data_questions()}

    def personal_fields(self) -> dict[str, str]:
        """``{key: mark}`` for every question marked in the ``personal_data`` column."""
        return {q.key: q.personal_data for q in self.questions if q.personal_data}

    def type_counts(self) -> dict[str, int]:
        """How many data questions of each type, most common first."""
        return dict(Counter(q.type for q in self.data_questions()).most_common())

    @cached_property
    def _by_key(self) -> dict[str, Question]:
        return {q.key: q for q in self.questions}

    def _pick(self, texts: Mapping[str, str], lang: str | None) -> str:
        code = self.language(lang)
        for candidate in (code, self.default_language, *self.languages):
            if texts.get(candidate):
                return texts[candidate]
        return ""


def _choice_name(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --------------------------------------------------------------------------- public API
def read_instrument(path: str | Path, *, convert: bool = True) -> Instrument:
    """Read an XLSForm questionnaire into an :class:`Instrument`.

    Parameters
    ----------
    path : str or Path
        An ``.xlsx``/``.xlsm``, ``.xls`` or pyxform ``.csv`` XLSForm, or a Kobo form
        ``.json`` (see :meth:`Instrument.from_kobo_json`).
    convert : bool, default True
        Also run pyxform's XLSForm→XForm converter, so that its errors (those our checks do
        not cover) count too. Switch off only for speed when the form is known to be good.

    Returns
    -------
    Instrument
        The questionnaire; ``instrument.problems`` lists warnings.

    Raises
    ------
    InstrumentError
        The file is missing or unreadable, or the form has an error (missing survey sheet,
        duplicate or invalid name, unknown choice list, bad expression, ``personal_data``
        value not allowed...). The message names the file and the first problem's sheet,
        row and column; ``error.problems`` holds them all.

    Examples
    --------
    >>> form = read_instrument("surveys/instruments/youth_survey.xlsx")  # doctest: +SKIP
    >>> form.label("age", "sq")  # doctest: +SKIP
    """
    path = Path(path)
    reader = _read_kobo_json if path.suffix.lower() == ".json" else _read_workbook
    instrument, problems = _load(path, convert=convert, reader=reader)
    return _usable(instrument, problems, path)


def check_instrument(path: str | Path, *, convert: bool = True) -> list[Problem]:
    """Every problem in a form (errors and warnings), in sheet and row order.

    A problem is fatal (the form cannot be used) unless :func:`is_fatal` says otherwise.
    Only a missing file raises :class:`~evaluation.errors.InstrumentError`; everything
    wrong inside a file is returned.
    """
    path = Path(path)
    reader = _read_kobo_json if path.suffix.lower() == ".json" else _read_workbook
    return _load(path, convert=convert, reader=reader)[1]


def check_summary(path: str | Path) -> tuple[str, bool]:
    """The text ``workbench instrument check`` prints, and whether the form is usable.

    A usable form gets a summary (form id, version, languages, data questions by type,
    groups and repeats, personal fields) followed by its warnings; an unusable one gets
    every problem with its sheet, row and column.
    """
    path = Path(path)
    reader = _read_kobo_json if path.suffix.lower() == ".json" else _read_workbook
    instrument, problems = _load(path, convert=True, reader=reader)
    errors = [p for p in problems if is_fatal(p)]
    warnings = len(problems) - len(errors)
    counts = f"{len(errors)} error{_s(errors)}, {warnings} warning{_s(range(warnings))}"
    if errors or instrument is None:
        lines = [f"{path.name}: NOT usable ({counts})"]
        lines += [f"  {_format_problem(p)}" for p in problems]
        return "\n".join(lines), False
    lines = [f"{path.name}: usable ({counts})", *_summary_lines(instrument)]
    if problems:
        lines.append("warnings:")
        lines += [f"  {_format_problem(p)}" for p in problems]
    return "\n".join(lines), True


def _s(items: Any) -> str:
    return "" if len(items) == 1 else "s"


def _format_problem(problem: Problem) -> str:
    where = dataclasses.replace(problem, file="").where() or "form"
    return f"{'error' if is_fatal(problem) else 'warning':<7} {where}: {problem.message}"


def _summary_lines(form: Instrument) -> list[str]:
    languages = ", ".join(
        f"{code} ({name})" if name != code else code for code, name in form.language_names.items()
    )
    data = form.data_questions()
    types = ", ".join(f"{kind} {n}" for kind, n in form.type_counts().items())
    groups = ", ".join(
        f"{'/'.join((*g.group_path, g.name))}{' (repeat)' if g.is_repeat else ''}"
        for g in form.groups()
    )
    personal = ", ".join(f"{key} ({mark})" for key, mark in form.personal_fields().items())
    return [
        f"  form id    {form.form_id}",
        f"  title      {form.title}",
        f"  version    {form.version or '(none)'}",
        f"  languages  {languages or '(no labels)'}; default {form.default_language}",
        f"  questions  {len(data)}: {types or 'none'}",
        f"  groups     {groups or 'none'}",
        f"  choices    {len(form.choice_lists)} lists",
        f"  personal   {personal or 'none marked'}",
    ]


def is_fatal(problem: Problem) -> bool:
    """Whether a problem makes the form unusable (an error rather than a warning)."""
    return problem.rule not in WARNING_RULES


def normalise_type(cell: str) -> tuple[str, str, bool]:
    """``(type, list_name, or_other)`` for a survey ``type`` cell.

    ``"select one from sex"`` → ``("select_one", "sex", False)``; ``"begin_group"`` →
    ``("begin group", "", False)``; ``"imei"`` → ``("deviceid", "", False)``; an unknown type is
    returned as written (spaces collapsed).
    """
    words = " ".join(cell.split())
    lowered = words.lower()
    for prefix in sorted(_SELECT_PREFIXES, key=len, reverse=True):
        if lowered == prefix or lowered.startswith(prefix + " "):
            rest = words[len(prefix) :].strip()
            or_other = False
            for suffix in _OR_OTHER:
                if rest.lower().endswith(" " + suffix):
                    rest, or_other = rest[: -len(suffix)].strip(), True
            return _SELECT_PREFIXES[prefix], rest, or_other
    if lowered in _TYPE_ALIASES:
        return _TYPE_ALIASES[lowered], "", False
    for canonical in CANONICAL_TYPES:
        if lowered == canonical.lower():
            return canonical, "", False
    return words, "", False


# --------------------------------------------------------------------------- reading sheets
@dataclass
class _Sheet:
    """One sheet as pyxform read it: headers as written, rows with spreadsheet row numbers."""

    name: str
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]


@dataclass
class _Workbook:
    file: str
    sheet_names: list[str]
    sheets: dict[str, _Sheet]
    pyxform_input: dict[str, Any] | None = None


def _read_workbook(path: Path, problems: list[Problem]) -> _Workbook | None:
    from pyxform.errors import PyXFormError
    from pyxform.xls2json_backends import csv_to_dict, xls_to_dict, xlsx_to_dict

    suffix = path.suffix.lower()
    readers = {".xlsx": xlsx_to_dict, ".xlsm": xlsx_to_dict, ".xls": xls_to_dict}
    if suffix not in (*readers, ".csv"):
        problems.append(
            _problem(
                path,
                "unreadable",
                f"'{path.name}' is not an XLSForm file: expected .xlsx, .xls or .csv "
                "(or a Kobo form .json)",
            )
        )
        return None
    try:
        raw = csv_to_dict(str(path)) if suffix == ".csv" else readers[suffix](str(path))
    except (PyXFormError, UnicodeDecodeError, OSError, ValueError, KeyError, TypeError) as error:
        problems.append(_read_problem(path, error))
        return None
    line_numbers = _csv_line_numbers(path) if suffix == ".csv" else None
    sheets = {}
    for key, rows in raw.items():
        if key == "sheet_names" or key.endswith("_header"):
            continue
        header_rows = raw.get(f"{key}_header") or [{}]
        headers = [h for h in header_rows[0] if h]
        numbers = line_numbers.get(key, []) if line_numbers is not None else None
        numbered = [
            (numbers[i] if numbers is not None and i < len(numbers) else i + 2, row)
            for i, row in enumerate(rows)
        ]
        sheets[key] = _Sheet(key, headers, numbered)
    return _Workbook(path.name, list(raw.get("sheet_names", [])), sheets, raw)


def _read_problem(path: Path, error: Exception) -> Problem:
    message = str(error)
    if "Duplicate column header" in message:
        column = message.rsplit(":", 1)[-1].strip()
        return _problem(
            path,
            "duplicate_column",
            f"the column header '{column}' appears twice in one sheet; delete or rename one",
            column=column,
        )
    return _problem(
        path,
        "unreadable",
        f"'{path.name}' cannot be read as an XLSForm ({message}); open it in Excel and save "
        "it again as .xlsx",
    )


def _csv_line_numbers(path: Path) -> dict[str, list[int]]:
    """Line numbers of the data rows pyxform's CSV reader keeps, per sheet (same rules)."""
    numbers: dict[str, list[int]] = {}
    text = path.read_bytes().decode("utf-8", errors="replace")
    sheet = ""
    header_seen = False
    reader = csv.reader(io.StringIO(text, newline=""))
    for row in reader:
        if not row:
            continue
        if len(row) == 1:
            name, content = row[0], []
        else:
            name, content = row[0].strip(), [v.strip() for v in row[1:]]
        if name:
            sheet, header_seen = name.lower(), False
        if not any(content):
            continue
        if header_seen:
            numbers.setdefault(sheet, []).append(reader.line_num)
        header_seen = True
    return numbers


def _read_kobo_json(path: Path, problems: list[Problem]) -> _Workbook | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        problems.append(_problem(path, "unreadable", f"'{path.name}' is not valid JSON: {error}"))
        return None
    content = document.get("content", document) if isinstance(document, dict) else None
    if not isinstance(content, dict) or not isinstance(content.get("survey"), list):
        problems.append(
            _problem(
                path,
                "missing_sheet",
                f"'{path.name}' has no Kobo form content (a 'survey' list, as in the asset's "
                "'content'); download the form JSON from /api/v2/assets/<uid>/",
                sheet="survey",
            )
        )
        return None
    translations = content.get("translations") or [None]
    translated = set(content.get("translated") or [])
    sheets = {
        "survey": _kobo_sheet("survey", content.get("survey", []), translations, translated),
        "choices": _kobo_sheet("choices", content.get("choices", []), translations, translated),
    }
    settings = content.get("settings") or {}
    if isinstance(settings, list):
        settings = settings[0] if settings else {}
    settings = {k: _kobo_cell(v) for k, v in settings.items() if _kobo_cell(v)}
    if "version" not in settings and isinstance(document.get("version"), str):
        settings["version"] = document["version"]
    sheets["settings"] = _Sheet("settings", list(settings), [(2, settings)] if settings else [])
    workbook = _Workbook(path.name, list(sheets), sheets)
    workbook.pyxform_input = {
        "survey": [row for _, row in sheets["survey"].rows],
        "survey_header": [dict.fromkeys(sheets["survey"].headers)],
        "choices": [row for _, row in sheets["choices"].rows],
        "choices_header": [dict.fromkeys(sheets["choices"].headers)],
        "settings": [settings] if settings else [],
        "settings_header": [dict.fromkeys(settings)],
        "sheet_names": ["survey", "choices", "settings"],
        "fallback_form_name": path.stem,
    }
    return workbook


def _kobo_sheet(
    name: str, items: list[Any], translations: list[Any], translated: set[str]
) -> _Sheet:
    rows: list[tuple[int, dict[str, str]]] = []
    headers: dict[str, None] = {}
    for position, item in enumerate(items, start=1):
        row: dict[str, str] = {}
        for key, value in (item if isinstance(item, dict) else {}).items():
            if key.startswith("$") or key == "select_from_list_name":
                continue
            if isinstance(value, list) or key in translated:
                values = value if isinstance(value, list) else [value]
                for language, text in zip(translations, values, strict=False):
                    column = f"{key}::{language}" if language else key
                    if _kobo_cell(text):
                        row[column] = _kobo_cell(text)
                    headers.setdefault(column)
            elif _kobo_cell(value):
                row[key] = _kobo_cell(value)
                headers.setdefault(key)
        if isinstance(item, dict):
            if not row.get("name") and item.get("$autoname"):
                row["name"] = str(item["$autoname"])
            if item.get("select_from_list_name"):
                row["type"] = f"{row.get('type', '')} {item['select_from_list_name']}".strip()
        headers.update(dict.fromkeys(row))
        rows.append((position, row))
    return _Sheet(name, list(headers), rows)


def _kobo_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --------------------------------------------------------------------------- building
def _problem(
    path: Path | str,
    rule: str,
    message: str,
    *,
    sheet: str = "",
    row: int | None = None,
    column: str = "",
    found: str = "",
) -> Problem:
    file = path.name if isinstance(path, Path) else path
    return Problem(file, sheet, row, column, found, rule, message)


def _load(path: Path, *, convert: bool, reader: Any) -> tuple[Instrument | None, list[Problem]]:
    if not path.is_file():
        hint = did_you_mean(path.name, [p.name for p in path.parent.glob("*")])
        raise InstrumentError(f"form file '{path}' does not exist{hint}")
    problems: list[Problem] = []
    workbook = reader(path, problems)
    if workbook is None:
        return None, problems
    builder = _Builder(path, workbook, problems)
    instrument = builder.build()
    if convert and instrument is not None and not any(is_fatal(p) for p in problems):
        rows = {q.name: q.row for q in reversed(instrument.questions)}
        problems.extend(_pyxform_problems(path, workbook, rows))
    problems.sort(key=lambda p: (_SHEET_ORDER.get(p.sheet, 9), p.row or 0))
    return instrument, problems


_SHEET_ORDER = {"": 0, "survey": 1, "choices": 2, "settings": 3}


def _usable(instrument: Instrument | None, problems: list[Problem], path: Path) -> Instrument:
    errors = [p for p in problems if is_fatal(p)]
    if errors or instrument is None:
        first = errors[0] if errors else problems[0]
        rest = len(errors) - 1
        more = f" (and {rest} more problem{_s(range(rest))})" if rest else ""
        error = InstrumentError(
            f"form '{path.name}' cannot be used: {first}{more}; run "
            f"'workbench instrument check {path}' to list every problem"
        )
        error.problems = tuple(problems)  # type: ignore[attr-defined]
        raise error
    warnings = tuple(p for p in problems if not is_fatal(p))
    return dataclasses.replace(instrument, problems=warnings)


class _Builder:
    """Turns the sheets into an Instrument, collecting problems with their places."""

    def __init__(self, path: Path, workbook: _Workbook, problems: list[Problem]) -> None:
        self.path = path
        self.workbook = workbook
        self.problems = problems

    def problem(self, rule: str, message: str, **where: Any) -> None:
        self.problems.append(_problem(self.path, rule, message, **where))

    # ----------------------------------------------------------------------- whole form
    def build(self) -> Instrument | None:
        survey = self._sheet("survey")
        if survey is None:
            found = format_values(self.workbook.sheet_names) or "none"
            self.problem(
                "missing_sheet",
                f"the form has no 'survey' sheet (sheets found: {found}); the questions must "
                "be on a sheet named exactly 'survey'",
                sheet="survey",
            )
            return None
        if not self._has_columns(survey, ("type", "name")):
            return None
        choices = self._sheet("choices")
        settings = self._settings()
        default_language = settings.get("default_language", "")
        plain = _language_code(default_language) if default_language else DEFAULT_LANGUAGE
        languages = self._languages(survey, choices, plain)
        default = self._default_language(default_language, languages, plain)
        choice_lists = self._choice_lists(choices, plain, settings) if choices else {}
        questions = _Questions(self, plain).read(survey)
        self._check_selects(questions, choice_lists, choices is not None)
        self._check_expressions(questions)
        self._check_personal(questions, survey)
        form_id = settings.get("form_id") or self.path.stem
        return Instrument(
            form_id=form_id,
            title=settings.get("form_title") or form_id,
            version=settings.get("version", ""),
            default_language=default,
            languages=tuple(languages),
            language_names=_frozen(languages),
            questions=tuple(questions),
            choice_lists=MappingProxyType(choice_lists),
            settings=_frozen(settings),
            source=str(self.path),
        )

    def _sheet(self, name: str) -> _Sheet | None:
        for written in self.workbook.sheet_names:
            if written.lower() == name and written != name:
                self.problem(
                    "sheet_name_case",
                    f"sheet '{written}' should be named '{name}' in lower case; pyxform accepts "
                    "it but KoboToolbox may not",
                    sheet=written,
                )
        if name not in self.workbook.sheets:
            return None
        if not any(n.lower() == name for n in self.workbook.sheet_names):
            return None  # pyxform read a lone, differently named sheet as the survey
        return self.workbook.sheets[name]

    def _has_columns(self, sheet: _Sheet, required: Iterable[str]) -> bool:
        bases = {_parse_header(h).base for h in sheet.headers}
        missing = [c for c in required if c not in bases]
        for column in missing:
            self.problem(
                "missing_column",
                f"the '{sheet.name}' sheet has no '{column}' column (columns found: "
                f"{format_values(sheet.headers, limit=8) or 'none'})",
                sheet=sheet.name,
                row=1,
                column=column,
            )
        return not missing

    def _settings(self) -> dict[str, str]:
        sheet = self.workbook.sheets.get("settings")
        if sheet is None or not sheet.rows:
            return {}
        row = next((r for _, r in sheet.rows if r), {})
        settings = {}
        for header, value in row.items():
            key = _snake(header)
            settings[_SETTINGS_ALIASES.get(key, key)] = value
        return settings

    def _languages(self, survey: _Sheet, choices: _Sheet | None, plain: str) -> dict[str, str]:
        languages: dict[str, str] = {}
        for sheet in (survey, choices):
            for header in sheet.headers if sheet else []:
                parsed = _parse_header(header)
                if parsed.base not in _TRANSLATABLE or not self._used(sheet, header):
                    continue
                if parsed.language is None:
                    languages.setdefault(plain, plain)
                else:
                    languages.setdefault(_language_code(parsed.language), parsed.language)
        return languages

    @staticmethod
    def _used(sheet: _Sheet | None, header: str) -> bool:
        return sheet is not None and any(row.get(header) for _, row in sheet.rows)

    def _default_language(self, written: str, languages: dict[str, str], plain: str) -> str:
        if written:
            code = _language_code(written)
            if code not in languages:
                self.problem(
                    "pyxform_warning",
                    f"settings default_language '{written}' matches no label column; labels "
                    f"are in {format_values(languages) or 'no language'}",
                    sheet="settings",
                    column="default_language",
                    found=written,
                )
            return code
        if plain in languages or not languages:
            return plain
        return next(iter(languages))

    # ----------------------------------------------------------------------- choices
    def _choice_lists(
        self, sheet: _Sheet, plain: str, settings: Mapping[str, str]
    ) -> dict[str, tuple[Choice, ...]]:
        if not self._has_columns(sheet, ("list_name", "name")):
            return {}
        headers = {h: _parse_header(h) for h in sheet.headers}
        allow_duplicates = settings.get("allow_choice_duplicates", "").lower() in _YES
        lists: dict[str, list[Choice]] = {}
        for row_number, row in sheet.rows:
            if not row:
                continue
            columns = _split_row(row, headers, plain)
            list_name, name = columns.plain("list_name"), columns.plain("name")
            where = {"sheet": "choices", "row": row_number}
            if not list_name:
                self.problem(
                    "missing_column",
                    "this choice has no list_name; fill it in or delete the row",
                    column="list_name",
                    **where,
                )
                continue
            if not name:
                self.problem(
                    "missing_name",
                    f"a choice of list '{list_name}' has no name (the value stored in the data)",
                    column="name",
                    **where,
                )
                continue
            existing = [c for c in lists.get(list_name, []) if c.name == name]
            if existing and not allow_duplicates:
                self.problem(
                    "duplicate_choice",
                    f"list '{list_name}' has the choice name '{name}' twice (first on row "
                    f"{existing[0].row}); names must be unique within a list",
                    column="name",
                    found=name,
                    **where,
                )
            choice = Choice(
                list_name, name, _frozen(columns.texts("label")), row_number, _frozen(row)
            )
            lists.setdefault(list_name, []).append(choice)
        return {name: tuple(choices) for name, choices in lists.items()}

    def _check_selects(
        self, questions: list[Question], lists: Mapping[str, tuple[Choice, ...]], has_sheet: bool
    ) -> None:
        for q in questions:
            if not q.is_select:
                continue
            where = {"sheet": "survey", "row": q.row, "column": "type"}
            if not q.list_name:
                self.problem(
                    "select_without_list",
                    f"'{q.name}' is a {q.type} without a choice list; write '{q.type} <list_name>'",
                    **where,
                )
            elif q.type in FILE_SELECTS:
                continue
            elif q.list_name not in lists:
                hint = did_you_mean(q.list_name, lists)
                known = format_values(sorted(lists), limit=8) if lists else "none"
                sheet_note = "" if has_sheet else " (the form has no 'choices' sheet)"
                self.problem(
                    "unknown_list",
                    f"'{q.name}' uses choice list '{q.list_name}', which the choices sheet "
                    f"does not have{sheet_note}{hint}; lists: {known}",
                    found=q.list_name,
                    **where,
                )
            elif q.type == "select_multiple":
                for choice in lists[q.list_name]:
                    if " " in choice.name:
                        self.problem(
                            "choice_name_space",
                            f"choice '{choice.name}' of list '{q.list_name}' has a space, but "
                            f"'{q.name}' is a select_multiple, whose answers are separated by "
                            "spaces; use '_' instead",
                            sheet="choices",
                            row=choice.row,
                            column="name",
                            found=choice.name,
                        )

    # ----------------------------------------------------------------------- expressions
    def _check_expressions(self, questions: list[Question]) -> None:
        names = Counter(q.name for q in questions)
        for q in questions:
            for column in (*EXPRESSION_COLUMNS, "required_if", "repeat_count"):
                text = getattr(q, column)
                if not text or (column == "repeat_count" and text.isdigit()):
                    continue
                shown = "required" if column == "required_if" else column
                self._check_expression(q, shown, text, names)
            for column in TEXT_WITH_REFERENCES:
                for header, text in q.cells.items():
                    if _parse_header(header).base == column:
                        self._check_references(q, header, _REFERENCE_RE.findall(text), names)

    def _check_expression(self, q: Question, column: str, text: str, names: Counter) -> None:
        where = {"sheet": "survey", "row": q.row, "column": column, "found": text}
        try:
            expression = compile_expression(text)
        except UnsupportedExpressionError as error:
            self.problem(
                "unsupported_expression",
                f"'{q.name}': {error.one_line()}; it will not be checked on ingestion",
                **where,
            )
            return
        except ExpressionError as error:
            self.problem("bad_expression", f"'{q.name}': {error.one_line()}", **where)
            return
        self._check_references(q, column, expression.fields, names)

    def _check_references(
        self, q: Question, column: str, references: Iterable[str], names: Counter
    ) -> None:
        for reference in dict.fromkeys(r.strip() for r in references):
            where = {"sheet": "survey", "row": q.row, "column": column, "found": reference}
            if names[reference] == 0:
                self.problem(
                    "unknown_reference",
                    f"'{q.name}' refers to ${{{reference}}}, but the form has no question "
                    f"named '{reference}'{did_you_mean(reference, names)}",
                    **where,
                )
            elif names[reference] > 1:
                self.problem(
                    "ambiguous_reference",
                    f"'{q.name}' refers to ${{{reference}}}, but '{reference}' names "
                    f"{names[reference]} questions; rename them so the reference is unique",
                    **where,
                )

    # ----------------------------------------------------------------------- personal data
    def _check_personal(self, questions: list[Question], survey: _Sheet) -> None:
        if not any(_parse_header(h).base == "personal_data" for h in survey.headers):
            return
        for q in questions:
            where = {"sheet": "survey", "row": q.row, "column": "personal_data"}
            if q.personal_data and not q.produces_data:
                self.problem(
                    "personal_data_ignored",
                    f"'{q.name}' is a {q.type} and holds no data, so its personal_data mark "
                    f"'{q.personal_data}' has no effect; mark the questions inside instead",
                    found=q.personal_data,
                    **where,
                )
            elif not q.personal_data and q.type in PERSONAL_BY_TYPE:
                self.problem(
                    "unmarked_personal",
                    f"'{q.name}' is a {q.type}, which identifies a person or place, but its "
                    "personal_data cell is empty; mark it direct or linking",
                    **where,
                )


@dataclass
class _Cells:
    """A row's cells grouped by base column and language."""

    values: dict[str, dict[str | None, str]]
    plain_language: str

    def plain(self, base: str) -> str:
        texts = self.values.get(base, {})
        return texts.get(None) or next(iter(texts.values()), "")

    def texts(self, base: str) -> dict[str, str]:
        texts = self.values.get(base, {})
        out = {
            _language_code(lang) if lang is not None else self.plain_language: text
            for lang, text in texts.items()
            if lang is not None
        }
        if texts.get(None):
            out.setdefault(self.plain_language, texts[None])
        return out


def _split_row(row: Mapping[str, str], headers: Mapping[str, _Header], plain: str) -> _Cells:
    values: dict[str, dict[str | None, str]] = {}
    for written, value in row.items():
        header = headers.get(written) or _parse_header(written)
        values.setdefault(header.base, {}).setdefault(header.language, value)
    return _Cells(values, plain)


class _Questions:
    """Reads survey rows into questions, tracking group nesting, names and duplicates."""

    def __init__(self, builder: _Builder, plain: str) -> None:
        self.builder = builder
        self.plain = plain
        self.stack: list[tuple[str, str, int]] = []  # (type, name, row)
        self.siblings: dict[tuple[tuple[str, ...], str], int] = {}

    def read(self, sheet: _Sheet) -> list[Question]:
        headers = {h: _parse_header(h) for h in sheet.headers}
        questions = []
        for row_number, row in sheet.rows:
            if row:
                question = self._row(row_number, row, headers)
                if question is not None:
                    questions.append(question)
        for kind, name, row_number in self.stack:
            self.builder.problem(
                "unbalanced_group",
                f"'{kind} {name}' is never closed; add an '{kind.replace('begin', 'end')}' row",
                sheet="survey",
                row=row_number,
                column="type",
            )
        return self._with_keys(questions)

    def _row(self, row_number: int, row: dict[str, str], headers: Mapping) -> Question | None:
        cells = _split_row(row, headers, self.plain)
        where = {"sheet": "survey", "row": row_number}
        written_type = cells.plain("type")
        if not written_type:
            self.builder.problem(
                "missing_type",
                "this row has content but no type; fill in the type or delete the row",
                column="type",
                **where,
            )
            return None
        kind, list_name, or_other = normalise_type(written_type)
        if kind in ("end group", "end repeat"):
            self._close(kind, row_number)
            return None
        name = cells.plain("name")
        if not self._check_name(name, kind, where):
            return None
        if kind not in CANONICAL_TYPES and kind not in SELECT_TYPES | FILE_SELECTS:
            self.builder.problem(
                "unknown_type",
                f"'{name}' has type '{written_type}', which XLSForm does not define; it is "
                "kept as text (types: text, integer, decimal, select_one LIST, date...)",
                column="type",
                found=written_type,
                **where,
            )
        group_path = tuple(n for _, n, _ in self.stack)
        repeat_path = tuple(n for k, n, _ in self.stack if k == "begin repeat")
        question = Question(
            name=name,
            type=kind,
            row=row_number,
            group_path=group_path,
            repeat_path=repeat_path,
            list_name=list_name,
            or_other=or_other,
            labels=_frozen(cells.texts("label")),
            hints=_frozen(cells.texts("hint")),
            required_messages=_frozen(cells.texts("required_message")),
            constraint_messages=_frozen(cells.texts("constraint_message")),
            **self._required(cells.plain("required")),
            constraint=cells.plain("constraint"),
            relevant=cells.plain("relevant"),
            calculation=cells.plain("calculation"),
            appearance=cells.plain("appearance"),
            choice_filter=cells.plain("choice_filter"),
            default=cells.plain("default"),
            repeat_count=cells.plain("repeat_count"),
            parameters=cells.plain("parameters"),
            personal_data=self._personal(cells.plain("personal_data"), name, where),
            cells=_frozen(row),
        )
        self._check_duplicate(question, where)
        if question.is_group:
            self.stack.append((kind, name, row_number))
        return question

    def _check_name(self, name: str, kind: str, where: dict[str, Any]) -> bool:
        if not name:
            self.builder.problem(
                "missing_name",
                f"this {kind} row has no name; every question, group and repeat needs one",
                column="name",
                **where,
            )
            return False
        if not _NAME_RE.fullmatch(name):
            self.builder.problem(
                "invalid_name",
                f"name '{name}' is not valid: a name starts with a letter or '_' and has only "
                "letters, digits, '_', '-' and '.' (no spaces)",
                column="name",
                found=name,
                **where,
            )
        return True

    def _close(self, kind: str, row_number: int) -> None:
        opening = kind.replace("end", "begin")
        if not self.stack:
            self.builder.problem(
                "unbalanced_group",
                f"'{kind}' closes nothing: no group or repeat is open here",
                sheet="survey",
                row=row_number,
                column="type",
            )
            return
        open_kind, open_name, open_row = self.stack.pop()
        if open_kind != opening:
            self.builder.problem(
                "unbalanced_group",
                f"'{kind}' closes '{open_kind} {open_name}' (row {open_row}); write "
                f"'{open_kind.replace('begin', 'end')}' instead",
                sheet="survey",
                row=row_number,
                column="type",
            )

    def _check_duplicate(self, question: Question, where: dict[str, Any]) -> None:
        key = (question.group_path, question.name)
        first = self.siblings.setdefault(key, question.row or 0)
        if first != question.row:
            parent = question.group_path[-1] if question.group_path else "the survey"
            self.builder.problem(
                "duplicate_name",
                f"name '{question.name}' is used twice in {parent} (first on row {first}); "
                "names must be unique",
                column="name",
                found=question.name,
                **where,
            )

    @staticmethod
    def _required(text: str) -> dict[str, Any]:
        lowered = text.strip().lower()
        if not lowered or lowered in _NO:
            return {"required": False, "required_if": ""}
        if lowered in _YES:
            return {"required": True, "required_if": ""}
        return {"required": False, "required_if": text.strip()}

    def _personal(self, text: str, name: str, where: dict[str, Any]) -> str:
        if not text:
            return ""
        value = _snake(text.replace("-", " "))
        if value in PERSONAL_DATA_VALUES:
            return value
        self.builder.problem(
            "personal_data_value",
            f"'{name}' has personal_data '{text}'; allowed values are "
            f"{format_values(PERSONAL_DATA_VALUES)}, or empty when the field is not personal",
            column="personal_data",
            found=text,
            **where,
        )
        return ""

    def _with_keys(self, questions: list[Question]) -> list[Question]:
        counts = Counter(q.name for q in questions)
        keyed = []
        for q in questions:
            key = q.name if counts[q.name] == 1 else q.path("/")
            keyed.append(dataclasses.replace(q, key=key))
        seen: dict[str, Question] = {}
        for q in keyed:
            if counts[q.name] > 1 and q.group_path != seen.setdefault(q.name, q).group_path:
                other = seen[q.name]
                self.builder.problem(
                    "ambiguous_name",
                    f"name '{q.name}' is also used on row {other.row} (in "
                    f"'{other.path('/')}'); exports without group prefixes cannot tell the "
                    f"two apart, so this one is known as '{q.key}'",
                    sheet="survey",
                    row=q.row,
                    column="name",
                    found=q.name,
                )
        return keyed


# --------------------------------------------------------------------------- pyxform
def _pyxform_problems(
    path: Path, workbook: _Workbook, rows: Mapping[str, int | None]
) -> list[Problem]:
    """Run pyxform's converter on the sheets already read; its errors and warnings.

    ``rows`` (question name → row) places messages that name a question but no row.
    """
    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert

    warnings: list[str] = []
    problems: list[Problem] = []
    source = copy.deepcopy(workbook.pyxform_input)
    if source is None:
        return problems
    source.setdefault("fallback_form_name", path.stem)
    try:
        convert(xlsform=source, warnings=warnings, form_name=None)
    except PyXFormError as error:
        problems.append(_from_pyxform(path, str(error), "pyxform", rows))
    except Exception as error:  # pyxform bugs on odd input still mean "cannot deploy"
        problems.append(_problem(path, "pyxform", f"pyxform could not convert the form: {error!r}"))
    problems.extend(_from_pyxform(path, w, "pyxform_warning", rows) for w in warnings if w.strip())
    return problems


def _from_pyxform(path: Path, message: str, rule: str, rows: Mapping[str, int | None]) -> Problem:
    match = _ROW_IN_MESSAGE.search(message)
    row = int(match.group(1)) if match else None
    named = re.search(r"named '([^']+)'", message)
    if row is None and named:
        row = rows.get(named.group(1))
    sheet_match = re.search(r"'(survey|choices|settings)' sheet", message)
    sheet = sheet_match.group(1) if sheet_match else ("survey" if row else "")
    column_match = re.search(r"the '([^']+)' value", message)
    text = " ".join(_ROW_IN_MESSAGE.sub("", message).split())
    prefix = "pyxform: " if rule == "pyxform" else "pyxform warns: "
    return _problem(
        path,
        rule,
        prefix + text,
        sheet=sheet,
        row=row,
        column=column_match.group(1) if column_match else "",
    )
