"""What trainees learnt (Kirkpatrick level 2) and how they rated the course (level 1).

* :func:`knowledge_change` — the pre/post comparison of test scores, overall and per course:
  :func:`evaluation.impact.pre_post` (paired t, Wilcoxon, d_z and g_av, normalised gain, the
  share reaching the knowledge threshold), on the logframe view ``knowledge_pairs``.
* :func:`item_pairs` and :func:`item_change` — the same pairs item by item, with McNemar's
  test (:func:`evaluation.impact.pre_post.mcnemar`), Holm's adjustment over the items and a
  plain verdict per item, so trainers see which topics did not land.
* :func:`reaction_scores` — the post-test reaction items (1-5): mean with its t interval and
  the share agreeing.

Pairs are built by the logframe view's rule (the first pre-test and the last post-test of a
participant in a training), so every number here describes the same trainees as indicator
OP2.2. Tests without a partner are left out and counted in the view's notes: dropouts may
differ from completers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evaluation.capacity.training import NOT_RECORDED, TOTAL
from evaluation.derive import View, derived_view, numeric_values
from evaluation.errors import DataError, ParamsError, format_values
from evaluation.impact import adjust_pvalues, pre_post
from evaluation.impact.pre_post import mcnemar
from evaluation.indicators.estimate import register_estimates
from evaluation.results import ResultInfo, make_result, stack_results
from evaluation.validation import as_list, require_columns

ITEM_OUTCOMES = ("worse", "known_before", "learnt", "improved_short", "not_landed")
"""Verdicts of :func:`item_change`, in the order they are tried."""

KNOWLEDGE_STATISTICS = (
    "mean_pre",
    "mean_post",
    "mean_change",
    "wilcoxon",
    "d_z",
    "g_av",
    "gain_individual",
    "gain_of_means",
    "share_threshold_pre",
    "share_threshold_post",
    "share_threshold_or_gain",
)
"""The rows of :func:`evaluation.impact.pre_post` a knowledge table usually shows."""


def knowledge_change(
    pairs: pd.DataFrame,
    by: str | None = "course",
    *,
    max_score: float = 100.0,
    post_at_least: float = 70.0,
    gain_at_least: float = 20.0,
    level: float = 0.95,
) -> pd.DataFrame:
    """Pre/post change in test scores, for everyone and per group (course).

    Parameters
    ----------
    pairs : DataFrame
        View ``knowledge_pairs``: one row per participant and training with ``pre_score``
        and ``post_score`` (percent correct).
    by : str, optional
        Column to split by (``course``); ``None`` for everyone only.
    max_score : float
        Highest score (100), for the normalised gain.
    post_at_least, gain_at_least : float
        The knowledge threshold of indicator OP2.2: post-test at least 70, or a gain of at
        least 20 points.
    level : float

    Returns
    -------
    DataFrame
        The rows of :func:`evaluation.impact.pre_post` (``statistic``: ``mean_pre``,
        ``mean_post``, ``mean_change`` (paired t), ``wilcoxon``, ``d_z`` … ``g_av``,
        ``gain_individual``, ``gain_of_means``, ``share_*``), first for everyone (``by``
        column ``"All"``), then per group. ``share_threshold_or_gain`` is OP2.2.

    See Also
    --------
    R ``t.test(post, pre, paired = TRUE)``, ``wilcox.test(post, pre, paired = TRUE,
    exact = FALSE)`` (via :func:`evaluation.impact.pre_post`).
    """
    require_columns(pairs, ["pre_score", "post_score", *as_list(by)], what="knowledge pairs")
    options = {
        "max_score": max_score,
        "threshold": post_at_least,
        "min_gain": gain_at_least,
        "level": level,
    }
    overall = pre_post(pairs, "pre_score", "post_score", **options)
    if by is None:
        return overall
    overall.insert(0, by, TOTAL)
    groups = pairs.assign(**{by: pairs[by].astype("string").fillna(NOT_RECORDED)})
    split = pre_post(groups, "pre_score", "post_score", by=by, **options)
    order = _category_order(pairs[by])
    split = split.iloc[
        np.argsort([order.index(v) if v in order else len(order) for v in split[by]], kind="stable")
    ]
    return stack_results([overall, split], estimator="capacity.knowledge_change")


def item_pairs(
    tests: pd.DataFrame,
    items: Sequence[str],
    view: View,
    *,
    suffix: str = "_ok",
    keep: Sequence[str] = ("course",),
) -> pd.DataFrame:
    """Each item's score (1 correct, 0 not) before and after, one row per pair.

    Parameters
    ----------
    tests : DataFrame
        Knowledge tests (``training_knowledge_test``), one row per test.
    items : sequence of str
        Items (questions), scored in ``<item><suffix>`` (the form's calculates ``k01_ok``).
    view : View
        The logframe's ``knowledge_pairs`` view, whose pairing rule is reused.
    keep : sequence of str
        Columns carried over (``course``).

    Returns
    -------
    DataFrame
        ``training_id, participant_code``, ``keep`` columns, then ``<item>_pre`` and
        ``<item>_post`` for every item (Float64, missing when not answered).

    Raises
    ------
    DataError
        A scored column is missing.
    """
    if view.kind != "pre_post":
        raise ParamsError(f"item_pairs(): view '{view.name}' is a {view.kind} view, not pre_post")
    scored = [f"{item}{suffix}" for item in items]
    require_columns(tests, scored, what="knowledge tests")
    group, person = view.options["group"], view.options["participant"]
    out: pd.DataFrame | None = None
    for item, column in zip(items, scored, strict=True):
        one = dataclasses.replace(
            view, options={**view.options, "score": column, "keep": list(keep)}
        )
        # only the columns the view reads: pairing is a group-by over every column given
        pairs = derived_view(one, {view.source: tests[list(one.inputs())]})
        part = pairs[[group, person, *keep, "pre_score", "post_score"]].rename(
            columns={"pre_score": f"{item}_pre", "post_score": f"{item}_post"}
        )
        out = part if out is None else out.merge(part.drop(columns=list(keep)), on=[group, person])
    if out is None:
        raise ParamsError("item_pairs(): no items given")
    return out.reset_index(drop=True)


def unpaired_tests(tests: pd.DataFrame, view: View) -> dict[str, int]:
    """How many pre-tests have no post-test (dropouts) and post-tests no pre-test.

    Counted per participant and training, with the columns of the ``knowledge_pairs`` view.

    Returns
    -------
    dict
        ``{"pre": ..., "post": ...}``.
    """
    o = view.options
    group, person, test = o["group"], o["participant"], o["test"]
    require_columns(tests, [group, person, test], what="knowledge tests")
    rows = tests[tests[person].notna() & tests[group].notna()]
    kinds = rows[test].astype("string")
    pre = set(
        zip(rows.loc[kinds == o["pre"], group], rows.loc[kinds == o["pre"], person], strict=True)
    )
    post = set(
        zip(rows.loc[kinds == o["post"], group], rows.loc[kinds == o["post"], person], strict=True)
    )
    return {"pre": len(pre - post), "post": len(post - pre)}


def item_change(
    pairs: pd.DataFrame,
    items: Sequence[str],
    *,
    by: str | None = None,
    target: float = 0.7,
    alpha: float = 0.05,
    adjust: str = "holm",
    level: float = 0.95,
) -> pd.DataFrame:
    """Item-level change in the share answering correctly, with McNemar's test and a verdict.

    Parameters
    ----------
    pairs : DataFrame
        From :func:`item_pairs` (``<item>_pre``, ``<item>_post``).
    items : sequence of str
    by : str, optional
        Column to split by (each group's items are adjusted together).
    target : float
        Share correct at post-test for an item to count as learnt.
    alpha : float
        Adjusted p-value below which a change counts as real.
    adjust : str
        Multiple-testing method over the items (``evaluation.impact.adjust_pvalues``).
    level : float

    Returns
    -------
    DataFrame
        The rows of :func:`~evaluation.impact.pre_post.mcnemar` (``item``, ``estimate`` =
        change in the share correct, Wald SE and CI, McNemar ``p_value``, ``n`` pairs,
        ``share_pre``, ``share_post``, ``n_improved``, ``n_worsened`` …), then
        ``p_value_adj`` and ``outcome``, one of :data:`ITEM_OUTCOMES`:

        * ``worse`` — the share correct fell (adjusted p < alpha);
        * ``known_before`` — at or above ``target`` before and after the course;
        * ``learnt`` — at or above ``target`` after the course, not before;
        * ``improved_short`` — rose (adjusted p < alpha) but stays below ``target``;
        * ``not_landed`` — below ``target`` after the course, with no clear rise.

    See Also
    --------
    R ``mcnemar.test``, ``binom.test``, ``p.adjust(method = "holm")``.
    """
    columns = [f"{item}_{side}" for item in items for side in ("pre", "post")]
    require_columns(pairs, [*columns, *as_list(by)], what="item pairs")
    table = mcnemar(
        pairs,
        [f"{item}_pre" for item in items],
        [f"{item}_post" for item in items],
        items=list(items),
        by=by,
        level=level,
    )
    info = table.attrs["info"]
    adjusted = (
        table.groupby(by, observed=True, sort=False)["p_value"].transform(
            lambda p: pd.Series(adjust_pvalues(p.to_numpy(), adjust), index=p.index)
        )
        if by
        else pd.Series(adjust_pvalues(table["p_value"].to_numpy(), adjust), index=table.index)
    )
    table["p_value_adj"] = adjusted.astype(float)
    table["outcome"] = [_verdict(row, target, alpha) for row in table.itertuples(index=False)]
    table.attrs["info"] = info.with_notes(
        f"p_value_adj: {adjust} over the {len(items)} items; an item is learnt at "
        f"{target:.0%} correct after the course"
    )
    return table


def reaction_scores(
    tests: pd.DataFrame,
    items: Sequence[str],
    *,
    agree_from: int = 4,
    by: str | None = None,
    test: str = "test_type",
    post: str = "post",
    level: float = 0.95,
) -> pd.DataFrame:
    """Reaction to the course (Kirkpatrick level 1): mean answer and share agreeing.

    Parameters
    ----------
    tests : DataFrame
        Knowledge tests; only post-tests (``test == post``) are used.
    items : sequence of str
        Reaction items answered 1 (strongly disagree) to 5 (strongly agree).
    agree_from : int
        Answers from this value up count as agreeing (4 = agree, 5 = strongly agree).
    by : str, optional
        Column to split by (``course``); rows for everyone come first (``"All"``).
    level : float

    Returns
    -------
    DataFrame
        ``by`` (if given), ``item``, ``statistic`` (``mean`` or ``share_agree``), then
        ``estimate, se, ci_low, ci_high, p_value, df, n``: the mean with the t interval
        (R ``t.test(x)$conf.int``; ``df = n - 1``), the share with the Clopper-Pearson
        interval (R ``binom.test``). ``n`` counts the post-tests answering the item.

    Raises
    ------
    DataError
        A column is missing, or an answer is outside 1-5.
    """
    require_columns(tests, [test, *items, *as_list(by)], what="knowledge tests")
    answered = tests[tests[test].astype("string") == post]
    groups: list[tuple[object, pd.DataFrame]] = [(TOTAL, answered)]
    if by:
        labels = answered[by].astype("string").fillna(NOT_RECORDED)
        order = _category_order(answered[by])
        present = sorted(labels.unique(), key=lambda v: order.index(v) if v in order else 99)
        groups += [(value, answered[labels == value]) for value in present]
    rows = []
    for value, part in groups:
        for item in items:
            scores = _answers(part, item)
            key = {by: value} if by else {}
            rows.append({**key, "item": item, "statistic": "mean", **_mean_row(scores, level)})
            work = pd.DataFrame({"_y": (scores >= agree_from).astype(float), "_pop": True})
            share = register_estimates(work, "proportion", [], "exact", level).iloc[0]
            rows.append({**key, "item": item, "statistic": "share_agree", **share.to_dict()})
    info = ResultInfo(
        estimator="capacity.reaction_scores",
        method=f"post-test reaction items: mean (1-5) and share answering {agree_from} or more",
        level=level,
        vcov="t interval (mean); Clopper-Pearson (share)",
        n_obs=len(answered),
        reference="R t.test; binom.test",
    )
    return make_result(rows, info, id_columns=[*as_list(by), "item", "statistic"])


# --------------------------------------------------------------------------- helpers
def _verdict(row: Any, target: float, alpha: float) -> str:
    pre, post, change, p_adj = row.share_pre, row.share_post, row.estimate, row.p_value_adj
    clear = bool(np.isfinite(p_adj) and p_adj < alpha)
    if clear and change < 0:
        return "worse"
    if np.isfinite(post) and post >= target:
        return "known_before" if np.isfinite(pre) and pre >= target else "learnt"
    if clear and change > 0:
        return "improved_short"
    return "not_landed"


def _answers(data: pd.DataFrame, item: str) -> np.ndarray:
    values = numeric_values(data[item], f"reaction item '{item}'").astype(float)
    values = values.to_numpy(dtype=float, na_value=np.nan)
    values = values[~np.isnan(values)]
    bad = values[(values < 1) | (values > 5)]
    if bad.size:
        raise DataError(
            f"reaction item '{item}': answers {format_values(sorted(set(bad)))} are outside "
            "1-5; the reaction scale runs from 1 (strongly disagree) to 5 (strongly agree)"
        )
    return values


def _mean_row(values: np.ndarray, level: float) -> dict[str, float]:
    n = values.size
    row = {"estimate": float(values.mean()) if n else np.nan, "n": n}
    if n > 1:
        se = float(values.std(ddof=1) / np.sqrt(n))
        half = stats.t.ppf(0.5 + level / 2, n - 1) * se
        row.update(se=se, ci_low=row["estimate"] - half, ci_high=row["estimate"] + half)
        row["df"] = n - 1
    return row


def _category_order(series: pd.Series) -> list[str]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [str(c) for c in series.cat.categories]
    return sorted(series.dropna().astype(str).unique())
