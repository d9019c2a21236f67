"""The logframe as frozen records: indicators, their definitions, targets and the status rule.

Built by :func:`evaluation.indicators.load_logframe` from ``params/logframe.yaml``; read-only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from evaluation.derive import DerivedVariable, View
from evaluation.errors import ParamsError, did_you_mean, format_values

LEVELS = ("impact", "outcome", "output", "context")
UNITS = ("percent", "mean", "count", "score", "days", "ratio", "rate", "number")
STATISTICS = ("mean", "proportion", "total", "count", "count_unique", "ratio", "median")
DIRECTIONS = ("higher", "lower")
PERIOD_UNITS = ("value", "month", "quarter", "year")
CI_METHODS = ("exact", "none")
STATUSES = ("on track", "at risk", "off track", "no data", "no target", "not collected")


@dataclass(frozen=True)
class Dated:
    """A value at a date: a baseline, a milestone or a target (``value`` in the estimate's
    units: a proportion 0-1 for percent indicators)."""

    value: float | None
    date: dt.date | None
    source: str = ""
    note: str = ""


@dataclass(frozen=True)
class Period:
    """Which column gives an indicator's period, and how it is read.

    ``unit`` is ``value`` (the column's codes, e.g. the youth survey ``wave``), ``month``
    (``YYYY-MM``), ``quarter`` (``YYYY-Qn``) or ``year`` (``YYYY``) of a date column.
    ``dates`` gives the reference date of each ``value`` period (for milestones and
    status); ``order`` the order of ``value`` periods (default: the order of ``dates``).
    ``cumulative`` counts everything up to and including the period.
    """

    column: str
    unit: str = "value"
    dates: Mapping[str, dt.date] = field(default_factory=dict)
    cumulative: bool = False


@dataclass(frozen=True)
class Definition:
    """How an indicator is computed from a clean table or view.

    Exactly one of ``variable`` / ``expression`` (or ``numerator`` and ``denominator`` for a
    ratio; a ``count`` may have neither). ``population`` is a condition selecting the rows the
    indicator is about; ``design`` names a survey design (``None``: exact, a register).
    """

    table: str
    statistic: str
    variable: str | None = None
    expression: Any = None  # a compiled evaluation.expressions.Expression
    numerator: str | None = None
    denominator: str | None = None
    population: Any = None  # a compiled Expression or None
    period: Period | None = None
    design: str | None = None
    multiplier: float = 1.0
    ci: str = "exact"


@dataclass(frozen=True)
class Indicator:
    """One row of the logframe.

    ``name`` and ``source`` are texts per language (``{"en": ..., "sq": ...}``): read them
    with :meth:`label` and :meth:`source_text`.
    """

    id: str
    level: str
    name: Mapping[str, str]
    unit: str
    direction: str
    definition: Definition | None = None
    computable: bool = True
    reason: str = ""
    disaggregations: tuple[str, ...] = ()
    baseline: Dated | None = None
    milestones: tuple[Dated, ...] = ()
    target: Dated | None = None
    source: Mapping[str, str] = field(default_factory=dict)
    frequency: str = ""
    numerator_text: Mapping[str, str] = field(default_factory=dict)
    notes: str = ""

    def label(self, language: str = "en") -> str:
        """The name in ``language`` (``en`` or ``sq``), else English."""
        return self.name.get(language) or self.name["en"]

    def source_text(self, language: str = "en") -> str:
        """Where the data comes from, in ``language`` (``en`` or ``sq``), else English;
        ``""`` when the logframe does not say."""
        return self.source.get(language) or self.source.get("en", "")


@dataclass(frozen=True)
class DesignSpec:
    """Arguments of :class:`evaluation.survey.Design` for one survey table."""

    name: str
    weights: str | None = None
    strata: str | None = None
    clusters: str | tuple[str, ...] | None = None
    fpc: str | tuple[str, ...] | None = None
    lonely_psu: str = "adjust"
    nest: bool = False

    def columns(self) -> tuple[str, ...]:
        """Every column the design reads."""
        out: list[str] = []
        for value in (self.weights, self.strata, self.clusters, self.fpc):
            if isinstance(value, str):
                out.append(value)
            elif value:
                out.extend(value)
        return tuple(out)

    def arguments(self) -> dict[str, Any]:
        """Keyword arguments for ``Design(data, **arguments)``."""
        return {
            "weights": self.weights,
            "strata": self.strata,
            "clusters": self.clusters,
            "fpc": self.fpc,
            "lonely_psu": self.lonely_psu,
            "nest": self.nest,
        }


@dataclass(frozen=True)
class TableSource:
    """A clean table the logframe reads: its questionnaire, default design and extra columns
    (joined by ingestion, e.g. the youth survey's sampling-frame columns)."""

    name: str
    instrument: str | None
    design: str | None = None
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dimension:
    """A disaggregation (sex, age band, ...): its labels and its column in each table."""

    name: str
    label: Mapping[str, str]
    columns: Mapping[str, str]


@dataclass(frozen=True)
class StatusRule:
    """On track / at risk / off track, against the pro-rata path through the milestones.

    ``margin`` is the share of the distance from baseline to target by which the actual may
    fall short of the path and still be "at risk" rather than "off track".
    """

    margin: float = 0.10


@dataclass(frozen=True)
class Logframe:
    """The project's logframe: indicators plus what is needed to compute them.

    Attributes
    ----------
    project : str
    indicators : mapping of id to Indicator
        In file order.
    tables : mapping of name to TableSource
    views : mapping of name to View
    derived : mapping of table or view name to its derived variables (in dependency order)
    designs : mapping of name to DesignSpec
    dimensions : mapping of name to Dimension
    status_rule : StatusRule
    source : str
        The file it was read from.
    """

    project: str
    indicators: Mapping[str, Indicator]
    tables: Mapping[str, TableSource]
    views: Mapping[str, View]
    derived: Mapping[str, Mapping[str, DerivedVariable]]
    designs: Mapping[str, DesignSpec]
    dimensions: Mapping[str, Dimension]
    status_rule: StatusRule = StatusRule()
    source: str = ""

    def indicator(self, indicator_id: str) -> Indicator:
        """The indicator with this id (a :class:`ParamsError` with did-you-mean if none)."""
        found = self.indicators.get(indicator_id)
        if found is None:
            raise ParamsError(
                f"logframe {self.source or ''} has no indicator '{indicator_id}'"
                f"{did_you_mean(indicator_id, self.indicators)}; it has "
                f"{format_values(list(self.indicators), limit=30)}"
            )
        return found

    def computable(self) -> list[str]:
        """Ids of the indicators the workbench computes."""
        return [i for i, ind in self.indicators.items() if ind.computable]

    def column_for(self, dimension: str, table: str) -> str:
        """The column of ``table`` that holds disaggregation ``dimension``."""
        found = self.dimensions.get(dimension)
        if found is None:
            return dimension
        return found.columns.get(table, dimension)
