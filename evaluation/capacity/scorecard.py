"""The KVSP capacity scorecard, round on round: by domain and by type of institution.

Member institutions score themselves 1-4 (absent, emerging, functional, consolidated) on nine
domains in a facilitated self-assessment at baseline, midline and endline. The logframe view
``capacity_domains`` stacks the scorecard to one row per institution, round and domain.

* :func:`scorecard_scores` — the mean score per group (domain or institution type) and round,
  and over everything (the capacity index, indicator OC2.1: the mean over institutions and
  domains). The scorecard is a census of member institutions, so means are exact (no
  interval), as for the logframe indicator.
* :func:`scorecard_change` — the change from one round to the next, over the institutions
  assessed in both: the paired comparison of :func:`evaluation.impact.pre_post` (mean change
  with the paired t interval, R ``t.test(paired = TRUE)``; shares of institutions that
  improved or fell back).
* :func:`merge_institution_types` — types with fewer assessed institutions than a minimum
  (default 3) are merged, so that no single institution's self-assessment is shown under its
  type. The scorecard describes institutions, not people: the rule of 10 respondents does not
  apply to it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pandas as pd

from evaluation.capacity.training import TOTAL
from evaluation.errors import DataError
from evaluation.impact import pre_post
from evaluation.indicators.estimate import register_estimates
from evaluation.results import ResultInfo, make_result
from evaluation.validation import require_columns

ROUND, INSTITUTION, SCORE = "round", "institution_id", "score"
OTHER_TYPES = "other_merged"
"""Code of the merged institution types."""


def merge_institution_types(
    domains: pd.DataFrame,
    min_institutions: int = 3,
    *,
    column: str = "institution_type",
    other: str = OTHER_TYPES,
) -> pd.DataFrame:
    """A copy with ``institution_group``: the type, or ``other`` for small types.

    A type is small when fewer than ``min_institutions`` distinct institutions of that type
    were assessed (in any round); small types are merged, and if the merged group is itself
    small the next smallest types join it (``evaluation.privacy.merge_small_categories``).

    Returns
    -------
    DataFrame
        ``domains`` with ``institution_group`` (string); ``attrs["merged"]`` lists the
        merged types.
    """
    from evaluation.privacy import merge_small_categories

    require_columns(domains, [INSTITUTION, column], what="scorecard")
    types = (
        domains.drop_duplicates(INSTITUTION)[[INSTITUTION, column]]
        .astype({column: "string"})
        .set_index(INSTITUTION)[column]
    )
    mapping: dict[object, object] = {}
    if min_institutions > 1 and len(types):
        mapping = merge_small_categories(
            types.fillna("not_recorded"), threshold=min_institutions, other_label=other
        ).mapping
    out = domains.copy()
    groups = out[column].astype("string").fillna("not_recorded")
    groups = groups.map(lambda v: mapping.get(v, v)).astype("string")
    known = (
        [str(c) for c in domains[column].cat.categories]
        if isinstance(domains[column].dtype, pd.CategoricalDtype)
        else sorted(groups.dropna().unique())
    )
    order = [c for c in [*known, "not_recorded", other] if c in set(groups)]
    out["institution_group"] = pd.Categorical(groups, categories=list(dict.fromkeys(order)))
    out.attrs["merged"] = sorted(map(str, mapping))
    return out


def scorecard_scores(domains: pd.DataFrame, by: str = "domain") -> pd.DataFrame:
    """Mean score (1-4) per ``by`` group and round, and over all groups.

    Parameters
    ----------
    domains : DataFrame
        View ``capacity_domains`` (``institution_id``, ``round``, ``domain``, ``score``),
        with ``institution_group`` if ``by="institution_group"``.
    by : str
        ``domain`` or ``institution_group`` (or another column of ``domains``).

    Returns
    -------
    DataFrame
        ``by, round``, then ``estimate`` (mean of the institution-domain scores), ``se,
        ci_low, ci_high, p_value, df`` (NaN: a census), ``n`` (institutions assessed), then
        ``scores`` (institution-domain scores averaged). Rounds in the order of the round
        question; the rows ``by == "All"`` are the capacity index (indicator OC2.1).
    """
    require_columns(domains, [INSTITUTION, ROUND, SCORE, by], what="scorecard")
    data = _valid(domains)
    rounds = _round_order(domains[ROUND])
    parts = []
    for group in [*_group_order(domains[by]), TOTAL]:
        part = data if group == TOTAL else data[data[by].astype("string") == group]
        for round_ in rounds:
            rows = part[part[ROUND].astype("string") == round_]
            if rows.empty:
                continue
            work = pd.DataFrame({"_y": rows[SCORE].astype(float), "_pop": True})
            mean = register_estimates(work, "mean", [], "none", 0.95).iloc[0].to_dict()
            mean["n"] = rows[INSTITUTION].nunique()
            parts.append({by: group, ROUND: round_, **mean, "scores": len(rows)})
    info = ResultInfo(
        estimator="capacity.scorecard_scores",
        method="mean of the 1-4 scores of the institutions assessed (a census: exact)",
        n_obs=len(data),
    )
    return make_result(parts, info, id_columns=[by, ROUND])


def scorecard_change(
    domains: pd.DataFrame, by: str = "domain", *, level: float = 0.95
) -> pd.DataFrame:
    """Change in the mean score from each round to the next, over institutions assessed in
    both; with more than two rounds, also from the first to the last.

    Parameters
    ----------
    domains : DataFrame
        View ``capacity_domains``.
    by : str
        ``domain`` (one score per institution) or ``institution_group`` (each
        institution's mean over its domains).
    level : float

    Returns
    -------
    DataFrame
        ``by, from_round, to_round``, then ``estimate`` (mean change, points on the 1-4
        scale), ``se, ci_low, ci_high, p_value`` (paired t-test), ``df``, ``n`` (institutions
        in both rounds), then ``mean_from``, ``mean_to`` (over those institutions),
        ``share_improved``, ``share_worse``. Rows ``by == "All"`` compare each
        institution's mean over all domains (its capacity index).

    Notes
    -----
    For institution :math:`i` with scores :math:`x_i` and :math:`y_i` in the two rounds,
    :math:`\\bar d = \\overline{y - x}` with the paired t interval
    :math:`\\bar d \\pm t_{n-1} s_d / \\sqrt n` (:func:`evaluation.impact.pre_post`).
    """
    require_columns(domains, [INSTITUTION, ROUND, SCORE, by], what="scorecard")
    data = _valid(domains)
    rounds = [r for r in _round_order(domains[ROUND]) if (data[ROUND] == r).any()]
    steps = list(itertools.pairwise(rounds))
    if len(rounds) > 2:
        steps.append((rounds[0], rounds[-1]))
    rows = []
    for first, last in steps:
        for group in [*_group_order(domains[by]), TOTAL]:
            part = data if group == TOTAL else data[data[by].astype("string") == group]
            wide = _institution_scores(part, [first, last])
            if wide.empty:
                continue
            rows.append({by: group, **_change_row(wide, first, last, level)})
    info = ResultInfo(
        estimator="capacity.scorecard_change",
        method="paired change in mean score over institutions assessed in both rounds",
        level=level,
        vcov="paired t",
        n_obs=data[INSTITUTION].nunique(),
        reference="R t.test(paired = TRUE)",
    )
    columns = [by, "from_round", "to_round"]
    table = make_result(rows, info, id_columns=columns) if rows else _empty(columns, info)
    return table


# --------------------------------------------------------------------------- helpers
def _valid(domains: pd.DataFrame) -> pd.DataFrame:
    data = domains[domains[SCORE].notna()].copy()
    data[ROUND] = data[ROUND].astype("string")
    scores = data[SCORE].astype(float)
    bad = scores[(scores < 1) | (scores > 4)]
    if len(bad):
        raise DataError(
            f"scorecard: {len(bad)} scores are outside 1-4 (e.g. {bad.iloc[0]:g}); scores run "
            "from 1 (absent) to 4 (consolidated)"
        )
    return data


def _institution_scores(part: pd.DataFrame, rounds: Sequence[str]) -> pd.DataFrame:
    """One row per institution: its mean score in each of ``rounds`` (both present)."""
    chosen = part[part[ROUND].isin(rounds)]
    wide = chosen.pivot_table(
        index=INSTITUTION, columns=ROUND, values=SCORE, aggfunc="mean", observed=True
    )
    if not set(rounds) <= set(wide.columns):
        return pd.DataFrame()
    return wide[list(rounds)].astype(float).dropna().rename_axis(columns=None).reset_index()


def _change_row(wide: pd.DataFrame, first: str, last: str, level: float) -> dict[str, object]:
    table = pre_post(wide, first, last, level=level)
    stat = table.set_index("statistic")
    change = stat.loc["mean_change"]
    return {
        "from_round": first,
        "to_round": last,
        **{c: change[c] for c in ("estimate", "se", "ci_low", "ci_high", "p_value", "df")},
        "n": int(stat.loc["mean_pre", "n"]),
        "mean_from": stat.loc["mean_pre", "estimate"],
        "mean_to": stat.loc["mean_post", "estimate"],
        "share_improved": stat.loc["share_improved", "estimate"],
        "share_worse": stat.loc["share_worse", "estimate"],
    }


def _empty(columns: list[str], info: ResultInfo) -> pd.DataFrame:
    extras = ["mean_from", "mean_to", "share_improved", "share_worse"]
    return make_result(pd.DataFrame(columns=[*columns, *extras]), info, id_columns=columns)


def _round_order(rounds: pd.Series) -> list[str]:
    if isinstance(rounds.dtype, pd.CategoricalDtype):
        return [str(r) for r in rounds.cat.categories]
    return sorted(rounds.dropna().astype(str).unique())


def _group_order(groups: pd.Series) -> list[str]:
    present = set(groups.dropna().astype(str))
    if isinstance(groups.dtype, pd.CategoricalDtype):
        ordered = [str(c) for c in groups.cat.categories if str(c) in present]
    else:
        ordered = sorted(present)
    tail = [g for g in ("not_recorded", OTHER_TYPES) if g in ordered]
    return [g for g in ordered if g not in tail] + tail
