"""``workbench schedule serve`` in a subprocess: SIGTERM stops it cleanly (exit 0, ledger
consistent), a second signal abandons the step, and the next call resumes it."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from schedule_fakes import NOW, FakeRunner, once, write_schedule

from evaluation.schedule.config import load_schedule
from evaluation.schedule.jobs import Action
from evaluation.schedule.ledger import Ledger
from evaluation.schedule.serve import _reload, next_wake

HERE = Path(__file__).resolve().parent

NOT_DUE = """\
jobs:
  - id: leap
    report: monitoring
    cron: "0 7 29 2 *"
    period: previous_month
    catch_up: 1h
"""

EVERY_MINUTE = """\
admin: admin@example.org
jobs:
  - id: minutely
    report: capacity
    cron: "* * * * *"
    period: none
    folder: {share}
"""

SERVE_SCRIPT = """\
import sys
sys.path.insert(0, {tests!r})
from schedule_fakes import FakeRunner
from evaluation.schedule.jobs import Services
from evaluation.schedule.serve import serve
services = Services(runner=FakeRunner(delay={delay}), respect_backoff=True)
sys.exit(serve({config!r}, {root!r}, services))
"""


def start(args, root, **kwargs):
    env = {**os.environ, "WORKBENCH_ROOT": str(root), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        args, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs
    )


def wait_for(predicate, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def ledger_events(root):
    return [e["event"] for e in Ledger(root / "reports" / "_schedule").entries()]


def log_text(root):
    path = root / "reports" / "_schedule" / "schedule.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def test_sigterm_while_sleeping_exits_0(project):
    config = write_schedule(project, NOT_DUE)
    child = start(
        [sys.executable, "-m", "evaluation.cli", "schedule", "serve", "--config", str(config)],
        project,
    )
    try:
        assert wait_for(lambda: "sleeping until" in log_text(project)), child.stderr.read()
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=20)
    finally:
        child.kill()
    assert child.returncode == 0, err
    log = log_text(project)
    assert "serve started: jobs leap" in log
    assert "SIGTERM received: stopping after the current step" in log
    assert log.rstrip().endswith("serve stopped")
    assert "serve stopped" in err, "the log goes to stderr as well"
    assert ledger_events(project) == []


def serve_child(project, share, delay):
    config = write_schedule(project, EVERY_MINUTE.format(share=share))
    script = project / "serve_fake.py"
    script.write_text(
        SERVE_SCRIPT.format(tests=str(HERE), delay=delay, config=str(config), root=str(project))
    )
    return config, start([sys.executable, str(script)], project)


def test_sigterm_during_a_run_finishes_it_and_stops_before_delivery(project, tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    config, child = serve_child(project, share, delay=2.0)
    try:
        assert wait_for(lambda: "run_started" in ledger_events(project)), child.stderr.read()
        child.send_signal(signal.SIGTERM)
        child.communicate(timeout=30)
    finally:
        child.kill()
    assert child.returncode == 0
    assert ledger_events(project) == ["run_started", "run_finished"]
    assert list(share.iterdir()) == [], "nothing new started after the stop request"
    # The next call delivers the finished run without running it again.
    entries = Ledger(project / "reports" / "_schedule").entries()
    period = entries[0]["period"]
    schedule = load_schedule(config, project)
    runner = FakeRunner()
    once(schedule, at=dt.datetime.now(dt.UTC), runner=runner)
    for_period = [e for e in Ledger(schedule.state_dir).entries() if e["period"] == period]
    assert [e["event"] for e in for_period] == [
        "run_started",
        "run_finished",
        "delivery_sending",
        "delivery_sent",
    ]
    assert all(call["report"] == "capacity" for call in runner.calls)


def test_a_second_signal_abandons_the_run_and_it_is_resumed(project, tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    config, child = serve_child(project, share, delay=30.0)
    try:
        assert wait_for(lambda: "run_started" in ledger_events(project)), child.stderr.read()
        child.send_signal(signal.SIGTERM)
        assert wait_for(lambda: "SIGTERM received" in log_text(project))
        child.send_signal(signal.SIGTERM)
        child.communicate(timeout=30)
    finally:
        child.kill()
    assert child.returncode != 0
    assert "abandoning the current step" in log_text(project)
    entries = Ledger(project / "reports" / "_schedule").entries()
    assert [e["event"] for e in entries] == ["run_started"]
    period = entries[0]["period"]
    schedule = load_schedule(config, project)
    runner = FakeRunner()
    # Resume at the same minute: the abandoned try is counted and the run is done again.
    due = dt.datetime.fromisoformat(entries[0]["due"].replace("Z", "+00:00"))
    once(schedule, at=due + dt.timedelta(seconds=30), runner=runner)
    for_period = [e for e in Ledger(schedule.state_dir).entries() if e["period"] == period]
    assert [(e["event"], e.get("attempt")) for e in for_period][:3] == [
        ("run_started", 1),
        ("run_started", 2),
        ("run_finished", 2),
    ]
    assert len(runner.calls) == 1 and len(list(share.iterdir())) == 2  # en: HTML, workbook


# --------------------------------------------------------------------------- the loop's parts
def test_next_wake_is_the_next_time_or_an_earlier_retry(project):
    schedule = load_schedule(write_schedule(project), project)  # 07:00 on the 2nd, Tirana
    now = dt.datetime(2026, 11, 2, 6, 30, tzinfo=dt.UTC)
    assert next_wake(schedule, [], now) == dt.datetime(2026, 12, 2, 6, 0, 1, tzinfo=dt.UTC)
    retry = now + dt.timedelta(minutes=10)
    actions = [Action("monthly", "2026-10", "waiting", "later", retry_at=retry)]
    assert next_wake(schedule, actions, now) == retry + dt.timedelta(seconds=1)


def test_a_broken_schedule_file_keeps_the_last_good_one(project, caplog):
    path = write_schedule(project)
    schedule = load_schedule(path, project)
    path.write_text(path.read_text().replace("previous_month", "last_month"))
    with caplog.at_level("ERROR", logger="evaluation.schedule"):
        assert _reload(schedule) is schedule
    assert "schedule file invalid, keeping the previous one" in caplog.text


def test_waiting_for_backoff_under_serve(schedule, smtp, monkeypatch):
    """serve leaves a failed delivery alone until its backoff has passed."""
    monkeypatch.setenv("WORKBENCH_SMTP_PORT", "1")
    runner = FakeRunner()
    once(schedule, runner=runner, respect_backoff=True)
    monkeypatch.setenv("WORKBENCH_SMTP_PORT", str(smtp.port))
    frozen = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # a clock before the failure: still waiting
    actions, _ = once(schedule, at=NOW, runner=runner, respect_backoff=True, clock=lambda: frozen)
    assert {a.status for a in actions} == {"waiting"}
    assert all(a.retry_at is not None for a in actions)
    actions, _ = once(schedule, at=NOW, runner=runner, respect_backoff=True)
    assert [a.status for a in actions] == ["delivered", "delivered"]


def test_sigint_stops_like_sigterm(project):
    config = write_schedule(project, NOT_DUE)
    child = start(
        [sys.executable, "-m", "evaluation.cli", "schedule", "serve", "--config", str(config)],
        project,
    )
    try:
        assert wait_for(lambda: "sleeping until" in log_text(project))
        child.send_signal(signal.SIGINT)
        child.communicate(timeout=20)
    finally:
        child.kill()
    assert child.returncode == 0
    assert ledger_events(project) == []
    assert "SIGINT received" in log_text(project)


def test_scheduler_logging_writes_utc_lines_and_restores_the_logger(tmp_path, capsys):
    import logging
    import re

    from evaluation.schedule.logs import scheduler_logging

    logger = logging.getLogger("evaluation.schedule")
    before = (list(logger.handlers), logger.propagate)
    with scheduler_logging(tmp_path / "logs", logging.WARNING) as path:
        logger.info("quiet on stderr")
        logger.warning("loud on stderr")
    assert (list(logger.handlers), logger.propagate) == before
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ INFO \[pid \d+\] quiet on stderr$", lines[0])
    err = capsys.readouterr().err
    assert "loud on stderr" in err and "quiet on stderr" not in err
