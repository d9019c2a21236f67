"""Run every high-frequency check on a dataset's clean data, once, for the report.

``run_checks(run)`` is what the data-quality notebook calls: it reads the clean folder
(recording each file for the report's data sources), runs each check on each table and
keeps the tidy results in one :class:`QualityChecks`; the notebook then shows them section
by section (:mod:`evaluation.quality.present`, :mod:`evaluation.quality.narrative`) and
writes the field team's workbook (:mod:`evaluation.quality.workbook`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evaluation.errors import ParamsError
from evaluation.quality import assent as assent_checks
from evaluation.quality import days, ingestion, listing, nonresponse, outliers, panel
from evaluation.quality import durations as duration_checks
from evaluation.quality.data import CleanData, load_clean
from evaluation.quality.duplicates import duplicate_rows, duplicate_summary
from evaluation.quality.enumerators import enumerator_summary
from evaluation.quality.rows import ASSENT_REFUSED, KEY_COLUMNS, has_flag
from evaluation.quality.settings import QualitySettings
from evaluation.results import ResultInfo, make_result, stack_results

MIN_PER_ENUMERATOR = 5
"""Tables whose enumerators have a median of fewer submissions are not compared by
enumerator: the "enumerator" is then the respondent's own device (a self-completed test)."""


@dataclass
class QualityChecks:
    """Every check's result for one dataset (tidy tables; see each module for columns).

    Attributes
    ----------
    settings : QualitySettings
    data : CleanData
    files, rules, columns : DataFrame
        From the ingestion log (:mod:`~evaluation.quality.ingestion`).
    duplicates, duplicate_rows : DataFrame
        Duplicates per table/file/rule, and the rows (:mod:`~evaluation.quality.duplicates`).
    durations, durations_by_enumerator, short : DataFrame
        :mod:`~evaluation.quality.durations` for every table with durations.
    nonresponse : DataFrame
        :func:`~evaluation.quality.nonresponse.item_nonresponse`, every table stacked.
    constraints, fences, outliers : DataFrame
        :mod:`~evaluation.quality.outliers`.
    enumerators : DataFrame
        :func:`~evaluation.quality.enumerators.enumerator_summary`, every table stacked.
    assent : dict of str to DataFrame
        Assent refusals: ``"all"`` per table, and one table per column of ``assent_by``.
    per_day : DataFrame
        Submissions per day of every table.
    panel, panel_problems : DataFrame or None
        Panel-code matching (None when the panel table is not in the dataset).
    flagged : DataFrame
        :func:`~evaluation.quality.listing.flagged_submissions`.
    """

    settings: QualitySettings
    data: CleanData
    files: pd.DataFrame
    rules: pd.DataFrame
    columns: pd.DataFrame
    duplicates: pd.DataFrame
    duplicate_rows: pd.DataFrame
    durations: pd.DataFrame
    durations_by_enumerator: pd.DataFrame
    short: pd.DataFrame
    nonresponse: pd.DataFrame
    constraints: pd.DataFrame
    fences: pd.DataFrame
    outliers: pd.DataFrame
    enumerators: pd.DataFrame
    assent: dict[str, pd.DataFrame]
    per_day: pd.DataFrame
    panel: pd.DataFrame | None
    panel_problems: pd.DataFrame
    flagged: pd.DataFrame
    run_id: str = "interactive"
    notes: list[str] = field(default_factory=list)

    @property
    def language(self) -> str:
        """The report's language."""
        return self.settings.language


def run_checks(
    run: object | None = None,
    *,
    settings: QualitySettings | None = None,
    root: Path | None = None,
    record: Callable[[Path], object] | None = None,
) -> QualityChecks:
    """Read the clean data and run every check.

    Parameters
    ----------
    run : NotebookRun, optional
        The notebook's run (``evaluation.pipeline.start``): params, root, and
        ``record_input`` for the data sources; the method notes are added to it.
    settings : QualitySettings, optional
        Instead of ``run`` (tests, scripts).
    root : Path, optional
        Project root (default: the run's, else :func:`evaluation.paths.project_root`).
    record : callable, optional
        Called with each file read (default: ``run.record_input``).

    Returns
    -------
    QualityChecks

    Raises
    ------
    DataError
        When the clean data is missing or unreadable.
    ParamsError
        When the params are invalid.
    """
    if run is not None:
        settings = settings or QualitySettings.from_params(run.params)  # type: ignore[attr-defined]
        root = root or run.root  # type: ignore[attr-defined]
        record = record or run.record_input  # type: ignore[attr-defined]
    settings = settings or QualitySettings()
    data = load_clean(settings.dataset, root, tables=settings.tables, record=record)
    checks = _compute(data, settings)
    checks.run_id = getattr(run, "run_id", "interactive")
    if run is not None:
        from evaluation.quality.narrative import method_notes

        for note in method_notes(checks):
            run.note(note)  # type: ignore[attr-defined]
    return checks


def _compute(data: CleanData, settings: QualitySettings) -> QualityChecks:
    tz = settings.timezone
    timed = {name: f for name, f in data.tables.items() if f["_duration_min"].notna().any()}
    durations, by_enumerator, short = _durations(timed, settings)
    fences, found_outliers = _outliers(data, settings)
    panel_table = data.tables.get(settings.panel.table)
    matching, problems = None, _empty_problems()
    if panel_table is not None and settings.panel.code in panel_table.columns:
        matching = panel.panel_matching(panel_table, settings.panel)
        problems = panel.panel_problems(
            panel_table, settings.panel, table=settings.panel.table, timezone=tz
        )
    detections = [
        short.assign(rule="short_interview", value=short["duration_min"].round(1), column=""),
        found_outliers.assign(rule="outlier_iqr"),
        problems.assign(column=settings.panel.code),
    ]
    flagged = listing.flagged_submissions(
        data.tables,
        data.quarantine,
        detections=detections,
        instruments=data.instruments,
        hidden_groups=settings.hidden_value_groups,
        timezone=tz,
    )
    return QualityChecks(
        settings=settings,
        data=data,
        files=ingestion.file_summary(data.log),
        rules=ingestion.rule_counts(data.log),
        columns=ingestion.column_changes(data.log),
        duplicates=duplicate_summary(data.quarantine),
        duplicate_rows=duplicate_rows(data.quarantine),
        durations=durations,
        durations_by_enumerator=by_enumerator,
        short=short,
        nonresponse=_nonresponse(data, settings),
        constraints=outliers.constraint_violations(data.quarantine),
        fences=fences,
        outliers=found_outliers,
        enumerators=_enumerators(data, flagged, settings),
        assent=_assent(data, settings),
        per_day=_per_day(data, settings),
        panel=matching,
        panel_problems=problems,
        flagged=flagged,
        notes=list(data.notes),
    )


def _durations(
    tables: dict[str, pd.DataFrame], settings: QualitySettings
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    overall, by_enumerator, short = [], [], []
    for name, frame in tables.items():
        options = {
            "table": name,
            "share": settings.short_share,
            "minutes": float(settings.short_minutes.get(name, 0.0)),
        }
        overall.append(duration_checks.duration_summary(frame, **options))
        by_enumerator.append(duration_checks.duration_summary(frame, by="_enumerator", **options))
        short.append(duration_checks.short_interviews(frame, timezone=settings.timezone, **options))
    empty_short = pd.DataFrame(columns=[*KEY_COLUMNS, "duration_min", "threshold_min"])
    return (
        _stack(overall, "quality.duration_summary", ["table"]),
        _stack(by_enumerator, "quality.duration_summary", ["table", "_enumerator"]),
        pd.concat(short, ignore_index=True) if short else empty_short,
    )


def _outliers(data: CleanData, settings: QualitySettings) -> tuple[pd.DataFrame, pd.DataFrame]:
    by = "_enumerator" if settings.iqr_by_enumerator else None
    fences, found = [], []
    for name, frame in data.tables.items():
        instrument = data.instruments.get(name)
        if instrument is None:
            continue
        variables = outliers.numeric_questions(frame, instrument)
        if name in settings.iqr_questions:
            chosen = settings.iqr_questions[name]
            _require_questions(chosen, variables, name)
            variables = [v for v in variables if v in chosen]
        if not variables:
            continue
        fence = outliers.iqr_fences(
            frame,
            variables,
            table=name,
            multiplier=settings.iqr_multiplier,
            extreme=settings.iqr_extreme,
            by=by,
            min_values=settings.iqr_min_values,
        )
        fences.append(fence)
        found.append(outliers.iqr_outliers(frame, fence, table=name, timezone=settings.timezone))
    ids = ["table", *([by] if by else []), "variable"]
    listing_frame = pd.concat(found, ignore_index=True) if found else outliers.empty_listing()
    return _stack(fences, "quality.iqr_fences", ids), listing_frame


def _nonresponse(data: CleanData, settings: QualitySettings) -> pd.DataFrame:
    results = [
        nonresponse.item_nonresponse(
            frame,
            data.instruments[name],
            table=name,
            dk_codes=settings.dk_codes,
            refusal_codes=settings.refusal_codes,
        )
        for name, frame in data.tables.items()
        if name in data.instruments
    ]
    return _stack(results, "quality.item_nonresponse", ["table", "variable"])


def _enumerators(data: CleanData, flagged: pd.DataFrame, settings: QualitySettings) -> pd.DataFrame:
    problems = listing.flagged_only(flagged)
    results = []
    for name, frame in data.tables.items():
        per_enumerator = frame["_enumerator"].value_counts()
        if per_enumerator.empty or per_enumerator.median() < MIN_PER_ENUMERATOR:
            continue  # no enumerator, or one device per respondent (self-completed)
        results.append(
            enumerator_summary(
                frame,
                problems[problems["table"].eq(name)],
                table=name,
                quarantined=listing.quarantined_with_enumerator(flagged, name),
                test=settings.enumerator_test,
                alpha=settings.enumerator_alpha,
            )
        )
    stacked = _stack(results, "quality.enumerator_summary", ["table", "enumerator"])
    if "stands_out" in stacked.columns:
        stacked["stands_out"] = stacked["stands_out"].astype("boolean")
    return stacked


def _assent(data: CleanData, settings: QualitySettings) -> dict[str, pd.DataFrame]:
    tables = {
        name: frame
        for name, frame in data.tables.items()
        if "assent" in frame.columns or has_flag(frame, ASSENT_REFUSED).any()
    }
    found: dict[str, pd.DataFrame] = {
        "all": _stack(
            [assent_checks.assent_refusals(f, table=n) for n, f in tables.items()],
            "quality.assent_refusals",
            ["table"],
        )
    }
    for column in settings.assent_by:
        parts = [
            assent_checks.assent_refusals(f, table=n, by=column)
            for n, f in tables.items()
            if column in f.columns
        ]
        if parts:
            found[column] = _stack(parts, "quality.assent_refusals", ["table", column])
    return found


def _per_day(data: CleanData, settings: QualitySettings) -> pd.DataFrame:
    parts = []
    for name, frame in data.tables.items():
        by = settings.panel.wave if settings.panel.wave in frame.columns else None
        part = days.submissions_per_day(frame, table=name, timezone=settings.timezone, by=by)
        if by is not None:
            part = part.rename(columns={by: "round"})
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["table", "round", "date", "submissions"])
    out = pd.concat(parts, ignore_index=True)
    if "round" not in out.columns:
        out.insert(1, "round", pd.NA)
    out["round"] = out["round"].astype("string")
    return out[["table", "round", "date", "submissions"]]


def _require_questions(chosen: Sequence[str], numeric: Sequence[str], table: str) -> None:
    unknown = [q for q in chosen if q not in numeric]
    if unknown:
        raise ParamsError(
            f"iqr_questions.{table}: {', '.join(map(repr, unknown))} is not a numeric question "
            f"of table '{table}'; its numeric questions are {', '.join(numeric) or 'none'}"
        )


EXTRAS = {
    "quality.duration_summary": (
        "q1", "q3", "threshold_min", "n_short", "share_short", "n_negative",
    ),
    "quality.iqr_fences": (
        "q1", "median", "q3", "lower", "upper", "extreme_lower", "extreme_upper",
        "n_outliers", "n_extreme",
    ),
    "quality.item_nonresponse": (
        "n_missing", "n_dont_know", "n_refused", "missing_rate", "dont_know_rate",
        "refusal_rate", "relevance",
    ),
    "quality.enumerator_summary": (
        "n_problems", "rate_others", "difference", "p_adjusted", "stands_out",
        "n_quarantined", "n_assent_refused", "median_duration",
    ),
    "quality.assent_refusals": ("n_refused",),
}  # fmt: skip
"""Extra columns of each check, so that a check with nothing to check still returns its
columns (an empty table with the right shape, which the report shows as "no rows")."""


def _stack(results: Sequence[pd.DataFrame], estimator: str, ids: list[str]) -> pd.DataFrame:
    if results:
        return stack_results(results, estimator=estimator)
    empty = pd.DataFrame(columns=[*ids, *EXTRAS.get(estimator, ())])
    return make_result(empty, ResultInfo(estimator), id_columns=ids)


def _empty_problems() -> pd.DataFrame:
    columns = ["table", "submission_id", "enumerator", "date", "file", "row"]
    columns += ["school", "wave", "rule", "group"]
    return pd.DataFrame({c: pd.Series(dtype="string") for c in columns})
