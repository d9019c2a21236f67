"""The donor workbook: the Excel file a UK-funded programme reports its results in.

One :class:`DonorWorkbook` per run and language. Reports add their sheets through it, and it
makes every sheet safe to leave the workbench and styled as a careful analyst would:

=================  ==========================================================================
sheet              method
=================  ==========================================================================
About (first)      written by :meth:`~DonorWorkbook.save`: project, period, run id and date,
                   data sources with SHA-256, method notes, the small-cell rule
Logframe           :meth:`~DonorWorkbook.add_logframe` (from ``indicators.logframe_table``):
                   id, level, indicator, unit, baseline, milestone, target, actual with CI,
                   % of target, status (on track / at risk / off track, coloured), source
Headline           :meth:`~DonorWorkbook.add_headline_chart`: a native Excel bar chart of
                   the headline percent indicators (baseline, actual, target)
one per dimension  :meth:`~DonorWorkbook.add_disaggregation` (from
                   ``indicators.disaggregation_table``): sex, age band, disability, unit, arm
Impact             :meth:`~DonorWorkbook.add_impact`: any table of effect estimates
Balance            :meth:`~DonorWorkbook.add_balance` (from ``impact.balance_table``)
Sample             :meth:`~DonorWorkbook.add_sample`: respondents by characteristic and arm
anything else      :meth:`~DonorWorkbook.add_table` (capacity ... sheets), or
                   :meth:`~DonorWorkbook.add_protected` for a table protected already
                   (monitoring, whose suppression is decided across its tables)
=================  ==========================================================================

**Safe.** Every table goes through :func:`protect` before it is written: a row (cell) based
on fewer than ``min_cell_size`` respondents (unweighted ``n``; default 10) is blanked, and
with ``by=`` columns the table is treated as a grid with its totals, so further cells are
blanked until no hidden one can be worked back from the others and the totals (secondary
suppression, :func:`evaluation.privacy.suppress_results`). Hidden cells are shaded grey, a
"Suppressed" column says why, and a footnote in the workbook's language says so. Columns
that are personal fields (``forbidden``, from the instruments' ``personal_data``) or
row-level metadata (``_submission_id`` ...) are refused with a :class:`PrivacyError`; no cell
starts a formula from data (:func:`evaluation.privacy.safe_cell`, in
:class:`~evaluation.report.workbook.Workbook`).

**Readable.** Headers, sheet names, levels, units, statuses and the fixed text come from
``evaluation/report/i18n/<language>.yaml`` (``donor.*``), and the logframe's own text
(indicator names, sources) from ``params/logframe.yaml`` in the language; numbers stay
numbers with Excel formats (percent indicators ``0.0%``, scores ``0.0``, counts ``#,##0``,
p-values ``0.000`` or ``<0.001``; the format follows each row's unit); headers are filled,
frozen and filtered; columns are sized and long text wraps, rows as tall as their text;
sheets print landscape, one page wide.

**Reproducible.** The document's times are the run's (from its id), never the wall clock:
the same inputs and params give the same workbook values (and bytes).

The package has one module per idea: :mod:`~evaluation.report.donor.protect` (small-cell
protection), :mod:`~evaluation.report.donor.formatting` (columns, formats, fills and words
of the donor sheets; the balance table's wide shape), :mod:`~evaluation.report.donor.book`
(the workbook object and its generic writers) and :mod:`~evaluation.report.donor.sheets`
(the donor-shaped sheets).

Examples
--------
>>> book = DonorWorkbook.for_run(run, instruments=[youth_form])          # doctest: +SKIP
>>> book.add_logframe(logframe_table(logframe, results, as_of=date(2022, 12, 31)))
>>> book.add_disaggregation(disaggregation_table(logframe, tables, "sex"), "sex",
...                         dimension_label="Sex", labels={"sex": {"female": "Female"}})
>>> book.add_table("Trainings", trainings, by=["institution", "sex"], title="People trained")
>>> book.save(run.output_path("donor_workbook.xlsx"))
"""

from evaluation.report.donor.book import (
    ROW_LEVEL_COLUMNS,
    DonorWorkbook,
    personal_fields,
    run_time,
)
from evaluation.report.donor.formatting import (
    DONOR_NAMESPACES,
    STATUS_FILLS,
    SUPPRESSED_FILL,
    TOTAL_FILL,
    UNIT_FORMATS,
    balance_wide,
    code_labels,
    reason_text,
)
from evaluation.report.donor.protect import TOTAL, TOTALS, Protected, protect, protect_sample

__all__ = [
    "DONOR_NAMESPACES",
    "ROW_LEVEL_COLUMNS",
    "STATUS_FILLS",
    "SUPPRESSED_FILL",
    "TOTAL",
    "TOTALS",
    "TOTAL_FILL",
    "UNIT_FORMATS",
    "DonorWorkbook",
    "Protected",
    "balance_wide",
    "code_labels",
    "personal_fields",
    "protect",
    "protect_sample",
    "reason_text",
    "run_time",
]
