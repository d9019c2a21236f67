"""Reading a form file into its sheets: XLSForm workbooks (with pyxform's readers) and Kobo JSON.

A :class:`_Workbook` keeps every sheet's headers as written and its rows with their
spreadsheet row numbers (or positions in a Kobo JSON survey), plus the input pyxform's
converter takes. A file that cannot be read adds a problem and gives ``None``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluation.errors import Problem
from evaluation.instruments.problems import _problem


# --------------------------------------------------------------------------- sheets
@dataclass
class _Sheet:
    """One sheet as pyxform read it: headers as written, rows with spreadsheet row numbers."""

    name: str
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]


@dataclass
class _Workbook:
    file: str
    sheet_names: list[str]
    sheets: dict[str, _Sheet]
    pyxform_input: dict[str, Any] | None = None


# --------------------------------------------------------------------------- XLSForm files
def _read_workbook(path: Path, problems: list[Problem]) -> _Workbook | None:
    from pyxform.errors import PyXFormError
    from pyxform.xls2json_backends import csv_to_dict, xls_to_dict, xlsx_to_dict

    suffix = path.suffix.lower()
    readers = {".xlsx": xlsx_to_dict, ".xlsm": xlsx_to_dict, ".xls": xls_to_dict}
    if suffix not in (*readers, ".csv"):
        problems.append(
            _problem(
                path,
                "unreadable",
                f"'{path.name}' is not an XLSForm file: expected .xlsx, .xls or .csv "
                "(or a Kobo form .json)",
            )
        )
        return None
    try:
        raw = csv_to_dict(str(path)) if suffix == ".csv" else readers[suffix](str(path))
    except (PyXFormError, UnicodeDecodeError, OSError, ValueError, KeyError, TypeError) as error:
        problems.append(_read_problem(path, error))
        return None
    line_numbers = _csv_line_numbers(path) if suffix == ".csv" else None
    sheets = {}
    for key, rows in raw.items():
        if key == "sheet_names" or key.endswith("_header"):
            continue
        header_rows = raw.get(f"{key}_header") or [{}]
        headers = [h for h in header_rows[0] if h]
        numbers = line_numbers.get(key, []) if line_numbers is not None else None
        numbered = [
            (numbers[i] if numbers is not None and i < len(numbers) else i + 2, row)
            for i, row in enumerate(rows)
        ]
        sheets[key] = _Sheet(key, headers, numbered)
    return _Workbook(path.name, list(raw.get("sheet_names", [])), sheets, raw)


def _read_problem(path: Path, error: Exception) -> Problem:
    message = str(error)
    if "Duplicate column header" in message:
        column = message.rsplit(":", 1)[-1].strip()
        return _problem(
            path,
            "duplicate_column",
            f"the column header '{column}' appears twice in one sheet; delete or rename one",
            column=column,
        )
    return _problem(
        path,
        "unreadable",
        f"'{path.name}' cannot be read as an XLSForm ({message}); open it in Excel and save "
        "it again as .xlsx",
    )


def _csv_line_numbers(path: Path) -> dict[str, list[int]]:
    """Line numbers of the data rows pyxform's CSV reader keeps, per sheet (same rules)."""
    numbers: dict[str, list[int]] = {}
    text = path.read_bytes().decode("utf-8", errors="replace")
    sheet = ""
    header_seen = False
    reader = csv.reader(io.StringIO(text, newline=""))
    for row in reader:
        if not row:
            continue
        if len(row) == 1:
            name, content = row[0], []
        else:
            name, content = row[0].strip(), [v.strip() for v in row[1:]]
        if name:
            sheet, header_seen = name.lower(), False
        if not any(content):
            continue
        if header_seen:
            numbers.setdefault(sheet, []).append(reader.line_num)
        header_seen = True
    return numbers


# --------------------------------------------------------------------------- Kobo JSON
def _read_kobo_json(path: Path, problems: list[Problem]) -> _Workbook | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        problems.append(_problem(path, "unreadable", f"'{path.name}' is not valid JSON: {error}"))
        return None
    content = document.get("content", document) if isinstance(document, dict) else None
    if not isinstance(content, dict) or not isinstance(content.get("survey"), list):
        problems.append(
            _problem(
                path,
                "missing_sheet",
                f"'{path.name}' has no Kobo form content (a 'survey' list, as in the asset's "
                "'content'); download the form JSON from /api/v2/assets/<uid>/",
                sheet="survey",
            )
        )
        return None
    translations = content.get("translations") or [None]
    translated = set(content.get("translated") or [])
    sheets = {
        "survey": _kobo_sheet("survey", content.get("survey", []), translations, translated),
        "choices": _kobo_sheet("choices", content.get("choices", []), translations, translated),
    }
    settings = content.get("settings") or {}
    if isinstance(settings, list):
        settings = settings[0] if settings else {}
    settings = {k: _kobo_cell(v) for k, v in settings.items() if _kobo_cell(v)}
    if "version" not in settings and isinstance(document.get("version"), str):
        settings["version"] = document["version"]
    sheets["settings"] = _Sheet("settings", list(settings), [(2, settings)] if settings else [])
    workbook = _Workbook(path.name, list(sheets), sheets)
    workbook.pyxform_input = {
        "survey": [row for _, row in sheets["survey"].rows],
        "survey_header": [dict.fromkeys(sheets["survey"].headers)],
        "choices": [row for _, row in sheets["choices"].rows],
        "choices_header": [dict.fromkeys(sheets["choices"].headers)],
        "settings": [settings] if settings else [],
        "settings_header": [dict.fromkeys(settings)],
        "sheet_names": ["survey", "choices", "settings"],
        "fallback_form_name": path.stem,
    }
    return workbook


def _kobo_sheet(
    name: str, items: list[Any], translations: list[Any], translated: set[str]
) -> _Sheet:
    rows: list[tuple[int, dict[str, str]]] = []
    headers: dict[str, None] = {}
    for position, item in enumerate(items, start=1):
        row: dict[str, str] = {}
        for key, value in (item if isinstance(item, dict) else {}).items():
            if key.startswith("$") or key == "select_from_list_name":
                continue
            if isinstance(value, list) or key in translated:
                values = value if isinstance(value, list) else [value]
                for language, text in zip(translations, values, strict=False):
                    column = f"{key}::{language}" if language else key
                    if _kobo_cell(text):
                        row[column] = _kobo_cell(text)
                    headers.setdefault(column)
            elif _kobo_cell(value):
                row[key] = _kobo_cell(value)
                headers.setdefault(key)
        if isinstance(item, dict):
            if not row.get("name") and item.get("$autoname"):
                row["name"] = str(item["$autoname"])
            if item.get("select_from_list_name"):
                row["type"] = f"{row.get('type', '')} {item['select_from_list_name']}".strip()
        headers.update(dict.fromkeys(row))
        rows.append((position, row))
    return _Sheet(name, list(headers), rows)


def _kobo_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
