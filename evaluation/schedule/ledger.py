"""The ledger: what the scheduler ran and delivered, for which job and period.

``reports/_schedule/ledger.jsonl`` holds one JSON object per line, appended and never
rewritten, so it can be read with ``grep``, ``jq`` or pandas and survives a crash: each line is
flushed and ``fsync``-ed before the step it records goes on, and a line torn by a crash is
ignored when read (and closed with a newline before the next append, so it cannot swallow
the next event). Appends from several processes are serialised with ``flock`` on the file.

Every entry has ``time`` (when it was written, UTC), ``job``, ``period`` (the ledger key of
:mod:`evaluation.schedule.periods`), ``due`` (the scheduled time the work is for, UTC) and
``event``, one of :data:`EVENTS`; other keys depend on the event (``attempt``, ``run_id``,
``folder``, ``target``, ``message_id``, ``error``, ``reason``, ``files``; ``findings`` of a
``delivery_blocked``, ``replaces`` of a run published by hand after a block).

The scheduled time ``due`` starts an *episode*: tries of a run or a delivery are counted
within the episode, so a later scheduled time for the same period (a job due daily from the
2nd to the 4th of each month for the previous month) gets fresh tries, while a period that
was delivered is never delivered again.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LEDGER_FILE = "ledger.jsonl"

EVENTS: dict[str, str] = {
    "skipped": "a scheduled time that needed no run (period already delivered, or superseded)",
    "missed": "a scheduled time found later than its catch-up window allows; not run",
    "run_started": "a try of the report run began (attempt n)",
    "run_finished": "the run was published (run_id, folder)",
    "run_failed": "a try failed (error; the .failed folder); latest is unchanged",
    "run_gave_up": "the last try failed; the administrator is told",
    "delivery_sending": "about to send to a target (recorded before anything leaves)",
    "delivery_sent": "the target has the report",
    "delivery_failed": "the target certainly does not have it (error); tried again later",
    "delivery_uncertain": "sending was interrupted; it may or may not have arrived; not resent",
    "delivery_gave_up": "the last try to a target failed; the administrator is told",
    "delivery_blocked": (
        "the disclosure gate found personal data in the run's files (error, run_id); nothing "
        "was sent to the target and the run is never sent; a new run for the period is checked "
        "afresh"
    ),
    "admin_alerted": "a failure report went to the administrator (about)",
    "admin_alert_failed": "the failure report could not be sent (error)",
}
"""Event names and what each one means."""

TERMINAL_TARGET = ("sent", "uncertain")
_log = logging.getLogger("evaluation.schedule")


def iso(moment: dt.datetime) -> str:
    """``2026-11-02T06:00:00Z`` (UTC, whole seconds)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> dt.datetime:
    """The UTC datetime of an :func:`iso` string."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)


@dataclass
class TargetState:
    """Delivery of one period to one target (``folder:...`` or ``mailto:...``).

    ``status`` is ``pending`` (nothing yet), ``sending`` (begun, no outcome recorded: the
    process died), ``sent``, ``failed``, ``uncertain``, ``gave_up`` or ``blocked`` (the
    disclosure gate stopped run ``run_id``); ``failures`` counts the failed tries of the
    current episode.
    """

    target: str
    status: str = "pending"
    failures: int = 0
    last_time: dt.datetime | None = None
    message_id: str | None = None
    error: str | None = None
    due: dt.datetime | None = None
    run_id: str | None = None


@dataclass
class PeriodState:
    """Everything the ledger says about one job and period.

    Attributes
    ----------
    run : str
        ``none``, ``running`` (a try began and nothing followed: the process died),
        ``failed``, ``gave_up``, ``finished``, ``missed`` or ``skipped``.
    due : datetime or None
        The scheduled time of the latest episode.
    attempts : int
        Run tries begun in the latest episode.
    """

    job: str
    period: str
    run: str = "none"
    due: dt.datetime | None = None
    attempts: int = 0
    run_due: dt.datetime | None = None
    run_id: str | None = None
    folder: str | None = None
    started_at: dt.datetime | None = None
    failed_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    error: str | None = None
    targets: dict[str, TargetState] = field(default_factory=dict)
    last_event: str | None = None
    last_time: dt.datetime | None = None

    def target(self, name: str) -> TargetState:
        """The state of one target (``pending`` if the ledger never mentions it)."""
        return self.targets.get(name) or TargetState(name)

    def delivered(self, targets: Iterable[str]) -> bool:
        """True when every target is ``sent`` (or ``uncertain``, which is never resent)."""
        return all(self.target(t).status in TERMINAL_TARGET for t in targets)


_RUN_STATUS = {
    "run_started": "running",
    "run_failed": "failed",
    "run_gave_up": "gave_up",
    "run_finished": "finished",
    "missed": "missed",
    "skipped": "skipped",
}
_TARGET_STATUS = {
    "delivery_sending": "sending",
    "delivery_sent": "sent",
    "delivery_failed": "failed",
    "delivery_uncertain": "uncertain",
    "delivery_gave_up": "gave_up",
    "delivery_blocked": "blocked",
}


class Ledger:
    """The append-only ledger in ``directory/ledger.jsonl``.

    Parameters
    ----------
    directory : Path
        Usually ``reports/_schedule`` (created on the first append).
    clock : callable, optional
        Returns the current UTC time for the ``time`` field (tests pass a fake clock).
    """

    def __init__(self, directory: Path, clock=None):
        self.directory = Path(directory)
        self.path = self.directory / LEDGER_FILE
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))

    def append(
        self, job: str, period: str, event: str, due: dt.datetime | None, **fields: Any
    ) -> dict[str, Any]:
        """Write one event, durably (flush and fsync) before returning it.

        Raises
        ------
        ValueError
            If ``event`` is not one of :data:`EVENTS` (a bug, not a user error).
        """
        if event not in EVENTS:
            raise ValueError(f"unknown ledger event {event!r}")
        entry = {
            "time": iso(self._clock()),
            "job": job,
            "period": period,
            "due": iso(due) if due is not None else None,
            "event": event,
            **{k: v for k, v in fields.items() if v is not None},
        }
        line = json.dumps(entry, ensure_ascii=False, sort_keys=False, default=str) + "\n"
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                handle.seek(0, os.SEEK_END)
                if handle.tell() > 0:
                    handle.seek(-1, os.SEEK_END)
                    if handle.read(1) != b"\n":  # a torn line from a crash: close it
                        handle.write(b"\n")
                handle.write(line.encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return entry

    def entries(self, job: str | None = None) -> list[dict[str, Any]]:
        """Every readable entry, in the order written (of one job if given)."""
        if not self.path.is_file():
            return []
        found = []
        with open(self.path, encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    _log.warning(
                        "%s line %d is torn (a crash while writing); ignored", self.path, number
                    )
                    continue
                if isinstance(entry, dict) and (job is None or entry.get("job") == job):
                    found.append(entry)
        return found

    def periods(self, job: str) -> dict[str, PeriodState]:
        """The state of each period of ``job``, in the order periods first appear."""
        states: dict[str, PeriodState] = {}
        for entry in self.entries(job):
            period = str(entry.get("period"))
            state = states.setdefault(period, PeriodState(job, period))
            _apply(state, entry)
        return states

    def last_due(self, job: str) -> dt.datetime | None:
        """The latest scheduled time the ledger has dealt with for ``job``."""
        dues = [parse_time(e["due"]) for e in self.entries(job) if e.get("due")]
        return max(dues) if dues else None


def _apply(state: PeriodState, entry: dict[str, Any]) -> None:
    event = entry.get("event")
    time = parse_time(entry["time"])
    due = parse_time(entry["due"]) if entry.get("due") else state.due
    state.last_event, state.last_time = event, time
    if due is not None and (state.due is None or due > state.due):
        state.due = due
    if event in _RUN_STATUS:
        _apply_run(state, event, entry, time, due)
    elif event in _TARGET_STATUS:
        _apply_target(state, event, entry, time, due)


def _apply_run(
    state: PeriodState, event: str, entry: dict[str, Any], time: dt.datetime, due
) -> None:
    if state.run == "finished" and event in ("missed", "skipped"):
        return  # a finished run stays usable for the period's deliveries
    state.run = _RUN_STATUS[event]
    if event == "run_started":
        if due != state.run_due:
            state.run_due, state.attempts = due, 0
        state.attempts += 1
        state.started_at = time
    elif event == "run_failed":
        state.failed_at, state.error = time, entry.get("error")
    elif event == "run_finished":
        state.run_id, state.folder = entry.get("run_id"), entry.get("folder")
        state.finished_at = time


def _apply_target(
    state: PeriodState, event: str, entry: dict[str, Any], time: dt.datetime, due
) -> None:
    name = entry.get("target", "")
    target = state.targets.setdefault(name, TargetState(name))
    if due != target.due:
        target.due, target.failures = due, 0
    if event == "delivery_failed":
        target.failures += 1
    target.message_id = entry.get("message_id") or target.message_id
    if event in ("delivery_failed", "delivery_uncertain", "delivery_gave_up", "delivery_blocked"):
        target.error = entry.get("error") or target.error
    if event == "delivery_blocked":
        target.run_id = entry.get("run_id")
    target.status = _TARGET_STATUS[event]
    target.last_time = time
