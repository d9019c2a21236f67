"""How long a p-value adjustment takes, and whether it collects garbage (issue #5 follow-up).

``adjust_pvalues`` used statsmodels' ``multipletests``, whose Holm branch calls
``gc.collect()`` on every call: in a notebook kernel holding the clean tables each call then
walks the whole heap. It is now R's ``p.adjust`` in numpy. This script times, for 12
p-values and each method:

* ``adjust_pvalues`` (numpy) and ``statsmodels.stats.multitest.multipletests`` (the former
  implementation, for comparison), with a small heap and with a heap of about four million
  live container objects (a kernel holding clean tables);
* the number of ``gc.collect()`` calls made during one ``run_plan`` (three outcomes in one
  family, heterogeneity by sex, 999 bootstrap replications), which tells whether
  ``evaluation.endline``'s ``gc.freeze()`` around the plan is still needed.

Timings are the best and median of several calls after a warm-up. Writes
``benchmarks/results/multiple_testing.json`` and ``multiple_testing.md``.
Usage: ``.venv/bin/python benchmarks/bench_multiple_testing.py``.
"""

from __future__ import annotations

import datetime as dt
import gc
import platform
import time
import warnings

import numpy as np
import pandas as pd
import statsmodels
from _common import timed, write_results
from statsmodels.stats.multitest import multipletests

from evaluation.analysis_plan import ImpactPlan, run_plan
from evaluation.impact import adjust_pvalues

STATSMODELS = {"bonferroni": "bonferroni", "holm": "holm", "hochberg": "simes-hochberg", "hommel": "hommel", "bh": "fdr_bh", "by": "fdr_by"}  # fmt: skip
HEAP_OBJECTS = 2_000_000  # dicts, each holding a list: about 4 million tracked containers


def adjustment_timings(p: np.ndarray, heap: str) -> list[dict[str, object]]:
    rows = []
    for method, sm_method in STATSMODELS.items():
        for implementation, call, runs in (
            ("adjust_pvalues (numpy)", lambda m=method: adjust_pvalues(p, m), 200),
            ("statsmodels multipletests", lambda m=sm_method: multipletests(p, method=m), 5),
        ):
            rows.append(
                {"method": method, "implementation": implementation, "heap": heap,
                 **timed(call, runs, peak_memory=False)}
            )  # fmt: skip
    return rows


def plan_world(schools: int = 24, size: int = 30, seed: int = 1) -> pd.DataFrame:
    """Both waves of a school survey, three outcomes, arms randomised by school."""
    rng = np.random.default_rng(seed)
    school = np.repeat(np.arange(schools), size)
    n = len(school)
    treated = (school % 2).astype(float)
    base = pd.DataFrame(
        {
            "school_code": [f"S{s:02d}" for s in school],
            "arm": np.where(treated == 1, "project", "comparison"),
            "wave": "baseline",
            "panel_code": [f"P-{i:05d}" for i in range(n)],
            "sex": rng.choice(["female", "male"], n),
            "age": rng.integers(13, 18, n),
            **{y: rng.normal(size=n) for y in ("y1", "y2", "y3")},
        }
    )
    end = base.assign(
        wave="endline", **{y: rng.normal(size=n) + 0.2 * treated for y in ("y1", "y2", "y3")}
    )
    data = pd.concat([base, end], ignore_index=True)
    data["wave"] = pd.Categorical(data["wave"], categories=["baseline", "endline"])
    return data


def collections_in_run_plan() -> dict[str, object]:
    data = plan_world()
    plan = ImpactPlan.from_params(
        {"families": {"main": ["y1", "y2", "y3"]}, "reps": 999, "heterogeneity": ["sex"]},
        source="benchmark",
    )
    calls = []
    real = gc.collect

    def counting(*args: object) -> int:
        calls.append(1)
        return real(*args)

    gc.collect = counting  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        run_plan(data, plan)
        seconds = time.perf_counter() - start
    finally:
        gc.collect = real  # type: ignore[assignment]
    return {"gc_collect_calls": len(calls), "run_plan_s": seconds, "rows": len(data)}


def main() -> None:
    warnings.simplefilter("ignore")
    p = np.random.default_rng(1).random(12)
    rows = adjustment_timings(p, "small")
    heap = [{"i": i, "list": [i]} for i in range(HEAP_OBJECTS)]
    rows += adjustment_timings(p, f"{len(heap):,} dicts with a list each")
    plan = collections_in_run_plan()
    del heap
    for row in rows:
        print(f"{row['method']:>10} {row['implementation']:<26} heap {row['heap']:<32} "
              f"best {row['best_s'] * 1e3:9.3f} ms")  # fmt: skip
    print(f"run_plan: {plan['gc_collect_calls']} gc.collect() calls, {plan['run_plan_s']:.2f} s")
    payload = {
        "benchmark": "multiple_testing",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "versions": {"numpy": np.__version__, "statsmodels": statsmodels.__version__},
        "p_values": len(p),
        "adjust": rows,
        "run_plan": plan,
    }
    write_results("multiple_testing", payload, _markdown(payload))


def _markdown(payload: dict) -> str:
    lines = [
        "# Multiple-testing adjustment: speed",
        "",
        f"Run {payload['date']} on Python {payload['machine']['python']}, "
        f"{payload['machine']['platform']}; {payload['p_values']} p-values per call.",
        "",
        "| method | implementation | heap | best (ms) | median (ms) |",
        "| --- | --- | --- | ---: | ---: |",
    ]
    for row in payload["adjust"]:
        lines.append(
            f"| {row['method']} | {row['implementation']} | {row['heap']} | "
            f"{row['best_s'] * 1e3:.3f} | {row['median_s'] * 1e3:.3f} |"
        )
    plan = payload["run_plan"]
    lines += [
        "",
        f"`run_plan` (3 outcomes in one family, heterogeneity by sex, {plan['rows']} rows): "
        f"{plan['gc_collect_calls']} `gc.collect()` calls, {plan['run_plan_s']:.2f} s.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
