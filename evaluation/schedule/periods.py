"""Period rules: which reporting period a scheduled run covers.

A job's ``period`` rule turns the time a run was due (on the job's wall clock) into the
period it reports on. The period is also the ledger's key: a job is delivered at most once
per period.

``previous_month``
    The month before the due date: a run due on 2 November 2026 reports on ``2026-10``
    (the monthly monitoring report). Passed to the report as ``period: 2026-10``.
``current_month``
    The month of the due date (``2026-11``), for end-of-month runs.
``none``
    No period is passed to the report (the capacity-building report covers all data). Each
    scheduled time is its own ledger key, its local date and time: ``2026-11-02T07:00``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

PERIOD_RULES: tuple[str, ...] = ("previous_month", "current_month", "none")

MONTHS: dict[str, tuple[str, ...]] = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    # Albanian month names are written in lower case.
    "sq": (
        "janar",
        "shkurt",
        "mars",
        "prill",
        "maj",
        "qershor",
        "korrik",
        "gusht",
        "shtator",
        "tetor",
        "nëntor",
        "dhjetor",
    ),
}


@dataclass(frozen=True)
class Period:
    """The period a run covers.

    Attributes
    ----------
    key : str
        Ledger key: ``2026-10`` for a month, ``2026-11-02T07:00`` (local) for rule ``none``.
    month : str or None
        ``YYYY-MM`` passed to the report as its ``period`` param, or ``None``.
    day : datetime.date
        The local date of the due time (for rule ``none`` labels and file names).
    """

    key: str
    month: str | None
    day: dt.date

    def label(self, language: str) -> str:
        """``"October 2026"`` / ``"tetor 2026"``, or the due date: ``"2 November 2026"``."""
        names = MONTHS[language]
        if self.month is not None:
            year, month = map(int, self.month.split("-"))
            return f"{names[month - 1]} {year}"
        return f"{self.day.day} {names[self.day.month - 1]} {self.day.year}"

    @property
    def stem(self) -> str:
        """Start of dated file names: ``2026-10``, or ``2026-11-02`` for rule ``none``."""
        return self.month if self.month is not None else self.day.isoformat()


def period_for(rule: str, due_local: dt.datetime) -> Period:
    """The period a run due at ``due_local`` (wall clock of the job) covers.

    Parameters
    ----------
    rule : str
        One of :data:`PERIOD_RULES`.
    due_local : datetime
        The due time in the job's time zone.

    Returns
    -------
    Period

    Raises
    ------
    ValueError
        If ``rule`` is not a period rule (the schedule's validation prevents this).
    """
    day = due_local.date()
    if rule == "previous_month":
        last_month = day.replace(day=1) - dt.timedelta(days=1)
        month = f"{last_month.year:04d}-{last_month.month:02d}"
        return Period(month, month, day)
    if rule == "current_month":
        month = f"{day.year:04d}-{day.month:02d}"
        return Period(month, month, day)
    if rule == "none":
        return Period(due_local.strftime("%Y-%m-%dT%H:%M"), None, day)
    raise ValueError(f"unknown period rule {rule!r}; choose one of {', '.join(PERIOD_RULES)}")
