"""Everything the endline impact report shows, computed once from the clean data.

:func:`analyse` reads the logframe, the clean tables and the youth-survey questionnaire,
adds the derived outcomes, runs the impact plan of the params' ``impact:`` section
(:func:`evaluation.analysis_plan.run_plan`), bounds the panel effects when attrition differs
between the arms (:func:`evaluation.endline.bounds.attrition_bounds`) and computes the
logframe's indicators (:func:`evaluation.indicators.logframe_table`). The notebook then only
shows the parts (:mod:`evaluation.endline.present`, :mod:`evaluation.endline.narrative`) and
writes the donor workbook (:mod:`evaluation.endline.workbook`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evaluation import indicators
from evaluation.analysis_plan import ImpactPlan, ImpactResults, coefficient_plot_table, run_plan
from evaluation.endline.bounds import attrition_bounds, attrition_gap
from evaluation.errors import DataError, ParamsError, format_values
from evaluation.indicators import Logframe
from evaluation.instruments import Instrument, read_instrument
from evaluation.paths import data_dir, instruments_dir
from evaluation.results import result_info

__all__ = ["SURVEY", "EndlineReport", "analyse", "save_effects"]

SURVEY = "youth_survey"
"""The clean table (and questionnaire) the impact analysis reads."""

LEVELS_SHOWN = ("impact", "outcome")
"""Logframe levels the report compares with baseline and target."""


@dataclass(frozen=True)
class EndlineReport:
    """The endline analysis of one run, in one language.

    Attributes
    ----------
    language : str
        ``"en"`` or ``"sq"``.
    plan : ImpactPlan
        The validated plan (its seed is the run's ``seed``).
    primary : str
        The estimator the sentences lead with (params ``primary_estimator``).
    results : ImpactResults
        ``run_plan``'s effects, coefficient-plot table, linked panel and attrition table.
    bounds : DataFrame
        :func:`~evaluation.endline.bounds.attrition_bounds` (empty when not shown).
    bounds_shown : bool
        Whether the report shows the Lee bounds (params ``lee_bounds``).
    attrition_gap : float
        Project arm's attrition rate minus the comparison arm's.
    itt : DataFrame
        :func:`evaluation.indicators.logframe_table` of every indicator.
    logframe : Logframe
    instrument : Instrument
        The youth-survey questionnaire (labels, personal fields).
    binary : mapping of str to bool
        Whether each outcome is 0/1 (effects in percentage points).
    min_cell_size : int
        Smallest number of respondents behind a published number.
    inputs : tuple of Path
        The data files read (recorded in the run).
    """

    language: str
    plan: ImpactPlan
    primary: str
    results: ImpactResults
    bounds: pd.DataFrame
    bounds_shown: bool
    attrition_gap: float
    itt: pd.DataFrame
    logframe: Logframe
    instrument: Instrument
    binary: Mapping[str, bool]
    min_cell_size: int = 10
    inputs: tuple[Path, ...] = field(default=())

    @property
    def level(self) -> float:
        """Confidence level of every interval (the plan's)."""
        return self.plan.level

    @property
    def effects(self) -> pd.DataFrame:
        """The tidy effects table of :func:`~evaluation.analysis_plan.run_plan`."""
        return self.results.effects

    def indicator_for(self, outcome: str) -> str | None:
        """The logframe indicator measured by ``outcome`` (its ``definition.variable``)."""
        for indicator in self.logframe.indicators.values():
            definition = indicator.definition
            if definition is not None and definition.variable == outcome:
                return indicator.id
        return None

    def direction(self, outcome: str) -> str | None:
        """``"higher"`` or ``"lower"`` is better for ``outcome`` (from its indicator)."""
        found = self.indicator_for(outcome)
        return self.logframe.indicator(found).direction if found else None


def analyse(run: Any) -> EndlineReport:
    """Compute the endline report's analysis for a notebook run.

    Parameters
    ----------
    run : NotebookRun
        From :func:`evaluation.pipeline.start` (``report="endline"``): its params (dataset,
        logframe, ``impact`` plan, ``seed``, ``primary_estimator``, ``lee_bounds``,
        ``lee_min_difference``, ``as_of``, ``min_cell_size``), language and root. Every
        file read is recorded with :meth:`run.record_input`.

    Returns
    -------
    EndlineReport

    Raises
    ------
    ParamsError
        The plan is invalid, or the primary estimator is not one of the plan's estimators.
    DataError
        No clean data (run ``workbench ingest``), or an outcome of the plan is not a column
        of the youth survey nor a derived variable of the logframe.
    """
    params = run.params
    root = Path(run.root)
    plan = ImpactPlan.from_params(
        {**params["impact"], "seed": params["seed"]}, source="params, key 'impact'"
    )
    primary = params["primary_estimator"]
    if primary not in plan.estimators:
        raise ParamsError(
            f"params: primary_estimator '{primary}' is not one of the plan's estimators "
            f"({', '.join(plan.estimators)}); add it to impact.estimators or choose another"
        )
    logframe_path = root / params["logframe"]
    logframe = indicators.load_logframe(logframe_path, root=root)
    tables = indicators.read_clean_tables(params["dataset"], root=root)
    inputs = (logframe_path, *_clean_files(params["dataset"], root, tables))
    for path in inputs:
        run.record_input(path)
    youth = indicators.prepare_tables(logframe, tables, [SURVEY])[SURVEY]
    _require_outcomes(youth, plan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # every caveat is a note in the results' metadata
        results = _run(youth, plan, primary)
        gap = attrition_gap(results)
        shown = _show_bounds(params["lee_bounds"], gap, params["lee_min_difference"])
        bounds = attrition_bounds(results, plan) if shown else attrition_bounds(results, plan, [])
        computed = indicators.compute_indicators(logframe, tables, level=plan.level)
    as_of = params.get("as_of")
    itt = indicators.logframe_table(
        logframe,
        computed,
        as_of=pd.Timestamp(as_of).date() if as_of else None,
        language=run.language,
    )
    return EndlineReport(
        language=run.language,
        plan=plan,
        primary=primary,
        results=results,
        bounds=bounds,
        bounds_shown=shown,
        attrition_gap=gap,
        itt=itt,
        logframe=logframe,
        instrument=read_instrument(instruments_dir(root) / f"{SURVEY}.xlsx"),
        binary={y: _is_binary(youth[y]) for y in plan.outcomes},
        min_cell_size=int(params["min_cell_size"]),
        inputs=tuple(inputs),
    )


def save_effects(report: EndlineReport, path: str | Path) -> Path:
    """Write the tidy effects table (every row of ``run_plan``, full precision) as CSV.

    The file is for analysts and for the checks against the demo world's truth; readers get
    the formatted tables. Returns ``path``.
    """
    path = Path(path)
    report.effects.to_csv(path, index=False, float_format="%.17g", lineterminator="\n")
    return path


def _run(youth: pd.DataFrame, plan: ImpactPlan, primary: str) -> ImpactResults:
    """The plan's headline effects by every estimator, and its subgroup effects by the
    primary estimator only (the report shows no others; the bootstraps of the subgroup
    models are most of the plan's time)."""
    headline = run_plan(youth, replace(plan, heterogeneity=()))
    if not plan.heterogeneity:
        return headline
    subgroups = run_plan(youth, replace(plan, estimators=(primary,), romano_wolf=False))
    rows = subgroups.effects[subgroups.effects["subgroup_var"] != "all"]
    info = result_info(headline.effects)
    effects = pd.concat([headline.effects, rows], ignore_index=True)
    notes = [n for n in result_info(subgroups.effects).notes if n not in info.notes]
    effects.attrs["info"] = info.with_notes(
        *notes, f"subgroup effects: {primary} only (the estimator the report leads with)"
    )
    return ImpactResults(
        effects, coefficient_plot_table(effects), subgroups.panel, headline.attrition
    )


def _clean_files(dataset: str, root: Path, tables: Mapping[str, pd.DataFrame]) -> list[Path]:
    folder = data_dir(dataset, root) / "clean"
    return [folder / f"{name}.parquet" for name in tables]


def _require_outcomes(youth: pd.DataFrame, plan: ImpactPlan) -> None:
    missing = [y for y in plan.outcomes if y not in youth.columns]
    if missing:
        raise DataError(
            f"params, key 'impact.families': {format_values(missing)} is neither a column of "
            f"the clean {SURVEY} table nor a derived variable of the logframe; define it under "
            f"'derived: {SURVEY}:' in the logframe or fix the name"
        )


def _show_bounds(mode: str, gap: float, min_difference: float) -> bool:
    if mode == "never" or math.isnan(gap):
        return False
    return mode == "always" or abs(gap) >= min_difference


def _is_binary(column: pd.Series) -> bool:
    values = pd.to_numeric(column, errors="coerce").dropna().unique()
    return len(values) > 0 and bool(np.isin(values, [0, 1]).all())
