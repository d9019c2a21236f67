"""The R reference values under tests/reference/ that several test modules read.

``CLUSTER_ROBUST_OLS``: the cases of ``expected/cluster_robust_ols.json`` by id (made by
``r/cluster_ols.R``: lm + sandwich/lmtest/clubSandwich on ``data/youth_did.csv``).
``R_TO_OURS``: for each variance estimator named in that file, our name for it.
"""

from __future__ import annotations

import json
from pathlib import Path

REFERENCE = Path(__file__).parent / "reference"
_CLUSTER_ROBUST_FILE = REFERENCE / "expected" / "cluster_robust_ols.json"
CLUSTER_ROBUST_OLS: dict[str, dict] = {
    case["id"]: case for case in json.loads(_CLUSTER_ROBUST_FILE.read_text())["cases"]
}
R_TO_OURS = {
    "classical": "iid",
    "HC0": "HC0",
    "HC1": "HC1",
    "HC2": "HC2",
    "HC3": "HC3",
    "CL_HC0": "CR0",
    "CL_HC1": "CR1",
    "CR2": "CR2",
}
