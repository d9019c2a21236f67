"""Write an ingest's outputs atomically: clean tables, quarantine and log, or nothing.

Everything is written into a temporary folder next to the target (``.clean.tmp-…``), which
then takes the target's place by renaming; the previous outputs are removed only after the
new ones are in place. A failure at any point leaves the last good outputs untouched and
no partial folder behind. The target is never a raw-data folder, and an existing folder is
replaced only if it holds a previous ingest (an ``ingest_log.json``).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from evaluation.errors import DataError

LOG_NAME = "ingest_log.json"
QUARANTINE_NAME = "quarantine.csv"
PARQUET_METADATA_KEY = b"evaluation"


def check_target(target: Path, protected: Iterable[Path]) -> None:
    """Refuse a target inside a raw folder (or holding one), or a folder that is not ours.

    Raises
    ------
    DataError
        The target is, or is inside, a raw-data folder, or it is a non-empty folder that
        holds no ``ingest_log.json`` (it would be replaced as a whole).
    """
    resolved = target.resolve()
    for folder in protected:
        folder = folder.resolve()
        if resolved == folder or resolved.is_relative_to(folder) or folder.is_relative_to(resolved):
            raise DataError(
                f"output folder {target} is or holds the raw folder {folder}; raw exports are "
                "never written to: choose another output folder"
            )
    if resolved.exists() and not resolved.is_dir():
        raise DataError(f"output folder {target} is a file; choose a folder")
    if resolved.is_dir() and any(resolved.iterdir()) and not (resolved / LOG_NAME).is_file():
        raise DataError(
            f"output folder {target} is not empty and holds no {LOG_NAME}, so it is not the "
            "output of an earlier ingest; it would be replaced as a whole: choose an empty or "
            "new folder"
        )


def write_outputs(
    target: Path,
    tables: Mapping[str, tuple[pd.DataFrame, Mapping[str, Any]]],
    quarantine: pd.DataFrame,
    log: Mapping[str, Any],
    *,
    copies: Mapping[str, Path] | None = None,
) -> None:
    """Write ``<table>.parquet`` files, ``quarantine.csv`` and ``ingest_log.json`` into
    ``target``, replacing its previous content atomically.

    Parameters
    ----------
    target : Path
        The clean folder.
    tables : mapping
        Table name → (clean frame, metadata stored under the Parquet key ``evaluation``).
    quarantine : DataFrame
        The quarantine lines.
    log : mapping
        The ingest log (JSON-ready).
    copies : mapping, optional
        Table name → a Parquet file to copy as it is (a table carried over from the
        previous outputs, which may be in ``target`` itself).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        for name, (frame, metadata) in tables.items():
            write_parquet(frame, tmp / f"{name}.parquet", metadata)
        for name, source in (copies or {}).items():
            shutil.copy2(source, tmp / f"{name}.parquet")
        quarantine.to_csv(tmp / QUARANTINE_NAME, index=False, encoding="utf-8")
        (tmp / LOG_NAME).write_text(
            json.dumps(log, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
        )
        _swap(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_parquet(frame: pd.DataFrame, path: Path, metadata: Mapping[str, Any]) -> None:
    """Write ``frame`` with ``metadata`` as JSON under the key ``evaluation``."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    extra = json.dumps(metadata, ensure_ascii=False, default=str).encode("utf-8")
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), PARQUET_METADATA_KEY: extra}
    )
    pq.write_table(table, path)


def read_parquet_metadata(path: Path) -> dict[str, Any]:
    """The ``evaluation`` metadata of a clean table."""
    metadata = pq.read_schema(path).metadata or {}
    return json.loads(metadata.get(PARQUET_METADATA_KEY, b"{}"))


def _swap(tmp: Path, target: Path) -> None:
    if not target.exists():
        tmp.rename(target)
        return
    old = target.parent / f".{target.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    target.rename(old)
    try:
        tmp.rename(target)
    except BaseException:
        old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)
