"""Text widths and wrapped lines, against the lines LibreOffice drew for the same cells.

``data/libreoffice_wrap.json`` holds, for 460 texts of the demo reports' workbooks (English
and Albanian headers, indicator names, notes, file paths, SHA-256 digests) in wrapping cells
of seven widths, the number of lines LibreOffice drew (regular and, for short texts, bold);
``data/make_libreoffice_wrap.py`` measures them again.
"""

import json
from pathlib import Path

import pytest

from evaluation.report.text_width import (
    LINE_HEIGHT,
    char_width,
    fits,
    row_height,
    text_width,
    wrapped_lines,
)

FIXTURE = Path(__file__).parent / "data" / "libreoffice_wrap.json"


@pytest.fixture(scope="module")
def measured():
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return [
        (cell["text"], width, cell["bold"], lines)
        for cell in data["cells"]
        for width, lines in zip(data["widths"], cell["lines"], strict=True)
    ]


@pytest.mark.parametrize("bold", [False, True], ids=["regular", "bold"])
def test_lines_match_libreoffice_and_never_cut_text(measured, bold):
    cells = [(t, w, lines) for t, w, b, lines in measured if b == bold]
    estimated = [(wrapped_lines(t, w, bold=bold), lines, t, w) for t, w, lines in cells]
    fewer = [(t, w, e, lines) for e, lines, t, w in estimated if e < lines]
    more = [(t, w, e, lines) for e, lines, t, w in estimated if e > lines]
    # fewer lines than drawn cuts the end of the text off: (almost) never
    assert len(fewer) <= len(cells) // 1000, fewer[:5]
    # more lines than drawn leaves a blank band under the text: rarely, and narrow (a line
    # that just misses moves its last word down, which may move the next line's too)
    assert len(more) <= 0.03 * len(cells), more[:5]
    assert all(e - lines <= 2 for _, _, e, lines in more), more[:5]
    assert sum(e - lines for _, _, e, lines in more) <= 1.1 * len(more)
    assert len(cells) > 2000  # the fixture is whole


def test_character_counting_overestimated_long_course_names(measured):
    """The old rule (1.1 characters per unit of width) gave this name two lines at the
    widest column, a blank band in every row of it; LibreOffice draws one."""
    course = "Domestic violence: coordinated referral (DCM 327/2021)"
    drawn = {w: lines for t, w, b, lines in measured if t == course and not b}
    assert drawn[50] == 1 and drawn[26] == 2
    assert len(course) > 1.1 * (50 - 1)  # what the old rule went by
    assert wrapped_lines(course, 50) == 1 and fits(course, 50)
    assert wrapped_lines(course, 26) == 2 and not fits(course, 26)


def test_widths_of_characters_follow_the_font():
    assert char_width("0") == char_width("7") == 1.0
    assert char_width("i") < char_width("n") < char_width("m")
    assert char_width("ë") == char_width("e") and char_width("Ç") == char_width("C")
    assert char_width("中") == 2.0  # East Asian wide
    assert text_width("iiii") < len("iiii") < text_width("MMMM")
    assert text_width("Total", bold=True) > text_width("Total")
    assert text_width("short\na much longer line") == text_width("a much longer line")


def test_line_breaks_spaces_hyphens_and_long_words():
    assert wrapped_lines("", 10) == 1
    assert wrapped_lines("one\ntwo\nthree", 40) == 3
    assert wrapped_lines("a" * 30, 10.4) == 3  # 10 per line, broken between characters
    assert wrapped_lines("domestic-violence case", 10) == 3  # breaks after the hyphen
    assert wrapped_lines("surveys/data/demo/clean", 12) == 2  # and after slashes
    assert row_height(1) == LINE_HEIGHT and row_height(3) == 3 * LINE_HEIGHT
    assert row_height(0) == LINE_HEIGHT
