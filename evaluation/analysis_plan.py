"""The endline impact analysis plan: every outcome of every family, every estimator, one table.

The plan is declared in the endline params (``params/endline.yaml``, key ``impact``) and
run on the clean youth-survey table, both waves stacked, with the derived outcomes already
added (``evaluation.derive``)::

    impact:
      families:
        attitudes: [attitudes_scale]
        behaviour: [any_delinquency]
        substance: [cannabis_30d]
      estimators: [did, did_panel, ancova]
      adjust: holm
      heterogeneity: [sex, age_group]

For every outcome the plan estimates the programme effect with

* ``did``: difference-in-differences on the repeated cross-sections (every respondent of
  both waves), :func:`evaluation.impact.did`;
* ``did_panel``: difference-in-differences on the linked panel with unit fixed effects
  (students linked by their code, :func:`evaluation.panel.link_waves`);
* ``ancova``: endline outcome on arm and the baseline outcome, one row per student seen at
  endline (a missing baseline is filled and flagged), :func:`evaluation.impact.ancova`;

with CR1 standard errors clustered by school (t with G - 1 df) and, with fewer than 50
clusters, the wild cluster bootstrap beside them. Effects of 0/1 outcomes are differences in
proportions (linear probability models); every effect is also standardised by the comparison
group's baseline SD. Within each family (and estimator) p-values are adjusted by Holm or
Benjamini–Hochberg and by Romano–Wolf. Heterogeneity by sex and age group is estimated in
split samples, with the difference between subgroups tested by an interaction in the pooled
model (see :func:`run_plan`).
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from evaluation import panel as panels
from evaluation.errors import (
    DataError,
    EstimationError,
    FewClustersWarning,
    MissingDataWarning,
    ParamsError,
    format_values,
)
from evaluation.impact import adjust_pvalues, ancova, attrition, did, romano_wolf
from evaluation.params import Field, read_params_file
from evaluation.params import _validate as validate_section  # the strict params validator
from evaluation.results import ResultInfo, make_result, result_info
from evaluation.validation import require_columns

__all__ = [
    "ESTIMATORS",
    "PLAN_FIELD",
    "PLAN_KEYS",
    "ImpactPlan",
    "ImpactResults",
    "coefficient_plot_table",
    "load_plan",
    "run_plan",
]

ESTIMATORS: tuple[str, ...] = ("did", "did_panel", "ancova")
"""Impact estimators of the plan, in the order rows appear."""

ADJUST_METHODS: tuple[str, ...] = ("holm", "bh", "bonferroni", "hochberg", "hommel", "by")
TREATED, POST = "_treated", "_post"  # 0/1 columns the plan adds to a copy of the data
ID_COLUMNS = ("family", "outcome", "estimator", "subgroup_var", "subgroup", "term")

PLAN_KEYS: dict[str, Field] = {
    "families": Field(
        "mapping",
        required=True,
        values=Field("list", items=Field("str"), unique=True),
        help="families of outcomes, e.g. {behaviour: [any_delinquency, d_weapon_any]}",
    ),
    "estimators": Field(
        "list",
        items=Field("str", choices=ESTIMATORS),
        unique=True,
        default=ESTIMATORS,
        help="did (repeated cross-sections), did_panel (linked panel, unit fixed effects), ancova",
    ),
    "treatment": Field("str", default="arm", help="arm column"),
    "treated_value": Field(
        "str", default="project", help="value of the arm column for the project"
    ),
    "cluster": Field("str", default="school_code", help="cluster (unit of assignment) column"),
    "weights": Field(
        "str", help="survey weight column for weighted regressions; empty: unweighted (default)"
    ),
    "covariates": Field(
        "list", items=Field("str"), unique=True, default=(), help="extra regressors (did, ancova)"
    ),
    "adjust": Field(
        "str", default="holm", choices=ADJUST_METHODS, help="p-value adjustment within a family"
    ),
    "romano_wolf": Field("bool", default=True, help="also Romano-Wolf p-values per family"),
    "heterogeneity": Field(
        "list",
        items=Field("str"),
        unique=True,
        default=("sex", "age_group"),
        help="subgroup columns; age_group is made from age and age_breaks",
    ),
    "heterogeneity_min_n": Field(
        "int", default=100, minimum=2, help="fewest rows a subgroup needs to be estimated"
    ),
    "age": Field("str", default="age", help="age column (for age_group)"),
    "age_breaks": Field(
        "list",
        items=Field("int"),
        default=(15,),
        help="age_group boundaries: [15] = under_15, 15_plus",
    ),
    "wave": Field("str", default="wave", help="survey round column"),
    "baseline": Field("str", default="baseline", help="code of the baseline round"),
    "endline": Field("str", default="endline", help="code of the endline round"),
    "panel_code": Field("str", default="panel_code", help="pseudonymised panel code"),
    "link_within": Field("str", default="school_code", help="panel codes match within this"),
    "level": Field("float", default=0.95, minimum=0.5, maximum=0.999, help="confidence level"),
    "wild_bootstrap": Field(
        "str",
        default="auto",
        choices=("auto", "always", "never"),
        help="wild cluster bootstrap beside CR1: auto (< 50 clusters), always, never",
    ),
    "reps": Field("int", default=9999, minimum=99, help="bootstrap replications"),
    "seed": Field("int", default=20220203, minimum=0, help="bootstrap seed"),
}
"""Schema of the plan (the ``impact`` key of the endline params), as strict as params."""

PLAN_FIELD = Field("mapping", keys=PLAN_KEYS, help="the endline impact analysis plan")
"""The plan as one params key: ``REPORT_KEYS["endline"]["impact"] = PLAN_FIELD``."""


@dataclass(frozen=True)
class ImpactPlan:
    """A validated endline impact plan (see :data:`PLAN_KEYS` for every key).

    Build it with :meth:`from_params` (or :func:`load_plan`), which validates strictly.
    """

    families: Mapping[str, tuple[str, ...]]
    estimators: tuple[str, ...] = ESTIMATORS
    treatment: str = "arm"
    treated_value: str = "project"
    cluster: str = "school_code"
    weights: str | None = None
    covariates: tuple[str, ...] = ()
    adjust: str = "holm"
    romano_wolf: bool = True
    heterogeneity: tuple[str, ...] = ("sex", "age_group")
    heterogeneity_min_n: int = 100
    age: str = "age"
    age_breaks: tuple[int, ...] = (15,)
    wave: str = "wave"
    baseline: str = "baseline"
    endline: str = "endline"
    panel_code: str = "panel_code"
    link_within: str = "school_code"
    level: float = 0.95
    wild_bootstrap: str = "auto"
    reps: int = 9999
    seed: int = 20220203
    source: str = field(default="params", compare=False)

    @classmethod
    def from_params(cls, values: Mapping[str, Any], source: str = "params") -> ImpactPlan:
        """Validate a plan mapping (unknown keys are errors, with "did you mean").

        Raises
        ------
        ParamsError
            Naming ``source`` and the key: unknown keys, wrong types or values, no
            families, an empty family, or an outcome listed in two families.
        """
        if not isinstance(values, Mapping):
            raise ParamsError(
                f"{source}: the impact plan must be a mapping of keys, found {values!r}"
            )
        resolved = validate_section(PLAN_KEYS, dict(values), source, complete=True)
        families = {k: tuple(v) for k, v in resolved.pop("families").items()}
        _check_families(families, source)
        tuples = ("estimators", "covariates", "heterogeneity", "age_breaks")
        resolved = {k: tuple(v) if k in tuples else v for k, v in resolved.items()}
        if list(resolved["age_breaks"]) != sorted(set(resolved["age_breaks"])):
            raise ParamsError(
                f"{source}: key 'age_breaks' must be increasing, found {resolved['age_breaks']}"
            )
        if not resolved["estimators"]:
            raise ParamsError(
                f"{source}: key 'estimators' is empty; choose from {', '.join(ESTIMATORS)}"
            )
        return cls(families=families, source=source, **resolved)

    @property
    def outcomes(self) -> tuple[str, ...]:
        """Every outcome, family by family."""
        return tuple(y for ys in self.families.values() for y in ys)


def _check_families(families: Mapping[str, tuple[str, ...]], source: str) -> None:
    if not families:
        raise ParamsError(
            f"{source}: key 'families' is empty; declare at least one family of outcomes"
        )
    empty = [name for name, ys in families.items() if not ys]
    if empty:
        raise ParamsError(f"{source}: family {format_values(empty)} lists no outcomes")
    seen: dict[str, str] = {}
    for name, ys in families.items():
        for y in ys:
            if y in seen:
                raise ParamsError(
                    f"{source}: outcome '{y}' is in families '{seen[y]}' and '{name}'; put each "
                    "outcome in one family (the p-value adjustment is within a family)"
                )
            seen[y] = name


def load_plan(path: str | Path, key: str = "impact") -> ImpactPlan:
    """Read the plan from the ``key`` section of a params YAML file (``params/endline.yaml``).

    Raises
    ------
    ParamsError
        The file is missing or unreadable, has no ``key`` section, or the plan is invalid.
    """
    values = read_params_file(path)
    if key not in values:
        raise ParamsError(
            f"{path}: no '{key}' section; add '{key}:' with at least 'families:' (see "
            "evaluation.analysis_plan)"
        )
    return ImpactPlan.from_params(values[key], source=f"{path}, key '{key}'")


class ImpactResults(NamedTuple):
    """What :func:`run_plan` returns.

    Attributes
    ----------
    effects : DataFrame
        The tidy results table (see :func:`run_plan`).
    plot : DataFrame
        :func:`coefficient_plot_table` of ``effects``.
    panel : evaluation.panel.PanelLink
        The linked panel and its summary.
    attrition : DataFrame
        :func:`evaluation.impact.attrition` of the baseline respondents (attrited = not
        linked at endline), with the baseline outcomes as balance variables.
    """

    effects: pd.DataFrame
    plot: pd.DataFrame
    panel: panels.PanelLink
    attrition: pd.DataFrame


# --------------------------------------------------------------------------- running
@dataclass(frozen=True)
class _Frames:
    """The three analysis frames built once from the data."""

    long: pd.DataFrame  # both waves, every respondent
    linked: pd.DataFrame  # both waves, linked students only
    wide: pd.DataFrame  # one row per student (wide_panel)
    link: panels.PanelLink


def run_plan(data: pd.DataFrame, plan: ImpactPlan) -> ImpactResults:
    """Run the endline impact plan on the youth-survey table (both waves).

    Parameters
    ----------
    data : DataFrame
        Both waves stacked, one row per respondent, with the outcome columns of every
        family (0/1 or numeric), the arm, cluster, wave and panel-code columns, the weight
        (if the plan uses one), covariates and subgroup columns. Not modified.
    plan : ImpactPlan

    Returns
    -------
    ImpactResults
        ``effects``: one row per family, outcome, estimator (``did``, ``did_panel``,
        ``ancova``), subgroup and term, identified by ``family, outcome, estimator,
        subgroup_var, subgroup, term``, then ``estimate, se, ci_low, ci_high, p_value, df,
        n`` (CR1, t with G - 1 df), then ``n_clusters, n_treated_clusters, p_value_wcb,
        ci_low_wcb, ci_high_wcb`` (wild cluster bootstrap), ``std_effect`` and
        ``comparison_sd`` (effect / SD of the outcome in the comparison group at baseline),
        ``p_value_adj`` (Holm or BH within the family and estimator, of ``p_value_wcb`` where
        the bootstrap ran, else of ``p_value``) and ``p_value_rw`` (Romano–Wolf within the
        family and estimator). Rows with ``subgroup_var == "all"`` and ``term == "effect"``
        are the headline; ``term == "effect"`` rows with a subgroup are split-sample
        estimates, and ``term == "difference"`` rows the difference between a subgroup and
        the reference subgroup (first level) from the pooled interaction model (CR1 only;
        not adjusted for multiple testing). ``plot``, ``panel`` and ``attrition`` as in
        :class:`ImpactResults`.

    Raises
    ------
    DataError
        Missing columns, an arm or wave value that is missing, or outcomes that are not
        numeric.
    EstimationError
        A headline model cannot be estimated (no data in an arm and wave, too few clusters).

    Notes
    -----
    *Estimands.* ``did`` compares the change in the project arm's respondents with the
    comparison arm's; under differential attrition it mixes the effect with the change in
    who answers. ``did_panel`` and ``ancova`` follow the same students: they estimate the
    average effect on the project students seen at endline. ANCOVA is more precise when the
    outcome's autocorrelation is low (McKenzie 2012); DiD removes fixed differences between
    students even when the baseline is measured with error. Where the arms differed at
    baseline (project areas chosen for need) and trends are parallel, DiD is consistent and
    ANCOVA is pulled towards the baseline gap; the report shows both.

    *Weights.* By default the regressions are unweighted: the programme effect is then the
    effect on the sampled project students (the estimand of the demo world's ``truth.json``),
    and the estimate is more precise. With ``weights:`` set, every regression is weighted
    (WLS) and estimates the population-weighted effect; the two differ only if the effect
    varies with the things the weights correct for (school size, urban or rural; Solon,
    Haider & Wooldridge 2015). Design-based descriptive estimates always use the weights.

    *Heterogeneity.* Split samples give each subgroup's own effect, with its own comparison
    group and intercept; the pooled model adds the subgroup dummies and their interactions
    with arm, period and arm × period (DiD), or with arm (ANCOVA), and its interaction
    coefficient is the difference. Subgroups come from the baseline answer for the panel
    estimators (age at baseline) and from each wave's answer for ``did``. Levels with fewer
    than ``heterogeneity_min_n`` rows (e.g. "prefer not to say") are left out, with a note.
    """
    frames = _frames(data, plan)
    blocks, notes = [], []
    with warnings.catch_warnings():
        # Rows without an outcome (skipped items, refusals, students not seen at endline in
        # ANCOVA) are left out of each model by design; n says how many rows each used.
        warnings.simplefilter("ignore", MissingDataWarning)
        warnings.simplefilter("ignore", FewClustersWarning)  # one note instead, see below
        for family, outcomes in plan.families.items():
            for estimator in plan.estimators:
                table = _effects(frames, plan, estimator, list(outcomes), family)
                table = _add_romano_wolf(table, frames, plan, estimator, list(outcomes))
                blocks.append(_adjust(table, plan))
                for variable in plan.heterogeneity:
                    rows, found = _subgroup_effects(
                        frames, plan, estimator, list(outcomes), family, variable
                    )
                    blocks.extend(rows)
                    notes.extend(found)
        lost = _attrition(frames, plan)
    effects = _assemble(blocks, plan, frames, notes)
    return ImpactResults(effects, coefficient_plot_table(effects), frames.link, lost)


def _frames(data: pd.DataFrame, plan: ImpactPlan) -> _Frames:
    columns = [
        plan.treatment,
        plan.cluster,
        plan.wave,
        plan.panel_code,
        plan.link_within,
        *plan.outcomes,
        *plan.covariates,
        *([plan.weights] if plan.weights else []),
    ]
    require_columns(data, dict.fromkeys(columns), what="impact plan data")
    frame = _with_subgroups(data, plan)
    frame[TREATED] = _treated(frame, plan)
    link = panels.link_waves(
        frame,
        plan.panel_code,
        plan.link_within,
        plan.wave,
        arm=plan.treatment,
        baseline=plan.baseline,
        endline=plan.endline,
    )
    long = link.panel
    long[POST] = (long[plan.wave].astype("string") == plan.endline).astype(int).to_numpy()
    keep = [plan.cluster, plan.treatment, TREATED, *plan.covariates, *plan.heterogeneity]
    keep += [plan.weights] if plan.weights else []
    wide = panels.wide_panel(
        long,
        list(plan.outcomes),
        keep=list(dict.fromkeys(keep)),
        wave=plan.wave,
        baseline=plan.baseline,
        endline=plan.endline,
    )
    linked = long[long["linked"].to_numpy()].copy()
    by_unit = wide.set_index("unit_id")
    for variable in plan.heterogeneity:  # the panel estimators use the baseline answer
        values = linked["unit_id"].map(by_unit[variable]).to_numpy()
        linked[variable] = pd.Series(values, index=linked.index).astype(wide[variable].dtype)
    return _Frames(long, linked, wide, link)


def _treated(frame: pd.DataFrame, plan: ImpactPlan) -> np.ndarray:
    arm = frame[plan.treatment].astype("string")
    if arm.isna().any():
        rows = list(frame.index[arm.isna().to_numpy()])
        raise DataError(
            f"impact plan, column '{plan.treatment}': {int(arm.isna().sum())} rows have no arm "
            f"(rows {format_values(rows)}); join the sampling frame or drop them first"
        )
    values = set(arm)
    if plan.treated_value not in values:
        raise DataError(
            f"impact plan, column '{plan.treatment}': no row has the project value "
            f"'{plan.treated_value}' (found {format_values(sorted(values))}); set treated_value"
        )
    return (arm == plan.treated_value).astype(int).to_numpy()


def _with_subgroups(data: pd.DataFrame, plan: ImpactPlan) -> pd.DataFrame:
    frame = data.copy()
    for variable in plan.heterogeneity:
        if variable == "age_group" and variable not in frame.columns:
            require_columns(frame, [plan.age], what="impact plan data (for age_group)")
            frame[variable] = age_groups(frame[plan.age], plan.age_breaks)
        else:
            require_columns(frame, [variable], what="impact plan data (heterogeneity)")
    return frame


def age_groups(age: pd.Series, breaks: Sequence[int]) -> pd.Categorical:
    """Age bands from ``breaks``: ``[15]`` gives ``under_15`` and ``15_plus``; ``[15, 18]``
    gives ``under_15``, ``15_17``, ``18_plus``. Missing ages stay missing."""
    values = pd.to_numeric(age, errors="coerce").to_numpy(dtype=float)
    edges = list(breaks)
    labels = [f"under_{edges[0]}"]
    labels += [f"{a}_{b - 1}" for a, b in itertools.pairwise(edges)]
    labels.append(f"{edges[-1]}_plus")
    codes = np.searchsorted(np.asarray(edges, dtype=float), values, side="right")
    codes = np.where(np.isnan(values), -1, codes)
    return pd.Categorical.from_codes(codes, categories=labels)


# --------------------------------------------------------------------------- estimators
def _estimate(
    frames: _Frames,
    plan: ImpactPlan,
    estimator: str,
    outcomes: list[str],
    rows: np.ndarray | None = None,
    extra: Sequence[str] = (),
    bootstrap: bool = True,
) -> pd.DataFrame:
    """The estimator's full table (every term) on all rows or the rows in ``rows``.

    ``bootstrap=False`` skips the wild bootstrap (it would only test the model's own
    ``did``/``treatment`` row, which the interaction models do not report).
    """
    wanted = {"auto": None, "always": True, "never": False}[plan.wild_bootstrap]
    options = {
        "level": plan.level,
        "wild_bootstrap": wanted if bootstrap else False,
        "reps": plan.reps,
        "seed": plan.seed,
    }
    if estimator == "ancova":
        data = frames.wide if rows is None else frames.wide[rows]
        ends = [f"{y}_{plan.endline}" for y in outcomes]
        bases = {f"{y}_{plan.endline}": f"{y}_{plan.baseline}" for y in outcomes}
        table = ancova(
            data,
            ends,
            bases,
            TREATED,
            plan.cluster,
            [*plan.covariates, *extra],
            plan.weights,
            **options,
        )
    else:
        if estimator == "did":
            data, unit, covariates = frames.long, None, [*plan.covariates, *extra]
        else:  # did_panel: time-invariant covariates are absorbed by the unit effects
            data, unit, covariates = frames.linked, "unit_id", list(extra)
        data = data if rows is None else data[rows]
        table = did(
            data, outcomes, TREATED, POST, plan.cluster, covariates, plan.weights, unit, **options
        )
    info = result_info(table)
    table["comparison_sd"] = table["outcome"].map(info.extra["comparison_sd"]).astype(float)
    table["outcome"] = (
        table["outcome"].str.removesuffix(f"_{plan.endline}")
        if estimator == "ancova"
        else table["outcome"]
    )
    table.attrs["info"] = info
    return table


def _effects(
    frames: _Frames, plan: ImpactPlan, estimator: str, outcomes: list[str], family: str
) -> pd.DataFrame:
    table = _estimate(frames, plan, estimator, outcomes)
    return _effect_rows(table, family, estimator, "all", "all")


def _effect_rows(
    table: pd.DataFrame, family: str, estimator: str, variable: str, subgroup: str
) -> pd.DataFrame:
    rows = table[table["term"] == result_info(table).extra["effect_term"]].copy()
    rows["term"] = "effect"
    return _label(rows, family, estimator, variable, subgroup)


def _label(
    rows: pd.DataFrame, family: str, estimator: str, variable: str, subgroup: str
) -> pd.DataFrame:
    rows = rows.reset_index(drop=True)
    rows.insert(0, "family", family)
    rows.insert(2, "estimator", estimator)
    rows.insert(3, "subgroup_var", variable)
    rows.insert(4, "subgroup", subgroup)
    return rows


# --------------------------------------------------------------------------- multiple testing
def _add_romano_wolf(
    table: pd.DataFrame, frames: _Frames, plan: ImpactPlan, estimator: str, outcomes: list[str]
) -> pd.DataFrame:
    table = table.copy()
    table["p_value_rw"] = np.nan
    if not plan.romano_wolf:
        return table
    if len(outcomes) == 1:  # one hypothesis: Romano-Wolf is the bootstrap p-value itself
        table["p_value_rw"] = table["p_value_wcb"]
        return table
    if estimator == "ancova":
        data, kwargs = (
            frames.wide,
            {
                "design": "ancova",
                "baseline": {f"{y}_{plan.endline}": f"{y}_{plan.baseline}" for y in outcomes},
                "covariates": list(plan.covariates),
            },
        )
        names = [f"{y}_{plan.endline}" for y in outcomes]
    else:
        panel = estimator == "did_panel"
        data = frames.linked if panel else frames.long
        kwargs = {
            "design": "did",
            "post": POST,
            "unit": "unit_id" if panel else None,
            "covariates": [] if panel else list(plan.covariates),
        }
        names = outcomes
    rw = romano_wolf(
        data,
        names,
        TREATED,
        plan.cluster,
        weights=plan.weights,
        reps=plan.reps,
        seed=plan.seed,
        level=plan.level,
        **kwargs,
    )
    adjusted = dict(zip(outcomes, rw["p_value"], strict=True))
    table["p_value_rw"] = table["outcome"].map(adjusted).astype(float)
    return table


def _adjust(table: pd.DataFrame, plan: ImpactPlan) -> pd.DataFrame:
    table = table.copy()
    basis = table["p_value_wcb"].where(table["p_value_wcb"].notna(), table["p_value"])
    values = basis.to_numpy(dtype=float)
    # one hypothesis needs no adjustment (and multipletests is slow to call)
    table["p_value_adj"] = adjust_pvalues(values, method=plan.adjust) if len(values) > 1 else values
    return table


# --------------------------------------------------------------------------- heterogeneity
def _subgroup_effects(
    frames: _Frames,
    plan: ImpactPlan,
    estimator: str,
    outcomes: list[str],
    family: str,
    variable: str,
) -> tuple[list[pd.DataFrame], list[str]]:
    data = _frame_of(frames, estimator)
    values = data[variable].astype("string")
    levels, notes = _subgroup_levels(data[variable], plan, variable)
    blocks = []
    for level in levels:
        try:
            table = _estimate(
                frames, plan, estimator, outcomes, (values == level).fillna(False).to_numpy()
            )
        except EstimationError as error:
            notes.append(f"{estimator}, {variable} = {level}: not estimated ({error})")
            continue
        blocks.append(_effect_rows(table, family, estimator, variable, level))
    if len(levels) >= 2:
        blocks.extend(
            _differences(frames, plan, estimator, outcomes, family, variable, levels, notes)
        )
    return blocks, notes


def _frame_of(frames: _Frames, estimator: str) -> pd.DataFrame:
    return {"did": frames.long, "did_panel": frames.linked, "ancova": frames.wide}[estimator]


def _subgroup_levels(
    column: pd.Series, plan: ImpactPlan, variable: str
) -> tuple[list[str], list[str]]:
    """Levels to estimate, in category order (sorted for plain columns), first = reference."""
    values = column.astype("string")
    counts = values.value_counts(sort=False)
    order = [str(c) for c in _categories(column) if str(c) in counts.index]
    small = [c for c in order if counts[c] < plan.heterogeneity_min_n]
    notes = [
        f"{variable} = {c}: {int(counts[c])} rows, below heterogeneity_min_n "
        f"({plan.heterogeneity_min_n}); not estimated"
        for c in small
    ]
    return [c for c in order if c not in small], notes


def _categories(column: pd.Series) -> list[object]:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return list(column.cat.categories)
    return sorted(column.dropna().astype(str).unique().tolist())


def _differences(
    frames: _Frames,
    plan: ImpactPlan,
    estimator: str,
    outcomes: list[str],
    family: str,
    variable: str,
    levels: list[str],
    notes: list[str],
) -> list[pd.DataFrame]:
    """Each level minus the first, from the pooled model with interactions."""
    data = _frame_of(frames, estimator)
    values = data[variable].astype("string")
    rows = values.isin(levels).fillna(False).to_numpy()
    columns, terms = _interactions(data, values, estimator, levels)
    augmented = _Frames(**{**frames.__dict__, _attribute(estimator): data.assign(**columns)})
    try:
        table = _estimate(
            augmented, plan, estimator, outcomes, rows, extra=list(columns), bootstrap=False
        )
    except EstimationError as error:
        notes.append(f"{estimator}, {variable}: no interaction model ({error})")
        return []
    blocks = []
    for level, term in terms.items():
        picked = table[table["term"] == term].copy()
        picked["term"] = "difference"
        blocks.append(_label(picked, family, estimator, variable, f"{level} - {levels[0]}"))
    return blocks


def _attribute(estimator: str) -> str:
    return {"did": "long", "did_panel": "linked", "ancova": "wide"}[estimator]


def _interactions(
    data: pd.DataFrame, values: pd.Series, estimator: str, levels: list[str]
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Interaction columns for every level but the first, and the difference term of each."""
    treated = data[TREATED].to_numpy(dtype=float)
    post = data[POST].to_numpy(dtype=float) if estimator != "ancova" else None
    columns: dict[str, np.ndarray] = {}
    terms: dict[str, str] = {}
    for j, level in enumerate(levels[1:], start=1):
        g = (values == level).fillna(False).to_numpy(dtype=float)
        if estimator == "ancova":
            columns[f"_g{j}"], columns[f"_treated_g{j}"] = g, treated * g
            terms[level] = f"_treated_g{j}"
            continue
        if estimator == "did":  # absorbed by the unit effects in did_panel
            columns[f"_g{j}"], columns[f"_treated_g{j}"] = g, treated * g
        columns[f"_post_g{j}"], columns[f"_did_g{j}"] = post * g, treated * post * g
        terms[level] = f"_did_g{j}"
    return columns, terms


# --------------------------------------------------------------------------- assembly
EXTRA_COLUMNS = (
    "n_clusters",
    "n_treated_clusters",
    "p_value_wcb",
    "ci_low_wcb",
    "ci_high_wcb",
    "std_effect",
    "comparison_sd",
    "p_value_adj",
    "p_value_rw",
)


def _assemble(
    blocks: list[pd.DataFrame], plan: ImpactPlan, frames: _Frames, notes: list[str]
) -> pd.DataFrame:
    table = pd.concat(blocks, ignore_index=True)
    for column in EXTRA_COLUMNS:
        if column not in table.columns:
            table[column] = np.nan
    table = table[
        [*ID_COLUMNS, "estimate", "se", "ci_low", "ci_high", "p_value", "df", "n", *EXTRA_COLUMNS]
    ]
    difference = table["term"] == "difference"
    table.loc[difference, ["std_effect", "p_value_adj", "p_value_rw"]] = np.nan
    table = table.assign(std_effect=_std_effects(table))
    info = ResultInfo(
        estimator="analysis_plan.run_plan",
        method="endline impact plan: "
        + ", ".join(plan.estimators)
        + " over families "
        + ", ".join(f"{k} ({len(v)})" for k, v in plan.families.items()),
        level=plan.level,
        vcov=f"CR1 clustered by {plan.cluster} (t, G - 1 df); wild cluster bootstrap "
        f"({plan.wild_bootstrap}, {plan.reps} reps, seed {plan.seed})",
        n_obs=len(frames.long),
        reference="evaluation.impact did / ancova / romano_wolf / adjust_pvalues",
        notes=tuple(dict.fromkeys([*_method_notes(plan), *notes])),
        extra={"plan": plan, "panel_summary": frames.link.summary},
    )
    return make_result(table, info, id_columns=list(ID_COLUMNS))


def _std_effects(table: pd.DataFrame) -> pd.Series:
    """Effect / comparison-group baseline SD, on every effect and difference row."""
    with np.errstate(divide="ignore", invalid="ignore"):
        std = table["estimate"] / table["comparison_sd"]
    return std.where(table["comparison_sd"] > 0)


def _method_notes(plan: ImpactPlan) -> list[str]:
    weights = (
        f"regressions weighted by '{plan.weights}' (population-weighted effect)"
        if plan.weights
        else "regressions unweighted: effects on the sampled students (set weights: for the "
        "population-weighted effect)"
    )
    bootstrap = {
        "auto": "wild cluster bootstrap beside CR1 when there are fewer than 50 clusters (the "
        "*_wcb columns are then the ones to report)",
        "always": "wild cluster bootstrap beside CR1 for every effect",
        "never": "no wild cluster bootstrap: with fewer than 50 clusters CR1 p-values over-reject",
    }[plan.wild_bootstrap]
    covariates = (
        [
            f"covariates {', '.join(plan.covariates)} enter did and ancova; did_panel's student "
            "fixed effects absorb them"
        ]
        if plan.covariates
        else []
    )
    return [
        bootstrap,
        *covariates,
        "did: repeated cross-sections, every respondent; did_panel: linked students, unit "
        "fixed effects; ancova: endline on arm and baseline outcome, missing baseline filled "
        "and flagged",
        "ancova assumes the arms are comparable given the baseline outcome; where the arms "
        "differed at baseline (project areas chosen for need) and trends are parallel, DiD is "
        "consistent and ANCOVA is pulled towards the baseline gap: compare the two",
        "rows without the outcome (skipped item, refused assent; in ancova, students not seen "
        "at endline) are left out of each model; n is the number of rows used",
        "0/1 outcomes: linear probability models, effects are differences in proportions",
        weights,
        "std_effect = estimate / SD of the outcome in the comparison group at baseline "
        "(comparison_sd)",
        f"p_value_adj: {plan.adjust} within each family and estimator, of the wild bootstrap "
        "p-value where it ran, else the CR1 p-value; p_value_rw: Romano-Wolf step-down "
        "(same bootstrap draws for every outcome of the family)",
        "heterogeneity: term 'effect' rows are split-sample estimates; 'difference' rows are "
        "the interaction in the pooled model (CR1, not adjusted); panel estimators use the "
        "baseline subgroup",
    ]


def coefficient_plot_table(effects: pd.DataFrame) -> pd.DataFrame:
    """The effect rows of :func:`run_plan` ready for a coefficient plot.

    Parameters
    ----------
    effects : DataFrame
        ``run_plan(...).effects``.

    Returns
    -------
    DataFrame
        One row per family, outcome, estimator and subgroup (``term == "effect"``):
        ``estimate`` with the interval a reader should see (``ci_low``/``ci_high``: the wild
        cluster bootstrap interval where it ran, else CR1; ``interval`` says which), the core
        columns, then ``std_estimate``, ``std_ci_low``, ``std_ci_high`` (the same divided by
        the comparison group's baseline SD, so that outcomes share one axis),
        ``p_value_adj``, ``p_value_rw`` and ``interval``.
    """
    rows = effects[effects["term"] == "effect"].copy()
    wcb = rows["ci_low_wcb"].notna() & rows["ci_high_wcb"].notna()
    rows["ci_low"] = rows["ci_low_wcb"].where(wcb, rows["ci_low"])
    rows["ci_high"] = rows["ci_high_wcb"].where(wcb, rows["ci_high"])
    rows["p_value"] = rows["p_value_wcb"].where(wcb, rows["p_value"])
    rows["interval"] = np.where(wcb, "wild cluster bootstrap", "CR1")
    sd = rows["comparison_sd"].where(rows["comparison_sd"] > 0)
    for name in ("estimate", "ci_low", "ci_high"):
        rows[f"std_{'estimate' if name == 'estimate' else name}"] = rows[name] / sd
    keep = [
        *ID_COLUMNS[:-1],
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "p_value",
        "df",
        "n",
        "std_estimate",
        "std_ci_low",
        "std_ci_high",
        "p_value_adj",
        "p_value_rw",
        "interval",
    ]
    info = result_info(effects).with_notes(
        "ci_low/ci_high and p_value: wild cluster bootstrap where it ran (interval column), else CR1"
    )
    return make_result(rows[keep], info, id_columns=list(ID_COLUMNS[:-1]))


# --------------------------------------------------------------------------- attrition
def _attrition(frames: _Frames, plan: ImpactPlan) -> pd.DataFrame:
    """Attrition of the baseline respondents, with the baseline outcomes as balance variables.

    A baseline outcome that does not vary among the attriters or the stayers of an arm (a
    rare outcome in a small sample) cannot enter the balance tests and is left out, with a
    note.
    """
    wide = frames.wide[frames.wide["in_baseline"].to_numpy()].copy()
    wide[plan.treatment] = wide[plan.treatment].astype(str)
    others = sorted(set(wide[plan.treatment]) - {plan.treated_value})
    candidates = [f"{y}_{plan.baseline}" for y in plan.outcomes]
    cells = wide.groupby([plan.treatment, "attrited"], observed=True)
    covariates = [c for c in candidates if (cells[c].nunique() > 1).all()]
    notes = [
        f"attrition balance: '{c}' does not vary within every arm and attrition group; left out"
        for c in candidates
        if c not in covariates
    ]
    options = {"comparison": others[0] if len(others) == 1 else None, "level": plan.level}
    try:
        table = attrition(
            wide, "attrited", plan.treatment, plan.cluster, covariates, plan.weights, **options
        )
    except EstimationError as error:  # collinear balance variables: keep the rates
        table = attrition(
            wide, "attrited", plan.treatment, plan.cluster, (), plan.weights, **options
        )
        notes.append(f"attrition balance tables left out: {error}")
    table.attrs["info"] = result_info(table).with_notes(*notes)
    return table
