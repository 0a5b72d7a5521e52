"""Tests of loyalty.clv_models.mbgnbd on hand-made customers, checked by independent means.

The likelihood of one customer is the expectation, over lambda ~ Gamma(r, alpha) and
p ~ Beta(a, b), of her individual likelihood in the MBG/NBD story (Batislam, Denizel &
Filiztekin 2007): she may leave right after the first purchase and after each repeat one,

    lambda^x e^(-lambda T) (1-p)^(x+1) + lambda^x e^(-lambda t_x) (1-p)^x p.

The tests integrate it numerically (Gauss-generalised-Laguerre over lambda, Gauss-Jacobi
over p: the quadrature weights are the two prior densities) and compare with the module's
closed forms.  CDNOW and lifetimes figures are in tests/test_clv_models_cdnow.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

from loyalty.clv_models import mbgnbd
from loyalty.clv_models.mbgnbd import MBGNBDFit
from loyalty.errors import LoyaltyError


def _expect(f, r, alpha, a, b, nodes: int = 120) -> float:
    """E f(lambda, p) over lambda ~ Gamma(r, rate alpha), p ~ Beta(a, b), by quadrature.

    Laguerre: int u^(r-1) e^-u h(u) du = sum w_i h(u_i); Jacobi on [-1, 1] with weight
    (1-z)^(b-1) (1+z)^(a-1) and p = (1+z)/2.
    """
    u, wu = special.roots_genlaguerre(nodes, r - 1.0)
    z, wz = special.roots_jacobi(nodes, b - 1.0, a - 1.0)
    values = f(u[:, None] / alpha, (1.0 + z[None, :]) / 2.0)
    norm = special.gamma(r) * 2.0 ** (a + b - 1.0) * special.beta(a, b)
    return float(np.einsum("i,ij,j->", wu, values, wz) / norm)


def _individual(x, tx, T):
    return lambda lam, p: lam**x * (np.exp(-lam * T) * (1 - p) ** (x + 1) + np.exp(-lam * tx) * (1 - p) ** x * p)


def _fit(r, alpha, a, b) -> MBGNBDFit:
    return MBGNBDFit(r=r, alpha=alpha, a=a, b=b, loglik=float("nan"), n_customers=0.0)


CASES = [  # (r, alpha, a, b), (x, t_x, T)
    ((0.8, 5.0, 1.3, 2.5), (2, 4.5, 10.0)),
    ((0.8, 5.0, 1.3, 2.5), (0, 0.0, 7.0)),
    ((1.7, 12.0, 0.6, 3.0), (5, 20.0, 26.0)),
]


@pytest.mark.parametrize(("params", "customer"), CASES)
def test_mbgnbd_likelihood_of_one_customer_equals_numerical_integration(params, customer):
    expected = math.log(_expect(_individual(*customer), *params))
    assert mbgnbd.loglik(*params, *customer)[0] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(("params", "customer"), CASES)
def test_mbgnbd_p_alive_is_the_alive_share_of_the_likelihood(params, customer):
    x, tx, T = customer
    total = _expect(_individual(*customer), *params)
    alive = _expect(lambda lam, p: lam**x * np.exp(-lam * T) * (1 - p) ** (x + 1), *params)
    assert mbgnbd.probability_alive(_fit(*params), x, tx, T) == pytest.approx(alive / total, rel=1e-12)


def test_mbgnbd_p_alive_of_one_time_buyers_is_below_one_and_falls_with_time():
    f = _fit(0.8, 5.0, 1.3, 2.5)
    p = mbgnbd.probability_alive(f, 0, 0.0, np.array([1.0, 5.0, 20.0, 80.0]))
    assert (p < 1.0).all() and (np.diff(p) < 0).all()
    # x = 0: 1 / (1 + a/b (1 + T/alpha)^r), by hand
    assert p[1] == pytest.approx(1.0 / (1.0 + 1.3 / 2.5 * 2.0**0.8), rel=1e-15)


def test_mbgnbd_expected_purchases_equal_their_posterior_expectation_by_integration():
    (r, alpha, a, b), (x, tx, T) = CASES[0]
    t = 13.0
    total = _expect(_individual(x, tx, T), r, alpha, a, b)
    # alive at T, then (1 - e^(-lambda p t)) / p purchases expected (she may leave after each)
    future = _expect(lambda lam, p: lam**x * np.exp(-lam * T) * (1 - p) ** (x + 1) * -np.expm1(-lam * p * t) / p,
                     r, alpha, a, b)
    got = mbgnbd.expected_purchases(_fit(r, alpha, a, b), t, x, tx, T)
    assert got == pytest.approx(future / total, rel=1e-10)


def test_mbgnbd_expected_purchases_are_continuous_at_a_equal_to_one():
    at_one = mbgnbd.expected_purchases(_fit(0.8, 5.0, 1.0, 2.5), 10.0, 3, 6.0, 12.0)
    near = [mbgnbd.expected_purchases(_fit(0.8, 5.0, 1.0 + d, 2.5), 10.0, 3, 6.0, 12.0) for d in (-1e-4, 1e-4)]
    assert at_one == pytest.approx(sum(near) / 2, rel=1e-8)
    assert mbgnbd.expected_purchases(_fit(0.8, 5.0, 1.0, 2.5), 0.0, 3, 6.0, 12.0) == 0.0


@pytest.mark.parametrize(("params", "penalizer"), [((0.7, 9.0, 0.5, 3.0), 0.0), ((0.3, 3.0, 1.5, 0.8), 0.01)])
def test_mbgnbd_gradient_matches_finite_differences(params, penalizer):
    from loyalty.clv_models import _fitting

    sim = mbgnbd.simulate(3000, 0.6, 8.0, 0.9, 2.0, max_T=40.0, seed=3)
    g = _fitting.group((sim["frequency"].astype(float), sim["recency"], sim["T"]), np.ones(3000))
    p = np.log(params)
    grad = mbgnbd._objective(p, g, penalizer)[1]
    h = 1e-5
    f = lambda q: mbgnbd._objective(q, g, penalizer)[0]  # noqa: E731
    numeric = [(-f(p + 2 * e) + 8 * f(p + e) - 8 * f(p - e) + f(p - 2 * e)) / (12 * h) for e in np.eye(4) * h]
    np.testing.assert_allclose(grad, numeric, rtol=0, atol=1e-8)


@pytest.mark.slow
def test_mbgnbd_recovers_the_parameters_it_simulated_from():
    true = {"r": 0.52, "alpha": 6.2, "a": 0.9, "b": 1.6}
    sim = mbgnbd.simulate(200_000, *true.values(), max_T=78.0, seed=12)
    f = mbgnbd.fit(sim["frequency"], sim["recency"], sim["T"], time_unit="weeks")
    for name, value in true.items():
        assert abs(getattr(f, name) - value) < 3.5 * f.stderr[name], name
    assert f.time_unit == "weeks"
    assert f.params() == {"r": f.r, "alpha": f.alpha, "a": f.a, "b": f.b, "loglik": f.loglik}


def test_mbgnbd_refuses_data_in_which_nobody_seems_to_leave():
    sim = mbgnbd.simulate(4000, 0.6, 8.0, 0.001, 50.0, max_T=40.0, seed=5)  # p about 2e-5
    with pytest.raises(LoyaltyError) as err:
        mbgnbd.fit(sim["frequency"], sim["recency"], sim["T"])
    assert "tendency to drop out" in err.value.en and "離脱のしやすさ" in err.value.ja
    assert err.value.field == "penalizer"


def test_mbgnbd_explains_what_is_wrong_with_a_summary():
    with pytest.raises(LoyaltyError) as err:
        mbgnbd.fit([0] * 20, [0.0] * 20, [4.0] * 20)
    assert "Nobody bought twice" in err.value.en and "MBG/NBD" in err.value.en
    with pytest.raises(LoyaltyError) as err:
        mbgnbd.fit([2] * 20, [3.0] * 20, [-1.0] * 20)
    assert err.value.column == "recency"
