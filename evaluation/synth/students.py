"""The sampled students: who they are, their latent traits, and who is still there at endline.

Each student has four correlated latent traits, standard normal within a school:

- ``R``: antisocial propensity (delinquency, victimisation, antisocial peers);
- ``P``: bonding to school and family (protective);
- ``A``: attitudes favourable to violence and organised crime;
- ``S``: propensity to use tobacco, alcohol and drugs.

Schools add a shared component with the same correlations and variance ``tau2``. This
gives an intraclass correlation ``tau2 / (1 + tau2)`` = :data:`ICC` for each trait. Boys,
project areas (chosen for need) and older students are shifted upwards. Between the waves
(about seven months apart) each trait moves by an individual random step, and a small common
trend is added.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evaluation.synth.clock import day_number
from evaluation.synth.people import FEMALE_FIRST, MALE_FIRST

ICC = 0.08
TRAITS = ("R", "P", "A", "S")
CORRELATION = np.array(
    [
        [1.0, -0.4, 0.6, 0.5],
        [-0.4, 1.0, -0.3, -0.3],
        [0.6, -0.3, 1.0, 0.35],
        [0.5, -0.3, 0.35, 1.0],
    ]
)
MALE_SHIFT = {"R": 0.35, "P": -0.10, "A": 0.30, "S": 0.25}
PROJECT_SHIFT = {"R": 0.12, "P": 0.0, "A": 0.12, "S": 0.0}
STEP_SD = {"R": 0.55, "P": 0.5, "A": 0.55, "S": 0.5}
TREND = {"R": 0.05, "P": -0.03, "A": 0.03, "S": 0.06}

BASELINE_DAYS = (day_number(2022, 10, 10), day_number(2022, 11, 11))
ENDLINE_DAYS = (day_number(2023, 5, 8), day_number(2023, 6, 2))
ATTRITION = {"project": 0.17, "comparison": 0.13}
REFUSAL_BASELINE = 0.02
REFUSAL_ENDLINE_EXTRA = 0.01
CODE_MISMATCH = 0.03


@dataclass
class Cohort:
    """Arrays of length ``n`` (one entry per sampled student) describing the cohort."""

    school: np.ndarray  # row of the school in the frame
    school_code: np.ndarray
    class_code: np.ndarray
    class_id: np.ndarray  # running number of the sampled class
    grade: np.ndarray
    treated: np.ndarray
    urban: np.ndarray
    school_unit: np.ndarray
    home_unit: np.ndarray
    sex: np.ndarray  # 0 female, 1 male, 2 prefer not to say
    male: np.ndarray  # used by the trait model (hidden sex for "prefer not to say")
    birth_year: np.ndarray
    birth_month: np.ndarray
    birth_day: np.ndarray
    mother: np.ndarray  # first letter as typed
    father: np.ndarray
    older_sibs: np.ndarray
    traits: dict[str, np.ndarray]
    school_effect: dict[str, np.ndarray]
    refuse_baseline: np.ndarray
    attrited: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    refuse_endline: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def n(self) -> int:
        """Number of sampled students."""
        return len(self.school)


def draw_cohort(rng: np.random.Generator, frame: pd.DataFrame, classes: pd.DataFrame) -> Cohort:
    """Students of the sampled classes, with their traits and their baseline assent."""
    sizes = classes["size"].to_numpy()
    class_id = np.repeat(np.arange(len(classes)), sizes)
    school = classes["school"].to_numpy()[class_id]
    n = len(class_id)
    grade = classes["grade"].to_numpy()[class_id]
    code = classes["grade"].astype(str) + classes["section"]
    treated = frame["arm"].to_numpy()[school] == "project"
    urban = frame["urban_rural"].to_numpy()[school] == "urban"
    unit = frame["admin_unit"].to_numpy()[school]

    sex = rng.choice(3, size=n, p=[0.49, 0.49, 0.02])
    male = np.where(sex == 2, rng.random(n) < 0.5, sex == 1)
    repeater = rng.random(n) < 0.04
    birth_year = 2016 - grade - repeater
    birth_month = rng.integers(1, 13, n)
    birth_day = rng.integers(1, 29, n)

    school_effect = _school_effects(rng, len(frame))
    individual = rng.multivariate_normal(np.zeros(4), CORRELATION, size=n)
    traits = {}
    for j, t in enumerate(TRAITS):
        traits[t] = (
            individual[:, j]
            + school_effect[t][school]
            + MALE_SHIFT[t] * male
            + PROJECT_SHIFT[t] * treated
        )
    traits["S"] = traits["S"] + 0.10 * urban
    return Cohort(
        school=school,
        school_code=frame["school_id"].to_numpy()[school],
        class_code=code.to_numpy()[class_id],
        class_id=class_id,
        grade=grade,
        treated=treated,
        urban=urban,
        school_unit=unit,
        home_unit=_home_units(rng, unit),
        sex=sex,
        male=male,
        birth_year=birth_year,
        birth_month=birth_month,
        birth_day=birth_day,
        mother=_initials(rng, FEMALE_FIRST, n, unknown=0.005),
        father=_initials(rng, MALE_FIRST, n, unknown=0.02),
        older_sibs=rng.choice(6, size=n, p=[0.40, 0.33, 0.16, 0.07, 0.03, 0.01]),
        traits=traits,
        school_effect=school_effect,
        refuse_baseline=rng.random(n) < REFUSAL_BASELINE,
    )


def _school_effects(rng: np.random.Generator, n_schools: int) -> dict[str, np.ndarray]:
    tau2 = ICC / (1 - ICC)
    u = rng.multivariate_normal(np.zeros(4), tau2 * CORRELATION, size=n_schools)
    return {t: u[:, j] for j, t in enumerate(TRAITS)}


def _home_units(rng: np.random.Generator, school_unit: np.ndarray) -> np.ndarray:
    """Most students live in their school's unit; some commute from a neighbouring one."""
    home = school_unit.astype(object).copy()
    moved = rng.random(len(home)) < 0.10
    others = np.array(
        ["elbasan", "bradashesh", "shushice", "labinot_fushe", "gjergjan"], dtype=object
    )
    home[moved] = others[rng.integers(0, len(others), moved.sum())]
    return home


def _initials(
    rng: np.random.Generator, names: tuple[str, ...], n: int, unknown: float
) -> np.ndarray:
    """First letters of parents' names, as students type them (some lower case, X if unknown)."""
    letters = np.array([name[0] for name in names], dtype=object)[rng.integers(0, len(names), n)]
    lower = rng.random(n) < 0.25
    letters = np.where(lower, np.char.lower(letters.astype(str)).astype(object), letters)
    return np.where(rng.random(n) < unknown, "X", letters).astype(object)


def endline_traits(rng: np.random.Generator, cohort: Cohort) -> dict[str, np.ndarray]:
    """Traits about seven months later, without the programme (the control potential outcome)."""
    return {
        t: cohort.traits[t] + TREND[t] + STEP_SD[t] * rng.standard_normal(cohort.n) for t in TRAITS
    }


def draw_attrition(rng: np.random.Generator, cohort: Cohort) -> None:
    """Mark who has left by endline and who refuses at endline (in place).

    Within each arm the students most likely to leave (higher antisocial propensity, grade
    12 in exam season, plus chance) leave, in exactly the arm's :data:`ATTRITION` share.
    Students who refused at baseline refuse again; another 1% of the others refuse.
    """
    score = 0.45 * cohort.traits["R"] + 0.3 * (cohort.grade == 12) + rng.logistic(size=cohort.n)
    attrited = np.zeros(cohort.n, dtype=bool)
    for arm, is_treated in (("project", True), ("comparison", False)):
        idx = np.flatnonzero(cohort.treated == is_treated)
        k = round(ATTRITION[arm] * len(idx))
        attrited[idx[np.argsort(-score[idx], kind="stable")[:k]]] = True
    cohort.attrited = attrited
    extra = rng.random(cohort.n) < REFUSAL_ENDLINE_EXTRA
    cohort.refuse_endline = ~attrited & (cohort.refuse_baseline | extra)


def age_on(cohort: Cohort, days: np.ndarray) -> np.ndarray:
    """Completed years of age on each day (day numbers since 1970-01-01)."""
    d = np.asarray(days).astype("datetime64[D]")
    year = d.astype("datetime64[Y]").astype(int) + 1970
    month = d.astype("datetime64[M]").astype(int) % 12 + 1
    day = (d - d.astype("datetime64[M]")).astype(int) + 1
    before_birthday = (month < cohort.birth_month) | (
        (month == cohort.birth_month) & (day < cohort.birth_day)
    )
    return year - cohort.birth_year - before_birthday


def panel_codes(
    mother: np.ndarray, father: np.ndarray, month: np.ndarray, sibs: np.ndarray
) -> np.ndarray:
    """The form's calculate: upper-case initials + two-digit birth month + older siblings."""
    upper = np.char.upper(mother.astype(str)).astype(object) + np.char.upper(
        father.astype(str)
    ).astype(object)
    return (
        upper + np.char.zfill(month.astype(str), 2).astype(object) + sibs.astype(str).astype(object)
    ).astype(object)


def endline_code_answers(
    rng: np.random.Generator, cohort: Cohort, both_waves: np.ndarray
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The code questions at endline: mostly the same answers, a few answered differently.

    A share :data:`CODE_MISMATCH` of students who answer both waves changes one ingredient
    (the mother's initial, the birth month by one, or the older siblings by one). A change is
    kept only if the new code is not used by another baseline respondent of the same school,
    so every planted mismatch leaves exactly one endline code without a baseline match.

    Returns
    -------
    (dict, numpy.ndarray)
        The endline ``sgc_mother``, ``sgc_father``, ``sgc_birth_month``, ``sgc_older_sibs``
        answers, and the indices of the students whose code changed.
    """
    mother = cohort.mother.copy()
    month = cohort.birth_month.copy()
    sibs = cohort.older_sibs.copy()
    base_codes = panel_codes(cohort.mother, cohort.father, cohort.birth_month, cohort.older_sibs)
    assented = ~cohort.refuse_baseline
    taken = set(zip(cohort.school[assented].tolist(), base_codes[assented].tolist(), strict=True))
    candidates = np.flatnonzero(both_waves & (rng.random(cohort.n) < CODE_MISMATCH))
    letters = np.array(sorted({name[0] for name in FEMALE_FIRST}), dtype=object)
    changed = []
    for i in candidates:  # a few dozen per thousand students
        kind = rng.choice(3, p=[0.35, 0.25, 0.40])
        new_mother, new_month, new_sibs = mother[i], month[i], sibs[i]
        if kind == 0:
            new_mother = rng.choice(letters[letters != str(mother[i]).upper()])
        elif kind == 1:
            new_month = month[i] % 12 + 1 if rng.random() < 0.5 else (month[i] - 2) % 12 + 1
        else:
            new_sibs = sibs[i] + 1 if sibs[i] == 0 or rng.random() < 0.5 else sibs[i] - 1
        code = panel_codes(
            np.array([new_mother]),
            cohort.father[i : i + 1],
            np.array([new_month]),
            np.array([new_sibs]),
        )[0]
        if (int(cohort.school[i]), code) in taken:
            continue
        mother[i], month[i], sibs[i] = new_mother, new_month, new_sibs
        changed.append(i)
    answers = {"mother": mother, "father": cohort.father, "month": month, "sibs": sibs}
    return answers, np.array(changed, dtype=int)
