"""Ingest part of a dataset: the tables of the files named, the other tables carried over.

``workbench ingest DATASET --input FILE [--input FILE ...]`` is what a field coordinator runs
when one export has been downloaded again (a corrected endline, a new month of cases). It
must never leave ``clean/`` with fewer tables than before, so:

* a FILE is one of the dataset's raw files (or a table's sampling frame), named as in
  ``params/datasets.yaml`` or given as its path in the raw folder; anything else is an error
  naming the dataset's files;
* the **table** is what is ingested again, from **all** its files: its duplicate, shared-id
  and short-interview rules span its files, so re-reading one file of a table alone would
  give a different (wrong) table;
* every other table is **carried over unchanged** from the previous ingest in ``clean/``:
  its Parquet file byte for byte, its ``quarantine.csv`` lines, and its entries in
  ``ingest_log.json`` (files, table summary, privacy), each file entry marked with
  ``carried_over_from`` (when the ingest that read it finished). The log's ``selection``
  says what was asked, what was re-ingested and what was carried over. A carried table whose
  raw file has changed since (its SHA-256 differs) is reported, so that it is not mistaken
  for current;
* without a previous ingest holding every other table (first run, or a table added to the
  configuration since), or when the previous ingest used another pseudonymisation key (the
  pseudonyms of the two runs would not match), nothing is written and the error says to run
  ``workbench ingest DATASET`` without ``--input``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evaluation.errors import DataError, ParamsError, PrivacyError, did_you_mean, format_values
from evaluation.ingest.config import DatasetConfig, TableConfig
from evaluation.ingest.outputs import LOG_NAME, QUARANTINE_NAME
from evaluation.ingest.quarantine import (
    QUARANTINE_COLUMNS,
    WHO_AND_WHEN,
    empty_quarantine,
    read_quarantine_file,
)

CARRIED_MARK = "carried_over_from"
"""Key of a log file entry that was carried over: when the ingest that read it finished."""


@dataclass
class Carried:
    """What the previous ingest wrote for the tables that are not ingested again.

    Attributes
    ----------
    tables : tuple of str
        The carried tables, in configuration order.
    parquet : dict of str to Path
        Each carried table's Parquet file in the previous ``clean/`` (copied as it is).
    files, summaries, instruments, privacy : list, dict, dict, dict
        Their entries of the previous ``ingest_log.json``.
    quarantine : DataFrame
        Their lines of the previous ``quarantine.csv`` (text, as written).
    key_fingerprint : str or None
        The previous ingest's key fingerprint.
    changed : list of str
        Raw files of carried tables whose SHA-256 differs from the one recorded.
    """

    tables: tuple[str, ...] = ()
    parquet: dict[str, Path] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    summaries: dict[str, Any] = field(default_factory=dict)
    instruments: dict[str, Any] = field(default_factory=dict)
    privacy: dict[str, Any] = field(default_factory=dict)
    quarantine: pd.DataFrame | None = None
    key_fingerprint: str | None = None
    changed: list[str] = field(default_factory=list)


def select_tables(config: DatasetConfig, inputs: Sequence[str | Path]) -> list[str]:
    """The tables of ``config`` that the ``inputs`` belong to, in configuration order.

    Parameters
    ----------
    config : DatasetConfig
        The dataset.
    inputs : sequence of str or Path
        File names as in the configuration (``youth_survey_endline.sav``) or paths of the
        files in the dataset's raw folder; a table's sampling frame selects its table.

    Raises
    ------
    ParamsError
        An input is not a file of the dataset, or is a file of that name outside its raw
        folder.
    """
    owners = _owners(config)
    chosen = set()
    for given in inputs:
        name = _configured_name(Path(given), config, owners)
        chosen.add(owners[name])
    return [t for t in config.tables if t in chosen]


def _owners(config: DatasetConfig) -> dict[str, str]:
    """Configured file (as written in the configuration) → its table."""
    owners = {f: t.name for t in config.tables.values() for f in t.files}
    for table in config.tables.values():
        if table.design is not None:
            owners.setdefault(table.design.frame, table.name)
    return owners


def _configured_name(given: Path, config: DatasetConfig, owners: Mapping[str, str]) -> str:
    text = str(given)
    if text in owners and not given.is_absolute():
        return text
    by_name = [f for f in owners if Path(f).name == given.name]
    if not by_name:
        raise ParamsError(
            f"--input {text}: not a file of dataset '{config.name}'"
            f"{did_you_mean(given.name, [Path(f).name for f in owners])}; its files are "
            f"{format_values(list(owners), limit=30)} (in {config.raw_dir})"
        )
    for name in by_name:
        if given.resolve() == (config.raw_dir / name).resolve():
            return name
    raise ParamsError(
        f"--input {text}: dataset '{config.name}' reads {by_name[0]} from its raw folder "
        f"{config.raw_dir}, not from {given.parent}; copy the new export into the raw folder "
        "(replacing the old one), then name it"
    )


def carry_over(config: DatasetConfig, tables: Sequence[str]) -> Carried:
    """Read the previous ingest's outputs of ``tables`` from the dataset's clean folder.

    Raises
    ------
    DataError
        There is no previous ingest, or it lacks one of ``tables`` (or its log or
        quarantine cannot be read), or it read other files for a table than the
        configuration now lists.
    """
    if not tables:
        return Carried(quarantine=empty_quarantine())
    folder = config.clean_dir
    again = f"run `workbench ingest {config.name}` without --input to ingest every table"
    log = _previous_log(folder, again)
    carried = Carried(
        tables=tuple(tables),
        key_fingerprint=log.get("key_fingerprint"),
        quarantine=_previous_lines(folder, tables, again),
    )
    finished = str(log.get("finished", "an earlier ingest"))
    for name in tables:
        _carry_table(carried, config.tables[name], folder, log, finished, again, config)
    return carried


def _carry_table(
    carried: Carried,
    table: TableConfig,
    folder: Path,
    log: Mapping[str, Any],
    finished: str,
    again: str,
    config: DatasetConfig,
) -> None:
    parquet = folder / f"{table.name}.parquet"
    entries = [e for e in log.get("files", []) if e.get("table") == table.name]
    summary = log.get("tables", {}).get(table.name)
    if not parquet.is_file() or summary is None:
        raise DataError(
            f"table '{table.name}' cannot be carried over: the previous ingest in {folder} "
            f"has no {parquet.name}; {again}"
        )
    read = sorted(e.get("file", "") for e in entries)
    if read != sorted(Path(f).name for f in table.files):
        raise DataError(
            f"table '{table.name}' cannot be carried over: the previous ingest read "
            f"{format_values(read)}, the configuration now lists {format_values(table.files)}; "
            f"{again}"
        )
    carried.parquet[table.name] = parquet
    carried.summaries[table.name] = summary
    carried.instruments[table.name] = log.get("instruments", {}).get(table.name)
    carried.privacy[table.name] = log.get("privacy", {}).get("by_table", {}).get(table.name)
    paths = {Path(f).name: config.raw_dir / f for f in table.files}
    for entry in entries:
        carried.files.append({**entry, CARRIED_MARK: entry.get(CARRIED_MARK, finished)})
        if _sha256(paths[entry["file"]]) != entry.get("sha256"):
            carried.changed.append(entry["file"])


def check_same_key(carried: Carried, fingerprint: str | None) -> None:
    """Refuse to mix pseudonyms made with two keys in one clean folder.

    Raises
    ------
    PrivacyError
        Both runs used a key and the keys differ.
    """
    previous = carried.key_fingerprint
    if carried.tables and previous and fingerprint and previous != fingerprint:
        raise PrivacyError(
            f"the pseudonymisation key (fingerprint {fingerprint}) is not the one the carried "
            f"tables {format_values(carried.tables)} were ingested with ({previous}), so their "
            "pseudonyms would not match; ingest every table with one key (without --input)"
        )


def _previous_log(folder: Path, again: str) -> dict[str, Any]:
    path = folder / LOG_NAME
    if not path.is_file():
        raise DataError(
            f"--input ingests only some tables and carries the others over from the previous "
            f"ingest, but {folder} holds none; {again}"
        )
    try:
        log = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: cannot be read ({error}); {again}") from None
    if not isinstance(log, dict):
        raise DataError(f"{path}: not an ingest log; {again}")
    return log


def _previous_lines(folder: Path, tables: Sequence[str], again: str) -> pd.DataFrame:
    try:
        lines = read_quarantine_file(folder / QUARANTINE_NAME)
    except DataError as error:
        raise DataError(f"{error}; or {again}") from None
    chosen = lines[lines["table"].isin(list(tables))]
    return chosen[[*QUARANTINE_COLUMNS, *WHO_AND_WHEN]].reset_index(drop=True)


def _sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()
