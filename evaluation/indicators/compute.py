"""Compute logframe indicators from clean tables: per period, overall or disaggregated.

:func:`compute_indicator` turns one indicator's definition into a tidy result table;
:func:`compute_indicators` does it for many, preparing each table (derived variables, views)
once. Survey tables are estimated design-based (:mod:`evaluation.survey`), registers exactly
(:mod:`evaluation.indicators.estimate`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from evaluation.derive import add_derived, derived_view, evaluate_condition, numeric_values
from evaluation.errors import DataError, ParamsError, did_you_mean, format_values
from evaluation.indicators import periods
from evaluation.indicators.estimate import CORE, register_estimates, survey_estimates
from evaluation.indicators.model import Definition, DesignSpec, Indicator, Logframe
from evaluation.indicators.status import (
    expected_value,
    indicator_status,
    latest_milestone,
    pct_of_target,
)
from evaluation.paths import data_dir
from evaluation.results import ResultInfo, make_result, stack_results
from evaluation.validation import as_list, require_columns

DesignArg = str | Mapping[str, Any] | DesignSpec | None
EXTRAS = (
    "unit",
    "level",
    "baseline",
    "milestone",
    "milestone_date",
    "target",
    "pct_of_target",
    "status",
    "expected",
    "period_end",
    "method",
)
"""The indicator's attributes added after the estimates (see :func:`attribute_column`)."""
RESERVED = ("indicator", "period", *CORE, "deff", "n_psu")
"""Result columns a disaggregation cannot be named after."""


def attribute_column(name: str, by: Sequence[str]) -> str:
    """The result column of the indicator attribute ``name`` (one of :data:`EXTRAS`).

    ``name`` itself, unless a ``by`` column has that name (the logframe dimension ``unit``,
    administrative unit, meets the indicator's ``unit``, e.g. percent): then the ``by``
    column keeps the name and the attribute is ``indicator_<name>``.
    """
    return f"indicator_{name}" if name in by else name


def _check_by(by: Sequence[str], what: str) -> None:
    clashes = [b for b in by if b in RESERVED or str(b).startswith("_")]
    if clashes:
        raise ParamsError(
            f"{what}: cannot disaggregate by {format_values(clashes)}: the result table "
            f"has a column of that name ({', '.join(RESERVED)}) and names starting with '_' "
            "are internal; give the dimension another name in the logframe's 'dimensions'"
        )


def read_clean_tables(
    dataset: str = "demo", names: Iterable[str] | None = None, root: Path | None = None
) -> dict[str, pd.DataFrame]:
    """The clean tables of a dataset (``surveys/data/<dataset>/clean/<table>.parquet``).

    Raises
    ------
    DataError
        The folder or a named table does not exist (run ``workbench ingest <dataset>``).
    """
    folder = data_dir(dataset, root) / "clean"
    files = {p.stem: p for p in sorted(folder.glob("*.parquet"))}
    if not files:
        raise DataError(f"no clean tables in {folder}; run `workbench ingest {dataset}` first")
    wanted = list(names) if names is not None else list(files)
    missing = [n for n in wanted if n not in files]
    if missing:
        raise DataError(
            f"{folder} has no table {format_values(missing)}; it has {format_values(list(files))}"
        )
    return {name: pd.read_parquet(files[name]) for name in wanted}


def prepare_tables(
    logframe: Logframe, tables: Mapping[str, pd.DataFrame], names: Iterable[str] | None = None
) -> dict[str, pd.DataFrame]:
    """Tables with their derived variables added, and the views the logframe defines.

    Parameters
    ----------
    logframe : Logframe
    tables : mapping of str to DataFrame
        Clean tables by name (the inputs are not modified).
    names : iterable of str, optional
        Tables and views to prepare; default every given table and every view whose source
        table is given.

    Returns
    -------
    dict of str to DataFrame
    """
    if names is None:
        names = [*tables, *(v for v, view in logframe.views.items() if view.source in tables)]
    out: dict[str, pd.DataFrame] = {}
    for name in dict.fromkeys(names):
        _prepare_one(logframe, tables, name, out)
    return out


def _prepare_one(
    logframe: Logframe, tables: Mapping[str, pd.DataFrame], name: str, out: dict[str, pd.DataFrame]
) -> pd.DataFrame:
    if name in out:
        return out[name]
    view = logframe.views.get(name)
    if view is not None:
        source = _prepare_one(logframe, tables, view.source, out)
        data = derived_view(view, {view.source: source})
        notes = data.attrs.get("notes", [])
    elif name in tables:
        data, notes = tables[name], []
    else:
        raise DataError(
            f"the clean table '{name}' was not given; tables given: "
            f"{format_values(sorted(tables))} (read them with read_clean_tables())"
        )
    definitions = logframe.derived.get(name)
    if definitions:
        data = add_derived(data, name, definitions)
    data.attrs["notes"] = list(notes)
    out[name] = data
    return data


# --------------------------------------------------------------------------- one indicator
def compute_indicator(
    logframe: Logframe,
    indicator_id: str,
    tables: Mapping[str, pd.DataFrame],
    period: str | Sequence[str] | None = None,
    by: str | Sequence[str] | None = None,
    design: DesignArg = "auto",
    *,
    period_unit: str | None = None,
    as_of: dt.date | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Compute one indicator for its periods, overall or by disaggregation.

    Parameters
    ----------
    logframe : Logframe
        From :func:`~evaluation.indicators.load_logframe`.
    indicator_id : str
        E.g. ``"IMP1"``.
    tables : mapping of str to DataFrame
        Clean tables by name (see :func:`read_clean_tables`); views and derived variables
        are added here.
    period : str or list of str, optional
        Period labels to compute (``"baseline"``, ``"2023-01"``, ``"2023-Q1"``, ``"2023"``);
        default every period in the data, one row each. A period with no rows gives a row
        with ``n = 0`` (counts 0, other statistics NaN).
    by : str or list of str, optional
        Disaggregations: names under the logframe's ``dimensions`` (``sex``, ``age_band``,
        ``unit`` ...) or columns of the indicator's table. One row per domain that occurs.
    design : "auto", "exact", str, mapping or DesignSpec
        ``auto``: the indicator's design (design-based for the survey, exact for registers);
        ``exact``: treat the table as a register; a design name from the logframe, or
        :class:`evaluation.survey.Design` arguments as a mapping.
    period_unit : {"month", "quarter", "year"}, optional
        Read a date period in another unit (e.g. a quarterly indicator by month).
    as_of : date, optional
        The date for milestones and status; default the end of each row's period.
    level : float
        Confidence level.

    Returns
    -------
    DataFrame
        ``indicator, period, by..., estimate, se, ci_low, ci_high, p_value, df, n``, then
        ``unit, level, baseline, milestone, milestone_date, target, pct_of_target, status,
        expected, period_end, method`` (and ``deff, n_psu`` for survey estimates). Percent
        indicators are proportions 0-1. ``status`` is set on rows without ``by`` only.
        A ``by`` column named like one of these attributes keeps its name and the attribute
        becomes ``indicator_<name>`` (``by="unit"``: ``unit`` holds the administrative
        units, ``indicator_unit`` the indicator's unit; see :func:`attribute_column`).

    Raises
    ------
    ParamsError
        Unknown indicator, period label or design; an indicator marked ``computable: false``;
        a ``by`` name that is a core result column (``n``, ``estimate`` ...), ``indicator``,
        ``period`` or starts with ``_``.
    DataError
        A table or column is missing, or a proportion's variable is not 0/1.

    Notes
    -----
    Survey estimates are design-based: each survey round is its own sample (a
    :class:`~evaluation.survey.Design` on that round's rows) and the population is a domain
    of it, so PSUs and strata come from the whole round (R ``svyby``). Proportions use the
    logit interval of ``svyciprop``. Registers are exact; see
    :mod:`evaluation.indicators.estimate` for the Clopper-Pearson interval of proportions.

    See Also
    --------
    R ``survey::svyciprop``, ``svymean``, ``svytotal``, ``svyratio``, ``svyquantile`` with
    ``svyby``; ``stats::binom.test`` for the exact interval.

    Examples
    --------
    >>> compute_indicator(logframe, "IMP1", tables, by="sex")  # doctest: +SKIP
    """
    table = _computable(logframe, indicator_id).definition.table  # type: ignore[union-attr]
    prepared = prepare_tables(logframe, tables, [table])
    return compute_prepared(
        logframe, indicator_id, prepared, period, by, design,
        period_unit=period_unit, as_of=as_of, level=level,
    )  # fmt: skip


def compute_prepared(
    logframe: Logframe,
    indicator_id: str,
    prepared: Mapping[str, pd.DataFrame],
    period: str | Sequence[str] | None = None,
    by: str | Sequence[str] | None = None,
    design: DesignArg = "auto",
    *,
    period_unit: str | None = None,
    as_of: dt.date | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """:func:`compute_indicator` on tables already from :func:`prepare_tables` (derived
    variables and views are not computed again: use it in loops over indicators)."""
    indicator = _computable(logframe, indicator_id)
    return _compute(
        logframe, indicator, prepared, period, as_list(by), design, period_unit, as_of, level
    )


def _computable(logframe: Logframe, indicator_id: str) -> Indicator:
    indicator = logframe.indicator(indicator_id)
    if not indicator.computable or indicator.definition is None:
        raise ParamsError(
            f"indicator '{indicator_id}' is not computed by the workbench: {indicator.reason}"
        )
    return indicator


def _compute(
    logframe: Logframe,
    indicator: Indicator,
    prepared: Mapping[str, pd.DataFrame],
    period: str | Sequence[str] | None,
    by: list[str],
    design: DesignArg,
    period_unit: str | None,
    as_of: dt.date | None,
    level: float,
) -> pd.DataFrame:
    definition = indicator.definition
    assert definition is not None
    data = prepared[definition.table]
    what = f"indicator '{indicator.id}' (table {definition.table})"
    _check_by(by, what)
    spec = periods.with_unit(definition.period, period_unit)
    chosen = _design(logframe, definition.design, design)
    work = _work_frame(logframe, indicator, data, by, chosen, what)
    work["_period"] = periods.labels(data, spec, what)
    present = periods.ordered(work["_period"].dropna(), spec, data)
    wanted = periods.requested(period, present, spec)
    order = periods.ordered([*present, *wanted], spec, data)
    parts, notes = [], list(data.attrs.get("notes", []))
    for label in wanted:
        rows = _period_rows(work, label, order, definition.period is not None and spec.cumulative)
        table, extra_notes = _estimate(rows, definition, by, chosen, level)
        notes += extra_notes
        table.insert(0, "period", label)
        parts.append(table)
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    rows = _finish(indicator, rows, spec, by, chosen, as_of, logframe)
    info = ResultInfo(
        estimator="indicators.compute_indicator",
        method=_method(definition.statistic, chosen, definition.ci),
        level=level,
        vcov=_vcov(chosen),
        n_obs=len(data),
        reference=_reference(definition.statistic, chosen, definition.ci),
        notes=tuple(dict.fromkeys(notes)),
        extra={"indicator": indicator.id, "table": definition.table},
    )
    return make_result(rows, info, id_columns=["indicator", "period", *by])


def _design(logframe: Logframe, default: str | None, design: DesignArg) -> DesignSpec | None:
    if isinstance(design, DesignSpec):
        return design
    if isinstance(design, Mapping):
        allowed = ("weights", "strata", "clusters", "fpc", "lonely_psu", "nest")
        unknown = [str(k) for k in design if k not in allowed]
        if unknown:
            raise ParamsError(
                f"design argument '{unknown[0]}' is unknown{did_you_mean(unknown[0], allowed)}; "
                f"Design takes {', '.join(allowed)}"
            )
        return DesignSpec(name="custom", **dict(design))
    if design == "auto":
        return logframe.designs[default] if default else None
    if design in (None, "exact"):
        return None
    if design in logframe.designs:
        return logframe.designs[design]
    raise ParamsError(
        f"design '{design}' is not 'auto', 'exact' or a design of the logframe "
        f"({format_values(list(logframe.designs))})"
    )


def _work_frame(
    logframe: Logframe,
    indicator: Indicator,
    data: pd.DataFrame,
    by: list[str],
    design: DesignSpec | None,
    what: str,
) -> pd.DataFrame:
    definition = indicator.definition
    assert definition is not None
    work = pd.DataFrame(index=data.index)
    if definition.statistic == "ratio":
        work["_y"] = numeric_values(data[definition.numerator], what)
        work["_x"] = numeric_values(data[definition.denominator], what)
    elif definition.expression is not None:
        work["_y"] = evaluate_condition(data, definition.expression).astype("Float64")
    elif definition.variable is not None and definition.statistic == "count_unique":
        work["_y"] = data[definition.variable].astype("string")
    elif definition.variable is not None:
        work["_y"] = numeric_values(data[definition.variable], what)
    else:
        work["_y"] = pd.Series(1.0, index=data.index, dtype="Float64")
    if definition.statistic in ("proportion", "count") and definition.variable is not None:
        _require_binary(work["_y"], definition.variable, what)
    population = definition.population
    work["_pop"] = population.holds(data) if population is not None else True
    columns = {name: logframe.column_for(name, definition.table) for name in by}
    require_columns(data, columns.values(), what=f"{what}: disaggregation")
    for name, column in columns.items():
        work[name] = (
            data[column].astype("string") if not _is_category(data[column]) else data[column]
        )
    if design is not None:
        require_columns(data, design.columns(), what=f"{what}: design '{design.name}'")
        for column in design.columns():
            work[column] = data[column]
    return work


def _is_category(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.CategoricalDtype)


def _require_binary(values: pd.Series, name: str, what: str) -> None:
    observed = {float(v) for v in values.dropna().astype(float).unique()}
    if not observed <= {0.0, 1.0}:
        raise DataError(
            f"{what}: variable '{name}' has values {format_values(sorted(observed - {0.0, 1.0}))} "
            "besides 0 and 1; a proportion or count needs a 0/1 variable (define a binary "
            "derived variable, or use 'expression')"
        )


def _period_rows(
    work: pd.DataFrame, label: str, order: list[str], cumulative: bool
) -> pd.DataFrame:
    if label == periods.ALL:
        return work
    if not cumulative:
        return work[work["_period"] == label]
    rank = {lab: i for i, lab in enumerate(order)}
    ranks = work["_period"].map(rank)
    return work[ranks.notna() & (ranks <= rank[label])]


def _estimate(
    rows: pd.DataFrame,
    definition: Definition,
    by: list[str],
    design: DesignSpec | None,
    level: float,
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    statistic = definition.statistic
    if design is None:
        return register_estimates(rows, statistic, by, definition.ci, level), ()
    if not rows["_pop"].any():
        empty = register_estimates(rows, "mean", by, "none", level)
        return empty, ("a period with no respondents in the population gives no estimate",)
    variable = definition.variable or definition.numerator or "the condition"
    return survey_estimates(rows, statistic, by, design, level, variable)


def _finish(
    indicator: Indicator,
    rows: pd.DataFrame,
    spec: Any,
    by: list[str],
    design: DesignSpec | None,
    as_of: dt.date | None,
    logframe: Logframe,
) -> pd.DataFrame:
    definition = indicator.definition
    assert definition is not None
    factor = definition.multiplier
    for column in ("estimate", "se", "ci_low", "ci_high"):
        rows[column] = pd.to_numeric(rows[column], errors="coerce").astype(float) * factor
    rows.insert(0, "indicator", indicator.id)
    ends = [as_of or periods.end_date(label, spec) for label in rows["period"]]
    baseline = indicator.baseline.value if indicator.baseline else math.nan
    target = indicator.target.value if indicator.target else math.nan
    milestones = [latest_milestone(indicator, end) for end in ends]
    status = [
        indicator_status(indicator, e, end, logframe.status_rule) if not by else pd.NA
        for e, end in zip(rows["estimate"], ends, strict=True)
    ]
    attributes = {
        "unit": indicator.unit,
        "level": indicator.level,
        "baseline": baseline,
        "milestone": [m.value if m else math.nan for m in milestones],
        "milestone_date": [m.date if m else None for m in milestones],
        "target": target,
        "pct_of_target": [pct_of_target(indicator, e) for e in rows["estimate"]],
        "status": pd.array(status, dtype="string"),
        "expected": [expected_value(indicator, end) if end else math.nan for end in ends],
        "period_end": ends,
        "method": "design-based" if design is not None else "exact (register)",
    }
    for name, values in attributes.items():
        rows[attribute_column(name, by)] = values
    return rows


def _method(statistic: str, design: DesignSpec | None, ci: str) -> str:
    if design is not None:
        return f"design-based {statistic} (Taylor linearisation), population as a domain"
    interval = (
        " with Clopper-Pearson interval" if statistic == "proportion" and ci == "exact" else ""
    )
    return f"exact {statistic} of a register{interval}"


def _vcov(design: DesignSpec | None) -> str:
    if design is None:
        return "none (complete register)"
    return (
        f"design '{design.name}': weights {design.weights}, strata {design.strata}, "
        f"clusters {design.clusters}, lonely PSU rule '{design.lonely_psu}'"
    )


def _reference(statistic: str, design: DesignSpec | None, ci: str) -> str:
    if design is not None:
        return {
            "proportion": "R survey::svyciprop (logit)",
            "mean": "R survey::svymean",
            "total": "R survey::svytotal",
            "count": "R survey::svytotal",
            "ratio": "R survey::svyratio",
            "median": "R survey::svyquantile",
        }[statistic]
    return (
        "R stats::binom.test (Clopper-Pearson)"
        if statistic == "proportion" and ci == "exact"
        else ""
    )


# --------------------------------------------------------------------------- many indicators
def compute_indicators(
    logframe: Logframe,
    tables: Mapping[str, pd.DataFrame],
    ids: Iterable[str] | None = None,
    period: str | Sequence[str] | None = None,
    by: str | Sequence[str] | None = None,
    design: DesignArg = "auto",
    *,
    period_unit: str | None = None,
    as_of: dt.date | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Compute many indicators (default: every computable one) into one tidy table.

    Parameters are those of :func:`compute_indicator`. Each table is prepared once.
    Indicators that cannot take the request are left out with a note in
    ``attrs["info"].notes`` rather than failing the whole table: a ``period`` or
    ``period_unit`` that does not fit their period (a month for a survey wave), or a ``by``
    their table has no column for.

    Returns
    -------
    DataFrame
        The rows of :func:`compute_indicator`, indicator after indicator in logframe order.

    Raises
    ------
    ParamsError
        No indicator could be computed for the request, or an unknown id.
    """
    chosen = list(ids) if ids is not None else logframe.computable()
    indicators = [logframe.indicator(i) for i in chosen]
    skipped = [i.id for i in indicators if not i.computable]
    indicators = [i for i in indicators if i.computable]
    needed = {i.definition.table for i in indicators if i.definition}
    prepared = prepare_tables(logframe, tables, needed)
    by_names = as_list(by)
    results, notes = [], [f"not computed by the workbench: {', '.join(skipped)}"] if skipped else []
    for indicator in indicators:
        reason = _does_not_fit(logframe, indicator, period, period_unit, by_names, prepared)
        if reason:
            notes.append(f"{indicator.id} left out: {reason}")
            continue
        results.append(
            _compute(
                logframe, indicator, prepared, period, by_names, design, period_unit, as_of, level
            )
        )
    if not results:
        raise ParamsError(
            "no indicator could be computed for this request: "
            + "; ".join(notes or ["none chosen"])
        )
    stacked = stack_results(results, estimator="indicators.compute_indicators")
    stacked.attrs["info"] = stacked.attrs["info"].with_notes(*notes)
    return stacked


def _does_not_fit(
    logframe: Logframe,
    indicator: Indicator,
    period: str | Sequence[str] | None,
    period_unit: str | None,
    by: list[str],
    prepared: Mapping[str, pd.DataFrame],
) -> str:
    definition = indicator.definition
    assert definition is not None
    spec = definition.period
    if period_unit is not None and (
        spec is None or (spec.unit == "value") != (period_unit == "value")
    ):
        return f"its period ({spec.column if spec else 'none'}) cannot be read by {period_unit}"
    data = prepared[definition.table]
    missing = [b for b in by if logframe.column_for(b, definition.table) not in data.columns]
    if missing:
        return f"table {definition.table} has no column for {format_values(missing)}"
    if period is not None and spec is not None:
        unit = period_unit or spec.unit
        for label in as_list(period):
            if not _label_fits(label, unit, spec.dates, data, spec.column):
                return f"period '{label}' is not a {unit} of {spec.column}"
    return ""


def _label_fits(
    label: str, unit: str, dates: Mapping[str, dt.date], data: pd.DataFrame, column: str
) -> bool:
    import re

    patterns = {"month": r"\d{4}-(0[1-9]|1[0-2])", "quarter": r"\d{4}-Q[1-4]", "year": r"\d{4}"}
    if unit != "value":
        return re.fullmatch(patterns[unit], label) is not None
    return label in dates or label in set(data[column].astype("string").dropna())
