"""Reading XLSForm questionnaires: real third-party forms, the project's own forms, and small
bad forms whose problems must be reported at the right sheet, row and column."""

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from evaluation.cli import main
from evaluation.errors import InstrumentError, ParamsError
from evaluation.expressions import ExpressionFrame, compile_expression
from evaluation.instruments import (
    Instrument,
    check_instrument,
    is_fatal,
    normalise_type,
    read_instrument,
)

HERE = Path(__file__).resolve().parent
REAL = HERE / "fixtures" / "real"
PROJECT_FORMS = sorted(
    p
    for p in (HERE.parent / "surveys" / "instruments").glob("*.xlsx")
    if not p.name.startswith("~$")
)

SURVEY_HEADER = ["type", "name", "label::English (en)", "label::Shqip (sq)"]


def write_form(path: Path, survey, choices=None, settings=None, survey_sheet="survey") -> Path:
    """An XLSForm from lists of rows (the first row is the header; [] is a blank row)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = survey_sheet
    for row in survey:
        sheet.append(row)
    for title, rows in (("choices", choices), ("settings", settings)):
        if rows is not None:
            extra = book.create_sheet(title)
            for row in rows:
                extra.append(row)
    book.save(path)
    return path


def rules(problems) -> list[tuple[str, str, int | None, str]]:
    return [(p.rule, p.sheet, p.row, p.column) for p in problems]


# --------------------------------------------------------------------------- real forms
def test_kobo_sample_form_reads_with_messy_names_and_labels():
    form = read_instrument(REAL / "kobo_sample_xlsform.xlsx")
    assert (form.form_id, form.title, form.version) == (
        "koboloadeR",
        "Sample Dataset KoboloadeR",
        "",
    )
    assert form.languages == ("default",)
    assert form.default_language == "default"
    assert form.problems == ()
    names = [q.name for q in form.questions]
    assert names[:3] == ["today", "date", "location"]  # 'today   ' loses its trailing spaces
    assert form.question("today").type == "today"
    assert form.label("sex") == "Sex"  # 'Sex  ' in the sheet
    profile = form.question("profile")
    assert (profile.type, profile.is_group, profile.row) == ("begin group", True, 5)
    reason = form.question("reason")
    assert (reason.type, reason.list_name, reason.group_path) == (
        "select_multiple",
        "reasons",
        ("profile",),
    )
    age = form.question("age")
    assert (age.type, age.group_path, age.repeat_path, age.row) == (
        "integer",
        ("members",),
        ("members",),
        12,
    )
    assert form.question("members").is_repeat
    assert [q.name for q in form.data_questions()] == [
        "today", "date", "location", "country", "occupation", "reason", "HHSize", "age", "sex",
    ]  # fmt: skip
    assert [c.name for c in form.choices("sex")] == ["male", "female"]
    assert form.choice_label("countries", "COL") == "Colombia"


def test_kobo_sample_column_paths_for_every_separator():
    form = read_instrument(REAL / "kobo_sample_xlsform.xlsx")
    assert form.column_paths(".")["reason"] == "profile.reason"  # as in kobo_sample_export.xlsx
    assert form.column_paths("/")["age"] == "members/age"
    assert form.column_paths("-")["HHSize"] == "profile-HHSize"
    assert form.column_paths(None)["HHSize"] == "HHSize"
    assert form.column_paths("")["location"] == "location"
    with pytest.raises(ParamsError, match="separator"):
        form.column_paths("|")


def test_kobo_sample_export_headers_match_the_forms_paths():
    export = openpyxl.load_workbook(REAL / "kobo_sample_export.xlsx", read_only=True)
    header = next(export.worksheets[0].iter_rows(max_row=1, values_only=True))
    paths = read_instrument(REAL / "kobo_sample_xlsform.xlsx").column_paths(".")
    for name in ("location", "country", "occupation", "reason", "HHSize"):
        assert paths[name] in header, name


def test_i18n_form_keeps_numeric_choice_names_and_three_languages():
    form = read_instrument(REAL / "xlsform_i18n_en_fr_choice_filter.xlsx")
    assert form.form_id == "I8n_lang_choicefilter"
    assert form.languages == ("default", "en", "fr")
    assert form.language_names["fr"] == "French (fr)"
    assert form.default_language == "default"
    assert [c.name for c in form.choices("yes_no")] == ["0", "1", "99"]
    assert [c.name for c in form.choices("filter_example")] == ["1", "2", "3", "4"]
    assert form.choice_label("yes_no", "99", "fr") == "peut-être"
    assert form.choice_label("yes_no", 0, "en") == "Yes"
    assert form.choice_label("yes_no", 1.0, "French (fr)") == "Non"
    assert form.choices("yes_no")[0].labels == {"en": "Yes", "fr": "Oui"}
    question = form.question("select_example_filter")
    assert question.choice_filter == "name != 99"
    assert question.labels["fr"].startswith("Il s'agit")
    assert form.label("select_example_filter") == question.labels["default"]
    assert question.hints["en"] == '"maybe" is filtered out'
    assert form.question("a_decimal").constraint == ". <= ${a_integer}"
    assert form.question("calculate").calculation == "${a_integer}+${a_decimal}"
    assert form.question("a_integer").default == "123"
    assert form.question("choice_filter_question_1").group_path == ("choice_filter_example",)
    assert [p.rule for p in form.problems] == ["pyxform_warning"]  # no constraint_message::


def test_label_falls_back_to_the_default_language_and_rejects_unknown_ones():
    form = read_instrument(REAL / "xlsform_i18n_en_fr_choice_filter.xlsx")
    assert form.label("calculate", "fr") == ""  # a calculate has no label in any language
    assert form.label("some_text", "en") == "This is a basic fill in the blank question."
    with pytest.raises(ParamsError, match="no language 'sq'"):
        form.label("some_text", "sq")
    with pytest.raises(InstrumentError, match="did you mean 'some_text'"):
        form.question("some_txt")
    with pytest.raises(InstrumentError, match="no choice '7'"):
        form.choice_label("yes_no", 7)


def test_kobo_json_forms_read_with_translations_and_nested_repeats():
    translated = Instrument.from_kobo_json(REAL / "kobo_formpack_grouped_translated.json")
    assert translated.languages == ("English", "Español")
    assert translated.version == "grouped_translated_v1"
    assert translated.label("What_kind_of_symmetry_do_you_have", "Español").startswith("¿Qué")
    assert translated.question("What_kind_of_symmetry_do_you_have").list_name == "symmetry"
    assert translated.choice_label("fluids", "yes__and_some_", "English").startswith("Yes, and")
    nested = read_instrument(REAL / "kobo_formpack_nested_grouped_repeatable.json")
    egg = nested.question("Describe_the_egg")
    assert egg.repeat_path == ("group_tree", "group_nest", "group_egg")
    assert nested.question("group_egg").repeat_count == "${How_many_eggs_are_in_the_nest}"
    assert nested.column_paths("/")["Describe_the_egg"] == (
        "group_tree/group_nest/group_egg/Describe_the_egg"
    )


def test_an_export_is_not_a_form():
    problems = check_instrument(REAL / "kobo_sample_export.xlsx")
    assert rules(problems) == [("missing_sheet", "survey", None, "")]
    with pytest.raises(InstrumentError, match=r"kobo_sample_export\.xlsx.*no 'survey' sheet"):
        read_instrument(REAL / "kobo_sample_export.xlsx")


# --------------------------------------------------------------------------- project forms
@pytest.mark.skipif(not PROJECT_FORMS, reason="no forms in surveys/instruments/ yet")
@pytest.mark.parametrize("path", PROJECT_FORMS, ids=lambda p: p.name)
def test_project_form_is_usable_and_bilingual(path):
    form = read_instrument(path)
    assert [p for p in form.problems if is_fatal(p)] == []
    assert form.form_id == path.stem
    assert {"en", "sq"} <= set(form.languages)
    assert form.version.isdigit() and len(form.version) == 10, form.version
    for question in form.data_questions():
        if question.labels:
            assert question.labels.get("en") and question.labels.get("sq"), question.name
        if question.is_select and question.type not in ("select_one_from_file",):
            for choice in form.choices(question.list_name):
                assert choice.labels.get("en") and choice.labels.get("sq"), choice.name
    paths = form.column_paths("/")
    assert len(set(paths.values())) == len(paths)


@pytest.mark.skipif(not PROJECT_FORMS, reason="no forms in surveys/instruments/ yet")
@pytest.mark.parametrize("path", PROJECT_FORMS, ids=lambda p: p.name)
def test_project_form_marks_personal_data(path):
    form = read_instrument(path)
    marks = form.personal_fields()
    assert marks, "every project form holds something personal or linking"
    assert set(marks.values()) <= {"direct", "linking", "free_text"}
    assert all(form.question(key).produces_data for key in marks)


# --------------------------------------------------------------------------- bad forms
def test_missing_survey_sheet(tmp_path):
    path = write_form(tmp_path / "f.xlsx", [["type", "name"], ["text", "q"]], survey_sheet="Qs")
    path_choices = write_form(
        tmp_path / "g.xlsx", [["type", "name"]], choices=[["list_name", "name"]], survey_sheet="x"
    )
    assert rules(check_instrument(path_choices)) == [("missing_sheet", "survey", None, "")]
    with pytest.raises(InstrumentError, match=r"f\.xlsx.*'survey' sheet.*'Qs'") as caught:
        read_instrument(path)
    assert caught.value.problems[0].rule == "missing_sheet"


def test_unknown_list_and_select_without_list(tmp_path):
    path = write_form(
        tmp_path / "f.xlsx",
        [
            SURVEY_HEADER,
            ["select_one colour", "fav", "Favourite", "E preferuar"],
            [],
            ["select_one", "other", "Other", "Tjetër"],
        ],
        choices=[["list_name", "name", "label::English (en)"], ["color", "red", "Red"]],
    )
    problems = check_instrument(path)
    assert rules(problems) == [
        ("unknown_list", "survey", 2, "type"),
        ("select_without_list", "survey", 4, "type"),
    ]
    assert "did you mean 'color'" in problems[0].message
    assert problems[0].found == "colour"


def test_duplicate_and_invalid_names(tmp_path):
    path = write_form(
        tmp_path / "f.xlsx",
        [
            SURVEY_HEADER,
            ["text", "q1", "A", "A"],
            ["integer", "q1", "B", "B"],
            ["text", "my question", "C", "C"],
            ["begin group", "g", "G", "G"],
            ["text", "q1", "D", "D"],
            ["end group", None, None, None],
            ["integer", "2nd", "E", "E"],
        ],
    )
    problems = check_instrument(path)
    assert rules(problems) == [
        ("duplicate_name", "survey", 3, "name"),
        ("invalid_name", "survey", 4, "name"),
        ("ambiguous_name", "survey", 6, "name"),
        ("invalid_name", "survey", 8, "name"),
    ]
    assert "first on row 2" in problems[0].message
    assert not is_fatal(problems[2])


def test_same_name_in_two_groups_is_usable_and_keyed_by_path(tmp_path):
    path = write_form(
        tmp_path / "f.xlsx",
        [
            SURVEY_HEADER,
            ["begin_group", "a", "A", "A"],
            ["text", "x", "X", "X"],
            ["end_group", None, None, None],
            ["begin_group", "b", "B", "B"],
            ["text", "x", "X", "X"],
            ["end_group", None, None, None],
        ],
    )
    form = read_instrument(path)
    assert [p.rule for p in form.problems] == ["ambiguous_name"]
    assert form.column_paths("-") == {"a/x": "a-x", "b/x": "b-x"}
    assert form.question("b/x").row == 6


def test_bad_and_unsupported_expressions_and_references(tmp_path):
    header = [*SURVEY_HEADER, "constraint", "relevant", "calculation"]
    path = write_form(
        tmp_path / "f.xlsx",
        [
            header,
            ["integer", "age", "Age", "Mosha", ". >= * 5", None, None],
            [],
            ["text", "name", "Name", "Emri", None, "${agee} > 3", None],
            ["calculate", "c", None, None, None, None, "pulldata('f', 'a', 'b', ${age})"],
            ["text", "t", "Your age: ${ag}", "Mosha", None, None, None],
        ],
    )
    problems = check_instrument(path)
    assert rules(problems) == [
        ("bad_expression", "survey", 2, "constraint"),
        ("unknown_reference", "survey", 4, "relevant"),
        ("unsupported_expression", "survey", 5, "calculation"),
        ("unknown_reference", "survey", 6, "label::English (en)"),
    ]
    assert "found '*' at character 6" in problems[0].message
    assert problems[0].found == ". >= * 5"
    assert "did you mean 'age'" in problems[1].message
    assert not is_fatal(problems[2])


def test_personal_data_values(tmp_path):
    header = [*SURVEY_HEADER, "personal_data"]
    marked_rows = [
        ["text", "name", "Name", "Emri", "direct"],
        ["text", "code", "Code", "Kodi", "Linking"],
        ["text", "story", "Story", "Historia", "free text"],
        ["text", "phone", "Phone", "Telefoni", "yes"],
        ["geopoint", "gps", "GPS", "GPS", None],
        ["integer", "age", "Age", "Mosha", None],
    ]
    path = write_form(tmp_path / "f.xlsx", [header, *marked_rows])
    problems = check_instrument(path)
    assert rules(problems) == [
        ("personal_data_value", "survey", 5, "personal_data"),
        ("unmarked_personal", "survey", 6, "personal_data"),
    ]
    assert "'direct', 'linking', 'free_text'" in problems[0].message
    with pytest.raises(InstrumentError, match="personal_data 'yes'"):
        read_instrument(path)
    fixed = write_form(tmp_path / "g.xlsx", [header, *marked_rows[:3]])
    assert read_instrument(fixed).personal_fields() == {
        "name": "direct",
        "code": "linking",
        "story": "free_text",
    }


def test_unbalanced_groups(tmp_path):
    path = write_form(
        tmp_path / "f.xlsx",
        [
            SURVEY_HEADER,
            ["end group", None, None, None],
            ["begin repeat", "r", "R", "R"],
            ["text", "x", "X", "X"],
            ["end group", None, None, None],
            ["begin group", "g", "G", "G"],
        ],
    )
    assert rules(check_instrument(path)) == [
        ("unbalanced_group", "survey", 2, "type"),
        ("unbalanced_group", "survey", 5, "type"),
        ("unbalanced_group", "survey", 6, "type"),
    ]


def test_choices_sheet_problems(tmp_path):
    path = write_form(
        tmp_path / "f.xlsx",
        [SURVEY_HEADER, ["select_multiple yn", "q", "Q", "Q"]],
        choices=[
            ["list_name", "name", "label::English (en)", "label::Shqip (sq)"],
            ["yn", "yes", "Yes", "Po"],
            ["yn", "yes", "Yes again", "Po"],
            ["yn", None, "No name", "Pa emër"],
            ["yn", "not sure", "Not sure", "Nuk e di"],
        ],
    )
    assert rules(check_instrument(path)) == [
        ("duplicate_choice", "choices", 3, "name"),
        ("missing_name", "choices", 4, "name"),
        ("choice_name_space", "choices", 5, "name"),
    ]


def test_missing_columns_and_types(tmp_path):
    no_name = write_form(tmp_path / "f.xlsx", [["type", "label"], ["text", "Q"]])
    assert rules(check_instrument(no_name)) == [("missing_column", "survey", 1, "name")]
    no_type = write_form(tmp_path / "g.xlsx", [["type", "name", "label"], [None, "q", "Q"]])
    assert rules(check_instrument(no_type)) == [("missing_type", "survey", 2, "type")]


def test_unknown_type_is_a_warning_kept_as_written(tmp_path):
    path = write_form(
        tmp_path / "f.xlsx",
        [SURVEY_HEADER, ["text audit", "ta", "TA", "TA"], ["text", "x", "X", "X"]],
    )
    problems = check_instrument(path, convert=False)
    assert rules(problems) == [("unknown_type", "survey", 2, "type")]
    assert read_instrument(path, convert=False).question("ta").type == "text audit"


def test_pyxform_errors_are_reported_with_their_row(tmp_path):
    path = write_form(
        tmp_path / "f.xlsx",
        [["type", "name", "label"], ["text", "x", "X"], ["calculate", "c", None]],
    )
    problems = check_instrument(path)
    assert rules(problems) == [("pyxform", "survey", 3, "")]
    assert "Missing calculation" in problems[0].message
    unlabelled = write_form(tmp_path / "g.xlsx", [["type", "name", "label"], ["text", "y", None]])
    assert rules(check_instrument(unlabelled)) == [("pyxform", "survey", 2, "")]


def test_csv_form_rows_are_line_numbers(tmp_path):
    path = tmp_path / "form.csv"
    path.write_text(
        "survey,type,name,label\n"
        ",text,a,A\n"
        ",,,\n"
        ",select_one nope,b,B\n"
        "choices,list_name,name,label\n"
        ",yn,1,Yes\n"
        ",yn,1,Yes again\n",
        encoding="utf-8",
    )
    assert rules(check_instrument(path)) == [
        ("unknown_list", "survey", 4, "type"),
        ("duplicate_choice", "choices", 7, "name"),
    ]


def test_csv_form_reads(tmp_path):
    path = tmp_path / "form.csv"
    path.write_text(
        "survey,type,name,label,required\n"
        ",select_one yn,q,Q?,TRUE\n"
        "choices,list_name,name,label\n"
        ",yn,1,Yes\n"
        ",yn,0,No\n"
        "settings,form_id,version\n"
        ",csv_form,2024010101\n",
        encoding="utf-8",
    )
    form = read_instrument(path)
    assert (form.form_id, form.version) == ("csv_form", "2024010101")
    assert form.question("q").required
    assert form.choice_label("yn", 1.0) == "Yes"


def test_sheet_name_case_and_legacy_headers(tmp_path):
    header = [
        "Type",
        "Name",
        "label:English",
        "label:Shqip (sq)",
        "constraint message",
        "Relevance",
    ]
    path = write_form(
        tmp_path / "f.xlsx",
        [header, ["integer", "age", "Age", "Mosha", "Too old", "1 = 1"]],
        settings=[["set form id", "form_title", "default_language"], ["legacy", "L", "Shqip (sq)"]],
        survey_sheet="Survey",
    )
    form = read_instrument(path)
    assert "sheet_name_case" in [p.rule for p in form.problems]
    age = form.question("age")
    assert age.labels == {"English": "Age", "sq": "Mosha"}
    assert (age.constraint_messages, age.relevant) == ({"sq": "Too old"}, "1 = 1")
    assert (form.form_id, form.title, form.default_language) == ("legacy", "L", "sq")
    assert form.languages == ("English", "sq")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("select_one yes_no", ("select_one", "yes_no", False)),
        ("select one from yes_no", ("select_one", "yes_no", False)),
        ("select_one  fruits  or_other", ("select_one", "fruits", True)),
        ("select all that apply from reasons", ("select_multiple", "reasons", False)),
        ("select_multiple reasons or specify other", ("select_multiple", "reasons", True)),
        ("select_one_from_file schools.csv", ("select_one_from_file", "schools.csv", False)),
        ("rank priorities", ("rank", "priorities", False)),
        ("begin_group", ("begin group", "", False)),
        ("Begin Group", ("begin group", "", False)),
        ("end_repeat", ("end repeat", "", False)),
        ("begin looped group", ("begin repeat", "", False)),
        ("string", ("text", "", False)),
        ("imei", ("deviceid", "", False)),
        ("datetime", ("dateTime", "", False)),
        ("photo", ("image", "", False)),
        ("gps", ("geopoint", "", False)),
        ("Integer", ("integer", "", False)),
        ("text  audit", ("text audit", "", False)),
    ],
)
def test_normalise_type(cell, expected):
    assert normalise_type(cell) == expected


@pytest.mark.parametrize(
    ("cell", "required", "required_if"),
    [
        ("yes", True, ""),
        ("TRUE", True, ""),
        ("true()", True, ""),
        ("Yes", True, ""),
        ("no", False, ""),
        ("FALSE", False, ""),
        (None, False, ""),
        ("${age} > 15", False, "${age} > 15"),
    ],
)
def test_required_column(tmp_path, cell, required, required_if):
    path = write_form(
        tmp_path / "f.xlsx",
        [
            [*SURVEY_HEADER, "required"],
            ["integer", "age", "Age", "Mosha", None],
            ["text", "x", "X", "X", cell],
        ],
    )
    question = read_instrument(path).question("x")
    assert (question.required, question.required_if) == (required, required_if)


def test_instrument_is_read_only():
    form = read_instrument(REAL / "kobo_sample_xlsform.xlsx")
    with pytest.raises(AttributeError):
        form.form_id = "x"
    with pytest.raises(TypeError):
        form.question("sex").labels["default"] = "x"


def test_missing_file_is_an_instrument_error(tmp_path):
    with pytest.raises(InstrumentError, match="does not exist"):
        read_instrument(tmp_path / "nope.xlsx")
    garbage = tmp_path / "broken.xlsx"
    garbage.write_bytes(b"PK\x03\x04 not really a zip")
    assert [p.rule for p in check_instrument(garbage)] == ["unreadable"]


# --------------------------------------------------------------------------- command line
def test_cli_check_prints_a_summary_for_a_usable_form(capsys):
    assert main(["instrument", "check", str(REAL / "xlsform_i18n_en_fr_choice_filter.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "usable (0 errors, 1 warning)" in out
    assert "form id    I8n_lang_choicefilter" in out
    assert "en (English (en)), fr (French (fr))" in out
    assert "select_one 2" in out
    assert "groups     choice_filter_example" in out


def test_cli_check_lists_every_problem_and_exits_1(tmp_path, capsys):
    path = write_form(
        tmp_path / "bad.xlsx",
        [SURVEY_HEADER, ["select_one nope", "q", "Q", "Q"], ["integer", "q", "Q", "Q"]],
    )
    assert main(["instrument", "check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "bad.xlsx: NOT usable (2 errors, 0 warnings)" in out
    assert "error   sheet 'survey', row 2, column 'type': 'q' uses choice list 'nope'" in out
    assert "error   sheet 'survey', row 3, column 'name'" in out


def test_cli_check_missing_file_is_one_line(tmp_path, capsys):
    assert main(["instrument", "check", str(tmp_path / "none.xlsx")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not exist" in err


def random_answers(form: Instrument, rows: int, seed: int) -> pd.DataFrame:
    """Plausible random answers (and gaps) for every data question of a form."""
    rng = np.random.default_rng(seed)
    columns = {}
    for q in form.data_questions():
        if q.type in ("select_one", "select_multiple"):
            names = [c.name for c in form.choices(q.list_name)]
            picks = [
                " ".join(rng.choice(names, rng.integers(1, 3), replace=False))
                if q.type == "select_multiple"
                else str(rng.choice(names))
                for _ in range(rows)
            ]
            values = np.array(picks, dtype=object)
        elif q.type in ("integer", "decimal"):
            values = rng.integers(-1, 40, rows).astype(float)
        elif q.type in ("date", "today"):
            values = np.array([f"2024-0{m}-1{d}" for m, d in rng.integers(1, 9, (rows, 2))])
        elif q.type in ("start", "end", "dateTime"):
            values = np.array([f"2024-03-0{d}T10:1{d}:00+01:00" for d in rng.integers(1, 9, rows)])
        else:
            values = rng.choice(np.array(["a", "AB12", "", "x y"], dtype=object), rows)
        values = values.astype(object)
        values[rng.random(rows) < 0.2] = None
        columns[q.key] = values
    return pd.DataFrame(columns)


@pytest.mark.skipif(not PROJECT_FORMS, reason="no forms in surveys/instruments/ yet")
@pytest.mark.parametrize("path", PROJECT_FORMS, ids=lambda p: p.name)
def test_every_expression_of_a_project_form_evaluates(path):
    form = read_instrument(path, convert=False)
    data = random_answers(form, rows=40, seed=3)
    frame = ExpressionFrame(data, today=dt.date(2024, 6, 1))
    rows = data.to_dict("records")
    checked = 0
    for q in form.questions:
        for text, current in ((q.relevant, None), (q.constraint, q.key), (q.calculation, None)):
            if not text:
                continue
            expression = compile_expression(text)
            holds = expression.holds(frame, current)
            for i in (0, 7, 19):
                row_holds = expression.holds_row(rows[i], current, today=dt.date(2024, 6, 1))
                assert holds[i] == row_holds, (q.name, text, rows[i])
            checked += 1
    assert checked > 0
