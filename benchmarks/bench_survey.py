"""Speed and memory of ``evaluation.survey`` on an indicator table, against R's ``svyby``.

The table is the one monitoring reports need: 30 indicators (20 continuous scores, 10 0/1
indicators) by 6 domains (sex x age group) on a stratified two-stage sample (20 strata, schools
of about 100 respondents as PSUs, 4 classes per school). For each size (10^4, 10^5, 10^6
respondents by default) the script

1. generates the data with a fixed seed and writes them as CSV under ``benchmarks/work/``;
2. reads the CSV back, builds the ``Design`` and times ``mean(design, 30 variables,
   by=["sex", "age_group"])`` (best of 3 wall-clock runs), and measures the peak memory the
   call allocates (``tracemalloc``, which sees numpy's buffers) against the data's own size;
3. if ``Rscript`` with the ``survey`` package is available, runs the same table in R with
   ``svyby(~v01 + ... + v30, ~sex + age_group, design, svymean)`` on the same CSV, timing only
   the ``svyby`` call with ``system.time`` (best of 3), and compares every estimate and SE; a
   second ``svyby(..., deff = TRUE)`` on two of the variables (R's ``svyvar`` makes it very slow
   for all 30) checks the design effects;
4. with ``--svy-python PATH`` (a Python with the ``svy`` package), times ``svy``'s
   ``sample.estimation.mean`` on the same table and compares it with R too, and runs ``svy``
   on every case of ``tests/reference/expected/survey_api.json``
   (``benchmarks/results/survey_svy_reference.json``).

Results go to ``benchmarks/results/survey.json`` and ``benchmarks/results/survey.md``.
Usage: ``.venv/bin/python benchmarks/bench_survey.py [--sizes 10000 100000 1000000]
[--svy-python /path/to/python]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.survey import Design, mean

HERE = Path(__file__).resolve().parent
WORK = HERE / "work" / "survey"
RESULTS = HERE / "results"
SEED = 20240601
N_STRATA = 20
PUPILS_PER_SCHOOL = 100
CLASSES_PER_SCHOOL = 4
VARIABLES = [f"v{j:02d}" for j in range(1, 31)]
BY = ["sex", "age_group"]
REPEATS = 3

R_SCRIPT = r"""
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
fast_io <- requireNamespace("data.table", quietly = TRUE)
d <- if (fast_io) as.data.frame(data.table::fread(args[1])) else read.csv(args[1])
vars <- sprintf("v%02d", 1:30)
des <- svydesign(id = ~school + class, strata = ~stratum, weights = ~w, data = d)
f <- as.formula(paste("~", paste(vars, collapse = " + ")))
b <- NULL
runs <- sapply(1:as.integer(args[3]), function(i)
  system.time(b <<- svyby(f, ~sex + age_group, des, svymean))[c("elapsed", "user.self", "sys.self")])
times <- runs["elapsed", ]
cpu <- runs["user.self", ] + runs["sys.self", ]
## deff = TRUE makes svyby compute svyvar of every variable, which is very slow for 30
## variables (p^2 columns); design effects are compared on two of them (v01 continuous, v21 0/1)
dvars <- c("v01", "v21")
deff_time <- system.time(bd <- svyby(~v01 + v21, ~sex + age_group, des, svymean, deff = TRUE))[["elapsed"]]
out <- data.frame(sex = rep(as.character(b$sex), each = 30),
                  age_group = rep(as.character(b$age_group), each = 30),
                  variable = rep(vars, times = nrow(b)),
                  estimate = as.vector(t(as.matrix(b[, vars]))),
                  se = as.vector(t(as.matrix(b[, paste0("se.", vars)]))))
dd <- data.frame(sex = rep(as.character(bd$sex), each = 2),
                 age_group = rep(as.character(bd$age_group), each = 2),
                 variable = rep(dvars, times = nrow(bd)),
                 deff = as.vector(t(as.matrix(bd[, paste0("DEff.", dvars)]))))
out <- merge(out, dd, all.x = TRUE)
if (fast_io) data.table::fwrite(out, args[2], quote = TRUE) else write.csv(out, args[2], row.names = FALSE)
cat(sprintf('{"svyby_s": [%s], "svyby_cpu_s": [%s], "svyby_deff_s": %.6f, "r_version": "%s", "survey": "%s"}\n',
            paste(sprintf("%.6f", times), collapse = ", "), paste(sprintf("%.6f", cpu), collapse = ", "), deff_time,
            R.version.string, as.character(packageVersion("survey"))))
"""

SVY_SCRIPT = r"""
import json, sys, time
import polars as pl
import svy
path, out, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = pl.read_csv(path, schema_overrides={"sex": pl.Utf8, "age_group": pl.Utf8})
sample = svy.Sample(data, svy.Design(stratum="stratum", psu="school", wgt="w"))
variables = [f"v{j:02d}" for j in range(1, 31)]
times = []
for _ in range(repeats):
    start = time.perf_counter()
    results = sample.estimation.mean(variables, by=("sex", "age_group"))
    times.append(time.perf_counter() - start)
frames = []
for variable, result in zip(variables, results):
    frames.append(result.to_polars().with_columns(pl.lit(variable).alias("variable")))
pl.concat(frames, how="diagonal").select(["sex", "age_group", "variable", "est", "se"]).write_csv(out)
print(json.dumps({"svy_s": times, "svy": svy.__version__}))
"""


SVY_REFERENCE_SCRIPT = r"""
# svy on every case of tests/reference/expected/survey_api.json, compared with R at 1e-6
import json, sys, math
import polars as pl
import svy
ref_dir = sys.argv[1]
exp = json.load(open(f"{ref_dir}/expected/survey_api.json"))
designs = {
    "srs": ("apisrs", dict(wgt="pw", pop_size="fpc")),
    "srs_weights_only": ("apisrs", dict(wgt="pw")),
    "strat": ("apistrat", dict(stratum="stype", wgt="pw", pop_size="fpc")),
    "strat_nofpc": ("apistrat", dict(stratum="stype", wgt="pw")),
    "weights_only": ("apistrat", dict(wgt="pw")),
    "clus1": ("apiclus1", dict(psu="dnum", wgt="pw", pop_size="fpc")),
    "clus1_nofpc": ("apiclus1", dict(psu="dnum", wgt="pw")),
    "clus2": ("apiclus2", dict(psu="dnum", ssu="snum", wgt="pw", pop_size=svy.PopSize(psu="fpc1", ssu="fpc2"))),
    "clus2_nofpc": ("apiclus2", dict(psu="dnum", ssu="snum", wgt="pw")),
}
def close(a, b):
    a = [a] if not isinstance(a, list) else a
    b = [b] if not isinstance(b, list) else b
    if len(a) != len(b):
        return {"ok": False, "max_rel_diff": None}
    worst = max(abs(x - y) / abs(y) if y else abs(x) for x, y in zip(a, b))
    return {"ok": worst <= 1e-6, "max_rel_diff": worst}
results = {}
for case in exp["cases"]:
    name, kw = designs[case["id"]]
    data = pl.read_csv(f"{ref_dir}/data/{name}.csv", null_values=[""], infer_schema_length=None)
    data = data.with_columns((pl.col("sch.wide") == "Yes").cast(pl.Float64).alias("sw"))
    sample = svy.Sample(data, svy.Design(**kw))
    st = case["stats"]
    out = {}
    def run(key, fn):
        try:
            out[key] = fn()
        except Exception as e:  # record, do not stop
            out[key] = {"error": f"{type(e).__name__}: {str(e)[:200]}"}
    def est_row(r):
        return r.to_polars().row(0, named=True)
    def cmp_mean(key, var):
        r = est_row(sample.estimation.mean(var, deff="wor"))
        s = st[key]
        return {"estimate": close(r["est"], s["estimate"]), "se": close(r["se"], s["se"]),
                "ci": close([r["lci"], r["uci"]], [s["ci"]["lower"], s["ci"]["upper"]]),
                "deff": close(r.get("deff", float("nan")), s["deff"]) if "deff" in r else {"ok": False, "absent": True},
                "df": {"ok": r["df"] == s["df"]}}
    run("svymean_api00", lambda: cmp_mean("svymean_api00", "api00"))
    run("svymean_api99", lambda: cmp_mean("svymean_api99", "api99"))
    run("svymean_sw", lambda: cmp_mean("svymean_sw", "sw"))
    def tot():
        r = est_row(sample.estimation.total("enroll", drop_nulls=True, deff="wor"))
        s = st["svytotal_enroll"]
        return {"estimate": close(r["est"], s["estimate"]), "se": close(r["se"], s["se"]),
                "ci": close([r["lci"], r["uci"]], [s["ci"]["lower"], s["ci"]["upper"]]),
                "deff": close(r.get("deff", float("nan")), s["deff"]) if "deff" in r else {"ok": False, "absent": True}}
    run("svytotal_enroll", tot)
    def prop():
        t = sample.estimation.prop("sw", ci_method="logit").to_polars()
        r = t.filter(pl.col(t.columns[0]) == 1).row(0, named=True)
        s = st["svyciprop_sw_logit"]
        return {"estimate": close(r["est"], s["estimate"]), "se": close(r["se"], s["se"]),
                "ci": close([r["lci"], r["uci"]], [s["ci"]["lower"], s["ci"]["upper"]]), "df": {"ok": r["df"] == s["df"]}}
    run("svyciprop_sw_logit", prop)
    def rat():
        r = est_row(sample.estimation.ratio("api.stu", "enroll", drop_nulls=True, deff="wor"))
        s = st["svyratio_apistu_enroll"]
        return {"estimate": close(r["est"], s["estimate"]), "se": close(r["se"], s["se"]),
                "ci": close([r["lci"], r["uci"]], [s["ci"]["lower"], s["ci"]["upper"]]),
                "deff": close(r.get("deff", float("nan")), s["deff"]) if "deff" in r else {"ok": False, "absent": True}}
    run("svyratio_apistu_enroll", rat)
    def by():
        t = sample.estimation.mean("api00", by="stype", deff="wor").to_polars().sort("stype")
        s = st["svyby_api00_stype"]
        return {"estimate": close(t["est"].to_list(), s["estimate"]), "se": close(t["se"].to_list(), s["se"]),
                "ci": close(t["lci"].to_list() + t["uci"].to_list(), s["ci"]["lower"] + s["ci"]["upper"]),
                "deff": close(t["deff"].to_list(), s["deff"]) if "deff" in t.columns else {"ok": False, "absent": True}}
    run("svyby_api00_stype", by)
    def med():
        r = est_row(sample.estimation.median("api00"))
        s = st["svyquantile_api00_median"]
        return {"estimate": close(r["est"], s["estimate"]), "se": close(r["se"], s["se"]),
                "ci": close([r["lci"], r["uci"]], [s["ci"]["lower"], s["ci"]["upper"]])}
    run("svyquantile_api00_median", med)
    def glm(key, y, family):
        t = sample.glm.fit(y=y, x=["ell", "meals", "mobility"], family=family).to_polars()
        s = st[key]
        return {"estimate": close(t["estimate"].to_list(), s["estimate"]), "se": close(t["std_err"].to_list(), s["se"]),
                "ci": close(t["conf_low"].to_list() + t["conf_high"].to_list(), s["ci"]["lower"] + s["ci"]["upper"]),
                "p": close(t["p_value"].to_list(), s["p"])}
    run("svyglm_api00", lambda: glm("svyglm_api00", "api00", "gaussian"))
    run("svyglm_logit_sw", lambda: glm("svyglm_logit_sw", "sw", "binomial"))
    results[case["id"]] = out
print(json.dumps({"svy": svy.__version__, "results": results}))
"""


def make_data(n: int, seed: int = SEED) -> pd.DataFrame:
    """A stratified two-stage sample of ``n`` respondents with 30 indicators."""
    rng = np.random.default_rng(seed)
    n_schools = max(2 * N_STRATA, n // PUPILS_PER_SCHOOL)
    school_stratum = np.arange(n_schools) % N_STRATA
    school = rng.integers(0, n_schools, n)
    school[:n_schools] = np.arange(n_schools)  # every school has respondents
    school_weight = rng.uniform(20, 200, n_schools)
    school_effect = rng.normal(0, 1, n_schools)
    sex = rng.choice(np.array(["F", "M"], dtype=object), n)
    age_group = rng.choice(np.array(["10-12", "13-15", "16-18"], dtype=object), n)
    columns: dict[str, object] = {
        "stratum": school_stratum[school] + 1,
        "school": school + 1,
        "class": rng.integers(1, CLASSES_PER_SCHOOL + 1, n),
        "w": np.round(school_weight[school] * rng.uniform(0.8, 1.2, n), 4),
        "sex": sex,
        "age_group": age_group,
    }
    shift = (sex == "F") * 0.3 + (age_group == "16-18") * 0.5
    for j, name in enumerate(VARIABLES):
        if j < 20:
            value = 50 + 5 * j + 4 * school_effect[school] + 3 * shift + rng.normal(0, 10, n)
            columns[name] = np.round(value, 3)
        else:
            p = 1 / (1 + np.exp(-(-1 + 0.1 * j + 0.5 * school_effect[school] + shift)))
            columns[name] = (rng.random(n) < p).astype(float)
    return pd.DataFrame(columns)


def time_ours(data: pd.DataFrame) -> dict[str, object]:
    """Design construction and the indicator table: times, peak memory, the table itself."""
    start = time.perf_counter()
    design = Design(data, weights="w", strata="stratum", clusters=("school", "class"))
    design_s = time.perf_counter() - start
    times, cpu = [], []
    for _ in range(REPEATS):
        start, start_cpu = time.perf_counter(), time.process_time()
        table = mean(design, VARIABLES, by=BY)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    mean(design, VARIABLES, by=BY)
    peak = tracemalloc.get_traced_memory()[1] - baseline
    tracemalloc.reset_peak()
    baseline = tracemalloc.get_traced_memory()[0]
    Design(data, weights="w", strata="stratum", clusters=("school", "class"))
    design_peak = tracemalloc.get_traced_memory()[1] - baseline
    tracemalloc.stop()
    return {
        "design_s": design_s,
        "mean_s": times,
        "mean_cpu_s": cpu,
        "peak_bytes": peak,
        "design_peak_bytes": design_peak,
        "table": table,
        "n_psu": design.n_psu,
    }


def child_json(command: list[str], failure: str) -> dict[str, object] | None:
    """The JSON a child process prints on its last line, or None (with ``failure`` and the
    end of its stderr printed) when it fails."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"{failure}: {done.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_r(csv: Path, out: Path) -> dict[str, object] | None:
    """R's svyby on the same CSV, or None when R or its packages are missing."""
    if shutil.which("Rscript") is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as script:
        script.write(R_SCRIPT)
    try:
        return child_json(
            ["Rscript", script.name, str(csv), str(out), str(REPEATS)],
            "R failed, skipping R columns",
        )
    finally:
        Path(script.name).unlink()


def run_svy(python: str, csv: Path, out: Path) -> dict[str, object] | None:
    """svy's mean by domain on the same CSV, or None if it fails."""
    command = [python, "-c", SVY_SCRIPT, str(csv), str(out), str(REPEATS)]
    return child_json(command, "svy failed")


def run_svy_reference(python: str) -> dict[str, object] | None:
    """svy on the R reference cases: per case and statistic, which parts agree at 1e-6."""
    reference = HERE.parent / "tests" / "reference"
    found = child_json(
        [python, "-c", SVY_REFERENCE_SCRIPT, str(reference)], "svy reference run failed"
    )
    if found is None:
        return None
    failures = sorted(
        f"{case}.{stat}.{part}"
        for case, stats in found["results"].items()
        for stat, parts in stats.items()
        for part, check in (parts.items() if "error" not in parts else [("error", {"ok": False})])
        if not check.get("ok")
    )
    return {**found, "failures": failures, "n_failures": len(failures)}


def max_rel_diff(ours: pd.DataFrame, theirs: pd.DataFrame, columns: list[str]) -> dict:
    """Largest relative difference per column, rows matched on (sex, age_group, variable)."""
    keys = ["sex", "age_group", "variable"]
    theirs = theirs.astype({"sex": str, "age_group": str})
    merged = ours.merge(theirs, on=keys, suffixes=("", "_other"), validate="one_to_one")
    if len(merged) != len(ours):
        raise RuntimeError(f"matched {len(merged)} of {len(ours)} rows")
    out = {}
    for column in columns:
        a = merged[column].to_numpy(float)
        b = merged[column + "_other"].to_numpy(float)
        out[column] = float(np.nanmax(np.abs(a - b) / np.abs(b)))
    return out


def bench_size(n: int, svy_python: str | None) -> dict[str, object]:
    WORK.mkdir(parents=True, exist_ok=True)
    csv = WORK / f"indicators_{n}.csv"
    make_data(n).to_csv(csv, index=False)
    data = pd.read_csv(csv, dtype={"sex": str, "age_group": str})
    data_bytes = int(data.memory_usage(deep=True).sum())
    ours = time_ours(data)
    table = ours.pop("table")
    row: dict[str, object] = {
        "n": n,
        "n_psu": ours.pop("n_psu"),
        "data_bytes": data_bytes,
        **ours,
        "ours_s": min(ours["mean_s"]),
        "ours_cpu_s": min(ours["mean_cpu_s"]),
        "peak_over_data": ours["peak_bytes"] / data_bytes,
    }
    mine = table[["sex", "age_group", "variable", "estimate", "se", "deff"]]
    r = run_r(csv, WORK / f"r_{n}.csv")
    if r is not None:
        theirs = pd.read_csv(WORK / f"r_{n}.csv", dtype={"sex": str, "age_group": str})
        row |= {
            "r_s": min(r["svyby_s"]),
            "r_runs_s": r["svyby_s"],
            "r_cpu_s": min(r["svyby_cpu_s"]),
            "r_over_ours_cpu": min(r["svyby_cpu_s"]) / row["ours_cpu_s"],
            "r_deff_s": r["svyby_deff_s"],
            "r_over_ours": min(r["svyby_s"]) / row["ours_s"],
            "max_rel_diff": max_rel_diff(mine, theirs, ["estimate", "se", "deff"]),
            "r_version": r["r_version"],
            "survey_version": r["survey"],
        }
    if svy_python:
        s = run_svy(svy_python, csv, WORK / f"svy_{n}.csv")
        if s is not None:
            row |= {"svy_s": min(s["svy_s"]), "svy_version": s["svy"]}
            other = pd.read_csv(WORK / f"svy_{n}.csv", dtype={"sex": str, "age_group": str})
            other = other.rename(columns={"est": "estimate"})
            against = theirs if r is not None else mine
            row["svy_max_rel_diff_vs_" + ("r" if r is not None else "ours")] = max_rel_diff(
                against[["sex", "age_group", "variable", "estimate", "se"]],
                other,
                ["estimate", "se"],
            )
    return row


def markdown(rows: list[dict[str, object]]) -> str:
    """The README table."""
    lines = [
        "| respondents | PSUs | ours (s) | R svyby (s) | R / ours | ours CPU (s) | R CPU (s) "
        "| R / ours, CPU | max rel. diff (est, SE, deff) | our peak memory / data size | svy (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for row in rows:
        diff = row.get("max_rel_diff")
        diffs = (
            f"{diff['estimate']:.1e}, {diff['se']:.1e}, {diff['deff']:.1e}" if diff else "(no R)"
        )
        r_s = f"{row['r_s']:.2f}" if "r_s" in row else "(no R)"
        ratio = f"{row['r_over_ours']:.1f}x" if "r_over_ours" in row else "-"
        r_cpu = f"{row['r_cpu_s']:.2f}" if "r_cpu_s" in row else "(no R)"
        ratio_cpu = f"{row['r_over_ours_cpu']:.1f}x" if "r_over_ours_cpu" in row else "-"
        svy_s = f"{row['svy_s']:.2f}" if "svy_s" in row else "-"
        lines.append(
            f"| {row['n']:,} | {row['n_psu']:,} | {row['ours_s']:.3f} | {r_s} | {ratio} "
            f"| {row['ours_cpu_s']:.3f} | {r_cpu} | {ratio_cpu} | {diffs} "
            f"| {row['peak_over_data']:.2f} | {svy_s} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--svy-python", default=None, help="a Python with svy installed")
    args = parser.parse_args(argv)
    rows = []
    for n in args.sizes:
        row = bench_size(n, args.svy_python)
        print(json.dumps({k: v for k, v in row.items() if k != "mean_s"}, default=str))
        rows.append(row)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.svy_python:
        reference = run_svy_reference(args.svy_python)
        if reference is not None:
            (RESULTS / "survey_svy_reference.json").write_text(
                json.dumps(reference, indent=2) + "\n"
            )
            print(f"svy on the R reference cases: {reference['n_failures']} failing checks")
    meta = {
        "benchmark": "survey indicator table: mean of 30 variables by 6 domains",
        "design": f"{N_STRATA} strata, schools of ~{PUPILS_PER_SCHOOL} as PSUs, "
        f"{CLASSES_PER_SCHOOL} classes per school, weights; ultimate-cluster variance",
        "timing": f"wall clock and CPU time (process_time; R user + sys), best of {REPEATS}; "
        "R times only the svyby call (system.time)",
        "memory": "tracemalloc peak during mean(), over DataFrame.memory_usage(deep=True)",
        "python": platform.python_version(),
        "machine": platform.platform(),
        "seed": SEED,
        "rows": rows,
    }
    note = ""
    if not any("r_s" in row for row in rows):
        note = "Rscript with the survey package was not found: the R columns are left out.\n"
        meta["note"] = note.strip()
    (RESULTS / "survey.json").write_text(json.dumps(meta, indent=2, default=str) + "\n")
    (RESULTS / "survey.md").write_text(markdown(rows) + note)
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
