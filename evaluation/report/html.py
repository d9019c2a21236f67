"""Executed notebook → one self-contained HTML page for readers, without code.

nbconvert's ``HTMLExporter`` (template ``basic``, with ``exclude_input``,
``exclude_input_prompt`` and ``exclude_output_prompt``, images embedded as base64) renders
the cells' outputs and prose; this module then

- drops what readers must not see: stderr streams (warnings, logs), error outputs, object
  reprs with memory addresses (``<Figure at 0x7f…>``), cells tagged ``remove-cell`` and the
  outputs of cells tagged ``remove-output``;
- builds a table of contents from the markdown headings (the single ``#`` title goes to the
  page header; ``##`` and ``###`` make the contents);
- wraps every table in a scroll box (sideways on a phone, header row sticky) and gives every
  figure an alt text in the report's language;
- adds a header (report, title, run) and a footer (run, data sources with SHA-256, method
  notes) whose fixed text comes from :mod:`evaluation.report.labels`, and sets
  ``<html lang=…>``.

Only the elements marked ``data-run`` (run id and date) change between two runs with the same
inputs and params; everything else on the page is a function of the executed notebook.
"""

from __future__ import annotations

import copy
import html
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from evaluation import __version__
from evaluation.report.labels import t

REMOVE_CELL_TAG = "remove-cell"
REMOVE_OUTPUT_TAG = "remove-output"

_ADDRESS_REPR = re.compile(r"<[^<>\n]* at 0x[0-9a-fA-F]+>")

# nbconvert warns "Alternative text is missing" for every figure; _describe_figures gives each
# one an alt text in the report's language, so the exporter gets a logger that keeps quiet.
_EXPORTER_LOG = logging.getLogger(f"{__name__}.nbconvert")
_EXPORTER_LOG.setLevel(logging.ERROR)


@dataclass(frozen=True)
class Source:
    """A data file a report read: its path (relative to the project) and SHA-256."""

    path: str
    sha256: str


@dataclass(frozen=True)
class PageInfo:
    """What the page says around the notebook's content.

    Attributes
    ----------
    report : str
        Report name (``"baseline"``); its title comes from ``report.<name>`` in the labels.
    language : str
        ``"en"`` or ``"sq"``: the ``lang`` attribute and the fixed text.
    run_id : str
        The run's id (UTC timestamp and params hash).
    run_date : str
        When the run started, ISO 8601 in UTC (``2026-10-28T10:15:30Z``).
    period : str, optional
        Reporting period ``YYYY-MM``; ``None`` means all periods.
    run_label : str
        Free text shown with the run (``"draft"``).
    sources : sequence of Source
        The data files the notebook recorded (``evaluation.pipeline.record_input``).
    notes : sequence of str
        Method notes, already in ``language``.
    """

    report: str
    language: str
    run_id: str
    run_date: str
    period: str | None = None
    run_label: str = ""
    sources: Sequence[Source] = ()
    notes: Sequence[str] = ()
    version: str = field(default=__version__)


def render_html(notebook: nbformat.NotebookNode | str | Path, page: PageInfo) -> str:
    """Render an executed notebook as a self-contained HTML page without code.

    Parameters
    ----------
    notebook : NotebookNode or path
        The executed notebook (it is not modified).
    page : PageInfo
        Report, language, run and footer content.

    Returns
    -------
    str
        A complete HTML document (UTF-8), figures embedded as ``data:`` URIs.
    """
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    nb = _read(notebook)
    exporter = HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        log=_EXPORTER_LOG,
    )
    body, _ = exporter.from_notebook_node(reader_notebook(nb))
    soup = BeautifulSoup(body, "html.parser")
    title = _take_title(soup) or t(f"report.{page.report}", page.language)
    toc = _contents(soup)
    _wrap_tables(soup, page.language)
    _describe_figures(soup, page.language)
    return _page(title, toc, str(soup), page)


def write_html(notebook: nbformat.NotebookNode | str | Path, page: PageInfo, path: Path) -> Path:
    """:func:`render_html` written to ``path`` as UTF-8; returns ``path``."""
    path = Path(path)
    path.write_text(render_html(notebook, page), encoding="utf-8")
    return path


def reader_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` with only what readers should see (see the module docstring)."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if REMOVE_CELL_TAG in tags:
            continue
        if cell.cell_type == "code":
            keep = [] if REMOVE_OUTPUT_TAG in tags else cell.get("outputs", [])
            cell.outputs = [o for o in keep if _for_readers(o)]
            if not cell.outputs:
                continue
        cells.append(cell)
    nb.cells = cells
    return nb


def _for_readers(output: nbformat.NotebookNode) -> bool:
    kind = output.get("output_type")
    if kind == "error" or (kind == "stream" and output.get("name") == "stderr"):
        return False
    if kind in ("execute_result", "display_data"):
        data = output.get("data", {})
        plain = data.get("text/plain", "")
        plain = "".join(plain) if isinstance(plain, list) else plain
        if set(data) == {"text/plain"} and _ADDRESS_REPR.search(plain):
            return False
    return True


def _read(notebook: nbformat.NotebookNode | str | Path) -> nbformat.NotebookNode:
    if isinstance(notebook, str | Path):
        return nbformat.read(str(notebook), as_version=4)
    return notebook


# --------------------------------------------------------------------------- body
def _take_title(soup) -> str | None:
    """Remove the first ``h1`` from the body and return its text (the page title)."""
    h1 = soup.find("h1")
    if h1 is None:
        return None
    text = _heading_text(h1)
    h1.decompose()
    return text


def _contents(soup) -> list[tuple[int, str, str]]:
    """Give every heading a readable unique id; return ``(level, id, text)`` for h2/h3.

    Headings keep nbconvert's ``¶`` anchor link, pointed at the new id. With several ``h1``
    left (no single title), they enter the contents too, one level up.
    """
    used: set[str] = set()
    entries = []
    for heading in soup.find_all(re.compile(r"^h[1-6]$")):
        text = _heading_text(heading)
        slug = _slug(text, used)
        heading["id"] = slug
        for anchor in heading.find_all("a", class_="anchor-link"):
            anchor["href"] = f"#{slug}"
            anchor["aria-hidden"] = "true"
        level = int(heading.name[1])
        if level <= 3:
            entries.append((level, slug, text))
    return entries


def _heading_text(heading) -> str:
    copy_ = copy.copy(heading)
    for anchor in copy_.find_all("a", class_="anchor-link"):
        anchor.decompose()
    return " ".join(copy_.get_text(" ").split())


def _slug(text: str, used: set[str]) -> str:
    base = re.sub(r"[^\w]+", "-", text.casefold()).strip("-") or "section"
    slug, number = base, 2
    while slug in used:
        slug, number = f"{base}-{number}", number + 1
    used.add(slug)
    return slug


def _wrap_tables(soup, language: str) -> None:
    for number, table in enumerate(soup.find_all("table"), start=1):
        box = soup.new_tag(
            "div",
            attrs={
                "class": "wb-scroll",
                "tabindex": "0",
                "role": "region",
                "aria-label": t("html.table_region", language, number=number),
            },
        )
        table.wrap(box)


def _describe_figures(soup, language: str) -> None:
    for number, img in enumerate(soup.find_all("img"), start=1):
        alt = img.get("alt", "")
        if not alt or alt.startswith("No description has been provided"):
            img["alt"] = t("html.figure_alt", language, number=number)


# --------------------------------------------------------------------------- page
def _page(title: str, toc: list[tuple[int, str, str]], body: str, page: PageInfo) -> str:
    lang = page.language
    esc = html.escape
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{esc(lang)}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta name="generator" content="evaluation workbench {esc(page.version)}">',
            f"<title>{esc(title)}</title>",
            f"<style>{CSS}</style>",
            "</head>",
            "<body>",
            f'<a class="wb-skip" href="#wb-main">{esc(t("html.skip_to_content", lang))}</a>',
            '<header class="wb-header" id="wb-top">',
            f'<p class="wb-kicker">{esc(t(f"report.{page.report}", lang))}</p>',
            f"<h1>{esc(title)}</h1>",
            f'<p class="wb-meta">{_run_line(page)}</p>',
            "</header>",
            _toc_html(toc, lang),
            f'<main id="wb-main">\n{body}\n</main>',
            _footer(page),
            "</body>",
            "</html>",
            "",
        ]
    )


def _run_line(page: PageInfo) -> str:
    lang, esc = page.language, html.escape
    period = page.period or t("html.all_periods", lang)
    parts = [
        f"{esc(t('html.period', lang))}: {esc(period)}",
        f'{esc(t("html.run_date", lang))}: <time data-run datetime="{esc(page.run_date)}">'
        f"{esc(_readable_date(page.run_date))}</time>",
    ]
    if page.run_label:
        parts.append(f"{esc(t('html.run_label', lang))}: {esc(page.run_label)}")
    return " · ".join(parts)


def _toc_html(toc: list[tuple[int, str, str]], lang: str) -> str:
    """Two-level ordered list: the top heading level, and everything deeper under it."""
    if not toc:
        return ""
    top = min(level for level, _, _ in toc)
    entries: list[tuple[str, list[str]]] = []
    for level, slug, text in toc:
        link = f'<a href="#{html.escape(slug)}">{html.escape(text)}</a>'
        if level > top and entries:
            entries[-1][1].append(link)
        else:
            entries.append((link, []))
    items = "".join(
        f"<li>{link}"
        + (f"<ol>{''.join(f'<li>{c}</li>' for c in children)}</ol>" if children else "")
        + "</li>"
        for link, children in entries
    )
    return (
        '<nav class="wb-toc" aria-labelledby="wb-toc-title">'
        f'<h2 id="wb-toc-title">{html.escape(t("html.contents", lang))}</h2>'
        f"<ol>{items}</ol></nav>"
    )


def _footer(page: PageInfo) -> str:
    lang, esc = page.language, html.escape
    run = [
        (t("html.run_id", lang), f"<code data-run>{esc(page.run_id)}</code>"),
        (
            t("html.run_date", lang),
            f'<time data-run datetime="{esc(page.run_date)}">'
            f"{esc(_readable_date(page.run_date))}</time>",
        ),
        (t("html.period", lang), esc(page.period or t("html.all_periods", lang))),
        (t("html.language", lang), esc(t("language_name", lang))),
    ]
    if page.run_label:
        run.append((t("html.run_label", lang), esc(page.run_label)))
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in run)
    parts = [
        '<footer class="wb-footer">',
        f"<section><h2>{esc(t('html.run', lang))}</h2><dl>{rows}</dl></section>",
        f"<section><h2>{esc(t('html.data_sources', lang))}</h2>{_sources(page)}</section>",
    ]
    if page.notes:
        notes = "".join(f"<li>{esc(n)}</li>" for n in page.notes)
        parts.append(
            f"<section><h2>{esc(t('html.method_notes', lang))}</h2><ul>{notes}</ul></section>"
        )
    parts += [
        f"<p>{esc(t('html.produced_by', lang, version=page.version))}</p>",
        f'<p><a href="#wb-top">{esc(t("html.back_to_top", lang))}</a></p>',
        "</footer>",
    ]
    return "\n".join(parts)


def _sources(page: PageInfo) -> str:
    lang, esc = page.language, html.escape
    if not page.sources:
        return f"<p>{esc(t('html.no_sources', lang))}</p>"
    rows = "".join(
        f"<tr><td><code>{esc(s.path)}</code></td>"
        f'<td><code title="{esc(s.sha256)}">{esc(s.sha256[:16])}…</code></td></tr>'
        for s in page.sources
    )
    return (
        '<div class="wb-scroll" tabindex="0" role="region" '
        f'aria-label="{esc(t("html.data_sources", lang))}"><table>'
        f"<thead><tr><th>{esc(t('html.file', lang))}</th><th>{esc(t('html.sha256', lang))}</th>"
        f"</tr></thead><tbody>{rows}</tbody></table></div>"
    )


def _readable_date(iso: str) -> str:
    """``2026-10-28T10:15:30Z`` → ``2026-10-28 10:15 UTC`` (the same in every language)."""
    match = re.match(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})", iso)
    return f"{match.group(1)} {match.group(2)} UTC" if match else iso


CSS = """
:root { --ink: #1d2430; --muted: #5b6472; --line: #d7dce3; --band: #f3f5f8; --accent: #0b5cad; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0 auto; max-width: 62rem; padding: 1rem 1.25rem 3rem; color: var(--ink);
  font: 1rem/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif; }
h1, h2, h3, h4 { line-height: 1.25; margin: 1.6em 0 0.5em; }
h1 { font-size: 1.8rem; margin-top: 0.2em; } h2 { font-size: 1.4rem; } h3 { font-size: 1.15rem; }
a { color: var(--accent); }
a.anchor-link { visibility: hidden; margin-left: 0.3em; text-decoration: none; }
h1:hover a.anchor-link, h2:hover a.anchor-link, h3:hover a.anchor-link { visibility: visible; }
.wb-skip { position: absolute; left: -999px; }
.wb-skip:focus { left: 1rem; top: 0.5rem; background: #fff; padding: 0.3rem 0.6rem; }
.wb-header { border-bottom: 3px solid var(--accent); padding-bottom: 0.6rem; }
.wb-kicker { margin: 0; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em;
  font-size: 0.85rem; }
.wb-meta { margin: 0.2rem 0 0; color: var(--muted); font-size: 0.9rem; }
.wb-toc { background: var(--band); border-radius: 6px; padding: 0.6rem 1rem; margin: 1rem 0; }
.wb-toc h2 { margin: 0 0 0.3rem; font-size: 1rem; }
.wb-toc ol { margin: 0; padding-left: 1.2rem; }
.wb-toc li { margin: 0.15rem 0; }
.wb-toc ol ol { padding-left: 1.1rem; list-style-type: lower-alpha; font-size: 0.95rem; }
.wb-meta time, .wb-footer time { white-space: nowrap; }
.wb-scroll { display: inline-block; max-width: 100%; vertical-align: top; overflow: auto;
  max-height: 80vh; margin: 0.8rem 0; border: 1px solid var(--line); border-radius: 4px;
  -webkit-overflow-scrolling: touch; }
.wb-scroll:focus { outline: 2px solid var(--accent); }
table { border-collapse: collapse; border: 0; font-size: 0.92rem;
  font-variant-numeric: tabular-nums; }
th, td { padding: 0.35rem 0.6rem; border: 0; border-bottom: 1px solid var(--line); text-align: right;
  white-space: nowrap; vertical-align: top; }
th:first-child, td:first-child, tbody th { text-align: left; }
thead th { position: sticky; top: 0; z-index: 1; background: var(--band);
  border-bottom: 2px solid var(--ink); }
tbody tr:nth-child(even) { background: #fafbfc; }
img { max-width: 100%; height: auto; display: block; margin: 0.8rem 0; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--band); padding: 0.6rem;
  border-radius: 4px; font-size: 0.9rem; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.9em; }
.wb-footer { margin-top: 3rem; border-top: 1px solid var(--line); color: var(--muted);
  font-size: 0.92rem; }
.wb-footer h2 { font-size: 1.05rem; color: var(--ink); }
.wb-footer dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
.wb-footer dt { font-weight: 600; } .wb-footer dd { margin: 0; overflow-wrap: anywhere; }
@media (max-width: 600px) {
  body { padding: 0.6rem 0.75rem 2rem; font-size: 1.02rem; }
  h1 { font-size: 1.5rem; } h2 { font-size: 1.25rem; }
  table { font-size: 0.88rem; } th, td { padding: 0.3rem 0.45rem; }
  .wb-footer dl { grid-template-columns: 1fr; } .wb-footer dd { margin-bottom: 0.4rem; }
}
@media print {
  .wb-skip, a.anchor-link { display: none; }
  .wb-scroll { overflow: visible; max-height: none; border: 0; }
  thead th { position: static; }
}
"""
