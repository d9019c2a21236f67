"""The questionnaire model: frozen Instrument, Question and Choice records and their lookups.

Every mapping in a record is read-only (a :class:`types.MappingProxyType`); records are
built by :mod:`evaluation.instruments.building` and never change afterwards.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

from evaluation.errors import InstrumentError, ParamsError, Problem, did_you_mean, format_values
from evaluation.instruments.vocabulary import (
    FILE_SELECTS,
    NO_DATA_TYPES,
    SELECT_TYPES,
    _language_code,
)

PERSONAL_DATA_VALUES = ("direct", "linking", "free_text")
"""Allowed values of the ``personal_data`` survey column (empty: not personal)."""


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
        # imported on use: loading imports this module, so a top-level import would be circular
        from evaluation.instruments.loading import _read
        from evaluation.instruments.reading import _read_kobo_json

        return _read(Path(path), convert=convert, reader=_read_kobo_json)

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
