"""What the lifetime models share: their message catalogue, grouping and optimiser conventions.

tests/test_i18n.py scans loyalty/*.py for catalogue keys, not subpackages; the keys of
loyalty/clv_models/ are checked here, both ways (every key used exists, every key exists
for a use).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from loyalty.clv_models import _fitting, mbgnbd, pareto_nbd, sbg
from loyalty.errors import LoyaltyError
from loyalty.i18n import catalogue

ROOT = Path(__file__).resolve().parent.parent
CODE = sorted((ROOT / "loyalty" / "clv_models").glob("*.py"))
LITERAL = re.compile(r"""["'](clv_models\.[a-z_.]+)["']""")
MODELS = {"pareto_nbd": pareto_nbd, "mbgnbd": mbgnbd, "sbg": sbg}


def _keys_the_code_uses() -> set[str]:
    keys = set()
    for path in CODE:
        keys |= set(LITERAL.findall(path.read_text(encoding="utf-8")))
    for name, module in MODELS.items():  # built as f"clv_models.model.{model}" / f"...param.{model}.{name}"
        assert module.MODEL == name
        keys.add(f"clv_models.model.{name}")
        keys |= {f"clv_models.param.{name}.{p}" for p in module._NAMES}
    return keys


def test_every_clv_models_key_the_code_uses_exists_in_both_languages():
    used = _keys_the_code_uses()
    assert len(used) > 30
    for lang in ("ja", "en"):
        assert sorted(used - set(catalogue(lang))) == []


def test_every_key_of_the_clv_models_catalogue_is_used():
    for lang in ("ja", "en"):
        own = json.loads((ROOT / "loyalty" / "locales" / lang / "clv_models.json").read_text(encoding="utf-8"))
        assert sorted(set(own) - _keys_the_code_uses()) == []


def test_a_refusal_reads_naturally_in_both_languages():
    with pytest.raises(LoyaltyError) as err:
        pareto_nbd.fit([1], [1.0], [2.0])
    assert err.value.en == ("With only 1 customer the Pareto/NBD purchase model cannot be fitted. "
                            "Use the purchases of at least 10 customers, preferably hundreds.")
    assert err.value.ja.startswith("顧客が 1 人しかいないため、"
                                   "購買予測モデル（Pareto/NBD）を推定できません。")
    with pytest.raises(LoyaltyError) as err:
        mbgnbd.fit([1] * 1234, [1.0] * 1234, [2.0] * 1234, weights=[0.001] * 1234)
    assert "With only 1 customer " in err.value.en  # weights count customers


def test_rows_are_grouped_by_identical_values_with_their_weights():
    x = np.array([1.0, 1.0, 0.0, 1.0, 0.0])
    t = np.array([2.0, 2.0, 0.0, 3.0, 0.0])
    g = _fitting.group((x, t), np.array([1.0, 2.0, 4.0, 8.0, 16.0]))
    assert g.n_groups == 3
    assert list(zip(g.column(0), g.column(1), g.weight)) == [(1.0, 2.0, 3.0), (0.0, 0.0, 20.0), (1.0, 3.0, 8.0)]
    assert g.row_group.tolist() == [0, 0, 1, 2, 1]


def test_the_optimiser_stops_early_on_a_ridge_and_names_the_parameters_running_off():
    # a likelihood that keeps creeping up as theta_1 -> infinity: -ln L / n = e^-theta1 / n + (theta0 - 1)^2
    n = 1000.0

    def objective(p):
        f = np.exp(-p[1]) / n + (p[0] - 1.0) ** 2
        return f, np.array([2.0 * (p[0] - 1.0), -np.exp(-p[1]) / n]), -f * n

    logp, _, _, ridge = _fitting.minimise(objective, np.zeros(2), n)
    assert ridge == [1]
    assert logp[1] < _fitting.LOG_BOUND  # stopped before the edge of the box
    with pytest.raises(LoyaltyError) as err:
        _fitting.fit_log_params(objective, np.zeros(2), ("alpha", "beta"), n, "sbg")
    assert "does not pin down the tendency to cancel (parameter beta runs off to extreme values" in err.value.en
    assert "「解約のしやすさ」（パラメータ beta）が定まらず" in err.value.ja
