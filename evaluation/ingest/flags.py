"""Lesser problems that keep the row: refused assent, short interviews, outlying numbers.

* ``assent_refused`` — the assent question (``assent`` in the table config, else a
  select_one named ``assent`` or ``consent`` with a ``no`` choice) was answered ``no``. The
  row is a valid submission with no answers; it is kept and counted, not quarantined.
* ``short_interview`` — ``end − start`` is below ``share_of_median`` × the median
  duration of the table's interviews (default 1/3, as IPA's high-frequency checks do) or
  below ``min_minutes``. Refusals are short by nature and are not flagged, nor counted in
  the median.
* ``outlier_iqr:<q>`` — an integer or decimal answer below Q1 − k·IQR or above
  Q3 + k·IQR (Tukey's fences; k = ``outlier_iqr``, default 3, the "far out" fence),
  with quartiles from the rows without problems; needs 20 answers and IQR > 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.ingest.config import TableConfig
from evaluation.ingest.mapping import table_questions
from evaluation.ingest.problems import Flags
from evaluation.instruments import Instrument, Question

MIN_VALUES_FOR_IQR = 20
ASSENT_NAMES = ("assent", "consent")


def assent_question(instrument: Instrument, table: TableConfig) -> Question | None:
    """The table's assent question: configured, or found by name (None when there is none)."""
    questions = {q.key: q for q in table_questions(instrument)}
    if table.assent:
        return instrument.question(table.assent)
    for q in questions.values():
        named = q.name in ASSENT_NAMES and q.type == "select_one" and q.list_name
        if named and "no" in {c.name for c in instrument.choices(q.list_name)}:
            return q
    return None


def flag_refusals(data: pd.DataFrame, question: Question | None, flags: Flags) -> np.ndarray:
    """Flag rows whose assent is ``no``; return their mask."""
    if question is None:
        return np.zeros(len(data), dtype=bool)
    refused = (data[question.key].astype(object) == "no").to_numpy(dtype=bool)
    flags.add(np.flatnonzero(refused), "assent_refused")
    return refused


def flag_short_interviews(
    duration: pd.Series,
    eligible: np.ndarray,
    table: TableConfig,
    flags: Flags,
) -> float | None:
    """Flag interviews shorter than the threshold; return the threshold in minutes (None
    when no duration is known)."""
    minutes = duration.to_numpy(dtype=float, na_value=np.nan)
    known = eligible & ~np.isnan(minutes)
    if not known.any():
        return None
    threshold = max(table.short_share * float(np.median(minutes[known])), table.short_minutes)
    flags.add(np.flatnonzero(known & (minutes < threshold)), "short_interview")
    return threshold


def flag_outliers(
    data: pd.DataFrame,
    instrument: Instrument,
    reference: np.ndarray,
    active: np.ndarray,
    k: float,
    flags: Flags,
) -> None:
    """Flag integer and decimal answers outside Tukey's fences with multiplier ``k``."""
    if k <= 0:
        return
    for q in table_questions(instrument):
        if q.type not in ("integer", "decimal"):
            continue
        values = data[q.key].to_numpy(dtype=float, na_value=np.nan)
        base = values[reference & ~np.isnan(values)]
        if base.size < MIN_VALUES_FOR_IQR:
            continue
        q1, q3 = np.percentile(base, [25, 75])
        spread = q3 - q1
        if spread <= 0:
            continue
        with np.errstate(invalid="ignore"):
            outside = (values < q1 - k * spread) | (values > q3 + k * spread)
        flags.add(np.flatnonzero(outside & active), f"outlier_iqr:{q.key}")
