"""Merge small administrative units before counting by unit (domain brief §7: coarsen first).

Monthly counts by unit are small outside the city: most rural units have a case or two a
month. Suppressing them would hide nearly every rural cell, so, as the domain brief advises,
units with fewer than the threshold in any of the report's periods are merged into one
group (:data:`OTHER_UNITS`) first, with :func:`evaluation.privacy.merge_small_categories`;
the city is never merged. What is still small after merging is suppressed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from evaluation.privacy import merge_small_categories

OTHER_UNITS = "other_units"
"""Code of the merged group ("Other rural units" / "Njësi të tjera rurale" in the report)."""


def merge_units(
    frames: Mapping[str, pd.DataFrame],
    column: str,
    *,
    threshold: int = 10,
    protect: Iterable[str] = ("elbasan",),
) -> tuple[dict[str, pd.DataFrame], list[str], tuple[str, ...]]:
    """Replace small units by :data:`OTHER_UNITS` in every period's rows, the same way.

    Parameters
    ----------
    frames : mapping of str to DataFrame
        ``{period label: rows}`` (not modified); the periods may overlap.
    column : str
        The unit column (a categorical of unit codes).
    threshold : int
        A unit is merged when it has between 1 and ``threshold - 1`` rows in any period.
    protect : iterable of str
        Units never merged (the city).

    Returns
    -------
    (dict of str to DataFrame, list of str, tuple of str)
        The rows with the merged column (a categorical: the units kept, in their order, then
        :data:`OTHER_UNITS`), the category order, and the units merged.

    See Also
    --------
    evaluation.privacy.merge_small_categories; R ``sdcMicro::groupAndRename``.
    """
    labels = list(frames)
    stacked = pd.concat([frames[k][column].astype("string") for k in labels], ignore_index=True)
    within = pd.Series(
        [k for k in labels for _ in range(len(frames[k]))], name="period", dtype="string"
    )
    base = _categories(frames, column)
    values = pd.Series(pd.Categorical(stacked, categories=base), name=column)
    coarse = merge_small_categories(
        values, threshold=threshold, other_label=OTHER_UNITS, within=within, protect=protect
    )
    merged = tuple(str(k) for k in coarse.mapping)
    order = [c for c in base if c not in merged] + ([OTHER_UNITS] if merged else [])
    out = {}
    for label, part in frames.items():
        copy = part.copy()
        text = part[column].astype("string")
        mapped = text.mask(text.isin(merged), OTHER_UNITS)
        copy[column] = pd.Categorical(mapped, categories=order)
        out[label] = copy
    return out, order, merged


def _categories(frames: Mapping[str, pd.DataFrame], column: str) -> list[str]:
    for part in frames.values():
        if isinstance(part[column].dtype, pd.CategoricalDtype):
            return [str(c) for c in part[column].cat.categories]
    return sorted({str(v) for part in frames.values() for v in part[column].dropna()})
