"""The youth survey's school frame and its two-stage cluster sample.

Stage 1 draws schools in four strata (arm × urban/rural) with probability proportional to
enrolment in grades 8-12. The draw is systematic PPS in frame order, which also spreads the
sample over areas; a school too big for its stratum's interval is taken with certainty.
Stage 2 draws whole classes with equal probability: one class where classes are large,
two where they are small (rural schools). All students of a drawn class are asked.

The weight the analysis should use is ``enrolled / (pi_school * respondents)`` per school.
It is the design weight ``1 / (pi_school * pi_class)`` adjusted for class size and for
students who did not take part. The weights of a school's baseline respondents then add up
to its enrolment, and over the sample they add up to the frame's enrolment:

.. math:: \\sum_{i \\in s} \\frac{M_i}{\\pi_i r_i} r_i = \\sum_{i \\in s} M_i / \\pi_i = M

That last equality holds exactly for PPS with certainty units, where
:math:`\\pi_i = n_h M_i / M_h` outside the certainty set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.synth.places import AREAS, EPONYMS

STRATA = ("project_urban", "project_rural", "comparison_urban", "comparison_rural")
BASE_SCHOOLS_SAMPLED = 42

# type -> (grades, sections-per-grade choices and probabilities, class-size mean, sd, min, max)
_URBAN = {
    "nine_year": ((8, 9), (1, 2, 3), (0.5, 0.4, 0.1), 28, 3, 18, 34),
    "upper_secondary": ((10, 11, 12), (1, 2, 3), (0.2, 0.5, 0.3), 28, 3, 18, 34),
}
_RURAL = {
    "nine_year": ((8, 9), (1,), (1.0,), 18, 5, 5, 28),
    "combined": ((8, 9, 10, 11, 12), (1,), (1.0,), 19, 4, 8, 28),
}


@dataclass(frozen=True)
class Sample:
    """The frame (one row per school) and the students' classes drawn at stage 2."""

    frame: pd.DataFrame
    classes: pd.DataFrame  # one row per sampled class: school (frame row), grade, section, size


def build_frame(rng: np.random.Generator, scale: float) -> pd.DataFrame:
    """All schools teaching grades 8-12 in the demo municipality, ``scale`` times over.

    Returns
    -------
    pandas.DataFrame
        ``school_id, school_name, school_type, admin_unit, admin_unit_label,
        neighbourhood_unit, urban_rural, arm, stratum, enrolled_8_12, classes_8_12`` and a
        private ``_classes`` column (the class sizes by grade, used at stage 2).
    """
    rows = []
    for area in AREAS:
        kinds = _URBAN if area.urban else _RURAL
        counts = {
            "nine_year": area.nine_year,
            "upper_secondary": area.upper,
            "combined": area.combined,
        }
        for kind, spec in kinds.items():
            n = _stochastic_round(rng, counts[kind] * scale)
            if kind == "nine_year":
                n = max(n, 1)  # every area keeps at least one school
            for _ in range(n):
                rows.append((area, kind, spec))
    frame = pd.DataFrame(
        {
            "school_type": [kind for _, kind, _ in rows],
            "admin_unit": [a.unit for a, _, _ in rows],
            "admin_unit_label": [a.unit_label for a, _, _ in rows],
            "neighbourhood_unit": [a.neighbourhood for a, _, _ in rows],
            "urban_rural": ["urban" if a.urban else "rural" for a, _, _ in rows],
            "arm": [a.arm for a, _, _ in rows],
        }
    )
    frame["stratum"] = frame["arm"] + "_" + frame["urban_rural"]
    width = max(4, len(str(len(frame))))
    frame.insert(0, "school_id", [f"ES{i:0{width}d}" for i in range(1, len(frame) + 1)])
    frame.insert(1, "school_name", _school_names(frame))
    classes = [_class_sizes(rng, spec) for _, _, spec in rows]
    frame["enrolled_8_12"] = [sum(sum(sizes) for _, sizes in c) for c in classes]
    frame["classes_8_12"] = [sum(len(sizes) for _, sizes in c) for c in classes]
    frame["_classes"] = classes
    return frame


def _stochastic_round(rng: np.random.Generator, x: float) -> int:
    return int(np.floor(x + rng.random()))


def _class_sizes(rng: np.random.Generator, spec: tuple) -> list[tuple[int, list[int]]]:
    grades, sections, probs, mean, sd, low, high = spec
    out = []
    for grade in grades:
        k = int(rng.choice(sections, p=probs))
        sizes = np.clip(np.rint(rng.normal(mean, sd, k)), low, high).astype(int).tolist()
        out.append((grade, sizes))
    return out


def _school_names(frame: pd.DataFrame) -> list[str]:
    names = []
    for i, (kind, unit, urban) in enumerate(
        zip(frame["school_type"], frame["admin_unit_label"], frame["urban_rural"], strict=True)
    ):
        eponym = EPONYMS[i % len(EPONYMS)]
        round_ = i // len(EPONYMS)
        suffix = f" nr. {round_ + 1}" if round_ else ""
        if kind == "nine_year":
            name = f'Shkolla 9-vjeçare "{eponym}"{suffix}'
        elif kind == "combined":
            name = f'Shkolla e Mesme e Bashkuar "{eponym}"{suffix}'
        elif i % 3:
            name = f'Gjimnazi "{eponym}"{suffix}'
        else:
            name = f'Shkolla e Mesme Profesionale "{eponym}"{suffix}'
        names.append(name if urban == "urban" else f"{name}, {unit}")
    return names


def allocate(frame: pd.DataFrame, n_schools: int) -> dict[str, int]:
    """Schools to draw per stratum: half per arm, split urban/rural by enrolment (≥ 2 each)."""
    out: dict[str, int] = {}
    for arm in ("project", "comparison"):
        enrol = frame[frame["arm"] == arm].groupby("urban_rural")["enrolled_8_12"].sum()
        size = frame[frame["arm"] == arm].groupby("urban_rural").size()
        half = n_schools // 2
        urban = round(half * enrol["urban"] / enrol.sum())
        urban = min(max(urban, 2), int(size["urban"]))
        rural = min(max(half - urban, 2), int(size["rural"]))
        out[f"{arm}_urban"], out[f"{arm}_rural"] = urban, rural
    return out


def pps_probabilities(sizes: np.ndarray, n: int) -> np.ndarray:
    """First-stage inclusion probabilities for a PPS draw of ``n`` units, with certainties.

    Units whose ``n * size / total`` reaches 1 are taken with certainty and the rest of the
    sample is spread over the other units in proportion to size, repeating until no
    probability exceeds 1 (the standard treatment, e.g. R ``sampling::inclusionprobabilities``).
    """
    sizes = np.asarray(sizes, dtype=float)
    certain = np.zeros(len(sizes), dtype=bool)
    pi = np.zeros(len(sizes))
    while True:
        left = n - certain.sum()
        rest = ~certain
        pi[rest] = left * sizes[rest] / sizes[rest].sum() if left > 0 else 0.0
        new = rest & (pi >= 1)
        if not new.any():
            break
        certain |= new
    pi[certain] = 1.0
    return pi


def systematic_pps(rng: np.random.Generator, pi: np.ndarray) -> np.ndarray:
    """Systematic selection in frame order with inclusion probabilities ``pi``; a bool mask."""
    chosen = pi >= 1
    rest = np.flatnonzero(~chosen)
    n_rest = round(pi[rest].sum())
    if n_rest:
        cum = np.cumsum(pi[rest])
        points = rng.random() + np.arange(n_rest)
        picked = np.searchsorted(cum, points, side="right")
        chosen[rest[np.clip(picked, 0, len(rest) - 1)]] = True
    return chosen


def draw_sample(rng: np.random.Generator, frame: pd.DataFrame, scale: float) -> Sample:
    """Draw schools (stage 1) and classes (stage 2); add the probabilities to the frame.

    Adds ``pi_school``, ``sampled``, ``classes_sampled``, ``pi_class``, ``pi_student`` and
    ``weight_design`` (= 1 / ``pi_student``) to a copy of ``frame``.
    """
    frame = frame.copy()
    n_total = max(8, round(BASE_SCHOOLS_SAMPLED * scale))
    allocation = allocate(frame, n_total)
    frame["pi_school"] = 0.0
    frame["sampled"] = False
    for stratum, n in allocation.items():
        rows = np.flatnonzero(frame["stratum"].to_numpy() == stratum)
        pi = pps_probabilities(frame["enrolled_8_12"].to_numpy()[rows], n)
        frame.loc[frame.index[rows], "pi_school"] = pi
        frame.loc[frame.index[rows], "sampled"] = systematic_pps(rng, pi)
    classes = _draw_classes(rng, frame)
    per_school = classes.groupby("school").size()
    frame["classes_sampled"] = per_school.reindex(range(len(frame))).fillna(0).astype(int)
    frame["pi_class"] = np.where(
        frame["sampled"], frame["classes_sampled"] / frame["classes_8_12"], np.nan
    )
    frame["pi_student"] = frame["pi_school"] * frame["pi_class"]
    frame["weight_design"] = 1.0 / frame["pi_student"]
    return Sample(frame=frame, classes=classes)


def _draw_classes(rng: np.random.Generator, frame: pd.DataFrame) -> pd.DataFrame:
    records = []
    for school in np.flatnonzero(frame["sampled"].to_numpy()):
        flat = [
            (grade, section, size)
            for grade, sizes in frame["_classes"].iat[school]
            for section, size in enumerate(sizes)
        ]
        mean_size = np.mean([size for _, _, size in flat])
        k = min(len(flat), 1 if mean_size >= 20 else 2)
        for j in sorted(rng.choice(len(flat), size=k, replace=False)):
            grade, section, size = flat[j]
            records.append((school, grade, "ABCDEFGH"[section], size))
    return pd.DataFrame(records, columns=["school", "grade", "section", "size"])


def finish_frame(frame: pd.DataFrame, respondents: np.ndarray) -> pd.DataFrame:
    """The frame as written to ``sampling_frame.csv``, with the analysis weight.

    Parameters
    ----------
    frame : pandas.DataFrame
        The frame after :func:`draw_sample`.
    respondents : numpy.ndarray
        Baseline respondents (students who assented) per frame school.
    """
    out = frame.drop(columns="_classes").copy()
    out["students_responding_baseline"] = np.where(out["sampled"], respondents, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = out["enrolled_8_12"] / (out["pi_school"] * out["students_responding_baseline"])
    out["weight"] = np.where(
        out["sampled"] & (out["students_responding_baseline"] > 0), weight, np.nan
    )
    out["sampled"] = out["sampled"].astype(int)
    return out


def strata_table(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Per stratum: schools in the frame and in the sample, and enrolment (for truth.json)."""
    out = []
    for stratum in STRATA:
        part = frame[frame["stratum"] == stratum]
        out.append(
            {
                "stratum": stratum,
                "arm": stratum.split("_")[0],
                "urban_rural": stratum.split("_")[1],
                "schools_frame": len(part),
                "schools_sampled": int(part["sampled"].sum()),
                "certainty_schools": int((part["pi_school"] >= 1).sum()),
                "population": int(part["enrolled_8_12"].sum()),
            }
        )
    return out
