"""The monitoring report's computations on small hand-made registers with known answers:
periods and the period check, period-on-period comparison, counts and statistics, the DV
mechanism (median days, share within 3 working days with weekends and Albanian holidays,
protection orders), the street counting rule, merging small units, and small-cell
suppression that is consistent across tables."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluation.errors import DataError, ParamsError
from evaluation.indicators import load_logframe, prepare_tables
from evaluation.monitoring import dv, street
from evaluation.monitoring.compare import compare_periods
from evaluation.monitoring.counting import (
    MISSING,
    TOTAL,
    count_categories,
    count_total,
    split_windows,
    statistic,
)
from evaluation.monitoring.periods import (
    Window,
    check_period,
    coverage,
    month_label,
    months_between,
    previous,
    shift,
    window,
    window_label,
)
from evaluation.monitoring.protect import LINKED, TableSpec, protect_tables
from evaluation.monitoring.units import OTHER_UNITS, merge_units
from evaluation.privacy import recoverable_cells
from evaluation.results import check_result

PROJECT = Path(__file__).resolve().parents[1]
OCT, SEP = Window(("2023-10",)), Window(("2023-09",))


# --------------------------------------------------------------------------- periods
def test_months_shift_across_years() -> None:
    assert previous("2023-01") == "2022-12"
    assert shift("2023-11", 3) == "2024-02"
    assert window("2023-10", 12).months[0] == "2022-11"
    assert window("2023-10", 12).label == "2022-11/2023-10"
    assert months_between("2022-11", "2023-02") == ["2022-11", "2022-12", "2023-01", "2023-02"]


def test_month_names_in_both_languages() -> None:
    assert month_label("2023-10", "en") == "October 2023"
    assert month_label("2023-11", "sq") == "nëntor 2023"
    assert window_label(window("2023-10", 2), "sq") == "shtator 2023 – tetor 2023"
    with pytest.raises(ParamsError, match="not a month"):
        month_label("2023-13")


def registers() -> list:
    cases = pd.DataFrame({"date_registered": pd.to_datetime(["2022-01-10", "2023-12-20"])})
    contacts = pd.DataFrame({"obs_date": pd.to_datetime(["2022-02-01", "2022-03-05"])})
    return [
        coverage("dv_referral_case", cases, "date_registered"),
        coverage("street_situation_contact", contacts, "obs_date"),
    ]


def test_a_month_inside_the_data_is_accepted_and_none_is_the_latest() -> None:
    assert check_period("2022-03", registers()) == "2022-03"
    assert check_period(None, registers()) == "2023-12"


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("2030-01", r"period 2030-01 is after the last month with monitoring data"),
        ("2021-12", r"period 2021-12 is before the first month with monitoring data"),
        ("2022-06", r"period 2022-06 has no monitoring data"),
    ],
)
def test_a_month_outside_the_data_is_one_clear_line(period, message) -> None:
    with pytest.raises(DataError, match=message) as error:
        check_period(period, registers())
    text = str(error.value)
    assert "\n" not in text
    assert "dv_referral_case 2022-01 to 2023-12" in text


def test_a_malformed_month_is_a_params_error() -> None:
    with pytest.raises(ParamsError, match="write year and month"):
        check_period("2023-1", registers())


# --------------------------------------------------------------------------- counting
def cases_by_month() -> dict[str, pd.DataFrame]:
    frame = pd.DataFrame(
        {
            "date_registered": pd.to_datetime(
                ["2023-10-02", "2023-10-03", "2023-10-31", "2023-09-30", "2023-11-01"]
            ),
            "source": pd.Categorical(
                ["police", "self", None, "police", "police"], categories=["police", "self", "cso"]
            ),
            "type__physical": pd.array([True, True, False, True, True], dtype="boolean"),
            "type__sexual": pd.array([False, True, pd.NA, False, False], dtype="boolean"),
        }
    )
    return split_windows(frame, "date_registered", [OCT, SEP], "cases")


def test_counts_per_category_add_up_to_the_total_with_missing_answers() -> None:
    table = count_categories(cases_by_month(), "dv_cases", "source")
    check_result(table)
    october = table[table["period"] == "2023-10"].set_index("category")["estimate"]
    assert october.to_dict() == {"police": 1, "self": 1, "cso": 0, MISSING: 1, TOTAL: 3}
    september = table[table["period"] == "2023-09"].set_index("category")["estimate"]
    assert september.to_dict() == {"police": 1, "self": 0, "cso": 0, TOTAL: 1}


def test_multiple_choice_counts_each_ticked_choice_without_a_total() -> None:
    table = count_categories(cases_by_month(), "dv_cases", "type", multiple=True)
    october = table[table["period"] == "2023-10"].set_index("category")["estimate"]
    assert october.to_dict() == {"physical": 2, "sexual": 1}  # an empty answer is not ticked
    assert TOTAL not in set(table["category"])


def test_count_total_counts_rows_or_distinct_values() -> None:
    frames = {"a": pd.DataFrame({"id": ["x", "x", "y", None]})}
    assert count_total(frames, "people")["estimate"].tolist() == [4.0]
    assert count_total(frames, "people", unique="id")["estimate"].tolist() == [2.0]


def test_median_is_the_mean_of_the_two_middle_values_as_r() -> None:
    frames = {"a": pd.DataFrame({"days": pd.array([1, 2, 10, 4, None], dtype="Int64")})}
    row = statistic(frames, "dv_days", "days", "median").iloc[0]
    assert row["estimate"] == 3.0  # R: median(c(1, 2, 10, 4)) == 3
    assert row["n"] == 4
    assert statistic(frames, "dv_days", "days", "mean").iloc[0]["estimate"] == 4.25


def test_a_share_needs_a_zero_one_column() -> None:
    frames = {"a": pd.DataFrame({"ok": [1, 0, 0, 1, 1]})}
    assert statistic(frames, "ok", "ok", "share").iloc[0]["estimate"] == pytest.approx(0.6)
    with pytest.raises(DataError, match="must be 0/1"):
        statistic({"a": pd.DataFrame({"ok": [1, 2]})}, "ok", "ok", "share")


# --------------------------------------------------------------------------- comparison
def test_this_month_against_the_last() -> None:
    table = pd.DataFrame(
        {
            "measure": ["cases", "cases", "share", "share", "zero", "zero"],
            "variable": "",
            "category": TOTAL,
            "period": ["2023-10", "2023-09"] * 3,
            "estimate": [15.0, 12.0, 0.5, 0.8, 4.0, 0.0],
            "n": [15, 12, 20, 20, 0, 0],
            "suppressed": ["", "", "", "", "", ""],
        }
    )
    result = compare_periods(table, "2023-10", "2023-09").set_index("measure")
    assert result.loc["cases", "change"] == 3.0
    assert result.loc["cases", "change_pct"] == pytest.approx(0.25)
    assert result.loc["share", "change"] == pytest.approx(-0.3)
    assert np.isnan(result.loc["zero", "change_pct"])  # no relative change from 0
    assert not result["hidden"].any()


def test_a_hidden_value_gives_no_change() -> None:
    table = pd.DataFrame(
        {
            "measure": ["cases", "cases"],
            "variable": "",
            "category": TOTAL,
            "period": ["2023-10", "2023-09"],
            "estimate": [15.0, np.nan],
            "n": pd.array([15, pd.NA], dtype="Int64"),
            "suppressed": ["", "primary: n<10"],
        }
    )
    row = compare_periods(table, "2023-10", "2023-09").iloc[0]
    assert np.isnan(row["change"]) and bool(row["hidden"])


# --------------------------------------------------------------------------- DV mechanism
@pytest.fixture(scope="module")
def logframe():
    return load_logframe(
        PROJECT / "params" / "logframe.yaml",
        root=PROJECT,
        instruments=PROJECT / "surveys" / "instruments",
    )


def dv_cases() -> pd.DataFrame:
    """Five October cases with known answers (working days after registration, Albanian
    holidays 28 and 29 November are in the last case)."""
    dates = {
        # reported, registered, technical-group review, plan
        "A": ("2023-10-05", "2023-10-06", "2023-10-09", "2023-10-12"),  # Fri -> Mon: 1 wd
        "B": ("2023-10-02", "2023-10-02", "2023-10-06", None),  # Mon -> Fri: 4 wd, late
        "C": ("2023-10-09", "2023-10-10", None, None),  # not reviewed yet: late
        "D": ("2023-10-14", "2023-10-14", None, "2023-10-18"),  # Sat -> Wed: 3 wd by plan
        "E": ("2023-11-24", "2023-11-27", "2023-12-01", None),  # Mon -> Fri, 2 holidays: 2 wd
    }
    frame = pd.DataFrame(
        [(k, *v) for k, v in dates.items()],
        columns=["case_id", "date_reported", "date_registered", "date_tg_review", "date_plan"],
    )
    for column in frame.columns[1:]:
        frame[column] = pd.to_datetime(frame[column])
    frame["services"] = pd.array(
        ["shelter legal", "none", "psychosocial", "legal health economic_aid", "shelter"],
        dtype="string",
    )
    frame["case_status"] = pd.Categorical(["open", "closed_safe", "open", "open", "open"])
    frame["umm_requested"] = pd.Categorical(["yes", "yes", "no", "yes", "no"])
    frame["umm_requested_date"] = pd.to_datetime(
        ["2023-10-07", "2023-09-28", None, "2023-10-20", None]
    )
    frame["umm_issued"] = pd.Categorical(["yes", "no", None, "pending", None])
    frame["umm_issued_date"] = pd.to_datetime(["2023-10-09", None, None, None, None])
    frame["ppo_issued"] = pd.Categorical(["no"] * 5)
    frame["um_requested"] = pd.Categorical(["no"] * 5)
    frame["ppo_date"] = pd.NaT
    frame["um_requested_date"] = pd.NaT
    frame["um_issued"] = pd.Categorical([None] * 5, categories=["yes", "no", "pending"])
    frame["um_issued_date"] = pd.NaT
    return frame


@pytest.fixture(scope="module")
def prepared_cases(logframe) -> pd.DataFrame:
    return prepare_tables(logframe, {"dv_referral_case": dv_cases()}, ["dv_referral_case"])[
        "dv_referral_case"
    ]


def test_working_days_follow_weekends_and_albanian_holidays(prepared_cases) -> None:
    worked = dict(
        zip(prepared_cases["case_id"], prepared_cases["workdays_to_response"], strict=True)
    )
    assert worked["A"] == 1 and worked["B"] == 4 and worked["D"] == 3 and worked["E"] == 2
    assert pd.isna(worked["C"])
    timely = dict(zip(prepared_cases["case_id"], prepared_cases["reviewed_3wd"], strict=True))
    assert timely == {"A": 1, "B": 0, "C": 0, "D": 1, "E": 1}


def test_dv_timeliness_of_the_month(prepared_cases) -> None:
    frames = split_windows(prepared_cases, dv.DATE, [OCT], "cases")
    table = dv.timeliness(frames).set_index("measure")
    # October: A, B, C, D. Days from report to review: A 4, B 4 (C, D not reviewed).
    assert table.loc["dv_days_to_review", "estimate"] == 4.0
    assert table.loc["dv_days_to_review", "n"] == 2
    # Days to a plan: A 7, D 4 -> median 5.5.
    assert table.loc["dv_days_to_plan", "estimate"] == 5.5
    # Within 3 working days: A and D of 4 cases (C, not yet reviewed, counts as late).
    assert table.loc["dv_reviewed_3wd", "estimate"] == 0.5
    assert table.loc["dv_reviewed_3wd", "n"] == 4
    # Services: 2, 0 ("none"), 1, 3 -> mean 1.5; two or more: A, D.
    assert table.loc["dv_services", "estimate"] == 1.5
    assert table.loc["dv_services_2plus", "estimate"] == 0.5


def test_protection_orders_are_counted_in_the_month_of_the_event() -> None:
    orders = dv.protection_orders(dv_cases(), [OCT, SEP]).set_index(["period", "category"])
    assert orders.loc[("2023-10", "umm_requested"), "estimate"] == 2  # A (7 Oct), D (20 Oct)
    assert orders.loc[("2023-09", "umm_requested"), "estimate"] == 1  # B, registered in October
    assert orders.loc[("2023-10", "umm_issued"), "estimate"] == 1
    assert orders.loc[("2023-10", "ppo_issued"), "estimate"] == 0


# --------------------------------------------------------------------------- street counting
def contacts() -> pd.DataFrame:
    rows = [
        # date, time, round, hotspot, known, case id
        ("2023-10-02", "10:00:00", "fixed", "H01", "yes", "P-a"),
        ("2023-10-09", "10:00:00", "fixed", "H02", "yes", "P-a"),  # the same child again
        ("2023-10-10", "11:00:00", "ad_hoc", "H01", "yes", "P-b"),  # ad hoc: not counted
        ("2023-10-11", "11:00:00", "fixed", "other_funar", "no", None),  # not a fixed hotspot
        ("2023-10-12", "09:00:00", "fixed", "H03", "no", None),  # new child
        ("2023-10-12", "09:30:00", "fixed", "H03", "dont_know", None),  # another, or the same?
        ("2023-10-20", "09:00:00", "fixed", "H04", "yes", "P-c"),
        ("2023-09-15", "09:00:00", "fixed", "H01", "yes", "P-a"),  # September
    ]
    frame = pd.DataFrame(
        rows,
        columns=["obs_date", "obs_time", "round_type", "hotspot", "known_case", "njmf_case_id"],
    )
    frame["obs_date"] = pd.to_datetime(frame["obs_date"])
    frame["round_type"] = pd.Categorical(frame["round_type"], categories=["fixed", "ad_hoc"])
    frame["action"] = pd.Categorical(["outreach"] * len(frame))
    return frame


def test_headcounts_use_fixed_rounds_at_fixed_hotspots_only() -> None:
    kept = street.headcount_contacts(contacts())
    assert len(kept) == 6  # not the ad-hoc contact, not the other_funar hotspot


def test_children_are_de_duplicated_on_the_case_id() -> None:
    october = contacts()[contacts()["obs_date"].dt.month == 10]
    children = street.counted_children(october)
    assert len(children) == 4  # P-a once, P-c, and two contacts without a case id
    assert children["child"].value_counts().to_dict() == {"known": 2, "new": 2}
    first = children[children["njmf_case_id"] == "P-a"].iloc[0]
    assert first["hotspot"] == "H01"  # described by its first counted contact


def test_a_child_counts_once_per_period_but_in_each_month() -> None:
    frames = split_windows(contacts(), "obs_date", [OCT, SEP, window("2023-10", 2)], "contacts")
    counts = count_total(street.children_by_period(frames), "street_children")
    assert counts.set_index("period")["estimate"].to_dict() == {
        "2023-10": 4,
        "2023-09": 1,
        "2023-09/2023-10": 4,  # P-a in both months counts once over the two months
    }


def test_a_known_child_without_a_case_id_counts_per_contact() -> None:
    frame = contacts()
    frame.loc[6, "njmf_case_id"] = None  # P-c's contact lost its case id
    children = street.counted_children(frame[frame["obs_date"].dt.month == 10])
    assert len(children) == 4 and children.attrs["without_id"] == 1
    assert children["child"].value_counts().to_dict() == {"known": 2, "new": 2}


def test_a_counted_round_type_that_never_occurs_is_a_params_error() -> None:
    with pytest.raises(ParamsError, match="'fixd' never occur"):
        street.check_rounds(contacts(), street.CountingRule(rounds=("fixd",)))
    street.check_rounds(contacts(), street.CountingRule())


def test_the_rule_is_configurable_and_checked() -> None:
    rule = street.CountingRule(rounds=("fixed", "ad_hoc"), hotspots=r"H\d+|other_\w+")
    assert len(street.headcount_contacts(contacts(), rule)) == 8
    with pytest.raises(ParamsError, match="not a regular expression"):
        street.CountingRule(hotspots="H(")


# --------------------------------------------------------------------------- units
def test_small_units_are_merged_and_the_city_is_kept() -> None:
    units = ["elbasan"] * 12 + ["funar"] * 6 + ["paper"] * 11 + ["tregan"] * 5
    frame = pd.DataFrame(
        {"admin_unit": pd.Categorical(units, categories=["elbasan", "funar", "paper", "tregan"])}
    )
    merged, order, units_merged = merge_units({"a": frame}, "admin_unit", protect=["elbasan"])
    assert set(units_merged) == {"funar", "tregan"}
    assert order == ["elbasan", "paper", OTHER_UNITS]
    assert merged["a"]["admin_unit"].value_counts().to_dict() == {
        "elbasan": 12,
        "paper": 11,
        OTHER_UNITS: 11,
    }


def test_a_merged_group_still_small_takes_the_next_smallest_unit() -> None:
    units = ["elbasan"] * 12 + ["funar"] * 3 + ["paper"] * 11 + ["tregan"] * 2
    frame = pd.DataFrame({"admin_unit": units})
    _, _, merged = merge_units({"a": frame}, "admin_unit")
    assert set(merged) == {"funar", "tregan", "paper"}  # 3 + 2 is still below 10


def test_a_unit_small_in_any_period_is_merged_in_every_period() -> None:
    big = pd.DataFrame({"admin_unit": ["elbasan"] * 20 + ["paper"] * 12})
    small = pd.DataFrame({"admin_unit": ["elbasan"] * 20 + ["paper"] * 2})
    merged, _, units = merge_units({"year": big, "month": small}, "admin_unit")
    assert units == ("paper",)
    assert (merged["year"]["admin_unit"] == OTHER_UNITS).sum() == 12


# --------------------------------------------------------------------------- suppression
def long(measure: str, variable: str, period: str, counts: dict[str, int]) -> pd.DataFrame:
    rows = [(measure, variable, period, k, float(v), v) for k, v in counts.items()]
    frame = pd.DataFrame(
        rows, columns=["measure", "variable", "period", "category", "estimate", "n"]
    )
    frame["n"] = frame["n"].astype("Int64")
    return frame


MONTHS = {"2023-09": ("2023-09",), "2023-10": ("2023-10",), "All": ("2023-09", "2023-10")}


def test_primary_and_secondary_suppression_in_a_breakdown() -> None:
    table = long("cases", "source", "2023-10", {"police": 20, "self": 4, "cso": 12, TOTAL: 36})
    out = protect_tables([TableSpec("t", table)], MONTHS)["t"].set_index("category")
    assert out.loc["self", "suppressed"] == "primary: n<10"
    assert out.loc["cso", "suppressed"] == "secondary"  # the cheaper complement
    assert out.loc["police", "estimate"] == 20 and out.loc[TOTAL, "estimate"] == 36
    assert np.isnan(out.loc["self", "estimate"]) and np.isnan(out.loc["cso", "estimate"])


def test_zeros_and_large_cells_are_published() -> None:
    table = long("cases", "source", "2023-10", {"police": 20, "self": 0, TOTAL: 20})
    out = protect_tables([TableSpec("t", table)], MONTHS)["t"]
    assert (out["suppressed"] == "").all()


@pytest.mark.parametrize("trend_first", [True, False], ids=["trend-first", "breakdown-first"])
def test_a_total_hidden_in_the_trend_is_hidden_in_the_breakdowns_too(trend_first) -> None:
    # The trend hides September (4 cases) and, as its complement against the two-month
    # total, October. October's breakdown must then hide its total too, and a category, so
    # that the total cannot be worked out from the categories.
    trend = pd.concat(
        [
            long("cases", "", "2023-09", {TOTAL: 4}),
            long("cases", "", "2023-10", {TOTAL: 36}),
        ]
    )
    trend = pd.concat(
        [trend, long("cases", "", "All", {TOTAL: 40}).assign(period="All")], ignore_index=True
    )
    breakdown = long("cases", "source", "2023-10", {"police": 20, "self": 16, TOTAL: 36})
    specs = [
        TableSpec("trend", trend, by="period", split_by=("measure", "variable", "category")),
        TableSpec("breakdown", breakdown),
    ]
    out = protect_tables(specs if trend_first else specs[::-1], MONTHS)
    shown_trend = out["trend"].set_index("period")
    assert shown_trend.loc["2023-09", "suppressed"] == "primary: n<10"
    assert shown_trend.loc["2023-10", "suppressed"] == "secondary"
    assert shown_trend.loc["All", "estimate"] == 40
    shown = out["breakdown"].set_index("category")
    assert shown.loc[TOTAL, "suppressed"] == LINKED
    assert shown["suppressed"].ne("").sum() >= 2  # the total and a category
    published = shown.drop(index=TOTAL)["estimate"].dropna()
    assert len(published) <= 1  # the categories cannot add up to the hidden total


def test_multiple_choice_and_statistics_get_primary_suppression_only() -> None:
    table = long("cases", "type", "2023-10", {"physical": 25, "sexual": 3, "economic": 12})
    out = protect_tables([TableSpec("t", table, margins_known=False)], MONTHS)["t"]
    assert out.set_index("category")["suppressed"].to_dict() == {
        "physical": "",
        "sexual": "primary: n<10",
        "economic": "",
    }


def test_no_hidden_cell_of_a_protected_breakdown_can_be_worked_back() -> None:
    rng = np.random.default_rng(20231031)
    for _ in range(20):
        counts = dict(zip("abcdef", rng.integers(0, 25, size=6).tolist(), strict=True))
        counts[TOTAL] = sum(counts.values())
        out = protect_tables([TableSpec("t", long("x", "v", "2023-10", counts))], MONTHS)["t"]
        published = out.set_index("category")[["estimate"]]  # categories and "All"
        assert recoverable_cells(published, margins_known=False) == []
        small = out[(out["n"].fillna(0) > 0) & (out["n"].fillna(0) < 10)]
        assert small.empty  # nothing published is based on 1 to 9 cases


# --------------------------------------------------------------------------- milestones
def test_indicators_by_month_hide_small_values_with_their_status(logframe, prepared_cases):
    from evaluation.monitoring.milestones import indicator_progress

    prepared = {"dv_referral_case": prepared_cases}
    table = indicator_progress(logframe, prepared, ["OC2.3", "OP1.1"], "2023-10", "2023-09")
    rows = table.set_index("indicator")
    assert np.isnan(rows.loc["OC2.3", "estimate"])  # 2 of 4 cases: based on fewer than 10
    assert pd.isna(rows.loc["OC2.3", "status"])  # the status would give the value away
    assert rows.loc["OC2.3", "suppressed"].startswith("this: primary")
    assert rows.loc["OC2.3", "milestone"] == pytest.approx(0.72)  # due 2023-06-30
    assert rows.loc["OP1.1", "status"] == "not collected"
    shown = indicator_progress(logframe, prepared, ["OC2.3"], "2023-10", "2023-09", threshold=2)
    assert shown.iloc[0]["estimate"] == 0.5 and shown.iloc[0]["status"] == "off track"


def test_an_unknown_indicator_is_a_params_error(logframe, prepared_cases):
    from evaluation.monitoring.milestones import indicator_progress

    with pytest.raises(ParamsError, match=r"OC2\.33"):
        indicator_progress(logframe, {}, ["OC2.33"], "2023-10", "2023-09")


# --------------------------------------------------------------------------- the trend chart
def test_small_multiples_draw_one_panel_per_measure_with_gaps_for_hidden_months():
    import matplotlib.pyplot as plt

    from evaluation.report.figures import small_multiples

    months = ["2023-08", "2023-09", "2023-10"]
    table = pd.DataFrame(
        {
            "measure": ["cases"] * 3 + ["share"] * 3,
            "period": months * 2,
            "estimate": [12.0, np.nan, 14.0, 0.5, 0.75, 0.6],
        }
    )
    figure = small_multiples(
        table,
        titles={"cases": "Cases", "share": "Reviewed in time"},
        percent=["share"],
        references={"share": (0.72, "milestone")},
        x_labels={"2023-08": "Aug\n2023", "2023-10": "Oct"},
        highlight="2023-10",
        language="sq",
        columns=3,
    )
    axes = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title(loc="left") for ax in axes] == ["Cases", "Reviewed in time"]
    line = axes[0].get_lines()[0]
    assert np.isnan(line.get_ydata()[1])  # the hidden month is a gap, not a zero
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["Aug\n2023", "Oct"]
    figure.canvas.draw()
    labels = [t.get_text() for t in axes[1].get_yticklabels()]
    assert "50%" in labels and any(line.get_ydata()[0] == 0.72 for line in axes[1].get_lines())
    plt.close(figure)
