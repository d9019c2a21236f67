"""Personal names inside free text: which words of a note are names.

:func:`~evaluation.privacy.scrub_text` redacts the words this module finds. A word is taken
for (part of) a personal name when

1. **given**: it is one of the names the caller passes (the respondents' own names from
   dropped columns), in any case, with or without diacritics and Albanian case endings;
2. **known**: it is capitalised and is one of the built-in common Albanian first names or
   surnames (:mod:`evaluation.privacy._names`), again with case endings (Arbenit, Dritës);
3. **after a cue**: it is capitalised and follows a word that introduces a name: "quhet",
   "emri (im/i saj) është", "më quajnë", "z.", "znj.", "zoti", "zonja", "Mr", "Mrs",
   "named", "Kontakt:" … or a role or relation written just before a name ("mësuesja",
   "trajneri", "motra", "viktima" …);
4. **a run of capitalised words**: two or more capitalised words in a row, not counting a
   word that capitalised only because it starts a sentence ("Sipas Nertila Bejko", "dhe
   Valmir Kuçi erdhi");
5. **next to a name**: a capitalised word right after a name word (its surname, even if it
   is also a place: "Kristi Përmeti"), or an unknown capitalised word right before one
   (a sentence's first word only before a surname: "Thirr Arbenin" keeps "Thirr").

Capitalised words that are not names are kept: places (the 13 administrative units of
Elbasan, its quarters, towns, countries), institution words (Bashkia, Drejtoria Rajonale,
Plani Vendor, Police …) and the words after them in the genitive (Drejtoria e
Planifikimit Strategjik), the names of schools, streets and bodies after a head word
(Shkolla "Naim Frashëri", Rruga Qemal Stafa, Qendra Shpresa), people places are named after,
acronyms (KVSP, NJMF) and common words that start sentences (Sipas, Faleminderit, Takova …).
See :mod:`evaluation.privacy._text_vocabulary`.

The rules err towards redacting: a name-like word at the start of a sentence may go, and
an unknown institution made of two capitalised words is redacted as if it were a person.
Rule 4 misses a name alone ("takova Valmirin") or at the very start of a sentence
("Valmir Kuçi erdhi") when neither word is in the lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from evaluation.privacy import _text_vocabulary as vocabulary
from evaluation.privacy.patterns import FOLDED_FIRST_NAMES, FOLDED_SURNAMES, fold

# Albanian case and family endings seen on names: Arben-it, Drit-ës, Hoxh-aj …
ENDINGS = ("it", "in", "ës", "es", "ën", "en", "ve", "në", "ne", "aj", "ja")
ENDINGS += ("i", "a", "s", "t", "n", "j", "e")
_FOLDED_ENDINGS = tuple(sorted({fold(e) for e in ENDINGS}, key=len, reverse=True))
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_PART = re.compile(r"[-'’]")
_RUN_GAP = re.compile(r"[ \t\u00a0]+")
_CUE_GAP = re.compile(r"[\s.:,\"'“”„«»‘’()-]*")
_SENTENCE_END = re.compile(r"[.!?…\n]")
_QUOTE = re.compile(r"[\"“”„«»'‘’]")


@lru_cache(maxsize=100_000)
def stems(folded: str, depth: int = 2, shortest: int = 3) -> tuple[str, ...]:
    """The word and what is left after taking off up to ``depth`` case endings, keeping at
    least ``shortest`` letters (Hoxhajt → hoxhajt, hoxhaj, hoxha …)."""
    found = (folded,)
    if depth == 0:
        return found
    for ending in _FOLDED_ENDINGS:
        if folded.endswith(ending) and len(folded) - len(ending) >= shortest:
            found += stems(folded[: -len(ending)], depth - 1, shortest)
    return found


def with_stems(words: Iterable[str], depth: int = 2, shortest: int = 3) -> frozenset[str]:
    """The folded words and their stems, so that Drita also matches Dritës (both → drit)."""
    return frozenset(
        s for w in words for s in stems(fold(w), depth, shortest) if len(s) >= shortest
    )


def name_words(names: Iterable[object]) -> frozenset[str]:
    """Stems of the words (3+ letters) of caller-given names, for :class:`NameFinder`."""
    words = set()
    for name in names:
        if name is None or (isinstance(name, float) and name != name):
            continue
        words.update(w for w in _WORD.findall(str(name)) if len(w) >= 3)
    return with_stems(words) if words else frozenset()


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    text: str
    parts: tuple[str, ...]  # folded, split at hyphens and apostrophes
    capital: bool  # starts with a capital letter
    acronym: bool  # two or more letters, all capitals
    initial: bool  # the first word of a sentence
    joined: bool  # only spaces since the previous word (same run of words)
    gap: str  # the text since the previous word


class NameFinder:
    """Find personal names in free text (see the module docstring for the rules).

    Parameters
    ----------
    names : iterable of str
        Names to find wherever they appear, in any case (e.g. the values of a dropped
        ``emri``/``mbiemri`` column).
    builtin : bool
        Use the built-in name lists and the context rules (default True); with False,
        only ``names`` are found.
    lists : bool
        With ``builtin``, also use the built-in name lists (default True); False leaves
        the context rules alone, to measure what they find by themselves.

    Examples
    --------
    >>> text = "Fëmija quhet Valmir Kuçi dhe jeton te Kombinati, Elbasan."
    >>> [text[a:b] for a, b in NameFinder().spans(text)]
    ['Valmir', 'Kuçi']
    """

    def __init__(
        self, names: Iterable[object] = (), *, builtin: bool = True, lists: bool = True
    ) -> None:
        self.given = name_words(names)
        self.builtin = builtin
        self.lists = lists

    def spans(self, text: str) -> list[tuple[int, int]]:
        """``(start, end)`` of every word of ``text`` that is (part of) a personal name."""
        tokens = _tokens(text)
        if not tokens:
            return []
        redact = [self._is_given(t) for t in tokens]
        if self.builtin:
            kinds = [_kind(t, self.lists) for t in tokens]
            kept = _protected(tokens, kinds)
            for i, kind in enumerate(kinds):
                redact[i] = redact[i] or (kind == "known" and i not in kept)
            _after_cues(tokens, kinds, kept, redact)
            _runs(tokens, kinds, kept | _institution_domains(tokens, kinds), redact)
            _next_to_names(tokens, kinds, kept, redact, self.lists)
        return [(t.start, t.end) for t, r in zip(tokens, redact, strict=True) if r]

    def _is_given(self, token: _Token) -> bool:
        if not self.given:
            return False
        return any(s in self.given for p in (fold(token.text), *token.parts) for s in stems(p))


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    previous = 0
    for match in _WORD.finditer(text):
        word, gap = match.group(0), text[previous : match.start()]
        parts = tuple(fold(p) for p in _PART.split(word) if p)
        tokens.append(
            _Token(
                start=match.start(),
                end=match.end(),
                text=word,
                parts=parts,
                capital=word[0].isupper(),
                acronym=len(word) >= 2 and word.isupper(),
                initial=not tokens or bool(_SENTENCE_END.search(gap)),
                joined=bool(tokens) and bool(_RUN_GAP.fullmatch(gap)),
                gap=gap,
            )
        )
        previous = match.end()
    return tokens


def _kind(token: _Token, lists: bool = True) -> str:
    """``lower``, ``stop``, ``head`` (institution head), ``allow`` (place, institution),
    ``known`` (built-in name), ``acronym`` or ``unknown`` (capitalised, none of these).

    Exact spellings are looked up before stems, so a name that shares a stem with a place
    (Gjergj, Gjergjan) is still a name, and a place is still a place."""
    folded = fold(token.text)
    if not token.capital:
        return "lower"
    if folded in _stopwords():
        return "stop"
    heads, allowed = _heads(), _allowed()
    names = _builtin() if lists else (frozenset(), frozenset())
    forms = stems(folded)
    for kind, exact in (("head", heads[0]), ("allow", allowed[0]), ("known", names[0])):
        if folded in exact or all(p in exact for p in token.parts):
            if kind == "allow" and any(f in heads[1] for f in forms):
                return "head"  # Shkollës, Rrugën: a head in another case
            return kind
    if any(f in heads[1] for f in forms):
        return "head"
    if any(f in allowed[1] for f in forms):
        return "allow"
    if any(s in names[1] for p in token.parts for s in stems(p)):
        return "known"
    return "acronym" if token.acronym else "unknown"


def _protected(tokens: list[_Token], kinds: list[str]) -> set[int]:
    """Words of protected phrases (Naim Frashëri, Qemal Stafa) and the names that follow an
    institution head (Shkolla 9-vjeçare "Jani Kukuzeli")."""
    kept: set[int] = set()
    folded = [fold(t.text) for t in tokens]
    for i, word in enumerate(folded):
        for phrase in _phrases().get(word, ()):
            end = i + len(phrase)
            # the last word may take a case ending: Qemal Stafës, Naim Frashërit
            if folded[i : end - 1] == list(phrase[:-1]) and end <= len(tokens):
                kept.update(range(i, end) if phrase[-1] in stems(folded[end - 1]) else ())
    for i, token in enumerate(tokens):
        if kinds[i] == "head" or (not token.capital and _is_head(folded[i])):
            kept.update(_named_after_head(tokens, i, quoted_only=not token.capital))
    return kept


def _named_after_head(tokens: list[_Token], head: int, quoted_only: bool) -> list[int]:
    """The capitalised words that name the institution: after the head, a few lower-case
    words (9-vjeçare, e mesme) and quotes may come first; punctuation ends the search."""
    skipped, quoted, named = 0, False, []
    for j in range(head + 1, len(tokens)):
        token = tokens[j]
        if re.search(r"[.,;:!?()\n]", token.gap):
            break
        quoted = quoted or bool(_QUOTE.search(token.gap))
        if token.capital:
            named.append(j)
        elif named or skipped == 3:
            break
        else:
            skipped += 1
    return named if quoted or not quoted_only else []


def _institution_domains(tokens: list[_Token], kinds: list[str]) -> set[int]:
    """Unknown capitalised words in the genitive after an institution word: Drejtoria e
    Planifikimit Strategjik, Zyra e Gjendjes Civile. They are not counted as a run (a
    known name there is still redacted)."""
    domains: set[int] = set()
    for i in range(len(tokens) - 2):
        link = fold(tokens[i + 1].text)
        if kinds[i] not in ("head", "allow") or link not in ("e", "i", "te", "se"):
            continue
        j = i + 2
        while j < len(tokens) and kinds[j] in ("unknown", "allow") and tokens[j].capital:
            if kinds[j] == "unknown":
                domains.add(j)
            j += 1
            if j < len(tokens) and not tokens[j].joined:
                break
    return domains


def _after_cues(tokens: list[_Token], kinds: list[str], kept: set[int], redact: list[bool]):
    """A capitalised word after a name cue (a few small words may come between) or right
    after a role or relation, and the capitalised words joined to it."""
    for i, token in enumerate(tokens):
        folded = fold(token.text)
        if folded in _name_cues():
            reach = 3
        elif folded in _title_cues():
            reach = 0
        else:
            continue
        j = i + 1
        while j < len(tokens) and reach and fold(tokens[j].text) in _cue_links():
            j, reach = j + 1, reach - 1
        if j >= len(tokens) or not _CUE_GAP.fullmatch(tokens[j].gap):
            continue
        while j < len(tokens) and j not in kept and kinds[j] in ("known", "unknown", "allow"):
            if kinds[j] == "allow" and not redact[j - 1]:
                break
            redact[j] = True
            j += 1
            if j < len(tokens) and not tokens[j].joined:
                break


def _runs(tokens: list[_Token], kinds: list[str], kept: set[int], redact: list[bool]) -> None:
    """Two or more capitalised words in a row, not counting a sentence's first word; runs
    are split at common words, places, institution words, acronyms and protected words."""
    run: list[int] = []
    for i in range(len(tokens) + 1):
        fits = i < len(tokens) and kinds[i] in ("known", "unknown") and i not in kept
        if fits and run and tokens[i].joined and run[-1] == i - 1:
            run.append(i)
            continue
        counted = len(run) - (1 if run and tokens[run[0]].initial else 0)
        if counted >= 2:
            for j in run:
                redact[j] = True
        run = [i] if fits else []


def _next_to_names(
    tokens: list[_Token], kinds: list[str], kept: set[int], redact: list[bool], lists: bool
) -> None:
    """A surname after a name word (also when it is a place), an unknown capitalised word
    before one (at the start of a sentence, only before a surname): repeated until nothing
    changes."""
    changed = True
    while changed:
        changed = False
        for i in range(1, len(tokens)):
            if not tokens[i].joined or i in kept or i - 1 in kept:
                continue
            after = redact[i - 1] and not redact[i] and kinds[i] in ("known", "unknown", "allow")
            before = redact[i] and not redact[i - 1] and kinds[i - 1] == "unknown"
            # a sentence's first word is a first name only before a surname: "Thirr Arbenin"
            initial = tokens[i - 1].initial
            before = before and (not initial or (lists and _is_surname(tokens[i])))
            if after:
                redact[i] = changed = True
            if before:
                redact[i - 1] = changed = True


def _is_surname(token: _Token) -> bool:
    exact, stemmed = _surnames()
    return any(p in exact or any(s in stemmed for s in stems(p)) for p in token.parts)


def _is_head(folded: str) -> bool:
    return folded in _heads()[0] or any(s in _heads()[1] for s in stems(folded))


@cache
def _builtin() -> tuple[frozenset[str], frozenset[str]]:
    """The names as written, and their stems (one ending, 4+ letters: Artan must not catch
    Arti)."""
    names = FOLDED_FIRST_NAMES | FOLDED_SURNAMES
    return names, with_stems(names, 1, 4)


@cache
def _surnames() -> tuple[frozenset[str], frozenset[str]]:
    return FOLDED_SURNAMES, with_stems(FOLDED_SURNAMES, 1, 4)


@cache
def _allowed() -> tuple[frozenset[str], frozenset[str]]:
    return _exact_and_stems(vocabulary.PLACES | vocabulary.INSTITUTION_WORDS)


@cache
def _heads() -> tuple[frozenset[str], frozenset[str]]:
    return _exact_and_stems(vocabulary.INSTITUTION_HEADS)


def _exact_and_stems(words: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    """The words as written, and their stems of 4+ letters (Elbasanit → elbasan)."""
    return frozenset(fold(w) for w in words), with_stems(words, 2, 4)


@cache
def _stopwords() -> frozenset[str]:
    return frozenset(fold(w) for w in vocabulary.STOPWORDS)


@cache
def _name_cues() -> frozenset[str]:
    return frozenset(fold(w) for w in vocabulary.NAME_CUES)


@cache
def _title_cues() -> frozenset[str]:
    return frozenset(fold(w) for w in vocabulary.TITLE_CUES)


@cache
def _cue_links() -> frozenset[str]:
    return frozenset(fold(w) for w in vocabulary.CUE_LINKS)


@cache
def _phrases() -> dict[str, list[tuple[str, ...]]]:
    """The protected phrases as folded words, by their first word."""
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for text in vocabulary.PROTECTED_PHRASES:
        phrase = tuple(fold(w) for w in _WORD.findall(text))
        by_first.setdefault(phrase[0], []).append(phrase)
    return by_first
