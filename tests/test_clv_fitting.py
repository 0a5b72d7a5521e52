"""Tests of loyalty.clv.fitting: inputs, weighted grouping, the optimiser's ridge stop, the
fit refusals' messages, and the one-BLAS-thread rule every fit runs under."""

from __future__ import annotations

import numpy as np
import pytest

from loyalty.clv import fitting, mbgnbd, pareto_nbd
from loyalty.errors import LoyaltyError
from loyalty.i18n import t


def test_group_counts_identical_rows_and_keeps_their_values() -> None:
    x = np.array([0.0, 2.0, 0.0, 2.0, 2.0, 1.0])
    T = np.array([5.0, 5.0, 5.0, 5.0, 7.0, 5.0])
    g = fitting.group(x, T)
    rows = sorted(zip(g.column(0).tolist(), g.column(1).tolist(), g.weight.tolist()))
    assert rows == [(0.0, 5.0, 2.0), (1.0, 5.0, 1.0), (2.0, 5.0, 2.0), (2.0, 7.0, 1.0)]
    assert g.n_groups == 4
    # totals: customers per distinct value of each covariate
    assert dict(zip(g.values[0].tolist(), g.totals[0].tolist())) == {0.0: 2.0, 2.0: 3.0, 1.0: 1.0}
    assert dict(zip(g.values[1].tolist(), g.totals[1].tolist())) == {5.0: 5.0, 7.0: 1.0}


def test_rows_are_grouped_with_their_weights() -> None:
    x = np.array([1.0, 1.0, 0.0, 1.0, 0.0])
    t_ = np.array([2.0, 2.0, 0.0, 3.0, 0.0])
    g = fitting.group(x, t_, weights=np.array([1.0, 2.0, 4.0, 8.0, 16.0]))
    assert g.n_groups == 3
    assert list(zip(g.column(0), g.column(1), g.weight)) == [(1.0, 2.0, 3.0), (0.0, 0.0, 20.0), (1.0, 3.0, 8.0)]
    assert g.row_group.tolist() == [0, 0, 1, 2, 1]
    assert dict(zip(g.values[0].tolist(), g.totals[0].tolist())) == {1.0: 11.0, 0.0: 20.0}


def test_refusals_name_the_model_and_what_the_data_cannot_pin_down() -> None:
    err = fitting.degenerate_error("bgnbd", ["a", "b"])
    assert err.field == "penalizer"
    assert err.ja == t("clv.error.degenerate", "ja", model="購買予測モデル（BG/NBD）", what="「離脱のしやすさ」",
                       params="a, b")
    assert err.en.startswith("The BG/NBD model cannot be fitted: this data does not determine the tendency to "
                             "drop out (the fit runs off to extreme values of a, b,")
    err = fitting.degenerate_error("gamma_gamma", ["q", "gamma"])
    assert "購入単価の予測モデル（Gamma-Gamma）を推定できませんでした" in err.ja and "「購入単価のばらつき」" in err.ja
    err = fitting.convergence_error("bgnbd", "gradient 3.10e-03; ABNORMAL")
    assert err.field == "penalizer"
    assert err.ja.startswith("購買予測モデル（BG/NBD）のパラメータを推定できませんでした（最適化が収束しません）。")
    assert err.en.startswith("The BG/NBD fit did not converge (gradient 3.10e-03; ABNORMAL). Use a longer")


def test_a_parameter_name_keeps_the_meaning_of_its_own_model() -> None:
    # alpha and beta are purchase / drop-out rates in the purchase models, cancelling in sBG
    assert fitting.meaning_key("bgnbd", "alpha") == "clv.meaning.alpha"
    assert fitting.meaning_key("pareto", "beta") == "clv.meaning.beta"
    assert fitting.meaning_key("sbg", "beta") == "clv.meaning.sbg.beta"
    assert "spread of drop-out rates" in fitting.degenerate_error("pareto", ["s", "beta"]).en
    assert "「解約のしやすさ」" in fitting.degenerate_error("sbg", ["beta"]).ja


def test_a_refusal_reads_naturally_in_both_languages() -> None:
    with pytest.raises(LoyaltyError) as err:
        pareto_nbd.fit([1], [1.0], [2.0])
    assert err.value.en == "Only 1 customer: the Pareto/NBD model needs at least 10 (preferably hundreds)."
    assert err.value.ja == ("顧客が1人しかいないため、購買予測モデル（Pareto/NBD）を推定できません。"
                            "少なくとも10人、できれば数百人以上の顧客の購買データを使ってください。")
    with pytest.raises(LoyaltyError) as err:
        mbgnbd.fit([1] * 1234, [1.0] * 1234, [2.0] * 1234, weights=[0.001] * 1234)
    assert err.value.en.startswith("Only 1 customer: the MBG/NBD model")  # weights count customers


def test_the_optimiser_stops_early_on_a_ridge_and_names_the_parameters_running_off() -> None:
    # a likelihood that keeps creeping up as theta_1 -> infinity: -ln L / n = e^-theta1 / n + (theta0 - 1)^2
    n = 1000.0

    def objective(p):
        f = np.exp(-p[1]) / n + (p[0] - 1.0) ** 2
        return f, np.array([2.0 * (p[0] - 1.0), -np.exp(-p[1]) / n]), -f * n

    logp, _, _, ridge = fitting.minimise(objective, np.zeros(2), n)
    assert ridge == [1]
    assert logp[1] < fitting.LOG_BOUND  # stopped before the edge of the box
    with pytest.raises(LoyaltyError) as err:
        fitting.fit_log_params(objective, np.zeros(2), ("alpha", "beta"), n, "sbg")
    assert "does not determine the tendency to cancel (the fit runs off to extreme values of beta," in err.value.en
    assert "「解約のしやすさ」（パラメータ beta）を定められず" in err.value.ja


def test_every_fit_step_runs_inside_the_one_blas_thread_limit(monkeypatch) -> None:
    import contextlib

    calls = []

    class Controller:  # stands in for threadpoolctl's ThreadpoolController
        @contextlib.contextmanager
        def limit(self, *, limits, user_api):
            calls.append(("enter", limits, user_api))
            yield
            calls.append(("exit", limits, user_api))

    monkeypatch.setattr(fitting, "_blas_controller", lambda: Controller())
    seen = []

    def objective(p):
        seen.append(len(calls))
        return float(p @ p), 2 * p, -float(p @ p)

    fitting.fit_log_params(objective, np.array([0.5, -0.3]), ("r", "alpha"), 100.0, "bgnbd")
    assert calls == [("enter", 1, "blas"), ("exit", 1, "blas")]
    assert seen and set(seen) == {1}  # every evaluation, the checks' included, inside the limit


def test_fits_run_with_one_blas_thread_and_restore_the_pool_after() -> None:
    threadpoolctl = pytest.importorskip("threadpoolctl", reason="threadpoolctl is in requirements.txt")
    before = [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    seen = []

    def objective(p):
        seen.append([i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"])
        return float(p @ p), 2 * p, -float(p @ p)

    fitting.fit_log_params(objective, np.array([0.5, -0.3]), ("r", "alpha"), 100.0, "bgnbd")
    assert seen and all(set(s) == {1} for s in seen)
    assert [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"] == before


@pytest.mark.parametrize(("kwargs", "column", "words"), [
    ({"frequency": [1] * 9, "recency": [1.0] * 9, "T": [2.0] * 9}, None, "Only 9 customers"),
    ({"frequency": [0] * 12, "recency": [0.0] * 12, "T": [3.0] * 12}, None, "Nobody made a repeat purchase"),
    ({"frequency": [1] * 12, "recency": [5.0] * 12, "T": [3.0] * 12}, "recency", "0 <= recency <= T"),
    ({"frequency": [0] * 12, "recency": [1.0] * 12, "T": [3.0] * 12}, "recency", "be 0 without repeat"),
    ({"frequency": [1.5] * 12, "recency": [1.0] * 12, "T": [3.0] * 12}, "frequency", "non-negative integer"),
    ({"frequency": [1] * 12, "recency": [1.0] * 11 + [float("nan")], "T": [3.0] * 12}, "recency", "non-numeric"),
    ({"frequency": [1] * 12, "recency": [1.0] * 12, "T": [3.0] * 11}, "recency, T", "as many rows"),
])
def test_a_summary_is_checked_with_one_set_of_messages_for_every_model(kwargs, column, words) -> None:
    for model in ("bgnbd", "pareto", "mbgnbd"):
        with pytest.raises(LoyaltyError) as err:
            fitting.check_counts(kwargs["frequency"], kwargs["recency"], kwargs["T"], None, model)
        assert err.value.column == column
        assert words in err.value.en
        assert err.value.ja and err.value.ja != err.value.en
