"""What the baseline report reads, prepared once: the clean tables, the logframe's derived
variables, the baseline round of the youth survey, its survey design and the labels.

:func:`load` is the report's first library call. It records every file it reads with the
run (SHA-256 in the manifest, the HTML footer and the donor workbook's About sheet) and
adds the few columns the report needs besides the logframe's derived variables:

- ``female`` and ``male`` (0/1; missing for "prefer not to say"), for the balance table and
  the risk model, which need numbers;
- ``unit_merged``: the administrative unit with the units that have fewer than
  ``min_cell_size`` baseline respondents merged into "Other rural units" (domain brief §7,
  :func:`evaluation.privacy.merge_small_categories`); the city is never merged. Every
  disaggregation by unit uses it.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from evaluation.errors import DataError, LonelyPSUWarning, format_values
from evaluation.indicators import Logframe, load_logframe, prepare_tables
from evaluation.instruments import Instrument, read_instrument
from evaluation.paths import data_dir, instruments_dir, params_dir
from evaluation.privacy import OTHER_RURAL_UNITS, Coarsening, merge_small_categories
from evaluation.survey import Design

UNIT_COLUMN = "unit_merged"
"""The coarsened administrative unit (see the module docstring)."""

MERGED_UNIT = "other_rural_units"
"""The code of the merged group of small units."""


@dataclass(frozen=True)
class BaselineData:
    """The baseline report's data (see :func:`load`).

    Attributes
    ----------
    run : NotebookRun
        The run (language, params, inputs, notes).
    logframe : Logframe
    tables : dict of str to DataFrame
        Every clean table; the youth survey with the columns of the module docstring.
    youth : DataFrame
        The youth survey, both rounds, with the logframe's derived variables.
    baseline : DataFrame
        Its baseline round: every accepted submission (refused assents included, with empty
        answers), so that estimates are domains of the whole round.
    respondents : DataFrame
        The baseline rows with assent (the respondents).
    design : Design
        The baseline round's design: weights, strata, schools as clusters (the logframe's
        ``youth_school_sample``), lonely PSUs centred at the grand mean.
    instrument : Instrument
        The youth questionnaire (labels, personal fields).
    log : dict
        The ingestion log (``ingest_log.json``).
    coarsening : Coarsening
        How the units were merged.
    """

    run: Any
    logframe: Logframe
    tables: dict[str, pd.DataFrame]
    youth: pd.DataFrame
    baseline: pd.DataFrame
    respondents: pd.DataFrame
    design: Design
    instrument: Instrument
    log: Mapping[str, Any]
    coarsening: Coarsening
    notes: tuple[str, ...] = field(default=())

    @property
    def language(self) -> str:
        """The report's language."""
        return self.run.language

    @property
    def params(self) -> dict[str, Any]:
        """The run's validated params."""
        return self.run.params

    @property
    def min_cell_size(self) -> int:
        """The small-cell threshold."""
        return int(self.run.params["min_cell_size"])


def load(run: Any) -> BaselineData:
    """Read and prepare the baseline report's data (see the module docstring).

    Parameters
    ----------
    run : NotebookRun
        From :func:`evaluation.pipeline.start`; its params name the dataset, the survey
        table (``table``), the baseline round (``wave``) and ``min_cell_size``.

    Returns
    -------
    BaselineData

    Raises
    ------
    DataError
        No clean data (run ``workbench ingest <dataset>``), no rows of the baseline round,
        or the design columns are missing.
    """
    params = run.params
    root = run.root
    table = params["table"]
    clean = data_dir(params["dataset"], root) / "clean"
    files = sorted(clean.glob("*.parquet"))
    if not files:
        raise DataError(
            f"no clean tables in {clean}; run `workbench ingest {params['dataset']}` first"
        )
    tables = {}
    for path in files:
        run.record_input(path)
        tables[path.stem] = pd.read_parquet(path)
    if table not in tables:
        raise DataError(
            f"{clean} has no table '{table}' (params 'table'); it has {format_values(list(tables))}"
        )
    log_path = clean / "ingest_log.json"
    log = json.loads(log_path.read_text(encoding="utf-8")) if log_path.is_file() else {}
    if log_path.is_file():
        run.record_input(log_path)
    logframe_path = params_dir(root) / "logframe.yaml"
    logframe = load_logframe(logframe_path, root=root)
    run.record_input(logframe_path)
    form_path = instruments_dir(root) / f"{table}.xlsx"
    instrument = read_instrument(form_path)
    run.record_input(form_path)
    youth = prepare_tables(logframe, {table: tables[table]}, [table])[table]
    youth = _with_sex_indicators(youth)
    round_rows = youth[params["wave_column"]].astype("string").eq(params["wave"]).fillna(False)
    if not round_rows.any():
        found = format_values(sorted(youth[params["wave_column"]].dropna().astype(str).unique()))
        raise DataError(
            f"{table}: no rows of the round '{params['wave']}' in column "
            f"'{params['wave_column']}' (found {found}); set 'wave' in params/baseline.yaml"
        )
    coarsening = _merge_units(youth, round_rows, params, run.language)
    youth = youth.assign(**{UNIT_COLUMN: coarsening.values})
    baseline = youth[round_rows].reset_index(drop=True)
    assent = params["assent"]
    respondents = baseline[baseline[assent].astype("string").eq("yes").fillna(False)]
    tables = {**tables, table: youth}
    return BaselineData(
        run=run,
        logframe=logframe,
        tables=tables,
        youth=youth,
        baseline=baseline,
        respondents=respondents.reset_index(drop=True),
        design=_design(logframe, baseline, table),
        instrument=instrument,
        log=log,
        coarsening=coarsening,
        notes=coarsening.notes,
    )


def _with_sex_indicators(youth: pd.DataFrame) -> pd.DataFrame:
    sex = youth["sex"].astype("string")
    known = sex.isin(["female", "male"]).fillna(False)
    female = pd.array(sex.eq("female").astype("Int64"), dtype="Int64")
    female[~known.to_numpy()] = pd.NA
    male = 1 - pd.Series(female, index=youth.index)
    return youth.assign(female=female, male=male.astype("Int64"))


def _merge_units(
    youth: pd.DataFrame, round_rows: pd.Series, params: Mapping[str, Any], language: str
) -> Coarsening:
    """Merge units with fewer than ``min_cell_size`` respondents of the round."""
    units = youth["unit"].astype("string")
    merged = merge_small_categories(
        units[round_rows],
        threshold=int(params["min_cell_size"]),
        other_label=MERGED_UNIT,
        protect=params["protect_units"],
    )
    mapping = merged.mapping
    values = units.map(lambda u: mapping.get(u, u) if isinstance(u, str) else u)
    notes = tuple(
        n.replace(MERGED_UNIT, OTHER_RURAL_UNITS.get(language, OTHER_RURAL_UNITS["en"]))
        for n in merged.notes
    )
    return Coarsening(values.astype("string"), dict(mapping), notes)


def _design(logframe: Logframe, baseline: pd.DataFrame, table: str) -> Design:
    source = logframe.tables.get(table)
    name = getattr(source, "design", None)
    spec = logframe.designs.get(name) if name else None
    if spec is None:
        raise DataError(
            f"the logframe gives table '{table}' no survey design; add 'design:' under "
            f"tables: {table}: in params/logframe.yaml"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LonelyPSUWarning)  # the report says how it is handled
        return Design(
            baseline,
            weights=spec.weights,
            strata=spec.strata,
            clusters=spec.clusters,
            fpc=spec.fpc,
            lonely_psu=spec.lonely_psu,
            nest=spec.nest,
        )
