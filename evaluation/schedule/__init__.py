"""Scheduled report runs and their delivery (``workbench schedule``).

``params/schedule.yaml`` lists jobs: a report, a cron expression in a time zone, the period
each run covers, and where it goes (e-mail recipients, a shared folder). The parts:

``config``     the schedule file, checked strictly (:func:`load_schedule`)
``model``      the checked schedule: Job, Recipient, Retries, Schedule
``cron``       cron expressions on a time zone's wall clock, with daylight-saving rules
``periods``    period rules (``previous_month`` ...) → the period a run covers
``due``        what a job has to do now (due, missed, skipped, open work)
``jobs``       carry it out: run with retries, deliver once per period (:func:`run_once`)
``ledger``     the append-only record of runs and deliveries (``reports/_schedule/ledger.jsonl``)
``lock``       one scheduler per job at a time (``flock``)
``alerts``     failure reports to the administrator
``summary``    the ``summary.<lang>.json`` contract between report notebooks and the e-mail
``delivery``   ``smtp`` (environment-configured SMTP), ``folder`` (shared drive), ``message``
``serve``      the foreground loop and its signal handling
``running``    run the report: tries, backoff, resuming an interrupted try
``delivering`` deliver a run: folder first, then one e-mail per recipient
``overview``   the text of ``workbench schedule list``
``command``    the ``workbench schedule`` command line

Importing this package is cheap (notebooks import :mod:`evaluation.schedule.summary`); the
names below load their module on first use.
"""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "load_schedule": "evaluation.schedule.config",
    "Schedule": "evaluation.schedule.model",
    "Job": "evaluation.schedule.model",
    "run_once": "evaluation.schedule.jobs",
    "Services": "evaluation.schedule.jobs",
    "Action": "evaluation.schedule.jobs",
    "serve": "evaluation.schedule.serve",
    "Ledger": "evaluation.schedule.ledger",
    "JobLock": "evaluation.schedule.lock",
    "write_summary": "evaluation.schedule.summary",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'evaluation.schedule' has no attribute {name!r}")
