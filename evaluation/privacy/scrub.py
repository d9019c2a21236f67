"""Redact personal data inside free text that a dataset config allows to keep.

E-mail addresses become ``[e-mail]``, phone numbers ``[phone]``, GPS coordinates
``[location]`` and personal names ``[name]``, one ``[name]`` per word. Names are found by
:class:`~evaluation.privacy.names_in_text.NameFinder`:

* names given by the caller (typically the respondents' own names from the columns that
  were dropped) in any case, with or without diacritics, also with Albanian case endings
  (Arben → Arbenit, Arbenin; Drita → Dritës);
* the built-in common Albanian first names and surnames (several hundred each), when
  capitalised;
* context: a capitalised word after "quhet", "emri im është", "z.", "znj.", "zoti",
  "zonja", "Mr", "Mrs", "named" or a role ("mësuesja", "viktima"); two or more capitalised
  words in a row that do not start a sentence; a capitalised word next to a name.

Places (Elbasan and its 13 administrative units, towns, countries), institution names
(Bashkia, Drejtoria Rajonale, Shkolla "Naim Frashëri") and acronyms stay. Redaction errs
towards removing too much: a capitalised "Drita" (a name, and the word for "light") at the
start of a sentence is redacted.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from evaluation.privacy import patterns
from evaluation.privacy.names_in_text import NameFinder

NAME_TOKEN = "[name]"
PHONE_TOKEN = "[phone]"
EMAIL_TOKEN = "[e-mail]"
LOCATION_TOKEN = "[location]"


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
        Also redact capitalised common Albanian first names and surnames, and names found
        by their context (default True).

    Returns
    -------
    Series
        The redacted text (``str`` dtype).

    Examples
    --------
    >>> scrub_text(["Thirr Arbenin në 069 123 4567"], names=["Arben Hoxha"]).tolist()
    ['Thirr [name] në [phone]']
    >>> scrub_text(["Fëmija quhet Valmir Kuçi, jeton në Shushicë."]).tolist()
    ['Fëmija quhet [name] [name], jeton në Shushicë.']
    """
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    finder = NameFinder(names, builtin=builtin_names)
    done: dict[str, str] = {}  # free text repeats a lot: each distinct answer once
    out = []
    for value in series.tolist():
        if _missing(value):
            out.append(None)
            continue
        text = str(value)
        if text not in done:
            done[text] = _scrub_one(text, finder)
        out.append(done[text])
    return pd.Series(out, index=series.index, name=series.name, dtype="str")


def _scrub_one(text: str, finder: NameFinder) -> str:
    text = patterns.EMAIL.sub(EMAIL_TOKEN, text)
    for phone in sorted(set(patterns.find_phones(text)), key=len, reverse=True):
        text = text.replace(phone, PHONE_TOKEN)
    for pair in sorted(set(patterns.find_coordinates(text)), key=len, reverse=True):
        text = text.replace(pair, LOCATION_TOKEN)
    for start, end in reversed(finder.spans(text)):
        text = text[:start] + NAME_TOKEN + text[end:]
    return text


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)
