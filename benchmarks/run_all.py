"""Run every benchmark in ``benchmarks/`` one after another (``make bench``).

Each ``bench_*.py`` runs in its own process with its default sizes and writes its results
to ``benchmarks/results/``; this script only sequences them, times each and prints a
summary. A failing benchmark is reported and the others still run; the exit status is 1
if any failed.

Usage: ``.venv/bin/python benchmarks/run_all.py [NAME ...]`` where NAME is a benchmark
without its ``bench_`` prefix (``survey``, ``ingest`` ...); default all. Several take
minutes each (the scale-100 demo world, 10⁶-row surveys, ``make report`` before and after).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> dict[str, Path]:
    """Benchmark name → script, in alphabetical order."""
    return {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}


def run(name: str, script: Path) -> tuple[int, float]:
    """Run one benchmark script; its exit status and wall seconds."""
    command = [sys.executable, str(script)]
    print(f"== {name}: {' '.join(command[1:])}", flush=True)
    start = time.perf_counter()
    status = subprocess.run(command, cwd=HERE.parent, check=False).returncode
    return status, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    scripts = available()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(scripts))
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in scripts]
    if unknown:
        parser.error(f"no benchmark {', '.join(unknown)}; choose from {', '.join(scripts)}")
    results = {n: run(n, scripts[n]) for n in args.names or scripts}
    print("\nbenchmark            status   wall s")
    for name, (status, seconds) in results.items():
        print(f"{name:<20} {'ok' if status == 0 else f'exit {status}':<8} {seconds:7.1f}")
    print(f"results in {HERE / 'results'}")
    return int(any(status for status, _ in results.values()))


if __name__ == "__main__":
    sys.exit(main())
