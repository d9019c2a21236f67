"""Check every row against its form: relevance, required answers and constraints.

All checks are vectorised over the table: each distinct ``relevant``, ``required`` and
``constraint`` expression is evaluated once on one
:class:`~evaluation.expressions.ExpressionFrame` (column conversions are shared), the way
ODK's JavaRosa applies them:

* a question is relevant when its own ``relevant`` and that of every enclosing group hold;
* an answer to a question that was **not relevant** is blanked and the row flagged
  ``relevant_violation:<q>`` (the form would have removed it);
* a **required** question (``required: yes``, or a ``required`` expression that holds) that
  is relevant and unanswered is a ``required`` problem — unless the file has no column for
  it at all, which is reported once as a missing column instead of once per row;
* a relevant answer that breaks its **constraint** (``.`` is the answer) is a
  ``constraint`` problem.

An expression the workbench cannot evaluate (``pulldata()``, XPath paths, a question of a
repeat group) is skipped with a note rather than failing the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evaluation.errors import DataError, ExpressionError
from evaluation.expressions import ExpressionFrame, compile_expression
from evaluation.ingest.mapping import ABSENT_TYPES, DEVICE_TYPES, table_questions
from evaluation.ingest.problems import Flags, Problems
from evaluation.instruments import Instrument, Question

NOT_REQUIRED_TYPES = DEVICE_TYPES | {"calculate", "note", "hidden"}


@dataclass
class Checks:
    """What validation found besides problems and flags: skipped expressions, blanked
    answers per question."""

    notes: list[str] = field(default_factory=list)
    blanked: dict[str, int] = field(default_factory=dict)


def validate(
    data: pd.DataFrame,
    instrument: Instrument,
    present: Mapping[str, np.ndarray],
    active: np.ndarray,
    problems: Problems,
    flags: Flags,
    today: dt.date | None = None,
) -> Checks:
    """Check relevance, required answers and constraints; blank non-relevant answers.

    Parameters
    ----------
    data : DataFrame
        The typed table (question keys as columns); non-relevant answers are blanked in
        place.
    instrument : Instrument
        The form.
    present : mapping
        Question key → boolean mask of the rows whose file has a column for it.
    active : numpy.ndarray
        Rows to check (exact duplicates already dropped are not).
    problems, flags : Problems, Flags
        Where problems and flags are added.
    today : date, optional
        What ``today()`` means in expressions (default: the computer's date).
    """
    checks = Checks()
    questions = [q for q in table_questions(instrument) if q.type not in ABSENT_TYPES]
    frame = ExpressionFrame(data, today=today)
    relevance = _Relevance(instrument, frame, checks)
    if _blank_not_relevant(data, questions, relevance, active, flags, checks):
        frame = ExpressionFrame(data, today=today)
        relevance = _Relevance(instrument, frame, checks)
    for q in questions:
        relevant = relevance.of(q)
        answered = data[q.key].notna().to_numpy(dtype=bool)
        _check_required(q, frame, relevant & active & ~answered, present, problems, checks)
        if q.constraint:
            _check_constraint(q, data, frame, relevant & active & answered, problems, checks)
    return checks


class _Relevance:
    """Relevance of each question: its own ``relevant`` and its groups', each evaluated once."""

    def __init__(self, instrument: Instrument, frame: ExpressionFrame, checks: Checks) -> None:
        self.frame = frame
        self.checks = checks
        self.n = frame.n_rows
        self.groups = {q.path("/"): q for q in instrument.groups()}
        self._cache: dict[str, np.ndarray] = {}

    def of(self, q: Question) -> np.ndarray:
        mask = self._holds(q.relevant, f"relevant of '{q.key}'")
        for depth in range(1, len(q.group_path) + 1):
            group = self.groups.get("/".join(q.group_path[:depth]))
            if group is not None and group.relevant:
                mask = mask & self._holds(group.relevant, f"relevant of group '{group.key}'")
        return mask

    def _holds(self, text: str, what: str) -> np.ndarray:
        if not text:
            return np.ones(self.n, dtype=bool)
        if text not in self._cache:
            held = evaluate(text, self.frame, None, what, self.checks)
            self._cache[text] = np.ones(self.n, dtype=bool) if held is None else held
        return self._cache[text]


def evaluate(
    text: str, frame: ExpressionFrame, current: str | None, what: str, checks: Checks
) -> np.ndarray | None:
    """``holds()`` of an expression on every row, or None (with a note) when the workbench
    cannot evaluate it."""
    try:
        return compile_expression(text).holds(frame, current=current)
    except (ExpressionError, DataError) as error:
        checks.notes.append(f"{what} not checked: {error}")
        return None


def _blank_not_relevant(
    data: pd.DataFrame,
    questions: list[Question],
    relevance: _Relevance,
    active: np.ndarray,
    flags: Flags,
    checks: Checks,
) -> bool:
    blanked_any = False
    for q in questions:
        if q.type in DEVICE_TYPES:
            continue
        relevant = relevance.of(q)
        if relevant.all():
            continue
        rows = np.flatnonzero(~relevant & active & data[q.key].notna().to_numpy(dtype=bool))
        if rows.size == 0:
            continue
        for column in [q.key, *(c for c in data.columns if c.startswith(f"{q.key}__"))]:
            data.loc[rows, column] = pd.NA
        flags.add(rows, f"relevant_violation:{q.key}")
        checks.blanked[q.key] = int(rows.size)
        blanked_any = True
    return blanked_any


def _check_required(
    q: Question,
    frame: ExpressionFrame,
    candidates: np.ndarray,
    present: Mapping[str, np.ndarray],
    problems: Problems,
    checks: Checks,
) -> None:
    if q.type in NOT_REQUIRED_TYPES or not (q.required or q.required_if):
        return
    if q.required_if:
        required = evaluate(q.required_if, frame, None, f"required of '{q.key}'", checks)
        if required is None:
            return
        candidates = candidates & required
    candidates = candidates & present.get(q.key, np.ones_like(candidates))
    candidates[problems.rows_with(q.key, ("type", "choice"))] = False  # reported already
    rows = np.flatnonzero(candidates)
    condition = f" (required when {q.required_if})" if q.required_if else ""
    problems.add(
        rows,
        q.key,
        "",
        "required",
        f"question '{q.key}' is required{condition} and was relevant, but has no answer; "
        "complete it in the source or correct the answers that made it relevant",
    )


def _check_constraint(
    q: Question,
    data: pd.DataFrame,
    frame: ExpressionFrame,
    candidates: np.ndarray,
    problems: Problems,
    checks: Checks,
) -> None:
    held = evaluate(q.constraint, frame, q.key, f"constraint of '{q.key}'", checks)
    if held is None:
        return
    rows = np.flatnonzero(candidates & ~held)
    if rows.size == 0:
        return
    said = next((m for m in q.constraint_messages.values() if m), "")
    said = f" ({said})" if said else ""
    problems.add(
        rows,
        q.key,
        value_text(data[q.key], rows),
        "constraint",
        f"question '{q.key}' breaks its constraint '{q.constraint}'{said}; correct the "
        "answer in the source, or confirm it and widen the constraint in the form",
    )


def value_text(values: pd.Series, rows: np.ndarray) -> list[str]:
    """The answers at ``rows`` as text (codes, ISO dates), for quarantine lines."""
    picked = values.iloc[rows]
    if pd.api.types.is_datetime64_any_dtype(picked.dtype):
        return ["" if pd.isna(v) else v.isoformat() for v in picked]
    return ["" if pd.isna(v) else str(v) for v in picked.astype(object)]
