"""Test doubles for the scheduler: a report runner that writes a tiny published run, a
process crash, and a local SMTP server (aiosmtpd) that keeps what it receives.

Imported by conftest.py and by the scripts that the serve tests run in a subprocess.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import socket
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from evaluation.pipeline.publish import claim_run_folder, new_run_id, publish
from evaluation.pipeline.run import RunFailedError
from evaluation.schedule.jobs import Services, run_once
from evaluation.schedule.ledger import Ledger

UTC = dt.UTC
TIRANA = ZoneInfo("Europe/Tirane")
# 07:05 Tirana time on 2 November 2026 (CET, UTC+1): five minutes after the monthly run was due.
NOW = dt.datetime(2026, 11, 2, 7, 5, tzinfo=TIRANA)

MONTHLY = """\
admin: admin@example.org
jobs:
  - id: monthly
    report: monitoring
    cron: "0 7 2 * *"
    period: previous_month
    languages: [en, sq]
    recipients:
      - Project Manager <pm@example.org>
      - {address: kvsp@example.org, language: sq}
    catch_up: 3d
    retries: {attempts: 3, backoff: 0.01s, max_backoff: 0.04s}
"""


class Crash(BaseException):
    """Stands for the process being killed: not an Exception, so nothing catches it."""


def write_run_files(folder: Path, languages, *, html_bytes=3000, summary=True) -> None:
    """The files a report run leaves: HTML, workbook, summary per language."""
    for lang in languages:
        body = f"<html><body><h1>Report {lang}</h1>" + "x" * html_bytes + "</body></html>"
        (folder / f"report.{lang}.html").write_text(body, encoding="utf-8")
        (folder / f"workbook.{lang}.xlsx").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
        if summary:
            text = {
                "en": ["42 people trained (31 in September)", "118 young people reached"],
                "sq": ["42 persona të trajnuar (31 në shtator)", "118 të rinj të arritur"],
            }[lang]
            attention = {
                "en": ["Only 55% of cases reviewed within 3 working days"],
                "sq": ["Vetëm 55% e rasteve u shqyrtuan brenda 3 ditëve pune"],
            }[lang]
            data = {"title": None, "period": None, "lines": text, "attention": attention}
            (folder / f"summary.{lang}.json").write_text(
                json.dumps(data, ensure_ascii=False), encoding="utf-8"
            )


def publish_fake_run(root: Path, report: str, overrides: dict, **options) -> SimpleNamespace:
    """Publish a run folder as the pipeline would (manifest, atomic rename, latest)."""
    started = dt.datetime.now(UTC).replace(microsecond=0)
    params = {"report": report, **overrides}
    run_id, partial = claim_run_folder(
        Path(root) / "reports" / report, new_run_id(started, "fa4e0000")
    )
    languages = overrides.get("languages") or [overrides.get("language", "en")]
    write_run_files(partial, languages, **options)
    manifest = {
        "schema_version": 1,
        "run_id": run_id,
        "report": report,
        "status": "published",
        "params": params,
        "languages": languages,
        "inputs": [
            {"path": "surveys/data/demo/clean/cases.parquet", "role": "data"},
            {"path": "surveys/data/demo/clean/contacts.parquet", "role": "data"},
        ],
        "started": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "finished": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    (partial / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    folder = publish(partial)
    return SimpleNamespace(run_id=run_id, folder=folder)


class FakeRunner:
    """Stands in for ``pipeline.run_report``.

    Parameters
    ----------
    fail : int
        The first ``fail`` calls raise ``error``.
    crash : str, optional
        ``"before_publish"`` (a partial folder, then Crash) or ``"after_publish"`` (the run is
        published, then Crash) on the first call.
    delay : float
        Seconds each call takes.
    """

    def __init__(self, fail=0, crash=None, delay=0.0, error=None, **options):
        self.fail, self.crash, self.delay, self.error = fail, crash, delay, error
        self.options = options
        self.calls: list[dict] = []

    def __call__(self, report, params, overrides, root):
        self.calls.append({"report": report, "params": params, **overrides})
        number = len(self.calls)
        if self.delay:
            time.sleep(self.delay)
        if number <= self.fail:
            message = f"{report}: cell 7 failed: fake failure {number}"
            if self.error is not None:
                raise self.error(message)
            raise RunFailedError(
                message,
                report=report,
                run_id=f"fake-{number}",
                folder=Path(root) / "reports" / report / f"fake-{number}.failed",
                cell=7,
                ename="ValueError",
                evalue=f"fake failure {number}",
            )
        if self.crash == "before_publish" and number == 1:
            (Path(root) / "reports" / report / "crashed.partial").mkdir(parents=True)
            raise Crash("killed while the notebook ran")
        run = publish_fake_run(root, report, overrides, **self.options)
        if self.crash == "after_publish" and number == 1:
            raise Crash("killed after publishing, before the ledger line")
        return run


# --------------------------------------------------------------------------- SMTP
class Collector:
    """aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.received: list[SimpleNamespace] = []
        self.refuse: set[str] = set()
        self.drop_after_data = False

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.received.append(
            SimpleNamespace(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                message=message,
                login=getattr(session, "authenticated", False),
            )
        )
        if self.drop_after_data:  # accepted, then the line breaks before the reply
            server.transport.close()
        return "250 Message accepted"

    def messages(self, to=None):
        return [r.message for r in self.received if to is None or to in r.rcpt_tos]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --------------------------------------------------------------------------- helpers
def write_schedule(root, text=MONTHLY, name="schedule.yaml"):
    path = root / "params" / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def once(schedule, at=NOW, runner=None, **options):
    """run_once with a fake runner and no real waiting; returns (actions, services)."""
    waits = []

    def wait(seconds):
        waits.append(seconds)
        return False

    services = Services(runner=runner or FakeRunner(), wait=wait, **options)
    services.waits = waits
    return run_once(schedule, at.astimezone(dt.UTC), services), services


def events(schedule, job="monthly", **match):
    """The ledger's entries of ``job`` as (event, period, target) tuples, filtered."""
    found = []
    for entry in Ledger(schedule.state_dir).entries(job):
        if all(entry.get(k) == v for k, v in match.items()):
            found.append((entry["event"], entry["period"], entry.get("target")))
    return found
