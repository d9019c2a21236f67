"""Impact estimators: balance, difference-in-differences, ANCOVA, pre/post, attrition,
bounds, wild cluster bootstrap and multiple-testing corrections.

Each public name lives in its own module; they are loaded on first use so that
``import evaluation.impact`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module

_LOCATIONS = {
    "balance_table": "balance",
    "did": "did",
    "ancova": "ancova",
    "wild_cluster_bootstrap": "bootstrap",
    "pre_post": "pre_post",
    "attrition": "attrition",
    "lee_bounds": "bounds",
    "adjust_pvalues": "multiple_testing",
    "romano_wolf": "multiple_testing",
}

__all__ = sorted(_LOCATIONS)


def __getattr__(name: str) -> object:
    if name in _LOCATIONS:
        module = import_module(f"evaluation.impact.{_LOCATIONS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'evaluation.impact' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
