"""The golden route (loyalty.golden_route): first-purchase profile, patterns with
lift and intervals, F2 by entry product, the route score, and the real Online Retail
data.  Expected figures are worked out by hand (in the comments) or with plain
pandas inside the test, never copied from the output."""

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loyalty import definition as defn
from loyalty import golden_route as gr
from loyalty.cohorts import f2_conversion
from loyalty.errors import LoyaltyError
from loyalty.pipeline import InputFile, build_features, load_dataset
from loyalty.retention import customer_orders
from loyalty.scoring import score
from tests.helpers import csv_input, RETAIL

AS_OF = date(2024, 12, 31)
TODAY = date(2025, 6, 1)
Z = 1.959963984540054

# Loyal now: L1–L4.  The rest: R1–R6 (first orders at least 180 days before the
# as-of date, R6 exactly 180).  M1 is in between (neither compared nor new).  N1–N3
# are new (first order within 90 days).
ORDERS = """注文番号,会員番号,注文日,商品名,カテゴリ,数量,単価,値引額,金額,クーポン,販売チャネル
o101,L1,2024/01/10,ローション,スキンケア,2,3000,0,6000,,公式EC
o101,L1,2024/01/10,クレンジング,スキンケア,1,1500,0,1500,,公式EC
o102,L1,2024/01/30,ローション,スキンケア,1,3000,0,3000,,公式EC
o103,L1,2024/06/01,ローション,スキンケア,1,3000,0,3000,,公式EC
o201,L2,2024/02/01,ローション,スキンケア,1,3000,0,3000,,公式アプリ
o202,L2,2024/02/11,セラム,スキンケア,1,5000,0,5000,,公式アプリ
o301,L3,2024/03/01,ローション,スキンケア,2,3000,0,6000,,公式EC
o302,L3,2024/04/10,ローション,スキンケア,2,3000,0,6000,,公式EC
o401,L4,2024/01/05,セラム,スキンケア,1,5000,500,4500,WELCOME,公式EC
o402,L4,2024/04/14,ローション,スキンケア,1,3000,0,3000,,公式EC
o501,R1,2024/02/15,ローション,スキンケア,1,3000,0,3000,,楽天
o502,R1,2024/09/02,ローション,スキンケア,1,3000,0,3000,,楽天
o601,R2,2024/03/10,トライアル,トライアル,1,1000,100,900,WELCOME,楽天
o701,R3,2024/04/01,トライアル,トライアル,1,1000,100,900,WELCOME,公式EC
o702,R3,2024/04/06,トライアル,トライアル,1,1000,0,1000,,公式EC
o801,R4,2024/05/01,トライアル,トライアル,1,1000,100,900,WELCOME,楽天
o901,R5,2024/06/01,セラム,スキンケア,2,5000,0,10000,,公式EC
o901,R5,2024/06/10,セラム,スキンケア,-1,5000,0,-5000,,公式EC
o902,R5,2024/07/31,セラム,スキンケア,1,5000,0,5000,,公式EC
o1001,R6,2024/07/04,トライアル,トライアル,1,1000,100,900,WELCOME,楽天
o1101,M1,2024/08/01,ローション,スキンケア,1,3000,0,3000,,公式EC
o1201,N1,2024/12/01,ローション,スキンケア,1,3000,0,3000,,公式EC
o1202,N1,2024/12/01,セラム,スキンケア,1,5000,0,5000,,公式EC
o1301,N2,2024/12/20,トライアル,トライアル,1,1000,100,900,WELCOME,楽天
o1401,N3,2024/10/03,クレンジング,スキンケア,1,1500,0,1500,,公式EC
o1402,N3,2025/01/05,クレンジング,スキンケア,1,1500,0,1500,,公式EC
"""
CUSTOMERS = """会員番号,流入経路,会員登録日
L1,紹介,2024/01/10
L2,紹介,2024/01/20
L3,検索,2024/03/01
R1,検索,2024/02/15
R2,広告,2024/03/10
R3,広告,2024/04/01
R4,検索,2024/05/01
R5,紹介,2024/06/01
R6,広告,2024/07/04
M1,検索,2024/08/01
N1,紹介,2024/12/01
N2,広告,2024/12/20
N3,検索,2024/10/03
"""
TIERS = pd.Series({"L1": "top", "L2": "top", "L3": "top", "L4": "top", "R1": "middle", "R2": "low",
                   "R3": "low", "R4": "low", "R5": "low", "R6": "low", "M1": "middle", "N1": "low",
                   "N2": "low", "N3": "low"})
SMALL = gr.GoldenRouteSettings(min_customers=2, min_loyal=1, f2_days=30,
                               score_attributes=("first_product", "first_price", "acquisition_channel",
                                                 "second_order"))


@pytest.fixture(scope="module")
def shop():
    ds = load_dataset([csv_input(ORDERS), csv_input(CUSTOMERS, name="customers.csv")], today=TODAY)
    feats = build_features(ds, as_of=AS_OF)
    return ds, feats


@pytest.fixture(scope="module")
def fp(shop):
    ds, _ = shop
    return gr.first_purchases(ds.transactions, AS_OF)


def _katz(a, n1, c, n2):
    ratio = (a / n1) / (c / n2)
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    return ratio, ratio * math.exp(-Z * se), ratio * math.exp(Z * se)


def _wilson(x, n):
    p = x / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


# ------------------------------------------------------------------ statistics


def test_wilson_interval_matches_published_values():
    # Newcombe (1998), Table I: 81/263 → 0.2553–0.3662; 0/10 → 0–0.2775; 5/10 → 0.2366–0.7634
    low, high = gr.wilson_interval([81, 0, 5, 0], [263, 10, 10, 0])
    assert np.round(low[:3], 4).tolist() == [0.2553, 0.0, 0.2366]
    assert np.round(high[:3], 4).tolist() == [0.3662, 0.2775, 0.7634]
    assert np.isnan(low[3]) and np.isnan(high[3])


def test_katz_interval_with_and_without_zero_cells():
    ratio, low, high = gr.katz_interval([3, 0], [4, 4], [1, 4], [6, 6])
    r, lo, hi = _katz(3, 4, 1, 6)
    assert ratio[0] == pytest.approx(4.5) and r == pytest.approx(4.5)
    assert low[0] == pytest.approx(lo) and high[0] == pytest.approx(hi)
    # a = 0: add 0.5 to a and c, 1 to n1 and n2 → (0.5/5) / (4.5/7)
    r0, lo0, hi0 = _katz(0.5, 5, 4.5, 7)
    assert ratio[1] == pytest.approx(0.1 / (4.5 / 7)) == pytest.approx(r0)
    assert (low[1], high[1]) == (pytest.approx(lo0), pytest.approx(hi0))


def test_auc_counts_ties_as_half():
    # positives 3, 2; negatives 1, 2 → pairs: 3>1, 3>2, 2>1, 2=2 → (3 + 0.5) / 4
    assert gr.auc([3, 2, 1, 2], [True, True, False, False]) == pytest.approx(0.875)
    assert math.isnan(gr.auc([1, 2], [True, True]))


# -------------------------------------------------------------- first purchases


def test_fee_lines_are_neither_orders_nor_entry_products():
    text = ("注文番号,会員番号,注文日,商品コード,商品名,金額\n"
            "A1,001,2024/01/10,送料,送料,900\nA1,001,2024/01/10,SK-1,美容液,600\n"
            "A2,001,2024/01/20,POST,送料,500\nA3,001,2024/02/01,SK-2,化粧水,3000\n"
            "B1,002,2024/01/15,POST,送料,500\n")
    ds = load_dataset([csv_input(text)], today=date(2024, 12, 31))
    fp = gr.first_purchases(ds.transactions, date(2024, 3, 1))
    assert fp.index.tolist() == ["001"]  # 002 only paid postage: no order, not a customer here
    row = fp.loc["001"]
    assert row["first_product"] == "美容液"  # not the dearer postage line
    assert (row["first_value"], row["first_lines"], row["orders_so_far"]) == (600, 1, 2)
    assert row["second_order_days"] == 22  # A2 (postage only) is not the second order
    assert row["spend_30"] == 5000  # but every line's money counts in the spend: 900+600+500+3000


def test_first_purchases_profile(fp):
    assert fp.index.tolist() == sorted(["L1", "L2", "L3", "L4", "R1", "R2", "R3", "R4", "R5", "R6", "M1",
                                        "N1", "N2", "N3"])
    l1 = fp.loc["L1"]
    assert l1["first_order"] == pd.Timestamp("2024-01-10")
    assert l1["days_since_first"] == 356  # 2024 is a leap year: 366 - 10
    assert l1["orders_so_far"] == 3
    assert l1["first_product"] == "ローション"  # the ¥6,000 line beats the ¥1,500 one
    assert l1["first_category"] == "スキンケア"
    assert l1["first_channel"] == "公式EC"
    assert l1["first_items"] == 3 and l1["first_lines"] == 2
    assert l1["first_value"] == 7500
    assert l1["first_discounted"] == 0.0 and l1["first_coupon"] == ""
    assert l1["second_order_days"] == 20
    assert (l1["orders_30"], l1["spend_30"]) == (2, 10500)
    assert (l1["orders_90"], l1["spend_90"]) == (2, 10500)
    l4 = fp.loc["L4"]
    assert (l4["first_discounted"], l4["first_coupon"], l4["second_order_days"]) == (1.0, "WELCOME", 100)
    r5 = fp.loc["R5"]  # the return on day 9 is not an order and not in the first-order profile…
    assert (r5["first_items"], r5["first_value"], r5["second_order_days"]) == (2, 10000, 60)
    assert (r5["spend_30"], r5["spend_90"]) == (5000, 10000)  # …but lowers the net spend
    assert fp.loc["R6", "days_since_first"] == 180
    assert np.isnan(fp.loc["R2", "second_order_days"])
    # two orders on the first day: two orders, but the second is part of the first purchase (F2 needs
    # an order on a later day), so N1 has no second purchase yet
    assert fp.loc["N1", "orders_so_far"] == 2 and np.isnan(fp.loc["N1", "second_order_days"])
    assert fp.loc["N1", "first_product"] == "ローション"  # the one that comes first in the file
    assert fp.loc["N3", "orders_so_far"] == 1  # the line after the as-of date is ignored


def test_second_orders_are_the_metrics_pages_second_purchases(shop, fp):
    # one F2 rule (loyalty.cohorts.second_purchase): the same days to the second purchase, customer
    # by customer, as the metrics page's F2; N1's two first-day orders are one purchase on both
    ds, _ = shop
    f2 = f2_conversion(customer_orders(ds.transactions, as_of=AS_OF), 30, as_of=AS_OF)
    mine = fp["second_order_days"].dropna().astype(np.int64)
    assert mine.to_dict() == f2.days.to_dict()
    assert mine.to_dict() == {"L1": 20, "L2": 10, "L3": 40, "L4": 100, "R1": 200, "R3": 5, "R5": 60}


def test_without_an_order_id_one_day_is_one_order():
    text = ("会員番号,注文日,商品名,金額\n"
            "X,2024/01/01,A,1000\nX,2024/01/01,B,2000\nX,2024/01/05,A,1000\n")
    ds = load_dataset([csv_input(text)], today=TODAY)
    out = gr.first_purchases(ds.transactions, date(2024, 3, 1))
    x = out.loc["X"]
    assert (x["first_product"], x["first_items"], x["first_value"]) == ("B", 2, 3000)
    assert (x["second_order_days"], x["orders_so_far"], x["orders_30"]) == (4, 2, 2)
    assert "first_discounted" not in out and "first_category" not in out


# ---------------------------------------------------------------- attributes


def test_attribute_values_bands_and_observability(shop, fp):
    _, feats = shop
    cohort = fp["days_since_first"] >= 180
    values, labels, ranks = gr.attribute_values(fp, feats.frame, cohort, SMALL)
    # cohort first values sorted: 900×4, 3000, 3000, 4500, 6000, 7500, 10000 → quartiles
    # 900, 3000, 5625 → rounded 900, 3000, 5600; edges above the minimum: 3000, 5600
    assert values.loc[["R2", "L2", "L1", "R5"], "first_value"].tolist() == ["m0", "m1", "m2", "m2"]
    assert [labels[("first_value", c)] for c in ("m0", "m1", "m2")] == [
        "¥3,000未満", "¥3,000〜¥5,600未満", "¥5,600以上"]
    assert values.loc[["L1", "L4"], "first_price"].tolist() == ["full", "discounted"]
    assert labels[("first_price", "full")] == "定価"
    assert pd.isna(values.loc["L4", "acquisition_channel"])  # not in the customer table
    # second order: bands up to 180 days (the minimum history)
    assert values.loc[["L2", "L1", "L3", "R5", "L4", "R1", "R2"], "second_order"].tolist() == [
        "d0", "d1", "d2", "d3", "d4", "none", "none"]
    assert labels[("second_order", "d2")] == "31〜45日"
    assert labels[("second_order", "none")] == "180日以内になし"
    # new customers: a second order already made is known, a missing one is not yet (N1's second
    # invoice on its first day is not a second purchase)
    assert pd.isna(values.loc["N1", "second_order"])
    assert pd.isna(values.loc["N2", "second_order"]) and pd.isna(values.loc["N3", "second_order"])
    # the first 30/90 days need 30/90 days of observation
    assert pd.isna(values.loc["N2", "orders_30"]) and values.loc["N3", "orders_30"] == "n0"
    assert pd.isna(values.loc["N3", "orders_90"])
    assert values.loc["L1", "orders_30"] == "n1" and labels[("orders_30", "n1")] == "2回"
    assert values.loc["L1", "first_items"] == "n2" and labels[("first_items", "n2")] == "3〜4点"
    # sign-up on the first day (L1), 12 days before it (L2), unknown (L4)
    assert values.loc[["L1", "L2"], "signup_lead"].tolist() == ["same", "d30"]
    assert pd.isna(values.loc["L4", "signup_lead"])
    assert ranks[("second_order", "none")] == 5
    assert list(values.columns) == [a.key for a in gr.ATTRIBUTES if a.key in values.columns]


def test_second_order_bands_follow_the_minimum_history(fp, shop):
    _, feats = shop
    s = gr.GoldenRouteSettings(min_history_days=100, min_customers=1, f2_days=30)
    values, labels, _ = gr.attribute_values(fp, feats.frame, fp["days_since_first"] >= 100, s)
    assert s.second_order_cap == 90
    assert values.loc[["L4", "R5"], "second_order"].tolist() == ["none", "d3"]  # 100 days > 90
    assert labels[("second_order", "none")] == "90日以内になし"


# ------------------------------------------------------------------ patterns


def _row(table, attribute, value):
    hit = table[(table["attribute"] == attribute) & (table["value"] == value)]
    assert len(hit) == 1, (attribute, value)
    return hit.iloc[0]


@pytest.fixture(scope="module")
def result(shop, fp):
    ds, feats = shop
    return gr.analyse(ds.transactions, feats.frame, TIERS, AS_OF, SMALL, first=fp)


@pytest.mark.slow
def test_patterns_share_lift_and_intervals_by_hand(result):
    p = result.patterns.shown
    assert (result.cohort, result.loyal) == (10, 4)
    # first product ローション: loyal L1 L2 L3 of 4, rest R1 of 6
    r = _row(p, "first_product", "ローション")
    assert (r["customers"], r["loyal"], r["rest"], r["loyal_known"], r["rest_known"]) == (4, 3, 1, 4, 6)
    assert r["share_loyal"] == pytest.approx(0.75) and r["share_rest"] == pytest.approx(1 / 6)
    lift, lo, hi = _katz(3, 4, 1, 6)
    assert (r["lift"], r["lift_low"], r["lift_high"]) == (pytest.approx(lift), pytest.approx(lo), pytest.approx(hi))
    assert (r["share_loyal_low"], r["share_loyal_high"]) == tuple(pytest.approx(v) for v in _wilson(3, 4))
    assert (r["share_rest_low"], r["share_rest_high"]) == tuple(pytest.approx(v) for v in _wilson(1, 6))
    assert r["loyal_rate"] == pytest.approx(0.75)
    assert (r["loyal_rate_low"], r["loyal_rate_high"]) == tuple(pytest.approx(v) for v in _wilson(3, 4))
    assert r["verdict"] == "neutral" and r["group"] == "first_order"
    # full price: L1 L2 L3 and R1 R5 → (3/4) / (2/6) = 2.25
    assert _row(p, "first_price", "full")["lift"] == pytest.approx(2.25)
    assert _row(p, "first_price", "discounted")["lift"] == pytest.approx((1 / 4) / (4 / 6))
    # acquisition: L4 is not in the customer table, so 3 loyal and 6 others are known
    r = _row(p, "acquisition_channel", "紹介")
    assert (r["loyal"], r["loyal_known"], r["rest"], r["rest_known"]) == (2, 3, 1, 6)
    assert r["lift"] == pytest.approx((2 / 3) / (1 / 6))
    assert _row(p, "acquisition_channel", "検索")["lift"] == pytest.approx(1.0)
    assert _row(p, "first_category", "スキンケア")["lift"] == pytest.approx(3.0)
    assert _row(p, "second_order", "d0")["lift"] == pytest.approx(1.5)


def test_small_patterns_are_hidden(result, shop, fp):
    p = result.patterns.shown
    # トライアル has no loyal customer; the 15–30-day band only one customer
    assert not ((p["attribute"] == "first_product") & (p["value"] == "トライアル")).any()
    assert not ((p["attribute"] == "second_order") & (p["value"] == "d1")).any()
    assert (p["customers"] >= 2).all() and (p["loyal"] >= 1).all()
    assert result.patterns.hidden > 0
    ds, feats = shop
    strict = gr.analyse(ds.transactions, feats.frame, TIERS, AS_OF, gr.GoldenRouteSettings(), first=fp)
    assert strict.patterns.shown.empty  # 10 compared customers: nothing reaches 30
    assert strict.patterns.hidden == len(p) + result.patterns.hidden


def test_patterns_are_sorted_golden_first():
    values = pd.DataFrame({"first_price": ["full"] * 60 + ["discounted"] * 60,
                           "first_channel": (["EC"] * 30 + ["app"] * 30) * 2},
                          index=[f"c{i:03d}" for i in range(120)])
    loyal = pd.Series([True] * 50 + [False] * 10 + [True] * 5 + [False] * 55, index=values.index)
    cohort = pd.Series(True, index=values.index)
    s = gr.GoldenRouteSettings(min_customers=30, min_loyal=5)
    table = gr.pattern_table(values, loyal, cohort, s).shown
    # loyal: rows 0–49 and 60–64 (55); EC = rows 0–29 and 60–89, app = the others
    # full 50/55 vs 10/65, EC 35/55 vs 25/65: both golden (lower bounds above 1), full surer;
    # discounted 5/55 vs 55/65 and app 20/55 vs 40/65: both avoid, discounted surer
    full, ec = _katz(50, 55, 10, 65), _katz(35, 55, 25, 65)
    disc, app = _katz(5, 55, 55, 65), _katz(20, 55, 40, 65)
    assert full[1] > ec[1] > 1 and 1 > app[2] > disc[2]
    assert table["value"].tolist() == ["full", "EC", "discounted", "app"]
    assert table["verdict"].tolist() == ["golden", "golden", "avoid", "avoid"]
    assert table["lift"].tolist() == pytest.approx([full[0], ec[0], disc[0], app[0]])


def test_route_summary_takes_the_surest_golden_pattern_per_attribute():
    p = pd.DataFrame({
        "attribute": ["first_product", "first_product", "first_price", "email_open_rate", "first_channel"],
        "value": ["small", "big", "full", "e2", "EC"],
        "lift": [4.0, 2.5, 1.8, 9.0, 0.5],
        "lift_low": [1.1, 1.9, 1.6, 5.0, 0.3],
        "customers": [35, 300, 900, 600, 500],
        "verdict": ["golden", "golden", "golden", "golden", "avoid"],
    })
    out = gr.route_summary(p)
    # engagement (current values) is not part of the route; per attribute the surest pattern
    assert list(zip(out["attribute"], out["value"])) == [("first_product", "big"), ("first_price", "full")]


# ------------------------------------------------------------------ entries


def test_entry_table_f2_and_loyalty_by_product(result):
    table, totals = result.entries["product"]
    # ローション: L1 (20 d) L2 (10 d) convert within 30 days, L3 (40) and R1 (200) not; 3 loyal
    # セラム: L4 (100) R5 (60): no F2, 1 loyal; トライアル: R3 (5 d) converts, no loyal
    assert table["entry"].tolist() == ["ローション", "セラム", "トライアル"]
    assert table["customers"].tolist() == [4, 2, 4]
    assert table["f2"].tolist() == [2, 0, 1]
    assert table["f2_rate"].tolist() == pytest.approx([0.5, 0.0, 0.25])
    assert table["loyal"].tolist() == [3, 1, 0]
    assert table["loyal_rate"].tolist() == pytest.approx([0.75, 0.5, 0.0])
    assert table["loyal_rate_f2"].iloc[0] == pytest.approx(1.0) and np.isnan(table["loyal_rate_f2"].iloc[1])
    lo, hi = _wilson(2, 4)
    assert (table["f2_rate_low"].iloc[0], table["f2_rate_high"].iloc[0]) == (pytest.approx(lo), pytest.approx(hi))
    assert totals["customers"] == 10 and totals["f2"] == 3 and totals["loyal"] == 4
    assert totals["loyal_rate_f2"] == pytest.approx(2 / 3) and totals["hidden"] == 0
    cats, _ = result.entries["category"]
    assert dict(zip(cats["entry"], cats["customers"])) == {"スキンケア": 6, "トライアル": 4}


def test_top_and_middle_as_loyal(shop, fp):
    ds, feats = shop
    s = gr.GoldenRouteSettings(min_customers=2, min_loyal=1, f2_days=30, loyal_tiers=("top", "middle"))
    r = gr.analyse(ds.transactions, feats.frame, TIERS, AS_OF, s, first=fp)
    assert r.loyal == 5  # R1 is middle; M1 (middle) is not compared: only 152 days of history
    row = _row(r.patterns.shown, "first_product", "ローション")
    assert (row["loyal"], row["rest"]) == (4, 0)
    # c = 0: (4.5/6) / (0.5/6)
    assert row["lift"] == pytest.approx((4.5 / 6) / (0.5 / 6))


# ----------------------------------------------------------------- the score


def test_new_customers_scored_by_hand(result):
    new = result.new_customers.set_index("customer_id")
    assert sorted(new.index) == ["N1", "N2", "N3"]
    # N1: ローション 4.5 × full 2.25 × 紹介 4; its two first-day orders are one purchase: the second
    # order is not known yet
    assert new.loc["N1", "route_score"] == pytest.approx(math.log2(4.5 * 2.25 * 4))
    assert new.loc["N1", "unknown"] == 1
    # N2: トライアル and 広告 are hidden (no loyal customer) → 0; discounted 0.375; no second order yet
    assert new.loc["N2", "route_score"] == pytest.approx(math.log2(0.375))
    assert new.loc["N2", "unknown"] == 1
    # N3: クレンジング is no one's first product → its category スキンケア (3.0); full 2.25; 検索 1.0
    assert new.loc["N3", "route_score"] == pytest.approx(math.log2(3.0 * 2.25))
    assert result.new_customers["customer_id"].tolist() == ["N1", "N3", "N2"]
    row = result.new_customers.iloc[0]
    assert (row["first_price"], row["acquisition_channel"], row["first_value"], row["first_items"]) == (
        "定価", "紹介", 3000, 1)
    assert row["first_order"] == pd.Timestamp("2024-12-01")


def test_route_scores_matched_lists_golden_patterns_in_order():
    values = pd.DataFrame({"first_product": ["A", "B", None, "A"], "first_category": ["X", "Y", "Y", "X"],
                           "first_price": ["full", "full", "discounted", None]}, index=["c1", "c2", "c3", "c4"])
    patterns = pd.DataFrame({
        "attribute": ["first_product", "first_category", "first_price", "first_price"],
        "value": ["A", "Y", "full", "discounted"],
        "lift": [4.0, 2.0, 2.0, 0.25],
        "verdict": ["golden", "golden", "neutral", "avoid"],
    })
    s = gr.GoldenRouteSettings(score_attributes=("first_product", "first_price"))
    labels = {("first_product", "A"): "商品A", ("first_category", "Y"): "カテゴリY", ("first_price", "full"): "定価"}
    out = gr.route_scores(values, patterns, pd.Series([True, True, True, True], index=values.index), s, labels)
    # c1: A 4 × full 2; c2: B is hidden → its category Y 2, × full 2; c3: Y 2 × discounted 1/4;
    # c4: A 4, price unknown
    assert out["route_score"].tolist() == pytest.approx([2 + 1, 1 + 1, 1 - 2, 2])
    assert out["matched"].tolist() == ["商品A", "カテゴリY", "カテゴリY", "商品A"]  # golden ones only
    assert out["unknown"].tolist() == [0, 0, 0, 1]  # the category stands in for c3's product
    only = gr.route_scores(values, patterns, pd.Series([False, True, False, False], index=values.index), s, labels)
    assert only.index.tolist() == ["c2"]


# -------------------------------------------------------------- errors, notes


def test_settings_out_of_range_are_user_errors():
    for bad in (dict(min_history_days=30), dict(new_days=200), dict(f2_days=0), dict(min_loyal=0),
                dict(loyal_tiers=()), dict(confidence=1.0), dict(score_attributes=("nope",))):
        with pytest.raises(LoyaltyError) as exc:
            gr.GoldenRouteSettings(**bad).validate()
        assert "ゴールデンルートの設定" in exc.value.message("ja")
        assert exc.value.field == next(iter(bad))


def test_a_customer_level_dataset_is_refused_with_a_message():
    text = "顧客ID,最終購入からの日数,購入回数,購入金額\nA,10,3,30000\n"
    ds = load_dataset([csv_input(text, name="summary.csv", kind="customers")])
    feats = build_features(ds)
    with pytest.raises(LoyaltyError) as exc:
        gr.analyse(ds.transactions, feats.frame, pd.Series("top", index=feats.frame.index), date(2024, 1, 1))
    assert "購入明細" in exc.value.message("ja") and "transaction table" in exc.value.message("en")


def test_notes_when_nothing_can_be_compared(shop, fp):
    ds, feats = shop
    r = gr.analyse(ds.transactions, feats.frame, TIERS, AS_OF, gr.GoldenRouteSettings(min_history_days=400),
                   first=fp)
    assert r.cohort == 0 and r.patterns.shown.empty
    assert [k for k, _ in r.notes] == ["golden.note.no_cohort"]
    r = gr.analyse(ds.transactions, feats.frame, pd.Series("low", index=TIERS.index), AS_OF, SMALL, first=fp)
    assert [k for k, _ in r.notes] == ["golden.note.no_loyal"]


# ------------------------------------------------------------ sample data


@pytest.mark.slow
def test_sample_data_shows_the_golden_route():
    root = Path(__file__).resolve().parent.parent / "sample_data"
    ds = load_dataset([InputFile(n, (root / n).read_bytes()) for n in ("orders_cp932.csv", "customers.csv")])
    feats = build_features(ds)
    res = score(feats.frame, defn.preset("b2c"))
    r = gr.analyse(ds.transactions, feats.frame, res.frame["tier"], feats.as_of)
    p = r.patterns.shown.set_index(["attribute", "value"])
    # the generator's story (sample_data/README.md): full price, 2+ items, referral/Instagram,
    # a second order within 45 days, staple products first — all golden; the trial kit and
    # coupons are not
    assert p.loc[("first_price", "full"), "verdict"] == "golden"
    assert p.loc[("first_items", "n1"), "verdict"] == "golden"
    assert p.loc[("acquisition_channel", "紹介"), "verdict"] == "golden"
    assert p.loc[("acquisition_channel", "Instagram"), "verdict"] == "golden"
    assert p.loc[("second_order", "d1"), "verdict"] == "golden"
    assert p.loc[("first_product", "リペアセラムⅡ 30mL"), "verdict"] == "golden"
    assert p.loc[("first_product", "はじめてのトライアルキット 7日分"), "verdict"] == "avoid"
    assert p.loc[("first_price", "discounted"), "verdict"] == "avoid"
    assert r.auc > 0.8
    assert len(r.new_customers) > 0 and r.new_customers["route_score"].is_monotonic_decreasing


# -------------------------------------------------------- Online Retail (real)

RETAIL_AS_OF = date(2011, 12, 9)
# Online Retail's postage, fee and adjustment StockCodes: such lines make no order
# (this test's own list, not the app's data file)
RETAIL_FEE_CODES = ["POST", "DOT", "C2", "M", "D", "S", "B", "CRUK", "PADS", "BANK CHARGES", "AMAZONFEE"]


@pytest.fixture(scope="module")
def retail_data():
    """Online Retail read by the app (dataset, features) and with plain pandas (product purchase
    lines of identified customers)."""
    if not RETAIL.exists():
        pytest.skip(f"the shared datasets folder is absent here ({RETAIL}); CI always has it")
    ds = load_dataset([InputFile(RETAIL.name, RETAIL.read_bytes())])
    feats = build_features(ds, as_of=RETAIL_AS_OF, window_days=365)
    raw = pd.read_csv(RETAIL, dtype={"InvoiceNo": "str", "CustomerID": "str", "StockCode": "str"})
    raw["row"] = np.arange(len(raw))
    raw["day"] = pd.to_datetime(raw["InvoiceDate"]).dt.normalize()
    raw["amount"] = raw["Quantity"] * raw["UnitPrice"]
    fee = raw["StockCode"].str.strip().str.upper().isin(RETAIL_FEE_CODES)
    buy = raw[raw["CustomerID"].notna() & (raw["amount"] > 0) & (raw["Quantity"] > 0) & ~fee
              & ~raw["InvoiceNo"].str.startswith("C") & (raw["day"] <= pd.Timestamp(RETAIL_AS_OF))]
    return ds, feats, buy


@pytest.fixture(scope="module")
def retail(retail_data):
    ds, feats, buy = retail_data
    d = defn.preset("b2c")
    d.rfm.mode = "quantile"  # the yen thresholds do not suit pounds
    tiers = score(feats.frame, d).frame["tier"].astype("str")
    result = gr.analyse(ds.transactions, feats.frame, tiers, RETAIL_AS_OF)
    return result, tiers, buy


def _plain_second_purchase(buy: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Per customer: first order day and days to the first invoice on a later day (NaN: none)."""
    days = buy.groupby(["CustomerID", "InvoiceNo"])["day"].min().reset_index()
    first = days.groupby("CustomerID")["day"].min()
    later = days[days["day"] > days["CustomerID"].map(first)]
    second = later.groupby("CustomerID")["day"].min().reindex(first.index)
    return first, (second - first).dt.days


@pytest.mark.slow
def test_online_retail_cohort_and_loyal_counts(retail):
    result, tiers, buy = retail
    first = buy.groupby("CustomerID")["day"].min()
    cohort = first[first <= pd.Timestamp(RETAIL_AS_OF) - pd.Timedelta(days=180)]
    assert result.cohort == len(cohort)
    assert result.loyal == int((tiers.reindex(cohort.index) == "top").sum())
    new = first[first > pd.Timestamp(RETAIL_AS_OF) - pd.Timedelta(days=90)]
    assert len(result.new_customers) == len(new)


@pytest.mark.slow
def test_online_retail_second_order_pattern_and_f2(retail):
    result, tiers, buy = retail
    first, gap = _plain_second_purchase(buy)  # a second invoice on the first day is no second purchase
    in_cohort = first <= pd.Timestamp(RETAIL_AS_OF) - pd.Timedelta(days=180)
    loyal = (tiers.reindex(first.index) == "top") & in_cohort
    within14 = gap <= 14
    a = int((within14 & loyal).sum())
    c = int((within14 & in_cohort & ~loyal).sum())
    n1, n2 = int(loyal.sum()), int((in_cohort & ~loyal).sum())
    row = _row(result.patterns.shown, "second_order", "d0")
    assert (row["loyal"], row["rest"]) == (a, c)
    assert row["share_loyal"] == pytest.approx(a / n1)
    assert row["share_rest"] == pytest.approx(c / n2)
    assert row["lift"] == pytest.approx((a / n1) / (c / n2))
    assert row["verdict"] == "golden"
    # F2 within 90 days over the cohort
    _, totals = result.entries["product"]
    assert totals["f2"] == int(((gap <= 90) & in_cohort).sum())
    assert totals["f2_rate"] == pytest.approx(((gap <= 90) & in_cohort).sum() / in_cohort.sum())


@pytest.mark.slow
def test_online_retail_f2_is_the_metrics_page_f2_for_the_same_customers(retail_data, retail):
    # one F2 rule: the golden route's converters are the metrics page's converters among its cohort
    ds, _, _ = retail_data
    result, _, _ = retail
    f2 = f2_conversion(customer_orders(ds.transactions, as_of=RETAIL_AS_OF), 90, as_of=RETAIL_AS_OF)
    fp = gr.first_purchases(ds.transactions, RETAIL_AS_OF)
    cohort = fp.index[fp["days_since_first"] >= 180]
    converted = int((f2.days.reindex(cohort) <= 90).sum())
    _, totals = result.entries["product"]
    assert (totals["customers"], totals["f2"]) == (len(cohort), converted) == (2819, 1297)  # 46.0%


@pytest.mark.slow
def test_online_retail_figures_quoted_in_the_readme(retail_data):
    # README "Golden route": as-of 2011-12-09, window 365 days, the BtoC preset as it is, loyal = top
    # and middle tiers, compared = first order at least 180 days before the as-of date
    ds, feats, _ = retail_data
    tiers = score(feats.frame, defn.preset("b2c")).frame["tier"].astype("str")
    settings = gr.GoldenRouteSettings(min_history_days=180, loyal_tiers=("top", "middle"))
    r = gr.analyse(ds.transactions, feats.frame, tiers, RETAIL_AS_OF, settings)
    assert (r.cohort, r.loyal) == (2819, 1085)
    row = _row(r.patterns.shown, "second_order", "d0")
    assert (row["loyal"], row["rest"]) == (232, 78)  # 21.4% of 1,085 vs 4.5% of 1,734
    assert (round(row["share_loyal"], 3), round(row["share_rest"], 3)) == (0.214, 0.045)
    assert [round(row[k], 2) for k in ("lift", "lift_low", "lift_high")] == [4.75, 3.72, 6.07]
    _, totals = r.entries["product"]
    assert (totals["f2"], round(totals["f2_rate"], 3)) == (1297, 0.460)


@pytest.mark.slow
def test_online_retail_entry_product_is_the_highest_value_line(retail):
    result, tiers, buy = retail
    firsts = buy.sort_values(["CustomerID", "day", "row"]).groupby("CustomerID").head(1)
    first_inv = buy.merge(firsts[["CustomerID", "InvoiceNo"]], on=["CustomerID", "InvoiceNo"])
    main = first_inv.sort_values(["CustomerID", "amount", "row"], ascending=[True, False, True]) \
        .groupby("CustomerID").head(1).set_index("CustomerID")
    in_cohort = main["day"] <= pd.Timestamp(RETAIL_AS_OF) - pd.Timedelta(days=180)
    cake = main[in_cohort & (main["Description"].str.strip() == "REGENCY CAKESTAND 3 TIER")]
    table, _ = result.entries["product"]
    row = table.set_index("entry").loc["REGENCY CAKESTAND 3 TIER"]
    assert row["customers"] == len(cake)
    assert row["loyal"] == int((tiers.reindex(cake.index) == "top").sum())


def test_every_attribute_has_its_labels():
    from loyalty.i18n import catalogue

    for lang in ("ja", "en"):
        cat = catalogue(lang)
        for a in gr.ATTRIBUTES:
            assert f"golden.attr.{a.key}" in cat and f"golden.short.{a.key}" in cat, (lang, a.key)
        for g in gr.GROUPS:
            assert f"golden.group.{g}" in cat
        for col in gr.COLUMN_KINDS:
            assert f"golden.col.{col}" in cat, col


def test_english_count_bands_read_as_counts():
    from loyalty.golden_route.attributes import _count_labels
    from loyalty.golden_route.settings import ITEM_EDGES

    items = _count_labels(ITEM_EDGES, "golden.band.items", "en")
    assert items["n0"] == "1 item" and "item1" not in " ".join(items.values())
    ja = _count_labels(ITEM_EDGES, "golden.band.items", "ja")
    assert ja["n0"] == "1点"
