"""Retention and churn (seed 001: 100 → 90 gives 90% / 10%), orders from
transaction lines, and retention period by period.  Expected values are worked
out by hand from the small fixtures below."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from loyalty.errors import LoyaltyError
from loyalty.retention import (RETENTION_COLUMNS, customer_orders, period_bounds, period_index, period_label,
                               period_retention, retention, summarize_retention)


def test_seed_retention_example():
    r = retention(100, 90)
    assert r.retention_rate == pytest.approx(0.9)
    assert r.churn_rate == pytest.approx(0.1)


def test_retention_rejects_impossible_counts():
    with pytest.raises(ValueError):
        retention(10, 11)


def _orders(rows):
    """rows: (customer, 'YYYY-MM-DD')."""
    return pd.DataFrame({"customer_id": pd.array([c for c, _ in rows], dtype="str"),
                         "order_date": pd.to_datetime([d for _, d in rows])})


# --------------------------------------------------------------------------- orders from lines


def test_customer_orders_follows_the_order_rule():
    tx = pd.DataFrame({
        "customer_id": ["a", "a", "a", "a", "b", "b", "c"],
        "order_date": pd.to_datetime(["2024-01-05", "2024-01-06", "2024-01-20", "2024-02-01",
                                      "2024-01-03", "2024-03-09", "2024-05-01"]),
        "amount": [100.0, 50.0, -100.0, 0.0, 30.0, 20.0, 10.0],
        "is_return": [False, False, True, False, False, False, False],
        # order 1 spans two days (its date is the earliest line); the return line shares order 1's key
        "order_key": [1, 1, 1, 2, 3, 4, 5],
    })
    out = customer_orders(tx)
    assert out["customer_id"].tolist() == ["a", "b", "b", "c"]
    assert out["order_date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-05", "2024-01-03", "2024-03-09",
                                                                   "2024-05-01"]
    # lines after the as-of date are ignored
    assert customer_orders(tx, as_of=date(2024, 3, 31))["customer_id"].tolist() == ["a", "b", "b"]


def test_fee_lines_make_no_order():
    tx = pd.DataFrame({
        "customer_id": ["a", "a", "a", "b"],
        "order_date": pd.to_datetime(["2024-01-05", "2024-01-05", "2024-02-01", "2024-03-01"]),
        "amount": [100.0, 8.0, 8.0, 5.0],
        "is_return": [False] * 4,
        "is_fee": [False, True, True, True],  # a's postage on order 1; a postage-only order 2; b: a fee only
        "order_key": [1, 1, 2, 3],
    })
    out = customer_orders(tx)
    assert out["customer_id"].tolist() == ["a"]
    assert out["order_date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-05"]


def test_customer_orders_read_the_typed_lines_is_order_line_column():
    # with the typed lines' column, only it decides: a's first line is not an order line here,
    # so order 1 is dated by its other line (01-06)
    tx = pd.DataFrame({
        "customer_id": ["a", "a", "b"],
        "order_date": pd.to_datetime(["2024-01-05", "2024-01-06", "2024-01-07"]),
        "amount": [100.0, 50.0, 30.0],
        "is_return": [False] * 3,
        "is_order_line": [False, True, False],
        "order_key": [1, 1, 2],
    })
    out = customer_orders(tx)
    assert out["customer_id"].tolist() == ["a"]
    assert out["order_date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-06"]


def test_customer_orders_without_order_key_counts_every_purchase_line():
    tx = pd.DataFrame({"customer_id": ["x", "x", "x"], "order_date": pd.to_datetime(["2024-01-01"] * 3),
                       "amount": [5.0, 5.0, -5.0]})
    out = customer_orders(tx)
    assert len(out) == 2  # the negative line is a return (no is_return column given)


def test_customer_orders_needs_the_columns():
    with pytest.raises(LoyaltyError) as err:
        customer_orders(pd.DataFrame({"customer_id": ["a"], "amount": [1.0]}))
    assert "order_date" in err.value.ja


# --------------------------------------------------------------------------- periods


def test_period_helpers():
    idx = period_index(pd.to_datetime(["2024-01-31", "2024-02-01", "2024-12-31"]), "month")
    assert (idx[1] - idx[0], idx[2] - idx[0]) == (1, 11)
    q = period_index(pd.to_datetime(["2024-03-31", "2024-04-01"]), "quarter")
    assert q[1] - q[0] == 1
    starts, ends = period_bounds(q, "quarter")
    assert [str(d.date()) for d in starts] == ["2024-01-01", "2024-04-01"]
    assert [str(d.date()) for d in ends] == ["2024-03-31", "2024-06-30"]
    assert period_label(pd.Timestamp("2024-02-10"), "month") == "2024/02"
    assert period_label(pd.Timestamp("2024-11-10"), "quarter") == "2024 Q4"
    with pytest.raises(LoyaltyError):
        period_index(pd.to_datetime(["2024-01-01"]), "week")


def test_seed_example_period_by_period():
    # 100 customers buy in January; 90 of them buy again in February → 90% / 10%
    rows = [(f"c{i:03d}", "2024-01-10") for i in range(100)] + [(f"c{i:03d}", "2024-02-10") for i in range(90)]
    table = period_retention(_orders(rows), "month", as_of=date(2024, 2, 29))
    feb = table.iloc[1]
    assert (feb["start_customers"], feb["retained"], feb["churned"]) == (100, 90, 10)
    assert feb["retention_rate"] == pytest.approx(0.9)
    assert feb["churn_rate"] == pytest.approx(0.1)


def test_monthly_retention_table_whole_output():
    # a: Jan, Feb, Apr   b: Jan, Mar   c: Feb, Mar   d: Apr (twice)
    rows = [("a", "2024-01-05"), ("a", "2024-02-10"), ("a", "2024-04-01"),
            ("b", "2024-01-20"), ("b", "2024-03-03"),
            ("c", "2024-02-01"), ("c", "2024-03-30"),
            ("d", "2024-04-02"), ("d", "2024-04-15")]
    table = period_retention(_orders(rows), "month", as_of=date(2024, 4, 20))
    assert list(table.columns) == list(RETENTION_COLUMNS)
    assert table["period"].tolist() == ["2024/01", "2024/02", "2024/03", "2024/04"]
    assert table["active"].tolist() == [2, 2, 2, 2]               # {a,b} {a,c} {b,c} {a,d}
    assert table["new"].tolist() == [2, 1, 0, 1]                  # a,b / c / – / d
    assert table["start_customers"].tolist() == [0, 2, 2, 2]
    assert table["retained"].tolist() == [0, 1, 1, 0]              # – / a / c / –
    assert table["reactivated"].tolist() == [0, 0, 1, 1]           # – / – / b / a
    assert table["churned"].tolist() == [0, 1, 1, 2]
    assert np.isnan(table["retention_rate"].iloc[0])
    assert table["retention_rate"].iloc[1:].tolist() == [0.5, 0.5, 0.0]
    assert table["churn_rate"].iloc[1:].tolist() == [0.5, 0.5, 1.0]
    assert table["complete"].tolist() == [True, True, True, False]  # April is not over on the 20th
    assert table["period_end"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-31", "2024-02-29", "2024-03-31",
                                                                     "2024-04-30"]

    s = summarize_retention(table)
    # complete periods with a start: Feb (1 of 2) and Mar (1 of 2)
    assert (s.periods, s.start_customers, s.retained) == (2, 4, 2)
    assert s.retention_rate == pytest.approx(0.5) and s.churn_rate == pytest.approx(0.5)
    assert (s.last_period, s.last_retention_rate) == ("2024/03", 0.5)


def test_quarterly_retention_and_empty_periods():
    rows = [("a", "2024-01-05"), ("a", "2024-05-10"), ("b", "2024-02-01"), ("b", "2024-12-01")]
    table = period_retention(_orders(rows), "quarter", as_of=date(2024, 12, 31))
    assert table["period"].tolist() == ["2024 Q1", "2024 Q2", "2024 Q3", "2024 Q4"]
    assert table["active"].tolist() == [2, 1, 0, 1]
    assert table["retained"].tolist() == [0, 1, 0, 0]
    assert table["start_customers"].tolist() == [0, 2, 1, 0]
    assert table["retention_rate"].iloc[1] == 0.5 and table["retention_rate"].iloc[2] == 0.0
    assert np.isnan(table["retention_rate"].iloc[3])             # nobody bought in Q3
    assert table["reactivated"].tolist() == [0, 0, 0, 1]
    assert table["complete"].all()


def test_as_of_cuts_orders_and_defaults_to_the_last_order():
    rows = [("a", "2024-01-05"), ("a", "2024-02-05"), ("a", "2024-03-05")]
    assert len(period_retention(_orders(rows), "month")) == 3
    assert period_retention(_orders(rows), "month")["complete"].tolist() == [True, True, False]
    cut = period_retention(_orders(rows), "month", as_of=date(2024, 2, 29))
    assert cut["active"].tolist() == [1, 1] and cut["complete"].tolist() == [True, True]
    with pytest.raises(LoyaltyError):
        period_retention(_orders(rows), "month", as_of=date(2023, 12, 31))
    with pytest.raises(LoyaltyError):
        period_retention(_orders([]), "month")


def test_summary_without_complete_periods():
    s = summarize_retention(period_retention(_orders([("a", "2024-01-05")]), "month"))
    assert s.periods == 0 and np.isnan(s.retention_rate) and s.last_period == ""


def test_orders_carry_customer_codes():
    from loyalty.retention import customer_codes

    tx = pd.DataFrame({"customer_id": ["b", "a", "b"], "order_date": pd.to_datetime(["2024-01-02", "2024-01-01",
                                                                                       "2024-01-01"]),
                       "amount": [1.0, 1.0, 1.0]})
    out = customer_orders(tx)
    assert isinstance(out["customer_id"].dtype, pd.CategoricalDtype)
    codes, ids = customer_codes(out)
    assert codes.tolist() == [0, 1, 1] and ids.tolist() == ["a", "b"]
    codes, ids = customer_codes(_orders([("z", "2024-01-01"), ("y", "2024-01-01")]))  # plain strings
    assert codes.tolist() == [1, 0] and ids.tolist() == ["y", "z"]


def test_sparse_order_keys_and_missing_ids():
    tx = pd.DataFrame({"customer_id": ["a", "a", None, "b"],
                       "order_date": pd.to_datetime(["2024-01-02", "2024-01-01", "2024-01-01", "2024-01-03"]),
                       "amount": [1.0, 1.0, 1.0, 1.0], "order_key": [10**12, 10**12, 5, 7]})
    out = customer_orders(tx)
    assert out["customer_id"].astype(str).tolist() == ["a", "b"]
    assert out["order_date"].dt.strftime("%m-%d").tolist() == ["01-01", "01-03"]


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.integers(0, 400)), min_size=1, max_size=60),
       st.sampled_from(["month", "quarter"]))
def test_period_identities(rows, period):
    """active = retained + new + reactivated; retained ≤ customers at the start; new adds up to the customers."""
    base = pd.Timestamp("2024-01-01")
    orders = _orders([(c, str((base + pd.Timedelta(days=d)).date())) for c, d in rows])
    table = period_retention(orders, period)
    assert (table["active"] == table["retained"] + table["new"] + table["reactivated"]).all()
    assert (table["retained"] <= table["start_customers"]).all()
    assert (table["reactivated"] >= 0).all()
    assert table["new"].sum() == len({c for c, _ in rows})
    assert (table["start_customers"].iloc[1:].to_numpy() == table["active"].iloc[:-1].to_numpy()).all()
