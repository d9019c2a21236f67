"""The capacity-building report's headings, sentences, method notes and e-mail summary.

Each function returns a :class:`Text` (Markdown, shown as such by a notebook) or plain lines,
in the report's language. The wording is in ``capacity.*`` of the report text files; numbers
are formatted by :mod:`evaluation.report.tables`. Sentences only use values that the tables
publish: a value hidden by small-cell suppression is never quoted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from evaluation.capacity.data import CapacityData
from evaluation.capacity.present import (
    code_label,
    item_number,
    knowledge_wide,
    protected,
    scorecard_wide,
    text,
)
from evaluation.capacity.training import TOTAL
from evaluation.report.labels import t
from evaluation.report.tables import (
    format_count,
    format_date,
    format_interval,
    format_number,
    format_p_value,
    format_percent,
)

STATUSES = ("on track", "at risk", "off track")


class Text(str):
    """A paragraph (or heading) of Markdown that notebooks render as such."""

    def _repr_markdown_(self) -> str:
        return str(self)


def heading(section: str, language: str, level: int = 2) -> Text:
    """``## <section title>`` in ``language`` (``capacity.sections.<section>``)."""
    return Text("#" * level + " " + t(f"capacity.sections.{section}", language))


# --------------------------------------------------------------------------- sections
def overview(data: CapacityData, trainings: pd.DataFrame) -> Text:
    """What the report covers: trainings, courses, dates and the selection."""
    lang = data.language
    total = trainings[trainings["training_id"] == TOTAL].iloc[0]
    held = trainings[trainings["training_id"] != TOTAL]
    courses = ", ".join(code_label(data, "course", c) for c in dict.fromkeys(held["course"]))
    parts = [
        text(
            data,
            "say.overview",
            trainings=format_count(len(held), lang),
            courses=courses,
            first=format_date(total["start_date"]),
            last=format_date(total["end_date"]),
            people=format_count(data.participants["participant_code"].nunique(), lang),
        )
    ]
    if data.as_of is not None:
        parts.append(text(data, "say.as_of", date=format_date(data.as_of)))
    if data.since is not None:
        parts.append(text(data, "say.since", date=format_date(data.since)))
    return Text(" ".join(parts))


def people(data: CapacityData, table: pd.DataFrame) -> Text:
    """People reached, the share of women and the largest institution type."""
    lang = data.language
    safe = protected(table, "people", data)
    total = safe[(safe["group"] == TOTAL)]["n"].dropna()
    parts = []
    if len(total):
        parts.append(text(data, "say.people", people=format_count(total.iloc[0], lang)))
    women = safe[(safe["characteristic"] == "sex") & (safe["group"] == "female")]
    if len(women) and pd.notna(women["share"].iloc[0]):
        parts.append(text(data, "say.women", share=format_percent(women["share"].iloc[0], 0, lang)))
    groups = safe[
        (safe["characteristic"] == "institution")
        & ~safe["group"].isin([TOTAL, "other_merged", "not_recorded"])
    ].dropna(subset=["n"])
    if len(groups):
        top = groups.sort_values("n", ascending=False, kind="stable").iloc[0]
        parts.append(
            text(
                data,
                "say.largest_institution",
                institution=code_label(data, "institution", top["group"]),
                share=format_percent(top["share"], 0, lang),
            )
        )
    merged = [m for m in str(table.get("merged", pd.Series([""])).iloc[0]).split(";") if m]
    if merged:
        parts.append(
            text(
                data,
                "say.merged",
                groups=", ".join(code_label(data, "institution", m) for m in merged),
                min_cell_size=format_count(data.rules.min_cell_size, lang),
            )
        )
    return Text(" ".join(parts))


def completion(data: CapacityData, table: pd.DataFrame, by: str = "course") -> Text:
    """Completion overall and the group with the lowest completion."""
    lang = data.language
    safe = protected(table, "completion", data, by=by)
    total = safe[safe[by] == TOTAL].iloc[0]
    parts = [
        text(
            data,
            "say.completion",
            completed=format_count(total["completed"], lang),
            participations=format_count(total["n"], lang),
            share=format_percent(total["estimate"], 0, lang),
            rule=format_percent(data.rules.completion, 0, lang),
            hours=format_percent(total["hours_share_mean"], 0, lang),
        )
    ]
    groups = safe[(safe[by] != TOTAL) & safe["estimate"].notna()]
    if len(groups) > 1:
        low = groups.sort_values("estimate", kind="stable").iloc[0]
        parts.append(
            text(
                data,
                "say.lowest_completion",
                group=code_label(data, by, low[by]),
                share=format_percent(low["estimate"], 0, lang),
            )
        )
    return Text(" ".join(parts))


def knowledge(data: CapacityData, table: pd.DataFrame, by: str = "course") -> Text:
    """The change in scores, its test and size, the share reaching the threshold, the group
    that gained least, and the dropouts."""
    lang = data.language
    safe = protected(knowledge_wide(table, by), "knowledge", data, by=by)
    total = safe[safe[by] == TOTAL].iloc[0]
    if pd.isna(total["change"]):
        return Text(text(data, "say.knowledge_hidden"))
    parts = [
        text(
            data,
            "say.knowledge",
            pairs=format_count(total["n"], lang),
            pre=format_number(total["mean_pre"], 1, lang),
            post=format_number(total["mean_post"], 1, lang),
            change=format_number(total["change"], 1, lang),
            ci=format_interval(total["ci_low"], total["ci_high"], 1, lang),
            p=format_p_value(total["p_t"], 3, lang),
            d_z=format_number(total["d_z"], 2, lang),
            gain=format_number(total["gain"], 2, lang),
        ),
        text(
            data,
            "say.threshold",
            share=format_percent(total["threshold_share"], 0, lang),
            post=format_number(data.rules.post_at_least, 0, lang),
            gain=format_number(data.rules.gain_at_least, 0, lang),
        ),
    ]
    groups = safe[(safe[by] != TOTAL) & safe["change"].notna()]
    if len(groups) > 1:
        low = groups.sort_values("change", kind="stable").iloc[0]
        parts.append(
            text(
                data,
                "say.smallest_gain",
                group=code_label(data, by, low[by]),
                change=format_number(low["change"], 1, lang),
            )
        )
    dropouts = data.unpaired.get("pre", 0)
    if dropouts:
        parts.append(text(data, "say.dropouts", count=format_count(dropouts, lang)))
    return Text(" ".join(parts))


def items(data: CapacityData, table: pd.DataFrame) -> Text:
    """Which items did not land, and which were learnt."""
    lang = data.language
    safe = protected(table, "items", data).dropna(subset=["estimate"])
    target = format_percent(data.rules.item_target, 0, lang)
    weak = safe[safe["outcome"].isin(["not_landed", "worse", "improved_short"])]
    parts = []
    if len(weak):
        listed = ", ".join(
            f"{item_number(r['item'])} ({format_percent(r['share_post'], 0, lang)})"
            for _, r in weak.iterrows()
        )
        parts.append(
            text(
                data,
                "say.items_short",
                count=format_count(len(weak), lang),
                total=format_count(len(safe), lang),
                target=target,
                items=listed,
            )
        )
    else:
        parts.append(text(data, "say.items_all", target=target))
    not_landed = safe[safe["outcome"] == "not_landed"]
    if len(not_landed):
        parts.append(text(data, "say.items_not_landed", items=_numbers(not_landed["item"])))
    known = safe[safe["outcome"] == "known_before"]
    if len(known):
        parts.append(text(data, "say.items_known", items=_numbers(known["item"])))
    return Text(" ".join(parts))


def reaction(data: CapacityData, table: pd.DataFrame) -> Text:
    """The share finding the training relevant and the lowest-rated aspect."""
    lang = data.language
    if "course" in table.columns:
        table = table[table["course"] == TOTAL]
    safe = protected(table.reset_index(drop=True), "reaction", data).dropna(subset=["estimate"])
    means = safe[safe["statistic"] == "mean"]
    shares = safe[safe["statistic"] == "share_agree"]
    if means.empty:
        return Text(text(data, "say.no_reaction"))
    parts = []
    first = shares.iloc[0] if len(shares) else None
    if first is not None:
        parts.append(
            text(
                data,
                "say.reaction",
                share=format_percent(first["estimate"], 0, lang),
                item=code_label(data, "item", first["item"]).rstrip("."),
            )
        )
    low = means.sort_values("estimate", kind="stable").iloc[0]
    parts.append(
        text(
            data,
            "say.reaction_lowest",
            item=code_label(data, "item", low["item"]).rstrip("."),
            mean=format_number(low["estimate"], 1, lang),
        )
    )
    return Text(" ".join(parts))


def scorecard(
    data: CapacityData, scores: pd.DataFrame, changes: pd.DataFrame, by: str = "domain"
) -> Text:
    """The capacity index round on round, the largest gain and the weakest domain."""
    lang = data.language
    wide = scorecard_wide(scores, changes, by)
    rounds = [c.removeprefix("round_") for c in wide.columns if c.startswith("round_")]
    total = wide[wide[by] == TOTAL].iloc[0]
    groups = wide[wide[by] != TOTAL]
    if len(rounds) < 2 or "change_estimate" not in wide:
        latest = rounds[-1]
        return Text(
            text(
                data,
                "say.scorecard_one_round",
                round=code_label(data, "round", latest),
                index=format_number(total[f"round_{latest}"], 2, lang),
            )
        )
    first, last = total["change_from_round"], total["change_to_round"]
    parts = [
        text(
            data,
            "say.scorecard",
            first_round=code_label(data, "round", first),
            last_round=code_label(data, "round", last),
            first=format_number(total[f"round_{first}"], 2, lang),
            last=format_number(total[f"round_{last}"], 2, lang),
            change=format_number(total["change_estimate"], 2, lang),
            ci=format_interval(total["change_ci_low"], total["change_ci_high"], 2, lang),
            n=format_count(total["change_n"], lang),
        )
    ]
    if len(groups) and by == "domain":
        best = groups.sort_values("change_estimate", ascending=False, kind="stable").iloc[0]
        weakest = groups.sort_values(f"round_{last}", kind="stable").iloc[0]
        flat = groups[groups["change_p_value"].fillna(1) >= 0.05]
        parts.append(
            text(
                data,
                "say.scorecard_domains",
                best=code_label(data, by, best[by]),
                best_change=format_number(best["change_estimate"], 2, lang),
                weakest=code_label(data, by, weakest[by]),
                weakest_score=format_number(weakest[f"round_{last}"], 2, lang),
                round=code_label(data, "round", last),
            )
        )
        if len(flat):
            parts.append(
                text(
                    data,
                    "say.scorecard_flat",
                    domains=", ".join(code_label(data, by, g) for g in flat[by]),
                )
            )
    return Text(" ".join(parts))


def scorecard_types(data: CapacityData, merged: Sequence[str]) -> Text:
    """Which institution types were merged, and why."""
    if not merged:
        return Text("")
    return Text(
        text(
            data,
            "say.types_merged",
            types=", ".join(code_label(data, "institution_type", m) for m in merged),
            minimum=format_count(data.rules.min_institutions, data.language),
        )
    )


def logframe(data: CapacityData, itt: pd.DataFrame) -> Text:
    """How many indicators are on track, at risk, off track or not collected."""
    lang = data.language
    chosen = itt[itt["id"].isin(data.indicators)]
    counts = chosen["status"].value_counts()
    parts = [
        text(
            data,
            "say.logframe",
            on_track=format_count(counts.get("on track", 0), lang),
            at_risk=format_count(counts.get("at risk", 0), lang),
            off_track=format_count(counts.get("off track", 0), lang),
            not_collected=format_count(counts.get("not collected", 0), lang),
            total=format_count(len(chosen), lang),
        )
    ]
    behind = chosen[chosen["status"].isin(["off track", "at risk"])]
    if len(behind):
        parts.append(text(data, "say.logframe_behind", ids=", ".join(behind["id"])))
    return Text(" ".join(parts))


def workbook(data: CapacityData, path: Path) -> Text:
    """Where the donor workbook is and what it holds."""
    return Text(
        text(
            data,
            "say.workbook",
            file=Path(path).name,
            min_cell_size=format_count(data.rules.min_cell_size, data.language),
        )
    )


# --------------------------------------------------------------------------- notes, e-mail
def method_notes(data: CapacityData, merged_types: Sequence[str] = ()) -> list[str]:
    """The method notes of the report (for ``run.note``), in its language."""
    lang = data.language
    rules = data.rules
    notes = [
        text(data, "notes.completion", share=format_percent(rules.completion, 0, lang)),
        text(
            data,
            "notes.knowledge",
            post=format_number(rules.post_at_least, 0, lang),
            gain=format_number(rules.gain_at_least, 0, lang),
        ),
        text(
            data,
            "notes.items",
            count=format_count(len(data.items), lang),
            target=format_percent(rules.item_target, 0, lang),
            alpha=format_number(rules.alpha, 2, lang),
        ),
        text(data, "notes.reaction", value=str(rules.agree_from)),
        text(data, "notes.scorecard", minimum=format_count(rules.min_institutions, lang)),
        text(data, "notes.people"),
        t("notes.suppression", lang, min_cell_size=rules.min_cell_size),
    ]
    if data.as_of is not None or data.since is not None or data.courses:
        notes.append(text(data, "notes.selection"))
    return notes


def summary(
    data: CapacityData,
    *,
    trainings: pd.DataFrame,
    completion_table: pd.DataFrame,
    knowledge_table: pd.DataFrame,
    item_table: pd.DataFrame,
    scores: pd.DataFrame,
    changes: pd.DataFrame,
    itt: pd.DataFrame,
    by: str = "course",
) -> tuple[list[str], list[str]]:
    """The e-mail summary: a few lines a project manager should read, and what needs
    attention (``evaluation.schedule.summary.write_summary``). Only published values."""
    lang = data.language
    lines: list[str] = []
    attention: list[str] = []
    held = trainings[trainings["training_id"] != TOTAL]
    done = protected(completion_table, "completion", data, by=by)
    total = done[done[by] == TOTAL].iloc[0]
    lines.append(
        text(
            data,
            "summary.trainings",
            trainings=format_count(len(held), lang),
            people=format_count(data.participants["participant_code"].nunique(), lang),
            share=format_percent(total["estimate"], 0, lang),
            rule=format_percent(data.rules.completion, 0, lang),
        )
    )
    wide = protected(knowledge_wide(knowledge_table, by), "knowledge", data, by=by)
    overall = wide[wide[by] == TOTAL].iloc[0]
    if pd.notna(overall["change"]):
        lines.append(
            text(
                data,
                "summary.knowledge",
                pre=format_number(overall["mean_pre"], 0, lang),
                post=format_number(overall["mean_post"], 0, lang),
                share=format_percent(overall["threshold_share"], 0, lang),
            )
        )
    card = scorecard_wide(scores, changes, "domain")
    index = card[card["domain"] == TOTAL].iloc[0]
    rounds = [c.removeprefix("round_") for c in card.columns if c.startswith("round_")]
    if len(rounds) >= 2:
        lines.append(
            text(
                data,
                "summary.scorecard",
                first_round=code_label(data, "round", rounds[0]),
                last_round=code_label(data, "round", rounds[-1]),
                first=format_number(index[f"round_{rounds[0]}"], 2, lang),
                last=format_number(index[f"round_{rounds[-1]}"], 2, lang),
            )
        )
    chosen = itt[itt["id"].isin(data.indicators)]
    counts = chosen["status"].value_counts()
    lines.append(
        text(
            data,
            "summary.logframe",
            on_track=format_count(counts.get("on track", 0), lang),
            at_risk=format_count(counts.get("at risk", 0), lang),
            off_track=format_count(counts.get("off track", 0), lang),
        )
    )
    for _, row in chosen[chosen["status"].isin(["off track", "at risk"])].iterrows():
        attention.append(
            text(
                data,
                "summary.indicator_behind",
                id=row["id"],
                indicator=row["indicator"],
                status=t(f"donor.status.{row['status'].replace(' ', '_')}", lang),
            )
        )
    items_safe = protected(item_table, "items", data).dropna(subset=["estimate"])
    weak = items_safe[items_safe["outcome"].isin(["not_landed", "worse"])]
    if len(weak):
        attention.append(
            text(
                data,
                "summary.items",
                items=_numbers(weak["item"]),
                target=format_percent(data.rules.item_target, 0, lang),
            )
        )
    return lines, attention


def _numbers(items: pd.Series) -> str:
    return ", ".join(item_number(i) for i in items)
