"""Tests of loyalty.clv.bgnbd: the BG/NBD fit.

Golden figures: Fader, Hardie & Lee (2005), "Counting your customers the easy way"
(BG/NBD on the CDNOW sample, 39-week calibration: r = 0.243, alpha = 4.414, a = 0.793,
b = 2.426, LL = -9582.4)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special

from loyalty import clv
from loyalty.clv import bgnbd, fitting
from loyalty.errors import LoyaltyError
from tests.fixtures_clv import CAL_END, cdnow_bg, cdnow_summary, cdnow_tx, tx_frame  # noqa: F401 (fixtures)



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
    g = fitting.group(s["frequency"].to_numpy(float), s["recency"].to_numpy(float), s["T"].to_numpy(float))
    for point in (np.log([0.243, 4.414, 0.793, 2.426]), np.log([2.0, 0.5, 3.0, 0.3]), np.zeros(4)):
        for pen in (0.0, 0.05):
            err = optimize.check_grad(
                lambda p: bgnbd._objective(p, g, pen)[0],
                lambda p: bgnbd._objective(p, g, pen)[1],
                point,
                epsilon=1e-6,
            )
            assert err < 1e-5, (point, pen, err)

def test_too_few_customers_is_refused_with_advice() -> None:
    rows = [("a", "2024-01-01", 5.0), ("a", "2024-01-09", 5.0), ("b", "2024-01-02", 5.0)]
    with pytest.raises(LoyaltyError) as info:
        clv.fit_bgnbd(clv.summary_from_transactions(tx_frame(rows)))
    assert f"少なくとも{clv.MIN_CUSTOMERS}人" in info.value.ja

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

def test_simulated_customers_recover_the_parameters() -> None:
    s = clv.simulate_summary(60_000, 0.243, 4.414, 0.793, 2.426, max_T=78.0, seed=5)
    fit = clv.fit_bgnbd(s)
    assert fit.r == pytest.approx(0.243, rel=0.1)
    assert fit.alpha == pytest.approx(4.414, rel=0.15)
    assert fit.a == pytest.approx(0.793, rel=0.15)
    assert fit.b == pytest.approx(2.426, rel=0.25)
