"""Text encoding of a CSV export: detected, never guessed silently.

Kobo and ODK Central write UTF-8. Files re-saved on Albanian Windows machines come back as
Windows-1250 (Excel's "CSV (comma delimited)"), sometimes only partly: a coordinator pastes
rows from an older file into a UTF-8 one. The rules, in order:

1. the caller's ``encoding=`` is used as given (strictly);
2. a byte-order mark decides (UTF-8 → ``utf-8-sig``, UTF-16 → ``utf-16``);
3. bytes that are all valid UTF-8 are UTF-8;
4. otherwise each line is examined: if no line holds valid non-ASCII UTF-8, the whole file is
   read as Windows-1250; if some lines are UTF-8 and others are not, each line is decoded
   with the codec that fits it and the re-decoded line numbers are recorded;
5. a Windows-1250 reading is accepted only if its non-ASCII letters are mostly the Albanian
   ë/ç/Ë/Ç (the only non-ASCII letters of the Albanian alphabet) rather than mojibake;
   otherwise the file is refused with a message saying how to fix it.

The result is always the text re-encoded as UTF-8 bytes (byte-order mark removed), which
is what the CSV parsers read.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from evaluation.errors import DataError
from evaluation.readers.parsed import line_list

ALBANIAN_LETTERS = frozenset("ëçËÇ")
# Typographic characters Word/Excel substitute in Albanian text; not evidence either way.
_TYPOGRAPHIC = frozenset("–—‘’‚“”„…•€°«»§©®±·×÷\u00a0")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_CONTROL = re.compile(rb"[\x01-\x08\x0b\x0e-\x1a\x1c-\x1f]")
_SAMPLE = 65_536
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class Decoded:
    """Text as UTF-8 bytes, with the encoding it was read from and why."""

    utf8: bytes
    encoding: str
    evidence: str
    redecoded_lines: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()


def canonical_encoding(name: str) -> str:
    """Python's codec name, spelled as the workbench reports it (``windows-1250``)."""
    codec = codecs.lookup(name).name
    return {"cp1250": "windows-1250", "cp1252": "windows-1252"}.get(codec, codec)


def decode(data: bytes, name: str, encoding: str | None = None) -> Decoded:
    """Find the encoding of ``data`` and return the text as UTF-8 bytes.

    Parameters
    ----------
    data : bytes
        The file's bytes.
    name : str
        The file name, for messages.
    encoding : str, optional
        Use this codec (strictly) instead of detecting one.

    Raises
    ------
    DataError
        When the bytes are binary, or cannot be decoded with ``encoding``, or are neither
        UTF-8 nor plausible Windows-1250.
    """
    if encoding is not None:
        return _decode_given(data, name, encoding)
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _decode_with_bom(data, name, bom, codec)
    _refuse_binary(data, name)
    if _is_utf8(data):
        evidence = "ASCII only" if data.isascii() else "every byte sequence is valid UTF-8"
        return Decoded(data, "utf-8", evidence)
    return _decode_not_utf8(data, name)


def _decode_given(data: bytes, name: str, encoding: str) -> Decoded:
    codec = canonical_encoding(encoding)
    notes: tuple[str, ...] = ()
    if codec.startswith("utf-8") and data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
        notes = ("UTF-8 byte-order mark removed",)
        codec = "utf-8"
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DataError(
            f"{name}, line {line}: byte {data[error.start : error.start + 1]!r} cannot be "
            f"decoded as {codec} (the encoding= given); leave encoding= out to detect it, "
            "or re-save the file as 'CSV UTF-8'"
        ) from None
    utf8 = data if codec == "utf-8" else text.encode("utf-8")
    return Decoded(utf8, codec, "given by the caller (encoding=)", notes=notes)


def _decode_with_bom(data: bytes, name: str, bom: bytes, codec: str) -> Decoded:
    body = data[len(bom) :]
    if codec == "utf-8-sig":
        if _is_utf8(body):
            note = "UTF-8 byte-order mark removed"
            return Decoded(body, codec, "UTF-8 byte-order mark, and valid UTF-8", notes=(note,))
        decoded = _decode_not_utf8(body, name)
        note = "UTF-8 byte-order mark removed"
        return Decoded(
            decoded.utf8,
            decoded.encoding,
            f"UTF-8 byte-order mark, but {decoded.evidence}",
            decoded.redecoded_lines,
            (note, *decoded.notes),
        )
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        raise DataError(
            f"{name}: the file starts with a {codec.upper()} byte-order mark but is not valid "
            f"{codec.upper()}; it may be damaged: export it again, as 'CSV UTF-8'"
        ) from None
    note = f"{codec.upper()} byte-order mark removed; text re-encoded as UTF-8"
    return Decoded(text.encode("utf-8"), codec, f"{codec.upper()} byte-order mark", notes=(note,))


def _is_utf8(data: bytes) -> bool:
    """Strict UTF-8 check without building a Python string (Arrow's SIMD validator)."""
    if data.isascii():
        return True
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64).tobytes())
    array = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        array.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _refuse_binary(data: bytes, name: str) -> None:
    """Text exports hold no NUL bytes and almost no control characters."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data[:nul].count(b"\n") + 1
        raise DataError(
            f"{name}, line {line}: the file holds NUL bytes, so it is binary (or UTF-16 without "
            "a byte-order mark), not a CSV export; send the CSV/XLSX file downloaded from "
            "KoboToolbox/ODK Central, or re-save it as 'CSV UTF-8'"
        )
    for sample in (data[:_SAMPLE], data[-_SAMPLE:]):
        controls = len(_CONTROL.findall(sample))
        if controls > max(8, len(sample) // 200):
            raise DataError(
                f"{name}: {controls} control characters in {len(sample)} bytes: this looks "
                "like a binary file, not a CSV export; send the CSV/XLSX export itself"
            )


def _decode_not_utf8(data: bytes, name: str) -> Decoded:
    lines = data.split(b"\n")
    bad: list[int] = []
    good_non_ascii = 0
    for number, line in enumerate(lines, start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            good_non_ascii += 1
        except UnicodeDecodeError:
            bad.append(number)
    if good_non_ascii == 0:
        text = _cp1250(data, name, 1)
        letters = _check_albanian(text, name, "the file")
        evidence = (
            f"not valid UTF-8 (first on line {bad[0]}); read as Windows-1250, which gives {letters}"
        )
        return Decoded(text.encode("utf-8"), "windows-1250", evidence)
    bad_set = set(bad)
    decoded = [
        _cp1250(line, name, number) if number in bad_set else line.decode()
        for number, line in enumerate(lines, start=1)
    ]
    redecoded = "\n".join(decoded[n - 1] for n in bad)
    letters = _check_albanian(redecoded, name, f"lines {line_list(bad)}")
    evidence = (
        f"mixed: {good_non_ascii} lines with non-ASCII text are UTF-8, {len(bad)} are not "
        f"(lines {line_list(bad)}) and were read as Windows-1250, which gives {letters}"
    )
    note = (
        f"mixed encodings: {len(bad)} lines re-decoded as Windows-1250 "
        f"(lines {line_list(bad, 20)}), the rest read as UTF-8"
    )
    return Decoded(
        "\n".join(decoded).encode("utf-8"), "utf-8+windows-1250", evidence, tuple(bad), (note,)
    )


def _cp1250(data: bytes, name: str, first_line: int) -> str:
    try:
        return data.decode("cp1250")
    except UnicodeDecodeError as error:
        line = first_line + data[: error.start].count(b"\n")
        byte = data[error.start : error.start + 1]
        raise DataError(
            f"{name}, line {line}: byte {byte!r} is neither UTF-8 nor Windows-1250 text; the "
            "file may be binary or in another encoding: re-save it as 'CSV UTF-8', or pass "
            "encoding="
        ) from None


def _check_albanian(text: str, name: str, where: str) -> str:
    """Accept a Windows-1250 reading only if it yields Albanian letters, not mojibake."""
    counts: dict[str, int] = {}
    for char in _NON_ASCII.findall(text):
        counts[char] = counts.get(char, 0) + 1
    albanian = sum(n for c, n in counts.items() if c in ALBANIAN_LETTERS)
    others = {c: n for c, n in counts.items() if c not in ALBANIAN_LETTERS | _TYPOGRAPHIC}
    n_others = sum(others.values())
    if n_others and albanian < n_others:
        shown = "".join(sorted(others, key=others.get, reverse=True)[:8])
        raise DataError(
            f"{name}: {where} are not valid UTF-8, and read as Windows-1250 they give "
            f"{n_others} unlikely characters ({shown!r}) against {albanian} Albanian letters "
            "ë/ç: the encoding is unknown. Re-save the file as 'CSV UTF-8', or pass "
            "encoding= if you know it"
        )
    if albanian == 0:
        return "no letters outside ASCII, only typographic punctuation"
    return (
        f"{albanian} Albanian letters (ë/ç/Ë/Ç) among {sum(counts.values())} non-ASCII characters"
    )
