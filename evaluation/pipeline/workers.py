"""Run notebook executions on a small pool of worker threads.

A report notebook runs in a kernel, a separate process; the workbench process only sends
it cells and collects outputs. Two executions side by side (the English and Albanian copy
of a report, or two reports) therefore keep both cores of a 2-core machine busy, while
each thread of this process mostly waits on its kernel. Jobs start in the order given, so
with one worker the run is exactly the sequential one.

Ctrl-C reaches only this process (kernels run in their own sessions): :func:`run_jobs`
then starts no further job, kills the running kernels, waits for their threads to record
the failure, and re-raises :class:`KeyboardInterrupt`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait

from evaluation.errors import ParamsError
from evaluation.pipeline.execute import stop_live_kernels

WORKERS_ENV = "WORKBENCH_JOBS"
"""Environment variable with the default number of notebook executions run at once."""

DEFAULT_WORKERS = 2
"""Executions at once when neither ``--jobs`` nor ``WORKBENCH_JOBS`` says otherwise: two
kernels on a 2-core machine (more only queue for the cores and add memory)."""

_KILL_POLL_SECONDS = 0.5


def default_workers() -> int:
    """``WORKBENCH_JOBS`` if set, else :data:`DEFAULT_WORKERS` (1 on a one-CPU machine).

    Raises
    ------
    ParamsError
        If ``WORKBENCH_JOBS`` is not a whole number of at least 1.
    """
    value = os.environ.get(WORKERS_ENV)
    if value is not None and value.strip():
        return check_workers(value, f"environment variable {WORKERS_ENV}")
    return max(1, min(DEFAULT_WORKERS, os.cpu_count() or 1))


def check_workers(value: object, source: str = "workers") -> int:
    """``value`` as a number of workers (a whole number >= 1), else :class:`ParamsError`."""
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if number < 1 or str(value).strip() != str(number):
        raise ParamsError(
            f"{source}: {value!r} is not a number of notebook executions to run at once; "
            f"give a whole number of at least 1 (1 runs them one after the other)"
        )
    return number


def run_jobs(jobs: Sequence[Callable[[], None]], workers: int) -> None:
    """Call every job, at most ``workers`` at a time, starting them in the given order.

    Jobs record their own outcome. An exception escaping a job (a bug, not a failed
    notebook) stops jobs that have not started; it is re-raised once the running ones end.

    Parameters
    ----------
    jobs : sequence of callables
        Called without arguments, each from one worker thread (or from this thread when
        ``workers`` is 1).
    workers : int
        Jobs run at once.

    Raises
    ------
    KeyboardInterrupt
        After stopping the running kernels and waiting for their jobs to end.
    """
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            job()
        return
    pool = ThreadPoolExecutor(max_workers=min(workers, len(jobs)), thread_name_prefix="workbench")
    futures = [pool.submit(job) for job in jobs]
    try:
        wait(futures, return_when=FIRST_EXCEPTION)
        pool.shutdown(wait=True, cancel_futures=True)
    except BaseException:  # Ctrl-C while waiting
        pool.shutdown(wait=False, cancel_futures=True)
        _stop_running(futures)
        raise
    _raise_first_error(futures)


def _stop_running(futures: Sequence[Future]) -> None:
    """Kill kernels until every started job has ended (a job may start its kernel just
    after a round of killing)."""
    while True:
        stop_live_kernels()
        _, running = wait(futures, timeout=_KILL_POLL_SECONDS)
        if not running:
            return


def _raise_first_error(futures: Sequence[Future]) -> None:
    for future in futures:
        if not future.cancelled() and future.exception() is not None:
            raise future.exception()  # type: ignore[misc]
