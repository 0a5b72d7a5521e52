"""Workshop comparison: tier tables, agreement, migration and disagreements."""

import numpy as np
import pandas as pd
import pytest

from loyalty.compare import compare


def _scores(scores, tiers, points):
    idx = pd.Index(["a", "b", "c", "d"], name="customer_id")
    frame = pd.DataFrame({"loyalty_score": scores, "tier": pd.Categorical(tiers, categories=["top", "middle", "low"])},
                         index=idx)
    for k, v in points.items():
        frame[f"points_{k}"] = v
    return frame


SALES = _scores([90, 85, 40, 10], ["top", "top", "low", "low"],
                {"monetary": [60, 60, 20, 5], "frequency": [30, 25, 20, 5]})
CS = _scores([95, 30, 82, 12], ["top", "low", "top", "low"],
             {"nps": [50, 0, 50, 2], "frequency": [45, 30, 32, 10]})
MONETARY = pd.Series([100.0, 300.0, 50.0, 50.0], index=SALES.index)


def test_tier_table_and_agreement():
    cmp = compare({"営業案": SALES, "CS案": CS}, MONETARY)
    t = cmp.tier_table().set_index(["definition", "tier"])
    assert t.loc[("営業案", "top"), "customers"] == 2
    assert t.loc[("営業案", "top"), "revenue_share"] == pytest.approx(0.8)
    assert t.loc[("CS案", "top"), "revenue_share"] == pytest.approx(0.3)
    ag = cmp.agreement()
    assert ag["counts"] == {"営業案": 2, "CS案": 2}
    assert (ag["in_all"], ag["in_any"]) == (1, 3)
    assert ag["overlap"].loc["営業案", "CS案"] == 1
    assert ag["jaccard"].loc["営業案", "CS案"] == pytest.approx(1 / 3)
    assert ag["jaccard"].loc["CS案", "CS案"] == 1.0


def test_migration_matrix():
    m = compare({"営業案": SALES, "CS案": CS}, MONETARY).migration("営業案", "CS案")
    assert m.loc["top", "top"] == 1 and m.loc["top", "low"] == 1 and m.loc["low", "top"] == 1
    assert int(m.to_numpy().sum()) == 4


def test_disagreements_name_the_factor_that_makes_the_difference():
    d = compare({"営業案": SALES, "CS案": CS}, MONETARY).disagreements(n=2)
    # b: 85 vs 30 (spread 55); c: 40 vs 82 (spread 42)
    assert d.index.tolist() == ["b", "c"]
    assert d["spread"].tolist() == [55.0, 42.0]
    assert d.loc["b", ["highest", "lowest"]].tolist() == ["営業案", "CS案"]
    # b: monetary 60 vs 0, frequency 25 vs 30, nps 0 vs 0 -> monetary
    assert (d.loc["b", "factor"], d.loc["b", "factor_points"]) == ("monetary", 60.0)
    # c: CS案 highest: nps 50 vs 0, frequency 32 vs 20, monetary 0 vs 20 -> nps
    assert (d.loc["c", "factor"], d.loc["c", "factor_points"]) == ("nps", 50.0)
    assert d.loc["c", "tier_CS案"] == "top"


def test_needs_two_definitions_on_the_same_customers():
    with pytest.raises(ValueError):
        compare({"only": SALES}, MONETARY)
    with pytest.raises(ValueError):
        compare({"a": SALES, "b": CS.iloc[:3]}, MONETARY)
