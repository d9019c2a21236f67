"""Report runs: papermill execution, manifests and atomic publication.

Outside notebooks (the command line, the scheduler)::

    from evaluation.pipeline import run_report, run_all, latest_run
    run = run_report("baseline", overrides={"period": "2026-10"})
    run.folder, run.html["en"], run.manifest

Inside a report notebook (cell 3)::

    import evaluation.pipeline
    run = evaluation.pipeline.start(report="baseline", params=globals())
    run.record_input(path)        # a data file read → manifest and HTML data sources
    run.note(run.t("notes.suppression", min_cell_size=run.params["min_cell_size"]))
    run.output_path("workbook.xlsx")   # → <run folder>/workbook.<language>.xlsx

Submodules: ``run`` (run_report, run_all), ``execute`` (papermill), ``manifest``,
``publish`` (run folders, ``latest``), ``records`` (fingerprints, the record sidecar) and
``session`` (the notebook's side). ``import evaluation.pipeline`` stays light for notebooks:
the runner (nbformat, whose import alone takes about a second here) loads on first use.
"""

from evaluation.pipeline.publish import latest_run
from evaluation.pipeline.records import sha256_file, sha256_path
from evaluation.pipeline.session import NotebookRun, record_input, start

__all__ = [
    "REPORT_NOTEBOOKS",
    "NotebookRun",
    "Outcome",
    "Run",
    "RunFailedError",
    "latest_run",
    "notebook_for",
    "record_input",
    "run_all",
    "run_report",
    "sha256_file",
    "sha256_path",
    "start",
]

_RUNNER = {
    "REPORT_NOTEBOOKS",
    "Outcome",
    "Run",
    "RunFailedError",
    "notebook_for",
    "run_all",
    "run_report",
}


def __getattr__(name: str) -> object:
    if name in _RUNNER:
        from evaluation.pipeline import run

        return getattr(run, name)
    raise AttributeError(f"module 'evaluation.pipeline' has no attribute {name!r}")
