"""Predictive customer lifetime value: BG/NBD for purchase counts, Gamma-Gamma for spend.

This module turns a clean transaction frame into per-customer forecasts:

* how likely the customer is still "alive" (still buying from us),
* how many purchases we should expect from them over the next months,
* how much a purchase of theirs is worth on average, and
* their discounted customer lifetime value (CLV) over a horizon.

It is a compact implementation written for this project on numpy/scipy, of

* the BG/NBD model: Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005),
  "'Counting Your Customers' the Easy Way: An Alternative to the Pareto/NBD Model",
  *Marketing Science* 24(2), 275-284 (log-likelihood eq. 6, conditional expectation eq. 10),
  with the correction for P(alive) of customers without repeat purchases in
  Fader, Hardie & Lee (2008), "Computing P(alive) Using the BG/NBD Model" (note);
* the Gamma-Gamma model of spend per transaction: Fader, Hardie & Lee (2005),
  "RFM and CLV: Using Iso-Value Curves for Customer Base Analysis",
  *Journal of Marketing Research* 42(4), 415-430, as written up in
  Fader, P. S. & Hardie, B. G. S. (2013), "The Gamma-Gamma Model of Monetary Value" (note).

Notation (papers -> here)
-------------------------
======================  ===============================  ==========================================
paper                   argument / column                meaning
======================  ===============================  ==========================================
x                       ``frequency``                    number of *repeat* purchase days in the
                                                         calibration period (first purchase excluded)
t_x                     ``recency``                      time from the first to the last purchase
T                       ``T``                            time from the first purchase to the end of
                                                         the calibration period
m_x (z-bar)             ``monetary_value``               mean net amount of the repeat purchase days
r, alpha                ``BGNBDFit.r``, ``.alpha``       gamma heterogeneity of the purchase rate
                                                         lambda (shape r, rate alpha)
a, b                    ``BGNBDFit.a``, ``.b``           beta heterogeneity of the drop-out
                                                         probability p after each purchase
p, q, gamma             ``GammaGammaFit.p``, ``.q``,     Gamma-Gamma: spend ~ Gamma(p, nu),
                        ``.gamma``                       nu ~ Gamma(q, gamma)
t                       ``t``                            length of the forecast period
======================  ===============================  ==========================================

Times are in ``time_unit`` ("days" or "weeks", always explicit). alpha and gamma carry
units: alpha in weeks is alpha in days divided by 7; r, a, b do not depend on the unit.

What counts as a purchase
-------------------------
Several rows can belong to one order or one day.  Following the papers (which count
purchase *occasions* on a daily grid, the definition lifetimes'
``summary_data_from_transaction_data(freq="D")`` also uses), rows are summed per customer
per calendar day, and each such day is one purchase occasion, except:

* a day whose net amount is negative (returns or cancellations outweigh that day's
  purchases) is not a purchase;
* a day whose net amount is 0 *because a negative line cancels it* (an order cancelled
  the same day) is not a purchase;
* a day whose lines are all zero-valued (a free sample, a 100% coupon) *is* a purchase
  worth 0 by default, as an order is in this product's design and as the papers count it:
  8 of the 2,357 customers of the CDNOW cohort made their first purchase with a $0.00 CD.
  ``zero_value_purchases=False`` drops such days too.

Dropped days are counted in the summary's report (``summary.attrs["report"]``).  A return
booked on a later day than its purchase is a dropped day of its own; the purchase day
keeps its gross amount.  Customers with no purchase day up to the calibration end are not
in the summary (counted too).  Daily net amounts are rounded to 1e-9 so that float noise
(0.1 + 0.2 - 0.3) does not turn a cancelled day into a purchase.

Everything here is vectorised over customers (no Python loop per customer); the fits
group customers with identical (x, t_x, T) (or (x, m_x)) and weight each group by its
size, which is what makes a million customers fit in well under two seconds.

Errors a user can cause (an empty frame, an unknown time unit, nobody repeating, a fit
that does not converge) raise :class:`loyalty.errors.LoyaltyError` with a Japanese
message that says what to do, and its English twin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special

from loyalty.errors import LoyaltyError

__all__ = [
    "TIME_UNITS",
    "DAYS_PER_MONTH",
    "MIN_CUSTOMERS",
    "MIN_REPEAT_BUYERS_GAMMA_GAMMA",
    "FREQUENCY_BUCKETS",
    "BGNBDFit",
    "GammaGammaFit",
    "CLVResult",
    "summary_from_transactions",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "bgnbd_loglik",
    "gamma_gamma_loglik",
    "probability_alive",
    "expected_purchases",
    "expected_average_value",
    "customer_lifetime_value",
    "holdout_comparison",
    "simulate_summary",
    "run",
]

# --------------------------------------------------------------------------- settings

#: Length in days of each supported time unit.  Anything else is rejected.
TIME_UNITS: dict[str, int] = {"days": 1, "weeks": 7}

#: Days in an average calendar month (365.25 / 12), used to turn CLV horizons in months
#: into the model's time unit.  (lifetimes uses 4.345 weeks or 30 days instead.)
DAYS_PER_MONTH: float = 365.25 / 12

#: Fewer customers than this and the BG/NBD fit is refused.
MIN_CUSTOMERS: int = 10

#: Fewer repeat buyers (x > 0) than this and the Gamma-Gamma fit is refused.
MIN_REPEAT_BUYERS_GAMMA_GAMMA: int = 10

#: Calibration-frequency buckets of :func:`holdout_comparison`: 0, 1, ..., 6 and "7+".
FREQUENCY_BUCKETS: int = 7

# Optimiser box on the log-parameters: every parameter lies in [1e-6, 1e6].  A fit that
# ends on this box is degenerate (a parameter ran away) and is reported, not returned.
_LOG_BOUND = math.log(1e6)
_AT_BOUND = 0.05  # distance in log units that counts as "on the box"
# Largest gradient (of the per-customer mean negative log-likelihood, in log-parameters)
# accepted as converged.
_GRAD_TOL = 1e-4
# Largest standard error of a log-parameter (from the observed information) accepted as
# identified.  Sound fits on 50 customers stay below 2.5; fits sliding along a flat ridge
# (e.g. a -> 0 with b -> infinity: "nobody ever leaves") are in the thousands or undefined.
_MAX_LOG_SE = 10.0

_REQUIRED_COLUMNS = ("customer_id", "order_date", "amount")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class BGNBDFit:
    """A fitted BG/NBD model (Fader, Hardie & Lee 2005).

    Attributes:
        r: shape of the gamma distribution of purchase rates lambda (paper: r).
        alpha: rate (scale parameter) of that gamma distribution, in ``time_unit`` (paper: alpha).
        a: first shape of the beta distribution of drop-out probabilities p (paper: a).
        b: second shape of that beta distribution (paper: b).
        loglik: the maximised log-likelihood, summed over customers (paper eq. 6);
            penalty not included.
        n_customers: number of customers fitted.
        converged: True when the optimiser met the gradient tolerance (a fit that does not
            converge raises instead, so a returned fit has True).
        message: the optimiser's own words, for logs.
        time_unit: "days" or "weeks" when known (from the summary), else None.
        penalizer: the L2 coefficient on the log-parameters that was used.
        n_groups: number of distinct (x, t_x, T) triples the likelihood was evaluated on.
        stderr: approximate standard errors of r, alpha, a, b (observed information of the
            penalised likelihood, delta method from the log scale).
    """

    r: float
    alpha: float
    a: float
    b: float
    loglik: float
    n_customers: int
    converged: bool
    message: str
    time_unit: str | None = None
    penalizer: float = 0.0
    n_groups: int = 0
    stderr: dict[str, float] = field(default_factory=dict)

    def params(self) -> dict[str, float]:
        """``{"r", "alpha", "a", "b", "loglik"}`` as plain floats."""
        return {
            "r": float(self.r),
            "alpha": float(self.alpha),
            "a": float(self.a),
            "b": float(self.b),
            "loglik": float(self.loglik),
        }


@dataclass(frozen=True)
class GammaGammaFit:
    """A fitted Gamma-Gamma spend model (Fader & Hardie 2013).

    Attributes:
        p: shape of the gamma distribution of a single transaction's value (paper: p).
        q: shape of the gamma distribution of the customers' scale nu (paper: q).
        gamma: rate of that distribution, in currency units (paper: gamma).
        loglik: the maximised log-likelihood of the customers' mean spends.
        n_customers: number of repeat buyers fitted (x > 0, monetary_value > 0).
        frequency_monetary_corr: Pearson correlation between x and m_x among those buyers.
            The model assumes spend is independent of frequency; a value far from 0
            (say beyond +/-0.3) means its forecasts should be read with care.
        converged: as for :class:`BGNBDFit`.
        message: the optimiser's own words.
        stderr: approximate standard errors of p, q, gamma, as for :class:`BGNBDFit`.
    """

    p: float
    q: float
    gamma: float
    loglik: float
    n_customers: int
    frequency_monetary_corr: float = float("nan")
    converged: bool = True
    message: str = ""
    stderr: dict[str, float] = field(default_factory=dict)

    def params(self) -> dict[str, float]:
        """``{"p", "q", "gamma"}`` as plain floats."""
        return {"p": float(self.p), "q": float(self.q), "gamma": float(self.gamma)}

    @property
    def population_mean_value(self) -> float:
        """E(value of a transaction) over all customers: p * gamma / (q - 1), NaN if q <= 1."""
        return self.p * self.gamma / (self.q - 1.0) if self.q > 1.0 else float("nan")


@dataclass
class CLVResult:
    """What :func:`run` returns.

    Attributes:
        bgnbd: the BG/NBD fit.
        gamma_gamma: the Gamma-Gamma fit, or None when it could not be made
            (see ``gamma_gamma_reason``).
        gamma_gamma_reason: the :class:`LoyaltyError` explaining why there is no
            Gamma-Gamma fit, else None.
        customers: one row per calibration customer: customer_id, frequency, recency, T,
            monetary_value, p_alive, expected_purchases (over the horizon),
            expected_avg_value, clv.  The last two are NaN without a Gamma-Gamma fit.
        report: the summary's report (rows, purchase days, dropped days, ...).
        calibration_end: the calibration end date used.
        time_unit: "days" or "weeks".
        horizon_months: the CLV horizon in months.
        monthly_discount_rate: the discount rate per month.
    """

    bgnbd: BGNBDFit
    gamma_gamma: GammaGammaFit | None
    customers: pd.DataFrame
    gamma_gamma_reason: LoyaltyError | None = None
    report: dict[str, Any] = field(default_factory=dict)
    calibration_end: pd.Timestamp | None = None
    time_unit: str = "weeks"
    horizon_months: int = 12
    monthly_discount_rate: float = 0.01

    def params_dict(self) -> dict[str, dict[str, float | None]]:
        """The fitted parameters, JSON-serialisable.

        Returns:
            ``{"bgnbd": {"r", "alpha", "a", "b", "loglik"}, "gamma_gamma": {"p", "q", "gamma"}}``
            with float values; the gamma_gamma values are None when there is no
            Gamma-Gamma fit.
        """
        gg: dict[str, float | None]
        if self.gamma_gamma is None:
            gg = {"p": None, "q": None, "gamma": None}
        else:
            gg = dict(self.gamma_gamma.params())
        return {"bgnbd": dict(self.bgnbd.params()), "gamma_gamma": gg}


# --------------------------------------------------------------------------- helpers


def _unit_days(time_unit: Any) -> int:
    if not isinstance(time_unit, str) or time_unit not in TIME_UNITS:
        raise LoyaltyError(
            ja=(
                f"時間の単位「{time_unit}」は使えません。"
                "「days」（日）か「weeks」（週）のどちらかを指定してください。"
            ),
            en=f"Unknown time unit {time_unit!r}: use 'days' or 'weeks'.",
            field="time_unit",
        )
    return TIME_UNITS[time_unit]


def _to_day(value: Any, name_ja: str, name_en: str) -> int:
    """A date-like value -> days since 1970-01-01 (int)."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise LoyaltyError(
            ja=f"{name_ja}「{value}」を日付として読めません。YYYY-MM-DD の形で指定してください。",
            en=f"Cannot read {name_en} {value!r} as a date; use YYYY-MM-DD.",
            field=name_en.replace(" ", "_"),
        ) from exc
    if pd.isna(ts):
        raise LoyaltyError(
            ja=f"{name_ja}が空です。YYYY-MM-DD の形で指定してください。",
            en=f"{name_en} is empty; use YYYY-MM-DD.",
            field=name_en.replace(" ", "_"),
        )
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return int(np.datetime64(ts.normalize().to_datetime64(), "D").astype(np.int64))


def _day_to_timestamp(day: int) -> pd.Timestamp:
    return pd.Timestamp(np.datetime64(int(day), "D"))


def _as_float_array(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=float)


def _like(result: np.ndarray, *inputs: Any, name: str | None = None) -> Any:
    """Return a Series with the first Series input's index, else the array (or a float)."""
    for item in inputs:
        if isinstance(item, pd.Series):
            if result.shape == (len(item),):
                return pd.Series(result, index=item.index, name=name)
            break
    if result.ndim == 0:
        return float(result)
    return result


def _check_tx(tx: Any) -> None:
    if not isinstance(tx, pd.DataFrame):
        raise LoyaltyError(
            ja="取引データが表（DataFrame）ではありません。取引表を読み込み直してください。",
            en="The transactions are not a DataFrame.",
        )
    missing = [c for c in _REQUIRED_COLUMNS if c not in tx.columns]
    if missing:
        names = "、".join(missing)
        raise LoyaltyError(
            ja=(
                f"取引表に必要な列（{names}）がありません。"
                "列の対応付けで顧客ID・購入日・金額の列を指定してください。"
            ),
            en=f"The transaction table lacks column(s) {', '.join(missing)}; map customer id, date and amount.",
            column=missing[0],
        )
    if len(tx) == 0:
        raise LoyaltyError(
            ja="取引データが0行です。購入履歴の入ったファイルを読み込んでください。",
            en="The transaction table has no rows; load a file with purchase history.",
        )


def _tx_arrays(tx: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """customer ids (object/str array), day numbers (int64), amounts (float64)."""
    cid = tx["customer_id"]
    if cid.isna().any():
        raise LoyaltyError(
            ja=(
                f"顧客IDが空の行が{int(cid.isna().sum()):,}行あります。"
                "品質チェックで除外してから予測してください。"
            ),
            en=f"{int(cid.isna().sum()):,} rows have no customer id; exclude them first.",
            column="customer_id",
        )
    dates = tx["order_date"]
    if not pd.api.types.is_datetime64_any_dtype(dates):
        try:
            dates = pd.to_datetime(dates)
        except (TypeError, ValueError) as exc:
            raise LoyaltyError(
                ja="購入日の列を日付として読めません。YYYY-MM-DD などの日付の列を指定してください。",
                en="The order date column cannot be read as dates.",
                column="order_date",
            ) from exc
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    if dates.isna().any():
        raise LoyaltyError(
            ja=(
                f"購入日が空または日付でない行が{int(dates.isna().sum()):,}行あります。"
                "品質チェックで除外してから予測してください。"
            ),
            en=f"{int(dates.isna().sum()):,} rows have no valid order date; exclude them first.",
            column="order_date",
        )
    days = dates.to_numpy().astype("datetime64[D]").astype(np.int64)
    amount = tx["amount"]
    if not pd.api.types.is_numeric_dtype(amount) or pd.api.types.is_bool_dtype(amount):
        raise LoyaltyError(
            ja="金額の列が数値ではありません。金額（売上）の列を指定してください。",
            en="The amount column is not numeric.",
            column="amount",
        )
    amounts = amount.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(amounts)
    if bad.any():
        raise LoyaltyError(
            ja=(
                f"金額が空または数値でない行が{int(bad.sum()):,}行あります。"
                "品質チェックで除外してから予測してください。"
            ),
            en=f"{int(bad.sum()):,} rows have no valid amount; exclude them first.",
            column="amount",
        )
    return cid.astype(str).to_numpy(), days, amounts


# --------------------------------------------------------------------------- summary


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
    unless its net amount is negative, or it is 0 because a negative line cancels it
    (see the module docstring; all-zero-value days count unless
    ``zero_value_purchases=False``), or all its lines are fee lines (``is_fee``:
    postage, fees).  Per customer, over the purchase days up to
    ``calibration_end`` (inclusive):

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
        tx: clean transaction frame with columns customer_id, order_date (datetime),
            amount (net; negative for returns).
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
          ``dropped_cancelled_days`` (net 0 with a negative line) +
          ``dropped_zero_value_days`` (only with ``zero_value_purchases=False``) +
          ``dropped_fee_days`` (with an ``is_fee`` column: days of postage or fee
          lines only, which are not purchases, as everywhere in the app);
        * ``holdout_dropped_days``: the same count in the holdout period;
        * ``customers``: rows of the summary; ``customers_without_purchase``: customers
          with rows up to calibration_end but no purchase day;
          ``customers_first_purchase_after_calibration``: customers seen only later.

    Raises:
        LoyaltyError: empty or malformed frame, unknown time unit, unreadable dates,
            observation_end before calibration_end, or no purchase up to calibration_end.
    """
    unit = _unit_days(time_unit)
    _check_tx(tx)
    cid, days, amounts = _tx_arrays(tx)

    cal = int(days.max()) if calibration_end is None else _to_day(calibration_end, "学習期間の終了日", "calibration end")
    obs = cal if observation_end is None else _to_day(observation_end, "観測期間の終了日", "observation end")
    if obs < cal:
        raise LoyaltyError(
            ja=(
                f"観測期間の終了日（{_day_to_timestamp(obs):%Y/%m/%d}）が学習期間の終了日"
                f"（{_day_to_timestamp(cal):%Y/%m/%d}）より前です。観測期間の終了日を後ろにしてください。"
            ),
            en="The observation end is before the calibration end.",
            field="observation_end",
        )

    # Net amount and smallest line per customer per day (and whether a product line is in it).
    lines = pd.DataFrame({"customer_id": cid, "day": days, "amount": amounts})
    has_fees = "is_fee" in tx.columns
    if has_fees:
        lines["product"] = ~tx["is_fee"].to_numpy(dtype=bool)
    grouped_days = lines.groupby(["customer_id", "day"], sort=True)
    daily = grouped_days["amount"].agg(["sum", "min"])
    if has_fees:
        daily["product"] = grouped_days["product"].any()
    daily = daily.reset_index()
    net = np.round(daily["sum"].to_numpy(), 9)
    daily["amount"] = net
    has_negative_line = daily["min"].to_numpy() < 0
    fee_only = ~daily["product"].to_numpy(dtype=bool) if has_fees else np.zeros(len(daily), dtype=bool)
    negative = (net < 0) & ~fee_only
    cancelled = (net == 0) & has_negative_line & ~fee_only
    zero_value = (net == 0) & ~has_negative_line & ~fee_only
    purchase = ((net > 0) | (zero_value & bool(zero_value_purchases))) & ~fee_only
    dropped = ~purchase
    day_arr = daily["day"].to_numpy()
    in_cal = day_arr <= cal
    in_hold = (~in_cal) & (day_arr <= obs)

    cal_days = daily.loc[in_cal & purchase, ["customer_id", "day", "amount"]]
    if cal_days.empty:
        raise LoyaltyError(
            ja=(
                f"学習期間の終了日（{_day_to_timestamp(cal):%Y/%m/%d}）までに購入がありません"
                "（返品・キャンセルだけの日は購入に数えません）。学習期間の終了日を後ろにするか、購入データを確認してください。"
            ),
            en="No purchase up to the calibration end (return-only days do not count); move it later or check the data.",
            field="calibration_end",
        )
    grouped = cal_days.groupby("customer_id", sort=True)
    first = grouped["day"].min()
    last = grouped["day"].max()
    count = grouped["day"].size()
    total = grouped["amount"].sum()
    first_amount = grouped["amount"].first()  # days are sorted within a customer

    freq = (count - 1).to_numpy().astype(np.int64)
    repeat_total = (total - first_amount).to_numpy()
    monetary = np.where(freq > 0, repeat_total / np.maximum(freq, 1), 0.0)

    summary = pd.DataFrame(
        {
            "frequency": freq,
            "recency": (last - first).to_numpy(dtype=float) / unit,
            "T": (cal - first).to_numpy(dtype=float) / unit,
            "monetary_value": monetary.astype(float),
        },
        index=pd.Index(first.index.astype(str), name="customer_id"),
    )

    holdout_dropped = 0
    if obs > cal:
        hold = daily.loc[in_hold & purchase, ["customer_id", "amount"]]
        hold = hold[hold["customer_id"].isin(summary.index)]
        hg = hold.groupby("customer_id", sort=True)["amount"]
        hcount = hg.size().reindex(summary.index, fill_value=0)
        hmean = hg.mean().reindex(summary.index, fill_value=0.0)
        summary["frequency_holdout"] = hcount.to_numpy().astype(np.int64)
        summary["monetary_value_holdout"] = hmean.to_numpy().astype(float)
        summary["duration_holdout"] = float(obs - cal) / unit
        holdout_dropped = int((in_hold & dropped).sum())

    cal_customers = pd.unique(daily.loc[in_cal, "customer_id"])
    later_customers = pd.unique(daily.loc[~in_cal, "customer_id"])
    report = {
        "rows": int(len(tx)),
        "rows_after_calibration_end": int((days > cal).sum()),
        "purchase_days": int(len(cal_days)),
        "zero_value_purchase_days": int((in_cal & purchase & zero_value).sum()),
        "dropped_days": int((in_cal & dropped).sum()),
        "dropped_negative_days": int((in_cal & negative).sum()),
        "dropped_cancelled_days": int((in_cal & cancelled).sum()),
        "dropped_zero_value_days": int((in_cal & zero_value & dropped).sum()),
        "dropped_fee_days": int((in_cal & fee_only).sum()),
        "holdout_dropped_days": holdout_dropped,
        "customers": int(len(summary)),
        "customers_without_purchase": int(len(cal_customers) - len(summary)),
        # (pandas' hash-based isin: np.setdiff1d on object arrays is quadratic-slow, minutes at 100k ids)
        "customers_first_purchase_after_calibration": int((~pd.Index(later_customers).isin(cal_customers)).sum()),
    }
    summary.attrs["time_unit"] = time_unit
    summary.attrs["calibration_end"] = _day_to_timestamp(cal).strftime("%Y-%m-%d")
    summary.attrs["observation_end"] = _day_to_timestamp(obs).strftime("%Y-%m-%d")
    summary.attrs["report"] = report
    return summary


# --------------------------------------------------------------------------- grouping


@dataclass(frozen=True)
class _Groups:
    """Customers grouped by identical covariates, with per-column unique values.

    ``values[k]`` holds the distinct values of covariate k and ``codes[k]`` the index into
    it for each group; ``weight`` is the number of customers in each group.
    """

    values: tuple[np.ndarray, ...]
    codes: tuple[np.ndarray, ...]
    weight: np.ndarray
    totals: tuple[np.ndarray, ...]  # total weight per distinct value of each covariate

    @property
    def n_groups(self) -> int:
        return int(self.weight.size)

    def column(self, k: int) -> np.ndarray:
        return self.values[k][self.codes[k]]


def _group(*columns: np.ndarray) -> _Groups:
    """Group rows with identical values in all ``columns`` (hash-based, O(n))."""
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
    return _Groups(values=tuple(uniques), codes=tuple(group_codes), weight=weight, totals=totals)


# --------------------------------------------------------------------------- BG/NBD likelihood


def _dot(u: np.ndarray, v: np.ndarray) -> float:
    """Sum of u * v (faster than BLAS ddot for our sizes when threads are contended)."""
    return float(np.einsum("i,i->", u, v))


def _bgnbd_objective(
    log_params: np.ndarray, g: _Groups, penalizer: float
) -> tuple[float, np.ndarray, float]:
    """Mean negative log-likelihood (+ L2 penalty) and its gradient in log-parameters.

    Per customer (FHL 2005 eq. 6, rearranged):

        ll = A(x) - (r + x) ln(alpha + T) + ln(1 + 1[x>0] exp(D)),
        A(x) = ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+x) - ln B(a, b),
        D = ln a - ln(b + x - 1) + (r + x) [ln(alpha + T) - ln(alpha + t_x)],

    using B(a+1, b+x-1) / B(a, b+x) = a / (b+x-1).  Terms that depend only on x are
    evaluated once per distinct x, terms in T or t_x once per distinct value.

    Returns:
        (objective, gradient, total log-likelihood without penalty).
    """
    r, alpha, a, b = np.exp(log_params)
    xu, txu, Tu = g.values
    cx, ctx, cT = g.codes
    w = g.weight
    n = w.sum()

    # per distinct x
    pos_u = xu > 0
    A_u = (
        special.gammaln(r + xu) - special.gammaln(r) + r * math.log(alpha)
        + special.betaln(a, b + xu) - special.betaln(a, b)
    )
    inv_bx1_u = np.zeros_like(xu)
    inv_bx1_u[pos_u] = 1.0 / (b + xu[pos_u] - 1.0)
    logratio_u = np.full_like(xu, -np.inf)
    logratio_u[pos_u] = math.log(a) - np.log(b + xu[pos_u] - 1.0)
    psi_abx = special.digamma(a + b + xu)
    psi_ab = special.digamma(a + b)
    dA_dr_u = special.digamma(r + xu) - special.digamma(r) + math.log(alpha)
    dA_da_u = psi_ab - psi_abx
    dA_db_u = special.digamma(b + xu) - special.digamma(b) + psi_ab - psi_abx
    # per distinct T / t_x
    lT_u = np.log(alpha + Tu)
    ltx_u = np.log(alpha + txu)
    iT_u = 1.0 / (alpha + Tu)
    itx_u = 1.0 / (alpha + txu)

    # per group (np.take and explicit softplus: several times faster than fancy
    # indexing and np.logaddexp on large arrays)
    rx = r + np.take(xu, cx)
    lT = np.take(lT_u, cT)
    dl = lT - np.take(ltx_u, ctx)
    D = np.take(logratio_u, cx) + rx * dl  # -inf when x = 0
    e = np.exp(-np.abs(D))
    softplus = np.maximum(D, 0.0) + np.log1p(e)  # ln(1 + exp(D))
    s = np.where(D >= 0, 1.0, e) / (1.0 + e)  # expit(D) = 1 - P(alive); 0 when x = 0

    Wx, _, WT = g.totals
    wrx = w * rx
    loglik = float(Wx @ A_u - _dot(wrx, lT) + _dot(w, softplus))

    ws = w * s
    wsrx = ws * rx
    d_r = Wx @ dA_dr_u - WT @ lT_u + _dot(ws, dl)
    iT = np.take(iT_u, cT)
    d_alpha = n * r / alpha - _dot(wrx, iT) + _dot(wsrx, iT - np.take(itx_u, ctx))
    d_a = Wx @ dA_da_u + ws.sum() / a
    d_b = Wx @ dA_db_u - _dot(ws, np.take(inv_bx1_u, cx))
    grad_ll = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])

    obj = -loglik / n + penalizer * float(log_params @ log_params)
    grad = -grad_ll / n + 2.0 * penalizer * log_params
    return obj, grad, loglik


def bgnbd_loglik(
    r: float, alpha: float, a: float, b: float, frequency: Any, recency: Any, T: Any
) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6).

    Args:
        r, alpha, a, b: model parameters (paper notation).
        frequency: x, repeat purchases in the calibration period.
        recency: t_x, time of the last purchase since the first.
        T: length of the customer's calibration period.

    Returns:
        ndarray of log-likelihoods, one per customer (ungrouped; for checks and diagnostics).
    """
    x = _as_float_array(frequency)
    tx = _as_float_array(recency)
    T_ = _as_float_array(T)
    with np.errstate(divide="ignore", invalid="ignore"):
        base = (
            special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
            + special.betaln(a, b + x) - special.betaln(a, b)
            - (r + x) * np.log(alpha + T_)
        )
        D = np.where(
            x > 0,
            np.log(a) - np.log(np.where(x > 0, b + x - 1.0, 1.0)) + (r + x) * (np.log(alpha + T_) - np.log(alpha + tx)),
            -np.inf,
        )
    return base + np.logaddexp(0.0, D)


def _fit_box(
    objective: Any,
    x0: np.ndarray,
    names: tuple[str, ...],
) -> tuple[np.ndarray, float, str, float]:
    """Minimise ``objective`` (returns (f, grad, ...)) over log-parameters in the box.

    L-BFGS-B with the analytic gradient; if that does not reach the gradient tolerance,
    Nelder-Mead from the same start followed by an L-BFGS-B polish, keeping the better.

    Returns:
        (log-parameters, max |gradient|, optimiser message, objective value).
    """
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(names)

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
        gr = np.where((p <= -_LOG_BOUND + 1e-9) & (gr > 0), 0.0, gr)
        gr = np.where((p >= _LOG_BOUND - 1e-9) & (gr < 0), 0.0, gr)
        return float(np.max(np.abs(gr)))

    with np.errstate(all="ignore"):
        res = polish(np.clip(x0, -_LOG_BOUND, _LOG_BOUND))
        best_x, best_f, msg = res.x, float(res.fun), str(res.message)
        best_g = gnorm(best_x)
        if not (np.isfinite(best_f) and best_g <= _GRAD_TOL):
            nm = optimize.minimize(
                lambda p: fg(p)[0], np.clip(x0, -_LOG_BOUND, _LOG_BOUND), method="Nelder-Mead",
                bounds=bounds, options={"maxiter": 4000, "xatol": 1e-10, "fatol": 1e-14},
            )
            res2 = polish(nm.x)
            g2 = gnorm(res2.x)
            if np.isfinite(res2.fun) and (res2.fun < best_f or not np.isfinite(best_f)):
                best_x, best_f, msg, best_g = res2.x, float(res2.fun), str(res2.message), g2
    return best_x, best_g, msg, best_f


def _log_param_se(objective: Any, logp: np.ndarray, n_customers: float) -> np.ndarray | None:
    """Standard errors of the log-parameters from the observed information.

    The Hessian of the total negative log-likelihood (+ penalty) is taken by central
    differences of the analytic gradient.  When it is not positive definite (no proper
    maximum: a flat ridge) the parameters moving along the flattest direction get an
    infinite standard error and the others 0.  Returns None when it is not finite.
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


def _check_fit(
    objective: Any,
    logp: np.ndarray,
    gmax: float,
    msg: str,
    names: tuple[str, ...],
    n_customers: float,
    model_ja: str,
    model_en: str,
) -> dict[str, float]:
    """Refuse a fit that hit the box, did not converge or is not identified.

    Returns:
        Standard errors of the parameters (delta method: se(theta) = theta * se(log theta)).
    """
    at_edge = [nm for nm, v in zip(names, logp) if abs(v) >= _LOG_BOUND - _AT_BOUND]
    if at_edge:
        raise _degenerate_error(model_ja, model_en, at_edge)
    if not gmax <= _GRAD_TOL:
        raise _convergence_error(model_ja, model_en, f"gradient {gmax:.2e}; {msg}")
    se = _log_param_se(objective, logp, n_customers)
    if se is None:  # the Hessian could not be evaluated
        raise _convergence_error(model_ja, model_en, f"non-finite Hessian; {msg}")
    loose = [nm for nm, v in zip(names, se) if not v <= _MAX_LOG_SE]
    if loose:
        raise _degenerate_error(model_ja, model_en, loose)
    return {nm: float(math.exp(v) * e) for nm, v, e in zip(names, logp, se)}


def _convergence_error(model_ja: str, model_en: str, detail_en: str) -> LoyaltyError:
    return LoyaltyError(
        ja=(
            f"{model_ja}のパラメータを推定できませんでした（最適化が収束しません）。"
            "学習期間を長くする、顧客数を増やす、または penalizer（正則化の強さ。例: 0.001〜0.1）"
            "を指定してやり直してください。"
        ),
        en=(
            f"The {model_en} fit did not converge ({detail_en}). Use a longer calibration period, "
            "more customers, or set penalizer (e.g. 0.001-0.1) to regularise the fit."
        ),
        field="penalizer",
    )


#: What each parameter describes, for messages a marketer can read.
_PARAM_MEANING: dict[str, tuple[str, str]] = {
    "r": ("購入頻度のばらつき", "spread of purchase rates"),
    "alpha": ("購入頻度のばらつき", "spread of purchase rates"),
    "a": ("離脱のしやすさ", "tendency to drop out"),
    "b": ("離脱のしやすさ", "tendency to drop out"),
    "p": ("購入単価のばらつき", "spread of spend per purchase"),
    "q": ("購入単価のばらつき", "spread of spend per purchase"),
    "gamma": ("購入単価のばらつき", "spread of spend per purchase"),
}


def _degenerate_error(model_ja: str, model_en: str, names: list[str]) -> LoyaltyError:
    meanings_ja = list(dict.fromkeys(_PARAM_MEANING[nm][0] for nm in names))
    meanings_en = list(dict.fromkeys(_PARAM_MEANING[nm][1] for nm in names))
    what_ja = "・".join(f"「{m}」" for m in meanings_ja)
    return LoyaltyError(
        ja=(
            f"{model_ja}を推定できませんでした。このデータからは{what_ja}（パラメータ {', '.join(names)}）を"
            "定められず、値が極端な方向へ発散します（例: 期間中にほとんど離脱が見られない、顧客が少ない）。"
            "学習期間を長くする、顧客数を増やす、または penalizer（正則化の強さ。例: 0.001〜0.1）"
            "を指定してやり直してください。"
        ),
        en=(
            f"The {model_en} model cannot be fitted: this data does not determine the {' / '.join(meanings_en)} "
            f"({'parameters' if len(names) > 1 else 'parameter'} {', '.join(names)} "
            f"{'run' if len(names) > 1 else 'runs'} off to extreme values, e.g. when hardly anyone seems to "
            "drop out or there are few customers). Use a longer calibration period, more customers, or set "
            "penalizer (e.g. 0.001-0.1)."
        ),
        field="penalizer",
    )


def _check_penalizer(penalizer: Any) -> float:
    try:
        value = float(penalizer)
    except (TypeError, ValueError):
        value = float("nan")
    if not (np.isfinite(value) and value >= 0):
        raise LoyaltyError(
            ja=f"penalizer（正則化の強さ）「{penalizer}」は使えません。0 以上の数（例: 0.001〜0.1）を指定してください。",
            en=f"penalizer must be a number >= 0, not {penalizer!r}.",
            field="penalizer",
        )
    return value


def _summary_arrays(summary: Any, columns: tuple[str, ...]) -> list[np.ndarray]:
    if not isinstance(summary, pd.DataFrame):
        raise LoyaltyError(
            ja="顧客サマリーが表（DataFrame）ではありません。",
            en="The customer summary is not a DataFrame.",
        )
    missing = [c for c in columns if c not in summary.columns]
    if missing:
        raise LoyaltyError(
            ja=f"顧客サマリーに列（{'、'.join(missing)}）がありません。取引表から作り直してください。",
            en=f"The customer summary lacks column(s) {', '.join(missing)}.",
            column=missing[0],
        )
    out = []
    for c in columns:
        arr = pd.to_numeric(summary[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        if not np.isfinite(arr).all():
            raise LoyaltyError(
                ja=f"顧客サマリーの列「{c}」に空または数値でない値があります。取引表から作り直してください。",
                en=f"Column {c!r} of the customer summary has missing or non-numeric values.",
                column=c,
            )
        out.append(arr)
    return out


def fit_bgnbd(summary: pd.DataFrame, penalizer: float = 0.0) -> BGNBDFit:
    """Fit the BG/NBD model by maximum likelihood (Fader, Hardie & Lee 2005).

    Maximises the log-likelihood of paper eq. 6 over log(r, alpha, a, b) with
    scipy's L-BFGS-B and the analytic gradient (Nelder-Mead + polish as a fallback).
    Customers with identical (x, t_x, T) are grouped and weighted by their count, so
    the cost grows with the number of distinct triples, not customers.  The objective is

        - loglik / n_customers + penalizer * sum(log(r, alpha, a, b) ** 2),

    i.e. ``penalizer`` is an L2 penalty on the log-parameters that pulls them towards 1
    (unlike lifetimes, which penalises the parameters themselves).

    Args:
        summary: one row per customer with columns ``frequency`` (x), ``recency`` (t_x),
            ``T`` (T), e.g. from :func:`summary_from_transactions`.  ``attrs["time_unit"]``
            is carried into the fit when present.
        penalizer: L2 coefficient on the log-parameters (>= 0); 0 is plain maximum
            likelihood.  Try 0.001-0.1 when a fit does not converge.

    Returns:
        BGNBDFit with r, alpha, a, b, the log-likelihood (without the penalty) and counts.

    Raises:
        LoyaltyError: fewer than :data:`MIN_CUSTOMERS` customers, nobody repeats (all
            x = 0), invalid values (negative, t_x > T), or the optimiser does not converge,
            a parameter runs off to the edge of [1e-6, 1e6], or the maximum is not
            identified (a log-parameter's standard error above 10, or no proper maximum:
            typically a -> 0, b -> infinity when the data show no drop-out).
    """
    pen = _check_penalizer(penalizer)
    x, tx, T = _summary_arrays(summary, ("frequency", "recency", "T"))
    n = x.size
    if n < MIN_CUSTOMERS:
        raise LoyaltyError(
            ja=(
                f"顧客が{n:,}人しかいないため、購買予測モデル（BG/NBD）を推定できません。"
                f"少なくとも{MIN_CUSTOMERS}人、できれば数百人以上の顧客の購買データを使ってください。"
            ),
            en=f"Only {n:,} customers: the BG/NBD model needs at least {MIN_CUSTOMERS} (preferably hundreds).",
        )
    if (x < 0).any() or (np.abs(x - np.round(x)) > 1e-9).any():
        raise LoyaltyError(
            ja="購入回数（frequency）は0以上の整数でなければなりません。取引表から作り直してください。",
            en="frequency must be a non-negative integer.",
            column="frequency",
        )
    if (tx < 0).any() or (tx > T + 1e-9).any():
        raise LoyaltyError(
            ja="最終購入までの期間（recency）が0未満か、観測期間（T）を超えています。取引表から作り直してください。",
            en="recency must satisfy 0 <= recency <= T.",
            column="recency",
        )
    if not (x > 0).any():
        raise LoyaltyError(
            ja=(
                "学習期間中に2回以上購入した顧客が1人もいないため、購買予測モデルを推定できません。"
                "学習期間を長くする（終了日を後ろにする）か、より多くの顧客・より長い期間の購買データを使ってください。"
            ),
            en=(
                "Nobody made a repeat purchase in the calibration period, so the model cannot be fitted. "
                "Use a longer calibration period or more customers."
            ),
            field="calibration_end",
        )
    time_unit = summary.attrs.get("time_unit") if isinstance(summary.attrs, dict) else None

    g = _group(np.round(x), tx, T)

    # Start: r = 1 and alpha from the mean repeat rate; a = b = 1.
    mean_rate = float(x.sum() / max(T.sum(), 1e-12))
    x0 = np.log(np.array([1.0, 1.0 / max(mean_rate, 1e-6), 1.0, 1.0]))
    names = ("r", "alpha", "a", "b")
    logp, gmax, msg, _ = _fit_box(lambda p: _bgnbd_objective(p, g, pen), x0, names)

    stderr = _check_fit(
        lambda p: _bgnbd_objective(p, g, pen), logp, gmax, msg, names, float(n),
        "購買予測モデル（BG/NBD）", "BG/NBD",
    )
    loglik = _bgnbd_objective(logp, g, pen)[2]
    r, alpha, a, b = (float(v) for v in np.exp(logp))
    return BGNBDFit(
        r=r, alpha=alpha, a=a, b=b, loglik=float(loglik), n_customers=int(n), converged=True,
        message=msg, time_unit=time_unit, penalizer=pen, n_groups=g.n_groups, stderr=stderr,
    )


# --------------------------------------------------------------------------- Gamma-Gamma likelihood


def _gg_objective(log_params: np.ndarray, g: _Groups, penalizer: float) -> tuple[float, np.ndarray, float]:
    """Mean negative log-likelihood of the Gamma-Gamma model and its gradient.

    The density of a customer's mean spend m over x transactions (Fader & Hardie 2013):

        ll = ln G(px+q) - ln G(px) - ln G(q) + q ln gamma + (px-1) ln m + px ln x
             - (px+q) ln(gamma + m x).
    """
    p, q, gam = np.exp(log_params)
    xu, mu = g.values
    cx, cm = g.codes
    w = g.weight
    n = w.sum()

    pxu = p * xu
    lnx_u = np.log(xu)
    c_u = special.gammaln(pxu + q) - special.gammaln(pxu) - special.gammaln(q) + q * math.log(gam) + pxu * lnx_u
    psi_pxq = special.digamma(pxu + q)
    dp_u = xu * (psi_pxq - special.digamma(pxu) + lnx_u)
    dq_u = psi_pxq - special.digamma(q) + math.log(gam)
    lnm_u = np.log(mu)

    x = xu[cx]
    px = p * x
    m = mu[cm]
    lden = np.log(gam + m * x)
    lnm = lnm_u[cm]
    Wx = g.totals[0]
    wpxq = w * (px + q)
    loglik = float(Wx @ c_u + (w * (px - 1.0)) @ lnm - wpxq @ lden)

    wx = w * x
    d_p = Wx @ dp_u + wx @ (lnm - lden)
    d_q = Wx @ dq_u - w @ lden
    d_g = n * q / gam - wpxq @ (1.0 / (gam + m * x))
    grad_ll = np.array([d_p * p, d_q * q, d_g * gam])
    obj = -loglik / n + penalizer * float(log_params @ log_params)
    grad = -grad_ll / n + 2.0 * penalizer * log_params
    return obj, grad, loglik


def gamma_gamma_loglik(p: float, q: float, gamma: float, frequency: Any, monetary_value: Any) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood of the mean spend (Fader & Hardie 2013).

    Args:
        p, q, gamma: model parameters (paper notation).
        frequency: x > 0, number of transactions the mean is over.
        monetary_value: m_x > 0, the customer's mean transaction value.

    Returns:
        ndarray of log-densities, one per customer.
    """
    x = _as_float_array(frequency)
    m = _as_float_array(monetary_value)
    return (
        special.gammaln(p * x + q) - special.gammaln(p * x) - special.gammaln(q)
        + q * np.log(gamma) + (p * x - 1.0) * np.log(m) + p * x * np.log(x)
        - (p * x + q) * np.log(gamma + m * x)
    )


def fit_gamma_gamma(summary: pd.DataFrame, penalizer: float = 0.0) -> GammaGammaFit:
    """Fit the Gamma-Gamma model of spend per transaction (Fader & Hardie 2013).

    Uses the repeat buyers only (``frequency`` x > 0 and ``monetary_value`` m_x > 0), as
    the note does: each contributes the density of their mean spend m_x over x
    transactions.  Customers with identical (x, m_x) are grouped and weighted.  The
    optimisation is over log(p, q, gamma) with L-BFGS-B and the analytic gradient.

    Args:
        summary: one row per customer with ``frequency`` (x) and ``monetary_value`` (m_x).
        penalizer: L2 coefficient on the log-parameters (>= 0), as in :func:`fit_bgnbd`.

    Returns:
        GammaGammaFit with p, q, gamma, the log-likelihood, the number of repeat buyers
        used and the frequency-spend correlation (the model assumes it is about 0).

    Raises:
        LoyaltyError: fewer than :data:`MIN_REPEAT_BUYERS_GAMMA_GAMMA` repeat buyers, or the
            fit does not converge / a parameter runs off to the edge of [1e-6, 1e6].
    """
    pen = _check_penalizer(penalizer)
    x, m = _summary_arrays(summary, ("frequency", "monetary_value"))
    keep = (x > 0) & (m > 0)
    x, m = x[keep], m[keep]
    n = int(x.size)
    if n < MIN_REPEAT_BUYERS_GAMMA_GAMMA:
        raise LoyaltyError(
            ja=(
                f"リピート購入した顧客が{n:,}人しかいないため、購入単価の予測モデル（Gamma-Gamma）を推定できません"
                f"（{MIN_REPEAT_BUYERS_GAMMA_GAMMA}人以上必要です）。学習期間を長くするか、より多くの顧客のデータを使ってください。"
            ),
            en=(
                f"Only {n:,} repeat buyers: the Gamma-Gamma spend model needs at least "
                f"{MIN_REPEAT_BUYERS_GAMMA_GAMMA}. Use a longer calibration period or more customers."
            ),
        )
    g = _group(x, m)
    # Start: p = 1, q = 2 and gamma such that the population mean p*gamma/(q-1) = mean spend.
    x0 = np.log(np.array([1.0, 2.0, max(float(np.mean(m)), 1e-6)]))
    names = ("p", "q", "gamma")
    logp, gmax, msg, _ = _fit_box(lambda pp: _gg_objective(pp, g, pen), x0, names)
    stderr = _check_fit(
        lambda pp: _gg_objective(pp, g, pen), logp, gmax, msg, names, float(n),
        "購入単価の予測モデル（Gamma-Gamma）", "Gamma-Gamma",
    )
    loglik = _gg_objective(logp, g, pen)[2]
    p, q, gam = (float(v) for v in np.exp(logp))
    corr = float(np.corrcoef(x, m)[0, 1]) if n > 1 and x.std() > 0 and m.std() > 0 else float("nan")
    return GammaGammaFit(
        p=p, q=q, gamma=gam, loglik=float(loglik), n_customers=n,
        frequency_monetary_corr=corr, converged=True, message=msg, stderr=stderr,
    )


# --------------------------------------------------------------------------- predictions


def _alive_log_odds(fit: BGNBDFit, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
    """D = ln[a/(b+x-1)] + (r+x) ln[(alpha+T)/(alpha+t_x)] for x > 0, -inf for x = 0."""
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    pos = x > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        D = (
            math.log(a) - np.log(np.where(pos, b + x - 1.0, 1.0))
            + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
        )
    return np.where(pos, D, -np.inf)


def probability_alive(fit: BGNBDFit, frequency: Any, recency: Any, T: Any) -> Any:
    """P(the customer is still active at T | x, t_x, T) under the BG/NBD model.

    Fader, Hardie & Lee (2008), "Computing P(alive) Using the BG/NBD Model":

        P(alive) = 1 / (1 + 1[x>0] * a/(b+x-1) * ((alpha+T)/(alpha+t_x))**(r+x)).

    Note that the model lets customers drop out only right after a *repeat* purchase,
    so a customer who has bought only once (x = 0) has P(alive) = 1.

    Args:
        fit: a fitted BG/NBD model.
        frequency: x (scalar, array or Series).
        recency: t_x, in the fit's time unit.
        T: T, in the fit's time unit.

    Returns:
        Probabilities in [0, 1]: a Series (index of the first Series argument), an
        ndarray, or a float for scalars.
    """
    x, tx, T_ = np.broadcast_arrays(_as_float_array(frequency), _as_float_array(recency), _as_float_array(T))
    out = special.expit(-_alive_log_odds(fit, x, tx, T_))
    return _like(np.asarray(out, dtype=float), frequency, recency, T, name="p_alive")


def _expected_purchases(fit: BGNBDFit, t: float, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    if t <= 0:
        return np.zeros(np.broadcast(x, tx, T).shape)
    if abs(a - 1.0) < 1e-7:  # the formula is 0/0 at a = 1; step aside by a negligible amount
        a = 1.0 + math.copysign(1e-7, a - 1.0)
    c = a + b + x - 1.0
    z = t / (alpha + T + t)
    log1mz = np.log1p(-z)
    # Euler's transformation: ((alpha+T)/(alpha+T+t))**(r+x) * 2F1(r+x, b+x; c; z)
    #   = (1-z)**(a-1) * 2F1(a+b-1-r, a-1; c; z), whose series converges fast for large x.
    hyp = special.hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        one_minus = np.where(
            hyp > 0,
            -np.expm1((a - 1.0) * log1mz + np.log(np.where(hyp > 0, hyp, 1.0))),
            1.0 - np.exp((a - 1.0) * log1mz) * hyp,
        )
    numer = c / (a - 1.0) * one_minus
    return numer * special.expit(-_alive_log_odds(fit, x, tx, T))


def expected_purchases(fit: BGNBDFit, t: Any, frequency: Any, recency: Any, T: Any) -> Any:
    """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` periods (FHL 2005 eq. 10).

        E = (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))**(r+x)
              * 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))] / (1 + 1[x>0] a/(b+x-1)
              * ((alpha+T)/(alpha+t_x))**(r+x))

    evaluated through Euler's transformation of the Gauss hypergeometric function 2F1,
    which keeps it accurate for heavy buyers (large x).

    Args:
        fit: a fitted BG/NBD model.
        t: length of the forecast period, in the fit's time unit (scalar >= 0).
        frequency: x.  recency: t_x.  T: T (all in the fit's time unit).

    Returns:
        Expected numbers of purchases: Series / ndarray / float as for
        :func:`probability_alive`.
    """
    t = float(t)
    x, tx, T_ = np.broadcast_arrays(_as_float_array(frequency), _as_float_array(recency), _as_float_array(T))
    out = _expected_purchases(fit, t, x, tx, T_)
    return _like(np.asarray(out, dtype=float), frequency, recency, T, name="expected_purchases")


def _require_q_above_one(gg: GammaGammaFit) -> None:
    if not gg.q > 1.0:
        raise LoyaltyError(
            ja=(
                f"購入単価モデルの q（{gg.q:.3f}）が1以下のため、平均購入単価の期待値が定まりません"
                "（ごく一部の顧客の極端に高い購入が影響しています）。外れ値の顧客を除くか、学習期間を長くしてください。"
            ),
            en=(
                f"Gamma-Gamma q = {gg.q:.3f} <= 1: the expected spend is undefined (a few extreme spenders "
                "dominate). Exclude outliers or use a longer calibration period."
            ),
        )


def expected_average_value(gg: GammaGammaFit, frequency: Any, monetary_value: Any) -> Any:
    """E(M | p, q, gamma, m_x, x): expected value of a future transaction (Fader & Hardie 2013).

        E = (gamma + m_x x) p / (p x + q - 1)
          = (q-1)/(px+q-1) * p gamma/(q-1) + px/(px+q-1) * m_x,

    a weighted mean of the population mean p*gamma/(q-1) and the customer's own mean.
    For x = 0 this is the population mean (m_x is ignored).

    Args:
        gg: a fitted Gamma-Gamma model.
        frequency: x (repeat purchases).
        monetary_value: m_x (mean value of the repeat purchases).

    Returns:
        Expected transaction values: Series / ndarray / float as for :func:`probability_alive`.

    Raises:
        LoyaltyError: when q <= 1 (the expectation does not exist).
    """
    _require_q_above_one(gg)
    x, m = np.broadcast_arrays(_as_float_array(frequency), _as_float_array(monetary_value))
    m = np.where(x > 0, m, 0.0)
    out = (gg.gamma + m * x) * gg.p / (gg.p * x + gg.q - 1.0)
    return _like(np.asarray(out, dtype=float), frequency, monetary_value, name="expected_avg_value")


def _check_horizon(horizon_months: Any, monthly_discount_rate: Any) -> tuple[int, float]:
    ok = isinstance(horizon_months, (int, np.integer)) and not isinstance(horizon_months, bool)
    if not ok or not 1 <= int(horizon_months) <= 1200:
        raise LoyaltyError(
            ja=f"予測期間「{horizon_months}」か月は使えません。1〜1200 の整数（か月）を指定してください。",
            en=f"horizon_months must be an integer from 1 to 1200, not {horizon_months!r}.",
            field="horizon_months",
        )
    try:
        d = float(monthly_discount_rate)
    except (TypeError, ValueError):
        d = float("nan")
    if not (np.isfinite(d) and 0.0 <= d < 1.0):
        raise LoyaltyError(
            ja=(
                f"月次割引率「{monthly_discount_rate}」は使えません。0 以上 1 未満の数"
                "（例: 年10%なら約0.008）を指定してください。"
            ),
            en=f"monthly_discount_rate must be in [0, 1), not {monthly_discount_rate!r}.",
            field="monthly_discount_rate",
        )
    return int(horizon_months), d


def _resolve_unit(bg: BGNBDFit, time_unit: str | None) -> int:
    if time_unit is None:
        time_unit = bg.time_unit
    if time_unit is None:
        raise LoyaltyError(
            ja="時間の単位が分かりません。time_unit に「days」か「weeks」を指定してください。",
            en="The time unit is unknown: pass time_unit='days' or 'weeks'.",
            field="time_unit",
        )
    unit = _unit_days(time_unit)
    if bg.time_unit is not None and bg.time_unit != time_unit:
        raise LoyaltyError(
            ja=(
                f"モデルは「{bg.time_unit}」単位で推定されていますが、「{time_unit}」が指定されました。"
                "同じ時間の単位を指定してください。"
            ),
            en=f"The model was fitted in {bg.time_unit} but {time_unit} was requested.",
            field="time_unit",
        )
    return unit


def _clv_arrays(
    bg: BGNBDFit,
    value: np.ndarray,
    x: np.ndarray,
    tx: np.ndarray,
    T: np.ndarray,
    horizon: int,
    discount: float,
    month_len: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(discounted CLV, expected purchases over the horizon).

    CLV = sum_{k=1..H} value * (E[Y(k L)] - E[Y((k-1) L)]) / (1 + d)**k, L = one month.
    """
    clv = np.zeros_like(x)
    prev = np.zeros_like(x)
    for k in range(1, horizon + 1):  # a loop over months, vectorised over customers
        cum = _expected_purchases(bg, k * month_len, x, tx, T)
        clv += value * (cum - prev) / (1.0 + discount) ** k
        prev = cum
    return clv, prev


def customer_lifetime_value(
    bg: BGNBDFit,
    gg: GammaGammaFit,
    summary: pd.DataFrame,
    horizon_months: int = 12,
    monthly_discount_rate: float = 0.01,
    time_unit: str | None = None,
    days_per_month: float = DAYS_PER_MONTH,
) -> pd.Series:
    """Discounted CLV over ``horizon_months`` (BG/NBD purchases x Gamma-Gamma value).

    For each month k = 1..H the expected purchases in that month,
    E[Y(k L) | x, t_x, T] - E[Y((k-1) L) | x, t_x, T] (FHL 2005 eq. 10, L = one month in
    ``time_unit``), are multiplied by the expected transaction value (Fader & Hardie
    2013) and discounted by (1 + d)**k, i.e. at the end of month k; then summed.  This is
    revenue at the amounts' level (net sales); multiply by a margin for profit.

    Args:
        bg: fitted BG/NBD model.
        gg: fitted Gamma-Gamma model.
        summary: per-customer frequency (x), recency (t_x), T, monetary_value (m_x).
        horizon_months: number of months to sum (1-1200).
        monthly_discount_rate: d, discount rate per month (0 <= d < 1).
        time_unit: "days" or "weeks"; defaults to the unit the BG/NBD fit was made in.
        days_per_month: month length in days; 365.25/12 by default (lifetimes uses 30 days
            or 4.345 weeks = 30.415 days).

    Returns:
        Series ``clv`` indexed like ``summary``.

    Raises:
        LoyaltyError: unknown or mismatched time unit, bad horizon or rate, q <= 1.
    """
    unit = _resolve_unit(bg, time_unit)
    horizon, d = _check_horizon(horizon_months, monthly_discount_rate)
    x, tx, T, m = _summary_arrays(summary, ("frequency", "recency", "T", "monetary_value"))
    value = np.asarray(expected_average_value(gg, x, m), dtype=float)
    clv, _ = _clv_arrays(bg, value, x, tx, T, horizon, d, float(days_per_month) / unit)
    return pd.Series(clv, index=summary.index, name="clv")


# --------------------------------------------------------------------------- simulation


def simulate_summary(
    n_customers: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    *,
    max_T: float = 52.0,
    time_unit: str = "weeks",
    seed: int = 0,
) -> pd.DataFrame:
    """Draw a customer summary from the BG/NBD model, on a daily grid (for tests, benchmarks).

    The generative story of Fader, Hardie & Lee (2005), section 3: each customer has a
    purchase rate lambda ~ Gamma(r, alpha) and a drop-out probability p ~ Beta(a, b);
    after each repeat purchase they leave with probability p, so they make at most
    K ~ Geometric(p) repeat purchases; while active, purchases follow a Poisson process.
    T is drawn uniformly on the day grid in [1 day, ``max_T``]; with N ~ Poisson(lambda T)
    purchases possible, x = min(N, K) and t_x is the x-th of N uniform times on [0, T]
    (a Beta(x, N - x + 1) draw times T), rounded to whole days (at least one day, at most T).

    Args:
        n_customers: number of customers.
        r, alpha, a, b: BG/NBD parameters (alpha in ``time_unit``).
        max_T: longest observation time, in ``time_unit``.
        time_unit: "days" or "weeks".
        seed: seed of numpy's default generator.

    Returns:
        DataFrame with frequency, recency, T (``attrs["time_unit"]`` set), indexed
        "S0000001", "S0000002", ...
    """
    unit = _unit_days(time_unit)
    rng = np.random.default_rng(seed)
    n = int(n_customers)
    T_days = rng.integers(1, max(int(round(max_T * unit)), 1) + 1, size=n)
    T = T_days / unit
    lam = rng.gamma(shape=r, scale=1.0 / alpha, size=n)
    p = rng.beta(a, b, size=n)
    K = rng.geometric(np.clip(p, 1e-12, 1.0))
    N = rng.poisson(lam * T)
    x = np.minimum(N, K)
    pos = x > 0
    frac = np.zeros(n)
    frac[pos] = rng.beta(x[pos], N[pos] - x[pos] + 1)
    tx_days = np.where(pos, np.clip(np.rint(frac * T_days), 1, T_days), 0)
    out = pd.DataFrame(
        {"frequency": x.astype(np.int64), "recency": tx_days / unit, "T": T},
        index=pd.Index([f"S{i:07d}" for i in range(1, n + 1)], name="customer_id"),
    )
    out.attrs["time_unit"] = time_unit
    return out


# --------------------------------------------------------------------------- holdout check


def holdout_comparison(
    tx: pd.DataFrame,
    calibration_end: Any,
    observation_end: Any,
    time_unit: str = "weeks",
    penalizer: float = 0.0,
) -> pd.DataFrame:
    """Fit on the calibration period, compare forecasts with what happened next.

    The BG/NBD model is fitted on purchases up to ``calibration_end``; for each
    calibration customer the conditional expectation of purchases in the holdout
    (calibration_end, observation_end] (FHL 2005 eq. 10, their Figure 5) is compared
    with the purchase days actually observed there, per calibration-frequency bucket
    0, 1, ..., 6, "7+", plus a "total" row.

    Args:
        tx: clean transaction frame (customer_id, order_date, amount).
        calibration_end: last day of the calibration period.
        observation_end: last day of the holdout period (after calibration_end).
        time_unit: "days" or "weeks".
        penalizer: passed to :func:`fit_bgnbd`.

    Returns:
        DataFrame with columns frequency_bucket ("0".."6", "7+", "total"), customers,
        predicted_mean, actual_mean, predicted_total, actual_total.  ``attrs["bgnbd"]``
        holds the fit's parameters and ``attrs["duration_holdout"]`` the holdout length.

    Raises:
        LoyaltyError: as :func:`summary_from_transactions` and :func:`fit_bgnbd`, or when
            observation_end is not after calibration_end.
    """
    summary = summary_from_transactions(
        tx, calibration_end=calibration_end, observation_end=observation_end, time_unit=time_unit
    )
    if "duration_holdout" not in summary.columns:
        raise LoyaltyError(
            ja="検証期間がありません。観測期間の終了日を学習期間の終了日より後にしてください。",
            en="There is no holdout period: observation_end must be after calibration_end.",
            field="observation_end",
        )
    fit = fit_bgnbd(summary, penalizer=penalizer)
    duration = float(summary["duration_holdout"].iloc[0])
    pred = np.asarray(
        expected_purchases(fit, duration, summary["frequency"].to_numpy(), summary["recency"].to_numpy(),
                           summary["T"].to_numpy()),
        dtype=float,
    )
    actual = summary["frequency_holdout"].to_numpy(dtype=float)
    bucket = np.minimum(summary["frequency"].to_numpy(), FREQUENCY_BUCKETS)
    n_b = np.bincount(bucket, minlength=FREQUENCY_BUCKETS + 1)
    pred_b = np.bincount(bucket, weights=pred, minlength=FREQUENCY_BUCKETS + 1)
    act_b = np.bincount(bucket, weights=actual, minlength=FREQUENCY_BUCKETS + 1)
    labels = [str(k) for k in range(FREQUENCY_BUCKETS)] + [f"{FREQUENCY_BUCKETS}+"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame(
            {
                "frequency_bucket": labels + ["total"],
                "customers": np.append(n_b, n_b.sum()).astype(np.int64),
                "predicted_mean": np.append(pred_b / n_b, pred.sum() / len(pred)),
                "actual_mean": np.append(act_b / n_b, actual.sum() / len(actual)),
                "predicted_total": np.append(pred_b, pred.sum()),
                "actual_total": np.append(act_b, actual.sum()),
            }
        )
    out.attrs["bgnbd"] = fit.params()
    out.attrs["duration_holdout"] = duration
    out.attrs["time_unit"] = time_unit
    return out


# --------------------------------------------------------------------------- one call


def run(
    tx: pd.DataFrame,
    *,
    calibration_end: Any = None,
    time_unit: str = "weeks",
    horizon_months: int = 12,
    monthly_discount_rate: float = 0.01,
    penalizer: float = 0.0,
) -> CLVResult:
    """Summary -> BG/NBD -> Gamma-Gamma -> per-customer P(alive), purchases, value, CLV.

    Args:
        tx: clean transaction frame (customer_id, order_date, amount).
        calibration_end: fit on purchases up to this day (inclusive); default the last
            order date.  Later rows are ignored.
        time_unit: "days" or "weeks".
        horizon_months: forecast horizon for expected purchases and CLV, in months.
        monthly_discount_rate: discount rate per month for CLV.
        penalizer: L2 regularisation of both fits (see :func:`fit_bgnbd`).

    Returns:
        CLVResult.  When the Gamma-Gamma model cannot be fitted (too few repeat buyers,
        q <= 1, no convergence) ``gamma_gamma`` is None, ``gamma_gamma_reason`` says why,
        and expected_avg_value and clv are NaN; the purchase forecasts are still there.

    Raises:
        LoyaltyError: bad input, or the BG/NBD model cannot be fitted.
    """
    unit = _unit_days(time_unit)
    horizon, d = _check_horizon(horizon_months, monthly_discount_rate)
    summary = summary_from_transactions(tx, calibration_end=calibration_end, time_unit=time_unit)
    bg = fit_bgnbd(summary, penalizer=penalizer)
    x = summary["frequency"].to_numpy(dtype=float)
    tx_ = summary["recency"].to_numpy(dtype=float)
    T = summary["T"].to_numpy(dtype=float)
    m = summary["monetary_value"].to_numpy(dtype=float)

    gg: GammaGammaFit | None = None
    reason: LoyaltyError | None = None
    try:
        gg = fit_gamma_gamma(summary, penalizer=penalizer)
        _require_q_above_one(gg)
    except LoyaltyError as err:
        gg, reason = None, err

    month_len = DAYS_PER_MONTH / unit
    if gg is not None:
        value = np.asarray(expected_average_value(gg, x, m), dtype=float)
        clv, expected = _clv_arrays(bg, value, x, tx_, T, horizon, d, month_len)
    else:
        value = np.full_like(x, np.nan)
        clv = np.full_like(x, np.nan)
        expected = _expected_purchases(bg, horizon * month_len, x, tx_, T)

    customers = pd.DataFrame(
        {
            "customer_id": summary.index.to_numpy(),
            "frequency": summary["frequency"].to_numpy(),
            "recency": tx_,
            "T": T,
            "monetary_value": m,
            "p_alive": special.expit(-_alive_log_odds(bg, x, tx_, T)),
            "expected_purchases": expected,
            "expected_avg_value": value,
            "clv": clv,
        }
    )
    return CLVResult(
        bgnbd=bg,
        gamma_gamma=gg,
        customers=customers,
        gamma_gamma_reason=reason,
        report=dict(summary.attrs.get("report", {})),
        calibration_end=pd.Timestamp(summary.attrs["calibration_end"]),
        time_unit=time_unit,
        horizon_months=horizon,
        monthly_discount_rate=d,
    )
