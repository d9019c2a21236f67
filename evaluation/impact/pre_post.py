"""Paired pre/post comparisons: change in scores and item-level change (McNemar).

:func:`pre_post` summarises a pre-test/post-test design (a training course, a knowledge test)
in one tidy table with one row per statistic: the means, the mean change with the paired
t-test, the Wilcoxon signed-rank test, standardised effect sizes, the normalised gain and the
shares of participants who improved or reached a threshold. :func:`mcnemar` tests, item by
item, whether the share of correct answers changed, so a report can show which topics did not
land.

Reference implementations: R ``t.test(post, pre, paired = TRUE)``,
``wilcox.test(post, pre, paired = TRUE, exact = FALSE)`` and ``mcnemar.test`` /
``binom.test``; effect sizes follow Lakens (2013).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.stats.proportion import proportion_confint

from evaluation.errors import DataError, ParamsError, format_values
from evaluation.results import RESULT_COLUMNS, ResultInfo, make_result
from evaluation.validation import as_list, require_columns, require_numeric

__all__ = ["mcnemar", "pre_post"]

EXACT_BELOW = 25
"""McNemar: use the exact binomial test when fewer discordant pairs than this (``auto``)."""


# --------------------------------------------------------------------------- grouping helpers


def _groups(data: pd.DataFrame, by: list[str]) -> Iterator[tuple[dict[str, object], np.ndarray]]:
    """Yield ``({by column: value}, row positions)`` per ``by`` group (one group without ``by``).

    Missing ``by`` values form their own group, so no row is silently left out. Positions
    (not index labels) keep this right when the caller's index has duplicate labels.
    """
    if not by:
        yield {}, np.arange(len(data))
        return
    frame = data[by].reset_index(drop=True)
    for key, rows in frame.groupby(by, dropna=False, sort=True):
        values = key if isinstance(key, tuple) else (key,)
        yield dict(zip(by, values, strict=True)), rows.index.to_numpy()


def _t_interval(mean: float, se: float, df: float, level: float) -> tuple[float, float]:
    if not (np.isfinite(se) and df > 0):
        return np.nan, np.nan
    half = stats.t.ppf(0.5 + level / 2, df) * se
    return mean - half, mean + half


def _share_row(count: int, nobs: int, level: float) -> dict[str, float]:
    """A share with its binomial SE and Wilson score interval (R ``prop.test(correct = FALSE)``)."""
    if nobs == 0:
        return {"estimate": np.nan, "n": 0}
    share = count / nobs
    low, high = proportion_confint(count, nobs, alpha=1 - level, method="wilson")
    return {
        "estimate": share,
        "se": np.sqrt(share * (1 - share) / nobs),
        "ci_low": low,
        "ci_high": high,
        "n": nobs,
    }


# --------------------------------------------------------------------------- paired tests


def _mean_row(values: np.ndarray, level: float) -> dict[str, float]:
    n = values.size
    mean = float(np.mean(values)) if n else np.nan
    se = float(np.std(values, ddof=1) / np.sqrt(n)) if n > 1 else np.nan
    low, high = _t_interval(mean, se, n - 1, level)
    df = n - 1 if n else np.nan
    return {"estimate": mean, "se": se, "ci_low": low, "ci_high": high, "df": df, "n": n}


def _paired_t_row(diff: np.ndarray, level: float) -> dict[str, object]:
    """Mean change with the paired t-test (R ``t.test(post, pre, paired = TRUE)``)."""
    row: dict[str, object] = {**_mean_row(diff, level), "test": "paired t"}
    se = row["se"]
    if np.isfinite(se) and se > 0:
        t_value = row["estimate"] / se
        row["test_statistic"] = t_value
        row["p_value"] = 2 * stats.t.sf(abs(t_value), diff.size - 1)
    else:
        row["ci_low"] = row["ci_high"] = np.nan
    return row


def _wilcoxon_row(diff: np.ndarray, correct: bool) -> dict[str, object]:
    """Wilcoxon signed-rank test, normal approximation (R ``wilcox.test(exact = FALSE)``).

    Zero differences are dropped; tied absolute differences get average ranks and the
    variance is corrected for ties; the continuity correction moves V half a unit towards
    its mean. ``test_statistic`` is V, the sum of ranks of positive differences.
    """
    nonzero = diff[diff != 0]
    n = nonzero.size
    row: dict[str, object] = {"test": "Wilcoxon signed-rank V", "n": n}
    if n == 0:
        return row
    ranks = stats.rankdata(np.abs(nonzero))
    v_stat = float(ranks[nonzero > 0].sum())
    _, ties = np.unique(ranks, return_counts=True)
    variance = n * (n + 1) * (2 * n + 1) / 24 - np.sum(ties**3 - ties) / 48
    centred = v_stat - n * (n + 1) / 4
    if correct:
        centred -= 0.5 * np.sign(centred)
    row["test_statistic"] = v_stat
    if variance > 0:
        z = centred / np.sqrt(variance)
        row["p_value"] = 2 * min(stats.norm.cdf(z), stats.norm.sf(z))
    return row


# --------------------------------------------------------------------------- effect sizes


def hedges_j(df: float) -> float:
    """Hedges' small-sample correction :math:`J(df) = 1 - 3 / (4 df - 1)`."""
    return 1 - 3 / (4 * df - 1)


def _d_z_interval(t_value: float, n: int, level: float) -> tuple[float, float]:
    """Exact CI for d_z by inverting the noncentral t (Steiger & Fouladi 1997; MBESS ci.sm)."""
    df = n - 1

    def ncp_at(prob: float) -> float:
        def gap(ncp: float) -> float:
            cdf = stats.nct.cdf(t_value, df, ncp)
            if np.isnan(cdf):  # scipy underflows far in the tails: the cdf is then 0 or 1
                cdf = 1.0 if ncp < t_value else 0.0
            return cdf - prob

        width = 10 + abs(t_value)
        return optimize.brentq(gap, t_value - width, t_value + width, xtol=1e-12)

    alpha = 1 - level
    return ncp_at(1 - alpha / 2) / np.sqrt(n), ncp_at(alpha / 2) / np.sqrt(n)


def _effect_rows(pre: np.ndarray, post: np.ndarray, level: float) -> list[dict[str, object]]:
    """d_z, g_z, d_av and g_av with the formulas of Lakens (2013)."""
    n = pre.size
    diff = post - pre
    if n < 2:
        return [{"statistic": name, "n": n} for name in ("d_z", "g_z", "d_av", "g_av")]
    mean, sd_diff = diff.mean(), diff.std(ddof=1)
    sd_av = (pre.std(ddof=1) + post.std(ddof=1)) / 2
    j = hedges_j(n - 1)
    d_z = mean / sd_diff if sd_diff > 0 else np.nan
    d_av = mean / sd_av if sd_av > 0 else np.nan
    low, high = np.nan, np.nan
    if np.isfinite(d_z):
        low, high = _d_z_interval(d_z * np.sqrt(n), n, level)
    return [
        {"statistic": "d_z", "estimate": d_z, "ci_low": low, "ci_high": high, "df": n - 1, "n": n},
        {"statistic": "g_z", "estimate": j * d_z, "df": n - 1, "n": n},
        {"statistic": "d_av", "estimate": d_av, "df": n - 1, "n": n},
        {"statistic": "g_av", "estimate": j * d_av, "df": n - 1, "n": n},
    ]


def _gain_rows(
    pre: np.ndarray, post: np.ndarray, max_score: float, level: float
) -> list[dict[str, object]]:
    """Normalised gain g = (post - pre) / (max - pre), per person and of the means (Hake 1998)."""
    below_max = pre < max_score
    gains = (post[below_max] - pre[below_max]) / (max_score - pre[below_max])
    individual = {"statistic": "gain_individual", **_mean_row(gains, level)}
    headroom = max_score - pre.mean() if pre.size else np.nan
    of_means = {
        "statistic": "gain_of_means",
        "estimate": (post.mean() - pre.mean()) / headroom if pre.size and headroom > 0 else np.nan,
        "n": pre.size,
    }
    return [individual, of_means]


def _share_rows(
    pre: np.ndarray,
    post: np.ndarray,
    threshold: float | None,
    min_gain: float | None,
    level: float,
) -> list[dict[str, object]]:
    n = pre.size
    diff = post - pre
    rows = [
        {"statistic": "share_improved", **_share_row(int((diff > 0).sum()), n, level)},
        {"statistic": "share_unchanged", **_share_row(int((diff == 0).sum()), n, level)},
        {"statistic": "share_worse", **_share_row(int((diff < 0).sum()), n, level)},
    ]
    if threshold is not None:
        rows += [
            {
                "statistic": "share_threshold_pre",
                **_share_row(int((pre >= threshold).sum()), n, level),
            },
            {
                "statistic": "share_threshold_post",
                **_share_row(int((post >= threshold).sum()), n, level),
            },
        ]
    if min_gain is not None:
        rows.append(
            {"statistic": "share_min_gain", **_share_row(int((diff >= min_gain).sum()), n, level)}
        )
    if threshold is not None and min_gain is not None:
        either = int(((post >= threshold) | (diff >= min_gain)).sum())
        rows.append({"statistic": "share_threshold_or_gain", **_share_row(either, n, level)})
    return rows


# --------------------------------------------------------------------------- pre_post


def _check_scores(data: pd.DataFrame, column: str, max_score: float | None) -> np.ndarray:
    values = require_numeric(data, column, what="pre_post()")
    if max_score is not None:
        above = np.flatnonzero(values > max_score)
        if above.size:
            raise DataError(
                f"pre_post(), column '{column}': {above.size} scores are above "
                f"max_score={max_score:g} (rows {format_values(list(data.index[above]))}); "
                "fix the scores or pass the test's true maximum as max_score"
            )
    return values


def _check_ids(data: pd.DataFrame, id_column: str | None, by: list[str]) -> None:
    if id_column is None:
        return
    duplicated = data.duplicated([*by, id_column], keep=False)
    if duplicated.any():
        ids = list(dict.fromkeys(data.loc[duplicated, id_column]))
        raise DataError(
            f"pre_post(), column '{id_column}': {len(ids)} participant ids appear on more than "
            f"one row ({format_values(ids)}); pre_post() expects one row per participant with "
            "the pre and post scores side by side. Merge or remove the duplicates first"
        )


def _group_rows(
    pre_all: np.ndarray,
    post_all: np.ndarray,
    *,
    max_score: float | None,
    threshold: float | None,
    min_gain: float | None,
    level: float,
    correct: bool,
) -> list[dict[str, object]]:
    has_pre, has_post = ~np.isnan(pre_all), ~np.isnan(post_all)
    paired = has_pre & has_post
    pre, post = pre_all[paired], post_all[paired]
    rows: list[dict[str, object]] = [
        {"statistic": "mean_pre", **_mean_row(pre, level)},
        {"statistic": "mean_post", **_mean_row(post, level)},
        {"statistic": "mean_change", **_paired_t_row(post - pre, level)},
        {"statistic": "wilcoxon", **_wilcoxon_row(post - pre, correct)},
        *_effect_rows(pre, post, level),
    ]
    if max_score is not None:
        rows += _gain_rows(pre, post, max_score, level)
    rows += _share_rows(pre, post, threshold, min_gain, level)
    counts = {
        "n_pairs": int(paired.sum()),
        "n_pre_only": int((has_pre & ~has_post).sum()),
        "n_post_only": int((has_post & ~has_pre).sum()),
    }
    return [{**row, **counts} for row in rows]


def pre_post(
    data: pd.DataFrame,
    pre: str,
    post: str,
    id: str | None = None,
    by: str | Sequence[str] | None = None,
    max_score: float | None = None,
    threshold: float | None = None,
    min_gain: float | None = None,
    level: float = 0.95,
    correct: bool = True,
) -> pd.DataFrame:
    """Paired pre/post comparison of a score, one row per statistic (and ``by`` group).

    Parameters
    ----------
    data : DataFrame
        One row per participant with the pre and post scores side by side (wide format).
    pre, post : str
        Columns holding the score before and after (any numeric scale; missing = not taken).
    id : str, optional
        Participant id column; when given, duplicated ids raise :class:`DataError`.
    by : str or list of str, optional
        Columns to split by (course, institution, sex); one block of rows per group.
    max_score : float, optional
        Highest possible score; needed for the normalised gain.
    threshold : float, optional
        Score (in the units of ``pre``/``post``) that counts as reaching the target, e.g.
        ``0.7 * max_score``; adds the shares reaching it at pre and at post.
    min_gain : float, optional
        Gain (post - pre, in score units) that counts as enough, e.g. 20 points; adds
        ``share_min_gain`` and, with ``threshold``, ``share_threshold_or_gain`` (logframe
        indicator OP2.2: "≥70% at post-test, or gaining ≥20 points").
    level : float
        Confidence level of the intervals.
    correct : bool
        Continuity correction for the Wilcoxon normal approximation (R's default ``TRUE``).

    Returns
    -------
    DataFrame
        ``by`` columns, ``statistic``, ``estimate, se, ci_low, ci_high, p_value, df, n``, then
        ``test``, ``test_statistic``, ``n_pairs``, ``n_pre_only``, ``n_post_only``.
        Rows (``statistic``):

        * ``mean_pre``, ``mean_post`` — means over complete pairs, t interval;
        * ``mean_change`` — mean of post - pre with the paired t-test (``test_statistic`` = t);
        * ``wilcoxon`` — signed-rank test: ``test_statistic`` = V (sum of ranks of positive
          differences), ``p_value`` from the normal approximation; ``n`` = non-zero
          differences; no estimate;
        * ``d_z`` (mean change / SD of change, with the exact noncentral-t interval),
          ``g_z``, ``d_av`` (mean change / mean of the two SDs) and ``g_av`` (Hedges'
          correction J = 1 - 3 / (4 df - 1), df = pairs - 1);
        * ``gain_individual`` — mean of the individual normalised gains
          (post - pre) / (max - pre), over pairs not already at the maximum;
          ``gain_of_means`` — the gain of the means (mean post - mean pre) / (max - mean pre)
          (Hake's class gain); only with ``max_score``;
        * ``share_improved``, ``share_unchanged``, ``share_worse`` and, when asked,
          ``share_threshold_pre``, ``share_threshold_post``, ``share_min_gain``,
          ``share_threshold_or_gain`` — shares of complete pairs with the Wilson interval.

        ``n_pre_only`` counts participants with only a pre score (dropouts) and
        ``n_post_only`` those with only a post score; both are excluded from every row.
        A test that cannot be computed in a group (fewer than two pairs, no pair changed,
        no pair at all) has ``p_value`` NaN, and a note in ``attrs["info"].notes`` names
        the groups.

    Raises
    ------
    DataError
        A column is missing or not numeric, a score exceeds ``max_score``, or an id repeats.
    ParamsError
        ``level`` is not between 0 and 1.

    Notes
    -----
    With differences :math:`d_i = post_i - pre_i` over the :math:`n` complete pairs:

    .. math::

        t = \\bar d / (s_d / \\sqrt n), \\quad d_z = \\bar d / s_d, \\quad
        d_{av} = \\bar d / ((s_{pre} + s_{post}) / 2), \\quad g = J(n - 1)\\, d

    The Wilcoxon z is :math:`(V - n'(n'+1)/4 - 0.5\\,\\mathrm{sign}) / \\sigma_V` with
    :math:`\\sigma_V^2 = n'(n'+1)(2n'+1)/24 - \\sum (t^3 - t)/48` over the :math:`n'`
    non-zero differences and tie groups of size :math:`t`.

    References
    ----------
    Lakens, D. (2013). Calculating and reporting effect sizes to facilitate cumulative
    science. *Frontiers in Psychology* 4:863. Hake, R. R. (1998). Interactive-engagement
    versus traditional methods. *American Journal of Physics* 66, 64–74.

    See Also
    --------
    R: ``t.test(post, pre, paired = TRUE)``,
    ``wilcox.test(post, pre, paired = TRUE, exact = FALSE, correct = TRUE)``.

    Examples
    --------
    >>> table = pre_post(tests, "score_pre", "score_post", id="participant",
    ...                  max_score=20, threshold=14, by="course")  # doctest: +SKIP
    """
    if not 0 < level < 1:
        raise ParamsError(f"pre_post(): level={level!r} must be between 0 and 1, e.g. 0.95")
    by_columns = as_list(by)
    require_columns(data, [pre, post, *by_columns, *as_list(id)], what="pre_post() data")
    _check_ids(data, id, by_columns)
    pre_values = _check_scores(data, pre, max_score)
    post_values = _check_scores(data, post, max_score)
    rows = []
    for key, positions in _groups(data, by_columns):
        group_rows = _group_rows(
            pre_values[positions],
            post_values[positions],
            max_score=max_score,
            threshold=threshold,
            min_gain=min_gain,
            level=level,
            correct=correct,
        )
        rows += [{**key, **row} for row in group_rows]
    # Named columns, so a test that no group could compute (no pair changed, no pair at
    # all) is a NaN column rather than a missing one.
    extras = ["test", "test_statistic", "n_pairs", "n_pre_only", "n_post_only"]
    table = pd.DataFrame(rows, columns=[*by_columns, "statistic", *RESULT_COLUMNS, *extras])
    info = ResultInfo(
        estimator="impact.pre_post",
        method="paired pre/post comparison on complete pairs",
        level=level,
        vcov="paired t (mean change); Wilson (shares); noncentral t (d_z)",
        n_obs=int(table["n_pairs"].max()) if len(table) else 0,
        reference="R t.test(paired = TRUE); wilcox.test(paired = TRUE, exact = FALSE)",
        notes=_notes(pre_values, post_values, pre, post) + _undefined(table, by_columns),
    )
    return make_result(table, info, id_columns=[*by_columns, "statistic"])


def _notes(pre_values: np.ndarray, post_values: np.ndarray, pre: str, post: str) -> tuple[str, ...]:
    has_pre, has_post = ~np.isnan(pre_values), ~np.isnan(post_values)
    notes = [
        "Complete pairs only. gain_individual is the mean of individual gains "
        "(post - pre) / (max - pre) over participants below the maximum at pre; "
        "gain_of_means is (mean post - mean pre) / (max - mean pre)."
    ]
    pre_only, post_only = int((has_pre & ~has_post).sum()), int((has_post & ~has_pre).sum())
    if pre_only:
        notes.append(
            f"{pre_only} participants have '{pre}' but no '{post}' and are excluded; "
            "dropouts may differ from completers."
        )
    if post_only:
        notes.append(f"{post_only} participants have '{post}' but no '{pre}' and are excluded.")
    return tuple(notes)


def _undefined(table: pd.DataFrame, by: list[str]) -> tuple[str, ...]:
    """Notes naming the groups where the paired t-test or the Wilcoxon test has no p-value."""
    reasons = {
        "mean_change": "Paired t-test and d_z not computed {where}: fewer than two complete "
        "pairs or no variation in the change.",
        "wilcoxon": "Wilcoxon signed-rank test not computed {where}: no complete pair changed.",
    }
    notes = []
    for statistic, reason in reasons.items():
        rows = table[table["statistic"] == statistic]
        failed = rows[rows["p_value"].isna()]
        if failed.empty:
            continue
        where = (
            "overall"
            if not by
            else "in groups "
            + format_values([tuple(r) for r in failed[by].itertuples(index=False)])
        )
        notes.append(reason.format(where=where))
    return tuple(notes)


# --------------------------------------------------------------------------- McNemar


def _binary(data: pd.DataFrame, column: str) -> np.ndarray:
    values = require_numeric(data, column, what="mcnemar()")
    bad = ~np.isnan(values) & ~np.isin(values, (0.0, 1.0))
    if bad.any():
        raise DataError(
            f"mcnemar(), column '{column}': {int(bad.sum())} values are not 0 or 1 "
            f"(found {format_values(sorted(set(values[bad])))}); score items as 1 = correct, "
            "0 = wrong or don't know, missing = not answered"
        )
    return values


def _mcnemar_p(improved: int, worsened: int, exact: bool, correct: bool) -> tuple[float, float]:
    """p-value and chi-square statistic (NaN for the exact test) from the discordant pairs."""
    discordant = improved + worsened
    if discordant == 0:
        return 1.0, np.nan
    if exact:
        return stats.binomtest(improved, discordant, 0.5).pvalue, np.nan
    gap = abs(improved - worsened) - (1 if correct else 0)
    chi2 = gap**2 / discordant
    return stats.chi2.sf(chi2, 1), chi2


def _mcnemar_row(
    before: np.ndarray, after: np.ndarray, *, method: str, correct: bool, level: float
) -> dict[str, object]:
    has_before, has_after = ~np.isnan(before), ~np.isnan(after)
    paired = has_before & has_after
    b0, a0 = before[paired], after[paired]
    n = int(paired.sum())
    improved = int(((b0 == 0) & (a0 == 1)).sum())
    worsened = int(((b0 == 1) & (a0 == 0)).sum())
    exact = method == "exact" or (method == "auto" and improved + worsened < EXACT_BELOW)
    p_value, chi2 = _mcnemar_p(improved, worsened, exact, correct) if n else (np.nan, np.nan)
    row: dict[str, object] = {
        "p_value": p_value,
        "n": n,
        "df": np.nan if exact else 1.0,
        "test": "McNemar exact binomial" if exact else "McNemar chi-square",
        "test_statistic": chi2,
        "share_pre": b0.mean() if n else np.nan,
        "share_post": a0.mean() if n else np.nan,
        "n_improved": improved,
        "n_worsened": worsened,
        "n_pre_only": int((has_before & ~has_after).sum()),
        "n_post_only": int((has_after & ~has_before).sum()),
    }
    if n:
        change = (improved - worsened) / n
        se = np.sqrt(max((improved + worsened) - (improved - worsened) ** 2 / n, 0.0)) / n
        half = stats.norm.ppf(0.5 + level / 2) * se
        row.update(estimate=change, se=se, ci_low=change - half, ci_high=change + half)
    return row


def mcnemar(
    data: pd.DataFrame,
    pre: str | Sequence[str],
    post: str | Sequence[str],
    items: Sequence[str] | None = None,
    by: str | Sequence[str] | None = None,
    method: str = "auto",
    correct: bool = True,
    level: float = 0.95,
) -> pd.DataFrame:
    """Item-level change in 0/1 answers before and after, one row per item: McNemar's test.

    Parameters
    ----------
    data : DataFrame
        One row per participant; each item scored 1 (correct) or 0, before and after.
    pre, post : str or list of str
        The item columns before and after, in the same order (``pre[i]`` pairs ``post[i]``).
    items : list of str, optional
        Names for the rows (topics); default the ``pre`` column names.
    by : str or list of str, optional
        Columns to split by.
    method : {"auto", "exact", "chi2"}
        ``exact``: two-sided exact binomial test on the discordant pairs (R
        ``binom.test(b, b + c)``); ``chi2``: McNemar's chi-square (R ``mcnemar.test``);
        ``auto``: exact when fewer than 25 discordant pairs, chi-square otherwise.
    correct : bool
        Continuity correction of the chi-square (R's default ``TRUE``).
    level : float
        Confidence level of the interval for the change in share.

    Returns
    -------
    DataFrame
        ``by`` columns, ``item``, then ``estimate`` = change in the share correct
        (post minus pre, over complete pairs) with its Wald SE and CI for paired proportions,
        ``p_value`` of McNemar's test, ``df`` (1 for chi-square), ``n`` (complete pairs), then
        ``test``, ``test_statistic`` (chi-square; NaN for the exact test), ``share_pre``,
        ``share_post``, ``n_improved`` (0 → 1), ``n_worsened`` (1 → 0), ``n_pre_only``,
        ``n_post_only``.

    Raises
    ------
    DataError
        A column is missing or holds values other than 0, 1 and missing.
    ParamsError
        ``pre`` and ``post`` differ in length, or ``method`` is unknown.

    Notes
    -----
    With :math:`b` pairs 0 → 1 and :math:`c` pairs 1 → 0 out of :math:`n`:

    .. math::

        \\chi^2 = (|b - c| - 1)^2 / (b + c), \\quad
        \\hat\\Delta = (b - c) / n, \\quad
        \\mathrm{SE}(\\hat\\Delta) = \\sqrt{(b + c) - (b - c)^2 / n} \\,/\\, n

    See Also
    --------
    R: ``mcnemar.test(table(pre, post))``, ``binom.test(b, b + c)``.
    """
    pre_columns, post_columns = as_list(pre), as_list(post)
    names = list(items) if items is not None else pre_columns
    if not (len(pre_columns) == len(post_columns) == len(names)):
        raise ParamsError(
            f"mcnemar(): got {len(pre_columns)} pre columns, {len(post_columns)} post columns "
            f"and {len(names)} item names; pass the same number of each, in matching order"
        )
    if method not in ("auto", "exact", "chi2"):
        raise ParamsError(f"mcnemar(): method={method!r} is not known; choose auto, exact or chi2")
    by_columns = as_list(by)
    require_columns(data, [*pre_columns, *post_columns, *by_columns], what="mcnemar() data")
    scored = {c: _binary(data, c) for c in dict.fromkeys([*pre_columns, *post_columns])}
    rows = []
    for key, positions in _groups(data, by_columns):
        for name, before, after in zip(names, pre_columns, post_columns, strict=True):
            row = _mcnemar_row(
                scored[before][positions],
                scored[after][positions],
                method=method,
                correct=correct,
                level=level,
            )
            rows.append({**key, "item": name, **row})
    info = ResultInfo(
        estimator="impact.mcnemar",
        method="McNemar test of change in paired 0/1 answers",
        level=level,
        vcov="Wald SE for the difference of paired proportions",
        n_obs=len(data),
        reference="R mcnemar.test; binom.test",
        notes=(f"method={method}: exact binomial when fewer than {EXACT_BELOW} discordant pairs",)
        if method == "auto"
        else (),
    )
    return make_result(rows, info, id_columns=[*by_columns, "item"])
