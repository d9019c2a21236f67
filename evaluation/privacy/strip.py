"""Turn the personal columns found in a table into a plan, and apply it.

:func:`plan_privacy` decides, for each column found by
:func:`~evaluation.privacy.find_personal_columns`, whether it is dropped, replaced by keyed
pseudonyms or scrubbed; :func:`strip_personal` applies the plan and returns a log that
names columns, never values.

Rules: ``linking`` → pseudonymised; ``direct`` → dropped; ``free_text`` → dropped, or
scrubbed when the dataset config allows the field (``allow_free_text``); columns found only
by their name or content may be kept when the config says they are not personal (``keep``),
but a column the instrument marks personal never is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from evaluation.errors import ParamsError, PrivacyError, format_values
from evaluation.privacy.keys import HOW_TO_MAKE_A_KEY
from evaluation.privacy.pii import FINDING_COLUMNS
from evaluation.privacy.pseudonyms import Pseudonymiser
from evaluation.privacy.scrub import scrub_text
from evaluation.validation import as_list

LOG_COLUMNS = ("column", "action", "mark", "category", "reason", "detail")


@dataclass(frozen=True)
class PrivacyPlan:
    """What to do with each personal column of a table.

    Attributes
    ----------
    drop, pseudonymise, scrub : tuple of str
        Columns to remove, to replace by keyed pseudonyms, to redact as free text.
    keep : tuple of str
        Columns that were flagged by name or content but that the config keeps.
    reasons : mapping
        Column → why it is personal (from the findings, or "config").
    categories : mapping
        Column → category (``name``, ``phone``, ``marked`` …).
    pseudonymiser : Pseudonymiser or None
        Needed when ``pseudonymise`` is not empty.
    """

    drop: tuple[str, ...] = ()
    pseudonymise: tuple[str, ...] = ()
    scrub: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()
    reasons: Mapping[str, str] = field(default_factory=dict)
    categories: Mapping[str, str] = field(default_factory=dict)
    marks: Mapping[str, str] = field(default_factory=dict)
    pseudonymiser: Pseudonymiser | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.pseudonymise and self.pseudonymiser is None:
            raise PrivacyError(
                f"columns {format_values(self.pseudonymise)} link records and must be "
                f"pseudonymised, but no key was given; {HOW_TO_MAKE_A_KEY}"
            )
        groups = {"drop": self.drop, "pseudonymise": self.pseudonymise, "scrub": self.scrub}
        seen: dict[str, str] = {}
        for action, columns in groups.items():
            for column in columns:
                if column in seen:
                    raise ParamsError(
                        f"column '{column}' is set both to {seen[column]} and to {action}; "
                        "choose one in the dataset config"
                    )
                seen[column] = action


def plan_privacy(
    findings: pd.DataFrame,
    *,
    pseudonymiser: Pseudonymiser | None = None,
    allow_free_text: Iterable[str] = (),
    keep: Iterable[str] = (),
    drop: Iterable[str] = (),
    pseudonymise: Iterable[str] = (),
) -> PrivacyPlan:
    """Decide what happens to each personal column.

    Parameters
    ----------
    findings : DataFrame
        From :func:`~evaluation.privacy.find_personal_columns`.
    pseudonymiser : Pseudonymiser, optional
        Required when any column is to be pseudonymised.
    allow_free_text : iterable of str
        Free-text columns the dataset config allows: scrubbed instead of dropped.
    keep : iterable of str
        Columns flagged by name or content that the config declares not personal.
    drop, pseudonymise : iterable of str
        Further columns the config names as direct identifiers or as linking identifiers.

    Returns
    -------
    PrivacyPlan

    Raises
    ------
    PrivacyError
        ``keep`` or ``allow_free_text`` names a column the instrument marks direct or
        linking, or a column must be pseudonymised and no pseudonymiser was given.
    """
    _check_findings(findings)
    allowed, kept = set(as_list(allow_free_text)), set(as_list(keep))
    extra_drop, extra_link = as_list(drop), as_list(pseudonymise)
    plan: dict[str, list[str]] = {"drop": [], "pseudonymise": [], "scrub": [], "keep": []}
    reasons, categories, marks = {}, {}, {}
    for row in findings.itertuples(index=False):
        column = str(row.column)
        reasons[column], categories[column], marks[column] = row.reason, row.category, row.mark
        plan[_action(column, row.mark, row.source, allowed, kept)].append(column)
    for column in extra_drop + extra_link:
        for action in plan.values():
            if column in action:
                action.remove(column)
    for column in extra_drop:
        plan["drop"].append(column)
        reasons.setdefault(column, "named as a direct identifier in the dataset config")
        marks.setdefault(column, "direct")
    for column in extra_link:
        plan["pseudonymise"].append(column)
        reasons.setdefault(column, "named as a linking identifier in the dataset config")
        marks.setdefault(column, "linking")
    for column in allowed - set(reasons):
        plan["scrub"].append(column)
        reasons[column] = "free text allowed by the dataset config"
        marks[column] = "free_text"
    return PrivacyPlan(
        drop=tuple(plan["drop"]),
        pseudonymise=tuple(plan["pseudonymise"]),
        scrub=tuple(plan["scrub"]),
        keep=tuple(plan["keep"]),
        reasons=reasons,
        categories=categories,
        marks=marks,
        pseudonymiser=pseudonymiser,
    )


def strip_personal(data: pd.DataFrame, plan: PrivacyPlan) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply a privacy plan: drop, pseudonymise and scrub columns.

    Parameters
    ----------
    data : DataFrame
        The table; it is not modified.
    plan : PrivacyPlan
        From :func:`plan_privacy`.

    Returns
    -------
    clean : DataFrame
        The table without direct identifiers; linking identifiers replaced by pseudonyms
        (same column name); allowed free text redacted (names from the dropped name
        columns are redacted too).
    log : DataFrame
        One row per planned column: ``column, action`` (``dropped`` | ``pseudonymised`` |
        ``scrubbed`` | ``kept`` | ``absent``), ``mark, category, reason, detail`` (counts and
        the key fingerprint). Column names only, never values.
    """
    clean = data.copy()
    log = []
    names = _names_to_redact(data, plan)
    for column in plan.pseudonymise:
        if _absent(column, data, plan, log):
            continue
        pseudonymiser = _require_pseudonymiser(plan)
        clean[column] = pseudonymiser(data[column])
        count = int(data[column].notna().sum())
        detail = f"{count} values, HMAC-SHA256 key {pseudonymiser.fingerprint}"
        log.append(_entry(plan, column, "pseudonymised", detail))
    for column in plan.scrub:
        if _absent(column, data, plan, log):
            continue
        clean[column] = scrub_text(data[column], names=names)
        changed = int((clean[column].fillna("") != data[column].astype("str").fillna("")).sum())
        log.append(_entry(plan, column, "scrubbed", f"{changed} values redacted"))
    dropped = [c for c in plan.drop if not _absent(c, data, plan, log)]
    clean = clean.drop(columns=dropped)
    log += [_entry(plan, c, "dropped", "") for c in dropped]
    log += [_entry(plan, c, "kept", "kept by the dataset config") for c in plan.keep]
    order = {c: i for i, c in enumerate(map(str, data.columns))}
    frame = pd.DataFrame(log, columns=list(LOG_COLUMNS))
    position = frame["column"].map(order).fillna(len(order))
    frame = frame.iloc[position.argsort(kind="stable")].reset_index(drop=True)
    return clean, frame


def _require_pseudonymiser(plan: PrivacyPlan) -> Pseudonymiser:
    if plan.pseudonymiser is None:
        raise PrivacyError(f"no pseudonymisation key was given; {HOW_TO_MAKE_A_KEY}")
    return plan.pseudonymiser


def _action(column: str, mark: str, source: str, allowed: set[str], kept: set[str]) -> str:
    if column in kept:
        if source == "instrument":
            raise PrivacyError(
                f"column '{column}' is marked personal_data={mark} in the instrument and "
                "cannot be kept; remove it from 'keep' in the dataset config, or change the mark "
                "in the form if it is wrong"
            )
        return "keep"
    if column in allowed and source == "instrument" and mark != "free_text":
        raise PrivacyError(
            f"column '{column}' is marked personal_data={mark} in the instrument, so it is not "
            "free text that can be kept; remove it from 'allow_free_text' in the dataset config"
        )
    if mark == "linking":
        return "pseudonymise"
    return "scrub" if column in allowed else "drop"


def _check_findings(findings: pd.DataFrame) -> None:
    missing = [c for c in FINDING_COLUMNS if c not in findings.columns]
    if missing:
        raise ParamsError(
            f"plan_privacy() needs the table from find_personal_columns(); this one lacks "
            f"{format_values(missing)}"
        )


def _names_to_redact(data: pd.DataFrame, plan: PrivacyPlan) -> list[str]:
    if not plan.scrub:
        return []
    columns = [
        c for c in plan.drop if c in data.columns and plan.categories.get(c) in ("name", "marked")
    ]
    values: set[str] = set()
    for column in columns:
        present = data[column].dropna()
        if not pd.api.types.is_numeric_dtype(present):
            values.update(present.astype(str).unique())
    return sorted(values)


def _absent(column: str, data: pd.DataFrame, plan: PrivacyPlan, log: list[dict]) -> bool:
    if column in data.columns:
        return False
    log.append(_entry(plan, column, "absent", "not in this table"))
    return True


def _entry(plan: PrivacyPlan, column: str, action: str, detail: str) -> dict[str, str]:
    return {
        "column": column,
        "action": action,
        "mark": plan.marks.get(column, ""),
        "category": plan.categories.get(column, ""),
        "reason": plan.reasons.get(column, ""),
        "detail": detail,
    }
