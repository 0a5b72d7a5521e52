"""Tests of loyalty.clv.registry: every purchase model the CLI and the app offer is complete."""

from __future__ import annotations

import numpy as np
import pytest

from loyalty import clv
from loyalty.clv.registry import model_of
from loyalty.errors import LoyaltyError
from loyalty.i18n import catalogue
from tests.fixtures_clv import cdnow_bg, cdnow_summary, cdnow_tx  # noqa: F401 (fixtures)


def test_the_cli_offers_exactly_the_registered_models() -> None:
    from loyalty.cli import CLV_MODELS, _parser

    assert CLV_MODELS == (*clv.MODELS, *clv.CONTRACT_MODELS) == ("bgnbd", "pareto", "mbgnbd", "sbg")
    assert clv.DEFAULT_MODEL == CLV_MODELS[0] == "bgnbd"
    args = _parser().parse_args(["clv", "x.csv"])
    assert (args.model, args.auto_penalizer, args.penalizer) == ("bgnbd", True, 0.0)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_model_and_parameter_is_named_in_the_catalogue(lang: str) -> None:
    cat = catalogue(lang)
    for key, model in clv.MODELS.items():
        assert model.key == key
        assert f"clv.model.{key}" in cat and f"clv.model_short.{key}" in cat
        for name in model.params:
            assert f"clv.meaning.{name}" in cat, name  # what the fit-refusal message says it describes
            assert f"clv.param.{name}" in cat, name  # the parameters table of the page


def test_bgnbd_entry_fits_and_predicts_as_the_module_does(cdnow_summary, cdnow_bg) -> None:
    model = clv.get_model("bgnbd")
    assert model.name == "bgnbd" and model.params == ("r", "alpha", "a", "b")
    assert model.fit(cdnow_summary, 0.0) == cdnow_bg
    assert model_of(cdnow_bg) is model
    assert list(cdnow_bg.params()) == [*model.params, "loglik"]


@pytest.mark.parametrize(("key", "module", "name"), [("pareto", "pareto_nbd", "pareto_nbd"),
                                                     ("mbgnbd", "mbgnbd", "mbgnbd")])
def test_the_other_purchase_models_fit_and_predict_as_their_modules_do(cdnow_summary, key, module, name) -> None:
    import importlib

    mod = importlib.import_module(f"loyalty.clv.{module}")
    model = clv.get_model(key)
    x, tx, T = (cdnow_summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    fit = model.fit(cdnow_summary, 0.0)
    assert fit == mod.fit(x, tx, T, time_unit="weeks")
    assert (model.name, model.params, model_of(fit)) == (name, mod.PARAMS, model)
    assert list(fit.params()) == [*model.params, "loglik"]
    np.testing.assert_array_equal(clv.probability_alive(fit, x, tx, T), mod.probability_alive(fit, x, tx, T))
    np.testing.assert_array_equal(clv.expected_purchases(fit, 10.0, x, tx, T),
                                  mod.expected_purchases(fit, 10.0, x, tx, T))


def test_unknown_models_and_fits_are_refused() -> None:
    with pytest.raises(LoyaltyError) as info:
        clv.get_model("sbg")  # contractual: fitted on renewals, not a purchase model
    assert info.value.en == "Unknown model 'sbg': use one of bgnbd, pareto, mbgnbd."
    with pytest.raises(TypeError):
        model_of(object())
