"""What the notebook tests (tests/test_notebook_*.py) share: a throw-away project with the
demo world, reading what a run published, and the checks every published report must pass
(both languages published, no code on the page, no formula in a workbook, no planted
personal value in anything a reader gets, a parameters cell that declares the schema).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
import openpyxl
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from evaluation import pipeline
from evaluation.ingest import ingest_dataset
from evaluation.params import check_params, schema_for
from evaluation.privacy import scan_for_values
from evaluation.synth import write_demo_world

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("en", "sq")


# --------------------------------------------------------------------------- the project
@contextmanager
def demo_project(root: Path, notebook: Path, params: Iterable[str], scale: float) -> Iterator[Path]:
    """A project in ``root`` on the demo world, for running a report in.

    Parameters
    ----------
    root : Path
        An empty folder (a pytest tmp folder).
    notebook : Path
        The committed notebook to copy into ``root/notebooks``.
    params : iterable of str
        Names of the committed ``params/`` files to copy.
    scale : float
        Size of the demo world (``write_demo_world``), which is written and ingested.

    Yields
    ------
    Path
        ``root``; inside the block ``WORKBENCH_ROOT`` points at it.
    """
    for folder in ("notebooks", "params", "surveys/instruments"):
        (root / folder).mkdir(parents=True)
    shutil.copy(notebook, root / "notebooks")
    for name in params:
        shutil.copy(ROOT / "params" / name, root / "params")
    for form in (ROOT / "surveys" / "instruments").glob("*.xlsx"):
        shutil.copy(form, root / "surveys" / "instruments")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKBENCH_ROOT", str(root))
        write_demo_world(root / "surveys" / "data" / "demo" / "raw", scale=scale)
        ingest_dataset("demo", root=root)
        yield root


def read_truth(root: Path) -> dict:
    """The demo world's known answers: ``truth.json`` beside its raw exports."""
    raw = root / "surveys" / "data" / "demo" / "raw" / "truth.json"
    return json.loads(raw.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- what was published
def html(world, language: str) -> str:
    """The run's HTML page in ``language``."""
    return world.run.html[language].read_text(encoding="utf-8")


def text(world, language: str) -> str:
    """The page's text as a reader sees it, white space folded."""
    return " ".join(BeautifulSoup(html(world, language), "html.parser").get_text(" ").split())


def workbook(world, language: str, name: str = "donor_workbook") -> openpyxl.Workbook:
    """The run's workbook ``<name>.<language>.xlsx``."""
    return openpyxl.load_workbook(world.run.folder / f"{name}.{language}.xlsx")


def headings(soup: BeautifulSoup, *tags: str) -> list[str]:
    """The text of the page's headings of the given tags (default h2), without the anchor."""
    return [h.get_text(" ", strip=True).rstrip("¶ ") for h in soup.find_all(list(tags or ["h2"]))]


def readable_texts(folder: Path) -> dict[str, pd.DataFrame]:
    """What readers get: the HTML pages' text (without the embedded images, which hold no
    text and make a scan of the raw files take minutes) and every workbook cell and sheet
    name. The executed notebooks' outputs are what the pages show."""
    texts = {}
    for path in folder.glob("*.html"):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        for img in soup.find_all("img"):
            img.decompose()
        texts[path.name] = pd.DataFrame({"text": soup.get_text("\n").splitlines()})
    for path in folder.glob("*.xlsx"):
        book = openpyxl.load_workbook(path, read_only=True)
        for sheet in book.worksheets:
            rows = list(sheet.iter_rows(values_only=True))
            texts[f"{path.name}!{sheet.title}"] = pd.DataFrame(rows).astype(str)
            texts[f"{path.name}!{sheet.title} (name)"] = pd.DataFrame({"name": [sheet.title]})
    return texts


# --------------------------------------------------------------------------- shared checks
def assert_published(world, report: str, files: Iterable[str]) -> None:
    """Each of ``files`` (names with ``{language}``) is published in both languages, beside
    the manifest, and the run is the report's latest."""
    names = {p.name for p in world.run.folder.iterdir()}
    for language in LANGUAGES:
        assert {name.format(language=language) for name in files} <= names
    assert "manifest.json" in names
    assert pipeline.latest_run(report, world.root) == world.run.folder


def code_free_page(world, language: str, code: Iterable[str]) -> BeautifulSoup:
    """The page in ``language``, checked: it says its language and shows none of the ``code``
    fragments and no input cell."""
    page = html(world, language)
    assert f'<html lang="{language}">' in page
    for fragment in code:
        assert fragment not in page, f"{language}: {fragment!r} in the HTML"
    soup = BeautifulSoup(page, "html.parser")
    assert not soup.select(".jp-InputArea, .input_area, .jp-InputPrompt")
    return soup


def assert_no_formulas(book: openpyxl.Workbook, where: str = "") -> None:
    """No cell of ``book`` holds a formula (``where`` starts the failure message)."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{where} {sheet.title}!{cell.coordinate}"


def assert_no_planted_value(texts: dict[str, pd.DataFrame], truth: dict) -> None:
    """None of the demo world's planted personal values is in ``texts``."""
    found = scan_for_values(texts, truth["planted_personal_values"]["all"])
    assert found.empty, found.head().to_string()


def checked_parameters_cell(notebook: Path, report: str) -> dict:
    """The notebook's parameters cell run (literal assignments only): it must declare every
    key of the report's params schema. Returns its values passed through ``check_params``."""
    cell = next(
        c
        for c in nbformat.read(notebook, as_version=4).cells
        if "parameters" in c.metadata.get("tags", [])
    )
    namespace: dict = {}
    exec(cell.source, namespace)  # literal assignments only
    values = {k: v for k, v in namespace.items() if not k.startswith("__")}
    assert set(values) == set(schema_for(report))
    return check_params(report, values, source="parameters cell")
