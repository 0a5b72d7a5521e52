"""The profile of every customer's first order and first weeks (see
:mod:`loyalty.golden_route`): first product, items, value, price, second
purchase, orders and spend in the first 30/90 days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from loyalty import cohorts, lines
from loyalty.quality import Transactions


def first_purchases(tx: Transactions, as_of: date) -> pd.DataFrame:
    """The first order and first weeks of every customer who ordered by the as-of date.

    Args:
        tx: clean transactions (:class:`loyalty.quality.Transactions`).
        as_of: lines after this date are ignored.

    Returns:
        A frame indexed by customer_id (str, sorted) with: first_order (datetime),
        days_since_first, orders_so_far, first_product, first_category, first_channel
        (only when mapped; of the main line), first_items, first_lines (distinct
        products, when product is mapped), first_value, first_discounted (1.0/0.0; only
        when discount or coupon is mapped), first_coupon (code, "" for none; when
        mapped), second_order_days (days to the second purchase, the first order on a
        later day: :func:`loyalty.cohorts.second_purchase`; NaN without one),
        orders_30, orders_90, spend_30, spend_90 (net amounts, returns included).
    """
    f = tx.frame
    as_of_day = np.datetime64(as_of, "D").astype(np.int64)
    day = f["order_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    valid = day <= as_of_day
    ccode, uniques = pd.factorize(f["customer_id"], sort=True)  # integer codes: no string work below
    n = len(uniques)
    ol = _order_lines(tx, ccode, day, valid)
    o = _orders(ol)
    first_c = o.first_c
    out = pd.DataFrame(index=pd.Index(uniques[first_c], name="customer_id").astype("str"))
    out["first_order"] = (o.first_d.astype("timedelta64[D]") + np.datetime64("1970-01-01", "D")).astype("datetime64[s]")
    out["days_since_first"] = (as_of_day - o.first_d).astype(np.int64)
    out["orders_so_far"] = np.bincount(o.c, minlength=n)[first_c].astype(np.int64)
    _first_order(out, f, ol, o, n)
    # the second purchase: the first order on a later day (the one F2 rule, loyalty.cohorts)
    first_of, second_of = cohorts.second_purchase(o.c, o.d, n)
    out["second_order_days"] = cohorts.days_to_second(first_of[first_c], second_of[first_c])
    _first_weeks(out, f, o, ccode, day, valid, n)
    return out


@dataclass
class _OrderLines:
    """The order lines on or before the as-of date: customer code, day, amount,
    position in the frame and order number (0..k-1) of each."""

    c: np.ndarray
    d: np.ndarray
    a: np.ndarray
    pos: np.ndarray
    k: np.ndarray


@dataclass
class _Orders:
    """One entry per order, sorted by customer, day, first line: customer code (c), day
    (d), order number (k); and per customer with an order: its first order's c, d, k."""

    c: np.ndarray
    d: np.ndarray
    k: np.ndarray
    first_c: np.ndarray
    first_d: np.ndarray
    first_k: np.ndarray


def _order_lines(tx: Transactions, ccode: np.ndarray, day: np.ndarray, valid: np.ndarray) -> _OrderLines:
    """The typed lines' order lines (fee lines make no order and are no entry product),
    numbered by order: the order key, or without an order id one order per customer and day
    (otherwise a first purchase of three lines would look like three orders on day 0)."""
    f = tx.frame
    amount = np.nan_to_num(f["amount"].to_numpy(dtype=float), nan=0.0)
    pos = np.flatnonzero(valid & lines.order_line_mask(f) & (ccode >= 0))
    c, d, a = ccode[pos].astype(np.int64), day[pos], amount[pos]
    if tx.has_order_id:
        k, _ = pd.factorize(f["order_key"].to_numpy()[pos])
    else:  # one order per customer and day
        k, _ = pd.factorize((c << 32) + (d - d.min() if len(d) else d))
    return _OrderLines(c=c, d=d, a=a, pos=pos, k=k.astype(np.int64))


def _orders(ol: _OrderLines) -> _Orders:
    """Collapse order lines into orders; the first order of a customer is the earliest
    (same day: the one whose first line comes first in the data)."""
    n_orders = int(ol.k.max()) + 1 if len(ol.k) else 0
    o_c = np.zeros(n_orders, dtype=np.int64)
    o_c[ol.k] = ol.c
    o_d = np.full(n_orders, np.iinfo(np.int64).max)
    np.minimum.at(o_d, ol.k, ol.d)
    o_p = np.full(n_orders, np.iinfo(np.int64).max)
    np.minimum.at(o_p, ol.k, ol.pos)
    order = np.lexsort((o_p, o_d, o_c))
    o_c, o_d = o_c[order], o_d[order]
    idx = np.arange(len(o_c))
    starts = np.r_[True, o_c[1:] != o_c[:-1]] if len(o_c) else np.zeros(0, dtype=bool)
    rank = idx - np.maximum.accumulate(np.where(starts, idx, 0)) if len(o_c) else idx
    first = rank == 0
    return _Orders(c=o_c, d=o_d, k=order, first_c=o_c[first], first_d=o_d[first], first_k=order[first])


def _first_order(out: pd.DataFrame, f: pd.DataFrame, ol: _OrderLines, o: _Orders, n: int) -> None:
    """Add the first order's profile: main line's product/category/channel, items,
    distinct products, value, discount and coupon."""
    in_first = np.zeros(len(o.k), dtype=bool)
    in_first[o.first_k] = True
    sel = in_first[ol.k]
    fc, fk, fa, fp_ = ol.c[sel], ol.k[sel], ol.a[sel], ol.pos[sel]
    # its main line = the highest amount, then the earlier line
    by_main = np.lexsort((fp_, -fa, fk))
    lead = np.r_[True, fk[by_main][1:] != fk[by_main][:-1]] if len(fk) else np.zeros(0, dtype=bool)
    main_at = np.full(n, -1, dtype=np.int64)
    main_at[fc[by_main][lead]] = fp_[by_main][lead]
    first_c = o.first_c
    for role in ("product", "category", "channel"):
        if role in f:
            vals = f[role].iloc[main_at[first_c]].astype("str").str.strip()
            vals.index = out.index
            out[f"first_{role}"] = vals.where(vals.str.len() > 0)
    if "quantity" in f:
        q = f["quantity"].to_numpy(dtype=float)[fp_]
        q = np.where(np.isnan(q) | (q <= 0), 1.0, q)
    else:
        q = np.ones(len(fp_))
    out["first_items"] = np.bincount(fc, weights=q, minlength=n)[first_c]
    if "product" in f:
        prod, _ = pd.factorize(f["product"].iloc[fp_])
        ok = prod >= 0
        pairs = np.unique((fc[ok] << 32) + prod[ok].astype(np.int64))
        out["first_lines"] = np.bincount(pairs >> 32, minlength=n)[first_c].astype(float)
    out["first_value"] = np.bincount(fc, weights=fa, minlength=n)[first_c]
    if "discount" in f or "coupon" in f:
        _first_discount(out, f, fc, fp_, first_c, n)


def _first_discount(out: pd.DataFrame, f: pd.DataFrame, fc: np.ndarray, fp_: np.ndarray, first_c: np.ndarray,
                    n: int) -> None:
    """Add first_discounted (a line with a discount > 0 or a coupon) and first_coupon
    (the coupon of the first line, in file order, that carries one)."""
    marked = np.zeros(len(fp_), dtype=bool)
    if "discount" in f:
        marked |= np.nan_to_num(f["discount"].to_numpy(dtype=float)[fp_], nan=0.0) > 0
    if "coupon" in f:
        code = f["coupon"].iloc[fp_].astype("str").str.strip()
        used = (code.notna() & (code.str.len() > 0)).to_numpy()
        marked |= used
        up = np.lexsort((fp_[used], fc[used]))
        uc = fc[used][up]
        head = np.r_[True, uc[1:] != uc[:-1]] if len(uc) else np.zeros(0, dtype=bool)
        coupon = pd.Series("", index=pd.RangeIndex(n), dtype="str")
        coupon.iloc[uc[head]] = code.to_numpy()[used][up][head]
        out["first_coupon"] = coupon.iloc[first_c].to_numpy()
    out["first_discounted"] = (np.bincount(fc, weights=marked, minlength=n)[first_c] > 0).astype(float)


def _first_weeks(out: pd.DataFrame, f: pd.DataFrame, o: _Orders, ccode: np.ndarray, day: np.ndarray,
                 valid: np.ndarray, n: int) -> None:
    """Add orders and net spend (every line, returns included) in the first 30/90 days
    (day 0 … day N after the first order)."""
    first_day = np.full(n, np.nan)
    first_day[o.first_c] = o.first_d
    o_off = o.d - first_day[o.c]
    vc = ccode[valid]
    known = vc >= 0
    v_off = np.where(known, day[valid] - first_day[np.where(known, vc, 0)], np.nan)  # NaN: no order
    vamount = np.nan_to_num(f["amount"].to_numpy(dtype=float), nan=0.0)[valid]
    for days in (30, 90):
        out[f"orders_{days}"] = np.bincount(o.c, weights=o_off <= days, minlength=n)[o.first_c].astype(np.int64)
        keep = (v_off >= 0) & (v_off <= days)
        out[f"spend_{days}"] = np.bincount(vc[keep], weights=vamount[keep], minlength=n)[o.first_c]
