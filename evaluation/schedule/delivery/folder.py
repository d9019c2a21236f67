"""Delivery to a folder (a shared drive), with dated file names, written atomically.

``report.en.html`` of the monitoring run for October 2026 becomes
``2026-10_monitoring_report.en.html`` in the folder, ``workbook.sq.xlsx`` becomes
``2026-10_monitoring_workbook.sq.xlsx``; for a job without a period the date of the run is
used (``2026-11-02_capacity_report.en.html``). Each file is copied to a hidden temporary name
in the same folder, flushed to disk and renamed over the final name, so a reader of the share
sees the whole old file or the whole new one, never half a file. Writing the same file again
gives the same result, so an interrupted folder delivery is simply done again.

The folder must exist: a missing folder usually means the share is not mounted, and creating
it would put the reports on the local disk where nobody looks.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from evaluation.errors import DeliveryError
from evaluation.schedule.periods import Period


def dated_name(period: Period, report: str, file: Path) -> str:
    """``2026-10_monitoring_report.en.html`` for ``report.en.html``."""
    return f"{period.stem}_{report}_{Path(file).name}"


def deliver_to_folder(
    folder: Path, files: Sequence[Path], period: Period, report: str
) -> list[Path]:
    """Copy ``files`` into ``folder`` under their dated names, atomically.

    Parameters
    ----------
    folder : Path
        The shared folder; it must exist.
    files : sequence of Path
        Files of the run folder.
    period : Period
    report : str

    Returns
    -------
    list of Path
        The delivered files.

    Raises
    ------
    DeliveryError
        If the folder is missing or not writable, or a copy fails (no half-written file is
        left under the final name).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DeliveryError(
            f"delivery folder {folder} does not exist (is the shared drive mounted?); mount "
            "it or create it, then run `workbench schedule once` again"
        )
    written = []
    for source in files:
        target = folder / dated_name(period, report, source)
        try:
            atomic_copy(Path(source), target)
        except OSError as error:
            raise DeliveryError(
                f"could not write {target} ({type(error).__name__}: {error}); check that the "
                "scheduler's user may write there and that the drive has space"
            ) from None
        written.append(target)
    return written


def atomic_copy(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` through a temporary file and a rename."""
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(source, "rb") as reader, open(temp, "wb") as writer:
            shutil.copyfileobj(reader, writer, 1 << 20)
            writer.flush()
            os.fsync(writer.fileno())
        os.replace(temp, target)
    finally:
        if temp.exists():
            temp.unlink()
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (fsync of the folder; not possible on every file system)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
