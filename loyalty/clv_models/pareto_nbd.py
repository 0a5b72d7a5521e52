"""The Pareto/NBD model of repeat buying: log-likelihood, fit, P(alive), expected purchases.

Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987), "Counting Your Customers: Who
Are They and What Will They Do Next?", *Management Science* 33(1), 1-24; the likelihood
as written in Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005), "A Note on Implementing
the Pareto/NBD Model in MATLAB" (note 008), and the conditional expectation of
Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for Customer Base
Analysis", *JMR* 42(4), eq. (A2).

While alive, a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha); she
stays alive for an exponential lifetime with rate mu ~ Gamma(s, beta), unobserved.  Unlike
BG/NBD, a customer can leave at any moment, also before any repeat purchase, so one-time
buyers who bought long ago get a low P(alive).

Notation (paper -> here)
------------------------
=============  ==============================  ==============================================
paper          argument / attribute            meaning
=============  ==============================  ==============================================
x              ``frequency``                   repeat purchases in the calibration period
t_x            ``recency``                     time of the last purchase (first purchase = 0)
T              ``T``                           time from the first purchase to the end of
                                               the calibration period
r, alpha       ``ParetoNBDFit.r``, ``.alpha``  gamma (shape, rate) of the purchase rate lambda
s, beta        ``ParetoNBDFit.s``, ``.beta``   gamma (shape, rate) of the drop-out rate mu
t              ``t``                           length of the forecast period
=============  ==============================  ==============================================

Times are in one unit throughout (days or weeks, the summary's); alpha and beta carry it.

The likelihood and how it is evaluated
--------------------------------------
With the note's notation,

    L = G(r+x) alpha^r beta^s / G(r) * [ (alpha+T)^-(r+x) (beta+T)^-s + s (F(t_x) - F(T)) ],
    F(t) = integral_t^inf (alpha+tau)^-(r+x) (beta+tau)^-(s+1) d tau,

where s F(t_x) - s F(T) is the note's s/(r+s+x) * A_0 (death between t_x and T).  The
note writes F with a Gauss hypergeometric function 2F1(r+s+x, .; r+s+x+1; z) whose value
grows without bound as z -> 1 (its form switches with alpha >= beta).  Here the same
function is written, by Pfaff's transformation, as

    F(t) = g(t) (c + t) / (r+s+x) * 2F1(1, b; r+s+x+1; w),   w = (M - c) / (M + t),
    g(t) = (alpha+t)^-(r+x) (beta+t)^-(s+1),   c = min(alpha, beta),   M = max(alpha, beta),

with b = s+1 when alpha <= beta and b = r+x otherwise.  Now 0 <= w < 1, every term of
the 2F1's series is positive, and it stays moderate (at most a/(a-b) with a = r+s+x when
a > b, else growing no faster than (1-w)^-(b-a) with b - a < 1), so nothing overflows
however far apart alpha and beta are.  It is scipy's hyp2f1 except near w = 1, where that
slows down (and sometimes fails) and an exact transformation is used (see
:mod:`loyalty.clv_models._hyp`); the
result agrees with numerical integration to about 1e-11 (tests).  F depends on (x, t)
only, so a fit evaluates it once per distinct (x, t_x) and (x, T) pair.  The gradient is
analytic except for the 2F1's derivatives in its parameters, which are central
differences (relative error about 1e-9).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special

from loyalty.clv_models import _fitting as fit_
from loyalty.clv_models import _hyp

__all__ = ["ParetoNBDFit", "loglik", "fit", "probability_alive", "expected_purchases", "simulate"]

MODEL = "pareto_nbd"
_NAMES = ("r", "alpha", "s", "beta")


@dataclass(frozen=True)
class ParetoNBDFit:
    """A fitted Pareto/NBD model.

    Attributes:
        r, alpha: shape and rate of the gamma distribution of purchase rates (paper: r, alpha).
        s, beta: shape and rate of the gamma distribution of drop-out rates (paper: s, beta).
        loglik: maximised log-likelihood summed over customers (penalty not included).
        n_customers: number of customers fitted (sum of the weights).
        n_groups: distinct (x, t_x, T) summaries the likelihood was evaluated on.
        penalizer: the L2 coefficient on the log-parameters that was used.
        time_unit: "days" or "weeks" when given, else None.
        message: the optimiser's own words, for logs.
        stderr: approximate standard errors of r, alpha, s, beta (observed information).
    """

    r: float
    alpha: float
    s: float
    beta: float
    loglik: float
    n_customers: float
    n_groups: int = 0
    penalizer: float = 0.0
    time_unit: str | None = None
    message: str = ""
    stderr: dict[str, float] = field(default_factory=dict)

    def params(self) -> dict[str, float]:
        """``{"r", "alpha", "s", "beta", "loglik"}`` as plain floats (the CLI's JSON keys)."""
        return {"r": float(self.r), "alpha": float(self.alpha), "s": float(self.s),
                "beta": float(self.beta), "loglik": float(self.loglik)}


# --------------------------------------------------------------------------- F(x, t)


def _log_f(r: float, alpha: float, s: float, beta: float, x: np.ndarray, t: np.ndarray,
           grad: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """ln F(x, t) (module docstring) and, with ``grad``, its derivatives in (r, alpha, s, beta).

    Returns:
        (ln F, None) or (ln F, array of shape (4, len(x))).
    """
    a = r + s + x
    rx = r + x
    c_is_alpha = alpha <= beta
    c, M = (alpha, beta) if c_is_alpha else (beta, alpha)
    b = np.full_like(x, s + 1.0) if c_is_alpha else rx
    a1 = a + 1.0
    ct, Mt = c + t, M + t
    w, y = (M - c) / Mt, ct / Mt
    mode = _hyp.method(a, b, w, y)
    lat, lbt = np.log(alpha + t), np.log(beta + t)
    Q = _hyp.q(b, a1, w, y, mode)
    lnf = -rx * lat - (s + 1.0) * lbt + np.log(ct) - np.log(a) + np.log(Q)
    if not grad:
        return lnf, None
    ha = 1e-5 * (1.0 + a)
    hb = 1e-5 * (1.0 + b)
    q_a = (_hyp.q(b, a1 + ha, w, y, mode) - _hyp.q(b, a1 - ha, w, y, mode)) / (2.0 * ha) / Q
    q_b = (_hyp.q(b + hb, a1, w, y, mode) - _hyp.q(b - hb, a1, w, y, mode)) / (2.0 * hb) / Q
    # dQ/dw by the contiguous relation in a1: w dQ/dw = a (2F1(1, b; a; w) - Q); below w = 0.9
    # where that difference cancels, b/a1 2F1(2, b+1; a1+1; w) (inf/NaN from scipy: the former)
    q_w = np.full_like(Q, np.nan)
    low = (mode == 0) & (w <= _hyp.W_HIGH)
    q_w[low] = b[low] / a1[low] * special.hyp2f1(2.0, b[low] + 1.0, a1[low] + 1.0, w[low])
    hi = ~np.isfinite(q_w)
    q_w[hi] = a[hi] / w[hi] * (_hyp.q(b[hi], a[hi], w[hi], y[hi], mode[hi]) - Q[hi])
    q_w /= Q
    dw_dc, dw_dM = -1.0 / Mt, ct / (Mt * Mt)
    d_r = -lat - 1.0 / a + q_a
    d_s = -lbt - 1.0 / a + q_a
    d_alpha = -rx / (alpha + t)
    d_beta = -(s + 1.0) / (beta + t)
    if c_is_alpha:  # b = s + 1, c = alpha
        d_s = d_s + q_b
        d_alpha = d_alpha + 1.0 / ct + q_w * dw_dc
        d_beta = d_beta + q_w * dw_dM
    else:  # b = r + x, c = beta
        d_r = d_r + q_b
        d_beta = d_beta + 1.0 / ct + q_w * dw_dc
        d_alpha = d_alpha + q_w * dw_dM
    return lnf, np.stack([d_r, d_alpha, d_s, d_beta])


def _pair_table(x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                      np.ndarray]:
    """Distinct (x, t) pairs over t in t_x and T, and the pair of each row's (x, t_x) and (x, T).

    Returns:
        (pair x, pair t, code of (x, t_x), code of (x, T)).
    """
    n = x.size
    g = fit_.group((np.concatenate([x, x]), np.concatenate([tx, T])), np.ones(2 * n))
    return g.column(0), g.column(1), g.row_group[:n], g.row_group[n:]


# --------------------------------------------------------------------------- likelihood


@dataclass(frozen=True)
class _Data:
    """Distinct summaries of a fit and the (x, t) pairs their F values come from."""

    w: np.ndarray  # customers per distinct (x, t_x, T)
    xu: np.ndarray  # distinct x
    Wx: np.ndarray  # customers per distinct x
    px: np.ndarray  # pair x
    pt: np.ndarray  # pair t
    c_tx: np.ndarray  # pair code of (x, t_x)
    c_T: np.ndarray  # pair code of (x, T)


def _prepare(x: np.ndarray, tx: np.ndarray, T: np.ndarray, w: np.ndarray) -> tuple[_Data, int]:
    g = fit_.group((x, tx, T), w)
    gx, gtx, gT = g.column(0), g.column(1), g.column(2)
    px, pt, c_tx, c_T = _pair_table(gx, gtx, gT)
    Wx = np.bincount(g.codes[0], weights=g.weight, minlength=g.values[0].size)
    data = _Data(w=g.weight, xu=g.values[0], Wx=Wx,
                 px=px, pt=pt, c_tx=c_tx, c_T=c_T)
    return data, g.n_groups


def _l1(r: float, alpha: float, s: float, beta: float, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """ln of the alive-at-T term: -(r+x) ln(alpha+T) - s ln(beta+T)."""
    return -(r + x) * np.log(alpha + T) - s * np.log(beta + T)


def _l2(s: float, lf_tx: np.ndarray, lf_T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ln of the died-in-(t_x, T] term, 1 - F(T)/F(t_x)): ln s + ln F(t_x) + ln(1 - F(T)/F(t_x))."""
    om = -np.expm1(np.minimum(lf_T - lf_tx, 0.0))
    with np.errstate(divide="ignore"):
        return math.log(s) + lf_tx + np.log(om), om


def _objective(logp: np.ndarray, d: _Data, penalizer: float) -> tuple[float, np.ndarray, float]:
    """Mean negative log-likelihood (+ L2 penalty) and its gradient in log-parameters.

    Per customer: ln L = ln C(x) + ln(exp(l1) + exp(l2)) with
    ln C = ln G(r+x) - ln G(r) + r ln alpha + s ln beta, l1 = ln of "alive at T" (a function
    of the (x, T) pair) and l2 = ln of "died in (t_x, T]" = ln s + ln(F(t_x) - F(T)).
    Everything that depends on a pair is computed once per pair; per distinct summary
    there are only a few array operations, and the gradient's per-summary weights are
    summed back onto the pairs (bincount) before the pair derivatives are applied.

    Returns:
        (objective, gradient, total log-likelihood without penalty).
    """
    r, alpha, s, beta = np.exp(logp)
    n = float(d.w.sum())
    lnf, dlnf = _log_f(r, alpha, s, beta, d.px, d.pt, grad=True)
    l1p = _l1(r, alpha, s, beta, d.px, d.pt)  # meaningful on (x, T) pairs
    l1 = np.take(l1p, d.c_T)
    l2, om = _l2(s, np.take(lnf, d.c_tx), np.take(lnf, d.c_T))
    lse = np.logaddexp(l1, l2)
    p2 = special.expit(l2 - l1)  # share of "died in (t_x, T]"
    lnc_u = special.gammaln(r + d.xu) - special.gammaln(r) + r * math.log(alpha) + s * math.log(beta)
    loglik = fit_.dot(d.Wx, lnc_u) + fit_.dot(d.w, lse)

    wp2 = d.w * p2
    coef_tx = wp2 / np.maximum(om, 1e-300)  # 0 where t_x = T (then p2 = 0)
    coef_T = coef_tx * (om - 1.0)
    P = d.px.size
    alive_w = np.bincount(d.c_T, weights=d.w - wp2, minlength=P)
    f_w = np.bincount(d.c_tx, weights=coef_tx, minlength=P) + np.bincount(d.c_T, weights=coef_T, minlength=P)
    rx, at, bt = r + d.px, alpha + d.pt, beta + d.pt
    dlnc_dr = special.digamma(r + d.xu) - special.digamma(r) + math.log(alpha)
    g = np.array([
        fit_.dot(d.Wx, dlnc_dr) - fit_.dot(alive_w, np.log(at)),
        n * r / alpha - fit_.dot(alive_w, rx / at),
        n * math.log(beta) - fit_.dot(alive_w, np.log(bt)) + float(wp2.sum()) / s,
        n * s / beta - s * fit_.dot(alive_w, 1.0 / bt),
    ])
    g += np.einsum("ki,i->k", dlnf, f_w)

    grad_ll = g * np.array([r, alpha, s, beta])
    obj = -loglik / n + penalizer * float(np.dot(logp, logp))
    grad = -grad_ll / n + 2.0 * penalizer * logp
    return obj, grad, loglik


def loglik(r: float, alpha: float, s: float, beta: float, frequency: Any, recency: Any, T: Any) -> np.ndarray:
    """Per-customer Pareto/NBD log-likelihood (Fader, Hardie & Lee 2005, MATLAB note, eq. for L).

    Args:
        r, alpha, s, beta: model parameters (paper notation).
        frequency: x, repeat purchases.  recency: t_x.  T: T (same time unit as alpha, beta).

    Returns:
        ndarray of log-likelihoods, one per customer (ungrouped; for checks and diagnostics).
    """
    x, tx, T_ = (np.asarray(v, dtype=float).reshape(-1) for v in (frequency, recency, T))
    x, tx, T_ = np.broadcast_arrays(x, tx, T_)
    lf_tx, _ = _log_f(r, alpha, s, beta, x, tx)
    lf_T, _ = _log_f(r, alpha, s, beta, x, T_)
    l2, _ = _l2(s, lf_tx, lf_T)
    l1 = _l1(r, alpha, s, beta, x, T_)
    lnc = special.gammaln(r + x) - special.gammaln(r) + r * math.log(alpha) + s * math.log(beta)
    return lnc + np.logaddexp(l1, l2)


def fit(frequency: Any, recency: Any, T: Any, *, weights: Any = None, penalizer: float = 0.0,
        time_unit: str | None = None) -> ParetoNBDFit:
    """Fit the Pareto/NBD model by maximum likelihood.

    Maximises the likelihood of the MATLAB note over log(r, alpha, s, beta) with L-BFGS-B
    and the analytic gradient (see :mod:`loyalty.clv_models._fitting`).  Rows with the same
    (x, t_x, T) are grouped and weighted, so ``weights`` may hold the customer count of
    each row of an already unique summary.  The objective is
    -loglik / n + penalizer * sum(log(r, alpha, s, beta) ** 2).

    Args:
        frequency: x per row (whole numbers >= 0).
        recency: t_x per row (0 <= t_x <= T; 0 when x = 0).
        T: T per row.
        weights: customers per row (>= 0); None = one each.
        penalizer: L2 coefficient on the log-parameters (>= 0); 0 = plain maximum likelihood.
        time_unit: "days" or "weeks", kept on the result (not used in the arithmetic).

    Returns:
        ParetoNBDFit.

    Raises:
        LoyaltyError: invalid summary, fewer than 10 customers, nobody repeats, the fit
            does not converge, or the data cannot pin a parameter down.
    """
    pen = fit_.check_penalizer(penalizer)
    unit = fit_.check_time_unit(time_unit)
    x, tx, T_, w = fit_.check_counts(frequency, recency, T, weights, MODEL)
    data, n_groups = _prepare(x, tx, T_, w)
    n = float(w.sum())
    rate = fit_.dot(w, x) / max(fit_.dot(w, T_), 1e-12)
    x0 = np.log([1.0, 1.0 / max(rate, 1e-6), 1.0, max(fit_.dot(w, T_) / n, 1e-3)])
    objective = lambda p: _objective(p, data, pen)  # noqa: E731
    logp, msg, stderr = fit_.fit_log_params(objective, x0, _NAMES, n, MODEL)
    r, alpha, s, beta = (float(v) for v in np.exp(logp))
    return ParetoNBDFit(r=r, alpha=alpha, s=s, beta=beta, loglik=float(objective(logp)[2]), n_customers=n,
                        n_groups=n_groups, penalizer=pen, time_unit=unit, message=msg, stderr=stderr)


# --------------------------------------------------------------------------- predictions


def _alive_log_odds(f: ParetoNBDFit, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
    """l1 - l2 per row, evaluating F once per distinct (x, t) pair."""
    px, pt, c_tx, c_T = _pair_table(x, tx, T)
    lnf, _ = _log_f(f.r, f.alpha, f.s, f.beta, px, pt)
    l2, _ = _l2(f.s, lnf[c_tx], lnf[c_T])
    return _l1(f.r, f.alpha, f.s, f.beta, x, T) - l2


def probability_alive(f: ParetoNBDFit, frequency: Any, recency: Any, T: Any) -> Any:
    """P(alive at T | x, t_x, T) = 1 / (1 + s (F(t_x) - F(T)) (alpha+T)^(r+x) (beta+T)^s).

    The share of the likelihood that comes from "still alive at T" (Schmittlein et al.
    1987, eq. 11 as rewritten in the MATLAB note).  A one-time buyer (x = 0) whose first
    purchase is long ago gets a low value, unlike under BG/NBD.

    Args:
        f: a fitted model.
        frequency, recency, T: x, t_x, T (scalars or arrays, broadcast together).

    Returns:
        Probabilities in [0, 1]: a float for scalars, else an ndarray of the broadcast shape.
    """
    x, tx, T_, shape = fit_.rows(frequency, recency, T)
    return fit_.shaped(special.expit(_alive_log_odds(f, x, tx, T_)), shape)


def expected_purchases(f: ParetoNBDFit, t: float, frequency: Any, recency: Any, T: Any) -> Any:
    """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` time units.

        E = (r+x)(beta+T) / ((alpha+T)(s-1)) * [1 - ((beta+T)/(beta+T+t))^(s-1)] * P(alive)

    (Fader, Hardie & Lee 2005, JMR, eq. A2), evaluated as
    (r+x)/(alpha+T) * (beta+T) * L * exprel(-(s-1) L) with L = ln(1 + t/(beta+T)), which
    is exact also at s = 1 (where the bracket over s-1 tends to L).

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
    L = np.log1p(t / (f.beta + T_))
    per_alive = (f.r + x) / (f.alpha + T_) * (f.beta + T_) * L * special.exprel(-(f.s - 1.0) * L)
    out = per_alive * special.expit(_alive_log_odds(f, x, tx, T_))
    return fit_.shaped(out, shape)


# --------------------------------------------------------------------------- simulation


def simulate(n_customers: int, r: float, alpha: float, s: float, beta: float, *, max_T: float = 52.0,
             days_per_unit: int = 7, seed: int = 0) -> dict[str, np.ndarray]:
    """Draw customer summaries from the Pareto/NBD model on a daily grid (tests, benchmarks).

    Each customer: lambda ~ Gamma(r, rate alpha), mu ~ Gamma(s, rate beta), a lifetime
    ~ Exponential(mu), T uniform on the day grid in [1 day, max_T]; N ~ Poisson(lambda *
    min(lifetime, T)) purchases, the last at the largest of N uniform times on
    [0, min(lifetime, T)], rounded to whole days (at least one day, at most T).

    Args:
        n_customers: number of customers.
        r, alpha, s, beta: parameters (alpha, beta per time unit).
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
    mu = rng.gamma(s, 1.0 / beta, size=n)
    seen = np.minimum(rng.exponential(1.0, size=n) / np.maximum(mu, 1e-300), T)
    N = rng.poisson(lam * seen)
    last = seen * rng.beta(np.maximum(N, 1), 1.0)
    tx_days = np.where(N > 0, np.clip(np.rint(last * days_per_unit), 1, T_days), 0)
    return {"frequency": N.astype(np.int64), "recency": tx_days / days_per_unit, "T": T}
