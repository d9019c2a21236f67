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
from typing import NamedTuple

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


MARKERS = ("o", "s", "^", "D", "v", "P")
"""Marker of each series of a coefficient plot, in order (shape as well as colour)."""


def coefficient_plot(
    table: pd.DataFrame,
    *,
    label: str = "label",
    estimate: str = "estimate",
    low: str = "ci_low",
    high: str = "ci_high",
    series: str | None = None,
    section: str | None = None,
    title: str = "",
    xlabel: str = "",
    zero_label: str = "",
    note: str = "",
    language: str = "en",
) -> Figure:
    """Estimates with their intervals on one horizontal axis (a "forest" or coefficient
    plot): one row per label, top to bottom in the table's order.

    Parameters
    ----------
    table : DataFrame
        One row per estimate: ``label``, ``estimate``, ``low``, ``high`` and optionally
        ``series`` and ``section``. Rows sharing a label share a line; a missing estimate or
        bound draws nothing (the row keeps its place).
    label : str
        Column naming each line (e.g. the outcome).
    estimate, low, high : str
        Columns of the point estimate and the interval's bounds (one unit for all rows,
        e.g. standard deviations).
    series : str, optional
        Column distinguishing estimates on the same line (e.g. the estimator): each series
        has its own colour and marker, slightly offset, and a legend entry.
    section : str, optional
        Column grouping the lines (e.g. the family of outcomes): each group opens with its
        name in bold.
    title, xlabel, zero_label, note : str
        Texts in the report's language; ``zero_label`` names the dashed line at 0 in the
        legend, ``note`` is printed small under the plot (e.g. which intervals).
    language : str
        For the numbers on the axis.

    Returns
    -------
    Figure
    """
    _require(table, [c for c in (label, estimate, low, high, series, section) if c])
    layout = _coefficient_layout(table, label, section)
    names = list(dict.fromkeys(table[series])) if series else [None]
    offsets = np.linspace(-0.22, 0.22, len(names)) if len(names) > 1 else np.zeros(1)
    with plt.rc_context(STYLE):
        height = 0.42 * len(layout.rows) + 0.3 * len(layout.headings) + 1.6 + 0.3 * bool(note)
        fig, ax = plt.subplots(figsize=(8, max(height, 2.8)))
        for k, name in enumerate(names):
            part = table if name is None else table[table[series] == name]
            y = np.array([layout.rows[v] for v in part[label]], dtype=float) + offsets[k]
            centre = pd.to_numeric(part[estimate], errors="coerce").to_numpy(dtype=float)
            lows = pd.to_numeric(part[low], errors="coerce").to_numpy(dtype=float)
            highs = pd.to_numeric(part[high], errors="coerce").to_numpy(dtype=float)
            colour = PALETTE[k % len(PALETTE)]
            ax.hlines(y, lows, highs, color=colour, linewidth=1.6)
            ax.plot(
                centre,
                y,
                linestyle="none",
                marker=MARKERS[k % len(MARKERS)],
                markersize=6,
                color=colour,
                label=None if name is None else str(name),
            )
        ax.axvline(0, color="#404040", linestyle="--", linewidth=1, label=zero_label or None)
        ticks = [*layout.rows.values(), *layout.headings.values()]
        texts = [textwrap.fill(str(v), 38) for v in (*layout.rows, *layout.headings)]
        ax.set_yticks(ticks, texts)
        for tick in ax.get_yticklabels()[len(layout.rows) :]:
            tick.set_fontweight("bold")
        ax.set_ylim(max(ticks) + 0.7, min(ticks) - 0.7)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="y", visible=False)
        ax.grid(axis="x", visible=True)
        ax.xaxis.set_major_formatter(_decimal_formatter(language))
        _texts(ax, title, xlabel, "")
        figure_height = fig.get_figheight()
        handles, texts = ax.get_legend_handles_labels()
        note_inches = 0.22 * len(textwrap.wrap(note, 120)) if note else 0.0
        legend_inches = 0.28 * math.ceil(len(texts) / 2) + 0.1 if texts else 0.0
        if texts:
            fig.legend(
                handles,
                texts,
                loc="lower center",
                bbox_to_anchor=(0.5, (note_inches + 0.05) / figure_height),
                ncol=2,
            )
        if note:
            fig.text(
                0.01, 0.02 / figure_height, textwrap.fill(note, 120), fontsize=8, color="#404040"
            )
        bottom = (note_inches + legend_inches + 0.05) / figure_height
        fig.tight_layout(rect=(0, bottom, 1, 1))
    return fig


class _CoefficientLayout(NamedTuple):
    rows: dict[object, float]  # label -> y position of its line
    headings: dict[object, float]  # section -> y position of its heading


def _coefficient_layout(table: pd.DataFrame, label: str, section: str | None) -> _CoefficientLayout:
    rows: dict[object, float] = {}
    headings: dict[object, float] = {}
    y = 0.0
    current: object = object()
    groups = table[section] if section else [None] * len(table)
    for name, group in zip(table[label], groups, strict=True):
        if section and group != current:
            y += 0.4 if rows else 0.0
            headings[group] = y
            y += 1.0
            current = group
        if name not in rows:
            rows[name] = y
            y += 1.0
    return _CoefficientLayout(rows, headings)


def _decimal_formatter(language: str) -> FuncFormatter:
    """Axis numbers with as few decimals as show the tick exactly (at most three)."""

    def text(value: float, _position: int) -> str:
        for digits in range(4):
            if abs(value - round(value, digits)) < 1e-9:
                return format_number(value, digits, language)
        return format_number(value, 3, language)

    return FuncFormatter(text)


def small_multiples(
    table: pd.DataFrame,
    *,
    x: str = "period",
    y: str = "estimate",
    panel: str = "measure",
    titles: Mapping[object, str] | None = None,
    percent: Sequence[object] = (),
    references: Mapping[object, tuple[float, str]] | None = None,
    x_labels: Mapping[object, str] | None = None,
    highlight: object = None,
    title: str = "",
    note: str = "",
    language: str = "en",
    columns: int = 3,
) -> Figure:
    """Small line charts that share their x axis, one per value of ``panel`` (e.g. one per
    measure over the last twelve months), each with its own y scale.

    Parameters
    ----------
    table : DataFrame
        Long: ``panel``, ``x`` and ``y`` columns; rows in x order within a panel. A missing
        ``y`` (e.g. a suppressed month) leaves a gap in the line.
    x, y, panel : str
        Columns of the x positions (ordered categories such as months), values and panels.
    titles : mapping, optional
        Title of each panel value (default the value), in the report's language.
    percent : sequence
        Panels whose values are shares, shown as percentages.
    references : mapping, optional
        Panel → (value, label): a dashed reference line (e.g. a milestone).
    x_labels : mapping, optional
        The x values to label on the axis and their text (default: every value, as text);
        values not in the mapping get no tick label.
    highlight : object, optional
        The x value to mark (e.g. the report's month): its point is drawn larger.
    title, note : str
        Figure title, and a line printed small under the panels (e.g. what gaps mean).
    language : str
        For the numbers on the axes.
    columns : int
        Panels per row.

    Returns
    -------
    Figure
    """
    _require(table, [x, y, panel])
    panels = list(dict.fromkeys(table[panel]))
    order = list(dict.fromkeys(table[x]))
    rows = max(1, math.ceil(len(panels) / columns))
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            rows, columns, figsize=(8, 2.3 * rows + 0.5 + 0.5 * bool(note)), squeeze=False
        )
        for k, ax in enumerate(axes.ravel()):
            if k >= len(panels):
                ax.set_visible(False)
                continue
            key = panels[k]
            _small_panel(
                ax,
                table[table[panel] == key],
                x,
                y,
                order,
                (titles or {}).get(key, str(key)),
                key in set(percent),
                (references or {}).get(key),
                highlight,
                language,
            )
            shown = x_labels if x_labels is not None else {v: str(v) for v in order}
            ticks = [i for i, v in enumerate(order) if v in shown]
            ax.set_xticks(ticks, [shown[order[i]] for i in ticks], fontsize=8)
        if title:
            fig.suptitle(title, x=0.01, ha="left", fontweight="bold")
        lines = textwrap.wrap(note, 110) if note else []
        if lines:
            fig.text(0.01, 0.01, "\n".join(lines), fontsize=8, color="#404040", va="bottom")
        fig.tight_layout(rect=(0, 0.015 + 0.03 * len(lines), 1, 1))
    return fig


def _small_panel(
    ax,
    part: pd.DataFrame,
    x: str,
    y: str,
    order: list[object],
    heading: str,
    percent: bool,
    reference: tuple[float, str] | None,
    highlight: object,
    language: str,
) -> None:
    position = {v: i for i, v in enumerate(order)}
    xs = np.array([position[v] for v in part[x]], dtype=float)
    ys = pd.to_numeric(part[y], errors="coerce").to_numpy(dtype=float)
    ax.plot(xs, ys, color=PALETTE[0], linewidth=1.6, marker="o", markersize=3)
    if highlight is not None and highlight in position:
        mine = part[x].to_numpy() == highlight
        ax.plot(xs[mine], ys[mine], color=PALETTE[1], marker="o", markersize=7, linestyle="")
    if reference is not None and not math.isnan(reference[0]):
        ax.axhline(reference[0], color="#404040", linestyle="--", linewidth=0.9)
        if reference[1]:
            ax.annotate(
                reference[1],
                (len(order) - 1, reference[0]),
                xytext=(0, 3),
                textcoords="offset points",
                ha="right",
                fontsize=7,
                color="#404040",
            )
    ceiling = [float(v) for v in ys[~np.isnan(ys)]]
    if reference is not None and not math.isnan(reference[0]):
        ceiling.append(float(reference[0]))
    top = max(ceiling, default=0.0) or 1.0
    ax.set_ylim(0, 1.05 if percent and top <= 1 else top * 1.15)
    ax.set_xlim(-0.5, len(order) - 0.5)
    ax.yaxis.set_major_locator(
        MaxNLocator(nbins=4, steps=[1, 2.5, 5, 10]) if percent else MaxNLocator(4, integer=True)
    )
    ax.yaxis.set_major_formatter(_formatter(language, percent))
    ax.set_title(textwrap.fill(heading, 32), loc="left", fontsize=9)


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
