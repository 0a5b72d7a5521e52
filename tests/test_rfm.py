"""R/F/M scoring: the seeds' threshold boundaries, quantile bins, as-is scores."""

import numpy as np
import pytest

from loyalty import definition as defn
from loyalty.rfm import as_is_scores, quantile_scores, threshold_scores

B2C = defn.preset("b2c").rfm


@pytest.mark.parametrize("days, score", [
    (0, 5), (30, 5),        # 「直近1ヶ月以内=R5」: 30 days is still R5
    (31, 4), (60, 4), (61, 3), (90, 3), (91, 2),
    (179, 2), (180, 1),     # 「6ヶ月以上前=R1」: 180 days is R1
    (400, 1),
])
def test_recency_boundaries_match_the_seed(days, score):
    assert threshold_scores(np.array([days]), B2C.recency, higher_is_better=False)[0] == score


@pytest.mark.parametrize("orders, score", [
    (0, 1), (1, 1),         # 「1回=F1」 (and none in the window)
    (2, 2), (3, 3), (5, 3), (6, 4), (9, 4),
    (10, 5), (25, 5),       # 「年間10回以上=F5」
])
def test_frequency_boundaries_match_the_seed(orders, score):
    assert threshold_scores(np.array([orders]), B2C.frequency, higher_is_better=True)[0] == score


@pytest.mark.parametrize("yen, score", [
    (-500, 1), (0, 1), (9_999, 1),      # 「1万円未満=M1」
    (10_000, 2), (29_999, 2), (30_000, 3), (49_999, 3), (50_000, 4), (99_999, 4),
    (100_000, 5), (2_000_000, 5),       # 「10万円以上=M5」
])
def test_monetary_boundaries_match_the_seed(yen, score):
    assert threshold_scores(np.array([yen]), B2C.monetary, higher_is_better=True)[0] == score


def test_threshold_keeps_missing_values_missing():
    out = threshold_scores(np.array([np.nan, 5.0]), [1, 2, 3, 4], higher_is_better=True)
    assert np.isnan(out[0]) and out[1] == 5


def test_quantile_bins_are_equal_count_and_order_free():
    values = np.arange(1, 11, dtype=float)  # 10 distinct values -> 2 per bin
    scores, collapsed = quantile_scores(values, higher_is_better=True)
    assert scores.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert collapsed == []
    rng = np.random.default_rng(0)
    perm = rng.permutation(10)
    again, _ = quantile_scores(values[perm], higher_is_better=True)
    assert again.tolist() == scores[perm].tolist()


def test_quantile_lower_is_better_reverses():
    scores, _ = quantile_scores(np.arange(1, 11, dtype=float), higher_is_better=False)
    assert scores.tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def test_quantile_ties_share_a_score_and_collapsed_bins_are_reported():
    # 6 of 10 customers bought once: they all get F1, bins 2 and 3 collapse
    values = np.array([1, 1, 1, 1, 1, 1, 2, 3, 4, 9], dtype=float)
    scores, collapsed = quantile_scores(values, higher_is_better=True)
    assert scores.tolist() == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    assert collapsed == [2, 3]


def test_quantile_ignores_missing():
    scores, collapsed = quantile_scores(np.array([np.nan, 1, 2, 3, 4, 5], dtype=float), True)
    assert np.isnan(scores[0])
    assert scores[1:].tolist() == [1, 2, 3, 4, 5]


def test_as_is_rounds_and_clips():
    assert as_is_scores(np.array([0, 1.4, 2.6, 5, 7, np.nan]))[:5].tolist() == [1, 1, 3, 5, 5]
