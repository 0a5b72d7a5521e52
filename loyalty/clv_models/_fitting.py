"""What the lifetime models share: checked inputs, weighted unique summaries, the
maximum-likelihood optimiser, and the refusal of fits the data cannot pin down.

Every fit here minimises the *mean* negative log-likelihood per customer plus an optional
L2 penalty on the log-parameters,

    objective(theta) = -loglik(exp(theta)) / n_customers + penalizer * sum(theta ** 2),

over theta = log(parameters) inside the box [ln 1e-6, ln 1e6], with L-BFGS-B and the
model's analytic gradient (the conventions of ``loyalty.clv.fit_bgnbd``).  A fit is
returned only when

* no parameter ends on the box (it ran off to 0 or infinity),
* the gradient of the objective is below :data:`GRAD_TOL` (converged), and
* the observed information is positive definite with every log-parameter's standard
  error at most :data:`MAX_LOG_SE` (the data pin the parameters down);

otherwise a :class:`loyalty.errors.LoyaltyError` from the ``clv_models`` catalogue says
what to do.  Customers with identical covariates are grouped and weighted by their count,
so the cost grows with the number of distinct summaries, not with customers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd
from scipy import optimize

from loyalty.errors import LoyaltyError
from loyalty.i18n import LANGUAGES, error, t

#: Fewer customers than this (sum of weights) and a non-contractual fit is refused.
MIN_CUSTOMERS: int = 10
#: Largest |gradient| of the objective (mean per customer, log-parameters) accepted as converged.
GRAD_TOL: float = 1e-4
#: Largest standard error of a log-parameter accepted as identified (sound fits on 50
#: customers stay below about 2.5; a flat ridge gives thousands or no maximum at all).
MAX_LOG_SE: float = 10.0
#: Time units a non-contractual summary may be in (carried into the fit, never converted).
TIME_UNITS: tuple[str, ...] = ("days", "weeks")

#: Iterations over which :func:`minimise` watches for a parameter running off along a ridge.
RIDGE_WINDOW: int = 5

LOG_BOUND = math.log(1e6)
_AT_BOUND = 0.05  # distance (log units) from the box that counts as "ran off"

Objective = Callable[[np.ndarray], tuple[float, np.ndarray, float]]


def both(key: str, **values: object) -> dict[str, str]:
    """A catalogue text in both languages, as a placeholder value for :func:`error`."""
    return {lang: t(key, lang, **values) for lang in LANGUAGES}


def model_name(model: str) -> dict[str, str]:
    """The model's display name (``clv_models.model.<model>``) in both languages."""
    return both(f"clv_models.model.{model}")


# --------------------------------------------------------------------------- inputs


def as_array(values: Any, column: str) -> np.ndarray:
    """A 1-d float array of finite numbers, or a LoyaltyError naming ``column``."""
    try:
        arr = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise error("clv_models.error.not_numeric", column=column) from None
    if not np.isfinite(arr).all():
        raise error("clv_models.error.not_numeric", column=column)
    return arr


def check_penalizer(penalizer: Any) -> float:
    """The penalizer as a float >= 0, or a LoyaltyError."""
    try:
        value = float(penalizer)
    except (TypeError, ValueError):
        value = float("nan")
    if not (math.isfinite(value) and value >= 0.0):
        raise error("clv_models.error.bad_penalizer", field="penalizer", value=str(penalizer))
    return value


def check_time_unit(time_unit: Any) -> str | None:
    """None, "days" or "weeks"; anything else is a LoyaltyError."""
    if time_unit is None or time_unit in TIME_UNITS:
        return time_unit
    raise error("clv_models.error.bad_time_unit", field="time_unit", value=str(time_unit))


def weights_for(weights: Any, n: int) -> np.ndarray:
    """Customer counts per row: ones when None, else finite numbers >= 0 of length ``n``."""
    if weights is None:
        return np.ones(n)
    w = as_array(weights, "weights")
    if w.size != n:
        raise error("clv_models.error.length_mismatch", column="weights")
    if (w < 0).any():
        raise error("clv_models.error.bad_weights", column="weights")
    return w


def check_counts(
    frequency: Any, recency: Any, T: Any, weights: Any, model: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate a non-contractual summary (x, t_x, T) with optional weights.

    Rows with weight 0 are dropped.  Raises a LoyaltyError for mismatched lengths,
    non-numeric values, x not a whole number >= 0, t_x outside [0, T] (or t_x > 0 with
    x = 0), negative weights, fewer than :data:`MIN_CUSTOMERS` customers, or nobody with
    a repeat purchase.

    Returns:
        (x, t_x, T, weights) as float arrays.
    """
    x = as_array(frequency, "frequency")
    tx = as_array(recency, "recency")
    T_ = as_array(T, "T")
    if not x.size == tx.size == T_.size:
        raise error("clv_models.error.length_mismatch", column="recency, T")
    w = weights_for(weights, x.size)
    keep = w > 0
    if not keep.all():
        x, tx, T_, w = x[keep], tx[keep], T_[keep], w[keep]
    if (x < 0).any() or (np.abs(x - np.round(x)) > 1e-9).any():
        raise error("clv_models.error.bad_frequency", column="frequency")
    x = np.round(x)
    if (tx < 0).any() or (tx > T_ + 1e-9).any() or ((x == 0) & (tx != 0)).any():
        raise error("clv_models.error.bad_recency", column="recency")
    tx = np.minimum(tx, T_)
    n = float(w.sum())
    if n < MIN_CUSTOMERS:
        raise error("clv_models.error.too_few_customers", model=model_name(model), n=int(round(n)),
                    minimum=MIN_CUSTOMERS)
    if not (x > 0).any():
        raise error("clv_models.error.no_repeat", field="calibration_end", model=model_name(model))
    return x, tx, T_, w


def check_horizon(t: Any) -> float:
    """A forecast length as a float >= 0, or a LoyaltyError."""
    try:
        value = float(t)
    except (TypeError, ValueError):
        value = float("nan")
    if not (math.isfinite(value) and value >= 0.0):
        raise error("clv_models.error.bad_horizon", field="t", value=str(t))
    return value


def rows(frequency: Any, recency: Any, T: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, ...]]:
    """x, t_x, T broadcast together and flattened, with the broadcast shape (for predictions)."""
    x, tx, T_ = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (frequency, recency, T)))
    return x.reshape(-1), tx.reshape(-1), T_.reshape(-1), x.shape


def shaped(values: np.ndarray, shape: tuple[int, ...]) -> Any:
    """A prediction back in the callers' shape: a float for scalars, else an ndarray."""
    return float(values[0]) if shape == () else values.reshape(shape)


def dot(u: np.ndarray, v: np.ndarray) -> float:
    """Sum of u * v without BLAS (its threads contend on a busy machine; einsum is as fast here)."""
    return float(np.einsum("i,i->", u, v))


# --------------------------------------------------------------------------- grouping


@dataclass(frozen=True)
class Groups:
    """Rows grouped by identical values in every column, weighted by their total weight.

    ``values[k]`` holds the distinct values of column k, ``codes[k]`` the index into it
    for each group, ``weight`` the summed weight (number of customers) of each group and
    ``row_group`` the group of each input row.
    """

    values: tuple[np.ndarray, ...]
    codes: tuple[np.ndarray, ...]
    weight: np.ndarray
    row_group: np.ndarray

    @property
    def n_groups(self) -> int:
        """Number of distinct rows."""
        return int(self.weight.size)

    def column(self, k: int) -> np.ndarray:
        """Column k's value for each group."""
        return self.values[k][self.codes[k]]


def group(columns: tuple[np.ndarray, ...], weights: np.ndarray) -> Groups:
    """Group rows with identical values in all ``columns``.

    Uses pandas' hash-based ``factorize`` (O(n); numpy's sort-based ``unique`` is about ten
    times slower on a million rows), the only pandas call of the models.

    Args:
        columns: equal-length 1-d arrays.
        weights: weight of each row.

    Returns:
        The groups.
    """
    uniques, row_codes = [], []
    for col in columns:
        codes, uniq = pd.factorize(col, sort=False)
        uniques.append(np.asarray(uniq, dtype=float))
        row_codes.append(codes.astype(np.int64))
    key = row_codes[0]
    for codes, uniq in zip(row_codes[1:], uniques[1:]):
        key = key * np.int64(len(uniq)) + codes  # far below 2**63 for any real summary
    gcodes, gkeys = pd.factorize(key, sort=False)
    weight = np.bincount(gcodes, weights=weights).astype(float)
    rest = np.asarray(gkeys, dtype=np.int64)
    codes_out: list[np.ndarray] = []
    for uniq in reversed(uniques[1:]):
        codes_out.append(rest % len(uniq))
        rest = rest // len(uniq)
    codes_out.append(rest)
    codes_out.reverse()
    return Groups(values=tuple(uniques), codes=tuple(codes_out), weight=weight, row_group=gcodes)


# --------------------------------------------------------------------------- optimiser


def minimise(objective: Objective, x0: np.ndarray, n_customers: float) -> tuple[np.ndarray, float, str, list[int]]:
    """Minimise ``objective`` (returns value, gradient, loglik) over log-parameters in the box.

    L-BFGS-B with the analytic gradient; when that does not reach :data:`GRAD_TOL`,
    Nelder-Mead from the same start and an L-BFGS-B polish, keeping the better end.

    L-BFGS-B is stopped early when it is crawling along a ridge towards the box: when over
    the last :data:`RIDGE_WINDOW` iterations some log-parameters moved outwards by d >= 1
    while the total log-likelihood gained less than d^2 / (2 MAX_LOG_SE^2) - less than it
    must gain if the standard error in that direction were within :data:`MAX_LOG_SE`, so
    the fit would be refused anyway (and far out such steps are the slowest to evaluate).

    Returns:
        (log-parameters, largest projected |gradient|, the optimiser's message, indices
        of the parameters running off along a ridge - empty unless stopped for that).
    """
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(x0)
    start = np.clip(np.asarray(x0, dtype=float), -LOG_BOUND, LOG_BOUND)
    ridge: list[int] = []
    seen: list[tuple[np.ndarray, float]] = []

    def fg(p: np.ndarray) -> tuple[float, np.ndarray]:
        f, g = objective(p)[:2]
        if not (np.isfinite(f) and np.isfinite(g).all()):
            return 1e300, np.zeros_like(p)
        return f, g

    def watch(intermediate_result: Any) -> None:
        p, f = np.array(intermediate_result.x, dtype=float), float(intermediate_result.fun)
        seen.append((p, f))
        if len(seen) <= RIDGE_WINDOW:
            return
        p0, f0 = seen[-RIDGE_WINDOW - 1]
        outward = np.abs(p) - np.abs(p0)
        d = float(outward.max())
        if d >= 1.0 and (f0 - f) * n_customers < d * d / (2.0 * MAX_LOG_SE**2):
            ridge.extend(int(i) for i in np.flatnonzero(outward >= 0.5 * d))
            raise StopIteration

    def polish(p: np.ndarray, callback: Any = None) -> Any:
        return optimize.minimize(fg, p, jac=True, method="L-BFGS-B", bounds=bounds, callback=callback,
                                 options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-9, "maxcor": 20})

    with np.errstate(all="ignore"):
        res = polish(start, watch)
        best_x, best_f, msg = res.x, float(res.fun), str(res.message)
        if ridge:
            return best_x, projected_gradient(objective, best_x), msg, ridge
        best_g = projected_gradient(objective, best_x)
        if not (best_f < 1e300 and best_g <= GRAD_TOL):
            nm = optimize.minimize(lambda p: fg(p)[0], start, method="Nelder-Mead", bounds=bounds,
                                   options={"maxiter": 4000, "xatol": 1e-10, "fatol": 1e-14})
            res2 = polish(nm.x)
            if float(res2.fun) < best_f:
                best_x, best_f, msg = res2.x, float(res2.fun), str(res2.message)
                best_g = projected_gradient(objective, best_x)
    return best_x, best_g, msg, ridge


def projected_gradient(objective: Objective, p: np.ndarray) -> float:
    """Largest |gradient| component, ignoring components that push against an active bound."""
    with np.errstate(all="ignore"):
        g = np.asarray(objective(p)[1], dtype=float)
    g = np.where((p <= -LOG_BOUND + 1e-9) & (g > 0), 0.0, g)
    g = np.where((p >= LOG_BOUND - 1e-9) & (g < 0), 0.0, g)
    return float(np.max(np.abs(g))) if np.isfinite(g).all() else float("inf")


def log_param_se(objective: Objective, logp: np.ndarray, n_customers: float) -> np.ndarray | None:
    """Standard errors of the log-parameters from the observed information.

    The Hessian of the total penalised negative log-likelihood is taken by forward
    differences of the analytic gradient (one gradient per parameter).  Without a proper
    maximum (a Hessian that is not positive definite: a flat ridge) the parameters moving
    along the flattest direction get an infinite standard error, the others 0.

    Returns:
        One standard error per log-parameter, or None when the Hessian is not finite.
    """
    k = logp.size
    h = 1e-5
    with np.errstate(all="ignore"):
        g0 = np.asarray(objective(logp)[1], dtype=float)
        H = np.empty((k, k))
        for i in range(k):
            step = np.zeros(k)
            step[i] = h
            H[i] = (np.asarray(objective(logp + step)[1], dtype=float) - g0) / h
    H = 0.5 * (H + H.T) * n_customers
    if not np.isfinite(H).all():
        return None
    vals, vecs = np.linalg.eigh(H)
    if vals[0] <= 1e-12 * max(abs(vals[-1]), 1.0):
        return np.where(np.abs(vecs[:, 0]) >= 0.3, np.inf, 0.0)
    return np.sqrt(np.einsum("ij,j,ij->i", vecs, 1.0 / vals, vecs))


def check_fit(objective: Objective, logp: np.ndarray, gmax: float, msg: str,
              names: tuple[str, ...], n_customers: float, model: str) -> dict[str, float]:
    """Refuse a fit that ran off to the box, did not converge or is not identified.

    Args:
        objective: the minimised objective.
        logp: the log-parameters found.
        gmax: largest projected |gradient| there.
        msg: the optimiser's message (kept in the English text of a convergence error).
        names: parameter names in the order of ``logp``.
        n_customers: number of customers (to scale the mean objective's Hessian).
        model: model key (``pareto_nbd``, ``mbgnbd``, ``sbg``).

    Returns:
        Standard errors of the parameters (delta method: se(theta) = theta * se(log theta)).

    Raises:
        LoyaltyError: ``clv_models.error.not_identified`` or ``clv_models.error.not_converged``.
    """
    at_edge = [nm for nm, v in zip(names, logp) if abs(v) >= LOG_BOUND - _AT_BOUND]
    if at_edge:
        raise not_identified(model, at_edge)
    if not gmax <= GRAD_TOL:
        raise error("clv_models.error.not_converged", field="penalizer", model=model_name(model),
                    detail=f"|gradient| {gmax:.2e}; {msg}")
    se = log_param_se(objective, logp, n_customers)
    if se is None:
        raise error("clv_models.error.not_converged", field="penalizer", model=model_name(model),
                    detail=f"non-finite Hessian; {msg}")
    loose = [nm for nm, v in zip(names, se) if not v <= MAX_LOG_SE]
    if loose:
        raise not_identified(model, loose)
    return {nm: float(math.exp(v) * e) for nm, v, e in zip(names, logp, se)}


def not_identified(model: str, names: list[str]) -> LoyaltyError:
    """The error for parameters the data cannot pin down, saying what they describe."""
    meanings = {lang: list(dict.fromkeys(t(f"clv_models.param.{model}.{nm}", lang) for nm in names))
                for lang in LANGUAGES}
    what = {"ja": "・".join(f"「{m}」" for m in meanings["ja"]), "en": " / ".join(meanings["en"])}
    listed = ", ".join(names)
    params = {"ja": listed, "en": f"parameter {listed} runs off" if len(names) == 1 else f"parameters {listed} run off"}
    return error("clv_models.error.not_identified", field="penalizer", model=model_name(model),
                 what=what, params=params)


def fit_log_params(objective: Objective, x0: np.ndarray, names: tuple[str, ...],
                   n_customers: float, model: str) -> tuple[np.ndarray, str, dict[str, float]]:
    """Minimise, then check: the whole maximum-likelihood step of every model.

    Returns:
        (log-parameters, optimiser message, standard errors of the parameters).

    Raises:
        LoyaltyError: as :func:`check_fit`.
    """
    logp, gmax, msg, ridge = minimise(objective, x0, n_customers)
    if ridge:
        raise not_identified(model, [names[i] for i in ridge])
    stderr = check_fit(objective, logp, gmax, msg, names, n_customers, model)
    return logp, msg, stderr
