"""The e-mails the scheduler sends: reports to managers, failure reports to the administrator.

A report e-mail (:func:`report_message`) has

* the subject ``<report title> — <period>``: "Monthly monitoring report — October 2026", or
  in Albanian "Raporti mujor i monitorimit — tetor 2026" for a recipient whose language is
  ``sq``;
* a plain-text body and an HTML alternative with the same content: the summary lines and
  the points that need attention (:mod:`evaluation.schedule.summary`), then what is attached;
* the report files of the recipient's language attached (``report.<lang>.html``,
  ``workbook.<lang>.xlsx``), or, when together they are larger than the job's limit, where
  to find them instead (the shared-folder copy, a link under ``link_base``, or the path on
  the workbench computer).

Each message has a Message-ID derived from job, period and recipient, so that a message sent
again by hand for the same period is recognised as the same message by mail clients that
de-duplicate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from evaluation.errors import ReportError
from evaluation.schedule.delivery.texts import text
from evaluation.schedule.periods import MONTHS, Period
from evaluation.schedule.summary import Summary, read_summary

CONTENT_TYPES: dict[str, tuple[str, str]] = {
    ".html": ("text", "html"),
    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".pdf": ("application", "pdf"),
    ".csv": ("text", "csv"),
}
FORMAT_FILES: dict[str, tuple[str, ...]] = {
    "html": ("report.{lang}.html",),
    "workbook": ("workbook.{lang}.xlsx", "donor_workbook.{lang}.xlsx"),
}
"""Each format's file names in a run folder, first found wins: the monitoring report writes
``workbook``, the baseline, endline and capacity reports ``donor_workbook``."""

_log = logging.getLogger("evaluation.schedule")


@dataclass(frozen=True)
class ReportMail:
    """What one report e-mail says, before it is addressed.

    Attributes
    ----------
    job, report, run_id : str
    period : Period
    language : str
        The recipient's language.
    files : tuple of Path
        Report files of that language, in the run folder.
    summary : Summary
    max_bytes : int
        Largest total size of attachments; above it, :attr:`locations` are listed instead.
    locations : mapping of str to str
        File name → where else it can be opened (shared folder path or URL).
    contact : str or None
        Address for questions (the administrator).
    """

    job: str
    report: str
    run_id: str
    period: Period
    language: str
    files: tuple[Path, ...]
    summary: Summary
    max_bytes: int
    locations: Mapping[str, str]
    contact: str | None = None

    @property
    def attach(self) -> bool:
        """Whether the files go as attachments (their total size is within the limit)."""
        return sum(p.stat().st_size for p in self.files) <= self.max_bytes

    @property
    def subject(self) -> str:
        """``Monthly monitoring report — October 2026``."""
        return f"{self.title} — {self.summary.period or self.period.label(self.language)}"

    @property
    def title(self) -> str:
        """The summary's title, else the report's title in the language."""
        if self.summary.title:
            return self.summary.title
        from evaluation.report.labels import t

        return t(f"report.{self.report}", self.language)


def report_files(folder: Path, language: str, formats: Sequence[str]) -> tuple[Path, ...]:
    """The files of ``formats`` for ``language`` that the run folder holds, in format order."""
    found = []
    for kind in formats:
        paths = [Path(folder) / n.format(lang=language) for n in FORMAT_FILES.get(kind, ())]
        found += [p for p in paths if p.is_file()][:1]
    return tuple(found)


def run_summary(folder: Path, language: str, period: Period, zone: str) -> Summary:
    """The notebook's summary for ``language``, else a generic one from ``manifest.json``.

    A summary file that breaks the contract is logged and replaced by the generic summary:
    the report itself is fine, so it still goes out.
    """
    try:
        found = read_summary(folder, language)
    except ReportError as error:
        _log.warning("%s: %s; sending the generic summary instead", folder, error.one_line())
        found = None
    return found if found is not None else generic_summary(folder, language, period, zone)


def generic_summary(folder: Path, language: str, period: Period, zone: str) -> Summary:
    """Lines any run can offer: its period, when it was produced, how many data files it read."""
    manifest = _manifest(folder)
    label = period.label(language) if period.month else text("all_data", language)
    lines = [text("period", language, period=label)]
    finished = manifest.get("finished")
    if finished:
        lines.append(text("finished", language, when=_local_when(finished, zone, language)))
    inputs = [i for i in manifest.get("inputs", []) if i.get("role") == "data"]
    if manifest:
        lines.append(text("sources", language, count=len(inputs)))
    lines.append(text("no_summary", language))
    return Summary(None, None, tuple(lines), (), generic=True)


def report_message(mail: ReportMail, to: str, sender: str, message_id: str) -> EmailMessage:
    """The e-mail of one report to one recipient.

    Parameters
    ----------
    mail : ReportMail
    to : str
        The recipient as written in the schedule (``Ana <pm@example.org>``).
    sender : str
        ``WORKBENCH_MAIL_FROM``.
    message_id : str
        From :func:`message_id_for`.
    """
    message = _headers(mail.subject, to, sender, message_id)
    message["Content-Language"] = mail.language
    plain, rich = _bodies(mail)
    message.set_content(plain)
    message.add_alternative(rich, subtype="html")
    if mail.attach:
        for path in mail.files:
            maintype, subtype = CONTENT_TYPES.get(
                path.suffix.lower(), ("application", "octet-stream")
            )
            message.add_attachment(
                path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
            )
    return message


def plain_message(
    subject: str, lines: Sequence[str], to: str, sender: str, message_id: str
) -> EmailMessage:
    """A plain-text message (failure reports, the test message)."""
    message = _headers(subject, to, sender, message_id)
    message.set_content("\n".join(lines) + "\n")
    return message


def message_id_for(job: str, period: str, address: str, sender: str, kind: str = "report") -> str:
    """``<monitoring-monthly.2026-10.3f2a9c1b0e7d@example.org>``: the same for the same job,
    period, recipient and kind, so a repeat is recognisably the same message."""
    digest = hashlib.sha256(f"{kind}\0{job}\0{period}\0{address.lower()}".encode()).hexdigest()
    domain = sender.rpartition("@")[2].strip("> ") or "workbench.invalid"
    safe_period = re.sub(r"[^A-Za-z0-9.-]", "", period)
    return f"<{job}.{safe_period}.{digest[:12]}@{domain}>"


def human_size(size: int) -> str:
    """``245 KB``, ``3.2 MB`` (1 KB = 1024 bytes)."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


# --------------------------------------------------------------------------- bodies
def _headers(subject: str, to: str, sender: str, message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    return message


def _bodies(mail: ReportMail) -> tuple[str, str]:
    lang = mail.language
    sections: list[tuple[str, list[str]]] = [(text("summary", lang), list(mail.summary.lines))]
    if mail.summary.attention:
        sections.append((text("attention", lang), list(mail.summary.attention)))
    if mail.files and mail.attach:
        files = [f"{p.name} ({human_size(p.stat().st_size)})" for p in mail.files]
        sections.append((text("attached", lang), files))
    elif mail.files:
        total = human_size(mail.max_bytes)
        where = [f"{p.name}: {mail.locations.get(p.name, str(p))}" for p in mail.files]
        sections.append((text("where", lang), [text("too_large", lang, limit=total), *where]))
    footer = (
        text("footer", lang, job=mail.job, run_id=mail.run_id, contact=mail.contact)
        if mail.contact
        else text("footer_no_contact", lang, job=mail.job, run_id=mail.run_id)
    )
    plain = [mail.subject, ""]
    for heading, items in sections:
        plain += [heading, "-" * len(heading), *[f"- {item}" for item in items], ""]
    plain += ["--", footer]
    return "\n".join(plain) + "\n", _html(mail, sections, footer)


def _html(mail: ReportMail, sections: list[tuple[str, list[str]]], footer: str) -> str:
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{mail.language}"><head><meta charset="utf-8">',
        f"<title>{esc(mail.subject)}</title></head>",
        '<body style="font-family: sans-serif; line-height: 1.4; max-width: 40em;">',
        f'<h1 style="font-size: 1.3em;">{esc(mail.subject)}</h1>',
    ]
    for index, (heading, items) in enumerate(sections):
        box = (
            ' style="border-left: 4px solid #b35c00; padding-left: 0.8em;"'
            if (mail.summary.attention and index == 1)
            else ""
        )
        parts.append(f'<section{box}><h2 style="font-size: 1.1em;">{esc(heading)}</h2><ul>')
        parts += [f"<li>{_linked(item)}</li>" for item in items]
        parts.append("</ul></section>")
    parts.append(f'<p style="color: #555; font-size: 0.85em;">{esc(footer)}</p>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _linked(item: str) -> str:
    """Escape ``item``; make a trailing http(s) URL a link."""
    found = re.search(r"https?://\S+$", item)
    if not found:
        return html.escape(item)
    url = found.group(0)
    before = item[: found.start()]
    return f'{html.escape(before)}<a href="{html.escape(url)}">{html.escape(url)}</a>'


def _manifest(folder: Path) -> dict:
    try:
        return json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def _local_when(stamp: str, zone: str, language: str) -> str:
    from zoneinfo import ZoneInfo

    moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(ZoneInfo(zone))
    month = MONTHS[language][moment.month - 1]
    return f"{moment.day} {month} {moment.year}, {moment:%H:%M} {moment.tzname()}"
