"""``workbench schedule serve``: run the schedule in the foreground until told to stop.

The loop does what ``once`` does, then sleeps until the next scheduled time of any job (or
the next retry of a failed delivery), at most :data:`MAX_SLEEP` seconds so that a changed
schedule file, a suspended laptop or a clock change is noticed. The schedule file is read
again on every turn; a file that no longer passes the checks is logged and the last good
one is kept.

Stopping: the first SIGTERM or SIGINT asks the loop to stop. A sleep ends at once; a report
run or a delivery in progress is finished, nothing new is started, and the process exits
with status 0, the ledger consistent. A second signal abandons the step in progress
(KeyboardInterrupt): the ledger then shows a step that started and never ended, which the
next ``once`` or ``serve`` resumes (see :mod:`evaluation.schedule.jobs`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

from evaluation.errors import ParamsError
from evaluation.schedule.config import Schedule, load_schedule
from evaluation.schedule.jobs import Action, Services, run_once
from evaluation.schedule.logs import scheduler_logging

MAX_SLEEP = 300.0
MARGIN = dt.timedelta(seconds=1)

_log = logging.getLogger("evaluation.schedule")


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """While inside, SIGTERM and SIGINT set ``stop``; a second one raises KeyboardInterrupt.

    Only in the main thread (Python delivers signals there); elsewhere it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(number: int, frame: object) -> None:
        name = signal.Signals(number).name
        if stop.is_set():
            _log.warning("%s again: abandoning the current step", name)
            raise KeyboardInterrupt
        _log.info("%s received: stopping after the current step", name)
        stop.set()

    saved = {s: signal.signal(s, handle) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for number, previous in saved.items():
            signal.signal(number, previous)


def serve(
    config: str | Path | None = None,
    root: Path | None = None,
    services: Services | None = None,
    max_sleep: float = MAX_SLEEP,
) -> int:
    """Run the schedule until a stop is requested; return the exit status (0).

    Parameters
    ----------
    config : path, optional
        The schedule file (default ``params/schedule.yaml``).
    root : Path, optional
        Project root.
    services : Services, optional
        Default: the pipeline, SMTP from the environment, the real clock, and backoff
        respected between turns.
    max_sleep : float
        Longest sleep in seconds.

    Raises
    ------
    ParamsError
        If the schedule file is invalid when ``serve`` starts.
    """
    schedule = load_schedule(config, root)
    services = services or Services(respect_backoff=True)
    with scheduler_logging(schedule.log_dir, logging.INFO) as log_file:
        jobs = ", ".join(j.id for j in schedule.jobs if j.enabled) or "none"
        _log.info(
            "serve started: jobs %s; log %s; ledger in %s", jobs, log_file, schedule.state_dir
        )
        with stop_on_signals(services.stop):
            _loop(services, schedule, max_sleep)
        _log.info("serve stopped")
    return 0


def _loop(services: Services, schedule: Schedule, max_sleep: float) -> None:
    """Turns until a stop is requested: run what is due, sleep until the next time."""
    while not services.stop.is_set():
        schedule = _reload(schedule)
        actions = run_once(schedule, services.clock(), services)
        if services.stop.is_set():
            break
        wake = next_wake(schedule, actions, services.clock())
        seconds = min(max((wake - services.clock()).total_seconds(), 1.0), max_sleep)
        until = services.clock() + dt.timedelta(seconds=seconds)
        _log.info("sleeping until %s UTC", until.strftime("%Y-%m-%d %H:%M:%S"))
        services.stop.wait(seconds)


def next_wake(schedule: Schedule, actions: list[Action], now: dt.datetime) -> dt.datetime:
    """The next scheduled time of any enabled job, or an earlier retry, plus a second."""
    times = [t for job in schedule.jobs if job.enabled for t in job.cron.next_after(now, 1)]
    times += [a.retry_at for a in actions if a.retry_at is not None]
    if not times:
        return now + dt.timedelta(seconds=MAX_SLEEP)
    return min(times) + MARGIN


def _reload(schedule: Schedule) -> Schedule:
    try:
        return load_schedule(schedule.path, schedule.root)
    except ParamsError as error:
        _log.error("schedule file invalid, keeping the previous one: %s", error.one_line())
        return schedule
