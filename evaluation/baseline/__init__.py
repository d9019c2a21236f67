"""The baseline report (``notebooks/10_baseline.ipynb``, ``workbench run baseline``).

Modules, one idea each: :mod:`~evaluation.baseline.data` (read and prepare the data once),
:mod:`~evaluation.baseline.sections` (each section's numbers, as tidy tables),
:mod:`~evaluation.baseline.present` (display tables and figures in the report's language,
small cells hidden), :mod:`~evaluation.baseline.narrative` (the sentences) and
:mod:`~evaluation.baseline.workbook` (the donor workbook).
"""

from evaluation.baseline.data import BaselineData, load

__all__ = ["BaselineData", "load"]
