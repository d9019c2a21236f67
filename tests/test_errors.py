"""Error records and message helpers in evaluation.errors."""

from evaluation.errors import DataError, Problem, did_you_mean, format_values


def test_problem_says_where_and_what():
    problem = Problem(
        file="a.csv",
        row=3,
        column="age",
        found="99",
        rule="constraint",
        message="age must be 10-20",
    )
    assert str(problem) == "a.csv, row 3, column 'age': age must be 10-20"


def test_format_values_limits_and_counts_the_rest():
    assert format_values(range(7), limit=3) == "0, 1, 2 and 4 more"
    assert format_values(["a"]) == "'a'"


def test_did_you_mean_suggests_the_closest_name():
    assert did_you_mean("clustr", ["cluster", "level"]) == " (did you mean 'cluster'?)"
    assert did_you_mean("zzz", ["cluster"]) == ""


def test_one_line_joins_multiline_messages():
    assert DataError("a\n  b").one_line() == "a b"
