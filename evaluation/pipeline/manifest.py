"""``manifest.json``: what a run read, what it wrote, with which software, and how long it took.

Keys (``schema_version`` 1): ``run_id``, ``report``, ``status`` (``published`` or
``failed``), ``params`` (resolved), ``languages``, ``inputs`` and ``outputs`` (each
``path``, ``sha256``, ``bytes``; inputs also ``role``: ``notebook``, ``params`` or ``data``),
``notes`` (method notes per language), ``versions`` (Python and packages), ``git``
(``commit`` or ``"unknown"``, ``dirty``), ``started`` and ``finished`` (ISO 8601 UTC),
``timings`` (seconds per notebook and per cell, the kernels' CPU seconds, rendering, the
number of ``workers`` and the kernels' BLAS/OpenMP ``kernel_threads``), ``error`` (or
``null``).
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import subprocess
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from evaluation.params import display_path
from evaluation.pipeline.records import is_records_file, sha256_path, size_of

MANIFEST_FILE = "manifest.json"
SCHEMA_VERSION = 1

PACKAGES: tuple[str, ...] = (
    "evaluation",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "matplotlib",
    "pyarrow",
    "openpyxl",
    "pyxform",
    "pyreadstat",
    "papermill",
    "nbconvert",
    "nbformat",
    "nbclient",
    "ipykernel",
    "pyyaml",
)


def utc_now() -> dt.datetime:
    """The current time in UTC, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def iso(moment: dt.datetime) -> str:
    """``2026-10-28T10:15:30Z``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def package_versions() -> dict[str, str]:
    """Python and the installed version of each package in :data:`PACKAGES`."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_state(root: Path) -> dict[str, Any]:
    """``{"commit": <sha> | "unknown", "dirty": bool | None}`` for the project at ``root``."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(root), *args],
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if not commit:
        return {"commit": "unknown", "dirty": None}
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def file_entry(path: Path, root: Path, **extra: Any) -> dict[str, Any]:
    """``{"path", "sha256", "bytes", **extra}`` for one file or folder."""
    return {
        "path": display_path(path, root),
        "sha256": sha256_path(path),
        "bytes": size_of(path),
        **extra,
    }


def output_entries(run_dir: Path) -> list[dict[str, Any]]:
    """Every file in the run folder except the manifest and the record sidecars, sorted."""
    files = sorted(
        p
        for p in run_dir.rglob("*")
        if p.is_file() and p.name != MANIFEST_FILE and not is_records_file(p.name)
    )
    return [
        {
            "path": p.relative_to(run_dir).as_posix(),
            "sha256": sha256_path(p),
            "bytes": p.stat().st_size,
        }
        for p in files
    ]


def data_inputs(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The data files the notebook recorded, once per (path, SHA-256), in recording order."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for record in records:
        if record.get("kind") != "input":
            continue
        key = (record["path"], record["sha256"])
        entry = seen.setdefault(
            key,
            {
                "path": record["path"],
                "sha256": record["sha256"],
                "bytes": record["bytes"],
                "role": "data",
                "languages": [],
            },
        )
        language = record.get("language")
        if language and language not in entry["languages"]:
            entry["languages"].append(language)
    return list(seen.values())


def notes_by_language(records: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    """Method notes recorded by the notebook, per language, without repeats."""
    notes: dict[str, list[str]] = {}
    for record in records:
        if record.get("kind") == "note":
            texts = notes.setdefault(record.get("language") or "", [])
            if record["text"] not in texts:
                texts.append(record["text"])
    return notes


def write_manifest(run_dir: Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest.json`` (UTF-8, indented, keys in the documented order)."""
    path = run_dir / MANIFEST_FILE
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_manifest(run_dir: Path) -> dict[str, Any]:
    """The manifest of a run folder."""
    return json.loads((Path(run_dir) / MANIFEST_FILE).read_text(encoding="utf-8"))
