"""Loading a form file: read it, build the Instrument, run pyxform, and decide if it is usable.

:func:`read_instrument` raises on the first error; :func:`check_instrument` returns every
problem instead. Both choose the reader by the file's ending (``.json``: Kobo form JSON).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from evaluation.errors import InstrumentError, Problem, did_you_mean
from evaluation.instruments.building import _Builder
from evaluation.instruments.checks import _pyxform_problems
from evaluation.instruments.model import Instrument
from evaluation.instruments.problems import _s, is_fatal
from evaluation.instruments.reading import _read_kobo_json, _read_workbook, _Workbook

_Reader = Callable[[Path, list[Problem]], _Workbook | None]


def read_instrument(path: str | Path, *, convert: bool = True) -> Instrument:
    """Read an XLSForm questionnaire into an :class:`Instrument`.

    Parameters
    ----------
    path : str or Path
        An ``.xlsx``/``.xlsm``, ``.xls`` or pyxform ``.csv`` XLSForm, or a Kobo form
        ``.json`` (see :meth:`Instrument.from_kobo_json`).
    convert : bool, default True
        Also run pyxform's XLSForm→XForm converter, so that its errors (those our checks do
        not cover) count too. Switch off only for speed when the form is known to be good.

    Returns
    -------
    Instrument
        The questionnaire; ``instrument.problems`` lists warnings.

    Raises
    ------
    InstrumentError
        The file is missing or unreadable, or the form has an error (missing survey sheet,
        duplicate or invalid name, unknown choice list, bad expression, ``personal_data``
        value not allowed...). The message names the file and the first problem's sheet,
        row and column; ``error.problems`` holds them all.

    Examples
    --------
    >>> form = read_instrument("surveys/instruments/youth_survey.xlsx")  # doctest: +SKIP
    >>> form.label("age", "sq")  # doctest: +SKIP
    """
    path = Path(path)
    return _read(path, convert=convert, reader=_reader_for(path))


def check_instrument(path: str | Path, *, convert: bool = True) -> list[Problem]:
    """Every problem in a form (errors and warnings), in sheet and row order.

    A problem is fatal (the form cannot be used) unless :func:`is_fatal` says otherwise.
    Only a missing file raises :class:`~evaluation.errors.InstrumentError`; everything
    wrong inside a file is returned.
    """
    path = Path(path)
    return _load(path, convert=convert, reader=_reader_for(path))[1]


def _reader_for(path: Path) -> _Reader:
    return _read_kobo_json if path.suffix.lower() == ".json" else _read_workbook


def _read(path: Path, *, convert: bool, reader: _Reader) -> Instrument:
    """The usable Instrument in ``path``, or InstrumentError naming its first error."""
    instrument, problems = _load(path, convert=convert, reader=reader)
    return _usable(instrument, problems, path)


def _load(path: Path, *, convert: bool, reader: _Reader) -> tuple[Instrument | None, list[Problem]]:
    if not path.is_file():
        hint = did_you_mean(path.name, [p.name for p in path.parent.glob("*")])
        raise InstrumentError(f"form file '{path}' does not exist{hint}")
    problems: list[Problem] = []
    workbook = reader(path, problems)
    if workbook is None:
        return None, problems
    builder = _Builder(path, workbook, problems)
    instrument = builder.build()
    if convert and instrument is not None and not any(is_fatal(p) for p in problems):
        rows = {q.name: q.row for q in reversed(instrument.questions)}
        problems.extend(_pyxform_problems(path, workbook, rows))
    problems.sort(key=lambda p: (_SHEET_ORDER.get(p.sheet, 9), p.row or 0))
    return instrument, problems


_SHEET_ORDER = {"": 0, "survey": 1, "choices": 2, "settings": 3}


def _usable(instrument: Instrument | None, problems: list[Problem], path: Path) -> Instrument:
    errors = [p for p in problems if is_fatal(p)]
    if errors or instrument is None:
        first = errors[0] if errors else problems[0]
        rest = len(errors) - 1
        more = f" (and {rest} more problem{_s(range(rest))})" if rest else ""
        error = InstrumentError(
            f"form '{path.name}' cannot be used: {first}{more}; run "
            f"'workbench instrument check {path}' to list every problem"
        )
        error.problems = tuple(problems)  # type: ignore[attr-defined]
        raise error
    warnings = tuple(p for p in problems if not is_fatal(p))
    return dataclasses.replace(instrument, problems=warnings)
