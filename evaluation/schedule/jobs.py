"""Carry out what is due: run each job's report, retry with backoff, deliver once per period.

:func:`run_once` is ``workbench schedule once`` (and one turn of ``serve``). For each job it
takes the job's lock (another scheduler running the job makes this one skip it), asks
:func:`evaluation.schedule.due.plan_job` what is due, and for each piece of work:

1. **Run** the report through the pipeline (``run_report``) with the period, languages and
   formats of the job. A failing run is tried again after ``backoff``, ``2 * backoff`` …
   (at most ``max_backoff``) up to ``attempts`` tries; after the last one the administrator
   gets a failure report. A failed run never replaces ``reports/<report>/latest`` (the
   pipeline keeps it as ``<run-id>.failed/``). Wrong params or a missing notebook are not
   retried: waiting does not fix them. (:mod:`evaluation.schedule.running`)
2. **Deliver** the published run: to the shared folder first (so e-mails can point to it),
   then by e-mail, one message per recipient. A failed delivery is tried again by the next
   ``once``; after ``attempts`` failures the administrator is told. Before anything leaves,
   the disclosure gate (:func:`evaluation.privacy.gate.check_outgoing`) reads the files;
   if it finds personal data nothing is sent, the run is never sent, and only a new run
   for the period is delivered. (:mod:`evaluation.schedule.delivering`)

Every step is written to the ledger *before* it starts (``run_started``,
``delivery_sending``) and *after* it ends, each line fsync-ed. After a crash the next call
finds the step that started and never ended and resumes it:

* a run that started and never finished: if the pipeline had published it (the crash came
  between publishing and the ledger line), that run is used; otherwise the report runs again
  (the interrupted try counts as a try, so a run that kills the process cannot loop forever);
* a folder delivery that was interrupted is done again: writing the same dated files again
  is harmless (atomic rename);
* an e-mail whose sending was interrupted is **not** sent again. SMTP has no way to ask a
  server whether a message was accepted, and a Message-ID does not make a resend safe
  (servers and most clients deliver a second copy), so the target is recorded as
  ``delivery_uncertain`` and the administrator is asked to check the mail log with the
  Message-ID. A duplicate monthly report would be noticed by the people it goes to; a
  question to the administrator costs less. The same holds when the connection breaks while
  the message is handed over (:class:`~evaluation.schedule.delivery.smtp.UncertainDeliveryError`).

A stop request (SIGTERM/SIGINT under ``serve`` or ``once``) is honoured between steps: the
step in progress finishes, nothing new starts, and the ledger stays consistent.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from evaluation.schedule import alerts
from evaluation.schedule.alerts import error_text
from evaluation.schedule.delivering import deliver
from evaluation.schedule.delivery.message import message_id_for, plain_message
from evaluation.schedule.due import Task, plan_job
from evaluation.schedule.gating import republished_tasks
from evaluation.schedule.ledger import Ledger, PeriodState
from evaluation.schedule.lock import JobLock
from evaluation.schedule.model import Job, Schedule
from evaluation.schedule.running import ensure_run

_log = logging.getLogger("evaluation.schedule")


class Mailer(Protocol):
    """What the scheduler needs from an SMTP client (see ``SmtpMailer``)."""

    sender: str

    def send(self, message: Any) -> None:
        """Send one message; raise DeliveryError or UncertainDeliveryError."""


def pipeline_runner(report: str, params: Path | None, overrides: dict, root: Path) -> Any:
    """Run a report with the pipeline (no progress bar); returns its ``Run``."""
    from evaluation.pipeline import run_report

    return run_report(report, params, overrides, root, progress=False)


def smtp_mailer() -> Mailer:
    """An SMTP mailer configured from the ``WORKBENCH_SMTP_*`` environment variables."""
    from evaluation.schedule.delivery.smtp import SmtpMailer, SmtpSettings

    return SmtpMailer(SmtpSettings.from_env())


def utc_now() -> dt.datetime:
    """The current time in UTC."""
    return dt.datetime.now(dt.UTC)


@dataclass
class Services:
    """What the scheduler uses from the outside world; tests replace parts of it.

    Attributes
    ----------
    runner : callable, optional
        ``runner(report, params_file, overrides, root)`` → an object with ``run_id`` and
        ``folder``; raises on failure. Default: :func:`pipeline_runner`.
    mailer : callable, optional
        Returns a :class:`Mailer`; called only when something is e-mailed. Default:
        :func:`smtp_mailer`.
    clock : callable
        The current UTC time (ledger times, backoff).
    stop : threading.Event
        Set to stop between steps (the signal handlers of ``serve`` and ``once`` set it).
    wait : callable, optional
        ``wait(seconds) -> bool`` sleeps between tries and returns True if a stop was
        requested meanwhile. Default: ``stop.wait``.
    respect_backoff : bool
        Leave failed runs and deliveries alone until their backoff has passed (``serve``);
        ``once`` retries failed deliveries straight away.
    """

    runner: Callable[..., Any] | None = None
    mailer: Callable[[], Mailer] | None = None
    clock: Callable[[], dt.datetime] = utc_now
    stop: threading.Event = field(default_factory=threading.Event)
    wait: Callable[[float], bool] | None = None
    respect_backoff: bool = False

    def run_report(self, report: str, params: Path | None, overrides: dict, root: Path) -> Any:
        """Run a report with the injected runner, or the pipeline."""
        return (self.runner or pipeline_runner)(report, params, overrides, root)

    def make_mailer(self) -> Mailer:
        """A mailer from the injected factory, or SMTP from the environment."""
        return (self.mailer or smtp_mailer)()

    def pause(self, seconds: float) -> bool:
        """Sleep ``seconds`` (interrupted by a stop); True if a stop was requested."""
        waiter = self.wait or self.stop.wait
        return bool(waiter(max(seconds, 0.0))) or self.stop.is_set()


@dataclass(frozen=True)
class Action:
    """One thing ``run_once`` did (or decided not to do) for a job and period.

    ``status`` is one of ``published``, ``delivered``, ``skipped``, ``missed``, ``failed``,
    ``gave_up``, ``delivery_failed``, ``uncertain``, ``blocked`` (the disclosure gate found
    personal data), ``waiting``, ``locked``, ``stopped``.
    """

    job: str
    period: str
    status: str
    message: str
    retry_at: dt.datetime | None = None

    @property
    def failed(self) -> bool:
        """Whether this action is a failure (makes ``once`` exit with status 1)."""
        return self.status in ("failed", "gave_up", "delivery_failed", "uncertain", "blocked")

    def describe(self) -> str:
        """``monitoring-monthly 2026-10: delivered to pm@example.org``."""
        period = f" {self.period}" if self.period else ""
        return f"{self.job}{period}: {self.message}"


def run_once(
    schedule: Schedule,
    now: dt.datetime | None = None,
    services: Services | None = None,
    jobs: list[str] | None = None,
) -> list[Action]:
    """Do whatever is due for every job (or the ``jobs`` named) at ``now``.

    Parameters
    ----------
    schedule : Schedule
    now : datetime, optional
        The time to plan for (``--at``); default the clock.
    services : Services, optional
    jobs : list of str, optional
        Only these job ids.

    Returns
    -------
    list of Action
        In the order things happened.
    """
    services = services or Services()
    now = now or services.clock()
    actions: list[Action] = []
    for job in schedule.jobs:
        if jobs and job.id not in jobs:
            continue
        if services.stop.is_set():
            break
        actions += JobWork(schedule, job, services, now).run()
    return actions


class JobWork:
    """One job's turn: plan under the lock, then run and deliver.

    The run and delivery steps (:mod:`~evaluation.schedule.running`,
    :mod:`~evaluation.schedule.delivering`) receive it and use its ledger, clock, services
    and the helpers below.
    """

    def __init__(self, schedule: Schedule, job: Job, services: Services, now: dt.datetime):
        self.schedule, self.job, self.services, self.now = schedule, job, services, now
        self.root = schedule.root
        self.ledger = Ledger(schedule.state_dir, clock=services.clock)
        self.actions: list[Action] = []
        self._mailer_instance: Mailer | None = None

    # ----------------------------------------------------------------- planning
    def run(self) -> list[Action]:
        """Take the job's lock and do its tasks; a held lock skips the job."""
        with JobLock(self.schedule.state_dir, self.job.id) as lock:
            if not lock.acquired:
                message = f"skipped: another scheduler is running this job ({lock.holder})"
                _log.info("%s: %s", self.job.id, message)
                return [Action(self.job.id, "", "locked", message)]
            periods = self.ledger.periods(self.job.id)
            tasks = plan_job(self.job, periods, self.ledger.last_due(self.job.id), self.now)
            tasks += republished_tasks(self, periods, tasks)
            for task in tasks:
                if self.services.stop.is_set():
                    self.act(task, "stopped", "stopped before this step (stop requested)")
                    break
                self._task(task)
        return self.actions

    def _task(self, task: Task) -> None:
        key = task.period.key
        if task.kind == "skipped":
            self.ledger.append(self.job.id, key, "skipped", task.due, reason=task.reason)
            self.act(task, "skipped", f"skipped: {task.reason}")
            return
        if task.kind == "missed":
            self.missed(task, task.reason)
            return
        if task.superseded:
            _log.info(
                "%s %s: %d earlier scheduled time(s) superseded by this one",
                self.job.id,
                key,
                task.superseded,
            )
        state = self.state(key)
        state = ensure_run(self, task, state)
        if state is not None and not self.services.stop.is_set():
            deliver(self, task, state)

    def state(self, key: str) -> PeriodState:
        """The ledger's current state of period ``key`` (read afresh)."""
        return self.ledger.periods(self.job.id).get(key) or PeriodState(self.job.id, key)

    def act(
        self, task: Task, status: str, message: str, retry_at: dt.datetime | None = None
    ) -> None:
        """Log one :class:`Action` and keep it for the caller."""
        action = Action(self.job.id, task.period.key, status, message, retry_at)
        level = logging.WARNING if action.failed or status == "missed" else logging.INFO
        _log.log(level, "%s", action.describe())
        self.actions.append(action)

    def missed(self, task: Task, reason: str) -> None:
        """Record a scheduled time that will not run, and tell the administrator."""
        self.ledger.append(
            self.job.id, task.period.key, "missed", task.due, reason=reason, count=task.count
        )
        self.act(task, "missed", f"missed: {reason}")
        self.alert(task, "missed", alerts.run_missed(self.job, task.period, task.due, reason))

    # ----------------------------------------------------------------- helpers for the steps
    def run_folder(self, state: PeriodState) -> Path:
        """The published run folder the ledger names for a period."""
        folder = Path(state.folder or "")
        return folder if folder.is_absolute() else self.root / folder

    # ----------------------------------------------------------------- admin
    def mailer(self) -> Mailer:
        """The mailer, made on first use (so folder-only jobs need no SMTP settings)."""
        if self._mailer_instance is None:
            self._mailer_instance = self.services.make_mailer()
        return self._mailer_instance

    def alert(self, task: Task, about: str, alert: alerts.Alert) -> None:
        """E-mail the administrator; a failure here is logged, never raised."""
        admin = self.job.admin
        if admin is None:
            _log.warning(
                "%s: no admin address in the schedule; failure report not sent", self.job.id
            )
            return
        subject, lines = alert
        try:
            mailer = self.mailer()
            message_id = message_id_for(
                self.job.id,
                f"{task.period.key}.{about}.{task.due:%Y%m%dT%H%M}",
                admin,
                mailer.sender,
                kind="alert",
            )
            mailer.send(plain_message(subject, lines, admin, mailer.sender, message_id))
        except Exception as error:  # an alert must never stop the scheduler
            message = error_text(error)
            self.ledger.append(
                self.job.id,
                task.period.key,
                "admin_alert_failed",
                task.due,
                about=about,
                error=message,
            )
            _log.error(
                "%s: could not send the failure report to %s: %s", self.job.id, admin, message
            )
            return
        self.ledger.append(self.job.id, task.period.key, "admin_alerted", task.due, about=about)
        _log.info("%s: failure report sent to %s (%s)", self.job.id, admin, about)
