"""The tidy-table contract shared by every estimator.

Every estimator returns a :class:`pandas.DataFrame` with one row per estimate: first the
columns that identify the row (``by`` columns, then ``variable`` or ``term``), then always,
in this order, :data:`RESULT_COLUMNS`, then family extras (``deff``, ``n_psu``,
``n_clusters`` …). Metadata lives in a frozen :class:`ResultInfo` at ``df.attrs["info"]``.
Only ``evaluation.report`` formats numbers; estimators never round.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from evaluation.errors import EstimationError

RESULT_COLUMNS: tuple[str, ...] = ("estimate", "se", "ci_low", "ci_high", "p_value", "df", "n")


@dataclass(frozen=True)
class ResultInfo:
    """What produced a result table and how.

    Attributes
    ----------
    estimator : str
        Dotted name of the function, e.g. ``"survey.mean"`` or ``"impact.did"``.
    method : str
        The estimation method in words.
    level : float
        Confidence level of ``ci_low``/``ci_high``.
    vcov : str
        The variance estimator in words, e.g. ``"CR1, clustered by school (42 clusters)"``.
    n_obs : int
        Number of observations used.
    reference : str
        The independent implementation this mirrors, e.g. ``"R survey::svymean"``.
    notes : tuple of str
        Anything the reader should know (rows dropped, lonely-PSU rule applied, …).
    extra : mapping
        Estimator-specific metadata (e.g. a joint F-test), read-only by convention.
    """

    estimator: str
    method: str = ""
    level: float = 0.95
    vcov: str = ""
    n_obs: int = 0
    reference: str = ""
    notes: tuple[str, ...] = ()
    extra: Mapping[str, object] = field(default_factory=dict)

    def with_notes(self, *notes: str) -> ResultInfo:
        """A copy with ``notes`` appended."""
        return replace(self, notes=self.notes + tuple(n for n in notes if n))


def make_result(
    rows: pd.DataFrame | Sequence[Mapping[str, object]],
    info: ResultInfo,
    id_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Build a result table in the contract's column order and attach ``info``.

    Parameters
    ----------
    rows : DataFrame or sequence of mappings
        One row per estimate. Missing core columns are filled with NaN.
    info : ResultInfo
        Metadata stored at ``attrs["info"]``.
    id_columns : sequence of str
        Identifying columns, placed first in this order.

    Returns
    -------
    DataFrame
        ``id_columns + RESULT_COLUMNS + extras``; ``n`` as nullable ``Int64``.
    """
    frame = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    for column in RESULT_COLUMNS:
        if column not in frame.columns:
            frame[column] = np.nan
    extras = [c for c in frame.columns if c not in RESULT_COLUMNS and c not in id_columns]
    frame = frame[[*id_columns, *RESULT_COLUMNS, *extras]].reset_index(drop=True)
    for column in RESULT_COLUMNS[:-1]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    frame["n"] = pd.array(pd.to_numeric(frame["n"], errors="coerce"), dtype="Int64")
    frame.attrs["info"] = info
    return frame


def result_info(table: pd.DataFrame) -> ResultInfo:
    """Return the :class:`ResultInfo` of a result table.

    Raises
    ------
    EstimationError
        If the table carries no metadata (``pd.concat`` and ``merge`` drop ``attrs`` unless
        every input has identical attrs; use :func:`stack_results`).
    """
    info = table.attrs.get("info")
    if not isinstance(info, ResultInfo):
        raise EstimationError(
            "this table has no result metadata; it was probably combined with pd.concat or "
            "merge, which drop attrs unless all inputs have identical attrs; use "
            "evaluation.results.stack_results()"
        )
    return info


def stack_results(tables: Iterable[pd.DataFrame], estimator: str = "stacked") -> pd.DataFrame:
    """Stack result tables row-wise, keeping the contract and combining their metadata."""
    tables = list(tables)
    if not tables:
        raise EstimationError("stack_results() needs at least one result table")
    infos = [result_info(t) for t in tables]
    stacked = pd.concat(tables, ignore_index=True)
    first = infos[0]
    notes = tuple(dict.fromkeys(n for i in infos for n in i.notes))
    methods = "; ".join(dict.fromkeys(i.method for i in infos if i.method))
    info = ResultInfo(
        estimator=estimator,
        method=methods,
        level=first.level,
        vcov="; ".join(dict.fromkeys(i.vcov for i in infos if i.vcov)),
        n_obs=max(i.n_obs for i in infos),
        reference="; ".join(dict.fromkeys(i.reference for i in infos if i.reference)),
        notes=notes,
    )
    columns = list(stacked.columns)
    id_columns = columns[: columns.index("estimate")]
    return make_result(stacked, info, id_columns=id_columns)


def check_result(table: pd.DataFrame) -> None:
    """Raise ``AssertionError`` unless ``table`` follows the tidy-table contract."""
    columns = list(table.columns)
    missing = [c for c in RESULT_COLUMNS if c not in columns]
    assert not missing, f"result table lacks core columns {missing}"
    start = columns.index("estimate")
    assert tuple(columns[start : start + len(RESULT_COLUMNS)]) == RESULT_COLUMNS, (
        f"core columns out of order: {columns[start : start + len(RESULT_COLUMNS)]}"
    )
    assert isinstance(table.attrs.get("info"), ResultInfo), "result table has no ResultInfo"
