"""Run an ingest: a dataset of ``params/datasets.yaml``, or one-off files with a form.

:func:`ingest_dataset` and :func:`ingest_files` read every file, build every table, check
that every row is accounted for, and only then write the outputs atomically
(:mod:`.outputs`). A file or a form that cannot be used stops the run with one
:class:`~evaluation.errors.WorkbenchError` naming it, and the last good outputs stay.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evaluation import __version__
from evaluation.errors import PrivacyError
from evaluation.ingest.config import DatasetConfig, TableConfig, dataset_config
from evaluation.ingest.outputs import LOG_NAME, QUARANTINE_NAME, check_target, write_outputs
from evaluation.ingest.quarantine import empty_quarantine
from evaluation.ingest.subset import (
    CARRIED_MARK,
    Carried,
    carry_over,
    check_same_key,
    select_tables,
)
from evaluation.ingest.table import Context, TableResult, ingest_table
from evaluation.instruments import read_instrument
from evaluation.paths import instruments_dir
from evaluation.privacy import Pseudonymiser, PseudonymKey, load_key

DEMO_MARK = "evaluation.synth"
"""truth.json's ``generated_by`` starts with this in a demo world."""


@dataclass(frozen=True)
class IngestResult:
    """What an ingest wrote: the clean folder and its log (see ``ingest_log.json``)."""

    out: Path
    log: Mapping[str, Any]

    def lines(self) -> list[str]:
        """One line per file, ``file: read N, accepted A, quarantined Q (rule n, ...)``, and
        ``; carried over unchanged from the ingest of <time>`` for a table not ingested again."""
        out = []
        for entry in self.log["files"]:
            rules = ", ".join(f"{rule} {n}" for rule, n in entry["rules"].items())
            carried = entry.get(CARRIED_MARK)
            out.append(
                f"{entry['file']}: read {entry['rows_read']:,}, accepted "
                f"{entry['rows_accepted']:,}, quarantined {entry['rows_quarantined']:,}"
                + (f" ({rules})" if rules else "")
                + (f"; carried over unchanged from the ingest of {carried}" if carried else "")
            )
        return out

    def describe(self) -> str:
        """The per-file lines and where the outputs are, for the command line."""
        tables = ", ".join(f"{t}.parquet" for t in self.log["tables"])
        return "\n".join(
            [
                *self.lines(),
                *_selection_lines(self.log.get("selection")),
                f"Clean tables ({tables}), {QUARANTINE_NAME} and {LOG_NAME} in {self.out}",
            ]
        )


def ingest_dataset(
    name: str,
    *,
    inputs: Sequence[str | Path] = (),
    root: Path | None = None,
    config_file: Path | None = None,
    today: dt.date | None = None,
) -> IngestResult:
    """Ingest dataset ``name`` of ``params/datasets.yaml`` into its clean folder.

    Parameters
    ----------
    name : str
        The dataset (e.g. ``demo``).
    inputs : sequence of str or Path, optional
        Ingest only the tables these raw files belong to (names as in the configuration,
        or paths in the raw folder), each from all its files, and carry every other table
        over unchanged from the previous ingest (see :mod:`evaluation.ingest.subset`).
        Default: every table.
    root : Path, optional
        The project root (default: :func:`evaluation.paths.project_root`).
    config_file : Path, optional
        Another datasets YAML (default ``params/datasets.yaml``).
    today : date, optional
        What ``today()`` means in the forms' expressions (default: the computer's date).

    Returns
    -------
    IngestResult

    Raises
    ------
    ParamsError, DataError, DesignError, InstrumentError, PrivacyError
        With one line naming the file or setting and what to do; nothing is written.

    Examples
    --------
    >>> ingest_dataset("demo").lines()  # doctest: +SKIP
    ['youth_survey_baseline.csv: read 1,208, accepted 1,185, quarantined 23 (...)', ...]
    """
    config = dataset_config(name, config_file, root)
    check_target(config.clean_dir, [config.raw_dir])
    chosen = select_tables(config, inputs) if inputs else list(config.tables)
    carried = carry_over(config, [t for t in config.tables if t not in chosen])
    key = _dataset_key(config)
    context = Context(
        timezone=config.timezone,
        missing_values=config.missing_values,
        pseudonymiser=key,
        other_forms=sorted(config.instruments_dir.glob("*.xlsx")),
        raw_dir=config.raw_dir,
        today=today,
    )
    tables = [config.tables[t] for t in chosen]
    forms = {t.name: read_instrument(config.instrument_path(t)) for t in tables}
    started = _now()
    results = [
        ingest_table(table, forms[table.name], _raw_paths(config, table), context)
        for table in tables
    ]
    selection = _selection(inputs, chosen, carried) if inputs else None
    return _publish(
        config.clean_dir,
        results,
        name,
        started,
        key,
        config.timezone,
        carried=carried,
        order=list(config.tables),
        selection=selection,
    )


def ingest_files(
    instrument: str | Path,
    inputs: Sequence[str | Path],
    out: str | Path,
    *,
    key: PseudonymKey | None = None,
    missing_values: Iterable[str] = (),
    timezone: str = "Europe/Tirane",
    today: dt.date | None = None,
) -> IngestResult:
    """Ingest one-off export files of one form into ``out``.

    Parameters
    ----------
    instrument : str or Path
        The XLSForm file.
    inputs : sequence of paths
        The export files; they are stacked into one table named after the form id.
    out : str or Path
        The output folder (replaced atomically; never a raw folder).
    key : PseudonymKey, optional
        The pseudonymisation key; by default read from the environment when a linking
        column needs it (``WORKBENCH_PSEUDONYM_KEY`` / ``WORKBENCH_PSEUDONYM_KEY_FILE``).
    missing_values : iterable of str
        Missing markers besides the empty cell (``NA``, ``n/a``, ``999``…).
    timezone : str
        Time zone of device times written without an offset.
    today : date, optional
        What ``today()`` means in expressions.

    Raises
    ------
    DataError, InstrumentError, PrivacyError, ParamsError
        As :func:`ingest_dataset`.
    """
    form_path = Path(instrument)
    paths = [Path(p) for p in inputs]
    out = Path(out)
    check_target(
        out, {p.parent for p in paths if p.parent.name == "raw" or is_demo_world(p.parent)}
    )
    form = read_instrument(form_path)
    table = TableConfig(
        name=form.form_id, instrument=str(form_path), files=tuple(p.name for p in paths)
    )
    pseudonymiser = _cached(lambda: Pseudonymiser(key if key is not None else load_key(None)))
    others = {*form_path.parent.glob("*.xlsx"), *instruments_dir().glob("*.xlsx")} - {form_path}
    context = Context(
        timezone=timezone,
        missing_values=tuple(missing_values),
        pseudonymiser=pseudonymiser,
        other_forms=sorted(others),
        raw_dir=paths[0].parent if paths else None,
        today=today,
    )
    started = _now()
    result = ingest_table(table, form, paths, context)
    return _publish(out, [result], None, started, pseudonymiser, timezone)


# --------------------------------------------------------------------------- helpers
def _raw_paths(config: DatasetConfig, table: TableConfig) -> list[Path]:
    return [config.raw_dir / f for f in table.files]


def _dataset_key(config: DatasetConfig) -> Callable[[], Pseudonymiser]:
    def load() -> Pseudonymiser:
        spec = config.pseudonym_key
        if spec.strip().lower() == "demo" and not is_demo_world(config.raw_dir):
            raise PrivacyError(
                f"dataset '{config.name}': pseudonym_key: demo is the public demo key, allowed "
                f"only for the demo world (a raw folder written by `workbench demo-data`), and "
                f"{config.raw_dir} is not one; name a key file or use 'env' in "
                f"{config.source}"
            )
        return Pseudonymiser(load_key(spec))

    return _cached(load)


def is_demo_world(raw_dir: Path) -> bool:
    """Whether ``raw_dir`` holds a demo world (its ``truth.json`` says it was generated)."""
    try:
        truth = json.loads((raw_dir / "truth.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(truth, dict) and str(truth.get("generated_by", "")).startswith(DEMO_MARK)


def _cached(load: Callable[[], Pseudonymiser]) -> Callable[[], Pseudonymiser]:
    made: list[Pseudonymiser] = []

    def get() -> Pseudonymiser:
        if not made:
            made.append(load())
        return made[0]

    get.loaded = made  # type: ignore[attr-defined]
    return get


def _publish(
    out: Path,
    results: list[TableResult],
    dataset: str | None,
    started: str,
    key: Callable[[], Pseudonymiser],
    timezone: str,
    *,
    carried: Carried | None = None,
    order: Sequence[str] = (),
    selection: Mapping[str, Any] | None = None,
) -> IngestResult:
    """Write the tables ingested now and those ``carried`` over, in ``order``."""
    carried = carried or Carried()
    loaded = getattr(key, "loaded", [])
    fingerprint = loaded[0].fingerprint if loaded else None
    check_same_key(carried, fingerprint)
    new = {r.name: r for r in results}
    names = [t for t in order if t in new or t in carried.tables] or list(new)
    instruments = {
        **carried.instruments,
        **{
            r.name: {"form_id": r.instrument.form_id, "version": r.instrument.version}
            for r in results
        },
    }
    log = {
        "dataset": dataset,
        "instruments": {t: instruments[t] for t in names},
        "started": started,
        "finished": _now(),
        "workbench_version": __version__,
        "key_fingerprint": fingerprint or carried.key_fingerprint,
        "timezone": timezone,
        "files": [
            entry for t in names for entry in (new[t].files if t in new else _files_of(carried, t))
        ],
        "tables": {t: new[t].summary if t in new else carried.summaries[t] for t in names},
        "privacy": _privacy(results, carried.privacy, names),
        **({"selection": dict(selection)} if selection else {}),
    }
    tables = {
        r.name: (
            r.clean,
            {"table": r.name, **log["instruments"][r.name], "workbench_version": __version__},
        )
        for r in results
    }
    lines = [
        new[t].quarantine if t in new else carried.quarantine[carried.quarantine["table"] == t]
        for t in names
    ]
    lines = [part for part in lines if len(part)]
    quarantine = pd.concat(lines, ignore_index=True) if lines else empty_quarantine()
    write_outputs(out, tables, quarantine, log, copies=carried.parquet)
    return IngestResult(out, log)


def _files_of(carried: Carried, table: str) -> list[dict[str, Any]]:
    return [entry for entry in carried.files if entry.get("table") == table]


def _selection(
    inputs: Sequence[str | Path], chosen: Sequence[str], carried: Carried
) -> dict[str, Any]:
    return {
        "inputs": [str(p) for p in inputs],
        "ingested": list(chosen),
        "carried_over": list(carried.tables),
        "changed_since": list(carried.changed),
        "rule": "a table is ingested from all its files; the other tables are carried over "
        "unchanged from the previous ingest",
    }


def _selection_lines(selection: Mapping[str, Any] | None) -> list[str]:
    """What ``--input`` chose, in words, for the command line."""
    if not selection:
        return []
    lines = [
        f"Ingested again: {', '.join(selection['ingested'])} (each from all its files). "
        f"Carried over unchanged: {', '.join(selection['carried_over']) or 'nothing'}."
    ]
    for name in selection["changed_since"]:
        lines.append(
            f"Warning: {name} has changed since its table was ingested (its SHA-256 differs); "
            "its carried-over table is out of date: name it with --input, or run without --input"
        )
    return lines


def _privacy(
    results: list[TableResult], carried: Mapping[str, Any], names: Sequence[str]
) -> dict[str, Any]:
    made = {
        r.name: {
            "dropped": r.protected.dropped,
            "pseudonymised": r.protected.pseudonymised,
            "scrubbed": r.protected.scrubbed,
            "kept": r.protected.kept,
            "log": r.protected.log.to_dict(orient="records"),
        }
        for r in results
    }
    by_table = {t: made[t] if t in made else carried.get(t) or {} for t in names}

    def union(what: str) -> list[str]:
        return sorted({c for entry in by_table.values() for c in entry.get(what, [])})

    return {
        "dropped": union("dropped"),
        "pseudonymised": union("pseudonymised"),
        "scrubbed": union("scrubbed"),
        "by_table": by_table,
    }


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
