"""Tests of ``evaluation.survey`` against R's ``survey`` package and of its input checks.

Reference values: ``tests/reference/expected/survey_api.json`` (every case is tested, see
``tests/reference/README.md`` for the R calls) and, for domains with missing values,
categorical proportions, regression in domains and lonely PSUs in domains,
:data:`R_DOMAIN_VALUES` below, computed with R 4.2.2 and survey 4.1.1 by :data:`R_SCRIPT`
(run from the project root: ``Rscript script.R``).
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluation.errors import (
    DataError,
    DesignError,
    EstimationError,
    LonelyPSUWarning,
    ParamsError,
)
from evaluation.results import check_result, result_info
from evaluation.survey import Design, mean, proportion, quantile, ratio, regress, total

REFERENCE = Path(__file__).parent / "reference"
REL = 1e-6  # relative tolerance for every comparison with R (tests/reference/README.md)

# Designs of survey_api.json, as Design(...) arguments on the dataset of each case.
DESIGNS: dict[str, tuple[str, dict[str, object]]] = {
    "srs": ("apisrs", {"fpc": "fpc"}),
    "srs_weights_only": ("apisrs", {"weights": "pw"}),
    "strat": ("apistrat", {"weights": "pw", "strata": "stype", "fpc": "fpc"}),
    "strat_nofpc": ("apistrat", {"weights": "pw", "strata": "stype"}),
    "weights_only": ("apistrat", {"weights": "pw"}),
    "clus1": ("apiclus1", {"weights": "pw", "clusters": "dnum", "fpc": "fpc"}),
    "clus1_nofpc": ("apiclus1", {"weights": "pw", "clusters": "dnum"}),
    "clus2": ("apiclus2", {"clusters": ("dnum", "snum"), "fpc": ("fpc1", "fpc2")}),
    "clus2_nofpc": ("apiclus2", {"clusters": ("dnum", "snum"), "weights": "pw"}),
}


@cache
def _expected() -> dict:
    return json.loads((REFERENCE / "expected" / "survey_api.json").read_text())


@cache
def _dataset(name: str) -> pd.DataFrame:
    data = pd.read_csv(REFERENCE / "data" / f"{name}.csv")
    data["sw"] = (data["sch.wide"] == "Yes").astype(float)  # as the R script derives it
    return data


def api(name: str) -> pd.DataFrame:
    """A fresh copy of an API dataset with ``sw`` added."""
    return _dataset(name).copy()


def design_for(case: str, **extra: object) -> Design:
    dataset, kwargs = DESIGNS[case]
    return Design(api(dataset), **{**kwargs, **extra})


def case_stats(case: str) -> dict:
    return next(c for c in _expected()["cases"] if c["id"] == case)["stats"]


def assert_close(got: object, want: object, what: str) -> None:
    """Compare at REL, saying what is compared (pyfixest style)."""
    got_a = np.atleast_1d(np.asarray(got, dtype=float))
    want_a = np.atleast_1d(np.asarray(want, dtype=float))
    assert got_a.shape == want_a.shape, f"{what}: shape {got_a.shape} != R's {want_a.shape}"
    np.testing.assert_allclose(got_a, want_a, rtol=REL, atol=0, err_msg=f"py {what} != R {what}")


R_DOMAIN_VALUES: dict[str, dict[str, object]] = {
    "strat.mean.target.by_stype_awards": {
        "groups": ["E:No", "H:No", "M:No", "E:Yes", "H:Yes", "M:Yes"],
        "estimate": [
            9.30434782608696,
            9.90909090909091,
            10.8076923076923,
            10.1587301587302,
            9.78571428571428,
            9.57142857142857,
        ],
        "se": [
            1.28941733198367,
            0.793005441465974,
            1.04995065384953,
            0.655688328496289,
            1.49923183253406,
            1.00289952640327,
        ],
        "ci_low": [
            6.77713629435724,
            8.35482880427331,
            8.74982684060295,
            8.87360464979416,
            6.84727388947155,
            7.60578161956589,
        ],
        "ci_high": [
            11.8315593578167,
            11.4633530139085,
            12.8655577747817,
            11.4438556676662,
            12.724154681957,
            11.5370755232913,
        ],
        "deff": [
            0.966183575342275,
            0.98948670199956,
            0.981161693928131,
            0.99406766121074,
            0.947521864191543,
            0.971817296843101,
        ],
    },
    "strat.mean.enroll.by_stype_awards": {
        "groups": ["E:No", "H:No", "M:No", "E:Yes", "H:Yes", "M:Yes"],
        "estimate": [
            384.481481481481,
            1331.32352941176,
            915.769230769231,
            428.72602739726,
            1298.125,
            742.25,
        ],
        "se": [
            24.1032995573855,
            123.362382813181,
            83.4064094029802,
            20.4733463456665,
            115.617400653378,
            64.0668626238839,
        ],
        "ci_low": [
            337.239882440426,
            1089.53770205089,
            752.295672259587,
            388.599005916739,
            1071.51905873324,
            616.681256654712,
        ],
        "ci_high": [
            431.723080522537,
            1573.10935677264,
            1079.24278927887,
            468.853048877781,
            1524.73094126676,
            867.818743345288,
        ],
        "deff": [
            0.972689862044917,
            0.990396156688898,
            0.98116169392813,
            0.996264010440104,
            0.956632651347231,
            0.97789115494837,
        ],
    },
    "strat.total.acs.k3.by_awards": {
        "groups": ["No", "Yes"],
        "estimate": [23121.8295211792, 59064.5587768555],
        "se": [3780.22922285748, 3874.83851850291],
        "ci_low": [15712.7163910727, 51470.0148346812],
        "ci_high": [30530.9426512857, 66659.1027190297],
        "deff": [699.616525297144, 58.9216546448083],
    },
    "strat.proportion_logit.sw.by_yr.rnd": {
        "groups": ["No", "Yes"],
        "estimate": [0.815435007675701, 0.90644668686224],
        "se": [0.0270039091863148, 0.0571317107512219],
        "ci_low": [0.756136739698055, 0.701736247286188],
        "ci_high": [0.862928073705746, 0.975551212917064],
        "df": [176, 18],
    },
    "strat.proportion_mean.sw.by_yr.rnd": {
        "groups": ["No", "Yes"],
        "estimate": [0.815435007675702, 0.90644668686224],
        "se": [0.0270039091863148, 0.0571317107512219],
        "ci_low": [0.762141864294017, 0.786417416548322],
        "ci_high": [0.868728151057387, 1.02647595717616],
        "df": [176, 18],
    },
    "strat.ratio.api.stu/enroll.by_awards": {
        "groups": ["No", "Yes"],
        "estimate": [0.816624536882972, 0.853017947313908],
        "se": [0.014755642855147, 0.00732180859668968],
        "ci_low": [0.787704008318148, 0.8386674661627],
        "ci_high": [0.845545065447796, 0.867368428465116],
        "deff": [0.658822914514129, 0.753820094730881],
    },
    "strat.proportion_logit.awards.levels": {
        "groups": ["No", "Yes"],
        "estimate": [0.361063935949422, 0.638936064050578],
        "se": [0.0344059179972689, 0.0344059179972689],
        "ci_low": [0.296324220631744, 0.568721098868047],
        "ci_high": [0.431278901131953, 0.703675779368256],
        "deff": [1.05519402790561, 1.05519402790561],
    },
    "strat.regress.awards_Yes": {
        "groups": ["(Intercept)", "ell", "meals"],
        "estimate": [848.314418116402, -0.335362205967418, -3.35588422504469],
        "se": [9.81839068725537, 0.402968412906077, 0.330780912027488],
        "ci_low": [828.852664447369, -1.13411550864044, -4.01154937764993],
        "ci_high": [867.776171785436, 0.463391096705607, -2.70021907243946],
        "p_value": [1.62751163778548e-101, 0.407115865058927, 2.17580454190397e-17],
        "df": 108,
    },
    "strat.regress.missing_acs.k3": {
        "groups": ["(Intercept)", "ell", "acs.k3"],
        "estimate": [681.064085622091, -3.86241055705102, 4.84480265107326],
        "se": [132.094461685736, 0.330569553634586, 6.95197773600194],
        "p_value": [1.39422796388251e-06, 5.18516752175958e-20, 0.487588028479789],
        "df": 94,
    },
    "strat.quantile.api00.by_awards": {
        "groups": ["No", "Yes"],
        "estimate": [646, 676],
        "se": [21.3717154782991, 17.4087215630693],
        "ci_low": [593, 651],
        "ci_high": [678, 720],
    },
    "clus2.mean.target.by_stype_awards": {
        "groups": ["E:No", "H:No", "M:No", "E:Yes", "H:Yes", "M:Yes"],
        "estimate": [
            13.4684210526316,
            11.0774193548387,
            13.1304347826087,
            7.97368421052632,
            8,
            6.43478260869565,
        ],
        "se": [
            1.98093438432312,
            0.655775294928489,
            0.858298114259873,
            1.28085593381967,
            1.85750223330898,
            1.35696471243476,
        ],
        "ci_low": [
            9.58586100362123,
            9.79212339482774,
            11.4482013906607,
            5.46325271085535,
            4.35936252151169,
            3.77518064403177,
        ],
        "ci_high": [
            17.3509811016419,
            12.3627153148497,
            14.8126681745567,
            10.4841157101973,
            11.6406374784883,
            9.09438457335954,
        ],
        "deff": [
            2.64513429442271,
            0.297685428574365,
            0.728781246169761,
            2.21758753053082,
            0.885969083269449,
            1.1584722355705,
        ],
    },
    "clus2.mean.enroll.by_stype_awards": {
        "groups": ["E:No", "H:No", "M:No", "E:Yes", "H:Yes", "M:Yes"],
        "estimate": [
            260.325714285714,
            1083.4064516129,
            877.2265625,
            358.888736263736,
            781.62962962963,
            796.008928571429,
        ],
        "se": [
            43.9829398442806,
            76.4402214988314,
            86.7692273272108,
            52.7918361493497,
            149.826469545369,
            108.612537519129,
        ],
        "ci_low": [
            174.120736256733,
            933.58637050493,
            707.162001972298,
            255.418638733271,
            487.975145389919,
            583.132266764431,
        ],
        "ci_high": [
            346.530692314696,
            1233.22653272088,
            1047.2911230277,
            462.358833794201,
            1075.28411386934,
            1008.88559037843,
        ],
        "deff": [
            2.44859924456337,
            0.619870718661875,
            0.849013829588627,
            6.67578815628584,
            0.770882740939544,
            1.6348341463966,
        ],
    },
    "clus2.total.acs.k3.by_awards": {
        "groups": ["No", "Yes"],
        "estimate": [13554.085, 53300.37],
        "se": [5340.94646123358, 17637.1852851292],
        "ci_low": [3086.02229262554, 18732.122052487],
        "ci_high": [24022.1477073745, 87868.617947513],
        "deff": [496.076893598575, 1513.80634697323],
    },
    "clus2.proportion_logit.sw.by_yr.rnd": {
        "groups": ["No", "Yes"],
        "estimate": [0.737809752113357, 0.913461538461538],
        "se": [0.0824337319944222, 0.0878380623834071],
        "ci_low": [0.543063672732708, 0.0813340973563805],
        "ci_high": [0.869500411190615, 0.999206023030145],
        "df": [39, 2],
    },
    "clus2.proportion_mean.sw.by_yr.rnd": {
        "groups": ["No", "Yes"],
        "estimate": [0.737809752198241, 0.913461538461538],
        "se": [0.0824337319944222, 0.0878380623834071],
        "ci_low": [0.57107179098838, 0.535524859571668],
        "ci_high": [0.904547713408103, 1.29139821735141],
        "df": [39, 2],
    },
    "clus2.ratio.api.stu/enroll.by_awards": {
        "groups": ["No", "Yes"],
        "estimate": [0.805807778494029, 0.831950754721044],
        "se": [0.0362698984401876, 0.0194392410863616],
        "ci_low": [0.734720083828336, 0.793850542304984],
        "ci_high": [0.876895473159723, 0.870050967137104],
        "deff": [1.89115180116294, 2.77840309530172],
    },
    "clus2.proportion_logit.stype.levels": {
        "groups": ["E", "H", "M"],
        "estimate": [0.681180811808118, 0.134317343173432, 0.18450184501845],
        "se": [0.0556406470060076, 0.0567331862925889, 0.0222252155055291],
        "ci_low": [0.559955842481428, 0.054669977681254, 0.143696689470438],
        "ci_high": [0.782011040970669, 0.293922903934799, 0.233731519864227],
        "deff": [1.82679741248489, 3.54728794882228, 0.420708384703989],
    },
    "clus2.regress.awards_Yes": {
        "groups": ["(Intercept)", "ell", "meals"],
        "estimate": [858.120362146822, -1.31466523935781, -2.01954123257452],
        "se": [15.544927946239, 1.48125849082035, 0.942385934308805],
        "ci_low": [826.416272577204, -4.33571184897476, -3.94155001729217],
        "ci_high": [889.824451716439, 1.70638137025913, -0.0975324478568649],
        "p_value": [1.59239282939862e-32, 0.381626693342155, 0.0400715037153954],
        "df": 31,
    },
    "clus2.regress.missing_acs.k3": {
        "groups": ["(Intercept)", "ell", "acs.k3"],
        "estimate": [808.897218391445, -4.77083013069785, 0.732673461897811],
        "se": [184.376568775949, 0.478038837532651, 10.1448962656055],
        "p_value": [0.000116690571908556, 2.38085260846453e-11, 0.94287563803672],
        "df": 32,
    },
    "clus2.quantile.api00.by_awards": {
        "groups": ["No", "Yes"],
        "estimate": [537, 766],
        "se": [41.1134019985311, 48.1687211312012],
        "ci_low": [489, 622],
        "ci_high": [660, 818],
    },
    "lonely_adjust.mean.avg.ed.by_stype": {
        "groups": ["E", "H", "M"],
        "estimate": [2.6038982898502, 2.72499997275216, 2.64679999828339],
        "se": [0.0968590051690437, 0.194077495157998, 0.145139076771043],
        "ci_low": [2.4140581281405, 2.34461507203274, 2.36233263506275],
        "ci_high": [2.79373845155991, 3.10538487347158, 2.93126736150403],
    },
    "lonely_adjust.total.enroll.by_stype": {
        "groups": ["E", "H", "M"],
        "estimate": [2109717.12683487, 535594.869567871, 759628.138126373],
        "se": [625229.82659303, 260897.802698243, 277803.710517713],
        "ci_low": [884289.184652308, 24244.5726336774, 215142.870740065],
        "ci_high": [3335145.06901743, 1046945.16650206, 1304113.40551268],
    },
    "lonely_average.mean.avg.ed.by_stype": {
        "groups": ["E", "H", "M"],
        "estimate": [2.6038982898502, 2.72499997275216, 2.64679999828339],
        "se": [0.0876928614234299, 0.0799138571221528, 0.190042898856222],
        "ci_low": [2.43202343975902, 2.56837169092706, 2.2743227610076],
        "ci_high": [2.77577313994139, 2.88162825457726, 3.01927723555917],
    },
    "lonely_average.total.enroll.by_stype": {
        "groups": ["E", "H", "M"],
        "estimate": [2109717.12683487, 535594.869567871, 759628.138126373],
        "se": [582696.688093833, 274500.675892474, 356583.351514045],
        "ci_low": [967652.604260187, -2416.56891328073, 60737.6116722599],
        "ci_high": [3251781.64940955, 1073606.30804902, 1458518.66458049],
    },
    "lonely_certainty.mean.avg.ed.by_stype": {
        "groups": ["E", "H", "M"],
        "estimate": [2.6038982898502, 2.72499997275216, 2.64679999828339],
        "se": [0.0457961032819155, 0.0399569285610764, 0.0992466670917508],
        "ci_low": [2.51413957678537, 2.64668583183961, 2.45228010519792],
        "ci_high": [2.69365700291503, 2.80331411366471, 2.84131989136885],
    },
    "lonely_certainty.total.enroll.by_stype": {
        "groups": ["E", "H", "M"],
        "estimate": [2109717.12683487, 535594.869567871, 759628.138126373],
        "se": [304303.420789569, 137250.337946237, 186219.581953175],
        "ci_low": [1513293.38171498, 266589.150327295, 394644.464282046],
        "ci_high": [2706140.87195476, 804600.588808447, 1124611.8119707],
    },
}

R_SCRIPT = r"""
## Extra reference values for tests/test_survey.py (domains, missing values, categorical
## proportions, regression in domains, lonely PSUs in domains). R 4.2.2, survey 4.1.1.
## Run from the project root: Rscript extra2.R > values.json
suppressPackageStartupMessages({library(survey); library(jsonlite)})
rd <- function(n) {
  d <- read.csv(file.path("tests", "reference", "data", paste0(n, ".csv")))
  d$sw <- as.numeric(d$sch.wide == "Yes"); d
}
apistrat <- rd("apistrat"); apiclus1 <- rd("apiclus1"); apiclus2 <- rd("apiclus2")
designs <- list(
  strat = svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc),
  clus2 = svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2))
out <- list()
groups <- function(b, by) do.call(paste, c(lapply(by, function(v) as.character(b[[v]])), sep = ":"))
by_entry <- function(b, by, ci = TRUE, df = NULL) {
  e <- list(groups = groups(b, by), estimate = unname(coef(b)), se = unname(SE(b)))
  if (ci) { c <- confint(b); e$ci_low <- unname(c[, 1]); e$ci_high <- unname(c[, 2]) }
  if (!is.null(attr(b, "svyby")$deffs) && !identical(attr(b, "svyby")$deffs, FALSE)) e$deff <- unname(deff(b))
  if (!is.null(df)) e$df <- df
  e
}
for (nm in names(designs)) {
  des <- designs[[nm]]
  ## one call per variable: na.rm = TRUE in R drops rows missing ANY variable of a formula
  for (v in c("target", "enroll"))
    out[[paste0(nm, ".mean.", v, ".by_stype_awards")]] <- by_entry(
      svyby(as.formula(paste0("~", v)), ~stype + awards, des, svymean, na.rm = TRUE, deff = TRUE), c("stype", "awards"))
  out[[paste0(nm, ".total.acs.k3.by_awards")]] <- by_entry(
    svyby(~acs.k3, ~awards, des, svytotal, na.rm = TRUE, deff = TRUE), "awards")
  dfs <- sapply(c("No", "Yes"), function(l) degf(subset(des, yr.rnd == l)))
  for (m in c("logit", "mean")) {
    b <- svyby(~sw, ~yr.rnd, des, svyciprop, method = m, vartype = c("se", "ci"))
    out[[paste0(nm, ".proportion_", m, ".sw.by_yr.rnd")]] <- list(
      groups = as.character(b$yr.rnd), estimate = unname(b$sw), se = unname(b[[3]]),
      ci_low = unname(b$ci_l), ci_high = unname(b$ci_u), df = unname(dfs))
  }
  out[[paste0(nm, ".ratio.api.stu/enroll.by_awards")]] <- by_entry(
    svyby(~api.stu, ~awards, des, svyratio, denominator = ~enroll, na.rm = TRUE, deff = TRUE), "awards")
  cat_var <- if (nm == "strat") "awards" else "stype"
  levs <- sort(unique(des$variables[[cat_var]]))
  m <- svymean(as.formula(paste0("~", cat_var)), des, deff = TRUE)
  cis <- sapply(levs, function(l) attr(svyciprop(as.formula(paste0("~I(", cat_var, " == '", l, "')")), des), "ci"))
  out[[paste0(nm, ".proportion_logit.", cat_var, ".levels")]] <- list(
    groups = levs, estimate = unname(coef(m)), se = unname(SE(m)), ci_low = unname(cis[1, ]),
    ci_high = unname(cis[2, ]), deff = unname(deff(m)))
  g <- svyglm(api00 ~ ell + meals, design = subset(des, awards == "Yes"))
  out[[paste0(nm, ".regress.awards_Yes")]] <- list(
    groups = names(coef(g)), estimate = unname(coef(g)), se = unname(SE(g)),
    ci_low = unname(confint(g)[, 1]), ci_high = unname(confint(g)[, 2]),
    p_value = unname(summary(g)$coefficients[, 4]), df = g$df.residual)
  g <- svyglm(api00 ~ ell + acs.k3, design = des)
  out[[paste0(nm, ".regress.missing_acs.k3")]] <- list(
    groups = names(coef(g)), estimate = unname(coef(g)), se = unname(SE(g)),
    p_value = unname(summary(g)$coefficients[, 4]), df = g$df.residual)
  q <- svyby(~api00, ~awards, des, svyquantile, quantiles = 0.5, ci = TRUE, vartype = c("se", "ci"))
  out[[paste0(nm, ".quantile.api00.by_awards")]] <- list(
    groups = as.character(q$awards), estimate = unname(q$api00), se = unname(q$se.api00),
    ci_low = unname(q$ci_l), ci_high = unname(q$ci_u))
}
ldes <- svydesign(id = ~dnum, strata = ~cname, weights = ~pw, data = apiclus1, nest = TRUE)
for (o in c("adjust", "average", "certainty")) {
  options(survey.lonely.psu = o)
  out[[paste0("lonely_", o, ".mean.avg.ed.by_stype")]] <- by_entry(
    svyby(~avg.ed, ~stype, ldes, svymean, na.rm = TRUE), "stype")
  out[[paste0("lonely_", o, ".total.enroll.by_stype")]] <- by_entry(
    svyby(~enroll, ~stype, ldes, svytotal, na.rm = TRUE), "stype")
}
cat(toJSON(out, digits = I(17), auto_unbox = TRUE))
"""


# --------------------------------------------------------------------------- survey_api.json
def _ours(design: Design, stat: str) -> pd.DataFrame:
    """The table that answers one statistic of survey_api.json."""
    if stat.startswith("svymean_"):
        return mean(design, stat.removeprefix("svymean_"))
    if stat == "svytotal_enroll":
        return total(design, "enroll")
    if stat.startswith("svyciprop_sw_"):
        method = {"logit": "logit", "mean": "wald"}[stat.removeprefix("svyciprop_sw_")]
        return proportion(design, "sw", method=method)
    if stat == "svyratio_apistu_enroll":
        return ratio(design, "api.stu", "enroll")
    if stat == "svyby_api00_stype":
        return mean(design, "api00", by="stype")
    if stat == "svyquantile_api00_median":
        return quantile(design, "api00", 0.5)
    if stat == "svyglm_api00":
        return regress(design, "api00 ~ ell + meals + mobility")
    if stat == "svyglm_logit_sw":
        return regress(design, "sw ~ ell + meals + mobility", family="binomial")
    raise KeyError(stat)


STATS = [
    "svymean_api00",
    "svymean_api99",
    "svytotal_enroll",
    "svymean_sw",
    "svyciprop_sw_logit",
    "svyciprop_sw_mean",
    "svyratio_apistu_enroll",
    "svyby_api00_stype",
    "svyquantile_api00_median",
    "svyglm_api00",
    "svyglm_logit_sw",
]
CASES = [(case, stat) for case in DESIGNS for stat in STATS]


def test_every_reference_statistic_is_tested() -> None:
    listed = {(c["id"], s) for c in _expected()["cases"] for s in c["stats"]}
    assert listed == set(CASES)


@pytest.mark.parametrize(("case", "stat"), CASES, ids=[f"{c}-{s}" for c, s in CASES])
def test_matches_r_survey(case: str, stat: str) -> None:
    want = case_stats(case)[stat]
    got = _ours(design_for(case), stat)
    check_result(got)
    if stat == "svyby_api00_stype":
        assert list(got["stype"]) == want["groups"]
    if stat.startswith("svyglm"):
        assert list(got["term"]) == want["terms"]
        assert_close(got["p_value"], want["p"], "p-value")
        assert_close(got["statistic"], want["t"], "t value")
        assert_close(got["df"], [want["df_residual"]] * len(got), "df.residual")
    assert_close(got["estimate"], want["estimate"], "estimate")
    assert_close(got["se"], want["se"], "SE")
    assert_close(got["ci_low"], want["ci"]["lower"], "lower CI bound")
    assert_close(got["ci_high"], want["ci"]["upper"], "upper CI bound")
    if "deff" in want:
        assert_close(got["deff"], want["deff"], "deff")
    if "df" in want:
        assert_close(got["df"], [want["df"]] * len(got), "df")


@pytest.mark.parametrize("case", list(DESIGNS))
def test_design_description_matches_r(case: str) -> None:
    info = next(c for c in _expected()["cases"] if c["id"] == case)["design_info"]
    design = design_for(case)
    assert design.n_rows == info["n"]
    assert design.n_psu == info["n_psu"]
    assert design.n_strata == info["n_strata"]
    assert design.degf == info["degf"]
    assert_close(design.sum_weights, info["sum_weights"], "sum of weights")


def test_missing_values_are_a_domain_in_totals() -> None:
    """svytotal(~enroll, na.rm = TRUE) in clus2: 6 rows missing, n counts the others."""
    want = case_stats("clus2")["svytotal_enroll"]
    got = total(design_for("clus2"), "enroll")
    assert got.loc[0, "n"] == 126 - want["n_missing"]
    assert any("'enroll': 6 row(s) with a missing value" in n for n in result_info(got).notes)


LONELY = ["adjust", "average", "certainty", "remove"]


@pytest.mark.parametrize("option", LONELY)
def test_lonely_psu_rules_match_r(option: str) -> None:
    want = _expected()["lonely_psu"]["by_option"][option]
    rule = "certainty" if option == "remove" else option  # identical numbers in survey 4.1
    with pytest.warns(LonelyPSUWarning, match="8 stratum/strata with one PSU"):
        design = Design(
            api("apiclus1"),
            weights="pw",
            strata="cname",
            clusters="dnum",
            nest=True,
            lonely_psu=rule,
        )
    got_mean, got_total = mean(design, "api00"), total(design, "enroll")
    assert_close(got_mean["estimate"], want["svymean_api00"]["estimate"], "mean")
    assert_close(got_mean["se"], want["svymean_api00"]["se"], "SE of the mean")
    assert_close(got_total["estimate"], want["svytotal_enroll"]["estimate"], "total")
    assert_close(got_total["se"], want["svytotal_enroll"]["se"], "SE of the total")
    assert any(f"lonely_psu={rule!r}" in note for note in result_info(got_mean).notes)


# --------------------------------------------------------------------------- domains vs R
def _lonely_design(rule: str) -> Design:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LonelyPSUWarning)
        return Design(
            api("apiclus1"),
            weights="pw",
            strata="cname",
            clusters="dnum",
            nest=True,
            lonely_psu=rule,
        )


def _keyed(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    key = table[columns].astype(str).agg(":".join, axis=1)
    return table.set_index(key)


def _domain_case(case_id: str) -> pd.DataFrame:
    """Our table for one entry of R_DOMAIN_VALUES, indexed like R's ``groups``."""
    design_id, what = case_id.split(".", 1)
    if design_id.startswith("lonely_"):
        design = _lonely_design(design_id.removeprefix("lonely_"))
    else:
        design = design_for(design_id)
    if what.startswith("mean.") and what.endswith(".by_stype_awards"):
        got = mean(design, ["api00", "target", "enroll"], by=["stype", "awards"])
        return _keyed(got[got.variable == what.split(".")[1]], ["stype", "awards"])
    if what == "total.acs.k3.by_awards":
        got = total(design, ["enroll", "acs.k3"], by="awards")
        return _keyed(got[got.variable == "acs.k3"], ["awards"])
    if what.startswith("proportion_") and what.endswith(".by_yr.rnd"):
        method = "logit" if what.startswith("proportion_logit") else "wald"
        return _keyed(proportion(design, "sw", by="yr.rnd", method=method), ["yr.rnd"])
    if what == "ratio.api.stu/enroll.by_awards":
        return _keyed(ratio(design, "api.stu", "enroll", by="awards"), ["awards"])
    if what.startswith("proportion_logit.") and what.endswith(".levels"):
        return _keyed(proportion(design, what.split(".")[1]), ["level"])
    if what == "regress.awards_Yes":
        got = regress(design, "api00 ~ ell + meals", by="awards")
        return _keyed(got[got.awards == "Yes"], ["term"])
    if what == "regress.missing_acs.k3":
        return _keyed(regress(design, "api00 ~ ell + `acs.k3`"), ["term"])
    if what == "quantile.api00.by_awards":
        return _keyed(quantile(design, "api00", by="awards"), ["awards"])
    if what == "mean.avg.ed.by_stype":
        got = mean(design, ["api00", "avg.ed"], by="stype")
        return _keyed(got[got.variable == "avg.ed"], ["stype"])
    if what == "total.enroll.by_stype":
        return _keyed(total(design, "enroll", by="stype"), ["stype"])
    raise KeyError(case_id)


@pytest.mark.parametrize("case_id", list(R_DOMAIN_VALUES))
def test_domains_match_r(case_id: str) -> None:
    want = R_DOMAIN_VALUES[case_id]
    got = _domain_case(case_id)
    check_result(got)
    got = got.loc[want["groups"]]
    for column in ("estimate", "se", "ci_low", "ci_high", "deff", "p_value", "df"):
        if column not in want:
            continue
        expected = np.broadcast_to(np.asarray(want[column], dtype=float), len(got))
        if case_id.endswith("proportion_mean.sw.by_yr.rnd") and column == "ci_high":
            expected = np.minimum(expected, 1.0)  # we clip the Wald interval to [0, 1]
        assert_close(got[column], expected, f"{case_id} {column}")


# --------------------------------------------------------------------------- Design errors
def small() -> pd.DataFrame:
    """Two strata of two schools with two pupils each."""
    return pd.DataFrame(
        {
            "stratum": ["A", "A", "A", "A", "B", "B", "B", "B"],
            "school": ["s1", "s1", "s2", "s2", "s3", "s3", "s4", "s4"],
            "pupil": [1, 2, 1, 2, 1, 2, 1, 2],
            "w": [1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0],
            "N": [10, 10, 10, 10, 20, 20, 20, 20],
            "M": [4, 4, 4, 4, 4, 4, 4, 4],
            "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 9.0],
            "flag": [0, 1, 0, 1, 1, 1, 0, 1],
            "group": ["x", "y", "x", "y", "x", "z", "z", "x"],
        }
    )


def small_design(data: pd.DataFrame | None = None, **kwargs: object) -> Design:
    args = {"weights": "w", "strata": "stratum", "clusters": "school", **kwargs}
    return Design(small() if data is None else data, **args)


def test_missing_design_column_is_named_with_a_suggestion() -> None:
    with pytest.raises(DesignError, match=r"no column 'wt' \(did you mean 'w'\?\)"):
        small_design(weights="wt")


@pytest.mark.parametrize(
    ("role", "column"),
    [("weights", "w"), ("strata", "stratum"), ("clusters", "school"), ("fpc", "N")],
)
def test_missing_values_in_design_columns(role: str, column: str) -> None:
    data = small().astype({column: object})
    data.loc[3, column] = None
    with pytest.raises(
        DesignError, match=rf"{role} column '{column}' has 1 missing value\(s\) \(rows 3\)"
    ):
        small_design(data, fpc="N")


def test_weights_that_are_not_numbers() -> None:
    data = small().astype({"w": object})
    data.loc[2, "w"] = "two"
    with pytest.raises(
        DesignError,
        match=r"weights column 'w' has 1 value\(s\) that are not numbers \(rows 2: 'two'\)",
    ):
        small_design(data)


def test_weights_must_be_positive() -> None:
    data = small()
    data.loc[[1, 5], "w"] = [0.0, -1.0]
    with pytest.raises(
        DesignError,
        match=r"weights column 'w': 2 row\(s\) have a weight that is zero, negative or infinite "
        r"\(rows 1, 5\); sampling weights must be positive",
    ):
        small_design(data)


def test_clusters_not_nested_in_strata_offers_nest() -> None:
    data = small()
    data.loc[4:5, "school"] = "s2"  # s2 now also in stratum B
    with pytest.raises(
        DesignError,
        match=r"clusters 'school' are not nested in strata 'stratum': 's2' appears in 2 strata "
        r"\('A', 'B'\).*pass nest=True",
    ):
        small_design(data)
    nested = small_design(data, nest=True)
    assert nested.n_psu == 4 and nested.degf == 2


def test_a_single_psu_is_refused() -> None:
    data = small().assign(school="one")
    with pytest.raises(DesignError, match="only one primary sampling unit"):
        Design(data, weights="w", clusters="school")


def test_fpc_smaller_than_the_sample() -> None:
    data = small()
    data.loc[data.stratum == "A", "N"] = 1
    with pytest.raises(
        DesignError,
        match=r"fpc column 'N' is smaller than the sample in stratum 'A': 2 unit\(s\) sampled "
        r"but a population of 1 given",
    ):
        small_design(data, fpc="N")


def test_fpc_varying_within_a_stratum() -> None:
    data = small()
    data.loc[0, "N"] = 11
    with pytest.raises(
        DesignError, match=r"fpc column 'N' varies within stratum 'A' \(from 10 to 11"
    ):
        small_design(data, fpc="N")


def test_fpc_mixing_counts_and_fractions() -> None:
    data = small().astype({"N": float})
    data.loc[data.stratum == "A", "N"] = 0.5
    with pytest.raises(DesignError, match="mixes sampling fractions"):
        small_design(data, fpc="N")


def test_fpc_must_be_positive() -> None:
    data = small()
    data.loc[0, "N"] = 0
    with pytest.raises(
        DesignError, match=r"fpc column 'N' has 1 value\(s\) that are zero, negative"
    ):
        small_design(data, fpc="N")


def test_fpc_needs_one_column_per_stage() -> None:
    with pytest.raises(DesignError, match=r"fpc gives 1 column\(s\) \('N'\) for 2 stage\(s\)"):
        small_design(clusters=("school", "pupil"), fpc="N")


def _with_lonely(*strata: str) -> pd.DataFrame:
    extra = pd.DataFrame(
        {
            "stratum": list(strata),
            "school": [f"t{i}" for i in range(len(strata))],
            "pupil": 1,
            "w": 1.0,
            "N": 5,
            "M": 4,
            "y": 2.0,
            "flag": 1,
            "group": "x",
        }
    )
    return pd.concat([small(), extra], ignore_index=True)


def test_lonely_psu_fails_by_default_and_lists_the_options() -> None:
    with pytest.raises(
        DesignError,
        match=r"stratum 'C' has only one PSU in column 'stratum'.*Choose "
        r'lonely_psu="adjust" .* "certainty" .* or "average"',
    ):
        small_design(_with_lonely("C"))
    with pytest.raises(DesignError, match=r"2 strata have only one PSU \('C', 'D'\)"):
        small_design(_with_lonely("C", "D"))


def test_lonely_psu_rule_warns_and_is_noted() -> None:
    with pytest.warns(LonelyPSUWarning, match=r"\('C'\) handled by lonely_psu='adjust'"):
        design = small_design(_with_lonely("C"), lonely_psu="adjust")
    assert design.lonely_strata == ("C",)
    assert "lonely_psu='adjust'" in " ".join(result_info(mean(design, "y")).notes)


def test_average_needs_a_stratum_with_two_psus() -> None:
    data = small().assign(stratum=["A", "A", "B", "B", "C", "C", "D", "D"])
    with (
        pytest.raises(DesignError, match="needs at least one stratum with two or more PSUs"),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", LonelyPSUWarning)
        small_design(data, lonely_psu="average")


def test_later_stage_lonely_unit() -> None:
    data = small().drop(index=[1])  # school s1 now has one pupil sampled, out of M = 4
    with pytest.raises(DesignError, match=r"at stage 2 \('pupil'\).*cluster 's1' of 'school'"):
        small_design(data, clusters=("school", "pupil"), fpc=("N", "M"))
    design = small_design(data, clusters=("school", "pupil"), fpc=("N", "M"), lonely_psu="adjust")
    assert np.isfinite(mean(design, "y").loc[0, "se"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"lonely_psu": "adjus"},
            r"lonely_psu='adjus' is not a lonely-PSU rule.*did you mean 'adjust'",
        ),
        ({"clusters": 5}, r"clusters= must be a column name"),
        ({"weights": ["w"]}, r"weights= must be a column name \(a string\)"),
        ({"nest": "yes"}, r"nest must be True or False"),
    ],
)
def test_bad_design_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ParamsError, match=message):
        small_design(**kwargs)


def test_data_must_be_a_dataframe() -> None:
    with pytest.raises(DesignError, match="needs a pandas DataFrame, got list"):
        Design([1, 2, 3], weights="w")  # type: ignore[arg-type]


def test_design_is_frozen_and_describes_itself() -> None:
    design = small_design(fpc="N")
    with pytest.raises(dataclasses.FrozenInstanceError):
        design.weights = "y"  # type: ignore[misc]
    assert "2 strata, 4 PSUs ('school'), 2 design df; first-stage FPC" in repr(design)
    table = design.strata_table()
    assert list(table["n_psu"]) == [2, 2] and list(table["population_psu"]) == [10, 20]


def test_no_weights_and_no_fpc_means_equal_weights() -> None:
    design = Design(small(), strata="stratum", clusters="school")
    assert design.sum_weights == 8
    assert "equal weights" in design.variance_method


# --------------------------------------------------------------------------- estimator errors
def test_estimator_input_errors() -> None:
    design = small_design()
    with pytest.raises(DataError, match=r"no column 'yy' \(did you mean 'y'\?\)"):
        mean(design, "yy")
    with pytest.raises(DataError, match=r"column 'group' is not numeric.*use proportion\(\)"):
        mean(design, "group")
    with pytest.raises(DataError, match="values other than 0 and 1"):
        proportion(design, "y")
    with pytest.raises(
        ParamsError, match=r"method='exact' is not valid; choose one of: logit, wald"
    ):
        proportion(design, "flag", method="exact")
    with pytest.raises(ParamsError, match="level must be a number between 0 and 1"):
        mean(design, "y", level=95)
    with pytest.raises(
        ParamsError, match=r"design must be an evaluation\.survey\.Design, got DataFrame"
    ):
        mean(small(), "y")  # type: ignore[arg-type]
    with pytest.raises(ParamsError, match="lists a column twice"):
        total(design, ["y", "y"])
    with pytest.raises(ParamsError, match="probs must be between 0 and 1"):
        quantile(design, "y", probs=1.5)
    data = small()
    data.loc[2, "y"] = np.inf
    with pytest.raises(DataError, match="column 'y' has infinite values"):
        mean(small_design(data), "y")


def test_regression_input_errors() -> None:
    design = small_design()
    with pytest.raises(ParamsError, match="family='poisson' is not valid"):
        regress(design, "y ~ flag", family="poisson")
    with pytest.raises(ParamsError, match="formula must be a string such as"):
        regress(design, "y flag")
    with pytest.raises(DataError, match=r"cannot be evaluated on the design's data.*zz"):
        regress(design, "y ~ zz")
    with pytest.raises(DataError, match="needs an outcome between 0 and 1"):
        regress(design, "y ~ flag", family="binomial")
    data = small().assign(y2=lambda d: 2 * d.y)
    with pytest.raises(EstimationError, match=r"model matrix is singular: term\(s\) '(y|y2)'"):
        regress(small_design(data), "flag ~ y + y2")
    separated = small().assign(outcome=lambda d: (d.y > 4).astype(float))
    with pytest.raises(EstimationError, match=r"did not converge.*separates the outcome"):
        regress(small_design(separated), "outcome ~ y", family="binomial")


# --------------------------------------------------------------------------- behaviour
def test_lists_of_variables_equal_separate_calls() -> None:
    design = design_for("strat")
    both = mean(design, ["api00", "target"], by="awards")
    for variable in ("api00", "target"):
        alone = mean(design, variable, by="awards")
        part = both[both.variable == variable].reset_index(drop=True)
        pd.testing.assert_frame_equal(part, alone, check_exact=False, rtol=1e-12)


def test_missing_values_are_dropped_per_variable() -> None:
    got = mean(design_for("strat"), ["api00", "target"])
    assert list(got["n"]) == [200, 180]  # target has 20 missing values, api00 none
    notes = result_info(got).notes
    assert any(n.startswith("'target': 20 row(s) with a missing value") for n in notes)
    assert not any(n.startswith("'api00'") for n in notes)


def test_rows_missing_a_by_value_belong_to_no_domain() -> None:
    data = api("apiclus1")
    data["group"] = data["stype"].where(data.index % 7 != 0)  # some rows with no group
    labelled = data.assign(group=data["group"].fillna("zz"))
    design = Design(data, weights="pw", clusters="dnum", fpc="fpc")
    got = mean(design, "api00", by="group")
    want = mean(Design(labelled, weights="pw", clusters="dnum", fpc="fpc"), "api00", by="group")
    want = want[want.group != "zz"].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12)
    assert any("belong to no domain" in n for n in result_info(got).notes)


def test_fpc_as_fractions_equals_fpc_as_counts() -> None:
    data = api("apiclus1").assign(fraction=lambda d: 15 / d["fpc"])
    counts = mean(Design(data, weights="pw", clusters="dnum", fpc="fpc"), "api00")
    fractions = mean(Design(data, weights="pw", clusters="dnum", fpc="fraction"), "api00")
    assert_close(fractions["se"], counts["se"], "SE with fpc as fractions")


def test_fully_sampled_second_stage_adds_no_variance() -> None:
    data = api("apiclus2")
    data["taken"] = data.groupby("dnum")["snum"].transform("nunique")  # every school taken
    two = Design(data, clusters=("dnum", "snum"), fpc=("fpc1", "taken"))
    one = Design(data, weights="pw", clusters="dnum", fpc="fpc1")
    w_two = two._structure.weights
    data["w_two"] = w_two
    one = Design(data, weights="w_two", clusters="dnum", fpc="fpc1")
    assert_close(mean(two, "api00")["se"], mean(one, "api00")["se"], "SE")


def test_proportions_of_a_category_sum_to_one_and_equal_means() -> None:
    design = design_for("clus2")
    got = proportion(design, "stype", by="awards")
    sums = got.groupby("awards")["estimate"].sum()
    np.testing.assert_allclose(sums, 1.0, rtol=1e-12)
    data = api("apiclus2").assign(is_e=lambda d: (d.stype == "E").astype(float))
    by_mean = mean(
        Design(data, clusters=("dnum", "snum"), fpc=("fpc1", "fpc2")), "is_e", by="awards"
    )
    e_rows = got[got.level == "E"].reset_index(drop=True)
    assert_close(e_rows["se"], by_mean["se"], "SE of the share of E schools")


def test_boolean_proportion_equals_zero_one_proportion() -> None:
    data = api("apistrat").assign(flag=lambda d: d["sch.wide"] == "Yes")
    design = Design(data, weights="pw", strata="stype", fpc="fpc")
    as_bool = proportion(design, "flag")
    as_number = proportion(design, "sw")
    assert as_bool.loc[0, "level"] == "True" and as_number.loc[0, "level"] == "1"
    assert_close(as_bool["ci_low"], as_number["ci_low"], "lower bound")


def test_logit_interval_is_undefined_at_zero_or_one() -> None:
    got = proportion(design_for("strat"), "sw", by="awards")  # every award school met target
    yes = got[got.awards == "Yes"].iloc[0]
    assert yes["estimate"] == 1.0 and np.isnan(yes["ci_low"]) and np.isnan(yes["ci_high"])
    assert any("observed proportion is 0 or 1" in n for n in result_info(got).notes)


def test_empty_domain_of_a_variable_is_nan_not_an_error() -> None:
    data = small()
    data.loc[data.group == "z", "y"] = np.nan
    got = mean(small_design(data), "y", by="group")
    z = got[got.group == "z"].iloc[0]
    assert z["n"] == 0 and np.isnan(z["estimate"])


def test_regression_by_domain_and_covariance() -> None:
    got = regress(design_for("clus2"), "api00 ~ ell + meals", by="awards")
    assert list(got.columns[:3]) == ["awards", "term", "estimate"]
    covariances = result_info(got).extra["covariance"]
    assert set(covariances) == {("No",), ("Yes",)}
    yes = got[got.awards == "Yes"]
    assert_close(np.sqrt(np.diag(covariances[("Yes",)])), yes["se"], "SE from the covariance")


def test_input_data_are_never_changed() -> None:
    data = api("apiclus2")
    before = data.copy(deep=True)
    design = Design(data, clusters=("dnum", "snum"), fpc=("fpc1", "fpc2"))
    _all_tables(design)
    pd.testing.assert_frame_equal(data, before)
    reference = mean(design, "api00")
    data.loc[0, "api00"] = 9999  # the caller changes the frame afterwards
    pd.testing.assert_frame_equal(mean(design, "api00"), reference)


def _all_tables(design: Design) -> list[pd.DataFrame]:
    return [
        mean(design, ["api00", "enroll"], by=["stype", "awards"]),
        total(design, "enroll", by="stype"),
        proportion(design, ["sw", "stype"], by="awards"),
        proportion(design, "sw", method="wald"),
        ratio(design, ["api.stu", "api00"], "enroll", by="stype"),
        regress(design, "api00 ~ ell + meals"),
        regress(design, "sw ~ ell", family="binomial", by="stype"),
        quantile(design, ["api00", "api99"], [0.25, 0.5], by="awards"),
    ]


@pytest.mark.parametrize("case", ["strat", "clus1", "clus2", "clus2_nofpc", "srs"])
def test_every_table_follows_the_result_contract(case: str) -> None:
    for table in _all_tables(design_for(case)):
        check_result(table)
        info = result_info(table)
        assert info.estimator.startswith("survey.") and info.reference.startswith("R survey::")
        assert info.vcov.startswith("Taylor linearisation") and info.level == 0.95
        assert table["n"].dtype == "Int64"


def test_ratio_table_names_both_variables() -> None:
    got = ratio(design_for("strat"), ["api.stu", "api00"], "enroll")
    assert list(got["variable"]) == ["api.stu/enroll", "api00/enroll"]
    assert list(got["numerator"]) == ["api.stu", "api00"]


def test_domain_numbering_without_the_lookup_table(monkeypatch: pytest.MonkeyPatch) -> None:
    from evaluation import _domain_estimates

    data = api("apiclus1")
    data["group"] = data["stype"].where(data.index % 7 != 0)
    design = Design(data, weights="pw", clusters="dnum", fpc="fpc")
    fast = mean(design, "api00", by=["group", "awards"])
    monkeypatch.setattr(_domain_estimates, "LOOKUP_LIMIT", 0)
    slow = mean(design, "api00", by=["group", "awards"])
    pd.testing.assert_frame_equal(fast, slow)


@pytest.mark.parametrize("rule", ["adjust", "certainty", "average"])
def test_element_sampling_equals_one_row_clusters(rule: str) -> None:
    """Rows as PSUs (sums of z and z**2 per stratum) = each row its own cluster (unit totals)."""
    data = api("apistrat").assign(row=lambda d: np.arange(len(d)))
    data.loc[data.index[:1], "stype"] = "lone"  # a stratum with a single row, i.e. one PSU
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LonelyPSUWarning)
        rows = Design(data, weights="pw", strata="stype", lonely_psu=rule)
        clusters = Design(data, weights="pw", strata="stype", clusters="row", lonely_psu=rule)
    for function, variables in ((mean, ["api00", "target"]), (total, ["enroll", "target"])):
        got = function(rows, variables, by="awards")
        want = function(clusters, variables, by="awards")
        assert_close(got["se"], want["se"], f"{function.__name__} SE, lonely_psu={rule}")
        assert_close(got["deff"], want["deff"], f"{function.__name__} deff")
        assert list(got["df"]) == list(want["df"])
