"""Simulations with known truth for did / the wild cluster bootstrap / Romano-Wolf (slow).

Each world: G clusters, some treated, unequal cluster sizes, a cluster effect, a cluster-
specific change between periods (what makes clustering matter for DiD) and individual noise.
Seeds are fixed, so every run gives the same rates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.impact import adjust_pvalues, did, romano_wolf

pytestmark = pytest.mark.slow


def _world(
    rng: np.random.Generator, n_clusters: int, n_treated: int, sizes: tuple[int, int], effect: float
) -> pd.DataFrame:
    size = rng.integers(sizes[0], sizes[1] + 1, n_clusters)
    treated = rng.choice(n_clusters, n_treated, replace=False)
    cluster = np.repeat(np.arange(n_clusters), size)
    treat = np.isin(cluster, treated).astype(float)
    post = rng.integers(0, 2, len(cluster)).astype(float)
    level, change = rng.normal(size=n_clusters), rng.normal(size=n_clusters)
    y = (
        level[cluster]
        + post * change[cluster]
        + effect * treat * post
        + rng.normal(size=len(cluster))
    )
    return pd.DataFrame({"y": y, "treat": treat, "post": post, "cluster": cluster})


@pytest.mark.filterwarnings("ignore::evaluation.errors.FewClustersWarning")
def test_cr1_intervals_cover_the_truth_with_40_clusters() -> None:
    rng = np.random.default_rng(20240601)
    effect, reps, covered = 0.3, 2000, 0
    for _ in range(reps):
        data = _world(rng, 40, 20, (20, 60), effect)
        row = did(data, "y", "treat", "post", "cluster", wild_bootstrap=False)
        row = row[row["term"] == "did"].iloc[0]
        covered += row["ci_low"] <= effect <= row["ci_high"]
    coverage = covered / reps
    print(f"CR1 95% CI coverage, 40 clusters: {coverage:.4f}")
    assert 0.93 <= coverage <= 0.97


@pytest.mark.filterwarnings("ignore::evaluation.errors.FewClustersWarning")
def test_wild_bootstrap_holds_size_with_12_clusters_where_cr1_over_rejects() -> None:
    rng = np.random.default_rng(20240602)
    reps, reject_cr1, reject_wcb = 2000, 0, 0
    for _ in range(reps):
        data = _world(rng, 12, 4, (20, 100), effect=0.0)
        table = did(data, "y", "treat", "post", "cluster")  # bootstrap added automatically
        row = table[table["term"] == "did"].iloc[0]
        reject_cr1 += row["p_value"] < 0.05
        reject_wcb += row["p_value_wcb"] < 0.05
    cr1, wcb = reject_cr1 / reps, reject_wcb / reps
    print(f"rejection of a true null at 5%, 12 clusters (4 treated): CR1 {cr1:.4f}, WCB {wcb:.4f}")
    assert 0.035 <= wcb <= 0.065
    assert cr1 >= wcb + 0.02, "CR1 with t(G-1) should over-reject clearly more than the bootstrap"


@pytest.mark.filterwarnings("ignore::evaluation.errors.FewClustersWarning")
def test_romano_wolf_controls_the_familywise_error_rate() -> None:
    rng = np.random.default_rng(20240603)
    reps, any_rw, any_holm = 500, 0, 0
    for _ in range(reps):
        data = _world(rng, 20, 10, (20, 60), effect=0.0)
        shared = rng.normal(size=(20,))[data["cluster"]] * data["post"]
        for k in range(3):  # three outcomes sharing a cluster-level shock: correlated tests
            data[f"y{k}"] = data["y"] * 0.3 + shared + rng.normal(size=len(data))
        table = romano_wolf(data, ["y0", "y1", "y2"], "treat", "cluster", post="post", reps=999)
        any_rw += (table["p_value"] < 0.05).any()
        holm = adjust_pvalues(table["p_value_wcb"].to_numpy(), "holm")
        any_holm += (holm < 0.05).any()
    fwer_rw, fwer_holm = any_rw / reps, any_holm / reps
    print(
        f"family-wise error rate, 3 correlated null outcomes: Romano-Wolf {fwer_rw:.4f}, Holm {fwer_holm:.4f}"
    )
    assert 0.015 <= fwer_rw <= 0.075, "the step-down should hold the FWER near (not above) 5%"
    assert fwer_rw >= fwer_holm, (
        "Romano-Wolf uses the correlation, so it is less conservative than Holm"
    )
