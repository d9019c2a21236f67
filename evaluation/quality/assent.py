"""Assent refusals.

A refused assent is a valid, accepted row with empty answers and the flag
``assent_refused`` (ingestion contract): the student was asked and said no. A school or an
enumerator with many refusals may need a visit (how was the survey introduced?).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.quality.rows import assent_refused, groups
from evaluation.results import ResultInfo, make_result


def assent_refusals(frame: pd.DataFrame, *, table: str = "", by: str | None = None) -> pd.DataFrame:
    """Count and rate of refused assent in one table, overall or per ``by`` group.

    Parameters
    ----------
    frame : DataFrame
        A clean table.
    table : str
        Its name.
    by : str, optional
        Column to break the rate down by (``school_code``, ``_enumerator``).

    Returns
    -------
    DataFrame
        A result table: ``table`` [, ``by``], ``estimate`` (share of submissions with
        assent refused), ``n`` (submissions), ``n_refused``; largest share first.
    """
    refused = assent_refused(frame).to_numpy()
    rows = []
    for key, mask in groups(frame, by):
        n = int(mask.sum())
        x = int(refused[mask].sum())
        row = {"table": table}
        if by is not None:
            row[by] = key
        row.update(estimate=x / n if n else np.nan, n=n, n_refused=x)
        rows.append(row)
    info = ResultInfo(
        estimator="quality.assent_refusals",
        method="share of submissions whose respondent refused assent",
        n_obs=len(frame),
    )
    result = make_result(rows, info, id_columns=["table", *([by] if by else [])])
    ordered = result.sort_values(["estimate", "n"], ascending=[False, False], kind="stable")
    ordered = ordered.reset_index(drop=True)
    ordered.attrs = dict(result.attrs)
    return ordered
