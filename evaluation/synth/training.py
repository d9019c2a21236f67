"""Trainings for KVSP member institutions: the attendance register and pre/post tests.

About 20 trainings (times √scale) run from April 2022 to October 2023, each 2-4 sessions on
consecutive weekdays, with about 15 participants each; 8% of participants come back for a
second course. The pre-test is taken at the first session and the post-test at the last;
about 10% of pre-tested participants have no post-test. Knowledge is a Rasch-type model:
``P(correct) = logistic(theta + gain * post - difficulty)``. The gain gives about +20 points
on the 0-100 score. A participant unsure of an answer picks "Don't know" more often before
the course than after.

Planted faults (rates of eligible rows, at least one each):

- attendance: exact duplicates 1%; the same participant and session entered twice with
  different hours 1%; ``hours_attended`` above the session's length 0.5%;
- tests: exact duplicates 1%; names or phone numbers in ``r_improve`` 2% of post-tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.synth import clock
from evaluation.synth.exports import FileRecord, write_kobo_xlsx
from evaluation.synth.faults import choose, log_exact_duplicates, log_rows, log_tagged
from evaluation.synth.forms import FormLayout
from evaluation.synth.output import Output
from evaluation.synth.people import (
    TRAINING_COMMENTS,
    PersonalValues,
    emails,
    full_names,
    international,
    mobile_numbers,
    naming_sentence,
    pick,
)
from evaluation.synth.places import UNIT_SHARE
from evaluation.synth.streams import (
    admin_factor,
    device_ids,
    scaled_count,
    stream,
    uuid4_strings,
)
from evaluation.synth.submissions import Submissions, kobo_export

ATTENDANCE_FILE = "training_attendance.xlsx"
ATTENDANCE_DESCRIPTION = (
    "Attendance register of the trainings as downloaded from KoboToolbox (XLSX, typed "
    "cells): participant names, phones, e-mails and signatures are in their fields."
)
TEST_FILE = "training_knowledge_test.xlsx"
TEST_DESCRIPTION = (
    "Pre- and post-tests of the trainings (same 12 items), reaction items after the "
    "course, as downloaded from KoboToolbox (XLSX, typed cells)."
)
COURSES = ("dv_referral", "child_protection", "drug_prevention", "youth_crime", "data_use")
INSTITUTION_MIX = {
    "police": 0.20, "social_services": 0.12, "njmf": 0.08, "school": 0.22,
    "education_office": 0.04, "health": 0.10, "prosecution": 0.04, "court": 0.03,
    "municipality": 0.08, "cso": 0.07, "religious": 0.01, "other": 0.01,
}  # fmt: skip
VENUE_BY_COURSE = {
    "dv_referral": "municipality_hall", "child_protection": "youth_centre",
    "drug_prevention": "school", "youth_crime": "police_directorate",
    "data_use": "municipality_hall",
}  # fmt: skip
KEY = (
    "true",
    "false",
    "true",
    "false",
    "true",
    "false",
    "false",
    "true",
    "false",
    "true",
    "true",
    "false",
)
DIFFICULTY = np.array([0.2, 1.1, -0.3, 0.4, 0.6, 0.8, 0.9, -0.2, 0.1, 0.7, 0.5, -0.4])
GAIN_MEAN = 1.1
POST_TEST_MISSING = 0.06
FIRST_DAY = clock.day_number(2022, 4, 4)
LAST_DAY = clock.day_number(2023, 10, 27)


@dataclass
class Trainings:
    """Sessions and participant-session attendance of every training (array columns)."""

    sessions: pd.DataFrame  # training, session, day, hours, course, venue, facilitator
    people: pd.DataFrame  # code, name, phone, email, sex, age_band, disability, institution,...
    attendance: pd.DataFrame  # person, training, session, hours_attended


def simulate_trainings(seed: int, scale: float) -> Trainings:
    """Draw the trainings, their participants and who attended which session."""
    rng = stream(seed, "training.world")
    f = admin_factor(scale)
    n_tr = scaled_count(20, f, 2)
    starts = clock.friday_if_weekend(np.sort(rng.integers(FIRST_DAY, LAST_DAY, n_tr)))
    n_sessions = rng.choice([2, 3, 4], size=n_tr, p=[0.3, 0.45, 0.25])
    course = np.array(COURSES, dtype=object)[(np.arange(n_tr) + rng.integers(0, 5)) % 5]
    hours = rng.choice([3.0, 3.5, 4.0, 6.0], size=n_tr, p=[0.3, 0.2, 0.35, 0.15])
    trainers = full_names(rng, rng.random(max(3, round(6 * f))) < 0.6)
    facilitator = trainers[rng.integers(0, len(trainers), n_tr)]

    rows = []
    for t in range(n_tr):
        day = int(starts[t])
        for s in range(1, n_sessions[t] + 1):
            rows.append(
                (t, s, day, hours[t], course[t], VENUE_BY_COURSE[course[t]], facilitator[t])
            )
            day += 1 if clock.weekday(day) < 4 else 3  # next weekday
    sessions = pd.DataFrame(
        rows, columns=["training", "session", "day", "hours", "course", "venue", "facilitator"]
    )

    size = np.maximum(8, rng.poisson(15, n_tr))
    people = _people(rng, int(size.sum()))
    person_training = np.repeat(np.arange(n_tr), size)
    person = np.arange(len(people))
    # 8% of people in later trainings are returning participants from an earlier one
    returning = (rng.random(len(person)) < 0.08) & (person_training > 0)
    earlier = rng.integers(0, np.maximum(1, np.searchsorted(person_training, person_training)))
    person = np.where(returning, earlier, person)
    people["first_training"] = -1
    enrolled = pd.DataFrame({"person": person, "training": person_training})
    enrolled = enrolled.drop_duplicates().reset_index(drop=True)
    first = enrolled.groupby("person")["training"].min()
    people.loc[first.index, "first_training"] = first.to_numpy()
    attendance = _attendance(rng, enrolled, sessions)
    return Trainings(sessions, people, attendance)


def _people(rng: np.random.Generator, n: int) -> pd.DataFrame:
    female = rng.random(n) < 0.58
    names = full_names(rng, female)
    phones = mobile_numbers(rng, n)
    written = np.where(rng.random(n) < 0.2, international(phones), phones)
    mail = np.where(rng.random(n) < 0.6, emails(rng, names), "")
    codes = np.char.add(
        "P",
        np.char.zfill(rng.choice(np.arange(100, 100_000), size=n, replace=False).astype(str), 5),
    ).astype(object)
    institutions = list(INSTITUTION_MIX)
    units = list(UNIT_SHARE)
    unit_p = np.array(list(UNIT_SHARE.values()))
    people = pd.DataFrame(
        {
            "code": codes,
            "name": names,
            "phone": written,
            "email": mail,
            "sex": np.where(female, "female", "male"),
            "age_band": rng.choice(["under_30", "30_49", "50_plus"], size=n, p=[0.3, 0.5, 0.2]),
            "disability": np.where(rng.random(n) < 0.03, "yes", "no"),
            "institution": rng.choice(institutions, size=n, p=list(INSTITUTION_MIX.values())),
            "admin_unit": rng.choice(units, size=n, p=unit_p / unit_p.sum()),
            "theta": rng.normal(0.0, 1.0, n),
            "role": "",
        }
    )
    role_by_inst = {
        "school": "teacher",
        "police": "frontline",
        "social_services": "frontline",
        "njmf": "frontline",
        "health": "frontline",
        "cso": "volunteer",
        "prosecution": "specialist",
        "court": "specialist",
    }
    role = people["institution"].map(role_by_inst).fillna("specialist").to_numpy(dtype=object)
    managers = rng.random(n) < 0.15
    people["role"] = np.where(managers, "manager", role)
    return people


def _attendance(
    rng: np.random.Generator, enrolled: pd.DataFrame, sessions: pd.DataFrame
) -> pd.DataFrame:
    pairs = enrolled.merge(sessions[["training", "session", "hours"]], on="training")
    n = len(pairs)
    last = pairs.groupby("training")["session"].transform("max")
    # most come to the last session, where certificates are handed out
    p_attend = np.where(pairs["session"] == 1, 0.96, np.where(pairs["session"] == last, 0.95, 0.88))
    came = rng.random(n) < p_attend
    partial = rng.random(n) < 0.10
    short = np.clip(pairs["hours"] - rng.choice([0.5, 1.0, 1.5], size=n), 0.5, None)
    pairs["hours_attended"] = np.where(partial, short, pairs["hours"])
    return pairs[came].reset_index(drop=True)


# --------------------------------------------------------------------------- attendance file
def write_attendance(output: Output, layout: FormLayout, world: Trainings) -> FileRecord:
    """``training_attendance.xlsx``: KoboToolbox XLSX, one row per participant per session."""
    rng = stream(output.seed, "training.attendance")
    answers, end, session_hours = _attendance_answers(rng, world)
    n = len(end)
    submitted = end + rng.integers(60_000, 8 * clock.HOUR, n)
    subs = Submissions.start(
        answers, uuid=uuid4_strings(stream(output.seed, "ids.attendance"), n), submitted=submitted
    )
    rates = {"out_of_range": 0.005, "duplicate_id_different_content": 0.01, "exact_duplicate": 0.01}
    faults = stream(output.seed, "faults.attendance")
    eligible = np.ones(n, dtype=bool)
    over = choose(faults, eligible, rates["out_of_range"])
    eligible[over] = False
    too_long = session_hours[over] + faults.choice([0.5, 1.0, 2.0], size=len(over))
    subs.set(over, "hours_attended", _hours_text(too_long))
    subs.tag(over, "out_of_range")
    twice = choose(faults, eligible, rates["duplicate_id_different_content"])
    eligible[twice] = False
    other_hours = np.maximum(0.5, session_hours[twice] - 1.0)
    subs.copy_rows(
        twice,
        "duplicate_id_different_content",
        answers={"hours_attended": _hours_text(other_hours)},
        info={
            "uuid": uuid4_strings(faults, len(twice)),
            "submitted": subs.info["submitted"][twice] + clock.DAY,
        },
    )
    exact = choose(faults, eligible, rates["exact_duplicate"])
    subs.copy_rows(exact, "exact_duplicate")
    return _write_attendance(output, layout, subs, rates)


def _attendance_answers(
    rng: np.random.Generator, world: Trainings
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """The register's answers (text), the forms' end times and each row's session hours."""
    att = world.attendance.merge(world.sessions, on=["training", "session", "hours"])
    people = world.people.iloc[att["person"].to_numpy()].reset_index(drop=True)
    n = len(att)
    day = att["day"].to_numpy()
    start = clock.at_local_time(day, 9 * clock.HOUR) + rng.integers(0, 40 * clock.MINUTE, n)
    end = start + rng.integers(20_000, 90_000, n)
    trainer_accounts = np.array(["trajner_1", "trajner_2", "trajner_3"], dtype=object)
    devices = device_ids(rng, 3)
    who = att["training"].to_numpy() % 3
    training_ids = _training_ids(att["training"].to_numpy())
    first_time = att["training"].to_numpy() == people["first_training"].to_numpy()
    signed = (end - rng.integers(1000, 9000, n)).astype(str)
    answers = {
        **clock.form_times(start, end),
        "deviceid": devices[who],
        "username": trainer_accounts[who],
        "training_id": training_ids,
        "course": att["course"].to_numpy(dtype=object),
        "session_id": training_ids + "-S" + att["session"].astype(str).to_numpy(dtype=object),
        "session_date": clock.iso_dates(day),
        "venue": att["venue"].to_numpy(dtype=object),
        "facilitator": att["facilitator"].to_numpy(dtype=object),
        "session_hours": _hours_text(att["hours"].to_numpy()),
        "hours_attended": _hours_text(att["hours_attended"].to_numpy()),
        "first_time": np.where(first_time, "yes", "no").astype(object),
        "signature": np.char.add(signed, ".png").astype(object),
        "photo_consent": np.where(rng.random(n) < 0.85, "yes", "no").astype(object),
    }
    for name, column in (
        ("participant_code", "code"),
        ("participant_name", "name"),
        ("phone", "phone"),
        ("email", "email"),
        ("sex", "sex"),
        ("age_band", "age_band"),
        ("disability", "disability"),
        ("institution", "institution"),
        ("admin_unit", "admin_unit"),
    ):
        answers[name] = people[column].to_numpy(dtype=object)
    return answers, end, att["hours"].to_numpy()


def _write_attendance(
    output: Output, layout: FormLayout, subs: Submissions, rates: dict[str, float]
) -> FileRecord:
    """Order the rows as Kobo exports them, write the XLSX and log its faults."""
    meta = kobo_export(
        subs, output.seed, "attendance", submitted_by="trajnime_kvsp", first_id=181_000_000
    )
    path = output.folder / ATTENDANCE_FILE
    written = write_kobo_xlsx(path, layout, subs.answers, meta, exported_at=output.exported_at)
    for kind, column in (
        ("person_name", "participant_name"),
        ("person_name", "facilitator"),
        ("phone", "phone"),
        ("email", "email"),
        ("participant_code", "participant_code"),
    ):
        output.personal.add(kind, subs.answers[column])
    log = output.log
    log_tagged(
        log,
        ATTENDANCE_FILE,
        subs,
        "out_of_range",
        rate=rates["out_of_range"],
        column="participant/hours_attended",
        constraint=". > 0 and . <= ${session_hours}",
        values_of="hours_attended",
    )
    log_tagged(
        log,
        ATTENDANCE_FILE,
        subs,
        "duplicate_id_different_content",
        rate=rates["duplicate_id_different_content"],
        id_column="participant/participant_code + session/session_id",
        changed_columns=["participant/hours_attended"],
    )
    cells = {
        f"{group}/{name}": int((subs.answers[name] != "").sum())
        for group, name in (("session", "facilitator"), ("participant", "participant_name"),
                            ("participant", "phone"), ("participant", "email"),
                            ("participant", "signature"))
    }  # fmt: skip
    log.add(
        ATTENDANCE_FILE,
        "personal_data_in_marked_fields",
        count=sum(cells.values()),
        rate=None,
        columns=cells,
    )
    log_exact_duplicates(log, ATTENDANCE_FILE, subs, rate=rates["exact_duplicate"])
    return FileRecord.of(
        ATTENDANCE_FILE, layout, written, "kobo_xlsx", "utf-8 (xlsx)", ATTENDANCE_DESCRIPTION
    )


def _training_ids(training: np.ndarray) -> np.ndarray:
    return np.char.add("TR", np.char.zfill((training + 1).astype(str), 3)).astype(object)


def _decimal_text(x: float) -> str:
    return f"{x:g}"


_hours_text = np.vectorize(_decimal_text, otypes=[object])


# --------------------------------------------------------------------------- knowledge tests
def write_tests(output: Output, layout: FormLayout, world: Trainings) -> FileRecord:
    """``training_knowledge_test.xlsx``: pre-tests at the first session, post at the last."""
    rng = stream(output.seed, "training.tests")
    a, end, planted = _test_answers(rng, world, output.personal)
    n = len(end)
    submitted = end + rng.integers(2_000, 60_000, n)
    subs = Submissions.start(
        a, uuid=uuid4_strings(stream(output.seed, "ids.tests"), n), submitted=submitted
    )
    eligible = np.ones(n, dtype=bool)
    eligible[planted] = False
    exact = choose(stream(output.seed, "faults.tests"), eligible, 0.01)
    subs.copy_rows(exact, "exact_duplicate")
    return _write_tests(output, layout, subs, planted)


def _test_answers(
    rng: np.random.Generator, world: Trainings, personal: PersonalValues
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Every test's answers (text), the forms' end times, and rows with names in r_improve."""
    att = world.attendance.merge(world.sessions, on=["training", "session", "hours"])
    last = world.sessions.groupby("training")["session"].max()
    pre = att[att["session"] == 1].assign(post=0)
    post = att[att["session"].to_numpy() == last.loc[att["training"]].to_numpy()]
    post = post[rng.random(len(post)) >= POST_TEST_MISSING].assign(post=1)
    tests = pd.concat([pre, post], ignore_index=True)
    people = world.people.iloc[tests["person"].to_numpy()].reset_index(drop=True)
    n = len(tests)
    is_post = tests["post"].to_numpy() == 1
    gain = rng.normal(GAIN_MEAN, 0.3, tests["training"].max() + 1)[tests["training"]]
    logit = people["theta"].to_numpy()[:, None] + (gain * is_post)[:, None] - DIFFICULTY[None, :]
    correct = rng.random((n, 12)) < 1 / (1 + np.exp(-logit))
    unsure = rng.random((n, 12)) < np.where(is_post, 0.35, 0.5)[:, None]
    key = np.array(KEY, dtype=object)
    wrong = np.where(key == "true", "false", "true")
    answer = np.where(correct, key, np.where(unsure, "dont_know", wrong))

    day = tests["day"].to_numpy()
    at = np.where(
        is_post,
        9 * clock.HOUR
        + (tests["hours"].to_numpy() * clock.HOUR).astype(np.int64)
        - 25 * clock.MINUTE,
        9 * clock.HOUR + 10 * clock.MINUTE,
    )
    start = clock.at_local_time(day, at) + rng.integers(0, 6 * clock.MINUTE, n)
    end = start + rng.integers(6 * clock.MINUTE, 20 * clock.MINUTE, n)
    a: dict[str, np.ndarray] = {
        **clock.form_times(start, end),
        "deviceid": device_ids(rng, n, "ee.kobotoolbox.org"),
        "test_type": np.where(is_post, "post", "pre").astype(object),
        "training_id": _training_ids(tests["training"].to_numpy()),
        "course": tests["course"].to_numpy(dtype=object),
        "participant_code": people["code"].to_numpy(dtype=object),
        "institution": people["institution"].to_numpy(dtype=object),
        "role": people["role"].to_numpy(dtype=object),
        "sex": people["sex"].to_numpy(dtype=object),
        "age_band": people["age_band"].to_numpy(dtype=object),
    }
    ok = answer == key
    for j in range(12):
        a[f"k{j + 1:02d}"] = answer[:, j].astype(object)
    for j in range(12):
        a[f"k{j + 1:02d}_ok"] = ok[:, j].astype(int).astype(str).astype(object)
    score = ok.sum(axis=1)
    a["score"] = score.astype(str).astype(object)
    a["score_pct"] = np.round(score * 100 / 12).astype(int).astype(str).astype(object)
    for name, cuts in (
        ("r_relevant", (-2.2, -1.6, -0.7, 0.3)),
        ("r_new", (-2.0, -1.3, -0.5, 0.5)),
        ("r_apply", (-2.0, -1.4, -0.5, 0.4)),
        ("r_trainer", (-2.4, -1.8, -0.9, 0.1)),
        ("r_organisation", (-2.1, -1.4, -0.6, 0.4)),
    ):
        codes = np.searchsorted(cuts, rng.standard_normal(n)) + 1
        a[name] = np.where(is_post, codes.astype(str), "").astype(object)
    comment = is_post & (rng.random(n) < 0.35)
    a["r_improve"] = np.where(comment, pick(rng, TRAINING_COMMENTS, n), "").astype(object)
    planted = choose(rng, is_post, 0.02)
    for i in planted:
        a["r_improve"][i] = naming_sentence(
            rng,
            rng.random() < 0.5,
            "Trajneri/ja {name} ishte shumë i/e mirë, më telefononi në {phone}.",
            "Faleminderit {name} për shpjegimet e qarta!",
            personal,
        )
    return a, end, planted


def _write_tests(
    output: Output, layout: FormLayout, subs: Submissions, planted: np.ndarray
) -> FileRecord:
    """Order the rows as Kobo exports them, write the XLSX and log its faults."""
    meta = kobo_export(subs, output.seed, "tests", submitted_by="", first_id=182_000_000)
    path = output.folder / TEST_FILE
    written = write_kobo_xlsx(path, layout, subs.answers, meta, exported_at=output.exported_at)
    output.personal.add("participant_code", subs.answers["participant_code"])
    log_exact_duplicates(output.log, TEST_FILE, subs, rate=0.01)
    log_rows(
        output.log,
        TEST_FILE,
        subs,
        "personal_data_in_free_text",
        subs.first_rows(planted),
        rate=0.02,
        column="reaction/r_improve",
        values_of="r_improve",
    )
    return FileRecord.of(TEST_FILE, layout, written, "kobo_xlsx", "utf-8 (xlsx)", TEST_DESCRIPTION)
