"""Privacy: keyed pseudonyms, personal-data detection and removal, leak scans, and
statistical disclosure control for tables that leave the workbench.

The data is about minors, drug use and violence. Direct identifiers never reach clean data
or reports; linking identifiers are replaced by keyed pseudonyms; donor outputs suppress
small cells. Modules, one idea each:

``keys``         where the pseudonymisation key comes from, and its checks
``pseudonyms``   HMAC-SHA256 pseudonyms (:class:`Pseudonymiser`, :func:`pseudonymise`)
``patterns``     what phones, e-mails, coordinates and names look like in a value
``pii``          :func:`find_personal_columns`: which columns are personal, and why
``strip``        :func:`plan_privacy` and :func:`strip_personal`: drop, pseudonymise, scrub
``names_in_text`` which words of a free-text answer are personal names (``NameFinder``)
``scrub``        :func:`scrub_text`: redact personal data inside allowed free text
``scan``         :func:`scan_for_values`: prove that no planted value leaks into outputs
                 (its matching engine, all values at once, is ``_needles``)
``disclosure``   :func:`suppress_crosstab`, :func:`suppress_results`: small-cell suppression
``coarsen``      merge small units and age bands before suppressing
``spreadsheet``  :func:`safe_cell`: no cell starts a formula from data
``gate``         :func:`check_outgoing`: the last check on the files about to leave
"""

from evaluation.privacy.coarsen import (
    OTHER_RURAL_UNITS,
    Coarsening,
    age_bands,
    merge_small_bands,
    merge_small_categories,
)
from evaluation.privacy.disclosure import (
    DEFAULT_THRESHOLD,
    SuppressedTable,
    recoverable_cells,
    suppress_crosstab,
    suppress_results,
    suppression_footnote,
)
from evaluation.privacy.gate import Finding, GateResult, check_outgoing, mask, project_forbidden
from evaluation.privacy.keys import (
    DEMO_PSEUDONYM_KEY,
    KEY_ENV,
    KEY_FILE_ENV,
    PseudonymKey,
    key_fingerprint,
    load_key,
)
from evaluation.privacy.pii import find_personal_columns, personal_by_content, personal_by_name
from evaluation.privacy.pseudonyms import Pseudonymiser, normalise_identifier, pseudonymise
from evaluation.privacy.scan import scan_for_values
from evaluation.privacy.scrub import scrub_text
from evaluation.privacy.spreadsheet import safe_cell, safe_frame
from evaluation.privacy.strip import PrivacyPlan, plan_privacy, strip_personal

__all__ = [
    "DEFAULT_THRESHOLD",
    "DEMO_PSEUDONYM_KEY",
    "KEY_ENV",
    "KEY_FILE_ENV",
    "OTHER_RURAL_UNITS",
    "Coarsening",
    "Finding",
    "GateResult",
    "PrivacyPlan",
    "PseudonymKey",
    "Pseudonymiser",
    "SuppressedTable",
    "age_bands",
    "check_outgoing",
    "find_personal_columns",
    "key_fingerprint",
    "load_key",
    "mask",
    "merge_small_bands",
    "merge_small_categories",
    "normalise_identifier",
    "personal_by_content",
    "personal_by_name",
    "plan_privacy",
    "project_forbidden",
    "pseudonymise",
    "recoverable_cells",
    "safe_cell",
    "safe_frame",
    "scan_for_values",
    "scrub_text",
    "strip_personal",
    "suppress_crosstab",
    "suppress_results",
    "suppression_footnote",
]
