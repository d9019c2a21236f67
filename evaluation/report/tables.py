"""Tidy tables → display tables: the only place numbers become text for readers.

Estimators and checks return tidy tables of raw numbers (``evaluation.results``); a report
shows them through this module, which

- formats numbers per language: English ``1,234.5`` and ``12.3%``; Albanian ``1 234,5`` and
  ``12,3%`` (decimal comma, a no-break space between thousands, as CLDR's ``sq`` locale);
  a missing value is shown as an en dash ``–``;
- formats the core result columns: estimate, confidence interval ``[low, high]`` (``[low;
  high]`` in Albanian, since the comma is the decimal sign), p-values (``< 0.001``), ``n``;
- takes column headers from the report text files (:mod:`evaluation.report.labels`), and
  question and choice labels from the instrument, in the report's language;
- renders a display table as a small, deterministic HTML table for notebooks, text left and
  numbers right.

Nothing here rounds a number that is used again: display tables hold text only.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.errors import ReportError
from evaluation.report.labels import catalogue

MISSING = "–"
"""What a missing (or suppressed) value looks like in a display table."""

_SEPARATORS = {"en": (".", ","), "sq": (",", "\u00a0")}
_INTERVAL_SEPARATOR = {"en": ", ", "sq": "; "}
HEADER_NAMESPACES: tuple[str, ...] = ("table",)
"""Where :func:`header` looks for a column's header by default (``table.<column>``)."""


# --------------------------------------------------------------------------- numbers
def format_number(value: object, digits: int = 2, language: str = "en") -> str:
    """A number with ``digits`` decimals and thousands separators in ``language``.

    Parameters
    ----------
    value : number or missing
        The value; ``None``, NaN and ``pd.NA`` give :data:`MISSING`.
    digits : int
        Decimal places (rounded half to even, as Python's ``format``).
    language : str
        ``"en"`` (``1,234.56``) or ``"sq"`` (``1 234,56``, no-break space).

    Returns
    -------
    str

    Examples
    --------
    >>> format_number(1234.567, 1), format_number(1234.567, 1, "sq")
    ('1,234.6', '1\\xa0234,6')
    """
    number = _as_float(value)
    if number is None:
        return MISSING
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    text = f"{number:,.{digits}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]  # no "-0.0"
    return _localise(text, language)


def format_count(value: object, language: str = "en") -> str:
    """A whole number with thousands separators (``1,234``; Albanian ``1 234``)."""
    number = _as_float(value)
    if number is None:
        return MISSING
    return format_number(round(number), 0, language)


def format_percent(value: object, digits: int = 1, language: str = "en") -> str:
    """A share (0.123) as a percentage (``12.3%``; Albanian ``12,3%``)."""
    number = _as_float(value)
    if number is None:
        return MISSING
    return format_number(100 * number, digits, language) + "%"


def format_p_value(value: object, digits: int = 3, language: str = "en") -> str:
    """A p-value with ``digits`` decimals, or ``< 0.001`` below that (never ``0.000``)."""
    number = _as_float(value)
    if number is None:
        return MISSING
    floor = 10.0**-digits
    if number < floor:
        return "< " + format_number(floor, digits, language)
    return format_number(number, digits, language)


def format_interval(
    low: object, high: object, digits: int = 2, language: str = "en", *, percent: bool = False
) -> str:
    """A confidence interval ``[low, high]`` (Albanian ``[low; high]``); ``–`` if either is
    missing. With ``percent=True`` both ends are shares shown as percentages."""
    if _as_float(low) is None or _as_float(high) is None:
        return MISSING
    fmt = format_percent if percent else format_number
    sep = _INTERVAL_SEPARATOR.get(language, ", ")
    return f"[{fmt(low, digits, language)}{sep}{fmt(high, digits, language)}]"


def format_minutes(value: object, language: str = "en") -> str:
    """Minutes with one decimal (``12.5``)."""
    return format_number(value, 1, language)


def format_date(value: object) -> str:
    """A date as ``YYYY-MM-DD`` (the same in every language), or ``–``."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return MISSING
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def _as_float(value: object) -> float | None:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ReportError(
            f"cannot format {value!r} as a number; pass numbers (or missing values) to the "
            "number formatters and text through unchanged"
        ) from None
    return None if math.isnan(number) else number


def _localise(text: str, language: str) -> str:
    """``1,234.5`` (Python's format) in the separators of ``language``."""
    decimal, group = _SEPARATORS.get(language, _SEPARATORS["en"])
    if (decimal, group) == (".", ","):
        return text
    return text.replace(",", "\0").replace(".", decimal).replace("\0", group)


# --------------------------------------------------------------------------- labels
def header(
    column: str,
    language: str = "en",
    *,
    namespaces: Sequence[str] = HEADER_NAMESPACES,
    headers: Mapping[str, str] | None = None,
) -> str:
    """The header of ``column`` in ``language``.

    Looked up, in order: ``headers`` (explicit text), then ``<namespace>.<column>`` in the
    report text files for each of ``namespaces``.

    Raises
    ------
    ReportError
        When no text is found: every header a reader sees must exist in both languages.
    """
    if headers and column in headers:
        return headers[column]
    texts = catalogue(language)
    for namespace in namespaces:
        key = f"{namespace}.{column}"
        if key in texts:
            return texts[key]
    tried = ", ".join(f"{n}.{column}" for n in namespaces)
    raise ReportError(
        f"no header for column '{column}' in evaluation/report/i18n/{language}.yaml (looked "
        f"for {tried}); add it to every language file or pass headers={{'{column}': ...}}"
    )


def question_label(instrument: object, name: str, language: str = "en") -> str:
    """A question's label in ``language`` from the instrument; the name if it has none or the
    instrument does not know the question (a derived column)."""
    if instrument is None:
        return name
    try:
        text = instrument.label(name, language)  # type: ignore[attr-defined]
    except Exception:  # InstrumentError: not a question of this form
        return name
    return " ".join(str(text).split()) or name


def choice_label(instrument: object, question: str, code: object, language: str = "en") -> str:
    """The label of choice ``code`` of a select question, or the code itself."""
    if instrument is None or code is None or (not isinstance(code, str) and pd.isna(code)):
        return MISSING if code is None or pd.isna(code) else str(code)
    try:
        list_name = instrument.question(question).list_name  # type: ignore[attr-defined]
        return instrument.choice_label(list_name, code, language) or str(code)  # type: ignore[attr-defined]
    except Exception:
        return str(code)


# --------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class ColumnFormat:
    """How one column of a tidy table is shown.

    ``kind`` is one of ``"text"``, ``"count"``, ``"number"``, ``"percent"``, ``"p_value"``,
    ``"minutes"``, ``"date"``, ``"question"`` (a question name shown with its label) or
    ``"choice:<question>"``.
    """

    kind: str = "text"
    digits: int = 2


KINDS = ("text", "count", "number", "percent", "p_value", "minutes", "date", "question")


def display_table(
    table: pd.DataFrame,
    language: str = "en",
    *,
    formats: Mapping[str, str | ColumnFormat] | None = None,
    columns: Sequence[str] | None = None,
    headers: Mapping[str, str] | None = None,
    namespaces: Sequence[str] = HEADER_NAMESPACES,
    instrument: object = None,
    digits: int = 2,
) -> pd.DataFrame:
    """A display table: every cell text, headers in ``language``.

    Parameters
    ----------
    table : DataFrame
        A tidy table (not modified).
    language : str
        ``"en"`` or ``"sq"``.
    formats : mapping, optional
        Column → kind (see :class:`ColumnFormat`) or a :class:`ColumnFormat`. Columns not
        named are inferred: whole-number columns as counts, other numbers with ``digits``
        decimals, datetimes as dates, everything else as text.
    columns : sequence of str, optional
        The columns to show, in order (default: all).
    headers : mapping, optional
        Header text for some columns (overrides the text files).
    namespaces : sequence of str
        Where headers are looked up in the text files (see :func:`header`).
    instrument : Instrument, optional
        For ``question`` columns (the label is shown) and ``choice:<q>`` columns.
    digits : int
        Default decimals of numbers.

    Returns
    -------
    DataFrame
        Text cells; ``attrs["align"]`` maps each header to ``"left"`` or ``"right"``.

    Raises
    ------
    ReportError
        For a column without a header, or a format kind that does not exist.
    """
    chosen = list(columns) if columns is not None else list(table.columns)
    missing = [c for c in chosen if c not in table.columns]
    if missing:
        raise ReportError(
            f"display_table: the table has no column {', '.join(map(repr, missing))}; it has "
            f"{', '.join(map(str, table.columns))}"
        )
    out: dict[str, list[str]] = {}
    align: dict[str, str] = {}
    for column in chosen:
        spec = _spec(column, table[column], (formats or {}).get(column), digits)
        title = header(column, language, namespaces=namespaces, headers=headers)
        if title in out:
            raise ReportError(f"display_table: two columns have the header '{title}'")
        out[title] = _format_column(table[column], spec, language, instrument)
        align[title] = (
            "left"
            if spec.kind in ("text", "date", "question") or (spec.kind.startswith("choice:"))
            else "right"
        )
    shown = pd.DataFrame(out, index=range(len(table)), dtype=object)
    shown.attrs["align"] = align
    return shown


def results_table(
    result: pd.DataFrame,
    language: str = "en",
    *,
    id_columns: Sequence[str] | None = None,
    percent: bool = False,
    digits: int = 2,
    show: Sequence[str] = ("estimate", "ci", "p_value", "n"),
    headers: Mapping[str, str] | None = None,
    namespaces: Sequence[str] = HEADER_NAMESPACES,
    instrument: object = None,
    level: float | None = None,
) -> pd.DataFrame:
    """A result table (``evaluation.results`` contract) as a display table.

    Parameters
    ----------
    result : DataFrame
        A tidy result table: identifying columns, then ``estimate, se, ci_low, ci_high,
        p_value, df, n``, then extras.
    id_columns : sequence of str, optional
        Identifying columns to show (default: every column before ``estimate``). A column
        named ``variable`` is shown with the question's label when ``instrument`` is given.
    percent : bool
        Show estimate, se and the interval as percentages (for proportions).
    show : sequence of str
        Which of ``estimate``, ``se``, ``ci``, ``p_value``, ``df``, ``n`` and any extra
        column to show, in order. ``ci`` is the interval as one column.
    level : float, optional
        Confidence level for the interval's header (default: the table's ``ResultInfo``).

    Returns
    -------
    DataFrame
        Text cells, as :func:`display_table`.
    """
    columns = list(result.columns)
    if "estimate" not in columns:
        raise ReportError("results_table: the table has no 'estimate' column; is it a result?")
    ids = list(id_columns) if id_columns is not None else columns[: columns.index("estimate")]
    info = result.attrs.get("info")
    level = level if level is not None else getattr(info, "level", 0.95)
    texts = catalogue(language)
    frame = result[ids].copy()
    formats: dict[str, str | ColumnFormat] = {
        c: ("question" if c == "variable" and instrument is not None else "text") for c in ids
    }
    names = dict(headers or {})
    for item in show:
        if item == "ci":
            frame["ci"] = [
                format_interval(lo, hi, digits if not percent else 1, language, percent=percent)
                for lo, hi in zip(result["ci_low"], result["ci_high"], strict=True)
            ]
            names.setdefault("ci", texts["table.ci"].format(level=_level_text(level, language)))
            formats["ci"] = "text"
        elif item in ("estimate", "se"):
            frame[item] = result[item]
            formats[item] = (
                ColumnFormat("percent", 1) if percent else ColumnFormat("number", digits)
            )
        elif item == "p_value":
            frame[item], formats[item] = result[item], "p_value"
        elif item in ("n", "df"):
            frame[item], formats[item] = result[item], "count"
        else:
            frame[item] = result[item]
    shown = display_table(
        frame,
        language,
        formats=formats,
        headers=names,
        namespaces=namespaces,
        instrument=instrument,
        digits=digits,
    )
    ci_title = names.get("ci")
    if ci_title in shown.attrs["align"]:
        shown.attrs["align"][ci_title] = "right"
    return shown


def _level_text(level: float, language: str) -> str:
    return format_number(100 * level, 0 if float(100 * level).is_integer() else 1, language)


def _spec(
    column: str, series: pd.Series, given: str | ColumnFormat | None, digits: int
) -> ColumnFormat:
    if isinstance(given, ColumnFormat):
        spec = given
    elif isinstance(given, str):
        spec = ColumnFormat(given, 1 if given in ("percent", "minutes") else digits)
    else:
        spec = ColumnFormat(infer_kind(series), digits)
    if spec.kind not in KINDS and not spec.kind.startswith("choice:"):
        raise ReportError(
            f"display_table: column '{column}' has format {spec.kind!r}; choose one of "
            f"{', '.join(KINDS)} or 'choice:<question>'"
        )
    return spec


def infer_kind(series: pd.Series) -> str:
    """The format kind a column's type implies when none is given.

    ``text`` for booleans, categories and anything else, ``count`` for whole numbers,
    ``number`` for other numbers, ``date`` for datetimes (:mod:`evaluation.report.workbook`
    turns it into ``datetime`` when a value has a time of day).
    """
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return "text"
    if pd.api.types.is_integer_dtype(dtype):
        return "count"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date"
    return "text"


def _format_column(
    series: pd.Series, spec: ColumnFormat, language: str, instrument: object
) -> list[str]:
    kind = spec.kind
    values = series.astype(object).tolist()
    if kind == "count":
        return [format_count(v, language) for v in values]
    if kind == "number":
        return [format_number(v, spec.digits, language) for v in values]
    if kind == "percent":
        return [format_percent(v, spec.digits, language) for v in values]
    if kind == "p_value":
        return [format_p_value(v, 3, language) for v in values]
    if kind == "minutes":
        return [format_number(v, spec.digits, language) for v in values]
    if kind == "date":
        return [format_date(v) for v in values]
    if kind == "question":
        return [_text(question_label(instrument, str(v), language)) for v in values]
    if kind.startswith("choice:"):
        question = kind.split(":", 1)[1]
        return [choice_label(instrument, question, v, language) for v in values]
    return [_text(v) for v in values]


def _text(value: object) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return MISSING
    if isinstance(value, float) and math.isnan(value):
        return MISSING
    if isinstance(value, float | np.floating):
        raise ReportError(
            f"display_table: the number {value!r} is in a text column; give the column a "
            "number format (count, number, percent, p_value, minutes)"
        )
    return str(value)


# --------------------------------------------------------------------------- HTML
class HtmlTable:
    """A display table rendered as a plain HTML ``<table>`` (what notebooks show).

    Deterministic (no random ids, unlike pandas' Styler), escaped, no index column; text
    columns are left-aligned and numbers right-aligned, as ``attrs["align"]`` says.
    """

    def __init__(self, display: pd.DataFrame, caption: str = "") -> None:
        self.display = display
        self.caption = caption

    def _repr_html_(self) -> str:
        return html_table(self.display, self.caption)

    def __repr__(self) -> str:
        return self.display.to_string(index=False)


WRAP_AFTER = 24
"""Text columns with a cell longer than this many characters wrap in HTML tables."""
LONG_TEXT = 48
"""Wrapping text columns with cells longer than this get a wider minimum width."""


def html_table(display: pd.DataFrame, caption: str = "") -> str:
    """The HTML of a display table (see :class:`HtmlTable`).

    Headers wrap between words, so numeric columns stay narrow; a text column with cells
    longer than :data:`WRAP_AFTER` characters wraps too (at least 9em wide, 16em for text
    longer than :data:`LONG_TEXT`), so a long question text does not push the numbers off a
    laptop screen.
    """
    align = display.attrs.get("align", {})
    esc = html.escape
    longest = {
        c: int(display[c].astype(str).str.len().max()) if len(display) else 0
        for c in display.columns
    }
    wrapping = {
        c: ("16em" if longest[c] > LONG_TEXT else "9em")
        for c in display.columns
        if align.get(c, "left") == "left" and longest[c] > WRAP_AFTER
    }

    def cell(tag: str, column: str, value: object) -> str:
        style = f"text-align:{align.get(column, 'left')}"
        if tag == "th" or column in wrapping:
            style += ";white-space:normal"
        if tag == "td" and column in wrapping:
            style += f";min-width:{wrapping[column]}"
        return f'<{tag} style="{style}">{esc(str(value))}</{tag}>'

    head = "".join(cell("th", c, c) for c in display.columns)
    body = "".join(
        "<tr>"
        + "".join(cell("td", c, v) for c, v in zip(display.columns, row, strict=True))
        + "</tr>"
        for row in display.itertuples(index=False, name=None)
    )
    caption_html = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (
        f'<table class="wb-table">{caption_html}<thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def show(display: pd.DataFrame, caption: str = "", max_rows: int | None = None) -> HtmlTable:
    """What a notebook cell returns to show a display table (first ``max_rows`` rows)."""
    if max_rows is not None and len(display) > max_rows:
        cut = display.head(max_rows).copy()
        cut.attrs = dict(display.attrs)
        display = cut
    return HtmlTable(display, caption)


def headers_for(
    columns: Iterable[str],
    language: str,
    *,
    namespaces: Sequence[str] = HEADER_NAMESPACES,
    headers: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """``{column: header}`` for several columns (see :func:`header`)."""
    return {c: header(c, language, namespaces=namespaces, headers=headers) for c in columns}
