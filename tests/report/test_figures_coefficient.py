"""The coefficient plot (evaluation.report.figures.coefficient_plot): one line per label in
the table's order under bold section headings, one marker and colour per series, the
interval drawn as a line, a dashed line at zero, numbers in the report's language."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from evaluation.errors import ReportError
from evaluation.report.figures import coefficient_plot

TABLE = pd.DataFrame(
    {
        "section": ["Attitudes", "Attitudes", "Behaviour", "Behaviour"],
        "label": ["Attitudes score", "Attitudes score", "Any delinquency", "Any delinquency"],
        "series": ["DiD", "ANCOVA", "DiD", "ANCOVA"],
        "estimate": [0.17, 0.13, -0.09, -0.05],
        "ci_low": [0.04, 0.01, -0.22, -0.19],
        "ci_high": [0.30, 0.25, 0.05, np.nan],
    }
)


@pytest.fixture
def figure():
    fig = coefficient_plot(
        TABLE,
        series="series",
        section="section",
        title="Effects",
        xlabel="Effect (SD)",
        zero_label="No effect",
        note="Lines: 95% intervals",
    )
    yield fig
    plt.close(fig)


def test_lines_and_headings_in_table_order(figure):
    ax = figure.axes[0]
    labels = {t.get_text(): t for t in ax.get_yticklabels()}
    assert set(labels) == {"Attitudes score", "Any delinquency", "Attitudes", "Behaviour"}
    positions = {
        t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)
    }
    # the y axis is inverted: first rows on top (smaller y drawn higher)
    assert positions["Attitudes"] < positions["Attitudes score"] < positions["Behaviour"]
    assert positions["Behaviour"] < positions["Any delinquency"]
    assert labels["Attitudes"].get_fontweight() == "bold"
    assert labels["Attitudes score"].get_fontweight() != "bold"
    assert ax.yaxis_inverted()


def test_one_marker_series_per_estimator_with_its_intervals(figure):
    ax = figure.axes[0]
    points = [line for line in ax.get_lines() if line.get_marker() not in ("None", None, "")]
    assert [p.get_label() for p in points] == ["DiD", "ANCOVA"]
    assert points[0].get_marker() != points[1].get_marker()
    np.testing.assert_allclose(points[0].get_xdata(), [0.17, -0.09])
    drawn = {
        (round(float(seg[0][0]), 2), round(float(seg[-1][0]), 2))
        for collection in ax.collections
        for seg in collection.get_segments()
        if len(seg) and np.isfinite(seg).all()
    }
    assert {(0.04, 0.3), (0.01, 0.25), (-0.22, 0.05)} <= drawn  # the NaN bound draws nothing
    assert not any(-0.19 in pair for pair in drawn)
    zero = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert zero and np.allclose(zero[0].get_xdata(), 0)
    legend = figure.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["DiD", "ANCOVA", "No effect"]


def test_albanian_numbers_use_the_decimal_comma():
    fig = coefficient_plot(TABLE, series="series", section="section", language="sq")
    fig.canvas.draw()
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert any("," in t for t in ticks) and not any("." in t for t in ticks)
    plt.close(fig)


def test_a_missing_column_is_a_report_error():
    with pytest.raises(ReportError, match="no column 'series'"):
        coefficient_plot(TABLE.drop(columns="series"), series="series")
