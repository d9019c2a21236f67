"""Sending e-mail over SMTP, configured only from environment variables.

==============================  ===========================================================
``WORKBENCH_SMTP_HOST``         server name or address (required to send e-mail)
``WORKBENCH_SMTP_PORT``         default 587 for ``starttls``, 465 for ``ssl``, 25 for ``none``
``WORKBENCH_SMTP_SECURITY``     ``starttls`` (default), ``ssl`` (TLS from the first byte) or
                                ``none`` (plain text: only to a server on this computer)
``WORKBENCH_SMTP_USER``         login name; no login when unset
``WORKBENCH_SMTP_PASSWORD``     password for the login
``WORKBENCH_MAIL_FROM``         the From address, e.g. ``Evaluation workbench <wb@example.org>``
``WORKBENCH_SMTP_CAFILE``       optional: PEM file of the CA that signed the server's
                                certificate, for a server with a private or self-signed one
``WORKBENCH_SMTP_TIMEOUT``      optional: seconds to wait for the server (default 60)
==============================  ===========================================================

Certificates are always verified (host name included). A login over ``none`` is refused
unless the server is on this computer, so a password never crosses a network in clear.

Sending is split at the point of no return. A failure before the message's content is handed
over (cannot connect, login refused, recipient refused, the server refuses the message) raises
:class:`~evaluation.errors.DeliveryError`: the message was certainly not delivered and may be
tried again. A connection lost while the content is being handed over or before the server's
answer raises :class:`UncertainDeliveryError`: the server may have accepted it, and the
scheduler does not send it again (see :mod:`evaluation.schedule.jobs`).
"""

from __future__ import annotations

import io
import os
import smtplib
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

from evaluation.errors import DeliveryError, ParamsError

ENV_HOST = "WORKBENCH_SMTP_HOST"
ENV_PORT = "WORKBENCH_SMTP_PORT"
ENV_SECURITY = "WORKBENCH_SMTP_SECURITY"
ENV_USER = "WORKBENCH_SMTP_USER"
ENV_PASSWORD = "WORKBENCH_SMTP_PASSWORD"
ENV_FROM = "WORKBENCH_MAIL_FROM"
ENV_CAFILE = "WORKBENCH_SMTP_CAFILE"
ENV_TIMEOUT = "WORKBENCH_SMTP_TIMEOUT"

SECURITY: dict[str, int] = {"starttls": 587, "ssl": 465, "none": 25}
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


class UncertainDeliveryError(DeliveryError):
    """The connection broke while the message was being handed over: it may have arrived."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send e-mail (read with :meth:`from_env`)."""

    host: str
    port: int
    security: str
    mail_from: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    cafile: str | None = None
    timeout: float = 60.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings:
        """Read the settings from the environment (or ``env``).

        Raises
        ------
        ParamsError
            Naming the variable: host or From missing, a port or timeout that is not a
            number, an unknown security, a user without a password, a login in clear text
            to another computer, a CA file that does not exist.
        """
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        host = get(ENV_HOST)
        if host is None:
            raise ParamsError(
                f"{ENV_HOST} is not set, so no e-mail can be sent; set it (and {ENV_FROM}, "
                f"{ENV_SECURITY}, {ENV_USER}, {ENV_PASSWORD}) in the scheduler's environment"
            )
        security = (get(ENV_SECURITY) or "starttls").lower()
        if security not in SECURITY:
            raise ParamsError(f"{ENV_SECURITY}={security!r} is not one of {', '.join(SECURITY)}")
        port = _number(get(ENV_PORT), ENV_PORT, SECURITY[security], whole=True)
        if not 0 < port < 65536:
            raise ParamsError(f"{ENV_PORT}={port} is not a port number (1-65535)")
        timeout = _number(get(ENV_TIMEOUT), ENV_TIMEOUT, 60.0, whole=False)
        sender = get(ENV_FROM)
        if sender is None or "@" not in parseaddr(sender)[1]:
            found = f"{sender!r} is not an address" if sender else "it is not set"
            raise ParamsError(f"{ENV_FROM}: {found}; set it to e.g. 'Workbench <wb@example.org>'")
        user, password = get(ENV_USER), env.get(ENV_PASSWORD) or None
        if user and not password:
            raise ParamsError(f"{ENV_USER} is set but {ENV_PASSWORD} is not; set both or neither")
        if user and security == "none" and host.lower() not in LOCAL_HOSTS:
            raise ParamsError(
                f"a login over {ENV_SECURITY}=none would send the password to {host} in clear "
                "text; use starttls or ssl"
            )
        cafile = get(ENV_CAFILE)
        if cafile and not os.path.isfile(cafile):
            raise ParamsError(f"{ENV_CAFILE}={cafile} does not exist")
        return cls(host, port, security, sender, user, password, cafile, timeout)

    def describe(self) -> str:
        """``smtp.example.org:587, security starttls, login yes (user wb)`` — no password."""
        login = f"yes (user {self.user})" if self.user else "no"
        ca = f", CA file {self.cafile}" if self.cafile else ""
        return f"{self.host}:{self.port}, security {self.security}, login {login}{ca}"

    def tls_context(self) -> ssl.SSLContext:
        """A verifying TLS context (with the CA file if one is set)."""
        return ssl.create_default_context(cafile=self.cafile)


class SmtpMailer:
    """Sends messages with :class:`SmtpSettings`, one connection per message.

    Parameters
    ----------
    settings : SmtpSettings
    """

    def __init__(self, settings: SmtpSettings):
        self.settings = settings

    @property
    def sender(self) -> str:
        """The From address."""
        return self.settings.mail_from

    def send(self, message: EmailMessage) -> None:
        """Send ``message`` to its To/Cc/Bcc recipients.

        Raises
        ------
        DeliveryError
            The message was certainly not delivered (the message says why and what to check).
        UncertainDeliveryError
            The connection failed while the content was handed over: it may have arrived.
        """
        where = f"SMTP {self.settings.host}:{self.settings.port}"
        sender = parseaddr(message["From"] or self.settings.mail_from)[1]
        recipients = [
            a
            for _, a in getaddresses(
                message.get_all("To", []) + message.get_all("Cc", []) + message.get_all("Bcc", [])
            )
            if a
        ]
        client = self._connect(where)
        try:
            self._prepare(client, where)
            self._envelope(client, where, sender, recipients)
            content = _wire_bytes(message)
            try:
                client.data(content)
            except smtplib.SMTPDataError as error:
                raise DeliveryError(f"{where} refused the message: {_reply(error)}") from None
            except (smtplib.SMTPServerDisconnected, OSError) as error:
                raise UncertainDeliveryError(
                    f"{where}: the connection broke while the message was handed over "
                    f"({type(error).__name__}: {error}); it may or may not have arrived"
                ) from None
        finally:
            _close(client)

    # ----------------------------------------------------------------- steps
    def _connect(self, where: str) -> smtplib.SMTP:
        s = self.settings
        try:
            if s.security == "ssl":
                return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=s.tls_context())
            return smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        except ssl.SSLError as error:
            raise DeliveryError(f"{where}: TLS failed ({error}){_ca_hint(error)}") from None
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(
                f"could not connect to {where} ({type(error).__name__}: {error}); check "
                f"{ENV_HOST}, {ENV_PORT} and {ENV_SECURITY}, and that the server is reachable"
            ) from None

    def _prepare(self, client: smtplib.SMTP, where: str) -> None:
        s = self.settings
        try:
            client.ehlo()
            if s.security == "starttls":
                client.starttls(context=s.tls_context())
                client.ehlo()
            if s.user:
                client.login(s.user, s.password or "")
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError(
                f"{where} does not offer STARTTLS; set {ENV_SECURITY}=ssl if it expects TLS "
                f"from the start (usually port 465)"
            ) from None
        except smtplib.SMTPAuthenticationError as error:
            raise DeliveryError(
                f"{where} refused the login of user {s.user!r}: {_reply(error)}; check "
                f"{ENV_USER} and {ENV_PASSWORD}"
            ) from None
        except ssl.SSLError as error:
            raise DeliveryError(f"{where}: TLS failed ({error}){_ca_hint(error)}") from None
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(f"{where}: {type(error).__name__}: {error}") from None

    def _envelope(
        self, client: smtplib.SMTP, where: str, sender: str, recipients: list[str]
    ) -> None:
        try:
            code, reply = client.mail(sender)
            if code != 250:
                raise DeliveryError(f"{where} refused the sender {sender}: {code} {_text(reply)}")
            refused = {}
            for address in recipients:
                code, reply = client.rcpt(address)
                if code not in (250, 251):
                    refused[address] = f"{code} {_text(reply)}"
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(f"{where}: {type(error).__name__}: {error}") from None
        if refused and len(refused) == len(recipients):
            shown = "; ".join(f"{a}: {r}" for a, r in refused.items())
            raise DeliveryError(f"{where} refused every recipient ({shown})")
        if refused:
            # One recipient per message is what the scheduler sends; mixed outcomes would
            # make the ledger wrong, so refuse to go on rather than deliver to some.
            client.rset()
            shown = "; ".join(f"{a}: {r}" for a, r in refused.items())
            raise DeliveryError(f"{where} refused some recipients ({shown}); nothing was sent")


def send_test_email(settings: SmtpSettings, to: str) -> str:
    """Send a short test message to ``to``; return a line saying it went.

    Raises
    ------
    DeliveryError
        If it could not be sent (the message says at which step and what to check).
    """
    from evaluation.schedule.delivery.message import message_id_for, plain_message

    started = time.perf_counter()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    message_id = message_id_for("test-email", stamp, to, settings.mail_from, kind="test")
    message = plain_message(
        "Evaluation workbench: test message",
        [
            "This is a test message from the evaluation workbench scheduler.",
            f"Server: {settings.describe()}",
            f"Sent at {stamp} from {socket.gethostname()}.",
            "If you can read this, scheduled reports can be e-mailed with these settings.",
        ],
        to,
        settings.mail_from,
        message_id,
    )
    SmtpMailer(settings).send(message)
    seconds = time.perf_counter() - started
    return f"sent the test message to {to} in {seconds:.2f} s (Message-ID {message_id})"


def _wire_bytes(message: EmailMessage) -> bytes:
    """The message as SMTP carries it (CRLF line ends), as smtplib.send_message makes it."""
    buffer = io.BytesIO()
    generator = BytesGenerator(buffer, policy=message.policy.clone(linesep="\r\n"))
    generator.flatten(message, linesep="\r\n")
    return buffer.getvalue()


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


def _number(text: str | None, name: str, default: float, whole: bool) -> int | float:
    if text is None:
        return int(default) if whole else float(default)
    try:
        return int(text) if whole else float(text)
    except ValueError:
        kind = "a whole number" if whole else "a number of seconds"
        raise ParamsError(f"{name}={text!r} is not {kind}") from None


def _reply(error: smtplib.SMTPResponseException) -> str:
    return f"{error.smtp_code} {_text(error.smtp_error)}"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _ca_hint(error: ssl.SSLError) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"; the server's certificate is not trusted: if it is private or self-signed, "
            f"set {ENV_CAFILE} to the PEM file of its CA"
        )
    return ""
