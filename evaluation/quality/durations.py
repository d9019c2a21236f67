"""Interview durations against the median: short interviews, overall and by enumerator.

IPA's high-frequency checks flag an interview that took much less time than is usual for
the form. Here an interview is **short** when

.. math:: d_i < \\max(s \\cdot \\tilde d,\\; m)

where :math:`d_i` is its duration in minutes (``_duration_min`` = end − start),
:math:`\\tilde d` the median duration of the table's completed interviews, :math:`s` the
share (default 1/3) and :math:`m` the table's minimum minutes (default none). Interviews
where assent was refused end after the assent question and are left out of the median and
of the check; negative durations (a device clock changed) are left out and counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.quality.rows import assent_refused, groups, row_keys
from evaluation.results import ResultInfo, make_result
from evaluation.validation import require_columns

DURATION = "_duration_min"


def short_threshold(frame: pd.DataFrame, share: float = 1 / 3, minutes: float = 0.0) -> float:
    """The threshold in minutes, :math:`\\max(s \\cdot \\tilde d, m)`, for one table.

    NaN when the table has no usable duration and no minimum.
    """
    durations = _completed_durations(frame)
    median = float(durations.median()) if len(durations) else np.nan
    candidates = [v for v in (share * median, minutes) if not np.isnan(v)]
    return max(candidates) if candidates else np.nan


def duration_summary(
    frame: pd.DataFrame,
    *,
    table: str = "",
    share: float = 1 / 3,
    minutes: float = 0.0,
    by: str | None = None,
) -> pd.DataFrame:
    """Median interview duration and short interviews of one table (or per ``by`` group).

    Parameters
    ----------
    frame : DataFrame
        A clean table (``_duration_min``, ``_flags``).
    table : str
        Its name (first column of the result).
    share : float
        Short below ``share`` × the table's median (1/3).
    minutes : float
        Short below this many minutes whatever the median (0: no minimum).
    by : str, optional
        A column to break the summary down by (``_enumerator``); the threshold stays the
        table's.

    Returns
    -------
    DataFrame
        A result table: ``table`` [, ``by``], ``estimate`` (median minutes), ``n``
        (completed interviews with a duration), NaN ``se``/``ci``/``p_value``/``df``, and
        ``q1``, ``q3``, ``threshold_min``, ``n_short``, ``share_short``, ``n_negative``.

    Notes
    -----
    Quantiles are R's default (``quantile(type = 7)``, linear interpolation).
    """
    require_columns(frame, [DURATION, "_flags"], f"table '{table}'")
    threshold = short_threshold(frame, share, minutes)
    completed = ~assent_refused(frame)
    durations = pd.to_numeric(frame[DURATION], errors="coerce").astype("float64")
    rows = []
    values = durations.to_numpy(dtype=float, na_value=np.nan)
    done = completed.to_numpy()
    for key, mask in groups(frame, by):
        d = values[mask & done]
        negative = int((d < 0).sum())
        d = d[d >= 0]  # NaN compares False: dropped too
        n_short = int((d < threshold).sum()) if not np.isnan(threshold) else 0
        # numpy's default "linear" percentile is R's quantile type 7
        q1, median, q3 = np.percentile(d, [25, 50, 75]) if len(d) else (np.nan,) * 3
        row = {"table": table}
        if by is not None:
            row[by] = key
        row.update(
            estimate=float(median),
            n=len(d),
            q1=float(q1),
            q3=float(q3),
            threshold_min=threshold,
            n_short=n_short,
            share_short=n_short / len(d) if len(d) else np.nan,
            n_negative=negative,
        )
        rows.append(row)
    info = ResultInfo(
        estimator="quality.duration_summary",
        method=(
            f"median duration of completed interviews; short if under max({share:.3g} × the "
            f"table's median, {minutes:g} min)"
        ),
        n_obs=int(completed.sum()),
        reference="IPA high-frequency checks (ipacheckduration); R quantile(type = 7)",
    )
    return make_result(rows, info, id_columns=["table", *([by] if by else [])])


def short_interviews(
    frame: pd.DataFrame,
    *,
    table: str = "",
    share: float = 1 / 3,
    minutes: float = 0.0,
    timezone: str = "UTC",
) -> pd.DataFrame:
    """The short interviews of one table, one row each.

    Returns
    -------
    DataFrame
        ``table, submission_id, enumerator, date, file, row, duration_min, threshold_min``,
        shortest first.
    """
    threshold = short_threshold(frame, share, minutes)
    durations = pd.to_numeric(frame[DURATION], errors="coerce").astype("float64").to_numpy()
    completed = (~assent_refused(frame)).to_numpy()
    with np.errstate(invalid="ignore"):
        short = completed & (durations >= 0) & (durations < threshold)
    keys = row_keys(frame, table, timezone)[short]
    keys["duration_min"] = durations[short]
    keys["threshold_min"] = threshold
    return keys.sort_values(["duration_min", "submission_id"], kind="stable").reset_index(drop=True)


def _completed_durations(frame: pd.DataFrame) -> pd.Series:
    durations = pd.to_numeric(frame[DURATION], errors="coerce").astype("float64")
    durations = durations[~assent_refused(frame).to_numpy()]
    return durations[durations >= 0].dropna()
