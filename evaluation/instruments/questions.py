"""Reading the survey sheet's rows into questions: types, names, group nesting, keys.

Problems found on the way (a row without a type or name, an invalid or duplicate name, an
unbalanced group, a ``personal_data`` value not allowed...) are reported with their row.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from evaluation.errors import format_values
from evaluation.instruments.model import PERSONAL_DATA_VALUES, Question, _frozen
from evaluation.instruments.problems import _Report
from evaluation.instruments.reading import _Sheet
from evaluation.instruments.vocabulary import (
    _NO,
    _YES,
    CANONICAL_TYPES,
    FILE_SELECTS,
    SELECT_TYPES,
    _parse_header,
    _snake,
    _split_row,
    normalise_type,
)

_NAME_RE = re.compile(r"[^\W\d][\w.\-]*")


class _Questions:
    """Reads survey rows into questions, tracking group nesting, names and duplicates."""

    def __init__(self, report: _Report, plain: str) -> None:
        self.report = report
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
            self.report(
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
            self.report(
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
            self.report(
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
            self.report(
                "missing_name",
                f"this {kind} row has no name; every question, group and repeat needs one",
                column="name",
                **where,
            )
            return False
        if not _NAME_RE.fullmatch(name):
            self.report(
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
            self.report(
                "unbalanced_group",
                f"'{kind}' closes nothing: no group or repeat is open here",
                sheet="survey",
                row=row_number,
                column="type",
            )
            return
        open_kind, open_name, open_row = self.stack.pop()
        if open_kind != opening:
            self.report(
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
            self.report(
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
        self.report(
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
                self.report(
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
