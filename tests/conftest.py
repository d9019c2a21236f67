"""Shared set-up of the test suite.

This file, outside any package, also puts tests/ on ``sys.path`` (pytest's default
"prepend" import mode), so that test modules in sub-folders import the helper modules kept
here, e.g. ``from r_reference import R_TO_OURS`` in tests/impact/.
"""
