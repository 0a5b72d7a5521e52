"""Pareto view: top x% of customers → y% of revenue, on hand-made values."""

import numpy as np
import pandas as pd
import pytest

from loyalty.errors import LoyaltyError
from loyalty.pareto import pareto, top_count

# ten customers, total 100: the top two bring 70
VALUES = pd.Series([1, 20, 5, 50, 1, 4, 10, 3, 5, 1], index=[f"c{i}" for i in range(10)], dtype=float)


def test_top_shares():
    p = pareto(VALUES)
    assert (p.customers, p.total) == (10, 100.0)
    assert p.share_of_top(0.2) == pytest.approx(0.70)   # 50 + 20
    assert p.share_of_top(0.1) == pytest.approx(0.50)
    assert p.share_of_top(0.15) == pytest.approx(0.70)  # ⌈1.5⌉ = 2 customers
    assert p.share_of_top(0.5) == pytest.approx(0.90)   # top 5: 50+20+10+5+5
    assert p.share_of_top(0.0) == 0.0 and p.share_of_top(1.0) == pytest.approx(1.0)
    assert p.customers_for_share(0.8) == pytest.approx(0.3)  # 50+20+10 = 80
    assert p.customers_for_share(0.81) == pytest.approx(0.4)
    with pytest.raises(ValueError):
        p.share_of_top(1.5)


def test_table_and_curve():
    p = pareto(VALUES)
    tab = p.table((0.1, 0.2, 0.5))
    assert tab["customers"].tolist() == [1, 2, 5]
    assert tab["revenue"].tolist() == pytest.approx([50, 70, 90])
    assert tab["revenue_share"].tolist() == pytest.approx([0.5, 0.7, 0.9])
    curve = p.curve(points=10)
    assert curve["customer_share"].tolist() == pytest.approx([i / 10 for i in range(11)])
    assert curve["revenue_share"].tolist() == pytest.approx([0, .5, .7, .8, .85, .9, .94, .97, .98, .99, 1.0])


def test_negative_and_missing_values():
    v = pd.Series([np.nan, -10.0, 60.0, 50.0], index=["a", "b", "c", "d"])
    p = pareto(v)
    assert p.customers == 3 and p.total == 100.0
    assert p.cumulative.tolist() == pytest.approx([0, 0.6, 1.1, 1.0])  # the net-return customer comes last
    with pytest.raises(LoyaltyError):
        pareto(pd.Series([0.0, 0.0]))
    with pytest.raises(LoyaltyError):
        pareto(pd.Series([np.nan]))


def test_top_count_ignores_float_noise():
    assert 0.07 * 100 > 7  # 7.000000000000001 in binary floating point
    assert top_count(0.07, 100) == 7
    assert top_count(0.2, 7) == 2  # ⌈1.4⌉
    assert top_count(1.0, 7) == 7 and top_count(0.0, 7) == 0


def test_ties_are_ordered_by_customer_id():
    p1 = pareto(pd.Series([5.0, 5.0, 1.0], index=["b", "a", "c"]))
    p2 = pareto(pd.Series([5.0, 1.0, 5.0], index=["a", "c", "b"]))
    assert p1.cumulative.tolist() == p2.cumulative.tolist()
