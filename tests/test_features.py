"""Customer features on a hand-made fixture with exact expected values."""

from datetime import date

import numpy as np
import pandas as pd

from tests.helpers import csv_input, features_of

# as-of 2024-06-30, window 365 days = (2023-07-01, 2024-06-30]
FIXTURE = """注文番号,会員番号,注文日,金額
A1,000123,2024/06/20,3000
A1,000123,2024/06/20,2000
A2,000123,2024/05/01,4000
A3,000123,2023/06/30,9999
R1,000123,2024/06/25,-1500
B1,0456,2024-01-10,12000
B2,0456,2024-01-10,500
C1,789,2023年3月1日,7000
"""


def _features():
    return features_of(csv_input(FIXTURE), as_of=date(2024, 6, 30))[1].frame


def test_exact_recency_frequency_monetary_per_customer():
    f = _features()
    assert f.index.tolist() == ["000123", "0456", "789"]  # ids stay text, leading zeros kept
    # 000123: order A1 split over two lines = one order; A2; A3 is one day outside the window;
    # the return R1 lowers spend but is not an order and does not move recency.
    row = f.loc["000123"]
    assert (row["recency_days"], row["frequency"], row["monetary"]) == (10, 2, 7500.0)
    assert (row["orders_total"], row["revenue_total"]) == (3, 17499.0)
    assert row["first_order"] == pd.Timestamp("2023-06-30")
    assert row["last_order"] == pd.Timestamp("2024-06-20")
    # 0456: two orders on the same day
    row = f.loc["0456"]
    assert (row["recency_days"], row["frequency"], row["monetary"]) == (172, 2, 12500.0)
    # 789: only an order outside the window
    row = f.loc["789"]
    assert (row["recency_days"], row["frequency"], row["monetary"]) == (487, 0, 0.0)
    assert row["aov"] == 7000.0


def test_without_order_ids_each_row_is_an_order():
    text = "\n".join(line.split(",", 1)[1] for line in FIXTURE.strip().splitlines()) + "\n"
    f = features_of(csv_input(text), as_of=date(2024, 6, 30))[1].frame
    assert f.loc["000123", "frequency"] == 3  # the two lines of A1 now count twice
    assert f.loc["0456", "frequency"] == 2


def test_default_as_of_is_the_latest_order_date_and_later_rows_are_ignored():
    ds, feats = features_of(csv_input(FIXTURE))
    assert feats.as_of == date(2024, 6, 25)  # the return's date is the latest line
    _, early = features_of(csv_input(FIXTURE), as_of=date(2024, 1, 31))
    assert early.rows_after_as_of == 4
    assert early.frame.loc["000123", "recency_days"] == 215  # last order 2023-06-30
    assert np.isnan(early.frame.loc["000123", "discount_share"])


def test_window_changes_frequency_and_monetary_only():
    _, short = features_of(csv_input(FIXTURE), as_of=date(2024, 6, 30), window_days=30)
    f = short.frame
    assert (f.loc["000123", "frequency"], f.loc["000123", "monetary"]) == (1, 3500.0)
    assert f.loc["000123", "recency_days"] == 10


def test_discount_share_from_coupon_and_discount_columns():
    text = """会員番号,注文日,金額,値引額,クーポンコード
1,2024/01/01,1000,0,
1,2024/02/01,1000,100,
1,2024/03/01,1000,0,SUMMER
1,2024/04/01,1000,0,
"""
    f = features_of(csv_input(text), as_of=date(2024, 4, 1))[1].frame
    assert f.loc["1", "discount_share"] == 0.5


def test_customer_table_is_joined():
    customers = csv_input("会員番号,年代,NPS\n000123,30代,9\n999,40代,3\n", name="customers.csv")
    _, feats = features_of(csv_input(FIXTURE), customers, as_of=date(2024, 6, 30))
    f = feats.frame
    assert f.loc["000123", "age_band"] == "30代"
    assert f.loc["000123", "nps"] == 9.0
    assert pd.isna(f.loc["0456", "nps"])
    assert "999" not in f.index
    assert ("note.customers_joined", {"matched": 1, "customers": 3, "table": 2}) in feats.notes


def test_fee_lines_count_in_spend_but_never_make_an_order_on_their_own():
    # 001: A1 = product + postage (one order), A2 = postage only (no order);
    # 002: A3 = a fee only (no order), A4 = one order, A5 = a discount line (a return).
    text = """注文番号,会員番号,注文日,商品コード,金額
A1,001,2024/05/01,SK-01,3000
A1,001,2024/05/01,POST,500
A2,001,2024/06/01,POST,400
A3,002,2024/06/02,送料,600
A4,002,2024/06/03,SK-02,5000
A5,002,2024/06/04,D,-200
"""
    f = features_of(csv_input(text), as_of=date(2024, 6, 30))[1].frame
    assert f.loc["001", ["frequency", "orders_total", "monetary"]].tolist() == [1, 1, 3900.0]
    assert f.loc["001", "recency_days"] == 60  # the postage-only A2 (06-01) is not the last order
    assert f.loc["001", "aov"] == 3900.0  # gross value of the purchase lines (postage included) / 1 order
    assert f.loc["002", ["frequency", "orders_total", "monetary"]].tolist() == [1, 1, 5400.0]
    assert f.loc["002", "last_order"] == pd.Timestamp("2024-06-03")
    # without order ids every product line is an order and no fee line is
    no_ids = "\n".join(line.split(",", 1)[1] for line in text.strip().splitlines()) + "\n"
    g = features_of(csv_input(no_ids), as_of=date(2024, 6, 30))[1].frame
    assert g.loc["001", ["frequency", "monetary"]].tolist() == [1, 3900.0]
    assert g.loc["002", ["frequency", "monetary"]].tolist() == [1, 5400.0]


def test_the_window_starts_window_days_minus_one_before_the_as_of_date():
    from loyalty.features import window_start

    assert window_start(date(2024, 12, 31), 365) == date(2024, 1, 2)  # (2024-01-01, 2024-12-31] in a leap year
    f = features_of(csv_input("会員番号,注文日,金額\n1,2024/06/30,100\n"), as_of=date(2024, 6, 30), window_days=30)[1]
    assert f.window_start == date(2024, 6, 1)


def test_orders_come_from_the_typed_lines_is_order_line_column():
    # the typed-lines step marks every order line once; features read that column and never the
    # rule itself: unmarking B2's line (0456's second order on 2024-01-10) takes that order away
    from loyalty.features import build_features

    ds, _ = features_of(csv_input(FIXTURE))
    tx = ds.transactions
    f = tx.frame
    assert f["is_order_line"].tolist() == [True, True, True, True, False, True, True, True]
    f.loc[f["order_id"] == "B2", "is_order_line"] = False
    row = build_features(tx, as_of=date(2024, 6, 30)).frame.loc["0456"]
    assert (row["frequency"], row["orders_total"], row["monetary"]) == (1, 1, 12500.0)
    assert row["aov"] == 12500.0  # gross value (both purchase lines) over the one order left
