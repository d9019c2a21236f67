"""The summary.<lang>.json contract between report notebooks and the e-mail."""

import json
from types import SimpleNamespace

import pytest

from evaluation.errors import ReportError
from evaluation.schedule.summary import MAX_LINES, read_summary, write_summary


def notebook_run(folder, language="sq"):
    """What write_summary uses of NotebookRun: output_path puts the language in the name."""

    def output_path(name):
        stem, _, suffix = name.rpartition(".")
        return folder / f"{stem}.{language}.{suffix}"

    return SimpleNamespace(output_path=output_path, language=language)


def test_write_then_read(tmp_path):
    path = write_summary(
        notebook_run(tmp_path),
        ["42 persona të trajnuar", "  118 të rinj   të arritur "],
        ["Vetëm 55% brenda 3 ditëve"],
        period="tetor 2026",
    )
    assert path == tmp_path / "summary.sq.json"
    assert json.loads(path.read_text(encoding="utf-8"))["title"] is None
    summary = read_summary(tmp_path, "sq")
    assert summary.lines == ("42 persona të trajnuar", "118 të rinj të arritur")
    assert summary.attention == ("Vetëm 55% brenda 3 ditëve",)
    assert summary.period == "tetor 2026" and not summary.generic
    assert read_summary(tmp_path, "en") is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"lines": "one"}, "'lines' must be a list of text lines"),
        ({"lines": ["a"], "colour": "red"}, "unknown key(s) colour"),
        ({"lines": ["x"] * (MAX_LINES + 1)}, f"keep at most {MAX_LINES}"),
        ({"lines": ["y" * 401]}, "line 1 has 401 characters"),
        ({"lines": ["a"], "title": 3}, "'title' must be text or null"),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_broken_summaries_are_refused(tmp_path, data, message):
    (tmp_path / "summary.en.json").write_text(json.dumps(data))
    with pytest.raises(ReportError) as caught:
        read_summary(tmp_path, "en")
    assert message in str(caught.value)


def test_write_summary_checks_before_writing(tmp_path):
    with pytest.raises(ReportError, match="must be a list of text lines"):
        write_summary(notebook_run(tmp_path), [1, 2])
    assert not (tmp_path / "summary.sq.json").exists()
