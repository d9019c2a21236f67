"""The baseline report's numbers, one function per section, as tidy tables.

Each function combines library estimators on :class:`~evaluation.baseline.data.BaselineData`
the way the report needs them; nothing here formats a number (that is
:mod:`evaluation.baseline.present`). The estimators themselves are the library's:
:func:`evaluation.indicators.compute_indicators` and ``disaggregation_table`` (design-based,
R ``survey``), :func:`evaluation.scales.cronbach_alpha` (``psych::alpha``),
:func:`evaluation.risk.risk_model` (``svyglm``), :func:`evaluation.impact.balance_table`
(``iebaltab``) and :func:`evaluation.endline_power.endline_mde` (PowerUpR ``mdes.cra2``).
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaluation.baseline.data import UNIT_COLUMN, BaselineData
from evaluation.endline_power import endline_mde
from evaluation.errors import ParamsError, did_you_mean, format_values
from evaluation.impact import balance_table
from evaluation.indicators import compute_indicators, compute_prepared, logframe_table
from evaluation.report.donor import TOTAL
from evaluation.results import RESULT_COLUMNS
from evaluation.risk import MIN_EPV, FewEventsWarning, RiskModel, risk_model
from evaluation.scales import cronbach_alpha

MISSING = "_missing"
"""Category code of respondents who did not answer a characteristic."""


# --------------------------------------------------------------------------- response, sample
def response(data: BaselineData) -> pd.DataFrame:
    """Submissions of the baseline round per file: read, accepted, set aside, assent, schools.

    Returns
    -------
    DataFrame
        One row per file of the round: ``file, rows_read, rows_accepted,
        rows_quarantined`` (from the ingestion log), ``assent_refused``, ``respondents``
        (accepted with assent) and ``schools`` (with at least one respondent).
    """
    files = data.baseline["_source_file"].astype("string")
    assent = data.baseline[data.params["assent"]].astype("string")
    logged = {f.get("file"): f for f in data.log.get("files", [])}
    rows = []
    for name in dict.fromkeys(files.dropna()):
        mine = files.eq(name).fillna(False)
        entry = logged.get(name, {})
        respondents = data.baseline[mine & assent.eq("yes").fillna(False)]
        rows.append(
            {
                "file": name,
                "rows_read": entry.get("rows_read", np.nan),
                "rows_accepted": entry.get("rows_accepted", int(mine.sum())),
                "rows_quarantined": entry.get("rows_quarantined", np.nan),
                "assent_refused": int((mine & assent.eq("no").fillna(False)).sum()),
                "respondents": len(respondents),
                "schools": int(respondents["school_code"].nunique()),
            }
        )
    table = pd.DataFrame(rows)
    for column in table.columns[1:]:
        table[column] = pd.array(pd.to_numeric(table[column]), dtype="Int64")
    return table


def fieldwork(data: BaselineData) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """First and last day a respondent of the round started the questionnaire (UTC)."""
    days = pd.to_datetime(data.respondents["start"], errors="coerce", utc=True).dropna()
    return (days.min(), days.max()) if len(days) else (None, None)


def sample_counts(data: BaselineData, by: Sequence[str] | None = None) -> pd.DataFrame:
    """Respondents by characteristic and area, with totals (the donor "Sample" sheet).

    Parameters
    ----------
    data : BaselineData
    by : sequence of str, optional
        Columns or logframe dimensions (``unit`` is the merged unit); default params
        ``sample_by``.

    Returns
    -------
    DataFrame
        ``dimension, category, arm, n``: unweighted respondents. Each dimension has a
        ``"total"`` category and every category a ``"total"`` arm; a missing answer is the
        category ``"_missing"``.
    """
    respondents = data.respondents
    arm = data.params["balance"]["arm"]
    parts = []
    for dimension in by if by is not None else data.params["sample_by"]:
        column = dimension_column(data, dimension)
        values = respondents[column].astype("string").fillna(MISSING)
        categories = _ordered(respondents[column], values)
        table = pd.crosstab(values, respondents[arm].astype("string"))
        table = table.reindex(categories).fillna(0)
        table[TOTAL] = table.sum(axis=1)
        table.loc[TOTAL] = table.sum(axis=0)
        long = table.stack().rename("n").reset_index()
        long.columns = ["category", "arm", "n"]
        long.insert(0, "dimension", dimension)
        parts.append(long)
    out = pd.concat(parts, ignore_index=True)
    out["n"] = pd.array(out["n"].round(), dtype="Int64")
    return out


def dimension_column(data: BaselineData, dimension: str) -> str:
    """The youth-survey column of a dimension: the merged unit for ``unit``, the logframe's
    column for its dimensions, else the name itself (a column)."""
    if dimension == "unit":
        return UNIT_COLUMN
    column = data.logframe.column_for(dimension, data.params["table"])
    if column not in data.youth.columns:
        raise ParamsError(
            f"params 'sample_by'/'dimensions': '{dimension}' is neither a logframe dimension "
            f"nor a column of {data.params['table']}"
            f"{did_you_mean(dimension, list(data.youth.columns))}"
        )
    return column


def _ordered(original: pd.Series, values: pd.Series) -> list[str]:
    if isinstance(original.dtype, pd.CategoricalDtype):
        known = [str(c) for c in original.cat.categories if str(c) in set(values)]
    else:
        known = sorted(v for v in set(values) if v != MISSING)
    return known + ([MISSING] if MISSING in set(values) else [])


# --------------------------------------------------------------------------- design
def weight_summary(data: BaselineData) -> pd.DataFrame:
    """The distribution of the design weights among respondents, overall and by area.

    Returns
    -------
    DataFrame
        One row per group (``arm``: ``"total"`` first): ``n``, ``schools``, ``min``,
        ``q1``, ``median``, ``q3``, ``max``, ``mean``, ``cv`` (coefficient of variation)
        and ``deff_weights``, Kish's design effect of unequal weighting
        :math:`n \\sum w^2 / (\\sum w)^2 = 1 + CV^2` (CV with divisor n), and
        ``population`` (the sum of the weights).
    """
    spec = data.logframe.designs[data.logframe.tables[data.params["table"]].design]
    weights, arm = spec.weights, data.params["balance"]["arm"]
    frame = data.respondents
    groups = [(TOTAL, frame), *((a, g) for a, g in frame.groupby(arm, sort=True, observed=True))]
    rows = []
    for label, group in groups:
        w = pd.to_numeric(group[weights], errors="coerce").dropna().to_numpy(dtype=float)
        rows.append(
            {
                "arm": str(label),
                "n": len(w),
                "schools": int(group["school_code"].nunique()),
                "min": w.min(),
                "q1": np.quantile(w, 0.25),
                "median": np.median(w),
                "q3": np.quantile(w, 0.75),
                "max": w.max(),
                "mean": w.mean(),
                "cv": w.std() / w.mean(),
                "deff_weights": len(w) * np.sum(w**2) / np.sum(w) ** 2,
                "population": w.sum(),
            }
        )
    table = pd.DataFrame(rows)
    table["n"] = pd.array(table["n"], dtype="Int64")
    return table


def strata(data: BaselineData) -> pd.DataFrame:
    """:meth:`evaluation.survey.Design.strata_table` of the baseline round (every accepted
    submission), with the respondents per stratum."""
    table = data.design.strata_table()
    stratum = data.logframe.designs[data.logframe.tables[data.params["table"]].design].strata
    counts = data.respondents[stratum].astype("string").value_counts()
    table.insert(2, "respondents", table["stratum"].astype(str).map(counts).fillna(0).astype(int))
    return table


# --------------------------------------------------------------------------- indicators
def indicator_results(data: BaselineData) -> pd.DataFrame:
    """Every computable logframe indicator for every period in the data
    (:func:`evaluation.indicators.compute_indicators`), at the report's confidence level."""
    return compute_indicators(data.logframe, data.tables, level=data.params["level"])


def indicator_table(data: BaselineData, results: pd.DataFrame) -> pd.DataFrame:
    """The indicator tracking table as of params ``as_of`` (the baseline's date): the youth
    survey's indicators at the baseline round, the registers' latest period by then."""
    as_of = dt.date.fromisoformat(str(data.params["as_of"]))
    return logframe_table(data.logframe, results, as_of=as_of, language=data.language)


def survey_indicators(data: BaselineData, dimension: str | None = None) -> list[str]:
    """Computable indicators measured by the youth survey (that list ``dimension``)."""
    out = []
    for indicator_id in data.logframe.computable():
        indicator = data.logframe.indicator(indicator_id)
        if indicator.definition.table != data.params["table"]:  # type: ignore[union-attr]
            continue
        if dimension is None or dimension in indicator.disaggregations:
            out.append(indicator_id)
    return out


def design_effects(data: BaselineData, results: pd.DataFrame) -> pd.DataFrame:
    """The baseline survey indicators' estimates with their design effects.

    Returns
    -------
    DataFrame
        The rows of ``results`` for the survey's indicators at the baseline round:
        ``indicator, period, estimate, se, ci_low, ci_high, ..., n, deff, n_psu, unit``.
    """
    ids = survey_indicators(data)
    rows = results[results["indicator"].isin(ids) & results["period"].eq(data.params["wave"])]
    columns = [c for c in results.columns if not c.startswith("_")]
    return rows[columns].reset_index(drop=True)


def disaggregations(data: BaselineData) -> dict[str, pd.DataFrame]:
    """Each dimension of params ``dimensions`` for the survey indicators that list it, at the
    baseline round, in the shape of :func:`evaluation.indicators.disaggregation_table`, with
    the unweighted number of respondents with the characteristic (``count``).

    Returns
    -------
    dict of str to DataFrame
        Dimension → ``indicator, indicator_name, period, <column>, estimate, se, ci_low,
        ci_high, p_value, df, n, unit, count``, where ``<column>`` is the dimension's
        column (``unit_merged`` for ``unit``) and holds ``"total"`` on each indicator's
        first row. ``count`` is what small-cell suppression checks besides ``n`` (a
        2-in-40 share reveals 2 people); it is missing for indicators that are not
        proportions.

    Notes
    -----
    The estimates are :func:`evaluation.indicators.compute_prepared`'s (design-based, each
    category a domain of the whole round, R ``svyby``), exactly as ``disaggregation_table``
    computes them; here each indicator's total is computed once for all dimensions, and on
    the baseline round only (each round is its own sample), which halves the work.
    """
    table_name, wave, level = data.params["table"], data.params["wave"], data.params["level"]
    prepared = {table_name: data.baseline}
    for dimension in data.params["dimensions"]:
        if dimension not in data.logframe.dimensions:
            raise ParamsError(
                f"params 'dimensions': '{dimension}' is not a dimension of the logframe"
                f"{did_you_mean(dimension, data.logframe.dimensions)}; dimensions: "
                f"{format_values(list(data.logframe.dimensions))}"
            )
    totals: dict[str, pd.DataFrame] = {}
    out = {}
    for dimension in data.params["dimensions"]:
        ids = survey_indicators(data, dimension)
        if not ids:
            continue
        column = dimension_column(data, dimension)
        parts = []
        for indicator_id in ids:
            if indicator_id not in totals:
                totals[indicator_id] = compute_prepared(
                    data.logframe, indicator_id, prepared, wave, level=level
                )
            split = compute_prepared(
                data.logframe, indicator_id, prepared, wave, column, level=level
            )
            name = data.logframe.indicator(indicator_id).label(data.language)
            for part, is_total in ((totals[indicator_id], True), (split, False)):
                part = part.assign(
                    indicator_name=name,
                    **{column: TOTAL if is_total else part[column].astype("string")},
                )
                parts.append(
                    part[["indicator", "indicator_name", "period", column, *RESULT_COLUMNS, "unit"]]
                )
        table = pd.concat(parts, ignore_index=True)
        for name in ("n",):
            table[name] = pd.array(table[name], dtype="Int64")
        out[dimension] = with_counts(data, table, column)
    return out


def with_counts(data: BaselineData, table: pd.DataFrame, column: str) -> pd.DataFrame:
    """``table`` with ``count``: the unweighted number of respondents with the
    characteristic in each row's domain, for proportion indicators (missing otherwise).

    The domain is the indicator's population in the baseline round with an answer to its
    variable, in the row's category (all categories for the ``"total"`` row); the count is
    the rows where the variable is 1 (the numerator of the unweighted share, R
    ``binom.test``'s ``x``).
    """
    out = table.copy()
    counts = pd.array([pd.NA] * len(out), dtype="Int64")
    rows = data.baseline
    categories = rows[column].astype("string")
    for indicator_id in dict.fromkeys(out["indicator"]):
        definition = data.logframe.indicator(indicator_id).definition
        if definition is None or definition.statistic != "proportion" or not definition.variable:
            continue
        values = pd.to_numeric(rows[definition.variable], errors="coerce")
        population = (
            np.asarray(definition.population.holds(rows), dtype=bool)
            if definition.population is not None
            else np.ones(len(rows), dtype=bool)
        )
        hits = ((values == 1) & values.notna()) & population
        by_category = hits.groupby(categories).sum()
        mine = (out["indicator"] == indicator_id).to_numpy()
        for position in np.flatnonzero(mine):
            category = out[column].iloc[position]
            value = hits.sum() if category == TOTAL else by_category.get(str(category), 0)
            counts[position] = int(value)
    out["count"] = counts
    return out


# --------------------------------------------------------------------------- balance, scales
def balance(data: BaselineData) -> pd.DataFrame:
    """:func:`evaluation.impact.balance_table` of the respondents between the areas, with
    params ``balance``: CR1 clustered by school, design-weighted by default."""
    spec = data.params["balance"]
    design = data.logframe.designs[data.logframe.tables[data.params["table"]].design]
    return balance_table(
        data.respondents,
        spec["variables"],
        spec["arm"],
        cluster=spec["cluster"],
        weights=design.weights if spec["weights"] else None,
        comparison=spec["comparison"],
        level=data.params["level"],
    )


def reliability(data: BaselineData) -> pd.DataFrame:
    """Cronbach's alpha of each scale of params ``scales`` (items, reversal and range from
    the logframe's derived-variable definitions), among the respondents.

    Returns
    -------
    DataFrame
        One row per scale: ``scale, k, n, n_complete, raw_alpha, std_alpha, average_r,
        weakest_item, weakest_item_rest_r`` (the lowest item-rest correlation),
        ``best_alpha_if_deleted, best_item_to_drop`` (the highest alpha when one item is
        left out, and that item; above ``raw_alpha`` the item weakens the scale).
    """
    definitions = data.logframe.derived.get(data.params["table"], {})
    rows = []
    for name in data.params["scales"]:
        spec = definitions.get(name)
        if spec is None or spec.kind != "scale":
            scales = [k for k, v in definitions.items() if v.kind == "scale"]
            raise ParamsError(
                f"params 'scales': '{name}' is not a scale of the logframe's derived "
                f"variables{did_you_mean(name, scales)}; scales: {format_values(scales)}"
            )
        options = spec.options
        alpha = cronbach_alpha(
            data.respondents,
            list(options["items"]),
            reverse=list(options.get("reverse") or []) or None,
            min_score=options.get("min_score"),
            max_score=options.get("max_score"),
        )
        rows.append(_alpha_row(name, alpha))
    return pd.DataFrame(rows)


def _alpha_row(name: str, alpha: pd.DataFrame) -> dict[str, object]:
    scale = alpha[alpha["item"].fillna("") == ""].set_index("statistic")
    items = alpha[alpha["statistic"] == "item_rest_r"].reset_index(drop=True)
    dropped = alpha[alpha["statistic"] == "alpha_if_deleted"]
    weakest = items.loc[items["estimate"].idxmin()] if len(items) else None
    best = dropped.loc[dropped["estimate"].idxmax()] if len(dropped) else None
    return {
        "scale": name,
        "k": int(scale.at["raw_alpha", "k"]),
        "n": int(scale.at["raw_alpha", "n"]),
        "n_complete": int(scale.at["raw_alpha", "n_complete"]),
        "raw_alpha": scale.at["raw_alpha", "estimate"],
        "std_alpha": scale.at["std_alpha", "estimate"],
        "average_r": scale.at["average_r", "estimate"],
        "weakest_item": None if weakest is None else weakest["item"],
        "weakest_item_rest_r": np.nan if weakest is None else weakest["estimate"],
        "best_alpha_if_deleted": np.nan if best is None else best["estimate"],
        "best_item_to_drop": None if best is None else best["item"],
    }


# --------------------------------------------------------------------------- risk, MDE
def risk(data: BaselineData) -> RiskModel:
    """The risk-factor model of params ``risk`` on the baseline design.

    With ``penalty: auto`` the model is fitted by maximum likelihood and, when the rarer
    outcome has fewer than 10 events per model term (Peduzzi et al. 1996), refitted with
    Firth's penalised likelihood, which removes the small-sample bias away from 1.
    """
    spec = data.params["risk"]
    arguments = {"modifiable": spec["modifiable"], "level": data.params["level"]}
    if spec["penalty"] == "firth":
        return risk_model(
            data.design, spec["outcome"], spec["factors"], penalty="firth", **arguments
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewEventsWarning)  # the reading says so
        model = risk_model(data.design, spec["outcome"], spec["factors"], **arguments)
    if spec["penalty"] == "auto" and float(model.fit.iloc[0]["epv"]) < MIN_EPV:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FewEventsWarning)
            model = risk_model(
                data.design, spec["outcome"], spec["factors"], penalty="firth", **arguments
            )
    return model


def minimum_detectable_effects(data: BaselineData) -> pd.DataFrame:
    """:func:`evaluation.endline_power.endline_mde` on the respondents, with params ``mde``
    (outcomes, attrition, power, alpha), schools as clusters and the project area treated."""
    spec, balance_spec = data.params["mde"], data.params["balance"]
    arms = sorted(data.respondents[balance_spec["arm"]].dropna().astype(str).unique())
    treated = next(a for a in arms if a != balance_spec["comparison"])
    return endline_mde(
        data.respondents,
        spec["outcomes"],
        cluster=balance_spec["cluster"],
        arm=balance_spec["arm"],
        treated_value=treated,
        attrition=spec["attrition"],
        power=spec["power"],
        alpha=spec["alpha"],
        level=data.params["level"],
    )
