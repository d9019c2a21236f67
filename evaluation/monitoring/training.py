"""Trainings held and people trained in a period (attendance register, form C).

- **Trainings held** and **sessions held**: distinct trainings and sessions with a session
  dated in the period. These count events, not people, and are not suppressed.
- **Participants**: distinct people (pseudonymised participant codes) who attended at least
  one session in the period.
- **People trained**: distinct people who completed at least 80% of the hours of a training
  that ended in the period (the logframe's ``training_participants`` view, indicator OP2.1
  counted per month rather than cumulatively).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from evaluation.monitoring.counting import count_categories, count_total, split_windows
from evaluation.monitoring.periods import Window
from evaluation.results import stack_results
from evaluation.validation import require_columns

SESSION_DATE = "session_date"
END_DATE = "end_date"
PARTICIPANT = "participant_code"
BREAKDOWNS = ("institution", "sex")
"""Characteristics people trained are counted by."""


def activity(attendance: pd.DataFrame, windows: Sequence[Window]) -> pd.DataFrame:
    """Trainings, sessions and participants per period.

    Parameters
    ----------
    attendance : DataFrame
        The attendance register (one row per participant and session).
    windows : sequence of Window

    Returns
    -------
    DataFrame
        Long table with the measures ``trainings``, ``sessions`` and ``participants``
        (one total row per period each).
    """
    require_columns(
        attendance, ["training_id", "session_id", PARTICIPANT, SESSION_DATE], what="attendance"
    )
    frames = split_windows(attendance, SESSION_DATE, windows, "training attendance")
    return stack_results(
        [
            count_total(frames, "trainings", unique="training_id"),
            count_total(frames, "sessions", unique="session_id"),
            count_total(frames, "participants", unique=PARTICIPANT),
        ],
        estimator="monitoring.training.activity",
    )


def trained_people(
    participants: pd.DataFrame, windows: Sequence[Window]
) -> dict[str, pd.DataFrame]:
    """The people who completed a training that ended in each period, once each.

    Parameters
    ----------
    participants : DataFrame
        The ``training_participants`` view (participant x training, ``completed``,
        ``end_date``).
    windows : sequence of Window

    Returns
    -------
    dict of str to DataFrame
        ``{period label: one row per person}`` (a person who completed two trainings in the
        period is described by the first to end).
    """
    require_columns(participants, [PARTICIPANT, "completed", END_DATE], what="training view")
    done = participants[participants["completed"].astype("Float64").eq(1).fillna(False)]
    done = done.sort_values([END_DATE, "training_id"], kind="stable")
    frames = split_windows(done, END_DATE, windows, "training participants")
    return {k: v.drop_duplicates(PARTICIPANT, keep="first") for k, v in frames.items()}


def people_trained(
    frames: Mapping[str, pd.DataFrame], breakdowns: Sequence[str] = BREAKDOWNS
) -> pd.DataFrame:
    """People trained per period, overall and by each characteristic of ``breakdowns``.

    Returns
    -------
    DataFrame
        Long table, measure ``people_trained``; the total rows (category ``"All"``) are the
        people trained.
    """
    parts = [count_categories(frames, "people_trained", b) for b in breakdowns]
    return stack_results(parts, estimator="monitoring.training.people_trained")
