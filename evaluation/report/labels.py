"""The fixed text of the reports, one file per language: ``i18n/en.yaml`` and ``i18n/sq.yaml``.

Headings such as "Contents", "Data sources" or "Method notes", report titles, table headers
and standard method notes are looked up here, never written into a notebook::

    >>> from evaluation.report.labels import t
    >>> t("html.contents", "sq")
    'Përmbajtja'
    >>> t("notes.suppression", "en", min_cell_size=10)[:36]
    'Cells based on fewer than 10 respond'

Keys are dotted paths into the YAML files. A missing key or language is an error, never a
silent fall-back to English: an Albanian report must not switch language halfway through.
Variable and choice labels come from the instruments (``label::Shqip (sq)``), not from here.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import yaml

from evaluation.errors import ParamsError, ReportError, did_you_mean
from evaluation.params import StrictLoader

I18N_DIR = Path(__file__).resolve().parent / "i18n"


def languages() -> tuple[str, ...]:
    """Languages with a text file in ``i18n/``, sorted (``('en', 'sq')``)."""
    return tuple(sorted(p.stem for p in I18N_DIR.glob("*.yaml")))


def t(key: str, language: str = "en", /, **fields: object) -> str:
    """The fixed text ``key`` in ``language``, with ``{field}`` placeholders filled.

    Parameters
    ----------
    key : str
        Dotted key, e.g. ``"html.contents"`` or ``"report.baseline"``.
    language : str
        ``"en"`` or ``"sq"`` (any file in ``i18n/``).
    **fields
        Values for the text's ``{name}`` placeholders.

    Returns
    -------
    str

    Raises
    ------
    ParamsError
        If there is no text file for ``language``.
    ReportError
        If the key is missing (with "did you mean"), or a placeholder has no value.
    """
    texts = catalogue(language)
    if key not in texts:
        raise ReportError(
            f"no fixed text '{key}' in {_file(language)}{did_you_mean(key, texts)}; add it "
            "to every file in evaluation/report/i18n/"
        )
    text = texts[key]
    needed = placeholders(text)
    missing = sorted(needed - set(fields))
    if missing:
        raise ReportError(
            f"the text '{key}' needs a value for {', '.join(missing)}; pass "
            f"t({key!r}, {language!r}, {missing[0]}=...)"
        )
    return text.format_map(fields) if needed else text


@cache
def catalogue(language: str) -> Mapping[str, str]:
    """Every text of ``language`` as a flat mapping from dotted key to text (cached).

    Raises
    ------
    ParamsError
        If there is no text file for ``language``.
    ReportError
        If the file is not a mapping of texts.
    """
    path = I18N_DIR / f"{language}.yaml"
    if not path.is_file():
        raise ParamsError(
            f"no report text for language '{language}'{did_you_mean(str(language), languages())}; "
            f"choose one of: {', '.join(languages())}"
        )
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=StrictLoader)
    flat: dict[str, str] = {}
    _flatten(data, "", flat, path)
    return flat


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of a text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _flatten(node: object, prefix: str, out: dict[str, str], path: Path) -> None:
    if isinstance(node, dict):
        for name, value in node.items():
            _flatten(value, f"{prefix}{name}.", out, path)
    elif isinstance(node, str):
        out[prefix.rstrip(".")] = node
    else:
        raise ReportError(
            f"{_file(path.stem)}: '{prefix.rstrip('.')}' should be text or a mapping of texts, "
            f"found {node!r}; quote it"
        )


def _file(language: str) -> str:
    return f"evaluation/report/i18n/{language}.yaml"
