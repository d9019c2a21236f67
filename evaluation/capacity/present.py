"""The capacity-building report's tables, in the report's language (figures: ``charts``).

Each function takes a table computed by :mod:`evaluation.capacity` and the report's
:class:`~evaluation.capacity.data.CapacityData`, and returns what a notebook cell shows: a
display table (:class:`evaluation.report.tables.HtmlTable`) with a footnote when a value is
hidden. Headers come from
``capacity.columns.*`` (then ``donor.columns.*`` and ``table.*``) in the report text files,
codes become the questionnaires' labels in the report's language, and numbers are formatted
by :mod:`evaluation.report.tables`.

Tables about people are protected exactly as in the donor workbook
(:func:`evaluation.report.donor.protect`): a value based on fewer than ``min_cell_size``
people is shown as "–", and further values are hidden so that it cannot be worked back from
totals. :func:`protected` gives the protected table for the workbook and the sentences.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evaluation.capacity.data import CapacityData
from evaluation.capacity.scorecard import OTHER_TYPES
from evaluation.capacity.training import NOT_RECORDED, TOTAL
from evaluation.privacy import suppression_footnote
from evaluation.report.donor import protect
from evaluation.report.labels import t
from evaluation.report.tables import (
    MISSING,
    HtmlTable,
    choice_label,
    display_table,
    format_date,
    format_interval,
    format_number,
    format_percent,
    html_table,
    question_label,
)

NAMESPACES = ("capacity.columns", "donor.columns", "table")
"""Where the report's column headers are looked up."""

OTHER_MERGED = "other_merged"

# Which questionnaire (clean table) and question gives the labels of a column's codes.
CODE_SOURCES: dict[str, tuple[str, str]] = {
    "course": ("training_attendance", "course"),
    "institution": ("training_attendance", "institution"),
    "sex": ("training_attendance", "sex"),
    "age_band": ("training_attendance", "age_band"),
    "disability": ("training_attendance", "disability"),
    "admin_unit": ("training_attendance", "admin_unit"),
    "role": ("training_knowledge_test", "role"),
    "round": ("kvsp_capacity_scorecard", "round"),
    "institution_group": ("kvsp_capacity_scorecard", "institution_type"),
    "institution_type": ("kvsp_capacity_scorecard", "institution_type"),
}
QUESTION_SOURCES = {
    "item": "training_knowledge_test",
    "domain": "kvsp_capacity_scorecard",
}


# --------------------------------------------------------------------------- labels
def text(data: CapacityData, key: str, **fields: object) -> str:
    """Fixed text ``capacity.<key>`` in the report's language."""
    return t(f"capacity.{key}", data.language, **fields)


def code_label(data: CapacityData, column: str, code: object, total: str = "all") -> str:
    """The label of ``code`` in ``column``: the questionnaire's choice (or question) label,
    or the report's text for totals (``capacity.totals.<total>``), merged groups and
    unrecorded values."""
    if code is None or code is pd.NA or (isinstance(code, float) and np.isnan(code)):
        return MISSING
    if code == TOTAL:
        return text(data, f"totals.{total}")
    if code in (OTHER_MERGED, OTHER_TYPES):
        return text(data, "groups.other_merged")
    if code == NOT_RECORDED:
        return text(data, "groups.not_recorded")
    if column in QUESTION_SOURCES:
        return question_label(data.instrument(QUESTION_SOURCES[column]), str(code), data.language)
    if column in CODE_SOURCES:
        table, question = CODE_SOURCES[column]
        return choice_label(data.instrument(table), question, code, data.language)
    return str(code)


def code_labels(
    data: CapacityData, column: str, codes: Sequence[Hashable], total: str = "all"
) -> dict[Hashable, str]:
    """``{code: label}`` for several codes of ``column`` (see :func:`code_label`)."""
    return {code: code_label(data, column, code, total) for code in dict.fromkeys(codes)}


def characteristic_label(data: CapacityData, dimension: str) -> str:
    """The name of a participant characteristic (``capacity.characteristics.<name>``)."""
    return text(data, f"characteristics.{dimension}")


# --------------------------------------------------------------------------- protection
_PER_ROW: dict[str, Any] = {"n": "n", "by": None, "hide": None}
PROTECTION: dict[str, dict[str, Any]] = {
    # Participant counts of a training stay shown (the size of an event); who completed it
    # is hidden below the threshold, with a second training so the total cannot give it away.
    "trainings": {
        "n": "n",
        "by": "training_id",
        "split_by": [],
        "hide": ["completed", "estimate", "se", "ci_low", "ci_high", "hours_share_mean"],
    },
    "people": {
        "n": "n",
        "by": "group",
        "split_by": ["characteristic"],
        "hide": ["estimate", "n", "share"],
    },
    "completion": _PER_ROW,
    "knowledge": _PER_ROW,
    "items": _PER_ROW,
    "reaction": _PER_ROW,
    "logframe": {
        "n": "n",
        "by": None,
        "hide": ["actual", "ci_low", "ci_high", "n", "pct_of_target", "status", "period"],
    },
}
"""How each table is protected (arguments of :func:`evaluation.report.donor.protect`)."""


def protected(table: pd.DataFrame, kind: str, data: CapacityData, **extra: Any) -> pd.DataFrame:
    """``table`` with values based on too few people hidden (NaN), and a ``suppressed``
    column with the reason (``""`` when shown).

    Parameters
    ----------
    kind : str
        A key of :data:`PROTECTION`; ``extra`` overrides its arguments (e.g. ``by=``).
    """
    options = {**PROTECTION[kind], **extra}
    result = protect(table, threshold=data.rules.min_cell_size, **options)
    out = result.table.copy()
    out["suppressed"] = result.reasons.to_numpy()
    out.attrs = dict(table.attrs)
    return out


# --------------------------------------------------------------------------- tables
def trainings(table: pd.DataFrame, data: CapacityData) -> HtmlTable:
    """Trainings held: one row per training and the total (from
    :func:`~evaluation.capacity.training.trainings_held`): course, dates, hours, participants
    and the share who completed it (the workbook also has sessions and counts)."""
    safe = protected(table, "trainings", data)
    frame = pd.DataFrame(
        {
            "training_id": [
                code_label(data, "training_id", v, "trainings") for v in safe["training_id"]
            ],
            "course": [code_label(data, "course", v) for v in safe["course"]],
            "dates": [
                _dates(a, b) for a, b in zip(safe["start_date"], safe["end_date"], strict=True)
            ],
            "training_hours": safe["training_hours"].astype(float),
            "participants": safe["n"],
            "completion_share": safe["estimate"],
        }
    )
    return _show(
        frame,
        data,
        hidden=_hidden(safe),
        formats={
            "training_hours": "number",
            "participants": "count",
            "completion_share": "percent",
        },
        headers={"completion_share": completed_header(data)},
        digits=1,
    )


def people(table: pd.DataFrame, data: CapacityData) -> HtmlTable:
    """People reached by characteristic (from :func:`~evaluation.capacity.training.people_by`)."""
    safe = protected(table, "people", data)
    first = ~safe["characteristic"].duplicated()
    frame = pd.DataFrame(
        {
            "characteristic": [
                characteristic_label(data, c) if is_first else ""
                for c, is_first in zip(safe["characteristic"], first, strict=True)
            ],
            "group": [
                code_label(data, c, g, "participants")
                for c, g in zip(safe["characteristic"], safe["group"], strict=True)
            ],
            "people": safe["n"],
            "share": safe["share"],
        }
    )
    return _show(frame, data, hidden=_hidden(safe), formats={"people": "count", "share": "percent"})


def crosstab_long(table: pd.DataFrame) -> pd.DataFrame:
    """A ``people_crosstab`` (wide, with ``All`` margins) as long rows ``<rows>, <columns>,
    n`` for :func:`protected` and the donor workbook."""
    rows, columns = table.index.name, table.columns.name
    long = table.stack().rename("n").reset_index()
    long.columns = [rows, columns, "n"]
    long["n"] = long["n"].astype("Int64")
    return long


def crosstab(table: pd.DataFrame, data: CapacityData) -> HtmlTable:
    """People by two characteristics (e.g. institution x sex), protected in two dimensions."""
    rows, columns = table.index.name, table.columns.name
    long = crosstab_long(table)
    safe = protected(long, "people", data, by=[rows, columns], split_by=[], hide=["n"])
    wide = safe.pivot(index=rows, columns=columns, values="n")
    wide = wide.reindex(index=table.index, columns=table.columns)
    frame = pd.DataFrame({"group": [code_label(data, rows, g, "participants") for g in wide.index]})
    headers = {"group": characteristic_label(data, rows)}
    formats = {}
    for position, column in enumerate(wide.columns):
        key = f"c{position}"
        frame[key] = pd.array(wide[column].to_numpy(), dtype="Float64")
        headers[key] = code_label(data, columns, column, "people")
        formats[key] = "count"
    return _show(frame, data, hidden=_hidden(safe), formats=formats, headers=headers)


def completion(table: pd.DataFrame, data: CapacityData, by: str = "course") -> HtmlTable:
    """Completion by ``by`` with the total (from :func:`~evaluation.capacity.training.completion`)."""
    safe = protected(table, "completion", data, by=by)
    frame = pd.DataFrame(
        {
            by: [code_label(data, by, v, "all") for v in safe[by]],
            "participations": safe["n"],
            "people": safe["people"],
            "completed": safe["completed"],
            "completion_share": safe["estimate"],
            "ci": _intervals(safe, data, percent=True),
            "hours_share_mean": safe["hours_share_mean"].astype(float),
        }
    )
    return _show(
        frame,
        data,
        hidden=_hidden(safe),
        formats={
            "participations": "count",
            "people": "count",
            "completed": "count",
            "completion_share": "percent",
            "hours_share_mean": "percent",
        },
        headers={"completed": completed_header(data), "ci": _ci_header(data)},
    )


KNOWLEDGE_SHOWN = {
    "mean_pre": ("mean_pre", "estimate"),
    "mean_post": ("mean_post", "estimate"),
    "change": ("mean_change", "estimate"),
    "p_t": ("mean_change", "p_value"),
    "p_wilcoxon": ("wilcoxon", "p_value"),
    "d_z": ("d_z", "estimate"),
    "g_av": ("g_av", "estimate"),
    "gain": ("gain_of_means", "estimate"),
    "threshold_share": ("share_threshold_or_gain", "estimate"),
}


def knowledge_wide(table: pd.DataFrame, by: str = "course") -> pd.DataFrame:
    """One row per group of :func:`~evaluation.capacity.knowledge.knowledge_change`: pairs,
    means before and after, change with its interval, tests, effect sizes, gain and the share
    reaching the threshold (raw numbers, for the workbook)."""
    rows = []
    for group, part in table.groupby(by, sort=False, observed=True):
        stat = part.set_index("statistic")
        row: dict[str, object] = {by: group, "n": int(stat.loc["mean_change", "n_pairs"])}
        for name, (statistic, column) in KNOWLEDGE_SHOWN.items():
            row[name] = stat.loc[statistic, column] if statistic in stat.index else np.nan
        row["ci_low"] = stat.loc["mean_change", "ci_low"]
        row["ci_high"] = stat.loc["mean_change", "ci_high"]
        row["n_pre_only"] = int(stat.loc["mean_change", "n_pre_only"])
        rows.append(row)
    wide = pd.DataFrame(rows)
    wide["n"] = wide["n"].astype("Int64")
    last = wide[by] == TOTAL
    return pd.concat([wide[~last], wide[last]], ignore_index=True)


def knowledge(table: pd.DataFrame, data: CapacityData, by: str = "course") -> HtmlTable:
    """Knowledge before and after, per group and overall."""
    safe = protected(knowledge_wide(table, by), "knowledge", data, by=by)
    frame = pd.DataFrame(
        {
            by: [code_label(data, by, v, "all") for v in safe[by]],
            "pairs": safe["n"],
            "mean_pre": safe["mean_pre"],
            "mean_post": safe["mean_post"],
            "change_ci": [
                MISSING if pd.isna(c) else f"{format_number(c, 1, data.language)} {ci}"
                for c, ci in zip(safe["change"], _intervals(safe, data, digits=1), strict=True)
            ],
            "p_t": safe["p_t"],
            "d_z": safe["d_z"],
            "gain": safe["gain"],
            "threshold_share": safe["threshold_share"],
        }
    )
    return _show(
        frame,
        data,
        hidden=_hidden(safe),
        formats={
            "pairs": "count",
            "mean_pre": "number",
            "mean_post": "number",
            "p_t": "p_value",
            "d_z": "number",
            "gain": "number",
            "threshold_share": "percent",
        },
        digits=1,
        number_digits={"d_z": 2, "gain": 2},
    )


def items(table: pd.DataFrame, data: CapacityData) -> HtmlTable:
    """Item-level change (from :func:`~evaluation.capacity.knowledge.item_change`), the items
    that did not land first."""
    safe = protected(table, "items", data)
    order = np.argsort([_OUTCOME_ORDER.index(o) for o in safe["outcome"]], kind="stable")
    safe = safe.iloc[order].reset_index(drop=True)
    frame = pd.DataFrame(
        {
            "number": [item_number(v) for v in safe["item"]],
            "item": [code_label(data, "item", v) for v in safe["item"]],
            "share_pre": safe["share_pre"],
            "share_post": safe["share_post"],
            "change_points": safe["estimate"] * 100,
            "ci": [
                format_interval(100 * lo, 100 * hi, 1, data.language)
                for lo, hi in zip(safe["ci_low"], safe["ci_high"], strict=True)
            ],
            "p_value_adj": safe["p_value_adj"],
            "outcome": [
                text(data, f"outcomes.{o}") if isinstance(o, str) else MISSING
                for o in safe["outcome"]
            ],
        }
    )
    return _show(
        frame,
        data,
        hidden=_hidden(safe),
        formats={
            "share_pre": "percent",
            "share_post": "percent",
            "change_points": "number",
            "p_value_adj": "p_value",
        },
        headers={"ci": _ci_header(data)},
    )


_OUTCOME_ORDER = ["not_landed", "worse", "improved_short", "learnt", "known_before"]


def item_number(code: object) -> str:
    """The number of a test item as readers see it: ``k01`` → ``1`` (else the code)."""
    found = re.fullmatch(r"[A-Za-z_]*0*(\d+)", str(code))
    return found.group(1) if found else str(code)


def reaction(table: pd.DataFrame, data: CapacityData) -> HtmlTable:
    """Reaction items: mean (1-5) with its interval and the share agreeing (everyone)."""
    rows = table[table.get("course", pd.Series(TOTAL, index=table.index)) == TOTAL]
    mean = rows[rows["statistic"] == "mean"].reset_index(drop=True)
    share = rows[rows["statistic"] == "share_agree"].reset_index(drop=True)
    wide = mean[["item", "estimate", "ci_low", "ci_high", "n"]].assign(
        share_agree=share["estimate"].to_numpy()
    )
    safe = protected(wide, "reaction", data)
    frame = pd.DataFrame(
        {
            "item": [code_label(data, "item", v) for v in safe["item"]],
            "mean_score": safe["estimate"],
            "ci": _intervals(safe, data, digits=2),
            "share_agree": safe["share_agree"],
            "answers": safe["n"],
        }
    )
    return _show(
        frame,
        data,
        hidden=_hidden(safe),
        formats={"mean_score": "number", "share_agree": "percent", "answers": "count"},
        headers={"ci": _ci_header(data), "share_agree": _agree_header(data)},
    )


def scorecard_wide(scores: pd.DataFrame, changes: pd.DataFrame, by: str = "domain") -> pd.DataFrame:
    """One row per group: the mean score of each round, the institutions assessed, and the
    change over the latest step between consecutive rounds with its interval and p-value
    (``change_*`` columns; raw numbers, for the workbook)."""
    rounds = list(dict.fromkeys(scores["round"]))
    groups = list(dict.fromkeys(scores[by]))
    wide = scores.pivot(index=by, columns="round", values="estimate").reindex(
        index=groups, columns=rounds
    )
    wide.columns = [f"round_{r}" for r in rounds]
    wide["institutions"] = scores.groupby(by, sort=False)["n"].max().reindex(groups)
    wide["institutions"] = wide["institutions"].astype("Int64")
    step = _latest_step(changes, rounds)
    if step is not None:
        chosen = changes[(changes["from_round"] == step[0]) & (changes["to_round"] == step[1])]
        chosen = chosen.set_index(by).reindex(groups)
        for column in ("estimate", "ci_low", "ci_high", "p_value", "n"):
            wide[f"change_{column}"] = chosen[column].to_numpy()
        wide["change_from_round"], wide["change_to_round"] = step
    return wide.rename_axis(by).reset_index()


def _latest_step(changes: pd.DataFrame, rounds: Sequence[str]) -> tuple[str, str] | None:
    for first, last in reversed(list(itertools.pairwise(rounds))):
        if ((changes["from_round"] == first) & (changes["to_round"] == last)).any():
            return first, last
    return None


def scorecard(
    scores: pd.DataFrame, changes: pd.DataFrame, data: CapacityData, by: str = "domain"
) -> HtmlTable:
    """The scorecard by domain (or institution type) and round, with the latest change."""
    wide = scorecard_wide(scores, changes, by)
    frame = pd.DataFrame(
        {by: [code_label(data, by, v, "domains" if by == "domain" else "institutions")
              for v in wide[by]]}
    )  # fmt: skip
    headers: dict[str, str] = {}
    formats: dict[str, str] = {}
    for column in [c for c in wide.columns if c.startswith("round_")]:
        frame[column] = wide[column].astype(float)
        headers[column] = code_label(data, "round", column.removeprefix("round_"))
        formats[column] = "number"
    if "change_estimate" in wide:
        step = wide.iloc[0]
        frame["change"] = wide["change_estimate"].astype(float)
        frame["ci"] = [
            format_interval(lo, hi, 2, data.language)
            for lo, hi in zip(wide["change_ci_low"], wide["change_ci_high"], strict=True)
        ]
        frame["p_value"] = wide["change_p_value"].astype(float)
        headers["change"] = text(
            data,
            "columns.change_between",
            first=code_label(data, "round", step["change_from_round"]),
            last=code_label(data, "round", step["change_to_round"]),
        )
        headers["ci"] = _ci_header(data)
        formats.update(change="number", p_value="p_value")
    frame["institutions"] = wide["institutions"]
    formats["institutions"] = "count"
    return _show(frame, data, formats=formats, headers=headers)


def logframe(itt: pd.DataFrame, data: CapacityData) -> HtmlTable:
    """The capacity and partnership indicators against baseline, milestone and target: the
    actual (with its period) and interval, and the status (% of target is in the workbook)."""
    chosen = itt[itt["id"].isin(data.indicators)].reset_index(drop=True)
    safe = protected(chosen, "logframe", data)
    lang = data.language
    frame = pd.DataFrame({"id": safe["id"], "indicator": safe["indicator"]})
    for column in ("baseline", "milestone", "target", "actual"):
        frame[column] = [
            _unit_value(v, u, lang) for v, u in zip(safe[column], safe["unit"], strict=True)
        ]
    intervals = [
        format_interval(lo, hi, 0 if u == "percent" else 2, lang, percent=u == "percent")
        for lo, hi, u in zip(safe["ci_low"], safe["ci_high"], safe["unit"], strict=True)
    ]
    rounds = set(data.domains["round"].astype("string").dropna())
    periods = [
        code_label(data, "round", v) if v in rounds else ("" if pd.isna(v) else str(v))
        for v in safe["period"].astype(object)
    ]
    frame["actual_ci"] = [
        " ".join(p for p in (value, "" if ci == MISSING else ci, f"({period})") if p)
        if period and value != MISSING
        else value
        for value, ci, period in zip(frame.pop("actual"), intervals, periods, strict=True)
    ]
    frame["status"] = [
        t(f"donor.status.{str(s).replace(' ', '_')}", lang) if isinstance(s, str) else MISSING
        for s in safe["status"]
    ]
    return _show(
        frame,
        data,
        hidden=_hidden(safe),
        formats={},
    )


# --------------------------------------------------------------------------- helpers
def _show(
    frame: pd.DataFrame,
    data: CapacityData,
    *,
    formats: Mapping[str, str],
    headers: Mapping[str, str] | None = None,
    digits: int = 2,
    number_digits: Mapping[str, int] | None = None,
    percent_digits: Mapping[str, int] | None = None,
    hidden: bool = False,
) -> HtmlTable:
    from evaluation.report.tables import ColumnFormat

    specs: dict[str, str | ColumnFormat] = dict(formats)
    for column, places in (number_digits or {}).items():
        specs[column] = ColumnFormat("number", places)
    for column, places in (percent_digits or {}).items():
        specs[column] = ColumnFormat("percent", places)
    shown = display_table(
        frame,
        data.language,
        formats=specs,
        headers=headers,
        namespaces=NAMESPACES,
        digits=digits,
    )
    note = suppression_footnote(data.rules.min_cell_size, data.language, "people") if hidden else ""
    return NotedTable(shown, note=note)


class NotedTable(HtmlTable):
    """A display table with a footnote under it (e.g. the small-cell rule when a value is
    hidden)."""

    def __init__(self, display: pd.DataFrame, note: str = "") -> None:
        super().__init__(display)
        self.note = note

    def _repr_html_(self) -> str:
        table = html_table(self.display)
        if not self.note:
            return table
        return f'{table}<p style="font-size:0.85em;color:#555;">{html.escape(self.note)}</p>'

    def __repr__(self) -> str:
        text = self.display.to_string(index=False)
        return f"{text}\n{self.note}" if self.note else text


def _hidden(safe: pd.DataFrame) -> bool:
    return bool(safe["suppressed"].ne("").any())


def _intervals(
    table: pd.DataFrame, data: CapacityData, *, percent: bool = False, digits: int = 2
) -> list[str]:
    return [
        format_interval(lo, hi, 1 if percent else digits, data.language, percent=percent)
        for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)
    ]


def _dates(first: object, last: object) -> str:
    start, end = format_date(first), format_date(last)
    return start if start == end else f"{start} – {end}"


def _unit_value(value: object, unit: object, language: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return MISSING
    if unit == "percent":
        return format_percent(value, 0, language)
    if unit == "count":
        return format_number(value, 0, language)
    return format_number(value, 2, language)


def _ci_header(data: CapacityData) -> str:
    return t("table.ci", data.language, level=format_number(95, 0, data.language))


def completed_header(data: CapacityData) -> str:
    """'Completed (at least 80% of hours)' in the report's language."""
    return text(
        data,
        "columns.completed_rule",
        share=format_percent(data.rules.completion, 0, data.language),
    )


def threshold_header(data: CapacityData) -> str:
    """'Reaching the threshold (≥ 70% after, or +20 points)' in the report's language."""
    return text(
        data,
        "columns.threshold_rule",
        post=format_number(data.rules.post_at_least, 0, data.language),
        gain=format_number(data.rules.gain_at_least, 0, data.language),
    )


def _agree_header(data: CapacityData) -> str:
    return text(data, "columns.agree_rule", value=str(data.rules.agree_from))
