"""Customer features: one row per customer, built once per upload and as-of date.

Semantics (README "What the numbers mean"):

* An **order** is the order lines of one ``order_key`` (a distinct order id per
  customer when an order id is mapped, otherwise one row), dated by the earliest
  of them.  Which lines are order lines is the typed lines' ``is_order_line``
  column (the rule is :func:`loyalty.lines.is_order_line`: a positive amount, not
  a return, not a fee line); returns and cancellations lower monetary value but
  are not orders, and fee lines (postage, fees, adjustments) count in monetary
  value but never make an order on their own.
* Lines dated after the as-of date are ignored (and counted).
* ``recency_days`` = as-of date − date of the last order, in whole days (NaN when
  the customer never ordered, e.g. only returns).
* ``frequency`` = orders dated in the window (as-of − window_days, as-of].
* ``monetary`` = net amount (purchases minus returns) dated in the window.
* ``tenure_days`` = as-of − first order; ``orders_total`` and ``revenue_total``
  (net) cover everything up to the as-of date; ``aov`` = net value per order
  (:func:`loyalty.ltv.average_order_value`: 0 when the net is ≤ 0).
* ``discount_share`` = share of orders with a discount or coupon (NaN when the
  data has neither column).

Everything is vectorised (numpy bincount / pandas groupby); customers are
sorted by id so results are identical from run to run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from loyalty import lines
from loyalty.i18n import error
from loyalty.ltv import average_order_value
from loyalty.quality import Customers, Transactions, require_rows

DEFAULT_WINDOW_DAYS = 365


@dataclass
class Features:
    """Customer features and how they were made.

    Attributes:
        frame: one row per customer (index ``customer_id``).
        as_of: the as-of date used.
        window_days: the window used for frequency and monetary.
        source: "transactions" or "customers" (a customer-level export).
        rows_after_as_of: transaction lines ignored because they are later than as-of.
        notes: catalogue keys (with values) worth telling the user.
    """

    frame: pd.DataFrame
    as_of: date | None
    window_days: int
    source: str
    rows_after_as_of: int = 0
    notes: list[tuple[str, dict]] = field(default_factory=list)

    @property
    def window_start(self) -> date | None:
        """The first day of the window (see :func:`window_start`), None without an as-of date."""
        return window_start(self.as_of, self.window_days) if self.as_of is not None else None


def window_start(as_of: date, window_days: int) -> date:
    """The first day of the window (as-of − window_days, as-of]: as-of − (window_days − 1).

    Every page, the sidebar, the workbook and the handout show the window with it.
    """
    return as_of - timedelta(days=int(window_days) - 1)


def default_as_of(tx: Transactions) -> date | None:
    """The latest order date in the data (the default as-of date), None without rows."""
    if not len(tx.frame):
        return None
    return pd.Timestamp(tx.frame["order_date"].max()).date()


def build_features(tx: Transactions, *, as_of: date | None = None,
                   window_days: int = DEFAULT_WINDOW_DAYS) -> Features:
    """Aggregate clean transaction lines into one row per customer.

    Args:
        tx: clean transactions (:func:`loyalty.quality.prepare_transactions`).
        as_of: the as-of date (default: the latest order date).
        window_days: the frequency/monetary window in days (> 0).

    Returns:
        :class:`Features`.

    Raises:
        LoyaltyError: bad window, or no line on or before the as-of date.
    """
    require_rows(tx)
    if window_days is None or int(window_days) <= 0:
        raise error("error.bad_window", window=window_days)
    window_days = int(window_days)
    f = tx.frame
    as_of = as_of or default_as_of(tx)
    as_of_day = np.datetime64(as_of, "D").astype(np.int64)
    day = f["order_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    valid = day <= as_of_day
    rows_after = int((~valid).sum())
    if not valid.any():
        raise error("error.as_of_before_data", as_of=as_of.strftime("%Y/%m/%d"))

    codes, uniques = _customer_codes(tx, valid)
    n = len(uniques)
    every = bool(valid.all())

    def rows(a: np.ndarray) -> np.ndarray:
        return a if every else a[valid]

    day = rows(day)
    amount = _zero_nan(rows(f["amount"].to_numpy(dtype=float)))
    is_return = rows(f["is_return"].to_numpy(dtype=bool))
    okey = rows(f["order_key"].to_numpy())
    in_window = day > as_of_day - window_days  # window is (as-of − window_days, as-of]

    discounted_line, has_discount_info = _discounted_lines(f, rows)
    # one record per order: customer, first day, discounted?  (only order lines make orders)
    makes_order = rows(lines.order_line_mask(f))
    pc, pk, pd_, pdisc = (codes[makes_order], okey[makes_order], day[makes_order],
                          discounted_line[makes_order])
    if tx.has_order_id:
        oc, od, ox = _per_order(pk, pc, pd_, pdisc)
    else:
        oc, od, ox = pc, pd_, pdisc
    money = {
        "monetary": np.bincount(codes, weights=np.where(in_window, amount, 0.0), minlength=n),
        "revenue_total": np.bincount(codes, weights=amount, minlength=n),
        "returns_amount": np.bincount(codes, weights=np.where(is_return, amount, 0.0), minlength=n),
    }
    frame = _feature_frame(uniques, oc, od, ox, money, as_of_day=as_of_day, window_days=window_days,
                           has_discount_info=has_discount_info)
    notes: list[tuple[str, dict]] = []
    if rows_after:
        notes.append(("note.rows_after_as_of", {"rows": rows_after}))
    return Features(frame=frame, as_of=as_of, window_days=window_days, source="transactions",
                    rows_after_as_of=rows_after, notes=notes)


def _discounted_lines(f: pd.DataFrame, rows) -> tuple[np.ndarray, bool]:
    """Lines with a discount > 0 or a coupon (of the rows ``rows`` keeps), and whether the
    data has either column."""
    discounted = np.zeros(len(f), dtype=bool)
    if "discount" in f:
        discounted |= f["discount"].to_numpy(dtype=float) > 0  # NaN > 0 is False
    if "coupon" in f:
        discounted |= _has_text(f["coupon"])
    return rows(discounted), "discount" in f or "coupon" in f


def _feature_frame(uniques: pd.Index, oc: np.ndarray, od: np.ndarray, ox: np.ndarray, money: dict, *,
                   as_of_day: int, window_days: int, has_discount_info: bool) -> pd.DataFrame:
    """The feature frame from one record per order (customer code, first day, discounted?)
    and the money per customer (monetary, revenue_total, returns_amount)."""
    n = len(uniques)
    start = as_of_day - window_days  # window is (start, as_of]
    last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.maximum.at(last, oc, od)
    np.minimum.at(first, oc, od)
    orders = {
        "orders_total": np.bincount(oc, minlength=n),
        "frequency": np.bincount(oc, weights=(od > start), minlength=n).astype(np.int64),
        "discounted_orders": np.bincount(oc, weights=ox, minlength=n),
        "first": first,
        "last": last,
    }
    return customer_frame(uniques, orders, money, as_of_day=as_of_day, window_days=window_days,
                          has_discount_info=has_discount_info)


def customer_frame(uniques: pd.Index, orders: dict, money: dict, *, as_of_day: int, window_days: int,
                   has_discount_info: bool) -> pd.DataFrame:
    """The feature frame from per-customer order counts and money: the one place that
    turns them into features (recency, tenure, aov, discount share, dates, dtypes).

    :func:`build_features` and :mod:`loyalty.movement` (features at many as-of dates)
    both end here, so their frames agree column for column.

    Args:
        uniques: the customer ids (sorted), one per array position.
        orders: per customer: ``orders_total`` (orders up to as-of), ``frequency``
            (orders in the window), ``discounted_orders``, ``first`` and ``last``
            (day numbers of the first and last order; any value where there is no order).
        money: per customer: ``monetary``, ``revenue_total`` (net; ``aov`` is read from it),
            ``returns_amount``.
        as_of_day: the as-of date as a day number (days since 1970-01-01).
        window_days: the window.
        has_discount_info: whether the data has a discount or coupon column.

    Returns:
        One row per customer (index ``customer_id``), columns as in the module docstring.
    """
    n = len(uniques)
    orders_total = orders["orders_total"]
    has_order = orders_total > 0
    last = np.where(has_order, orders["last"], 0)
    first = np.where(has_order, orders["first"], 0)
    aov = average_order_value(money["revenue_total"], orders_total)
    with np.errstate(invalid="ignore", divide="ignore"):
        dshare = (np.where(has_order, orders["discounted_orders"] / np.maximum(orders_total, 1), np.nan)
                  if has_discount_info else np.full(n, np.nan))
    epoch = np.datetime64("1970-01-01", "D")
    frame = pd.DataFrame({
        "recency_days": np.where(has_order, as_of_day - last, np.nan),
        "frequency": orders["frequency"],
        "monetary": money["monetary"],
        "first_order": first.astype("timedelta64[D]") + epoch,
        "last_order": last.astype("timedelta64[D]") + epoch,
        "tenure_days": np.where(has_order, as_of_day - first, np.nan),
        "orders_total": orders_total.astype(np.int64),
        "revenue_total": money["revenue_total"],
        "aov": aov,
        "discount_share": dshare,
        "returns_amount": money["returns_amount"],
    }, index=pd.Index(uniques, name="customer_id", dtype="str"))
    for col in ("first_order", "last_order"):
        frame[col] = frame[col].astype("datetime64[s]").where(has_order)
    frame["orders_per_year"] = frame["frequency"] * (365.0 / window_days)
    return frame


def _zero_nan(a: np.ndarray) -> np.ndarray:
    """NaN replaced by 0 (no copy when there is none)."""
    nan = np.isnan(a)
    return np.where(nan, 0.0, a) if nan.any() else a


def _has_text(col: pd.Series) -> np.ndarray:
    """Cells with something other than white space in them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(col.array, pd.arrays.ArrowStringArray):
        return col.astype("str").str.strip().str.len().to_numpy(dtype=float, na_value=0.0) > 0
    arr = pa.array(col.array)
    filled = pc.fill_null(pc.greater(pc.binary_length(pc.utf8_trim_whitespace(arr)), 0), False)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool)


def _customer_codes(tx: Transactions, valid: np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """Customer codes of the valid rows, numbered in sorted id order.

    Uses the codes the quality step computed when the frame's id column is still
    the one they were made for (:attr:`Transactions.customer_codes`), else
    factorizes the (Arrow-backed) column once; then renumbers the codes so
    customers whose every line is after the as-of date disappear.

    Args:
        tx: the transactions.
        valid: rows on or before the as-of date.

    Returns:
        ``(codes, uniques)``: int64 codes of the valid rows into ``uniques``, the
        sorted distinct ids that have at least one valid row.
    """
    ids = tx.frame["customer_id"]
    cache = tx.customer_codes
    if cache is not None and cache[0] is ids.array and len(cache[1]) == len(ids):
        codes, uniques = cache[1], cache[2]
    else:
        codes, uniques = pd.factorize(ids, sort=True)
    codes = codes if valid.all() else codes[valid]
    present = np.bincount(codes, minlength=len(uniques)) > 0
    if present.all():
        return codes.astype(np.int64, copy=False), uniques
    remap = np.cumsum(present) - 1
    return remap[codes].astype(np.int64), uniques[present]


def _per_order(key: np.ndarray, cust: np.ndarray, day: np.ndarray, disc: np.ndarray):
    """Collapse purchase lines into orders (same key = same order).

    Args:
        key: order key per line (non-negative ints; one customer per key).
        cust: customer code per line.
        day: day number per line.
        disc: whether the line was discounted.

    Returns:
        ``(customer, first day, discounted)`` per order, in key order.
    """
    if not len(key):
        return cust, day, disc
    size = int(key.max()) + 1
    seen = np.zeros(size, dtype=bool)
    seen[key] = True
    oc = np.zeros(size, dtype=np.int64)
    oc[key] = cust
    od = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(od, key, day)
    ox = np.zeros(size, dtype=bool)
    ox[key[disc]] = True
    return oc[seen], od[seen], ox[seen]


def join_customers(features: Features, customers: Customers | None) -> Features:
    """Add the customer table's columns (attributes, engagement, survey…) to the features.

    Customers of the transaction data that the customer table lacks get NaN.

    Args:
        features: the transaction features.
        customers: the typed customer table, or None.

    Returns:
        The same :class:`Features` with the extra columns (a new frame).
    """
    if customers is None:
        return features
    extra = customers.frame.drop(columns=[c for c in customers.frame.columns if c in features.frame.columns])
    frame = features.frame.join(extra, how="left")
    matched = int(frame.index.isin(customers.frame.index).sum())
    notes = list(features.notes)
    notes.append(("note.customers_joined", {"matched": matched, "customers": len(frame),
                                            "table": len(customers.frame)}))
    return Features(frame=frame, as_of=features.as_of, window_days=features.window_days,
                    source=features.source, rows_after_as_of=features.rows_after_as_of, notes=notes)


def features_from_customer_table(customers: Customers, *, as_of: date | None = None,
                                 window_days: int = DEFAULT_WINDOW_DAYS) -> Features:
    """Features from a customer-level export (one row per customer).

    ``recency_days`` comes from the column or from as-of − last purchase date;
    ``frequency`` and ``monetary`` from their columns; when monetary is absent but
    unit price and purchases per year are there, monetary = unit price × frequency.
    Pre-computed R/F/M scores are kept as ``r_score_given`` etc.

    Args:
        customers: the typed customer table.
        as_of: as-of date for last-purchase dates (default: the latest of them).
        window_days: recorded for display; the table's figures are taken as they are.

    Returns:
        :class:`Features` with source "customers".

    Raises:
        LoyaltyError: the table has nothing to score (no R/F/M, LTV or factor column).
    """
    c = customers.frame
    frame = pd.DataFrame(index=c.index)
    notes: list[tuple[str, dict]] = []
    if "last_purchase_date" in c and c["last_purchase_date"].notna().any():
        as_of = as_of or pd.Timestamp(c["last_purchase_date"].max()).date()
        last = c["last_purchase_date"]
        frame["last_order"] = last
        frame["recency_days"] = (pd.Timestamp(as_of) - last).dt.days.astype(float)
    if "recency_days" in c:
        frame["recency_days"] = c["recency_days"].astype(float)
    if "frequency" in c:
        frame["frequency"] = c["frequency"].astype(float)
        frame["orders_per_year"] = c["frequency"].astype(float)
    if "monetary" in c:
        frame["monetary"] = c["monetary"].astype(float)
    elif "unit_price" in c and "frequency" in c:
        frame["monetary"] = c["unit_price"] * c["frequency"]
        notes.append(("note.monetary_from_unit_price", {}))
    elif "annual_contract_value" in c:
        frame["monetary"] = c["annual_contract_value"].astype(float)
        notes.append(("note.monetary_from_contract", {}))
    elif "monthly_fee" in c:
        frame["monetary"] = c["monthly_fee"].astype(float) * 12
        notes.append(("note.monetary_from_monthly_fee", {}))
    if "unit_price" in c:
        frame["aov"] = c["unit_price"].astype(float)
    for given, col in (("r_score", "r_score_given"), ("f_score", "f_score_given"), ("m_score", "m_score_given")):
        if given in c:
            frame[col] = c[given].astype(float)
    if "signup_date" in c and as_of is not None:
        frame["tenure_days"] = (pd.Timestamp(as_of) - c["signup_date"]).dt.days.astype(float)
    elif "years" in c:
        frame["tenure_days"] = c["years"].astype(float) * 365.0
    elif "months" in c:
        frame["tenure_days"] = c["months"].astype(float) * 365.0 / 12.0
    rest = c.drop(columns=[x for x in c.columns if x in frame.columns or x in (
        "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score")])
    frame = frame.join(rest)
    scorable = {"recency_days", "frequency", "monetary", "r_score_given", "f_score_given", "m_score_given",
                "unit_price", "annual_contract_value", "monthly_fee"}
    factor_like = {"nps", "satisfaction", "relationship_rating", "email_open_rate", "email_click_rate",
                   "logins", "events", "sns_reactions", "reviews", "inquiries", "departments", "meetings"}
    if not (scorable | factor_like) & set(frame.columns):
        raise error("error.nothing_to_score", file=customers.name)
    frame = frame.sort_index()
    return Features(frame=frame, as_of=as_of, window_days=window_days, source="customers", notes=notes)
