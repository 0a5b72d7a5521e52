"""Maximum-likelihood machinery every CLV model shares: inputs, grouping, the optimiser, the checks.

Every fit here (BG/NBD, Pareto/NBD, MBG/NBD, sBG, Gamma-Gamma) minimises the *mean*
negative log-likelihood per customer plus an optional L2 penalty on the log-parameters,

    objective(theta) = -loglik(exp(theta)) / n_customers + penalizer * sum(theta ** 2),

over theta = log(parameters) inside the box [ln 1e-6, ln 1e6], and returns a fit only when

* no parameter ends on the box (it ran off to 0 or infinity),
* the gradient of the objective is below :data:`GRAD_TOL` (converged), and
* the observed information is positive definite with every log-parameter's standard
  error at most :data:`MAX_LOG_SE` (the data pin the parameters down);

otherwise a :class:`loyalty.errors.LoyaltyError` (``clv.error.degenerate`` /
``clv.error.not_converged``, with ``field="penalizer"``: the automatic penalizer retry of
:mod:`loyalty.clv.api` keys on that field) names the model and says in plain words what
the data cannot pin down (``clv.meaning.<param>``, or ``clv.meaning.<model>.<param>``
where a parameter name means something else in that model).

* :func:`group` groups rows with identical covariates ((x, t_x, T), (x, m_x), (n, active))
  and sums their weights (customer counts), so a likelihood costs the number of distinct
  rows, not customers: what makes a million customers fit in well under two seconds.
* :func:`minimise` is L-BFGS-B with the model's analytic gradient (Nelder-Mead + polish
  as a fallback) that stops early on a ridge running towards the box.
* :func:`fit_log_params` is minimise + checks, the whole maximum-likelihood step, run
  with one BLAS thread (:func:`single_blas_thread`).
* :func:`check_counts` validates a non-contractual summary (x, t_x, T) with weights.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd
from scipy import optimize

from loyalty.errors import LoyaltyError
from loyalty.i18n import LANGUAGES, catalogue, error, t

#: Fewer customers than this (sum of the weights) and a purchase-model fit is refused.
MIN_CUSTOMERS: int = 10
# Optimiser box on the log-parameters: every parameter lies in [1e-6, 1e6].
LOG_BOUND = math.log(1e6)
_AT_BOUND = 0.05  # distance in log units that counts as "on the box"
#: Largest |gradient| of the objective (mean per customer, log-parameters) accepted as converged.
GRAD_TOL: float = 1e-4
#: Largest standard error of a log-parameter accepted as identified.  Sound fits on 50
#: customers stay below 2.5; fits sliding along a flat ridge (e.g. a -> 0 with
#: b -> infinity: "nobody ever leaves") are in the thousands or have no maximum at all.
MAX_LOG_SE: float = 10.0
#: Iterations over which :func:`minimise` watches for a parameter running off along a ridge.
RIDGE_WINDOW: int = 5
#: Beyond 1e-4 .. 1e4 a parameter is "far out": there a window that gains less than
#: :data:`FLAT_GAIN` in total log-likelihood while moving further out is a ridge.
RIDGE_FAR: float = math.log(1e4)
#: A gain in total log-likelihood too small to count as evidence (a likelihood ratio of e).
FLAT_GAIN: float = 1.0

#: An objective: log-parameters -> (mean negative log-likelihood + penalty, its gradient, total loglik).
Objective = Callable[[np.ndarray], tuple[float, np.ndarray, float]]


# --------------------------------------------------------------------------- messages


def both(key: str, **values: object) -> dict[str, str]:
    """A catalogue text in both languages, as a placeholder value for :func:`error`."""
    return {lang: t(key, lang, **values) for lang in LANGUAGES}


def model_name(model: str) -> dict[str, str]:
    """The model's display name (``clv.model.<model>``) in both languages."""
    return both(f"clv.model.{model}")


def meaning_key(model: str, param: str) -> str:
    """The catalogue key saying what ``param`` of ``model`` describes.

    ``clv.meaning.<model>.<param>`` where the model gives the name its own meaning (sBG's
    alpha and beta describe cancelling, not purchase rates), else ``clv.meaning.<param>``.
    """
    own = f"clv.meaning.{model}.{param}"
    return own if own in catalogue("ja") else f"clv.meaning.{param}"


# --------------------------------------------------------------------------- inputs


def as_array(values: Any, column: str) -> np.ndarray:
    """A 1-d float array of finite numbers, or a LoyaltyError naming ``column``."""
    try:
        arr = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        arr = np.array([np.nan])
    if not np.isfinite(arr).all():
        raise error("clv.error.summary_not_numeric", column=column, name={"ja": column, "en": repr(column)})
    return arr


def weights_for(weights: Any, n: int) -> np.ndarray:
    """Customer counts per row: ones when None, else finite numbers >= 0 of length ``n``."""
    if weights is None:
        return np.ones(n)
    w = as_array(weights, "weights")
    if w.size != n:
        raise error("clv.error.length_mismatch", column="weights")
    if (w < 0).any():
        raise error("clv.error.bad_weights", column="weights")
    return w


def check_counts(frequency: Any, recency: Any, T: Any, weights: Any,
                 model: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate a non-contractual summary (x, t_x, T) with optional weights (customer counts).

    Rows with weight 0 are dropped.

    Args:
        frequency, recency, T: x, t_x, T per row.
        weights: customers per row, or None (one each).
        model: model key (names the model in messages).

    Returns:
        (x, t_x, T, weights) as float arrays.

    Raises:
        LoyaltyError: mismatched lengths, non-numeric values, x not a whole number >= 0,
            t_x outside [0, T] (or t_x > 0 with x = 0), negative weights, fewer than
            :data:`MIN_CUSTOMERS` customers, or nobody with a repeat purchase.
    """
    x, tx, T_ = as_array(frequency, "frequency"), as_array(recency, "recency"), as_array(T, "T")
    if not x.size == tx.size == T_.size:
        raise error("clv.error.length_mismatch", column="recency, T")
    w = weights_for(weights, x.size)
    keep = w > 0
    if not keep.all():
        x, tx, T_, w = x[keep], tx[keep], T_[keep], w[keep]
    n = float(w.sum())
    if n < MIN_CUSTOMERS:
        raise error("clv.error.too_few_customers", model=model_name(model), n=int(round(n)), least=MIN_CUSTOMERS)
    if (x < 0).any() or (np.abs(x - np.round(x)) > 1e-9).any():
        raise error("clv.error.frequency_not_integer", column="frequency")
    x = np.round(x)
    if (tx < 0).any() or (tx > T_ + 1e-9).any() or ((x == 0) & (tx != 0)).any():
        raise error("clv.error.recency_out_of_range", column="recency")
    if not (x > 0).any():
        raise error("clv.error.nobody_repeats", field="calibration_end")
    return x, np.minimum(tx, T_), T_, w


def rows(frequency: Any, recency: Any, T: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, ...]]:
    """x, t_x, T broadcast together and flattened, with the broadcast shape (for predictions)."""
    x, tx, T_ = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (frequency, recency, T)))
    return x.reshape(-1), tx.reshape(-1), T_.reshape(-1), x.shape


def shaped(values: np.ndarray, shape: tuple[int, ...]) -> Any:
    """A prediction back in the callers' shape: a float for scalars, else an ndarray."""
    return float(values[0]) if shape == () else values.reshape(shape)


def dot(u: np.ndarray, v: np.ndarray) -> float:
    """Sum of u * v without BLAS (einsum is as fast here and never waits on BLAS threads)."""
    return float(np.einsum("i,i->", u, v))


# --------------------------------------------------------------------------- grouping


@dataclass(frozen=True)
class Groups:
    """Rows grouped by identical values in every column, with their summed weights.

    ``values[k]`` holds the distinct values of column k and ``codes[k]`` the index into it
    for each group; ``weight`` is the summed weight (number of customers) of each group,
    ``totals[k]`` the total weight per distinct value of column k and ``row_group`` the
    group of each input row.
    """

    values: tuple[np.ndarray, ...]
    codes: tuple[np.ndarray, ...]
    weight: np.ndarray
    totals: tuple[np.ndarray, ...]
    row_group: np.ndarray

    @property
    def n_groups(self) -> int:
        """Number of distinct rows."""
        return int(self.weight.size)

    def column(self, k: int) -> np.ndarray:
        """Column ``k``'s value for each group."""
        return self.values[k][self.codes[k]]


def group(*columns: np.ndarray, weights: np.ndarray | None = None) -> Groups:
    """Group rows with identical values in all ``columns`` (hash-based, O(n)).

    pandas' ``factorize`` is about ten times faster than numpy's sort-based ``unique`` on
    a million rows.

    Args:
        *columns: equally long numeric arrays, one per covariate.
        weights: weight (customer count) of each row; None = one each.

    Returns:
        The groups.
    """
    uniques: list[np.ndarray] = []
    row_codes: list[np.ndarray] = []
    for col in columns:
        codes, uniq = pd.factorize(col, sort=False)
        uniques.append(np.asarray(uniq, dtype=float))
        row_codes.append(codes.astype(np.int64))
    key = row_codes[0]
    for codes, uniq in zip(row_codes[1:], uniques[1:]):
        key = key * np.int64(len(uniq)) + codes  # far below 2**63 for any realistic data
    gcodes, gkeys = pd.factorize(key, sort=False)
    weight = np.bincount(gcodes, weights=weights).astype(float)
    rest = np.asarray(gkeys, dtype=np.int64)
    group_codes: list[np.ndarray] = []
    for uniq in reversed(uniques[1:]):
        group_codes.append(rest % len(uniq))
        rest = rest // len(uniq)
    group_codes.append(rest)
    group_codes.reverse()
    totals = tuple(np.bincount(c, weights=weight, minlength=len(u)) for c, u in zip(group_codes, uniques))
    return Groups(values=tuple(uniques), codes=tuple(group_codes), weight=weight, totals=totals,
                  row_group=np.asarray(gcodes))


# --------------------------------------------------------------------------- BLAS threads


@lru_cache(maxsize=1)
def _blas_controller() -> Any:
    """threadpoolctl's controller of the loaded BLAS libraries, made once (about 3 ms), or None."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # without threadpoolctl the fits are correct, only slower on a busy machine
        return None
    return ThreadpoolController()


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """Run the block with one BLAS thread.

    The fits do tiny linear algebra (a 4-vector L-BFGS-B, a 4 x 4 eigendecomposition) many
    times; OpenBLAS's threads wake up for each call and, on a busy 2-core machine, the fit
    spends most of its time waiting for them (a CDNOW BG/NBD fit: 0.27 s, with one thread
    0.01 s).  threadpoolctl limits them for the block only and restores them after.
    """
    controller = _blas_controller()
    if controller is None:
        yield
        return
    with controller.limit(limits=1, user_api="blas"):
        yield


# --------------------------------------------------------------------------- optimiser


def minimise(objective: Objective, x0: np.ndarray, n_customers: float) -> tuple[np.ndarray, float, str, list[int]]:
    """Minimise ``objective`` over log-parameters in the box [-ln 1e6, ln 1e6].

    L-BFGS-B with the analytic gradient; when that does not reach :data:`GRAD_TOL`,
    Nelder-Mead from the same start and an L-BFGS-B polish, keeping the better end.

    L-BFGS-B is stopped early when it is crawling along a ridge towards the box (the fit
    would be refused anyway, and far out such steps are the slowest to evaluate: a
    Pareto/NBD step near beta = 1e6 costs seconds), when over the last :data:`RIDGE_WINDOW`
    iterations some log-parameters moved outwards by d and

    * d >= 1 while the total log-likelihood gained less than d^2 / (2 MAX_LOG_SE^2) - less
      than it must gain if the standard error in that direction were within
      :data:`MAX_LOG_SE`; or
    * d >= 1, they are far out (beyond :data:`RIDGE_FAR`) and the gain is below
      :data:`FLAT_GAIN`: the data no longer prefer going further; or
    * one of them reached the box (a fit that ends there is refused).

    Args:
        objective: log-parameters -> (objective, gradient, loglik).
        x0: starting log-parameters.
        n_customers: customers fitted (the objective is a mean over them).

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
        gain = (f0 - f) * n_customers
        far = (np.abs(p) > RIDGE_FAR) & (outward > 0)
        if d >= 1.0 and gain < d * d / (2.0 * MAX_LOG_SE**2):
            ridge.extend(int(i) for i in np.flatnonzero(outward >= 0.5 * d))
        elif d >= 1.0 and far.any() and gain < FLAT_GAIN:
            ridge.extend(int(i) for i in np.flatnonzero(far))
        elif (np.abs(p) >= LOG_BOUND - _AT_BOUND).any() and d > 0:
            ridge.extend(int(i) for i in np.flatnonzero(np.abs(p) >= LOG_BOUND - _AT_BOUND))
        if ridge:
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

    The Hessian of the total negative log-likelihood (+ penalty) is taken by central
    differences of the analytic gradient.  When it is not positive definite (no proper
    maximum: a flat ridge) the parameters moving along the flattest direction get an
    infinite standard error and the others 0.

    Args:
        objective: as for :func:`minimise`.
        logp: the fitted log-parameters.
        n_customers: number of customers (the objective is a mean over them).

    Returns:
        One standard error per log-parameter, or None when the Hessian is not finite.
    """
    k = logp.size
    h = 1e-5
    H = np.empty((k, k))
    with np.errstate(all="ignore"):
        for i in range(k):
            step = np.zeros(k)
            step[i] = h
            H[i] = (np.asarray(objective(logp + step)[1]) - np.asarray(objective(logp - step)[1])) / (2 * h)
    H = 0.5 * (H + H.T) * n_customers
    if not np.isfinite(H).all():
        return None
    vals, vecs = np.linalg.eigh(H)
    if vals[0] <= 1e-12 * max(abs(vals[-1]), 1.0):
        # no proper maximum: report the parameters that move along the flattest direction
        return np.where(np.abs(vecs[:, 0]) >= 0.3, np.inf, 0.0)
    return np.sqrt(np.einsum("ij,j,ij->i", vecs, 1.0 / vals, vecs))  # sqrt(diag(H^-1))


def check_fit(objective: Objective, logp: np.ndarray, gmax: float, msg: str, names: tuple[str, ...],
              n_customers: float, model: str) -> dict[str, float]:
    """Refuse a fit that hit the box, did not converge or is not identified.

    Args:
        objective: as for :func:`minimise`.
        logp, gmax, msg: what :func:`minimise` returned.
        names: parameter names.
        n_customers: number of customers fitted.
        model: model key (``clv.model.<key>`` names it in messages).

    Returns:
        Standard errors of the parameters (delta method: se(theta) = theta * se(log theta)).

    Raises:
        LoyaltyError: ``field="penalizer"``, saying what to do.
    """
    at_edge = [nm for nm, v in zip(names, logp) if abs(v) >= LOG_BOUND - _AT_BOUND]
    if at_edge:
        raise degenerate_error(model, at_edge)
    if not gmax <= GRAD_TOL:
        raise convergence_error(model, f"gradient {gmax:.2e}; {msg}")
    se = log_param_se(objective, logp, n_customers)
    if se is None:  # the Hessian could not be evaluated
        raise convergence_error(model, f"non-finite Hessian; {msg}")
    loose = [nm for nm, v in zip(names, se) if not v <= MAX_LOG_SE]
    if loose:
        raise degenerate_error(model, loose)
    return {nm: float(math.exp(v) * e) for nm, v, e in zip(names, logp, se)}


def fit_log_params(objective: Objective, x0: np.ndarray, names: tuple[str, ...], n_customers: float,
                   model: str) -> tuple[np.ndarray, str, dict[str, float]]:
    """Minimise, then check: the whole maximum-likelihood step of every model (one BLAS thread).

    Args:
        objective: log-parameters -> (objective, gradient, loglik).
        x0: starting log-parameters.
        names: parameter names in the order of the vector.
        n_customers: customers fitted.
        model: model key.

    Returns:
        (log-parameters, optimiser message, standard errors of the parameters).

    Raises:
        LoyaltyError: as :func:`check_fit`; a ridge stop is a degenerate fit.
    """
    with single_blas_thread():
        logp, gmax, msg, ridge = minimise(objective, x0, n_customers)
        if ridge:
            raise degenerate_error(model, [names[i] for i in ridge])
        stderr = check_fit(objective, logp, gmax, msg, names, n_customers, model)
    return logp, msg, stderr


@dataclass
class FitRefusal(LoyaltyError):
    """A fit refused because regularisation may help (``field="penalizer"``), saying of which
    model and which parameters, so a caller can explain a penalizer it applied without
    quoting the refusal's advice.

    Attributes:
        model: the model key.
        params: the parameters that ran off (empty when the fit did not converge).
    """

    model: str = ""
    params: tuple[str, ...] = ()


def _refusal(base: LoyaltyError, model: str, params: list[str]) -> FitRefusal:
    return FitRefusal(**{f.name: getattr(base, f.name) for f in fields(LoyaltyError)}, model=model,
                      params=tuple(params))


def convergence_error(model: str, detail: str) -> LoyaltyError:
    """The optimiser did not converge: suggest more data or a penalizer.

    Args:
        model: model key.
        detail: the optimiser's state, for the English message (developers read it).
    """
    return _refusal(error("clv.error.not_converged", field="penalizer", model=model_name(model),
                          detail={"ja": "", "en": f" ({detail})"}), model, [])


def degenerate_error(model: str, names: list[str]) -> LoyaltyError:
    """Parameters ``names`` run off to extreme values: say what they describe, suggest a penalizer.

    Args:
        model: model key.
        names: the parameters that cannot be determined.
    """
    meanings = {lang: list(dict.fromkeys(t(meaning_key(model, nm), lang) for nm in names)) for lang in LANGUAGES}
    return _refusal(error("clv.error.degenerate", field="penalizer", model=model_name(model),
                          what={"ja": "・".join(f"「{m}」" for m in meanings["ja"]), "en": " / ".join(meanings["en"])},
                          params=", ".join(names)), model, names)
