"""Speed and memory of ``workbench ingest`` on the demo world at scale 100.

Generates the demo world (``workbench demo-data --scale 100``, about 120,000 students per
wave: a 120,000-row Kobo CSV baseline and a 100,000-row SPSS endline, plus the five other
instruments) under ``benchmarks/work/ingest/raw`` (reused when it is already there at that
scale), writes a datasets YAML pointing at it (the project's ``params/datasets.yaml`` with
only the folders changed), and runs the whole ingest in a fresh subprocess, so the peak
memory is the ingest's own. The child also times every ``read_export`` call, to separate
the readers' share from the ingestion pipeline's (mapping, typing, duplicates, validation,
flags, design join, privacy, writing).

Target (issue 3): under 30 s and under 2 GB peak memory on the 2-core machine.

Results go to ``benchmarks/results/ingest.json`` and ``benchmarks/results/ingest.md``.

Usage: ``.venv/bin/python benchmarks/bench_ingest.py [--scale K] [--repeat R]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from _common import machine_and_load, write_results

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work" / "ingest"
TARGET_SECONDS = 30.0
TARGET_PEAK_MB = 2048.0

_CHILD = """
import json, resource, sys, time
from pathlib import Path
import evaluation.ingest.design as design
import evaluation.ingest.table as table
from evaluation.ingest import ingest_dataset

reads = []
def timed(read):
    def wrapper(path, **options):
        start = time.perf_counter()
        raw = read(path, **options)
        reads.append({"file": Path(path).name, "seconds": time.perf_counter() - start,
                      "rows": raw.rows_read, "format": raw.format})
        return raw
    return wrapper
table.read_export = timed(table.read_export)
design.read_export = timed(design.read_export)

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start, cpu_start = time.perf_counter(), cpu()
result = ingest_dataset("demo", config_file=Path(sys.argv[1]))
seconds, cpu_seconds = time.perf_counter() - start, cpu() - cpu_start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
files = result.log["files"]
print(json.dumps({
    "seconds": seconds, "cpu_seconds": cpu_seconds, "peak_mb": peak / 1024,
    "import_mb": base / 1024, "reads": reads,
    "rows_read": sum(f["rows_read"] for f in files),
    "rows_accepted": sum(f["rows_accepted"] for f in files),
    "rows_quarantined": sum(f["rows_quarantined"] for f in files),
    "reconciled": all(f["rows_read"] == f["rows_accepted"] + f["rows_quarantined"] for f in files),
    "lines": result.lines(),
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=100.0)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    raw = _demo_world(args.scale)
    config = _datasets_yaml(raw)
    load_start = os.getloadavg()[0]
    runs = [_run(config) for _ in range(args.repeat)]
    result = _summarise(runs, args.scale, raw, load_start)
    # the default scale (100, the target) keeps the plain name; others get their own
    stem = "ingest" if args.scale == 100 else f"ingest_scale{args.scale:g}"
    write_results(stem, result, _markdown(result))
    print(_markdown(result))


def _demo_world(scale: float) -> Path:
    raw = WORK / "raw"
    truth = raw / "truth.json"
    if truth.is_file() and json.loads(truth.read_text(encoding="utf-8")).get("scale") == scale:
        return raw
    WORK.mkdir(parents=True, exist_ok=True)
    workbench = Path(sys.executable).parent / "workbench"
    subprocess.run(
        [str(workbench), "demo-data", "--scale", str(scale), "--out", str(raw)], check=True
    )
    return raw


def _datasets_yaml(raw: Path) -> Path:
    text = (ROOT / "params" / "datasets.yaml").read_text(encoding="utf-8")
    text = text.replace("raw_dir: surveys/data/demo/raw", f"raw_dir: {raw}")
    text = text.replace("clean_dir: surveys/data/demo/clean", f"clean_dir: {WORK / 'clean'}")
    path = WORK / "datasets.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(config: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(config)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _summarise(runs: list[dict], scale: float, raw: Path, load_start: float) -> dict:
    seconds = [r["seconds"] for r in runs]
    reading = [sum(x["seconds"] for x in r["reads"]) for r in runs]
    last = runs[-1]
    return {
        "benchmark": "workbench ingest demo (evaluation.ingest.ingest_dataset)",
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": machine_and_load(load_start),
        "scale": scale,
        "files": {x["file"]: {"rows": x["rows"], "format": x["format"]} for x in last["reads"]},
        "rows_read": last["rows_read"],
        "rows_accepted": last["rows_accepted"],
        "rows_quarantined": last["rows_quarantined"],
        "reconciled": all(r["reconciled"] for r in runs),
        "seconds_median": round(statistics.median(seconds), 2),
        "seconds_all": [round(s, 2) for s in seconds],
        "seconds_min": round(min(seconds), 2),
        "cpu_seconds_median": round(statistics.median(r["cpu_seconds"] for r in runs), 2),
        "reading_seconds_median": round(statistics.median(reading), 2),
        "ingest_without_reading_seconds_median": round(
            statistics.median(s - r for s, r in zip(seconds, reading, strict=True)), 2
        ),
        "reading_seconds_by_file": {
            name: round(
                statistics.median(
                    x["seconds"] for r in runs for x in r["reads"] if x["file"] == name
                ),
                2,
            )
            for name in (x["file"] for x in last["reads"])
        },
        "peak_rss_mb": round(max(r["peak_mb"] for r in runs)),
        "rss_after_import_mb": round(last["import_mb"]),
        "target": {"seconds": TARGET_SECONDS, "peak_rss_mb": TARGET_PEAK_MB},
        "meets_target": statistics.median(seconds) < TARGET_SECONDS
        and max(r["peak_mb"] for r in runs) < TARGET_PEAK_MB,
        "output": last["lines"],
    }


def _markdown(result: dict) -> str:
    lines = [
        f"# Ingest benchmark: demo world at scale {result['scale']:g}",
        "",
        f"{result['rows_read']:,} rows read, {result['rows_accepted']:,} accepted, "
        f"{result['rows_quarantined']:,} quarantined (reconciled: {result['reconciled']}); "
        f"{result['machine']['cpus']} CPUs, load {result['machine']['load_average_1m_at_start']}.",
        "",
        "| measure | value | target |",
        "| --- | --- | --- |",
        f"| wall time, whole ingest (median of {len(result['seconds_all'])}) | "
        f"{result['seconds_median']} s | < {TARGET_SECONDS:g} s |",
        f"| wall time, fastest run | {result['seconds_min']} s | |",
        f"| of which reading the files (`read_export`) | {result['reading_seconds_median']} s | |",
        f"| of which ingestion proper | {result['ingest_without_reading_seconds_median']} s | |",
        f"| CPU time | {result['cpu_seconds_median']} s | |",
        f"| peak RSS | {result['peak_rss_mb']} MB | < {TARGET_PEAK_MB:g} MB |",
        "",
        "| file | rows | format | read_export s (median) |",
        "| --- | --- | --- | --- |",
    ]
    for name, info in result["files"].items():
        seconds = result["reading_seconds_by_file"][name]
        lines.append(f"| {name} | {info['rows']:,} | {info['format']} | {seconds} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
