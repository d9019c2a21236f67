"""The domestic-violence referral mechanism in a period (VKM 327/2021; domain brief §5).

From the DV case log (form E) with the logframe's derived variables
(:func:`evaluation.indicators.prepare_tables`: ``days_to_review``, ``days_to_plan``,
``reviewed_3wd``, ``n_services``, ``services_2plus``), for the cases **registered** in each
period:

- cases by referral source, violence type (a case may have several), risk level and unit;
- the median days from the report to the technical group's review and to an individual
  plan, over the cases that have that date;
- the share of cases reviewed by the technical group or given a plan within 3 working days
  of registration (Albanian public holidays skipped; a case not yet reviewed counts as not
  timely; indicator OC2.3);
- services per case (mean) and the share with at least two services.

Protection orders are counted by the date of the request or decision, whatever the case's
registration month: the police preliminary order issued, the immediate protection order
(UMM) and the protection order (UM) requested and issued in the period.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from evaluation.monitoring.counting import count_categories, count_total, from_counts, statistic
from evaluation.monitoring.periods import Window, months_of
from evaluation.results import stack_results
from evaluation.validation import require_columns

DATE = "date_registered"
"""A case belongs to the month it was registered in (as indicator OC2.3)."""

BREAKDOWNS: tuple[tuple[str, bool], ...] = (
    ("referral_source", False),
    ("violence_type", True),
    ("risk_level", False),
    ("admin_unit", False),
)
"""The breakdowns of the cases: (question, multiple choice)."""

TIMELINESS: tuple[tuple[str, str, str], ...] = (
    ("dv_days_to_review", "days_to_review", "median"),
    ("dv_days_to_plan", "days_to_plan", "median"),
    ("dv_reviewed_3wd", "reviewed_3wd", "share"),
    ("dv_services", "n_services", "mean"),
    ("dv_services_2plus", "services_2plus", "share"),
)
"""(measure, derived column, statistic) of the mechanism's response."""

ORDERS: tuple[tuple[str, str, str], ...] = (
    ("ppo_issued", "ppo_issued", "ppo_date"),
    ("umm_requested", "umm_requested", "umm_requested_date"),
    ("umm_issued", "umm_issued", "umm_issued_date"),
    ("um_requested", "um_requested", "um_requested_date"),
    ("um_issued", "um_issued", "um_issued_date"),
)
"""(order event, yes/no question, date of the event)."""


def case_breakdowns(
    frames: Mapping[str, pd.DataFrame], units: Sequence[str] | None = None
) -> pd.DataFrame:
    """Cases registered per period, overall and by each of :data:`BREAKDOWNS`.

    Parameters
    ----------
    frames : mapping of str to DataFrame
        ``{period label: cases registered in the period}`` (units already merged, see
        :func:`evaluation.monitoring.units.merge_units`).
    units : sequence of str, optional
        Category order of ``admin_unit`` after merging.

    Returns
    -------
    DataFrame
        Long table (:mod:`evaluation.monitoring.counting`), measure ``dv_cases``; the total
        rows (category ``"All"``) are the cases registered.
    """
    parts = []
    for variable, multiple in BREAKDOWNS:
        categories = list(units) if variable == "admin_unit" and units is not None else None
        parts.append(count_categories(frames, "dv_cases", variable, categories, multiple=multiple))
    return stack_results(parts, estimator="monitoring.dv.case_breakdowns")


def cases(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Cases registered per period (one total row each, measure ``dv_cases``)."""
    return count_total(frames, "dv_cases")


def timeliness(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The statistics of :data:`TIMELINESS` per period.

    Returns
    -------
    DataFrame
        Long table, one row per measure and period; ``n`` the cases with a value (the
        cases reviewed for the median days to review, every case registered for the share
        reviewed within 3 working days).

    Notes
    -----
    Days to review are calendar days after the report date up to the review; working days
    (for the 3-day rule) are Monday-Friday after the registration date up to the earlier of
    the review and the plan, less Albanian public holidays
    (:func:`evaluation.derive.days_between`).
    """
    parts = [statistic(frames, measure, column, kind) for measure, column, kind in TIMELINESS]
    return stack_results(parts, estimator="monitoring.dv.timeliness")


def protection_orders(cases_log: pd.DataFrame, windows: Sequence[Window]) -> pd.DataFrame:
    """Protection orders requested and issued in each period, by the date of the event.

    Parameters
    ----------
    cases_log : DataFrame
        Every case of the log (not only those registered in the period).
    windows : sequence of Window

    Returns
    -------
    DataFrame
        Long table, measure ``dv_orders``, variable ``order``, one row per event of
        :data:`ORDERS` and period (no total row: the events do not add up).
    """
    require_columns(cases_log, [c for _, q, d in ORDERS for c in (q, d)], what="DV case log")
    counts = []
    for event, question, date in ORDERS:
        said_yes = cases_log[question].astype("string").eq("yes").fillna(False)
        month = months_of(cases_log[date], f"DV case log, column '{date}'")
        for win in windows:
            count = int((said_yes & month.isin(win.months).fillna(False)).sum())
            counts.append(("dv_orders", "order", win.label, event, count))
    return from_counts(counts, "protection orders by the date requested or issued")
