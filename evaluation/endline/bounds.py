"""Lee bounds on the endline's panel effects when attrition differs between the arms.

The panel estimators (``did_panel``, ``ancova``) use the students seen in both rounds. When
project students are lost at endline more (or less) often than comparison students, and
those lost differ from those who stay, the followed-up students of the two arms are no
longer alike. Lee's (2009) trimming bounds say how far the effect could move: the arm that
kept more of its students is trimmed by the share of "extra" respondents, once from the top
and once from the bottom of its outcome distribution.

Here the outcome is each student's change from baseline to endline, so the bounds are on the
same estimand as the panel difference-in-differences (the effect on the students who would
be followed up in either arm), and fixed differences between the arms cancel out as they do
in ``did_panel``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaluation import panel as panels
from evaluation.analysis_plan import ImpactPlan, ImpactResults
from evaluation.errors import EstimationError
from evaluation.impact import lee_bounds
from evaluation.results import ResultInfo, make_result, result_info

__all__ = ["BOUND_TERMS", "attrition_bounds", "attrition_gap"]

BOUND_TERMS: tuple[str, ...] = (
    "observed_difference",
    "trim_proportion",
    "lower_bound",
    "upper_bound",
    "effect",
)
"""Rows of :func:`evaluation.impact.lee_bounds`, kept for every outcome."""

ID_COLUMNS = ("family", "outcome", "term")
_CHANGE, _TREATED, _OBSERVED, _CLUSTER = "_change", "_treated", "_observed", "_cluster"

BOUNDS_REPS = 499
"""Bootstrap replications (whole schools within arms) for the bounds' standard errors."""


def attrition_bounds(
    results: ImpactResults, plan: ImpactPlan, outcomes: Sequence[str] | None = None
) -> pd.DataFrame:
    """Lee (2009) bounds on the panel effect of each outcome of the plan.

    Parameters
    ----------
    results : ImpactResults
        From :func:`evaluation.analysis_plan.run_plan` (its linked panel is used).
    plan : ImpactPlan
        The plan that produced ``results`` (arm, rounds, level).
    outcomes : sequence of str, optional
        Outcomes to bound (default: every outcome of the plan).

    Returns
    -------
    DataFrame
        One block per outcome, identified by ``family, outcome, term`` (``term`` as in
        :func:`evaluation.impact.lee_bounds`: ``observed_difference``, ``trim_proportion``,
        ``lower_bound``, ``upper_bound`` and ``effect``, whose ``ci_low``/``ci_high`` is the
        Imbens–Manski interval for the effect), then ``estimate, se, ci_low, ci_high,
        p_value, df, n``, then ``trimmed_arm, response_treated, response_comparison,
        n_treated, n_comparison``. An outcome whose bounds cannot be computed (an arm with
        fewer than two followed-up students) is left out, with a note.

    Notes
    -----
    The population is the baseline respondents who answered the outcome at baseline; a
    student is observed when linked at endline with the outcome answered; the outcome is
    :math:`Y_{endline} - Y_{baseline}` and the treatment the project arm. The standard
    errors come from a bootstrap of whole schools within each arm (:data:`BOUNDS_REPS`
    replications, the plan's seed), since schools are the unit of sampling and assignment;
    Lee's analytic formula would treat students as independent and be too small.

    References
    ----------
    Lee, D. S. (2009). Training, wages, and sample selection: estimating sharp bounds on
    treatment effects. *Review of Economic Studies* 76(3), 1071–1102.
    """
    chosen = list(outcomes) if outcomes is not None else list(plan.outcomes)
    family_of = {y: name for name, ys in plan.families.items() for y in ys}
    wide = panels.wide_panel(
        results.panel.panel,
        chosen,
        keep=[plan.treatment, plan.cluster],
        wave=plan.wave,
        baseline=plan.baseline,
        endline=plan.endline,
    )
    treated = (wide[plan.treatment].astype("string") == plan.treated_value).fillna(False)
    blocks, notes = [], []
    for outcome in chosen:
        data = _bounds_frame(wide, treated.to_numpy(), outcome, plan)
        try:
            table = lee_bounds(
                data,
                _CHANGE,
                _TREATED,
                observed=_OBSERVED,
                cluster=_CLUSTER,
                level=plan.level,
                n_boot=BOUNDS_REPS,
                seed=plan.seed,
            )
        except EstimationError as error:
            notes.append(f"Lee bounds for '{outcome}' not computed: {error}")
            continue
        notes.extend(result_info(table).notes)
        table.insert(0, "outcome", outcome)
        table.insert(0, "family", family_of.get(outcome, ""))
        blocks.append(table)
    return _assemble(blocks, plan, notes)


def attrition_gap(results: ImpactResults) -> float:
    """Attrition rate of the project arm minus the comparison arm's (the ``differential``
    row of ``results.attrition``); NaN when the table has no such row."""
    table = results.attrition
    rows = table[(table["section"] == "differential") & (table["term"] == "difference")]
    return float(rows["estimate"].iloc[0]) if len(rows) == 1 else float("nan")


def _bounds_frame(
    wide: pd.DataFrame, treated: np.ndarray, outcome: str, plan: ImpactPlan
) -> pd.DataFrame:
    before = pd.to_numeric(wide[f"{outcome}_{plan.baseline}"], errors="coerce").astype(float)
    after = pd.to_numeric(wide[f"{outcome}_{plan.endline}"], errors="coerce").astype(float)
    at_risk = (wide["in_baseline"].to_numpy(dtype=bool)) & before.notna().to_numpy()
    observed = wide["linked"].to_numpy(dtype=bool) & after.notna().to_numpy()
    change = (after - before).where(observed)
    return pd.DataFrame(
        {
            _CHANGE: change.to_numpy()[at_risk],
            _TREATED: treated[at_risk].astype(int),
            _OBSERVED: observed[at_risk].astype(int),
            _CLUSTER: wide[plan.cluster].to_numpy()[at_risk],
        }
    )


def _assemble(blocks: list[pd.DataFrame], plan: ImpactPlan, notes: list[str]) -> pd.DataFrame:
    info = ResultInfo(
        estimator="endline.attrition_bounds",
        method="Lee (2009) trimming bounds on the change from baseline to endline, per outcome",
        level=plan.level,
        vcov="Lee's analytic standard errors (students independent: clustering ignored)",
        n_obs=int(sum(int(b["n"].max()) for b in blocks)) if blocks else 0,
        reference="Lee (2009); Imbens and Manski (2004) for the interval on the effect",
        notes=tuple(dict.fromkeys(notes)),
    )
    if not blocks:
        empty = pd.DataFrame(columns=[*ID_COLUMNS])
        return make_result(empty, info, id_columns=list(ID_COLUMNS))
    table = pd.concat(blocks, ignore_index=True)
    return make_result(table, info, id_columns=list(ID_COLUMNS))
