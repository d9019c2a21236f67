"""The data-quality report's sentences, computed from the checks, in the report's language.

Each function returns a :class:`Text`: a string that a notebook shows as Markdown (it has
``_repr_markdown_``). The wording is in ``quality.say.*`` of the report text files; the
numbers are formatted by :mod:`evaluation.report.tables`. Notebooks never hard-code prose.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from evaluation.quality.checks import QualityChecks
from evaluation.quality.present import NONRESPONSE_LIMIT, daily_summary, translate
from evaluation.report.labels import t
from evaluation.report.tables import (
    format_count,
    format_date,
    format_minutes,
    format_number,
    format_percent,
    question_label,
)


class Text(str):
    """A paragraph (or heading) of Markdown that notebooks render as such."""

    def _repr_markdown_(self) -> str:
        return str(self)


def heading(section: str, language: str, level: int = 2) -> Text:
    """``## <section title>`` in ``language`` (``quality.sections.<section>``)."""
    return Text("#" * level + " " + t(f"quality.sections.{section}", language))


def _say(checks: QualityChecks, key: str, **fields: object) -> str:
    return t(f"quality.say.{key}", checks.language, **fields)


def _table_name(checks: QualityChecks, table: str) -> str:
    return str(translate(pd.Series([table]), "tables", checks.language).iloc[0])


def _count(checks: QualityChecks, value: object) -> str:
    return format_count(value, checks.language)


def _join(items: Iterable[str]) -> str:
    return ", ".join(items)


# --------------------------------------------------------------------------- sections
def overview(checks: QualityChecks) -> Text:
    """What the report covers: tables, rows read, accepted and set aside."""
    files = checks.files
    names = _join(_table_name(checks, name) for name in checks.data.tables)
    return Text(
        _say(
            checks,
            "overview",
            tables=names,
            dataset=checks.settings.dataset,
            read=_count(checks, files["rows_read"].sum()),
            accepted=_count(checks, files["rows_accepted"].sum()),
            quarantined=_count(checks, files["rows_quarantined"].sum()),
        )
    )


def ingestion(checks: QualityChecks) -> Text:
    """Whether every file's rows add up, and the encodings detected."""
    files = checks.files
    bad = files.loc[~files["reconciles"], "file"].tolist()
    first = _say(checks, "not_reconciled", files=_join(bad)) if bad else _say(checks, "reconciled")
    encodings = sorted({str(e).casefold() for e in files["encoding"] if e})
    second = _say(checks, "encodings", encodings=_join(encodings)) if encodings else ""
    return Text(" ".join(p for p in (first, second) if p))


def rules(checks: QualityChecks) -> Text:
    """The most frequent problem ingestion found."""
    found = checks.rules[checks.rules["code"].ne("assent_refused")]
    if found.empty or int(found["count"].sum()) == 0:
        return Text(_say(checks, "no_rules"))
    top = found.sort_values("count", ascending=False, kind="stable").iloc[0]
    rule = translate(pd.Series([top["code"]]), "rules", checks.language).iloc[0]
    return Text(
        _say(checks, "top_rule", rule=rule, count=_count(checks, top["count"]), file=top["file"])
    )


def columns(checks: QualityChecks) -> Text:
    """How many columns were renamed, unknown or missing."""
    changes = checks.columns["change"].value_counts()
    if changes.empty:
        return Text(_say(checks, "no_columns"))
    return Text(
        _say(
            checks,
            "columns",
            renamed=_count(checks, changes.get("renamed", 0)),
            unknown=_count(checks, changes.get("unknown", 0)),
            missing=_count(checks, changes.get("missing", 0)),
        )
    )


def duplicates(checks: QualityChecks) -> Text:
    """Exact duplicates dropped and same-ID submissions set aside."""
    rows = checks.duplicate_rows
    if rows.empty:
        return Text(_say(checks, "no_duplicates"))
    exact = int(rows["rule"].eq("duplicate_exact").sum())
    ids = int(rows["rule"].eq("duplicate_id").sum())
    return Text(_say(checks, "duplicates", exact=_count(checks, exact), ids=_count(checks, ids)))


def durations(checks: QualityChecks) -> Text:
    """Median duration and short interviews, one sentence per table."""
    if checks.durations.empty:
        return Text(_say(checks, "no_durations"))
    lines = [
        _say(
            checks,
            "durations",
            table=_table_name(checks, row.table),
            median=format_minutes(row.estimate, checks.language),
            short=_count(checks, row.n_short),
            share=format_percent(row.share_short, 1, checks.language),
            threshold=format_minutes(row.threshold_min, checks.language),
        )
        for row in checks.durations.itertuples(index=False)
    ]
    return Text(_bullets(lines))


def nonresponse(checks: QualityChecks) -> Text:
    """The question left unanswered most often, and how many exceed the limit."""
    result = checks.nonresponse.dropna(subset=["estimate"])
    if result.empty or float(result["estimate"].max()) == 0:
        return Text(_say(checks, "no_nonresponse"))
    top = result.sort_values("estimate", ascending=False, kind="stable").iloc[0]
    instrument = checks.data.instruments.get(top["table"])
    return Text(
        _say(
            checks,
            "nonresponse",
            question=question_label(instrument, top["variable"], checks.language),
            table=_table_name(checks, top["table"]),
            rate=format_percent(top["estimate"], 1, checks.language),
            many=_count(checks, int((result["estimate"] > NONRESPONSE_LIMIT).sum())),
            limit=format_percent(NONRESPONSE_LIMIT, 0, checks.language),
        )
    )


def outliers(checks: QualityChecks) -> Text:
    """Constraint breaks (set aside) and IQR outliers (kept)."""
    found = checks.outliers
    return Text(
        _say(
            checks,
            "outliers",
            constraint=_count(checks, len(checks.constraints)),
            outliers=_count(checks, len(found)),
            extreme=_count(checks, int(found["severity"].eq("extreme").sum())),
        )
    )


def enumerators(checks: QualityChecks) -> Text:
    """Which enumerators stand out, if any."""
    result = checks.enumerators
    if result.empty:
        return Text(_say(checks, "no_enumerators"))
    out = result[result["stands_out"].fillna(False).astype(bool)]
    if out.empty:
        return Text(_say(checks, "enumerators_none"))
    names = _join(
        f"{row.enumerator} ({_table_name(checks, row.table)})" for row in out.itertuples()
    )
    return Text(_say(checks, "enumerators", count=_count(checks, len(out)), names=names))


def assent(checks: QualityChecks, by: str = "school_code") -> Text:
    """How many refused assent, and where the share is highest."""
    overall = checks.assent.get("all")
    if overall is None or overall.empty:
        return Text(_say(checks, "no_assent"))
    refused, total = int(overall["n_refused"].sum()), int(overall["n"].sum())
    groups = checks.assent.get(by)
    if groups is None or groups.empty:
        groups = overall
        by = "table"
    top = groups.iloc[0]  # sorted: highest share first
    where = top[by] if by != "table" else _table_name(checks, top["table"])
    return Text(
        _say(
            checks,
            "assent",
            refused=_count(checks, refused),
            total=_count(checks, total),
            rate=format_percent(refused / total if total else float("nan"), 1, checks.language),
            where=where,
            where_rate=format_percent(top["estimate"], 1, checks.language),
            where_n=_count(checks, top["n"]),
        )
    )


def per_day(checks: QualityChecks) -> Text:
    """Days with submissions per table and round."""
    summary = daily_summary(checks)
    lines = []
    for row in summary.itertuples(index=False):
        name = _table_name(checks, row.table)
        if isinstance(row.round, str) and row.round:
            name = f"{name} – {row.round}"
        lines.append(
            _say(
                checks,
                "per_day",
                table=name,
                submissions=_count(checks, row.submissions),
                days=_count(checks, row.days),
                first=format_date(row.first_day),
                last=format_date(row.last_day),
                busiest=_count(checks, row.busiest_day),
            )
        )
    return Text(_bullets(lines))


def panel(checks: QualityChecks) -> Text:
    """The panel-code match rate and the codes that cannot link."""
    result = checks.panel
    if result is None or result.empty:
        return Text(_say(checks, "no_panel"))
    total = result[result["school"].isna()].iloc[0]
    shared = int(total["duplicated_baseline"] + total["duplicated_endline"])
    return Text(
        _say(
            checks,
            "panel",
            matched=_count(checks, total["matched"]),
            codes=_count(checks, total["codes_baseline"]),
            rate=format_percent(total["estimate"], 1, checks.language),
            unmatched=_count(checks, total["unmatched_endline"]),
            shared=_count(checks, shared),
        )
    )


def flagged(checks: QualityChecks) -> Text:
    """How many problems and submissions the listing holds."""
    listing = checks.flagged
    if listing.empty:
        return Text(_say(checks, "no_flagged"))
    submissions = listing[["table", "submission_id", "file", "row"]].drop_duplicates()
    return Text(
        _say(
            checks,
            "flagged",
            problems=_count(checks, len(listing)),
            submissions=_count(checks, len(submissions)),
            shown=_count(checks, min(len(listing), checks.settings.listing_rows)),
        )
    )


def workbook(checks: QualityChecks, path: object) -> Text:
    """Where the field team's workbook is (its file name only); nothing if none was written."""
    from pathlib import PurePath

    if path is None:
        return Text("")
    return Text(_say(checks, "workbook", file=f"`{PurePath(str(path)).name}`"))


# --------------------------------------------------------------------------- notes
def method_notes(checks: QualityChecks) -> list[str]:
    """The report's method notes (thresholds, codes, tests, privacy), in its language."""
    s, lang = checks.settings, checks.language
    minimum = " ".join(
        t(
            "quality.notes.minimum",
            lang,
            minutes=format_number(m, 0, lang),
            table=_table_name(checks, n),
        )
        for n, m in sorted(s.short_minutes.items())
        if n in checks.data.tables
    )
    return [
        t(
            "quality.notes.durations",
            lang,
            share=format_percent(s.short_share, 0, lang),
            minimum=minimum,
        )
        .replace("  ", " ")
        .replace(" ;", ";"),
        t(
            "quality.notes.nonresponse",
            lang,
            dk=_join(s.dk_codes) or "–",
            refused=_join(s.refusal_codes) or "–",
        ),
        t(
            "quality.notes.outliers",
            lang,
            k=format_number(s.iqr_multiplier, 1, lang),
            k_extreme=format_number(s.iqr_extreme, 1, lang),
        ),
        t(
            "quality.notes.enumerators",
            lang,
            test=t(f"quality.notes.{s.enumerator_test}", lang),
            alpha=format_number(s.enumerator_alpha, 2, lang),
        ),
        t("quality.notes.hidden", lang),
    ]


def _bullets(lines: list[str]) -> str:
    if len(lines) == 1:
        return lines[0]
    return "\n".join(f"- {line}" for line in lines)
