"""Read select answers: choice codes, labels in any form language, and SPSS value labels.

Exports hold the choice *codes* (XML names) in "XML values" mode and the choice *labels*
in "labels" mode (in the form language chosen at download); a survey firm's SPSS file holds
numbers 1..k whose value labels are the choice labels. :class:`ChoiceLookup` resolves any
of these to the form's code, most exact first:

1. the code as written;
2. a label as written, in any language, when no other choice of the list has that label;
3. the code or label after trimming spaces, collapsing inner spaces and ignoring case
   (counted and noted: the export had stray spaces or another case);
4. for a yes/no list only: ``true``/``false``/``1``/``0``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.errors import format_values
from evaluation.instruments import Instrument

_SPACES = re.compile(r"\s+")
_YES_NO = {"true": "yes", "1": "yes", "false": "no", "0": "no"}


def loose(text: str) -> str:
    """Trimmed, inner spaces collapsed, case-folded: how stray spaces and case are ignored."""
    return _SPACES.sub(" ", text.strip()).casefold()


@dataclass(frozen=True)
class ChoiceLookup:
    """Resolve written answers to the choice codes of one list.

    Attributes
    ----------
    list_name : str
        The choice list.
    codes : tuple of str
        The codes in choice-sheet order (the categories of the clean column).
    exact, label, normalised : mapping
        Written text → code for the three tiers described in the module docstring.
    """

    list_name: str
    codes: tuple[str, ...]
    exact: Mapping[str, str]
    label: Mapping[str, str]
    normalised: Mapping[str, str]

    def resolve(self, text: str) -> tuple[str | None, str]:
        """``(code, how)`` with how ``"code"``, ``"label"`` or ``"normalised"``; ``(None, "")``
        when the text matches no choice."""
        if text in self.exact:
            return self.exact[text], "code"
        if text in self.label:
            return self.label[text], "label"
        key = loose(text)
        if key in self.normalised:
            return self.normalised[key], "normalised"
        return None, ""

    def describe(self, limit: int = 8) -> str:
        """``list 'sex' (female, male, prefer_not)`` for messages."""
        return f"list '{self.list_name}' ({format_values(self.codes, limit=limit)})"


def build_lookup(instrument: Instrument, list_name: str) -> ChoiceLookup:
    """The :class:`ChoiceLookup` of ``list_name`` in ``instrument``."""
    choices = instrument.choices(list_name)
    codes = tuple(c.name for c in choices)
    labels = Counter(label for c in choices for label in set(c.labels.values()))
    label = {
        text: c.name
        for c in choices
        for text in c.labels.values()
        if labels[text] == 1 and text not in codes
    }
    keys: dict[str, set[str]] = {}
    for c in choices:
        for text in (c.name, *c.labels.values()):
            keys.setdefault(loose(text), set()).add(c.name)
    normalised = {k: next(iter(v)) for k, v in keys.items() if len(v) == 1}
    if set(codes) == {"yes", "no"}:
        for text, code in _YES_NO.items():
            normalised.setdefault(text, code)
    return ChoiceLookup(list_name, codes, {c: c for c in codes}, label, normalised)


class ChoiceBook:
    """The lookups of one instrument's choice lists, built once each."""

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self._lookups: dict[str, ChoiceLookup] = {}

    def __call__(self, list_name: str) -> ChoiceLookup:
        """The lookup of ``list_name``."""
        if list_name not in self._lookups:
            self._lookups[list_name] = build_lookup(self.instrument, list_name)
        return self._lookups[list_name]


@dataclass
class Resolved:
    """Codes resolved for distinct written values: ``codes`` (None where ``bad``), the count
    of distinct values read by label or normalised, and value labels matching no choice."""

    codes: np.ndarray
    bad: np.ndarray
    how: Counter
    unmatched_labels: list[str]


def resolve_one(
    text: pd.Series, lookup: ChoiceLookup, value_labels: Mapping[str, str] | None = None
) -> Resolved:
    """Resolve distinct select_one answers (``value_labels``: SPSS code → label)."""
    codes = np.full(len(text), None, dtype=object)
    bad = np.zeros(len(text), dtype=bool)
    how: Counter = Counter()
    unmatched: list[str] = []
    for i, written in enumerate(text.tolist()):
        code, way = _resolve_written(written, lookup, value_labels, unmatched)
        codes[i], bad[i] = code, code is None
        if code is not None and way != "code":
            how[way] += 1
    return Resolved(codes, bad, how, unmatched)


def resolve_multiple(text: pd.Series, lookup: ChoiceLookup) -> tuple[Resolved, np.ndarray]:
    """Resolve distinct select_multiple answers (space-separated codes).

    Returns
    -------
    Resolved
        ``codes`` holds the normalised answer (codes in the order written, repeats
        removed); an answer with any unknown code is bad.
    numpy.ndarray
        Boolean matrix (distinct answers × choices): which choices each answer selects.
    """
    codes = np.full(len(text), None, dtype=object)
    bad = np.zeros(len(text), dtype=bool)
    selected = np.zeros((len(text), len(lookup.codes)), dtype=bool)
    position = {c: i for i, c in enumerate(lookup.codes)}
    how: Counter = Counter()
    for i, written in enumerate(text.tolist()):
        parts = [lookup.resolve(token) for token in written.split()]
        if not parts or any(code is None for code, _ in parts):
            bad[i] = True
            continue
        chosen = list(dict.fromkeys(code for code, _ in parts))
        codes[i] = " ".join(chosen)
        selected[i, [position[c] for c in chosen]] = True
        if any(way != "code" for _, way in parts):
            how["normalised"] += 1
    return Resolved(codes, bad, how, []), selected


def unknown_tokens(written: str, lookup: ChoiceLookup) -> list[str]:
    """The tokens of a select_multiple answer that match no choice (for messages)."""
    return [t for t in written.split() if lookup.resolve(t)[0] is None] or [written]


def _resolve_written(
    written: str,
    lookup: ChoiceLookup,
    value_labels: Mapping[str, str] | None,
    unmatched: list[str],
) -> tuple[str | None, str]:
    if value_labels:
        label = value_labels.get(written) or value_labels.get(written.strip())
        if label is not None:
            code, _ = lookup.resolve(label)
            if code is not None:
                return code, "code"
            unmatched.append(label)
    return lookup.resolve(written)


def labels_fit(value_labels: Mapping[str, str], lookup: ChoiceLookup) -> bool:
    """Whether every value label names a choice of ``lookup`` (SPSS rename evidence)."""
    return bool(value_labels) and all(
        lookup.resolve(label)[0] is not None for label in value_labels.values()
    )


def codes_fit(values: Iterable[str], lookup: ChoiceLookup) -> bool:
    """Whether every written value resolves to a choice of ``lookup``."""
    values = list(values)
    return bool(values) and all(lookup.resolve(v)[0] is not None for v in values)
