"""Read ``params/logframe.yaml`` and validate it strictly, before anything is computed.

Every key is checked against the schema (an unknown key is an error with a "did you mean"
hint, as in ``params/``), and every variable an indicator, a derived variable, a view, a
design or a disaggregation reads is checked against the questionnaire of its table (the
clean table's columns: question names, ``<q>__<choice>`` for select_multiple, the ``_``
metadata columns, the table's extra ``columns``) plus the derived variables. Problems are
collected, one per indicator or definition, and raised together as one
:class:`~evaluation.errors.ParamsError`.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from evaluation.derive import DerivedVariable, View, check_inputs, checks, parse_derived, parse_view
from evaluation.errors import ParamsError, did_you_mean
from evaluation.indicators.model import (
    CI_METHODS,
    DIRECTIONS,
    LEVELS,
    PERIOD_UNITS,
    STATISTICS,
    UNITS,
    Dated,
    Definition,
    DesignSpec,
    Dimension,
    Indicator,
    Logframe,
    Period,
    StatusRule,
    TableSource,
)
from evaluation.instruments import read_instrument
from evaluation.params import display_path, read_params_file
from evaluation.paths import instruments_dir, params_dir

TOP_KEYS = (
    "project",
    "notes",
    "status_rule",
    "designs",
    "tables",
    "dimensions",
    "views",
    "derived",
    "indicators",
)
INDICATOR_KEYS = (
    "level", "name", "unit", "direction", "definition", "computable", "reason",
    "disaggregations", "baseline", "milestones", "target", "source", "frequency", "measure",
    "notes",
)  # fmt: skip
DEFINITION_KEYS = (
    "table", "statistic", "variable", "expression", "numerator", "denominator", "population",
    "period", "design", "multiplier", "ci",
)  # fmt: skip
METADATA_COLUMNS = (
    "_submission_id", "_source_file", "_source_row", "_submitted_at", "_enumerator",
    "_duration_min", "_flags",
)  # fmt: skip
"""Columns every clean table has (the ingestion contract)."""
ABSENT_TYPES = ("geopoint", "geotrace", "geoshape", "image", "audio", "video", "file")
LONELY_PSU = ("fail", "adjust", "certainty", "average")
NO_DESIGN = "none"


def load_logframe(
    path: str | Path | None = None,
    *,
    root: Path | None = None,
    instruments: str | Path | None = None,
) -> Logframe:
    """Read and validate the logframe.

    Parameters
    ----------
    path : str or Path, optional
        The YAML file; default ``params/logframe.yaml`` of the project.
    root : Path, optional
        The project root (default :func:`evaluation.paths.project_root`).
    instruments : str or Path, optional
        Folder of the XLSForm questionnaires; default ``surveys/instruments``.

    Returns
    -------
    Logframe

    Raises
    ------
    ParamsError
        The file is missing or not YAML, a key is unknown or missing, a value has the wrong
        type, a date is not a date, milestones are out of order, or a variable is neither a
        column of its table nor a derived variable. The message names the indicator (or
        derived variable, view, design) and the key, with a "did you mean" hint; all problems
        found are listed.

    Examples
    --------
    >>> logframe = load_logframe()  # doctest: +SKIP
    >>> logframe.indicator("IMP1").definition.statistic  # doctest: +SKIP
    'proportion'
    """
    path = Path(path) if path is not None else params_dir(root) / "logframe.yaml"
    source = display_path(path, root)
    raw = read_params_file(path, root)
    folder = Path(instruments) if instruments is not None else instruments_dir(root)
    return parse_logframe(raw, source, lambda name: _instrument_columns(folder, name, source))


def parse_logframe(
    raw: Mapping[str, Any],
    source: str = "logframe",
    columns_of: Callable[[str], tuple[list[str], dict[str, str]]] | None = None,
) -> Logframe:
    """Validate a logframe already read as a mapping (see :func:`load_logframe`).

    ``columns_of(instrument)`` returns the clean columns of a questionnaire and the names it
    has that clean tables lack (with the reason); without it only the ``columns`` listed
    for each table are known.
    """
    checks.check_keys(raw, source, required=["indicators"], optional=TOP_KEYS)
    problems: list[str] = []
    collect = _collector(problems)
    project = str(raw.get("project") or "")
    rule = collect(lambda: _status_rule(raw.get("status_rule") or {}, f"{source}: status_rule"))
    designs = _section(raw, "designs", source, _design, problems)
    tables = _section(raw, "tables", source, lambda n, s, w: _table(n, s, w, designs), problems)
    views = _section(raw, "views", source, lambda n, s, w: parse_view(n, s, source), problems)
    known, absent = _known_columns(tables, columns_of or (lambda name: ([], {})), problems, source)
    derived = _derived(raw.get("derived") or {}, tables, views, known, absent, source, problems)
    _check_views(views, tables, known, derived, absent, source, problems)
    _check_designs(tables, designs, known, derived, source, problems)
    for view in views.values():
        known[view.name] = list(view.columns())
    available = {t: [*known.get(t, []), *derived.get(t, {})] for t in (*tables, *views)}
    dimensions = _section(
        raw, "dimensions", source, lambda n, s, w: _dimension(n, s, w, available), problems
    )
    indicators = _indicators(
        raw["indicators"], source, available, absent, designs, tables, views, dimensions, problems
    )
    if problems:
        count = f"{len(problems)} problems" if len(problems) > 1 else "1 problem"
        raise ParamsError(f"{source}: {count}: " + " | ".join(problems))
    return Logframe(
        project=project,
        indicators=indicators,
        tables=tables,
        views=views,
        derived=derived,
        designs=designs,
        dimensions=dimensions,
        status_rule=rule or StatusRule(),
        source=source,
    )


# --------------------------------------------------------------------------- helpers
def _collector(problems: list[str]) -> Callable[[Callable[[], Any]], Any]:
    def collect(build: Callable[[], Any]) -> Any:
        try:
            return build()
        except ParamsError as error:
            problems.append(str(error))
            return None

    return collect


def _section(
    raw: Mapping[str, Any],
    key: str,
    source: str,
    parse: Callable[[str, Any, str], Any],
    problems: list[str],
) -> dict[str, Any]:
    values = raw.get(key) or {}
    if not isinstance(values, Mapping):
        problems.append(f"{source}: '{key}' must be a mapping of names to definitions")
        return {}
    out = {}
    collect = _collector(problems)
    for name, spec in values.items():
        parsed = collect(lambda n=str(name), s=spec: parse(n, s, f"{source}: {key[:-1]} '{n}'"))
        if parsed is not None:
            out[str(name)] = parsed
    return out


def _status_rule(spec: Any, where: str) -> StatusRule:
    checks.check_keys(spec, where, optional=["margin"])
    margin = spec.get("margin")
    return StatusRule(
        0.10 if margin is None else checks.number(margin, f"{where}, key 'margin'", 0, 1)
    )


def _design(name: str, spec: Any, where: str) -> DesignSpec:
    keys = ("weights", "strata", "clusters", "fpc", "lonely_psu", "nest")
    checks.check_keys(spec, where, optional=keys)

    def columns(key: str) -> str | tuple[str, ...] | None:
        value = spec.get(key)
        if value is None:
            return None
        found = checks.names(value, f"{where}, key '{key}'")
        return found[0] if isinstance(value, str) else found

    return DesignSpec(
        name=name,
        weights=checks.text(spec["weights"], f"{where}, key 'weights'")
        if spec.get("weights")
        else None,
        strata=checks.text(spec["strata"], f"{where}, key 'strata'")
        if spec.get("strata")
        else None,
        clusters=columns("clusters"),
        fpc=columns("fpc"),
        lonely_psu=checks.text(
            spec.get("lonely_psu") or "adjust", f"{where}, key 'lonely_psu'", LONELY_PSU
        ),
        nest=checks.boolean(spec.get("nest", False), f"{where}, key 'nest'"),
    )


def _table(name: str, spec: Any, where: str, designs: Mapping[str, DesignSpec]) -> TableSource:
    spec = spec or {}
    checks.check_keys(spec, where, optional=["instrument", "design", "columns"])
    design = spec.get("design")
    if design is not None:
        design = checks.text(design, f"{where}, key 'design'", tuple(designs))
    instrument = spec.get("instrument", name)
    return TableSource(
        name=name,
        instrument=checks.text(instrument, f"{where}, key 'instrument'") if instrument else None,
        design=design,
        columns=checks.names(spec.get("columns") or [], f"{where}, key 'columns'", minimum=0),
    )


def _instrument_columns(folder: Path, name: str, source: str) -> tuple[list[str], dict[str, str]]:
    """The clean columns of a questionnaire, and the names clean tables lack (with why)."""
    path = folder / f"{name}.xlsx"
    if not path.is_file():
        raise ParamsError(
            f"{source}: questionnaire '{name}' not found at {path}; set the table's "
            "'instrument' to the file name (without .xlsx) in surveys/instruments/"
        )
    columns, absent = _columns_of_file(path.resolve(), path.stat().st_mtime_ns)
    return list(columns), dict(absent)


@lru_cache(maxsize=32)
def _columns_of_file(
    path: Path, modified: int
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Read once per file version (``modified`` is part of the cache key)."""
    instrument = read_instrument(path, convert=False)
    columns: list[str] = []
    absent: dict[str, str] = {}
    for question in instrument.data_questions():
        if question.personal_data in ("direct", "free_text"):
            absent[question.name] = (
                f"is personal data ({question.personal_data}) and is not in clean tables"
            )
        elif question.type in ABSENT_TYPES:
            absent[question.name] = f"is a {question.type} field and is not in clean tables"
        else:
            columns.append(question.name)
            if question.type == "select_multiple":
                choices = instrument.choices(question.list_name)
                columns += [f"{question.name}__{c.name}" for c in choices]
    return tuple(columns), tuple(absent.items())


def _known_columns(
    tables: Mapping[str, TableSource],
    columns_of: Callable[[str], tuple[list[str], dict[str, str]]],
    problems: list[str],
    source: str,
) -> tuple[dict[str, list[str]], dict[str, str]]:
    known: dict[str, list[str]] = {}
    absent: dict[str, str] = {}
    for name, table in tables.items():
        columns: list[str] = []
        if table.instrument:
            try:
                columns, missing = columns_of(table.instrument)
            except ParamsError as error:
                problems.append(str(error))
                missing = {}
            absent.update(missing)
        known[name] = [*METADATA_COLUMNS, *columns, *table.columns]
    return known, absent


def _derived(
    raw: Any,
    tables: Mapping[str, TableSource],
    views: Mapping[str, View],
    known: Mapping[str, list[str]],
    absent: Mapping[str, str],
    source: str,
    problems: list[str],
) -> dict[str, dict[str, DerivedVariable]]:
    if not isinstance(raw, Mapping):
        problems.append(f"{source}: 'derived' must map table names to their derived variables")
        return {}
    out: dict[str, dict[str, DerivedVariable]] = {}
    targets = [*tables, *views]
    for table, definitions in raw.items():
        table = str(table)
        if table not in targets:
            problems.append(
                f"{source}: derived variables for '{table}', which is neither a table nor a "
                f"view{_hint(table, targets)}; tables and views: {', '.join(targets)}"
            )
            continue
        try:
            parsed = parse_derived(definitions or {}, table, source)
            columns = list(views[table].columns()) if table in views else known.get(table, [])
            check_inputs(parsed, columns, source, absent)
        except ParamsError as error:
            problems.append(str(error))
            continue
        out[table] = parsed
    return out


def _check_views(
    views: Mapping[str, View],
    tables: Mapping[str, TableSource],
    known: Mapping[str, list[str]],
    derived: Mapping[str, Mapping[str, DerivedVariable]],
    absent: Mapping[str, str],
    source: str,
    problems: list[str],
) -> None:
    for view in views.values():
        where = f"{source}: view '{view.name}'"
        if view.source not in tables:
            problems.append(
                f"{where}, key 'source': '{view.source}' is not a table"
                f"{_hint(view.source, tables)}; tables: {', '.join(tables)}"
            )
            continue
        available = [*known[view.source], *derived.get(view.source, {})]
        try:
            for name in view.inputs():
                checks.known_name(name, available, f"{where} (table {view.source})", absent)
        except ParamsError as error:
            problems.append(str(error))


def _check_designs(
    tables: Mapping[str, TableSource],
    designs: Mapping[str, DesignSpec],
    known: Mapping[str, list[str]],
    derived: Mapping[str, Mapping[str, DerivedVariable]],
    source: str,
    problems: list[str],
) -> None:
    for table in tables.values():
        if table.design is None:
            continue
        available = [*known[table.name], *derived.get(table.name, {})]
        for column in designs[table.design].columns():
            try:
                checks.known_name(
                    column,
                    available,
                    f"{source}: design '{table.design}' used by table '{table.name}'",
                )
            except ParamsError as error:
                problems.append(str(error))


def _dimension(name: str, spec: Any, where: str, available: Mapping[str, list[str]]) -> Dimension:
    checks.check_keys(spec, where, required=["label", "columns"])
    label = checks.labels(spec["label"], f"{where}, key 'label'", ("en", "sq"))
    columns = spec["columns"]
    if not isinstance(columns, Mapping) or not columns:
        raise ParamsError(f"{where}, key 'columns': expected 'table: column' lines")
    out = {}
    for table, column in columns.items():
        at = f"{where}, key 'columns', table '{table}'"
        if table not in available:
            raise ParamsError(f"{at}: not a table or view{_hint(str(table), available)}")
        column = checks.text(column, at)
        checks.known_name(column, available[table], at)
        out[str(table)] = column
    return Dimension(name, label, out)


def _hint(word: str, candidates: Any) -> str:
    return did_you_mean(word, list(candidates))


# --------------------------------------------------------------------------- indicators
def _indicators(
    raw: Any,
    source: str,
    available: Mapping[str, list[str]],
    absent: Mapping[str, str],
    designs: Mapping[str, DesignSpec],
    tables: Mapping[str, TableSource],
    views: Mapping[str, View],
    dimensions: Mapping[str, Dimension],
    problems: list[str],
) -> dict[str, Indicator]:
    if not isinstance(raw, Mapping) or not raw:
        problems.append(f"{source}: 'indicators' must map indicator ids (e.g. IMP1) to definitions")
        return {}
    context = _Context(available, absent, designs, tables, views, dimensions)
    out = {}
    for indicator_id, spec in raw.items():
        try:
            out[str(indicator_id)] = _indicator(
                str(indicator_id), spec, f"{source}: indicator '{indicator_id}'", context
            )
        except ParamsError as error:
            problems.append(str(error))
    return out


@dataclass(frozen=True)
class _Context:
    """What an indicator definition is checked against."""

    available: Mapping[str, list[str]]
    absent: Mapping[str, str]
    designs: Mapping[str, DesignSpec]
    tables: Mapping[str, TableSource]
    views: Mapping[str, View]
    dimensions: Mapping[str, Dimension]


def _indicator(indicator_id: str, spec: Any, where: str, context: _Context) -> Indicator:
    checks.check_keys(
        spec, where, required=["level", "name", "unit", "direction"], optional=INDICATOR_KEYS
    )
    level = checks.text(spec["level"], f"{where}, key 'level'", LEVELS)
    name = checks.labels(spec["name"], f"{where}, key 'name'", ("en", "sq"))
    unit = checks.text(spec["unit"], f"{where}, key 'unit'", UNITS)
    direction = checks.text(spec["direction"], f"{where}, key 'direction'", DIRECTIONS)
    computable = checks.boolean(spec.get("computable", True), f"{where}, key 'computable'")
    reason = str(spec.get("reason") or "")
    definition = None
    if computable:
        if spec.get("definition") is None:
            raise ParamsError(
                f"{where}: missing key 'definition' (how to compute it); or set "
                "computable: false with a reason if the workbench does not collect its data"
            )
        definition = _definition(spec["definition"], f"{where}, key 'definition'", context)
    elif not reason:
        raise ParamsError(
            f"{where}: computable: false needs a 'reason' (where the data comes from)"
        )
    disaggregations = checks.names(
        spec.get("disaggregations") or [], f"{where}, key 'disaggregations'", minimum=0
    )
    if definition is not None:
        for dimension in disaggregations:
            _check_dimension(
                dimension, definition.table, f"{where}, key 'disaggregations'", context
            )
    baseline = _dated(
        spec.get("baseline"), f"{where}, key 'baseline'", unit, ("value", "date", "source", "note")
    )
    target = _dated(spec.get("target"), f"{where}, key 'target'", unit, ("value", "date", "note"))
    milestones = _milestones(spec.get("milestones") or [], f"{where}, key 'milestones'", unit)
    _check_order(baseline, milestones, target, where)
    return Indicator(
        id=indicator_id,
        level=level,
        name=name,
        unit=unit,
        direction=direction,
        definition=definition,
        computable=computable,
        reason=reason,
        disaggregations=disaggregations,
        baseline=baseline,
        milestones=milestones,
        target=target,
        source=_texts(spec.get("source"), f"{where}, key 'source'"),
        frequency=str(spec.get("frequency") or ""),
        numerator_text={"en": str(spec["measure"])} if spec.get("measure") else {},
        notes=str(spec.get("notes") or ""),
    )


def _texts(value: Any, where: str) -> dict[str, str]:
    """A text in English and Albanian (``{en: ..., sq: ...}``; ``sq`` may be left out), or
    one plain string, taken as English (logframes written before texts were bilingual)."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        return {"en": value}
    if not isinstance(value, Mapping):
        raise ParamsError(
            f"{where}: expected a text, or texts per language such as "
            f"'{{en: Youth survey (A8), sq: Anketa e të rinjve (A8)}}'; got {value!r}"
        )
    return dict(checks.labels(value, where, ("en",)))


def _check_dimension(dimension: str, table: str, where: str, context: _Context) -> None:
    found = context.dimensions.get(dimension)
    column = found.columns.get(table) if found else None
    if column is None and dimension in context.available.get(table, []):
        return  # a column of the table used directly
    if found is None:
        candidates = [*context.dimensions, *context.available.get(table, [])]
        raise ParamsError(
            f"{where}: '{dimension}' is neither a disaggregation under 'dimensions' nor a column "
            f"of {table}{_hint(dimension, candidates)}"
        )
    if column is None:
        raise ParamsError(
            f"{where}: disaggregation '{dimension}' has no column for table '{table}'; add "
            f"'{table}: <column>' under dimensions.{dimension}.columns"
        )


def _definition(spec: Any, where: str, context: _Context) -> Definition:
    checks.check_keys(spec, where, required=["table", "statistic"], optional=DEFINITION_KEYS)
    targets = [*context.tables, *context.views]
    table = checks.text(spec["table"], f"{where}, key 'table'", tuple(targets))
    statistic = checks.text(spec["statistic"], f"{where}, key 'statistic'", STATISTICS)
    known = context.available[table]

    def column(key: str) -> str | None:
        if spec.get(key) is None:
            return None
        name = checks.text(spec[key], f"{where}, key '{key}'")
        checks.known_name(name, known, f"{where}, key '{key}'", context.absent)
        return name

    def condition(key: str) -> Any:
        if spec.get(key) is None:
            return None
        compiled = checks.expression(spec[key], f"{where}, key '{key}'")
        for name in checks.expression_inputs(compiled):
            checks.known_name(name, known, f"{where}, key '{key}'", context.absent)
        return compiled

    variable, expression = column("variable"), condition("expression")
    numerator, denominator = column("numerator"), column("denominator")
    _check_statistic_keys(statistic, variable, expression, numerator, denominator, where)
    design = _definition_design(spec, table, where, context)
    if design is not None and statistic == "count_unique":
        raise ParamsError(
            f"{where}, key 'statistic': count_unique counts ids in a register; it has no "
            f"design-based estimate for survey table '{table}' (use count or total)"
        )
    period = _period(spec.get("period"), f"{where}, key 'period'", known)
    if period is not None and period.cumulative and design is not None:
        raise ParamsError(
            f"{where}, key 'period': cumulative periods are for registers; survey rounds are "
            "separate samples and are not pooled"
        )
    multiplier = spec.get("multiplier")
    return Definition(
        table=table,
        statistic=statistic,
        variable=variable,
        expression=expression,
        numerator=numerator,
        denominator=denominator,
        population=condition("population"),
        period=period,
        design=design,
        multiplier=1.0
        if multiplier is None
        else checks.number(multiplier, f"{where}, key 'multiplier'"),
        ci=checks.text(spec.get("ci") or "exact", f"{where}, key 'ci'", CI_METHODS),
    )


def _check_statistic_keys(
    statistic: str,
    variable: str | None,
    expression: Any,
    numerator: str | None,
    denominator: str | None,
    where: str,
) -> None:
    if statistic == "ratio":
        if numerator is None or denominator is None or variable or expression is not None:
            raise ParamsError(
                f"{where}: statistic 'ratio' takes 'numerator' and 'denominator' (column names), "
                "not 'variable' or 'expression'"
            )
        return
    if numerator is not None or denominator is not None:
        raise ParamsError(f"{where}: 'numerator' and 'denominator' are only for statistic 'ratio'")
    if variable is not None and expression is not None:
        raise ParamsError(f"{where}: give 'variable' or 'expression', not both")
    if statistic in ("mean", "total", "median", "count_unique") and variable is None:
        raise ParamsError(
            f"{where}: statistic '{statistic}' needs 'variable' (a column or derived variable)"
        )
    if statistic == "proportion" and variable is None and expression is None:
        raise ParamsError(
            f"{where}: statistic 'proportion' needs 'variable' (a 0/1 column) or 'expression' "
            "(a condition)"
        )


def _definition_design(
    spec: Mapping[str, Any], table: str, where: str, context: _Context
) -> str | None:
    value = spec.get("design")
    if value is None:
        source = context.tables.get(table)
        return source.design if source else None
    name = checks.text(value, f"{where}, key 'design'", (*context.designs, NO_DESIGN))
    if name == NO_DESIGN:
        return None
    if table in context.views:
        raise ParamsError(f"{where}, key 'design': views are registers and take no survey design")
    return name


def _period(spec: Any, where: str, known: list[str]) -> Period | None:
    if spec is None:
        return None
    if isinstance(spec, str):
        spec = {"column": spec}
    checks.check_keys(spec, where, required=["column"], optional=["unit", "dates", "cumulative"])
    column = checks.text(spec["column"], f"{where}, key 'column'")
    checks.known_name(column, known, f"{where}, key 'column'")
    unit = checks.text(spec.get("unit") or "value", f"{where}, key 'unit'", PERIOD_UNITS)
    dates = spec.get("dates") or {}
    if not isinstance(dates, Mapping):
        raise ParamsError(f"{where}, key 'dates': expected 'period: YYYY-MM-DD' lines")
    if dates and unit != "value":
        raise ParamsError(
            f"{where}, key 'dates': only for unit 'value' (dates are implied otherwise)"
        )
    parsed = {
        str(k): checks.date(v, f"{where}, key 'dates', period '{k}'") for k, v in dates.items()
    }
    return Period(
        column=column,
        unit=unit,
        dates=parsed,
        cumulative=checks.boolean(spec.get("cumulative", False), f"{where}, key 'cumulative'"),
    )


def _dated(spec: Any, where: str, unit: str, keys: tuple[str, ...]) -> Dated | None:
    if spec is None:
        return None
    optional = [k for k in keys if k not in ("value", "date")]
    checks.check_keys(spec, where, required=["value", "date"], optional=optional)
    value = checks.number(spec["value"], f"{where}, key 'value'")
    if unit == "percent" and not 0 <= value <= 1:
        raise ParamsError(
            f"{where}, key 'value': {value} is not a proportion; percent indicators are written "
            f"as proportions 0-1 (e.g. 0.26 for 26%)"
        )
    return Dated(
        value=value,
        date=checks.date(spec["date"], f"{where}, key 'date'"),
        source=str(spec.get("source") or ""),
        note=str(spec.get("note") or ""),
    )


def _milestones(spec: Any, where: str, unit: str) -> tuple[Dated, ...]:
    if not isinstance(spec, list):
        raise ParamsError(f"{where}: expected a list of '- {{date: YYYY-MM-DD, value: x}}' items")
    out = tuple(
        _dated(item, f"{where}, item {i + 1}", unit, ("value", "date", "note"))
        for i, item in enumerate(spec)
    )
    return tuple(m for m in out if m is not None)


def _check_order(
    baseline: Dated | None, milestones: tuple[Dated, ...], target: Dated | None, where: str
) -> None:
    points: list[tuple[str, dt.date]] = []
    if baseline is not None and baseline.date is not None:
        points.append(("baseline", baseline.date))
    points += [(f"milestone {i + 1}", m.date) for i, m in enumerate(milestones) if m.date]
    if target is not None and target.date is not None:
        points.append(("target", target.date))
    for (name_a, date_a), (name_b, date_b) in itertools.pairwise(points):
        if not date_a < date_b:
            raise ParamsError(
                f"{where}, key 'milestones': dates are out of order: {name_a} ({date_a}) is not "
                f"before {name_b} ({date_b}); list baseline, milestones and target by date"
            )
