"""The youth survey's raw files: the sampling frame, the baseline KoboToolbox CSV and the
survey firm's endline SPSS file, with their planted faults.

Faults and rates (of eligible rows, at least one each):

- baseline CSV: exact duplicates 1%, duplicate ``_uuid`` with different answers 0.5%, age
  out of range 0.5%, interviews shorter than 8 minutes 2%, refused assent about 2%
  (natural), a name or phone number in the free text 0.25%;
- endline SAV: exact duplicates 0.8%, age out of range 0.4%, short interviews 1.5%,
  refused assent about 3%, free-text names 0.25%, the question ``cs_safe_dark`` exported as
  ``safe_after_dark``, and self-generated codes that no longer match the baseline (3% of
  students answering both waves).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.synth import clock
from evaluation.synth.exports import FileRecord, write_kobo_csv, write_sav
from evaluation.synth.faults import FaultLog, choose
from evaluation.synth.forms import FormLayout
from evaluation.synth.people import PersonalValues
from evaluation.synth.streams import stream, token, uuid4_strings
from evaluation.synth.submissions import Submissions, kobo_system_columns
from evaluation.synth.youth_waves import Wave, YouthWorld

BASELINE_FILE = "youth_survey_baseline.csv"
ENDLINE_FILE = "youth_survey_endline.sav"
FRAME_FILE = "sampling_frame.csv"
RENAMED = {"cs_safe_dark": "safe_after_dark"}
SHORT_MINUTES = 8
BAD_AGES = np.array(["7", "9", "21", "23", "41", "99"], dtype=object)
AGE_CONSTRAINT = ". >= 10 and . <= 20"
FRAME_COLUMNS = (
    "school_id", "school_name", "school_type", "admin_unit", "admin_unit_label",
    "neighbourhood_unit", "urban_rural", "stratum", "arm", "enrolled_8_12", "classes_8_12",
    "pi_school", "sampled", "classes_sampled", "pi_class", "pi_student", "weight_design",
    "students_responding_baseline", "weight",
)  # fmt: skip


def write_frame(folder: Path, frame: pd.DataFrame) -> FileRecord:
    """``sampling_frame.csv``: every school, its probabilities and the analysis weight."""
    out = frame.loc[:, list(FRAME_COLUMNS)]
    out.to_csv(folder / FRAME_FILE, index=False, lineterminator="\n", encoding="utf-8")
    return FileRecord(
        FRAME_FILE,
        "youth_survey",
        "",
        "csv",
        "utf-8",
        len(out),
        out.shape[1],
        "Sampling frame of schools teaching grades 8-12: strata, first-stage (PPS) and "
        "class-level inclusion probabilities, and the weight to use for baseline respondents.",
    )


def _plant_common(
    rng: np.random.Generator,
    subs: Submissions,
    eligible: np.ndarray,
    rates: dict[str, float],
) -> None:
    """Out-of-range ages and short interviews, in disjoint eligible rows (in place)."""
    bad = choose(rng, eligible, rates["out_of_range"])
    subs.set(bad, "age", BAD_AGES[rng.integers(0, len(BAD_AGES), len(bad))])
    subs.tag(bad, "out_of_range")
    eligible[bad] = False
    short = choose(rng, eligible, rates["short_interview"])
    minutes = rng.uniform(2.0, SHORT_MINUTES - 1.5, len(short))
    subs.info["end"][short] = subs.info["start"][short] + (minutes * clock.MINUTE).astype(np.int64)
    subs.set(short, "end", clock.device_iso(subs.info["end"][short]))
    subs.tag(short, "short_interview")
    eligible[short] = False


def _wave_submissions(wave: Wave, ids: np.ndarray) -> tuple[Submissions, np.ndarray]:
    subs = Submissions.start(
        wave.answers,
        uuid=ids,
        submitted=wave.submitted,
        start=wave.start.copy(),
        end=wave.end.copy(),
        student=wave.student,
    )
    eligible = wave.assent.copy()
    eligible[wave.planted_comments] = False
    return subs, eligible


def _log_common(
    log: FaultLog,
    file: str,
    subs: Submissions,
    rates: dict[str, float],
    id_column: str,
    planted: np.ndarray,
) -> None:
    ids = subs.info["uuid"]
    rows = subs.rows_of("out_of_range")
    log.add(
        file,
        "out_of_range",
        rows=rows,
        ids=ids[rows - 1],
        rate=rates["out_of_range"],
        column="age",
        constraint=AGE_CONSTRAINT,
        values=[str(v) for v in subs.answers["age"][rows - 1]],
    )
    rows = subs.rows_of("short_interview")
    log.add(
        file,
        "short_interview",
        rows=rows,
        ids=ids[rows - 1],
        rate=rates["short_interview"],
        threshold_minutes=SHORT_MINUTES,
    )
    rows = subs.rows_of("exact_duplicate")
    log.add(
        file,
        "exact_duplicate",
        rows=rows,
        ids=ids[rows - 1],
        rate=rates["exact_duplicate"],
        original_rows=subs.original_rows("exact_duplicate").tolist(),
        id_column=id_column,
        ignore_columns=["_id", "_index"] if file == BASELINE_FILE else [],
    )
    refused = np.flatnonzero(subs.answers["assent"] == "no") + 1
    log.add(file, "refused_assent", rows=refused, ids=ids[refused - 1], rate=None)
    where = np.flatnonzero(np.isin(subs.info["origin"], planted) & (subs.info["copy"] == 0))
    log.add(
        file,
        "personal_data_in_free_text",
        rows=where + 1,
        ids=ids[where],
        rate=0.0025,
        column="anything_else",
        values=[str(v) for v in subs.answers["anything_else"][where]],
    )


def write_baseline(
    folder: Path,
    seed: int,
    layout: FormLayout,
    world: YouthWorld,
    log: FaultLog,
    personal: PersonalValues,
) -> FileRecord:
    """``youth_survey_baseline.csv``: KoboToolbox CSV with the baseline faults."""
    rates = {
        "out_of_range": 0.005,
        "short_interview": 0.02,
        "duplicate_id_different_content": 0.005,
        "exact_duplicate": 0.01,
    }
    rng = stream(seed, "faults.youth_baseline")
    wave = world.baseline
    subs, eligible = _wave_submissions(
        wave, uuid4_strings(stream(seed, "ids.youth_baseline"), len(wave.student))
    )
    world.release_answers("baseline")  # subs holds them now
    _plant_common(rng, subs, eligible, rates)
    edited = choose(rng, eligible, rates["duplicate_id_different_content"])
    eligible[edited] = False
    later = subs.info["submitted"][edited] + rng.integers(1, 48, len(edited)) * clock.HOUR
    changes = {
        name: np.where(subs.answers[name][edited] == "1", "2", "1")
        for name in ("sc_enjoy", "cs_like")
    }
    subs.copy_rows(
        edited, "duplicate_id_different_content", answers=changes, info={"submitted": later}
    )
    exact = choose(rng, eligible, rates["exact_duplicate"])
    subs.copy_rows(exact, "exact_duplicate")
    subs.sort_by("submitted", "copy")
    meta = kobo_system_columns(
        stream(seed, "meta.youth_baseline"),
        subs,
        version=_kobo_version(seed, "youth_survey"),
        submitted_by="anketa_elbasan",
        first_id=214_000_000,
    )
    written = write_kobo_csv(folder / BASELINE_FILE, layout, subs.answers, meta)

    _log_common(log, BASELINE_FILE, subs, rates, "_uuid", wave.planted_comments)
    rows = subs.rows_of("duplicate_id_different_content")
    log.add(
        BASELINE_FILE,
        "duplicate_id_different_content",
        rows=rows,
        ids=subs.info["uuid"][rows - 1],
        rate=rates["duplicate_id_different_content"],
        original_rows=subs.original_rows("duplicate_id_different_content").tolist(),
        id_column="_uuid",
        changed_columns=["school/sc_enjoy", "community/cs_like"],
    )
    personal.add("panel_code", subs.answers["panel_code"])
    return FileRecord(
        BASELINE_FILE,
        layout.form_id,
        layout.version,
        "kobo_csv",
        "utf-8",
        written.rows,
        written.columns,
        "Youth survey baseline (autumn 2022) as downloaded from KoboToolbox: "
        "CSV, ';' separated, every field quoted, group paths joined with '/'.",
        written.empty_fields,
    )


def write_endline(
    folder: Path,
    seed: int,
    layout: FormLayout,
    world: YouthWorld,
    log: FaultLog,
    personal: PersonalValues,
    exported_at: dt.datetime,
) -> FileRecord:
    """``youth_survey_endline.sav``: the survey firm's SPSS file with the endline faults."""
    rates = {"out_of_range": 0.004, "short_interview": 0.015, "exact_duplicate": 0.008}
    rng = stream(seed, "faults.youth_endline")
    wave = world.endline
    ids = "uuid:" + uuid4_strings(stream(seed, "ids.youth_endline"), len(wave.student))
    subs, eligible = _wave_submissions(wave, ids.astype(object))
    world.release_answers("endline")
    _plant_common(rng, subs, eligible, rates)
    exact = choose(rng, eligible, rates["exact_duplicate"])
    subs.copy_rows(exact, "exact_duplicate")
    subs.sort_by("start", "copy")
    written = write_sav(
        folder / ENDLINE_FILE,
        layout,
        subs.answers,
        extra={"instanceID": subs.info["uuid"]},
        rename=RENAMED,
        exported_at=exported_at,
    )

    _log_common(log, ENDLINE_FILE, subs, rates, "instanceID", wave.planted_comments)
    old, new = next(iter(RENAMED.items()))
    log.add(
        ENDLINE_FILE,
        "renamed_column",
        count=1,
        rate=None,
        old=old,
        new=new,
        form_path=layout.field(old).path("/"),
    )
    _log_mismatches(log, subs, world)
    personal.add("panel_code", subs.answers["panel_code"])
    return FileRecord(
        ENDLINE_FILE,
        layout.form_id,
        layout.version,
        "spss_sav",
        "utf-8 (SPSS)",
        written.rows,
        written.columns,
        "Youth survey endline (spring 2023) delivered by the survey firm as "
        "an SPSS file: flat variable names, numeric codes with value labels.",
        written.empty_fields,
    )


def _log_mismatches(log: FaultLog, subs: Submissions, world: YouthWorld) -> None:
    cohort = world.cohort
    changed = set(world.code_changes.tolist())
    firsts = (subs.info["copy"] == 0) & np.isin(subs.info["student"], list(changed))
    where = np.flatnonzero(firsts)
    students = subs.info["student"][where]
    base_codes = world.carry["baseline_codes"]
    pairs = [
        {
            "school_code": str(cohort.school_code[s]),
            "baseline_code": str(base_codes[s]),
            "endline_code": str(subs.answers["panel_code"][i]),
        }
        for s, i in zip(students, where, strict=True)
    ]
    log.add(
        ENDLINE_FILE,
        "panel_code_mismatch",
        rows=where + 1,
        ids=subs.info["uuid"][where],
        rate=0.03,
        pairs=pairs,
    )


def _kobo_version(seed: int, form: str) -> str:
    return "v" + token(stream(seed, f"kobo_version.{form}"), 21)


def panel_facts(world: YouthWorld) -> dict[str, object]:
    """Collisions of the self-generated code at baseline, for truth.json ``design``."""
    b = world.baseline
    codes = pd.DataFrame(
        {"school": world.cohort.school_code[b.student], "code": b.answers["panel_code"]}
    )[b.assent]
    sizes = codes.groupby(["school", "code"]).size()
    return {
        "link": "school_code + panel_code",
        "students_sharing_a_code_within_school_baseline": int(sizes[sizes > 1].sum()),
    }
