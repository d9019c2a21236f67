"""Row-wise derived variables: parse their definitions and add them to a clean table.

A definition is a mapping with a ``kind`` and the kind's keys (see :data:`KINDS` and the
README section "Derived variables"). Every kind gives a missing value (``<NA>``) where the
row has no valid answer, so an indicator's denominator is the valid respondents:

=========  =================================================================  ==============
kind       value                                                              dtype
=========  =================================================================  ==============
scale      mean of the answered items (reverse-scored ``min + max - x``),     Float64
           missing below ``min_valid`` answered items, optionally rescaled
binary     1 where ``expression`` holds, else 0                               Int64
count      how many of ``conditions`` hold                                    Int64
number     the value of ``expression``                                        Float64
band       the label of the ``[low, high]`` band ``variable`` falls in        Categorical
days       days (or working days) after ``start`` up to ``end``               Int64
=========  =================================================================  ==============

``binary``, ``count`` and ``number`` take an optional ``valid`` expression: rows where it does
not hold get ``<NA>``. Without it a row is valid when at least one column the expressions
read is answered. ``days`` is missing when either date is.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evaluation.derive import checks
from evaluation.derive.workdays import HOLIDAY_CALENDARS, as_dates, days_between
from evaluation.errors import ParamsError, format_values
from evaluation.expressions import Expression, ExpressionFrame
from evaluation.scales import scale_score
from evaluation.validation import is_number

COMMON_KEYS = ("kind", "label", "description")
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (required keys, optional keys), besides COMMON_KEYS
    "scale": (
        ("items", "min_score", "max_score"),
        ("reverse", "rescale_to", "min_valid", "missing_codes"),
    ),
    "binary": (("expression",), ("valid",)),
    "count": (("conditions",), ("valid",)),
    "number": (("expression",), ("valid",)),
    "band": (("variable", "bands"), ()),
    "days": (("start", "end"), ("unit", "holidays")),
}
DAY_UNITS = ("days", "working_days")


@dataclass(frozen=True)
class DerivedVariable:
    """One derived variable of one table, validated.

    Attributes
    ----------
    name, table, kind : str
    options : mapping
        The kind's keys, checked and converted (expressions compiled, dates parsed).
    inputs : tuple of str
        The columns (or other derived variables) it reads.
    label : mapping of str to str
        Label per language (``en``, ``sq``); may be empty.
    description : str
    """

    name: str
    table: str
    kind: str
    options: Mapping[str, Any] = field(repr=False)
    inputs: tuple[str, ...] = ()
    label: Mapping[str, str] = field(default_factory=dict)
    description: str = ""


# --------------------------------------------------------------------------- parsing
def parse_derived(
    definitions: Mapping[str, Any], table: str, source: str = "derived"
) -> dict[str, DerivedVariable]:
    """Check the derived-variable definitions of one table and put them in dependency order.

    Parameters
    ----------
    definitions : mapping
        ``{name: {kind: ..., ...}}`` as read from YAML.
    table : str
        The table (or view) they belong to, for messages.
    source : str
        Where the definitions come from, for messages (e.g. ``params/logframe.yaml``).

    Returns
    -------
    dict of str to DerivedVariable
        In an order where every variable comes after the derived variables it reads.

    Raises
    ------
    ParamsError
        An unknown kind or key, a value of the wrong type, an expression that does not parse,
        or variables that read each other in a cycle. Messages name the variable and the key.
    """
    if not isinstance(definitions, Mapping):
        raise ParamsError(f"{source}: derived variables of '{table}' must be a mapping of names")
    parsed = {
        str(name): _parse_one(
            str(name), spec, table, f"{source}: derived variable '{name}' (table {table})"
        )
        for name, spec in definitions.items()
    }
    return _in_dependency_order(parsed, source)


def _parse_one(name: str, spec: object, table: str, where: str) -> DerivedVariable:
    spec = checks.check_keys(spec, where, required=["kind"], optional=_all_keys())
    kind = checks.text(spec["kind"], f"{where}, key 'kind'", tuple(KINDS))
    required, optional = KINDS[kind]
    checks.check_keys(
        spec, f"{where} (kind {kind})", required=required, optional=(*COMMON_KEYS, *optional)
    )
    options = _OPTION_PARSERS[kind](spec, where)
    label = checks.labels(spec["label"], f"{where}, key 'label'", ()) if spec.get("label") else {}
    description = spec.get("description") or ""
    if description:
        description = checks.text(description, f"{where}, key 'description'")
    return DerivedVariable(name, table, kind, options, _inputs(kind, options), label, description)


def _all_keys() -> list[str]:
    keys = {k for required, optional in KINDS.values() for k in (*required, *optional)}
    return [*COMMON_KEYS[1:], *sorted(keys)]


def _scale_options(spec: Mapping[str, Any], where: str) -> dict[str, Any]:
    items = checks.names(spec["items"], f"{where}, key 'items'")
    low = checks.number(spec["min_score"], f"{where}, key 'min_score'")
    high = checks.number(spec["max_score"], f"{where}, key 'max_score'")
    if not low < high:
        raise ParamsError(f"{where}: min_score {low} must be below max_score {high}")
    reverse = checks.names(spec.get("reverse") or [], f"{where}, key 'reverse'", minimum=0)
    stray = [r for r in reverse if r not in items]
    if stray:
        raise ParamsError(
            f"{where}, key 'reverse': {format_values(stray)} are not among the items; "
            "list every reversed item under items too"
        )
    rescale = spec.get("rescale_to")
    if rescale is not None:
        if not isinstance(rescale, list | tuple) or len(rescale) != 2:
            raise ParamsError(f"{where}, key 'rescale_to': expected [low, high], e.g. [0, 100]")
        rescale = tuple(checks.number(v, f"{where}, key 'rescale_to'") for v in rescale)
    min_valid = spec.get("min_valid")
    if min_valid is not None:
        min_valid = checks.integer(min_valid, f"{where}, key 'min_valid'", minimum=1)
        if min_valid > len(items):
            raise ParamsError(
                f"{where}, key 'min_valid': {min_valid} is more than the {len(items)} items"
            )
    missing = spec.get("missing_codes") or []
    if not isinstance(missing, list):
        raise ParamsError(f"{where}, key 'missing_codes': expected a list of codes, e.g. [9]")
    return {
        "items": items,
        "min_score": low,
        "max_score": high,
        "reverse": reverse,
        "rescale_to": rescale,
        "min_valid": min_valid,
        "missing_codes": tuple(str(_plain(code)) for code in missing),
    }


def _expression_options(spec: Mapping[str, Any], where: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if "expression" in spec:
        options["expression"] = checks.expression(spec["expression"], f"{where}, key 'expression'")
    if "conditions" in spec:
        conditions = spec["conditions"]
        if not isinstance(conditions, list) or not conditions:
            raise ParamsError(f"{where}, key 'conditions': expected a list of expressions")
        options["conditions"] = tuple(
            checks.expression(c, f"{where}, key 'conditions' (item {i + 1})")
            for i, c in enumerate(conditions)
        )
    options["valid"] = (
        checks.expression(spec["valid"], f"{where}, key 'valid'") if spec.get("valid") else None
    )
    return options


def _band_options(spec: Mapping[str, Any], where: str) -> dict[str, Any]:
    variable = checks.text(spec["variable"], f"{where}, key 'variable'")
    bands = spec["bands"]
    if not isinstance(bands, Mapping) or not bands:
        raise ParamsError(
            f"{where}, key 'bands': expected label: [low, high] lines, e.g. '10_14: [10, 14]'"
        )
    parsed: list[tuple[str, float, float]] = []
    for label, bounds in bands.items():
        at = f"{where}, key 'bands', band '{label}'"
        if not isinstance(bounds, list | tuple) or len(bounds) != 2:
            raise ParamsError(f"{at}: expected [low, high] (both included)")
        low, high = (checks.number(b, at) for b in bounds)
        if low > high:
            raise ParamsError(f"{at}: low {low} is above high {high}")
        parsed.append((str(label), low, high))
    ordered = sorted(parsed, key=lambda band: band[1])
    for (name_a, _, high_a), (name_b, low_b, _) in itertools.pairwise(ordered):
        if low_b <= high_a:
            raise ParamsError(f"{where}, key 'bands': bands '{name_a}' and '{name_b}' overlap")
    return {"variable": variable, "bands": tuple(parsed)}


def _days_options(spec: Mapping[str, Any], where: str) -> dict[str, Any]:
    start = checks.text(spec["start"], f"{where}, key 'start'")
    end = checks.names(spec["end"], f"{where}, key 'end'")
    unit = checks.text(spec.get("unit") or "days", f"{where}, key 'unit'", DAY_UNITS)
    holidays = spec.get("holidays")
    if holidays is not None:
        if unit != "working_days":
            raise ParamsError(f"{where}, key 'holidays': only used with unit: working_days")
        if isinstance(holidays, str):
            holidays = checks.text(holidays, f"{where}, key 'holidays'", HOLIDAY_CALENDARS)
        elif isinstance(holidays, list):
            holidays = tuple(checks.date(d, f"{where}, key 'holidays'") for d in holidays)
        else:
            raise ParamsError(
                f"{where}, key 'holidays': expected 'albania' or a list of dates YYYY-MM-DD"
            )
    return {"start": start, "end": end, "unit": unit, "holidays": holidays}


_OPTION_PARSERS = {
    "scale": _scale_options,
    "binary": _expression_options,
    "count": _expression_options,
    "number": _expression_options,
    "band": _band_options,
    "days": _days_options,
}


def _inputs(kind: str, options: Mapping[str, Any]) -> tuple[str, ...]:
    if kind == "scale":
        return tuple(options["items"])
    if kind == "band":
        return (options["variable"],)
    if kind == "days":
        return (options["start"], *options["end"])
    expressions = [options.get("expression"), *options.get("conditions", ()), options["valid"]]
    found: dict[str, None] = {}
    for compiled in expressions:
        if compiled is not None:
            found.update(dict.fromkeys(checks.expression_inputs(compiled)))
    return tuple(found)


def _in_dependency_order(
    parsed: dict[str, DerivedVariable], source: str
) -> dict[str, DerivedVariable]:
    ordered: dict[str, DerivedVariable] = {}
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            cycle = " -> ".join([*visiting[visiting.index(name) :], name])
            raise ParamsError(f"{source}: derived variables read each other in a cycle: {cycle}")
        visiting.append(name)
        for dependency in parsed[name].inputs:
            if dependency in parsed and dependency != name:
                visit(dependency)
        visiting.pop()
        ordered[name] = parsed[name]

    for name in parsed:
        visit(name)
    return ordered


def check_inputs(
    variables: Mapping[str, DerivedVariable],
    known: Sequence[str],
    source: str,
    absent: Mapping[str, str] | None = None,
) -> None:
    """Raise :class:`ParamsError` if a derived variable reads a name that is neither a known
    column nor another derived variable (did-you-mean included)."""
    available = [*known, *variables]
    for variable in variables.values():
        for name in variable.inputs:
            if name == variable.name and name not in known:
                raise ParamsError(
                    f"{source}: derived variable '{variable.name}' (table {variable.table}) reads "
                    "itself; it may only replace a column of the same name that the table has"
                )
            checks.known_name(
                name,
                available,
                f"{source}: derived variable '{variable.name}' (table {variable.table}), key "
                f"'{_key_of(variable, name)}'",
                absent,
            )


def _key_of(variable: DerivedVariable, name: str) -> str:
    options = variable.options
    if variable.kind == "scale":
        return "items"
    if variable.kind == "band":
        return "variable"
    if variable.kind == "days":
        return "start" if name == options["start"] else "end"
    for key in ("expression", "conditions", "valid"):
        value = options.get(key)
        compiled = value if isinstance(value, tuple) else (value,) if value is not None else ()
        if any(name in checks.expression_inputs(c) for c in compiled):
            return key
    return "expression"


# --------------------------------------------------------------------------- computing
def add_derived(
    table: pd.DataFrame,
    table_name: str,
    definitions: Mapping[str, DerivedVariable] | Mapping[str, Any],
) -> pd.DataFrame:
    """A copy of ``table`` with the derived variables added as columns.

    Parameters
    ----------
    table : DataFrame
        A clean table (or a view), typed as ingestion writes it.
    table_name : str
        Its name, for messages.
    definitions : mapping
        Parsed :class:`DerivedVariable` records (from :func:`parse_derived` or the logframe),
        or raw YAML definitions, which are parsed here.

    Returns
    -------
    DataFrame
        The input columns and one new column per definition (a definition may replace a
        column of the same name, e.g. a form's text ``calculate`` with a typed value). The
        input is never modified.

    Raises
    ------
    ParamsError
        A definition is invalid or reads a column the table does not have.
    DataError
        A column cannot be read as the kind needs (text in a scale item, a non-date).

    Examples
    --------
    >>> add_derived(youth, "youth_survey", {"feels_safe": {
    ...     "kind": "binary", "expression": "${cs_safe_dark} >= 3"}})  # doctest: +SKIP
    """
    variables = (
        dict(definitions)
        if all(isinstance(v, DerivedVariable) for v in definitions.values())
        else parse_derived(definitions, table_name)
    )
    check_inputs(variables, [str(c) for c in table.columns], f"derived variables of '{table_name}'")
    out = table.copy()
    frame = ExpressionFrame(out)
    for variable in variables.values():
        column = _COMPUTE[variable.kind](out, frame, variable)
        column.index = out.index
        replaces = variable.name in out.columns
        out[variable.name] = column
        if replaces:  # the frame keeps column views: start a new one to read the new values
            frame = ExpressionFrame(out)
    return out


def _what(variable: DerivedVariable) -> str:
    return f"derived variable '{variable.name}' (table {variable.table})"


def numeric_values(series: pd.Series, what: str, missing_codes: Sequence[str] = ()) -> pd.Series:
    """A column as Float64: numbers as they are, choice codes (text or categorical) as numbers.

    ``missing_codes`` (e.g. ``"9"`` for don't know) become missing first.
    """
    from evaluation.errors import DataError

    if isinstance(series.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(series):
        strings = series.astype("string").str.strip()
        if missing_codes:
            strings = strings.mask(strings.isin(list(missing_codes)))
        values = pd.to_numeric(strings, errors="coerce")
        bad = values.isna() & strings.notna() & (strings != "")
        if bad.any():
            raise DataError(
                f"{what}: column '{series.name}' has values that are not numbers "
                f"({format_values(sorted(set(strings[bad])))}); list don't-know codes under "
                "missing_codes or choose numeric items"
            )
        return values.astype("Float64")
    values = series.astype("Float64")
    if missing_codes:
        codes = [float(c) for c in missing_codes if is_number(c)]
        values = values.mask(values.isin(codes))
    return values


def _plain(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _scale(data: pd.DataFrame, frame: ExpressionFrame, variable: DerivedVariable) -> pd.Series:
    o = variable.options
    items = pd.DataFrame(
        {
            item: numeric_values(data[item], _what(variable), o["missing_codes"]).astype(float)
            for item in o["items"]
        },
        index=data.index,
    )
    score = scale_score(
        items,
        list(o["items"]),
        min_score=o["min_score"],
        max_score=o["max_score"],
        reverse=list(o["reverse"]),
        rescale_to=o["rescale_to"],
        min_valid=o["min_valid"],
    )
    return score.astype("Float64")


def _valid(data: pd.DataFrame, frame: ExpressionFrame, variable: DerivedVariable) -> np.ndarray:
    valid: Expression | None = variable.options["valid"]
    if valid is not None:
        return valid.holds(frame)
    answered = np.zeros(len(data), dtype=bool)
    for name in variable.inputs:
        answered |= ~frame.node(name).empty
    return answered


def _binary(data: pd.DataFrame, frame: ExpressionFrame, variable: DerivedVariable) -> pd.Series:
    values = variable.options["expression"].holds(frame).astype("int64")
    return _masked_int(values, _valid(data, frame, variable))


def _count(data: pd.DataFrame, frame: ExpressionFrame, variable: DerivedVariable) -> pd.Series:
    values = sum(c.holds(frame).astype("int64") for c in variable.options["conditions"])
    return _masked_int(np.asarray(values), _valid(data, frame, variable))


def _number(data: pd.DataFrame, frame: ExpressionFrame, variable: DerivedVariable) -> pd.Series:
    raw = variable.options["expression"].evaluate(frame)
    values = pd.to_numeric(pd.Series(raw), errors="coerce").to_numpy(dtype=float, copy=True)
    values[~_valid(data, frame, variable)] = np.nan
    return pd.Series(pd.array(values, dtype="Float64")).mask(np.isnan(values))


def evaluate_condition(
    data: pd.DataFrame, expression: Expression, valid: Expression | None = None
) -> pd.Series:
    """A condition as a ``binary`` derived variable computes it: Int64 1/0, ``<NA>`` where
    the row is not valid (by default: none of the columns the condition reads is answered).
    """
    variable = DerivedVariable(
        "_condition",
        "",
        "binary",
        {"expression": expression, "valid": valid},
        _inputs("binary", {"expression": expression, "valid": valid}),
    )
    values = _binary(data, ExpressionFrame(data), variable)
    values.index = data.index
    return values


def _masked_int(values: np.ndarray, valid: np.ndarray) -> pd.Series:
    out = pd.array(values.astype("int64"), dtype="Int64")
    out[~valid] = pd.NA
    return pd.Series(out)


def _band(data: pd.DataFrame, frame: ExpressionFrame, variable: DerivedVariable) -> pd.Series:
    values = numeric_values(data[variable.options["variable"]], _what(variable)).to_numpy(
        dtype=float, na_value=np.nan
    )
    bands = variable.options["bands"]
    labels = np.full(len(values), None, dtype=object)
    for label, low, high in bands:
        labels[(values >= low) & (values <= high)] = label
    return pd.Series(pd.Categorical(labels, categories=[b[0] for b in bands]))


def _days(data: pd.DataFrame, frame: ExpressionFrame, variable: DerivedVariable) -> pd.Series:
    o = variable.options
    what = _what(variable)
    start = as_dates(data[o["start"]], f"{what}, column '{o['start']}'")
    ends = [as_dates(data[name], f"{what}, column '{name}'") for name in o["end"]]
    end = ends[0]
    for other in ends[1:]:  # the earliest end that is known
        end = np.where(np.isnat(end) | (~np.isnat(other) & (other < end)), other, end)
    return days_between(start, end, working=o["unit"] == "working_days", holidays=o["holidays"])


_COMPUTE = {
    "scale": _scale,
    "binary": _binary,
    "count": _count,
    "number": _number,
    "band": _band,
    "days": _days,
}
