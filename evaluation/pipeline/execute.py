"""Execute one notebook with papermill and tidy the executed copy.

The kernel (``python3`` by default) starts in the project root with the run's environment:
``WORKBENCH_ROOT``, ``WORKBENCH_RUN_DIR``, ``WORKBENCH_RUN_ID``, ``WORKBENCH_REPORT`` and
``PYTHONHASHSEED=0`` (so set and dict orders built from strings do not change between runs).
Kernel traffic is encrypted (CurveZMQ) when pyzmq supports it.

After a successful run the executed notebook is made reproducible: papermill's timestamps
and durations move to the manifest, the injected-parameters cell gets a fixed id, and
paths are made relative. Same inputs and params therefore give the same executed notebook.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from evaluation.params import display_path

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_KERNEL_TMP = re.compile(r"ipykernel_\d+")


class CellFailure(Exception):
    """A notebook cell raised (internal: :mod:`evaluation.pipeline.run` turns it into a
    :class:`~evaluation.pipeline.run.RunFailedError` once the run folder is moved)."""

    def __init__(self, where: str, cell: int | None, ename: str, evalue: str, details: str):
        super().__init__(f"{where}: {ename}: {evalue}")
        self.where = where
        self.cell = cell
        self.ename = ename
        self.evalue = evalue
        self.details = details


@dataclass(frozen=True)
class SourceNotebook:
    """The notebook as committed, read once before any execution."""

    path: Path
    node: nbformat.NotebookNode
    parameters_index: int | None

    @classmethod
    def read(cls, path: Path) -> SourceNotebook:
        """Read ``path``; find the cell tagged ``parameters``."""
        node = nbformat.read(str(path), as_version=4)
        index = next(
            (
                i
                for i, cell in enumerate(node.cells)
                if PARAMETERS_TAG in cell.get("metadata", {}).get("tags", [])
            ),
            None,
        )
        return cls(path, node, index)

    def describe_cell(self, executed_index: int) -> tuple[int | None, str]:
        """Map a cell index of the executed notebook to ``(1-based number, description)``."""
        index = executed_index
        if self.parameters_index is not None and executed_index > self.parameters_index:
            if executed_index == self.parameters_index + 1:
                return None, "the injected-parameters cell"
            index -= 1
        if not 0 <= index < len(self.node.cells):
            return None, f"cell {executed_index + 1}"
        cell = self.node.cells[index]
        tags = [t for t in cell.get("metadata", {}).get("tags", []) if t != PARAMETERS_TAG]
        first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
        first = first if len(first) <= 60 else first[:57] + "..."
        label = f"cell {index + 1} of {len(self.node.cells)}"
        if tags:
            label += f" [{', '.join(tags)}]"
        return index + 1, f'{label} ("{first}")'


def execute(
    source: SourceNotebook,
    output: Path,
    parameters: Mapping[str, Any],
    *,
    root: Path,
    env: Mapping[str, str],
    kernel_name: str = "python3",
    progress: bool = True,
    timeout: float | None = None,
    label: str = "",
) -> nbformat.NotebookNode:
    """Run ``source`` with papermill, writing the executed copy to ``output``.

    ``label`` (e.g. ``"sq"``) is shown after the notebook's name in error messages.

    Raises
    ------
    CellFailure
        If a cell raised, the kernel died or timed out; ``output`` then holds the partial
        executed notebook as papermill left it.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    where = display_path(source.path, root) + (f" [{label}]" if label else "")
    try:
        with _environment(env), _quiet_papermill():
            return papermill.execute_notebook(
                str(source.path),
                str(output),
                parameters=dict(parameters),
                kernel_name=kernel_name,
                progress_bar=progress,
                cwd=str(root),
                execution_timeout=timeout,
                kernel_manager_class=_kernel_manager_class(),
            )
    except PapermillExecutionError as error:
        number, cell = source.describe_cell(error.cell_index)
        details = _ANSI.sub("", "\n".join(error.traceback or []))
        raise CellFailure(
            f"{where}, {cell}", number, error.ename, _one_line(error.evalue), details
        ) from None
    except Exception as error:  # kernel died, timed out, would not start …
        raise CellFailure(
            where, None, type(error).__name__, _one_line(str(error)), repr(error)
        ) from None


def normalise(
    executed: nbformat.NotebookNode, source: SourceNotebook, root: Path, output_name: str
) -> tuple[nbformat.NotebookNode, dict[str, Any]]:
    """Strip run-specific metadata from an executed notebook; return it and its timings.

    Cell ids come from the source notebook (``cell-<n>`` where it has none), the injected
    cell's id is ``injected-parameters``, papermill's timestamps move to the timings, and
    the kernel's process id is masked in stderr.

    Returns
    -------
    (NotebookNode, dict)
        The notebook with fixed cell ids and no timestamps, and
        ``{"seconds": total, "cells": [{"cell", "first_line", "seconds"}, ...]}``.
    """
    cells = []
    offset = 0
    for i, cell in enumerate(executed.cells):
        meta = cell.setdefault("metadata", {})
        timing = meta.pop("papermill", {}) or {}
        meta.pop("execution", None)
        if INJECTED_TAG in meta.get("tags", []):
            cell["id"] = INJECTED_TAG
            offset = 1
            label: int | str = "injected-parameters"
        else:
            index = i - offset
            original = source.node.cells[index] if index < len(source.node.cells) else None
            cell["id"] = (original or {}).get("id") or f"cell-{index}"
            label = index + 1
        if cell.cell_type == "code":
            _mask_kernel_pid(cell)
            first = next((s.strip() for s in cell.source.splitlines() if s.strip()), "")
            cells.append(
                {"cell": label, "first_line": first[:60], "seconds": timing.get("duration")}
            )
    papermill_meta = executed.metadata.get("papermill", {})
    total = papermill_meta.pop("duration", None)
    for key in ("start_time", "end_time"):
        papermill_meta.pop(key, None)
    if papermill_meta:
        papermill_meta["input_path"] = display_path(source.path, root)
        papermill_meta["output_path"] = output_name
    return executed, {"seconds": total, "cells": cells}


def _mask_kernel_pid(cell: nbformat.NotebookNode) -> None:
    """``/tmp/ipykernel_20479/98947.py`` → ``/tmp/ipykernel_<pid>/98947.py`` in stderr (where
    warnings name the cell's file): the kernel's process id differs between runs."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            output["text"] = _KERNEL_TMP.sub("ipykernel_<pid>", output["text"])


def _one_line(text: str) -> str:
    return " ".join(_ANSI.sub("", str(text)).split())


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the kernel process, then restore them.

    The kernel inherits ``os.environ`` when it starts; papermill offers no other way. This
    is not thread-safe: run reports one at a time per process (the scheduler does).
    """
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


class _DropUnknownParameter(logging.Filter):
    """Our params are validated against the report's schema before papermill runs, so its
    "Passed unknown parameter" warnings (keys the parameters cell does not list) are noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Passed unknown parameter" not in record.getMessage()


@contextlib.contextmanager
def _quiet_papermill() -> Iterator[None]:
    logger = logging.getLogger("papermill")
    drop = _DropUnknownParameter()
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


def _kernel_manager_class() -> type:
    """A kernel manager that encrypts kernel traffic when pyzmq has CurveZMQ."""
    import zmq
    from jupyter_client.manager import AsyncKernelManager

    if not zmq.has("curve"):
        return AsyncKernelManager

    class EncryptedKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.transport_encryption = "auto"

    return EncryptedKernelManager
