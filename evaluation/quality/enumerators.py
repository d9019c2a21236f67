"""Per-enumerator summaries: interviews, durations, and flag rates against the others.

For each enumerator :math:`e` of a table, the share of their submissions with at least one
problem, :math:`\\hat p_e = x_e / n_e`, is compared with the share among all other
enumerators' submissions, :math:`\\hat p_{-e} = x_{-e} / n_{-e}`, by

- Fisher's exact test of the 2×2 table (default; R ``fisher.test``, two-sided), or
- the two-proportion z-test with pooled variance,
  :math:`z = (\\hat p_e - \\hat p_{-e}) / \\sqrt{\\bar p (1-\\bar p)(1/n_e + 1/n_{-e})}`
  (R ``prop.test(correct = FALSE)``, whose :math:`\\chi^2 = z^2`).

With many enumerators some differ by chance, so p-values are also adjusted over the
table's enumerators by Holm's method (R ``p.adjust(method = "holm")``); an enumerator
**stands out** when the adjusted p-value is below ``alpha`` and their rate is above the
others'. A problem is a quarantined line or a flag, except ``assent_refused`` (a respected
choice, reported on its own).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from evaluation.errors import ParamsError
from evaluation.quality.rows import ASSENT_REFUSED, assent_refused
from evaluation.results import ResultInfo, make_result

TESTS = ("fisher", "z")
_DERIVED = ("difference", "p_adjusted", "stands_out")


def compare_rate(x: int, n: int, x_other: int, n_other: int, test: str = "fisher") -> float:
    """Two-sided p-value that ``x/n`` and ``x_other/n_other`` share one rate.

    Parameters
    ----------
    x, n : int
        Submissions with a problem, and all submissions, of one enumerator.
    x_other, n_other : int
        The same for every other enumerator together.
    test : {"fisher", "z"}
        Fisher's exact test, or the pooled two-proportion z-test.

    Returns
    -------
    float
        The p-value; NaN when either group is empty; 1 when no submission (or every one)
        has a problem (the z-test is then undefined).
    """
    if test not in TESTS:
        raise ParamsError(f"enumerator test {test!r} is not one of {', '.join(TESTS)}")
    if n == 0 or n_other == 0:
        return np.nan
    if test == "fisher":
        table = [[x, n - x], [x_other, n_other - x_other]]
        return float(stats.fisher_exact(table, alternative="two-sided").pvalue)
    pooled = (x + x_other) / (n + n_other)
    if pooled in (0.0, 1.0):
        return 1.0
    z = (x / n - x_other / n_other) / np.sqrt(pooled * (1 - pooled) * (1 / n + 1 / n_other))
    return float(2 * stats.norm.sf(abs(z)))


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment (R ``p.adjust(method = "holm")``); NaN stays NaN."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    present = ~np.isnan(p)
    if not present.any():
        return out
    values = p[present]
    order = np.argsort(values, kind="stable")
    m = len(values)
    adjusted = np.maximum.accumulate((m - np.arange(m)) * values[order])
    result = np.empty(m)
    result[order] = np.minimum(adjusted, 1.0)
    out[present] = result
    return out


def enumerator_summary(
    frame: pd.DataFrame,
    problems: pd.DataFrame,
    *,
    table: str = "",
    quarantined: pd.DataFrame | None = None,
    test: str = "fisher",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Interviews, median duration and problem rate of each enumerator of one table.

    Parameters
    ----------
    frame : DataFrame
        A clean table (``_enumerator``, ``_submission_id``, ``_duration_min``, ``_flags``).
    problems : DataFrame
        Problems of accepted submissions, with ``submission_id`` and ``rule`` (the flagged
        part of :func:`~evaluation.quality.listing.flagged_submissions`).
    table : str
        The table's name.
    quarantined : DataFrame, optional
        Quarantined submissions whose enumerator is known: ``submission_id``,
        ``enumerator`` (they add to both the submissions and the problems).
    test : {"fisher", "z"}
    alpha : float
        Level for ``stands_out`` (Holm-adjusted).

    Returns
    -------
    DataFrame
        A result table: ``table, enumerator``, ``estimate`` (share of submissions with a
        problem), ``p_value`` (against the others), ``n`` (submissions), then
        ``n_problems``, ``rate_others``, ``difference``, ``p_adjusted``, ``stands_out``,
        ``n_quarantined``, ``n_assent_refused``, ``median_duration``. Rows with no
        enumerator are left out.
    """
    if test not in TESTS:
        raise ParamsError(f"enumerator test {test!r} is not one of {', '.join(TESTS)}")
    subs = pd.DataFrame(
        {
            "submission_id": frame["_submission_id"].astype("string").to_numpy(),
            "enumerator": frame["_enumerator"].astype("string").to_numpy(),
            "duration": pd.to_numeric(frame["_duration_min"], errors="coerce").to_numpy(float),
            "refused": assent_refused(frame).to_numpy(),
            "quarantined": False,
        }
    )
    real = problems[problems["rule"].astype("string").ne(ASSENT_REFUSED).fillna(True)]
    subs["problem"] = subs["submission_id"].isin(set(real["submission_id"].dropna()))
    if quarantined is not None and len(quarantined):
        extra = quarantined.drop_duplicates("submission_id")[["submission_id", "enumerator"]]
        extra = extra.assign(duration=np.nan, refused=False, quarantined=True, problem=True)
        subs = pd.concat([subs, extra.astype(subs.dtypes.to_dict())], ignore_index=True)
    subs = subs[subs["enumerator"].notna()]
    total_n, total_x = len(subs), int(subs["problem"].sum())
    rows = []
    for name, group in subs.groupby("enumerator", sort=True):
        n, x = len(group), int(group["problem"].sum())
        n_other, x_other = total_n - n, total_x - x
        completed = group.loc[~group["refused"] & ~group["quarantined"], "duration"].dropna()
        rows.append(
            {
                "table": table,
                "enumerator": name,
                "estimate": x / n,
                "p_value": compare_rate(x, n, x_other, n_other, test),
                "n": n,
                "n_problems": x,
                "rate_others": x_other / n_other if n_other else np.nan,
                "n_quarantined": int(group["quarantined"].sum()),
                "n_assent_refused": int(group["refused"].sum()),
                "median_duration": float(completed.median()) if len(completed) else np.nan,
            }
        )
    order = [
        "table",
        "enumerator",
        "estimate",
        "p_value",
        "n",
        "n_problems",
        "rate_others",
        "difference",
        "p_adjusted",
        "stands_out",
        "n_quarantined",
        "n_assent_refused",
        "median_duration",
    ]
    result = pd.DataFrame(rows, columns=[c for c in order if c not in _DERIVED])
    result["difference"] = result["estimate"] - result["rate_others"]
    result["p_adjusted"] = holm(result["p_value"].to_numpy(dtype=float))
    result["stands_out"] = (result["p_adjusted"] < alpha) & (result["difference"] > 0)
    name = "Fisher's exact test" if test == "fisher" else "two-proportion z-test (pooled)"
    info = ResultInfo(
        estimator="quality.enumerator_summary",
        method=f"share of submissions with a problem, against the other enumerators: {name}; "
        f"Holm-adjusted over enumerators, alpha {alpha:g}",
        n_obs=total_n,
        reference="R fisher.test / prop.test(correct = FALSE); p.adjust(method = 'holm')",
    )
    out = make_result(result[order], info, id_columns=["table", "enumerator"])
    out["stands_out"] = out["stands_out"].astype("boolean")
    return out
