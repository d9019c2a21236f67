"""Select answers: codes, labels in any language, stray spaces and case, SPSS value labels."""

import pandas as pd
import pytest

from evaluation.ingest.choices import ChoiceBook, resolve_multiple, resolve_one
from evaluation.instruments import read_instrument

from .conftest import INSTRUMENTS, make_form


@pytest.fixture(scope="module")
def book():
    return ChoiceBook(read_instrument(INSTRUMENTS / "youth_survey.xlsx", convert=False))


def _text(*values):
    return pd.Series(list(values), dtype=object)


def test_codes_labels_in_both_languages_and_loose_spelling(book):
    resolved = resolve_one(
        _text("female", "Male", "Femër", "FEMALE", " prefer  not to say", "x"), book("sex")
    )
    assert resolved.codes.tolist() == ["female", "male", "female", "female", "prefer_not", None]
    assert resolved.bad.tolist() == [False] * 5 + [True]
    assert resolved.how == {"label": 2, "normalised": 2}


def test_labels_differing_only_in_punctuation_stay_apart(book):
    lookup = book("agree4")  # 'NO!' / 'no' / 'yes' / 'YES!'
    assert lookup.resolve("no") == ("2", "label")
    assert lookup.resolve("NO!") == ("1", "label")
    assert lookup.resolve("No") == ("2", "normalised")


def test_a_label_shared_by_two_choices_is_not_used(tmp_path):
    survey = [("select_one l", "q", "Q", "", "", "", "", "")]
    choices = [("l", "a", "Same"), ("l", "b", "Same"), ("l", "c", "Other")]
    form = read_instrument(make_form(tmp_path / "f.xlsx", survey, choices), convert=False)
    lookup = ChoiceBook(form)("l")
    assert lookup.resolve("Same") == (None, "")
    assert lookup.resolve("Other") == ("c", "label")


def test_yes_no_lists_accept_true_false(book):
    resolved = resolve_one(_text("TRUE", "0", "Po"), book("yes_no"))
    assert resolved.codes.tolist() == ["yes", "no", "yes"]


def test_spss_value_labels_map_numbers_back_to_codes(book):
    labels = {"1": "Female", "2": "Male", "3": "Prefer not to say", "4": "Other"}
    resolved = resolve_one(_text("1", "2", "3", "4"), book("sex"), labels)
    assert resolved.codes.tolist() == ["female", "male", "prefer_not", None]
    assert resolved.unmatched_labels == ["Other"]


def test_numeric_codes_keep_their_meaning_through_labels(book):
    labels = {"1": "No difficulty", "4": "Cannot do at all"}
    assert resolve_one(_text("1", "4"), book("wg4"), labels).codes.tolist() == ["1", "4"]


def test_select_multiple_normalises_and_rejects_unknown_codes(book):
    resolved, matrix = resolve_multiple(
        _text("school street", "STREET  school school", "home moon"), book("where_hurt")
    )
    assert resolved.codes.tolist() == ["school street", "street school", None]
    assert resolved.bad.tolist() == [False, False, True]
    assert matrix[:2].tolist() == [[True, True, False, False], [True, True, False, False]]
