"""What personal data looks like inside a value: phone numbers, e-mail addresses, GPS
coordinates and personal names.

These detectors work on single strings. :mod:`evaluation.privacy.pii` applies them to a
sample of a column; :mod:`evaluation.privacy.scrub` uses them to redact free text.

Phone numbers: Albanian mobiles (``+355 6x xxx xxxx``, ``00355 6x…``, ``06x xxx xxxx``,
``6x xxx xxxx``), Albanian landlines with a trunk ``0`` or ``+355`` (``054 123 456``,
``+355 4 222 3333``) and other international numbers written with ``+`` or ``00`` (8 to 15
digits), with spaces, dots or dashes between digits. Strings that read as dates
(``05-12-2023``) are never phones.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from evaluation.privacy._names import FIRST_NAMES, SURNAMES

_SEP = r"[\s.\-]*"
PHONE = re.compile(
    rf"""(?<![\w+])(?<!\d\.)(?:
        (?:\+|00){_SEP}355{_SEP}(?:\(0\){_SEP})?\d(?:{_SEP}\d){{7,8}}   # +355, 8-9 digits
      | 0?{_SEP}6[6-9](?:{_SEP}\d){{7}}                                # mobile 06x / 6x
      | 0[2-58](?:{_SEP}\d){{6,7}}                                     # landline 0xx
      | (?:\+|00)[1-9](?:{_SEP}\d){{7,13}}                              # other countries
    )(?!\w|\.\d)""",
    re.VERBOSE,
)
# Dates (05-12-2023 …) and decimals (0.68123456) have phone-like digit runs; never phones.
_DATE_START = re.compile(r"\d{1,4}[./\-]\d{1,2}[./\-]\d{2,4}(?!\d)")
_DECIMAL = re.compile(r"\d+\.\d+")
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w])")
COORDINATES = re.compile(
    r"(?<![\d.])(-?\d{1,2}\.\d{4,})\s*[,;]?\s+(-?\d{1,3}\.\d{4,})(?![\d.])"
    r"|(?<![\d.])(-?\d{1,2}\.\d{4,})\s*[,;]\s*(-?\d{1,3}\.\d{4,})(?![\d.])"
)
_NUMERIC_MOBILE = re.compile(r"(?:355)?6[6-9]\d{7}")


def fold(text: str) -> str:
    """Lower case without diacritics: ``"Nënshkrimi"`` → ``"nenshkrimi"``.

    Unicode NFD, every combining mark removed, NFC, case-folded. Fast enough for whole
    files: the marks present are found with one ``set()`` and removed with ``str.replace``.
    """
    text = str(text)
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFD", text)
    for mark in {ch for ch in set(decomposed) if unicodedata.combining(ch)}:
        decomposed = decomposed.replace(mark, "")
    return unicodedata.normalize("NFC", decomposed).casefold()


FOLDED_FIRST_NAMES = frozenset(fold(n) for n in FIRST_NAMES)
FOLDED_SURNAMES = frozenset(fold(n) for n in SURNAMES)


def find_phones(text: str) -> list[str]:
    """Phone numbers written in ``text`` (see module docstring for the formats)."""
    return [
        m.group(0)
        for m in PHONE.finditer(text)
        if not (_DATE_START.match(m.group(0)) or _DECIMAL.fullmatch(m.group(0)))
    ]


def has_phone(text: str) -> bool:
    """True if ``text`` contains a phone number."""
    return bool(find_phones(text))


def is_numeric_mobile(number: float | int) -> bool:
    """True for a number that is an Albanian mobile with its leading 0 lost (``691234567``)."""
    if not np.isfinite(number) or float(number) != int(number):
        return False
    return bool(_NUMERIC_MOBILE.fullmatch(str(int(number))))


def has_email(text: str) -> bool:
    """True if ``text`` contains an e-mail address."""
    return EMAIL.search(text) is not None


def find_coordinates(text: str) -> list[str]:
    """Latitude/longitude pairs (4+ decimals each, ``|lat| <= 90``, ``|lon| <= 180``),
    as in ODK/Kobo geopoints ``"41.1125 20.0822 120 5"`` or ``"41.1125, 20.0822"``."""
    found = []
    for match in COORDINATES.finditer(text):
        lat, lon = (g for g in match.groups() if g is not None)
        if abs(float(lat)) <= 90 and abs(float(lon)) <= 180:
            found.append(match.group(0))
    return found


def has_coordinates(text: str) -> bool:
    """True if ``text`` contains a latitude/longitude pair."""
    return bool(find_coordinates(text))


def name_evidence(text: str) -> str:
    """How much ``text`` looks like a personal name: ``"known"``, ``"pattern"`` or ``""``.

    ``"known"``: one to four capitalised (or all-capital) words, one of which is a common
    Albanian first name or surname. ``"pattern"``: two or three capitalised words
    ("Firstname Lastname") that are not in the lists. Anything with digits or other
    punctuation than hyphens and apostrophes is not a name.
    """
    words = text.split()
    if not 1 <= len(words) <= 4 or not all(_is_name_word(w) for w in words):
        return ""
    parts = [fold(p) for w in words for p in re.split(r"[-'’]", w) if p]
    if any(p in FOLDED_FIRST_NAMES or p in FOLDED_SURNAMES for p in parts):
        return "known"
    if 2 <= len(words) <= 3 and not any(w.isupper() for w in words):
        return "pattern"
    return ""


def _is_name_word(word: str) -> bool:
    parts = [p for p in re.split(r"[-'’]", word) if p]
    if not parts or not all(p.isalpha() and len(p) >= 2 for p in parts):
        return False
    return all(p[0].isupper() and (p[1:].islower() or p.isupper()) for p in parts)
