"""Baseline–endline matching of the youth survey's self-generated panel code.

Students build a code from letters of their parents' first names, their birth month and
their number of older siblings; ingestion replaces it by a keyed pseudonym, so the same code
gives the same pseudonym in both waves. Codes match **within a school**. Per school:

- a code is **duplicated** in a wave when two or more submissions of that wave share it (two
  students built the same code, or one submitted twice): it cannot link anyone safely;
- **matched**: codes found exactly once at baseline and exactly once at endline;
- **ambiguous**: codes found in both waves but duplicated in at least one;
- **unmatched baseline**: baseline codes not found at endline (attrition, or a code built
  differently at endline); **unmatched endline**: endline codes not found at baseline.

The match rate is matched / distinct baseline codes (the share of the baseline panel found
again); the endline match rate is matched / distinct endline codes. Submissions without a
code (refused assent) are left out.

The matching itself is :func:`evaluation.panel.link_waves`, the one the baseline and endline
reports link students with; this module counts its result by code and school and lists the
submissions it cannot link.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.errors import DataError
from evaluation.panel import link_waves
from evaluation.quality.rows import row_keys
from evaluation.quality.settings import PanelSettings
from evaluation.results import ResultInfo, make_result
from evaluation.validation import require_columns

DUPLICATE = "panel_code_duplicate"
UNMATCHED = "panel_code_unmatched"
COUNT_COLUMNS = (
    "n_baseline",
    "n_endline",
    "codes_baseline",
    "codes_endline",
    "matched",
    "ambiguous",
    "unmatched_baseline",
    "unmatched_endline",
    "duplicated_baseline",
    "duplicated_endline",
)


def panel_matching(
    frame: pd.DataFrame, panel: PanelSettings | None = None, *, total: bool = True
) -> pd.DataFrame:
    """Match rates of the panel code per school, and over all schools.

    Parameters
    ----------
    frame : DataFrame
        The clean youth survey, both waves stacked.
    panel : PanelSettings, optional
        Column names and wave codes (defaults: ``panel_code``, ``school_code``, ``wave``,
        ``baseline``, ``endline``).
    total : bool
        Add a last row over all schools, with ``school`` missing.

    Returns
    -------
    DataFrame
        A result table: ``school``, ``estimate`` (match rate), ``n`` (distinct baseline
        codes), then ``endline_match_rate`` and :data:`COUNT_COLUMNS` (``n_baseline`` and
        ``n_endline`` count submissions with a code; ``duplicated_*`` count codes).

    Raises
    ------
    DataError
        If a column is missing.
    """
    panel = panel or PanelSettings()
    data = _linked(frame, panel)
    rows = _school_counts(data, panel).to_dict(orient="records")
    if total:
        summed = {c: sum(r[c] for r in rows) for c in COUNT_COLUMNS}
        rows.append({"school": pd.NA, **summed})
    for row in rows:
        row["estimate"] = (
            row["matched"] / row["codes_baseline"] if row["codes_baseline"] else np.nan
        )
        row["n"] = row["codes_baseline"]
        row["endline_match_rate"] = (
            row["matched"] / row["codes_endline"] if row["codes_endline"] else np.nan
        )
    info = ResultInfo(
        estimator="quality.panel_matching",
        method="self-generated codes (pseudonymised) matched within school between "
        f"'{panel.baseline}' and '{panel.endline}'",
        n_obs=len(data),
    )
    columns = ["school", "estimate", "n", "endline_match_rate", *COUNT_COLUMNS]
    result = make_result(pd.DataFrame(rows, columns=columns), info, id_columns=["school"])
    for column in COUNT_COLUMNS:
        result[column] = result[column].astype("int64")
    result["school"] = result["school"].astype("string")
    return result


def panel_problems(
    frame: pd.DataFrame,
    panel: PanelSettings | None = None,
    *,
    table: str = "",
    timezone: str = "UTC",
) -> pd.DataFrame:
    """Submissions whose panel code cannot link them: duplicated in their school and wave,
    or (endline only) not found at baseline in their school.

    Returns
    -------
    DataFrame
        ``table, submission_id, enumerator, date, file, row, school, wave, rule, group``:
        ``rule`` is ``panel_code_duplicate`` or ``panel_code_unmatched``; ``group`` numbers
        the duplicated codes (1, 2, …) so rows sharing a code can be found without showing
        the code.
    """
    panel = panel or PanelSettings()
    data = _linked(frame, panel)
    keys = row_keys(frame, table, timezone).iloc[data["position"].to_numpy()].reset_index(drop=True)
    duplicated = data["link_status"].eq("duplicate_code").to_numpy()
    endline = data["wave"].eq(panel.endline).to_numpy()
    at_baseline = data["wave"].eq(panel.baseline)
    seen = at_baseline.groupby([data["school"], data["code"]]).transform("any").to_numpy()
    unmatched = endline & ~seen
    group_ids = (
        data.loc[duplicated]
        .groupby(["school", "wave", "code"], sort=True)
        .ngroup()
        .add(1)
        .reindex(data.index)
    )
    parts = []
    for mask, rule in ((duplicated, DUPLICATE), (unmatched, UNMATCHED)):
        part = keys[mask].copy()
        part["school"] = data.loc[mask, "school"].to_numpy()
        part["wave"] = data.loc[mask, "wave"].to_numpy()
        part["rule"] = rule
        part["group"] = (
            pd.array(group_ids[mask].to_numpy(), dtype="Int64")
            if rule == DUPLICATE
            else pd.array([pd.NA] * int(mask.sum()), dtype="Int64")
        )
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    for column in ("school", "wave", "rule"):
        out[column] = out[column].astype("string")
    return out.sort_values(["rule", "school", "group", "submission_id"], kind="stable").reset_index(
        drop=True
    )


def _coded(frame: pd.DataFrame, panel: PanelSettings) -> pd.DataFrame:
    require_columns(frame, [panel.code, panel.wave], f"table '{panel.table}'")
    waves = frame[panel.wave].astype("string")
    unknown = sorted(set(waves.dropna()) - {panel.baseline, panel.endline})
    if unknown and not waves.isin([panel.baseline, panel.endline]).any():
        raise DataError(
            f"table '{panel.table}', column '{panel.wave}': no row is '{panel.baseline}' or "
            f"'{panel.endline}' (found {', '.join(unknown[:5])}); set panel.baseline and "
            "panel.endline in params/quality.yaml"
        )
    school = (
        frame[panel.school].astype("string")
        if panel.school in frame.columns
        else pd.Series(["all"] * len(frame), dtype="string", index=frame.index)
    )
    data = pd.DataFrame(
        {
            "position": np.arange(len(frame)),
            "school": school.to_numpy(),
            "wave": waves.to_numpy(),
            "code": frame[panel.code].astype("string").str.strip().to_numpy(),
        }
    )
    data = data[
        data["code"].notna()
        & data["code"].ne("")
        & data["wave"].isin([panel.baseline, panel.endline])
    ]
    data["school"] = data["school"].fillna("")
    return data


def _linked(frame: pd.DataFrame, panel: PanelSettings) -> pd.DataFrame:
    """The coded submissions of both rounds (:func:`_coded`) with the ``link_status`` that
    :func:`evaluation.panel.link_waves` gives each."""
    return link_waves(
        _coded(frame, panel),
        id="code",
        within="school",
        wave="wave",
        arm=None,
        baseline=panel.baseline,
        endline=panel.endline,
    ).panel


def _school_counts(data: pd.DataFrame, panel: PanelSettings) -> pd.DataFrame:
    """Per school (sorted): submissions and codes per round, and codes by what linking found.

    A code is counted once per school: ``matched`` if its pair was linked, ``ambiguous`` if
    it is in both rounds but was not linked (repeated in one of them), ``unmatched_*`` if it
    is in one round only, ``duplicated_*`` if it is repeated within a round.
    """
    at_baseline = data["wave"].eq(panel.baseline)
    duplicated = data["link_status"].eq("duplicate_code")
    rows = pd.DataFrame(
        {
            "school": data["school"],
            "code": data["code"],
            "base": at_baseline,
            "end": ~at_baseline,
            "linked": data["link_status"].eq("linked") & at_baseline,
            "dup_base": duplicated & at_baseline,
            "dup_end": duplicated & ~at_baseline,
        }
    )
    codes = rows.groupby(["school", "code"], sort=False).any()
    per_code = pd.DataFrame(
        {
            "codes_baseline": codes["base"],
            "codes_endline": codes["end"],
            "matched": codes["linked"],
            "ambiguous": codes["base"] & codes["end"] & ~codes["linked"],
            "unmatched_baseline": codes["base"] & ~codes["end"],
            "unmatched_endline": codes["end"] & ~codes["base"],
            "duplicated_baseline": codes["dup_base"],
            "duplicated_endline": codes["dup_end"],
        }
    )
    counts = per_code.groupby(level="school", sort=True).sum()
    submissions = rows.groupby("school", sort=True)[["base", "end"]].sum()
    counts["n_baseline"], counts["n_endline"] = submissions["base"], submissions["end"]
    return counts[list(COUNT_COLUMNS)].astype("int64").reset_index()
