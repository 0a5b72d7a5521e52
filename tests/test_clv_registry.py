"""Tests of loyalty.clv.registry: every purchase model the CLI and the app offer is complete."""

from __future__ import annotations

import pytest

from loyalty import clv
from loyalty.clv.registry import model_of
from loyalty.errors import LoyaltyError
from loyalty.i18n import catalogue
from tests.fixtures_clv import cdnow_bg, cdnow_summary, cdnow_tx  # noqa: F401 (fixtures)


def test_the_cli_offers_exactly_the_registered_models() -> None:
    from loyalty.cli import CLV_MODELS, _parser

    assert CLV_MODELS == tuple(clv.MODELS)
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


def test_unknown_models_and_fits_are_refused() -> None:
    with pytest.raises(LoyaltyError) as info:
        clv.get_model("mbgnbd")
    assert info.value.en == "Unknown model 'mbgnbd': use one of bgnbd."
    with pytest.raises(TypeError):
        model_of(object())
