"""Due times: cron in Europe/Tirane across daylight-saving changes, period rules, catch-up,
and what ``plan_job`` decides from the ledger."""

import datetime as dt
import itertools

import pytest
from schedule_fakes import MONTHLY, NOW, TIRANA, write_schedule

from evaluation.cli import main
from evaluation.schedule.config import load_schedule
from evaluation.schedule.cron import CronSchedule, cron_problem, wall_to_instant
from evaluation.schedule.due import plan_job
from evaluation.schedule.ledger import Ledger
from evaluation.schedule.periods import period_for

UTC = dt.UTC


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


# --------------------------------------------------------------------------- cron and DST
# In 2026 Tirana moves to CEST (UTC+2) at 02:00 on Sunday 29 March and back to CET (UTC+1)
# at 03:00 on Sunday 25 October (EU rules, as in the IANA database).
def test_a_daily_time_follows_the_wall_clock_across_both_changes():
    cron = CronSchedule("0 7 * * *", "Europe/Tirane")
    spring = cron.between(utc(2026, 3, 27), utc(2026, 3, 31))
    assert [m.hour for m in spring] == [6, 6, 5, 5], "07:00 CET is 06:00 UTC, 07:00 CEST 05:00"
    autumn = cron.between(utc(2026, 10, 23), utc(2026, 10, 27))
    assert [m.hour for m in autumn] == [5, 5, 6, 6]
    assert all(cron.local(m).hour == 7 for m in spring + autumn)


def test_a_time_skipped_in_spring_runs_once_at_the_end_of_the_gap():
    cron = CronSchedule("30 2 * * *", "Europe/Tirane")
    times = cron.between(utc(2026, 3, 28), utc(2026, 3, 30, 12))
    assert times == [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30)]
    assert cron.local(times[1]).strftime("%H:%M %Z") == "03:00 CEST"


def test_a_time_repeated_in_autumn_runs_once_at_its_first_occurrence():
    cron = CronSchedule("30 2 * * *", "Europe/Tirane")
    times = cron.between(utc(2026, 10, 24, 12), utc(2026, 10, 25, 12))
    assert times == [utc(2026, 10, 25, 0, 30)]
    assert cron.local(times[0]).strftime("%H:%M %Z") == "02:30 CEST"


def test_hourly_runs_on_the_days_of_the_changes():
    cron = CronSchedule("0 * * * *", "Europe/Tirane")
    # (after, until]: the local days 29 March (23 h long) and 25 October (25 h long).
    spring_day = cron.between(utc(2026, 3, 28, 22, 59), utc(2026, 3, 29, 21, 59))
    autumn_day = cron.between(utc(2026, 10, 24, 21, 59), utc(2026, 10, 25, 22, 59))
    assert len(spring_day) == 23, "02:00 does not exist; it runs at 03:00 with 03:00 itself"
    assert len(autumn_day) == 24, "the repeated 02:00 runs once"
    for times in (spring_day, autumn_day):
        assert all(a < b for a, b in itertools.pairwise(times))


def test_wall_to_instant_for_normal_skipped_and_repeated_times():
    assert wall_to_instant(dt.datetime(2026, 1, 15, 9, 0), TIRANA) == utc(2026, 1, 15, 8, 0)
    assert wall_to_instant(dt.datetime(2026, 3, 29, 2, 15), TIRANA) == utc(2026, 3, 29, 1, 0)
    assert wall_to_instant(dt.datetime(2026, 10, 25, 2, 15), TIRANA) == utc(2026, 10, 25, 0, 15)


def test_other_time_zones_and_next_after():
    cron = CronSchedule("0 9 * * mon", "America/New_York")
    nxt = cron.next_after(utc(2026, 11, 2, 15), 2)  # after Monday 2 Nov 10:00 EST
    assert nxt == [utc(2026, 11, 9, 14), utc(2026, 11, 16, 14)]
    assert CronSchedule("@monthly").next_after(utc(2026, 3, 15), 1) == [utc(2026, 3, 31, 22)]


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("0 7 2 *", "expected 5 fields"),
        ("0 7 2 * * 2026", "seconds and years are not supported"),
        ("61 * * * *", "out of range"),
        ("0 7 31 2 *", "never matches a real date"),
        ("@reboot", "not one of the aliases"),
        ("", "expected a cron expression"),
    ],
)
def test_cron_problems(expression, problem):
    assert problem in cron_problem(expression)


@pytest.mark.parametrize("expression", ["0 7 2 * *", "*/15 8-17 * * mon-fri", "@daily"])
def test_good_cron_expressions(expression):
    assert cron_problem(expression) is None


# --------------------------------------------------------------------------- periods
def test_period_rules():
    due = dt.datetime(2027, 1, 2, 7, 0, tzinfo=TIRANA)
    previous = period_for("previous_month", due)
    assert (previous.key, previous.month, previous.stem) == ("2026-12", "2026-12", "2026-12")
    assert previous.label("en") == "December 2026" and previous.label("sq") == "dhjetor 2026"
    assert period_for("current_month", due).key == "2027-01"
    none = period_for("none", due)
    assert (none.key, none.month, none.stem) == ("2027-01-02T07:00", None, "2027-01-02")
    assert none.label("sq") == "2 janar 2027"


def test_the_period_is_taken_on_the_local_date():
    # 23:30 UTC on 31 October is already 1 November in Tirana (CET, UTC+1).
    cron = CronSchedule("30 0 1 * *", "Europe/Tirane")
    (due,) = cron.between(utc(2026, 10, 31), utc(2026, 11, 1))
    assert due == utc(2026, 10, 31, 23, 30)
    assert period_for("previous_month", cron.local(due)).key == "2026-10"


# --------------------------------------------------------------------------- planning
@pytest.fixture
def job(project):
    return load_schedule(write_schedule(project), project).job("monthly")


def test_first_call_plans_the_time_within_catch_up(job):
    (task,) = plan_job(job, {}, None, NOW.astimezone(UTC))
    assert (task.kind, task.period.key, task.fresh) == ("work", "2026-10", True)
    assert task.due == utc(2026, 11, 2, 6, 0)


def test_first_call_ignores_times_older_than_catch_up(job):
    assert plan_job(job, {}, None, utc(2026, 11, 20)) == []


def test_times_since_the_last_one_dealt_with(job):
    tasks = plan_job(job, {}, utc(2026, 9, 2, 6), utc(2026, 12, 3, 12))
    assert [(t.kind, t.period.key) for t in tasks] == [
        ("missed", "2026-09"),
        ("missed", "2026-10"),
        ("work", "2026-11"),
    ]


def test_delivered_period_is_skipped_and_open_work_is_resumed(project, job):
    ledger = Ledger(project / "reports" / "_schedule")
    due = utc(2026, 11, 2, 6)
    ledger.append("monthly", "2026-10", "run_started", due, attempt=1)
    ledger.append("monthly", "2026-10", "run_finished", due, run_id="r1", folder="x")
    for target in job.targets:
        ledger.append("monthly", "2026-10", "delivery_sent", due, target=target)
    later = load_schedule(
        write_schedule(project, MONTHLY.replace('"0 7 2 * *"', '"0 7 2-4 * *"')), project
    ).job("monthly")
    periods = ledger.periods("monthly")
    (task,) = plan_job(later, periods, ledger.last_due("monthly"), utc(2026, 11, 3, 6, 5))
    assert (task.kind, task.reason) == ("skipped", "already delivered for this period")
    ledger.append("monthly", "2026-09", "run_started", utc(2026, 10, 2, 5), attempt=1)
    (task,) = plan_job(job, ledger.periods("monthly"), utc(2026, 11, 2, 6), utc(2026, 11, 2, 9))
    assert (task.kind, task.period.key, task.fresh) == ("work", "2026-09", False)


def test_a_recipient_added_later_does_not_get_old_periods(project, job):
    ledger = Ledger(project / "reports" / "_schedule")
    due = utc(2026, 9, 2, 5)
    ledger.append("monthly", "2026-08", "run_finished", due, run_id="r", folder="x")
    ledger.append("monthly", "2026-08", "delivery_sent", due, target="mailto:pm@example.org")
    # kvsp@example.org was added since: August is not sent to it in November.
    tasks = plan_job(job, ledger.periods("monthly"), due, NOW.astimezone(UTC))
    assert [(t.kind, t.period.key) for t in tasks] == [("missed", "2026-09"), ("work", "2026-10")]


def test_rule_none_runs_only_the_latest_time(project):
    text = MONTHLY.replace('"0 7 2 * *"', '"0 7 * * *"').replace("previous_month", "none")
    job = load_schedule(write_schedule(project, text), project).job("monthly")
    (task,) = plan_job(job, {}, utc(2026, 10, 25, 6), utc(2026, 11, 3, 9))
    assert (task.kind, task.period.key, task.superseded) == ("work", "2026-11-03T07:00", 8)

    weekly = load_schedule(
        write_schedule(project, text.replace('"0 7 * * *"', '"0 7 * * mon"')), project
    ).job("monthly")
    # Mondays 26 Oct, 2 and 9 Nov passed while the scheduler was down; on Thursday 12 Nov
    # all are beyond the 3-day catch-up: one missed entry, not three.
    (task,) = plan_job(weekly, {}, utc(2026, 10, 19, 5), utc(2026, 11, 12, 9))
    assert (task.kind, task.period.key, task.count) == ("missed", "2026-11-09T07:00", 3)


def test_an_every_minute_job_is_planned_quickly(project):
    text = MONTHLY.replace('"0 7 2 * *"', '"* * * * *"').replace("previous_month", "none")
    job = load_schedule(write_schedule(project, text), project).job("monthly")
    (task,) = plan_job(job, {}, None, utc(2026, 11, 3, 9, 30, 10))  # 3 days = 4,320 times
    assert task.due == utc(2026, 11, 3, 9, 30) and task.superseded == 4319


def test_times_of_a_delivered_period_beyond_catch_up_are_not_missed(project):
    text = MONTHLY.replace('"0 7 2 * *"', '"0 7 2-9 * *"')
    job = load_schedule(write_schedule(project, text), project).job("monthly")
    ledger = Ledger(project / "reports" / "_schedule")
    due = utc(2026, 11, 2, 6)
    ledger.append("monthly", "2026-10", "run_finished", due, run_id="r", folder="x")
    for target in job.targets:
        ledger.append("monthly", "2026-10", "delivery_sent", due, target=target)
    tasks = plan_job(job, ledger.periods("monthly"), due, utc(2026, 11, 20))
    assert [(t.kind, t.period.key) for t in tasks] == [("skipped", "2026-10")]


def test_disabled_job_plans_nothing(project):
    text = MONTHLY + "    enabled: false\n"
    job = load_schedule(write_schedule(project, text), project).job("monthly")
    assert plan_job(job, {}, None, NOW.astimezone(UTC)) == []


# --------------------------------------------------------------------------- list
def test_list_shows_local_and_utc_times_and_the_last_outcome(project, capsys):
    text = MONTHLY.replace('"0 7 2 * *"', '"30 2 * * sun"')
    write_schedule(project, text)
    assert main(["schedule", "list", "--at", "2026-10-20T12:00", "--count", "2"]) == 0
    out = capsys.readouterr().out
    assert "monthly: monitoring report, cron '30 2 * * sun' in Europe/Tirane" in out
    assert "next: 2026-10-25 02:30 CEST  (00:30 UTC)  period 2026-09" in out
    assert "2026-11-01 02:30 CET   (01:30 UTC)  period 2026-10" in out
    assert "to:   pm@example.org (en); kvsp@example.org (sq)" in out
    assert "last: never run" in out
    ledger = Ledger(project / "reports" / "_schedule")
    due = utc(2026, 10, 25, 0, 30)
    ledger.append("monthly", "2026-09", "run_finished", due, run_id="RID", folder="x")
    ledger.append("monthly", "2026-09", "delivery_sent", due, target="mailto:pm@example.org")
    assert main(["schedule", "list"]) == 0
    assert "last: 2026-09: delivered to 1 of 2 targets (run RID)" in capsys.readouterr().out


def test_list_reports_a_bad_schedule_in_one_line(project, capsys):
    write_schedule(project, MONTHLY.replace("previous_month", "last_month"))
    assert main(["schedule", "list"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "job 'monthly', key 'period'" in err
