"""Tests of loyalty.clv: BG/NBD + Gamma-Gamma customer lifetime value.

Golden figures: Fader, Hardie & Lee (2005), "Counting your customers the easy way"
(BG/NBD on the CDNOW sample, 39-week calibration: r = 0.243, alpha = 4.414, a = 0.793,
b = 2.426, LL = -9582.4) and Fader & Hardie (2013), "The Gamma-Gamma model of monetary
value" (p = 6.25, q = 3.74, gamma = 15.44).  The CDNOW sample is in tests/data (see
CDNOW_SOURCE.md).  lifetimes is a dev-only dependency used for cross-checks.
"""

from __future__ import annotations

import json
import math
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, special

from loyalty import clv
from loyalty.errors import LoyaltyError

DATA = Path(__file__).parent / "data"
CAL_END = "1997-09-30"
HOLDOUT_END = "1998-06-30"


# --------------------------------------------------------------------------- fixtures


def read_cdnow_sample() -> pd.DataFrame:
    """tests/data/cdnow_sample.txt -> clean transaction frame."""
    raw = pd.read_csv(
        DATA / "cdnow_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "sample_id", "date", "cds", "dollars"],
        dtype={"master_id": str, "sample_id": str, "date": str},
    )
    return pd.DataFrame(
        {
            "customer_id": raw["master_id"].astype(str),
            "order_date": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "amount": raw["dollars"].astype(float),
        }
    )


@pytest.fixture(scope="module")
def cdnow_tx() -> pd.DataFrame:
    return read_cdnow_sample()


@pytest.fixture(scope="module")
def cdnow_summary(cdnow_tx: pd.DataFrame) -> pd.DataFrame:
    return clv.summary_from_transactions(cdnow_tx, calibration_end=CAL_END, time_unit="weeks")


@pytest.fixture(scope="module")
def cdnow_bg(cdnow_summary: pd.DataFrame) -> clv.BGNBDFit:
    return clv.fit_bgnbd(cdnow_summary)


@pytest.fixture(scope="module")
def cdnow_gg(cdnow_summary: pd.DataFrame) -> clv.GammaGammaFit:
    return clv.fit_gamma_gamma(cdnow_summary)


def tx_frame(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "order_date": pd.to_datetime([r[1] for r in rows]),
            "amount": [float(r[2]) for r in rows],
        }
    )


HAND_ROWS = [
    # A: two lines on one day, a repeat, a return day, a zero-value day, a cancelled day
    ("A", "2024-01-01", 100.0),
    ("A", "2024-01-01", 50.0),
    ("A", "2024-01-08", 80.0),
    ("A", "2024-01-15", -30.0),
    ("A", "2024-01-22", 0.0),
    ("A", "2024-01-29", 40.0),
    ("A", "2024-01-29", -40.0),
    ("A", "2024-02-12", 60.0),  # holdout
    # B: one purchase, then a return in the holdout
    ("B", "2024-02-01", 20.0),
    ("B", "2024-02-15", -20.0),
    # C: only a return
    ("C", "2024-01-10", -10.0),
    # D: first purchase after the calibration end
    ("D", "2024-02-10", 35.0),
]


# --------------------------------------------------------------------------- golden figures


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


def test_bgnbd_params_close_to_Fader_Hardie_Lee_2005(cdnow_bg: clv.BGNBDFit) -> None:
    fit = cdnow_bg
    for name, paper in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert getattr(fit, name) == pytest.approx(paper, rel=0.01), name
    assert fit.loglik == pytest.approx(-9582.4, abs=0.1)
    assert fit.n_customers == 2357
    assert fit.converged
    assert fit.time_unit == "weeks"
    assert set(fit.stderr) == {"r", "alpha", "a", "b"}
    assert all(0 < se < 0.5 * getattr(fit, k) for k, se in fit.stderr.items())


def test_gamma_gamma_params_close_to_Fader_Hardie_2013(cdnow_gg: clv.GammaGammaFit) -> None:
    fit = cdnow_gg
    assert fit.p == pytest.approx(6.25, rel=0.02)
    assert fit.q == pytest.approx(3.74, rel=0.02)
    assert fit.gamma == pytest.approx(15.44, rel=0.02)
    assert fit.n_customers == 946
    # the note's population mean spend per transaction, p * gamma / (q - 1)
    assert fit.population_mean_value == pytest.approx(6.25 * 15.44 / 2.74, rel=0.02)


def test_fit_in_days_is_the_fit_in_weeks_rescaled(cdnow_tx: pd.DataFrame, cdnow_bg: clv.BGNBDFit) -> None:
    days = clv.summary_from_transactions(cdnow_tx, calibration_end=CAL_END, time_unit="days")
    fit = clv.fit_bgnbd(days)
    assert fit.time_unit == "days"
    assert fit.r == pytest.approx(cdnow_bg.r, rel=1e-5)
    assert fit.a == pytest.approx(cdnow_bg.a, rel=1e-5)
    assert fit.b == pytest.approx(cdnow_bg.b, rel=1e-5)
    assert fit.alpha == pytest.approx(7 * cdnow_bg.alpha, rel=1e-5)
    # each repeat purchase time density is 1/7 as large per day as per week
    assert fit.loglik == pytest.approx(cdnow_bg.loglik - days["frequency"].sum() * math.log(7), abs=1e-4)


# --------------------------------------------------------------------------- lifetimes cross-check


@pytest.mark.slow
def test_agrees_with_lifetimes_summary_predictions_and_clv(
    cdnow_tx: pd.DataFrame, cdnow_summary: pd.DataFrame, cdnow_bg: clv.BGNBDFit, cdnow_gg: clv.GammaGammaFit
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lifetimes
        from lifetimes.utils import summary_data_from_transaction_data

        s = cdnow_summary
        calib = cdnow_tx[cdnow_tx["order_date"] <= CAL_END]
        theirs = summary_data_from_transaction_data(
            calib, "customer_id", "order_date", "amount",
            observation_period_end=CAL_END, freq="D", freq_multiplier=7,
        )
        theirs.index = theirs.index.astype(str)
        theirs = theirs.loc[s.index]
        for col in ("frequency", "recency", "T", "monetary_value"):
            np.testing.assert_allclose(s[col].to_numpy(float), theirs[col].to_numpy(float), rtol=1e-12, atol=1e-9)

        bgf = lifetimes.BetaGeoFitter()
        bgf.fit(s["frequency"], s["recency"], s["T"])
        for name in ("r", "alpha", "a", "b"):
            assert getattr(cdnow_bg, name) == pytest.approx(bgf.params_[name], rel=1e-4), name

        # Same parameters in both implementations: predictions must agree closely.
        bgf.params_ = pd.Series({"r": cdnow_bg.r, "alpha": cdnow_bg.alpha, "a": cdnow_bg.a, "b": cdnow_bg.b})
        x, tx, T = s["frequency"], s["recency"], s["T"]
        np.testing.assert_allclose(
            clv.probability_alive(cdnow_bg, x, tx, T).to_numpy(),
            np.asarray(bgf.conditional_probability_alive(x, tx, T), dtype=float),
            rtol=1e-6,
        )
        for t in (1.0, 13.0, 39.0, 52.0, 104.0):
            np.testing.assert_allclose(
                clv.expected_purchases(cdnow_bg, t, x, tx, T).to_numpy(),
                np.asarray(bgf.conditional_expected_number_of_purchases_up_to_time(t, x, tx, T), dtype=float),
                rtol=1e-6,
                err_msg=f"t={t}",
            )

        # heavy buyers too (our 2F1 is Euler-transformed, lifetimes' is not)
        hx = np.array([50.0, 200.0, 1000.0, 5000.0])
        hT = np.full(4, 39.0)
        np.testing.assert_allclose(
            clv.expected_purchases(cdnow_bg, 52.0, hx, hT, hT),
            np.asarray(bgf.conditional_expected_number_of_purchases_up_to_time(52.0, hx, hT, hT), dtype=float),
            rtol=1e-6,
        )

        ggf = lifetimes.GammaGammaFitter()
        rep = s[s["frequency"] > 0]
        ggf.fit(rep["frequency"], rep["monetary_value"])
        assert cdnow_gg.p == pytest.approx(ggf.params_["p"], rel=1e-4)
        assert cdnow_gg.q == pytest.approx(ggf.params_["q"], rel=1e-4)
        assert cdnow_gg.gamma == pytest.approx(ggf.params_["v"], rel=1e-4)
        ggf.params_ = pd.Series({"p": cdnow_gg.p, "q": cdnow_gg.q, "v": cdnow_gg.gamma})
        np.testing.assert_allclose(
            clv.expected_average_value(cdnow_gg, x, s["monetary_value"]).to_numpy(),
            np.asarray(ggf.conditional_expected_average_profit(x, s["monetary_value"]), dtype=float),
            rtol=1e-9,
        )
        theirs_clv = np.asarray(
            ggf.customer_lifetime_value(bgf, x, tx, T, s["monetary_value"], time=12, discount_rate=0.01, freq="W"),
            dtype=float,
        )
    # lifetimes' month is 4.345 weeks: with the same month the sums are the same ...
    same_month = clv.customer_lifetime_value(cdnow_bg, cdnow_gg, s, 12, 0.01, days_per_month=4.345 * 7)
    np.testing.assert_allclose(same_month.to_numpy(), theirs_clv, rtol=1e-6)
    # ... and with ours (365.25/12 days = 4.348 weeks) they stay within 0.1%.
    ours = clv.customer_lifetime_value(cdnow_bg, cdnow_gg, s, 12, 0.01)
    np.testing.assert_allclose(ours.to_numpy(), theirs_clv, rtol=1e-3)
    assert ours.sum() == pytest.approx(theirs_clv.sum(), rel=1e-3)


# --------------------------------------------------------------------------- grouped == ungrouped


def reference_bgnbd_loglik(params: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> float:
    """FHL 2005 eq. 6, written term by term (no grouping, no log-sum tricks)."""
    r, alpha, a, b = params
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) - special.betaln(a, b)
    term1 = np.exp(common + special.betaln(a, b + x) - (r + x) * np.log(alpha + T))
    with np.errstate(invalid="ignore"):
        term2 = np.where(
            x > 0,
            np.exp(common + special.betaln(a + 1, np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx)),
            0.0,
        )
    return float(np.sum(np.log(term1 + term2)))


@pytest.mark.slow
def test_grouped_bgnbd_fit_maximises_the_per_customer_likelihood() -> None:
    s = clv.simulate_summary(4000, 0.5, 6.0, 0.8, 2.5, max_T=10.0, seed=11)
    x, tx, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    fit = clv.fit_bgnbd(s)
    assert fit.n_groups < len(s) / 3  # the grouping really groups
    params = np.array([fit.r, fit.alpha, fit.a, fit.b])
    # the reported log-likelihood is the per-customer sum at the fitted parameters
    assert fit.loglik == pytest.approx(reference_bgnbd_loglik(params, x, tx, T), rel=1e-10)
    assert fit.loglik == pytest.approx(clv.bgnbd_loglik(*params, x, tx, T).sum(), rel=1e-10)
    # and the per-customer likelihood, optimised independently, peaks at the same place
    ref = optimize.minimize(
        lambda lp: -reference_bgnbd_loglik(np.exp(lp), x, tx, T) / len(x),
        np.zeros(4), method="Nelder-Mead",
        options={"xatol": 1e-9, "fatol": 1e-13, "maxiter": 20000, "maxfev": 20000},
    )
    np.testing.assert_allclose(np.exp(ref.x), params, rtol=1e-4)
    assert -ref.fun * len(x) <= fit.loglik + 1e-6


def test_bgnbd_gradient_is_exact(cdnow_summary: pd.DataFrame) -> None:
    s = cdnow_summary
    g = clv._group(s["frequency"].to_numpy(float), s["recency"].to_numpy(float), s["T"].to_numpy(float))
    for point in (np.log([0.243, 4.414, 0.793, 2.426]), np.log([2.0, 0.5, 3.0, 0.3]), np.zeros(4)):
        for pen in (0.0, 0.05):
            err = optimize.check_grad(
                lambda p: clv._bgnbd_objective(p, g, pen)[0],
                lambda p: clv._bgnbd_objective(p, g, pen)[1],
                point,
                epsilon=1e-6,
            )
            assert err < 1e-5, (point, pen, err)


def test_grouped_gamma_gamma_fit_maximises_the_per_customer_likelihood(cdnow_summary: pd.DataFrame) -> None:
    s = cdnow_summary
    fit = clv.fit_gamma_gamma(s)
    rep = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
    x = rep["frequency"].to_numpy(float)
    m = rep["monetary_value"].to_numpy(float)

    def ref_ll(p: float, q: float, v: float) -> float:
        # density of the mean of x Gamma(p, nu) spends, nu ~ Gamma(q, v), term by term
        return float(
            np.sum(
                special.gammaln(p * x + q) - special.gammaln(p * x) - special.gammaln(q)
                + q * np.log(v) + (p * x - 1) * np.log(m) + p * x * np.log(x)
                - (p * x + q) * np.log(v + m * x)
            )
        )

    assert fit.loglik == pytest.approx(ref_ll(fit.p, fit.q, fit.gamma), rel=1e-10)
    ref = optimize.minimize(
        lambda lp: -ref_ll(*np.exp(lp)) / len(x), np.log([1.0, 1.0, 1.0]), method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 20000, "maxfev": 20000},
    )
    np.testing.assert_allclose(np.exp(ref.x), [fit.p, fit.q, fit.gamma], rtol=1e-4)
    g = clv._group(x, m)
    err = optimize.check_grad(
        lambda p: clv._gg_objective(p, g, 0.01)[0], lambda p: clv._gg_objective(p, g, 0.01)[1],
        np.log([2.0, 3.0, 10.0]), epsilon=1e-6,
    )
    assert err < 1e-5


# --------------------------------------------------------------------------- hand-made summaries


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


# --------------------------------------------------------------------------- bad input


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


def test_nobody_repeats_is_refused_with_advice() -> None:
    rows = [(f"c{i}", f"2024-01-{i + 1:02d}", 10.0 + i) for i in range(20)]
    with pytest.raises(LoyaltyError) as info:
        clv.run(tx_frame(rows))
    assert "学習期間を長く" in info.value.ja
    assert "repeat" in info.value.en


def test_too_few_customers_is_refused_with_advice() -> None:
    rows = [("a", "2024-01-01", 5.0), ("a", "2024-01-09", 5.0), ("b", "2024-01-02", 5.0)]
    with pytest.raises(LoyaltyError) as info:
        clv.fit_bgnbd(clv.summary_from_transactions(tx_frame(rows)))
    assert f"少なくとも{clv.MIN_CUSTOMERS}人" in info.value.ja


def test_observation_end_before_calibration_end_is_refused() -> None:
    with pytest.raises(LoyaltyError) as info:
        clv.summary_from_transactions(tx_frame(HAND_ROWS), calibration_end="2024-02-05", observation_end="2024-01-05")
    assert "後ろにしてください" in info.value.ja


def test_degenerate_data_raises_and_penalizer_rescues_it() -> None:
    # Everyone buys exactly weekly and nobody leaves: no heterogeneity to estimate,
    # so the maximum-likelihood parameters run off to infinity.
    rng = np.random.default_rng(3)
    T = rng.integers(30, 100, 500).astype(float)
    x = np.floor(T / 7).astype(int)
    s = pd.DataFrame({"frequency": x, "recency": x * 7.0, "T": T})
    with pytest.raises(LoyaltyError) as info:
        clv.fit_bgnbd(s)
    assert "penalizer" in info.value.ja and "学習期間を長く" in info.value.ja
    assert info.value.field == "penalizer"
    fit = clv.fit_bgnbd(s, penalizer=0.1)
    assert fit.converged and fit.penalizer == 0.1


def test_no_dropout_data_is_refused_not_returned_as_garbage() -> None:
    # Customers who practically never leave: the likelihood keeps rising as a -> 0 and
    # b -> infinity, a flat ridge without a proper maximum.  Refuse, explain, suggest penalizer.
    s = clv.simulate_summary(3000, 0.8, 8.0, 0.001, 1000.0, max_T=52.0, seed=0)
    with pytest.raises(LoyaltyError) as info:
        clv.fit_bgnbd(s)
    assert "離脱のしやすさ" in info.value.ja and "penalizer" in info.value.ja
    fit = clv.fit_bgnbd(s, penalizer=0.001)
    assert fit.r == pytest.approx(0.8, rel=0.1)


@pytest.mark.parametrize("bad", [-0.1, float("nan"), "much"])
def test_bad_penalizer_is_refused(cdnow_summary: pd.DataFrame, bad: object) -> None:
    with pytest.raises(LoyaltyError):
        clv.fit_bgnbd(cdnow_summary, penalizer=bad)  # type: ignore[arg-type]


def test_bad_horizon_and_discount_are_refused(cdnow_tx: pd.DataFrame) -> None:
    with pytest.raises(LoyaltyError) as info:
        clv.run(cdnow_tx, horizon_months=0)
    assert info.value.field == "horizon_months"
    with pytest.raises(LoyaltyError) as info:
        clv.run(cdnow_tx, monthly_discount_rate=1.5)
    assert info.value.field == "monthly_discount_rate"


def test_mismatched_time_unit_is_refused(cdnow_bg, cdnow_gg, cdnow_summary) -> None:
    with pytest.raises(LoyaltyError) as info:
        clv.customer_lifetime_value(cdnow_bg, cdnow_gg, cdnow_summary, time_unit="days")
    assert info.value.field == "time_unit"


# --------------------------------------------------------------------------- predictions


def test_prediction_properties(cdnow_bg: clv.BGNBDFit) -> None:
    fit = cdnow_bg
    # one-time buyers are "alive" by the model's construction
    assert clv.probability_alive(fit, 0, 0.0, 30.0) == 1.0
    # the longer a repeat buyer has been silent, the less likely alive
    p = clv.probability_alive(fit, np.full(4, 3), np.full(4, 10.0), np.array([10.0, 20.0, 40.0, 80.0]))
    assert np.all(np.diff(p) < 0) and p[0] < 1
    # expectations: 0 over no time, growing with the horizon
    assert clv.expected_purchases(fit, 0, 2, 10.0, 30.0) == 0.0
    e = [clv.expected_purchases(fit, t, 2, 10.0, 30.0) for t in (1, 10, 50, 200)]
    assert all(b > a > 0 for a, b in zip(e, e[1:]))
    # very heavy buyers stay finite and positive (Euler-transformed 2F1)
    heavy = clv.expected_purchases(fit, 52.0, np.array([50.0, 200.0, 1000.0, 5000.0]), 39.0, 39.0)
    assert np.all(np.isfinite(heavy)) and np.all(np.diff(heavy) > 0)
    # ... while a heavy buyer silent for a week is, by the model, almost surely gone
    assert clv.probability_alive(fit, 1000, 38.0, 39.0) < 1e-6


def test_expected_average_value_shrinks_towards_population_mean(cdnow_gg: clv.GammaGammaFit) -> None:
    gg = cdnow_gg
    pop = gg.population_mean_value
    assert clv.expected_average_value(gg, 0, 123.0) == pytest.approx(pop)
    v = clv.expected_average_value(gg, np.array([1, 5, 50, 5000]), np.full(4, 100.0))
    assert np.all(np.diff(v) > 0) and v[0] > pop and v[-1] == pytest.approx(100.0, rel=1e-2)
    weight = gg.p * 5 / (gg.p * 5 + gg.q - 1)
    assert v[1] == pytest.approx(weight * 100.0 + (1 - weight) * pop)


def test_holdout_comparison_tracks_the_cdnow_holdout(cdnow_tx: pd.DataFrame) -> None:
    h = clv.holdout_comparison(cdnow_tx, CAL_END, HOLDOUT_END, time_unit="weeks")
    assert list(h.columns) == [
        "frequency_bucket", "customers", "predicted_mean", "actual_mean", "predicted_total", "actual_total",
    ]
    assert list(h["frequency_bucket"]) == ["0", "1", "2", "3", "4", "5", "6", "7+", "total"]
    assert h["customers"].iloc[-1] == 2357
    assert h["customers"].iloc[:-1].sum() == 2357
    assert h["actual_total"].iloc[:-1].sum() == pytest.approx(h["actual_total"].iloc[-1])
    assert h.attrs["duration_holdout"] == pytest.approx(273 / 7)
    total = h.iloc[-1]
    # 1,882 repeat purchase days happened in weeks 40-78; the conditional forecast
    # (the same figure lifetimes gives) is 1,653, 12% low: the model is conservative here.
    assert total["actual_total"] == 1882
    assert total["predicted_total"] == pytest.approx(1653.4, abs=0.5)
    # and the conditional expectations rise with calibration frequency, as in FHL 2005 fig. 5
    assert np.all(np.diff(h["predicted_mean"].iloc[:-1].to_numpy()) > 0)


def test_run_on_cdnow(cdnow_tx: pd.DataFrame, cdnow_bg, cdnow_gg, cdnow_summary) -> None:
    res = clv.run(cdnow_tx, calibration_end=CAL_END, time_unit="weeks", horizon_months=12, monthly_discount_rate=0.01)
    c = res.customers
    assert list(c.columns) == [
        "customer_id", "frequency", "recency", "T", "monetary_value",
        "p_alive", "expected_purchases", "expected_avg_value", "clv",
    ]
    assert len(c) == 2357
    assert res.gamma_gamma is not None and res.gamma_gamma_reason is None
    params = res.params_dict()
    assert list(params) == ["bgnbd", "gamma_gamma"]
    assert set(params["bgnbd"]) == {"r", "alpha", "a", "b", "loglik"}
    assert set(params["gamma_gamma"]) == {"p", "q", "gamma"}
    assert all(type(v) is float for d in params.values() for v in d.values())
    assert json.loads(json.dumps(params)) == params
    assert params["bgnbd"]["r"] == pytest.approx(cdnow_bg.r, rel=1e-9)
    assert (c.loc[c["frequency"] == 0, "p_alive"] == 1.0).all()
    assert c["p_alive"].between(0, 1).all()
    horizon_weeks = 12 * clv.DAYS_PER_MONTH / 7
    np.testing.assert_allclose(
        c["expected_purchases"],
        clv.expected_purchases(cdnow_bg, horizon_weeks, c["frequency"], c["recency"], c["T"]),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        c["clv"], clv.customer_lifetime_value(cdnow_bg, cdnow_gg, cdnow_summary, 12, 0.01).to_numpy(), rtol=1e-12
    )
    # CLV is below undiscounted purchases x value, and above it discounted by the full year
    undiscounted = c["expected_purchases"] * c["expected_avg_value"]
    assert (c["clv"] <= undiscounted + 1e-9).all()
    assert (c["clv"] >= undiscounted / 1.01**12 - 1e-9).all()
    assert res.report["customers"] == 2357


def test_run_without_gamma_gamma_keeps_purchase_forecasts(cdnow_tx: pd.DataFrame, monkeypatch) -> None:
    monkeypatch.setattr(clv, "MIN_REPEAT_BUYERS_GAMMA_GAMMA", 10_000)
    res = clv.run(cdnow_tx, calibration_end=CAL_END)
    assert res.gamma_gamma is None
    assert isinstance(res.gamma_gamma_reason, LoyaltyError)
    assert "リピート購入した顧客" in res.gamma_gamma_reason.ja
    assert res.customers["clv"].isna().all()
    assert res.customers["expected_purchases"].notna().all()
    assert res.params_dict()["gamma_gamma"] == {"p": None, "q": None, "gamma": None}
    json.dumps(res.params_dict())


def test_simulated_customers_recover_the_parameters() -> None:
    s = clv.simulate_summary(60_000, 0.243, 4.414, 0.793, 2.426, max_T=78.0, seed=5)
    fit = clv.fit_bgnbd(s)
    assert fit.r == pytest.approx(0.243, rel=0.1)
    assert fit.alpha == pytest.approx(4.414, rel=0.15)
    assert fit.a == pytest.approx(0.793, rel=0.15)
    assert fit.b == pytest.approx(2.426, rel=0.25)
