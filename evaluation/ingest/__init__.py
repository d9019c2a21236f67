"""Ingestion: raw exports in, clean tables, quarantine and an ingest log out.

``workbench ingest DATASET`` runs :func:`ingest_dataset` on a dataset of
``params/datasets.yaml`` (with ``--input FILE``: only the tables of those files, the others
carried over unchanged); ``workbench ingest --instrument FORM --input FILE --out DIR`` runs
:func:`ingest_files`. The outputs follow the ingestion contract: ``<table>.parquet`` (one row
per accepted submission, typed by the form, personal data removed or pseudonymised),
``quarantine.csv`` (one line per problem of every row left out) and ``ingest_log.json``
(every input with its SHA-256, what was detected, counts per file, rule and flag). For
every file, ``rows_read == rows_accepted + rows_quarantined``.

Modules, one idea each: :mod:`.config` (datasets.yaml), :mod:`.mapping` (columns →
questions), :mod:`.renames` (probable renames), :mod:`.parsing` (text → numbers, dates,
times), :mod:`.choices` (codes, labels, value labels), :mod:`.convert` (one file → typed
rows), :mod:`.duplicates`, :mod:`.validate` (relevance, required, constraints),
:mod:`.flags` (refusals, short interviews, outliers), :mod:`.design` (sampling frame),
:mod:`.personal` (privacy), :mod:`.problems` and :mod:`.quarantine`, :mod:`.table` (one
table), :mod:`.outputs` (atomic write), :mod:`.subset` (some tables again, the others
carried over) and :mod:`.run` (datasets and one-off files).
"""

from evaluation.ingest.config import DatasetConfig, TableConfig, dataset_config, load_datasets
from evaluation.ingest.outputs import read_parquet_metadata
from evaluation.ingest.problems import FLAGS, RULES
from evaluation.ingest.run import IngestResult, ingest_dataset, ingest_files, is_demo_world

__all__ = [
    "FLAGS",
    "RULES",
    "DatasetConfig",
    "IngestResult",
    "TableConfig",
    "dataset_config",
    "ingest_dataset",
    "ingest_files",
    "is_demo_world",
    "load_datasets",
    "read_parquet_metadata",
]
