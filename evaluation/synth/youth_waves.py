"""Both waves of the youth survey: every answer as the form stores it, with timestamps.

``simulate_youth`` draws the cohort and its two waves. It returns one table of text answers
per wave (one column per form field, "" where the form leaves a question empty), the
students behind the rows, the interview times, and the true effects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.synth import clock
from evaluation.synth.people import YOUTH_COMMENTS, PersonalValues, full_names, mobile_numbers
from evaluation.synth.people import spoken as spoken_phone
from evaluation.synth.streams import device_ids, stream
from evaluation.synth.students import (
    BASELINE_DAYS,
    ENDLINE_DAYS,
    Cohort,
    age_on,
    draw_attrition,
    draw_cohort,
    endline_code_answers,
    endline_traits,
    panel_codes,
)
from evaluation.synth.submissions import Table
from evaluation.synth.youth import (
    ACTS,
    ALCOHOL,
    ATTITUDE_ITEMS,
    CIGARETTES,
    DELTA_A,
    DELTA_R,
    DELTA_S,
    ITEM_SKIP,
    Draws,
    Use,
    act_codes,
    attitude_codes,
    attitudes_scale,
    cannabis_answers,
    effect_table,
    ordinal,
    outcomes_of,
    use_answers,
)

NATURAL_MINUTES = (12.0, 55.0)  # completed interviews last this long (minutes)
COMMENT_RATE = 0.05
SEX_NAMES = ("female", "male", "prefer_not")
SERVICES = (
    "school_psych",
    "teacher",
    "health_centre",
    "social_services",
    "njmf",
    "police",
    "helpline",
    "cso",
    "family",
)
SERVICE_BASE = (0.55, 0.35, 0.30, 0.15, 0.08, 0.30, 0.12, 0.08, 0.35)
ACTIVITIES = ("class_sessions", "sports", "mentoring", "arts", "parents", "other")
WHERE_HURT = ("school", "street", "home", "other")


@dataclass
class Wave:
    """One wave: answers (text per form field) and, per row, the student and the times."""

    answers: Table
    student: np.ndarray
    start: np.ndarray  # UTC milliseconds
    end: np.ndarray
    submitted: np.ndarray
    assent: np.ndarray
    planted_comments: np.ndarray  # rows whose free text carries a name (and a phone)


@dataclass
class YouthWorld:
    """The cohort, its waves, the true effects and facts for truth.json."""

    cohort: Cohort
    baseline: Wave
    endline: Wave | None
    effects: dict[str, dict[str, object]]
    code_changes: np.ndarray  # students whose endline code differs from their baseline code
    facts: dict[str, object]
    carry: dict[str, object]  # what the endline needs from the baseline (numbers, not text)

    def release_answers(self, wave: str) -> None:
        """Drop a wave's answers once its file's rows own them (keeps baseline panel codes)."""
        if wave == "baseline":
            codes = np.full(self.cohort.n, "", dtype=object)
            codes[self.baseline.student] = self.baseline.answers["panel_code"]
            self.carry["baseline_codes"] = codes
            self.baseline.answers = {}
        elif self.endline is not None:
            self.endline.answers = {}


# --------------------------------------------------------------------------- text helpers
def text(codes: np.ndarray, names) -> np.ndarray:
    """Choice names for codes 0…k-1, "" for -1."""
    table = np.array([*names, ""], dtype=object)
    return table[np.where(codes < 0, len(names), codes)]


def number_text(values: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """Integers as text, "" where ``missing``; equal numbers share one string object."""
    values = np.asarray(values).astype(np.int64)
    uniques, inverse = np.unique(values, return_inverse=True)
    out = np.array([str(u) for u in uniques], dtype=object)[inverse]
    return np.where(missing, "", out) if missing is not None else out


def multi_text(selected: np.ndarray, names, answered: np.ndarray) -> np.ndarray:
    """Space-separated choice names of a select_multiple; "" where not answered."""
    bits = selected.astype(np.int64) @ (1 << np.arange(len(names)))
    bits = np.where(answered, bits, -1)
    uniques, inverse = np.unique(bits, return_inverse=True)
    strings = [
        "" if b < 0 else " ".join(n for j, n in enumerate(names) if b >> j & 1) for b in uniques
    ]
    return np.array(strings, dtype=object)[inverse]


def skipped(rng: np.random.Generator, n: int) -> np.ndarray:
    """Item non-response on an optional question."""
    return rng.random(n) < ITEM_SKIP


# --------------------------------------------------------------------------- simulation
def simulate_baseline(
    seed: int, frame: pd.DataFrame, classes: pd.DataFrame, personal: PersonalValues
) -> YouthWorld:
    """Draw the cohort and the baseline wave; :func:`simulate_endline` adds the endline.

    The waves are built one at a time so that a large world holds only one wave's answers.
    """
    cohort = draw_cohort(stream(seed, "youth.cohort"), frame, classes)
    n = cohort.n
    persistent = stream(seed, "youth.persistent")
    carry: dict[str, object] = {
        "life_noise": {k: persistent.standard_normal(n) for k in ("can", "cig", "alc")},
        "wg_latent": persistent.standard_normal((n, 6)),
        "parent": persistent.choice(4, size=n, p=[0.72, 0.20, 0.04, 0.04]),
    }
    life_noise = carry["life_noise"]
    times = _interview_times(
        stream(seed, "youth.times.baseline"), cohort, BASELINE_DAYS, cohort.refuse_baseline
    )
    age = age_on(cohort, clock.local_ms(times[0]) // clock.DAY)
    draws = Draws.draw(stream(seed, "youth.draws.baseline"), n)
    att = attitude_codes(cohort.traits["A"], draws)
    acts = act_codes(cohort.traits["R"], draws)
    carry["cannabis"] = cannabis_answers(
        cohort.traits["S"], cohort.male, age, life_noise["can"], draws, None
    )
    rng = stream(seed, "youth.items.baseline")
    carry["other"] = _other_uses(rng, cohort, cohort.traits, age, life_noise, None)
    codes = {
        "mother": cohort.mother,
        "father": cohort.father,
        "month": cohort.birth_month,
        "sibs": cohort.older_sibs,
    }
    inputs = WaveInput(cohort, "baseline", np.ones(n, dtype=bool), ~cohort.refuse_baseline,
                       times, age, cohort.traits, att, acts, carry["cannabis"], carry["other"],
                       codes, carry["wg_latent"], carry["parent"])  # fmt: skip
    baseline = _wave(rng, inputs, personal)
    valid = ~cohort.refuse_baseline
    carry["sd_attitudes"] = float(np.nanstd(attitudes_scale(att)[valid], ddof=1))
    facts = _facts(cohort, att, valid)
    return YouthWorld(cohort, baseline, None, {}, np.zeros(0, dtype=int), facts, carry)


def simulate_endline(seed: int, world: YouthWorld, personal: PersonalValues) -> None:
    """Add the endline wave, the code changes and the true effects to ``world`` (in place)."""
    cohort, carry = world.cohort, world.carry
    n = cohort.n
    draw_attrition(stream(seed, "youth.attrition"), cohort)
    traits = endline_traits(stream(seed, "youth.traits.endline"), cohort)
    present = ~cohort.attrited
    assent = present & ~cohort.refuse_endline
    times = _interview_times(
        stream(seed, "youth.times.endline"), cohort, ENDLINE_DAYS, cohort.refuse_endline
    )
    age = age_on(cohort, clock.local_ms(times[0]) // clock.DAY)
    draws = Draws.draw(stream(seed, "youth.draws.endline"), n)
    life_noise = carry["life_noise"]
    shifted = {"A": traits["A"] - DELTA_A, "R": traits["R"] - DELTA_R, "S": traits["S"] - DELTA_S}
    att0, att1 = (attitude_codes(a, draws) for a in (traits["A"], shifted["A"]))
    acts0, acts1 = (act_codes(r, draws) for r in (traits["R"], shifted["R"]))
    can0, can1 = (
        cannabis_answers(s, cohort.male, age, life_noise["can"], draws, carry["cannabis"])
        for s in (traits["S"], shifted["S"])
    )
    treated = cohort.treated
    att = np.where(treated[:, None], att1, att0)
    acts = np.where(treated[:, None], acts1, acts0)
    can = Use(
        *(np.where(treated, getattr(can1, f), getattr(can0, f)) for f in ("life", "last30", "user"))
    )
    world.effects = effect_table(
        outcomes_of(att0, acts0, can0),
        outcomes_of(att1, acts1, can1),
        treated,
        assent,
        carry["sd_attitudes"],
    )
    rng = stream(seed, "youth.items.endline")
    other = _other_uses(rng, cohort, traits, age, life_noise, carry["other"])
    both = ~cohort.refuse_baseline & assent
    codes, world.code_changes = endline_code_answers(stream(seed, "youth.codes"), cohort, both)
    parent = np.where(rng.random(n) < 0.05, rng.choice(4, size=n), carry["parent"])
    inputs = WaveInput(cohort, "endline", present, assent, times, age, traits, att, acts, can,
                       other, codes, carry["wg_latent"], parent)  # fmt: skip
    world.endline = _wave(rng, inputs, personal)


def _facts(cohort: Cohort, att_b: np.ndarray, valid: np.ndarray) -> dict[str, object]:
    scale = attitudes_scale(att_b)
    ok = valid & ~np.isnan(scale)
    return {
        "icc_attitudes_scale_baseline": _anova_icc(scale[ok], cohort.school[ok]),
        "cronbach_alpha_attitudes_baseline": _alpha(att_b[ok]),
    }


def _anova_icc(y: np.ndarray, group: np.ndarray) -> float:
    """One-way ANOVA estimator of the intraclass correlation (unequal group sizes)."""
    _, g = np.unique(group, return_inverse=True)
    k = g.max() + 1
    n_g = np.bincount(g)
    mean_g = np.bincount(g, y) / n_g
    ssb = float((n_g * (mean_g - y.mean()) ** 2).sum())
    ssw = float(((y - mean_g[g]) ** 2).sum())
    msb, msw = ssb / (k - 1), ssw / (len(y) - k)
    n0 = (len(y) - (n_g**2).sum() / len(y)) / (k - 1)
    return (msb - msw) / (msb + (n0 - 1) * msw)


def _alpha(codes: np.ndarray) -> float:
    """Cronbach's alpha of the attitude items (reverse item recoded), complete cases."""
    complete = (codes >= 0).all(axis=1)
    x = codes[complete].astype(float)
    x[:, -1] = 3 - x[:, -1]
    k = x.shape[1]
    return float(k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1)))


# --------------------------------------------------------------------------- timing
def _interview_times(
    rng: np.random.Generator, cohort: Cohort, window: tuple[int, int], refused: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Start, end and submission times (UTC ms) and device ids of every sampled student.

    Each school is visited on one weekday of the fieldwork window; each class answers in one
    lesson (08:00-13:00). Completed questionnaires take 12-55 minutes; a refusal 0.5-2.
    """
    n = cohort.n
    days = np.arange(window[0], window[1] + 1)
    weekdays = days[clock.weekday(days) < 5]
    schools = np.unique(cohort.school)
    order = rng.permutation(len(schools))
    visit = weekdays[(order * len(weekdays)) // len(schools)]
    day = visit[np.searchsorted(schools, cohort.school)]
    n_classes = cohort.class_id.max() + 1
    lesson = 8 * 60 + 5 * rng.integers(0, 61, n_classes)  # minutes after midnight, local
    local = day * clock.DAY + lesson[cohort.class_id] * clock.MINUTE
    offset = clock.local_offset_ms(day * clock.DAY + 12 * clock.HOUR)
    start = local - offset + rng.integers(0, 240_000, n)
    minutes = np.clip(rng.lognormal(np.log(24.0), 0.25, n), *NATURAL_MINUTES)
    minutes = np.where(refused, rng.uniform(0.5, 2.0, n), minutes)
    end = start + (minutes * clock.MINUTE).astype(np.int64)
    evening = day * clock.DAY - offset + rng.integers(16 * 60, 20 * 60 + 30, n) * clock.MINUTE
    online = rng.random(n) < 0.6
    submitted = np.where(online | (evening <= end), end + rng.integers(5_000, 120_000, n), evening)
    n_tablets = max(8, -(-n // 40))
    tablets = device_ids(rng, n_tablets)
    position = np.arange(n) - np.searchsorted(cohort.class_id, cohort.class_id)
    device = tablets[(cohort.class_id * 7 + position) % n_tablets]
    return start, end, submitted, device


# --------------------------------------------------------------------------- answers
def _other_uses(
    rng: np.random.Generator,
    cohort: Cohort,
    traits: dict[str, np.ndarray],
    age: np.ndarray,
    life_noise: dict[str, np.ndarray],
    earlier: dict[str, Use] | None,
) -> dict[str, Use]:
    """Cigarettes and alcohol answers (no programme effect)."""
    n = cohort.n
    out = {}
    for key, spec in (("cig", CIGARETTES), ("alc", ALCOHOL)):
        out[key] = use_answers(
            spec,
            traits["S"],
            cohort.male,
            age,
            life_noise[key],
            rng.standard_normal(n),
            rng.random((n, 2)) < ITEM_SKIP,
            earlier[key] if earlier else None,
        )
    return out


@dataclass(frozen=True)
class WaveInput:
    """What one wave's answers are generated from (arrays over all sampled students)."""

    cohort: Cohort
    wave: str
    present: np.ndarray
    assent: np.ndarray
    times: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    age: np.ndarray
    traits: dict[str, np.ndarray]
    att: np.ndarray
    acts: np.ndarray
    can: Use
    other: dict[str, Use]
    codes: dict[str, np.ndarray]
    wg_latent: np.ndarray
    parent: np.ndarray


AGREE4 = ("1", "2", "3", "4")
OCCASIONS = ("0", "1", "2", "3", "4", "5", "6")


def _wave(rng: np.random.Generator, w: WaveInput, personal: PersonalValues) -> Wave:
    """All answers of one wave for the students present; "" where the form leaves them empty."""
    a: dict[str, np.ndarray] = {}
    for module in (_admin_and_code, _demographics, _functioning, _school_family_peers,
                   _attitudes_and_community, _delinquency_and_victimisation, _substances,
                   _help_seeking):  # fmt: skip
        module(rng, w, a)
    _exposure(rng, w.cohort, w.wave, a)
    n = w.cohort.n
    comments = np.where(
        rng.random(n) < COMMENT_RATE,
        np.asarray(YOUTH_COMMENTS, dtype=object)[rng.integers(0, len(YOUTH_COMMENTS), n)],
        "",
    )
    rows = np.flatnonzero(w.present)
    planted = _plant_comment_names(rng, comments, rows[w.assent[rows]], personal)
    a["anything_else"] = comments.astype(object)

    _blank_without_assent(a, w.assent)
    everyone = len(rows) == n
    keep = np.zeros(n, dtype=bool)
    keep[planted] = True
    start, end, submitted, _device = w.times
    return Wave(
        answers={k: (v if everyone else v[rows]) for k, v in a.items()},
        student=rows,
        start=start[rows],
        end=end[rows],
        submitted=submitted[rows],
        assent=w.assent[rows],
        planted_comments=np.flatnonzero(keep[rows]),
    )


def _admin_and_code(rng: np.random.Generator, w: WaveInput, a: dict[str, np.ndarray]) -> None:
    """Metadata, the survey team's fields, the assent and the self-generated code."""
    n, cohort, codes = w.cohort.n, w.cohort, w.codes
    start, end, _submitted, device = w.times
    a.update(clock.form_times(start, end))
    a["deviceid"] = device
    a["wave"] = np.full(n, w.wave, dtype=object)
    a["school_code"] = cohort.school_code.astype(object)
    a["class_code"] = cohort.class_code.astype(object)
    a["assent"] = np.where(w.assent, "yes", "no").astype(object)
    a["sgc_mother"] = codes["mother"]
    a["sgc_father"] = codes["father"]
    a["sgc_birth_month"] = text(codes["month"] - 1, [f"{m:02d}" for m in range(1, 13)])
    a["sgc_older_sibs"] = number_text(codes["sibs"])
    a["panel_code"] = panel_codes(codes["mother"], codes["father"], codes["month"], codes["sibs"])


def _demographics(rng: np.random.Generator, w: WaveInput, a: dict[str, np.ndarray]) -> None:
    """A1: sex, age, grade, home unit, parent abroad."""
    a["sex"] = text(w.cohort.sex, SEX_NAMES)
    a["age"] = number_text(w.age)
    a["grade"] = number_text(w.cohort.grade)
    a["home_unit"] = w.cohort.home_unit.astype(object)
    a["parent_abroad"] = text(w.parent, ("no", "one", "both", "dont_know"))


def _functioning(rng: np.random.Generator, w: WaveInput, a: dict[str, np.ndarray]) -> None:
    """A2: six Washington Group domains (stable across waves) and the disability calculate."""
    n = w.cohort.n
    names = ("wg_seeing", "wg_hearing", "wg_walking", "wg_cognition", "wg_selfcare",
             "wg_communication")  # fmt: skip
    codes = []
    for j, name in enumerate(names):
        cuts = (0.75, 2.33, 2.9) if name == "wg_seeing" else (1.2, 2.33, 2.9)
        c = ordinal(w.wg_latent[:, j], rng.standard_normal(n), 0.95, cuts)
        codes.append(c)
        a[name] = text(c, AGREE4)
    a["disability"] = number_text((np.column_stack(codes) >= 2).any(axis=1))


def _school_family_peers(rng: np.random.Generator, w: WaveInput, a: dict[str, np.ndarray]) -> None:
    """A3-A5: school commitment, family management and attachment, peers."""
    p, r, s = w.traits["P"], w.traits["R"], w.traits["S"]
    for name, sign, cuts in (
        ("sc_meaningful", 1, (-1.7, -0.9, 0.0, 0.9)),
        ("sc_enjoy", 1, (-1.3, -0.6, 0.3, 1.2)),
        ("sc_hate", -1, (-0.6, 0.2, 1.0, 1.7)),
        ("sc_best", 1, (-1.9, -1.1, -0.2, 0.8)),
        ("sc_future", 1, (-1.8, -1.0, -0.1, 0.8)),
    ):
        a[name] = _item(rng, sign * p, 0.65, cuts, ("1", "2", "3", "4", "5"))
    a["sc_skipped"] = _item(rng, r, 0.5, (0.7, 1.3, 1.6, 1.9, 2.2, 2.6), OCCASIONS)
    for name, sign, loading, cuts in (
        ("fm_home_late", 1, 0.6, (-1.6, -0.9, 0.2)),
        ("fm_rules", 1, 0.6, (-1.8, -1.1, 0.0)),
        ("fm_homework", 1, 0.6, (-1.5, -0.8, 0.3)),
        ("fm_where", 1, 0.6, (-1.6, -0.9, 0.2)),
        ("fm_caught", 1, 0.6, (-1.2, -0.5, 0.5)),
        ("fa_close", 1, 0.6, (-2.0, -1.3, -0.2)),
        ("fa_share", 1, 0.6, (-1.2, -0.4, 0.6)),
        ("fc_yell", -1, 0.4, (0.0, 0.8, 1.6)),
    ):
        a[name] = _item(rng, sign * p, loading, cuts, AGREE4)
    for name, trait, loading, cuts in (
        ("pf_smoke", s, 0.6, (0.35, 0.9, 1.35, 1.8)),
        ("pf_cannabis", s, 0.6, (1.45, 1.95, 2.3, 2.6)),
        ("pf_suspended", r, 0.55, (1.3, 1.8, 2.2, 2.5)),
        ("pf_gang", r, 0.6, (1.9, 2.3, 2.6, 2.9)),
        ("pf_arrested", r, 0.6, (1.7, 2.1, 2.5, 2.8)),
        ("pf_sold_drugs", r, 0.6, (1.9, 2.3, 2.6, 2.9)),
        ("pf_clubs", p, 0.4, (-0.6, 0.1, 0.6, 1.1)),
    ):
        a[name] = _item(rng, trait, loading, cuts, ("0", "1", "2", "3", "4"))


def _attitudes_and_community(
    rng: np.random.Generator, w: WaveInput, a: dict[str, np.ndarray]
) -> None:
    """A6 (from the programme-sensitive codes) and A7: neighbourhood safety, availability."""
    n, cohort, s = w.cohort.n, w.cohort, w.traits["S"]
    for j, (name, _sign, _cuts) in enumerate(ATTITUDE_ITEMS):
        a[name] = text(w.att[:, j], AGREE4)
    # feeling safe depends on place and sex only: it has no programme effect
    safety = (
        cohort.school_effect["P"][cohort.school] - 0.35 * (cohort.sex == 0) - 0.2 * cohort.urban
    )
    a["cs_safe_dark"] = _item(rng, safety, 0.5, (-1.3, -0.4, 0.9), AGREE4)
    a["cs_like"] = _item(rng, w.traits["P"], 0.4, (-1.6, -0.8, 0.3), AGREE4)
    easy = _item(rng, s, 0.5, (-0.9, -0.1, 0.75, 1.35), ("1", "2", "3", "4", "5"))
    a["cs_cannabis_easy"] = np.where(rng.random(n) < 0.15, "9", easy).astype(object)
    seen = 0.5 * s + 0.2 * cohort.urban + rng.standard_normal(n)
    drug_sale = np.where(rng.random(n) < 0.1, 2, np.where(seen > 1.1, 0, 1))
    a["cs_drug_selling"] = np.where(
        skipped(rng, n), "", text(drug_sale, ("yes", "no", "dont_know"))
    ).astype(object)


def _delinquency_and_victimisation(
    rng: np.random.Generator, w: WaveInput, a: dict[str, np.ndarray]
) -> None:
    """A8 (from the programme-sensitive codes) and A9."""
    n, r = w.cohort.n, w.traits["R"]
    for j, (name, _cut) in enumerate(ACTS):
        a[name] = text(w.acts[:, j], ("0", "1", "2", "3", "4"))
    a["gang_member"] = _yes_no(rng, 0.6 * r + 0.8 * rng.standard_normal(n) > 2.05)
    a["any_delinquency"] = number_text((w.acts > 0).any(axis=1))
    hurt = 0.4 * r + 0.2 * w.cohort.male + rng.standard_normal(n) > 1.05
    hurt_code = np.where(rng.random(n) < 0.025, 2, np.where(hurt, 0, 1))
    hurt_code = np.where(skipped(rng, n), -1, hurt_code)
    a["v_hurt"] = text(hurt_code, ("yes", "no", "refuse"))
    where = rng.random((n, 4)) < np.array([0.45, 0.40, 0.15, 0.10])
    none = ~where.any(axis=1)
    where[none, rng.integers(0, 4, none.sum())] = True
    a["v_hurt_where"] = multi_text(where, WHERE_HURT, hurt_code == 0)
    a["v_bullied"] = _item(rng, 0.3 * r - 0.2 * w.traits["P"], 0.5, (0.3, 1.0, 1.6), AGREE4)
    a["v_online"] = _item(rng, 0.3 * r, 0.5, (0.6, 1.3, 1.9), AGREE4)
    robbed = 0.3 * r + rng.standard_normal(n) > 1.75
    robbed_code = np.where(rng.random(n) < 0.02, 2, np.where(robbed, 0, 1))
    a["v_robbed"] = text(np.where(skipped(rng, n), -1, robbed_code), ("yes", "no", "refuse"))


def _substances(rng: np.random.Generator, w: WaveInput, a: dict[str, np.ndarray]) -> None:
    """A10: ESPAD items; cannabis from the programme-sensitive answers, Relevin at random."""
    n, s = w.cohort.n, w.traits["S"]
    cig, alc, can = w.other["cig"], w.other["alc"], w.can
    a["su_cig_life"], a["su_cig_30d"] = text(cig.life, OCCASIONS), text(cig.last30, OCCASIONS)
    a["su_alc_life"], a["su_alc_30d"] = text(alc.life, OCCASIONS), text(alc.last30, OCCASIONS)
    binge = ordinal(s, rng.standard_normal(n), 0.5, (-0.2, 0.2, 0.6, 1.0, 1.5))
    a["su_binge_30d"] = text(np.where(alc.last30 > 0, binge, -1), OCCASIONS[:6])
    a["su_can_life"], a["su_can_30d"] = text(can.life, OCCASIONS), text(can.last30, OCCASIONS)
    first = np.clip(w.age - rng.poisson(1.2, n), 11, w.age)
    a["su_can_age"] = np.where(can.life > 0, number_text(first), "").astype(object)
    ecstasy = s + rng.standard_normal(n) > 3.5
    ecstasy_code = np.where(ecstasy, rng.integers(1, 3, n), 0)
    a["su_ecstasy_life"] = text(np.where(skipped(rng, n), -1, ecstasy_code), OCCASIONS)
    relevin = rng.random(n) < 0.008
    relevin_code = np.where(skipped(rng, n), -1, np.where(relevin, rng.integers(1, 4, n), 0))
    a["su_relevin_life"] = text(relevin_code, OCCASIONS)
    a["relevin_flag"] = number_text(relevin_code > 0)


def _help_seeking(rng: np.random.Generator, w: WaveInput, a: dict[str, np.ndarray]) -> None:
    """A11: services a young person could turn to (more known by bonded students)."""
    n, p = w.cohort.n, w.traits["P"]
    know = 0.4 * p + 0.9 * rng.standard_normal(n)
    base = np.log(np.array(SERVICE_BASE) / (1 - np.array(SERVICE_BASE)))
    for name in ("hs_drugs", "hs_violence"):
        prob = 1 / (1 + np.exp(-(base + 0.8 * know[:, None])))
        chosen = rng.random((n, len(SERVICES))) < prob
        matrix = np.column_stack([chosen, ~chosen.any(axis=1)])
        a[name] = multi_text(matrix, (*SERVICES, "dont_know"), ~skipped(rng, n))
    a["hs_tell_adult"] = _item(rng, 0.5 * p - 0.3 * w.traits["A"], 0.6, (-1.4, -0.6, 0.5), AGREE4)


_ADMIN_FIELDS = {"start", "end", "today", "deviceid", "wave", "school_code", "class_code", "assent"}


def _item(rng: np.random.Generator, latent: np.ndarray, loading: float, cuts, names) -> np.ndarray:
    """An optional ordinal item as choice names, with item non-response."""
    n = len(latent)
    codes = ordinal(latent, rng.standard_normal(n), loading, cuts)
    return text(np.where(skipped(rng, n), -1, codes), names)


def _yes_no(rng: np.random.Generator, yes: np.ndarray) -> np.ndarray:
    codes = np.where(yes, 0, 1)
    return text(np.where(skipped(rng, len(yes)), -1, codes), ("yes", "no"))


def _exposure(
    rng: np.random.Generator, cohort: Cohort, wave: str, a: dict[str, np.ndarray]
) -> None:
    """Programme exposure: asked at endline only (empty at baseline, as the form's relevant)."""
    n = cohort.n
    if wave != "endline":
        for name in ("ex_heard", "ex_sessions", "ex_activities", "ex_useful"):
            a[name] = np.full(n, "", dtype=object)
        return
    t = cohort.treated
    heard = np.where(
        t, rng.choice(3, size=n, p=[0.78, 0.12, 0.10]), rng.choice(3, size=n, p=[0.08, 0.80, 0.12])
    )
    a["ex_heard"] = text(heard, ("yes", "no", "dont_know"))
    sessions = np.where(
        t,
        rng.choice(5, size=n, p=[0.05, 0.20, 0.35, 0.25, 0.15]),
        rng.choice(5, size=n, p=[0.60, 0.35, 0.05, 0.0, 0.0]),
    )
    sessions = np.where(heard == 0, sessions, -1)
    a["ex_sessions"] = text(sessions, ("0", "1", "2", "3", "4"))
    took = sessions > 0
    chosen = rng.random((n, len(ACTIVITIES))) < np.array([0.85, 0.35, 0.2, 0.25, 0.15, 0.05])
    none = ~chosen.any(axis=1)
    chosen[none, 0] = True
    a["ex_activities"] = multi_text(chosen, ACTIVITIES, took)
    useful = ordinal(rng.standard_normal(n), rng.standard_normal(n), 0.5, (-1.6, -0.7, 0.5))
    a["ex_useful"] = text(np.where(took, useful, -1), ("1", "2", "3", "4"))


def _plant_comment_names(
    rng: np.random.Generator, comments: np.ndarray, eligible: np.ndarray, personal: PersonalValues
) -> np.ndarray:
    """A few students write their name (and a phone number) in the free text. In place."""
    k = max(1, round(0.0025 * len(eligible)))
    chosen = np.sort(rng.choice(eligible, size=min(k, len(eligible)), replace=False))
    names = full_names(rng, rng.random(len(chosen)) < 0.5)
    phones = mobile_numbers(rng, len(chosen))
    with_phone = rng.random(len(chosen)) < 0.6
    for i, name, phone, wp in zip(chosen, names, phones, with_phone, strict=True):
        if wp:
            comments[i] = (
                f"Më quajnë {name}, nëse doni të flisni numri im është {spoken_phone(phone)}."
            )
            personal.add("phone", [spoken_phone(phone)])
        else:
            comments[i] = f"Jam {name} dhe dua të marr pjesë në aktivitetet e projektit."
        personal.add("person_name", [name])
    return chosen


def _blank_without_assent(a: dict[str, np.ndarray], assent: np.ndarray) -> None:
    """Without assent every later group is not relevant, so the form leaves it empty."""
    for name, values in a.items():
        if name not in _ADMIN_FIELDS:
            a[name] = np.where(assent, values, "").astype(object)
