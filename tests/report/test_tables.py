"""Display tables: numbers formatted per language, headers and labels from the text files
and the instruments, and a deterministic HTML table."""

import numpy as np
import pandas as pd
import pytest

from evaluation.errors import ReportError
from evaluation.report import tables as T
from evaluation.results import ResultInfo, make_result

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("value", "digits", "language", "expected"),
    [
        (1234.567, 1, "en", "1,234.6"),
        (1234.567, 1, "sq", f"1{NBSP}234,6"),
        (-0.04, 1, "en", "0.0"),  # never "-0.0"
        (-1234567.891, 2, "sq", f"-1{NBSP}234{NBSP}567,89"),
        (0.5, 0, "en", "0"),  # Python rounds half to even
        (np.float64(2.25), 1, "en", "2.2"),
        (None, 2, "en", T.MISSING),
        (np.nan, 2, "sq", T.MISSING),
        (pd.NA, 2, "en", T.MISSING),
    ],
)
def test_format_number(value, digits, language, expected):
    assert T.format_number(value, digits, language) == expected


def test_counts_percentages_p_values_and_intervals():
    assert T.format_count(1234567, "en") == "1,234,567"
    assert T.format_count(1234567.4, "sq") == f"1{NBSP}234{NBSP}567"
    assert T.format_percent(0.1234, 1, "en") == "12.3%"
    assert T.format_percent(0.1234, 1, "sq") == "12,3%"
    assert T.format_percent(1, 0, "en") == "100%"
    assert T.format_p_value(0.04219, 3, "en") == "0.042"
    assert T.format_p_value(0.0004, 3, "en") == "< 0.001"
    assert T.format_p_value(0.0004, 3, "sq") == "< 0,001"
    assert T.format_interval(1.234, 2.5, 2, "en") == "[1.23, 2.50]"
    assert T.format_interval(1.234, 2.5, 2, "sq") == "[1,23; 2,50]"  # ; as the comma is decimal
    assert T.format_interval(0.1, 0.25, 1, "en", percent=True) == "[10.0%, 25.0%]"
    assert T.format_interval(np.nan, 2, 2, "en") == T.MISSING
    assert T.format_date(pd.Timestamp("2023-05-08 10:00")) == "2023-05-08"
    assert T.format_date(pd.NaT) == T.MISSING


def test_text_is_not_taken_for_a_number():
    with pytest.raises(ReportError, match="cannot format 'abc' as a number"):
        T.format_number("abc")


def test_headers_come_from_the_text_files_in_each_language():
    assert T.header("estimate", "en") == "Estimate"
    assert T.header("se", "sq") == "Gabimi standard"
    assert T.header("n_short", "sq", namespaces=("quality.columns",)) == "Intervista të shkurtra"
    assert T.header("x", "en", headers={"x": "Ex"}) == "Ex"
    with pytest.raises(ReportError, match=r"no header for column 'colour'.*table\.colour"):
        T.header("colour", "en")


def test_display_table_formats_by_kind_and_infers_the_rest():
    table = pd.DataFrame(
        {
            "estimate": [0.12345, np.nan],
            "n": pd.array([1200, 7], dtype="Int64"),
            "p_value": [0.2, 0.00001],
            "note": ["a", None],
        }
    )
    shown = T.display_table(
        table,
        "sq",
        formats={"estimate": "percent", "p_value": "p_value"},
        headers={"note": "Shënim"},
    )
    assert list(shown.columns) == ["Vlerësimi", "n", "Vlera p", "Shënim"]
    assert shown.iloc[0].tolist() == ["12,3%", f"1{NBSP}200", "0,200", "a"]
    assert shown.iloc[1].tolist() == [T.MISSING, "7", "< 0,001", T.MISSING]
    assert shown.attrs["align"] == {
        "Vlerësimi": "right",
        "n": "right",
        "Vlera p": "right",
        "Shënim": "left",
    }
    assert table["estimate"].iloc[0] == 0.12345  # the input is not changed


def test_display_table_refuses_numbers_in_text_columns_and_unknown_kinds():
    table = pd.DataFrame({"estimate": [1.5]})
    with pytest.raises(ReportError, match="is in a text column"):
        T.display_table(table, formats={"estimate": "text"})
    with pytest.raises(ReportError, match="format 'percentage'"):
        T.display_table(table, formats={"estimate": "percentage"})
    with pytest.raises(ReportError, match="has no column 'se'"):
        T.display_table(table, columns=["se"])


class FakeInstrument:
    """Just the lookups display tables use."""

    def label(self, name, lang=None):
        if name != "age":
            raise KeyError(name)
        return {"en": "How old are you?", "sq": "Sa vjeç je?"}[lang]

    def question(self, name):
        return type("Q", (), {"list_name": "yes_no"})()

    def choice_label(self, list_name, code, lang=None):
        return {"en": {"yes": "Yes"}, "sq": {"yes": "Po"}}[lang][code]


def test_question_and_choice_labels_come_from_the_instrument():
    table = pd.DataFrame({"variable": ["age", "derived"], "answer": ["yes", "yes"]})
    shown = T.display_table(
        table,
        "sq",
        formats={"variable": "question", "answer": "choice:smoke"},
        headers={"variable": "Pyetja", "answer": "Përgjigjja"},
        instrument=FakeInstrument(),
    )
    assert shown["Pyetja"].tolist() == ["Sa vjeç je?", "derived"]  # unknown: the name
    assert shown["Përgjigjja"].tolist() == ["Po", "Po"]


def test_results_table_formats_the_core_columns():
    info = ResultInfo("survey.proportion", level=0.95)
    result = make_result(
        [
            {
                "sex": "female",
                "estimate": 0.2512,
                "se": 0.01,
                "ci_low": 0.231,
                "ci_high": 0.2714,
                "p_value": 0.0001,
                "n": 1500,
            }
        ],
        info,
        id_columns=["sex"],
    )
    shown = T.results_table(result, "en", percent=True, headers={"sex": "Sex"})
    assert list(shown.columns) == ["Sex", "Estimate", "95% confidence interval", "p-value", "n"]
    assert shown.iloc[0].tolist() == ["female", "25.1%", "[23.1%, 27.1%]", "< 0.001", "1,500"]
    albanian = T.results_table(result, "sq", headers={"sex": "Gjinia"}, show=("estimate", "ci"))
    assert albanian.columns[2] == "Intervali i besueshmërisë 95%"
    assert albanian.iloc[0, 2] == "[0,23; 0,27]"


def test_html_table_escapes_aligns_and_wraps_long_text():
    display = T.display_table(
        pd.DataFrame({"variable": ["<b>x</b>", "y"], "n": pd.array([3, 4], dtype="Int64")}),
        headers={"variable": "Question text that is long", "n": "n"},
    )
    html = T.show(display)._repr_html_()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>" not in html
    assert '<td style="text-align:right">3</td>' in html
    assert '<th style="text-align:left;white-space:normal">Question text that is long</th>' in html
    long = T.display_table(pd.DataFrame({"q": ["a" * 60]}), headers={"q": "Q"})
    assert "min-width:16em" in T.html_table(long)
    assert T.html_table(display) == T.html_table(display)  # deterministic: no random ids


def test_show_cuts_long_tables_but_keeps_alignment():
    display = T.display_table(
        pd.DataFrame({"n": pd.array(range(50), dtype="Int64")}), headers={"n": "n"}
    )
    shown = T.show(display, max_rows=5)
    assert len(shown.display) == 5
    assert shown.display.attrs["align"] == {"n": "right"}
