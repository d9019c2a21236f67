"""Delivery to a shared folder: dated names, atomic writes, a missing share, once per period."""

import datetime as dt
import os

import pytest
from schedule_fakes import NOW, FakeRunner, events, once, write_schedule

from evaluation.errors import DeliveryError
from evaluation.schedule.config import load_schedule
from evaluation.schedule.delivery.folder import atomic_copy, dated_name, deliver_to_folder
from evaluation.schedule.periods import period_for

OCTOBER = period_for("previous_month", NOW)
EXPECTED = [
    "2026-10_monitoring_report.en.html",
    "2026-10_monitoring_report.sq.html",
    "2026-10_monitoring_workbook.en.xlsx",
    "2026-10_monitoring_workbook.sq.xlsx",
]


def folder_schedule(project, share, extra=""):
    text = write_schedule(project).read_text() + f"    folder: {share}\n" + extra
    return load_schedule(write_schedule(project, text), project)


def test_dated_names():
    assert (
        dated_name(OCTOBER, "monitoring", "report.en.html") == "2026-10_monitoring_report.en.html"
    )
    capacity = period_for("none", NOW)
    assert (
        dated_name(capacity, "capacity", "workbook.sq.xlsx")
        == "2026-11-02_capacity_workbook.sq.xlsx"
    )


def test_files_are_copied_whole_under_dated_names(tmp_path):
    run, share = tmp_path / "run", tmp_path / "share"
    run.mkdir()
    share.mkdir()
    source = run / "report.en.html"
    source.write_bytes(os.urandom(200_000))
    (written,) = deliver_to_folder(share, [source], OCTOBER, "monitoring")
    assert written == share / "2026-10_monitoring_report.en.html"
    assert written.read_bytes() == source.read_bytes()
    assert sorted(p.name for p in share.iterdir()) == [written.name], "no temporary files left"


def test_a_file_is_replaced_atomically(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    target = tmp_path / "target.html"
    old.write_text("old version")
    new.write_text("new version")
    atomic_copy(old, target)
    inode = target.stat().st_ino
    atomic_copy(new, target)
    assert target.read_text() == "new version"
    assert target.stat().st_ino != inode, "a new file renamed over the old, not rewritten in place"


def test_a_missing_share_is_an_error_and_is_not_created(tmp_path):
    share = tmp_path / "not-mounted"
    with pytest.raises(DeliveryError, match="is the shared drive mounted"):
        deliver_to_folder(share, [], OCTOBER, "monitoring")
    assert not share.exists()


def test_a_job_delivers_to_the_folder_once_per_period(project, tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    text = f"""\
jobs:
  - id: monthly
    report: monitoring
    cron: "0 7 2 * *"
    period: previous_month
    languages: [en, sq]
    folder: {share}
"""
    schedule = load_schedule(write_schedule(project, text), project)
    assert schedule.job("monthly").targets == (f"folder:{share}",)
    runner = FakeRunner()
    actions, _ = once(schedule, runner=runner)
    assert [a.status for a in actions] == ["published", "delivered"]
    assert sorted(p.name for p in share.iterdir()) == EXPECTED
    stamp = {p.name: p.stat().st_mtime_ns for p in share.iterdir()}
    once(schedule, at=NOW + dt.timedelta(hours=2), runner=runner)
    assert {p.name: p.stat().st_mtime_ns for p in share.iterdir()} == stamp
    assert [e[0] for e in events(schedule)].count("delivery_sent") == 1


def test_folder_first_then_email_and_a_missing_share_is_retried(project, smtp, tmp_path):
    share = tmp_path / "share"  # not there yet: the drive is not mounted
    schedule = folder_schedule(project, share)
    runner = FakeRunner()
    actions, _ = once(schedule, runner=runner)
    assert [a.status for a in actions] == ["published", "delivery_failed", "delivered", "delivered"]
    assert "does not exist (is the shared drive mounted?)" in actions[1].message
    share.mkdir()
    actions, _ = once(schedule, at=NOW + dt.timedelta(minutes=30), runner=runner)
    assert [a.status for a in actions] == ["delivered"]
    assert sorted(p.name for p in share.iterdir()) == EXPECTED
    assert len(smtp.received) == 2 and len(runner.calls) == 1


def test_only_the_chosen_formats_are_delivered(project, smtp, tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    schedule = folder_schedule(project, share, "    formats: workbook\n")
    once(schedule)
    names = sorted(p.name for p in share.iterdir())
    assert names == ["2026-10_monitoring_workbook.en.xlsx", "2026-10_monitoring_workbook.sq.xlsx"]
    attached = [a.get_filename() for a in smtp.messages("pm@example.org")[0].iter_attachments()]
    assert attached == ["workbook.en.xlsx"]
