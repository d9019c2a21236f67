"""Running a job's report: tries with backoff, resuming an interrupted try, giving up.

The steps of :mod:`evaluation.schedule.jobs` that produce a published run for a period; see
that module for the whole sequence and the crash rules.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from evaluation.errors import ParamsError, ReportError
from evaluation.params import display_path
from evaluation.paths import reports_dir
from evaluation.schedule import alerts
from evaluation.schedule.alerts import error_text
from evaluation.schedule.due import Task
from evaluation.schedule.ledger import PeriodState, parse_time

if TYPE_CHECKING:
    import datetime as dt

    from evaluation.schedule.jobs import JobWork

_log = logging.getLogger("evaluation.schedule")


def ensure_run(work: JobWork, task: Task, state: PeriodState) -> PeriodState | None:
    """A finished run for the period: the one the ledger names, one the pipeline published
    before a crash, or a new one (with retries). ``None`` when there is none now (failed,
    given up, missed, waiting for backoff, or stopped)."""
    job, due = work.job, task.due
    if state.run == "finished":
        if work.run_folder(state).is_dir():
            return state
        _log.warning(
            "%s %s: the published run %s has been removed; running the report again",
            job.id,
            task.period.key,
            state.folder,
        )
    if state.run == "running":
        recovered = _recover(work, task, state)
        if recovered is not None:
            return recovered
    attempts = state.attempts if state.run_due == due and state.run != "finished" else 0
    if state.run == "running" and attempts:
        _log.warning("%s %s: try %d was interrupted", job.id, task.period.key, attempts)
    if attempts >= job.retries.attempts:
        _give_up_run(work, task, attempts, state.error or "interrupted")
        return None
    if work.now - due > job.catch_up:
        work.missed(task, "the unfinished run could not be resumed within catch_up")
        return None
    if state.run == "failed" and attempts and work.services.respect_backoff:
        retry_at = (state.failed_at or work.now) + job.retries.delay(attempts)
        if work.services.clock() < retry_at:
            work.act(
                task, "waiting", f"run try {attempts + 1} at {retry_at:%H:%M:%S} UTC", retry_at
            )
            return None
    return _run_with_retries(work, task, attempts)


def _run_with_retries(work: JobWork, task: Task, attempts: int) -> PeriodState | None:
    job, key = work.job, task.period.key
    while True:
        attempts += 1
        work.ledger.append(job.id, key, "run_started", task.due, attempt=attempts)
        _log.info("%s %s: running the %s report (try %d)", job.id, key, job.report, attempts)
        try:
            run = work.services.run_report(
                job.report, job.params, job.overrides(task.period.month), work.root
            )
        except Exception as error:  # any failure of a try is recorded
            # BaseException (a kill, KeyboardInterrupt) is not caught: the ledger then
            # shows a try that started and never ended, and the next call resumes it.
            message = error_text(error)
            failed = getattr(error, "folder", None)
            work.ledger.append(
                job.id,
                key,
                "run_failed",
                task.due,
                attempt=attempts,
                error=message,
                folder=display_path(failed, work.root) if failed else None,
            )
            work.act(task, "failed", f"try {attempts} failed: {message}")
            if not retryable(error) or attempts >= job.retries.attempts:
                _give_up_run(work, task, attempts, message)
                return None
            delay = job.retries.delay(attempts)
            _log.info("%s %s: trying again in %s", job.id, key, delay)
            if work.services.pause(delay.total_seconds()):
                work.act(task, "stopped", "stop requested while waiting to try again")
                return None
            continue
        folder = display_path(Path(run.folder), work.root)
        work.ledger.append(
            job.id,
            key,
            "run_finished",
            task.due,
            attempt=attempts,
            run_id=run.run_id,
            folder=folder,
        )
        work.act(task, "published", f"published {folder}/")
        return work.state(key)


def _recover(work: JobWork, task: Task, state: PeriodState) -> PeriodState | None:
    """Use a run the pipeline published after the try began, if the crash came after it."""
    found = find_published_run(
        work.root, work.job.report, task.period.month, state.started_at or task.due
    )
    if found is None:
        return None
    return adopt_run(
        work,
        task,
        state,
        found,
        "recovered {folder}/ (published before an interruption)",
        attempt=state.attempts,
        recovered=True,
    )


def adopt_run(
    work: JobWork,
    task: Task,
    state: PeriodState,
    found: tuple[str, Path],
    message: str,
    **extra: object,
) -> PeriodState:
    """Record a run the pipeline published (``found``: run id and folder) as the period's
    finished run; ``message`` (with ``{folder}``) is the action shown to the user."""
    run_id, folder = found
    shown = display_path(folder, work.root)
    work.ledger.append(
        work.job.id,
        task.period.key,
        "run_finished",
        state.run_due or task.due,
        run_id=run_id,
        folder=shown,
        **extra,
    )
    work.act(task, "published", message.format(folder=shown))
    return work.state(task.period.key)


def _give_up_run(work: JobWork, task: Task, attempts: int, error: str) -> None:
    work.ledger.append(
        work.job.id, task.period.key, "run_gave_up", task.due, attempt=attempts, error=error
    )
    work.act(task, "gave_up", f"gave up after {attempts} tries: {error}")
    alert = alerts.run_gave_up(work.job, task.period, task.due, attempts, error)
    work.alert(task, "run_gave_up", alert)


def retryable(error: Exception) -> bool:
    """Whether waiting may fix a failed run.

    A cell that failed (:class:`~evaluation.pipeline.run.RunFailedError`: a file being
    written, a network share away, a kernel that died) or an unexpected error may pass; wrong
    params, a missing notebook or one without a ``parameters`` cell (other
    :class:`~evaluation.errors.ReportError`) will not, so they fail at once.
    """
    if isinstance(error, ParamsError):
        return False
    if isinstance(error, ReportError):
        from evaluation.pipeline.run import RunFailedError

        return isinstance(error, RunFailedError)
    return True


def find_published_run(
    root: Path, report: str, month: str | None, since: dt.datetime
) -> tuple[str, Path] | None:
    """The newest published run of ``report`` for ``month`` that started at or after ``since``.

    Reads ``manifest.json`` of each run folder (``status: published``, ``params.period``,
    ``started``); folders still ``.partial`` or ``.failed`` do not count.
    """
    base = reports_dir(root) / report
    if not base.is_dir():
        return None
    for folder in sorted(base.iterdir(), reverse=True):
        if folder.is_symlink() or not folder.is_dir() or folder.suffix in (".partial", ".failed"):
            continue
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            started = parse_time(manifest["started"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        period = (manifest.get("params") or {}).get("period")
        published = manifest.get("status") == "published"
        if published and started >= since.replace(microsecond=0) and month in (None, period):
            return manifest.get("run_id") or folder.name, folder
    return None
