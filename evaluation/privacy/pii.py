"""Which columns of a table hold personal data, and why.

Three kinds of evidence, strongest first:

1. **instrument** — the questionnaire marks the question ``personal_data`` = ``direct``
   (drop it), ``linking`` (replace it by a keyed pseudonym) or ``free_text`` (drop it unless
   the dataset config allows the field, then scrub it);
2. **name** — the column's name, in English or Albanian, with or without diacritics, group
   prefixes (``grp/``, ``grp-``, ``grp.``) and camelCase, contains a personal word: name,
   emri, mbiemri, surname, phone, tel, celular, email, gps, latitude, geopoint, address,
   adresa, datëlindja, date of birth, dob, signature, nënshkrimi, photo, ID-card number …
   (``school_name``, ``emri_shkollës`` and ``photo_consent`` are not personal);
3. **content** — a sample of the values holds phone numbers, e-mail addresses, GPS
   coordinates, personal names (common Albanian names, or a column of distinct
   "Firstname Lastname" values) or free text (sentences, mostly distinct).

Columns of codes (sex, ``SCH-014``), scores, interview dates, categorical answers and
repeated place names are not flagged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from evaluation.errors import InstrumentError, did_you_mean, format_values
from evaluation.privacy import patterns


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


MARKS = ("direct", "linking", "free_text")
NOT_PERSONAL = frozenset({"", "no", "none", "false", "0", "n", "nan"})
FINDING_COLUMNS = ("column", "mark", "category", "source", "reason")

# Compact forms (tokens joined without separators) that make a column name personal.
_NAME_WORDS: dict[str, frozenset[str]] = {
    "name": _words(
        "name names firstname fname lastname lname surname surnames fullname middlename "
        "maidenname givenname familyname nickname emri emrin emrit emer emrat mbiemri mbiemrin "
        "mbiemrit mbiemer mbiemrat atesia amesia nofka"
    ),
    "phone": _words(
        "phone phones phonenumber telephone tel telefon telefoni telefonit telefonin celular "
        "celulari cellular cell cellphone mobile mobil mobili mobilephone whatsapp viber "
        "nrtel"
    ),
    "email": _words("email emails emailaddress mail emaili emailit postaelektronike"),
    "gps": _words(
        "gps geopoint geotrace geoshape latitude longitude lat lon lng coordinates coords "
        "koordinata koordinatat geolocation"
    ),
    "address": _words(
        "address addresses homeaddress streetaddress housenumber postcode zipcode postalcode "
        "adresa adresen adreses adresaebanimit"
    ),
    "birth_date": _words(
        "dob dateofbirth birthdate birthday datelindja datelindje datelindjes datelindjen "
        "dataelindjes ditelindja"
    ),
    "signature": _words("signature signatures nenshkrimi nenshkrim nenshkrimin firma"),
    "id_number": _words(
        "nationalid idnumber idcard personalnumber personalid numripersonal nrpersonal "
        "passport pasaporta pasaporte leternjoftimi leternjoftim ssn"
    ),
    "photo": _words("photo photos foto fotografi fotografia picture image selfie"),
}
# Words that turn "name"/"photo" into something that is not a person's.
_NOT_A_PERSON = _words(
    "school schools shkolla shkolle shkolles shkollen institution institucion institucioni "
    "institucionit organisation organization org organizata venue vendi place site area zona "
    "location facility unit njesia njesise njesi village fshati fshat city qyteti hotspot "
    "district bashkia municipality company kompania project projekti course kursi trajnimi "
    "training program programme programi file form formi instrument list choice variable "
    "field team grupi consent pelqim pelqimi session sesioni drug drog droga droges "
    "substance substanca street rruga lagja lagje lagjja"
)
_QUALIFIED = ("name", "photo")
_CATEGORY_TEXT = {
    "name": "a personal name",
    "phone": "a phone number",
    "email": "an e-mail address",
    "gps": "GPS coordinates",
    "address": "an address",
    "birth_date": "a date of birth",
    "signature": "a signature",
    "id_number": "an identity-document number",
    "photo": "a photograph",
}
_GEOPOINT_PART = re.compile(
    r"^(?P<base>.+?)[-_](?:latitude|longitude|altitude|accuracy|precision)$", re.IGNORECASE
)


def find_personal_columns(
    data: pd.DataFrame,
    instrument_marks: Mapping[str, object] | None = None,
    *,
    check_content: bool = True,
    sample_size: int = 1000,
) -> pd.DataFrame:
    """Find the columns that hold personal data, and say why.

    Parameters
    ----------
    data : DataFrame
        A table as read from an export (before or after type parsing).
    instrument_marks : mapping, optional
        Question name (or full column path) → the instrument's ``personal_data`` mark:
        ``"direct"``, ``"linking"``, ``"free_text"``, or empty / ``"no"`` / ``"none"``
        (``Form.personal_fields()`` gives this mapping). A mark applies to columns whose name
        is the question name, or ends with it after a group separator (``/``, ``-``, ``.``,
        ``:``), to flat columns named like the last part of a path key (SPSS exports), and
        to the split parts of a geopoint (``_gps_latitude``, ``gps-Longitude`` …). A question marked ``no`` is not flagged
        by its name, but still by its content.
    check_content : bool
        Look at the values as well as the names (default True).
    sample_size : int
        Number of non-missing values looked at per column (evenly spaced, deterministic).

    Returns
    -------
    DataFrame
        One row per personal column, in the table's order, with columns ``column``,
        ``mark`` (``direct`` | ``linking`` | ``free_text``: what to do with it), ``category``
        (``name``, ``phone``, ``email``, ``gps``, ``address``, ``birth_date``, ``signature``,
        ``id_number``, ``photo``, ``free_text``, ``marked``), ``source`` (``instrument`` |
        ``name`` | ``content``: the strongest evidence) and ``reason`` (all evidence, in
        words). Never any values.

    Raises
    ------
    InstrumentError
        A mark other than direct, linking, free_text or empty.

    Examples
    --------
    >>> frame = pd.DataFrame({"emri": ["Arben"], "sex": ["m"]})
    >>> find_personal_columns(frame)["column"].tolist()
    ['emri']
    """
    marks = _checked_marks(instrument_marks or {})
    rows = []
    for column in data.columns:
        finding = _examine(str(column), data[column], marks, check_content, sample_size)
        if finding is not None:
            rows.append({"column": column, **finding})
    return pd.DataFrame(rows, columns=list(FINDING_COLUMNS))


def personal_by_name(column: str) -> tuple[str, str] | None:
    """``(category, matched word)`` if the column's name says it is personal, else ``None``.

    Examples
    --------
    >>> personal_by_name("identification/Emri_Mbiemri")
    ('name', 'emri')
    >>> personal_by_name("school_name") is None
    True
    """
    tokens = _name_tokens(column)
    grams = _compact_ngrams(tokens)
    for category, words in _NAME_WORDS.items():
        hit = next((g for g in grams if g in words), None)
        if hit is None:
            continue
        if category in _QUALIFIED and any(t in _NOT_A_PERSON for t in tokens):
            continue
        return category, hit
    return None


def personal_by_content(values: pd.Series, sample_size: int = 1000) -> list[tuple[str, str]]:
    """``(category, reason)`` pairs for the personal data found in a sample of ``values``."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        # Choice lists hold labels, not answers: only contact data or GPS would be personal.
        labels = pd.Series(values.cat.categories.astype(str))
        found = _text_findings(labels, len(labels), len(labels))
        return [f for f in found if f[0] in ("phone", "email", "gps")]
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return []
    present = values.dropna()
    if present.empty:
        return []
    if pd.api.types.is_numeric_dtype(present):
        return _numeric_findings(_sample(present, sample_size))
    text = _sample(present, sample_size).astype(str).str.strip()
    text = text[text != ""]
    if text.empty:
        return []
    return _text_findings(text, len(present), int(present.astype(str).nunique()))


def _examine(
    column: str,
    values: pd.Series,
    marks: Mapping[str, str],
    check_content: bool,
    sample_size: int,
) -> dict[str, str] | None:
    mark_key = _mark_for(column, marks)
    declared = marks.get(mark_key) if mark_key is not None else None
    reasons: list[str] = []
    mark = category = source = ""
    if declared and declared not in NOT_PERSONAL:
        mark, category, source = declared, "marked", "instrument"
        reasons.append(f"the instrument marks question '{mark_key}' as personal_data={declared}")
    by_name = None if declared is not None else personal_by_name(column)
    if by_name is not None:
        found, word = by_name
        reasons.append(f"its name contains '{word}' ({_CATEGORY_TEXT[found]})")
        if not source:
            mark, category, source = "direct", found, "name"
    for found, reason in personal_by_content(values, sample_size) if check_content else []:
        reasons.append(reason)
        if not source:
            mark = "free_text" if found == "free_text" else "direct"
            category, source = found, "content"
    if not reasons:
        return None
    return {"mark": mark, "category": category, "source": source, "reason": "; ".join(reasons)}


def _checked_marks(marks: Mapping[str, object]) -> dict[str, str]:
    checked = {}
    for question, raw in marks.items():
        value = "" if raw is None or (isinstance(raw, float) and np.isnan(raw)) else str(raw)
        value = value.strip().lower().replace("-", "_").replace(" ", "_")
        if value not in MARKS and value not in NOT_PERSONAL:
            raise InstrumentError(
                f"question '{question}': personal_data is {raw!r}{did_you_mean(value, MARKS)}; "
                f"expected one of {format_values(MARKS)}, or empty when the question is not "
                "personal; fix the personal_data column of the form's survey sheet"
            )
        checked[str(question)] = value
    return checked


def _mark_for(column: str, marks: Mapping[str, str]) -> str | None:
    candidates = _mark_candidates(column)
    for candidate in candidates:
        if candidate in marks:
            return candidate
    # A path key ("code/panel_code") also marks a flat column ("panel_code", SPSS exports).
    tails: dict[str, list[str]] = {}
    for key in marks:
        if "/" in key:
            tails.setdefault(key.rsplit("/", 1)[-1], []).append(key)
    for candidate in candidates:
        if len(tails.get(candidate, [])) == 1:
            return tails[candidate][0]
    return None


def _mark_candidates(column: str) -> list[str]:
    names = [column]
    names += [column[i + 1 :] for i, ch in enumerate(column) if ch in "/-.:"]
    geo = _GEOPOINT_PART.match(column.rsplit("/", 1)[-1])
    if geo:
        base = geo.group("base")
        names += [base, base.lstrip("_")]
        names += [base[i + 1 :] for i, ch in enumerate(base) if ch in "/-.:"]
    return names


def _name_tokens(column: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", column)
    return [t for t in re.split(r"[^a-z0-9]+", patterns.fold(spaced)) if t]


def _compact_ngrams(tokens: list[str], longest: int = 4) -> list[str]:
    return [
        "".join(tokens[i : i + n])
        for n in range(1, longest + 1)
        for i in range(len(tokens) - n + 1)
    ]


def _sample(values: pd.Series, size: int) -> pd.Series:
    if len(values) <= size:
        return values
    positions = np.unique(np.linspace(0, len(values) - 1, size).astype(int))
    return values.iloc[positions]


def _numeric_findings(values: pd.Series) -> list[tuple[str, str]]:
    share = float(np.mean([patterns.is_numeric_mobile(v) for v in values]))
    if share >= 0.5:
        return [("phone", f"{share:.0%} of sampled values are Albanian mobile numbers")]
    return []


def _text_findings(text: pd.Series, n_present: int, n_distinct: int) -> list[tuple[str, str]]:
    findings = []
    checks = (
        ("phone", patterns.has_phone, "phone numbers"),
        ("email", patterns.has_email, "e-mail addresses"),
        ("gps", patterns.has_coordinates, "GPS coordinates"),
    )
    for category, check, what in checks:
        hits = int(sum(check(v) for v in text))
        if hits:
            findings.append((category, f"{hits} of {len(text)} sampled values contain {what}"))
    many_distinct = n_distinct >= 0.5 * n_present or n_distinct >= 50
    if not many_distinct:
        return findings
    evidence = [patterns.name_evidence(v) for v in text]
    known = evidence.count("known") / len(text)
    named = (evidence.count("known") + evidence.count("pattern")) / len(text)
    if known >= 0.3 or named >= 0.6:
        findings.append(("name", f"{named:.0%} of sampled values look like personal names"))
    words = text.str.split().str.len()
    if float(words.median()) >= 5:
        findings.append(
            ("free_text", f"free text (median {int(words.median())} words, mostly distinct)")
        )
    return findings
