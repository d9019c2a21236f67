"""Whole-form checks on the questions read: choice lists, expressions, personal data; pyxform.

Each ``_check_*`` function reports what it finds through ``report`` (see
:data:`~evaluation.instruments.problems._Report`), in form order. :func:`_pyxform_problems` runs
pyxform's own converter on the sheets already read and turns its errors and warnings into
problems placed at a sheet, row and column.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

from evaluation.errors import (
    ExpressionError,
    Problem,
    UnsupportedExpressionError,
    did_you_mean,
    format_values,
)
from evaluation.expressions import compile_expression
from evaluation.instruments.model import Choice, Question
from evaluation.instruments.problems import _problem, _Report
from evaluation.instruments.reading import _Sheet, _Workbook
from evaluation.instruments.vocabulary import FILE_SELECTS, PERSONAL_BY_TYPE, _parse_header

EXPRESSION_COLUMNS = ("relevant", "constraint", "calculation", "choice_filter")
TEXT_WITH_REFERENCES = ("label", "hint", "constraint_message", "required_message")

_REFERENCE_RE = re.compile(r"\$\{([^}]*)\}")
_ROW_IN_MESSAGE = re.compile(r"\[row\s*:\s*(\d+)\]")


# --------------------------------------------------------------------------- selects
def _check_selects(
    report: _Report,
    questions: list[Question],
    lists: Mapping[str, tuple[Choice, ...]],
    has_sheet: bool,
) -> None:
    for q in questions:
        if not q.is_select:
            continue
        where = {"sheet": "survey", "row": q.row, "column": "type"}
        if not q.list_name:
            report(
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
            report(
                "unknown_list",
                f"'{q.name}' uses choice list '{q.list_name}', which the choices sheet "
                f"does not have{sheet_note}{hint}; lists: {known}",
                found=q.list_name,
                **where,
            )
        elif q.type == "select_multiple":
            for choice in lists[q.list_name]:
                if " " in choice.name:
                    report(
                        "choice_name_space",
                        f"choice '{choice.name}' of list '{q.list_name}' has a space, but "
                        f"'{q.name}' is a select_multiple, whose answers are separated by "
                        "spaces; use '_' instead",
                        sheet="choices",
                        row=choice.row,
                        column="name",
                        found=choice.name,
                    )


# --------------------------------------------------------------------------- expressions
def _check_expressions(report: _Report, questions: list[Question]) -> None:
    names = Counter(q.name for q in questions)
    for q in questions:
        for column in (*EXPRESSION_COLUMNS, "required_if", "repeat_count"):
            text = getattr(q, column)
            if not text or (column == "repeat_count" and text.isdigit()):
                continue
            shown = "required" if column == "required_if" else column
            _check_expression(report, q, shown, text, names)
        for column in TEXT_WITH_REFERENCES:
            for header, text in q.cells.items():
                if _parse_header(header).base == column:
                    _check_references(report, q, header, _REFERENCE_RE.findall(text), names)


def _check_expression(report: _Report, q: Question, column: str, text: str, names: Counter) -> None:
    where = {"sheet": "survey", "row": q.row, "column": column, "found": text}
    try:
        expression = compile_expression(text)
    except UnsupportedExpressionError as error:
        report(
            "unsupported_expression",
            f"'{q.name}': {error.one_line()}; it will not be checked on ingestion",
            **where,
        )
        return
    except ExpressionError as error:
        report("bad_expression", f"'{q.name}': {error.one_line()}", **where)
        return
    _check_references(report, q, column, expression.fields, names)


def _check_references(
    report: _Report, q: Question, column: str, references: Iterable[str], names: Counter
) -> None:
    for reference in dict.fromkeys(r.strip() for r in references):
        where = {"sheet": "survey", "row": q.row, "column": column, "found": reference}
        if names[reference] == 0:
            report(
                "unknown_reference",
                f"'{q.name}' refers to ${{{reference}}}, but the form has no question "
                f"named '{reference}'{did_you_mean(reference, names)}",
                **where,
            )
        elif names[reference] > 1:
            report(
                "ambiguous_reference",
                f"'{q.name}' refers to ${{{reference}}}, but '{reference}' names "
                f"{names[reference]} questions; rename them so the reference is unique",
                **where,
            )


# --------------------------------------------------------------------------- personal data
def _check_personal(report: _Report, questions: list[Question], survey: _Sheet) -> None:
    if not any(_parse_header(h).base == "personal_data" for h in survey.headers):
        return
    for q in questions:
        where = {"sheet": "survey", "row": q.row, "column": "personal_data"}
        if q.personal_data and not q.produces_data:
            report(
                "personal_data_ignored",
                f"'{q.name}' is a {q.type} and holds no data, so its personal_data mark "
                f"'{q.personal_data}' has no effect; mark the questions inside instead",
                found=q.personal_data,
                **where,
            )
        elif not q.personal_data and q.type in PERSONAL_BY_TYPE:
            report(
                "unmarked_personal",
                f"'{q.name}' is a {q.type}, which identifies a person or place, but its "
                "personal_data cell is empty; mark it direct or linking",
                **where,
            )


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
