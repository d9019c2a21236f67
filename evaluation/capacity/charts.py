"""The capacity-building report's figures, in the report's language.

Matplotlib in the house style of :mod:`evaluation.report.figures` (palette, fonts, grid);
titles and axis labels come from ``capacity.figures.*`` in the report text files, group
labels from the questionnaires, and axis numbers use the language's decimal sign. A figure
of values about people shows only what the tables publish (small groups are left out).
A notebook cell ends with ``plt.show()``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator

from evaluation.capacity.data import CapacityData
from evaluation.capacity.present import code_label, knowledge_wide, protected, text
from evaluation.report import figures
from evaluation.report.tables import format_number, format_percent


def hours_figure(participants: pd.DataFrame, data: CapacityData) -> Figure:
    """Histogram of the share of each training's hours that each participant attended, in
    5-point bins (a bin includes its lower edge, so the completion line is a bin edge)."""
    rule = 100 * data.rules.completion
    shares = 100 * participants["hours_share"].astype(float).dropna().to_numpy()
    with plt.rc_context(figures.STYLE):
        fig, ax = plt.subplots(figsize=(8, 3.2))
        ax.hist(shares, bins=np.arange(0, 105, 5), color=figures.PALETTE[0], edgecolor="white")
        ax.axvline(
            rule,
            color=figures.HIGHLIGHT,
            linestyle="--",
            linewidth=1.2,
            label=text(
                data,
                "figures.completion_line",
                share=format_percent(data.rules.completion, 0, data.language),
            ),
        )
        ax.set_xlim(0, 100)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: _tick(v, data.language)))
        ax.set_title(text(data, "figures.hours_title"), loc="left")
        ax.set_xlabel(text(data, "figures.hours_x"))
        ax.set_ylabel(text(data, "figures.participations"))
        ax.legend(loc="upper left")
        fig.tight_layout()
    return fig


def knowledge_figure(table: pd.DataFrame, data: CapacityData, by: str = "course") -> Figure:
    """Mean score before and after, per group and overall (grouped bars)."""
    wide = knowledge_wide(table, by)
    safe = protected(wide, "knowledge", data, by=by)
    return grouped_bars(
        [code_label(data, by, v, "all") for v in safe[by]],
        {
            text(data, "figures.before"): safe["mean_pre"].to_numpy(dtype=float),
            text(data, "figures.after"): safe["mean_post"].to_numpy(dtype=float),
        },
        title=text(data, "figures.knowledge_title"),
        value_label=text(data, "figures.score_axis"),
        language=data.language,
        limit=data.rules.max_score,
        reference=data.rules.post_at_least,
        reference_label=text(
            data, "figures.threshold_line", score=format_number(data.rules.post_at_least, 0)
        ),
    )


def scorecard_figure(scores: pd.DataFrame, data: CapacityData, by: str = "domain") -> Figure:
    """Mean score per domain (or institution type), one bar per round (horizontal)."""
    rounds = list(dict.fromkeys(scores["round"]))
    groups = list(dict.fromkeys(scores[by]))
    wide = scores.pivot(index=by, columns="round", values="estimate").reindex(
        index=groups, columns=rounds
    )
    total = "domains" if by == "domain" else "institutions"
    return grouped_bars(
        [code_label(data, by, g, total) for g in groups],
        {code_label(data, "round", r): wide[r].to_numpy(dtype=float) for r in rounds},
        title=text(data, "figures.scorecard_title"),
        value_label=text(data, "figures.scorecard_axis"),
        language=data.language,
        limit=4.0,
        start=1.0,
        step=1.0,
    )


def grouped_bars(
    groups: Sequence[str],
    series: Mapping[str, np.ndarray],
    *,
    title: str = "",
    value_label: str = "",
    language: str = "en",
    limit: float | None = None,
    start: float = 0.0,
    step: float | None = None,
    reference: float | None = None,
    reference_label: str = "",
) -> Figure:
    """Horizontal bars of several series side by side for each group (missing values leave
    a gap), the first group on top and the legend under the plot.

    Parameters
    ----------
    groups : sequence of str
        Group labels, in drawing order (long labels wrap).
    series : mapping of str to array
        Legend label → one value per group.
    limit, start : float
        Value axis from ``start`` to ``limit`` (e.g. 1-4 for the scorecard).
    step : float, optional
        Distance between value-axis ticks (e.g. 1 for a 1-4 scale).
    reference : float, optional
        A dashed reference line (e.g. the knowledge threshold).
    """
    names = list(series)
    count = max(len(names), 1)
    width = 0.8 / count
    positions = np.arange(len(groups), dtype=float)
    labels = [textwrap.fill(str(g), 40) for g in groups]
    lines = sum(label.count("\n") + 1 for label in labels)
    with plt.rc_context(figures.STYLE):
        fig, ax = plt.subplots(figsize=(8, max(3.0, 0.3 * lines + 0.25 * len(groups) + 1.6)))
        for i, name in enumerate(names):
            offset = (i - (count - 1) / 2) * width
            values = np.asarray(series[name], dtype=float)
            colour = figures.PALETTE[i % len(figures.PALETTE)]
            ax.barh(positions + offset, values - start, width, left=start, color=colour, label=name)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: _tick(v, language)))
        if step is not None:
            ax.xaxis.set_major_locator(MultipleLocator(step))
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
        ax.grid(axis="x")
        ax.grid(axis="y", visible=False)
        ax.set_xlim(start, limit)
        ax.set_xlabel(value_label)
        if reference is not None:
            ax.axvline(
                reference, color="#404040", linestyle="--", linewidth=1, label=reference_label
            )
        if title:
            ax.set_title(textwrap.fill(title, 70), loc="left")
        handles, names_shown = ax.get_legend_handles_labels()
        fig.legend(handles, names_shown, loc="lower center", ncol=min(len(handles), 3))
        fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def _tick(value: float, language: str) -> str:
    return format_number(value, 0 if abs(value - round(value)) < 1e-9 else 1, language)
