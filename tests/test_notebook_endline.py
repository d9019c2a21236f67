"""The endline impact notebook end to end on a demo world: demo data, ingestion,
``run_report("endline")`` in English and Albanian, and what it publishes.

One module-scoped run in a throw-away project folder (scale 0.5, 199 bootstrap draws: a
smoke run of every section, ~30 s on two idle cores); the tests read what it left. The
true effects of the demo world (``truth.json``) are checked against the published effects
table in a slow test at scale 1 with the committed params, where the comparison means
something (:func:`test_true_effects_inside_the_published_intervals`).
"""

import json
import re
from pathlib import Path
from types import SimpleNamespace

import notebook_support as support
import pandas as pd
import pytest
from notebook_support import text, workbook

from evaluation import indicators, pipeline
from evaluation.params import check_params
from evaluation.report.tables import format_number

NOTEBOOK = support.ROOT / "notebooks" / "20_endline_impact.ipynb"
PARAMS = ("datasets.yaml", "logframe.yaml", "endline.yaml")
SMOKE_SCALE, SMOKE_REPS = 0.5, 199
# truth.json's outcomes, as the report names them (attitudes on the 0-100 score, OC1.1)
TRUE_EFFECTS = {"attitudes_scale": "attitudes_score", "any_delinquency": "any_delinquency",
                "cannabis_30d": "cannabis_30d"}  # fmt: skip
# outcomes without a programme effect in the demo world (evaluation/synth/youth.py: only
# attitudes, delinquency and cannabis use are shifted)
NO_EFFECT = ("low_commitment", "antisocial_friends", "cannabis_easy", "feels_safe", "help_knows_2")


def make_world(root: Path, scale: float, overrides: dict | None = None) -> SimpleNamespace:
    """A project in ``root`` with the demo world at ``scale``, ingested, and the endline
    report run in both languages with the committed params (plus ``overrides``)."""
    with support.demo_project(root, NOTEBOOK, PARAMS, scale):
        run = pipeline.run_report("endline", root=root, progress=False, overrides=overrides)
    return SimpleNamespace(root=root, run=run, truth=support.read_truth(root))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("endline-project")
    return make_world(root, SMOKE_SCALE, {"impact": {"reps": SMOKE_REPS}})


def effects(world, language="en"):
    return pd.read_csv(world.run.folder / f"effects.{language}.csv")


def headline(table):
    return table[(table["subgroup_var"] == "all") & (table["term"] == "effect")]


# --------------------------------------------------------------------------- what is published
def test_both_languages_are_published_with_html_workbook_and_effects(world):
    files = ("20_endline_impact.{language}.ipynb", "report.{language}.html",
             "donor_workbook.{language}.xlsx", "effects.{language}.csv")  # fmt: skip
    support.assert_published(world, "endline", files)


def test_html_has_no_code_and_its_headings_are_in_the_language(world):
    expected = {
        "en": ("Effects of the project", "Students lost between the two rounds"),
        "sq": ("Efektet e projektit", "Nxënësit e humbur ndërmjet dy raundeve"),
    }
    code = ("analyse(", "display(", "import ", "narrative.", "present.", "Traceback")
    for language, wanted in expected.items():
        soup = support.code_free_page(world, language, code)
        shown = support.headings(soup)
        assert set(wanted) <= set(shown), shown
        assert soup.find_all("img"), f"{language}: the coefficient plot is missing"
    albanian = text(world, "sq")
    assert "Raporti i vlerësimit përfundimtar të ndikimit" in albanian
    for english in ("Effects of the project", "confidence interval", "Difference-in-differences"):
        assert english not in albanian


def test_effects_table_has_every_outcome_estimator_and_subgroup(world):
    table = effects(world)
    params = json.loads(world.run.manifest.read_text(encoding="utf-8"))["params"]
    plan = params["impact"]
    outcomes = [y for ys in plan["families"].values() for y in ys]
    top = headline(table)
    assert sorted(zip(top["outcome"], top["estimator"], strict=True)) == sorted(
        (y, e) for y in outcomes for e in plan["estimators"]
    )
    assert top["p_value_wcb"].notna().all()  # 42 schools: the bootstrap ran beside CR1
    assert top["p_value_adj"].between(0, 1).all() and top["p_value_rw"].notna().all()
    assert (top["p_value_adj"] >= top["p_value_wcb"] - 1e-12).all()  # adjustment only raises
    subgroups = table[table["subgroup_var"] != "all"]
    assert set(subgroups["subgroup_var"]) == {"sex", "age_group"}
    assert set(subgroups["estimator"]) == {params["primary_estimator"]}
    assert set(subgroups["term"]) == {"effect", "difference"}
    std = top["estimate"] / top["comparison_sd"]
    assert (top["std_effect"] - std).abs().max() < 1e-12


def test_sentences_quote_the_published_numbers(world):
    top = headline(effects(world)).set_index(["outcome", "estimator"])
    row = top.loc[("attitudes_score", "did_panel")]
    page = text(world, "en")
    effect = format_number(row["estimate"], 1)
    sign = "+" if row["estimate"] > 0 and effect.strip("0.-") else ""
    label = re.escape("Attitudes against violence and crime (0-100)")
    assert re.search(rf"{label}\s*:\s*{re.escape(sign + effect)} points", page), page[:300]
    interval = f"[{format_number(row['ci_low_wcb'], 1)}, {format_number(row['ci_high_wcb'], 1)}]"
    assert interval in page
    albanian = text(world, "sq")
    assert format_number(row["estimate"], 1, "sq") in albanian  # decimal comma
    assert re.search(r"\d,\d%", albanian) and not re.search(r"\d\.\d%", albanian)


def test_method_notes_name_the_clusters_and_the_bootstrap(world):
    manifest = json.loads(world.run.manifest.read_text(encoding="utf-8"))
    notes = manifest["notes"]
    schools = int(headline(effects(world))["n_clusters"].max())
    english = " ".join(notes["en"])
    assert f"{schools} schools" in english
    assert f"{SMOKE_REPS} draws" in english and "wild cluster bootstrap" in english
    assert "Estimand" in english
    assert len(notes["sq"]) == len(notes["en"])
    assert "shkolla" in " ".join(notes["sq"])


def test_manifest_records_the_clean_inputs_and_the_logframe(world):
    manifest = json.dumps(json.loads(world.run.manifest.read_text(encoding="utf-8")))
    for name in ("youth_survey.parquet", "dv_referral_case.parquet", "logframe.yaml"):
        assert name in manifest


# --------------------------------------------------------------------------- donor workbook
def test_workbooks_have_the_donor_sheets_and_no_formula(world):
    sheets = {
        "en": ["About", "Logframe", "Impact", "Attrition", "Balance", "Sample"],
        "sq": [
            "Rreth",
            "Korniza logjike",
            "Ndikimi",
            "Humbja e nxënësve",
            "Krahasueshmëria",
            "Mostra",
        ],
    }
    for language in support.LANGUAGES:
        book = workbook(world, language)
        assert book.sheetnames[0] == sheets[language][0]
        missing = [s for s in sheets[language] if s not in book.sheetnames]
        assert not missing, f"{language}: {missing} not in {book.sheetnames}"
        support.assert_no_formulas(book, language)


def test_small_indicator_values_are_hidden_in_the_workbook(world):
    """Every logframe actual based on fewer than min_cell_size respondents is blank."""
    clean = indicators.read_clean_tables("demo", root=world.root)
    logframe = indicators.load_logframe(world.root / "params" / "logframe.yaml", root=world.root)
    itt = indicators.logframe_table(logframe, indicators.compute_indicators(logframe, clean))
    small = set(itt.loc[pd.to_numeric(itt["n"]).fillna(0).between(1, 9), "id"])
    sheet = workbook(world, "en")["Logframe"]
    rows = list(sheet.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r and r[0] == "ID")
    header = rows[head]
    actual, n = header.index("Actual"), header.index("n (unweighted)")
    for row in rows[head + 1 :]:
        if row[0] in small:
            assert row[actual] is None and row[n] is None, row
    published = [r for r in rows[head + 1 :] if r[0] and r[n] is not None]
    assert published and all(r[n] >= 10 for r in published)


def texts_with_effects(folder: Path) -> dict[str, pd.DataFrame]:
    """Every text a reader gets: the pages, every workbook cell and sheet name, and the
    effects files."""
    texts = support.readable_texts(folder)
    for path in folder.glob("*.csv"):
        texts[path.name] = pd.read_csv(path).astype(str)
    return texts


def test_no_personal_value_reaches_the_report(world):
    texts = texts_with_effects(world.run.folder)
    support.assert_no_planted_value(texts, world.truth)
    headers = {str(c) for frame in texts.values() for c in frame.iloc[:8].to_numpy().ravel()}
    assert "panel_code" not in headers and "sgc_mother" not in headers


# --------------------------------------------------------------------------- the notebook
def test_parameters_cell_declares_every_key_and_its_defaults_pass_the_checks():
    checked = support.checked_parameters_cell(NOTEBOOK, "endline")
    assert checked["impact"]["families"]["attitudes"] == ["attitudes_score", "low_commitment"]


def test_the_plan_takes_the_runs_seed_and_refuses_its_own():
    from evaluation.errors import ParamsError

    plan = {"families": {"a": ["y"]}}
    with pytest.raises(ParamsError, match=r"unknown key 'impact.seed'.*Valid keys under"):
        check_params("endline", {"impact": {**plan, "seed": 1}})
    with pytest.raises(ParamsError, match=r"'impact.familys' \(did you mean 'families'\?\)"):
        check_params("endline", {"impact": {"familys": {"a": ["y"]}}})
    with pytest.raises(ParamsError, match=r"missing required key 'impact\.families'"):
        check_params("endline", {"impact": {"estimators": ["did"]}})
    default = check_params("endline", {})["impact"]  # the committed plan's families
    assert default["families"]["substance"] == ["cannabis_30d", "cannabis_life", "cannabis_easy"]


# --------------------------------------------------------------------------- the truth
def true_value(truth: dict, name: str) -> float:
    """truth.json's effect over endline respondents, in the report's units: attitudes on
    the 0-100 score (truth: SD units of the 1-4 scale), 0/1 outcomes as proportions."""
    entry = truth[name]
    if name == "attitudes_scale":
        return entry["effect_respondents"] * entry["sd_baseline"] * 100 / 3
    return entry["effect_respondents"]


@pytest.mark.slow
def test_true_effects_inside_the_published_intervals(tmp_path):
    """Scale 1 and the committed params (4,999 draws): for the panel estimators (the
    estimand of truth.json's ``effect_respondents``; see tests/test_demo_effects.py for why
    the cross-section DiD is not asserted), the published 95% wild-bootstrap and CR1
    intervals contain the true effect; outcomes without an effect are not declared
    effective by the headline estimator after the family adjustment."""
    big = make_world(tmp_path, 1.0)
    table = headline(effects(big)).set_index(["outcome", "estimator"])
    checked = 0
    for name, outcome in TRUE_EFFECTS.items():
        value = true_value(big.truth["effects"], name)
        for estimator in ("did_panel", "ancova"):
            row = table.loc[(outcome, estimator)]
            where = f"{outcome}, {estimator}: truth {value:.4f}"
            assert row["ci_low_wcb"] < value < row["ci_high_wcb"], f"{where}, WCB {row.to_dict()}"
            assert row["ci_low"] < value < row["ci_high"], f"{where}, CR1 {row.to_dict()}"
            checked += 1
    assert checked == 6
    for outcome in NO_EFFECT:
        assert table.loc[(outcome, "did_panel"), "p_value_adj"] >= 0.05, outcome
    assert table.loc[("attitudes_score", "did_panel"), "p_value_adj"] < 0.05  # +0.2 SD is found
