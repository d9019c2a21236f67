"""Raw text → numbers, dates, date-times, times and booleans."""

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluation.ingest.parsing import (
    parse_boolean,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_integer,
    parse_time,
)


def _text(*values):
    return pd.Series(list(values), dtype=object)


def test_integers_accept_signs_and_whole_decimals_only():
    typed = parse_integer(_text("15", "+3", "-4", "15.0", "1,5", "abc", "1e3", "12345678901234567"))
    assert typed.values[:4].tolist() == [15, 3, -4, 15]
    assert typed.bad.tolist() == [False] * 4 + [True] * 4
    assert str(typed.values.dtype) == "Int64"
    assert typed.notes == {"whole numbers written with a decimal point": 1}


def test_decimals_read_a_decimal_comma_and_note_it():
    typed = parse_decimal(_text("1.5", "1,5", ".25", "-2", "1.000,5", "x"))
    assert typed.values[:4].tolist() == [1.5, 1.5, 0.25, -2.0]
    assert typed.bad.tolist() == [False, False, False, False, True, True]
    assert typed.notes == {"numbers with a decimal comma read as decimals": 1}


def test_dates_from_iso_xlsx_day_first_and_excel_serials():
    typed = parse_date(
        _text(
            "2023-05-01",
            "2023-05-01T00:00:00",
            "01/05/2023",
            "1.5.2023",
            "45047",
            "2023-13-01",
            "2023",
        )
    )
    expected = pd.Timestamp("2023-05-01")
    assert list(typed.values[:5]) == [expected.to_datetime64()] * 5
    assert typed.bad.tolist() == [False] * 5 + [True, True]
    assert typed.values.dtype == "datetime64[ns]"


def test_day_first_is_not_month_first():
    typed = parse_date(_text("05/13/2023"))  # month 13: not a day-first date
    assert typed.bad.tolist() == [True]


def test_datetimes_with_offsets_become_utc():
    typed = parse_datetime(
        _text("2022-10-10T08:06:22.056+02:00", "2019-09-18T08:51:07.481Z"), "Europe/Tirane"
    )
    assert list(typed.values) == [
        pd.Timestamp("2022-10-10T06:06:22.056", tz="UTC"),
        pd.Timestamp("2019-09-18T08:51:07.481", tz="UTC"),
    ]
    assert str(typed.values.dtype) == "datetime64[ns, UTC]"


def test_datetimes_without_offset_are_local_time_in_summer_and_winter():
    typed = parse_datetime(_text("2022-07-01T10:00:00", "2022-01-10T10:00:00"), "Europe/Tirane")
    assert [t.hour for t in typed.values] == [8, 9]  # UTC+2 in summer, UTC+1 in winter
    assert typed.notes == {"date-times without an offset read as Europe/Tirane time": 2}


def test_submission_times_without_offset_are_utc_already():
    typed = parse_datetime(_text("2017-12-28T15:02:02"), "Europe/Tirane", naive_is_utc=True)
    assert typed.values[0] == pd.Timestamp("2017-12-28T15:02:02", tz="UTC")
    assert typed.notes == {}


def test_datetimes_day_first_and_excel_serials():
    typed = parse_datetime(_text("01/05/2023 10:30", "45047.5", "soon"), "UTC")
    assert list(typed.values[:2]) == [
        pd.Timestamp("2023-05-01T10:30", tz="UTC"),
        pd.Timestamp("2023-05-01T12:00", tz="UTC"),
    ]
    assert typed.bad.tolist() == [False, False, True]


def test_times_keep_the_clock_time_shown():
    typed = parse_time(_text("18:11:00.000+01:00", "8:05", "0.5", "25:00", "12:61", "noon"))
    assert typed.values[:3].tolist() == ["18:11:00", "08:05:00", "12:00:00"]
    assert typed.bad.tolist() == [False, False, False, True, True, True]


def test_booleans_of_per_choice_columns():
    typed = parse_boolean(_text("1", "0", "True", "FALSE", "1.0", "2"))
    assert typed.values[:5].tolist() == [True, False, True, False, True]
    assert typed.bad.tolist() == [False] * 5 + [True]


@given(st.lists(st.integers(min_value=-(10**14), max_value=10**14), min_size=1, max_size=20))
def test_integers_round_trip(numbers):
    typed = parse_integer(_text(*[str(n) for n in numbers]))
    assert not typed.bad.any()
    assert typed.values.tolist() == numbers


@given(
    st.lists(
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda x: round(x, 4)),
        min_size=1,
        max_size=20,
    )
)
def test_decimals_round_trip_with_point_or_comma(numbers):
    point = parse_decimal(_text(*[repr(float(x)) for x in numbers]))
    comma = parse_decimal(_text(*[repr(float(x)).replace(".", ",") for x in numbers]))
    assert point.values.tolist() == pytest.approx(numbers)
    assert comma.values.tolist() == pytest.approx(numbers)
