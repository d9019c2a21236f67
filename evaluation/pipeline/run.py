"""Run a report notebook end to end: params → papermill → HTML → manifest → publish.

``run_report("baseline")`` validates the params before anything runs, executes
``notebooks/10_baseline.ipynb`` once per language into ``reports/baseline/<run-id>.partial/``,
renders ``report.<language>.html`` without code, writes ``manifest.json`` and publishes the
folder atomically as ``reports/baseline/<run-id>/`` with ``latest`` pointing at it. A failure
leaves ``<run-id>.failed/`` (partial executed notebook, ``error.txt``, manifest) and raises
:class:`RunFailedError`; ``latest`` keeps pointing at the last good run.

The executions (one per language and report) run on a pool of ``workers`` threads, two by
default (:mod:`evaluation.pipeline.workers`): the languages of a report, and under
``run_all`` the next report, run side by side, each in its own kernel. They start in
report and language order, and each report is rendered and published by the thread that
ends its last execution. The executed notebooks, pages and workbooks are the same as with
``workers=1`` (one after the other); so are the failure rules: the first failing language
names the error, a language not yet started when an earlier one failed is not started.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation.errors import ParamsError, ReportError, WorkbenchError, did_you_mean
from evaluation.params import REPORTS, display_path, load_params, params_hash
from evaluation.paths import data_dir, notebooks_dir, params_dir, project_root, reports_dir
from evaluation.pipeline import manifest as mf
from evaluation.pipeline.execute import (
    THREAD_LIMITS,
    CellFailure,
    SourceNotebook,
    execute,
    kernel_environment,
    normalise,
    write_notebook,
)
from evaluation.pipeline.progress import CellProgress
from evaluation.pipeline.publish import (
    claim_run_folder,
    latest_run,
    mark_failed,
    new_run_id,
    publish,
)
from evaluation.pipeline.records import (
    ENV_RECORDS,
    ENV_REPORT,
    ENV_RUN_DIR,
    ENV_RUN_ID,
    read_records,
    records_file,
    remove_records,
)
from evaluation.pipeline.workers import check_workers, default_workers, run_jobs

REPORT_NOTEBOOKS: dict[str, str] = {
    "quality": "00_data_quality",
    "baseline": "10_baseline",
    "endline": "20_endline_impact",
    "capacity": "30_capacity_building",
    "monitoring": "40_monitoring",
}
"""Notebook (in ``notebooks/``, without ``.ipynb``) of each report."""

ERROR_FILE = "error.txt"
INSTRUMENT_CACHE_ENV = "WORKBENCH_INSTRUMENT_CACHE"  # evaluation.instruments.loading.CACHE_ENV
INGEST_LOG = "ingest_log.json"  # written by every ingest; its clean folder is ours to use


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
    workers: int | None = None,
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
        Show a progress bar over the cells (tqdm, on stderr).
    kernel_name : str
        Jupyter kernel to run the notebook in.
    timeout : float, optional
        Seconds a single cell may run; ``None`` for no limit.
    workers : int, optional
        Languages executed at once (default
        :func:`~evaluation.pipeline.workers.default_workers`, 2); 1 runs them in turn.

    Returns
    -------
    Run

    Raises
    ------
    ParamsError
        Before anything runs, if the params (or ``workers``) are invalid.
    ReportError
        If the notebook does not exist or has no ``parameters`` cell.
    RunFailedError
        If a cell fails (message names the notebook, cell and cause) or an output cannot be
        written; the run folder is kept as ``<run-id>.failed/`` and ``latest`` is unchanged.
    """
    root = Path(root or project_root()).resolve()
    workers = _workers(workers)
    plan = _plan(report, params_file, overrides, root)
    (flight,) = _fly([plan], progress, kernel_name, timeout, workers=workers)
    if not isinstance(flight.outcome, Run):
        raise flight.outcome or RuntimeError(f"{report}: the run ended without an outcome")
    return flight.outcome


def run_all(
    overrides: Mapping[str, Any] | None = None,
    root: Path | None = None,
    *,
    progress: bool = True,
    kernel_name: str = "python3",
    timeout: float | None = None,
    workers: int | None = None,
) -> list[Outcome]:
    """Run every report whose notebook exists, in :data:`~evaluation.params.REPORTS` order.

    Params of all reports (``params/<report>.yaml`` plus ``overrides``) are validated first,
    so a params mistake stops everything before any notebook runs. A report whose notebook
    does not exist yet is skipped with a note; a failing report does not stop the others.
    All executions share one pool of ``workers``: while one report is rendered and
    published, the next one runs. The other options are those of :func:`run_report`.

    Returns
    -------
    list of Outcome
        One per report.

    Raises
    ------
    ParamsError
        If any report's params (or ``workers``) are invalid (nothing has run).
    """
    root = Path(root or project_root()).resolve()
    workers = _workers(workers)
    outcomes: dict[str, Outcome] = {}
    checked: dict[str, dict[str, Any]] = {}  # report -> valid params
    for report in REPORTS:
        notebook = notebook_for(report, root)
        if not notebook.is_file():
            note = f"skipped: {display_path(notebook, root)} does not exist yet"
            outcomes[report] = Outcome(report, "skipped", note)
            continue
        checked[report] = load_params(report, default_params_file(report, root), overrides, root)
    plans = []
    for report, params in checked.items():
        try:
            plans.append(_plan(report, None, overrides, root, params))
        except ReportError as error:
            outcomes[report] = Outcome(report, "failed", error.one_line())
    unexpected: BaseException | None = None
    for flight in _fly(plans, progress, kernel_name, timeout, workers=workers):
        report, result = flight.plan.report, flight.outcome
        if isinstance(result, Run):
            outcomes[report] = Outcome(report, "published", result.describe(root), result)
        elif isinstance(result, ReportError):
            outcomes[report] = Outcome(report, "failed", result.one_line())
        else:
            unexpected = unexpected or result
    if unexpected is not None:
        raise unexpected  # a bug in the workbench, not in a notebook: keep the traceback
    return [outcomes[r] for r in REPORTS]


# --------------------------------------------------------------------------- plans
@dataclass(frozen=True)
class _Plan:
    """A report ready to run: params valid, notebook read."""

    report: str
    root: Path
    source: SourceNotebook
    params: dict[str, Any]
    params_path: Path | None
    languages: tuple[str, ...]

    @property
    def cells(self) -> int:
        """Cells one execution runs: the notebook's and the injected parameters cell."""
        return len(self.source.node.cells) + 1


def _plan(
    report: str,
    params_file: str | Path | None,
    overrides: Mapping[str, Any] | None,
    root: Path,
    params: dict[str, Any] | None = None,
) -> _Plan:
    """Read the notebook, then load and check the params (unless given, already checked)."""
    source = _source_notebook(report, root)
    params_path = (
        Path(params_file) if params_file is not None else default_params_file(report, root)
    )
    if params is None:
        params = load_params(report, params_path, overrides, root)
    languages = tuple(params["languages"] or [params["language"]])
    return _Plan(report, root, source, params, params_path, languages)


def _workers(value: int | None) -> int:
    return default_workers() if value is None else check_workers(value)


# --------------------------------------------------------------------------- flights
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
    workers: int


@dataclass(frozen=True)
class _Executed:
    """One language's executed notebook and its timings."""

    notebook: Path
    timings: dict[str, Any]


_Result = _Executed | BaseException | None  # None: not started, an earlier language failed


@dataclass
class _Options:
    workers: int
    bar: CellProgress
    kernel_name: str
    timeout: float | None


class _Flight:
    """One report in flight: one job per language, then publication.

    The first job to start claims the run folder; the job that ends last renders the
    pages, writes the manifest and publishes (or keeps the folder as ``.failed``), and
    sets :attr:`outcome` to the :class:`Run` or to the exception to raise.
    """

    def __init__(self, plan: _Plan, options: _Options):
        self.plan = plan
        self.options = options
        self.outcome: Run | BaseException | None = None
        self._lock = threading.Lock()
        self._context: _Context | BaseException | None = None
        self._results: dict[str, _Result] = {}

    def jobs(self) -> list[Callable[[], None]]:
        """One job per language, in the params' language order."""
        return [functools.partial(self._job, language) for language in self.plan.languages]

    def abandon(self, error: BaseException) -> None:
        """After an interruption: keep a claimed folder as ``.failed`` if it is unfinished."""
        with self._lock:
            unfinished = self._context is not None and self.outcome is None
            for language in self.plan.languages:
                self._results.setdefault(language, error)
        if unfinished:
            self.outcome = self._publish()

    def _job(self, language: str) -> None:
        bar, report = self.options.bar, self.plan.report
        bar.started(report, language)
        done = 0

        def cell_done() -> None:
            nonlocal done
            done += 1
            bar.cell_done()

        result: _Result = None
        try:
            ctx = self._claim()
            if not self._earlier_failed(language):
                result = _execute_language(ctx, language, self.options, cell_done)
        except BaseException as error:  # recorded; _publish decides what to raise
            result = error
        finally:
            bar.finished(report, language, self.plan.cells - done)
        with self._lock:
            self._results[language] = result
            last = len(self._results) == len(self.plan.languages)
        if isinstance(result, BaseException) and not isinstance(result, Exception):
            self.abandon(result)  # Ctrl-C with one worker: stop here, as a sequential run
            raise result
        if last:
            self.outcome = self._publish()

    def _claim(self) -> _Context:
        with self._lock:
            if self._context is None:
                try:
                    self._context = _claim_context(self.plan, self.options.workers)
                except Exception as error:
                    self._context = error
            if isinstance(self._context, BaseException):
                raise self._context
            return self._context

    def _earlier_failed(self, language: str) -> bool:
        """After a failure, later languages do not start (as when run one at a time)."""
        before = self.plan.languages[: self.plan.languages.index(language)]
        with self._lock:
            return any(isinstance(self._results.get(lang), BaseException) for lang in before)

    def _publish(self) -> Run | BaseException:
        ctx = self._context
        if not isinstance(ctx, _Context):
            return ctx or RuntimeError(f"{self.plan.report}: no run folder was claimed")
        results = [self._results.get(lang) for lang in ctx.languages]
        error = next((r for r in results if isinstance(r, BaseException)), None)
        if error is None:
            try:
                return _publish(ctx, dict(zip(ctx.languages, results, strict=True)))  # type: ignore[arg-type]
            except BaseException as failure:  # an output could not be written
                error = failure
        return _fail(ctx, error) or error


def _fly(
    plans: list[_Plan],
    progress: bool,
    kernel_name: str,
    timeout: float | None,
    *,
    workers: int,
) -> list[_Flight]:
    """Run the plans' executions on ``workers`` threads; each flight ends with an outcome."""
    bar = CellProgress(sum(len(p.languages) * p.cells for p in plans), enabled=progress)
    options = _Options(workers, bar, kernel_name, timeout)
    flights = [_Flight(plan, options) for plan in plans]
    try:
        run_jobs([job for flight in flights for job in flight.jobs()], workers)
    except BaseException as error:
        for flight in flights:
            flight.abandon(error)
        raise
    finally:
        bar.close()
    return flights


# --------------------------------------------------------------------------- steps
def _claim_context(plan: _Plan, workers: int) -> _Context:
    clock = time.perf_counter()
    started = mf.utc_now()
    report_dir = reports_dir(plan.root) / plan.report
    run_id, partial = claim_run_folder(report_dir, new_run_id(started, params_hash(plan.params)))
    return _Context(
        clock,
        plan.report,
        run_id,
        plan.root,
        partial,
        plan.source,
        plan.params,
        plan.params_path,
        plan.languages,
        started,
        workers,
    )


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


def _execute_language(
    ctx: _Context, language: str, options: _Options, on_cell: Callable[[], None]
) -> _Executed:
    """Execute the notebook in one language and write its normalised copy."""
    env = {
        "WORKBENCH_ROOT": str(ctx.root),
        ENV_RUN_DIR: str(ctx.partial),
        ENV_RUN_ID: ctx.run_id,
        ENV_REPORT: ctx.report,
        ENV_RECORDS: records_file(language),
        "PYTHONHASHSEED": "0",
        **_instrument_cache(ctx),
    }
    base = {k: v for k, v in ctx.params.items() if k != "languages"}
    output = ctx.partial / f"{ctx.source.path.stem}.{language}.ipynb"
    clock = time.perf_counter()
    usage: dict[str, float | None] = {}
    executed = execute(
        ctx.source,
        output,
        {**base, "language": language},
        root=ctx.root,
        env=kernel_environment(env),
        kernel_name=options.kernel_name,
        on_cell=on_cell,
        timeout=options.timeout,
        label=language if len(ctx.languages) > 1 else "",
        usage=usage,
    )
    executed, cell_timings = normalise(executed, ctx.source, ctx.root, output.name)
    write_notebook(executed, output)
    timings = {
        "language": language,
        "notebook": output.name,
        "wall_seconds": round(time.perf_counter() - clock, 3),
        "kernel_cpu_seconds": usage.get("kernel_cpu_seconds"),
        **cell_timings,
    }
    return _Executed(output, timings)


def _publish(ctx: _Context, executed: dict[str, _Executed]) -> Run:
    """Render the pages, write the manifest and publish the folder."""
    notebooks = {language: e.notebook for language, e in executed.items()}
    timings: dict[str, Any] = {
        "workers": ctx.workers,
        "kernel_threads": _kernel_threads(),
        "notebooks": [e.timings for e in executed.values()],
    }
    html = _render_all(ctx, notebooks, timings)
    manifest = _finish(ctx, timings, status="published")
    folder = publish(ctx.partial)
    outputs = tuple(sorted(p for p in folder.rglob("*") if p.is_file()))
    return Run(
        ctx.report,
        ctx.run_id,
        folder,
        ctx.params,
        ctx.languages,
        {language: folder / p.name for language, p in notebooks.items()},
        {language: folder / p.name for language, p in html.items()},
        folder / manifest.name,
        outputs,
        time.perf_counter() - ctx.clock,
    )


def _instrument_cache(ctx: _Context) -> dict[str, str]:
    """Where the kernels share parsed questionnaires (see
    :mod:`evaluation.instruments.loading`): ``.cache/instruments`` in the dataset's clean
    folder, once an ingest has made that folder; nothing if the variable is already set."""
    clean = data_dir(str(ctx.params.get("dataset") or ""), ctx.root) / "clean"
    if INSTRUMENT_CACHE_ENV in os.environ or not (clean / INGEST_LOG).is_file():
        return {}
    return {INSTRUMENT_CACHE_ENV: str(clean / ".cache" / "instruments")}


def _kernel_threads() -> dict[str, str]:
    """The thread limits the kernels ran with (:data:`~.execute.THREAD_LIMITS`)."""
    env = kernel_environment({})
    return {name: env[name] for name in THREAD_LIMITS}


def _render_all(
    ctx: _Context, notebooks: dict[str, Path], timings: dict[str, Any]
) -> dict[str, Path]:
    if "html" not in ctx.params["formats"]:
        return {}
    from evaluation.report.html import PageInfo, Source, write_html

    records = read_records(ctx.partial, ctx.languages)
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
    records = read_records(ctx.partial, ctx.languages)
    inputs = [mf.file_entry(ctx.source.path, ctx.root, role="notebook")]
    if ctx.params_path is not None:
        inputs.append(mf.file_entry(ctx.params_path, ctx.root, role="params"))
    inputs += mf.data_inputs(records)
    if status == "published":
        remove_records(ctx.partial)
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
