"""Views: derived tables whose unit differs from the clean table they come from.

=============  ==================================  =============================================
kind           from (one row per ...)              to (one row per ...)
=============  ==================================  =============================================
completion     participant x session (register)    participant x training: hours attended, share
                                                   of the training's hours, ``completed``
pre_post       participant x test (pre or post)    participant x training with both tests:
                                                   scores, gain, ``threshold_met``
stack          unit with k score columns           unit x column (e.g. institution x domain)
=============  ==================================  =============================================

A view is defined once in ``params/logframe.yaml`` under ``views:`` and built by
:func:`derived_view` from the clean tables; indicators and notebooks then use it like a
table. Column names default to the project's questionnaires and can be overridden.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evaluation.derive import checks
from evaluation.derive.variables import numeric_values
from evaluation.errors import DataError, ParamsError, format_values
from evaluation.validation import require_columns

COMMON_KEYS = ("kind", "source", "label", "description")
VIEW_DEFAULTS: dict[str, dict[str, Any]] = {
    "completion": {
        "participant": "participant_code",
        "group": "training_id",
        "session": "session_id",
        "session_hours": "session_hours",
        "hours": "hours_attended",
        "date": "session_date",
        "keep": ["course", "sex", "age_band", "disability", "institution", "admin_unit"],
        "threshold": 0.8,
    },
    "pre_post": {
        "participant": "participant_code",
        "group": "training_id",
        "test": "test_type",
        "pre": "pre",
        "post": "post",
        "score": "score_pct",
        "max_score": 100,
        "date": "today",
        "keep": ["course", "institution", "role", "sex", "age_band"],
        "post_at_least": 70,
        "gain_at_least": 20,
    },
    "stack": {"id": None, "values": None, "name": "item", "value": "value"},
}
VIEW_OUTPUTS = {
    "completion": (
        "sessions_attended",
        "sessions_held",
        "hours_attended",
        "training_hours",
        "hours_share",
        "sessions_share",
        "completed",
        "start_date",
        "end_date",
    ),
    "pre_post": (
        "pre_score",
        "post_score",
        "gain",
        "normalised_gain",
        "threshold_met",
        "pre_date",
        "post_date",
    ),
}


@dataclass(frozen=True)
class View:
    """A validated view definition: ``kind``, the ``source`` table and the kind's options."""

    name: str
    kind: str
    source: str
    options: Mapping[str, Any] = field(repr=False)
    label: Mapping[str, str] = field(default_factory=dict)
    description: str = ""

    def inputs(self) -> tuple[str, ...]:
        """Columns of the source table the view reads."""
        o = self.options
        if self.kind == "stack":
            return (*o["id"], *o["values"])
        fixed = [v for k, v in o.items() if isinstance(v, str) and k not in ("pre", "post")]
        return tuple(dict.fromkeys([*fixed, *o["keep"]]))

    def columns(self) -> tuple[str, ...]:
        """The columns the view has."""
        o = self.options
        if self.kind == "stack":
            return (*o["id"], o["name"], o["value"])
        return (o["group"], o["participant"], *o["keep"], *VIEW_OUTPUTS[self.kind])


def parse_view(name: str, spec: object, source: str = "views") -> View:
    """Check one view definition (unknown keys and wrong types are :class:`ParamsError`)."""
    where = f"{source}: view '{name}'"
    all_keys = sorted({k for d in VIEW_DEFAULTS.values() for k in d})
    spec = checks.check_keys(spec, where, ["kind", "source"], [*COMMON_KEYS[2:], *all_keys])
    kind = checks.text(spec["kind"], f"{where}, key 'kind'", tuple(VIEW_DEFAULTS))
    defaults = VIEW_DEFAULTS[kind]
    checks.check_keys(
        spec, f"{where} (kind {kind})", ["kind", "source"], [*COMMON_KEYS[2:], *defaults]
    )
    options = {k: spec.get(k, v) for k, v in defaults.items()}
    for key, value in options.items():
        at = f"{where}, key '{key}'"
        if key in ("keep", "id"):
            options[key] = (
                checks.names(value, at, minimum=0 if key == "keep" else 1)
                if value is not None
                else None
            )
        elif key == "values":
            options[key] = _stack_values(value, at)
        elif key in ("threshold",):
            options[key] = checks.number(value, at, 0, 1)
        elif key in ("max_score", "post_at_least", "gain_at_least"):
            options[key] = checks.number(value, at, 0)
        else:
            options[key] = checks.text(value, at)
    if kind == "stack" and options["id"] is None:
        raise ParamsError(f"{where}: missing required key 'id' (the columns kept on every row)")
    label = checks.labels(spec["label"], f"{where}, key 'label'", ()) if spec.get("label") else {}
    return View(
        name,
        kind,
        checks.text(spec["source"], f"{where}, key 'source'"),
        options,
        label,
        str(spec.get("description") or ""),
    )


def _stack_values(value: object, where: str) -> dict[str, str]:
    if isinstance(value, list):
        value = {checks.text(v, where): v for v in value}
    if not isinstance(value, Mapping) or not value:
        raise ParamsError(
            f"{where}: expected 'column: label' lines (e.g. 'gov_score: governance') or a list"
        )
    return {
        checks.text(k, where): checks.text(v, f"{where}, column '{k}'") for k, v in value.items()
    }


# --------------------------------------------------------------------------- building
def derived_view(view: View, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Build a view from the clean tables.

    Parameters
    ----------
    view : View
        The definition (``Logframe.views[name]``, or :func:`parse_view`).
    tables : mapping of str to DataFrame
        Clean tables by name; must hold ``view.source``.

    Returns
    -------
    DataFrame
        One row per the view's unit; ``attrs["notes"]`` lists rows left out and why.

    Raises
    ------
    DataError
        The source table is missing or lacks a column the view reads.

    Notes
    -----
    ``completion``: a training's hours are the sum over its distinct sessions of the
    session's length (the most frequent ``session_hours`` reported for it); a participant's
    hours the sum over distinct sessions of ``hours_attended`` (the largest if a session was
    entered twice); ``hours_share = min(1, hours / training hours)`` and ``completed`` is
    ``hours_share >= threshold`` (default 0.8, logframe OP2.1). ``sessions_share`` is the
    share of the training's sessions attended.

    ``pre_post``: pairs of the pre and post test of a participant in a training (the first
    pre and the last post when there are several); ``gain = post - pre`` (points),
    ``normalised_gain = (post - pre) / (max - pre)`` (Hake), ``threshold_met`` is
    ``post >= post_at_least or gain >= gain_at_least`` (default 70 and 20, logframe OP2.2).
    Tests without a partner are left out and counted in ``attrs["notes"]``.

    ``stack``: ``values`` columns become rows, named in the ``name`` column, with the value
    (as a number) in ``value``.
    """
    if view.source not in tables:
        raise DataError(
            f"view '{view.name}' needs the clean table '{view.source}', which was not given; "
            f"tables given: {format_values(sorted(tables))}"
        )
    data = tables[view.source]
    require_columns(data, view.inputs(), what=f"view '{view.name}': table '{view.source}'")
    return _BUILDERS[view.kind](data, view)


def _completion(data: pd.DataFrame, view: View) -> pd.DataFrame:
    o = view.options
    what = f"view '{view.name}'"
    group, person, session = o["group"], o["participant"], o["session"]
    rows = data[data[person].notna() & data[group].notna() & data[session].notna()].copy()
    rows["_session_hours"] = numeric_values(rows[o["session_hours"]], what).astype(float)
    rows["_hours"] = numeric_values(rows[o["hours"]], what).astype(float)
    sessions = rows.groupby([group, session], observed=True).agg(
        hours=("_session_hours", _most_frequent), date=(o["date"], "min")
    )
    trainings = sessions.groupby(level=0, observed=True).agg(
        training_hours=("hours", "sum"),
        sessions_held=("hours", "size"),
        start_date=("date", "min"),
        end_date=("date", "max"),
    )
    attended = rows.groupby([group, person, session], observed=True)["_hours"].max()
    people = attended.groupby(level=[0, 1], observed=True).agg(["sum", "size"])
    people.columns = ["hours_attended", "sessions_attended"]
    out = people.join(trainings, on=group)
    kept = (
        rows.sort_values(o["date"]).groupby([group, person], observed=True)[list(o["keep"])].first()
    )
    out = out.join(kept)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.minimum(1.0, out["hours_attended"] / out["training_hours"])
    out["hours_share"] = share.astype("Float64")
    out["sessions_share"] = (out["sessions_attended"] / out["sessions_held"]).astype("Float64")
    out["completed"] = (share >= o["threshold"] - 1e-12).astype("Int64").mask(share.isna())
    out = out.reset_index()
    for column in ("sessions_attended", "sessions_held"):
        out[column] = out[column].astype("Int64")
    for column in ("hours_attended", "training_hours"):
        out[column] = out[column].astype("Float64")
    out = out[list(view.columns())]
    dropped = len(data) - len(rows)
    out.attrs["notes"] = (
        [f"{dropped} attendance rows without participant, training or session left out"]
        if dropped
        else []
    )
    return out


def _most_frequent(values: pd.Series) -> float:
    modes = values.dropna().mode()
    return float(modes.max()) if len(modes) else np.nan


def _pre_post(data: pd.DataFrame, view: View) -> pd.DataFrame:
    o = view.options
    what = f"view '{view.name}'"
    group, person, test = o["group"], o["participant"], o["test"]
    rows = data[data[person].notna() & data[group].notna()].copy()
    rows["_score"] = numeric_values(rows[o["score"]], what).astype(float)
    rows["_test"] = rows[test].astype("string")
    unknown = sorted(set(rows["_test"].dropna()) - {o["pre"], o["post"]})
    if unknown:
        raise DataError(
            f"{what}: column '{test}' has {format_values(unknown)}; expected '{o['pre']}' or "
            f"'{o['post']}' (set pre:/post: in the view if the codes differ)"
        )
    rows = rows.sort_values(o["date"], kind="stable")
    keys = [group, person]
    pre = rows[rows["_test"] == o["pre"]].groupby(keys, observed=True).first()
    post = rows[rows["_test"] == o["post"]].groupby(keys, observed=True).last()
    both = pre.index.intersection(post.index)
    out = pd.DataFrame(index=both)
    keep = list(o["keep"])
    out[keep] = post.loc[both, keep].combine_first(pre.loc[both, keep])[keep]
    out["pre_score"] = pre.loc[both, "_score"].astype("Float64")
    out["post_score"] = post.loc[both, "_score"].astype("Float64")
    out["gain"] = out["post_score"] - out["pre_score"]
    headroom = o["max_score"] - out["pre_score"]
    out["normalised_gain"] = (out["gain"] / headroom).mask(headroom <= 0)
    met = (out["post_score"] >= o["post_at_least"]) | (out["gain"] >= o["gain_at_least"])
    out["threshold_met"] = met.astype("Int64").mask(
        out["pre_score"].isna() | out["post_score"].isna()
    )
    out["pre_date"] = pre.loc[both, o["date"]]
    out["post_date"] = post.loc[both, o["date"]]
    out = out.reset_index()[list(view.columns())]
    notes = []
    for name, other, side in (("pre", "post", pre), ("post", "pre", post)):
        alone = len(side.index.difference(both))
        if alone:
            notes.append(f"{alone} {name}-tests without a matching {other}-test left out")
    out.attrs["notes"] = notes
    return out


def _stack(data: pd.DataFrame, view: View) -> pd.DataFrame:
    o = view.options
    what = f"view '{view.name}'"
    ids = list(o["id"])
    parts = []
    for column, label in o["values"].items():
        part = data[ids].copy()
        part[o["name"]] = label
        part[o["value"]] = numeric_values(data[column], what).to_numpy()
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out[o["name"]] = pd.Categorical(
        out[o["name"]], categories=list(dict.fromkeys(o["values"].values()))
    )
    out[o["value"]] = out[o["value"]].astype("Float64")
    out.attrs["notes"] = []
    return out


_BUILDERS = {"completion": _completion, "pre_post": _pre_post, "stack": _stack}
