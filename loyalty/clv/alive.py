"""Reading P(alive): does it separate customers, how it falls with silence, who is at risk.

Three rules the page (予測LTV) shows, each written once here:

* **Does P(alive) separate customers?** (:func:`check_p_alive`)  Only when the spread
  between the 10th and the 90th percentile of P(alive) over the customers is at least
  :data:`MIN_SPREAD` (10 points): otherwise the model gives nearly everyone the same
  probability and cannot tell active from lapsed customers on this data.  Separately, a
  model that gives *every* one-time buyer P(alive) = 1 (BG/NBD does, by construction: it
  lets customers leave only right after a repeat purchase) cannot tell anything about
  them, however much it separates repeat buyers.
* **P(alive) by silence** (:func:`p_alive_by_recency`): the mean P(alive) of customers by
  days since their last purchase (:data:`RECENCY_BANDS`: within 30 days, 31-120, over
  120), and the margin between the most recent and the longest silent group: a model that
  works gives the long-silent customers clearly less.
* **The churn-risk list** (:func:`churn_risk`): value at risk = (1 - P(alive)) x past
  value, where past value is the customer's net revenue in the definition's window (the
  app's monetary value): the revenue of the past year that is likely gone.  Customers are
  listed by value at risk, highest first; those with none (P(alive) = 1 or no revenue)
  are left out.

A fit that needed a penalizer pulls its parameters towards 1 on the log scale; on data
where "nobody leaves" fits best (the refusal said so), the drop-out the model reports is
partly the penalty's.  :func:`penalty_params` says which parameters ran off, for the note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from loyalty.clv.common import unit_days

#: Least 10th-90th percentile spread of P(alive) for it to count as separating customers.
MIN_SPREAD: float = 0.10
#: Upper bounds (days since the last purchase) of the silence bands, the last band open.
RECENCY_BANDS: tuple[int, ...] = (30, 120)


@dataclass(frozen=True)
class PAliveCheck:
    """Whether P(alive) separates customers (see the module docstring).

    Attributes:
        p10, p90: the 10th and 90th percentile of P(alive).
        spread: p90 - p10.
        separates: spread >= :data:`MIN_SPREAD`.
        one_time: customers without a repeat purchase.
        one_time_all_one: every one of them has P(alive) exactly 1 (by construction).
        customers: all customers.
    """

    p10: float
    p90: float
    spread: float
    separates: bool
    one_time: int
    one_time_all_one: bool
    customers: int


def check_p_alive(p_alive: Any, frequency: Any) -> PAliveCheck:
    """The separation test of P(alive) (module docstring).

    Args:
        p_alive: P(alive) per customer.
        frequency: repeat purchases per customer (x).

    Returns:
        PAliveCheck.
    """
    p = np.asarray(p_alive, dtype=float)
    once = np.asarray(frequency, dtype=float) == 0
    p10, p90 = (float(v) for v in np.quantile(p, [0.1, 0.9])) if p.size else (float("nan"), float("nan"))
    spread = p90 - p10
    return PAliveCheck(p10=p10, p90=p90, spread=spread, separates=bool(spread >= MIN_SPREAD),
                       one_time=int(once.sum()), one_time_all_one=bool(once.any() and (p[once] == 1.0).all()),
                       customers=int(p.size))


def days_silent(customers: pd.DataFrame, time_unit: str) -> np.ndarray:
    """Whole days from each customer's last purchase to the calibration end: (T - t_x) in days."""
    return np.rint((customers["T"].to_numpy(dtype=float) - customers["recency"].to_numpy(dtype=float))
                   * unit_days(time_unit)).astype(np.int64)


def p_alive_by_recency(customers: pd.DataFrame, time_unit: str) -> pd.DataFrame:
    """Mean P(alive) per band of days since the last purchase.

    Args:
        customers: per-customer ``recency``, ``T`` and ``p_alive`` (:class:`loyalty.clv.CLVResult`'s).
        time_unit: the unit of recency and T.

    Returns:
        One row per band of :data:`RECENCY_BANDS` (``band`` "0-30", "31-120", "121-"):
        low, high (days; high NaN for the open band), customers, p_alive (mean; NaN when empty).
        ``attrs["margin"]``: the first band's mean minus the last's.
    """
    silent = days_silent(customers, time_unit)
    p = customers["p_alive"].to_numpy(dtype=float)
    lows = (0, *(b + 1 for b in RECENCY_BANDS))
    highs = (*RECENCY_BANDS, None)
    rows = []
    for low, high in zip(lows, highs):
        inside = (silent >= low) & (silent <= high if high is not None else True)
        rows.append({"band": f"{low}-{high if high is not None else ''}", "low": low,
                     "high": float(high) if high is not None else float("nan"), "customers": int(inside.sum()),
                     "p_alive": float(p[inside].mean()) if inside.any() else float("nan")})
    out = pd.DataFrame(rows)
    out.attrs["margin"] = float(out["p_alive"].iloc[0] - out["p_alive"].iloc[-1])
    return out


#: The columns of :func:`churn_risk`.
RISK_COLUMNS = ("customer_id", "p_alive", "days_silent", "past_value", "value_at_risk", "expected_purchases", "clv")


def churn_risk(customers: pd.DataFrame, past_value: pd.Series, time_unit: str) -> pd.DataFrame:
    """Customers by value at risk, (1 - P(alive)) x past value, highest first.

    Args:
        customers: per-customer ``customer_id``, ``recency``, ``T``, ``p_alive``,
            ``expected_purchases``, ``clv`` (:class:`loyalty.clv.CLVResult`'s).
        past_value: net revenue per customer in the definition's window, indexed by
            customer id (missing = 0).
        time_unit: the unit of recency and T.

    Returns:
        :data:`RISK_COLUMNS`, customers with a value at risk above 0 only, by value at risk
        (ties: customer id).
    """
    ids = customers["customer_id"].astype("str")
    past = pd.Series(past_value, dtype=float).reindex(ids.to_numpy()).fillna(0.0).to_numpy()
    past = np.maximum(past, 0.0)
    p = customers["p_alive"].to_numpy(dtype=float)
    out = pd.DataFrame({
        "customer_id": ids.to_numpy(), "p_alive": p, "days_silent": days_silent(customers, time_unit),
        "past_value": past, "value_at_risk": (1.0 - p) * past,
        "expected_purchases": customers["expected_purchases"].to_numpy(dtype=float),
        "clv": customers["clv"].to_numpy(dtype=float),
    })
    out = out[out["value_at_risk"] > 0]
    return out.sort_values(["value_at_risk", "customer_id"], ascending=[False, True], kind="stable") \
        .reset_index(drop=True)


def penalty_params(choice: Any) -> tuple[str, ...]:
    """The parameters the refusal of the requested penalizer said ran off (empty if none or unknown).

    Args:
        choice: a :class:`loyalty.clv.PenalizerChoice`.
    """
    reason = getattr(choice, "reason", None)
    return tuple(getattr(reason, "params", ()) or ())
