"""The thresholds and codes of the data-quality checks, read once from the report's params.

The params keys are declared in :data:`evaluation.params.REPORT_KEYS` (``quality``), so a
misspelled key fails before anything runs; :class:`QualitySettings` is the typed view the
checks use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from evaluation.errors import ParamsError
from evaluation.params import check_params


@dataclass(frozen=True)
class PanelSettings:
    """Where the panel code is and how the two rounds are called."""

    table: str = "youth_survey"
    code: str = "panel_code"
    school: str = "school_code"
    wave: str = "wave"
    baseline: str = "baseline"
    endline: str = "endline"


@dataclass(frozen=True)
class QualitySettings:
    """Thresholds and codes of the checks (defaults as in the params schema).

    Attributes
    ----------
    dataset : str
        Dataset folder under ``surveys/data/``.
    language : str
        Report language (``en`` or ``sq``).
    tables : tuple of str
        Clean tables to check; empty means every table.
    short_share : float
        An interview is short when it took less than this share of its table's median.
    short_minutes : mapping of str to float
        Per table, minutes under which an interview is short whatever the median.
    iqr_multiplier, iqr_extreme : float
        Tukey's fences: outlier beyond ``k`` IQRs from the quartiles (1.5), extreme beyond 3.
    iqr_by_enumerator : bool
        Fences within each enumerator rather than over the whole table.
    iqr_questions : mapping of str to tuple of str
        Per table, the numeric questions checked by IQR (empty: none); tables not listed:
        every numeric question.
    iqr_min_values : int
        Fewest answers a question needs before fences are computed.
    dk_codes, refusal_codes : tuple of str
        Answer codes for "don't know" and "refused"; ``list:code`` limits a code to one
        choice list (``easy6:9``).
    enumerator_test : {"fisher", "z"}
        How an enumerator's flag rate is compared with the others'.
    enumerator_alpha : float
        Holm-adjusted p-value under which an enumerator is marked.
    panel : PanelSettings
    assent_by : tuple of str
        Columns assent refusals are broken down by.
    timezone : str
        Time zone of days and times shown (IANA name).
    hidden_value_groups : tuple of str
        Question groups whose answers listings never show (``group``, or ``table:group``
        for one table).
    workbook_layout : {"auto", "one_sheet", "per_enumerator"}
    listing_rows : int
        Rows of long listings shown in the HTML.
    min_cell_size : int
        The report's small-cell threshold (shown in notes).
    """

    dataset: str = "demo"
    language: str = "en"
    tables: tuple[str, ...] = ()
    short_share: float = 1 / 3
    short_minutes: Mapping[str, float] = field(default_factory=dict)
    iqr_multiplier: float = 1.5
    iqr_extreme: float = 3.0
    iqr_by_enumerator: bool = False
    iqr_questions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    iqr_min_values: int = 10
    dk_codes: tuple[str, ...] = ("dont_know", "dk", "98")
    refusal_codes: tuple[str, ...] = ("refuse", "refused", "prefer_not", "99")
    enumerator_test: str = "fisher"
    enumerator_alpha: float = 0.05
    panel: PanelSettings = field(default_factory=PanelSettings)
    assent_by: tuple[str, ...] = ("school_code", "_enumerator")
    timezone: str = "Europe/Tirane"
    hidden_value_groups: tuple[str, ...] = ("delinquency", "victim", "substance")
    workbook_layout: str = "auto"
    listing_rows: int = 20
    min_cell_size: int = 10

    def __post_init__(self) -> None:
        if self.iqr_extreme < self.iqr_multiplier:
            raise ParamsError(
                f"iqr_extreme ({self.iqr_extreme:g}) is below iqr_multiplier "
                f"({self.iqr_multiplier:g}); extreme outliers lie further out, e.g. 3 and 1.5"
            )
        try:
            import zoneinfo

            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ParamsError(
                f"timezone {self.timezone!r} is not a time zone name; use an IANA name such "
                "as 'Europe/Tirane' or 'UTC'"
            ) from None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> QualitySettings:
        """Settings from a report's params (validated again against the quality schema).

        Parameters
        ----------
        params : mapping
            ``run.params`` inside the notebook, or any subset of the quality keys.

        Raises
        ------
        ParamsError
            On unknown keys or wrong values, as :func:`evaluation.params.check_params`.
        """
        p = check_params("quality", dict(params), source="quality params")
        return cls(
            dataset=p["dataset"],
            language=p["language"],
            tables=tuple(p["tables"]),
            short_share=p["short_share"],
            short_minutes=dict(p["short_minutes"]),
            iqr_multiplier=p["iqr_multiplier"],
            iqr_extreme=p["iqr_extreme"],
            iqr_by_enumerator=p["iqr_by_enumerator"],
            iqr_questions={k: tuple(v) for k, v in p["iqr_questions"].items()},
            iqr_min_values=p["iqr_min_values"],
            dk_codes=tuple(p["dk_codes"]),
            refusal_codes=tuple(p["refusal_codes"]),
            enumerator_test=p["enumerator_test"],
            enumerator_alpha=p["enumerator_alpha"],
            panel=PanelSettings(**p["panel"]),
            assent_by=tuple(p["assent_by"]),
            timezone=p["timezone"],
            hidden_value_groups=tuple(p["hidden_value_groups"]),
            workbook_layout=p["workbook_layout"],
            listing_rows=p["listing_rows"],
            min_cell_size=p["min_cell_size"],
        )
