"""E-mail over a real SMTP server on 127.0.0.1 (aiosmtpd): what arrives, the size limit,
login, STARTTLS, failures, the test message, and settings read only from the environment."""

import json
import shutil
import subprocess

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from schedule_fakes import Collector, FakeRunner, free_port, once, write_schedule

from evaluation.cli import main
from evaluation.errors import DeliveryError, ParamsError
from evaluation.pipeline.publish import latest_run
from evaluation.schedule.config import load_schedule
from evaluation.schedule.delivery.message import plain_message
from evaluation.schedule.delivery.smtp import (
    SmtpMailer,
    SmtpSettings,
    UncertainDeliveryError,
    send_test_email,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def parts(message):
    plain = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    rich = message.get_body(("html",)).get_content().replace("\r\n", "\n")
    files = {
        a.get_filename(): (a.get_content_type(), len(a.get_content()))
        for a in message.iter_attachments()
    }
    return plain, rich, files


# --------------------------------------------------------------------------- report e-mails
def test_what_a_project_manager_receives(schedule, smtp):
    once(schedule)
    folder = latest_run("monitoring", schedule.root)
    (english,) = smtp.messages("pm@example.org")
    assert english["Subject"] == "Monthly monitoring report — October 2026"
    assert english["To"] == "Project Manager <pm@example.org>"
    assert english["From"] == "Evaluation workbench <workbench@example.org>"
    assert english["Message-ID"].startswith("<monthly.2026-10.")
    assert english["Message-ID"].endswith("@example.org>")
    assert english["Auto-Submitted"] == "auto-generated"
    plain, rich, files = parts(english)
    assert "- 42 people trained (31 in September)" in plain
    assert "Needs attention\n---------------\n- Only 55% of cases reviewed" in plain
    assert "<li>118 young people reached</li>" in rich and 'lang="en"' in rich
    assert files == {
        "report.en.html": ("text/html", (folder / "report.en.html").stat().st_size),
        "workbook.en.xlsx": (XLSX, (folder / "workbook.en.xlsx").stat().st_size),
    }
    assert "Questions: admin@example.org." in plain


def test_albanian_recipients_get_albanian_mail_and_files(schedule, smtp):
    once(schedule)
    (albanian,) = smtp.messages("kvsp@example.org")
    assert albanian["Subject"] == "Raporti mujor i monitorimit — tetor 2026"
    plain, rich, files = parts(albanian)
    assert "Përmbledhje" in plain and "Kërkon vëmendje" in plain
    assert "42 persona të trajnuar" in rich and 'lang="sq"' in rich
    assert sorted(files) == ["report.sq.html", "workbook.sq.xlsx"]


def test_above_the_size_limit_links_are_sent_instead(project, smtp):
    text = write_schedule(project).read_text() + (
        "    max_attachment_mb: 0.001\n    link_base: https://reports.example.org/wb/\n"
    )
    schedule = load_schedule(write_schedule(project, text), project)
    actions, _ = once(schedule)
    assert "as links (over the size limit)" in actions[1].message
    (message,) = smtp.messages("pm@example.org")
    plain, rich, files = parts(message)
    run_id = latest_run("monitoring", project).name
    url = f"https://reports.example.org/wb/monitoring/{run_id}/report.en.html"
    assert files == {}
    assert "larger than 1 KB, the most this e-mail may carry" in plain
    assert f"report.en.html: {url}" in plain
    assert f'<a href="{url}">' in rich


def test_above_the_size_limit_the_shared_folder_copy_is_named(project, smtp, tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    text = write_schedule(project).read_text() + f"    max_attachment_mb: 0\n    folder: {share}\n"
    schedule = load_schedule(write_schedule(project, text), project)
    once(schedule)
    plain, _, files = parts(smtp.messages("kvsp@example.org")[0])
    assert files == {}
    assert f"report.sq.html: {share / '2026-10_monitoring_report.sq.html'}" in plain


def test_without_a_summary_file_the_manifest_gives_a_generic_one(schedule, smtp):
    once(schedule, runner=FakeRunner(summary=False))
    plain, _, _ = parts(smtp.messages("pm@example.org")[0])
    assert "- Period: October 2026" in plain
    assert "- Data files read: 2" in plain
    assert "The report wrote no summary" in plain
    albanian, _, _ = parts(smtp.messages("kvsp@example.org")[0])
    assert "- Periudha: tetor 2026" in albanian


def test_a_broken_summary_file_falls_back_and_is_logged(schedule, smtp, caplog):
    class BrokenSummary(FakeRunner):
        def __call__(self, *args):
            run = super().__call__(*args)
            (run.folder / "summary.en.json").write_text(json.dumps({"lines": "not a list"}))
            return run

    with caplog.at_level("WARNING", logger="evaluation.schedule"):
        once(schedule, runner=BrokenSummary())
    assert "'lines' must be a list of text lines" in caplog.text
    plain, _, _ = parts(smtp.messages("pm@example.org")[0])
    assert "The report wrote no summary" in plain


def test_summary_text_is_escaped_in_html(schedule, smtp):
    class Tagged(FakeRunner):
        def __call__(self, *args):
            run = super().__call__(*args)
            data = {"lines": ["<script>alert(1)</script> & more"], "attention": []}
            (run.folder / "summary.en.json").write_text(json.dumps(data))
            return run

    once(schedule, runner=Tagged())
    plain, rich, _ = parts(smtp.messages("pm@example.org")[0])
    assert "<script>" not in rich and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in rich
    assert "<script>alert(1)</script> & more" in plain


# --------------------------------------------------------------------------- the SMTP client
def settings_for(port, **extra):
    env = {
        "WORKBENCH_SMTP_HOST": "127.0.0.1",
        "WORKBENCH_SMTP_PORT": str(port),
        "WORKBENCH_SMTP_SECURITY": "none",
        "WORKBENCH_MAIL_FROM": "wb@example.org",
        "WORKBENCH_SMTP_TIMEOUT": "5",
        **extra,
    }
    return SmtpSettings.from_env(env)


def message_to(address):
    return plain_message("Hello", ["one line"], address, "wb@example.org", "<x.1@example.org>")


def test_login_with_user_and_password(monkeypatch):
    collector, port = Collector(), free_port()

    def authenticator(server, session, envelope, mechanism, data):
        good = (data.login, data.password) == (b"wb", b"s3cret-pass")
        return AuthResult(success=good, handled=False)

    controller = Controller(
        collector,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        good = settings_for(port, WORKBENCH_SMTP_USER="wb", WORKBENCH_SMTP_PASSWORD="s3cret-pass")
        assert "s3cret-pass" not in good.describe() + repr(good)
        assert good.describe() == f"127.0.0.1:{port}, security none, login yes (user wb)"
        SmtpMailer(good).send(message_to("pm@example.org"))
        assert collector.received[0].login is True
        bad = settings_for(port, WORKBENCH_SMTP_USER="wb", WORKBENCH_SMTP_PASSWORD="wrong-one")
        with pytest.raises(DeliveryError) as caught:
            SmtpMailer(bad).send(message_to("pm@example.org"))
        text = str(caught.value)
        assert "refused the login of user 'wb'" in text and "535" in text
        assert "wrong-one" not in text
    finally:
        controller.stop()
    assert len(collector.received) == 1


@pytest.fixture
def certificate(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return key, cert


def test_starttls_with_a_self_signed_certificate(certificate):
    import ssl

    key, cert = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    collector, port = Collector(), free_port()
    controller = Controller(
        collector, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True
    )
    controller.start()
    try:
        trusted = settings_for(
            port, WORKBENCH_SMTP_SECURITY="starttls", WORKBENCH_SMTP_CAFILE=str(cert)
        )
        SmtpMailer(trusted).send(message_to("pm@example.org"))
        assert len(collector.received) == 1
        untrusted = settings_for(port, WORKBENCH_SMTP_SECURITY="starttls")
        with pytest.raises(DeliveryError, match="WORKBENCH_SMTP_CAFILE"):
            SmtpMailer(untrusted).send(message_to("pm@example.org"))
        plain = settings_for(port)  # security none against a server that requires STARTTLS
        with pytest.raises(DeliveryError):
            SmtpMailer(plain).send(message_to("pm@example.org"))
    finally:
        controller.stop()
    assert len(collector.received) == 1


def test_nobody_listening_is_a_plain_failure():
    with pytest.raises(DeliveryError) as caught:
        SmtpMailer(settings_for(free_port())).send(message_to("pm@example.org"))
    assert not isinstance(caught.value, UncertainDeliveryError)
    assert "could not connect to SMTP 127.0.0.1" in str(caught.value)
    assert "check WORKBENCH_SMTP_HOST, WORKBENCH_SMTP_PORT" in str(caught.value)


def test_a_refused_recipient_is_a_plain_failure(smtp):
    smtp.refuse.add("nobody@example.org")
    with pytest.raises(DeliveryError, match=r"refused every recipient.*550"):
        SmtpMailer(settings_for(smtp.port)).send(message_to("nobody@example.org"))
    assert smtp.received == []


def test_a_connection_lost_while_handing_over_is_uncertain(smtp):
    smtp.drop_after_data = True
    with pytest.raises(UncertainDeliveryError, match="may or may not have arrived"):
        SmtpMailer(settings_for(smtp.port)).send(message_to("pm@example.org"))
    assert len(smtp.received) == 1, "the server did get it: that is why it is not resent"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "WORKBENCH_SMTP_HOST is not set"),
        ({"WORKBENCH_SMTP_HOST": "mail", "WORKBENCH_SMTP_SECURITY": "tls"}, "is not one of"),
        ({"WORKBENCH_SMTP_HOST": "mail", "WORKBENCH_SMTP_PORT": "smtp"}, "is not a whole number"),
        ({"WORKBENCH_SMTP_HOST": "mail", "WORKBENCH_SMTP_PORT": "70000"}, "not a port number"),
        ({"WORKBENCH_SMTP_HOST": "mail"}, "WORKBENCH_MAIL_FROM: it is not set"),
        (
            {"WORKBENCH_SMTP_HOST": "mail", "WORKBENCH_SMTP_USER": "wb"},
            "WORKBENCH_SMTP_PASSWORD is not",
        ),
        (
            {
                "WORKBENCH_SMTP_HOST": "mail.example.org",
                "WORKBENCH_SMTP_SECURITY": "none",
                "WORKBENCH_SMTP_USER": "wb",
                "WORKBENCH_SMTP_PASSWORD": "pw",
            },
            "in clear text",
        ),
    ],
)
def test_settings_errors_name_the_variable(env, message):
    env = {"WORKBENCH_MAIL_FROM": "wb@example.org", **env}
    if message.startswith("WORKBENCH_MAIL_FROM"):
        env.pop("WORKBENCH_MAIL_FROM")
    with pytest.raises(ParamsError, match=message):
        SmtpSettings.from_env(env)


def test_settings_defaults():
    settings = SmtpSettings.from_env(
        {"WORKBENCH_SMTP_HOST": "mail", "WORKBENCH_MAIL_FROM": "a@b.org"}
    )
    assert (settings.port, settings.security, settings.user) == (587, "starttls", None)
    ssl_port = SmtpSettings.from_env(
        {
            "WORKBENCH_SMTP_HOST": "m",
            "WORKBENCH_MAIL_FROM": "a@b.org",
            "WORKBENCH_SMTP_SECURITY": "ssl",
        }
    ).port
    assert ssl_port == 465


# --------------------------------------------------------------------------- test-email
def test_test_email_command(project, smtp, monkeypatch, capsys):
    write_schedule(project)
    assert main(["schedule", "test-email"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"SMTP server: 127.0.0.1:{smtp.port}, security none, login no"
    assert out[2] == "To: admin@example.org"
    assert out[3].startswith("sent the test message to admin@example.org in ")
    (message,) = smtp.messages("admin@example.org")
    assert message["Subject"] == "Evaluation workbench: test message"
    assert "scheduled reports can be e-mailed" in message.get_content()
    assert main(["schedule", "test-email", "--to", "someone@example.org"]) == 0
    assert len(smtp.messages("someone@example.org")) == 1


def test_test_email_failure_is_one_line(project, monkeypatch, capsys):
    monkeypatch.setenv("WORKBENCH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("WORKBENCH_SMTP_PORT", str(free_port()))
    monkeypatch.setenv("WORKBENCH_SMTP_SECURITY", "none")
    monkeypatch.setenv("WORKBENCH_MAIL_FROM", "wb@example.org")
    assert main(["schedule", "test-email", "--to", "a@example.org"]) == 1
    captured = capsys.readouterr()
    assert "security none, login no" in captured.out
    assert captured.err.count("\n") == 1 and "could not connect" in captured.err


def test_send_test_email_returns_what_happened(smtp):
    line = send_test_email(settings_for(smtp.port), "x@example.org")
    assert line.startswith("sent the test message to x@example.org") and "Message-ID <" in line


def test_every_mail_text_exists_in_both_languages():
    from evaluation.schedule.delivery.texts import TEXTS

    assert TEXTS["en"].keys() == TEXTS["sq"].keys()
    for language in TEXTS:
        for key, value in TEXTS[language].items():
            assert value.strip(), f"{language}.{key} is empty"


def test_report_files_find_the_monitoring_and_the_donor_workbooks(tmp_path):
    from evaluation.schedule.delivery.message import report_files

    monitoring, capacity = tmp_path / "monitoring", tmp_path / "capacity"
    for folder, workbook in ((monitoring, "workbook"), (capacity, "donor_workbook")):
        folder.mkdir()
        for name in ("report.en.html", f"{workbook}.en.xlsx", f"{workbook}.sq.xlsx"):
            (folder / name).write_bytes(b"x")
    both = ("html", "workbook")
    assert [p.name for p in report_files(monitoring, "en", both)] == [
        "report.en.html",
        "workbook.en.xlsx",
    ]
    assert [p.name for p in report_files(capacity, "en", both)] == [
        "report.en.html",
        "donor_workbook.en.xlsx",
    ]
    assert [p.name for p in report_files(capacity, "sq", both)] == ["donor_workbook.sq.xlsx"]
    assert report_files(capacity, "en", ("pdf",)) == ()
