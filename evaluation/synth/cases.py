"""Domestic-violence cases of the Coordinated Referral Mechanism, January 2022 to December 2023.

About 180 cases a year (times √scale) arrive as a Poisson process whose monthly rate peaks
in July (±30%). Dates follow the case steps, reported ≤ registered ≤ first response ≤
technical-group review ≤ individual plan. Recent cases have not reached the later steps by
the export date, and some older ones never did. Protection orders are requested more often
for high-risk cases. The immediate order (UMM) is decided within 48 hours and the
protection order (UM) within weeks.

Planted faults: a case entered twice with different answers (2%); a registration date
before the report date, which breaks the form's constraint (1%); names or phone numbers in
the notes (2%). Each has at least one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.synth import clock
from evaluation.synth.draws import by_condition, multi, weighted
from evaluation.synth.exports import FileRecord, write_central_csv
from evaluation.synth.faults import FaultLog, choose, log_rows, log_tagged
from evaluation.synth.forms import FormLayout
from evaluation.synth.output import Output
from evaluation.synth.people import (
    DV_NOTES,
    PersonalValues,
    full_names,
    mobile_numbers,
    pick,
    spoken,
)
from evaluation.synth.places import UNIT_SHARE
from evaluation.synth.streams import admin_factor, device_ids, stream, uuid4_strings
from evaluation.synth.submissions import Submissions

FILE = "dv_referral_case.csv"
DESCRIPTION = (
    "Domestic-violence referral case log, January 2022 to December 2023, as downloaded "
    "from ODK Central (CSV, ',' separated, group paths joined with '-')."
)
PER_YEAR = 180
SERVICES = (
    "shelter",
    "psychosocial",
    "legal",
    "health",
    "economic_aid",
    "employment",
    "housing",
    "child_protection",
)
SERVICE_P = np.array([0.12, 0.65, 0.40, 0.25, 0.30, 0.10, 0.05, 0.20])
VIOLENCE = ("physical", "psychological", "sexual", "economic")
VIOLENCE_P = np.array([0.70, 0.85, 0.06, 0.25])
STATUSES = ("closed_safe", "closed_moved", "lost", "open")


def _dates(days: np.ndarray, keep: np.ndarray) -> np.ndarray:
    return np.where(keep, clock.iso_dates(days), "").astype(object)


def write_cases(output: Output, layout: FormLayout, scale: float) -> FileRecord:
    """``dv_referral_case.csv``: the case log as downloaded from ODK Central."""
    rng = stream(output.seed, "dv.cases")
    exported_at = output.exported_at
    export_day = clock.day_number(exported_at.year, exported_at.month, exported_at.day)
    answers, end = _answers(rng, scale, export_day)
    n = len(end)
    submitted = end + rng.integers(30_000, 3 * clock.HOUR, n)
    ids = ("uuid:" + uuid4_strings(stream(output.seed, "ids.dv"), n)).astype(object)
    subs = Submissions.start(
        answers,
        uuid=ids,
        submitted=submitted,
        device=answers["deviceid"],
        edits=rng.choice([0, 1, 2, 3], size=n, p=[0.3, 0.35, 0.25, 0.1]),
        review=weighted(rng, {"": 0.67, "approved": 0.3, "hasIssues": 0.03}, n),
    )
    _plant(rng, subs, output.personal, output.seed)
    subs.sort_by("submitted", "copy")
    written = write_central_csv(
        output.folder / FILE,
        layout,
        subs.answers,
        clock.utc_iso_ms_z(subs.info["submitted"]),
        subs.info["uuid"],
        _trailer(subs, layout.version),
    )
    _log(output.log, subs)
    output.personal.add("dv_case_id", subs.answers["case_id"])
    return FileRecord.of(FILE, layout, written, "odk_central_csv", "utf-8", DESCRIPTION)


def _trailer(subs: Submissions, version: str) -> dict[str, np.ndarray]:
    """ODK Central's columns after the form fields, for rows in export order."""
    n = len(subs)

    def constant(value: str) -> np.ndarray:
        return np.full(n, value, dtype=object)

    return {
        "KEY": subs.info["uuid"],
        "SubmitterID": constant("412"),
        "SubmitterName": constant("lcdv_elbasan"),
        "AttachmentsPresent": constant("0"),
        "AttachmentsExpected": constant("0"),
        "Status": constant(""),
        "ReviewState": subs.info["review"],
        "DeviceID": subs.info["device"],
        "Edits": subs.info["edits"].astype(str).astype(object),
        "FormVersion": constant(version),
    }


def _answers(
    rng: np.random.Generator, scale: float, export_day: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Every case's answers (text) and the end time of its form (UTC ms)."""
    months = [(y, m) for y in (2022, 2023) for m in range(1, 13)]
    rate = PER_YEAR / 12 * admin_factor(scale)
    counts = rng.poisson([rate * (1 + 0.3 * np.cos(2 * np.pi * (m - 7) / 12)) for _, m in months])
    reported = np.concatenate(
        [
            clock.day_number(y, m, 1) + rng.integers(0, 28, c)
            for (y, m), c in zip(months, counts, strict=True)
        ]
    )
    reported = np.sort(reported)
    n = len(reported)
    registered = reported + rng.choice([0, 1, 2, 3, 5], size=n, p=[0.35, 0.3, 0.15, 0.12, 0.08])
    first = registered + rng.choice([0, 1, 2, 3], size=n, p=[0.5, 0.3, 0.15, 0.05])
    review = first + np.minimum(rng.geometric(0.3, n) - 1, 20)
    plan = review + rng.integers(0, 11, n)
    age = export_day - registered
    has_review = (rng.random(n) > np.where(age < 30, 0.5, 0.12)) & (review <= export_day)
    has_plan = has_review & (rng.random(n) > 0.08) & (plan <= export_day)
    risk = weighted(rng, {"low": 0.35, "medium": 0.45, "high": 0.20}, n)
    high = risk == "high"

    a: dict[str, np.ndarray] = {}
    a["case_id"] = _case_ids(registered)
    a["date_reported"] = clock.iso_dates(reported)
    a["date_registered"] = clock.iso_dates(registered)
    a["referral_source"] = weighted(
        rng,
        {
            "police": 0.55,
            "self": 0.12,
            "health": 0.10,
            "social_services": 0.08,
            "cso": 0.06,
            "school": 0.05,
            "other": 0.04,
        },
        n,
    )
    a["admin_unit"] = weighted(rng, UNIT_SHARE, n)
    a["victim_sex"] = np.where(rng.random(n) < 0.88, "female", "male").astype(object)
    a["victim_age_band"] = weighted(
        rng,
        {"0_17": 0.08, "18_24": 0.15, "25_34": 0.27, "35_49": 0.30, "50_64": 0.14, "65_plus": 0.06},
        n,
    )
    a["victim_disability"] = weighted(rng, {"yes": 0.06, "no": 0.88, "dont_know": 0.06}, n)
    a["relationship"] = weighted(
        rng,
        {
            "spouse": 0.45,
            "former_spouse": 0.08,
            "partner": 0.10,
            "former_partner": 0.07,
            "parent": 0.08,
            "child": 0.10,
            "sibling": 0.06,
            "other_family": 0.06,
        },
        n,
    )
    a["children_affected"] = np.minimum(rng.poisson(1.1, n), 8).astype(str).astype(object)
    a["violence_type"] = multi(rng, VIOLENCE, VIOLENCE_P, n, at_least_one=True)
    a["risk_level"] = risk
    a["date_first_response"] = clock.iso_dates(first)
    a["date_tg_review"] = _dates(review, has_review)
    a["date_plan"] = _dates(plan, has_plan)
    p_services = np.clip(SERVICE_P[None, :] * np.where(high, 1.4, 1.0)[:, None], 0, 0.95)
    a["services"] = multi(rng, SERVICES, p_services, n, at_least_one=False, none="none")
    a.update(_orders(rng, reported, registered, high, export_day))
    status, closed = _status(rng, registered, export_day)
    a["date_last_followup"] = clock.iso_dates(
        registered + (rng.random(n) * np.minimum(age, 200)).astype(int)
    )
    a["case_status"] = status
    a["date_closed"] = _dates(closed, closed >= 0)
    a["notes"] = np.where(rng.random(n) < 0.5, pick(rng, DV_NOTES, n), "").astype(object)
    a["days_to_review"] = np.where(has_review, (review - reported).astype(str), "").astype(object)
    services = a["services"]
    a["n_services"] = (
        np.array([0 if s == "none" else len(s.split()) for s in services])
        .astype(str)
        .astype(object)
    )

    start = clock.at_local_time(registered, 9 * clock.HOUR) + rng.integers(0, 7 * clock.HOUR, n)
    end = start + rng.integers(5, 25, n) * clock.MINUTE
    device = device_ids(rng, 2)[rng.integers(0, 2, n)]
    a = {
        **clock.form_times(start, end),
        "deviceid": device,
        "username": np.full(n, "lcdv_elbasan", dtype=object),
        **a,
    }
    return a, end


def _case_ids(registered: np.ndarray) -> np.ndarray:
    year = registered.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    order = np.lexsort((registered, year))
    seq = np.empty(len(registered), dtype=int)
    for y in np.unique(year):
        idx = order[year[order] == y]
        seq[idx] = np.arange(1, len(idx) + 1)
    return np.array([f"DV-{y}-{s:04d}" for y, s in zip(year, seq, strict=True)], dtype=object)


def _orders(
    rng: np.random.Generator,
    reported: np.ndarray,
    registered: np.ndarray,
    high: np.ndarray,
    export_day: int,
) -> dict[str, np.ndarray]:
    n = len(reported)
    out: dict[str, np.ndarray] = {}
    ppo = rng.random(n) < 0.2 + 0.3 * high
    out["ppo_issued"] = np.where(ppo, "yes", "no").astype(object)
    out["ppo_date"] = _dates(reported + rng.integers(0, 2, n), ppo)
    for key, p_req, lag, decide, p_yes in (
        ("umm", 0.35, (0, 4), (0, 3), 0.78),
        ("um", 0.30, (3, 21), (10, 31), 0.70),
    ):
        requested = rng.random(n) < p_req + 0.25 * high
        asked = registered + rng.integers(*lag, n)
        decided = asked + rng.integers(*decide, n)
        outcome = np.where(rng.random(n) < p_yes, "yes", "no")
        outcome = np.where(decided > export_day, "pending", outcome)
        out[f"{key}_requested"] = np.where(requested, "yes", "no").astype(object)
        out[f"{key}_requested_date"] = _dates(asked, requested)
        out[f"{key}_issued"] = np.where(requested, outcome, "").astype(object)
        out[f"{key}_issued_date"] = _dates(decided, requested & (outcome == "yes"))
    return out


def _status(
    rng: np.random.Generator, registered: np.ndarray, export_day: int
) -> tuple[np.ndarray, np.ndarray]:
    n = len(registered)
    old = export_day - registered > 180
    status = by_condition(rng, old, STATUSES, [0.6, 0.1, 0.1, 0.2], [0.2, 0.05, 0.05, 0.7])
    closed = registered + rng.integers(30, 300, n)
    is_closed = np.isin(status, ["closed_safe", "closed_moved"]) & (closed <= export_day)
    status = np.where(np.isin(status, ["closed_safe", "closed_moved"]) & ~is_closed, "open", status)
    return status.astype(object), np.where(is_closed, closed, -1)


def _plant(
    rng: np.random.Generator, subs: Submissions, personal: PersonalValues, seed: int
) -> None:
    n = len(subs)
    notes = subs.answers["notes"].copy()
    named = choose(rng, np.ones(n, dtype=bool), 0.02)
    for i in named:
        # the phone is drawn before the coin toss, unlike people.naming_sentence; kept so
        # that a seed still gives the same world
        name = full_names(rng, np.array([True]))[0]
        phone = spoken(mobile_numbers(rng, 1)[0])
        if rng.random() < 0.5:
            notes[i] = f"Viktima {name} kërkoi ndihmë juridike. Kontakt: {phone}."
            personal.add("phone", [phone])
        else:
            notes[i] = f"Rasti u referua nga motra e viktimës, {name}."
        personal.add("person_name", [name])
    subs.answers["notes"] = notes
    subs.info["planted"] = np.isin(np.arange(n), named)
    eligible = ~subs.info["planted"]
    early = choose(rng, eligible, 0.01)
    eligible[early] = False
    reported = pd.to_datetime(subs.answers["date_reported"][early])
    shifted = reported - pd.to_timedelta(rng.integers(1, 31, len(early)), unit="D")
    subs.set(early, "date_registered", shifted.strftime("%Y-%m-%d").to_numpy(dtype=object))
    subs.tag(early, "out_of_range")
    twice = choose(rng, eligible, 0.02)
    risk = subs.answers["risk_level"][twice]
    other = np.where(risk == "high", "medium", "high")
    subs.copy_rows(
        twice,
        "duplicate_id_different_content",
        answers={"risk_level": other},
        info={
            "uuid": ("uuid:" + uuid4_strings(stream(seed, "ids.dv.twice"), len(twice))).astype(
                object
            ),
            "submitted": subs.info["submitted"][twice]
            + rng.integers(1, 72, len(twice)) * clock.HOUR,
            "edits": np.zeros(len(twice), dtype=int),
        },
    )


def _log(log: FaultLog, subs: Submissions) -> None:
    log_tagged(
        log,
        FILE,
        subs,
        "out_of_range",
        rate=0.01,
        column="case-date_registered",
        constraint=". >= ${date_reported} and . <= today()",
        values_of="date_registered",
    )
    log_tagged(
        log,
        FILE,
        subs,
        "duplicate_id_different_content",
        rate=0.02,
        id_column="case-case_id",
        changed_columns=["violence-risk_level"],
    )
    log_rows(
        log,
        FILE,
        subs,
        "personal_data_in_free_text",
        np.flatnonzero(subs.info["planted"] & (subs.info["copy"] == 0)),
        rate=0.02,
        column="status-notes",
        values_of="notes",
    )
