"""The baseline report's donor workbook (:class:`evaluation.report.donor.DonorWorkbook`).

Sheets: About (first), Logframe (the indicator tracking table as of the baseline date) and
Headline indicators (with a native chart), one sheet per disaggregation (sex, age band,
disability, administrative unit, area), Balance and Sample. Every sheet is protected by
the same small-cell rule as the HTML report.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from evaluation.baseline import labels as lb
from evaluation.baseline.data import BaselineData
from evaluation.baseline.narrative import method_notes
from evaluation.baseline.sections import dimension_column, fieldwork
from evaluation.report.donor import TOTAL, DonorWorkbook
from evaluation.report.labels import catalogue
from evaluation.report.tables import format_date


def write_donor_workbook(
    data: BaselineData,
    path: str | Path,
    *,
    itt: pd.DataFrame,
    disaggregations: Mapping[str, pd.DataFrame],
    balance: pd.DataFrame,
    sample: pd.DataFrame,
) -> DonorWorkbook | None:
    """Write the donor workbook to ``path``; return the saved :class:`DonorWorkbook`.

    Nothing is written (and None returned) when the run's ``formats`` leave out
    ``workbook``.

    Parameters
    ----------
    data : BaselineData
    path : path
        ``run.output_path("donor_workbook.xlsx")`` in the notebook.
    itt : DataFrame
        :func:`evaluation.baseline.sections.indicator_table`.
    disaggregations : mapping of str to DataFrame
        :func:`evaluation.baseline.sections.disaggregations`.
    balance : DataFrame
        :func:`evaluation.baseline.sections.balance`.
    sample : DataFrame
        :func:`evaluation.baseline.sections.sample_counts`.
    """
    if "workbook" not in data.params["formats"]:
        return None
    book = DonorWorkbook.for_run(data.run, instruments=[data.instrument], period=_period(data))
    for note in method_notes(data):  # also in run.notes when record_notes ran; kept once
        book.add_note(note)
    book.add_logframe(itt, margin=data.logframe.status_rule.margin)
    for dimension, table in disaggregations.items():
        column = dimension_column(data, dimension)
        book.add_disaggregation(
            table,
            column,
            dimension_label=lb.dimension_label(data, dimension),
            labels={column: lb.category_labels(data, dimension)},
            count="count" if "count" in table.columns else None,
        )
    book.add_balance(balance, labels={"variable": _variable_labels(data, balance)})
    book.add_sample(_labelled_sample(sample, data), labels={"dimension": _dimensions(data, sample)})
    book.save(path)
    return book


def _period(data: BaselineData) -> str:
    """The round and its fieldwork dates, e.g. "Baseline (2022-10-10 – 2022-11-11)"."""
    wave = data.params["wave"]
    name = catalogue(data.language).get(f"donor.periods.{wave}", wave)
    first, last = fieldwork(data)
    return f"{name} ({format_date(first)} – {format_date(last)})" if first is not None else name


def _variable_labels(data: BaselineData, balance: pd.DataFrame) -> dict[str, str]:
    return {v: lb.variable_label(data, v) for v in dict.fromkeys(balance["variable"])}


def _dimensions(data: BaselineData, sample: pd.DataFrame) -> dict[str, str]:
    return {d: lb.dimension_label(data, d) for d in dict.fromkeys(sample["dimension"])}


def _labelled_sample(sample: pd.DataFrame, data: BaselineData) -> pd.DataFrame:
    """Category codes as labels, per dimension (codes can repeat across dimensions); the
    ``"total"`` code is kept, since suppression reads it."""
    out = sample.copy()
    labels = {d: lb.category_labels(data, d) for d in dict.fromkeys(sample["dimension"])}
    out["category"] = [
        c if c == TOTAL else labels[d].get(c, c)
        for d, c in zip(sample["dimension"], sample["category"], strict=True)
    ]
    return out
