"""Trends over the last months: the report's headline measures, month by month.

One long table (:mod:`evaluation.monitoring.counting`) with one row per measure and month,
computed by the same functions as the report's sections, so that a month's point is the
number the section shows for it. Counts that add up over months (cases registered,
contacts) get a total row (period ``"All"``) so that small-cell suppression protects the
months against that total; de-duplicated counts (children, people) do not add up and get
none.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from evaluation.monitoring import dv, street, training
from evaluation.monitoring.counting import TOTAL, count_total, split_windows
from evaluation.monitoring.periods import Window
from evaluation.results import stack_results

ADDITIVE = ("dv_cases", "street_contacts")
"""Counts whose months add up to the total over the months."""
EVENTS = ("trainings", "sessions")
"""Counts of events, not people: never suppressed."""
MEASURES = (
    "dv_cases",
    "dv_reviewed_3wd",
    "dv_days_to_review",
    "street_children",
    "street_contacts",
    "people_trained",
)
"""The measures drawn as small multiples, in order."""


def month_windows(months: Sequence[str]) -> list[Window]:
    """One window per month."""
    return [Window((m,)) for m in months]


def monthly_trend(
    cases: pd.DataFrame,
    contacts: pd.DataFrame,
    attendance: pd.DataFrame,
    participants: pd.DataFrame,
    months: Sequence[str],
    rule: street.CountingRule | None = None,
) -> pd.DataFrame:
    """Every trend measure for each of ``months``.

    Parameters
    ----------
    cases : DataFrame
        The DV case log with the logframe's derived variables.
    contacts : DataFrame
        Street-situation contacts.
    attendance : DataFrame
        The training attendance register.
    participants : DataFrame
        The ``training_participants`` view.
    months : sequence of str
        ``YYYY-MM``, oldest first.
    rule : CountingRule, optional
        The street counting rule.

    Returns
    -------
    DataFrame
        Long table: ``dv_cases``, ``street_contacts`` (each with a total row, period
        ``"All"``), ``street_children``, ``people_trained``, ``participants``,
        ``trainings``, ``sessions`` and the DV statistics of :data:`evaluation.monitoring.dv.
        TIMELINESS`, one row per month.
    """
    windows = month_windows(months)
    dv_frames = split_windows(cases, dv.DATE, windows, "DV case log")
    date = (rule or street.CountingRule()).date_column
    contact_frames = split_windows(contacts, date, windows, "street-situation contacts")
    children = street.children_by_period(contact_frames, rule)
    parts = [
        _with_total(count_total(dv_frames, "dv_cases")),
        dv.timeliness(dv_frames),
        _with_total(count_total(contact_frames, "street_contacts")),
        count_total(children, "street_children"),
        training.activity(attendance, windows),
        count_total(training.trained_people(participants, windows), "people_trained"),
    ]
    return stack_results(parts, estimator="monitoring.trends.monthly_trend")


def _with_total(table: pd.DataFrame) -> pd.DataFrame:
    total = table.iloc[[0]].copy()
    total["period"] = TOTAL
    total["estimate"] = float(table["estimate"].sum())
    total["n"] = int(table["n"].sum())
    out = pd.concat([table, total], ignore_index=True)
    out.attrs = dict(table.attrs)
    return out
