"""The table expressions run on: answer columns with their string and number views, kept.

An :class:`ExpressionFrame` wraps a :class:`pandas.DataFrame`; each column it is asked for
becomes a :class:`_Node` whose views (text, number, empty) are computed once, on distinct
values, and shared by every expression evaluated on the frame.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from evaluation.errors import DataError, ParamsError
from evaluation.expressions.values import (
    _SECONDS_PER_DAY,
    _number_to_answer,
    _scalar_number,
    _scalar_text,
    days_to_string,
)


class ExpressionFrame:
    """A table prepared for evaluating many expressions: column conversions are kept.

    Build one per table and pass it to :meth:`Expression.evaluate` instead of the DataFrame
    when evaluating many expressions, so each column is converted only once.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per submission, one column per answer (select_multiple answers as one
        space-separated text column).
    today : datetime.date, optional
        The date ``today()`` returns; default the computer's date.
    now : datetime.datetime, optional
        The date-time ``now()`` returns; default the computer's clock.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        today: dt.date | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise ParamsError(f"expected a pandas DataFrame, got {type(data).__name__}")
        self.data = data
        self.n_rows = len(data)
        self.today = today or dt.date.today()
        self.now = now or dt.datetime.now()
        self._nodes: dict[str, _Node] = {}
        self._factors: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def node(self, name: str) -> _Node:
        """The answer column ``name`` with its views."""
        node = self._nodes.get(name)
        if node is None:
            column = self.data[name]
            if isinstance(column, pd.DataFrame):
                raise DataError(
                    f"the data has {column.shape[1]} columns named '{name}'; "
                    "rename them so each answer has one column"
                )
            node = self._nodes[name] = _Node(self, column)
        return node

    def map_unique(self, values: np.ndarray, func: Callable[[Any], Any], dtype: Any) -> np.ndarray:
        """``func`` applied to each distinct value of ``values`` (once each), spread back."""
        known = self._factorisation(values)
        if known is not None:
            codes, uniques = known
        else:
            codes, uniques = pd.factorize(values, use_na_sentinel=False)
            uniques = np.asarray(uniques)
        results = list(map(func, uniques.tolist()))  # plain Python values, one call each
        if dtype is object:
            mapped = np.empty(len(results), dtype=object)
            mapped[:] = results
        else:
            mapped = np.array(results, dtype=dtype)
        return mapped[codes]

    def _remember(self, values: np.ndarray, codes: np.ndarray, uniques: np.ndarray) -> None:
        """Note that ``values`` is ``uniques[codes]``, so work on it can run per distinct value."""
        self._factors[id(values)] = (values, codes, uniques)

    def _factorisation(self, values: Any) -> tuple[np.ndarray, np.ndarray] | None:
        """``(codes, uniques)`` noted for this very array (not merely an equal one), or None."""
        known = self._factors.get(id(values))
        if known is not None and known[0] is values:
            return known[1], known[2]
        return None


# --------------------------------------------------------------------------- columns
class _Node:
    """An answer column: its string view ('' when empty), its number view, and whether it is
    typed as a number (a numeric or date column). Text columns are factorised once, so every
    conversion and function runs once per distinct value; views are computed when first
    needed and kept."""

    def __init__(self, frame: ExpressionFrame, series: pd.Series) -> None:
        self._frame = frame
        self._series = series
        dtype = series.dtype
        self._categorical = isinstance(dtype, pd.CategoricalDtype)
        self._dates = pd.api.types.is_datetime64_any_dtype(dtype)
        self.numeric = bool(
            self._dates or (pd.api.types.is_numeric_dtype(dtype) and not self._categorical)
        )
        if self._categorical:
            self.numeric = _Node(frame, pd.Series(dtype.categories)).numeric
        self._str: np.ndarray | None = None
        self._num: np.ndarray | None = None
        self._empty: np.ndarray | None = None
        self._factor: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def str(self) -> np.ndarray:
        if self._str is None:
            codes, uniques = self._factorised()
            if self.numeric:
                texts = self._frame.map_unique(uniques, self._answer_text, object)
            elif pd.api.types.infer_dtype(uniques, skipna=False) == "string":
                texts = uniques.astype(object)
            else:
                texts = np.array([_scalar_text(u) for u in uniques], dtype=object)
            texts = np.append(texts, "").astype(object)  # the last code is "missing"
            self._str = texts[codes]
            self._frame._remember(self._str, codes, texts)
        return self._str

    @property
    def num(self) -> np.ndarray:
        if self._num is None:
            if self._dates:
                self._num = _datetimes_to_days(self._series)
            elif self.numeric and not self._categorical:
                self._num = self._series.to_numpy(dtype="float64", na_value=np.nan)
            else:
                codes, uniques = self._factorised()
                numbers = np.array([_scalar_number(u) for u in uniques] + [np.nan], dtype=float)
                self._num = numbers[codes]
                self._frame._remember(self._num, codes, numbers)
        return self._num

    @property
    def empty(self) -> np.ndarray:
        if self._empty is None:
            known = self._frame._factorisation(self._str)
            if known is not None:
                codes, texts = known
                self._empty = (texts == "")[codes]
            else:
                self._empty = self.str == ""
        return self._empty

    def _answer_text(self, value: float) -> str:
        return days_to_string(value) if self._dates else _number_to_answer(value)

    def _factorised(self) -> tuple[np.ndarray, np.ndarray]:
        """``(codes, uniques)`` with missing values coded ``len(uniques)``."""
        if self._factor is None:
            if self._categorical:
                codes = self._series.cat.codes.to_numpy()
                uniques = np.asarray(self._series.cat.categories, dtype=object)
                if pd.api.types.is_numeric_dtype(self._series.cat.categories.dtype):
                    uniques = np.asarray(self._series.cat.categories, dtype=float)
            elif self.numeric:
                codes, uniques = pd.factorize(self.num, use_na_sentinel=True)
            else:
                codes, uniques = pd.factorize(self._series, use_na_sentinel=True)
                uniques = np.asarray(uniques, dtype=object)
            codes = np.where(codes < 0, len(uniques), codes)
            self._factor = (codes, uniques)
        return self._factor


def _datetimes_to_days(series: pd.Series) -> np.ndarray:
    """Days since 1970-01-01 (wall-clock time for time-zone-aware columns), NaN when missing."""
    values = series.dt.tz_localize(None) if series.dt.tz is not None else series
    nanos = values.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
    nanos[values.isna().to_numpy()] = np.nan
    return nanos / (_SECONDS_PER_DAY * 1e9)


class _Merged:
    """A node built by ``if()``/``coalesce()`` from two nodes."""

    def __init__(self, str_: Any, num: Any, numeric: bool) -> None:
        self.str = str_
        self.num = num
        self.numeric = numeric
        self.empty = str_ == ""
