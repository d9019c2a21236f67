"""evaluation.validation: small checks shared by the readers, ingestion and reports."""

import pytest

from evaluation.validation import is_number


@pytest.mark.parametrize("text", ["1", " -2.5 ", "1e3", "nan", "inf", "0.0"])
def test_numbers(text):
    assert is_number(text)


@pytest.mark.parametrize("text", ["yes", "", "1,5", "2022-01-01", "n/a"])
def test_not_numbers(text):
    assert not is_number(text)
