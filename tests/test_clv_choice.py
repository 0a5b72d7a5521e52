"""Tests of loyalty.clv.choice: every purchase model on one holdout, and the documented choice.

On the CDNOW sample (calibration to 1997-09-30, holdout to 1998-06-30, FHL 2005's split) the
three models forecast the 39-week holdout about equally well; Pareto/NBD has the lowest
RMSE.  The choice rule is checked on hand-made scores.
"""

from __future__ import annotations

import numpy as np
import pytest

from loyalty import clv
from loyalty.clv import choice
from loyalty.clv.choice import ModelScore
from loyalty.errors import LoyaltyError
from tests.fixtures_clv import CAL_END, HOLDOUT_END, cdnow_tx  # noqa: F401 (fixtures)


def _score(model: str, squared, separates: bool) -> ModelScore:
    sq = np.asarray(squared, dtype=float)
    return ModelScore(model=model, fit=object(), rmse=float(np.sqrt(sq.mean())), squared=sq, separates=separates)


def test_the_lowest_rmse_wins_when_the_difference_is_more_than_chance():
    a = _score("bgnbd", [0.0, 1.0, 0.0, 1.0] * 50, separates=False)
    b = _score("pareto", [4.0, 4.0, 4.0, 4.0] * 50, separates=True)
    assert choice.choose([a, b]) == ("bgnbd", "lowest_rmse", ("bgnbd",))


def test_within_chance_a_model_whose_p_alive_separates_is_preferred():
    # paired differences +0.1 and -0.08: mean 0.01, standard error 0.0064 (2 SE 0.0128) -> tied
    a = _score("bgnbd", [0.4, 0.6] * 100, separates=False)
    b = _score("pareto", [0.5, 0.52] * 100, separates=True)
    c = _score("mbgnbd", [9.0, 9.0] * 100, separates=True)
    d = b.squared - a.squared
    assert abs(d.mean()) <= choice.TIE_SE * d.std(ddof=1) / np.sqrt(d.size)
    assert a.rmse < b.rmse
    assert choice.choose([a, b, c]) == ("pareto", "tie_separates", ("bgnbd", "pareto"))
    # ... but when the best separates too, it stays
    assert choice.choose([_score("bgnbd", a.squared, True), b])[0:2] == ("bgnbd", "lowest_rmse")


def test_models_that_could_not_be_fitted_are_skipped():
    refused = ModelScore(model="pareto", error=LoyaltyError(ja="x", en="x"))
    only = _score("mbgnbd", [1.0, 2.0], separates=False)
    assert choice.choose([refused, only]) == ("mbgnbd", "only_fit", ("mbgnbd",))
    assert choice.choose([refused]) == (None, "none", ())


def test_the_three_models_on_the_cdnow_holdout(cdnow_tx):
    comp = clv.compare_models(cdnow_tx, CAL_END, HOLDOUT_END)
    assert (comp.customers, comp.duration) == (2357, 39.0)
    table = comp.table()
    assert table["model"].tolist() == ["bgnbd", "pareto", "mbgnbd"]
    assert table["rmse"].round(4).tolist() == [1.6080, 1.6028, 1.6072]
    assert table["mae"].round(4).tolist() == [0.7855, 0.7545, 0.7648]
    assert table["actual"].tolist() == [1882.0] * 3
    assert table["predicted"].round(1).tolist() == [1653.4, 1665.5, 1576.7]
    assert table["penalizer"].tolist() == [0.0, 0.0, 0.0] and table["separates"].all()
    # Pareto/NBD has the lowest RMSE; the differences are within chance, and it separates: it stays
    assert (comp.chosen, comp.reason, comp.tied) == ("pareto", "lowest_rmse", ("bgnbd", "pareto", "mbgnbd"))
    assert comp.score("pareto").tracking_error == pytest.approx((1665.5131 - 1882) / 1882, abs=1e-6)
    # the BG/NBD forecast of the comparison is the holdout comparison's (FHL 2005 Figure 5)
    fig5 = clv.holdout_comparison(cdnow_tx, CAL_END, HOLDOUT_END)
    assert comp.score("bgnbd").predicted == pytest.approx(float(fig5["predicted_total"].iloc[-1]), rel=1e-12)


def test_the_holdout_must_come_after_the_calibration_end(cdnow_tx):
    with pytest.raises(LoyaltyError) as err:
        clv.compare_models(cdnow_tx, CAL_END, CAL_END)
    assert err.value.field == "observation_end"
