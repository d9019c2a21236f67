"""What the capacity-building report reads, chosen and prepared once.

:func:`load_capacity` reads the clean training, knowledge-test, scorecard and DV tables of a
dataset (recording each file for the report's data sources), keeps the trainings the run's
params ask for, and builds the logframe's views: ``training_participants`` (one row per
participant and training, with ``completed``), ``knowledge_pairs`` (pre/post pairs with
``threshold_met``) and ``capacity_domains`` (institution x domain). The rules (80% of hours,
70% or +20 points) are those of ``params/logframe.yaml``, so the report and the logframe
indicators OP2.1 and OP2.2 always agree.

Which trainings: those that **ended** by the end of ``period`` (a training still running is
left out, so completion is never judged on half a course), that started on or after
``since``, of the ``courses`` listed. Tests follow their training. Scorecard rounds count when
assessed by the end of ``period``. The logframe indicators are the whole project's, whatever
``since`` and ``courses`` say, as of the end of ``period`` (each indicator's latest period
ending by then).
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evaluation.capacity.knowledge import unpaired_tests
from evaluation.capacity.training import add_roles
from evaluation.errors import DataError, ParamsError, did_you_mean, format_values
from evaluation.indicators import Logframe, load_logframe, prepare_tables, read_clean_tables
from evaluation.paths import data_dir, instruments_dir, project_root

TABLES = (
    "training_attendance",
    "training_knowledge_test",
    "kvsp_capacity_scorecard",
    "dv_referral_case",
)
"""Clean tables the report reads (the DV log feeds the outcome-2 indicators OC2.3, OC2.4)."""

VIEWS = {
    "participants": "training_participants",
    "pairs": "knowledge_pairs",
    "domains": "capacity_domains",
}
"""The logframe views the report uses, by the name it gives them."""

SCORECARD = "kvsp_capacity_scorecard"

ITEM_SUFFIX = "_ok"
"""A knowledge item ``k01`` is scored (1 = correct) by the form's calculate ``k01_ok``."""


@dataclass(frozen=True)
class Rules:
    """The thresholds of the report, from the logframe's views and the run's params.

    Attributes
    ----------
    completion : float
        Share of a training's hours a participant must attend to complete it (0.8).
    post_at_least, gain_at_least : float
        Knowledge threshold: post-test score (percent) or gain (points) (70, 20).
    max_score : float
        Highest test score (100: scores are percentages).
    item_target : float
        Share correct at post-test for an item to count as learnt.
    alpha : float
        Holm-adjusted p-value below which an item's change counts as real.
    agree_from : int
        Reaction answers from this value up count as agreeing.
    min_cell_size : int
        Cells based on fewer people are suppressed in what leaves the workbench.
    min_institutions : int
        Institution types assessed with fewer institutions are merged in the scorecard.
    """

    completion: float = 0.8
    post_at_least: float = 70.0
    gain_at_least: float = 20.0
    max_score: float = 100.0
    item_target: float = 0.7
    alpha: float = 0.05
    agree_from: int = 4
    min_cell_size: int = 10
    min_institutions: int = 3


@dataclass
class CapacityData:
    """The report's data after selection.

    Attributes
    ----------
    tables : dict of str to DataFrame
        The clean tables as read, for the logframe indicators: ``logframe_table(...,
        as_of=as_of)`` takes each indicator's latest period ending by the end of the period,
        so a training still running then counts in the quarter it ends in (never on part of
        its hours).
    attendance, tests, scorecard : DataFrame
        Clean attendance register, knowledge tests and scorecards of the chosen trainings
        (and scorecard rounds).
    participants : DataFrame
        View ``training_participants`` with ``role`` added from the knowledge tests.
    pairs : DataFrame
        View ``knowledge_pairs``.
    domains : DataFrame
        View ``capacity_domains``.
    logframe : Logframe
    instruments : dict of str to Instrument
        The questionnaire of each table (labels in both languages).
    items : tuple of str
        Knowledge items (questions) analysed item by item.
    reaction_items : tuple of str
    dimensions : tuple of str
        Participant characteristics the report counts people by.
    indicators : tuple of str
        Logframe indicators shown against milestones.
    rules : Rules
    language : str
    as_of : date or None
        End of the reporting period (``None``: all data).
    since : date or None
    courses : tuple of str
        Courses reported on (empty: all).
    notes : list of str
        What was left out and why, in English (for the method notes).
    unpaired : dict
        Knowledge tests without a partner: ``{"pre": dropouts, "post": ...}``.
    ingest_log : dict
        ``ingest_log.json`` of the clean folder.
    """

    tables: dict[str, pd.DataFrame]
    attendance: pd.DataFrame
    tests: pd.DataFrame
    scorecard: pd.DataFrame
    participants: pd.DataFrame
    pairs: pd.DataFrame
    domains: pd.DataFrame
    logframe: Logframe
    instruments: dict[str, Any]
    items: tuple[str, ...]
    reaction_items: tuple[str, ...]
    dimensions: tuple[str, ...]
    indicators: tuple[str, ...]
    rules: Rules
    language: str = "en"
    as_of: dt.date | None = None
    since: dt.date | None = None
    courses: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)
    unpaired: dict[str, int] = field(default_factory=dict)
    ingest_log: dict[str, Any] = field(default_factory=dict)

    def instrument(self, table: str) -> Any:
        """The questionnaire of ``table`` (``None`` if it could not be read)."""
        return self.instruments.get(table)

    @property
    def computable_indicators(self) -> list[str]:
        """The report's indicators that the workbench computes (for ``compute_indicators``)."""
        return [i for i in self.indicators if self.logframe.indicator(i).computable]

    @property
    def pairs_view(self) -> Any:
        """The logframe's ``knowledge_pairs`` view (its pairing rule, for item pairs)."""
        return self.logframe.views[VIEWS["pairs"]]


def load_capacity(
    params: Mapping[str, Any],
    root: Path | None = None,
    *,
    record: Callable[[Path], object] | None = None,
    logframe: Logframe | None = None,
) -> CapacityData:
    """Read and select the report's data.

    Parameters
    ----------
    params : mapping
        The run's validated params (``run.params``): ``dataset``, ``language``, ``period``,
        ``since``, ``courses``, ``knowledge_items``, ``reaction_items``, ``dimensions``,
        ``indicators``, ``item_target``, ``alpha``, ``agree_from``, ``min_cell_size``,
        ``scorecard_min_institutions``.
    root : Path, optional
        Project root.
    record : callable, optional
        Called with every file read (``run.record_input``).
    logframe : Logframe, optional
        Default ``params/logframe.yaml``.

    Returns
    -------
    CapacityData

    Raises
    ------
    DataError
        A clean table is missing, or no training is left after the selection.
    ParamsError
        An unknown course, item or indicator.
    """
    clean, instruments, log = _read(params["dataset"], root, record)
    logframe = logframe or load_logframe(root=root)
    as_of = period_end(params.get("period"))
    since = _date(params.get("since"))
    scorecard = _up_to(clean["kvsp_capacity_scorecard"], "assessment_date", as_of)
    courses = _check_courses(params.get("courses") or (), clean["training_attendance"])
    _check_indicators(params.get("indicators") or (), logframe)
    rules = _rules(logframe, params)
    # Trainings are chosen on the whole register, so that one still running at the end of
    # the period is recognised (and left out) rather than cut short.
    views = prepare_tables(logframe, clean, [VIEWS["participants"]])
    domains = prepare_tables(logframe, {SCORECARD: scorecard}, [VIEWS["domains"]])
    domains = domains[VIEWS["domains"]]
    participants = views[VIEWS["participants"]]
    chosen, notes = _chosen_trainings(participants, as_of, since, courses)
    if not chosen:
        raise DataError(
            f"no training of dataset '{params['dataset']}' is left to report on ("
            + "; ".join(notes or ["the attendance register is empty"])
            + "); check period, since and courses in the params"
        )
    keep = participants["training_id"].isin(chosen)
    tests_table = "training_knowledge_test"
    tests = clean[tests_table]
    tests = tests[tests["training_id"].isin(chosen)].reset_index(drop=True)
    pairs = prepare_tables(logframe, {tests_table: tests}, [VIEWS["pairs"]])[VIEWS["pairs"]]
    notes += [*pairs.attrs.get("notes", []), *participants.attrs.get("notes", [])]
    return CapacityData(
        tables=clean,
        attendance=_only(clean["training_attendance"], chosen),
        tests=tests,
        scorecard=scorecard,
        participants=add_roles(participants[keep].reset_index(drop=True), tests),
        pairs=pairs,
        domains=domains,
        logframe=logframe,
        instruments=instruments,
        items=_items(params.get("knowledge_items") or (), tests),
        reaction_items=_reaction_items(params.get("reaction_items") or (), tests),
        dimensions=tuple(params.get("dimensions") or ()),
        indicators=tuple(params.get("indicators") or ()),
        rules=rules,
        language=params.get("language", "en"),
        as_of=as_of,
        since=since,
        courses=courses,
        notes=notes,
        unpaired=unpaired_tests(tests, logframe.views[VIEWS["pairs"]]),
        ingest_log=log,
    )


def period_end(period: str | None) -> dt.date | None:
    """The last day of a ``YYYY-MM`` period (``None`` stays ``None``).

    Examples
    --------
    >>> period_end("2024-02")
    datetime.date(2024, 2, 29)
    """
    if not period:
        return None
    year, month = (int(part) for part in str(period).split("-"))
    return dt.date(year, month, calendar.monthrange(year, month)[1])


# --------------------------------------------------------------------------- reading
def _read(
    dataset: str, root: Path | None, record: Callable[[Path], object] | None
) -> tuple[dict[str, pd.DataFrame], dict[str, Any], dict[str, Any]]:
    """The clean tables, their questionnaires (named like the table, as ingestion's default)
    and the ingestion log; every file read is recorded."""
    from evaluation.instruments import read_instrument

    root = Path(root or project_root())
    folder = data_dir(dataset, root) / "clean"
    tables = read_clean_tables(dataset, TABLES, root)
    instruments = {}
    for name in TABLES:
        form = instruments_dir(root) / f"{name}.xlsx"
        if form.is_file():  # ingestion has already checked it with pyxform's converter
            instruments[name] = read_instrument(form, convert=False)
    log_path = folder / "ingest_log.json"
    log = json.loads(log_path.read_text(encoding="utf-8")) if log_path.is_file() else {}
    if record is not None:
        for path in [*(folder / f"{name}.parquet" for name in TABLES), log_path]:
            if path.is_file():
                record(path)
    return tables, instruments, log


# --------------------------------------------------------------------------- selection
def _up_to(frame: pd.DataFrame, column: str, as_of: dt.date | None) -> pd.DataFrame:
    if as_of is None:
        return frame
    dates = pd.to_datetime(frame[column], errors="coerce")
    return frame[dates.isna() | (dates <= pd.Timestamp(as_of))].reset_index(drop=True)


def _chosen_trainings(
    participants: pd.DataFrame,
    as_of: dt.date | None,
    since: dt.date | None,
    courses: Sequence[str],
) -> tuple[list[str], list[str]]:
    trainings = participants.groupby("training_id", observed=True).agg(
        course=("course", "first"), start=("start_date", "min"), end=("end_date", "max")
    )
    keep = pd.Series(True, index=trainings.index)
    notes = []
    if as_of is not None:
        later = trainings["end"] > pd.Timestamp(as_of)
        running = later & (trainings["start"] <= pd.Timestamp(as_of))
        if running.any():
            notes.append(
                f"{int(running.sum())} trainings still running at the end of the period left out"
            )
        keep &= ~later
    if since is not None:
        early = trainings["start"] < pd.Timestamp(since)
        if early.any():
            notes.append(f"{int(early.sum())} trainings that started before {since} left out")
        keep &= ~early
    if courses:
        other = ~trainings["course"].astype("string").isin(courses)
        if other.any():
            notes.append(f"{int(other.sum())} trainings of other courses left out")
        keep &= ~other
    return sorted(trainings.index[keep]), notes


def _only(frame: pd.DataFrame, trainings: Sequence[str]) -> pd.DataFrame:
    return frame[frame["training_id"].isin(trainings)].reset_index(drop=True)


def _check_courses(courses: Sequence[str], attendance: pd.DataFrame) -> tuple[str, ...]:
    known = attendance["course"]
    codes = (
        [str(c) for c in known.cat.categories]
        if isinstance(known.dtype, pd.CategoricalDtype)
        else sorted(known.dropna().astype(str).unique())
    )
    unknown = [c for c in courses if c not in codes]
    if unknown:
        raise ParamsError(
            f"key 'courses': {format_values(unknown)} is not a course code"
            f"{did_you_mean(unknown[0], codes)}; courses: {', '.join(codes)}"
        )
    return tuple(courses)


def _check_indicators(ids: Sequence[str], logframe: Logframe) -> None:
    for indicator_id in ids:
        logframe.indicator(indicator_id)  # ParamsError with did-you-mean


def _items(wanted: Sequence[str], tests: pd.DataFrame) -> tuple[str, ...]:
    scored = [
        c[: -len(ITEM_SUFFIX)]
        for c in tests.columns
        if c.endswith(ITEM_SUFFIX) and c[: -len(ITEM_SUFFIX)] in tests.columns
    ]
    if not wanted:
        return tuple(scored)
    unknown = [i for i in wanted if i not in scored]
    if unknown:
        raise ParamsError(
            f"key 'knowledge_items': {format_values(unknown)} is not a scored knowledge item"
            f"{did_you_mean(unknown[0], scored)}; items (with an '<item>{ITEM_SUFFIX}' "
            f"calculate): {format_values(scored, limit=20)}"
        )
    return tuple(wanted)


def _reaction_items(wanted: Sequence[str], tests: pd.DataFrame) -> tuple[str, ...]:
    unknown = [i for i in wanted if i not in tests.columns]
    if unknown:
        raise ParamsError(
            f"key 'reaction_items': {format_values(unknown)} is not a question of the knowledge "
            f"test{did_you_mean(unknown[0], list(tests.columns))}"
        )
    return tuple(wanted)


def _rules(logframe: Logframe, params: Mapping[str, Any]) -> Rules:
    completion = logframe.views[VIEWS["participants"]].options
    pairs = logframe.views[VIEWS["pairs"]].options
    return Rules(
        completion=float(completion["threshold"]),
        post_at_least=float(pairs["post_at_least"]),
        gain_at_least=float(pairs["gain_at_least"]),
        max_score=float(pairs["max_score"]),
        item_target=float(params.get("item_target", 0.7)),
        alpha=float(params.get("alpha", 0.05)),
        agree_from=int(params.get("agree_from", 4)),
        min_cell_size=int(params.get("min_cell_size", 10)),
        min_institutions=int(params.get("scorecard_min_institutions", 3)),
    )


def _date(value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))
