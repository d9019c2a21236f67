"""Trainings held, the people they reached and who completed them (Kirkpatrick's reach).

Everything starts from the logframe view ``training_participants``: one row per participant
and training, with the hours attended, the training's hours, ``hours_share`` and
``completed`` (attended at least 80% of the hours, the rule of indicator OP2.1).

* :func:`add_roles` brings the participant's role in from the knowledge tests (the attendance
  register does not ask it).
* :func:`trainings_held` gives one row per training.
* :func:`completion` gives the share of participations completed, overall or by group.
* :func:`people_by` counts people (each once) by their characteristics.

Attendance is a register: it records everyone, so counts are exact. A share completed gets
the Clopper-Pearson interval that the logframe gives register proportions
(:func:`evaluation.indicators.estimate.register_estimates`, R ``binom.test``): it describes
the uncertainty about the completion rate of the process behind a small group, not a
sampling error.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaluation.errors import DataError, format_values
from evaluation.indicators.estimate import register_estimates
from evaluation.results import ResultInfo, make_result
from evaluation.validation import as_list, require_columns

TOTAL = "All"
"""Label of total rows (one of :data:`evaluation.privacy.disclosure.TOTAL_LABELS`)."""

NOT_RECORDED = "not_recorded"
"""Group of people whose characteristic was not recorded."""

PARTICIPANT, TRAINING = "participant_code", "training_id"


def add_roles(
    participants: pd.DataFrame,
    tests: pd.DataFrame,
    *,
    participant: str = PARTICIPANT,
    training: str = TRAINING,
    role: str = "role",
) -> pd.DataFrame:
    """A copy of ``participants`` with the ``role`` each one gave in the knowledge test.

    Parameters
    ----------
    participants : DataFrame
        One row per participant and training (view ``training_participants``).
    tests : DataFrame
        Knowledge tests (``training_knowledge_test``) with ``participant``, ``training`` and
        ``role`` columns.

    Returns
    -------
    DataFrame
        ``participants`` with ``role`` (string): the most frequent role in the participant's
        tests of that training; failing that, in all their tests; else missing.

    Raises
    ------
    DataError
        A column is missing.
    """
    require_columns(participants, [participant, training], what="training participants")
    require_columns(tests, [participant, training, role], what="knowledge tests")
    answered = tests[[participant, training, role]].dropna()
    answered = answered.assign(**{role: answered[role].astype("string")})
    same = answered.groupby([training, participant], observed=True)[role].agg(_most_frequent)
    anywhere = answered.groupby(participant, observed=True)[role].agg(_most_frequent)
    out = participants.drop(columns=[role], errors="ignore").copy()
    keys = pd.MultiIndex.from_frame(out[[training, participant]])
    found = pd.Series(same.reindex(keys).to_numpy(), index=out.index, dtype="string")
    fallback = pd.Series(
        anywhere.reindex(out[participant]).to_numpy(), index=out.index, dtype="string"
    )
    out[role] = found.fillna(fallback)
    return out


def trainings_held(
    participants: pd.DataFrame, *, total: bool = True, level: float = 0.95
) -> pd.DataFrame:
    """One row per training: course, dates, sessions, hours, participants and completion.

    Parameters
    ----------
    participants : DataFrame
        View ``training_participants``.
    total : bool
        Add a last row ``training_id == "All"``: every training together (sessions and
        hours summed, first and last day, participations, completion over them).
    level : float
        Confidence level of the completion share's interval.

    Returns
    -------
    DataFrame
        ``training_id, course, start_date, end_date``, then ``estimate`` (share of
        participants who completed), ``se, ci_low, ci_high`` (Clopper-Pearson), ``p_value``
        (NaN), ``df`` (NaN), ``n`` (participants), then ``completed`` (people),
        ``sessions_held``, ``training_hours``, ``hours_share_mean`` (mean share of the hours
        attended). Ordered by start date; ``n`` of the total row counts participations
        (a person in two trainings counts twice).
    """
    _require_view(participants)
    keys = [TRAINING]
    facts = participants.groupby(keys, observed=True).agg(
        course=("course", "first"),
        start_date=("start_date", "min"),
        end_date=("end_date", "max"),
        sessions_held=("sessions_held", "max"),
        training_hours=("training_hours", "max"),
        completed=("completed", "sum"),
        hours_share_mean=("hours_share", lambda s: s.astype(float).mean()),
    )
    shares = _shares(participants, keys, level).set_index(keys)
    table = facts.join(shares).reset_index().sort_values(["start_date", TRAINING], kind="stable")
    table["course"] = table["course"].astype("string")
    if total and len(table):
        overall = _shares(participants, [], level).iloc[0].to_dict()
        table.loc[len(table)] = {
            **overall,
            TRAINING: TOTAL,
            "course": pd.NA,
            "start_date": table["start_date"].min(),
            "end_date": table["end_date"].max(),
            "sessions_held": table["sessions_held"].sum(),
            "training_hours": table["training_hours"].sum(),
            "completed": table["completed"].sum(),
            "hours_share_mean": participants["hours_share"].astype(float).mean(),
        }
    table["completed"] = table["completed"].astype("Int64")
    table["sessions_held"] = table["sessions_held"].astype("Int64")
    info = ResultInfo(
        estimator="capacity.trainings_held",
        method="share of participants attending at least the completion share of hours",
        level=level,
        vcov="Clopper-Pearson (exact binomial) interval",
        n_obs=len(participants),
        reference="R binom.test",
    )
    return make_result(
        table.reset_index(drop=True),
        info,
        id_columns=[TRAINING, "course", "start_date", "end_date"],
    )


def completion(
    participants: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    *,
    total: bool = True,
    level: float = 0.95,
) -> pd.DataFrame:
    """Share of participations (participant x training) completed, overall or by group.

    Parameters
    ----------
    participants : DataFrame
        View ``training_participants`` (``completed`` 1/0, ``hours_share``).
    by : str or list of str, optional
        Columns to split by (``course``, ``sex``, ``institution`` ...). A missing value is
        the group :data:`NOT_RECORDED`.
    total : bool
        With ``by``: add a row for everyone, labelled :data:`TOTAL` in every ``by`` column.
    level : float
        Confidence level.

    Returns
    -------
    DataFrame
        ``by`` columns, then ``estimate`` (share completed), ``se`` (binomial),
        ``ci_low, ci_high`` (Clopper-Pearson), ``p_value`` and ``df`` (NaN), ``n``
        (participations), then ``completed`` (participations completed), ``people`` (distinct
        participants) and ``hours_share_mean`` (mean share of the training's hours attended).

    Notes
    -----
    With :math:`k` completions out of :math:`n`, the estimate is :math:`k/n`, the SE
    :math:`\\sqrt{p(1-p)/n}` and the interval
    :math:`[B(\\alpha/2; k, n-k+1), B(1-\\alpha/2; k+1, n-k)]` (R ``binom.test``).
    """
    _require_view(participants)
    columns = as_list(by)
    require_columns(participants, columns, what="training participants")
    data = _fill_groups(participants, columns)
    parts = [_completion_rows(data, columns, level)]
    if columns and total:
        everyone = data.assign(**dict.fromkeys(columns, TOTAL))
        parts.append(_completion_rows(everyone, columns, level))
    table = _in_choice_order(pd.concat(parts, ignore_index=True), participants, columns)
    info = ResultInfo(
        estimator="capacity.completion",
        method="share of participations with at least the completion share of hours attended",
        level=level,
        vcov="Clopper-Pearson (exact binomial) interval; binomial SE",
        n_obs=len(participants),
        reference="R binom.test",
    )
    return make_result(table, info, id_columns=columns)


def people_by(
    participants: pd.DataFrame,
    dimensions: Sequence[str],
    *,
    merge_below: int = 0,
    merge: Sequence[str] = ("institution", "role", "admin_unit"),
    other: str = "other_merged",
) -> pd.DataFrame:
    """People reached (each counted once) by each characteristic, with a total per block.

    Parameters
    ----------
    participants : DataFrame
        View ``training_participants`` (with ``role`` from :func:`add_roles` if wanted).
    dimensions : sequence of str
        Characteristics (columns), e.g. ``["institution", "role", "sex", "age_band"]``.
    merge_below : int
        In the ``merge`` dimensions, groups with fewer people than this are merged into
        ``other`` before counting (``evaluation.privacy.merge_small_categories``), as the
        domain brief advises before suppressing; 0 merges nothing.
    merge : sequence of str
        Dimensions with many small groups that may be merged.
    other : str
        Code of the merged group.

    Returns
    -------
    DataFrame
        ``characteristic, group``, then ``estimate`` (people), ``se, ci_low, ci_high,
        p_value, df`` (NaN: a register count), ``n`` (people), then ``share`` (of everyone
        in the block) and ``merged`` (the groups merged into ``other``, ";"-separated). The
        block's last row is ``group == "All"``.

    Notes
    -----
    A person who took several trainings is counted once, with the characteristics recorded
    at their most recent training, so the groups of a block add up to its total.
    """
    from evaluation.privacy import merge_small_categories

    _require_view(participants)
    require_columns(participants, list(dimensions), what="training participants")
    people = _latest_per_person(participants)
    blocks = []
    for dimension in dimensions:
        values = _fill_groups(people, [dimension])[dimension]
        merged: list[str] = []
        if merge_below and dimension in merge:
            coarse = merge_small_categories(values, threshold=merge_below, other_label=other)
            values, merged = coarse.values.astype("string"), sorted(map(str, coarse.mapping))
        counts = values.value_counts(sort=False)
        counts = counts[counts > 0]
        order = [g for g in _categories(participants[dimension], other) if g in counts.index]
        counts = counts.reindex(order + [g for g in counts.index if g not in order])
        block = pd.DataFrame({"characteristic": dimension, "group": [*counts.index, TOTAL]}).assign(
            estimate=[*counts.to_numpy(dtype=float), float(counts.sum())]
        )
        block["n"] = block["estimate"].astype("int64")
        block["share"] = block["estimate"] / float(counts.sum()) if counts.sum() else np.nan
        block["merged"] = ";".join(merged)
        blocks.append(block)
    info = ResultInfo(
        estimator="capacity.people_by",
        method="distinct participants by characteristic (latest record of each person)",
        n_obs=len(people),
        notes=(f"groups with fewer than {merge_below} people merged in {', '.join(merge)}",)
        if merge_below
        else (),
    )
    return make_result(pd.concat(blocks, ignore_index=True), info, ["characteristic", "group"])


def people_crosstab(
    participants: pd.DataFrame,
    rows: str,
    columns: str,
    *,
    merge_below: int = 0,
    other: str = "other_merged",
) -> pd.DataFrame:
    """People (each once) by two characteristics, e.g. institution x sex, with margins.

    Groups of ``rows`` with fewer than ``merge_below`` people in any group of ``columns``
    are merged into ``other`` first (``merge_small_categories(..., within=...)``), so fewer
    cells need suppressing afterwards.

    Returns
    -------
    DataFrame
        Counts: one row per ``rows`` group plus ``"All"``, one column per ``columns`` group
        plus ``"All"`` (``pd.crosstab(..., margins=True)``); ``attrs["merged"]`` lists the
        merged groups.
    """
    from evaluation.privacy import merge_small_categories

    _require_view(participants)
    require_columns(participants, [rows, columns], what="training participants")
    people = _fill_groups(_latest_per_person(participants), [rows, columns])
    row_values, merged = people[rows].astype("string"), []
    if merge_below:
        coarse = merge_small_categories(
            row_values, threshold=merge_below, other_label=other, within=people[columns]
        )
        row_values, merged = coarse.values.astype("string"), sorted(map(str, coarse.mapping))
    table = pd.crosstab(
        row_values.rename(rows),
        people[columns].astype("string").rename(columns),
        margins=True,
        margins_name=TOTAL,
    )
    row_order = [g for g in _categories(participants[rows], other) if g in table.index]
    col_order = [g for g in _categories(participants[columns], other) if g in table.columns]
    table = table.reindex(index=[*row_order, TOTAL], columns=[*col_order, TOTAL])
    table.attrs["merged"] = merged
    return table


# --------------------------------------------------------------------------- helpers
def _require_view(participants: pd.DataFrame) -> None:
    require_columns(
        participants,
        [TRAINING, PARTICIPANT, "completed", "hours_share"],
        what="training participants (view training_participants)",
    )
    bad = participants["completed"].dropna()
    bad = bad[~bad.isin([0, 1])]
    if len(bad):
        raise DataError(
            f"training participants, column 'completed': values {format_values(list(bad))} "
            "are not 0 or 1; build the table with the logframe view training_participants"
        )


def _shares(data: pd.DataFrame, by: list[str], level: float) -> pd.DataFrame:
    work = pd.DataFrame({"_y": data["completed"], "_pop": True})
    for column in by:
        work[column] = data[column].astype(object)
    return register_estimates(work, "proportion", by, "exact", level)


def _completion_rows(data: pd.DataFrame, by: list[str], level: float) -> pd.DataFrame:
    shares = _shares(data, by, level)
    keys = by or None
    grouped = data.groupby(keys, observed=True, sort=False) if keys else None
    if grouped is None:
        extra = pd.DataFrame(
            {
                "completed": [data["completed"].sum()],
                "people": [data[PARTICIPANT].nunique()],
                "hours_share_mean": [data["hours_share"].astype(float).mean()],
            }
        )
        return pd.concat([shares.reset_index(drop=True), extra], axis=1)
    extra = grouped.agg(
        completed=("completed", "sum"),
        people=(PARTICIPANT, "nunique"),
        hours_share_mean=("hours_share", lambda s: s.astype(float).mean()),
    ).reset_index()
    for column in by:
        extra[column] = extra[column].astype(object)
    return shares.merge(extra, on=by, how="left")


def _fill_groups(data: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    out = data.copy()
    for column in columns:
        out[column] = out[column].astype("string").fillna(NOT_RECORDED)
    return out


def _in_choice_order(table: pd.DataFrame, source: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Rows in the choice-list order of each ``by`` column, totals last."""
    if not columns:
        return table
    ranks = []
    for column in columns:
        order = [*_categories(source[column], ""), TOTAL]
        ranks.append(table[column].map(lambda v, o=order: o.index(v) if v in o else len(o)))
    keys = pd.concat(ranks, axis=1, keys=range(len(ranks)))
    return table.loc[keys.sort_values(list(range(len(ranks))), kind="stable").index].reset_index(
        drop=True
    )


def _latest_per_person(participants: pd.DataFrame) -> pd.DataFrame:
    order = participants.sort_values(["end_date", TRAINING], kind="stable")
    return order.groupby(PARTICIPANT, observed=True, sort=False).tail(1).reset_index(drop=True)


def _categories(series: pd.Series, other: str) -> list[str]:
    """Groups in choice-list order (categorical) or sorted, then not recorded, then merged."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = [str(c) for c in series.cat.categories]
    else:
        codes = sorted(series.dropna().astype(str).unique())
    return [*codes, NOT_RECORDED, other]


def _most_frequent(values: pd.Series) -> object:
    counts = values.value_counts()
    return counts.index[0] if len(counts) else pd.NA
