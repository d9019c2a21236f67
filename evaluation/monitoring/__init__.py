"""The monthly monitoring report: what was done, what moved and what needs attention.

``notebooks/40_monitoring.ipynb`` (``workbench run monitoring --period 2023-10``) calls::

    report = monitoring.build_report(run)     # read, check the month, compute, protect
    monitoring.present.<section>(report)      # tables and figures in the report language
    monitoring.narrative.<section>(report)    # sentences
    monitoring.write_workbook(report, run.output_path("workbook.xlsx"), run=run)

Modules, one idea each:

``periods``      months, the month before, the last twelve, and the data's range
``counting``     counts and statistics of register rows per period (tidy tables)
``compare``      this month against the month before
``dv``           the domestic-violence referral mechanism (VKM 327/2021)
``street``       children in street situations: the counting rule
``training``     trainings held and people trained
``trends``       the headline measures month by month
``units``        merging small administrative units before counting
``protect``      small-cell suppression, consistent across the report's tables
``milestones``   logframe indicators against milestones
``dataquality``  what the latest ingestion set aside and flagged
``report``       :func:`build_report`: everything, once
``present``, ``narrative``, ``workbook``: the report's tables, sentences and workbook
"""

from evaluation.monitoring.compare import compare_periods
from evaluation.monitoring.counting import count_categories, count_total, statistic
from evaluation.monitoring.periods import Window, check_period, month_label, previous, window
from evaluation.monitoring.protect import TableSpec, protect_tables
from evaluation.monitoring.report import MonitoringReport, MonitoringSettings, build_report
from evaluation.monitoring.street import CountingRule, counted_children, headcount_contacts
from evaluation.monitoring.workbook import write_workbook

__all__ = [
    "CountingRule",
    "MonitoringReport",
    "MonitoringSettings",
    "TableSpec",
    "Window",
    "build_report",
    "check_period",
    "compare_periods",
    "count_categories",
    "count_total",
    "counted_children",
    "headcount_contacts",
    "month_label",
    "previous",
    "protect_tables",
    "statistic",
    "window",
    "write_workbook",
]
