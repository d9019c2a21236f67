"""Derived variables and views: what analysis needs that the forms do not store, defined once.

Definitions live in data (``params/logframe.yaml``, sections ``derived:`` and ``views:``),
never in notebooks:

* :func:`add_derived` adds row-wise variables to a clean table: ``scale`` (mean of items with
  reverse coding and a minimum of valid items, optionally 0-100), ``binary`` and ``count``
  (XLSForm-style conditions evaluated by :mod:`evaluation.expressions`), ``number``, ``band``
  (e.g. age 10-14 / 15-17 / 18-24) and ``days`` (calendar or working days between dates,
  Albanian public holidays optional). See :mod:`evaluation.derive.variables`.
* :func:`derived_view` builds a table with another unit: ``completion`` (attendance register
  to participant x training, with the >= 80 % completion rule), ``pre_post`` (knowledge tests
  to pre/post pairs, with the 70 % / +20 points threshold) and ``stack`` (score columns to
  rows). See :mod:`evaluation.derive.views`.

Modules: :mod:`~evaluation.derive.checks` (strict checks of YAML definitions),
:mod:`~evaluation.derive.variables`, :mod:`~evaluation.derive.views`,
:mod:`~evaluation.derive.workdays` (working days and holidays).
"""

from evaluation.derive.variables import (
    KINDS,
    DerivedVariable,
    add_derived,
    check_inputs,
    evaluate_condition,
    numeric_values,
    parse_derived,
)
from evaluation.derive.views import VIEW_DEFAULTS, View, derived_view, parse_view
from evaluation.derive.workdays import days_between, holiday_dates

__all__ = [
    "KINDS",
    "VIEW_DEFAULTS",
    "DerivedVariable",
    "View",
    "add_derived",
    "check_inputs",
    "days_between",
    "derived_view",
    "evaluate_condition",
    "holiday_dates",
    "numeric_values",
    "parse_derived",
    "parse_view",
]
