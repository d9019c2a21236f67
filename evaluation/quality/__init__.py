"""High-frequency data-quality checks, as IPA's checks do, driven by the questionnaires.

The data-quality notebook (``notebooks/00_data_quality.ipynb``) calls::

    checks = quality.run_checks(run)          # read clean data, run every check
    quality.present.durations(checks)         # a section's table, in the report language
    quality.narrative.durations(checks)       # its sentence
    quality.write_field_workbook(checks, run.output_path("field_workbook.xlsx"))

Each check is also a function on one clean table returning a tidy table (a result table
from :func:`evaluation.results.make_result` where a row is an estimate, a plain listing
otherwise). Modules, one idea each:

``settings``       thresholds and codes from params (:class:`QualitySettings`)
``data``           read the clean folder (:func:`load_clean`)
``rows``           per-submission facts: flags, dates, assent
``ingestion``      files, rules and columns from the ingestion log
``duplicates``     duplicates set aside by ingestion
``durations``      interview duration against the median
``nonresponse``    missing, don't-know and refusal rates where relevant
``outliers``       constraint breaks and IQR fences
``enumerators``    per-enumerator summaries and tests against the others
``assent``         assent refusals
``days``           submissions per day
``panel``          baseline–endline matching of the panel code
``listing``        :func:`flagged_submissions`, the field team's list
``checks``         :func:`run_checks`: everything, once
``present``, ``narrative``, ``field_workbook``: the report's tables, sentences and workbook
"""

from evaluation.quality.assent import assent_refusals
from evaluation.quality.checks import QualityChecks, run_checks
from evaluation.quality.data import CleanData, load_clean
from evaluation.quality.days import submissions_per_day
from evaluation.quality.duplicates import duplicate_rows, duplicate_summary
from evaluation.quality.durations import duration_summary, short_interviews, short_threshold
from evaluation.quality.enumerators import compare_rate, enumerator_summary, holm
from evaluation.quality.field_workbook import write_field_workbook
from evaluation.quality.ingestion import column_changes, file_summary, rule_counts
from evaluation.quality.listing import flagged_submissions
from evaluation.quality.narrative import heading
from evaluation.quality.nonresponse import item_nonresponse
from evaluation.quality.outliers import constraint_violations, iqr_fences, iqr_outliers
from evaluation.quality.panel import panel_matching, panel_problems
from evaluation.quality.settings import PanelSettings, QualitySettings

__all__ = [
    "CleanData",
    "PanelSettings",
    "QualityChecks",
    "QualitySettings",
    "assent_refusals",
    "column_changes",
    "compare_rate",
    "constraint_violations",
    "duplicate_rows",
    "duplicate_summary",
    "duration_summary",
    "enumerator_summary",
    "file_summary",
    "flagged_submissions",
    "heading",
    "holm",
    "iqr_fences",
    "iqr_outliers",
    "item_nonresponse",
    "load_clean",
    "panel_matching",
    "panel_problems",
    "rule_counts",
    "run_checks",
    "short_interviews",
    "short_threshold",
    "submissions_per_day",
    "write_field_workbook",
]
