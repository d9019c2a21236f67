"""Shared input checks used by every estimator, with messages that say what to do."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from evaluation.errors import DataError, did_you_mean, format_values


def as_list(names: str | Iterable[str] | None) -> list[str]:
    """``None`` → ``[]``, a string → ``[string]``, an iterable → a list."""
    if names is None:
        return []
    if isinstance(names, str):
        return [names]
    return list(names)


def require_columns(data: pd.DataFrame, columns: Iterable[str], what: str = "data") -> None:
    """Raise :class:`DataError` naming every column of ``columns`` missing from ``data``."""
    missing = [c for c in columns if c not in data.columns]
    if missing:
        hints = "".join(did_you_mean(c, map(str, data.columns)) for c in missing[:1])
        raise DataError(
            f"{what} has no column {format_values(missing)}{hints}; "
            f"available columns: {format_values(list(data.columns), limit=12)}"
        )


def require_numeric(data: pd.DataFrame, column: str, what: str = "data") -> np.ndarray:
    """The column as float64, or a :class:`DataError` naming rows that are not numbers."""
    values = pd.to_numeric(data[column], errors="coerce")
    bad = values.isna() & data[column].notna()
    if bad.any():
        rows = list(data.index[bad][:5])
        raise DataError(
            f"{what}, column '{column}': {int(bad.sum())} values are not numbers "
            f"(rows {format_values(rows)}); recode them or set them to missing"
        )
    return values.to_numpy(dtype="float64")


def require_positive(values: np.ndarray, column: str, what: str = "data") -> None:
    """Raise :class:`DataError` if any value is missing, zero or negative."""
    bad = ~(values > 0)
    if bad.any():
        rows = list(np.flatnonzero(bad)[:5])
        raise DataError(
            f"{what}, column '{column}': {int(bad.sum())} rows have a value that is missing, "
            f"zero or negative (rows {format_values(rows)}); it must be positive"
        )


def is_number(text: str) -> bool:
    """Whether ``float(text)`` reads ``text`` as a number (choice names, missing codes).

    ``"1"``, ``" -2.5 "``, ``"1e3"`` and Python's ``"nan"``/``"inf"`` are numbers; ``"yes"``
    and ``""`` are not.
    """
    try:
        float(text)
    except ValueError:
        return False
    return True
