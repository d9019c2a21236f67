"""Wall time and peak memory of ``workbench demo-data`` at several scales.

Each scale runs the ``workbench`` console script as a child process. Peak memory is the
child's own maximum resident set size, read from ``os.wait4`` (the kernel's rusage for
that one process), so earlier runs do not pollute it. The demo world is written to a
temporary folder under ``benchmarks/work/`` and deleted afterwards. Results go to
``benchmarks/results/demo_data.json`` and are printed as a markdown table. The load
average is recorded too: on a shared machine it explains slow wall times, while CPU time
does not depend on it.

Usage: ``.venv/bin/python benchmarks/bench_demo_data.py [--scales 1 100] [--seed S]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
RESULTS = HERE / "results" / "demo_data.json"
LIMIT_SECONDS_AT_100 = 60.0


def workbench_command() -> list[str]:
    """The ``workbench`` script next to this Python, or ``python -m evaluation.cli``."""
    script = Path(sys.executable).with_name("workbench")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "evaluation.cli"]


def run_once(scale: float, seed: int) -> dict[str, object]:
    """Run ``workbench demo-data`` once; return times, peak memory and output size."""
    WORK.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="demo-", dir=WORK))
    out = folder / "raw"
    cmd = [*workbench_command(), "demo-data", "--scale", str(scale), "--seed", str(seed),
           "--out", str(out)]  # fmt: skip
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    started = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    stdout = child.stdout.read().decode() if child.stdout else ""
    stderr = child.stderr.read().decode() if child.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"demo-data failed at scale {scale}:\n{stderr}")
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    files = {name: info["rows"] for name, info in truth["files"].items()}
    size = sum(p.stat().st_size for p in out.iterdir())
    shutil.rmtree(folder)
    return {
        "scale": scale,
        "seed": seed,
        "wall_seconds": round(wall, 2),
        "cpu_user_seconds": round(usage.ru_utime, 2),
        "cpu_system_seconds": round(usage.ru_stime, 2),
        # ru_maxrss is in kilobytes on Linux and in bytes on macOS
        "peak_rss_mb": round(usage.ru_maxrss / (1024 if sys.platform != "darwin" else 2**20), 1),
        "students_baseline_rows": files.get("youth_survey_baseline.csv"),
        "students_endline_rows": files.get("youth_survey_endline.sav"),
        "output_mb": round(size / 2**20, 1),
        "rows_per_file": files,
        "load_average_at_start": round(load, 2) if load is not None else None,
        "summary": stdout.strip().splitlines()[0] if stdout else "",
    }


def markdown(results: list[dict[str, object]]) -> str:
    """The results as a markdown table."""
    lines = [
        "| scale | baseline rows | endline rows | output MB | wall s | CPU s | peak RSS MB "
        "| load avg |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        cpu = float(r["cpu_user_seconds"]) + float(r["cpu_system_seconds"])
        lines.append(
            f"| {r['scale']:g} | {r['students_baseline_rows']:,} | {r['students_endline_rows']:,} "
            f"| {r['output_mb']} | {r['wall_seconds']} | {cpu:.1f} | {r['peak_rss_mb']} "
            f"| {r['load_average_at_start']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 100.0])
    parser.add_argument("--seed", type=int, default=20220203)
    args = parser.parse_args(argv)
    results = [run_once(scale, args.seed) for scale in args.scales]
    record = {
        "benchmark": "workbench demo-data",
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "limit_seconds_at_scale_100": LIMIT_SECONDS_AT_100,
        "results": results,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(markdown(results))
    print(f"\nwritten to {RESULTS.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
