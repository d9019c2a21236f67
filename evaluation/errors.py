"""Error and warning types raised by the workbench.

Every problem a user can fix is raised as a :class:`WorkbenchError` subclass whose message
says where the problem is, what was found, what was expected and what to do. The command
line turns these into a one-line message and exit status 1; anything else is a bug.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class WorkbenchError(Exception):
    """Base class for problems the user can fix (bad data, bad params, bad design)."""

    def one_line(self) -> str:
        """The message on one line, as the command line prints it."""
        return " ".join(str(self).split())


class DataError(WorkbenchError):
    """A data file, sheet, row or column cannot be used as it is."""


class DesignError(DataError):
    """A survey design is invalid (weights, strata, clusters, FPC, lonely PSUs)."""


class ParamsError(WorkbenchError):
    """A params file, schedule, configuration value or function argument is invalid."""


class InstrumentError(WorkbenchError):
    """An XLSForm questionnaire cannot be read or converted."""


class ExpressionError(InstrumentError):
    """An XLSForm expression (relevant, constraint, calculation...) cannot be read or evaluated.

    ``expression`` is the text; ``position`` the 0-based character where reading stopped, or
    ``None`` when the problem is not at one place.
    """

    def __init__(self, message: str, expression: str = "", position: int | None = None):
        super().__init__(message)
        self.expression = expression
        self.position = position


class UnsupportedExpressionError(ExpressionError):
    """A valid XLSForm expression uses a feature the workbench does not evaluate (XPath paths,
    ``pulldata()``, ``position()``...)."""


class EstimationError(WorkbenchError):
    """A model cannot be estimated (singular design, no variation, too few clusters)."""


class PrivacyError(WorkbenchError):
    """A privacy rule would be broken (missing pseudonymisation key, identifier in output)."""


class ReportError(WorkbenchError):
    """A report run failed (a notebook cell raised, an output could not be written)."""


class DeliveryError(WorkbenchError):
    """A report could not be delivered (SMTP or shared-folder failure)."""


class WorkbenchWarning(UserWarning):
    """Base class for workbench warnings."""


class LonelyPSUWarning(WorkbenchWarning):
    """A stratum has a single PSU and was handled by the design's ``lonely_psu`` rule."""


class FewClustersWarning(WorkbenchWarning):
    """Cluster-robust inference rests on few clusters; prefer the wild cluster bootstrap."""


class MissingDataWarning(WorkbenchWarning):
    """Rows were left out of an estimate because of missing values."""


class PrivacyWarning(WorkbenchWarning):
    """A privacy setting is weak but usable (world-readable key file, margin to keep unpublished)."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input: where it is, what was found, and what to do.

    Validators collect ``Problem`` records and raise one :class:`DataError` (or write
    them to quarantine) rather than stopping at the first.
    """

    file: str = ""
    sheet: str = ""
    row: int | None = None
    column: str = ""
    found: str = ""
    rule: str = ""
    message: str = ""

    def where(self) -> str:
        """``file, sheet 'x', row 3, column 'y'`` with the parts that are known."""
        parts = [self.file] if self.file else []
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


def format_values(values: Iterable[object], limit: int = 5) -> str:
    """Show up to ``limit`` values and a count of the rest: ``'a', 'b' and 3 more``."""
    values = list(values)
    shown = ", ".join(repr(v) for v in values[:limit])
    rest = len(values) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest candidate, or an empty string."""
    import difflib

    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
