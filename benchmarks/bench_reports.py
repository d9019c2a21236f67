"""Wall time of the report runs (``workbench run <report>``) on the demo world.

Each report adds a function to :data:`BENCHMARKS` (report name → function returning a JSON
mapping). Results go to ``benchmarks/results/reports.json``, one key per report: the file is
read, the report's key replaced and the file written back, so reports benchmarked by
different people at different times live side by side.

Usage: ``.venv/bin/python benchmarks/bench_reports.py [REPORT ...] [--repeat R]``
(default: every report of :data:`BENCHMARKS`).

``make_report`` (:func:`bench_make_report`) times ``make report`` end to end, after setup,
for the code before the speed-up (``--before COMMIT``) and for the working tree, and writes
the before/after table to ``benchmarks/results/reports.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "reports.json"
WORKBENCH = ROOT / ".venv" / "bin" / "workbench"


def demo_project(folder: Path, params: tuple[str, ...], scale: float = 1.0) -> Path:
    """A throw-away project with the notebooks, the given params files, the questionnaires
    and the demo world (written and ingested) at ``scale``."""
    for name in ("notebooks", "params", "surveys/instruments"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy(notebook, folder / "notebooks")
    for name in params:
        shutil.copy(ROOT / "params" / name, folder / "params")
    for form in (ROOT / "surveys" / "instruments").glob("*.xlsx"):
        shutil.copy(form, folder / "surveys" / "instruments")
    env = {**os.environ, "WORKBENCH_ROOT": str(folder)}
    subprocess.run(
        [str(WORKBENCH), "demo-data", "--scale", str(scale)], check=True, env=env, cwd=folder
    )
    subprocess.run([str(WORKBENCH), "ingest", "demo"], check=True, env=env, cwd=folder)
    return folder


def report_project(tmp: str, report: str) -> Path:
    """:func:`demo_project` at scale 1 in ``tmp`` with the params ``report`` needs."""
    return demo_project(Path(tmp) / "project", ("datasets.yaml", "logframe.yaml", f"{report}.yaml"))


def run_repeatedly(
    root: Path,
    report: str,
    repeat: int,
    options: tuple[str, ...] = (),
    extra_env: dict[str, str] | None = None,
) -> tuple[list[float], list[dict]]:
    """Run ``workbench run REPORT [OPTIONS]`` ``repeat`` times, each in a fresh process with
    ``extra_env`` added to the environment; the wall seconds and the manifest's ``timings``
    of each run."""
    env = {**os.environ, "WORKBENCH_ROOT": str(root), **(extra_env or {})}
    command = [str(WORKBENCH), "run", report, *options, "--no-progress"]
    walls, timings = [], []
    for _ in range(repeat):
        clock = time.perf_counter()
        subprocess.run(command, check=True, env=env, cwd=root, capture_output=True)
        walls.append(time.perf_counter() - clock)
        manifest = json.loads((root / "reports" / report / "latest" / "manifest.json").read_text())
        timings.append(manifest["timings"])
    return walls, timings


def run_record(command: str, repeat: int, walls: list[float]) -> dict:
    """What every report benchmark records first: the command, the demo world's scale, the
    number of runs and their wall seconds (each and median)."""
    return {
        "command": command,
        "demo_scale": 1.0,
        "repeat": repeat,
        **wall_record(walls),
    }


def wall_record(walls: list[float]) -> dict:
    """Each run's wall seconds and their median, to 0.01 s."""
    return {
        "wall_seconds": [round(w, 2) for w in walls],
        "wall_seconds_median": round(statistics.median(walls), 2),
    }


def slowest_cells(notebooks: list[dict], count: int = 3) -> dict:
    """Per notebook language, its ``count`` slowest cells from the manifest."""
    return {
        n["language"]: sorted(n.get("cells", []), key=lambda c: -c.get("seconds", 0))[:count]
        for n in notebooks
    }


def bench_monitoring(repeat: int) -> dict:
    """``workbench run monitoring --period 2023-10`` (both languages, HTML and workbook) on
    the demo world at scale 1, in a fresh process each time; and ``build_report`` alone."""
    with tempfile.TemporaryDirectory() as tmp:
        root = report_project(tmp, "monitoring")
        walls, timings = run_repeatedly(root, "monitoring", repeat, ("--period", "2023-10"))
        env = {**os.environ, "WORKBENCH_ROOT": str(root)}
        child = (
            "import time; from evaluation import monitoring as m; t = time.perf_counter(); "
            "m.build_report(settings=m.MonitoringSettings(period='2023-10')); "
            "print(time.perf_counter() - t)"
        )
        builds = [
            float(
                subprocess.run(
                    [sys.executable, "-c", child],
                    check=True,
                    env=env,
                    cwd=root,
                    capture_output=True,
                    text=True,
                ).stdout.split()[-1]
            )
            for _ in range(repeat)
        ]
    notebooks = timings[-1]["notebooks"]
    command = "workbench run monitoring --period 2023-10 (languages en, sq; html, workbook)"
    return {
        **run_record(command, repeat, walls),
        "notebook_seconds": {n["language"]: n["wall_seconds"] for n in notebooks},
        "render_seconds": timings[-1].get("render_seconds"),
        "build_report_seconds_median": round(statistics.median(builds), 2),
    }


BENCHMARKS: dict[str, Callable[[int], dict]] = {"monitoring": bench_monitoring}
"""Report → benchmark function (called with the number of repeats)."""


def bench_capacity(repeat: int) -> dict:
    """``workbench run capacity`` (both languages, HTML and donor workbook) on the demo world
    at scale 1, in a fresh process each time; the slowest cells from the manifest."""
    with tempfile.TemporaryDirectory() as tmp:
        root = report_project(tmp, "capacity")
        walls, timings = run_repeatedly(root, "capacity", repeat)
    notebooks = timings[-1]["notebooks"]
    return {
        **run_record("workbench run capacity (languages en, sq; html, workbook)", repeat, walls),
        "notebook_seconds": {n["language"]: n["wall_seconds"] for n in notebooks},
        "render_seconds": timings[-1].get("render_seconds"),
        "slowest_cells": slowest_cells(notebooks),
    }


BENCHMARKS["capacity"] = bench_capacity


def bench_endline(repeat: int) -> dict:
    """``workbench run endline`` (both languages, HTML, donor workbook, effects.csv) on the
    demo world at scale 1 with the committed params/endline.yaml, in a fresh process each
    time; per notebook, the analysis cell (``endline.analyse``: the impact plan with its
    wild bootstraps, Lee bounds, indicators) and the other cells. Run as is and with
    ``OPENBLAS_NUM_THREADS=1``: the plan's many small matrix products are slower with
    OpenBLAS's threads than without on this 2-core machine (same numbers either way)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = report_project(tmp, "endline")
        results = {
            name: _time_endline(root, extra, repeat)
            for name, extra in (
                ("default", {}),
                ("openblas_one_thread", {"OPENBLAS_NUM_THREADS": "1"}),
            )
        }
    return {
        "command": "workbench run endline (languages en, sq; html, workbook; params/endline.yaml)",
        "demo_scale": 1.0,
        "repeat": repeat,
        **results,
        "target_seconds_per_notebook": 10,
    }


def _time_endline(root: Path, extra: dict, repeat: int) -> dict:
    walls, timings = run_repeatedly(root, "endline", repeat, extra_env=extra)
    notebooks = [n for t in timings for n in t["notebooks"]]
    analysis = [max(c.get("seconds", 0) for c in n.get("cells", [])) for n in notebooks]
    per_notebook = [n["wall_seconds"] for n in notebooks]
    return {
        "environment": extra,
        **wall_record(walls),
        "notebook_seconds_median": round(statistics.median(per_notebook), 2),
        "analysis_cell_seconds_median": round(statistics.median(analysis), 2),
        "other_cells_seconds_median": round(
            statistics.median(w - a for w, a in zip(per_notebook, analysis, strict=True)), 2
        ),
        "render_seconds": timings[-1].get("render_seconds"),
    }


BENCHMARKS["endline"] = bench_endline


def bench_baseline(repeat: int) -> dict:
    """``workbench run baseline`` (both languages, HTML and donor workbook) on the demo world
    at scale 1 with the committed params/baseline.yaml, in a fresh process each time; per
    notebook its wall time (kernel start included) and the three slowest cells."""
    with tempfile.TemporaryDirectory() as tmp:
        root = report_project(tmp, "baseline")
        walls, timings = run_repeatedly(root, "baseline", repeat)
    notebooks = [n for t in timings for n in t["notebooks"]]
    per_language = {
        language: [n["wall_seconds"] for n in notebooks if n["language"] == language]
        for language in dict.fromkeys(n["language"] for n in notebooks)
    }
    last = timings[-1]["notebooks"]
    return {
        **run_record("workbench run baseline (languages en, sq; html, workbook)", repeat, walls),
        "notebook_seconds": per_language,
        "notebook_seconds_median": round(
            statistics.median(n["wall_seconds"] for n in notebooks), 2
        ),
        "render_seconds": [t.get("render_seconds") for t in timings],
        "slowest_cells": slowest_cells(last),
        "target_seconds_per_notebook": 10,
    }


BENCHMARKS["baseline"] = bench_baseline


# --------------------------------------------------------------------------- make report
BEFORE_COMMIT = "641594d"
"""The last commit before the report speed-up (issue #5): sequential executions, BLAS
threads as the machine sets them, no questionnaire cache."""

MAKE_SEED = "20220203"
MD_RESULTS = HERE / "results" / "reports.md"


def bench_make_report(repeat: int, before: str = BEFORE_COMMIT) -> dict:
    """``make report`` end to end (after setup) for the code at ``before`` and for the
    working tree, alternating ``repeat`` times; then each report alone.

    Each variant runs in a fresh throw-away project (its own notebooks, params,
    questionnaires and Makefile; the shared ``.venv`` linked in) with ``PYTHONPATH``
    pointing at its code, so the command line and the kernels import that code. Wall time
    and CPU time (user + system of make and every process it waited for, kernels included)
    come from ``os.wait4``. In the first round each report is then run alone with
    ``workbench run REPORT`` (the working tree with ``--jobs 1``, so its notebooks run one
    at a time as before) for per-notebook times; the working tree's manifests also give
    each kernel's CPU seconds. The machine's 1-minute load average is recorded before and
    after every measurement: other work on the machine slows wall times, not CPU times.
    """
    variants = {"before": before, "after": None}
    rounds: dict[str, list[dict]] = {name: [] for name in variants}
    alone: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        trees = {
            name: _source_tree(commit, Path(tmp) / f"{name}-code")
            for name, commit in variants.items()
        }
        for index in range(repeat):
            for name in variants:
                project = _make_project(Path(tmp) / f"{name}-{index}", trees[name])
                rounds[name].append(_time_make_report(project, trees[name]))
                if index == 0:
                    alone[name] = _time_reports_alone(project, trees[name], after=name == "after")
    result = {
        "command": "make report (demo-data --scale 1, ingest demo, run all) after setup",
        "before_commit": _describe_commit(before),
        "after": "working tree",
        "repeat": repeat,
        "targets": {"make_report_seconds": 60, "notebook_seconds": 10},
        **{name: {"make_report": runs, "alone": alone[name]} for name, runs in rounds.items()},
        "summary": _summary(rounds, alone),
    }
    MD_RESULTS.write_text(_markdown(result), encoding="utf-8")
    return result


def _source_tree(commit: str | None, folder: Path) -> Path:
    """The code at ``commit`` (``git archive``, read-only) or, for ``None``, this checkout."""
    if commit is None:
        return ROOT
    folder.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def _describe_commit(commit: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%h %s", commit],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or commit


def _make_project(folder: Path, tree: Path) -> Path:
    for name in ("notebooks", "params", "surveys/instruments"):
        shutil.copytree(tree / name, folder / name)
    shutil.copy(tree / "Makefile", folder / "Makefile")
    (folder / ".venv").symlink_to(ROOT / ".venv")
    return folder


def _environment(project: Path, tree: Path) -> dict[str, str]:
    env = {**os.environ, "WORKBENCH_ROOT": str(project)}
    env.pop("WORKBENCH_JOBS", None)
    if tree != ROOT:
        env["PYTHONPATH"] = str(tree)
    else:
        env.pop("PYTHONPATH", None)
    return env


def _timed(command: list[str], cwd: Path, env: dict[str, str]) -> dict:
    """Run ``command``; its wall and CPU seconds (children included) and the load."""
    load = os.getloadavg()[0]
    clock = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=False
    )
    output = process.stdout.read() if process.stdout else b""
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - clock
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{output.decode(errors='replace')}")
    return {
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "load_before": round(load, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "output": output.decode(errors="replace"),
    }


def _time_make_report(project: Path, tree: Path) -> dict:
    # -o: the shared .venv is set up; never reinstall it from a throw-away project
    command = ["make", "-s", "-o", ".venv/.installed", "report", f"SEED={MAKE_SEED}"]
    timed = _timed(command, project, _environment(project, tree))
    output = timed.pop("output")
    published = dict(re.findall(r"^(\w+): published \S+ in ([\d.]+) s", output, re.M))
    timed["report_seconds"] = {name: float(value) for name, value in published.items()}
    timed["notebooks"] = _manifest_notebooks(project)
    return timed


def _time_reports_alone(project: Path, tree: Path, *, after: bool) -> dict:
    env = _environment(project, tree)
    reports = {}
    for report in ("quality", "baseline", "endline", "capacity", "monitoring"):
        command = [str(WORKBENCH), "run", report, "--no-progress"]
        if after:
            command += ["--jobs", "1"]
        timed = _timed(command, project, env)
        timed.pop("output")
        timed["notebooks"] = _manifest_notebooks(project, (report,))[report]
        reports[report] = timed
    return reports


def _manifest_notebooks(project: Path, reports: tuple[str, ...] | None = None) -> dict:
    """Per report: wall seconds (and kernel CPU seconds, where recorded) per language."""
    found = {}
    for report in reports or ("quality", "baseline", "endline", "capacity", "monitoring"):
        manifest = json.loads(
            (project / "reports" / report / "latest" / "manifest.json").read_text("utf-8")
        )
        found[report] = {
            n["language"]: {
                "wall_seconds": n["wall_seconds"],
                "kernel_cpu_seconds": n.get("kernel_cpu_seconds"),
            }
            for n in manifest["timings"]["notebooks"]
        }
    return found


def _summary(rounds: dict[str, list[dict]], alone: dict[str, dict]) -> dict:
    def median(values: list[float]) -> float:
        return round(statistics.median(values), 2)

    summary: dict[str, dict] = {}
    for name, runs in rounds.items():
        notebook_walls = [
            n["wall_seconds"] for r in alone[name].values() for n in r["notebooks"].values()
        ]
        summary[name] = {
            "make_report_wall_median": median([r["wall_seconds"] for r in runs]),
            "make_report_cpu_median": median([r["cpu_seconds"] for r in runs]),
            "load_median": median([r["load_before"] for r in runs]),
            "slowest_notebook_alone": max(notebook_walls),
        }
    return summary


def _markdown(result: dict) -> str:
    before, after = result["before"], result["after"]
    lines = [
        "# `make report`: before and after the speed-up (issue #5)",
        "",
        f"Before: `{result['before_commit']}`. After: the working tree. "
        f"{os.cpu_count()} CPUs; {result['repeat']} alternating round(s), medians shown. "
        "Load = 1-minute load average when the run started (other work on the machine "
        "slows wall times; CPU times are user + system of every process, kernels included).",
        "",
        "## End to end: `make report` after setup (targets: < 60 s)",
        "",
        "| | wall (s) | CPU (s) | load | runs (wall s) |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for name in ("before", "after"):
        runs = result[name]["make_report"]
        s = result["summary"][name]
        walls = ", ".join(f"{r['wall_seconds']:.1f}" for r in runs)
        lines.append(
            f"| {name} | {s['make_report_wall_median']:.1f} | {s['make_report_cpu_median']:.1f}"
            f" | {s['load_median']:.2f} | {walls} |"
        )
    lines += [
        "",
        "## Per report and notebook (targets: < 10 s per notebook)",
        "",
        "Each report run alone (`workbench run REPORT`; after: `--jobs 1`, one notebook at a "
        "time as before), first round. Report wall and CPU include kernel start-up, HTML "
        "and manifest; *in make report* is the notebook's wall time inside `make report` "
        "(after: two notebooks at once on 2 cores).",
        "",
        "| report | notebook | before wall (s) | after wall (s) | after kernel CPU (s) "
        "| in make report, before (s) | in make report, after (s) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    in_make = {name: result[name]["make_report"][0]["notebooks"] for name in ("before", "after")}
    for report, timed in after["alone"].items():
        old = before["alone"][report]
        for language, notebook in timed["notebooks"].items():
            old_notebook = old["notebooks"].get(language, {})
            lines.append(
                f"| {report} | {language} | {old_notebook.get('wall_seconds', float('nan')):.1f}"
                f" | {notebook['wall_seconds']:.1f} | {_number(notebook['kernel_cpu_seconds'])}"
                f" | {in_make['before'][report][language]['wall_seconds']:.1f}"
                f" | {in_make['after'][report][language]['wall_seconds']:.1f} |"
            )
        lines.append(
            f"| {report} | whole report: wall / CPU | {old['wall_seconds']:.1f} / "
            f"{old['cpu_seconds']:.1f} | {timed['wall_seconds']:.1f} / "
            f"{timed['cpu_seconds']:.1f} | | | |"
        )
    lines.append("")
    return "\n".join(lines)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


BENCHMARKS["make_report"] = bench_make_report


def write_result(report: str, result: dict) -> None:
    """Replace ``report``'s entry of ``reports.json`` (read-modify-write by key)."""
    data = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.is_file() else {}
    data[report] = result
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    temporary = RESULTS.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    temporary.replace(RESULTS)


def machine() -> dict:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (None,)
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_1min": round(load[0], 2) if load[0] is not None else None,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="*", metavar="REPORT", help=", ".join(BENCHMARKS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--before",
        default=BEFORE_COMMIT,
        metavar="COMMIT",
        help=f"make_report: the code to compare the working tree with (default {BEFORE_COMMIT})",
    )
    args = parser.parse_args()
    unknown = [r for r in args.reports if r not in BENCHMARKS]
    if unknown:
        parser.error(f"no benchmark for {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    for report in args.reports or list(BENCHMARKS):
        before = machine()
        if report == "make_report":
            result = bench_make_report(args.repeat, args.before)
        else:
            result = BENCHMARKS[report](args.repeat)
        result["machine"] = {**before, "load_average_1min_after": machine()["load_average_1min"]}
        write_result(report, result)
        print(json.dumps({report: result}, indent=2))


if __name__ == "__main__":
    main()
