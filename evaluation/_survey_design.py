"""Validate a survey design's columns and build its numeric structure, as R's ``svydesign``.

``evaluation.survey.Design`` calls :func:`build` once. Every problem is a
:class:`~evaluation.errors.DesignError` (or a :class:`~evaluation.errors.ParamsError` for a
bad option) that says where it is, what was found, what was expected and what to do.

Conventions follow R ``survey`` 4.1 ``svydesign.default`` and ``as.fpc``: later-stage
cluster ids are nested in the earlier stage's clusters; ``nest=True`` makes PSU ids unique
within strata; an FPC is either population counts (all >= 1) or sampling fractions (all
<= 1); weights, when not given, are implied by the FPCs (``prod(N / n)`` over stages).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation._linearization import (
    LONELY_RULES,
    SELF_REPRESENTING_TOL,
    Stage,
    Structure,
    group_indicator,
)
from evaluation.errors import DesignError, ParamsError, did_you_mean, format_values

_LONELY_HELP = (
    'lonely_psu="adjust" (centre the lonely PSU at the grand mean), "certainty" (treat it as '
    'a certainty unit: no variance) or "average" (use the average variance of the other strata)'
)


@dataclass(frozen=True)
class Spec:
    """The design arguments, normalised."""

    weights: str | None
    strata: str | None
    clusters: tuple[str, ...]
    fpc: tuple[str, ...]
    lonely_psu: str
    nest: bool

    @property
    def columns(self) -> list[str]:
        """Every design column, in argument order."""
        named = [self.weights, self.strata, *self.clusters, *self.fpc]
        return [c for c in named if c is not None]


@dataclass(frozen=True)
class Summary:
    """What the design is, in words and labels, for result notes and ``repr``."""

    strata_labels: tuple[object, ...]
    lonely_strata: tuple[object, ...]
    n_lonely_later: int
    weights_source: str
    fpc_kind: str | None
    variance_stages: int


def normalise(
    weights: object,
    strata: object,
    clusters: object,
    fpc: object,
    lonely_psu: object,
    nest: object,
) -> Spec:
    """Check the argument types and return a :class:`Spec`."""
    if lonely_psu not in LONELY_RULES:
        raise ParamsError(
            f"lonely_psu={lonely_psu!r} is not a lonely-PSU rule; choose one of: "
            f"{', '.join(LONELY_RULES)}{did_you_mean(str(lonely_psu), LONELY_RULES)}"
        )
    if not isinstance(nest, bool):
        raise ParamsError(f"nest must be True or False, got {nest!r}")
    spec = Spec(
        weights=_one_name(weights, "weights"),
        strata=_one_name(strata, "strata"),
        clusters=_names(clusters, "clusters"),
        fpc=_names(fpc, "fpc"),
        lonely_psu=str(lonely_psu),
        nest=nest,
    )
    stages = max(1, len(spec.clusters))
    if spec.fpc and len(spec.fpc) != stages:
        raise DesignError(
            f"fpc gives {len(spec.fpc)} column(s) ({format_values(spec.fpc)}) for "
            f"{stages} stage(s) of clusters ({format_values(spec.clusters) or 'rows'}); give "
            "one population size (or sampling fraction) per stage, or pass clusters= with the "
            "first stage only to get the ultimate-cluster variance"
        )
    return spec


def _one_name(value: object, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ParamsError(f"{what}= must be a column name (a string) or None, got {value!r}")


def _names(value: object, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ParamsError(
        f"{what}= must be a column name, a tuple of column names (one per stage) or None, "
        f"got {value!r}"
    )


def build(data: pd.DataFrame, spec: Spec) -> tuple[Structure, Summary]:
    """Validate ``data`` against ``spec`` and build the variance structure.

    Raises
    ------
    DesignError
        Missing columns or values, non-positive weights, clusters not nested in strata,
        a bad FPC, a single PSU, or lonely PSUs under ``lonely_psu="fail"``.
    """
    if not isinstance(data, pd.DataFrame):
        raise DesignError(f"Design() needs a pandas DataFrame, got {type(data).__name__}")
    if len(data) < 2:
        raise DesignError(f"Design() needs at least 2 rows, got {len(data)}")
    _require_columns(data, spec.columns)
    for column in spec.columns:
        _require_complete(data, column, _role(spec, column))
    n = len(data)
    stratum, strata_labels = _codes(data[spec.strata]) if spec.strata else _one_stratum(n)
    units, unit_labels = _stage_units(data, spec, stratum, strata_labels)
    groups = [stratum, *units[:-1]]
    group_counts = [len(strata_labels), *[int(u.max()) + 1 for u in units[:-1]]]
    group_of_units = [_group_of_unit(u, g) for u, g in zip(units, groups, strict=True)]
    sizes = [
        np.bincount(g_unit, minlength=n_groups)
        for g_unit, n_groups in zip(group_of_units, group_counts, strict=True)
    ]
    popsizes, fpc_kind = _population_sizes(data, spec, groups, sizes, strata_labels, unit_labels)
    weights, source = _weights(data, spec, groups, sizes, popsizes)
    n_var_stages = len(units) if (spec.fpc and len(spec.clusters) > 1) else 1
    stages = _variance_stages(units, groups, sizes, popsizes, n_var_stages)
    lonely_strata = tuple(strata_labels[i] for i in np.flatnonzero(stages[0].lonely))
    n_lonely_later = _check_lonely(spec, stages, strata_labels, unit_labels)
    structure = Structure(
        weights=weights,
        stages=tuple(stages),
        row_unit=units[n_var_stages - 1] if spec.clusters else None,
        stratum=stratum,
        psu=units[0],
        lonely_psu=spec.lonely_psu,
    )
    summary = Summary(
        strata_labels=tuple(strata_labels),
        lonely_strata=lonely_strata,
        n_lonely_later=n_lonely_later,
        weights_source=source,
        fpc_kind=fpc_kind,
        variance_stages=n_var_stages,
    )
    return structure, summary


def _role(spec: Spec, column: str) -> str:
    if column == spec.weights:
        return "weights"
    if column == spec.strata:
        return "strata"
    return "clusters" if column in spec.clusters else "fpc"


def _require_columns(data: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        hint = did_you_mean(missing[0], map(str, data.columns))
        raise DesignError(
            f"Design(): the data have no column {format_values(missing)}{hint}; available "
            f"columns: {format_values(list(data.columns), limit=12)}"
        )


def _row_labels(data: pd.DataFrame, mask: np.ndarray) -> str:
    return format_values(list(data.index[np.flatnonzero(mask)]))


def _require_complete(data: pd.DataFrame, column: str, role: str) -> None:
    missing = data[column].isna().to_numpy()
    if missing.any():
        raise DesignError(
            f"{role} column '{column}' has {int(missing.sum())} missing value(s) (rows "
            f"{_row_labels(data, missing)}); every row needs its {role} value. Fill them in, "
            "or drop these rows before Design(...)"
        )


def _numeric(data: pd.DataFrame, column: str, role: str) -> np.ndarray:
    values = pd.to_numeric(data[column], errors="coerce")
    bad = values.isna().to_numpy()
    if bad.any():
        raise DesignError(
            f"{role} column '{column}' has {int(bad.sum())} value(s) that are not numbers "
            f"(rows {_row_labels(data, bad)}: {format_values(data[column][bad].head(5))}); "
            f"{role} must be numeric"
        )
    return values.to_numpy(dtype="float64")


def _codes(series: pd.Series) -> tuple[np.ndarray, list[object]]:
    codes, uniques = pd.factorize(series, sort=True)
    return codes.astype(np.int64), list(uniques)


def _one_stratum(n: int) -> tuple[np.ndarray, list[object]]:
    return np.zeros(n, dtype=np.int64), ["(whole sample)"]


def _group_of_unit(unit: np.ndarray, group: np.ndarray) -> np.ndarray:
    """The group of each unit (units are nested in groups, so any row of the unit will do)."""
    out = np.empty(int(unit.max()) + 1, dtype=np.int64)
    out[unit] = group
    return out


def _pair_codes(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """Codes of (outer, inner) pairs, numbered in sorted order."""
    key = outer * (int(inner.max()) + 1) + inner
    codes, _ = pd.factorize(key, sort=True)
    return codes.astype(np.int64)


def _stage_units(
    data: pd.DataFrame, spec: Spec, stratum: np.ndarray, strata_labels: list[object]
) -> tuple[list[np.ndarray], list[list[object]]]:
    """Unit codes per row for each stage, and the stage-1 unit labels."""
    n = len(data)
    if not spec.clusters:
        return [np.arange(n, dtype=np.int64)], [list(data.index)]
    raw, labels = _codes(data[spec.clusters[0]])
    if spec.strata and not spec.nest:
        _check_nested(spec, raw, labels, stratum, strata_labels)
    first = _pair_codes(stratum, raw) if (spec.nest and spec.strata) else raw
    psu_labels = _first_labels(first, data[spec.clusters[0]])
    if first.max() == 0 and not (spec.nest and spec.strata):
        raise DesignError(
            f"clusters column '{spec.clusters[0]}' has a single value ({labels[0]!r}): the "
            "design has only one primary sampling unit, so no variance can be estimated. "
            "Check clusters= (the first stage must be the PSU, e.g. the school)"
        )
    units = [first]
    for column in spec.clusters[1:]:
        inner, _ = _codes(data[column])
        units.append(_pair_codes(units[-1], inner))
    return units, [psu_labels]


def _first_labels(codes: np.ndarray, labels: pd.Series) -> list[object]:
    first_row = np.full(int(codes.max()) + 1, -1, dtype=np.int64)
    first_row[codes[::-1]] = np.arange(len(codes))[::-1]
    return list(labels.to_numpy()[first_row])


def _check_nested(
    spec: Spec,
    cluster: np.ndarray,
    cluster_labels: list[object],
    stratum: np.ndarray,
    strata_labels: list[object],
) -> None:
    n_strata = len(strata_labels)
    pairs = np.unique(cluster * n_strata + stratum)
    per_cluster = np.bincount(pairs // n_strata, minlength=len(cluster_labels))
    bad = np.flatnonzero(per_cluster > 1)
    if bad.size == 0:
        return
    shown = []
    for c in bad[:3]:
        its = [strata_labels[s] for s in pairs[pairs // n_strata == c] % n_strata]
        shown.append(f"{cluster_labels[c]!r} appears in {len(its)} strata ({format_values(its)})")
    more = f" (and {bad.size - 3} more clusters)" if bad.size > 3 else ""
    raise DesignError(
        f"clusters '{spec.clusters[0]}' are not nested in strata '{spec.strata}': "
        f"{'; '.join(shown)}{more}. Fix the IDs, or pass nest=True if {spec.clusters[0]} IDs "
        f"are reused in different {spec.strata} values"
    )


def _population_sizes(
    data: pd.DataFrame,
    spec: Spec,
    groups: list[np.ndarray],
    sizes: list[np.ndarray],
    strata_labels: list[object],
    unit_labels: list[list[object]],
) -> tuple[list[np.ndarray] | None, str | None]:
    """Population size per group and stage (R ``as.fpc``), or None without an FPC."""
    if not spec.fpc:
        return None, None
    values = [_numeric(data, column, "fpc") for column in spec.fpc]
    for column, v in zip(spec.fpc, values, strict=True):
        bad = ~(v > 0) | ~np.isfinite(v)
        if bad.any():
            raise DesignError(
                f"fpc column '{column}' has {int(bad.sum())} value(s) that are zero, negative "
                f"or infinite (rows {_row_labels(data, bad)}); give population counts (>= 1) "
                "or sampling fractions (between 0 and 1)"
            )
    counts = any((v > 1).any() for v in values)
    if counts and any((v < 1).any() for v in values):
        column, v = next((c, v) for c, v in zip(spec.fpc, values, strict=True) if (v < 1).any())
        raise DesignError(
            f"fpc column '{column}' mixes sampling fractions (< 1, e.g. rows "
            f"{_row_labels(data, v < 1)}) with population counts (> 1) in the fpc columns; "
            "give either population counts for every stage or sampling fractions for every stage"
        )
    popsizes = []
    for stage, (column, v, g_row, size) in enumerate(
        zip(spec.fpc, values, groups, sizes, strict=True)
    ):
        where = _group_name(spec, stage, strata_labels, unit_labels)
        per_row = v if counts else size[g_row] / v
        popsize = _constant_within(per_row, g_row, len(size), column, where)
        too_small = popsize < size
        if too_small.any():
            g = int(np.flatnonzero(too_small)[0])
            raise DesignError(
                f"fpc column '{column}' is smaller than the sample in {where(g)}: {size[g]} "
                f"unit(s) sampled but a population of {popsize[g]:g} given "
                f"({int(too_small.sum())} group(s) affected). The fpc must be the population "
                "count (at least the sample size) or the sampling fraction (at most 1)"
            )
        popsizes.append(popsize)
    return popsizes, "population counts" if counts else "sampling fractions"


def _group_name(
    spec: Spec, stage: int, strata_labels: list[object], unit_labels: list[list[object]]
) -> Callable[[int], str]:
    """A function naming group ``g`` of a stage in messages."""
    if stage == 0:
        if spec.strata is None:
            return lambda g: "the whole sample (no strata)"
        return lambda g: f"stratum {strata_labels[g]!r}"
    if stage == 1:
        return lambda g: f"cluster {unit_labels[0][g]!r} of '{spec.clusters[0]}'"
    return lambda g: f"stage-{stage} cluster number {g} of '{spec.clusters[stage - 1]}'"


def _constant_within(
    values: np.ndarray, group: np.ndarray, n_groups: int, column: str, where: Callable[[int], str]
) -> np.ndarray:
    low = np.full(n_groups, np.inf)
    high = np.full(n_groups, -np.inf)
    np.minimum.at(low, group, values)
    np.maximum.at(high, group, values)
    varies = ~np.isclose(low, high, rtol=1e-12, atol=0)
    if varies.any():
        g = int(np.flatnonzero(varies)[0])
        raise DesignError(
            f"fpc column '{column}' varies within {where(g)} (from {low[g]:g} to {high[g]:g}; "
            f"{int(varies.sum())} group(s) affected); the population size must be the same for "
            "every row of a stratum (stage 1) or of a cluster (later stages)"
        )
    return high


def _weights(
    data: pd.DataFrame,
    spec: Spec,
    groups: list[np.ndarray],
    sizes: list[np.ndarray],
    popsizes: list[np.ndarray] | None,
) -> tuple[np.ndarray, str]:
    if spec.weights is not None:
        w = _numeric(data, spec.weights, "weights")
        bad = ~(w > 0) | ~np.isfinite(w)
        if bad.any():
            raise DesignError(
                f"weights column '{spec.weights}': {int(bad.sum())} row(s) have a weight that "
                f"is zero, negative or infinite (rows {_row_labels(data, bad)}); sampling "
                "weights must be positive. Check the weighting step or drop these rows upstream"
            )
        return w, f"column '{spec.weights}'"
    if popsizes is not None:
        w = np.ones(len(data))
        for g_row, size, popsize in zip(groups, sizes, popsizes, strict=True):
            w = w * (popsize / size)[g_row]
        return w, "implied by the fpc (population / sample at each stage)"
    return np.ones(len(data)), "none given: equal weights of 1"


def _variance_stages(
    units: list[np.ndarray],
    groups: list[np.ndarray],
    sizes: list[np.ndarray],
    popsizes: list[np.ndarray] | None,
    n_stages: int,
) -> list[Stage]:
    stages: list[Stage] = []
    carry = np.ones(len(sizes[0]))
    for s in range(n_stages):
        size = sizes[s]
        if popsizes is None:
            f = np.ones(len(size))
            fraction = np.zeros(len(size))
        else:
            f = (popsizes[s] - size) / popsizes[s]
            fraction = size / popsizes[s]
        scale = np.where(size > 1, f * size / np.maximum(size - 1, 1), f)
        self_rep = f < SELF_REPRESENTING_TOL
        group_of_unit = _group_of_unit(units[s], groups[s])
        stages.append(
            Stage(
                group_of_unit=group_of_unit,
                group_size=size.astype(np.float64),
                scale=scale,
                fraction=fraction,
                carry=carry,
                lonely=(size == 1) & ~self_rep,
                self_representing=self_rep,
                indicator=group_indicator(group_of_unit, len(size)),
            )
        )
        carry = (carry * fraction)[group_of_unit]
    return stages


def _check_lonely(
    spec: Spec, stages: list[Stage], strata_labels: list[object], unit_labels: list[list[object]]
) -> int:
    first = stages[0]
    lonely = np.flatnonzero(first.lonely)
    if lonely.size and spec.lonely_psu == "fail":
        names = format_values([strata_labels[g] for g in lonely])
        what = (
            f"stratum {names} has only one PSU"
            if lonely.size == 1
            else f"{lonely.size} strata have only one PSU ({names})"
        )
        raise DesignError(
            f"{what} in column '{spec.strata or '(no strata)'}', so the variance within "
            f"{'it' if lonely.size == 1 else 'them'} is undefined. Choose {_LONELY_HELP} in "
            "Design(...)"
        )
    if (
        spec.lonely_psu == "average"
        and lonely.size
        and lonely.size == first.n_groups - int(first.self_representing.sum())
    ):
        raise DesignError(
            "lonely_psu='average' needs at least one stratum with two or more PSUs, but every "
            "stratum has one PSU; choose lonely_psu='adjust' or 'certainty'"
        )
    later = 0
    for s, stage in enumerate(stages[1:], start=1):
        bad = np.flatnonzero(stage.lonely)
        later += bad.size
        if bad.size and spec.lonely_psu in ("fail", "average"):
            where = _group_name(spec, s, strata_labels, unit_labels)
            raise DesignError(
                f"at stage {s + 1} ('{spec.clusters[s]}'), {bad.size} cluster(s) have only one "
                f"unit sampled out of more than one, e.g. {where(int(bad[0]))}; their "
                f"within-cluster variance is undefined (lonely_psu={spec.lonely_psu!r} cannot "
                "be applied at a later stage). Choose lonely_psu='adjust' or 'certainty', or "
                "give the fpc of that stage as its full size if every unit was taken"
            )
    return later
