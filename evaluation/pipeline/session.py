"""The notebook's side of a run: validate params, record inputs and notes, name outputs.

Cell 3 of every report notebook is::

    import evaluation.pipeline
    run = evaluation.pipeline.start(report="baseline", params=globals())

``start`` validates the notebook's parameters against the report's schema (so people who run
papermill directly get the same strict checks as ``workbench run``) and returns a
:class:`NotebookRun`. Under ``workbench run`` the pipeline tells the kernel its run folder
through the ``WORKBENCH_RUN_DIR`` environment variable; without it (JupyterLab, plain
papermill) outputs go to ``reports/<report>/interactive/``, which is never published.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from evaluation.errors import DataError, ParamsError
from evaluation.params import check_params, display_path
from evaluation.paths import project_root, reports_dir
from evaluation.pipeline.records import (
    ENV_RUN_DIR,
    ENV_RUN_ID,
    append_record,
    sha256_path,
    size_of,
)

INTERACTIVE = "interactive"
_PARAM_TYPES = (str, int, float, bool, list, dict, tuple, type(None))
_NOT_PARAMS = {"In", "Out", "exit", "quit", "get_ipython", "open"}


@dataclass
class NotebookRun:
    """What a report notebook knows about its run.

    Attributes
    ----------
    report : str
        The report name.
    params : dict
        The validated params, every key of the schema filled.
    root : Path
        The project root.
    run_dir : Path
        Where this run's outputs go: the run folder under ``workbench run``, else
        ``reports/<report>/interactive/``.
    run_id : str
        The run id, or ``"interactive"``.
    notes : list of str
        Method notes added in this session (also written to the run record).
    """

    report: str
    params: dict[str, Any]
    root: Path
    run_dir: Path
    run_id: str
    notes: list[str] = field(default_factory=list)

    @property
    def language(self) -> str:
        """The language of this execution (``"en"`` or ``"sq"``)."""
        return self.params["language"]

    @property
    def interactive(self) -> bool:
        """True when not started by ``workbench run`` (nothing is published)."""
        return self.run_id == INTERACTIVE

    def t(self, key: str, /, **fields: object) -> str:
        """Fixed text in this run's language (see :func:`evaluation.report.labels.t`)."""
        from evaluation.report.labels import t

        return t(key, self.language, **fields)

    def record_input(self, path: str | Path) -> str:
        """Register a file (or folder) the notebook read; return its SHA-256.

        The path and fingerprint go into ``manifest.json`` and the HTML's data sources.
        """
        return _record(
            Path(path), self.root, self.run_dir if not self.interactive else None, self.language
        )

    def note(self, text: str) -> None:
        """Add a method note (in this run's language) to the HTML footer and the manifest."""
        self.notes.append(text)
        if not self.interactive:
            append_record(self.run_dir, {"kind": "note", "text": text, "language": self.language})

    def output_path(self, name: str) -> Path:
        """Where to write an output such as ``"workbook.xlsx"``.

        The language goes before the suffix (``workbook.sq.xlsx``), as for
        ``report.sq.html``, so that a run in two languages keeps both files.
        """
        stem, dot, suffix = name.rpartition(".")
        filename = f"{stem}.{self.language}.{suffix}" if dot else f"{name}.{self.language}"
        self.run_dir.mkdir(parents=True, exist_ok=True)
        return self.run_dir / filename


def start(report: str, params: Mapping[str, Any]) -> NotebookRun:
    """Validate a notebook's params and return its :class:`NotebookRun`.

    Parameters
    ----------
    report : str
        The report this notebook is (``"baseline"``).
    params : mapping
        The parameters: an explicit dict, or the notebook's ``globals()``, from which
        :func:`namespace_params` keeps the plain values (text, numbers, lists, mappings).

    Returns
    -------
    NotebookRun

    Raises
    ------
    ParamsError
        On unknown keys (with "did you mean"), wrong types or values.
    """
    from_namespace = _is_namespace(params)
    given = namespace_params(params) if from_namespace else dict(params)
    source = f"parameters of the {report} notebook"
    try:
        resolved = check_params(report, given, source=source)
    except ParamsError as error:
        if from_namespace and "unknown key" in str(error):
            raise ParamsError(
                f"{error}. If the unknown name is a variable of the notebook rather than a "
                "parameter, restart the kernel: start() must run before other variables exist"
            ) from None
        raise
    root = project_root()
    run_dir = os.environ.get(ENV_RUN_DIR)
    if run_dir:
        return NotebookRun(
            report, resolved, root, Path(run_dir), os.environ.get(ENV_RUN_ID, Path(run_dir).name)
        )
    return NotebookRun(
        report, resolved, root, reports_dir(root) / report / INTERACTIVE, INTERACTIVE
    )


def record_input(path: str | Path) -> str:
    """Register a file the running notebook read; return its SHA-256.

    For library readers that do not hold a :class:`NotebookRun`: the record goes to the run
    folder named by ``WORKBENCH_RUN_DIR`` when the notebook runs under ``workbench run``;
    otherwise the fingerprint is only returned.
    """
    run_dir = os.environ.get(ENV_RUN_DIR)
    return _record(Path(path), project_root(), Path(run_dir) if run_dir else None, None)


def namespace_params(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The names in a notebook namespace that can be params.

    Leaves out names starting with ``_``, IPython's own (``In``, ``Out``, ``get_ipython`` …),
    modules, functions and classes, and objects that are not plain values (DataFrames, runs).
    Call ``start`` before defining other plain variables, or they are taken for unknown params.
    """
    return {
        name: value
        for name, value in namespace.items()
        if not name.startswith("_")
        and name not in _NOT_PARAMS
        and not isinstance(value, ModuleType)
        and isinstance(value, _PARAM_TYPES)
    }


def _is_namespace(params: Mapping[str, Any]) -> bool:
    return "__builtins__" in params or "get_ipython" in params or "__name__" in params


def _record(path: Path, root: Path, run_dir: Path | None, language: str | None) -> str:
    if not path.exists():
        raise DataError(
            f"record_input: {path} does not exist; record the file after writing "
            "or downloading it, with the path the notebook read"
        )
    digest = sha256_path(path)
    if run_dir is not None:
        append_record(
            run_dir,
            {
                "kind": "input",
                "path": display_path(path, root),
                "sha256": digest,
                "bytes": size_of(path),
                "language": language,
            },
        )
    return digest
