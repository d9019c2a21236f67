"""The capacity-building computations on small hand-made frames with known answers.

Reference values are R's (R 4.2, stats): ``binom.test(3, 10)$conf.int`` = 0.06673951,
0.65245285; ``binom.test(2, 5)$conf.int`` = 0.05274495, 0.85336720; ``t.test(1:5)$conf.int``
= 1.036757, 4.963243; ``2 * pt(-3, 3)`` = 0.05766889; ``binom.test(6, 7)$p.value`` = 0.125.
Everything else is counted by hand in the test.
"""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from evaluation import capacity
from evaluation.capacity import present
from evaluation.capacity.data import CapacityData, Rules, period_end
from evaluation.derive import derived_view, parse_view
from evaluation.errors import DataError, ParamsError
from evaluation.impact import pre_post
from evaluation.params import check_params
from evaluation.results import RESULT_COLUMNS, check_result

RTOL = 1e-6
R_BINOM_3_10 = (0.06673951, 0.65245285)
R_BINOM_2_5 = (0.05274495, 0.85336720)
R_TTEST_1_5 = (1.036757, 4.963243)


# --------------------------------------------------------------------------- fixtures
def attendance_rows() -> pd.DataFrame:
    """Two trainings. TR1: two 4-hour sessions, ten people; TR2: one 5-hour session, four."""
    rows = []
    day = pd.Timestamp("2023-03-01")
    for i in range(10):  # TR1: p0..p2 attend 4 of 8 hours (50%), the others all 8 (100%)
        for session in ("TR1-S1", "TR1-S2"):
            if i < 3 and session == "TR1-S2":
                continue
            rows.append(
                {
                    "training_id": "TR1",
                    "course": "dv_referral",
                    "session_id": session,
                    "session_date": day + pd.Timedelta(days=int(session == "TR1-S2")),
                    "session_hours": 4.0,
                    "hours_attended": 4.0,
                    "participant_code": f"P{i}",
                    "sex": "female" if i < 6 else "male",
                    "age_band": "30_49",
                    "disability": "no",
                    "institution": "police" if i < 8 else "court",
                    "admin_unit": "elbasan",
                }
            )
    for i, hours in zip((0, 10, 11, 12), (5.0, 5.0, 3.9, 4.0), strict=True):
        rows.append(
            {
                "training_id": "TR2",
                "course": "data_use",
                "session_id": "TR2-S1",
                "session_date": pd.Timestamp("2023-05-10"),
                "session_hours": 5.0,
                "hours_attended": hours,
                "participant_code": f"P{i}",
                "sex": "male" if i == 0 else "female",  # P0's latest record says male
                "age_band": "under_30",
                "disability": "no",
                "institution": "court",
                "admin_unit": "elbasan",
            }
        )
    frame = pd.DataFrame(rows)
    frame["course"] = pd.Categorical(frame["course"], categories=["dv_referral", "data_use"])
    frame["institution"] = pd.Categorical(
        frame["institution"], categories=["police", "court", "school"]
    )
    frame["sex"] = pd.Categorical(frame["sex"], categories=["female", "male"])
    return frame


@pytest.fixture
def participants() -> pd.DataFrame:
    view = parse_view("training_participants", {"kind": "completion", "source": "attendance"})
    return derived_view(view, {"attendance": attendance_rows()})


def pairs_view():
    return parse_view(
        "knowledge_pairs",
        {"kind": "pre_post", "source": "tests", "keep": ["course"], "date": "today"},
    )


def knowledge_tests() -> pd.DataFrame:
    """Knowledge tests of 8 trainees with two items; T1 also retook the pre-test."""
    rows = []
    answers = {  # participant: (pre k1, pre k2, post k1, post k2)
        "T1": (0, 0, 1, 1),
        "T2": (0, 1, 1, 1),
        "T3": (0, 1, 1, 0),
        "T4": (1, 1, 1, 1),
        "T5": (0, 0, 1, 0),
        "T6": (0, 0, 1, 0),
        "T7": (0, 1, 1, 1),
        "T8": (1, 0, 1, 0),
    }
    for person, (a, b, c, d) in answers.items():
        for kind, k1, k2, day in (("pre", a, b, "2023-03-01"), ("post", c, d, "2023-03-02")):
            rows.append(
                {
                    "training_id": "TR1",
                    "participant_code": person,
                    "test_type": kind,
                    "today": pd.Timestamp(day),
                    "course": "dv_referral",
                    "k1_ok": str(k1),
                    "k2_ok": str(k2),
                    "score_pct": str(50 * (k1 + k2)),
                }
            )
    # a second, later pre-test of T1 (ignored: the first pre-test counts) and a lone pre-test
    rows.append({**rows[0], "today": pd.Timestamp("2023-03-01 12:00"), "k1_ok": "1"})
    rows.append({**rows[0], "participant_code": "T9"})
    return pd.DataFrame(rows)


def data_for(language: str = "en", min_cell_size: int = 10) -> CapacityData:
    """A CapacityData with no instruments: labels fall back to the codes."""
    empty = pd.DataFrame({"round": pd.Series(dtype="string")})
    return CapacityData(
        tables={},
        attendance=pd.DataFrame(),
        tests=pd.DataFrame(),
        scorecard=pd.DataFrame(),
        participants=pd.DataFrame(),
        pairs=pd.DataFrame(),
        domains=empty,
        logframe=None,  # type: ignore[arg-type]
        instruments={},
        items=(),
        reaction_items=(),
        dimensions=(),
        indicators=(),
        rules=Rules(min_cell_size=min_cell_size),
        language=language,
    )


# --------------------------------------------------------------------------- trainings
def test_trainings_held_counts_completion_with_the_exact_interval(participants):
    table = capacity.trainings_held(participants)
    check_result(table)
    tr1 = table.set_index("training_id").loc["TR1"]
    assert tr1["n"] == 10 and tr1["completed"] == 7  # 3 of 10 attended 50% of the hours
    assert tr1["estimate"] == pytest.approx(0.7)
    assert tr1["training_hours"] == 8 and tr1["sessions_held"] == 2
    tr2 = table.set_index("training_id").loc["TR2"]
    assert tr2["completed"] == 3  # 3.9 of 5 hours is 78% < 80%; 4 of 5 is exactly 80%
    total = table.iloc[-1]
    assert total["training_id"] == "All" and total["n"] == 14 and total["completed"] == 10
    assert total["start_date"] == pd.Timestamp("2023-03-01")
    assert total["end_date"] == pd.Timestamp("2023-05-10")
    # Clopper-Pearson of the 3 of 10 who did NOT complete TR1 mirrors 7 of 10
    low, high = R_BINOM_3_10
    assert tr1["ci_low"] == pytest.approx(1 - high, rel=RTOL)
    assert tr1["ci_high"] == pytest.approx(1 - low, rel=RTOL)


def test_completion_by_group_in_choice_order_with_the_total_last(participants):
    table = capacity.completion(participants, by="course")
    check_result(table)
    assert table["course"].tolist() == ["dv_referral", "data_use", "All"]
    row = table.set_index("course").loc["All"]
    assert (row["n"], row["completed"], row["people"]) == (14, 10, 13)  # P0 took both
    assert row["estimate"] == pytest.approx(10 / 14)
    assert row["se"] == pytest.approx(np.sqrt(10 / 14 * 4 / 14 / 14))
    overall = capacity.completion(participants)
    assert overall["estimate"].iloc[0] == pytest.approx(10 / 14)
    assert tuple(overall.columns[:7]) == RESULT_COLUMNS


def test_completion_keeps_the_input_unchanged(participants):
    before = participants.copy()
    capacity.completion(participants, by=["course", "sex"])
    pd.testing.assert_frame_equal(participants, before)


def test_completion_refuses_a_table_that_is_not_the_view():
    with pytest.raises(DataError, match="training_participants"):
        capacity.completion(pd.DataFrame({"training_id": ["a"]}))


def test_people_are_counted_once_at_their_latest_training(participants):
    table = capacity.people_by(participants, ["sex", "institution"])
    check_result(table)
    sex = table[table["characteristic"] == "sex"].set_index("group")
    # 13 people: P0 is female at TR1 but male at TR2 (latest); P6-P9 male
    assert sex.loc["female", "n"] == 5 + 3 and sex.loc["male", "n"] == 5
    assert sex.loc["All", "n"] == 13
    assert sex["share"].loc[["female", "male"]].sum() == pytest.approx(1)
    inst = table[table["characteristic"] == "institution"]
    assert inst["group"].tolist() == ["police", "court", "All"]  # choice order; no school


def test_small_groups_are_merged_before_counting(participants):
    table = capacity.people_by(participants, ["institution"], merge_below=8)
    inst = table.set_index("group")
    # police 7 people (P1-P7; P0 is court at TR2), court 6: both below 8, merged together
    assert "other_merged" in inst.index and inst.loc["other_merged", "n"] == 13
    assert inst.loc["All", "n"] == 13
    assert set(inst["merged"].iloc[0].split(";")) == {"police", "court"}


def test_people_crosstab_adds_up_and_merges_within_the_columns(participants):
    table = capacity.people_crosstab(participants, "institution", "sex")
    assert table.loc["All", "All"] == 13
    assert (table.drop(index="All").sum() == table.loc["All"]).all()
    merged = capacity.people_crosstab(participants, "institution", "sex", merge_below=5)
    assert merged.attrs["merged"]  # some institution has fewer than 5 of a sex
    assert merged.loc["All", "All"] == 13


def test_roles_come_from_the_tests_of_the_same_training_or_any_other(participants):
    tests = pd.DataFrame(
        {
            "training_id": ["TR1", "TR1", "TR9"],
            "participant_code": ["P1", "P1", "P2"],
            "role": ["manager", "manager", "teacher"],
        }
    )
    out = capacity.add_roles(participants, tests)
    roles = out.set_index(["training_id", "participant_code"])["role"]
    assert roles.loc[("TR1", "P1")] == "manager"
    assert roles.loc[("TR1", "P2")] == "teacher"  # from another training
    assert pd.isna(roles.loc[("TR1", "P3")])
    assert "role" not in participants.columns


# --------------------------------------------------------------------------- knowledge
def test_item_pairs_follow_the_views_pairing_rule():
    tests = knowledge_tests()
    pairs = capacity.item_pairs(tests, ["k1", "k2"], pairs_view())
    assert len(pairs) == 8  # T9 has no post-test
    t1 = pairs.set_index("participant_code").loc["T1"]
    assert t1["k1_pre"] == 0  # the first pre-test, not the retake
    assert (t1["k1_post"], t1["k2_post"]) == (1, 1)
    assert capacity.unpaired_tests(tests, pairs_view()) == {"pre": 1, "post": 0}


def test_item_change_mcnemar_holm_and_verdicts():
    pairs = capacity.item_pairs(knowledge_tests(), ["k1", "k2"], pairs_view())
    table = capacity.item_change(pairs, ["k1", "k2"], target=0.7, alpha=0.2)
    check_result(table)
    k1 = table.set_index("item").loc["k1"]
    # k1: 6 of 8 wrong before became right (b = 6, c = 0): exact binomial p = 2 * 0.5**6
    assert (k1["n_improved"], k1["n_worsened"]) == (6, 0)
    assert k1["p_value"] == pytest.approx(2 * 0.5**6)
    assert k1["estimate"] == pytest.approx(6 / 8)
    k2 = table.set_index("item").loc["k2"]
    assert (k2["n_improved"], k2["n_worsened"]) == (1, 1)
    assert k2["p_value"] == pytest.approx(1.0)
    # Holm over two items: the smaller p doubled, the larger kept at 1
    assert k1["p_value_adj"] == pytest.approx(min(1, 2 * k1["p_value"]))
    assert k2["p_value_adj"] == pytest.approx(1.0)
    assert k1["outcome"] == "learnt"  # 2/8 -> 8/8
    assert k2["outcome"] == "not_landed"  # 4/8 -> 4/8


def test_item_verdicts_cover_every_case():
    rows = [  # share_pre, share_post, estimate, p_value_adj
        (0.8, 0.5, -0.3, 0.01),
        (0.8, 0.9, 0.1, 0.5),
        (0.3, 0.8, 0.5, 0.01),
        (0.1, 0.5, 0.4, 0.01),
        (0.4, 0.45, 0.05, 0.6),
    ]
    from evaluation.capacity.knowledge import _verdict

    frame = pd.DataFrame(rows, columns=["share_pre", "share_post", "estimate", "p_value_adj"])
    verdicts = [_verdict(r, 0.7, 0.05) for r in frame.itertuples(index=False)]
    assert verdicts == ["worse", "known_before", "learnt", "improved_short", "not_landed"]


def test_knowledge_change_is_pre_post_with_a_total_first():
    pairs = pd.DataFrame(
        {
            "course": pd.Categorical(["b", "b", "a", "a", "a"], categories=["a", "b"]),
            "pre_score": [40.0, 50.0, 60.0, 70.0, 20.0],
            "post_score": [60.0, 55.0, 80.0, 70.0, 45.0],
        }
    )
    table = capacity.knowledge_change(pairs, by="course")
    check_result(table)
    assert list(dict.fromkeys(table["course"])) == ["All", "a", "b"]
    direct = pre_post(pairs, "pre_score", "post_score", max_score=100, threshold=70, min_gain=20)
    mine = table[table["course"] == "All"].drop(columns="course").reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, direct.reset_index(drop=True), check_dtype=False)
    share = table.set_index(["course", "statistic"]).loc[("All", "share_threshold_or_gain")]
    assert share["estimate"] == pytest.approx(4 / 5)  # +20, 80 after, 70 after, +25; not 50->55


def test_reaction_scores_match_r():
    tests = pd.DataFrame(
        {
            "test_type": ["post"] * 5 + ["pre"],
            "r_relevant": pd.Categorical(["1", "2", "3", "4", "5", None]),
        }
    )
    table = capacity.reaction_scores(tests, ["r_relevant"], agree_from=4)
    check_result(table)
    mean = table.set_index("statistic").loc["mean"]
    assert mean["estimate"] == pytest.approx(3)
    assert (mean["ci_low"], mean["ci_high"]) == pytest.approx(R_TTEST_1_5, rel=RTOL)
    assert mean["n"] == 5 and mean["df"] == 4
    share = table.set_index("statistic").loc["share_agree"]
    assert share["estimate"] == pytest.approx(0.4)
    assert (share["ci_low"], share["ci_high"]) == pytest.approx(R_BINOM_2_5, rel=RTOL)


def test_reaction_scores_refuse_answers_outside_the_scale():
    tests = pd.DataFrame({"test_type": ["post"], "r_new": ["7"]})
    with pytest.raises(DataError, match="outside 1-5"):
        capacity.reaction_scores(tests, ["r_new"])


# --------------------------------------------------------------------------- scorecard
def domains_frame() -> pd.DataFrame:
    """Four institutions, two domains, two rounds (one institution only at baseline)."""
    scores = {  # institution: (type, {(round, domain): score})
        "I1": ("police", {("baseline", "gov"): 1, ("endline", "gov"): 2, ("baseline", "plan"): 2,
                          ("endline", "plan"): 2}),
        "I2": ("police", {("baseline", "gov"): 2, ("endline", "gov"): 2, ("baseline", "plan"): 1,
                          ("endline", "plan"): 3}),
        "I3": ("school", {("baseline", "gov"): 2, ("endline", "gov"): 3, ("baseline", "plan"): 3,
                          ("endline", "plan"): 3}),
        "I4": ("court", {("baseline", "gov"): 3, ("baseline", "plan"): 1}),
    }  # fmt: skip
    rows = [
        {"institution_id": i, "institution_type": kind, "round": r, "domain": d, "score": s}
        for i, (kind, cells) in scores.items()
        for (r, d), s in cells.items()
    ]
    frame = pd.DataFrame(rows)
    frame["round"] = pd.Categorical(frame["round"], ["baseline", "midline", "endline"])
    frame["domain"] = pd.Categorical(frame["domain"], ["gov", "plan"])
    frame["institution_type"] = pd.Categorical(
        frame["institution_type"], ["police", "school", "court"]
    )
    frame["score"] = frame["score"].astype("Float64")
    return frame


def test_scorecard_scores_are_census_means_with_the_index():
    table = capacity.scorecard_scores(domains_frame(), by="domain")
    check_result(table)
    cells = table.set_index(["domain", "round"])
    assert cells.loc[("gov", "baseline"), "estimate"] == pytest.approx(2.0)  # (1+2+2+3)/4
    assert cells.loc[("gov", "endline"), "estimate"] == pytest.approx(7 / 3)
    assert cells.loc[("gov", "endline"), "n"] == 3
    assert cells.loc[("All", "baseline"), "estimate"] == pytest.approx(15 / 8)
    assert np.isnan(cells.loc[("All", "baseline"), "se"])  # a census: no sampling error
    assert "midline" not in set(table["round"])


def test_scorecard_change_pairs_institutions_assessed_in_both_rounds():
    table = capacity.scorecard_change(domains_frame(), by="domain")
    check_result(table)
    gov = table.set_index("domain").loc["gov"]
    # I1 1->2, I2 2->2, I3 2->3; I4 (baseline only) is left out
    assert gov["n"] == 3 and gov["estimate"] == pytest.approx(2 / 3)
    assert (gov["mean_from"], gov["mean_to"]) == pytest.approx((5 / 3, 7 / 3))
    assert gov["share_improved"] == pytest.approx(2 / 3)
    # index: institution means (1.5->2, 1.5->2.5, 2.5->3): diffs 0.5, 1, 0.5
    index = table.set_index("domain").loc["All"]
    diffs = np.array([0.5, 1.0, 0.5])
    assert index["estimate"] == pytest.approx(diffs.mean())
    t_value = diffs.mean() / (diffs.std(ddof=1) / np.sqrt(3))
    assert index["p_value"] == pytest.approx(2 * __import__("scipy").stats.t.sf(t_value, 2))


def test_scorecard_change_p_value_matches_r():
    rows = [
        {"institution_id": f"I{i}", "round": r, "domain": "gov", "score": s}
        for i, (x, y) in enumerate([(1, 2), (2, 2), (2, 3), (3, 4)])
        for r, s in (("baseline", x), ("endline", y))
    ]
    frame = pd.DataFrame(rows)
    frame["round"] = pd.Categorical(frame["round"], ["baseline", "endline"])
    row = capacity.scorecard_change(frame, by="domain").set_index("domain").loc["gov"]
    assert row["estimate"] == pytest.approx(0.75)  # diffs 1, 0, 1, 1: t = 3 on 3 df
    assert row["p_value"] == pytest.approx(0.05766889, rel=RTOL)


def test_small_institution_types_are_merged():
    merged = capacity.merge_institution_types(domains_frame(), 2)
    groups = merged.drop_duplicates("institution_id").set_index("institution_id")
    assert groups.loc["I1", "institution_group"] == "police"
    assert groups.loc["I3", "institution_group"] == "other_merged"
    assert groups.loc["I4", "institution_group"] == "other_merged"
    assert merged.attrs["merged"] == ["court", "school"]
    assert list(merged["institution_group"].cat.categories) == ["police", "other_merged"]
    assert "institution_group" not in domains_frame().columns


def test_scorecard_refuses_scores_outside_1_to_4():
    frame = domains_frame()
    frame.loc[0, "score"] = 5
    with pytest.raises(DataError, match="outside 1-4"):
        capacity.scorecard_scores(frame)


# --------------------------------------------------------------------------- protection
def test_a_small_training_hides_its_completion_and_another_one(participants):
    table = capacity.trainings_held(participants)
    safe = present.protected(table, "trainings", data_for(min_cell_size=5))
    reasons = safe.set_index("training_id")["suppressed"]
    assert reasons["TR2"] == "primary: n<5"  # 4 participants
    assert reasons["TR1"] == "secondary"  # else TR2 = total - TR1
    assert safe["n"].notna().all()  # the number of participants stays shown
    assert safe.set_index("training_id").loc[["TR1", "TR2"], "completed"].isna().all()


def test_people_tables_hide_small_groups_with_their_complement(participants):
    table = capacity.people_by(participants, ["sex", "institution"])
    safe = present.protected(table, "people", data_for(min_cell_size=6))
    sex = safe[safe["characteristic"] == "sex"].set_index("group")
    assert sex.loc["male", "suppressed"] == "primary: n<6"
    assert sex.loc["female", "suppressed"] == "secondary"
    assert sex.loc["All", "n"] == 13


def test_displayed_tables_say_when_values_are_hidden(participants):
    table = capacity.people_by(participants, ["sex"])
    shown = present.people(table, data_for(min_cell_size=6))
    page = shown._repr_html_()
    assert "fewer than 6 people" in page and "–" in page
    quiet = present.people(table, data_for(min_cell_size=1))._repr_html_()
    assert "fewer than" not in quiet


def test_albanian_labels_and_numbers():
    data = data_for("sq")
    assert present.code_label(data, "course", "All") == "Gjithsej"
    assert present.code_label(data, "institution", "other_merged").startswith("Të tjerë")
    assert present.item_number("k07") == "7"


# --------------------------------------------------------------------------- params
def test_capacity_params_have_defaults_and_are_strict():
    params = check_params("capacity", {})
    assert params["item_target"] == 0.7 and params["agree_from"] == 4
    assert "OP2.2" in params["indicators"]
    with pytest.raises(ParamsError, match="did you mean 'item_target'"):
        check_params("capacity", {"item_targt": 0.6})
    with pytest.raises(ParamsError, match="dimensions"):
        check_params("capacity", {"dimensions": ["shoe_size"]})


def test_period_end_is_the_last_day_of_the_month():
    assert period_end("2024-02") == dt.date(2024, 2, 29)
    assert period_end(None) is None
