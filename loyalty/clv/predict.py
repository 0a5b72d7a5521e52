"""Predictions from a fitted purchase model: P(alive), expected purchases, discounted CLV.

Works for any model of :data:`loyalty.clv.registry.MODELS` (found from the fit), so the
formulas of each model live in its own module and this module holds what they share:
argument handling (scalars, arrays, Series), time units, and CLV as the discounted sum
of expected monthly purchases times the Gamma-Gamma expected value of a purchase.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from loyalty.clv.common import DAYS_PER_MONTH, as_float_array, check_horizon, like, summary_arrays, unit_days
from loyalty.clv.gamma_gamma import GammaGammaFit, expected_average_value
from loyalty.clv.registry import model_of
from loyalty.i18n import error


def probability_alive(fit: Any, frequency: Any, recency: Any, T: Any) -> Any:
    """P(the customer is still active at T | x, t_x, T) under the fit's model.

    For BG/NBD (Fader, Hardie & Lee 2008):

        P(alive) = 1 / (1 + 1[x>0] * a/(b+x-1) * ((alpha+T)/(alpha+t_x))**(r+x)),

    which is 1 for a customer who has bought only once (x = 0), by construction.

    Args:
        fit: a fitted purchase model (e.g. BGNBDFit).
        frequency: x (scalar, array or Series).
        recency: t_x, in the fit's time unit.
        T: T, in the fit's time unit.

    Returns:
        Probabilities in [0, 1]: a Series (index of the first Series argument), an
        ndarray, or a float for scalars.
    """
    model = model_of(fit)
    x, tx, T_ = np.broadcast_arrays(as_float_array(frequency), as_float_array(recency), as_float_array(T))
    out = model.p_alive(fit, x, tx, T_)
    return like(np.asarray(out, dtype=float), frequency, recency, T, name="p_alive")


def expected_purchases(fit: Any, t: Any, frequency: Any, recency: Any, T: Any) -> Any:
    """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` periods under the fit's model.

    For BG/NBD this is FHL 2005 eq. 10 (see :func:`loyalty.clv.bgnbd.expected_purchases`).

    Args:
        fit: a fitted purchase model.
        t: length of the forecast period, in the fit's time unit (scalar >= 0).
        frequency: x.  recency: t_x.  T: T (all in the fit's time unit).

    Returns:
        Expected numbers of purchases: Series / ndarray / float as for
        :func:`probability_alive`.
    """
    model = model_of(fit)
    x, tx, T_ = np.broadcast_arrays(as_float_array(frequency), as_float_array(recency), as_float_array(T))
    out = model.expected_purchases(fit, float(t), x, tx, T_)
    return like(np.asarray(out, dtype=float), frequency, recency, T, name="expected_purchases")


def resolve_unit(fit: Any, time_unit: str | None) -> int:
    """Days per time unit of a prediction: ``time_unit``, else the fit's own.

    Raises:
        LoyaltyError: the unit is unknown, or differs from the one the fit was made in.
    """
    if time_unit is None:
        time_unit = fit.time_unit
    if time_unit is None:
        raise error("clv.error.unit_unknown", field="time_unit")
    unit = unit_days(time_unit)
    if fit.time_unit is not None and fit.time_unit != time_unit:
        raise error("clv.error.unit_mismatch", field="time_unit", fitted=fit.time_unit, requested=time_unit)
    return unit


def clv_arrays(fit: Any, value: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray,
               horizon: int, discount: float, month_len: float) -> tuple[np.ndarray, np.ndarray]:
    """(discounted CLV, expected purchases over the horizon) on float arrays.

    CLV = sum_{k=1..H} value * (E[Y(k L)] - E[Y((k-1) L)]) / (1 + d)**k, L = one month
    (``month_len``, in the fit's time unit).
    """
    purchases = model_of(fit).expected_purchases
    clv = np.zeros_like(x)
    prev = np.zeros_like(x)
    for k in range(1, horizon + 1):  # a loop over months, vectorised over customers
        cum = purchases(fit, k * month_len, x, tx, T)
        clv += value * (cum - prev) / (1.0 + discount) ** k
        prev = cum
    return clv, prev


def customer_lifetime_value(
    fit: Any,
    gg: GammaGammaFit,
    summary: pd.DataFrame,
    horizon_months: int = 12,
    monthly_discount_rate: float = 0.01,
    time_unit: str | None = None,
    days_per_month: float = DAYS_PER_MONTH,
) -> pd.Series:
    """Discounted CLV over ``horizon_months`` (model purchases x Gamma-Gamma value).

    For each month k = 1..H the expected purchases in that month,
    E[Y(k L) | x, t_x, T] - E[Y((k-1) L) | x, t_x, T] (for BG/NBD FHL 2005 eq. 10, L = one
    month in ``time_unit``), are multiplied by the expected transaction value (Fader &
    Hardie 2013) and discounted by (1 + d)**k, i.e. at the end of month k; then summed.
    This is revenue at the amounts' level (net sales); multiply by a margin for profit.

    Args:
        fit: fitted purchase model (e.g. BGNBDFit).
        gg: fitted Gamma-Gamma model.
        summary: per-customer frequency (x), recency (t_x), T, monetary_value (m_x).
        horizon_months: number of months to sum (1-1200).
        monthly_discount_rate: d, discount rate per month (0 <= d < 1).
        time_unit: "days" or "weeks"; defaults to the unit the fit was made in.
        days_per_month: month length in days; 365.25/12 by default (lifetimes uses 30 days
            or 4.345 weeks = 30.415 days).

    Returns:
        Series ``clv`` indexed like ``summary``.

    Raises:
        LoyaltyError: unknown or mismatched time unit, bad horizon or rate, q <= 1.
    """
    unit = resolve_unit(fit, time_unit)
    horizon, d = check_horizon(horizon_months, monthly_discount_rate)
    x, tx, T, m = summary_arrays(summary, ("frequency", "recency", "T", "monetary_value"))
    value = np.asarray(expected_average_value(gg, x, m), dtype=float)
    clv, _ = clv_arrays(fit, value, x, tx, T, horizon, d, float(days_per_month) / unit)
    return pd.Series(clv, index=summary.index, name="clv")
