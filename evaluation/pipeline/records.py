"""Fingerprints of files, and the run's record sidecar that notebooks append to.

While a notebook runs, ``record_input`` and ``add_note`` append one JSON object per line to
``<run folder>/records.jsonl``; the pipeline reads the file back into ``manifest.json`` (and
the HTML footer) and then removes it. One line per event keeps appends from concurrent
writers (two languages, library readers) whole.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

RECORDS_FILE = "records.jsonl"
ENV_RUN_DIR = "WORKBENCH_RUN_DIR"
ENV_RUN_ID = "WORKBENCH_RUN_ID"
ENV_REPORT = "WORKBENCH_REPORT"

_CHUNK = 1 << 20


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB chunks (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_path(path: str | Path) -> str:
    """SHA-256 of a file, or of a folder (e.g. a partitioned Parquet dataset).

    A folder's fingerprint is the SHA-256 of the lines ``<relative path>\\0<file SHA-256>\\n``
    over its files in sorted order, so it changes when any file's name or bytes change.
    """
    path = Path(path)
    if not path.is_dir():
        return sha256_file(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        rel = file.relative_to(path).as_posix()
        digest.update(f"{rel}\0{sha256_file(file)}\n".encode())
    return digest.hexdigest()


def size_of(path: str | Path) -> int:
    """Bytes in a file, or in all files of a folder."""
    path = Path(path)
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def append_record(run_dir: Path, record: dict[str, Any]) -> None:
    """Append one event to the run folder's sidecar (one JSON line, flushed)."""
    line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
    with open(Path(run_dir) / RECORDS_FILE, "a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def read_records(run_dir: Path) -> list[dict[str, Any]]:
    """Every event recorded in the run folder, in order (empty if none)."""
    path = Path(run_dir) / RECORDS_FILE
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
