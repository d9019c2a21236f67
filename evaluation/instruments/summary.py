"""The text ``workbench instrument check`` prints: a form's summary and its problems."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from evaluation.errors import Problem
from evaluation.instruments.loading import _load, _reader_for
from evaluation.instruments.model import Instrument
from evaluation.instruments.problems import _s, is_fatal


def check_summary(path: str | Path) -> tuple[str, bool]:
    """The text ``workbench instrument check`` prints, and whether the form is usable.

    A usable form gets a summary (form id, version, languages, data questions by type,
    groups and repeats, personal fields) followed by its warnings; an unusable one gets
    every problem with its sheet, row and column.
    """
    path = Path(path)
    instrument, problems = _load(path, convert=True, reader=_reader_for(path))
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
