"""Join the youth survey's sampling frame: strata, arm, unit, weights, probabilities.

The frame (``sampling_frame.csv`` in the raw folder) has one row per school. It is checked
before anything is joined — a frame that cannot be trusted stops the ingest with a
:class:`~evaluation.errors.DesignError`:

* it has the key column and ``stratum``, ``arm``, ``urban_rural``, ``weight`` and a unit
  column (``unit`` or ``admin_unit``);
* every school appears once;
* ``arm`` is ``project`` or ``comparison``;
* weights and probabilities are numbers; weights positive where given, probabilities in
  (0, 1].

A row whose school code is not in the frame cannot be weighted: it is quarantined with the
rule ``design`` (a flag would let unweighted rows into design-based estimates).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.errors import DesignError, format_values
from evaluation.ingest.config import DesignConfig
from evaluation.ingest.parsing import parse_decimal
from evaluation.ingest.problems import Problems
from evaluation.readers import RawExport, read_export

REQUIRED = ("stratum", "arm", "urban_rural", "weight")
ARMS = ("project", "comparison")
UNIT_COLUMNS = ("unit", "admin_unit")


def read_frame(path: Path, design: DesignConfig) -> tuple[pd.DataFrame, RawExport]:
    """Read and check the sampling frame; return it indexed by school code, with the
    columns to join (``unit`` named so), numbers typed.

    Raises
    ------
    DataError
        The file cannot be read.
    DesignError
        A required column is missing, a school appears twice, an arm is unknown, or a
        weight or probability is not a valid number.
    """
    raw = read_export(path)
    frame = raw.frame
    where = path.name
    key = design.frame_key
    unit = next((c for c in UNIT_COLUMNS if c in frame.columns), None)
    lacking = [c for c in (key, *REQUIRED) if c not in frame.columns] + ([] if unit else ["unit"])
    if lacking:
        raise DesignError(
            f"{where}: the sampling frame has no column {format_values(lacking)}; it needs "
            f"{key}, {', '.join(REQUIRED)} and unit (or admin_unit); columns: "
            f"{format_values(list(frame.columns), limit=12)}"
        )
    codes = frame[key].str.strip()
    repeated = codes[codes.duplicated(keep=False) & codes.notna()].unique().tolist()
    if repeated:
        raise DesignError(
            f"{where}: school {format_values(repeated)} appear(s) more than once in column "
            f"'{key}'; each school must have one row (one stratum, one weight)"
        )
    wanted = [c for c in design.columns if c in frame.columns or (c == "unit" and unit)]
    out = pd.DataFrame(index=pd.Index(codes.to_numpy(), name=key))
    for column in wanted:
        source = unit if column == "unit" else column
        out[column] = _typed(frame[source], column, where)
    _check_values(out, where)
    return out[out.index.notna()], raw


def join_frame(
    codes: pd.Series, frame: pd.DataFrame, active: np.ndarray, join_on: str, problems: Problems
) -> pd.DataFrame:
    """The frame's columns for each row (by its school code); rows whose code is missing
    from the frame are quarantined with the rule ``design``."""
    keys = codes.astype("string").str.strip()
    position = frame.index.get_indexer(keys.fillna("").to_numpy())
    unmatched = np.flatnonzero((position < 0) & active & keys.notna().to_numpy(dtype=bool))
    problems.add(
        unmatched,
        join_on,
        keys.to_numpy()[unmatched],
        "design",
        f"school code not in the sampling frame (column '{frame.index.name}'), so the row has "
        "no stratum or weight; correct the code, or add the school to the frame",
    )
    joined = {
        c: pd.api.extensions.take(frame[c].array, position, allow_fill=True) for c in frame.columns
    }
    return pd.DataFrame(joined, index=codes.index)


def _typed(values: pd.Series, column: str, where: str) -> object:
    if column == "weight" or column.startswith(("weight", "pi_")):
        text = values.str.strip()
        codes, uniques = pd.factorize(text)
        typed = parse_decimal(pd.Series(np.asarray(uniques, dtype=object), dtype=object))
        if typed.bad.any():
            bad = np.asarray(uniques, dtype=object)[typed.bad]
            raise DesignError(
                f"{where}, column '{column}': {format_values(bad.tolist())} are not numbers; "
                "fix the sampling frame"
            )
        return pd.api.extensions.take(typed.values, codes, allow_fill=True)
    return pd.array(values.str.strip().to_numpy(), dtype="string")


def _check_values(frame: pd.DataFrame, where: str) -> None:
    arms = set(frame["arm"].dropna().unique()) - set(ARMS)
    if arms:
        raise DesignError(
            f"{where}, column 'arm': {format_values(sorted(arms))} not allowed; each school is "
            f"in arm {' or '.join(ARMS)}"
        )
    weights = frame["weight"].dropna()
    if (weights <= 0).any():
        bad = weights[weights <= 0].index.tolist()
        raise DesignError(
            f"{where}, column 'weight': schools {format_values(bad)} have a weight <= 0; "
            "sampling weights must be positive. Check the weighting step"
        )
    for column in (c for c in frame.columns if c.startswith("pi_")):
        values = frame[column].dropna()
        bad = values[(values <= 0) | (values > 1)].index.tolist()
        if bad:
            raise DesignError(
                f"{where}, column '{column}': schools {format_values(bad)} have a probability "
                "outside (0, 1]; fix the sampling frame"
            )
