"""Tests of evaluation.risk: the survey-weighted risk-factor model for drug use.

Reference values in :data:`R_VALUES` were computed with R 4.2.2 and survey 4.1.1 by
:data:`R_SCRIPT` (run from the project root: ``Rscript script.R``) on the baseline wave of
``tests/reference/data/youth_did.csv`` with the design ``ids = ~cluster, strata = ~treat,
weights = ~wt``. Continuous marginal effects are checked by finite differences, and every
delta-method standard error against statsmodels on an unweighted simple random sample.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import optimize
from scipy.special import expit

from evaluation import risk
from evaluation.errors import DataError, EstimationError, ParamsError
from evaluation.results import check_result, result_info
from evaluation.risk import FewEventsWarning, risk_model, risk_reading
from evaluation.survey import Design, mean, regress

REFERENCE = Path(__file__).parent / "reference"
REL = 1e-6  # relative tolerance for comparisons with R (tests/reference/README.md)
FACTORS = ["female", "age", "score", "treat"]

R_SCRIPT = r"""
suppressPackageStartupMessages({library(survey); library(jsonlite)})
d <- read.csv(file.path("tests", "reference", "data", "youth_did.csv"))
b <- d[d$wave == 0, ]
des <- svydesign(ids = ~cluster, strata = ~treat, weights = ~wt, data = b)
ctl <- glm.control(epsilon = 1e-14, maxit = 100)
fit <- svyglm(engaged ~ female + age + score + treat, design = des,
              family = quasibinomial(), control = ctl)
ci <- confint(fit)
out <- list(
  terms = names(coef(fit)), coef = unname(coef(fit)), se = unname(SE(fit)),
  p = unname(summary(fit)$coefficients[, 4]), df_residual = fit$df.residual,
  or = unname(exp(coef(fit))), or_ci_low = unname(exp(ci[, 1])), or_ci_high = unname(exp(ci[, 2])))
margins <- function(group, adjust) {
  adj <- svyglm(adjust, design = des, family = quasibinomial(), control = ctl)
  pm <- svypredmeans(adj, group)
  parts <- attr(attr(pm, "var"), "parts")
  contrast <- c(-1, 1)[order(as.numeric(names(coef(pm))))]  # level 1 minus level 0
  list(levels = names(coef(pm)), means = unname(coef(pm)),
       effect = sum(contrast * coef(pm)),
       var_delta = drop(t(contrast) %*% parts[[1]] %*% contrast),
       var_mean = drop(t(contrast) %*% parts[[2]] %*% contrast),
       var_r = drop(t(contrast) %*% attr(pm, "var") %*% contrast))
}
out$female <- margins(~female, engaged ~ age + score + treat)
out$treat <- margins(~treat, engaged ~ female + age + score)
## Saturated model engaged ~ female: PAF(female) = 1 - mean(engaged | female = 0) / mean(engaged),
## linearised exactly by svycontrast on three means.
m <- svymean(~I(engaged * (1 - female)) + I(1 - female) + engaged, des)
names(m) <- c("a", "b", "y")
paf <- svycontrast(m, quote(1 - (a / b) / y))
out$paf <- list(estimate = unname(coef(paf)), se = unname(SE(paf)), degf = degf(des))
cat(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE))
"""

R_VALUES = {
    "terms": ["(Intercept)", "female", "age", "score", "treat"],
    "coef": [
        0.174317079644283,
        0.357346450569283,
        -0.0149411077720362,
        0.000742748816433419,
        -0.374055891800091,
    ],
    "se": [
        0.534302561374694,
        0.23301109946294,
        0.0278953334875606,
        0.00648560329086783,
        0.28128478961701,
    ],
    "p": [
        0.747996639498045,
        0.142516157749384,
        0.598782306782131,
        0.910091252493636,
        0.200186955305029,
    ],
    "df_residual": 18,
    "or": [
        1.19043296804597,
        1.42953104591658,
        0.985169956748342,
        1.00074302472264,
        0.68793846063552,
    ],
    "or_ci_low": [
        0.387433542661889,
        0.876173013183223,
        0.929092450739131,
        0.987199632514279,
        0.380978130452123,
    ],
    "or_ci_high": [
        3.65773867093242,
        2.33236927009985,
        1.04463214926288,
        1.01447221873488,
        1.24222176496045,
    ],
    # svypredmeans(.., ~female): level 1 minus level 0; variance parts: coefficients (delta)
    # and the mean of the predictions (R adds them and leaves out their covariance)
    "female": {
        "effect": 0.0881705170461953,
        "var_delta": 0.00331960589245303,
        "var_mean": 3.0667437867227e-09,
    },
    "treat": {
        "effect": -0.0923515100438365,
        "var_delta": 0.00477609351125319,
        "var_mean": 6.44778851593008e-10,
    },
    "paf": {"estimate": 0.0902887181228047, "se": 0.0630679832473082, "degf": 22},
}


@pytest.fixture(scope="module")
def baseline() -> pd.DataFrame:
    data = pd.read_csv(REFERENCE / "data" / "youth_did.csv")
    return data[data["wave"] == 0].reset_index(drop=True)


@pytest.fixture(scope="module")
def design(baseline) -> Design:
    return Design(baseline, weights="wt", strata="treat", clusters="cluster")


@pytest.fixture(scope="module")
def model(design) -> risk.RiskModel:
    return risk_model(design, "engaged", FACTORS, modifiable=["treat"], auc=True)


# --------------------------------------------------------------------------- against R
def test_odds_ratios_match_r(model):
    odds = model.odds_ratios
    assert odds["term"].tolist() == FACTORS
    np.testing.assert_allclose(odds["estimate"], R_VALUES["or"][1:], rtol=REL)
    np.testing.assert_allclose(odds["ci_low"], R_VALUES["or_ci_low"][1:], rtol=REL)
    np.testing.assert_allclose(odds["ci_high"], R_VALUES["or_ci_high"][1:], rtol=REL)
    np.testing.assert_allclose(odds["p_value"], R_VALUES["p"][1:], rtol=REL)
    np.testing.assert_allclose(odds["se_log_odds"], R_VALUES["se"][1:], rtol=REL)
    assert (odds["df"] == R_VALUES["df_residual"]).all()


def test_odds_ratios_are_exp_of_regress(design, model):
    fit = regress(design, "engaged ~ " + " + ".join(FACTORS), family="binomial")
    slopes = fit[fit["term"] != "(Intercept)"]
    odds = model.odds_ratios
    np.testing.assert_array_equal(odds["estimate"], np.exp(slopes["estimate"].to_numpy()))
    np.testing.assert_array_equal(odds["ci_low"], np.exp(slopes["ci_low"].to_numpy()))
    np.testing.assert_array_equal(odds["ci_high"], np.exp(slopes["ci_high"].to_numpy()))
    np.testing.assert_allclose(odds["se"], odds["estimate"] * slopes["se"].to_numpy(), rtol=1e-14)


@pytest.mark.parametrize("factor", ["female", "treat"])
def test_discrete_margins_match_svypredmeans(design, factor):
    """Point estimates and both variance parts equal R's svypredmeans."""
    expected = R_VALUES[factor]
    delta = risk_model(design, "engaged", FACTORS, ame_se="delta").marginal_effects
    row = delta.set_index("term").loc[factor]
    assert row["kind"] == "discrete"
    assert row["estimate"] == pytest.approx(expected["effect"], rel=REL)
    assert row["se"] ** 2 == pytest.approx(expected["var_delta"], rel=REL)
    # the mean-of-predictions part alone (private helpers: R reports the parts separately)
    fitted, f = _fitted(design, factor)
    p1, d1 = risk._prediction(fitted, risk._set(fitted.X, f.columns, f.columns[0]))
    p0, d0 = risk._prediction(fitted, risk._set(fitted.X, f.columns, None))
    _, full = risk._mean_influence(fitted, p1 - p0, d1 - d0, "linearization")
    _, coefficient_part = risk._mean_influence(fitted, p1 - p0, d1 - d0, "delta")
    weights = design.data["wt"].to_numpy(dtype=float)
    part = risk._influence_se(design, fitted.rows, weights, (full - coefficient_part)[:, None])
    assert part[0] ** 2 == pytest.approx(expected["var_mean"], rel=REL)


def _fitted(design: Design, factor: str) -> tuple[risk._Fitted, risk.Factor]:
    X, y, used, fac = risk._model_parts(design.data, "engaged", FACTORS, "test")
    weights = design.data["wt"].to_numpy(dtype=float)
    _, fitted = risk._fit(design, X, y, used, fac, weights, None, 0.95)
    return fitted, next(f for f in fac if f.name == factor)


def test_attributable_fraction_matches_svycontrast(design):
    """In the saturated model y ~ female, PAF = 1 - mean(y | female = 0) / mean(y), whose
    full linearisation (mean part, coefficient part and their covariance) R gives exactly."""
    paf = risk_model(design, "engaged", ["female"], modifiable=["female"]).attributable
    row = paf.iloc[0]
    assert row["estimate"] == pytest.approx(R_VALUES["paf"]["estimate"], rel=REL)
    assert row["se"] == pytest.approx(R_VALUES["paf"]["se"], rel=REL)
    assert row["df"] == R_VALUES["paf"]["degf"] + 1 - 2
    unexposed = design.data[design.data["female"] == 0]
    expected = np.average(unexposed["engaged"], weights=unexposed["wt"])
    assert row["prevalence_unexposed"] == pytest.approx(expected, rel=1e-10)
    assert row["ci_low"] < row["estimate"] < row["ci_high"]
    # the interval is symmetric on the log(1 - PAF) scale
    logs = np.log(1 - np.array([row["ci_high"], row["estimate"], row["ci_low"]]))
    assert logs[1] - logs[0] == pytest.approx(logs[2] - logs[1], rel=1e-10)


def test_coefficient_influence_reproduces_svyglm(design):
    fitted, _ = _fitted(design, "female")
    weights = design.data["wt"].to_numpy(dtype=float)
    se = risk._influence_se(design, fitted.rows, weights, fitted.influence)
    np.testing.assert_allclose(se, R_VALUES["se"], rtol=REL)


# --------------------------------------------------------------------------- margins
def test_continuous_margins_are_mean_derivatives(design, model):
    """The AME of a continuous factor is the derivative of the weighted mean prediction."""
    data = design.data
    w = data["wt"].to_numpy(dtype=float)
    coef = model.coefficients["estimate"].to_numpy()
    X = np.column_stack([np.ones(len(data)), data[FACTORS].to_numpy(dtype=float)])
    effects = model.marginal_effects.set_index("term")
    for j, name in enumerate(FACTORS, start=1):
        if name in ("female", "treat"):
            X1, X0 = X.copy(), X.copy()
            X1[:, j], X0[:, j] = 1.0, 0.0
            expected = np.average(expit(X1 @ coef) - expit(X0 @ coef), weights=w)
            assert effects.loc[name, "kind"] == "discrete"
        else:
            h = 1e-5 * max(1.0, np.abs(X[:, j]).mean())
            up, down = X.copy(), X.copy()
            up[:, j] += h
            down[:, j] -= h
            expected = np.average((expit(up @ coef) - expit(down @ coef)) / (2 * h), weights=w)
            assert effects.loc[name, "kind"] == "derivative"
        assert effects.loc[name, "estimate"] == pytest.approx(expected, rel=1e-7)


def _srs(n: int = 600, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    smokes = (rng.random(n) < 0.3).astype(float)
    peers = rng.integers(0, 5, n).astype(float)
    age = rng.integers(13, 19, n).astype(float)
    eta = -3.0 + 1.1 * smokes + 0.35 * peers + 0.1 * (age - 15)
    return pd.DataFrame(
        {
            "use": (rng.random(n) < expit(eta)).astype(float),
            "smokes": smokes,
            "peers": peers,
            "age": age,
        }
    )


def test_delta_margins_match_statsmodels():
    """Unweighted simple random sample: svyglm's sandwich is HC0 x n/(n-1), so our delta-method
    SEs are statsmodels' get_margeff SEs (on HC0) times sqrt(n/(n-1))."""
    data = _srs()
    factors = ["smokes", "peers", "age"]
    ours = risk_model(Design(data), "use", factors, ame_se="delta").marginal_effects
    fit = sm.Logit(data["use"], sm.add_constant(data[factors])).fit(
        disp=0, cov_type="HC0", tol=1e-12
    )
    margins = fit.get_margeff(at="overall", method="dydx", dummy=True).summary_frame()
    n = len(data)
    np.testing.assert_allclose(ours["estimate"], margins["dy/dx"], rtol=1e-7)
    np.testing.assert_allclose(ours["se"], margins["Std. Err."] * np.sqrt(n / (n - 1)), rtol=1e-6)


def test_linearization_adds_the_covariate_variance():
    """For a continuous factor the unconditional SE exceeds the delta-method one."""
    data = _srs()
    design = Design(data)
    lin = risk_model(design, "use", ["smokes", "peers", "age"]).marginal_effects.set_index("term")
    delta = risk_model(design, "use", ["smokes", "peers", "age"], ame_se="delta").marginal_effects
    delta = delta.set_index("term")
    np.testing.assert_array_equal(lin["estimate"], delta["estimate"])
    assert lin.loc["peers", "se"] > delta.loc["peers", "se"]


def test_categorical_factor(design, baseline):
    data = baseline.assign(
        band=pd.Categorical(
            np.where(
                baseline["age"] < 15, "young", np.where(baseline["age"] < 18, "middle", "old")
            ),
            categories=["young", "middle", "old"],
        )
    )
    d = Design(data, weights="wt", strata="treat", clusters="cluster")
    fitted = risk_model(d, "engaged", ["band", "female"])
    assert fitted.odds_ratios["term"].tolist() == ["band[middle]", "band[old]", "female"]
    assert fitted.odds_ratios["level"].tolist() == ["middle", "old", ""]
    coef = fitted.coefficients["estimate"].to_numpy()
    X = np.column_stack(
        [np.ones(len(data)), data["band"] == "middle", data["band"] == "old", data["female"]]
    ).astype(float)
    base = X.copy()
    base[:, 1:3] = 0.0
    old = base.copy()
    old[:, 2] = 1.0
    expected = np.average(expit(old @ coef) - expit(base @ coef), weights=data["wt"])
    effects = fitted.marginal_effects.set_index("term")
    assert effects.loc["band[old]", "estimate"] == pytest.approx(expected, rel=1e-10)
    with pytest.raises(DataError, match="modifiable factor 'band' is categorical"):
        risk_model(d, "engaged", ["band"], modifiable=["band"])


# --------------------------------------------------------------------------- Firth, EPV, AUC
def test_firth_maximises_the_penalised_likelihood(design, baseline):
    firth = risk_model(design, "engaged", FACTORS, penalty="firth")
    coef = firth.coefficients["estimate"].to_numpy()
    X = np.column_stack([np.ones(len(baseline)), baseline[FACTORS].to_numpy(dtype=float)])
    y = baseline["engaged"].to_numpy(dtype=float)
    w = baseline["wt"].to_numpy(dtype=float)
    w = w / w.mean()

    def objective(beta: np.ndarray) -> float:  # written out, not taken from evaluation.risk
        eta = X @ beta
        mu = expit(eta)
        info = (X * (w * mu * (1 - mu))[:, None]).T @ X
        return -(np.sum(w * (y * eta - np.logaddexp(0, eta))) + 0.5 * np.linalg.slogdet(info)[1])

    best = optimize.minimize(objective, np.zeros(X.shape[1]), method="BFGS", options={"gtol": 1e-9})
    assert objective(coef) <= best.fun + 1e-12  # at least as good as a generic optimiser
    np.testing.assert_allclose(coef, best.x, atol=1e-4)
    # and a stationary point: the numerical gradient of the objective vanishes there
    scale = np.maximum(1.0, np.abs(X).mean(axis=0))
    gradient = np.array(
        [
            (objective(coef + h * e) - objective(coef - h * e)) / (2 * h)
            for h, e in zip(1e-5 / scale, np.eye(len(coef)), strict=True)
        ]
    )
    assert (np.abs(gradient) < 1e-7 * len(y) * scale).all()
    # shrunk towards 0 relative to maximum likelihood, and close to it with 498 rows
    ml = np.array(R_VALUES["coef"])
    assert (np.abs(coef[1:]) < np.abs(ml[1:])).all()
    np.testing.assert_allclose(coef, ml, atol=0.01)
    assert firth.fit["penalty"].item() == "firth"
    check_result(firth.odds_ratios)


def test_firth_is_finite_under_separation():
    data = pd.DataFrame(
        {
            "use": [0, 0, 0, 0, 1, 1, 1, 0, 1, 0] * 3,
            "exposed": [0, 0, 0, 0, 1, 1, 1, 0, 1, 0] * 3,
            "age": list(range(13, 23)) * 3,
        }
    )
    design = Design(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewEventsWarning)
        with pytest.raises(EstimationError, match=r"converge|separation"):
            risk_model(design, "use", ["exposed", "age"])
        firth = risk_model(design, "use", ["exposed", "age"], penalty="firth")
    assert np.isfinite(firth.odds_ratios["estimate"]).all()
    assert firth.odds_ratios.set_index("term").loc["exposed", "estimate"] > 10


def test_few_events_warning_and_reading(design, baseline):
    rare = baseline.assign(rare=(baseline["score"] > baseline["score"].quantile(0.95)).astype(int))
    d = Design(rare, weights="wt", strata="treat", clusters="cluster")
    with pytest.warns(FewEventsWarning, match=r"events for 4 model terms \(EPV"):
        fitted = risk_model(d, "rare", ["female", "age", "treat", "engaged"])
    assert fitted.fit["epv"].item() < 10
    assert any("interpret with caution" in n for n in result_info(fitted.odds_ratios).notes)
    text = risk_reading(fitted, "en")
    assert "Caution: the rarer answer was given by only" in text


def test_weighted_auc_matches_pairs():
    rng = np.random.default_rng(2)
    score = rng.integers(0, 6, 80) / 5.0  # ties
    y = (rng.random(80) < 0.4).astype(float)
    w = rng.uniform(0.5, 2.0, 80)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    wins = sum(
        w[i] * w[j] * (1.0 if score[i] > score[j] else 0.5 if score[i] == score[j] else 0.0)
        for i in pos
        for j in neg
    )
    expected = wins / (w[pos].sum() * w[neg].sum())
    assert risk._weighted_auc(score, y, w) == pytest.approx(expected, rel=1e-12)


def test_fit_facts(model, baseline):
    facts = model.fit.iloc[0]
    assert facts["n"] == len(baseline) and facts["events"] == baseline["engaged"].sum()
    assert facts["terms"] == 4
    assert facts["epv"] == min(facts["events"], facts["non_events"]) / 4
    assert facts["prevalence"] == pytest.approx(
        np.average(baseline["engaged"], weights=baseline["wt"])
    )
    assert 0.5 < facts["auc"] < 1


# --------------------------------------------------------------------------- reading, contract
@pytest.mark.parametrize("language", ["en", "sq"])
def test_reading(model, language):
    text = risk_reading(
        model,
        language,
        labels={"female": "Girl" if language == "en" else "Vajzë"},
        outcome_label="engagement",
    )
    from evaluation.report.labels import t

    assert text.endswith(t("risk.caution", language))
    assert ("Girl" if language == "en" else "Vajzë") in text
    assert text.count("\n- ") == len(model.odds_ratios)
    if language == "sq":
        assert "1,43" in text  # Albanian decimal comma
    else:
        assert "odds ratio 1.43" in text and "includes 1" in text


def test_result_contract_and_no_side_effects(design, model, baseline):
    for table in (model.odds_ratios, model.marginal_effects, model.attributable):
        check_result(table)
    before = baseline.copy()
    risk_model(design, "engaged", FACTORS)
    pd.testing.assert_frame_equal(design.data, before)


def test_errors(design, baseline):
    with pytest.raises(ParamsError, match="penalty='ridge' is not supported"):
        risk_model(design, "engaged", FACTORS, penalty="ridge")
    with pytest.raises(ParamsError, match=r"modifiable factor\(s\) 'smokes' are not in factors"):
        risk_model(design, "engaged", FACTORS, modifiable=["smokes"])
    with pytest.raises(DataError, match="column 'score': expected 0/1"):
        risk_model(design, "score", ["female"])
    with pytest.raises(DataError, match="modifiable factor 'age' is continuous"):
        risk_model(design, "engaged", FACTORS, modifiable=["age"])
    with pytest.raises(DataError, match="no column 'smokes'"):
        risk_model(design, "engaged", ["smokes"])


def test_missing_values_are_left_out(baseline):
    holes = baseline.copy()
    holes.loc[[3, 10, 50], "score"] = np.nan
    d = Design(holes, weights="wt", strata="treat", clusters="cluster")
    fitted = risk_model(d, "engaged", FACTORS)
    reference = regress(d, "engaged ~ " + " + ".join(FACTORS), family="binomial")
    np.testing.assert_allclose(fitted.coefficients["se"], reference["se"], rtol=1e-12)
    assert fitted.fit["n"].item() == len(baseline) - 3
    mean(d, "engaged")  # the design itself is unchanged and still usable


# --------------------------------------------------------------------------- simulation
def coverage(runs: int, seed: int = 11) -> dict[str, float]:
    """Two-stage cluster samples (40 of 200 schools, 25 of 120 students each) from a finite
    population: the share of ``runs`` samples in which the linearised 95% intervals of the
    average marginal effects and of the attributable fraction cover the population values
    (computed from the population's own logistic fit)."""
    rng = np.random.default_rng(seed)
    schools, size = 200, 120
    school = np.repeat(np.arange(schools), size)
    n = len(school)
    peers = np.clip(rng.poisson(1.0 + 0.8 * rng.random(schools)[school]), 0, 4).astype(float)
    smokes = (rng.random(n) < expit(-1.2 + 0.4 * peers)).astype(float)
    eta = -2.2 + 0.9 * smokes + 0.4 * peers + rng.normal(0, 0.3, schools)[school]
    use = (rng.random(n) < expit(eta)).astype(float)
    population = pd.DataFrame({"school": school, "use": use, "smokes": smokes, "peers": peers})
    census = risk_model(Design(population), "use", ["smokes", "peers"], modifiable=["smokes"])
    truth = census.marginal_effects.set_index("term")["estimate"]
    truth_paf = census.attributable["estimate"].item()
    hits = {"smokes": 0, "peers": 0, "paf": 0}
    for _ in range(runs):
        chosen = rng.choice(schools, 40, replace=False)
        rows = np.concatenate(
            [np.flatnonzero(school == s)[rng.choice(size, 25, replace=False)] for s in chosen]
        )
        sample = population.iloc[rows].assign(w=(schools / 40) * (size / 25))
        fitted = risk_model(
            Design(sample, weights="w", clusters="school"),
            "use",
            ["smokes", "peers"],
            modifiable=["smokes"],
        )
        effects = fitted.marginal_effects.set_index("term")
        for term in ("smokes", "peers"):
            hits[term] += effects.loc[term, "ci_low"] < truth[term] < effects.loc[term, "ci_high"]
        paf = fitted.attributable.iloc[0]
        hits["paf"] += paf["ci_low"] < truth_paf < paf["ci_high"]
    return {key: count / runs for key, count in hits.items()}


@pytest.mark.slow
def test_margin_intervals_cover_the_population_value():
    """Linearised intervals of marginal effects and PAF cover at close to 95% (400 samples)."""
    for key, rate in coverage(400).items():
        assert 0.92 <= rate <= 0.98, (key, rate)
