"""One progress bar for a run's notebook executions, however many run at once.

papermill draws one bar per notebook; with two executions side by side those bars would
fight over the terminal. :class:`CellProgress` draws a single bar (tqdm, on stderr) over
the cells of every planned execution and names the executions in flight::

    Executing baseline [en, sq]:  45%|████▌     | 31/69 [00:09<00:11, 3.1 cell/s]
"""

from __future__ import annotations

import threading
from typing import Any, TextIO


class CellProgress:
    """A thread-safe progress bar over the cells of several notebook executions.

    Parameters
    ----------
    total : int
        Cells in all planned executions (each notebook's cells plus the injected one).
    enabled : bool
        Draw the bar; when False only :attr:`done` is counted.
    file : text stream, optional
        Where to draw (tqdm's default: ``sys.stderr``).
    """

    def __init__(self, total: int, enabled: bool = True, file: TextIO | None = None):
        self.total = total
        self.done = 0
        self._lock = threading.Lock()
        self._running: dict[str, list[str]] = {}  # report -> languages in flight
        self._bar: Any = None
        if enabled and total > 0:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, unit="cell", desc="Executing", file=file)

    @property
    def running(self) -> str:
        """The executions in flight, as the bar names them (``"baseline [en, sq]"``)."""
        with self._lock:
            return self._label()

    def started(self, report: str, language: str) -> None:
        """An execution began: name it in the bar."""
        with self._lock:
            self._running.setdefault(report, []).append(language)
            self._describe()

    def cell_done(self) -> None:
        """One cell of some execution finished."""
        with self._lock:
            self.done += 1
            if self._bar is not None:
                self._bar.update(1)

    def finished(self, report: str, language: str, skipped_cells: int = 0) -> None:
        """An execution ended; ``skipped_cells`` (never run, after a failure) count as done,
        so the bar still ends full."""
        with self._lock:
            languages = self._running.get(report, [])
            if language in languages:
                languages.remove(language)
            if not languages:
                self._running.pop(report, None)
            if skipped_cells > 0:
                self.done += skipped_cells
                if self._bar is not None:
                    self._bar.update(skipped_cells)
            self._describe()

    def close(self) -> None:
        """Remove the bar from the terminal's bottom line (idempotent)."""
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None

    def _label(self) -> str:
        return " + ".join(
            f"{report} [{', '.join(langs)}]" for report, langs in self._running.items()
        )

    def _describe(self) -> None:
        if self._bar is not None:
            label = self._label()
            self._bar.set_description(f"Executing {label}" if label else "Executing")
