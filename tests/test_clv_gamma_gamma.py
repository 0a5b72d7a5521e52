"""Tests of loyalty.clv.gamma_gamma: the spend model.

Golden figures: Fader & Hardie (2013), "The Gamma-Gamma model of monetary value"
(CDNOW, 946 repeat buyers: p = 6.25, q = 3.74, gamma = 15.44)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special

from loyalty import clv
from loyalty.clv import fitting, gamma_gamma
from tests.fixtures_clv import cdnow_gg, cdnow_summary, cdnow_tx  # noqa: F401 (fixtures)



def test_gamma_gamma_params_close_to_Fader_Hardie_2013(cdnow_gg: clv.GammaGammaFit) -> None:
    fit = cdnow_gg
    assert fit.p == pytest.approx(6.25, rel=0.02)
    assert fit.q == pytest.approx(3.74, rel=0.02)
    assert fit.gamma == pytest.approx(15.44, rel=0.02)
    assert fit.n_customers == 946
    # the note's population mean spend per transaction, p * gamma / (q - 1)
    assert fit.population_mean_value == pytest.approx(6.25 * 15.44 / 2.74, rel=0.02)

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
    g = fitting.group(x, m)
    err = optimize.check_grad(
        lambda p: gamma_gamma._objective(p, g, 0.01)[0], lambda p: gamma_gamma._objective(p, g, 0.01)[1],
        np.log([2.0, 3.0, 10.0]), epsilon=1e-6,
    )
    assert err < 1e-5

def test_expected_average_value_shrinks_towards_population_mean(cdnow_gg: clv.GammaGammaFit) -> None:
    gg = cdnow_gg
    pop = gg.population_mean_value
    assert clv.expected_average_value(gg, 0, 123.0) == pytest.approx(pop)
    v = clv.expected_average_value(gg, np.array([1, 5, 50, 5000]), np.full(4, 100.0))
    assert np.all(np.diff(v) > 0) and v[0] > pop and v[-1] == pytest.approx(100.0, rel=1e-2)
    weight = gg.p * 5 / (gg.p * 5 + gg.q - 1)
    assert v[1] == pytest.approx(weight * 100.0 + (1 - weight) * pop)
