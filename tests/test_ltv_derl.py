"""LTV with the sBG's DERL in place of years (BtoB) or months (SaaS): loyalty.ltv.derl_ltv.

With alpha > 1 and no discounting DERL has a closed form, E[(1 - theta)/theta] under the
posterior Beta(alpha, beta + n): (beta + n) / (alpha - 1), so the figures below are by hand.
The seeds' default formulas are untouched (tests/test_ltv.py keeps their exact figures).
"""

import numpy as np
import pandas as pd
import pytest

from loyalty.clv import sbg
from loyalty.errors import LoyaltyError
from loyalty.ltv import customer_ltv, derl_ltv

ACCOUNTS = pd.DataFrame({"annual_contract_value": [1_200_000.0, 1_200_000.0, 600_000.0, np.nan],
                         "years": [5.0, 0.5, 2.0, 3.0]}, index=["A社", "B社", "C社", "D社"])


def test_btob_ltv_is_contract_value_times_derl_by_renewals_made():
    out = derl_ltv(ACCOUNTS, basis="b2b", alpha=2.5, beta=4.0, period_months=12)
    # in year 5: 4 renewals, DERL (4+4)/1.5; in year 1: 0 renewals; in year 2 (2.0 years: the end of it): 1
    assert out["renewals"].tolist()[:3] == [4.0, 0.0, 1.0]
    np.testing.assert_allclose(out["derl"].iloc[:3], [8 / 1.5, 4 / 1.5, 5 / 1.5], rtol=1e-12)
    np.testing.assert_allclose(out["ltv"].iloc[:3], [6_400_000, 3_200_000, 2_000_000], rtol=1e-12)
    assert np.isnan(out["ltv"].iloc[3])  # no contract value
    assert out.index.tolist() == ACCOUNTS.index.tolist()
    # the seeds' default stays: ¥1,200,000 × 5 years = ¥6,000,000
    assert customer_ltv(ACCOUNTS.iloc[:1]).tolist() == [6_000_000]


def test_saas_ltv_with_a_monthly_or_a_yearly_fit():
    f = pd.DataFrame({"monthly_fee": [5_000.0], "months": [18.0]}, index=["c"])
    monthly = derl_ltv(f, basis="saas", alpha=2.5, beta=4.0, period_months=1, margin=0.5)
    assert monthly["renewals"].iloc[0] == 17 and monthly["payment"].iloc[0] == 5_000
    assert monthly["ltv"].iloc[0] == pytest.approx(5_000 * 21 / 1.5 * 0.5, rel=1e-12)
    yearly = derl_ltv(f, basis="saas", alpha=2.5, beta=4.0, period_months=12)
    assert yearly["renewals"].iloc[0] == 1 and yearly["payment"].iloc[0] == 60_000
    assert yearly["ltv"].iloc[0] == pytest.approx(60_000 * 5 / 1.5, rel=1e-12)


def test_the_yearly_discount_rate_is_converted_to_one_per_period():
    fit = sbg.SBGFit(alpha=0.704, beta=1.182, loglik=float("nan"), n_customers=0.0, n_cancelled=0.0)
    out = derl_ltv(ACCOUNTS.iloc[:1], basis="b2b", alpha=0.704, beta=1.182, period_months=12, discount_rate=0.1)
    assert out["derl"].iloc[0] == pytest.approx(float(sbg.derl(fit, 4, 0.1)), rel=1e-12)
    f = pd.DataFrame({"monthly_fee": [5_000.0], "months": [7.0]}, index=["c"])
    out = derl_ltv(f, basis="saas", alpha=0.704, beta=1.182, period_months=1, discount_rate=0.1)
    assert out["derl"].iloc[0] == pytest.approx(float(sbg.derl(fit, 6, 1.1 ** (1 / 12) - 1)), rel=1e-12)


def test_no_discount_with_alpha_at_most_one_is_refused_and_b2c_is_not_offered():
    with pytest.raises(LoyaltyError) as err:
        derl_ltv(ACCOUNTS, basis="b2b", alpha=0.7, beta=1.2, period_months=12)
    assert err.value.field == "discount_rate" and "infinite" in err.value.en
    with pytest.raises(ValueError):
        derl_ltv(pd.DataFrame({"aov": [1.0], "orders_per_year": [1.0], "years": [1.0]}), basis="b2c",
                 alpha=2.0, beta=2.0, period_months=12)
