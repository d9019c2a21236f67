"""Where the scheduler writes what it does: ``schedule.log`` and standard error.

The log file is ``reports/_schedule/schedule.log`` unless the schedule's ``log_dir`` says
otherwise. Lines carry the UTC time, the level and the process id (cron, a systemd timer and
``serve`` may all write to it)::

    2026-11-02T06:00:04Z INFO [pid 4121] monitoring-monthly 2026-10: published reports/...

The file is opened with :class:`logging.handlers.WatchedFileHandler`, so ``logrotate`` can
rotate it (with ``create``, not ``copytruncate``) without restarting ``serve``.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import sys
import time
from collections.abc import Iterator
from pathlib import Path

LOGGER = "evaluation.schedule"
LOG_FILE = "schedule.log"
_FORMAT = "%(asctime)s %(levelname)s [pid %(process)d] %(message)s"
_MARK = "_workbench_schedule_handler"


def configure_logging(log_dir: Path, stderr_level: int = logging.INFO) -> Path:
    """Send the scheduler's log to ``log_dir/schedule.log`` (everything) and to stderr.

    Parameters
    ----------
    log_dir : Path
        Created if missing.
    stderr_level : int
        Lowest level shown on standard error (``once`` shows only errors, so that cron
        mails only problems; ``serve`` shows everything, for journald).

    Returns
    -------
    Path
        The log file.

    Notes
    -----
    Calling it again replaces the handlers it added before (tests and ``serve`` reloads).
    """
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / LOG_FILE
    logger = logging.getLogger(LOGGER)
    for handler in [h for h in logger.handlers if getattr(h, _MARK, False)]:
        logger.removeHandler(handler)
        handler.close()
    formatter = logging.Formatter(_FORMAT, datefmt="%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime
    to_file = logging.handlers.WatchedFileHandler(path, encoding="utf-8")
    to_file.setLevel(logging.INFO)
    to_stderr = logging.StreamHandler(sys.stderr)
    to_stderr.setLevel(stderr_level)
    for handler in (to_file, to_stderr):
        handler.setFormatter(formatter)
        setattr(handler, _MARK, True)
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return path


@contextlib.contextmanager
def scheduler_logging(log_dir: Path, stderr_level: int = logging.INFO) -> Iterator[Path]:
    """:func:`configure_logging` for the duration of a ``with`` block, then put the logger
    back as it was (handlers closed), so that a library caller is left as it was found."""
    logger = logging.getLogger(LOGGER)
    saved = (list(logger.handlers), logger.level, logger.propagate)
    try:
        yield configure_logging(log_dir, stderr_level)
    finally:
        for handler in [h for h in logger.handlers if getattr(h, _MARK, False)]:
            logger.removeHandler(handler)
            handler.close()
        handlers, level, propagate = saved
        for handler in handlers:
            if handler not in logger.handlers:
                logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
