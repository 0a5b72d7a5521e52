"""Tests of loyalty.clv.alive: the P(alive) separation test, P(alive) by silence, the churn-risk list."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalty import clv
from loyalty.clv import alive
from loyalty.clv.api import PenalizerChoice
from loyalty.clv.fitting import degenerate_error


def test_p_alive_separates_when_its_10th_to_90th_percentile_spread_is_10_points_or_more():
    # ten customers; numpy's linear quantiles, by hand below
    p = np.array([0.50, 0.60, 0.70, 0.80, 0.90, 0.95, 0.97, 0.98, 0.99, 1.00])
    x = np.array([1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
    check = clv.check_p_alive(p, x)
    # position 0.9 between 0.50 and 0.60 -> 0.59; position 8.1 between 0.99 and 1.00 -> 0.991
    assert (round(check.p10, 6), round(check.p90, 6)) == (0.59, 0.991)
    assert check.separates and check.spread == pytest.approx(0.401)
    assert (check.one_time, check.one_time_all_one, check.customers) == (2, False, 10)
    flat = clv.check_p_alive(np.linspace(0.95, 1.0, 10), x)  # steps of 0.05/9: positions 0.9 and 8.1
    assert not flat.separates and flat.spread == pytest.approx(7.2 * 0.05 / 9, abs=1e-12)


def test_one_time_buyers_all_at_one_is_recognised():
    check = clv.check_p_alive([1.0, 1.0, 0.2, 0.9], [0, 0, 3, 1])
    assert check.one_time_all_one and check.one_time == 2
    assert not clv.check_p_alive([1.0, 0.999, 0.2], [0, 0, 3]).one_time_all_one
    assert not clv.check_p_alive([0.2, 0.3], [1, 2]).one_time_all_one  # nobody buys once


def _customers() -> pd.DataFrame:
    # weeks: days silent = (T - recency) * 7 -> 7, 30 (29.99 rounds), 31, 120, 121, 700
    return pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "e", "f"],
        "recency": [9.0, 5.0, 2.0, 0.0, 1.0, 0.0],
        "T": [10.0, 5.0 + 29.99 / 7, 2.0 + 31 / 7, 120 / 7, 1.0 + 121 / 7, 100.0],
        "p_alive": [0.99, 0.95, 0.80, 0.70, 0.40, 0.10],
        "expected_purchases": [2.0, 1.5, 1.0, 0.5, 0.2, 0.05],
        "clv": [20_000.0, 15_000.0, 10_000.0, 5_000.0, 2_000.0, 500.0],
    })


def test_p_alive_by_days_since_the_last_purchase():
    c = _customers()
    assert alive.days_silent(c, "weeks").tolist() == [7, 30, 31, 120, 121, 700]
    bands = clv.p_alive_by_recency(c, "weeks")
    assert bands["band"].tolist() == ["0-30", "31-120", "121-"]
    assert bands["customers"].tolist() == [2, 2, 2]
    np.testing.assert_allclose(bands["p_alive"], [0.97, 0.75, 0.25])
    assert bands.attrs["margin"] == pytest.approx(0.72)
    days = c.assign(T=c["T"] * 7, recency=c["recency"] * 7)
    assert clv.p_alive_by_recency(days, "days")["customers"].tolist() == [2, 2, 2]


def test_the_churn_risk_list_ranks_by_value_at_risk_and_leaves_out_customers_without_one():
    c = _customers()
    past = pd.Series({"a": 100_000.0, "b": 10_000.0, "c": 0.0, "d": 30_000.0, "e": 60_000.0, "g": 5.0})
    risk = clv.churn_risk(c, past, "weeks")
    assert list(risk.columns) == list(alive.RISK_COLUMNS)
    # value at risk: a 1,000; b 500; c 0 (no revenue: left out); d 9,000; e 36,000; f no past value (left out)
    assert risk["customer_id"].tolist() == ["e", "d", "a", "b"]
    np.testing.assert_allclose(risk["value_at_risk"], [36_000, 9_000, 1_000, 500])
    assert risk["days_silent"].tolist() == [121, 120, 7, 30]
    assert risk["clv"].tolist() == [2_000.0, 5_000.0, 20_000.0, 15_000.0]


def test_the_parameters_a_refusal_named_are_kept_for_the_page():
    refused = degenerate_error("pareto", ["s", "beta"])
    assert alive.penalty_params(PenalizerChoice(requested=0.0, used=0.001, auto=True, reason=refused)) == ("s", "beta")
    assert alive.penalty_params(PenalizerChoice(requested=0.0, used=0.0, auto=True)) == ()
