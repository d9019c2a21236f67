"""The matching engine of :func:`~evaluation.privacy.scan_for_values`: many values, much text.

A leak scan looks for thousands of planted values (names, phone numbers, codes, e-mails,
GPS readings) in every text of a folder. One pattern per value and line costs values × lines
(16 minutes on a large demo world). Here each text is prepared once and every value is
looked up at once, with the same matching rules:

1. the segments (lines, cells, distinct column values, JSON strings) are joined with NUL
   and prepared in one go: HTML entities undone, the base64 payloads of ``data:`` URIs
   (embedded images, which hold no readable text) removed, case and diacritics folded;
2. set look-ups say which values can occur: a value's words (runs of letters and digits) must
   all be words of the text; a phone-like value's national digits must occur in the text's
   digits once the separators ``space ( ) . - /`` are removed;
3. only those candidates are searched with their exact pattern, and each hit is placed in
   its segment.

Matching rules: case- and diacritic-insensitive, whole words (no letter or digit right
before or after), any run of spaces where the value has a space; a value of phone
characters with at least 7 digits matches with any separators between its digits and with
or without ``+355``/``00355``/``355``/``0`` in front (``+355 69 123 4567`` matches
``0691234567`` and ``691234567``).
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evaluation.privacy.patterns import fold

_WORD = re.compile(r"[^\W_]+")
_PHONE_CHARS = re.compile(r"[\d\s+().\-/]+")
# str.translate tables run at C speed, several times faster than re.sub/findall on big texts
_SPACES = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(
    map(chr, [*range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000])
)  # every character that regular expressions call \s
_DROP_SEPARATORS = {ord(c): None for c in _SPACES + "()./-"}
_ASCII_NOT_WORD = {c: " " for c in range(128) if not chr(c).isalnum()}
_COUNTRY = re.compile(r"^(?:\+|00)355|^0")
_SEP = r"[\s().\-/]*"
_DATA_URI = re.compile(r"(data:[^,;\"'\s<>]{0,100};base64,)[A-Za-z0-9+/]*=*")
_JOIN = "\x00"
_LONGEST_PHONE = 15  # E.164: a number stored as a number has at most 15 digits
_FEW = 64  # up to this many candidates, each is searched in the whole text at once


@dataclass
class Needle:
    """One value to find: as given, its exact pattern (compiled when first needed: most
    values are never candidates), its words, and its national digits if it is a phone."""

    value: str
    source: str
    words: frozenset[str]
    digits: str  # phone-like values only, else ""
    _compiled: re.Pattern[str] | None = field(default=None, repr=False)

    @property
    def pattern(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self.source)
        return self._compiled


def make_needle(value: object) -> Needle | None:
    """The :class:`Needle` for ``value``; ``None`` for a missing or blank value."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    text = str(value).strip().replace(_JOIN, " ")
    if not text:
        return None
    if _PHONE_CHARS.fullmatch(text) and sum(c.isdigit() for c in text) >= 7:
        national = re.sub(r"\D", "", _COUNTRY.sub("", re.sub(r"[\s().\-/]", "", text)))
        prefix = rf"(?:(?:(?:\+|00){_SEP})?355{_SEP}|0{_SEP})?"
        return Needle(text, rf"(?<!\d){prefix}{_SEP.join(national)}(?!\d)", frozenset(), national)
    folded = fold(text)
    body = r"\s+".join(re.escape(part) for part in folded.split())
    words = frozenset(_words(folded))
    return Needle(text, rf"(?<![^\W_]){body}(?![^\W_])", words, "")


def prepare(text: str) -> str:
    """Entities undone, base64 payloads of data URIs removed, case and diacritics folded."""
    if "&" in text:
        text = html.unescape(text)
    if "base64," in text:
        text = _DATA_URI.sub(r"\1", text)
    return fold(text)


class Needles:
    """Every value of a scan, indexed for looking them all up at once.

    Parameters
    ----------
    values : iterable
        The values that must not appear; missing and blank ones are ignored.
    """

    def __init__(self, values: Iterable[object]) -> None:
        self.needles = [n for n in map(make_needle, values) if n is not None]
        self._by_word: dict[str, list[int]] = {}
        self._unkeyed: list[int] = []
        self._by_digits: dict[str, list[int]] = {}
        self._by_number: dict[int, list[int]] = {}
        for index, needle in enumerate(self.needles):
            if needle.digits:
                self._by_digits.setdefault(needle.digits, []).append(index)
                if len(needle.digits) <= _LONGEST_PHONE:
                    for number in {int(needle.digits), int("355" + needle.digits)}:
                        self._by_number.setdefault(number, []).append(index)
            elif needle.words:  # the longest word is the most telling one
                key = max(sorted(needle.words), key=len)
                self._by_word.setdefault(key, []).append(index)
            else:  # punctuation only: no word to look up, always searched
                self._unkeyed.append(index)
        self._keys = frozenset(self._by_word)
        self._lengths = sorted({len(d) for d in self._by_digits})
        self._digit_run = re.compile(rf"\d{{{self._lengths[0]},}}") if self._lengths else None
        self._numbers = np.array(sorted(self._by_number), dtype=np.int64)

    def __bool__(self) -> bool:
        return bool(self.needles)

    def find(self, segments: Sequence[str]) -> list[tuple[int, str]]:
        """Every value found in each segment: ``(segment index, value)``, in segment order
        and then in the order the values were given; each value once per segment."""
        if not self.needles or not segments:
            return []
        joined = _JOIN.join(segments)
        if joined.count(_JOIN) != len(segments) - 1:
            joined = _JOIN.join(s.replace(_JOIN, " ") for s in segments)
        text = prepare(joined)
        candidates = self._candidates(text)
        if not candidates:
            return []
        if len(candidates) <= _FEW:
            hits = self._search_whole(text, candidates)
        else:
            hits = self._search_each(text.split(_JOIN), set(candidates))
        return [(segment, self.needles[index].value) for segment, index in sorted(hits)]

    def find_numbers(self, numbers: np.ndarray) -> list[tuple[int, str]]:
        """Phone values stored as numbers (a mobile loses its ``0`` or ``+``): ``(position,
        value)`` for each integer-valued number in ``numbers`` equal to a planted phone's
        national number, with or without the 355 country code."""
        if not len(self._numbers) or not len(numbers):
            return []
        values = np.asarray(numbers)
        if values.dtype.kind == "f":
            whole = np.isfinite(values) & (np.abs(values) < 1e18)
            whole &= np.floor(values) == values
            positions = np.flatnonzero(whole)
            integers = values[positions].astype(np.int64)
        elif values.dtype.kind in "iu":
            positions = np.arange(len(values))
            integers = values.astype(np.int64, copy=False)
        else:
            return []
        found = np.isin(integers, self._numbers)
        hits = [
            (int(position), self.needles[index].value)
            for position, number in zip(positions[found], integers[found], strict=True)
            for index in self._by_number[int(number)]
        ]
        return sorted(set(hits))

    def _candidates(self, text: str) -> list[int]:
        found = set(self._unkeyed)
        if self._keys:
            tokens = _words(text)
            keys = self._keys.intersection(tokens)  # cheaper than a set of all the words
            words = set(tokens) if keys else set()
            for key in keys:
                found.update(i for i in self._by_word[key] if self.needles[i].words <= words)
        if self._digit_run is not None:
            compact = text.translate(_DROP_SEPARATORS)
            for run in set(self._digit_run.findall(compact)):
                for length in self._lengths:
                    if length > len(run):
                        break
                    for start in range(len(run) - length + 1):
                        found.update(self._by_digits.get(run[start : start + length], ()))
        return sorted(found)

    def _search_whole(self, text: str, candidates: list[int]) -> set[tuple[int, int]]:
        starts = [0]
        position = text.find(_JOIN)
        while position >= 0:
            starts.append(position + 1)
            position = text.find(_JOIN, position + 1)
        return {
            (bisect.bisect_right(starts, match.start()) - 1, index)
            for index in candidates
            for match in self.needles[index].pattern.finditer(text)
        }

    def _search_each(self, parts: list[str], candidates: set[int]) -> set[tuple[int, int]]:
        return {
            (segment, index)
            for segment, part in enumerate(parts)
            for index in candidates.intersection(self._candidates(part))
            if self.needles[index].pattern.search(part)
        }


def _words(text: str) -> list[str]:
    """The runs of letters and digits of ``text`` (``_`` separates, as in the patterns)."""
    if text.isascii():
        return text.translate(_ASCII_NOT_WORD).split()
    return _WORD.findall(text)
