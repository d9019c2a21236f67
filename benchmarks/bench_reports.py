"""Wall time of the report runs (``workbench run <report>``) on the demo world.

Each report adds a function to :data:`BENCHMARKS` (report name → function returning a JSON
mapping). Results go to ``benchmarks/results/reports.json``, one key per report: the file is
read, the report's key replaced and the file written back, so reports benchmarked by
different people at different times live side by side.

Usage: ``.venv/bin/python benchmarks/bench_reports.py [REPORT ...] [--repeat R]``
(default: every report of :data:`BENCHMARKS`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
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


def bench_monitoring(repeat: int) -> dict:
    """``workbench run monitoring --period 2023-10`` (both languages, HTML and workbook) on
    the demo world at scale 1, in a fresh process each time; and ``build_report`` alone."""
    with tempfile.TemporaryDirectory() as tmp:
        root = demo_project(
            Path(tmp) / "project", ("datasets.yaml", "logframe.yaml", "monitoring.yaml")
        )
        env = {**os.environ, "WORKBENCH_ROOT": str(root)}
        command = [str(WORKBENCH), "run", "monitoring", "--period", "2023-10", "--no-progress"]
        walls, cells = [], []
        for _ in range(repeat):
            clock = time.perf_counter()
            subprocess.run(command, check=True, env=env, cwd=root, capture_output=True)
            walls.append(time.perf_counter() - clock)
            manifest = json.loads(
                (root / "reports" / "monitoring" / "latest" / "manifest.json").read_text()
            )
            cells.append(manifest["timings"])
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
    notebooks = cells[-1]["notebooks"]
    return {
        "command": "workbench run monitoring --period 2023-10 (languages en, sq; html, workbook)",
        "demo_scale": 1.0,
        "repeat": repeat,
        "wall_seconds": [round(w, 2) for w in walls],
        "wall_seconds_median": round(statistics.median(walls), 2),
        "notebook_seconds": {n["language"]: n["wall_seconds"] for n in notebooks},
        "render_seconds": cells[-1].get("render_seconds"),
        "build_report_seconds_median": round(statistics.median(builds), 2),
    }


BENCHMARKS: dict[str, Callable[[int], dict]] = {"monitoring": bench_monitoring}
"""Report → benchmark function (called with the number of repeats)."""


def bench_capacity(repeat: int) -> dict:
    """``workbench run capacity`` (both languages, HTML and donor workbook) on the demo world
    at scale 1, in a fresh process each time; the slowest cells from the manifest."""
    with tempfile.TemporaryDirectory() as tmp:
        root = demo_project(
            Path(tmp) / "project", ("datasets.yaml", "logframe.yaml", "capacity.yaml")
        )
        env = {**os.environ, "WORKBENCH_ROOT": str(root)}
        command = [str(WORKBENCH), "run", "capacity", "--no-progress"]
        walls, timings = [], []
        for _ in range(repeat):
            clock = time.perf_counter()
            subprocess.run(command, check=True, env=env, cwd=root, capture_output=True)
            walls.append(time.perf_counter() - clock)
            manifest = json.loads(
                (root / "reports" / "capacity" / "latest" / "manifest.json").read_text()
            )
            timings.append(manifest["timings"])
    notebooks = timings[-1]["notebooks"]
    return {
        "command": "workbench run capacity (languages en, sq; html, workbook)",
        "demo_scale": 1.0,
        "repeat": repeat,
        "wall_seconds": [round(w, 2) for w in walls],
        "wall_seconds_median": round(statistics.median(walls), 2),
        "notebook_seconds": {n["language"]: n["wall_seconds"] for n in notebooks},
        "render_seconds": timings[-1].get("render_seconds"),
        "slowest_cells": {
            n["language"]: sorted(n.get("cells", []), key=lambda c: -c.get("seconds", 0))[:3]
            for n in notebooks
        },
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
        root = demo_project(
            Path(tmp) / "project", ("datasets.yaml", "logframe.yaml", "endline.yaml")
        )
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
    env = {**os.environ, "WORKBENCH_ROOT": str(root), **extra}
    command = [str(WORKBENCH), "run", "endline", "--no-progress"]
    walls, timings = [], []
    for _ in range(repeat):
        clock = time.perf_counter()
        subprocess.run(command, check=True, env=env, cwd=root, capture_output=True)
        walls.append(time.perf_counter() - clock)
        manifest = json.loads(
            (root / "reports" / "endline" / "latest" / "manifest.json").read_text()
        )
        timings.append(manifest["timings"])
    notebooks = [n for t in timings for n in t["notebooks"]]
    analysis = [max(c.get("seconds", 0) for c in n.get("cells", [])) for n in notebooks]
    per_notebook = [n["wall_seconds"] for n in notebooks]
    return {
        "environment": extra,
        "wall_seconds": [round(w, 2) for w in walls],
        "wall_seconds_median": round(statistics.median(walls), 2),
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
        root = demo_project(
            Path(tmp) / "project", ("datasets.yaml", "logframe.yaml", "baseline.yaml")
        )
        env = {**os.environ, "WORKBENCH_ROOT": str(root)}
        command = [str(WORKBENCH), "run", "baseline", "--no-progress"]
        walls, timings = [], []
        for _ in range(repeat):
            clock = time.perf_counter()
            subprocess.run(command, check=True, env=env, cwd=root, capture_output=True)
            walls.append(time.perf_counter() - clock)
            manifest = json.loads(
                (root / "reports" / "baseline" / "latest" / "manifest.json").read_text()
            )
            timings.append(manifest["timings"])
    notebooks = [n for t in timings for n in t["notebooks"]]
    per_language = {
        language: [n["wall_seconds"] for n in notebooks if n["language"] == language]
        for language in dict.fromkeys(n["language"] for n in notebooks)
    }
    last = timings[-1]["notebooks"]
    return {
        "command": "workbench run baseline (languages en, sq; html, workbook)",
        "demo_scale": 1.0,
        "repeat": repeat,
        "wall_seconds": [round(w, 2) for w in walls],
        "wall_seconds_median": round(statistics.median(walls), 2),
        "notebook_seconds": per_language,
        "notebook_seconds_median": round(
            statistics.median(n["wall_seconds"] for n in notebooks), 2
        ),
        "render_seconds": [t.get("render_seconds") for t in timings],
        "slowest_cells": {
            n["language"]: sorted(n.get("cells", []), key=lambda c: -c.get("seconds", 0))[:3]
            for n in last
        },
        "target_seconds_per_notebook": 10,
    }


BENCHMARKS["baseline"] = bench_baseline


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
    args = parser.parse_args()
    unknown = [r for r in args.reports if r not in BENCHMARKS]
    if unknown:
        parser.error(f"no benchmark for {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    for report in args.reports or list(BENCHMARKS):
        before = machine()
        result = BENCHMARKS[report](args.repeat)
        result["machine"] = {**before, "load_average_1min_after": machine()["load_average_1min"]}
        write_result(report, result)
        print(json.dumps({report: result}, indent=2))


if __name__ == "__main__":
    main()
