"""Strict checks of definition mappings read from YAML (derived variables, views, logframe).

Each helper takes the value, a ``where`` text that names the thing being defined and the key
(``"params/logframe.yaml: derived variable 'feels_safe' (table youth_survey), key 'items'"``)
and raises :class:`~evaluation.errors.ParamsError` with what was found and what is expected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from evaluation.errors import ExpressionError, ParamsError, did_you_mean, format_values
from evaluation.expressions import Expression, compile_expression


def check_keys(
    values: object,
    where: str,
    required: Iterable[str] = (),
    optional: Iterable[str] = (),
) -> Mapping[str, Any]:
    """The mapping itself, after checking that it has every required key and no unknown one."""
    if not isinstance(values, Mapping):
        raise ParamsError(
            f"{where}: expected a mapping of 'key: value' lines, found {_kind(values)}"
        )
    required, optional = list(required), list(optional)
    allowed = [*required, *optional]
    unknown = [str(k) for k in values if k not in allowed]
    if unknown:
        raise ParamsError(
            f"{where}: unknown key '{unknown[0]}'{did_you_mean(unknown[0], allowed)}. "
            f"Valid keys: {', '.join(allowed)}"
        )
    missing = [k for k in required if values.get(k) is None]
    if missing:
        raise ParamsError(
            f"{where}: missing required key {format_values(missing)}; "
            f"valid keys: {', '.join(allowed)}"
        )
    return values


def text(value: object, where: str, choices: Sequence[str] = ()) -> str:
    """A non-empty string, one of ``choices`` when given."""
    if not isinstance(value, str) or not value.strip():
        raise ParamsError(f"{where}: expected text, found {_kind(value)}")
    value = value.strip()
    if choices and value not in choices:
        raise ParamsError(
            f"{where}: '{value}' is not allowed{did_you_mean(value, choices)}; "
            f"choose one of: {', '.join(choices)}"
        )
    return value


def names(value: object, where: str, minimum: int = 1) -> tuple[str, ...]:
    """A list of distinct names (a single name is accepted as a list of one)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or len(items) < minimum:
        raise ParamsError(
            f"{where}: expected a list of at least {minimum} name(s), found {_kind(value)}"
        )
    out = tuple(text(item, where) for item in items)
    repeated = sorted({n for n in out if out.count(n) > 1})
    if repeated:
        raise ParamsError(f"{where}: {format_values(repeated)} listed more than once")
    return out


def number(
    value: object, where: str, minimum: float | None = None, maximum: float | None = None
) -> float:
    """A number (not a boolean), within the bounds when given."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParamsError(f"{where}: expected a number, found {_kind(value)}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = (
            f"[{'-inf' if minimum is None else minimum}, {'inf' if maximum is None else maximum}]"
        )
        raise ParamsError(f"{where}: {value} is outside {bounds}")
    return float(value)


def integer(value: object, where: str, minimum: int | None = None) -> int:
    """A whole number, at least ``minimum`` when given."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParamsError(f"{where}: expected a whole number, found {_kind(value)}")
    if minimum is not None and value < minimum:
        raise ParamsError(f"{where}: {value} is below the minimum {minimum}")
    return value


def date(value: object, where: str) -> dt.date:
    """A calendar date, from YAML's date or an ISO ``YYYY-MM-DD`` string."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ParamsError(
        f"{where}: expected a date YYYY-MM-DD (e.g. 2023-06-30), found {_kind(value)}"
    )


def boolean(value: object, where: str) -> bool:
    """``true`` or ``false``."""
    if not isinstance(value, bool):
        raise ParamsError(f"{where}: expected true or false, found {_kind(value)}")
    return value


def labels(value: object, where: str, required: Sequence[str] = ("en",)) -> Mapping[str, str]:
    """Texts per language code, e.g. ``{en: Feels safe, sq: Ndihet i sigurt}``."""
    optional = [k for k in ("en", "sq") if k not in required]
    mapping = check_keys(value, where, required=required, optional=optional)
    return {str(k): text(v, f"{where}, language '{k}'") for k, v in mapping.items()}


def expression(value: object, where: str) -> Expression:
    """An XLSForm expression, parsed (a syntax error names the key and the character)."""
    source = text(value, where)
    try:
        return compile_expression(source)
    except ExpressionError as error:
        raise ParamsError(f"{where}: {error}") from None


def expression_inputs(compiled: Expression) -> tuple[str, ...]:
    """The columns an expression reads (``${name}`` and bare names), in order of first use."""
    return tuple(dict.fromkeys((*compiled.fields, *compiled.names)))


def known_name(
    name: str, known: Iterable[str], where: str, absent: Mapping[str, str] | None = None
) -> None:
    """Raise unless ``name`` is among ``known``; ``absent`` explains names that exist but are
    not in clean tables (personal data, geopoints)."""
    known = list(known)
    if name in known:
        return
    if absent and name in absent:
        raise ParamsError(f"{where}: '{name}' {absent[name]}")
    raise ParamsError(
        f"{where}: '{name}' is not a known variable{did_you_mean(name, known)}; "
        f"known variables include {format_values(sorted(known), limit=8)}"
    )


def _kind(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, bool):
        return f"a boolean ({value})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)}"
    return type(value).__name__
