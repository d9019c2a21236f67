"""XLSForm questionnaires: read a form into a frozen model and find what is wrong with it.

:func:`read_instrument` reads an XLSForm (``.xlsx``, ``.xls`` or pyxform's ``.csv`` form) with
pyxform's own sheet readers, builds an :class:`Instrument` (questions in order with their
group and repeat paths, choice lists, labels per language, the ``personal_data`` marks) and
raises :class:`~evaluation.errors.InstrumentError` when the form cannot be used.
:func:`check_instrument` returns every :class:`~evaluation.errors.Problem` instead, each with
its sheet, spreadsheet row and column. Once our own checks pass, pyxform's converter runs on
the same sheets, so a form that reads here also deploys to KoboToolbox / ODK Central.

Languages are keyed by the code in ``label::Shqip (sq)`` (``sq``); a plain ``label`` column is
the language named by ``settings.default_language``, or ``default`` when none is named.
``personal_data`` (a survey column the form author edits) marks a field ``direct`` (a name, a
phone number), ``linking`` (an identifier that links records, pseudonymised on ingestion) or
``free_text``; empty means not personal.

Modules: :mod:`~evaluation.instruments.model` (the records),
:mod:`~evaluation.instruments.vocabulary` (types, headers and their aliases),
:mod:`~evaluation.instruments.reading` (files into sheets),
:mod:`~evaluation.instruments.building` and :mod:`~evaluation.instruments.questions` (sheets
into the model), :mod:`~evaluation.instruments.checks` (whole-form checks, pyxform),
:mod:`~evaluation.instruments.problems`, :mod:`~evaluation.instruments.loading` (the entry
points) and :mod:`~evaluation.instruments.summary` (the CLI's text).
"""

from evaluation.instruments.checks import EXPRESSION_COLUMNS as EXPRESSION_COLUMNS
from evaluation.instruments.checks import TEXT_WITH_REFERENCES as TEXT_WITH_REFERENCES
from evaluation.instruments.loading import check_instrument, read_instrument
from evaluation.instruments.model import PERSONAL_DATA_VALUES, Choice, Instrument, Question
from evaluation.instruments.problems import WARNING_RULES as WARNING_RULES
from evaluation.instruments.problems import is_fatal
from evaluation.instruments.summary import check_summary
from evaluation.instruments.vocabulary import CANONICAL_TYPES as CANONICAL_TYPES
from evaluation.instruments.vocabulary import DEFAULT_LANGUAGE as DEFAULT_LANGUAGE
from evaluation.instruments.vocabulary import FILE_SELECTS as FILE_SELECTS
from evaluation.instruments.vocabulary import NO_DATA_TYPES as NO_DATA_TYPES
from evaluation.instruments.vocabulary import PERSONAL_BY_TYPE as PERSONAL_BY_TYPE
from evaluation.instruments.vocabulary import SELECT_TYPES as SELECT_TYPES
from evaluation.instruments.vocabulary import normalise_type

__all__ = [
    "PERSONAL_DATA_VALUES",
    "Choice",
    "Instrument",
    "Question",
    "check_instrument",
    "check_summary",
    "is_fatal",
    "normalise_type",
    "read_instrument",
]
