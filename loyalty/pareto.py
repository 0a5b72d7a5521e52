"""Pareto view: what share of revenue the top x% of customers bring.

Rule: customers are sorted by their value (e.g. net revenue) from highest to
lowest (ties by customer id, so the order is reproducible); the top x% of N
customers are the first ⌈x·N⌉ of them; their share is the sum of their values
÷ the sum over all customers.  The curve plots, for each fraction of
customers, that cumulative share of revenue.  Customers with a negative net
value (returns larger than purchases) stay in the total and come last.

Which value (revenue in the window, or all-time revenue) is the caller's
choice: pass the column you mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from loyalty.i18n import error

#: Fractions of customers for :meth:`ParetoResult.table`.
TOP_FRACTIONS = (0.01, 0.05, 0.10, 0.20, 0.50)


def top_count(fraction: float, n: int) -> int:
    """How many customers make the top ``fraction`` of ``n``: ⌈fraction·n⌉.

    Args:
        fraction: 0–1.
        n: number of customers.

    Returns:
        The count (0 only when fraction is 0; float noise such as 0.1·30 =
        3.0000000000000004 does not add a customer).
    """
    return min(n, max(0, math.ceil(round(fraction * n, 9))))


@dataclass(frozen=True)
class ParetoResult:
    """Cumulative revenue share by customer rank.

    Attributes:
        customers: N, customers counted.
        total: sum of the values.
        cumulative: cumulative value share after the top 1, 2, …, N customers
            (length N + 1, starting at 0).
    """

    customers: int
    total: float
    cumulative: np.ndarray

    def share_of_top(self, fraction: float) -> float:
        """Share of the total brought by the top ``fraction`` (0–1) of customers."""
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        return float(self.cumulative[top_count(fraction, self.customers)])

    def customers_for_share(self, share: float) -> float:
        """Smallest fraction of customers (top first) that brings at least ``share`` of the total."""
        k = int(np.searchsorted(self.cumulative, share - 1e-12, side="left"))
        return min(k, self.customers) / self.customers

    def curve(self, points: int = 200) -> pd.DataFrame:
        """The curve at ``points`` + 1 evenly spaced customer fractions (for charts).

        Returns:
            Rows customer_share (0, 1/points, …, 1) and revenue_share.
        """
        fr = np.linspace(0.0, 1.0, points + 1)
        ks = np.array([top_count(f, self.customers) for f in fr])
        return pd.DataFrame({"customer_share": fr, "revenue_share": self.cumulative[ks]})

    def table(self, fractions=TOP_FRACTIONS) -> pd.DataFrame:
        """Rows top_fraction, customers (⌈x·N⌉), revenue, revenue_share."""
        ks = [top_count(f, self.customers) for f in fractions]
        shares = [float(self.cumulative[k]) for k in ks]
        return pd.DataFrame({"top_fraction": list(fractions), "customers": np.array(ks, dtype=np.int64),
                             "revenue": [s * self.total for s in shares], "revenue_share": shares})


def pareto(values: pd.Series) -> ParetoResult:
    """Sort customers by value and accumulate their shares.

    Args:
        values: one value per customer (index = customer id); NaN values are
            left out.

    Returns:
        :class:`ParetoResult`.

    Raises:
        LoyaltyError: no customer, or a total that is not positive (nothing to share).
    """
    v = pd.Series(values, dtype=float).dropna()
    if not len(v):
        raise error("error.metrics_pareto_empty")
    if not v.index.is_monotonic_increasing:
        v = v.sort_index(key=lambda i: i.astype(str), kind="stable")
    sorted_values = v.to_numpy()[np.argsort(-v.to_numpy(), kind="stable")]
    total = float(sorted_values.sum())
    if not total > 0:
        raise error("error.metrics_pareto_no_revenue")
    cum = np.concatenate([[0.0], np.cumsum(sorted_values)]) / total
    return ParetoResult(customers=int(len(v)), total=total, cumulative=cum)
