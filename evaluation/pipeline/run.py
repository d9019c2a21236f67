"""Run a report notebook end to end: params → papermill → HTML → manifest → publish.

``run_report("baseline")`` validates the params before anything runs, executes
``notebooks/10_baseline.ipynb`` once per language into ``reports/baseline/<run-id>.partial/``,
renders ``report.<language>.html`` without code, writes ``manifest.json`` and publishes the
folder atomically as ``reports/baseline/<run-id>/`` with ``latest`` pointing at it. A failure
leaves ``<run-id>.failed/`` (partial executed notebook, ``error.txt``, manifest) and raises
:class:`RunFailedError`; ``latest`` keeps pointing at the last good run.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from evaluation.errors import ParamsError, ReportError, WorkbenchError, did_you_mean
from evaluation.params import REPORTS, display_path, load_params, params_hash
from evaluation.paths import notebooks_dir, params_dir, project_root, reports_dir
from evaluation.pipeline import manifest as mf
from evaluation.pipeline.execute import CellFailure, SourceNotebook, execute, normalise
from evaluation.pipeline.publish import (
    claim_run_folder,
    latest_run,
    mark_failed,
    new_run_id,
    publish,
)
from evaluation.pipeline.records import (
    ENV_REPORT,
    ENV_RUN_DIR,
    ENV_RUN_ID,
    RECORDS_FILE,
    read_records,
)

REPORT_NOTEBOOKS: dict[str, str] = {
    "quality": "00_data_quality",
    "baseline": "10_baseline",
    "endline": "20_endline_impact",
    "capacity": "30_capacity_building",
    "monitoring": "40_monitoring",
}
"""Notebook (in ``notebooks/``, without ``.ipynb``) of each report."""

ERROR_FILE = "error.txt"


class RunFailedError(ReportError):
    """A report run failed; its folder was kept as ``<run-id>.failed/``.

    Attributes
    ----------
    report, run_id : str
    folder : Path
        The ``.failed`` folder (partial executed notebook, ``error.txt``, manifest).
    cell : int or None
        1-based number of the failing cell in the source notebook, if a cell failed.
    ename, evalue : str
        The exception's type name and message.
    """

    def __init__(
        self,
        message: str,
        *,
        report: str,
        run_id: str,
        folder: Path,
        cell: int | None,
        ename: str,
        evalue: str,
    ):
        super().__init__(message)
        self.report = report
        self.run_id = run_id
        self.folder = folder
        self.cell = cell
        self.ename = ename
        self.evalue = evalue


@dataclass(frozen=True)
class Run:
    """A published run.

    Attributes
    ----------
    report, run_id : str
    folder : Path
        ``reports/<report>/<run-id>/``.
    params : dict
        The resolved params.
    languages : tuple of str
    notebooks, html : dict of str to Path
        Executed notebook and HTML page per language (no HTML if ``html`` is not in
        ``formats``).
    manifest : Path
    outputs : tuple of Path
        Every file written, manifest included.
    seconds : float
        Wall time of the whole run.
    """

    report: str
    run_id: str
    folder: Path
    params: dict[str, Any]
    languages: tuple[str, ...]
    notebooks: dict[str, Path]
    html: dict[str, Path]
    manifest: Path
    outputs: tuple[Path, ...]
    seconds: float

    def describe(self, base: Path | None = None) -> str:
        """Lines for the command line: the folder, then each file written."""
        where = display_path(self.folder, base)
        lines = [f"{self.report}: published {where}/ in {self.seconds:.1f} s (latest)"]
        lines += [f"  {p.relative_to(self.folder).as_posix()}" for p in self.outputs]
        return "\n".join(lines)


@dataclass(frozen=True)
class Outcome:
    """What ``run_all`` did with one report: ``published``, ``skipped`` or ``failed``."""

    report: str
    status: str
    message: str = ""
    run: Run | None = field(default=None)


def notebook_for(report: str, root: Path | None = None) -> Path:
    """``notebooks/NN_<name>.ipynb`` of ``report`` (it may not exist yet)."""
    if report not in REPORT_NOTEBOOKS:
        raise ParamsError(
            f"unknown report '{report}'{did_you_mean(report, REPORT_NOTEBOOKS)}; "
            f"choose one of: {', '.join(REPORT_NOTEBOOKS)}"
        )
    return notebooks_dir(root) / f"{REPORT_NOTEBOOKS[report]}.ipynb"


def default_params_file(report: str, root: Path | None = None) -> Path | None:
    """``params/<report>.yaml`` if it exists, else ``None`` (schema defaults only)."""
    path = params_dir(root) / f"{report}.yaml"
    return path if path.is_file() else None


def run_report(
    report: str,
    params_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    root: Path | None = None,
    *,
    progress: bool = True,
    kernel_name: str = "python3",
    timeout: float | None = None,
) -> Run:
    """Run one report notebook and publish it.

    Parameters
    ----------
    report : str
        ``quality``, ``baseline``, ``endline``, ``capacity`` or ``monitoring``.
    params_file : path, optional
        Params YAML; default ``params/<report>.yaml`` if it exists, else schema defaults.
    overrides : mapping, optional
        Command-line values (``period``, ``language``, ``languages``) over the file.
    root : Path, optional
        Project root (default :func:`evaluation.paths.project_root`).
    progress : bool
        Show papermill's progress bar (tqdm, on stderr).
    kernel_name : str
        Jupyter kernel to run the notebook in.
    timeout : float, optional
        Seconds a single cell may run; ``None`` for no limit.

    Returns
    -------
    Run

    Raises
    ------
    ParamsError
        Before anything runs, if the params are invalid.
    ReportError
        If the notebook does not exist or has no ``parameters`` cell.
    RunFailedError
        If a cell fails (message names the notebook, cell and cause) or an output cannot be
        written; the run folder is kept as ``<run-id>.failed/`` and ``latest`` is unchanged.
    """
    clock = time.perf_counter()
    root = Path(root or project_root()).resolve()
    source = _source_notebook(report, root)
    params_path = (
        Path(params_file) if params_file is not None else default_params_file(report, root)
    )
    params = load_params(report, params_path, overrides, root)
    languages = tuple(params["languages"] or [params["language"]])
    started = mf.utc_now()
    report_dir = reports_dir(root) / report
    run_id, partial = claim_run_folder(report_dir, new_run_id(started, params_hash(params)))
    context = _Context(
        clock, report, run_id, root, partial, source, params, params_path, languages, started
    )
    try:
        notebooks, timings = _execute_all(context, progress, kernel_name, timeout)
        html = _render_all(context, notebooks, timings)
        manifest = _finish(context, timings, status="published")
    except BaseException as error:
        failure = _fail(context, error)
        if failure is None:
            raise  # interrupted, or a bug in the workbench: keep the traceback
        raise failure from None
    folder = publish(partial)
    moved = {lang: folder / p.name for lang, p in notebooks.items()}
    pages = {lang: folder / p.name for lang, p in html.items()}
    outputs = tuple(sorted(p for p in folder.rglob("*") if p.is_file()))
    return Run(
        report,
        run_id,
        folder,
        params,
        languages,
        moved,
        pages,
        folder / manifest.name,
        outputs,
        time.perf_counter() - clock,
    )


def run_all(
    overrides: Mapping[str, Any] | None = None,
    root: Path | None = None,
    **options: Any,
) -> list[Outcome]:
    """Run every report whose notebook exists, in :data:`~evaluation.params.REPORTS` order.

    Params of all reports (``params/<report>.yaml`` plus ``overrides``) are validated first,
    so a params mistake stops everything before any notebook runs. A report whose notebook
    does not exist yet is skipped with a note; a failing report does not stop the others.

    Returns
    -------
    list of Outcome
        One per report.

    Raises
    ------
    ParamsError
        If any report's params are invalid (nothing has run).
    """
    root = Path(root or project_root()).resolve()
    planned: list[str] = []
    outcomes: dict[str, Outcome] = {}
    for report in REPORTS:
        notebook = notebook_for(report, root)
        if not notebook.is_file():
            note = f"skipped: {display_path(notebook, root)} does not exist yet"
            outcomes[report] = Outcome(report, "skipped", note)
            continue
        load_params(report, default_params_file(report, root), overrides, root)
        planned.append(report)
    for report in planned:
        try:
            run = run_report(report, None, overrides, root, **options)
        except ReportError as error:
            outcomes[report] = Outcome(report, "failed", error.one_line())
        else:
            outcomes[report] = Outcome(report, "published", run.describe(root), run)
    return [outcomes[r] for r in REPORTS]


# --------------------------------------------------------------------------- steps
@dataclass(frozen=True)
class _Context:
    clock: float  # perf_counter at the start, for the total time
    report: str
    run_id: str
    root: Path
    partial: Path
    source: SourceNotebook
    params: dict[str, Any]
    params_path: Path | None
    languages: tuple[str, ...]
    started: dt.datetime


def _source_notebook(report: str, root: Path) -> SourceNotebook:
    path = notebook_for(report, root)
    if not path.is_file():
        raise ReportError(
            f"{report}: notebook {display_path(path, root)} does not exist yet; create it "
            f"(cell 2 tagged 'parameters') or run another report"
        )
    try:
        source = SourceNotebook.read(path)
    except Exception as error:  # nbformat raises several types for broken JSON
        raise ReportError(
            f"{display_path(path, root)} is not a readable notebook ({type(error).__name__}: "
            f"{error}); open it in JupyterLab and save it again"
        ) from None
    if source.parameters_index is None:
        raise ReportError(
            f"{display_path(path, root)} has no cell tagged 'parameters'; tag the cell that "
            "assigns the params (in JupyterLab: property inspector → Cell Tags) so papermill "
            "can inject the run's values after it"
        )
    return source


def _execute_all(
    ctx: _Context, progress: bool, kernel_name: str, timeout: float | None
) -> tuple[dict[str, Path], dict[str, Any]]:
    env = {
        "WORKBENCH_ROOT": str(ctx.root),
        ENV_RUN_DIR: str(ctx.partial),
        ENV_RUN_ID: ctx.run_id,
        ENV_REPORT: ctx.report,
        "PYTHONHASHSEED": "0",
    }
    base = {k: v for k, v in ctx.params.items() if k != "languages"}
    notebooks: dict[str, Path] = {}
    timings: dict[str, Any] = {"notebooks": []}
    for language in ctx.languages:
        output = ctx.partial / f"{ctx.source.path.stem}.{language}.ipynb"
        clock = time.perf_counter()
        executed = execute(
            ctx.source,
            output,
            {**base, "language": language},
            root=ctx.root,
            env=env,
            kernel_name=kernel_name,
            progress=progress,
            timeout=timeout,
            label=language if len(ctx.languages) > 1 else "",
        )
        executed, cell_timings = normalise(executed, ctx.source, ctx.root, output.name)
        nbformat.write(executed, str(output))
        timings["notebooks"].append(
            {
                "language": language,
                "notebook": output.name,
                "wall_seconds": round(time.perf_counter() - clock, 3),
                **cell_timings,
            }
        )
        notebooks[language] = output
    return notebooks, timings


def _render_all(
    ctx: _Context, notebooks: dict[str, Path], timings: dict[str, Any]
) -> dict[str, Path]:
    if "html" not in ctx.params["formats"]:
        return {}
    from evaluation.report.html import PageInfo, Source, write_html

    records = read_records(ctx.partial)
    notes = mf.notes_by_language(records)
    clock = time.perf_counter()
    pages = {}
    for language, notebook in notebooks.items():
        sources = [
            Source(entry["path"], entry["sha256"])
            for entry in mf.data_inputs(records)
            if not entry["languages"] or language in entry["languages"]
        ]
        page = PageInfo(
            report=ctx.report,
            language=language,
            run_id=ctx.run_id,
            run_date=mf.iso(ctx.started),
            period=ctx.params.get("period"),
            run_label=ctx.params.get("run_label") or "",
            sources=tuple(sources),
            notes=tuple(notes.get(language, [])),
        )
        pages[language] = write_html(notebook, page, ctx.partial / f"report.{language}.html")
    timings["render_seconds"] = round(time.perf_counter() - clock, 3)
    return pages


def _finish(
    ctx: _Context, timings: dict[str, Any], status: str, error: dict[str, Any] | None = None
) -> Path:
    records = read_records(ctx.partial)
    inputs = [mf.file_entry(ctx.source.path, ctx.root, role="notebook")]
    if ctx.params_path is not None:
        inputs.append(mf.file_entry(ctx.params_path, ctx.root, role="params"))
    inputs += mf.data_inputs(records)
    if status == "published":
        (ctx.partial / RECORDS_FILE).unlink(missing_ok=True)
    finished = mf.utc_now()
    manifest = {
        "schema_version": mf.SCHEMA_VERSION,
        "run_id": ctx.run_id,
        "report": ctx.report,
        "status": status,
        "params": ctx.params,
        "languages": list(ctx.languages),
        "inputs": inputs,
        "outputs": mf.output_entries(ctx.partial),
        "notes": mf.notes_by_language(records),
        "versions": mf.package_versions(),
        "git": mf.git_state(ctx.root),
        "started": mf.iso(ctx.started),
        "finished": mf.iso(finished),
        "timings": {"total_seconds": round(time.perf_counter() - ctx.clock, 3), **timings},
        "error": error,
    }
    return mf.write_manifest(ctx.partial, manifest)


def _fail(ctx: _Context, error: BaseException) -> RunFailedError | None:
    """Keep the folder as ``.failed`` with the error and a manifest.

    Returns the :class:`RunFailedError` to raise, or ``None`` when ``error`` must propagate
    as it is (an interruption, or a bug in the workbench rather than in the notebook).
    """
    if isinstance(error, CellFailure):
        where, cell, ename, evalue, details = (
            error.where,
            error.cell,
            error.ename,
            error.evalue,
            error.details,
        )
    else:
        where, cell = display_path(ctx.source.path, ctx.root), None
        ename = type(error).__name__
        evalue = error.one_line() if isinstance(error, WorkbenchError) else str(error)
        details = repr(error)
    (ctx.partial / ERROR_FILE).write_text(
        f"{where}\n{ename}: {evalue}\n\n{details}\n", encoding="utf-8"
    )
    error_entry = {"where": where, "cell": cell, "ename": ename, "evalue": evalue}
    try:
        _finish(ctx, {"notebooks": []}, status="failed", error=error_entry)
    finally:
        folder = mark_failed(ctx.partial)
    good = latest_run(ctx.report, ctx.root)
    keep = f"latest still points at {good.name}" if good else "there is no good run yet"
    message = (
        f"{ctx.report}: {where} failed: {ename}: {evalue}. The partial run is kept in "
        f"{display_path(folder, ctx.root)}/; {keep}"
    )
    if not isinstance(error, CellFailure | WorkbenchError):
        return None
    return RunFailedError(
        message,
        report=ctx.report,
        run_id=ctx.run_id,
        folder=folder,
        cell=cell,
        ename=ename,
        evalue=evalue,
    )
