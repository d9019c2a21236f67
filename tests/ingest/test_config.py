"""params/datasets.yaml: the project's file is valid, and mistakes give clear errors."""

from pathlib import Path

import pytest

from evaluation.errors import ParamsError
from evaluation.ingest import dataset_config, load_datasets

ROOT = Path(__file__).resolve().parents[2]
SIX_FORMS = {
    "youth_survey",
    "training_attendance",
    "training_knowledge_test",
    "kvsp_capacity_scorecard",
    "dv_referral_case",
    "street_situation_contact",
}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "datasets.yaml"
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = """\
datasets:
  field:
    raw_dir: raw
    tables:
      cases:
        instrument: dv_referral_case
        files: [cases.csv]
"""


def test_project_file_covers_all_six_instruments():
    config = dataset_config("demo", root=ROOT)
    assert {t.instrument for t in config.tables.values()} == SIX_FORMS
    for table in config.tables.values():
        assert config.instrument_path(table).is_file(), table.name
    youth = config.tables["youth_survey"]
    assert youth.design is not None and youth.design.frame_key == "school_id"
    assert youth.id == ("_uuid", "instanceID")
    assert config.clean_dir == ROOT / "surveys" / "data" / "demo" / "clean"


def test_defaults_fill_optional_keys(tmp_path):
    config = dataset_config("field", _write(tmp_path, MINIMAL), root=tmp_path)
    table = config.tables["cases"]
    assert config.raw_dir == tmp_path / "raw"
    assert config.clean_dir == tmp_path / "surveys" / "data" / "field" / "clean"
    assert config.pseudonym_key == "env"
    assert table.design is None and table.id == () and table.outlier_iqr == 3.0
    assert table.short_share == pytest.approx(1 / 3)


def test_id_may_be_one_column(tmp_path):
    text = MINIMAL.replace("files: [cases.csv]", "files: [cases.csv]\n        id: KEY")
    assert dataset_config("field", _write(tmp_path, text), root=tmp_path).tables["cases"].id == (
        "KEY",
    )


def test_unknown_key_is_named_with_a_hint(tmp_path):
    text = MINIMAL.replace("files:", "fles:")
    with pytest.raises(
        ParamsError, match=r"'datasets.field.tables.cases.fles' \(did you mean 'files'\?\)"
    ):
        load_datasets(_write(tmp_path, text), root=tmp_path)


def test_unknown_dataset_suggests_the_closest(tmp_path):
    with pytest.raises(ParamsError, match=r"no dataset 'feld' \(did you mean 'field'\?\)"):
        dataset_config("feld", _write(tmp_path, MINIMAL), root=tmp_path)


def test_unquoted_number_as_missing_marker_is_refused(tmp_path):
    text = MINIMAL.replace("    tables:", "    missing_values: [NA, 999]\n    tables:")
    with pytest.raises(ParamsError, match="put it in quotes"):
        load_datasets(_write(tmp_path, text), root=tmp_path)


def test_half_a_design_is_refused(tmp_path):
    text = MINIMAL.replace(
        "files: [cases.csv]", "files: [cases.csv]\n        design: {frame: f.csv}"
    )
    with pytest.raises(ParamsError, match="design lacks 'join_on'"):
        dataset_config("field", _write(tmp_path, text), root=tmp_path)


def test_unknown_time_zone_is_refused(tmp_path):
    text = MINIMAL.replace("    tables:", "    timezone: Europe/Elbasan\n    tables:")
    with pytest.raises(ParamsError, match="not a time zone name"):
        dataset_config("field", _write(tmp_path, text), root=tmp_path)


def test_missing_files_key_is_required(tmp_path):
    text = MINIMAL.replace("        files: [cases.csv]\n", "")
    with pytest.raises(
        ParamsError, match=r"missing required key 'datasets\.field\.tables\.cases\.files'"
    ):
        load_datasets(_write(tmp_path, text), root=tmp_path)
