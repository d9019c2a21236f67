"""What the checks read: the clean tables, the quarantine and the ingestion log of a dataset.

``workbench ingest DATASET`` writes ``surveys/data/<dataset>/clean/`` (see the ingestion
contract): ``<table>.parquet`` per table, ``quarantine.csv`` (one line per problem of every
quarantined row) and ``ingest_log.json``. :func:`load_clean` reads them, with the instrument
of each table, and records every file it read for the report's data sources.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evaluation.errors import DataError, InstrumentError, format_values
from evaluation.ingest.outputs import PARQUET_METADATA_KEY
from evaluation.ingest.quarantine import QUARANTINE_COLUMNS, read_quarantine_file
from evaluation.ingest.table import METADATA_COLUMNS
from evaluation.paths import data_dir, instruments_dir, project_root


@dataclass
class CleanData:
    """A dataset's clean tables and what ingestion said about them.

    Attributes
    ----------
    dataset : str
    folder : Path
        ``surveys/data/<dataset>/clean``.
    root : Path
        The project root.
    tables : dict of str to DataFrame
        Clean tables by name, in file-name order.
    instruments : dict of str to Instrument
        The questionnaire of each table (absent when it could not be found).
    quarantine : DataFrame
        ``quarantine.csv`` (``row`` as Int64; the other columns text).
    log : dict
        ``ingest_log.json``.
    inputs : list of Path
        Every file read, for the report's data sources.
    notes : list of str
        What could not be read, in English (for the analyst).
    """

    dataset: str
    folder: Path
    root: Path
    tables: dict[str, pd.DataFrame]
    instruments: dict[str, Any]
    quarantine: pd.DataFrame
    log: dict[str, Any]
    inputs: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def load_clean(
    dataset: str = "demo",
    root: Path | None = None,
    *,
    tables: Iterable[str] = (),
    record: Callable[[Path], object] | None = None,
) -> CleanData:
    """Read a dataset's clean folder.

    Parameters
    ----------
    dataset : str
        Folder under ``surveys/data/``.
    root : Path, optional
        Project root (default :func:`evaluation.paths.project_root`).
    tables : iterable of str
        Tables to read (default: every ``*.parquet``).
    record : callable, optional
        Called with each file read (``run.record_input`` in a notebook), so the report
        lists the files with their SHA-256.

    Returns
    -------
    CleanData

    Raises
    ------
    DataError
        If the clean folder, the log or a requested table is missing or unreadable.
    """
    root = Path(root or project_root())
    folder = data_dir(dataset, root) / "clean"
    if not folder.is_dir():
        raise DataError(
            f"no clean data for dataset '{dataset}': {folder} does not exist; run "
            f"`workbench ingest {dataset}` first"
        )
    wanted = list(tables)
    available = sorted(p.stem for p in folder.glob("*.parquet"))
    unknown = [t for t in wanted if t not in available]
    if unknown:
        raise DataError(
            f"dataset '{dataset}' has no clean table {format_values(unknown)}; it has "
            f"{format_values(available, limit=10)}. Fix 'tables' in params/quality.yaml"
        )
    names = wanted or available
    data = CleanData(dataset, folder, root, {}, {}, _empty_quarantine(), {})
    data.log = _read_log(folder / "ingest_log.json")
    data.inputs.append(folder / "ingest_log.json")
    quarantine = folder / "quarantine.csv"
    if quarantine.is_file():
        data.quarantine = read_quarantine(quarantine)
        data.inputs.append(quarantine)
    for name in names:
        path = folder / f"{name}.parquet"
        data.tables[name] = _read_table(path)
        data.inputs.append(path)
        instrument = _instrument_for(path, name, root, data.notes)
        if instrument is not None:
            data.instruments[name] = instrument
    if wanted:
        data.quarantine = data.quarantine[data.quarantine["table"].isin(wanted)]
    for path in data.inputs:
        if record is not None:
            record(path)
    return data


def read_quarantine(path: Path) -> pd.DataFrame:
    """``quarantine.csv`` as text columns (``row`` as Int64), every value kept as written.

    The contract's :data:`QUARANTINE_COLUMNS` must be there; ``enumerator``,
    ``submitted_at`` and ``interview_at`` are empty in a file written before them.

    Raises
    ------
    DataError
        If the file cannot be read or lacks a column of :data:`QUARANTINE_COLUMNS`.
    """
    frame = read_quarantine_file(path)
    frame["row"] = pd.array(pd.to_numeric(frame["row"], errors="coerce"), dtype="Int64")
    for column in frame.columns:
        if column != "row":
            frame[column] = frame[column].astype("string")
    return frame.reset_index(drop=True)


def _empty_quarantine() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="string") for c in QUARANTINE_COLUMNS})
    frame["row"] = pd.array([], dtype="Int64")
    return frame


def _read_log(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise DataError(
            f"{path} does not exist; the clean folder is incomplete. Run `workbench ingest` again"
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: not valid JSON ({error}); run the ingestion again") from None


def _read_table(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as error:  # pyarrow raises several types for damaged files
        raise DataError(
            f"{path}: cannot be read as Parquet ({type(error).__name__}: {error}); run the "
            "ingestion again"
        ) from None
    missing = [c for c in METADATA_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: no metadata column {format_values(missing)}; clean tables written by "
            "`workbench ingest` always have them"
        )
    return frame


def parquet_metadata(path: Path) -> dict[str, Any]:
    """The ``evaluation`` key-value metadata of a clean table (instrument, version, table)."""
    import pyarrow.parquet as pq

    metadata = pq.read_schema(path).metadata or {}
    raw = metadata.get(PARQUET_METADATA_KEY)
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _instrument_for(path: Path, table: str, root: Path, notes: list[str]) -> Any:
    from evaluation.instruments import read_instrument

    meta = parquet_metadata(path)
    candidates = [
        meta.get(key) for key in ("instrument", "instrument_id", "form_id") if meta.get(key)
    ]
    candidates = [c["id"] if isinstance(c, dict) and "id" in c else c for c in candidates]
    candidates.append(table)
    folder = instruments_dir(root)
    for name in dict.fromkeys(str(c) for c in candidates):
        for suffix in (".xlsx", ".xls", ".csv"):
            form = folder / f"{name}{suffix}"
            if form.is_file():
                try:  # ingestion has already checked the form with pyxform's converter
                    return read_instrument(form, convert=False)
                except InstrumentError as error:
                    notes.append(f"{table}: the instrument {form.name} cannot be read: {error}")
                    return None
    notes.append(
        f"{table}: no instrument found in {folder} (looked for {', '.join(map(str, candidates))}); "
        "question labels and relevance are not available"
    )
    return None
