"""The BG/NBD model of purchase counts (Fader, Hardie & Lee 2005), fitted and predicted.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005), "'Counting Your Customers' the Easy
Way: An Alternative to the Pareto/NBD Model", *Marketing Science* 24(2), 275-284
(log-likelihood eq. 6, conditional expectation eq. 10), with the correction for P(alive)
of customers without repeat purchases in Fader, Hardie & Lee (2008), "Computing P(alive)
Using the BG/NBD Model" (note).

Notation (paper -> here)
------------------------
======================  ===============================  ==========================================
paper                   argument / column                meaning
======================  ===============================  ==========================================
x                       ``frequency``                    number of *repeat* purchase days in the
                                                         calibration period (first purchase excluded)
t_x                     ``recency``                      time from the first to the last purchase
T                       ``T``                            time from the first purchase to the end of
                                                         the calibration period
r, alpha                ``BGNBDFit.r``, ``.alpha``       gamma heterogeneity of the purchase rate
                                                         lambda (shape r, rate alpha)
a, b                    ``BGNBDFit.a``, ``.b``           beta heterogeneity of the drop-out
                                                         probability p after each purchase
t                       ``t``                            length of the forecast period
======================  ===============================  ==========================================

Times are in ``time_unit`` ("days" or "weeks").  alpha carries the unit: alpha in weeks
is alpha in days divided by 7; r, a, b do not depend on the unit.  The functions here
work on float arrays; :mod:`loyalty.clv.predict` wraps them for Series and scalars.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from loyalty.clv.common import as_float_array, check_penalizer, check_time_unit, summary_arrays, unit_days
from loyalty.clv.fitting import Groups, check_counts, dot, fit_log_params, group

#: The model's key in :data:`loyalty.clv.registry.MODELS` (``clv --model bgnbd``).
MODEL = "bgnbd"
#: The parameters, in the order of the optimiser's vector.
PARAMS: tuple[str, ...] = ("r", "alpha", "a", "b")


@dataclass(frozen=True)
class BGNBDFit:
    """A fitted BG/NBD model (Fader, Hardie & Lee 2005).

    Attributes:
        r: shape of the gamma distribution of purchase rates lambda (paper: r).
        alpha: rate (scale parameter) of that gamma distribution, in ``time_unit`` (paper: alpha).
        a: first shape of the beta distribution of drop-out probabilities p (paper: a).
        b: second shape of that beta distribution (paper: b).
        loglik: the maximised log-likelihood, summed over customers (paper eq. 6);
            penalty not included.
        n_customers: number of customers fitted.
        converged: True when the optimiser met the gradient tolerance (a fit that does not
            converge raises instead, so a returned fit has True).
        message: the optimiser's own words, for logs.
        time_unit: "days" or "weeks" when known (from the summary), else None.
        penalizer: the L2 coefficient on the log-parameters that was used.
        n_groups: number of distinct (x, t_x, T) triples the likelihood was evaluated on.
        stderr: approximate standard errors of r, alpha, a, b (observed information of the
            penalised likelihood, delta method from the log scale).
    """

    r: float
    alpha: float
    a: float
    b: float
    loglik: float
    n_customers: int
    converged: bool
    message: str
    time_unit: str | None = None
    penalizer: float = 0.0
    n_groups: int = 0
    stderr: dict[str, float] = field(default_factory=dict)

    def params(self) -> dict[str, float]:
        """``{"r", "alpha", "a", "b", "loglik"}`` as plain floats."""
        return {
            "r": float(self.r),
            "alpha": float(self.alpha),
            "a": float(self.a),
            "b": float(self.b),
            "loglik": float(self.loglik),
        }


def _objective(log_params: np.ndarray, g: Groups, penalizer: float) -> tuple[float, np.ndarray, float]:
    """Mean negative log-likelihood (+ L2 penalty) and its gradient in log-parameters.

    Per customer (FHL 2005 eq. 6, rearranged):

        ll = A(x) - (r + x) ln(alpha + T) + ln(1 + 1[x>0] exp(D)),
        A(x) = ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+x) - ln B(a, b),
        D = ln a - ln(b + x - 1) + (r + x) [ln(alpha + T) - ln(alpha + t_x)],

    using B(a+1, b+x-1) / B(a, b+x) = a / (b+x-1).  Terms that depend only on x are
    evaluated once per distinct x, terms in T or t_x once per distinct value.

    Returns:
        (objective, gradient, total log-likelihood without penalty).
    """
    r, alpha, a, b = np.exp(log_params)
    xu, txu, Tu = g.values
    cx, ctx, cT = g.codes
    w = g.weight
    n = w.sum()

    # per distinct x
    pos_u = xu > 0
    A_u = (
        special.gammaln(r + xu) - special.gammaln(r) + r * math.log(alpha)
        + special.betaln(a, b + xu) - special.betaln(a, b)
    )
    inv_bx1_u = np.zeros_like(xu)
    inv_bx1_u[pos_u] = 1.0 / (b + xu[pos_u] - 1.0)
    logratio_u = np.full_like(xu, -np.inf)
    logratio_u[pos_u] = math.log(a) - np.log(b + xu[pos_u] - 1.0)
    psi_abx = special.digamma(a + b + xu)
    psi_ab = special.digamma(a + b)
    dA_dr_u = special.digamma(r + xu) - special.digamma(r) + math.log(alpha)
    dA_da_u = psi_ab - psi_abx
    dA_db_u = special.digamma(b + xu) - special.digamma(b) + psi_ab - psi_abx
    # per distinct T / t_x
    lT_u = np.log(alpha + Tu)
    ltx_u = np.log(alpha + txu)
    iT_u = 1.0 / (alpha + Tu)
    itx_u = 1.0 / (alpha + txu)

    # per group (np.take and explicit softplus: several times faster than fancy
    # indexing and np.logaddexp on large arrays)
    rx = r + np.take(xu, cx)
    lT = np.take(lT_u, cT)
    dl = lT - np.take(ltx_u, ctx)
    D = np.take(logratio_u, cx) + rx * dl  # -inf when x = 0
    e = np.exp(-np.abs(D))
    softplus = np.maximum(D, 0.0) + np.log1p(e)  # ln(1 + exp(D))
    s = np.where(D >= 0, 1.0, e) / (1.0 + e)  # expit(D) = 1 - P(alive); 0 when x = 0

    Wx, _, WT = g.totals
    wrx = w * rx
    loglik = float(Wx @ A_u - dot(wrx, lT) + dot(w, softplus))

    ws = w * s
    wsrx = ws * rx
    d_r = Wx @ dA_dr_u - WT @ lT_u + dot(ws, dl)
    iT = np.take(iT_u, cT)
    d_alpha = n * r / alpha - dot(wrx, iT) + dot(wsrx, iT - np.take(itx_u, ctx))
    d_a = Wx @ dA_da_u + ws.sum() / a
    d_b = Wx @ dA_db_u - dot(ws, np.take(inv_bx1_u, cx))
    grad_ll = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])

    obj = -loglik / n + penalizer * float(log_params @ log_params)
    grad = -grad_ll / n + 2.0 * penalizer * log_params
    return obj, grad, loglik


def bgnbd_loglik(
    r: float, alpha: float, a: float, b: float, frequency: Any, recency: Any, T: Any
) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6).

    Args:
        r, alpha, a, b: model parameters (paper notation).
        frequency: x, repeat purchases in the calibration period.
        recency: t_x, time of the last purchase since the first.
        T: length of the customer's calibration period.

    Returns:
        ndarray of log-likelihoods, one per customer (ungrouped; for checks and diagnostics).
    """
    x = as_float_array(frequency)
    tx = as_float_array(recency)
    T_ = as_float_array(T)
    with np.errstate(divide="ignore", invalid="ignore"):
        base = (
            special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
            + special.betaln(a, b + x) - special.betaln(a, b)
            - (r + x) * np.log(alpha + T_)
        )
        D = np.where(
            x > 0,
            np.log(a) - np.log(np.where(x > 0, b + x - 1.0, 1.0)) + (r + x) * (np.log(alpha + T_) - np.log(alpha + tx)),
            -np.inf,
        )
    return base + np.logaddexp(0.0, D)


def fit_bgnbd(summary: pd.DataFrame, penalizer: float = 0.0) -> BGNBDFit:
    """Fit the BG/NBD model to a customer summary (see :func:`fit`).

    Args:
        summary: one row per customer with columns ``frequency`` (x), ``recency`` (t_x),
            ``T`` (T), e.g. from :func:`loyalty.clv.summary_from_transactions`.
            ``attrs["time_unit"]`` is carried into the fit when present.
        penalizer: L2 coefficient on the log-parameters (>= 0); 0 is plain maximum
            likelihood.  Try 0.001-0.1 when a fit does not converge.

    Returns:
        BGNBDFit.

    Raises:
        LoyaltyError: as :func:`fit`, or a column missing / not numeric.
    """
    x, tx, T = summary_arrays(summary, ("frequency", "recency", "T"))
    time_unit = summary.attrs.get("time_unit") if isinstance(summary.attrs, dict) else None
    return fit(x, tx, T, penalizer=penalizer, time_unit=time_unit)


def fit(frequency: Any, recency: Any, T: Any, *, weights: Any = None, penalizer: float = 0.0,
        time_unit: str | None = None) -> BGNBDFit:
    """Fit the BG/NBD model by maximum likelihood (Fader, Hardie & Lee 2005).

    Maximises the log-likelihood of paper eq. 6 over log(r, alpha, a, b) with
    scipy's L-BFGS-B and the analytic gradient (Nelder-Mead + polish as a fallback).
    Customers with identical (x, t_x, T) are grouped and weighted by their count, so
    the cost grows with the number of distinct triples, not customers (``weights`` may
    already hold the customer count of each row of a unique summary).  The objective is

        - loglik / n_customers + penalizer * sum(log(r, alpha, a, b) ** 2),

    i.e. ``penalizer`` is an L2 penalty on the log-parameters that pulls them towards 1
    (unlike lifetimes, which penalises the parameters themselves).

    Args:
        frequency: x per row (whole numbers >= 0).
        recency: t_x per row (0 <= t_x <= T).
        T: T per row.
        weights: customers per row (>= 0); None = one each.
        penalizer: L2 coefficient on the log-parameters (>= 0).
        time_unit: "days" or "weeks", kept on the result (not used in the arithmetic).

    Returns:
        BGNBDFit with r, alpha, a, b, the log-likelihood (without the penalty) and counts.

    Raises:
        LoyaltyError: fewer than :data:`loyalty.clv.fitting.MIN_CUSTOMERS` customers, nobody repeats (all
            x = 0), invalid values (negative, t_x > T), or the optimiser does not converge,
            a parameter runs off to the edge of [1e-6, 1e6], or the maximum is not
            identified (a log-parameter's standard error above 10, or no proper maximum:
            typically a -> 0, b -> infinity when the data show no drop-out).
    """
    pen = check_penalizer(penalizer)
    unit = check_time_unit(time_unit)
    x, tx, T_, w = check_counts(frequency, recency, T, weights, MODEL)
    n = float(w.sum())
    g = group(x, tx, T_, weights=w)

    # Start: r = 1 and alpha from the mean repeat rate; a = b = 1.
    mean_rate = dot(w, x) / max(dot(w, T_), 1e-12)
    x0 = np.log(np.array([1.0, 1.0 / max(mean_rate, 1e-6), 1.0, 1.0]))
    objective = lambda p: _objective(p, g, pen)  # noqa: E731
    logp, msg, stderr = fit_log_params(objective, x0, PARAMS, n, MODEL)
    r, alpha, a, b = (float(v) for v in np.exp(logp))
    return BGNBDFit(
        r=r, alpha=alpha, a=a, b=b, loglik=float(objective(logp)[2]), n_customers=int(round(n)), converged=True,
        message=msg, time_unit=unit, penalizer=pen, n_groups=g.n_groups, stderr=stderr,
    )


# --------------------------------------------------------------------------- predictions


def alive_log_odds(fit: BGNBDFit, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
    """D = ln[a/(b+x-1)] + (r+x) ln[(alpha+T)/(alpha+t_x)] for x > 0, -inf for x = 0.

    P(alive) = expit(-D) (Fader, Hardie & Lee 2008).
    """
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    pos = x > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        D = (
            math.log(a) - np.log(np.where(pos, b + x - 1.0, 1.0))
            + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
        )
    return np.where(pos, D, -np.inf)


def p_alive(fit: BGNBDFit, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(alive at T | x, t_x, T) = 1 / (1 + 1[x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))**(r+x)).

    Fader, Hardie & Lee (2008).  The model lets customers drop out only right after a
    *repeat* purchase, so a customer who has bought only once (x = 0) has P(alive) = 1.
    Arguments are float arrays of one shape, in the fit's time unit.
    """
    return special.expit(-alive_log_odds(fit, x, tx, T))


def expected_purchases(fit: BGNBDFit, t: float, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` periods (FHL 2005 eq. 10).

        E = (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))**(r+x)
              * 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))] / (1 + 1[x>0] a/(b+x-1)
              * ((alpha+T)/(alpha+t_x))**(r+x))

    evaluated through Euler's transformation of the Gauss hypergeometric function 2F1,
    which keeps it accurate for heavy buyers (large x).  Arguments are float arrays of
    one shape, in the fit's time unit; ``t`` is a scalar.
    """
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    if t <= 0:
        return np.zeros(np.broadcast(x, tx, T).shape)
    if abs(a - 1.0) < 1e-7:  # the formula is 0/0 at a = 1; step aside by a negligible amount
        a = 1.0 + math.copysign(1e-7, a - 1.0)
    c = a + b + x - 1.0
    z = t / (alpha + T + t)
    log1mz = np.log1p(-z)
    # Euler's transformation: ((alpha+T)/(alpha+T+t))**(r+x) * 2F1(r+x, b+x; c; z)
    #   = (1-z)**(a-1) * 2F1(a+b-1-r, a-1; c; z), whose series converges fast for large x.
    hyp = special.hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        one_minus = np.where(
            hyp > 0,
            -np.expm1((a - 1.0) * log1mz + np.log(np.where(hyp > 0, hyp, 1.0))),
            1.0 - np.exp((a - 1.0) * log1mz) * hyp,
        )
    numer = c / (a - 1.0) * one_minus
    return numer * special.expit(-alive_log_odds(fit, x, tx, T))


# --------------------------------------------------------------------------- simulation


def simulate_summary(
    n_customers: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    *,
    max_T: float = 52.0,
    time_unit: str = "weeks",
    seed: int = 0,
) -> pd.DataFrame:
    """Draw a customer summary from the BG/NBD model, on a daily grid (for tests, benchmarks).

    The generative story of Fader, Hardie & Lee (2005), section 3: each customer has a
    purchase rate lambda ~ Gamma(r, alpha) and a drop-out probability p ~ Beta(a, b);
    after each repeat purchase they leave with probability p, so they make at most
    K ~ Geometric(p) repeat purchases; while active, purchases follow a Poisson process.
    T is drawn uniformly on the day grid in [1 day, ``max_T``]; with N ~ Poisson(lambda T)
    purchases possible, x = min(N, K) and t_x is the x-th of N uniform times on [0, T]
    (a Beta(x, N - x + 1) draw times T), rounded to whole days (at least one day, at most T).

    Args:
        n_customers: number of customers.
        r, alpha, a, b: BG/NBD parameters (alpha in ``time_unit``).
        max_T: longest observation time, in ``time_unit``.
        time_unit: "days" or "weeks".
        seed: seed of numpy's default generator.

    Returns:
        DataFrame with frequency, recency, T (``attrs["time_unit"]`` set), indexed
        "S0000001", "S0000002", ...
    """
    unit = unit_days(time_unit)
    rng = np.random.default_rng(seed)
    n = int(n_customers)
    T_days = rng.integers(1, max(int(round(max_T * unit)), 1) + 1, size=n)
    T = T_days / unit
    lam = rng.gamma(shape=r, scale=1.0 / alpha, size=n)
    p = rng.beta(a, b, size=n)
    K = rng.geometric(np.clip(p, 1e-12, 1.0))
    N = rng.poisson(lam * T)
    x = np.minimum(N, K)
    pos = x > 0
    frac = np.zeros(n)
    frac[pos] = rng.beta(x[pos], N[pos] - x[pos] + 1)
    tx_days = np.where(pos, np.clip(np.rint(frac * T_days), 1, T_days), 0)
    out = pd.DataFrame(
        {"frequency": x.astype(np.int64), "recency": tx_days / unit, "T": T},
        index=pd.Index([f"S{i:07d}" for i in range(1, n + 1)], name="customer_id"),
    )
    out.attrs["time_unit"] = time_unit
    return out
