"""quarantine.csv: the contract's columns, then who and when, taken from the row set aside."""

from evaluation.ingest.quarantine import QUARANTINE_COLUMNS, WHO_AND_WHEN

from .conftest import MINI_HEADER, mini_row, run_mini

HEADER = f"{MINI_HEADER},_submission_time,_submitted_by"


def _line(uuid: str, submitted: str, by: str, **answers: str) -> str:
    return f"{mini_row(uuid, **answers)},{submitted},{by}"


def test_each_line_says_whose_interview_it_was_and_when(tmp_path):
    lines = [
        _line("u1", "2024-03-01T09:30:00", "ana"),
        _line("u2", "2024-03-02T09:30:00", "ben", age="41"),  # constraint
        _line("u3", "", "", age="x", start="", end="2024-03-03T23:10:00.000+01:00"),  # type
        _line("u1", "2024-03-01T09:30:00", "ana"),  # exact copy of line 2
    ]
    clean, quarantine, log = run_mini(tmp_path, lines, header=HEADER)
    assert list(quarantine.columns) == [*QUARANTINE_COLUMNS, *WHO_AND_WHEN]
    who = quarantine.set_index("submission_id")[["rule", *WHO_AND_WHEN]]
    # Kobo's _submission_time is UTC; the interview time is the device's start (10:00+01:00)
    assert who.loc["u2"].tolist() == [
        "constraint",
        "ben",
        "2024-03-02T09:30:00Z",
        "2024-03-01T09:00:00Z",
    ]
    # no start: the interview's end; no server time and no enumerator: empty, never invented
    assert who.loc["u3"].tolist() == ["type", "", "", "2024-03-03T22:10:00Z"]
    assert who.loc["u1"].tolist() == [
        "duplicate_exact",
        "ana",
        "2024-03-01T09:30:00Z",
        "2024-03-01T09:00:00Z",
    ]
    # the same enumerator as the clean copy, and no helper column reaches clean data
    assert clean["_enumerator"].tolist() == ["ana"]
    assert "_interview_at" not in clean.columns
    assert log["files"][0]["rows_quarantined"] == quarantine["row"].nunique() == 3


def test_who_is_made_safe_for_spreadsheets_like_every_cell(tmp_path):
    lines = [_line("u1", "2024-03-01T09:30:00", "=cmd|' /C calc'!A0", age="9")]
    _, quarantine, _ = run_mini(tmp_path, lines, header=HEADER)
    assert quarantine["enumerator"].tolist() == ["'=cmd|' /C calc'!A0"]
