"""The datasets configuration, ``params/datasets.yaml``: load it and validate it strictly.

Each dataset names its raw and clean folders, the pseudonymisation key, the missing-value
markers and its tables; each table names its instrument (XLSForm), its raw files and how
to read them. Unknown keys are errors with a "did you mean" hint, as in ``params/``::

    datasets:
      demo:
        raw_dir: surveys/data/demo/raw
        pseudonym_key: demo
        missing_values: ["NA", "n/a", "-"]
        tables:
          youth_survey:
            instrument: youth_survey
            files: [youth_survey_baseline.csv, youth_survey_endline.sav]
            design: {frame: sampling_frame.csv, join_on: school_code, frame_key: school_id}

Keys beyond the ingestion contract (all optional): per dataset ``timezone``; per table
``unique``, ``assent``, ``keep``, ``short_interview``, ``outlier_iqr``, ``read``; per design
``frame_key`` and ``columns``. :data:`TABLE_KEYS` documents each one.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation.errors import ParamsError, did_you_mean, format_values
from evaluation.params import Field, display_path, read_params_file
from evaluation.params import _validate as validate_schema
from evaluation.paths import instruments_dir, params_dir, project_root

DEFAULT_DESIGN_COLUMNS = (
    "stratum",
    "arm",
    "urban_rural",
    "unit",
    "weight",
    "weight_design",
    "pi_school",
    "pi_class",
    "pi_student",
)
"""Frame columns joined to the youth survey by default (``unit`` is read from the frame's
``unit`` or ``admin_unit`` column)."""

_STR_LIST = Field("list", items=Field("str"), unique=True)

DESIGN_KEYS: dict[str, Field] = {
    "frame": Field("str", help="sampling frame file in raw_dir (CSV or XLSX); required"),
    "join_on": Field("str", help="question holding the school code; required"),
    "frame_key": Field("str", help="frame column holding that code (default: join_on)"),
    "columns": Field(
        "list",
        items=Field("str"),
        unique=True,
        default=DEFAULT_DESIGN_COLUMNS,
        help="frame columns to join; missing optional ones are skipped",
    ),
}

SHORT_INTERVIEW_KEYS: dict[str, Field] = {
    "share_of_median": Field(
        "float", default=1 / 3, minimum=0, maximum=1, help="flag below this share of the median"
    ),
    "min_minutes": Field("float", default=0.0, minimum=0, help="flag below this many minutes"),
}

READ_KEYS: dict[str, Field] = {
    "sheet": Field("str", help="XLSX sheet to read (default: the first with column names)"),
    "encoding": Field("str", help="CSV text encoding (default: detected)"),
    "delimiter": Field("str", help="CSV delimiter (default: detected)"),
}

TABLE_KEYS: dict[str, Field] = {
    "instrument": Field("str", required=True, help="XLSForm in surveys/instruments/ (no .xlsx)"),
    "files": Field("list", required=True, items=Field("str"), unique=True, help="raw files"),
    "id": Field(
        "list",
        items=Field("str"),
        unique=True,
        help="submission id column(s), first present wins (default: _uuid, KEY, instanceID…)",
    ),
    "renames": Field("mapping", values=Field("str"), default={}, help="{file column: question}"),
    "design": Field("mapping", keys=DESIGN_KEYS, help="youth survey: join the sampling frame"),
    "free_text_allowed": Field(
        "list", items=Field("str"), unique=True, default=(), help="free text kept (scrubbed)"
    ),
    "missing_values": Field(
        "mapping", values=_STR_LIST, default={}, help="{question: [extra missing markers]}"
    ),
    "unique": Field(
        "list",
        items=Field("str"),
        unique=True,
        default=(),
        help="questions that together identify a record (e.g. [case_id]); repeats are "
        "quarantined as duplicate_id",
    ),
    "assent": Field(
        "str", help="select_one question whose 'no' is a refusal (default: assent/consent)"
    ),
    "keep": Field(
        "list",
        items=Field("str"),
        unique=True,
        default=(),
        help="columns flagged personal only by name or content that are not personal",
    ),
    "short_interview": Field("mapping", keys=SHORT_INTERVIEW_KEYS, default={}),
    "outlier_iqr": Field(
        "float", default=3.0, minimum=0, help="flag numbers beyond k IQR of the quartiles; 0: off"
    ),
    "read": Field("mapping", keys=READ_KEYS, default={}, help="options for reading the files"),
}

DATASET_KEYS: dict[str, Field] = {
    "raw_dir": Field("str", required=True, help="raw exports, relative to the project root"),
    "clean_dir": Field("str", help="default surveys/data/<dataset>/clean"),
    "pseudonym_key": Field("str", default="env", help="demo | env | /path/to/keyfile"),
    "missing_values": Field("list", items=Field("str"), unique=True, default=()),
    "timezone": Field(
        "str", default="Europe/Tirane", help="time zone of device times written without offset"
    ),
    "tables": Field("mapping", required=True, values=Field("mapping", keys=TABLE_KEYS)),
}


@dataclass(frozen=True)
class DesignConfig:
    """How to join the sampling frame: ``frame`` file, question ``join_on``, frame column
    ``frame_key``, and the frame ``columns`` to join."""

    frame: str
    join_on: str
    frame_key: str
    columns: tuple[str, ...] = DEFAULT_DESIGN_COLUMNS


@dataclass(frozen=True)
class TableConfig:
    """One clean table: its instrument, raw files and ingestion options (see module doc)."""

    name: str
    instrument: str
    files: tuple[str, ...]
    id: tuple[str, ...] = ()
    renames: Mapping[str, str] = field(default_factory=dict)
    design: DesignConfig | None = None
    free_text_allowed: tuple[str, ...] = ()
    missing_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unique: tuple[str, ...] = ()
    assent: str | None = None
    keep: tuple[str, ...] = ()
    short_share: float = 1 / 3
    short_minutes: float = 0.0
    outlier_iqr: float = 3.0
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None


@dataclass(frozen=True)
class DatasetConfig:
    """One dataset of ``params/datasets.yaml`` with its paths resolved."""

    name: str
    raw_dir: Path
    clean_dir: Path
    pseudonym_key: str
    missing_values: tuple[str, ...]
    timezone: str
    tables: Mapping[str, TableConfig]
    instruments_dir: Path
    source: str = "params/datasets.yaml"

    def instrument_path(self, table: TableConfig) -> Path:
        """``surveys/instruments/<instrument>.xlsx`` (or the name as given if it has a suffix)."""
        name = table.instrument
        return self.instruments_dir / (name if Path(name).suffix else f"{name}.xlsx")


def load_datasets(path: str | Path | None = None, root: Path | None = None) -> dict[str, Any]:
    """Read ``params/datasets.yaml`` and validate every dataset in it.

    Returns
    -------
    dict
        Dataset name → the validated mapping (use :func:`dataset_config` for one dataset).

    Raises
    ------
    ParamsError
        Missing file, invalid YAML, unknown or invalid keys (named with their path).
    """
    root = root or project_root()
    path = Path(path) if path is not None else params_dir(root) / "datasets.yaml"
    where = display_path(path, root)
    data = read_params_file(path, root)
    unknown = [k for k in data if k != "datasets"]
    if unknown or not isinstance(data.get("datasets"), dict):
        raise ParamsError(
            f"{where}: expected one top-level key 'datasets' holding one entry per dataset"
            + (f"; found {format_values(unknown)}" if unknown else "")
        )
    datasets = {name: _ids_as_lists(spec) for name, spec in data["datasets"].items()}
    schema = {name: Field("mapping", keys=DATASET_KEYS) for name in datasets}
    top = {"datasets": Field("mapping", keys=schema)}
    return validate_schema(top, {"datasets": datasets}, where, complete=True)["datasets"]


def _ids_as_lists(spec: Any) -> Any:
    """``id: _uuid`` is shorthand for ``id: [_uuid]``."""
    tables = spec.get("tables") if isinstance(spec, dict) else None
    if not isinstance(tables, dict):
        return spec
    fixed = {}
    for name, table in tables.items():
        if isinstance(table, dict) and isinstance(table.get("id"), str):
            table = {**table, "id": [table["id"]]}
        fixed[name] = table
    return {**spec, "tables": fixed}


def dataset_config(
    name: str, path: str | Path | None = None, root: Path | None = None
) -> DatasetConfig:
    """The configuration of dataset ``name``, with paths resolved against the project root.

    Raises
    ------
    ParamsError
        The dataset is not in the file (with a "did you mean"), or its entry is invalid.
    """
    root = root or project_root()
    path = Path(path) if path is not None else params_dir(root) / "datasets.yaml"
    datasets = load_datasets(path, root)
    if name not in datasets:
        raise ParamsError(
            f"{display_path(path, root)}: no dataset '{name}'{did_you_mean(name, datasets)}; "
            f"datasets: {format_values(sorted(datasets))}"
        )
    return _build(name, datasets[name], root, display_path(path, root))


def _build(name: str, values: Mapping[str, Any], root: Path, source: str) -> DatasetConfig:
    timezone = values["timezone"]
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ParamsError(
            f"{source}: datasets.{name}.timezone {timezone!r} is not a time zone name; "
            "write e.g. Europe/Tirane or UTC"
        ) from None
    clean = values.get("clean_dir") or f"surveys/data/{name}/clean"
    tables = {
        t: _table(t, spec, f"{source}: datasets.{name}.tables.{t}")
        for t, spec in values["tables"].items()
    }
    if not tables:
        raise ParamsError(f"{source}: dataset '{name}' has no tables; list at least one")
    return DatasetConfig(
        name=name,
        raw_dir=_resolve(values["raw_dir"], root),
        clean_dir=_resolve(clean, root),
        pseudonym_key=values["pseudonym_key"],
        missing_values=tuple(values["missing_values"]),
        timezone=timezone,
        tables=tables,
        instruments_dir=instruments_dir(root),
        source=source,
    )


def _table(name: str, spec: Mapping[str, Any], where: str) -> TableConfig:
    if not spec["files"]:
        raise ParamsError(f"{where}.files is empty; list the table's raw files")
    design = spec.get("design")
    if design is not None and not (design.get("frame") or design.get("join_on")):
        design = None  # not given (the schema fills the keys with their defaults)
    if design is not None:
        lacking = [k for k in ("frame", "join_on") if not design.get(k)]
        if lacking:
            raise ParamsError(
                f"{where}.design lacks {format_values(lacking)}; e.g. design: "
                "{frame: sampling_frame.csv, join_on: school_code, frame_key: school_id}"
            )
    short = spec["short_interview"]
    read = spec["read"]
    return TableConfig(
        name=name,
        instrument=spec["instrument"],
        files=tuple(spec["files"]),
        id=tuple(spec.get("id") or ()),
        renames=dict(spec["renames"]),
        design=None
        if design is None
        else DesignConfig(
            frame=design["frame"],
            join_on=design["join_on"],
            frame_key=design.get("frame_key") or design["join_on"],
            columns=tuple(design["columns"]),
        ),
        free_text_allowed=tuple(spec["free_text_allowed"]),
        missing_values={q: tuple(v) for q, v in spec["missing_values"].items()},
        unique=tuple(spec["unique"]),
        assent=spec.get("assent"),
        keep=tuple(spec["keep"]),
        short_share=short["share_of_median"],
        short_minutes=short["min_minutes"],
        outlier_iqr=spec["outlier_iqr"],
        sheet=read.get("sheet"),
        encoding=read.get("encoding"),
        delimiter=read.get("delimiter"),
    )


def _resolve(text: str, root: Path) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() else root / path
