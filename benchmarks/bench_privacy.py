"""Speed of ``scan_for_values`` and recall / false alarms of ``scrub_text`` on the demo world.

Leak scan: demo worlds at several scales (``workbench demo-data --scale K``), each ingested
in its own throw-away project folder under ``benchmarks/work/privacy/`` (the project's
``params/datasets.yaml``, instruments and quality notebook copied in; reused when already
there). At scale 1 the data-quality report is run too, so "clean folder + one report
folder" can be timed. Each scan looks for every value of ``truth.json``'s
``planted_personal_values.all``; wall and CPU seconds are the median of ``--repeat`` runs
in this process (imports excluded). The implementation before this rewrite (commit
``77520e4``, read with ``git show``) is timed alongside at the small scales.

Names in free text: the free-text answers of a demo world at ``--scrub-scale`` (default 5:
about 100 planted names) are scrubbed; the recall counts the planted person names
(truth.json) left whole and the name words left in the answers that had one. The
implementation never sees truth.json. False alarms: the evidence notes and action points
of ``tests/test_privacy_names_in_text.py`` (no names).

Results go to ``benchmarks/results/privacy.json`` and ``benchmarks/results/privacy.md``.

Usage: ``.venv/bin/python benchmarks/bench_privacy.py [--scales 0.2 1 100] [--repeat 3]
[--old-up-to 1] [--scrub-scale 5]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import machine_and_load, write_results

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work" / "privacy"
OLD_COMMIT = "77520e4"
TARGET_SECONDS = 3.0  # scale 1: clean folder + one report folder
FREE_TEXT = ("notes", "r_improve", "anything_else", "action_points")

_SETUP = """
import os, sys
from pathlib import Path
root, scale, report = Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3] == "1"
os.environ["WORKBENCH_ROOT"] = str(root)
from evaluation.ingest import ingest_dataset
from evaluation.synth import write_demo_world
write_demo_world(root / "surveys" / "data" / "demo" / "raw", scale=scale)
ingest_dataset("demo", root=root)
if report:
    from evaluation import pipeline
    pipeline.run_report("quality", root=root, progress=False)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.2, 1.0, 100.0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--old-up-to", type=float, default=1.0, help="time the old scan too")
    parser.add_argument("--scrub-scale", type=float, default=5.0)
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    scans = [_scan_scale(scale, args.repeat, scale <= args.old_up_to) for scale in args.scales]
    result = {
        "benchmark": "evaluation.privacy: scan_for_values speed, scrub_text recall",
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": machine_and_load(load_start),
        "scan": scans,
        "scan_target_seconds": TARGET_SECONDS,
        "scrub": _scrub(args.scrub_scale),
    }
    write_results("privacy", result, _markdown(result))
    print(_markdown(result))


# --------------------------------------------------------------------------- leak scan
def _project(scale: float) -> Path:
    """A project folder with the demo world at ``scale`` ingested (and, at scale 1, the
    data-quality report run)."""
    root = WORK / f"scale-{scale:g}"
    raw = root / "surveys" / "data" / "demo" / "raw"
    truth = raw / "truth.json"
    report = scale == 1.0
    ready = (root / "surveys" / "data" / "demo" / "clean" / "ingest_log.json").is_file()
    ready = ready and (not report or (root / "reports" / "quality" / "latest").exists())
    if ready and json.loads(truth.read_text(encoding="utf-8")).get("scale") == scale:
        return root
    shutil.rmtree(root, ignore_errors=True)
    for folder in ("notebooks", "params", "surveys/instruments"):
        (root / folder).mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / "00_data_quality.ipynb", root / "notebooks")
    for name in ("datasets.yaml", "quality.yaml"):
        shutil.copy(ROOT / "params" / name, root / "params")
    for form in (ROOT / "surveys" / "instruments").glob("*.xlsx"):
        shutil.copy(form, root / "surveys" / "instruments")
    command = [sys.executable, "-c", _SETUP, str(root), str(scale), "1" if report else "0"]
    subprocess.run(command, check=True, cwd=ROOT, capture_output=True)
    return root


def _scan_scale(scale: float, repeat: int, with_old: bool) -> dict:
    from evaluation.privacy import scan_for_values

    root = _project(scale)
    truth = root / "surveys" / "data" / "demo" / "raw" / "truth.json"
    planted = json.loads(truth.read_text(encoding="utf-8"))["planted_personal_values"]["all"]
    clean = root / "surveys" / "data" / "demo" / "clean"
    targets = {"clean": [clean]}
    if (root / "reports" / "quality" / "latest").exists():
        from evaluation.pipeline import latest_run

        targets["clean + quality report"] = [clean, latest_run("quality", root)]
    old = _old_scan() if with_old else None
    entry: dict = {"scale": scale, "values": len(planted), "folders": {}}
    for name, folders in targets.items():
        size = sum(p.stat().st_size for f in folders for p in f.rglob("*") if p.is_file())
        timing = _time(lambda f=folders: scan_for_values(f, planted), repeat)
        if old is not None:
            timing["old"] = _time(lambda f=folders: old.scan_for_values(f, planted), 1)
        entry["folders"][name] = {"megabytes": round(size / 1e6, 1), **timing}
    return entry


def _time(run, repeat: int) -> dict:
    walls, cpus, hits = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        found = run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        hits = len(found)
    return {
        "seconds": round(statistics.median(walls), 2),
        "cpu_seconds": round(statistics.median(cpus), 2),
        "hits": hits,
        "skipped": len(found.attrs["skipped"]),
    }


def _old_scan():
    """``scan.py`` as it was before the rewrite, loaded from git (None if unavailable)."""
    done = subprocess.run(
        ["git", "show", f"{OLD_COMMIT}:evaluation/privacy/scan.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return None
    path = WORK / "old_scan.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(done.stdout, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("old_scan", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["old_scan"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


# --------------------------------------------------------------------------- free text
def _scrub(scale: float) -> dict:
    import pandas as pd

    from evaluation.privacy import scan_for_values, scrub_text
    from evaluation.privacy.names_in_text import NameFinder
    from evaluation.readers import read_export
    from evaluation.synth import write_demo_world

    raw = WORK / f"scrub-{scale:g}" / "raw"
    if not (raw / "truth.json").is_file():
        write_demo_world(out=raw, scale=scale, seed=20220203)
    texts = []
    for path in sorted(raw.iterdir()):
        if path.suffix in (".csv", ".xlsx", ".sav") and path.name != "sampling_frame.csv":
            frame = read_export(path).frame
            for column in frame.columns:
                key = re.split(r"[/.\-]", column)[-1]
                if key in FREE_TEXT or key.endswith("_evidence"):
                    texts += frame[column].dropna().tolist()
    frame = pd.DataFrame({"text": texts})
    names = json.loads((raw / "truth.json").read_text(encoding="utf-8"))
    names = names["planted_personal_values"]["by_kind"]["person_name"]
    planted = scan_for_values({"raw": frame}, names)
    rows = sorted({int(where.split()[-1]) for where in planted["location"]})
    words = sorted({w for n in names for w in n.split()})
    modes = {}
    for mode, finder in (
        ("lists and context", NameFinder()),
        ("context only (no name lists)", NameFinder(lists=False)),
    ):
        out = frame.assign(text=[_redact(t, finder) for t in frame["text"]])
        left = scan_for_values({"out": out}, names)
        word_left = scan_for_values({"out": out.loc[rows]}, words)
        changed = int((out["text"] != frame["text"]).drop(index=rows).sum())
        modes[mode] = {
            "names_left_whole": len(left),
            "name_words_left": len(word_left),
            "recall_whole_names": round(1 - len(left) / max(len(planted), 1), 3),
            "answers_without_planted_name_changed": changed,
        }
    start = time.perf_counter()
    scrub_text(pd.Series([f"{t} ({i})" for i, t in enumerate(texts * 20)]))
    per_second = len(texts) * 20 / (time.perf_counter() - start)
    return {
        "demo_scale": scale,
        "free_text_answers": len(texts),
        "planted_name_occurrences": len(planted),
        "answers_with_a_planted_name": len(rows),
        "modes": modes,
        "false_alarms": _false_alarms(),
        "distinct_answers_per_second": round(per_second),
    }


def _redact(text: str, finder) -> str:
    for start, end in reversed(finder.spans(text)):
        text = text[:start] + "[name]" + text[end:]
    return text


def _false_alarms() -> dict:
    from evaluation.privacy import scrub_text

    spec = importlib.util.spec_from_file_location(
        "sentences", ROOT / "tests" / "test_privacy_names_in_text.py"
    )
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    found = {}
    for name in ("DEVELOPMENT", "HELD_OUT_1", "HELD_OUT_2"):
        sentences = list(getattr(module, name))
        out = scrub_text(sentences).tolist()
        capitalised = sum(1 for s in sentences for w in re.findall(r"\w+", s) if w[0].isupper())
        found[name.lower()] = {
            "sentences": len(sentences),
            "sentences_changed": sum(a != b for a, b in zip(sentences, out, strict=True)),
            "words_redacted": sum(b.count("[name]") for b in out),
            "capitalised_words": capitalised,
            "changed": [b for a, b in zip(sentences, out, strict=True) if a != b],
        }
    return found


def _markdown(result: dict) -> str:
    machine = result["machine"]
    lines = [
        "# Privacy benchmark: leak scan speed, names in free text",
        "",
        f"{result['date']}; {machine['cpus']} CPUs, load average {machine['load_average_1m_at_start']}"
        f" at start, {machine['load_average_1m_at_end']} at end (wall times grow with load).",
        "",
        "## `scan_for_values` on the demo world (every planted value of truth.json)",
        "",
        "| scale | values | folders | MB | wall s | CPU s | hits | old wall s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for entry in result["scan"]:
        for name, t in entry["folders"].items():
            old = t.get("old", {}).get("seconds", "")
            lines.append(
                f"| {entry['scale']:g} | {entry['values']:,} | {name} | {t['megabytes']} | "
                f"{t['seconds']} | {t['cpu_seconds']} | {t['hits']} | {old} |"
            )
    scrub = result["scrub"]
    lines += [
        "",
        f"Target: scale 1 clean folder + one report folder under {TARGET_SECONDS:g} s.",
        "",
        f"## `scrub_text` on the demo world's free text (scale {scrub['demo_scale']:g})",
        "",
        f"{scrub['free_text_answers']} answers, {scrub['answers_with_a_planted_name']} with a "
        f"planted name ({scrub['planted_name_occurrences']} occurrences); "
        f"{scrub['distinct_answers_per_second']:,} distinct answers scrubbed per second.",
        "",
        "| mode | recall (whole names) | names left | name words left | other answers changed |",
        "| --- | --- | --- | --- | --- |",
    ]
    for mode, m in scrub["modes"].items():
        lines.append(
            f"| {mode} | {m['recall_whole_names']} | {m['names_left_whole']} | "
            f"{m['name_words_left']} | {m['answers_without_planted_name_changed']} |"
        )
    lines += [
        "",
        "False alarms on evidence notes and action points without names:",
        "",
        "| set | sentences | changed | words redacted | capitalised words |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, f in scrub["false_alarms"].items():
        lines.append(
            f"| {name} | {f['sentences']} | {f['sentences_changed']} | {f['words_redacted']} | "
            f"{f['capitalised_words']} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
