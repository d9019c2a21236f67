"""KVSP capacity scorecards: about 25 institutions (times √scale) at baseline and endline.

Each institution has a general capacity level. Each domain has its own difficulty.
Baseline scores are mostly 1-2. By endline the domains the project worked on (governance,
data, coordination, referral) have improved by about half a point; the others by about a
tenth. Planted fault: staff names in a few evidence notes (3%, at least one).
"""

from __future__ import annotations

import numpy as np

from evaluation.synth import clock
from evaluation.synth.exports import FileRecord, write_kobo_xlsx
from evaluation.synth.faults import log_rows
from evaluation.synth.forms import FormLayout
from evaluation.synth.output import Output
from evaluation.synth.people import ACTION_NOTES, EVIDENCE_NOTES, full_names, pick
from evaluation.synth.places import INSTITUTIONS
from evaluation.synth.streams import (
    admin_factor,
    device_ids,
    scaled_count,
    stream,
    uuid4_strings,
)
from evaluation.synth.submissions import Submissions, kobo_export

FILE = "kvsp_capacity_scorecard.xlsx"
DESCRIPTION = (
    "KVSP capacity scorecards of the member institutions at baseline (spring 2022) and "
    "endline (autumn 2023), as downloaded from KoboToolbox (XLSX, typed cells)."
)
DOMAINS = ("gov", "plan", "data", "coord", "prev", "ref", "part", "incl", "res")
DIFFICULTY = np.array([0.0, 0.5, 0.7, 0.2, 0.4, 0.1, 0.6, 0.3, 0.9])
IMPROVE = np.array([0.55, 0.15, 0.55, 0.55, 0.15, 0.55, 0.1, 0.1, 0.1])
ROUNDS = (
    ("baseline", clock.day_number(2022, 3, 14), clock.day_number(2022, 4, 29)),
    ("endline", clock.day_number(2023, 10, 2), clock.day_number(2023, 11, 24)),
)


def _index_text(mean: float) -> str:
    """XPath ``round(x, 2)`` written as Collect writes a number (no trailing zeros)."""
    return f"{round(mean, 2):.2f}".rstrip("0").rstrip(".")


def write_scorecards(output: Output, layout: FormLayout, scale: float) -> FileRecord:
    """``kvsp_capacity_scorecard.xlsx``: one row per institution per round."""
    rng = stream(output.seed, "capacity")
    n_inst = scaled_count(25, admin_factor(scale), 4)
    names = [
        INSTITUTIONS[i % len(INSTITUTIONS)][0]
        + (f" – zyra {i // len(INSTITUTIONS) + 1}" if i >= len(INSTITUTIONS) else "")
        for i in range(n_inst)
    ]
    types = [INSTITUTIONS[i % len(INSTITUTIONS)][1] for i in range(n_inst)]
    level = rng.normal(0.0, 0.6, n_inst)
    base = np.clip(
        np.rint(1.9 + level[:, None] - DIFFICULTY[None, :] + rng.normal(0, 0.5, (n_inst, 9))), 1, 4
    )
    step = (rng.random((n_inst, 9)) < IMPROVE[None, :]).astype(float)
    step -= rng.random((n_inst, 9)) < 0.05
    scores = {"baseline": base, "endline": np.clip(base + step, 1, 4)}

    frames = []
    for round_, first, last in ROUNDS:
        s = scores[round_].astype(int)
        day = clock.friday_if_weekend(rng.integers(first, last + 1, n_inst))
        start = clock.at_local_time(day, 10 * clock.HOUR) + rng.integers(0, 3 * clock.HOUR, n_inst)
        end = start + rng.integers(60, 150, n_inst) * clock.MINUTE
        web_form = device_ids(rng, 1, "ee.kobotoolbox.org")[0]
        a: dict[str, np.ndarray] = {
            **clock.form_times(start, end),
            "deviceid": np.full(n_inst, web_form, dtype=object),
            "username": np.array(["vleresues_1", "vleresues_2"], dtype=object)[
                rng.integers(0, 2, n_inst)
            ],
            "round": np.full(n_inst, round_, dtype=object),
            "assessment_date": clock.iso_dates(day),
            "institution_id": np.array([f"INS{i + 1:03d}" for i in range(n_inst)], dtype=object),
            "institution_name": np.array(names, dtype=object),
            "institution_type": np.array(types, dtype=object),
            "participants_n": rng.integers(2, 13, n_inst).astype(str).astype(object),
        }
        for j, d in enumerate(DOMAINS):
            a[f"{d}_score"] = s[:, j].astype(str).astype(object)
            has_note = (s[:, j] >= 3) | (rng.random(n_inst) < 0.4)
            a[f"{d}_evidence"] = np.where(has_note, pick(rng, EVIDENCE_NOTES, n_inst), "")
        a["capacity_index"] = np.array([_index_text(m) for m in s.mean(axis=1)], dtype=object)
        a["action_points"] = np.where(
            rng.random(n_inst) < 0.8, pick(rng, ACTION_NOTES, n_inst), ""
        ).astype(object)
        frames.append((a, end + rng.integers(60_000, clock.DAY, n_inst)))
    answers = {
        k: np.concatenate([np.asarray(f[k], dtype=object) for f, _ in frames]) for k in frames[0][0]
    }
    submitted = np.concatenate([t for _, t in frames])

    evidence = [f"{d}_evidence" for d in DOMAINS]
    notes = np.column_stack([answers[e] for e in evidence])
    filled = np.argwhere(notes != "")
    k = max(1, round(0.03 * len(filled)))
    chosen = filled[np.sort(rng.choice(len(filled), size=k, replace=False))]
    staff = full_names(rng, rng.random(k) < 0.6)
    for (row, col), name in zip(chosen, staff, strict=True):
        notes[row, col] = f"Sipas {name}, përgjegjës/e i sektorit: {notes[row, col]}"
    for j, e in enumerate(evidence):
        answers[e] = notes[:, j]
    output.personal.add("person_name", staff)
    n = len(submitted)
    subs = Submissions.start(
        answers, uuid=uuid4_strings(stream(output.seed, "ids.capacity"), n), submitted=submitted
    )
    meta = kobo_export(
        subs, output.seed, "capacity", submitted_by="kvsp_elbasan", first_id=171_000_000
    )
    path = output.folder / FILE
    written = write_kobo_xlsx(path, layout, subs.answers, meta, exported_at=output.exported_at)
    where = subs.first_rows(np.unique(chosen[:, 0]))
    values = [
        note for e in evidence for note in subs.answers[e][where] if note.startswith("Sipas ")
    ]
    log_rows(
        output.log,
        FILE,
        subs,
        "personal_data_in_free_text",
        where,
        rate=0.03,
        count=len(values),
        column="<domain>/<prefix>_evidence",
        values=values,
    )
    return FileRecord.of(FILE, layout, written, "kobo_xlsx", "utf-8 (xlsx)", DESCRIPTION)
