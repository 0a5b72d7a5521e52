"""Cohorts by first-purchase month, and F2 conversion (first → second purchase).

Cohort retention (:func:`cohort_table`)
---------------------------------------
A customer's **cohort** is the calendar month (or quarter) of their first order.
Cell (cohort c, k) = share of the cohort's customers who placed at least one
order in the k-th period after the first one (k = 0 is the first period itself,
always 100%).  A cell whose calendar period ends after the as-of date is not
observed yet and is NaN (k = 0 excepted).

F2 conversion (:func:`f2_conversion`)
-------------------------------------
The **second purchase** is the first order placed on a later calendar day than
the first order (orders on the day of the first order count as part of the
first purchase): :func:`second_purchase`, the one F2 rule of the product, which
the golden route uses too.  With a horizon of H days:

* eligible  = customers whose first order is at least H days before the as-of
  date (first order + H ≤ as-of), i.e. observed for the whole horizon;
* converted = eligible customers whose second purchase came within H days of
  the first (second − first ≤ H);
* F2 rate   = converted ÷ eligible.

Days to the second purchase are given for every customer who has one by the
as-of date (whatever the horizon).  Recent customers can only show short gaps,
so read the distribution together with the eligible-only rate.

Orders are those of :func:`loyalty.retention.customer_orders`.  Everything is
vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from loyalty.i18n import error
from loyalty.retention import (_as_of_day, _check_period, _distinct_sorted, customer_codes, period_bounds,
                               period_index, period_label)

#: Edges (days, inclusive upper bounds) of :func:`days_to_second_distribution`'s bins.
DAYS_BINS = (15, 30, 45, 60, 90, 120, 180, 270, 365)


def _restrict(orders: pd.DataFrame, as_of) -> tuple[pd.DataFrame, int]:
    if not len(orders):
        raise error("error.metrics_no_orders")
    as_day = _as_of_day(orders, as_of)
    days = orders["order_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    o = orders[days <= as_day]
    if not len(o):
        raise error("error.metrics_no_orders")
    return o, as_day


def second_purchase(codes: np.ndarray, days: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The F2 rule: each customer's first order day and second purchase day.

    The **second purchase** is the earliest order on a later calendar day than the
    customer's first order; orders on the first day belong to the first purchase.
    This is the one definition of F2 in the product: the metrics page
    (:func:`f2_conversion`, :func:`f2_by_cohort`) and the golden route
    (:func:`loyalty.golden_route.first_purchases`) both call it.

    Args:
        codes: customer code (0..n-1) of each order, any order.
        days: day number (days since 1970-01-01) of each order.
        n: number of customers.

    Returns:
        ``(first_day, second_day)`` per customer code, int64; -1 for a customer
        without an order (first) or without a second purchase (second).
    """
    codes = np.asarray(codes, dtype=np.int64)
    days = np.asarray(days, dtype=np.int64)
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, codes, days)
    second = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    later = days > first[codes]
    np.minimum.at(second, codes[later], days[later])
    none = np.iinfo(np.int64).max
    return np.where(first == none, -1, first), np.where(second == none, -1, second)


def days_to_second(first_day: np.ndarray, second_day: np.ndarray) -> np.ndarray:
    """Days from the first order to the second purchase (:func:`second_purchase`), NaN for none.

    Args:
        first_day: first order day per customer.
        second_day: second purchase day per customer (-1: none).

    Returns:
        Float array.
    """
    return np.where(np.asarray(second_day) >= 0, np.asarray(second_day) - np.asarray(first_day), np.nan)


def converted_within(days: np.ndarray, horizon_days: int) -> np.ndarray:
    """F2 conversion within H days: a second purchase at most ``horizon_days`` after the first.

    Args:
        days: :func:`days_to_second` per customer (NaN: no second purchase).
        horizon_days: H.

    Returns:
        Boolean array (False where there is no second purchase).
    """
    return np.asarray(days, dtype=float) <= horizon_days  # NaN compares False


def _first_second(orders: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per customer with an order (sorted ids): ids, first order day, second purchase day (-1 if none)."""
    codes, uniques = customer_codes(orders)
    days = orders["order_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    present = np.bincount(codes, minlength=len(uniques)) > 0
    if not present.all():  # an unused category: renumber the customers who ordered
        codes = (np.cumsum(present) - 1)[codes]
        uniques = np.asarray(uniques)[present]
    first, second = second_purchase(codes, days, len(uniques))
    return np.asarray(uniques, dtype=object), first, second


@dataclass(frozen=True)
class CohortTable:
    """Cohort retention.

    Attributes:
        cohorts: one row per cohort: period (label), period_start, customers (cohort size).
        active: customers active in the k-th period after the first (index = cohort
            label, columns k = 0, 1, …); NaN where not observed yet.
        shares: active ÷ cohort size (fractions 0–1, NaN where not observed).
        period: "month" or "quarter".
    """

    cohorts: pd.DataFrame
    active: pd.DataFrame
    shares: pd.DataFrame
    period: str

    def long(self) -> pd.DataFrame:
        """The observed cells as rows: cohort, k, customers, active, share (for charts)."""
        s = self.shares.stack(future_stack=True).rename("share")
        a = self.active.stack(future_stack=True).rename("active")
        out = pd.concat([a, s], axis=1).reset_index()
        out.columns = ["cohort", "k", "active", "share"]
        out = out[out["share"].notna()].reset_index(drop=True)
        sizes = self.cohorts.set_index("period")["customers"]
        out.insert(2, "customers", out["cohort"].map(sizes).to_numpy(dtype=np.int64))
        out["active"] = out["active"].astype(np.int64)
        return out


def cohort_table(orders: pd.DataFrame, period: str = "month", *, as_of: date | None = None,
                 max_periods: int | None = None) -> CohortTable:
    """Cohort retention by first-purchase period (see the module docstring).

    Args:
        orders: one row per order (:func:`loyalty.retention.customer_orders`).
        period: "month" or "quarter".
        as_of: the last day of data (default: the latest order date).
        max_periods: keep columns k = 0..max_periods (default: all).

    Returns:
        :class:`CohortTable` with every cohort from the first to the as-of period
        (empty cohorts included with size 0 and NaN shares).

    Raises:
        LoyaltyError: an unknown period or no order on or before the as-of date.
    """
    _check_period(period)
    o, as_day = _restrict(orders, as_of)
    codes, _ = customer_codes(o)
    p = period_index(o["order_date"], period)
    p0 = int(p.min())
    p_last = int(period_index([np.datetime64(as_day, "D")], period)[0])
    n = p_last - p0 + 1
    key = _distinct_sorted(codes * n + (p - p0))  # distinct (customer, period), sorted
    kc, kr = key // n, key % n
    head = np.ones(len(kc), dtype=bool)
    head[1:] = kc[1:] != kc[:-1]
    first = kr[head]                               # each customer's first period
    kcoh = np.repeat(first, np.diff(np.append(np.flatnonzero(head), len(kc))))
    counts = np.bincount(kcoh * n + (kr - kcoh), minlength=n * n).reshape(n, n)
    sizes = np.bincount(first, minlength=n)[:n]
    starts, ends = period_bounds(np.arange(p0, p0 + n), period)
    end_days = ends.to_numpy().astype("datetime64[D]").astype(np.int64)
    # cell (c, j) is the calendar period c + j: observed when it ends by as-of (or j = 0)
    cal = np.arange(n)[:, None] + np.arange(n)[None, :]
    observed = np.zeros((n, n), dtype=bool)
    inside = cal < n
    observed[inside] = end_days[cal[inside]] <= as_day
    observed[:, 0] = True
    observed &= sizes[:, None] > 0
    active = np.where(observed, counts.astype(float), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = active / np.where(sizes > 0, sizes, np.nan)[:, None]
    cols = n if max_periods is None else min(n, int(max_periods) + 1)
    labels = [period_label(s, period) for s in starts]
    cohorts = pd.DataFrame({"period": labels, "period_start": starts, "customers": sizes.astype(np.int64)})
    index = pd.Index(labels, name="cohort")
    columns = pd.Index(range(cols), name="k")
    return CohortTable(cohorts=cohorts,
                       active=pd.DataFrame(active[:, :cols], index=index, columns=columns),
                       shares=pd.DataFrame(shares[:, :cols], index=index, columns=columns),
                       period=period)


@dataclass(frozen=True)
class F2Result:
    """F2 conversion and days to the second purchase.

    Attributes:
        horizon_days: H.
        as_of: the as-of date used.
        customers: customers with at least one order.
        repeaters: customers with a second purchase (on a later day) by the as-of date.
        eligible: customers observed for the whole horizon (first order + H ≤ as-of).
        converted: eligible customers with a second purchase within H days.
        rate: converted ÷ eligible (NaN when nobody is eligible).
        days: days from first to second purchase per repeater (index customer_id).
    """

    horizon_days: int
    as_of: date
    customers: int
    repeaters: int
    eligible: int
    converted: int
    rate: float
    days: pd.Series

    @property
    def repeat_share(self) -> float:
        """repeaters ÷ customers, without a horizon (NaN with no customer)."""
        return self.repeaters / self.customers if self.customers else float("nan")

    @property
    def median_days(self) -> float:
        """Median days to the second purchase (NaN without repeaters)."""
        return float(self.days.median()) if len(self.days) else float("nan")


def _check_horizon(horizon_days) -> int:
    try:
        h = int(horizon_days)
    except (TypeError, ValueError):
        h = -1
    if h < 1 or h != horizon_days:
        raise error("error.metrics_bad_horizon", horizon=horizon_days)
    return h


def f2_conversion(orders: pd.DataFrame, horizon_days: int = 90, *, as_of: date | None = None) -> F2Result:
    """F2 conversion within ``horizon_days`` (see the module docstring for the rule).

    Args:
        orders: one row per order (:func:`loyalty.retention.customer_orders`).
        horizon_days: H, days after the first order (≥ 1).
        as_of: the last day of data (default: the latest order date).

    Returns:
        :class:`F2Result`.

    Raises:
        LoyaltyError: a horizon that is not a whole number ≥ 1, or no order.
    """
    h = _check_horizon(horizon_days)
    o, as_day = _restrict(orders, as_of)
    ids, first, second = _first_second(o)
    has2 = second >= 0
    gap = days_to_second(first, second)
    eligible = first + h <= as_day
    converted = eligible & converted_within(gap, h)
    n_el = int(eligible.sum())
    n_cv = int(converted.sum())
    days = pd.Series(gap[has2].astype(np.int64), index=pd.Index(ids[has2], name="customer_id", dtype="str"),
                     name="days_to_second")
    return F2Result(horizon_days=h, as_of=pd.Timestamp(np.datetime64(as_day, "D")).date(),
                    customers=int(len(ids)), repeaters=int(has2.sum()), eligible=n_el, converted=n_cv,
                    rate=n_cv / n_el if n_el else float("nan"), days=days)


def f2_by_cohort(orders: pd.DataFrame, horizon_days: int = 90, period: str = "month", *,
                 as_of: date | None = None) -> pd.DataFrame:
    """F2 conversion within ``horizon_days`` per first-purchase period.

    Args:
        orders: one row per order.
        horizon_days: H (≥ 1).
        period: "month" or "quarter".
        as_of: the last day of data (default: the latest order date).

    Returns:
        One row per cohort from the first to the as-of period: period (label),
        period_start, customers, eligible, converted, rate (converted ÷
        eligible; NaN when none is eligible: the cohort is too recent for the
        horizon) and complete (every customer of the cohort is eligible, so the
        rate covers the whole cohort).

    Raises:
        LoyaltyError: a bad horizon or period, or no order.
    """
    h = _check_horizon(horizon_days)
    _check_period(period)
    o, as_day = _restrict(orders, as_of)
    _, first, second = _first_second(o)
    p = period_index(first.astype("datetime64[D]"), period)
    p0 = int(p.min())
    p_last = int(period_index([np.datetime64(as_day, "D")], period)[0])
    n = p_last - p0 + 1
    rel = p - p0
    eligible = first + h <= as_day
    converted = eligible & converted_within(days_to_second(first, second), h)
    customers = np.bincount(rel, minlength=n)
    el = np.bincount(rel, weights=eligible, minlength=n).astype(np.int64)
    cv = np.bincount(rel, weights=converted, minlength=n).astype(np.int64)
    starts, _ = period_bounds(np.arange(p0, p0 + n), period)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(el > 0, cv / np.maximum(el, 1), np.nan)
    return pd.DataFrame({"period": [period_label(s, period) for s in starts], "period_start": starts,
                         "customers": customers.astype(np.int64), "eligible": el, "converted": cv,
                         "rate": rate, "complete": (el == customers) & (customers > 0)})


def days_to_second_distribution(days, edges=DAYS_BINS) -> pd.DataFrame:
    """Customers per band of days to the second purchase.

    Bands: 0–e₁, e₁+1–e₂, …, and "> last edge" (upper bounds inclusive).

    Args:
        days: days to the second purchase (one value per repeater).
        edges: increasing inclusive upper bounds.

    Returns:
        Rows low, high (None for the open last band), customers, share,
        cumulative_share (fractions of all repeaters).
    """
    d = np.asarray(days, dtype=np.int64)
    e = np.asarray(edges, dtype=np.int64)
    band = np.searchsorted(e, d, side="left")  # d ≤ e[i] → band i
    counts = np.bincount(band, minlength=len(e) + 1)
    total = counts.sum()
    lows = np.concatenate([[0], e + 1])
    highs = [int(x) for x in e] + [None]
    share = counts / total if total else np.full(len(counts), np.nan)
    return pd.DataFrame({"low": lows.astype(np.int64), "high": pd.array(highs, dtype="Int64"),
                         "customers": counts.astype(np.int64),
                         "share": share, "cumulative_share": np.cumsum(share)})
