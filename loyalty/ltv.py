"""LTV (顧客生涯価値) by the seeds' formulas.

* BtoC: LTV = average order value × orders per year × years
  (¥10,000 × 6 × 3 = ¥180,000; ¥3,000 × 4 × 3 = ¥36,000; ¥5,000 × 6 × 5 = ¥150,000).
* BtoB: LTV = annual contract value × years (¥1,200,000 × 5 = ¥6,000,000).
* SaaS: LTV = monthly fee × months (¥5,000 × 18 = ¥90,000).

Options: a gross margin (LTV on profit rather than revenue) and a yearly
discount rate (each later year is worth 1/(1+d)^k of the first).
Per customer from transactions, "years" is the customer's tenure (first order to
as-of) in years, counted as at least one year, unless a fixed number of years
is assumed for everyone (``years=``).  Average order value is the **net** value per
order (:func:`average_order_value`: purchases − returns, all time up to the as-of
date, ÷ orders), so a customer who bought and cancelled a large order is not
valued at the cancelled amount; a customer whose net is ≤ 0 has an average order
value of 0 and so an LTV of 0 (shown as ¥0 on the metrics page, in the exports and
in the command line's ``ltv`` column).  Orders per year are the orders in the window
scaled to 365 days (see :mod:`loyalty.features`).

With a discount rate d, "years" is replaced by the present value of one unit a
year, Σ_{k=0}^{Y−1} 1/(1+d)^k = (1 − (1+d)^−Y) / (1 − 1/(1+d)) (the first year is
not discounted; fractional years follow the same closed form).  SaaS discounts
month by month at (1+d)^(−1/12).

Per tier or segment: :func:`value_by_group` (customers, mean, median, total, share).

With a fitted sBG retention model (:mod:`loyalty.clv.sbg`), BtoB and SaaS can replace the
"years" (months) of their formula by the customer's DERL, the discounted number of
payments still to come given the renewals she has made (:func:`derl_ltv`): LTV =
payment per period × DERL.  Only when the user asks; the formulas above stay the default.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def average_order_value(net, orders):
    """The average order value behind LTV: net value per order, never below 0.

    The one definition (DESIGN §3, README "What the numbers mean") read by the
    features of uploads and of ``--source``, personas, the workbook and LTV.

    Args:
        net: per customer, purchases − returns up to the as-of date (fee lines included).
        orders: per customer, the number of orders up to the as-of date.

    Returns:
        float array: net ÷ orders where the customer has orders and a positive net;
        0 where the net is ≤ 0 (no positive value, so no positive LTV); NaN where the
        customer has no order but a positive net (fee lines only: nothing to average).
    """
    net = np.asarray(net, dtype=float)
    orders = np.asarray(orders, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_order = np.where(orders > 0, net / np.maximum(orders, 1), np.nan)
    return np.where(net <= 0, 0.0, per_order)


def _discounted_years(years, discount_rate: float):
    """Σ_{k=0}^{years-1} 1/(1+d)^k for whole and fractional years (years when d = 0)."""
    y = np.asarray(years, dtype=float)
    if discount_rate == 0:
        return y
    q = 1.0 / (1.0 + discount_rate)
    return (1.0 - q ** y) / (1.0 - q)


def ltv_b2c(aov, orders_per_year, years, *, margin: float = 1.0, discount_rate: float = 0.0):
    """BtoC LTV = aov × orders_per_year × years (× margin, discounted per year).

    Args:
        aov: average order value (yen).
        orders_per_year: purchases per year.
        years: expected (or observed) years of continued purchase.
        margin: gross margin as a fraction (1.0 = revenue).
        discount_rate: yearly discount rate as a fraction (0 = none).

    Returns:
        The LTV (same shape as the inputs).
    """
    return np.asarray(aov, dtype=float) * np.asarray(orders_per_year, dtype=float) * \
        _discounted_years(years, discount_rate) * margin


def ltv_b2b(annual_contract_value, years, *, margin: float = 1.0, discount_rate: float = 0.0):
    """BtoB LTV = annual contract value × years (× margin, discounted per year).

    Args:
        annual_contract_value: yearly contract value (yen).
        years: years of contract.
        margin: gross margin as a fraction (1.0 = revenue).
        discount_rate: yearly discount rate as a fraction (0 = none).

    Returns:
        The LTV (same shape as the inputs).
    """
    return np.asarray(annual_contract_value, dtype=float) * _discounted_years(years, discount_rate) * margin


def ltv_saas(monthly_fee, months, *, margin: float = 1.0, discount_rate: float = 0.0):
    """SaaS LTV = monthly fee × months (× margin; discount_rate is yearly, applied per month).

    Args:
        monthly_fee: monthly fee (yen).
        months: months of subscription.
        margin: gross margin as a fraction (1.0 = revenue).
        discount_rate: yearly discount rate as a fraction; month k is worth (1+d)^(−k/12).

    Returns:
        The LTV (same shape as the inputs).
    """
    m = np.asarray(months, dtype=float)
    fee = np.asarray(monthly_fee, dtype=float)
    if discount_rate == 0:
        return fee * m * margin
    q = (1.0 + discount_rate) ** (-1.0 / 12.0)
    return fee * (1.0 - q ** m) / (1.0 - q) * margin


#: LTV formulas, in the order :func:`customer_ltv` prefers them.
BASES = ("saas", "b2b", "b2c")


def available_bases(features: pd.DataFrame, prefer: str | None = None) -> list[str]:
    """The LTV formulas the features allow, preferred first.

    * "saas": monthly_fee and months columns;
    * "b2b": annual_contract_value and years;
    * "b2c": aov and orders_per_year, with years or tenure_days.

    Args:
        features: the customer features.
        prefer: a :data:`BASES` key put first when it applies (the definition's
            preset: a BtoB definition reads the contract-value formula first).

    Returns:
        A list of :data:`BASES` keys (empty when none applies).
    """
    cols = set(features.columns)
    out = []
    if {"monthly_fee", "months"} <= cols:
        out.append("saas")
    if {"annual_contract_value", "years"} <= cols:
        out.append("b2b")
    if {"aov", "orders_per_year"} <= cols and ("years" in cols or "tenure_days" in cols):
        out.append("b2c")
    if prefer in out:
        out.remove(prefer)
        out.insert(0, prefer)
    return out


def ltv_components(features: pd.DataFrame, *, basis: str | None = None,
                   years: float | None = None) -> pd.DataFrame | None:
    """The inputs of the LTV formula per customer (so the arithmetic can be shown).

    Args:
        features: the customer features.
        basis: "saas", "b2b" or "b2c" (default: the first of :func:`available_bases`).
        years: BtoC only: a fixed number of years of continued purchase for every
            customer instead of their own (the ``years`` column, else the tenure
            from the first order to the as-of date in years, at least one year).

    Returns:
        None when no formula applies; else a frame indexed like ``features`` with
        ``attrs["basis"]`` set and columns monthly_fee, months (SaaS);
        annual_contract_value, years (BtoB); or aov, orders_per_year, years (BtoC).

    Raises:
        ValueError: a basis the features do not allow, or years ≤ 0.
    """
    bases = available_bases(features)
    if basis is None:
        if not bases:
            return None
        basis = bases[0]
    if basis not in bases:
        raise ValueError(f"LTV basis {basis!r} needs columns the features do not have")
    f = features
    if basis == "saas":
        out = pd.DataFrame({"monthly_fee": f["monthly_fee"].astype(float), "months": f["months"].astype(float)})
    elif basis == "b2b":
        out = pd.DataFrame({"annual_contract_value": f["annual_contract_value"].astype(float),
                            "years": f["years"].astype(float)})
    else:
        if years is not None:
            if not years > 0:
                raise ValueError("years must be positive")
            y = np.full(len(f), float(years))
        elif "years" in f:
            y = f["years"].to_numpy(dtype=float, na_value=np.nan)
        else:
            y = np.maximum(f["tenure_days"].to_numpy(dtype=float, na_value=np.nan) / 365.0, 1.0)
        out = pd.DataFrame({"aov": f["aov"].astype(float), "orders_per_year": f["orders_per_year"].astype(float),
                            "years": y}, index=f.index)
    out.index = f.index
    out.attrs["basis"] = basis
    return out


def customer_ltv(features: pd.DataFrame, *, margin: float = 1.0, discount_rate: float = 0.0,
                 basis: str | None = None, years: float | None = None) -> pd.Series | None:
    """Per-customer LTV from whatever the features allow, or None.

    Preference: SaaS (monthly fee and months), BtoB (annual contract value and
    years), BtoC (average order value, orders per year, and tenure or years).

    Args:
        features: the customer features.
        margin: gross margin fraction.
        discount_rate: yearly discount rate fraction.
        basis: force one formula ("saas", "b2b", "b2c"); default the preferred one.
        years: BtoC only: assume this many years for every customer
            (see :func:`ltv_components`).

    Returns:
        A float Series indexed like ``features`` (named "ltv", ``attrs["basis"]``
        set), or None.

    Raises:
        ValueError: a basis the features do not allow, or years ≤ 0.
    """
    c = ltv_components(features, basis=basis, years=years)
    if c is None:
        return None
    b = c.attrs["basis"]
    if b == "saas":
        v = ltv_saas(c["monthly_fee"], c["months"], margin=margin, discount_rate=discount_rate)
    elif b == "b2b":
        v = ltv_b2b(c["annual_contract_value"], c["years"], margin=margin, discount_rate=discount_rate)
    else:
        v = ltv_b2c(c["aov"], c["orders_per_year"], c["years"], margin=margin, discount_rate=discount_rate)
        # no positive value per order, no positive LTV: 0 even where years are unknown (no order at all)
        v = np.where(c["aov"].to_numpy(dtype=float) == 0, 0.0, v)
    out = pd.Series(np.asarray(v, dtype=float), index=features.index, name="ltv")
    out.attrs["basis"] = b
    return out


def derl_ltv(features: pd.DataFrame, *, basis: str, alpha: float, beta: float, period_months: int,
             margin: float = 1.0, discount_rate: float = 0.0) -> pd.DataFrame:
    """BtoB / SaaS LTV with the sBG's DERL in place of years / months.

    A customer whose contract has run Y periods (years x 12 / period months, or months /
    period months) is in her ceil(Y)-th period and has made n = ceil(Y) - 1 renewals
    (0 in her first period); DERL(d | alpha, beta, n) (Fader & Hardie 2010) is the
    discounted number of payments expected from her next renewal on.  LTV = payment per
    period x DERL x margin, the payment being the annual contract value x period/12 (BtoB)
    or the monthly fee x period months (SaaS).

    Args:
        features: the customer features (with the basis' columns).
        basis: "b2b" or "saas".
        alpha, beta: the sBG fit.
        period_months: months per contract period of that fit (1 or 12).
        margin: gross margin as a fraction.
        discount_rate: yearly discount rate as a fraction (converted to one per period).

    Returns:
        A frame indexed like ``features``: payment, renewals, derl, ltv.

    Raises:
        ValueError: a basis other than b2b / saas, or one the features do not allow.
        LoyaltyError: a discount rate of 0 with alpha <= 1 (the expected lifetime is infinite).
    """
    from loyalty.clv.sbg import SBGFit, derl

    if basis not in ("b2b", "saas"):
        raise ValueError(f"DERL replaces years only in the BtoB and SaaS formulas, not {basis!r}")
    c = ltv_components(features, basis=basis)
    pm = int(period_months)
    if basis == "b2b":
        payment = c["annual_contract_value"].to_numpy(dtype=float) * pm / 12.0
        periods = c["years"].to_numpy(dtype=float) * 12.0 / pm
    else:
        payment = c["monthly_fee"].to_numpy(dtype=float) * pm
        periods = c["months"].to_numpy(dtype=float) / pm
    known = np.isfinite(periods)
    renewals = np.where(known, np.maximum(np.ceil(np.where(known, periods, 0.0) - 1e-9) - 1.0, 0.0), 0.0)
    fit = SBGFit(alpha=float(alpha), beta=float(beta), loglik=float("nan"), n_customers=0.0, n_cancelled=0.0)
    per_period = (1.0 + float(discount_rate)) ** (pm / 12.0) - 1.0
    d = np.where(known, derl(fit, renewals, per_period), np.nan)
    return pd.DataFrame({"payment": payment, "renewals": np.where(known, renewals, np.nan), "derl": d,
                         "ltv": payment * d * margin}, index=features.index)


def value_by_group(values: pd.Series, groups: pd.Series, *, order=None) -> pd.DataFrame:
    """Per group (tier, segment, …): how many customers and how much value.

    Args:
        values: a value per customer (LTV, CLV, …); NaN = unknown.
        groups: group key per customer (same index).
        order: group keys in display order (default: order of appearance);
            groups without customers are kept with zeros.

    Returns:
        A frame indexed by group key with customers, valued (customers with a
        value), mean, median, total, share (of the total over all groups, 0–1).
    """
    g = pd.Series(groups).reindex(values.index)
    if not isinstance(g.dtype, pd.CategoricalDtype):
        g = g.astype("str")
    df = pd.DataFrame({"g": g.to_numpy(), "v": values.to_numpy(dtype=float, na_value=np.nan)})
    df = df[df["g"].notna()]
    grouped = df.groupby("g", sort=False, observed=True)["v"]
    if order is None:
        order = list(pd.unique(df["g"]))
    out = pd.DataFrame({"customers": grouped.size(), "valued": grouped.count(), "mean": grouped.mean(),
                        "median": grouped.median(), "total": grouped.sum(min_count=1)}).reindex(list(order))
    out[["customers", "valued"]] = out[["customers", "valued"]].fillna(0).astype(np.int64)
    total = float(df["v"].sum())
    out["share"] = out["total"] / total if total else np.nan
    out.index.name = "group"
    return out


def ltv_by_group(ltv: pd.Series, groups: pd.Series, *, order=None) -> pd.DataFrame:
    """LTV per tier or segment: :func:`value_by_group` on the LTV."""
    return value_by_group(ltv, groups, order=order)
