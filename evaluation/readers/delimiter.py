"""Which character separates the fields of a CSV export.

Kobo writes ``;`` with every field quoted; ODK Central and most tools write ``,``; Excel in
an Albanian locale writes ``;``; "Unicode text" is tab-separated. Each candidate splits the
header and the first records with Python's ``csv`` module (so quoted delimiters do not
count); the winner gives the header more than one column and the same count on the most
records. A delimiter the caller gives is checked the same way: if it leaves the whole
header in one column while another candidate splits the file consistently, that is an
error, not a one-column table.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from evaluation.errors import DataError

CANDIDATES: tuple[str, ...] = (",", ";", "\t", "|")
_SAMPLE_BYTES = 262_144
_SAMPLE_RECORDS = 200
_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}


@dataclass(frozen=True)
class Split:
    """How one candidate delimiter splits the sample."""

    delimiter: str
    header_width: int
    consistent: int  # records (after the header) with the header's width
    records: int  # records after the header in the sample
    clean: bool = True  # every quoted field closes just before a delimiter or line end

    @property
    def score(self) -> tuple[bool, float, bool, int]:
        # between equally consistent candidates, one whose quoted fields all close right
        # before a delimiter wins: '"0";",,"' gives three fields with ',' but only ';'
        # parses it strictly (Kobo quotes every field)
        share = self.consistent / self.records if self.records else 1.0
        return (self.header_width > 1, share, self.clean, self.header_width)

    def describe(self) -> str:
        name = _NAMES.get(self.delimiter, repr(self.delimiter))
        if not self.records:
            return f"{name} gives {_columns(self.header_width)} in the header"
        return (
            f"{name} gives {_columns(self.header_width)} in the header and on "
            f"{self.consistent} of {self.records} sampled records"
        )


def _columns(n: int) -> str:
    return "1 column" if n == 1 else f"{n} columns"


@dataclass(frozen=True)
class Choice:
    """The delimiter used and why."""

    delimiter: str
    evidence: str


def sample_text(utf8: bytes) -> tuple[str, bool]:
    """The first part of the text, and whether it is the whole text."""
    complete = len(utf8) <= _SAMPLE_BYTES
    return utf8[:_SAMPLE_BYTES].decode("utf-8", errors="ignore"), complete


def measure(text: str, complete: bool, delimiter: str) -> Split:
    """Split the sample with ``delimiter`` and count the fields of each record."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    widths: list[int] = []
    try:
        for fields in reader:
            if fields:
                widths.append(len(fields))
            if len(widths) > _SAMPLE_RECORDS:
                break
    except csv.Error:
        pass  # a field larger than the limit or a NUL: judge on the records seen so far
    if not complete and len(widths) > 1 and len(widths) <= _SAMPLE_RECORDS:
        widths.pop()  # the last record may be cut by the end of the sample
    if not widths:
        return Split(delimiter, 0, 0, 0)
    header, rest = widths[0], widths[1:]
    clean = _quotes_close(text, delimiter, len(widths))
    return Split(delimiter, header, sum(w == header for w in rest), len(rest), clean)


def _quotes_close(text: str, delimiter: str, records: int) -> bool:
    """Whether the first ``records`` records parse under the csv module's strict rules."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for _ in zip(range(records), reader, strict=False):
            pass
    except csv.Error:
        return False
    return True


def sniff(text: str, complete: bool) -> Choice:
    """Choose the delimiter among :data:`CANDIDATES` that splits the sample best."""
    splits = [measure(text, complete, d) for d in CANDIDATES]
    best = max(splits, key=lambda s: s.score)  # ties keep the earlier candidate
    others = "; ".join(s.describe() for s in splits if s is not best)
    if best.header_width <= 1:
        return Choice(",", f"no candidate splits the header ({others}); read as one column")
    return Choice(best.delimiter, f"detected: {best.describe()} (others: {others})")


def check_given(text: str, complete: bool, delimiter: str, name: str) -> Choice:
    """Accept the caller's delimiter unless it clearly is the wrong one.

    Raises
    ------
    DataError
        If ``delimiter`` leaves the header in one column while another candidate splits
        the header and most records into the same number of columns.
    """
    given = measure(text, complete, delimiter)
    if given.header_width <= 1:
        splits = [measure(text, complete, d) for d in CANDIDATES if d != delimiter]
        best = max(splits, key=lambda s: s.score, default=None)
        if best is not None and best.header_width > 1 and best.score[1] >= 0.9:
            raise DataError(
                f"{name}: with delimiter={delimiter!r} every row lands in one column, but "
                f"{best.describe()}; pass delimiter={best.delimiter!r}, or leave delimiter= "
                "out to detect it"
            )
    return Choice(delimiter, f"given by the caller (delimiter=); {given.describe()}")
