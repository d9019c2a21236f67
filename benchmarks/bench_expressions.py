"""How long the XLSForm expression evaluator takes on a field-sized table.

Ingestion checks about 100 constraints and relevants per instrument on up to 240,000 rows.
This builds such a table (numbers with gaps, select codes, select_multiple answers, dates
and phone numbers as text, as exports arrive) and 100 typical expressions, then times
parsing, a first evaluation pass through one shared :class:`ExpressionFrame` (which includes
converting each column once), a second pass on the warm frame, and a pass that gives each
expression the bare DataFrame (no sharing). Writes ``benchmarks/results/expressions.json``.
Usage: ``.venv/bin/python benchmarks/bench_expressions.py [ROWS]``.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import resource
import sys
import time

import numpy as np
import pandas as pd
from _common import write_results

from evaluation.expressions import ExpressionFrame, compile_expression

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 240_000
TODAY = dt.date(2024, 6, 1)


def make_table(rows: int, seed: int = 1) -> pd.DataFrame:
    """A survey export: 10 integers, 10 select_one codes, 5 select_multiple, 5 dates, 5 texts."""
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {}
    for i in range(10):
        values = rng.integers(0, 40, rows).astype(float)
        values[rng.random(rows) < 0.1] = np.nan
        columns[f"num{i}"] = values
    codes = np.array(["1", "2", "3", "4", "99", ""], dtype=object)
    for i in range(10):
        columns[f"sel{i}"] = pd.array(rng.choice(codes, rows), dtype="str")
    multiple = np.array(["a", "a b", "b c other", "", "none", "c"], dtype=object)
    for i in range(5):
        columns[f"multi{i}"] = pd.array(rng.choice(multiple, rows), dtype="str")
    start = np.datetime64("2024-01-01") + rng.integers(0, 200, rows).astype("timedelta64[D]")
    for i in range(5):
        dates = pd.Series(start + rng.integers(0, 30, rows).astype("timedelta64[D]")).astype(str)
        dates[rng.random(rows) < 0.05] = ""
        columns[f"date{i}"] = pd.array(dates.to_numpy(dtype=object), dtype="str")
    for i in range(5):
        phones = np.char.add("069", rng.integers(1_000_000, 9_999_999, rows).astype(str))
        phones = phones.astype(object)
        phones[rng.random(rows) < 0.02] = "n/a"
        columns[f"text{i}"] = pd.array(phones, dtype="str")
    return pd.DataFrame(columns)


def make_expressions() -> list[tuple[str, str | None]]:
    """100 (expression, current column) pairs in the shapes real constraints take."""
    templates = [
        (". >= 0 and . <= 35", "num{i}"),
        ("${{num{i}}} > 10 or ${{sel{i}}} = '99'", None),
        ("selected(${{multi{j}}}, 'other')", None),
        ("not(selected(., 'none') and count-selected(.) > 1)", "multi{j}"),
        ("regex(., '^0[0-9]{{9}}$')", "text{j}"),
        ("string-length(.) <= 12", "text{j}"),
        (". <= today() and . >= '2024-01-01'", "date{j}"),
        ("${{date{j}}} >= ${{date{k}}}", None),
        (". != '' and . != '99'", "sel{i}"),
        ("if(${{sel{i}}} = '1', ${{num{i}}} >= 12, true())", None),
    ]
    expressions = []
    for i in range(10):
        for template, current in templates:
            names = {"i": i, "j": i % 5, "k": (i + 1) % 5}
            expressions.append(
                (template.format(**names), current.format(**names) if current else None)
            )
    return expressions


def main() -> None:
    data = make_table(ROWS)
    expressions = make_expressions()
    compile_expression.cache_clear()

    start = time.perf_counter()
    compiled = [(compile_expression(text), current) for text, current in expressions]
    parse_seconds = time.perf_counter() - start

    rss_before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    frame = ExpressionFrame(data, today=TODAY)
    start = time.perf_counter()
    failing = [int((~e.holds(frame, current)).sum()) for e, current in compiled]
    first_pass = time.perf_counter() - start
    rss_after_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    start = time.perf_counter()
    for e, current in compiled:
        e.holds(frame, current)
    warm_pass = time.perf_counter() - start

    start = time.perf_counter()
    for e, current in compiled:
        e.holds(data, current, today=TODAY)
    unshared_pass = time.perf_counter() - start

    per_expression = []
    for e, current in compiled[:10]:
        start = time.perf_counter()
        e.holds(ExpressionFrame(data, today=TODAY), current)
        per_expression.append({"expression": e.text, "seconds": time.perf_counter() - start})

    results = {
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "rows": ROWS,
        "columns": data.shape[1],
        "expressions": len(expressions),
        "parse_seconds": round(parse_seconds, 4),
        "first_pass_shared_frame_seconds": round(first_pass, 3),
        "warm_pass_shared_frame_seconds": round(warm_pass, 3),
        "pass_without_frame_seconds": round(unshared_pass, 3),
        "peak_rss_mb_before_first_pass": round(rss_before_mb),
        "peak_rss_mb_after_first_pass": round(rss_after_mb),
        "cold_seconds_per_template": [
            {"expression": p["expression"], "seconds": round(p["seconds"], 4)}
            for p in per_expression
        ],
        "rows_failing_first_10": failing[:10],
    }
    write_results("expressions", results)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
