"""Random streams, sizes and identifiers of the demo world.

Every part of the world draws from its own generator, derived from the seed and the part's
name. Changing how one part is generated therefore never changes another part's numbers.
"""

from __future__ import annotations

import math
import zlib

import numpy as np

_HEX_PAIRS = np.array([f"{i:02x}" for i in range(256)])
_ALNUM = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent generator for the part of the world called ``name``.

    Parameters
    ----------
    seed : int
        The world's seed (``workbench demo-data --seed``).
    name : str
        The part, e.g. ``"youth.traits"``; its CRC-32 is the second seed word.

    Returns
    -------
    numpy.random.Generator
        PCG64 seeded with ``SeedSequence([seed, crc32(name)])``.
    """
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(name.encode())]))


def admin_factor(scale: float) -> float:
    """How much the training and administrative records grow with ``scale``: ``sqrt(scale)``.

    The school survey grows linearly with ``scale``. Trainings, institutions, DV cases and
    street contacts belong to one municipality's institutions, so they grow with the square
    root. At scale 100 they are still Excel-sized, and the XLSX exports stay quick to write.
    """
    return math.sqrt(scale)


def scaled_count(base: float, factor: float, minimum: int) -> int:
    """``round(base * factor)``, but never below ``minimum``."""
    return max(minimum, round(base * factor))


def uuid4_strings(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random version-4 UUIDs as strings (object array), drawn from ``rng``."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    pairs = _HEX_PAIRS[raw]
    out = pairs[:, 0]
    for i in range(1, 16):
        if i in (4, 6, 8, 10):
            out = np.char.add(out, "-")
        out = np.char.add(out, pairs[:, i])
    return out.astype(object)


def token(rng: np.random.Generator, length: int) -> str:
    """A random alphanumeric string, e.g. a KoboToolbox ``__version__`` id."""
    return "".join(_ALNUM[rng.integers(0, len(_ALNUM), size=length)])


def device_ids(rng: np.random.Generator, n: int, app: str = "collect") -> np.ndarray:
    """``n`` device ids as a form's ``deviceid`` records them, e.g. ``collect:<16 characters>``.

    ``app`` is ``collect`` (KoboCollect or ODK Collect on a tablet) or ``ee.kobotoolbox.org``
    (a web form in a browser).
    """
    return np.array([f"{app}:{token(rng, 16)}" for _ in range(n)], dtype=object)


def hex_token(rng: np.random.Generator, length: int) -> str:
    """A random lower-case hexadecimal string of ``length`` characters."""
    return "".join(_HEX_PAIRS[rng.integers(0, 256, size=(length + 1) // 2)])[:length]
