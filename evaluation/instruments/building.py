"""Building an Instrument from the sheets read: settings, languages, choices, questions.

:class:`_Builder` assembles the form and collects every :class:`~evaluation.errors.Problem`
with its place; the survey rows are read by :class:`~evaluation.instruments.questions._Questions`
and the whole-form checks come from :mod:`evaluation.instruments.checks`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from evaluation.errors import Problem, format_values
from evaluation.instruments.checks import _check_expressions, _check_personal, _check_selects
from evaluation.instruments.model import Choice, Instrument, _frozen
from evaluation.instruments.problems import _problem
from evaluation.instruments.questions import _Questions
from evaluation.instruments.reading import _Sheet, _Workbook
from evaluation.instruments.vocabulary import (
    _SETTINGS_ALIASES,
    _TRANSLATABLE,
    _YES,
    DEFAULT_LANGUAGE,
    _language_code,
    _parse_header,
    _snake,
    _split_row,
)


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
        questions = _Questions(self.problem, plain).read(survey)
        _check_selects(self.problem, questions, choice_lists, choices is not None)
        _check_expressions(self.problem, questions)
        _check_personal(self.problem, questions, survey)
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
