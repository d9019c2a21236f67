"""The reader's HTML: no code, a table of contents, embedded figures, the report's language."""

import copy
import re

import nbformat
import pytest
from bs4 import BeautifulSoup

from evaluation.report.html import PageInfo, Source, reader_notebook, render_html

# A 1x1 PNG, as a kernel's display_data would carry it (base64, no data: prefix).
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
WIDE_TABLE = (
    "<table class='dataframe'><thead><tr>"
    + "".join(f"<th>column_{i}</th>" for i in range(30))
    + "</tr></thead><tbody><tr>"
    + "".join(f"<td>{i}.5</td>" for i in range(30))
    + "</tr></tbody></table>"
)


def output(kind, **fields):
    return nbformat.from_dict({"output_type": kind, **fields})


def code(source, outputs=(), tags=()):
    cell = nbformat.v4.new_code_cell(source, execution_count=1)
    cell.outputs = list(outputs)
    cell.metadata["tags"] = list(tags)
    return cell


def executed_notebook():
    """What papermill leaves behind, with every kind of output a report produces (a fresh
    copy of one notebook, so that cell ids are the same every time)."""
    return copy.deepcopy(_NOTEBOOK)


def _build_notebook():
    md = nbformat.v4.new_markdown_cell
    cells = [
        md("# Anketa e të rinjve\n\nHyrje."),
        code("language = 'sq'  # SECRET_PARAMETERS_SOURCE", tags=["parameters"]),
        code("language = 'sq'", tags=["injected-parameters"]),
        md("## Mostra dhe përgjigjet"),
        code(
            "print(summary)  # SECRET_CODE_SOURCE",
            [
                output("stream", name="stdout", text="Visible summary line\n"),
                output("stream", name="stderr", text="UserWarning: SECRET_WARNING\n"),
            ],
        ),
        code(
            "table",
            [
                output(
                    "execute_result",
                    execution_count=3,
                    metadata={},
                    data={"text/html": WIDE_TABLE, "text/plain": "table"},
                )
            ],
        ),
        md("### Figura e prevalencës"),
        code(
            "plt.plot(x)",
            [
                output(
                    "execute_result",
                    execution_count=4,
                    metadata={},
                    data={"text/plain": "[<matplotlib.lines.Line2D at 0x7f3a1c2b9d50>]"},
                ),
                output(
                    "display_data", metadata={}, data={"image/png": PNG, "text/plain": "<Figure>"}
                ),
            ],
        ),
        code(
            "helper()",
            [output("stream", name="stdout", text="SECRET_REMOVED\n")],
            tags=["remove-cell"],
        ),
        code(
            "side()",
            [output("stream", name="stdout", text="SECRET_OUTPUT\n")],
            tags=["remove-output"],
        ),
        md("## Përfundime"),
        md("## Përfundime"),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


_NOTEBOOK = _build_notebook()


def page(language="sq", **changes):
    info = {
        "report": "baseline",
        "language": language,
        "run_id": "20261028T101530Z-3f2a9c1b",
        "run_date": "2026-10-28T10:15:30Z",
        "period": "2026-10",
        "sources": (Source("surveys/data/demo/clean/students.parquet", "ab12" * 16),),
        "notes": ("Shënim për metodën.",),
    }
    return PageInfo(**{**info, **changes})


@pytest.fixture(scope="module")
def albanian():
    text = render_html(executed_notebook(), page("sq"))
    return text, BeautifulSoup(text, "html.parser")


def test_no_code_and_no_prompts(albanian):
    text, soup = albanian
    assert "SECRET_CODE_SOURCE" not in text
    assert "SECRET_PARAMETERS_SOURCE" not in text
    assert "In [" not in text and "Out[" not in text
    assert not soup.select(".input, .input_area, .jp-InputArea, .prompt, .jp-InputPrompt")
    assert "Visible summary line" in text


def test_readers_do_not_see_stderr_addresses_or_removed_cells(albanian):
    text, _ = albanian
    assert "SECRET_WARNING" not in text
    assert "0x7f3a1c2b9d50" not in text
    assert "SECRET_REMOVED" not in text
    assert "SECRET_OUTPUT" not in text


def test_table_of_contents_links_to_every_section(albanian):
    _, soup = albanian
    toc = soup.select_one("nav.wb-toc")
    assert toc.h2.get_text() == "Përmbajtja"
    entries = [(a.get_text(), a["href"]) for a in toc.select("a")]
    assert [name for name, _ in entries] == [
        "Mostra dhe përgjigjet",
        "Figura e prevalencës",
        "Përfundime",
        "Përfundime",
    ]
    hrefs = [href for _, href in entries]
    assert len(set(hrefs)) == len(hrefs), "repeated headings need distinct anchors"
    for href in hrefs:
        assert soup.find(id=href[1:]) is not None, href
    nested = toc.select("ol > li > ol > li > a")
    assert [a.get_text() for a in nested] == ["Figura e prevalencës"]  # under its section
    assert len(toc.select(":scope > ol > li")) == 3


def test_title_moves_to_the_header_once(albanian):
    _, soup = albanian
    assert soup.select_one("header h1").get_text() == "Anketa e të rinjve"
    assert soup.title.get_text() == "Anketa e të rinjve"
    assert not soup.select("main h1")


def test_figures_are_embedded_with_alt_text_in_the_language(albanian):
    _, soup = albanian
    images = soup.find_all("img")
    assert len(images) == 1
    assert images[0]["src"].startswith("data:image/png;base64,iVBORw0KGgo")
    assert images[0]["alt"] == "Figura 1"


def test_tables_scroll_sideways_with_a_sticky_header(albanian):
    text, soup = albanian
    for table in soup.select("main table"):
        assert "wb-scroll" in table.parent["class"]
        assert table.parent["tabindex"] == "0"
    css = soup.style.get_text()
    assert re.search(r"\.wb-scroll \{[^}]*overflow: auto", css)
    assert re.search(r"thead th \{[^}]*position: sticky", css)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text


def test_albanian_page_has_lang_and_albanian_fixed_text(albanian):
    text, soup = albanian
    assert soup.html["lang"] == "sq"
    for fixed in (
        "Përmbajtja",
        "Burimet e të dhënave",
        "Shënime metodologjike",
        "Ekzekutimi",
        "Raporti i studimit bazë",
        "Periudha",
        "Kthehu në fillim",
    ):
        assert fixed in text, fixed
    for english in ("Contents", "Data sources", "Method notes", "Baseline report"):
        assert english not in text, english


def test_footer_names_the_run_sources_and_notes(albanian):
    _, soup = albanian
    footer = soup.footer
    assert footer.select_one("code[data-run]").get_text() == "20261028T101530Z-3f2a9c1b"
    assert footer.select_one("time[data-run]")["datetime"] == "2026-10-28T10:15:30Z"
    assert "2026-10-28 10:15 UTC" in footer.get_text()
    source = footer.select_one("tbody tr")
    assert source.code.get_text() == "surveys/data/demo/clean/students.parquet"
    assert source.select("code")[1]["title"] == "ab12" * 16
    assert footer.select_one("ul li").get_text() == "Shënim për metodën."


def test_english_page():
    text = render_html(executed_notebook(), page("en", period=None, notes=(), sources=()))
    soup = BeautifulSoup(text, "html.parser")
    assert soup.html["lang"] == "en"
    assert soup.select_one("nav.wb-toc h2").get_text() == "Contents"
    assert "All periods" in text
    assert "No data files were recorded for this run." in text
    assert "Method notes" not in text  # no notes, no empty section
    assert soup.find("img")["alt"] == "Figure 1"


def test_only_the_run_id_and_date_differ_between_runs():
    first = render_html(executed_notebook(), page())
    second = render_html(
        executed_notebook(),
        page(run_id="20261029T080000Z-3f2a9c1b", run_date="2026-10-29T08:00:00Z"),
    )
    assert first != second
    assert _without_run_elements(first) == _without_run_elements(second)


def test_the_notebook_is_not_modified():
    nb = executed_notebook()
    before = nbformat.writes(nb)
    render_html(nb, page())
    reader_notebook(nb)
    assert nbformat.writes(nb) == before


def test_a_path_to_an_executed_notebook_is_accepted(tmp_path):
    path = tmp_path / "run.ipynb"
    nbformat.write(executed_notebook(), str(path))
    assert render_html(path, page()) == render_html(executed_notebook(), page())


def _without_run_elements(text: str) -> str:
    soup = BeautifulSoup(text, "html.parser")
    for element in soup.select("[data-run]"):
        element.decompose()
    return str(soup)
