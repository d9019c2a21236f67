"""The disclosure gate on a run about to be delivered, and what a blocked run becomes.

**The disclosure gate.** Before the first file of a run leaves (once per call, before any
target), :func:`evaluation.privacy.gate.check_outgoing` reads every file some target of the
job would receive: the report HTML and workbook of each language and the
``summary.<lang>.json`` that goes into the e-mail body. It looks for phone numbers, e-mail
addresses (the administrator's and the sender's own are allowed) and headers or JSON keys
that are personal fields of the questionnaires (:func:`~evaluation.privacy.gate.project_forbidden`).
If it finds any:

* nothing is sent to any target; each target not yet delivered is recorded as
  ``delivery_blocked`` with the run id and the gate's one-line reason (file, place, masked
  value); the administrator gets one alert listing the findings; ``once`` exits 1;
* the run stays published (``latest`` is not touched: the report is fine to read inside the
  workbench);
* the block is permanent **for that run**: unlike a failed delivery it is not tried again
  (the same files would give the same verdict), not at the next ``once`` nor at a later
  scheduled time for the period. A **new run** for the period is checked afresh: one the
  scheduler publishes, or one published by hand (``workbench run monitoring --period
  2026-10``) after the block, which the next ``once`` picks up (:func:`republished_tasks`).
  Jobs with period rule ``none`` do not pick up runs: their next scheduled run supersedes.

A gate that cannot run (a questionnaire that cannot be read) is a plain delivery failure:
nothing is sent, and it is tried again like any failure.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from evaluation.privacy.gate import GateResult, check_outgoing, project_forbidden
from evaluation.schedule import alerts
from evaluation.schedule.alerts import target_name
from evaluation.schedule.delivery.message import report_files
from evaluation.schedule.delivery.smtp import ENV_FROM
from evaluation.schedule.due import Task
from evaluation.schedule.ledger import PeriodState
from evaluation.schedule.model import Job
from evaluation.schedule.periods import Period, period_for
from evaluation.schedule.running import adopt_run, find_published_run
from evaluation.schedule.summary import summary_file

if TYPE_CHECKING:
    from evaluation.schedule.jobs import JobWork

_log = logging.getLogger("evaluation.schedule")
MAX_ALERT_FINDINGS = 20


def outgoing_files(job: Job, folder: Path) -> list[Path]:
    """Every file of the run folder that some target of ``job`` would receive.

    The folder target gets the report files of the job's languages, each recipient those of
    their language and the ``summary.<lang>.json`` whose lines go into the e-mail body.
    """
    to_folder = job.languages if job.folder is not None else ()
    mailed = tuple(dict.fromkeys(r.language for r in job.recipients))
    files = [
        p
        for lang in dict.fromkeys((*to_folder, *mailed))
        for p in report_files(folder, lang, job.formats)
    ]
    files += [summary_file(folder, lang) for lang in mailed if summary_file(folder, lang).is_file()]
    return files


def gate_run(work: JobWork, folder: Path) -> GateResult:
    """The disclosure gate's verdict on the run folder's outgoing files.

    Forbidden headers come from the project's questionnaires; the administrator's address
    and the sender's (``WORKBENCH_MAIL_FROM``) may appear, as the report's own contact.

    Raises
    ------
    PrivacyError
        A questionnaire cannot be read, so the personal fields are unknown.
    """
    own = [work.job.admin, work.schedule.admin, os.environ.get(ENV_FROM)]
    files = outgoing_files(work.job, folder)
    result = check_outgoing(
        files, forbidden=project_forbidden(work.root), allowed=[a for a in own if a]
    )
    _log.info(
        "%s: disclosure gate on %d file(s) of %s in %.2f s: %s",
        work.job.id,
        len(files),
        folder.name,
        result.seconds,
        "passed" if result.passed else f"{len(result.findings)} finding(s)",
    )
    return result


def republished_tasks(
    work: JobWork, periods: dict[str, PeriodState], planned: list[Task]
) -> list[Task]:
    """Work for periods the gate blocked and that have a new run published since.

    A blocked period is no open work (its run is never sent); once a run for the same month
    is published after the block (``workbench run REPORT --period ...`` by hand), the period
    is delivered again, the new run checked by the gate first. Not for period rule ``none``.
    """
    if work.job.period == "none":
        return []
    keys = {t.period.key for t in planned}
    tasks = []
    for key, state in periods.items():
        if key in keys or state.run != "finished" or state.due is None:
            continue
        period = period_for(work.job.period, work.job.cron.local(state.due))
        if _republished(work, period, state) is not None:
            tasks.append(Task("work", period, state.due))
    return tasks


def _republished(work: JobWork, period: Period, state: PeriodState) -> tuple[str, Path] | None:
    """A run of the period published after the gate blocked ``state``'s run, if any."""
    blocked = [
        state.target(n)
        for n in work.job.targets
        if state.target(n).status == "blocked" and state.target(n).run_id == state.run_id
    ]
    times = [t.last_time for t in blocked if t.last_time is not None]
    if not times or work.job.period == "none":
        return None
    found = find_published_run(work.root, work.job.report, period.month, max(times))
    return found if found is not None and found[0] != state.run_id else None


def newer_run_after_block(work: JobWork, task: Task, state: PeriodState) -> PeriodState:
    """Take a run published after the gate blocked the ledger's run for this period."""
    found = _republished(work, task.period, state)
    if found is None:
        return state
    message = f"using {{folder}}/, published after run {state.run_id} was blocked"
    return adopt_run(work, task, state, found, message, replaces=state.run_id)


def block(work: JobWork, task: Task, state: PeriodState, verdict: GateResult) -> None:
    """Record every undelivered target as blocked for this run, and tell the administrator."""
    job, run_id = work.job, state.run_id
    state = work.state(task.period.key)  # targets made uncertain in this call stay so
    waiting = [n for n in job.targets if state.target(n).status not in ("sent", "uncertain")]
    for name in waiting:
        work.ledger.append(
            job.id,
            task.period.key,
            "delivery_blocked",
            task.due,
            target=name,
            run_id=run_id,
            error=verdict.reason,
            findings=len(verdict.findings),
        )
    work.act(task, "blocked", f"run {run_id} not sent to anyone: {verdict.reason}")
    alert = _blocked_alert(job, task.period, run_id or "", waiting, verdict)
    work.alert(task, f"delivery_blocked.{run_id}", alert)


def _blocked_alert(
    job: Job, period: Period, run_id: str, targets: list[str], verdict: GateResult
) -> alerts.Alert:
    subject = f"[workbench] {job.id}: {period.key} report not sent: personal data found"
    shown = [f"  - {f.describe()}" for f in verdict.findings[:MAX_ALERT_FINDINGS]]
    if len(verdict.findings) > MAX_ALERT_FINDINGS:
        shown.append(f"  ... and {len(verdict.findings) - MAX_ALERT_FINDINGS} more")
    month = f" --period {period.month}" if period.month else ""
    again = (
        [
            "publish a new run with",
            f"    workbench run {job.report}{month}",
            "and the next `workbench schedule once` checks it and delivers it.",
        ]
        if job.period != "none"
        else ["the job's next scheduled run is checked afresh."]
    )
    lines = [
        f"The {job.report} report for {period.key} (job {job.id}, run {run_id}) was produced, "
        "but the disclosure gate found personal data in the files about to leave, so nothing "
        f"was sent to: {', '.join(target_name(t) for t in targets)}.",
        "",
        "Found (values masked):",
        *shown,
        "",
        f"The run stays published in reports/{job.report}/{run_id}/ for use inside the "
        "workbench; this run is never sent.",
        "",
        "What to do: find where the personal data came from (the notebook, the data, a hand "
        f"edit of the report), fix it, then {again[0]}",
        *again[1:],
    ]
    return subject, lines
