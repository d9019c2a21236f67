"""Evaluation workbench for the Elbasan youth crime-prevention project.

The package turns field data (XLSForm questionnaires and their KoboToolbox / ODK / SPSS
exports) into clean, privacy-safe tables, design-based and impact estimates, and
parameterised reports. Heavy modules are imported lazily: ``import evaluation`` is cheap
(it imports nothing; ``__version__`` reads the installed metadata on first use, which
takes importlib.metadata's 20-60 ms only in processes that ask for it).
"""

from functools import cache

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    if name == "__version__":
        return _version()
    raise AttributeError(f"module 'evaluation' has no attribute {name!r}")


@cache
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("evaluation")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0+unknown"
