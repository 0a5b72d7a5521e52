"""Loyalty score, tiers and segments, checked against the seeds' tables."""

import numpy as np
import pandas as pd
import pytest

from loyalty import definition as defn
from loyalty.scoring import Scorer, score
from tests.helpers import rfm_equal


def _given_rfm(rows):
    return pd.DataFrame({"r_score_given": [r[1] for r in rows], "f_score_given": [r[2] for r in rows],
                         "m_score_given": [r[3] for r in rows]},
                        index=pd.Index([r[0] for r in rows], name="customer_id", dtype="str"))


def test_seed_rfm_table_lands_in_the_seed_tiers():
    # seed 000: A社 5/5/5 = 15 最上位, B社 3/4/4 = 11 中堅層, C社 1/1/2 = 4 低貢献層
    feats = _given_rfm([("A社", 5, 5, 5), ("B社", 3, 4, 4), ("C社", 1, 1, 2)])
    res = score(feats, rfm_equal())
    assert res.frame["rfm_total"].tolist() == [15, 11, 4]
    assert res.frame["tier"].astype(str).tolist() == ["top", "middle", "low"]
    # equal weights: score = total / 15 * 100 (weights 33.34/33.33/33.33)
    assert res.frame["loyalty_score"].round(1).tolist() == [100.0, 73.3, 26.7]


def test_default_preset_places_the_seed_rfm_table_in_the_seed_tiers():
    # the BtoC preset also weighs SNS reactions and NPS; the seed table has neither, so
    # they drop out and R 15 / F 25 / M 25 are rescaled to 100
    feats = _given_rfm([("A社", 5, 5, 5), ("B社", 3, 4, 4), ("C社", 1, 1, 2)])
    res = score(feats, defn.preset("b2c"))
    assert res.dropped == ["sns_reactions", "nps"]
    assert res.frame["loyalty_score"].round(2).tolist() == [
        100.0, round((15 * 3 + 25 * 4 + 25 * 4) / 65 * 20, 2), round((15 * 1 + 25 * 1 + 25 * 2) / 65 * 20, 2)]
    assert res.frame["tier"].astype(str).tolist() == ["top", "middle", "low"]


def test_seed_weighted_example_gives_96_66_36():
    # Seed 000's multi-factor table: weights 30/20/20/30 on frequency, monetary,
    # touchpoints and satisfaction.  The seed prints 86 for A社 and 38 for C社:
    # arithmetic slips.  Σ weight × score / 5 gives 96, 66 and 36.
    feats = pd.DataFrame({
        "frequency": [np.nan] * 3,
        "f_score_given": [5, 3, 2], "m_score_given": [4, 3, 2],
        "inquiries": [5, 3, 1], "satisfaction": [5, 4, 2],
    }, index=pd.Index(["A社", "B社", "C社"], name="customer_id"))
    d = defn.from_dict({
        "schema": "loyalty-definition", "version": 1,
        "factors": [{"key": "frequency", "weight": 30}, {"key": "monetary", "weight": 20},
                    {"key": "inquiries", "weight": 20, "mode": "as_is"},
                    {"key": "satisfaction", "weight": 30, "mode": "as_is"}],
        "tiers": {"top": 80, "middle": 50}})
    res = score(feats, d)
    assert res.frame["loyalty_score"].tolist() == [96.0, 66.0, 36.0]
    assert res.frame["tier"].astype(str).tolist() == ["top", "middle", "low"]
    # the breakdown: which factor gave how many points (A社: 30 + 16 + 20 + 30)
    a = res.frame.loc["A社"]
    assert [a["points_frequency"], a["points_monetary"], a["points_inquiries"], a["points_satisfaction"]] == \
        [30.0, 16.0, 20.0, 30.0]


def test_tier_cutoffs_are_inclusive():
    feats = _given_rfm([("x", 4, 4, 4), ("y", 3, 3, 2)])  # 80.0 and 53.3
    res = score(feats, rfm_equal())
    assert res.frame["loyalty_score"].round(2).tolist() == [80.0, 53.33]
    assert res.frame["tier"].astype(str).tolist() == ["top", "middle"]


def test_factor_missing_from_data_is_dropped_and_weights_rescaled():
    feats = _given_rfm([("a", 5, 5, 5)])
    d = rfm_equal()
    d.factors.append(defn.FactorSetting("nps", 25))
    res = score(feats, d)
    assert res.dropped == ["nps"]
    assert sum(res.weights.values()) == pytest.approx(100.0)
    assert res.frame["loyalty_score"].tolist() == [100.0]


def test_customer_without_a_value_is_scored_on_the_factors_he_has():
    feats = _given_rfm([("a", 5, 5, 5), ("b", 5, 5, 5)])
    feats["nps"] = [0.0, np.nan]  # a: detractor (score 1); b: never answered
    d = defn.preset("b2c")
    d.factors = [defn.FactorSetting("recency", 50), defn.FactorSetting("nps", 50)]
    res = score(feats, d)
    assert res.missing_values == {"nps": 1}
    assert res.frame["loyalty_score"].tolist() == [60.0, 100.0]  # (50*5 + 50*1)/5 ; 50*5/5 rescaled


def test_segments_first_match_wins_with_catch_all():
    feats = _given_rfm([("champ", 5, 5, 5), ("cant", 1, 5, 5), ("risk", 2, 3, 1), ("lost", 1, 1, 1),
                        ("new", 5, 1, 3)])
    res = score(feats, defn.preset("b2c"))
    assert res.frame["rfm_segment"].astype(str).tolist() == ["champions", "cant_lose", "at_risk", "lost", "new"]
    d = defn.preset("b2c")
    d.segments = d.segments[:1]  # only Champions: everyone else falls through
    res = score(feats, d)
    assert res.frame["rfm_segment"].astype(str).tolist() == ["champions", "other", "other", "other", "other"]


def test_tiers_partition_customers_and_rescoring_reuses_the_scorer():
    rng = np.random.default_rng(1)
    n = 500
    feats = pd.DataFrame({"recency_days": rng.integers(0, 400, n).astype(float),
                          "frequency": rng.integers(0, 15, n), "monetary": rng.integers(0, 200_000, n).astype(float)},
                         index=pd.Index([f"{i:05d}" for i in range(n)], name="customer_id"))
    scorer = Scorer(feats)
    d = defn.preset("b2c")
    first = scorer.score(d)
    counts = first.frame["tier"].value_counts()
    assert counts.sum() == n
    d2 = d.copy(tiers={"top": 60.0, "middle": 30.0})
    second = scorer.score(d2)
    assert (second.frame["tier"].astype(str) == "top").sum() > (first.frame["tier"].astype(str) == "top").sum()
    assert second.frame["loyalty_score"].equals(first.frame["loyalty_score"])
