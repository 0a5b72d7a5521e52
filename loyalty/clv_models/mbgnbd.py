"""The MBG/NBD model of repeat buying: log-likelihood, fit, P(alive), expected purchases.

Batislam, E. P., Denizel, M. & Filiztekin, A. (2007), "Empirical validation and comparison
of models for customer base analysis", *International Journal of Research in Marketing*
24(3), 201-209 (the modified BG/NBD; also Hoppe & Wagner 2007, "Customer base analysis:
the case for a central variant of the Betageometric/NBD model").

The BG/NBD model (Fader, Hardie & Lee 2005) lets a customer leave only right after a
*repeat* purchase, so every customer without one has P(alive) = 1 however long ago she
bought.  MBG/NBD adds one more chance to leave, right after the first purchase: with
lambda ~ Gamma(r, alpha) the purchase rate and p ~ Beta(a, b) the probability of leaving
after each purchase (the first included),

    L(x, t_x, T) = B(a, b+x+1)/B(a, b) * G(r+x) alpha^r / G(r)
                   * [ (alpha+T)^-(r+x) + a/(b+x) * (alpha+t_x)^-(r+x) ],

for every x >= 0: the first term is "still alive at T" ((1-p)^(x+1) survived), the second
"left right after the last purchase" ((1-p)^x p).  Hence

    P(alive | x, t_x, T) = 1 / (1 + a/(b+x) * ((alpha+T)/(alpha+t_x))^(r+x)),

below 1 also for x = 0, and

    E[Y(t) | x, t_x, T] = (a+b+x)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x)
                          * 2F1(r+x, b+x+1; a+b+x; t/(alpha+T+t))] * P(alive),

the BG/NBD expectation (FHL 2005 eq. 10) with the posterior Beta(a, b+x+1) of p.

Notation (paper -> here)
------------------------
=============  ===========================  =============================================
paper          argument / attribute         meaning
=============  ===========================  =============================================
x              ``frequency``                repeat purchases in the calibration period
t_x            ``recency``                  time of the last purchase (first purchase = 0)
T              ``T``                        time from the first purchase to the end of the
                                            calibration period
r, alpha       ``MBGNBDFit.r``, ``.alpha``  gamma (shape, rate) of the purchase rate lambda
a, b           ``MBGNBDFit.a``, ``.b``      beta heterogeneity of the drop-out probability p
t              ``t``                        length of the forecast period
=============  ===========================  =============================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special

from loyalty.clv_models import _fitting as fit_

__all__ = ["MBGNBDFit", "loglik", "fit", "probability_alive", "expected_purchases", "simulate"]

MODEL = "mbgnbd"
_NAMES = ("r", "alpha", "a", "b")


@dataclass(frozen=True)
class MBGNBDFit:
    """A fitted MBG/NBD model.

    Attributes:
        r, alpha: shape and rate of the gamma distribution of purchase rates (paper: r, alpha).
        a, b: shapes of the beta distribution of the drop-out probability (paper: a, b).
        loglik: maximised log-likelihood summed over customers (penalty not included).
        n_customers: number of customers fitted (sum of the weights).
        n_groups: distinct (x, t_x, T) summaries the likelihood was evaluated on.
        penalizer: the L2 coefficient on the log-parameters that was used.
        time_unit: "days" or "weeks" when given, else None.
        message: the optimiser's own words, for logs.
        stderr: approximate standard errors of r, alpha, a, b (observed information).
    """

    r: float
    alpha: float
    a: float
    b: float
    loglik: float
    n_customers: float
    n_groups: int = 0
    penalizer: float = 0.0
    time_unit: str | None = None
    message: str = ""
    stderr: dict[str, float] = field(default_factory=dict)

    def params(self) -> dict[str, float]:
        """``{"r", "alpha", "a", "b", "loglik"}`` as plain floats (the CLI's JSON keys)."""
        return {"r": float(self.r), "alpha": float(self.alpha), "a": float(self.a),
                "b": float(self.b), "loglik": float(self.loglik)}


def _objective(logp: np.ndarray, g: fit_.Groups, penalizer: float) -> tuple[float, np.ndarray, float]:
    """Mean negative log-likelihood (+ L2 penalty) and its gradient in log-parameters.

    Per customer ln L = A(x) - (r+x) ln(alpha+T) + ln(1 + exp(D)) with
    A(x) = ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+x+1) - ln B(a, b) and
    D = ln a - ln(b+x) + (r+x) [ln(alpha+T) - ln(alpha+t_x)] = logit(1 - P(alive)).
    Terms in x alone are evaluated once per distinct x, terms in T or t_x once per value.

    Returns:
        (objective, gradient, total log-likelihood without penalty).
    """
    r, alpha, a, b = np.exp(logp)
    xu, txu, Tu = g.values
    cx, ctx, cT = g.codes
    w = g.weight
    n = float(w.sum())
    Wx = np.bincount(cx, weights=w, minlength=xu.size)
    WT = np.bincount(cT, weights=w, minlength=Tu.size)

    A_u = (special.gammaln(r + xu) - special.gammaln(r) + r * math.log(alpha)
           + special.betaln(a, b + xu + 1.0) - special.betaln(a, b))
    psi_ab, psi_abx = special.digamma(a + b), special.digamma(a + b + xu + 1.0)
    lT_u, ltx_u = np.log(alpha + Tu), np.log(alpha + txu)
    rx = r + np.take(xu, cx)
    lT = np.take(lT_u, cT)
    dl = lT - np.take(ltx_u, ctx)
    D = math.log(a) - np.take(np.log(b + xu), cx) + rx * dl
    softplus = np.logaddexp(0.0, D)
    q = special.expit(D)  # 1 - P(alive)
    loglik = fit_.dot(Wx, A_u) - fit_.dot(w * rx, lT) + fit_.dot(w, softplus)

    wq = w * q
    iT, itx = 1.0 / (alpha + Tu), 1.0 / (alpha + txu)
    dA_dr = special.digamma(r + xu) - special.digamma(r) + math.log(alpha)
    d_r = fit_.dot(Wx, dA_dr) - fit_.dot(WT, lT_u) + fit_.dot(wq, dl)
    d_alpha = (n * r / alpha - fit_.dot(w * rx, np.take(iT, cT))
               + fit_.dot(wq * rx, np.take(iT, cT) - np.take(itx, ctx)))
    d_a = fit_.dot(Wx, psi_ab - psi_abx) + float(wq.sum()) / a
    d_b = (fit_.dot(Wx, special.digamma(b + xu + 1.0) - special.digamma(b) + psi_ab - psi_abx)
           - fit_.dot(wq, np.take(1.0 / (b + xu), cx)))
    grad_ll = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
    obj = -loglik / n + penalizer * float(np.dot(logp, logp))
    grad = -grad_ll / n + 2.0 * penalizer * logp
    return obj, grad, loglik


def loglik(r: float, alpha: float, a: float, b: float, frequency: Any, recency: Any, T: Any) -> np.ndarray:
    """Per-customer MBG/NBD log-likelihood (Batislam, Denizel & Filiztekin 2007).

    Args:
        r, alpha, a, b: model parameters (paper notation).
        frequency: x.  recency: t_x.  T: T (same time unit as alpha).

    Returns:
        ndarray of log-likelihoods, one per customer (ungrouped; for checks and diagnostics).
    """
    x, tx, T_, _ = fit_.rows(frequency, recency, T)
    D = math.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T_) - np.log(alpha + tx))
    return (special.gammaln(r + x) - special.gammaln(r) + r * math.log(alpha)
            + special.betaln(a, b + x + 1.0) - special.betaln(a, b)
            - (r + x) * np.log(alpha + T_) + np.logaddexp(0.0, D))


def fit(frequency: Any, recency: Any, T: Any, *, weights: Any = None, penalizer: float = 0.0,
        time_unit: str | None = None) -> MBGNBDFit:
    """Fit the MBG/NBD model by maximum likelihood.

    Maximises the likelihood above over log(r, alpha, a, b) with L-BFGS-B and the analytic
    gradient (see :mod:`loyalty.clv_models._fitting`).  Rows with the same (x, t_x, T) are
    grouped and weighted, so ``weights`` may hold the customer count of each row of an
    already unique summary.  The objective is
    -loglik / n + penalizer * sum(log(r, alpha, a, b) ** 2), as in ``loyalty.clv.fit_bgnbd``.

    Args:
        frequency: x per row (whole numbers >= 0).
        recency: t_x per row (0 <= t_x <= T; 0 when x = 0).
        T: T per row.
        weights: customers per row (>= 0); None = one each.
        penalizer: L2 coefficient on the log-parameters (>= 0); 0 = plain maximum likelihood.
        time_unit: "days" or "weeks", kept on the result (not used in the arithmetic).

    Returns:
        MBGNBDFit.

    Raises:
        LoyaltyError: invalid summary, fewer than 10 customers, nobody repeats, the fit
            does not converge, or the data cannot pin a parameter down.
    """
    pen = fit_.check_penalizer(penalizer)
    unit = fit_.check_time_unit(time_unit)
    x, tx, T_, w = fit_.check_counts(frequency, recency, T, weights, MODEL)
    g = fit_.group((x, tx, T_), w)
    n = float(w.sum())
    rate = fit_.dot(w, x) / max(fit_.dot(w, T_), 1e-12)
    x0 = np.log([1.0, 1.0 / max(rate, 1e-6), 1.0, 1.0])
    objective = lambda p: _objective(p, g, pen)  # noqa: E731
    logp, msg, stderr = fit_.fit_log_params(objective, x0, _NAMES, n, MODEL)
    r, alpha, a, b = (float(v) for v in np.exp(logp))
    return MBGNBDFit(r=r, alpha=alpha, a=a, b=b, loglik=float(objective(logp)[2]), n_customers=n,
                     n_groups=g.n_groups, penalizer=pen, time_unit=unit, message=msg, stderr=stderr)


def _alive_log_odds(f: MBGNBDFit, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
    """D = ln(a/(b+x)) + (r+x) ln((alpha+T)/(alpha+t_x)), the log-odds of having left."""
    return math.log(f.a) - np.log(f.b + x) + (f.r + x) * (np.log(f.alpha + T) - np.log(f.alpha + tx))


def probability_alive(f: MBGNBDFit, frequency: Any, recency: Any, T: Any) -> Any:
    """P(alive at T | x, t_x, T) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)).

    Args:
        f: a fitted model.
        frequency, recency, T: x, t_x, T (scalars or arrays, broadcast together).

    Returns:
        Probabilities in (0, 1]: a float for scalars, else an ndarray of the broadcast shape.
    """
    x, tx, T_, shape = fit_.rows(frequency, recency, T)
    return fit_.shaped(special.expit(-_alive_log_odds(f, x, tx, T_)), shape)


def _unconditional_part(a: float, b: float, r: float, alpha: float, t: float,
                        x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """(a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; z)], z = t/(alpha+T+t).

    Euler's transformation turns the bracket's product into
    (1-z)^(a-1) 2F1(a+b-r, a-1; a+b+x; z), whose series converges fast for large x.
    """
    c = a + b + x
    z = t / (alpha + T + t)
    hyp = special.hyp2f1(a + b - r, a - 1.0, c, z)
    one_minus = -np.expm1((a - 1.0) * np.log1p(-z) + np.log(hyp))
    return c / (a - 1.0) * one_minus


def expected_purchases(f: MBGNBDFit, t: float, frequency: Any, recency: Any, T: Any) -> Any:
    """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` time units (module docstring).

    At a = 1 the factor 1/(a-1) meets a bracket that vanishes; there the value is the mean
    of the values at a = 1 -+ 1e-6 (error about 1e-12).

    Args:
        f: a fitted model.
        t: length of the forecast period (>= 0), in the fit's time unit.
        frequency, recency, T: x, t_x, T (scalars or arrays, broadcast together).

    Returns:
        Expected purchases: a float for scalars, else an ndarray of the broadcast shape.

    Raises:
        LoyaltyError: t negative or not a number.
    """
    t = fit_.check_horizon(t)
    x, tx, T_, shape = fit_.rows(frequency, recency, T)
    if t == 0.0:
        return fit_.shaped(np.zeros_like(x), shape)
    if abs(f.a - 1.0) < 1e-6:
        part = 0.5 * (_unconditional_part(1.0 - 1e-6, f.b, f.r, f.alpha, t, x, T_)
                      + _unconditional_part(1.0 + 1e-6, f.b, f.r, f.alpha, t, x, T_))
    else:
        part = _unconditional_part(f.a, f.b, f.r, f.alpha, t, x, T_)
    return fit_.shaped(part * special.expit(-_alive_log_odds(f, x, tx, T_)), shape)


def simulate(n_customers: int, r: float, alpha: float, a: float, b: float, *, max_T: float = 52.0,
             days_per_unit: int = 7, seed: int = 0) -> dict[str, np.ndarray]:
    """Draw customer summaries from the MBG/NBD model on a daily grid (tests, benchmarks).

    Each customer: lambda ~ Gamma(r, rate alpha), p ~ Beta(a, b); right after the first
    purchase and after each repeat purchase she leaves with probability p, so she makes at
    most K = G - 1 repeat purchases, G ~ Geometric(p) on 1, 2, ...; T is uniform on the day
    grid in [1 day, max_T]; with N ~ Poisson(lambda T) purchase chances, x = min(N, K) and
    t_x is the x-th of N uniform times on [0, T], rounded to whole days (1 day .. T).

    Args:
        n_customers: number of customers.
        r, alpha, a, b: parameters (alpha per time unit).
        max_T: longest observation time, in time units.
        days_per_unit: 7 for weeks, 1 for days.
        seed: seed of numpy's default generator.

    Returns:
        ``{"frequency", "recency", "T"}`` arrays.
    """
    rng = np.random.default_rng(seed)
    n = int(n_customers)
    T_days = rng.integers(1, max(int(round(max_T * days_per_unit)), 1) + 1, size=n)
    T = T_days / days_per_unit
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    p = np.clip(rng.beta(a, b, size=n), 1e-12, 1.0)
    K = rng.geometric(p) - 1
    N = rng.poisson(lam * T)
    x = np.minimum(N, K)
    pos = x > 0
    frac = np.zeros(n)
    frac[pos] = rng.beta(x[pos], N[pos] - x[pos] + 1)
    tx_days = np.where(pos, np.clip(np.rint(frac * T_days), 1, T_days), 0)
    return {"frequency": x.astype(np.int64), "recency": tx_days / days_per_unit, "T": T}
