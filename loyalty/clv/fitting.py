"""Maximum-likelihood machinery the CLV models share: grouping, the optimiser, the checks.

* :func:`group` groups customers with identical covariates ((x, t_x, T), or (x, m_x))
  and weights each group by its size, so a likelihood costs the number of distinct
  triples, not customers: what makes a million customers fit in well under two seconds.
* :func:`fit_box` minimises a mean negative log-likelihood over log-parameters inside
  the box [1e-6, 1e6] (L-BFGS-B with the analytic gradient, Nelder-Mead as a fallback).
* :func:`check_fit` refuses a fit that ran onto the box, did not converge or is not
  identified, with a catalogue message (``clv.error.degenerate`` /
  ``clv.error.not_converged``, ``field="penalizer"``: the automatic penalizer retry of
  :mod:`loyalty.clv.api` keys on that field), and returns standard errors.

A model module supplies an objective ``f(log_params) -> (objective, gradient, loglik)``
and its model key (``clv.model.<key>`` names it in messages; every parameter needs a
``clv.meaning.<name>`` entry saying in plain words what it describes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd
from scipy import optimize

from loyalty.errors import LoyaltyError
from loyalty.i18n import error, t

# Optimiser box on the log-parameters: every parameter lies in [1e-6, 1e6].  A fit that
# ends on this box is degenerate (a parameter ran away) and is reported, not returned.
LOG_BOUND = math.log(1e6)
_AT_BOUND = 0.05  # distance in log units that counts as "on the box"
# Largest gradient (of the per-customer mean negative log-likelihood, in log-parameters)
# accepted as converged.
GRAD_TOL = 1e-4
# Largest standard error of a log-parameter (from the observed information) accepted as
# identified.  Sound fits on 50 customers stay below 2.5; fits sliding along a flat ridge
# (e.g. a -> 0 with b -> infinity: "nobody ever leaves") are in the thousands or undefined.
MAX_LOG_SE = 10.0

#: An objective: log-parameters -> (mean negative log-likelihood + penalty, its gradient, total loglik).
Objective = Callable[[np.ndarray], tuple[float, np.ndarray, float]]


@dataclass(frozen=True)
class Groups:
    """Customers grouped by identical covariates, with per-column unique values.

    ``values[k]`` holds the distinct values of covariate k and ``codes[k]`` the index into
    it for each group; ``weight`` is the number of customers in each group and
    ``totals[k]`` the total weight per distinct value of covariate k.
    """

    values: tuple[np.ndarray, ...]
    codes: tuple[np.ndarray, ...]
    weight: np.ndarray
    totals: tuple[np.ndarray, ...]

    @property
    def n_groups(self) -> int:
        """Number of distinct covariate tuples."""
        return int(self.weight.size)

    def column(self, k: int) -> np.ndarray:
        """Covariate ``k`` per group."""
        return self.values[k][self.codes[k]]


def group(*columns: np.ndarray) -> Groups:
    """Group rows with identical values in all ``columns`` (hash-based, O(n)).

    Args:
        *columns: equally long numeric arrays, one per covariate.

    Returns:
        The groups with their weights.
    """
    uniques: list[np.ndarray] = []
    row_codes: list[np.ndarray] = []
    for col in columns:
        codes, uniq = pd.factorize(col, sort=False)
        uniques.append(np.asarray(uniq, dtype=float))
        row_codes.append(codes.astype(np.int64))
    key = row_codes[0]
    for codes, uniq in zip(row_codes[1:], uniques[1:]):
        key = key * np.int64(len(uniq)) + codes
    # len(x) * len(t_x) * len(T) stays far below 2**63 for any realistic data
    gcodes, gkeys = pd.factorize(key, sort=False)
    weight = np.bincount(gcodes).astype(float)
    group_codes: list[np.ndarray] = []
    rest = np.asarray(gkeys, dtype=np.int64)
    for uniq in reversed(uniques[1:]):
        group_codes.append(rest % len(uniq))
        rest = rest // len(uniq)
    group_codes.append(rest)
    group_codes.reverse()
    totals = tuple(np.bincount(c, weights=weight, minlength=len(u)) for c, u in zip(group_codes, uniques))
    return Groups(values=tuple(uniques), codes=tuple(group_codes), weight=weight, totals=totals)


def dot(u: np.ndarray, v: np.ndarray) -> float:
    """Sum of u * v (faster than BLAS ddot for our sizes when threads are contended)."""
    return float(np.einsum("i,i->", u, v))


def fit_box(objective: Objective, x0: np.ndarray, names: tuple[str, ...]) -> tuple[np.ndarray, float, str, float]:
    """Minimise ``objective`` over log-parameters in the box [-ln 1e6, ln 1e6].

    L-BFGS-B with the analytic gradient; if that does not reach the gradient tolerance,
    Nelder-Mead from the same start followed by an L-BFGS-B polish, keeping the better.

    Args:
        objective: log-parameters -> (objective, gradient, ...).
        x0: starting log-parameters.
        names: parameter names (their number sets the box's dimension).

    Returns:
        (log-parameters, max |projected gradient|, optimiser message, objective value).
    """
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(names)

    def fg(p: np.ndarray) -> tuple[float, np.ndarray]:
        f, gr = objective(p)[:2]
        if not np.isfinite(f):
            return 1e300, np.zeros_like(p)
        return f, gr

    def polish(start: np.ndarray) -> Any:
        return optimize.minimize(
            fg, start, jac=True, method="L-BFGS-B", bounds=bounds,
            options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9, "maxcor": 20},
        )

    def gnorm(p: np.ndarray) -> float:
        gr = objective(p)[1]
        # projected gradient: ignore components pushing against an active bound
        gr = np.where((p <= -LOG_BOUND + 1e-9) & (gr > 0), 0.0, gr)
        gr = np.where((p >= LOG_BOUND - 1e-9) & (gr < 0), 0.0, gr)
        return float(np.max(np.abs(gr)))

    with np.errstate(all="ignore"):
        res = polish(np.clip(x0, -LOG_BOUND, LOG_BOUND))
        best_x, best_f, msg = res.x, float(res.fun), str(res.message)
        best_g = gnorm(best_x)
        if not (np.isfinite(best_f) and best_g <= GRAD_TOL):
            nm = optimize.minimize(
                lambda p: fg(p)[0], np.clip(x0, -LOG_BOUND, LOG_BOUND), method="Nelder-Mead",
                bounds=bounds, options={"maxiter": 4000, "xatol": 1e-10, "fatol": 1e-14},
            )
            res2 = polish(nm.x)
            g2 = gnorm(res2.x)
            if np.isfinite(res2.fun) and (res2.fun < best_f or not np.isfinite(best_f)):
                best_x, best_f, msg, best_g = res2.x, float(res2.fun), str(res2.message), g2
    return best_x, best_g, msg, best_f


def log_param_se(objective: Objective, logp: np.ndarray, n_customers: float) -> np.ndarray | None:
    """Standard errors of the log-parameters from the observed information.

    The Hessian of the total negative log-likelihood (+ penalty) is taken by central
    differences of the analytic gradient.  When it is not positive definite (no proper
    maximum: a flat ridge) the parameters moving along the flattest direction get an
    infinite standard error and the others 0.

    Args:
        objective: as for :func:`fit_box`.
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
            H[i] = (objective(logp + step)[1] - objective(logp - step)[1]) / (2 * h)
    H = 0.5 * (H + H.T) * n_customers
    if not np.isfinite(H).all():
        return None
    vals, vecs = np.linalg.eigh(H)
    if vals[0] <= 1e-12 * max(abs(vals[-1]), 1.0):
        # no proper maximum: report the parameters that move along the flattest direction
        flat = np.abs(vecs[:, 0])
        return np.where(flat >= 0.3, np.inf, 0.0)
    return np.sqrt(np.einsum("ij,j,ij->i", vecs, 1.0 / vals, vecs))  # sqrt(diag(H^-1))


def check_fit(objective: Objective, logp: np.ndarray, gmax: float, msg: str, names: tuple[str, ...],
              n_customers: float, model: str) -> dict[str, float]:
    """Refuse a fit that hit the box, did not converge or is not identified.

    Args:
        objective: as for :func:`fit_box`.
        logp, gmax, msg: what :func:`fit_box` returned.
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


def _model_name(model: str) -> dict[str, str]:
    return {lang: t(f"clv.model.{model}", lang) for lang in ("ja", "en")}


def convergence_error(model: str, detail: str) -> LoyaltyError:
    """The optimiser did not converge: suggest more data or a penalizer.

    Args:
        model: model key.
        detail: the optimiser's state, for the English message (developers read it).
    """
    return error("clv.error.not_converged", field="penalizer", model=_model_name(model),
                 detail={"ja": "", "en": f" ({detail})"})


def degenerate_error(model: str, names: list[str]) -> LoyaltyError:
    """Parameters ``names`` run off to extreme values: say what they describe, suggest a penalizer.

    Args:
        model: model key.
        names: the parameters that cannot be determined.
    """
    meanings = {lang: list(dict.fromkeys(t(f"clv.meaning.{nm}", lang) for nm in names)) for lang in ("ja", "en")}
    return error("clv.error.degenerate", field="penalizer", model=_model_name(model),
                 what={"ja": "・".join(f"「{m}」" for m in meanings["ja"]), "en": " / ".join(meanings["en"])},
                 params=", ".join(names))
