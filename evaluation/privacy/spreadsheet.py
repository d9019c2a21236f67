"""Keep data from starting a formula in a spreadsheet (CSV / formula injection).

A text cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return,
or their full-width forms, or any of these after leading spaces) is run as a formula by
Excel and LibreOffice, and openpyxl stores a string starting with ``=`` as a formula. As
the OWASP "CSV Injection" guidance advises, such text is prefixed with a single quote so it
is shown as text. Numbers, dates and booleans are left as they are, and so is text that
is just a number (``"-3.5"``, ``"+355"`` is not: it is kept as text with the quote).
"""

from __future__ import annotations

import re

import pandas as pd

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_PLAIN_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
QUOTE = "'"


def safe_cell(value: object) -> object:
    """The value, made safe to write into a spreadsheet cell.

    Parameters
    ----------
    value : object
        Any cell value.

    Returns
    -------
    object
        ``"'" + value`` for text that would start a formula; anything else unchanged
        (numbers, including negative ones, stay numbers; ``"-3.5"`` stays as it is).

    Examples
    --------
    >>> safe_cell("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> safe_cell(-3.5), safe_cell("-3.5"), safe_cell("@SUM(A1)")
    (-3.5, '-3.5', "'@SUM(A1)")
    """
    if not isinstance(value, str) or not value:
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    if value.lstrip(" ").startswith(_TRIGGERS):
        return QUOTE + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with :func:`safe_cell` applied to every text cell and to the
    column and index labels (labels can come from data, e.g. choice labels)."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
            if isinstance(series.dtype, pd.CategoricalDtype):
                out[column] = series.cat.rename_categories(
                    [safe_cell(c) for c in series.cat.categories]
                )
            else:
                out[column] = series.map(safe_cell, na_action="ignore")
    out.columns = _safe_index(out.columns)
    out.index = _safe_index(out.index)
    return out


def _safe_index(index: pd.Index) -> pd.Index:
    if not isinstance(index, pd.MultiIndex) and not (
        pd.api.types.is_object_dtype(index) or pd.api.types.is_string_dtype(index)
    ):
        return index
    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples(
            [tuple(safe_cell(v) for v in t) for t in index], names=index.names
        )
    return pd.Index([safe_cell(v) for v in index], name=index.name)
