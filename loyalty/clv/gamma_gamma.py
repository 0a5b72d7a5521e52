"""The Gamma-Gamma model of spend per transaction, fitted and used for expected value.

Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for Customer Base
Analysis", *Journal of Marketing Research* 42(4), 415-430, as written up in Fader, P. S.
& Hardie, B. G. S. (2013), "The Gamma-Gamma Model of Monetary Value" (note).

Notation (paper -> here): x -> ``frequency`` (repeat purchases), m_x (z-bar) ->
``monetary_value`` (mean net amount of the repeat purchase days); p, q, gamma ->
``GammaGammaFit.p``, ``.q``, ``.gamma``: spend ~ Gamma(p, nu), nu ~ Gamma(q, gamma).
gamma is in currency units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from loyalty.clv.common import as_float_array, check_penalizer, like, summary_arrays
from loyalty.clv.fitting import Groups, fit_log_params, group
from loyalty.i18n import error

#: Fewer repeat buyers (x > 0) than this and the Gamma-Gamma fit is refused.
MIN_REPEAT_BUYERS_GAMMA_GAMMA: int = 10

#: The parameters, in the order of the optimiser's vector.
PARAMS: tuple[str, ...] = ("p", "q", "gamma")


@dataclass(frozen=True)
class GammaGammaFit:
    """A fitted Gamma-Gamma spend model (Fader & Hardie 2013).

    Attributes:
        p: shape of the gamma distribution of a single transaction's value (paper: p).
        q: shape of the gamma distribution of the customers' scale nu (paper: q).
        gamma: rate of that distribution, in currency units (paper: gamma).
        loglik: the maximised log-likelihood of the customers' mean spends.
        n_customers: number of repeat buyers fitted (x > 0, monetary_value > 0).
        frequency_monetary_corr: Pearson correlation between x and m_x among those buyers.
            The model assumes spend is independent of frequency; a value far from 0
            (say beyond +/-0.3) means its forecasts should be read with care.
        converged: True (a fit that does not converge raises instead).
        message: the optimiser's own words.
        stderr: approximate standard errors of p, q, gamma (observed information).
    """

    p: float
    q: float
    gamma: float
    loglik: float
    n_customers: int
    frequency_monetary_corr: float = float("nan")
    converged: bool = True
    message: str = ""
    stderr: dict[str, float] = field(default_factory=dict)

    def params(self) -> dict[str, float]:
        """``{"p", "q", "gamma"}`` as plain floats."""
        return {"p": float(self.p), "q": float(self.q), "gamma": float(self.gamma)}

    @property
    def population_mean_value(self) -> float:
        """E(value of a transaction) over all customers: p * gamma / (q - 1), NaN if q <= 1."""
        return self.p * self.gamma / (self.q - 1.0) if self.q > 1.0 else float("nan")


def _objective(log_params: np.ndarray, g: Groups, penalizer: float) -> tuple[float, np.ndarray, float]:
    """Mean negative log-likelihood of the Gamma-Gamma model and its gradient.

    The density of a customer's mean spend m over x transactions (Fader & Hardie 2013):

        ll = ln G(px+q) - ln G(px) - ln G(q) + q ln gamma + (px-1) ln m + px ln x
             - (px+q) ln(gamma + m x).

    Returns:
        (objective, gradient, total log-likelihood without penalty).
    """
    p, q, gam = np.exp(log_params)
    xu, mu = g.values
    cx, cm = g.codes
    w = g.weight
    n = w.sum()

    pxu = p * xu
    lnx_u = np.log(xu)
    c_u = special.gammaln(pxu + q) - special.gammaln(pxu) - special.gammaln(q) + q * math.log(gam) + pxu * lnx_u
    psi_pxq = special.digamma(pxu + q)
    dp_u = xu * (psi_pxq - special.digamma(pxu) + lnx_u)
    dq_u = psi_pxq - special.digamma(q) + math.log(gam)
    lnm_u = np.log(mu)

    x = xu[cx]
    px = p * x
    m = mu[cm]
    lden = np.log(gam + m * x)
    lnm = lnm_u[cm]
    Wx = g.totals[0]
    wpxq = w * (px + q)
    loglik = float(Wx @ c_u + (w * (px - 1.0)) @ lnm - wpxq @ lden)

    wx = w * x
    d_p = Wx @ dp_u + wx @ (lnm - lden)
    d_q = Wx @ dq_u - w @ lden
    d_g = n * q / gam - wpxq @ (1.0 / (gam + m * x))
    grad_ll = np.array([d_p * p, d_q * q, d_g * gam])
    obj = -loglik / n + penalizer * float(log_params @ log_params)
    grad = -grad_ll / n + 2.0 * penalizer * log_params
    return obj, grad, loglik


def gamma_gamma_loglik(p: float, q: float, gamma: float, frequency: Any, monetary_value: Any) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood of the mean spend (Fader & Hardie 2013).

    Args:
        p, q, gamma: model parameters (paper notation).
        frequency: x > 0, number of transactions the mean is over.
        monetary_value: m_x > 0, the customer's mean transaction value.

    Returns:
        ndarray of log-densities, one per customer.
    """
    x = as_float_array(frequency)
    m = as_float_array(monetary_value)
    return (
        special.gammaln(p * x + q) - special.gammaln(p * x) - special.gammaln(q)
        + q * np.log(gamma) + (p * x - 1.0) * np.log(m) + p * x * np.log(x)
        - (p * x + q) * np.log(gamma + m * x)
    )


def fit_gamma_gamma(summary: pd.DataFrame, penalizer: float = 0.0) -> GammaGammaFit:
    """Fit the Gamma-Gamma model of spend per transaction (Fader & Hardie 2013).

    Uses the repeat buyers only (``frequency`` x > 0 and ``monetary_value`` m_x > 0), as
    the note does: each contributes the density of their mean spend m_x over x
    transactions.  Customers with identical (x, m_x) are grouped and weighted.  The
    optimisation is over log(p, q, gamma) with L-BFGS-B and the analytic gradient.

    Args:
        summary: one row per customer with ``frequency`` (x) and ``monetary_value`` (m_x).
        penalizer: L2 coefficient on the log-parameters (>= 0), as in
            :func:`loyalty.clv.bgnbd.fit_bgnbd`.

    Returns:
        GammaGammaFit with p, q, gamma, the log-likelihood, the number of repeat buyers
        used and the frequency-spend correlation (the model assumes it is about 0).

    Raises:
        LoyaltyError: fewer than :data:`MIN_REPEAT_BUYERS_GAMMA_GAMMA` repeat buyers, or the
            fit does not converge / a parameter runs off to the edge of [1e-6, 1e6].
    """
    pen = check_penalizer(penalizer)
    x, m = summary_arrays(summary, ("frequency", "monetary_value"))
    keep = (x > 0) & (m > 0)
    x, m = x[keep], m[keep]
    n = int(x.size)
    if n < MIN_REPEAT_BUYERS_GAMMA_GAMMA:
        raise error("clv.error.too_few_repeat_buyers", n=n, least=MIN_REPEAT_BUYERS_GAMMA_GAMMA)
    g = group(x, m)
    # Start: p = 1, q = 2 and gamma such that the population mean p*gamma/(q-1) = mean spend.
    x0 = np.log(np.array([1.0, 2.0, max(float(np.mean(m)), 1e-6)]))
    logp, msg, stderr = fit_log_params(lambda pp: _objective(pp, g, pen), x0, PARAMS, float(n), "gamma_gamma")
    loglik = _objective(logp, g, pen)[2]
    p, q, gam = (float(v) for v in np.exp(logp))
    corr = float(np.corrcoef(x, m)[0, 1]) if n > 1 and x.std() > 0 and m.std() > 0 else float("nan")
    return GammaGammaFit(
        p=p, q=q, gamma=gam, loglik=float(loglik), n_customers=n,
        frequency_monetary_corr=corr, converged=True, message=msg, stderr=stderr,
    )


def require_q_above_one(gg: GammaGammaFit) -> None:
    """Refuse a fit whose expected spend does not exist.

    Raises:
        LoyaltyError: q <= 1 (a few extreme spenders dominate).
    """
    if not gg.q > 1.0:
        raise error("clv.error.q_at_most_one", q=float(gg.q))


def expected_average_value(gg: GammaGammaFit, frequency: Any, monetary_value: Any) -> Any:
    """E(M | p, q, gamma, m_x, x): expected value of a future transaction (Fader & Hardie 2013).

        E = (gamma + m_x x) p / (p x + q - 1)
          = (q-1)/(px+q-1) * p gamma/(q-1) + px/(px+q-1) * m_x,

    a weighted mean of the population mean p*gamma/(q-1) and the customer's own mean.
    For x = 0 this is the population mean (m_x is ignored).

    Args:
        gg: a fitted Gamma-Gamma model.
        frequency: x (repeat purchases).
        monetary_value: m_x (mean value of the repeat purchases).

    Returns:
        Expected transaction values: a Series (index of the first Series argument), an
        ndarray, or a float for scalars.

    Raises:
        LoyaltyError: when q <= 1 (the expectation does not exist).
    """
    require_q_above_one(gg)
    x, m = np.broadcast_arrays(as_float_array(frequency), as_float_array(monetary_value))
    m = np.where(x > 0, m, 0.0)
    out = (gg.gamma + m * x) * gg.p / (gg.p * x + gg.q - 1.0)
    return like(np.asarray(out, dtype=float), frequency, monetary_value, name="expected_avg_value")
