"""The examples in the privacy modules' docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["keys", "pseudonyms", "pii", "names_in_text", "scrub", "scan", "disclosure", "coarsen"]
MODULES += ["spreadsheet"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"evaluation.privacy.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0, f"{result.failed} example(s) in evaluation.privacy.{name} failed"
