"""How XLSForm spells things: question types, column headers, languages, and their aliases.

:func:`normalise_type` resolves a survey ``type`` cell (``select one from sex``,
``begin_group``, ``imei``) to the spec's spelling; :func:`_parse_header` does the same for a
column header (``label::Shqip (sq)``, ``relevance``, legacy ``label:English``), and
:func:`_split_row` groups a row's cells by column and language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# --------------------------------------------------------------------------- question types
_SELECT_PREFIXES = {
    "select_one": "select_one",
    "select one": "select_one",
    "select one from": "select_one",
    "select1": "select_one",
    "select one using": "select_one",
    "add select one prompt using": "select_one",
    "select_multiple": "select_multiple",
    "select multiple": "select_multiple",
    "select multiple from": "select_multiple",
    "select all that apply": "select_multiple",
    "select all that apply from": "select_multiple",
    "select multiple using": "select_multiple",
    "add select multiple prompt using": "select_multiple",
    "select_one_from_file": "select_one_from_file",
    "select one from file": "select_one_from_file",
    "select_multiple_from_file": "select_multiple_from_file",
    "select multiple from file": "select_multiple_from_file",
    "select_one_external": "select_one_external",
    "select one external": "select_one_external",
    "rank": "rank",
}
_OR_OTHER = ("or_other", "or specify other", "or other")
FILE_SELECTS = frozenset({"select_one_from_file", "select_multiple_from_file"})
SELECT_TYPES = frozenset({"select_one", "select_multiple", "rank", "select_one_external"})

CANONICAL_TYPES = frozenset(
    {
        "text", "integer", "decimal", "range", "date", "time", "dateTime", "geopoint",
        "geotrace", "geoshape", "image", "audio", "video", "file", "barcode", "calculate",
        "acknowledge", "note", "hidden", "xml-external", "csv-external", "start", "end",
        "today", "deviceid", "phonenumber", "username", "email", "simserial", "subscriberid",
        "audit", "start-geopoint", "background-audio", "background-geopoint", "osm",
        "begin group", "end group", "begin repeat", "end repeat",
    }
)  # fmt: skip
"""Question types as the XLSForm spec spells them (plus the select types)."""

_TYPE_ALIASES = {
    "string": "text", "q string": "text", "add text prompt": "text",
    "int": "integer", "q int": "integer", "add integer prompt": "integer",
    "q decimal": "decimal", "add decimal prompt": "decimal",
    "datetime": "dateTime", "date time": "dateTime", "q datetime": "dateTime",
    "add datetime prompt": "dateTime", "add date time prompt": "dateTime",
    "q date time": "dateTime", "q date": "date", "add date prompt": "date",
    "imei": "deviceid", "device id": "deviceid", "get device id": "deviceid",
    "uri:deviceid": "deviceid",
    "photo": "image", "q picture": "image", "q image": "image", "add image prompt": "image",
    "add photo prompt": "image",
    "q audio": "audio", "add audio prompt": "audio", "q video": "video",
    "add video prompt": "video", "add file prompt": "file",
    "q barcode": "barcode", "add barcode prompt": "barcode",
    "q note": "note", "add note prompt": "note",
    "q calculate": "calculate", "add calculate prompt": "calculate",
    "q acknowledge": "acknowledge", "add acknowledge prompt": "acknowledge",
    "trigger": "acknowledge",
    "location": "geopoint", "gps": "geopoint", "q location": "geopoint",
    "q geopoint": "geopoint", "add location prompt": "geopoint",
    "q geoshape": "geoshape", "q geotrace": "geotrace",
    "start time": "start", "get start time": "start",
    "end time": "end", "get end time": "end", "get today": "today",
    "phone number": "phonenumber", "get phone number": "phonenumber",
    "uri:phonenumber": "phonenumber",
    "sim id": "simserial", "get sim id": "simserial", "uri:simserial": "simserial",
    "subscriber id": "subscriberid", "get subscriber id": "subscriberid",
    "uri:subscriberid": "subscriberid",
    "uri:username": "username", "uri:email": "email",
    "begin_group": "begin group", "end_group": "end group",
    "begin_repeat": "begin repeat", "end_repeat": "end repeat",
    "begin looped group": "begin repeat", "end looped group": "end repeat",
    "begin lgroup": "begin repeat", "end lgroup": "end repeat",
}  # fmt: skip

NO_DATA_TYPES = frozenset(
    {"begin group", "end group", "begin repeat", "end repeat", "note", "xml-external",
     "csv-external"}
)  # fmt: skip
"""Types that produce no data column."""

PERSONAL_BY_TYPE = frozenset(
    {"phonenumber", "email", "simserial", "subscriberid", "geopoint", "geotrace", "geoshape",
     "start-geopoint", "background-geopoint", "image", "audio", "video", "background-audio"}
)  # fmt: skip
"""Types whose answers identify a person or place; a form that marks personal data should
mark these too. (``deviceid`` and ``username`` identify the device and the enumerator, which
quality checks need.)"""


def normalise_type(cell: str) -> tuple[str, str, bool]:
    """``(type, list_name, or_other)`` for a survey ``type`` cell.

    ``"select one from sex"`` → ``("select_one", "sex", False)``; ``"begin_group"`` →
    ``("begin group", "", False)``; ``"imei"`` → ``("deviceid", "", False)``; an unknown type is
    returned as written (spaces collapsed).
    """
    words = " ".join(cell.split())
    lowered = words.lower()
    for prefix in sorted(_SELECT_PREFIXES, key=len, reverse=True):
        if lowered == prefix or lowered.startswith(prefix + " "):
            rest = words[len(prefix) :].strip()
            or_other = False
            for suffix in _OR_OTHER:
                if rest.lower().endswith(" " + suffix):
                    rest, or_other = rest[: -len(suffix)].strip(), True
            return _SELECT_PREFIXES[prefix], rest, or_other
    if lowered in _TYPE_ALIASES:
        return _TYPE_ALIASES[lowered], "", False
    for canonical in CANONICAL_TYPES:
        if lowered == canonical.lower():
            return canonical, "", False
    return words, "", False


# --------------------------------------------------------------------------- sheet columns
DEFAULT_LANGUAGE = "default"
"""The language of plain ``label``/``hint`` columns when ``default_language`` is not set."""

_LANGUAGE_CODE_RE = re.compile(r"\(([^()]*)\)\s*$")
_TRANSLATABLE = frozenset(
    {"label", "hint", "guidance_hint", "constraint_message", "required_message", "image",
     "audio", "video", "big-image"}
)  # fmt: skip
_COLUMN_ALIASES = {
    "caption": "label", "relevance": "relevant", "calculate": "calculation",
    "constraint message": "constraint_message", "constraining_message": "constraint_message",
    "jr:constraintmsg": "constraint_message", "requiredmsg": "required_message",
    "required message": "required_message", "count": "repeat_count",
    "jr:count": "repeat_count", "readonly": "read_only", "command": "type", "tag": "name",
    "value": "name", "list name": "list_name", "bind:relevant": "relevant",
    "bind:constraint": "constraint", "bind:required": "required",
    "bind:calculate": "calculation", "bind:jr:constraintmsg": "constraint_message",
    "control:appearance": "appearance", "media:image": "image", "media:audio": "audio",
    "media:video": "video",
}  # fmt: skip
_KNOWN_COLUMNS = frozenset(
    {"type", "name", "list_name", "required", "constraint", "relevant", "calculation",
     "appearance", "choice_filter", "default", "repeat_count", "read_only", "parameters",
     "personal_data", "trigger"}
) | _TRANSLATABLE  # fmt: skip
_SETTINGS_ALIASES = {
    "set_form_title": "form_title", "title": "form_title", "set_form_id": "form_id",
    "id_string": "form_id",
}  # fmt: skip
_YES = frozenset({"yes", "true", "true()"})
_NO = frozenset({"no", "false", "false()"})


def _snake(text: str) -> str:
    return "_".join(text.split()).lower()


@dataclass(frozen=True)
class _Header:
    """One sheet column: its base name (``label``) and language (``None`` for plain)."""

    written: str
    base: str
    language: str | None


def _parse_header(written: str) -> _Header:
    if "::" in written:
        base, _, language = written.partition("::")
        return _Header(written, _base_name(base), language.strip())
    base, colon, language = written.partition(":")
    if colon and _base_name(base) in _TRANSLATABLE and language.strip():
        return _Header(written, _base_name(base), language.strip())  # legacy label:English
    return _Header(written, _base_name(written), None)


def _base_name(text: str) -> str:
    lowered = " ".join(text.split()).lower()
    if lowered in _COLUMN_ALIASES:
        return _COLUMN_ALIASES[lowered]
    snake = _snake(text)
    if snake in _KNOWN_COLUMNS:
        return snake
    return _COLUMN_ALIASES.get(snake, text.strip())


def _language_code(written: str) -> str:
    match = _LANGUAGE_CODE_RE.search(written)
    code = match.group(1).strip() if match else ""
    return code or written.strip()


# --------------------------------------------------------------------------- rows
@dataclass
class _Cells:
    """A row's cells grouped by base column and language."""

    values: dict[str, dict[str | None, str]]
    plain_language: str

    def plain(self, base: str) -> str:
        texts = self.values.get(base, {})
        return texts.get(None) or next(iter(texts.values()), "")

    def texts(self, base: str) -> dict[str, str]:
        texts = self.values.get(base, {})
        out = {
            _language_code(lang) if lang is not None else self.plain_language: text
            for lang, text in texts.items()
            if lang is not None
        }
        if texts.get(None):
            out.setdefault(self.plain_language, texts[None])
        return out


def _split_row(row: Mapping[str, str], headers: Mapping[str, _Header], plain: str) -> _Cells:
    values: dict[str, dict[str | None, str]] = {}
    for written, value in row.items():
        header = headers.get(written) or _parse_header(written)
        values.setdefault(header.base, {}).setdefault(header.language, value)
    return _Cells(values, plain)
