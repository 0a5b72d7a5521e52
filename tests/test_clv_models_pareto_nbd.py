"""Tests of loyalty.clv_models.pareto_nbd on hand-made customers, checked by independent means.

The likelihood of one customer is the expectation, over lambda ~ Gamma(r, alpha) and
mu ~ Gamma(s, beta), of her individual likelihood

    lambda^x e^-(lambda+mu) T + lambda^x mu/(lambda+mu) (e^-(lambda+mu) t_x - e^-(lambda+mu) T)

(alive at T, or died between t_x and T; Schmittlein et al. 1987); the tests integrate it
numerically (tensor Gauss-generalised-Laguerre quadrature, whose weight is the gamma
density itself) and compare with the module's closed form.
CDNOW figures are in tests/test_clv_models_cdnow.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special

from loyalty.clv_models import _hyp, pareto_nbd
from loyalty.clv_models.pareto_nbd import ParetoNBDFit
from loyalty.errors import LoyaltyError


def _expect(f, r, alpha, s, beta, nodes: int = 120) -> float:
    """E f(lambda, mu) over lambda ~ Gamma(r, rate alpha), mu ~ Gamma(s, rate beta).

    Gauss-generalised-Laguerre quadrature: int u^(k-1) e^-u h(u) du = sum w_i h(u_i), so
    E h(lambda) = sum w_i h(u_i / alpha) / G(r); 120 nodes per axis agree with 80 and 200
    to 1e-14 on the cases below.
    """
    u, wu = special.roots_genlaguerre(nodes, r - 1.0)
    v, wv = special.roots_genlaguerre(nodes, s - 1.0)
    values = f(u[:, None] / alpha, v[None, :] / beta)
    return float(np.einsum("i,ij,j->", wu, values, wv) / (special.gamma(r) * special.gamma(s)))


def _individual(x, tx, T):
    def f(lam, mu):
        k = lam + mu
        return lam**x * (np.exp(-k * T) + mu / k * (np.exp(-k * tx) - np.exp(-k * T)))
    return f


def _fit(r, alpha, s, beta) -> ParetoNBDFit:
    return ParetoNBDFit(r=r, alpha=alpha, s=s, beta=beta, loglik=float("nan"), n_customers=0.0)


CASES = [  # (r, alpha, s, beta), (x, t_x, T)
    ((0.8, 5.0, 1.3, 9.0), (2, 4.5, 10.0)),
    ((0.8, 5.0, 1.3, 9.0), (0, 0.0, 7.0)),
    ((1.7, 12.0, 0.4, 3.0), (5, 20.0, 26.0)),  # alpha > beta: the other form of F
]


@pytest.mark.parametrize(("params", "customer"), CASES)
def test_pareto_nbd_likelihood_of_one_customer_equals_double_integration(params, customer):
    expected = math.log(_expect(_individual(*customer), *params))
    got = pareto_nbd.loglik(*params, *customer)
    assert got.shape == (1,)
    assert got[0] == pytest.approx(expected, abs=1e-12)


def test_pareto_nbd_p_alive_is_the_alive_share_of_the_likelihood():
    (r, alpha, s, beta), (x, tx, T) = CASES[0]
    total = _expect(_individual(x, tx, T), r, alpha, s, beta)
    alive = _expect(lambda lam, mu: lam**x * np.exp(-(lam + mu) * T), r, alpha, s, beta)
    assert pareto_nbd.probability_alive(_fit(r, alpha, s, beta), x, tx, T) == pytest.approx(alive / total, rel=1e-12)


def test_pareto_nbd_expected_purchases_equal_their_posterior_expectation_by_integration():
    (r, alpha, s, beta), (x, tx, T) = CASES[0]
    t = 13.0
    total = _expect(_individual(x, tx, T), r, alpha, s, beta)
    # alive at T, then lambda/mu (1 - e^-mu t) purchases expected before dying or t ends
    future = _expect(lambda lam, mu: lam**x * np.exp(-(lam + mu) * T) * lam / mu * -np.expm1(-mu * t),
                     r, alpha, s, beta)
    got = pareto_nbd.expected_purchases(_fit(r, alpha, s, beta), t, x, tx, T)
    assert isinstance(got, float)
    assert got == pytest.approx(future / total, rel=1e-11)


def test_pareto_nbd_expected_purchases_are_continuous_at_s_equal_to_one_and_start_at_the_alive_rate():
    f = _fit(0.8, 5.0, 1.0, 9.0)
    at_one = pareto_nbd.expected_purchases(f, 10.0, 3, 6.0, 12.0)
    near = [pareto_nbd.expected_purchases(_fit(0.8, 5.0, 1.0 + d, 9.0), 10.0, 3, 6.0, 12.0) for d in (-1e-6, 1e-6)]
    assert at_one == pytest.approx(sum(near) / 2, rel=1e-11)
    # for a short horizon: t * E(lambda | alive) * P(alive) = t (r+x)/(alpha+T) P(alive)
    p = pareto_nbd.probability_alive(f, 3, 6.0, 12.0)
    assert pareto_nbd.expected_purchases(f, 1e-6, 3, 6.0, 12.0) / 1e-6 == pytest.approx(3.8 / 17.0 * p, rel=1e-6)
    assert pareto_nbd.expected_purchases(f, 0.0, 3, 6.0, 12.0) == 0.0


def test_pareto_nbd_predictions_keep_the_callers_shape():
    f = _fit(0.8, 5.0, 1.3, 9.0)
    assert isinstance(pareto_nbd.probability_alive(f, 1, 2.0, 5.0), float)
    grid = pareto_nbd.probability_alive(f, np.array([[0], [3]]), np.array([[0.0], [4.0]]), np.array([5.0, 9.0, 20.0]))
    assert grid.shape == (2, 3)
    assert grid[0, 0] == pareto_nbd.probability_alive(f, 0, 0.0, 5.0)


def _series(b: float, a1: float, w: float) -> float:
    """2F1(1, b; a1; w) summed term by term in float (all terms positive), in chunks."""
    total, log_term, n0 = 1.0, 0.0, 0
    while True:
        n = np.arange(n0, n0 + 100_000, dtype=float)
        logs = log_term + np.cumsum(np.log((b + n) / (a1 + n) * w))
        total += float(np.exp(logs).sum())
        log_term, n0 = float(logs[-1]), n0 + 100_000
        if math.exp(log_term) < 1e-18 * total:
            return total


@pytest.mark.parametrize(("m", "b", "y"), [
    (0.3, 1.6, 0.05),        # scipy
    (0.3, 200.0, 1e-4),      # scipy returns NaN here: the continued fraction
    (5.0, 195.7, 5.9e-3),    # scipy returns inf here: the continued fraction
    (-0.6, 1.2, 1e-5),       # connection formula, Q grows like y^m
    (7.5, 1.6, 1e-4),        # connection formula
    (3.0, 1.6, 1e-4),        # integer m: interpolated connection formula
    (-0.0005, 2.58, 6e-5),   # m just below 0: interpolated
    (107.3, 1.2, 0.098),     # large m, just above w = 0.9: scipy
])
def test_q_agrees_with_its_positive_series_in_every_method(m, b, y):
    a1 = b + m + 1.0
    arr = lambda v: np.array([v], dtype=float)  # noqa: E731
    method = _hyp.method(arr(a1 - 1.0), arr(b), arr(1.0 - y), arr(y))
    got = _hyp.q(arr(b), arr(a1), arr(1.0 - y), arr(y), method)[0]
    assert got == pytest.approx(_series(b, a1, 1.0 - y), rel=5e-11)


@pytest.mark.parametrize("params", [
    (0.82, 9.98, 0.0004, 15000.0),  # a ridge: beta >> alpha, s -> 0
    (1.0, 9.98, 1.0, 3000.0),       # integer m at high w (scipy's NaN case)
    (2.0, 3000.0, 1.0, 9.98),       # alpha >> beta
    (0.3, 1e4, 0.05, 1.0),
])
@pytest.mark.parametrize("customer", [(0, 0.0, 7.0), (1, 0.1, 0.2), (30, 40.0, 53.3), (108, 50.0, 53.3)])
def test_pareto_nbd_log_likelihood_equals_its_integral_form_when_alpha_and_beta_are_far_apart(params, customer):
    r, alpha, s, beta = params
    x, tx, T = customer
    # ln L = ln C + ln[(alpha+T)^-(r+x) (beta+T)^-s + s * int_tx^T (alpha+u)^-(r+x) (beta+u)^-(s+1) du],
    # all scaled by g(T) so nothing underflows
    lg = lambda u: -(r + x) * math.log(alpha + u) - (s + 1) * math.log(beta + u)  # noqa: E731
    died, _ = integrate.quad(lambda u: math.exp(lg(u) - lg(T)), tx, T, epsabs=0.0, epsrel=1e-12, limit=500)
    alive = beta + T  # (alpha+T)^-(r+x) (beta+T)^-s / g(T)
    lnc = special.gammaln(r + x) - special.gammaln(r) + r * math.log(alpha) + s * math.log(beta)
    expected = lnc + lg(T) + math.log(alive + s * died)
    assert pareto_nbd.loglik(r, alpha, s, beta, x, tx, T)[0] == pytest.approx(expected, abs=1e-9)


def _data(x, tx, T):
    x, tx, T = (np.asarray(v, dtype=float) for v in (x, tx, T))
    return pareto_nbd._prepare(x, tx, T, np.ones_like(x))[0]


@pytest.mark.parametrize(("params", "penalizer"), [
    ((0.7, 9.0, 0.5, 13.0), 0.0),          # alpha < beta
    ((0.7, 13.0, 0.5, 9.0), 0.0),          # alpha > beta
    ((0.82, 9.98, 0.0004, 15000.0), 0.0),  # connection formula
    ((1.0, 9.98, 1.0, 3000.0), 0.01),      # interpolated formula, with a penalty
])
def test_pareto_nbd_gradient_matches_finite_differences(params, penalizer):
    sim = pareto_nbd.simulate(3000, 0.6, 8.0, 0.7, 10.0, max_T=40.0, seed=3)
    d = _data(sim["frequency"], sim["recency"], sim["T"])
    p = np.log(params)
    grad = pareto_nbd._objective(p, d, penalizer)[1]
    h = 1e-5
    f = lambda q: pareto_nbd._objective(q, d, penalizer)[0]  # noqa: E731
    numeric = [(-f(p + 2 * e) + 8 * f(p + e) - 8 * f(p - e) + f(p - 2 * e)) / (12 * h) for e in np.eye(4) * h]
    np.testing.assert_allclose(grad, numeric, rtol=0, atol=1e-8)


@pytest.mark.slow
def test_pareto_nbd_recovers_the_parameters_it_simulated_from():
    true = {"r": 0.55, "alpha": 10.6, "s": 0.6, "beta": 11.7}
    sim = pareto_nbd.simulate(200_000, *true.values(), max_T=78.0, seed=11)
    f = pareto_nbd.fit(sim["frequency"], sim["recency"], sim["T"], time_unit="weeks")
    for name, value in true.items():
        assert abs(getattr(f, name) - value) < 3.5 * f.stderr[name], name
    assert f.n_customers == 200_000 and f.n_groups < 200_000


def test_pareto_nbd_refuses_data_in_which_nobody_seems_to_leave_until_penalised():
    # mu ~ Gamma(0.6, rate 1e6): nobody leaves within 40 weeks, so s and beta run off
    sim = pareto_nbd.simulate(4000, 0.6, 8.0, 0.6, 1e6, max_T=40.0, seed=5)
    with pytest.raises(LoyaltyError) as err:
        pareto_nbd.fit(sim["frequency"], sim["recency"], sim["T"])
    assert err.value.field == "penalizer"
    assert "離脱のしやすさのばらつき" in err.value.ja and "penalizer" in err.value.ja
    assert "spread of drop-out rates (parameters s, beta run off" in err.value.en
    # the penalty pulls log(s), log(beta) towards 0 and so invents some drop-out
    f = pareto_nbd.fit(sim["frequency"], sim["recency"], sim["T"], penalizer=0.01)
    assert f.penalizer == 0.01 and f.s < 0.6 and f.beta < 1e3


@pytest.mark.parametrize(("kwargs", "column", "words"), [
    ({"frequency": [1] * 9, "recency": [1.0] * 9, "T": [2.0] * 9}, None, "only 9 customers"),
    ({"frequency": [0] * 12, "recency": [0.0] * 12, "T": [3.0] * 12}, None, "Nobody bought twice"),
    ({"frequency": [1] * 12, "recency": [5.0] * 12, "T": [3.0] * 12}, "recency", "longer than the observation"),
    ({"frequency": [0] * 12, "recency": [1.0] * 12, "T": [3.0] * 12}, "recency", "not 0 for a customer"),
    ({"frequency": [1.5] * 12, "recency": [1.0] * 12, "T": [3.0] * 12}, "frequency", "whole number"),
    ({"frequency": [1] * 12, "recency": [1.0] * 11 + [float("nan")], "T": [3.0] * 12}, "recency", "non-numeric"),
    ({"frequency": [1] * 12, "recency": [1.0] * 12, "T": [3.0] * 11}, "recency, T", "as many rows"),
])
def test_pareto_nbd_explains_what_is_wrong_with_a_summary(kwargs, column, words):
    with pytest.raises(LoyaltyError) as err:
        pareto_nbd.fit(**kwargs)
    assert err.value.column == column
    assert words in err.value.en
    assert err.value.ja  # the Japanese message is there too


def test_pareto_nbd_checks_its_settings():
    sim = pareto_nbd.simulate(500, 0.6, 8.0, 0.7, 10.0, max_T=40.0, seed=1)
    args = (sim["frequency"], sim["recency"], sim["T"])
    with pytest.raises(LoyaltyError, match="penalizer") as err:
        pareto_nbd.fit(*args, penalizer=-1)
    assert err.value.field == "penalizer"
    with pytest.raises(LoyaltyError) as err:
        pareto_nbd.fit(*args, time_unit="months")
    assert '"months"' in err.value.en and err.value.field == "time_unit"
    with pytest.raises(LoyaltyError) as err:
        pareto_nbd.fit(*args, weights=[-1.0] * 500)
    assert err.value.column == "weights"
    with pytest.raises(LoyaltyError) as err:
        pareto_nbd.expected_purchases(_fit(0.8, 5.0, 1.3, 9.0), -1, 1, 1.0, 2.0)
    assert err.value.field == "t"


def test_pareto_nbd_weights_count_customers_and_zero_weights_drop_rows():
    sim = pareto_nbd.simulate(3000, 0.6, 8.0, 0.7, 10.0, max_T=40.0, seed=2)
    once = pareto_nbd.fit(sim["frequency"], sim["recency"], sim["T"])
    x = np.concatenate([sim["frequency"], sim["frequency"], [1]])
    tx = np.concatenate([sim["recency"], sim["recency"], [99.0]])  # an invalid row, weight 0
    T = np.concatenate([sim["T"], sim["T"], [1.0]])
    w = np.concatenate([np.full(3000, 0.5), np.full(3000, 0.5), [0.0]])
    halves = pareto_nbd.fit(x, tx, T, weights=w)
    assert halves.n_customers == 3000
    assert halves.loglik == pytest.approx(once.loglik, abs=1e-7)
    # the same maximum; s and beta are its flattest direction (standard errors 10x r's)
    np.testing.assert_allclose([halves.r, halves.alpha, halves.s, halves.beta],
                               [once.r, once.alpha, once.s, once.beta], rtol=1e-6)
