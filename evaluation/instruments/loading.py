"""Loading a form file: read it, build the Instrument, run pyxform, and decide if it is usable.

:func:`read_instrument` raises on the first error; :func:`check_instrument` returns every
problem instead. Both choose the reader by the file's ending (``.json``: Kobo form JSON).

Reading a form (openpyxl, then pyxform's converter) takes about 0.1 s, and one report reads
the same six forms up to ten times (its own survey, the logframe check, the quality
checks). What a form file gives is therefore cached, keyed by the file's path (as given and
resolved) and the SHA-256 of its bytes (so an edited form is read again):

- in this process, for as long as it runs;
- on disk, when the ``WORKBENCH_INSTRUMENT_CACHE`` environment variable names a folder
  (``workbench run`` sets it to ``surveys/data/<dataset>/clean/.cache/instruments`` for the
  report kernels, so that each of the ten executions of ``workbench run all`` does not read
  the forms again). A cache file is a pickle of ``(Instrument, problems)`` whose name also
  depends on this code (the source files of ``evaluation.instruments``,
  ``evaluation.expressions``, ``errors`` and ``xpath``), pyxform's and Python's versions;
  it is written atomically, and a file that cannot be read is ignored and rewritten. Keep
  the folder as private as the clean data beside it: loading a pickle runs code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import platform
import tempfile
import threading
from collections.abc import Callable
from functools import cache
from importlib.metadata import version
from pathlib import Path
from types import MappingProxyType
from typing import Any

from evaluation.errors import InstrumentError, Problem, did_you_mean
from evaluation.instruments.building import _Builder
from evaluation.instruments.checks import _pyxform_problems
from evaluation.instruments.model import Instrument
from evaluation.instruments.problems import _s, is_fatal
from evaluation.instruments.reading import _read_kobo_json, _read_workbook, _Workbook

_Reader = Callable[[Path, list[Problem]], _Workbook | None]
_Loaded = tuple[Instrument | None, tuple[Problem, ...]]


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
    key = _cache_key(path, convert, reader)
    loaded = _MEMO.get(key) or _read_cache(key)
    if loaded is None:
        loaded = _build(path, convert=convert, reader=reader)
        _write_cache(key, loaded)
    with _MEMO_LOCK:
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[key] = loaded
    instrument, problems = loaded
    return instrument, list(problems)


def _build(path: Path, *, convert: bool, reader: _Reader) -> _Loaded:
    problems: list[Problem] = []
    workbook = reader(path, problems)
    if workbook is None:
        return None, tuple(problems)
    builder = _Builder(path, workbook, problems)
    instrument = builder.build()
    if convert and instrument is not None and not any(is_fatal(p) for p in problems):
        rows = {q.name: q.row for q in reversed(instrument.questions)}
        problems.extend(_pyxform_problems(path, workbook, rows))
    problems.sort(key=lambda p: (_SHEET_ORDER.get(p.sheet, 9), p.row or 0))
    return instrument, tuple(problems)


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


# --------------------------------------------------------------------------- cache
CACHE_ENV = "WORKBENCH_INSTRUMENT_CACHE"
"""Environment variable naming the folder of the on-disk form cache (unset: no disk cache)."""

_CACHE_FORMAT = 1  # bump when the pickled layout changes in a way the code hash cannot see
_MEMO: dict[str, _Loaded] = {}
_MEMO_LOCK = threading.Lock()
_MEMO_SIZE = 64
# What an Instrument is built by: a change to any of these files makes new cache keys.
_CODE = ("instruments", "expressions", "errors.py", "xpath.py")


def _cache_key(path: Path, convert: bool, reader: _Reader) -> str:
    """Hex digest naming the form's bytes, path, reading options and the reading code."""
    digest = hashlib.sha256()
    for part in (
        str(path),  # as given: the Instrument and its problems name the file this way
        str(path.resolve()),
        _file_sha256(path),
        str(convert),
        reader.__name__,
        _code_fingerprint(),
    ):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@cache
def _code_fingerprint() -> str:
    package = Path(__file__).resolve().parent.parent
    header = f"{_CACHE_FORMAT}\0{platform.python_version()}\0{version('pyxform')}\0"
    digest = hashlib.sha256(header.encode())
    for name in _CODE:
        target = package / name
        files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
        for file in files:
            digest.update(file.relative_to(package).as_posix().encode() + b"\0")
            digest.update(file.read_bytes())
    return digest.hexdigest()


def _cache_file(key: str) -> Path | None:
    folder = os.environ.get(CACHE_ENV)
    return Path(folder) / f"{key}.pickle" if folder else None


def _read_cache(key: str) -> _Loaded | None:
    file = _cache_file(key)
    if file is None or not file.is_file():
        return None
    try:
        with open(file, "rb") as handle:
            loaded = pickle.load(handle)
    except Exception:  # truncated, or written by other code: read the form again
        return None
    if not (isinstance(loaded, tuple) and len(loaded) == 2 and isinstance(loaded[1], tuple)):
        return None
    return loaded


def _write_cache(key: str, loaded: _Loaded) -> None:
    """Write atomically (two kernels may write the same form at once); a cache that cannot
    be written only costs time, so errors are ignored."""
    file = _cache_file(key)
    if file is None:
        return
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                _Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(loaded)
            os.replace(temporary, file)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        return


def _mapping_proxy(values: dict[Any, Any]) -> MappingProxyType:
    """Rebuild a read-only mapping (pickle cannot name ``mappingproxy`` itself)."""
    return MappingProxyType(values)


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is MappingProxyType:
            return _mapping_proxy, (dict(obj),)
        return NotImplemented
