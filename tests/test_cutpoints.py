"""Cut points that fit the data: customers per score, cut points kept in order,
readable rounding and the suggestion from the data (loyalty.cutpoints)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loyalty import cutpoints as cp
from loyalty import definition as defn
from loyalty.rfm import threshold_scores
from loyalty.scoring import Scorer

ROOT = Path(__file__).resolve().parent.parent
RETAIL = ROOT.parent / "shared" / "datasets" / "online_retail" / "online_retail.csv.gz"

# ten customers, the best first: c0 bought a day ago, 15 times, ¥400,000
TEN = pd.DataFrame({
    "recency_days": [1, 3, 5, 10, 20, 35, 50, 80, 150, 300],
    "frequency": [15, 9, 6, 4, 3, 2, 2, 1, 1, 1],
    "monetary": [400_000, 120_000, 60_000, 35_000, 20_000, 12_000, 8_000, 4_000, 2_000, 500],
}, index=pd.Index([f"c{i}" for i in range(10)], name="customer_id"), dtype=float)


def _rfm_only(top: float = 90.0) -> defn.Definition:
    return defn.Definition(tiers={"top": top, "middle": 50.0})


# --- customers per score ------------------------------------------------------------------


def test_score_counts_follow_the_seed_boundaries():
    # R5 within 30 days (30 is R5), R1 from 180 days; a customer without an order scores R1
    days = cp.AxisValues.of([0, 30, 31, 60, 61, 90, 91, 179, 180, 400, np.nan])
    assert cp.score_counts(days, [30, 60, 90, 179], higher_is_better=False) == (3, 2, 2, 2, 2)
    orders = cp.AxisValues.of([0, 1, 2, 3, 5, 6, 9, 10, 25])
    assert cp.score_counts(orders, [2, 3, 6, 10], higher_is_better=True) == (2, 1, 2, 2, 2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_score_counts_equal_the_scorers_scores(seed):
    rng = np.random.default_rng(seed)
    n = 500
    frame = pd.DataFrame({
        "recency_days": np.where(rng.random(n) < 0.05, np.nan, rng.integers(0, 400, n)),
        "frequency": rng.integers(0, 15, n).astype(float),
        "monetary": rng.gamma(2.0, 20_000, n).round(),
    }, index=pd.Index([f"{i:04d}" for i in range(n)], name="customer_id"))
    cuts = {"recency": [20.0, 45.0, 90.0, 200.0], "frequency": [2.0, 4.0, 7.0, 11.0],
            "monetary": [15_000.0, 30_000.0, 50_000.0, 90_000.0]}
    d = _rfm_only().copy(rfm=defn.RFMSetting("threshold", **cuts))
    scored, _ = Scorer(frame).rfm_scores(d)
    for axis, source in (("recency", "recency_days"), ("frequency", "frequency"), ("monetary", "monetary")):
        expected = tuple(int((scored[axis] == k).sum()) for k in range(1, 6))
        got = cp.score_counts(cp.AxisValues.of(frame[source]), cuts[axis], axis != "recency")
        assert got == expected, axis
        assert sum(got) == n


# --- kept in order ----------------------------------------------------------------------------


@pytest.mark.parametrize("cuts, moved, gap, expected", [
    ([30, 60, 90, 179], 1, 1, [30, 60, 90, 179]),      # in order: nothing moves
    ([80, 60, 90, 179], 0, 1, [80, 81, 90, 179]),      # R5 dragged past R4 pushes R4
    ([100, 60, 90, 179], 0, 1, [100, 101, 102, 179]),  # ... and R3 after it
    ([30, 60, 90, 50], 3, 1, [30, 48, 49, 50]),        # R2 dragged down pushes R3 and R4 down
    ([10_000, 30_000, 20_000, 100_000], 2, 1000, [10_000, 19_000, 20_000, 100_000]),
    ([0.5, 0.3, 0.5, 0.7], 0, 0.1, [0.5, 0.6, 0.7, 0.8]),
])
def test_push_apart_keeps_the_moved_cut_and_pushes_its_neighbours(cuts, moved, gap, expected):
    assert cp.push_apart(cuts, moved, gap) == expected


# --- readable numbers -------------------------------------------------------------------------


@pytest.mark.parametrize("raw, days", [(0.4, 1), (4.6, 3), (14, 14), (16, 14), (32, 30), (41, 45), (71, 60),
                                       (94, 90), (179, 180), (263, 270), (330, 365), (800, 730), (1000, 1095)])
def test_days_round_to_the_ladder(raw, days):
    assert cp.readable_days(raw) == days


@pytest.mark.parametrize("raw, currency, amount", [
    (216.3, "GBP", 200), (442.9, "GBP", 400), (644, "GBP", 600), (877.4, "GBP", 800), (1916.6, "GBP", 2000),
    (3600, "JPY", 4000), (10_400, "JPY", 10_000), (45_000, "JPY", 50_000), (26_000, "JPY", 25_000),
    (72_000, "JPY", 70_000), (3, "USD", 10), (120, "EUR", 120),
])
def test_amounts_round_to_a_one_two_five_step_in_the_currency(raw, currency, amount):
    assert cp.readable_amount(raw, currency) == amount


def test_rounded_cuts_stay_distinct_and_ascending():
    assert cp.readable_cuts("frequency", [1, 2, 3.4, 6.6], "JPY") == [2, 3, 4, 7]
    assert cp.readable_cuts("recency", [5, 6, 7, 8], "JPY") == [3, 7, 14, 21]  # 5: a tie, the shorter wins
    assert cp.readable_cuts("monetary", [3000, 3100, 3200, 90_000], "JPY") == [3000, 4000, 5000, 100_000]


def test_top_tier_flags():
    assert [cp.top_tier_flag(x) for x in (0.0, 0.049, 0.05, 0.40, 0.401, float("nan"))] == \
        ["small", "small", None, None, "large", None]


# --- the suggestion ---------------------------------------------------------------------------


def test_suggestion_on_ten_customers():
    s = cp.suggest(Scorer(TEN), _rfm_only(), "JPY")
    # quintiles (numpy's linear interpolation), then rounded (worked out in the module docstring's rules):
    # R 4.6 / 16 / 41 / 94 days -> 3 / 14 / 45 / 90; F 1 / 2 / 3.4 / 6.6 -> 2 / 3 / 4 / 7 (distinct);
    # M ¥3,600 / ¥10,400 / ¥26,000 / ¥72,000 -> ¥4,000 / ¥10,000 / ¥25,000 / ¥70,000
    assert s.cuts == {"recency": [3, 14, 45, 90], "frequency": [2, 3, 4, 7],
                      "monetary": [4000, 10_000, 25_000, 70_000]}
    assert s.levels == cp.QUINTILES and s.currency == "JPY"
    # before (the seeds' cut points): c0 (5,5,5) and c1 (5,4,5) reach 90 points
    assert s.before == cp.Impact(customers=10, top=2, top_share=0.2, top_revenue_share=520_000 / 661_500,
                                 counts={"recency": (1, 1, 1, 2, 5), "frequency": (3, 2, 2, 2, 1),
                                         "monetary": (4, 2, 1, 1, 2)})
    # after: c0 and c1 score (5,5,5); two customers per score on R and M
    assert s.after == cp.Impact(customers=10, top=2, top_share=0.2, top_revenue_share=520_000 / 661_500,
                                counts={"recency": (2, 2, 2, 2, 2), "frequency": (3, 2, 1, 2, 2),
                                        "monetary": (2, 2, 2, 2, 2)})
    assert s.in_target


def test_a_too_small_top_tier_loosens_the_levels_until_it_fits():
    rng = np.random.default_rng(7)
    n = 1000
    frame = pd.DataFrame({"recency_days": (rng.permutation(n) * 0.36).round(),  # 0–360 days
                          "frequency": rng.permutation(n).astype(float) + 1,
                          "monetary": (rng.permutation(n).astype(float) + 1) * 1000},
                         index=pd.Index([f"{i:04d}" for i in range(n)], name="customer_id"))
    s = cp.suggest(Scorer(frame), _rfm_only(top=100.0), "JPY")  # top = 5 on all three axes
    assert s.levels == cp.LEVELS_LOOSER[1] and s.in_target
    scores = [threshold_scores(frame[c].to_numpy(), s.cuts[a], a != "recency")
              for a, c in (("recency", "recency_days"), ("frequency", "frequency"), ("monetary", "monetary"))]
    assert s.after.top == int(np.all(np.vstack(scores) == 5, axis=0).sum())


def test_no_suggestion_without_rfm_values_or_weight():
    given = TEN.drop(columns=["monetary"])
    assert cp.suggest(Scorer(given), _rfm_only(), "JPY") is None
    d = _rfm_only().copy(factors=[defn.FactorSetting("nps", 100.0)])
    assert cp.suggest(Scorer(TEN), d, "JPY") is None


@pytest.mark.slow
@pytest.mark.skipif(not RETAIL.exists(), reason=f"{RETAIL} (the shared real datasets) is absent")
def test_online_retail_in_pounds_gets_a_top_tier_between_5_and_25_percent():
    from loyalty.pipeline import InputFile, build_features, load_dataset

    features = build_features(load_dataset([InputFile(RETAIL.name, RETAIL.read_bytes())])).frame
    s = cp.suggest(Scorer(features), defn.preset("b2c"), "GBP")
    # the seeds' yen cut points put 26 of 4,372 customers (0.6%) in the top tier
    assert (s.before.customers, s.before.top) == (4372, 26)
    # the quintiles give a top tier above 25%, so the next stricter levels are taken:
    # R5 = the 10% of customers who bought most recently (5 days -> 3), F5/M5 = the top 10%
    assert s.levels == cp.LEVELS_STRICTER[0]
    assert s.cuts == {"recency": [3, 21, 45, 120], "frequency": [2, 3, 4, 8], "monetary": [300, 600, 1200, 3500]}
    assert s.after.top == 793 and 0.05 <= s.after.top_share <= 0.25
    assert round(s.after.top_revenue_share, 3) == 0.677
