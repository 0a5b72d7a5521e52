"""A customer's score broken down by factor."""

import numpy as np
import pandas as pd

from loyalty import definition as defn
from loyalty.breakdown import factor_breakdown
from loyalty.scoring import score


def test_points_per_factor_add_up_to_the_loyalty_score():
    feats = pd.DataFrame({"recency_days": [10.0, 200.0], "frequency": [12, 1], "monetary": [150_000.0, 5_000.0],
                          "nps": [10.0, np.nan]}, index=pd.Index(["a", "b"], name="customer_id"))
    d = defn.preset("b2c")
    d.factors = [defn.FactorSetting("recency", 20), defn.FactorSetting("frequency", 30),
                 defn.FactorSetting("monetary", 30), defn.FactorSetting("nps", 20),
                 defn.FactorSetting("sns_reactions", 10)]
    res = score(feats, d)
    a = factor_breakdown("a", feats, res.frame, res.weights, d).set_index("factor")
    # sns_reactions is not in the data: dropped, weights 20/30/30/20 out of 100
    assert a.loc["sns_reactions", "weight"] == 0.0 and a.loc["sns_reactions", "points"] == 0.0
    assert a["score"].tolist()[:4] == [5.0, 5.0, 5.0, 5.0]
    assert a["points"].tolist() == [20.0, 30.0, 30.0, 20.0, 0.0]
    assert a["points"].sum() == res.frame.loc["a", "loyalty_score"] == 100.0
    b = factor_breakdown("b", feats, res.frame, res.weights, d).set_index("factor")
    # b has no NPS answer: scored on R, F, M only (weights 20/30/30 rescaled to 100)
    assert b.loc["recency", ["value", "score"]].tolist() == [200.0, 1.0]
    assert np.isnan(b.loc["nps", "score"]) and b.loc["nps", "points"] == 0.0
    assert b["points"].round(6).tolist() == [round(20 / 80 * 100 * 1 / 5, 6), round(30 / 80 * 100 / 5, 6),
                                             round(30 / 80 * 100 / 5, 6), 0.0, 0.0]
    assert round(b["points"].sum(), 6) == round(res.frame.loc["b", "loyalty_score"], 6) == 20.0
