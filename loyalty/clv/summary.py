"""Transaction lines -> the per-customer summary (x, t_x, T, m_x) of the CLV papers.

What counts as a purchase (the per-day rule)
--------------------------------------------
Several rows can belong to one order or one day.  Following the papers (which count
purchase *occasions* on a daily grid, the definition lifetimes'
``summary_data_from_transaction_data(freq="D")`` also uses), rows are summed per customer
per calendar day, and each such day is one purchase occasion, except:

* a day whose net amount is negative (returns or cancellations outweigh that day's
  purchases) is not a purchase;
* a day whose net amount is 0 *because a return line cancels it* (an order cancelled
  the same day) is not a purchase;
* a day of fee lines only (postage, fees: ``is_fee``) is not a purchase;
* a day whose lines are all zero-valued (a free sample, a 100% coupon) *is* a purchase
  worth 0 by default, as the papers count it: 8 of the 2,357 customers of the CDNOW
  cohort made their first purchase with a $0.00 CD.  ``zero_value_purchases=False``
  drops such days too.

How this relates to the order-line rule of the rest of the app (``is_order_line`` of the
typed lines: amount > 0, not a return, not a fee line): that rule decides which *lines*
make an order, for recency, frequency and F2.  The CLV rule is deliberately different
because the models are fitted on purchase occasions as the papers define them: it works
on a customer's *day*, nets same-day returns and fees into that day's amount (so m_x is
what the customer paid that day), and counts zero-value days.  It reads the typed
columns of the quality step, ``is_return`` and ``is_fee``, and never re-derives them; an
order id (``order_key``) is not needed, since several orders on one day are one
occasion.  Frames made by hand without those columns are read as the quality step would
type them from the amounts alone: a negative amount is a return, no line is a fee.

Dropped days are counted in the summary's report (``summary.attrs["report"]``).  A return
booked on a later day than its purchase is a dropped day of its own; the purchase day
keeps its gross amount.  Customers with no purchase day up to the calibration end are not
in the summary (counted too).  Daily net amounts are rounded to 1e-9 so that float noise
(0.1 + 0.2 - 0.3) does not turn a cancelled day into a purchase.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from loyalty.clv.common import day_to_timestamp, to_day, unit_days
from loyalty.i18n import error

_REQUIRED_COLUMNS = ("customer_id", "order_date", "amount")


def _check_tx(tx: Any) -> None:
    if not isinstance(tx, pd.DataFrame):
        raise error("clv.error.not_a_frame")
    missing = [c for c in _REQUIRED_COLUMNS if c not in tx.columns]
    if missing:
        raise error("clv.error.missing_columns", column=missing[0],
                    names={"ja": "、".join(missing), "en": ", ".join(missing)})
    if len(tx) == 0:
        raise error("clv.error.no_rows")


def _tx_arrays(tx: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """customer ids (object/str array), day numbers (int64), amounts (float64)."""
    cid = tx["customer_id"]
    if cid.isna().any():
        raise error("clv.error.no_customer_id", column="customer_id", count=int(cid.isna().sum()))
    dates = tx["order_date"]
    if not pd.api.types.is_datetime64_any_dtype(dates):
        try:
            dates = pd.to_datetime(dates)
        except (TypeError, ValueError) as exc:
            raise error("clv.error.unreadable_dates", column="order_date") from exc
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    if dates.isna().any():
        raise error("clv.error.no_dates", column="order_date", count=int(dates.isna().sum()))
    days = dates.to_numpy().astype("datetime64[D]").astype(np.int64)
    amount = tx["amount"]
    if not pd.api.types.is_numeric_dtype(amount) or pd.api.types.is_bool_dtype(amount):
        raise error("clv.error.amount_not_numeric", column="amount")
    amounts = amount.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(amounts)
    if bad.any():
        raise error("clv.error.no_amounts", column="amount", count=int(bad.sum()))
    return cid.astype(str).to_numpy(), days, amounts


def _daily(tx: pd.DataFrame, cid: np.ndarray, days: np.ndarray, amounts: np.ndarray,
           zero_value_purchases: bool) -> pd.DataFrame:
    """One row per customer and day: customer_id, day, amount (net, rounded) and the
    day's kind as booleans: purchase, negative, cancelled, zero_value, fee_only.

    A day has a return line when one of its lines is typed ``is_return`` (or, for frames
    without that column, has a negative amount); it is fee-only when every line is
    ``is_fee`` (never, without that column).
    """
    lines = pd.DataFrame({"customer_id": cid, "day": days, "amount": amounts})
    is_return = amounts < 0
    if "is_return" in tx.columns:
        is_return = is_return | tx["is_return"].to_numpy(dtype=bool)
    lines["is_return"] = is_return
    has_fees = "is_fee" in tx.columns
    if has_fees:
        lines["product"] = ~tx["is_fee"].to_numpy(dtype=bool)
    grouped = lines.groupby(["customer_id", "day"], sort=True)
    daily = grouped["amount"].agg(["sum"])
    daily["has_return"] = grouped["is_return"].any()
    if has_fees:
        daily["product"] = grouped["product"].any()
    daily = daily.reset_index()
    net = np.round(daily["sum"].to_numpy(), 9)
    has_return = daily["has_return"].to_numpy(dtype=bool)
    fee_only = ~daily["product"].to_numpy(dtype=bool) if has_fees else np.zeros(len(daily), dtype=bool)
    zero_value = (net == 0) & ~has_return & ~fee_only
    return pd.DataFrame({
        "customer_id": daily["customer_id"].to_numpy(),
        "day": daily["day"].to_numpy(),
        "amount": net,
        "purchase": ((net > 0) | (zero_value & bool(zero_value_purchases))) & ~fee_only,
        "negative": (net < 0) & ~fee_only,
        "cancelled": (net == 0) & has_return & ~fee_only,
        "zero_value": zero_value,
        "fee_only": fee_only,
    })


def _calibration_summary(cal_days: pd.DataFrame, cal: int, unit: int) -> pd.DataFrame:
    """frequency, recency, T, monetary_value per customer from their purchase days."""
    grouped = cal_days.groupby("customer_id", sort=True)
    first = grouped["day"].min()
    last = grouped["day"].max()
    count = grouped["day"].size()
    total = grouped["amount"].sum()
    first_amount = grouped["amount"].first()  # days are sorted within a customer

    freq = (count - 1).to_numpy().astype(np.int64)
    repeat_total = (total - first_amount).to_numpy()
    monetary = np.where(freq > 0, repeat_total / np.maximum(freq, 1), 0.0)
    return pd.DataFrame(
        {
            "frequency": freq,
            "recency": (last - first).to_numpy(dtype=float) / unit,
            "T": (cal - first).to_numpy(dtype=float) / unit,
            "monetary_value": monetary.astype(float),
        },
        index=pd.Index(first.index.astype(str), name="customer_id"),
    )


def _add_holdout(summary: pd.DataFrame, hold_days: pd.DataFrame, cal: int, obs: int, unit: int) -> None:
    """Add frequency_holdout, monetary_value_holdout and duration_holdout (in place)."""
    hold = hold_days[hold_days["customer_id"].isin(summary.index)]
    hg = hold.groupby("customer_id", sort=True)["amount"]
    hcount = hg.size().reindex(summary.index, fill_value=0)
    hmean = hg.mean().reindex(summary.index, fill_value=0.0)
    summary["frequency_holdout"] = hcount.to_numpy().astype(np.int64)
    summary["monetary_value_holdout"] = hmean.to_numpy().astype(float)
    summary["duration_holdout"] = float(obs - cal) / unit


def _report(n_rows: int, days: np.ndarray, daily: pd.DataFrame, cal: int, obs: int,
            n_customers: int) -> dict[str, int]:
    """The counts of ``summary.attrs["report"]`` (see :func:`summary_from_transactions`)."""
    day_arr = daily["day"].to_numpy()
    in_cal = day_arr <= cal
    in_hold = (~in_cal) & (day_arr <= obs)
    purchase = daily["purchase"].to_numpy()
    dropped = ~purchase
    zero_value = daily["zero_value"].to_numpy()
    cal_customers = pd.unique(daily.loc[in_cal, "customer_id"])
    later_customers = pd.unique(daily.loc[~in_cal, "customer_id"])
    return {
        "rows": int(n_rows),
        "rows_after_calibration_end": int((days > cal).sum()),
        "purchase_days": int((in_cal & purchase).sum()),
        "zero_value_purchase_days": int((in_cal & purchase & zero_value).sum()),
        "dropped_days": int((in_cal & dropped).sum()),
        "dropped_negative_days": int((in_cal & daily["negative"].to_numpy()).sum()),
        "dropped_cancelled_days": int((in_cal & daily["cancelled"].to_numpy()).sum()),
        "dropped_zero_value_days": int((in_cal & zero_value & dropped).sum()),
        "dropped_fee_days": int((in_cal & daily["fee_only"].to_numpy()).sum()),
        "holdout_dropped_days": int((in_hold & dropped).sum()) if obs > cal else 0,
        "customers": int(n_customers),
        "customers_without_purchase": int(len(cal_customers) - n_customers),
        # (pandas' hash-based isin: np.setdiff1d on object arrays is quadratic-slow, minutes at 100k ids)
        "customers_first_purchase_after_calibration": int((~pd.Index(later_customers).isin(cal_customers)).sum()),
    }


def summary_from_transactions(
    tx: pd.DataFrame,
    *,
    calibration_end: Any = None,
    observation_end: Any = None,
    time_unit: str = "weeks",
    zero_value_purchases: bool = True,
) -> pd.DataFrame:
    """Per-customer (x, t_x, T, m_x) of the BG/NBD and Gamma-Gamma papers.

    Rows are summed per customer per calendar day; each day is one purchase occasion
    unless its net amount is negative, or it is 0 because a return line cancels it,
    or all its lines are fee lines (see the module docstring; all-zero-value days
    count unless ``zero_value_purchases=False``).  Per customer, over the purchase days
    up to ``calibration_end`` (inclusive):

    * ``frequency`` (x): purchase days - 1, i.e. the number of *repeat* purchases;
    * ``recency`` (t_x): last purchase day - first purchase day, in ``time_unit``;
    * ``T``: ``calibration_end`` - first purchase day, in ``time_unit``;
    * ``monetary_value`` (m_x): mean net amount of the repeat purchase days
      (the first purchase day is excluded, as in Fader & Hardie 2013); 0 when x = 0.

    This is the definition of lifetimes' ``summary_data_from_transaction_data`` with
    ``freq="D"`` (divided by 7 for weeks), except that lifetimes keeps return days.
    Customers whose first purchase is after ``calibration_end`` are not included.

    When ``observation_end`` is later than ``calibration_end`` the holdout period
    (calibration_end, observation_end] is summarised too, in columns
    ``frequency_holdout`` (purchase days in the holdout), ``monetary_value_holdout``
    (their mean net amount, 0 if none) and ``duration_holdout`` (its length in
    ``time_unit``).  Rows after ``observation_end`` are ignored.

    Args:
        tx: typed transaction lines with columns customer_id, order_date (datetime),
            amount (net; negative for returns), and where the quality step made them
            is_return and is_fee.
        calibration_end: last day of the calibration period (inclusive); defaults to the
            latest order date in ``tx``.
        observation_end: last day of the holdout period; defaults to ``calibration_end``
            (no holdout).
        time_unit: "days" or "weeks".
        zero_value_purchases: count days whose lines are all zero-valued as purchases
            (default True, as the papers do on CDNOW).

    Returns:
        DataFrame indexed by ``customer_id`` (sorted) with columns frequency (int),
        recency, T, monetary_value (floats) [+ holdout columns].  ``attrs`` holds
        ``time_unit``, ``calibration_end`` and ``observation_end`` (ISO dates) and
        ``report``, a dict of counts up to calibration_end unless said otherwise:

        * ``rows``: input rows; ``rows_after_calibration_end``: rows the calibration
          summary does not use;
        * ``purchase_days``: customer-days used as purchases, of which
          ``zero_value_purchase_days`` are worth 0;
        * ``dropped_days`` = ``dropped_negative_days`` (net < 0) +
          ``dropped_cancelled_days`` (net 0 with a return line) +
          ``dropped_zero_value_days`` (only with ``zero_value_purchases=False``) +
          ``dropped_fee_days`` (days of postage or fee lines only);
        * ``holdout_dropped_days``: the same count in the holdout period;
        * ``customers``: rows of the summary; ``customers_without_purchase``: customers
          with rows up to calibration_end but no purchase day;
          ``customers_first_purchase_after_calibration``: customers seen only later.

    Raises:
        LoyaltyError: empty or malformed frame, unknown time unit, unreadable dates,
            observation_end before calibration_end, or no purchase up to calibration_end.
    """
    unit = unit_days(time_unit)
    _check_tx(tx)
    cid, days, amounts = _tx_arrays(tx)

    cal = int(days.max()) if calibration_end is None else to_day(calibration_end, "calibration_end")
    obs = cal if observation_end is None else to_day(observation_end, "observation_end")
    if obs < cal:
        raise error("clv.error.observation_before_calibration", field="observation_end",
                    observation_end=f"{day_to_timestamp(obs):%Y/%m/%d}",
                    calibration_end=f"{day_to_timestamp(cal):%Y/%m/%d}")

    daily = _daily(tx, cid, days, amounts, zero_value_purchases)
    day_arr = daily["day"].to_numpy()
    purchase = daily["purchase"].to_numpy()
    cal_days = daily.loc[(day_arr <= cal) & purchase, ["customer_id", "day", "amount"]]
    if cal_days.empty:
        raise error("clv.error.no_purchase", field="calibration_end",
                    calibration_end=f"{day_to_timestamp(cal):%Y/%m/%d}")
    summary = _calibration_summary(cal_days, cal, unit)
    if obs > cal:
        in_hold = (day_arr > cal) & (day_arr <= obs)
        _add_holdout(summary, daily.loc[in_hold & purchase, ["customer_id", "amount"]], cal, obs, unit)

    summary.attrs["time_unit"] = time_unit
    summary.attrs["calibration_end"] = day_to_timestamp(cal).strftime("%Y-%m-%d")
    summary.attrs["observation_end"] = day_to_timestamp(obs).strftime("%Y-%m-%d")
    summary.attrs["report"] = _report(len(tx), days, daily, cal, obs, len(summary))
    return summary
