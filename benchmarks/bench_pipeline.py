"""What the run/publish machinery costs on top of a notebook's own work.

Runs a tiny report notebook (one table, one figure) through ``run_report`` in a throw-away
project, in one language and in two, and renders a large executed notebook to HTML. Writes
``benchmarks/results/pipeline.json``. Usage: ``.venv/bin/python benchmarks/bench_pipeline.py``.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from _common import write_results

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from test_pipeline import make_project  # noqa: E402  (the tests' tiny notebook)

from evaluation.pipeline import run_report  # noqa: E402
from evaluation.report.html import PageInfo, render_html  # noqa: E402

REPEATS = 3


def time_runs(root: Path, overrides: dict) -> dict:
    walls, executes, renders = [], [], []
    for _ in range(REPEATS):
        run = run_report("quality", overrides=overrides, root=root, progress=False)
        manifest = json.loads(run.manifest.read_text(encoding="utf-8"))
        walls.append(run.seconds)
        executes.append(sum(n["wall_seconds"] for n in manifest["timings"]["notebooks"]))
        renders.append(manifest["timings"]["render_seconds"])
    return {
        "wall_seconds_median": sorted(walls)[len(walls) // 2],
        "execute_seconds_median": sorted(executes)[len(executes) // 2],
        "render_seconds_median": sorted(renders)[len(renders) // 2],
        "overhead_seconds_median": sorted(w - e for w, e in zip(walls, executes, strict=True))[
            len(walls) // 2
        ],
    }


def big_notebook(tables: int, rows: int) -> nbformat.NotebookNode:
    row = "<tr>" + "".join(f"<td>{i}.123</td>" for i in range(8)) + "</tr>"
    table = f"<table><thead><tr>{'<th>c</th>' * 8}</tr></thead><tbody>{row * rows}</tbody></table>"
    cells = []
    for i in range(tables):
        cells.append(nbformat.v4.new_markdown_cell(f"## Section {i}"))
        cell = nbformat.v4.new_code_cell("t")
        cell.outputs = [
            nbformat.from_dict(
                {
                    "output_type": "execute_result",
                    "execution_count": i,
                    "metadata": {},
                    "data": {"text/html": table, "text/plain": "t"},
                }
            )
        ]
        cells.append(cell)
    return nbformat.v4.new_notebook(cells=cells)


def time_render(tables: int, rows: int) -> dict:
    nb = big_notebook(tables, rows)
    info = PageInfo("baseline", "sq", "run", "2026-10-28T10:15:30Z")
    start = time.perf_counter()
    page = render_html(nb, info)
    return {
        "tables": tables,
        "rows_per_table": rows,
        "seconds": round(time.perf_counter() - start, 3),
        "html_bytes": len(page.encode("utf-8")),
    }


def import_seconds() -> float:
    code = "import time; t = time.perf_counter(); import evaluation.pipeline; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return round(float(out.stdout), 3)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = make_project(Path(folder))
        results = {
            "machine": {"python": platform.python_version(), "processor": platform.machine()},
            "repeats": REPEATS,
            "run_one_language": time_runs(root, {"languages": ["en"]}),
            "run_two_languages": time_runs(root, {"languages": ["en", "sq"]}),
            "render_warm_up": time_render(tables=1, rows=1),
            "render_typical": time_render(tables=30, rows=20),
            "render_large": time_render(tables=40, rows=200),
            "import_evaluation_pipeline_seconds": import_seconds(),
        }
    write_results("pipeline", results)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
