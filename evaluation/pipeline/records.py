"""Fingerprints of files, and the run's record sidecar that notebooks append to.

While a notebook runs, ``record_input`` and ``add_note`` append one JSON object per line to a
sidecar in the run folder; the pipeline reads the sidecars back into ``manifest.json`` (and
the HTML footer) and then removes them. Each execution has its own sidecar,
``records.<language>.jsonl``, named to its kernel by ``WORKBENCH_RECORDS``: the two languages
of a report run at the same time, and reading the sidecars back in language order gives the
same manifest as running them one after the other. Without that variable (JupyterLab, plain
papermill, tests) events go to ``records.jsonl``. One line per event keeps appends whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

RECORDS_FILE = "records.jsonl"
ENV_RUN_DIR = "WORKBENCH_RUN_DIR"
ENV_RUN_ID = "WORKBENCH_RUN_ID"
ENV_REPORT = "WORKBENCH_REPORT"
ENV_RECORDS = "WORKBENCH_RECORDS"
"""Names the sidecar (a file name in the run folder) that this kernel's events go to."""

_SIDECAR = re.compile(r"^records(\.[A-Za-z0-9_-]+)?\.jsonl$")

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


def records_file(language: str) -> str:
    """The sidecar of one execution: ``records.<language>.jsonl``."""
    return f"records.{language}.jsonl"


def is_records_file(name: str) -> bool:
    """True for ``records.jsonl`` and every ``records.<language>.jsonl``."""
    return bool(_SIDECAR.match(name))


def append_record(run_dir: Path, record: dict[str, Any]) -> None:
    """Append one event to this execution's sidecar (one JSON line, flushed)."""
    line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
    with open(Path(run_dir) / _own_sidecar(), "a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def read_records(run_dir: Path, languages: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Events recorded in the run folder, in order (empty if none).

    Parameters
    ----------
    run_dir : Path
        The run folder.
    languages : sequence of str, optional
        Read ``records.jsonl`` and then ``records.<language>.jsonl`` for each language in
        this order (the pipeline, building the manifest). Without it, a kernel started by
        the pipeline reads only its own execution's sidecar (``WORKBENCH_RECORDS``), so what
        one language sees never depends on how far the other has got; anywhere else every
        sidecar is read, ``records.jsonl`` first and the rest by name.
    """
    run_dir = Path(run_dir)
    if languages is not None:
        names = [RECORDS_FILE, *(records_file(lang) for lang in languages)]
    elif os.environ.get(ENV_RECORDS):
        names = [_own_sidecar()]
    else:
        found = sorted(p.name for p in run_dir.glob("records*.jsonl") if is_records_file(p.name))
        names = sorted(found, key=lambda name: name != RECORDS_FILE)
    records: list[dict[str, Any]] = []
    for name in names:
        path = run_dir / name
        if path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()
            records += [json.loads(line) for line in lines if line.strip()]
    return records


def remove_records(run_dir: Path) -> None:
    """Delete every sidecar in the run folder (once the manifest holds their events)."""
    for path in Path(run_dir).glob("records*.jsonl"):
        if is_records_file(path.name):
            path.unlink(missing_ok=True)


def _own_sidecar() -> str:
    name = Path(os.environ.get(ENV_RECORDS) or RECORDS_FILE).name
    return name if is_records_file(name) else RECORDS_FILE
