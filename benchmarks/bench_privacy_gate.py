"""Time of the disclosure gate (``evaluation.privacy.check_outgoing``) on the demo monitoring run.

The run folder is the project's ``reports/monitoring/latest`` (left by ``make report``); if
there is none, a demo world at ``--scale`` is written, ingested and the monitoring report run
in a throw-away project under ``benchmarks/work/gate/`` (reused when already there). The
files checked are those the scheduler sends for a job with both languages and both formats:
``report.<lang>.html``, ``workbook.<lang>.xlsx`` and ``summary.<lang>.json``.

Timed, in this process, median of ``--repeat`` runs (wall and CPU seconds):

* ``project_forbidden`` the first time (reads the six questionnaires) and again (cached);
* ``check_outgoing`` on the run's outgoing files, the scheduler's call.

Results go to ``benchmarks/results/privacy_gate.json`` and ``.md``.

Usage: ``.venv/bin/python benchmarks/bench_privacy_gate.py [--repeat 5] [--scale 1]``
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
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work" / "gate"
RESULTS = HERE / "results"

_SETUP = """
import os, sys
from pathlib import Path
root, scale = Path(sys.argv[1]), float(sys.argv[2])
os.environ["WORKBENCH_ROOT"] = str(root)
from evaluation import pipeline
from evaluation.ingest import ingest_dataset
from evaluation.synth import write_demo_world
write_demo_world(root / "surveys" / "data" / "demo" / "raw", scale=scale)
ingest_dataset("demo", root=root)
pipeline.run_report("monitoring", root=root, progress=False)
"""


def run_folder(scale: float) -> Path:
    """The demo monitoring run: the project's latest, else one made under ``WORK``."""
    for root in (ROOT, WORK):
        latest = root / "reports" / "monitoring" / "latest"
        if (latest / "report.en.html").is_file():
            return latest.resolve()
    for folder in ("notebooks", "params", "surveys/instruments"):
        (WORK / folder).mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "notebooks" / "40_monitoring.ipynb", WORK / "notebooks")
    for name in ("datasets.yaml", "monitoring.yaml", "logframe.yaml"):
        shutil.copy(ROOT / "params" / name, WORK / "params")
    for form in (ROOT / "surveys" / "instruments").glob("*.xlsx"):
        shutil.copy(form, WORK / "surveys" / "instruments")
    command = [sys.executable, "-c", _SETUP, str(WORK), str(scale)]
    subprocess.run(command, check=True, cwd=ROOT)
    return (WORK / "reports" / "monitoring" / "latest").resolve()


def timed(function, repeat: int) -> tuple[float, float, object]:
    """Median wall and CPU seconds of ``repeat`` calls, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    folder = run_folder(args.scale)
    from evaluation.privacy.gate import check_outgoing, project_forbidden

    names = [
        f"{kind}.{lang}.{ext}"
        for lang in ("en", "sq")
        for kind, ext in (("report", "html"), ("workbook", "xlsx"), ("summary", "json"))
    ]
    files = [folder / n for n in names if (folder / n).is_file()]
    cold_wall, cold_cpu, forbidden = timed(lambda: project_forbidden(ROOT), 1)
    warm_wall, _, _ = timed(lambda: project_forbidden(ROOT), args.repeat)
    gate_wall, gate_cpu, verdict = timed(
        lambda: check_outgoing(files, forbidden=forbidden), args.repeat
    )
    result = {
        "benchmark": "evaluation.privacy.check_outgoing on the demo monitoring run",
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_1m": round(os.getloadavg()[0], 2),
        },
        "run_folder": str(folder),
        "files": {p.name: p.stat().st_size for p in files},
        "repeat": args.repeat,
        "forbidden_names": len(forbidden),
        "project_forbidden_first_wall_s": round(cold_wall, 3),
        "project_forbidden_first_cpu_s": round(cold_cpu, 3),
        "project_forbidden_cached_wall_s": round(warm_wall, 5),
        "check_outgoing_wall_s": round(gate_wall, 3),
        "check_outgoing_cpu_s": round(gate_cpu, 3),
        "passed": verdict.passed,
        "findings": len(verdict.findings),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "privacy_gate.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "privacy_gate.md").write_text(markdown(result))
    print(markdown(result))


def markdown(result: dict) -> str:
    total = sum(result["files"].values()) / 1024
    lines = [
        "# Disclosure gate on the demo monitoring run",
        "",
        f"{result['date']}; {result['machine']['cpus']} CPUs, Python "
        f"{result['machine']['python']}, load average {result['machine']['load_average_1m']}.",
        f"Run folder `{Path(result['run_folder']).name}`: {len(result['files'])} files, "
        f"{total:.0f} KB; verdict: {'passed' if result['passed'] else 'blocked'} "
        f"({result['findings']} findings); median of {result['repeat']} runs.",
        "",
        "| step | wall s | CPU s |",
        "| --- | --- | --- |",
        f"| `project_forbidden` (six questionnaires, first call) | "
        f"{result['project_forbidden_first_wall_s']} | {result['project_forbidden_first_cpu_s']} |",
        f"| `project_forbidden` (cached) | {result['project_forbidden_cached_wall_s']} | |",
        f"| `check_outgoing` ({len(result['files'])} files) | "
        f"{result['check_outgoing_wall_s']} | {result['check_outgoing_cpu_s']} |",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
