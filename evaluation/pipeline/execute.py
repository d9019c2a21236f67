"""Execute one notebook with papermill and tidy the executed copy.

The kernel (``python3`` by default) starts in the project root with the environment that
:func:`kernel_environment` builds: this process's variables, BLAS and OpenMP limited to one
thread each (:data:`THREAD_LIMITS`, unless already set) and the run's own variables
(``WORKBENCH_ROOT``, ``WORKBENCH_RUN_DIR``, ``WORKBENCH_RUN_ID``, ``WORKBENCH_REPORT``,
``WORKBENCH_RECORDS`` and ``PYTHONHASHSEED=0``, so that set and dict orders built from
strings do not change between runs). The environment and working directory are handed to
the kernel manager, never set in ``os.environ``, so several executions can run at once from
threads of one process (:mod:`evaluation.pipeline.workers`). Kernel traffic is encrypted
(CurveZMQ) when pyzmq supports it.

After a successful run the executed notebook is made reproducible: papermill's timestamps
and durations move to the manifest, the injected-parameters cell gets a fixed id, and
paths are made relative. Same inputs and params therefore give the same executed notebook,
whether the executions ran one after the other or side by side.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# nbformat imports jsonschema, whose format checkers import rfc3987_syntax when it is
# installed (jupyter's jsonschema[format-nongpl] installs it); that module builds ~35 Earley
# parsers on import: 1.2-1.7 s of every `workbench run` on a 2-core machine, for the "iri"
# format, which the notebook schema does not use and nbformat never checks
# (python-jsonschema/jsonschema issue 1428). Marking the module missing in the process that
# runs reports (kernels never import this module) makes jsonschema skip that one checker.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]

import nbformat

from evaluation.params import display_path

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_KERNEL_TMP = re.compile(r"ipykernel_\d+")
_ENGINE = "workbench"

THREAD_LIMITS: dict[str, str] = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}
"""Thread counts of the numerical libraries in report kernels.

The reports multiply many small matrices (bootstrap draws, one regression per outcome and
subgroup); BLAS threads only fight over the cores for them, and over the cores that the
other kernel of a two-worker run is using. One thread each made the endline analysis cell
1.7 times faster on a 2-core machine (``benchmarks/results/reports.md``), and a fixed
thread count keeps floating-point sums in the same order from run to run. A variable
already set in the environment is kept.
"""

# Kernel processes started by execute() and still running, so that an interrupted run can
# stop them: they run in their own sessions, so Ctrl-C in the terminal does not reach them.
_LIVE_KERNELS: dict[int, int] = {}  # pid -> process group
_LIVE_LOCK = threading.Lock()
# jupyter_client hands out ports from a process-wide cache that is not thread-safe.
_START_LOCK = threading.Lock()


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


def kernel_environment(run_env: Mapping[str, str]) -> dict[str, str]:
    """The environment a report kernel starts with.

    ``os.environ``, then :data:`THREAD_LIMITS` for the variables it does not set, then
    ``run_env`` (the run's own variables), each layer over the one before.
    """
    limits = {name: value for name, value in THREAD_LIMITS.items() if name not in os.environ}
    return {**os.environ, **limits, **run_env}


def execute(
    source: SourceNotebook,
    output: Path,
    parameters: Mapping[str, Any],
    *,
    root: Path,
    env: Mapping[str, str],
    kernel_name: str = "python3",
    on_cell: Callable[[], None] | None = None,
    timeout: float | None = None,
    label: str = "",
    usage: dict[str, float | None] | None = None,
) -> nbformat.NotebookNode:
    """Run ``source`` with papermill, writing the executed copy to ``output``.

    Safe to call from several threads at once: the kernel gets ``env`` and its working
    directory (``root``) from its kernel manager.

    Parameters
    ----------
    source : SourceNotebook
        The notebook as committed.
    output : Path
        Where papermill writes the executed copy (after every cell).
    parameters : mapping
        Values injected after the ``parameters`` cell.
    root : Path
        The project root: the kernel's working directory, and the base of shown paths.
    env : mapping of str to str
        The kernel's whole environment (see :func:`kernel_environment`).
    kernel_name : str
        Jupyter kernel to run the notebook in.
    on_cell : callable, optional
        Called (without arguments, from this thread) after each cell has run.
    timeout : float, optional
        Seconds a single cell may run; ``None`` for no limit.
    label : str
        Shown after the notebook's name in error messages (e.g. ``"sq"``).
    usage : dict, optional
        Filled with ``kernel_cpu_seconds``: the CPU time (user + system, seconds) the
        kernel process used, read from ``/proc`` just before it is shut down (``None``
        where there is no ``/proc``).

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
        with _quiet_papermill():
            return papermill.execute_notebook(
                str(source.path),
                str(output),
                parameters=dict(parameters),
                engine_name=_engine(),
                kernel_name=kernel_name,
                progress_bar=False,
                execution_timeout=timeout,
                kernel_manager_class=_kernel_manager_class(dict(env), str(root), usage),
                on_cell=on_cell,
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


def stop_live_kernels() -> int:
    """Kill every kernel that :func:`execute` started and that is still running.

    For an interrupted run (Ctrl-C reaches only this process): each execution then fails
    with a dead kernel and its thread ends. Returns the number of kernels killed.
    """
    with _LIVE_LOCK:
        groups = list(_LIVE_KERNELS.items())
    for pid, group in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if group > 0 and group != os.getpgrp():
                os.killpg(group, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
    return len(groups)


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


def write_notebook(node: nbformat.NotebookNode, path: Path) -> None:
    """Write an executed (normalised) notebook as nbformat 4 JSON."""
    nbformat.write(node, str(path))


def _mask_kernel_pid(cell: nbformat.NotebookNode) -> None:
    """``/tmp/ipykernel_20479/98947.py`` → ``/tmp/ipykernel_<pid>/98947.py`` in stderr (where
    warnings name the cell's file): the kernel's process id differs between runs."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            output["text"] = _KERNEL_TMP.sub("ipykernel_<pid>", output["text"])


def _one_line(text: str) -> str:
    return " ".join(_ANSI.sub("", str(text)).split())


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


@functools.cache
def _engine() -> str:
    """Register (once) papermill's nbclient engine with a per-cell callback; its name."""
    from papermill.engines import NBClientEngine, papermill_engines

    class CellCallbackEngine(NBClientEngine):
        """nbclient execution that calls ``on_cell()`` after each cell (the progress bar)."""

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man: Any,
            kernel_name: str,
            on_cell: Callable[[], None] | None = None,
            **kwargs: Any,
        ) -> Any:
            if on_cell is not None:
                complete = nb_man.cell_complete

                def cell_complete(cell: Any, cell_index: int | None = None, **kw: Any) -> None:
                    complete(cell, cell_index=cell_index, **kw)
                    on_cell()

                nb_man.cell_complete = cell_complete
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register(_ENGINE, CellCallbackEngine)
    return _ENGINE


def _kernel_manager_class(
    env: dict[str, str], cwd: str, usage: dict[str, float | None] | None = None
) -> type:
    """A kernel manager that starts its kernel with ``env`` in ``cwd``, encrypts kernel
    traffic when pyzmq has CurveZMQ, keeps the kernel in :data:`_LIVE_KERNELS` and puts
    the kernel's CPU time in ``usage`` when it shuts the kernel down."""
    import zmq
    from jupyter_client.manager import AsyncKernelManager

    encrypt = zmq.has("curve")

    class WorkbenchKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            if encrypt:
                self.transport_encryption = "auto"
            self._workbench_pid: int | None = None

        async def start_kernel(self, **kw: Any) -> None:
            kw.setdefault("env", env)
            kw.setdefault("cwd", cwd)
            with _START_LOCK:
                await super().start_kernel(**kw)
            pid = getattr(self.provisioner, "pid", None)
            if pid:
                self._workbench_pid = pid
                with _LIVE_LOCK:
                    _LIVE_KERNELS[pid] = getattr(self.provisioner, "pgid", None) or 0

        async def shutdown_kernel(self, *args: Any, **kwargs: Any) -> None:
            if usage is not None and self._workbench_pid:
                usage["kernel_cpu_seconds"] = _cpu_seconds(self._workbench_pid)
            try:
                await super().shutdown_kernel(*args, **kwargs)
            finally:
                with _LIVE_LOCK:
                    _LIVE_KERNELS.pop(self._workbench_pid or -1, None)

    return WorkbenchKernelManager


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a running process, from ``/proc/<pid>/stat`` (Linux)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()  # the name may hold spaces
        ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        return round(ticks / os.sysconf("SC_CLK_TCK"), 2)
    except (OSError, ValueError, IndexError):
        return None
