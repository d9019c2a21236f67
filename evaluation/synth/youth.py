"""The youth survey's answers, wave by wave, and the programme's true effects.

Items are ordinal threshold models on the students' latent traits (``students.py``):
``y* = loading * trait + sqrt(1 - loading**2) * e``, cut at fixed thresholds. A scale's
items share a trait, which gives Cronbach's alpha of about 0.7-0.85.

The programme works on three outcomes, in project schools at endline only:

- attitudes: the trait ``A`` behind the seven attitude items falls by :data:`DELTA_A`;
- delinquency: the trait ``R`` behind the eight self-reported acts falls by :data:`DELTA_R`;
- cannabis: the trait ``S`` behind cannabis initiation and 30-day use falls by
  :data:`DELTA_S`.

Every other answer has no programme effect. The true effects in ``truth.json`` are computed
from potential outcomes. Each treated student's endline answers are generated twice from the
same random draws, once with the shift and once without, and the effect is the mean
difference. It is therefore the exact effect on the observed scale in this sample, not a
model parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DELTA_A = 0.26
DELTA_R = 0.17
DELTA_S = 0.35
ITEM_SKIP = 0.01  # item non-response on optional items of the self-completed questionnaire

# name, sign (+1: agreeing is favourable to violence or crime), thresholds on y*
ATTITUDE_ITEMS = (
    ("at_fight", 1, (-0.4, 0.4, 1.3)),
    ("at_knife", 1, (0.3, 1.0, 1.8)),
    ("at_steal", 1, (0.5, 1.3, 2.0)),
    ("at_respect", 1, (-0.3, 0.5, 1.3)),
    ("at_gang", 1, (0.6, 1.4, 2.1)),
    ("at_easy_money", 1, (0.5, 1.3, 2.0)),
    ("at_report", -1, (-1.1, -0.3, 0.7)),
)
ATTITUDE_LOADING = 0.62
# name, threshold on y* = 0.7 R + e (sets the prevalence of the act)
ACTS = (
    ("d_weapon", 1.4),
    ("d_attack", 1.68),
    ("d_robbery", 2.0),
    ("d_steal", 1.7),
    ("d_vandalism", 1.42),
    ("d_sold_drugs", 2.15),
    ("d_courier", 2.05),
    ("d_arrested", 2.05),
)
ACT_LOADING = 0.7
ACT_FREQUENCY = (0.45, 0.85, 1.15)  # excess over the threshold -> 1-2, 3-5, 6-9, 10+ times


@dataclass(frozen=True)
class UseSpec:
    """Thresholds of an ESPAD lifetime / 30-day pair of items.

    Lifetime use starts when ``S + male_life * male + 0.12 (age - 15) + e`` passes
    ``life_cut`` (``e`` is kept across waves, so use never "un-happens"). Current use needs
    lifetime use and ``S + male_30 * male + e30`` above ``cut_30``.
    """

    life_cut: float
    cut_30: float
    male_life: float
    male_30: float


CANNABIS = UseSpec(life_cut=2.65, cut_30=2.3, male_life=0.42, male_30=0.3)
CIGARETTES = UseSpec(life_cut=1.25, cut_30=1.45, male_life=0.3, male_30=0.2)
ALCOHOL = UseSpec(life_cut=-0.12, cut_30=0.55, male_life=0.15, male_30=0.15)
_LIFE_STEPS = (0.35, 0.7, 1.0, 1.3, 1.7)
_STEPS_30 = (0.5, 0.9, 1.3, 1.7, 2.1)


@dataclass(frozen=True)
class Draws:
    """Random draws behind one wave's programme-sensitive answers.

    Both potential outcomes of a student use the same draws, so their difference is the
    effect of the programme alone.
    """

    attitudes: np.ndarray  # (n, 7) standard normal
    attitudes_skip: np.ndarray  # (n, 7) bool
    acts: np.ndarray  # (n, 8) standard normal
    acts_skip: np.ndarray  # (n, 8) bool
    cannabis_30d: np.ndarray  # (n,) standard normal
    cannabis_skip: np.ndarray  # (n, 2) bool: lifetime, 30 days

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int) -> Draws:
        """Draws for ``n`` students."""
        return cls(
            attitudes=rng.standard_normal((n, 7)),
            attitudes_skip=rng.random((n, 7)) < ITEM_SKIP,
            acts=rng.standard_normal((n, 8)),
            acts_skip=rng.random((n, 8)) < ITEM_SKIP,
            cannabis_30d=rng.standard_normal(n),
            cannabis_skip=rng.random((n, 2)) < ITEM_SKIP,
        )


# --------------------------------------------------------------------------- item helpers
def ordinal(latent: np.ndarray, noise: np.ndarray, loading: float, cuts) -> np.ndarray:
    """Category 0…len(cuts) of ``loading * latent + sqrt(1 - loading^2) * noise``."""
    ystar = loading * latent + np.sqrt(1.0 - loading**2) * noise
    return np.searchsorted(np.asarray(cuts, dtype=float), ystar)


def with_skips(codes: np.ndarray, skip: np.ndarray) -> np.ndarray:
    """Codes with -1 (no answer) where ``skip``."""
    return np.where(skip, -1, codes)


def attitude_codes(a: np.ndarray, draws: Draws) -> np.ndarray:
    """Answers 0…3 (NO! … YES!) to the seven attitude items; -1 = no answer."""
    columns = []
    for j, (_name, sign, cuts) in enumerate(ATTITUDE_ITEMS):
        columns.append(ordinal(sign * a, draws.attitudes[:, j], ATTITUDE_LOADING, cuts))
    return with_skips(np.column_stack(columns), draws.attitudes_skip)


def attitudes_scale(codes: np.ndarray) -> np.ndarray:
    """The attitudes scale: mean item (1-4), higher = less favourable to violence and crime.

    The six risk items count as 5 - answer and ``at_report`` as answered (answers coded 1-4).
    Items without an answer are left out of the mean; no answers give NaN.
    """
    signs = np.array([sign for _, sign, _ in ATTITUDE_ITEMS])
    answer = codes + 1.0
    recoded = np.where(signs > 0, 5.0 - answer, answer)
    recoded = np.where(codes < 0, np.nan, recoded)
    with np.errstate(invalid="ignore"):
        return np.nanmean(recoded, axis=1) if len(codes) else np.array([])


def act_codes(r: np.ndarray, draws: Draws) -> np.ndarray:
    """Times (0 = never … 4 = 10+) each of the eight acts was done; -1 = no answer."""
    columns = []
    for j, (_name, cut) in enumerate(ACTS):
        ystar = ACT_LOADING * r + np.sqrt(1 - ACT_LOADING**2) * draws.acts[:, j]
        excess = ystar - cut
        times = np.where(excess > 0, 1 + np.searchsorted(ACT_FREQUENCY, excess), 0)
        columns.append(times)
    return with_skips(np.column_stack(columns), draws.acts_skip)


def any_delinquency(codes: np.ndarray) -> np.ndarray:
    """The form's calculate: 1 if any act was done at least once (no answer counts as 0)."""
    return (codes > 0).any(axis=1).astype(int)


@dataclass(frozen=True)
class Use:
    """Answers to a lifetime / 30-day pair: occasion codes 0-6 (-1 = no answer or not asked)."""

    life: np.ndarray
    last30: np.ndarray
    user: np.ndarray  # true lifetime use (before non-response)

    @property
    def any30(self) -> np.ndarray:
        """1 if at least one occasion in the last 30 days (no answer counts as 0)."""
        return (self.last30 > 0).astype(int)


def use_answers(
    spec: UseSpec,
    s: np.ndarray,
    male: np.ndarray,
    age: np.ndarray,
    life_noise: np.ndarray,
    noise_30: np.ndarray,
    skip: np.ndarray,
    earlier: Use | None,
) -> Use:
    """Lifetime and 30-day use of one substance, as ESPAD occasion codes.

    See :class:`UseSpec` for the model. The 30-day code never exceeds the lifetime code (the
    form's constraint), and the 30-day item is asked only after a lifetime answer above 0.
    ``skip`` is an ``(n, 2)`` mask of item non-response (lifetime, 30 days).
    """
    excess = s + spec.male_life * male + 0.12 * (age - 15) + life_noise - spec.life_cut
    user = excess > 0
    life = np.where(user, 1 + np.searchsorted(_LIFE_STEPS, excess), 0)
    if earlier is not None:
        user = user | earlier.user
        life = np.maximum(life, np.where(earlier.user, np.maximum(earlier.life, 1), 0))
    current = s + spec.male_30 * male + noise_30 - spec.cut_30
    last30 = np.where(user & (current > 0), 1 + np.searchsorted(_STEPS_30, current), 0)
    last30 = np.minimum(last30, life)
    life_answer = np.where(skip[:, 0], -1, life)
    last30_answer = np.where((life_answer > 0) & ~skip[:, 1], last30, -1)
    return Use(life=life_answer, last30=last30_answer, user=user)


def cannabis_answers(
    s: np.ndarray,
    male: np.ndarray,
    age: np.ndarray,
    life_noise: np.ndarray,
    draws: Draws,
    earlier: Use | None,
) -> Use:
    """Cannabis answers (:data:`CANNABIS`), from the draws shared by the potential outcomes."""
    return use_answers(
        CANNABIS, s, male, age, life_noise, draws.cannabis_30d, draws.cannabis_skip, earlier
    )


@dataclass(frozen=True)
class Outcomes:
    """Per-student values of the outcomes with a true effect (one wave)."""

    attitudes: np.ndarray
    any_delinquency: np.ndarray
    cannabis_30d: np.ndarray


def outcomes_of(att: np.ndarray, acts: np.ndarray, can: Use) -> Outcomes:
    """The named outcomes from one set of answers."""
    return Outcomes(attitudes_scale(att), any_delinquency(acts), can.any30)


def effect_table(
    y0: Outcomes, y1: Outcomes, treated: np.ndarray, respondents: np.ndarray, sd_attitudes: float
) -> dict[str, dict[str, object]]:
    """``truth.json`` effects: mean of Y(1) - Y(0) over the project arm's sampled students."""
    who = treated
    resp = treated & respondents

    def mean_diff(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
        return float(np.nanmean(b[mask] - a[mask]))

    att = mean_diff(y0.attitudes, y1.attitudes, who)
    att_resp = mean_diff(y0.attitudes, y1.attitudes, resp)
    estimand = (
        "mean over all sampled students in project schools of Y(1) - Y(0) at endline "
        "(potential outcomes from the same random draws); effect_respondents: the same over "
        "project students who answered the endline survey"
    )
    return {
        "attitudes_scale": {
            "effect": att / sd_attitudes,
            "unit": "standard deviations of the baseline attitudes scale",
            "effect_scale_points": att,
            "effect_respondents": att_resp / sd_attitudes,
            "sd_baseline": sd_attitudes,
            "description": "Attitudes to violence and organised crime: mean of the seven "
            "attitudes items (answers 1-4), with at_fight, at_knife, at_steal, at_respect, "
            "at_gang and at_easy_money counted as 5 - answer; higher = less favourable. "
            "Positive effect = less favourable.",
            "estimand": estimand,
        },
        "any_delinquency": {
            "effect": mean_diff(y0.any_delinquency, y1.any_delinquency, who),
            "unit": "difference in proportion (-0.04 = 4 percentage points lower)",
            "effect_respondents": mean_diff(y0.any_delinquency, y1.any_delinquency, resp),
            "description": "Any of the eight self-reported acts in the past 12 months "
            "(the form's calculate delinquency/any_delinquency; no answer counts as 0).",
            "estimand": estimand,
        },
        "cannabis_30d": {
            "effect": mean_diff(y0.cannabis_30d, y1.cannabis_30d, who),
            "unit": "difference in proportion (-0.015 = 1.5 percentage points lower)",
            "effect_respondents": mean_diff(y0.cannabis_30d, y1.cannabis_30d, resp),
            "description": "Cannabis on at least one occasion in the last 30 days "
            "(substance/su_can_30d >= 1; not asked or no answer counts as 0).",
            "estimand": estimand,
        },
    }
