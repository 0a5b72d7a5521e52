"""LTV formulas: the seeds' worked figures."""

from pathlib import Path

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


# --------------------------------------------------------------------------- bases, components, per group

from loyalty.ltv import available_bases, ltv_by_group, ltv_components, value_by_group  # noqa: E402


def test_available_bases_in_preference_order():
    both = pd.DataFrame({"monthly_fee": [5_000.0], "months": [18.0], "annual_contract_value": [60_000.0],
                         "years": [1.5], "aov": [1.0], "orders_per_year": [1.0]})
    assert available_bases(both) == ["saas", "b2b", "b2c"]
    assert available_bases(pd.DataFrame({"aov": [1.0], "orders_per_year": [1.0], "tenure_days": [1.0]})) == ["b2c"]
    assert available_bases(pd.DataFrame({"aov": [1.0], "orders_per_year": [1.0]})) == []
    # the definition's preset goes first when its formula applies, and is ignored otherwise
    assert available_bases(both, prefer="b2b") == ["b2b", "saas", "b2c"]
    assert available_bases(both, prefer="b2c") == ["b2c", "saas", "b2b"]
    b2c_only = pd.DataFrame({"aov": [1.0], "orders_per_year": [1.0], "tenure_days": [1.0]})
    assert available_bases(b2c_only, prefer="saas") == ["b2c"]
    assert available_bases(both, prefer=None) == ["saas", "b2b", "b2c"]


def test_forcing_a_basis_on_a_b2b_table():
    f = pd.DataFrame({"monthly_fee": [5_000.0, 100_000.0], "months": [18.0, 60.0],
                      "annual_contract_value": [60_000.0, 1_200_000.0], "years": [1.5, 5.0]}, index=["s", "b"])
    saas = customer_ltv(f)
    assert saas.attrs["basis"] == "saas" and saas.tolist() == [90_000, 6_000_000]
    b2b = customer_ltv(f, basis="b2b")
    assert b2b.attrs["basis"] == "b2b" and b2b.tolist() == [90_000, 6_000_000]
    with pytest.raises(ValueError):
        customer_ltv(f, basis="b2c")


def test_assumed_years_for_everyone():
    # seed 001: ¥5,000 × 6 a year × 5 years = ¥150,000, whatever the observed tenure
    f = pd.DataFrame({"aov": [5_000.0, 3_000.0], "orders_per_year": [6.0, 4.0], "tenure_days": [30.0, 2_000.0]},
                     index=["x", "y"])
    assert customer_ltv(f, years=5).tolist() == [150_000, 60_000]
    c = ltv_components(f, years=3)
    assert c.attrs["basis"] == "b2c"
    assert c.to_dict("list") == {"aov": [5_000, 3_000], "orders_per_year": [6, 4], "years": [3, 3]}
    assert ltv_components(f)["years"].tolist() == pytest.approx([1.0, 2_000 / 365])
    with pytest.raises(ValueError):
        ltv_components(f, years=0)
    assert ltv_components(pd.DataFrame({"x": [1]})) is None


def test_discount_on_fractional_years_and_saas_months():
    # 1.5 years at 10%: (1 - 1.1^-1.5) / (1 - 1/1.1)
    expected = 1_000 * (1 - 1.1 ** -1.5) / (1 - 1 / 1.1)
    assert ltv_b2b(1_000, 1.5, discount_rate=0.1) == pytest.approx(expected)
    # SaaS: 12 months at 12% a year: Σ_{k=0}^{11} (1.12)^(-k/12)
    assert ltv_saas(1_000, 12, discount_rate=0.12) == pytest.approx(sum(1_000 * 1.12 ** (-k / 12) for k in range(12)))
    assert ltv_saas(1_000, 12, margin=0.5) == 6_000


def test_value_by_group():
    ltv = pd.Series([180_000.0, 40_000.0, 6_000.0, np.nan, 14_000.0], index=list("abcde"))
    tiers = pd.Series(["top", "middle", "low", "low", "middle"], index=list("abcde"))
    out = value_by_group(ltv, tiers, order=["top", "middle", "low", "other"])
    assert out.index.tolist() == ["top", "middle", "low", "other"]
    assert out["customers"].tolist() == [1, 2, 2, 0]
    assert out["valued"].tolist() == [1, 2, 1, 0]
    assert out["mean"].tolist()[:3] == [180_000, 27_000, 6_000]
    assert out["median"].tolist()[:3] == [180_000, 27_000, 6_000]
    assert out["total"].tolist()[:3] == [180_000, 54_000, 6_000]
    assert out["share"].tolist()[:3] == pytest.approx([0.75, 0.225, 0.025])
    assert np.isnan(out.loc["other", "mean"])
    assert ltv_by_group(ltv, tiers).index.tolist() == ["top", "middle", "low"]


def test_value_by_group_with_categorical_tiers():
    # tiers come from scoring as a categorical; unused categories stay out unless asked for
    ltv = pd.Series([10.0, 20.0, 30.0], index=list("abc"))
    tiers = pd.Series(pd.Categorical(["low", "top", "low"], categories=["top", "middle", "low"]), index=list("abc"))
    out = value_by_group(ltv, tiers, order=["top", "middle", "low"])
    assert out["customers"].tolist() == [1, 0, 2]
    assert out["total"].tolist()[0] == 20 and out["total"].tolist()[2] == 40


# --------------------------------------------------------------------------- net value per order


def test_average_order_value_is_net_per_order_and_zero_without_a_positive_net():
    from loyalty.ltv import average_order_value

    aov = average_order_value([2.9, 0.0, -50.0, 9_000.0, 400.0, -5.0], [2, 1, 1, 3, 0, 0])
    assert aov[:4].tolist() == [1.45, 0.0, 0.0, 3_000.0]
    assert np.isnan(aov[4]) and aov[5] == 0.0  # no order: nothing to average, unless the net is ≤ 0


BOUGHT_AND_CANCELLED = """InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID
536001,22001,1,2011-06-01 09:00,2.90,16446
581483,23843,80995,2011-12-09 09:15,2.08,16446
C581484,23843,-80995,2011-12-09 09:27,2.08,16446
541431,23166,74215,2011-01-18 10:01,1.04,12346
C541433,23166,-74215,2011-01-18 10:17,1.04,12346
536002,22002,4,2011-12-01 10:00,25.00,17000
536003,22003,2,2011-11-01 10:00,25.00,17000
"""


def test_ltv_from_transactions_uses_the_net_value_per_order():
    # Online Retail's 16446 bought and cancelled £168,469.60 on one day (net £2.90 over two
    # orders) and 12346 bought and cancelled £77,183.60 (net £0): valued at the gross order
    # value they had the 4th and 10th highest LTV; on the net value per order they have £2.90
    # and £0.  17000 (no return) keeps gross = net.
    from loyalty.pipeline import InputFile, build_features, load_dataset

    ds = load_dataset([InputFile("retail.csv", BOUGHT_AND_CANCELLED.encode())])
    f = build_features(ds, as_of=pd.Timestamp("2011-12-09").date()).frame
    ltv = customer_ltv(f)
    assert f.loc["16446", "aov"] == pytest.approx(1.45) and ltv["16446"] == pytest.approx(2.90)
    assert f.loc["12346", "aov"] == 0.0 and ltv["12346"] == 0.0
    # 17000: two orders of £100 and £50 in the window, first order 38 days ago: 75 × 2 × 1 year
    assert f.loc["17000", "aov"] == 75.0 and ltv["17000"] == 150.0


RETAIL = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "online_retail" / "online_retail.csv.gz"


@pytest.mark.slow
def test_online_retail_cancelled_orders_carry_no_ltv():
    if not RETAIL.exists():
        pytest.skip(f"the shared datasets folder is absent here ({RETAIL}); CI always has it")
    from loyalty.pipeline import InputFile, build_features, load_dataset

    ds = load_dataset([InputFile(RETAIL.name, RETAIL.read_bytes())])
    f = build_features(ds).frame
    ltv = customer_ltv(f)
    # before: 16446 £168,472 (4th highest), 12346 £77,184 (10th)
    assert ltv["16446"] == pytest.approx(2.90, abs=1e-6) and ltv["12346"] == 0.0
    assert (ltv > ltv["16446"]).sum() > 4000  # far down the list now
    assert (ltv[f["revenue_total"] <= 0] == 0).all()  # no positive LTV without a positive net
