"""The capacity-building report: trainings, people reached, completion, knowledge, reaction,
the KVSP capacity scorecard and the capacity and partnership indicators.

The computations the report needs beyond the logframe's views (``training_participants``,
``knowledge_pairs``, ``capacity_domains``) and the statistical engine
(:func:`evaluation.impact.pre_post`, :func:`~evaluation.impact.pre_post.mcnemar`):

=============  ===========================================================================
module         what it does
=============  ===========================================================================
``data``       :func:`load_capacity`: read the clean tables, choose the trainings of the run
               (period, start date, courses), build the views, the labels and the rules
``training``   :func:`trainings_held`, :func:`completion`, :func:`people_by`,
               :func:`people_crosstab`, :func:`add_roles` (Kirkpatrick's reach)
``knowledge``  :func:`knowledge_change`, :func:`item_pairs`, :func:`item_change`,
               :func:`reaction_scores`, :func:`unpaired_tests` (levels 1 and 2)
``scorecard``  :func:`merge_institution_types`, :func:`scorecard_scores`,
               :func:`scorecard_change` (the KVSP scorecard round on round)
``present``    display tables in the report's language, protected against small cells
               exactly as the workbook
``charts``     the figures (hours attended, knowledge before/after, scorecard by round)
``narrative``  headings, sentences, method notes and the e-mail summary
``sheets``     :func:`write_donor_workbook` through :class:`evaluation.report.donor.DonorWorkbook`
=============  ===========================================================================

The notebook ``notebooks/30_capacity_building.ipynb`` (``workbench run capacity``) calls
these in order; see the README section "The capacity-building report".
"""

from evaluation.capacity.data import CapacityData, Rules, load_capacity, period_end
from evaluation.capacity.knowledge import (
    ITEM_OUTCOMES,
    item_change,
    item_pairs,
    knowledge_change,
    reaction_scores,
    unpaired_tests,
)
from evaluation.capacity.scorecard import (
    merge_institution_types,
    scorecard_change,
    scorecard_scores,
)
from evaluation.capacity.sheets import write_donor_workbook
from evaluation.capacity.training import (
    NOT_RECORDED,
    TOTAL,
    add_roles,
    completion,
    people_by,
    people_crosstab,
    trainings_held,
)

__all__ = [
    "ITEM_OUTCOMES",
    "NOT_RECORDED",
    "TOTAL",
    "CapacityData",
    "Rules",
    "add_roles",
    "completion",
    "item_change",
    "item_pairs",
    "knowledge_change",
    "load_capacity",
    "merge_institution_types",
    "people_by",
    "people_crosstab",
    "period_end",
    "reaction_scores",
    "scorecard_change",
    "scorecard_scores",
    "trainings_held",
    "unpaired_tests",
    "write_donor_workbook",
]
