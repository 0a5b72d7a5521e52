"""LTV (顧客生涯価値) by the seeds' formulas.

* BtoC: LTV = average order value × orders per year × years
  (¥10,000 × 6 × 3 = ¥180,000; ¥3,000 × 4 × 3 = ¥36,000; ¥5,000 × 6 × 5 = ¥150,000).
* BtoB: LTV = annual contract value × years (¥1,200,000 × 5 = ¥6,000,000).
* SaaS: LTV = monthly fee × months (¥5,000 × 18 = ¥90,000).

Options: a gross margin (LTV on profit rather than revenue) and a yearly
discount rate (each later year is worth 1/(1+d)^k of the first).
Per customer from transactions, "years" is the customer's tenure (first order to
as-of) in years, counted as at least one year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


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
    """BtoB LTV = annual contract value × years (× margin, discounted per year)."""
    return np.asarray(annual_contract_value, dtype=float) * _discounted_years(years, discount_rate) * margin


def ltv_saas(monthly_fee, months, *, margin: float = 1.0, discount_rate: float = 0.0):
    """SaaS LTV = monthly fee × months (× margin; discount_rate is yearly, applied per month)."""
    m = np.asarray(months, dtype=float)
    fee = np.asarray(monthly_fee, dtype=float)
    if discount_rate == 0:
        return fee * m * margin
    q = (1.0 + discount_rate) ** (-1.0 / 12.0)
    return fee * (1.0 - q ** m) / (1.0 - q) * margin


def customer_ltv(features: pd.DataFrame, *, margin: float = 1.0, discount_rate: float = 0.0) -> pd.Series | None:
    """Per-customer LTV from whatever the features allow, or None.

    Preference: SaaS (monthly fee and months), BtoB (annual contract value and
    years), BtoC (average order value, orders per year, and tenure or years).

    Args:
        features: the customer features.
        margin: gross margin fraction.
        discount_rate: yearly discount rate fraction.

    Returns:
        A float Series indexed like ``features`` (named "ltv"), or None.
    """
    f = features
    if {"monthly_fee", "months"} <= set(f.columns):
        v = ltv_saas(f["monthly_fee"], f["months"], margin=margin, discount_rate=discount_rate)
    elif {"annual_contract_value", "years"} <= set(f.columns):
        v = ltv_b2b(f["annual_contract_value"], f["years"], margin=margin, discount_rate=discount_rate)
    elif {"aov", "orders_per_year"} <= set(f.columns) and ("years" in f or "tenure_days" in f):
        if "years" in f:
            years = f["years"].to_numpy(dtype=float)
        else:
            years = np.maximum(f["tenure_days"].to_numpy(dtype=float) / 365.0, 1.0)
        v = ltv_b2c(f["aov"], f["orders_per_year"], years, margin=margin, discount_rate=discount_rate)
    else:
        return None
    return pd.Series(np.asarray(v, dtype=float), index=f.index, name="ltv")
