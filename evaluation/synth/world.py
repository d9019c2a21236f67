"""``write_demo_world``: build every raw file of the demo world and ``truth.json``, atomically."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation import __version__, paths
from evaluation.errors import ParamsError
from evaluation.synth import capacity, cases, street, training, youth_files
from evaluation.synth.exports import FileRecord
from evaluation.synth.faults import FaultLog
from evaluation.synth.forms import FormLayout, instruments_folder, read_form
from evaluation.synth.frame import build_frame, draw_sample, finish_frame, strata_table
from evaluation.synth.output import Output
from evaluation.synth.people import PersonalValues
from evaluation.synth.streams import admin_factor, stream
from evaluation.synth.students import ATTRITION, ICC
from evaluation.synth.youth_waves import YouthWorld, simulate_baseline, simulate_endline

DEFAULT_SEED = 20220203
MAX_SCALE = 1000.0
EXPORTED_AT = dt.datetime(2024, 1, 15, 9, 30, 0)  # when the field "downloaded" the exports
TRUTH_FILE = "truth.json"
FORMS = (
    "youth_survey",
    "training_attendance",
    "training_knowledge_test",
    "kvsp_capacity_scorecard",
    "dv_referral_case",
    "street_situation_contact",
)


@dataclass(frozen=True)
class DemoWorld:
    """Where the demo world was written and what it holds."""

    out: Path
    truth_path: Path
    seed: int
    scale: float
    files: tuple[FileRecord, ...]

    def describe(self) -> str:
        """A short multi-line summary: the folder, rows per file, and where truth.json is."""
        width = max(len(f.name) for f in self.files)
        lines = [f"Demo world (seed {self.seed}, scale {self.scale:g}) written to {self.out}"]
        for f in self.files:
            lines.append(f"  {f.name:<{width}}  {f.rows:>9,} rows  {f.format}, {f.encoding}")
        lines.append(
            f"Truth (effects, design, planted faults and personal values): {self.truth_path}"
        )
        return "\n".join(lines)


def write_demo_world(
    out: Path | str | None = None, scale: float = 1.0, seed: int = DEFAULT_SEED
) -> DemoWorld:
    """Write the raw exports of the demo world and ``truth.json`` beside them.

    Parameters
    ----------
    out : Path, str or None
        Folder to write; ``None`` means ``surveys/data/demo/raw`` of the project. The folder is
        built next to the target and swapped in as a whole, so readers never see half a
        world. An existing folder is replaced only if it is empty or holds a previous demo
        world (it has ``truth.json``).
    scale : float
        Size of the world: 1 is about 1,200 students in 42 schools per wave; the school
        survey grows linearly, trainings and administrative records with ``sqrt(scale)``.
    seed : int
        Random seed. The same seed and scale give byte-identical files.

    Returns
    -------
    DemoWorld
        Paths, seed, scale and one :class:`~evaluation.synth.exports.FileRecord` per file.

    Raises
    ------
    ParamsError
        If ``scale`` or ``seed`` is invalid, or ``out`` is a file or a folder that is not a
        demo world.
    InstrumentError
        If a questionnaire in ``surveys/instruments/`` is missing or unreadable.
    """
    scale, seed = _check_arguments(scale, seed)
    target = Path(out) if out is not None else paths.data_dir("demo") / "raw"
    _check_target(target)
    forms = {name: read_form(instruments_folder() / f"{name}.xlsx") for name in FORMS}
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
    except OSError as error:
        raise ParamsError(
            f"cannot write the demo world next to {target}: {error.strerror}; choose a "
            "writable folder with --out"
        ) from None
    try:
        files = _build(building, forms, scale, seed)
        _swap_in(building, target)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return DemoWorld(target, target / TRUTH_FILE, seed, scale, files)


def _check_arguments(scale: float, seed: int) -> tuple[float, int]:
    try:
        scale = float(scale)
    except (TypeError, ValueError):
        raise ParamsError(f"scale must be a number, got {scale!r}") from None
    if not (math.isfinite(scale) and 0 < scale <= MAX_SCALE):
        raise ParamsError(
            f"scale must be above 0 and at most {MAX_SCALE:g}, got {scale!r}; "
            "1 is about 1,200 students per wave"
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParamsError(f"seed must be a whole number ≥ 0, got {seed!r}")
    return scale, seed


def _check_target(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise ParamsError(f"{target} is a file; give a folder for the demo world (--out DIR)")
    if target.is_dir() and any(target.iterdir()) and not (target / TRUTH_FILE).is_file():
        raise ParamsError(
            f"{target} already holds files but no {TRUTH_FILE}, so it is not a demo world; "
            "refusing to replace it. Choose an empty or new folder with --out."
        )


def _swap_in(building: Path, target: Path) -> None:
    """Replace ``target`` by ``building``: two renames, so the folder is never half-written."""
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
        os.replace(building, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(building, target)


def _build(
    folder: Path, forms: dict[str, FormLayout], scale: float, seed: int
) -> tuple[FileRecord, ...]:
    log = FaultLog()
    personal = PersonalValues()
    frame = build_frame(stream(seed, "frame"), scale)
    sample = draw_sample(stream(seed, "sample"), frame, scale)
    world = simulate_baseline(seed, sample.frame, sample.classes, personal)
    respondents = _respondents_per_school(len(sample.frame), world)
    final_frame = finish_frame(sample.frame, respondents)
    output = Output(folder, seed, log, personal, EXPORTED_AT)
    files = [youth_files.write_frame(folder, final_frame)]
    panel = youth_files.panel_facts(world)
    files.append(youth_files.write_baseline(output, forms["youth_survey"], world))
    simulate_endline(seed, world, personal)
    files.append(youth_files.write_endline(output, forms["youth_survey"], world))
    world.endline = None
    trainings = training.simulate_trainings(seed, scale)
    files.append(training.write_attendance(output, forms["training_attendance"], trainings))
    files.append(training.write_tests(output, forms["training_knowledge_test"], trainings))
    files.append(capacity.write_scorecards(output, forms["kvsp_capacity_scorecard"], scale))
    files.append(cases.write_cases(output, forms["dv_referral_case"], scale))
    files.append(street.write_contacts(output, forms["street_situation_contact"], scale))
    truth = {
        "generated_by": f"evaluation.synth (workbench demo-data), workbench {__version__}",
        "seed": seed,
        "scale": scale,
        "exported_at": EXPORTED_AT.isoformat(),
        "conventions": _conventions(),
        "effects": world.effects,
        "design": _design(final_frame, world, scale, panel),
        "faults": log.as_truth(),
        "planted_personal_values": personal.as_truth(),
        "files": {f.name: f.as_truth() for f in files},
    }
    text = json.dumps(truth, ensure_ascii=False, indent=1, default=_json_default)
    (folder / TRUTH_FILE).write_text(text + "\n", encoding="utf-8")
    return tuple(files)


def _respondents_per_school(n_schools: int, world: YouthWorld) -> np.ndarray:
    base = world.baseline
    return np.bincount(world.cohort.school[base.student[base.assent]], minlength=n_schools)


def _json_default(value: object) -> object:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def _conventions() -> dict[str, str]:
    return {
        "rows": "Data rows are numbered from 1 in file order, header excluded (XLSX sheet "
        "row = row + 1).",
        "ids": "ids are the rows' _uuid (Kobo), KEY (ODK Central) or instanceID (SPSS).",
        "missing": "An empty cell is a question the form did not ask (relevant) or that was "
        "left unanswered; SPSS uses system-missing.",
        "times": "start/end are device times in Europe/Tirane with their offset; "
        "_submission_time is UTC without offset; SubmissionDate is UTC with Z.",
        "scale": "The school survey grows linearly with scale; trainings, institutions, DV "
        "cases and street contacts grow with sqrt(scale).",
    }


def _design(
    frame: pd.DataFrame, world: YouthWorld, scale: float, panel: dict[str, object]
) -> dict[str, object]:
    sampled = frame[frame["sampled"] == 1]
    cohort = world.cohort
    base = world.baseline
    treated = cohort.treated
    return {
        "description": "School-based two-stage cluster sample of grades 8-12 in Bashkia "
        "Elbasan. Strata: arm (project / comparison administrative areas) x urban/rural. "
        "Stage 1: systematic PPS of schools by enrolment in grades 8-12, certainty schools "
        "taken with probability 1. Stage 2: whole classes with equal probability (one class, "
        "or two where classes have under 20 students). The same students are surveyed at "
        "baseline (Oct-Nov 2022) and endline (May-Jun 2023).",
        "frame_file": youth_files.FRAME_FILE,
        "strata": strata_table(frame),
        "schools_frame": len(frame),
        "schools_sampled": len(sampled),
        "population": int(frame["enrolled_8_12"].sum()),
        "students_sampled": cohort.n,
        "baseline_respondents": int(base.assent.sum()),
        "weights": {
            "column": "weight",
            "formula": "enrolled_8_12 / (pi_school * students_responding_baseline), per school",
            "sum_over_baseline_respondents": float(
                (sampled["weight"] * sampled["students_responding_baseline"]).sum()
            ),
            "join": "school_id in sampling_frame.csv = admin/school_code in the survey files",
            "design_weight_column": "weight_design (= 1 / pi_student, before adjustment)",
        },
        "clusters": "school (PSU); classes are the second stage",
        "icc": {
            "latent_traits": ICC,
            **{k: v for k, v in world.facts.items() if k.startswith("icc")},
        },
        "reliability": {k: v for k, v in world.facts.items() if k.startswith("cronbach")},
        "arms": {
            "project": sorted(
                {
                    f"{u} {n}".strip()
                    for u, n, a in zip(
                        frame["admin_unit"], frame["neighbourhood_unit"], frame["arm"], strict=True
                    )
                    if a == "project"
                }
            ),
            "comparison": sorted(
                {
                    f"{u} {n}".strip()
                    for u, n, a in zip(
                        frame["admin_unit"], frame["neighbourhood_unit"], frame["arm"], strict=True
                    )
                    if a == "comparison"
                }
            ),
        },
        "attrition": {
            "target": ATTRITION,
            "project": float(cohort.attrited[treated].mean()),
            "comparison": float(cohort.attrited[~treated].mean()),
            "rule": "within each arm, the students with the highest antisocial propensity "
            "plus chance (and grade 12 in exam season) leave",
        },
        "panel": {**panel, "code_changes_planted": len(world.code_changes)},
        "admin_factor": admin_factor(scale),
    }
