"""Ingest one table: read its files, type, deduplicate, validate, flag, join, protect.

The steps, in order (each in its own module):

1. read each file (:func:`evaluation.readers.read_export`), map its columns to the form
   (:mod:`.mapping`, :mod:`.renames`) and type its values (:mod:`.convert`);
2. stack the files; drop exact copies and quarantine shared ids (:mod:`.duplicates`);
3. check relevance, required answers and constraints (:mod:`.validate`);
4. flag refusals, short interviews and outliers (:mod:`.flags`);
5. join the sampling frame, if the table has a design (:mod:`.design`);
6. every row with a problem goes to quarantine (:mod:`.quarantine`); the others are
   cleaned of personal data (:mod:`.personal`) and become the clean table.

Every row read is accepted or quarantined: ``rows_read == rows_accepted +
rows_quarantined`` holds per file, and is checked before anything is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evaluation.errors import DesignError, ParamsError, did_you_mean
from evaluation.ingest.choices import ChoiceBook
from evaluation.ingest.config import TableConfig
from evaluation.ingest.convert import FilePart, Settings, convert_file
from evaluation.ingest.design import join_frame, read_frame
from evaluation.ingest.duplicates import (
    drop_exact_copies,
    quarantine_shared_ids,
    quarantine_shared_keys,
)
from evaluation.ingest.flags import (
    assent_question,
    flag_outliers,
    flag_refusals,
    flag_short_interviews,
)
from evaluation.ingest.mapping import check_form_match, map_columns, table_questions
from evaluation.ingest.personal import Protected, protect
from evaluation.ingest.problems import Flags, Problems
from evaluation.ingest.quarantine import ROW_METADATA, quarantine_lines
from evaluation.ingest.renames import apply_probable_renames
from evaluation.ingest.validate import Checks, validate
from evaluation.instruments import Instrument
from evaluation.privacy import Pseudonymiser
from evaluation.readers import read_export

METADATA_COLUMNS = (
    "_submission_id",
    "_source_file",
    "_source_row",
    "_submitted_at",
    "_enumerator",
    "_duration_min",
    "_flags",
)


@dataclass
class Context:
    """What every table of one ingest shares."""

    timezone: str = "Europe/Tirane"
    missing_values: tuple[str, ...] = ()
    pseudonymiser: Callable[[], Pseudonymiser] | None = None
    other_forms: Sequence[Path] = ()
    raw_dir: Path | None = None
    today: dt.date | None = None


@dataclass
class TableResult:
    """A table's clean rows, quarantine lines and log entries."""

    name: str
    instrument: Instrument
    clean: pd.DataFrame
    quarantine: pd.DataFrame
    files: list[dict[str, Any]]
    summary: dict[str, Any]
    protected: Protected


def ingest_table(
    table: TableConfig, instrument: Instrument, paths: Sequence[Path], context: Context
) -> TableResult:
    """Ingest the files of one table (see the module docstring for the steps).

    Raises
    ------
    DataError
        A file cannot be read or is not an export of the form.
    DesignError
        The sampling frame is unusable.
    PrivacyError
        A linking column needs a pseudonymisation key and there is none.
    ParamsError
        The table config names questions the form does not have.
    """
    _check_config(table, instrument)
    if not paths:
        raise ParamsError(f"table '{table.name}' has no files to ingest; list at least one")
    settings = Settings(instrument, ChoiceBook(instrument), table, context.timezone)
    parts = [_read_file(path, instrument, table, settings, context) for path in paths]
    stacked = _stack(parts, [q.key for q in table_questions(instrument)])
    review = _review(stacked, table, instrument, context)
    data = stacked.data
    questions = _question_columns(data, instrument)
    accepted = review.accepted
    protected = protect(
        data.loc[accepted, questions].reset_index(drop=True), instrument, table, _key(context)
    )
    clean = _clean(protected, review.design, data, accepted)
    found = stacked.problems.frame()
    lines = quarantine_lines(
        table.name,
        found,
        stacked.files,
        stacked.names,
        data[list(ROW_METADATA)],
        protected.personal,
    )
    files = [
        _file_entry(part, i, stacked, found, accepted, table.name) for i, part in enumerate(parts)
    ]
    summary = {
        "rows": len(clean),
        "columns": len(clean.columns),
        "instrument": {"form_id": instrument.form_id, "version": instrument.version},
        "short_interview_threshold_min": review.threshold,
        "blanked_not_relevant": review.checks.blanked,
        "notes": review.checks.notes,
    }
    return TableResult(table.name, instrument, clean, lines, files, summary, protected)


@dataclass
class _Review:
    """What checking the stacked rows decided: accepted rows, the joined design columns,
    the short-interview threshold and validation notes."""

    accepted: np.ndarray
    design: pd.DataFrame | None
    threshold: float | None
    checks: Checks


def _review(
    stacked: _Stacked, table: TableConfig, instrument: Instrument, context: Context
) -> _Review:
    """Duplicates, form rules, flags and the design join; sets ``_flags``."""
    data, problems, flags = stacked.data, stacked.problems, stacked.flags
    where = (stacked.files, stacked.rows, stacked.names)
    kept = drop_exact_copies(stacked.hashes, *where, problems)
    quarantine_shared_ids(data["_submission_id"], kept, *where, problems)
    quarantine_shared_keys(data, table.unique, kept, *where, problems)
    checks = validate(data, instrument, stacked.present, kept, problems, flags, context.today)
    refused = flag_refusals(data, assent_question(instrument, table), flags)
    threshold = flag_short_interviews(data["_duration_min"], kept & ~refused, table, flags)
    design = _design(table, data, kept, problems, context)
    accepted = np.ones(len(data), dtype=bool)
    accepted[problems.rows()] = False
    flag_outliers(data, instrument, accepted, accepted, table.outlier_iqr, flags)
    data["_flags"] = pd.array(flags.column(len(data)), dtype="string")
    return _Review(accepted, design, threshold, checks)


# --------------------------------------------------------------------------- steps
def _check_config(table: TableConfig, instrument: Instrument) -> None:
    names = {q.key for q in table_questions(instrument)}
    asked = [*table.unique, *table.missing_values, *([table.assent] if table.assent else [])]
    if table.design is not None:
        asked.append(table.design.join_on)
    for name in asked:
        if name not in names:
            raise ParamsError(
                f"table '{table.name}' names question '{name}', which form "
                f"'{instrument.form_id}' does not have{did_you_mean(name, names)}; fix "
                "params/datasets.yaml"
            )


def _read_file(
    path: Path, instrument: Instrument, table: TableConfig, settings: Settings, context: Context
) -> FilePart:
    raw = read_export(
        path,
        sheet=table.sheet,
        encoding=table.encoding,
        delimiter=table.delimiter,
        na_values=context.missing_values,
    )
    columns = list(raw.frame.columns)
    mapping = map_columns(instrument, columns, table.renames)
    check_form_match(mapping, instrument, columns, path.name, context.other_forms)
    apply_probable_renames(mapping, instrument, raw.frame, raw.value_labels, settings.book)
    return convert_file(raw, mapping, settings)


@dataclass
class _Stacked:
    data: pd.DataFrame
    problems: Problems
    flags: Flags
    files: np.ndarray
    rows: np.ndarray
    hashes: np.ndarray
    names: list[str]
    present: dict[str, np.ndarray]


def _stack(parts: list[FilePart], keys: list[str]) -> _Stacked:
    sizes = [len(p.data) for p in parts]
    problems, flags = Problems(), Flags()
    offset = 0
    for part, size in zip(parts, sizes, strict=True):
        problems.extend(part.problems, offset)
        flags.extend(part.flags, offset)
        offset += size
    data = (
        pd.concat([p.data for p in parts], ignore_index=True) if len(parts) > 1 else parts[0].data
    )
    files = np.repeat(np.arange(len(parts)), sizes)
    present = {k: np.repeat([k in p.present for p in parts], sizes) for k in keys}
    return _Stacked(
        data=data.reset_index(drop=True),
        problems=problems,
        flags=flags,
        files=files,
        rows=data["_source_row"].to_numpy(dtype=np.int64),
        hashes=np.concatenate([p.content_hash for p in parts]),
        names=[p.raw.path.name for p in parts],
        present=present,
    )


def _design(
    table: TableConfig, data: pd.DataFrame, kept: np.ndarray, problems: Problems, context: Context
) -> pd.DataFrame | None:
    if table.design is None:
        return None
    raw_dir = context.raw_dir or Path(".")
    frame, _ = read_frame(raw_dir / table.design.frame, table.design)
    clash = [c for c in frame.columns if c in data.columns]
    if clash:
        raise DesignError(
            f"sampling frame columns {clash} have the names of questions of table "
            f"'{table.name}'; leave them out of design.columns in params/datasets.yaml"
        )
    return join_frame(data[table.design.join_on], frame, kept, table.design.join_on, problems)


def _question_columns(data: pd.DataFrame, instrument: Instrument) -> list[str]:
    keys = {q.key for q in table_questions(instrument)}
    return [c for c in data.columns if c in keys or c.split("__")[0] in keys]


def _key(context: Context) -> Callable[[], Pseudonymiser]:
    def missing() -> Pseudonymiser:
        from evaluation.privacy import load_key

        return Pseudonymiser(load_key(None))

    return context.pseudonymiser or missing


def _clean(
    protected: Protected, design: pd.DataFrame | None, data: pd.DataFrame, accepted: np.ndarray
) -> pd.DataFrame:
    parts = [protected.data]
    if design is not None:
        parts.append(design.loc[accepted].reset_index(drop=True))
    parts.append(data.loc[accepted, list(METADATA_COLUMNS)].reset_index(drop=True))
    return pd.concat(parts, axis=1)


def _file_entry(
    part: FilePart,
    index: int,
    stacked: _Stacked,
    problems: pd.DataFrame,
    accepted: np.ndarray,
    table: str,
) -> dict[str, Any]:
    mine = stacked.files == index
    found = (
        problems[stacked.files[problems["row"].to_numpy()] == index] if len(problems) else problems
    )
    read = int(mine.sum())
    quarantined = int(found["row"].nunique()) if len(found) else 0
    dropped = (
        int(found.loc[found["action"] == "dropped_duplicate", "row"].nunique()) if len(found) else 0
    )
    rows_accepted = int((accepted & mine).sum())
    if read != rows_accepted + quarantined or read != part.raw.rows_read:
        raise RuntimeError(
            f"bug: {part.raw.path.name}: rows read {read} != accepted {rows_accepted} + "
            f"quarantined {quarantined}"
        )
    rules = found.groupby("rule")["row"].nunique().to_dict() if len(found) else {}
    summary = part.raw.summary()
    return {
        "path": summary["path"],
        "file": part.raw.path.name,
        "sha256": summary["sha256"],
        "table": table,
        "format": summary["format"],
        "format_evidence": summary["format_evidence"],
        "encoding": summary["encoding"],
        "encoding_evidence": summary["encoding_evidence"],
        "delimiter": summary["delimiter"],
        "sheet": summary["sheet"],
        "rows_read": read,
        "rows_accepted": rows_accepted,
        "rows_quarantined": quarantined,
        "rows_dropped_duplicate": dropped,
        "columns": part.mapping.summary(),
        "rules": {str(k): int(v) for k, v in sorted(rules.items())},
        "flags": stacked.flags.counts(accepted & mine),
        "missing_values": part.missing_markers,
        "notes": [*summary["notes"], *part.mapping.notes, *part.notes],
    }
