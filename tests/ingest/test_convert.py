"""One file → typed rows: types of the contract, select_multiple columns, metadata, markers."""

import pandas as pd

from .conftest import MINI_HEADER, mini_row, run_mini


def test_columns_have_the_contract_types(tmp_path):
    clean, _, _ = run_mini(
        tmp_path, [mini_row("u1"), mini_row("u2", sex="male", reasons="work school", flags="1,1,0")]
    )
    assert str(clean["age"].dtype) == "Int64"
    assert isinstance(clean["sex"].dtype, pd.CategoricalDtype)
    assert clean["sex"].cat.categories.tolist() == ["female", "male"]
    assert clean["assent"].cat.categories.tolist() == ["yes", "no"]
    assert str(clean["reasons"].dtype) == "string"
    assert [str(clean[f"reasons__{c}"].dtype) for c in ("work", "school", "other")] == [
        "boolean"
    ] * 3
    assert clean["reasons__school"].tolist() == [False, True]
    assert clean["visit"].dtype == "datetime64[ns]"
    assert str(clean["start"].dtype) == "datetime64[ns, UTC]"
    assert clean["start"].iloc[0] == pd.Timestamp("2024-03-01T09:00", tz="UTC")


def test_metadata_columns(tmp_path):
    clean, _, _ = run_mini(tmp_path, [mini_row("u1"), mini_row("")])
    assert clean["_submission_id"].tolist() == ["u1", "mini.csv#3"]  # no id: file#line
    assert clean["_source_file"].tolist() == ["mini.csv", "mini.csv"]
    assert clean["_source_row"].tolist() == [2, 3]
    assert clean["_duration_min"].tolist() == [20.0, 20.0]
    assert clean["_flags"].tolist() == ["", ""]
    assert clean["_enumerator"].isna().all()
    assert clean["_submitted_at"].isna().all()


def test_choice_flags_without_the_answer_column_build_the_answer(tmp_path):
    header = MINI_HEADER.replace("g/reasons,", "")
    line = mini_row("u1", reasons="", flags="1,0,1").replace(",,1,0,1", ",1,0,1", 1)
    clean, quarantine, _ = run_mini(tmp_path, [line], header=header)
    assert quarantine.empty
    assert clean["reasons"].tolist() == ["work other"]
    assert clean["reasons__other"].tolist() == [True]


def test_choice_flags_that_disagree_with_the_answer_are_a_choice_problem(tmp_path):
    clean, quarantine, _ = run_mini(tmp_path, [mini_row("u1", reasons="work", flags="0,1,0")])
    assert clean.empty
    assert quarantine[["column", "rule"]].values.tolist() == [["reasons", "choice"]]


def test_unknown_codes_and_bad_numbers(tmp_path):
    _, quarantine, log = run_mini(
        tmp_path,
        [
            mini_row("u1", sex="other"),
            mini_row("u2", age="15 years"),
            mini_row("u3", reasons="work moon", flags=",,"),
        ],
    )
    assert quarantine[["row", "column", "value", "rule"]].values.tolist() == [
        ["2", "sex", "other", "choice"],
        ["3", "age", "15 years", "type"],
        ["4", "reasons", "moon", "choice"],
    ]
    assert log["files"][0]["rules"] == {"choice": 2, "type": 1}


def test_stray_spaces_and_case_are_normalised_with_a_note(tmp_path):
    clean, quarantine, log = run_mini(tmp_path, [mini_row("u1", sex=" FEMALE ", age=" 15")])
    assert quarantine.empty
    assert clean["sex"].tolist() == ["female"] and clean["age"].tolist() == [15]
    notes = " ".join(log["files"][0]["notes"])
    assert "'sex': spaces around answers removed" in notes
    assert "'sex': answers matched ignoring case and extra spaces" in notes


def test_missing_markers_global_and_per_question(tmp_path):
    lines = [mini_row("u1", age="999"), mini_row("u2", visit="NA"), mini_row("u3", age="16")]
    clean, quarantine, log = run_mini(tmp_path, lines, missing_values=["NA"])
    # 999 is an answer unless the config says otherwise: here it breaks the constraint
    assert quarantine["rule"].tolist() == ["constraint"]
    assert log["files"][0]["missing_values"]["NA"] == 1
    assert clean["visit"].isna().sum() == 1


def test_a_stata_file_with_value_labels_and_extended_missing_values(tmp_path, mini_form):
    import pyreadstat

    from evaluation.ingest import ingest_files
    from evaluation.privacy import load_key

    frame = pd.DataFrame(
        {
            "assent": [1.0, 1.0, 1.0],
            "age": [15.0, 16.0, "a"],
            "sex": [1.0, 2.0, 1.0],
            "reasons": ["work", "school other", ""],
            "_uuid": ["a", "b", "c"],
        }
    )
    labels = {"sex": {1: "Female", 2: "Male"}, "assent": {1: "Yes", 2: "No"}}
    path = tmp_path / "firm.dta"
    pyreadstat.write_dta(
        frame, path, variable_value_labels=labels, missing_user_values={"age": ["a"]}
    )
    result = ingest_files(mini_form, [path], tmp_path / "out", key=load_key("demo"))
    clean = pd.read_parquet(tmp_path / "out" / "mini.parquet")
    assert result.log["files"][0]["format"] == "stata"
    assert clean["sex"].tolist() == ["female", "male"]
    assert clean["age"].tolist() == [15, 16]
    assert clean["reasons__school"].tolist() == [False, True]
    quarantine = pd.read_csv(tmp_path / "out" / "quarantine.csv")
    assert quarantine[["column", "rule"]].values.tolist() == [["age", "required"]]
    assert result.log["files"][0]["missing_values"][".a"] == 1
