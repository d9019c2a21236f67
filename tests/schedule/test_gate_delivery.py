"""The disclosure gate in the scheduler, against a real SMTP server on 127.0.0.1: a run whose
files hold personal data reaches nobody, the administrator is told, latest is kept, ``once``
exits 1, the block is not retried, and a new run for the period is checked and delivered."""

import datetime as dt
import json
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pandas as pd
import pytest
from schedule_fakes import NOW, FakeRunner, events, once, publish_fake_run, write_schedule

from evaluation.cli import main
from evaluation.pipeline.publish import latest_run
from evaluation.privacy import check_outgoing, project_forbidden
from evaluation.schedule import jobs
from evaluation.schedule.config import load_schedule
from evaluation.schedule.jobs import Services, run_once
from evaluation.schedule.ledger import Ledger
from evaluation.schedule.overview import last_outcome

ROOT = Path(__file__).resolve().parents[2]
PHONE = "+355 69 123 4567"
RECIPIENTS = ("mailto:pm@example.org", "mailto:kvsp@example.org")


def report_mails(smtp):
    return [m for m in smtp.messages() if "[workbench]" not in (m["Subject"] or "")]


def admin_mails(smtp):
    return smtp.messages("admin@example.org")


# --------------------------------------------------------------------------- leaks
def phone_column(folder):
    frame = pd.DataFrame({"unit": ["Elbasan", "Peqin"], "phone": ["-", "-"]})
    frame.to_excel(folder / "workbook.en.xlsx", index=False)


def phone_cell(folder):
    book = openpyxl.Workbook()
    book.active.title = "Rastet"
    book.active.append(["Njësia", "Rastet"])
    book.active.append(["Elbasan", 14])
    book.active.append([f"Telefononi {PHONE}", None])
    book.save(folder / "workbook.sq.xlsx")


def email_in_html(folder):
    page = folder / "report.en.html"
    page.write_text(page.read_text().replace("</body>", "<p>ana.hoxha@gmail.com</p></body>"))


def name_key(folder):
    path = folder / "summary.sq.json"
    data = {**json.loads(path.read_text()), "participant_name": ["Arbër Hoxha"]}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


LEAKS = {
    "phone column": (phone_column, "workbook.en.xlsx, sheet 'Sheet1' cell B1 (header): 'phone'"),
    "phone in a cell": (phone_cell, "workbook.sq.xlsx, sheet 'Rastet' cell A3: +355 6… (phone)"),
    "e-mail in the html": (email_in_html, "report.en.html, line 1: ana…@… (e-mail)"),
    "name key in the summary": (
        name_key,
        "summary.sq.json, key $.participant_name: 'participant_name' (personal field)",
    ),
}
SECRETS = (PHONE, "123 4567", "ana.hoxha", "gmail.com", "Arbër", "Hoxha")


class Leaky(FakeRunner):
    """A runner whose first ``leaky`` runs publish a file with personal data."""

    def __init__(self, leak, leaky=99, **options):
        super().__init__(**options)
        self.leak, self.leaky = leak, leaky

    def __call__(self, *args):
        run = super().__call__(*args)
        if len(self.calls) <= self.leaky:
            self.leak(run.folder)
        self.last = run
        return run


def assert_masked(text):
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked into {text[:200]!r}"


# --------------------------------------------------------------------------- clean runs pass
def test_a_clean_run_passes_the_gate_and_is_delivered(schedule, smtp, caplog):
    with caplog.at_level("INFO", logger="evaluation.schedule"):
        actions, _ = once(schedule)
    assert [a.status for a in actions] == ["published", "delivered", "delivered"]
    assert len(report_mails(smtp)) == 2 and admin_mails(smtp) == []
    assert "disclosure gate on 6 file(s)" in caplog.text and "passed" in caplog.text
    assert "delivery_blocked" not in [e[0] for e in events(schedule)]


# --------------------------------------------------------------------------- a leak blocks
@pytest.mark.parametrize("leak", list(LEAKS), ids=list(LEAKS))
def test_a_leaking_run_reaches_nobody_and_the_administrator_is_told(schedule, smtp, leak):
    make, described = LEAKS[leak]
    runner = Leaky(make)
    actions, _ = once(schedule, runner=runner)
    assert [a.status for a in actions] == ["published", "blocked"]
    assert actions[1].failed and described in actions[1].message
    assert report_mails(smtp) == []  # nothing reached a recipient
    (alert,) = admin_mails(smtp)
    assert alert["Subject"] == "[workbench] monthly: 2026-10 report not sent: personal data found"
    body = alert.get_content()
    assert described in body and "workbench run monitoring --period 2026-10" in body
    assert "pm@example.org, kvsp@example.org" in body
    assert_masked(body)
    entries = [e for e in Ledger(schedule.state_dir).entries("monthly")]
    blocked = [e for e in entries if e["event"] == "delivery_blocked"]
    assert [e["target"] for e in blocked] == list(RECIPIENTS)
    assert {e["run_id"] for e in blocked} == {runner.last.run_id}
    assert all(described in e["error"] for e in blocked)
    assert "delivery_sending" not in [e["event"] for e in entries]
    assert_masked(schedule.state_dir.joinpath("ledger.jsonl").read_text(encoding="utf-8"))
    assert latest_run("monitoring", schedule.root) == runner.last.folder  # stays published


def test_the_shared_folder_gets_nothing_either(project, smtp, tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    text = write_schedule(project).read_text() + f"    folder: {share}\n"
    schedule = load_schedule(write_schedule(project, text), project)
    actions, _ = once(schedule, runner=Leaky(phone_column))
    assert [a.status for a in actions] == ["published", "blocked"]
    assert list(share.iterdir()) == [] and report_mails(smtp) == []
    blocked = [e[2] for e in events(schedule) if e[0] == "delivery_blocked"]
    assert blocked == [f"folder:{share}", *RECIPIENTS]


def test_the_block_is_not_retried_for_the_same_run(project, smtp):
    # Due daily on the 2nd to the 4th for the previous month: later times find it blocked.
    text = write_schedule(project).read_text().replace('cron: "0 7 2 * *"', 'cron: "0 7 2-4 * *"')
    schedule = load_schedule(write_schedule(project, text), project)
    runner = Leaky(email_in_html)
    once(schedule, runner=runner)
    for minutes in (1, 10, 60):  # cron or a timer calling `once` every few minutes
        actions, _ = once(schedule, at=NOW + dt.timedelta(minutes=minutes), runner=runner)
        assert actions == []
    actions, _ = once(schedule, at=NOW + dt.timedelta(days=1), runner=runner)
    assert [a.status for a in actions] == ["skipped"]
    assert not actions[0].failed and "the disclosure gate blocked run" in actions[0].message
    assert len(runner.calls) == 1 and report_mails(smtp) == [] and len(admin_mails(smtp)) == 1
    assert [e[0] for e in events(schedule)].count("delivery_blocked") == 2
    state = Ledger(schedule.state_dir).periods("monthly")["2026-10"]
    outcome = last_outcome(schedule.job("monthly"), {"2026-10": state})
    assert "delivered to 0 of 2 targets" in outcome and "pm@example.org blocked" in outcome


def test_a_new_run_published_after_the_block_is_checked_then_delivered(schedule, smtp):
    runner = Leaky(name_key, leaky=1)
    once(schedule, runner=runner)
    blocked_run = runner.last
    assert report_mails(smtp) == []
    # the administrator fixes the cause and runs the report again by hand
    overrides = {"period": "2026-10", "languages": ["en", "sq"], "language": "en"}
    fixed = publish_fake_run(schedule.root, "monitoring", overrides)
    actions, _ = once(schedule, at=NOW + dt.timedelta(hours=2), runner=runner)
    assert [a.status for a in actions] == ["published", "delivered", "delivered"]
    assert f"published after run {blocked_run.run_id} was blocked" in actions[0].message
    assert len(runner.calls) == 1  # the scheduler did not run the report itself
    assert sorted(m["To"] for m in report_mails(smtp)) == [
        "Project Manager <pm@example.org>",
        "kvsp@example.org",
    ]
    sent = [
        e for e in Ledger(schedule.state_dir).entries("monthly") if e["event"] == "run_finished"
    ]
    assert sent[-1]["run_id"] == fixed.run_id and sent[-1]["replaces"] == blocked_run.run_id
    assert once(schedule, at=NOW + dt.timedelta(hours=3), runner=runner)[0] == []


def test_a_new_run_that_still_leaks_is_blocked_again(schedule, smtp):
    once(schedule, runner=Leaky(phone_column))
    overrides = {"period": "2026-10", "languages": ["en", "sq"], "language": "en"}
    again = publish_fake_run(schedule.root, "monitoring", overrides)
    phone_cell(again.folder)
    actions, _ = once(schedule, at=NOW + dt.timedelta(hours=2))
    assert [a.status for a in actions] == ["published", "blocked"]
    assert report_mails(smtp) == [] and len(admin_mails(smtp)) == 2
    assert len({m["Message-ID"] for m in admin_mails(smtp)}) == 2  # not taken as a duplicate


def test_once_on_the_command_line_exits_1_with_the_masked_reason(
    schedule, smtp, monkeypatch, capsys
):
    monkeypatch.setattr(jobs, "pipeline_runner", Leaky(phone_cell))
    assert main(["schedule", "once", "--at", "2026-11-02T07:05"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("workbench schedule: error: 1 problem(s)")
    assert "workbook.sq.xlsx, sheet 'Rastet' cell A3: +355 6… (phone)" in err[0]
    assert_masked(err[0])
    assert report_mails(smtp) == [] and len(admin_mails(smtp)) == 1


def test_a_gate_that_cannot_run_is_a_plain_failure_and_retried(project, schedule, smtp):
    forms = project / "surveys" / "instruments"
    forms.mkdir()
    (forms / "youth_survey.xlsx").write_bytes(b"not a spreadsheet")
    actions, _ = once(schedule)
    assert [a.status for a in actions] == ["published", "delivery_failed", "delivery_failed"]
    assert "the disclosure gate could not run" in actions[1].message
    assert "youth_survey.xlsx cannot be read" in actions[1].message
    assert report_mails(smtp) == []
    shutil.copy(ROOT / "surveys" / "instruments" / "youth_survey.xlsx", forms)
    actions, _ = once(schedule, at=NOW + dt.timedelta(minutes=5))
    assert [a.status for a in actions] == ["delivered", "delivered"]


# --------------------------------------------------------------------------- the demo reports
@pytest.mark.slow
def test_the_real_demo_reports_pass_and_monitoring_is_delivered(project, smtp):
    """The monitoring and capacity reports of a small demo world (scale 0.3) pass the gate,
    and the scheduler delivers the real monitoring run for October 2023."""
    from evaluation import pipeline
    from evaluation.ingest import ingest_dataset
    from evaluation.synth import write_demo_world

    (project / "surveys" / "instruments").mkdir(parents=True)
    for notebook in ("40_monitoring.ipynb", "30_capacity_building.ipynb"):
        shutil.copy(ROOT / "notebooks" / notebook, project / "notebooks")
    for name in ("datasets.yaml", "monitoring.yaml", "capacity.yaml", "logframe.yaml"):
        shutil.copy(ROOT / "params" / name, project / "params")
    for form in (ROOT / "surveys" / "instruments").glob("*.xlsx"):
        shutil.copy(form, project / "surveys" / "instruments")
    write_demo_world(project / "surveys" / "data" / "demo" / "raw", scale=0.3)
    ingest_dataset("demo", root=project)
    capacity = pipeline.run_report("capacity", root=project, progress=False)
    outgoing = [  # what a capacity job sends, and its donor workbook (not sent yet)
        p
        for p in capacity.folder.iterdir()
        if p.suffix in (".html", ".xlsx") or p.name.startswith("summary.")
    ]
    assert len(outgoing) == 6
    verdict = check_outgoing(outgoing, forbidden=project_forbidden(project))
    assert verdict.passed, verdict.reason

    text = write_schedule(project).read_text()
    schedule = load_schedule(write_schedule(project, text), project)
    at = dt.datetime(2023, 11, 2, 7, 5, tzinfo=ZoneInfo("Europe/Tirane")).astimezone(dt.UTC)
    actions = run_once(schedule, at, Services(wait=lambda seconds: False))
    assert [a.status for a in actions] == ["published", "delivered", "delivered"], actions
    (english,) = smtp.messages("pm@example.org")
    assert english["Subject"] == "Monthly monitoring report — October 2023"
    attached = sorted(a.get_filename() for a in english.iter_attachments())
    assert attached == ["report.en.html", "workbook.en.xlsx"]
