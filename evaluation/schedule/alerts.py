"""Failure reports for the administrator: what went wrong, what was kept, what to do.

Each function returns ``(subject, lines)`` for a plain-text e-mail in English (the
administrator is the evaluator who runs the workbench, not the report's audience). The
scheduler sends one report per event and records it in the ledger (``admin_alerted``).
"""

from __future__ import annotations

import datetime as dt

from evaluation.errors import WorkbenchError
from evaluation.schedule.durations import format_duration
from evaluation.schedule.model import Job
from evaluation.schedule.periods import Period

Alert = tuple[str, list[str]]


def run_gave_up(job: Job, period: Period, due: dt.datetime, attempts: int, error: str) -> Alert:
    """The report run failed on its last try."""
    subject = f"[workbench] {job.id}: the {job.report} report for {period.key} failed"
    month = f" --period {period.month}" if period.month else ""
    lines = [
        f"The scheduled {job.report} report (job {job.id}, period {period.key}, due "
        f"{_when(job, due)}) failed {attempts} time(s); nothing was delivered.",
        "",
        f"Last error: {error}",
        "",
        "The last good report was not replaced (reports/<report>/latest is unchanged); the "
        "failed run is kept as a .failed folder with error.txt.",
        "",
        "What to do: fix the cause, check with",
        f"    workbench run {job.report}{month}",
        "and the scheduler tries again at the job's next scheduled time for this period.",
    ]
    return subject, lines


def run_missed(job: Job, period: Period, due: dt.datetime, reason: str) -> Alert:
    """A scheduled time passed without a run and is now beyond its catch-up window."""
    subject = f"[workbench] {job.id}: the {job.report} report for {period.key} was missed"
    lines = [
        f"The scheduled {job.report} report (job {job.id}, period {period.key}) was due "
        f"{_when(job, due)} but did not run: {reason}.",
        "",
        "This happens when the scheduler was not running (computer off, cron or the systemd "
        "timer stopped) for longer than the job's catch_up window "
        f"({format_duration(job.catch_up)}).",
        "",
        "What to do: check the scheduler (see reports/_schedule/schedule.log); run the "
        f"report by hand with `workbench run {job.report}` and send it if it is still needed.",
    ]
    return subject, lines


def delivery_gave_up(job: Job, period: Period, target: str, failures: int, error: str) -> Alert:
    """Delivery to one target failed on its last try."""
    subject = (
        f"[workbench] {job.id}: could not deliver the {period.key} report to {target_name(target)}"
    )
    lines = [
        f"The {job.report} report for {period.key} (job {job.id}) was produced, but delivery "
        f"to {target_name(target)} failed {failures} time(s).",
        "",
        f"Last error: {error}",
        "",
        "What to do: fix the cause (SMTP settings: `workbench schedule test-email`; shared "
        "folder: is it mounted and writable?). The scheduler tries again at the job's next "
        "scheduled time for this period; the report stays in reports/.",
    ]
    return subject, lines


def delivery_uncertain(job: Job, period: Period, target: str, message_id: str | None) -> Alert:
    """Sending was interrupted: the message may or may not have arrived; it is not resent."""
    subject = (
        f"[workbench] {job.id}: check whether the {period.key} report reached {target_name(target)}"
    )
    lines = [
        f"Sending the {job.report} report for {period.key} (job {job.id}) to {target_name(target)} "
        "was interrupted after the message was handed to the mail server or while it was.",
        "",
        "SMTP gives no way to ask a server whether it already has a message, so the "
        "scheduler does not send it again: a second copy is worse than a question.",
        "",
        f"Message-ID: {message_id or 'unknown'}",
        "What to do: look for this Message-ID in the mail server's log or ask the recipient. "
        "If it did not arrive, forward the report from reports/ by hand.",
    ]
    return subject, lines


def _when(job: Job, due: dt.datetime) -> str:
    local = job.cron.local(due)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({due:%H:%M} UTC)"


def target_name(target: str) -> str:
    """``pm@example.org`` for ``mailto:pm@example.org``, the path for ``folder:/...``."""
    return target.partition(":")[2] or target


def error_text(error: BaseException) -> str:
    """An exception as one line: the workbench's own message, else ``Type: message``."""
    if isinstance(error, WorkbenchError):
        return error.one_line()
    return f"{type(error).__name__}: {error}"
