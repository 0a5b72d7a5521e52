"""Tests of loyalty.clv.fitting: grouping customers, and the fit refusals' messages."""

from __future__ import annotations

import numpy as np

from loyalty.clv import fitting
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
