"""``workbench schedule list | once | serve | test-email``: the command line of the scheduler.

Thin: each action parses its options, calls one library function and prints its result.
Heavy imports (croniter, the pipeline) happen inside the handlers, so ``workbench --help``
stays fast.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add the ``schedule`` verb and its actions to the ``workbench`` parser."""
    p = sub.add_parser(
        "schedule",
        help="scheduled report runs and their delivery (list | once | serve | test-email)",
        description=(
            "Run reports on a schedule (params/schedule.yaml) and deliver them by e-mail or "
            "to a shared folder, at most once per job and period. The ledger and the lock "
            "files are in reports/_schedule/, the log in reports/_schedule/schedule.log. "
            "SMTP settings come only from the WORKBENCH_SMTP_* environment variables."
        ),
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    show = actions.add_parser(
        "list",
        help="each job's next run times (local and UTC) and last outcome",
        description="Check the schedule file and show each job's next run times in its time "
        "zone and in UTC, its delivery targets, and the last outcome from the ledger.",
    )
    _config_option(show)
    _at_option(show, "show the next run times after this time instead of now")
    show.add_argument(
        "--count", type=int, default=3, metavar="N", help="next run times per job (default 3)"
    )
    show.set_defaults(handler=_cmd_list)

    once = actions.add_parser(
        "once",
        help="run whatever is due, deliver it, and exit (for cron or a systemd timer)",
        description=(
            "Run every job that is due since its last run (within its catch_up window; older "
            "ones are recorded as missed and reported to the administrator), resume work an "
            "interrupted run left, retry failed deliveries, and exit. Prints one line per "
            "action; exit status 1 if a run or delivery failed. Safe to start often: a job is "
            "never delivered twice for a period, and a job another scheduler is running is "
            "skipped."
        ),
    )
    _config_option(once)
    _at_option(once, "take this as the current time (catching up by hand, tests)")
    once.add_argument(
        "--job", action="append", metavar="ID", help="only this job (may be repeated)"
    )
    once.set_defaults(handler=_cmd_once)

    serve = actions.add_parser(
        "serve",
        help="run the schedule in the foreground until SIGTERM/SIGINT",
        description=(
            "Run the schedule in the foreground: do what is due, sleep until the next "
            "scheduled time, repeat. Logs to reports/_schedule/schedule.log (or the "
            "schedule's log_dir) and to stderr. SIGTERM or Ctrl-C stops it after the "
            "current step (exit 0); a second signal abandons the step, which is resumed later."
        ),
    )
    _config_option(serve)
    serve.set_defaults(handler=_cmd_serve)

    test = actions.add_parser(
        "test-email",
        help="send a test message with the current SMTP settings",
        description=(
            "Send a test message with the WORKBENCH_SMTP_* settings of this environment and "
            "print what happened: server, port, security, whether it logs in (never the "
            "password)."
        ),
    )
    test.add_argument(
        "--to", metavar="ADDRESS", help="recipient (default: the schedule's admin address)"
    )
    _config_option(test)
    test.set_defaults(handler=_cmd_test_email)


# --------------------------------------------------------------------------- handlers
def _cmd_list(args: argparse.Namespace) -> int:
    from evaluation.schedule.config import load_schedule
    from evaluation.schedule.overview import describe_schedule

    schedule = load_schedule(args.config)
    print(describe_schedule(schedule, _now(args.at, schedule.timezone), max(args.count, 1)))
    return 0


def _cmd_once(args: argparse.Namespace) -> int:
    import logging

    from evaluation.errors import DeliveryError, ReportError
    from evaluation.schedule.config import load_schedule
    from evaluation.schedule.jobs import Services, run_once
    from evaluation.schedule.logs import scheduler_logging
    from evaluation.schedule.serve import stop_on_signals

    schedule = load_schedule(args.config)
    if args.job:
        for job_id in args.job:
            schedule.job(job_id)  # unknown ids are an error, with "did you mean"
    services = Services()
    now = _now(args.at, schedule.timezone)
    with (
        scheduler_logging(schedule.log_dir, logging.ERROR) as log_file,
        stop_on_signals(services.stop),
    ):
        actions = run_once(schedule, now, services, args.job)
    for action in actions:
        print(action.describe())
    if not actions:
        print("nothing due")
    failures = [a for a in actions if a.failed]
    if failures:
        kind = (
            ReportError
            if any(a.status in ("failed", "gave_up") for a in failures)
            else DeliveryError
        )
        shown = " | ".join(a.describe() for a in failures[:3])
        more = f" and {len(failures) - 3} more" if len(failures) > 3 else ""
        raise kind(f"{len(failures)} problem(s): {shown}{more}; details in {log_file}")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from evaluation.schedule.serve import serve

    return serve(args.config)


def _cmd_test_email(args: argparse.Namespace) -> int:
    from evaluation.errors import ParamsError
    from evaluation.schedule.config import load_schedule
    from evaluation.schedule.delivery.smtp import SmtpSettings, send_test_email

    settings = SmtpSettings.from_env()
    to = args.to
    if to is None:
        try:
            to = load_schedule(args.config).admin
        except ParamsError:
            to = None
        if to is None:
            raise ParamsError(
                "no recipient: give --to ADDRESS, or set admin: in params/schedule.yaml"
            )
    print(f"SMTP server: {settings.describe()}")
    print(f"From: {settings.mail_from}")
    print(f"To: {to}", flush=True)
    print(send_test_email(settings, to))
    return 0


# --------------------------------------------------------------------------- options
def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="schedule file (default params/schedule.yaml)",
    )


def _at_option(parser: argparse.ArgumentParser, text: str) -> None:
    parser.add_argument(
        "--at",
        type=_iso_time,
        metavar="ISO-TIME",
        help=f"{text}; e.g. 2026-11-02T07:05 (the schedule's default time zone, "
        "Europe/Tirane unless set) or 2026-11-02T06:05Z",
    )


def _iso_time(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 time; write e.g. 2026-11-02T07:05 or 2026-11-02T06:05Z"
        ) from None


def _now(at: dt.datetime | None, timezone: str) -> dt.datetime:
    if at is None:
        return dt.datetime.now(dt.UTC)
    if at.tzinfo is None:
        from zoneinfo import ZoneInfo

        at = at.replace(tzinfo=ZoneInfo(timezone))
    return at.astimezone(dt.UTC)
