"""Tests of loyalty.clv_models.sbg: the shifted-beta-geometric model of contract renewals.

Golden figures: Fader & Hardie (2007), "How to Project Customer Retention", the two cohorts
of Berry & Linoff's data, survivors at the start of years 0..7 and the actual survivors of
years 8..12:

* regular customers 1000, 631, 468, 382, 326, 289, 262, 241 (then 223, 207, 194, 183, 173):
  alpha 0.704, beta 1.182, LL -1680.27;
* high-end customers 1000, 869, 743, 653, 593, 551, 517, 491 (then 468, 445, 427, 409, 394):
  alpha 0.668, beta 3.806, LL -1611.16.

DERL (Fader & Hardie 2010, eq. 6) is checked against its definition, integrated over the
posterior of the cancellation probability without any hypergeometric function.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

from loyalty.clv_models import sbg
from loyalty.clv_models.sbg import SBGFit
from loyalty.errors import LoyaltyError

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
REGULAR_LATER = [223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]
HIGH_END_LATER = [468, 445, 427, 409, 394]


def _fit(alpha: float, beta: float) -> SBGFit:
    return SBGFit(alpha=alpha, beta=beta, loglik=float("nan"), n_customers=0.0, n_cancelled=0.0)


def test_sbg_fits_the_regular_customers_of_fader_hardie_2007():
    f = sbg.fit_survivors(REGULAR, periods=range(8))
    assert (round(f.alpha, 3), round(f.beta, 3), round(f.loglik, 2)) == (0.704, 1.182, -1680.27)
    assert (f.n_customers, f.n_cancelled) == (1000, 759)
    assert f.params() == {"alpha": f.alpha, "beta": f.beta, "loglik": f.loglik}


def test_sbg_fits_the_high_end_customers_of_fader_hardie_2007():
    f = sbg.fit_survivors(HIGH_END)
    assert (round(f.alpha, 3), round(f.beta, 3), round(f.loglik, 2)) == (0.668, 3.806, -1611.16)


@pytest.mark.parametrize(("survivors", "later", "projected", "worst_share"), [
    (REGULAR, REGULAR_LATER, [220, 204, 191, 180, 170], 0.018),
    (HIGH_END, HIGH_END_LATER, [460, 436, 414, 395, 378], 0.041),
])
def test_sbg_projects_years_8_to_12_close_to_the_actual_survivors(survivors, later, projected, worst_share):
    f = sbg.fit_survivors(survivors)
    got = sbg.project_survivors(f, 1000, np.arange(8, 13))
    assert np.rint(got).astype(int).tolist() == projected
    errors = np.abs(got - later) / later
    assert errors.max() < worst_share  # 1.7% and 4.0% at year 12
    # ... while a constant retention rate (the pooled geometric fit: one churn probability for
    # everyone) misses by 42-73% (regular) and 11-31% (high-end): retention rises with tenure
    constant = sum(survivors[1:]) / sum(survivors[:-1])
    naive = np.abs(1000 * constant ** np.arange(8, 13) - later) / later
    assert (naive > 6 * errors).all()


def test_sbg_log_likelihood_of_a_small_cohort_by_hand():
    # 10 start, 6 renew once, 4 renew twice; alpha = 1, beta = 2:
    # P(T=1) = 1/3, P(T=2) = 1/6, S(2) = 1/2
    renewals, active, customers = sbg.renewals_from_survivors([10, 6, 4])
    assert renewals.tolist() == [0, 1, 2] and active.tolist() == [False, False, True]
    assert customers.tolist() == [4, 2, 4]
    ll = sbg.loglik(1.0, 2.0, renewals, active) @ customers
    assert ll == pytest.approx(4 * math.log(1 / 3) + 2 * math.log(1 / 6) + 4 * math.log(1 / 2), rel=1e-14)


def test_sbg_curves_by_hand_for_alpha_1_beta_2():
    f = _fit(1.0, 2.0)
    t = np.arange(0, 6)
    np.testing.assert_allclose(sbg.survival(f, t), 2.0 / (2.0 + t), rtol=1e-14)  # B(1, 2+t)/B(1, 2)
    np.testing.assert_allclose(sbg.retention(f, t[1:]), (1.0 + t[1:]) / (2.0 + t[1:]), rtol=1e-15)
    np.testing.assert_allclose(sbg.churn_probability(f, t[1:]), 2.0 / ((1.0 + t[1:]) * (2.0 + t[1:])), rtol=1e-14)
    assert f.mean_cancellation == pytest.approx(1 / 3)
    assert sbg.survival(f, 3)[()] == pytest.approx(0.4)


def _derl_by_integration(alpha: float, beta: float, n: int, d: float) -> float:
    """E over theta ~ Beta(alpha, beta+n) of sum_k>=0 (1-theta)^(k+1) / (1+d)^k, the geometric sum
    summed in closed form and theta integrated by Gauss-Jacobi quadrature."""
    z, wz = special.roots_jacobi(400, beta + n - 1.0, alpha - 1.0)  # (1-z)^(beta+n-1) (1+z)^(alpha-1)
    theta = (1.0 + z) / 2.0
    keep = 1.0 - theta
    value = keep / (1.0 - keep / (1.0 + d))
    return float(wz @ value / (2.0 ** (alpha + beta + n - 1.0) * special.beta(alpha, beta + n)))


@pytest.mark.parametrize(("alpha", "beta", "d"), [(0.704, 1.182, 0.1), (0.668, 3.806, 0.1), (3.8, 15.2, 0.01),
                                                    (0.7, 1.2, 0.01)])
def test_sbg_derl_equals_the_discounted_payments_expected_from_the_posterior(alpha, beta, d):
    f = _fit(alpha, beta)
    n = np.array([0, 1, 4, 10])
    expected = [_derl_by_integration(alpha, beta, k, d) for k in n]
    np.testing.assert_allclose(sbg.derl(f, n, d), expected, rtol=1e-9)
    # a new customer: her first payment now, then a customer with 0 renewals one period later
    assert sbg.discounted_expected_lifetime(f, d) == pytest.approx(1.0 + sbg.derl(f, 0, d) / (1.0 + d), rel=1e-12)


def test_sbg_derl_rises_with_renewals_and_without_discounting_is_the_mean_residual_lifetime():
    f = sbg.fit_survivors(REGULAR)
    values = sbg.derl(f, np.arange(0, 8), 0.1)
    assert (np.diff(values) > 0).all()  # the longer a customer has stayed, the more she is worth
    g = _fit(2.5, 4.0)
    # d = 0: E[(1 - theta)/theta] under Beta(2.5, 4 + n) = (beta + n)/(alpha - 1)
    np.testing.assert_allclose(sbg.derl(g, [0, 3], 0.0), [4.0 / 1.5, 7.0 / 1.5], rtol=1e-12)


def test_sbg_from_contract_lines_counts_renewals_by_the_calendar():
    start = ["2020-01-31", "2020-01-31", "2020-03-01", "2021-05-05", "2019-04-01"]
    end = ["2020-02-29", None, "2021-03-01", "NaT", "2022-04-02"]
    renewals, active = sbg.renewals_from_contracts(start, end, as_of="2022-06-30", period_months=1)
    # 31 Jan renews on 29 Feb: the end that day comes before that renewal; 29 renewals to 30 Jun 2022;
    # 11 monthly renewals before 1 Mar 2021; 13 to 5 Jun 2022; 36, the last on 1 Apr 2022
    assert renewals.tolist() == [0, 29, 11, 13, 36]
    assert active.tolist() == [False, True, False, True, False]
    yearly, active = sbg.renewals_from_contracts(["2020-04-01"] * 5,
                                                 ["2021-04-01", "2021-03-31", "2021-04-02", None, "2030-01-01"],
                                                 as_of="2022-04-01", period_months=12)
    assert yearly.tolist() == [0, 0, 1, 2, 2] and active.tolist() == [False, False, False, True, True]


def test_sbg_fit_from_contract_lines_equals_the_fit_from_the_survivors_table():
    # the regular cohort as 1000 yearly contracts started on 1 April 2000, seen on 1 April 2007
    lost = -np.diff(REGULAR)
    years = np.repeat(np.arange(1, 8), lost)  # cancelled at the end of year t
    start = np.full(1000, np.datetime64("2000-04-01"))
    end = np.full(1000, np.datetime64("NaT"), dtype="datetime64[D]")
    end[: years.size] = [np.datetime64(f"{2000 + t}-04-01") for t in years]
    renewals, active = sbg.renewals_from_contracts(start, end, as_of="2007-04-01", period_months=12)
    assert int(active.sum()) == 241
    f = sbg.fit(renewals, active)
    g = sbg.fit_survivors(REGULAR)
    assert (f.alpha, f.beta) == pytest.approx((g.alpha, g.beta), rel=1e-9)
    assert f.loglik == pytest.approx(g.loglik, abs=1e-8)


def test_sbg_fits_a_million_simulated_contracts():
    renewals, active = sbg.simulate(1_000_000, 0.7, 1.2, max_periods=24, seed=7)
    f = sbg.fit(renewals, active)
    assert f.n_customers == 1_000_000
    assert abs(f.alpha - 0.7) < 3.5 * f.stderr["alpha"] and abs(f.beta - 1.2) < 3.5 * f.stderr["beta"]


@pytest.mark.parametrize(("call", "key_words", "row"), [
    (lambda: sbg.fit_survivors([1000, 631, 700]), "go up from one period to the next (631 → 700)", 4),
    (lambda: sbg.fit_survivors([1000]), "at least two periods", None),
    (lambda: sbg.fit_survivors([0, 0, 0]), "The first period has 0 customers", 2),
    (lambda: sbg.fit_survivors([1000, 900, 800], periods=[0, 1, 3]), 'before period "3"', 4),
    (lambda: sbg.fit_survivors([1000, 631.5, 400]), "must be a whole number", None),
    (lambda: sbg.fit_survivors([1000, 1000, 1000]), "Nobody cancelled", None),
    (lambda: sbg.fit_survivors([1000, 631]), "does not pin down the tendency to cancel", None),
    (lambda: sbg.renewals_from_contracts(["2021-01-01", "2022-05-01"], [None, None], as_of="2022-01-01"),
     "starts after the as-of date", 2),
    (lambda: sbg.renewals_from_contracts(["2021-01-01"], ["2020-01-01"], as_of="2022-01-01", row_numbers=[17]),
     "ends before it starts", 17),
    (lambda: sbg.renewals_from_contracts(["someday"], [None], as_of="2022-01-01"), "cannot be read as dates", None),
    (lambda: sbg.renewals_from_contracts(["2021-01-01"], [None], as_of="2022-01-01", period_months=0),
     "whole number from 1 to 120", None),
    (lambda: sbg.derl(_fit(0.7, 1.2), 2, 0.0), "expected lifetime is infinite", None),
    (lambda: sbg.derl(_fit(0.7, 1.2), 2, -0.1), "discount rate", None),
    (lambda: sbg.survival(_fit(0.7, 1.2), -1), "0 or more", None),
])
def test_sbg_explains_what_is_wrong(call, key_words, row):
    with pytest.raises(LoyaltyError) as err:
        call()
    assert key_words in err.value.en
    assert err.value.row == row
    assert err.value.ja and err.value.ja != err.value.en
