"""The baseline–endline panel of the youth survey, linked by the self-generated code.

The survey is anonymous: a student is followed from baseline to endline only through the
self-generated code (``panel_code``: initials of the parents, birth month, older siblings),
which ingestion replaces by a keyed pseudonym. Codes are matched **within a school**: two
students of different schools with the same code are different students. A match must be
unique: a code that appears more than once in a school and wave is a collision (two students
who build the same code, or a repeated submission) and is not linked, and a code that is
unique in one wave but repeated in the other is ambiguous and not linked either. Every row is
accounted for by its ``link_status``.

:func:`link_waves` labels the rows and counts them (overall, by arm, by school);
:func:`wide_panel` puts a unit's baseline and endline values on one row, for ANCOVA and for
the attrition analysis.

Examples
--------
>>> panel, summary = link_waves(youth)  # doctest: +SKIP
>>> wide = wide_panel(panel, ["attitudes_scale"], keep=["school_code", "arm"])  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from evaluation.errors import DataError, format_values
from evaluation.validation import as_list, require_columns

__all__ = ["LINK_STATUSES", "SUMMARY_COUNTS", "PanelLink", "link_waves", "wide_panel"]

LINK_STATUSES: tuple[str, ...] = ("linked", "unmatched", "duplicate_code", "ambiguous", "no_code")
"""Every row of the panel has one of these statuses:

``linked``
    its code is unique in its school and wave and found exactly once in the other wave;
``unmatched``
    its code is unique in its school and wave and not found in the other wave (at baseline:
    the student left, was absent, refused, or built a different code at endline);
``duplicate_code``
    its code appears more than once in its school and wave (a collision);
``ambiguous``
    its code is unique in its wave but appears more than once in the other wave;
``no_code``
    it has no code (assent refused, or the code questions were skipped).
"""

SUMMARY_COUNTS: tuple[str, ...] = (
    "n_baseline",
    "n_endline",
    "linked",
    "unmatched_baseline",
    "unmatched_endline",
    "duplicate_baseline",
    "duplicate_endline",
    "ambiguous_baseline",
    "ambiguous_endline",
    "no_code_baseline",
    "no_code_endline",
)
"""Count columns of the summary, after ``by`` and ``group``; then ``link_rate``."""

_STATUS_COLUMN = {
    "unmatched": "unmatched",
    "duplicate_code": "duplicate",
    "ambiguous": "ambiguous",
    "no_code": "no_code",
}


class PanelLink(NamedTuple):
    """What :func:`link_waves` returns.

    Attributes
    ----------
    panel : DataFrame
        The input rows in their order, with ``unit_id``, ``linked`` and ``link_status``.
    summary : DataFrame
        Counts overall, by arm and by school (see :func:`link_waves`).
    """

    panel: pd.DataFrame
    summary: pd.DataFrame


def link_waves(
    table: pd.DataFrame,
    id: str = "panel_code",
    within: str = "school_code",
    wave: str = "wave",
    *,
    arm: str | None = "arm",
    baseline: str = "baseline",
    endline: str = "endline",
) -> PanelLink:
    """Link baseline and endline rows of the same student by a unique code within a school.

    Parameters
    ----------
    table : DataFrame
        Both waves stacked, one row per accepted submission (the clean ``youth_survey``
        table). Not modified.
    id : str
        The (pseudonymised) panel code. Missing or empty codes are never linked.
    within : str
        Codes match only within this column (the school). Must not be missing.
    wave : str
        Survey round; every value must be ``baseline`` or ``endline``.
    arm : str or None
        Arm column (``project``/``comparison``) for the by-arm summary; None for none.
    baseline, endline : str
        The codes of the two rounds in ``wave``.

    Returns
    -------
    PanelLink
        ``panel``: a copy of ``table`` with ``unit_id`` (``"U000001"`` …; a linked pair
        shares one, every other row has its own), ``linked`` (bool) and ``link_status``
        (categorical: one of :data:`LINK_STATUSES`). ``summary``: one row per ``by`` (``"all"``,
        ``"arm"``, ``"school"``) and ``group``, with the counts of :data:`SUMMARY_COUNTS`
        and ``link_rate`` = linked / n_baseline. ``linked`` counts pairs (one baseline and
        one endline row each). In every row of the summary,
        ``n_<wave> = linked + unmatched_<wave> + duplicate_<wave> + ambiguous_<wave> +
        no_code_<wave>``.

    Raises
    ------
    DataError
        A missing column, a missing school, or a wave value other than the two rounds.

    Notes
    -----
    Unique matching is deliberately strict: a collision is reported rather than guessed, so
    no two different students are ever joined. The cost is a few lost pairs, which the
    summary counts (``duplicate_*``, ``ambiguous_*``). ``unmatched_baseline`` mixes students
    who left the sample with students who built a different code at endline; the two cannot
    be told apart in an anonymous survey.
    """
    what = "link_waves()"
    require_columns(table, [id, within, wave, *([arm] if arm else [])], what=f"{what} table")
    waves = _wave_labels(table, wave, baseline, endline, what)
    _require_complete(table, within, what)
    groups = _groups(table[within], table[id])
    status = _statuses(groups, waves == baseline)
    panel = table.copy()
    linked = status == LINK_STATUSES.index("linked")
    panel["unit_id"] = _unit_ids(groups, linked)
    panel["linked"] = linked
    panel["link_status"] = pd.Categorical.from_codes(status, categories=list(LINK_STATUSES))
    summary = _summary(panel, status, waves == baseline, within, arm, baseline, endline)
    return PanelLink(panel.reset_index(drop=True), summary)


def _wave_labels(
    table: pd.DataFrame, wave: str, baseline: str, endline: str, what: str
) -> np.ndarray:
    values = table[wave].astype("string")
    missing = values.isna()
    if missing.any():
        rows = list(table.index[missing])
        raise DataError(
            f"{what}, column '{wave}': {int(missing.sum())} rows have no survey round (rows "
            f"{format_values(rows)}); every row must be '{baseline}' or '{endline}'"
        )
    other = ~values.isin([baseline, endline])
    if other.any():
        found = sorted(set(values[other]))
        raise DataError(
            f"{what}, column '{wave}': found {format_values(found)}, expected only "
            f"'{baseline}' and '{endline}'; keep the two rounds to link (or pass baseline=, "
            "endline=)"
        )
    return values.to_numpy(dtype=object)


def _require_complete(table: pd.DataFrame, column: str, what: str) -> None:
    missing = table[column].isna()
    if missing.any():
        rows = list(table.index[missing])
        raise DataError(
            f"{what}, column '{column}': {int(missing.sum())} rows have no value (rows "
            f"{format_values(rows)}); codes are matched within '{column}', so it must be filled"
        )


def _groups(within: pd.Series, code: pd.Series) -> np.ndarray:
    """Group number of each row's (school, code) pair; -1 where the code is missing or blank.

    Codes are compared as text with surrounding spaces removed.
    """
    text = code.astype("string").str.strip()
    text = text.mask(text == "")
    school, _ = pd.factorize(within.astype("string"))
    codes, _ = pd.factorize(text)
    has = codes >= 0
    pair = school.astype(np.int64) * (int(codes.max(initial=-1)) + 1) + codes
    groups = np.full(len(code), -1, dtype=np.int64)
    groups[has], _ = pd.factorize(pair[has])
    return groups


def _statuses(groups: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Link status of each row (a position in :data:`LINK_STATUSES`) from the counts of its
    group in its own and in the other wave."""
    has = groups >= 0
    size = int(groups.max()) + 1 if has.any() else 0
    n_base = np.bincount(groups[has], weights=base[has], minlength=size)
    n_end = np.bincount(groups[has], weights=~base[has], minlength=size)
    same, other = np.zeros(len(groups)), np.zeros(len(groups))
    same[has] = np.where(base[has], n_base[groups[has]], n_end[groups[has]])
    other[has] = np.where(base[has], n_end[groups[has]], n_base[groups[has]])
    code = {name: k for k, name in enumerate(LINK_STATUSES)}
    status = np.full(len(groups), code["no_code"], dtype=np.int8)
    status[has & (same > 1)] = code["duplicate_code"]
    unique = has & (same == 1)
    status[unique & (other == 1)] = code["linked"]
    status[unique & (other > 1)] = code["ambiguous"]
    status[unique & (other == 0)] = code["unmatched"]
    return status


def _unit_ids(groups: np.ndarray, linked: np.ndarray) -> pd.array:
    """A linked pair shares one id; every other row gets its own. Ids follow row order."""
    key = np.where(linked, groups, groups.max(initial=0) + 1 + np.arange(len(groups)))
    number, _ = pd.factorize(key, sort=False)
    text = pd.Series(number + 1).astype(str).str.zfill(6)
    return pd.array("U" + text, dtype="string")


def _summary(
    panel: pd.DataFrame,
    status: np.ndarray,
    base: np.ndarray,
    within: str,
    arm: str | None,
    baseline: str,
    endline: str,
) -> pd.DataFrame:
    is_linked = status == LINK_STATUSES.index("linked")
    columns = {"n_baseline": base, "n_endline": ~base, "linked": is_linked & base}
    for value, stem in _STATUS_COLUMN.items():
        this = status == LINK_STATUSES.index(value)
        columns[f"{stem}_baseline"] = this & base
        columns[f"{stem}_endline"] = this & ~base
    flags = pd.DataFrame({k: v.astype(np.int64) for k, v in columns.items()})
    blocks = [_counts(flags, None, "all")]
    if arm:
        blocks.append(_counts(flags, panel[arm], "arm"))
    blocks.append(_counts(flags, panel[within], "school"))
    summary = pd.concat(blocks, ignore_index=True)
    summary = summary[["by", "group", *SUMMARY_COUNTS]]
    with np.errstate(divide="ignore", invalid="ignore"):
        summary["link_rate"] = np.where(
            summary["n_baseline"] > 0, summary["linked"] / summary["n_baseline"], np.nan
        )
    summary.attrs["notes"] = (
        f"codes matched within {within}; linked counts baseline-endline pairs; "
        f"n_<wave> = linked + unmatched + duplicate + ambiguous + no_code "
        f"('{baseline}', '{endline}')",
    )
    return summary


def _counts(flags: pd.DataFrame, by: pd.Series | None, name: str) -> pd.DataFrame:
    if by is None:
        out = flags.sum().to_frame().T
        out.insert(0, "group", "all")
    else:
        labels = by.astype("string").fillna("(missing)").to_numpy(dtype=object)
        out = flags.groupby(labels, sort=True).sum()
        out.insert(0, "group", out.index.astype(str))
    out.insert(0, "by", name)
    return out.reset_index(drop=True)


def wide_panel(
    panel: pd.DataFrame,
    outcomes: str | Sequence[str],
    *,
    keep: str | Sequence[str] = (),
    unit: str = "unit_id",
    wave: str = "wave",
    baseline: str = "baseline",
    endline: str = "endline",
) -> pd.DataFrame:
    """One row per unit with its baseline and endline outcomes side by side.

    Parameters
    ----------
    panel : DataFrame
        Long panel with at most one row per unit and wave (``link_waves(...).panel``).
    outcomes : str or list of str
        Columns to put side by side: ``<outcome>_baseline`` and ``<outcome>_endline``.
    keep : str or list of str
        Unit-level columns (school, arm, weight, sex, age, covariates): the baseline value
        where the unit was seen at baseline, otherwise the endline value.
    unit, wave, baseline, endline : str
        Unit id column, wave column and the codes of the two rounds.

    Returns
    -------
    DataFrame
        ``unit`` first, then ``keep``, the outcome pairs, ``in_baseline``, ``in_endline``,
        ``linked`` (seen in both) and ``attrited`` (``Int64``: 1 = seen at baseline but not
        at endline, 0 = seen in both, NA for units seen only at endline). Units seen at
        baseline come first, in their order, then endline-only units. For ANCOVA use the
        rows with an endline outcome; for the attrition analysis the rows with
        ``in_baseline``.

    Raises
    ------
    DataError
        Missing columns, or a unit with more than one row in a wave.

    Notes
    -----
    ``attrited`` is "not linked at endline": in an anonymous panel it includes students who
    changed their code (see :func:`link_waves`).
    """
    outcomes, keep = as_list(outcomes), [c for c in as_list(keep) if c != unit]
    what = "wide_panel()"
    require_columns(panel, [unit, wave, *outcomes, *keep], what=f"{what} panel")
    labels = panel[wave].astype("string")
    parts = {}
    for name in (baseline, endline):
        rows = panel[(labels == name).fillna(False).to_numpy()]
        _require_unique(rows, unit, name, what)
        parts[name] = rows.set_index(unit)[[*keep, *outcomes]]
    base, end = parts[baseline], parts[endline]
    units = base.index.append(end.index.difference(base.index, sort=False))
    base, end = base.reindex(units), end.reindex(units)
    in_base = units.isin(parts[baseline].index)
    in_end = units.isin(parts[endline].index)
    out = pd.DataFrame(index=units)
    for column in keep:
        out[column] = base[column].where(in_base, end[column])
    for column in outcomes:
        out[f"{column}_{baseline}"] = base[column]
        out[f"{column}_{endline}"] = end[column]
    out["in_baseline"] = in_base
    out["in_endline"] = in_end
    out["linked"] = in_base & in_end
    attrited = pd.array(np.where(in_end, 0, 1), dtype="Int64")
    attrited[~in_base] = pd.NA
    out["attrited"] = attrited
    out.index.name = unit
    return out.reset_index()


def _require_unique(rows: pd.DataFrame, unit: str, name: str, what: str) -> None:
    repeated = rows[unit][rows[unit].duplicated(keep=False)]
    if len(repeated):
        raise DataError(
            f"{what}: {repeated.nunique()} {unit} value(s) have more than one '{name}' row "
            f"({format_values(list(dict.fromkeys(repeated)))}); a panel has one row per unit "
            "and wave; link the waves with link_waves() first"
        )
