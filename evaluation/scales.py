"""Multi-item scales: reliability (Cronbach's alpha) and indices built from several items.

* :func:`cronbach_alpha` — raw and standardised alpha, Guttman's lambda 6, average
  inter-item correlation, alpha if an item is deleted and item-rest correlations, exactly as
  R's ``psych::alpha`` computes them (pairwise-complete covariances when items are missing).
* :func:`scale_score` — the per-person item mean rescaled to 0–100 (logframe indicator
  OC1.1: "mean of the item-mean rescaled to 0–100"), with a minimum number of valid items.
* :func:`standardized_index` — Kling, Liebman and Katz (2007): the mean of the items'
  z-scores against a reference group (the comparison group at baseline).
* :func:`icw_index` — Anderson (2008): the inverse-covariance-weighted mean of the z-scores.

Indices are new variables, not estimates: they return a :class:`pandas.Series` aligned with
``data`` (with the reference means, SDs and weights in ``Series.attrs["components"]``), which
the caller adds as a column and then analyses with the survey or impact estimators.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaluation.errors import DataError, EstimationError, ParamsError, format_values
from evaluation.results import ResultInfo, make_result
from evaluation.validation import as_list, require_columns, require_numeric

__all__ = ["cronbach_alpha", "icw_index", "scale_score", "standardized_index"]


# --------------------------------------------------------------------------- item preparation


def _item_matrix(
    data: pd.DataFrame,
    items: Sequence[str],
    reverse: Sequence[str],
    min_score: float | None,
    max_score: float | None,
    what: str,
) -> pd.DataFrame:
    """Items as float columns, range-checked, with ``reverse`` items scored min + max - x."""
    unknown = [r for r in reverse if r not in items]
    if unknown:
        raise ParamsError(
            f"{what}: reverse items {format_values(unknown)} are not among items "
            f"{format_values(items)}; list every reversed item in items too"
        )
    require_columns(data, items, what=f"{what} data")
    if reverse and (min_score is None or max_score is None):
        raise ParamsError(
            f"{what}: reversing {format_values(reverse)} needs the response range; pass "
            "min_score and max_score (e.g. min_score=1, max_score=5 for a 5-point scale)"
        )
    frame = pd.DataFrame({c: require_numeric(data, c, what=what) for c in items}, index=data.index)
    _check_range(frame, min_score, max_score, what)
    for column in reverse:
        frame[column] = min_score + max_score - frame[column]
    return frame


def _check_range(
    frame: pd.DataFrame, min_score: float | None, max_score: float | None, what: str
) -> None:
    low = -np.inf if min_score is None else min_score
    high = np.inf if max_score is None else max_score
    for column in frame.columns:
        values = frame[column]
        bad = values.notna() & ((values < low) | (values > high))
        if bad.any():
            raise DataError(
                f"{what}, column '{column}': {int(bad.sum())} values lie outside "
                f"[{min_score}, {max_score}] (rows {format_values(list(frame.index[bad]))}, "
                f"values {format_values(sorted(set(values[bad])))}); recode them (e.g. a "
                "'don't know' code) to missing or fix min_score/max_score"
            )


def _require_items(items: str | Sequence[str], minimum: int, what: str) -> list[str]:
    names = as_list(items)
    if len(names) < minimum:
        raise ParamsError(f"{what} needs at least {minimum} items; got {format_values(names)}")
    if len(set(names)) != len(names):
        raise ParamsError(f"{what}: items repeat in {format_values(names)}; list each once")
    return names


# --------------------------------------------------------------------------- Cronbach's alpha


def _alpha_parts(cov: np.ndarray) -> dict[str, float]:
    """psych's ``alpha.1``: raw and standardised alpha, G6 and average r from a covariance."""
    k = cov.shape[0]
    sd = np.sqrt(np.diag(cov))
    cor = cov / np.outer(sd, sd)  # R cov2cor(C), not pairwise correlations
    sum_r = cor.sum()
    try:
        inverse = np.linalg.inv(cor)
    except np.linalg.LinAlgError:
        inverse = np.linalg.pinv(cor)
    smc = 1 - 1 / np.diag(inverse)
    return {
        "raw_alpha": k / (k - 1) * (1 - np.trace(cov) / cov.sum()),
        "std_alpha": k / (k - 1) * (1 - k / sum_r),
        "G6": 1 - (k - smc.sum()) / sum_r,
        "average_r": (sum_r - k) / (k * (k - 1)),
    }


def _item_rest_r(cov: np.ndarray) -> np.ndarray:
    """Correlation of each item with the sum of the other items, from the covariance matrix."""
    k = cov.shape[0]
    out = np.empty(k)
    for i in range(k):
        rest = np.delete(np.arange(k), i)
        covariance = cov[i, rest].sum()
        out[i] = covariance / np.sqrt(cov[i, i] * cov[np.ix_(rest, rest)].sum())
    return out


def cronbach_alpha(
    data: pd.DataFrame,
    items: Sequence[str],
    reverse: Sequence[str] | None = None,
    min_score: float | None = None,
    max_score: float | None = None,
) -> pd.DataFrame:
    """Cronbach's alpha and item statistics of a scale, as ``psych::alpha`` computes them.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; item columns numeric (missing = not answered).
    items : list of str
        The scale's items (at least 2; alpha-if-deleted needs 3).
    reverse : list of str, optional
        Reverse-worded items, scored ``min_score + max_score - x`` before anything else.
    min_score, max_score : float, optional
        The response range (e.g. 1 and 5); required with ``reverse``; values outside it
        raise :class:`DataError`.

    Returns
    -------
    DataFrame
        ``statistic``, ``item`` (empty for scale-level rows), ``estimate, se, ci_low,
        ci_high, p_value, df, n`` (only ``estimate`` and ``n`` are filled), then ``k``
        (items in the statistic) and ``n_complete`` (respondents with every item). Rows:

        * scale level: ``raw_alpha``, ``std_alpha``, ``G6`` (Guttman's lambda 6 from
          squared multiple correlations), ``average_r`` (mean inter-item correlation),
          ``mean_score`` and ``sd_score`` (of the per-person item mean over answered items);
        * per item: ``alpha_if_deleted``, ``std_alpha_if_deleted`` and ``item_rest_r``
          (correlation of the item with the sum of the other items, psych's ``r.drop``).

        ``n`` is the number of respondents with at least one answered item.

    Raises
    ------
    DataError
        A column is missing, not numeric or outside ``[min_score, max_score]``.
    ParamsError
        Fewer than two items, or ``reverse`` without the response range.
    EstimationError
        An item has no variance.

    Notes
    -----
    With :math:`C` the pairwise-complete covariance matrix of the :math:`k` items and
    :math:`R = \\mathrm{cov2cor}(C)`:

    .. math::

        \\alpha = \\frac{k}{k-1}\\Big(1 - \\frac{\\mathrm{tr}\\,C}{\\mathbf 1'C\\mathbf 1}\\Big),
        \\quad
        \\alpha_{std} = \\frac{k}{k-1}\\Big(1 - \\frac{k}{\\mathbf 1'R\\mathbf 1}\\Big),
        \\quad
        \\lambda_6 = 1 - \\frac{k - \\sum_j \\mathrm{smc}_j}{\\mathbf 1'R\\mathbf 1}

    with :math:`\\mathrm{smc}_j = 1 - 1/(R^{-1})_{jj}`. Without missing items :math:`\\alpha`
    equals the textbook formula on complete cases.

    See Also
    --------
    R: ``psych::alpha(x, check.keys = FALSE)``.

    Examples
    --------
    >>> cronbach_alpha(survey, ["q1", "q2", "q3", "q4", "q5", "q6"], reverse=["q6"],
    ...                min_score=1, max_score=5)  # doctest: +SKIP
    """
    names = _require_items(items, 2, "cronbach_alpha()")
    frame = _item_matrix(data, names, as_list(reverse), min_score, max_score, "cronbach_alpha()")
    cov = frame.cov().to_numpy()  # pairwise complete, n - 1: R cov(x, use = "pairwise")
    flat = [c for c, v in zip(names, np.diag(cov), strict=True) if not v > 0]
    if flat:
        raise EstimationError(
            f"cronbach_alpha(): items {format_values(flat)} have no variance (or fewer than two "
            "answers); alpha is undefined. Drop them from the scale"
        )
    answered = frame.notna().any(axis=1)
    person_mean = frame[answered].mean(axis=1)
    counts = {"n": int(answered.sum()), "n_complete": int(frame.notna().all(axis=1).sum())}
    k = len(names)
    rows = [
        {"statistic": s, "item": "", "estimate": v, "k": k} for s, v in _alpha_parts(cov).items()
    ]
    rows += [
        {"statistic": "mean_score", "item": "", "estimate": person_mean.mean(), "k": k},
        {"statistic": "sd_score", "item": "", "estimate": person_mean.std(ddof=1), "k": k},
    ]
    rows += _item_rows(names, cov)
    info = ResultInfo(
        estimator="scales.cronbach_alpha",
        method="Cronbach's alpha from the pairwise-complete covariance matrix",
        n_obs=counts["n"],
        reference="R psych::alpha (psych 2.2.9)",
        notes=_alpha_notes(frame, as_list(reverse)),
    )
    return make_result([{**row, **counts} for row in rows], info, id_columns=["statistic", "item"])


def _item_rows(names: list[str], cov: np.ndarray) -> list[dict[str, object]]:
    k = len(names)
    rows: list[dict[str, object]] = []
    if k > 2:
        dropped = [_alpha_parts(np.delete(np.delete(cov, i, 0), i, 1)) for i in range(k)]
        for statistic, key in (
            ("alpha_if_deleted", "raw_alpha"),
            ("std_alpha_if_deleted", "std_alpha"),
        ):
            rows += [
                {"statistic": statistic, "item": name, "estimate": parts[key]}
                for name, parts in zip(names, dropped, strict=True)
            ]
    rows += [
        {"statistic": "item_rest_r", "item": name, "estimate": r}
        for name, r in zip(names, _item_rest_r(cov), strict=True)
    ]
    return [{**row, "k": k - 1 if row["statistic"] != "item_rest_r" else k} for row in rows]


def _alpha_notes(frame: pd.DataFrame, reverse: list[str]) -> tuple[str, ...]:
    notes = []
    missing = int(frame.isna().to_numpy().sum())
    if missing:
        notes.append(
            f"{missing} item answers are missing: covariances use pairwise-complete "
            "observations (as psych::alpha), so alpha is not the complete-case value."
        )
    if reverse:
        notes.append(f"Reverse-scored before analysis: {', '.join(reverse)}.")
    return tuple(notes)


# --------------------------------------------------------------------------- scale score


def scale_score(
    data: pd.DataFrame,
    items: Sequence[str],
    min_score: float,
    max_score: float,
    reverse: Sequence[str] | None = None,
    rescale_to: tuple[float, float] | None = (0.0, 100.0),
    min_valid: int | None = None,
) -> pd.Series:
    """Per-person scale score: the mean of the answered items, rescaled (by default to 0–100).

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    items : list of str
        Item columns, all on the response range ``[min_score, max_score]``.
    min_score, max_score : float
        The items' response range (e.g. 1 and 4 for a CTC 4-point item).
    reverse : list of str, optional
        Reverse-worded items, scored ``min_score + max_score - x``.
    rescale_to : (low, high) or None
        Target range: ``min_score`` maps to ``low`` and ``max_score`` to ``high``;
        ``None`` keeps the item mean on the response scale.
    min_valid : int, optional
        Minimum number of answered items for a score (default: at least half the items,
        rounded up); respondents with fewer get a missing score.

    Returns
    -------
    Series
        Aligned with ``data``, named ``"scale_score"``; ``attrs["n_valid"]`` holds the number
        of answered items per respondent.

    Raises
    ------
    DataError
        An item is missing, not numeric or outside the response range.
    ParamsError
        ``min_score >= max_score`` or ``min_valid`` is not between 1 and the number of items.

    Notes
    -----
    .. math::

        s_i = low + (high - low)\\,\\frac{\\bar x_i - min}{max - min},
        \\qquad \\bar x_i = \\text{mean of the answered items of } i

    Examples
    --------
    >>> survey["oc1_1"] = scale_score(survey, ATTITUDE_ITEMS, min_score=1, max_score=4,
    ...                               reverse=["a6_3"])  # doctest: +SKIP
    """
    names = _require_items(items, 1, "scale_score()")
    if not min_score < max_score:
        raise ParamsError(
            f"scale_score(): min_score={min_score} must be below max_score={max_score}"
        )
    needed = min_valid if min_valid is not None else int(np.ceil(len(names) / 2))
    if not 1 <= needed <= len(names):
        raise ParamsError(
            f"scale_score(): min_valid={min_valid} must be between 1 and the number of items "
            f"({len(names)})"
        )
    frame = _item_matrix(data, names, as_list(reverse), min_score, max_score, "scale_score()")
    n_valid = frame.notna().sum(axis=1)
    score = frame.mean(axis=1).where(n_valid >= needed)
    if rescale_to is not None:
        low, high = rescale_to
        score = low + (high - low) * (score - min_score) / (max_score - min_score)
    score.name = "scale_score"
    score.attrs["n_valid"] = n_valid
    return score


# --------------------------------------------------------------------------- indices


def _reference_mask(data: pd.DataFrame, reference: object, what: str) -> np.ndarray:
    """``reference`` (None, a boolean column name or a boolean array) as a boolean array."""
    if reference is None:
        return np.ones(len(data), dtype=bool)
    if isinstance(reference, str):
        require_columns(data, [reference], what=f"{what} data")
        values = data[reference]
    elif isinstance(reference, pd.Series):
        values = reference.reindex(data.index)  # aligned by label; unmatched rows -> missing
    else:
        array = np.asarray(reference)
        if array.shape != (len(data),):
            raise ParamsError(
                f"{what}: reference has {array.size} entries but data has {len(data)} rows; "
                "pass a boolean mask aligned with data, or the name of a boolean column"
            )
        values = pd.Series(array, index=data.index)
    if values.isna().any() or not values.isin([0, 1]).all():
        raise DataError(
            f"{what}: the reference group must be given as True/False (or 1/0) with no missing "
            f"values; found {format_values(sorted(map(str, pd.unique(values))))}"
        )
    mask = values.astype(bool).to_numpy()
    if mask.sum() < 2:
        raise DataError(
            f"{what}: the reference group has {int(mask.sum())} rows; at least 2 are needed "
            "to estimate its means and SDs"
        )
    return mask


def _z_scores(
    frame: pd.DataFrame, mask: np.ndarray, reverse: list[str], what: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Items standardised by the reference group's mean and SD, reversed items negated."""
    ref = frame[mask]
    means, sds = ref.mean(), ref.std(ddof=1)
    flat = list(sds.index[~(sds > 0)])
    if flat:
        raise EstimationError(
            f"{what}: items {format_values(flat)} do not vary in the reference group "
            f"({int(mask.sum())} rows), so they cannot be standardised against it; drop them "
            "or use a larger reference group"
        )
    sign = pd.Series([-1.0 if c in reverse else 1.0 for c in frame.columns], index=frame.columns)
    z = (frame - means) / sds * sign
    components = pd.DataFrame(
        {"item": frame.columns, "reference_mean": means.to_numpy(), "reference_sd": sds.to_numpy()}
    )
    components["reversed"] = [c in reverse for c in frame.columns]
    return z, components


def _restandardise(index: pd.Series, mask: np.ndarray) -> pd.Series:
    ref = index[mask]
    return (index - ref.mean()) / ref.std(ddof=1)


def _index_z_scores(
    data: pd.DataFrame,
    items: Sequence[str],
    reference: object,
    reverse: Sequence[str] | None,
    what: str,
) -> tuple[list[str], np.ndarray, pd.DataFrame, pd.DataFrame]:
    """The checked item names, the reference-group mask, the signed z-scores and the
    components table: what both summary indices start from."""
    names = _require_items(items, 1, what)
    reversed_items = as_list(reverse)
    # Reverse items change sign after standardising, so no response range is needed.
    frame = _item_matrix(data, names, [], None, None, what)
    unknown = [r for r in reversed_items if r not in names]
    if unknown:
        raise ParamsError(
            f"{what}: reverse items {format_values(unknown)} are not among items "
            f"{format_values(names)}; list every reversed item in items too"
        )
    mask = _reference_mask(data, reference, what)
    z, components = _z_scores(frame, mask, reversed_items, what)
    return names, mask, z, components


def standardized_index(
    data: pd.DataFrame,
    items: Sequence[str],
    reference: str | Sequence[bool] | np.ndarray | pd.Series | None = None,
    reverse: Sequence[str] | None = None,
    min_valid: int = 1,
    restandardize: bool = False,
) -> pd.Series:
    """Summary index: the mean of the items' z-scores against a reference group (KLK 2007).

    Parameters
    ----------
    data : DataFrame
        One row per respondent (and wave).
    items : list of str
        The index's component variables, numeric.
    reference : str, boolean array or None
        The rows that define "zero" and "one SD": usually the comparison group at baseline,
        e.g. ``(data.wave == 0) & (data.treatment == 0)``; a column name of a boolean column
        also works. ``None`` uses every row.
    reverse : list of str, optional
        Items where a higher value is worse; their z-scores change sign so that a higher
        index is always better (or always "more" of the construct).
    min_valid : int
        Minimum number of non-missing components for an index value; the index averages the
        components that are available (missing components are not imputed).
    restandardize : bool
        Standardise the final index against the reference group too, so that it has mean 0
        and SD 1 there (KLK's index itself is only centred).

    Returns
    -------
    Series
        Aligned with ``data``, named ``"standardized_index"``; ``attrs["components"]`` is a
        table of ``item, reference_mean, reference_sd, reversed, weight``.

    Raises
    ------
    DataError
        An item is missing or not numeric, or the reference group is invalid.
    EstimationError
        An item does not vary in the reference group.

    Notes
    -----
    .. math::

        z_{ij} = s_j\\,\\frac{x_{ij} - \\bar x_j^{ref}}{sd_j^{ref}}, \\qquad
        I_i = \\frac{1}{|A_i|} \\sum_{j \\in A_i} z_{ij}

    with :math:`s_j = -1` for reversed items and :math:`A_i` the components answered by
    :math:`i`.

    References
    ----------
    Kling, J. R., Liebman, J. B. and Katz, L. F. (2007). Experimental analysis of
    neighborhood effects. *Econometrica* 75(1), 83–119.
    """
    names, mask, z, components = _index_z_scores(
        data, items, reference, reverse, "standardized_index()"
    )
    index = z.mean(axis=1).where(z.notna().sum(axis=1) >= min_valid)
    if restandardize:
        index = _restandardise(index, mask)
    components["weight"] = 1 / len(names)
    index.name = "standardized_index"
    index.attrs["components"] = components
    return index


def icw_index(
    data: pd.DataFrame,
    items: Sequence[str],
    reference: str | Sequence[bool] | np.ndarray | pd.Series | None = None,
    reverse: Sequence[str] | None = None,
    min_valid: int = 1,
    restandardize: bool = False,
) -> pd.Series:
    """Inverse-covariance-weighted index of z-scores (Anderson 2008).

    Parameters
    ----------
    data, items, reference, reverse, min_valid, restandardize
        As in :func:`standardized_index`.

    Returns
    -------
    Series
        Aligned with ``data``, named ``"icw_index"``; ``attrs["components"]`` holds
        ``item, reference_mean, reference_sd, reversed, weight`` (weights sum to 1).

    Raises
    ------
    DataError
        An item is missing or not numeric, or the reference group is invalid.
    EstimationError
        An item does not vary in the reference group, or the z-scores' covariance matrix is
        singular (two items carry the same information; drop one).

    Notes
    -----
    With :math:`\\Sigma` the covariance matrix of the z-scores in the reference group
    (pairwise complete) and :math:`w = \\Sigma^{-1}\\mathbf 1` (the row sums of
    :math:`\\Sigma^{-1}`):

    .. math::

        I_i = \\frac{\\sum_{j \\in A_i} w_j z_{ij}}{\\sum_{j \\in A_i} w_j}

    so highly correlated items share their weight and items carrying new information
    weigh more; a respondent's weights are renormalised over the components they answered
    (:math:`A_i`). With complete data this is Anderson's
    :math:`(\\mathbf 1'\\Sigma^{-1}\\mathbf 1)^{-1}\\mathbf 1'\\Sigma^{-1} z_i`. A weight
    can be negative when an item is strongly correlated with a combination of others.

    References
    ----------
    Anderson, M. L. (2008). Multiple inference and gender differences in the effects of early
    intervention. *Journal of the American Statistical Association* 103(484), 1481–1495.
    """
    names, mask, z, components = _index_z_scores(data, items, reference, reverse, "icw_index()")
    sigma = z[mask].cov().to_numpy()
    if not np.isfinite(sigma).all() or np.linalg.matrix_rank(sigma) < len(names):
        raise EstimationError(
            "icw_index(): the covariance matrix of the z-scores in the reference group is "
            f"singular for items {format_values(names)}; an item is a copy or a combination of "
            "others (or two items were never answered together). Drop the redundant item"
        )
    weights = np.linalg.solve(sigma, np.ones(len(names)))
    available = z.notna().to_numpy()
    numerator = np.nansum(z.to_numpy() * weights, axis=1)
    denominator = available @ weights
    values = np.where(available.sum(axis=1) >= min_valid, numerator / denominator, np.nan)
    index = pd.Series(values, index=data.index, name="icw_index")
    if restandardize:
        index = _restandardise(index, mask).rename("icw_index")
    components["weight"] = weights / weights.sum()
    index.attrs["components"] = components
    return index
