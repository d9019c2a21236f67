"""Speed and memory of evaluation.readers.read_export on a large Kobo-style CSV export.

Writes a synthetic KoboToolbox CSV (``;``, every field quoted, ``\\r\\n``; 120,000 rows ×
250 columns, about 150 MB) under ``benchmarks/work/`` and times ``read_export`` on it in
fresh subprocesses (so peak memory is the reader's own), for the three CSV paths:

* ``fast``: well-formed, one record per line (pyarrow only);
* ``multiline``: one free-text answer holds a line break, so line numbers need a scan;
* ``ragged``: 120 rows have an extra field; pyarrow sets them aside, the ``csv`` module
  reads them and they are put back in place;
* ``short``: every row lacks its last field (as ODK Central's 2019 exports): the rows
  are parsed again with their own field count and the missing column added;
* ``many_ragged``: every 10th row has an extra field (12,000 rows, more than
  ``PATCH_LIMIT``), so the whole file is read record by record (careful path);

and for an XLSX export of 20,000 rows × 50 columns (openpyxl, read-only). Results go to
``benchmarks/results/readers.json`` and are printed as a table.

Usage: ``.venv/bin/python benchmarks/bench_readers.py [--rows N] [--repeat R]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _common import machine_and_load

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
RESULTS = HERE / "results" / "readers.json"
VALUES = np.array(
    [
        "1",
        "2",
        "3",
        "yes",
        "no",
        "",
        "",
        "",
        "Elbasan",
        "Tiranë",
        "çka",
        "0",
        "12",
        "99",
        "2023-05-01",
        "a b c",
        "f",
        "m",
        "4.5",
    ],
    dtype=object,
)

_CHILD = """
import json, resource, sys, time
from evaluation.readers import read_export
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start, cpu_start = time.perf_counter(), cpu()
raw = read_export(sys.argv[1], na_values=["NA", "999"])
seconds, cpu_seconds = time.perf_counter() - start, cpu() - cpu_start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds,
                  "peak_mb": peak / 1024, "import_mb": base / 1024,
                  "rows": raw.rows_read, "columns": raw.frame.shape[1], "reader": raw.reader,
                  "format": raw.format}))
"""


def write_kobo_csv(path: Path, rows: int, columns: int, variant: str, seed: int = 1) -> None:
    """A Kobo-style CSV; ``variant`` plants a multi-line value or a ragged row mid-file."""
    rng = np.random.default_rng(seed)
    names = [f"grp/q{j}" for j in range(columns - 3)] + ["_id", "_uuid", "_submission_time"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(";".join(f'"{n}"' for n in names) + "\r\n")
        for i in range(rows):
            row = list(VALUES[rng.integers(0, len(VALUES), columns - 3)])
            row += [str(i + 1), f"uuid-{i:08d}", "2023-05-01T09:00:00"]
            if i == rows // 2 and variant == "multiline":
                row[0] = "first line\r\nsecond line"
            if i % 1000 == 500 and variant == "ragged":
                row.append("extra")
            if i % 10 == 5 and variant == "many_ragged":
                row.append("extra")
            if variant == "short":
                row.pop()
            handle.write(";".join(f'"{v}"' for v in row) + "\r\n")


def write_xlsx(path: Path, rows: int, columns: int, seed: int = 2) -> None:
    import openpyxl

    rng = np.random.default_rng(seed)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("main")
    sheet.append([f"q{j}" for j in range(columns - 2)] + ["_uuid", "_index"])
    for i in range(rows):
        row = [int(v) if v.isdigit() else v for v in VALUES[rng.integers(0, 12, columns - 2)]]
        sheet.append([*row, f"uuid-{i:08d}", i + 1])
    book.save(path)


def measure(path: Path, repeat: int) -> dict[str, object]:
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=True
        )
        runs.append(json.loads(out.stdout))
    seconds = [r["seconds"] for r in runs]
    return {
        **{k: runs[0][k] for k in ("rows", "columns", "reader", "format")},
        "file_mb": round(path.stat().st_size / 2**20, 1),
        "seconds_median": round(statistics.median(seconds), 2),
        "seconds_all": [round(s, 2) for s in seconds],
        "cpu_seconds_median": round(statistics.median(r["cpu_seconds"] for r in runs), 2),
        "peak_rss_mb": round(max(r["peak_mb"] for r in runs)),
        "rss_after_import_mb": round(runs[0]["import_mb"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=120_000)
    parser.add_argument("--columns", type=int, default=250)
    parser.add_argument("--xlsx-rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    load_at_start = os.getloadavg()[0]
    cases = {}
    for variant in ("fast", "multiline", "ragged", "short", "many_ragged"):
        path = WORK / f"kobo_{variant}.csv"
        if not path.exists():
            write_kobo_csv(path, args.rows, args.columns, variant)
        cases[f"csv_{variant}"] = measure(path, args.repeat)
        print(variant, cases[f"csv_{variant}"], flush=True)
    xlsx = WORK / "kobo_main.xlsx"
    if not xlsx.exists():
        write_xlsx(xlsx, args.xlsx_rows, 50)
    cases["xlsx"] = measure(xlsx, args.repeat)
    print("xlsx", cases["xlsx"], flush=True)
    result = {
        "benchmark": "evaluation.readers.read_export",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "machine": machine_and_load(load_at_start),
        "cases": cases,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written to {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
