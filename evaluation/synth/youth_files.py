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

from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.synth import clock
from evaluation.synth.exports import FileRecord, write_kobo_csv, write_sav
from evaluation.synth.faults import FaultLog, choose, log_exact_duplicates, log_rows, log_tagged
from evaluation.synth.forms import FormLayout
from evaluation.synth.output import Output
from evaluation.synth.streams import stream, uuid4_strings
from evaluation.synth.submissions import Submissions, kobo_export
from evaluation.synth.youth_waves import Wave, YouthWorld

BASELINE_FILE = "youth_survey_baseline.csv"
BASELINE_DESCRIPTION = (
    "Youth survey baseline (autumn 2022) as downloaded from KoboToolbox: "
    "CSV, ';' separated, every field quoted, group paths joined with '/'."
)
ENDLINE_FILE = "youth_survey_endline.sav"
ENDLINE_DESCRIPTION = (
    "Youth survey endline (spring 2023) delivered by the survey firm as "
    "an SPSS file: flat variable names, numeric codes with value labels."
)
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
    planted: np.ndarray,
    id_column: str,
    ignore_columns: tuple[str, ...],
) -> None:
    """The faults both waves carry, in the order truth.json lists them."""
    log_tagged(
        log,
        file,
        subs,
        "out_of_range",
        rate=rates["out_of_range"],
        column="age",
        constraint=AGE_CONSTRAINT,
        values_of="age",
    )
    log_tagged(
        log,
        file,
        subs,
        "short_interview",
        rate=rates["short_interview"],
        threshold_minutes=SHORT_MINUTES,
    )
    log_exact_duplicates(
        log,
        file,
        subs,
        rate=rates["exact_duplicate"],
        id_column=id_column,
        ignore_columns=ignore_columns,
    )
    refused = np.flatnonzero(subs.answers["assent"] == "no")
    log_rows(log, file, subs, "refused_assent", refused, rate=None)
    log_rows(
        log,
        file,
        subs,
        "personal_data_in_free_text",
        subs.first_rows(planted),
        rate=0.0025,
        column="anything_else",
        values_of="anything_else",
    )


def write_baseline(output: Output, layout: FormLayout, world: YouthWorld) -> FileRecord:
    """``youth_survey_baseline.csv``: KoboToolbox CSV with the baseline faults."""
    rates = {
        "out_of_range": 0.005,
        "short_interview": 0.02,
        "duplicate_id_different_content": 0.005,
        "exact_duplicate": 0.01,
    }
    rng = stream(output.seed, "faults.youth_baseline")
    wave = world.baseline
    subs, eligible = _wave_submissions(
        wave, uuid4_strings(stream(output.seed, "ids.youth_baseline"), len(wave.student))
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
    meta = kobo_export(
        subs,
        output.seed,
        "youth_baseline",
        submitted_by="anketa_elbasan",
        first_id=214_000_000,
        form="youth_survey",
    )
    written = write_kobo_csv(output.folder / BASELINE_FILE, layout, subs.answers, meta)

    kobo_ids = ("_uuid", ("_id", "_index"))
    _log_common(output.log, BASELINE_FILE, subs, rates, wave.planted_comments, *kobo_ids)
    log_tagged(
        output.log,
        BASELINE_FILE,
        subs,
        "duplicate_id_different_content",
        rate=rates["duplicate_id_different_content"],
        id_column="_uuid",
        changed_columns=["school/sc_enjoy", "community/cs_like"],
    )
    output.personal.add("panel_code", subs.answers["panel_code"])
    return FileRecord.of(BASELINE_FILE, layout, written, "kobo_csv", "utf-8", BASELINE_DESCRIPTION)


def write_endline(output: Output, layout: FormLayout, world: YouthWorld) -> FileRecord:
    """``youth_survey_endline.sav``: the survey firm's SPSS file with the endline faults."""
    rates = {"out_of_range": 0.004, "short_interview": 0.015, "exact_duplicate": 0.008}
    rng = stream(output.seed, "faults.youth_endline")
    wave = world.endline
    ids = "uuid:" + uuid4_strings(stream(output.seed, "ids.youth_endline"), len(wave.student))
    subs, eligible = _wave_submissions(wave, ids.astype(object))
    world.release_answers("endline")
    _plant_common(rng, subs, eligible, rates)
    exact = choose(rng, eligible, rates["exact_duplicate"])
    subs.copy_rows(exact, "exact_duplicate")
    subs.sort_by("start", "copy")
    written = write_sav(
        output.folder / ENDLINE_FILE,
        layout,
        subs.answers,
        extra={"instanceID": subs.info["uuid"]},
        rename=RENAMED,
        exported_at=output.exported_at,
    )

    _log_common(output.log, ENDLINE_FILE, subs, rates, wave.planted_comments, "instanceID", ())
    old, new = next(iter(RENAMED.items()))
    output.log.add(
        ENDLINE_FILE,
        "renamed_column",
        count=1,
        rate=None,
        old=old,
        new=new,
        form_path=layout.field(old).path("/"),
    )
    _log_mismatches(output.log, subs, world)
    output.personal.add("panel_code", subs.answers["panel_code"])
    return FileRecord.of(
        ENDLINE_FILE, layout, written, "spss_sav", "utf-8 (SPSS)", ENDLINE_DESCRIPTION
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
    log_rows(log, ENDLINE_FILE, subs, "panel_code_mismatch", where, rate=0.03, pairs=pairs)


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
