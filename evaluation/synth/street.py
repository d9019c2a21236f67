"""Outreach contacts with children in street situations, January 2022 to December 2023.

Outreach workers walk fixed-time rounds twice a week over the city's hotspots, and log ad hoc
contacts anywhere in the municipality. The Child Protection Unit (NJMF) knows about 37
children (times √scale). They are seen again and again, mostly at their usual hotspot; other
children are new faces. There are more contacts in summer and outside school hours.

The file is KoboToolbox's CSV re-saved on a municipal Windows PC, so it is encoded in
Windows-1250 (cp1250). Other planted faults: exact duplicates (1%) and children's names or
relatives' phone numbers in the notes (2%), at least one each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.synth import clock
from evaluation.synth.draws import by_condition, multi_text
from evaluation.synth.exports import FileRecord, write_kobo_csv
from evaluation.synth.faults import choose, log_exact_duplicates, log_rows
from evaluation.synth.forms import FormLayout
from evaluation.synth.output import Output
from evaluation.synth.people import STREET_NOTES, PersonalValues, naming_sentence, pick
from evaluation.synth.places import CITY_HOTSPOTS, HOTSPOT_COORDS, RURAL_HOTSPOTS, UNITS
from evaluation.synth.streams import (
    admin_factor,
    device_ids,
    scaled_count,
    stream,
    uuid4_strings,
)
from evaluation.synth.submissions import Submissions, kobo_export

FILE = "street_situation_contact.csv"
DESCRIPTION = (
    "Outreach contacts with children in street situations, January 2022 to December "
    "2023: KoboToolbox CSV re-saved by a municipal PC in Windows-1250."
)
ENCODING = "cp1250"
AGE_BANDS = ("0_5", "6_9", "10_13", "14_17")
ACTIVITIES = ("begging", "selling", "windscreens", "waste", "accompanying", "other")
RISKS = ("injury", "malnourished", "substance", "exploitation", "night")
ACTIONS = ("outreach", "referred_njmf", "police", "none")


def _contacts(rng: np.random.Generator, f: float) -> pd.DataFrame:
    """One row per contact: day, local minute, hotspot, unit, round type, child (or -1)."""
    first, last = clock.day_number(2022, 1, 3), clock.day_number(2023, 12, 29)
    days = np.arange(first, last + 1)
    summer = np.isin(clock.month_of(days), (6, 7, 8))
    rounds = days[np.isin(clock.weekday(days), (1, 4))]  # Tuesday and Friday
    rounds = np.repeat(rounds, max(1, round(f)))
    rows = []
    for day in rounds:
        minute = 10 * 60 if clock.weekday(day) == 1 else 17 * 60
        spots = rng.choice(CITY_HOTSPOTS, size=3, replace=False)
        boost = 1.3 if summer[day - first] else 1.0
        for spot in spots:
            for _ in range(rng.poisson(0.75 * boost)):
                rows.append((day, minute + rng.integers(0, 90), spot, "elbasan", "fixed"))
    ad_hoc = rng.poisson(4 * f * 24)
    ad_day = rng.integers(first, last + 1, ad_hoc)
    for day in ad_day:
        if rng.random() < 0.7:
            spot = rng.choice(CITY_HOTSPOTS)
            unit = "elbasan"
        elif rng.random() < 0.7:
            spot, unit = list(RURAL_HOTSPOTS.items())[rng.integers(0, len(RURAL_HOTSPOTS))]
        else:
            unit = UNITS[rng.integers(1, len(UNITS))]
            spot = f"other_{unit}"
        rows.append((day, rng.integers(8 * 60, 20 * 60), spot, unit, "ad_hoc"))
    out = pd.DataFrame(rows, columns=["day", "minute", "hotspot", "admin_unit", "round_type"])
    return out.sort_values(["day", "minute"], kind="stable").reset_index(drop=True)


def write_contacts(output: Output, layout: FormLayout, scale: float) -> FileRecord:
    """``street_situation_contact.csv``: Kobo CSV in Windows-1250 with the planted faults."""
    rng = stream(output.seed, "street")
    answers, end = _answers(rng, _contacts(rng, admin_factor(scale)), admin_factor(scale))
    n = len(end)
    named = _plant_names(rng, answers, output.personal)
    submitted = end + rng.integers(30_000, 6 * clock.HOUR, n)
    subs = Submissions.start(
        answers, uuid=uuid4_strings(stream(output.seed, "ids.street"), n), submitted=submitted
    )
    eligible = ~np.isin(np.arange(n), named)
    exact = choose(stream(output.seed, "faults.street"), eligible, 0.01)
    subs.copy_rows(exact, "exact_duplicate")
    return _write(output, layout, subs, named)


def _answers(
    rng: np.random.Generator, contacts: pd.DataFrame, f: float
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Every answer of every contact (text), and the contacts' end times (UTC ms)."""
    n = len(contacts)
    k = scaled_count(37, f, 5)
    opened = rng.integers(2019, 2024, k)
    known_ids = np.array([f"NJMF-{y}-{i + 1:04d}" for i, y in enumerate(opened)], dtype=object)
    known_sex = np.where(rng.random(k) < 0.6, "male", "female")
    known_age = rng.choice(4, size=k, p=[0.1, 0.35, 0.4, 0.15])
    home = np.array(CITY_HOTSPOTS, dtype=object)[rng.integers(0, len(CITY_HOTSPOTS), k)]
    spot = contacts["hotspot"].to_numpy(dtype=object)
    is_known = rng.random(n) < 0.55
    regular = np.array([np.flatnonzero(home == s) for s in CITY_HOTSPOTS], dtype=object)
    child = np.full(n, -1)
    for i in np.flatnonzero(is_known):
        pool = regular[CITY_HOTSPOTS.index(spot[i])] if spot[i] in CITY_HOTSPOTS else []
        child[i] = rng.choice(pool) if len(pool) and rng.random() < 0.8 else rng.integers(0, k)
    known = child >= 0

    day = contacts["day"].to_numpy()
    local_min = contacts["minute"].to_numpy()
    obs = clock.at_local_time(day, local_min * clock.MINUTE)
    start = obs + rng.integers(0, 5, n) * clock.MINUTE
    end = start + rng.integers(2, 9, n) * clock.MINUTE
    month = clock.month_of(day)
    school_time = (clock.weekday(day) < 5) & (local_min < 13 * 60 + 30) & ~np.isin(month, (7, 8))

    sex = np.where(
        known,
        known_sex[np.maximum(child, 0)],
        rng.choice(
            np.array(["female", "male", "unknown"], dtype=object), size=n, p=[0.35, 0.55, 0.10]
        ),
    )
    age = np.where(
        known, known_age[np.maximum(child, 0)], rng.choice(4, size=n, p=[0.12, 0.33, 0.38, 0.17])
    )
    activity = rng.random((n, len(ACTIVITIES))) < np.array([0.5, 0.3, 0.12, 0.08, 0.2, 0.03])
    none = ~activity.any(axis=1)
    activity[none, 0] = True
    risk = rng.random((n, len(RISKS))) < np.array([0.05, 0.1, 0.05, 0.12, 0.1])
    known_answer = np.where(
        known,
        np.where(rng.random(n) < 0.9, "yes", "dont_know"),
        np.where(rng.random(n) < 0.8, "no", "dont_know"),
    )
    action = by_condition(rng, known, ACTIONS, [0.7, 0.15, 0.05, 0.1], [0.5, 0.35, 0.05, 0.1])
    has_gps = rng.random(n) < 0.85
    gps = np.array(
        [_gps(rng, s) if g else "" for s, g in zip(spot, has_gps, strict=True)], dtype=object
    )
    workers = np.array(
        ["punonjes_terreni_1", "punonjes_terreni_2", "punonjes_terreni_3"], dtype=object
    )
    devices = device_ids(rng, 3)
    who = rng.integers(0, 3, n)
    answers = {
        **clock.form_times(start, end),
        "deviceid": devices[who],
        "username": workers[who],
        "obs_date": clock.iso_dates(day),
        "obs_time": clock.local_time_iso(obs),
        "round_type": contacts["round_type"].to_numpy(dtype=object),
        "admin_unit": contacts["admin_unit"].to_numpy(dtype=object),
        "hotspot": spot,
        "location_gps": gps,
        "age_band": np.array(AGE_BANDS, dtype=object)[age],
        "sex": sex.astype(object),
        "activity": multi_text(activity, ACTIVITIES),
        "accompaniment": rng.choice(
            np.array(["alone", "peers", "family_adult", "other_adult", "unknown"], dtype=object),
            size=n,
            p=[0.3, 0.25, 0.3, 0.08, 0.07],
        ),
        "school_hours": np.where(school_time, "yes", "no").astype(object),
        "risk_signs": np.where(risk.any(axis=1), multi_text(risk, RISKS), "none"),
        "known_case": known_answer.astype(object),
        "njmf_case_id": np.where(known_answer == "yes", known_ids[np.maximum(child, 0)], ""),
        "action": action,
        "notes": np.where(rng.random(n) < 0.4, pick(rng, STREET_NOTES, n), "").astype(object),
    }
    return {k: np.asarray(v, dtype=object) for k, v in answers.items()}, end


def _plant_names(
    rng: np.random.Generator, answers: dict[str, np.ndarray], personal: PersonalValues
) -> np.ndarray:
    """Write a child's name, or a relative's name and phone, into 2% of the notes."""
    notes = answers["notes"].copy()
    named = choose(rng, np.ones(len(notes), dtype=bool), 0.02)
    for i in named:
        notes[i] = naming_sentence(
            rng,
            answers["sex"][i] == "female",
            "Fëmija quhet {name}, thotë se jeton te Kombinati.",
            "Nëna e fëmijës, {name}, mund të kontaktohet në {phone}.",
            personal,
        )
    answers["notes"] = notes
    return named


def _write(output: Output, layout: FormLayout, subs: Submissions, named: np.ndarray) -> FileRecord:
    """Order the rows as Kobo exports them, write the cp1250 CSV and log its faults."""
    meta = kobo_export(
        subs, output.seed, "street", submitted_by="njmf_elbasan", first_id=176_000_000
    )
    path = output.folder / FILE
    written = write_kobo_csv(path, layout, subs.answers, meta, encoding=ENCODING)

    log = output.log
    log_exact_duplicates(log, FILE, subs, rate=0.01)
    log.add(
        FILE,
        "encoding",
        count=1,
        rate=None,
        encoding=ENCODING,
        note="Albanian ë and ç are single bytes 0xEB and 0xE7; read as UTF-8 they fail.",
    )
    log_rows(
        log,
        FILE,
        subs,
        "personal_data_in_free_text",
        subs.first_rows(named),
        rate=0.02,
        column="case_link/notes",
        values_of="notes",
    )
    gps_cells = int((subs.answers["location_gps"] != "").sum())
    log.add(
        FILE,
        "personal_data_in_marked_fields",
        count=gps_cells,
        rate=None,
        columns={"observation/location_gps": gps_cells},
    )
    output.personal.add("njmf_case_id", subs.answers["njmf_case_id"])
    output.personal.add("gps", subs.answers["location_gps"])
    return FileRecord.of(FILE, layout, written, "kobo_csv", ENCODING, DESCRIPTION)


def _gps(rng: np.random.Generator, hotspot: str) -> str:
    lat, lon = HOTSPOT_COORDS.get(hotspot, (41.11235, 20.08224))
    lat += rng.normal(0, 0.0004)
    lon += rng.normal(0, 0.0004)
    return f"{lat:.6f} {lon:.6f} {rng.uniform(95, 140):.1f} {rng.uniform(3, 20):.1f}"
