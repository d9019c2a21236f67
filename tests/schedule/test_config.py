"""params/schedule.yaml: strict checks with messages that name the job and the key."""

import datetime as dt
from pathlib import Path

import pytest
from schedule_fakes import MONTHLY, write_schedule

from evaluation.errors import ParamsError
from evaluation.schedule.config import load_schedule
from evaluation.schedule.durations import format_duration, parse_duration
from evaluation.schedule.model import Retries

ROOT = Path(__file__).resolve().parents[2]

MINIMAL = """\
jobs:
  - id: capacity
    report: capacity
    cron: "0 8 5 1,4,7,10 *"
    period: none
"""


def load(project, text):
    return load_schedule(write_schedule(project, text), project)


def error_of(project, text) -> str:
    with pytest.raises(ParamsError) as caught:
        load(project, text)
    return str(caught.value)


# --------------------------------------------------------------------------- good files
def test_the_shipped_schedule_is_valid():
    schedule = load_schedule(ROOT / "params" / "schedule.yaml", ROOT)
    monitoring = schedule.job("monitoring-monthly")
    assert monitoring.report == "monitoring" and monitoring.period == "previous_month"
    assert monitoring.timezone == "Europe/Tirane" and monitoring.languages == ("en", "sq")
    assert [r.language for r in monitoring.recipients] == ["en", "sq"]
    assert monitoring.catch_up == dt.timedelta(days=3)
    assert schedule.job("capacity-quarterly").period == "none"
    assert schedule.admin == "evaluation-admin@example.org"


def test_defaults_of_a_minimal_job(project):
    schedule = load(project, MINIMAL)
    job = schedule.job("capacity")
    assert job.timezone == "Europe/Tirane"
    assert job.languages == ("en",) and job.formats == ("html", "workbook")
    assert job.recipients == () and job.folder is None and job.targets == ()
    assert job.catch_up == dt.timedelta(days=1)
    assert job.retries == Retries(3, dt.timedelta(minutes=5), dt.timedelta(hours=1))
    assert job.max_attachment_bytes == 10 * 1024 * 1024 and job.enabled
    assert schedule.state_dir == project / "reports" / "_schedule"
    assert schedule.log_dir == schedule.state_dir


def test_the_test_schedule_resolves_every_key(project):
    job = load(project, MONTHLY).job("monthly")
    first, second = job.recipients
    assert (first.address, first.display, first.language) == (
        "pm@example.org",
        "Project Manager <pm@example.org>",
        "en",
    )
    assert (second.address, second.language) == ("kvsp@example.org", "sq")
    assert job.targets == ("mailto:pm@example.org", "mailto:kvsp@example.org")
    assert job.admin == "admin@example.org"
    assert job.overrides("2026-10") == {
        "language": "en",
        "languages": ["en", "sq"],
        "formats": ["html", "workbook"],
        "period": "2026-10",
    }


def test_defaults_apply_to_every_job_and_jobs_override_them(project, tmp_path):
    text = (
        "defaults:\n  catch_up: 12h\n  formats: html\n  folder: "
        + str(tmp_path)
        + "\n"
        + MINIMAL
        + "    formats: [workbook]\n"
    )
    job = load(project, text).job("capacity")
    assert job.catch_up == dt.timedelta(hours=12)
    assert job.formats == ("workbook",)
    assert job.folder == tmp_path and job.targets == (f"folder:{tmp_path}",)


def test_relative_paths_are_relative_to_the_project(project):
    (project / "params" / "capacity_q.yaml").write_text("run_label: quarterly\n")
    text = MINIMAL + "    params: params/capacity_q.yaml\n    folder: shared/out\n"
    job = load(project, text).job("capacity")
    assert job.params == project / "params" / "capacity_q.yaml"
    assert job.folder == project / "shared" / "out"


# --------------------------------------------------------------------------- mistakes
def test_unknown_job_key_gets_did_you_mean(project):
    message = error_of(project, MINIMAL + "    recipents: [pm@example.org]\n")
    assert "job 'capacity', unknown key 'recipents' (did you mean 'recipients'?)" in message
    assert "Valid keys: id, report, params, cron" in message


def test_unknown_top_level_and_retry_keys(project):
    message = error_of(project, "admn: a@example.org\n" + MINIMAL + "    retries: {tries: 2}\n")
    assert "unknown key 'admn' (did you mean 'admin'?)" in message
    assert "job 'capacity', unknown key 'retries.tries'. Valid keys: attempts" in message


def test_bad_cron_names_the_job(project):
    message = error_of(project, MINIMAL.replace("0 8 5 1,4,7,10 *", "0 8 5 *"))
    assert message.startswith("params/schedule.yaml: ")
    assert (
        "job 'capacity', key 'cron': '0 8 5 *' is not a cron expression: expected 5 fields"
        in message
    )
    message = error_of(project, MINIMAL.replace("0 8 5 1,4,7,10 *", "0 8 30 2 *"))
    assert "never matches a real date" in message


def test_bad_time_zone_gets_did_you_mean(project):
    message = error_of(project, MINIMAL + "    timezone: Europe/Tirana\n")
    assert "'Europe/Tirana' is not an IANA time zone (did you mean 'Europe/Tirane'?)" in message


def test_bad_email_addresses(project):
    text = MINIMAL + "    recipients: [pm@example, 'Ana <ana@example.org>', ana@example.org]\n"
    message = error_of(project, "admin: nobody\n" + text)
    assert "key 'admin': 'nobody' is not an e-mail address" in message
    assert "key 'recipients[0]': 'pm@example' is not an e-mail address" in message
    assert "key 'recipients[2]': ana@example.org is listed twice" in message


def test_unknown_report_and_period(project):
    text = MINIMAL.replace("report: capacity", "report: monitorng").replace(
        "period: none", "period: last_month"
    )
    message = error_of(project, text)
    assert "key 'report': 'monitorng' is not one of" in message
    assert "(did you mean 'monitoring'?)" in message
    assert "key 'period': 'last_month' is not one of previous_month, current_month, none" in message


def test_recipient_language_must_be_produced(project):
    text = MINIMAL + "    recipients: [{address: k@example.org, language: sq}]\n"
    message = error_of(project, text)
    assert "language 'sq' is not among the job's languages (en); add it to languages" in message


def test_durations_and_formats_are_checked(project):
    text = MINIMAL + "    catch_up: 3 days\n    formats: pdf\n    max_attachment_mb: -1\n"
    message = error_of(project, text)
    assert "key 'catch_up': '3 days' is not a duration" in message
    assert "key 'formats': 'pdf' is not one of html, workbook, both" in message
    assert "key 'max_attachment_mb': expected a number of megabytes" in message


def test_repeated_job_ids_are_refused(project):
    message = error_of(project, MINIMAL + MINIMAL.replace("jobs:\n", ""))
    assert "job 'capacity': id repeats jobs[0]" in message


def test_smtp_settings_in_the_file_are_refused(project):
    message = error_of(project, "smtp_password: hunter2\n" + MINIMAL + "    smtp_host: mail\n")
    assert message.count("SMTP settings are read only from the environment") == 2
    assert "hunter2" not in message


def test_params_file_must_exist_and_be_valid_for_the_report(project):
    message = error_of(project, MINIMAL + "    params: params/nope.yaml\n")
    assert "key 'params': params/nope.yaml does not exist" in message
    (project / "params" / "capacity.yaml").write_text("min_cel_size: 5\n")
    message = error_of(project, MINIMAL)
    assert "key 'params': params/capacity.yaml: unknown key 'min_cel_size'" in message
    assert "did you mean 'min_cell_size'" in message


def test_every_problem_is_listed_at_once(project):
    text = MINIMAL.replace("0 8 5 1,4,7,10 *", "every day") + "    languages: [en, fr]\n"
    message = error_of(project, text)
    assert "key 'cron'" in message and "'fr': not a report language" in message


def test_jobs_must_be_a_list(project):
    assert "key 'jobs' is missing" in error_of(project, "admin: a@example.org\n")
    assert "expected a list of jobs" in error_of(project, "jobs: {id: x}\n")


def test_missing_schedule_file(project):
    with pytest.raises(ParamsError, match="does not exist"):
        load_schedule(project / "params" / "nothing.yaml", project)


def test_unknown_job_lookup(project):
    with pytest.raises(ParamsError, match="no job 'capacty' \\(did you mean 'capacity'\\?\\)"):
        load(project, MINIMAL).job("capacty")


# --------------------------------------------------------------------------- durations
@pytest.mark.parametrize(
    ("text", "seconds"),
    [("3d", 259200), ("12h", 43200), ("90m", 5400), ("1h30m", 5400), ("0.5s", 0.5), ("1w", 604800)],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["3", "3 days", "m5", "30m1h", "", "1d1d"])
def test_parse_duration_refuses(text):
    assert parse_duration(text) is None


def test_format_duration_round_trips():
    for text in ("3d", "1h30m", "1w2d", "45s"):
        assert format_duration(parse_duration(text)) == text


def test_retry_delays_double_up_to_the_cap():
    retries = Retries(5, dt.timedelta(minutes=5), dt.timedelta(minutes=30))
    assert [retries.delay(k).total_seconds() / 60 for k in (1, 2, 3, 4, 5)] == [5, 10, 20, 30, 30]
