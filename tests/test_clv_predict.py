"""Tests of loyalty.clv.predict: P(alive), expected purchases and discounted CLV.

lifetimes is a dev-only dependency used for cross-checks."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from loyalty import clv
from loyalty.errors import LoyaltyError
from tests.fixtures_clv import CAL_END, cdnow_bg, cdnow_gg, cdnow_summary, cdnow_tx  # noqa: F401 (fixtures)



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

def test_mismatched_time_unit_is_refused(cdnow_bg, cdnow_gg, cdnow_summary) -> None:
    with pytest.raises(LoyaltyError) as info:
        clv.customer_lifetime_value(cdnow_bg, cdnow_gg, cdnow_summary, time_unit="days")
    assert info.value.field == "time_unit"
