"""Price-driven repeaters and loyal-in-waiting customers."""

import numpy as np
import pandas as pd

from loyalty.repeaters import RepeaterRules, engagement_index, find_groups


def _features():
    return pd.DataFrame({
        "frequency":       [8,   9,   1,   2,   8,   1],
        "discount_share":  [0.9, 0.8, 0.0, 0.5, 0.1, 0.0],
        "nps":             [3,   np.nan, 9, np.nan, 10, 2],
        "email_open_rate": [5,   10,  60,  65,  40,  70],
        "events":          [0,   0,   3,   2,   1,   4],
    }, index=pd.Index(["p1", "p2", "w1", "w2", "loyal", "angry"], name="customer_id"))


def test_engagement_index_is_the_mean_percentile_rank():
    eng = engagement_index(_features())
    # email ranks (pct): 5->1/6, 10->2/6, 60->4/6, 65->5/6, 40->3/6, 70->1; events: 0,0 tie -> 1.5/6 ...
    assert eng["p1"] == (1 / 6 + 1.5 / 6) / 2
    assert eng["angry"] == (6 / 6 + 6 / 6) / 2


def test_groups():
    g = find_groups(_features())
    # p1: frequent, 90% discounted, detractor; p2: no NPS answer but low engagement
    assert g.price_driven.index.tolist() == ["p1", "p2"]
    # w1: engaged, one order, promoter; w2: engaged, two orders, no answer; angry: engaged but NPS 2
    assert g.loyal_in_waiting.index.tolist() == ["w1", "w2"]
    assert g.available == {"discount": True, "nps": True, "engagement": True}


def test_thresholds_are_editable():
    g = find_groups(_features(), RepeaterRules(min_discount_share=0.85))
    assert g.price_driven.index.tolist() == ["p1"]


def test_without_discount_or_engagement_data_nobody_is_flagged():
    f = _features()[["frequency", "nps"]]
    g = find_groups(f)
    assert g.price_driven.empty and g.loyal_in_waiting.empty
    assert g.available == {"discount": False, "nps": True, "engagement": False}
