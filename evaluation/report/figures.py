"""Figures for report notebooks: a few matplotlib helpers with one calm house style.

Every helper takes a tidy table and the texts to show (already in the report's language:
titles and axis labels come from :mod:`evaluation.report.labels` or the instruments, never
from here) and returns a :class:`matplotlib.figure.Figure`. A notebook cell ends with
``plt.show()`` so the figure is shown once and no ``<Figure at 0x…>`` line is printed.

Numbers on axes use the report language's decimal sign (``12,5`` in Albanian) through
:mod:`evaluation.report.tables`, the one place numbers are formatted.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from evaluation.errors import ReportError
from evaluation.report.tables import format_number, format_percent

PALETTE = ("#1F4E79", "#C55A11", "#548235", "#7F6000", "#7030A0", "#2E75B6", "#A5A5A5")
"""Colours in order of use (dark blue first; colour-blind safe pairs for two series)."""
HIGHLIGHT = "#C00000"
STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#D9D9D9",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "legend.frameon": False,
    "svg.hashsalt": "evaluation-workbench",
}


def bar(
    table: pd.DataFrame,
    x: str,
    y: str,
    *,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    language: str = "en",
    percent: bool = False,
    horizontal: bool = False,
    highlight: Sequence[bool] | None = None,
    reference: float | None = None,
    reference_label: str = "",
) -> Figure:
    """One bar per row of ``table``.

    Parameters
    ----------
    table : DataFrame
        Rows in the order to draw them.
    x, y : str
        Column of bar labels and column of values.
    title, xlabel, ylabel : str
        Texts in the report's language.
    language : str
        For the numbers on the value axis.
    percent : bool
        Values are shares, shown as percentages.
    horizontal : bool
        Horizontal bars (long labels), first row on top.
    highlight : sequence of bool, optional
        Bars to draw in the highlight colour (e.g. enumerators who stand out).
    reference : float, optional
        A reference line (e.g. the overall rate), labelled ``reference_label``.

    Returns
    -------
    Figure
    """
    _require(table, [x, y])
    labels = [str(v) for v in table[x]]
    values = pd.to_numeric(table[y], errors="coerce").to_numpy(dtype=float)
    colours = [
        HIGHLIGHT if (highlight is not None and bool(h)) else PALETTE[0]
        for h in (highlight if highlight is not None else [False] * len(values))
    ]
    with plt.rc_context(STYLE):
        height = max(2.6, 0.32 * len(values) + 1.2) if horizontal else 3.6
        fig, ax = plt.subplots(figsize=(8, height))
        positions = np.arange(len(values))
        if horizontal:
            ax.barh(positions, values, color=colours)
            ax.set_yticks(positions, labels)
            ax.invert_yaxis()
            ax.grid(axis="x")
            ax.grid(axis="y", visible=False)
            value_axis = ax.xaxis
            line = ax.axvline
        else:
            ax.bar(positions, values, color=colours)
            ax.set_xticks(
                positions,
                labels,
                rotation=45 if len(values) > 8 else 0,
                ha="right" if len(values) > 8 else "center",
            )
            value_axis = ax.yaxis
            line = ax.axhline
        value_axis.set_major_formatter(_formatter(language, percent))
        if reference is not None and not math.isnan(reference):
            line(reference, color="#404040", linestyle="--", linewidth=1, label=reference_label)
            if reference_label:
                ax.legend(loc="best")
        _texts(ax, title, xlabel, ylabel)
        fig.tight_layout()
    return fig


def daily_counts(
    table: pd.DataFrame,
    *,
    date: str = "date",
    count: str = "submissions",
    panel: str | None = None,
    panel_titles: Mapping[object, str] | None = None,
    title: str = "",
    ylabel: str = "",
    weekly_label: str = "",
    language: str = "en",
    weekly_after_days: int = 92,
) -> Figure:
    """Counts per day as bars, one panel per value of ``panel`` (each with its own dates).

    A panel spanning more than ``weekly_after_days`` days is drawn per week (Monday) and its
    title gets ``weekly_label``, so a two-year register stays readable.

    Parameters
    ----------
    table : DataFrame
        ``date`` (days) and ``count`` columns, plus ``panel`` if given.
    panel : str, optional
        Column splitting the panels (e.g. the table and round).
    panel_titles : mapping, optional
        Title of each panel value (default: the value).
    title, ylabel, weekly_label : str
        Texts in the report's language.
    language : str
        For the numbers on the count axis.

    Returns
    -------
    Figure
    """
    _require(table, [date, count, *([panel] if panel else [])])
    keys = list(dict.fromkeys(table[panel])) if panel else [None]
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            len(keys) or 1, 1, figsize=(8, 1.9 * max(len(keys), 1) + 0.8), squeeze=False
        )
        for ax, key in zip(axes[:, 0], keys or [None], strict=False):
            part = table if key is None else table[table[panel] == key]
            days = pd.to_datetime(part[date])
            values = pd.to_numeric(part[count], errors="coerce").fillna(0)
            heading = (panel_titles or {}).get(key, "" if key is None else str(key))
            if len(days) and (days.max() - days.min()).days > weekly_after_days:
                weekly = values.groupby(days.dt.to_period("W-SUN").dt.start_time).sum()
                ax.bar(weekly.index, weekly.to_numpy(), width=5, color=PALETTE[0])
                heading = f"{heading} ({weekly_label})" if weekly_label else heading
            else:
                ax.bar(days, values.to_numpy(), width=0.8, color=PALETTE[0])
            ax.set_title(heading, loc="left", fontsize=10)
            ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
            ax.yaxis.set_major_formatter(_formatter(language, False))
            locator = mdates.AutoDateLocator(minticks=3, maxticks=6)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
            ax.set_ylabel(ylabel)
        if title:
            fig.suptitle(title, x=0.01, ha="left", fontweight="bold")
        fig.tight_layout()
    return fig


def histogram(
    values: Sequence[float] | pd.Series,
    *,
    bins: int = 30,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    language: str = "en",
    threshold: float | None = None,
    threshold_label: str = "",
) -> Figure:
    """A histogram of ``values`` with an optional vertical threshold line (e.g. "short").

    Returns
    -------
    Figure
    """
    data = pd.to_numeric(pd.Series(values), errors="coerce").dropna().to_numpy(dtype=float)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8, 3.2))
        if len(data):
            ax.hist(data, bins=bins, color=PALETTE[0], edgecolor="white", linewidth=0.5)
        if threshold is not None and not math.isnan(threshold):
            ax.axvline(
                threshold,
                color=HIGHLIGHT,
                linestyle="--",
                linewidth=1.2,
                label=threshold_label or None,
            )
            if threshold_label:
                ax.legend(loc="upper right")
        ax.xaxis.set_major_formatter(_formatter(language, False))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        _texts(ax, title, xlabel, ylabel)
        fig.tight_layout()
    return fig


def _formatter(language: str, percent: bool) -> FuncFormatter:
    def text(value: float, _position: int) -> str:
        if percent:
            whole = abs(value * 100 - round(value * 100)) < 1e-9
            return format_percent(value, 0 if whole else 1, language)
        digits = 0 if abs(value - round(value)) < 1e-9 else 1
        return format_number(value, digits, language)

    return FuncFormatter(text)


def _texts(ax, title: str, xlabel: str, ylabel: str) -> None:
    if title:
        ax.set_title(textwrap.fill(title, 70), loc="left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)


def _require(table: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ReportError(
            f"figure: the table has no column {', '.join(map(repr, missing))}; it has "
            f"{', '.join(map(str, table.columns))}"
        )
