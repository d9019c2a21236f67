"""The ledger: durable JSON lines, torn lines after a crash, and the state it implies."""

import datetime as dt
import json
import threading

import pytest

from evaluation.schedule.ledger import EVENTS, Ledger, parse_time

UTC = dt.UTC
DUE = dt.datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
LATER = dt.datetime(2026, 11, 3, 6, 0, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path):
    return Ledger(tmp_path / "_schedule")


def test_entries_are_json_lines_in_order(ledger):
    ledger.append("monthly", "2026-10", "run_started", DUE, attempt=1)
    ledger.append("monthly", "2026-10", "run_finished", DUE, run_id="R", folder="reports/m/R")
    ledger.append("other", "2026-10", "skipped", DUE, reason="x")
    lines = ledger.path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    first = json.loads(lines[0])
    assert first["job"] == "monthly" and first["event"] == "run_started"
    assert first["due"] == "2026-11-02T06:00:00Z" and first["attempt"] == 1
    assert parse_time(first["time"]).tzinfo is not None
    assert [e["event"] for e in ledger.entries("monthly")] == ["run_started", "run_finished"]
    assert ledger.last_due("monthly") == DUE and ledger.last_due("nobody") is None


def test_unknown_events_are_a_bug(ledger):
    with pytest.raises(ValueError, match="unknown ledger event"):
        ledger.append("monthly", "2026-10", "run_exploded", DUE)
    assert "delivery_uncertain" in EVENTS


def test_a_torn_last_line_is_ignored_and_closed_before_the_next(ledger):
    ledger.append("monthly", "2026-10", "run_started", DUE, attempt=1)
    with open(ledger.path, "a", encoding="utf-8") as handle:
        handle.write('{"time": "2026-11-02T06:00:01Z", "job": "monthly", "ev')  # crash here
    assert [e["event"] for e in ledger.entries()] == ["run_started"]
    ledger.append("monthly", "2026-10", "run_finished", DUE, run_id="R", folder="f")
    assert [e["event"] for e in ledger.entries()] == ["run_started", "run_finished"]
    assert len(ledger.path.read_text().splitlines()) == 3


def test_appends_from_many_threads_stay_whole(ledger):
    def write(n):
        for i in range(50):
            ledger.append(f"job{n}", "2026-10", "skipped", DUE, reason="x" * 500 + str(i))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = ledger.path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 400 and all(json.loads(line)["event"] == "skipped" for line in lines)


def test_run_state_counts_tries_per_episode(ledger):
    ledger.append("m", "2026-10", "run_started", DUE, attempt=1)
    ledger.append("m", "2026-10", "run_failed", DUE, attempt=1, error="boom")
    ledger.append("m", "2026-10", "run_started", DUE, attempt=2)
    state = ledger.periods("m")["2026-10"]
    assert (state.run, state.attempts, state.run_due) == ("running", 2, DUE)
    assert state.error == "boom"
    ledger.append("m", "2026-10", "run_gave_up", DUE, attempt=2)
    ledger.append("m", "2026-10", "run_started", LATER, attempt=1)  # a new scheduled time
    state = ledger.periods("m")["2026-10"]
    assert (state.run, state.attempts, state.due) == ("running", 1, LATER)


def test_target_states(ledger):
    pm, kv = "mailto:pm@example.org", "mailto:kv@example.org"
    ledger.append("m", "2026-10", "run_finished", DUE, run_id="R", folder="f")
    ledger.append("m", "2026-10", "delivery_sending", DUE, target=pm, message_id="<a@b>")
    ledger.append("m", "2026-10", "delivery_sent", DUE, target=pm, message_id="<a@b>")
    ledger.append("m", "2026-10", "delivery_failed", DUE, target=kv, error="refused")
    ledger.append("m", "2026-10", "delivery_failed", DUE, target=kv, error="refused")
    ledger.append("m", "2026-10", "skipped", LATER, reason="x")  # does not undo the run
    state = ledger.periods("m")["2026-10"]
    assert state.run == "finished" and state.run_id == "R"
    assert state.target(pm).status == "sent" and state.target(pm).message_id == "<a@b>"
    assert (state.target(kv).status, state.target(kv).failures) == ("failed", 2)
    assert state.target("folder:/x").status == "pending"
    assert not state.delivered([pm, kv]) and state.delivered([pm])
    ledger.append("m", "2026-10", "delivery_sending", DUE, target=kv, message_id="<c@d>")
    ledger.append("m", "2026-10", "delivery_uncertain", DUE, target=kv)
    assert ledger.periods("m")["2026-10"].delivered([pm, kv]), "uncertain is never resent"


def test_a_new_scheduled_time_resets_delivery_failures(ledger):
    kv = "mailto:kv@example.org"
    ledger.append("m", "2026-10", "delivery_failed", DUE, target=kv)
    ledger.append("m", "2026-10", "delivery_gave_up", DUE, target=kv)
    ledger.append("m", "2026-10", "delivery_failed", LATER, target=kv)
    target = ledger.periods("m")["2026-10"].target(kv)
    assert (target.status, target.failures, target.due) == ("failed", 1, LATER)
