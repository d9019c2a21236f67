"""The demo world's true effects (truth.json) are recovered by the endline impact plan.

Issue #4 ("the demo world's true effects from truth.json are recovered") and issue #5 ("on
the demo world the report must find the true effects within their CIs"): a demo world is
generated and ingested in a temporary project exactly as ``workbench demo-data`` and
``workbench ingest demo`` do, the derived outcomes are added from ``params/logframe.yaml``
(:mod:`evaluation.derive` through :func:`evaluation.indicators.prepare_tables`), and
:func:`evaluation.analysis_plan.run_plan` estimates the effects.

**Estimators.** The panel estimators: difference-in-differences on the linked panel with
student fixed effects (``did_panel``) and ANCOVA (``ancova``), each with its 95% wild cluster
bootstrap interval (the interval the report shows: 42 schools) and its CR1 interval.

**Estimand.** ``effect_respondents`` of truth.json: the mean of Y(1) - Y(0) over the project
students who answered the endline survey, which is what the panel estimators estimate (they
use the students seen at endline). Attitudes are compared on the scale's own units (truth:
``effect_respondents`` x ``sd_baseline``), because our standardised effects divide by the
comparison group's baseline SD while truth.json divides by the SD of every baseline
respondent. 0/1 outcomes are differences in proportions.

The repeated cross-section DiD (``did``) is not asserted: attrition in the demo world depends
on the students' antisocial propensity and differs by arm (17% vs 13%), so comparing
endline respondents with baseline respondents mixes the effect with the change in who
answers. At scale 0.5 its attitudes interval misses the truth; that is the documented
weakness of the estimator, not a fault.
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml

from evaluation.analysis_plan import ImpactPlan, run_plan

PROJECT = Path(__file__).resolve().parents[1]
FAMILIES = {
    "attitudes": ["attitudes_scale"],
    "behaviour": ["any_delinquency"],
    "substance": ["cannabis_30d"],
}
PANEL_ESTIMATORS = ("did_panel", "ancova")


def demo_youth(root: Path, scale: float) -> tuple[pd.DataFrame, dict]:
    """Write and ingest a demo world in ``root``; the youth survey with derived outcomes."""
    ingest = pytest.importorskip("evaluation.ingest")
    indicators = pytest.importorskip("evaluation.indicators")
    from evaluation.synth import world

    if not (PROJECT / "params" / "logframe.yaml").is_file():
        pytest.skip("params/logframe.yaml (derived outcomes) is not there yet")
    config = yaml.safe_load((PROJECT / "params" / "datasets.yaml").read_text(encoding="utf-8"))
    tables = config["datasets"]["demo"]["tables"]
    config["datasets"]["demo"]["tables"] = {"youth_survey": tables["youth_survey"]}
    (root / "params").mkdir()
    (root / "params" / "datasets.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    shutil.copytree(PROJECT / "surveys" / "instruments", root / "surveys" / "instruments")
    raw = root / "surveys" / "data" / "demo" / "raw"
    world.write_demo_world(raw, scale=scale)
    ingest.ingest_dataset("demo", root=root)
    clean = indicators.read_clean_tables("demo", ["youth_survey"], root=root)
    logframe = indicators.load_logframe(
        PROJECT / "params" / "logframe.yaml",
        root=PROJECT,
        instruments=PROJECT / "surveys" / "instruments",
    )
    youth = indicators.prepare_tables(logframe, clean, ["youth_survey"])["youth_survey"]
    truth = json.loads((raw / "truth.json").read_text(encoding="utf-8"))["effects"]
    return youth, truth


def respondents_truth(truth: dict, outcome: str) -> float:
    """truth.json's effect over endline respondents, in the outcome's own units."""
    entry = truth[outcome]
    scale = entry["sd_baseline"] if outcome == "attitudes_scale" else 1.0
    return entry["effect_respondents"] * scale


def assert_truth_inside(effects: pd.DataFrame, truth: dict) -> None:
    rows = effects[(effects["subgroup_var"] == "all") & (effects["term"] == "effect")]
    checked = 0
    for row in rows.itertuples():
        if row.estimator not in PANEL_ESTIMATORS:
            continue
        value = respondents_truth(truth, row.outcome)
        where = f"{row.outcome}, {row.estimator}: truth {value:.4f}"
        assert row.ci_low_wcb < value < row.ci_high_wcb, (
            f"{where}, WCB [{row.ci_low_wcb:.4f}, {row.ci_high_wcb:.4f}]"
        )
        assert row.ci_low < value < row.ci_high, (
            f"{where}, CR1 [{row.ci_low:.4f}, {row.ci_high:.4f}]"
        )
        checked += 1
    assert checked == len(FAMILIES) * len(PANEL_ESTIMATORS)


def test_true_effects_recovered_small_world(tmp_path):
    """Half-size world (about 600 students per wave in 42 schools), headline effects only."""
    youth, truth = demo_youth(tmp_path, scale=0.5)
    plan = ImpactPlan.from_params({"families": FAMILIES, "heterogeneity": [], "reps": 1999})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = run_plan(youth, plan)
    assert_truth_inside(results.effects, truth)
    summary = results.panel.summary.set_index(["by", "group"])
    assert summary.loc[("all", "all"), "linked"] > 0.6 * summary.loc[("all", "all"), "n_baseline"]


@pytest.mark.slow
def test_true_effects_recovered_full_world(tmp_path):
    """The demo world at scale 1 (about 1,200 students per wave), the full plan: 9,999
    bootstrap replications, Romano-Wolf, heterogeneity by sex and age group."""
    youth, truth = demo_youth(tmp_path, scale=1.0)
    plan = ImpactPlan.from_params({"families": FAMILIES})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = run_plan(youth, plan)
    assert_truth_inside(results.effects, truth)
    headline = results.effects[results.effects["subgroup_var"] == "all"]
    assert headline["p_value_rw"].notna().all()
    # attitudes improve clearly in the demo world (truth about +0.2 SD)
    attitudes = headline[
        (headline["outcome"] == "attitudes_scale") & (headline["estimator"] == "did_panel")
    ]
    assert attitudes["p_value_wcb"].item() < 0.05
    assert 0.05 < attitudes["std_effect"].item() < 0.4
