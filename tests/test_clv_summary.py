"""Tests of loyalty.clv.summary: transaction lines -> (x, t_x, T, m_x), the per-day rule.

The CDNOW cohort of Fader, Hardie & Lee (2005): 2,357 customers, 946 repeat buyers."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty import clv
from loyalty.errors import LoyaltyError
from tests.fixtures_clv import HAND_ROWS, cdnow_summary, cdnow_tx, tx_frame  # noqa: F401 (fixtures)



def test_cdnow_summary_is_the_papers_cohort(cdnow_summary: pd.DataFrame) -> None:
    s = cdnow_summary
    assert len(s) == 2357
    assert list(s.columns) == ["frequency", "recency", "T", "monetary_value"]
    assert s.index.name == "customer_id"
    # 39 weeks from 1997-01-01 to 1997-09-30 inclusive of both ends is 272 days
    assert s["T"].max() == pytest.approx(272 / 7)
    assert s["T"].min() == pytest.approx(27.0)  # the cohort's last first purchase, 1997-03-25
    assert int((s["frequency"] > 0).sum()) == 946  # repeat buyers of the Gamma-Gamma note
    report = s.attrs["report"]
    assert report["zero_value_purchase_days"] == 8  # eight customers started with a $0.00 CD
    assert report["dropped_days"] == 0
    assert report["customers"] == 2357
    assert report["rows_after_calibration_end"] == 1959
    # customer 1 of the paper's data: x = 2, t_x = 30.43, T = 38.86, mean repeat spend $22.35
    one = s.loc["00004"]  # master id 00004 is sample id 0001
    assert one["frequency"] == 2
    assert one["recency"] == pytest.approx(213 / 7)
    assert one["T"] == pytest.approx(272 / 7)
    assert one["monetary_value"] == pytest.approx((29.73 + 14.96) / 2)  # 22.345

def test_summary_by_hand_days() -> None:
    s = clv.summary_from_transactions(tx_frame(HAND_ROWS), calibration_end="2024-02-05", time_unit="days")
    expected = pd.DataFrame(
        {
            # A: purchases on 01-01 (150 from two lines), 01-08 (80), 01-22 (0, zero-value);
            #    01-15 (a return) and 01-29 (+40 -40 the same day) are not purchases.
            # B: one purchase on 02-01.  C (only a return) and D (starts 02-10) are absent.
            "frequency": np.array([2, 0], dtype=np.int64),
            "recency": [21.0, 0.0],
            "T": [35.0, 4.0],
            "monetary_value": [40.0, 0.0],  # (80 + 0) / 2, first purchase excluded
        },
        index=pd.Index(["A", "B"], name="customer_id"),
    )
    pd.testing.assert_frame_equal(s, expected, check_index_type=False)
    assert s.attrs["time_unit"] == "days"
    assert s.attrs["calibration_end"] == "2024-02-05"
    assert s.attrs["report"] == {
        "rows": 12,
        "rows_after_calibration_end": 3,  # A 02-12, D 02-10, B 02-15
        "purchase_days": 4,
        "zero_value_purchase_days": 1,
        "dropped_days": 3,
        "dropped_negative_days": 2,  # A 01-15, C 01-10
        "dropped_cancelled_days": 1,  # A 01-29
        "dropped_zero_value_days": 0,
        "dropped_fee_days": 0,
        "holdout_dropped_days": 0,
        "customers": 2,
        "customers_without_purchase": 1,  # C
        "customers_first_purchase_after_calibration": 1,  # D
    }

def test_days_of_fee_lines_only_are_not_purchases() -> None:
    tx = pd.DataFrame({
        "customer_id": ["A", "A", "A", "A", "B"],
        "order_date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-10", "2024-01-20", "2024-01-05"]),
        "amount": [100.0, 8.0, 8.0, 60.0, 8.0],
        "is_fee": [False, True, True, False, True],  # A: postage with an order, postage alone; B: a fee only
    })
    s = clv.summary_from_transactions(tx, calibration_end="2024-01-31", time_unit="days")
    assert s.index.tolist() == ["A"]
    assert s.loc["A", ["frequency", "recency", "T", "monetary_value"]].tolist() == [1, 19.0, 30.0, 60.0]
    r = s.attrs["report"]
    assert (r["purchase_days"], r["dropped_fee_days"], r["dropped_days"]) == (2, 2, 2)
    assert r["customers_without_purchase"] == 1  # B

def test_summary_by_hand_weeks_with_holdout() -> None:
    s = clv.summary_from_transactions(
        tx_frame(HAND_ROWS), calibration_end="2024-02-05", observation_end="2024-02-29", time_unit="weeks"
    )
    expected = pd.DataFrame(
        {
            "frequency": np.array([2, 0], dtype=np.int64),
            "recency": [3.0, 0.0],
            "T": [5.0, 4.0 / 7.0],
            "monetary_value": [40.0, 0.0],
            "frequency_holdout": np.array([1, 0], dtype=np.int64),  # A 02-12; B's return is no purchase
            "monetary_value_holdout": [60.0, 0.0],
            "duration_holdout": [24.0 / 7.0, 24.0 / 7.0],
        },
        index=pd.Index(["A", "B"], name="customer_id"),
    )
    pd.testing.assert_frame_equal(s, expected, check_index_type=False)
    assert s.attrs["report"]["holdout_dropped_days"] == 1
    assert s.attrs["observation_end"] == "2024-02-29"

def test_summary_zero_value_days_can_be_dropped() -> None:
    s = clv.summary_from_transactions(
        tx_frame(HAND_ROWS), calibration_end="2024-02-05", time_unit="days", zero_value_purchases=False
    )
    assert s.loc["A"].to_dict() == {"frequency": 1, "recency": 7.0, "T": 35.0, "monetary_value": 80.0}
    assert s.attrs["report"]["dropped_zero_value_days"] == 1
    assert s.attrs["report"]["dropped_days"] == 4

def test_summary_default_calibration_end_is_last_date_and_time_is_floored_to_days() -> None:
    tx = tx_frame([("A", "2024-03-01 23:59", 10.0), ("A", "2024-03-03 00:01", 5.0), ("B", "2024-03-10 12:00", 1.0)])
    s = clv.summary_from_transactions(tx, time_unit="days")
    assert s.attrs["calibration_end"] == "2024-03-10"
    assert s.loc["A"].to_dict() == {"frequency": 1, "recency": 2.0, "T": 9.0, "monetary_value": 5.0}

def naive_summary(rows: list[tuple[str, int, float]], cal_end: int, unit: int) -> dict[str, tuple]:
    """The summary's definition, one customer and one day at a time."""
    by: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for cid, day, amount in rows:
        by[cid][day].append(amount)
    out = {}
    for cid, days in by.items():
        purchases = []
        for day in sorted(days):
            if day > cal_end:
                continue
            lines = days[day]
            net = round(sum(lines), 9)
            if net > 0 or (net == 0 and min(lines) >= 0):
                purchases.append((day, net))
        if not purchases:
            continue
        x = len(purchases) - 1
        m = sum(a for _, a in purchases[1:]) / x if x else 0.0
        out[cid] = (x, (purchases[-1][0] - purchases[0][0]) / unit, (cal_end - purchases[0][0]) / unit, m)
    return out

@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "d", "e"]),
            st.integers(0, 30),
            st.sampled_from([-50.0, -10.0, -0.3, 0.0, 0.1, 0.2, 5.5, 10.0, 50.0]),
        ),
        min_size=1,
        max_size=40,
    ),
    cal_offset=st.integers(0, 30),
    unit=st.sampled_from(["days", "weeks"]),
)
def test_summary_matches_a_naive_reference(rows: list, cal_offset: int, unit: str) -> None:
    base = pd.Timestamp("2024-01-01")
    tx = pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "order_date": [base + pd.Timedelta(days=r[1]) for r in rows],
            "amount": [r[2] for r in rows],
        }
    )
    expected = naive_summary(rows, cal_offset, clv.TIME_UNITS[unit])
    if not expected:
        with pytest.raises(LoyaltyError):
            clv.summary_from_transactions(tx, calibration_end=base + pd.Timedelta(days=cal_offset), time_unit=unit)
        return
    s = clv.summary_from_transactions(tx, calibration_end=base + pd.Timedelta(days=cal_offset), time_unit=unit)
    assert sorted(s.index) == sorted(expected)
    for cid, (x, t_x, T, m) in expected.items():
        row = s.loc[cid]
        assert row["frequency"] == x
        assert row["recency"] == pytest.approx(t_x)
        assert row["T"] == pytest.approx(T)
        assert row["monetary_value"] == pytest.approx(m, abs=1e-9)
    rep = s.attrs["report"]
    assert rep["purchase_days"] == int((s["frequency"] + 1).sum())
    assert rep["dropped_days"] == rep["dropped_negative_days"] + rep["dropped_cancelled_days"] + rep[
        "dropped_zero_value_days"
    ]
    assert ((s["recency"] >= 0) & (s["recency"] <= s["T"])).all()

def test_empty_frame_is_refused_with_advice() -> None:
    empty = pd.DataFrame(
        {
            "customer_id": pd.Series([], dtype=str),
            "order_date": pd.Series([], dtype="datetime64[ns]"),
            "amount": pd.Series([], dtype=float),
        }
    )
    with pytest.raises(LoyaltyError) as info:
        clv.summary_from_transactions(empty)
    assert "読み込んで" in info.value.ja
    with pytest.raises(LoyaltyError):
        clv.run(empty)

def test_missing_column_is_named() -> None:
    with pytest.raises(LoyaltyError) as info:
        clv.summary_from_transactions(pd.DataFrame({"customer_id": ["a"], "order_date": pd.to_datetime(["2024-01-01"])}))
    assert info.value.column == "amount"
    assert "列の対応付け" in info.value.ja

@pytest.mark.parametrize("unit", ["months", "W", "", None])
def test_unknown_time_unit_is_refused_with_advice(unit: object) -> None:
    with pytest.raises(LoyaltyError) as info:
        clv.summary_from_transactions(tx_frame(HAND_ROWS), time_unit=unit)  # type: ignore[arg-type]
    assert "「days」" in info.value.ja and "「weeks」" in info.value.ja
    assert "指定してください" in info.value.ja

def test_observation_end_before_calibration_end_is_refused() -> None:
    with pytest.raises(LoyaltyError) as info:
        clv.summary_from_transactions(tx_frame(HAND_ROWS), calibration_end="2024-02-05", observation_end="2024-01-05")
    assert "後ろにしてください" in info.value.ja


def test_the_typed_return_column_decides_whether_a_zero_day_was_cancelled() -> None:
    # The quality step types a line with a negative quantity (or a cancellation marker) as a
    # return even when its amount is 0.  Such a day netting to 0 was cancelled, not a free
    # purchase; without the column the same day (no negative amount) is a zero-value purchase.
    tx = pd.DataFrame({
        "customer_id": ["A", "A", "A", "A", "B", "B"],
        "order_date": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-10", "2024-01-10",
                                      "2024-01-02", "2024-01-09"]),
        "amount": [30.0, 20.0, 0.0, 0.0, 10.0, 15.0],
        "is_return": [False, False, False, True, False, False],  # A 01-10: a free item sent back
        "is_fee": [False] * 6,
    })
    typed = clv.summary_from_transactions(tx, calibration_end="2024-01-31", time_unit="days")
    assert typed.loc["A"].to_dict() == {"frequency": 1, "recency": 4.0, "T": 30.0, "monetary_value": 20.0}
    r = typed.attrs["report"]
    assert (r["purchase_days"], r["zero_value_purchase_days"], r["dropped_cancelled_days"]) == (4, 0, 1)
    untyped = clv.summary_from_transactions(tx.drop(columns=["is_return"]), calibration_end="2024-01-31",
                                            time_unit="days")
    assert untyped.loc["A"].to_dict() == {"frequency": 2, "recency": 9.0, "T": 30.0, "monetary_value": 10.0}
    r = untyped.attrs["report"]
    assert (r["purchase_days"], r["zero_value_purchase_days"], r["dropped_cancelled_days"]) == (5, 1, 0)


def test_a_summary_error_comes_from_the_catalogue_in_both_languages() -> None:
    from loyalty.i18n import t

    with pytest.raises(LoyaltyError) as info:
        clv.summary_from_transactions(tx_frame(HAND_ROWS), calibration_end="2023-12-31")
    assert info.value.field == "calibration_end"
    assert info.value.ja == t("clv.error.no_purchase", "ja", calibration_end="2023/12/31")
    assert info.value.en == t("clv.error.no_purchase", "en", calibration_end="2023/12/31")
    assert info.value.en == (
        "No purchase up to the calibration end (2023/12/31) (return-only days do not count); "
        "move it later or check the data."
    )
    assert info.value.ja.startswith("学習期間の終了日（2023/12/31）までに購入がありません")
