"""Run folders and atomic publication.

A run is written in ``reports/<report>/<run-id>.partial/``. When everything is written the
folder is renamed to ``reports/<report>/<run-id>/`` (one ``rename``: readers see all of it or
nothing) and then ``reports/<report>/latest`` is pointed at it by replacing a temporary
symlink over it with ``os.replace`` (atomic on POSIX: readers see the old or the new target,
never a missing link). Where the filesystem cannot hold symlinks (some network shares,
Windows without developer mode), ``latest`` is a one-line text file holding the run id,
replaced atomically the same way; :func:`latest_run` reads either form.

A failed run is renamed to ``<run-id>.failed/`` and never touches ``latest``.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from evaluation.errors import ReportError
from evaluation.paths import reports_dir

PARTIAL = ".partial"
FAILED = ".failed"
LATEST = "latest"


def new_run_id(moment: dt.datetime, params_hash: str) -> str:
    """``20261028T101530Z-3f2a9c1b``: UTC time (sorts in time order) and params hash."""
    return f"{moment.astimezone(dt.UTC).strftime('%Y%m%dT%H%M%SZ')}-{params_hash}"


def claim_run_folder(report_dir: Path, run_id: str) -> tuple[str, Path]:
    """Create ``<run-id>.partial/``, adding ``-2``, ``-3`` … if the id is taken.

    Returns the final run id and the partial folder. ``mkdir`` fails if the folder exists,
    so two processes never share one.
    """
    report_dir.mkdir(parents=True, exist_ok=True)
    candidate, number = run_id, 2
    while True:
        taken = any((report_dir / f"{candidate}{s}").exists() for s in ("", FAILED))
        if not taken:
            try:
                partial = report_dir / f"{candidate}{PARTIAL}"
                partial.mkdir()
                return candidate, partial
            except FileExistsError:
                pass
        candidate, number = f"{run_id}-{number}", number + 1


def publish(partial: Path) -> Path:
    """Rename ``<id>.partial/`` to ``<id>/`` and point ``latest`` at it; return the folder.

    Raises
    ------
    ReportError
        If ``latest`` exists but is a real folder (not a link or a pointer file).
    """
    final = partial.with_name(partial.name.removesuffix(PARTIAL))
    os.rename(partial, final)
    point_latest(final.parent, final.name)
    return final


def mark_failed(partial: Path) -> Path:
    """Rename ``<id>.partial/`` to ``<id>.failed/``; ``latest`` is left as it is."""
    failed = partial.with_name(partial.name.removesuffix(PARTIAL) + FAILED)
    os.rename(partial, failed)
    return failed


def point_latest(report_dir: Path, run_name: str) -> str:
    """Point ``report_dir/latest`` at ``run_name`` atomically; return ``"symlink"`` or ``"file"``."""
    latest = report_dir / LATEST
    if latest.is_dir() and not latest.is_symlink():
        raise ReportError(
            f"{latest} is a folder, not a link to a run; the run was published as "
            f"{report_dir / run_name} but latest was not updated. Remove or rename that folder"
        )
    temp = report_dir / f".{LATEST}.{os.getpid()}.tmp"
    if temp.is_symlink() or temp.exists():
        temp.unlink()
    kind = "symlink"
    try:
        os.symlink(run_name, temp, target_is_directory=True)
    except (OSError, NotImplementedError):
        temp.write_text(run_name + "\n", encoding="utf-8")
        kind = "file"
    os.replace(temp, latest)
    return kind


def latest_run(report: str, root: Path | None = None) -> Path | None:
    """The folder of the last good run of ``report``, or ``None`` if there is none."""
    report_dir = reports_dir(root) / report
    latest = report_dir / LATEST
    if latest.is_symlink():
        target = report_dir / os.readlink(latest)
    elif latest.is_file():
        target = report_dir / latest.read_text(encoding="utf-8").strip()
    else:
        return None
    return target if target.is_dir() else None
