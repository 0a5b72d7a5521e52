"""Tests of loyalty.clv.contracts: survivors tables and contract lines read, fitted and valued.

Golden figures: Fader & Hardie (2007), the regular customers (1000, 631, 468, 382, 326, 289,
262, 241): alpha 0.704, beta 1.182, LL -1680.27 (tests/data/SURVIVORS_SOURCE.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalty.clv import contracts, sbg
from loyalty.errors import LoyaltyError

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]


def _survivors(**columns) -> pd.DataFrame:
    return pd.DataFrame({k: [str(v) for v in vals] for k, vals in columns.items()})


def test_a_survivors_table_with_japanese_headers_fits_the_papers_figures():
    table = contracts.read_contract_table(_survivors(期間=range(8), 継続人数=REGULAR), name="cohort.csv")
    assert table.kind == "survivors"
    assert table.renewals.tolist() == list(range(8))
    assert table.customers.tolist() == [369, 163, 86, 56, 37, 27, 21, 241]
    cfit = contracts.fit_contracts(table)
    f = cfit.fit
    assert (round(f.alpha, 3), round(f.beta, 3), round(f.loglik, 2)) == (0.704, 1.182, -1680.27)
    assert cfit.params_dict() == {"sbg": {"alpha": f.alpha, "beta": f.beta, "loglik": f.loglik}}
    assert (cfit.penalizer.used, cfit.penalizer.reason) == (0.0, None)


def test_survivor_values_project_the_cohort_and_give_derl_per_renewal_count():
    cfit = contracts.fit_contracts(contracts.read_contract_table(_survivors(period=range(8), survivors=REGULAR)))
    values = contracts.contract_values(cfit, 0.1)
    assert values.columns.tolist() == ["period", "survivors", "projected", "retention", "derl"]
    np.testing.assert_allclose(values["projected"], 1000 * sbg.survival(cfit.fit, np.arange(8)), rtol=1e-12)
    assert np.isnan(values["retention"].iloc[0])
    np.testing.assert_allclose(values["retention"].iloc[1:], sbg.retention(cfit.fit, np.arange(1, 8)), rtol=1e-12)
    np.testing.assert_allclose(values["derl"], sbg.derl(cfit.fit, np.arange(8), 0.1), rtol=1e-12)
    # the projection beyond the data (years 8-12) is the paper's, 220 204 191 180 170
    curve = contracts.survival_curve(cfit, periods_ahead=5)
    assert curve["period"].tolist() == list(range(13))
    assert np.rint(1000 * curve["projected"].iloc[8:]).astype(int).tolist() == [220, 204, 191, 180, 170]
    np.testing.assert_allclose(curve["observed"].iloc[:8], np.array(REGULAR) / 1000)
    assert curve["observed"].iloc[8:].isna().all()


def test_contract_lines_count_renewals_by_the_calendar_and_value_the_active_ones():
    frame = pd.DataFrame({
        "契約ID": ["K1", "K2", "K3", "K4"],
        "契約開始日": ["2020/04/01", "2021/04/01", "2022/10/15", "2019/04/01"],
        "解約日": ["2022/04/01", None, None, "2020/03/31"],
        "年間契約額": ["1,200,000", "600000", "", "300000"],
    })
    table = contracts.read_contract_table(frame, name="contracts.csv", as_of="2023-06-30", period_months=12)
    assert table.kind == "contracts" and table.as_of.isoformat() == "2023-06-30"
    # K1 renewed on 2021-04-01 and cancelled on its second renewal day; K2 renewed 2022, 2023;
    # K3 has not reached a renewal; K4 cancelled the day before its first renewal
    assert table.frame["renewals"].tolist() == [1, 2, 0, 0]
    assert table.frame["active"].tolist() == [False, True, True, False]
    f = sbg.SBGFit(alpha=0.7, beta=1.2, loglik=float("nan"), n_customers=0.0, n_cancelled=0.0)
    cfit = contracts.ContractFit(table=table, fit=f, penalizer=None)
    values = contracts.contract_values(cfit, 0.1)
    derl = sbg.derl(f, [1, 2, 0, 0], 0.1)
    np.testing.assert_allclose(values["derl"], derl, rtol=1e-12)
    assert values["residual_value"].iloc[0] == 0.0  # cancelled
    assert values["residual_value"].iloc[1] == pytest.approx(600_000 * derl[1], rel=1e-12)
    assert np.isnan(values["residual_value"].iloc[2])  # no payment given
    assert values["customer_id"].tolist() == ["K1", "K2", "K3", "K4"]


def test_contract_lines_observed_survival_is_kaplan_meier():
    # 10 contracts: 2 cancel at the first decision, 3 active with 1 renewal (seen once),
    # 1 cancels at the second decision, 4 active with 2 renewals
    renewals = np.array([0, 0, 1, 1, 1, 1, 2, 2, 2, 2], dtype=float)
    active = np.array([False, False, True, True, True, False, True, True, True, True])
    f = sbg.SBGFit(alpha=1.0, beta=2.0, loglik=float("nan"), n_customers=0.0, n_cancelled=0.0)
    table = contracts.ContractTable(kind="contracts", name="", renewals=renewals, active=active,
                                    customers=np.ones(10), frame=pd.DataFrame(), as_of=None, period_months=12)
    curve = contracts.survival_curve(contracts.ContractFit(table=table, fit=f, penalizer=None), periods_ahead=1)
    # decision 1: 10 at risk, 2 cancel -> 0.8; decision 2: 5 at risk (4 active with 2, 1 cancelling), 1 cancels
    np.testing.assert_allclose(curve["observed"].iloc[:3], [1.0, 0.8, 0.8 * 4 / 5])
    np.testing.assert_allclose(curve["projected"], [1.0, 2 / 3, 0.5, 0.4])


def test_the_fit_of_contract_lines_equals_the_fit_of_the_survivors_table():
    lost = -np.diff(REGULAR)
    years = np.repeat(np.arange(1, 8), lost)
    end = [f"{2000 + y}-04-01" for y in years] + [""] * 241
    frame = pd.DataFrame({"customer": [f"C{i}" for i in range(1000)], "start": ["2000-04-01"] * 1000, "end": end})
    by_lines = contracts.fit_contracts(contracts.read_contract_table(frame, as_of="2007-04-01")).fit
    by_table = sbg.fit_survivors(REGULAR)
    assert (by_lines.alpha, by_lines.beta) == pytest.approx((by_table.alpha, by_table.beta), rel=1e-9)


@pytest.mark.parametrize(("frame", "row", "column", "words"), [
    (_survivors(period=[0, 1, 2], survivors=[1000, 631, 700]), 4, "survivors", "go up from one period"),
    (_survivors(period=[0, 1, 2], survivors=[1000, "約600", 400]), 3, "survivors", "whole numbers"),
    (pd.DataFrame({"id": ["a"], "start": ["someday"], "end": [None]}), 2, "start", "cannot be read as dates"),
    (pd.DataFrame({"id": ["a"], "start": ["2024-01-01"], "end": ["2023-01-01"]}), 2, "end", "ends before it starts"),
    (pd.DataFrame({"注文日": ["2024-01-01"], "金額": ["100"]}), None, None, "not a contract table"),
])
def test_contract_tables_explain_what_is_wrong_naming_file_row_and_column(frame, row, column, words):
    with pytest.raises(LoyaltyError) as err:
        contracts.read_contract_table(frame, name="data.csv", row_numbers=np.arange(2, len(frame) + 2) if row else None)
    assert words in err.value.en
    assert (err.value.file, err.value.row, err.value.column) == ("data.csv", row, column)
    assert err.value.ja and err.value.ja != err.value.en


def test_a_discount_rate_per_period_comes_from_the_monthly_one():
    assert contracts.period_rate(0.01, 12) == pytest.approx(1.01**12 - 1, rel=1e-15)
    assert contracts.period_rate(0.01, 1) == pytest.approx(0.01, rel=1e-12)
