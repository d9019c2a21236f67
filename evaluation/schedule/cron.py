"""Cron expressions evaluated in a time zone, with explicit rules for daylight-saving changes.

A job's ``cron`` is a standard five-field expression (minute, hour, day of month, month,
day of week; ``0 7 2 * *`` is 07:00 on the 2nd of every month) or one of the aliases
``@yearly``, ``@annually``, ``@monthly``, ``@weekly``, ``@daily``, ``@midnight`` and
``@hourly``. The fields are matched against the *wall clock* of the job's time zone
(``Europe/Tirane``: CET, UTC+1, in winter and CEST, UTC+2, in summer) by croniter, working on
naive local times; this module then turns each wall-clock time into one instant:

* a wall-clock time that does not exist (the hour skipped when clocks go forward, 02:00-02:59
  on the last Sunday of March in Tirana) runs at the first instant after the gap (03:00
  CEST), once, however many skipped times matched;
* a wall-clock time that happens twice (the hour repeated when clocks go back, 02:00-02:59 on
  the last Sunday of October) runs once, at its first occurrence (CEST).

So a daily 02:30 job runs exactly once every day of the year, and the instants are strictly
increasing. Vixie cron behaves the same way for fixed-time jobs; an hourly job gets 23 runs
on the spring day and 24 on the autumn day (the repeated hour does not run twice).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

from croniter import CroniterBadDateError, CroniterError, croniter

ALIASES: tuple[str, ...] = (
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
)
FIELDS = "minute hour day-of-month month day-of-week"
EXAMPLE = "'0 7 2 * *' = 07:00 on the 2nd of every month"
UTC = dt.UTC


def cron_problem(expression: str) -> str | None:
    """What is wrong with a cron expression, or ``None`` if it is usable.

    The answer is a phrase for an error message ("expected 5 fields ..."), without saying
    where the expression came from.
    """
    if not isinstance(expression, str) or not expression.strip():
        return f"expected a cron expression with 5 fields ({FIELDS}), e.g. {EXAMPLE}"
    text = expression.strip()
    if text.startswith("@"):
        if text.lower() in ALIASES:
            return None
        return f"'{text}' is not one of the aliases {', '.join(ALIASES)}"
    fields = text.split()
    if len(fields) != 5:
        return f"expected 5 fields ({FIELDS}), found {len(fields)}; e.g. {EXAMPLE}" + (
            "; seconds and years are not supported" if len(fields) > 5 else ""
        )
    try:
        schedule = croniter(text, dt.datetime(2000, 1, 1))
        schedule.get_next(dt.datetime)
    except CroniterBadDateError:
        return "it never matches a real date (e.g. 30 February)"
    except (CroniterError, ValueError, KeyError) as error:
        return f"{error}".replace(f"[{text}] ", "") or "croniter cannot read it"
    return None


@dataclass(frozen=True)
class CronSchedule:
    """A cron expression in a time zone.

    Parameters
    ----------
    expression : str
        Five fields or an ``@`` alias (see the module docstring); check it first with
        :func:`cron_problem`.
    timezone : str
        An IANA time zone name, e.g. ``"Europe/Tirane"``.
    """

    expression: str
    timezone: str = "Europe/Tirane"

    @cached_property
    def zone(self) -> ZoneInfo:
        """The time zone object."""
        return ZoneInfo(self.timezone)

    def between(
        self, after: dt.datetime, until: dt.datetime, limit: int = 10_000
    ) -> list[dt.datetime]:
        """Instants in ``(after, until]``, in UTC, oldest first (at most ``limit``).

        Parameters
        ----------
        after, until : datetime
            Time-zone-aware bounds.
        limit : int
            Stop after this many instants (an every-minute job over a year is 525,600).
        """
        found = []
        for moment in self._instants(after):
            if moment > until or len(found) >= limit:
                break
            found.append(moment)
        return found

    def next_after(self, after: dt.datetime, count: int = 1) -> list[dt.datetime]:
        """The next ``count`` instants strictly after ``after``, in UTC."""
        found = []
        for moment in self._instants(after):
            found.append(moment)
            if len(found) == count:
                break
        return found

    def previous_at_or_before(self, moment: dt.datetime) -> dt.datetime | None:
        """The latest instant at or before ``moment`` (UTC), looking back up to 400 days."""
        start = moment - dt.timedelta(days=400)
        found = None
        for instant in self._instants(start):
            if instant > moment:
                break
            found = instant
        return found

    def local(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` on the job's wall clock (aware, in :attr:`zone`)."""
        return moment.astimezone(self.zone)

    def _instants(self, after: dt.datetime) -> Iterator[dt.datetime]:
        """Strictly increasing UTC instants after ``after``, with the DST rules applied."""
        after = _aware(after)
        # Start a little early on the wall clock: a skipped time just before `after` may map
        # to an instant after it, and the repeated hour makes local time go backwards.
        start = after.astimezone(self.zone).replace(tzinfo=None) - dt.timedelta(hours=3)
        walker = croniter(self.expression.strip(), start)
        last = None
        while True:
            naive = walker.get_next(dt.datetime)
            instant = wall_to_instant(naive, self.zone)
            if instant <= after or (last is not None and instant <= last):
                continue
            last = instant
            yield instant


def wall_to_instant(naive: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of a wall-clock time in ``zone``, with the DST rules of this module.

    Parameters
    ----------
    naive : datetime
        A wall-clock time without time zone.
    zone : ZoneInfo

    Returns
    -------
    datetime
        In UTC. A repeated time gives its first occurrence; a skipped time gives the end of
        the gap.
    """
    first = naive.replace(tzinfo=zone, fold=0)
    utc = first.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) == naive:
        return utc  # exists (once, or twice and fold=0 is the first)
    return _gap_end(naive, zone)


def _gap_end(naive: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """First instant after the clocks-forward gap that swallowed ``naive`` (UTC)."""
    # fold=1 reads the time with the offset after the change, fold=0 with the one before;
    # the change lies between the two instants. Bisect to the second.
    low = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    low, high = min(low, high), max(low, high)
    after_offset = high.astimezone(zone).utcoffset()
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == after_offset:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("time-zone-aware datetimes only (got a naive datetime)")
    return moment
