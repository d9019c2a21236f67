"""Acceptance: ``workbench ingest demo`` finds every fault planted in ``truth.json``.

A demo world at scale 0.2 is generated in a tmp folder and ingested with the project's own
``params/datasets.yaml`` (only the folders changed). For every file and planted fault the
rows found must be exactly the rows planted; every row must be accounted for; and no
personal field and no planted personal value may be anywhere in the clean folder.
"""

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from evaluation.cli import main
from evaluation.ingest import read_parquet_metadata
from evaluation.privacy import scan_for_values
from evaluation.readers import read_export

from .conftest import REAL, ROOT

CONTRACT_METADATA = ["_submission_id", "_source_file", "_source_row", "_submitted_at", "_enumerator",
                     "_duration_min", "_flags"]  # fmt: skip


@pytest.fixture(scope="module")
def ingested(demo_world, tmp_path_factory):
    """(raw folder, clean folder, truth, log, raw fingerprint before the ingest)."""
    return _ingest_world(demo_world, tmp_path_factory.mktemp("ingested"))


def _ingest_world(raw: Path, work: Path):
    before = _fingerprint(raw)
    clean = work / "clean"
    config = (ROOT / "params" / "datasets.yaml").read_text(encoding="utf-8")
    config = config.replace("raw_dir: surveys/data/demo/raw", f"raw_dir: {raw}")
    config = config.replace("clean_dir: surveys/data/demo/clean", f"clean_dir: {clean}")
    path = work / "datasets.yaml"
    path.write_text(config, encoding="utf-8")
    assert main(["ingest", "demo", "--datasets", str(path)]) == 0
    truth = json.loads((raw / "truth.json").read_text(encoding="utf-8"))
    log = json.loads((clean / "ingest_log.json").read_text(encoding="utf-8"))
    return raw, clean, truth, log, before


def _fingerprint(folder: Path) -> dict[str, tuple[str, int]]:
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
    }


def _found(raw: Path, clean: Path, log: dict, file: str, fault: str, spec: dict):
    """What the ingest found for one planted fault, in truth.json's terms (data rows)."""
    entry = next(e for e in log["files"] if e["file"] == file)
    source = read_export(raw / file)
    data_row = {int(line): i + 1 for i, line in enumerate(source.source_rows)}
    quarantine = pd.read_csv(clean / "quarantine.csv", dtype=str, keep_default_na=False)
    mine = quarantine[quarantine["file"] == file]
    table = pd.read_parquet(clean / f"{entry['table']}.parquet")
    rows = table[table["_source_file"] == file]

    def quarantined(rule, column=None):
        hit = mine[(mine["rule"] == rule) & ((mine["column"] == column) if column else True)]
        return sorted({data_row[int(r)] for r in hit["row"]})

    def flagged(flag):
        has = rows["_flags"].str.split(";").apply(lambda flags: flag in flags)
        return sorted(data_row[int(r)] for r in rows.loc[has, "_source_row"])

    if fault == "exact_duplicate":
        return quarantined("duplicate_exact"), sorted(spec["rows"])
    if fault == "duplicate_id_different_content":
        return quarantined("duplicate_id"), sorted(spec["rows"] + spec["original_rows"])
    if fault == "out_of_range":
        question = spec["column"].replace("-", "/").split("/")[-1]
        return quarantined("constraint", question), sorted(spec["rows"])
    if fault == "short_interview":
        return flagged("short_interview"), sorted(spec["rows"])
    if fault == "refused_assent":
        return flagged("assent_refused"), sorted(spec["rows"])
    if fault == "renamed_column":
        return entry["columns"]["renamed"], {spec["new"]: spec["old"]}
    if fault == "encoding":
        return entry["encoding"], {"cp1250": "windows-1250"}[spec["encoding"]]
    return None


COUNTED = ("exact_duplicate", "duplicate_id_different_content", "out_of_range", "short_interview",
           "refused_assent", "renamed_column", "encoding")  # fmt: skip


def test_every_planted_fault_is_found_exactly(ingested):
    _check_faults(*ingested[:4])


def _check_faults(raw: Path, clean: Path, truth: dict, log: dict) -> None:
    checked = []
    for file, faults in truth["faults"].items():
        for fault, spec in faults.items():
            if fault not in COUNTED:
                continue
            got, planted = _found(raw, clean, log, file, fault, spec)
            assert planted, f"{file}: {fault} was not planted at this scale"
            assert got == planted, f"{file}: {fault}"
            checked.append((file, fault))
    assert len(checked) >= 15  # every file × fault the world plants


def test_every_row_is_accounted_for(ingested):
    _, clean, truth, log, _ = ingested
    quarantine = pd.read_csv(clean / "quarantine.csv", dtype=str, keep_default_na=False)
    for entry in log["files"]:
        assert entry["rows_read"] == truth["files"][entry["file"]]["rows"]
        assert entry["rows_read"] == entry["rows_accepted"] + entry["rows_quarantined"]
        lines = quarantine[quarantine["file"] == entry["file"]]
        assert lines["row"].nunique() == entry["rows_quarantined"]
    for table, summary in log["tables"].items():
        accepted = sum(e["rows_accepted"] for e in log["files"] if e["table"] == table)
        assert len(pd.read_parquet(clean / f"{table}.parquet")) == summary["rows"] == accepted


def test_no_personal_field_or_planted_value_reaches_clean(ingested):
    _, clean, truth, log, _ = ingested
    hits = scan_for_values(clean, truth["planted_personal_values"]["all"])
    assert hits.empty, hits.head().to_string()
    dropped = set(log["privacy"]["dropped"])
    assert {
        "participant_name",
        "phone",
        "email",
        "signature",
        "facilitator",
        "sgc_mother",
    } <= dropped
    assert set(log["privacy"]["pseudonymised"]) == {
        "panel_code",
        "participant_code",
        "case_id",
        "njmf_case_id",
    }
    for table in log["tables"]:
        columns = set(pd.read_parquet(clean / f"{table}.parquet").columns)
        assert not columns & dropped, table
        assert not any("location_gps" in c for c in columns)


def test_tables_follow_the_contract(ingested):
    _, clean, _, log, _ = ingested
    youth = pd.read_parquet(clean / "youth_survey.parquet")
    assert list(youth.columns[-7:]) == CONTRACT_METADATA
    assert {"stratum", "arm", "urban_rural", "unit", "weight", "wave"} <= set(youth.columns)
    assert set(youth["arm"].dropna()) == {"project", "comparison"}
    assert youth["weight"].notna().all()
    assert youth["sex"].cat.categories.tolist() == ["female", "male", "prefer_not"]
    assert str(youth["age"].dtype) == "Int64"
    assert str(youth["start"].dtype) == "datetime64[ns, UTC]"
    assert str(youth["hs_drugs__police"].dtype) == "boolean"
    assert youth["panel_code"].dropna().str.fullmatch(r"P-[0-9a-f]{16}").all()
    by_file = youth.groupby("_source_file", observed=True)["wave"].unique()
    assert list(by_file["youth_survey_baseline.csv"]) == ["baseline"]
    assert list(by_file["youth_survey_endline.sav"]) == ["endline"]
    meta = read_parquet_metadata(clean / "youth_survey.parquet")
    assert meta["form_id"] == "youth_survey" and meta["table"] == "youth_survey"
    assert log["instruments"]["youth_survey"]["version"] == meta["version"]


def test_raw_files_are_never_modified(ingested):
    raw, _, _, _, before = ingested
    assert _fingerprint(raw) == before


def test_the_real_kobo_export_ingests_with_its_form(tmp_path, capsys):
    code = main(
        ["ingest", "--instrument", str(REAL / "kobo_sample_xlsform.xlsx"),
         "--input", str(REAL / "kobo_sample_export.xlsx"), "--out", str(tmp_path / "out")]
    )  # fmt: skip
    assert code == 0
    assert capsys.readouterr().out.startswith("kobo_sample_export.xlsx: read 5, accepted 5")
    clean = pd.read_parquet(tmp_path / "out" / "koboloadeR.parquet")
    assert clean["reason__education"].sum() >= 1
    assert str(clean["HHSize"].dtype) == "Int64"
    entry = json.loads((tmp_path / "out" / "ingest_log.json").read_text())["files"][0]
    assert entry["columns"]["unknown"] == []


@pytest.mark.slow
def test_the_full_size_demo_world(tmp_path):
    """The same checks on the default demo world (scale 1, about 2,200 students)."""
    from evaluation.synth import write_demo_world

    raw = tmp_path / "raw"
    write_demo_world(out=raw, scale=1.0)
    raw, clean, truth, log, before = _ingest_world(raw, tmp_path)
    _check_faults(raw, clean, truth, log)
    assert scan_for_values(clean, truth["planted_personal_values"]["all"]).empty
    assert _fingerprint(raw) == before
