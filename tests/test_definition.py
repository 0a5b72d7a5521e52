"""Definitions: presets, JSON round trip, and messages naming the bad field."""

import json
from datetime import date

import pytest

from loyalty import definition as defn
from loyalty.errors import LoyaltyError


@pytest.mark.parametrize("name", defn.PRESETS)
def test_presets_load_and_round_trip(name):
    d = defn.preset(name)
    again = defn.loads(d.to_json())
    assert again.to_dict() == d.to_dict()
    assert sum(d.weights().values()) == pytest.approx(100.0)


def test_b2c_preset_has_the_seed_thresholds():
    d = defn.preset("b2c")
    assert d.rfm.mode == "threshold"
    assert d.rfm.recency == [30, 60, 90, 179]
    assert d.rfm.frequency == [2, 3, 6, 10]
    assert d.rfm.monetary == [10_000, 30_000, 50_000, 100_000]
    assert d.tiers == {"top": 80.0, "middle": 50.0}
    assert d.as_of is None and d.window_days == 365


def test_edited_definition_round_trips_with_segments_measures_and_notes():
    d = defn.preset("b2c").copy(name="マーケ案", as_of=date(2024, 6, 30), window_days=180)
    d.segments[0].r = (5, 5)
    d.measures = [{"target": "tier:top", "title": "電話", "detail": "", "channel": "電話", "timing": "月1", "kpi": "継続率"}]
    d.persona_notes = {"top": "30代後半の女性が中心"}
    text = d.to_json()
    data = json.loads(text)
    assert data["as_of"] == "2024-06-30" and data["segments"][0]["r"] == [5, 5]
    back = defn.loads(text)
    assert back.to_dict() == d.to_dict()


@pytest.mark.parametrize("patch, field", [
    ({"version": 3}, "version"),
    ({"window_days": 0}, "window_days"),
    ({"as_of": "2024/06/30"}, "as_of"),
    ({"rfm": {"mode": "median"}}, "rfm.mode"),
    ({"rfm": {"recency": [30, 60, 50, 179]}}, "rfm.recency[2]"),
    ({"rfm": {"frequency": [1, 2, 3]}}, "rfm.frequency"),
    ({"factors": [{"key": "recency", "weight": -1}]}, "factors[0].weight"),
    ({"factors": [{"key": "loyalty", "weight": 10}]}, "factors[0].key"),
    ({"factors": [{"key": "nps", "weight": 10, "cuts": [1, 2]}]}, "factors[0].cuts"),
    ({"tiers": {"top": 40, "middle": 50}}, "tiers.top"),
    ({"tiers": {"top": 140, "middle": 50}}, "tiers.top"),
    ({"segments": [{"key": "a", "r": [0, 5], "f": [1, 5], "m": [1, 5]}]}, "segments[0].r"),
    ({"widnow_days": 30}, "widnow_days"),
    # numbers that are numbers to JSON but no weight, cut point or tier
    ({"factors": [{"key": "recency", "weight": 1e308}, {"key": "frequency", "weight": 1e308}]}, "factors[0].weight"),
    ({"factors": [{"key": "recency", "weight": float("inf")}]}, "factors[0].weight"),
    ({"factors": [{"key": "recency", "weight": 30}, {"key": "frequency", "weight": 101}]}, "factors[1].weight"),
    ({"rfm": {"monetary": [10000, 30000, 50000, 1e308]}}, "rfm.monetary[3]"),
    ({"rfm": {"recency": [30, 60, 90, float("inf")]}}, "rfm.recency[3]"),
    ({"factors": [{"key": "nps", "weight": 10, "cuts": [3, 5, 7, 1e14]}]}, "factors[0].cuts[3]"),
    ({"tiers": {"top": 1e308, "middle": 50}}, "tiers.top"),
])
def test_bad_definition_names_the_field(patch, field):
    data = defn.preset("b2c").to_dict()
    for k, v in patch.items():
        if isinstance(v, dict) and isinstance(data.get(k), dict):
            data[k] = {**data[k], **v}
        else:
            data[k] = v
    with pytest.raises(LoyaltyError) as exc:
        defn.from_dict(data, file="bad.json")
    assert exc.value.field == field
    assert f"項目「{field}」" in str(exc.value) and "bad.json" in str(exc.value)


def test_not_json_reports_the_line():
    with pytest.raises(LoyaltyError) as exc:
        defn.loads('{\n "version": 1,\n oops\n}', file="x.json")
    assert exc.value.row == 3 and "JSON" in str(exc.value)


@pytest.mark.parametrize("text, words", [
    ('{"version": 1, "factors": [{"key": "recency", "weight": Infinity}]}', "Infinity"),
    ('{"version": 1, "factors": [{"key": "recency", "weight": -Infinity}]}', "-Infinity"),
    ('{"version": 1, "rfm": {"monetary": [1, 2, 3, NaN]}}', "NaN"),
])
def test_json_constants_are_refused(text, words):
    with pytest.raises(LoyaltyError) as exc:
        defn.loads(text.encode(), file="const.json")
    assert exc.value.file == "const.json" and f"JSON に {words} という値は使えません" in exc.value.message("ja")


def test_a_weight_written_1e400_is_refused_not_scored_as_infinity():
    with pytest.raises(LoyaltyError) as exc:
        defn.loads('{"version": 1, "factors": [{"key": "recency", "weight": 1e400}]}', file="w.json")
    assert exc.value.field == "factors[0].weight" and "有限の数値" in exc.value.message("ja")


def test_deep_nesting_is_refused_before_parsing_with_a_clear_message():
    # 200,000 levels made json.loads raise RecursionError (exit 1 on the command line,
    # an exception box in the app); the depth is measured first
    for text in ("[" * 200_000 + "]" * 200_000, '{"a":' * 50_000 + "1" + "}" * 50_000):
        with pytest.raises(LoyaltyError) as exc:
            defn.loads(text.encode(), file="deep.json")
        assert exc.value.file == "deep.json" and "入れ子が深すぎます（32 段" in exc.value.message("ja")
    assert defn.json_depth('{"a": [[1]], "b": "[[[[[[[[[[", "c": "\\"[[["}') == 3  # brackets in strings do not count
    assert defn.json_depth("1") == 0


def test_files_over_the_size_limit_are_refused():
    big = ('{"version": 1, "description": "' + "x" * defn.MAX_JSON_BYTES + '"}').encode()
    with pytest.raises(LoyaltyError) as exc:
        defn.loads(big, file="big.json")
    assert "ファイルが大きすぎます" in exc.value.message("ja")


def test_a_saved_definition_still_loads_exactly():
    for name in defn.PRESETS:
        d = defn.preset(name)
        assert defn.loads(d.to_json().encode("utf-8")).to_dict() == d.to_dict()


def test_unknown_preset():
    with pytest.raises(LoyaltyError):
        defn.preset("b2x")


def test_rebalance_keeps_whole_weights_summing_to_100():
    w = {"recency": 20.0, "frequency": 30.0, "monetary": 50.0}
    # 60 left, split 30:50 = 22.5 : 37.5; the tie in remainders goes to the earlier key
    assert defn.rebalance(w, "recency", 40) == {"recency": 40.0, "frequency": 23.0, "monetary": 37.0}
    assert defn.rebalance(w, "monetary", 100) == {"recency": 0.0, "frequency": 0.0, "monetary": 100.0}
    zero = {"a": 100.0, "b": 0.0, "c": 0.0}
    assert defn.rebalance(zero, "a", 10) == {"a": 10.0, "b": 45.0, "c": 45.0}
    assert defn.rebalance({"only": 30.0}, "only", 30) == {"only": 100.0}
    assert defn.equal_weights(["r", "f", "m"]) == {"r": 34.0, "f": 33.0, "m": 33.0}


def test_a_preset_is_a_fresh_copy_each_time():
    first = defn.preset("b2c")
    first.tiers["top"] = 1.0
    first.factors.clear()
    again = defn.preset("b2c")
    assert again.tiers["top"] == 80.0 and len(again.factors) == 5


def test_first_unordered_cut_points_at_the_cut_that_does_not_rise():
    assert defn.first_unordered_cut([30, 60, 90, 179]) is None
    assert defn.first_unordered_cut([30, 60, 60, 179]) == 2  # equal is not rising
    assert defn.first_unordered_cut([30, 20, 10, 5]) == 1
    assert defn.first_unordered_cut([1.5, 2.0, 2.5, 2.4]) == 3
    assert defn.first_unordered_cut([7]) is None
