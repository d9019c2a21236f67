"""Report runs end to end on tiny notebooks in a throw-away project folder.

The module-scoped ``project`` fixture runs the report four times (two languages side by side
on two workers, the same one at a time, English alone, then a failing notebook); the tests
read what those runs left behind.
"""

import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from bs4 import BeautifulSoup

from evaluation import pipeline
from evaluation.cli import main
from evaluation.errors import DataError, ParamsError, ReportError
from evaluation.ingest.outputs import LOG_NAME
from evaluation.instruments import check_instrument, loading, read_instrument
from evaluation.params import parameters_cell_source
from evaluation.pipeline import manifest as mf
from evaluation.pipeline import publish
from evaluation.pipeline import run as run_module
from evaluation.pipeline.execute import SourceNotebook, kernel_environment
from evaluation.pipeline.progress import CellProgress
from evaluation.pipeline.records import (
    ENV_RECORDS,
    ENV_RUN_DIR,
    RECORDS_FILE,
    read_records,
    records_file,
    remove_records,
)
from evaluation.pipeline.workers import WORKERS_ENV, check_workers, default_workers, run_jobs

DATA = "surveys/data/demo/clean/sample.csv"
NOTEBOOK = "notebooks/00_data_quality.ipynb"
FAILING_CELL = "ratio = len(data) / 0"
FAILING_IN_SQ = "ratio = len(data) / (run.language != 'sq')"
SLEEPING_CELL = (
    "import os, pathlib, time\n"
    "pathlib.Path(run.run_dir, f'pid.{run.language}').write_text(str(os.getpid()))\n"
    "time.sleep(120)"
)


def notebook(report="quality", *, fail=False, plot=True, cell=None):
    """A report notebook as the conventions ask: title, parameters, start(), sections."""
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    parameters = code(parameters_cell_source(report))
    parameters.metadata["tags"] = ["parameters"]
    cells = [
        md("# Tiny report\n\nWhat this report is for."),
        parameters,
        code(
            "import evaluation.pipeline\n"
            f"run = evaluation.pipeline.start(report={report!r}, params=globals())"
        ),
        md("## Sample ë"),
        code(
            "import pandas as pd\n"
            f"data = pd.read_csv({DATA!r})\n"
            f"run.record_input({DATA!r})\n"
            "run.note(run.t('notes.suppression', min_cell_size=min_cell_size))\n"
            "data.describe().round(3)"
        ),
        code(
            cell
            or (
                FAILING_CELL
                if fail
                else "import warnings\nwarnings.warn('HIDDEN_WARNING')\nprint(run.t('html.contents'))"
            )
        ),
    ]
    if plot:
        cells += [
            md("### Figure"),
            code(
                "import matplotlib.pyplot as plt\n"
                "fig, ax = plt.subplots(figsize=(3, 2))\n"
                "ax.plot(data['x'], data['y'])\n"
                "plt.show()"
            ),
        ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def make_project(root: Path, **notebook_options) -> Path:
    (root / "notebooks").mkdir(parents=True)
    (root / "params").mkdir()
    data = root / DATA
    data.parent.mkdir(parents=True)
    data.write_text("x,y\n1,2.5\n2,4\n3,5.5\n", encoding="utf-8")
    nbformat.write(notebook(**notebook_options), str(root / "notebooks" / "00_data_quality.ipynb"))
    return root


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = make_project(tmp_path_factory.mktemp("project"))
    (root / "params" / "quality.yaml").write_text(
        "report: quality\nlanguages: [en, sq]\nrun_label: pilot\n", encoding="utf-8"
    )
    good_notebook = sha256(root / "notebooks" / "00_data_quality.ipynb")
    both = pipeline.run_report("quality", root=root, progress=False, workers=2)
    sequential = pipeline.run_report("quality", root=root, progress=False, workers=1)
    english = pipeline.run_report(
        "quality", overrides={"language": "en", "languages": ["en"]}, root=root, progress=False
    )
    nbformat.write(notebook(fail=True), str(root / "notebooks" / "00_data_quality.ipynb"))
    with pytest.raises(pipeline.RunFailedError) as failure:
        pipeline.run_report("quality", root=root, progress=False)
    return SimpleNamespace(
        root=root,
        both=both,
        sequential=sequential,
        english=english,
        failure=failure.value,
        good_notebook=good_notebook,
        reports=root / "reports" / "quality",
    )


# --------------------------------------------------------------------------- publish
def test_success_publishes_and_moves_latest(project):
    assert project.both.folder == project.reports / project.both.run_id
    assert project.english.folder.is_dir() and project.both.folder.is_dir()
    latest = project.reports / "latest"
    assert latest.is_symlink()
    assert os.readlink(latest) == project.english.run_id  # relative: the folder can move
    assert pipeline.latest_run("quality", project.root) == project.english.folder


def test_no_partial_folder_is_left(project):
    assert not list(project.reports.glob("*.partial"))
    assert not list(project.reports.glob(".latest*"))


def test_run_ids_sort_in_time_order_and_carry_the_params_hash(project):
    pattern = r"\d{8}T\d{6}Z-[0-9a-f]{8}"
    assert re.fullmatch(pattern, project.both.run_id)
    assert project.both.run_id < project.english.run_id < project.failure.run_id
    assert project.both.run_id[-8:] != project.english.run_id[-8:]  # languages differ


def test_each_language_gets_its_notebook_and_page(project):
    names = sorted(p.name for p in project.both.outputs)
    assert names == [
        "00_data_quality.en.ipynb",
        "00_data_quality.sq.ipynb",
        "manifest.json",
        "report.en.html",
        "report.sq.html",
    ]
    assert project.both.languages == ("en", "sq")
    assert not (project.both.folder / RECORDS_FILE).exists()


def test_describe_lists_the_folder_and_files(project):
    text = project.english.describe(project.root)
    assert text.splitlines()[0].startswith(
        f"quality: published reports/quality/{project.english.run_id}/"
    )
    assert "  report.en.html" in text.splitlines()


# --------------------------------------------------------------------------- failure
def test_failing_cell_gives_one_line_naming_notebook_cell_and_cause(project):
    message = str(project.failure)
    assert "\n" not in message
    assert message.startswith(
        f'quality: notebooks/00_data_quality.ipynb [en], cell 6 of 8 ("{FAILING_CELL}") '
        "failed: ZeroDivisionError: division by zero."
    )
    assert f"latest still points at {project.english.run_id}" in message
    assert project.failure.cell == 6
    assert project.failure.ename == "ZeroDivisionError"


def test_failed_run_is_kept_and_never_replaces_latest(project):
    folder = project.failure.folder
    assert folder.name == f"{project.failure.run_id}.failed"
    assert (folder / "00_data_quality.en.ipynb").is_file()  # papermill's partial notebook
    assert "ZeroDivisionError" in (folder / "error.txt").read_text(encoding="utf-8")
    manifest = mf.read_manifest(folder)
    assert manifest["status"] == "failed"
    assert manifest["error"]["cell"] == 6
    assert pipeline.latest_run("quality", project.root) == project.english.folder
    assert not (project.reports / project.failure.run_id).exists()


def test_cli_prints_a_params_error_on_one_line_and_exits_1(project, monkeypatch, capsys):
    monkeypatch.setenv("WORKBENCH_ROOT", str(project.root))
    bad = project.root / "params" / "typo.yaml"
    bad.write_text("report: quality\nmin_cel_size: 5\n", encoding="utf-8")
    assert main(["run", "quality", "--params", str(bad), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(
        "workbench run: error: params/typo.yaml: unknown key 'min_cel_size' "
        "(did you mean 'min_cell_size'?)"
    )
    assert main(["run", "quality", "--period", "2026-13", "--no-progress"]) == 1
    assert "command line: key 'period'" in capsys.readouterr().err


# --------------------------------------------------------------------------- manifest
def test_manifest_has_sha256_of_every_input(project):
    manifest = mf.read_manifest(project.both.folder)
    inputs = {entry["role"]: entry for entry in manifest["inputs"]}
    assert inputs["notebook"]["path"] == "notebooks/00_data_quality.ipynb"
    assert inputs["notebook"]["sha256"] == project.good_notebook
    assert inputs["params"]["sha256"] == sha256(project.root / "params" / "quality.yaml")
    assert inputs["data"]["path"] == DATA
    assert inputs["data"]["sha256"] == sha256(project.root / DATA)
    assert inputs["data"]["languages"] == ["en", "sq"]


def test_manifest_has_sha256_of_every_output(project):
    manifest = mf.read_manifest(project.both.folder)
    listed = {entry["path"]: entry["sha256"] for entry in manifest["outputs"]}
    on_disk = {
        p.name: sha256(p) for p in project.both.folder.iterdir() if p.name != "manifest.json"
    }
    assert listed == on_disk


def test_manifest_records_params_versions_git_and_timings(project):
    manifest = mf.read_manifest(project.both.folder)
    assert manifest["run_id"] == project.both.run_id
    assert manifest["status"] == "published"
    assert manifest["params"] == project.both.params
    assert manifest["params"]["run_label"] == "pilot"
    for package in ("evaluation", "pandas", "numpy", "scipy", "statsmodels", "papermill"):
        assert manifest["versions"][package] == version(package)
    assert re.fullmatch(r"3\.\d+\.\d+", manifest["versions"]["python"])
    assert manifest["git"] == {"commit": "unknown", "dirty": None}  # tmp folder, no git
    assert manifest["started"] <= manifest["finished"]
    assert manifest["notes"]["sq"][0].startswith("Qelizat që bazohen në më pak se 10")
    runs = manifest["timings"]["notebooks"]
    assert [r["language"] for r in runs] == ["en", "sq"]
    cells = runs[0]["cells"]
    assert cells[0]["cell"] == 2 and cells[1]["cell"] == "injected-parameters"
    assert all(c["seconds"] > 0 for c in cells)
    # the two languages ran side by side (two workers): the run lasts as long as the longer
    assert manifest["timings"]["workers"] == 2
    assert manifest["timings"]["total_seconds"] >= max(r["seconds"] for r in runs)
    one_at_a_time = mf.read_manifest(project.sequential.folder)["timings"]
    assert one_at_a_time["workers"] == 1
    assert one_at_a_time["total_seconds"] >= sum(r["seconds"] for r in one_at_a_time["notebooks"])
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "1")
    assert manifest["timings"]["kernel_threads"]["OPENBLAS_NUM_THREADS"] == threads
    if Path("/proc/self/stat").is_file():
        assert all(0 < r["kernel_cpu_seconds"] < 60 for r in runs)


def test_git_commit_is_recorded_when_there_is_one(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "a.txt").write_text("a", encoding="utf-8")
    subprocess.run([*git, "add", "a.txt"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "a"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True)
    assert mf.git_state(tmp_path) == {"commit": head.stdout.strip(), "dirty": False}
    (tmp_path / "a.txt").write_text("b", encoding="utf-8")
    assert mf.git_state(tmp_path)["dirty"] is True


# --------------------------------------------------------------------------- HTML
def test_html_has_no_code_and_no_prompts(project):
    text = (project.both.folder / "report.en.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(text, "html.parser")
    assert "In [" not in text
    assert "evaluation.pipeline.start" not in text and "pd.read_csv" not in text
    assert not soup.select(".input, .input_area, .jp-InputArea, .prompt")
    assert "HIDDEN_WARNING" not in text  # stderr is for the analyst, not the reader


def test_html_has_contents_figure_and_footer(project):
    soup = BeautifulSoup((project.both.folder / "report.en.html").read_text("utf-8"), "html.parser")
    assert [a.get_text() for a in soup.select("nav.wb-toc a")] == ["Sample ë", "Figure"]
    image = soup.select_one("main img")
    assert image["src"].startswith("data:image/png;base64,")
    assert soup.select_one("footer code[data-run]").get_text() == project.both.run_id
    assert DATA in soup.footer.get_text()
    assert "Cells based on fewer than 10 respondents" in soup.footer.get_text()


def test_albanian_html(project):
    soup = BeautifulSoup((project.both.folder / "report.sq.html").read_text("utf-8"), "html.parser")
    assert soup.html["lang"] == "sq"
    assert soup.select_one("nav.wb-toc h2").get_text() == "Përmbajtja"
    assert "Përmbajtja" in soup.main.get_text()  # printed by the notebook through run.t()
    assert "Burimet e të dhënave" in soup.footer.get_text()
    assert "Qelizat që bazohen" in soup.footer.get_text()


# --------------------------------------------------------------------------- reproducible
def test_same_inputs_and_params_give_the_same_outputs(project):
    first, second = project.both.folder, project.english.folder
    name = "00_data_quality.en.ipynb"
    assert (first / name).read_bytes() == (second / name).read_bytes()
    assert _without_run(first / "report.en.html") == _without_run(second / "report.en.html")


def test_side_by_side_and_one_at_a_time_give_the_same_outputs(project):
    parallel, sequential = project.both.folder, project.sequential.folder
    for language in ("en", "sq"):
        name = f"00_data_quality.{language}.ipynb"
        assert (parallel / name).read_bytes() == (sequential / name).read_bytes(), name
        page = f"report.{language}.html"
        assert _without_run(parallel / page) == _without_run(sequential / page), page
    first, second = mf.read_manifest(parallel), mf.read_manifest(sequential)
    assert first["inputs"] == second["inputs"]
    assert first["notes"] == second["notes"]
    assert [n["language"] for n in first["timings"]["notebooks"]] == ["en", "sq"]


def _without_run(path: Path) -> str:
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    for element in soup.select("[data-run]"):
        element.decompose()
    return str(soup)


# --------------------------------------------------------------------------- before running
def test_params_are_validated_before_anything_runs(tmp_path):
    root = make_project(tmp_path)
    (root / "params" / "quality.yaml").write_text("clustr: school\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"params/quality\.yaml: unknown key 'clustr'"):
        pipeline.run_report("quality", root=root, progress=False)
    assert not (root / "reports").exists()


def test_run_all_checks_every_params_file_before_running_any(tmp_path):
    root = make_project(tmp_path)
    (root / "params" / "quality.yaml").write_text("langauge: sq\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"unknown key 'langauge' \(did you mean 'language'"):
        pipeline.run_all(root=root, progress=False)
    assert not (root / "reports").exists()


def test_missing_notebook_and_missing_parameters_tag(tmp_path):
    root = make_project(tmp_path)
    with pytest.raises(ReportError, match=r"notebooks/10_baseline\.ipynb does not exist yet"):
        pipeline.run_report("baseline", root=root)
    nb = notebook()
    nb.cells[1].metadata["tags"] = []
    nbformat.write(nb, str(root / "notebooks" / "00_data_quality.ipynb"))
    with pytest.raises(ReportError, match="has no cell tagged 'parameters'"):
        pipeline.run_report("quality", root=root)


def test_run_all_skips_missing_notebooks_and_publishes_the_rest(tmp_path, monkeypatch, capsys):
    root = make_project(tmp_path, plot=False)
    monkeypatch.setenv("WORKBENCH_ROOT", str(root))
    assert main(["run", "all", "--no-progress", "--language", "sq"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^quality: published reports/quality/\S+/ in", out, re.M)
    assert "baseline: skipped: notebooks/10_baseline.ipynb does not exist yet" in out
    assert "monitoring: skipped: notebooks/40_monitoring.ipynb does not exist yet" in out
    assert (pipeline.latest_run("quality", root) / "report.sq.html").is_file()


def test_run_all_refuses_a_params_file(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "all", "--params", "x.yaml"])
    assert info.value.code == 2
    assert "--params cannot be used with 'all'" in capsys.readouterr().err


def test_papermill_run_directly_still_validates_params(tmp_path, monkeypatch):
    import papermill
    from papermill.exceptions import PapermillExecutionError

    root = make_project(tmp_path, plot=False)
    monkeypatch.setenv("WORKBENCH_ROOT", str(root))
    monkeypatch.delenv(ENV_RUN_DIR, raising=False)
    with pytest.raises(PapermillExecutionError) as info:
        papermill.execute_notebook(
            str(root / "notebooks" / "00_data_quality.ipynb"),
            str(tmp_path / "out.ipynb"),
            parameters={"clustr": "school"},
            kernel_name="python3",
            progress_bar=False,
            cwd=str(root),
        )
    assert info.value.ename == "ParamsError"
    assert "unknown key 'clustr'" in info.value.evalue


# --------------------------------------------------------------------------- notebook side
def test_start_filters_a_notebook_namespace(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_ROOT", str(tmp_path))
    monkeypatch.delenv(ENV_RUN_DIR, raising=False)
    namespace = {
        "__builtins__": {},
        "__name__": "__main__",
        "_": None,
        "In": [""],
        "Out": {},
        "get_ipython": print,
        "json": json,
        "frame": object(),
        "language": "sq",
        "period": "2026-10",
    }
    run = pipeline.start(report="monitoring", params=namespace)
    assert run.params["language"] == "sq" and run.params["period"] == "2026-10"
    assert run.interactive
    assert run.run_dir == tmp_path / "reports" / "monitoring" / "interactive"
    assert run.output_path("workbook.xlsx") == run.run_dir / "workbook.sq.xlsx"
    with pytest.raises(
        ParamsError, match=r"parameters of the monitoring notebook: unknown key 'clustr'"
    ):
        pipeline.start(report="monitoring", params={**namespace, "clustr": "x"})


def test_record_input_appends_to_the_run_sidecar(tmp_path, monkeypatch):
    data = tmp_path / "surveys" / "a.csv"
    data.parent.mkdir()
    data.write_text("a\n1\n", encoding="utf-8")
    run_dir = tmp_path / "reports" / "quality" / "x.partial"
    run_dir.mkdir(parents=True)
    monkeypatch.setenv("WORKBENCH_ROOT", str(tmp_path))
    monkeypatch.setenv(ENV_RUN_DIR, str(run_dir))
    assert pipeline.record_input(data) == sha256(data)
    run = pipeline.start(report="quality", params={"language": "en"})
    run.record_input(data.parent)  # a folder, e.g. a partitioned Parquet dataset
    run.note("A method note.")
    records = [json.loads(line) for line in (run_dir / RECORDS_FILE).read_text().splitlines()]
    assert records[0] == {
        "kind": "input",
        "path": "surveys/a.csv",
        "sha256": sha256(data),
        "bytes": 4,
        "language": None,
    }
    folder_digest = hashlib.sha256(f"a.csv\0{sha256(data)}\n".encode()).hexdigest()
    assert records[1]["path"] == "surveys" and records[1]["sha256"] == folder_digest
    assert records[2] == {"kind": "note", "text": "A method note.", "language": "en"}
    with pytest.raises(DataError, match=r"missing\.csv does not exist"):
        run.record_input(tmp_path / "missing.csv")


# --------------------------------------------------------------------------- publishing parts
def test_latest_falls_back_to_a_pointer_file_without_symlinks(tmp_path, monkeypatch):
    reports = tmp_path / "reports" / "quality"
    for name in ("run-a", "run-b"):
        (reports / name).mkdir(parents=True)

    def no_symlinks(*args, **kwargs):
        raise OSError("symbolic links are not supported here")

    monkeypatch.setattr(os, "symlink", no_symlinks)
    assert publish.point_latest(reports, "run-a") == "file"
    assert (reports / "latest").read_text() == "run-a\n"
    assert publish.latest_run("quality", tmp_path) == reports / "run-a"
    monkeypatch.undo()
    assert publish.point_latest(reports, "run-b") == "symlink"
    assert publish.latest_run("quality", tmp_path) == reports / "run-b"
    assert sorted(p.name for p in reports.iterdir()) == ["latest", "run-a", "run-b"]


def test_latest_that_is_a_real_folder_is_not_overwritten(tmp_path):
    reports = tmp_path / "quality"
    (reports / "latest").mkdir(parents=True)
    with pytest.raises(ReportError, match="is a folder, not a link"):
        publish.point_latest(reports, "run-a")


def test_claiming_a_taken_run_id_adds_a_counter(tmp_path):
    first_id, first = publish.claim_run_folder(tmp_path, "20261028T101530Z-abcdef12")
    second_id, second = publish.claim_run_folder(tmp_path, "20261028T101530Z-abcdef12")
    assert first.name == "20261028T101530Z-abcdef12.partial"
    assert second_id == "20261028T101530Z-abcdef12-2" and second.is_dir()
    assert publish.publish(first) == tmp_path / first_id
    assert publish.mark_failed(second) == tmp_path / f"{second_id}.failed"
    assert publish.latest_run("x", tmp_path.parent) is None  # another report: no run


def test_cell_numbers_refer_to_the_source_notebook(tmp_path):
    path = tmp_path / "n.ipynb"
    nbformat.write(notebook(), str(path))
    source = SourceNotebook.read(path)
    assert source.parameters_index == 1
    assert source.describe_cell(0) == (1, 'cell 1 of 8 ("# Tiny report")')
    assert source.describe_cell(2) == (None, "the injected-parameters cell")
    number, text = source.describe_cell(3)  # the executed copy has one extra cell
    assert number == 3 and text.startswith('cell 3 of 8 ("import evaluation.pipeline")')


# --------------------------------------------------------------------------- side by side
def test_a_failure_in_the_second_language_names_it_and_keeps_latest(tmp_path):
    root = make_project(tmp_path, plot=False)
    (root / "params" / "quality.yaml").write_text(
        "report: quality\nlanguages: [en, sq]\n", encoding="utf-8"
    )
    good = pipeline.run_report(
        "quality", overrides={"languages": ["en"]}, root=root, progress=False, workers=2
    )
    nbformat.write(notebook(plot=False, cell=FAILING_IN_SQ), str(root / NOTEBOOK))
    with pytest.raises(pipeline.RunFailedError) as info:
        pipeline.run_report("quality", root=root, progress=False, workers=2)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(
        f'quality: {NOTEBOOK} [sq], cell 6 of 6 ("{FAILING_IN_SQ}") failed: '
        "ZeroDivisionError: division by zero."
    )
    assert message.endswith(f"latest still points at {good.run_id}")
    folder = info.value.folder
    assert folder.name.endswith(".failed")
    assert (folder / "00_data_quality.en.ipynb").is_file()  # English ran to the end
    assert mf.read_manifest(folder)["error"]["cell"] == 6
    assert pipeline.latest_run("quality", root) == good.folder
    assert not list((root / "reports" / "quality").glob("*.partial"))


def test_after_a_failure_one_worker_does_not_start_the_next_language(tmp_path):
    root = make_project(tmp_path, plot=False, fail=True)
    (root / "params" / "quality.yaml").write_text(
        "report: quality\nlanguages: [en, sq]\n", encoding="utf-8"
    )
    with pytest.raises(pipeline.RunFailedError, match=r"\[en\], cell 6 of 6") as info:
        pipeline.run_report("quality", root=root, progress=False, workers=1)
    names = sorted(p.name for p in info.value.folder.iterdir())
    assert "00_data_quality.en.ipynb" in names
    assert "00_data_quality.sq.ipynb" not in names
    assert pipeline.latest_run("quality", root) is None


def test_ctrl_c_stops_the_kernels_and_keeps_the_run_as_failed(tmp_path):
    root = make_project(tmp_path, plot=False, cell=SLEEPING_CELL)
    (root / "params" / "quality.yaml").write_text(
        "report: quality\nlanguages: [en, sq]\n", encoding="utf-8"
    )
    command = [
        sys.executable,
        "-c",
        "import sys; from evaluation.cli import main; sys.exit(main())",
        *("run", "quality", "--no-progress", "--jobs", "2"),
    ]
    env = {**os.environ, "WORKBENCH_ROOT": str(root)}
    process = subprocess.Popen(command, cwd=root, env=env, stderr=subprocess.PIPE, text=True)
    reports = root / "reports" / "quality"
    pids = _wait_for(lambda: _kernel_pids(reports, 2), seconds=90)
    process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130
    assert err.strip().splitlines()[-1] == "workbench run: interrupted"
    assert not list(reports.glob("*.partial"))
    (failed,) = reports.glob("*.failed")
    assert "DeadKernelError" in (failed / "error.txt").read_text(encoding="utf-8")
    assert pipeline.latest_run("quality", root) is None
    assert _wait_for(lambda: not any(_running(pid) for pid in pids), seconds=10)


def _kernel_pids(reports: Path, count: int) -> list[int] | None:
    files = list(reports.glob("*.partial/pid.*"))
    texts = [f.read_text() for f in files]
    return [int(t) for t in texts] if len(files) == count and all(texts) else None


def _running(pid: int) -> bool:
    """True while the process exists and is not a zombie (an unreaped, dead process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat[stat.rindex(")") + 2] not in "ZX"


def _wait_for(condition, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"waited {seconds} s in vain")


# --------------------------------------------------------------------------- workers
def test_two_workers_run_two_jobs_at_once_and_one_runs_them_in_order():
    both_running = threading.Barrier(2, timeout=10)  # breaks unless two jobs overlap
    run_jobs([both_running.wait, both_running.wait], workers=2)
    order: list[int] = []
    run_jobs([lambda i=i: order.append(i) for i in range(5)], workers=1)
    assert order == [0, 1, 2, 3, 4]


def test_an_exception_escaping_a_job_is_raised_and_later_jobs_do_not_start():
    started: list[int] = []

    def job(i: int) -> None:
        started.append(i)
        if i == 1:
            raise RuntimeError("a bug")
        time.sleep(0.3 if i > 1 else 0)

    for workers, most in ((1, 2), (2, 4)):
        started.clear()
        with pytest.raises(RuntimeError, match="a bug"):
            run_jobs([lambda i=i: job(i) for i in range(8)], workers=workers)
        assert sorted(started[:2]) == [0, 1]
        assert len(started) <= most  # the rest were never started


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", ""])
def test_a_bad_number_of_workers_is_a_params_error(value, monkeypatch):
    with pytest.raises(ParamsError, match=r"give a whole number of at least 1"):
        check_workers(value, "--jobs")
    if value.strip():
        monkeypatch.setenv(WORKERS_ENV, value)
        with pytest.raises(ParamsError, match=rf"environment variable {WORKERS_ENV}: '"):
            default_workers()


def test_default_workers(monkeypatch):
    monkeypatch.delenv(WORKERS_ENV, raising=False)
    assert default_workers() == min(2, os.cpu_count() or 1)
    monkeypatch.setenv(WORKERS_ENV, "3")
    assert default_workers() == 3
    assert check_workers(1) == 1


def test_cli_refuses_zero_jobs_on_one_line(project, monkeypatch, capsys):
    monkeypatch.setenv("WORKBENCH_ROOT", str(project.root))
    assert main(["run", "quality", "--jobs", "0", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("workbench run: error: workers: 0 is not a number")


def test_progress_counts_every_cell_once_and_names_what_runs():
    out = io.StringIO()
    bar = CellProgress(total=10, file=out)
    bar.started("baseline", "en")
    bar.started("baseline", "sq")
    assert bar.running == "baseline [en, sq]"
    for _ in range(3):
        bar.cell_done()
    bar.finished("baseline", "en", skipped_cells=2)  # failed after 3 of 5 cells
    bar.started("endline", "en")
    assert bar.running == "baseline [sq] + endline [en]"
    for _ in range(5):
        bar.cell_done()
    bar.finished("baseline", "sq")
    bar.finished("endline", "en")
    assert bar.running == ""
    assert bar.done == bar.total == 10
    bar.close()
    assert "10/10" in out.getvalue()


# --------------------------------------------------------------------------- record sidecars
def test_each_execution_records_to_its_own_sidecar_read_back_in_language_order(
    tmp_path, monkeypatch
):
    data = tmp_path / "a.csv"
    data.write_text("a\n1\n", encoding="utf-8")
    monkeypatch.setenv("WORKBENCH_ROOT", str(tmp_path))
    monkeypatch.setenv(ENV_RUN_DIR, str(tmp_path))
    for language in ("sq", "en"):  # the Albanian kernel happens to record first
        monkeypatch.setenv(ENV_RECORDS, records_file(language))
        run = pipeline.start(report="quality", params={"language": language})
        run.note(f"note {language}")
        pipeline.record_input(data)  # a library reader: no language
        assert [r.get("text") for r in read_records(tmp_path)] == [f"note {language}", None]
    monkeypatch.delenv(ENV_RECORDS)
    in_order = read_records(tmp_path, ["en", "sq"])
    assert [r.get("text") for r in in_order] == ["note en", None, "note sq", None]
    assert mf.notes_by_language(in_order) == {"en": ["note en"], "sq": ["note sq"]}
    assert len(read_records(tmp_path)) == 4
    assert [p.name for p in mf_outputs(tmp_path)] == ["a.csv"]  # sidecars are not outputs
    remove_records(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


def mf_outputs(folder: Path) -> list[Path]:
    return [folder / entry["path"] for entry in mf.output_entries(folder)]


def test_kernels_run_with_one_blas_thread_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    env = kernel_environment({"WORKBENCH_RUN_ID": "x", "OMP_NUM_THREADS": "2"})
    assert env["OPENBLAS_NUM_THREADS"] == "1"
    assert env["OMP_NUM_THREADS"] == "2"  # the run's own value wins
    assert kernel_environment({})["OMP_NUM_THREADS"] == "4"  # the user's setting is kept
    assert "OPENBLAS_NUM_THREADS" not in os.environ  # this process is never changed


# --------------------------------------------------------------------------- form cache
FORM = Path(__file__).parent / "fixtures" / "real" / "kobo_sample_xlsform.xlsx"
OTHER_FORM = Path(__file__).parent / "fixtures" / "real" / "xlsform_i18n_en_fr_choice_filter.xlsx"


@pytest.fixture
def fresh_cache(monkeypatch):
    monkeypatch.setattr(loading, "_MEMO", {})
    monkeypatch.delenv(loading.CACHE_ENV, raising=False)


def _no_reading(*args, **kwargs):
    raise AssertionError("the form was read again")


def test_a_form_is_read_once_per_process(tmp_path, monkeypatch, fresh_cache):
    form = shutil.copy(FORM, tmp_path / "form.xlsx")
    first = read_instrument(form)
    monkeypatch.setattr(loading, "_build", _no_reading)
    assert read_instrument(form) == first
    assert check_instrument(form) == list(first.problems)
    shutil.copy(OTHER_FORM, form)  # edited: another SHA-256, read again
    with pytest.raises(AssertionError, match="read again"):
        read_instrument(form)


def test_kernels_share_forms_through_the_disk_cache(tmp_path, monkeypatch, fresh_cache):
    form = shutil.copy(FORM, tmp_path / "form.xlsx")
    cache = tmp_path / "clean" / ".cache" / "instruments"
    monkeypatch.setenv(loading.CACHE_ENV, str(cache))
    build = loading._build
    first = read_instrument(form)
    (pickled,) = cache.glob("*.pickle")
    monkeypatch.setattr(loading, "_MEMO", {})  # another kernel
    monkeypatch.setattr(loading, "_build", _no_reading)
    assert read_instrument(form) == first
    pickled.write_bytes(b"not a pickle")  # damaged: ignored, read and written again
    monkeypatch.setattr(loading, "_MEMO", {})
    monkeypatch.setattr(loading, "_build", build)
    assert read_instrument(form) == first
    assert pickled.read_bytes() != b"not a pickle"


def test_the_pipeline_gives_kernels_the_dataset_form_cache(tmp_path, monkeypatch):
    monkeypatch.delenv(loading.CACHE_ENV, raising=False)
    ctx = SimpleNamespace(params={"dataset": "demo"}, root=tmp_path)
    clean = tmp_path / "surveys" / "data" / "demo" / "clean"
    assert run_module._instrument_cache(ctx) == {}  # no ingest yet: clean/ is not ours
    clean.mkdir(parents=True)
    (clean / LOG_NAME).write_text("{}", encoding="utf-8")
    expected = {loading.CACHE_ENV: str(clean / ".cache" / "instruments")}
    assert run_module._instrument_cache(ctx) == expected
    assert run_module.INSTRUMENT_CACHE_ENV == loading.CACHE_ENV
    assert run_module.INGEST_LOG == LOG_NAME
