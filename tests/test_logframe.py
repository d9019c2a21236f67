"""params/logframe.yaml and its strict schema (evaluation.indicators.schema)."""

from __future__ import annotations

import copy
import datetime as dt
import textwrap
from pathlib import Path

import pytest

from evaluation.errors import ParamsError
from evaluation.indicators import load_logframe, parse_logframe

PROJECT = Path(__file__).parent.parent
LOGFRAME = PROJECT / "params" / "logframe.yaml"
INSTRUMENTS = PROJECT / "surveys" / "instruments"
ANNEX_A = [
    "IMP1",
    "IMP2",
    "IMP3",
    "IMP4",
    "OC1.1",
    "OC1.2",
    "OC1.3",
    "OC1.4",
    "OC1.5",
    "OC2.1",
    "OC2.2",
    "OC2.3",
    "OC2.4",
    "OC2.5",
    "OC3.1",
    "OC3.2",
    "OP1.1",
    "OP1.2",
    "OP1.3",
    "OP2.1",
    "OP2.2",
    "OP2.3",
    "OP3.1",
    "OP3.2",
    "OP4.1",
    "OP4.2",
]

COLUMNS = {
    "survey": ["wave", "sex", "age", "assent", "cs_safe_dark", "weight", "stratum", "school_code"],
    "register": ["date_registered", "risk_level", "case_status", "case_id"],
}


def columns_of(instrument: str) -> tuple[list[str], dict[str, str]]:
    return COLUMNS[instrument], {
        "sgc_mother": "is personal data (direct) and is not in clean tables"
    }


def minimal() -> dict:
    """A small valid logframe, edited by each test to break one thing."""
    return {
        "designs": {
            "school": {"weights": "weight", "strata": "stratum", "clusters": "school_code"}
        },
        "tables": {"survey": {"design": "school"}, "register": {}},
        "derived": {
            "survey": {"feels_safe": {"kind": "binary", "expression": "${cs_safe_dark} >= 3"}}
        },
        "dimensions": {
            "sex": {"label": {"en": "Sex", "sq": "Gjinia"}, "columns": {"survey": "sex"}},
        },
        "indicators": {
            "IMP4": {
                "level": "impact",
                "name": {"en": "Feel safe", "sq": "Ndihen të sigurt"},
                "unit": "percent",
                "direction": "higher",
                "definition": {
                    "table": "survey",
                    "statistic": "proportion",
                    "variable": "feels_safe",
                    "population": "${assent} = 'yes'",
                    "period": {"column": "wave", "dates": {"baseline": "2022-11-11"}},
                },
                "disaggregations": ["sex"],
                "baseline": {"value": 0.6, "date": "2022-11-11"},
                "milestones": [{"date": "2023-06-30", "value": 0.62}],
                "target": {"value": 0.65, "date": "2024-06-30"},
            },
            "CTX1": {
                "level": "context",
                "name": {"en": "Cases", "sq": "Raste"},
                "unit": "count",
                "direction": "lower",
                "definition": {
                    "table": "register",
                    "statistic": "count",
                    "period": {"column": "date_registered", "unit": "quarter"},
                },
            },
            "OC3.1": {
                "level": "outcome",
                "name": {"en": "Decisions", "sq": "Vendime"},
                "unit": "percent",
                "direction": "higher",
                "computable": False,
                "reason": "meeting register not collected",
            },
        },
    }


def parse(raw: dict):
    return parse_logframe(raw, "logframe.yaml", columns_of)


def broken(edit) -> str:
    raw = copy.deepcopy(minimal())
    edit(raw)
    with pytest.raises(ParamsError) as caught:
        parse(raw)
    return str(caught.value)


# --------------------------------------------------------------------------- the valid case
def test_minimal_logframe_parses() -> None:
    logframe = parse(minimal())
    assert list(logframe.indicators) == ["IMP4", "CTX1", "OC3.1"]
    imp4 = logframe.indicator("IMP4")
    assert imp4.definition.design == "school"  # the table's default design
    assert imp4.definition.period.dates == {"baseline": dt.date(2022, 11, 11)}
    assert logframe.indicator("CTX1").definition.design is None  # a register: exact
    assert logframe.computable() == ["IMP4", "CTX1"]
    assert logframe.column_for("sex", "survey") == "sex"


# --------------------------------------------------------------------------- errors name indicator and key
def test_unknown_indicator_key_with_suggestion() -> None:
    message = broken(lambda r: r["indicators"]["IMP4"].update(baselin={"value": 1}))
    assert "indicator 'IMP4'" in message
    assert "unknown key 'baselin'" in message and "did you mean 'baseline'" in message


def test_unknown_definition_key() -> None:
    message = broken(lambda r: r["indicators"]["IMP4"]["definition"].update(populaton="x"))
    assert (
        "indicator 'IMP4', key 'definition'" in message and "did you mean 'population'" in message
    )


def test_misspelled_variable_with_suggestion() -> None:
    message = broken(lambda r: r["indicators"]["IMP4"]["definition"].update(variable="feels_saf"))
    assert "indicator 'IMP4', key 'definition', key 'variable'" in message
    assert "'feels_saf' is not a known variable (did you mean 'feels_safe'?)" in message


def test_misspelled_variable_in_population_expression() -> None:
    message = broken(
        lambda r: r["indicators"]["IMP4"]["definition"].update(population="${asent} = 'yes'")
    )
    assert "key 'population'" in message and "did you mean 'assent'" in message


def test_personal_field_is_explained() -> None:
    message = broken(
        lambda r: r["indicators"]["IMP4"]["definition"].update(population="${sgc_mother} = 'A'")
    )
    assert "'sgc_mother' is personal data" in message


def test_misspelled_variable_in_derived_definition() -> None:
    message = broken(
        lambda r: r["derived"]["survey"]["feels_safe"].update(expression="${cs_safe_drak} >= 3")
    )
    assert "derived variable 'feels_safe' (table survey), key 'expression'" in message
    assert "did you mean 'cs_safe_dark'" in message


def test_bad_statistic() -> None:
    message = broken(lambda r: r["indicators"]["IMP4"]["definition"].update(statistic="proportoin"))
    assert "key 'statistic'" in message and "did you mean 'proportion'" in message
    assert "mean, proportion, total, count, count_unique, ratio, median" in message


def test_statistic_needs_its_keys() -> None:
    message = broken(lambda r: r["indicators"]["CTX1"]["definition"].update(statistic="mean"))
    assert "statistic 'mean' needs 'variable'" in message
    message = broken(lambda r: r["indicators"]["CTX1"]["definition"].update(statistic="ratio"))
    assert "'ratio' takes 'numerator' and 'denominator'" in message


def test_count_unique_is_refused_for_a_survey() -> None:
    message = broken(
        lambda r: r["indicators"]["IMP4"]["definition"].update(
            statistic="count_unique", variable="school_code"
        )
    )
    assert "count_unique counts ids in a register" in message


def test_bad_date() -> None:
    message = broken(lambda r: r["indicators"]["IMP4"]["baseline"].update(date="2022-13-01"))
    assert "indicator 'IMP4', key 'baseline', key 'date'" in message
    assert "expected a date YYYY-MM-DD" in message


def test_milestones_out_of_order() -> None:
    def edit(raw: dict) -> None:
        raw["indicators"]["IMP4"]["milestones"] = [
            {"date": "2023-06-30", "value": 0.62},
            {"date": "2023-03-31", "value": 0.61},
        ]

    message = broken(edit)
    assert (
        "milestones': dates are out of order: milestone 1 (2023-06-30) is not before milestone 2"
        in message
    )


def test_milestone_after_target() -> None:
    message = broken(lambda r: r["indicators"]["IMP4"]["target"].update(date="2023-01-01"))
    assert "out of order" in message and "target (2023-01-01)" in message


def test_percent_values_are_proportions() -> None:
    message = broken(lambda r: r["indicators"]["IMP4"]["target"].update(value=65))
    assert "65.0 is not a proportion" in message


def test_not_computable_needs_a_reason() -> None:
    message = broken(lambda r: r["indicators"]["OC3.1"].pop("reason"))
    assert "indicator 'OC3.1': computable: false needs a 'reason'" in message


def test_unknown_disaggregation() -> None:
    message = broken(lambda r: r["indicators"]["IMP4"]["disaggregations"].append("sexx"))
    assert "key 'disaggregations'" in message and "did you mean 'sex'" in message


def test_unknown_design_and_table() -> None:
    message = broken(lambda r: r["tables"]["survey"].update(design="schools"))
    assert "key 'design'" in message and "did you mean 'school'" in message
    message = broken(lambda r: r["indicators"]["CTX1"]["definition"].update(table="registr"))
    assert "did you mean 'register'" in message


def test_design_columns_are_checked() -> None:
    message = broken(lambda r: r["designs"]["school"].update(weights="wieght"))
    assert "design 'school'" in message and "did you mean 'weight'" in message


def test_all_problems_are_reported_together() -> None:
    def edit(raw: dict) -> None:
        raw["indicators"]["IMP4"]["unit"] = "percentage"
        raw["indicators"]["CTX1"]["level"] = "outcomes"

    message = broken(edit)
    assert message.startswith("logframe.yaml: 2 problems")
    assert "indicator 'IMP4'" in message and "indicator 'CTX1'" in message


def test_unknown_top_level_key() -> None:
    message = broken(lambda r: r.update(indicator={}))
    assert "unknown key 'indicator'" in message and "did you mean 'indicators'" in message


# --------------------------------------------------------------------------- the project's file
@pytest.fixture(scope="module")
def project_logframe():
    return load_logframe(LOGFRAME, root=PROJECT, instruments=INSTRUMENTS)


def test_project_logframe_has_every_annex_a_indicator(project_logframe) -> None:
    ids = list(project_logframe.indicators)
    assert [i for i in ANNEX_A if i not in ids] == []
    assert "IMP3b" in ids  # 30-day cannabis use, the second measure of IMP3
    levels = {project_logframe.indicator(i).level for i in ANNEX_A}
    assert levels == {"impact", "outcome", "output"}


def test_project_logframe_entries_are_complete(project_logframe) -> None:
    for indicator in project_logframe.indicators.values():
        assert indicator.name["en"] and indicator.name["sq"], indicator.id
        if indicator.level != "context":
            assert indicator.baseline is not None and indicator.target is not None, indicator.id
            assert indicator.milestones, indicator.id
        if not indicator.computable:
            assert indicator.reason, indicator.id
    not_collected = {i for i, ind in project_logframe.indicators.items() if not ind.computable}
    assert {"IMP2", "OC3.1", "OP3.1", "OP3.2"} <= not_collected
    assert {"IMP1", "IMP3", "OC2.3", "OP2.1", "OP2.2"} <= set(project_logframe.computable())


def test_project_logframe_albanian_letters(project_logframe) -> None:
    text = " ".join(i.name["sq"] for i in project_logframe.indicators.values())
    labels = " ".join(d.label["sq"] for d in project_logframe.dimensions.values())
    assert "Nxënës" in text and "fëmijë" in text and "dhunës në familje" in text
    assert "Shoqërimi" in labels and "Niveli i rrezikut" in labels
    for ascii_spelling in ("Nxenes", "femije", "dhunes", "shkolle", "Shoqerimi"):
        assert ascii_spelling not in text + labels
    assert "e" + "\u0308" not in text  # composed characters, not e + combining diaeresis


def test_project_logframe_typo_is_caught_before_anything_runs(tmp_path: Path) -> None:
    text = LOGFRAME.read_text(encoding="utf-8").replace(
        "variable: feels_safe", "variable: feel_safe"
    )
    path = tmp_path / "logframe.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        ParamsError,
        match=r"indicator 'IMP4', key 'definition', key 'variable'.*did you mean 'feels_safe'",
    ):
        load_logframe(path, root=PROJECT, instruments=INSTRUMENTS)


def test_duplicate_indicator_id_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "logframe.yaml"
    path.write_text(
        textwrap.dedent(
            """
            indicators:
              IMP1: {level: impact, name: {en: a, sq: b}, unit: count, direction: higher, computable: false, reason: x}
              IMP1: {level: impact, name: {en: a, sq: b}, unit: count, direction: higher, computable: false, reason: x}
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(ParamsError, match="key 'IMP1' appears twice"):
        load_logframe(path, root=PROJECT, instruments=INSTRUMENTS)


# --------------------------------------------------------------------------- bilingual source
def test_source_in_both_languages_and_a_plain_string_as_english() -> None:
    raw = copy.deepcopy(minimal())
    raw["indicators"]["IMP4"]["source"] = {
        "en": "Youth survey (A7)",
        "sq": "Anketa e të rinjve (A7)",
    }
    raw["indicators"]["CTX1"]["source"] = "DV referral case log (E)"  # written before sq
    logframe = parse(raw)
    imp4, ctx1 = logframe.indicator("IMP4"), logframe.indicator("CTX1")
    assert imp4.source_text("sq") == "Anketa e të rinjve (A7)"
    assert imp4.source_text("en") == "Youth survey (A7)"
    assert ctx1.source_text("sq") == ctx1.source_text("en") == "DV referral case log (E)"
    assert logframe.indicator("OC3.1").source_text("sq") == ""  # no source given


def test_source_needs_english_and_no_other_language() -> None:
    message = broken(lambda r: r["indicators"]["IMP4"].update(source={"sq": "Anketa"}))
    assert "indicator 'IMP4', key 'source'" in message and "'en'" in message
    message = broken(lambda r: r["indicators"]["IMP4"].update(source={"en": "a", "fr": "b"}))
    assert "key 'source'" in message and "'fr'" in message
    message = broken(lambda r: r["indicators"]["IMP4"].update(source=["Youth survey"]))
    assert "key 'source'" in message and "texts per language" in message


def test_project_logframe_sources_are_in_albanian(project_logframe) -> None:
    for indicator in project_logframe.indicators.values():
        english, albanian = indicator.source_text("en"), indicator.source_text("sq")
        assert english and albanian and albanian != english, indicator.id
    sources = {i: ind.source_text("sq") for i, ind in project_logframe.indicators.items()}
    assert sources["IMP1"] == "Anketa e të rinjve (A8)"
    assert "dhunës në familje" in sources["OC2.3"] and "fëmijë" in sources["OC2.5"]
    assert sources["OP2.3"] == "Vendimet dhe procesverbalet e Këshillit"
