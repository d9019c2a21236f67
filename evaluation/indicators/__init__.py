"""The logframe as data, and its indicators computed from clean data.

``params/logframe.yaml`` holds the project's indicators (Annex A of the domain brief): each
with id, level, names in English and Albanian, unit, a computable definition (table or view,
variable / expression / ratio, statistic, population, period, design), disaggregations,
baseline, dated milestones, target, direction, source and frequency; indicators whose data
the workbench does not collect are marked ``computable: false`` with the reason. The file
also defines the derived variables and views the indicators use
(:mod:`evaluation.derive`), the survey designs, the disaggregation dimensions and the status
rule.

>>> logframe = load_logframe()                                   # doctest: +SKIP
>>> tables = read_clean_tables("demo")                           # doctest: +SKIP
>>> results = compute_indicators(logframe, tables)               # doctest: +SKIP
>>> compute_indicator(logframe, "IMP1", tables, by="sex")        # doctest: +SKIP
>>> logframe_table(logframe, results, as_of=date(2023, 12, 31))  # doctest: +SKIP
>>> disaggregation_table(logframe, tables, "sex")                # doctest: +SKIP

Modules: :mod:`~evaluation.indicators.model` (records), :mod:`~evaluation.indicators.schema`
(loading and strict validation), :mod:`~evaluation.indicators.periods`,
:mod:`~evaluation.indicators.estimate` (exact and design-based statistics),
:mod:`~evaluation.indicators.compute`, :mod:`~evaluation.indicators.status` (milestone path
and status rule) and :mod:`~evaluation.indicators.tables` (ITT and disaggregation tables).
"""

from evaluation.indicators.compute import (
    compute_indicator,
    compute_indicators,
    compute_prepared,
    prepare_tables,
    read_clean_tables,
)
from evaluation.indicators.model import (
    STATISTICS,
    Dated,
    Definition,
    DesignSpec,
    Dimension,
    Indicator,
    Logframe,
    Period,
    StatusRule,
)
from evaluation.indicators.schema import load_logframe, parse_logframe
from evaluation.indicators.status import (
    expected_value,
    indicator_status,
    latest_milestone,
    pct_of_target,
)
from evaluation.indicators.tables import ITT_COLUMNS, disaggregation_table, logframe_table

__all__ = [
    "ITT_COLUMNS",
    "STATISTICS",
    "Dated",
    "Definition",
    "DesignSpec",
    "Dimension",
    "Indicator",
    "Logframe",
    "Period",
    "StatusRule",
    "compute_indicator",
    "compute_indicators",
    "compute_prepared",
    "disaggregation_table",
    "expected_value",
    "indicator_status",
    "latest_milestone",
    "load_logframe",
    "logframe_table",
    "parse_logframe",
    "pct_of_target",
    "prepare_tables",
    "read_clean_tables",
]
