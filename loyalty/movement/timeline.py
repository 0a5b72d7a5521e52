"""Customer features at many as-of dates from one arrangement of the lines.

Speed: :class:`Timeline` reads the typed lines once and collapses order lines into
orders once; each period end then costs a few numpy passes (``searchsorted`` on
arrays sorted by day, ``bincount`` over the lines of the window, running sums and
counts carried from one period end to the next) instead of a full
:func:`~loyalty.features.build_features`.  Exactness: money is added up in the
frame's line order, one line after the other, as ``build_features`` adds it, so the
features are the same to the last bit, not merely close (a cut point hit exactly
gives the same score).  When the lines are not in date order, each period end
re-adds its lines in frame order (slower, still exact).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

import numpy as np
import pandas as pd

from loyalty import features as feat
from loyalty import lines
from loyalty.features import Features
from loyalty.i18n import error
from loyalty.quality import Customers, Transactions, require_rows

_NEVER = np.iinfo(np.int64).max
_MONEY = ("revenue_total", "gross", "returns_amount")


class Timeline:
    """The lines of one transaction table, arranged once for features at many as-of dates.

    Never changed after it is built (safe to share between sessions).

    Args:
        tx: the typed transactions (:func:`loyalty.quality.prepare_transactions`).
        customers: the typed customer table, joined at every period end as it is today.

    Raises:
        LoyaltyError: no usable transaction line.
    """

    def __init__(self, tx: Transactions, customers: Customers | None = None):
        require_rows(tx)
        f = tx.frame
        codes, self.uniques = feat._customer_codes(tx, np.ones(len(f), dtype=bool))
        self.n = len(self.uniques)
        day = f["order_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
        amount = feat._zero_nan(f["amount"].to_numpy(dtype=float))
        is_return = f["is_return"].to_numpy(dtype=bool)
        discounted, self.has_discount_info = feat._discounted_lines(f, lambda a: a)
        self._codes, self._day = codes, day
        self._in_date_order = bool(np.all(day[1:] >= day[:-1]))
        # per line, the weights build_features adds up (same values, same order)
        self._weights = {"monetary": amount, "revenue_total": amount,
                         "gross": np.where(lines.is_purchase(amount, is_return), amount, 0.0),
                         "returns_amount": np.where(is_return, amount, 0.0)}
        self.first_line = np.full(self.n, _NEVER, dtype=np.int64)
        np.minimum.at(self.first_line, codes, day)
        self._orders(tx, codes, day, discounted)
        self._customers(customers)

    def _orders(self, tx: Transactions, codes: np.ndarray, day: np.ndarray, discounted: np.ndarray) -> None:
        """One record per order (customer, first day, first discounted day), sorted by day."""
        makes_order = lines.order_line_mask(tx.frame)
        oc, od, odisc = codes[makes_order], day[makes_order], discounted[makes_order]
        if tx.has_order_id and len(oc):
            key = tx.frame["order_key"].to_numpy()[makes_order]
            size = int(key.max()) + 1
            seen = np.zeros(size, dtype=bool)
            seen[key] = True
            cust = np.zeros(size, dtype=np.int64)
            cust[key] = oc  # one customer per order key
            first = np.full(size, _NEVER, dtype=np.int64)
            np.minimum.at(first, key, od)
            first_disc = np.full(size, _NEVER, dtype=np.int64)  # an order is discounted from its first such line
            np.minimum.at(first_disc, key[odisc], od[odisc])
            oc, od, dd = cust[seen], first[seen], first_disc[seen]
        else:
            dd = np.where(odisc, od, _NEVER)
        by_day = np.argsort(od, kind="stable")
        self._o_cust, self._o_day = oc[by_day], od[by_day]
        has = dd != _NEVER
        by_disc = np.argsort(dd[has], kind="stable")
        self._d_cust, self._d_day = oc[has][by_disc], dd[has][by_disc]
        self._first_order = np.full(self.n, _NEVER, dtype=np.int64)
        np.minimum.at(self._first_order, oc, od)

    def _customers(self, customers: Customers | None) -> None:
        """The customer table's columns, placed once per customer of the lines."""
        self._table = customers
        if customers is None:
            return
        empty = {k: np.zeros(0, dtype=np.int64) for k in ("orders_total", "frequency", "discounted_orders",
                                                          "first", "last")}
        own = feat.customer_frame(pd.Index([], dtype="str"), empty, {k: np.zeros(0) for k in ("monetary", *_MONEY)},
                                  as_of_day=0, window_days=1, has_discount_info=False).columns
        table = customers.frame
        self._extra = table.drop(columns=[c for c in table.columns if c in own])
        self._extra_pos = table.index.get_indexer(self.uniques)  # -1: not in the customer table
        self._extra_all = self._extra.reindex(self.uniques) if (self._extra_pos < 0).any() else None

    def today_only(self, definition) -> list[str]:
        """The factors of ``definition`` read from the customer table: they have no history,
        so every period end takes them as they are today.

        Args:
            definition: a :class:`loyalty.definition.Definition`.

        Returns:
            Their keys, in the definition's order (none without a customer table).
        """
        from loyalty.definition import factor_catalogue

        if self._table is None:
            return []
        catalogue = factor_catalogue()
        return [f.key for f in definition.factors if catalogue[f.key].source in self._extra.columns]

    # ------------------------------------------------------------------ features

    def features_at(self, as_of: date, window_days: int = feat.DEFAULT_WINDOW_DAYS) -> Features:
        """Features at one as-of date: equal to :func:`loyalty.pipeline.build_features`.

        Raises:
            LoyaltyError: bad window, or no line on or before the as-of date.
        """
        return next(self.features([as_of], window_days))

    def features(self, ends: Sequence[date], window_days: int = feat.DEFAULT_WINDOW_DAYS) -> Iterator[Features]:
        """Features at each as-of date of ``ends`` (in date order), one after the other.

        Raises:
            LoyaltyError: bad window, or no line on or before an as-of date.
        """
        for _rows, features in self.frames(ends, window_days):
            yield features

    def frames(self, ends: Sequence[date], window_days: int) -> Iterator[tuple[np.ndarray, Features]]:
        """:meth:`features` with, for each, the positions of its customers in :attr:`uniques`.

        Raises:
            LoyaltyError: bad window, or no line on or before an as-of date.
            ValueError: ``ends`` not in date order.
        """
        if window_days is None or int(window_days) <= 0:
            raise error("error.bad_window", window=window_days)
        window = int(window_days)
        days = [int(np.datetime64(d, "D").astype(np.int64)) for d in ends]
        if any(b < a for a, b in zip(days, days[1:])):
            raise ValueError("period ends must be in date order")
        money = self._money_sorted(days, window) if self._in_date_order else self._money_masked(days, window)
        for end, day, sums, counts in zip(ends, days, money, self._order_counts(days, window)):
            rows = np.flatnonzero(self.first_line <= day)
            if not len(rows):
                raise error("error.as_of_before_data", as_of=end.strftime("%Y/%m/%d"))
            frame = feat.customer_frame(self.uniques[rows], {k: v[rows] for k, v in counts.items()},
                                        {k: v[rows] for k, v in sums.items()}, as_of_day=day,
                                        window_days=window, has_discount_info=self.has_discount_info)
            after = (len(self._day) - int(np.searchsorted(self._day, day, "right")) if self._in_date_order
                     else int(np.count_nonzero(self._day > day)))
            notes = [("note.rows_after_as_of", {"rows": after})] if after else []
            if self._table is not None:
                frame, matched = self._join(frame, rows)
                notes.append(("note.customers_joined", {"matched": matched, "customers": len(frame),
                                                        "table": len(self._table.frame)}))
            yield rows, Features(frame=frame, as_of=end, window_days=window, source="transactions",
                                 rows_after_as_of=after, notes=notes)

    def _join(self, frame: pd.DataFrame, rows: np.ndarray) -> tuple[pd.DataFrame, int]:
        """The customer table's columns added as :func:`loyalty.features.join_customers`
        adds them (a left join: the same values and dtypes), and how many matched."""
        pos = self._extra_pos[rows]
        found = pos >= 0
        part = self._extra.take(pos) if found.all() else self._extra_all.take(rows)
        part.index = frame.index
        return pd.concat([frame, part], axis=1), int(found.sum())

    def _money_sorted(self, days: list[int], window: int) -> Iterator[dict[str, np.ndarray]]:
        """Money per customer at each day (lines in date order): running sums go on
        where the previous day stopped; the window is one slice of lines."""
        codes, line_day, w = self._codes, self._day, self._weights
        running = {k: np.zeros(self.n) for k in _MONEY}
        done = 0
        for day in days:
            hi = int(np.searchsorted(line_day, day, "right"))
            lo = int(np.searchsorted(line_day, day - window, "right"))
            for k in _MONEY:
                np.add.at(running[k], codes[done:hi], w[k][done:hi])  # one line after the other
            done = hi
            monetary = np.bincount(codes[lo:hi], weights=w["monetary"][lo:hi], minlength=self.n)
            monetary = monetary.astype(float, copy=False)  # an empty window gives bincount's integer zeros
            yield {"monetary": monetary, **running}

    def _money_masked(self, days: list[int], window: int) -> Iterator[dict[str, np.ndarray]]:
        """Money per customer at each day, every line re-added in frame order (lines not in date order)."""
        codes, line_day, w = self._codes, self._day, self._weights
        for day in days:
            upto = line_day <= day
            inside = upto & (line_day > day - window)
            sums = {k: np.bincount(codes, weights=np.where(upto, w[k], 0.0), minlength=self.n) for k in _MONEY}
            sums["monetary"] = np.bincount(codes, weights=np.where(inside, w["monetary"], 0.0), minlength=self.n)
            yield sums

    def _order_counts(self, days: list[int], window: int) -> Iterator[dict[str, np.ndarray]]:
        """Orders per customer at each day: all up to it, in the window, discounted, first and last day."""
        total = np.zeros(self.n, dtype=np.int64)
        discounted = np.zeros(self.n, dtype=np.int64)
        last = np.full(self.n, np.iinfo(np.int64).min, dtype=np.int64)
        done = done_disc = 0
        for day in days:
            hi = int(np.searchsorted(self._o_day, day, "right"))
            lo = int(np.searchsorted(self._o_day, day - window, "right"))
            new = self._o_cust[done:hi]
            total += np.bincount(new, minlength=self.n)
            np.maximum.at(last, new, self._o_day[done:hi])
            done = hi
            hi_disc = int(np.searchsorted(self._d_day, day, "right"))
            discounted += np.bincount(self._d_cust[done_disc:hi_disc], minlength=self.n)
            done_disc = hi_disc
            yield {"orders_total": total, "frequency": np.bincount(self._o_cust[lo:hi], minlength=self.n),
                   "discounted_orders": discounted, "first": self._first_order, "last": last}
