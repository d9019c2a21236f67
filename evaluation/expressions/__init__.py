"""XLSForm expressions: the XPath subset real forms use, parsed once and evaluated over a table.

An XLSForm's ``relevant``, ``constraint``, ``calculation`` and ``choice_filter`` cells hold
XPath 1.0 expressions with ODK extensions (``${field}``, ``selected()``, ``regex()``...).
:func:`compile_expression` parses one into a tree once (never with Python ``eval``);
:meth:`Expression.evaluate` then runs it over every row of a :class:`pandas.DataFrame` at once
with numpy, and :meth:`Expression.evaluate_row` runs it on one row (a dict) for messages.

Semantics (XPath 1.0 as ODK's JavaRosa applies it; the reference is the ODK XForms spec):

- ``${name}`` and bare names are answers (columns); ``.`` is the current answer. An empty or
  missing answer is the empty string ``''``; as a number it is NaN.
- ``=`` / ``!=``: if either side is a boolean, both are compared as booleans; else if either is a
  number (or date), as numbers; two numeric columns compare as numbers (two empty answers are
  equal); everything else compares as strings, so ``${q} = 'a'`` compares a select's stored code.
- ``<``, ``<=``, ``>``, ``>=`` always compare numbers. Any comparison with NaN is false, except
  ``!=``, which is the negation of ``=`` (IEEE 754, as JavaRosa does).
- Strings become numbers as XPath ``number()`` reads them (``-?digits[.digits]``, surrounding
  spaces allowed, nothing else); ISO dates and date-times also become numbers, the days since
  1970-01-01, so ``${end_date} >= ${start_date}`` and ``. <= today()`` work on text exports.
- A boolean of an answer is true when the answer is not empty.

Only what the project's and real third-party forms use is supported; XPath paths and
predicates (``/data/x``, ``instance('l')/root/item[...]``) and functions such as
``pulldata()`` raise :class:`~evaluation.errors.UnsupportedExpressionError`.

Modules: :mod:`~evaluation.expressions.values` (conversions between strings, numbers and
dates), :mod:`~evaluation.expressions.frame` (the table and its column views),
:mod:`~evaluation.expressions.vector` and :mod:`~evaluation.expressions.scalar` (values and
operators, vectorised and for one row), :mod:`~evaluation.expressions.functions` (the function
table) and :mod:`~evaluation.expressions.evaluate` (compiled expressions).
"""

from evaluation.expressions.evaluate import Expression, compile_expression
from evaluation.expressions.frame import ExpressionFrame
from evaluation.expressions.functions import FUNCTIONS as FUNCTIONS
from evaluation.expressions.functions import UNSUPPORTED_FUNCTIONS as UNSUPPORTED_FUNCTIONS
from evaluation.expressions.values import days_to_string as days_to_string
from evaluation.expressions.values import number_to_string, string_to_number

__all__ = [
    "Expression",
    "ExpressionFrame",
    "compile_expression",
    "number_to_string",
    "string_to_number",
]
