"""Design-based estimation for complex samples, matching R's ``survey`` package.

Build a :class:`Design` once (weights, strata, one or several stages of clusters, FPC,
lonely-PSU rule); it is validated on construction. Then every estimator takes the design
and returns a tidy result table (``evaluation.results``), one row per estimate:

========================  ==========================================  ==========================
function                  estimate                                    R reference
========================  ==========================================  ==========================
:func:`mean`              weighted mean                               ``svymean`` / ``svyby``
:func:`total`             weighted total                              ``svytotal``
:func:`proportion`        share of 1s, or of each category            ``svyciprop``
:func:`ratio`             ratio of two weighted totals                ``svyratio``
:func:`regress`           linear or logistic regression coefficients  ``svyglm``
:func:`quantile`          weighted quantile, Woodruff interval        ``svyquantile``
========================  ==========================================  ==========================

Standard errors are Taylor-linearised (``evaluation._linearization``). ``by=`` gives domain
estimates the way ``svyby`` does, with the design kept whole for the variance; missing values
of a variable are left out of that variable's estimates only (R's ``na.rm = TRUE``), again
with the design kept whole. Tables carry ``deff`` (R's ``deff = TRUE``), ``n_psu`` (PSUs
with at least one row used) and ``cv`` after the core columns.

Examples
--------
>>> design = Design(data, weights="w", strata="stratum", clusters="school")  # doctest: +SKIP
>>> mean(design, ["score", "age"], by="sex")  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit, logit

from evaluation import _svyglm
from evaluation._domain_estimates import Domains, LinearEstimates, linear_estimates, make_domains
from evaluation._linearization import Structure, covariance, subset_degf
from evaluation._quantiles import woodruff_interval
from evaluation._survey_design import Spec, Summary, build, normalise
from evaluation.errors import (
    DataError,
    LonelyPSUWarning,
    ParamsError,
    did_you_mean,
    format_values,
)
from evaluation.results import ResultInfo, make_result
from evaluation.validation import as_list

__all__ = ["Design", "mean", "proportion", "quantile", "ratio", "regress", "total"]

PROPORTION_METHODS = ("logit", "wald")


@dataclass(frozen=True, eq=False, repr=False)
class Design:
    """A survey design: the data and how they were sampled. Validated once, then immutable.

    Parameters
    ----------
    data : DataFrame
        One row per respondent. The design keeps a (copy-on-write) reference: later changes to
        the caller's frame do not reach it, and it never changes the frame.
    weights : str, optional
        Column of sampling weights (inverse inclusion probabilities, > 0). If omitted they are
        implied by ``fpc`` (population over sample size at each stage), or all 1 without it.
    strata : str, optional
        Column of first-stage strata.
    clusters : str or tuple of str, optional
        Column of primary sampling units (e.g. ``"school"``), or a tuple with one column per
        stage (``("school", "class")``). Later-stage ids only need to be unique within the
        earlier-stage cluster. Omit for element sampling (each row its own PSU).
    fpc : str or tuple of str, optional
        Finite population correction, one column per stage: population counts (PSUs in the
        stratum at stage 1, units in the cluster later; all >= 1) or sampling fractions (all
        <= 1). With an FPC for every stage of a multi-stage design the variance includes the
        later-stage terms (R's default); otherwise it is the ultimate-cluster variance, where
        only the first stage matters.
    lonely_psu : {"fail", "adjust", "certainty", "average"}
        What to do with a stratum that has one PSU: refuse (default), centre it at the grand
        mean (R's ``adjust``), give it no variance (``certainty``; R's ``remove`` gives the
        same numbers) or give it the average variance of the other strata (``average``).
    nest : bool
        True when PSU ids repeat across strata (school 1 of each district) and must be read
        as different PSUs.

    Raises
    ------
    DesignError
        Missing design columns or values, weights that are not positive, PSUs not nested in
        strata, an FPC smaller than the sample or varying within a stratum, a single PSU, or
        a stratum with one PSU when ``lonely_psu="fail"``.
    ParamsError
        An argument of the wrong type, or an unknown ``lonely_psu`` rule.

    Warns
    -----
    LonelyPSUWarning
        When strata with one PSU are handled by the ``lonely_psu`` rule.

    See Also
    --------
    R ``survey::svydesign(ids, strata, weights, fpc, nest)``;
    ``options(survey.lonely.psu)``.

    Examples
    --------
    >>> Design(df, weights="pw", strata="stype", fpc="fpc")  # doctest: +SKIP
    >>> Design(df, clusters=("dnum", "snum"), fpc=("fpc1", "fpc2"))  # doctest: +SKIP
    """

    data: pd.DataFrame
    weights: str | None = None
    strata: str | None = None
    clusters: str | tuple[str, ...] | None = None
    fpc: str | tuple[str, ...] | None = None
    lonely_psu: str = "fail"
    nest: bool = False
    _spec: Spec = field(init=False)
    _structure: Structure = field(init=False)
    _summary: Summary = field(init=False)

    def __post_init__(self) -> None:
        spec = normalise(
            self.weights, self.strata, self.clusters, self.fpc, self.lonely_psu, self.nest
        )
        structure, summary = build(self.data, spec)
        object.__setattr__(self, "data", self.data.copy(deep=False))
        object.__setattr__(self, "_spec", spec)
        object.__setattr__(self, "_structure", structure)
        object.__setattr__(self, "_summary", summary)
        if summary.lonely_strata:
            warnings.warn(self._lonely_note(), LonelyPSUWarning, stacklevel=3)

    # ----------------------------------------------------------------------- description
    @property
    def n_rows(self) -> int:
        """Number of rows (respondents)."""
        return self._structure.n

    @property
    def n_psu(self) -> int:
        """Number of primary sampling units."""
        return self._structure.n_psu

    @property
    def n_strata(self) -> int:
        """Number of strata (1 without strata)."""
        return self._structure.n_strata

    @property
    def degf(self) -> int:
        """Design degrees of freedom: PSUs minus strata (R ``degf``)."""
        return self._structure.degf

    @property
    def sum_weights(self) -> float:
        """Sum of the weights: the estimated population size."""
        return float(self._structure.weights.sum())

    @property
    def lonely_strata(self) -> tuple[object, ...]:
        """Strata with a single PSU (handled by ``lonely_psu``)."""
        return self._summary.lonely_strata

    @property
    def variance_method(self) -> str:
        """The variance estimator in words (``ResultInfo.vcov`` of every result)."""
        s, summary = self._structure, self._summary
        if s.rows_are_units:
            units = f"{s.n_psu} rows as PSUs"
        else:
            units = f"{s.n_psu} PSUs ('{self._spec.clusters[0]}')"
        if summary.variance_stages > 1:
            stages = f"{summary.variance_stages}-stage variance with the FPC of every stage"
        elif summary.fpc_kind:
            stages = "first-stage FPC"
        else:
            stages = "with-replacement (ultimate-cluster) variance"
        return (
            f"Taylor linearisation (R survey::svyrecvar): {s.n_strata} strata, {units}, "
            f"{s.degf} design df; {stages}; weights {summary.weights_source}"
        )

    def strata_table(self) -> pd.DataFrame:
        """One row per stratum: rows, PSUs, population PSUs (with an FPC), weight sum, lonely."""
        s = self._structure
        first = s.stages[0]
        population = np.full(s.n_strata, np.nan)
        if self._summary.fpc_kind:
            sampled = first.fraction > 0  # fraction n/N is 0 only for an infinite population
            population[sampled] = first.group_size[sampled] / first.fraction[sampled]
        return pd.DataFrame(
            {
                "stratum": list(self._summary.strata_labels),
                "n_rows": np.bincount(s.stratum, minlength=s.n_strata),
                "n_psu": first.group_size.astype(np.int64),
                "population_psu": population,
                "sum_weights": np.bincount(s.stratum, s.weights, s.n_strata),
                "lonely": first.lonely,
            }
        )

    def __repr__(self) -> str:
        return f"Design({self.n_rows} rows; {self.variance_method})"

    def _lonely_note(self) -> str:
        strata = self._summary.lonely_strata
        if not strata:
            return ""
        return (
            f"{len(strata)} stratum/strata with one PSU ({format_values(strata)}) handled by "
            f"lonely_psu={self.lonely_psu!r}"
        )

    def _notes(self) -> tuple[str, ...]:
        notes = [self._lonely_note()]
        if self._summary.n_lonely_later:
            notes.append(
                f"{self._summary.n_lonely_later} later-stage cluster(s) with one sampled unit "
                f"handled by lonely_psu={self.lonely_psu!r}"
            )
        return tuple(n for n in notes if n)


# --------------------------------------------------------------------------- checks
def _check_design(design: object) -> Design:
    if not isinstance(design, Design):
        raise ParamsError(
            f"design must be an evaluation.survey.Design, got {type(design).__name__}; build "
            "one first, e.g. Design(data, weights='w', strata='stratum', clusters='school')"
        )
    return design


def _check_level(level: object) -> float:
    if not isinstance(level, int | float) or not 0 < float(level) < 1:
        raise ParamsError(f"level must be a number between 0 and 1 (e.g. 0.95), got {level!r}")
    return float(level)


def _check_choice(value: object, name: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ParamsError(
            f"{name}={value!r} is not valid; choose one of: {', '.join(choices)}"
            f"{did_you_mean(str(value), choices)}"
        )
    return str(value)


def _columns(design: Design, names: object, what: str) -> list[str]:
    listed = as_list(names)  # type: ignore[arg-type]
    if not listed or not all(isinstance(n, str) for n in listed):
        raise ParamsError(f"{what} must be a column name or a list of column names, got {names!r}")
    missing = [n for n in listed if n not in design.data.columns]
    if missing:
        raise DataError(
            f"the design's data have no column {format_values(missing)}"
            f"{did_you_mean(missing[0], map(str, design.data.columns))}; available columns: "
            f"{format_values(list(design.data.columns), limit=12)}"
        )
    if len(set(listed)) < len(listed):
        raise ParamsError(f"{what} lists a column twice: {listed}")
    return listed


def _numeric(design: Design, name: str, function: str) -> np.ndarray:
    series = design.data[name]
    if isinstance(series.dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)
    ):
        values = pd.to_numeric(series, errors="coerce")
        bad = values.isna() & series.notna()
        if bad.any() or isinstance(series.dtype, pd.CategoricalDtype):
            examples = format_values(series[bad | series.notna()].astype(str).unique()[:5])
            raise DataError(
                f"column '{name}' is not numeric (values such as {examples}); {function}() "
                "needs numbers. For a categorical variable use proportion(); otherwise recode "
                "it to numbers"
            )
        series = values
    return series.to_numpy(dtype="float64", na_value=np.nan)


def _domains(design: Design, by: object) -> tuple[Domains, list[str], list[str]]:
    names = [] if by is None else _columns(design, by, "by")
    domains = make_domains(design.data, names)
    notes = []
    if domains.n_unassigned:
        notes.append(
            f"{domains.n_unassigned} row(s) with a missing value in {format_values(names)} "
            "belong to no domain (they stay in the design)"
        )
    return domains, names, notes


def _missing_counts(design: Design, names: Iterable[str]) -> list[int]:
    return [int(design.data[name].isna().sum()) for name in names]


def _missing_notes(names: Sequence[str], counts: Iterable[int]) -> list[str]:
    notes = []
    for name, k in zip(names, counts, strict=True):
        if k:
            notes.append(
                f"'{name}': {k} row(s) with a missing value left out of its estimates "
                "(R na.rm = TRUE: the design is kept whole)"
            )
    return notes


def _normal_ci(estimate: np.ndarray, se: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    z = stats.norm.ppf(0.5 + level / 2)
    return estimate - z * se, estimate + z * se


def _t_quantile(level: float, df: np.ndarray) -> np.ndarray:
    df = np.asarray(df, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(df > 0, stats.t.ppf(0.5 + level / 2, np.where(df > 0, df, 1)), np.nan)


def _table(
    domains: Domains,
    by: list[str],
    ids: dict[str, list[object]],
    columns: dict[str, np.ndarray],
    info: ResultInfo,
) -> pd.DataFrame:
    """Rows domain by domain, then in the order of ``ids`` (arrays are domains x items)."""
    n_domains = domains.n_domains
    k = len(next(iter(ids.values())))
    frame = domains.labels.iloc[np.repeat(np.arange(n_domains), k)].reset_index(drop=True)
    frame = frame[by] if by else pd.DataFrame(index=range(n_domains * k))
    for name, values in ids.items():
        frame[name] = np.tile(np.asarray(values, dtype=object), n_domains)
    for name, values in columns.items():
        frame[name] = np.asarray(values).reshape(-1)
    return make_result(frame, info, id_columns=[*by, *ids])


def _info(
    design: Design,
    estimator: str,
    method: str,
    level: float,
    reference: str,
    notes: Iterable[str],
    extra: dict[str, object] | None = None,
) -> ResultInfo:
    return ResultInfo(
        estimator=f"survey.{estimator}",
        method=method,
        level=level,
        vcov=design.variance_method,
        n_obs=design.n_rows,
        reference=reference,
        notes=design._notes() + tuple(n for n in notes if n),
        extra=extra or {},
    )


def _linear_columns(est: LinearEstimates, design: Design) -> dict[str, np.ndarray]:
    se = np.sqrt(est.variance)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = se / np.abs(est.estimate)
    return {
        "estimate": est.estimate,
        "se": se,
        "p_value": np.full(est.estimate.shape, np.nan),
        "df": np.full(est.estimate.shape, float(design.degf)),
        "n": est.n,
        "deff": est.deff,
        "n_psu": est.n_psu,
        "cv": cv,
    }


def _deff_note(est: LinearEstimates) -> list[str]:
    odd = (est.n > 1) & (est.sum_weights <= est.n)
    if odd.any():
        return [
            "deff is NaN where the weights sum to no more than the sample size (are the "
            "weights scaled to the population?)"
        ]
    return []


# --------------------------------------------------------------------------- mean, total
def _mean_or_total(
    design: Design, variables: object, by: object, level: float, kind: str
) -> pd.DataFrame:
    design = _check_design(design)
    level = _check_level(level)
    names = _columns(design, variables, "variables")
    domains, by_names, notes = _domains(design, by)
    values = [_numeric(design, name, kind) for name in names]
    est = linear_estimates(design._structure, domains, values, kind=kind, names=names)
    columns = _linear_columns(est, design)
    columns["ci_low"], columns["ci_high"] = _normal_ci(est.estimate, columns["se"], level)
    r_name = "svymean" if kind == "mean" else "svytotal"
    info = _info(
        design,
        kind,
        f"weighted {kind}; CI with the normal quantile (R confint)",
        level,
        f"R survey::{r_name}" + (f", svyby(..., {r_name})" if by_names else ""),
        [*notes, *_missing_notes(names, est.n_missing), *_deff_note(est)],
    )
    return _table(domains, by_names, {"variable": names}, columns, info)


def mean(
    design: Design,
    variables: str | Sequence[str],
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Weighted means with design-based standard errors, overall or by domain.

    Parameters
    ----------
    design : Design
    variables : str or list of str
        Numeric (or boolean) columns. Missing values are left out of that variable's
        estimates (R ``na.rm = TRUE``); the design stays whole.
    by : str or list of str, optional
        Domain columns; one row per combination that occurs (R ``svyby``). Rows with a
        missing ``by`` value are in no domain.
    level : float
        Confidence level.

    Returns
    -------
    DataFrame
        ``by..., variable, estimate, se, ci_low, ci_high, p_value, df, n, deff, n_psu, cv``.
        ``ci_*`` use the normal quantile (R ``confint``); ``p_value`` is NaN (no natural null
        for a level); ``df`` is the design df (PSUs - strata); ``n`` the rows used;
        ``deff`` R's ``deff = TRUE``; ``n_psu`` PSUs with a row used; ``cv = se / |estimate|``.

    Raises
    ------
    DataError
        A column is missing or not numeric.
    ParamsError
        ``design`` is not a :class:`Design`, or ``level`` is not in (0, 1).

    Notes
    -----
    With the domain indicator :math:`\\delta_i` (in the domain, value not missing),

    .. math::

        \\hat\\mu_d = \\frac{\\sum_i \\delta_i w_i y_i}{\\sum_i \\delta_i w_i}, \\qquad
        z_i = \\frac{\\delta_i w_i (y_i - \\hat\\mu_d)}{\\sum_i \\delta_i w_i},

    and the variance is the linearised variance of :math:`\\sum z_i` over the whole design.
    ``deff`` divides it by :math:`s^2 (\\hat N_d - n_d) / (\\hat N_d n_d)`.

    See Also
    --------
    R ``survey::svymean(~y, design, na.rm = TRUE, deff = TRUE)`` and
    ``svyby(~y, ~by, design, svymean, deff = TRUE)``.

    Examples
    --------
    >>> mean(design, ["score", "age"], by=["sex", "grade"])  # doctest: +SKIP
    """
    return _mean_or_total(design, variables, by, level, "mean")


def total(
    design: Design,
    variables: str | Sequence[str],
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Estimated population totals, overall or by domain.

    Parameters and returned columns are those of :func:`mean`; the estimate is
    :math:`\\sum_i \\delta_i w_i y_i` with influence :math:`z_i = \\delta_i w_i y_i`, and
    ``deff`` divides by :math:`s^2 \\hat N_d^2 (\\hat N_d - n_d) / (\\hat N_d n_d)`.

    See Also
    --------
    R ``survey::svytotal(~y, design, na.rm = TRUE, deff = TRUE)``, ``svyby(..., svytotal)``.

    Examples
    --------
    >>> total(design, "enrolled", by="district")  # doctest: +SKIP
    """
    return _mean_or_total(design, variables, by, level, "total")


# --------------------------------------------------------------------------- proportion
def _indicators(design: Design, name: str) -> tuple[list[str], list[np.ndarray]]:
    """Levels and 0/1 indicator columns (NaN where missing) of one variable."""
    series = design.data[name]
    missing = series.isna().to_numpy()
    numeric = pd.api.types.is_bool_dtype(series) or (
        pd.api.types.is_numeric_dtype(series) and not isinstance(series.dtype, pd.CategoricalDtype)
    )
    if numeric:
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        observed = np.unique(values[~missing])
        if not np.isin(observed, (0.0, 1.0)).all():
            raise DataError(
                f"column '{name}' has values other than 0 and 1 "
                f"({format_values(observed[~np.isin(observed, (0.0, 1.0))][:5])}); "
                "proportion() needs a 0/1 (or true/false) variable or a categorical one. "
                "Recode it, convert it to a category (astype('category')), or use mean()"
            )
        level = "True" if pd.api.types.is_bool_dtype(series) else "1"
        return [level], [values]
    if isinstance(series.dtype, pd.CategoricalDtype):
        levels = list(series.cat.categories)
    else:
        levels = sorted(series[~missing].unique(), key=str)
    columns = []
    for value in levels:
        indicator = (series == value).to_numpy(dtype="float64", na_value=0.0)
        indicator[missing] = np.nan
        columns.append(indicator)
    return [str(v) for v in levels], columns


def _proportion_ci(
    p: np.ndarray, se: np.ndarray, df: np.ndarray, level: float, method: str
) -> tuple[np.ndarray, np.ndarray]:
    t = _t_quantile(level, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "wald":
            return np.clip(p - t * se, 0, 1), np.clip(p + t * se, 0, 1)
        inner = (p > 0) & (p < 1)
        centre = logit(np.where(inner, p, 0.5))
        half = t * se / (p * (1 - p))
        low = np.where(inner, expit(centre - half), np.nan)
        high = np.where(inner, expit(centre + half), np.nan)
    return low, high


def proportion(
    design: Design,
    variables: str | Sequence[str],
    by: str | Sequence[str] | None = None,
    method: str = "logit",
    level: float = 0.95,
) -> pd.DataFrame:
    """Proportions with confidence intervals that respect the design (R ``svyciprop``).

    Parameters
    ----------
    design : Design
    variables : str or list of str
        0/1 or boolean columns (one row each: the share of 1s, ``level`` ``"1"`` or
        ``"True"``), or categorical/text columns (one row per category). Missing values are
        left out (R ``na.rm = TRUE``).
    by : str or list of str, optional
        Domain columns (R ``svyby``).
    method : {"logit", "wald"}
        ``logit``: :math:`\\operatorname{expit}(\\operatorname{logit}\\hat p \\pm
        t_{df}\\, se / (\\hat p (1-\\hat p)))`, R's default; ``wald``:
        :math:`\\hat p \\pm t_{df}\\, se`, clipped to [0, 1] (R ``method = "mean"``, unclipped).
    level : float
        Confidence level.

    Returns
    -------
    DataFrame
        ``by..., variable, level, estimate, se, ci_low, ci_high, p_value, df, n, deff, n_psu,
        cv``. ``df`` is the degrees of freedom of the t quantile: R's ``degf`` of the domain
        (PSUs with a row used minus strata with a row used). With the logit method the
        interval is NaN for an observed proportion of exactly 0 or 1 (see notes).

    Raises
    ------
    DataError
        A numeric column with values other than 0 and 1.
    ParamsError
        An unknown ``method``.

    See Also
    --------
    R ``survey::svyciprop(~y, design, method = "logit")``, ``svyby(..., svyciprop)``;
    :func:`mean` gives the same estimate and SE with a normal interval.

    Examples
    --------
    >>> proportion(design, "used_cannabis", by="sex")  # doctest: +SKIP
    >>> proportion(design, "school_type", method="wald")  # doctest: +SKIP
    """
    design = _check_design(design)
    level = _check_level(level)
    method = _check_choice(method, "method", PROPORTION_METHODS)
    names = _columns(design, variables, "variables")
    domains, by_names, notes = _domains(design, by)
    labels, values = [], []
    for name in names:
        levels, indicators = _indicators(design, name)
        labels += [(name, lev) for lev in levels]
        values += indicators
    est = linear_estimates(design._structure, domains, values, kind="mean")
    columns = _linear_columns(est, design)
    columns["df"] = est.degf.astype(np.float64)
    columns["ci_low"], columns["ci_high"] = _proportion_ci(
        est.estimate, columns["se"], est.degf, level, method
    )
    if method == "logit" and ((est.estimate == 0) | (est.estimate == 1)).any():
        notes.append(
            "logit interval undefined (NaN) where the observed proportion is 0 or 1; "
            "report the count, or use method='wald' knowingly"
        )
    info = _info(
        design,
        "proportion",
        f"weighted proportion; {method} CI with t quantile, df = degf of the domain",
        level,
        f'R survey::svyciprop(method = "{"logit" if method == "logit" else "mean"}")',
        [*notes, *_missing_notes(names, _missing_counts(design, names)), *_deff_note(est)],
    )
    ids = {"variable": [v for v, _ in labels], "level": [lev for _, lev in labels]}
    return _table(domains, by_names, ids, columns, info)


# --------------------------------------------------------------------------- ratio
def ratio(
    design: Design,
    numerator: str | Sequence[str],
    denominator: str | Sequence[str],
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Ratios of two estimated totals, :math:`\\hat R = \\sum w y / \\sum w x` (R ``svyratio``).

    Parameters
    ----------
    design : Design
    numerator, denominator : str or list of str
        Numeric columns; every numerator is divided by every denominator. A row missing either
        value is left out of that ratio (R ``na.rm = TRUE``).
    by : str or list of str, optional
        Domain columns (R ``svyby(..., svyratio)``).
    level : float
        Confidence level.

    Returns
    -------
    DataFrame
        ``by..., variable ("numerator/denominator"), estimate, se, ci_low, ci_high, p_value,
        df, n, deff, n_psu, cv, numerator, denominator``; CI with the normal quantile.

    Notes
    -----
    Influence :math:`z_i = \\delta_i w_i (y_i - \\hat R x_i) / \\sum_i \\delta_i w_i x_i`;
    ``deff`` is that of the total of :math:`z_i / w_i`, as R computes it.

    See Also
    --------
    R ``survey::svyratio(~y, ~x, design, na.rm = TRUE, deff = TRUE)``.

    Examples
    --------
    >>> ratio(design, "api.stu", "enroll")  # doctest: +SKIP
    """
    design = _check_design(design)
    level = _check_level(level)
    nums = _columns(design, numerator, "numerator")
    dens = _columns(design, denominator, "denominator")
    domains, by_names, notes = _domains(design, by)
    pairs = [(n, d) for n in nums for d in dens]
    num_values = {n: _numeric(design, n, "ratio") for n in nums}
    den_values = {d: _numeric(design, d, "ratio") for d in dens}
    est = linear_estimates(
        design._structure,
        domains,
        [num_values[n] for n, _ in pairs],
        [den_values[d] for _, d in pairs],
        kind="ratio",
    )
    columns = _linear_columns(est, design)
    columns["ci_low"], columns["ci_high"] = _normal_ci(est.estimate, columns["se"], level)
    shape = est.estimate.shape
    columns["numerator"] = np.broadcast_to(np.array([n for n, _ in pairs], dtype=object), shape)
    columns["denominator"] = np.broadcast_to(np.array([d for _, d in pairs], dtype=object), shape)
    info = _info(
        design,
        "ratio",
        "ratio of weighted totals; CI with the normal quantile (R confint)",
        level,
        "R survey::svyratio" + (", svyby(..., svyratio)" if by_names else ""),
        [
            *notes,
            *_missing_notes([*nums, *dens], _missing_counts(design, [*nums, *dens])),
            *_deff_note(est),
        ],
    )
    return _table(domains, by_names, {"variable": [f"{n}/{d}" for n, d in pairs]}, columns, info)


# --------------------------------------------------------------------------- regress
def regress(
    design: Design,
    formula: str,
    family: str = "gaussian",
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Design-based linear or logistic regression (R ``svyglm``), one row per term.

    Parameters
    ----------
    design : Design
    formula : str
        Wilkinson formula, ``"y ~ x1 + x2 + C(group)"`` (formulaic syntax; quote names with
        dots in backticks). Rows with a missing value in any variable are left out; the
        design is kept whole.
    family : {"gaussian", "binomial"}
        ``gaussian``: weighted least squares; ``binomial``: logistic regression
        (quasibinomial, coefficients on the log-odds scale), iterated to full convergence.
    by : str or list of str, optional
        Fit the model separately in each domain (as ``svyglm`` on ``subset(design, ...)``).
    level : float
        Confidence level.

    Returns
    -------
    DataFrame
        ``by..., term, estimate, se, ci_low, ci_high, p_value, df, n, n_psu, statistic``.
        ``df`` = degf of the rows used + 1 - number of coefficients (R ``df.residual``); CI and
        p-value use the t distribution with it; ``statistic`` is the t value.
        ``attrs["info"].extra["covariance"]`` maps each domain (``()`` without ``by``) to the
        coefficients' covariance matrix.

    Raises
    ------
    DataError
        The formula names a missing column, or the outcome is not numeric (0/1 for binomial).
    EstimationError
        Collinear terms, or a logistic fit that does not converge (separation).

    Notes
    -----
    Sandwich variance: with :math:`A = X^\\top W X` and scores
    :math:`U_i = x_i w_i (y_i - \\hat\\mu_i)`, the influence is :math:`U_i A^{-1}` and its
    linearised design covariance is the covariance of :math:`\\hat\\beta`.

    See Also
    --------
    R ``survey::svyglm(y ~ x, design, family = quasibinomial())``.

    Examples
    --------
    >>> regress(design, "used_cannabis ~ age + C(sex)", family="binomial")  # doctest: +SKIP
    """
    design = _check_design(design)
    level = _check_level(level)
    family = _check_choice(family, "family", _svyglm.FAMILIES)
    rows, y, x, terms = _svyglm.model_frame(design.data, formula)
    if family == "binomial" and ((y < 0) | (y > 1)).any():
        raise DataError(
            f"formula {formula!r}: a logistic regression needs an outcome between 0 and 1, got "
            f"values such as {format_values(np.unique(y[(y < 0) | (y > 1)])[:5])}; recode it to 0/1"
        )
    domains, by_names, notes = _domains(design, by)
    structure = design._structure
    results, covariances = [], {}
    for d in range(domains.n_domains):
        keep = domains.codes[rows] == d
        fit = _svyglm.fit(x[keep], y[keep], structure.weights[rows[keep]], family, terms)
        influence = np.zeros((structure.n, len(terms)))
        influence[rows[keep]] = fit.influence
        used = np.zeros(structure.n, dtype=bool)
        used[rows[keep]] = True
        cov = covariance(structure, influence, used)
        n_psu, degf = subset_degf(structure, used)
        results.append(
            (fit.coef, np.sqrt(np.diag(cov)), int(keep.sum()), n_psu, degf + 1 - len(terms))
        )
        label = tuple(domains.labels.iloc[d]) if by_names else ()
        covariances[label] = pd.DataFrame(cov, index=terms, columns=terms)
    coef = np.array([r[0] for r in results])
    se = np.array([r[1] for r in results])
    df = np.repeat(np.array([float(r[4]) for r in results])[:, None], len(terms), axis=1)
    t_q = _t_quantile(level, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = coef / se
        p_value = np.where(
            df > 0, 2 * stats.t.sf(np.abs(statistic), np.where(df > 0, df, 1)), np.nan
        )
    if (df <= 0).any():
        notes.append("no residual degrees of freedom in some domain: p-values and CIs are NaN")
    columns = {
        "estimate": coef,
        "se": se,
        "ci_low": coef - t_q * se,
        "ci_high": coef + t_q * se,
        "p_value": p_value,
        "df": df,
        "n": np.repeat(np.array([r[2] for r in results])[:, None], len(terms), axis=1),
        "n_psu": np.repeat(np.array([r[3] for r in results])[:, None], len(terms), axis=1),
        "statistic": statistic,
    }
    dropped = structure.n - len(rows)
    if dropped:
        notes.append(f"{dropped} row(s) with a missing value in the model's variables left out")
    info = _info(
        design,
        "regress",
        f"svyglm, family {family}{' (logit link, IRLS to convergence)' if family == 'binomial' else ''}; "
        "sandwich variance; t CI with df = degf + 1 - p",
        level,
        "R survey::svyglm" + (" (family = quasibinomial())" if family == "binomial" else ""),
        notes,
        extra={"formula": formula, "family": family, "covariance": covariances},
    )
    return _table(domains, by_names, {"term": terms}, columns, info)


# --------------------------------------------------------------------------- quantile
def quantile(
    design: Design,
    variables: str | Sequence[str],
    probs: float | Sequence[float] = 0.5,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Weighted quantiles with Woodruff confidence intervals (R ``svyquantile``, survey >= 4.1).

    Parameters
    ----------
    design : Design
    variables : str or list of str
        Numeric columns; missing values are left out.
    probs : float or list of float
        Probabilities in (0, 1), e.g. 0.5 for the median.
    by : str or list of str, optional
        Domain columns.
    level : float
        Confidence level.

    Returns
    -------
    DataFrame
        ``by..., variable, probability, estimate, se, ci_low, ci_high, p_value, df, n,
        n_psu``. ``se = (ci_high - ci_low) / (2 t_df)``, ``df`` the domain's degf.

    Notes
    -----
    The estimate is the inverse of the weighted empirical CDF (``qrule = "math"``). The
    Woodruff interval estimates :math:`\\hat F(\\hat q)` with its linearised SE, takes
    :math:`\\hat F \\pm t_{df} se` and maps both ends back through the inverse CDF; an end
    outside [0, 1] is NaN. For p below the first weight share the estimate is the smallest
    value (R 4.1-1 returns the second smallest there).

    See Also
    --------
    R ``survey::svyquantile(~y, design, quantiles = 0.5, ci = TRUE)``.

    Examples
    --------
    >>> quantile(design, "income", [0.25, 0.5, 0.75], by="district")  # doctest: +SKIP
    """
    design = _check_design(design)
    level = _check_level(level)
    names = _columns(design, variables, "variables")
    probabilities = [float(p) for p in np.atleast_1d(probs)]
    if not all(0 < p < 1 for p in probabilities):
        raise ParamsError(f"probs must be between 0 and 1 (exclusive), got {probs!r}")
    domains, by_names, notes = _domains(design, by)
    structure = design._structure
    shape = (domains.n_domains, len(names) * len(probabilities))
    out = {k: np.full(shape, np.nan) for k in ("estimate", "ci_low", "ci_high", "df", "n", "n_psu")}
    for j, name in enumerate(names):
        values = _numeric(design, name, "quantile")
        for d in range(domains.n_domains):
            used = (domains.codes == d) & ~np.isnan(values)
            if not used.any():
                continue
            n_psu, degf = subset_degf(structure, used)
            for k, p in enumerate(probabilities):
                col = j * len(probabilities) + k
                t_q = float(_t_quantile(level, np.array(degf)))
                row = woodruff_interval(structure, values, used, p, t_q)
                out["estimate"][d, col], out["ci_low"][d, col], out["ci_high"][d, col] = row
                out["df"][d, col], out["n"][d, col], out["n_psu"][d, col] = degf, used.sum(), n_psu
    t_q = _t_quantile(level, out["df"])
    columns = {
        "estimate": out["estimate"],
        "se": (out["ci_high"] - out["ci_low"]) / (2 * t_q),
        "ci_low": out["ci_low"],
        "ci_high": out["ci_high"],
        "p_value": np.full(shape, np.nan),
        "df": out["df"],
        "n": out["n"],
        "n_psu": out["n_psu"],
    }
    info = _info(
        design,
        "quantile",
        "weighted quantile (inverse weighted ECDF); Woodruff interval, t with domain degf",
        level,
        "R survey::svyquantile (qrule = 'math', interval.type = 'mean')",
        [*notes, *_missing_notes(names, _missing_counts(design, names))],
    )
    ids = {
        "variable": [n for n in names for _ in probabilities],
        "probability": probabilities * len(names),
    }
    return _table(domains, by_names, ids, columns, info)
