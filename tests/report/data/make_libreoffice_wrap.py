"""Measure how LibreOffice wraps text in cells, for ``libreoffice_wrap.json``.

Writes every text of the fixture in a wrapping cell of each width (regular, and bold for the
short ones), with rows tall enough for any text, converts the workbook to PDF with
``libreoffice --headless`` and counts the lines of each cell with ``pdftotext -bbox-layout``
(one text block per cell). Run from the project root when the texts change:

    .venv/bin/python tests/report/data/make_libreoffice_wrap.py [texts.json]

With a file argument, the texts are read from it (a JSON list of strings) instead.
"""

import html
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).parent
FIXTURE = HERE / "libreoffice_wrap.json"
WIDTHS = (12, 16, 20, 26, 34, 44, 50)
BOLD_UP_TO = 60  # characters: headers are short


def cells(texts):
    """(width, bold, text) of every cell, in sheet and row order."""
    for width in WIDTHS:
        for bold in (False, True):
            for text in texts:
                if not bold or len(text) <= BOLD_UP_TO:
                    yield width, bold, text


def write(texts, path):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for width in WIDTHS:
        for bold in (False, True):
            sheet = book.create_sheet(f"w{width}{'b' if bold else ''}")
            sheet.column_dimensions["A"].width = width
            row = 0
            for text in texts:
                if bold and len(text) > BOLD_UP_TO:
                    continue
                row += 1
                cell = sheet.cell(row, 1, text)
                cell.font = Font(name="Calibri", size=11, bold=bold)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                sheet.row_dimensions[row].height = 15 * 14
    book.save(path)


def line_counts(pdf):
    layout = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    blocks = re.findall(r"<block[^>]*>(.*?)</block>", layout, re.S)
    out = []
    for block in blocks:
        lines = re.findall(r"<line[^>]*>(.*?)</line>", block, re.S)
        words = [html.unescape(w) for w in re.findall(r"<word[^>]*>(.*?)</word>", block)]
        out.append(("".join(words), len(lines)))
    return out


def _dump(fixture):
    """JSON with one cell per line (readable diffs)."""
    head = {k: v for k, v in fixture.items() if k != "cells"}
    text = json.dumps(head, ensure_ascii=False)[:-1] + ', "cells": [\n'
    rows = [json.dumps(c, ensure_ascii=False) for c in fixture["cells"]]
    return text + ",\n".join(rows) + "\n]}\n"


def main():
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else FIXTURE
    loaded = json.loads(source.read_text(encoding="utf-8"))
    texts = loaded if isinstance(loaded, list) else [c["text"] for c in loaded["cells"]]
    texts = list(dict.fromkeys(texts))
    with tempfile.TemporaryDirectory() as folder:
        book = Path(folder) / "wrap.xlsx"
        write(texts, book)
        subprocess.run(
            ["libreoffice", "--headless", "--convert-to", "pdf", "--outdir", folder, str(book)],
            check=True,
            capture_output=True,
        )
        counts = line_counts(Path(folder) / "wrap.pdf")
    expected = list(cells(texts))
    if len(counts) != len(expected):
        raise SystemExit(f"{len(counts)} text blocks in the PDF for {len(expected)} cells")
    lines: dict[tuple[str, bool], dict[str, int]] = {}
    for (width, bold, text), (drawn, count) in zip(expected, counts, strict=True):
        if drawn != text.replace(" ", ""):
            raise SystemExit(f"cell out of order: {text!r} drawn as {drawn!r}")
        lines.setdefault((text, bold), {})[str(width)] = count
    fixture = {
        "made_by": "tests/report/data/make_libreoffice_wrap.py",
        "libreoffice": subprocess.run(
            ["libreoffice", "--version"], capture_output=True, text=True
        ).stdout.strip(),
        "font": "Calibri 11 requested; drawn as DejaVu Sans (no Calibri or Carlito installed)",
        "widths": list(WIDTHS),
        "cells": [
            {"text": text, "bold": bold, "lines": [by_width[str(w)] for w in WIDTHS]}
            for (text, bold), by_width in lines.items()
        ],
    }
    FIXTURE.write_text(_dump(fixture), encoding="utf-8")
    print(f"{FIXTURE}: {len(fixture['cells'])} texts x {len(WIDTHS)} widths")


if __name__ == "__main__":
    main()
