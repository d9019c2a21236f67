"""What a job has to do now: which scheduled times are due, missed, or already done.

:func:`plan_job` reads the job's ledger state and the clock and returns :class:`Task` items,
oldest first; :mod:`evaluation.schedule.jobs` carries them out. Nothing here writes.

The scheduled times considered are those after the latest one the ledger has dealt with
(on the very first run, those within the catch-up window), up to ``now``:

* times of the same period are one piece of work (the latest of them counts);
* a period whose latest time is more than ``catch_up`` ago is **missed**: not run, recorded,
  and reported to the administrator;
* a period already delivered to every target is **skipped**: a job is never delivered twice
  for the same period;
* with period rule ``none`` only the latest due time runs (the report would be the same);
  earlier ones are superseded (counted in the log, not recorded one by one) and a run of
  them beyond catch-up is one missed entry, not one per scheduled time;
* anything else is **work**: run the report (or resume it) and deliver it.

Work left open by an earlier call (a run that was interrupted or failed with tries left, a
delivery that failed) is work too, without a new scheduled time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from evaluation.schedule.ledger import PeriodState
from evaluation.schedule.model import Job
from evaluation.schedule.periods import Period, period_for

MAX_TOO_LATE = 1000
MAX_RECENT = 100_000


@dataclass(frozen=True)
class Task:
    """One thing to do for a job.

    Attributes
    ----------
    kind : str
        ``work``, ``missed`` or ``skipped``.
    period : Period
    due : datetime
        The scheduled time (UTC) the task is for.
    fresh : bool
        For ``work``: a new scheduled time (tries start again from one).
    reason : str
        For ``missed`` and ``skipped``: why, in words.
    count : int
        Scheduled times the task stands for.
    superseded : int
        Rule ``none``: earlier scheduled times this one replaces (not run, not recorded).
    """

    kind: str
    period: Period
    due: dt.datetime
    fresh: bool = False
    reason: str = ""
    count: int = 1
    superseded: int = 0


def plan_job(
    job: Job,
    periods: dict[str, PeriodState],
    last_due: dt.datetime | None,
    now: dt.datetime,
) -> list[Task]:
    """The tasks of ``job`` at ``now``.

    Parameters
    ----------
    job : Job
    periods : dict of str to PeriodState
        :meth:`Ledger.periods` of the job.
    last_due : datetime or None
        :meth:`Ledger.last_due` of the job.
    now : datetime
        The current time (aware).

    Returns
    -------
    list of Task
        New scheduled times first (in time order), then open work from earlier calls.
    """
    if not job.enabled:
        return []
    tasks = _new_times(job, periods, last_due, now)
    planned = {t.period.key for t in tasks}
    for key, state in periods.items():
        if key not in planned and state.due is not None and _open(job, state, now):
            period = period_for(job.period, job.cron.local(state.due))
            tasks.append(Task("work", period, state.due))
    return tasks


def occurrences(
    job: Job, last_due: dt.datetime | None, now: dt.datetime
) -> tuple[list[dt.datetime], list[dt.datetime]]:
    """Scheduled times to consider: ``(too_late, recent)``.

    ``recent`` are the times within the catch-up window, up to ``now``; ``too_late`` those
    between ``last_due`` and the start of the window (none on the very first call). An
    every-minute job is cheap to plan: croniter gives about 40,000 times a second, and the
    lists are capped (:data:`MAX_TOO_LATE`, :data:`MAX_RECENT`).
    """
    window = now - job.catch_up
    start = last_due if last_due is not None else window
    too_late = job.cron.between(start, window, limit=MAX_TOO_LATE) if start < window else []
    recent = job.cron.between(max(start, window), now, limit=MAX_RECENT)
    return too_late, recent


def _new_times(
    job: Job, periods: dict[str, PeriodState], last_due: dt.datetime | None, now: dt.datetime
) -> list[Task]:
    too_late, recent = occurrences(job, last_due, now)
    if job.period == "none":
        return _latest_only(job, too_late, recent)
    late = _by_period(job, too_late)
    live = _by_period(job, recent)
    tasks: list[Task] = []
    for key, times in late.items():
        due, period = times[-1]
        if key in live:
            continue  # the same period is due again within the window
        if _delivered(job, periods.get(key)):
            tasks.append(Task("skipped", period, due, reason="already delivered for this period"))
            continue
        reason = f"due {len(times)} time(s), last at {due:%Y-%m-%d %H:%M} UTC, beyond catch_up"
        tasks.append(Task("missed", period, due, reason=reason, count=len(times)))
    for key, times in live.items():
        due, period = times[-1]
        if _delivered(job, periods.get(key)):
            tasks.append(Task("skipped", period, due, reason="already delivered for this period"))
        else:
            tasks.append(Task("work", period, due, fresh=True, count=len(times)))
    return sorted(tasks, key=lambda t: t.due)


def _latest_only(job: Job, too_late: list[dt.datetime], recent: list[dt.datetime]) -> list[Task]:
    """Rule ``none``: every time would give the same report, so only the latest runs."""
    if recent:
        due = recent[-1]
        period = period_for(job.period, job.cron.local(due))
        skipped = len(recent) - 1 + len(too_late)
        return [Task("work", period, due, fresh=True, superseded=skipped)]
    if too_late:
        due = too_late[-1]
        period = period_for(job.period, job.cron.local(due))
        reason = f"due {len(too_late)} time(s), last at {due:%Y-%m-%d %H:%M} UTC, beyond catch_up"
        return [Task("missed", period, due, reason=reason, count=len(too_late))]
    return []


def _by_period(job: Job, times: list[dt.datetime]) -> dict[str, list[tuple[dt.datetime, Period]]]:
    groups: dict[str, list[tuple[dt.datetime, Period]]] = {}
    for due in times:
        period = period_for(job.period, job.cron.local(due))
        groups.setdefault(period.key, []).append((due, period))
    return groups


def _delivered(job: Job, state: PeriodState | None) -> bool:
    return state is not None and state.run == "finished" and state.delivered(job.targets)


def _open(job: Job, state: PeriodState, now: dt.datetime) -> bool:
    """Whether a period has work left from an earlier call.

    A target never tried (``pending``) counts only within the catch-up window, so a recipient
    added to the schedule in December is not sent every report since the project began.
    """
    if state.run in ("running", "failed"):
        return True
    if state.run != "finished":
        return False  # none, gave_up, missed, skipped: wait for a new scheduled time
    recent = state.due is not None and now - state.due <= job.catch_up
    for name in job.targets:
        status = state.target(name).status
        if status in ("sending", "failed") or (status == "pending" and recent):
            return True
    return False
