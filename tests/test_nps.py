"""NPS = % promoters − % detractors (seed 001: 60/20/20 → +40), its distribution,
per-group summaries and the NPS × RFM view, on hand-made answers."""

import math

import numpy as np
import pandas as pd
import pytest

from loyalty.nps import (NPS_RFM_GROUPS, nps, nps_by_group, nps_category, nps_distribution, nps_rfm_groups,
                         nps_rfm_matrix, nps_rfm_summary, satisfaction_distribution)

SEED_ANSWERS = [10] * 30 + [9] * 30 + [8] * 10 + [7] * 10 + [6] * 10 + [0] * 10


def test_seed_nps_example():
    r = nps(SEED_ANSWERS)
    assert (r.respondents, r.promoters, r.passives, r.detractors) == (100, 60, 20, 20)
    assert r.nps == 40.0
    assert r.shares() == (60.0, 20.0, 20.0)


def test_nps_boundaries_and_non_answers():
    r = nps([9, 8, 7, 6, float("nan"), 11, -1])
    assert (r.respondents, r.promoters, r.passives, r.detractors) == (4, 1, 2, 1)
    assert r.nps == 0.0
    assert math.isnan(nps([]).nps)
    # text answers from a CSV: blanks and words are no answer, 8.5 is a passive
    assert nps(pd.Series(["10", "", "abc", "8.5", None])).passives == 1
    assert nps(pd.Series(["10", "", "abc", "8.5", None])).respondents == 2


def test_category():
    s = pd.Series([10, 7, 0, np.nan, 12], index=list("abcde"))
    out = nps_category(s)
    assert out.index.tolist() == list("abcde")
    assert out.iloc[:3].tolist() == ["promoter", "passive", "detractor"]
    assert out.iloc[3:].isna().all()


def test_distribution_0_to_10():
    d = nps_distribution([0, 0, 5, 9, 10, 10, np.nan, 11])
    assert d["score"].tolist() == list(range(11))
    assert d["respondents"].tolist() == [2, 0, 0, 0, 0, 1, 0, 0, 0, 1, 2]
    assert d["share"].tolist() == pytest.approx([2 / 6, 0, 0, 0, 0, 1 / 6, 0, 0, 0, 1 / 6, 2 / 6])
    assert d["category"].tolist() == ["detractor"] * 7 + ["passive"] * 2 + ["promoter"] * 2
    assert nps_distribution([])["share"].isna().all()


def test_satisfaction_distribution():
    d = satisfaction_distribution([1, 5, 5, 3, np.nan, 0, 6])
    assert d["score"].tolist() == [1, 2, 3, 4, 5]
    assert d["respondents"].tolist() == [1, 0, 1, 0, 2]
    assert d["share"].tolist() == [0.25, 0, 0.25, 0, 0.5]


def test_nps_by_group_with_the_whole_base():
    idx = [f"c{i}" for i in range(8)]
    scores = pd.Series([10, 9, 3, np.nan, 8, 0, 0, np.nan], index=idx)
    tiers = pd.Series(["top", "top", "top", "top", "low", "low", "low", "low"], index=idx)
    sat = pd.Series([5, 4, 2, np.nan, 3, 1, np.nan, np.nan], index=idx)
    out = nps_by_group(scores, tiers, order=["top", "middle", "low"], satisfaction=sat)
    assert out.index.tolist() == ["top", "middle", "low", "all"]
    assert out["customers"].tolist() == [4, 0, 4, 8]
    assert out["respondents"].tolist() == [3, 0, 3, 6]
    assert out["promoters"].tolist() == [2, 0, 0, 2]
    assert out["passives"].tolist() == [0, 0, 1, 1]
    assert out["detractors"].tolist() == [1, 0, 2, 3]
    assert out["response_rate"].tolist()[0] == 0.75 and math.isnan(out["response_rate"].iloc[1])
    assert out.loc["top", "nps"] == pytest.approx(100 * (2 / 3 - 1 / 3))
    assert out.loc["low", "nps"] == pytest.approx(-200 / 3)
    assert out.loc["all", "nps"] == pytest.approx(100 * (2 / 6 - 3 / 6))
    assert math.isnan(out.loc["middle", "nps"])
    assert out["avg_satisfaction"].tolist()[0] == pytest.approx(11 / 3)
    assert out.loc["all", "avg_satisfaction"] == 3.0
    assert out["satisfaction_respondents"].tolist() == [3, 0, 2, 5]


def test_seed_example_as_one_group():
    s = pd.Series(SEED_ANSWERS, index=range(100))
    out = nps_by_group(s, pd.Series(["x"] * 100, index=range(100)))
    assert out.loc["x", "nps"] == 40.0 and out.loc["all", "nps"] == 40.0
    assert out.loc["x", ["promoter_share", "passive_share", "detractor_share"]].tolist() == [0.6, 0.2, 0.2]


IDX = list("abcdefg")
F = pd.Series([5, 4, 4, 2, 1, 3, np.nan], index=IDX)
ANSWERS = pd.Series([10, 6, np.nan, 9, 3, 8, 10], index=IDX)


def test_nps_rfm_matrix():
    m = nps_rfm_matrix(F, ANSWERS)
    assert m.index.tolist() == [5, 4, 3, 2, 1]
    assert m.columns.tolist() == ["promoter", "passive", "detractor", "no_answer"]
    assert m.to_numpy().tolist() == [[1, 0, 0, 0],   # F5: a promoter
                                     [0, 0, 1, 1],   # F4: b detractor, c no answer
                                     [0, 1, 0, 0],   # F3: f passive
                                     [1, 0, 0, 0],   # F2: d promoter
                                     [0, 0, 1, 0]]   # F1: e detractor (g has no F score: left out)


def test_nps_rfm_groups_and_summary():
    g = nps_rfm_groups(F, ANSWERS)
    assert g.iloc[:6].tolist() == ["loyal_advocate", "habitual_repeater", "no_answer", "latent_advocate",
                                   "other", "other"]
    assert pd.isna(g["g"])
    g3 = nps_rfm_groups(F, ANSWERS, high_f=3)
    assert g3["f"] == "habitual_repeater"  # F3, NPS 8 is not a promoter
    feats = pd.DataFrame({"frequency": [12, 6, 5, 1, 1, 3, 2], "monetary": [100.0, 50, 30, 10, 5, 5, 0]},
                         index=IDX)
    sat = pd.Series([5, 2, np.nan, 4, 1, 3, 5], index=IDX)
    out = nps_rfm_summary(g, feats, ANSWERS, sat)
    assert out.index.tolist() == list(NPS_RFM_GROUPS)
    assert out["customers"].tolist() == [1, 1, 1, 2, 1]
    assert out["revenue"].tolist() == [100, 50, 10, 10, 30]
    assert out["revenue_share"].tolist() == pytest.approx([0.5, 0.25, 0.05, 0.05, 0.15])
    assert out["customer_share"].tolist() == pytest.approx([1 / 6, 1 / 6, 1 / 6, 2 / 6, 1 / 6])
    assert out.loc["other", "avg_nps"] == 5.5 and out.loc["other", "avg_satisfaction"] == 2.0
    assert out.loc["other", "avg_frequency"] == 2.0
    assert math.isnan(out.loc["no_answer", "avg_nps"])


def test_nps_by_group_with_categorical_groups_and_default_order():
    idx = list("abcd")
    g = pd.Series(pd.Categorical(["low", "top", "low", "top"], categories=["top", "middle", "low"]), index=idx)
    out = nps_by_group(pd.Series([10, 0, 9, 9], index=idx), g)
    assert out.index.tolist() == ["low", "top", "all"]  # order of appearance, unused category left out
    assert out["nps"].tolist() == [100.0, 0.0, 50.0]
