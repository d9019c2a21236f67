"""Once per period, whatever happens: repeated calls, crashes mid-run and mid-send, retries,
failures reported to the administrator, and a failed real run that leaves latest alone."""

import datetime as dt
import json

import nbformat
import pytest
from schedule_fakes import NOW, Crash, FakeRunner, events, once, publish_fake_run, write_schedule

from evaluation.cli import main
from evaluation.errors import ParamsError
from evaluation.params import parameters_cell_source
from evaluation.pipeline.publish import latest_run
from evaluation.schedule import delivering, jobs
from evaluation.schedule.config import load_schedule
from evaluation.schedule.ledger import Ledger

RECIPIENTS = ("pm@example.org", "kvsp@example.org")


def report_mails(smtp):
    return [m for m in smtp.messages() if m["Subject"] and "[workbench]" not in m["Subject"]]


def admin_mails(smtp):
    return smtp.messages("admin@example.org")


# --------------------------------------------------------------------------- once per period
def test_one_run_and_one_message_per_recipient(schedule, smtp):
    runner = FakeRunner()
    actions, _ = once(schedule, runner=runner)
    assert [a.status for a in actions] == ["published", "delivered", "delivered"]
    assert len(runner.calls) == 1
    call = runner.calls[0]
    assert call["period"] == "2026-10" and call["languages"] == ["en", "sq"]
    assert sorted(r for m in smtp.received for r in m.rcpt_tos) == sorted(RECIPIENTS)


def test_repeated_once_calls_never_send_twice(schedule, smtp):
    runner = FakeRunner()
    for minutes in (0, 1, 30, 60 * 24):  # the same day, and the next day within catch_up
        once(schedule, at=NOW + dt.timedelta(minutes=minutes), runner=runner)
    assert len(runner.calls) == 1
    assert len(smtp.received) == 2
    sent = [e for e in events(schedule) if e[0] == "delivery_sent"]
    assert len(sent) == 2


def test_a_second_scheduled_time_for_a_delivered_period_is_skipped(project, smtp):
    # Due daily on the 2nd to the 4th: the 3rd and the 4th find October delivered.
    text = write_schedule(project).read_text().replace('cron: "0 7 2 * *"', 'cron: "0 7 2-4 * *"')
    schedule = load_schedule(write_schedule(project, text), project)
    runner = FakeRunner()
    for day in (0, 1, 2):
        once(schedule, at=NOW + dt.timedelta(days=day), runner=runner)
    assert len(runner.calls) == 1 and len(smtp.received) == 2
    skipped = [e for e in events(schedule) if e[0] == "skipped"]
    assert len(skipped) == 2


def test_next_month_is_a_new_period(schedule, smtp):
    runner = FakeRunner()
    once(schedule, runner=runner)
    once(schedule, at=NOW.replace(month=12), runner=runner)
    assert [c["period"] for c in runner.calls] == ["2026-10", "2026-11"]
    assert len(smtp.received) == 4


# --------------------------------------------------------------------------- crashes
def test_crash_mid_run_is_resumed_and_delivered_once(schedule, smtp):
    runner = FakeRunner(crash="before_publish")
    with pytest.raises(Crash):
        once(schedule, runner=runner)
    assert events(schedule) == [("run_started", "2026-10", None)]
    assert smtp.received == []
    actions, _ = once(schedule, at=NOW + dt.timedelta(minutes=10), runner=runner)
    assert [a.status for a in actions] == ["published", "delivered", "delivered"]
    assert len(runner.calls) == 2, "the interrupted run is run again"
    started = [e for e in Ledger(schedule.state_dir).entries() if e["event"] == "run_started"]
    assert [e["attempt"] for e in started] == [1, 2], "the interrupted try counts as a try"
    assert len(smtp.received) == 2
    once(schedule, at=NOW + dt.timedelta(minutes=20), runner=runner)
    assert len(smtp.received) == 2 and len(runner.calls) == 2


def test_crash_after_publishing_reuses_the_published_run(schedule, smtp):
    runner = FakeRunner(crash="after_publish")
    with pytest.raises(Crash):
        once(schedule, runner=runner)
    published = latest_run("monitoring", schedule.root)
    actions, _ = once(schedule, at=NOW + dt.timedelta(minutes=10), runner=runner)
    assert len(runner.calls) == 1, "the published run is used, not run again"
    assert "recovered" in actions[0].message
    finished = [e for e in Ledger(schedule.state_dir).entries() if e["event"] == "run_finished"]
    assert finished[0]["recovered"] is True
    assert finished[0]["folder"].endswith(published.name)
    assert len(smtp.received) == 2


class CrashAfterSending:
    """Sends for real, then dies before the scheduler can record it."""

    def __init__(self, mailer, crash_on=1):
        self.mailer, self.crash_on, self.count = mailer, crash_on, 0
        self.sender = mailer.sender

    def send(self, message):
        self.mailer.send(message)
        self.count += 1
        if self.count == self.crash_on:
            raise Crash("killed between the server's 250 and the ledger line")


def test_crash_after_sending_is_not_sent_again_and_the_admin_is_asked(schedule, smtp):
    real = jobs.smtp_mailer()
    crashing = CrashAfterSending(real)
    with pytest.raises(Crash):
        once(schedule, mailer=lambda: crashing)
    assert len(smtp.received) == 1  # pm@example.org has it; the ledger says only "sending"
    last = Ledger(schedule.state_dir).entries()[-1]
    assert last["event"] == "delivery_sending" and last["target"] == "mailto:pm@example.org"
    actions, _ = once(schedule, at=NOW + dt.timedelta(minutes=10))
    statuses = {a.status for a in actions}
    assert "uncertain" in statuses
    to_pm = [r for r in smtp.received if "pm@example.org" in r.rcpt_tos]
    assert len(to_pm) == 1, "the uncertain message is not resent"
    assert len(smtp.messages("kvsp@example.org")) == 1, "the other recipient still gets it"
    alert = admin_mails(smtp)
    assert len(alert) == 1 and "check whether" in alert[0]["Subject"]
    assert last["message_id"] in alert[0].get_content()
    once(schedule, at=NOW + dt.timedelta(minutes=20))
    assert len(smtp.received) == 3, "nothing more: 2 reports and 1 admin alert"


def test_interrupted_folder_delivery_is_done_again(project, smtp, tmp_path, monkeypatch):
    share = tmp_path / "share"
    share.mkdir()
    text = write_schedule(project).read_text() + f"    folder: {share}\n"
    schedule = load_schedule(write_schedule(project, text), project)
    runner = FakeRunner()

    def dying(*args, **kwargs):
        raise Crash("killed while copying")

    with monkeypatch.context() as patch:
        patch.setattr(delivering, "deliver_to_folder", dying)
        with pytest.raises(Crash):
            once(schedule, runner=runner)
    assert list(share.iterdir()) == []
    once(schedule, at=NOW + dt.timedelta(minutes=5), runner=runner)
    names = sorted(p.name for p in share.iterdir())
    assert names == [
        "2026-10_monitoring_report.en.html",
        "2026-10_monitoring_report.sq.html",
        "2026-10_monitoring_workbook.en.xlsx",
        "2026-10_monitoring_workbook.sq.xlsx",
    ]
    assert len(smtp.received) == 2 and len(runner.calls) == 1


# --------------------------------------------------------------------------- retries
def test_a_failing_run_is_retried_with_exponential_backoff(schedule, smtp):
    runner = FakeRunner(fail=2)
    actions, services = once(schedule, runner=runner)
    assert [a.status for a in actions][:3] == ["failed", "failed", "published"]
    assert services.waits == pytest.approx([0.01, 0.02]), "backoff, then twice the backoff"
    assert len(smtp.received) == 2 and not admin_mails(smtp)


def test_backoff_is_capped_at_max_backoff(schedule):
    job = schedule.job("monthly")
    delays = [job.retries.delay(k).total_seconds() for k in (1, 2, 3, 4, 5)]
    assert delays == pytest.approx([0.01, 0.02, 0.04, 0.04, 0.04])


def test_final_failure_is_reported_to_the_admin_and_nothing_is_delivered(schedule, smtp):
    good = publish_fake_run(schedule.root, "monitoring", {"period": "2026-09"})
    runner = FakeRunner(fail=99)
    actions, services = once(schedule, runner=runner)
    assert len(runner.calls) == 3 and [a.status for a in actions][-1] == "gave_up"
    assert len(services.waits) == 2
    assert report_mails(smtp) == []
    alert = admin_mails(smtp)
    assert len(alert) == 1
    assert alert[0]["Subject"] == "[workbench] monthly: the monitoring report for 2026-10 failed"
    body = alert[0].get_content()
    assert "fake failure 3" in body and "workbench run monitoring --period 2026-10" in body
    assert latest_run("monitoring", schedule.root) == good.folder
    # A later call in the same episode does not try again, or alert again.
    once(schedule, at=NOW + dt.timedelta(hours=1), runner=runner)
    assert len(runner.calls) == 3 and len(admin_mails(smtp)) == 1


def test_a_params_error_is_not_retried(schedule, smtp):
    runner = FakeRunner(fail=1, error=ParamsError)
    actions, services = once(schedule, runner=runner)
    assert len(runner.calls) == 1 and services.waits == []
    assert actions[-1].status == "gave_up"


def test_a_missing_notebook_is_not_retried(schedule, smtp):
    actions, services = once(schedule, runner=jobs.pipeline_runner)
    assert [a.status for a in actions] == ["failed", "gave_up"]
    assert "notebooks/40_monitoring.ipynb does not exist yet" in actions[0].message
    assert services.waits == []
    assert "does not exist yet" in admin_mails(smtp)[0].get_content()


def test_a_later_scheduled_time_gives_a_failed_period_fresh_tries(project, smtp):
    text = write_schedule(project).read_text().replace('"0 7 2 * *"', '"0 7 2-4 * *"')
    schedule = load_schedule(write_schedule(project, text), project)
    runner = FakeRunner(fail=3)
    once(schedule, runner=runner)
    assert len(runner.calls) == 3 and report_mails(smtp) == []
    once(schedule, at=NOW + dt.timedelta(days=1), runner=runner)
    assert len(runner.calls) == 4 and len(report_mails(smtp)) == 2


def test_a_failed_delivery_is_retried_by_the_next_once(schedule, smtp, monkeypatch):
    monkeypatch.setenv("WORKBENCH_SMTP_PORT", "1")  # nothing listens there
    runner = FakeRunner()
    actions, _ = once(schedule, runner=runner)
    assert [a.status for a in actions] == ["published", "delivery_failed", "delivery_failed"]
    assert "could not connect" in actions[1].message
    assert latest_run("monitoring", schedule.root) is not None, "the report stays in place"
    monkeypatch.setenv("WORKBENCH_SMTP_PORT", str(smtp.port))
    actions, _ = once(schedule, at=NOW + dt.timedelta(minutes=1), runner=runner)
    assert [a.status for a in actions] == ["delivered", "delivered"]
    assert len(runner.calls) == 1 and len(smtp.received) == 2
    once(schedule, at=NOW + dt.timedelta(minutes=2), runner=runner)
    assert len(smtp.received) == 2


def test_delivery_gives_up_after_its_tries_and_tells_the_admin(schedule, smtp):
    smtp.refuse.add("kvsp@example.org")
    runner = FakeRunner()
    for minutes in (0, 60, 120, 180):
        once(schedule, at=NOW + dt.timedelta(minutes=minutes), runner=runner)
    failed = [e for e in events(schedule, target="mailto:kvsp@example.org")]
    assert [e[0] for e in failed].count("delivery_failed") == 3
    assert failed[-1][0] == "delivery_gave_up"
    alert = admin_mails(smtp)
    assert len(alert) == 1 and "could not deliver" in alert[0]["Subject"]
    assert "550" in alert[0].get_content()
    assert len(smtp.messages("pm@example.org")) == 1


# --------------------------------------------------------------------------- catch-up
def test_a_run_missed_beyond_catch_up_is_recorded_and_reported(schedule, smtp):
    runner = FakeRunner()
    once(schedule, runner=runner)  # October delivered on 2 November
    late = dt.datetime(2027, 1, 10, 9, 0, tzinfo=NOW.tzinfo)  # scheduler down since
    actions, _ = once(schedule, at=late, runner=runner)
    missed = [a for a in actions if a.status == "missed"]
    assert [a.period for a in missed] == ["2026-11", "2026-12"]
    assert len(runner.calls) == 1
    assert len(admin_mails(smtp)) == 2
    assert "was missed" in admin_mails(smtp)[0]["Subject"]


def test_a_late_run_within_catch_up_still_runs(schedule, smtp):
    runner = FakeRunner()
    actions, _ = once(schedule, at=NOW + dt.timedelta(days=2, hours=23), runner=runner)
    assert actions[0].status == "published" and runner.calls[0]["period"] == "2026-10"


def test_the_first_call_does_not_report_old_times_as_missed(schedule, smtp):
    actions, _ = once(schedule, at=NOW.replace(day=20))
    assert actions == [] and smtp.received == []


# --------------------------------------------------------------------------- command line
def test_once_on_the_command_line(schedule, smtp, monkeypatch, capsys):
    runner = FakeRunner()
    monkeypatch.setattr(jobs, "pipeline_runner", runner)
    assert main(["schedule", "once", "--at", "2026-11-02T07:05"]) == 0
    out = capsys.readouterr().out
    assert "monthly 2026-10: published reports/monitoring/" in out
    assert "e-mailed to pm@example.org" in out
    assert main(["schedule", "once", "--at", "2026-11-02T06:30Z"]) == 0
    assert capsys.readouterr().out.strip() == "nothing due"
    assert len(smtp.received) == 2
    log = (schedule.state_dir / "schedule.log").read_text()
    assert "published" in log and "e-mailed to kvsp@example.org" in log


def test_once_exits_1_with_one_line_when_a_run_fails(schedule, smtp, monkeypatch, capsys):
    monkeypatch.setattr(jobs, "pipeline_runner", FakeRunner(fail=99))
    assert main(["schedule", "once", "--at", "2026-11-02T07:05", "--job", "monthly"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("workbench schedule: error: 4 problem(s)")


def test_once_rejects_an_unknown_job_and_a_bad_time(schedule, capsys):
    assert main(["schedule", "once", "--job", "monthy"]) == 1
    assert "did you mean 'monthly'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["schedule", "once", "--at", "2nd of November"])
    assert exit_.value.code == 2


# --------------------------------------------------------------------------- real pipeline
def failing_notebook():
    parameters = nbformat.v4.new_code_cell(parameters_cell_source("monitoring"))
    parameters.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Monitoring (fails on purpose)"),
            parameters,
            nbformat.v4.new_code_cell("raise ValueError(f'no data for {period}')"),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def test_a_failed_real_run_never_replaces_the_last_good_report(project, smtp):
    """One real papermill run: the pipeline keeps the failure as .failed and latest as it was."""
    text = write_schedule(project).read_text().replace("attempts: 3", "attempts: 1")
    schedule = load_schedule(write_schedule(project, text), project)
    good = publish_fake_run(project, "monitoring", {"period": "2026-09"})
    nbformat.write(failing_notebook(), str(project / "notebooks" / "40_monitoring.ipynb"))
    actions, _ = once(schedule, runner=jobs.pipeline_runner)
    assert [a.status for a in actions] == ["failed", "gave_up"]
    assert "ValueError: no data for 2026-10" in actions[0].message
    assert latest_run("monitoring", project) == good.folder
    failed = [p for p in (project / "reports" / "monitoring").iterdir() if p.suffix == ".failed"]
    assert len(failed) == 1 and (failed[0] / "error.txt").is_file()
    ledger_failed = [e for e in Ledger(schedule.state_dir).entries() if e["event"] == "run_failed"]
    assert ledger_failed[0]["folder"] == f"reports/monitoring/{failed[0].name}"
    manifest = json.loads((failed[0] / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["params"]["period"] == "2026-10"
    assert report_mails(smtp) == [] and len(admin_mails(smtp)) == 1
