"""Retention and churn: over one period (the seeds' example) and period by period.

Retention = customers still active at the end of a period ÷ customers at its
start; churn = 1 − retention.  The seeds' example: 100 at the start of the
month, 90 still there a month later → 90% retention, 10% churn.

Period by period from transactions (:func:`period_retention`)
--------------------------------------------------------------
A customer is **active** in a calendar month (or quarter) when they placed at
least one order in it.  For each period t:

* ``start_customers``  = customers active in period t−1 (the seeds' "100 at the start"),
* ``retained``         = of those, customers active again in period t,
* ``churned``          = ``start_customers`` − ``retained``,
* ``retention_rate``   = ``retained`` ÷ ``start_customers``; ``churn_rate`` = 1 − that,
* ``new``              = customers whose first order ever falls in period t,
* ``reactivated``      = active in t, not new and not active in t−1 (came back after a gap).

So ``active(t) = retained(t) + new(t) + reactivated(t)``.  A period whose last
day is after the as-of date is incomplete (``complete`` is False): its
retention is understated because the period is not over, so summaries skip it.

What counts as an order is the product's rule (as in :mod:`loyalty.features`):
the order lines (``is_order_line``, :mod:`loyalty.lines`) of one ``order_key``,
dated by the earliest of them.  Everything is vectorised (no Python loop per
customer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from loyalty import lines
from loyalty.i18n import error

#: Periods the period-by-period views support.
PERIODS = ("month", "quarter")

#: Columns of :func:`period_retention`'s table, in order.
RETENTION_COLUMNS = ("period", "period_start", "period_end", "active", "new", "reactivated",
                     "start_customers", "retained", "churned", "retention_rate", "churn_rate", "complete")


@dataclass(frozen=True)
class Retention:
    """Retention over one period."""

    start: int
    retained: int

    @property
    def retention_rate(self) -> float:
        """retained ÷ start (NaN when start is 0)."""
        return self.retained / self.start if self.start else float("nan")

    @property
    def churn_rate(self) -> float:
        """1 − retention."""
        return 1.0 - self.retention_rate if self.start else float("nan")


def retention(start: int, retained: int) -> Retention:
    """Retention of ``retained`` out of ``start`` customers.

    Args:
        start: customers at the start of the period.
        retained: of those, customers still active at its end.

    Returns:
        :class:`Retention` with ``retention_rate`` and ``churn_rate``.

    Raises:
        ValueError: negative counts or more retained than at the start.
    """
    if start < 0 or retained < 0 or retained > start:
        raise ValueError("retained must be between 0 and start")
    return Retention(start=start, retained=retained)


# ---------------------------------------------------------------------------
# orders and periods


def _frame(tx) -> pd.DataFrame:
    """The transaction frame of a Transactions object, or the frame itself."""
    f = getattr(tx, "frame", tx)
    if not isinstance(f, pd.DataFrame):
        raise TypeError("expected a transaction frame")
    return f


def _day(value) -> int:
    """A date-like value as days since 1970-01-01."""
    return int(np.datetime64(pd.Timestamp(value).date(), "D").astype(np.int64))


def customer_orders(tx, *, as_of: date | None = None) -> pd.DataFrame:
    """One row per order: who ordered and when.

    Args:
        tx: clean transactions (a :class:`loyalty.quality.Transactions` or its
            frame) with customer_id, order_date, amount and, when present,
            is_order_line and order_key (a hand-made frame without
            is_order_line gets the rule applied: :func:`loyalty.lines.order_line_mask`).
        as_of: ignore lines dated after this day (default: keep all).

    Returns:
        A frame with columns customer_id (categorical over the ids, sorted) and
        order_date (datetime64, midnight), sorted by customer then date: one row
        per order key among the order lines, dated by its earliest line (without
        an ``order_key`` column, every order line is an order), as in
        :func:`loyalty.features.build_features`.

    Raises:
        LoyaltyError: the frame lacks customer_id, order_date or amount.
    """
    f = _frame(tx)
    for col in ("customer_id", "order_date", "amount"):
        if col not in f.columns:
            raise error("error.metrics_missing_column", column=col)
    day = pd.to_datetime(f["order_date"]).to_numpy().astype("datetime64[D]").astype(np.int64)
    keep = lines.order_line_mask(f) & (day > np.iinfo(np.int64).min)
    if as_of is not None:
        keep &= day <= _day(as_of)
    codes, uniques = pd.factorize(f["customer_id"], sort=True)
    keep &= codes >= 0  # no customer id: not an order of anyone
    code = codes[keep].astype(np.int64)
    day = day[keep]
    if "order_key" in f.columns and len(code):
        # one record per order (a key belongs to one customer): its customer and its earliest line
        key = f["order_key"].to_numpy().astype(np.int64)[keep]
        key = key - key.min()
        if key.max() > 4 * len(key):  # sparse keys: renumber them densely first
            key = np.unique(key, return_inverse=True)[1]
        size = int(key.max()) + 1
        first_day = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first_day, key, day)
        owner = np.full(size, -1, dtype=np.int64)
        owner[key] = code
        seen = owner >= 0
        code, day = owner[seen], first_day[seen]
    # sort by (customer, day) through one int64 key
    if len(code):
        d0 = int(day.min())
        span = int(day.max()) - d0 + 1
        packed = np.sort(code * span + (day - d0))
        code, day = packed // span, packed % span + d0
    head = np.ones(len(code), dtype=bool)
    head[1:] = code[1:] != code[:-1]
    used = code[head]  # customers with at least one order, ascending
    categories = pd.Index(np.asarray(uniques)[used], dtype="str")
    return pd.DataFrame({
        "customer_id": pd.Categorical.from_codes(np.cumsum(head) - 1, categories=categories),
        "order_date": day.astype("datetime64[D]").astype("datetime64[s]"),
    })


def customer_codes(orders: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
    """Integer customer codes of an order frame and the ids they stand for (sorted).

    Args:
        orders: a frame with a customer_id column (categorical from
            :func:`customer_orders`, or plain strings).

    Returns:
        (int64 codes, Index of customer ids).
    """
    cid = orders["customer_id"]
    if isinstance(cid.dtype, pd.CategoricalDtype) and cid.cat.categories.is_monotonic_increasing:
        return cid.cat.codes.to_numpy().astype(np.int64), cid.cat.categories
    codes, uniques = pd.factorize(cid, sort=True)
    return codes.astype(np.int64), pd.Index(uniques)


def _check_period(period: str) -> int:
    """Months per period (1 or 3).

    Raises:
        LoyaltyError: an unknown period.
    """
    if period not in PERIODS:
        raise error("error.metrics_bad_period", period=period, periods=", ".join(PERIODS))
    return 1 if period == "month" else 3


def period_index(dates, period: str = "month") -> np.ndarray:
    """Calendar period number of each date (months or quarters since 1970-01).

    Args:
        dates: datetime-like values.
        period: "month" or "quarter".

    Returns:
        int64 array (month 0 = 1970-01; quarter 0 = 1970 Q1).
    """
    size = _check_period(period)
    months = np.asarray(pd.to_datetime(dates)).astype("datetime64[M]").astype(np.int64)
    return months // size


def period_bounds(index, period: str = "month") -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """First and last day of each period number.

    Args:
        index: period numbers from :func:`period_index`.
        period: "month" or "quarter".

    Returns:
        (starts, ends) as DatetimeIndex.
    """
    size = _check_period(period)
    idx = np.asarray(index, dtype=np.int64)
    start = (idx * size).astype("datetime64[M]")
    end = ((idx + 1) * size).astype("datetime64[M]").astype("datetime64[D]") - np.timedelta64(1, "D")
    return (pd.DatetimeIndex(start.astype("datetime64[D]").astype("datetime64[s]")),
            pd.DatetimeIndex(end.astype("datetime64[s]")))


def period_label(start, period: str = "month") -> str:
    """A period's label: "2024/01" for a month, "2024 Q1" for a quarter.

    Args:
        start: any date inside the period.
        period: "month" or "quarter".

    Returns:
        The label.
    """
    _check_period(period)
    ts = pd.Timestamp(start)
    if period == "month":
        return f"{ts.year:04d}/{ts.month:02d}"
    return f"{ts.year:04d} Q{(ts.month - 1) // 3 + 1}"


def _active_pairs(orders: pd.DataFrame, period: str) -> tuple[np.ndarray, np.ndarray, int]:
    """Distinct (customer code, period number) pairs, sorted, and the first period."""
    codes, _ = customer_codes(orders)
    p = period_index(orders["order_date"], period)
    p0 = int(p.min())
    span = int(p.max()) - p0 + 2  # +2 leaves room for "next period" keys
    keys = _distinct_sorted(codes * span + (p - p0))
    return keys // span, keys % span, p0


def _distinct_sorted(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an int64 array (a sort and a diff: faster than np.unique here)."""
    v = np.sort(values)
    keep = np.ones(len(v), dtype=bool)
    keep[1:] = v[1:] != v[:-1]
    return v[keep]


def _as_of_day(orders: pd.DataFrame, as_of) -> int:
    if as_of is None:
        return int(np.asarray(orders["order_date"].max(), dtype="datetime64[D]").astype(np.int64))
    return _day(as_of)


def period_retention(orders: pd.DataFrame, period: str = "month", *, as_of: date | None = None) -> pd.DataFrame:
    """Retention and churn period by period (see the module docstring for the rule).

    Args:
        orders: one row per order (:func:`customer_orders`).
        period: "month" or "quarter".
        as_of: the last day of data (default: the latest order date); orders
            after it are ignored and periods ending after it are incomplete.

    Returns:
        One row per calendar period from the first order's period to the as-of
        date's, with :data:`RETENTION_COLUMNS`.  The first period has no
        previous one: start_customers 0 and NaN rates.  Rates are fractions 0–1.

    Raises:
        LoyaltyError: an unknown period, or no order on or before the as-of date.
    """
    _check_period(period)
    as_day = _as_of_day(orders, as_of) if len(orders) else 0
    o = orders[orders["order_date"].to_numpy().astype("datetime64[D]").astype(np.int64) <= as_day] \
        if len(orders) else orders
    if not len(o):
        raise error("error.metrics_no_orders")
    code, rel, p0 = _active_pairs(o, period)
    p_last = int(period_index([np.datetime64(as_day, "D")], period)[0])
    n = p_last - p0 + 1
    active = np.bincount(rel, minlength=n)[:n]
    # pairs are sorted by (customer, period): the first pair of a customer is their first period
    first = np.ones(len(code), dtype=bool)
    first[1:] = code[1:] != code[:-1]
    new = np.bincount(rel[first], minlength=n)[:n]
    same_customer_prev = np.zeros(len(code), dtype=bool)
    same_customer_prev[1:] = (code[1:] == code[:-1]) & (rel[1:] == rel[:-1] + 1)
    retained = np.bincount(rel[same_customer_prev], minlength=n)[:n]
    start = np.concatenate([[0], active[:-1]])
    reactivated = active - new - retained
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(start > 0, retained / np.maximum(start, 1), np.nan)
    idx = np.arange(p0, p0 + n)
    starts, ends = period_bounds(idx, period)
    end_days = ends.to_numpy().astype("datetime64[D]").astype(np.int64)
    return pd.DataFrame({
        "period": [period_label(s, period) for s in starts],
        "period_start": starts,
        "period_end": ends,
        "active": active.astype(np.int64),
        "new": new.astype(np.int64),
        "reactivated": reactivated.astype(np.int64),
        "start_customers": start.astype(np.int64),
        "retained": retained.astype(np.int64),
        "churned": (start - retained).astype(np.int64),
        "retention_rate": rate,
        "churn_rate": 1.0 - rate,
        "complete": end_days <= as_day,
    }, columns=list(RETENTION_COLUMNS))


@dataclass(frozen=True)
class RetentionSummary:
    """Headline figures of a period-by-period retention table.

    Attributes:
        periods: complete periods with customers at their start.
        start_customers: Σ start_customers over those periods.
        retained: Σ retained over those periods.
        retention_rate: retained ÷ start_customers (a customer-weighted mean; NaN when none).
        churn_rate: 1 − retention_rate.
        last_period: label of the latest such period ("" when none).
        last_retention_rate: that period's retention (NaN when none).
    """

    periods: int
    start_customers: int
    retained: int
    retention_rate: float
    churn_rate: float
    last_period: str
    last_retention_rate: float


def summarize_retention(table: pd.DataFrame) -> RetentionSummary:
    """Pool the complete periods of :func:`period_retention`'s table.

    Args:
        table: the table.

    Returns:
        :class:`RetentionSummary`.
    """
    ok = table[table["complete"] & (table["start_customers"] > 0)]
    start = int(ok["start_customers"].sum())
    kept = int(ok["retained"].sum())
    r = retention(start, kept)
    last = ok.iloc[-1] if len(ok) else None
    return RetentionSummary(
        periods=int(len(ok)), start_customers=start, retained=kept,
        retention_rate=r.retention_rate, churn_rate=r.churn_rate,
        last_period=str(last["period"]) if last is not None else "",
        last_retention_rate=float(last["retention_rate"]) if last is not None else float("nan"),
    )
