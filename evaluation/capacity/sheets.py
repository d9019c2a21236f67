"""The capacity-building report's donor workbook.

:func:`write_donor_workbook` writes, through :class:`evaluation.report.donor.DonorWorkbook`
(which protects every table and adds the About sheet), the Logframe sheet of the capacity
and partnership indicators, their disaggregations by sex, institution, course and domain
(for the period the Logframe sheet shows), and one sheet per table of the report: trainings,
people reached, institution by sex, completion, knowledge, items, reaction and the
scorecard. Codes are shown with the questionnaires' labels in the workbook's language.

Small cells: every table about people is passed with its ``n`` and its grid (``by``), so
values based on fewer than ``min_cell_size`` people are hidden with secondary suppression
(:func:`evaluation.report.donor.protect`), exactly as in the HTML. The scorecard describes
institutions, not people; its small types are merged before (``scorecard_min_institutions``).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from evaluation.capacity.data import CapacityData
from evaluation.capacity.present import (
    NAMESPACES,
    PROTECTION,
    characteristic_label,
    code_label,
    code_labels,
    completed_header,
    crosstab_long,
    item_number,
    knowledge_wide,
    scorecard_wide,
    text,
    threshold_header,
)
from evaluation.capacity.training import TOTAL
from evaluation.indicators import disaggregation_table
from evaluation.report.donor import TOTAL as DONOR_TOTAL
from evaluation.report.donor import DonorWorkbook

DIMENSIONS = ("sex", "institution", "course", "domain")
"""Logframe disaggregations written for the capacity indicators."""

SOURCES = ("training_participants", "knowledge_pairs", "capacity_domains")
"""Disaggregation sheets are written for the indicators computed from the training and
scorecard data (the DV indicators OC2.3 and OC2.4 are disaggregated in the monitoring
report's workbook)."""

NOT_FOR_INSTITUTIONS = ("OC2.1",)
"""Indicators not split by institution type here: the scorecard's small types are merged
in the scorecard sheets instead (the rule of 10 counts people, not institutions)."""


def write_donor_workbook(
    run: Any,
    data: CapacityData,
    path: str | Path,
    *,
    trainings: pd.DataFrame,
    people: pd.DataFrame,
    crosstab: pd.DataFrame,
    completion: pd.DataFrame,
    knowledge: pd.DataFrame,
    items: pd.DataFrame,
    reaction: pd.DataFrame,
    scores: Mapping[str, tuple[pd.DataFrame, pd.DataFrame]],
    itt: pd.DataFrame,
    by: str = "course",
) -> DonorWorkbook:
    """Write the donor workbook of a capacity run; return it (saved at ``path``).

    Parameters
    ----------
    run : NotebookRun
        The run (language, run id, period, ``min_cell_size``, notes and inputs).
    data : CapacityData
    path : path
        Where to save (``run.output_path("donor_workbook.xlsx")``).
    trainings, people, crosstab, completion, knowledge, items, reaction
        The report's tables (:func:`~evaluation.capacity.training.trainings_held`,
        :func:`~evaluation.capacity.training.people_by`,
        :func:`~evaluation.capacity.training.people_crosstab`,
        :func:`~evaluation.capacity.training.completion` by ``by``,
        :func:`~evaluation.capacity.knowledge.knowledge_change` by ``by``,
        :func:`~evaluation.capacity.knowledge.item_change`,
        :func:`~evaluation.capacity.knowledge.reaction_scores`).
    scores : mapping
        ``{"domain": (scores, changes), "institution_group": (scores, changes)}`` from
        :func:`~evaluation.capacity.scorecard.scorecard_scores` and
        :func:`~evaluation.capacity.scorecard.scorecard_change`.
    itt : DataFrame
        :func:`evaluation.indicators.logframe_table` (every indicator; the report's are kept).

    Returns
    -------
    DonorWorkbook
    """
    book = DonorWorkbook.for_run(run, instruments=data.instruments, unit="people")
    chosen = itt[itt["id"].isin(data.indicators)].reset_index(drop=True)
    book.add_logframe(chosen, chart=False)
    _disaggregations(book, data, chosen)
    _trainings(book, data, trainings)
    _people(book, data, people)
    _crosstab(book, data, crosstab)
    _completion(book, data, completion, by)
    _knowledge(book, data, knowledge, by)
    _items(book, data, items)
    _reaction(book, data, reaction)
    for group, (table, changes) in scores.items():
        _scorecard(book, data, table, changes, group)
    book.save(path)
    return book


# --------------------------------------------------------------------------- sheets
def _disaggregations(book: DonorWorkbook, data: CapacityData, itt: pd.DataFrame) -> None:
    logframe = data.logframe
    periods = dict(zip(itt["id"], itt["period"], strict=True))
    for dimension in DIMENSIONS:
        ids = [
            i
            for i in itt["id"]
            if logframe.indicator(i).computable
            and logframe.indicator(i).definition.table in SOURCES
            and dimension in logframe.indicator(i).disaggregations
            and not (dimension == "institution" and i in NOT_FOR_INSTITUTIONS)
            and isinstance(periods.get(i), str)
        ]
        if not ids:
            continue
        table = disaggregation_table(
            logframe, data.tables, dimension, ids=ids, language=data.language
        )
        table = table[table["period"] == table["indicator"].map(periods)].reset_index(drop=True)
        if table.empty:
            continue
        table[dimension] = table[dimension].astype("string")
        label = str(logframe.dimensions[dimension].label.get(data.language, dimension))
        column = "domain" if dimension == "domain" else dimension
        book.add_disaggregation(
            table,
            dimension,
            dimension_label=label,
            labels={dimension: _labels(data, column, table[dimension], "all")},
        )


def _trainings(book: DonorWorkbook, data: CapacityData, table: pd.DataFrame) -> None:
    book.add_table(
        text(data, "workbook.trainings"),
        table,
        title=text(data, "workbook.trainings_title"),
        columns=[
            "training_id",
            "course",
            "start_date",
            "end_date",
            "sessions_held",
            "training_hours",
            "n",
            "completed",
            "estimate",
            "ci_low",
            "ci_high",
        ],
        **PROTECTION["trainings"],  # the HTML table's protection, so both hide the same
        formats=_formats(
            start_date="date",
            end_date="date",
            sessions_held="count",
            training_hours="0.0",
            n="count",
            completed="count",
            estimate="percent",
            ci_low="percent",
            ci_high="percent",
        ),
        headers={
            "n": text(data, "columns.participants"),
            "completed": completed_header(data),
            "estimate": text(data, "columns.completion_share"),
        },
        labels={
            "training_id": {TOTAL: text(data, "totals.trainings")},
            "course": _labels(data, "course", table["course"]),
        },
        namespaces=NAMESPACES,
        freeze_columns=1,
    )


def _people(book: DonorWorkbook, data: CapacityData, table: pd.DataFrame) -> None:
    groups: dict[Hashable, str] = {}
    for characteristic, group in zip(table["characteristic"], table["group"], strict=True):
        groups.setdefault(group, code_label(data, characteristic, group, "participants"))
    book.add_table(
        text(data, "workbook.people"),
        table,
        title=text(data, "workbook.people_title"),
        columns=["characteristic", "group", "n", "share"],
        **PROTECTION["people"],
        formats={"n": "count", "share": "percent"},
        headers={"n": text(data, "columns.people")},
        labels={
            "characteristic": {c: characteristic_label(data, c) for c in data.dimensions},
            "group": groups,
        },
        namespaces=NAMESPACES,
    )


def _crosstab(book: DonorWorkbook, data: CapacityData, table: pd.DataFrame) -> None:
    rows, columns = table.index.name, table.columns.name
    long = crosstab_long(table)
    book.add_table(
        text(data, "workbook.institution_sex"),
        long,
        title=text(data, "workbook.institution_sex_title"),
        n="n",
        by=[rows, columns],
        split_by=[],
        hide=["n"],
        formats={"n": "count"},
        headers={
            rows: characteristic_label(data, rows),
            columns: characteristic_label(data, columns),
            "n": text(data, "columns.people"),
        },
        labels={
            rows: _labels(data, rows, long[rows], "participants"),
            columns: _labels(data, columns, long[columns], "people"),
        },
        namespaces=NAMESPACES,
    )


def _completion(book: DonorWorkbook, data: CapacityData, table: pd.DataFrame, by: str) -> None:
    book.add_table(
        text(data, "workbook.completion"),
        table,
        title=text(data, "workbook.completion_title"),
        columns=[
            by,
            "n",
            "people",
            "completed",
            "estimate",
            "ci_low",
            "ci_high",
            "hours_share_mean",
        ],
        n="n",
        by=by,
        hide=["people", "completed", "estimate", "se", "ci_low", "ci_high", "hours_share_mean"],
        formats=_formats(
            n="count",
            people="count",
            completed="count",
            estimate="percent",
            ci_low="percent",
            ci_high="percent",
            hours_share_mean="percent",
        ),
        headers={
            "n": text(data, "columns.participations"),
            "completed": completed_header(data),
            "estimate": text(data, "columns.completion_share"),
        },
        labels={by: _labels(data, by, table[by], "all")},
        namespaces=NAMESPACES,
    )


def _knowledge(book: DonorWorkbook, data: CapacityData, table: pd.DataFrame, by: str) -> None:
    wide = knowledge_wide(table, by)
    columns = [
        by,
        "n",
        "mean_pre",
        "mean_post",
        "change",
        "ci_low",
        "ci_high",
        "p_t",
        "p_wilcoxon",
        "d_z",
        "g_av",
        "gain",
        "threshold_share",
    ]
    name = book.add_table(
        text(data, "workbook.knowledge"),
        wide,
        title=text(data, "workbook.knowledge_title"),
        columns=columns,
        n="n",
        by=by,
        hide=[c for c in columns if c != by],
        formats=_formats(
            n="count",
            mean_pre="0.0",
            mean_post="0.0",
            change="0.0",
            ci_low="0.0",
            ci_high="0.0",
            p_t="p_value",
            p_wilcoxon="p_value",
            d_z="0.00",
            g_av="0.00",
            gain="0.00",
            threshold_share="percent",
        ),
        headers={"n": text(data, "columns.pairs"), "threshold_share": threshold_header(data)},
        labels={by: _labels(data, by, wide[by], "all")},
        namespaces=NAMESPACES,
    )
    book.add_chart(
        name,
        x=by,
        y=["mean_pre", "mean_post"],
        title=text(data, "figures.knowledge_title"),
        y_title=text(data, "figures.score_axis"),
        anchor=_below(book, name),
    )


def _items(book: DonorWorkbook, data: CapacityData, table: pd.DataFrame) -> None:
    frame = table.assign(
        number=[item_number(i) for i in table["item"]],
        question=[code_label(data, "item", i) for i in table["item"]],
    )
    columns = [
        "number",
        "question",
        "share_pre",
        "share_post",
        "estimate",
        "ci_low",
        "ci_high",
        "p_value",
        "p_value_adj",
        "n",
        "outcome",
    ]
    book.add_table(
        text(data, "workbook.items"),
        frame,
        title=text(data, "workbook.items_title"),
        columns=columns,
        n="n",
        keep=["number", "question"],
        formats=_formats(
            share_pre="percent",
            share_post="percent",
            estimate="percent",
            ci_low="percent",
            ci_high="percent",
            p_value="p_value",
            p_value_adj="p_value",
            n="count",
        ),
        headers={
            "question": text(data, "columns.item"),
            "estimate": text(data, "columns.change_points"),
            "n": text(data, "columns.pairs"),
        },
        labels={"outcome": {o: text(data, f"outcomes.{o}") for o in set(table["outcome"])}},
        namespaces=NAMESPACES,
        wrap=["question"],
    )


def _reaction(book: DonorWorkbook, data: CapacityData, table: pd.DataFrame) -> None:
    rows = table[table["course"] == TOTAL] if "course" in table.columns else table
    mean = rows[rows["statistic"] == "mean"].reset_index(drop=True)
    share = rows[rows["statistic"] == "share_agree"].reset_index(drop=True)
    wide = mean[["item", "estimate", "ci_low", "ci_high", "n"]].assign(
        share_agree=share["estimate"].to_numpy(),
        question=[code_label(data, "item", i) for i in mean["item"]],
    )
    book.add_table(
        text(data, "workbook.reaction"),
        wide,
        title=text(data, "workbook.reaction_title"),
        columns=["question", "estimate", "ci_low", "ci_high", "share_agree", "n"],
        n="n",
        keep=["item", "question"],
        formats=_formats(
            estimate="0.00", ci_low="0.00", ci_high="0.00", share_agree="percent", n="count"
        ),
        headers={
            "question": text(data, "columns.item"),
            "estimate": text(data, "columns.mean_score"),
            "share_agree": text(data, "columns.agree_rule", value=str(data.rules.agree_from)),
            "n": text(data, "columns.answers"),
        },
        namespaces=NAMESPACES,
        wrap=["question"],
    )


def _scorecard(
    book: DonorWorkbook,
    data: CapacityData,
    scores: pd.DataFrame,
    changes: pd.DataFrame,
    by: str,
) -> None:
    wide = scorecard_wide(scores, changes, by)
    rounds = [c for c in wide.columns if c.startswith("round_")]
    change = [
        c
        for c in ("change_estimate", "change_ci_low", "change_ci_high", "change_p_value")
        if c in wide.columns
    ]
    headers = {c: code_label(data, "round", c.removeprefix("round_")) for c in rounds}
    if change:
        headers["change_estimate"] = text(
            data,
            "columns.change_between",
            first=code_label(data, "round", wide["change_from_round"].iloc[0]),
            last=code_label(data, "round", wide["change_to_round"].iloc[0]),
        )
        headers.update(
            change_ci_low=t_header(data, "ci_low"),
            change_ci_high=t_header(data, "ci_high"),
            change_p_value=t_header(data, "p_value"),
        )
    total = "domains" if by == "domain" else "institutions"
    key = "scorecard" if by == "domain" else "scorecard_types"
    name = book.add_table(
        text(data, f"workbook.{key}"),
        wide,
        title=text(data, f"workbook.{key}_title"),
        notes=[text(data, "workbook.institutions_note", minimum=str(data.rules.min_institutions))],
        columns=[by, *rounds, *change, "institutions"],
        n=None,
        formats={
            **dict.fromkeys(rounds, "0.00"),
            **dict.fromkeys([c for c in change if c != "change_p_value"], "0.00"),
            **({"change_p_value": "p_value"} if change else {}),
            "institutions": "count",
        },
        headers=headers,
        labels={by: _labels(data, by, wide[by], total)},
        namespaces=NAMESPACES,
    )
    book.add_chart(
        name,
        x=by,
        y=rounds,
        title=text(data, "figures.scorecard_title"),
        y_title=text(data, "figures.scorecard_axis"),
        anchor=_below(book, name),
    )


# --------------------------------------------------------------------------- helpers
def _labels(
    data: CapacityData, column: str, codes: Iterable[Hashable], total: str = "all"
) -> dict[Hashable, str]:
    """Labels of the codes of ``column``; ``"total"`` (the indicators' total rows) as the
    donor workbook's "Total"."""
    labels = code_labels(data, column, [c for c in codes if pd.notna(c)], total)
    if DONOR_TOTAL in labels:
        labels[DONOR_TOTAL] = t_header(data, "total").strip()
    return labels


def _below(book: DonorWorkbook, sheet: str) -> str:
    """The cell under a sheet's table and footnotes where a chart goes (so a page printed one
    page wide is not shrunk by a chart beside the table)."""
    return f"A{book.workbook.layouts[sheet].last_row + 5}"


def _formats(**formats: str) -> dict[str, str]:
    return formats


def t_header(data: CapacityData, key: str) -> str:
    """A donor-workbook text (``donor.columns.<key>``, or ``donor.total``) in the workbook's
    language."""
    from evaluation.report.labels import t

    return t("donor.total" if key == "total" else f"donor.columns.{key}", data.language)
