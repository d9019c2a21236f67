"""The e-mail summary a report notebook may leave in its run folder: ``summary.<lang>.json``.

A scheduled report goes out with a few lines in the body of the e-mail, so that a project
manager sees what changed without opening the attachment. The notebook writes them, in the
run's language, with :func:`write_summary`::

    from evaluation.schedule.summary import write_summary
    write_summary(
        run,
        lines=["42 people trained this month (31 in September)", ...],
        attention=["Only 55% of cases were reviewed within 3 working days (milestone 80%)"],
    )

which writes ``<run folder>/summary.en.json`` (``summary.sq.json`` in the Albanian run)::

    {"title": "Monthly monitoring report", "period": "October 2026",
     "lines": ["42 people trained this month (31 in September)", ...],
     "attention": ["Only 55% of cases were reviewed within 3 working days ..."]}

``title`` and ``period`` are optional (the e-mail falls back to the report's title and the
scheduled period, e.g. "Monthly monitoring report — October 2026"); ``lines`` (at most
:data:`MAX_LINES`) and ``attention`` (may be empty) are lists of plain text, no HTML or
Markdown, one finding each, already disclosure-checked: they leave the building. If the file
is absent, the e-mail carries a generic summary built from ``manifest.json``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluation.errors import ReportError

MAX_LINES = 12
MAX_CHARS = 400
KEYS = ("title", "period", "lines", "attention")


@dataclass(frozen=True)
class Summary:
    """What the e-mail body says about a run.

    Attributes
    ----------
    title, period : str or None
        Override the report title and the period label in the subject and body.
    lines, attention : tuple of str
        Findings, and the points that need attention.
    generic : bool
        True when built from the manifest because the notebook wrote no summary.
    """

    title: str | None
    period: str | None
    lines: tuple[str, ...]
    attention: tuple[str, ...] = ()
    generic: bool = False


def summary_file(folder: Path, language: str) -> Path:
    """``<folder>/summary.<language>.json``."""
    return Path(folder) / f"summary.{language}.json"


def write_summary(
    run: Any,
    lines: Sequence[str],
    attention: Sequence[str] = (),
    *,
    title: str | None = None,
    period: str | None = None,
) -> Path:
    """Write the e-mail summary of a report run (call it from the notebook).

    Parameters
    ----------
    run : NotebookRun
        The object ``evaluation.pipeline.start(...)`` returned; gives the folder and language.
    lines : sequence of str
        One finding per item, plain text, at most :data:`MAX_LINES` of at most
        :data:`MAX_CHARS` characters.
    attention : sequence of str
        What needs the manager's attention (may be empty).
    title, period : str, optional
        Replace the report title and period label in the e-mail.

    Returns
    -------
    Path
        ``summary.<language>.json`` in the run folder.

    Raises
    ------
    ReportError
        If a value is not plain text or there are too many or too long lines.
    """
    data = {"title": title, "period": period, "lines": list(lines), "attention": list(attention)}
    summary = _check(data, "write_summary")
    path = Path(run.output_path("summary.json"))
    payload = {
        "title": summary.title,
        "period": summary.period,
        "lines": list(summary.lines),
        "attention": list(summary.attention),
    }
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def read_summary(folder: Path, language: str) -> Summary | None:
    """The summary the notebook wrote for ``language``, or ``None`` if it wrote none.

    Raises
    ------
    ReportError
        If the file exists but does not follow the contract (the message says what is wrong).
    """
    path = summary_file(folder, language)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ReportError(f"{path.name} is not UTF-8 JSON ({error})") from None
    return _check(data, path.name)


def _check(data: Any, where: str) -> Summary:
    if not isinstance(data, dict):
        raise ReportError(f"{where}: expected a JSON object with keys {', '.join(KEYS)}")
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ReportError(f"{where}: unknown key(s) {', '.join(unknown)}; keys: {', '.join(KEYS)}")
    for key in ("title", "period"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise ReportError(f"{where}: '{key}' must be text or null")
    lines = _texts(data.get("lines"), "lines", where)
    attention = _texts(data.get("attention") or [], "attention", where)
    return Summary(data.get("title") or None, data.get("period") or None, lines, attention)


def _texts(value: Any, key: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ReportError(f"{where}: '{key}' must be a list of text lines")
    if len(value) > MAX_LINES:
        raise ReportError(f"{where}: '{key}' has {len(value)} lines; keep at most {MAX_LINES}")
    long = [i for i, v in enumerate(value) if len(v) > MAX_CHARS]
    if long:
        raise ReportError(
            f"{where}: '{key}' line {long[0] + 1} has {len(value[long[0]])} characters; "
            f"keep each under {MAX_CHARS}"
        )
    return tuple(" ".join(v.split()) for v in value if v.strip())
