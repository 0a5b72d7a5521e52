"""Cohort retention by first-purchase month and F2 conversion, on small hand-made
order lists whose answers are worked out by hand in the comments."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from loyalty.cohorts import (cohort_table, converted_within, days_to_second, days_to_second_distribution, f2_by_cohort,
                             f2_conversion, second_purchase)
from loyalty.errors import LoyaltyError


def _orders(rows):
    return pd.DataFrame({"customer_id": pd.array([c for c, _ in rows], dtype="str"),
                         "order_date": pd.to_datetime([d for _, d in rows])})


# a: first 2024-01-10, again Feb and Apr     b: first 2024-01-25, again Mar
# c: first 2024-02-03, again Feb (same month) d: first 2024-02-28 only
# e: first 2024-04-30 only
ROWS = [("a", "2024-01-10"), ("a", "2024-02-15"), ("a", "2024-04-01"),
        ("b", "2024-01-25"), ("b", "2024-03-05"),
        ("c", "2024-02-03"), ("c", "2024-02-20"),
        ("d", "2024-02-28"),
        ("e", "2024-04-30")]


def test_cohort_table_whole_output():
    t = cohort_table(_orders(ROWS), "month", as_of=date(2024, 4, 30))
    assert t.cohorts["period"].tolist() == ["2024/01", "2024/02", "2024/03", "2024/04"]
    assert t.cohorts["customers"].tolist() == [2, 2, 0, 1]
    nan = np.nan
    # Jan cohort {a,b}: k1 Feb {a}, k2 Mar {b}, k3 Apr {a}
    # Feb cohort {c,d}: k1 Mar {}, k2 Apr {}; Mar cohort empty; Apr cohort {e}
    expected_active = [[2, 1, 1, 1], [2, 0, 0, nan], [nan, nan, nan, nan], [1, nan, nan, nan]]
    np.testing.assert_array_equal(t.active.to_numpy(), np.array(expected_active, dtype=float))
    expected_shares = [[1, .5, .5, .5], [1, 0, 0, nan], [nan] * 4, [1, nan, nan, nan]]
    np.testing.assert_array_equal(t.shares.to_numpy(), np.array(expected_shares, dtype=float))
    assert list(t.shares.columns) == [0, 1, 2, 3]
    long = t.long()
    assert len(long) == 4 + 3 + 1  # observed cells only
    assert long.iloc[1].to_dict() == {"cohort": "2024/01", "k": 1, "customers": 2, "active": 1, "share": 0.5}


def test_cohort_cells_in_an_unfinished_month_are_not_observed():
    t = cohort_table(_orders(ROWS), "month", as_of=date(2024, 4, 15))
    # April is not over on the 15th: the k that lands in April is blank (e's order is after as-of)
    assert np.isnan(t.shares.loc["2024/01", 3]) and np.isnan(t.shares.loc["2024/02", 2])
    assert t.shares.loc["2024/01", 2] == 0.5
    assert t.cohorts["customers"].tolist() == [2, 2, 0, 0]
    # max_periods keeps k = 0..max_periods
    assert list(cohort_table(_orders(ROWS), "month", max_periods=1).shares.columns) == [0, 1]


def test_quarterly_cohorts():
    t = cohort_table(_orders(ROWS), "quarter", as_of=date(2024, 6, 30))
    # Q1 cohort {a,b,c,d}; in Q2 only a bought again → 1/4
    assert t.cohorts["customers"].tolist() == [4, 1]
    assert t.shares.loc["2024 Q1", 1] == 0.25
    assert t.shares.loc["2024 Q2", 0] == 1.0


def test_f2_conversion_rule():
    rows = [("a", "2024-01-01"), ("a", "2024-01-01"), ("a", "2024-03-31"),  # same-day order is still the first
            ("b", "2024-01-01"), ("b", "2024-04-01"),                       # gap 91 days
            ("c", "2024-02-01"),                                            # no second purchase
            ("d", "2024-04-20"), ("d", "2024-04-25")]                       # first purchase too recent
    r = f2_conversion(_orders(rows), 90, as_of=date(2024, 5, 31))
    # eligible: first + 90 ≤ 2024-05-31 → a, b, c (d's first is 2024-04-20)
    assert (r.customers, r.eligible, r.converted) == (4, 3, 1)  # a: 90 days (boundary counts), b: 91 too late
    assert r.rate == pytest.approx(1 / 3)
    assert r.repeaters == 3 and r.repeat_share == 0.75
    assert r.days.to_dict() == {"a": 90, "b": 91, "d": 5}
    assert r.median_days == 90
    assert r.as_of == date(2024, 5, 31)
    r91 = f2_conversion(_orders(rows), 91, as_of=date(2024, 5, 31))
    assert (r91.eligible, r91.converted) == (3, 2)  # a, b, c still eligible; a (90) and b (91) convert


def test_second_purchase_is_the_first_order_on_a_later_day():
    # customer 0: two orders on day 10 (one purchase), then day 12 and day 11 (in any row order);
    # 1: one order; 2: two orders on one day only; 3: no order at all
    codes = np.array([0, 0, 1, 0, 2, 2, 0])
    days = np.array([10, 10, 50, 12, 7, 7, 11])
    first, second = second_purchase(codes, days, 4)
    assert first.tolist() == [10, 50, 7, -1]
    assert second.tolist() == [11, -1, -1, -1]
    gap = days_to_second(first, second)
    assert gap[0] == 1 and np.isnan(gap[1:]).all()
    assert converted_within(gap, 1).tolist() == [True, False, False, False]  # the boundary counts
    assert converted_within(gap, 0).tolist() == [False] * 4


def test_f2_with_nobody_eligible_and_bad_horizons():
    r = f2_conversion(_orders([("a", "2024-01-01")]), 30)
    assert r.eligible == 0 and np.isnan(r.rate) and np.isnan(r.median_days)
    for bad in (0, -5, 1.5, "x"):
        with pytest.raises(LoyaltyError):
            f2_conversion(_orders(ROWS), bad)
    with pytest.raises(LoyaltyError):
        f2_conversion(_orders(ROWS), 30, as_of=date(2023, 1, 1))


def test_f2_by_cohort():
    out = f2_by_cohort(_orders(ROWS), 40, "month", as_of=date(2024, 4, 30))
    assert out["period"].tolist() == ["2024/01", "2024/02", "2024/03", "2024/04"]
    assert out["customers"].tolist() == [2, 2, 0, 1]
    # eligible: first + 40 ≤ 04-30 → a (01-10), b (01-25), c (02-03), d (02-28); e is too recent
    assert out["eligible"].tolist() == [2, 2, 0, 0]
    # a: 36 days ✓, b: 40 days ✓ (boundary), c: 17 days ✓, d: none
    assert out["converted"].tolist() == [2, 1, 0, 0]
    assert out["rate"].iloc[:2].tolist() == [1.0, 0.5]
    assert out["rate"].iloc[2:].isna().all()
    assert out["complete"].tolist() == [True, True, False, False]


def test_days_to_second_distribution():
    out = days_to_second_distribution([1, 15, 16, 30, 400], edges=(15, 30))
    assert out["low"].tolist() == [0, 16, 31]
    assert out["high"].tolist()[:2] == [15, 30] and out["high"].isna().tolist() == [False, False, True]
    assert out["customers"].tolist() == [2, 2, 1]
    assert out["share"].tolist() == [0.4, 0.4, 0.2]
    assert out["cumulative_share"].tolist() == pytest.approx([0.4, 0.8, 1.0])
    empty = days_to_second_distribution([])
    assert empty["customers"].sum() == 0 and empty["share"].isna().all()


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 500)), min_size=1, max_size=60),
       st.integers(1, 200))
def test_cohort_and_f2_invariants(rows, horizon):
    base = pd.Timestamp("2024-01-01")
    orders = _orders([(c, str((base + pd.Timedelta(days=d)).date())) for c, d in rows])
    t = cohort_table(orders, "month")
    shares = t.shares.to_numpy()
    observed = shares[~np.isnan(shares)]
    assert ((observed >= 0) & (observed <= 1)).all()
    assert (t.shares[0].dropna() == 1.0).all()
    assert t.cohorts["customers"].sum() == len({c for c, _ in rows})
    r = f2_conversion(orders, horizon)
    assert 0 <= r.converted <= r.eligible <= r.customers and r.repeaters <= r.customers
    assert (r.days > 0).all()  # the second purchase is on a later day
    by = f2_by_cohort(orders, horizon)
    assert by["eligible"].sum() == r.eligible and by["converted"].sum() == r.converted
