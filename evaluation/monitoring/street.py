"""Children in street situations: the counting rule of the domain brief (§4, Annex B form F).

Outreach workers record every contact with a child, in fixed-time rounds at fixed hotspots
and ad hoc. Counting children from contacts double counts a child met twice, and ad-hoc
contacts depend on where the workers happened to go. The rule:

1. **Only fixed-time rounds at fixed hotspots** are used for headcounts (``round_type`` in
   the counted round types, ``hotspot`` a fixed hotspot code such as ``H01``–``H16``; the
   ``other_<unit>`` codes and ad-hoc rounds are left out).
2. **De-duplicate on the (pseudonymised) NJMF case id**: a known child counts once in a
   period however often met. A child without a case id (not, or not yet, a known case)
   cannot be told apart from another and counts once per contact; that part of the count
   is an upper bound.
3. Each counted child is described (sex, age band, activity, accompaniment, unit) by the
   first counted contact of the period.

Contacts (all rounds, ad hoc included) measure the outreach work, and the actions taken are
counted per contact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from evaluation.errors import ParamsError
from evaluation.validation import require_columns

KNOWN = "known"
NEW = "new"


@dataclass(frozen=True)
class CountingRule:
    """Which street contacts count for headcounts, and how children are told apart.

    Attributes
    ----------
    rounds : tuple of str
        ``round_type`` codes of fixed-time rounds (default ``("fixed",)``).
    hotspots : str
        Regular expression a fixed hotspot code matches in full (default ``H`` and digits).
    round_column, hotspot_column, case_id, known_column : str
        Columns of the clean table (the form's names by default).
    date_column, time_column : str
        When the contact happened (orders the contacts of a child).
    """

    rounds: tuple[str, ...] = ("fixed",)
    hotspots: str = r"H\d+"
    round_column: str = "round_type"
    hotspot_column: str = "hotspot"
    case_id: str = "njmf_case_id"
    known_column: str = "known_case"
    date_column: str = "obs_date"
    time_column: str = "obs_time"

    def __post_init__(self) -> None:
        try:
            re.compile(self.hotspots)
        except re.error as error:
            raise ParamsError(
                f"street_hotspots {self.hotspots!r} is not a regular expression ({error}); "
                r"e.g. 'H\d+' for the codes H01, H02, ..."
            ) from None
        if not self.rounds:
            raise ParamsError(
                "street_rounds is empty; list the fixed-time round types, e.g. [fixed]"
            )

    def columns(self) -> list[str]:
        return [self.round_column, self.hotspot_column, self.case_id, self.known_column]


def headcount_contacts(contacts: pd.DataFrame, rule: CountingRule | None = None) -> pd.DataFrame:
    """The contacts that count for headcounts: fixed-time rounds at fixed hotspots.

    Parameters
    ----------
    contacts : DataFrame
        Rows of the street-situation contact form (not modified).
    rule : CountingRule, optional

    Returns
    -------
    DataFrame
        The rows kept, in their order.
    """
    rule = rule or CountingRule()
    require_columns(contacts, rule.columns(), what="street-situation contacts")
    rounds = contacts[rule.round_column].astype("string").isin(rule.rounds).fillna(False)
    spots = contacts[rule.hotspot_column].astype("string")
    fixed = spots.str.fullmatch(rule.hotspots).fillna(False)
    return contacts[rounds & fixed]


def counted_children(contacts: pd.DataFrame, rule: CountingRule | None = None) -> pd.DataFrame:
    """One row per child counted by the rule, among ``contacts`` (one period's contacts).

    Parameters
    ----------
    contacts : DataFrame
        The period's contacts, all rounds (ad hoc and other hotspots are dropped here).
    rule : CountingRule, optional

    Returns
    -------
    DataFrame
        The first counted contact of each known child (by case id) and every counted
        contact without a case id, in time order, with a column ``child``: ``"known"`` (a
        known NJMF case: ``known_case`` is ``yes``, or a case id is given) or ``"new"``
        (not, or not yet, known). ``attrs["without_id"]`` counts the known children whose
        contact has no case id: they count once per contact, like new children.

    Examples
    --------
    Two fixed-round contacts with the same case id and one ad-hoc contact count one child:

    >>> contacts = pd.DataFrame({"round_type": ["fixed", "fixed", "ad_hoc"],
    ...     "hotspot": ["H01", "H02", "H01"], "njmf_case_id": ["P-1", "P-1", None],
    ...     "known_case": ["yes", "yes", "no"], "obs_date": pd.to_datetime(["2023-10-02"] * 3),
    ...     "obs_time": ["10:00:00", "11:00:00", "12:00:00"]})
    >>> len(counted_children(contacts))
    1

    See Also
    --------
    R ``dplyr::distinct(contacts, njmf_case_id, .keep_all = TRUE)`` on the counted contacts
    with a case id, plus those without one.
    """
    rule = rule or CountingRule()
    kept = headcount_contacts(contacts, rule)
    order = [c for c in (rule.date_column, rule.time_column) if c in kept.columns]
    kept = kept.sort_values(order, kind="stable") if order else kept
    known = kept[rule.known_column].astype("string").eq("yes").fillna(False)
    has_id = kept[rule.case_id].notna() & kept[rule.case_id].astype("string").str.strip().ne("")
    first = ~kept[rule.case_id].where(has_id).duplicated(keep="first") | ~has_id
    children = kept[first].copy()
    children["child"] = pd.Series(
        [KNOWN if k else NEW for k in (known | has_id)[first]], index=children.index, dtype="string"
    )
    children.attrs["without_id"] = int((known & ~has_id).sum())
    return children


def children_by_period(
    frames: dict[str, pd.DataFrame], rule: CountingRule | None = None
) -> dict[str, pd.DataFrame]:
    """:func:`counted_children` of each period (a child counts once per period)."""
    return {label: counted_children(part, rule) for label, part in frames.items()}


def check_rounds(contacts: pd.DataFrame, rule: CountingRule) -> None:
    """Refuse counted round types that never occur in the contacts (a typo in params would
    otherwise count no child at all).

    Raises
    ------
    ParamsError
        Naming the round types that do not occur and those that do.
    """
    require_columns(contacts, [rule.round_column], what="street-situation contacts")
    present = sorted({str(v) for v in contacts[rule.round_column].dropna()})
    missing = [r for r in rule.rounds if r not in present]
    if missing and present:
        raise ParamsError(
            f"street_rounds: {', '.join(map(repr, missing))} never occur in the street-situation "
            f"contacts (column '{rule.round_column}' has {', '.join(map(repr, present))}); fix "
            "street_rounds in params/monitoring.yaml"
        )
