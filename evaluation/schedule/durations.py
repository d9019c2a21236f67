"""Durations written the way people write them in a schedule: ``3d``, ``90m``, ``1h30m``.

Units are ``w`` (weeks), ``d`` (days), ``h`` (hours), ``m`` (minutes) and ``s`` (seconds);
parts are added, largest unit first (``1d12h``). A bare number is refused: ``3`` could mean
three of anything.
"""

from __future__ import annotations

import datetime as dt
import re

UNITS: dict[str, int] = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_WHOLE = re.compile(r"^(?:\d+(?:\.\d+)?[wdhms])+$")
_PART = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")


def parse_duration(text: str) -> dt.timedelta | None:
    """``"1h30m"`` → ``timedelta(hours=1, minutes=30)``; ``None`` if ``text`` is not one.

    Parameters
    ----------
    text : str
        Number-unit parts, largest unit first, no spaces: ``3d``, ``1h30m``, ``0.5s``.

    Returns
    -------
    datetime.timedelta or None
        ``None`` when the text is not a duration (the caller says where it was found).
    """
    compact = text.strip().lower().replace(" ", "")
    if not _WHOLE.match(compact):
        return None
    parts = _PART.findall(compact)
    order = [list(UNITS).index(unit) for _, unit in parts]
    if order != sorted(set(order)):
        return None
    return dt.timedelta(seconds=sum(float(n) * UNITS[u] for n, u in parts))


def format_duration(value: dt.timedelta) -> str:
    """``timedelta(days=1, hours=2)`` → ``"1d2h"``; whole seconds, ``"0s"`` for zero."""
    seconds = round(value.total_seconds())
    if seconds <= 0:
        return "0s"
    parts = []
    for unit, size in UNITS.items():
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
