"""The donor-shaped sheets of :class:`~evaluation.report.donor.DonorWorkbook`.

Logframe (indicator tracking table), headline chart, one sheet per disaggregation, impact,
balance and sample: each lays its table out as donors read it and writes it through the
workbook's :meth:`~evaluation.report.donor.DonorWorkbook.add_table` (which protects it) or
:meth:`~evaluation.report.donor.DonorWorkbook.add_protected`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from evaluation.errors import ReportError, format_values
from evaluation.report.donor.formatting import (
    ESTIMATE,
    IMPACT_SHOWN,
    ITT_HIDDEN,
    ITT_SHOWN,
    ITT_VALUES,
    ITT_WIDTHS,
    P_VALUES,
    PERCENT_OF_TARGET,
    STATUS_FILLS,
    balance_wide,
    code_labels,
    itt_note,
    joint_label,
    percent_text,
)
from evaluation.report.donor.protect import TOTAL, TOTALS, protect, protect_sample, require_columns
from evaluation.report.labels import t

if TYPE_CHECKING:
    from evaluation.report.workbook import Workbook


class DonorSheets:
    """The donor-shaped sheets, a part of :class:`~evaluation.report.donor.DonorWorkbook`
    (they write through its ``add_table`` and ``add_protected``)."""

    language: str
    min_cell_size: int
    workbook: Workbook
    _hidden: list[dict[str, object]]

    def add_logframe(
        self,
        itt: pd.DataFrame,
        *,
        sheet: str | None = None,
        title: str | None = None,
        notes: Sequence[str] = (),
        margin: float = 0.10,
        chart: bool = True,
    ) -> str:
        """The logframe sheet (indicator tracking table); return its name.

        Parameters
        ----------
        itt : DataFrame
            From :func:`evaluation.indicators.logframe_table` (columns
            :data:`evaluation.indicators.ITT_COLUMNS`).
        sheet, title : str, optional
            Default "Logframe" and a descriptive title, in the language.
        notes : sequence of str
            Extra lines above the table (the status rule is always stated).
        margin : float
            The logframe's ``status_rule.margin``, stated in the status rule.
        chart : bool
            Also add :meth:`add_headline_chart`.

        Notes
        -----
        The actual, its interval, ``n``, % of target and status of an indicator measured
        on fewer than ``min_cell_size`` respondents are hidden; baseline, milestones and
        targets come from the logframe and are always shown. Rows are independent (each
        is its own indicator), so there is no secondary suppression here. Values follow
        each row's unit (percentages ``0.0%``); the status cell is green, amber or red.
        """
        from evaluation.indicators import ITT_COLUMNS

        require_columns(itt, ITT_COLUMNS)
        lang = self.language
        frame = itt.reset_index(drop=True).copy()
        frame["note"] = [itt_note(s, lang) for s in frame["status"]]
        for column in ("milestone_date", "target_date"):
            frame[column] = pd.to_datetime(frame[column], errors="coerce")
        name = self.add_protected(
            sheet or t("donor.sheets.logframe", lang),
            protect(
                frame,
                n="n",
                hide=ITT_HIDDEN,
                threshold=self.min_cell_size,
            ),
            title=title or t("donor.titles.logframe", lang),
            notes=[
                t("donor.notes.status_rule", lang, margin=percent_text(margin, lang)),
                *notes,
            ],
            columns=ITT_SHOWN,
            formats={
                "milestone_date": "date",
                "target_date": "date",
                "pct_of_target": PERCENT_OF_TARGET,
                "n": "count",
            },
            unit_column="unit",
            unit_columns=ITT_VALUES,
            labels=code_labels(lang),
            freeze_columns=3,
            wrap=("indicator", "note", "source"),
            max_widths=ITT_WIDTHS,
        )
        self._colour_status(name, frame)
        if chart:
            self.add_headline_chart(itt)
        return name

    def add_headline_chart(
        self,
        itt: pd.DataFrame,
        ids: Sequence[str] | None = None,
        *,
        sheet: str | None = None,
        title: str | None = None,
        series: Sequence[str] = ("baseline", "actual", "target"),
    ) -> str | None:
        """A sheet with the headline indicators and a native Excel bar chart of them.

        Parameters
        ----------
        itt : DataFrame
            From :func:`evaluation.indicators.logframe_table`.
        ids : sequence of str, optional
            Indicators to chart (same unit). Default: impact and outcome indicators in
            percent that have an actual value.
        series : sequence of str
            ITT columns to draw, one bar each (``baseline``, ``milestone``, ``actual``,
            ``target``).

        Returns
        -------
        str or None
            The sheet's name, or None when no indicator qualifies.
        """
        require_columns(itt, ["id", "indicator", "level", "unit", "n", *series])
        if ids is None:
            chosen = itt[
                itt["level"].isin(["impact", "outcome"])
                & itt["unit"].eq("percent")
                & itt["actual"].notna()
            ]
        else:
            unknown = [i for i in ids if i not in set(itt["id"])]
            if unknown:
                raise ReportError(
                    f"add_headline_chart: no indicator {format_values(unknown)} in the table"
                )
            chosen = itt[itt["id"].isin(ids)]
        if chosen.empty:
            return None
        units = set(chosen["unit"])
        if len(units) > 1:
            raise ReportError(
                f"add_headline_chart: the indicators have different units "
                f"({format_values(sorted(units))}); chart one unit at a time"
            )
        frame = chosen[["id", "indicator", *series, "n", "unit"]].reset_index(drop=True)
        lang = self.language
        name = self.add_protected(
            sheet or t("donor.sheets.headline", lang),
            protect(
                frame,
                n="n",
                hide=[c for c in series if c in ("actual", "ci_low", "ci_high")] + ["n"],
                threshold=self.min_cell_size,
            ),
            title=title or t("donor.titles.headline", lang),
            columns=["id", "indicator", *series, "n"],
            unit_column="unit",
            unit_columns=series,
            wrap=("indicator",),
        )
        # to the right of the table: in view at once, and never cut by a page break
        self.workbook.add_chart(
            name, x="id", y=list(series), kind="bar", percent=units == {"percent"}
        )
        return name

    def add_disaggregation(
        self,
        table: pd.DataFrame,
        dimension: str,
        *,
        dimension_label: str | None = None,
        labels: Mapping[str, Mapping[Hashable, str]] | None = None,
        sheet: str | None = None,
        title: str | None = None,
        notes: Sequence[str] = (),
        count: str | None = None,
    ) -> str:
        """One disaggregation sheet (sex, age band, disability, unit, arm ...).

        Parameters
        ----------
        table : DataFrame
            From :func:`evaluation.indicators.disaggregation_table`: ``indicator,
            indicator_name, period, <dimension>, estimate, se, ci_low, ci_high, p_value, df,
            n, unit``, with a ``"total"`` row per indicator and period.
        dimension : str
            The dimension column.
        dimension_label : str, optional
            Its name for readers (sheet name and header), e.g. from the logframe's
            ``dimensions``; default the column name.
        labels : mapping of column → mapping, optional
            Code → label, e.g. ``{"sex": {"female": "Female"}}``.
        count : str, optional
            Column of respondents with the characteristic (hidden when 1-9 too).

        Notes
        -----
        Each indicator and period is a one-way table with its total, so when one category
        is hidden (``n`` below ``min_cell_size``) another is hidden too, and the total
        cannot give it away.
        """
        require_columns(
            table, ["indicator", "period", dimension, "estimate", "ci_low", "ci_high", "n"]
        )
        lang = self.language
        label = dimension_label or dimension
        unit = _unit_column(table, dimension)
        wanted = ("indicator", "indicator_name", "period", dimension, "estimate", "ci_low")
        shown = [c for c in (*wanted, "ci_high", "n") if c in table.columns]
        if _has_estimate_without_interval(table):
            notes = [*notes, t("donor.notes.no_interval", lang)]
        return self.add_table(
            sheet or label,
            table,
            title=title or t("donor.titles.disaggregation", lang, dimension=label),
            notes=notes,
            columns=shown,
            by=dimension,
            split_by=["indicator", "period"],
            count=count,
            keep=[c for c in ("indicator_name", unit) if c is not None],
            unit_column=unit,
            unit_columns=["estimate", "ci_low", "ci_high"],
            headers={dimension: label, "indicator": t("donor.columns.id", lang)},
            labels={
                **code_labels(lang),
                **(labels or {}),
                dimension: {TOTAL: t("donor.total", lang), **(labels or {}).get(dimension, {})},
            },
            freeze_columns=2,
            wrap=("indicator_name",),
        )

    def add_impact(
        self,
        effects: pd.DataFrame,
        *,
        sheet: str | None = None,
        title: str | None = None,
        notes: Sequence[str] = (),
        labels: Mapping[str, Mapping[Hashable, str]] | None = None,
        columns: Sequence[str] | None = None,
    ) -> str:
        """The "Impact" sheet: a table of effect estimates, one row per estimate.

        Parameters
        ----------
        effects : DataFrame
            A tidy result table, e.g. ``analysis_plan.run_plan(...).effects`` (``family,
            outcome, estimator, subgroup_var, subgroup, term``, the core columns, then
            ``*_wcb``, ``p_value_adj``, ``p_value_rw``, ``std_effect``, ``n_clusters``) or
            ``impact.did`` / ``ancova`` output.
        labels : mapping of column → mapping, optional
            Code → label, e.g. ``{"outcome": {"attitudes_scale": "Attitudes scale"}}``;
            estimators and terms are translated already.
        columns : sequence of str, optional
            Columns to show (default: those of a standard list that the table has).

        Notes
        -----
        Rows are independent estimates: a row with ``n`` below ``min_cell_size`` (e.g. a
        small subgroup) is hidden, with no secondary suppression. Effects and intervals
        are shown with three decimals in the outcome's units (proportion points for 0/1
        outcomes: 0.010 = 1 percentage point).
        """
        require_columns(effects, ["estimate", "n"])
        chosen = list(columns) if columns else [c for c in IMPACT_SHOWN if c in effects.columns]
        number_columns = ("estimate", "se", "ci_low", "ci_high", "ci_low_wcb", "ci_high_wcb")
        formats = {c: ESTIMATE for c in number_columns if c in chosen}
        formats.update({c: "p_value" for c in P_VALUES if c in chosen})
        formats.update({c: "count" for c in ("n", "n_clusters") if c in chosen})
        if "std_effect" in chosen:
            formats["std_effect"] = "0.00"
        lang = self.language
        return self.add_table(
            sheet or t("donor.sheets.impact", lang),
            effects,
            title=title or t("donor.titles.impact", lang),
            notes=[t("donor.notes.impact", lang), *notes],
            columns=chosen,
            keep=[c for c in ("family", "outcome", "variable", "estimator") if c in effects],
            formats=formats,
            labels={**code_labels(lang), **(labels or {})},
            freeze_columns=min(2, len(chosen)),
        )

    def add_balance(
        self,
        balance: pd.DataFrame,
        *,
        sheet: str | None = None,
        title: str | None = None,
        notes: Sequence[str] = (),
        labels: Mapping[str, Mapping[Hashable, str]] | None = None,
    ) -> str:
        """The "Balance" sheet from :func:`evaluation.impact.balance_table` (two arms).

        One row per variable: each arm's mean, SD and n, the difference (other arm minus
        comparison) with its interval and p-value, the normalised difference, the adjusted
        difference when the table has it; then the joint F-test. A variable with fewer than
        ``min_cell_size`` respondents in either arm is hidden whole (the difference would
        give a hidden mean away).

        Parameters
        ----------
        balance : DataFrame
            ``variable, arm, term, estimate, se, ci_low, ci_high, p_value, df, n, sd,
            std_diff`` (``term``: ``mean``, ``difference``, ``difference_adjusted``,
            ``joint_f_test``).
        labels : mapping of column → mapping, optional
            ``{"variable": {...}, "arm": {"project": "Project area", ...}}``.
        """
        wide, arms = balance_wide(balance)
        lang = self.language
        arm_names = {**code_labels(lang).get("arm", {}), **(labels or {}).get("arm", {})}
        comparison, other = (arm_names.get(a, str(a)) for a in arms)
        headers = {
            "comparison_mean": t("donor.columns.arm_mean", lang, arm=comparison),
            "comparison_sd": t("donor.columns.arm_sd", lang, arm=comparison),
            "comparison_n": t("donor.columns.arm_n", lang, arm=comparison),
            "other_mean": t("donor.columns.arm_mean", lang, arm=other),
            "other_sd": t("donor.columns.arm_sd", lang, arm=other),
            "other_n": t("donor.columns.arm_n", lang, arm=other),
            "difference": t("donor.columns.difference", lang),
        }
        shown = [c for c in wide.columns if c != "n_min"]
        formats = {c: "0.00" for c in shown if c.endswith(("_mean", "_sd"))}
        formats.update(
            {c: "0.000" for c in ("difference", "ci_low", "ci_high", "difference_adjusted")}
        )
        formats.update({"std_diff": "0.00", "p_value": "p_value", "statistic": "0.00"})
        formats.update({c: "count" for c in ("comparison_n", "other_n")})
        return self.add_table(
            sheet or t("donor.sheets.balance", lang),
            wide,
            title=title or t("donor.titles.balance", lang),
            notes=[t("donor.notes.balance", lang), *notes],
            columns=shown,
            n="n_min",
            keep=["variable"],
            formats={c: f for c, f in formats.items() if c in shown},
            headers=headers,
            labels={"variable": {**(labels or {}).get("variable", {}), **joint_label(lang)}},
            freeze_columns=1,
        )

    def add_sample(
        self,
        sample: pd.DataFrame,
        *,
        sheet: str | None = None,
        title: str | None = None,
        notes: Sequence[str] = (),
        labels: Mapping[str, Mapping[Hashable, str]] | None = None,
    ) -> str:
        """The "Sample" sheet: respondents by characteristic, per arm and in total.

        Parameters
        ----------
        sample : DataFrame
            Long counts: ``dimension, category, arm, n`` with ``"total"`` rows for the
            category and the arm (as :func:`evaluation.baseline.sections.sample_counts`
            writes them).
        labels : mapping of column → mapping, optional
            ``{"dimension": {...}, "category": {...}, "arm": {...}}``.

        Notes
        -----
        Each dimension is a category × arm grid with its totals: a count below
        ``min_cell_size`` is hidden, with secondary suppression across categories and
        arms; a category's share of the respondents is hidden with its count.
        """
        wrapped = protect_sample(sample, self.min_cell_size)
        wide = wrapped.table
        arms = [c[2:] for c in wide.columns if c.startswith("n_") and c != f"n_{TOTAL}"]
        lang = self.language
        shown_labels = {**code_labels(lang), **(labels or {})}
        arm_names = shown_labels.get("arm", {})
        headers = {
            f"n_{a}": t("donor.columns.arm_n", lang, arm=arm_names.get(a, str(a))) for a in arms
        }
        headers["n_total"] = t("donor.columns.n_total", lang)
        return self.add_protected(
            sheet or t("donor.sheets.sample", lang),
            wrapped,
            title=title or t("donor.titles.sample", lang),
            notes=notes,
            formats={
                **{c: "count" for c in wide.columns if c.startswith("n_")},
                "share": "percent",
            },
            headers=headers,
            labels=shown_labels,
            total_rows=wide["category"].isin(TOTALS).to_numpy(),
            show_reasons=False,
            freeze_columns=2,
        )

    def _colour_status(self, sheet: str, frame: pd.DataFrame) -> None:
        hidden = {r["row"] for r in self._hidden if r["sheet"] == sheet}
        for status, colour in STATUS_FILLS.items():
            rows = [i for i in np.flatnonzero(frame["status"].eq(status)) if i not in hidden]
            if rows:
                self.workbook.fill_cells(sheet, "status", colour, rows)


def _unit_column(table: pd.DataFrame, dimension: str) -> str | None:
    """The column holding each row's indicator unit (percent, count ...), if any.

    :func:`~evaluation.indicators.disaggregation_table` names it in its result's
    ``extra["unit_column"]``: ``unit``, or ``indicator_unit`` when the table is broken down
    by the administrative ``unit``.
    """
    info = table.attrs.get("info")
    named = getattr(info, "extra", {}).get("unit_column") if info is not None else None
    for column in (named, "indicator_unit", "unit"):
        if column is not None and column != dimension and column in table.columns:
            return column
    return None


def _has_estimate_without_interval(table: pd.DataFrame) -> bool:
    """Whether some row has an estimate but no confidence interval (a domain with one
    school has no degrees of freedom; a share of 0 or 1 has no logit interval)."""
    return bool((table["estimate"].notna() & table["ci_low"].isna()).any())
