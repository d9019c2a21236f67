"""The demo world: reproducible, faithful to its forms, and its truth.json matches its files.

Fault counts, weights and effects are recomputed from the raw files themselves, the way a
later stage would read them. Nothing is compared with truth.json's own bookkeeping alone.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest
import statsmodels.formula.api as smf

from evaluation import cli
from evaluation.errors import ParamsError
from evaluation.synth import write_demo_world

INSTRUMENTS = Path(__file__).resolve().parent.parent / "surveys" / "instruments"
SMALL = 0.25
SEED = 20220203
KOBO_META = ["_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
             "_submitted_by", "__version__", "_tags", "_index"]  # fmt: skip
CENTRAL_TRAILER = ["KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
                   "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits",
                   "FormVersion"]  # fmt: skip
RISK_ITEMS = ["at_fight", "at_knife", "at_steal", "at_respect", "at_gang", "at_easy_money"]
ACTS = ["d_weapon", "d_attack", "d_robbery", "d_steal", "d_vandalism", "d_sold_drugs",
        "d_courier", "d_arrested"]  # fmt: skip


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return write_demo_world(tmp_path_factory.mktemp("small") / "raw", SMALL, SEED).out


@pytest.fixture(scope="module")
def world1(tmp_path_factory) -> Path:
    return write_demo_world(tmp_path_factory.mktemp("one") / "raw", 1.0, SEED).out


def truth_of(folder: Path) -> dict:
    return json.loads((folder / "truth.json").read_text(encoding="utf-8"))


def sha256s(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


# --------------------------------------------------------------------------- readers
def read_kobo_csv(path: Path, encoding: str = "utf-8") -> pd.DataFrame:
    return pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding=encoding)


def read_central(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def read_xlsx(path: Path) -> pd.DataFrame:
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb[wb.sheetnames[0]].iter_rows(values_only=True))
    wb.close()
    return pd.DataFrame(rows[1:], columns=rows[0])


def read_sav(path: Path) -> pd.DataFrame:
    return pyreadstat.read_sav(str(path))[0]


def minutes_between(start: pd.Series, end: pd.Series) -> np.ndarray:
    s = pd.to_datetime(start, format="ISO8601", utc=True)
    e = pd.to_datetime(end, format="ISO8601", utc=True)
    return ((e - s).dt.total_seconds() / 60).to_numpy()


def rows_of(mask) -> list[int]:
    return (np.flatnonzero(np.asarray(mask)) + 1).tolist()


# --------------------------------------------------------------------------- reproducibility
def test_same_seed_gives_byte_identical_files(small, tmp_path):
    again = write_demo_world(tmp_path / "again", SMALL, SEED).out
    first, second = sha256s(small), sha256s(again)
    assert list(first) == list(second)
    assert first == second


def test_other_seed_changes_every_file(small, tmp_path):
    other = sha256s(write_demo_world(tmp_path / "other", SMALL, SEED + 1).out)
    assert {name for name, digest in sha256s(small).items() if other[name] == digest} == set()


def test_writes_every_file_listed_in_truth(small):
    truth = truth_of(small)
    on_disk = {p.name for p in small.iterdir()}
    assert on_disk == set(truth["files"]) | {"truth.json"}
    assert truth["seed"] == SEED and truth["scale"] == SMALL
    for name, info in truth["files"].items():
        assert info["empty_fields"] == [], f"{name}: form fields without generated answers"


def test_describe_names_folder_rows_and_truth(tmp_path):
    world = write_demo_world(tmp_path / "raw", 0.1, 5)
    text = world.describe()
    assert str(world.out) in text and str(world.out / "truth.json") in text
    for record in world.files:
        assert record.name in text and f"{record.rows:,}" in text
    assert len(text.splitlines()) == len(world.files) + 2


def test_cli_demo_data_writes_the_world(tmp_path, capsys):
    assert (
        cli.main(["demo-data", "--scale", "0.1", "--seed", "3", "--out", str(tmp_path / "w")]) == 0
    )
    assert "truth.json" in capsys.readouterr().out
    assert (tmp_path / "w" / "youth_survey_baseline.csv").is_file()


# --------------------------------------------------------------------------- arguments, atomicity
@pytest.mark.parametrize("scale", [0, -1, math.nan, math.inf, 1e6, "big"])
def test_bad_scale_is_a_params_error(scale, tmp_path):
    with pytest.raises(ParamsError, match="scale"):
        write_demo_world(tmp_path / "w", scale, 1)


@pytest.mark.parametrize("seed", [-1, 1.5, True, "7"])
def test_bad_seed_is_a_params_error(seed, tmp_path):
    with pytest.raises(ParamsError, match="seed"):
        write_demo_world(tmp_path / "w", 0.1, seed)


def test_refuses_to_replace_a_folder_that_is_not_a_demo_world(tmp_path):
    precious = tmp_path / "raw"
    precious.mkdir()
    (precious / "real_export.csv").write_text("keep me")
    with pytest.raises(ParamsError, match="not a demo world"):
        write_demo_world(precious, 0.1, 1)
    assert (precious / "real_export.csv").read_text() == "keep me"
    file_target = tmp_path / "file"
    file_target.write_text("x")
    with pytest.raises(ParamsError, match="is a file"):
        write_demo_world(file_target, 0.1, 1)


def test_replaces_an_old_world_whole_and_leaves_no_temporary_folders(tmp_path, monkeypatch):
    out = tmp_path / "raw"
    write_demo_world(out, 0.1, 1)
    old = sha256s(out)
    write_demo_world(out, 0.1, 2)
    assert sha256s(out) != old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]

    from evaluation.synth import street

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    before = sha256s(out)
    monkeypatch.setattr(street, "write_contacts", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        write_demo_world(out, 0.1, 3)
    assert sha256s(out) == before, "a failed run must leave the previous world untouched"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]


# --------------------------------------------------------------------------- formats
def test_kobo_csv_is_semicolon_separated_fully_quoted_crlf_without_bom(small):
    raw = (small / "youth_survey_baseline.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    lines = raw.split(b"\r\n")
    assert lines[-1] == b"" and b"\n" not in b"".join(lines)
    header = next(csv.reader(io.StringIO(lines[0].decode()), delimiter=";"))
    assert lines[0].decode() == ";".join(f'"{h}"' for h in header)
    assert all(line.startswith(b'"') and line.endswith(b'"') for line in lines[1:-1])


def _form_fields(form: str) -> tuple[list[tuple[str, str, str]], dict[str, list[str]]]:
    wb = openpyxl.load_workbook(INSTRUMENTS / f"{form}.xlsx", read_only=True)
    survey = list(wb["survey"].iter_rows(values_only=True))
    choices = list(wb["choices"].iter_rows(values_only=True))
    wb.close()
    lists: dict[str, list[str]] = {}
    for row in choices[1:]:
        lists.setdefault(str(row[0]), []).append(str(row[1]))
    groups, fields = [], []
    for row in survey[1:]:
        kind, name = str(row[0]), str(row[1])
        if kind == "begin_group":
            groups.append(name)
        elif kind == "end_group":
            groups.pop()
        elif kind != "note":
            fields.append((kind, name, "/".join([*groups, name])))
    return fields, lists


def test_kobo_headers_follow_the_form(small):
    fields, lists = _form_fields("youth_survey")
    expected = []
    for kind, _name, path in fields:
        expected.append(path)
        if kind.startswith("select_multiple"):
            expected += [f"{path}/{c}" for c in lists[kind.split()[1]]]
    header = list(read_kobo_csv(small / "youth_survey_baseline.csv").columns)
    assert header == expected + KOBO_META


def test_select_multiple_columns_are_one_zero_or_empty_when_unanswered(small):
    df = read_kobo_csv(small / "youth_survey_baseline.csv")
    summary = df["help/hs_drugs"]
    for choice in ("police", "dont_know"):
        flag = df[f"help/hs_drugs/{choice}"]
        assert set(flag[summary == ""]) <= {""}
        answered = summary != ""
        expected = summary[answered].str.split().apply(lambda c, ch=choice: "1" if ch in c else "0")
        assert (flag[answered] == expected).all()


def test_central_csv_layout(small):
    raw = (small / "dv_referral_case.csv").read_text(encoding="utf-8")
    assert "\r" not in raw
    df = read_central(small / "dv_referral_case.csv")
    columns = list(df.columns)
    assert columns[0] == "SubmissionDate" and columns[-10:] == CENTRAL_TRAILER
    assert columns[-11] == "meta-instanceID"
    assert "violence-violence_type" in columns and "case-case_id" in columns
    assert (df["KEY"] == df["meta-instanceID"]).all()
    assert df["SubmissionDate"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z").all()
    assert df["start"].str.fullmatch(r".*T.*\.\d{3}\+0[12]:00").all()


def test_xlsx_exports_are_typed_like_kobo(small):
    wb = openpyxl.load_workbook(small / "training_attendance.xlsx", read_only=True)
    header, first = list(wb[wb.sheetnames[0]].iter_rows(max_row=2, values_only=True))
    wb.close()
    row = dict(zip(header, first, strict=True))
    assert list(header[-10:]) == KOBO_META
    assert isinstance(row["_id"], int) and row["_index"] == 1
    assert isinstance(row["participant/hours_attended"], float | int)
    assert isinstance(row["start"], dt.datetime) and isinstance(
        row["_submission_time"], dt.datetime
    )
    assert isinstance(row["participant/participant_name"], str)


def test_spss_file_has_value_labels_and_flat_names(small):
    _, meta = pyreadstat.read_sav(str(small / "youth_survey_endline.sav"), metadataonly=True)
    assert meta.variable_value_labels["sex"] == {
        1.0: "Female",
        2.0: "Male",
        3.0: "Prefer not to say",
    }
    assert meta.variable_value_labels["d_weapon"][4.0] == "10 or more times"
    assert all("/" not in c for c in meta.column_names)
    assert meta.original_variable_types["start"].startswith("DATETIME")


def test_street_file_is_windows_1250_with_albanian_letters(small):
    raw = (small / "street_situation_contact.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1250")
    assert "ë" in text and "ç" in text
    assert (
        truth_of(small)["faults"]["street_situation_contact.csv"]["encoding"]["encoding"]
        == "cp1250"
    )


# --------------------------------------------------------------------------- weights
def test_weights_sum_to_the_frame_population(small):
    truth = truth_of(small)
    frame = pd.read_csv(small / "sampling_frame.csv")
    population = frame["enrolled_8_12"].sum()
    assert population == truth["design"]["population"]
    sampled = frame[frame["sampled"] == 1]
    assert len(sampled) == truth["design"]["schools_sampled"]
    assert ((frame["pi_school"] > 0) & (frame["pi_school"] <= 1)).all()
    np.testing.assert_allclose(sampled["weight_design"], 1 / sampled["pi_student"], rtol=1e-12)
    np.testing.assert_allclose(
        (sampled["weight"] * sampled["students_responding_baseline"]).sum(),
        population,
        rtol=1e-9,
    )
    # the same from the survey file: one row per submission, respondents only
    df = read_kobo_csv(small / "youth_survey_baseline.csv")
    unique = df.drop_duplicates("_uuid", keep="first")
    respondents = unique[unique["consent/assent"] == "yes"]
    weight = respondents["admin/school_code"].map(frame.set_index("school_id")["weight"])
    assert weight.notna().all()
    np.testing.assert_allclose(weight.sum(), population, rtol=1e-9)


def test_strata_partition_the_frame(small):
    truth = truth_of(small)
    strata = truth["design"]["strata"]
    assert sum(s["schools_frame"] for s in strata) == truth["design"]["schools_frame"]
    assert sum(s["population"] for s in strata) == truth["design"]["population"]
    frame = pd.read_csv(small / "sampling_frame.csv")
    for s in strata:
        part = frame[frame["stratum"] == s["stratum"]]
        assert part["sampled"].sum() == s["schools_sampled"] >= 2


# --------------------------------------------------------------------------- faults
def _faults(folder: Path, name: str) -> dict:
    return truth_of(folder)["faults"][name]


def test_baseline_fault_counts_match_the_file(small):
    df = read_kobo_csv(small / "youth_survey_baseline.csv")
    f = _faults(small, "youth_survey_baseline.csv")
    exact = df.drop(columns=["_id", "_index"]).duplicated(keep="first")
    assert rows_of(exact) == f["exact_duplicate"]["rows"]
    rest = df[~exact.to_numpy()]
    again = rest.duplicated("_uuid", keep="first")
    assert (
        rows_of(~exact.to_numpy() & df.index.isin(rest.index[again]))
        == f["duplicate_id_different_content"]["rows"]
    )
    age = pd.to_numeric(df["demo/age"].replace("", np.nan))
    assert rows_of((age < 10) | (age > 20)) == f["out_of_range"]["rows"]
    completed = (df["consent/assent"] == "yes").to_numpy()
    short = completed & (minutes_between(df["start"], df["end"]) < 8)
    assert rows_of(short) == f["short_interview"]["rows"]
    assert rows_of(df["consent/assent"] == "no") == f["refused_assent"]["rows"]
    for fault in (
        "exact_duplicate",
        "duplicate_id_different_content",
        "out_of_range",
        "short_interview",
    ):
        assert f[fault]["count"] >= 1
        assert df["_uuid"].iloc[np.array(f[fault]["rows"]) - 1].tolist() == f[fault]["ids"]


def test_endline_fault_counts_match_the_file(small):
    df = read_sav(small / "youth_survey_endline.sav")
    f = _faults(small, "youth_survey_endline.sav")
    assert rows_of(df.duplicated(keep="first")) == f["exact_duplicate"]["rows"]
    assert rows_of((df["age"] < 10) | (df["age"] > 20)) == f["out_of_range"]["rows"]
    minutes = (df["end"] - df["start"]).dt.total_seconds() / 60
    assent = df["assent"] == 1.0  # yes = 1 in the firm's coding
    assert rows_of(assent & (minutes < 8)) == f["short_interview"]["rows"]
    assert rows_of(df["assent"] == 2.0) == f["refused_assent"]["rows"]
    renamed = f["renamed_column"]
    assert renamed["new"] in df.columns and renamed["old"] not in df.columns


def test_panel_code_mismatches_are_the_unmatched_endline_codes(small):
    base = read_kobo_csv(small / "youth_survey_baseline.csv")
    base = base[base["consent/assent"] == "yes"]
    known = set(zip(base["admin/school_code"], base["code/panel_code"], strict=True))
    end = read_sav(small / "youth_survey_endline.sav")
    end = end[(end["assent"] == 1.0) & ~end.duplicated(keep="first")]
    unmatched = [
        i
        for i, (s, c) in enumerate(zip(end["school_code"], end["panel_code"], strict=True))
        if (s, c) not in known
    ]
    f = _faults(small, "youth_survey_endline.sav")["panel_code_mismatch"]
    assert len(unmatched) == f["count"] >= 1
    assert sorted(p["endline_code"] for p in f["pairs"]) == sorted(
        end["panel_code"].iloc[unmatched]
    )


def test_attendance_fault_counts_match_the_file(small):
    df = read_xlsx(small / "training_attendance.xlsx")
    f = _faults(small, "training_attendance.xlsx")
    exact = df.drop(columns=["_id", "_index"]).duplicated(keep="first")
    assert rows_of(exact) == f["exact_duplicate"]["rows"]
    key = ["participant/participant_code", "session/session_id"]
    twice = df.duplicated(key, keep="first") & ~exact
    assert rows_of(twice) == f["duplicate_id_different_content"]["rows"]
    too_long = df["participant/hours_attended"] > df["session/session_hours"]
    assert rows_of(too_long) == f["out_of_range"]["rows"]


def test_test_and_case_log_fault_counts_match_the_files(small):
    tests = read_xlsx(small / "training_knowledge_test.xlsx")
    exact = tests.drop(columns=["_id", "_index"]).duplicated(keep="first")
    assert (
        rows_of(exact) == _faults(small, "training_knowledge_test.xlsx")["exact_duplicate"]["rows"]
    )
    dv = read_central(small / "dv_referral_case.csv")
    f = _faults(small, "dv_referral_case.csv")
    assert (
        rows_of(dv.duplicated("case-case_id", keep="first"))
        == f["duplicate_id_different_content"]["rows"]
    )
    assert (
        rows_of(dv["case-date_registered"] < dv["case-date_reported"]) == f["out_of_range"]["rows"]
    )
    street = read_kobo_csv(small / "street_situation_contact.csv", encoding="cp1250")
    exact = street.drop(columns=["_id", "_index"]).duplicated(keep="first")
    assert (
        rows_of(exact) == _faults(small, "street_situation_contact.csv")["exact_duplicate"]["rows"]
    )


def test_dates_in_the_case_log_follow_the_case_steps(small):
    dv = read_central(small / "dv_referral_case.csv")
    bad = set(_faults(small, "dv_referral_case.csv")["out_of_range"]["rows"])
    steps = [
        "case-date_reported",
        "case-date_registered",
        "response-date_first_response",
        "response-date_tg_review",
        "response-date_plan",
    ]
    for i, row in enumerate(dv[steps].itertuples(index=False), start=1):
        dates = [d for d in row if d]
        if i not in bad:
            assert dates == sorted(dates), f"row {i}: {dates}"
    months = pd.to_datetime(dv["case-date_reported"]).dt.month
    summer = months.isin([6, 7, 8]).sum() / 3
    winter = months.isin([12, 1, 2]).sum() / 3
    assert summer > winter


def test_free_text_faults_are_where_truth_says(small):
    truth = truth_of(small)
    readers = {
        "youth_survey_baseline.csv": (lambda p: read_kobo_csv(p), "closing/anything_else"),
        "dv_referral_case.csv": (read_central, "status-notes"),
        "street_situation_contact.csv": (lambda p: read_kobo_csv(p, "cp1250"), "case_link/notes"),
        "training_knowledge_test.xlsx": (read_xlsx, "reaction/r_improve"),
    }
    for name, (read, column) in readers.items():
        f = truth["faults"][name]["personal_data_in_free_text"]
        df = read(small / name)
        assert f["count"] >= 1
        assert df[column].iloc[np.array(f["rows"]) - 1].tolist() == f["values"]


def test_marked_personal_fields_are_counted(small):
    attendance = read_xlsx(small / "training_attendance.xlsx")
    f = _faults(small, "training_attendance.xlsx")["personal_data_in_marked_fields"]
    for column, count in f["columns"].items():
        assert attendance[column].notna().sum() == count > 0, column
    street = read_kobo_csv(small / "street_situation_contact.csv", encoding="cp1250")
    g = _faults(small, "street_situation_contact.csv")["personal_data_in_marked_fields"]
    assert (street["observation/location_gps"] != "").sum() == g["count"] > 0


def test_answers_follow_the_form_logic(small):
    df = read_kobo_csv(small / "youth_survey_baseline.csv")
    refused = df["consent/assent"] == "no"
    later = [c for c in df.columns[8:] if not c.startswith("_")]
    assert (df.loc[refused, later] == "").all().all(), "no assent must leave the rest empty"
    ok = df[~refused]
    for stem in ("cig", "alc", "can"):
        life = pd.to_numeric(ok[f"substance/su_{stem}_life"].replace("", np.nan))
        d30 = pd.to_numeric(ok[f"substance/su_{stem}_30d"].replace("", np.nan))
        assert d30[life.fillna(0) == 0].isna().all(), "30 days asked only after lifetime > 0"
        assert (d30.dropna() <= life[d30.notna()]).all(), "30 days cannot exceed lifetime"
    acts = ok[[f"delinquency/{a}" for a in ACTS]].apply(
        lambda c: pd.to_numeric(c.replace("", np.nan))
    )
    assert (ok["delinquency/any_delinquency"].astype(int) == (acts > 0).any(axis=1)).all()
    wg = ok[[c for c in ok.columns if c.startswith("wg/wg_")]].astype(int)
    assert (ok["wg/disability"].astype(int) == (wg >= 3).any(axis=1)).all()
    upper = (
        ok["code/sgc_mother"].str.upper()
        + ok["code/sgc_father"].str.upper()
        + ok["code/sgc_birth_month"]
        + ok["code/sgc_older_sibs"]
    )
    assert (ok["code/panel_code"] == upper).all()
    assert (ok["exposure/ex_heard"] == "").all(), "programme exposure is asked at endline only"
    age = pd.to_numeric(ok["demo/age"])
    planted = set(_faults(small, "youth_survey_baseline.csv")["out_of_range"]["rows"])
    inside = ~ok.index.isin([r - 1 for r in planted])
    assert age[inside].between(10, 20).all()
    start = pd.to_datetime(df["start"], format="ISO8601", utc=True)
    end = pd.to_datetime(df["end"], format="ISO8601", utc=True)
    submitted = pd.to_datetime(df["_submission_time"]).dt.tz_localize("UTC")
    assert (start < end).all() and (end <= submitted).all()
    assert (start.dt.tz_convert("Europe/Tirane").dt.strftime("%Y-%m-%d") == df["today"]).all()
    endline = read_sav(small / "youth_survey_endline.sav")
    answered = endline[endline["assent"] == 1.0]
    assert answered["ex_heard"].notna().mean() > 0.95


# --------------------------------------------------------------------------- personal values
def _all_cells(folder: Path) -> tuple[set[str], str]:
    cells: set[str] = set()
    for path in folder.iterdir():
        if path.suffix == ".csv":
            encoding = "cp1250" if path.name.startswith("street") else "utf-8"
            sep = "," if path.name.startswith(("dv_", "sampling")) else ";"
            df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding=encoding)
            cells.update(df.to_numpy().ravel().tolist())
        elif path.suffix == ".xlsx":
            cells.update(str(v) for v in read_xlsx(path).to_numpy().ravel() if v is not None)
        elif path.suffix == ".sav":
            df = read_sav(path)
            for column in df.select_dtypes(include=["object", "str"]):
                cells.update(str(v) for v in df[column] if v)
    return cells, "\n".join(cells)


def test_every_planted_personal_value_is_in_the_raw_files(small):
    planted = truth_of(small)["planted_personal_values"]
    cells, text = _all_cells(small)
    missing = [v for v in planted["all"] if v not in cells and v not in text]
    assert missing == []
    by_kind = planted["by_kind"]
    assert set(planted["all"]) == set().union(*map(set, by_kind.values()))
    for kind in (
        "person_name",
        "phone",
        "email",
        "participant_code",
        "panel_code",
        "dv_case_id",
        "njmf_case_id",
        "gps",
    ):
        assert by_kind[kind], f"no {kind} planted"
    assert all(
        re.fullmatch(r"(\+355|0)6[7-9]\d{7}|06[7-9] \d{3} \d{4}", p) for p in by_kind["phone"]
    )
    assert any(re.search("[ëçËÇ]", n) for n in by_kind["person_name"])
    attendance = read_xlsx(small / "training_attendance.xlsx")
    assert set(attendance["participant/participant_name"]) <= set(by_kind["person_name"])
    assert set(attendance["participant/phone"]) <= set(by_kind["phone"])


# --------------------------------------------------------------------------- realism and effects
def _respondents_base(folder: Path) -> pd.DataFrame:
    df = read_kobo_csv(folder / "youth_survey_baseline.csv").drop_duplicates("_uuid")
    df = df[df["consent/assent"] == "yes"]
    df.columns = [c.split("/")[-1] if c.count("/") == 1 else c for c in df.columns]
    num = {
        c: pd.to_numeric(df[c].replace("", np.nan))
        for c in [
            *RISK_ITEMS,
            "at_report",
            *ACTS,
            "su_can_life",
            "su_can_30d",
            "any_delinquency",
            "age",
        ]
    }
    return df.assign(**num)


def _respondents_end(folder: Path) -> pd.DataFrame:
    df = read_sav(folder / "youth_survey_endline.sav")
    df = df[~df.duplicated(keep="first") & (df["assent"] == 1.0)].copy()
    df["school_code"] = df["school_code"].astype(str)
    return df


def _attitudes(df: pd.DataFrame) -> pd.Series:
    items = pd.concat([5 - df[RISK_ITEMS], df[["at_report"]]], axis=1)
    return items.mean(axis=1)


def _linked(folder: Path) -> pd.DataFrame:
    base, end = _respondents_base(folder), _respondents_end(folder)
    frame = pd.read_csv(folder / "sampling_frame.csv")
    arm = frame.set_index("school_id")["arm"]
    b = base.assign(
        att=_attitudes(base),
        delinq=(base[ACTS] > 0).any(axis=1).astype(float),
        can30=(base["su_can_30d"].fillna(0) > 0).astype(float),
    )
    e = end.assign(
        att=_attitudes(end),
        delinq=(end[ACTS] > 0).any(axis=1).astype(float),
        can30=(end["su_can_30d"].fillna(0) > 0).astype(float),
    )
    key = ["school_code", "panel_code"]
    b = b.rename(columns={"admin/school_code": "school_code", "code/panel_code": "panel_code"})
    b = b.drop_duplicates(key, keep=False)  # codes shared by two students cannot be linked
    e = e.drop_duplicates(key, keep=False)
    both = b[[*key, "att", "delinq", "can30"]].merge(
        e[[*key, "att", "delinq", "can30"]], on=key, suffixes=("_b", "_e")
    )
    both["treated"] = (both["school_code"].map(arm) == "project").astype(float)
    return both


def _did(both: pd.DataFrame, outcome: str) -> tuple[float, float]:
    """Naive DiD on the linked panel: change regressed on arm, SEs clustered by school."""
    data = both.assign(change=both[f"{outcome}_e"] - both[f"{outcome}_b"]).dropna(subset=["change"])
    fit = smf.ols("change ~ treated", data).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(data["school_code"])[0]}
    )
    return float(fit.params["treated"]), float(fit.bse["treated"])


def test_attitudes_did_recovers_the_true_effect(world1):
    truth = truth_of(world1)["effects"]["attitudes_scale"]
    estimate, se = _did(_linked(world1), "att")
    true_points = truth["effect_respondents"] * truth["sd_baseline"]
    # 3 cluster-robust SEs (about 0.1 scale points, 0.17 SD with 42 schools)
    assert abs(estimate - true_points) < 3 * se
    assert 0.15 <= truth["effect"] <= 0.27  # about +0.2 SD, as designed
    assert se < 0.6 * true_points, "the test must be able to tell the effect from zero"


def test_prevalences_are_realistic(world1):
    base = _respondents_base(world1)
    valid = base[pd.to_numeric(base["su_relevin_life"].replace("", np.nan)).fillna(0) == 0]
    life = (valid["su_can_life"].fillna(0) > 0).mean()
    last30 = (valid["su_can_30d"].fillna(0) > 0).mean()
    assert 0.045 <= life <= 0.10, life  # ISHP/ESPAD Albania: about 7%
    assert 0.01 <= last30 <= 0.045, last30
    boys = (valid.loc[valid["sex"] == "male", "su_can_life"].fillna(0) > 0).mean()
    girls = (valid.loc[valid["sex"] == "female", "su_can_life"].fillna(0) > 0).mean()
    assert boys > girls
    delinquency = base["any_delinquency"].mean()
    assert 0.15 <= delinquency <= 0.35, delinquency
    truth = truth_of(world1)
    assert 0.65 <= truth["design"]["reliability"]["cronbach_alpha_attitudes_baseline"] <= 0.88
    assert 0.02 <= truth["design"]["icc"]["icc_attitudes_scale_baseline"] <= 0.12
    attrition = truth["design"]["attrition"]
    assert 0.12 <= attrition["comparison"] < attrition["project"] <= 0.18
    assert 1000 <= truth["design"]["baseline_respondents"] <= 1400
    city = truth["design"]["strata"]
    urban = sum(s["population"] for s in city if s["urban_rural"] == "urban")
    assert 0.58 <= urban / truth["design"]["population"] <= 0.68


def test_training_tests_show_a_realistic_gain(world1):
    tests = read_xlsx(world1 / "training_knowledge_test.xlsx").drop_duplicates("_uuid")
    score = pd.to_numeric(tests["knowledge/score_pct"])
    pre = score[tests["ident/test_type"] == "pre"].mean()
    post = score[tests["ident/test_type"] == "post"].mean()
    assert 12 <= post - pre <= 30, (pre, post)
    n_pre = (tests["ident/test_type"] == "pre").sum()
    n_post = (tests["ident/test_type"] == "post").sum()
    assert 0.8 <= n_post / n_pre <= 0.95


@pytest.mark.slow
def test_did_recovers_all_three_effects_at_scale_ten(tmp_path):
    folder = write_demo_world(tmp_path / "raw", 10.0, 11).out
    effects = truth_of(folder)["effects"]
    both = _linked(folder)
    for outcome, key in (
        ("att", "attitudes_scale"),
        ("delinq", "any_delinquency"),
        ("can30", "cannabis_30d"),
    ):
        estimate, se = _did(both, outcome)
        truth = effects[key]
        true = truth["effect_respondents"] * truth.get("sd_baseline", 1.0)
        assert abs(estimate - true) < 3 * se, (outcome, estimate, true, se)
    assert -0.055 <= effects["any_delinquency"]["effect"] <= -0.025
    assert -0.025 <= effects["cannabis_30d"]["effect"] <= -0.008
    base = _respondents_base(folder)
    boys = (base.loc[base["sex"] == "male", "su_can_life"].fillna(0) > 0).mean()
    girls = (base.loc[base["sex"] == "female", "su_can_life"].fillna(0) > 0).mean()
    assert 1.5 <= boys / girls <= 2.6


# --------------------------------------------------------------------------- writers' helpers
def _days(first: dt.date, last: dt.date) -> np.ndarray:
    return np.arange((first - dt.date(1970, 1, 1)).days, (last - dt.date(1970, 1, 1)).days + 1)


def _date(day: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(day))


def test_calendar_helpers_agree_with_datetime():
    from evaluation.synth import clock

    days = _days(dt.date(2021, 12, 20), dt.date(2024, 1, 10))
    dates = [_date(d) for d in days]
    assert clock.weekday(days).tolist() == [d.weekday() for d in dates]
    assert clock.month_of(days).tolist() == [d.month for d in dates]
    moved = clock.friday_if_weekend(days)
    for date, new in zip(dates, moved, strict=True):
        expected = date - dt.timedelta(days=max(0, date.weekday() - 4))
        assert _date(new) == expected and expected.weekday() < 5


def test_local_times_are_tirane_wall_clock_times():
    from zoneinfo import ZoneInfo

    from evaluation.synth import clock

    tirane = ZoneInfo("Europe/Tirane")
    days = _days(dt.date(2022, 1, 1), dt.date(2023, 12, 31))
    # the offset is taken at UTC midnight, so skip the two switch days of each year
    midnight = clock.local_offset_ms(days * clock.DAY)
    days = days[midnight == clock.local_offset_ms(days * clock.DAY + clock.DAY - 1)]
    at = clock.at_local_time(days, 9 * clock.HOUR + 30 * clock.MINUTE)
    for day, ms in zip(days, at, strict=True):
        local = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).astimezone(tirane)
        assert (local.date(), local.hour, local.minute) == (_date(day), 9, 30)
    times = clock.form_times(at[:3], at[:3] + 20 * clock.MINUTE)
    assert list(times) == ["start", "end", "today"]
    assert times["start"][0].startswith(f"{_date(days[0])}T09:30:00.000+01:00")
    assert times["end"][0].startswith(f"{_date(days[0])}T09:50:00.000+01:00")
    assert times["today"].tolist() == [str(_date(d)) for d in days[:3]]


def test_by_condition_uses_each_probability_and_always_draws_both():
    from evaluation.synth.draws import by_condition
    from evaluation.synth.streams import stream

    condition = np.array([True, False, True, False, False])
    got = by_condition(stream(1, "t"), condition, ("a", "b"), [1.0, 0.0], [0.0, 1.0])
    assert got.tolist() == ["a", "b", "a", "b", "b"] and got.dtype == object
    after = []
    for cond in (np.ones(50, dtype=bool), np.zeros(50, dtype=bool)):
        rng = stream(1, "t")
        by_condition(rng, cond, ("a", "b", "c"), [0.2, 0.3, 0.5], [0.6, 0.3, 0.1])
        after.append(rng.random())
    assert after[0] == after[1], "the stream must advance the same whatever the condition"
    rng = stream(2, "t")
    big = by_condition(rng, np.arange(40_000) < 20_000, ("a", "b"), [0.9, 0.1], [0.2, 0.8])
    assert abs((big[:20_000] == "a").mean() - 0.9) < 0.01
    assert abs((big[20_000:] == "a").mean() - 0.2) < 0.01


def test_select_multiple_text_and_weighted_choices():
    from evaluation.synth.draws import multi, multi_text, weighted
    from evaluation.synth.streams import stream

    chosen = np.array([[True, False, True], [False, False, False], [False, True, False]])
    assert multi_text(chosen, ("x", "y", "z")).tolist() == ["x z", "", "y"]
    rng = stream(3, "t")
    never = np.zeros(3)
    assert set(multi(rng, ("x", "y", "z"), never, 200, at_least_one=True)) == {"x", "y", "z"}
    assert set(multi(rng, ("x", "y", "z"), never, 10, False, none="none")) == {"none"}
    assert set(weighted(rng, {"a": 3.0, "b": 0.0, "c": 1.0}, 500)) == {"a", "c"}


def _subs_with_copies():
    from evaluation.synth.submissions import Submissions

    subs = Submissions.start(
        {"age": np.array(["12", "99", "14", "15"], dtype=object)},
        uuid=np.array(["u0", "u1", "u2", "u3"], dtype=object),
        submitted=np.array([40, 10, 30, 20]),
    )
    subs.tag(np.array([1]), "out_of_range")
    subs.copy_rows(np.array([0, 2]), "exact_duplicate")
    return subs


def test_kobo_export_sorts_by_submission_with_copies_after_their_original():
    from evaluation.synth.submissions import kobo_export

    subs = _subs_with_copies()
    meta = kobo_export(subs, 5, "part", submitted_by="me", first_id=100)
    assert subs.info["uuid"].tolist() == ["u1", "u3", "u2", "u2", "u0", "u0"]
    assert subs.info["copy"].tolist() == [0, 0, 0, 1, 0, 1]
    assert meta["_index"].tolist() == ["1", "2", "3", "4", "5", "6"]
    ids = [int(i) for i in meta["_id"]]
    assert ids == sorted(set(ids)) and ids[0] > 100
    assert meta["_uuid"].tolist() == subs.info["uuid"].tolist()
    again = kobo_export(_subs_with_copies(), 5, "part", submitted_by="me", first_id=100)
    other_form = kobo_export(
        _subs_with_copies(), 5, "part", submitted_by="me", first_id=100, form="other"
    )
    version = meta["__version__"][0]
    assert re.fullmatch(r"v[A-Za-z0-9]{21}", version)
    assert again["__version__"][0] == version != other_form["__version__"][0]
    assert again["_id"].tolist() == other_form["_id"].tolist() == meta["_id"].tolist()


def test_logged_rows_are_one_based_in_file_order_with_ids_values_and_originals():
    from evaluation.synth.faults import FaultLog, log_exact_duplicates, log_rows, log_tagged
    from evaluation.synth.submissions import kobo_export

    subs = _subs_with_copies()
    kobo_export(subs, 5, "part", submitted_by="", first_id=0)  # rows: u1 u3 u2 u2' u0 u0'
    log = FaultLog()
    log_tagged(log, "f", subs, "out_of_range", rate=0.5, column="age", values_of="age")
    log_exact_duplicates(log, "f", subs, rate=0.1)
    planted = subs.first_rows([0, 3])
    free_text = {"count": 7, "column": "age", "values_of": "age"}
    log_rows(log, "f", subs, "personal_data_in_free_text", planted, rate=None, **free_text)
    got = log.as_truth()["f"]
    assert got["out_of_range"]["rows"] == [1] and got["out_of_range"]["ids"] == ["u1"]
    assert got["out_of_range"]["values"] == ["99"]
    exact = got["exact_duplicate"]
    assert exact["rows"] == [4, 6] and exact["original_rows"] == [3, 5]
    assert exact["ids"] == ["u2", "u0"] and exact["count"] == 2
    assert list(exact)[5:] == ["original_rows", "id_column", "ignore_columns"]
    assert exact["ignore_columns"] == ["_id", "_index"]
    text = got["personal_data_in_free_text"]
    assert text["rows"] == [2, 5] and text["ids"] == ["u3", "u0"] and text["count"] == 7
    assert text["values"] == ["15", "12"]


def test_device_ids_and_naming_sentences():
    from evaluation.synth.people import PersonalValues, naming_sentence
    from evaluation.synth.streams import device_ids, stream

    rng = stream(4, "t")
    ids = device_ids(rng, 5)
    assert len(set(ids)) == 5 and all(re.fullmatch(r"collect:[A-Za-z0-9]{16}", i) for i in ids)
    assert device_ids(rng, 1, "ee.kobotoolbox.org")[0].startswith("ee.kobotoolbox.org:")
    personal = PersonalValues()
    named = naming_sentence(rng, True, "Emri: {name}.", "Emri: {name}.", personal)
    by_kind = personal.as_truth()["by_kind"]
    assert by_kind["phone"] == [] and by_kind["person_name"] == [named[6:-1]]
    called = naming_sentence(rng, False, "{name}, tel {phone}", "{name}, tel {phone}", personal)
    by_kind = personal.as_truth()["by_kind"]
    name, phone = called.split(", tel ")
    assert by_kind["phone"] == [phone] and name in by_kind["person_name"]
    assert re.fullmatch(r"06[789] \d{3} \d{4}", phone)
