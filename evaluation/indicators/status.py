"""Where an indicator stands against its milestones: the pro-rata path and the status rule.

The **path** runs through the baseline, the dated milestones and the target, straight
between consecutive points (by calendar date); before the baseline it is the baseline and
after the target the target. The **status** of an actual value at a date compares it with
the path's value at that date, in the indicator's direction:

* ``on track``: at or beyond the path (higher-is-better: actual >= path; lower: actual <= path);
* ``at risk``: short of the path by at most ``margin`` x |target - baseline| (default 10 %
  of the distance from baseline to target; ``status_rule.margin`` in the logframe);
* ``off track``: further short than that;
* ``no data`` when there is no actual value, ``no target`` when the indicator has no
  baseline or no target.

``pct_of_target`` is the share of the planned change achieved,
``(actual - baseline) / (target - baseline)``; with no baseline, ``actual / target``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math

from evaluation.indicators.model import Dated, Indicator, StatusRule

_EPSILON = 1e-12


def path_points(indicator: Indicator) -> list[tuple[dt.date, float]]:
    """Baseline, milestones and target as ``(date, value)``, in date order."""
    points = [indicator.baseline, *indicator.milestones, indicator.target]
    return [(p.date, p.value) for p in points if p is not None and p.date and p.value is not None]


def expected_value(indicator: Indicator, when: dt.date) -> float:
    """The value on the pro-rata path at ``when`` (NaN without at least one dated point).

    Notes
    -----
    Between points :math:`(t_0, v_0)` and :math:`(t_1, v_1)`:
    :math:`v(t) = v_0 + (v_1 - v_0)(t - t_0)/(t_1 - t_0)`, with :math:`t` in days.
    """
    points = path_points(indicator)
    if not points:
        return math.nan
    if when <= points[0][0]:
        return points[0][1]
    for (t0, v0), (t1, v1) in itertools.pairwise(points):
        if when <= t1:
            return v0 + (v1 - v0) * (when - t0).days / (t1 - t0).days
    return points[-1][1]


def latest_milestone(indicator: Indicator, when: dt.date | None) -> Dated | None:
    """The last milestone due on or before ``when`` (the target once it is due)."""
    if when is None:
        return None
    due = [m for m in (*indicator.milestones, indicator.target) if m and m.date and m.date <= when]
    return due[-1] if due else None


def pct_of_target(indicator: Indicator, actual: float) -> float:
    """Share of the planned change achieved (see module docstring); NaN when undefined."""
    target = indicator.target.value if indicator.target else None
    if target is None or actual is None or math.isnan(actual):
        return math.nan
    start = indicator.baseline.value if indicator.baseline else None
    if start is None:
        return actual / target if target else math.nan
    return (actual - start) / (target - start) if target != start else math.nan


def indicator_status(
    indicator: Indicator, actual: float, when: dt.date | None, rule: StatusRule | None = None
) -> str:
    """``on track``, ``at risk``, ``off track``, ``no data`` or ``no target`` (see module).

    Parameters
    ----------
    indicator : Indicator
    actual : float
        The estimate, in the indicator's units (a proportion for percent indicators).
    when : date
        The date the actual refers to (the end of its period). ``None``: the target date.
    rule : StatusRule, optional
        The margin for "at risk" (default 10 %).
    """
    rule = rule or StatusRule()
    if not indicator.computable:
        return "not collected"
    if actual is None or math.isnan(actual):
        return "no data"
    if indicator.baseline is None or indicator.target is None:
        return "no target"
    when = when or indicator.target.date
    expected = expected_value(indicator, when)
    sign = 1.0 if indicator.direction == "higher" else -1.0
    shortfall = sign * (expected - actual)  # > 0: behind the path
    distance = abs(indicator.target.value - indicator.baseline.value)
    if distance == 0:
        distance = abs(indicator.target.value)
    if shortfall <= _EPSILON * max(1.0, abs(expected)):
        return "on track"
    if shortfall <= rule.margin * distance + _EPSILON:
        return "at risk"
    return "off track"
