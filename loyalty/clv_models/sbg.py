"""The shifted-beta-geometric (sBG) model of contract renewals, and what a customer is worth.

Fader, P. S. & Hardie, B. G. S. (2007), "How to Project Customer Retention", *Journal of
Interactive Marketing* 21(1), 76-90: at the end of each contract period a customer cancels
with probability theta, the same for her in every period, and theta varies across
customers as Beta(alpha, beta).  The period T in which a customer cancels then has

    P(T = t) = B(alpha+1, beta+t-1) / B(alpha, beta),          t = 1, 2, ...
    S(t) = P(T > t) = B(alpha, beta+t) / B(alpha, beta),        t = 0, 1, ...
    r(t) = S(t) / S(t-1) = (beta+t-1) / (alpha+beta+t-1)        (retention in period t),

so retention *rises* with tenure although no customer's own probability changes: the
customers likely to cancel leave first.

Value: Fader, P. S. & Hardie, B. G. S. (2010), "Customer-Base Valuation in a Contractual
Setting: The Perils of Ignoring Heterogeneity", *Marketing Science* 29(1), 85-93.  For a
customer who has made n renewals, evaluated at the end of her current period (the moment
of her next renewal decision), with one payment per period, the next one undiscounted if
she renews and each later one discounted once more at rate d per period,

    DERL(d | alpha, beta, n) = (beta+n)/(alpha+beta+n) * 2F1(1, beta+n+1; alpha+beta+n+1; 1/(1+d)),

(their eq. for n renewals; the posterior of theta is Beta(alpha, beta+n)), so her residual
value is payment x DERL.  A customer about to make her first payment is worth payment x DEL
with DEL(d | alpha, beta) = 2F1(1, beta; alpha+beta; 1/(1+d)) = 1 + DERL(d | n=0) / (1+d).
These replace "years" (or months) in the seeds' BtoB and SaaS LTV formulas.

Notation (paper -> here)
------------------------
======================  ==============================  =====================================
paper                   argument / attribute            meaning
======================  ==============================  =====================================
alpha, beta             ``SBGFit.alpha``, ``.beta``     Beta distribution of the per-period
                                                        cancellation probability theta
t                       ``t``                           period (1 = the first contract period)
n_t                     ``survivors``                   customers still active at the start
                                                        of period t+1 (n_0 = the cohort)
n (renewals)            ``renewals``                    renewals made; an active customer
                                                        with n renewals is right-censored
d                       ``discount_rate``               discount rate per period
======================  ==============================  =====================================

Each customer contributes ln P(T = n+1) when she cancelled after n renewals and ln S(n)
while still active after n renewals; customers with the same (renewals, active) are grouped,
so any number of contracts fits in milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special

from loyalty.clv_models import _fitting as fit_
from loyalty.i18n import error

__all__ = [
    "SBGFit", "loglik", "fit", "fit_survivors", "renewals_from_survivors", "renewals_from_contracts",
    "churn_probability", "survival", "retention", "project_survivors", "derl",
    "discounted_expected_lifetime", "simulate",
]

MODEL = "sbg"
_NAMES = ("alpha", "beta")


@dataclass(frozen=True)
class SBGFit:
    """A fitted sBG model.

    Attributes:
        alpha, beta: the Beta distribution of the per-period cancellation probability.
        loglik: maximised log-likelihood (penalty not included).
        n_customers: customers fitted (sum of the weights).
        n_cancelled: of them, customers who cancelled.
        penalizer: the L2 coefficient on the log-parameters that was used.
        message: the optimiser's own words, for logs.
        stderr: approximate standard errors of alpha and beta (observed information).
    """

    alpha: float
    beta: float
    loglik: float
    n_customers: float
    n_cancelled: float
    penalizer: float = 0.0
    message: str = ""
    stderr: dict[str, float] = field(default_factory=dict)

    def params(self) -> dict[str, float]:
        """``{"alpha", "beta", "loglik"}`` as plain floats (the CLI's JSON keys)."""
        return {"alpha": float(self.alpha), "beta": float(self.beta), "loglik": float(self.loglik)}

    @property
    def mean_cancellation(self) -> float:
        """E(theta) = alpha / (alpha + beta): the cohort's cancellation rate in its first period."""
        return self.alpha / (self.alpha + self.beta)


# --------------------------------------------------------------------------- data


def _whole(values: Any, column: str) -> np.ndarray:
    arr = fit_.as_array(values, column)
    if (arr < 0).any() or (np.abs(arr - np.round(arr)) > 1e-9).any():
        raise error("clv_models.error.bad_renewals", column=column)
    return np.round(arr)


def renewals_from_survivors(survivors: Any, periods: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A cohort's survivors per period -> (renewals, active, customers) rows for :func:`fit`.

    ``survivors[0]`` customers started; ``survivors[t]`` were still active at the start
    of period t+1.  The survivors[t-1] - survivors[t] who left cancelled after t-1
    renewals; the last survivors[k] are active after k renewals.

    Args:
        survivors: whole numbers, first > 0, never increasing (e.g. 1000, 631, 468, ...).
        periods: their period labels when read from a table (``period`` column): whole
            numbers increasing by 1.  Only checked.

    Returns:
        (renewals, active, customers) arrays of length len(survivors).

    Raises:
        LoyaltyError: fewer than two periods, a count that is not a whole number >= 0, a
            first count of 0, a count above the one before, or periods not consecutive.
    """
    n = _whole(survivors, "survivors")
    if n.size < 2:
        raise error("clv_models.error.survivors_too_short", column="survivors")
    if periods is not None:
        p = fit_.as_array(periods, "period")
        if p.size != n.size:
            raise error("clv_models.error.length_mismatch", column="period")
        bad = np.flatnonzero(np.abs(np.diff(p) - 1.0) > 1e-9)
        if bad.size:
            raise error("clv_models.error.periods_not_consecutive", column="period", row=int(bad[0]) + 3,
                        period=f"{p[bad[0] + 1]:g}")
    if n[0] <= 0:
        raise error("clv_models.error.no_cohort", column="survivors", row=2)
    up = np.flatnonzero(np.diff(n) > 0)
    if up.size:
        raise error("clv_models.error.survivors_increase", column="survivors", row=int(up[0]) + 3,
                    before=int(n[up[0]]), after=int(n[up[0] + 1]))
    k = n.size - 1
    renewals = np.arange(k + 1, dtype=float)  # cancelled after t renewals (t = 0..k-1); active after k
    active = np.zeros(k + 1, dtype=bool)
    active[k] = True
    customers = np.append(n[:-1] - n[1:], n[k])
    return renewals, active, customers


def _add_months(day: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Day numbers (days since 1970-01-01) plus whole months, the day clipped to the month's end."""
    d64 = day.astype("datetime64[D]")
    month = d64.astype("datetime64[M]")
    offset = (d64 - month.astype("datetime64[D]")).astype(np.int64)
    target = month + months.astype(np.int64)
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    return (target.astype("datetime64[D]") + np.minimum(offset, length - 1)).astype(np.int64)


def _month(day: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of day numbers."""
    return day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _days(values: Any, column: str, allow_missing: bool) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype="datetime64[D]").reshape(-1)
    except (TypeError, ValueError):
        raise error("clv_models.error.bad_contract_date", column=column) from None
    missing = np.isnat(arr)
    if missing.any() and not allow_missing:
        raise error("clv_models.error.bad_contract_date", column=column)
    out = np.where(missing, np.iinfo(np.int64).max, arr.astype(np.int64))
    return out


def renewals_from_contracts(start: Any, end: Any, *, as_of: Any, period_months: int = 12,
                            row_numbers: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Contract lines (start, end) -> each customer's renewals and whether still active at ``as_of``.

    A contract renews every ``period_months`` calendar months after ``start`` (the 31st
    renews on the month's last day).  ``end`` is the first day without the contract (its
    cancellation date); empty (NaT/None) or after ``as_of`` = still active.  Renewals are
    the renewal dates before ``end`` for a cancelled contract, and those up to and
    including ``as_of`` for an active one (which is then right-censored).

    Args:
        start: start dates (anything numpy reads as datetime64[D]).
        end: end dates, NaT/None where the contract runs on.
        as_of: the day the data describe.
        period_months: contract length in months (1 = monthly, 12 = yearly).
        row_numbers: the rows to name in errors (default: positions 1, 2, ...).

    Returns:
        (renewals, active) arrays, one per line.

    Raises:
        LoyaltyError: unreadable or empty start dates, an end before its start, a start after
            ``as_of``, or a period that is not a whole number of months from 1 to 120.
    """
    if not (isinstance(period_months, (int, np.integer)) and 1 <= int(period_months) <= 120):
        raise error("clv_models.error.bad_period", field="period_months", value=str(period_months))
    s = _days(start, "start", allow_missing=False)
    e = _days(end, "end", allow_missing=True)
    if s.size != e.size:
        raise error("clv_models.error.length_mismatch", column="end")
    rows = np.arange(1, s.size + 1) if row_numbers is None else np.asarray(row_numbers).reshape(-1)
    cut = _days([as_of], "as_of", allow_missing=False)[0]
    late = np.flatnonzero(s > cut)
    if late.size:
        raise error("clv_models.error.start_after_as_of", column="start", row=int(rows[late[0]]))
    back = np.flatnonzero(e < s)
    if back.size:
        raise error("clv_models.error.end_before_start", column="end", row=int(rows[back[0]]))
    active = e > cut
    pm = int(period_months)
    limit = np.where(active, cut, e)
    k = np.maximum((_month(limit) - _month(s)) // pm, 0)  # the renewal in limit's month or before

    def counts(kk: np.ndarray) -> np.ndarray:  # a renewal counts when before end / by as_of
        due = _add_months(s, kk * pm)
        return np.where(active, due <= cut, due < e)

    k = np.where((k > 0) & ~counts(k), k - 1, k)
    return k.astype(float), active


# --------------------------------------------------------------------------- likelihood


def loglik(alpha: float, beta: float, renewals: Any, active: Any) -> np.ndarray:
    """Per-customer sBG log-likelihood: ln P(T = n+1) if cancelled, ln S(n) if active.

    Args:
        alpha, beta: model parameters.
        renewals: n per customer.
        active: True where the customer is still active (right-censored).

    Returns:
        ndarray of log-likelihoods.
    """
    n = np.asarray(renewals, dtype=float)
    act = np.asarray(active, dtype=bool)
    base = special.betaln(alpha, beta)
    return np.where(act, special.betaln(alpha, beta + n), special.betaln(alpha + 1.0, beta + n)) - base


def _objective(logp: np.ndarray, n: np.ndarray, act: np.ndarray, w: np.ndarray,
               penalizer: float) -> tuple[float, np.ndarray, float]:
    """Mean negative log-likelihood (+ L2 penalty) and its gradient in log(alpha, beta)."""
    alpha, beta = np.exp(logp)
    total = float(w.sum())
    ll = loglik(alpha, beta, n, act)
    loglik_sum = fit_.dot(w, ll)
    psi_ab = special.digamma(alpha + beta)
    # d ln B(p, q)/dp = psi(p) - psi(p+q); active: B(alpha, beta+n), cancelled: B(alpha+1, beta+n)
    psi_end = special.digamma(alpha + beta + n + np.where(act, 0.0, 1.0))
    d_alpha = np.where(act, 0.0, special.digamma(alpha + 1.0) - special.digamma(alpha)) + psi_ab - psi_end
    d_beta = special.digamma(beta + n) - special.digamma(beta) + psi_ab - psi_end
    grad_ll = np.array([fit_.dot(w, d_alpha) * alpha, fit_.dot(w, d_beta) * beta])
    obj = -loglik_sum / total + penalizer * float(np.dot(logp, logp))
    return obj, -grad_ll / total + 2.0 * penalizer * logp, loglik_sum


def fit(renewals: Any, active: Any, *, weights: Any = None, penalizer: float = 0.0) -> SBGFit:
    """Fit the sBG model by maximum likelihood (Fader & Hardie 2007, appendix).

    Args:
        renewals: renewals per row (whole numbers >= 0).
        active: per row, True when still active (right-censored), False when cancelled.
        weights: customers per row (>= 0); None = one each.
        penalizer: L2 coefficient on log(alpha, beta) (>= 0).

    Returns:
        SBGFit.

    Raises:
        LoyaltyError: invalid rows, fewer than 10 customers, nobody cancelled (then the
            data say nothing about how fast customers leave), the fit does not converge or
            the data cannot pin alpha and beta down (e.g. a single period observed).
    """
    pen = fit_.check_penalizer(penalizer)
    n = _whole(renewals, "renewals")
    act = np.asarray(active, dtype=bool).reshape(-1)
    if act.size != n.size:
        raise error("clv_models.error.length_mismatch", column="active")
    w = fit_.weights_for(weights, n.size)
    g = fit_.group((n, act.astype(float)), w)
    gn, gact, gw = g.column(0), g.column(1) > 0.5, g.weight
    total = float(gw.sum())
    if total < fit_.MIN_CUSTOMERS:
        raise error("clv_models.error.too_few_customers", model=fit_.model_name(MODEL), n=int(round(total)),
                    minimum=fit_.MIN_CUSTOMERS)
    cancelled = float(gw[~gact].sum())
    if cancelled <= 0:
        raise error("clv_models.error.no_churn")
    objective = lambda p: _objective(p, gn, gact, gw, pen)  # noqa: E731
    logp, msg, stderr = fit_.fit_log_params(objective, np.zeros(2), _NAMES, total, MODEL)
    alpha, beta = (float(v) for v in np.exp(logp))
    return SBGFit(alpha=alpha, beta=beta, loglik=float(objective(logp)[2]), n_customers=total,
                  n_cancelled=cancelled, penalizer=pen, message=msg, stderr=stderr)


def fit_survivors(survivors: Any, periods: Any = None, *, penalizer: float = 0.0) -> SBGFit:
    """Fit the sBG model to a cohort's survivors per period (a ``period, survivors`` table).

    Args:
        survivors: customers active at the start of each period, the cohort first.
        periods: the period labels, checked to be consecutive (optional).
        penalizer: as in :func:`fit`.

    Returns:
        SBGFit.

    Raises:
        LoyaltyError: as :func:`renewals_from_survivors` and :func:`fit`.
    """
    renewals, active, customers = renewals_from_survivors(survivors, periods)
    return fit(renewals, active, weights=customers, penalizer=penalizer)


# --------------------------------------------------------------------------- curves


def _periods(t: Any, lowest: int) -> np.ndarray:
    arr = fit_.as_array(t, "t")
    if (arr < lowest).any() or (np.abs(arr - np.round(arr)) > 1e-9).any():
        raise error("clv_models.error.bad_period_number", field="t", lowest=lowest)
    return np.round(arr).reshape(np.shape(t))


def churn_probability(f: SBGFit, t: Any) -> np.ndarray:
    """P(T = t) = B(alpha+1, beta+t-1) / B(alpha, beta): the share of the cohort that cancels
    at the end of period t.

    Args:
        f: a fitted model.
        t: periods, whole numbers >= 1 (scalar or array).

    Returns:
        Probabilities, in the shape of ``t``.

    Raises:
        LoyaltyError: a period below 1 or not a whole number.
    """
    tt = _periods(t, 1)
    return np.exp(special.betaln(f.alpha + 1.0, f.beta + tt - 1.0) - special.betaln(f.alpha, f.beta))


def survival(f: SBGFit, t: Any) -> np.ndarray:
    """S(t) = B(alpha, beta+t) / B(alpha, beta): the share of the cohort still active after t
    renewals (S(0) = 1).

    Args:
        f: a fitted model.
        t: renewals, whole numbers >= 0 (scalar or array).

    Returns:
        Shares in (0, 1], in the shape of ``t``.

    Raises:
        LoyaltyError: a negative or fractional t.
    """
    tt = _periods(t, 0)
    return np.exp(special.betaln(f.alpha, f.beta + tt) - special.betaln(f.alpha, f.beta))


def retention(f: SBGFit, t: Any) -> np.ndarray:
    """r(t) = S(t) / S(t-1) = (beta+t-1) / (alpha+beta+t-1): the retention rate in period t.

    Args:
        f: a fitted model.
        t: periods, whole numbers >= 1 (scalar or array).

    Returns:
        Retention rates, rising with t, in the shape of ``t``.

    Raises:
        LoyaltyError: a period below 1 or not a whole number.
    """
    tt = _periods(t, 1)
    return (f.beta + tt - 1.0) / (f.alpha + f.beta + tt - 1.0)


def project_survivors(f: SBGFit, cohort: float, t: Any) -> np.ndarray:
    """Expected survivors of a cohort after t renewals: cohort x S(t) (Fader & Hardie 2007, Fig. 4).

    Args:
        f: a fitted model.
        cohort: customers at the start (n_0).
        t: renewals, whole numbers >= 0 (scalar or array).

    Returns:
        Expected survivors (not rounded), in the shape of ``t``.

    Raises:
        LoyaltyError: a negative or fractional t.
    """
    return float(cohort) * survival(f, t)


def _rate(discount_rate: Any, alpha: float) -> float:
    try:
        d = float(discount_rate)
    except (TypeError, ValueError):
        d = float("nan")
    if not (math.isfinite(d) and 0.0 <= d < 10.0):
        raise error("clv_models.error.bad_discount_rate", field="discount_rate", value=str(discount_rate))
    if d == 0.0 and alpha <= 1.0:
        raise error("clv_models.error.infinite_lifetime", field="discount_rate", alpha=f"{alpha:.3f}")
    return d


def derl(f: SBGFit, renewals: Any, discount_rate: float) -> np.ndarray:
    """DERL(d | alpha, beta, n): discounted expected residual lifetime in payments (module docstring).

    Args:
        f: a fitted model.
        renewals: n, renewals the customer has made (whole numbers >= 0).
        discount_rate: d per period (0 <= d < 10; 0 only when alpha > 1, else the expected
            lifetime is infinite).

    Returns:
        Expected discounted number of future payments; residual value = payment x DERL.

    Raises:
        LoyaltyError: bad renewals or discount rate.
    """
    n = _whole(renewals, "renewals")
    d = _rate(discount_rate, f.alpha)
    values, row = np.unique(n, return_inverse=True)  # a few dozen renewal counts for any number of customers
    b = f.beta + values
    per_value = b / (f.alpha + b) * special.hyp2f1(1.0, b + 1.0, f.alpha + b + 1.0, 1.0 / (1.0 + d))
    return per_value[row].reshape(np.shape(renewals))


def discounted_expected_lifetime(f: SBGFit, discount_rate: float) -> float:
    """DEL(d | alpha, beta) = 2F1(1, beta; alpha+beta; 1/(1+d)) (Fader & Hardie 2010).

    Args:
        f: a fitted model.
        discount_rate: d per period, as in :func:`derl`.

    Returns:
        Discounted payments expected from a customer about to make her first payment, that
        payment (undiscounted) included; LTV at acquisition = payment x DEL.

    Raises:
        LoyaltyError: bad discount rate.
    """
    d = _rate(discount_rate, f.alpha)
    return float(special.hyp2f1(1.0, f.beta, f.alpha + f.beta, 1.0 / (1.0 + d)))


def simulate(n_customers: int, alpha: float, beta: float, *, max_periods: int = 24,
             seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Draw customers from the sBG model, each observed for 1..max_periods renewal decisions.

    theta ~ Beta(alpha, beta); the cancellation period T ~ Geometric(theta); a customer
    observed for k decisions (k uniform on 1..max_periods) has renewals min(T-1, k) and is
    active when T > k.

    Args:
        n_customers: number of customers.
        alpha, beta: the Beta distribution of theta.
        max_periods: longest observation, in renewal decisions.
        seed: seed of numpy's default generator.

    Returns:
        (renewals, active) arrays.
    """
    rng = np.random.default_rng(seed)
    n = int(n_customers)
    theta = np.clip(rng.beta(alpha, beta, size=n), 1e-12, 1.0)
    T = rng.geometric(theta)
    k = rng.integers(1, int(max_periods) + 1, size=n)
    return np.minimum(T - 1, k).astype(float), T > k
