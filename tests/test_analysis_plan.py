"""Tests of evaluation.analysis_plan: the endline impact plan over families of outcomes.

The plan is checked on simulated school surveys with known effects (randomised arms, so
that DiD and ANCOVA target the same effect), against the estimators it calls
(evaluation.impact), and against statsmodels for the heterogeneity interaction.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from evaluation.analysis_plan import (
    ESTIMATORS,
    ImpactPlan,
    age_groups,
    coefficient_plot_table,
    load_plan,
    run_plan,
)
from evaluation.errors import DataError, ParamsError
from evaluation.impact import adjust_pvalues, ancova, did, romano_wolf
from evaluation.panel import link_waves, wide_panel
from evaluation.results import check_result, result_info

pytestmark = pytest.mark.filterwarnings(
    "ignore::evaluation.errors.MissingDataWarning", "ignore::evaluation.errors.FewClustersWarning"
)
REPS = 999  # bootstrap replications in the fast tests
EFFECT, EFFECT_MALE_EXTRA, EFFECT_BINARY = 0.30, 0.40, -0.10


def world(
    seed: int = 1,
    schools: int = 24,
    size: int = 40,
    effect: float = EFFECT,
    male_extra: float = EFFECT_MALE_EXTRA,
    effect_binary: float = EFFECT_BINARY,
    attrition: float = 0.15,
) -> pd.DataFrame:
    """Both waves of a school survey: arms randomised by school, parallel trends.

    ``y`` has a true effect of ``effect`` for girls and ``effect + male_extra`` for boys;
    ``b`` (0/1) an effect of ``effect_binary`` on the probability, for everyone; ``z`` none.
    """
    rng = np.random.default_rng(seed)
    school = np.repeat(np.arange(schools), size)
    n = len(school)
    treated = np.zeros(schools, dtype=int)
    treated[rng.permutation(schools)[: schools // 2]] = 1
    t = treated[school]
    male = rng.random(n) < 0.5
    u = rng.normal(0, 0.35, schools)[school]
    person = rng.normal(size=n)
    tau = effect + male_extra * male
    y0 = u + person + 0.3 * male + rng.normal(0, 0.7, n)
    y1 = u + person + 0.3 * male + 0.2 + tau * t + rng.normal(0, 0.7, n)
    p = 0.35 + 0.05 * male + rng.normal(0, 0.03, schools)[school]
    b0 = rng.random(n) < p
    b1 = rng.random(n) < p + 0.02 + effect_binary * t
    z0, z1 = rng.normal(size=n), rng.normal(size=n)
    age = rng.integers(13, 18, n)
    base = pd.DataFrame(
        {
            "school_code": [f"S{s:02d}" for s in school],
            "arm": np.where(t == 1, "project", "comparison"),
            "wave": "baseline",
            "panel_code": [f"P-{i:016x}" for i in range(n)],
            "sex": np.where(male, "male", "female"),
            "age": age,
            "weight": 5.0 + (school % 4),
            "y": y0,
            "b": b0.astype(float),
            "z": z0,
        }
    )
    end = base.assign(wave="endline", age=age + 1, y=y1, b=b1.astype(float), z=z1)
    end = end[rng.random(n) > attrition]
    data = pd.concat([base, end], ignore_index=True)
    data["wave"] = pd.Categorical(data["wave"], categories=["baseline", "endline"])
    data["sex"] = pd.Categorical(data["sex"], categories=["female", "male", "prefer_not"])
    return data


def plan(**overrides: object) -> ImpactPlan:
    values = {
        "families": {"main": ["y", "z"], "binary": ["b"]},
        "reps": REPS,
        "heterogeneity": [],
    }
    values.update(overrides)
    return ImpactPlan.from_params(values, source="test")


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    """One fixed world (seed 2). In seed 1 the realised difference between boys and girls
    happens to sit 2.7 SE from the truth; coverage is checked over many worlds in the slow
    test."""
    return world(seed=2)


@pytest.fixture(scope="module")
def results(data):
    return run_plan(data, plan(heterogeneity=["sex", "age_group"]))


def headline(effects: pd.DataFrame) -> pd.DataFrame:
    rows = effects[(effects["subgroup_var"] == "all") & (effects["term"] == "effect")]
    return rows.set_index(["outcome", "estimator"])


# --------------------------------------------------------------------------- the plan
def test_plan_defaults_and_validation(tmp_path: Path):
    p = ImpactPlan.from_params({"families": {"a": ["y"]}})
    assert p.estimators == ESTIMATORS and p.adjust == "holm" and p.weights is None
    assert p.heterogeneity == ("sex", "age_group") and p.outcomes == ("y",)
    with pytest.raises(ParamsError, match=r"unknown key 'familes' \(did you mean 'families'\?\)"):
        ImpactPlan.from_params({"familes": {"a": ["y"]}})
    with pytest.raises(ParamsError, match="missing required key 'families'"):
        ImpactPlan.from_params({})
    with pytest.raises(ParamsError, match="'y' is in families 'a' and 'b'"):
        ImpactPlan.from_params({"families": {"a": ["y"], "b": ["y"]}})
    with pytest.raises(ParamsError, match="family 'a' lists no outcomes"):
        ImpactPlan.from_params({"families": {"a": []}})
    with pytest.raises(ParamsError, match="key 'adjust': 'holmes' is not one of"):
        ImpactPlan.from_params({"families": {"a": ["y"]}, "adjust": "holmes"})
    with pytest.raises(ParamsError, match="'did_pannel' is not one of"):
        ImpactPlan.from_params({"families": {"a": ["y"]}, "estimators": ["did_pannel"]})
    with pytest.raises(ParamsError, match="age_breaks' must be increasing"):
        ImpactPlan.from_params({"families": {"a": ["y"]}, "age_breaks": [15, 12]})
    path = tmp_path / "endline.yaml"
    path.write_text("report: endline\nimpact:\n  families:\n    a: [y, z]\n  adjust: bh\n")
    loaded = load_plan(path)
    assert loaded.families == {"a": ("y", "z")} and loaded.adjust == "bh"
    path.write_text("report: endline\n")
    with pytest.raises(ParamsError, match="no 'impact' section"):
        load_plan(path)


def test_age_groups():
    groups = age_groups(pd.Series([12, 14, 15, 17, 18, None]), [15, 18])
    assert list(groups.categories) == ["under_15", "15_17", "18_plus"]
    assert groups.astype(object).tolist()[:5] == [
        "under_15",
        "under_15",
        "15_17",
        "15_17",
        "18_plus",
    ]
    assert pd.isna(groups[5])


# --------------------------------------------------------------------------- known effects
def test_effects_recovered(results):
    """Every estimate is within 3 standard errors of the true effect (the slow test checks
    the intervals' coverage over many worlds)."""
    rows = headline(results.effects)
    truth = {"y": EFFECT + EFFECT_MALE_EXTRA / 2, "b": EFFECT_BINARY, "z": 0.0}
    assert len(rows) == 9
    for (outcome, estimator), row in rows.iterrows():
        assert abs(row["estimate"] - truth[outcome]) < 3 * row["se"], (outcome, estimator)
    assert rows.loc[("y", "did_panel"), "p_value_wcb"] < 0.01
    assert rows.loc[("z", "ancova"), "p_value_wcb"] > 0.05


def test_heterogeneity_by_sex(results):
    effects = results.effects
    by_sex = effects[(effects["subgroup_var"] == "sex") & (effects["outcome"] == "y")]
    for estimator in ESTIMATORS:
        rows = by_sex[by_sex["estimator"] == estimator].set_index("subgroup")
        assert set(rows.index) == {"female", "male", "male - female"}  # prefer_not: no rows
        truth = {
            "female": EFFECT,
            "male": EFFECT + EFFECT_MALE_EXTRA,
            "male - female": EFFECT_MALE_EXTRA,
        }
        for subgroup, value in truth.items():
            assert abs(rows.loc[subgroup, "estimate"] - value) < 3 * rows.loc[subgroup, "se"]
        diff = rows.loc["male - female"]
        assert diff["term"] == "difference" and diff["p_value"] < 0.05
        assert np.isnan(diff["p_value_adj"]) and np.isnan(diff["p_value_wcb"])
        # the split-sample estimates differ by about the pooled model's difference
        split = rows.loc["male", "estimate"] - rows.loc["female", "estimate"]
        assert abs(split - diff["estimate"]) < diff["se"]


def test_age_groups_use_baseline_age_in_the_panel(results, data):
    effects = results.effects
    panel_rows = effects[
        (effects["estimator"] == "did_panel") & (effects["subgroup_var"] == "age_group")
    ]
    young = panel_rows[(panel_rows["subgroup"] == "under_15") & (panel_rows["outcome"] == "y")]
    panel, _ = link_waves(data)
    linked = panel[panel["linked"]]
    baseline_age = linked[linked["wave"] == "baseline"].set_index("unit_id")["age"]
    units = baseline_age.index[baseline_age < 15]
    assert young["n"].item() == 2 * len(units)  # both waves of each young student


def test_difference_matches_statsmodels(data):
    """The 'difference' row of did is the triple interaction of the pooled OLS, with CR1
    standard errors (statsmodels cluster covariance, G/(G-1)(N-1)/(N-K))."""
    p = plan(heterogeneity=["sex"], estimators=["did"], wild_bootstrap="never")
    effects = run_plan(data, p).effects
    row = effects[(effects["term"] == "difference") & (effects["outcome"] == "y")].iloc[0]
    frame = data.assign(
        treat=(data["arm"] == "project").astype(int),
        post=(data["wave"] == "endline").astype(int),
        male=(data["sex"] == "male").astype(int),
    )
    fit = smf.ols("y ~ treat * post * male", frame).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(frame["school_code"])[0]}
    )
    assert row["estimate"] == pytest.approx(fit.params["treat:post:male"], rel=1e-9)
    assert row["se"] == pytest.approx(fit.bse["treat:post:male"], rel=1e-9)


# --------------------------------------------------------------------------- wiring
def test_effects_equal_the_estimators(data, results):
    """The plan's rows are the impact estimators' own rows on the right frames."""
    rows = headline(results.effects)
    frame = data.assign(
        _treated=(data["arm"] == "project").astype(int),
        _post=(data["wave"] == "endline").astype(int),
    )
    options = {"reps": REPS, "seed": 20220203}
    cross = did(frame, ["y", "z"], "_treated", "_post", "school_code", **options)
    panel, _ = link_waves(frame)
    linked = panel[panel["linked"]]
    fixed = did(linked, ["y", "z"], "_treated", "_post", "school_code", unit="unit_id", **options)
    wide = wide_panel(panel, ["y", "z"], keep=["school_code", "_treated"])
    ends = {"y_endline": "y_baseline", "z_endline": "z_baseline"}
    anc = ancova(wide, list(ends), ends, "_treated", "school_code", **options)
    for estimator, table, term in (
        ("did", cross, "did"),
        ("did_panel", fixed, "did"),
        ("ancova", anc, "treatment"),
    ):
        for outcome in ("y", "z"):
            name = f"{outcome}_endline" if estimator == "ancova" else outcome
            expected = table[(table["outcome"] == name) & (table["term"] == term)].iloc[0]
            got = rows.loc[(outcome, estimator)]
            for column in (
                "estimate",
                "se",
                "ci_low",
                "ci_high",
                "p_value",
                "p_value_wcb",
                "ci_low_wcb",
                "ci_high_wcb",
                "std_effect",
                "n",
                "n_clusters",
            ):
                assert got[column] == pytest.approx(expected[column], rel=1e-12), (
                    estimator,
                    column,
                )


def test_standardised_effect_uses_comparison_baseline_sd(data, results):
    rows = headline(results.effects)
    comparison = data[(data["arm"] == "comparison") & (data["wave"] == "baseline")]
    sd = comparison["y"].std(ddof=1)
    for estimator in ("did", "ancova"):
        row = rows.loc[("y", estimator)]
        assert row["comparison_sd"] == pytest.approx(sd, rel=1e-12)
        assert row["std_effect"] == pytest.approx(row["estimate"] / sd, rel=1e-12)


def test_multiple_testing_within_family(data, results):
    rows = headline(results.effects).reset_index()
    for estimator in ESTIMATORS:
        family = rows[(rows["family"] == "main") & (rows["estimator"] == estimator)]
        expected = adjust_pvalues(family["p_value_wcb"].to_numpy(), method="holm")
        np.testing.assert_allclose(family["p_value_adj"].to_numpy(), expected, rtol=1e-12)
        single = rows[(rows["family"] == "binary") & (rows["estimator"] == estimator)]
        assert single["p_value_adj"].item() == pytest.approx(single["p_value_wcb"].item())
        assert single["p_value_rw"].item() == pytest.approx(single["p_value_wcb"].item())
    frame = data.assign(
        _treated=(data["arm"] == "project").astype(int),
        _post=(data["wave"] == "endline").astype(int),
    )
    rw = romano_wolf(
        frame, ["y", "z"], "_treated", "school_code", post="_post", reps=REPS, seed=20220203
    )
    got = rows[(rows["family"] == "main") & (rows["estimator"] == "did")].set_index("outcome")
    for outcome, p in zip(rw["outcome"], rw["p_value"], strict=True):
        assert got.loc[outcome, "p_value_rw"] == pytest.approx(p, rel=1e-12)
    # Romano-Wolf is never smaller than the unadjusted bootstrap p-value
    assert (rows["p_value_rw"] >= rows["p_value_wcb"] - 1e-12).all()


def test_bh_and_no_romano_wolf(data):
    effects = run_plan(data, plan(adjust="bh", romano_wolf=False, estimators=["ancova"])).effects
    family = effects[effects["family"] == "main"]
    expected = adjust_pvalues(family["p_value_wcb"].to_numpy(), method="bh")
    np.testing.assert_allclose(family["p_value_adj"], expected, rtol=1e-12)
    assert effects["p_value_rw"].isna().all()


def test_weighted_plan_is_wls(data):
    effects = run_plan(
        data, plan(weights="weight", estimators=["did"], wild_bootstrap="never")
    ).effects
    frame = data.assign(
        _treated=(data["arm"] == "project").astype(int),
        _post=(data["wave"] == "endline").astype(int),
    )
    expected = did(
        frame, "y", "_treated", "_post", "school_code", weights="weight", wild_bootstrap=False
    )
    row = effects[effects["outcome"] == "y"].iloc[0]
    effect = expected[expected["term"] == "did"].iloc[0]
    assert row["estimate"] == pytest.approx(effect["estimate"], rel=1e-12)
    assert row["se"] == pytest.approx(effect["se"], rel=1e-12)
    assert "weighted by 'weight'" in " ".join(result_info(effects).notes)


# --------------------------------------------------------------------------- outputs
def test_result_contract(results):
    check_result(results.effects)
    check_result(results.plot)
    info = result_info(results.effects)
    assert info.extra["plan"].families == {"main": ("y", "z"), "binary": ("b",)}
    assert list(results.effects.columns[:6]) == [
        "family",
        "outcome",
        "estimator",
        "subgroup_var",
        "subgroup",
        "term",
    ]
    assert set(results.effects["term"]) == {"effect", "difference"}
    assert results.panel.summary.loc[0, "linked"] == results.panel.panel["linked"].sum() / 2


def test_coefficient_plot_table(results):
    plot = results.plot
    effects = results.effects
    effect_rows = effects[effects["term"] == "effect"]
    assert len(plot) == len(effect_rows)
    assert (plot["interval"] == "wild cluster bootstrap").all()
    np.testing.assert_allclose(plot["ci_low"], effect_rows["ci_low_wcb"])
    np.testing.assert_allclose(
        plot["std_ci_high"], effect_rows["ci_high_wcb"] / effect_rows["comparison_sd"]
    )
    cr1 = coefficient_plot_table(
        run_plan(
            results.panel.panel.drop(columns=["unit_id", "linked", "link_status", "_treated"]),
            plan(wild_bootstrap="never", estimators=["did"]),
        ).effects
    )
    assert (cr1["interval"] == "CR1").all() and cr1["ci_low"].notna().all()


def test_attrition_table(results, data):
    lost = results.attrition
    check_result(lost)
    rates = lost[lost["section"] == "rate"].set_index("group")
    baseline = data[data["wave"] == "baseline"]
    linked_share = results.panel.summary.set_index(["by", "group"]).loc[
        ("arm", "project"), "link_rate"
    ]
    assert rates.loc["project", "estimate"] == pytest.approx(1 - linked_share)
    assert rates.loc["all", "n"] == len(baseline)


def test_data_errors(data):
    with pytest.raises(DataError, match="no column 'q'"):
        run_plan(data, plan(families={"a": ["q"]}))
    missing_arm = data.copy()
    missing_arm.loc[3, "arm"] = None
    with pytest.raises(DataError, match="column 'arm': 1 rows have no arm"):
        run_plan(missing_arm, plan())
    with pytest.raises(DataError, match="no row has the project value 'treated'"):
        run_plan(data, plan(treated_value="treated"))


def test_input_not_modified(data):
    before = data.copy()
    run_plan(data, plan(estimators=["did"], wild_bootstrap="never", heterogeneity=["sex"]))
    pd.testing.assert_frame_equal(data, before)


# --------------------------------------------------------------------------- simulation
def coverage(runs: int, first_seed: int = 100) -> dict[tuple[str, str], float]:
    """Share of ``runs`` simulated worlds in which the CR1 interval of did_panel and ancova
    covers the true effect (``all``) and the true difference between boys and girls."""
    p = plan(
        families={"main": ["y"]},
        estimators=["did_panel", "ancova"],
        wild_bootstrap="never",
        romano_wolf=False,
        heterogeneity=["sex"],
    )
    truth = {"all": EFFECT + EFFECT_MALE_EXTRA / 2, "male - female": EFFECT_MALE_EXTRA}
    hits = {(e, s): 0 for e in p.estimators for s in truth}
    for seed in range(first_seed, first_seed + runs):
        effects = run_plan(world(seed=seed), p).effects
        rows = effects[effects["subgroup"].isin(list(truth))]
        for row in rows.itertuples():
            hits[(row.estimator, row.subgroup)] += row.ci_low < truth[row.subgroup] < row.ci_high
    return {key: count / runs for key, count in hits.items()}


@pytest.mark.slow
def test_coverage_of_panel_estimators():
    """CR1 intervals (t, G - 1 df) of did_panel and ancova cover the true effect, and the
    true difference between boys and girls, at close to the nominal rate over 200 simulated
    surveys with 24 schools."""
    for key, rate in coverage(200).items():
        assert 0.92 <= rate <= 0.98, (key, rate)
