"""Fixtures of the scheduler tests: a throw-away project, its schedule, and a local SMTP
server on 127.0.0.1 (aiosmtpd) with the WORKBENCH_SMTP_* variables pointing at it."""

import pytest
from aiosmtpd.controller import Controller
from schedule_fakes import Collector, free_port, write_schedule

from evaluation.schedule.config import load_schedule


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = tmp_path / "project"
    for folder in ("params", "surveys", "reports", "notebooks"):
        (root / folder).mkdir(parents=True)
    monkeypatch.setenv("WORKBENCH_ROOT", str(root))
    return root


@pytest.fixture
def schedule(project):
    return load_schedule(write_schedule(project), project)


@pytest.fixture
def smtp(monkeypatch):
    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    collector.port = port
    monkeypatch.setenv("WORKBENCH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("WORKBENCH_SMTP_PORT", str(port))
    monkeypatch.setenv("WORKBENCH_SMTP_SECURITY", "none")
    monkeypatch.setenv("WORKBENCH_MAIL_FROM", "Evaluation workbench <workbench@example.org>")
    monkeypatch.setenv("WORKBENCH_SMTP_TIMEOUT", "5")
    for name in ("WORKBENCH_SMTP_USER", "WORKBENCH_SMTP_PASSWORD", "WORKBENCH_SMTP_CAFILE"):
        monkeypatch.delenv(name, raising=False)
    yield collector
    controller.stop()
