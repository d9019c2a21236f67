"""What several benchmark scripts share: timing a call, the machine's load, writing results.

Not a benchmark itself (``run_all.py`` runs only ``bench_*.py``). The scripts run as
``python benchmarks/bench_x.py``, so this folder is ``sys.path[0]`` and they import it as
``_common``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def timed(call: Callable[[], object], runs: int, *, peak_memory: bool = True) -> dict:
    """Best and median wall time of ``runs`` calls after a warm-up, and peak memory of one.

    Parameters
    ----------
    call : callable
        What to time, without arguments.
    runs : int
        Timed calls after the (untimed) warm-up call.
    peak_memory : bool
        Also call it once more under ``tracemalloc`` (which sees numpy's buffers) and
        record the peak allocation in MB as ``peak_mb``.

    Returns
    -------
    dict
        ``best_s``, ``median_s``, ``runs`` and, with ``peak_memory``, ``peak_mb``.
    """
    call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    result = {"best_s": min(times), "median_s": statistics.median(times), "runs": runs}
    if peak_memory:
        tracemalloc.start()
        call()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        result["peak_mb"] = peak / 2**20
    return result


def machine_and_load(load_start: float) -> dict:
    """CPUs, Python and the 1-minute load average at the start (given) and now (the end).

    Wall times grow with other work on a shared machine; the load explains slow runs.
    """
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_1m_at_start": round(load_start, 2),
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        "note": "wall times grow with other load on the machine; cpu_seconds less so",
    }


def write_results(stem: str, record: dict, markdown: str | None = None) -> None:
    """Write ``record`` to ``benchmarks/results/<stem>.json`` and ``markdown`` to ``<stem>.md``.

    Parameters
    ----------
    stem : str
        File name without suffix (``"impact"`` → ``impact.json``, ``impact.md``).
    record : dict
        The results, written as indented JSON with a final newline.
    markdown : str, optional
        The results table; no ``.md`` file when omitted.
    """
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    if markdown is not None:
        (RESULTS / f"{stem}.md").write_text(markdown, encoding="utf-8")
