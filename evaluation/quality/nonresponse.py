"""Item non-response: missing, don't-know and refused answers per question, where relevant.

A question can only be missing where the form asked it. The denominator of every rate is
therefore the number of rows where the question was **relevant**: its own ``relevant``
expression and those of all enclosing groups hold (evaluated with
:mod:`evaluation.expressions` on the clean table). A refused assent makes every later group
irrelevant, so those rows drop out by themselves. When an expression cannot be evaluated
(it refers to a personal field that is not in clean data), every row counts and the row
says ``relevance = "all rows"``.

.. math::

    \\text{missing rate}_q = \\frac{\\#\\{i : R_{iq},\\ y_{iq} \\text{ missing}\\}}
                                  {\\#\\{i : R_{iq}\\}}

and likewise for don't-know and refusal codes; the ``estimate`` is their sum (item
non-response). Optional free-text comments (``personal_data: free_text``) are left out:
most respondents rightly leave them empty. Codes come from the params: ``dk_codes`` and ``refusal_codes``; a bare code
applies to every choice list holding it (and, when numeric, to integer and decimal
answers), ``list:code`` to one choice list only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.errors import DataError, ExpressionError
from evaluation.quality.rows import groups, interview_times
from evaluation.results import ResultInfo, make_result
from evaluation.validation import is_number

CHECKED_TYPES = frozenset(
    {
        "select_one",
        "select_multiple",
        "select_one_from_file",
        "select_multiple_from_file",
        "integer",
        "decimal",
        "range",
        "text",
        "date",
        "time",
        "dateTime",
        "rank",
    }
)
"""Question types whose answers the respondent gives (not calculated, not metadata)."""

NUMERIC_TYPES = frozenset({"integer", "decimal", "range"})
MULTIPLE_TYPES = frozenset({"select_multiple", "select_multiple_from_file"})
ALL_ROWS = "all rows"
FORM = "form"


@dataclass(frozen=True)
class AnswerCodes:
    """Answer codes of one kind (don't know, refused), parsed from params.

    ``anywhere`` holds bare codes; ``by_list`` codes limited to a choice list.
    """

    anywhere: frozenset[str]
    by_list: frozenset[tuple[str, str]]

    @classmethod
    def parse(cls, codes: Iterable[str]) -> AnswerCodes:
        """``["dont_know", "easy6:9"]`` → bare ``dont_know``, ``9`` only in list ``easy6``."""
        anywhere, by_list = set(), set()
        for code in codes:
            text = str(code).strip()
            if ":" in text:
                list_name, value = text.split(":", 1)
                by_list.add((list_name.strip(), value.strip()))
            elif text:
                anywhere.add(text)
        return cls(frozenset(anywhere), frozenset(by_list))

    def for_question(self, question) -> set[str]:
        """The codes that apply to ``question`` (a :class:`~evaluation.instruments.Question`)."""
        codes = set(self.anywhere)
        codes |= {v for name, v in self.by_list if name == question.list_name}
        return codes


def item_nonresponse(
    frame: pd.DataFrame,
    instrument,
    *,
    table: str = "",
    dk_codes: Iterable[str] = (),
    refusal_codes: Iterable[str] = (),
    by: str | None = None,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """Missing, don't-know and refusal rates of every question of a clean table.

    Parameters
    ----------
    frame : DataFrame
        A clean table: one column per question, named by the question's name.
    instrument : Instrument
        Its questionnaire (types, choice lists, ``relevant`` expressions).
    table : str
        The table's name (first column).
    dk_codes, refusal_codes : iterable of str
        Codes meaning "don't know" and "refused" (see the module docstring).
    by : str, optional
        A column to break the rates down by (``_enumerator``).
    today : date, optional
        What ``today()`` means in relevance expressions (default: the last submission day).

    Returns
    -------
    DataFrame
        A result table, one row per question in form order (and ``by`` group):
        ``table`` [, ``by``], ``variable``, ``estimate`` (item non-response rate),
        ``n`` (rows where the question was relevant), then ``n_missing``, ``n_dont_know``,
        ``n_refused``, ``missing_rate``, ``dont_know_rate``, ``refusal_rate`` and
        ``relevance`` (``"form"`` or ``"all rows"``).
    """
    questions = [
        q
        for q in instrument.data_questions()
        if q.type in CHECKED_TYPES and q.name in frame.columns and q.personal_data != "free_text"
    ]
    relevance = RelevanceEvaluator(frame, instrument, today=today)
    dk, refused = AnswerCodes.parse(dk_codes), AnswerCodes.parse(refusal_codes)
    by_group = groups(frame, by)
    rows = []
    for question in questions:
        mask, how = relevance.mask(question)
        answers = frame[question.name]
        missing = _missing(answers)
        is_dk = _matches(answers, question, dk.for_question(question))
        is_refused = _matches(answers, question, refused.for_question(question)) & ~is_dk
        for key, in_group in by_group:
            relevant = mask & in_group
            n = int(relevant.sum())
            counts = {
                "n_missing": int((missing & relevant).sum()),
                "n_dont_know": int((is_dk & relevant).sum()),
                "n_refused": int((is_refused & relevant).sum()),
            }
            row = {"table": table}
            if by is not None:
                row[by] = key
            total = sum(counts.values())
            row.update(
                variable=question.name,
                estimate=total / n if n else np.nan,
                n=n,
                **counts,
                missing_rate=counts["n_missing"] / n if n else np.nan,
                dont_know_rate=counts["n_dont_know"] / n if n else np.nan,
                refusal_rate=counts["n_refused"] / n if n else np.nan,
                relevance=how,
            )
            rows.append(row)
    info = ResultInfo(
        estimator="quality.item_nonresponse",
        method="share of rows where the question was relevant that are missing, don't know "
        "or refused",
        n_obs=len(frame),
        reference="IPA high-frequency checks (ipacheckmissing)",
        notes=tuple(relevance.notes),
    )
    ids = ["table", *([by] if by else []), "variable"]
    return make_result(rows, info, id_columns=ids)


class RelevanceEvaluator:
    """Evaluates the relevance of questions on one clean table, each expression once.

    Parameters
    ----------
    frame : DataFrame
        The clean table.
    instrument : Instrument
    today : date, optional
        For ``today()`` (default: the table's last submission day, for reproducibility).
    """

    def __init__(self, frame: pd.DataFrame, instrument, today: dt.date | None = None) -> None:
        from evaluation.expressions import ExpressionFrame

        self.instrument = instrument
        self.n = len(frame)
        day = today or _last_day(frame)
        self.frame = ExpressionFrame(frame, today=day, now=dt.datetime.combine(day, dt.time(12)))
        self._cache: dict[str, np.ndarray | None] = {}
        self.notes: list[str] = []

    def mask(self, question) -> tuple[np.ndarray, str]:
        """Rows where ``question`` was relevant, and how that was found (``form``/``all rows``)."""
        mask = np.ones(self.n, dtype=bool)
        for text in self._expressions(question):
            held = self._holds(text)
            if held is None:
                return np.ones(self.n, dtype=bool), ALL_ROWS
            mask &= held
        return mask, FORM

    def _expressions(self, question) -> list[str]:
        texts = []
        for name in question.group_path:
            try:
                group = self.instrument.question(name)
            except Exception:  # an ambiguous group name: keyed by path instead
                continue
            if group.relevant:
                texts.append(group.relevant)
        if question.relevant:
            texts.append(question.relevant)
        return texts

    def _holds(self, text: str) -> np.ndarray | None:
        if text not in self._cache:
            from evaluation.expressions import compile_expression

            try:
                self._cache[text] = compile_expression(text).holds(self.frame)
            except (DataError, ExpressionError) as error:
                self._cache[text] = None
                self.notes.append(
                    f"relevance {text!r} could not be evaluated ({error.__class__.__name__}); "
                    "its questions count every row"
                )
        return self._cache[text]


def worst_items(result: pd.DataFrame, n: int = 15, minimum: float = 0.0) -> pd.DataFrame:
    """The ``n`` questions with the highest non-response rate above ``minimum``.

    Keeps the result's metadata; ties keep form order.
    """
    rows = result[result["estimate"] > minimum]
    top = rows.sort_values("estimate", ascending=False, kind="stable").head(n)
    out = top.reset_index(drop=True)
    out.attrs = dict(result.attrs)
    return out


def _missing(answers: pd.Series) -> np.ndarray:
    missing = answers.isna().to_numpy(dtype=bool, copy=True)
    if pd.api.types.is_string_dtype(answers.dtype) or answers.dtype == object:
        blank = answers.astype("string").str.strip().eq("").fillna(False).to_numpy(dtype=bool)
        missing |= blank
    return missing


def _matches(answers: pd.Series, question, codes: set[str]) -> np.ndarray:
    if not codes:
        return np.zeros(len(answers), dtype=bool)
    if question.type in NUMERIC_TYPES:
        numbers = [float(c) for c in codes if is_number(c)]
        if not numbers:
            return np.zeros(len(answers), dtype=bool)
        values = pd.to_numeric(answers, errors="coerce").astype("float64").to_numpy()
        return np.isin(values, numbers)
    text = answers.astype("string")
    if question.type in MULTIPLE_TYPES:
        tokens = text.fillna("").str.split()
        return np.array([bool(codes.intersection(t)) for t in tokens], dtype=bool)
    return text.isin(sorted(codes)).fillna(False).to_numpy(dtype=bool)


def _last_day(frame: pd.DataFrame) -> dt.date:
    moments = interview_times(frame).dropna()
    return moments.max().date() if len(moments) else dt.date(2000, 1, 1)
