"""How fast the impact estimators are at the sizes issue #4 names.

* ``did`` with CR1 on 10^6 rows and 1,000 clusters (target < 2 s);
* the restricted wild cluster bootstrap, 9,999 replications, 20 clusters, 10^4 rows, with
  the test-inversion confidence interval (target < 5 s), through ``wild_cluster_bootstrap``
  and through ``did`` (which adds it automatically below 50 clusters);
* for orientation, CR2 and the balance table on smaller data.

Each timing is the best and the median of several runs after one warm-up; peak memory is
the largest Python/numpy allocation during one run (``tracemalloc``). Writes
``benchmarks/results/impact.json`` and ``impact.md``.
Usage: ``.venv/bin/python benchmarks/bench_impact.py``.
"""

from __future__ import annotations

import datetime as dt
import platform
import warnings

import numpy as np
import pandas as pd
from _common import timed, write_results

from evaluation.impact import balance_table, did, wild_cluster_bootstrap


def make_did_data(rows: int, clusters: int, seed: int = 1) -> pd.DataFrame:
    """Two-period data: half the clusters treated, a cluster effect and a cluster change."""
    rng = np.random.default_rng(seed)
    cluster = rng.integers(0, clusters, rows)
    treat = (cluster % 2).astype(float)
    post = rng.integers(0, 2, rows).astype(float)
    level, change = rng.normal(size=clusters), rng.normal(size=clusters)
    y = level[cluster] + post * change[cluster] + 0.2 * treat * post + rng.normal(size=rows)
    return pd.DataFrame(
        {
            "y": y,
            "treat": treat,
            "post": post,
            "age": rng.integers(14, 25, rows).astype(float),
            "female": rng.integers(0, 2, rows).astype(float),
            "cluster": cluster,
        }
    )


def main() -> None:
    warnings.simplefilter("ignore")
    big = make_did_data(1_000_000, 1_000)
    small = make_did_data(10_000, 20, seed=2).assign(tp=lambda d: d["treat"] * d["post"])
    medium = make_did_data(20_000, 40, seed=3)
    cases = {
        "did_cr1_1e6_rows_1000_clusters": (
            lambda: did(big, "y", "treat", "post", "cluster", ["age", "female"]),
            5,
            2.0,
            int(big.memory_usage(deep=True).sum()),
        ),
        "wild_cluster_bootstrap_9999_reps_20_clusters_1e4_rows": (
            lambda: wild_cluster_bootstrap(
                small, "y", ["treat", "post", "tp"], "tp", "cluster", reps=9999, seed=1
            ),
            5,
            5.0,
            int(small.memory_usage(deep=True).sum()),
        ),
        "did_with_automatic_bootstrap_20_clusters_1e4_rows": (
            lambda: did(small, "y", "treat", "post", "cluster", reps=9999),
            5,
            5.0,
            int(small.memory_usage(deep=True).sum()),
        ),
        "did_cr2_2e4_rows_40_clusters": (
            lambda: did(medium, "y", "treat", "post", "cluster", vcov="CR2", wild_bootstrap=False),
            3,
            None,
            int(medium.memory_usage(deep=True).sum()),
        ),
        "balance_table_3_vars_2e4_rows_40_clusters": (
            lambda: balance_table(medium, ["y", "age", "female"], "treat", "cluster"),
            3,
            None,
            int(medium.memory_usage(deep=True).sum()),
        ),
    }
    results = {}
    for name, (call, runs, target, data_bytes) in cases.items():
        timing = timed(call, runs)
        timing["target_s"] = target
        timing["meets_target"] = None if target is None else timing["best_s"] < target
        timing["data_mb"] = data_bytes / 2**20
        results[name] = timing
        print(f"{name}: best {timing['best_s']:.3f} s, median {timing['median_s']:.3f} s, "
              f"peak {timing['peak_mb']:.0f} MB (data {timing['data_mb']:.0f} MB)")  # fmt: skip
    payload = {
        "benchmark": "impact",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "versions": {"numpy": np.__version__, "pandas": pd.__version__},
        "results": results,
    }
    write_results("impact", payload, _markdown(payload))


def _markdown(payload: dict) -> str:
    lines = [
        "# Impact estimators: speed",
        "",
        f"Run {payload['date']} on Python {payload['machine']['python']}, "
        f"numpy {payload['versions']['numpy']}, pandas {payload['versions']['pandas']}.",
        "",
        "| case | best (s) | median (s) | target (s) | peak memory (MB) | data (MB) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in payload["results"].items():
        target = "" if r["target_s"] is None else f"< {r['target_s']:g}"
        lines.append(
            f"| {name} | {r['best_s']:.3f} | {r['median_s']:.3f} | {target} | "
            f"{r['peak_mb']:.0f} | {r['data_mb']:.1f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
