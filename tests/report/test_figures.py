"""Figure helpers: they draw what they are given, with the report language's numbers."""

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from evaluation.errors import ReportError
from evaluation.report import figures


def tick_texts(axis):
    axis.figure.canvas.draw()
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]


def test_bar_highlights_and_formats_percentages_in_albanian():
    table = pd.DataFrame({"who": ["a", "b", "c"], "share": [0.0125, 0.005, 0.0]})
    fig = figures.bar(
        table,
        "who",
        "share",
        percent=True,
        horizontal=True,
        language="sq",
        highlight=[True, False, False],
        reference=0.006,
        reference_label="Të gjithë",
    )
    ax = fig.axes[0]
    colours = [patch.get_facecolor() for patch in ax.patches]
    assert colours[0] != colours[1] == colours[2]  # the first stands out
    assert any("," in text and text.endswith("%") for text in tick_texts(ax.xaxis))
    assert ax.get_legend().get_texts()[0].get_text() == "Të gjithë"
    plt.close(fig)


def test_daily_counts_one_panel_each_and_weekly_for_long_spans():
    days = pd.to_datetime(["2022-01-03", "2022-01-04", "2023-06-01", "2022-10-10", "2022-10-11"])
    table = pd.DataFrame(
        {
            "date": days,
            "submissions": [2, 3, 4, 5, 6],
            "panel": ["long", "long", "long", "short", "short"],
        }
    )
    fig = figures.daily_counts(table, panel="panel", weekly_label="per week")
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles == ["long (per week)", "short"]
    assert sum(p.get_height() for p in fig.axes[0].patches) == 9  # weekly sums keep the total
    plt.close(fig)


def test_histogram_draws_the_threshold_and_missing_columns_are_errors():
    fig = figures.histogram([1, 2, 2, 3, None], bins=3, threshold=1.5, threshold_label="short")
    ax = fig.axes[0]
    assert sum(p.get_height() for p in ax.patches) == 4
    assert ax.lines[0].get_xdata()[0] == 1.5
    plt.close(fig)
    with pytest.raises(ReportError, match="no column 'y'"):
        figures.bar(pd.DataFrame({"x": [1]}), "x", "y")
