"""Keep personal data out of clean tables: the privacy step of ingestion.

Before anything is written, the question columns of a table go through
:mod:`evaluation.privacy`:

1. :func:`~evaluation.privacy.find_personal_columns` finds the personal columns: the
   form's ``personal_data`` marks, and columns whose name or content (phones, e-mails,
   GPS, personal names, free text) says so; questions of a personal type (phone number,
   e-mail, photo, audio, video) count as direct identifiers even when unmarked;
2. :func:`~evaluation.privacy.plan_privacy` decides: ``linking`` → keyed pseudonym;
   ``direct`` → dropped; free text → dropped unless ``free_text_allowed`` names it, then
   scrubbed with :func:`~evaluation.privacy.scrub_text`; ``keep`` clears false alarms
   (never a field the form marks);
3. :func:`~evaluation.privacy.strip_personal` applies the plan.

The pseudonymisation key is loaded only when a table has a linking column, so a dataset
without one needs no key; when one is needed and missing, the ingest stops with a
:class:`~evaluation.errors.PrivacyError`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from evaluation.errors import ParamsError, did_you_mean
from evaluation.ingest.config import TableConfig
from evaluation.ingest.mapping import table_questions
from evaluation.instruments import PERSONAL_BY_TYPE, Instrument
from evaluation.privacy import Pseudonymiser, find_personal_columns, plan_privacy, strip_personal

REDACTED = "<personal: redacted>"
PERSONAL_FILE_TYPES = PERSONAL_BY_TYPE | {"file", "signature"}


@dataclass
class Protected:
    """A table's question columns after the privacy step, and what happened to each.

    ``personal`` lists every column that held personal data (dropped, pseudonymised or
    scrubbed): their values are never written, not even to quarantine.
    """

    data: pd.DataFrame
    log: pd.DataFrame
    personal: frozenset[str]
    dropped: list[str] = field(default_factory=list)
    pseudonymised: list[str] = field(default_factory=list)
    scrubbed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def protect(
    data: pd.DataFrame,
    instrument: Instrument,
    table: TableConfig,
    pseudonymiser: Callable[[], Pseudonymiser],
) -> Protected:
    """Drop, pseudonymise or scrub the personal question columns of ``data``.

    Parameters
    ----------
    data : DataFrame
        Question columns (keys as names) and ``<q>__<code>`` choice columns.
    instrument : Instrument
        The form (its ``personal_data`` marks).
    table : TableConfig
        ``free_text_allowed`` and ``keep``.
    pseudonymiser : callable
        Returns the dataset's pseudonymiser; called only if a column links records.

    Raises
    ------
    PrivacyError
        A linking column needs a key and there is none, or the config tries to keep a
        column the form marks personal.
    ParamsError
        ``free_text_allowed`` or ``keep`` names a question the form does not have.
    """
    questions = {q.key: q for q in table_questions(instrument)}
    _check_names(table, questions, instrument)
    columns = [c for c in data.columns if c in questions]
    findings = find_personal_columns(data[columns], instrument_marks=instrument.personal_fields())
    by_type = [
        k
        for k in columns
        if questions[k].type in PERSONAL_FILE_TYPES and k not in set(findings["column"])
    ]
    # an identifier column with no value links nothing: it stays (empty) and needs no key
    empty = [c for c in findings["column"] if data[c].isna().all()]
    findings = findings[~(findings["column"].isin(empty) & (findings["mark"] == "linking"))]
    needs_key = (findings["mark"] == "linking").any()
    plan = plan_privacy(
        findings,
        pseudonymiser=pseudonymiser() if needs_key else None,
        allow_free_text=table.free_text_allowed,
        keep=table.keep,
        drop=by_type,
    )
    clean, log = strip_personal(data, plan)
    for column in (*plan.pseudonymise, *plan.scrub):
        if column in clean:
            clean[column] = clean[column].astype("string")
    dropped = [c for c in plan.drop if c in data.columns]
    clean = clean.drop(columns=[c for c in clean.columns if _choice_of(c, dropped)])
    return Protected(
        data=clean,
        log=log,
        personal=frozenset((*dropped, *plan.pseudonymise, *plan.scrub)),
        dropped=dropped,
        pseudonymised=[c for c in plan.pseudonymise if c in data.columns],
        scrubbed=[c for c in plan.scrub if c in data.columns],
        kept=list(plan.keep),
    )


def _choice_of(column: str, dropped: list[str]) -> bool:
    return any(column.startswith(f"{d}__") for d in dropped)


def _check_names(table: TableConfig, questions: dict, instrument: Instrument) -> None:
    for what, names in (("free_text_allowed", table.free_text_allowed), ("keep", table.keep)):
        for name in names:
            if name not in questions:
                raise ParamsError(
                    f"table '{table.name}': {what} names '{name}', which form "
                    f"'{instrument.form_id}' does not have{did_you_mean(name, questions)}; fix "
                    "params/datasets.yaml"
                )
