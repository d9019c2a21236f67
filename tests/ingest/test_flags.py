"""Lesser problems keep the row: refusals, short interviews, outlying numbers."""

import numpy as np
import pandas as pd
import pytest

from evaluation.ingest.config import TableConfig
from evaluation.ingest.flags import flag_outliers, flag_short_interviews
from evaluation.ingest.problems import Flags
from evaluation.instruments import read_instrument

from .conftest import make_form, mini_row, run_mini


def _table(share=1 / 3, minutes=0.0):
    return TableConfig(
        name="t", instrument="f", files=("x",), short_share=share, short_minutes=minutes
    )


def test_short_interviews_against_a_third_of_the_median():
    minutes = pd.Series([30, 30, 30, 30, 9, 11, 2, np.nan], dtype="Float64")
    flags = Flags()
    threshold = flag_short_interviews(minutes, np.ones(8, dtype=bool), _table(), flags)
    assert threshold == pytest.approx(10.0)  # median 30 / 3
    assert np.flatnonzero(flags.has("short_interview", 8)).tolist() == [4, 6]


def test_a_minimum_in_minutes_raises_the_threshold_and_refusals_are_left_out():
    minutes = pd.Series([30, 30, 30, 9, 11, 2], dtype="Float64")
    eligible = np.array([True, True, True, True, True, False])  # the 2-minute row refused
    flags = Flags()
    assert flag_short_interviews(minutes, eligible, _table(minutes=12), flags) == 12
    assert np.flatnonzero(flags.has("short_interview", 6)).tolist() == [3, 4]


def test_refused_assent_is_accepted_and_flagged_not_short(tmp_path):
    refusal = mini_row(
        "u9", assent="no", name="", age="", sex="", reasons="", flags=",,", code="", visit="",
        end="2024-03-01T10:01:00.000+01:00",
    )  # fmt: skip
    lines = [mini_row(f"u{i}") for i in range(4)] + [refusal]
    clean, quarantine, log = run_mini(tmp_path, lines)
    assert quarantine.empty
    assert clean["_flags"].tolist() == [""] * 4 + ["assent_refused"]
    assert log["files"][0]["flags"] == {"assent_refused": 1}


def test_outliers_beyond_tukeys_far_fences(tmp_path):
    survey = [("integer", "n", "N", "", "", "", "", "")]
    form = read_instrument(make_form(tmp_path / "f.xlsx", survey, []), convert=False)
    values = [*range(10, 40), 200, -100]
    data = pd.DataFrame({"n": pd.array(values, dtype="Int64")})
    everyone = np.ones(len(values), dtype=bool)
    flags = Flags()
    flag_outliers(data, form, everyone, everyone, 3.0, flags)
    assert np.flatnonzero(flags.has("outlier_iqr:n", len(values))).tolist() == [30, 31]
    quiet = Flags()
    flag_outliers(data, form, everyone, everyone, 0.0, quiet)
    assert quiet.counts() == {}
