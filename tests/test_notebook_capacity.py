"""The capacity-building notebook end to end on a small demo world: demo data (scale 0.3),
ingestion, `run_report("capacity")` in English and Albanian, and what it publishes.

One module-scoped run in a throw-away project folder; the tests read what it left. The
numbers the report prints are recomputed here from the clean tables with plain pandas (not
with evaluation.capacity), so the report is checked against an independent count.
"""

import json
import re
from pathlib import Path
from types import SimpleNamespace

import notebook_support as support
import numpy as np
import pandas as pd
import pytest
from notebook_support import html, text, workbook

from evaluation import pipeline
from evaluation.capacity import load_capacity
from evaluation.errors import ParamsError
from evaluation.params import check_params
from evaluation.report.tables import format_count, format_number
from evaluation.schedule.summary import read_summary

NOTEBOOK = support.ROOT / "notebooks" / "30_capacity_building.ipynb"
PARAMS = ("datasets.yaml", "capacity.yaml", "logframe.yaml")
SCALE = 0.3


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("capacity-project")
    with support.demo_project(root, NOTEBOOK, PARAMS, SCALE):
        run = pipeline.run_report("capacity", root=root, progress=False)
    clean = root / "surveys" / "data" / "demo" / "clean"
    return SimpleNamespace(root=root, run=run, clean=clean, truth=support.read_truth(root))


def sheet_rows(sheet, first_header: str):
    """The table of a donor sheet: its header row (found by its first cell) and the rows
    under it up to the first empty row."""
    rows = list(sheet.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r and r[0] == first_header)
    body = []
    for row in rows[start + 1 :]:
        if all(v is None for v in row):
            break
        body.append(row)
    return rows[start], body


# --------------------------------------------------------------------------- independent counts
def independent_completion(clean: Path) -> tuple[int, int]:
    """(completed, participations) from the attendance register, counted by hand: a training's
    hours are the sum of its sessions' lengths; completed = attended >= 80% of them."""
    register = pd.read_parquet(clean / "training_attendance.parquet")
    register = register.dropna(subset=["participant_code", "training_id", "session_id"])
    register["session_hours"] = register["session_hours"].astype(float)
    register["hours_attended"] = register["hours_attended"].astype(float)
    sessions = register.groupby(["training_id", "session_id"])["session_hours"].agg(
        lambda s: s.mode().max()
    )
    hours = sessions.groupby(level=0).sum()
    attended = register.groupby(["training_id", "participant_code", "session_id"])[
        "hours_attended"
    ].max()
    per_person = attended.groupby(level=[0, 1]).sum()
    share = np.minimum(1, per_person / hours.reindex(per_person.index.get_level_values(0)).values)
    return int((share >= 0.8 - 1e-12).sum()), len(share)


def independent_knowledge(clean: Path) -> tuple[int, float, float]:
    """(pairs, mean before, mean after): each trainee's first pre-test and last post-test."""
    tests = pd.read_parquet(clean / "training_knowledge_test.parquet")
    tests = tests.dropna(subset=["participant_code", "training_id"]).sort_values(
        "today", kind="stable"
    )
    tests["score"] = pd.to_numeric(tests["score_pct"].astype("string"))
    keys = ["training_id", "participant_code"]
    pre = tests[tests["test_type"].astype(str) == "pre"].groupby(keys)["score"].first()
    post = tests[tests["test_type"].astype(str) == "post"].groupby(keys)["score"].last()
    both = pre.index.intersection(post.index)
    return len(both), float(pre[both].mean()), float(post[both].mean())


# --------------------------------------------------------------------------- tests
def test_both_languages_are_published_with_html_workbook_and_summary(world):
    files = ("30_capacity_building.{language}.ipynb", "report.{language}.html",
             "donor_workbook.{language}.xlsx", "summary.{language}.json")  # fmt: skip
    support.assert_published(world, "capacity", files)


def test_html_has_no_code_and_its_headings_are_in_the_language(world):
    expected = {
        "en": ("Knowledge before and after the courses", "Capacity and partnership indicators"),
        "sq": ("Njohuritë para dhe pas kurseve", "Treguesit e kapaciteteve dhe të partneriteteve"),
    }
    code = ("capacity.", "display(", "import ", "narrative.", "In&nbsp;[", "Traceback")
    for language, wanted in expected.items():
        soup = support.code_free_page(world, language, code)
        assert set(wanted) <= set(support.headings(soup))
        assert len(soup.find_all("img")) >= 3  # hours, knowledge and scorecard figures
    assert "Capacity-building report" not in text(world, "sq")


def test_reported_numbers_match_an_independent_count(world):
    page = text(world, "en")
    completed, participations = independent_completion(world.clean)
    assert f"{format_count(completed)} of {format_count(participations)} participations" in page
    pairs, before, after = independent_knowledge(world.clean)
    sentence = (
        f"For the {format_count(pairs)} trainees who took both tests, the average score rose "
        f"from {format_number(before, 1)}% to {format_number(after, 1)}%"
    )
    assert sentence in page


def test_numbers_follow_the_albanian_conventions(world):
    page = text(world, "sq")
    assert re.search(r"\d,\d%", page)  # decimal comma
    assert not re.search(r"\b\d+\.\d%", page)


def test_summary_for_the_email_follows_the_contract(world):
    for language in ("en", "sq"):
        summary = read_summary(world.run.folder, language)
        assert summary is not None and 3 <= len(summary.lines) <= 12
    english = read_summary(world.run.folder, "en")
    trainings = pd.read_parquet(world.clean / "training_attendance.parquet")["training_id"]
    assert english.lines[0].startswith(f"{trainings.nunique()} trainings, ")
    assert all(line.split()[0] in {"OC2.1", "OC2.2", "OC2.3", "OC2.4", "OP2.1", "OP2.2"}
               or line.startswith("Topics") for line in english.attention)  # fmt: skip


def test_workbooks_have_about_first_the_sheets_and_no_formula(world):
    for language, about in (("en", "About"), ("sq", "Rreth")):
        book = workbook(world, language)
        assert book.sheetnames[0] == about
        assert len(book.sheetnames) >= 12
        support.assert_no_formulas(book, language)
    english = workbook(world, "en").sheetnames
    for name in ("Logframe", "Trainings", "Participants", "Knowledge", "Scorecard by domain"):
        assert name in english


def test_small_cells_are_hidden_with_a_complement_in_every_block(world):
    book = workbook(world, "en")
    header, rows = sheet_rows(book["Participants"], "Characteristic")
    people = header.index("People")
    characteristic = header.index("Characteristic")
    assert "Suppressed" in header  # the demo world has groups under 10 (e.g. disability)
    blocks: dict[str, list] = {}
    for row in rows:
        blocks.setdefault(row[characteristic], []).append(row)
    for name, block in blocks.items():
        values = [r[people] for r in block]
        shown = [v for v in values if v is not None]
        assert all(v >= 10 for v in shown), f"{name}: a count under 10 is shown"
        hidden = sum(v is None for v in values)
        assert hidden != 1, f"{name}: one hidden count can be worked back from the total"
    footnotes = " ".join(
        str(c) for r in book["Participants"].iter_rows(values_only=True) for c in r if c
    )
    assert "fewer than 10 people" in footnotes


def test_no_personal_value_reaches_the_report(world):
    texts = support.readable_texts(world.run.folder)
    for path in world.run.folder.glob("summary.*.json"):
        texts[path.name] = pd.DataFrame({"text": [path.read_text(encoding="utf-8")]})
    support.assert_no_planted_value(texts, world.truth)
    codes = pd.read_parquet(world.clean / "training_attendance.parquet")["participant_code"]
    page = html(world, "en")
    assert not any(code in page for code in codes.dropna().unique()[:50])  # no pseudonyms


def test_manifest_records_the_clean_inputs(world):
    manifest = json.dumps(json.loads(world.run.manifest.read_text(encoding="utf-8")))
    tables = ("training_attendance", "training_knowledge_test", "kvsp_capacity_scorecard")
    for name in tables:
        assert f"{name}.parquet" in manifest


def test_selection_by_period_start_and_course(world):
    params = check_params("capacity", {"period": "2022-12"})
    data = load_capacity(params, world.root)
    assert (data.participants["end_date"] <= pd.Timestamp("2022-12-31")).all()
    everything = load_capacity(check_params("capacity", {}), world.root)
    assert (
        data.participants["training_id"].nunique()
        < everything.participants["training_id"].nunique()
    )
    later = load_capacity(check_params("capacity", {"since": "2023-01-01"}), world.root)
    assert (later.participants["start_date"] >= pd.Timestamp("2023-01-01")).all()
    assert set(later.tests["training_id"]) <= set(later.participants["training_id"])
    one = load_capacity(check_params("capacity", {"courses": ["data_use"]}), world.root)
    assert set(one.participants["course"].astype(str)) == {"data_use"}
    with pytest.raises(ParamsError, match="did you mean 'data_use'"):
        load_capacity(check_params("capacity", {"courses": ["data_uses"]}), world.root)
    with pytest.raises(ParamsError, match="indicator"):
        load_capacity(check_params("capacity", {"indicators": ["OP9.9"]}), world.root)


def test_parameters_cell_declares_every_key_and_its_defaults_pass_the_checks():
    checked = support.checked_parameters_cell(NOTEBOOK, "capacity")
    assert checked == check_params("capacity", {})  # the cell says the schema's defaults
