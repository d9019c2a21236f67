"""Evaluation workbench for the Elbasan youth crime-prevention project.

The package turns field data (XLSForm questionnaires and their KoboToolbox / ODK / SPSS
exports) into clean, privacy-safe tables, design-based and impact estimates, and
parameterised reports. Heavy modules are imported lazily: ``import evaluation`` is cheap.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("evaluation")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
