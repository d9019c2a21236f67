"""What every writer of a raw file shares: the folder, the seed and the records kept."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from evaluation.synth.faults import FaultLog
from evaluation.synth.people import PersonalValues


@dataclass(frozen=True)
class Output:
    """The demo world being written.

    Attributes
    ----------
    folder : Path
        Where the raw files go.
    seed : int
        The world's seed; writers derive their random streams from it.
    log : FaultLog
        Planted faults, for ``truth.json``.
    personal : PersonalValues
        Every personal value written into a file, for ``truth.json``.
    exported_at : datetime.datetime
        When the field downloaded the exports (XLSX and SPSS header times).
    """

    folder: Path
    seed: int
    log: FaultLog
    personal: PersonalValues
    exported_at: dt.datetime
