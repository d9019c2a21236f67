"""Problems in a form: how one is recorded, and which rules are warnings rather than errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from evaluation.errors import Problem

WARNING_RULES = frozenset(
    {
        "ambiguous_name",
        "personal_data_ignored",
        "pyxform_warning",
        "sheet_name_case",
        "unknown_type",
        "unmarked_personal",
        "unsupported_expression",
    }
)
"""Problem rules that leave the form usable; every other rule makes it unusable."""


def is_fatal(problem: Problem) -> bool:
    """Whether a problem makes the form unusable (an error rather than a warning)."""
    return problem.rule not in WARNING_RULES


_Report = Callable[..., None]
"""Records one problem: ``report(rule, message, sheet=..., row=..., column=..., found=...)``."""


def _problem(
    path: Path | str,
    rule: str,
    message: str,
    *,
    sheet: str = "",
    row: int | None = None,
    column: str = "",
    found: str = "",
) -> Problem:
    file = path.name if isinstance(path, Path) else path
    return Problem(file, sheet, row, column, found, rule, message)


def _s(items: Any) -> str:
    """The plural ending for a count of ``items``."""
    return "" if len(items) == 1 else "s"
