"""Keyed pseudonyms for identifiers that link records (a student across waves, a trainee's
pre- and post-test).

A pseudonym is ``prefix + the first 16 hex digits of HMAC-SHA256(key, normalised value)``,
e.g. ``"P-3f9a2c41d07be915"``. Without the key nobody can compute the pseudonym of a guessed
identifier; with the same key the same identifier gets the same pseudonym in every wave and
file. Normalisation (NFC, strip, collapse inner spaces, case-fold, and optionally drop
separators) makes ``"AB-12 "`` and ``"ab12"`` the same identifier when the dataset asks for it.

Collision odds: with ``length`` hex digits (``b = 4 * length`` bits) and ``n`` distinct
identifiers, the chance that any two share a pseudonym is about ``n**2 / 2**(b + 1)``. For the
default 16 digits (64 bits) that is 4e-10 for 120,000 students and 3e-8 for a million.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import numbers
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from evaluation.errors import ParamsError
from evaluation.privacy.keys import PseudonymKey

DEFAULT_PREFIX = "P-"
DEFAULT_LENGTH = 16
# Spaces, hyphen-minus, underscore, dot, slash and the Unicode dashes U+2010..U+2015.
_SEPARATORS = re.compile(r"[\s\-_./\u2010-\u2015]+")
_SPACES = re.compile(r"\s+")


def normalise_identifier(value: Any, *, remove_separators: bool = False) -> str | None:
    """The canonical text of an identifier, or ``None`` when it is missing.

    Steps: missing (``None``, NaN, ``pd.NA``, ``NaT``) → ``None``; whole floats lose their
    ``.0`` (CSV readers turn ``123`` into ``123.0`` when a column has gaps); Unicode NFC;
    strip; collapse runs of spaces; case-fold; NFC again; optionally drop spaces, ``-``,
    ``_``, ``.``, ``/`` and Unicode dashes. An empty result is missing.

    Examples
    --------
    >>> normalise_identifier(" AB-12 ", remove_separators=True)
    'ab12'
    >>> normalise_identifier(1234.0)
    '1234'
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        text = str(int(value)) if float(value).is_integer() else repr(float(value))
    elif isinstance(value, numbers.Integral):
        text = str(int(value))
    else:
        text = str(value)
    text = unicodedata.normalize("NFC", text)
    text = _SPACES.sub(" ", text.strip()).casefold()
    text = unicodedata.normalize("NFC", text)
    if remove_separators:
        text = _SEPARATORS.sub("", text)
    return text or None


class Pseudonymiser:
    """Turn identifiers into keyed pseudonyms, the same ones in every wave and file.

    Parameters
    ----------
    key : PseudonymKey or bytes
        From :func:`evaluation.privacy.load_key` (bytes of at least 16 are accepted too).
    prefix : str
        Put before the hex digits; default ``"P-"``.
    length : int
        Number of hex digits kept, 8 to 64; default 16 (64 bits).
    remove_separators : bool
        Also drop spaces, dashes, underscores, dots and slashes before hashing, so that
        ``"AB-12"`` and ``"ab 12"`` match.
    context : str
        Optional domain separator: identifiers pseudonymised under different contexts
        cannot be linked to each other. Empty (the default) means none.

    Notes
    -----
    .. math:: \\text{pseudonym}(x) = \\text{prefix} \\Vert
              \\text{hex}(\\mathrm{HMAC\\text{-}SHA256}(K, c \\Vert \\text{0x1F} \\Vert
              \\text{norm}(x)))_{1..\\text{length}}

    where the ``c || 0x1F`` part is left out when ``context`` is empty. The message is the
    UTF-8 encoding of the normalised identifier (:func:`normalise_identifier`).

    See Also
    --------
    Python ``hmac.new(key, message, hashlib.sha256)``; R ``digest::hmac(key, x, "sha256")``.

    Examples
    --------
    >>> from evaluation.privacy import load_key
    >>> pseudonymise = Pseudonymiser(load_key("demo"), remove_separators=True)
    >>> pseudonymise.pseudonym("AB-12 ") == pseudonymise.pseudonym("ab12")
    True
    """

    def __init__(
        self,
        key: PseudonymKey | bytes,
        *,
        prefix: str = DEFAULT_PREFIX,
        length: int = DEFAULT_LENGTH,
        remove_separators: bool = False,
        context: str = "",
    ) -> None:
        if isinstance(key, bytes):
            key = PseudonymKey(key)
        if not isinstance(key, PseudonymKey):
            raise ParamsError(
                f"Pseudonymiser needs a key from evaluation.privacy.load_key() (or bytes), "
                f"got {type(key).__name__}"
            )
        if not isinstance(length, int) or not 8 <= length <= 64:
            raise ParamsError(
                f"pseudonym length must be a whole number from 8 to 64, got {length!r}"
            )
        self._key = key
        self._base = hmac.new(key.secret, digestmod=hashlib.sha256)
        self.prefix = str(prefix)
        self.length = length
        self.remove_separators = bool(remove_separators)
        self.context = str(context)
        self._head = (self.context + "\x1f").encode("utf-8") if self.context else b""

    @property
    def fingerprint(self) -> str:
        """The key's fingerprint (first 8 hex of SHA-256 of the key), for logs."""
        return self._key.fingerprint

    def describe(self) -> dict[str, object]:
        """Settings for an ingestion log: key fingerprint and source, never the key."""
        return {
            "method": "HMAC-SHA256",
            "key_fingerprint": self.fingerprint,
            "key_source": self._key.source,
            "prefix": self.prefix,
            "hex_digits": self.length,
            "remove_separators": self.remove_separators,
            "context": self.context,
        }

    def pseudonym(self, value: Any) -> str | None:
        """The pseudonym of one identifier (``None`` when it is missing)."""
        text = normalise_identifier(value, remove_separators=self.remove_separators)
        return None if text is None else self._digest(text)

    def __call__(self, values: pd.Series | Iterable[Any]) -> pd.Series:
        """Pseudonymise a column; missing stays missing, index and name are kept.

        Each distinct value is hashed once, so long columns with repeated codes are fast.
        """
        series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        mapped = np.array([self.pseudonym(u) for u in uniques] + [None], dtype=object)
        out = mapped[codes]  # code -1 (missing) picks the trailing None
        return pd.Series(out, index=series.index, name=series.name, dtype="str")

    def __repr__(self) -> str:
        return (
            f"Pseudonymiser(fingerprint={self.fingerprint!r}, prefix={self.prefix!r}, "
            f"length={self.length}, remove_separators={self.remove_separators})"
        )

    def _digest(self, text: str) -> str:
        mac = self._base.copy()
        mac.update(self._head + text.encode("utf-8"))
        return self.prefix + mac.hexdigest()[: self.length]


def pseudonymise(
    values: pd.Series | Iterable[Any],
    key: PseudonymKey | bytes,
    *,
    prefix: str = DEFAULT_PREFIX,
    length: int = DEFAULT_LENGTH,
    remove_separators: bool = False,
    context: str = "",
) -> pd.Series:
    """Replace identifiers by keyed pseudonyms (see :class:`Pseudonymiser`).

    Examples
    --------
    >>> from evaluation.privacy import load_key
    >>> pseudonymise(["AB12", None], load_key("demo")).isna().tolist()
    [False, True]
    """
    return Pseudonymiser(
        key, prefix=prefix, length=length, remove_separators=remove_separators, context=context
    )(values)
