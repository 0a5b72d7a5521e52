"""Tests of loyalty.clv.api: fit / forecast / run / holdout_check, and the penalizer retry."""

from __future__ import annotations

import json

import numpy as np
import pytest

from loyalty import clv
from loyalty.clv import gamma_gamma
from loyalty.errors import LoyaltyError
from tests.fixtures_clv import (  # noqa: F401 (fixtures)
    CAL_END, cdnow_bg, cdnow_gg, cdnow_summary, cdnow_tx, sample_tx, tx_frame,
)



def test_nobody_repeats_is_refused_with_advice() -> None:
    rows = [(f"c{i}", f"2024-01-{i + 1:02d}", 10.0 + i) for i in range(20)]
    with pytest.raises(LoyaltyError) as info:
        clv.run(tx_frame(rows))
    assert "学習期間を長く" in info.value.ja
    assert "repeat" in info.value.en

def test_bad_horizon_and_discount_are_refused(cdnow_tx: pd.DataFrame) -> None:
    with pytest.raises(LoyaltyError) as info:
        clv.run(cdnow_tx, horizon_months=0)
    assert info.value.field == "horizon_months"
    with pytest.raises(LoyaltyError) as info:
        clv.run(cdnow_tx, monthly_discount_rate=1.5)
    assert info.value.field == "monthly_discount_rate"

def test_run_on_cdnow(cdnow_tx: pd.DataFrame, cdnow_bg, cdnow_gg, cdnow_summary) -> None:
    res = clv.run(cdnow_tx, calibration_end=CAL_END, time_unit="weeks", horizon_months=12, monthly_discount_rate=0.01)
    c = res.customers
    assert list(c.columns) == [
        "customer_id", "frequency", "recency", "T", "monetary_value",
        "p_alive", "expected_purchases", "expected_avg_value", "clv",
    ]
    assert len(c) == 2357
    assert res.gamma_gamma is not None and res.gamma_gamma_reason is None
    params = res.params_dict()
    assert list(params) == ["bgnbd", "gamma_gamma"]
    assert set(params["bgnbd"]) == {"r", "alpha", "a", "b", "loglik"}
    assert set(params["gamma_gamma"]) == {"p", "q", "gamma"}
    assert all(type(v) is float for d in params.values() for v in d.values())
    assert json.loads(json.dumps(params)) == params
    assert params["bgnbd"]["r"] == pytest.approx(cdnow_bg.r, rel=1e-9)
    assert (c.loc[c["frequency"] == 0, "p_alive"] == 1.0).all()
    assert c["p_alive"].between(0, 1).all()
    horizon_weeks = 12 * clv.DAYS_PER_MONTH / 7
    np.testing.assert_allclose(
        c["expected_purchases"],
        clv.expected_purchases(cdnow_bg, horizon_weeks, c["frequency"], c["recency"], c["T"]),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        c["clv"], clv.customer_lifetime_value(cdnow_bg, cdnow_gg, cdnow_summary, 12, 0.01).to_numpy(), rtol=1e-12
    )
    # CLV is below undiscounted purchases x value, and above it discounted by the full year
    undiscounted = c["expected_purchases"] * c["expected_avg_value"]
    assert (c["clv"] <= undiscounted + 1e-9).all()
    assert (c["clv"] >= undiscounted / 1.01**12 - 1e-9).all()
    assert res.report["customers"] == 2357

def test_run_without_gamma_gamma_keeps_purchase_forecasts(cdnow_tx: pd.DataFrame, monkeypatch) -> None:
    monkeypatch.setattr(gamma_gamma, "MIN_REPEAT_BUYERS_GAMMA_GAMMA", 10_000)
    res = clv.run(cdnow_tx, calibration_end=CAL_END)
    assert res.gamma_gamma is None
    assert isinstance(res.gamma_gamma_reason, LoyaltyError)
    assert "リピート購入した顧客" in res.gamma_gamma_reason.ja
    assert res.customers["clv"].isna().all()
    assert res.customers["expected_purchases"].notna().all()
    assert res.params_dict()["gamma_gamma"] == {"p": None, "q": None, "gamma": None}
    json.dumps(res.params_dict())


# --------------------------------------------------------------------------- the penalizer retry


def _refusal(pen: float) -> LoyaltyError:
    return LoyaltyError(ja=f"収束しません {pen}", en=f"no convergence at {pen}", field="penalizer")


def test_the_penalizer_ladder() -> None:
    assert clv.penalizer_ladder(0.0, True) == (0.0, 0.001, 0.01)
    assert clv.penalizer_ladder(0.0001, True) == (0.0001, 0.001, 0.01)
    assert clv.penalizer_ladder(0.005, True) == (0.005, 0.01)
    assert clv.penalizer_ladder(0.1, True) == (0.1,)
    assert clv.penalizer_ladder(0.0, False) == (0.0,)
    with pytest.raises(LoyaltyError) as info:
        clv.penalizer_ladder(-1, True)
    assert info.value.field == "penalizer"


def test_the_retry_climbs_the_ladder_and_says_why() -> None:
    from loyalty.clv.api import with_penalizer_retry

    tried = []

    def attempt(pen: float) -> str:
        tried.append(pen)
        if pen < 0.01:
            raise _refusal(pen)
        return f"fit at {pen}"

    value, choice = with_penalizer_retry(attempt, 0.0, True)
    assert (value, tried) == ("fit at 0.01", [0.0, 0.001, 0.01])
    assert (choice.requested, choice.used, choice.auto) == (0.0, 0.01, True)
    assert choice.reason.en == "no convergence at 0.0"  # the refusal of the requested penalizer

    tried.clear()
    with pytest.raises(LoyaltyError) as info:  # without the retry the refusal stands
        with_penalizer_retry(attempt, 0.0, False)
    assert tried == [0.0] and info.value.en == "no convergence at 0.0"

    tried.clear()
    with pytest.raises(LoyaltyError) as info:  # every rung refused: the last refusal is raised
        with_penalizer_retry(lambda pen: attempt(pen / 10), 0.0, True)
    assert tried == [0.0, 0.0001, 0.001] and info.value.en == "no convergence at 0.001"


def test_a_refusal_a_penalizer_cannot_help_is_not_retried() -> None:
    from loyalty.clv.api import with_penalizer_retry

    tried = []

    def attempt(pen: float) -> None:
        tried.append(pen)
        raise LoyaltyError(ja="少なすぎます", en="too few", field="calibration_end")

    with pytest.raises(LoyaltyError) as info:
        with_penalizer_retry(attempt, 0.0, True)
    assert tried == [0.0] and info.value.field == "calibration_end"


@pytest.mark.slow
def test_fit_retries_with_a_penalizer_where_plain_maximum_likelihood_fails(sample_tx) -> None:
    # the app's sample data: plain maximum likelihood cannot pin down b (nobody seems to leave)
    with pytest.raises(LoyaltyError) as info:
        clv.fit(sample_tx, auto_penalizer=False)
    assert info.value.field == "penalizer"
    fitted = clv.fit(sample_tx)
    assert (fitted.penalizer.requested, fitted.penalizer.used) == (0.0, 0.001)
    assert fitted.penalizer.reason.ja == info.value.ja
    direct = clv.fit_bgnbd(clv.summary_from_transactions(sample_tx), penalizer=0.001)
    assert fitted.purchase_fit == direct
    assert fitted.gamma_gamma == clv.fit_gamma_gamma(fitted.summary, penalizer=0.001)
    # and the forecast is the one run() gives with that penalizer asked for directly
    result = clv.forecast(fitted, 12, 0.01)
    plain = clv.run(sample_tx, penalizer=0.001, auto_penalizer=False)
    assert plain.penalizer.reason is None and plain.penalizer.used == 0.001
    assert result.customers.equals(plain.customers)
    assert result.params_dict() == plain.params_dict()


def test_holdout_check_is_the_holdout_comparison_with_the_retry(sample_tx) -> None:
    check = clv.holdout_check(sample_tx, "2026-04-30", "2026-10-31")
    assert check.penalizer.used == 0.001 and check.penalizer.reason.field == "penalizer"
    expected = clv.holdout_comparison(sample_tx, "2026-04-30", "2026-10-31", penalizer=0.001)
    assert check.comparison.equals(expected)
    assert check.comparison.attrs == expected.attrs


def test_forecast_moves_with_the_horizon_only(cdnow_tx) -> None:
    fitted = clv.fit(cdnow_tx, calibration_end=CAL_END)
    assert fitted.penalizer.used == 0.0 and fitted.penalizer.reason is None
    short, long = clv.forecast(fitted, 6, 0.01), clv.forecast(fitted, 24, 0.01)
    assert short.fitted is long.fitted
    assert (short.customers["p_alive"] == long.customers["p_alive"]).all()
    assert (short.customers["expected_purchases"] < long.customers["expected_purchases"]).all()
    assert (short.horizon_months, long.horizon_months) == (6, 24)


def test_an_unknown_model_is_refused_with_the_known_ones(cdnow_tx) -> None:
    with pytest.raises(LoyaltyError) as info:
        clv.fit(cdnow_tx, model="pareto_nbd")  # the JSON name, not the key
    assert info.value.field == "model"
    assert info.value.en == "Unknown model 'pareto_nbd': use one of bgnbd, pareto, mbgnbd."
    assert info.value.ja == "予測モデル「pareto_nbd」はありません。次のどれかを指定してください: bgnbd, pareto, mbgnbd"


def test_a_fit_error_comes_from_the_catalogue_in_both_languages() -> None:
    rows = [("a", "2024-01-01", 5.0), ("a", "2024-01-09", 5.0), ("b", "2024-01-02", 5.0)]
    with pytest.raises(LoyaltyError) as info:
        clv.fit(tx_frame(rows))
    assert info.value.ja == (
        "顧客が2人しかいないため、購買予測モデル（BG/NBD）を推定できません。"
        "少なくとも10人、できれば数百人以上の顧客の購買データを使ってください。"
    )
    assert info.value.en == "Only 2 customers: the BG/NBD model needs at least 10 (preferably hundreds)."
