"""Faults planted in the demo world's raw files, and the log that ``truth.json`` reports.

Each fault is planted at a documented rate (with at least one per file where it applies)
into rows that carry no other fault. Every fault can therefore be counted exactly from the
file itself. Rows are numbered from 1 over the data rows (the header is row 0). In an XLSX
sheet, data row ``k`` is sheet row ``k + 1``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evaluation.synth.submissions import Submissions

COPY_FAULTS = ("exact_duplicate", "duplicate_id_different_content")

# fault -> definition
DEFINITIONS: dict[str, str] = {
    "exact_duplicate": (
        "A submission stored twice. The later row repeats an earlier row in every column "
        "except the ones listed in ignore_columns (row numbers the server or export assigns). "
        "Rows listed are the later copies; original_rows are the first occurrences."
    ),
    "duplicate_id_different_content": (
        "A later row has the same identifier (id_column) as an earlier row but different "
        "answers (an edited re-submission, or a case entered twice). Rows listed are the "
        "later rows; original_rows are the first occurrences."
    ),
    "out_of_range": (
        "A value that breaks the form's constraint on the column (see column, constraint and "
        "values)."
    ),
    "short_interview": (
        "A completed interview (assent = yes) whose end - start is shorter than "
        "threshold_minutes; completed interviews otherwise last at least 12 minutes."
    ),
    "refused_assent": (
        "The student did not agree to answer (consent/assent = no); every later question is "
        "empty. Not an error, but the row is not a response."
    ),
    "renamed_column": (
        "A question exported under another name than the form's (old = the form's name, "
        "new = the name in this file)."
    ),
    "encoding": "The file is not UTF-8: it was re-saved on a Windows PC in this encoding.",
    "personal_data_in_marked_fields": (
        "Names, phone numbers, e-mails, signatures or GPS positions in the fields the form "
        "marks personal_data = direct; columns gives the number of non-empty cells per column."
    ),
    "personal_data_in_free_text": (
        "Names or phone numbers written into a free-text field (see column and values)."
    ),
    "panel_code_mismatch": (
        "A student who answered both waves built a different self-generated code at endline "
        "(one ingredient answered differently). The endline code matches no baseline "
        "respondent of the same school; pairs gives both codes."
    ),
}


class FaultLog:
    """Planted faults per file and per fault type, as ``truth.json`` reports them."""

    def __init__(self) -> None:
        self._files: dict[str, dict[str, dict[str, object]]] = {}

    def add(
        self,
        file: str,
        fault: str,
        *,
        rows: Sequence[int] = (),
        ids: Sequence[str] = (),
        rate: float | None = None,
        count: int | None = None,
        **details: object,
    ) -> None:
        """Record one fault type in one file. ``count`` defaults to the number of rows."""
        entry: dict[str, object] = {
            "count": len(rows) if count is None else count,
            "rate": rate,
            "definition": DEFINITIONS[fault],
            "rows": [int(r) for r in rows],
            "ids": [str(i) for i in ids],
        }
        entry.update(details)
        self._files.setdefault(file, {})[fault] = entry

    def as_truth(self) -> dict[str, dict[str, dict[str, object]]]:
        """The log as plain JSON-ready dicts."""
        return self._files


def choose(
    rng: np.random.Generator, eligible: np.ndarray, rate: float, minimum: int = 1
) -> np.ndarray:
    """Sorted indices of ``round(rate * eligible)`` eligible rows (at least ``minimum``)."""
    pool = np.flatnonzero(eligible)
    k = min(len(pool), max(minimum, round(rate * len(pool))))
    return np.sort(rng.choice(pool, size=k, replace=False)) if k else pool[:0]


def log_rows(
    log: FaultLog,
    file: str,
    subs: Submissions,
    fault: str,
    where: np.ndarray,
    *,
    rate: float | None,
    values_of: str | None = None,
    **details: object,
) -> None:
    """Record ``fault`` at the 0-based positions ``where`` of rows already in file order.

    Rows are logged 1-based, with their ids from ``subs.info["uuid"]``. ``values_of`` names
    an answer column whose values at those rows are logged as ``values``, after
    ``details``; ``count`` in ``details`` overrides the number of rows.
    """
    if values_of is not None:
        details["values"] = [str(v) for v in subs.answers[values_of][where]]
    log.add(file, fault, rows=where + 1, ids=subs.info["uuid"][where], rate=rate, **details)


def log_tagged(
    log: FaultLog,
    file: str,
    subs: Submissions,
    fault: str,
    *,
    rate: float | None,
    values_of: str | None = None,
    **details: object,
) -> None:
    """Record the rows tagged ``fault`` (see :func:`log_rows`).

    For a fault planted as copies of earlier rows (:data:`COPY_FAULTS`) the first
    occurrences are logged too, as ``original_rows`` ahead of ``details``.
    """
    if fault in COPY_FAULTS:
        details = {"original_rows": subs.original_rows(fault).tolist(), **details}
    where = subs.rows_of(fault) - 1
    log_rows(log, file, subs, fault, where, rate=rate, values_of=values_of, **details)


def log_exact_duplicates(
    log: FaultLog,
    file: str,
    subs: Submissions,
    *,
    rate: float,
    id_column: str = "_uuid",
    ignore_columns: Sequence[str] = ("_id", "_index"),
) -> None:
    """Record the rows tagged ``exact_duplicate`` (see :func:`log_tagged`).

    The defaults describe a KoboToolbox export: a duplicate repeats its original's
    ``_uuid`` and differs only in the numbers the server gives each row, ``_id`` and
    ``_index``.
    """
    log_tagged(
        log,
        file,
        subs,
        "exact_duplicate",
        rate=rate,
        id_column=id_column,
        ignore_columns=list(ignore_columns),
    )
