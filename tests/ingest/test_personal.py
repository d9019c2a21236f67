"""Personal data never reaches clean data or quarantine; linking codes become pseudonyms."""

import pandas as pd
import pytest

from evaluation.errors import ParamsError, PrivacyError
from evaluation.ingest.config import TableConfig
from evaluation.ingest.personal import protect
from evaluation.instruments import read_instrument
from evaluation.privacy import Pseudonymiser, load_key, pseudonymise, scan_for_values

from .conftest import MINI_HEADER, make_form, mini_row, run_mini

PHONE = "068 242 0549"


@pytest.fixture
def form(tmp_path):
    return read_instrument(make_form(tmp_path / "f.xlsx"), convert=False)


def _demo():
    return Pseudonymiser(load_key("demo"))


def test_marked_fields_are_dropped_or_pseudonymised(tmp_path):
    clean, _, log = run_mini(tmp_path, [mini_row("u1", comment=f"Call me on {PHONE}")])
    assert "name" not in clean and "comment" not in clean
    expected = pseudonymise(["AB12"], load_key("demo")).iloc[0]
    assert clean["code"].tolist() == [expected]
    assert str(clean["code"].dtype) == "string"
    assert log["privacy"]["dropped"] == ["comment", "name"]
    assert log["privacy"]["pseudonymised"] == ["code"]
    assert log["key_fingerprint"] == load_key("demo").fingerprint
    assert scan_for_values(tmp_path / "out", ["Arben Hoxha", PHONE, "AB12"]).empty


def test_allowed_free_text_is_scrubbed_of_names_and_phones(form):
    data = pd.DataFrame(
        {
            "name": pd.array(["Arben Hoxha"], dtype="string"),
            "comment": pd.array([f"Arbeni said: call {PHONE}"], dtype="string"),
        }
    )
    table = TableConfig(name="t", instrument="f", files=("x",), free_text_allowed=("comment",))
    protected = protect(data, form, table, _demo)
    assert protected.scrubbed == ["comment"] and protected.dropped == ["name"]
    assert protected.data["comment"].tolist() == ["[name] said: call [phone]"]


def test_unmarked_columns_that_look_personal_are_dropped_unless_kept(tmp_path):
    survey = [
        ("text", "contact", "Contact", "", "", "", "", ""),
        ("text", "place", "Place", "", "", "", "", ""),
    ]
    form = read_instrument(make_form(tmp_path / "g.xlsx", survey, []), convert=False)
    data = pd.DataFrame(
        {
            "contact": pd.array(["0682420549", "0691234567"], dtype="string"),
            "place": pd.array(["Arben Hoxha", "Drita Kola"], dtype="string"),
        }
    )
    table = TableConfig(name="t", instrument="f", files=("x",))
    assert set(protect(data, form, table, _demo).dropped) == {"contact", "place"}
    kept = TableConfig(name="t", instrument="f", files=("x",), keep=("place",))
    assert protect(data, form, kept, _demo).dropped == ["contact"]


def test_the_config_cannot_keep_a_marked_field(form):
    table = TableConfig(name="t", instrument="f", files=("x",), keep=("name",))
    data = pd.DataFrame({"name": pd.array(["Arben Hoxha"], dtype="string")})
    with pytest.raises(PrivacyError, match="marked personal_data=direct"):
        protect(data, form, table, _demo)


def test_personal_values_in_quarantine_are_redacted(tmp_path):
    lines = [mini_row("u1", code="AB12", age="abc")]
    _, quarantine, _ = run_mini(tmp_path, lines)
    assert quarantine["column"].tolist() == ["age"]
    assert scan_for_values(tmp_path / "out", ["Arben Hoxha", "AB12"]).empty


def test_a_linking_column_without_a_key_is_a_privacy_error(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("WORKBENCH_PSEUDONYM_KEY_FILE", raising=False)
    with pytest.raises(PrivacyError, match="no pseudonymisation key"):
        run_mini(tmp_path, [mini_row("u1")], key=None)
    assert not (tmp_path / "out").exists()


def test_no_key_is_needed_without_a_linking_column(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("WORKBENCH_PSEUDONYM_KEY_FILE", raising=False)
    header = MINI_HEADER.replace(",g/code", "")
    line = mini_row("u1").replace(",AB12,", ",", 1)
    clean, _, log = run_mini(tmp_path, [line], header=header, key=None)
    assert log["key_fingerprint"] is None and len(clean) == 1


def test_free_text_allowance_must_name_a_question(form):
    table = TableConfig(name="t", instrument="f", files=("x",), free_text_allowed=("coment",))
    with pytest.raises(ParamsError, match="did you mean 'comment'"):
        protect(pd.DataFrame({"age": [1]}), form, table, _demo)
