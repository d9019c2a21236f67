"""Coarsen categories before suppressing: fewer, larger groups lose fewer cells.

Domain brief §7: apply the threshold to the unweighted n, coarsen categories (age bands,
merged rural units) first, then suppress. Small administrative units such as Funar and
Tregan often fall below 10 respondents and are merged into "Other rural units"
(:data:`OTHER_RURAL_UNITS`); adjacent age bands are merged until each is large enough.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evaluation.errors import DataError, ParamsError, format_values
from evaluation.privacy.disclosure import DEFAULT_THRESHOLD

OTHER_RURAL_UNITS = {"en": "Other rural units", "sq": "Njësi të tjera rurale"}
_BAND = re.compile(
    r"^\s*(?:(?P<lo>\d+)\s*[–-]\s*(?P<hi>\d+)|(?P<open>\d+)\s*\+|<\s*(?P<below>\d+))\s*$"
)


@dataclass(frozen=True)
class Coarsening:
    """Coarsened values and what was merged.

    Attributes
    ----------
    values : Series
        The coarsened column (categorical when the input was).
    mapping : dict
        Original category → new label, for the categories that changed.
    notes : tuple of str
        What was merged and why, and any merged group still below the threshold.
    """

    values: pd.Series
    mapping: dict[Hashable, Hashable] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def merge_small_categories(
    values: pd.Series,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    other_label: str = OTHER_RURAL_UNITS["en"],
    within: pd.Series | pd.DataFrame | None = None,
    protect: Iterable[Hashable] = (),
) -> Coarsening:
    """Merge categories with fewer than ``threshold`` respondents into one "other" group.

    Parameters
    ----------
    values : Series
        One value per respondent (e.g. the administrative unit).
    threshold : int
        A category is small when fewer than ``threshold`` respondents (unweighted) have it
        — in any group of ``within`` when given (e.g. per sex, so that unit × sex cells are
        large enough too). Empty groups do not count as small.
    other_label : str
        Label of the merged group; ``OTHER_RURAL_UNITS["sq"]`` for Albanian reports.
    within : Series or DataFrame, optional
        Respondent-level variables the later tables will cross the categories with.
    protect : iterable
        Categories never merged (e.g. ``"Elbasan"``, the city).

    Returns
    -------
    Coarsening
        If the merged group is itself small, the next smallest categories are added to it
        until it is not (or none are left, which the notes say).

    See Also
    --------
    R ``sdcMicro::groupAndRename`` (merging categories by hand).

    Examples
    --------
    >>> units = pd.Series(["Elbasan"] * 30 + ["Funar"] * 4 + ["Tregan"] * 7 + ["Papër"] * 12)
    >>> merge_small_categories(units).mapping
    {'Funar': 'Other rural units', 'Tregan': 'Other rural units'}
    """
    _check(threshold)
    groups = _group_counts(values, within)
    if other_label in groups.index:
        raise ParamsError(
            f"other_label={other_label!r} is already a category of '{values.name}'; choose "
            "another label for the merged group"
        )
    mergeable = [c for c in groups.index if c not in set(protect)]
    merged = [c for c in mergeable if _small(groups.loc[[c]].sum(), threshold)]
    if not merged:
        return Coarsening(values.copy())
    rest = sorted((c for c in mergeable if c not in merged), key=lambda c: groups.loc[c].sum())
    while _small(groups.loc[merged].sum(), threshold) and rest:
        merged.append(rest.pop(0))
    mapping: dict[Hashable, Hashable] = dict.fromkeys(merged, other_label)
    notes = [
        f"merged {format_values(merged, limit=20)} into {other_label!r} "
        f"(fewer than {threshold} respondents)"
    ]
    if _small(groups.loc[merged].sum(), threshold):
        notes.append(
            f"{other_label!r} still has fewer than {threshold} respondents; "
            "its cells will be suppressed"
        )
    return Coarsening(_relabel(values, mapping, [other_label]), mapping, tuple(notes))


def age_bands(
    ages: pd.Series | Iterable[float],
    edges: Sequence[int] = (10, 13, 16, 19),
) -> pd.Series:
    """Cut ages in whole years into bands ``"10–12", "13–15", "16–18", "19+"``.

    Parameters
    ----------
    ages : Series or iterable
        Ages in completed years; missing stays missing.
    edges : sequence of int
        Increasing lower bounds of the bands; the last band is open (``"19+"``). Ages below
        the first edge get ``"<10"``, a band that appears only when needed.

    Returns
    -------
    Series
        Ordered categorical.

    Raises
    ------
    DataError
        Values that are not numbers.
    ParamsError
        Edges that are not increasing whole numbers.
    """
    series = ages if isinstance(ages, pd.Series) else pd.Series(list(ages))
    numeric = pd.to_numeric(series, errors="coerce")
    bad = numeric.isna() & series.notna()
    if bad.any():
        raise DataError(
            f"age column '{series.name}': {int(bad.sum())} values are not numbers "
            f"({format_values(series[bad].unique())}); recode them or set them to missing"
        )
    edges = list(edges)
    if (
        not edges
        or any(int(e) != e for e in edges)
        or any(b <= a for a, b in itertools.pairwise(edges))
    ):
        raise ParamsError(f"age band edges must be increasing whole numbers, got {edges!r}")
    labels = [f"{a}–{b - 1}" for a, b in itertools.pairwise(edges)] + [f"{edges[-1]}+"]
    below = f"<{edges[0]}"
    bins = [-np.inf, *edges, np.inf]
    cut = pd.cut(numeric, bins=bins, right=False, labels=[below, *labels], ordered=True)
    if not (cut == below).any():
        cut = cut.cat.remove_categories([below])
    return pd.Series(cut, index=series.index, name=series.name)


def merge_small_bands(
    bands: pd.Series,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    within: pd.Series | pd.DataFrame | None = None,
) -> Coarsening:
    """Merge adjacent ordered bands until each has at least ``threshold`` respondents.

    The smallest small band is merged with its smaller neighbour, and again, until no band
    is small (in any group of ``within``) or one band is left. Labels are combined
    (``"16–18"`` + ``"19+"`` → ``"16+"``; ``"13–15"`` + ``"16–18"`` → ``"13–18"``).

    Parameters
    ----------
    bands : Series
        Ordered categorical, e.g. from :func:`age_bands`.
    threshold, within
        As in :func:`merge_small_categories`.
    """
    _check(threshold)
    if not (isinstance(bands.dtype, pd.CategoricalDtype) and bands.cat.ordered):
        raise ParamsError(
            f"merge_small_bands() needs an ordered categorical (e.g. from age_bands()); "
            f"'{bands.name}' is {bands.dtype}"
        )
    groups = _group_counts(bands, within)
    order = [c for c in bands.cat.categories if groups.loc[c].sum() > 0]
    members = {c: [c] for c in order}
    counts = {c: groups.loc[c] for c in order}
    while len(order) > 1:
        small = [c for c in order if _small(counts[c], threshold)]
        if not small:
            break
        band = min(small, key=lambda c: (counts[c].sum(), order.index(c)))
        position = order.index(band)
        side = [p for p in (position - 1, position + 1) if 0 <= p < len(order)]
        other = min(side, key=lambda p: counts[order[p]].sum())
        first, second = sorted((position, other))
        label = _join_bands(order[first], order[second])
        members[label] = members.pop(order[first]) + members.pop(order[second])
        counts[label] = counts.pop(order[first]) + counts.pop(order[second])
        order[first : second + 1] = [label]
    mapping = {m: label for label, group in members.items() for m in group if m != label}
    notes = tuple(
        f"merged {format_values(g)} into {label!r}" for label, g in members.items() if len(g) > 1
    )
    return Coarsening(_relabel(bands, mapping, order, ordered=True), mapping, notes)


def _group_counts(values: pd.Series, within: pd.Series | pd.DataFrame | None) -> pd.DataFrame:
    """Respondents per category (rows) and ``within`` group (columns)."""
    if within is None:
        table = values.value_counts(dropna=True, sort=False).to_frame("all")
    else:
        keys = [within[c] for c in within.columns] if isinstance(within, pd.DataFrame) else [within]
        if any(len(k) != len(values) for k in keys):
            raise ParamsError("within= must have one value per respondent, like the values")
        table = pd.crosstab(values, keys)
    if isinstance(values.dtype, pd.CategoricalDtype):
        table = table.reindex(values.cat.categories, fill_value=0)
    return table


def _small(counts: pd.Series, threshold: int) -> bool:
    array = np.asarray(counts, dtype=float)
    return bool(np.any((array > 0) & (array < threshold)))


def _relabel(
    values: pd.Series, mapping: dict[Hashable, Hashable], new: list[Hashable], ordered: bool = False
) -> pd.Series:
    if isinstance(values.dtype, pd.CategoricalDtype):
        kept = [c for c in values.cat.categories if c not in mapping]
        categories = list(dict.fromkeys([*kept, *new])) if not ordered else list(new)
        plain = values.astype(object).map(lambda v: mapping.get(v, v))
        return pd.Series(
            pd.Categorical(plain, categories=categories, ordered=values.cat.ordered),
            index=values.index,
            name=values.name,
        )
    return values.map(lambda v: mapping.get(v, v))


def _join_bands(first: Hashable, second: Hashable) -> str:
    a, b = _BAND.match(str(first)), _BAND.match(str(second))
    if not (a and b):
        return f"{first} / {second}"
    low = None if a.group("below") else int(a.group("lo") or a.group("open"))
    if b.group("open"):
        return f"{low}+" if low is not None else "all ages"
    high = int(b.group("hi")) if b.group("hi") else int(b.group("below")) - 1
    return f"<{high + 1}" if low is None else f"{low}–{high}"


def _check(threshold: int) -> None:
    if isinstance(threshold, bool) or not isinstance(threshold, int | np.integer) or threshold < 1:
        raise ParamsError(f"threshold must be a whole number of at least 1, got {threshold!r}")
