"""How fast the endline and baseline analysis blocks are (evaluation.analysis_plan, panel, risk).

* ``run_plan``: three families of one outcome each, did / did_panel / ancova, heterogeneity
  by sex and age group, 9,999 wild-bootstrap replications and Romano–Wolf; at the demo
  world's size (42 schools, about 1,200 students per wave), ten times that, and 420 schools
  (no bootstrap: 50 clusters or more);
* ``link_waves`` on 10^6 rows;
* ``risk_model``: 8 factors, linearised marginal effects and two attributable fractions,
  on 10^4 and 10^5 students in 100 / 1,000 schools.

Timings are the best and median of a few runs after a warm-up; peak memory is the
``tracemalloc`` peak of one run. Writes ``benchmarks/results/analysis.json`` and
``analysis.md``. Usage: ``.venv/bin/python benchmarks/bench_analysis.py``.
"""

from __future__ import annotations

import datetime as dt
import platform
import warnings

import numpy as np
import pandas as pd
from _common import timed, write_results

from evaluation.analysis_plan import ImpactPlan, run_plan
from evaluation.panel import link_waves
from evaluation.risk import risk_model
from evaluation.survey import Design


def survey_waves(schools: int, size: int, seed: int = 1) -> pd.DataFrame:
    """Both waves of a school survey: half the schools in the project, 15% attrition."""
    rng = np.random.default_rng(seed)
    school = np.repeat(np.arange(schools), size)
    n = len(school)
    treated = (school % 2 == 0).astype(float)
    u = rng.normal(0, 0.3, schools)[school]
    person = rng.normal(size=n)
    base = pd.DataFrame(
        {
            "school_code": school.astype(str),
            "arm": np.where(treated == 1, "project", "comparison"),
            "panel_code": [f"P-{i:016x}" for i in range(n)],
            "sex": rng.choice(["female", "male"], n),
            "age": rng.integers(13, 19, n),
            "weight": 1.0 + school % 3,
        }
    )
    frames = []
    for wave, shift in (("baseline", 0.0), ("endline", 1.0)):
        frame = base.assign(
            wave=wave,
            attitudes_scale=u + person + rng.normal(0, 0.7, n) + 0.2 * shift * treated,
            any_delinquency=(rng.random(n) < 0.25 - 0.04 * shift * treated).astype(float),
            cannabis_30d=(rng.random(n) < 0.03 - 0.015 * shift * treated).astype(float),
        )
        frames.append(frame if wave == "baseline" else frame[rng.random(n) > 0.15])
    data = pd.concat(frames, ignore_index=True)
    data["wave"] = pd.Categorical(data["wave"], categories=["baseline", "endline"])
    return data


def risk_data(n: int, schools: int, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    school = rng.integers(0, schools, n)
    factors = {
        "friends_cannabis": (rng.random(n) < 0.15).astype(float),
        "smoked_life": (rng.random(n) < 0.25).astype(float),
        "cannabis_easy": (rng.random(n) < 0.2).astype(float),
        "family_management": rng.normal(3, 0.5, n),
        "school_commitment": rng.normal(3.5, 0.7, n),
        "attitudes_scale": rng.normal(3, 0.6, n),
        "male": (rng.random(n) < 0.5).astype(float),
        "age": rng.integers(13, 19, n).astype(float),
    }
    eta = -4 + 1.2 * factors["friends_cannabis"] + 1.0 * factors["smoked_life"]
    eta += 0.5 * factors["cannabis_easy"] - 0.3 * (factors["family_management"] - 3)
    use = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    return pd.DataFrame(
        {"school": school, "stratum": school % 4, "w": 1.0 + school % 5, "use": use, **factors}
    )


def main() -> None:
    warnings.simplefilter("ignore")
    families = {"attitudes": ["attitudes_scale"], "behaviour": ["any_delinquency"],
                "substance": ["cannabis_30d"]}  # fmt: skip
    plan = ImpactPlan.from_params({"families": families})
    cases = []
    for label, schools, size in (
        ("demo size: 42 schools x 29 students", 42, 29),
        ("10x: 42 schools x 290 students", 42, 290),
        ("420 schools x 29 students (no bootstrap)", 420, 29),
    ):
        data = survey_waves(schools, size)
        result = timed(lambda data=data: run_plan(data, plan), runs=3)
        cases.append({"case": f"run_plan, {label}", "rows": len(data), **result})
    big = survey_waves(50_000, 12)
    cases.append({"case": "link_waves, 10^6 rows", "rows": len(big),
                  **timed(lambda: link_waves(big), runs=3)})  # fmt: skip
    factors = ["friends_cannabis", "smoked_life", "cannabis_easy", "family_management",
               "school_commitment", "attitudes_scale", "male", "age"]  # fmt: skip
    for n, schools in ((10_000, 100), (100_000, 1_000)):
        data = risk_data(n, schools)
        design = Design(data, weights="w", strata="stratum", clusters="school")
        result = timed(
            lambda design=design: risk_model(
                design, "use", factors, modifiable=["friends_cannabis", "smoked_life"]
            ),
            runs=3,
        )
        cases.append({"case": f"risk_model, 8 factors, {n:,} students", "rows": n, **result})
    record = {
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "cases": cases,
    }
    lines = ["| case | rows | best (s) | median (s) | peak memory (MB) |", "| --- | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for c in cases:
        lines.append(
            f"| {c['case']} | {c['rows']:,} | {c['best_s']:.3f} | {c['median_s']:.3f} | "
            f"{c['peak_mb']:.0f} |"
        )
    write_results("analysis", record, "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
