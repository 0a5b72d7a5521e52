"""LTV formulas: the seeds' worked figures."""

import numpy as np
import pandas as pd
import pytest

from loyalty.ltv import customer_ltv, ltv_b2b, ltv_b2c, ltv_saas


def test_seed_ltv_table():
    # seed 000's table: A社 ¥10,000 × 6/yr × 3 yr; B社 ¥5,000 × 4 × 2; C社 ¥3,000 × 2 × 1
    assert ltv_b2c([10_000, 5_000, 3_000], [6, 4, 2], [3, 2, 1]).tolist() == [180_000, 40_000, 6_000]


def test_seed_worked_examples():
    assert ltv_b2c(10_000, 4, 3) == 120_000      # 1万円 × 4回 × 3年 = 12万円
    assert ltv_b2c(3_000, 4, 3) == 36_000        # EC example
    assert ltv_b2c(5_000, 6, 5) == 150_000       # seed 001
    assert ltv_saas(5_000, 18) == 90_000         # SaaS: 月額5,000円 × 18ヶ月
    assert ltv_b2b(1_200_000, 5) == 6_000_000    # BtoB: 年額120万円 × 5年


def test_margin_and_discount_rate():
    assert ltv_b2c(10_000, 6, 3, margin=0.4) == pytest.approx(72_000)
    # 10% a year: 60,000 × (1 + 1/1.1 + 1/1.21)
    assert ltv_b2c(10_000, 6, 3, discount_rate=0.1) == pytest.approx(60_000 * (1 + 1 / 1.1 + 1 / 1.21))


def test_customer_ltv_from_a_seed_style_customer_table():
    f = pd.DataFrame({"aov": [10_000.0, 5_000.0, 3_000.0], "orders_per_year": [6.0, 4.0, 2.0],
                      "years": [3.0, 2.0, 1.0]}, index=["A社", "B社", "C社"])
    assert customer_ltv(f).tolist() == [180_000, 40_000, 6_000]


def test_customer_ltv_from_transactions_counts_at_least_one_year():
    f = pd.DataFrame({"aov": [5_000.0, 5_000.0], "orders_per_year": [2.0, 2.0],
                      "tenure_days": [100.0, 730.0]}, index=["a", "b"])
    assert customer_ltv(f).tolist() == [10_000, 20_000]
    assert customer_ltv(pd.DataFrame({"x": [1]})) is None
    assert np.isnan(customer_ltv(pd.DataFrame({"monthly_fee": [np.nan], "months": [3]})).iloc[0])
