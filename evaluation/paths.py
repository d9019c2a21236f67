"""Project paths, all derived from one root.

The root is the folder that holds ``params/`` and ``surveys/``: the ``WORKBENCH_ROOT``
environment variable if set, else the nearest parent of the working directory that has a
``params`` folder, else the source checkout this package was installed from.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
SOURCE_ROOT = PACKAGE_DIR.parent


def project_root() -> Path:
    """The project folder (see module docstring for how it is found)."""
    env = os.environ.get("WORKBENCH_ROOT")
    if env:
        return Path(env).expanduser().resolve()
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / "params").is_dir() and (candidate / "surveys").is_dir():
            return candidate
    return SOURCE_ROOT


def instruments_dir(root: Path | None = None) -> Path:
    """``surveys/instruments``: the XLSForm questionnaires."""
    return (root or project_root()) / "surveys" / "instruments"


def data_dir(dataset: str, root: Path | None = None) -> Path:
    """``surveys/data/<dataset>``: raw exports and clean tables of one dataset."""
    return (root or project_root()) / "surveys" / "data" / dataset


def params_dir(root: Path | None = None) -> Path:
    """``params``: one YAML per report run, the logframe and the schedule."""
    return (root or project_root()) / "params"


def notebooks_dir(root: Path | None = None) -> Path:
    """``notebooks``: the parameterised report notebooks."""
    return (root or project_root()) / "notebooks"


def reports_dir(root: Path | None = None) -> Path:
    """``reports``: executed runs, one folder per report and run id."""
    return (root or project_root()) / "reports"
