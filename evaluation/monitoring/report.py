"""Build the monthly monitoring report once: read, check the period, compute, protect.

``build_report(run)`` is what ``notebooks/40_monitoring.ipynb`` calls after
``evaluation.pipeline.start``. It reads the clean registers of the dataset (recording each
file for the report's data sources), refuses a month outside the data, computes every
section for the month, the month before and the last twelve months, and suppresses small
cells consistently across all tables (:mod:`evaluation.monitoring.protect`). Everything the
notebook, the workbook and the e-mail summary show comes from the returned
:class:`MonitoringReport`, so they cannot disagree, and nothing unprotected leaves it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evaluation.indicators import Logframe, load_logframe, prepare_tables
from evaluation.monitoring import dataquality, dv, street, training
from evaluation.monitoring.compare import compare_periods
from evaluation.monitoring.counting import count_categories, split_windows
from evaluation.monitoring.milestones import indicator_progress
from evaluation.monitoring.periods import (
    Coverage,
    Window,
    check_period,
    coverage,
    previous,
    window,
)
from evaluation.monitoring.protect import TableSpec, protect_tables
from evaluation.monitoring.trends import ADDITIVE, EVENTS, monthly_trend
from evaluation.monitoring.units import merge_units
from evaluation.paths import params_dir, project_root
from evaluation.quality.data import load_clean
from evaluation.results import stack_results

DV_TABLE = "dv_referral_case"
STREET_TABLE = "street_situation_contact"
ATTENDANCE_TABLE = "training_attendance"
PARTICIPANTS_VIEW = "training_participants"
TABLES = (DV_TABLE, STREET_TABLE, ATTENDANCE_TABLE)
"""The registers the report reads (the project's forms E, F and C)."""
DATE_COLUMNS = {DV_TABLE: dv.DATE, STREET_TABLE: "obs_date", ATTENDANCE_TABLE: "session_date"}
"""The date that places a row of each register in a month."""
WINDOWS = ("this", "previous", "year")


@dataclass(frozen=True)
class MonitoringSettings:
    """The report's settings (from params; see ``REPORT_KEYS["monitoring"]``).

    Attributes
    ----------
    dataset : str
    period : str or None
        ``YYYY-MM``; ``None`` for the latest month with data.
    threshold : int
        Small-cell threshold (``min_cell_size``).
    trend_months : int
        Months in the trends and in the "last months" column.
    indicators : tuple of str
        Logframe indicators shown against milestones.
    protect_units : tuple of str
        Units never merged into "other units".
    rule : CountingRule
        The street-situation counting rule.
    change_alert : float
        A relative change of a published count at least this large needs attention.
    incomplete_days : int
        A register whose last row is more than this many days before the month's end may
        be incomplete for the month.
    """

    dataset: str = "demo"
    period: str | None = None
    threshold: int = 10
    trend_months: int = 12
    indicators: tuple[str, ...] = ("OP1.1", "OP2.1", "OP2.2", "OC2.3", "OC2.4", "OC2.5")
    protect_units: tuple[str, ...] = ("elbasan",)
    rule: street.CountingRule = field(default_factory=street.CountingRule)
    change_alert: float = 0.5
    incomplete_days: int = 7

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> MonitoringSettings:
        """Settings from a run's validated params."""
        return cls(
            dataset=params.get("dataset", "demo"),
            period=params.get("period"),
            threshold=int(params.get("min_cell_size", 10)),
            trend_months=int(params.get("trend_months", 12)),
            indicators=tuple(params.get("indicators", cls.indicators)),
            protect_units=tuple(params.get("protect_units", cls.protect_units)),
            rule=street.CountingRule(
                rounds=tuple(params.get("street_rounds", ("fixed",))),
                hotspots=params.get("street_hotspots", r"H\d+"),
            ),
            change_alert=float(params.get("change_alert", 0.5)),
            incomplete_days=int(params.get("incomplete_days", 7)),
        )


@dataclass
class MonitoringReport:
    """Everything the monitoring report shows, protected.

    Attributes
    ----------
    settings : MonitoringSettings
    period, previous : str
        The month and the month before (``YYYY-MM``).
    windows : dict of str to Window
        ``this``, ``previous`` and ``year`` (the last ``trend_months`` months).
    tables : dict of str to DataFrame
        Protected long tables (:mod:`evaluation.monitoring.counting` columns plus
        ``suppressed``): ``trend``, ``dv_cases``, ``dv_timeliness``, ``dv_orders``,
        ``street_children``, ``street_contacts``, ``training``, ``people_trained``.
    comparison : DataFrame
        The trend's measures, this month against the month before
        (:func:`~evaluation.monitoring.compare.compare_periods`).
    indicators : DataFrame
        :func:`~evaluation.monitoring.milestones.indicator_progress`.
    ingestion, problems, flagged : DataFrame
        :mod:`~evaluation.monitoring.dataquality`.
    coverage : list of Coverage
        The months each register covers.
    merged_units : dict of str to tuple of str
        Units merged into "other units", per register.
    last_dates : dict of str to Timestamp
        The latest date in each register (for "may be incomplete").
    ingested : str
        When the latest ingestion finished (ISO 8601), or "".
    instruments : dict
        The questionnaire of each register (labels).
    logframe : Logframe
    without_id : int
        Known children (NJMF cases) counted in the month whose contact had no case id (each
        counted once per contact).
    notes : list of str
        What could not be read (questionnaires), in English, for the analyst.
    """

    settings: MonitoringSettings
    period: str
    previous: str
    windows: dict[str, Window]
    tables: dict[str, pd.DataFrame]
    comparison: pd.DataFrame
    indicators: pd.DataFrame
    ingestion: pd.DataFrame
    problems: pd.DataFrame
    flagged: pd.DataFrame
    coverage: list[Coverage]
    merged_units: dict[str, tuple[str, ...]]
    last_dates: dict[str, pd.Timestamp]
    ingested: str
    instruments: dict[str, Any]
    logframe: Logframe
    without_id: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def period_labels(self) -> dict[str, str]:
        """``{"this": "2023-10", "previous": "2023-09", "year": "2022-11/2023-10"}``."""
        return {k: w.label for k, w in self.windows.items()}


def build_report(
    run: Any = None,
    *,
    settings: MonitoringSettings | None = None,
    root: Path | None = None,
    record: Callable[[Path], object] | None = None,
) -> MonitoringReport:
    """Read the registers, check the period and compute every section, protected.

    Parameters
    ----------
    run : NotebookRun, optional
        From ``evaluation.pipeline.start(report="monitoring", ...)``: its params give the
        settings and its ``record_input`` records the files read.
    settings : MonitoringSettings, optional
        Instead of (or over) the run's params.
    root : Path, optional
        Project root (default: the run's, else :func:`evaluation.paths.project_root`).
    record : callable, optional
        Called with every file read (default ``run.record_input``).

    Returns
    -------
    MonitoringReport

    Raises
    ------
    DataError
        No clean data; a month outside the registers' data (one line, naming the months
        covered); a register without its date column.
    ParamsError
        An unknown logframe indicator, or an invalid street counting rule.
    """
    if settings is None:
        settings = MonitoringSettings.from_params(run.params if run is not None else {})
    root = Path(root or getattr(run, "root", None) or project_root())
    record = record or (run.record_input if run is not None else None)
    logframe = load_logframe(root=root)
    needed = [*TABLES, *_indicator_tables(logframe, settings.indicators)]
    data = load_clean(settings.dataset, root, tables=list(dict.fromkeys(needed)), record=record)
    spans = [coverage(t, data.tables[t], DATE_COLUMNS[t]) for t in TABLES]
    period = check_period(settings.period, spans)
    windows = {
        "this": window(period, 1),
        "previous": window(previous(period), 1),
        "year": window(period, settings.trend_months),
    }
    if record is not None:
        record(params_dir(root) / "logframe.yaml")
    prepared = prepare_tables(
        logframe,
        data.tables,
        [*TABLES, PARTICIPANTS_VIEW, *_indicator_tables(logframe, settings.indicators, views=True)],
    )
    sections, merged, without_id = _sections(prepared, list(windows.values()), settings)
    trend = monthly_trend(
        prepared[DV_TABLE],
        prepared[STREET_TABLE],
        prepared[ATTENDANCE_TABLE],
        prepared[PARTICIPANTS_VIEW],
        windows["year"].months,
        settings.rule,
    )
    protected = _protect(sections, trend, windows, settings.threshold)
    comparison = compare_periods(protected["trend"], period, previous(period))
    progress = indicator_progress(
        logframe,
        prepared,
        settings.indicators,
        period,
        previous(period),
        settings.threshold,
    )
    this_rows = {
        t: split_windows(data.tables[t], DATE_COLUMNS[t], [windows["this"]], t)[period]
        for t in TABLES
    }
    return MonitoringReport(
        settings=settings,
        period=period,
        previous=previous(period),
        windows=windows,
        tables=protected,
        comparison=comparison,
        indicators=progress,
        ingestion=dataquality.ingestion_summary(data.log, TABLES),
        problems=dataquality.problems(data.log, TABLES),
        flagged=dataquality.flagged_rows(this_rows),
        coverage=spans,
        merged_units=merged,
        last_dates={t: _last_date(data.tables[t], DATE_COLUMNS[t]) for t in TABLES},
        ingested=str(data.log.get("finished") or ""),
        instruments=data.instruments,
        logframe=logframe,
        without_id=without_id,
        notes=list(data.notes),
    )


def _indicator_tables(logframe: Logframe, ids: Sequence[str], views: bool = False) -> list[str]:
    """The clean tables the chosen indicators read (a view's source table, or with
    ``views=True`` the view itself)."""
    tables = []
    for indicator_id in ids:
        definition = logframe.indicator(indicator_id).definition
        if definition is None:
            continue
        view = logframe.views.get(definition.table)
        tables.append(view.source if view is not None and not views else definition.table)
    return tables


def _sections(
    prepared: Mapping[str, pd.DataFrame], windows: Sequence[Window], settings: MonitoringSettings
) -> tuple[dict[str, pd.DataFrame], dict[str, tuple[str, ...]], int]:
    """Every section's long table before protection, the units merged per register, and
    how many known children without a case id were counted once per contact."""
    threshold, protect = settings.threshold, settings.protect_units
    cases = prepared[DV_TABLE]
    dv_frames = split_windows(cases, dv.DATE, windows, "DV case log")
    dv_units, dv_order, dv_merged = merge_units(
        dv_frames, "admin_unit", threshold=threshold, protect=protect
    )
    contacts = prepared[STREET_TABLE]
    street.check_rounds(contacts, settings.rule)
    contact_frames = split_windows(contacts, settings.rule.date_column, windows, "contacts")
    children = street.children_by_period(contact_frames, settings.rule)
    child_units, child_order, child_merged = merge_units(
        children, "admin_unit", threshold=threshold, protect=protect
    )
    people = training.trained_people(prepared[PARTICIPANTS_VIEW], windows)
    sections = {
        "dv_cases": dv.case_breakdowns(dv_units, dv_order),
        "dv_timeliness": dv.timeliness(dv_frames),
        "dv_orders": dv.protection_orders(cases, windows),
        "street_children": _stack(
            count_categories(child_units, "street_children", "child", [street.KNOWN, street.NEW]),
            count_categories(child_units, "street_children", "activity", multiple=True),
            count_categories(child_units, "street_children", "accompaniment"),
            count_categories(child_units, "street_children", "admin_unit", child_order),
        ),
        "street_contacts": _stack(
            count_categories(contact_frames, "street_contacts", "round_type"),
            count_categories(contact_frames, "street_contacts", "action"),
        ),
        "training": training.activity(prepared[ATTENDANCE_TABLE], windows),
        "people_trained": training.people_trained(people),
    }
    without_id = int(children[windows[0].label].attrs.get("without_id", 0))  # the month
    return sections, {DV_TABLE: dv_merged, STREET_TABLE: child_merged}, without_id


def _stack(*tables: pd.DataFrame) -> pd.DataFrame:
    return stack_results(tables, estimator="monitoring.section")


def _protect(
    sections: Mapping[str, pd.DataFrame],
    trend: pd.DataFrame,
    windows: Mapping[str, Window],
    threshold: int,
) -> dict[str, pd.DataFrame]:
    year = windows["year"]
    months = {w.label: w.months for w in windows.values()}
    months.update({m: (m,) for m in year.months})
    months["All"] = year.months
    additive = trend["measure"].isin(ADDITIVE)
    events = trend["measure"].isin(EVENTS)
    by_period = {"by": "period", "split_by": ("measure", "variable", "category")}
    multiple = sections["dv_cases"]["variable"].eq("violence_type")
    activity = sections["street_children"]["variable"].eq("activity")
    is_event = sections["training"]["measure"].isin(EVENTS)
    specs = [
        TableSpec("trend_counts", trend[additive], **by_period),
        TableSpec("trend_other", trend[~additive & ~events], margins_known=False, **by_period),
        TableSpec("trend_events", trend[events], protected=False, **by_period),
        TableSpec("dv_cases", sections["dv_cases"][~multiple]),
        TableSpec("dv_violence", sections["dv_cases"][multiple], margins_known=False),
        TableSpec("dv_timeliness", sections["dv_timeliness"], margins_known=False, **by_period),
        TableSpec("dv_orders", sections["dv_orders"], margins_known=False),
        TableSpec("street_children", sections["street_children"][~activity]),
        TableSpec("street_activity", sections["street_children"][activity], margins_known=False),
        TableSpec("street_contacts", sections["street_contacts"]),
        TableSpec("training_events", sections["training"][is_event], protected=False),
        TableSpec(
            "participants", sections["training"][~is_event], margins_known=False, **by_period
        ),
        TableSpec("people_trained", sections["people_trained"]),
    ]
    out = protect_tables(specs, months, threshold)
    return {
        "trend": _join(out, ["trend_counts", "trend_other", "trend_events"], trend),
        "dv_cases": _join(out, ["dv_cases", "dv_violence"], sections["dv_cases"]),
        "dv_timeliness": out["dv_timeliness"],
        "dv_orders": out["dv_orders"],
        "street_children": _join(
            out, ["street_children", "street_activity"], sections["street_children"]
        ),
        "street_contacts": out["street_contacts"],
        "training": _join(out, ["training_events", "participants"], sections["training"]),
        "people_trained": out["people_trained"],
    }


def _join(
    out: Mapping[str, pd.DataFrame], names: Sequence[str], like: pd.DataFrame
) -> pd.DataFrame:
    """Protected parts back in the original row order of ``like``."""
    parts = pd.concat([out[n] for n in names], ignore_index=True)
    keys = ["measure", "variable", "period", "category"]
    order = like[keys].astype(str).apply(tuple, axis=1).tolist()
    position = {k: i for i, k in enumerate(order)}
    parts["_order"] = parts[keys].astype(str).apply(tuple, axis=1).map(position)
    joined = parts.sort_values("_order", kind="stable").drop(columns="_order")
    joined = joined.reset_index(drop=True)
    joined.attrs = dict(like.attrs)
    return joined


def _last_date(frame: pd.DataFrame, column: str) -> pd.Timestamp:
    values = pd.to_datetime(frame[column], errors="coerce")
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert("Europe/Tirane").dt.tz_localize(None)
    return values.max()
