"""Drawing answers to closed questions: weighted choices and ``select_multiple`` text.

Answers are object arrays of choice names, as a form stores them. A ``select_multiple``
answer is the chosen names joined by spaces, in the order of the choice list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def weighted(rng: np.random.Generator, options: Mapping[str, float], n: int) -> np.ndarray:
    """``n`` draws from the keys of ``options``, with probabilities proportional to its values."""
    p = np.array(list(options.values()))
    return rng.choice(np.array(list(options), dtype=object), size=n, p=p / p.sum())


def by_condition(
    rng: np.random.Generator,
    condition: np.ndarray,
    options: Sequence[str],
    p_true: Sequence[float],
    p_false: Sequence[float],
) -> np.ndarray:
    """One of ``options`` per row, with ``p_true`` where ``condition`` holds, else ``p_false``.

    Both sets of draws are made for every row (those for ``p_true`` first), so the stream
    advances by the same amount whatever ``condition`` is.
    """
    names = np.array(options, dtype=object)
    n = len(condition)
    return np.where(
        condition, rng.choice(names, size=n, p=p_true), rng.choice(names, size=n, p=p_false)
    )


def multi_text(selected: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """``select_multiple`` answers from a boolean ``(rows, len(names))`` array of choices."""
    return np.array(
        [" ".join(n for n, s in zip(names, row, strict=True) if s) for row in selected],
        dtype=object,
    )


def multi(
    rng: np.random.Generator,
    names: Sequence[str],
    p: np.ndarray,
    n: int,
    at_least_one: bool,
    none: str | None = None,
) -> np.ndarray:
    """``n`` ``select_multiple`` answers, each choice taken with its probability in ``p``.

    Parameters
    ----------
    p : numpy.ndarray
        Probability of each choice, shape ``(len(names),)`` or ``(n, len(names))``.
    at_least_one : bool
        Give a row with no choice one choice at random.
    none : str, optional
        The answer for a row with no choice (e.g. the choice ``none``); default empty.
    """
    chosen = rng.random((n, len(names))) < p
    empty = ~chosen.any(axis=1)
    if at_least_one:
        chosen[empty, rng.integers(0, len(names), empty.sum())] = True
        empty[:] = False
    out = multi_text(chosen, names)
    if none is not None:
        out[empty] = none
    return out
