"""Strict params: layered loading, schema validation and the messages a user sees."""

import datetime as dt
import json

import pytest

from evaluation import params as P
from evaluation.errors import ParamsError
from evaluation.params import Field, check_params, load_params


@pytest.fixture
def root(tmp_path):
    (tmp_path / "params").mkdir()
    return tmp_path


@pytest.fixture
def baseline_keys(monkeypatch):
    """Baseline declares a few keys of its own, as its owner will in REPORT_KEYS."""
    keys = {
        "cluster": Field("str", default="school", help="clustering variable"),
        "level": Field("float", default=0.95, minimum=0.5, maximum=0.999, help="CI level"),
        "outcomes": Field(
            "mapping",
            keys={
                "primary": Field("list", items=Field("str"), default=("srd_any",)),
                "secondary": Field("list", items=Field("str"), default=()),
            },
            help="outcome families",
        ),
        "targets": Field("mapping", values=Field("float"), default={}, help="per indicator"),
        "survey_date": Field("date", help="first day of fieldwork"),
    }
    monkeypatch.setitem(P.REPORT_KEYS, "baseline", keys)
    return keys


def write(root, name, text):
    path = root / "params" / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(call, *args, **kwargs) -> str:
    with pytest.raises(ParamsError) as info:
        call(*args, **kwargs)
    return str(info.value)


# --------------------------------------------------------------------------- unknown keys
def test_unknown_key_names_file_suggests_and_lists_valid_keys(root, baseline_keys):
    path = write(root, "baseline.yaml", "report: baseline\nclustr: school\n")
    message = error_of(load_params, "baseline", path, root=root)
    valid = ", ".join(sorted([*P.COMMON_KEYS, *baseline_keys]))
    assert message == (
        f"params/baseline.yaml: unknown key 'clustr' (did you mean 'cluster'?). Valid keys: {valid}"
    )


def test_unknown_nested_key_names_its_parent(root, baseline_keys):
    path = write(root, "b.yaml", "outcomes:\n  primry: [srd_any]\n")
    message = error_of(load_params, "baseline", path, root=root)
    assert "unknown key 'outcomes.primry' (did you mean 'primary'?)" in message
    assert "Valid keys under 'outcomes': primary, secondary" in message


def test_unknown_key_without_close_match_has_no_suggestion(root):
    path = write(root, "q.yaml", "colour: blue\n")
    message = error_of(load_params, "quality", path, root=root)
    assert "unknown key 'colour'. Valid keys:" in message
    assert "did you mean" not in message


def test_every_problem_is_reported_at_once(root):
    path = write(root, "q.yaml", "seed: abc\nlanguage: fr\nlanguag: sq\n")
    message = error_of(load_params, "quality", path, root=root)
    assert "key 'seed'" in message
    assert "key 'language'" in message
    assert "unknown key 'languag' (did you mean 'language'?)" in message
    assert message.index("Valid keys") > message.index("key 'seed'")


# --------------------------------------------------------------------------- types and values
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("seed: abc", "key 'seed': expected a whole number, found 'abc' (text)"),
        ("seed: true", "key 'seed': expected a whole number, found true (true/false)"),
        ("seed: 1.5", "key 'seed': expected a whole number, found 1.5 (a number)"),
        ("min_cell_size: 0", "key 'min_cell_size': 0 is below the minimum 1"),
        ("language: fr", "key 'language': 'fr' is not one of en, sq"),
        ("language: EN", "key 'language': 'EN' is not one of en, sq (did you mean 'en'?)"),
        ("run_label: 2026", "key 'run_label': expected text, found 2026 (a number); put it in"),
        ("formats: html", "key 'formats': expected a list, found 'html' (text); write it as"),
        ("formats: [html, pdf]", "key 'formats[1]': 'pdf' is not one of html, workbook"),
        ("languages: [en, en]", "key 'languages': 'en' listed more than once"),
        ("period: 2026-13", "key 'period': expected a period YYYY-MM, found '2026-13' (text)"),
        ("period: 2026-10-01", "found 2026-10-01 (a date); write the month only: 2026-10"),
        ("dataset: [a, b]", "key 'dataset': expected text, found a list"),
    ],
)
def test_wrong_type_or_value_names_key_and_file(root, line, expected):
    path = write(root, "quality.yaml", line + "\n")
    message = error_of(load_params, "quality", path, root=root)
    assert message.startswith("params/quality.yaml: ")
    assert expected in message


def test_float_bounds(root, baseline_keys):
    message = error_of(load_params, "baseline", write(root, "a.yaml", "level: 1.5\n"), root=root)
    assert "key 'level': 1.5 is above the maximum 0.999" in message
    loaded = load_params("baseline", write(root, "a.yaml", "level: 0.9\n"), root=root)
    assert loaded["level"] == 0.9


def test_date_kind_accepts_yaml_dates_and_rejects_impossible_ones(root, baseline_keys):
    loaded = load_params("baseline", write(root, "a.yaml", "survey_date: 2026-03-02\n"), root=root)
    assert loaded["survey_date"] == "2026-03-02"
    message = error_of(
        load_params, "baseline", write(root, "a.yaml", "survey_date: '2026-02-30'\n")
    )
    assert "'2026-02-30' is not a calendar date" in message


def test_free_key_mapping_checks_each_value(root, baseline_keys):
    ok = load_params("baseline", write(root, "a.yaml", "targets: {IMP1: 0.2, OC1: 3}\n"))
    assert ok["targets"] == {"IMP1": 0.2, "OC1": 3.0}
    message = error_of(load_params, "baseline", write(root, "a.yaml", "targets: {IMP1: high}\n"))
    assert "key 'targets.IMP1': expected a number, found 'high' (text)" in message


def test_report_key_must_match_the_report_being_run(root):
    path = write(root, "quality.yaml", "report: endline\n")
    message = error_of(load_params, "quality", path, root=root)
    assert "report 'endline' does not match the report being run ('quality')" in message
    assert "workbench run endline" in message


def test_required_key_missing(root, monkeypatch):
    monkeypatch.setitem(
        P.REPORT_KEYS, "monitoring", {"unit": Field("str", required=True, help="municipal unit")}
    )
    message = error_of(load_params, "monitoring", write(root, "m.yaml", "seed: 3\n"), root=root)
    assert message == "params/m.yaml: missing required key 'unit' (text: municipal unit)"
    loaded = load_params("monitoring", None, {"unit": "Elbasan"})
    assert loaded["unit"] == "Elbasan"


# --------------------------------------------------------------------------- defaults and layers
def test_defaults_fill_every_common_key():
    loaded = load_params("quality")
    common = {key: value for key, value in loaded.items() if key in P.COMMON_KEYS}
    assert common == {
        "report": "quality",
        "dataset": "demo",
        "language": "en",
        "languages": None,
        "period": None,
        "run_label": "",
        "seed": 20220203,
        "min_cell_size": 10,
        "formats": ["html", "workbook"],
    }


def test_nested_defaults_are_filled_and_file_values_merge_into_them(root, baseline_keys):
    loaded = load_params("baseline")
    assert loaded["outcomes"] == {"primary": ["srd_any"], "secondary": []}
    path = write(root, "b.yaml", "outcomes:\n  secondary: [truancy]\n")
    merged = load_params("baseline", path, {"outcomes": {"primary": ["cannabis_30d"]}})
    assert merged["outcomes"] == {"primary": ["cannabis_30d"], "secondary": ["truancy"]}


def test_overrides_win_over_the_file_and_none_means_not_given(root):
    path = write(root, "monitoring.yaml", "period: 2026-09\nlanguage: sq\nseed: 7\n")
    loaded = load_params("monitoring", path, {"period": "2026-10", "language": None}, root)
    assert loaded["period"] == "2026-10"
    assert loaded["language"] == "sq"
    assert loaded["seed"] == 7


def test_a_bad_override_is_blamed_on_the_command_line(root):
    path = write(root, "monitoring.yaml", "period: 2026-09\n")
    message = error_of(load_params, "monitoring", path, {"period": "October"}, root)
    assert message.startswith("command line: key 'period'")


def test_defaults_are_not_shared_between_runs():
    first = load_params("quality")
    first["formats"].append("pdf")
    assert load_params("quality")["formats"] == ["html", "workbook"]


def test_check_params_treats_none_as_not_given():
    resolved = check_params("capacity", {"period": None, "language": "sq"}, source="notebook")
    assert resolved["language"] == "sq"
    assert resolved["period"] is None
    assert resolved["report"] == "capacity"


# --------------------------------------------------------------------------- files
def test_missing_file_lists_what_is_there(root):
    write(root, "baseline.yaml", "seed: 1\n")
    message = error_of(load_params, "quality", root / "params" / "qualty.yaml", root=root)
    assert message == "params file params/qualty.yaml does not exist; files there: baseline.yaml"


def test_repeated_key_is_an_error_not_a_silent_overwrite(root):
    path = write(root, "q.yaml", "seed: 1\nlanguage: en\nseed: 2\n")
    message = error_of(load_params, "quality", path, root=root)
    assert message == "params/q.yaml: key 'seed' appears twice (lines 1 and 3); keep one"


def test_broken_yaml_gives_line_and_column(root):
    path = write(root, "q.yaml", "seed: 1\nformats: [html\n")
    message = error_of(load_params, "quality", path, root=root)
    assert message.startswith("params/q.yaml: not valid YAML at line 3, column 1")


def test_top_level_must_be_a_mapping(root):
    message = error_of(load_params, "quality", write(root, "q.yaml", "- seed\n"), root=root)
    assert "expected 'key: value' lines at the top level, found a list" in message


def test_empty_file_means_defaults(root):
    assert load_params("quality", write(root, "q.yaml", "# nothing\n")) == load_params("quality")


def test_non_utf8_file(root):
    path = root / "params" / "q.yaml"
    path.write_bytes("run_label: pjesëmarrës\n".encode("cp1250"))
    assert "not UTF-8 text" in error_of(load_params, "quality", path, root=root)


# --------------------------------------------------------------------------- schema mechanism
def test_unknown_report():
    assert "unknown report 'baselin' (did you mean 'baseline'?)" in error_of(
        P.schema_for, "baselin"
    )


def test_register_report_keys_adds_keys_and_refuses_clashes(monkeypatch):
    monkeypatch.setitem(P.REPORT_KEYS, "endline", {})
    P.register_report_keys("endline", {"bootstrap_reps": Field("int", default=999, minimum=99)})
    assert load_params("endline")["bootstrap_reps"] == 999
    message = error_of(P.register_report_keys, "endline", {"seed": Field("int")})
    assert "already declares the params key(s) seed" in message


def test_field_declarations_are_checked():
    with pytest.raises(ValueError, match="kind 'text'"):
        Field("text")
    with pytest.raises(ValueError, match="required Field cannot have a default"):
        Field("str", required=True, default="x")


def test_params_hash_is_canonical():
    a = {"seed": 1, "language": "en", "when": dt.date(2026, 1, 1)}
    b = {"language": "en", "when": dt.date(2026, 1, 1), "seed": 1}
    assert P.params_hash(a) == P.params_hash(b)
    assert P.params_hash(a) != P.params_hash({**a, "seed": 2})
    assert len(P.params_hash(a)) == 8
    assert json.dumps(a, sort_keys=True, default=str)  # what the hash is computed over


@pytest.mark.parametrize("report", P.REPORTS)
def test_parameters_cell_source_declares_the_defaults(report):
    namespace: dict = {}
    exec(P.parameters_cell_source(report), namespace)  # literal assignments only
    namespace.pop("__builtins__")
    assert check_params(report, namespace) == load_params(report)
    assert set(namespace) == set(P.schema_for(report))


def test_languages_match_the_report_text_files():
    from evaluation.report.labels import languages

    assert languages() == P.LANGUAGES
