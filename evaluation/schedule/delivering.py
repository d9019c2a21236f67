"""Delivering a published run: the shared folder first, then one e-mail per recipient.

The steps of :mod:`evaluation.schedule.jobs` after the run; see that module for the whole
sequence and why an interrupted e-mail is never sent again.

The disclosure gate (:mod:`evaluation.schedule.gating`) checks the run's outgoing files
before the first target; a finding blocks every target.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from evaluation.errors import DeliveryError, WorkbenchError
from evaluation.paths import reports_dir
from evaluation.privacy.gate import GateResult
from evaluation.schedule import alerts
from evaluation.schedule.alerts import error_text, target_name
from evaluation.schedule.delivery.folder import dated_name, deliver_to_folder
from evaluation.schedule.delivery.message import (
    ReportMail,
    message_id_for,
    report_files,
    report_message,
    run_summary,
)
from evaluation.schedule.delivery.smtp import UncertainDeliveryError
from evaluation.schedule.due import Task
from evaluation.schedule.gating import block, gate_run, newer_run_after_block
from evaluation.schedule.ledger import PeriodState
from evaluation.schedule.periods import Period

if TYPE_CHECKING:
    from evaluation.schedule.jobs import JobWork

_log = logging.getLogger("evaluation.schedule")
MAX_ALERT_FINDINGS = 20


def deliver(work: JobWork, task: Task, state: PeriodState) -> None:
    """Deliver the period's finished run to every target that does not have it yet.

    Targets already ``sent`` or ``uncertain`` are left alone, and so are targets the
    disclosure gate blocked for this run; an e-mail found ``sending`` (the process died
    while sending) becomes ``uncertain``; a target out of tries gives up; under ``serve`` a
    failed target waits for its backoff. Before the first send the gate checks the run's
    outgoing files; a finding blocks every target (see the module docstring).
    """
    state = newer_run_after_block(work, task, state)
    folder = work.run_folder(state)
    verdict: GateResult | None = None
    held = []
    for name in work.job.targets:
        if work.services.stop.is_set():
            work.act(task, "stopped", "stopped before delivery (stop requested)")
            return
        target = state.target(name)
        same = target.due == task.due
        failures = target.failures if same else 0
        if target.status in ("sent", "uncertain") or (target.status == "gave_up" and same):
            continue
        if target.status == "blocked" and target.run_id == state.run_id:
            held.append(name)
            continue
        if target.status == "sending" and name.startswith("mailto:"):
            _uncertain(work, task, name, target.message_id, "the process stopped while sending")
            continue
        if failures >= work.job.retries.attempts:
            _give_up_target(work, task, name, failures, target.error or "")
            continue
        if target.status == "failed" and same and work.services.respect_backoff:
            retry_at = (target.last_time or work.now) + work.job.retries.delay(failures)
            if work.services.clock() < retry_at:
                message = f"delivery to {target_name(name)} again at {retry_at:%H:%M:%S} UTC"
                work.act(task, "waiting", message, retry_at)
                continue
        if verdict is None:
            try:
                verdict = gate_run(work, folder)
            except (WorkbenchError, OSError) as error:
                why = f"the disclosure gate could not run: {error_text(error)}"
                _delivery_failed(work, task, name, failures, why)
                continue
            if not verdict.passed:
                block(work, task, state, verdict)
                return
        if name.startswith("folder:"):
            _to_folder(work, task, state, folder, name, failures)
        else:
            _by_email(work, task, state, folder, name, failures)
        state = work.state(task.period.key)
    if held:
        work.act(
            task,
            "skipped",
            f"not sent to {len(held)} target(s): the disclosure gate blocked run "
            f"{state.run_id}; a new run for {task.period.key} is checked afresh",
        )


def _to_folder(
    work: JobWork, task: Task, state: PeriodState, folder: Path, name: str, failures: int
) -> None:
    job = work.job
    files = [p for lang in job.languages for p in report_files(folder, lang, job.formats)]
    work.ledger.append(job.id, task.period.key, "delivery_sending", task.due, target=name)
    try:
        written = deliver_to_folder(job.folder, files, task.period, job.report)
    except (DeliveryError, OSError) as error:
        _delivery_failed(work, task, name, failures, error_text(error))
        return
    work.ledger.append(
        job.id,
        task.period.key,
        "delivery_sent",
        task.due,
        target=name,
        files=[p.name for p in written],
    )
    work.act(task, "delivered", f"copied {len(written)} file(s) to {job.folder}")


def _by_email(
    work: JobWork, task: Task, state: PeriodState, folder: Path, name: str, failures: int
) -> None:
    job = work.job
    recipient = next(r for r in job.recipients if r.target == name)
    try:
        mailer = work.mailer()
        files = report_files(folder, recipient.language, job.formats)
        mail = ReportMail(
            job=job.id,
            report=job.report,
            run_id=state.run_id or folder.name,
            period=task.period,
            language=recipient.language,
            files=files,
            summary=run_summary(folder, recipient.language, task.period, job.timezone),
            max_bytes=job.max_attachment_bytes,
            locations=_locations(work, task.period, state, folder, files),
            contact=job.admin,
        )
        message_id = message_id_for(job.id, task.period.key, recipient.address, mailer.sender)
        message = report_message(mail, recipient.display, mailer.sender, message_id)
    except (WorkbenchError, OSError) as error:  # nothing has left: a plain failure
        _delivery_failed(work, task, name, failures, error_text(error))
        return
    work.ledger.append(
        job.id,
        task.period.key,
        "delivery_sending",
        task.due,
        target=name,
        message_id=message_id,
    )
    try:
        mailer.send(message)
    except UncertainDeliveryError as error:
        _uncertain(work, task, name, message_id, error.one_line())
        return
    except DeliveryError as error:
        _delivery_failed(work, task, name, failures, error.one_line())
        return
    except Exception as error:  # unknown: it may have gone out
        _uncertain(work, task, name, message_id, f"{type(error).__name__}: {error}")
        return
    size = sum(p.stat().st_size for p in files)
    how = "attached" if mail.attach else "as links (over the size limit)"
    work.ledger.append(
        job.id,
        task.period.key,
        "delivery_sent",
        task.due,
        target=name,
        message_id=message_id,
        files=[p.name for p in files],
        bytes=size,
        attached=mail.attach,
    )
    work.act(task, "delivered", f"e-mailed to {recipient.address} ({len(files)} file(s) {how})")


def _locations(
    work: JobWork, period: Period, state: PeriodState, folder: Path, files
) -> dict[str, str]:
    """Where each file can be opened besides an attachment: the shared-folder copy if it was
    delivered, else a URL under ``link_base``, else the path on the workbench computer."""
    job = work.job
    shared = job.folder is not None and state.target(f"folder:{job.folder}").status == "sent"
    found = {}
    for path in files:
        if shared:
            found[path.name] = str(job.folder / dated_name(period, job.report, path))
        elif job.link_base:
            relative = path.resolve().relative_to(reports_dir(work.root).resolve())
            found[path.name] = f"{job.link_base}/{relative.as_posix()}"
        else:
            found[path.name] = f"{path} (on the workbench computer)"
    return found


def _delivery_failed(work: JobWork, task: Task, name: str, failures: int, error: str) -> None:
    work.ledger.append(
        work.job.id, task.period.key, "delivery_failed", task.due, target=name, error=error
    )
    work.act(task, "delivery_failed", f"delivery to {target_name(name)} failed: {error}")
    if failures + 1 >= work.job.retries.attempts:
        _give_up_target(work, task, name, failures + 1, error)


def _give_up_target(work: JobWork, task: Task, name: str, failures: int, error: str) -> None:
    work.ledger.append(
        work.job.id, task.period.key, "delivery_gave_up", task.due, target=name, error=error
    )
    work.act(task, "gave_up", f"gave up delivering to {target_name(name)} after {failures} tries")
    alert = alerts.delivery_gave_up(work.job, task.period, name, failures, error)
    work.alert(task, "delivery_gave_up", alert)


def _uncertain(work: JobWork, task: Task, name: str, message_id: str | None, why: str) -> None:
    work.ledger.append(
        work.job.id,
        task.period.key,
        "delivery_uncertain",
        task.due,
        target=name,
        message_id=message_id,
        error=why,
    )
    work.act(task, "uncertain", f"delivery to {target_name(name)} uncertain ({why}); not resent")
    alert = alerts.delivery_uncertain(work.job, task.period, name, message_id)
    work.alert(task, "delivery_uncertain", alert)
