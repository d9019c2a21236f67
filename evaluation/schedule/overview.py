"""The text of ``workbench schedule list``: each job's next run times and last outcome.

::

    monitoring-monthly: monitoring report, cron '0 7 2 * *' in Europe/Tirane, period previous_month
      next: 2026-12-02 07:00 CET  (06:00 UTC)  period 2026-11
            2027-01-02 07:00 CET  (06:00 UTC)  period 2026-12
      to:   folder /mnt/share/reports; pm@example.org (en); kvsp@example.org (sq)
      last: 2026-10: delivered to 3 of 3 targets (run 20261102T060012Z-3f2a9c1b), 2026-11-02 06:03 UTC
"""

from __future__ import annotations

import datetime as dt

from evaluation.schedule.ledger import Ledger, PeriodState
from evaluation.schedule.model import Job, Schedule
from evaluation.schedule.periods import period_for


def describe_schedule(schedule: Schedule, now: dt.datetime, count: int = 3) -> str:
    """Lines for every job of ``schedule`` as seen at ``now``.

    Parameters
    ----------
    schedule : Schedule
    now : datetime
        Aware; next run times are those after it.
    count : int
        How many next run times to show per job.
    """
    ledger = Ledger(schedule.state_dir)
    blocks = [describe_job(job, ledger, now, count) for job in schedule.jobs]
    return "\n".join(blocks) if blocks else "no jobs"


def describe_job(job: Job, ledger: Ledger, now: dt.datetime, count: int = 3) -> str:
    """The lines of one job (see the module docstring)."""
    head = (
        f"{job.id}: {job.report} report, cron '{job.cron.expression}' in {job.timezone}, "
        f"period {job.period}"
    )
    if not job.enabled:
        return f"{head}\n  disabled (enabled: false)"
    lines = [head]
    for index, due in enumerate(job.cron.next_after(now, count)):
        local = job.cron.local(due)
        period = period_for(job.period, local)
        label = "  next:" if index == 0 else "       "
        lines.append(
            f"{label} {local:%Y-%m-%d %H:%M} {local.tzname():<5} ({due:%H:%M} UTC)  "
            f"period {period.key}"
        )
    lines.append(f"  to:   {_targets(job)}")
    lines.append(f"  last: {last_outcome(job, ledger.periods(job.id))}")
    return "\n".join(lines)


def last_outcome(job: Job, periods: dict[str, PeriodState]) -> str:
    """``2026-10: delivered to 3 of 3 targets (run ...), 2026-11-02 06:03 UTC`` or ``never run``."""
    states = [s for s in periods.values() if s.last_time is not None]
    if not states:
        return "never run"
    state = max(states, key=lambda s: s.last_time)
    when = f"{state.last_time:%Y-%m-%d %H:%M} UTC"
    return f"{state.period}: {_status(job, state)}, {when}"


def _status(job: Job, state: PeriodState) -> str:
    tries = f"try {state.attempts} of {job.retries.attempts}"
    if state.run == "running":
        return f"running, or interrupted ({tries} started)"
    if state.run == "failed":
        return f"failed ({tries}): {state.error}"
    if state.run == "gave_up":
        return f"gave up after {state.attempts} tries: {state.error}"
    if state.run in ("missed", "skipped", "none"):
        return {"missed": "missed (beyond catch_up)", "skipped": "skipped"}.get(state.run, "-")
    targets = job.targets
    sent = [t for t in targets if state.target(t).status == "sent"]
    odd = [
        f"{t.partition(':')[2]} {state.target(t).status}"
        for t in targets
        if state.target(t).status not in ("sent", "pending")
    ]
    run = f"run {state.run_id}"
    if not targets:
        return f"published ({run}); no delivery targets"
    extra = f"; {', '.join(odd)}" if odd else ""
    return f"delivered to {len(sent)} of {len(targets)} targets ({run}){extra}"


def _targets(job: Job) -> str:
    parts = [f"folder {job.folder}"] if job.folder is not None else []
    parts += [f"{r.address} ({r.language})" for r in job.recipients]
    return "; ".join(parts) if parts else "nobody (run only)"
