"""``params/schedule.yaml``: which reports run when, for which period, and where they go.

The file is checked strictly before anything runs: an unknown key is an error with a "did
you mean" hint, and every problem names the job and the key. SMTP settings are never read
from this file (passwords do not belong in a file that is committed); they come only from the
``WORKBENCH_SMTP_*`` environment variables (:mod:`evaluation.schedule.delivery.smtp`)::

    admin: evaluation-admin@example.org      # failure reports (optional, recommended)
    log_dir: reports/_schedule               # optional
    defaults:                                # optional: any job key except id, report, cron
      timezone: Europe/Tirane
      catch_up: 3d
    jobs:
      - id: monitoring-monthly
        report: monitoring
        cron: "0 7 2 * *"                    # 07:00 on the 2nd, Tirana time
        period: previous_month
        languages: [en, sq]
        recipients:
          - pm@example.org
          - {address: kvsp@example.org, language: sq}
        folder: /mnt/shared/reports

Job keys are listed in :data:`JOB_KEYS` with their meaning and default; the checked result is
a :class:`~evaluation.schedule.model.Schedule` of :class:`~evaluation.schedule.model.Job`.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Mapping
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from evaluation.errors import ParamsError, did_you_mean
from evaluation.params import LANGUAGES, REPORTS, display_path, load_params, read_params_file
from evaluation.paths import params_dir, project_root, reports_dir
from evaluation.schedule.cron import CronSchedule, cron_problem
from evaluation.schedule.durations import format_duration, parse_duration
from evaluation.schedule.model import DEFAULT_TIMEZONE, Job, Recipient, Retries, Schedule
from evaluation.schedule.periods import PERIOD_RULES

SCHEDULE_FILE = "schedule.yaml"
STATE_DIR = "_schedule"
FORMAT_CHOICES: dict[str, tuple[str, ...]] = {
    "html": ("html",),
    "workbook": ("workbook",),
    "both": ("html", "workbook"),
}

TOP_KEYS: dict[str, str] = {
    "admin": "e-mail address that receives failure reports",
    "log_dir": "folder for schedule.log (default reports/_schedule)",
    "defaults": "values for every job (any job key except id, report, cron, params)",
    "jobs": "the list of jobs",
}
JOB_KEYS: dict[str, str] = {
    "id": "job name: lower-case letters, digits, '-' and '_' (required)",
    "report": f"report to run: {', '.join(REPORTS)} (required)",
    "params": "params YAML of the run (default params/<report>.yaml if it exists)",
    "cron": "five-field cron expression on the job's wall clock, e.g. '0 7 2 * *' (required)",
    "timezone": f"IANA time zone of the cron expression (default {DEFAULT_TIMEZONE})",
    "period": f"period the run covers: {', '.join(PERIOD_RULES)} (required)",
    "language": "language of the e-mail and of the first report: en or sq (default en)",
    "languages": "report languages to produce, e.g. [en, sq] (default [language])",
    "formats": "what to deliver: html, workbook or both (default both)",
    "recipients": "e-mail addresses, or {address: ..., language: sq} (default none)",
    "folder": "shared folder to copy the files to, with dated names (default none)",
    "link_base": "URL of the reports folder, for links to files too large to attach",
    "catch_up": "how late a missed run may still run, e.g. 3d or 12h (default 1d)",
    "retries": "{attempts: 3, backoff: 5m, max_backoff: 1h}: runs and deliveries",
    "max_attachment_mb": "largest total attachment in MB; above it, send links (default 10)",
    "admin": "failure reports for this job (default: the top-level admin)",
    "enabled": "false to keep a job in the file without running it (default true)",
}
RETRY_KEYS: dict[str, str] = {
    "attempts": "tries in all, the first included (default 3)",
    "backoff": "wait after the first failure, doubled after each next one (default 5m)",
    "max_backoff": "longest wait between tries (default 1h)",
}
NOT_IN_DEFAULTS = ("id", "report", "cron", "params")
SMTP_WORDS = ("password", "host", "port", "user", "security")

_JOB_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_ADDRESS = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")


def default_schedule_file(root: Path | None = None) -> Path:
    """``params/schedule.yaml`` of the project."""
    return params_dir(root) / SCHEDULE_FILE


def state_dir(root: Path | None = None) -> Path:
    """``reports/_schedule``: the ledger, the lock files and (by default) the log."""
    return reports_dir(root) / STATE_DIR


def load_schedule(path: str | Path | None = None, root: Path | None = None) -> Schedule:
    """Read and check a schedule file.

    Parameters
    ----------
    path : path, optional
        The schedule YAML (default ``params/schedule.yaml``).
    root : Path, optional
        Project root (default :func:`evaluation.paths.project_root`).

    Returns
    -------
    Schedule

    Raises
    ------
    ParamsError
        Listing every problem found, each with the job and key: unknown keys (with "did you
        mean"), a bad cron expression, time zone, duration or e-mail address, an unknown
        report or period rule, repeated job ids, a params file that is missing or invalid
        for its report, SMTP settings put in the file.
    """
    root = Path(root or project_root()).resolve()
    path = Path(path) if path is not None else default_schedule_file(root)
    if not path.is_absolute():
        path = (Path.cwd() / path).resolve()
    source = display_path(path, root)
    data = read_params_file(path, root)
    problems: list[str] = []
    _unknown(data, TOP_KEYS, "", problems)
    admin = _address_or_none(data.get("admin"), "key 'admin'", problems)
    log_dir = _path(data.get("log_dir"), root, "key 'log_dir'", problems) or state_dir(root)
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        problems.append(f"key 'defaults': expected a mapping of job keys, found {_kind(defaults)}")
        defaults = {}
    for key in defaults:
        if key in NOT_IN_DEFAULTS:
            problems.append(f"key 'defaults.{key}': set {key} in each job, not in defaults")
    _unknown(defaults, JOB_KEYS, "", problems, under="defaults.")
    jobs = _jobs(data.get("jobs"), defaults, admin, root, problems)
    if problems:
        raise ParamsError(f"{source}: " + "; ".join(problems))
    timezone = defaults.get("timezone") or DEFAULT_TIMEZONE
    return Schedule(path, root, tuple(jobs), admin, log_dir, state_dir(root), timezone)


# --------------------------------------------------------------------------- jobs
def _jobs(
    raw: Any, defaults: Mapping[str, Any], admin: str | None, root: Path, problems: list[str]
) -> list[Job]:
    if raw is None:
        problems.append("key 'jobs' is missing; list at least one job (see JOB_KEYS)")
        return []
    if not isinstance(raw, list):
        problems.append(f"key 'jobs': expected a list of jobs ('- id: ...'), found {_kind(raw)}")
        return []
    jobs: list[Job] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(raw):
        where = f"jobs[{index}]"
        if not isinstance(entry, dict):
            problems.append(
                f"{where}: expected a mapping (id, report, cron ...), found {_kind(entry)}"
            )
            continue
        job_id = entry.get("id")
        if isinstance(job_id, str):
            where = f"job '{job_id}'"
            if job_id in seen:
                problems.append(
                    f"{where}: id repeats jobs[{seen[job_id]}]; give each job its own id"
                )
            seen.setdefault(job_id, index)
        before = len(problems)
        _unknown(entry, JOB_KEYS, f"{where}, ", problems)
        job = _job({**defaults, **entry}, where, admin, root, problems)
        if job is not None and len(problems) == before:
            jobs.append(job)
    return jobs


def _job(
    values: Mapping[str, Any], where: str, admin: str | None, root: Path, problems: list[str]
) -> Job | None:
    before = len(problems)

    def say(key: str, text: str) -> None:
        problems.append(f"{where}, key '{key}': {text}")

    job_id = _job_id(values.get("id"), say)
    report = _choice(values.get("report"), REPORTS, "report", say, required=True)
    period = _choice(values.get("period"), PERIOD_RULES, "period", say, required=True)
    cron = _cron(values.get("cron"), values.get("timezone") or DEFAULT_TIMEZONE, say)
    language = _choice(values.get("language") or "en", LANGUAGES, "language", say)
    languages = _languages(values.get("languages"), language, say)
    formats = _formats(values.get("formats"), say)
    recipients = _recipients(values.get("recipients"), language, languages, say)
    folder = _path(values.get("folder"), root, f"{where}, key 'folder'", problems)
    link_base = _link_base(values.get("link_base"), say)
    catch_up = _duration(values.get("catch_up"), dt.timedelta(days=1), "catch_up", say)
    retries = _retries(values.get("retries"), where, say, problems)
    max_bytes = _megabytes(values.get("max_attachment_mb"), say)
    job_admin = _address_or_none(values.get("admin"), f"{where}, key 'admin'", problems)
    enabled = values.get("enabled", True)
    if not isinstance(enabled, bool):
        say("enabled", f"expected true or false, found {_kind(enabled)}")
    params = _params_file(values.get("params"), root, say)
    if len(problems) > before:
        return None
    job = Job(
        id=job_id,
        report=report,
        cron=cron,
        period=period,
        params=params,
        language=language,
        languages=languages,
        formats=formats,
        recipients=recipients,
        folder=folder,
        link_base=link_base,
        catch_up=catch_up,
        retries=retries,
        max_attachment_bytes=max_bytes,
        admin=job_admin or admin,
        enabled=enabled,
    )
    _check_report_params(job, root, say)
    return job


def _job_id(value: Any, say) -> str:
    if value is None:
        say("id", "missing; give the job a short name such as 'monitoring-monthly'")
    elif not isinstance(value, str) or not _JOB_ID.match(value):
        say(
            "id",
            f"{value!r} is not a job name; use lower-case letters, digits, '-' and '_' "
            "(it names the lock file and appears in the ledger)",
        )
    return value


def _choice(value: Any, choices: tuple[str, ...], key: str, say, required: bool = False) -> str:
    if value is None:
        if required:
            say(key, f"missing; choose one of {', '.join(choices)}")
        return ""
    if value not in choices:
        hint = did_you_mean(str(value), choices)
        say(key, f"{value!r} is not one of {', '.join(choices)}{hint}")
    return value


def _cron(expression: Any, timezone: Any, say) -> CronSchedule | None:
    zone_ok = True
    if not isinstance(timezone, str):
        say(
            "timezone",
            f"expected a time zone name such as {DEFAULT_TIMEZONE}, found {_kind(timezone)}",
        )
        zone_ok = False
    else:
        try:
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            hint = did_you_mean(timezone, zoneinfo.available_timezones())
            say("timezone", f"'{timezone}' is not an IANA time zone{hint}; e.g. {DEFAULT_TIMEZONE}")
            zone_ok = False
    if expression is None:
        say("cron", "missing; e.g. '0 7 2 * *' (07:00 on the 2nd of every month)")
        return None
    problem = cron_problem(expression)
    if problem:
        say("cron", f"{expression!r} is not a cron expression: {problem}")
        return None
    return CronSchedule(expression.strip(), timezone) if zone_ok else None


def _languages(value: Any, language: str, say) -> tuple[str, ...]:
    if value is None:
        return (language,)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        say("languages", f"expected a list such as [en, sq], found {_kind(value)}")
        return (language,)
    bad = [v for v in value if v not in LANGUAGES]
    if bad:
        say(
            "languages",
            f"{', '.join(map(repr, bad))}: not a report language ({', '.join(LANGUAGES)})",
        )
    if len(set(value)) != len(value):
        say("languages", "a language is listed twice")
    ordered = [language, *[v for v in value if v != language]] if language in value else value
    return tuple(ordered)


def _formats(value: Any, say) -> tuple[str, ...]:
    if value is None:
        return FORMAT_CHOICES["both"]
    if isinstance(value, str):
        if value in FORMAT_CHOICES:
            return FORMAT_CHOICES[value]
        say(
            "formats",
            f"{value!r} is not one of html, workbook, both{did_you_mean(value, FORMAT_CHOICES)}",
        )
        return ()
    if isinstance(value, list) and value and all(v in ("html", "workbook") for v in value):
        return tuple(f for f in ("html", "workbook") if f in value)
    say("formats", f"expected html, workbook or both, found {_kind(value)}")
    return ()


def _recipients(
    value: Any, language: str, languages: tuple[str, ...], say
) -> tuple[Recipient, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        say("recipients", f"expected a list of e-mail addresses, found {_kind(value)}")
        return ()
    found: list[Recipient] = []
    for i, item in enumerate(value):
        text, lang = item, language
        if isinstance(item, dict):
            extra = sorted(set(item) - {"address", "language"})
            if extra:
                say(
                    f"recipients[{i}]",
                    f"unknown key(s) {', '.join(extra)}; use address and language",
                )
                continue
            text, lang = item.get("address"), item.get("language") or language
        address = _address(text)
        if address is None:
            say(f"recipients[{i}]", f"{text!r} is not an e-mail address (name@example.org)")
            continue
        if lang not in languages:
            say(
                f"recipients[{i}]",
                f"language {lang!r} is not among the job's languages ({', '.join(languages)}); "
                f"add it to languages",
            )
            continue
        if any(r.address.lower() == address.lower() for r in found):
            say(f"recipients[{i}]", f"{address} is listed twice")
            continue
        found.append(Recipient(address, text.strip(), lang))
    return tuple(found)


def _address(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    _, address = parseaddr(text.strip())
    if not address or not _ADDRESS.match(address):
        return None
    return address


def _address_or_none(value: Any, where: str, problems: list[str]) -> str | None:
    if value is None:
        return None
    address = _address(value)
    if address is None:
        problems.append(f"{where}: {value!r} is not an e-mail address (name@example.org)")
    return address


def _path(value: Any, root: Path, where: str, problems: list[str]) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: expected a folder path, found {_kind(value)}")
        return None
    path = Path(value).expanduser()
    return path if path.is_absolute() else root / path


def _link_base(value: Any, say) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.match(r"^https?://\S+$", value):
        say("link_base", f"expected a URL starting with https://, found {_kind(value)}")
        return None
    return value.rstrip("/")


def _duration(value: Any, default: dt.timedelta, key: str, say) -> dt.timedelta:
    if value is None:
        return default
    parsed = parse_duration(value) if isinstance(value, str) else None
    if parsed is None:
        say(key, f"{value!r} is not a duration; write e.g. 3d, 12h, 90m or 1h30m")
        return default
    return parsed


def _retries(value: Any, where: str, say, problems: list[str]) -> Retries:
    if value is None:
        return Retries()
    if not isinstance(value, dict):
        say("retries", f"expected a mapping {{attempts: 3, backoff: 5m}}, found {_kind(value)}")
        return Retries()
    _unknown(value, RETRY_KEYS, f"{where}, ", problems, under="retries.")
    attempts = value.get("attempts", 3)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or not 1 <= attempts <= 20:
        say("retries.attempts", f"expected a whole number from 1 to 20, found {_kind(attempts)}")
        attempts = 3
    base = Retries()
    backoff = _duration(value.get("backoff"), base.backoff, "retries.backoff", say)
    longest = _duration(value.get("max_backoff"), base.max_backoff, "retries.max_backoff", say)
    if longest < backoff:
        say(
            "retries.max_backoff",
            f"{format_duration(longest)} is shorter than backoff {format_duration(backoff)}",
        )
    return Retries(attempts, backoff, longest)


def _megabytes(value: Any, say) -> int:
    if value is None:
        return 10 * 1024 * 1024
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        say(
            "max_attachment_mb", f"expected a number of megabytes (0 or more), found {_kind(value)}"
        )
        return 0
    return int(value * 1024 * 1024)


def _params_file(value: Any, root: Path, say) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str):
        say("params", f"expected a file path such as params/monitoring.yaml, found {_kind(value)}")
        return None
    path = Path(value).expanduser()
    path = path if path.is_absolute() else root / path
    if not path.is_file():
        say("params", f"{value} does not exist")
        return None
    return path


def _check_report_params(job: Job, root: Path, say) -> None:
    """Load the job's params as the run will, so a mistake shows now, not at 07:00."""
    default = params_dir(root) / f"{job.report}.yaml"  # as the pipeline's default_params_file
    path = job.params or (default if default.is_file() else None)
    month = "2000-01" if job.period != "none" else None
    try:
        load_params(job.report, path, job.overrides(month), root)
    except ParamsError as error:
        say("params", error.one_line())


# --------------------------------------------------------------------------- wording
def _unknown(
    values: Mapping[str, Any],
    known: Mapping[str, str],
    prefix: str,
    problems: list[str],
    under: str = "",
) -> None:
    """Report keys not in ``known``; ``prefix`` says where (``job 'x', ``), ``under`` is the
    parent key (``retries.``)."""
    for key in values:
        if key in known:
            continue
        name = f"{under}{key}"
        if _smtp_like(name):
            problems.append(
                f"{prefix}key '{name}': SMTP settings are read only from the environment "
                "(WORKBENCH_SMTP_HOST, _PORT, _SECURITY, _USER, _PASSWORD, WORKBENCH_MAIL_FROM), "
                "never from this file; remove it"
            )
            continue
        problems.append(
            f"{prefix}unknown key '{name}'{did_you_mean(str(key), known)}. "
            f"Valid keys: {', '.join(known)}"
        )


def _smtp_like(name: str) -> bool:
    words = set(re.split(r"[_.\-]", name.lower()))
    return "smtp" in name.lower() or bool(words & set(SMTP_WORDS)) or "mail_from" in name.lower()


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, int | float):
        return f"{value!r} (a number)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
