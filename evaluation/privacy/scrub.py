"""Redact personal data inside free text that a dataset config allows to keep.

E-mail addresses become ``[e-mail]``, phone numbers ``[phone]``, GPS coordinates
``[location]`` and personal names ``[name]``. Names are recognised in two ways:

* names given by the caller (typically the respondents' own names from the columns that
  were dropped) in any case, with or without diacritics, also with Albanian case endings
  (Arben → Arbenit, Arbenin; Drita → Dritës);
* the built-in common Albanian first names and surnames, when capitalised. A capitalised
  word right after a redacted name is taken as its surname and redacted too.

Redaction errs towards removing too much: a capitalised "Drita" (a name, and the word for
"light") at the start of a sentence is redacted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from evaluation.privacy import patterns

NAME_TOKEN = "[name]"
PHONE_TOKEN = "[phone]"
EMAIL_TOKEN = "[e-mail]"
LOCATION_TOKEN = "[location]"

# Albanian case and family endings seen on names: Arben-it, Drit-ës, Hoxh-aj …
_ENDINGS = (
    "it",
    "in",
    "ës",
    "es",
    "ën",
    "en",
    "ve",
    "në",
    "ne",
    "aj",
    "ja",
    "i",
    "a",
    "s",
    "t",
    "n",
    "j",
    "e",
)
_FOLDED_ENDINGS = tuple(sorted({patterns.fold(e) for e in _ENDINGS}, key=len, reverse=True))
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_AFTER_NAME = re.compile(re.escape(NAME_TOKEN) + r"(\s+)([^\W\d_]+)")


def scrub_text(
    values: pd.Series | Iterable[object],
    *,
    names: Iterable[object] = (),
    builtin_names: bool = True,
) -> pd.Series:
    """Redact e-mails, phone numbers, coordinates and personal names in free text.

    Parameters
    ----------
    values : Series or iterable
        Free-text answers. Missing stays missing; index and name are kept.
    names : iterable of str
        Names to redact wherever they appear, in any case (e.g. the values of a dropped
        ``emri``/``mbiemri`` column). Multi-word names are split into words; words shorter
        than 3 letters are ignored.
    builtin_names : bool
        Also redact capitalised common Albanian first names and surnames (default True).

    Returns
    -------
    Series
        The redacted text (``str`` dtype).

    Examples
    --------
    >>> scrub_text(["Thirr Arbenin në 069 123 4567"], names=["Arben Hoxha"]).tolist()
    ['Thirr [name] në [phone]']
    """
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    given = _name_words(names)
    out = [
        None if _missing(v) else _scrub_one(str(v), given, builtin_names) for v in series.tolist()
    ]
    return pd.Series(out, index=series.index, name=series.name, dtype="str")


def _scrub_one(text: str, given: frozenset[str], builtin: bool) -> str:
    text = patterns.EMAIL.sub(EMAIL_TOKEN, text)
    for phone in sorted(set(patterns.find_phones(text)), key=len, reverse=True):
        text = text.replace(phone, PHONE_TOKEN)
    for pair in sorted(set(patterns.find_coordinates(text)), key=len, reverse=True):
        text = text.replace(pair, LOCATION_TOKEN)
    redacted = _WORD.sub(lambda m: _redact_word(m.group(0), given, builtin), text)
    if redacted != text:
        redacted = _AFTER_NAME.sub(_redact_surname, redacted)
    return redacted


def _redact_surname(match: re.Match[str]) -> str:
    word = match.group(2)
    return NAME_TOKEN + match.group(1) + (NAME_TOKEN if word[0].isupper() else word)


def _redact_word(word: str, given: frozenset[str], builtin: bool) -> str:
    stems = _stems(patterns.fold(word))
    if given and any(s in given for s in stems):
        return NAME_TOKEN
    if builtin and word[0].isupper() and any(s in _BUILTIN for s in stems):
        return NAME_TOKEN
    return word


def _with_stems(words: Iterable[str], depth: int = 2, shortest: int = 3) -> frozenset[str]:
    """The words and their stems, so that Drita also matches Dritës (both stem to drit)."""
    return frozenset(s for w in words for s in _stems(w, depth) if len(s) >= shortest)


def _stems(folded: str, depth: int = 2) -> list[str]:
    """The word and what is left after taking off up to ``depth`` endings (Hoxhajt → Hoxha)."""
    stems = [folded]
    if depth == 0:
        return stems
    for ending in _FOLDED_ENDINGS:
        if folded.endswith(ending) and len(folded) - len(ending) >= 3:
            stems += _stems(folded[: -len(ending)], depth - 1)
    return stems


def _name_words(names: Iterable[object]) -> frozenset[str]:
    words = set()
    for name in names:
        if _missing(name):
            continue
        words.update(w for w in (patterns.fold(m) for m in _WORD.findall(str(name))) if len(w) >= 3)
    return _with_stems(words)


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


# Built-in names are only stemmed once and never below 4 letters (Artan must not catch Arti).
_BUILTIN = _with_stems(patterns.FOLDED_FIRST_NAMES | patterns.FOLDED_SURNAMES, 1, 4)
