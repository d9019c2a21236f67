"""Params for report runs: load a YAML file and validate it strictly against a schema.

Each report (``quality``, ``baseline``, ``endline``, ``capacity``, ``monitoring``) has a
schema: the :data:`COMMON_KEYS` every report takes, plus the keys the report declares in
:data:`REPORT_KEYS` (or at run time with :func:`register_report_keys`). A key that is not in
the schema is an error with a "did you mean" hint, unlike plain papermill, which only warns.

A run's params are layered: schema defaults < params file < command-line overrides. Each layer
is checked on its own, so an error names the file (or "command line") it came from::

    ParamsError: params/baseline.yaml: unknown key 'clustr' (did you mean 'cluster'?).
    Valid keys: cluster, dataset, formats, language, ...

A value of ``null`` (YAML) or ``None`` means "not given": the default applies.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from evaluation.errors import ParamsError, did_you_mean

REPORTS: tuple[str, ...] = ("quality", "baseline", "endline", "capacity", "monitoring")
"""The reports that can be run, in the order ``workbench run all`` runs them."""

LANGUAGES: tuple[str, ...] = ("en", "sq")
"""Report languages: English and Albanian (Shqip)."""

FORMATS: tuple[str, ...] = ("html", "workbook")
"""Output formats a run can produce besides the executed notebook."""

KINDS: tuple[str, ...] = ("str", "int", "float", "bool", "period", "date", "list", "mapping")

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Field:
    """One key of a params schema.

    Parameters
    ----------
    kind : str
        ``"str"``, ``"int"``, ``"float"``, ``"bool"``, ``"period"`` (``YYYY-MM``), ``"date"``
        (``YYYY-MM-DD``), ``"list"`` or ``"mapping"``.
    required : bool
        The key must be given (in the file or on the command line).
    default : object
        The value when the key is not given (copied, never shared between runs).
    choices : tuple
        Allowed values (for scalars, and for list items through ``items``).
    minimum, maximum : float, optional
        Bounds for ``int`` and ``float`` values, inclusive.
    items : Field, optional
        The schema of each item of a ``list``.
    keys : mapping of str to Field, optional
        For a ``mapping``: its keys, checked as strictly as the top level. ``None`` with
        ``values`` set means free keys (e.g. one entry per indicator id).
    values : Field, optional
        For a ``mapping`` with free keys: the schema of each value.
    unique : bool
        For a ``list``: items must not repeat.
    help : str
        One line for notebook authors and error messages: meaning, units, allowed values.
    """

    kind: str
    required: bool = False
    default: Any = None
    choices: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    items: Field | None = None
    keys: Mapping[str, Field] | None = None
    values: Field | None = None
    unique: bool = False
    help: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Field kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.required and self.default is not None:
            raise ValueError("a required Field cannot have a default")


COMMON_KEYS: dict[str, Field] = {
    "report": Field(
        "str",
        choices=REPORTS,
        help="the report these params are for; must match the report being run",
    ),
    "dataset": Field("str", default="demo", help="dataset folder under surveys/data/ to read"),
    "language": Field(
        "str", default="en", choices=LANGUAGES, help="language of the report: en or sq"
    ),
    "languages": Field(
        "list",
        items=Field("str", choices=LANGUAGES),
        unique=True,
        help="run the notebook once per language, e.g. [en, sq]; replaces language",
    ),
    "period": Field("period", help="reporting period YYYY-MM (e.g. 2026-10); empty for all data"),
    "run_label": Field("str", default="", help="free text shown with the run, e.g. 'draft'"),
    "seed": Field(
        "int", default=20220203, minimum=0, help="random seed for bootstrap and simulations"
    ),
    "min_cell_size": Field(
        "int",
        default=10,
        minimum=1,
        help="suppress any cell based on fewer respondents than this",
    ),
    "formats": Field(
        "list",
        items=Field("str", choices=FORMATS),
        unique=True,
        default=("html", "workbook"),
        help="outputs besides the executed notebook: html, workbook",
    ),
}
"""Keys every report takes."""

REPORT_KEYS: dict[str, dict[str, Field]] = {report: {} for report in REPORTS}
"""Keys each report adds to :data:`COMMON_KEYS`. A report's owner declares them here::

    REPORT_KEYS["baseline"]["cluster"] = Field("str", default="school", help="...")
"""

# The data-quality report (notebooks/00_data_quality.ipynb, evaluation.quality).
REPORT_KEYS["quality"].update(
    {
        "tables": Field(
            "list",
            items=Field("str"),
            unique=True,
            default=(),
            help="clean tables to check, e.g. [youth_survey]; empty: every table of the dataset",
        ),
        "short_share": Field(
            "float",
            default=1 / 3,
            minimum=0,
            maximum=1,
            help="an interview is short below this share of its table's median duration",
        ),
        "short_minutes": Field(
            "mapping",
            values=Field("float", minimum=0),
            default={},
            help="per table, minutes below which an interview is short, e.g. {youth_survey: 8}",
        ),
        "iqr_multiplier": Field(
            "float", default=1.5, minimum=0.5, help="outlier beyond this many IQRs from Q1/Q3"
        ),
        "iqr_extreme": Field(
            "float", default=3.0, minimum=0.5, help="extreme outlier beyond this many IQRs"
        ),
        "iqr_by_enumerator": Field(
            "bool", default=False, help="compute the IQR fences within each enumerator"
        ),
        "iqr_questions": Field(
            "mapping",
            values=Field("list", items=Field("str"), unique=True),
            default={},
            help="per table, the numeric questions to check by IQR ([] for none); tables "
            "not listed: every numeric question",
        ),
        "iqr_min_values": Field(
            "int", default=10, minimum=4, help="fewest answers a question needs for IQR fences"
        ),
        "dk_codes": Field(
            "list",
            items=Field("str"),
            default=("dont_know", "dk", "98"),
            help="answer codes meaning don't know; 'list:code' limits a code to a choice list",
        ),
        "refusal_codes": Field(
            "list",
            items=Field("str"),
            default=("refuse", "refused", "prefer_not", "99"),
            help="answer codes meaning refused; 'list:code' limits a code to a choice list",
        ),
        "enumerator_test": Field(
            "str",
            default="fisher",
            choices=("fisher", "z"),
            help="test of an enumerator's flag rate against the others': fisher or z",
        ),
        "enumerator_alpha": Field(
            "float",
            default=0.05,
            minimum=0,
            maximum=1,
            help="Holm-adjusted p-value below which an enumerator stands out",
        ),
        "panel": Field(
            "mapping",
            keys={
                "table": Field("str", default="youth_survey", help="table with the panel code"),
                "code": Field("str", default="panel_code", help="pseudonymised panel code"),
                "school": Field("str", default="school_code", help="codes match within this"),
                "wave": Field("str", default="wave", help="column of the survey round"),
                "baseline": Field("str", default="baseline", help="code of the first round"),
                "endline": Field("str", default="endline", help="code of the second round"),
            },
            default={},
            help="baseline-endline matching of the self-generated panel code",
        ),
        "assent_by": Field(
            "list",
            items=Field("str"),
            default=("school_code", "_enumerator"),
            help="columns to break assent refusals down by (those a table has)",
        ),
        "timezone": Field(
            "str", default="Europe/Tirane", help="time zone for days and times in the report"
        ),
        "hidden_value_groups": Field(
            "list",
            items=Field("str"),
            default=("delinquency", "victim", "substance"),
            help="question groups whose answers listings never show; 'table:group' for one table",
        ),
        "workbook_layout": Field(
            "str",
            default="auto",
            choices=("auto", "one_sheet", "per_enumerator"),
            help="flagged submissions on one sheet, one sheet per enumerator, or auto (20 at most)",
        ),
        "listing_rows": Field(
            "int", default=20, minimum=1, help="rows of long listings shown in the HTML report"
        ),
    }
)

# The capacity-building report (notebooks/30_capacity_building.ipynb, evaluation.capacity).
REPORT_KEYS["capacity"].update(
    {
        "since": Field(
            "date",
            help="only trainings that started on or after this date (one training cycle); "
            "empty: every training",
        ),
        "courses": Field(
            "list",
            items=Field("str"),
            unique=True,
            default=(),
            help="course codes to report on, e.g. [dv_referral]; []: every course",
        ),
        "dimensions": Field(
            "list",
            items=Field(
                "str",
                choices=("institution", "role", "sex", "age_band", "disability", "admin_unit"),
            ),
            unique=True,
            default=("institution", "role", "sex", "age_band", "disability"),
            help="participant characteristics to count people by",
        ),
        "knowledge_items": Field(
            "list",
            items=Field("str"),
            unique=True,
            default=(),
            help="knowledge-test items for the item-level change, e.g. [k01, k02]; []: every "
            "item with a scored '<item>_ok' calculate",
        ),
        "item_target": Field(
            "float",
            default=0.7,
            minimum=0,
            maximum=1,
            help="share of trainees answering an item correctly at post-test for it to count "
            "as learnt",
        ),
        "alpha": Field(
            "float",
            default=0.05,
            minimum=0,
            maximum=1,
            help="Holm-adjusted McNemar p-value below which an item's change counts as real",
        ),
        "reaction_items": Field(
            "list",
            items=Field("str"),
            unique=True,
            default=("r_relevant", "r_new", "r_apply", "r_trainer", "r_organisation"),
            help="post-test reaction items (Kirkpatrick level 1), answered 1-5",
        ),
        "agree_from": Field(
            "int",
            default=4,
            minimum=1,
            maximum=5,
            help="reaction answers from this value up count as agreeing (4 = agree)",
        ),
        "scorecard_min_institutions": Field(
            "int",
            default=3,
            minimum=1,
            help="institution types with fewer assessed institutions are merged in the scorecard",
        ),
        "indicators": Field(
            "list",
            items=Field("str"),
            unique=True,
            default=(
                "OC2.1",
                "OC2.2",
                "OC2.3",
                "OC2.4",
                "OC2.5",
                "OC3.1",
                "OC3.2",
                "OP2.1",
                "OP2.2",
                "OP2.3",
                "OP3.1",
                "OP3.2",
            ),
            help="logframe indicators shown against their milestones (capacity, partnerships)",
        ),
    }
)


class _EndlinePlanKeys(Mapping):
    """The keys of the endline's ``impact:`` plan, read from :mod:`evaluation.analysis_plan`
    on first use.

    ``analysis_plan`` imports this module and the impact estimators (about a second), so the
    schema borrows its :data:`~evaluation.analysis_plan.PLAN_KEYS` lazily and params stays
    light for every other report and command. The plan's own ``seed`` is left out: the
    report's top-level ``seed`` seeds the bootstrap (one seed per run).
    """

    def _keys(self) -> Mapping[str, Field]:
        from evaluation.analysis_plan import PLAN_KEYS

        return {name: spec for name, spec in PLAN_KEYS.items() if name != "seed"}

    def __getitem__(self, key: str) -> Field:
        return self._keys()[key]

    def __iter__(self):
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())


# The endline impact report (notebooks/20_endline_impact.ipynb, evaluation.endline).
REPORT_KEYS["endline"].update(
    {
        "impact": Field(
            "mapping",
            keys=_EndlinePlanKeys(),
            default={
                "families": {  # the logframe's youth-survey impact and outcome measures
                    "attitudes": ["attitudes_score", "low_commitment"],
                    "behaviour": ["any_delinquency", "antisocial_friends"],
                    "substance": ["cannabis_30d", "cannabis_life", "cannabis_easy"],
                    "safety": ["feels_safe", "help_knows_2"],
                }
            },
            help="the impact analysis plan: families of outcomes, estimators, adjustment, "
            "heterogeneity, bootstrap (evaluation.analysis_plan.PLAN_KEYS; seed: the run's)",
        ),
        "logframe": Field(
            "str",
            default="params/logframe.yaml",
            help="logframe file (indicators, derived outcomes), relative to the project root",
        ),
        "primary_estimator": Field(
            "str",
            default="did_panel",
            choices=("did", "did_panel", "ancova"),
            help="the estimator the report's sentences, plot order and donor headline lead with",
        ),
        "lee_bounds": Field(
            "str",
            default="auto",
            choices=("auto", "always", "never"),
            help="Lee bounds on the panel effects: auto = when attrition differs between arms "
            "by at least lee_min_difference",
        ),
        "lee_min_difference": Field(
            "float",
            default=0.02,
            minimum=0,
            maximum=1,
            help="difference in attrition rates (0-1) from which auto shows Lee bounds",
        ),
        "as_of": Field(
            "date",
            help="date of the logframe comparison (latest actual and milestone due by then); "
            "empty: each indicator's latest period",
        ),
    }
)


# The baseline report (notebooks/10_baseline.ipynb, evaluation.baseline).
_BALANCE_VARIABLES = (
    "female", "age", "disability", "attitudes_scale", "school_commitment",
    "family_management", "antisocial_friends", "any_delinquency", "cannabis_life", "feels_safe",
)  # fmt: skip
_RISK_FACTORS = (
    "friends_cannabis", "antisocial_friends", "family_management", "school_commitment",
    "cannabis_easy", "male", "age",
)  # fmt: skip
_MDE_OUTCOMES = ("attitudes_scale", "any_delinquency", "cannabis_30d", "feels_safe")
REPORT_KEYS["baseline"].update(
    {
        "table": Field("str", default="youth_survey", help="clean table of the youth survey"),
        "wave_column": Field("str", default="wave", help="column of the survey round"),
        "wave": Field("str", default="baseline", help="code of the baseline round"),
        "assent": Field("str", default="assent", help="assent question ('yes' = respondent)"),
        "as_of": Field(
            "date",
            default="2022-12-31",
            help="date of the logframe table: latest actual and milestone due by then",
        ),
        "level": Field("float", default=0.95, minimum=0.5, maximum=0.999, help="CI level"),
        "dimensions": Field(
            "list",
            items=Field("str"),
            unique=True,
            default=("sex", "age_band", "disability", "unit", "arm"),
            help="logframe disaggregations shown for the baseline indicators",
        ),
        "sample_by": Field(
            "list",
            items=Field("str"),
            unique=True,
            default=("school_code", "sex", "age_band", "disability", "unit"),
            help="characteristics of the respondents counted by area (columns or dimensions)",
        ),
        "protect_units": Field(
            "list",
            items=Field("str"),
            default=("elbasan",),
            help="administrative units never merged into 'Other rural units'",
        ),
        "balance": Field(
            "mapping",
            keys={
                "variables": Field(
                    "list",
                    items=Field("str"),
                    unique=True,
                    default=_BALANCE_VARIABLES,
                    help="numeric baseline variables compared between the areas",
                ),
                "arm": Field("str", default="arm", help="column of the area"),
                "comparison": Field("str", default="comparison", help="the comparison area"),
                "cluster": Field("str", default="school_code", help="clusters of the SEs"),
                "weights": Field("bool", default=True, help="weight by the design weights"),
            },
            default={},
            help="balance table between project and comparison areas",
        ),
        "scales": Field(
            "list",
            items=Field("str"),
            unique=True,
            default=("attitudes_scale", "school_commitment", "family_management"),
            help="scales (logframe derived variables of kind scale) whose reliability is shown",
        ),
        "risk": Field(
            "mapping",
            keys={
                "outcome": Field("str", default="cannabis_life", help="0/1 outcome"),
                "factors": Field(
                    "list",
                    items=Field("str"),
                    unique=True,
                    default=_RISK_FACTORS,
                    help="risk and protective factors (a parsimonious set)",
                ),
                "modifiable": Field(
                    "list",
                    items=Field("str"),
                    unique=True,
                    default=("antisocial_friends", "friends_cannabis"),
                    help="0/1 factors whose attributable fraction is shown",
                ),
                "penalty": Field(
                    "str",
                    default="auto",
                    choices=("auto", "none", "firth"),
                    help="firth, none, or auto: Firth when fewer than 10 events per term",
                ),
            },
            default={},
            help="risk-factor model for young people's drug use",
        ),
        "mde": Field(
            "mapping",
            keys={
                "outcomes": Field(
                    "list",
                    items=Field("str"),
                    unique=True,
                    default=_MDE_OUTCOMES,
                    help="endline outcomes",
                ),
                "attrition": Field(
                    "float", default=0.15, minimum=0, maximum=0.95, help="expected loss"
                ),
                "power": Field("float", default=0.8, minimum=0.5, maximum=0.99, help="power"),
                "alpha": Field("float", default=0.05, minimum=0.001, maximum=0.2, help="alpha"),
            },
            default={},
            help="minimum detectable effects at endline from the baseline ICCs",
        ),
    }
)

# The monthly monitoring report (notebooks/40_monitoring.ipynb, evaluation.monitoring).
REPORT_KEYS["monitoring"].update(
    {
        "indicators": Field(
            "list",
            items=Field("str"),
            unique=True,
            default=("OP1.1", "OP2.1", "OP2.2", "OC2.3", "OC2.4", "OC2.5"),
            help="logframe indicators shown against their milestones, by month",
        ),
        "trend_months": Field(
            "int",
            default=12,
            minimum=2,
            maximum=36,
            help="months in the trend charts and in the 'last months' column",
        ),
        "change_alert": Field(
            "float",
            default=0.5,
            minimum=0,
            help="a count that changes by at least this share from last month needs attention",
        ),
        "protect_units": Field(
            "list",
            items=Field("str"),
            unique=True,
            default=("elbasan",),
            help="administrative units never merged into 'Other rural units' (the city)",
        ),
        "street_rounds": Field(
            "list",
            items=Field("str"),
            unique=True,
            default=("fixed",),
            help="round types of street contacts counted for headcounts (fixed-time rounds)",
        ),
        "street_hotspots": Field(
            "str",
            default=r"H\d+",
            help="regular expression that the codes of fixed hotspots match in full",
        ),
        "incomplete_days": Field(
            "int",
            default=7,
            minimum=0,
            help="a register whose last row is more days than this before the month's end "
            "may be incomplete (needs attention)",
        ),
    }
)


def register_report_keys(report: str, keys: Mapping[str, Field]) -> None:
    """Add report-specific keys to the schema of ``report``.

    Raises
    ------
    ParamsError
        If ``report`` is unknown or a key is already declared (common or report-specific).
    """
    _require_report(report)
    taken = set(COMMON_KEYS) | set(REPORT_KEYS[report])
    clash = sorted(set(keys) & taken)
    if clash:
        raise ParamsError(
            f"report '{report}' already declares the params key(s) {', '.join(clash)}; "
            "choose other names or edit the existing declaration"
        )
    REPORT_KEYS[report].update(keys)


def schema_for(report: str) -> dict[str, Field]:
    """The full schema of ``report``: common keys, then its own keys."""
    _require_report(report)
    return {**COMMON_KEYS, **REPORT_KEYS[report]}


def load_params(
    report: str,
    path: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    root: Path | None = None,
) -> dict[str, Any]:
    """Load, layer and validate the params of one run.

    Parameters
    ----------
    report : str
        One of :data:`REPORTS`.
    path : path, optional
        A params YAML file. ``None`` uses the schema defaults only.
    overrides : mapping, optional
        Values from the command line (``--period``, ``--language``); ``None`` values are
        ignored.
    root : Path, optional
        Project root, used only to show ``path`` relative to it in messages.

    Returns
    -------
    dict
        Every key of the schema, resolved as defaults < file < overrides, with ``report``
        set to the report being run.

    Raises
    ------
    ParamsError
        Naming the file (or "command line"), the key, what was found and what is expected:
        unknown keys (with "did you mean"), wrong types or values, missing required keys,
        a ``report`` key that names another report, unreadable YAML.
    """
    schema = schema_for(report)
    layers: list[tuple[str, Mapping[str, Any]]] = []
    source = "params"
    if path is not None:
        source = display_path(Path(path), root)
        layers.append((source, read_params_file(path, root)))
    if overrides:
        layers.append(("command line", {k: v for k, v in overrides.items() if v is not None}))
    merged: dict[str, Any] = {}
    for where, values in layers:
        _validate(schema, values, where, complete=False)
        merged = _deep_merge(schema, merged, values)
    return _finish(report, schema, merged, source)


def check_params(report: str, values: Mapping[str, Any], source: str = "params") -> dict[str, Any]:
    """Validate already-loaded params (e.g. a notebook's parameters) and fill defaults.

    Parameters
    ----------
    report : str
        One of :data:`REPORTS`.
    values : mapping
        Params to check; unknown keys are errors.
    source : str
        Where the values came from, for messages.

    Returns
    -------
    dict
        Every key of the schema, resolved.

    Raises
    ------
    ParamsError
        As :func:`load_params`.
    """
    schema = schema_for(report)
    given = {k: v for k, v in values.items() if v is not None}
    _validate(schema, given, source, complete=False)
    return _finish(report, schema, _deep_merge(schema, {}, given), source)


def read_params_file(path: str | Path, root: Path | None = None) -> dict[str, Any]:
    """Read a params YAML file as a mapping; duplicate keys and bad YAML are errors.

    Raises
    ------
    ParamsError
        If the file is missing, is not YAML, repeats a key, or is not a mapping at the top.
    """
    path = Path(path)
    where = display_path(path, root)
    if not path.is_file():
        siblings = (
            sorted(p.name for p in path.parent.glob("*.yaml")) if path.parent.is_dir() else []
        )
        hint = f"; files there: {', '.join(siblings)}" if siblings else ""
        raise ParamsError(f"params file {where} does not exist{hint}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ParamsError(
            f"{where}: not UTF-8 text (byte {error.start}); save the file as UTF-8"
        ) from None
    try:
        data = yaml.load(text, Loader=StrictLoader)  # a SafeLoader subclass
    except ParamsError as error:
        raise ParamsError(f"{where}: {error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ParamsError(
            f"{where}: not valid YAML{at}: {problem}; check indentation and quoting"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParamsError(
            f"{where}: expected 'key: value' lines at the top level, found {_describe(data)}"
        )
    return data


def params_hash(params: Mapping[str, Any], length: int = 8) -> str:
    """Short SHA-256 of params as canonical JSON (sorted keys): same params, same hash."""
    text = json.dumps(params, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def parameters_cell_source(report: str) -> str:
    """Source of a notebook's ``parameters`` cell declaring every key of the schema.

    Each line is a literal assignment of the default, commented with the kind and help, as
    the notebook convention asks (papermill injects the run's values after this cell).
    """
    lines = [
        "# Parameters: papermill injects this run's values in the next cell.",
        f"# Validated by evaluation.pipeline.start(report={report!r}, params=globals()).",
    ]
    for name, spec in schema_for(report).items():
        value = report if name == "report" else _default(spec)
        lines.append(f"{name} = {value!r}  # {_kind_text(spec)}: {spec.help}".rstrip(": "))
    return "\n".join(lines)


def display_path(path: Path, root: Path | None = None) -> str:
    """``path`` relative to ``root`` (or the working directory) when inside it."""
    path = Path(path)
    for base in (root, Path.cwd()):
        if base is None:
            continue
        try:
            return path.resolve().relative_to(Path(base).resolve()).as_posix()
        except ValueError:
            continue
    return str(path)


# --------------------------------------------------------------------------- validation
_INVALID = object()


def _finish(
    report: str, schema: Mapping[str, Field], merged: dict[str, Any], source: str
) -> dict[str, Any]:
    given_report = merged.get("report")
    if given_report is not None and given_report != report:
        raise ParamsError(
            f"{source}: report '{given_report}' does not match the report being run "
            f"('{report}'); run `workbench run {given_report}`, or use a params file for "
            f"{report}"
        )
    merged = {**merged, "report": report}
    return _validate(schema, merged, source, complete=True)


def _validate(
    schema: Mapping[str, Field], values: Mapping[str, Any], source: str, complete: bool
) -> dict[str, Any]:
    problems: list[str] = []
    resolved = _check_mapping(schema, values, "", problems, complete)
    if problems:
        raise ParamsError(f"{source}: " + "; ".join(problems))
    return resolved


def _check_mapping(
    schema: Mapping[str, Field],
    values: Mapping[str, Any],
    prefix: str,
    problems: list[str],
    complete: bool,
) -> dict[str, Any]:
    resolved: dict[str, Any] = {}
    for name, spec in schema.items():
        where = f"{prefix}{name}"
        value = values.get(name)
        if value is None:
            if complete and spec.required:
                problems.append(f"missing required key '{where}' ({_kind_text(spec)}: {spec.help})")
            elif complete:
                resolved[name] = _complete_default(spec, where, problems)
            continue
        checked = _check_value(spec, value, where, problems, complete)
        if checked is not _INVALID:
            resolved[name] = checked
    unknown = [str(k) for k in values if k not in schema]
    if unknown:  # last, so that the list of valid keys ends the message
        problems.append(_unknown_keys(unknown, schema, prefix))
    return resolved


def _complete_default(spec: Field, where: str, problems: list[str]) -> Any:
    if spec.kind == "mapping" and spec.keys is not None:
        defaults = copy.deepcopy(dict(spec.default or {}))
        return _check_mapping(spec.keys, defaults, f"{where}.", problems, complete=True)
    return _default(spec)


def _check_value(spec: Field, value: Any, where: str, problems: list[str], complete: bool) -> Any:
    if spec.kind == "list":
        return _check_list(spec, value, where, problems, complete)
    if spec.kind == "mapping":
        return _check_nested(spec, value, where, problems, complete)
    checked = _check_scalar(spec, value, where, problems)
    if checked is _INVALID:
        return _INVALID
    if spec.choices and checked not in spec.choices:
        options = ", ".join(map(str, spec.choices))
        hint = did_you_mean(str(checked).casefold(), [str(c) for c in spec.choices])
        problems.append(f"key '{where}': {checked!r} is not one of {options}{hint}")
        return _INVALID
    return _check_bounds(spec, checked, where, problems)


def _check_scalar(spec: Field, value: Any, where: str, problems: list[str]) -> Any:
    kind = spec.kind
    ok = {
        "str": isinstance(value, str),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "period": isinstance(value, str) and bool(_PERIOD.match(value)),
        "date": isinstance(value, dt.date) or (isinstance(value, str) and bool(_DATE.match(value))),
    }[kind]
    if not ok:
        problems.append(
            f"key '{where}': expected {_kind_text(spec)}, found {_describe(value)}"
            f"{_scalar_fix(spec, value)}"
        )
        return _INVALID
    if kind == "float":
        return float(value)
    if kind == "date":
        return _check_date(value, where, problems)
    return value


def _check_date(value: Any, where: str, problems: list[str]) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()[:10]
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        problems.append(f"key '{where}': {value!r} is not a calendar date (YYYY-MM-DD)")
        return _INVALID


def _check_bounds(spec: Field, value: Any, where: str, problems: list[str]) -> Any:
    if spec.minimum is not None and value < spec.minimum:
        problems.append(f"key '{where}': {value!r} is below the minimum {spec.minimum:g}")
        return _INVALID
    if spec.maximum is not None and value > spec.maximum:
        problems.append(f"key '{where}': {value!r} is above the maximum {spec.maximum:g}")
        return _INVALID
    return value


def _check_list(spec: Field, value: Any, where: str, problems: list[str], complete: bool) -> Any:
    if isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, list):
        fix = f"; write it as a list: [{value}]" if isinstance(value, str | int | float) else ""
        problems.append(f"key '{where}': expected a list, found {_describe(value)}{fix}")
        return _INVALID
    items = spec.items or Field("str")
    checked = [
        _check_value(items, v, f"{where}[{i}]", problems, complete) for i, v in enumerate(value)
    ]
    if any(c is _INVALID for c in checked):
        return _INVALID
    if spec.unique:
        repeated = sorted({repr(v) for i, v in enumerate(checked) if v in checked[:i]})
        if repeated:
            problems.append(f"key '{where}': {', '.join(repeated)} listed more than once")
            return _INVALID
    return checked


def _check_nested(spec: Field, value: Any, where: str, problems: list[str], complete: bool) -> Any:
    if not isinstance(value, dict):
        problems.append(
            f"key '{where}': expected a mapping (indented 'key: value' lines), "
            f"found {_describe(value)}"
        )
        return _INVALID
    if spec.keys is not None:
        before = len(problems)
        resolved = _check_mapping(spec.keys, value, f"{where}.", problems, complete)
        return resolved if len(problems) == before else _INVALID
    values = spec.values or Field("str")
    checked = {
        str(k): _check_value(values, v, f"{where}.{k}", problems, complete)
        for k, v in value.items()
    }
    return _INVALID if any(c is _INVALID for c in checked.values()) else checked


def _unknown_keys(unknown: Sequence[str], schema: Mapping[str, Field], prefix: str) -> str:
    shown = ", ".join(f"'{prefix}{k}'{did_you_mean(k, schema)}" for k in unknown)
    noun = "key" if len(unknown) == 1 else "keys"
    under = f" under '{prefix.rstrip('.')}'" if prefix else ""
    return f"unknown {noun} {shown}. Valid keys{under}: {', '.join(sorted(schema))}"


def _deep_merge(
    schema: Mapping[str, Field], base: Mapping[str, Any], top: Mapping[str, Any]
) -> dict:
    merged = dict(base)
    for name, value in top.items():
        spec = schema.get(name)
        old = merged.get(name)
        if (
            spec is not None
            and spec.keys is not None
            and isinstance(old, dict)
            and isinstance(value, dict)
        ):
            merged[name] = _deep_merge(spec.keys, old, value)
        else:
            merged[name] = copy.deepcopy(value)
    return merged


# --------------------------------------------------------------------------- wording
def _default(spec: Field) -> Any:
    default = spec.default
    if isinstance(default, tuple):
        return list(default)
    return copy.deepcopy(default)


def _kind_text(spec: Field) -> str:
    text = {
        "str": "text",
        "int": "a whole number",
        "float": "a number",
        "bool": "true or false",
        "period": "a period YYYY-MM",
        "date": "a date YYYY-MM-DD",
        "list": "a list",
        "mapping": "a mapping",
    }[spec.kind]
    if spec.kind == "list" and spec.items is not None and spec.items.choices:
        text += " of " + ", ".join(map(str, spec.items.choices))
    elif spec.choices:
        text += ", one of " + ", ".join(map(str, spec.choices))
    return text


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, int | float):
        return f"{value!r} (a number)"
    if isinstance(value, str):
        return f"{value!r} (text)"
    if isinstance(value, dt.date):
        return f"{value.isoformat()} (a date)"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _scalar_fix(spec: Field, value: Any) -> str:
    if spec.kind == "str" and isinstance(value, int | float | bool | dt.date):
        return f"; put it in quotes: '{value}'"
    if spec.kind == "period" and isinstance(value, dt.date):
        return f"; write the month only: {value.strftime('%Y-%m')}"
    if spec.kind == "period":
        return "; write year and month, e.g. 2026-10"
    return ""


def _require_report(report: str) -> None:
    if report not in REPORTS:
        raise ParamsError(
            f"unknown report '{report}'{did_you_mean(report, REPORTS)}; "
            f"choose one of: {', '.join(REPORTS)}"
        )


class StrictLoader(yaml.SafeLoader):
    """A SafeLoader that refuses repeated keys (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if not isinstance(key, Hashable):
                continue  # SafeLoader reports unhashable keys itself
            if key in seen:
                raise ParamsError(
                    f"key '{key}' appears twice (lines {seen[key]} and {line}); keep one"
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)
