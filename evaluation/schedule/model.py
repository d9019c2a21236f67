"""The checked schedule: jobs, their recipients and retry rules, as frozen dataclasses.

:func:`evaluation.schedule.config.load_schedule` builds them from ``params/schedule.yaml``;
everything else in the scheduler reads them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation.errors import ParamsError, did_you_mean
from evaluation.params import display_path
from evaluation.schedule.cron import CronSchedule

DEFAULT_TIMEZONE = "Europe/Tirane"


@dataclass(frozen=True)
class Recipient:
    """One e-mail recipient.

    Attributes
    ----------
    address : str
        The bare address (``pm@example.org``).
    display : str
        As written in the file (``Ana Hoxha <pm@example.org>``), for the To header.
    language : str
        Language of the message and of the attached files.
    """

    address: str
    display: str
    language: str

    @property
    def target(self) -> str:
        """Ledger name of this delivery target: ``mailto:pm@example.org``."""
        return f"mailto:{self.address}"


@dataclass(frozen=True)
class Retries:
    """How often, and how patiently, a failing run or delivery is tried again.

    The wait before try ``k + 1`` (after ``k`` failures) is
    ``min(backoff * 2**(k - 1), max_backoff)``: 5 min, 10 min, 20 min ... by default.
    """

    attempts: int = 3
    backoff: dt.timedelta = dt.timedelta(minutes=5)
    max_backoff: dt.timedelta = dt.timedelta(hours=1)

    def delay(self, failures: int) -> dt.timedelta:
        """Wait after ``failures`` failed tries (``failures >= 1``)."""
        return min(self.backoff * 2 ** max(failures - 1, 0), self.max_backoff)


@dataclass(frozen=True)
class Job:
    """One scheduled report: what runs, when, for which period, and where it goes."""

    id: str
    report: str
    cron: CronSchedule
    period: str
    params: Path | None = None
    language: str = "en"
    languages: tuple[str, ...] = ("en",)
    formats: tuple[str, ...] = ("html", "workbook")
    recipients: tuple[Recipient, ...] = ()
    folder: Path | None = None
    link_base: str | None = None
    catch_up: dt.timedelta = dt.timedelta(days=1)
    retries: Retries = field(default_factory=Retries)
    max_attachment_bytes: int = 10 * 1024 * 1024
    admin: str | None = None
    enabled: bool = True

    @property
    def timezone(self) -> str:
        """The job's IANA time zone name."""
        return self.cron.timezone

    @property
    def targets(self) -> tuple[str, ...]:
        """Ledger names of the delivery targets: the folder first, then each recipient."""
        folder = (f"folder:{self.folder}",) if self.folder is not None else ()
        return folder + tuple(r.target for r in self.recipients)

    def overrides(self, month: str | None) -> dict[str, Any]:
        """Params for the run over the params file: period, languages and formats."""
        values: dict[str, Any] = {
            "language": self.languages[0],
            "languages": list(self.languages),
            "formats": list(self.formats),
        }
        if month is not None:
            values["period"] = month
        return values


@dataclass(frozen=True)
class Schedule:
    """A checked schedule file.

    Attributes
    ----------
    path : Path
        The file it was read from.
    root : Path
        The project root (paths in the file are relative to it).
    jobs : tuple of Job
    admin : str or None
        Default address for failure reports.
    log_dir : Path
        Where ``schedule.log`` goes.
    state_dir : Path
        ``reports/_schedule``: the ledger and the lock files.
    timezone : str
        The default time zone (for ``--at`` times given without an offset).
    """

    path: Path
    root: Path
    jobs: tuple[Job, ...]
    admin: str | None
    log_dir: Path
    state_dir: Path
    timezone: str = DEFAULT_TIMEZONE

    def job(self, job_id: str) -> Job:
        """The job called ``job_id``.

        Raises
        ------
        ParamsError
            If there is no such job (with "did you mean").
        """
        for job in self.jobs:
            if job.id == job_id:
                return job
        names = [j.id for j in self.jobs]
        raise ParamsError(
            f"{display_path(self.path, self.root)}: no job '{job_id}'"
            f"{did_you_mean(job_id, names)}; jobs: {', '.join(names) or 'none'}"
        )
