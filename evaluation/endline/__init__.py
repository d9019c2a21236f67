"""The endline impact report (``notebooks/20_endline_impact.ipynb``, ``workbench run endline``).

:func:`analyse` computes everything the report shows from the clean data and the params
(the ``impact:`` plan of ``params/endline.yaml``): the linked panel and attrition, the effect
on every outcome by every estimator with CR1 and wild-bootstrap inference, standardised
effects and p-values adjusted within each family, heterogeneity by sex and age group, Lee
bounds when attrition differs between the arms, and the logframe's indicators against
baseline and target. The notebook shows the parts through :mod:`~evaluation.endline.present`
(tables, the coefficient plot) and :mod:`~evaluation.endline.narrative` (sentences and method
notes in the report's language), saves the tidy effects table (:func:`save_effects`) and
writes the donor workbook (:func:`write_donor_workbook`).

Modules: :mod:`~evaluation.endline.analysis`, :mod:`~evaluation.endline.bounds` (Lee bounds
on the panel effects), :mod:`~evaluation.endline.labels` (names and effects in the report's
language), :mod:`~evaluation.endline.present`, :mod:`~evaluation.endline.narrative` and
:mod:`~evaluation.endline.workbook`.
"""

from evaluation.endline.analysis import EndlineReport, analyse, save_effects
from evaluation.endline.bounds import attrition_bounds
from evaluation.endline.workbook import write_donor_workbook

__all__ = ["EndlineReport", "analyse", "attrition_bounds", "save_effects", "write_donor_workbook"]
