"""What the demo world needs to know about an XLSForm: its fields, groups and choices.

The exports are laid out from the questionnaires in ``surveys/instruments/``, so that a
column exists in a demo export exactly when the deployed form has the field. This is a
small reader for the generator's needs, not the workbench's XLSForm parser.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import openpyxl

from evaluation import paths
from evaluation.errors import InstrumentError

EN_LABEL = "label::English (en)"
# Types that hold no answer in an export (KoboToolbox and ODK Central leave notes out).
_NO_DATA = {"note"}


@dataclass(frozen=True)
class Field:
    """One question (or calculate, or metadata) of a form."""

    name: str
    kind: str
    list_name: str | None
    groups: tuple[str, ...]
    label: str

    def path(self, sep: str) -> str:
        """The export header: group names and the field name joined with ``sep``."""
        return sep.join((*self.groups, self.name))


@dataclass(frozen=True)
class FormLayout:
    """The fields (in form order) and choice lists of one XLSForm."""

    form_id: str
    title: str
    version: str
    fields: tuple[Field, ...]
    choices: dict[str, tuple[tuple[str, str], ...]]

    def field(self, name: str) -> Field:
        """The field called ``name``; :class:`InstrumentError` if the form has none."""
        for f in self.fields:
            if f.name == name:
                return f
        raise InstrumentError(f"form '{self.form_id}' has no field '{name}'")

    def choice_names(self, list_name: str) -> tuple[str, ...]:
        """The choice names of a list, in the order of the choices sheet."""
        return tuple(name for name, _label in self.choices[list_name])


def instruments_folder() -> Path:
    """``surveys/instruments`` of the project, or of the source checkout if that has none."""
    folder = paths.instruments_dir()
    if (folder / "youth_survey.xlsx").is_file():
        return folder
    return paths.instruments_dir(paths.SOURCE_ROOT)


def read_form(path: Path) -> FormLayout:
    """Read the ``survey``, ``choices`` and ``settings`` sheets of one XLSForm.

    Raises
    ------
    InstrumentError
        If the file is missing or a sheet or required column is absent.
    """
    if not path.is_file():
        raise InstrumentError(
            f"{path}: questionnaire not found; the demo world is laid out from the forms in "
            "surveys/instruments/. Restore the file from git."
        )
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        survey = _rows(wb, path, "survey")
        choices = _rows(wb, path, "choices")
        (settings,) = _rows(wb, path, "settings")[:1]
    finally:
        wb.close()
    return FormLayout(
        form_id=settings.get("form_id", path.stem),
        title=settings.get("form_title", path.stem),
        version=settings.get("version", ""),
        fields=tuple(_fields(survey)),
        choices=_choice_lists(choices),
    )


def _rows(wb: openpyxl.Workbook, path: Path, sheet: str) -> list[dict[str, str]]:
    if sheet not in wb.sheetnames:
        raise InstrumentError(f"{path.name}: no sheet '{sheet}'; an XLSForm needs it")
    rows = list(wb[sheet].iter_rows(values_only=True))
    header = ["" if h is None else str(h).strip() for h in rows[0]]
    out = []
    for row in rows[1:]:
        if all(v is None for v in row):
            continue
        out.append(
            {h: "" if v is None else str(v).strip() for h, v in zip(header, row, strict=False)}
        )
    return out


def _fields(survey: list[dict[str, str]]) -> list[Field]:
    groups: list[str] = []
    fields = []
    for row in survey:
        kind_text = " ".join(row["type"].split()).replace(" group", "_group")
        kind, *rest = kind_text.split() or [""]
        if kind == "begin_group":
            groups.append(row["name"])
        elif kind == "end_group":
            groups.pop()
        elif kind and kind not in _NO_DATA:
            fields.append(
                Field(
                    row["name"],
                    kind,
                    rest[0] if rest else None,
                    tuple(groups),
                    row.get(EN_LABEL, ""),
                )
            )
    return fields


def _choice_lists(rows: list[dict[str, str]]) -> dict[str, tuple[tuple[str, str], ...]]:
    lists: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        lists.setdefault(row["list_name"], []).append((row["name"], row.get(EN_LABEL, "")))
    return {name: tuple(items) for name, items in lists.items()}
