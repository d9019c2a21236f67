"""One scheduler at a time per job: an exclusive ``flock`` on ``reports/_schedule/<job>.lock``.

``flock`` locks belong to an open file description, so two processes, or two threads that
each open the file, exclude each other; the kernel drops the lock when its holder exits or
is killed, so a crash never leaves a stale lock behind (unlike a "pid file exists" check). The
file is never deleted: deleting it would let a second process lock a new file while the first
still holds the old one. It holds the holder's process id and start time, for people.

``flock`` works on local file systems; on NFS it depends on the mount (Linux emulates it with
POSIX locks since 2.6.12), so keep ``reports/_schedule`` on a local disk.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from pathlib import Path
from types import TracebackType


class JobLock:
    """A non-blocking exclusive lock on one job.

    Use as a context manager; :attr:`acquired` says whether this process holds the lock::

        with JobLock(state_dir, "monitoring-monthly") as lock:
            if not lock.acquired:
                log.info("another scheduler is running this job (%s); skipped", lock.holder)
                return
            ...

    Parameters
    ----------
    directory : Path
        Where lock files live (``reports/_schedule``).
    job : str
        The job id (a safe file name, checked by the schedule).
    """

    def __init__(self, directory: Path, job: str):
        self.path = Path(directory) / f"{job}.lock"
        self.acquired = False
        self.holder = ""
        self._handle = None

    def acquire(self) -> bool:
        """Try to take the lock without waiting; return whether it was taken."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            self.holder = handle.read().strip() or "unknown process"
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        handle.write(f"pid {os.getpid()} since {now}\n")
        handle.flush()
        self._handle, self.acquired = handle, True
        return True

    def release(self) -> None:
        """Give the lock up (the file stays)."""
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
        self.acquired = False

    def __enter__(self) -> JobLock:
        self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()
